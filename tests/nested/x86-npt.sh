#!/usr/bin/env bash
# Runs the x86_64 guests under qvm inside an emulated AMD machine whose KVM
# uses nested paging (kvm_amd npt=1), as KVM does on real hosts; this
# machine's own KVM does not (see README, "Testing"). Prints TAP.
#
#   tests/nested/x86-npt.sh BUILD_DIR
#
# The outer machine boots the installed Debian kernel with an initramfs
# holding busybox, the KVM modules of that kernel, qvm, its vdevs, its
# libraries, the guest images, the guest-test programs of tests/guest/,
# and the same kernel as a guest with the test initramfs of
# guest-images/linux; /init runs each and prints its output and exit code
# between markers on the serial console. QVM_NESTED_LOG=FILE keeps a copy
# of that console.
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
cp build/guest-images/x86_64/*.elf build/guest-images/x86_64/*.bin "$R/t/build/guest-images/x86_64/"	# never sanitized
cp guest-images/x86_64/*.qvmconf "$R/t/guest-images/x86_64/"
cp tests/configs/ok/base.qvmconf "$R/t/tests/configs/ok/"
cp "$KERNEL" "$R/t/vmlinuz"	# Linux under qvm: the same kernel, as a bzImage
cp tests/nested/stamp.sh "$R/t/"
# the Linux test guest: busybox, an /init and trace-read (guest-images/linux)
LINUX_WHY=
guest-images/linux/mkinitramfs.sh "$R/t/initrd.cpio" >"$W/mkinitramfs.log" 2>&1 ||
	LINUX_WHY="cannot build the Linux test guest's initramfs: $(tail -1 "$W/mkinitramfs.log")"
# ... and the same kernel as an ELF vmlinux, the xz stream inside the bzImage
# (Debian's kernels are xz-compressed): one vCPU, no input
VMLINUX_WHY=
off=$(LC_ALL=C grep -obUaP '\xfd\x37\x7a\x58\x5a\x00' "$KERNEL" | head -1 | cut -d: -f1)
if [ -z "$off" ] || ! tail -c +$((off + 1)) "$KERNEL" | xz -dcq --single-stream >"$R/t/vmlinux" 2>/dev/null ||
		[ "$(head -c 4 "$R/t/vmlinux" | od -An -c | tr -d ' ')" != '177ELF' ]; then
	rm -f "$R/t/vmlinux"
	VMLINUX_WHY="no xz-compressed vmlinux found in $KERNEL"
fi
cat >"$R/t/vmlinux.qvmconf" <<'EOF'
system vmlinux
ram 0,256M
load /t/vmlinux
initrd load /t/initrd.cpio
cmdline "console=ttyS0 nokaslr panic=-1 pci=off io_delay=none no_timer_check mitigations=off quiet qvm.input=no"
vdev timer8254 intr ioapic:0
vdev ser8250 intr ioapic:4
vdev trace loc 0xfa000000
EOF
cat >"$R/t/linux.qvmconf" <<'EOF'
system linux
ram 0,256M
cpu
cpu
load /t/vmlinuz
initrd load /t/initrd.cpio
cmdline "console=ttyS0 nokaslr panic=-1 pci=off io_delay=none no_timer_check mitigations=off quiet"
vdev ioapic name myioapic
vdev timer8254 intr myioapic:0
vdev mc146818
vdev ser8250 intr myioapic:4
vdev trace loc 0xfa000000
EOF
# the access-test guest (tests/guest/test_access.c runs it on this machine)
cat >"$R/t/access.qvmconf" <<'EOF'
ram 0,16M
load build/guest-images/x86_64/access-test.elf
set exit-on-halt on
vdev ser8250
vdev trace loc 0xfa000000
EOF
# the guest-test programs of tests/guest/ with their vdevs and libraries
mkdir -p "$R/t/build/tests/guest/x86_64"
cp "$B"/tests/vdev-*.so "$R/t/build/tests/" 2>/dev/null
for t in "$B"/tests/guest/test_* "$B"/tests/guest/x86_64/test_*; do
	[ -x "$t" ] || continue
	cp "$t" "$R/t/build/tests/guest/${t#"$B"/tests/guest/}"
	ldd "$t" | grep -o '/[^ ]*' | while read -r lib; do
		mkdir -p "$R$(dirname "$lib")"
		cp -L "$lib" "$R$lib"
	done
done

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
# Linux with its initramfs: the host's line goes in once the guest asks for it
# (input sent earlier is lost when the kernel opens the port); each line stamped
if [ -s /t/initrd.cpio ]; then
	echo "NESTED begin linux"
	mkfifo /tmp/in
	read -r t0 _ </proc/uptime
	echo "$t0 qvm starts"
	(timeout -k 5 120 build/qvm @linux.qvmconf </tmp/in 2>&1; echo "qvm exit $?") | sh /t/stamp.sh >/tmp/linux.out &
	exec 3>/tmp/in
	i=0
	while [ $i -lt 1200 ] && ! grep -q 'init: ready for input' /tmp/linux.out; do
		usleep 100000; i=$((i + 1))
	done
	echo "hello from the host" >&3
	exec 3>&-
	wait
	cat /tmp/linux.out
	echo "NESTED end linux $(sed -n 's/.*qvm exit \([0-9]*\)$/\1/p' /tmp/linux.out)"
fi
[ -s /t/vmlinux ] && [ -s /t/initrd.cpio ] && RUN_SECONDS=120 run vmlinux build/qvm @vmlinux.qvmconf
# the guest-test programs, as make check runs them on the host
mkdir -p /tmp/gt
for t in build/tests/guest/test_* build/tests/guest/x86_64/test_*; do
	[ -x "$t" ] && RUN_SECONDS=300 run "guest-${t##*/}" env QVM=/t/build/qvm B=build TMPDIR=/tmp/gt "$t"
done
echo "NESTED done"
poweroff -f
EOF
nested_pack "$R" "$W/outer.cpio" || fail_all "cannot build the initramfs"

timeout -k 10 900 qemu-system-x86_64 -accel tcg -cpu max -m 1G -smp 1 -display none \
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
# Debian's kernel under qvm with the test initramfs, on two vCPUs: the
# trace register read from user space on each, every CPU online, no ACPI
# error in its log, the host's line read from the console through the
# ser8250's input and interrupts, the power-off through ACPI S5: exit 0.
if [ -n "$LINUX_WHY" ]; then
	tap_skip linux_boots_to_userspace_and_powers_off "$LINUX_WHY"
else
	L=$(section linux)
	cpus=$(sed -n 's/.*trace cpu \([0-9]*\): [0-9]*$/\1/p' <<<"$L" | sort -u | paste -sd' ')
	why=
	[ "$(code_of linux)" = 0 ] || why="exit $(code_of linux)"
	grep -q 'init: trace register at 0xfa000000$' <<<"$L" || why="${why:+$why; }the trace register was not found in ACPI"
	[ "$cpus" = "0 1" ] || why="${why:+$why; }trace read on cpus '$cpus', wanted '0 1'"
	grep -q 'trace: 2 cpus read$' <<<"$L" || why="${why:+$why; }trace-read did not finish"
	grep -q 'init: cpus online: 2$' <<<"$L" || why="${why:+$why; }not 2 cpus online"
	grep -q 'init: acpi problems: 0$' <<<"$L" || why="${why:+$why; }ACPI problems: $(grep 'acpi problem' <<<"$L" | head -3)"
	grep -q 'init: input: hello from the host$' <<<"$L" || why="${why:+$why; }the host's line did not arrive"
	grep -q 'the guest powered off (ACPI S5)' <<<"$L" || why="${why:+$why; }no ACPI power-off"
	if [ -z "$why" ]; then
		tap_ok linux_boots_to_userspace_and_powers_off
	else
		tap_not_ok linux_boots_to_userspace_and_powers_off "$why"
		tail -25 <<<"$L" | tap_diag
	fi
	# the time from qvm's start to the guest's /init, reported, not judged
	t0=$(sed -n 's/^\([0-9.]*\) qvm starts$/\1/p' <<<"$L")
	ti=$(sed -n 's/^\([0-9.]*\) init: started.*/\1/p' <<<"$L")
	[ -n "$t0" ] && [ -n "$ti" ] && echo "# Linux under qvm: /init $(awk -v a="$t0" -v b="$ti" 'BEGIN { printf "%.1f", b - a }') s after qvm started (in the emulated machine)"
fi
# The same kernel as an ELF vmlinux (its "Linux" note: the 64-bit boot
# protocol at its ELF entry, with a zero page qvm makes the header of)
if [ -n "$LINUX_WHY$VMLINUX_WHY" ]; then
	tap_skip vmlinux_boots_to_userspace "$LINUX_WHY$VMLINUX_WHY"
elif [ "$(code_of vmlinux)" = 0 ] && section vmlinux | grep -q 'trace: 1 cpus read$' &&
		section vmlinux | grep -q 'the guest powered off (ACPI S5)'; then
	tap_ok vmlinux_boots_to_userspace
else
	fail_with vmlinux_boots_to_userspace "exit $(code_of vmlinux)" vmlinux
fi
# The guest-test programs of tests/guest/, on KVM with nested paging
tap_runs "$W/log" guest guest
tap_end
