/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_DUMP_CORE_H
#define KEEL_HV_DUMP_CORE_H

#include <stddef.h>
#include <stdint.h>

struct vm;

/* The most bytes of message dump_core_file() writes into @why. */
#define DUMP_CORE_WHY_MAX 512

/*
 * A core is an ELF64 file: the ELF header, one PT_NOTE with each vCPU's
 * registers (x86/core_note.h) and one PT_LOAD per RAM region whose
 * physical address is the region's guest-physical one (virtual address
 * 0, as QEMU's dump-guest-memory writes without paging), so that
 * `readelf -n`, gdb and crash read it. Pages of zeros are left as holes
 * of a sparse file.
 */

/*
 * The records keeld's writer reads (daemon/save_writer.h) and turns into
 * the same sparse file: each a head of two little-endian 64-bit numbers,
 * the offset in the file and a length, then that many bytes to write
 * there. Holes are simply not sent. A record of length 0 ends the core:
 * its offset is the file's size. A stream without it is no core.
 */
#define DUMP_RECORD_HEAD 16

/*
 * @vm's core as records into @fd (a pipe keeld's writer reads), paused
 * for it as dump_core_file() pauses. Returns 0 and *@bytes (the file's
 * size), or -errno with a sentence in @why: -ESHUTDOWN a VM that is
 * stopping, else what writing into @fd met (-EPIPE: the writer went).
 */
int dump_core_records(struct vm *vm, int fd, int pause, uint64_t *bytes,
		      char *why);

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
