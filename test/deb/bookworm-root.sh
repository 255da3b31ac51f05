#!/bin/bash
# A clean Debian bookworm root (debootstrap --variant=minbase, plus man-db
# for `man -w`), cached as a tarball outside the repository; prints its path.
# The test of the Debian package (test/deb/deb.test.ts) installs the package
# into a fresh copy of it. The cache key is a hash of this file and the
# mirror, so a changed recipe builds a new root.
#   cache: $UPGRADE_WIZARD_ROOT_CACHE, else ${XDG_CACHE_HOME:-/var/cache}/mail-upgrade-wizard/deb
set -euo pipefail

cache=${UPGRADE_WIZARD_ROOT_CACHE:-${XDG_CACHE_HOME:-/var/cache}/mail-upgrade-wizard/deb}

# The Debian mirror this machine's apt uses: deb822 (URIs:) or one-line (deb URL suite).
mirror=$(
	{
		cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk 'tolower($1) == "uris:" {print $2}'
		cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/) {print $i; break}}'
	} | grep -E '/debian/?$' | head -n1 || true
)
mirror=${mirror%/}
[ -n "$mirror" ] || { echo "bookworm-root: no Debian mirror (a URI ending in /debian) in /etc/apt/sources.list or sources.list.d" >&2; exit 2; }

key=$( { cat "$0"; echo "$mirror"; } | sha256sum | cut -c1-16)
tarball="$cache/bookworm-minbase-$key.tar"
if [ -s "$tarball" ]; then echo "$tarball"; exit 0; fi

command -v debootstrap >/dev/null || { echo "bookworm-root: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 2; }
mkdir -p "$cache"
work=$(mktemp -d /tmp/conventions-root.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "bookworm-root: debootstrap --variant=minbase bookworm from $mirror" >&2
debootstrap --variant=minbase --include=man-db bookworm "$work/root" "$mirror" >&2
cat > "$work/root/etc/apt/sources.list" <<SRC
deb $mirror bookworm main
SRC
rm -rf "$work/root/var/cache/apt/archives/"*.deb
tar --numeric-owner -C "$work/root" -cf "$tarball.part" .
mv "$tarball.part" "$tarball"
echo "$tarball"
