#!/bin/sh
# The host-side cost of dispatch alone (a trapped access to the vdev's
# vread/vwrite and back), per kind of access:
#   - instructions per dispatch, with callgrind: what dispatch_access runs,
#     the vdev's lock included, minus what the vdev's own vread/vwrite runs
#     (stable on a noisy machine);
#   - nanoseconds per dispatch on the host's monotonic clock.
# Writes BUILD/bench/dispatch.json.   Usage: dispatch-cost.sh [BUILD]
set -e
B=${1:-build}
OUT=$B/bench
N=100000
mkdir -p "$OUT"
bench=$B/tools/dispatch-bench

ir() {	# ir FUNCTION KIND: instructions collected inside FUNCTION
	valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.out" --toggle-collect="$1" \
		"$bench" --iters $N --kind "$2" >/dev/null 2>&1
	sed -n 's/^summary: //p' "$OUT/cg.out"
}

have_valgrind=1
command -v valgrind >/dev/null 2>&1 || have_valgrind=0
echo
echo "dispatch cost on the host (no KVM; $N accesses; 8 other regions mapped):"
printf '  %-11s %14s %10s\n' kind "instructions" "ns"
json="{"
sep=""
for kind in mmio-read mmio-write pio-read pio-write unowned; do
	ns=$("$bench" --kind $kind --iters 5000000 | sed -n 's/.*, \([0-9.]*\) ns each/\1/p')
	if [ $have_valgrind = 1 ]; then
		case $kind in *write) fn=bench_vwrite ;; *) fn=bench_vread ;; esac
		total=$(ir dispatch_access $kind)
		vdev=$(ir $fn $kind)
		per=$(( (total - vdev) / N ))
	else
		per=null
	fi
	printf '  %-11s %14s %10s\n' "$kind" "$per" "$ns"
	json="$json$sep \"$kind\": { \"instructions\": $per, \"ns\": $ns }"
	sep=","
done
echo "$json }" >"$OUT/dispatch.json"
[ $have_valgrind = 1 ] || echo "  (valgrind is not installed: no instruction counts)"
echo "  target: under 150 instructions per dispatch (mmio-read)"
