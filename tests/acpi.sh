#!/usr/bin/env bash
# The x86 guest's ACPI tables, as `set acpi-dump-dir` writes them from a
# dry run: each disassembles with `iasl -d` without an error or a warning
# and matches tests/acpi/golden/NAME.dsl (the disassembler's banner and
# date left out; QVM_UPDATE_GOLDEN=1 rewrites them after a wanted change);
# the RSDP's checksums; `acpi load` of an SSDT compiled from
# tests/acpi/ssdt.asl, into the ACPI area and at an address of its own;
# bad tables refused with the option's FILE:LINE and exit 65. Prints TAP.
#
#   tests/acpi.sh BUILD_DIR
set -u
cd "$(dirname "$0")/.."
B=${1:-build}
QVM=$B/qvm
KILL_AFTER=${KILL_AFTER:-15}
GOLDEN=tests/acpi/golden
. tests/tap.sh
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

skip_all() { tap_skip acpi "$1"; tap_end; exit; }
[ "$(uname -m)" = x86_64 ] || skip_all "ACPI tables are x86's ($(uname -m) guests get an FDT)"
command -v iasl >/dev/null || skip_all "iasl is not installed (tools/deps.sh installs acpica-tools)"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip_all "no usable /dev/kvm (a dry run still makes the VM)"

iasl -p "$W/ssdt" tests/acpi/ssdt.asl >"$W/iasl.log" 2>&1 || skip_all "iasl cannot compile tests/acpi/ssdt.asl: $(tail -1 "$W/iasl.log")"
cp "$W/ssdt.aml" "$W/ssdt2.aml"
mkdir -p "$W/dump"
# Two vCPUs, the vendor's platform vdevs (the IOAPIC by another name),
# the PC's COM1 and COM2 with their interrupts, the RTC, the trace
# register, the IB700 watchdog, and the SSDT twice: in the area, and at
# 0x9000.
cat >"$W/vm.qvmconf" <<EOF
system acpi-golden
ram 0,64M
cpu
cpu
load $PWD/build/guest-images/x86_64/trace-demo.elf
vdev ioapic loc 0xfec00000 intr apic name myioapic
vdev 8259 loc 0x20
vdev 8259 loc 0xa0
vdev timer8254 intr myioapic:0
vdev mc146818 reg 0x0b,0x02
vdev ser8250 intr myioapic:4
vdev ser8250 loc 0x2f8 intr ioapic:3 hostdev >/dev/null
vdev trace loc 0xfa000000
vdev wdt-ib700
acpi load ssdt.aml
acpi load 0x9000,ssdt2.aml
set acpi-dump-dir dump
dryrun
EOF

t_dump() {
	timeout -k "$KILL_AFTER" 30 "$QVM" @"$W/vm.qvmconf" >/dev/null 2>"$W/err" </dev/null
	local rc=$?
	[ $rc -eq 0 ] || { echo "exit $rc: $(tail -3 "$W/err")"; return 1; }
	local want="apic dsdt facp facs rsdp rsdt ssdt xsdt"
	local got
	got=$(cd "$W/dump" && ls ./*.dat | sed 's#^\./##; s#\.dat$##' | sort | paste -sd' ')
	[ "$got" = "$want" ] || { echo "tables dumped: $got (wanted $want)"; return 1; }
}

# Every table but the RSDP (which iasl cannot read alone) disassembles cleanly.
t_disassemble() {
	local f bad=""
	for f in "$W"/dump/*.dat; do
		[ "$(basename "$f")" = rsdp.dat ] && continue
		if ! (cd "$W/dump" && iasl -d "$(basename "$f")") >"$W/iasl.out" 2>&1 ||
				grep -Eiq '^(Warning|Error)|[^a-z](warning|error)[ :]' "$W/iasl.out" ||
				grep -q 'Incorrect checksum\|Invalid' "${f%.dat}.dsl" 2>/dev/null; then
			bad="$bad $(basename "$f"): $(grep -Ei 'warning|error|incorrect|invalid' "$W/iasl.out" "${f%.dat}.dsl" | head -3)"
		fi
	done
	[ -z "$bad" ] || { echo "iasl -d:$bad"; return 1; }
}

# The disassembly without the banner, the file's name and the date.
strip() { sed -E '/^ \* (Intel ACPI Component Architecture|AML\/ASL\+ Disassembler version|Copyright|Disassembly of|Disassembling to)/d' "$1"; }

t_golden() {
	local f name diffs=""
	for f in "$W"/dump/*.dsl; do
		name=$(basename "$f")
		if [ "${QVM_UPDATE_GOLDEN:-0}" = 1 ]; then
			mkdir -p "$GOLDEN"
			strip "$f" >"$GOLDEN/$name"
			continue
		fi
		[ -f "$GOLDEN/$name" ] || { diffs="$diffs
no golden file $GOLDEN/$name"; continue; }
		diffs="$diffs$(diff -u "$GOLDEN/$name" <(strip "$f") | head -30)"
	done
	[ -z "$diffs" ] || { echo "$diffs"; return 1; }
}

# The RSDP: both checksums, revision 2, an RSDT and an XSDT in the area.
t_rsdp() {
	local sum20 sum36
	sum20=$(head -c 20 "$W/dump/rsdp.dat" | od -An -tu1 -v | tr -s ' ' '\n' | awk '{s+=$1} END {print s%256}')
	sum36=$(od -An -tu1 -v "$W/dump/rsdp.dat" | tr -s ' ' '\n' | awk '{s+=$1} END {print s%256}')
	[ "$(head -c 8 "$W/dump/rsdp.dat")" = "RSD PTR " ] || { echo "no RSDP signature"; return 1; }
	[ "$sum20" = 0 ] && [ "$sum36" = 0 ] || { echo "RSDP checksums: $sum20, $sum36"; return 1; }
	[ "$(od -An -tu1 -j15 -N1 "$W/dump/rsdp.dat" | tr -d ' ')" = 2 ] || { echo "RSDP revision"; return 1; }
}

# The SSDT appears twice in the XSDT: in the area and at 0x9000, as loaded.
t_acpi_load() {
	grep -q 'ACPI Table Address .*: 0000000000009000' "$W/dump/xsdt.dsl" || { echo "no XSDT entry for 0x9000"; return 1; }
	cmp -s "$W/dump/ssdt.dat" "$W/ssdt.aml" || { echo "the SSDT in the area differs from the file"; return 1; }
	grep -q 'Device (EXT0)' "$W/dump/ssdt.dsl" || { echo "ssdt.dsl: no EXT0"; return 1; }
}

# bad TABLE-MAKING-COMMAND EXPECTED: `acpi load` of it is exit 65 with that line.
bad() {
	local f="$W/bad.aml"
	eval "$1" >"$f"
	printf 'ram 0,16M\nload %s/build/guest-images/x86_64/trace-demo.elf\nacpi load bad.aml\n' "$PWD" >"$W/bad.qvmconf"
	timeout -k "$KILL_AFTER" 20 "$QVM" @"$W/bad.qvmconf" >/dev/null 2>"$W/err" </dev/null
	local rc=$?
	local got
	got=$(sed "s#$W/##g" "$W/err")
	[ $rc -eq 65 ] && [ "$got" = "$2" ] || { echo "exit $rc: $got (wanted: $2)"; return 1; }
}

t_bad_tables() {
	bad "head -c 20 $W/ssdt.aml" \
		"bad.qvmconf:3: 'bad.aml': not an ACPI table: 20 bytes, shorter than the 36-byte header" || return 1
	bad "head -c 60 $W/ssdt.aml" \
		"bad.qvmconf:3: 'bad.aml': ACPI table SSDT: its header says 67 bytes, there are 60" || return 1
	# the checksum's message names the sum: compute it rather than spell it
	{ head -c 40 "$W/ssdt.aml"; printf 'X'; tail -c +42 "$W/ssdt.aml"; } >"$W/crafted.aml"
	local sum
	sum=$(od -An -tu1 -v "$W/crafted.aml" | tr -s ' ' '\n' | awk '{s+=$1} END {printf "%02x", s%256}')
	bad "cat $W/crafted.aml" \
		"bad.qvmconf:3: 'bad.aml': ACPI table SSDT: wrong checksum (the bytes sum to 0x$sum, not 0)" || return 1
	bad "{ printf 'FACP'; tail -c +5 $W/ssdt.aml; }" \
		"bad.qvmconf:3: 'bad.aml': ACPI table FACP: qvm builds the FACP itself (describe devices in an SSDT)" || return 1
	bad "{ printf 'SS\\001T'; tail -c +5 $W/ssdt.aml; }" \
		"bad.qvmconf:3: 'bad.aml': not an ACPI table: signature 'SS\\x01T' is not four capitals, digits or '_'" || return 1
}

# `set legacy-free on`: the FADT's IA-PC boot flags lose LEGACY_DEVICES and
# 8042 (bits 0 and 1, with a pckeyboard there), the MADT its PCAT_COMPAT;
# off, all are there.
t_legacy_free() {
	local m flags pcat
	for m in off on; do
		rm -rf "$W/lf" && mkdir -p "$W/lf"
		printf 'ram 0,16M\nload %s/build/guest-images/x86_64/trace-demo.elf\nvdev pckeyboard\nset legacy-free %s\nset acpi-dump-dir lf\ndryrun\n' \
			"$PWD" "$m" >"$W/lf.qvmconf"
		timeout -k "$KILL_AFTER" 20 "$QVM" @"$W/lf.qvmconf" >/dev/null 2>"$W/err" </dev/null ||
			{ echo "legacy-free $m: exit $?: $(tail -2 "$W/err")"; return 1; }
		flags=$(od -An -tu2 -j109 -N2 "$W/lf/facp.dat" | tr -d ' ')
		pcat=$(od -An -tu4 -j40 -N4 "$W/lf/apic.dat" | tr -d ' ')
		if [ "$m" = on ]; then
			[ $((flags & 3)) -eq 0 ] && [ "$pcat" = 0 ] ||
				{ echo "legacy-free on: FADT flags $flags, MADT flags $pcat"; return 1; }
		else
			[ $((flags & 3)) -eq 3 ] && [ "$pcat" = 1 ] ||
				{ echo "legacy-free off: FADT flags $flags, MADT flags $pcat"; return 1; }
		fi
	done
}

tap_check dump_written t_dump
tap_check legacy_free_drops_isa_and_8259 t_legacy_free
tap_check every_table_disassembles t_disassemble
tap_check disassembly_matches_golden t_golden
tap_check rsdp_checksums t_rsdp
tap_check acpi_load_lists_the_table t_acpi_load
tap_check bad_tables_refused t_bad_tables
tap_end
