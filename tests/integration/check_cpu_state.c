// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hypervisor/x86/cpu_state.c on /dev/kvm: a running test guest saved
 * into a stream (RAM, the VM record, every VCPU record) and restored
 * into a second VM built the same way, which must carry on where the
 * first stopped; and the refusals a hostile or foreign VCPU record
 * meets. Devices are not saved here: the dirty guest only writes to a
 * polled COM1, which a fresh UART serves as well.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "runner.h"
#include "stream.h"
#include "vcpu.h"
#include "vmm.h"
#include "x86/cpu_state.h"
#include "x86/cpuid.h"

#define GUEST_RAM (16ULL << 20)
#define OUT_MAX (256 * 1024)

/* COM1's output of both VMs, one after the other: one guest's story. */
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static char out[OUT_MAX + 1];
static size_t out_len;

static void be_output(void *opaque, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&out_lock);
	if (out_len + len <= OUT_MAX) {
		memcpy(out + out_len, buf, len);
		out_len += len;
		out[out_len] = '\0';
	}
	pthread_mutex_unlock(&out_lock);
}

static const struct ns8250_backend be = { .output = be_output };

static struct event_base *base;

static void setup(void)
{
	ck_assert_int_eq(evthread_use_pthreads(), 0);
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	out_len = 0;
	out[0] = '\0';
}

static void teardown(void)
{
	event_base_free(base);
}

static struct vm *guest_vm(const char *name, unsigned vcpus)
{
	char rel[64];
	struct vm_config cfg = { .ram_size = GUEST_RAM, .nr_vcpus = vcpus,
				 .console = &be };
	struct vm *vm = NULL;

	snprintf(rel, sizeof(rel), "tests/guests/%s.bin", name);
	cfg.kernel = harness_path(rel);
	ck_assert_int_eq(vm_new(&cfg, base, &vm), 0);
	return vm;
}

/*
 * The dirty guest's heartbeats in out[0..len): the last beat number
 * (0 if none), and false if the beats do not count up one by one from 1
 * or any says a page lost what the previous pass wrote.
 */
static bool beats(size_t len, uint64_t *last)
{
	const char *p = out, *end = out + len;
	uint64_t want = 1;

	*last = 0;
	while (p < end && (p = strstr(p, "dirty beat=")) && p < end) {
		unsigned long long beat, pass, pages, errors;
		const char *eol = strchr(p, '\n');

		if (!eol || eol >= end)
			break; /* the line being written */
		if (sscanf(p, "dirty beat=%llu pass=%llu pages=%llu errors=%llu",
			   &beat, &pass, &pages, &errors) != 4 ||
		    beat != want || errors != 0)
			return false;
		*last = beat;
		want++;
		p = eol;
	}
	return true;
}

static size_t out_now(void)
{
	size_t n;

	pthread_mutex_lock(&out_lock);
	n = out_len;
	pthread_mutex_unlock(&out_lock);
	return n;
}

/* Wait until the guest printed beat @n; false after a minute. */
static bool wait_beat(uint64_t n)
{
	long long until = harness_now_ms() + 60000;
	struct timespec ts = { 0, 10 * 1000000 };
	uint64_t last;

	while (harness_now_ms() < until) {
		pthread_mutex_lock(&out_lock);
		ck_assert_msg(beats(out_len, &last),
			      "the dirty guest's heartbeats went wrong:\n%s",
			      out);
		pthread_mutex_unlock(&out_lock);
		if (last >= n)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/* HEADER, RAM, VM and every VCPU record of the paused @vm, then END. */
static void save(struct vm *vm, int fd)
{
	struct stream_writer *sw = stream_writer_new(fd);
	struct json_object *h = json_object_new_object();
	struct json_object *host = json_object_new_object();
	struct json_object *ram = json_object_new_array();
	const char *text;

	ck_assert_ptr_nonnull(sw);
	ck_assert_int_eq(cpu_state_host_facts(vm, host), 0);
	for (unsigned i = 0; i < vm->nr_ram; i++) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "gpa",
				       json_object_new_int64(
					       (int64_t)vm->ram[i].gpa));
		json_object_object_add(r, "size",
				       json_object_new_int64(
					       (int64_t)vm->ram[i].size));
		json_object_array_add(ram, r);
	}
	json_object_object_add(h, "writer", json_object_new_string("test"));
	json_object_object_add(h, "host", host);
	json_object_object_add(h, "vcpus",
			       json_object_new_int((int)vm->nr_vcpus));
	json_object_object_add(h, "ram", ram);
	json_object_object_add(h, "config", json_object_new_object());
	text = json_object_to_json_string(h);

	ck_assert_int_eq(stream_write_preamble(sw), 0);
	ck_assert_int_eq(stream_write_header(sw, text, strlen(text)), 0);
	for (unsigned i = 0; i < vm->nr_ram; i++)
		ck_assert_int_eq(stream_write_ram_run(sw, vm->ram[i].gpa,
						      vm->ram[i].hva,
						      vm->ram[i].size,
						      STREAM_ENC_LZ4),
				 0);
	ck_assert_int_eq(cpu_state_save_vm(vm, sw), 0);
	for (unsigned i = 0; i < vm->nr_vcpus; i++)
		ck_assert_int_eq(cpu_state_save_vcpu(vm->vcpus[i], sw), 0);
	ck_assert_int_eq(stream_write_end(sw), 0);
	stream_writer_free(sw);
	json_object_put(h);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
}

/* A VCPU record's sub-records, copied out of the reader's buffer. */
struct saved_vcpu {
	uint8_t *p[STREAM_VCPU_TAG_MAX + 1];
	uint32_t len[STREAM_VCPU_TAG_MAX + 1];
};

struct restore {
	struct vm *vm;
	uint64_t tsc; /* vCPU 0's, for every vCPU */
	int64_t xsave_size;
	/* Set: only copy vCPU 0's record here, restore nothing. */
	struct saved_vcpu *keep;
	char why[CPU_STATE_WHY_MAX];
};

static int on_header(void *opaque, struct stream_reader *r,
		     const struct stream_header *h)
{
	struct restore *x = opaque;

	x->xsave_size = h->xsave_size;
	if (x->keep)
		return 0;
	if (cpu_state_check_host(x->vm, h, x->why))
		return stream_reader_fail(r, "%s", x->why);
	return 0;
}

static void *on_ram_map(void *opaque, uint64_t gpa, uint64_t len)
{
	struct restore *x = opaque;

	return vm_gpa_to_hva(x->vm, gpa, len);
}

static int on_vm(void *opaque, struct stream_reader *r,
		 const struct stream_tlvs *t)
{
	struct restore *x = opaque;

	if (!x->keep && cpu_state_restore_vm(x->vm, t, x->why))
		return stream_reader_fail(r, "%s", x->why);
	return 0;
}

static int on_vcpu(void *opaque, struct stream_reader *r, uint32_t index,
		   const struct stream_tlvs *t)
{
	struct restore *x = opaque;

	if (index == 0 && cpu_state_vcpu_tsc(t, &x->tsc))
		return stream_reader_fail(r, "vCPU 0's record has no IA32_TSC.");
	if (x->keep) {
		for (unsigned tag = 1; index == 0 && tag <= STREAM_VCPU_TAG_MAX;
		     tag++) {
			x->keep->p[tag] = malloc(t->len[tag] + 1);
			ck_assert_ptr_nonnull(x->keep->p[tag]);
			memcpy(x->keep->p[tag], t->p[tag], t->len[tag]);
			x->keep->len[tag] = t->len[tag];
		}
		return 0;
	}
	if (index >= x->vm->nr_vcpus)
		return stream_reader_fail(r, "no vCPU %u here.", index);
	if (cpu_state_restore_vcpu(x->vm->vcpus[index], t, x->tsc,
				   x->xsave_size, x->why))
		return stream_reader_fail(r, "%s", x->why);
	return 0;
}

static const struct stream_ops restore_ops = {
	.header = on_header,
	.ram_map = on_ram_map,
	.vm = on_vm,
	.vcpu = on_vcpu,
};

/* vCPU @v's IA32_TSC, as KVM reads it now. */
static uint64_t vcpu_tsc(struct vm *vm, unsigned v)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} req = { .hdr.nmsrs = 1, .e.index = 0x10 };

	ck_assert_int_eq(ioctl(vm->vcpus[v]->fd, KVM_GET_MSRS, &req), 1);
	return req.e.data;
}

static uint32_t vcpu_mp_state(struct vm *vm, unsigned v)
{
	struct kvm_mp_state mp;

	ck_assert_int_eq(ioctl(vm->vcpus[v]->fd, KVM_GET_MP_STATE, &mp), 0);
	return mp.mp_state;
}

static uint64_t vm_clock(struct vm *vm)
{
	struct kvm_clock_data c = { 0 };

	ck_assert_int_eq(ioctl(vm->vm_fd, KVM_GET_CLOCK, &c), 0);
	return c.clock;
}

/*
 * The dirty guest on two vCPUs (the second waits for a SIPI that never
 * comes) runs a few heartbeats, is paused and saved; a second VM takes
 * the stream and goes on: its heartbeats continue the first one's count,
 * and every page it checks through two whole passes holds what the
 * first VM's pass wrote, paced by the restored kvmclock.
 */
START_TEST(test_dirty_continues)
{
	struct restore x = { 0 };
	char err[STREAM_ERR_SIZE] = "";
	int fd = memfd_create("cpu_state", MFD_CLOEXEC);
	uint64_t saved_beat, last, clock, tsc0, tsc1, second;
	uint32_t mp1;
	size_t saved_len;
	struct vm *a, *b;
	int rc;

	ck_assert_int_ge(fd, 0);
	a = guest_vm("dirty", 2);
	ck_assert_int_eq(vm_start(a), 0);
	ck_assert_msg(wait_beat(5), "no fifth heartbeat:\n%s", out);
	ck_assert_int_eq(vm_pause(a), 0);
	saved_len = out_now();
	ck_assert(beats(saved_len, &saved_beat));
	clock = vm_clock(a);
	mp1 = vcpu_mp_state(a, 1);
	second = (uint64_t)ioctl(a->vcpus[0]->fd, KVM_GET_TSC_KHZ, 0) * 1000;
	save(a, fd);
	vm_request_exit(a, VM_EXIT_KILLED);
	ck_assert_int_eq(vm_run(a), VM_EXIT_KILLED);
	ck_assert_uint_eq(out_now(), saved_len);
	vm_free(a);

	b = guest_vm("dirty", 2);
	x.vm = b;
	rc = stream_read(fd, &restore_ops, &x, err, sizeof(err));
	ck_assert_msg(rc == 0, "restore failed (%d): %s", rc, err);
	/*
	 * kvmclock goes on from where it was; both vCPUs' TSCs from vCPU
	 * 0's saved one, with one offset.
	 */
	ck_assert_uint_ge(vm_clock(b), clock);
	ck_assert_uint_eq(vcpu_mp_state(b, 1), mp1);
	tsc0 = vcpu_tsc(b, 0);
	tsc1 = vcpu_tsc(b, 1);
	ck_assert_uint_gt(second, 0);
	ck_assert_uint_ge(tsc0, x.tsc);
	ck_assert_uint_lt(tsc0 - x.tsc, 60 * second);
	ck_assert_uint_lt(tsc1 > tsc0 ? tsc1 - tsc0 : tsc0 - tsc1, second);
	ck_assert_int_eq(cpu_state_resume(b), 0);
	ck_assert_int_eq(vm_start(b), 0);
	ck_assert_msg(wait_beat(saved_beat + 8),
		      "the restored guest stopped after beat %llu:\n%s",
		      (unsigned long long)saved_beat, out + saved_len);
	vm_request_exit(b, VM_EXIT_KILLED);
	ck_assert_int_eq(vm_run(b), VM_EXIT_KILLED);
	ck_assert(beats(out_now(), &last));
	ck_assert_uint_ge(last, saved_beat + 8);
	/* A restart would print its banner again. */
	ck_assert_ptr_null(strstr(out + saved_len, "pages/s"));
	vm_free(b);
	close(fd);
}
END_TEST

static void saved_free(struct saved_vcpu *s)
{
	for (unsigned tag = 0; tag <= STREAM_VCPU_TAG_MAX; tag++)
		free(s->p[tag]);
}

/* vCPU 0's record of a built, never started dirty guest; and its TSC. */
static void saved_record(struct saved_vcpu *s, struct restore *x)
{
	char err[STREAM_ERR_SIZE] = "";
	int fd = memfd_create("cpu_state", MFD_CLOEXEC);
	struct vm *a = guest_vm("dirty", 1);

	ck_assert_int_ge(fd, 0);
	memset(s, 0, sizeof(*s));
	save(a, fd);
	/* Its RAM comes back to where it came from. */
	x->vm = a;
	x->keep = s;
	ck_assert_msg(stream_read(fd, &restore_ops, x, err, sizeof(err)) == 0,
		      "%s", err);
	x->vm = NULL;
	vm_free(a);
	close(fd);
	ck_assert_ptr_nonnull(s->p[STREAM_VCPU_CPUID]);
}

/* Restore @s, with sub-record @tag replaced by @p (@len bytes), onto a
 * fresh VM; returns what cpu_state_restore_vcpu() did. */
static int restore_with(struct saved_vcpu *s, struct restore *x,
			unsigned tag, const uint8_t *p, uint32_t len)
{
	struct stream_tlvs t;
	struct vm *b = guest_vm("dirty", 1);
	int rc;

	for (unsigned i = 0; i <= STREAM_VCPU_TAG_MAX; i++) {
		t.p[i] = s->p[i];
		t.len[i] = s->len[i];
	}
	t.p[tag] = p;
	t.len[tag] = len;
	x->why[0] = '\0';
	rc = cpu_state_restore_vcpu(b->vcpus[0], &t, x->tsc, x->xsave_size,
				    x->why);
	vm_free(b);
	return rc;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * A saved CPUID that sets a leaf 7 EBX feature this host's KVM does not
 * have is refused with a sentence naming leaf, register and bit; the
 * record as saved restores.
 */
START_TEST(test_cpuid_feature_refused)
{
	struct restore x = { 0 };
	struct saved_vcpu s;
	struct kvm_cpuid2 *sup, *keel;
	struct kvm_cpuid_entry2 *e7;
	uint32_t n, len, allowed, bit;
	uint8_t *c;
	char want[64];
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	saved_record(&s, &x);
	ck_assert_int_eq(restore_with(&s, &x, STREAM_VCPU_CPUID,
				      s.p[STREAM_VCPU_CPUID],
				      s.len[STREAM_VCPU_CPUID]),
			 0);

	ck_assert_int_ge(kvm, 0);
	ck_assert_int_eq(cpuid_get_supported(kvm, &sup), 0);
	close(kvm);
	keel = cpuid_for_vcpu(sup, 0, 1);
	ck_assert_ptr_nonnull(keel);
	e7 = cpuid_find(sup, 7, 0);
	allowed = e7 ? e7->ebx : 0;
	e7 = cpuid_find(keel, 7, 0);
	allowed |= e7 ? e7->ebx : 0;
	free(keel);
	free(sup);

	len = s.len[STREAM_VCPU_CPUID];
	c = malloc(len);
	ck_assert_ptr_nonnull(c);
	memcpy(c, s.p[STREAM_VCPU_CPUID], len);
	n = le32(c);
	/*
	 * What this host's KVM reported for the saved vCPU is allowed too:
	 * on kvm_pvm that is the host CPU's own leaf, beyond KVM's table.
	 */
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *ent = c + 4 + 28 * i;

		if (le32(ent) == 7 && le32(ent + 4) == 0)
			allowed |= le32(ent + 16);
	}
	ck_assert_uint_ne(allowed, UINT32_MAX);
	bit = (uint32_t)__builtin_ctz(~allowed);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *ent = c + 4 + 28 * i;

		if (le32(ent) == 7 && le32(ent + 4) == 0)
			put_le32(ent + 16, le32(ent + 16) | 1U << bit);
	}
	ck_assert_int_eq(restore_with(&s, &x, STREAM_VCPU_CPUID, c, len),
			 -EINVAL);
	snprintf(want, sizeof(want), "leaf 0x7 EBX bit %u", bit);
	ck_assert_msg(strstr(x.why, want) && strstr(x.why, "vCPU 0") &&
			      strstr(x.why, "does not offer"),
		      "unexpected refusal: %s", x.why);
	free(c);
	saved_free(&s);
}
END_TEST

/* Counts a hostile stream makes up are refused before KVM sees them. */
START_TEST(test_hostile_counts_refused)
{
	struct restore x = { 0 };
	struct saved_vcpu s;
	uint32_t msrs = 2000, xcrs = KVM_MAX_XCRS + 1, cpuids = 5000;
	size_t msr_len = 8 + 16 * (size_t)msrs;
	uint8_t *m = calloc(1, msr_len), *xc = calloc(1, 4 + 16 * xcrs);
	uint8_t *cp = calloc(1, 4 + 28 * (size_t)cpuids);

	ck_assert(m && xc && cp);
	saved_record(&s, &x);
	put_le32(m, msrs);
	ck_assert_int_eq(restore_with(&s, &x, STREAM_VCPU_MSRS, m,
				      (uint32_t)msr_len),
			 -EINVAL);
	ck_assert_msg(strstr(x.why, "2000 MSRs"), "%s", x.why);
	put_le32(xc, xcrs);
	ck_assert_int_eq(restore_with(&s, &x, STREAM_VCPU_XCRS, xc,
				      4 + 16 * xcrs),
			 -EINVAL);
	ck_assert_msg(strstr(x.why, "17 XCRs"), "%s", x.why);
	put_le32(cp, cpuids);
	ck_assert_int_eq(restore_with(&s, &x, STREAM_VCPU_CPUID, cp,
				      4 + 28 * cpuids),
			 -EINVAL);
	ck_assert_msg(strstr(x.why, "5000 entries"), "%s", x.why);
	free(m);
	free(xc);
	free(cp);
	saved_free(&s);
}
END_TEST

/* A header from a host with a larger XSAVE area is refused first. */
START_TEST(test_check_host)
{
	struct vm *vm = guest_vm("dirty", 1);
	struct json_object *host = json_object_new_object();
	struct stream_header h = { .json = json_object_new_object() };
	char why[CPU_STATE_WHY_MAX] = "";
	struct json_object *v;

	ck_assert_int_eq(cpu_state_host_facts(vm, host), 0);
	ck_assert(json_object_object_get_ex(host, "xsave_size", &v));
	h.xsave_size = json_object_get_int64(v);
	ck_assert_int_ge(h.xsave_size, 4096);
	ck_assert(json_object_object_get_ex(host, "cpu_vendor", &v));
	ck_assert_uint_eq(strlen(json_object_get_string(v)), 12);
	json_object_object_add(h.json, "host", host);
	ck_assert_int_eq(cpu_state_check_host(vm, &h, why), 0);
	h.xsave_size += 4096;
	ck_assert_int_eq(cpu_state_check_host(vm, &h, why), -EINVAL);
	ck_assert_msg(strstr(why, "XSAVE area"), "%s", why);
	json_object_put(h.json);
	vm_free(vm);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("cpu_state");
	TCase *tc = tcase_create("kvm");

	runner_skip_reason = harness_kvm_missing();
	runner_wants_kvm = runner_skip_reason != NULL;
	if (!runner_skip_reason &&
	    !harness_have_file(harness_path("tests/guests/dirty.bin")))
		runner_skip_reason = "test guests are not built (make guest)";
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_check_host);
	tcase_add_test(tc, test_hostile_counts_refused);
	tcase_add_test(tc, test_cpuid_feature_refused);
	tcase_add_test(tc, test_dirty_continues);
	suite_add_tcase(s, tc);
	return s;
}
