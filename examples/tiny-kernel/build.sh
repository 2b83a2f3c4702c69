#!/usr/bin/env bash
# Rebuilds tiny-bzImage from tiny.S with GNU binutils (Debian binutils-x86-64-linux-gnu).
set -euo pipefail
cd "$(dirname "$0")"
AS=${AS:-x86_64-linux-gnu-as}
LD=${LD:-x86_64-linux-gnu-ld}
out=${1:-tiny-bzImage}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
x86_64-linux-gnu-cpp -P tiny.S > "$tmp/tiny.s" 2>/dev/null || cpp -P tiny.S > "$tmp/tiny.s"
$AS --64 -o "$tmp/tiny.o" "$tmp/tiny.s"
$LD -T tiny.ld -o "$tmp/out" "$tmp/tiny.o"
mv "$tmp/out" "$out"
