// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A core file of the whole guest, as `xl dump-core` and QEMU's
 * dump-guest-memory write one (docs/hypervisor.md, "Core dumps"): what
 * someone debugging a guest kernel opens with crash or gdb, and what
 * on_crash=coredump-destroy leaves behind. keel-hv writes it while the
 * vCPUs are parked, and the guest runs on afterwards: into a file of its
 * own (the core of an ending guest, --dump-on), or, for keeld's
 * dump-core, as records into keeld's writer (dump_core.h), so that the
 * file's page cache is not charged to the domain's memory cgroup.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dump_core.h"
#include "log.h"
#include "vcpu.h"
#include "vm.h"
#include "vmm.h"
#include "le.h"
#include "x86/core_note.h"

#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define PT_LOAD 1
#define PT_NOTE 4
#define PF_RWX 7
#define ET_CORE 4
#define DUMP_PAGE 4096
/* Runs of non-zero pages go to the file in writes of at most this. */
#define DUMP_CHUNK (1024 * 1024)

static void ehdr(uint8_t *p, unsigned phnum)
{
	static const uint8_t ident[16] = { 0x7f, 'E', 'L', 'F', 2 /* 64 */,
					   1 /* LSB */, 1 /* EV_CURRENT */ };

	memset(p, 0, EHDR_SIZE);
	memcpy(p, ident, sizeof(ident));
	le_put16(p + 16, ET_CORE);
	le_put16(p + 18, CORE_NOTE_MACHINE);
	le_put32(p + 20, 1);
	le_put64(p + 32, EHDR_SIZE); /* e_phoff */
	le_put16(p + 52, EHDR_SIZE);
	le_put16(p + 54, PHDR_SIZE);
	le_put16(p + 56, (uint16_t)phnum);
}

static void phdr(uint8_t *p, uint32_t type, uint64_t offset, uint64_t paddr,
		 uint64_t size)
{
	memset(p, 0, PHDR_SIZE);
	le_put32(p, type);
	le_put32(p + 4, type == PT_LOAD ? PF_RWX : 0);
	le_put64(p + 8, offset);
	le_put64(p + 24, paddr);
	le_put64(p + 32, size); /* p_filesz */
	le_put64(p + 40, size); /* p_memsz */
	le_put64(p + 48, type == PT_NOTE ? 4 : 0);
}

/* Where a core goes: a file written in place, or records into a pipe. */
struct dump_out {
	int fd;
	bool records;
};

/* @len bytes at @p into @fd: at @off with pwrite(), else where it is. */
static int dump_write_all(int fd, const uint8_t *p, uint64_t len,
			  const uint64_t *off)
{
	uint64_t done = 0;

	while (done < len) {
		ssize_t n = off ? pwrite(fd, p + done, len - done,
					 (off_t)(*off + done)) :
				  write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (uint64_t)n;
	}
	return 0;
}

/* The core's bytes @p[0, @len) at offset @off of the file. */
static int dump_put(const struct dump_out *o, const uint8_t *p, uint64_t len,
		    uint64_t off)
{
	uint8_t head[DUMP_RECORD_HEAD];
	int rc;

	if (!o->records)
		return dump_write_all(o->fd, p, len, &off);
	le_put64(head, off);
	le_put64(head + 8, len);
	rc = dump_write_all(o->fd, head, sizeof(head), NULL);
	return rc || !len ? rc : dump_write_all(o->fd, p, len, NULL);
}

/* The file is @size bytes, the last of them holes; then it is synced. */
static int dump_end(const struct dump_out *o, uint64_t size)
{
	if (o->records)
		return dump_put(o, NULL, 0, size);
	if (ftruncate(o->fd, (off_t)size) < 0 || fsync(o->fd) < 0)
		return -errno;
	return 0;
}

/* The bytes of @r's page at @i: a page, or what is left of @r. */
static uint64_t dump_page_len(const struct mem_region *r, uint64_t i)
{
	return r->size - i < DUMP_PAGE ? r->size - i : DUMP_PAGE;
}

static bool dump_page_zero(const uint8_t *p, uint64_t len)
{
	static const uint8_t zero[DUMP_PAGE];

	return !memcmp(p, zero, len);
}

/* @r's bytes at @off, leaving its zero pages as holes. */
static int dump_region(const struct dump_out *o, const struct mem_region *r,
		       uint64_t off)
{
	uint64_t i = 0, len, run;
	int rc;

	while (i < r->size) {
		len = dump_page_len(r, i);
		if (dump_page_zero(r->hva + i, len)) {
			i += len;
			continue;
		}
		for (run = 0; i + run < r->size && run < DUMP_CHUNK;
		     run += len) {
			len = dump_page_len(r, i + run);
			if (dump_page_zero(r->hva + i + run, len))
				break;
		}
		rc = dump_put(o, r->hva + i, run, off + i);
		if (rc)
			return rc;
		i += run;
	}
	return 0;
}

/* @vm's core into @o, its vCPUs not running; *@bytes: the file's size. */
static int dump_core_out(struct vm *vm, const struct dump_out *o,
			 uint64_t *bytes)
{
	unsigned phnum = 1 + vm->nr_ram;
	uint64_t notes_off = EHDR_SIZE + (uint64_t)PHDR_SIZE * phnum;
	uint64_t notes_size = (uint64_t)CORE_NOTE_VCPU_SIZE * vm->nr_vcpus;
	uint64_t head = notes_off + notes_size, off;
	uint8_t *buf;
	int rc = 0;

	buf = calloc(1, head);
	if (!buf)
		return -ENOMEM;
	ehdr(buf, phnum);
	phdr(buf + EHDR_SIZE, PT_NOTE, notes_off, 0, notes_size);
	off = (head + DUMP_PAGE - 1) & ~(uint64_t)(DUMP_PAGE - 1);
	for (unsigned i = 0; i < vm->nr_ram; i++) {
		phdr(buf + EHDR_SIZE + PHDR_SIZE * (i + 1), PT_LOAD, off,
		     vm->ram[i].gpa, vm->ram[i].size);
		off += vm->ram[i].size;
	}
	for (unsigned i = 0; i < vm->nr_vcpus && !rc; i++)
		rc = core_note_vcpu(vm->vcpus[i]->fd, i,
				    buf + notes_off +
					    (uint64_t)CORE_NOTE_VCPU_SIZE * i);
	if (!rc)
		rc = dump_put(o, buf, head, 0);
	free(buf);
	off = (head + DUMP_PAGE - 1) & ~(uint64_t)(DUMP_PAGE - 1);
	for (unsigned i = 0; i < vm->nr_ram && !rc; i++) {
		rc = dump_region(o, &vm->ram[i], off);
		off += vm->ram[i].size;
	}
	/* The holes at the end are part of the file too. */
	if (!rc)
		rc = dump_end(o, off);
	if (!rc && bytes)
		*bytes = off;
	return rc;
}

/*
 * @vm's core into @o, its vCPUs paused for it if @pause (and run again
 * after it unless they were paused before). @why as dump_core_file's.
 */
static int dump_core_paused(struct vm *vm, const struct dump_out *o,
			    int pause, uint64_t *bytes, const char *what,
			    char *why)
{
	bool resume = false;
	int rc;

	if (pause) {
		resume = !vm_is_paused(vm);
		rc = vm_pause(vm);
		if (rc) {
			snprintf(why, DUMP_CORE_WHY_MAX,
				 "The VM is stopping; no core was written.");
			return rc;
		}
	}
	rc = dump_core_out(vm, o, bytes);
	if (resume)
		vm_resume(vm);
	if (rc)
		snprintf(why, DUMP_CORE_WHY_MAX,
			 "Cannot write the core %s: %s.", what,
			 strerror(-rc));
	return rc;
}

int dump_core_records(struct vm *vm, int fd, int pause, uint64_t *bytes,
		      char *why)
{
	const struct dump_out o = { .fd = fd, .records = true };

	return dump_core_paused(vm, &o, pause, bytes, "into keeld's writer",
				why);
}

int dump_core_file(struct vm *vm, const char *path, int pause,
		   uint64_t *bytes, char *why)
{
	struct dump_out o = { .fd = -1 };
	char what[PATH_MAX + 16];
	int rc;

	if (path[0] != '/') {
		snprintf(why, DUMP_CORE_WHY_MAX,
			 "The core file's path must be absolute; %s is not.",
			 path);
		return -EINVAL;
	}
	/* O_EXCL: never over another file, nor through a symbolic link. */
	o.fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (o.fd < 0) {
		rc = -errno;
		snprintf(why, DUMP_CORE_WHY_MAX,
			 rc == -EEXIST ?
				 "%s exists already; keel does not overwrite a file with a core." :
				 "Cannot create the core file %s: %s.",
			 path, strerror(-rc));
		return rc;
	}
	snprintf(what, sizeof(what), "file %s", path);
	rc = dump_core_paused(vm, &o, pause, bytes, what, why);
	close(o.fd);
	if (rc) {
		unlink(path);
		return rc;
	}
	log_info("Wrote the guest's core to %s (%llu bytes).", path,
		 (unsigned long long)(bytes ? *bytes : 0));
	return 0;
}
