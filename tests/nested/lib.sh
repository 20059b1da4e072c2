# Helpers for the tests that boot an emulated machine (sourced; needs $W):
# its /init, its initramfs and what its console says. /init runs each
# program between "NESTED begin NAME" and "NESTED end NAME CODE" lines, so
# the host can tell the runs apart in the console log.

# nested_run_fn: the definition of run NAME COMMAND..., which prints the
# command's output between "NESTED begin NAME" and "NESTED end NAME CODE",
# and gives it RUN_SECONDS (60) to finish.
nested_run_fn() {
	cat <<'EOF'
run() {
	name=$1; shift
	echo "NESTED begin $name"
	timeout -k 5 "${RUN_SECONDS:-60}" "$@" </dev/null 2>&1
	echo "NESTED end $name $?"
}
EOF
}

# nested_init FILE: the start of /init (busybox, /proc, /sys, /dev) and its
# run(); the caller appends the rest with >>.
nested_init() {
	cat >"$1" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp && mount -t tmpfs tmp /tmp
mkdir -p /dev/shm && mount -t tmpfs shm /dev/shm
ln -s /proc/self/fd /dev/fd
EOF
	nested_run_fn >>"$1"
	chmod +x "$1"
}

# nested_pack ROOT CPIO: the initramfs of the tree ROOT
nested_pack() { (cd "$1" && find . | cpio -o -H newc --quiet) >"$2"; }

# After the machine ran with its console in $W/console.log: $W/log, without CRs
# (and a copy at $QVM_NESTED_LOG if set, to read what the machine printed).
nested_log() {
	tr -d '\r' <"$W/console.log" >"$W/log"
	[ -z "${QVM_NESTED_LOG:-}" ] || cp "$W/log" "$QVM_NESTED_LOG"
}
section() { sed -n "/^NESTED begin $1\$/,/^NESTED end $1 /p" "$W/log"; }
code_of() { sed -n "s/^NESTED end $1 \([0-9]*\)\$/\1/p" "$W/log"; }

# tap_runs LOG PREFIX NAME: the TAP programs run in LOG as sections
# PREFIX-PROG, each of their tests one TAP line here (NAME/PROG/TEST); a
# program that ended badly without saying why, or ran fewer tests than it
# planned, fails as a whole. A failure's diagnostics, before its line (unit
# tests) or after it (guest tests), follow it.
tap_runs() {
	local log=$1 pre=$2 as=$3 prog out code line name bad ran plan diag
	for prog in $(sed -n "s/^NESTED begin $pre-\\(.*\\)\$/\\1/p" "$log"); do
		out=$(sed -n "/^NESTED begin $pre-$prog\$/,/^NESTED end $pre-$prog /p" "$log" | sed '1d;$d')
		code=$(sed -n "s/^NESTED end $pre-$prog \\([0-9]*\\)\$/\\1/p" "$log")
		if [ "$code" != 0 ] && ! grep -q '^not ok' <<<"$out"; then
			tap_not_ok "$as/$prog" "exit $code"
			tail -5 <<<"$out" | tap_diag
			continue
		fi
		bad= ran=0 plan= diag=
		while IFS= read -r line; do
			case $line in
			"ok "*"# SKIP"*) bad= diag=; ran=$((ran + 1)); name=${line#ok * - }
				tap_skip "$as/$prog/${name%% # SKIP*}" "${name#* # SKIP }";;
			"ok "*) bad= diag=; ran=$((ran + 1)); tap_ok "$as/$prog/${line#ok * - }";;
			"not ok "*) bad=1; ran=$((ran + 1)); tap_not_ok "$as/$prog/${line#not ok * - }"
				printf '%s' "$diag"; diag=;;
			"1.."*) plan=${line#1..}; plan=${plan%% *};;
			"#"*) if [ -n "$bad" ]; then echo "$line"; else diag+="$line"$'\n'; fi;;
			esac
		done <<<"$out"
		[ "$plan" = "$ran" ] || tap_not_ok "$as/$prog" "planned ${plan:-no} tests, ran $ran (exit $code)"
	done
}
