/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_READBACK_H
#define KEEL_DAEMON_READBACK_H

/*
 * An adopted keel-hv's values taken back into its domain's running
 * configuration (readback.c, docs/qos.md): what keel-hv and the
 * domain's cgroup hold wins over an older record.
 */

#include <json-c/json.h>

struct domain_run;

/*
 * A keel-hv adopted without a state file: the CPU weight, cap and
 * maxmem its cgroup holds into @run->config, before
 * cgroup_domain_adopt() writes the group from it. Nothing when there is
 * no group to read.
 */
void readback_group(struct domain_run *run);

/*
 * keel-hv's first @status after adoption (borrowed): the vCPUs online,
 * the balloon's target and each vCPU's pinning into @run->config where
 * they differ (then state.json is saved), and an iotune call per disk
 * and NIC whose answers do the same for the limits.
 */
void readback_status(struct domain_run *run, struct json_object *status);

#endif /* KEEL_DAEMON_READBACK_H */
