// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One thread per vCPU running KVM_RUN and dispatching its exits: port
 * and MMIO accesses to the buses, guest-initiated shutdowns to the VM's
 * exit request. Another thread stops a vCPU with vcpu_kick(): it sets
 * kvm_run->immediate_exit (which covers a vCPU about to enter KVM_RUN)
 * and sends a signal (which covers one already inside it).
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hv_error.h"
#include "log.h"
#include "monotime.h"
#include "vcpu.h"
#include "vcpu_affinity.h"
#include "vm.h"
#include "x86/cpu.h"

/* Unclaimed accesses logged (at debug level) per vCPU before going quiet. */
#define VCPU_UNCLAIMED_LOG_MAX 16

static int vcpu_kick_signal(void)
{
	return SIGRTMIN;
}

static void vcpu_kick_handler(int sig)
{
	/* Its only job is to interrupt KVM_RUN. */
}

static pthread_once_t vcpu_signal_once = PTHREAD_ONCE_INIT;

static void vcpu_signal_setup(void)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler,
				.sa_flags = SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(vcpu_kick_signal(), &sa, NULL);
}

int vcpu_new(struct vm *vm, unsigned id, const struct kvm_cpuid2 *supported)
{
	struct vcpu *v;
	int rc;

	if (id >= KEEL_VCPUS_MAX || vm->vcpus[id])
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->vm = vm;
	v->id = id;
	v->run = MAP_FAILED;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0) {
		rc = -errno;
		hv_error("KVM could not create vCPU %u: %s.", id, strerror(-rc));
		goto out_free;
	}
	v->run = mmap(NULL, (size_t)vm->vcpu_mmap_size,
		      PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		rc = -errno;
		hv_error("Cannot map vCPU %u's run area: %s", id, strerror(-rc));
		goto out_free;
	}
	rc = cpu_init(v->fd, id, vm->nr_vcpus, supported);
	if (rc)
		goto out_free;
	rc = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
	v->tsc_khz = rc > 0 ? (uint32_t)rc : 0;
	rc = 0;
	vm->vcpus[id] = v;
	return 0;

out_free:
	vcpu_free(v);
	return rc;
}

void vcpu_free(struct vcpu *v)
{
	if (!v)
		return;
	if (v->run != MAP_FAILED)
		munmap(v->run, (size_t)v->vm->vcpu_mmap_size);
	if (v->fd >= 0)
		close(v->fd);
	free(v);
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->alive)
		return;
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, vcpu_kick_signal());
}

static void vcpu_count(_Atomic uint64_t *ctr)
{
	atomic_fetch_add_explicit(ctr, 1, memory_order_relaxed);
}

static void vcpu_unclaimed(struct vcpu *v, const char *bus, uint64_t addr,
			   unsigned len, bool write)
{
	vcpu_count(bus[0] == 'p' ? &v->unclaimed_pio : &v->unclaimed_mmio);
	if (v->unclaimed_logged >= VCPU_UNCLAIMED_LOG_MAX)
		return;
	v->unclaimed_logged++;
	log_debug("vcpu%u: unclaimed %s %s at 0x%llx, %u bytes", v->id, bus,
		  write ? "write" : "read", (unsigned long long)addr, len);
}

/*
 * Port I/O, possibly a string instruction (count > 1). KVM fills the
 * fields, but a bad offset would make us scribble past the mapping, so
 * they are checked like anything else.
 */
static int vcpu_handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint64_t size = run->io.size, count = run->io.count;
	uint64_t off = run->io.data_offset;
	uint64_t map = (uint64_t)v->vm->vcpu_mmap_size;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;
	uint8_t *data = (uint8_t *)run;

	if ((size != 1 && size != 2 && size != 4) || count == 0 ||
	    off > map || count > (map - off) / size) {
		hv_error("vcpu%u: KVM reported a malformed I/O exit", v->id);
		return -EINVAL;
	}
	for (uint64_t i = 0; i < count; i++) {
		uint8_t *p = data + off + i * size;

		if (!iobus_access(&v->vm->pio, run->io.port, p, (unsigned)size,
				  write))
			vcpu_unclaimed(v, "pio", run->io.port, (unsigned)size,
				       write);
	}
	return 0;
}

static int vcpu_handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned len = run->mmio.len;

	if (len == 0 || len > sizeof(run->mmio.data)) {
		hv_error("vcpu%u: KVM reported a malformed MMIO exit", v->id);
		return -EINVAL;
	}
	if (!iobus_access(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data,
			  len, run->mmio.is_write))
		vcpu_unclaimed(v, "mmio", run->mmio.phys_addr, len,
			       run->mmio.is_write);
	return 0;
}

static void vcpu_system_event(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vm_request_exit(v->vm, VM_EXIT_POWEROFF);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vm_request_exit(v->vm, VM_EXIT_REBOOT);
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		log_warn("vcpu%u: the guest reported a crash", v->id);
		vm_request_exit(v->vm, VM_EXIT_CRASH);
		break;
	default:
		log_warn("vcpu%u: ignoring system event %u", v->id,
			 run->system_event.type);
		break;
	}
}

/*
 * KVM's words on an internal error: the suberror and its data words (for
 * an emulation failure: flags, instruction length, instruction bytes),
 * which are what someone debugging the guest or the host needs.
 */
static void vcpu_log_internal_error(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned n = run->internal.ndata;
	char data[8 * 19 + 1] = "";
	size_t len = 0;

	if (n > 8)
		n = 8;
	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(data + len, sizeof(data) - len,
					" %016llx",
					(unsigned long long)run->internal
						.data[i]);
	hv_error("vcpu%u: KVM internal error, suberror %u, at rip 0x%llx; data:%s",
		 v->id, run->internal.suberror,
		 (unsigned long long)cpu_get_rip(v->fd), n ? data : " none");
}

/*
 * On hosts whose KVM emulates all of guest ring 0 (kvm_pvm,
 * docs/hypervisor.md) some instructions come back as emulation failures
 * because KVM's emulator does not know them in long mode. keel-hv
 * carries out the few a booting Linux needs, as the CPU would:
 *   int3 (cc)        step past it and deliver #BP, a trap (KVM only
 *                    emulates soft interrupts in real mode; Linux runs
 *                    one in its alternatives self-test);
 *   clac/stac (0f 01 ca/cb)   clear/set RFLAGS.AC (SMAP entry code).
 * Returns true if the failure was one of these and the guest can go on.
 */
#define RFLAGS_AC (1ULL << 18)

static bool vcpu_emulate_fallback(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct kvm_vcpu_events ev;
	struct kvm_regs regs;
	const uint8_t *insn;
	unsigned size;

	if (run->emulation_failure.suberror != KVM_INTERNAL_ERROR_EMULATION ||
	    run->emulation_failure.ndata < 2 ||
	    !(run->emulation_failure.flags &
	      KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES))
		return false;
	insn = run->emulation_failure.insn_bytes;
	size = run->emulation_failure.insn_size;
	if (size > sizeof(run->emulation_failure.insn_bytes))
		size = sizeof(run->emulation_failure.insn_bytes);
	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0)
		return false;
	if (size >= 1 && insn[0] == 0xcc) {
		if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) < 0)
			return false;
		regs.rip += 1;
		ev.exception.injected = 1;
		ev.exception.pending = 0;
		ev.exception.nr = 3; /* #BP */
		ev.exception.has_error_code = 0;
		ev.flags = 0;
		if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0 ||
		    ioctl(v->fd, KVM_SET_VCPU_EVENTS, &ev) < 0)
			return false;
		vcpu_count(&v->emulated_by_keel);
		return true;
	}
	if (size >= 3 && insn[0] == 0x0f && insn[1] == 0x01 &&
	    (insn[2] == 0xca || insn[2] == 0xcb)) {
		if (insn[2] == 0xca)
			regs.rflags &= ~RFLAGS_AC;
		else
			regs.rflags |= RFLAGS_AC;
		regs.rip += 3;
		if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
			return false;
		vcpu_count(&v->emulated_by_keel);
		return true;
	}
	return false;
}

/* Handle one exit. Returns false when the vCPU must stop. */
static bool vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t reason = run->exit_reason;

	vcpu_count(&v->exits[reason < VCPU_NR_EXIT_BUCKETS - 1 ?
				     reason :
				     VCPU_NR_EXIT_BUCKETS - 1]);
	switch (reason) {
	case KVM_EXIT_IO:
		if (vcpu_handle_io(v) == 0)
			return true;
		vm_request_exit(v->vm, VM_EXIT_ERROR);
		return false;
	case KVM_EXIT_MMIO:
		if (vcpu_handle_mmio(v) == 0)
			return true;
		vm_request_exit(v->vm, VM_EXIT_ERROR);
		return false;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC: just re-enter. */
		return true;
	case KVM_EXIT_SHUTDOWN: {
		char state[512];

		cpu_describe(v->fd, state, sizeof(state));
		log_warn("vcpu%u: triple fault (shutdown): %s", v->id, state);
		vm_request_exit(v->vm, VM_EXIT_CRASH);
		return false;
	}
	case KVM_EXIT_SYSTEM_EVENT:
		vcpu_system_event(v);
		return true;
	case KVM_EXIT_FAIL_ENTRY:
		hv_error("vcpu%u: KVM could not enter the guest (hardware reason 0x%llx)",
			 v->id,
			 (unsigned long long)run->fail_entry
				.hardware_entry_failure_reason);
		vm_request_exit(v->vm, VM_EXIT_CRASH);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		if (vcpu_emulate_fallback(v))
			return true;
		vcpu_log_internal_error(v);
		vm_request_exit(v->vm, VM_EXIT_CRASH);
		return false;
	default:
		hv_error("vcpu%u: unexpected KVM exit %u", v->id, reason);
		vm_request_exit(v->vm, VM_EXIT_CRASH);
		return false;
	}
}

/* Wait, off KVM_RUN, while the VM is paused. */
static void vcpu_park(struct vcpu *v)
{
	struct vm *vm = v->vm;

	pthread_mutex_lock(&vm->run_lock);
	vm->nr_parked++;
	pthread_cond_broadcast(&vm->run_cond);
	while (atomic_load(&vm->pause_requested) &&
	       atomic_load(&vm->exit_reason) == VM_EXIT_NONE)
		pthread_cond_wait(&vm->run_cond, &vm->run_lock);
	vm->nr_parked--;
	pthread_mutex_unlock(&vm->run_lock);
}

/* The throttle's tick (I/O thread): each vCPU owes its share of sleep. */
static void vcpu_throttle_tick(evutil_socket_t fd, short what, void *arg)
{
	struct vm *vm = arg;

	pthread_mutex_lock(&vm->run_lock);
	for (unsigned i = 0; i < KEEL_VCPUS_MAX; i++) {
		if (!vm->vcpus[i])
			continue;
		atomic_store(&vm->vcpus[i]->throttle_due, true);
		vcpu_kick(vm->vcpus[i]);
	}
	pthread_mutex_unlock(&vm->run_lock);
}

int vcpu_throttle_set(struct vm *vm, unsigned pct)
{
	struct timeval tv = { 0, VCPU_THROTTLE_MS * 1000 };

	if (pct > VCPU_THROTTLE_MAX)
		pct = VCPU_THROTTLE_MAX;
	if (!vm->throttle_ev) {
		if (!pct)
			return 0;
		/* Its first use; the I/O thread's loop runs it from now. */
		vm->throttle_ev = event_new(vm->evbase, -1, EV_PERSIST,
					    vcpu_throttle_tick, vm);
		if (!vm->throttle_ev)
			return -ENOMEM;
	}
	atomic_store(&vm->throttle_pct, pct);
	if (pct)
		return event_add(vm->throttle_ev, &tv) ? -ENOMEM : 0;
	event_del(vm->throttle_ev);
	return 0;
}

unsigned vcpu_throttle_get(struct vm *vm)
{
	return atomic_load(&vm->throttle_pct);
}

/* Sleep the throttle's share of a period, if a tick asked for it. */
static void vcpu_throttle_sleep(struct vcpu *v)
{
	unsigned pct;
	struct timespec ts;

	if (!atomic_exchange(&v->throttle_due, false))
		return;
	pct = atomic_load(&v->vm->throttle_pct);
	if (!pct)
		return;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)pct * VCPU_THROTTLE_MS * 1000000L / 100;
	nanosleep(&ts, NULL);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	char name[16];
	sigset_t set;

	snprintf(name, sizeof(name), "vcpu%u", v->id);
	pthread_setname_np(pthread_self(), name);
	sigemptyset(&set);
	sigaddset(&set, vcpu_kick_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	/* Pinned before the first guest instruction, or not run at all. */
	if (vcpu_affinity_enter(v))
		vm_request_exit(vm, VM_EXIT_ERROR);

	for (;;) {
		uint64_t t0;
		int rc;

		if (atomic_load(&vm->exit_reason) != VM_EXIT_NONE)
			break;
		vcpu_throttle_sleep(v);
		/*
		 * KVM finishes a port or MMIO access (the value of an IN
		 * into RAX, RIP past the instruction) only at the next
		 * KVM_RUN. A vCPU parked before that would be saved, or
		 * inspected, half way through an instruction, and the
		 * completion is in no state KVM lets userspace read. So
		 * one more KVM_RUN with immediate_exit set completes it
		 * and returns EINTR before any guest instruction runs
		 * (api.rst, KVM_EXIT_IO); only then does the vCPU park.
		 */
		if (atomic_load(&vm->pause_requested)) {
			if (!v->completion_pending) {
				vcpu_park(v);
				continue;
			}
			__atomic_store_n(&v->run->immediate_exit, 1,
					 __ATOMIC_SEQ_CST);
		}
		t0 = monotime_ns();
		atomic_store_explicit(&v->run_since, t0, memory_order_relaxed);
		rc = ioctl(v->fd, KVM_RUN, 0);
		atomic_store_explicit(&v->run_since, 0, memory_order_relaxed);
		atomic_fetch_add_explicit(&v->run_ns, monotime_ns() - t0,
					  memory_order_relaxed);
		if (rc < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				/* KVM completed the access before it said so. */
				v->completion_pending = false;
				/*
				 * Clear before re-checking the requests: a
				 * kick that lands after this store is seen
				 * by the next KVM_RUN.
				 */
				__atomic_store_n(&v->run->immediate_exit, 0,
						 __ATOMIC_SEQ_CST);
				vcpu_count(&v->exits[KVM_EXIT_INTR]);
				continue;
			}
			hv_error("vcpu%u: KVM_RUN failed: %s", v->id,
				 strerror(errno));
			vm_request_exit(vm, VM_EXIT_ERROR);
			break;
		}
		v->completion_pending = v->run->exit_reason == KVM_EXIT_IO ||
					v->run->exit_reason == KVM_EXIT_MMIO;
		if (!vcpu_handle_exit(v))
			break;
	}

	pthread_mutex_lock(&vm->run_lock);
	vm->nr_running--;
	pthread_cond_broadcast(&vm->run_cond);
	pthread_mutex_unlock(&vm->run_lock);
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	struct vm *vm = v->vm;
	sigset_t all, old;
	int rc;

	pthread_once(&vcpu_signal_once, vcpu_signal_setup);
	/* The thread inherits a full mask and unblocks only the kick. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_mutex_lock(&vm->run_lock);
	rc = -pthread_create(&v->thread, NULL, vcpu_thread, v);
	if (!rc) {
		v->alive = true;
		v->started = true;
		vm->nr_running++;
	}
	pthread_mutex_unlock(&vm->run_lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		hv_error("Cannot start the thread of vCPU %u: %s", v->id,
			 strerror(-rc));
	return rc;
}

void vcpu_join(struct vcpu *v)
{
	if (!v || !v->started)
		return;
	/* No kick may target the thread once it can have been joined. */
	pthread_mutex_lock(&v->vm->run_lock);
	v->alive = false;
	pthread_mutex_unlock(&v->vm->run_lock);
	pthread_join(v->thread, NULL);
	v->started = false;
}

static const char *const vcpu_exit_names[VCPU_NR_EXIT_BUCKETS] = {
	[KVM_EXIT_UNKNOWN] = "unknown",
	[KVM_EXIT_EXCEPTION] = "exception",
	[KVM_EXIT_IO] = "io",
	[KVM_EXIT_HYPERCALL] = "hypercall",
	[KVM_EXIT_DEBUG] = "debug",
	[KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
	[KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry",
	[KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_SET_TPR] = "set_tpr",
	[KVM_EXIT_TPR_ACCESS] = "tpr_access",
	[KVM_EXIT_NMI] = "nmi",
	[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_SYSTEM_EVENT] = "system_event",
	[VCPU_NR_EXIT_BUCKETS - 1] = "other",
};

/*
 * The CPU time the vCPU's thread has used (guest and host mode), in ns,
 * read through its thread CPU clock: run_ns counts the wall time in
 * KVM_RUN, which goes on while a halted guest sleeps there, so it
 * cannot give a CPU share. Under run_lock, so that the thread is not
 * joined under us; 0 and false once it has gone.
 */
static bool vcpu_cpu_ns(struct vcpu *v, uint64_t *ns)
{
	struct timespec ts;
	clockid_t clk;
	bool ok = false;

	pthread_mutex_lock(&v->vm->run_lock);
	if (v->alive && !pthread_getcpuclockid(v->thread, &clk) &&
	    !clock_gettime(clk, &ts)) {
		*ns = (uint64_t)ts.tv_sec * 1000000000ULL +
		      (uint64_t)ts.tv_nsec;
		ok = true;
	}
	pthread_mutex_unlock(&v->vm->run_lock);
	return ok;
}

int vcpu_stats(struct vcpu *v, struct json_object *out)
{
	uint64_t cpu_ns = 0;
	bool alive = vcpu_cpu_ns(v, &cpu_ns);
	struct json_object *exits = json_object_new_object();
	uint64_t since = atomic_load(&v->run_since);
	uint64_t run_ns = atomic_load(&v->run_ns);

	if (!exits)
		return -ENOMEM;
	for (unsigned i = 0; i < VCPU_NR_EXIT_BUCKETS; i++) {
		uint64_t n = atomic_load_explicit(&v->exits[i],
						  memory_order_relaxed);
		char other[16];
		const char *name = vcpu_exit_names[i];

		if (!n)
			continue;
		if (!name) {
			snprintf(other, sizeof(other), "exit_%u", i);
			name = other;
		}
		json_object_object_add(exits, name,
				       json_object_new_uint64(n));
	}
	json_object_object_add(out, "id", json_object_new_int((int)v->id));
	json_object_object_add(out, "emulated_by_keel",
			       json_object_new_uint64(atomic_load(
				       &v->emulated_by_keel)));
	/* Count the KVM_RUN in progress too: a guest may stay in for long. */
	if (since) {
		uint64_t now = monotime_ns();

		run_ns += now > since ? now - since : 0;
	}
	json_object_object_add(out, "run_ns", json_object_new_uint64(run_ns));
	json_object_object_add(out, "cpu_ns", json_object_new_uint64(cpu_ns));
	/* vCPU hot-plug adds "offline" for a vCPU the guest has not got. */
	json_object_object_add(out, "state", json_object_new_string(
					     alive ? "running" : "stopped"));
	json_object_object_add(out, "exits", exits);
	json_object_object_add(
		out, "unclaimed_pio",
		json_object_new_uint64(atomic_load(&v->unclaimed_pio)));
	json_object_object_add(
		out, "unclaimed_mmio",
		json_object_new_uint64(atomic_load(&v->unclaimed_mmio)));
	return 0;
}
