/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_TESTS_FAKE_VM_H
#define KEEL_TESTS_FAKE_VM_H

#include <stdint.h>

struct vm;

/*
 * A struct vm with no KVM behind it, for the device unit suites: empty
 * port and MMIO buses, no file descriptors, no RAM (a suite that needs
 * guest memory fills in vm->ram[] itself and frees it). Aborts the test
 * if anything fails.
 */
struct vm *fake_vm_new(void);

/* Dispose of the buses and every device on @vm, then @vm itself. */
void fake_vm_free(struct vm *vm);

/*
 * A guest port access of @len bytes (1, 2 or 4), which some device must
 * claim. Reads start from a poison value, so a handler that forgets to
 * fill in the data shows up.
 */
uint32_t fake_vm_in(struct vm *vm, uint16_t port, unsigned len);
void fake_vm_out(struct vm *vm, uint16_t port, uint32_t v, unsigned len);

#endif /* KEEL_TESTS_FAKE_VM_H */
