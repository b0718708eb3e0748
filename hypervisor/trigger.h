/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_TRIGGER_H
#define KEEL_HV_TRIGGER_H

#include <stdbool.h>

struct vm;

/*
 * What xl's trigger and sysrq commands do to a running guest, for the
 * control socket (man/keel-hv.8, CONTROL SOCKET): the hardware events a
 * user sends when the guest no longer listens to anything gentler.
 * Called on the I/O thread.
 */

/*
 * Inject a non-maskable interrupt into vCPU @vcpu (KVM_NMI). The vCPUs
 * are paused for the ioctl, which KVM serialises with KVM_RUN, and run
 * again unless they were paused before; a paused guest takes the NMI
 * when it is resumed. Returns 0, -ENOENT for a vCPU the VM does not
 * have, -ESHUTDOWN if the VM is stopping, or KVM's -errno.
 */
int trigger_nmi(struct vm *vm, unsigned vcpu);

/* Is @key one Linux's SysRq handles (0-9, a-z)? */
bool trigger_sysrq_key_valid(char key);

/*
 * Magic SysRq @key on the serial console: a break, then @key, into
 * COM1's receive FIFO (ns8250_input_break()). Returns 0, -EINVAL for a
 * key trigger_sysrq_key_valid() refuses, -ENODEV without COM1, or
 * ns8250_input_break()'s -EAGAIN / -EIO.
 */
int trigger_sysrq(struct vm *vm, char key);

#endif /* KEEL_HV_TRIGGER_H */
