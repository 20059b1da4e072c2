#!/usr/bin/env bash
# Boots Debian's arm64 kernel in an emulated arm64 machine with emulated EL2
# (qemu-system-aarch64 -M virt,virtualization=on), where KVM works, and runs
# there what is cross-built for aarch64: today the KVM probe
# (tests/nested/arm64-probe.c), the ground the aarch64 port stands on, and a
# program linked as qvm will be (tests/nested/arm64-libs.c), with the arm64
# loader and libraries in the initramfs; and qvm itself, cross-built
# (make ARCH=aarch64), running a raw guest that stores to a trace vdev and
# powers off with PSCI.
# Prints TAP.
#
#   tests/nested/arm64-kvm.sh BUILD_DIR
#
# The kernel and a static busybox come from Debian's arm64 packages
# (tools/arm64-kit.sh, kept in BUILD_DIR/arm64-kit). /init runs each program
# between markers on the console (tests/nested/lib.sh) and powers off.
set -u
cd "$(dirname "$0")/../.."
B=${1:-build}
. tests/tap.sh
. tests/nested/lib.sh
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
KIT=$B/arm64-kit
CC=aarch64-linux-gnu-gcc

skip_all() { tap_skip arm64_kvm "$1"; tap_end; exit; }
fail_all() { tap_not_ok arm64_kvm "$1"; tap_end; exit; }

command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed (tools/deps.sh installs qemu-system-arm)"
command -v $CC >/dev/null || skip_all "$CC is not installed (tools/deps.sh installs gcc-aarch64-linux-gnu)"
tools/arm64-kit.sh "$KIT" >/dev/null 2>"$W/kit.err" ||
	skip_all "Debian's arm64 kernel and busybox cannot be fetched here: $(tail -1 "$W/kit.err")"

S=$(realpath "$KIT/sysroot")
CROSS_LIB=/usr/aarch64-linux-gnu/lib	# libc6-arm64-cross
R=$W/root
mkdir -p "$R"/{bin,dev,proc,sys,t} "$R/lib/aarch64-linux-gnu"
cp "$KIT/busybox" "$R/bin/busybox"
$CC -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static -o "$R/t/probe" \
	tests/nested/arm64-probe.c 2>"$W/cc.err" || fail_all "cannot build the probe: $(head -3 "$W/cc.err")"
$CC -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$S/usr/include" -L"$S/usr/lib/aarch64-linux-gnu" \
	-L"$S/lib/aarch64-linux-gnu" -Wl,-rpath-link,"$S/lib/aarch64-linux-gnu" -o "$R/t/libs" \
	tests/nested/arm64-libs.c -lcap-ng -lseccomp -lfdt -ldl 2>"$W/cc.err" ||
	fail_all "cannot build the library check: $(head -3 "$W/cc.err")"
# qvm and its vdevs for aarch64, in build-aarch64
make -s ARCH=aarch64 SANITIZE= ARM64_SYSROOT="$S" all >"$W/make.log" 2>&1 ||
	fail_all "the aarch64 cross build failed: $(grep -m3 -E 'error|Error' "$W/make.log")"
mkdir -p "$R/t/build"
cp build-aarch64/qvm build-aarch64/vdev-*.so "$R/t/build/"
# The raw guest (the probe's): a 32-bit store of 0x42 to the trace vdev, then PSCI SYSTEM_OFF.
printf '\x01\x20\xa1\xd2\x42\x08\x80\x52\x22\x00\x00\xb9\x00\x01\x80\xd2\x00\x80\xb0\xf2\x02\x00\x00\xd4\x00\x00\x00\x14' >"$R/t/guest.bin"
printf 'ram 0x40000000,16M\nload 0x40000000,guest.bin\nvdev trace loc 0x09000000 emit-logger\n' \
	>"$R/t/raw.qvmconf"
# the loader where the program asks for it, the libraries where it looks by default
cp -L "$CROSS_LIB/ld-linux-aarch64.so.1" "$R/lib/"
cp -L "$CROSS_LIB/libc.so.6" "$CROSS_LIB/libdl.so.2" "$R/lib/aarch64-linux-gnu/"
cp -L "$S"/lib/aarch64-linux-gnu/*.so.* "$S"/usr/lib/aarch64-linux-gnu/*.so.* "$R/lib/aarch64-linux-gnu/"
nested_init "$R/init"
cat >>"$R/init" <<'EOF'
[ -e /dev/kvm ] && echo "NESTED kvm yes" || echo "NESTED kvm no"
run probe /t/probe
run libs /t/libs
cd /t
run qvm-raw build/qvm @raw.qvmconf
echo "NESTED done"
poweroff -f
EOF
nested_pack "$R" "$W/root.cpio" || fail_all "cannot build the initramfs"

# pauth-impdef: the architected pointer authentication is slow to emulate (host.md)
timeout -k 10 300 qemu-system-aarch64 -M virt,virtualization=on,gic-version=3 \
	-cpu max,pauth-impdef=on -smp 2 -m 1024 -display none -monitor none -serial stdio \
	-no-reboot -nodefaults -kernel "$KIT/Image" -initrd "$W/root.cpio" \
	-append "console=ttyAMA0 panic=-1 quiet" </dev/null >"$W/console.log" 2>&1
qrc=$?
nested_log

grep -q '^NESTED done' "$W/log" || fail_all "the emulated machine did not finish (qemu exit $qrc)
$(tail -15 "$W/log")"
grep -q '^NESTED kvm yes' "$W/log" || fail_all "no /dev/kvm in the emulated arm64 machine"
tap_ok kvm_in_emulated_arm64

# The probe: an MMIO store exit with its address, width and data; SYSTEM_OFF by KVM's PSCI.
if [ "$(code_of probe)" = 0 ] && section probe | grep -q '^probe ok$'; then
	tap_ok kvm_probe_mmio_and_psci
else
	tap_not_ok kvm_probe_mmio_and_psci "exit $(code_of probe)"
	section probe | tail -8 | tap_diag
fi
# Dynamically linked against the arm64 libcap-ng, libseccomp and libfdt; dlopen() works.
if [ "$(code_of libs)" = 0 ] && section libs | grep -q '^libs ok$'; then
	tap_ok dynamic_libs_and_dlopen
else
	tap_not_ok dynamic_libs_and_dlopen "exit $(code_of libs)"
	section libs | tail -8 | tap_diag
fi
# qvm on arm64: the store reaches the trace vdev, SYSTEM_OFF ends qvm with 0.
if [ "$(code_of qvm-raw)" = 0 ] && section qvm-raw | grep -q 'trace: write 0x00000042 at 0x9000000' &&
		section qvm-raw | grep -q 'the guest asked for a system shutdown'; then
	tap_ok qvm_raw_guest_trace_and_system_off
else
	tap_not_ok qvm_raw_guest_trace_and_system_off "exit $(code_of qvm-raw)"
	section qvm-raw | tail -8 | tap_diag
fi
tap_end
