# The x86_64 tests' commands (sourced, with run() defined: tests/nested/lib.sh),
# in the tree $T: by /init in the emulated AMD machine (T=/t), or directly on
# a host whose KVM has VMX or SVM (tests/nested/x86-npt.sh lays the tree out
# either way). Each program's output goes between NESTED markers.
cd "$T" || exit 1
run demo build/qvm @guest-images/x86_64/trace-demo.qvmconf
run one-vcpu build/qvm @tests/configs/ok/base.qvmconf
run wdog build/qvm @guest-images/x86_64/wdog-demo.qvmconf
run access build/qvm @access.qvmconf
# Linux with its initramfs: the host's line goes in once the guest asks for it
# (input sent earlier is lost when the kernel opens the port); each line stamped
if [ -s initrd.cpio ]; then
	echo "NESTED begin linux"
	rm -f "$T/tmp/in"
	mkdir -p "$T/tmp"
	mkfifo "$T/tmp/in"
	read -r t0 _ </proc/uptime
	echo "$t0 qvm starts"
	# (the PID: busybox's timeout becomes qvm, GNU's passes the signal on)
	(timeout -k 5 120 build/qvm @linux.qvmconf <"$T/tmp/in" 2>&1 & echo $! >"$T/tmp/qvm.pid"
	 wait $!; echo "qvm exit $?") | sh stamp.sh >"$T/tmp/linux.out" &
	exec 3>"$T/tmp/in"
	i=0
	while [ $i -lt 1200 ] && ! grep -q 'init: ready for input' "$T/tmp/linux.out"; do
		sleep 0.1; i=$((i + 1))
	done
	# the power button first (SIGTERM): the guest sees an SCI and carries on
	kill -TERM "$(cat "$T/tmp/qvm.pid")"
	sleep 0.5
	echo "hello from the host" >&3
	exec 3>&-
	wait
	cat "$T/tmp/linux.out"
	echo "NESTED end linux $(sed -n 's/.*qvm exit \([0-9]*\)$/\1/p' "$T/tmp/linux.out")"
fi
[ -s vmlinux ] && [ -s initrd.cpio ] && RUN_SECONDS=120 run vmlinux build/qvm @vmlinux.qvmconf
# `set exit-on-halt` (the vendor's): the demo ends halted; with HLT exiting
# the halted vCPU costs the host nothing, left in the guest it holds its CPU.
# The CPU time of qvm over 2 s once the guest said it was done, in ticks.
echo "NESTED begin halt-exits"
for m in on off; do
	build/qvm @tests/configs/ok/base.qvmconf set quit-on-halt off set exit-on-halt $m \
		>"$T/tmp/halt-$m.out" 2>&1 &
	p=$!
	i=0
	while [ $i -lt 600 ] && ! grep -q '^all 1 vcpus done' "$T/tmp/halt-$m.out"; do
		sleep 0.1; i=$((i + 1))
	done
	sleep 1
	a=$(awk '{ print $14 + $15 }' /proc/$p/stat)
	sleep 2
	b=$(awk '{ print $14 + $15 }' /proc/$p/stat)
	kill -QUIT $p; wait $p
	echo "exit-on-halt $m: $((b - a)) ticks of $(getconf CLK_TCK 2>/dev/null || echo 100)/s in 2 s"
done
echo "NESTED end halt-exits 0"
# the guest-test programs, as make check runs them on the host
mkdir -p "$T/tmp/gt"
for t in build/tests/guest/test_* build/tests/guest/x86_64/test_*; do
	[ -x "$t" ] && RUN_SECONDS=300 run "guest-${t##*/}" env QVM="$T/build/qvm" B=build \
		TMPDIR="$T/tmp/gt" "$t"
done
