# TAP output for the test scripts (sourced): tap_ok NAME, tap_not_ok NAME
# [WHY] (lines on stdin after it, if any, go out as diagnostics with
# tap_diag), tap_skip NAME WHY, and tap_end, which prints the plan and
# returns non-zero if anything failed.
TAP_N=0
TAP_FAILED=0
echo "TAP version 13"

tap_ok()     { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }
tap_not_ok() { TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1)); echo "not ok $TAP_N - $1"; [ -z "${2:-}" ] || tap_diag <<<"$2"; }
tap_skip()   { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP $2"; }
tap_diag()   { sed 's/^/# /'; }
tap_end()    { echo "1..$TAP_N"; [ "$TAP_FAILED" -eq 0 ]; }

# tap_check NAME FUNCTION: runs a test function that prints nothing on
# success and why on failure; "SKIP: WHY" as its output skips the test.
tap_check() {
	local why
	if why=$("$2" 2>&1); then
		case "$why" in
		SKIP:*) tap_skip "$1" "${why#SKIP: }" ;;
		*) tap_ok "$1" ;;
		esac
	else
		tap_not_ok "$1" "$why"
	fi
}
