/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_IOTUNE_H
#define KEEL_IOTUNE_H

/*
 * I/O limits of one disk or NIC, as every layer spells them: the JSON
 * configuration's "iotune" objects, keel-hv's --iotune option and its
 * "iotune" control method, keeld's domain.blkdeviotune and
 * domain.domiftune (docs/qos.md). One token bucket per row of the
 * table in iotune.c, each with a rate (units per second; 0 = no limit)
 * and a burst (units the bucket holds; 0 = a tenth of a second's worth).
 * The key names follow libvirt's <iotune> and QEMU's throttling: a
 * disk's "total_bytes_sec" and "total_bytes_sec_max", a NIC's
 * "tx_bytes_sec" and "tx_bytes_burst".
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

enum iotune_bucket {
	/* A disk's: reads count in total and read, writes in total and write. */
	IOTUNE_TOTAL_BYTES,
	IOTUNE_READ_BYTES,
	IOTUNE_WRITE_BYTES,
	IOTUNE_TOTAL_IOPS,
	IOTUNE_READ_IOPS,
	IOTUNE_WRITE_IOPS,
	/* A NIC's: tx is what the guest sends, rx what it receives. */
	IOTUNE_TX_BYTES,
	IOTUNE_TX_PACKETS,
	IOTUNE_RX_BYTES,
	IOTUNE_RX_PACKETS,
	IOTUNE_NR_BUCKETS
};

enum iotune_kind { IOTUNE_DISK, IOTUNE_NIC };

/* The largest rate or burst: 10^15 units, so that sums cannot overflow. */
#define IOTUNE_VALUE_MAX 1000000000000000ULL

struct iotune {
	uint64_t rate[IOTUNE_NR_BUCKETS];
	uint64_t burst[IOTUNE_NR_BUCKETS];
};

/* True if any bucket of @t has a rate: the device must count. */
bool iotune_any(const struct iotune *t);

/*
 * The bucket and field (*@burst) that @key names for a device of
 * @kind. Returns false for a key that is not one of @kind's.
 */
bool iotune_key(enum iotune_kind kind, const char *key,
		enum iotune_bucket *bucket, bool *burst);

/* "total_bytes_sec, read_bytes_sec, ..." for messages. */
const char *iotune_key_list(enum iotune_kind kind);

/*
 * Set the members of the JSON object @obj (KEY: integer) in @t; members
 * absent leave @t as it was. Returns 0, or -EINVAL with a sentence for
 * the user in @err (@errlen bytes) naming the bad member.
 */
int iotune_from_json(enum iotune_kind kind, struct json_object *obj,
		     struct iotune *t, char *err, size_t errlen);

/*
 * @t as a new JSON object: every key of @kind if @all, else only the
 * non-zero ones. NULL when out of memory.
 */
struct json_object *iotune_to_json(enum iotune_kind kind,
				   const struct iotune *t, bool all);

/*
 * "KEY=N,KEY=N" (keel-hv's --iotune after the device) into @t, zeroed
 * first: N is decimal digits only, each KEY at most once, no empty
 * item. Returns 0 or -EINVAL with a sentence in @err.
 */
int iotune_parse(enum iotune_kind kind, const char *s, struct iotune *t,
		 char *err, size_t errlen);

/*
 * The non-zero values of @t as "KEY=N,KEY=N" (malloc'd; "" when none),
 * what iotune_parse() reads. NULL when out of memory.
 */
char *iotune_format(enum iotune_kind kind, const struct iotune *t);

#endif /* KEEL_IOTUNE_H */
