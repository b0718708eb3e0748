// SPDX-License-Identifier: GPL-2.0-or-later
/* The KVM-less struct vm the device unit suites share (fake_vm.h). */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "device.h"
#include "fake_vm.h"
#include "iobus.h"
#include "vm.h"

struct vm *fake_vm_new(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	ck_assert_ptr_nonnull(vm);
	vm->vm_fd = vm->kvm_fd = vm->exit_efd = -1;
	atomic_init(&vm->exit_reason, VM_EXIT_NONE);
	ck_assert_int_eq(iobus_init(&vm->pio, "pio"), 0);
	ck_assert_int_eq(iobus_init(&vm->mmio, "mmio"), 0);
	return vm;
}

void fake_vm_free(struct vm *vm)
{
	iobus_dispose(&vm->pio);
	iobus_dispose(&vm->mmio);
	vm_devices_free(vm);
	free(vm);
}

uint32_t fake_vm_in(struct vm *vm, uint16_t port, unsigned len)
{
	uint32_t v = 0xaaaaaaaa;

	ck_assert(iobus_access(&vm->pio, port, &v, len, false));
	return len == 4 ? v : v & ((1u << 8 * len) - 1);
}

void fake_vm_out(struct vm *vm, uint16_t port, uint32_t v, unsigned len)
{
	ck_assert(iobus_access(&vm->pio, port, &v, len, true));
}
