// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv: one KVM virtual machine per process (man/keel-hv.8).
 *
 * Exit status, one per way the VM can end (vm_exit_status()):
 *
 *   status  reason     when
 *   0       poweroff   the guest powered off (ACPI S5, KVM shutdown event)
 *   1       error      keel-hv failed: bad option, unreadable kernel, KVM
 *                      refused something, a host error while running
 *   2       reboot     the guest asked for a reset (i8042, ACPI reset);
 *                      restarting it is the caller's decision
 *   3       crash      triple fault, KVM internal error or failed entry,
 *                      guest-reported panic
 *   4       killed     SIGTERM, SIGINT, SIGHUP, Ctrl-] on the console,
 *                      or the control socket's stop
 *
 * With --linger a guest that powers off, reboots or crashes leaves the
 * process running, and its later stop exits with that first status.
 * --status-file records the same (reason, status and a sentence) for a
 * keeld that was not there to see the exit.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "console_mux.h"
#include "control.h"
#include "device.h"
#include "hv_proto.h"
#include "json_file.h"
#include "log.h"
#include "virtio_blk.h"
#include "virtio_console.h"
#include "vmm.h"

#define CONSOLE_ESCAPE 0x1d /* Ctrl-] */
#define CONSOLE_BUF 256
#define MAX_DISKS 16
#define MAX_NETS 8
#define UUID_LEN 36 /* 8-4-4-4-12 hex digits */
#define NAME_MAX_LEN 64 /* as a keel domain name (schemas/) */

struct hv_args {
	struct vm_config cfg;
	bool console_stdio;
	const char *console_socket;
	const char *console_log;
	struct cmux_config cmux;
	bool virtio_console;
	struct vm_disk disks[MAX_DISKS]; /* in option order */
	struct vm_nic nics[MAX_NETS];
	char *paths[MAX_DISKS]; /* disks[].path, when cut from "PATH,ro" */
	/* disks[]'s images, open and locked by hv_disks_open() */
	struct vblk_image images[MAX_DISKS];
	char *taps[MAX_NETS]; /* nics[].tap */
	const char *control;
	char uuid[UUID_LEN + 1]; /* lower case; "" if not given */
	const char *name;
	const char *status_file;
	bool paused;
	bool linger;
	enum log_level log_level;
	bool help;
};

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

/* "256M", "1G", "65536K"; a bare number is MiB, as for xl and QEMU. */
static int opt_memory(struct hv_args *a, const char *arg)
{
	unsigned long long n;

	if (!parse_size(arg, 20, &n) || n < VM_MIN_RAM || n > VM_MAX_RAM ||
	    n % 4096) {
		log_err("Invalid --memory '%s': give a size such as 256M or 2G, at least %llu MiB and a multiple of 4 KiB.",
			arg, VM_MIN_RAM >> 20);
		return -EINVAL;
	}
	a->cfg.ram_size = n;
	return 0;
}

static int opt_vcpus(struct hv_args *a, const char *arg)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < 1 || n > VM_MAX_VCPUS) {
		log_err("Invalid --vcpus '%s': give a number from 1 to %d.",
			arg, VM_MAX_VCPUS);
		return -EINVAL;
	}
	a->cfg.nr_vcpus = (unsigned)n;
	return 0;
}

static int opt_console(struct hv_args *a, const char *arg)
{
	if (strcmp(arg, "stdio") && strcmp(arg, "none")) {
		log_err("Invalid --console '%s': use stdio or none.", arg);
		return -EINVAL;
	}
	a->console_stdio = !strcmp(arg, "stdio");
	return 0;
}

static int opt_console_socket(struct hv_args *a, const char *arg)
{
	if (!arg[0]) {
		log_err("Invalid --console-socket '': give a socket path.");
		return -EINVAL;
	}
	a->console_socket = arg;
	return 0;
}

static int opt_console_log(struct hv_args *a, const char *arg)
{
	if (!arg[0]) {
		log_err("Invalid --console-log '': give a file path.");
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
		log_err("Invalid --console-ring '%s': give a size from 4K to 1G, such as 1M.",
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
		log_err("Invalid --console-log-size '%s': give a size of at least 4K, such as 1M.",
			arg);
		return -EINVAL;
	}
	a->cmux.log_size = n;
	return 0;
}

static int opt_virtio_console(struct hv_args *a, const char *arg)
{
	a->virtio_console = true;
	return 0;
}

/* The next entry of the disk list, which --disk and --disk-fd share. */
static struct vm_disk *hv_next_disk(struct hv_args *a)
{
	if (a->cfg.nr_disks == MAX_DISKS) {
		log_err("At most %d disks.", MAX_DISKS);
		return NULL;
	}
	return &a->disks[a->cfg.nr_disks];
}

static int opt_disk(struct hv_args *a, const char *arg)
{
	const char *comma = strchr(arg, ',');
	struct vm_disk *disk;

	if (!arg[0] || arg[0] == ',' || (comma && strcmp(comma, ",ro"))) {
		log_err("Invalid --disk '%s': use PATH or PATH,ro (a path with a comma in it can only be passed as a descriptor, with --disk-fd).",
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
 * us; hv_disks_open() takes it over. Not 0 to 2, which are the console
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
		log_err("Invalid --disk-fd '%s': use N or N,ro, N being the number of an open descriptor.",
			arg);
		return -EINVAL;
	}
	if (n <= STDERR_FILENO) {
		log_err("Invalid --disk-fd '%s': descriptors 0, 1 and 2 are keel-hv's standard input, output and error; pass the disk on descriptor 3 or above.",
			arg);
		return -EINVAL;
	}
	for (unsigned i = 0; i < a->cfg.nr_disks; i++) {
		if (a->disks[i].fd == n) {
			log_err("Invalid --disk-fd '%s': descriptor %ld is already a disk; give each descriptor once.",
				arg, n);
			return -EINVAL;
		}
	}
	disk = hv_next_disk(a);
	if (!disk)
		return -E2BIG;
	disk->path = NULL; /* hv_disks_open() names it */
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

	if (a->cfg.nr_nics == MAX_NETS) {
		log_err("At most %d network interfaces.", MAX_NETS);
		return -E2BIG;
	}
	if (strncmp(arg, "tap=", 4) || tap_len <= 4 || tap_len - 4 >= 16 ||
	    memchr(arg, ',', tap_len) ||
	    (mac && !parse_mac(mac + 5, nic->mac))) {
		log_err("Invalid --net '%s': use tap=NAME or tap=NAME,mac=52:54:00:12:34:56 (a tap name of at most 15 characters, a unicast MAC).",
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

static int opt_rng(struct hv_args *a, const char *arg)
{
	a->cfg.rng = true;
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
	bool ok = strlen(arg) == UUID_LEN;

	for (size_t i = 0; ok && i < UUID_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			ok = arg[i] == '-';
		else
			ok = isxdigit((unsigned char)arg[i]);
		a->uuid[i] = (char)tolower((unsigned char)arg[i]);
	}
	if (!ok) {
		log_err("Invalid --uuid '%s': give 32 hex digits as 8-4-4-4-12, such as 0d7e5c2a-3f4b-4c1d-9e8f-1a2b3c4d5e6f.",
			arg);
		a->uuid[0] = '\0';
		return -EINVAL;
	}
	a->uuid[UUID_LEN] = '\0';
	return 0;
}

/* The rule for keel domain names (schemas/domain.schema.json). */
static int opt_name(struct hv_args *a, const char *arg)
{
	size_t len = strlen(arg);

	if (!len || len > NAME_MAX_LEN || arg[0] == '-' ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyz"
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len) {
		log_err("Invalid --name '%s': use 1 to %d letters, digits, '_', '.' or '-', not starting with '-'.",
			arg, NAME_MAX_LEN);
		return -EINVAL;
	}
	a->name = arg;
	return 0;
}

static int opt_status_file(struct hv_args *a, const char *arg)
{
	if (!arg[0]) {
		log_err("Invalid --status-file '': give a file path.");
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

static int opt_log_level(struct hv_args *a, const char *arg)
{
	if (log_level_parse(arg, &a->log_level)) {
		log_err("Invalid --log-level '%s': use err, warn, info or debug.",
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
	{ "kernel", "FILE", opt_kernel,
	  "bzImage or flat test guest (required)" },
	{ "initrd", "FILE", opt_initrd, "initial ramdisk" },
	{ "cmdline", "STRING", opt_cmdline,
	  "kernel command line (default: \"" VM_DEFAULT_CMDLINE "\")" },
	{ "memory", "SIZE", opt_memory,
	  "guest RAM: 256M, 2G, ... (a bare number is MiB; default 256M)" },
	{ "vcpus", "N", opt_vcpus, "virtual CPUs, 1 to 8 (default 1)" },
	{ "console", "stdio|none", opt_console,
	  "COM1 on stdin/stdout (Ctrl-] quits) or nowhere (default stdio)" },
	{ "console-socket", "PATH", opt_console_socket,
	  "serve the consoles to clients on a UNIX socket" },
	{ "console-log", "PATH", opt_console_log,
	  "COM1's log; the virtio console's: X-virtio.log for X.log" },
	{ "console-log-size", "SIZE", opt_console_log_size,
	  "rotate a console log at SIZE, keeping 3 (default 1M)" },
	{ "console-ring", "SIZE", opt_console_ring,
	  "output history kept per console (default 1M)" },
	{ "virtio-console", NULL, opt_virtio_console,
	  "virtio-console device (hvc0 in a Linux guest)" },
	{ "disk", "PATH[,ro]", opt_disk, "virtio-blk disk (repeatable)" },
	{ "disk-fd", "N[,ro]", opt_disk_fd,
	  "virtio-blk disk on inherited descriptor N (repeatable)" },
	{ "net", "tap=NAME[,mac=MAC]", opt_net,
	  "virtio-net interface (repeatable)" },
	{ "rng", NULL, opt_rng, "virtio-rng entropy device" },
	{ "balloon", NULL, opt_balloon,
	  "virtio-balloon (target set on the control socket)" },
	{ "control", "SOCKET", opt_control, "JSON-RPC control socket" },
	{ "uuid", "UUID", opt_uuid, "domain uuid, reported by status" },
	{ "name", "NAME", opt_name, "domain name, reported by status" },
	{ "status-file", "PATH", opt_status_file,
	  "when the VM ends, write why to PATH (JSON)" },
	{ "paused", NULL, opt_paused,
	  "start with the vCPUs paused (needs --control; resume runs them)" },
	{ "linger", NULL, opt_linger,
	  "when the guest stops, stay (memory kept) until stop or SIGTERM" },
	{ "log-level", "LEVEL", opt_log_level,
	  "err, warn, info (default) or debug" },
	{ "help", NULL, opt_help, "show this help" },
};

#define NR_OPTIONS (sizeof(hv_options) / sizeof(hv_options[0]))
#define OPT_BASE 256

static void usage(FILE *f)
{
	fprintf(f, "Usage: keel-hv --kernel FILE [OPTION]...\n"
		   "Run one KVM virtual machine.\n\n");
	for (size_t i = 0; i < NR_OPTIONS; i++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", hv_options[i].name,
			 hv_options[i].arg ? " " : "",
			 hv_options[i].arg ? hv_options[i].arg : "");
		fprintf(f, "  %-30s %s\n", left, hv_options[i].help);
	}
	fprintf(f, "\nExit status: 0 poweroff, 1 error, 2 reboot, 3 crash, 4 killed.\n");
}

static int parse_args(int argc, char **argv, struct hv_args *a)
{
	struct option longopts[NR_OPTIONS + 1];
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
			log_err("Unknown option or missing argument: %s (see keel-hv --help).",
				argv[optind - 1]);
			return -EINVAL;
		}
		if (hv_options[c - OPT_BASE].parse(a, optarg))
			return -EINVAL;
	}
	if (optind < argc) {
		log_err("Unexpected argument '%s' (see keel-hv --help).",
			argv[optind]);
		return -EINVAL;
	}
	if (a->help)
		return 0;
	if (!a->cfg.kernel) {
		log_err("--kernel is required (see keel-hv --help).");
		return -EINVAL;
	}
	if (a->paused && !a->control) {
		log_err("--paused needs --control: only the control socket's resume can start the vCPUs.");
		return -EINVAL;
	}
	return 0;
}

/*
 * Take over the --disk-fd descriptors and open the --disk paths, in
 * option order; refuse a file that is a writable disk and also another
 * disk; then lock each image (vblk_image_lock()). Called before keel-hv
 * opens anything, so that a descriptor number the caller did not pass
 * cannot be one of ours by then. Points a->disks[] at the images.
 * Returns 0 or -errno, logged.
 */
static int hv_disks_open(struct hv_args *a)
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
			log_err("Disks %u and %u are both %s; a disk the guest can write may be given only once.",
				j + 1, i + 1, a->images[i].path);
			return -EINVAL;
		}
	}
	for (unsigned i = 0; i < a->cfg.nr_disks && !rc; i++)
		rc = vblk_image_lock(&a->images[i]);
	return rc;
}

static void hv_args_dispose(struct hv_args *a)
{
	for (unsigned i = 0; i < MAX_DISKS; i++)
		vblk_image_dispose(&a->images[i]);
	for (unsigned i = 0; i < MAX_DISKS; i++)
		free(a->paths[i]);
	for (unsigned i = 0; i < MAX_NETS; i++)
		free(a->taps[i]);
}

/*
 * The stdio console: a tap on COM1's port in the console multiplexer,
 * so that its output and input take the same path as the console
 * socket's (ring, log, input queue with its retry).
 */
struct console {
	struct vm *vm;
	struct cmux_port *port;
	struct event *in_ev; /* stdin readable */
	bool in_eof;
	bool tty;
};

static struct termios console_saved;
static bool console_raw;

/*
 * Who asked for VM_EXIT_KILLED first, for the status file: a signal or
 * Ctrl-]; NULL means the control socket's stop. I/O thread only.
 */
static const char *hv_killed_by;

static void hv_set_killed_by(const char *why)
{
	if (!hv_killed_by)
		hv_killed_by = why;
}

static void console_restore_tty(void)
{
	if (console_raw) {
		tcsetattr(STDIN_FILENO, TCSANOW, &console_saved);
		console_raw = false;
	}
}

/*
 * Raw input, so that keys reach the guest one by one and Ctrl-C is the
 * guest's; output processing stays on so that our own log lines end
 * properly.
 */
static void console_raw_tty(void)
{
	struct termios raw;

	if (tcgetattr(STDIN_FILENO, &console_saved) < 0)
		return;
	raw = console_saved;
	cfmakeraw(&raw);
	raw.c_oflag |= OPOST;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0) {
		console_raw = true;
		atexit(console_restore_tty);
	}
}

/* The tap's output: vCPU thread, UART lock held. */
static void console_output(void *opaque, const uint8_t *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDOUT_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* stdout gone: the guest talks to nobody */
		buf += n;
		len -= (size_t)n;
	}
}

/* The port's input queue has room again: read stdin again. */
static void console_input_room(void *opaque)
{
	struct console *con = opaque;

	if (con->in_ev && !con->in_eof)
		event_add(con->in_ev, NULL);
}

static void console_input(evutil_socket_t fd, short what, void *arg)
{
	struct console *con = arg;
	size_t room = cmux_port_input_room(con->port);
	uint8_t buf[CONSOLE_BUF], *esc;
	size_t len;
	ssize_t n;

	if (!room) {
		/* Typed faster than the guest reads: wait for the queue. */
		event_del(con->in_ev);
		return;
	}
	n = read(fd, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		/* End of input: the guest keeps running without it. */
		con->in_eof = true;
		event_del(con->in_ev);
		return;
	}
	len = (size_t)n;
	esc = con->tty ? memchr(buf, CONSOLE_ESCAPE, len) : NULL;
	if (esc)
		len = (size_t)(esc - buf);
	cmux_port_input(con->port, buf, len);
	if (esc) {
		log_info("Ctrl-] pressed: stopping the VM.");
		hv_set_killed_by("Stopped by Ctrl-] on the console.");
		vm_request_exit(con->vm, VM_EXIT_KILLED);
	}
}

static int console_attach(struct console *con, struct vm *vm,
			  struct event_base *base, struct cmux_port *port)
{
	const struct cmux_tap tap = {
		.output = console_output,
		.input_room = console_input_room,
		.opaque = con,
	};

	con->vm = vm;
	con->port = port;
	cmux_port_set_tap(port, &tap);
	con->in_ev = event_new(base, STDIN_FILENO, EV_READ | EV_PERSIST,
			       console_input, con);
	if (!con->in_ev)
		return -ENOMEM;
	if (event_add(con->in_ev, NULL) < 0) {
		/* /dev/null or a regular file: epoll refuses them. */
		log_debug("Standard input cannot be polled; the guest gets no console input.");
		event_free(con->in_ev);
		con->in_ev = NULL;
		return 0;
	}
	con->tty = isatty(STDIN_FILENO);
	if (con->tty)
		console_raw_tty();
	return 0;
}

static void console_detach(struct console *con)
{
	console_restore_tty();
	if (con->port)
		cmux_port_set_tap(con->port, NULL);
	if (con->in_ev)
		event_free(con->in_ev);
	con->in_ev = NULL;
}

/*
 * The consoles: COM1 always and the virtio console with
 * --virtio-console, each a port of the multiplexer (ring, log, socket).
 */
struct hv_consoles {
	struct cmux *mux;
	struct device *uart, *vcon;
	struct cmux_port *serial, *virtio;
};

static size_t hv_serial_input(void *opaque, const uint8_t *buf, size_t len)
{
	return ns8250_input(opaque, buf, len);
}

static size_t hv_virtio_input(void *opaque, const uint8_t *buf, size_t len)
{
	return virtio_console_input(opaque, buf, len);
}

static void hv_virtio_winsize(void *opaque, unsigned rows, unsigned cols)
{
	virtio_console_set_size(opaque, rows, cols);
}

/* A port for console @which with its log, if --console-log. */
static int hv_add_port(const struct hv_args *a, struct cmux *mux,
		       enum cmux_console which, const struct cmux_guest *g,
		       struct cmux_port **port)
{
	char *log = NULL;
	int rc;

	if (a->console_log) {
		log = cmux_log_path(a->console_log, which);
		if (!log)
			return -ENOMEM;
	}
	rc = cmux_add_port(mux, which, log, g, port);
	free(log);
	return rc;
}

/*
 * After vm_create(): the virtio console (the last PCI device, so that
 * the others keep their slots), the multiplexer's ports, the devices'
 * backends pointed at them, and the console socket. Returns 0 or
 * -errno, logged.
 */
static int hv_consoles_create(struct hv_consoles *hc, const struct hv_args *a,
			      struct vm *vm, struct event_base *base)
{
	struct cmux_guest serial = { .input = hv_serial_input };
	struct cmux_guest virtio = { .input = hv_virtio_input,
				     .winsize = hv_virtio_winsize };
	int rc;

	hc->uart = vm_find_device(vm, "serial0");
	if (!hc->uart)
		return -ENODEV;
	if (a->virtio_console) {
		rc = virtio_console_create(vm, NULL, &hc->vcon);
		if (rc) {
			log_err("Cannot create the virtio console: %s.",
				strerror(-rc));
			return rc;
		}
	}
	rc = cmux_new(base, &a->cmux, &hc->mux);
	if (rc) {
		log_err("Cannot set up the consoles: %s.", strerror(-rc));
		return rc;
	}
	serial.opaque = hc->uart;
	rc = hv_add_port(a, hc->mux, CMUX_SERIAL, &serial, &hc->serial);
	if (!rc && hc->vcon) {
		virtio.opaque = hc->vcon;
		rc = hv_add_port(a, hc->mux, CMUX_VIRTIO, &virtio,
				 &hc->virtio);
	}
	if (!rc && a->console_socket)
		rc = cmux_listen(hc->mux, a->console_socket);
	if (rc)
		return rc;
	ns8250_set_backend(hc->uart, &(struct ns8250_backend){
					     .output = cmux_port_output,
					     .rx_ready = cmux_port_rx_ready,
					     .opaque = hc->serial,
				     });
	if (hc->vcon)
		virtio_console_set_backend(
			hc->vcon, &(struct virtio_console_backend){
					  .output = cmux_port_output,
					  .rx_ready = cmux_port_rx_ready,
					  .opaque = hc->virtio,
				  });
	return 0;
}

/* Unhook the devices, then deliver what clients are owed and close. */
static void hv_consoles_dispose(struct hv_consoles *hc)
{
	if (hc->uart)
		ns8250_set_backend(hc->uart, NULL);
	if (hc->vcon)
		virtio_console_set_backend(hc->vcon, NULL);
	cmux_free(hc->mux);
	hc->mux = NULL;
}

/*
 * libevent's own messages: its warnings are about conditions we handle
 * (an unpollable stdin, say), so they are debug output here.
 */
static void on_libevent_log(int severity, const char *msg)
{
	if (severity >= EVENT_LOG_ERR)
		log_err("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	log_info("Signal %d: stopping the VM.", (int)sig);
	if (sig == SIGTERM)
		hv_set_killed_by("Stopped by SIGTERM.");
	else if (sig == SIGINT)
		hv_set_killed_by("Stopped by SIGINT.");
	else
		hv_set_killed_by("Stopped by SIGHUP.");
	vm_request_exit(arg, VM_EXIT_KILLED);
}

/* SIGUSR1: log the VM's counters (a debugging aid until --control). */
static void on_stats_signal(evutil_socket_t sig, short what, void *arg)
{
	struct json_object *o = json_object_new_object();

	if (o && vm_stats(arg, o) == 0)
		log_info("stats: %s", json_object_to_json_string_ext(
					      o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

#define NR_SIGNAL_EVENTS 4

static int add_signals(struct event_base *base, struct vm *vm,
		       struct event **evs)
{
	static const int sigs[NR_SIGNAL_EVENTS] = { SIGTERM, SIGINT, SIGHUP,
						    SIGUSR1 };

	for (size_t i = 0; i < NR_SIGNAL_EVENTS; i++) {
		evs[i] = evsignal_new(base, sigs[i],
				      sigs[i] == SIGUSR1 ? on_stats_signal :
							   on_signal,
				      vm);
		if (!evs[i] || evsignal_add(evs[i], NULL) < 0)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Before the VM starts: make sure the status file can be written, so that
 * a bad path fails now and not when the VM ends, and remove one left by
 * an earlier run, which would describe a VM that is not this one.
 * Returns 0 or -errno, logged.
 */
static int status_file_prepare(const char *path)
{
	char *tmp;
	int fd, rc = 0;

	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		log_err("Cannot create the status file %s: %s.", tmp,
			strerror(-rc));
		goto out_free;
	}
	close(fd);
	unlink(tmp);
	if (unlink(path) < 0 && errno != ENOENT) {
		rc = -errno;
		log_err("Cannot remove the old status file %s: %s.", path,
			strerror(-rc));
	}
out_free:
	free(tmp);
	return rc;
}

/*
 * Why the VM ended, for a keeld that was not watching: one JSON object
 * and a newline, replaced atomically (json_file_write()), so that a
 * reader sees all of it or nothing. Returns 0 or -errno, logged.
 */
static int status_file_write(const char *path, enum vm_exit_reason reason,
			     const char *detail)
{
	struct json_object *o = json_object_new_object();
	int rc = -ENOMEM;

	if (!o)
		goto out_log;
	json_object_object_add(
		o, HV_STATUS_REASON,
		json_object_new_string(vm_exit_reason_name(reason)));
	json_object_object_add(o, HV_STATUS_STATUS,
			       json_object_new_int(vm_exit_status(reason)));
	json_object_object_add(o, HV_STATUS_DETAIL,
			       json_object_new_string(detail));
	rc = json_file_write(path, o,
			     JSON_C_TO_STRING_PLAIN |
				     JSON_C_TO_STRING_NOSLASHESCAPE,
			     0644);
out_log:
	if (rc)
		log_err("Cannot write the status file %s: %s.", path,
			strerror(-rc));
	json_object_put(o);
	return rc;
}

/* The status file's and the stopped notification's sentence. */
static const char *hv_exit_detail(struct vm *vm, enum vm_exit_reason reason)
{
	if (reason != VM_EXIT_KILLED)
		return vm_exit_detail(vm);
	if (hv_killed_by)
		return hv_killed_by;
	return "Stopped by the control socket's stop method.";
}

/* Whether --linger keeps the process: only for what the guest did. */
static bool hv_lingers(const struct hv_args *a, enum vm_exit_reason reason)
{
	return a->linger &&
	       (reason == VM_EXIT_POWEROFF || reason == VM_EXIT_REBOOT ||
		reason == VM_EXIT_CRASH);
}

int main(int argc, char **argv)
{
	struct hv_args args = {
		.cfg = { .ram_size = VM_DEFAULT_RAM, .nr_vcpus = 1 },
		.console_stdio = true,
		.cmux = { .ring_size = CMUX_DEFAULT_RING,
			  .log_size = CMUX_DEFAULT_LOG_SIZE },
		.log_level = LOG_LEVEL_INFO,
	};
	struct console con = { 0 };
	struct hv_consoles hc = { 0 };
	struct event *sig_evs[NR_SIGNAL_EVENTS] = { NULL };
	enum vm_exit_reason reason = VM_EXIT_ERROR;
	struct control_ident ident = { NULL, NULL };
	struct event_base *base = NULL;
	const char *detail;
	struct control *ctl = NULL;
	struct vm *vm = NULL;

	for (unsigned i = 0; i < MAX_DISKS; i++)
		vblk_image_init(&args.images[i]);
	log_init("keel-hv", false, LOG_LEVEL_INFO);
	if (parse_args(argc, argv, &args))
		goto out_args;
	if (args.help) {
		usage(stdout);
		reason = VM_EXIT_POWEROFF; /* status 0 */
		goto out_args;
	}
	/* First: nothing of ours may take a descriptor number before. */
	if (hv_disks_open(&args))
		goto out_args;
	if (args.status_file && status_file_prepare(args.status_file))
		goto out_args;
	signal(SIGPIPE, SIG_IGN);
	event_set_log_callback(on_libevent_log);
	if (evthread_use_pthreads() < 0 || !(base = event_base_new())) {
		log_err("Cannot set up the event loop.");
		goto out_args;
	}
	args.cfg.console = NULL; /* hv_consoles_create() sets COM1's */
	args.cfg.disks = args.disks;
	args.cfg.nics = args.nics;
	if (vm_create(&args.cfg, base, &vm))
		goto out_base;
	if (hv_consoles_create(&hc, &args, vm, base))
		goto out_vm;
	if (add_signals(base, vm, sig_evs) ||
	    (args.console_stdio && console_attach(&con, vm, base, hc.serial))) {
		log_err("Cannot set up signal and console events.");
		goto out_vm;
	}
	ident.uuid = args.uuid[0] ? args.uuid : NULL;
	ident.name = args.name;
	if (args.control && control_new(vm, args.control, &ident, &ctl))
		goto out_vm;
	/* Nothing runs yet, so this only makes the vCPUs park at once. */
	if (args.paused && vm_pause(vm) == 0)
		log_info("The vCPUs start paused; resume on the control socket runs them.");
	if (vm_start(vm))
		goto out_vm; /* before the VM ran: no status file */
	reason = vm_run(vm);
	detail = hv_exit_detail(vm, reason);
	log_info("VM stopped: %s (%s)", vm_exit_reason_name(reason), detail);
	/* The file first: a client told "stopped" may go and read it. */
	if (args.status_file)
		status_file_write(args.status_file, reason, detail);
	control_vm_stopped(ctl, reason, vm_exit_status(reason), detail);
	cmux_vm_stopped(hc.mux, detail);
	if (hv_lingers(&args, reason)) {
		log_info("Lingering with the guest's memory until the control socket's stop or SIGTERM.");
		vm_linger(vm);
		log_info("Exiting after lingering; exit status %d (%s).",
			 vm_exit_status(reason), vm_exit_reason_name(reason));
	}

out_vm:
	control_free(ctl);
	console_detach(&con);
	hv_consoles_dispose(&hc);
	for (size_t i = 0; i < NR_SIGNAL_EVENTS; i++) {
		if (sig_evs[i])
			event_free(sig_evs[i]);
	}
	vm_free(vm);
out_base:
	event_base_free(base);
out_args:
	hv_args_dispose(&args);
	return vm_exit_status(reason);
}
