# Helpers for the shell tests (sourced): qvm runs whose stdout, stderr and
# exit code land in $OUT, and checks on them that print why they failed.
# Every qvm runs under `timeout -k $KILL_AFTER`, or is killed by finish():
# a qvm that ignores SIGTERM (hung in its shutdown) fails its test.
set -u
cd "$(dirname "$0")/.."
B=${B:-build}
QVM=${QVM:-$B/qvm}
KILL_AFTER=${KILL_AFTER:-15}
unset QVM_VDEV_PATH
. tests/tap.sh
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
LIFE="vdev lifecycle name lc"
# What the tests need to know of this machine's architecture: its guests,
# the configurations that run them, and where things are in its memory map.
#   BASE      the trace demo, halting at its end, no cpu option
#   VIOLATE   the same without the trace vdev (a test vdev takes its place)
#   SDK_CONF  the SDK guest with its vdevs;  BUS_FAULT  what a bus error is to a guest
#   MSI_LINE  what the SDK guest says of guest_msi_signal (arm64: no ITS, no MSI)
#   INSTR0    the instruction guest_instr_register type 0 is (CPUID, SMC)
#   UART_LINE what the SDK guest reads from its console (arm64's pl011 takes no input)
#   QVM_STDIN what `run` gives qvm as standard input (default /dev/null)
#   WDOG      the watchdog demo (four kicks "wdog kick N", then the bite: exit 4)
#   GUESTS    the guest images;  RAM  a ram option they load into
#   RAW_AT    where a raw `load FILE` goes in $RAM;  CONSOLE  the guests' UART
#   HALT      what makes the demo end by halting;  TRACE_LOC  BASE's trace
#             register, as qvm prints it
#   CORE_RAM  WDOG's ram in a core's PT_LOAD: "START SIZE" (readelf's hex)
#   CORE_PC   the register gdb names for the pc, and the range of WDOG's text
#   INTR      an interrupt a vdev can be given (an SPI, an IOAPIC pin)
#   BENCH_ROWS  the rows of make bench's table (kinds by 2 systems; no port I/O on arm64)
GARCH=$(uname -m)
GUESTS=build/guest-images/$GARCH	# guest images are not sanitized: always here
case $GARCH in
aarch64)
	BASE=tests/configs/aarch64/base.qvmconf VIOLATE=tests/configs/aarch64/violate.qvmconf
	SDK_CONF=tests/configs/aarch64/sdk.qvmconf BUS_FAULT="external abort"
	MSI_LINE="sdk msi: none on this architecture" INSTR0=SMC
	UART_LINE="sdk uart: no input on this architecture"
	WDOG=guest-images/aarch64/wdog-demo.qvmconf
	RAM="ram 0x40000000,16M" RAW_AT=0x40080000 CONSOLE="vdev pl011 loc 0x09000000"
	HALT="cmdline halt" TRACE_LOC=0x9010000
	CORE_RAM="0x0*40000000 0x0*4000000" CORE_PC="pc 0x40080000 0x40100000" INTR=gic:40 BENCH_ROWS=8 ;;
*)
	BASE=tests/configs/ok/base.qvmconf VIOLATE=tests/configs/ok/violate.qvmconf
	SDK_CONF=tests/configs/ok/sdk.qvmconf BUS_FAULT="#GP"
	MSI_LINE="sdk msi: interrupts 1" INSTR0=CPUID UART_LINE="sdk uart read: ping"
	WDOG=guest-images/x86_64/wdog-demo.qvmconf
	RAM="ram 0,16M" RAW_AT=0x0 CONSOLE="vdev ser8250"
	HALT="" TRACE_LOC=0xfa000000
	CORE_RAM="0x0+ 0x0*1000000" CORE_PC="rip 0x100000 0x200000" INTR=ioapic:10 BENCH_ROWS=12 ;;
esac

# run NAME TIMEOUT ARGS...: qvm's stdout, stderr and exit code in $OUT/NAME.*
run() {
	local name=$1 t=$2
	shift 2
	timeout -k "$KILL_AFTER" "$t" "$QVM" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" <"${QVM_STDIN:-/dev/null}"
	echo $? >"$OUT/$name.rc"
}
rc_of()  { cat "$OUT/$1.rc"; }
has()    { grep -qF -- "$2" "$OUT/$1.$3"; }
expect_rc()  { [ "$(rc_of "$1")" = "$2" ] || { echo "exit code $(rc_of "$1"), wanted $2"; tail -5 "$OUT/$1.err"; return 1; }; }
expect_out() { has "$1" "$2" out || { echo "no line '$2' in stdout"; return 1; }; }
expect_err() { has "$1" "$2" err || { echo "no '$2' in stderr"; tail -5 "$OUT/$1.err"; return 1; }; }
expect_no_err() { ! has "$1" "$2" err || { echo "unexpected '$2' in stderr"; return 1; }; }


# bg NAME ARGS...: start qvm in the background (BG_PID), vdevs of the tests found too
bg() {
	local name=$1
	shift
	QVM_VDEV_PATH=$PWD/$B/tests "$QVM" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null &
	BG_PID=$!
}
# wait_out NAME TEXT SECONDS: until the guest printed TEXT (wait_err: qvm logged it)
wait_in() {
	local i
	for i in $(seq $(($4 * 10))); do has "$2" "$3" "$1" && return 0; sleep 0.1; done
	echo "no '$3' within $4 s"
	return 1
}
wait_out() { wait_in out "$@"; }
wait_err() { wait_in err "$@"; }
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
