#!/usr/bin/env bash
# Golden configuration errors: every tests/configs/bad/NAME.qvmconf makes
# qvm exit 65 with exactly NAME.expected on stderr (the build directory
# written as BUILD). Where an architecture differs (its guests, its memory
# map, what it refuses), tests/configs/bad/ARCH/ has its NAME.qvmconf or
# NAME.expected, which take the place of the common one, and its own. With --no-kvm, the same on this machine made to look
# as if it had no /dev/kvm (tests/no-kvm.sh), plus the configuration unit
# test and a good configuration that needs KVM to run. Prints TAP.
#
#   tests/golden.sh BUILD_DIR [--no-kvm]
set -u
cd "$(dirname "$0")/.."
B=${1:-build}
QVM=$B/qvm
KILL_AFTER=${KILL_AFTER:-15}
. tests/tap.sh
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
build_abs=$(cd "$B" && pwd)

RUNNER=()
if [ "${2:-}" = --no-kvm ]; then
	if ! tests/no-kvm.sh true 2>"$W/nokvm.err"; then
		tap_skip nokvm "cannot hide /dev/kvm here: $(tail -1 "$W/nokvm.err")"
		tap_end
		exit
	fi
	RUNNER=(tests/no-kvm.sh)
fi

ARCH_BAD=tests/configs/bad/$(uname -m)
for name in $(ls tests/configs/bad/*.qvmconf "$ARCH_BAD"/*.qvmconf 2>/dev/null | xargs -n1 basename |
		sed 's/\.qvmconf$//' | sort -u); do
	conf=tests/configs/bad/$name.qvmconf exp=tests/configs/bad/$name.expected
	[ -f "$ARCH_BAD/$name.qvmconf" ] && conf=$ARCH_BAD/$name.qvmconf
	[ -f "$ARCH_BAD/$name.expected" ] && exp=$ARCH_BAD/$name.expected
	expected=$(cat "$exp")
	"${RUNNER[@]}" timeout -k "$KILL_AFTER" 20 "$QVM" @"$conf" >/dev/null 2>"$W/err" </dev/null
	rc=$?
	got=$(sed "s#$build_abs#BUILD#g" "$W/err")
	if [ "$got" == "$expected" ] && [ "$rc" -eq 65 ]; then
		tap_ok "$name"
	else
		tap_not_ok "$name" "exit $rc
$(diff -u <(echo "$expected") <(echo "$got"))"
	fi
done

if [ ${#RUNNER[@]} -gt 0 ]; then
	out=$(tests/no-kvm.sh "$B/tests/test_config" 2>&1)
	if [ $? -eq 0 ] && ! grep -q '^not ok' <<<"$out" && grep -q '^ok ' <<<"$out"; then
		tap_ok test_config
	else
		tap_not_ok test_config "$(grep -m1 -A3 '^# FAIL\|^not ok' <<<"$out")"
	fi
	tests/no-kvm.sh timeout -k "$KILL_AFTER" 20 "$QVM" @guest-images/$(uname -m)/trace-demo.qvmconf dryrun \
		>/dev/null 2>"$W/err" </dev/null
	rc=$?
	if [ $rc -eq 64 ] && grep -q 'fatal: cannot open /dev/kvm: No such file or directory' "$W/err"; then
		tap_ok good_config_needs_kvm_to_run
	else
		tap_not_ok good_config_needs_kvm_to_run "exit $rc: $(tail -1 "$W/err")"
	fi
fi
tap_end
