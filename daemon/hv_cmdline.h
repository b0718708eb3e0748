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

#include "hv_proto.h"
#include "iotune.h"

/*
 * What keel-hv is told about a domain, typed: made once from the JSON
 * configuration keeld validated (defaults filled in), or read back from
 * a running keel-hv's command line. Strings are borrowed from the JSON
 * object or argv they came from, except the disk paths read from /proc
 * (owned_path) and cpus, freed by hv_config_dispose().
 */
struct hv_config {
	const char *name, *uuid, *kernel, *initrd, *cmdline;
	int64_t memory_mib, vcpus;
	int64_t maxmem_mib;	/* > memory_mib: a balloon; else memory_mib */
	int64_t maxvcpus;	/* > vcpus: hot-pluggable vCPUs; else vcpus */
	bool rng;		/* a virtio-rng device */
	bool prefault;		/* all RAM backed at start (--prefault) */
	bool virtio_console;	/* hvc0 beside COM1 */
	/* vCPU i's host CPUs ("0-1,3", malloc'd), NULL: not pinned */
	char *cpus[KEEL_VCPUS_MAX];
	size_t nr_disks, nr_nics;
	struct hv_disk {
		const char *path;
		/* its vdev (--vdev), borrowed; NULL: xl's name of its place */
		const char *vdev;
		bool readonly;
		char *owned_path;
		struct iotune iotune;	/* its "iotune" */
	} disks[KEEL_DISKS_MAX];
	struct hv_nic {
		const char *tap, *mac;
		char tap_name[16];	/* IFNAMSIZ: tap read from argv */
		/* its "iotune", and xl's "rate" as tx_bytes_sec if unset */
		struct iotune iotune;
	} nics[KEEL_NICS_MAX];
};

/*
 * @config (valid against schemas/domain.schema.json, taps and MACs
 * named) as an hv_config, keeld's defaults filled in, its cpus read
 * against this host (pinning.h). Returns 0, or -EINVAL for a
 * configuration the schema or pinning_check() should have refused.
 */
int hv_config_from_json(struct json_object *config, struct hv_config *out);

/*
 * A NIC's limits, added to @t: its "iotune", with xl's "rate" (a bucket
 * of bytes_per_sec holding interval_us's worth) as the transmit bytes
 * limit when iotune has none. Returns 0 or -EINVAL for members the
 * schema should have refused.
 */
int hv_config_nic_iotune(struct json_object *nic, struct iotune *t);

/* The JSON configuration @cfg says (the on_* actions are not in it). */
struct json_object *hv_config_to_json(const struct hv_config *cfg);

void hv_config_dispose(struct hv_config *cfg);

/* What keeld adds to a configuration to run it. */
struct hv_cmdline {
	const char *hypervisor;		/* argv[0] */
	const char *dir;		/* control.sock, console.sock, exit.json */
	const char *console_log;
	bool paused, linger;
	/* --dump-on's list (decide_dump_on()) and --dump-dir, or NULL */
	const char *dump_on, *dump_dir;
	/* The disks' descriptors in the child: first_disk_fd, +1, ... */
	int first_disk_fd;
	/*
	 * --restore=FD: the domain stream's descriptor in the child; 0:
	 * none. Then no --kernel, --initrd or --cmdline: keel-hv refuses
	 * them, the guest's kernel being in the stream.
	 */
	int restore_fd;
	/*
	 * A migration's destination (docs/migration.md): --incoming=FD,
	 * --incoming-token=FD, --pki-dir and --incoming-peer (may be NULL);
	 * 0: none. Like --restore, no kernel options.
	 */
	int incoming_fd, incoming_token_fd;
	const char *pki_dir, *incoming_peer;
};

/*
 * keel-hv's argv for @cfg and @c. NULL-terminated, every string
 * malloc'd; NULL when out of memory. Free with hv_cmdline_free().
 */
char **hv_cmdline_build(const struct hv_cmdline *c,
			const struct hv_config *cfg);

void hv_cmdline_free(char **argv);

/*
 * Is @argv (@argc strings) the command line of a keel-hv that a keeld on
 * @run_dir started? Then its domain's uuid (lower case) goes to @uuid.
 */
bool hv_cmdline_is_ours(char *const *argv, size_t argc, const char *run_dir,
			char uuid[37]);

/*
 * What keel-hv @pid runs with, read back from its command line @argv
 * (@argc strings): disks' paths come from /proc/PID/fd. Returns 0, or
 * -EINVAL when a mandatory option is missing or one is malformed,
 * -ENOMEM. Dispose of @out either way.
 */
int hv_cmdline_parse(char *const *argv, size_t argc, pid_t pid,
		     struct hv_config *out);

/*
 * The domain configuration keel-hv @pid runs with, rebuilt from its
 * command line: hv_cmdline_parse() then hv_config_to_json(). What the
 * command line does not say (on_* actions, bridges) is left out. NULL
 * when out of memory or when a mandatory option is missing.
 */
struct json_object *hv_cmdline_config(char *const *argv, size_t argc,
				      pid_t pid);

#endif /* KEEL_DAEMON_HV_CMDLINE_H */
