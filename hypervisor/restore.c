// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Restoring a VM from a domain stream (docs/stream.md, "Restoring: the
 * order that matters"): the machine is built from the command line as
 * for a boot, then the stream's records are checked against it and
 * applied in the order they come, which is the order the format fixes:
 * RAM, VM state, each vCPU, each device. The stream library checks the
 * framing, the order and the checksum; this file checks that the stream
 * fits this machine and this host.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "device.h"
#include "log.h"
#include "monotime.h"
#include "pci.h"
#include "save.h"
#include "stream.h"
#include "vcpu.h"
#include "vm.h"
#include "x86/cpu_state.h"

/* The devices a restore can name, and which of them it has named. */
#define RESTORE_MAX_DEVICES 64

/*
 * The populator: a thread that faults in the guest memory the next RAM
 * record will most likely fill, while the reader reads, hashes and
 * copies the current one (restore_ahead()). One job at a time.
 */
struct restore_ahead {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool started, stop;
	bool busy;		/* a job posted and not finished */
	uint8_t *hva;		/* the job, or the last one done */
	uint64_t len;
};

struct restore_state {
	struct vm *vm;
	uint64_t tsc; /* vCPU 0's IA32_TSC, written to every vCPU */
	struct device *devices[RESTORE_MAX_DEVICES];
	bool restored[RESTORE_MAX_DEVICES];
	unsigned nr_devices;
	char why[CPU_STATE_WHY_MAX];
	uint64_t data_end;	/* where the last full data record ended */
	bool no_populate;	/* the kernel has no MADV_POPULATE_WRITE */
	struct restore_ahead ahead;
	restore_pass_fn pass;	/* a migration's PROGRESS records */
	void *pass_opaque;
	/* Where the machine's state went (after the RAM), in µs. */
	uint64_t state_us;	/* when its first record came; 0 not yet */
	uint64_t vcpu_us, device_us;
	uint64_t acked_us;	/* the last PROGRESS acknowledged; 0 none */
	uint64_t last_pass_us;	/* the first RAM record after it */
};

static int restore_header(void *opaque, struct stream_reader *r,
			  const struct stream_header *h)
{
	struct restore_state *s = opaque;
	struct vm *vm = s->vm;

	if (h->vcpus != vm->nr_vcpus)
		return stream_reader_fail(r, "The stream has %u vCPUs (maxvcpus), this machine %u; start keel-hv with the saved domain's vCPUs.",
					  h->vcpus, vm->nr_vcpus);
	if (h->n_ram != vm->nr_ram)
		return stream_reader_fail(r, "The stream's RAM is %zu ranges, this machine's %u; start keel-hv with the saved domain's memory (maxmem).",
					  h->n_ram, vm->nr_ram);
	for (unsigned i = 0; i < vm->nr_ram; i++) {
		if (h->ram[i].gpa != vm->ram[i].gpa ||
		    h->ram[i].size != vm->ram[i].size)
			return stream_reader_fail(r, "The stream's RAM range %u is %llu MiB at 0x%llx, this machine's %llu MiB at 0x%llx; start keel-hv with the saved domain's memory (maxmem).",
						  i,
						  (unsigned long long)(h->ram[i].size >> 20),
						  (unsigned long long)h->ram[i].gpa,
						  (unsigned long long)(vm->ram[i].size >> 20),
						  (unsigned long long)vm->ram[i].gpa);
	}
	if (cpu_state_check_host(vm, h, s->why))
		return stream_reader_fail(r, "%s", s->why);
	return 0;
}

#define RESTORE_HUGE_PAGE (2ULL << 20)

/* MADV_HUGEPAGE for the 2 MiB page that begins inside [@hva, +@len). */
static void restore_huge_advise(struct restore_state *s, uint64_t gpa,
				uint8_t *hva, uint64_t len)
{
	/* Huge pages are aligned in the address space, not in the guest's. */
	uintptr_t a = ((uintptr_t)hva + RESTORE_HUGE_PAGE - 1) &
		      ~(RESTORE_HUGE_PAGE - 1);

	if (a >= (uintptr_t)hva + len ||
	    vm_gpa_to_hva(s->vm, gpa + (a - (uintptr_t)hva),
			  RESTORE_HUGE_PAGE) != (void *)a)
		return;
	if (madvise((void *)a, RESTORE_HUGE_PAGE, MADV_HUGEPAGE) < 0)
		log_debug("restore: madvise(MADV_HUGEPAGE) at 0x%llx: %s",
			  (unsigned long long)(gpa + (a - (uintptr_t)hva)),
			  strerror(errno));
}

/*
 * Huge pages where the guest's memory is dense. The writer cuts a run
 * of non-zero pages into full records (STREAM_RAM_RUN_PAGES) back to
 * back, so a full record that starts where the one before ended is the
 * middle of such a run: the 2 MiB page that begins inside it (nothing
 * wrote there yet) will most likely be filled, and may be huge, one
 * fault and one allocation instead of 512. A run that ends early wastes
 * at most that one page; an isolated full record gets no huge page at
 * all (restore_huge_pages() says why small pages are the rule).
 * @advised: the populator already advised it (restore_ahead()).
 */
static void restore_dense(struct restore_state *s, uint64_t gpa,
			  uint8_t *hva, uint64_t len, bool advised)
{
	bool follows = gpa == s->data_end;

	s->data_end = gpa + len;
	if (follows && !advised)
		restore_huge_advise(s, gpa, hva, len);
}

/*
 * Fault guest memory in before a run's bytes land there: read(2) into
 * memory nothing touched takes a page fault for each 4 KiB page, and
 * each trap costs (most of a restore's time under the nested runner's
 * TCG: docs/save-bench.md, run 6); MADV_POPULATE_WRITE (Linux 5.14)
 * makes the pages in one call. A kernel without it answers EINVAL, and
 * the faults happen as before. Pages already there (a later migration
 * pass) cost a walk of the page table.
 */
static void restore_populate(struct restore_state *s, void *hva, uint64_t len)
{
	if (s->no_populate || !madvise(hva, len, MADV_POPULATE_WRITE))
		return;
	if (errno == EINVAL)
		s->no_populate = true;
	/* Out of memory: the read will fault and fail on its own. */
	log_debug("restore: madvise(MADV_POPULATE_WRITE): %s",
		  strerror(errno));
}

static void *restore_ahead_run(void *arg)
{
	struct restore_state *s = arg;
	struct restore_ahead *a = &s->ahead;

	pthread_setname_np(pthread_self(), "populate");
	pthread_mutex_lock(&a->lock);
	for (;;) {
		while (!a->busy && !a->stop)
			pthread_cond_wait(&a->cond, &a->lock);
		if (a->stop)
			break;
		pthread_mutex_unlock(&a->lock);
		/* A kernel without it refuses; the reader's copy faults. */
		madvise(a->hva, a->len, MADV_POPULATE_WRITE);
		pthread_mutex_lock(&a->lock);
		a->busy = false;
		pthread_cond_broadcast(&a->cond);
	}
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/*
 * A second CPU clears pages while this one reads (docs/save-bench.md,
 * run 7). On a machine with one CPU the two take turns, at the price of
 * two thread switches per MiB; no thread (out of them): the reader
 * populates alone, as before.
 */
static void restore_ahead_start(struct restore_state *s)
{
	struct restore_ahead *a = &s->ahead;

	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	a->started = !pthread_create(&a->thread, NULL, restore_ahead_run, s);
	if (!a->started) {
		pthread_cond_destroy(&a->cond);
		pthread_mutex_destroy(&a->lock);
	}
}

static void restore_ahead_stop(struct restore_state *s)
{
	struct restore_ahead *a = &s->ahead;

	if (!a->started)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = true;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	a->started = false;
}

/*
 * Before [@hva, +@len) is filled: whether the populator made it (it
 * waits for a job on exactly this range to finish). A job elsewhere, a
 * guess that missed, runs on beside the caller's own populating.
 */
static bool restore_ahead_took(struct restore_state *s, uint8_t *hva,
			       uint64_t len)
{
	struct restore_ahead *a = &s->ahead;
	bool mine;

	if (!a->started)
		return false;
	pthread_mutex_lock(&a->lock);
	mine = a->hva == hva && a->len == len;
	while (mine && a->busy)
		pthread_cond_wait(&a->cond, &a->lock);
	pthread_mutex_unlock(&a->lock);
	return mine;
}

/*
 * After a full record at @gpa: the writer cut a run of non-zero pages
 * into full records back to back (restore_dense()), so the next record
 * most likely fills the @len bytes after it. The populator makes them
 * now, with the huge page that begins inside them advised first, as
 * restore_dense() would. A guess that missed costs one record's worth
 * of memory cleared that the guest had as zero.
 */
static void restore_ahead(struct restore_state *s, uint64_t gpa, uint64_t len)
{
	struct restore_ahead *a = &s->ahead;
	uint64_t next = gpa + len;
	uint8_t *hva;

	if (!a->started || s->no_populate || next < gpa)
		return;
	hva = vm_gpa_to_hva(s->vm, next, len);
	if (!hva)
		return;
	restore_huge_advise(s, next, hva, len);
	pthread_mutex_lock(&a->lock);
	while (a->busy)
		pthread_cond_wait(&a->cond, &a->lock);
	a->hva = hva;
	a->len = len;
	a->busy = true;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

/* The reader checked that [gpa, gpa + len) lies in one header range. */
static void *restore_ram_map(void *opaque, uint64_t gpa, uint64_t len)
{
	struct restore_state *s = opaque;
	void *hva = vm_gpa_to_hva(s->vm, gpa, len);
	bool full = len == (uint64_t)STREAM_RAM_RUN_PAGES * STREAM_PAGE_SIZE;
	bool took;

	if (!hva)
		return NULL;
	if (s->acked_us && !s->last_pass_us)
		s->last_pass_us = monotime_us();
	/* vm_prefault() backed it all: nothing to fault in or advise. */
	if (s->vm->prefault)
		return hva;
	/* A range the populator made had its huge page advised first. */
	took = restore_ahead_took(s, hva, len);
	if (full)
		restore_dense(s, gpa, hva, len, took);
	if (!took)
		restore_populate(s, hva, len);
	if (full)
		restore_ahead(s, gpa, len);
	return hva;
}

/*
 * A zero-page run. A restore fills memory that vm_new() just mapped and
 * nothing wrote (cfg.restore writes no tables, no kernel), but a
 * migration's later pass may send as zero a page an earlier one filled.
 * Guest RAM is private anonymous memory: MADV_DONTNEED makes the range
 * read as zero, drops what was there, and costs nearly nothing where
 * nothing was, so neither case touches (and backs) a page. A prefaulted
 * machine's pages stay: they are cleared instead.
 */
static int restore_ram_zero(void *opaque, uint64_t gpa, uint64_t len)
{
	struct restore_state *s = opaque;
	void *hva = vm_gpa_to_hva(s->vm, gpa, len);

	if (hva && s->vm->prefault)
		memset(hva, 0, len);
	else if (hva && madvise(hva, len, MADV_DONTNEED) < 0)
		return -errno;
	return 0;
}

static int restore_vm(void *opaque, struct stream_reader *r,
		      const struct stream_tlvs *t)
{
	struct restore_state *s = opaque;

	s->state_us = monotime_us();
	if (cpu_state_restore_vm(s->vm, t, s->why))
		return stream_reader_fail(r, "%s", s->why);
	return 0;
}

static int restore_vcpu(void *opaque, struct stream_reader *r,
			uint32_t index, const struct stream_tlvs *t)
{
	struct restore_state *s = opaque;
	const struct stream_header *h = stream_reader_header(r);
	uint64_t t0;
	int rc;

	if (index >= s->vm->nr_vcpus || !s->vm->vcpus[index])
		return stream_reader_fail(r, "vCPU %u is not one of this machine's %u.",
					  index, s->vm->nr_vcpus);
	/* Every vCPU gets vCPU 0's TSC, so that all share one offset. */
	if (index == 0 && cpu_state_vcpu_tsc(t, &s->tsc))
		return stream_reader_fail(r, "vCPU 0's MSRs have no IA32_TSC.");
	t0 = monotime_us();
	rc = cpu_state_restore_vcpu(s->vm->vcpus[index], t, s->tsc,
				    h->xsave_size, s->why);
	s->vcpu_us += monotime_us() - t0;
	if (rc)
		return stream_reader_fail(r, "%s", s->why);
	return 0;
}

static int restore_device(void *opaque, struct stream_reader *r,
			  const char *id, uint32_t version,
			  struct json_object *state)
{
	struct restore_state *s = opaque;
	struct device *d = NULL;
	uint64_t t0;
	unsigned i;
	int rc;

	for (i = 0; i < s->nr_devices; i++) {
		if (!strcmp(s->devices[i]->id, id)) {
			d = s->devices[i];
			break;
		}
	}
	if (!d)
		return stream_reader_fail(r, "This machine has no device %s; start keel-hv with the saved domain's devices.",
					  id);
	if (s->restored[i])
		return stream_reader_fail(r, "Device %s comes twice.", id);
	if (version > d->ops->version)
		return stream_reader_fail(r, "Device %s's state is version %u; this keel-hv reads %s state up to version %u.",
					  id, version, d->ops->type,
					  d->ops->version);
	if (!d->ops->restore)
		return stream_reader_fail(r, "Device %s (%s) cannot be restored.",
					  id, d->ops->type);
	t0 = monotime_us();
	rc = d->ops->restore(d, state);
	s->device_us += monotime_us() - t0;
	if (rc == -EINVAL)
		return stream_reader_fail(r, "Device %s refuses the saved state: it does not fit a %s device as this machine has it.",
					  id, d->ops->type);
	if (rc)
		return stream_reader_fail(r, "Device %s could not take its state: %s.",
					  id, strerror(-rc));
	s->restored[i] = true;
	return 0;
}

/*
 * Every device of the machine must have had its record, and the PCI
 * devices' BARs, moved one record at a time, must all be on the bus.
 */
static int restore_end(void *opaque, struct stream_reader *r)
{
	struct restore_state *s = opaque;

	for (unsigned i = 0; i < s->nr_devices; i++) {
		if (!s->restored[i])
			return stream_reader_fail(r, "The stream has no state for device %s (%s), which this machine has; start keel-hv with the saved domain's devices.",
						  s->devices[i]->id,
						  s->devices[i]->ops->type);
	}
	if (pci_bus_settle(s->vm, s->why, sizeof(s->why)))
		return stream_reader_fail(r, "%s", s->why);
	return 0;
}

/* A migration's pass ended: everything before it is in place. */
static int restore_progress(void *opaque, struct stream_reader *r,
			    const struct stream_progress *p)
{
	struct restore_state *s = opaque;
	int rc;

	if (!s->pass)
		return 0;
	rc = s->pass(s->pass_opaque, p->round);
	s->acked_us = monotime_us();
	s->last_pass_us = 0;
	if (rc)
		return stream_reader_fail(r, "Cannot acknowledge pass %llu to the source: %s.",
					  (unsigned long long)p->round,
					  strerror(-rc));
	return 0;
}

static const struct stream_ops restore_ops = {
	.header = restore_header,
	.ram_map = restore_ram_map,
	.ram_zero = restore_ram_zero,
	.vm = restore_vm,
	.vcpu = restore_vcpu,
	.device = restore_device,
	.progress = restore_progress,
	.end = restore_end,
};

/*
 * Huge pages for guest RAM while a stream fills it, or not. A stream
 * writes the guest's non-zero pages, scattered over all of its RAM: with
 * transparent huge pages each one makes the kernel allocate and clear
 * the 2 MiB around it, so an idle 1 GiB guest with 76 MiB of data cost a
 * whole GiB cleared and held (tests/bench/save: restore 2.8 s against
 * 1.1 s for 256 MiB with the same stream). Small pages while restoring;
 * huge pages again after, which khugepaged gathers where they are full.
 */
static void restore_huge_pages(struct vm *vm, bool on)
{
	for (unsigned i = 0; i < vm->nr_ram; i++)
		if (madvise(vm->ram[i].hva, vm->ram[i].size,
			    on ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) < 0)
			log_debug("restore: madvise on guest RAM: %s",
				  strerror(errno));
}

int restore_read(struct vm *vm, const struct stream_io *io,
		 restore_pass_fn pass, void *opaque, char *why)
{
	struct restore_state s = { .vm = vm, .data_end = UINT64_MAX,
				   .pass = pass, .pass_opaque = opaque };
	struct stream_stats st;
	uint64_t t_read, t_end;
	int rc;

	why[0] = '\0';
	for (struct device *d = vm->devices; d; d = d->next) {
		if (s.nr_devices == RESTORE_MAX_DEVICES) {
			snprintf(why, SAVE_WHY_MAX,
				 "This machine has more than %d devices; keel-hv restores at most that many.",
				 RESTORE_MAX_DEVICES);
			return -E2BIG;
		}
		s.devices[s.nr_devices++] = d;
	}
	restore_huge_pages(vm, false);
	/* A prefaulted machine's RAM has nothing left to populate. */
	if (!vm->prefault)
		restore_ahead_start(&s);
	rc = stream_read_io(io, &restore_ops, &s, why, SAVE_WHY_MAX, &st);
	t_read = monotime_us();
	restore_ahead_stop(&s);
	t_end = monotime_us();
	if (rc) {
		restore_huge_pages(vm, true);
		return rc;
	}
	log_info("restore: %llu records, %llu MiB of RAM written; %llu reads took %llu ms, XXH3 %llu ms, lz4 and zstd %llu ms, mapping and populating RAM %llu ms.",
		 (unsigned long long)st.records,
		 (unsigned long long)(st.ram_bytes >> 20),
		 (unsigned long long)st.reads,
		 (unsigned long long)(st.read_ns / 1000000),
		 (unsigned long long)(st.hash_ns / 1000000),
		 (unsigned long long)(st.decode_ns / 1000000),
		 (unsigned long long)(st.map_ns / 1000000));
	/*
	 * Devices restored their queues and MSI-X tables; their GSI routes
	 * and irqfds are made at an interrupt's first delivery and their
	 * ioeventfds when the restored BARs were mapped (virtio_pci.c), so
	 * no host resource is left to rebuild here.
	 */
	rc = cpu_state_resume(vm);
	if (s.acked_us)
		log_info("restore: after the last acknowledged pass, the first RAM record came in %llu ms and the machine's state %llu ms later.",
			 (unsigned long long)(s.last_pass_us ? (s.last_pass_us - s.acked_us) / 1000 : 0),
			 (unsigned long long)(s.last_pass_us && s.state_us ? (s.state_us - s.last_pass_us) / 1000 : 0));
	log_info("restore: the machine's state took %llu ms to the stream's end (vCPUs %llu, devices %llu); then %llu ms to stop the populator, %llu ms for the clock.",
		 (unsigned long long)(s.state_us ? (t_read - s.state_us) / 1000 : 0),
		 (unsigned long long)(s.vcpu_us / 1000),
		 (unsigned long long)(s.device_us / 1000),
		 (unsigned long long)((t_end - t_read) / 1000),
		 (unsigned long long)((monotime_us() - t_end) / 1000));
	if (rc)
		snprintf(why, SAVE_WHY_MAX,
			 "KVM did not take the restored clock (KVMCLOCK_CTRL): %s.",
			 strerror(-rc));
	return rc;
}

void restore_done(struct vm *vm)
{
	restore_huge_pages(vm, true);
}
