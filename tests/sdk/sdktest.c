/*
 * vdev-sdktest: an example vdev that exercises the vdev API from the guest's
 * side (guest-images/lib/sdk-test.c drives it). The tests build it out of
 * tree, with only the installed headers and pkg-config:
 *   cc -shared -fPIC $(pkg-config --cflags qvm-vdev) sdktest.c -o vdev-sdktest.so
 *
 * 32-bit registers at loc (4 KiB of memory space):
 *   0x00 ID R         0x04 SCRATCH RW    0x08 DMA_ADDR W    0x0c DMA_LEN W
 *   0x10 DMA_CMD W    (1 uppercase via gasp_map_contig, 2 via gasp_map_sys,
 *                      3 reverse via guest_cpu_read/write on guest memory,
 *                      4 uppercase via the 8.0 gasp_map_vdma, 5 lowercase
 *                      via a gasp_map handle)
 *   0x14 DMA_SUM R    0x18 ONESHOT W (ms)  0x1c PERIODIC W (ms, 0 stops)
 *   0x20 TICKS R      0x24 IRQ W (1 assert, 0 de-assert)  0x28 THREAD R
 *   0x2c PATH_OK R    0x30 REGION R (gasp_region_info: is DMA_ADDR in RAM?)
 *   0x34 EXIT W       0x38 SOFT W (1: claim its region + 0x10 with
 *                      gasp_region_set_soft, 0: drop it)
 *   0x3c BUSERR R     answers VRS_BUS_ERROR: the guest sees a fault
 *   0x40 PULSE RW     W: a one-shot POSIX timer 10 ms away whose event vdev_pulse()
 *                     made (code SDK_PULSE_CODE); R: pulses seen << 8 | the last code
 *   0x44 MSI_ADDR W   0x48 MSI W: guest_msi_signal(vdp, MSI_ADDR, the value)
 *   0x4c CPUREG_OFF W an offset into CPU_REGISTERS
 *   0x50 CPUREG R     the vCPU's 8 bytes there (QST_CPUREGS), low half; the
 *                     register is written back plus CPUREG_ADD
 *   0x54 CPUREG_ERR R what the last CPUREG's read and write gave (read << 8 | write)
 *   0x58 VIRT_LO W    0x5c VIRT_HI W: a guest-virtual address
 *   0x60 VIRT RW      4 bytes there (QST_VIRTUAL); a fault is the guest's: a read
 *                     answers guest_cpu_to_vrs(), a write sets QSF_REPORT_EXCEPTION
 *   0x74 CPUREG_ADD W what CPUREG adds (1 at first)
 *   0x78 RAM_ADDR W   a page of guest RAM
 *   0x7c RAM_PERM W   its permissions (gasp_region_set_soft): 0 GRF_NONE, 1 read-only
 *                     with writes trapped here, 2 all passed again, 3 nothing passed,
 *                     reads trapped here (they answer 0xc0de0030)
 *   0x80 RAM_ERR R    errno of the last RAM_PERM
 *   0x84 RAM_WRITES R the guest's writes trapped on the page, 0x88 RAM_LAST R the last
 *   0x8c BILL W       N ms of billable work: guest_clock_start, a sleep, guest_clock_stop
 *   0x90 POWER_NOW R  guest_power_state_current(GPSC_WAIT | GPSC_OFF)
 *   0x94 POWER_SEEN R the `power-watch` notifications so far, 0x98 POWER_LAST R their last state
 * `split ADDR`: at startup a region of 3 pages at ADDR (reads answer 0xc0de0020),
 * then its middle page removed with gasp_region_set(GRF_NONE).
 * `ram-hole ADDR`: at startup the RAM page at ADDR taken out (GRF_NONE).
 * `trap-instr`: guest_instr_register() of instruction type 0 (CPUID, SMC), its result logged.
 * `power-watch`: a power-state notification for vCPU 1 waiting or off (GPSC_TO).
 *   0x64 PEER_ADDR W  0x68 PEER_SPACE W (a qst_type)
 *   0x6c PEER RW      4 bytes at PEER_SPACE:PEER_ADDR through guest_cpu_read/write:
 *                     another vdev's register; a fault answers guest_cpu_to_vrs(),
 *                     an errno goes to PEER_ERR and a read answers all ones
 *   0x70 PEER_ERR R
 * `end-with vrs-terminate` or `end-with N`: the guest's first access ends the
 * guest with VRS_TERMINATE or guest_terminate(N).
 * `tick-ms N`: the periodic timer runs from GUEST_STARTING, every N ms.
 * With `ioport PORT`, it also claims 4 ports at PORT at startup
 * (gasp_region_set, cookie `cookie N`): a read gives 0xc0de0000 | cookie.
 * `mmio ADDR` does the same with 4 bytes of memory space at ADDR, for
 * architectures without ports.
 * `violate RULE` breaks one function-safety rule on purpose (see rules[]).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <qvm/gasp.h>
#include <qvm/guest.h>
#include <qvm/log.h>
#include <qvm/utils.h>
#include <qvm/vdev-core.h>

enum { R_ID = 0x00, R_SCRATCH = 0x04, R_DMA_ADDR = 0x08, R_DMA_LEN = 0x0c, R_DMA_CMD = 0x10,
	R_DMA_SUM = 0x14, R_ONESHOT = 0x18, R_PERIODIC = 0x1c, R_TICKS = 0x20, R_IRQ = 0x24,
	R_THREAD = 0x28, R_PATH_OK = 0x2c, R_REGION = 0x30, R_EXIT = 0x34, R_SOFT = 0x38,
	R_BUSERR = 0x3c, R_PULSE = 0x40, R_MSI_ADDR = 0x44, R_MSI = 0x48, R_CPUREG_OFF = 0x4c,
	R_CPUREG = 0x50, R_CPUREG_ERR = 0x54, R_VIRT_LO = 0x58, R_VIRT_HI = 0x5c, R_VIRT = 0x60,
	R_PEER_ADDR = 0x64, R_PEER_SPACE = 0x68, R_PEER = 0x6c, R_PEER_ERR = 0x70,
	R_CPUREG_ADD = 0x74, R_RAM_ADDR = 0x78, R_RAM_PERM = 0x7c, R_RAM_ERR = 0x80,
	R_RAM_WRITES = 0x84, R_RAM_LAST = 0x88, R_BILL = 0x8c, R_POWER_NOW = 0x90,
	R_POWER_SEEN = 0x94, R_POWER_LAST = 0x98 };
#define COOKIE_SPLIT	0x20
#define COOKIE_RAM	0x30
#define PAGE		0x1000u
#define SDK_PULSE_CODE	7

#define COOKIE_MAIN	0
#define MS		1000000ull	/* timer ticks are nanoseconds */

/* The function-safety rules to break, and when. */
enum violation { V_NONE, V_THREAD_STARTUP, V_PATH_STARTUP, V_CPU_READ_STARTUP,
	V_INTR_STARTUP, V_NOTIFY_STARTUP, V_SOFT_STARTUP, V_REGION_RUNNING, V_TIMER_RUNNING,
	V_FATAL_STARTED, V_REGION_STARTED, V_SOFT_UNLOCKED, V_TIMER_STARTED, V_VDMA_7X,
	V_GRAM_STARTED };
static const char *const rules[] = {
	"none", "thread-at-startup", "path-at-startup", "cpu-read-at-startup",
	"intr-at-startup", "notify-at-startup", "soft-at-startup", "region-when-running",
	"timer-when-running", "fatal-after-start", "region-after-start", "soft-unlocked",
	"timer-after-start", "vdma-7x-order", "gram-after-start", NULL,
};

struct sdk {
	uint32_t scratch, dma_sum, ticks, thread_count, path_ok;
	uint64_t dma_addr, dma_len, period_ns;
	uint64_t region, cookie;	/* the `ioport` or `mmio` region, QSL_NO_LOCATION if none */
	unsigned region_space;		/* QST_X86_IO or QST_MEMORY */
	struct guest_timer *oneshot, *periodic;
	pthread_t thread;
	int thread_running, stop;
	enum violation violate;
	int end_vrs;		/* end-with vrs-terminate */
	int end_code;		/* end-with N, -1 if not given */
	timer_t pulse_timer;	/* its event from vdev_pulse() */
	int pulse_timer_made;
	uint32_t pulses, pulse_code;
	uint32_t msi_addr;
	uint32_t cpureg_off, cpureg_err, cpureg_add, peer_space, peer_err;
	uint64_t virt, peer_addr;
	uint64_t split, ram_hole, ram_addr;	/* QSL_NO_LOCATION: not given */
	uint32_t ram_err, ram_writes, ram_last;
	struct guest_power_state_notify *power;
	_Atomic uint32_t power_seen, power_last;	/* from qvm's sampling thread */
};

enum { OPT_IOPORT, OPT_COOKIE, OPT_VIOLATE, OPT_INIT, OPT_END_WITH, OPT_TICK_MS, OPT_MMIO,
	OPT_SPLIT, OPT_RAM_HOLE, OPT_TRAP_INSTR, OPT_POWER_WATCH };
static const char *const sdk_options[] = { "ioport", "cookie", "violate", "init", "end-with",
	"tick-ms", "mmio", "split", "ram-hole", QVM_OPTION_NO_ARG_PREFIX "trap-instr",
	QVM_OPTION_NO_ARG_PREFIX "power-watch", NULL };

static void *counter_thread(void *arg)
{
	vdev_t *vdp = arg;
	struct sdk *s = vdp->v_device;

	for (;;) {
		usleep(100000);
		pthread_mutex_lock(&vdp->v_mtx);
		int stop = s->stop;
		if (!stop)
			s->thread_count++;
		pthread_mutex_unlock(&vdp->v_mtx);
		if (stop)
			return NULL;
	}
}

static struct gasp_region space_region(vdev_t *vdp, unsigned space, uint64_t loc, uint32_t cookie,
		uint32_t flags)
{
	struct gasp_region r = {
		.grf_flags = flags, .cookie = cookie, .vdev = vdp,
		.guest = { .location = loc, .length = 4, .qst_type = space },
	};
	return r;
}

static struct gasp_region io_region(vdev_t *vdp, uint64_t port, uint32_t cookie, uint32_t flags)
{
	return space_region(vdp, QST_X86_IO, port, cookie, flags);
}

/* Rules broken during startup, at OPTIONS_END. */
static void violate_at_startup(vdev_t *vdp, struct sdk *s)
{
	uint32_t v;
	struct qvm_state_block blk = { .location = 0, .length = 4, .qst_type = QST_MEMORY };
	struct gasp_region r = io_region(vdp, 0x530, 1, GRF_VIRT_RD);

	switch (s->violate) {
	case V_THREAD_STARTUP:
		vdev_thread_create(vdp, "early", &s->thread, NULL, counter_thread, vdp);
		break;
	case V_PATH_STARTUP:
		vdev_path(vdp);
		break;
	case V_CPU_READ_STARTUP:
		guest_cpu_read(NULL, GXF_NONE, &blk, 1, &v, sizeof(v));
		break;
	case V_INTR_STARTUP:
		guest_intr_signal(&vdp->v_intr, GIS_ON);
		break;
	case V_NOTIFY_STARTUP:
		guest_timer_notify(s->oneshot, NULL, MS);
		break;
	case V_SOFT_STARTUP:
		gasp_region_set_soft(1, &r);
		break;
	default:
		break;
	}
}

/* Rules broken after the guest started, on its first access. */
static void violate_after_start(vdev_t *vdp, struct sdk *s)
{
	struct gasp_region r = io_region(vdp, 0x530, 1, GRF_VIRT_RD);
	uint64_t res;

	switch (s->violate) {
	case V_FATAL_STARTED:
		qvm_fatal(QLS_QVM, "sdktest: giving up");
		break;
	case V_REGION_STARTED:
		gasp_region_set(1, &r);
		break;
	case V_SOFT_UNLOCKED:
		gasp_region_set_soft(1, &r);
		break;
	case V_TIMER_STARTED:
		guest_timer_create(NULL, vdp, NULL, &res);
		break;
	case V_GRAM_STARTED:
		gram_reserve(0x80000000, 0x1000);
		break;
	case V_VDMA_7X:	/* (vdev, prot, paddr, length): compiles, and is caught */
		gasp_map_vdma(vdp, PROT_READ | PROT_WRITE, 0x100000, 4096);
		break;
	default:
		break;
	}
}

/* vCPU 1 came to wait or be off. */
static void sdk_power(void *data, uint64_t curr, unsigned base)
{
	struct sdk *s = data;

	(void)base;
	atomic_store(&s->power_last, (uint32_t)curr);
	atomic_fetch_add(&s->power_seen, 1);
}

/* Never called under KVM (guest_instr_register says ENOTSUP). */
static vdev_ref_status_t sdk_instr(vdev_t *vdp, struct guest_cpu *gcp, guest_instr_type_t git,
		unsigned qualifier)
{
	(void)gcp;
	vdev_logf(QL_QVM_ERR, vdp, "sdktest: instruction %u (%u) trapped", git, qualifier);
	return VRS_CONTINUE;
}

static int sdk_control(vdev_t *vdp, unsigned ctrl, const char *arg)
{
	struct sdk *s = vdp->v_device;
	uint64_t res, v;

	switch (ctrl) {
	case VDEV_CTRL_OPTIONS_START:
		vdp->v_block.location = QSL_NO_LOCATION;
		vdp->v_block.length = 0x1000;
		s->region = QSL_NO_LOCATION;
		s->cookie = 7;
		s->end_code = -1;
		s->cpureg_add = 1;
		s->split = s->ram_hole = QSL_NO_LOCATION;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_TICK_MS:
		qvm_parse_num(arg, QPNF_NONE, &v);
		s->period_ns = v * MS;
		break;
	case VDEV_CTRL_GEN_FDT: {
		/* arm64: a node where the guests look for the trace register, which it stands in for */
		int parent = (int)(uintptr_t)arg;
		int node = gfdt_update_node(parent, "sdktest", vdp->v_block.location);
		if (node >= 0) {
			gfdt_update_prop_strings(node, "compatible", "qvm,sdktest", "qvm,trace", NULL);
			gfdt_update_reg(parent, node, vdp->v_block.location, vdp->v_block.length);
		}
		break;
	}
	case VDEV_CTRL_GUEST_STARTING:
		if (s->period_ns)
			guest_timer_notify(s->periodic, NULL, s->period_ns);
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_END_WITH:
		if (strcmp(arg, "vrs-terminate") == 0)
			s->end_vrs = 1;
		else if (qvm_parse_num(arg, QPNF_NONE, &v) && v < 1000)
			s->end_code = (int)v;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_IOPORT:
		qvm_parse_num(arg, QPNF_NONE, &s->region);
		s->region_space = QST_X86_IO;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_MMIO:
		qvm_parse_num(arg, QPNF_NONE, &s->region);
		s->region_space = QST_MEMORY;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_SPLIT:
		qvm_parse_num(arg, QPNF_NONE, &s->split);
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_RAM_HOLE:
		qvm_parse_num(arg, QPNF_NONE, &s->ram_hole);
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_TRAP_INSTR: {
		int r = guest_instr_register(vdp, GIT_X86_CPUID | GIT_FLAG_NO_QUALIFIER, 0, sdk_instr);
		vdev_logf(QL_QVM_INFO, vdp, "sdktest: guest_instr_register: %s", strerror(r));
		break;
	}
	case VDEV_CTRL_FIRST_OPTIDX + OPT_POWER_WATCH:
		s->power = guest_power_state_notify_create();
		if (!s->power)
			qvm_fatal(QLS_QVM, "sdktest: guest_power_state_notify_create: %s", strerror(errno));
		guest_power_state_notify_register(s->power, GPSC_TO | GPSC_WAIT | GPSC_OFF, 0, 2, 2,
				sdk_power, s);
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_COOKIE:
		qvm_parse_num(arg, QPNF_NONE, &s->cookie);
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_INIT:
		qvm_parse_num(arg, QPNF_ALLOW_SUFFIXES, &v);
		s->scratch = (uint32_t)v;
		break;
	case VDEV_CTRL_FIRST_OPTIDX + OPT_VIOLATE:
		for (unsigned i = 0; rules[i]; i++)
			if (strcmp(arg, rules[i]) == 0)
				s->violate = (enum violation)i;
		if (s->violate == V_NONE && strcmp(arg, "none") != 0)
			qvm_fatal(QLS_CNF, "sdktest: unknown rule '%s'", arg);
		break;
	case VDEV_CTRL_OPTIONS_END:
		if (vdp->v_block.location == QSL_NO_LOCATION)
			qvm_fatal(QLS_CNF, "sdktest: give it a `loc`");
		s->oneshot = guest_timer_create(NULL, vdp, &s->oneshot, &res);
		s->periodic = guest_timer_create(NULL, vdp, &s->periodic, &res);
		if (!s->oneshot || !s->periodic)
			qvm_fatal(QLS_QVM, "sdktest: guest_timer_create: %s", strerror((int)res));
		if (res != 1000000000u)
			qvm_fatal(QLS_QVM, "sdktest: timer resolution %llu", (unsigned long long)res);
		if (s->region != QSL_NO_LOCATION) {
			struct gasp_region r = space_region(vdp, s->region_space, s->region,
					(uint32_t)s->cookie, GRF_VIRT_RD | GRF_VIRT_WR);
			gasp_region_set(1, &r);
		}
		if (s->split != QSL_NO_LOCATION) {
			/* three pages, then the middle one out again: two regions remain */
			struct gasp_region r[2] = {
				space_region(vdp, QST_MEMORY, s->split, COOKIE_SPLIT, GRF_VIRT_RD),
				space_region(vdp, QST_MEMORY, s->split + PAGE, 0, GRF_NONE),
			};
			r[0].guest.length = 3 * PAGE;
			r[1].guest.length = PAGE;
			gasp_region_set(2, r);
		}
		if (s->ram_hole != QSL_NO_LOCATION) {
			struct gasp_region r = space_region(vdp, QST_MEMORY, s->ram_hole, 0, GRF_NONE);
			r.guest.length = PAGE;
			gasp_region_set(1, &r);
		}
		violate_at_startup(vdp, s);
		break;
	case VDEV_CTRL_GUEST_CONFIGURED: {
		/* made here, off the vCPUs (which may not make timers); armed by PULSE */
		struct sigevent ev;
		vdev_pulse(vdp, SDK_PULSE_CODE, 10, &ev, -1);
		s->pulse_timer_made = timer_create(CLOCK_MONOTONIC, &ev, &s->pulse_timer) == 0;
		if (s->violate == V_REGION_RUNNING) {
			struct gasp_region r = io_region(vdp, 0x530, 1, GRF_VIRT_RD);
			gasp_region_set(1, &r);
		}
		if (s->violate == V_TIMER_RUNNING)
			guest_timer_create(NULL, vdp, NULL, &res);
		const char *dir = vdev_path(vdp);
		char file[512];
		if (dir) {
			snprintf(file, sizeof(file), "%s/alive", dir);
			int fd = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0600);
			s->path_ok = fd >= 0;
			if (fd >= 0)
				close(fd);
		}
		vdev_logf(QL_QVM_DEBUG, vdp, "sdktest: debug message");
		vdev_logf(QL_QVM_INFO, vdp, "sdktest: ready (%s)", dir ? dir : "no path");
		int r = vdev_thread_create(vdp, "sdktest", &s->thread, NULL, counter_thread, vdp);
		if (r)
			qvm_fatal(QLS_QVM, "sdktest: vdev_thread_create: %s", strerror(r));
		s->thread_running = 1;
		break;
	}
	case VDEV_CTRL_TERMINATE:
		guest_power_state_notify_delete(s->power);
		s->power = NULL;
		if (s->pulse_timer_made) {
			timer_delete(s->pulse_timer);
			s->pulse_timer_made = 0;
		}
		if (s->thread_running) {
			pthread_mutex_lock(&vdp->v_mtx);
			s->stop = 1;
			pthread_mutex_unlock(&vdp->v_mtx);
			pthread_join(s->thread, NULL);
			s->thread_running = 0;
		}
		break;
	}
	return 0;
}

static void sdk_timer(vdev_t *vdp, void *data, const struct guest_timer_data *tdp,
		struct guest_cpu *gcp)
{
	struct sdk *s = vdp->v_device;

	(void)gcp;
	s->ticks++;
	if (data == &s->periodic && s->period_ns)
		guest_timer_notify(s->periodic, tdp, s->period_ns);	/* re-arm without drift */
}

/* Run a DMA command on the guest buffer [dma_addr, dma_addr + dma_len). */
static void dma(vdev_t *vdp, struct sdk *s, uint32_t cmd)
{
	uint8_t *p = NULL, buf[256];
	uint64_t pa = s->dma_addr;
	size_t len = (size_t)s->dma_len;
	struct qvm_state_block blk = { .location = s->dma_addr, .length = s->dma_len,
		.qst_type = QST_MEMORY };

	if (len > sizeof(buf))
		return;
	if (cmd == 1) {
		p = gasp_map_contig(vdp, PROT_READ | PROT_WRITE, &pa, &len);
		if (p && len != s->dma_len)
			p = NULL;
	} else if (cmd == 2) {
		p = gasp_map_sys(PROT_READ | PROT_WRITE, s->dma_addr, len);
	} else if (cmd == 3) {
		if (guest_cpu_read(NULL, GXF_NONE, &blk, 1, buf, len) != 0)
			return;
		p = buf;
	} else if (cmd == 4) {
		p = gasp_map_vdma(vdp, s->dma_addr, len, GMF_READ | GMF_WRITE);
	} else if (cmd == 5) {
		gasp_map_handle_t h;
		errno_t err = gasp_map(vdp, s->dma_addr, len, GMF_READ | GMF_WRITE, &h);
		p = gasp_get_vaddr(&h);
		if (err != EOK || !p) {
			vdev_logf(QL_QVM_ERR, vdp, "sdktest: gasp_map: %s", strerror(err));
			return;
		}
		s->dma_sum = 0;
		for (size_t i = 0; i < len; i++) {
			s->dma_sum += p[i];
			if (p[i] >= 'A' && p[i] <= 'Z')
				p[i] = (uint8_t)(p[i] - 'A' + 'a');
		}
		gasp_unmap_handle(&h);
		gasp_unmap_handle(&h);	/* again: nothing, as the vendor says */
		if (gasp_get_vaddr(&h))
			vdev_logf(QL_QVM_ERR, vdp, "sdktest: an unmapped handle still maps");
		return;
	}
	if (!p) {
		vdev_logf(QL_QVM_ERR, vdp, "sdktest: DMA %u at 0x%llx failed: %s", cmd,
				(unsigned long long)s->dma_addr, strerror(errno));
		return;
	}
	s->dma_sum = 0;
	for (size_t i = 0; i < len; i++)
		s->dma_sum += p[i];
	if (cmd == 3) {
		for (size_t i = 0; i < len / 2; i++) {
			uint8_t t = p[i];
			p[i] = p[len - 1 - i];
			p[len - 1 - i] = t;
		}
		guest_cpu_write(NULL, GXF_NONE, &blk, 1, buf, len);
		return;
	}
	for (size_t i = 0; i < len; i++)
		if (p[i] >= 'a' && p[i] <= 'z')
			p[i] = (uint8_t)(p[i] - 'a' + 'A');
	gasp_unmap(p, len, 0);
}

static uint32_t region_is_ram(uint64_t gpa)
{
	struct qvm_state_block blk = { .location = gpa, .length = 1, .qst_type = QST_MEMORY };
	struct gasp_region r;
	int ok;

	gasp_lock(QST_MEMORY);
	ok = gasp_region_info(&blk, &r) == 0 && (r.grf_flags & GRF_MEMORY);
	gasp_unlock(QST_MEMORY);
	return (uint32_t)ok;
}

static vdev_ref_status_t sdk_vread(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	struct sdk *s = vdp->v_device;
	uint32_t v = 0;

	violate_after_start(vdp, s);
	if (s->end_vrs)
		return VRS_TERMINATE;
	if (s->end_code >= 0)
		guest_terminate(s->end_code);
	if (cookie != COOKIE_MAIN) {
		v = 0xc0de0000u | cookie;
	} else {
		switch (vopnd->location - vdp->v_block.location) {
		case R_ID: v = 0x53444b31; break;
		case R_SCRATCH: v = s->scratch; break;
		case R_DMA_SUM: v = s->dma_sum; break;
		case R_TICKS: v = s->ticks; break;
		case R_THREAD: v = s->thread_count; break;
		case R_PATH_OK: v = s->path_ok; break;
		case R_PULSE: v = s->pulses << 8 | s->pulse_code; break;
		case R_REGION: v = region_is_ram(s->dma_addr); break;
		case R_BUSERR: return VRS_BUS_ERROR;
		case R_CPUREG_ERR: v = s->cpureg_err; break;
		case R_PEER_ERR: v = s->peer_err; break;
		case R_RAM_ERR: v = s->ram_err; break;
		case R_RAM_WRITES: v = s->ram_writes; break;
		case R_RAM_LAST: v = s->ram_last; break;
		case R_POWER_NOW: {
			uint64_t set = 0;
			v = guest_power_state_current(GPSC_WAIT | GPSC_OFF, 0, 1, &set) == 1 ?
				(uint32_t)set : 0xdeadu;
			break;
		}
		case R_POWER_SEEN: v = atomic_load(&s->power_seen); break;
		case R_POWER_LAST: v = atomic_load(&s->power_last); break;
		case R_CPUREG: {
			uint64_t reg = 0;
			struct qvm_state_block b = { .location = s->cpureg_off, .length = 8,
				.qst_type = QST_CPUREGS };
			int rr = guest_cpu_read(gcp, GXF_NONE, &b, 1, &reg, sizeof(reg));
			uint64_t next = reg + s->cpureg_add;
			int rw = rr ? 0 : guest_cpu_write(gcp, GXF_NONE, &b, 1, &next, sizeof(next));
			s->cpureg_err = (uint32_t)(rr & 0xff) << 8 | (uint32_t)(rw & 0xff);
			v = (uint32_t)reg;
			break;
		}
		case R_VIRT: {
			struct qvm_state_block b = { .location = s->virt, .length = 4,
				.qst_type = QST_VIRTUAL };
			int r = guest_cpu_read(gcp, GXF_NONE, &b, 1, &v, sizeof(v));
			if (r)
				return guest_cpu_to_vrs(r);
			break;
		}
		case R_PEER: {
			struct qvm_state_block b = { .location = s->peer_addr, .length = 4,
				.qst_type = (qvm_state_types_t)s->peer_space };
			int r = guest_cpu_read(gcp, GXF_NONE, &b, 1, &v, sizeof(v));
			s->peer_err = r > 0 ? (uint32_t)r : 0;
			if (r == -1)
				return guest_cpu_to_vrs(r);
			if (r)
				v = 0xffffffffu;
			break;
		}
		default: return guest_write_all_ones(gcp, GXF_NONE, oopnd) ? VRS_ERRNO + EIO : VRS_NORMAL;
		}
	}
	guest_cpu_write(gcp, GXF_NONE, oopnd, 1, &v, sizeof(v));
	return VRS_NORMAL;
}

static vdev_ref_status_t sdk_vwrite(vdev_t *vdp, unsigned cookie,
		const struct qvm_state_block *vopnd, const struct qvm_state_block *oopnd,
		struct guest_cpu *gcp)
{
	struct sdk *s = vdp->v_device;
	uint32_t v = 0;

	violate_after_start(vdp, s);
	guest_cpu_read(gcp, GXF_NONE, oopnd, 1, &v, sizeof(v));
	if (cookie == COOKIE_RAM) {	/* a write to the read-only RAM page */
		s->ram_writes++;
		s->ram_last = v;
	}
	if (cookie != COOKIE_MAIN)
		return VRS_NORMAL;
	switch (vopnd->location - vdp->v_block.location) {
	case R_SCRATCH: s->scratch = v; break;
	case R_DMA_ADDR: s->dma_addr = v; break;
	case R_DMA_LEN: s->dma_len = v; break;
	case R_DMA_CMD: dma(vdp, s, v); break;
	case R_ONESHOT: guest_timer_notify(s->oneshot, NULL, v * MS); break;
	case R_PERIODIC:
		s->period_ns = v * MS;
		guest_timer_notify(s->periodic, NULL, s->period_ns);	/* 0 cancels */
		break;
	case R_IRQ: guest_intr_signal(&vdp->v_intr, v ? GIS_ON : GIS_OFF); break;
	case R_EXIT: guest_terminate((guest_termination_cause_t)v); break;
	case R_MSI_ADDR: s->msi_addr = v; break;
	case R_MSI: guest_msi_signal(vdp, s->msi_addr, v); break;
	case R_CPUREG_OFF: s->cpureg_off = v; break;
	case R_CPUREG_ADD: s->cpureg_add = v; break;
	case R_VIRT_LO: s->virt = (s->virt & ~0xffffffffull) | v; break;
	case R_VIRT_HI: s->virt = (s->virt & 0xffffffffull) | (uint64_t)v << 32; break;
	case R_VIRT: {
		/* a fault here is delivered by qvm itself; the access completes normally */
		struct qvm_state_block b = { .location = s->virt, .length = 4,
			.qst_type = QST_VIRTUAL, .qst_flags = QSF_REPORT_EXCEPTION };
		guest_cpu_write(gcp, GXF_NONE, &b, 1, &v, sizeof(v));
		break;
	}
	case R_RAM_ADDR: s->ram_addr = v; break;
	case R_BILL: {
		struct timespec ts = { 0, (long)(v < 1000 ? v : 999) * 1000000L };
		guest_clock_start();
		nanosleep(&ts, NULL);
		guest_clock_stop();
		guest_clock_stop();	/* again: nothing */
		break;
	}
	case R_RAM_PERM: {
		static const gasp_region_flags_t perms[] = {
			GRF_NONE, GRF_PASS_RD | GRF_PASS_EX | GRF_VIRT_WR,
			GRF_MEMORY | GRF_PASS_ANY, GRF_VIRT_RD,
		};
		struct gasp_region r = space_region(vdp, QST_MEMORY, s->ram_addr, COOKIE_RAM,
				perms[v & 3]);
		r.guest.length = PAGE;
		gasp_lock(QST_MEMORY);
		s->ram_err = gasp_region_set_soft(1, &r) == 1 ? 0 : (uint32_t)errno;
		gasp_unlock(QST_MEMORY);
		break;
	}
	case R_PEER_ADDR: s->peer_addr = v; break;
	case R_PEER_SPACE: s->peer_space = v; break;
	case R_PEER: {
		struct qvm_state_block b = { .location = s->peer_addr, .length = 4,
			.qst_type = (qvm_state_types_t)s->peer_space };
		int r = guest_cpu_write(gcp, GXF_NONE, &b, 1, &v, sizeof(v));
		s->peer_err = r > 0 ? (uint32_t)r : 0;
		if (r == -1)
			return guest_cpu_to_vrs(r);
		break;
	}
	case R_PULSE: {
		struct itimerspec in = { .it_value = { 0, 10000000 } };
		if (s->pulse_timer_made)
			timer_settime(s->pulse_timer, 0, &in, NULL);
		break;
	}
	case R_SOFT: {
		struct gasp_region r = space_region(vdp, s->region_space, s->region + 0x10,
				(uint32_t)s->cookie + 1, v ? GRF_VIRT_RD : GRF_NONE);
		gasp_lock(s->region_space);
		if (gasp_region_set_soft(1, &r) != 1)
			vdev_logf(QL_QVM_ERR, vdp, "sdktest: gasp_region_set_soft: %s", strerror(errno));
		gasp_unlock(s->region_space);
		break;
	}
	}
	return VRS_NORMAL;
}

/* vdev_pulse()'s event fired (v_mtx held: VFF_MUTEX). */
static int sdk_pulse(vdev_t *vdp, const struct _pulse *pulse)
{
	struct sdk *s = vdp->v_device;

	s->pulses++;
	s->pulse_code = (uint8_t)pulse->code;
	return EOK;
}

static struct vdev_factory sdk_factory = {
	.control = sdk_control,
	.pulse = sdk_pulse,
	.vread = sdk_vread,
	.vwrite = sdk_vwrite,
	.timer = sdk_timer,
	.option_list = sdk_options,
	.factory_flags = VFF_VDEV_MEM | VFF_MUTEX,
	.acc_sizes = 1u << 4,
	.extra_space = sizeof(struct sdk),
	.safety = VDEV_SAFETY_SELECTED,
};

static void __attribute__((constructor)) sdk_register(void)
{
	vdev_register_factory(&sdk_factory, QVM_VDEV_ABI);
}
