/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_PINNING_H
#define KEEL_DAEMON_PINNING_H

/*
 * A domain's cpus setting as keeld reads it (keel.cfg(5), cpus): a CPU
 * list for every vCPU, or an array with one per vCPU (vCPUs past its end
 * are not pinned, as in xl). Read with lib/cpumap.h against the CPUs
 * keeld may run on, which is what keel calls the host's CPUs.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "cpumap.h"

/* Room for pinning_check()'s sentence and field. */
#define PINNING_ERR_MAX (CPUMAP_ERR_MAX + 64)
#define PINNING_FIELD_MAX 32

/*
 * The vCPUs @config can have: maxvcpus, else vcpus, else 1 (the most
 * a cpus array may list).
 */
int64_t pinning_nr_vcpus(struct json_object *config);

/*
 * Is @config's cpus (if any) right for this host? Returns 0, or
 * -EINVAL with a sentence in @err (PINNING_ERR_MAX bytes) and the
 * member in @field ("/cpus", "/cpus/1"; PINNING_FIELD_MAX bytes).
 */
int pinning_check(struct json_object *config, char *err, char *field);

/*
 * The host CPUs of vCPU @vcpu under @config's cpus: 1 and *@out when it
 * is pinned, 0 when it is not (no cpus, past the end of the array, or
 * "all"), -EINVAL when the setting does not hold on this host
 * (pinning_check() says why).
 */
int pinning_of(struct json_object *config, int64_t vcpu, struct cpumap *out);

/*
 * @config's cpus after vCPU @vcpu (every vCPU when < 0) is pinned to
 * @list (a CPU list pinning_check() would accept): a new string when
 * every vCPU has the same list, else a new array of one list per vCPU,
 * "all" for those not pinned; NULL for no pinning at all (every vCPU
 * "all"). *@failed is set when out of memory.
 */
struct json_object *pinning_updated(struct json_object *config, int64_t vcpu,
				    const char *list, bool *failed);

#endif /* KEEL_DAEMON_PINNING_H */
