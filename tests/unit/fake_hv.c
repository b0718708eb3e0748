// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A stand-in for keel-hv that runs no VM, for the daemon unit suites
 * (check_lifecycle, check_console, check_hotplug, check_readopt): keeld
 * starts it with keel-hv's command line, and it plays keel-hv's part on
 * the control socket and the console socket (lib/hv_proto.h,
 * docs/console.md).
 *
 * Control: "status" answers {"state": "running"} with the vCPUs, memory,
 * balloon and vCPU threads' affinity it holds, "pause", "resume" and
 * "stats" are answered, "power-button" is answered and the VM powers off
 * (exit HV_EXIT_POWEROFF), "stop" is answered and it exits
 * HV_EXIT_KILLED. "vcpu-set", "balloon", "subscribe", "iotune",
 * "vcpu-pin" and "vcpus" change and report what it holds as keel-hv
 * does (the values start from --vcpus, --maxvcpus, --memory, --maxmem,
 * --cpus and --iotune). Console: the handshake is answered as the
 * writer, then "hello\n" comes as a DATA frame and every byte the
 * client sends is sent back.
 *
 * "save" writes a domain stream's preamble and HEADER (with the config
 * it was given; no RAM or state: keeld reads no further) into a new
 * file, sends one save-progress notification first, and then exits
 * HV_EXIT_SAVED ("then": "stop") or runs on. --restore=FD checks the
 * stream's HEADER and reads the descriptor to its end, as keel-hv does
 * before it makes its control socket.
 *
 * Words on the domain's cmdline change that (for --restore, the saved
 * config's, since keel-hv then gets no --cmdline): "fake.restore-fails"
 * refuses a --restore stream (exit HV_EXIT_ERROR with a sentence on
 * stderr, keel-hv's log), "fake.restore-slow" waits 1.2 s after its
 * HEADER, "fake.crash" ends the VM
 * with HV_EXIT_CRASH right after the first status (with --linger, the
 * process stays: it sends "stopped" and then serves only status, stats
 * and stop, as keel-hv does), "fake.no-console"
 * refuses the console handshake, "fake.outlive" keeps it running when
 * keeld hangs up (as keel-hv does, for re-adoption; alarm() still ends
 * it after a minute).
 *
 * Migration (docs/migration.md), scripted, with no stream: "migrate"
 * checks its params and answers {}, then sends one migrate-progress and
 * migrate-done {"ok": true}, after which the VM waits paused for "stop"
 * {"reason": "migrated"} (exit HV_EXIT_MIGRATED) or "resume". Words on
 * the migrated config's cmdline: "fake.migrate-fails" sends migrate-done
 * {"ok": false} instead, "fake.migrate-slow" sends no migrate-done until
 * a "migrate-cancel" (then {"ok": false, "error": "cancelled"}) or a
 * "migrate-set" with "force" (then ok). --incoming=FD must be a
 * listening socket and --incoming-token=FD a pipe holding 32 hex digits
 * and a newline; status says "incoming" until "resume", and
 * "subscribe" is answered after an incoming-done notification, as if
 * the stream had come at once. FAKE_HV_INCOMING_DONE_MS in the
 * environment holds that notification back: sent that many ms after
 * the subscribe, or never when negative (a stream still on its way).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "console_proto.h"
#include "cpumap.h"
#include "hv_proto.h"
#include "iotune.h"
#include "monotime.h"
#include "stream.h"

#define MAX_FDS 16

struct peer {
	int fd;
	bool console;		/* a console client, else a control client */
	bool streaming;		/* console: past the handshake */
	char buf[4096];
	size_t len;
};

static struct peer peers[MAX_FDS];
static size_t nr_peers;
static bool crash, no_console, outlive, linger, vm_stopped, restore_fails;
static bool restore_slow;
static bool incoming, migrating, migrate_slow, migrated;
static int incoming_done_fd = -1;	/* owed an incoming-done ... */
static long long incoming_done_at;	/* ... at this CLOCK_MONOTONIC ms */
static int err_code;		/* of the error call() returns */

/* What the VM holds, as keel-hv would report it. */
static int vcpus = 1, maxvcpus;
static long long memory_mib = 256, maxmem_mib, target_mib;
static char *affinity[KEEL_VCPUS_MAX];	/* NULL: the host's CPUs */
static struct iotune disk_io[KEEL_DISKS_MAX], nic_io[KEEL_NICS_MAX];
static char host_cpus[1024];

static int listen_on(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    listen(fd, 8)) {
		fprintf(stderr, "fake_hv: cannot listen on %s: %s\n", path,
			strerror(errno));
		exit(HV_EXIT_ERROR);
	}
	return fd;
}

static void send_text(int fd, const char *text)
{
	if (write(fd, text, strlen(text)) < 0)
		exit(HV_EXIT_ERROR);
}

static struct json_object *balloon_object(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "target_mib",
			       json_object_new_int64(target_mib));
	json_object_object_add(o, "actual_mib",
			       json_object_new_int64(target_mib));
	return o;
}

static struct json_object *threads_array(void)
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; i < maxvcpus; i++) {
		struct json_object *t = json_object_new_object();

		json_object_object_add(t, "id", json_object_new_int(i));
		json_object_object_add(t, "state",
				       json_object_new_string(i < vcpus ?
								      "running" :
								      "offline"));
		json_object_object_add(t, "affinity",
				       json_object_new_string(
					       affinity[i] ? affinity[i] :
							     host_cpus));
		json_object_array_add(a, t);
	}
	return a;
}

static struct json_object *status_object(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "state", json_object_new_string(
					 incoming ? "incoming" : "running"));
	json_object_object_add(o, "vcpus", json_object_new_int(vcpus));
	json_object_object_add(o, "maxvcpus", json_object_new_int(maxvcpus));
	json_object_object_add(o, "memory",
			       json_object_new_int64(target_mib << 20));
	json_object_object_add(o, "maxmem",
			       json_object_new_int64(maxmem_mib << 20));
	if (maxmem_mib > memory_mib)
		json_object_object_add(o, "balloon", balloon_object());
	json_object_object_add(o, "vcpu_threads", threads_array());
	return o;
}

/* "vblkN" or "vnetN": its limits, or NULL. */
static struct iotune *device_io(const char *dev, enum iotune_kind *kind)
{
	int n = dev ? atoi(dev + 4) : -1;

	if (dev && !strncmp(dev, "vblk", 4) && n >= 0 && n < KEEL_DISKS_MAX) {
		*kind = IOTUNE_DISK;
		return &disk_io[n];
	}
	if (dev && !strncmp(dev, "vnet", 4) && n >= 0 && n < KEEL_NICS_MAX) {
		*kind = IOTUNE_NIC;
		return &nic_io[n];
	}
	return NULL;
}

static const char *member_string(struct json_object *o, const char *key)
{
	struct json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ?
		       json_object_get_string(v) :
		       NULL;
}

/*
 * "save": a stream as far as keeld reads one (preamble, HEADER) into the
 * new file @params' path, or NULL and *@err. One save-progress goes to
 * @fd first, as keel-hv sends them while it writes.
 */
static struct json_object *save(int fd, struct json_object *params,
				int *exit_status, const char **err)
{
	const char *path = member_string(params, "path");
	const char *pipe = member_string(params, "pipe");
	const char *then = member_string(params, "then");
	struct json_object *config, *hdr, *ram, *r, *o;
	struct stream_writer *sw;
	const char *text;
	char note[160];
	int out, rc;

	if (!(path || pipe) || !then ||
	    !json_object_object_get_ex(params, "config", &config)) {
		*err = "save needs path or pipe, then and config.";
		return NULL;
	}
	/* keeld's writer reads the pipe; its flags as keel-hv's. */
	if (pipe) {
		out = open(pipe, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (out >= 0)
			fcntl(out, F_SETFL, fcntl(out, F_GETFL) & ~O_NONBLOCK);
		path = pipe;
	} else {
		out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			   0600);
	}
	if (out < 0) {
		err_code = -32007;	/* KEEL_E_OPERATION_FAILED */
		*err = "Cannot create the file.";
		return NULL;
	}
	snprintf(note, sizeof(note),
		 "{\"jsonrpc\":\"2.0\",\"method\":\"" HV_CTL_SAVE_PROGRESS
		 "\",\"params\":{\"done\":%lld,\"total\":%lld}}\n",
		 memory_mib << 19, memory_mib << 20);
	send_text(fd, note);
	hdr = json_object_new_object();
	ram = json_object_new_array();
	r = json_object_new_object();
	json_object_object_add(r, "gpa", json_object_new_int64(0));
	json_object_object_add(r, "size", json_object_new_int64(memory_mib << 20));
	json_object_array_add(ram, r);
	json_object_object_add(hdr, "writer", json_object_new_string("fake_hv"));
	json_object_object_add(hdr, "vcpus", json_object_new_int(vcpus));
	json_object_object_add(hdr, "ram", ram);
	json_object_object_add(hdr, "config", json_object_get(config));
	text = json_object_to_json_string_ext(hdr, JSON_C_TO_STRING_PLAIN);
	sw = stream_writer_new(out);
	rc = !sw || stream_write_preamble(sw) ||
	     stream_write_header(sw, text, strlen(text));
	stream_writer_free(sw);
	json_object_put(hdr);
	close(out);
	if (rc) {
		if (!pipe)
			unlink(path);
		err_code = -32007;
		*err = "Cannot write the file.";
		return NULL;
	}
	if (!strcmp(then, "stop"))
		*exit_status = HV_EXIT_SAVED;
	o = json_object_new_object();
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "bytes", json_object_new_int64(4096));
	json_object_object_add(o, "ms", json_object_new_int(1));
	return o;
}

/*
 * keel-hv gets no --cmdline with --restore: the fake.* words come from
 * the saved config's cmdline.
 */
static int restore_header(void *opaque, struct stream_reader *r,
			  const struct stream_header *h)
{
	const char *cmdline = member_string(h->config, "cmdline");

	(void)opaque;
	(void)r;
	if (cmdline) {
		restore_fails = strstr(cmdline, "fake.restore-fails") != NULL;
		restore_slow = strstr(cmdline, "fake.restore-slow") != NULL;
	}
	return -ECANCELED;
}

/* --restore=@fd: check the HEADER, then read to the end. */
static void restore(int fd)
{
	const struct stream_ops ops = { .header = restore_header };
	char err[STREAM_ERR_SIZE] = "";
	char buf[4096];

	if (stream_read(fd, &ops, NULL, err, sizeof(err)) != -ECANCELED) {
		fprintf(stderr, "The domain stream is refused: %s\n", err);
		exit(HV_EXIT_ERROR);
	}
	/* Between the header and the rest: keeld sees where it is. */
	if (restore_slow)
		usleep(1200 * 1000);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (restore_fails) {
		fprintf(stderr, "The domain stream's checksum does not match: it is damaged.\n");
		exit(HV_EXIT_ERROR);
	}
	close(fd);
}

/* A migrate-done notification to @fd: ok, or failed with @error. */
static void migrate_done(int fd, const char *error)
{
	char note[256];

	migrating = false;
	if (error) {
		snprintf(note, sizeof(note),
			 "{\"jsonrpc\":\"2.0\",\"method\":\"" HV_CTL_MIGRATE_DONE
			 "\",\"params\":{\"ok\":false,\"error\":\"%s\"}}\n",
			 error);
	} else {
		migrated = true;
		snprintf(note, sizeof(note),
			 "{\"jsonrpc\":\"2.0\",\"method\":\"" HV_CTL_MIGRATE_DONE
			 "\",\"params\":{\"ok\":true,\"sent\":%lld,\"rounds\":2,\"downtime_ms\":7,\"stream_ms\":40}}\n",
			 memory_mib << 20);
	}
	send_text(fd, note);
}

/*
 * "migrate": the params keeld must give, then (after the answer, which
 * control() sends first) the notifications of a migration.
 */
static struct json_object *migrate(struct json_object *params,
				   const char **err, bool *then_done)
{
	static const char *const keys[] = { "host", "port", "server_name",
					    "token", "pki_dir", "config",
					    "downtime_ms", "bandwidth_mib",
					    "auto_converge", "live" };
	struct json_object *config;
	const char *cmdline;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_object_object_get_ex(params, keys[i], NULL)) {
			*err = "migrate lacks a member keel-hv needs.";
			return NULL;
		}
	if (migrating || migrated) {
		err_code = -32003;
		*err = "A migration is under way already.";
		return NULL;
	}
	json_object_object_get_ex(params, "config", &config);
	cmdline = member_string(config, "cmdline");
	migrating = true;
	migrate_slow = cmdline && strstr(cmdline, "fake.migrate-slow");
	*then_done = true;
	return json_object_new_object();
}

/* After migrate's answer: a pass, and its end unless it is slow. */
static void migrate_run(int fd, struct json_object *params)
{
	struct json_object *config;
	const char *cmdline;

	json_object_object_get_ex(params, "config", &config);
	cmdline = member_string(config, "cmdline");
	send_text(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"" HV_CTL_MIGRATE_PROGRESS
		      "\",\"params\":{\"round\":1,\"sent\":1048576,\"remaining\":4096,\"dirty_rate\":8192,\"expected_downtime_ms\":3,\"throttle\":0}}\n");
	if (cmdline && strstr(cmdline, "fake.migrate-fails"))
		migrate_done(fd, "keel-hv at the destination refused the token.");
	else if (!migrate_slow)
		migrate_done(fd, NULL);
}

static void incoming_done_send(int fd)
{
	send_text(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"" HV_CTL_INCOMING_DONE
		      "\",\"params\":{}}\n");
}

/* A subscribe on @fd while incoming: the stream "arrives" now or later. */
static void incoming_done_later(int fd)
{
	const char *env = getenv("FAKE_HV_INCOMING_DONE_MS");
	long long ms = env ? atoll(env) : 0;

	if (!ms) {
		incoming_done_send(fd);
		return;
	}
	if (ms > 0) {
		incoming_done_fd = fd;
		incoming_done_at = monotime_ms() + ms;
	}
}

/* The poll(2) timeout until an owed incoming-done, sending it when due. */
static int incoming_done_due(void)
{
	long long left;

	if (incoming_done_fd < 0)
		return -1;
	left = incoming_done_at - monotime_ms();
	if (left > 0)
		return (int)left;
	incoming_done_send(incoming_done_fd);
	incoming_done_fd = -1;
	return -1;
}

/*
 * --incoming: a listening socket, and the token's pipe holding a line of
 * 32 hex digits, as keeld hands them over (docs/migration.md).
 */
static bool incoming_ready(int fd, int token_fd)
{
	int listening = 0;
	socklen_t len = sizeof(listening);
	char token[64];
	ssize_t n;

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) ||
	    !listening) {
		fprintf(stderr, "--incoming=%d is not a listening socket.\n", fd);
		return false;
	}
	n = token_fd >= 0 ? read(token_fd, token, sizeof(token) - 1) : -1;
	if (n != 33 || token[32] != '\n' ||
	    strspn(token, "0123456789abcdef") != 32) {
		fprintf(stderr, "--incoming-token=%d does not hold a token line.\n",
			token_fd);
		return false;
	}
	return true;
}

/* Run @method with @params: a result, or NULL and *@err. */
static struct json_object *call(int fd, const char *method,
				struct json_object *params, int *exit_status,
				const char **err, bool *then_migrate)
{
	struct json_object *v, *o;
	enum iotune_kind kind;
	struct iotune *io;
	char why[256];

	if (!strcmp(method, HV_CTL_STATUS)) {
		o = status_object();
		if (vm_stopped)
			json_object_object_add(o, "state",
					       json_object_new_string("stopped"));
		else if (crash)
			*exit_status = HV_EXIT_CRASH;
		return o;
	}
	if (!strcmp(method, HV_CTL_STATS))
		return json_tokener_parse("{\"fake\":true}");
	err_code = -32602;	/* invalid params, unless said otherwise */
	if (vm_stopped && strcmp(method, HV_CTL_STOP)) {
		err_code = -32003;	/* KEEL_E_INVALID_STATE */
		*err = "The VM has stopped; only status, stats and stop are served.";
		return NULL;
	}
	if (!strcmp(method, HV_CTL_POWER_BUTTON))
		*exit_status = HV_EXIT_POWEROFF;
	else if (!strcmp(method, HV_CTL_STOP) &&
		 member_string(params, "reason") &&
		 !strcmp(member_string(params, "reason"), HV_REASON_MIGRATED)) {
		if (!migrated) {
			err_code = -32003;
			*err = "stop {\"reason\": \"migrated\"} comes only after the migration's DONE.";
			return NULL;
		}
		*exit_status = HV_EXIT_MIGRATED;
	} else if (!strcmp(method, HV_CTL_STOP))
		/* {"reason": "saved"} after a save that paused (keel-hv.8). */
		*exit_status = member_string(params, "reason") ?
				       HV_EXIT_SAVED :
				       HV_EXIT_KILLED;
	if (!strcmp(method, HV_CTL_RESUME)) {
		incoming = false;
		migrated = false;
	}
	if (!strcmp(method, HV_CTL_MIGRATE_CANCEL)) {
		if (!migrating) {
			err_code = -32003;
			*err = "No migration is under way that could be cancelled.";
			return NULL;
		}
		migrate_done(fd, "cancelled");
		return json_object_new_object();
	}
	if (!strcmp(method, HV_CTL_MIGRATE_SET)) {
		if (!migrating) {
			err_code = -32003;
			*err = "No migration is under way.";
			return NULL;
		}
		if (json_object_object_get_ex(params, "force", &v) &&
		    json_object_get_boolean(v))
			migrate_done(fd, NULL);
		return json_object_new_object();
	}
	if (!strcmp(method, HV_CTL_VCPU_SET)) {
		int n = params && json_object_object_get_ex(params, "online",
							    &v) ?
				json_object_get_int(v) :
				0;

		if (n < 1 || n > maxvcpus) {
			*err = "online must be from 1 to the VM's maximum vCPUs.";
			return NULL;
		}
		vcpus = n;
		o = json_object_new_object();
		json_object_object_add(o, "vcpus", json_object_new_int(vcpus));
		json_object_object_add(o, "maxvcpus",
				       json_object_new_int(maxvcpus));
		return o;
	}
	if (!strcmp(method, HV_CTL_SUBSCRIBE) && incoming)
		incoming_done_later(fd);
	if (!strcmp(method, HV_CTL_BALLOON) || !strcmp(method, HV_CTL_SUBSCRIBE)) {
		if (maxmem_mib <= memory_mib) {
			*err = "This VM has no balloon device (keel-hv --balloon or --maxmem).";
			return NULL;
		}
		if (!strcmp(method, HV_CTL_SUBSCRIBE)) {
			o = json_object_new_object();
			json_object_object_add(o, "balloon", balloon_object());
			return o;
		}
		if (params &&
		    json_object_object_get_ex(params, "target_mib", &v))
			target_mib = json_object_get_int64(v);
		return balloon_object();
	}
	if (!strcmp(method, HV_CTL_IOTUNE)) {
		io = device_io(member_string(params, "device"), &kind);
		if (!io) {
			*err = "There is no such device.";
			return NULL;
		}
		if (json_object_object_get_ex(params, "limits", &v)) {
			memset(io, 0, sizeof(*io));
			if (iotune_from_json(kind, v, io, why, sizeof(why))) {
				*err = "Bad limits.";
				return NULL;
			}
		}
		o = json_object_new_object();
		json_object_object_add(o, "limits",
				       iotune_to_json(kind, io, true));
		return o;
	}
	if (!strcmp(method, HV_CTL_VCPU_PIN)) {
		const char *list = member_string(params, "cpus");
		int one = params && json_object_object_get_ex(params, "vcpu",
							      &v) ?
				  json_object_get_int(v) :
				  -1;

		for (int i = 0; list && i < maxvcpus; i++) {
			if (one >= 0 && i != one)
				continue;
			free(affinity[i]);
			affinity[i] = strcmp(list, "all") ? strdup(list) : NULL;
		}
		return json_object_new_object();
	}
	if (!strcmp(method, HV_CTL_SAVE))
		return save(fd, params, exit_status, err);
	if (!strcmp(method, HV_CTL_MIGRATE))
		return migrate(params, err, then_migrate);
	if (!strcmp(method, HV_CTL_VCPUS)) {
		o = json_object_new_object();
		json_object_object_add(o, "vcpus", threads_array());
		return o;
	}
	return json_object_new_object();
}

/* Answer request @line on the control socket @fd. */
static void control(int fd, const char *line)
{
	struct json_object *req = json_tokener_parse(line), *v, *params = NULL;
	struct json_object *resp, *result;
	const char *method, *err = NULL;
	bool then_migrate = false;
	int exit_status = -1;

	method = member_string(req, "method");
	if (!method) {
		json_object_put(req);
		return;
	}
	json_object_object_get_ex(req, "params", &params);
	result = call(fd, method, params, &exit_status, &err, &then_migrate);
	resp = json_object_new_object();
	json_object_object_add(resp, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(resp, "id",
			       json_object_object_get_ex(req, "id", &v) ?
				       json_object_get(v) :
				       NULL);
	if (result) {
		json_object_object_add(resp, "result", result);
	} else {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "code",
				       json_object_new_int(err_code));
		json_object_object_add(e, "message",
				       json_object_new_string(err));
		json_object_object_add(resp, "error", e);
	}
	send_text(fd, json_object_to_json_string_ext(resp,
						     JSON_C_TO_STRING_PLAIN));
	send_text(fd, "\n");
	json_object_put(resp);
	if (then_migrate)
		migrate_run(fd, params);
	json_object_put(req);
	if (exit_status == HV_EXIT_CRASH && linger) {
		/* The VM ended; the process stays and says so. */
		vm_stopped = true;
		send_text(fd, "{\"jsonrpc\":\"2.0\",\"method\":\"" HV_CTL_STOPPED
			  "\",\"params\":{\"" HV_STATUS_REASON "\":\"" HV_REASON_CRASH
			  "\",\"" HV_STATUS_STATUS "\":3}}\n");
		return;
	}
	if (exit_status >= 0) {
		/* Let keeld read the answer before the socket goes. */
		usleep(20 * 1000);
		exit(exit_status);
	}
}

/* The console handshake @line came on @p. */
static void console_handshake(struct peer *p)
{
	uint8_t hdr[CONSOLE_FRAME_HEADER];

	if (no_console) {
		send_text(p->fd, "{\"ok\":false,\"error\":\"This domain has no such console.\"}\n");
		return;
	}
	send_text(p->fd, "{\"ok\":true,\"role\":\"writer\",\"console\":\"serial\"}\n");
	console_frame_header(hdr, CONSOLE_FRAME_DATA, 6);
	if (write(p->fd, hdr, sizeof(hdr)) < 0 || write(p->fd, "hello\n", 6) < 0)
		exit(HV_EXIT_ERROR);
	p->streaming = true;
}

static void drop(size_t i)
{
	/*
	 * keeld hung up: unlike keel-hv, which outlives keeld, the stand-in
	 * ends with it, so that a test that failed leaves nothing running.
	 */
	if (!peers[i].console && !outlive)
		exit(HV_EXIT_KILLED);
	if (peers[i].fd == incoming_done_fd)
		incoming_done_fd = -1;
	close(peers[i].fd);
	peers[i] = peers[--nr_peers];
}

/* Bytes came from peer @i. */
static void readable(size_t i)
{
	struct peer *p = &peers[i];
	ssize_t n = read(p->fd, p->buf + p->len, sizeof(p->buf) - p->len - 1);
	char *nl;

	if (n <= 0) {
		drop(i);
		return;
	}
	if (p->streaming) {
		/* Echo: keeld relays it back to the client unchanged. */
		if (write(p->fd, p->buf, (size_t)n) < 0)
			drop(i);
		return;
	}
	p->len += (size_t)n;
	p->buf[p->len] = '\0';
	while (!p->streaming && (nl = strchr(p->buf, '\n'))) {
		*nl = '\0';
		if (p->console)
			console_handshake(p);
		else
			control(p->fd, p->buf);
		p->len -= (size_t)(nl + 1 - p->buf);
		memmove(p->buf, nl + 1, p->len + 1);
	}
}

int main(int argc, char **argv)
{
	/* keel-hv's options this needs; the others are passed over. */
	static const struct option opts[] = {
		{ HV_OPT_CONTROL, required_argument, NULL, 'c' },
		{ HV_OPT_CONSOLE_SOCKET, required_argument, NULL, 's' },
		{ HV_OPT_CMDLINE, required_argument, NULL, 'l' },
		{ HV_OPT_VCPUS, required_argument, NULL, 'v' },
		{ HV_OPT_MAXVCPUS, required_argument, NULL, 'V' },
		{ HV_OPT_MEMORY, required_argument, NULL, 'm' },
		{ HV_OPT_MAXMEM, required_argument, NULL, 'M' },
		{ HV_OPT_CPUS, required_argument, NULL, 'p' },
		{ HV_OPT_IOTUNE, required_argument, NULL, 'i' },
		{ HV_OPT_LINGER, no_argument, NULL, 'L' },
		{ HV_OPT_RESTORE, required_argument, NULL, 'r' },
		{ HV_OPT_KERNEL, required_argument, NULL, 'k' },
		{ HV_OPT_INCOMING, required_argument, NULL, 'I' },
		{ HV_OPT_INCOMING_TOKEN, required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	const char *ctl_path = NULL, *con_path = NULL;
	struct cpumap host;
	int ctl, con, o, restore_fd = -1, incoming_fd = -1, token_fd = -1;
	bool boot_options = false;	/* --kernel or --cmdline */

	if (cpumap_host(&host))
		cpumap_zero(&host);
	cpumap_format(&host, host_cpus, sizeof(host_cpus));
	opterr = 0;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *colon = optarg ? strchr(optarg, ':') : NULL;

		if (o == 'c') {
			ctl_path = optarg;
		} else if (o == 's') {
			con_path = optarg;
		} else if (o == 'k') {
			boot_options = true;
		} else if (o == 'l') {
			boot_options = true;
			crash = strstr(optarg, "fake.crash") != NULL;
			no_console = strstr(optarg, "fake.no-console") != NULL;
			outlive = strstr(optarg, "fake.outlive") != NULL;
		} else if (o == 'L') {
			linger = true;
		} else if (o == 'r') {
			restore_fd = atoi(optarg);
		} else if (o == 'I') {
			incoming_fd = atoi(optarg);
		} else if (o == 'T') {
			token_fd = atoi(optarg);
		} else if (o == 'v') {
			vcpus = atoi(optarg);
		} else if (o == 'V') {
			maxvcpus = atoi(optarg);
		} else if (o == 'm') {
			memory_mib = atoll(optarg);
		} else if (o == 'M') {
			maxmem_mib = atoll(optarg);
		} else if (o == 'p' && colon) {
			int n = atoi(optarg);

			if (n >= 0 && n < KEEL_VCPUS_MAX)
				affinity[n] = strdup(colon + 1);
		} else if (o == 'p') {
			for (int i = 0; i < KEEL_VCPUS_MAX; i++)
				if (!affinity[i])
					affinity[i] = strdup(optarg);
		} else if (o == 'i' && colon) {
			enum iotune_kind kind;
			struct iotune *io;
			char why[256];

			*colon = '\0';
			io = device_io(optarg, &kind);
			if (io)
				iotune_parse(kind, colon + 1, io, why,
					     sizeof(why));
		}
	}
	if (maxvcpus < vcpus)
		maxvcpus = vcpus;
	if (maxmem_mib < memory_mib)
		maxmem_mib = memory_mib;
	/* keel-hv starts with all of its RAM and the balloon at memory. */
	target_mib = memory_mib;
	if (!ctl_path || !con_path) {
		fprintf(stderr, "fake_hv: no --%s or --%s\n", HV_OPT_CONTROL,
			HV_OPT_CONSOLE_SOCKET);
		return HV_EXIT_ERROR;
	}
	/* Never outlive a test by much, whatever happens to it. */
	alarm(60);
	if (restore_fd >= 0 && boot_options) {
		/* As keel-hv: the restored guest runs its saved kernel. */
		fprintf(stderr, "--restore takes no --kernel or --cmdline.\n");
		return HV_EXIT_ERROR;
	}
	if (restore_fd >= 0)
		restore(restore_fd);
	if (incoming_fd >= 0 || token_fd >= 0) {
		if (boot_options || !incoming_ready(incoming_fd, token_fd))
			return HV_EXIT_ERROR;
		incoming = true;
	}
	ctl = listen_on(ctl_path);
	con = listen_on(con_path);
	for (;;) {
		struct pollfd pfd[MAX_FDS + 2] = {
			{ .fd = ctl, .events = POLLIN },
			{ .fd = con, .events = POLLIN },
		};

		for (size_t i = 0; i < nr_peers; i++)
			pfd[i + 2] = (struct pollfd){ .fd = peers[i].fd,
						      .events = POLLIN };
		if (poll(pfd, nr_peers + 2, incoming_done_due()) < 0 &&
		    errno != EINTR)
			return HV_EXIT_ERROR;
		for (size_t i = nr_peers; i-- > 0;)
			if (pfd[i + 2].revents)
				readable(i);
		for (int l = 0; l < 2; l++) {
			int fd;

			if (!(pfd[l].revents & POLLIN) || nr_peers == MAX_FDS)
				continue;
			fd = accept4(pfd[l].fd, NULL, NULL, SOCK_CLOEXEC);
			if (fd < 0)
				continue;
			peers[nr_peers++] = (struct peer){ .fd = fd,
							   .console = l == 1 };
		}
	}
}
