/*
 * The KVM side of a VM, built once the configuration is complete and
 * checked: /dev/kvm, KVM_CREATE_VM with the architecture's machine type,
 * the memory slots. Nothing before this step needs KVM, so a configuration
 * can be checked without it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vm.h"

int vm_build(struct qvm_vm *vm, struct qerr *e)
{
	int r, api, type;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return qerr_set(e, -errno, "cannot open /dev/kvm: %s", strerror(errno));
	api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION)
		return qerr_set(e, -ENOTSUP, "/dev/kvm speaks API %d, qvm needs %d", api, KVM_API_VERSION);
	type = arch_vm_type(vm, e);
	if (type < 0)
		return type;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, (unsigned long)type);
	if (vm->vm_fd < 0)
		return qerr_set(e, -errno, "KVM_CREATE_VM: %s", strerror(errno));
	r = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r <= 0)
		return qerr_set(e, -EINVAL, "KVM_GET_VCPU_MMAP_SIZE failed");
	vm->run_size = (size_t)r;
	return mem_register_slots(vm, e);
}

void vm_kvm_close(struct qvm_vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->vm_fd = vm->kvm_fd = -1;
}
