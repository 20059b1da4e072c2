/*
 * trace-read - the Linux test guest's program: reads qvm's trace register
 * from user space, through /dev/mem, on every online CPU in turn.
 *
 *   trace-read ADDR [READINGS]
 *
 * ADDR is the register's physical address (the init script finds it in
 * the QVM0001 device the DSDT describes). For each CPU it runs on that CPU
 * (sched_setaffinity) and prints READINGS (default 3) values, one line
 * each: "trace cpu N: VALUE", then "trace: N cpus read". Exit 0, or 1 with
 * a message on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: trace-read ADDR [READINGS]\n");
		return 1;
	}
	uint64_t addr = strtoull(argv[1], NULL, 0);
	int readings = argc > 2 ? atoi(argv[2]) : 3;
	long page = sysconf(_SC_PAGESIZE);
	int fd = open("/dev/mem", O_RDONLY | O_SYNC);
	if (fd < 0) {
		fprintf(stderr, "trace-read: /dev/mem: %s\n", strerror(errno));
		return 1;
	}
	uint64_t base = addr & ~(uint64_t)(page - 1);
	volatile uint8_t *map = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd, (off_t)base);
	if (map == MAP_FAILED) {
		fprintf(stderr, "trace-read: mmap 0x%" PRIx64 ": %s\n", base, strerror(errno));
		return 1;
	}
	volatile uint32_t *reg = (volatile uint32_t *)(map + (addr - base));
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN), done = 0;
	for (long cpu = 0; cpu < ncpus; cpu++) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET((int)cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0) {
			fprintf(stderr, "trace-read: cpu %ld: %s\n", cpu, strerror(errno));
			return 1;
		}
		for (int i = 0; i < readings; i++) {
			printf("trace cpu %d: %" PRIu32 "\n", sched_getcpu(), *reg);
			fflush(stdout);
			if (i + 1 < readings)
				usleep(300000);
		}
		done++;
	}
	printf("trace: %ld cpus read\n", done);
	return 0;
}
