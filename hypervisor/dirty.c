// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Dirty-page tracking for live migration: KVM's per-slot dirty log and
 * keel-hv's own bitmap of device writes (vm_mark_dirty(), vm.c), merged
 * into the set of pages a migration pass sends. dirty.h says why both.
 */
#include "config.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "dirty.h"
#include "log.h"
#include "vm.h"

void dirty_vm_init(struct vm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
		.args[0] = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE,
	};
	int offered = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION,
			    KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);

	/* The value is the set of flags KVM takes; we want the first. */
	vm->dirty_manual = offered > 0 &&
			   (offered & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE) &&
			   ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) == 0;
	log_debug("%s: KVM dirty log: %s", __func__,
		  vm->dirty_manual ? "manual protect (GET, then CLEAR)" :
				     "cleared by GET");
}

/* KVM_MEM_LOG_DIRTY_PAGES on or off for RAM range @i's slot. */
static int dirty_slot_flags(struct vm *vm, unsigned i, bool on)
{
	const struct mem_region *r = &vm->ram[i];
	struct kvm_userspace_memory_region slot = {
		.slot = r->slot,
		.flags = on ? KVM_MEM_LOG_DIRTY_PAGES : 0,
		.guest_phys_addr = r->gpa,
		.memory_size = r->size,
		.userspace_addr = (uintptr_t)r->hva,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		return -errno;
	return 0;
}

uint64_t dirty_merge(uint64_t *dst, const uint64_t *kvm,
		     _Atomic uint64_t *own, size_t n)
{
	uint64_t count = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t w = dst[i];

		if (kvm)
			w |= kvm[i];
		/* Taken whole: a bit set after this is the next round's. */
		if (atomic_load_explicit(&own[i], memory_order_relaxed))
			w |= atomic_exchange_explicit(&own[i], 0,
						      memory_order_acquire);
		dst[i] = w;
		count += (uint64_t)__builtin_popcountll(w);
	}
	return count;
}

uint64_t dirty_next_run(const uint64_t *bits, uint64_t nbits, uint64_t from,
			uint64_t max, uint64_t *start)
{
	uint64_t i = from, end;

	/* Skip clear words whole. */
	while (i < nbits) {
		uint64_t w = bits[i / 64] >> (i % 64);

		if (w) {
			i += (uint64_t)__builtin_ctzll(w);
			break;
		}
		i = (i / 64 + 1) * 64;
	}
	if (i >= nbits)
		return 0;
	for (end = i; end < nbits && end - i < max; end++)
		if (!(bits[end / 64] & (1ULL << (end % 64))))
			break;
	*start = i;
	return end - i;
}

void dirty_clear_bits(uint64_t *bits, uint64_t start, uint64_t n)
{
	for (uint64_t i = start; i < start + n; i++)
		bits[i / 64] &= ~(1ULL << (i % 64));
}

void dirty_stop(struct dirty_log *d)
{
	if (!d)
		return;
	atomic_store(&d->vm->dirty_on, false);
	for (unsigned i = 0; i < d->nr; i++) {
		int rc = dirty_slot_flags(d->vm, i, false);

		if (rc)
			log_warn("%s: cannot end dirty logging of RAM at 0x%llx: %s",
				 __func__, (unsigned long long)d->range[i].gpa,
				 strerror(-rc));
		free(d->range[i].send);
		free(d->range[i].kvm);
	}
	free(d);
}

int dirty_start(struct vm *vm, struct dirty_log **out)
{
	struct dirty_log *d = calloc(1, sizeof(*d));
	int rc = -ENOMEM;

	if (!d)
		return -ENOMEM;
	d->vm = vm;
	for (unsigned i = 0; i < vm->nr_ram; i++) {
		struct dirty_range *r = &d->range[i];
		size_t n;

		r->gpa = vm->ram[i].gpa;
		r->npages = vm->ram[i].size / 4096;
		n = dirty_words(r->npages);
		r->send = malloc(n * 8);
		r->kvm = calloc(n, 8);
		if (!vm->dirty_own[i])
			vm->dirty_own[i] = calloc(n, 8);
		if (!r->send || !r->kvm || !vm->dirty_own[i])
			goto out_stop;
		/* Pass 1 sends everything; bits past the end stay clear. */
		memset(r->send, 0xff, n * 8);
		if (r->npages % 64)
			r->send[n - 1] = (1ULL << (r->npages % 64)) - 1;
		for (size_t w = 0; w < n; w++)
			atomic_store(&vm->dirty_own[i][w], 0);
		d->nr = i + 1;
		rc = dirty_slot_flags(vm, i, true);
		if (rc) {
			log_err("%s: KVM refused dirty logging of RAM at 0x%llx: %s",
				__func__, (unsigned long long)r->gpa,
				strerror(-rc));
			goto out_stop;
		}
	}
	/* Before any page is read: vm_mark_dirty() pairs with this. */
	atomic_store(&vm->dirty_on, true);
	*out = d;
	return 0;

out_stop:
	dirty_stop(d);
	return rc;
}

int64_t dirty_sync(struct dirty_log *d)
{
	struct vm *vm = d->vm;
	uint64_t total = 0;

	for (unsigned i = 0; i < d->nr; i++) {
		struct dirty_range *r = &d->range[i];
		struct kvm_dirty_log get = { .slot = vm->ram[i].slot,
					     .dirty_bitmap = r->kvm };

		if (ioctl(vm->vm_fd, KVM_GET_DIRTY_LOG, &get) < 0)
			return -errno;
		if (vm->dirty_manual) {
			/* Protect again before the pages are read. */
			struct kvm_clear_dirty_log clr = {
				.slot = vm->ram[i].slot,
				.num_pages = (uint32_t)r->npages,
				.first_page = 0,
				.dirty_bitmap = r->kvm,
			};

			if (ioctl(vm->vm_fd, KVM_CLEAR_DIRTY_LOG, &clr) < 0)
				return -errno;
		}
		total += dirty_merge(r->send, r->kvm, vm->dirty_own[i],
				     dirty_words(r->npages));
	}
	return (int64_t)total;
}
