/*
 * test_hostile.c - guests that misbehave on purpose (guest-images/x86_64/
 * hostile.c): random MMIO and port accesses at every width on one and on
 * four vCPUs, an invalid instruction, a wiped page table, a write beyond
 * the mapped memory and a jump to where no memory is. Each must end with
 * its documented exit code, never with a crash (also in sanitized builds).
 *
 * The random sequences come from a seed, new each run: a failure names it,
 * and QT_HOSTILE_SEED=N runs that sequence again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "../demo.h"

enum { RANDOM, UD2, PAGETABLE, BEYOND, FETCH };	/* as hostile.c numbers them */

struct params {
	uint32_t magic, mode;
	uint64_t seed, count;
};

static uint64_t seed(void)
{
	const char *s = getenv("QT_HOSTILE_SEED");

	if (s)
		return strtoull(s, NULL, 0);
	return (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
}

/* The hostile guest with its parameters, the console and a trace vdev to hit. */
static struct qt_vm *hostile_vm(const char *name, unsigned mode, uint64_t sd, unsigned ncpus)
{
	struct params p = { 0x4c54534fu, mode, sd, 20000 };
	char path[4096];
	struct qt_vm *vm = qt_vm_new(name);

	snprintf(path, sizeof(path), "%s/%s.params", qt_dir(), name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(&p, sizeof(p), 1, f) != 1 || fclose(f)) {
		qt_fail(__FILE__, __LINE__, "cannot write %s", path);
		return vm;
	}
	qt_conf(vm, "ram 0,16M\n");
	qt_conf(vm, "load 0xf00000,%s\n", path);	/* first: the last load sets the entry */
	qt_guest(vm, "hostile");
	qt_conf(vm, "set quit-on-halt on\n");
	for (unsigned i = 0; i < ncpus; i++)
		qt_conf(vm, "cpu\n");
	qt_console(vm);
	qt_conf(vm, "vdev trace loc %s\n", QT_TRACE_LOC);
	return vm;
}

static void random_run(const char *name, unsigned ncpus)
{
	uint64_t sd = seed();
	struct qt_vm *vm = hostile_vm(name, RANDOM, sd, ncpus);

	if (qt_failed())
		return;
	qt_run(vm, 120);
	QT_ASSERT(qt_rc(vm) == 0, "exit %d with seed %llu (QT_HOSTILE_SEED=%llu runs it again)",
			qt_rc(vm), (unsigned long long)sd, (unsigned long long)sd);
	QT_ASSERT(qt_find_line(vm, "hostile done"), "the guest did not finish (seed %llu)",
			(unsigned long long)sd);
	QT_ASSERT_ERR(vm, "no vdev there (unsupported reference: ignored");
}

QT_TEST(random_accesses_one_vcpu)
{
	random_run("rand1", 1);
}

QT_TEST(random_accesses_four_vcpus)
{
	random_run("rand4", 4);
}

/* Each fault ends in a triple fault (no IDT): exit 96, said so in the log. */
static void fault_run(const char *name, unsigned mode, const char *also)
{
	struct qt_vm *vm = hostile_vm(name, mode, 1, 1);

	if (qt_failed())
		return;
	qt_run(vm, 60);
	QT_ASSERT_RC(vm, 96);
	QT_ASSERT_ERR(vm, "the guest shut down the CPU (triple fault)");
	QT_ASSERT(qt_find_line(vm, "hostile: mode"), "the guest never started");
	QT_ASSERT_NO_OUT(vm, "hostile: survived");
	if (also)
		QT_ASSERT_ERR(vm, also);
}

QT_TEST(invalid_instruction)
{
	fault_run("ud2", UD2, NULL);
}

QT_TEST(page_tables_wiped)
{
	fault_run("pagetable", PAGETABLE, NULL);
}

QT_TEST(write_beyond_mapped_memory)
{
	fault_run("beyond", BEYOND, NULL);
}

QT_TEST(jump_to_no_memory)
{
	fault_run("fetch", FETCH, "the guest ran an instruction KVM cannot emulate");
}
