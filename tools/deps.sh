#!/bin/sh
# Installs what building and testing qvm needs, when it is missing.
# Debian 12; needs root (apt-get) only when something is missing.
set -e
missing=""
need() { command -v "$1" >/dev/null 2>&1 || missing="$missing $2"; }
need gcc gcc
need make make
need ar binutils
need readelf binutils
need timeout coreutils
need bash bash
need pkg-config pkg-config
need gdb gdb		# tests open guest core dumps with it
need valgrind valgrind	# make bench counts dispatch instructions with callgrind
need clang clang		# the libFuzzer targets (make fuzz; make check runs each briefly)
if [ "$(uname -m)" = x86_64 ]; then
	# The nested-paging test boots a Debian kernel in QEMU with a busybox initramfs.
	need qemu-system-x86_64 qemu-system-x86
	need cpio cpio
	need xz xz-utils	# the nested test unpacks the kernel's vmlinux
	{ [ -x /bin/busybox ] && ldd /bin/busybox 2>&1 | grep -q 'not a dynamic'; } ||
		missing="$missing busybox-static"
	ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || missing="$missing linux-image-amd64"
	# The aarch64 tests: cross-built, run under KVM in an emulated arm64 machine
	# (Debian's arm64 kernel and busybox are fetched by tools/arm64-kit.sh).
	need qemu-system-aarch64 qemu-system-arm
	need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
	[ -f /usr/aarch64-linux-gnu/include/stdio.h ] || missing="$missing libc6-dev-arm64-cross"
	need gdb-multiarch gdb-multiarch	# reads the arm64 guest core dumps
fi
[ -f /usr/include/linux/kvm.h ] || missing="$missing linux-libc-dev"
[ -f /usr/include/stdio.h ] || missing="$missing libc6-dev"
[ -f /usr/include/cap-ng.h ] || missing="$missing libcap-ng-dev"	# core/privs.c
[ -f /usr/include/seccomp.h ] || missing="$missing libseccomp-dev"	# core/sandbox.c
[ -f /usr/include/libfdt.h ] || missing="$missing libfdt-dev"		# core/fdt.c
need dtc device-tree-compiler	# the arm64 FDT is checked against golden dtc output
need iasl acpica-tools		# the x86 ACPI tables are checked against golden iasl output
need dh debhelper		# the Debian packages (debian/) are built and checked by a test
need dpkg-buildpackage dpkg-dev
need lintian lintian
need systemd-analyze systemd	# the qvm@.service unit is verified
need rsvg-convert librsvg2-bin	# the benchmark's SVG is rendered to check it
need jq jq			# the benchmark's JSON is parsed back
need mandoc mandoc		# the manual pages are linted
need xmllint libxml2-utils	# ... and its SVG checked as XML
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "qvm: missing packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "qvm: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
