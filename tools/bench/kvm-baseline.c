/*
 * kvm-baseline: the floor qvm's trap-to-vread latency is held against.
 *
 *   kvm-baseline GUEST.elf PARAMS.bin RESULTS.bin
 *
 * The smallest VMM that runs the benchmark guest: one VM with the same
 * in-kernel irqchip, one vCPU, the same image, the same long-mode entry
 * state (arch/x86/longmode.c) and CPUID as qvm. Its exit loop answers the
 * benchmark's accesses inline (tools/bench/bench-abi.h): no configuration,
 * no region lookup, no vdev, no lock. It exits 0 once the guest has handed
 * over its results, 1 on any error.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench-abi.h"
#include "elf_load.h"
#include "longmode.h"

#define RAM_SIZE	(16u << 20)
#define BOOT_GPA	0xfebf0000ull	/* where qvm puts it for this guest too */
#define CPUID_MAX	256

static uint8_t *ram;
static uint32_t scratch_port;

static void die(const char *what)
{
	fprintf(stderr, "kvm-baseline: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *ram_dest(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	return gpa < RAM_SIZE && len <= RAM_SIZE - gpa ? ram + gpa : NULL;
}

static uint8_t *read_file(const char *path, size_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	uint8_t *buf;

	if (fd < 0 || fstat(fd, &st) < 0)
		die(path);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf || read(fd, buf, (size_t)st.st_size) != st.st_size)
		die(path);
	close(fd);
	*size = (size_t)st.st_size;
	return buf;
}

static void slot(int vm, unsigned n, uint64_t gpa, size_t len, void *hva, unsigned flags)
{
	struct kvm_userspace_memory_region r = {
		.slot = n, .flags = flags, .guest_phys_addr = gpa, .memory_size = len,
		.userspace_addr = (uintptr_t)hva,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		die("KVM_SET_USER_MEMORY_REGION");
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The guest is done: copy its results out. */
static void finish(uint64_t gpa, const char *out)
{
	const struct bench_results *r = ram_dest(NULL, gpa, sizeof(*r));
	int fd;

	if (!r || r->magic != BENCH_MAGIC) {
		fprintf(stderr, "kvm-baseline: no results at 0x%llx\n", (unsigned long long)gpa);
		exit(1);
	}
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, r, sizeof(*r)) != (ssize_t)sizeof(*r) || close(fd) < 0)
		die(out);
	exit(0);
}

static void mmio(struct kvm_run *run, const char *out)
{
	uint64_t a = run->mmio.phys_addr, v = 0;

	if (run->mmio.is_write) {
		if (a == BENCH_DEV_GPA + BENCH_REG_DONE) {
			memcpy(&v, run->mmio.data, 8);
			finish(v, out);
		}
		return;	/* the trace register and everything else: dropped */
	}
	if (a == BENCH_TRACE_GPA)
		v = 1;
	else if (a == BENCH_DEV_GPA + BENCH_REG_CLOCK)
		v = now_ns();
	else
		v = ~0ull;	/* nobody's */
	memcpy(run->mmio.data, &v, run->mmio.len);
}

static void pio(struct kvm_run *run)
{
	uint8_t *d = (uint8_t *)run + run->io.data_offset;

	for (uint32_t i = 0; i < run->io.count; i++, d += run->io.size) {
		uint16_t port = run->io.port;
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			if (port == 0x3f8 && write(1, d, 1) < 0)
				die("stdout");
			else if (port == BENCH_PORT)
				scratch_port = *d;
		} else {
			memset(d, 0xff, run->io.size);
			if (port == 0x3fd)
				*d = 0x60;	/* the 8250's transmitter is always empty */
			else if (port == BENCH_PORT)
				*d = (uint8_t)scratch_port;
		}
	}
}

int main(int argc, char **argv)
{
	struct kvm_cpuid2 *cpuid;
	struct kvm_sregs sr;
	struct kvm_regs regs;
	struct kvm_fpu fpu;
	struct qerr e;
	uint64_t entry;
	size_t size;

	if (argc != 4) {
		fprintf(stderr, "usage: kvm-baseline GUEST.elf PARAMS.bin RESULTS.bin\n");
		return 1;
	}
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		die("/dev/kvm");
	int vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
		die("KVM_CREATE_VM");

	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *boot = mmap(NULL, LM_SLOT_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED || boot == MAP_FAILED)
		die("mmap");
	slot(vm, 0, 0, RAM_SIZE, ram, 0);
	lm_build_tables(boot, BOOT_GPA);
	slot(vm, 1, BOOT_GPA, LM_SLOT_SIZE, boot, KVM_MEM_READONLY);
	if (ioctl(vm, KVM_SET_TSS_ADDR, (unsigned long)(BOOT_GPA + LM_TSS)) < 0)
		die("KVM_SET_TSS_ADDR");

	uint8_t *img = read_file(argv[1], &size);
	if (elf64_load(argv[1], img, size, EM_X86_64, "x86_64", ram_dest, NULL, &entry, &e)) {
		fprintf(stderr, "kvm-baseline: %s\n", e.msg);
		return 1;
	}
	free(img);
	uint8_t *params = read_file(argv[2], &size);
	if (!ram_dest(NULL, BENCH_PARAMS_GPA, size))
		die(argv[2]);
	memcpy(ram + BENCH_PARAMS_GPA, params, size);
	free(params);

	int cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (cpu < 0 || run_size <= 0)
		die("KVM_CREATE_VCPU");
	struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	cpuid = calloc(1, sizeof(*cpuid) + CPUID_MAX * sizeof(cpuid->entries[0]));
	cpuid->nent = CPUID_MAX;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0 || ioctl(cpu, KVM_SET_CPUID2, cpuid) < 0)
		die("CPUID");
	free(cpuid);
	if (ioctl(cpu, KVM_GET_SREGS, &sr) < 0)
		die("KVM_GET_SREGS");
	lm_entry_sregs(&sr, BOOT_GPA);
	lm_entry_regs(&regs, entry, 0, 1);
	lm_entry_fpu(&fpu);
	if (ioctl(cpu, KVM_SET_SREGS, &sr) < 0 || ioctl(cpu, KVM_SET_REGS, &regs) < 0 ||
	    ioctl(cpu, KVM_SET_FPU, &fpu) < 0)
		die("entry state");

	for (;;) {
		if (ioctl(cpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			die("KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_MMIO:
			mmio(run, argv[3]);
			break;
		case KVM_EXIT_IO:
			pio(run);
			break;
		default:
			fprintf(stderr, "kvm-baseline: unexpected exit %u\n", run->exit_reason);
			return 1;
		}
	}
}
