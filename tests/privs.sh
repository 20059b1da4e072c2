#!/usr/bin/env bash
# Least privilege (docs/configuration.md, "Privileges and the sandbox"): what a running qvm
# holds, read from /proc/PID/status; the seccomp sandbox stopping a
# forbidden call with its report, and letting it through in log mode.
# Prints TAP.
. "$(dirname "$0")/lib.sh"

# LeakSanitizer stops the world at exit with ptrace from a new process, which
# the sandbox forbids: sanitized runs leave the leak check to the other tests.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
SKIP_KVM="SKIP: /dev/kvm is not usable on this machine: guests cannot run"
kvm_ok() { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }
ROOT=0
[ "$(id -u)" = 0 ] && ROOT=1
FORBID="vdev forbid loc $TRACE_LOC"	# where the demo guest's trace vdev would be
# A guest that touches the vdev at every width, then halts
ACCESS="$RAM load $GUESTS/access-test.elf set quit-on-halt on $HALT $CONSOLE"

# util-linux's setpriv, by its path: a busybox timeout would run busybox's
# own setpriv, which cannot change users, for the bare name
SETPRIV=$(command -v setpriv)
# the name of the user with uid 65534 (busybox's id takes only names)
user_65534() { id -un 65534 2>/dev/null || awk -F: '$3 == 65534 { print $1; f = 1; exit } END { exit !f }' /etc/passwd; }

# field PID NAME: a field of /proc/PID/status
field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# A guest that halts and stays: qvm runs on until told to stop.
start_idle() {
	local name=$1
	shift
	bg "$name" @"$BASE" set quit-on-halt off "$@"
	wait_out "$name" "all 1 vcpus done" 30 || { kill -9 $BG_PID; return 1; }
}
stop_idle() {
	kill -QUIT $BG_PID
	finish "$1" 10 && expect_rc "$1" 3
}

t_privileges_dropped() {
	kvm_ok || { echo "$SKIP_KVM"; return 0; }
	start_idle plain || return 1
	local pid=$BG_PID bad="" t
	[ "$(field $pid NoNewPrivs)" = 1 ] || bad="NoNewPrivs $(field $pid NoNewPrivs), wanted 1"
	[ "$(field $pid Seccomp)" = 0 ] || bad="$bad; Seccomp $(field $pid Seccomp) without the sandbox"
	for t in /proc/$pid/task/*; do
		local name cap bnd
		name=$(cat "$t/comm")
		cap=$(awk '$1 == "CapEff:" { print $2 }' "$t/status")
		bnd=$(awk '$1 == "CapBnd:" { print $2 }' "$t/status")
		[ "$cap" = 0000000000000000 ] || bad="$bad; thread $name has CapEff $cap"
		[ $ROOT = 0 ] || [ "$bnd" = 0000000000000000 ] || bad="$bad; thread $name has CapBnd $bnd"
	done
	stop_idle plain || return 1
	[ -z "$bad" ] || { echo "${bad#; }"; return 1; }
}

# `sched` with a priority keeps CAP_SYS_NICE (bit 23), and only that.
t_sched_keeps_nice() {
	kvm_ok || { echo "$SKIP_KVM"; return 0; }
	[ $ROOT = 1 ] || { echo "SKIP: not root: there is no CAP_SYS_NICE to keep"; return 0; }
	start_idle nice cpu sched 1 || return 1
	local cap
	cap=$(field $BG_PID CapEff)
	stop_idle nice || return 1
	[ "$cap" = 0000000000800000 ] || { echo "CapEff $cap with sched 1, wanted 0000000000800000"; return 1; }
}

# `cpu runmask`: each vCPU's thread runs only where its runmask says.
t_runmask_pins() {
	kvm_ok || { echo "$SKIP_KVM"; return 0; }
	[ "$(nproc --all)" -ge 2 ] || { echo "SKIP: one host CPU: no two runmasks to tell apart"; return 0; }
	bg pin @"$BASE" set quit-on-halt off cpu runmask 1 cpu runmask 0,1
	wait_out pin "all 2 vcpus done" 30 || { kill -9 $BG_PID; return 1; }
	local pid=$BG_PID got="" t
	for t in /proc/$pid/task/*; do
		case $(cat "$t/comm") in
		vcpu*) got="$got $(cat "$t/comm")=$(awk '$1 == "Cpus_allowed_list:" { print $2 }' "$t/status")" ;;
		esac
	done
	stop_idle pin || return 1
	[ "$got" = " vcpu0=1 vcpu1=0-1" ] || { echo "vCPU threads' CPUs:$got (wanted vcpu0=1 vcpu1=0-1)"; return 1; }
}

t_sandbox_filters() {
	kvm_ok || { echo "$SKIP_KVM"; return 0; }
	start_idle sbx set sandbox on || return 1
	local pid=$BG_PID bad="" t
	[ "$(field $pid Seccomp)" = 2 ] || bad="Seccomp $(field $pid Seccomp), wanted 2 (filter)"
	for t in /proc/$pid/task/*; do
		local name n want=1
		name=$(cat "$t/comm")
		n=$(awk '$1 == "Seccomp_filters:" { print $2 }' "$t/status")
		case $name in vcpu*|kvm-*) want=2 ;; esac	# KVM's worker starts from a vCPU
		[ "$n" = $want ] || bad="$bad; thread $name has $n filters, wanted $want"
	done
	stop_idle sbx || return 1
	[ -z "$bad" ] || { echo "${bad#; }"; return 1; }
	expect_no_err sbx "sandbox:"
}

# `set user`: every thread runs as that user, with its group only and no capabilities
# (CAP_SYS_NICE kept across the change when `sched` asks for it).
t_set_user() {
	kvm_ok || { echo "$SKIP_KVM"; return 0; }
	[ $ROOT = 1 ] || { echo "SKIP: not root: only root can run qvm as another user"; return 0; }
	local who
	who=$(user_65534) || { echo "SKIP: no user with uid 65534 here"; return 0; }
	start_idle user set user "$who" cpu sched 1 || return 1
	local pid=$BG_PID bad="" t
	for t in /proc/$pid/task/*; do
		local name uid gid groups cap
		name=$(cat "$t/comm")
		uid=$(awk '$1 == "Uid:" { print $2 $3 $4 $5 }' "$t/status")
		gid=$(awk '$1 == "Gid:" { print $2 $3 $4 $5 }' "$t/status")
		groups=$(awk '$1 == "Groups:" { print $2 }' "$t/status")
		cap=$(awk '$1 == "CapEff:" { print $2 }' "$t/status")
		[ "$uid" = 65534655346553465534 ] || bad="$bad; thread $name has uids $uid"
		[ "$gid" = "$(id -g "$who")$(id -g "$who")$(id -g "$who")$(id -g "$who")" ] ||
			bad="$bad; thread $name has gids $gid"
		[ -z "$groups" ] || bad="$bad; thread $name has groups $groups"
		case $name in signals) ;; *) [ "$cap" = 0000000000800000 ] ||
			bad="$bad; thread $name has CapEff $cap (sched 1 keeps CAP_SYS_NICE)" ;; esac
	done
	stop_idle user || return 1
	[ -z "$bad" ] || { echo "${bad#; }"; return 1; }
	run nouser 10 set user no-such-user-here $ACCESS dryrun
	expect_rc nouser 65 && expect_err nouser "set user: no user 'no-such-user-here'" || return 1
	[ -n "$SETPRIV" ] || return 0
	timeout -k "$KILL_AFTER" 20 "$SETPRIV" --reuid=65534 --regid=65534 --clear-groups "$QVM" set user root $ACCESS dryrun \
		>/dev/null 2>"$OUT/notroot.err" </dev/null
	echo $? >"$OUT/notroot.rc"
	expect_rc notroot 65 && expect_err notroot "set user: only root can run qvm as another user"
}

# An unprivileged qvm (uid 65534 in the kvm group) with the sandbox and `set user`
# naming itself runs the guest to its end: nothing here needs root.
t_unprivileged() {
	kvm_ok || { echo "$SKIP_KVM"; return 0; }
	[ $ROOT = 1 ] && [ -n "$SETPRIV" ] ||
		{ echo "SKIP: needs root and setpriv to start qvm as another user"; return 0; }
	local kvm who
	kvm=$(stat -c %g /dev/kvm)
	[ $(( 0$(stat -c %a /dev/kvm) & 060 )) = 48 ] ||
		{ echo "SKIP: /dev/kvm is not open to its group here (mode $(stat -c %a /dev/kvm))"; return 0; }
	who=$(user_65534) || { echo "SKIP: no user with uid 65534 here"; return 0; }
	timeout -k "$KILL_AFTER" 20 "$SETPRIV" --reuid=65534 --regid=65534 --groups="$kvm" "$QVM" set user "$who" set sandbox on \
		$ACCESS >"$OUT/unpriv.out" 2>"$OUT/unpriv.err" </dev/null
	echo $? >"$OUT/unpriv.rc"
	expect_rc unpriv 0 && expect_out unpriv "guest done" && expect_no_err unpriv "sandbox:"
}

# A vdev on a vCPU thread calls socket(): reported, stopped, exit 96.
t_forbidden_call_stopped() {
	kvm_ok || { echo "$SKIP_KVM"; return 0; }
	QVM_VDEV_PATH=$PWD/$B/tests run open 20 $ACCESS $FORBID
	expect_rc open 0 && expect_err open "forbid: socket: ok" || return 1
	QVM_VDEV_PATH=$PWD/$B/tests run kill 20 system sbx set sandbox on $ACCESS $FORBID
	expect_rc kill 96 || return 1
	expect_err kill "qvm[sbx]: fatal: sandbox: thread vcpu0 (in vdev forbid) made the system call socket (" || return 1
	expect_no_err kill "forbid: socket:"	# the call never returned into the vdev
}

# The same call on the main thread in GUEST_CONFIGURED: before the guest started, exit 64.
t_forbidden_before_start() {
	kvm_ok || { echo "$SKIP_KVM"; return 0; }
	QVM_VDEV_PATH=$PWD/$B/tests run cfg 20 set sandbox on $ACCESS $FORBID at-configured
	expect_rc cfg 64 &&
	expect_err cfg "fatal: sandbox: thread qvm (in vdev forbid) made the system call socket ("
}

# Log mode lets the call through (the kernel logs it) and the guest runs to its end.
t_log_mode() {
	kvm_ok || { echo "$SKIP_KVM"; return 0; }
	local nr before=-1 after
	case $(uname -m) in x86_64) nr=41 ;; aarch64) nr=198 ;; esac	# socket
	dmesg >/dev/null 2>&1 && before=$(dmesg | grep -c "exe=\"$PWD/$QVM\".* syscall=$nr ")
	QVM_VDEV_PATH=$PWD/$B/tests run log 20 set sandbox log $ACCESS $FORBID
	expect_rc log 0 && expect_err log "forbid: socket: ok" && expect_out log "guest done" &&
	expect_no_err log "fatal" || return 1
	[ "$before" -ge 0 ] || return 0	# the kernel's log is not readable here: the call went through
	after=$(dmesg | grep -c "exe=\"$PWD/$QVM\".* syscall=$nr ")
	[ "$after" -gt "$before" ] || { echo "no seccomp line for syscall $nr in the kernel's log"; return 1; }
}

# A thread a vdev started itself before GUEST_CONFIGURED would keep every privilege.
t_early_thread_refused() {
	kvm_ok || { echo "$SKIP_KVM"; return 0; }
	QVM_VDEV_PATH=$PWD/$B/tests run early 20 $ACCESS $FORBID early-thread
	expect_rc early 64 &&
	expect_err early "a vdev started a thread of its own, which would keep qvm's privileges"
}

# qvm_fatal in vread: the shutdown on the vCPU thread removes the vdev's directory,
# and the sandbox lets it (no report blaming the vdev).
t_fatal_on_a_vcpu() {
	kvm_ok || { echo "$SKIP_KVM"; return 0; }
	mkdir -m 700 "$OUT/xdg"
	XDG_RUNTIME_DIR=$OUT/xdg QVM_VDEV_PATH=$PWD/$B/tests run vfatal 20 system vf set sandbox on \
		$ACCESS $FORBID fatal
	expect_rc vfatal 96 && expect_err vfatal "forbid: fatal in an access" &&
	expect_err vfatal "forbid: path $OUT/xdg/qvm/vf/forbid" && expect_no_err vfatal "sandbox:" ||
		return 1
	[ ! -e "$OUT/xdg/qvm/vf" ] || { echo "$OUT/xdg/qvm/vf left behind"; return 1; }
}

# A SIGSYS sent from outside is not a forbidden call: the default action, no report.
t_outside_sigsys() {
	kvm_ok || { echo "$SKIP_KVM"; return 0; }
	start_idle sys set sandbox on || return 1
	kill -SYS $BG_PID
	finish sys 10 && expect_rc sys $((128 + 31)) && expect_no_err sys "sandbox:"
}

# A vdev linked with an executable stack would have every new thread's stack executable.
t_exec_stack_refused() {
	local xs=$PWD/$B/tests/execstack	# (make builds it there)
	[ -f "$xs/vdev-forbid.so" ] || { echo "$xs/vdev-forbid.so is not built"; return 1; }
	QVM_VDEV_PATH=$xs run xs 20 set sandbox on $ACCESS $FORBID dryrun
	expect_rc xs 65 && expect_err xs "$xs/vdev-forbid.so asks for an executable stack"
}

t_sandbox_option_errors() {
	run badmode 10 set sandbox maybe $ACCESS
	expect_rc badmode 65 && expect_err badmode "set sandbox: 'maybe' is not on, off or log" || return 1
	run piped 10 set sandbox on dump "|cat" $ACCESS dryrun
	expect_rc piped 65 && expect_err piped "runs a command, which the sandbox forbids" || return 1
	run slog 10 set sandbox log logger warn slog $ACCESS dryrun
	expect_rc slog 65 && expect_err slog "the \`slog\` log destination needs a socket"
}

tap_check privileges_dropped t_privileges_dropped
tap_check sched_keeps_nice t_sched_keeps_nice
tap_check runmask_pins t_runmask_pins
tap_check set_user t_set_user
tap_check unprivileged t_unprivileged
tap_check sandbox_filters t_sandbox_filters
tap_check forbidden_call_stopped t_forbidden_call_stopped
tap_check forbidden_before_start t_forbidden_before_start
tap_check log_mode t_log_mode
tap_check early_thread_refused t_early_thread_refused
tap_check fatal_on_a_vcpu t_fatal_on_a_vcpu
tap_check outside_sigsys t_outside_sigsys
tap_check exec_stack_refused t_exec_stack_refused
tap_check sandbox_option_errors t_sandbox_option_errors
tap_end
