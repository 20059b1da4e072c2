#!/usr/bin/env bash
# The command line and the tree itself: errors, --help, --version, the
# exported API, the one exit point, emit-trace (the host's tracefs) and the
# start-up benchmark.
# Prints TAP.
. "$(dirname "$0")/lib.sh"

t_command_line_errors() {
	run badarg 20 @"$BASE" frobnicate
	expect_rc badarg 65 && expect_err badarg "command line:2: unknown option 'frobnicate'" || return 1
	run noconf 20 @tests/configs/nonexistent.qvmconf
	expect_rc noconf 65 &&
	expect_err noconf "tests/configs/nonexistent.qvmconf: cannot read configuration file: No such file or directory" || return 1
	run noargs 20
	expect_rc noargs 65 && expect_err noargs "usage: qvm @FILE" || return 1
	run nofile 20 --config
	expect_rc nofile 65 && expect_err nofile "command line:1: --config needs a file"
}

t_help_version() {
	run help 10 --help
	expect_rc help 0 && expect_out help "usage: qvm @FILE [OPTION...]" || return 1
	run version 10 --version
	expect_rc version 0 && expect_out version "qvm 0.1 (vdev ABI 801)"
}

# emit-trace writes to the host's tracefs trace_marker. Mount tracefs for the
# test if nothing is there (and unmount it after); skip where that is not allowed.
t_emit_trace() {
	local tfs=/sys/kernel/tracing mounted=0
	if [ ! -e $tfs/trace_marker ]; then
		mount -t tracefs nodev $tfs 2>/dev/null && mounted=1
	fi
	if [ ! -w $tfs/trace_marker ]; then
		echo "SKIP: no writable tracefs trace_marker here and it cannot be mounted"
		return 0
	fi
	echo > $tfs/trace
	# The guest polls the register: keep the first events when the ring
	# buffer fills, and give it room (a kernel whose tracing was never used
	# has only a few KiB: "7 (expanded: 1408)")
	local overwrite size
	overwrite=$(cat $tfs/options/overwrite) size=$(cut -d' ' -f1 $tfs/buffer_size_kb)
	echo 0 > $tfs/options/overwrite
	echo 4096 > $tfs/buffer_size_kb
	run etrace 60 @"$BASE" emit-trace 77
	local rc=0
	expect_rc etrace 0 || rc=1
	grep -q "qvm trace trace event 77: write 0x12345678 at $TRACE_LOC" $tfs/trace ||
		{ echo "no trace_marker line for the guest's write in $tfs/trace"; rc=1; }
	grep -q "qvm trace trace event 77: read 0x0000000[0-9] at $TRACE_LOC" $tfs/trace ||
		{ echo "no trace_marker line for a guest read"; rc=1; }
	# (after reading it: a resize drops what the buffer held)
	echo "$overwrite" > $tfs/options/overwrite
	echo "$size" > $tfs/buffer_size_kb
	[ $mounted = 1 ] && umount $tfs
	return $rc
}

# Every function the public headers declare is exported by qvm, so a vdev using it loads.
t_api_exported() {
	command -v nm >/dev/null || { echo "SKIP: nm (binutils) is not installed here"; return 0; }
	[ -d include/qvm ] || { echo "SKIP: the SDK's headers are not here"; return 0; }
	tests/tools/api-exported.sh "$QVM"
}

# core/term.c owns the end: nothing else calls exit() or _exit().
t_one_exit_point() {
	local hits
	[ -d core ] || { echo "SKIP: qvm's sources are not here"; return 0; }
	hits=$(grep -nE '(^|[^a-z_])_?exit *\(' core/*.c arch/*/*.c | grep -v '^core/term\.c:')
	[ -z "$hits" ] || { echo "exit outside core/term.c: $hits"; return 1; }
}

# The start-up benchmark measures a real demo run: two runs give a JSON file
# whose figures are plausible, and a qvm that cannot start is an error.
t_startup_bench() {
	local sb=$B/tools/startup-bench
	if [ -n "${SANITIZE:-}" ]; then
		echo "SKIP: the benchmark reads an unsanitized qvm's mappings (a sanitizer reshapes them)"
		return 0
	fi
	"$sb" --qvm "$QVM" --runs 2 --out "$OUT/sb" >"$OUT/sb.out" 2>&1 ||
		{ echo "startup-bench failed:"; tail -5 "$OUT/sb.out"; return 1; }
	# median FIELD: that figure's median in the JSON file (one figure per line)
	median() { sed -n "s/^  \"$1\": { \"median\": \([0-9.]*\),.*/\1/p" "$OUT/sb/startup.json"; }
	local su rd gt ov hwm
	su=$(median startup_ms) rd=$(median startup_read_ms) gt=$(median guest_touched_mib)
	ov=$(median overhead_mib) hwm=$(median vmhwm_mib)
	awk -v su="$su" -v rd="$rd" -v gt="$gt" -v ov="$ov" -v hwm="$hwm" 'BEGIN {
		exit !(su != "" && rd != "" && gt != "" && ov != "" && hwm != "" &&
			su > 0 && su <= rd && rd < 10000 && gt > 0 && gt < 16 && ov > 0 && ov < hwm) }' ||
		{ echo "implausible figures: start-up '$su' ms (read '$rd'), guest '$gt' MiB," \
			"overhead '$ov' of VmHWM '$hwm' MiB"; return 1; }
	grep -q '"runs": 2,' "$OUT/sb/startup.json" || { echo "not 2 runs in the JSON"; return 1; }
	"$sb" --qvm /nonexistent/qvm --runs 1 >"$OUT/sbbad.out" 2>&1 &&
		{ echo "startup-bench passed with no qvm"; return 1; }
	grep -q "cannot run /nonexistent/qvm" "$OUT/sbbad.out" ||
		{ echo "no 'cannot run' error:"; cat "$OUT/sbbad.out"; return 1; }
}

# A PC guest resets through the keyboard controller or 0xcf9: qvm exits 0
# (no vdev there); other values written there are not a reset.
t_pc_reset_ports() {
	[ "$GARCH" = x86_64 ] || { echo "SKIP: the keyboard controller and 0xcf9 are PC (x86) ports"; return 0; }
	printf '\xb0\xfe\xe6\x64\xf4' >"$OUT/kbd.bin"			# mov al,0xfe; out 0x64,al; hlt
	printf '\xb0\x06\x66\xba\xf9\x0c\xee\xf4' >"$OUT/cf9.bin"	# mov al,6; mov dx,0xcf9; out dx,al; hlt
	printf '\xb0\x02\x66\xba\xf9\x0c\xee\xfa\xf4' >"$OUT/nor.bin"	# the same with 2, then cli; hlt
	run kbd 20 ram 0,16M load "$OUT/kbd.bin"
	expect_rc kbd 0 && expect_err kbd "the guest asked for a system reset (0xfe to io:0x64): exiting" || return 1
	run cf9 20 ram 0,16M load "$OUT/cf9.bin"
	expect_rc cf9 0 && expect_err cf9 "the guest asked for a system reset (0x06 to io:0xcf9): exiting" || return 1
	run nor 20 ram 0,16M load "$OUT/nor.bin" set quit-on-halt on
	expect_rc nor 0 && expect_no_err nor "system reset" && expect_err nor "all vcpus halted"
}

# `set ?` (the vendor's) lists the variables and exits 0 before anything
# else is checked: here with no ram, which would otherwise be an error.
t_set_list() {
	run setq 10 set ?
	expect_rc setq 0 && expect_out setq "allowed set variables" || return 1
	expect_out setq "exit-on-halt                   (boolean, global)" &&
		expect_out setq "debug                          (boolean, vdev)"
}

# The vendor's sporadic scheduling: SCHED_DEADLINE where Linux and KVM
# take it, else SCHED_RR at the low priority with a warning; either way the
# guest runs to its end (a KVM that answers EAGAIN under SCHED_DEADLINE
# once hung it).
t_sporadic() {
	run spor 30 @"$BASE" cpu sched 20,10,5,10000000,5000000s cpu partition p1
	expect_rc spor 0 && expect_out spor "all 2 vcpus done" || return 1
	expect_err spor "cpu partition p1: Linux has no adaptive partitions"
}

tap_check command_line_errors t_command_line_errors
tap_check sporadic_sched_runs_the_guest t_sporadic
tap_check set_question_mark_lists_variables t_set_list
tap_check help_version t_help_version
tap_check every_declared_function_is_exported t_api_exported
# The guest's console and qvm's log in one file (as on a terminal): a log
# line never starts in the middle of a guest's line. The demo's 8-bit read
# logs a warning while its line "trace 8-bit read: 0x.." is half printed.
t_clean_console() {
	timeout -k "$KILL_AFTER" 60 "$QVM" @"$BASE" >"$OUT/console.all" 2>&1 </dev/null
	if grep -nE '.qvm(\[|: )' "$OUT/console.all"; then
		echo "a log line starts in the middle of a line (above)"
		return 1
	fi
	grep -qx "trace 8-bit read: 0xff" "$OUT/console.all" ||
		{ echo "the guest's line is split:"; grep -n -A1 "8-bit read" "$OUT/console.all"; return 1; }
	# the warning waited for the line, and came right after it
	grep -A1 -x "trace 8-bit read: 0xff" "$OUT/console.all" | grep -q "does not accept 1-byte accesses" ||
		{ echo "no warning right after the 8-bit read's line"; return 1; }
}

# qvm --check-host: on this host (it can run guests where /dev/kvm is
# usable), in a mount namespace where /dev has no kvm, and as a user
# outside group kvm.
t_check_host() {
	"$QVM" --check-host >"$OUT/ch.out" 2>&1
	local rc=$?
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		[ $rc = 0 ] && tail -1 "$OUT/ch.out" | grep -qx "qvm can run guests here.*" &&
			grep -q "^PASS  /dev/kvm: opened" "$OUT/ch.out" &&
			grep -q "^PASS  KVM API version 12" "$OUT/ch.out" ||
			{ echo "on this host (exit $rc):"; cat "$OUT/ch.out"; return 1; }
	else
		[ $rc = 64 ] || { echo "no usable /dev/kvm here, yet exit $rc"; return 1; }
	fi
	[ "$(id -u)" = 0 ] && command -v unshare >/dev/null ||
		{ echo "SKIP: the checks without /dev/kvm need root and unshare(1)"; return 0; }
	unshare --mount --propagation private sh -c 'mount -t tmpfs none /dev && exec "$0" --check-host' \
		"$QVM" >"$OUT/ch-nodev.out" 2>&1
	rc=$?
	[ $rc = 64 ] && grep -q "^FAIL  /dev/kvm does not exist: KVM is not loaded" "$OUT/ch-nodev.out" &&
		tail -1 "$OUT/ch-nodev.out" | grep -q "^qvm cannot run guests here: 1 check failed" ||
		{ echo "without /dev/kvm (exit $rc):"; cat "$OUT/ch-nodev.out"; return 1; }
	[ $(wc -l <"$OUT/ch-nodev.out") -le 24 ] || { echo "more than a screen"; return 1; }
	if command -v setpriv >/dev/null && [ -e /dev/kvm ] && [ "$(stat -c %a /dev/kvm)" != 666 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$QVM" --check-host >"$OUT/ch-user.out" 2>&1
		rc=$?
		[ $rc = 64 ] && grep -q "^FAIL  /dev/kvm: Permission denied: run qvm as a user in group" \
			"$OUT/ch-user.out" || { echo "as nobody (exit $rc):"; cat "$OUT/ch-user.out"; return 1; }
	fi
}

# The systemd unit: systemd accepts it (with qvm where the tree built it),
# and it maps qvm's exit codes as qvm(1) says (a bite restarts the VM, a
# configuration error does not).
t_systemd_unit() {
	command -v systemd-analyze >/dev/null ||
		{ echo "SKIP: no systemd-analyze here (systemd is not installed)"; return 0; }
	mkdir -p "$OUT/units"
	sed "s|@BINDIR@|$PWD/$B|" tools/systemd/qvm@.service >"$OUT/units/qvm@demo.service"
	systemd-analyze verify --man=no "$OUT/units/qvm@demo.service" >"$OUT/verify.out" 2>&1 ||
		{ echo "systemd-analyze verify:"; cat "$OUT/verify.out"; return 1; }
	local u=$OUT/units/qvm@demo.service
	grep -qx "ExecStart=$PWD/$B/qvm @/etc/qvm/%i.qvmconf" "$u" && grep -qx "KillSignal=SIGTERM" "$u" &&
		grep -qx "Restart=on-failure" "$u" && grep -qx "RestartPreventExitStatus=3 64 65" "$u" &&
		grep -qx "StandardError=journal" "$u" || { echo "the unit's settings changed"; return 1; }
}

tap_check one_exit_point t_one_exit_point
tap_check check_host t_check_host
tap_check systemd_unit t_systemd_unit
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	tap_check pc_reset_ports t_pc_reset_ports
	tap_check emit_trace t_emit_trace
	tap_check clean_console t_clean_console
	tap_check startup_bench t_startup_bench
else
	tap_skip pc_reset_ports "/dev/kvm is not usable on this machine: guests cannot run"
	tap_skip emit_trace "/dev/kvm is not usable on this machine: guests cannot run"
	tap_skip clean_console "/dev/kvm is not usable on this machine: guests cannot run"
	tap_skip startup_bench "/dev/kvm is not usable on this machine: guests cannot run"
fi
tap_end
