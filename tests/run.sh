#!/usr/bin/env bash
# Runs every test program and script, JOBS of them at a time (default: one
# per CPU), and reports each test as it completes. Every program prints
# TAP; a program that crashes, stops early or exits non-zero without saying
# why fails as a whole. Ends with "N passed, N failed, N skipped" and exits
# non-zero if anything failed.
#
#   tests/run.sh [BUILD_DIR]        JOBS=N to choose the parallelism
set -u
cd "$(dirname "$0")/.."
B=${1:-build}
export B QVM=$B/qvm SANITIZE=${SANITIZE:-}
# Every qvm a test starts is killed KILL_AFTER seconds after the SIGTERM
# that ends its time: a qvm that ignores SIGTERM (hung in its shutdown,
# signals muted) fails its test instead of stalling the run.
export KILL_AFTER=15
# A whole program gets this long, then the same treatment.
PROGRAM_TIMEOUT=1200
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
unset QVM_VDEV_PATH
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
pass=0 fail=0 skip=0
failed_names=()

ok()     { pass=$((pass + 1)); echo "ok $1"; }
not_ok() { fail=$((fail + 1)); failed_names+=("$1"); echo "not ok $1${2:+: $2}"; }
skipped(){ skip=$((skip + 1)); echo "skip $1: $2"; }

# The programs, longest first so that the slowest ones start at once:
# NAME COMMAND...
declare -A cmd=()
order=()
add() { local name=$1; shift; order+=("$name"); cmd[$name]="$*"; }
# x86() NAME COMMAND...: a suite whose guests and configurations are x86_64
# ones; on another host it is reported skipped, with why
x86() {
	if [ "$(uname -m)" = x86_64 ]; then
		add "$@"
	else
		skipped "$1" "its guests and configurations are x86_64 ones (not ported to $(uname -m) yet)"
	fi
}
x86 nested tests/nested/x86-npt.sh "$B"
# x86_64: in an emulated arm64 machine; aarch64: directly
add arm64 tests/nested/arm64-kvm.sh "$B"
add sdk tests/sdk.sh
add deb tests/deb.sh
add signals tests/signals.sh
add privs tests/privs.sh
for t in "$B"/tests/guest/test_* "$B"/tests/guest/*/test_*; do
	[ -x "$t" ] && add "guest/${t#"$B"/tests/guest/}" "$t"
done
add cli tests/cli.sh
add man tests/tools/man.sh
add inputs tests/inputs.sh
add fuzz tests/fuzz/smoke.sh
add golden tests/golden.sh "$B"
add acpi tests/acpi.sh "$B"
add vendor tests/vendor.sh "$B"
add nokvm tests/golden.sh "$B" --no-kvm
for t in "$B"/tests/test_* "$B/tests/$(uname -m)"/test_*; do
	[ -x "$t" ] && add "unit/${t#"$B"/tests/}" "$t"
done

# report NAME FILE: counts what program NAME printed (its TAP, in $R/FILE.*)
# and says why it failed as a whole if it did.
report() {
	local job=$1 f=$2 rc planned="" ran=0 bad=0 line name other=""
	rc=$(cat "$R/$f.rc" 2>/dev/null || echo "none")
	while IFS= read -r line; do
		case "$line" in
		"TAP version"*) ;;
		"1.."*) planned=${line#1..}; planned=${planned%% *} ;;
		"not ok "*)
			ran=$((ran + 1)) bad=$((bad + 1))
			name=${line#not ok }; name=${name#* - }
			not_ok "$job/$name" ;;
		"ok "*)
			ran=$((ran + 1))
			name=${line#ok }; name=${name#* - }
			case "$name" in
			*" # SKIP "*) skipped "$job/${name%% # SKIP *}" "${name#* # SKIP }" ;;
			*) ok "$job/$name" ;;
			esac ;;
		"#"*) echo "    ${line#\#}" ;;
		*) [ -n "$line" ] && other+="    | $line"$'\n' ;;
		esac
	done <"$R/$f.tap"
	if [ -z "$planned" ] || [ "$planned" != "$ran" ] || { [ "$rc" != 0 ] && [ $bad -eq 0 ]; }; then
		if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
			not_ok "$job" "did not finish within $PROGRAM_TIMEOUT s"
		elif [ -z "$planned" ]; then
			not_ok "$job" "stopped without its plan (exit $rc)"
		elif [ "$planned" != "$ran" ]; then
			not_ok "$job" "planned $planned tests, ran $ran (exit $rc)"
		else
			not_ok "$job" "exit $rc"
		fi
		# what it printed besides TAP, and the end of its stderr
		printf '%s' "$other" | tail -10
		tail -5 "$R/$f.err" | sed 's/^/    stderr: /'
	fi
}

# Each program's output goes to its own files (names with '/' flattened).
file_of() { echo "${1//\//:}"; }
declare -A running=()
start() {
	local job=$1 f
	f=$(file_of "$job")
	# shellcheck disable=SC2086  # the command is a list of words
	( timeout -k "$KILL_AFTER" "$PROGRAM_TIMEOUT" ${cmd[$job]} >"$R/$f.tap" 2>"$R/$f.err" </dev/null
	  echo $? >"$R/$f.rc" ) &
	running[$!]=$job
}
reap_one() {
	local pid
	wait -n -p pid
	local job=${running[$pid]}
	unset "running[$pid]"
	local f
	f=$(file_of "$job")
	report "$job" "$f"
}

for job in "${order[@]}"; do
	while [ ${#running[@]} -ge "$JOBS" ]; do reap_one; done
	start "$job"
done
while [ ${#running[@]} -gt 0 ]; do reap_one; done

echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
[ $((pass + fail)) -gt 0 ] || not_ok run "no test ran"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
