/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_HV_CMDLINE_H
#define KEEL_DAEMON_HV_CMDLINE_H

/*
 * keel-hv's command line for a domain, and back again: the one place
 * where keeld spells a domain configuration as keel-hv options
 * (man/keel-hv.8), so that a keel-hv found running without a state
 * file can be given its configuration back (adopt.c).
 *
 * Disks are never passed as paths: keeld opens them and keel-hv gets
 * the descriptors (--disk-fd=N), so no file name can be read as an
 * option.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

/* What keeld adds to a configuration to run it. */
struct hv_cmdline {
	const char *hypervisor;		/* argv[0] */
	const char *dir;		/* control.sock, console.sock, exit.json */
	const char *console_log;
	const char *uuid, *name;
	bool paused, linger;
	/* The disks' descriptors in the child: first_disk_fd, +1, ... */
	int first_disk_fd;
	int64_t memory_mib, vcpus;	/* defaults filled in */
};

/*
 * keel-hv's argv for @config (a valid domain configuration, with taps
 * and MACs named) and @c. NULL-terminated, every string malloc'd; NULL
 * when out of memory. Free with hv_cmdline_free().
 */
char **hv_cmdline_build(const struct hv_cmdline *c,
			struct json_object *config);

void hv_cmdline_free(char **argv);

/*
 * Is @argv (@argc strings) the command line of a keel-hv that a keeld on
 * @run_dir started? Then its domain's uuid (lower case) goes to @uuid.
 */
bool hv_cmdline_is_ours(char *const *argv, size_t argc, const char *run_dir,
			char uuid[37]);

/*
 * The domain configuration keel-hv @pid runs with, rebuilt from its
 * command line @argv: name, uuid, kernel, ramdisk, cmdline, memory,
 * vcpus, disks (their paths read from /proc/PID/fd) and NICs. What the
 * command line does not say (on_* actions, bridges) is left out. NULL
 * when out of memory or when a mandatory option is missing.
 */
struct json_object *hv_cmdline_config(char *const *argv, size_t argc,
				      pid_t pid);

#endif /* KEEL_DAEMON_HV_CMDLINE_H */
