#!/usr/bin/env bash
# The vdev SDK, out of tree: `make install` into a prefix, vdevs built
# against it with pkg-config only, the SDK guest driving every function,
# the ABI check, the function-safety rules; and the benchmark, once with a
# small N. Prints TAP.
. "$(dirname "$0")/lib.sh"
. tests/bench-table.sh

PFX=$OUT/prefix
SDKV=$OUT/vdevs

# Install qvm into a temporary prefix and build vdevs against it with pkg-config only.
t_sdk_install_and_build() {
	command -v make >/dev/null && command -v cc >/dev/null && command -v pkg-config >/dev/null ||
		{ echo "SKIP: no make, C compiler and pkg-config here to install the SDK and build vdevs with"; return 0; }
	make -s install PREFIX="$PFX" SANITIZE="${SANITIZE:-}" >"$OUT/install.log" 2>&1 ||
		{ echo "make install failed"; tail -5 "$OUT/install.log"; return 1; }
	local cflags
	cflags=$(PKG_CONFIG_PATH=$PFX/share/pkgconfig pkg-config --cflags qvm-vdev) ||
		{ echo "pkg-config does not know qvm-vdev"; return 1; }
	case "$cflags" in *"-I$PFX/include"*) ;; *) echo "pkg-config --cflags gave '$cflags'"; return 1 ;; esac
	mkdir -p "$SDKV"
	for v in sdktest seed badabi names; do
		# names.c: every header and every name of the 8.0 API, pedantic
		cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror $([ $v = names ] && echo -pedantic) \
			-shared -fPIC $cflags tests/sdk/$v.c -o "$SDKV/vdev-$v.so" 2>"$OUT/cc-$v.log" ||
			{ echo "vdev-$v.so does not build out of tree"; head -5 "$OUT/cc-$v.log"; return 1; }
	done
	# the SDK's example (qvm-dev ships it): it builds the same way
	cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pedantic -shared -fPIC $cflags \
		docs/examples/ticker.c -o "$SDKV/vdev-ticker.so" 2>"$OUT/cc-ticker.log" ||
		{ echo "docs/examples/ticker.c does not build out of tree"; head -5 "$OUT/cc-ticker.log"; return 1; }
}

# The vdevs built out of tree, or where they could not be (no compiler
# here), the sdktest vdev make built in the tree.
sdk_vdevs() { [ -f "$SDKV/vdev-sdktest.so" ] && echo "$SDKV" || echo "$PWD/$B/tests"; }
sdk_run() {	# sdk_run NAME TIMEOUT ARGS...
	local name=$1 t=$2
	shift 2
	QVM_VDEV_PATH=$(sdk_vdevs) XDG_RUNTIME_DIR=$OUT/xdg run "$name" "$t" "$@"
}

t_sdk_guest() {
	# the installed qvm, or where it could not be installed (no compiler), the tree's
	local q=$QVM
	[ -d "$PFX" ] && q=$PFX/bin/qvm
	[ -x "$q" ] || { echo "no installed qvm (install failed)"; return 1; }
	mkdir -p "$OUT/xdg"
	printf 'ping\n' >"$OUT/uart-in"	# the console's input (ser8250 reads qvm's standard input)
	QVM=$q QVM_STDIN=$OUT/uart-in sdk_run sdk 90 @"$SDK_CONF"
	local want
	for want in "sdk test: start" "sdk id: 0x53444b31" "sdk scratch: 0x1234abcd 0x0badf00d" \
		"sdk dma contig: HELLO, DMA WORLD sum=1498" "sdk dma reverse: DLROW AMD ,OLLEH" \
		"sdk dma sys: MIXED CASE TEXT!" "sdk dma vdma: THE 8.0 MAPPING." \
		"sdk dma handle: the 8.0 mapping." "sdk region: 0xc0de0007" "sdk region info: 1" \
		"sdk soft region: 0xc0de0008" "sdk soft removed: 0xffffffff" "sdk traces: read" \
		"sdk oneshot: fired" "sdk periodic: 5 ticks" "sdk periodic: stopped" \
		"sdk irq: 1 interrupt" "$MSI_LINE" "sdk bus error: $BUS_FAULT delivered" \
		"sdk cpuregs: read 0x55667788, register now 0x55667789" "sdk cpuregs errors: 0" \
		"sdk cpuregs pc: the access's own" "sdk cpuregs pc write: resumed there" \
		"sdk cpuregs pc errors: 0" "sdk virtual read: 0xfeedbeef" "sdk virtual write: 0x600dcafe" \
		"sdk virtual faults: 2" "sdk peer: 0x5ca1ab1e 0x5ca1ab1e" "sdk peer region: 0xc0de0007" \
		"sdk peer self: errno 35" "sdk peer nowhere: faults 1" "sdk peer dma: 0x1eaba15c" \
		"sdk ram read-only: 0x11111111, the vdev saw 1 write of 0x22222222" \
		"sdk ram trapped read: 0xc0de0030" "sdk ram restored: 0x33333333, the vdev saw 1" \
		"sdk ram errors: 0" "sdk ram hole: 0xffffffff, below it 0x44444444" \
		"sdk split: 0xc0de0020 0xffffffff 0xc0de0020" \
		"sdk power now: 0x00000002" "sdk power notified: yes, state 0x00000002" \
		"$UART_LINE" \
		"sdk thread: advancing" \
		"sdk path: 1" "sdk pulse: code 7" "sdk pulses: 1" "sdk test: done"; do
		expect_out sdk "$want" || return 1
	done
	expect_rc sdk 42 &&	# the guest asked the vdev for guest_terminate(42)
	{ ! has sdk "still running after EXIT" out || { echo "the guest ran on after guest_terminate"; return 1; }; } &&
	expect_err sdk "qvm[sdk]: sdk1: sdktest: ready ($OUT/xdg/qvm/sdk/sdk1)" &&
	# KVM keeps the instruction types in the kernel: a clear ENOTSUP
	expect_err sdk "qvm[sdk]: warning: sdk1: guest_instr_register(): KVM handles $INSTR0 in the kernel: no callback for it (ENOTSUP)" &&
	expect_err sdk "qvm[sdk]: sdk1: sdktest: guest_instr_register: Operation not supported" &&
	# 30 ms of billable time between guest_clock_start and guest_clock_stop, reported at the end
	local billed
	billed=$(sed -n 's/.*vcpu 0: \([0-9]*\)\.[0-9]* ms of billable vdev time.*/\1/p' "$OUT/sdk.err")
	[ -n "$billed" ] && [ "$billed" -ge 30 ] && [ "$billed" -lt 1000 ] ||
		{ echo "billable time reported: '${billed}' ms (wanted 30 or a little more)"; return 1; }
	# the vdev made a file in its vdev_path(); qvm removed the directories it made at exit
	[ ! -e "$OUT/xdg/qvm" ] || { echo "vdev_path() directories left behind: $(find "$OUT/xdg/qvm")"; return 1; }
	# per-vdev `log`: only sdk2 shows its debug line
	expect_err sdk "qvm[sdk]: debug: sdk2: sdktest: debug message" &&
	expect_no_err sdk "sdk1: sdktest: debug message" &&
	# two trace instances, each its own state: only tr-a was given emit-logger
	expect_err sdk "qvm[sdk]: tr-a: read 0x" && expect_no_err sdk "tr-b: read"
}

t_seed_and_abi() {
	[ -d "$PFX" ] || { echo "SKIP: the SDK is not installed here (see install_and_build_out_of_tree)"; return 0; }
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
		sdk_run "rule-$rule" 30 @"$VIOLATE" vdev sdktest loc "$TRACE_LOC" \
			intr "$INTR" violate "$rule"
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
vdma-7x-order|96|fatal: vdev sdktest: gasp_map_vdma(): flags 0x1000 are not GMF_* flags: the 8.0 order is (vdev, guest_paddr, length, flags), the 7.x one was (vdev, prot, paddr, length)
gram-after-start|96|fatal: vdev sdktest: gram_reserve(): may only be called during startup (before VDEV_CTRL_GUEST_CONFIGURED)
RULES
	[ $n = 14 ] || { echo "ran $n rules"; return 1; }
	return $bad
}

# gasp_region_set(GRF_NONE) at startup: what it cannot take out is a configuration error.
t_startup_remove() {
	local load
	load=$(echo "$CORE_PC" | awk '{print $2}')	# where the demo image loads
	sdk_run hole-nothing 30 @"$VIOLATE" vdev sdktest loc "$TRACE_LOC" intr "$INTR" ram-hole 0xfb000000
	expect_rc hole-nothing 65 &&
	expect_err hole-nothing "command line:2: vdev sdktest: gasp_region_set(): nothing of this vdev's at mem:0xfb000000 (0x1000 bytes) to remove" || return 1
	sdk_run hole-load 30 @"$VIOLATE" vdev sdktest loc "$TRACE_LOC" intr "$INTR" ram-hole "$load"
	expect_rc hole-load 65 && expect_err hole-load "is outside ram/rom"
}

# ---- the benchmark, once with a small N: it runs and its numbers are sane ----
t_bench_smoke() {
	local d=$OUT/bench
	"$B/tools/qvm-bench" --n 3000 --warmup 100 --rounds 1 --calib-ms 50 --vdevs 4 \
		--qvm "$QVM" --baseline "$B/tools/kvm-baseline" --out "$d" >"$OUT/bench.log" 2>&1 ||
		{ echo "qvm-bench failed"; tail -5 "$OUT/bench.log"; return 1; }
	[ -s "$d/bench.json" ] && [ -s "$d/bench.svg" ] || { echo "no bench.json or bench.svg"; return 1; }
	# the hand-written JSON parses (jq), and so does the SVG as XML
	if command -v jq >/dev/null; then
		jq -e . "$d/bench.json" >/dev/null || { echo "bench.json does not parse"; return 1; }
	fi
	if command -v xmllint >/dev/null; then
		xmllint --noout "$d/bench.svg" || { echo "bench.svg is not well-formed XML"; return 1; }
	fi
	grep -q "mmio-read p50 within 3 %" "$OUT/bench.log" || { echo "no verdict for the targets"; return 1; }
	# sane: every exit costs more than the timing loop's floor, percentiles are ordered
	bench_table_sane "$OUT/bench.log" "$BENCH_ROWS"
}

if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	tap_check install_and_build_out_of_tree t_sdk_install_and_build
	tap_check guest_drives_every_function t_sdk_guest
	tap_check seed_compiles_and_abi_refused t_seed_and_abi
	tap_check phase_rules t_phase_rules
	tap_check startup_remove_errors t_startup_remove
	tap_check bench_smoke t_bench_smoke
else
	for t in install_and_build_out_of_tree guest_drives_every_function seed_compiles_and_abi_refused \
			phase_rules startup_remove_errors bench_smoke; do
		tap_skip $t "/dev/kvm is not usable on this machine: guests cannot run"
	done
fi
tap_end
