/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_I8042_H
#define KEEL_HV_I8042_H

struct vm;
struct device;

/*
 * An 8042 keyboard controller at ports 0x60/0x64 with nothing plugged
 * into it: enough for Linux to probe it and find no keyboard or mouse,
 * and for the classic reset (0xfe to port 0x64), which ends the VM with
 * VM_EXIT_REBOOT. On @vm's device list as "i8042". Returns 0 and *@out
 * (owned by the VM) or -errno.
 */
int i8042_new(struct vm *vm, struct device **out);

#endif /* KEEL_HV_I8042_H */
