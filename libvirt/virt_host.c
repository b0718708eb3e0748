// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The facts of this host that keeld's host.info does not give and
 * libvirt's clients want (NODE_GET_INFO, the capabilities): the CPU
 * topology from sysfs, the clock from /proc/cpuinfo.
 */
#include "config.h"

#include <stdio.h>

#include "virt_host.h"

/* The (first) number in CPU @cpu's topology file @name, or -1. */
static long sysfs_long(int cpu, const char *name)
{
	char path[128];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu%d/topology/%s", cpu, name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * This host's sockets, cores per socket and threads per core from
 * sysfs. Returns 0, or -1 when sysfs does not say.
 */
int virt_host_topology(int cpus, int *sockets, int *cores, int *threads)
{
	int cpu, nr_sockets = 0, nr_cores = 0;
	long pkg, core, max_pkg = -1;

	for (cpu = 0; cpu < cpus; cpu++) {
		pkg = sysfs_long(cpu, "physical_package_id");
		core = sysfs_long(cpu, "core_id");
		if (pkg < 0 || core < 0)
			return -1;
		if (pkg > max_pkg)
			max_pkg = pkg;
		/* Count the first thread of each core: cpu0 of socket 0... */
		if (sysfs_long(cpu, "thread_siblings_list") == cpu)
			nr_cores++;
	}
	nr_sockets = (int)max_pkg + 1;
	if (nr_sockets <= 0 || nr_cores <= 0 || nr_cores % nr_sockets ||
	    cpus % nr_cores)
		return -1;
	*sockets = nr_sockets;
	*cores = nr_cores / nr_sockets;
	*threads = cpus / nr_cores;
	return 0;
}

/* The CPU's clock in MHz from /proc/cpuinfo; 0 when it does not say. */
int virt_host_mhz(void)
{
	char line[256];
	double mhz = 0;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "cpu MHz : %lf", &mhz) == 1)
			break;
	fclose(f);
	return (int)mhz;
}
