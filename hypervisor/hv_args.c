// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv's command line: the option table (names from lib/hv_proto.h),
 * each option's parser, the usage text, and the disks the options name.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv_args.h"
#include "hv_error.h"
#include "keel.h"

/* A number as a string literal, for the usage text. */
#define HV_STR_(x) #x
#define HV_STR(x) HV_STR_(x)

/* One row per option: getopt's table and the usage text come from it. */
struct hv_option {
	const char *name;
	const char *arg; /* NULL: takes no argument */
	int (*parse)(struct hv_args *a, const char *arg);
	const char *help;
};

static int opt_kernel(struct hv_args *a, const char *arg)
{
	a->cfg.kernel = arg;
	return 0;
}

static int opt_initrd(struct hv_args *a, const char *arg)
{
	a->cfg.initrd = arg;
	return 0;
}

static int opt_cmdline(struct hv_args *a, const char *arg)
{
	a->cfg.cmdline = arg;
	return 0;
}

/*
 * "64K", "256M", "1G"; a bare number counts units of 2^@shift bytes.
 * Returns false if @arg is not such a size or does not fit 64 bits.
 */
static bool parse_size(const char *arg, unsigned shift,
		       unsigned long long *bytes)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(arg, &end, 10);
	if (end != arg && *end && !end[1]) {
		switch (*end) {
		case 'K': case 'k': shift = 10; end++; break;
		case 'M': case 'm': shift = 20; end++; break;
		case 'G': case 'g': shift = 30; end++; break;
		default: break;
		}
	}
	if (errno || end == arg || *end || arg[0] == '-' ||
	    n > (ULLONG_MAX >> shift))
		return false;
	*bytes = n << shift;
	return true;
}

/*
 * Guest memory for --memory and --maxmem: "256M", "1G", "65536K"; a bare
 * number is MiB, as for xl and QEMU. Returns 0 or -EINVAL, logged.
 */
static int parse_memory(const char *opt, const char *arg, uint64_t *bytes)
{
	unsigned long long n;

	if (!parse_size(arg, 20, &n) ||
	    n < ((unsigned long long)KEEL_MEMORY_MIN_MIB << 20) ||
	    n > ((unsigned long long)KEEL_MEMORY_MAX_MIB << 20) || n % 4096) {
		log_err("Invalid --%s '%s': give a size such as 256M or 2G, from %d MiB to %lld GiB and a multiple of 4 KiB.",
			opt, arg, KEEL_MEMORY_MIN_MIB,
			KEEL_MEMORY_MAX_MIB >> 10);
		return -EINVAL;
	}
	*bytes = n;
	return 0;
}

static int opt_memory(struct hv_args *a, const char *arg)
{
	return parse_memory(HV_OPT_MEMORY, arg, &a->cfg.ram_size);
}

static int opt_maxmem(struct hv_args *a, const char *arg)
{
	return parse_memory(HV_OPT_MAXMEM, arg, &a->cfg.maxmem);
}

/* A vCPU count for --@opt: KEEL_VCPUS_MIN..KEEL_VCPUS_MAX. */
static int parse_vcpus(const char *opt, const char *arg, unsigned *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < KEEL_VCPUS_MIN ||
	    n > KEEL_VCPUS_MAX) {
		log_err("Invalid --%s '%s': give a number from %d to %d.", opt,
			arg, KEEL_VCPUS_MIN, KEEL_VCPUS_MAX);
		return -EINVAL;
	}
	*out = (unsigned)n;
	return 0;
}

/*
 * "LIST" pins every vCPU, "N:LIST" vCPU N (xl's CPU lists, lib/cpumap.h);
 * "all" is every CPU keel-hv may run on, and no other CPU is accepted.
 */
static int opt_cpus(struct hv_args *a, const char *arg)
{
	const char *colon = strchr(arg, ':'), *list = arg;
	char err[CPUMAP_ERR_MAX];
	struct cpumap host, *m = &a->cpus_every;
	bool *has = &a->has_cpus_every;
	long n = -1;

	if (colon && isdigit((unsigned char)arg[0])) {
		char *end;

		errno = 0;
		n = strtol(arg, &end, 10);
		if (errno || end != colon || n >= KEEL_VCPUS_MAX) {
			log_err("Invalid --" HV_OPT_CPUS " '%s': give CPULIST or VCPU:CPULIST, VCPU from 0 to %d.",
				arg, KEEL_VCPUS_MAX - 1);
			return -EINVAL;
		}
		m = &a->cpus_one[n];
		has = &a->has_cpus_one[n];
		list = colon + 1;
	}
	if (cpumap_host(&host)) {
		log_err("Cannot read the host CPUs keel-hv may use: %s.",
			strerror(errno));
		return -EINVAL;
	}
	if (cpumap_parse(list, &host, m, err) ||
	    cpumap_check_host(m, &host, err)) {
		log_err("Invalid --" HV_OPT_CPUS " '%s': %s", arg, err);
		return -EINVAL;
	}
	*has = true;
	return 0;
}

static int opt_vcpus(struct hv_args *a, const char *arg)
{
	return parse_vcpus(HV_OPT_VCPUS, arg, &a->cfg.nr_vcpus);
}

static int opt_maxvcpus(struct hv_args *a, const char *arg)
{
	return parse_vcpus(HV_OPT_MAXVCPUS, arg, &a->cfg.max_vcpus);
}

static int opt_console(struct hv_args *a, const char *arg)
{
	if (strcmp(arg, "stdio") && strcmp(arg, "none")) {
		log_err("Invalid --" HV_OPT_CONSOLE " '%s': use stdio or none.", arg);
		return -EINVAL;
	}
	a->console_stdio = !strcmp(arg, "stdio");
	return 0;
}

static int opt_console_socket(struct hv_args *a, const char *arg)
{
	if (!arg[0]) {
		log_err("Invalid --" HV_OPT_CONSOLE_SOCKET " '': give a socket path.");
		return -EINVAL;
	}
	a->console_socket = arg;
	return 0;
}

static int opt_console_log(struct hv_args *a, const char *arg)
{
	if (!arg[0]) {
		log_err("Invalid --" HV_OPT_CONSOLE_LOG " '': give a file path.");
		return -EINVAL;
	}
	a->console_log = arg;
	return 0;
}

/* A bare number of bytes, as virtlogd's max_size. */
static int opt_console_ring(struct hv_args *a, const char *arg)
{
	unsigned long long n;

	if (!parse_size(arg, 0, &n) || n < CMUX_MIN_SIZE ||
	    n > CMUX_MAX_RING) {
		log_err("Invalid --" HV_OPT_CONSOLE_RING " '%s': give a size from 4K to 1G, such as 1M.",
			arg);
		return -EINVAL;
	}
	a->cmux.ring_size = (size_t)n;
	return 0;
}

static int opt_console_log_size(struct hv_args *a, const char *arg)
{
	unsigned long long n;

	if (!parse_size(arg, 0, &n) || n < CMUX_MIN_SIZE) {
		log_err("Invalid --" HV_OPT_CONSOLE_LOG_SIZE " '%s': give a size of at least 4K, such as 1M.",
			arg);
		return -EINVAL;
	}
	a->cmux.log_size = n;
	return 0;
}

static int opt_virtio_console(struct hv_args *a, const char *arg)
{
	a->cfg.virtio_console = true;
	return 0;
}

/* The next entry of the disk list, which --disk and --disk-fd share. */
static struct vm_disk *hv_next_disk(struct hv_args *a)
{
	if (a->cfg.nr_disks == KEEL_DISKS_MAX) {
		log_err("At most %d disks.", KEEL_DISKS_MAX);
		return NULL;
	}
	return &a->disks[a->cfg.nr_disks];
}

static int opt_disk(struct hv_args *a, const char *arg)
{
	const char *comma = strchr(arg, ',');
	struct vm_disk *disk;

	if (!arg[0] || arg[0] == ',' || (comma && strcmp(comma, ",ro"))) {
		log_err("Invalid --" HV_OPT_DISK " '%s': use PATH or PATH,ro (a path with a comma in it can only be passed as a descriptor, with --" HV_OPT_DISK_FD ").",
			arg);
		return -EINVAL;
	}
	disk = hv_next_disk(a);
	if (!disk)
		return -E2BIG;
	/* The first comma ends the path. */
	disk->readonly = comma != NULL;
	disk->fd = -1;
	disk->path = arg;
	if (comma) {
		a->paths[a->cfg.nr_disks] = strndup(arg, (size_t)(comma - arg));
		disk->path = a->paths[a->cfg.nr_disks];
		if (!disk->path)
			return -ENOMEM;
	}
	a->cfg.nr_disks++;
	return 0;
}

/*
 * "N" or "N,ro": a disk on descriptor N, inherited from whoever started
 * us; hv_args_open_disks() takes it over. Not 0 to 2, which are the console
 * and the log, and each descriptor once: a disk owns its descriptor.
 */
static int opt_disk_fd(struct hv_args *a, const char *arg)
{
	struct vm_disk *disk;
	char *end = NULL;
	long n = -1;

	errno = 0;
	if (isdigit((unsigned char)arg[0]))
		n = strtol(arg, &end, 10);
	if (n < 0 || errno || n > INT_MAX || (*end && strcmp(end, ",ro"))) {
		log_err("Invalid --" HV_OPT_DISK_FD " '%s': use N or N,ro, N being the number of an open descriptor.",
			arg);
		return -EINVAL;
	}
	if (n <= STDERR_FILENO) {
		log_err("Invalid --" HV_OPT_DISK_FD " '%s': descriptors 0, 1 and 2 are keel-hv's standard input, output and error; pass the disk on descriptor 3 or above.",
			arg);
		return -EINVAL;
	}
	for (unsigned i = 0; i < a->cfg.nr_disks; i++) {
		if (a->disks[i].fd == n) {
			log_err("Invalid --" HV_OPT_DISK_FD " '%s': descriptor %ld is already a disk; give each descriptor once.",
				arg, n);
			return -EINVAL;
		}
	}
	disk = hv_next_disk(a);
	if (!disk)
		return -E2BIG;
	disk->path = NULL; /* hv_args_open_disks() names it */
	disk->fd = (int)n;
	disk->readonly = *end != '\0';
	a->cfg.nr_disks++;
	return 0;
}

/* A unicast MAC address "52:54:00:12:34:56" into @mac. */
static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char tail;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &tail) != 6 || (b[0] & 1))
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return true;
}

static int opt_net(struct hv_args *a, const char *arg)
{
	const char *mac = strstr(arg, ",mac=");
	size_t tap_len = mac ? (size_t)(mac - arg) : strlen(arg);

	struct vm_nic *nic = &a->nics[a->cfg.nr_nics];

	if (a->cfg.nr_nics == KEEL_NICS_MAX) {
		log_err("At most %d network interfaces.", KEEL_NICS_MAX);
		return -E2BIG;
	}
	if (strncmp(arg, "tap=", 4) || tap_len <= 4 || tap_len - 4 >= 16 ||
	    memchr(arg, ',', tap_len) ||
	    (mac && !parse_mac(mac + 5, nic->mac))) {
		log_err("Invalid --" HV_OPT_NET " '%s': use tap=NAME or tap=NAME,mac=52:54:00:12:34:56 (a tap name of at most 15 characters, a unicast MAC).",
			arg);
		return -EINVAL;
	}
	a->taps[a->cfg.nr_nics] = strndup(arg + 4, tap_len - 4);
	if (!a->taps[a->cfg.nr_nics])
		return -ENOMEM;
	nic->tap = a->taps[a->cfg.nr_nics];
	nic->tap_fd = -1;
	nic->has_mac = mac != NULL;
	a->cfg.nr_nics++;
	return 0;
}

/*
 * "vblkN:KEY=N,..." or "vnetN:KEY=N,...": the limits of the N-th disk or
 * NIC (0-based, the order of --disk/--disk-fd and of --net), whichever
 * option comes first; hv_args_parse() checks that the device exists.
 */
static int opt_iotune(struct hv_args *a, const char *arg)
{
	bool disk = !strncmp(arg, "vblk", 4);
	enum iotune_kind kind = disk ? IOTUNE_DISK : IOTUNE_NIC;
	unsigned max = disk ? KEEL_DISKS_MAX : KEEL_NICS_MAX;
	struct iotune *t;
	char err[256], *end = NULL;
	unsigned long n = ULONG_MAX;
	bool *seen;

	if ((disk || !strncmp(arg, "vnet", 4)) && isdigit((unsigned char)arg[4]))
		n = strtoul(arg + 4, &end, 10);
	if (n >= max || *end != ':') {
		log_err("Invalid --" HV_OPT_IOTUNE " '%s': use vblkN:KEY=N,... for the N-th disk (from 0, below %d) or vnetN:KEY=N,... for the N-th network interface (below %d).",
			arg, KEEL_DISKS_MAX, KEEL_NICS_MAX);
		return -EINVAL;
	}
	/*
	 * One --iotune per device: a second would replace the first whole,
	 * and a command line that says two things of one disk is a mistake.
	 */
	seen = disk ? &a->iotune_disk_seen[n] : &a->iotune_nic_seen[n];
	if (*seen) {
		log_err("--" HV_OPT_IOTUNE " names %s%lu twice; give all of a device's limits in one --" HV_OPT_IOTUNE ", such as %s%lu:KEY=N,KEY=N.",
			disk ? "vblk" : "vnet", n, disk ? "vblk" : "vnet", n);
		return -EINVAL;
	}
	*seen = true;
	t = disk ? &a->disks[n].iotune : &a->nics[n].iotune;
	if (iotune_parse(kind, end + 1, t, err, sizeof(err))) {
		log_err("Invalid --" HV_OPT_IOTUNE " '%s': %s", arg, err);
		return -EINVAL;
	}
	return 0;
}

/*
 * "vblkN:NAME": disk N's name in keeld's configuration. Each disk once
 * and each name once; hv_args_parse() checks that disk N exists.
 */
static int opt_vdev(struct hv_args *a, const char *arg)
{
	char *end = NULL;
	unsigned long n = ULONG_MAX;

	if (!strncmp(arg, "vblk", 4) && isdigit((unsigned char)arg[4]))
		n = strtoul(arg + 4, &end, 10);
	if (n >= KEEL_DISKS_MAX || *end != ':' || !keel_vdev_valid(end + 1)) {
		log_err("Invalid --" HV_OPT_VDEV " '%s': use vblkN:NAME for the N-th disk (from 0, below %d), NAME being xl's such as xvda, vdb, sda or hdc.",
			arg, KEEL_DISKS_MAX);
		return -EINVAL;
	}
	if (a->vdevs[n]) {
		log_err("--" HV_OPT_VDEV " names vblk%lu twice (%s and %s); a disk has one name.",
			n, a->vdevs[n], end + 1);
		return -EINVAL;
	}
	for (unsigned i = 0; i < KEEL_DISKS_MAX; i++) {
		if (a->vdevs[i] && !strcmp(a->vdevs[i], end + 1)) {
			log_err("--" HV_OPT_VDEV " gives the name %s to vblk%u and vblk%lu; each disk needs its own.",
				end + 1, i, n);
			return -EINVAL;
		}
	}
	a->vdevs[n] = end + 1;
	return 0;
}

static int opt_rng(struct hv_args *a, const char *arg)
{
	a->cfg.rng = true;
	return 0;
}

static int opt_prefault(struct hv_args *a, const char *arg)
{
	a->cfg.prefault = true;
	return 0;
}

static int opt_balloon(struct hv_args *a, const char *arg)
{
	a->cfg.balloon = true;
	return 0;
}

static int opt_control(struct hv_args *a, const char *arg)
{
	a->control = arg;
	return 0;
}

/* 8-4-4-4-12 hex digits, in any case; kept in lower case, as keeld does. */
static int opt_uuid(struct hv_args *a, const char *arg)
{
	bool ok = strlen(arg) == KEEL_DOMAIN_UUID_LEN;

	for (size_t i = 0; ok && i < KEEL_DOMAIN_UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			ok = arg[i] == '-';
		else
			ok = isxdigit((unsigned char)arg[i]);
		a->uuid[i] = (char)tolower((unsigned char)arg[i]);
	}
	if (!ok) {
		log_err("Invalid --" HV_OPT_UUID " '%s': give 32 hex digits as 8-4-4-4-12, such as 0d7e5c2a-3f4b-4c1d-9e8f-1a2b3c4d5e6f.",
			arg);
		a->uuid[0] = '\0';
		return -EINVAL;
	}
	a->uuid[KEEL_DOMAIN_UUID_LEN] = '\0';
	return 0;
}

/* The rule for keel domain names (schemas/domain.schema.json). */
static int opt_name(struct hv_args *a, const char *arg)
{
	size_t len = strlen(arg);

	if (!len || len > KEEL_DOMAIN_NAME_MAX || arg[0] == '-' ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len) {
		log_err("Invalid --" HV_OPT_NAME " '%s': use 1 to %d letters, digits, '_', '.' or '-', not starting with '-'.",
			arg, KEEL_DOMAIN_NAME_MAX);
		return -EINVAL;
	}
	a->name = arg;
	return 0;
}

static int opt_status_file(struct hv_args *a, const char *arg)
{
	if (!arg[0]) {
		log_err("Invalid --" HV_OPT_STATUS_FILE " '': give a file path.");
		return -EINVAL;
	}
	a->status_file = arg;
	return 0;
}

static int opt_paused(struct hv_args *a, const char *arg)
{
	a->paused = true;
	return 0;
}

static int opt_linger(struct hv_args *a, const char *arg)
{
	a->linger = true;
	return 0;
}

/* --dump-on=LIST: "crash", "poweroff" and "reboot", comma-separated. */
static int opt_dump_on(struct hv_args *a, const char *arg)
{
	static const enum vm_exit_reason ends[] = { VM_EXIT_CRASH,
						    VM_EXIT_POWEROFF,
						    VM_EXIT_REBOOT };
	const char *p = arg;

	a->dump_on = 0;
	while (*p) {
		size_t len = strcspn(p, ","), i;

		for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
			const char *name = vm_exit_reason_name(ends[i]);

			if (strlen(name) == len && !strncmp(p, name, len))
				break;
		}
		if (i == sizeof(ends) / sizeof(ends[0])) {
			log_err("Invalid --" HV_OPT_DUMP_ON " '%s': give a list of crash, poweroff and reboot.",
				arg);
			return -EINVAL;
		}
		a->dump_on |= 1u << ends[i];
		p += len + (p[len] == ',');
	}
	return 0;
}

static int opt_dump_dir(struct hv_args *a, const char *arg)
{
	if (arg[0] != '/') {
		log_err("Invalid --" HV_OPT_DUMP_DIR " '%s': give an absolute directory path.",
			arg);
		return -EINVAL;
	}
	a->dump_dir = arg;
	return 0;
}

/*
 * "N" for --@opt: an inherited descriptor, not 0 to 2. Returns 0 with
 * it in *@fd, or -EINVAL after logging what @what it should be.
 */
static int opt_fd(const char *opt, const char *arg, const char *what, int *fd)
{
	char *end = NULL;
	long n = -1;

	errno = 0;
	if (isdigit((unsigned char)arg[0]))
		n = strtol(arg, &end, 10);
	if (n < 0 || errno || n > INT_MAX || *end) {
		log_err("Invalid --%s '%s': use N, the number of an open descriptor %s.",
			opt, arg, what);
		return -EINVAL;
	}
	if (n <= STDERR_FILENO) {
		log_err("Invalid --%s '%s': descriptors 0, 1 and 2 are keel-hv's standard input, output and error; pass it on descriptor 3 or above.",
			opt, arg);
		return -EINVAL;
	}
	*fd = (int)n;
	return 0;
}

/*
 * "N": the domain stream on inherited descriptor N, which keel-hv reads
 * to its END and then closes. Not 0 to 2, and not a disk's.
 */
static int opt_restore(struct hv_args *a, const char *arg)
{
	if (opt_fd(HV_OPT_RESTORE, arg, "the domain stream is read from",
		   &a->restore_fd))
		return -EINVAL;
	a->cfg.restore = true;
	return 0;
}

/* "N": the listening socket an incoming migration is accepted on. */
static int opt_incoming(struct hv_args *a, const char *arg)
{
	if (opt_fd(HV_OPT_INCOMING, arg,
		   "of a listening TCP socket the migration arrives on",
		   &a->incoming_fd))
		return -EINVAL;
	a->cfg.restore = true;
	return 0;
}

/* "N": the pipe that holds the migration's token, one line. */
static int opt_incoming_token(struct hv_args *a, const char *arg)
{
	return opt_fd(HV_OPT_INCOMING_TOKEN, arg,
		      "holding the migration's token as one line",
		      &a->incoming_token_fd);
}

/* "DN": the subject the source's certificate must have (fnmatch). */
static int opt_incoming_peer(struct hv_args *a, const char *arg)
{
	if (!*arg || strlen(arg) > HV_ARGS_DN_MAX) {
		log_err("Invalid --" HV_OPT_INCOMING_PEER " '%s': give the source's certificate subject in RFC 2253 form (CN=host1,O=keel), at most %d characters.",
			arg, HV_ARGS_DN_MAX);
		return -EINVAL;
	}
	a->incoming_peer = arg;
	return 0;
}

static int opt_pki_dir(struct hv_args *a, const char *arg)
{
	if (!*arg) {
		log_err("Invalid --" HV_OPT_PKI_DIR " '': give the PKI directory (cacert.pem, servercert.pem, private/serverkey.pem).");
		return -EINVAL;
	}
	a->pki_dir = arg;
	return 0;
}

static int opt_log_level(struct hv_args *a, const char *arg)
{
	if (log_level_parse(arg, &a->log_level)) {
		log_err("Invalid --" HV_OPT_LOG_LEVEL " '%s': use err, warn, info or debug.",
			arg);
		return -EINVAL;
	}
	log_init("keel-hv", false, a->log_level);
	return 0;
}

static int opt_help(struct hv_args *a, const char *arg)
{
	a->help = true;
	return 0;
}

static const struct hv_option hv_options[] = {
	{ HV_OPT_KERNEL, "FILE", opt_kernel,
	  "bzImage or flat test guest (required)" },
	{ HV_OPT_INITRD, "FILE", opt_initrd, "initial ramdisk" },
	{ HV_OPT_CMDLINE, "STRING", opt_cmdline,
	  "kernel command line (default: \"" VM_DEFAULT_CMDLINE "\")" },
	{ HV_OPT_MEMORY, "SIZE", opt_memory,
	  "guest RAM: 256M, 2G, ... (a bare number is MiB; default 256M)" },
	{ HV_OPT_MAXMEM, "SIZE", opt_maxmem,
	  "RAM the guest can grow to; a balloon holds the rest back" },
	{ HV_OPT_VCPUS, "N", opt_vcpus,
	  "virtual CPUs, 1 to " HV_STR(KEEL_VCPUS_MAX) " (default 1)" },
	{ HV_OPT_CPUS, "[VCPU:]CPUS", opt_cpus,
	  "host CPUs of every vCPU (\"0-3,^1\"), or of one (repeatable)" },
	{ HV_OPT_MAXVCPUS, "N", opt_maxvcpus,
	  "vCPUs the guest can hot-plug up to (default: --vcpus)" },
	{ HV_OPT_CONSOLE, "stdio|none", opt_console,
	  "COM1 on stdin/stdout (Ctrl-] quits) or nowhere (default stdio)" },
	{ HV_OPT_CONSOLE_SOCKET, "PATH", opt_console_socket,
	  "serve the consoles to clients on a UNIX socket" },
	{ HV_OPT_CONSOLE_LOG, "PATH", opt_console_log,
	  "COM1's log; the virtio console's: X-virtio.log for X.log" },
	{ HV_OPT_CONSOLE_LOG_SIZE, "SIZE", opt_console_log_size,
	  "rotate a console log at SIZE, keeping 3 (default 1M)" },
	{ HV_OPT_CONSOLE_RING, "SIZE", opt_console_ring,
	  "output history kept per console (default 1M)" },
	{ HV_OPT_VIRTIO_CONSOLE, NULL, opt_virtio_console,
	  "virtio-console device (hvc0 in a Linux guest)" },
	{ HV_OPT_DISK, "PATH[,ro]", opt_disk, "virtio-blk disk (repeatable)" },
	{ HV_OPT_DISK_FD, "N[,ro]", opt_disk_fd,
	  "virtio-blk disk on inherited descriptor N (repeatable)" },
	{ HV_OPT_NET, "tap=NAME[,mac=MAC]", opt_net,
	  "virtio-net interface (repeatable)" },
	{ HV_OPT_IOTUNE, "DEV:KEY=N,...", opt_iotune,
	  "I/O limits of disk vblkN or NIC vnetN (repeatable)" },
	{ HV_OPT_VDEV, "vblkN:NAME", opt_vdev,
	  "disk N's vdev, read back by keeld (repeatable)" },
	{ HV_OPT_RNG, NULL, opt_rng, "virtio-rng entropy device" },
	{ HV_OPT_BALLOON, NULL, opt_balloon,
	  "virtio-balloon (target set on the control socket)" },
	{ HV_OPT_PREFAULT, NULL, opt_prefault,
	  "back all guest RAM at start, not on the guest's first touch" },
	{ HV_OPT_CONTROL, "SOCKET", opt_control, "JSON-RPC control socket" },
	{ HV_OPT_UUID, "UUID", opt_uuid, "domain uuid, reported by status" },
	{ HV_OPT_NAME, "NAME", opt_name, "domain name, reported by status" },
	{ HV_OPT_STATUS_FILE, "PATH", opt_status_file,
	  "when keel-hv ends, write why to PATH (JSON)" },
	{ HV_OPT_PAUSED, NULL, opt_paused,
	  "start with the vCPUs paused (needs --control; resume runs them)" },
	{ HV_OPT_LINGER, NULL, opt_linger,
	  "when the guest stops, stay (memory kept) until stop or SIGTERM" },
	{ HV_OPT_DUMP_ON, "LIST", opt_dump_on,
	  "crash,poweroff,reboot: when the VM ends so, write its core" },
	{ HV_OPT_DUMP_DIR, "DIR", opt_dump_dir,
	  "where --dump-on's cores go (NAME-TIME.core)" },
	{ HV_OPT_RESTORE, "FD", opt_restore,
	  "start from the domain stream on descriptor FD, not --kernel" },
	{ HV_OPT_INCOMING, "FD", opt_incoming,
	  "receive a live migration on listening socket FD, not --kernel" },
	{ HV_OPT_INCOMING_TOKEN, "FD", opt_incoming_token,
	  "the pipe holding the incoming migration's token" },
	{ HV_OPT_INCOMING_PEER, "DN", opt_incoming_peer,
	  "the subject the migration's source must have (RFC 2253)" },
	{ HV_OPT_PKI_DIR, "DIR", opt_pki_dir,
	  "TLS files for --incoming (default " KEEL_PKI_DIR_DEFAULT ")" },
	{ HV_OPT_LOG_LEVEL, "LEVEL", opt_log_level,
	  "err, warn, info (default) or debug" },
	{ HV_OPT_HELP, NULL, opt_help, "show this help" },
};

#define NR_OPTIONS (sizeof(hv_options) / sizeof(hv_options[0]))
#define OPT_BASE 256

void hv_args_init(struct hv_args *a)
{
	memset(a, 0, sizeof(*a));
	a->cfg.ram_size = VM_DEFAULT_RAM;
	a->cfg.nr_vcpus = 1;
	a->console_stdio = true;
	a->cmux.ring_size = CMUX_DEFAULT_RING;
	a->cmux.log_size = CMUX_DEFAULT_LOG_SIZE;
	a->log_level = LOG_LEVEL_INFO;
	a->restore_fd = -1;
	a->incoming_fd = -1;
	a->incoming_token_fd = -1;
	for (unsigned i = 0; i < KEEL_DISKS_MAX; i++)
		vblk_image_init(&a->images[i]);
}

void hv_args_usage(FILE *f)
{
	fprintf(f, "Usage: keel-hv --kernel FILE [OPTION]...\n"
		   "       keel-hv --restore FD [OPTION]...\n"
		   "       keel-hv --incoming FD --incoming-token FD [OPTION]...\n"
		   "Run one KVM virtual machine.\n\n");
	for (size_t i = 0; i < NR_OPTIONS; i++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", hv_options[i].name,
			 hv_options[i].arg ? " " : "",
			 hv_options[i].arg ? hv_options[i].arg : "");
		fprintf(f, "  %-30s %s\n", left, hv_options[i].help);
	}
	fprintf(f, "\nExit status: %d %s, %d %s, %d %s, %d %s, %d %s, %d %s.\n",
		HV_EXIT_POWEROFF, HV_REASON_POWEROFF, HV_EXIT_ERROR,
		HV_REASON_ERROR, HV_EXIT_REBOOT, HV_REASON_REBOOT,
		HV_EXIT_CRASH, HV_REASON_CRASH, HV_EXIT_KILLED,
		HV_REASON_KILLED, HV_EXIT_SAVED, HV_REASON_SAVED);
}

/*
 * --incoming's company: its token and a control socket (resume is the
 * only way to run what arrived) and no --restore; its companions
 * without it are mistakes. The PKI directory defaults as keeld's.
 */
static int hv_args_check_incoming(struct hv_args *a)
{
	if (a->incoming_fd < 0) {
		if (a->incoming_token_fd >= 0 || a->incoming_peer ||
		    a->pki_dir) {
			log_err("--" HV_OPT_INCOMING_TOKEN ", --" HV_OPT_INCOMING_PEER " and --" HV_OPT_PKI_DIR " go with --" HV_OPT_INCOMING ", which is missing.");
			return -EINVAL;
		}
		return 0;
	}
	if (a->restore_fd >= 0) {
		log_err("--" HV_OPT_INCOMING " and --" HV_OPT_RESTORE " both say where the domain stream comes from; give one.");
		return -EINVAL;
	}
	if (a->incoming_token_fd < 0) {
		log_err("--" HV_OPT_INCOMING " needs --" HV_OPT_INCOMING_TOKEN ": only a source with the migration's token is let in.");
		return -EINVAL;
	}
	if (a->incoming_token_fd == a->incoming_fd) {
		log_err("--" HV_OPT_INCOMING " and --" HV_OPT_INCOMING_TOKEN " both name descriptor %d; the socket and the token need their own.",
			a->incoming_fd);
		return -EINVAL;
	}
	if (!a->control) {
		log_err("--" HV_OPT_INCOMING " needs --" HV_OPT_CONTROL ": the migrated guest runs only when the control socket's resume says so.");
		return -EINVAL;
	}
	if (!a->pki_dir)
		a->pki_dir = KEEL_PKI_DIR_DEFAULT;
	return 0;
}

int hv_args_parse(struct hv_args *a, int argc, char **argv)
{
	struct option longopts[NR_OPTIONS + 1];
	unsigned most;
	int c;

	memset(longopts, 0, sizeof(longopts));
	for (size_t i = 0; i < NR_OPTIONS; i++) {
		longopts[i].name = hv_options[i].name;
		longopts[i].has_arg = hv_options[i].arg ? required_argument :
							  no_argument;
		longopts[i].val = OPT_BASE + (int)i;
	}
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (c < OPT_BASE || c >= OPT_BASE + (int)NR_OPTIONS) {
			log_err("Unknown option or missing argument: %s (see keel-hv --" HV_OPT_HELP ").",
				argv[optind - 1]);
			return -EINVAL;
		}
		if (hv_options[c - OPT_BASE].parse(a, optarg))
			return -EINVAL;
	}
	if (optind < argc) {
		log_err("Unexpected argument '%s' (see keel-hv --" HV_OPT_HELP ").",
			argv[optind]);
		return -EINVAL;
	}
	if (a->help)
		return 0;
	if (!a->cfg.kernel && !a->cfg.restore) {
		log_err("--" HV_OPT_KERNEL ", --" HV_OPT_RESTORE " or --" HV_OPT_INCOMING " is required (see keel-hv --" HV_OPT_HELP ").");
		return -EINVAL;
	}
	if (hv_args_check_incoming(a))
		return -EINVAL;
	/* A restored guest runs its saved kernel, not this one. */
	if (a->cfg.restore &&
	    (a->cfg.kernel || a->cfg.initrd || a->cfg.cmdline)) {
		log_err("--%s starts the guest the stream saved, kernel and all; give no --" HV_OPT_KERNEL ", --" HV_OPT_INITRD " or --" HV_OPT_CMDLINE " with it.",
			a->incoming_fd >= 0 ? HV_OPT_INCOMING : HV_OPT_RESTORE);
		return -EINVAL;
	}
	for (unsigned i = 0; a->cfg.restore && i < a->cfg.nr_disks; i++) {
		int fd = a->disks[i].fd;

		if (fd >= 0 && (fd == a->restore_fd || fd == a->incoming_fd ||
				fd == a->incoming_token_fd)) {
			log_err("--" HV_OPT_DISK_FD " names descriptor %d, which --%s names too; the stream and each disk need their own.",
				fd,
				fd == a->restore_fd   ? HV_OPT_RESTORE :
				fd == a->incoming_fd ? HV_OPT_INCOMING :
						       HV_OPT_INCOMING_TOKEN);
			return -EINVAL;
		}
	}
	if (a->paused && !a->control) {
		log_err("--" HV_OPT_PAUSED " needs --" HV_OPT_CONTROL ": only the control socket's resume can start the vCPUs.");
		return -EINVAL;
	}
	if (a->dump_on && !a->dump_dir) {
		log_err("--" HV_OPT_DUMP_ON " needs --" HV_OPT_DUMP_DIR ": the cores need a directory.");
		return -EINVAL;
	}
	if (a->cfg.max_vcpus && a->cfg.max_vcpus < a->cfg.nr_vcpus) {
		log_err("--" HV_OPT_MAXVCPUS " (%u) is less than --" HV_OPT_VCPUS " (%u): maxvcpus is the most vCPUs the guest can have online.",
			a->cfg.max_vcpus, a->cfg.nr_vcpus);
		return -EINVAL;
	}
	for (unsigned i = a->cfg.nr_disks; i < KEEL_DISKS_MAX; i++) {
		if (iotune_any(&a->disks[i].iotune)) {
			log_err("--" HV_OPT_IOTUNE " names vblk%u, but there are %u disks (vblk0 is the first).",
				i, a->cfg.nr_disks);
			return -EINVAL;
		}
	}
	for (unsigned i = a->cfg.nr_disks; i < KEEL_DISKS_MAX; i++) {
		if (a->vdevs[i]) {
			log_err("--" HV_OPT_VDEV " names vblk%u, but there are %u disks (vblk0 is the first).",
				i, a->cfg.nr_disks);
			return -EINVAL;
		}
	}
	for (unsigned i = a->cfg.nr_nics; i < KEEL_NICS_MAX; i++) {
		if (iotune_any(&a->nics[i].iotune)) {
			log_err("--" HV_OPT_IOTUNE " names vnet%u, but there are %u network interfaces (vnet0 is the first).",
				i, a->cfg.nr_nics);
			return -EINVAL;
		}
	}
	most = a->cfg.max_vcpus ? a->cfg.max_vcpus : a->cfg.nr_vcpus;
	for (unsigned i = 0; i < KEEL_VCPUS_MAX; i++) {
		if (a->has_cpus_one[i] && i >= most) {
			log_err("--" HV_OPT_CPUS " pins vCPU %u, but the VM has at most %u vCPUs (numbered from 0).",
				i, most);
			return -EINVAL;
		}
		a->cfg.affinity[i] = a->has_cpus_one[i] ? &a->cpus_one[i] :
				     a->has_cpus_every ? &a->cpus_every :
							 NULL;
	}
	if (a->cfg.maxmem && a->cfg.maxmem < a->cfg.ram_size) {
		log_err("--" HV_OPT_MAXMEM " (%llu MiB) is less than --" HV_OPT_MEMORY " (%llu MiB): maxmem is the most memory the guest can grow to.",
			(unsigned long long)(a->cfg.maxmem >> 20),
			(unsigned long long)(a->cfg.ram_size >> 20));
		return -EINVAL;
	}
	return 0;
}

int hv_args_open_disks(struct hv_args *a)
{
	int rc = 0;

	for (unsigned i = 0; i < a->cfg.nr_disks; i++) {
		struct vm_disk *d = &a->disks[i];

		if (d->fd >= 0)
			rc = vblk_image_adopt(&a->images[i], d->fd,
					      d->readonly);
		else
			rc = vblk_image_open(&a->images[i], d->path,
					     d->readonly);
		if (rc)
			return rc;
		d->fd = a->images[i].fd;
		d->path = a->images[i].path;
		for (unsigned j = 0; j < i; j++) {
			if (!vblk_image_same(&a->images[j], &a->images[i]) ||
			    (d->readonly && a->disks[j].readonly))
				continue;
			if (a->vdevs[j] && a->vdevs[i])
				hv_error("Disks %s and %s are both %s; a disk the guest can write may be given only once.",
					 a->vdevs[j], a->vdevs[i],
					 a->images[i].path);
			else
				hv_error("Disks %u and %u are both %s; a disk the guest can write may be given only once.",
					 j + 1, i + 1, a->images[i].path);
			return -EINVAL;
		}
	}
	/*
	 * The destination of a migration locks its disks once it runs
	 * (incoming.c): until then the source, on the same shared storage,
	 * holds them, and runs them.
	 */
	for (unsigned i = 0; a->incoming_fd < 0 && i < a->cfg.nr_disks && !rc;
	     i++)
		rc = vblk_image_lock(&a->images[i]);
	return rc;
}

int hv_args_device(struct hv_args *a, const char *opt, const char *value)
{
	if (!strcmp(opt, HV_OPT_DISK))
		return opt_disk(a, value);
	if (!strcmp(opt, HV_OPT_NET))
		return opt_net(a, value);
	return -EINVAL;
}

void hv_args_dispose(struct hv_args *a)
{
	for (unsigned i = 0; i < KEEL_DISKS_MAX; i++)
		vblk_image_dispose(&a->images[i]);
	for (unsigned i = 0; i < KEEL_DISKS_MAX; i++)
		free(a->paths[i]);
	for (unsigned i = 0; i < KEEL_NICS_MAX; i++)
		free(a->taps[i]);
}
