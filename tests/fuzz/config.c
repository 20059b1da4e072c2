/*
 * Fuzz target: the configuration processor with dryrun semantics and no
 * KVM: the tokens of any bytes through config_run and vm_check (loads
 * planned and carried out into guest memory, vdevs assigned), then the VM
 * destroyed. vdevs come from factories linked in here, so nothing is
 * dlopen()ed; they call nothing that could end the process (qvm_fatal,
 * qvm_parse_* in option processing), and stand in for the built-in ones.
 * `pass` is parsed but opens nothing. An error must come with a message.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <qvm/vdev-core.h>

#include "config.h"
#include "vm.h"

static int fz_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	(void)vdp;
	/* an option whose argument starts with '!' is refused, as a vdev may */
	return ctrl >= VDEV_CTRL_FIRST_OPTIDX && arg && arg[0] == '!' ? 22 : 0;
}

static const char *const fz_options[] = { "a", QVM_OPTION_NO_ARG_PREFIX "b", "c", NULL };

static struct vdev_factory factories[] = {
	{ .name = "fz", .control = fz_control, .option_list = fz_options,
	  .factory_flags = VFF_INTR_NO | VFF_LOC_NO },
	{ .name = "fzmem", .control = fz_control, .option_list = fz_options,
	  .factory_flags = VFF_VDEV_MEM | VFF_VDEV_X86_IO, .acc_sizes = 1u << 4 },
	{ .name = "fzreq", .control = fz_control, .option_list = fz_options,
	  .factory_flags = VFF_INTR_REQ | VFF_VDEV_MEM | VFF_MUTEX, .extra_space = 64 },
};

/*
 * The vdevs built into qvm end the process with qvm_fatal on a bad option,
 * and shmem makes host objects: stand-ins of the same names, registered
 * after them, are found first.
 */
static struct vdev_factory stand_ins[] = {
	{ .name = "shmem", .control = fz_control, .option_list = fz_options,
	  .factory_flags = VFF_VDEV_MEM },
	{ .name = "ioapic", .control = fz_control, .factory_flags = VFF_VDEV_MEM | VFF_MANUAL_REGION },
	{ .name = "8259", .control = fz_control, .factory_flags = VFF_VDEV_X86_IO | VFF_MANUAL_REGION },
	{ .name = "timer8254", .control = fz_control, .factory_flags = VFF_VDEV_X86_IO | VFF_MANUAL_REGION },
	{ .name = "hpet", .control = fz_control, .factory_flags = VFF_VDEV_MEM | VFF_MANUAL_REGION },
	{ .name = "gic", .control = fz_control, .factory_flags = VFF_VDEV_MEM | VFF_MANUAL_REGION },
};

static char dir[PATH_MAX] = "/nonexistent";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* No vdev file is ever found: only the factories above exist. */
	setenv("QVM_VDEV_PATH", "/nonexistent/qvm-fuzz", 1);
	for (size_t i = 0; i < sizeof(factories) / sizeof(factories[0]); i++)
		vdev_register_factory(&factories[i], QVM_VDEV_ABI);
	for (size_t i = 0; i < sizeof(stand_ins) / sizeof(stand_ins[0]); i++)
		vdev_register_factory(&stand_ins[i], QVM_VDEV_ABI);
	/* The seed configurations name their guest images relative to their own directory. */
	if (!realpath("tests/configs/ok", dir))
		strcpy(dir, "/nonexistent");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qvm_tokens t = { 0 };
	struct qvm_vm *vm = NULL;
	struct qerr e = { { 0 } };

	if (vm_create(&vm, &e))
		abort();
	vm_set_current(vm);
	int r = tokens_add_text(&t, (const char *)data, size, "fuzz.conf", dir, &e);
	if (!r)
		r = config_run(vm, &t, &e);
	pass_destroy(vm);	/* `pass` would open host files and /dev/mem: parsed, not opened */
	if (!r)
		r = vm_check(vm, &e);
	if (r && !e.msg[0])
		abort();
	vm_destroy(vm);
	tokens_free(&t);
	return 0;
}
