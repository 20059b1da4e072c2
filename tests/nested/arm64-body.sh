# The aarch64 tests' commands (sourced, T = where tests/nested/arm64-kvm.sh
# laid the tree out, run() from tests/nested/lib.sh): in the emulated arm64
# machine from its /init (T=/t), or directly on an arm64 host. Each run's
# output goes between markers on stdout; arm64-kvm.sh reads them.
[ -e /dev/kvm ] && echo "NESTED kvm yes" || echo "NESTED kvm no"
run probe $T/probe
run libs $T/libs
cd "$T"
run qvm-raw build/qvm @raw.qvmconf
run raw-default build/qvm @raw-default.qvmconf
run reset build/qvm @reset.qvmconf
run halt build/qvm @halt.qvmconf
run wait timeout -s KILL 3 build/qvm @wait.qvmconf
run image build/qvm @image.qvmconf
run image-small build/qvm @image-small.qvmconf
run fdt-load build/qvm @fdt-load.qvmconf
run fdt-bad build/qvm @fdt-bad.qvmconf
run initrd build/qvm @initrd.qvmconf
echo "NESTED begin rd-dtb"; base64 $T/rd.dtb; echo "NESTED end rd-dtb $?"
# qvm's log apart, so that no warning splits a guest line
run trace-demo sh -c "build/qvm @guest-images/aarch64/trace-demo.qvmconf 2>$T/demo.log"
echo "NESTED begin trace-demo-log"; cat $T/demo.log; echo "NESTED end trace-demo-log 0"
run fdt-demo build/qvm @guest-images/aarch64/fdt-demo.qvmconf
echo "NESTED begin dtb"; base64 $T/demo.dtb; echo "NESTED end dtb $?"
# each line stamped with the uptime: the bite comes twice the period after the last kick
run wdog-demo sh -c "set -o pipefail; build/qvm @guest-images/aarch64/wdog-demo.qvmconf 2>&1 | sh $T/stamp.sh"
# the bite dumps the guest first; its headers and notes (the RAM is left behind) come out
mkdir -p $T/dumps
sed "s|^    action terminate|    action dump,terminate\\ndump $T/dumps|" guest-images/aarch64/wdog-demo.qvmconf \
	>guest-images/aarch64/wdog-dump.qvmconf
run wdog-dump build/qvm @guest-images/aarch64/wdog-dump.qvmconf
echo "NESTED begin core"; head -c 8192 $T/dumps/*.gcore | base64; echo "NESTED end core $?"
run irq-test build/qvm @guest-images/aarch64/irq-test.qvmconf
# the guest-test programs of tests/guest/, as make check runs them on x86_64
mkdir -p "$T/tmp"
for t in build/tests/guest/test_*; do
	run "guest-${t##*/}" env QVM=$T/build/qvm B=build TMPDIR=$T/tmp "$t"
done
[ -n "${NATIVE:-}" ] && . "$T/arm64-gicv2.sh"
[ -s linux.Image ] && run linux build/qvm @linux.qvmconf
# make bench's report, with a small N: only the ratios mean anything in an emulated machine
run bench build/qvm-bench --n 2000 --warmup 100 --rounds 1 --vdevs 4 --qvm build/qvm \
	--baseline build/kvm-baseline --guest build/guest-images/aarch64/bench.elf --out $T/bench
[ -s $T/bench/bench.json ] && [ -s $T/bench/bench.svg ] && echo "NESTED bench report written"
run fault-test build/qvm @guest-images/aarch64/fault-test.qvmconf
for a in abort ignore; do
	sed "s/^unsupported reference fail/&\nunsupported instruction $a/" guest-images/aarch64/fault-test.qvmconf \
		>guest-images/aarch64/nisv-$a.qvmconf
	run nisv-$a build/qvm @guest-images/aarch64/nisv-$a.qvmconf
done
# refused NAME LINE...: qvm on 64 MiB of ram and the raw guest, plus LINEs
refused() {
	local name=$1
	shift
	printf '%s\n' 'ram 0x40000000,64M' 'load 0x40000000,guest.bin' "$@" >$T/$name.qvmconf
	run "$name" build/qvm @$name.qvmconf
}
refused io-refused 'vdev ser8250'
refused ib700-refused 'vdev wdt-ib700'
refused gic-overlap 'vdev trace loc 0x08000000'
refused gicr-v2 'vdev gic version 2 gicr 0x080a0000'
refused gic-self 'vdev gic loc 0x08000000 gicr 0x08000000'
refused fdt-rom 'rom 0x50000000,1M' 'fdt load 0x50000000,user.dtb'
refused initrd-overlap 'data load 0x43fff000,rd.bin' 'initrd load rd.bin'
