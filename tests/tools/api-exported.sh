#!/bin/sh
# tests/tools/api-exported.sh QVM [NM]: every function the public headers
# (include/qvm/*.h) declare is exported by the qvm binary QVM, so a vdev
# using it loads. NM (default nm) reads QVM: aarch64-linux-gnu-nm for a
# cross-built one. Prints what is missing and exits 1, or prints nothing.
set -u
qvm=$1 nm=${2:-nm}
syms=$("$nm" -D --defined-only "$qvm") || exit 1
missing=""
# (static inline helpers in the headers are not the binary's)
for fn in $(grep -ohE '^[a-z].*[ *](vdev|guest|gasp|gram|qvm|wdog|gfdt|acpi)_[a-z_0-9]+\(' include/qvm/*.h |
		grep -v '^static' |
		grep -oE '(vdev|guest|gasp|gram|qvm|wdog|gfdt|acpi)_[a-z_0-9]+\($' | tr -d '(' | grep -v '_t$' | sort -u); do
	echo "$syms" | grep -qE " T $fn\$" || missing="$missing $fn"
done
[ -z "$missing" ] || { echo "declared but not exported:$missing"; exit 1; }
