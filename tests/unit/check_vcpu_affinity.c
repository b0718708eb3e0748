// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hypervisor/vcpu_affinity.c on real threads, without KVM: stand-in
 * vCPU threads start as keel-hv's do (vcpu_affinity_enter() first), and
 * the kernel's own word on each thread, /proc/self/task/TID/status's
 * Cpus_allowed_list, must follow --cpus and vcpu-pin. The pins use the
 * CPUs this machine has, so the suite means the same on one CPU as on
 * many (on one, a move between CPUs cannot be seen, and is skipped).
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpumap.h"
#include "fake_vm.h"
#include "runner.h"
#include "vcpu.h"
#include "vcpu_affinity.h"
#include "vm.h"

static struct vm *vm;
static struct cpumap host;
static unsigned host_cpu[2];	/* the first two CPUs we may use */
static unsigned nr_host;
static atomic_bool stop;
static atomic_int entered;

static void *stand_in(void *arg)
{
	struct vcpu *v = arg;

	ck_assert_int_eq(vcpu_affinity_enter(v), 0);
	atomic_fetch_add(&entered, 1);
	while (!atomic_load(&stop))
		usleep(1000);
	return NULL;
}

static struct vcpu *add_vcpu(unsigned id)
{
	struct vcpu *v = calloc(1, sizeof(*v));

	ck_assert_ptr_nonnull(v);
	v->vm = vm;
	v->id = id;
	vm->vcpus[id] = v;
	vm->nr_vcpus = id + 1 > vm->nr_vcpus ? id + 1 : vm->nr_vcpus;
	return v;
}

/* Start @v's thread and wait until it has applied its pinning. */
static void start_vcpu(struct vcpu *v)
{
	int before = atomic_load(&entered);

	ck_assert_int_eq(pthread_create(&v->thread, NULL, stand_in, v), 0);
	v->started = true;
	while (atomic_load(&entered) == before)
		usleep(1000);
}

static void setup(void)
{
	vm = fake_vm_new();
	atomic_store(&stop, false);
	atomic_store(&entered, 0);
	ck_assert_int_eq(cpumap_host(&host), 0);
	nr_host = 0;
	for (unsigned c = 0; c < CPUMAP_MAX_CPUS && nr_host < 2; c++)
		if (cpumap_test(&host, c))
			host_cpu[nr_host++] = c;
}

static void teardown(void)
{
	atomic_store(&stop, true);
	for (unsigned i = 0; i < KEEL_VCPUS_MAX; i++) {
		struct vcpu *v = vm->vcpus[i];

		if (!v)
			continue;
		if (v->started)
			pthread_join(v->thread, NULL);
		vm->vcpus[i] = NULL;
		free(v);
	}
	fake_vm_free(vm);
}

/* What the kernel says thread @v may run on. */
static const char *allowed(const struct vcpu *v)
{
	static char list[CPUMAP_TEXT_MAX];
	char path[64], line[CPUMAP_TEXT_MAX + 32];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status",
		 atomic_load(&v->tid));
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	list[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Cpus_allowed_list: %4095s", list) == 1)
			break;
	fclose(f);
	ck_assert_msg(list[0], "%s has no Cpus_allowed_list", path);
	return list;
}

static struct cpumap one_cpu(unsigned cpu)
{
	struct cpumap m;

	cpumap_zero(&m);
	cpumap_set(&m, cpu);
	return m;
}

static const char *text_of(const struct cpumap *m)
{
	static char text[CPUMAP_TEXT_MAX];

	return cpumap_format(m, text, sizeof(text));
}

/* --cpus: the thread is pinned as it starts, before anything else. */
START_TEST(test_pinned_from_start)
{
	struct vcpu *v0 = add_vcpu(0), *v1 = add_vcpu(1);
	struct cpumap last = one_cpu(host_cpu[nr_host - 1]);
	char want[16];

	vcpu_affinity_init(v0, &last);
	start_vcpu(v0);
	start_vcpu(v1);
	snprintf(want, sizeof(want), "%u", host_cpu[nr_host - 1]);
	ck_assert_str_eq(allowed(v0), want);
	/* An unpinned vCPU runs wherever keel-hv may. */
	ck_assert_str_eq(allowed(v1), text_of(&host));
	ck_assert_int_ne(atomic_load(&v0->tid), atomic_load(&v1->tid));
	ck_assert_int_ne(atomic_load(&v0->tid), (int)getpid());
}
END_TEST

/* vcpu-pin: the running thread's affinity follows, then comes back. */
START_TEST(test_pin_follows)
{
	struct vcpu *v0 = add_vcpu(0), *v1 = add_vcpu(1);
	struct cpumap m = one_cpu(host_cpu[0]);
	char buf[CPUMAP_ERR_MAX], want[16];
	const char *msg = NULL;

	start_vcpu(v0);
	start_vcpu(v1);
	ck_assert_int_eq(vm_vcpu_pin(vm, 0, &m, buf, &msg), 0);
	snprintf(want, sizeof(want), "%u", host_cpu[0]);
	ck_assert_str_eq(allowed(v0), want);
	ck_assert_str_eq(allowed(v1), text_of(&host));
	if (nr_host > 1) {
		m = one_cpu(host_cpu[1]);
		ck_assert_int_eq(vm_vcpu_pin(vm, 0, &m, buf, &msg), 0);
		snprintf(want, sizeof(want), "%u", host_cpu[1]);
		ck_assert_str_eq(allowed(v0), want);
	}
	/* Every vCPU at once, then back to every CPU. */
	m = one_cpu(host_cpu[0]);
	ck_assert_int_eq(vm_vcpu_pin(vm, -1, &m, buf, &msg), 0);
	snprintf(want, sizeof(want), "%u", host_cpu[0]);
	ck_assert_str_eq(allowed(v0), want);
	ck_assert_str_eq(allowed(v1), want);
	ck_assert_int_eq(vm_vcpu_pin(vm, -1, &host, buf, &msg), 0);
	ck_assert_str_eq(allowed(v0), text_of(&host));
	ck_assert_str_eq(allowed(v1), text_of(&host));
}
END_TEST

/* A pin that comes before the thread is applied when it starts. */
START_TEST(test_pin_before_start)
{
	struct vcpu *v0 = add_vcpu(0);
	struct cpumap m = one_cpu(host_cpu[nr_host - 1]);
	char buf[CPUMAP_ERR_MAX], want[16];
	const char *msg = NULL;

	ck_assert_int_eq(vm_vcpu_pin(vm, 0, &m, buf, &msg), 0);
	start_vcpu(v0);
	snprintf(want, sizeof(want), "%u", host_cpu[nr_host - 1]);
	ck_assert_str_eq(allowed(v0), want);
}
END_TEST

/* Refused: nothing moves, and the reason is a sentence. */
START_TEST(test_refusals)
{
	struct vcpu *v0 = add_vcpu(0);
	struct cpumap m = one_cpu(host_cpu[0]), lacking;
	char buf[CPUMAP_ERR_MAX], want[16];
	const char *msg = NULL;

	start_vcpu(v0);
	ck_assert_int_eq(vm_vcpu_pin(vm, 0, &m, buf, &msg), 0);
	cpumap_zero(&lacking);
	cpumap_set(&lacking, CPUMAP_MAX_CPUS - 1);
	cpumap_set(&lacking, host_cpu[0]);
	ck_assert_int_eq(vm_vcpu_pin(vm, 0, &lacking, buf, &msg), -EINVAL);
	ck_assert_msg(strstr(msg, "This host has no CPU 1023 that keel may use"),
		      "%s", msg);
	ck_assert_int_eq(vm_vcpu_pin(vm, -1, &lacking, buf, &msg), -EINVAL);
	ck_assert_int_eq(vm_vcpu_pin(vm, 5, &host, buf, &msg), -ENOENT);
	ck_assert_str_eq(msg, "This VM has no vCPU 5.");
	snprintf(want, sizeof(want), "%u", host_cpu[0]);
	ck_assert_str_eq(allowed(v0), want);
}
END_TEST

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s", key);
	return v;
}

/* vcpus: each vCPU's thread as the kernel sees it. */
START_TEST(test_info)
{
	struct vcpu *v0 = add_vcpu(0);
	struct cpumap m = one_cpu(host_cpu[0]);
	struct json_object *list, *o;
	char buf[CPUMAP_ERR_MAX], want[16];
	const char *msg = NULL, *state;
	int cpu;

	add_vcpu(1); /* never started: offline */
	start_vcpu(v0);
	ck_assert_int_eq(vm_vcpu_pin(vm, 0, &m, buf, &msg), 0);
	ck_assert_int_eq(vm_vcpus_info(vm, false, &list), 0);
	ck_assert_uint_eq(json_object_array_length(list), 2);
	o = json_object_array_get_idx(list, 0);
	ck_assert_int_eq(json_object_get_int(member(o, "id")), 0);
	ck_assert_int_eq(json_object_get_int(member(o, "tid")),
			 atomic_load(&v0->tid));
	cpu = json_object_get_int(member(o, "cpu"));
	ck_assert_msg(cpumap_test(&host, (unsigned)cpu), "cpu %d", cpu);
	state = json_object_get_string(member(o, "state"));
	ck_assert_msg(!strcmp(state, "blocked") || !strcmp(state, "running"),
		      "%s", state);
	ck_assert(json_object_get_double(member(o, "time")) >= 0);
	snprintf(want, sizeof(want), "%u", host_cpu[0]);
	ck_assert_str_eq(json_object_get_string(member(o, "affinity")), want);
	o = json_object_array_get_idx(list, 1);
	ck_assert_str_eq(json_object_get_string(member(o, "state")),
			 "offline");
	ck_assert_ptr_null(member(o, "tid"));
	ck_assert_ptr_null(member(o, "cpu"));
	ck_assert_str_eq(json_object_get_string(member(o, "affinity")),
			 text_of(&host));
	json_object_put(list);
	ck_assert_int_eq(vm_vcpus_info(vm, true, &list), 0);
	o = json_object_array_get_idx(list, 0);
	ck_assert_str_eq(json_object_get_string(member(o, "state")), "paused");
	json_object_put(list);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vcpu_affinity");
	TCase *tc = tcase_create("vcpu_affinity");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pinned_from_start);
	tcase_add_test(tc, test_pin_follows);
	tcase_add_test(tc, test_pin_before_start);
	tcase_add_test(tc, test_refusals);
	tcase_add_test(tc, test_info);
	suite_add_tcase(s, tc);
	return s;
}
