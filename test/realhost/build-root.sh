#!/bin/bash
# Builds (or finds in the cache) the Debian bookworm root that the real-host
# test boots with systemd-nspawn. Prints the path of the cached tarball.
#
# The cache key is a hash of this file (the recipe) and the mirror used, so
# editing the recipe builds a new root. Cache directory:
#   $REALHOST_CACHE, else ${XDG_CACHE_HOME:-/var/cache}/mail-upgrade-wizard/realhost
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${REALHOST_CACHE:-${XDG_CACHE_HOME:-/var/cache}/mail-upgrade-wizard/realhost}

# The Debian mirror this machine's apt already uses (deb822 or one-line).
mirror=$("$here/apt-mirror.sh")
[ -n "$mirror" ] || { echo "build-root: no Debian mirror found in /etc/apt (sources.list or sources.list.d/*.sources)" >&2; exit 2; }

# postgresql-15, not the `postgresql` meta package: a PMG host has only the
# versioned one (pmg-api depends on postgresql-NN), and with the meta package
# installed trixie's postgresql-common upgrades 15/main to 17 by itself
# during the dist-upgrade, which is not what a PMG host does.
PACKAGES="systemd systemd-sysv dbus libpam-systemd procps iproute2 less ca-certificates gnupg gpgv whiptail locales tmux postgresql-15 postfix curl"

key=$( { cat "$0"; echo "$mirror"; } | sha256sum | cut -c1-16)
tarball="$cache/bookworm-$key.tar"
if [ -s "$tarball" ]; then echo "$tarball"; exit 0; fi

command -v debootstrap >/dev/null || { echo "build-root: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 2; }
mkdir -p "$cache"
work=$(mktemp -d /tmp/realhost-root.XXXXXX)
root="$work/root"
trap 'umount -R "$root/proc" "$root/sys" "$root/dev" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "build-root: debootstrap bookworm from $mirror into $root" >&2
debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm "$root" "$mirror" >&2

cat > "$root/etc/apt/sources.list" <<SRC
deb $mirror bookworm main contrib
deb $mirror bookworm-updates main contrib
deb ${mirror%/debian}/debian-security bookworm-security main contrib
SRC
# Nothing started inside the chroot while building.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"; chmod +x "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"; mount --rbind /sys "$root/sys"; mount --rbind /dev "$root/dev"
cat > "$root/tmp/preseed" <<'SEED'
postfix postfix/main_mailer_type select Local only
postfix postfix/mailname string pmg.example.test
locales locales/locales_to_be_generated multiselect en_US.UTF-8 UTF-8
locales locales/default_environment_locale select en_US.UTF-8
SEED
chroot "$root" debconf-set-selections /tmp/preseed
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get update >&2
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES >&2
chroot "$root" apt-get clean
rm -f "$root/usr/sbin/policy-rc.d" "$root/tmp/preseed"
umount -R "$root/proc" "$root/sys" "$root/dev"

# A booted container: hostname, root login on the console without password,
# no getty on tty1 fighting the console.
echo pmg > "$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 pmg.example.test pmg\n' > "$root/etc/hosts"
passwd -R "$root" -d root >/dev/null
echo 'LANG=en_US.UTF-8' > "$root/etc/default/locale"
ln -sf /lib/systemd/system/multi-user.target "$root/etc/systemd/system/default.target"

tar --numeric-owner --xattrs -C "$root" -cf "$tarball.part" .
mv "$tarball.part" "$tarball"
echo "$tarball"
