#!/usr/bin/env bash
# Runs the x86_64 guests under qvm inside an emulated AMD machine whose KVM
# uses nested paging (kvm_amd npt=1), as KVM does on real hosts; this
# machine's own KVM does not (see README, "Testing"). Prints TAP-style
# "ok NAME" / "not ok NAME: why" / "skip NAME: why" lines.
#
#   tests/nested/x86-npt.sh BUILD_DIR
#
# The outer machine boots the installed Debian kernel with an initramfs
# holding busybox, the KVM modules of that kernel, qvm, its vdevs, its
# libraries and the guest images; /init runs each guest and prints its exit
# code between markers on the serial console.
set -u
cd "$(dirname "$0")/../.."
B=${1:-build}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

skip_all() { echo "skip nested-npt: $1"; exit 0; }

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

# Each run: NAME EXPECTED-EXIT ARGS... ; output is marked so the host can tell runs apart.
cat >"$R/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in irqbypass kvm ccp kvm-amd; do insmod /mod/$m.ko || echo "NESTED insmod $m failed"; done
echo "NESTED npt $(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null)"
[ -e /dev/kvm ] && echo "NESTED kvm yes" || echo "NESTED kvm no"
cd /t
run() {
	name=$1; shift
	echo "NESTED begin $name"
	timeout -k 5 60 build/qvm "$@" </dev/null 2>&1
	echo "NESTED end $name $?"
}
run demo @guest-images/x86_64/trace-demo.qvmconf
run one-vcpu @tests/configs/ok/base.qvmconf
run wdog @guest-images/x86_64/wdog-demo.qvmconf
echo "NESTED done"
poweroff -f
EOF
chmod +x "$R/init"
(cd "$R" && find . | cpio -o -H newc --quiet) >"$W/outer.cpio" || { echo "not ok nested-npt: cannot build the initramfs"; exit 0; }

timeout -k 10 300 qemu-system-x86_64 -accel tcg -cpu max -m 1G -smp 1 -display none \
	-monitor none -serial stdio -no-reboot -nodefaults \
	-kernel "$KERNEL" -initrd "$W/outer.cpio" \
	-append "console=ttyS0 panic=-1 mitigations=off quiet kvm_amd.npt=1" \
	</dev/null >"$W/console.log" 2>&1
qrc=$?
tr -d '\r' <"$W/console.log" >"$W/log"

section() { sed -n "/^NESTED begin $1\$/,/^NESTED end $1 /p" "$W/log"; }
code_of() { sed -n "s/^NESTED end $1 \([0-9]*\)\$/\1/p" "$W/log"; }
fail_with() { echo "not ok $1: $2"; section "${1#nested-npt/}" | tail -8 | sed 's/^/    /'; }

if ! grep -q '^NESTED done' "$W/log"; then
	echo "not ok nested-npt: the emulated machine did not finish (qemu exit $qrc)"
	tail -15 "$W/log" | sed 's/^/    /'
	exit 0
fi
grep -q '^NESTED kvm yes' "$W/log" || { echo "not ok nested-npt: no /dev/kvm in the emulated machine"; grep '^NESTED' "$W/log" | sed 's/^/    /'; exit 0; }
grep -Eq '^NESTED npt (Y|1)$' "$W/log" || { echo "not ok nested-npt: kvm_amd runs without nested paging"; exit 0; }
echo "ok nested-npt/kvm_amd_with_npt"

# The demo: trace counter strictly increasing 0..3 read by 32-bit MMIO, exit 0.
t=nested-npt/demo
if [ "$(code_of demo)" != 0 ]; then
	fail_with $t "exit $(code_of demo), wanted 0"
elif [ "$(section demo | sed -n 's/^trace counter: //p' | paste -sd' ')" != "0 1 2 3" ]; then
	fail_with $t "trace counter lines: $(section demo | sed -n 's/^trace counter: //p' | paste -sd' ')"
elif ! section demo | grep -q '^all 2 vcpus done'; then
	fail_with $t "the vCPUs did not all check in"
else
	echo "ok $t"
fi
t=nested-npt/one_vcpu
if [ "$(code_of one-vcpu)" = 0 ] && section one-vcpu | grep -q '^all 1 vcpus done'; then
	echo "ok $t"
else
	fail_with $t "exit $(code_of one-vcpu)"
fi
t=nested-npt/watchdog
if [ "$(code_of wdog)" = 4 ] && section wdog | grep -q 'wdog kick 4'; then
	echo "ok $t"
else
	fail_with $t "exit $(code_of wdog), wanted 4 after 4 kicks"
fi
