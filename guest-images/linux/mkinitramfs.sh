#!/bin/sh
# The Linux test guest's initramfs: Debian's static busybox, the init
# script of this directory and trace-read, built static, and the kernel
# modules given (of the kernel that will boot it; /init loads them).
#
#   guest-images/linux/mkinitramfs.sh OUT.cpio [CC [MODULE.ko...]]
set -eu
here=$(dirname "$0")
out=$1
cc=${2:-gcc}
shift $(($# < 2 ? $# : 2))
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || { echo "mkinitramfs: busybox is not installed (busybox-static)" >&2; exit 1; }
ldd "$busybox" 2>&1 | grep -q 'not a dynamic' || { echo "mkinitramfs: $busybox is not static (busybox-static)" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/modules"
for m in "$@"; do cp "$m" "$root/modules/"; done
cp "$busybox" "$root/bin/busybox"
"$cc" -static -O2 -Wall -Wextra -Werror -o "$root/bin/trace-read" "$here/trace-read.c"
cp "$here/init" "$root/init"
chmod 755 "$root/init" "$root/bin/busybox" "$root/bin/trace-read"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$out"
