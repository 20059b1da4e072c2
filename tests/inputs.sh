#!/usr/bin/env bash
# Hostile inputs that are made at run time (big, special or patched files):
# each ends quickly with its one-line error and exit 65, or, where the input
# is legitimate, is handled in time and memory linear in its size. The
# limits are in docs/configuration.md ("Limits"). Prints TAP.
. "$(dirname "$0")/lib.sh"

ELF=$GUESTS/trace-demo.elf
KVM=0
[ -r /dev/kvm ] && [ -w /dev/kvm ] && KVM=1
NO_KVM="/dev/kvm is not usable on this machine: the VM cannot be built"

# Address-space cap for one qvm run (KiB), where it can be applied: a
# sanitizer reserves terabytes of shadow memory up front.
as_cap() { [ -z "${SANITIZE:-}" ] && ulimit -v "$1"; }

# expect_one_line NAME TEXT: exit 65 and stderr is exactly one line holding TEXT
expect_one_line() {
	expect_rc "$1" 65 && expect_err "$1" "$2" || return 1
	[ "$(wc -l <"$OUT/$1.err")" = 1 ] || { echo "stderr is not one line:"; cat "$OUT/$1.err"; return 1; }
}

t_config_fifo_and_device() {
	mkfifo "$OUT/fifo"
	run cfifo 10 @"$OUT/fifo"
	expect_one_line cfifo "$OUT/fifo: cannot read configuration file: not a regular file" || return 1
	run czero 10 @/dev/zero
	expect_one_line czero "/dev/zero: cannot read configuration file: not a regular file"
}

t_config_too_large() {
	truncate -s 17M "$OUT/huge.qvmconf"
	(as_cap 200000; run chuge 10 @"$OUT/huge.qvmconf")
	expect_one_line chuge "configuration file too large (17825792 bytes; at most 16777216)"
}

# 10 MB of configuration, 2 million tokens: tokens cost their length, not a page each.
t_config_10mb() {
	[ $KVM = 1 ] || { echo "SKIP: $NO_KVM"; return 0; }
	{ echo "$RAM load $PWD/$ELF"; yes "cmdline x" | head -1000000; echo dryrun; } >"$OUT/big.qvmconf"
	(as_cap 1000000; run big 60 @"$OUT/big.qvmconf")
	expect_rc big 0 && expect_err big "Exiting: dryrun completed"
}

# 10,000 vdevs: naming and placing them is linear (it was cubic). An
# emulated machine, 30 times slower, runs fewer (MANY_VDEVS).
t_many_vdevs() {
	[ $KVM = 1 ] || { echo "SKIP: $NO_KVM"; return 0; }
	local i
	{ echo "$RAM load $PWD/$ELF"
	  for ((i = 0; i < ${MANY_VDEVS:-10000}; i++)); do printf 'vdev trace loc 0x%x\n' $((0x80000000 + i * 16)); done
	  echo dryrun; } >"$OUT/many.qvmconf"
	run many 60 @"$OUT/many.qvmconf"
	expect_rc many 0 && expect_err many "Exiting: dryrun completed" || return 1
	{ echo "$RAM"; for ((i = 0; i <= 16384; i++)); do echo "vdev trace loc $((0x80000000 + i * 16))"; done; } \
		>"$OUT/toomany.qvmconf"
	run toomany 60 @"$OUT/toomany.qvmconf"
	expect_one_line toomany "toomany.qvmconf:16386: too many vdevs (at most 16384)"
}

# A `load` is checked (kind, size, fit) before it is read.
t_load_checked_first() {
	truncate -s 4G "$OUT/sparse4g"
	(as_cap 200000; run sparse 10 $RAM load "$OUT/sparse4g" dryrun)
	expect_one_line sparse "command line:3: '$OUT/sparse4g' (4294967296 bytes) does not fit in ram/rom at $RAW_AT" || return 1
	mkfifo "$OUT/lfifo"
	run lfifo 10 $RAM load "$OUT/lfifo" dryrun
	expect_one_line lfifo "command line:3: cannot load '$OUT/lfifo': not a regular file" || return 1
	: >"$OUT/empty"
	run lempty 10 $RAM load "$OUT/empty" dryrun
	expect_one_line lempty "command line:3: cannot load '$OUT/empty': the file is empty" || return 1
	run lmem 10 $RAM load /proc/self/mem dryrun
	expect_one_line lmem "command line:3: cannot load '/proc/self/mem': the file is empty"
}

# An ELF whose entry point is not in guest memory would fault at once.
t_elf_entry_outside() {
	cp "$ELF" "$OUT/entry.elf"
	# e_entry (8 bytes at offset 24) = 0x80000000, above the 16M of ram
	printf '\x00\x00\x00\x80\x00\x00\x00\x00' | dd of="$OUT/entry.elf" bs=1 seek=24 conv=notrunc status=none
	run entry 10 $RAM load "$OUT/entry.elf" dryrun
	expect_one_line entry "'$OUT/entry.elf': entry point 0x80000000 is outside guest memory"
}

# A vdev runs inside qvm: one that others could have replaced is not loaded.
t_vdev_trust() {
	local vd=$OUT/vd
	mkdir -m 755 "$vd" && cp "$B/vdev-trace.so" "$vd/" && chmod 755 "$vd/vdev-trace.so"
	QVM_VDEV_PATH=$vd run trok 10 $RAM vdev trace
	expect_no_err trok "not loading" || return 1
	chmod o+w "$vd/vdev-trace.so"
	QVM_VDEV_PATH=$vd run trfile 10 $RAM vdev trace
	expect_one_line trfile "command line:3: vdev trace: not loading $vd/vdev-trace.so: the file is writable by others than its owner and root (QVM_VDEV_INSECURE=1 allows it)" || return 1
	chmod o-w "$vd/vdev-trace.so"
	chmod 777 "$vd"
	QVM_VDEV_PATH=$vd run trdir 10 $RAM vdev trace
	expect_one_line trdir "not loading $vd/vdev-trace.so: its directory is writable by others than its owner and root" || return 1
	QVM_VDEV_INSECURE=1 QVM_VDEV_PATH=$vd run trinsec 10 $RAM vdev trace
	expect_no_err trinsec "not loading" || return 1
	chmod 755 "$vd"
	local qvm_abs=$PWD/$QVM
	# the same directory, named relative to / from there
	(cd / && QVM_VDEV_PATH=${vd#/} "$qvm_abs" $RAM vdev trace >/dev/null 2>"$OUT/trrel.err" </dev/null; echo $? >"$OUT/trrel.rc")
	expect_one_line trrel "the search path entry '${vd#/}' is relative (QVM_VDEV_INSECURE=1 allows it)"
}

tap_check config_fifo_and_device t_config_fifo_and_device
tap_check config_too_large t_config_too_large
tap_check config_10mb t_config_10mb
tap_check many_vdevs t_many_vdevs
tap_check load_checked_first t_load_checked_first
tap_check elf_entry_outside t_elf_entry_outside
tap_check vdev_trust t_vdev_trust
tap_end
