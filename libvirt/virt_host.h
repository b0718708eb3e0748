/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_VIRT_HOST_H
#define KEEL_VIRT_HOST_H

/*
 * This host's sockets, cores per socket and threads per core from
 * sysfs, for @cpus CPUs (keeld's count). Returns 0, or -1 when sysfs
 * does not say or does not add up to @cpus.
 */
int virt_host_topology(int cpus, int *sockets, int *cores, int *threads);

/* The CPU's clock in MHz from /proc/cpuinfo; 0 when it does not say. */
int virt_host_mhz(void);

#endif /* KEEL_VIRT_HOST_H */
