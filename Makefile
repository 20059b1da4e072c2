# qvm: a KVM-backed userspace hypervisor compatible with the QNX qvm process.
#
#   make            qvm, every vdev and the guest images, under build/
#   make demo       boot the bare-metal trace demo guest
#   make check      unit and integration tests (SANITIZE=address,undefined to sanitize)
#   make install    PREFIX=/usr/local DESTDIR=

ARCH ?= $(shell uname -m)
ifeq ($(ARCH),x86_64)
ARCHDIR := arch/x86
else ifeq ($(ARCH),aarch64)
ARCHDIR := arch/arm64
else
$(error unsupported architecture $(ARCH))
endif

# A cross build for aarch64 from another machine (the port is under way; see
# arch/arm64/README.md): make ARCH=aarch64 ARM64_SYSROOT=DIR, DIR from
# tools/arm64-kit.sh. Its objects go to build-aarch64.
ifneq ($(ARCH),$(shell uname -m))
CROSS ?= $(ARCH)-linux-gnu-
ARM64_SYSROOT ?=
ifneq ($(ARM64_SYSROOT),)
CROSS_FLAGS := -isystem $(ARM64_SYSROOT)/usr/include -L$(ARM64_SYSROOT)/usr/lib/$(ARCH)-linux-gnu \
	-L$(ARM64_SYSROOT)/lib/$(ARCH)-linux-gnu -Wl,-rpath-link,$(ARM64_SYSROOT)/lib/$(ARCH)-linux-gnu
endif
endif
# Sanitized objects go to their own directory: flags are not tracked per object.
B := build$(if $(CROSS),-$(ARCH))$(if $(SANITIZE),-san)
# Guest images are freestanding and never sanitized: one place for every build.
G := build/guest-images
PREFIX ?= /usr/local
VERSION := 0.1
CC := $(CROSS)gcc
# `make V=1` shows the commands.
Q := $(if $(V),,@)

SANITIZE ?=
SANFLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all)

CFLAGS ?= -O2 -g
# A packager's own flags (dpkg-buildflags: fortify, relro) come on top of ours.
EXTRA_CPPFLAGS ?=
LDFLAGS ?=
# snprintf truncation is how we bound messages and paths, not a bug to warn about.
WARN := -Wall -Wextra -Werror -Wno-format-truncation
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(SANFLAGS) $(CFLAGS) $(CROSS_FLAGS)
CPPFLAGS := -Iinclude -Iinclude/qvm/qnx -Icore -I$(ARCHDIR) -DQVM_VERSION=\"$(VERSION)\" \
	-DQVM_VDEV_DIR=\"$(PREFIX)/lib/qvm\" $(EXTRA_CPPFLAGS)

# libcap-ng drops capabilities, libseccomp builds the sandbox (core/privs.c, core/sandbox.c).
CORE_LIBS := -lcap-ng -lseccomp -lfdt -ldl
CORE_SRCS := $(filter-out core/main.c,$(wildcard core/*.c)) $(wildcard $(ARCHDIR)/*.c)
CORE_OBJS := $(CORE_SRCS:%.c=$(B)/obj/%.o)
HEADERS := $(wildcard include/qvm/*.h core/*.h $(ARCHDIR)/*.h)

# vdev/common holds what several vdevs include, not a vdev
VDEVS := $(filter-out common,$(notdir $(wildcard vdev/*)))
VDEV_SOS := $(VDEVS:%=$(B)/vdev-%.so)

GUEST_FLAGS_x86_64 := -mno-red-zone -mno-sse -mno-mmx
# the MMU is off: all data accesses are Device memory, which faults when unaligned
GUEST_FLAGS_aarch64 := -mstrict-align
GUEST_CFLAGS := -std=c11 -O2 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -mgeneral-regs-only $(GUEST_FLAGS_$(ARCH)) \
	-nostdlib -static -no-pie $(WARN) -Wl,--build-id=none \
	-ffunction-sections -Wl,--gc-sections
# Guest images: guest-images/<arch>/ holds the start code, the console and
# the accessors, guest-images/lib/ what every architecture shares. Each image:
# start.S, console.c and the library, plus its own sources (from either).
GARCH := $(ARCH)
GA := guest-images/$(GARCH)
GUEST_LIB := $(GA)/start.S $(GA)/console.c guest-images/lib/print.c guest-images/lib/report.c \
	guest-images/lib/trace-wait.c
# arm64 guests find their devices and vCPUs in the FDT
GUEST_LIB_aarch64 := $(GA)/boot.c guest-images/lib/devtree.c
GUEST_LIB += $(GUEST_LIB_$(ARCH))
# what an image that takes faults or interrupts adds (sdk-test)
GUEST_FAULTS_aarch64 := $(GA)/vectors.S
GUEST_FAULTS_x86_64 := $(GA)/idt.c $(GA)/isr.S
ifneq ($(wildcard $(GA)/start.S),)
GUEST_SRCS_trace-demo := guest-images/lib/trace-demo.c
GUEST_SRCS_access-test := guest-images/lib/access-test.c
GUEST_SRCS_shmem-test := guest-images/lib/shmem-test.c
GUEST_SRCS_sdk-test := guest-images/lib/sdk-test.c $(GA)/sdk-arch.c $(GUEST_FAULTS_$(ARCH))
endif
ifeq ($(ARCH),aarch64)
GUEST_SRCS_wdog-demo := $(GA)/wdog-demo.c
GUEST_SRCS_irq-test := $(GA)/irq-test.c
GUEST_SRCS_fault-test := $(GA)/fault-test.c $(GA)/vectors.S
GUEST_SRCS_bench := guest-images/lib/bench.c $(GA)/bench.c $(GA)/el0.S
endif
ifeq ($(ARCH),x86_64)
GUEST_SRCS_wdog-demo := $(GA)/wdog-demo.c
GUEST_SRCS_bench := guest-images/lib/bench.c $(GA)/bench.c $(GA)/user.S
GUEST_SRCS_hostile := $(GA)/hostile.c
endif
GUESTS := $(patsubst GUEST_SRCS_%,$(G)/$(GARCH)/%.elf,$(filter GUEST_SRCS_%,$(.VARIABLES)))
# The multiboot test kernel (x86): 32-bit code, as an ELF32 image and as a flat
# binary whose header gives the load addresses.
MB := guest-images/x86_64/multiboot
MB_CFLAGS := -m32 -std=c11 -O2 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -mgeneral-regs-only -nostdlib -static -no-pie $(WARN) \
	-Wl,--build-id=none -Wl,-T,$(MB)/multiboot.ld
ifeq ($(ARCH),x86_64)
GUESTS += $(G)/x86_64/multiboot.elf $(G)/x86_64/multiboot-aout.bin
endif

# unit tests: shared ones, then this architecture's code's (tests/unit/ARCH/)
UNIT_SRCS := $(wildcard tests/unit/test_*.c tests/unit/$(GARCH)/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/%)
TEST_VDEVS := $(patsubst tests/vdevs/%.c,$(B)/tests/vdev-%.so,$(wildcard tests/vdevs/*.c)) \
	$(B)/tests/vdev-sdktest.so $(B)/tests/execstack/vdev-forbid.so
# Guest-behaviour tests (tests/guest/harness.h): shared ones, then this arch's.
GUEST_TEST_SRCS := $(wildcard tests/guest/test_*.c tests/guest/$(GARCH)/test_*.c)
GUEST_TEST_BINS := $(GUEST_TEST_SRCS:tests/guest/%.c=$(B)/tests/guest/%)

all: $(B)/qvm $(VDEV_SOS) $(GUESTS)

$(G)/x86_64/multiboot.elf: $(wildcard $(MB)/*)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GUEST   $@")
	$(Q)$(CC) $(MB_CFLAGS) -o $@ $(MB)/start.S $(MB)/multiboot.c

$(G)/x86_64/multiboot-aout.bin: $(wildcard $(MB)/*)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GUEST   $@")
	$(Q)$(CC) $(MB_CFLAGS) -DMB_AOUT_KLUDGE -o $@.elf $(MB)/start.S $(MB)/multiboot.c
	$(Q)objcopy -O binary $@.elf $@

$(B)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BASE_CFLAGS) $(CPPFLAGS) -c $< -o $@

$(B)/libqvmcore.a: $(CORE_OBJS)
	rm -f $@
	ar rcs $@ $^

# The API is exported from the executable for vdev-*.so to bind to.
$(B)/qvm: $(B)/obj/core/main.o $(CORE_OBJS) core/exports.list
	$(CC) $(BASE_CFLAGS) $(LDFLAGS) -Wl,--dynamic-list=core/exports.list -o $@ \
		$(B)/obj/core/main.o $(CORE_OBJS) $(CORE_LIBS)

# (second expansion: the wildcard must see the stem, and match nothing quietly)
.SECONDEXPANSION:
$(B)/vdev-%.so: vdev/%/*.c $$(wildcard vdev/$$*/*.h) $(wildcard include/qvm/*.h vdev/common/*.h)
	@$(if $(Q),echo "  VDEV    $@")
	$(Q)$(CC) $(BASE_CFLAGS) $(EXTRA_CPPFLAGS) $(LDFLAGS) -Iinclude -Ivdev/common -fPIC -shared \
		-o $@ $(filter %.c,$^)

$(G)/$(GARCH)/bench.elf: tools/bench/bench-abi.h

$(G)/$(GARCH)/%.elf: $(wildcard $(GA)/* guest-images/lib/*)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GUEST   $@")
	$(Q)$(CC) $(GUEST_CFLAGS) -I$(GA) -Iguest-images/lib -Wl,-T,$(GA)/guest.ld -o $@ \
		$(GUEST_LIB) $(GUEST_SRCS_$*)

$(B)/tests/%: tests/unit/%.c tests/unit/test.h tests/unit/rig.h $(B)/libqvmcore.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) -Itests/unit -Wl,--dynamic-list=core/exports.list -o $@ $< \
		-Wl,--whole-archive $(B)/libqvmcore.a -Wl,--no-whole-archive $(CORE_LIBS)

$(B)/tests/guest/%: tests/guest/%.c tests/guest/harness.c $(wildcard tests/guest/*.h) \
		tests/guest/$(GARCH)/platform.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Itests/guest -Itests/guest/$(GARCH) -DQT_GUEST_ARCH=\"$(GARCH)\" \
		-o $@ $< tests/guest/harness.c

# The SP805 register model is tested on its own, without qvm.
$(B)/tests/test_sp805: tests/unit/test_sp805.c tests/unit/test.h vdev/wdt-sp805/sp805.c vdev/wdt-sp805/sp805.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Ivdev/wdt-sp805 -Itests/unit -o $@ tests/unit/test_sp805.c vdev/wdt-sp805/sp805.c

# So is the ser8250's 16550 model.
$(B)/tests/test_uart: tests/unit/test_uart.c tests/unit/test.h vdev/ser8250/uart.c vdev/ser8250/uart.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Ivdev/ser8250 -Itests/unit -o $@ tests/unit/test_uart.c vdev/ser8250/uart.c

# And the mc146818's clock.
$(B)/tests/test_rtc: tests/unit/test_rtc.c tests/unit/test.h vdev/mc146818/rtc.c vdev/mc146818/rtc.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Ivdev/mc146818 -Itests/unit -o $@ tests/unit/test_rtc.c vdev/mc146818/rtc.c

# And arm64's page-table walk, on any host.
$(B)/tests/test_pagewalk: tests/unit/test_pagewalk.c tests/unit/test.h arch/arm64/pagewalk.c \
		arch/arm64/pagewalk.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Iarch/arm64 -Itests/unit -o $@ tests/unit/test_pagewalk.c arch/arm64/pagewalk.c

# The benchmark (see docs/benchmark.md): tools built with the core's flags.
TOOLS := $(B)/tools/kvm-baseline $(B)/tools/qvm-bench $(B)/tools/dispatch-bench \
	$(B)/tools/startup-bench

BASELINE_ARCH_x86_64 := $(ARCHDIR)/longmode.c
$(B)/tools/kvm-baseline: tools/bench/kvm-baseline.c tools/bench/baseline-$(ARCH).c tools/bench/baseline.h \
		tools/bench/bench-abi.h core/elf_load.c core/qerr.c $(BASELINE_ARCH_$(ARCH))
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Icore -I$(ARCHDIR) -Itools/bench -o $@ $(filter %.c,$^)

$(B)/tools/qvm-bench: $(wildcard tools/bench/qvm-bench.c tools/bench/report*.c tools/bench/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Itools/bench -o $@ $(filter %.c,$^) -lm

$(B)/tools/dispatch-bench: tools/bench/dispatch-bench.c tests/unit/rig.h $(B)/libqvmcore.a
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CPPFLAGS) -Itests/unit -Wl,--dynamic-list=core/exports.list -o $@ $< \
		-Wl,--whole-archive $(B)/libqvmcore.a -Wl,--no-whole-archive $(CORE_LIBS)

# qvm's start-up time and memory overhead, measured from outside
$(B)/tools/startup-bench: tools/bench/startup-bench.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -o $@ $<

tools: $(TOOLS)

# qvm against the raw-KVM baseline; BENCH_ARGS for tools/bench/qvm-bench options
bench: deps all tools
	$(B)/tools/qvm-bench --qvm $(B)/qvm --baseline $(B)/tools/kvm-baseline --out $(B)/bench $(BENCH_ARGS)
	tools/bench/dispatch-cost.sh $(B)
	$(B)/tools/startup-bench --qvm $(B)/qvm --out $(B)/bench

# vdevs that exist for the tests (found through QVM_VDEV_PATH=$(B)/tests)
$(B)/tests/vdev-%.so: tests/vdevs/%.c $(wildcard include/qvm/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Iinclude -fPIC -shared -o $@ $<

# The same vdev linked with an executable stack, which qvm refuses (tests/privs.sh)
$(B)/tests/execstack/vdev-forbid.so: tests/vdevs/forbid.c $(wildcard include/qvm/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Iinclude -fPIC -shared -Wl,-z,execstack -o $@ $<

# The SDK's example vdev, also built in the tree for the guest tests
$(B)/tests/vdev-sdktest.so: tests/sdk/sdktest.c $(wildcard include/qvm/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -Iinclude -fPIC -shared -o $@ $<

deps:
	@tools/deps.sh

demo: deps all
	$(B)/qvm @guest-images/$(GARCH)/trace-demo.qvmconf

# The watchdog demo: the guest stops kicking its watchdog (x86 wdt-ib700, arm64
# wdt-sp805), qvm exits 4.
demo-wdog: deps all
	$(B)/qvm @guest-images/$(GARCH)/wdog-demo.qvmconf; test $$? -eq 4

unit: $(UNIT_BINS) $(TEST_VDEVS) $(GUEST_TEST_BINS)
# the guest-test programs and their vdevs alone (the arm64 tests cross-build them)
guest-tests: $(TEST_VDEVS) $(GUEST_TEST_BINS)

# Test programs run in parallel: as many as `make -jN` says, else one per CPU.
CHECK_JOBS = $(or $(patsubst -j%,%,$(filter -j%,$(MAKEFLAGS))),$(shell nproc))
# libFuzzer targets (clang): tests/fuzz/NAME.c with the core sources it names.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
# No vdev file is ever found from a fuzz target: QVM_VDEV_DIR names nothing.
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -Icore -Iinclude -I$(ARCHDIR) -DQVM_VERSION=\"$(VERSION)\"  \
	-DQVM_VDEV_DIR=\"/nonexistent/qvm-fuzz\"
FUZZ_SAN := address,undefined
# shared targets, then this architecture's code's (tests/fuzz/ARCH/NAME.c)
FUZZ_TARGETS_x86_64 := x86_64/bzimage x86_64/multiboot x86_64/insn_len
FUZZ_TARGETS := token number elf config parse fdt acpi $(FUZZ_TARGETS_$(ARCH))
FUZZ_SRCS_x86_64/bzimage := arch/x86/bzimage.c core/qerr.c
FUZZ_SRCS_x86_64/insn_len := arch/x86/insn_len.c
FUZZ_SRCS_token := core/token.c core/qerr.c
FUZZ_SRCS_number := core/number.c
FUZZ_SRCS_elf := core/elf_load.c core/qerr.c
# The configuration processor and the SDK parsers need the whole core (but main).
FUZZ_CORE := $(CORE_SRCS:%.c=build/fuzz/obj/%.o)
FUZZ_OBJS_config := $(FUZZ_CORE)
FUZZ_OBJS_parse := $(FUZZ_CORE)
FUZZ_OBJS_fdt := $(FUZZ_CORE)
FUZZ_LIBS_config := $(CORE_LIBS)
FUZZ_LIBS_parse := $(CORE_LIBS)
FUZZ_LIBS_fdt := $(CORE_LIBS)
# acpi_table_check (acpi.c's other functions need the core)
FUZZ_OBJS_acpi := $(FUZZ_CORE)
FUZZ_LIBS_acpi := $(CORE_LIBS)
FUZZ_OBJS_x86_64/multiboot := $(FUZZ_CORE)
FUZZ_LIBS_x86_64/multiboot := $(CORE_LIBS)
FUZZ_BINS := $(FUZZ_TARGETS:%=build/fuzz/%)

build/fuzz/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  FUZZCC  $<")
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c $< -o $@

# (second expansion is on: see the vdev rule)
build/fuzz/%: tests/fuzz/%.c $$(FUZZ_SRCS_$$*) $$(FUZZ_OBJS_$$*) $(HEADERS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(FUZZ_SRCS_$*) \
		$(FUZZ_OBJS_$*) $(FUZZ_LIBS_$*)

fuzz-build: $(FUZZ_BINS)

# Each target for FUZZ_SECONDS, from a corpus seeded with the test configurations
# and the guest images. A crash leaves its input in build/fuzz/.
fuzz: deps $(FUZZ_BINS) $(GUESTS)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p build/fuzz/corpus-$$t && \
		for f in tests/configs/*/*.qvmconf build/guest-images/*/*.elf; do \
			cp $$f build/fuzz/corpus-$$t/$$(echo $$f | tr / _) || exit 1; done && \
		{ [ ! -d tests/fuzz/seeds/$$t ] || cp tests/fuzz/seeds/$$t/* build/fuzz/corpus-$$t/; } && \
		echo "fuzz $$t: $(FUZZ_SECONDS) s" && \
		build/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -artifact_prefix=build/fuzz/ \
			build/fuzz/corpus-$$t >build/fuzz/$$t.log 2>&1 || \
		{ tail -30 build/fuzz/$$t.log; exit 1; }; \
	done

$(B)/tests/exec-pending: tests/tools/exec-pending.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) -o $@ $<

check: deps all tools $(UNIT_BINS) $(TEST_VDEVS) $(GUEST_TEST_BINS) $(B)/tests/exec-pending $(FUZZ_BINS)
	@SANITIZE=$(SANITIZE) JOBS=$(CHECK_JOBS) tests/run.sh $(B)

ABI := $(shell sed -n 's/^\#define QVM_VDEV_ABI[^0-9]*\([0-9]*\)u.*/\1/p' include/qvm/abi.h)

# An installed qvm finds its vdevs in ../lib/qvm beside bin/: any PREFIX works.
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/qvm \
		$(DESTDIR)$(PREFIX)/include/qvm/qnx/x86_64 $(DESTDIR)$(PREFIX)/include/qvm/qnx/aarch64 \
		$(DESTDIR)$(PREFIX)/share/pkgconfig
	install -m 755 $(B)/qvm $(DESTDIR)$(PREFIX)/bin/qvm
	install -m 755 $(VDEV_SOS) $(DESTDIR)$(PREFIX)/lib/qvm/
	install -m 644 include/qvm/*.h $(DESTDIR)$(PREFIX)/include/qvm/
	for a in x86_64 aarch64; do install -m 644 include/qvm/qnx/$$a/context.h \
		$(DESTDIR)$(PREFIX)/include/qvm/qnx/$$a/; done
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@ABI@|$(ABI)|' \
		tools/qvm-vdev.pc.in > $(DESTDIR)$(PREFIX)/share/pkgconfig/qvm-vdev.pc
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/man/man7
	install -m 644 man/qvm.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/qvm.conf.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 man/qvm-vdev.7 $(DESTDIR)$(PREFIX)/share/man/man7/
	install -d $(DESTDIR)$(PREFIX)/share/doc/qvm
	install -m 644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/qvm/
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	sed -e 's|@BINDIR@|$(PREFIX)/bin|' tools/systemd/qvm@.service \
		> $(DESTDIR)$(PREFIX)/lib/systemd/system/qvm@.service

clean:
	rm -rf build build-san build-aarch64 build-aarch64-san

.PHONY: all deps demo demo-wdog unit guest-tests check install clean tools bench fuzz fuzz-build
.SECONDARY:
