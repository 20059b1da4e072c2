#!/usr/bin/env bash
# The vendor's configuration files: every tests/configs/vendor/*.qvmconf
# (and tests/configs/vendor/ARCH/*.qvmconf for this machine's architecture),
# written from the vendor's documented syntax, dry-runs with exit 0; and
# the options whose effect a guest can see, seen from a guest: `pass` of a
# file (read, written back, or refused by a read-only mapping), `reserve`
# keeping what qvm places itself out of a range. Prints TAP.
#
#   tests/vendor.sh BUILD_DIR
set -u
cd "$(dirname "$0")/.."
B=${1:-build}
QVM=$PWD/$B/qvm
KILL_AFTER=${KILL_AFTER:-15}
. tests/tap.sh
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
ARCH=$(uname -m)

[ -r /dev/kvm ] && [ -w /dev/kvm ] || { tap_skip vendor "no usable /dev/kvm"; tap_end; exit; }

# The corpus: each file's exit code and, on failure, its log.
t_corpus() {
	local f n=0 bad=""
	mkdir -p "$W/corpus"
	for f in tests/configs/vendor/*.qvmconf tests/configs/vendor/"$ARCH"/*.qvmconf; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		timeout -k "$KILL_AFTER" 30 "$QVM" @"$f" dryrun >/dev/null 2>"$W/corpus.err" </dev/null
		local rc=$?
		[ $rc -eq 0 ] || bad+=" $f (exit $rc: $(grep -v '^qvm: warning' "$W/corpus.err" | tail -1))"
	done
	[ $n -ge 5 ] || { echo "only $n vendor configurations found"; return 1; }
	[ -z "$bad" ] || { echo "not accepted:$bad"; return 1; }
}

# A raw x86 guest: mov ebx,0xfa000000; mov eax,[0x200000]; mov [rbx],eax;
# mov dword [0x200000],0x11223344; cli; hlt. The trace vdev logs what it read.
x86_pass_guest() {
	printf '\xbb\x00\x00\x00\xfa\x8b\x04\x25\x00\x00\x20\x00\x89\x03\xc7\x04\x25\x00\x00\x20\x00\x44\x33\x22\x11\xfa\xf4' >"$W/g.bin"
}

# pass_run FLAGS: the guest against a 4 KiB file starting "PASS".
pass_run() {
	{ printf 'PASS'; head -c 4092 /dev/zero; } >"$W/f.bin"
	cat >"$W/pass.qvmconf" <<EOF
ram 0,1M
load g.bin
set quit-on-halt on
vdev trace loc 0xfa000000 emit-logger
pass loc 0x200000,0x1000,$1=$W/f.bin
EOF
	timeout -k "$KILL_AFTER" 20 "$QVM" @"$W/pass.qvmconf" >/dev/null 2>"$W/pass.err" </dev/null
}

t_pass_file() {
	x86_pass_guest
	pass_run rw || { echo "rw: exit $?: $(tail -2 "$W/pass.err")"; return 1; }
	grep -q 'trace: write 0x53534150 at 0xfa000000' "$W/pass.err" ||
		{ echo "rw: the guest did not read 'PASS': $(tail -3 "$W/pass.err")"; return 1; }
	[ "$(head -c 4 "$W/f.bin" | od -An -tx1 | tr -d ' ')" = 44332211 ] ||
		{ echo "rw: the guest's write did not reach the file"; return 1; }
	pass_run r || { echo "r: exit $?: $(tail -2 "$W/pass.err")"; return 1; }
	grep -q 'trace: write 0x53534150 at 0xfa000000' "$W/pass.err" &&
		[ "$(head -c 4 "$W/f.bin")" = PASS ] ||
		{ echo "r: read-only, the file must stay 'PASS': $(head -c 4 "$W/f.bin")"; return 1; }
	# the host side refused: no such file, a file too short
	sed -i "s#=$W/f.bin#=$W/none.bin#" "$W/pass.qvmconf"
	timeout -k "$KILL_AFTER" 20 "$QVM" @"$W/pass.qvmconf" >/dev/null 2>"$W/pass.err" </dev/null
	local rc=$?
	[ $rc -eq 65 ] && grep -q "pass.qvmconf:5: pass loc 0x200000: cannot open $W/none.bin" "$W/pass.err" ||
		{ echo "missing file: exit $rc: $(tail -1 "$W/pass.err")"; return 1; }
}

# `reserve loc`: ram without an address and a `data load` without one go
# past it; a vdev whose default location is in it must be given one.
t_reserve() {
	local base ram2 img intr low
	if [ "$ARCH" = x86_64 ]; then
		base=0 img=$PWD/build/guest-images/x86_64/trace-demo.elf intr=20 low=0x100000
	else
		base=0x40000000 img=$PWD/build/guest-images/aarch64/trace-demo.elf intr=40 low=0
	fi
	printf 'DATA' >"$W/d.bin"
	cat >"$W/resv.qvmconf" <<EOF
ram $base,16M
reserve loc $(printf '0x%x' $((base + 0x1000000))),0x100000 intr $intr
ram 1M
load $img
reserve loc $(printf '0x%x' $((base + low))),$(printf '0x%x' $((0x300000 - low)))
data load d.bin
dryrun
EOF
	timeout -k "$KILL_AFTER" 20 "$QVM" @"$W/resv.qvmconf" >/dev/null 2>"$W/resv.err" </dev/null ||
		{ echo "exit $?: $(tail -2 "$W/resv.err")"; return 1; }
	# the second ram went past the reserved MiB: it starts at base + 17 MiB
	ram2=$(printf '0x%x' $((base + 0x1100000)))
	grep -q "data load '$W/d.bin': placed at" "$W/resv.err" || { echo "no placement line"; return 1; }
	local at
	at=$(sed -n "s/.*data load '.*d.bin': placed at \(0x[0-9a-f]*\)-.*/\1/p" "$W/resv.err")
	[ -n "$at" ] && [ $((at)) -ge $((base + 0x300000)) ] ||
		{ echo "data placed at $at, inside the reserved range (to base + 3 MiB)"; return 1; }
	# KVM has the second ram where expected: a load there is accepted
	printf 'ram %s,16M\nreserve loc %s,0x100000\nram 1M\nload %s\ndata load %s,%s/d.bin\ndryrun\n' \
		"$base" "$(printf '0x%x' $((base + 0x1000000)))" "$img" "$ram2" "$W" >"$W/resv2.qvmconf"
	timeout -k "$KILL_AFTER" 20 "$QVM" @"$W/resv2.qvmconf" >/dev/null 2>"$W/resv2.err" </dev/null ||
		{ echo "the ram after the reserved range is not at $ram2: $(tail -1 "$W/resv2.err")"; return 1; }
	# a vdev's default location inside a reserved range
	if [ "$ARCH" = x86_64 ]; then
		printf 'ram 0,16M\nload %s\nreserve loc io:0x3f8,8\nvdev ser8250\ndryrun\n' "$img" >"$W/resv3.qvmconf"
		timeout -k "$KILL_AFTER" 20 "$QVM" @"$W/resv3.qvmconf" >/dev/null 2>"$W/resv3.err" </dev/null
		local rc=$?
		[ $rc -eq 65 ] && grep -q "vdev ser8250: its default location io:0x3f8 is in what line 3 reserves" "$W/resv3.err" ||
			{ echo "default location: exit $rc: $(tail -1 "$W/resv3.err")"; return 1; }
	fi
}

# ser8250's 8.0 output to a command, with the vendor's batch (microseconds
# with no new byte): the demo's console through `tr`.
t_ser8250_command() {
	local img=$PWD/build/guest-images/$ARCH/trace-demo.elf uart="vdev ser8250"
	printf 'ram 0,16M\nload %s\nset quit-on-halt on\n%s hostdev >"|tr a-z A-Z >%s/up.txt" batch 2000\nvdev trace loc 0xfa000000\n' \
		"$img" "$uart" "$W" >"$W/cmd.qvmconf"
	timeout -k "$KILL_AFTER" 20 "$QVM" @"$W/cmd.qvmconf" >/dev/null 2>"$W/cmd.err" </dev/null ||
		{ echo "exit $?: $(tail -2 "$W/cmd.err")"; return 1; }
	local i=0
	while [ $i -lt 50 ] && ! grep -q '^ALL 1 VCPUS DONE' "$W/up.txt" 2>/dev/null; do
		sleep 0.1; i=$((i + 1))
	done
	grep -q '^QVM TRACE DEMO: HELLO FROM THE BOOT VCPU' "$W/up.txt" &&
		grep -q '^ALL 1 VCPUS DONE' "$W/up.txt" ||
		{ echo "the command did not get the console: $(head -3 "$W/up.txt" 2>&1)"; return 1; }
}

# `safety`: for the vdevs after it; the -safety build is taken first.
t_safety() {
	local base=tests/configs/ok/base.qvmconf rc
	[ "$ARCH" = x86_64 ] || base=tests/configs/aarch64/base.qvmconf
	QVM_VDEV_PATH=$PWD/$B/tests timeout -k "$KILL_AFTER" 20 "$QVM" @"$base" safety warn \
		vdev trace loc 0xfb000000 dryrun >/dev/null 2>"$W/s1.err" </dev/null ||
		{ echo "warn: exit $?: $(tail -1 "$W/s1.err")"; return 1; }
	grep -q 'warning: vdev trace is not safety-certified' "$W/s1.err" || { echo "warn: no warning"; return 1; }
	[ "$(grep -c 'not safety-certified' "$W/s1.err")" = 1 ] ||
		{ echo "warn: the vdevs before it were checked too"; return 1; }
	QVM_VDEV_PATH=$PWD/$B/tests timeout -k "$KILL_AFTER" 20 "$QVM" @"$base" safety required \
		vdev trace loc 0xfb000000 dryrun >/dev/null 2>"$W/s2.err" </dev/null
	rc=$?
	[ $rc -eq 65 ] && grep -q "vdev trace is not safety-certified (built without VDEV_SAFETY_YES) and \`safety required\` is in force" "$W/s2.err" ||
		{ echo "required: exit $rc: $(tail -1 "$W/s2.err")"; return 1; }
	QVM_VDEV_PATH=$PWD/$B/tests timeout -k "$KILL_AFTER" 20 "$QVM" @"$base" safety required \
		vdev certified dryrun >/dev/null 2>"$W/s3.err" </dev/null ||
		{ echo "required, certified: exit $?: $(tail -1 "$W/s3.err")"; return 1; }
}

# `unsupported instruction`: a raw x86 guest runs crc32 on the trace register
# (KVM's emulator has no crc32): ignore steps over it (the vendor's no-op)
# and the guest writes 0x600d next; fail is a #UD (no IDT: a triple fault);
# abort ends qvm with 5.
t_unsupported_instruction() {
	printf '\xbb\x00\x00\x00\xfa\xf2\x0f\x38\xf1\x03\xb9\x0d\x60\x00\x00\x89\x0b\xfa\xf4' >"$W/u.bin"
	local m rc
	for m in ignore fail abort; do
		printf 'ram 0,1M\nload u.bin\nset quit-on-halt on\nvdev trace loc 0xfa000000 emit-logger\nunsupported instruction %s\n' \
			"$m" >"$W/u.qvmconf"
		timeout -k "$KILL_AFTER" 20 "$QVM" @"$W/u.qvmconf" >/dev/null 2>"$W/u.err" </dev/null
		rc=$?
		case $m in
		ignore)
			[ $rc -eq 0 ] && grep -q '(unsupported instruction: skipped)' "$W/u.err" &&
				grep -q 'trace: write 0x0000600d at 0xfa000000' "$W/u.err" ||
				{ echo "ignore: exit $rc: $(tail -3 "$W/u.err")"; return 1; } ;;
		fail)
			grep -q 'undefined-instruction fault delivered' "$W/u.err" &&
				grep -q 'triple fault' "$W/u.err" && ! grep -q 'write 0x0000600d' "$W/u.err" ||
				{ echo "fail: exit $rc: $(tail -3 "$W/u.err")"; return 1; } ;;
		abort)
			[ $rc -eq 5 ] || { echo "abort: exit $rc: $(tail -3 "$W/u.err")"; return 1; } ;;
		esac
	done
}

# `pass intr PIC:N=DEVICE`: each 4-byte count the device gives (a UIO
# device; here a FIFO standing in for one) is an interrupt to the guest.
t_pass_intr() {
	local base=tests/configs/ok/base.qvmconf line=ioapic:5 i
	[ "$ARCH" = x86_64 ] || { base=tests/configs/aarch64/base.qvmconf line=gic:40; }
	mkfifo "$W/uio" || return 1
	timeout -k "$KILL_AFTER" 30 "$QVM" @"$base" set quit-on-halt off pass intr "$line=$W/uio" \
		logger debug stderr >/dev/null 2>"$W/pi.err" </dev/null &
	local pid=$!
	for i in 1 2 3; do
		printf '\001\000\000\000' >"$W/uio"
		local k=0
		while [ $k -lt 50 ] && ! grep -q "interrupt $i to the guest" "$W/pi.err"; do
			sleep 0.1; k=$((k + 1))
		done
	done
	kill -QUIT $pid 2>/dev/null
	wait $pid
	grep -q "pass intr $W/uio: interrupt 3 to the guest" "$W/pi.err" ||
		{ echo "not 3 interrupts passed: $(grep -c 'to the guest' "$W/pi.err"); $(tail -2 "$W/pi.err")"; return 1; }
	# a host interrupt number, as the vendor writes it, has no way to qvm on Linux
	timeout -k "$KILL_AFTER" 20 "$QVM" @"$base" pass intr "$line=37" dryrun >/dev/null 2>"$W/pi2.err" </dev/null
	local rc=$?
	[ $rc -eq 65 ] && grep -q "only through UIO or VFIO: give the UIO device" "$W/pi2.err" ||
		{ echo "=37: exit $rc: $(tail -1 "$W/pi2.err")"; return 1; }
}

tap_check vendor_corpus_dry_runs t_corpus
tap_check pass_intr_from_a_device t_pass_intr
tap_check safety_option t_safety
if [ "$ARCH" = x86_64 ]; then
	tap_check pass_maps_a_file t_pass_file
else
	tap_skip pass_maps_a_file "its guest is x86 code"
fi
tap_check reserve_keeps_qvm_out t_reserve
if [ "$ARCH" = x86_64 ]; then
	tap_check unsupported_instruction_ignore_skips t_unsupported_instruction
	tap_check ser8250_output_to_a_command t_ser8250_command
else
	tap_skip unsupported_instruction_ignore_skips "its guest is x86 code (arm64: tests/nested/arm64-kvm.sh)"
	tap_skip ser8250_output_to_a_command "the ser8250 is a PC device"
fi
tap_end
