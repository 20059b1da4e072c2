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
ln -s /proc/self/fd /dev/fd
EOF
	nested_run_fn >>"$1"
	chmod +x "$1"
}

# nested_pack ROOT CPIO: the initramfs of the tree ROOT
nested_pack() { (cd "$1" && find . | cpio -o -H newc --quiet) >"$2"; }

# After the machine ran with its console in $W/console.log: $W/log, without CRs.
nested_log() { tr -d '\r' <"$W/console.log" >"$W/log"; }
section() { sed -n "/^NESTED begin $1\$/,/^NESTED end $1 /p" "$W/log"; }
code_of() { sed -n "s/^NESTED end $1 \([0-9]*\)\$/\1/p" "$W/log"; }
