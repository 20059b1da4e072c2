#!/usr/bin/env bash
# Termination from outside: signals at every phase (power cut, the power
# button, status, dumps on demand) and core dumps read by readelf and gdb.
# Prints TAP.
. "$(dirname "$0")/lib.sh"

t_sigquit_power_cut() {
	bg quit @"$WDOG" $LIFE
	wait_out quit "wdog kick 1" 20 || { kill -9 $BG_PID; return 1; }
	kill -QUIT $BG_PID
	finish quit 10 && expect_rc quit 3 && expect_err quit "SIGQUIT: power cut" &&
	expect_err quit "lc: lifecycle: TERMINATE"
}

t_sigterm_button_then_cut() {
	bg term @"$WDOG" set power-button-timeout 1 $LIFE
	wait_out term "wdog kick 1" 20 || { kill -9 $BG_PID; return 1; }
	kill -TERM $BG_PID
	finish term 10 && expect_rc term 3 &&
	expect_err term "Terminated: pressing the power button (power cut in 1 s)" &&
	expect_err term "lc: lifecycle: BUTTON" &&
	expect_err term "the guest did not power off within 1 s of the power button: power cut" &&
	expect_err term "lc: lifecycle: TERMINATE"
}

t_sigint_twice() {
	bg int2 @"$WDOG" $LIFE
	wait_out int2 "wdog kick 1" 20 || { kill -9 $BG_PID; return 1; }
	kill -INT $BG_PID
	sleep 0.3
	kill -INT $BG_PID
	finish int2 10 && expect_rc int2 3 && expect_err int2 "Interrupt again: power cut"
}

# A guest that answers the power button (here: its vdev) powers off: exit 0.
t_sigterm_guest_powers_off() {
	bg termok @"$WDOG" $LIFE button-exits
	wait_out termok "wdog kick 1" 20 || { kill -9 $BG_PID; return 1; }
	kill -TERM $BG_PID
	finish termok 10 && expect_rc termok 0 && expect_err termok "lc: lifecycle: BUTTON"
}

t_sigusr1_status() {
	bg usr1 @"$WDOG" $LIFE
	wait_out usr1 "wdog kick 1" 20 || { kill -9 $BG_PID; return 1; }
	kill -USR1 $BG_PID
	sleep 0.5
	kill -QUIT $BG_PID
	finish usr1 10 && expect_rc usr1 3 &&
	expect_err usr1 "qvm[wdog-demo]: status: lifecycle lc: alive" &&
	expect_err usr1 "qvm[wdog-demo]: status: wdog-demo, 1 vcpus, 4 vdevs, up "
}

# is_core FILE: an ELF64 little-endian core file for this machine (what
# needs no tools: the header's bytes)
is_core() {
	local want
	case $GARCH in aarch64) want=b700 ;; *) want=3e00 ;; esac	# e_machine
	[ "$(od -An -tx1 -N20 "$1" | tr -d ' \n')" = "7f454c46020101000000000000000000""0400$want" ] ||
		{ echo "$1 is not an ELF64 core for $GARCH"; return 1; }
}

# check_core FILE: readelf sees the vCPU notes and guest RAM; gdb shows the guest's pc in its text.
check_core() {
	readelf -h "$1" 2>/dev/null | grep -q "CORE (Core file)" || { echo "$1 is not an ELF core"; return 1; }
	readelf -n "$1" | grep -q "NT_PRSTATUS" || { echo "no NT_PRSTATUS note in $1"; return 1; }
	local start=${CORE_RAM% *} size=${CORE_RAM#* } reg lo hi pc
	readelf -lW "$1" | grep -Eq "LOAD +0x[0-9a-f]+ $start $start $size $size" ||
		{ echo "no PT_LOAD for $WDOG's ram in $1"; readelf -lW "$1" | grep LOAD; return 1; }
	read -r reg lo hi <<<"$CORE_PC"
	pc=$(gdb -nx -batch -c "$1" -ex "info registers $reg" 2>/dev/null | awk -v r="$reg" '$1 == r { print $2 }')
	# the guest runs in wdog-demo.elf's text
	[[ $pc == 0x* ]] && [ $((pc)) -ge $((lo)) ] && [ $((pc)) -lt $((hi)) ] ||
		{ echo "gdb shows $reg '$pc' for $1"; return 1; }
}

t_dumps() {
	mkdir -p "$OUT/dumps"
	# (action: ib700's or sp805's, the open context; then the lifecycle vdev)
	bg dump @"$WDOG" action dump,terminate dump "$OUT/dumps" $LIFE
	wait_out dump "wdog kick 1" 20 || { kill -9 $BG_PID; return 1; }
	kill -USR2 $BG_PID	# a dump on demand, with the vdevs' status
	finish dump 30 && expect_rc dump 4 || return 1
	expect_err dump "SIGUSR2: core dump written to $OUT/dumps/wdog-demo-" &&
	expect_err dump "watchdog: core dump written to $OUT/dumps/wdog-demo-" || return 1
	# the status went into the SIGUSR2 core (a "QVM" note), not into the log
	expect_no_err dump "status: lifecycle lc: alive" || return 1
	grep -qa "lifecycle lc: alive" "$OUT"/dumps/wdog-demo-*.gcore ||
		{ echo "no vdev status in the SIGUSR2 core"; return 1; }
	local n=0 f
	for f in "$OUT"/dumps/wdog-demo-*.gcore; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		is_core "$f" || return 1
	done
	[ $n = 2 ] || { echo "$n core files, wanted 2 (SIGUSR2 and the watchdog)"; return 1; }
	# dump "|CMD": the core goes to a command's standard input; the demo halted
	# for good (no quit-on-halt), so that nothing but SIGQUIT ends it however
	# slowly the machine runs
	bg pipe @"$BASE" $HALT set quit-on-halt off dump "|cat > $OUT/piped.gcore"
	wait_out pipe "vcpus done" 30 || { kill -9 $BG_PID; return 1; }
	kill -USR2 $BG_PID
	wait_err pipe "SIGUSR2: core dump written to |cat" 20 || { kill -9 $BG_PID; return 1; }
	kill -QUIT $BG_PID
	finish pipe 20 && expect_rc pipe 3 && is_core "$OUT/piped.gcore"
}

# A vdev asks for a dump (guest_write_core_file, from its STATUS callback here).
t_vdev_dump() {
	mkdir -p "$OUT/vdump"
	bg vdump @"$BASE" $HALT set quit-on-halt off dump "$OUT/vdump" $LIFE dump-on-status
	wait_out vdump "vcpus done" 30 || { kill -9 $BG_PID; return 1; }
	kill -USR1 $BG_PID
	wait_err vdump "guest_write_core_file(): core dump written to $OUT/vdump/" 20 ||
		{ kill -9 $BG_PID; return 1; }
	kill -QUIT $BG_PID
	finish vdump 10 && expect_rc vdump 3 && expect_err vdump "lc: lifecycle: guest_write_core_file() = 0" &&
	is_core "$(ls "$OUT"/vdump/*.gcore | head -1)"
}

# The cores t_dumps left, read by readelf and gdb.
t_dumps_read() {
	command -v readelf >/dev/null && command -v gdb >/dev/null ||
		{ echo "SKIP: readelf and gdb are not installed here"; return 0; }
	local f n=0
	for f in "$OUT"/dumps/wdog-demo-*.gcore "$OUT/piped.gcore"; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		check_core "$f" || return 1
	done
	[ $n = 3 ] || { echo "$n core files from the dumps test, wanted 3"; return 1; }
}

# Told to stop while a vdev is still starting: TERMINATE still comes, nothing hangs.
t_stop_during_startup() {
	bg early @"$BASE" $LIFE sleep-at 1 sleep-for 15	# 1.5 s in OPTIONS_END
	sleep 0.5
	kill -TERM $BG_PID
	finish early 10 && expect_rc early 3 &&
	expect_err early "Terminated before the guest started: stopping" &&
	expect_err early "lc: lifecycle: TERMINATE" &&
	{ ! has early "hello" out || { echo "the guest started"; return 1; }; } || return 1
	# a vdev stuck in startup: qvm leaves anyway after 2 s
	bg stuck @"$BASE" $LIFE sleep-at 1 sleep-for 100
	sleep 0.5
	kill -INT $BG_PID
	finish stuck 6 && expect_rc stuck 3 && expect_err stuck "startup did not stop within 2 s: exiting"
}

# Signals arriving while the vdevs are being terminated reach nobody.
t_no_callbacks_after_terminate() {
	bg late @"$WDOG" $LIFE sleep-at 3 sleep-for 10	# TERMINATE takes 1 s
	wait_out late "wdog kick 1" 20 || { kill -9 $BG_PID; return 1; }
	kill -QUIT $BG_PID
	sleep 0.5
	kill -USR1 $BG_PID
	kill -TERM $BG_PID
	finish late 10 && expect_rc late 3 && expect_no_err late "after TERMINATE" &&
	expect_no_err late "lc: lifecycle: STATUS" && expect_no_err late "lc: lifecycle: BUTTON"
}

# A signal already pending when qvm's first instruction runs (sent before
# the exec, blocked across it) gets the documented startup behaviour:
# TERM, INT and QUIT stop qvm with 3, USR1 and USR2 are ignored.
t_signal_pending_at_exec() {
	local sig want
	for sig in TERM:3 INT:3 QUIT:3 USR1:0 USR2:0; do
		want=${sig#*:} sig=${sig%:*}
		timeout -k "$KILL_AFTER" 30 "$B/tests/exec-pending" "$(kill -l "$sig")" "$QVM" @"$BASE" dryrun \
			>"$OUT/pend.out" 2>"$OUT/pend.err" </dev/null
		echo $? >"$OUT/pend.rc"
		expect_rc pend "$want" || { echo "(SIG$sig pending at exec)"; return 1; }
		# (the signal thread's own line may not be out before qvm ends: not checked)
		if [ "$want" = 3 ]; then
			expect_no_err pend "Exiting: dryrun completed" || return 1
		else
			expect_err pend "Exiting: dryrun completed" || return 1
		fi
	done
}

T="sigquit_power_cut t_sigquit_power_cut
signal_pending_at_exec t_signal_pending_at_exec
sigterm_button_then_power_cut t_sigterm_button_then_cut
sigint_twice t_sigint_twice
sigterm_guest_powers_off t_sigterm_guest_powers_off
sigusr1_status t_sigusr1_status
dumps_written t_dumps
vdev_asks_for_a_dump t_vdev_dump
dumps_readelf_gdb t_dumps_read
stop_during_startup t_stop_during_startup
no_callbacks_after_terminate t_no_callbacks_after_terminate"
while read -r name fn; do
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		tap_check "$name" "$fn"
	else
		tap_skip "$name" "/dev/kvm is not usable on this machine: guests cannot run"
	fi
done <<<"$T"
tap_end
