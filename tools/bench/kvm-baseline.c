/*
 * kvm-baseline: the floor qvm's trap-to-vread latency is held against.
 *
 *   kvm-baseline GUEST.elf PARAMS.bin RESULTS.bin
 *
 * The smallest VMM that runs the benchmark guest: one VM with the same
 * in-kernel interrupt controller, one vCPU, the same image and entry state
 * as qvm (tools/bench/baseline-ARCH.c: x86 long mode and CPUID, arm64 EL1h
 * with a GICv3). Its exit loop answers the benchmark's accesses inline
 * (tools/bench/bench-abi.h): no configuration, no region lookup, no vdev,
 * no lock. It exits 0 once the guest has handed over its results, 1 on any
 * error.
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

#include "baseline.h"
#include "bench-abi.h"
#include "elf_load.h"

static uint8_t *ram;	/* BENCH_RAM_SIZE bytes at BENCH_RAM_GPA */

_Noreturn void die(const char *what)
{
	fprintf(stderr, "kvm-baseline: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *ram_dest(void *ctx, uint64_t gpa, uint64_t len)
{
	uint64_t off = gpa - BENCH_RAM_GPA;	/* wraps to a huge value below RAM */

	(void)ctx;
	return off < BENCH_RAM_SIZE && len <= BENCH_RAM_SIZE - off ? ram + off : NULL;
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

void slot(int vm, unsigned n, uint64_t gpa, uint64_t len, void *hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = n, .guest_phys_addr = gpa, .memory_size = len,
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

	if (baseline_console(a, run->mmio.is_write, run->mmio.data, &v)) {
		if (!run->mmio.is_write)
			memcpy(run->mmio.data, &v, run->mmio.len);
		return;
	}
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

int main(int argc, char **argv)
{
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
	int vm = ioctl(kvm, KVM_CREATE_VM, baseline_vm_type(kvm));
	if (vm < 0)
		die("KVM_CREATE_VM");

	ram = mmap(NULL, BENCH_RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		die("mmap");
	slot(vm, 0, BENCH_RAM_GPA, BENCH_RAM_SIZE, ram);
	baseline_vm_setup(kvm, vm);

	uint8_t *img = read_file(argv[1], &size);
	if (elf64_load(argv[1], img, size, baseline_elf_machine, baseline_arch_name, ram_dest,
			NULL, &entry, &e)) {
		fprintf(stderr, "kvm-baseline: %s\n", e.msg);
		return 1;
	}
	free(img);
	uint8_t *params = read_file(argv[2], &size);
	uint8_t *dst = ram_dest(NULL, BENCH_PARAMS_GPA, size);
	if (!dst)
		die(argv[2]);
	memcpy(dst, params, size);
	free(params);

	int cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (cpu < 0 || run_size <= 0)
		die("KVM_CREATE_VCPU");
	struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, cpu, 0);
	if (run == MAP_FAILED)
		die("mmap kvm_run");
	baseline_vcpu_setup(kvm, vm, cpu, entry);

	for (;;) {
		if (ioctl(cpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR)
				continue;
			die("KVM_RUN");
		}
		if (run->exit_reason == KVM_EXIT_MMIO) {
			mmio(run, argv[3]);
		} else if (!baseline_exit(run)) {
			fprintf(stderr, "kvm-baseline: unexpected exit %u\n", run->exit_reason);
			return 1;
		}
	}
}
