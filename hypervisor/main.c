// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv: one KVM virtual machine per process (man/keel-hv.8).
 *
 * Exit status, one per way the VM can end (enum hv_exit, hv_proto.h):
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
 *   5       saved      the control socket's save with "then": "stop"
 *                      wrote the domain stream, and the VM ended
 *
 * --incoming fails with status 1 when no migration arrives within
 * HV_MIG_ACCEPT_S, the source is refused (certificate, subject, token)
 * or its stream breaks or does not fit; the status file says which.
 *
 * With --linger a guest that powers off, reboots or crashes leaves the
 * process running, and its later stop exits with that first status.
 * --status-file records the same (reason, status and a sentence) for a
 * keeld that was not there to see the exit, and so does every failure
 * once the options are understood, a failure to start included: its
 * sentence is the first error keel-hv logged (hv_error.h).
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "console_mux.h"
#include "console_stdio.h"
#include "control.h"
#include "device.h"
#include "dump_core.h"
#include "hv_args.h"
#include "hv_error.h"
#include "incoming.h"
#include "log.h"
#include "monotime.h"
#include "save.h"
#include "status_file.h"
#include "virtio_console.h"
#include "vmm.h"

/* When a start fails without saying why; hv_error() should have. */
#define HV_START_FAILED "keel-hv could not start the VM; its log says why."

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

/* Ctrl-] on the stdio console. */
static void hv_console_escape(void *opaque)
{
	hv_set_killed_by("Stopped by Ctrl-] on the console.");
	vm_request_exit(opaque, VM_EXIT_KILLED);
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
 * After vm_new(): the multiplexer's ports for COM1 and the virtio
 * console (if --virtio-console made one), the devices' backends pointed
 * at them, and the console socket. Returns 0 or -errno, logged.
 */
static int hv_consoles_init(struct hv_consoles *hc, const struct hv_args *a,
			    struct vm *vm, struct event_base *base)
{
	struct cmux_guest serial = { .input = hv_serial_input };
	struct cmux_guest virtio = { .input = hv_virtio_input,
				     .winsize = hv_virtio_winsize };
	int rc;

	hc->uart = vm_find_device(vm, "serial0");
	if (!hc->uart)
		return -ENODEV;
	hc->vcon = vm_find_device(vm, "vcon0");
	rc = cmux_new(base, &a->cmux, &hc->mux);
	if (rc) {
		hv_error("Cannot set up the consoles: %s.", strerror(-rc));
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

/* The status file's and the stopped notification's sentence. */
static const char *hv_exit_detail(struct vm *vm, enum vm_exit_reason reason)
{
	if (reason == VM_EXIT_ERROR && hv_error_first())
		return hv_error_first();
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

/* Everything a running keel-hv holds, in the order it is set up. */
struct hv {
	struct event_base *base;
	struct vm *vm;
	struct hv_consoles consoles;
	struct console_stdio stdio;
	struct event *sig_evs[NR_SIGNAL_EVENTS];
	struct control_ident ident;
	struct control *ctl;
	struct incoming *incoming; /* --incoming, until keel-hv ends */
};

/*
 * --restore: the stream on its descriptor into the VM just built, which
 * runs nothing until this returned 0. The descriptor is closed either
 * way. Returns 0 or -errno after hv_error() gave the reader's sentence.
 */
static int hv_restore(struct hv *hv, struct hv_args *a)
{
	struct stream_io io = stream_io_fd(a->restore_fd);
	char why[SAVE_WHY_MAX];
	long long t0, ms;
	off_t end;
	int rc;

	t0 = monotime_ms();
	rc = restore_read(hv->vm, &io, NULL, NULL, why);
	ms = monotime_ms() - t0;
	end = lseek(a->restore_fd, 0, SEEK_CUR);
	close(a->restore_fd);
	if (rc) {
		hv_error("%s", why[0] ? why : "The domain stream could not be read.");
		return rc;
	}
	restore_done(hv->vm);
	/* What a restore costs beyond starting keel-hv (docs/save-bench.md). */
	log_info("Restored the VM from the domain stream on descriptor %d (%lld bytes) in %lld ms.",
		 a->restore_fd, (long long)end, ms);
	a->restore_fd = -1;
	return 0;
}

/*
 * Build the VM @a describes and everything around it (event loop,
 * consoles, signals, control socket) and start its vCPUs. Returns 0 or
 * -errno after hv_error() said why; hv_stop() undoes it either way.
 */
static int hv_start(struct hv *hv, struct hv_args *a)
{
	int rc;

	/* First: nothing of ours may take a descriptor number before. */
	rc = hv_args_open_disks(a);
	if (rc)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	event_set_log_callback(on_libevent_log);
	if (evthread_use_pthreads() < 0 || !(hv->base = event_base_new())) {
		hv_error("Cannot set up the event loop.");
		return -ENOMEM;
	}
	a->cfg.console = NULL; /* hv_consoles_init() sets COM1's */
	a->cfg.disks = a->disks;
	a->cfg.nics = a->nics;
	rc = vm_new(&a->cfg, hv->base, &hv->vm);
	if (rc)
		return rc;
	rc = hv_consoles_init(&hv->consoles, a, hv->vm, hv->base);
	if (rc)
		return rc;
	rc = add_signals(hv->base, hv->vm, hv->sig_evs);
	if (!rc && a->console_stdio)
		rc = console_stdio_attach(&hv->stdio, hv->base,
					  hv->consoles.serial,
					  hv_console_escape, hv->vm);
	if (rc) {
		hv_error("Cannot set up signal and console events.");
		return rc;
	}
	/* All of it before the control socket: nothing half restored runs. */
	if (a->restore_fd >= 0) {
		rc = hv_restore(hv, a);
		if (rc)
			return rc;
	}
	hv->ident.uuid = a->uuid[0] ? a->uuid : NULL;
	hv->ident.name = a->name;
	if (a->control) {
		rc = control_new(hv->vm, a->control, &hv->ident, &hv->ctl);
		if (rc)
			return rc;
	}
	/* Nothing runs yet, so this only makes the vCPUs park at once. */
	if ((a->paused || a->incoming_fd >= 0) && vm_pause(hv->vm) == 0)
		log_info("The vCPUs start paused; resume on the control socket runs them.");
	/*
	 * --incoming: the control socket answers while the stream arrives
	 * on a thread of its own; the parked vCPUs run nothing it has not
	 * finished, and only resume runs them.
	 */
	if (a->incoming_fd >= 0) {
		rc = incoming_start(hv->vm, hv->ctl, a, &hv->incoming);
		if (rc)
			return rc;
	}
	return vm_start(hv->vm);
}

/* Undo hv_start(), however far it got. */
static void hv_stop(struct hv *hv)
{
	incoming_free(hv->incoming);
	control_free(hv->ctl);
	console_stdio_detach(&hv->stdio);
	hv_consoles_dispose(&hv->consoles);
	for (size_t i = 0; i < NR_SIGNAL_EVENTS; i++) {
		if (hv->sig_evs[i])
			event_free(hv->sig_evs[i]);
	}
	vm_free(hv->vm);
	if (hv->base)
		event_base_free(hv->base);
}

/*
 * --dump-on asked for a core when the VM ends with @reason: write it
 * into --dump-dir as NAME-YYYYmmdd-HHMMSS.core (the vCPUs are joined,
 * memory is intact) and say where in @detail, the end's sentence, which
 * is extended in @buf. Returns the sentence to report.
 */
static const char *hv_dump_on_end(struct hv *hv, const struct hv_args *a,
				  enum vm_exit_reason reason,
				  const char *detail, char *buf, size_t size)
{
	char path[PATH_MAX], stamp[32], why[DUMP_CORE_WHY_MAX];
	time_t now = time(NULL);
	struct tm tm;
	uint64_t bytes;
	int rc;

	if (!(a->dump_on & (1u << reason)))
		return detail;
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S",
		 localtime_r(&now, &tm));
	if (mkdir(a->dump_dir, 0700) < 0 && errno != EEXIST) {
		snprintf(buf, size, "%s No core was written: cannot make %s: %s.",
			 detail, a->dump_dir, strerror(errno));
		log_err("%s", buf);
		return buf;
	}
	snprintf(path, sizeof(path), "%s/%s-%s.core", a->dump_dir,
		 a->name ? a->name : a->uuid[0] ? a->uuid : "guest", stamp);
	rc = dump_core_file(hv->vm, path, 0, &bytes, why);
	if (rc)
		snprintf(buf, size, "%s No core was written: %s", detail, why);
	else
		snprintf(buf, size, "%s Its core is in %s.", detail, path);
	return buf;
}

/*
 * The VM ended with @reason: write its core if asked to, tell the status
 * file, the control socket's clients and the console's, then linger if
 * asked to.
 */
static void hv_ended(struct hv *hv, const struct hv_args *a,
		     enum vm_exit_reason reason)
{
	static char buf[PATH_MAX + 2 * DUMP_CORE_WHY_MAX];
	const char *detail = hv_dump_on_end(hv, a, reason,
					    hv_exit_detail(hv->vm, reason),
					    buf, sizeof(buf));

	log_info("VM stopped: %s (%s)", vm_exit_reason_name(reason), detail);
	/* The file first: a client told "stopped" may go and read it. */
	if (a->status_file)
		status_file_write(a->status_file, reason, detail);
	control_vm_stopped(hv->ctl, reason, vm_exit_status(reason), detail);
	cmux_vm_stopped(hv->consoles.mux, detail);
	if (hv_lingers(a, reason)) {
		log_info("Lingering with the guest's memory until the control socket's stop or SIGTERM.");
		vm_linger(hv->vm);
		log_info("Exiting after lingering; exit status %d (%s).",
			 vm_exit_status(reason), vm_exit_reason_name(reason));
	}
}

/* Run the VM @a describes to its end. Returns why it ended. */
static enum vm_exit_reason hv_run(struct hv_args *a)
{
	struct hv hv = { 0 };
	enum vm_exit_reason reason = VM_EXIT_ERROR;

	if (a->status_file && status_file_prepare(a->status_file))
		return VM_EXIT_ERROR;
	/* From here on every end, a failure to start too, is reported. */
	if (hv_start(&hv, a)) {
		const char *why = hv_error_first();

		if (a->status_file)
			status_file_write(a->status_file, VM_EXIT_ERROR,
					  why ? why : HV_START_FAILED);
	} else {
		reason = vm_run(hv.vm);
		hv_ended(&hv, a, reason);
	}
	hv_stop(&hv);
	return reason;
}

int main(int argc, char **argv)
{
	enum vm_exit_reason reason = VM_EXIT_ERROR;
	struct hv_args args;

	hv_args_init(&args);
	log_init("keel-hv", false, LOG_LEVEL_INFO);
	if (hv_args_parse(&args, argc, argv) == 0) {
		if (args.help) {
			hv_args_usage(stdout);
			reason = VM_EXIT_POWEROFF; /* status 0 */
		} else {
			reason = hv_run(&args);
		}
	}
	hv_args_dispose(&args);
	return vm_exit_status(reason);
}
