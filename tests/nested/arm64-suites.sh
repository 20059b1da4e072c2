# The unit tests and the suites tests/run.sh runs, in the emulated arm64
# machine (sourced from its /init, T=/t, run() from tests/nested/lib.sh), as
# they would run on an arm64 host, where tests/run.sh runs them itself.
# tests/nested/arm64-kvm.sh reads each one's TAP between the markers.
cd "$T"
for t in build/tests/test_*; do
	run "unit-${t##*/}" "$t"
done
# (emulated, this machine is about 30 times slower: a fifth of the vdevs)
export B=build QVM=build/qvm KILL_AFTER=15 MANY_VDEVS=2000
for s in cli inputs golden vendor signals privs sdk; do
	RUN_SECONDS=400 run "suite-$s" bash "tests/$s.sh"
done
RUN_SECONDS=400 run suite-nokvm bash tests/golden.sh build --no-kvm
