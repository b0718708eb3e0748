/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_DUMP_CORE_H
#define KEEL_HV_DUMP_CORE_H

#include <stddef.h>
#include <stdint.h>

struct vm;

/* The most bytes of message dump_core_file() writes into @why. */
#define DUMP_CORE_WHY_MAX 512

/*
 * Write an ELF64 core file of @vm to @fd, from offset 0: the ELF header,
 * one PT_NOTE with each vCPU's registers (x86/core_note.h) and one
 * PT_LOAD per RAM region whose physical address is the region's
 * guest-physical one (virtual address 0, as QEMU's dump-guest-memory
 * writes without paging), so that `readelf -n`, gdb and crash read it.
 * Pages of zeros are left as holes of a sparse file. The vCPUs must not
 * be running. *@bytes (may be NULL): the file's size. Returns 0 or
 * -errno.
 */
int dump_core_write(struct vm *vm, int fd, uint64_t *bytes);

/*
 * Create @path (an absolute path; it must not exist; mode 0600: it is
 * the guest's memory) and write @vm's core into it. With @pause, the
 * vCPUs are paused for the write and run again after it unless they
 * were paused before; without, they must be stopped already (the VM
 * has ended). On failure nothing is left at @path. Returns 0 and
 * *@bytes, or -errno with a sentence for the user in @why
 * (DUMP_CORE_WHY_MAX bytes): -EINVAL a path that is not absolute,
 * -EEXIST one that exists, -ESHUTDOWN a VM that is stopping.
 */
int dump_core_file(struct vm *vm, const char *path, int pause,
		   uint64_t *bytes, char *why);

#endif /* KEEL_HV_DUMP_CORE_H */
