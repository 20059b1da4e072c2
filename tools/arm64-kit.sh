#!/bin/sh
# Fetches what testing aarch64 from an x86_64 machine needs and Debian has for
# arm64 only: the kernel (an uncompressed Image), a static busybox and bash
# (the test scripts' shell), util-linux's setpriv, with private apt lists, so
# the arm64 architecture is never enabled system-wide.
#
#   tools/arm64-kit.sh DIR     leaves DIR/Image, DIR/busybox, DIR/bash,
#                              DIR/setpriv and DIR/sysroot (the arm64
#                              libraries qvm links with, and their headers);
#                              prints DIR
#
# Kept in DIR: a second run fetches nothing. Exit 1 with the reason if the
# packages cannot be had (no network, no mirror).
set -eu
D=$(realpath -m "$1")	# apt runs from another directory
LIBS="libcap-ng0 libcap-ng-dev libseccomp2 libseccomp-dev libfdt1 libfdt-dev"
[ -s "$D/Image" ] && [ -x "$D/busybox" ] && [ -x "$D/bash" ] && [ -x "$D/setpriv" ] &&
	[ -f "$D/sysroot/.done" ] && { echo "$D"; exit 0; }
mkdir -p "$D/apt/lists/partial" "$D/apt/cache/archives/partial" "$D/deb"
A="-o Dir::State::Lists=$D/apt/lists -o Dir::Cache=$D/apt/cache -o APT::Architecture=arm64
   -o APT::Architectures::=arm64 -o APT::Sandbox::User=root -o Debug::NoLocking=1"
# shellcheck disable=SC2086
apt-get $A update -qq >"$D/apt.log" 2>&1 || { echo "apt-get update failed: $(tail -1 "$D/apt.log")" >&2; exit 1; }
# shellcheck disable=SC2086
kpkg=$(apt-cache $A depends linux-image-arm64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9].*-arm64\)$/\1/p' | head -1)
[ -n "$kpkg" ] || { echo "no linux-image-arm64 in the arm64 package lists" >&2; exit 1; }
# shellcheck disable=SC2086
(cd "$D/deb" && apt-get $A download -qq "$kpkg" busybox-static bash-static util-linux $LIBS >>"$D/apt.log" 2>&1) ||
	{ echo "cannot download $kpkg, busybox-static, bash-static, util-linux and $LIBS: $(tail -1 "$D/apt.log")" >&2; exit 1; }
rm -rf "$D/x" "$D/sysroot" && mkdir -p "$D/x" "$D/sysroot"
for f in "$D"/deb/*.deb; do
	case $f in
	*/linux-image-*|*/busybox-static_*|*/bash-static_*|*/util-linux_*) dpkg-deb -x "$f" "$D/x" ;;
	*) dpkg-deb -x "$f" "$D/sysroot" ;;
	esac
done
# Links the packages make absolute (libfoo.so -> /lib/...) point into the sysroot.
find "$D/sysroot" -type l | while read -r l; do
	t=$(readlink "$l")
	case $t in /*) ln -sfn "$D/sysroot$t" "$l" ;; esac
done
touch "$D/sysroot/.done"
cp "$(ls "$D"/x/boot/vmlinuz-* | head -1)" "$D/Image"	# Debian's arm64 vmlinuz is an uncompressed Image
cp "$D/x/bin/busybox" "$D/busybox"
cp "$D/x/bin/bash-static" "$D/bash"
cp "$D/x/usr/bin/setpriv" "$D/setpriv"	# (dynamic: libc and libcap-ng, both in the initramfs)
rm -rf "$D/x" "$D/deb"
echo "$D"
