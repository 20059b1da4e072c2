#!/usr/bin/env bash
# The aarch64 tests. On x86_64: boots Debian's arm64 kernel in an emulated
# arm64 machine with emulated EL2 (qemu-system-aarch64 -M
# virt,virtualization=on), where KVM works, and runs there what is
# cross-built for aarch64 (make ARCH=aarch64): a KVM probe
# (tests/nested/arm64-probe.c), a program linked as qvm is
# (tests/nested/arm64-libs.c) with the arm64 loader and libraries in the
# initramfs, and qvm with its vdevs, guests and bench tools
# (tests/nested/arm64-body.sh); then the unit tests and the suites
# tests/run.sh runs (cli, inputs, golden, nokvm, signals, privs, sdk), as
# they run on an arm64 host. On an arm64 host with /dev/kvm: the same
# commands, directly, on what `make` built (tests/run.sh runs the unit
# tests and the suites there itself). Prints TAP.
#
#   tests/nested/arm64-kvm.sh BUILD_DIR
#
# The kernel, a static busybox and bash, and setpriv come from Debian's arm64
# packages (tools/arm64-kit.sh, kept in BUILD_DIR/arm64-kit). /init runs each program
# between markers on the console (tests/nested/lib.sh) and powers off.
set -u
cd "$(dirname "$0")/../.."
B=${1:-build}
. tests/tap.sh
. tests/nested/lib.sh
. tests/bench-table.sh
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
KIT=$B/arm64-kit

skip_all() { tap_skip arm64_kvm "$1"; tap_end; exit; }
fail_all() { tap_not_ok arm64_kvm "$1"; tap_end; exit; }

if [ "$(uname -m)" = aarch64 ]; then
	# Native: what `make` built in BUILD_DIR, laid out in $W/t and run here.
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip_all "/dev/kvm is not usable on this machine"
	NATIVE=1 CC=gcc QB=$B T=$W/t RT=$W/t
	mkdir -p "$T"
	$CC -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$T/probe" tests/nested/arm64-probe.c \
		2>"$W/cc.err" || fail_all "cannot build the probe: $(head -3 "$W/cc.err")"
	$CC -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "$T/libs" tests/nested/arm64-libs.c \
		-lcap-ng -lseccomp -lfdt -ldl 2>"$W/cc.err" ||
		fail_all "cannot build the library check: $(head -3 "$W/cc.err")"
else
	NATIVE= CC=aarch64-linux-gnu-gcc QB=build-aarch64
	command -v qemu-system-aarch64 >/dev/null || skip_all "qemu-system-aarch64 is not installed (tools/deps.sh installs qemu-system-arm)"
	command -v $CC >/dev/null || skip_all "$CC is not installed (tools/deps.sh installs gcc-aarch64-linux-gnu)"
	tools/arm64-kit.sh "$KIT" >/dev/null 2>"$W/kit.err" ||
		skip_all "Debian's arm64 kernel and busybox cannot be fetched here: $(tail -1 "$W/kit.err")"
	S=$(realpath "$KIT/sysroot")
	CROSS_LIB=/usr/aarch64-linux-gnu/lib	# libc6-arm64-cross
	R=$W/root T=$W/root/t RT=/t
	mkdir -p "$R"/{bin,dev,etc,proc,sys,t,usr} "$R/lib/aarch64-linux-gnu"
	# (util-linux's setpriv apart from /bin, where busybox puts its own, which has fewer options)
	mkdir -p "$R/usr/local/bin"
	cp "$KIT/busybox" "$R/bin/busybox" && cp "$KIT/bash" "$R/bin/bash" && cp "$KIT/setpriv" "$R/usr/local/bin/"
	ln -s /bin "$R/usr/bin"	# for #!/usr/bin/env
	# root, and the user the privilege tests run qvm as
	printf '%s\n' root:x:0:0:root:/:/bin/sh nobody:x:65534:65534:nobody:/:/bin/false >"$R/etc/passwd"
	printf '%s\n' root:x:0: kvm:x:36: nogroup:x:65534: >"$R/etc/group"
	$CC -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -static -o "$T/probe" \
		tests/nested/arm64-probe.c 2>"$W/cc.err" || fail_all "cannot build the probe: $(head -3 "$W/cc.err")"
	$CC -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$S/usr/include" -L"$S/usr/lib/aarch64-linux-gnu" \
		-L"$S/lib/aarch64-linux-gnu" -Wl,-rpath-link,"$S/lib/aarch64-linux-gnu" -o "$T/libs" \
		tests/nested/arm64-libs.c -lcap-ng -lseccomp -lfdt -ldl 2>"$W/cc.err" ||
		fail_all "cannot build the library check: $(head -3 "$W/cc.err")"
	# qvm and its vdevs for aarch64, in build-aarch64
	make -s ARCH=aarch64 SANITIZE= ARM64_SYSROOT="$S" all tools unit "$QB/tests/exec-pending" >"$W/make.log" 2>&1 ||
		fail_all "the aarch64 cross build failed: $(grep -m3 -E 'error|Error' "$W/make.log")"
fi
# $T: the tree the commands run in; $RT: its name where they run (/t in the emulated machine)
mkdir -p "$T/build" "$T/build/guest-images/aarch64" "$T/guest-images/aarch64"
cp "$QB/qvm" "$QB"/vdev-*.so "$QB/tools/qvm-bench" "$QB/tools/kvm-baseline" "$T/build/" ||
	fail_all "qvm, its vdevs or the bench tools are not built in $QB"
# the guest-test programs of tests/guest/ and their vdevs, run where build/ is the tree's
mkdir -p "$T/build/tests/guest"
cp "$QB"/tests/vdev-*.so "$T/build/tests/" && cp "$QB"/tests/guest/test_* "$T/build/tests/guest/" ||
	fail_all "the guest-test programs are not built in $QB (make guest-tests)"
cp build/guest-images/aarch64/*.elf "$T/build/guest-images/aarch64/"
cp guest-images/aarch64/*.qvmconf "$T/guest-images/aarch64/"
cp tests/nested/arm64-body.sh tests/nested/arm64-gicv2.sh tests/nested/arm64-suites.sh tests/nested/stamp.sh "$T/"
if [ -z "$NATIVE" ]; then
	# the unit tests, and the suites with their configurations and what make built for them
	mkdir -p "$T/tests" "$T/build/tools" "$T/build/tests/execstack"
	cp "$QB"/tests/test_* "$QB/tests/exec-pending" "$T/build/tests/" &&
		cp "$QB/tests/execstack/vdev-forbid.so" "$T/build/tests/execstack/" &&
		cp "$QB/tools/qvm-bench" "$QB/tools/kvm-baseline" "$QB/tools/startup-bench" "$T/build/tools/" ||
		fail_all "the unit tests or the suites' programs are not built in $QB"
	cp tests/*.sh "$T/tests/" && cp -r tests/configs "$T/tests/"
fi
# The demo again, with its FDT written out for dtc on this side
# (and a second UART: stdout-path names the first)
sed "s|^system trace-demo|system fdt-demo\\nset fdt-dump-file $RT/demo.dtb|" \
	guest-images/aarch64/trace-demo.qvmconf >"$T/guest-images/aarch64/fdt-demo.qvmconf"
# (and a second UART: stdout-path names the first; an SP805 and a 16550 in memory space)
printf '%s\n' 'vdev pl011 loc 0x09030000 intr gic:35 hostdev >/dev/null' \
	'vdev wdt-sp805 loc 0x09040000 intr gic:36 frequency 32768' \
	'vdev ser8250 loc mem:0x09050000 hostdev >/dev/null' >>"$T/guest-images/aarch64/fdt-demo.qvmconf"
# Debian's arm64 Linux under qvm: the FDT it is given, its pl011 console; no root, so it panics and resets
cp "$KIT/Image" "$T/linux.Image" 2>/dev/null
printf '%s\n' 'system linux' 'ram 256M' 'cpu' 'cpu' 'load linux.Image' \
	'cmdline "console=ttyAMA0 panic=-1 loglevel=7"' 'vdev pl011 loc 0x09000000 intr gic:33' >"$T/linux.qvmconf"
# The raw guest (the probe's): a 32-bit store of 0x42 to the trace vdev, then PSCI SYSTEM_OFF.
printf '\x01\x20\xa1\xd2\x42\x08\x80\x52\x22\x00\x00\xb9\x00\x01\x80\xd2\x00\x80\xb0\xf2\x02\x00\x00\xd4\x00\x00\x00\x14' >"$T/guest.bin"
printf 'ram 0x40000000,16M\nload 0x40000000,guest.bin\nvdev trace loc 0x09000000 emit-logger\n' \
	>"$T/raw.qvmconf"
# words W...: each 32-bit hex word, little-endian, to stdout
words() {
	local w
	for w; do
		w=$(printf %08x $((16#$w)))
		printf "\\x${w:6:2}\\x${w:4:2}\\x${w:2:2}\\x${w:0:2}"
	done
}
# What the entry state says, told to the trace vdev at 0x09000000: x0 (the
# FDT's address), then pc (where the image was put), then SYSTEM_OFF.
REPORT="d2a12001 b9000020 10000002 b9000022 d2800100 f2b08000 d4000002 14000000"
words $REPORT >"$T/entry.bin"
# The same behind an arm64 Image header: b +64, text_offset 0x100000, image_size 1 MiB, "ARM\x64"
words 14000010 0 00100000 0 00100000 0 0 0 0 0 0 0 0 0 644d5241 0 $REPORT >"$T/entry.Image"
words d2800120 f2b08000 d4000002 14000000 >"$T/reset.bin"	# PSCI SYSTEM_RESET
# WFI in a loop with IRQs masked (halted for good), and with them unmasked
words d5034fdf d503207f 17ffffff >"$T/halt.bin"
words d5034fff d503207f 17ffffff >"$T/wait.bin"
printf 'ram 16M\ncpu\ncpu\nload halt.bin\nset quit-on-halt on\n' >"$T/halt.qvmconf"
printf 'ram 16M\nload wait.bin\nset quit-on-halt on\n' >"$T/wait.qvmconf"
printf 'ram 16M\nload reset.bin\n' >"$T/reset.qvmconf"
printf 'ram 256M\nload entry.bin\nvdev trace loc 0x09000000 emit-logger\n' >"$T/raw-default.qvmconf"
printf 'ram 0x40000000,256M\nload entry.Image\nvdev trace loc 0x09000000 emit-logger\n' >"$T/image.qvmconf"
printf 'ram 0x40000000,64M\nload entry.Image\nvdev trace loc 0x09000000 emit-logger\n' >"$T/image-small.qvmconf"
printf '/dts-v1/;\n/ { model = "mine"; #address-cells = <2>; #size-cells = <2>; };\n' >"$W/user.dts"
dtc -I dts -O dtb -o "$T/user.dtb" "$W/user.dts" 2>/dev/null || : >"$T/user.dtb"
printf 'ram 0x40000000,64M\nload entry.Image\nfdt load 0x40200000,user.dtb\nvdev trace loc 0x09000000 emit-logger\n' >"$T/fdt-load.qvmconf"
head -c 200 /dev/urandom >"$T/bad.dtb"
head -c 1000 /dev/zero >"$T/rd.bin"
printf 'ram 0x40000000,64M\nload entry.Image\ninitrd load rd.bin\ncmdline "console=ttyAMA0 rdinit=/t"\nset fdt-dump-file '"$RT"'/rd.dtb\nvdev trace loc 0x09000000 emit-logger\n' >"$T/initrd.qvmconf"
printf 'ram 0x40000000,64M\nload entry.Image\nfdt load bad.dtb\n' >"$T/fdt-bad.qvmconf"
if [ -n "$NATIVE" ]; then
	nested_run_fn >"$W/run.sh"
	(cd "$T" && . "$W/run.sh" && . "$T/arm64-body.sh" && echo "NESTED done") >"$W/console.log" 2>&1
	qrc=$?
else
	# the loader where the program asks for it, the libraries where it looks by default
	cp -L "$CROSS_LIB/ld-linux-aarch64.so.1" "$R/lib/"
	cp -L "$CROSS_LIB/libc.so.6" "$CROSS_LIB/libdl.so.2" "$CROSS_LIB/libm.so.6" "$R/lib/aarch64-linux-gnu/"
	cp -L "$S"/lib/aarch64-linux-gnu/*.so.* "$S"/usr/lib/aarch64-linux-gnu/*.so.* "$R/lib/aarch64-linux-gnu/"
	# boot GIC BODY LOG: the emulated machine with a GICv<GIC>, /init sourcing BODY
	boot() {
		nested_init "$R/init"
		# /dev/kvm as udev leaves it on Debian: group kvm, 0660
		printf '%s\n' 'chgrp kvm /dev/kvm; chmod 660 /dev/kvm' >>"$R/init"
		printf 'export PATH=/usr/local/bin:$PATH T=/t\n. /t/%s\necho "NESTED done"\npoweroff -f\n' "$2" >>"$R/init"
		nested_pack "$R" "$W/root.cpio" || fail_all "cannot build the initramfs"
		# pauth-impdef: the architected pointer authentication is slow to emulate (host.md)
		timeout -k 10 "${4:-300}" qemu-system-aarch64 -M virt,virtualization=on,gic-version=$1 \
			-cpu max,pauth-impdef=on -smp 2 -m 1024 -display none -monitor none -serial stdio \
			-no-reboot -nodefaults -kernel "$KIT/Image" -initrd "$W/root.cpio" \
			-append "console=ttyAMA0 panic=-1 quiet" </dev/null >"$3" 2>&1
	}
	boot 3 arm64-body.sh "$W/console.log"
	qrc=$?
	# KVM makes a GICv2 only on a host GIC with v2 compatibility: QEMU's GICv2 has it
	boot 2 arm64-gicv2.sh "$W/console-v2.log"
	boot 3 arm64-suites.sh "$W/console-suites.log" 900
fi
nested_log

grep -q '^NESTED done' "$W/log" || fail_all "the arm64 tests did not finish (exit $qrc)
$(tail -15 "$W/log")"
grep -q '^NESTED kvm yes' "$W/log" || fail_all "no /dev/kvm where the arm64 tests ran"
tap_ok kvm_on_arm64

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
# entry NAME X0 PC: the guest told the trace vdev its x0 and its pc, then powered off.
entry() {
	local got
	got=$(section "$1" | sed -n 's/.*trace: write 0x\([0-9a-f]*\) at 0x9000000.*/\1/p' | tr '\n' ' ')
	if [ "$(code_of "$1")" = 0 ] && [ "$got" = "$2 $3 " ]; then
		tap_ok "arm64_entry_$1"
	else
		tap_not_ok "arm64_entry_$1" "exit $(code_of "$1"); x0 pc: $got (wanted $2 $3)"
		section "$1" | tail -4 | tap_diag
	fi
}
# ram without a start begins at 0x40000000, a raw image goes 0x80000 in, the
# FDT at RAM + 128 MiB; an Image at 2 MiB-aligned RAM + text_offset; with
# too little RAM for +128 MiB the FDT goes to the top (2 MiB block, 8-aligned);
# `fdt load ADDR,FILE` puts the user's tree there.
entry raw-default 48000000 40080008
entry image 48000000 40100048
fdt_top=$(section image-small | sed -n 's/.*trace: write 0x\([0-9a-f]*\) at 0x9000000.*/\1/p' | head -1)
case $fdt_top in
43f[0-9a-f][0-9a-f][0-9a-f][0-9a-f]?) [ $((0x$fdt_top % 8)) = 0 ] && entry image-small "$fdt_top" 40100048 ||
	tap_not_ok arm64_entry_image-small "FDT at 0x$fdt_top is not 8-byte aligned";;
*) tap_not_ok arm64_entry_image-small "FDT at 0x$fdt_top, not in the top 2 MiB block of 64 MiB of RAM";;
esac
entry fdt-load 40200000 40100048
# initrd load: at the top of RAM (page-aligned), in /chosen with the cmdline; the FDT just below it
section rd-dtb | sed '1d;$d' | base64 -d >"$W/rd.dtb" 2>/dev/null
rd_dts=$(dtc -I dtb -O dts "$W/rd.dtb" 2>/dev/null)
rd_x0=$(section initrd | sed -n 's/.*trace: write 0x\([0-9a-f]*\) at 0x9000000.*/\1/p' | head -1)
if [ "$(code_of initrd)" = 0 ] && echo "$rd_dts" | grep -qF 'linux,initrd-start = <0x00 0x43fff000>;' &&
		echo "$rd_dts" | grep -qF 'linux,initrd-end = <0x00 0x43fff3e8>;' &&
		echo "$rd_dts" | grep -qF 'bootargs = "console=ttyAMA0 rdinit=/t";' &&
		[ -n "$rd_x0" ] && [ $((0x$rd_x0)) -lt $((0x43fff000)) ] && [ $((0x$rd_x0)) -ge $((0x43e00000)) ]; then
	tap_ok arm64_initrd_in_chosen
else
	tap_not_ok arm64_initrd_in_chosen "exit $(code_of initrd), FDT at 0x$rd_x0"
	echo "$rd_dts" | grep -A4 chosen | tap_diag
fi
# quit-on-halt: vCPU 0 in WFI with IRQs masked and vCPU 1 never started end qvm with 0;
# WFI with IRQs unmasked does not (killed after 3 s)
if [ "$(code_of halt)" = 0 ] && section halt | grep -q 'all vcpus halted with interrupts off' &&
		[ "$(code_of wait)" != 0 ] && ! section wait | grep -q 'all vcpus halted'; then
	tap_ok arm64_quit_on_halt
else
	tap_not_ok arm64_quit_on_halt "exit $(code_of halt) (masked), $(code_of wait) (unmasked)"
	section halt | tail -3 | tap_diag
	section wait | tail -3 | tap_diag
fi
if [ "$(code_of reset)" = 0 ] && section reset | grep -q 'the guest asked for a system reset'; then
	tap_ok arm64_psci_system_reset_ends_qvm_0
else
	tap_not_ok arm64_psci_system_reset_ends_qvm_0 "exit $(code_of reset)"
	section reset | tail -3 | tap_diag
fi
if [ "$(code_of fdt-bad)" = 65 ] && section fdt-bad | grep -q "fdt-bad.qvmconf:3: 'bad.dtb': not a flattened device tree"; then
	tap_ok arm64_fdt_load_bad_file_config_error
else
	tap_not_ok arm64_fdt_load_bad_file_config_error "exit $(code_of fdt-bad)"
	section fdt-bad | tail -3 | tap_diag
fi
# The demo: devices from the FDT, the trace counter advancing, both vCPUs
# (the second started by PSCI CPU_ON) with their MPIDR, SYSTEM_OFF: exit 0.
demo_ok=yes
for want in 'qvm trace demo: hello from the boot vcpu (2 vcpus)' 'trace 8-bit read: 0xff' \
		'unowned read: 0xffffffff' 'all 2 vcpus done'; do
	section trace-demo | grep -qxF "$want" || { demo_ok="no line '$want'"; break; }
done
# each vCPU's line: its MPIDR and a trace reading past the one before
cpu_readings=$(section trace-demo | sed -n 's/^cpu \([01]\) of 2: online (mpidr 0x0000000\1), trace counter \([0-9]*\)$/\2/p' | tr '\n' ' ')
[ "$demo_ok" = yes ] && ! section trace-demo-log | grep -q 'the guest asked for a system shutdown' &&
	demo_ok="qvm did not log the guest's SYSTEM_OFF"
readings="$(section trace-demo | sed -n 's/^trace counter: //p' | tr '\n' ' ')$cpu_readings"
if [ "$demo_ok" = yes ] && ! echo "$readings" | awk '{ if (NF != 6) exit 1; for (i = 2; i <= NF; i++) if ($i <= $(i-1)) exit 1 }'; then
	demo_ok="the trace readings (4 by the boot vCPU, then one by each) do not advance: $readings"
fi
if [ "$(code_of trace-demo)" = 0 ] && [ "$demo_ok" = yes ]; then
	tap_ok arm64_trace_demo_fdt_psci_system_off
else
	tap_not_ok arm64_trace_demo_fdt_psci_system_off "exit $(code_of trace-demo): $demo_ok"
	section trace-demo | tail -12 | tap_diag
	section trace-demo-log | tail -5 | tap_diag
fi
# The SP805, found in the FDT, kicked four times then left: the bite ends qvm with 4,
# two periods (2 s) after the last kick and at most 10 % later. The kick's time is
# its console line's stamp, which lags it by the time the line takes to print
# (each byte an exit, longer on a loaded machine): up to 10 % early is allowed.
wd=$(section wdog-demo | awk '$2 == "wdog" && $3 == "kick" && $4 == "4" { k = $1 } $2 == "END" { e = $1 }
	/the watchdog bit/ { bit = 1 } END { if (k && e && bit) printf "%.2f", e - k }')
if [ "$(code_of wdog-demo)" = 4 ] && [ -n "$wd" ] && awk -v d="$wd" 'BEGIN { exit !(d >= 1.8 && d <= 2.2) }'; then
	tap_ok arm64_sp805_bite_exit_4_on_time
	echo "# the bite came $wd s after the last kick"
else
	tap_not_ok arm64_sp805_bite_exit_4_on_time "exit $(code_of wdog-demo), bite ${wd:-?} s after the last kick"
	section wdog-demo | tail -8 | tap_diag
fi
# The dump: an arm64 ELF core whose NT_PRSTATUS gdb-multiarch reads (the pc in the guest's code).
section core | sed '1d;$d' | base64 -d >"$W/core" 2>/dev/null
if ! command -v gdb-multiarch >/dev/null; then
	tap_skip arm64_core_dump_gdb "gdb-multiarch is not installed (tools/deps.sh installs it)"
else
	pc=$(gdb-multiarch -nx -batch -c "$W/core" -ex 'info registers pc' 2>/dev/null |
		sed -n 's/^pc  *\(0x[0-9a-f]*\).*/\1/p')
	machine=$(readelf -h "$W/core" 2>/dev/null | sed -n 's/^ *Machine: *//p')
	if [ "$(code_of wdog-dump)" = 4 ] && [ "$machine" = AArch64 ] &&
			[ -n "$pc" ] && [ $((pc)) -ge $((0x40080000)) ] && [ $((pc)) -lt $((0x40100000)) ]; then
		tap_ok arm64_core_dump_gdb
	else
		tap_not_ok arm64_core_dump_gdb "exit $(code_of wdog-dump), machine '$machine', pc '$pc'"
		section wdog-dump | tail -4 | tap_diag
	fi
fi
# Linux boots under qvm: it reads the FDT (two CPUs by PSCI, the GIC, the timer) and
# binds the pl011 as its console; it finds no root, panics and resets: exit 0.
if [ ! -s "$T/linux.Image" ]; then
	tap_skip arm64_linux_boots "no arm64 kernel Image in $KIT"
elif [ "$(code_of linux)" = 0 ] && section linux | grep -q 'Booting Linux on physical CPU 0x0' &&
		section linux | grep -q 'ttyAMA0 at MMIO 0x9000000' &&
		section linux | grep -q 'smp: Brought up 1 node, 2 CPUs' &&
		section linux | grep -q 'the guest asked for a system reset'; then
	tap_ok arm64_linux_boots
	[ -n "${QVM_ARM64_LINUX_LOG:-}" ] && section linux >"$QVM_ARM64_LINUX_LOG"
else
	tap_not_ok arm64_linux_boots "exit $(code_of linux)"
	section linux | grep -E 'Booting|ttyAMA0|smp:|GIC|arch_timer|panic|reset|error|qvm' | head -20 | tap_diag
	section linux | tail -8 | tap_diag
fi
# vdev gic version 2, in a machine with a GICv2 (natively: where the host's GIC
# can be one): the demo, the FDT's cortex-a15-gic with its CPU interface, and an
# interrupt through it
if [ -s "$W/console-v2.log" ]; then
	tr -d '\r' <"$W/console-v2.log" >"$W/log-v2"
	v2() { sed -n "/^NESTED begin $1\$/,/^NESTED end $1 /p" "$W/log-v2"; }
	v2code() { sed -n "s/^NESTED end $1 \([0-9]*\)\$/\1/p" "$W/log-v2"; }
else
	v2() { section "$@"; }
	v2code() { code_of "$@"; }
fi
v2 gicv2-dtb | sed '1d;$d' | base64 -d >"$W/v2.dtb" 2>/dev/null
v2_dts=$(dtc -I dtb -O dts "$W/v2.dtb" 2>"$W/v2.err")
v2irq=$(v2 gicv2-irq | grep -E '^report |^guest ' | tr '\n' ' ')
if [ "$(v2code gicv2)" = 0 ] && v2 gicv2 | grep -qx 'all 2 vcpus done' &&
		echo "$v2_dts" | grep -qF 'compatible = "arm,cortex-a15-gic";' &&
		echo "$v2_dts" | grep -qF 'reg = <0x00 0x8000000 0x00 0x1000 0x00 0x8010000 0x00 0x2000>;' &&
		[ ! -s "$W/v2.err" ] && [ "$(v2code gicv2-irq)" = 0 ] &&
		[ "$v2irq" = "report pending_before 0x0000000000000000 report uart_mis 0x0000000000000020 report pending_raised 0x0000000000000001 report pending_cleared 0x0000000000000000 guest done " ]; then
	tap_ok arm64_gic_version_2
elif [ "$(v2code gicv2)" = 64 ] && v2 gicv2 | grep -q 'KVM cannot make a GIC version 2 here: .*(try `vdev gic version 3`)'; then
	tap_skip arm64_gic_version_2 "KVM here cannot make a GICv2 (refused with a clear error)"
else
	tap_not_ok arm64_gic_version_2 "exit $(v2code gicv2), irq test $(v2code gicv2-irq): $v2irq; dtc: $(head -2 "$W/v2.err")"
	v2 gicv2 | tail -6 | tap_diag
fi
# The guest-test programs of tests/guest/
tap_runs "$W/log" guest arm64_guest
# make bench on arm64: both systems measured per kind, ratios and the targets' verdict.
section bench >"$W/bench.log"
rows=$(bench_table_sane "$W/bench.log" 8)
if [ "$(code_of bench)" = 0 ] && [ -z "$rows" ] && grep -q '^NESTED bench report written' "$W/log" &&
		section bench | grep -q 'mmio-read p50 within 3 %:' && ! section bench | grep -q '^pio-'; then
	tap_ok arm64_bench_report
else
	tap_not_ok arm64_bench_report "exit $(code_of bench): $rows"
	section bench | tail -14 | tap_diag
fi
# intr gic:33 reaches the vGIC: pending while the PL011's line is high, not after.
irq=$(section irq-test | grep -E '^report |^guest ' | tr '\n' ' ')
if [ "$(code_of irq-test)" = 0 ] && [ "$irq" = "report pending_before 0x0000000000000000 report uart_mis 0x0000000000000020 report pending_raised 0x0000000000000001 report pending_cleared 0x0000000000000000 guest done " ]; then
	tap_ok arm64_gic_spi_from_vdev_intr
else
	tap_not_ok arm64_gic_spi_from_vdev_intr "exit $(code_of irq-test): $irq"
	section irq-test | tail -8 | tap_diag
fi
# unsupported reference fail: a synchronous external abort the guest takes and survives.
faults=$(section fault-test | grep -E '^report |^guest ' | tr '\n' ' ')
want="report unowned_faults 0x0000000000000001 report unowned_ec 0x0000000000000025 report unowned_dfsc 0x0000000000000010 report unowned_far 0x00000000fb000000 report narrow_faults 0x0000000000000002 report narrow_ec 0x0000000000000025 report whole_faults 0x0000000000000002 report writeback_faults 0x0000000000000003 report writeback_ec 0x0000000000000025 guest done "
if [ "$(code_of fault-test)" = 0 ] && [ "$faults" = "$want" ]; then
	tap_ok arm64_bus_error_is_external_abort
else
	tap_not_ok arm64_bus_error_is_external_abort "exit $(code_of fault-test): $faults"
	section fault-test | tail -6 | tap_diag
fi
# The same load, undecodable, with `unsupported instruction abort` (exit 5) and `ignore` (skipped)
if [ "$(code_of nisv-abort)" = 5 ] && section nisv-abort | grep -q 'that KVM cannot decode.*(unsupported instruction: abort)' &&
		[ "$(code_of nisv-ignore)" = 0 ] && section nisv-ignore | grep -q '^report writeback_faults 0x0000000000000002$'; then
	tap_ok arm64_undecodable_access_policies
else
	tap_not_ok arm64_undecodable_access_policies "exit $(code_of nisv-abort) (abort), $(code_of nisv-ignore) (ignore)"
	section nisv-abort | tail -3 | tap_diag
	section nisv-ignore | tail -5 | tap_diag
fi
# What arm64 does not have is refused as a configuration error (exit 65).
for t in io-refused:'vdev ser8250: io:0x3f8: aarch64 has no I/O port space' \
		ib700-refused:'vdev wdt-ib700 works only in x86 I/O port space' \
		gic-overlap:'vdev trace: mem:0x8000000 (0x4 bytes) overlaps gic distributor' \
		gicr-v2:'vdev gic: gicr is for version 3 (this gic is version 2)' \
		gic-self:'the gic distributor at 0x8000000 overlaps the redistributors at 0x8000000' \
		fdt-rom:'fdt load 0x50000000: the FDT (' \
		initrd-overlap:'initrd-overlap.qvmconf:4: the initrd at 0x43fff000-0x43fff3e7 (the top of ram) overlaps'; do
	name=${t%%:*} want=${t#*:}
	if [ "$(code_of "$name")" = 65 ] && section "$name" | grep -qF "$want"; then
		tap_ok "arm64_config_$name"
	else
		tap_not_ok "arm64_config_$name" "exit $(code_of "$name"), wanted: $want"
		section "$name" | tail -4 | tap_diag
	fi
done
# The unit tests and the suites, in the third machine (natively, tests/run.sh runs them)
if [ -z "$NATIVE" ]; then
	tr -d '\r' <"$W/console-suites.log" >"$W/log-suites"
	if grep -q '^NESTED done' "$W/log-suites"; then
		tap_runs "$W/log-suites" unit unit
		tap_runs "$W/log-suites" suite suite
	else
		tap_not_ok arm64_suites "the machine running the unit tests and suites did not finish"
		tail -15 "$W/log-suites" | tap_diag
	fi
fi
# The arm64 qvm exports every function the headers declare (read here: the
# emulated machine has no nm)
if [ -z "$NATIVE" ]; then
	if ! command -v aarch64-linux-gnu-nm >/dev/null; then
		tap_skip arm64_api_exported "aarch64-linux-gnu-nm is not installed (tools/deps.sh installs gcc-aarch64-linux-gnu)"
	elif why=$(tests/tools/api-exported.sh "$QB/qvm" aarch64-linux-gnu-nm 2>&1); then
		tap_ok arm64_api_exported
	else
		tap_not_ok arm64_api_exported "$why"
	fi
fi
# The FDT qvm built: dtc reads it without a warning, and it is the golden one.
section dtb | sed '1d;$d' | base64 -d >"$W/demo.dtb" 2>/dev/null
if ! command -v dtc >/dev/null; then
	tap_skip arm64_fdt_golden "dtc is not installed (tools/deps.sh installs device-tree-compiler)"
elif dtc -I dtb -O dts -o "$W/demo.dts" "$W/demo.dtb" 2>"$W/dtc.err" && [ ! -s "$W/dtc.err" ] &&
		diff -u tests/nested/golden/arm64-demo.dts "$W/demo.dts" >"$W/dts.diff"; then
	tap_ok arm64_fdt_golden
else
	tap_not_ok arm64_fdt_golden "exit $(code_of fdt-demo); dtc: $(head -3 "$W/dtc.err")"
	head -40 "$W/dts.diff" 2>/dev/null | tap_diag
	[ -n "${QVM_UPDATE_GOLDEN:-}" ] && [ -s "$W/demo.dts" ] && mkdir -p tests/nested/golden &&
		cp "$W/demo.dts" tests/nested/golden/arm64-demo.dts
fi
tap_end
