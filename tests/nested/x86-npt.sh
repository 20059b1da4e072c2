#!/usr/bin/env bash
# Runs the x86_64 guests under qvm inside an emulated AMD machine whose KVM
# uses nested paging (kvm_amd npt=1), as KVM does on real hosts; this
# machine's own KVM does not (see README, "Testing"). On a host whose KVM
# has VMX or SVM, the same commands (tests/nested/x86-body.sh) run directly.
# Prints TAP.
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

# A host whose KVM has VMX or SVM runs the same commands itself, without
# QEMU (QVM_NESTED_NATIVE=1 makes any host do so, =0 none).
NATIVE=
if [ "${QVM_NESTED_NATIVE:-}" = 1 ] || { [ "${QVM_NESTED_NATIVE:-}" != 0 ] &&
		grep -qwE 'vmx|svm' /proc/cpuinfo && [ -w /dev/kvm ]; }; then
	NATIVE=1
fi
[ -n "$NATIVE" ] || command -v qemu-system-x86_64 >/dev/null ||
	skip_all "qemu-system-x86_64 is not installed (tools/deps.sh installs it)"
BUSYBOX=$(command -v busybox) || skip_all "busybox is not installed (tools/deps.sh installs busybox-static)"
ldd "$BUSYBOX" 2>&1 | grep -q 'not a dynamic' || skip_all "$BUSYBOX is not static (install busybox-static)"
KERNEL=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V | tail -1)
[ -n "$KERNEL" ] || skip_all "no Debian kernel in /boot (tools/deps.sh installs linux-image-amd64)"
KVER=${KERNEL#/boot/vmlinuz-}
MODS=/lib/modules/$KVER/kernel
for m in virt/lib/irqbypass.ko arch/x86/kvm/kvm.ko drivers/crypto/ccp/ccp.ko arch/x86/kvm/kvm-amd.ko; do
	[ -n "$NATIVE" ] || [ -f "$MODS/$m" ] ||
		skip_all "$MODS/$m is missing (plain .ko files of linux-image-$KVER)"
done

R=$W/root
mkdir -p "$R"/{bin,dev,proc,sys,tmp,mod,lib64} "$R/t/build/guest-images/x86_64" "$R/t/guest-images/x86_64" \
	"$R/t/tests/configs/ok"
cp "$BUSYBOX" "$R/bin/busybox"
for m in irqbypass kvm ccp kvm-amd; do
	[ -n "$NATIVE" ] || cp "$(find "$MODS" -name "$m.ko" | head -1)" "$R/mod/"
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
# with the ACPI button driver (a module in Debian's kernel), for the power button
BUTTON=$(find "/lib/modules/$KVER" -name button.ko 2>/dev/null | head -1)
guest-images/linux/mkinitramfs.sh "$R/t/initrd.cpio" gcc $BUTTON >"$W/mkinitramfs.log" 2>&1 ||
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
load vmlinux
initrd load initrd.cpio
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
load vmlinuz
initrd load initrd.cpio
cmdline "console=ttyS0 nokaslr panic=-1 pci=off io_delay=none no_timer_check mitigations=off quiet"
vdev ioapic name myioapic
vdev timer8254 intr myioapic:0
vdev mc146818
vdev ser8250 intr myioapic:4
vdev pckeyboard intr myioapic:1
vdev trace loc 0xfa000000
EOF
# the access-test guest (tests/guest/test_access.c runs it on this machine)
cat >"$R/t/access.qvmconf" <<'EOF'
ram 0,16M
load build/guest-images/x86_64/access-test.elf
set quit-on-halt on
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

cp tests/nested/x86-body.sh "$R/t/"
if [ -n "$NATIVE" ]; then
	# this host's KVM has VMX or SVM: the same commands, here, on the tree as laid out
	{ nested_run_fn; echo 'T=$1; . "$T/x86-body.sh"; echo "NESTED done"'; } >"$W/native.sh"
	sh "$W/native.sh" "$R/t" >"$W/console.log" 2>&1
	qrc=$?
else
	nested_init "$R/init"
	cat >>"$R/init" <<'EOF'
for m in irqbypass kvm ccp kvm-amd; do insmod /mod/$m.ko || echo "NESTED insmod $m failed"; done
echo "NESTED npt $(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null)"
[ -e /dev/kvm ] && echo "NESTED kvm yes" || echo "NESTED kvm no"
T=/t
. /t/x86-body.sh
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
fi
nested_log
fail_with() { tap_not_ok "$1" "$2"; section "$3" | tail -8 | tap_diag; }

if ! grep -q '^NESTED done' "$W/log"; then
	fail_all "the emulated machine did not finish (qemu exit $qrc)
$(tail -15 "$W/log")"
fi
if [ -n "$NATIVE" ]; then
	tap_ok kvm_with_hardware_virtualization
else
	grep -q '^NESTED kvm yes' "$W/log" || fail_all "no /dev/kvm in the emulated machine
$(grep '^NESTED' "$W/log")"
	grep -Eq '^NESTED npt (Y|1)$' "$W/log" || fail_all "kvm_amd runs without nested paging"
	tap_ok kvm_amd_with_npt
fi

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
# The vendor's `set exit-on-halt`: a halted vCPU whose HLT exits takes no
# host CPU; one whose HLT stays in the guest holds its CPU (most of 2 s).
on=$(section halt-exits | sed -n 's/^exit-on-halt on: \([0-9]*\) ticks.*/\1/p')
off=$(section halt-exits | sed -n 's/^exit-on-halt off: \([0-9]*\) ticks.*/\1/p')
if [ -n "$on" ] && [ -n "$off" ] && [ "$on" -lt 40 ] && [ "$off" -gt 120 ]; then
	tap_ok exit_on_halt_both_ways
else
	fail_with exit_on_halt_both_ways "CPU ticks over 2 s halted: on '$on' (wanted < 40), off '$off' (wanted > 120)" halt-exits
fi
# Debian's kernel under qvm with the test initramfs, on two vCPUs: the
# trace register read from user space on each, every CPU online, no ACPI
# error in its log, the host's line read from the console through the
# ser8250's input and interrupts, the pckeyboard found by Linux's i8042,
# the power-off through ACPI S5: exit 0.
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
	grep -q 'init: keyboard controller: i8042 KBD port at 0x60,0x64 irq 1$' <<<"$L" ||
		why="${why:+$why; }Linux's i8042 did not find the pckeyboard: $(grep 'keyboard controller' <<<"$L")"
	if [ -z "$why" ]; then
		tap_ok linux_boots_to_userspace_and_powers_off
	else
		tap_not_ok linux_boots_to_userspace_and_powers_off "$why"
		tail -25 <<<"$L" | tap_diag
	fi
	# SIGTERM, the power button: an SCI the guest's ACPI took, and it ran on
	sci=$(sed -n 's/.*init: sci interrupts: \([0-9]*\)$/\1/p' <<<"$L")
	if [ -z "$BUTTON" ]; then
		tap_skip linux_power_button_is_an_acpi_event "no button.ko in /lib/modules/$KVER"
	elif grep -q 'pressing the power button' <<<"$L" && [ "${sci:-0}" -ge 1 ]; then
		tap_ok linux_power_button_is_an_acpi_event
	else
		tap_not_ok linux_power_button_is_an_acpi_event "SCI count '${sci}' after SIGTERM"
	fi
	# the time from qvm's start to the guest's /init, reported, not judged
	t0=$(sed -n 's/^\([0-9.]*\) qvm starts$/\1/p' <<<"$L")
	ti=$(sed -n 's/^\([0-9.]*\) init: started.*/\1/p' <<<"$L")
	[ -n "$t0" ] && [ -n "$ti" ] && echo "# Linux under qvm: /init $(awk -v a="$t0" -v b="$ti" 'BEGIN { printf "%.1f", b - a }') s after qvm started${NATIVE:+ (on this host)}${NATIVE:-" (in the emulated machine)"}"
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
