/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_HOSTINFO_H
#define KEEL_DAEMON_HOSTINFO_H

/*
 * What host.info says about the machine beyond its name and memory:
 * the CPU topology, NUMA nodes, clock, CPU features and KVM's
 * capabilities, the things `xl info` prints that mean something on
 * KVM (man/keel.1, info). Read from sysfs and procfs under a root
 * directory ("" on a real host) so that tests/unit/check_hostinfo.c
 * can give it a made-up machine. Nothing here is cached: host.info is
 * rare, and a CPU brought online is seen at once.
 */

#include <stdbool.h>

#include <json-c/json.h>

/*
 * Add to @o xl info's topology and capability members (keeld's names,
 * schemas/keel.openrpc.json HostInfo): release, kernel_version,
 * machine, nr_nodes, sockets, cores_per_socket, threads_per_core,
 * cpu_mhz, hw_caps, virt_caps, free_memory_mib; and with @numa,
 * cpu_topology and numa_info (xl info -n). @root prefixes /sys and
 * /proc; @modules is the directory of kernel modules (kvm_host.h).
 * Returns 0 or -ENOMEM; what a host does not show is left out or 0,
 * never an error.
 */
int hostinfo_add(struct json_object *o, const char *root, const char *modules,
		 bool numa);

#endif /* KEEL_DAEMON_HOSTINFO_H */
