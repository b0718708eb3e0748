// SPDX-License-Identifier: GPL-2.0-or-later
/* A domain's cpus setting as keeld reads it (pinning.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv_proto.h"
#include "pinning.h"
#include "run.h"

int64_t pinning_nr_vcpus(struct json_object *config)
{
	return config_int(config, "maxvcpus", config_int(config, "vcpus", 1));
}

/* vCPU @vcpu's CPU list as @config writes it, or NULL: not pinned. */
static const char *pinning_text(struct json_object *config, int64_t vcpu)
{
	struct json_object *cpus, *item;

	if (!json_object_object_get_ex(config, "cpus", &cpus))
		return NULL;
	if (json_object_is_type(cpus, json_type_string))
		return json_object_get_string(cpus);
	if (vcpu < 0 || (size_t)vcpu >= json_object_array_length(cpus))
		return NULL;
	item = json_object_array_get_idx(cpus, (size_t)vcpu);
	return json_object_get_string(item);
}

/* @text read against this host's CPUs into @m, or -EINVAL with @err. */
static int pinning_read(const char *text, struct cpumap *m, char *err)
{
	struct cpumap host;

	if (cpumap_host(&host)) {
		snprintf(err, CPUMAP_ERR_MAX,
			 "keeld cannot read the host's CPUs: %s.",
			 strerror(errno));
		return -EINVAL;
	}
	if (cpumap_parse(text, &host, m, err) ||
	    cpumap_check_host(m, &host, err))
		return -EINVAL;
	/*
	 * Only "all" itself is no pinning: "0" on a host of one CPU is
	 * still what the user asked for, should keel-hv's CPUs change.
	 */
	return strcmp(text, "all") ? 1 : 0;
}

int pinning_check(struct json_object *config, char *err, char *field)
{
	struct json_object *cpus;
	char why[CPUMAP_ERR_MAX];
	struct cpumap m;
	int64_t nr = pinning_nr_vcpus(config);
	size_t n;

	if (!json_object_object_get_ex(config, "cpus", &cpus))
		return 0;
	if (json_object_is_type(cpus, json_type_string)) {
		snprintf(field, PINNING_FIELD_MAX, "/cpus");
		if (pinning_read(json_object_get_string(cpus), &m, why) < 0) {
			snprintf(err, PINNING_ERR_MAX, "cpus: %s", why);
			return -EINVAL;
		}
		return 0;
	}
	n = json_object_array_length(cpus);
	if ((int64_t)n > nr) {
		snprintf(field, PINNING_FIELD_MAX, "/cpus");
		snprintf(err, PINNING_ERR_MAX,
			 "cpus lists %zu CPU lists, one per vCPU, but the domain has %lld vCPUs; remove the extra ones.",
			 n, (long long)nr);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(field, PINNING_FIELD_MAX, "/cpus/%zu", i);
		if (pinning_read(pinning_text(config, (int64_t)i), &m, why) <
		    0) {
			snprintf(err, PINNING_ERR_MAX, "cpus of vCPU %zu: %s", i,
				 why);
			return -EINVAL;
		}
	}
	return 0;
}

int pinning_of(struct json_object *config, int64_t vcpu, struct cpumap *out)
{
	const char *text = pinning_text(config, vcpu);
	char why[CPUMAP_ERR_MAX];

	if (!text)
		return 0;
	return pinning_read(text, out, why);
}

struct json_object *pinning_updated(struct json_object *config, int64_t vcpu,
				    const char *list, bool *failed)
{
	int64_t nr = pinning_nr_vcpus(config);
	const char *lists[KEEL_VCPUS_MAX];
	struct json_object *arr;
	bool same = true;

	*failed = false;
	if (nr > KEEL_VCPUS_MAX)
		nr = KEEL_VCPUS_MAX;
	for (int64_t i = 0; i < nr; i++) {
		lists[i] = vcpu < 0 || i == vcpu ? list :
						    pinning_text(config, i);
		if (!lists[i])
			lists[i] = "all";
		same = same && !strcmp(lists[i], lists[0]);
	}
	if (same && !strcmp(lists[0], "all"))
		return NULL;
	if (same) {
		arr = json_object_new_string(lists[0]);
		*failed = !arr;
		return arr;
	}
	arr = json_object_new_array();
	for (int64_t i = 0; arr && i < nr; i++) {
		if (json_object_array_add(arr,
					  json_object_new_string(lists[i]))) {
			json_object_put(arr);
			arr = NULL;
		}
	}
	*failed = !arr;
	return arr;
}
