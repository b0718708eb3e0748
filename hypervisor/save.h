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
 * Load the stream on @fd into @vm, built by vm_new() with cfg.restore
 * from the same command line and never run: its vCPU count and RAM
 * ranges must be the header's, this host must take its CPU state
 * (cpu_state_check_host()), and the devices must be the DEVICE records'
 * one for one. Reads up to END and nothing after it. Returns 0 once
 * every record applied and the checksum matched, then KVMCLOCK_CTRL
 * told each vCPU; otherwise -errno with @why (SAVE_WHY_MAX bytes) the
 * sentence a user is shown, and @vm must not run.
 */
int restore_read(struct vm *vm, int fd, char *why);

#endif /* KEEL_HV_SAVE_H */
