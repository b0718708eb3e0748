// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NMI and SysRq for the control socket (trigger.h). Why SysRq is a
 * break on the serial line and not keys on the i8042: keel's i8042 has
 * no keyboard behind it (it is there for the reset line), a guest's
 * console is COM1 (console=ttyS0), and Linux's 8250 driver turns a
 * break followed by a key into SysRq on its console: the same thing a
 * user of a serial console server does by hand. docs/hypervisor.md
 * says what it needs from the guest.
 */
#include "config.h"

#include <errno.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "device.h"
#include "log.h"
#include "ns8250.h"
#include "trigger.h"
#include "vcpu.h"
#include "vm.h"
#include "vmm.h"

int trigger_nmi(struct vm *vm, unsigned vcpu)
{
	bool resume;
	int rc = 0;

	if (vcpu >= vm->nr_vcpus || !vm->vcpus[vcpu])
		return -ENOENT;
	resume = !vm_is_paused(vm);
	if (vm_pause(vm))
		return -ESHUTDOWN;
	if (ioctl(vm->vcpus[vcpu]->fd, KVM_NMI) < 0)
		rc = -errno;
	if (resume)
		vm_resume(vm);
	if (!rc)
		log_info("control: NMI injected into vCPU %u", vcpu);
	return rc;
}

bool trigger_sysrq_key_valid(char key)
{
	return (key >= '0' && key <= '9') || (key >= 'a' && key <= 'z');
}

int trigger_sysrq(struct vm *vm, char key)
{
	struct device *com1 = vm_find_device(vm, "serial0");
	int rc;

	if (!trigger_sysrq_key_valid(key))
		return -EINVAL;
	if (!com1)
		return -ENODEV;
	rc = ns8250_input_break(com1, (uint8_t)key);
	if (!rc)
		log_info("control: SysRq %c sent on the serial console", key);
	return rc;
}
