#!/usr/bin/env bash
# Runs every test: the unit test programs, the golden bad-configuration
# files and the integration tests (qvm running guests). Ends with
# "N passed, N failed" and exits non-zero if anything failed.
#
#   tests/run.sh [BUILD_DIR]
set -u
cd "$(dirname "$0")/.."
B=${1:-build}
export B QVM=$B/qvm
# Every qvm a test starts runs under `timeout -k $KILL_AFTER`: a qvm that ignores
# SIGTERM (hung in its shutdown, signals muted) is killed and its test fails.
export KILL_AFTER=15
unset QVM_VDEV_PATH
pass=0 fail=0 skip=0
failed_names=()

ok()     { pass=$((pass + 1)); echo "ok $1"; }
not_ok() { fail=$((fail + 1)); failed_names+=("$1"); echo "not ok $1${2:+: $2}"; }
skipped(){ skip=$((skip + 1)); echo "skip $1: $2"; }

# ---- unit tests: each program prints ok/not ok/skip lines ----
for t in "$B"/tests/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	out=$("$t" 2>&1)
	rc=$?
	n_ok=$(grep -c '^ok ' <<<"$out")
	n_bad=$(grep -c '^not ok ' <<<"$out")
	while read -r line; do
		case "$line" in
		"ok "*) ok "$name/${line#ok }" ;;
		"skip "*) r=${line#skip }; skipped "$name/${r%%:*}" "${r#*: }" ;;
		esac
	done <<<"$out"
	if [ "$n_bad" -gt 0 ] || { [ $rc -ne 0 ] && [ "$n_ok" -eq 0 ]; }; then
		grep -v '^ok ' <<<"$out" | sed 's/^/    /'
		[ "$n_bad" -gt 0 ] && fail=$((fail + n_bad)) && failed_names+=("$name")
		[ "$n_bad" -eq 0 ] && not_ok "$name" "exit $rc"
	fi
done

# ---- golden configuration errors: exact stderr and exit 65 ----
# goldens PREFIX [RUNNER...]: every bad configuration through RUNNER qvm
build_abs=$(cd "$B" && pwd)
goldens() {
	local prefix=$1 conf name expected got rc
	shift
	for conf in tests/configs/bad/*.qvmconf; do
		name=$prefix/$(basename "$conf" .qvmconf)
		expected=$(cat "${conf%.qvmconf}.expected")
		"$@" timeout -k "$KILL_AFTER" 20 "$QVM" @"$conf" >/dev/null 2>"$B/golden.err" </dev/null
		rc=$?
		got=$(sed "s#$build_abs#BUILD#g" "$B/golden.err")
		if [ "$got" == "$expected" ] && [ "$rc" -eq 65 ]; then
			ok "$name"
		else
			not_ok "$name" "exit $rc"
			diff -u <(echo "$expected") <(echo "$got") | sed 's/^/    /'
		fi
	done
}
goldens golden

# ---- the same without /dev/kvm: a configuration is checked before KVM is opened ----
if tests/no-kvm.sh true 2>"$B/nokvm.err"; then
	goldens nokvm/golden tests/no-kvm.sh
	out=$(tests/no-kvm.sh "$B/tests/test_config" 2>&1)
	if [ $? -eq 0 ] && ! grep -q '^not ok' <<<"$out" && grep -q '^ok ' <<<"$out"; then
		ok nokvm/test_config
	else
		not_ok nokvm/test_config "$(grep -m1 -A3 '^  FAIL\|^not ok' <<<"$out")"
	fi
	tests/no-kvm.sh timeout -k "$KILL_AFTER" 20 "$QVM" @guest-images/x86_64/trace-demo.qvmconf dryrun \
		>/dev/null 2>"$B/nokvm.err" </dev/null
	rc=$?
	if [ $rc -eq 64 ] && grep -q 'fatal: cannot open /dev/kvm: No such file or directory' "$B/nokvm.err"; then
		ok nokvm/good_config_needs_kvm_to_run
	else
		not_ok nokvm/good_config_needs_kvm_to_run "exit $rc: $(tail -1 "$B/nokvm.err")"
	fi
else
	skipped nokvm "cannot hide /dev/kvm here: $(tail -1 "$B/nokvm.err")"
fi

# ---- integration tests ----
. tests/integration.sh

# ---- the x86 guests under KVM with nested paging, in an emulated machine ----
if [ "$(uname -m)" = x86_64 ]; then
	while read -r line; do
		case "$line" in
		"ok "*) ok "${line#ok }" ;;
		"not ok "*) r=${line#not ok }; not_ok "${r%%: *}" "${r#*: }" ;;
		"skip "*) r=${line#skip }; skipped "${r%%: *}" "${r#*: }" ;;
		*) echo "$line" ;;
		esac
	done < <(tests/nested/x86-npt.sh "$B")
fi

echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
