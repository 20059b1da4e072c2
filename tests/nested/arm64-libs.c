/*
 * arm64-libs: checks that a dynamically linked aarch64 program, built as qvm
 * will be (against Debian's arm64 libcap-ng, libseccomp and libfdt from
 * tools/arm64-kit.sh's sysroot), runs in the emulated arm64 machine's
 * initramfs with the loader and libraries it carries, and that dlopen()
 * works there (qvm loads its vdevs so). Prints "libs ..." lines and
 * "libs ok"; exit 1 on the first thing that does not hold.
 */
#include <cap-ng.h>
#include <dlfcn.h>
#include <libfdt.h>
#include <seccomp.h>
#include <stdio.h>

int main(void)
{
	const struct scmp_version *v = seccomp_version();
	char fdt[256];

	if (!v) {
		printf("libs FAILED: seccomp_version\n");
		return 1;
	}
	printf("libs seccomp %u.%u.%u\n", v->major, v->minor, v->micro);
	if (capng_get_caps_process() < 0) {
		printf("libs FAILED: capng_get_caps_process\n");
		return 1;
	}
	printf("libs caps %s\n", capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_FULL ? "full" : "partial");
	if (fdt_create_empty_tree(fdt, sizeof(fdt)) || fdt_check_header(fdt)) {
		printf("libs FAILED: libfdt cannot make an empty tree\n");
		return 1;
	}
	printf("libs fdt %u bytes\n", fdt_totalsize(fdt));
	void *h = dlopen("libfdt.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h || !dlsym(h, "fdt_check_header")) {
		printf("libs FAILED: dlopen: %s\n", dlerror());
		return 1;
	}
	dlclose(h);
	printf("libs ok\n");
	return 0;
}
