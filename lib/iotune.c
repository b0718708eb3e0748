// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * I/O limits' names and their three spellings (iotune.h): JSON objects,
 * keel-hv's "KEY=N,KEY=N" and the typed struct both sides work on.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iotune.h"

/* One row per bucket: the kind of device it belongs to and its keys. */
static const struct {
	enum iotune_kind kind;
	const char *rate, *burst;
} iotune_keys[IOTUNE_NR_BUCKETS] = {
	[IOTUNE_TOTAL_BYTES] = { IOTUNE_DISK, "total_bytes_sec",
				 "total_bytes_sec_max" },
	[IOTUNE_READ_BYTES] = { IOTUNE_DISK, "read_bytes_sec",
				"read_bytes_sec_max" },
	[IOTUNE_WRITE_BYTES] = { IOTUNE_DISK, "write_bytes_sec",
				 "write_bytes_sec_max" },
	[IOTUNE_TOTAL_IOPS] = { IOTUNE_DISK, "total_iops_sec",
				"total_iops_sec_max" },
	[IOTUNE_READ_IOPS] = { IOTUNE_DISK, "read_iops_sec",
			       "read_iops_sec_max" },
	[IOTUNE_WRITE_IOPS] = { IOTUNE_DISK, "write_iops_sec",
				"write_iops_sec_max" },
	[IOTUNE_TX_BYTES] = { IOTUNE_NIC, "tx_bytes_sec", "tx_bytes_burst" },
	[IOTUNE_TX_PACKETS] = { IOTUNE_NIC, "tx_packets_sec",
				"tx_packets_burst" },
	[IOTUNE_RX_BYTES] = { IOTUNE_NIC, "rx_bytes_sec", "rx_bytes_burst" },
	[IOTUNE_RX_PACKETS] = { IOTUNE_NIC, "rx_packets_sec",
				"rx_packets_burst" },
};

bool iotune_any(const struct iotune *t)
{
	for (unsigned i = 0; i < IOTUNE_NR_BUCKETS; i++)
		if (t->rate[i])
			return true;
	return false;
}

bool iotune_key(enum iotune_kind kind, const char *key,
		enum iotune_bucket *bucket, bool *burst)
{
	for (unsigned i = 0; i < IOTUNE_NR_BUCKETS; i++) {
		if (iotune_keys[i].kind != kind)
			continue;
		if (strcmp(key, iotune_keys[i].rate) &&
		    strcmp(key, iotune_keys[i].burst))
			continue;
		*bucket = (enum iotune_bucket)i;
		*burst = !strcmp(key, iotune_keys[i].burst);
		return true;
	}
	return false;
}

const char *iotune_key_list(enum iotune_kind kind)
{
	if (kind == IOTUNE_DISK)
		return "total_bytes_sec, read_bytes_sec, write_bytes_sec, total_iops_sec, read_iops_sec, write_iops_sec, or one of them followed by _max for its burst";
	return "tx_bytes_sec, tx_packets_sec, rx_bytes_sec, rx_packets_sec, or tx_bytes_burst, tx_packets_burst, rx_bytes_burst, rx_packets_burst";
}

/* Store @v as @key of @kind in @t. */
static int iotune_set(enum iotune_kind kind, const char *key, uint64_t v,
		      struct iotune *t, char *err, size_t errlen)
{
	enum iotune_bucket b;
	bool burst;

	if (!iotune_key(kind, key, &b, &burst)) {
		snprintf(err, errlen, "'%s' is not a %s limit; use %s.", key,
			 kind == IOTUNE_DISK ? "disk" : "network interface",
			 iotune_key_list(kind));
		return -EINVAL;
	}
	if (v > IOTUNE_VALUE_MAX) {
		snprintf(err, errlen,
			 "%s must be from 0 (no limit) to %llu.", key,
			 (unsigned long long)IOTUNE_VALUE_MAX);
		return -EINVAL;
	}
	if (burst)
		t->burst[b] = v;
	else
		t->rate[b] = v;
	return 0;
}

int iotune_from_json(enum iotune_kind kind, struct json_object *obj,
		     struct iotune *t, char *err, size_t errlen)
{
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(err, errlen,
			 "I/O limits are an object of limit names and numbers, such as {\"%s\": 1048576}.",
			 kind == IOTUNE_DISK ? "total_bytes_sec" :
					       "tx_bytes_sec");
		return -EINVAL;
	}
	json_object_object_foreach(obj, key, val)
	{
		int64_t n = json_object_get_int64(val);
		int rc;

		if (!json_object_is_type(val, json_type_int) || n < 0) {
			snprintf(err, errlen,
				 "%s must be a whole number from 0 (no limit) to %llu.",
				 key, (unsigned long long)IOTUNE_VALUE_MAX);
			return -EINVAL;
		}
		rc = iotune_set(kind, key, (uint64_t)n, t, err, errlen);
		if (rc)
			return rc;
	}
	return 0;
}

struct json_object *iotune_to_json(enum iotune_kind kind,
				   const struct iotune *t, bool all)
{
	struct json_object *o = json_object_new_object();

	for (unsigned i = 0; o && i < IOTUNE_NR_BUCKETS; i++) {
		if (iotune_keys[i].kind != kind)
			continue;
		if ((all || t->rate[i]) &&
		    json_object_object_add(o, iotune_keys[i].rate,
					   json_object_new_int64(
						   (int64_t)t->rate[i])))
			goto fail;
		if ((all || t->burst[i]) &&
		    json_object_object_add(o, iotune_keys[i].burst,
					   json_object_new_int64(
						   (int64_t)t->burst[i])))
			goto fail;
	}
	return o;
fail:
	json_object_put(o);
	return NULL;
}

int iotune_parse(enum iotune_kind kind, const char *s, struct iotune *t,
		 char *err, size_t errlen)
{
	/* Which rates (bit 0) and bursts (bit 1) were given, per bucket. */
	unsigned char seen[IOTUNE_NR_BUCKETS] = { 0 };
	const char *spec = s;

	memset(t, 0, sizeof(*t));
	while (*s) {
		const char *comma = strchrnul(s, ','), *eq = strchr(s, '=');
		char key[32], *end;
		unsigned long long v;
		enum iotune_bucket b;
		bool burst;

		if (!eq || eq > comma || (size_t)(eq - s) >= sizeof(key) ||
		    eq == s) {
			snprintf(err, errlen,
				 "'%.*s' is not KEY=N; write limits as %s=1048576,...",
				 (int)(comma - s), s,
				 kind == IOTUNE_DISK ? "total_bytes_sec" :
						       "tx_bytes_sec");
			return -EINVAL;
		}
		memcpy(key, s, (size_t)(eq - s));
		key[eq - s] = '\0';
		errno = 0;
		/* Digits only: strtoull() would also take "-1", "+1", " 1". */
		v = strtoull(eq + 1, &end, 10);
		if (errno || end != comma || eq[1] < '0' || eq[1] > '9') {
			snprintf(err, errlen,
				 "%s=%.*s: give a whole number from 0 (no limit) to %llu.",
				 key, (int)(comma - eq - 1), eq + 1,
				 (unsigned long long)IOTUNE_VALUE_MAX);
			return -EINVAL;
		}
		if (iotune_set(kind, key, v, t, err, errlen))
			return -EINVAL;
		/* Known now (iotune_set() took it): a second one would hide the first. */
		iotune_key(kind, key, &b, &burst);
		if (seen[b] & (1u << burst)) {
			snprintf(err, errlen,
				 "%s is given twice; give each limit once.",
				 key);
			return -EINVAL;
		}
		seen[b] |= (unsigned char)(1u << burst);
		if (*comma && !comma[1]) {
			snprintf(err, errlen,
				 "'%s' ends with a comma; leave it out or add a limit after it.",
				 spec);
			return -EINVAL;
		}
		s = *comma ? comma + 1 : comma;
	}
	return 0;
}

char *iotune_format(enum iotune_kind kind, const struct iotune *t)
{
	char *out = strdup(""), *next;

	for (unsigned i = 0; out && i < IOTUNE_NR_BUCKETS; i++) {
		if (iotune_keys[i].kind != kind)
			continue;
		for (int f = 0; f < 2 && out; f++) {
			uint64_t v = f ? t->burst[i] : t->rate[i];
			const char *key = f ? iotune_keys[i].burst :
					      iotune_keys[i].rate;

			if (!v)
				continue;
			if (asprintf(&next, "%s%s%s=%" PRIu64, out,
				     *out ? "," : "", key, v) < 0)
				next = NULL;
			free(out);
			out = next;
		}
	}
	return out;
}
