/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_SAVE_H
#define KEEL_HV_SAVE_H

/*
 * A VM as a domain stream (docs/stream.md) and back: save_write() for
 * the control socket's save method, restore_read() for --restore. Both
 * run on the I/O thread with no vCPU in KVM_RUN: paused for a save (so
 * that nothing but this thread touches guest memory, docs/hypervisor.md
 * "Save and restore"), not yet started for a restore.
 */

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "stream.h"

struct vm;

/* Room for the sentence either says a save or restore failed with. */
#define SAVE_WHY_MAX 320

/*
 * Called while a save writes, at most every SAVE_PROGRESS_MS and
 * SAVE_PROGRESS_BYTES: @done bytes written, of about @total (the
 * guest's RAM, until the end, when it is exact).
 */
typedef void (*save_progress_fn)(void *opaque, uint64_t done, uint64_t total);

#define SAVE_PROGRESS_MS 100
#define SAVE_PROGRESS_BYTES (64ULL << 20)

/*
 * The pieces of a stream's writing that a save and a live migration
 * (migrate_send.c, migrate_precopy.c) share: save_write() is
 * save_stream_init(), save_stream_head(), save_stream_ram() over all of
 * RAM, then save_stream_tail(); a migration sends RAM in passes between
 * the head and the tail. Each returns 0 or -errno with the sentence in
 * @why.
 */
struct save_stream {
	struct vm *vm;
	struct stream_writer *sw;
	save_progress_fn progress;
	void *opaque;
	uint64_t total;
	uint64_t told_at_bytes;
	long long told_at_ms;
	char *why;
};

/*
 * A writer onto @io (copied; stream_io_fd() for a descriptor) for
 * @vm; @why (SAVE_WHY_MAX bytes, borrowed until
 * save_stream_dispose()) gets every failure's sentence. @progress may
 * be NULL. -ENOMEM is the only failure.
 */
int save_stream_init(struct save_stream *s, struct vm *vm,
		     const struct stream_io *io, save_progress_fn progress,
		     void *opaque, char *why);

/* Free the writer (what was written stays written). Idempotent. */
void save_stream_dispose(struct save_stream *s);

/* The preamble and the HEADER with @config (borrowed) in it. */
int save_stream_head(struct save_stream *s, struct json_object *config);

/*
 * RAM records for @len bytes of guest memory at @gpa (page-aligned, in
 * one RAM range): zero runs as zero records, the rest in @enc. The
 * bytes are read from @copy when it is not NULL (a copy the caller made
 * of memory the guest may be writing: the writer hashes a buffer, then
 * writes it, and both must see the same bytes), else from guest memory,
 * which nothing may change meanwhile.
 */
int save_stream_ram(struct save_stream *s, uint64_t gpa, uint64_t len,
		    const void *copy, enum stream_enc enc);

/*
 * What follows RAM, with the vCPUs paused: VM, one VCPU record per KVM
 * vCPU, one DEVICE record per device, END; then the last progress.
 */
int save_stream_tail(struct save_stream *s);

/*
 * Write @vm's whole state to @fd (the caller's, blocking; not closed,
 * never seeked): preamble, HEADER (with @config, the domain's
 * configuration, borrowed), RAM in encoding @enc, VM, one VCPU record
 * per KVM vCPU, one DEVICE record per device, END. The vCPUs must be
 * paused. @progress may be NULL. Returns 0 and the bytes written in
 * *@bytes, or -errno with @why (SAVE_WHY_MAX bytes) saying what failed;
 * what was written stays written (the caller removes the file).
 */
int save_write(struct vm *vm, int fd, struct json_object *config,
	       enum stream_enc enc, save_progress_fn progress, void *opaque,
	       uint64_t *bytes, char *why);

/*
 * Load the stream from @io (stream_io_fd() for a descriptor) into @vm,
 * built by vm_new() with cfg.restore from the same command line and
 * never run: its vCPU count and RAM ranges must be the header's, this
 * host must take its CPU state (cpu_state_check_host()), and the
 * devices must be the DEVICE records' one for one. Reads up to END and
 * nothing after it. Returns 0 once every record applied and the
 * checksum matched, then KVMCLOCK_CTRL told each vCPU (then call
 * restore_done()); otherwise -errno with @why (SAVE_WHY_MAX bytes) the
 * sentence a user is shown, and @vm must not run. @pass (may be NULL)
 * is called with @opaque at each PROGRESS record of a migration, once
 * everything before it is applied; -errno from it ends the read.
 */
typedef int (*restore_pass_fn)(void *opaque, uint64_t round);
int restore_read(struct vm *vm, const struct stream_io *io,
		 restore_pass_fn pass, void *opaque, char *why);

/*
 * After a restore_read() that returned 0: guest RAM may have huge pages
 * again (restore fills it with small ones). Not on the way to the
 * guest's first run: a migration's destination calls it after DONE,
 * since over the many ranges a restore advised it takes milliseconds.
 */
void restore_done(struct vm *vm);

#endif /* KEEL_HV_SAVE_H */
