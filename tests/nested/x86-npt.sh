#!/usr/bin/env bash
# Runs the x86_64 guests under qvm inside an emulated AMD machine whose KVM
# uses nested paging (kvm_amd npt=1), as KVM does on real hosts; this
# machine's own KVM does not (see README, "Testing"). Prints TAP.
#
#   tests/nested/x86-npt.sh BUILD_DIR
#
# The outer machine boots the installed Debian kernel with an initramfs
# holding busybox, the KVM modules of that kernel, qvm, its vdevs, its
# libraries and the guest images, and the same kernel as a guest; /init runs
# each guest and prints its exit code between markers on the serial console.
set -u
cd "$(dirname "$0")/../.."
B=${1:-build}
. tests/tap.sh
. tests/nested/lib.sh
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

skip_all() { tap_skip nested_npt "$1"; tap_end; exit; }
fail_all() { tap_not_ok nested_npt "$1"; tap_end; exit; }

command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed (tools/deps.sh installs it)"
BUSYBOX=$(command -v busybox) || skip_all "busybox is not installed (tools/deps.sh installs busybox-static)"
ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic' || skip_all "$BUSYBOX is not static (install busybox-static)"
KERNEL=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -1)
[ -n "$KERNEL" ] || skip_all "no Debian kernel in /boot (tools/deps.sh installs linux-image-amd64)"
KVER=${KERNEL#/boot/vmlinuz-}
MODS=/lib/modules/$KVER/kernel
for m in virt/lib/irqbypass.ko arch/x86/kvm/kvm.ko drivers/crypto/ccp/ccp.ko arch/x86/kvm/kvm-amd.ko; do
	[ -f "$MODS/$m" ] || skip_all "$MODS/$m is missing (plain .ko files of linux-image-$KVER)"
done

R=$W/root
mkdir -p "$R"/{bin,dev,proc,sys,tmp,mod,lib64} "$R/t/build/guest-images/x86_64" "$R/t/guest-images/x86_64" \
	"$R/t/tests/configs/ok"
cp "$BUSYBOX" "$R/bin/busybox"
for m in irqbypass kvm ccp kvm-amd; do
	cp "$(find "$MODS" -name "$m.ko" | head -1)" "$R/mod/"
done
# qvm, its vdevs (found beside it) and every library they need
cp "$B/qvm" "$B"/vdev-*.so "$R/t/build/"
for f in "$B/qvm" "$B"/vdev-*.so; do
	ldd "$f" | grep -o '/[^ ]*' | while read -r lib; do
		mkdir -p "$R$(dirname "$lib")"
		cp -L "$lib" "$R$lib"
	done
done
cp build/guest-images/x86_64/*.elf "$R/t/build/guest-images/x86_64/"	# never sanitized: always here
cp guest-images/x86_64/*.qvmconf "$R/t/guest-images/x86_64/"
cp tests/configs/ok/base.qvmconf "$R/t/tests/configs/ok/"
cp "$KERNEL" "$R/t/vmlinuz"	# Linux under qvm: the bzImage, no initrd
# the access-test guest (tests/guest/test_access.c runs it on this machine)
cat >"$R/t/access.qvmconf" <<'EOF'
ram 0,16M
load build/guest-images/x86_64/access-test.elf
set exit-on-halt on
vdev ser8250
vdev trace loc 0xfa000000
EOF

nested_init "$R/init"
cat >>"$R/init" <<'EOF'
for m in irqbypass kvm ccp kvm-amd; do insmod /mod/$m.ko || echo "NESTED insmod $m failed"; done
echo "NESTED npt $(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null)"
[ -e /dev/kvm ] && echo "NESTED kvm yes" || echo "NESTED kvm no"
cd /t
run demo build/qvm @guest-images/x86_64/trace-demo.qvmconf
run one-vcpu build/qvm @tests/configs/ok/base.qvmconf
run wdog build/qvm @guest-images/x86_64/wdog-demo.qvmconf
run access build/qvm @access.qvmconf
RUN_SECONDS=120 run linux build/qvm ram 0,256M load /t/vmlinuz vdev ser8250 \
	cmdline "console=ttyS0 panic=-1 mitigations=off no_timer_check"
echo "NESTED done"
poweroff -f
EOF
nested_pack "$R" "$W/outer.cpio" || fail_all "cannot build the initramfs"

timeout -k 10 300 qemu-system-x86_64 -accel tcg -cpu max -m 1G -smp 1 -display none \
	-monitor none -serial stdio -no-reboot -nodefaults \
	-kernel "$KERNEL" -initrd "$W/outer.cpio" \
	-append "console=ttyS0 panic=-1 mitigations=off quiet kvm_amd.npt=1" \
	</dev/null >"$W/console.log" 2>&1
qrc=$?
nested_log
fail_with() { tap_not_ok "$1" "$2"; section "$3" | tail -8 | tap_diag; }

if ! grep -q '^NESTED done' "$W/log"; then
	fail_all "the emulated machine did not finish (qemu exit $qrc)
$(tail -15 "$W/log")"
fi
grep -q '^NESTED kvm yes' "$W/log" || fail_all "no /dev/kvm in the emulated machine
$(grep '^NESTED' "$W/log")"
grep -Eq '^NESTED npt (Y|1)$' "$W/log" || fail_all "kvm_amd runs without nested paging"
tap_ok kvm_amd_with_npt

# The demo: trace counter strictly increasing 0..3 read by 32-bit MMIO, exit 0.
counters=$(section demo | sed -n 's/^trace counter: //p' | paste -sd' ')
if [ "$(code_of demo)" != 0 ]; then
	fail_with demo "exit $(code_of demo), wanted 0" demo
elif [ "$counters" != "0 1 2 3" ]; then
	fail_with demo "trace counter lines: $counters" demo
elif ! section demo | grep -q '^all 2 vcpus done'; then
	fail_with demo "the vCPUs did not all check in" demo
else
	tap_ok demo
fi
if [ "$(code_of one-vcpu)" = 0 ] && section one-vcpu | grep -q '^all 1 vcpus done'; then
	tap_ok one_vcpu
else
	fail_with one_vcpu "exit $(code_of one-vcpu)" one-vcpu
fi
if [ "$(code_of wdog)" = 4 ] && section wdog | grep -q 'wdog kick 4'; then
	tap_ok watchdog
else
	fail_with watchdog "exit $(code_of wdog), wanted 4 after 4 kicks" wdog
fi
if [ "$(code_of access)" = 0 ] && section access | grep -q '^guest done' &&
		! section access | grep -q '^guest assert'; then
	tap_ok access_widths
else
	fail_with access_widths "exit $(code_of access): $(section access | grep -m1 '^guest assert')" access
fi
# Debian's kernel through the 64-bit boot protocol: it reads the zero page
# (its command line, the e820 map), prints its boot log on the 8250, finds
# no root, panics and resets through the keyboard controller: exit 0.
if [ "$(code_of linux)" = 0 ] && section linux | grep -q '^\[ *[0-9.]*\] Linux version ' &&
		section linux | grep -q 'Command line: console=ttyS0 panic=-1' &&
		section linux | grep -q 'BIOS-e820: \[mem 0x0000000000100000-0x000000000fffffff\] usable' &&
		section linux | grep -q 'Kernel panic - not syncing: VFS: Unable to mount root fs' &&
		section linux | grep -q 'the guest asked for a system reset (0xfe to io:0x64)'; then
	tap_ok linux_boots_to_its_panic_and_resets
else
	fail_with linux_boots_to_its_panic_and_resets "exit $(code_of linux)" linux
fi
tap_end
