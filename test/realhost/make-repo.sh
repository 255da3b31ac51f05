#!/bin/bash
# Builds the stand-in Proxmox packages and the signed apt repository the
# real-host test serves as download.proxmox.com, plus a test CA and the
# certificate of enterprise.proxmox.com. Everything goes under OUT (a temp
# directory of the test run); nothing is cached, the key is new every run.
#
#   OUT/keyring.gpg                        the signing key (binary keyring)
#   OUT/www/download.proxmox.com/debian/pmg/{dists,pool}
#   OUT/ca/ca.crt, OUT/ca/enterprise.{crt,key}
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
export GNUPGHOME="$out/gnupg"
mkdir -p -m 700 "$GNUPGHOME"

gpg --batch --quiet --passphrase '' --quick-gen-key 'Real-host test repository <realhost@invalid>' ed25519 sign never 2>/dev/null
gpg --batch --export > "$out/keyring.gpg"

pmg="$out/www/download.proxmox.com/debian/pmg"
mkdir -p "$pmg/pool"

UNITS="pmg-smtp-filter pmgpolicy pmgdaemon pmgproxy pmgmirror pmgtunnel"

# deb NAME VERSION DEPENDS [extra setup function]
deb() {
	local name=$1 version=$2 depends=$3 setup=${4:-}
	local d="$out/build/${name}_$version"
	rm -rf "$d"; mkdir -p "$d/DEBIAN"
	[ -z "$setup" ] || "$setup" "$d" "$version"
	{
		echo "Package: $name"
		echo "Version: $version"
		echo "Architecture: all"
		echo "Maintainer: Real-host test <realhost@invalid>"
		[ -z "$depends" ] || echo "Depends: $depends"
		echo "Section: admin"
		echo "Priority: optional"
		echo "Description: stand-in for the Proxmox package $name (real-host test)"
		echo " Built by the mail-upgrade-wizard real-host test; not the real package."
	} > "$d/DEBIAN/control"
	dpkg-deb --root-owner-group -Zgzip --build "$d" "$pmg/pool/${name}_${version}_all.deb" >/dev/null
}

keyring_files() {
	mkdir -p "$1/usr/share/keyrings"
	cp "$out/keyring.gpg" "$1/usr/share/keyrings/proxmox-archive-keyring.gpg"
}

api_files() {
	local d=$1 version=$2
	mkdir -p "$d/usr/bin" "$d/usr/sbin" "$d/usr/lib/pmg-standin" "$d/usr/share/pmg-standin" "$d/lib/systemd/system" "$d/etc/pmg"
	for t in pmgversion pmgbackup pmgcm pmgconfig pmg8to9; do install -m 755 "$here/standin/$t" "$d/usr/bin/$t"; done
	install -m 755 "$here/standin/daemon" "$d/usr/lib/pmg-standin/daemon"
	echo "$version" | sha1sum | cut -c1-8 > "$d/usr/share/pmg-standin/commit"
	for u in $UNITS; do
		printf '[Unit]\nDescription=Proxmox Mail Gateway %s (stand-in)\nAfter=network.target postgresql.service\n\n[Service]\nExecStart=/usr/lib/pmg-standin/daemon %s\n\n[Install]\nWantedBy=multi-user.target\n' "$u" "$u" > "$d/lib/systemd/system/$u.service"
	done
	# The configuration file the test edits: dpkg asks about it on the upgrade.
	{
		echo "# Proxmox Mail Gateway SMTP filter settings (stand-in, pmg-api $version)"
		echo "section: smtp-filter"
		echo "	max-processes 4"
		case $version in 9.*) echo "	header-checks strict";; esac
	} > "$d/etc/pmg/smtp-filter.conf"
	echo /etc/pmg/smtp-filter.conf > "$d/DEBIAN/conffiles"
	cat > "$d/DEBIAN/postinst" <<POSTINST
#!/bin/sh
set -e
if [ "\$1" = configure ]; then
	mkdir -p /var/lib/pmg/backup
	# The API's key and self-signed certificate, made at installation as
	# pmgconfig apicert does (key and certificate in one file).
	if [ ! -e /etc/pmg/pmg-api.pem ] && command -v openssl >/dev/null; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=\$(hostname -f 2>/dev/null || hostname)" -keyout /etc/pmg/pmg-api.key.tmp -out /etc/pmg/pmg-api.crt.tmp 2>/dev/null
		cat /etc/pmg/pmg-api.key.tmp /etc/pmg/pmg-api.crt.tmp > /etc/pmg/pmg-api.pem
		rm -f /etc/pmg/pmg-api.key.tmp /etc/pmg/pmg-api.crt.tmp
		chmod 640 /etc/pmg/pmg-api.pem
	fi
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload || true
		for u in $UNITS; do
			[ "\$(systemctl is-enabled \$u 2>/dev/null)" = masked ] && continue
			systemctl enable -q \$u
			systemctl restart \$u || true
		done
	fi
fi
POSTINST
	cat > "$d/DEBIAN/prerm" <<PRERM
#!/bin/sh
set -e
if [ "\$1" = remove ] && [ -d /run/systemd/system ]; then systemctl stop $UNITS || true; fi
PRERM
	chmod 755 "$d/DEBIAN/postinst" "$d/DEBIAN/prerm"
}

deb proxmox-archive-keyring 3.1 "" keyring_files
deb proxmox-archive-keyring 4.0 "" keyring_files
# REALHOST_VARIANT=removes-pmg: a host whose dist-upgrade would remove PMG,
# as when the PMG 9 repository lacks a package pmg-api 9 needs: 9.0.3
# depends on a package no repository has, and 8.2.7 cannot stay beside
# trixie's libc6 (so apt's only way to upgrade libc6 is to remove PMG).
api8_extra=""; api9_extra=""
if [ "${REALHOST_VARIANT:-}" = removes-pmg ]; then
	api8_extra=", libc6 (<< 2.37)"; api9_extra=", libpmg-realhost-missing-perl (>= 1.0)"
fi
deb pmg-api 8.2.7 "postfix, postgresql-15, postgresql-common, tar, gzip$api8_extra" api_files
deb pmg-api 9.0.3 "postfix, postgresql-17, postgresql-common, tar, gzip$api9_extra" api_files
deb proxmox-mailgateway 8.2.0 "pmg-api (>= 8.2.7), proxmox-archive-keyring, postfix"
deb proxmox-mailgateway 9.0.0 "pmg-api (>= 9.0.3), proxmox-archive-keyring, postfix"

# dist SUITE PACKAGE_VERSIONS...: one suite with the named pool files.
dist() {
	local suite=$1; shift
	local comp=pmg-no-subscription
	local bin="$pmg/dists/$suite/$comp/binary-amd64"
	mkdir -p "$bin" "$out/pool-$suite"
	for f in "$@"; do ln -f "$pmg/pool/$f" "$out/pool-$suite/$f"; done
	(cd "$out/pool-$suite" && dpkg-scanpackages -m . /dev/null 2>/dev/null) | sed "s|^Filename: \./|Filename: pool/|" > "$bin/Packages"
	gzip -9nk "$bin/Packages"
	printf 'Archive: %s\nComponent: %s\nOrigin: Proxmox\nLabel: Proxmox Debian Repository\nArchitecture: amd64\n' "$suite" "$comp" > "$bin/Release"
	local rel="$pmg/dists/$suite/Release"
	{
		echo "Origin: Proxmox"
		echo "Label: Proxmox Debian Repository"
		echo "Suite: stable"
		echo "Codename: $suite"
		echo "Date: $(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')"
		echo "Architectures: amd64"
		echo "Components: $comp"
		echo "Description: Proxmox Mail Gateway stand-in packages (real-host test)"
		for algo in MD5Sum:md5sum SHA256:sha256sum; do
			echo "${algo%%:*}:"
			(cd "$pmg/dists/$suite" && for f in $comp/binary-amd64/Packages $comp/binary-amd64/Packages.gz $comp/binary-amd64/Release; do
				printf ' %s %16d %s\n' "$(${algo##*:} "$f" | cut -d' ' -f1)" "$(stat -c %s "$f")" "$f"
			done)
		done
	} > "$rel"
	gpg --batch --yes --quiet --clearsign -o "$pmg/dists/$suite/InRelease" "$rel"
	gpg --batch --yes --quiet -abs -o "$rel.gpg" "$rel"
}
dist bookworm proxmox-archive-keyring_3.1_all.deb pmg-api_8.2.7_all.deb proxmox-mailgateway_8.2.0_all.deb
dist trixie proxmox-archive-keyring_4.0_all.deb pmg-api_9.0.3_all.deb proxmox-mailgateway_9.0.0_all.deb

# A test CA, trusted inside the container, and enterprise.proxmox.com's certificate.
ca="$out/ca"; mkdir -p "$ca"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=Real-host test CA' -keyout "$ca/ca.key" -out "$ca/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj '/CN=enterprise.proxmox.com' -keyout "$ca/enterprise.key" -out "$ca/enterprise.csr" 2>/dev/null
printf 'subjectAltName=DNS:enterprise.proxmox.com\n' > "$ca/ext"
openssl x509 -req -in "$ca/enterprise.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAcreateserial -days 2 -extfile "$ca/ext" -out "$ca/enterprise.crt" 2>/dev/null
gpgconf --kill all 2>/dev/null || true
echo "$out"
