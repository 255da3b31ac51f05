#!/bin/bash
# Prints the URI of the Debian archive (not the security archive) that this
# machine's apt uses, from deb822 .sources files or one-line .list files.
set -uo pipefail
shopt -s nullglob
{
for f in /etc/apt/sources.list.d/*.sources; do
  awk 'tolower($1)=="uris:" { for (i=2;i<=NF;i++) print $i }' "$f"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [ -f "$f" ] || continue
  awk '$1=="deb" { for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$f"
done
} 2>/dev/null | grep -v -- '-security' | grep -E '/debian/?$' | sed 's:/$::' | head -n1
