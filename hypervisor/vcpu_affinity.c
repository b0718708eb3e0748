// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vCPU threads' host CPUs (vcpu_affinity.h). A vCPU's pinning is kept
 * in its struct vcpu under one lock, which its thread also takes when it
 * starts: a vcpu-pin that comes before the thread applies its pinning
 * is then applied by the thread, one that comes after by us, and no
 * order of the two loses it.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hv_error.h"
#include "vcpu.h"
#include "vcpu_affinity.h"
#include "vm.h"

static pthread_mutex_t affinity_lock = PTHREAD_MUTEX_INITIALIZER;

void vcpu_affinity_init(struct vcpu *v, const struct cpumap *cpus)
{
	pthread_mutex_lock(&affinity_lock);
	v->affinity = *cpus;
	v->pinned = true;
	pthread_mutex_unlock(&affinity_lock);
}

int vcpu_affinity_enter(struct vcpu *v)
{
	char text[CPUMAP_TEXT_MAX];
	cpu_set_t set;
	int rc = 0;

	pthread_mutex_lock(&affinity_lock);
	atomic_store(&v->tid, (int)gettid());
	if (v->pinned) {
		cpumap_to_cpuset(&v->affinity, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			rc = -errno;
	}
	if (rc)
		hv_error("vCPU %u cannot be pinned to host CPUs %s: %s.", v->id,
			 cpumap_format(&v->affinity, text, sizeof(text)),
			 strerror(-rc));
	pthread_mutex_unlock(&affinity_lock);
	return rc;
}

/* Under affinity_lock: give @v @cpus, now if its thread runs. */
static int vcpu_affinity_apply(struct vcpu *v, const struct cpumap *cpus)
{
	cpu_set_t set;
	int rc = 0;

	if (v->started && atomic_load(&v->tid)) {
		cpumap_to_cpuset(cpus, &set);
		rc = -pthread_setaffinity_np(v->thread, sizeof(set), &set);
	}
	if (!rc) {
		v->affinity = *cpus;
		v->pinned = true;
	}
	return rc;
}

int vm_vcpu_pin(struct vm *vm, int id, const struct cpumap *cpus,
		char *buf, const char **msg)
{
	struct cpumap host, old[KEEL_VCPUS_MAX];
	bool was_pinned[KEEL_VCPUS_MAX];
	unsigned first = id < 0 ? 0 : (unsigned)id;
	unsigned end = id < 0 ? KEEL_VCPUS_MAX : (unsigned)id + 1;
	int rc = cpumap_host(&host);

	if (rc) {
		*msg = "keel-hv cannot read the host CPUs it may use.";
		return rc;
	}
	if (cpumap_check_host(cpus, &host, buf)) {
		*msg = buf;
		return -EINVAL;
	}
	if (id >= KEEL_VCPUS_MAX || (id >= 0 && !vm->vcpus[id])) {
		snprintf(buf, CPUMAP_ERR_MAX, "This VM has no vCPU %d.", id);
		*msg = buf;
		return -ENOENT;
	}
	pthread_mutex_lock(&affinity_lock);
	for (unsigned i = first; i < end && !rc; i++) {
		struct vcpu *v = vm->vcpus[i];

		if (!v)
			continue;
		old[i] = v->affinity;
		was_pinned[i] = v->pinned;
		rc = vcpu_affinity_apply(v, cpus);
		if (!rc)
			continue;
		/* All or nothing: put back the ones already moved. */
		for (unsigned j = first; j < i; j++) {
			if (!vm->vcpus[j])
				continue;
			vcpu_affinity_apply(vm->vcpus[j], &old[j]);
			vm->vcpus[j]->pinned = was_pinned[j];
		}
		snprintf(buf, CPUMAP_ERR_MAX,
			 "The kernel refused to move vCPU %u: %s.", i,
			 strerror(-rc));
		*msg = buf;
	}
	pthread_mutex_unlock(&affinity_lock);
	return rc;
}

/*
 * Fields 3 (state) and 39 (processor) of /proc/self/task/@tid/stat.
 * Returns 0, or -errno when the thread is gone.
 */
static int task_stat(int tid, char *state, int *cpu)
{
	char path[64], line[1024], *p;
	FILE *f;
	int field = 3;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	p = fgets(line, sizeof(line), f);
	fclose(f);
	/* The name in parentheses may hold spaces: start after the last ')'. */
	p = p ? strrchr(line, ')') : NULL;
	if (!p || p[1] != ' ')
		return -EINVAL;
	p += 2;
	*state = *p;
	for (; *p && field < 39; p++)
		if (*p == ' ')
			field++;
	if (field != 39)
		return -EINVAL;
	*cpu = (int)strtol(p, NULL, 10);
	return 0;
}

static double thread_seconds(pthread_t thread)
{
	struct timespec ts;
	clockid_t clock;

	if (pthread_getcpuclockid(thread, &clock) ||
	    clock_gettime(clock, &ts))
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct json_object *vcpu_info(struct vcpu *v, bool paused,
				     const struct cpumap *host)
{
	struct json_object *o = json_object_new_object();
	char text[CPUMAP_TEXT_MAX], state = 0;
	int tid = atomic_load(&v->tid), cpu = -1;
	struct cpumap affinity = v->pinned ? v->affinity : *host;
	bool live = v->started && tid && !task_stat(tid, &state, &cpu);
	const char *name = "offline";
	cpu_set_t set;

	if (!o)
		return NULL;
	if (live && !pthread_getaffinity_np(v->thread, sizeof(set), &set))
		cpumap_from_cpuset(&set, &affinity);
	if (live)
		name = paused ? "paused" : state == 'R' ? "running" : "blocked";
	json_object_object_add(o, "id", json_object_new_int((int)v->id));
	json_object_object_add(o, "tid", live ? json_object_new_int(tid) :
						NULL);
	json_object_object_add(o, "cpu", live ? json_object_new_int(cpu) :
						NULL);
	json_object_object_add(o, "state", json_object_new_string(name));
	json_object_object_add(o, "time",
			       json_object_new_double(
				       live ? thread_seconds(v->thread) : 0));
	json_object_object_add(o, "affinity",
			       json_object_new_string(cpumap_format(
				       &affinity, text, sizeof(text))));
	return o;
}

int vm_vcpus_info(struct vm *vm, bool paused, struct json_object **out)
{
	struct json_object *list = json_object_new_array();
	struct cpumap host;

	if (!list)
		return -ENOMEM;
	if (cpumap_host(&host))
		cpumap_zero(&host);
	pthread_mutex_lock(&affinity_lock);
	for (unsigned i = 0; i < KEEL_VCPUS_MAX; i++) {
		struct json_object *o;

		if (!vm->vcpus[i])
			continue;
		o = vcpu_info(vm->vcpus[i], paused, &host);
		if (!o || json_object_array_add(list, o)) {
			json_object_put(o);
			pthread_mutex_unlock(&affinity_lock);
			json_object_put(list);
			return -ENOMEM;
		}
	}
	pthread_mutex_unlock(&affinity_lock);
	*out = list;
	return 0;
}
