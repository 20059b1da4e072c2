/*
 * The configuration processor: option semantics and every configuration
 * error with its exact FILE:LINE message. Needs no KVM (the VM is built
 * in KVM only after the configuration is checked), only the built vdevs
 * (QVM_VDEV_PATH, set from argv[0]).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <qvm/utils.h>

#include "config.h"
#include "test.h"
#include "vdev_impl.h"
#include "vm.h"

static char msg[600];

/* Where a raw image without an address goes: the lowest ram, plus on arm64
 * the offset QEMU's virt machine uses too. */
#define RAW_OFF (TEST_X86 ? 0 : 0x80000)

/* Run text as file t.conf in directory /cfgdir; returns "OK" or the error. */
static struct qvm_vm *run(const char *text, bool check)
{
	struct qvm_tokens t = { 0 };
	struct qvm_vm *vm = NULL;
	struct qerr e;
	int r = vm_create(&vm, &e);

	if (!r)
		r = tokens_add_text(&t, text, strlen(text), "t.conf", "/cfgdir", &e);
	if (!r)
		r = config_run(vm, &t, &e);
	if (!r && check)
		r = vm_check(vm, &e);
	snprintf(msg, sizeof(msg), "%s", r ? e.msg : "OK");
	tokens_free(&t);
	return vm;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *err(const char *text)
{
	vm_destroy(run(text, false));
	return msg;
}

TEST(ram_rom_placement)
{
	struct qvm_vm *vm = run("ram 0x100000,1M ram 2M\nrom 64K\n", false);
	CHECK_STR(msg, "OK");
	CHECK(vm->nmem == 3);
	CHECK_EQ_U64(vm->mem[0].gpa, 0x100000);
	CHECK_EQ_U64(vm->mem[1].gpa, 0x200000);
	CHECK_EQ_U64(vm->mem[1].len, 2 << 20);
	CHECK_EQ_U64(vm->mem[2].gpa, 0x400000);
	CHECK(vm->mem[2].rom && !vm->mem[1].rom);
	CHECK(vm_gpa_to_hva(vm, 0x1fffff, 1) != NULL);
	CHECK(vm_gpa_to_hva(vm, 0x1fffff, 2) == NULL);	/* adjacent ranges are separate blocks */
	CHECK(vm_gpa_to_hva(vm, 0x3fffff, 2) == NULL);
	CHECK(vm_gpa_to_hva(vm, 0x410000, 1) == NULL);
	vm_destroy(vm);
}

TEST(cpus_and_contexts)
{
	struct qvm_vm *vm = run("system demo cpu cpu runmask 0 sched 10r cpu sched 5f\n"
			"ram 1M cpu sched 7o\n", false);
	CHECK_STR(msg, "OK");
	CHECK_STR(vm->system, "demo");
	CHECK(vm->ncpus == 4);
	CHECK(!vm->cpu_cfg[0].has_runmask && !vm->cpu_cfg[0].has_sched);
	CHECK(vm->cpu_cfg[1].has_runmask && CPU_ISSET(0, &vm->cpu_cfg[1].runmask));
	CHECK(vm->cpu_cfg[1].policy == SCHED_RR && vm->cpu_cfg[1].prio == 10);
	CHECK(vm->cpu_cfg[2].policy == SCHED_FIFO && vm->cpu_cfg[2].prio == 5);
	/* `ram` did not close the cpu context; o is the vendor's "equivalent to r" */
	CHECK(vm->cpu_cfg[3].policy == SCHED_RR && vm->cpu_cfg[3].prio == 7);
	vm_destroy(vm);
	vm = run("cpu sched 30,12,4,2000000,500000s partition fast cluster big cpu sched 9\n", false);
	CHECK_STR(msg, "OK");
	CHECK(vm->ncpus == 2 && vm->cpu_cfg[0].sporadic && vm->cpu_cfg[0].prio == 12);
	CHECK(vm->cpu_cfg[0].spor.high == 30 && vm->cpu_cfg[0].spor.budget_ns == 500000);
	CHECK(!vm->cpu_cfg[1].sporadic && vm->cpu_cfg[1].prio == 9);
	vm_destroy(vm);
}

TEST(globals)
{
	struct qvm_vm *vm = run("logger debug,verbose stdout logger info none\n"
			"unsupported reference abort unsupported instruction ignore\n"
			"set quit-on-halt yes set fdt-dump-file out.dtb cmdline \"a b\" dryrun", false);
	CHECK_STR(msg, "OK");
	CHECK(vm->log.dest[QLL_DEBUG] == LOG_STDOUT && vm->log.dest[QLL_VERBOSE] == LOG_STDOUT);
	CHECK(vm->log.dest[QLL_INFO] == LOG_NONE && vm->log.dest[QLL_ERR] == LOG_STDERR);
	CHECK(vm->unsupp[UNSUPP_REFERENCE] == UNSUPP_ABORT);
	CHECK(vm->unsupp[UNSUPP_INSTRUCTION] == UNSUPP_IGNORE);
	CHECK(vm->unsupp[UNSUPP_REGISTER] == UNSUPP_FAIL);
	CHECK(vm->quit_on_halt && vm->dryrun);
	CHECK(vm->halt_exits);	/* the vendor's exit-on-halt defaults to on */
	CHECK_STR(vm->fdt_dump_file, "/cfgdir/out.dtb");	/* relative to the file's directory */
	CHECK_STR(vm->cmdline, "a b");
	vm_destroy(vm);
}

/* A bare loc stays in the vdev's own default space; mem:/io: override it. */
/* the vendor's exit-on-halt and qvm's quit-on-halt are separate switches */
TEST(exit_on_halt_vs_quit_on_halt)
{
	struct qvm_vm *vm = run("set exit-on-halt off\n", false);
	CHECK_STR(msg, "OK");
	CHECK(!vm->halt_exits && !vm->quit_on_halt);
	vm_destroy(vm);
	vm = run("set exit-on-halt off set exit-on-halt yes set quit-on-halt on\n", false);
	CHECK_STR(msg, "OK");
	CHECK(vm->halt_exits && vm->quit_on_halt);
	vm_destroy(vm);
}

/* the vendor's variables: checked, applied or (where KVM cannot) warned about */
TEST(vendor_set_variables)
{
	struct qvm_vm *vm = run("set counter-offset 0x1000 set ? vdev trace loc 0x1000 set debug off\n", false);
	CHECK_STR(msg, "OK");
	CHECK(vm->counter_offset == 0x1000 && vm->list_set_vars);
	CHECK(vm->vdevs && vm->vdevs->no_status);
	vm_destroy(vm);
	vm = run("ram 1M\n", false);
	CHECK(vm->counter_offset == ~0ull && !vm->list_set_vars && !vm->legacy_free);
	vm_destroy(vm);
	CHECK_STR(err("set debug off\n"), "t.conf:1: set debug: a vdev's variable: give it after "
			"`vdev NAME`");
	CHECK_STR(err("set message-block-timeout 4\n"), "t.conf:1: set message-block-timeout: 4 ms: "
			"give 5 to 10000, or 0 for no limit");
	CHECK_STR(err("set counter-offset soon\n"), "t.conf:1: set counter-offset: 'soon' is not a "
			"number");
	CHECK_STR(err("set grow-heap lots\n"), "t.conf:1: set grow-heap: 'lots' is not a size "
			"(e.g. 4K, 0x1000)");
	CHECK_STR(err("set\n"), "t.conf:1: option 'set' needs an argument");
	if (TEST_X86) {
		vm = run("set legacy-free yes\n", false);
		CHECK(vm->legacy_free);
		vm_destroy(vm);
		CHECK_STR(err("set gic-hwassist on\n"), "t.conf:1: set gic-hwassist: a variable of "
				"aarch64 guests (this qvm runs x86_64 guests)");
	} else {
		CHECK_STR(err("set legacy-free on\n"), "t.conf:1: set legacy-free: a variable of "
				"x86_64 guests (this qvm runs aarch64 guests)");
	}
}

/* the vendor's common options: names with ':' (not for a PIC), the PCI location forms */
TEST(vendor_common_options)
{
	struct qvm_vm *vm = run("vdev trace loc 0xfa000000 name net:eth0\n", false);
	CHECK_STR(msg, "OK");
	CHECK(vm->vdevs && strcmp(vm->vdevs->name, "net:eth0") == 0);
	vm_destroy(vm);
	const char *pic = TEST_X86 ? "ioapic" : "gic";
	char text[200], want[300];
	snprintf(text, sizeof(text), "vdev %s name my:pic\n", pic);
	snprintf(want, sizeof(want), "t.conf:1: vdev %s: name 'my:pic': an interrupt controller's "
			"name cannot have a ':' (`intr NAME:N` would not reach it)", pic);
	CHECK_STR(err(text), want);
	CHECK_STR(err("vdev trace loc 0xfa000000 hostvector 4\n"), "t.conf:1: vdev trace: "
			"hostvector applies only to interrupt controllers (PIC vdevs)");
	static const char *const good[] = { "pci:0:1", "pci:0:31.7", "pci:255:0.0",
			"pci:0x8086/0x1234" };
	static const char *const bad[] = { "pci:0:32", "pci:0:1.8", "pci:256:0", "pci:0x10000/1",
			"pci:", "pci:0", "pci:0:1.", "pci:1/", "pci:0:1x" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "vdev trace loc %s\n", good[i]);
		snprintf(want, sizeof(want), "t.conf:1: vdev trace: loc '%s': this qvm has no PCI bus "
				"yet (give a mem: or io: location)", good[i]);
		CHECK_STR(err(text), want);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "vdev trace loc %s\n", bad[i]);
		snprintf(want, sizeof(want), "t.conf:1: vdev trace: loc '%s': expected "
				"pci:VENDOR/DEVICE (16-bit IDs) or pci:BUS:DEVICE[.FUNCTION] (bus 0-255, "
				"device 0-31, function 0-7)", bad[i]);
		CHECK_STR(err(text), want);
	}
}

/* reserve and pass contexts: what they record (their effects: tests/vendor.sh) */
TEST(reserve_and_pass)
{
	char text[300];
	snprintf(text, sizeof(text), "reserve loc 0xa0000,0x20000 loc mem:0x5000000,1M intr %u\n"
			"data pass loc 0x10000000,0x2000,+rw-w=/dev/zero\n"
			"pass loc mem:0x20000000\n", TEST_X86 ? 20 : 40);
	struct qvm_vm *vm = run(text, false);
	CHECK_STR(msg, "OK");
	CHECK(vm->nresv == 2 && vm->resv[0].base == 0xa0000 && vm->resv[0].len == 0x20000);
	CHECK(vm->resv[1].space == REGION_MEM && vm->resv[1].len == 0x100000);
	CHECK(vm->nresv_intr == 1 && vm->resv_intr[0].param == (TEST_X86 ? 20u : 40u));
	CHECK(vm->npass == 2 && vm->pass[0].flags == PASS_R && !vm->pass[0].host_phys);
	CHECK(vm->pass[0].path && strcmp(vm->pass[0].path, "/dev/zero") == 0);
	/* no flags: read-write; no host: the same host-physical address */
	CHECK(vm->pass[1].flags == (PASS_R | PASS_W) && vm->pass[1].host_phys &&
			vm->pass[1].host == 0x20000000 && vm->pass[1].len == 0x1000);
	CHECK(reserve_overlap(vm, REGION_MEM, 0xbffff, 1) && !reserve_overlap(vm, REGION_MEM, 0xc0000, 1));
	vm_destroy(vm);
	CHECK_STR(err("reserve loc 0xa0000\n"), "t.conf:1: reserve loc '0xa0000': expected [mem:]ADDR,LEN "
			"(a memory range needs its length)");
	CHECK_STR(err("pass intr 5\n"), "t.conf:1: pass intr '5': a host interrupt reaches a process "
			"on Linux only through UIO or VFIO: give the UIO device, PIC:N=/dev/uioN");
	snprintf(text, sizeof(text), "pass intr %s:%u,u=/dev/uio0\n", TEST_X86 ? "ioapic" : "gic",
			TEST_X86 ? 5 : 40);
	vm = run(text, false);
	CHECK_STR(msg, "OK");
	CHECK(vm->npass_intr == 1 && strcmp(vm->pass_intr[0].path, "/dev/uio0") == 0);
	vm_destroy(vm);
}

TEST(loc_spaces)
{
	struct qvm_vm *vm = run("vdev ser8250 loc 0x2f8\nvdev ser8250 loc mem:0xfb000000\n"
			"vdev ser8250 sched 10f\n", false);
	CHECK_STR(msg, "OK");
	struct qvm_vdev *a = vm->vdevs, *b = a ? a->next : NULL, *c = b ? b->next : NULL;
	CHECK(a && a->pub.v_block.qst_type == QST_X86_IO && a->pub.v_block.location == 0x2f8);
	CHECK(b && b->pub.v_block.qst_type == QST_MEMORY && b->pub.v_block.location == 0xfb000000);
	CHECK(c && c->pub.v_block.location == 0x3f8 && c->pub.v_sched.priority == 10 &&
			c->pub.v_sched.policy == SCHED_FIFO);
	vm_destroy(vm);
}

/* A repeated `loc` in one vdev context: the last one wins, and only it is mapped. */
TEST(repeated_loc_last_wins)
{
	struct qvm_vm *vm = run(TEST_X86 ? "ram 1M\nvdev trace loc 0xfa000000 loc 0xfb000000\n"
			"vdev ser8250 loc io:0x2f8 loc mem:0xfc000000\n"
			"vdev trace loc 0xfa000000 name again\n" :
			"ram 1M\nvdev trace loc 0xfa000000 loc 0xfb000000\n"
			"vdev ser8250 loc mem:0xfd000000 loc mem:0xfc000000\n"
			"vdev trace loc 0xfa000000 name again\n", false);	/* the first address is free */
	CHECK_STR(msg, "OK");
	struct qerr e;
	CHECK(vdevs_assign(vm, &e) == 0);	/* maps each vdev at its loc */
	struct qvm_vdev *a = vm->vdevs, *b = a ? a->next : NULL;
	CHECK(a && a->pub.v_block.location == 0xfb000000 && a->pub.v_block.qst_type == QST_MEMORY);
	CHECK(b && b->pub.v_block.location == 0xfc000000 && b->pub.v_block.qst_type == QST_MEMORY);
	const struct qvm_region *r = region_find_overlap(&vm->regions, REGION_MEM, 0xfb000000, 4);
	CHECK(r && r->vdev == a);
	r = region_find_overlap(&vm->regions, REGION_MEM, 0xfa000000, 4);
	CHECK(r && r->vdev != a && a && r->vdev == a->next->next);
	CHECK(region_find_overlap(&vm->regions, REGION_IO, 0x2f8, 1) == NULL);
	vm_destroy(vm);
}

/* A vdev's `log` overrides only the severities it names. */
TEST(vdev_log_inherits)
{
	struct qvm_vm *vm = run("vdev trace loc 0x1000 log debug,warning stdout\nlogger info none\n",
			false);
	CHECK_STR(msg, "OK");
	struct qvm_vdev *d = vm->vdevs;
	CHECK(d && d->has_log && d->log.dest[QLL_DEBUG] == LOG_STDOUT);
	CHECK(d && d->log.dest[QLL_WARN] == LOG_STDOUT);	/* the vendor's spelling of warn */
	CHECK(d && d->log.dest[QLL_INFO] == LOG_INHERIT);	/* follows the later `logger` */
	vm_destroy(vm);
}

/* `intr PIC:N` against the VM's built-in controllers, and qvm_parse_intr(): x86 */
TEST(interrupts_x86)
{
	struct qvm_vm *vm = run("ram 1M\n", false);
	guest_intr_t in = { 0 };
	struct qerr e;
	const char *end;

	CHECK(intr_parse(vm, "ioapic:23", &in, &end, &e) == 0 && in.param == 23 && !*end);
	CHECK(in.pic && strcmp(vdev_name(in.pic), "ioapic") == 0);
	CHECK(intr_parse(vm, "8259:0x3", &in, &end, &e) == 0 && in.param == 3);
	CHECK(in.pic && strcmp(vdev_name(in.pic), "8259") == 0);
	CHECK(intr_parse(vm, "ioapic:24", &in, &end, &e) == -ERANGE);
	CHECK_STR(e.msg, "ioapic has lines 0 to 23");
	CHECK(intr_parse(vm, "8259:16", &in, &end, &e) == -ERANGE);
	CHECK(intr_parse(vm, "gic:3", &in, &end, &e) == -EINVAL);
	CHECK_STR(e.msg, "no interrupt controller 'gic' (this VM has ioapic, 8259)");
	CHECK(intr_parse(vm, "ioapic", &in, &end, &e) == -EINVAL);
	CHECK(intr_parse(vm, "ioapic:x", &in, &end, &e) == -EINVAL);
	vm_set_current(vm);
	guest_intr_t api = { 0 };
	CHECK(qvm_parse_intr("ioapic:10", &api) && api.param == 10);
	CHECK(api.pic && strcmp(vdev_name(api.pic), "ioapic") == 0);
	errno = 0;
	CHECK(qvm_parse_intr("pic:1", &api) == NULL && errno == EINVAL);
	vm_set_current(NULL);
	vm_destroy(vm);
}

/* The same against arm64's GIC: SPIs, as the vendor numbers them (32 up). */
TEST(interrupts_gic)
{
	struct qvm_vm *vm = run("ram 1M\n", false);
	guest_intr_t in = { 0 };
	struct qerr e;
	const char *end;

	CHECK(intr_parse(vm, "gic:37", &in, &end, &e) == 0 && in.param == 37 && !*end);
	CHECK(in.pic && strcmp(vdev_name(in.pic), "gic") == 0);
	CHECK(intr_parse(vm, "gic:991", &in, &end, &e) == 0 && in.param == 991);
	CHECK(intr_parse(vm, "gic:31", &in, &end, &e) == -ERANGE);
	CHECK_STR(e.msg, "gic has lines 32 to 991 (the ones below are private to each vCPU)");
	CHECK(intr_parse(vm, "gic:992", &in, &end, &e) == -ERANGE);
	CHECK(intr_parse(vm, "ioapic:3", &in, &end, &e) == -EINVAL);
	CHECK_STR(e.msg, "no interrupt controller 'ioapic' (this VM has gic)");
	CHECK(intr_parse(vm, "gic:x", &in, &end, &e) == -EINVAL);
	vm_set_current(vm);
	guest_intr_t api = { 0 };
	CHECK(qvm_parse_intr("gic:40", &api) && api.param == 40);
	CHECK(api.pic && strcmp(vdev_name(api.pic), "gic") == 0);
	vm_set_current(NULL);
	vm_destroy(vm);
}

/* A raw image without an address goes to the lowest ram, never a rom. */
TEST(raw_load_skips_rom)
{
	char path[] = "/tmp/qvm-test-XXXXXX", text[256];
	int fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, "\xf4", 1) == 1);
	close(fd);
	snprintf(text, sizeof(text), "rom 0,64K ram 0x100000,1M ram 0x80000,64K load %s\n", path);
	struct qvm_vm *vm = run(text, true);
	CHECK_STR(msg, "OK");
	CHECK(vm->boot.have_entry && vm->boot.entry == 0x80000 + RAW_OFF);
	vm_destroy(vm);
	/* Loads are carried out once the configuration is complete: the final layout counts. */
	snprintf(text, sizeof(text), "ram 0x100000,1M load %s ram 0x80000,64K\n", path);
	vm = run(text, false);
	CHECK_STR(msg, "OK");
	CHECK(!vm->boot.have_entry && vm->nloads == 1);	/* planned, not yet loaded */
	struct qerr e;
	CHECK(vm_check(vm, &e) == 0 && vm->boot.have_entry && vm->boot.entry == 0x80000 + RAW_OFF);
	CHECK(*(uint8_t *)vm_gpa_to_hva(vm, 0x80000 + RAW_OFF, 1) == 0xf4);
	vm_destroy(vm);
	snprintf(text, sizeof(text), "rom 0,64K load %s\n", path);
	vm_destroy(run(text, false));
	snprintf(text, sizeof(text), "t.conf:1: '%s': no ram to load it into (give `ram` first)", path);
	CHECK_STR(msg, text);
	unlink(path);
}

TEST(vdev_context_and_names)
{
	char text[300];
	/* the last one in x86 I/O space where there is one */
	snprintf(text, sizeof(text), "vdev trace loc 0xfa000000 ram 1M emit-logger\n"
			"vdev trace loc mem:0xfa001000 name second\n"
			"vdev trace loc 0xfa002000\n"
			"vdev ser8250 loc %s\n", TEST_X86 ? "io:0x2f8" : "mem:0x2f8");
	struct qvm_vm *vm = run(text, false);
	CHECK_STR(msg, "OK");
	struct qvm_vdev *d = vm->vdevs;
	CHECK(d && strcmp(d->name, "trace") == 0);
	CHECK(d && d->pub.v_block.location == 0xfa000000 && d->pub.v_block.qst_type == QST_MEMORY);
	CHECK(vm->nmem == 1);	/* `ram` inside the vdev context is still a global option */
	d = d ? d->next : NULL;
	CHECK(d && strcmp(d->name, "second") == 0);
	d = d ? d->next : NULL;
	CHECK(d && strcmp(d->name, "trace-2") == 0);	/* "trace-2" is free: the second was renamed */
	d = d ? d->next : NULL;
	CHECK(d && strcmp(d->name, "ser8250") == 0);
	CHECK(d && d->pub.v_block.location == 0x2f8 &&
			d->pub.v_block.qst_type == (TEST_X86 ? QST_X86_IO : QST_MEMORY));
	vm_destroy(vm);
}

/* Automatic names: the lowest free TYPE-N, however names were taken and given back. */
TEST(vdev_auto_names_reuse)
{
	struct qvm_vm *vm = run("ram 1M\n"
			"vdev trace loc 0xfa000000\n"			/* trace */
			"vdev trace loc 0xfa001000 name trace-3\n"	/* trace-2, then trace-3 */
			"vdev trace loc 0xfa002000\n"			/* trace-2 */
			"vdev trace loc 0xfa003000\n"			/* trace-4: trace-3 is taken */
			"vdev trace loc 0xfa004000 name x\n"		/* trace-5, given back */
			"vdev trace loc 0xfa005000\n", false);		/* trace-5 again */
	static const char *const want[] = { "trace", "trace-3", "trace-2", "trace-4", "x", "trace-5" };
	CHECK_STR(msg, "OK");
	struct qvm_vdev *d = vm->vdevs;
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++, d = d ? d->next : NULL)
		CHECK(d && strcmp(d->name, want[i]) == 0);
	vm_destroy(vm);
}

/* The errors named by the first issue, one line each, naming FILE:LINE. */
TEST(errors_required)
{
	CHECK_STR(err("ram 1M\nfrobnicate 3\n"), "t.conf:2: unknown option 'frobnicate'");
	CHECK_STR(err("ram 0,1Q\n"), "t.conf:1: malformed number '1Q'");
	CHECK_STR(err("\n\nram 0x,1M\n"), "t.conf:3: malformed number '0x'");
	CHECK_STR(err("ram 0x10000000000000000\n"), "t.conf:1: number out of range '0x10000000000000000'");
	CHECK_STR(err("ram 0,99999999999G\n"), "t.conf:1: number out of range '99999999999G'");
	CHECK_STR(err("ram 0,16M\nram 0x800000,1M\n"),
			"t.conf:2: ram 0x800000-0x8fffff overlaps ram 0x0-0xffffff");
	CHECK_STR(err("ram 0,16M\nrom 0xfff000,8K\n"),
			"t.conf:2: rom 0xfff000-0x1000fff overlaps ram 0x0-0xffffff");
	vm_destroy(run("ram 0,1M\nload /nonexistent/guest.elf\n", true));	/* loads run at vm_check */
	CHECK_STR(msg, "t.conf:2: cannot read '/nonexistent/guest.elf': No such file or directory");
	vm_destroy(run("ram 0,1M\nload guest.elf\n", true));
	CHECK_STR(msg, "t.conf:2: cannot read '/cfgdir/guest.elf': No such file or directory");
	err("ram 1M\n vdev nosuch\n");
	CHECK(starts(msg, "t.conf:2: unknown vdev 'nosuch': no vdev-nosuch.so in "));
	CHECK_STR(err("vdev trace loc 0x1000\n  bogus\n"),
			"t.conf:2: unknown option 'bogus' (not an option of vdev trace nor a qvm option)");
	CHECK_STR(err("vdev trace loc 0x1000\n emit-trace\n"),
			"t.conf:2: option 'emit-trace' needs an argument");
	CHECK_STR(err("vdev trace loc 0x1000 intr ioapic:5\n"),
			"t.conf:1: vdev trace: option 'intr' is not allowed for this vdev (VFF_INTR_NO)");
}

TEST(errors_more)
{
	CHECK_STR(err("ram 1M\nsystem x\n"), "t.conf:2: 'system' must come before every other option");
	CHECK_STR(err("set bogus 1\n"),
			"t.conf:1: set: unknown variable 'bogus' (`set ?` lists them)");
	CHECK_STR(err("set exit-on-halt sometimes\n"), "t.conf:1: set exit-on-halt: 'sometimes' is "
			"not a boolean (on/off, 1/0, yes/no, true/false)");
	CHECK_STR(err("set quit-on-halt maybe\n"), "t.conf:1: set quit-on-halt: 'maybe' is not a "
			"boolean (on/off, 1/0, yes/no, true/false)");
	CHECK_STR(err("set quit-on-halt\n"), "t.conf:1: option 'set' needs an argument");
	CHECK_STR(err("unsupported weird ignore\n"),
			"t.conf:1: unsupported 'weird': expected instruction, reference or register");
	CHECK_STR(err("unsupported reference explode\n"),
			"t.conf:1: unsupported reference 'explode': expected abort, fail or ignore");
	CHECK_STR(err("logger loud stderr\n"), "t.conf:1: unknown logger filter 'loud' (fatal, "
			"internal, error, warn (or warning), info, debug, verbose)");
	CHECK_STR(err("logger info tty\n"),
			"t.conf:1: unknown logger destination 'tty' (stdout, stderr, slog or none)");
	if (TEST_X86) {
		CHECK_STR(err("vdev trace loc io:0x80\n"), "t.conf:1: vdev trace: loc 'io:0x80': this vdev "
				"cannot be in I/O space (no VFF_VDEV_X86_IO)");
		CHECK_STR(err("vdev ser8250 loc io:0x10000\n"),
				"t.conf:1: vdev ser8250: loc 'io:0x10000': I/O ports go up to 0xffff");
		CHECK_STR(err("ram 0xfee00000,1M\n"),
				"t.conf:1: ram 0xfee00000-0xfeefffff overlaps the in-kernel LAPIC");
	} else {
		CHECK_STR(err("vdev ser8250 loc io:0x3f8\n"), "t.conf:1: vdev ser8250: loc 'io:0x3f8': "
				TEST_ARCH " has no I/O port space (give a memory address, mem:ADDR)");
	}
	CHECK_STR(err("vdev trace loc 0x1000 name trace\nvdev trace loc 0x2000 name trace\n"),
			"t.conf:2: vdev trace-2: name 'trace' is already used by another vdev");
	CHECK_STR(err("cpu sched 200r\n"), "t.conf:1: sched '200r': expected PRIORITY[r|f|o] with "
			"a priority of 1 to 99, or HIGH,LOW,MAX_REPL,PERIOD,BUDGET s");
	err("cpu runmask 5000\n");
	CHECK(starts(msg, "t.conf:1: runmask '5000': host CPU 5000 does not exist (this host has "));
	CHECK_STR(err("ram 0x1001,4K\n"),
			"t.conf:1: ram 0x1001,0x1000: start and length must be multiples of 4K");
	CHECK_STR(err("pass loc io:0x3f8,8\n"), "t.conf:1: pass loc 'io:0x3f8,8': KVM cannot give a "
			"guest the host's I/O ports (a vdev can forward them): not supported");
	CHECK_STR(err("dump /nonexistent\n"), "t.conf:1: dump '/nonexistent': not a writable directory");
	CHECK_STR(err("dump |\n"), "t.conf:1: dump '|': no command after '|'");
	CHECK_STR(err("set power-button-timeout 5000\n"), "t.conf:1: set power-button-timeout: "
			"'5000' is not a number of seconds from 0 to 3600");
	CHECK_STR(err("data 0x1000,x\n"), "t.conf:1: 'data' must be followed by 'load' or 'pass'");
	CHECK_STR(err("vdev ../trace\n"), "t.conf:1: invalid vdev name '../trace'");
	CHECK_STR(err("cpu runmask \"\"\n"), "t.conf:1: runmask '': expected CPU numbers separated by commas");
	CHECK_STR(err("cpu runmask 0,\n"), "t.conf:1: runmask '0,': trailing comma");
	CHECK_STR(err("cpu runmask 0,x\n"), "t.conf:1: runmask '0,x': expected CPU numbers separated by commas");
	CHECK_STR(err("vdev trace loc 0x1000 sched 0\n"), "t.conf:1: vdev trace: sched '0': expected "
			"PRIORITY[r|f|o] with a priority of 1 to 99");
}

/* Errors found once the whole configuration is known (vm_check). */
TEST(errors_at_assign)
{
	char path[] = "/tmp/qvm-test-XXXXXX", text[512];
	int fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, "\xf4", 1) == 1);	/* a raw image: hlt */
	close(fd);

	snprintf(text, sizeof(text), "ram 0,1M load %s\nvdev trace loc 0x1000\n", path);
	vm_destroy(run(text, true));
	CHECK_STR(msg, "t.conf:2: vdev trace: mem:0x1000 (0x4 bytes) overlaps ram");
	snprintf(text, sizeof(text), "ram 0,1M load %s\nvdev trace loc 0xfa000000\n\n"
			"vdev trace loc 0xfa000002\n", path);
	vm_destroy(run(text, true));
	CHECK_STR(msg, "t.conf:4: vdev trace-2: mem:0xfa000002 (0x4 bytes) overlaps trace");
	if (TEST_X86) {
		snprintf(text, sizeof(text), "ram 0,1M load %s\nvdev trace loc 0xfee00000\n", path);
		vm_destroy(run(text, true));
		CHECK_STR(msg, "t.conf:2: vdev trace: mem:0xfee00000 (0x4 bytes) overlaps the in-kernel LAPIC");
	} else {
		snprintf(text, sizeof(text), "ram 0,1M load %s\nvdev trace loc 0x8000000\n", path);
		vm_destroy(run(text, true));
		CHECK(starts(msg, "t.conf:2: vdev trace: mem:0x8000000 (0x4 bytes) overlaps gic distributor"));
	}
	snprintf(text, sizeof(text), "ram 0,1M load 0x200000,%s\n", path);
	vm_destroy(run(text, true));
	snprintf(text, sizeof(text), "t.conf:1: '%s' (1 bytes) does not fit in ram/rom at 0x200000", path);
	CHECK_STR(msg, text);
	vm_destroy(run("ram 1M\n", true));
	CHECK_STR(msg, "qvm: nothing to run: no `load` of an executable image");
	snprintf(text, sizeof(text), "load %s\n", path);
	vm_destroy(run(text, true));
	snprintf(text, sizeof(text), "t.conf:1: '%s': no ram to load it into (give `ram` first)", path);
	CHECK_STR(msg, text);

	snprintf(text, sizeof(text), "ram 0,1M load %s\nvdev trace loc 0xfa000000\n", path);
	struct qvm_vm *vm = run(text, true);
	CHECK_STR(msg, "OK");
	CHECK(vm->boot.have_entry && vm->boot.entry == RAW_OFF && vm->ncpus == 1);
	vm_destroy(vm);
	unlink(path);
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX], *copy = strdup(argv[0]);

	(void)argc;
	/* The vdevs are in build/, one up from build/tests/. */
	snprintf(dir, sizeof(dir), "%s/..", dirname(copy));
	char *abs = realpath(dir, NULL);	/* a relative search path entry is refused */
	setenv("QVM_VDEV_PATH", abs ? abs : dir, 1);
	free(abs);
	free(copy);

	RUN(ram_rom_placement);
	RUN(cpus_and_contexts);
	RUN(globals);
	RUN(exit_on_halt_vs_quit_on_halt);
	RUN(vendor_set_variables);
	RUN(vendor_common_options);
	RUN(reserve_and_pass);
	RUN(vdev_context_and_names);
	RUN(vdev_auto_names_reuse);
	RUN(loc_spaces);
	RUN(repeated_loc_last_wins);
	RUN(vdev_log_inherits);
	RUN(raw_load_skips_rom);
	RUN_IF(TEST_X86, interrupts_x86, "no IOAPIC or 8259 on this architecture");
	RUN_IF(!TEST_X86, interrupts_gic, "no GIC on this architecture");
	RUN(errors_required);
	RUN(errors_more);
	RUN(errors_at_assign);
	TEST_EXIT();
}
