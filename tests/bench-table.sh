# bench_table_sane FILE ROWS (sourced): qvm-bench's table in FILE is sane:
# ROWS rows (kind by system), every percentile in order, and every exit
# costing more than the timing loop's floor. Prints what is wrong.
bench_table_sane() {
	awk -v want="$2" '
	     /^(floor|mmio-read|mmio-write|pio-read|pio-write|unowned) / { kind = $1; sys = $2; off = 3 }
	     /^ +(baseline|qvm) / { sys = $1; off = 2 }
	     /^(floor|mmio-read|mmio-write|pio-read|pio-write|unowned) / || /^ +(baseline|qvm) / {
		min = $(off); p50 = $(off+1); p99 = $(off+3); max = $(off+5)
		if (!(min > 0 && min <= p50 && p50 <= p99 && p99 <= max)) { print "unordered " kind " " sys; bad = 1 }
		if (kind == "floor") floor[sys] = p50; else if (p50 <= floor[sys]) { print kind " " sys " p50 not above the floor"; bad = 1 }
		n++ }
	     END { if (n != want) { print "expected " want " rows, got " n; bad = 1 } exit bad }' "$1"
}
