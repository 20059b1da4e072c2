/*
 * Every public header of the SDK in one vdev source, and every name the
 * vendor's 8.0 API reference gives them (with the 7.x ones qvm keeps), as
 * a vdev author would use them: built by tests/sdk.sh with only
 * `pkg-config --cflags qvm-vdev` and -std=c11 -Wall -Wextra -Werror
 * -pedantic. It is not run: that it compiles is the test.
 */
#include <qvm/abi.h>
#include <qvm/acpi.h>
#include <qvm/cdev.h>
#include <qvm/fdt.h>
#include <qvm/gasp.h>
#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/outpipe.h>
#include <qvm/types.h>
#include <qvm/utils.h>
#include <qvm/vdev-core.h>
#include <qvm/wdog.h>
/* QNX's register layouts, where QNX vdevs include them from */
#include <aarch64/context.h>
#include <x86_64/context.h>

/* QNX's success value and error type */
static errno_t names_status(void)
{
	return EOK;
}

/* log levels and sources by their types, 8.0 and 7.x spellings */
static const qvm_log_level_t levels[] = {
	QL_QVM_FATAL, QL_QVM_INTERNAL, QL_QVM_ERR, QL_QVM_WARN, QL_QVM_INFO, QL_QVM_DEBUG,
	QL_QVM_DBG, QL_QVM_VERBOSE, QL_CNF_ERR, QL_CNF_WARN, QL_CNF_INFO, QL_CNF_DEBUG,
	QL_CNF_DBG, QL_CNF_VERBOSE, QL_GST_ERR, QL_GST_WARN, QL_GST_INFO, QL_GST_DEBUG,
	QL_GST_VERBOSE, QVM_OUTF_QVM, QVM_OUTN_QVM, QVM_OUTE_QVM, QVM_OUTW_QVM, QVM_OUTI_QVM,
	QVM_OUTD_QVM, QVM_OUTV_QVM, QVM_OUTE_CNF, QVM_OUTI_CNF, QVM_OUTI_GST,
};
static const qvm_log_source_t sources[] = { QLS_QVM, QLS_CNF, QLS_GST };

/* every function, by its declared type (any function pointer converts to another) */
typedef void (*fn)(void);
static const fn functions[] = {
	(fn)vdev_register_factory, (fn)vdev_thread_create,
	(fn)vdev_path, (fn)vdev_name, (fn)vdev_string,
	(fn)guest_cpu_read, (fn)guest_cpu_write,
	(fn)guest_write_all_ones, (fn)guest_intr_signal,
	(fn)guest_timer_create, (fn)guest_timer_notify,
	(fn)guest_timer_state, (fn)guest_terminate,
	(fn)guest_msi_signal, (fn)guest_write_core_file,
	(fn)guest_clock_start, (fn)guest_clock_stop, (fn)guest_instr_register,
	(fn)guest_power_state_current, (fn)guest_power_state_notify_create,
	(fn)guest_power_state_notify_delete, (fn)guest_power_state_notify_register,
	(fn)cdev_setup, (fn)cdev_control, (fn)cdev_write, (fn)cdev_write_buffer, (fn)cdev_read,
	(fn)cdev_input_available,
	(fn)vdev_pulse, (fn)gram_reserve, (fn)gram_find_free, (fn)gram_find_free_range,
	(fn)gasp_lock, (fn)gasp_unlock, (fn)gasp_region_set,
	(fn)gasp_region_set_soft, (fn)gasp_region_info,
	(fn)gasp_find_free, (fn)gasp_find_free_range,
	(fn)gasp_map_contig, (fn)gasp_map_sys, (fn)gasp_map_vdma,
	(fn)gasp_unmap, (fn)gasp_map, (fn)gasp_map_firmware,
	(fn)gasp_map_host_contig, (fn)gasp_get_vaddr,
	(fn)gasp_unmap_handle,
	(fn)vdev_logf, (fn)qvm_logf, (fn)qvm_fatal,
	(fn)qvm_report, (fn)qvm_outf, (fn)qvm_voutf,
	(fn)qvm_parse_num, (fn)qvm_parse_intr, (fn)qvm_parse_block,
	(fn)wdog_parse_action, (fn)wdog_bite,
	(fn)gfdt_update_node, (fn)gfdt_update_property,
	(fn)gfdt_update_prop_string, (fn)gfdt_update_prop_strings,
	(fn)gfdt_update_prop_cells, (fn)gfdt_update_phandle,
	(fn)gfdt_get_clock, (fn)gfdt_update_interrupts,
	(fn)gfdt_update_reg_list,
	(fn)acpi_device_begin, (fn)acpi_device_end,
	(fn)acpi_name_integer, (fn)acpi_name_string,
	(fn)acpi_crs_begin, (fn)acpi_crs_io, (fn)acpi_crs_memory,
	(fn)acpi_crs_interrupt, (fn)acpi_crs_end,
	(fn)acpi_describe_vdev, (fn)acpi_add_table,
};

/* the 8.0 mapping calls in their 8.0 forms */
static void names_maps(vdev_t *vdp)
{
	gasp_map_handle_t h;
	gasp_map_flags_t f = GMF_READ | GMF_WRITE | GMF_MAP_ANY;
	uint64_t pa = 0x100000;
	size_t len = 4096;
	void *p = gasp_map_vdma(vdp, 0x100000, 4096, f);

	if (p)
		gasp_unmap(p, 4096, 0);
	if (gasp_map(vdp, 0x100000, 4096, GMF_READ, &h) == EOK)
		gasp_unmap_handle(&h);
	if (gasp_map_firmware(0xfffff000, 4096, GMF_READ, &h) == EOK && gasp_get_vaddr(&h))
		gasp_unmap_handle(&h);
	if (gasp_map_host_contig(vdp, &pa, &len, GMF_WRITE, &h) == EOK)
		gasp_unmap_handle(&h);
}

/* struct gasp_region from qvm/types.h, its 8.0 and 7.x field names */
static void names_region(vdev_t *vdp)
{
	struct gasp_region r = { .cookie = 1, .vdev = vdp, .guest = { .location = 0x530, .length = 1,
		.qst_type = QST_X86_IO } };

	r.grf_flags = GRF_VIRT_RD | GRF_VIRT_WR;
	r.flags |= GRF_NOCACHE;
	(void)r;
	(void)(GRF_STICKY | GRF_PRECIOUS | GRF_NOPERMS | GRF_BACKUP_MASK | GRF_BACKUP_SHIFT);
}

/* a character device's options and state, the vendor's way */
static const char *const names_cdev_options[] = { CDEV_OPTIONS, "extra", NULL };
static struct cdev_state names_cds;
static unsigned names_cdev_flags(void)
{
	return (unsigned)(CDSF_DELAYED | CDSF_CONFIGURED | CDSF_NEEDS_RESTORE | CDSF_OWN_BUFFERS |
			CDSF_DRAINED) + CDEV_INPUT_AVAILABLE_PULSE_CODE + CDEV_OUTPUT_AVAILABLE_PULSE_CODE +
		CDEV_NUM_PULSE_CODES + CDEV_OPT_NUM_OPTS + names_cds.in.size + names_cds.out.size +
		(unsigned)names_cds.out.flush_timeout + names_cds.delayed_count +
		(names_cdev_options[CDEV_OPT_BATCH_IDX] != NULL);
}

/* a power-state callback, by its type */
static guest_power_state_callback_func_t names_power;
static void names_power(void *data, uint64_t curr, unsigned base)
{
	guest_power_state_cmd_t cmd = GPSC_WAIT | GPSC_OFF | GPSC_FROM | GPSC_TO;

	(void)data;
	(void)curr;
	(void)base;
	(void)cmd;
}

/* an instruction callback, by its type */
static guest_instr_callback_func_t names_instr;
static vdev_ref_status_t names_instr(vdev_t *vdp, struct guest_cpu *gcp, guest_instr_type_t git,
		unsigned qualifier)
{
	(void)vdp;
	(void)gcp;
	(void)(GIT_X86_CPUID | GIT_ARM_SMC | GIT_ARM_MSR | GIT_ARM_MRS | ARM_MAKE_SR_NUM(3, 0, 1, 0, 0));
	return git == GIT_ARM_MRS && qualifier ? VRS_CONTINUE : VRS_NORMAL;
}

/* QST_CPUREGS by QNX's layouts, QST_VIRTUAL, QSF_REPORT_EXCEPTION */
static int names_cpu(struct guest_cpu *gcp)
{
	uint64_t v;
	struct qvm_state_block regs[] = {
		{ .location = offsetof(AARCH64_CPU_REGISTERS, gpr[AARCH64_REG_X0]), .length = 8,
			.qst_type = QST_CPUREGS },
		{ .location = offsetof(X86_64_CPU_REGISTERS, rax), .length = 8,
			.qst_type = QST_CPUREGS },
		{ .location = 0x1000, .length = 8, .qst_type = QST_VIRTUAL,
			.qst_flags = QSF_REPORT_EXCEPTION },
	};
	CPU_REGISTERS cr;
	X86_64_CPU_REGISTERS x = { .rip = 0 };
	AARCH64_CPU_REGISTERS a = { .elr = 0 };

	X86_64_SET_REGIP(&x, X86_64_GET_REGSP(&x));
	AARCH64_SET_REGSP(&a, AARCH64_GET_REGIP(&a) + a.gpr[AARCH64_REG_LR]);
	(void)cr;
	return guest_cpu_read(gcp, GXF_GDB, regs, 3, &v, sizeof(v));
}

static vdev_ref_status_t names_vread(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	uint32_t v = 0;
	int rc = guest_cpu_write(gcp, GXF_NONE, oopnd, 1, &v, sizeof(v));

	(void)vdp;
	(void)cookie;
	(void)vopnd;
	if (rc == EOK)
		rc = names_cpu(gcp);
	return rc == EOK ? VRS_NORMAL : guest_cpu_to_vrs(rc);
}

static int names_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	(void)arg;
	if (ctrl == VDEV_CTRL_GUEST_STARTING) {
		errno_t e = guest_intr_signal(&vdp->v_intr, GIS_ON);
		names_maps(vdp);
		names_region(vdp);
		guest_instr_register(vdp, GIT_ARM_MRS | GIT_FLAG_NO_QUALIFIER, 0, names_instr);
		struct guest_power_state_notify *pn = guest_power_state_notify_create();
		uint64_t set;
		guest_power_state_notify_register(pn, GPSC_TO | GPSC_OFF, 0, 1, 1, names_power, NULL);
		if (guest_power_state_current(GPSC_WAIT, 0, 1, &set) == 1)
			guest_power_state_notify_delete(pn);
		cdev_write(&names_cds, (const uint8_t *)"x", names_cdev_flags() ? 1 : 0);
		qvm_outf(QVM_OUTI_QVM, "%s: %d %zu %zu %zu", vdev_name(vdp), e,
				sizeof(levels) / sizeof(levels[0]), sizeof(sources) / sizeof(sources[0]),
				sizeof(functions) / sizeof(functions[0]));
	}
	return names_status();
}

static struct vdev_factory names_factory = {
	.control = names_control,
	.vread = names_vread,
	.factory_flags = VFF_VDEV_MEM,
	.acc_sizes = 1u << 4,
	.safety = VDEV_SAFETY_SELECTED,
};

static void __attribute__((constructor)) names_register(void)
{
	vdev_register_factory(&names_factory, QVM_VDEV_ABI);
}
