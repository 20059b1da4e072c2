# The GICv2 commands (sourced like arm64-body.sh): in the emulated machine
# booted with a GICv2, or after the others on an arm64 host.
cd "$T"
for c in trace-demo irq-test; do
	sed '/^vdev gic/d' guest-images/aarch64/$c.qvmconf >guest-images/aarch64/v2-$c.qvmconf
	echo 'vdev gic version 2' >>guest-images/aarch64/v2-$c.qvmconf
done
echo "set fdt-dump-file $T/v2.dtb" >>guest-images/aarch64/v2-trace-demo.qvmconf
run gicv2 build/qvm @guest-images/aarch64/v2-trace-demo.qvmconf
echo "NESTED begin gicv2-dtb"; base64 $T/v2.dtb; echo "NESTED end gicv2-dtb $?"
run gicv2-irq build/qvm @guest-images/aarch64/v2-irq-test.qvmconf
