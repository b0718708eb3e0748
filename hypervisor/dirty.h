/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_DIRTY_H
#define KEEL_HV_DIRTY_H

/*
 * Which guest pages changed, for live migration's passes
 * (docs/migration.md, docs/hypervisor.md "Live migration (source)"):
 * KVM's dirty log of each RAM slot (the vCPUs' writes) OR-ed with the
 * bitmap vm_mark_dirty() keeps of what keel-hv's devices wrote through
 * the host mapping. A dirty_log holds, per RAM range, the pages still to
 * send: dirty_sync() adds what changed since the last sync, the sender
 * takes bits off as it sends.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

struct dirty_range {
	uint64_t gpa, npages;
	uint64_t *send;	/* a bit per page still to send */
	uint64_t *kvm;	/* KVM_GET_DIRTY_LOG's bitmap */
};

struct dirty_log {
	struct vm *vm;
	unsigned nr;
	struct dirty_range range[2];
};

/* Words of a bitmap of @npages bits. */
static inline size_t dirty_words(uint64_t npages)
{
	return (size_t)((npages + 63) / 64);
}

/*
 * At VM creation: turn KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 on when KVM
 * offers it (GET_DIRTY_LOG then leaves the bits and write protection
 * for CLEAR_DIRTY_LOG), and note it in vm->dirty_manual. Without it,
 * GET_DIRTY_LOG clears as it gets. Never fails.
 */
void dirty_vm_init(struct vm *vm);

/*
 * Start recording: KVM_MEM_LOG_DIRTY_PAGES on every RAM slot and
 * vm_mark_dirty() on. Every page is in the new log's send set (pass 1
 * sends all of RAM). Returns 0 and *@out (dirty_stop() ends and frees
 * it), or -errno with the logging left off.
 */
int dirty_start(struct vm *vm, struct dirty_log **out);

/*
 * One round: per slot KVM_GET_DIRTY_LOG, then KVM_CLEAR_DIRTY_LOG of
 * those bits (with MANUAL_PROTECT2), then vm_mark_dirty()'s bits taken,
 * all OR-ed into the send set, before the caller reads any of those
 * pages. Returns the pages in the send set, or -errno.
 */
int64_t dirty_sync(struct dirty_log *d);

/* Stop recording (flags off, vm_mark_dirty() a no-op) and free @d. NULL ok. */
void dirty_stop(struct dirty_log *d);

/*
 * dst[i] |= kvm[i] | own[i], own[i] taken (set to 0) atomically, for
 * @n words; returns the bits now set in @dst. @kvm may be NULL.
 */
uint64_t dirty_merge(uint64_t *dst, const uint64_t *kvm,
		     _Atomic uint64_t *own, size_t n);

/*
 * The first run of set bits in @bits (of @nbits) at or after @from, at
 * most @max long: its start in *@start and its length returned; 0 when
 * there is none.
 */
uint64_t dirty_next_run(const uint64_t *bits, uint64_t nbits, uint64_t from,
			uint64_t max, uint64_t *start);

/* Clear bits [@start, @start + @n) of @bits. */
void dirty_clear_bits(uint64_t *bits, uint64_t start, uint64_t n);

#endif /* KEEL_HV_DIRTY_H */
