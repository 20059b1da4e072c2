# Integration tests, sourced by tests/run.sh: qvm runs real guests under KVM.
# Each test function prints nothing on success and the reason on failure.

BASE=tests/configs/ok/base.qvmconf
DEMO=guest-images/x86_64/trace-demo.qvmconf
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# run NAME TIMEOUT ARGS...: qvm's stdout, stderr and exit code in $OUT/NAME.*
run() {
	local name=$1 t=$2
	shift 2
	timeout -k "$KILL_AFTER" "$t" "$QVM" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
	echo $? >"$OUT/$name.rc"
}
rc_of()  { cat "$OUT/$1.rc"; }
has()    { grep -qF -- "$2" "$OUT/$1.$3"; }
expect_rc()  { [ "$(rc_of "$1")" = "$2" ] || { echo "exit code $(rc_of "$1"), wanted $2"; tail -5 "$OUT/$1.err"; return 1; }; }
expect_out() { has "$1" "$2" out || { echo "no line '$2' in stdout"; return 1; }; }
expect_err() { has "$1" "$2" err || { echo "no '$2' in stderr"; tail -5 "$OUT/$1.err"; return 1; }; }
expect_no_err() { ! has "$1" "$2" err || { echo "unexpected '$2' in stderr"; return 1; }; }

# check NAME FUNCTION: run a test function and count it
check() {
	local name=$1 why
	if why=$("$2" 2>&1); then ok "$name"; else not_ok "$name" "$(echo "$why" | head -1)"; echo "$why" | tail -n +2 | sed 's/^/    /'; fi
}

# The guest's trace counter lines, strictly increasing, 4 of them.
counters_increase() {
	local vals prev=-1 n=0
	vals=$(sed -n 's/^trace counter: \([0-9]*\)$/\1/p' "$OUT/$1.out")
	for v in $vals; do
		[ "$v" -gt "$prev" ] || { echo "trace counter did not increase: $(echo $vals)"; return 1; }
		prev=$v
		n=$((n + 1))
	done
	[ $n -eq 4 ] || { echo "expected 4 trace counter lines, got $n"; return 1; }
}

t_demo() {
	run demo 60 @"$DEMO"
	expect_rc demo 0 &&
	expect_out demo "qvm trace demo: hello from the boot vcpu (2 vcpus)" &&
	counters_increase demo &&
	expect_out demo "trace write: 0x12345678" &&
	expect_out demo "trace 8-bit read: 0xff" &&
	expect_out demo "unowned read: 0xffffffff" &&
	expect_out demo "cpu 0 of 2: online" &&
	expect_out demo "cpu 1 of 2: online" &&
	expect_out demo "all 2 vcpus done" &&
	expect_err demo "4-byte write of 0xdeadbeef at mem:0xfb000000: no vdev there (unsupported reference: ignored)" &&
	expect_err demo "1-byte read at mem:0xfa000000: vdev trace does not accept 1-byte accesses" &&
	expect_err demo "all vcpus halted with interrupts off: exiting (exit-on-halt)"
}

# One warning per address, however often the guest touches it.
t_warn_once() {
	[ "$(grep -c 'mem:0xfb000000' "$OUT/demo.err")" = 1 ] || { echo "warned $(grep -c 'mem:0xfb000000' "$OUT/demo.err") times about 0xfb000000"; return 1; }
}

t_one_vcpu() {
	run one 60 @"$BASE"	# no cpu option: one vCPU
	expect_rc one 0 && expect_out one "(1 vcpus)" && expect_out one "all 1 vcpus done"
}

t_three_vcpus_from_command_line() {
	run three 60 @"$BASE" cpu cpu cpu
	expect_rc three 0 && expect_out three "cpu 2 of 3: online" && expect_out three "all 3 vcpus done"
}

t_config_flag_and_dryrun() {
	run dry 20 --config "$DEMO" dryrun
	expect_rc dry 0 && expect_err dry "Exiting: dryrun completed" &&
	{ ! has dry "hello" out || { echo "the guest ran during dryrun"; return 1; }; }
}

t_emit_logger() {
	run logger 60 @"$BASE" emit-logger	# still the trace vdev's context
	expect_rc logger 0 &&
	expect_err logger "qvm: trace: read 0x00000000 at 0xfa000000" &&
	expect_err logger "qvm: trace: write 0x12345678 at 0xfa000000"
}

t_logger_filters() {
	run quiet 60 @"$BASE" logger warn,info none
	expect_rc quiet 0 && expect_no_err quiet "warning" && expect_no_err quiet "exit-on-halt"
}

t_unsupported_abort() {
	run abort 60 @"$BASE" unsupported reference abort
	expect_rc abort 5 &&
	expect_err abort "1-byte read at mem:0xfa000000: vdev trace does not accept 1-byte accesses (unsupported reference: abort)" &&
	expect_out abort "trace write: 0x12345678" &&
	{ ! has abort "8-bit write: dropped" out || { echo "the guest went on after the abort"; return 1; }; }
}

# `fail` delivers a fault; this guest has no IDT, so the fault ends it.
t_unsupported_fail() {
	run failpol 60 @"$BASE" unsupported reference fail
	expect_rc failpol 96 &&
	expect_err failpol "(unsupported reference: fault delivered to the guest)" &&
	expect_err failpol "the guest shut down the CPU (triple fault)"
}

# Without exit-on-halt a halted guest keeps qvm alive, as on the real qvm.
t_halt_without_exit_on_halt() {
	run nohalt 8 @"$BASE" set exit-on-halt off set power-button-timeout 1
	expect_rc nohalt 124 && expect_out nohalt "all 1 vcpus done"
}

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

# The lifecycle in the documented order, each callback once.
LIFECYCLE="OPTIONS_START|option 0 x|option 1 (none)|OPTIONS_END|ASSIGN|GUEST_CONFIGURED|path|GUEST_STARTING|TERMINATE"
# (OPTIONS_START comes before `name lc` is read, under the default name)
lifecycle_of() { sed -n 's/^qvm: [a-z]*: lifecycle: \(path\).*/\1/p; s/^qvm: [a-z]*: lifecycle: //p' "$OUT/$1.err" | grep -v '^/' | paste -sd'|'; }

t_lifecycle_order() {
	XDG_RUNTIME_DIR=$OUT QVM_VDEV_PATH=$B/tests run life 60 @"$BASE" vdev lifecycle name lc opt-a x opt-b
	expect_rc life 0 || return 1
	local got
	got=$(lifecycle_of life)
	[ "$got" = "$LIFECYCLE" ] || { echo "lifecycle: $got"; echo "wanted:    $LIFECYCLE"; return 1; }
	expect_err life "lifecycle: path $OUT/qvm/pid-" && [ -d "$(sed -n 's/.*lifecycle: path //p' "$OUT/life.err")" ] ||
		{ echo "vdev_path() did not make its directory"; return 1; }
}

t_lifecycle_dryrun_and_errors() {
	QVM_VDEV_PATH=$B/tests run lifedry 30 @"$BASE" vdev lifecycle name lc opt-a x opt-b dryrun
	expect_rc lifedry 0 || return 1
	[ "$(lifecycle_of lifedry)" = "OPTIONS_START|option 0 x|option 1 (none)|OPTIONS_END|ASSIGN|GUEST_CONFIGURED|path|TERMINATE" ] ||
		{ echo "dryrun lifecycle: $(lifecycle_of lifedry)"; return 1; }
	# A configuration error after the vdev exists: TERMINATE still comes, once.
	QVM_VDEV_PATH=$B/tests run lifebad 30 @"$BASE" vdev lifecycle name lc opt-b frobnicate
	expect_rc lifebad 65 && expect_err lifebad "command line:7: unknown option 'frobnicate' (not an option of vdev lc nor a qvm option)" || return 1
	[ "$(lifecycle_of lifebad)" = "OPTIONS_START|option 1 (none)|TERMINATE" ] ||
		{ echo "lifecycle on error: $(lifecycle_of lifebad)"; return 1; }
	# A vdev refusing ASSIGN (8) is a configuration error naming it.
	QVM_VDEV_PATH=$B/tests run lifeassign 30 @"$BASE" vdev lifecycle name lc fail-at 8
	expect_rc lifeassign 65 &&
	expect_err lifeassign "command line:2: vdev lc: ASSIGN failed: Input/output error"
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
	run etrace 60 @"$BASE" emit-trace 12
	local rc=0
	expect_rc etrace 0 || rc=1
	grep -q "qvm trace trace event 12: write 0x12345678 at 0xfa000000" $tfs/trace ||
		{ echo "no trace_marker line for the guest's write in $tfs/trace"; rc=1; }
	# the guest polls the register: early reads may have left the ring buffer
	grep -q "qvm trace trace event 12: read 0x0000000[0-9] at 0xfa000000" $tfs/trace ||
		{ echo "no trace_marker line for a guest read"; rc=1; }
	[ $mounted = 1 ] && umount $tfs
	return $rc
}

# ---- the vdev SDK, out of tree ----
PFX=$OUT/prefix
SDKV=$OUT/vdevs

# Install qvm into a temporary prefix and build vdevs against it with pkg-config only.
t_sdk_install_and_build() {
	make -s install PREFIX="$PFX" SANITIZE="${SANITIZE:-}" >"$OUT/install.log" 2>&1 ||
		{ echo "make install failed"; tail -5 "$OUT/install.log"; return 1; }
	local cflags
	cflags=$(PKG_CONFIG_PATH=$PFX/lib/pkgconfig pkg-config --cflags qvm-vdev) ||
		{ echo "pkg-config does not know qvm-vdev"; return 1; }
	case "$cflags" in *"-I$PFX/include"*) ;; *) echo "pkg-config --cflags gave '$cflags'"; return 1 ;; esac
	mkdir -p "$SDKV"
	for v in sdktest seed badabi; do
		cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -shared -fPIC $cflags \
			tests/sdk/$v.c -o "$SDKV/vdev-$v.so" 2>"$OUT/cc-$v.log" ||
			{ echo "vdev-$v.so does not build out of tree"; head -5 "$OUT/cc-$v.log"; return 1; }
	done
}

sdk_run() {	# sdk_run NAME TIMEOUT ARGS...
	local name=$1 t=$2
	shift 2
	QVM_VDEV_PATH=$SDKV XDG_RUNTIME_DIR=$OUT/xdg run "$name" "$t" "$@"
}

t_sdk_guest() {
	[ -x "$PFX/bin/qvm" ] || { echo "no installed qvm (install failed)"; return 1; }
	mkdir -p "$OUT/xdg"
	QVM=$PFX/bin/qvm sdk_run sdk 90 @tests/configs/ok/sdk.qvmconf
	local want
	for want in "sdk test: start" "sdk id: 0x53444b31" "sdk scratch: 0x1234abcd 0x0badf00d" \
		"sdk dma contig: HELLO, DMA WORLD sum=1498" "sdk dma reverse: DLROW AMD ,OLLEH" \
		"sdk dma sys: MIXED CASE TEXT!" "sdk region: 0xc0de0007" "sdk region info: 1" \
		"sdk soft region: 0xc0de0008" "sdk soft removed: 0xffffffff" "sdk traces: read" \
		"sdk oneshot: fired" "sdk periodic: 5 ticks" "sdk periodic: stopped" \
		"sdk irq: 1 interrupt" "sdk bus error: #GP delivered" "sdk thread: advancing" \
		"sdk path: 1" "sdk test: done"; do
		expect_out sdk "$want" || return 1
	done
	expect_rc sdk 42 &&	# the guest asked the vdev for guest_terminate(42)
	{ ! has sdk "still running after EXIT" out || { echo "the guest ran on after guest_terminate"; return 1; }; } &&
	expect_err sdk "qvm[sdk]: sdk1: sdktest: ready ($OUT/xdg/qvm/sdk/sdk1)" &&
	[ -f "$OUT/xdg/qvm/sdk/sdk1/alive" ] || { echo "no file in sdk1's vdev_path()"; return 1; }
	# per-vdev `log`: only sdk2 shows its debug line
	expect_err sdk "qvm[sdk]: debug: sdk2: sdktest: debug message" &&
	expect_no_err sdk "sdk1: sdktest: debug message" &&
	# two trace instances, each its own state: only tr-a was given emit-logger
	expect_err sdk "qvm[sdk]: tr-a: read 0x" && expect_no_err sdk "tr-b: read"
}

t_seed_and_abi() {
	[ -f "$SDKV/vdev-seed.so" ] || { echo "vdev-seed.so was not built"; return 1; }
	QVM=$PFX/bin/qvm sdk_run badabi 20 @tests/configs/ok/violate.qvmconf vdev badabi
	expect_rc badabi 65 &&
	expect_err badabi "command line:2: $SDKV/vdev-badabi.so was built for vdev ABI 802, this qvm has ABI 801: rebuild it against this qvm's headers"
}

# One run per function-safety rule: the message names the vdev, the function and the rule.
t_phase_rules() {
	local rule code msg n=0 bad=0
	while IFS='|' read -r rule code msg; do
		[ -n "$rule" ] || continue
		n=$((n + 1))
		sdk_run "rule-$rule" 30 @tests/configs/ok/violate.qvmconf vdev sdktest loc 0xfa000000 \
			intr ioapic:10 violate "$rule"
		if [ "$(rc_of "rule-$rule")" != "$code" ] || ! has "rule-$rule" "$msg" err; then
			echo "rule $rule: exit $(rc_of "rule-$rule") (wanted $code): $(tail -1 "$OUT/rule-$rule.err")"
			bad=1
		fi
	done <<'RULES'
thread-at-startup|64|command line:2: vdev sdktest: vdev_thread_create(): may only be called after VDEV_CTRL_GUEST_CONFIGURED
path-at-startup|64|command line:2: vdev sdktest: vdev_path(): may only be called after VDEV_CTRL_GUEST_CONFIGURED
cpu-read-at-startup|64|command line:2: vdev sdktest: guest_cpu_read(): may only be called after VDEV_CTRL_GUEST_CONFIGURED
intr-at-startup|64|command line:2: vdev sdktest: guest_intr_signal(): may only be called after VDEV_CTRL_GUEST_CONFIGURED
notify-at-startup|64|command line:2: vdev sdktest: guest_timer_notify(): may only be called after VDEV_CTRL_GUEST_CONFIGURED
soft-at-startup|64|command line:2: vdev sdktest: gasp_region_set_soft(): may only be called after VDEV_CTRL_GUEST_CONFIGURED; use gasp_region_set()
region-when-running|64|vdev sdktest: gasp_region_set(): may only be called during startup (before VDEV_CTRL_GUEST_CONFIGURED); use gasp_region_set_soft()
timer-when-running|64|vdev sdktest: guest_timer_create(): may only be called during startup (before VDEV_CTRL_GUEST_CONFIGURED)
fatal-after-start|96|fatal: vdev sdktest: qvm_fatal() called after the guest started (use guest_terminate())
region-after-start|96|fatal: vdev sdktest: gasp_region_set(): may only be called during startup (before VDEV_CTRL_GUEST_CONFIGURED); use gasp_region_set_soft()
soft-unlocked|96|fatal: vdev sdktest: gasp_region_set_soft(): must be called between gasp_lock() and gasp_unlock()
timer-after-start|96|fatal: vdev sdktest: guest_timer_create(): may only be called during startup (before VDEV_CTRL_GUEST_CONFIGURED)
RULES
	[ $n = 12 ] || { echo "ran $n rules"; return 1; }
	return $bad
}

# ---- termination, signals, watchdogs, dumps ----
WDOG=guest-images/x86_64/wdog-demo.qvmconf
LIFE="vdev lifecycle name lc"

# bg NAME ARGS...: start qvm in the background (BG_PID), vdevs of the tests found too
bg() {
	local name=$1
	shift
	QVM_VDEV_PATH=$B/tests "$QVM" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null &
	BG_PID=$!
}
# wait_out NAME TEXT SECONDS: until the guest printed TEXT
wait_out() {
	local i
	for i in $(seq $(($3 * 10))); do has "$1" "$2" out && return 0; sleep 0.1; done
	echo "no '$2' within $3 s"
	return 1
}
# finish NAME SECONDS: wait for BG_PID to end; kill it (and fail) if it hangs
finish() {
	local i
	for i in $(seq $(($2 * 10))); do kill -0 $BG_PID 2>/dev/null || break; sleep 0.1; done
	if kill -0 $BG_PID 2>/dev/null; then
		kill -9 $BG_PID
		wait $BG_PID 2>/dev/null
		echo hung >"$OUT/$1.rc"
		echo "qvm did not end within $2 s"
		return 1
	fi
	wait $BG_PID
	echo $? >"$OUT/$1.rc"
}

t_watchdog_timing() {
	{ timeout -k "$KILL_AFTER" 30 "$QVM" @"$WDOG" 2>"$OUT/wdog.err"; echo "exit $?"; } </dev/null |
		while IFS= read -r l; do echo "$(date +%s.%N) $l"; done >"$OUT/wdog.ts"
	grep -q " exit 4$" "$OUT/wdog.ts" || { echo "qvm ended with: $(tail -1 "$OUT/wdog.ts")"; return 1; }
	local last end
	last=$(awk '/ wdog kick 4$/ { print $1 }' "$OUT/wdog.ts")
	end=$(awk '/ exit 4$/ { print $1 }' "$OUT/wdog.ts")
	[ -n "$last" ] || { echo "no 4th kick"; return 1; }
	# the timeout is 4 s: the bite comes no sooner, and at most 10 % later
	awk -v a="$last" -v b="$end" 'BEGIN { d = b - a; if (d < 3.9 || d > 4.4) {
		printf "qvm ended %.2f s after the last kick (timeout 4 s, +10%%)\n", d; exit 1 } }' || return 1
	has wdog "wdt-ib700: not kicked for 4 s" err && has wdog "wdt-ib700: the watchdog bit (terminate)" err ||
		{ echo "no log line saying the watchdog bit"; return 1; }
}

# An IB700 the guest never starts never bites.
t_watchdog_unused() {
	run wdidle 60 @"$BASE" vdev wdt-ib700
	expect_rc wdidle 0 && expect_out wdidle "all 1 vcpus done" && expect_no_err wdidle "bit"
}

t_exit_codes_from_vdevs() {
	QVM_VDEV_PATH=$SDKV run vrs 30 @tests/configs/ok/violate.qvmconf vdev sdktest loc 0xfa000000 end-with vrs-terminate
	expect_rc vrs 6 && expect_err vrs "vdev sdktest ended the guest (VRS_TERMINATE) on a read at mem:0xfa000000" || return 1
	QVM_VDEV_PATH=$SDKV run bad 30 @tests/configs/ok/violate.qvmconf vdev sdktest loc 0xfa000000 end-with 99
	expect_rc bad 7 && expect_err bad "guest_terminate(): invalid cause 99" || return 1
	QVM_VDEV_PATH=$SDKV run custom 30 @tests/configs/ok/violate.qvmconf vdev sdktest loc 0xfa000000 end-with 63
	expect_rc custom 63
}

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
	expect_out usr1 "qvm[wdog-demo]: status: lifecycle lc: alive" &&
	expect_err usr1 "qvm[wdog-demo]: status: wdog-demo, 1 vcpus, 4 vdevs, up "
}

# check_core FILE: readelf sees the vCPU notes and guest RAM; gdb shows the guest's registers.
check_core() {
	readelf -h "$1" 2>/dev/null | grep -q "CORE (Core file)" || { echo "$1 is not an ELF core"; return 1; }
	readelf -n "$1" | grep -q "NT_PRSTATUS" || { echo "no NT_PRSTATUS note in $1"; return 1; }
	readelf -lW "$1" | grep -Eq "LOAD +0x[0-9a-f]+ 0x0+ 0x0+ 0x0*1000000 0x0*1000000" ||
		{ echo "no PT_LOAD for ram 0-16M in $1"; readelf -lW "$1" | grep LOAD; return 1; }
	local rip
	rip=$(gdb -nx -batch -c "$1" -ex "info registers rip" 2>/dev/null | awk '/^rip/ { print $2 }')
	# the guest runs from 0x100000 (wdog-demo.elf's text)
	case "$rip" in 0x10[0-9a-f][0-9a-f][0-9a-f][0-9a-f]) ;;
		*) echo "gdb shows rip '$rip' for $1"; return 1 ;; esac
}

t_dumps() {
	mkdir -p "$OUT/dumps"
	bg dump @"$WDOG" action dump,terminate dump "$OUT/dumps"	# action: ib700's, the open context
	wait_out dump "wdog kick 1" 20 || { kill -9 $BG_PID; return 1; }
	kill -USR2 $BG_PID	# a dump on demand
	finish dump 30 && expect_rc dump 4 || return 1
	expect_err dump "SIGUSR2: core dump written to $OUT/dumps/wdog-demo-" &&
	expect_err dump "watchdog: core dump written to $OUT/dumps/wdog-demo-" || return 1
	local n=0 f
	for f in "$OUT"/dumps/wdog-demo-*.gcore; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		check_core "$f" || return 1
	done
	[ $n = 2 ] || { echo "$n core files, wanted 2 (SIGUSR2 and the watchdog)"; return 1; }
	# dump "|CMD": the core goes to a command's standard input
	bg pipe @"$WDOG" dump "|cat > $OUT/piped.gcore"
	wait_out pipe "wdog kick 1" 20 || { kill -9 $BG_PID; return 1; }
	kill -USR2 $BG_PID
	sleep 1
	kill -QUIT $BG_PID
	finish pipe 20 && expect_rc pipe 3 && check_core "$OUT/piped.gcore"
}

# Reproduced by review: a vdev with VFF_MUTEX and a running timer calls qvm_fatal in
# its vread; the timer callback then waits for v_mtx forever. qvm must still end.
t_fatal_with_timer() {
	QVM_VDEV_PATH=$SDKV run fataltimer 20 @tests/configs/ok/violate.qvmconf vdev sdktest \
		loc 0xfa000000 tick-ms 5 violate fatal-after-start
	expect_rc fataltimer 96 && expect_err fataltimer "qvm_fatal() called after the guest started"
}

# guest_terminate during GUEST_CONFIGURED keeps its cause, dryrun or not.
t_terminate_while_configuring() {
	QVM_VDEV_PATH=$B/tests run cfgexit 20 @"$BASE" $LIFE exit-at 2 dryrun
	expect_rc cfgexit 33 && expect_err cfgexit "lc: lifecycle: TERMINATE" &&
	expect_no_err cfgexit "after TERMINATE" && expect_no_err cfgexit "dryrun completed"
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

# Every function the public headers declare is exported by qvm, so a vdev using it loads.
t_api_exported() {
	local fn missing=""
	for fn in $(grep -ohE '^[a-z].*[ *](vdev|guest|gasp|qvm|wdog)_[a-z_0-9]+\(' include/qvm/*.h |
			grep -oE '(vdev|guest|gasp|qvm|wdog)_[a-z_0-9]+\($' | tr -d '(' | grep -v '_t$' | sort -u); do
		nm -D --defined-only "$QVM" | grep -qE " T $fn\$" || missing="$missing $fn"
	done
	[ -z "$missing" ] || { echo "declared but not exported:$missing"; return 1; }
}

# core/term.c owns the end: nothing else calls exit() or _exit().
t_one_exit_point() {
	local hits
	hits=$(grep -nE '(^|[^a-z_])_?exit *\(' core/*.c arch/*/*.c | grep -v '^core/term\.c:')
	[ -z "$hits" ] || { echo "exit outside core/term.c: $hits"; return 1; }
}

# ---- the benchmark, once with a small N: it runs and its numbers are sane ----
t_bench_smoke() {
	local d=$OUT/bench
	"$B/tools/qvm-bench" --n 3000 --warmup 100 --rounds 1 --calib-ms 50 --vdevs 4 \
		--qvm "$QVM" --baseline "$B/tools/kvm-baseline" --out "$d" >"$OUT/bench.log" 2>&1 ||
		{ echo "qvm-bench failed"; tail -5 "$OUT/bench.log"; return 1; }
	[ -s "$d/bench.json" ] && [ -s "$d/bench.svg" ] || { echo "no bench.json or bench.svg"; return 1; }
	grep -q "mmio-read p50 within 3 %" "$OUT/bench.log" || { echo "no verdict for the targets"; return 1; }
	# sane: every exit costs more than the timing loop's floor, percentiles are ordered
	awk '/^(floor|mmio-read|mmio-write|pio-read|pio-write|unowned) / { kind = $1; sys = $2; off = 3 }
	     /^ +(baseline|qvm) / { sys = $1; off = 2 }
	     /^(floor|mmio-read|mmio-write|pio-read|pio-write|unowned) / || /^ +(baseline|qvm) / {
		min = $(off); p50 = $(off+1); p99 = $(off+3); max = $(off+5)
		if (!(min > 0 && min <= p50 && p50 <= p99 && p99 <= max)) { print "unordered " kind " " sys; bad = 1 }
		if (kind == "floor") floor[sys] = p50; else if (p50 <= floor[sys]) { print kind " " sys " p50 not above the floor"; bad = 1 }
		n++ }
	     END { if (n != 12) { print "expected 12 rows, got " n; bad = 1 } exit bad }' "$OUT/bench.log"
}

if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	check integration/demo t_demo
	check integration/warn_once_per_address t_warn_once
	check integration/one_vcpu t_one_vcpu
	check integration/three_vcpus_from_command_line t_three_vcpus_from_command_line
	check integration/config_flag_and_dryrun t_config_flag_and_dryrun
	check integration/emit_logger t_emit_logger
	check integration/logger_filters t_logger_filters
	check integration/unsupported_abort t_unsupported_abort
	check integration/unsupported_fail t_unsupported_fail
	check integration/halt_without_exit_on_halt t_halt_without_exit_on_halt
	check integration/command_line_errors t_command_line_errors
	check sdk/install_and_build_out_of_tree t_sdk_install_and_build
	check sdk/guest_drives_every_function t_sdk_guest
	check sdk/seed_compiles_and_abi_refused t_seed_and_abi
	check sdk/phase_rules t_phase_rules
	check bench/smoke t_bench_smoke
	check termination/watchdog_bites_on_time t_watchdog_timing
	check termination/watchdog_never_started t_watchdog_unused
	check termination/exit_codes_6_7_custom t_exit_codes_from_vdevs
	check termination/sigquit_power_cut t_sigquit_power_cut
	check termination/sigterm_button_then_power_cut t_sigterm_button_then_cut
	check termination/sigint_twice t_sigint_twice
	check termination/sigterm_guest_powers_off t_sigterm_guest_powers_off
	check termination/sigusr1_status t_sigusr1_status
	check termination/dumps_readelf_gdb t_dumps
	check termination/stop_during_startup t_stop_during_startup
	check termination/fatal_with_a_blocked_timer t_fatal_with_timer
	check termination/terminate_while_configuring t_terminate_while_configuring
	check termination/no_callbacks_after_terminate t_no_callbacks_after_terminate
	check integration/lifecycle_order t_lifecycle_order
	check integration/lifecycle_dryrun_and_errors t_lifecycle_dryrun_and_errors
	if why=$(t_emit_trace 2>&1); then
		case "$why" in SKIP:*) skipped integration/emit_trace "${why#SKIP: }" ;; *) ok integration/emit_trace ;; esac
	else
		not_ok integration/emit_trace "$(echo "$why" | head -1)"
	fi
else
	skipped integration "/dev/kvm is not usable on this machine: guests cannot run"
fi
check integration/help_version t_help_version
check sdk/every_declared_function_is_exported t_api_exported
check termination/one_exit_point t_one_exit_point
