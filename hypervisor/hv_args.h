/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_HV_ARGS_H
#define KEEL_HV_HV_ARGS_H

/*
 * keel-hv's command line (man/keel-hv.8, OPTIONS): one table of options,
 * named as lib/hv_proto.h spells them, from which getopt's table, the
 * usage text and the parsing come; and the disks the options name,
 * opened and locked before anything else takes a descriptor.
 */

#include <stdbool.h>
#include <stdio.h>

#include "console_mux.h"
#include "cpumap.h"
#include "hv_proto.h"
#include "log.h"
#include "virtio_blk.h"
#include "vmm.h"

/* The longest --incoming-peer subject. */
#define HV_ARGS_DN_MAX 255

struct hv_args {
	struct vm_config cfg;
	bool console_stdio;
	const char *console_socket;
	const char *console_log;
	struct cmux_config cmux;
	struct vm_disk disks[KEEL_DISKS_MAX]; /* in option order */
	struct vm_nic nics[KEEL_NICS_MAX];
	char *paths[KEEL_DISKS_MAX]; /* disks[].path, when cut from "PATH,ro" */
	/* disks[]'s images, open and locked by hv_args_open_disks() */
	struct vblk_image images[KEEL_DISKS_MAX];
	bool locked[KEEL_DISKS_MAX]; /* an incoming one's, once taken */
	char *taps[KEEL_NICS_MAX]; /* nics[].tap */
	/* --vdev: each disk's name in keeld's configuration, or NULL */
	const char *vdevs[KEEL_DISKS_MAX];
	/* which devices an --iotune named already: a second one is refused */
	bool iotune_disk_seen[KEEL_DISKS_MAX], iotune_nic_seen[KEEL_NICS_MAX];
	/* --cpus=LIST (every vCPU) and --cpus=N:LIST (vCPU N wins over it) */
	struct cpumap cpus_every, cpus_one[KEEL_VCPUS_MAX];
	bool has_cpus_every, has_cpus_one[KEEL_VCPUS_MAX];
	const char *control;
	char uuid[KEEL_DOMAIN_UUID_LEN + 1]; /* lower case; "" if not given */
	const char *name;
	const char *status_file;
	bool paused;
	bool linger;
	/* --dump-on: bit (1 << reason) for each VM end that writes a core */
	unsigned dump_on;
	const char *dump_dir; /* --dump-dir: where those cores go */
	/* --restore: the domain stream's descriptor, or -1 for a boot */
	int restore_fd;
	/*
	 * --incoming: the listening socket, the token's pipe (-1 when not
	 * given), the subject the source must have (NULL: any from the CA)
	 * and the PKI directory (KEEL_PKI_DIR_DEFAULT unless given)
	 */
	int incoming_fd, incoming_token_fd;
	const char *incoming_peer;
	const char *pki_dir;
	enum log_level log_level;
	bool help;
};

/* The defaults: 256 MiB, one vCPU, COM1 on stdio, 1 MiB console rings. */
void hv_args_init(struct hv_args *a);

/*
 * Parse @argv into @a (hv_args_init()ed): every option checked, the
 * combinations too (--kernel, --restore or --incoming
 * given, --paused and --incoming with --control, --maxmem not below
 * --memory). Returns 0, or -EINVAL after logging a sentence
 * that names the option. @a's strings point into @argv.
 */
int hv_args_parse(struct hv_args *a, int argc, char **argv);

/*
 * One device as its option would give it: @opt is HV_OPT_DISK or
 * HV_OPT_NET and @value what follows "--OPT=" ("PATH,ro",
 * "tap=NAME,mac=..."), added to @a's disks or NICs with the checks the
 * command line makes. For devices hot-plugged through the control
 * socket (hotplug.c), which take the same words. Returns 0, or -EINVAL,
 * -E2BIG, -ENOMEM after logging a sentence that names the option.
 * @a's strings may point into @value.
 */
int hv_args_device(struct hv_args *a, const char *opt, const char *value);

/* The usage text, from the option table. */
void hv_args_usage(FILE *f);

/*
 * Take over the --disk-fd descriptors and open the --disk paths, in
 * option order; refuse a file that is a writable disk and also another
 * disk; then lock each image (vblk_image_lock()). Call it before
 * keel-hv keeps any descriptor open, so that a descriptor number the
 * caller did not pass cannot be one of ours by then. Points a->disks[]
 * at the images. Returns 0 or -errno, logged.
 */
int hv_args_open_disks(struct hv_args *a);

/* Close the disks and free what parsing allocated. */
void hv_args_dispose(struct hv_args *a);

#endif /* KEEL_HV_HV_ARGS_H */
