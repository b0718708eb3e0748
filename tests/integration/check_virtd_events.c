// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-virtd's domain events and consoles, with a real keeld. Built
 * twice from this file:
 *
 * check_virtd_events (no KVM): Debian's unpatched python3-libvirt, with
 * libvirt's default event loop, and `virsh event --all --loop` see the
 * domains they and keeld define and undefine (virtd_events.py host:
 * also filters, deregistration, read-only consoles refused, hostile
 * registrations); virsh's events go on after keeld restarts.
 *
 * check_virtd_events_kvm (-DVIRTD_EVENTS_KVM; nested in QEMU where
 * /dev/kvm is missing): the echo guest started, its console typed into
 * and read, taken over with --force, finished, then suspended, resumed
 * and destroyed, with libvirt's event and detail numbers for each. The
 * nested machine has neither virsh nor python3-libvirt, so the client
 * there is this program, on keel's XDR (libvirt/virt_protocol.x, which
 * the host suite holds to the stock clients); where they are (a host
 * with /dev/kvm) virtd_events.py guest runs the same with them too:
 * python's callbacks and virStream, virsh event and virsh console on a
 * pseudo-terminal. To run that part nested, bring them in by hand:
 *   D=/usr/lib/python3/dist-packages; tests/nested/kvm-in-qemu
 *   -f /usr/bin/python3.11 -f /usr/bin/python3 -f /usr/lib/python3.11
 *   -f $D/libvirt.py -f $D/libvirtmod.cpython-311-x86_64-linux-gnu.so
 *   -f /usr/bin/virsh BUILDDIR tests/integration/check_virtd_events_kvm
 */
#include "config.h"

#include <check.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* libtirpc's <rpc/clnt.h> has an rpc_call() of its own: keep it apart. */
#define rpc_call tirpc_rpc_call
#include "virt_frame.h"
#undef rpc_call

#include "harness.h"
#include "keeld_fixture.h"
#include "runner.h"

#define PYTHON "/usr/bin/python3"
#define VIRTD_READY_MS 60000
#define CLIENT_TIMEOUT_MS 120000

static struct proc virtd;
static char virt_sock[200], uri[256], uri_ro[256];

static void start_both(void)
{
	char *argv[] = {
		(char *)harness_path("libvirt/keel-virtd"), "--keeld",
		rw_sock, "--socket", virt_sock, "--workers", "2", NULL,
	};

	keeld_start();
	snprintf(virt_sock, sizeof(virt_sock), "%s/virt-sock", top);
	snprintf(uri, sizeof(uri), "keel+unix:///system?socket=%s", virt_sock);
	snprintf(uri_ro, sizeof(uri_ro), "keel+unix:///system?socket=%s-ro",
		 virt_sock);
	memset(&virtd, 0, sizeof(virtd));
	ck_assert_int_eq(proc_spawn(&virtd, argv), 0);
	ck_assert_msg(proc_expect(&virtd, "ready:", 0, VIRTD_READY_MS) > 0,
		      "keel-virtd did not start: %s", virtd.out);
}

static void stop_virtd(void)
{
	if (virtd.pid > 0)
		proc_dispose(&virtd);
}

static const char *script(void)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/tests/integration/virtd_events.py",
		 getenv("KEEL_SRCDIR") ? getenv("KEEL_SRCDIR") : "..");
	return path;
}

static bool have_stock_clients(void)
{
	return harness_have_file(HARNESS_VIRSH) &&
	       !harness_sh("%s -c 'import libvirt' 2>/dev/null", PYTHON);
}

/* Run virtd_events.py with @argv's words after the script; must pass. */
static void run_script(char *const words[])
{
	char *argv[12] = { PYTHON, (char *)script() };
	struct proc p = { 0 };
	int i;

	for (i = 0; words[i] && i < 9; i++)
		argv[i + 2] = words[i];
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_msg(proc_wait(&p, CLIENT_TIMEOUT_MS) == 0,
		      "virtd_events.py %s: %s", words[0], harness_tail(p.out));
	ck_assert_msg(strstr(p.out, "virtd_events.py: ok"), "%s", p.out);
	printf("%s", harness_tail(p.out));
	proc_dispose(&p);
}

#ifndef VIRTD_EVENTS_KVM

static void define(const char *name)
{
	struct json_object *r;

	r = rpc_call("domain.define",
		     "{\"config\":{\"name\":\"%s\",\"kernel\":\"%s\",\"memory\":64}}",
		     name, harness_guest("echo"));
	assert_ok(r);
	json_object_put(r);
}

static void undefine(const char *name)
{
	struct json_object *r = rpc_ok_name("domain.undefine", name);

	json_object_put(r);
}

/*
 * `virsh event --all --loop` is in @p. virsh says nothing once it has
 * registered, so define domains @prefix0, 1, ... until it reports one
 * (the first may come before it listens); returns the offset past it.
 */
static long first_event(struct proc *p, const char *prefix)
{
	char name[64], want[160];
	long at = -1;
	int i;

	for (i = 0; i < 100 && at < 0; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		define(name);
		snprintf(want, sizeof(want),
			 "event 'lifecycle' for domain '%s': Defined Added",
			 name);
		at = proc_expect(p, want, 0, 300);
		undefine(name);
	}
	ck_assert_msg(at > 0, "virsh event saw nothing: %s", p->out);
	return at;
}

static void expect_virsh_event(struct proc *p, const char *name,
			       const char *what, long *from)
{
	char want[160];
	long at;

	snprintf(want, sizeof(want), "event 'lifecycle' for domain '%s': %s",
		 name, what);
	at = proc_expect(p, want, (size_t)*from, 20000);
	ck_assert_msg(at > 0, "virsh event: no \"%s\" in: %s", want, p->out);
	*from = at;
}

START_TEST(test_python)
{
	char sock_arg[210];
	char *words[] = { "host", uri, uri_ro, sock_arg,
			  (char *)harness_guest("echo"), NULL };

	start_both();
	snprintf(sock_arg, sizeof(sock_arg), "%s", virt_sock);
	run_script(words);
	stop_virtd();
}
END_TEST

/* virsh event --all --loop, and its events after keeld restarts. */
START_TEST(test_virsh_event)
{
	char *argv[] = { HARNESS_VIRSH, "-c", uri, "event", "--all", "--loop", NULL };
	struct proc p = { 0 };
	long from;

	start_both();
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	from = first_event(&p, "a");
	define("web");
	expect_virsh_event(&p, "web", "Defined Added", &from);
	undefine("web");
	expect_virsh_event(&p, "web", "Undefined Removed", &from);

	/* keel-virtd subscribes again; virsh's connection stays. */
	keeld_stop();
	keeld_start();
	from = first_event(&p, "b");
	define("db");
	expect_virsh_event(&p, "db", "Defined Added", &from);
	ck_assert_msg(!p.exited, "virsh event ended: %s", p.out);
	proc_dispose(&p);
	stop_virtd();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virtd_events");
	TCase *tc = keeld_tcase("virtd_events", 300);

	if (!harness_have_file(harness_path("daemon/keeld")) ||
	    !harness_have_file(harness_path("libvirt/keel-virtd")))
		runner_skip_reason = "keeld or keel-virtd is not built";
	else if (!have_stock_clients())
		runner_skip_reason = "virsh or python3-libvirt is missing (Debian: libvirt-clients, python3-libvirt)";
	tcase_add_test(tc, test_python);
	tcase_add_test(tc, test_virsh_event);
	suite_add_tcase(s, tc);
	return s;
}

#else /* VIRTD_EVENTS_KVM */

/* libvirt's numbers (libvirt-domain.h, virterror.h). */
#define EV_STARTED 2
#define EV_SUSPENDED 3
#define EV_RESUMED 4
#define EV_STOPPED 5
#define STOPPED_DESTROYED 1
#define CONSOLE_FORCE 1
#define ERR_OPERATION_FAILED 9
#define ERR_RPC 39
#define PROC_EVENT_LIFECYCLE 318
#define PROC_OPEN_CONSOLE 201

static int fd = -1;
static unsigned serial;

/* What came besides replies: events, and each console's bytes and end. */
static struct {
	int event, detail;
	char name[64];
} evs[64];
static int nr_evs;

struct console {
	unsigned serial;
	char out[65536];
	size_t len;
	int end;	/* -1 open; VX_OK or VX_ERROR once keel-virtd ended it */
	int code;	/* the error's */
};
static struct console cons[5];

/* The last reply. */
static struct vx_header reply_h;
static uint8_t *reply_msg;
static size_t reply_len;

static void read_all(uint8_t *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		ck_assert_msg(poll(&p, 1, timeout_ms) == 1,
			      "nothing from keel-virtd");
		n = read(fd, buf + got, len - got);
		ck_assert_msg(n > 0, "keel-virtd closed the connection");
		got += (size_t)n;
	}
}

static struct console *console_of(unsigned s)
{
	size_t i;

	for (i = 0; i < sizeof(cons) / sizeof(cons[0]); i++)
		if (cons[i].serial == s)
			return &cons[i];
	return NULL;
}

/* Read one message and file it. */
static void pump(int timeout_ms)
{
	struct vx_header h;
	struct console *con;
	uint8_t word[4], *msg;
	long n;

	read_all(word, 4, timeout_ms);
	n = virt_frame_length(word);
	ck_assert_int_gt(n, 0);
	msg = malloc((size_t)n);
	ck_assert_ptr_nonnull(msg);
	memcpy(msg, word, 4);
	read_all(msg + 4, (size_t)n - 4, timeout_ms);
	ck_assert_int_eq(virt_header_decode(msg, (size_t)n, &h), 0);
	if (h.type == VX_MESSAGE && h.proc == PROC_EVENT_LIFECYCLE) {
		struct vx_event_lifecycle_msg m = { 0 };

		ck_assert_int_eq(h.serial, 0);
		ck_assert_int_eq(virt_payload_decode(msg + VIRT_MSG_MIN,
						     (size_t)n - VIRT_MSG_MIN,
						     (xdrproc_t)xdr_vx_event_lifecycle_msg,
						     &m),
				 0);
		ck_assert_int_lt(nr_evs, 64);
		evs[nr_evs].event = m.event;
		evs[nr_evs].detail = m.detail;
		snprintf(evs[nr_evs].name, sizeof(evs[0].name), "%s",
			 m.dom.name);
		nr_evs++;
		xdr_free((xdrproc_t)xdr_vx_event_lifecycle_msg, &m);
		free(msg);
	} else if (h.type == VX_STREAM) {
		con = console_of(h.serial);
		ck_assert_msg(con, "stream data on serial %u", h.serial);
		ck_assert_int_eq(con->end, -1);
		if (h.status == VX_CONTINUE) {
			size_t len = (size_t)n - VIRT_MSG_MIN;

			ck_assert_uint_le(len, 262120);
			if (len > sizeof(con->out) - con->len - 1)
				len = sizeof(con->out) - con->len - 1;
			memcpy(con->out + con->len, msg + VIRT_MSG_MIN, len);
			con->len += len;
			con->out[con->len] = '\0';
		} else {
			con->end = h.status;
			if (h.status == VX_ERROR) {
				struct vx_error e = { 0 };

				ck_assert_int_eq(virt_payload_decode(
							 msg + VIRT_MSG_MIN,
							 (size_t)n - VIRT_MSG_MIN,
							 (xdrproc_t)xdr_vx_error,
							 &e),
						 0);
				con->code = e.code;
				xdr_free((xdrproc_t)xdr_vx_error, &e);
			}
		}
		free(msg);
	} else {
		ck_assert_int_eq(h.type, VX_REPLY);
		free(reply_msg);
		reply_h = h;
		reply_msg = msg;
		reply_len = (size_t)n;
	}
}

static void send_msg(int proc, int type, unsigned s, int status, xdrproc_t fn,
		     void *obj)
{
	struct vx_header h = { VX_PROGRAM, VX_PROGRAM_VERSION, proc, type, s,
			       status };
	uint8_t *msg;
	size_t len;

	ck_assert_int_eq(virt_msg_encode(&h, fn, obj, &msg, &len), 0);
	ck_assert_int_eq(write(fd, msg, len), (ssize_t)len);
	free(msg);
}

/* Console input: raw bytes in a STREAM message. */
static void send_stream(unsigned s, int status, const char *data)
{
	struct vx_header h = { VX_PROGRAM, VX_PROGRAM_VERSION,
			       PROC_OPEN_CONSOLE, VX_STREAM, s, status };
	size_t n = strlen(data), len;
	uint8_t *msg;

	ck_assert_int_eq(virt_msg_encode(&h, NULL, NULL, &msg, &len), 0);
	msg = realloc(msg, len + n);
	ck_assert_ptr_nonnull(msg);
	memcpy(msg + len, data, n);
	len += n;
	msg[0] = (uint8_t)(len >> 24);
	msg[1] = (uint8_t)(len >> 16);
	msg[2] = (uint8_t)(len >> 8);
	msg[3] = (uint8_t)len;
	ck_assert_int_eq(write(fd, msg, len), (ssize_t)len);
	free(msg);
}

/* A call; 0 with @ret decoded, or libvirt's error code. */
static int vcall(int proc, xdrproc_t afn, void *args, xdrproc_t rfn,
		 void *ret)
{
	unsigned s = ++serial;
	struct vx_error e = { 0 };
	int code;

	send_msg(proc, VX_CALL, s, VX_OK, afn, args);
	do
		pump(CALL_TIMEOUT_MS);
	while (!reply_msg || reply_h.serial != s);
	ck_assert_int_eq(reply_h.proc, proc);
	if (reply_h.status == VX_ERROR) {
		ck_assert_int_eq(virt_payload_decode(reply_msg + VIRT_MSG_MIN,
						     reply_len - VIRT_MSG_MIN,
						     (xdrproc_t)xdr_vx_error,
						     &e),
				 0);
		code = e.code;
		xdr_free((xdrproc_t)xdr_vx_error, &e);
		ck_assert_int_ne(code, 0);
		return code;
	}
	ck_assert_int_eq(reply_h.status, VX_OK);
	ck_assert_int_eq(virt_payload_decode(reply_msg + VIRT_MSG_MIN,
					     reply_len - VIRT_MSG_MIN, rfn, ret),
			 0);
	return 0;
}

static void wait_event(const char *name, int event, int detail)
{
	long long end = harness_now_ms() + CALL_TIMEOUT_MS;
	int i;

	for (;;) {
		for (i = 0; i < nr_evs; i++)
			if (evs[i].event == event && evs[i].detail == detail &&
			    !strcmp(evs[i].name, name))
				return;
		ck_assert_msg(harness_now_ms() < end,
			      "no event %d detail %d for %s (%d seen)", event,
			      detail, name, nr_evs);
		pump((int)(end - harness_now_ms()));
	}
}

static void wait_console(struct console *con, const char *want)
{
	long long end = harness_now_ms() + CALL_TIMEOUT_MS;

	while (!strstr(con->out, want)) {
		ck_assert_msg(con->end == -1, "the console ended: %s",
			      con->out);
		ck_assert_msg(harness_now_ms() < end, "no \"%s\" in: %s", want,
			      con->out);
		pump((int)(end - harness_now_ms()));
	}
}

static void wait_end(struct console *con)
{
	while (con->end == -1)
		pump(CALL_TIMEOUT_MS);
}

static int open_console(struct vx_dom *dom, unsigned flags,
			struct console *con)
{
	struct vx_open_console_args a = { *dom, NULL, flags };

	con->serial = serial + 1;
	con->end = -1;
	return vcall(PROC_OPEN_CONSOLE, (xdrproc_t)xdr_vx_open_console_args,
		     &a, NULL, NULL);
}

static int dom_call(int proc, struct vx_dom *dom)
{
	struct vx_dom_args a = { *dom };

	return vcall(proc, (xdrproc_t)xdr_vx_dom_args, &a, NULL, NULL);
}

START_TEST(test_guest)
{
	struct vx_event_register_any_args reg = { 0, NULL };
	struct vx_event_register_any_ret id = { 0 };
	struct vx_dom_flags_args start = { 0 };
	struct vx_dom_ret started = { 0 }, found = { 0 };
	struct vx_lookup_name_args by_name = { "g" };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char *name = "keel:///system";
	struct vx_open_args open_args = { &name, 0 };
	struct json_object *r;
	struct vx_dom_ret again = { 0 };
	struct vx_dom dom;
	char *big;
	int i;

	start_both();
	r = rpc_call("domain.define",
		     "{\"config\":{\"name\":\"g\",\"kernel\":\"%s\",\"memory\":64}}",
		     harness_guest("echo"));
	assert_ok(r);
	json_object_put(r);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	memcpy(a.sun_path, virt_sock, strlen(virt_sock) + 1);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(vcall(1, (xdrproc_t)xdr_vx_open_args, &open_args,
			       NULL, NULL),
			 0);
	ck_assert_int_eq(vcall(316, (xdrproc_t)xdr_vx_event_register_any_args,
			       &reg, (xdrproc_t)xdr_vx_event_register_any_ret,
			       &id),
			 0);
	ck_assert_int_gt(id.callback_id, 0);
	ck_assert_int_eq(vcall(23, (xdrproc_t)xdr_vx_lookup_name_args,
			       &by_name, (xdrproc_t)xdr_vx_dom_ret, &found),
			 0);
	dom = found.dom;

	start.dom = dom;
	ck_assert_int_eq(vcall(196, (xdrproc_t)xdr_vx_dom_flags_args, &start,
			       (xdrproc_t)xdr_vx_dom_ret, &started),
			 0);
	wait_event("g", EV_STARTED, 0);

	/* The console: history first, then what is typed echoed. */
	ck_assert_int_eq(open_console(&dom, 0, &cons[0]), 0);
	wait_console(&cons[0], "> ");
	send_stream(cons[0].serial, VX_CONTINUE, "keel\r");
	wait_console(&cons[0], "echo: keel");
	/* A second console is refused; with --force it takes over. */
	ck_assert_int_eq(open_console(&dom, 0, &cons[1]),
			 ERR_OPERATION_FAILED);
	cons[1].serial = 0;
	ck_assert_int_eq(open_console(&dom, CONSOLE_FORCE, &cons[2]), 0);
	wait_end(&cons[0]);
	ck_assert_int_eq(cons[0].end, VX_ERROR);
	ck_assert_int_eq(cons[0].code, ERR_OPERATION_FAILED);
	send_stream(cons[2].serial, VX_CONTINUE, "forced\r");
	wait_console(&cons[2], "echo: forced");
	/* The client's finish is answered in kind. */
	send_stream(cons[2].serial, VX_OK, "");
	wait_end(&cons[2]);
	ck_assert_int_eq(cons[2].end, VX_OK);
	/* The console is free again; a chunk past libvirt's ends it. */
	ck_assert_int_eq(open_console(&dom, 0, &cons[3]), 0);
	big = malloc(300001);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 300000);
	big[300000] = '\0';
	send_stream(cons[3].serial, VX_CONTINUE, big);
	free(big);
	wait_end(&cons[3]);
	ck_assert_int_eq(cons[3].end, VX_ERROR);
	ck_assert_int_eq(cons[3].code, ERR_RPC);
	/* A client's abort closes it without an answer. */
	ck_assert_int_eq(open_console(&dom, 0, &cons[1]), 0);
	send_stream(cons[1].serial, VX_ERROR, "");

	ck_assert_int_eq(dom_call(34, &dom), 0);
	wait_event("g", EV_SUSPENDED, 0);
	/*
	 * A paused guest reads no input: a paste into it may end the
	 * console (OPERATION_FAILED) but never stops keel-virtd.
	 */
	ck_assert_int_eq(open_console(&dom, 0, &cons[4]), 0);
	big = malloc(262001);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', 262000);
	big[262000] = '\0';
	for (i = 0; i < 4; i++)
		send_stream(cons[4].serial, VX_CONTINUE, big);
	free(big);
	ck_assert_int_eq(vcall(23, (xdrproc_t)xdr_vx_lookup_name_args,
			       &by_name, (xdrproc_t)xdr_vx_dom_ret, &again),
			 0);
	xdr_free((xdrproc_t)xdr_vx_dom_ret, &again);
	if (cons[4].end == -1)
		send_stream(cons[4].serial, VX_ERROR, "");
	else
		ck_assert_int_eq(cons[4].code, ERR_OPERATION_FAILED);
	printf("A paste into a paused guest: %s.\n",
	       cons[4].end == -1 ? "taken" : "the console ended");
	ck_assert_int_eq(dom_call(28, &dom), 0);
	wait_event("g", EV_RESUMED, 0);
	ck_assert_int_eq(dom_call(12, &dom), 0);
	wait_event("g", EV_STOPPED, STOPPED_DESTROYED);

	close(fd);
	fd = -1;
	free(reply_msg);
	reply_msg = NULL;
	xdr_free((xdrproc_t)xdr_vx_dom_ret, &started);
	xdr_free((xdrproc_t)xdr_vx_dom_ret, &found);

	/* The stock clients, where this machine has them. */
	if (have_stock_clients()) {
		char *words[] = { "guest", uri, "g", NULL };

		run_script(words);
	} else {
		printf("NOTE: no virsh or python3-libvirt here: the stock clients' part of the guest test did not run.\n");
	}
	stop_virtd();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virtd_events_kvm");
	TCase *tc = keeld_tcase("virtd_events_kvm", 600);

	runner_skip_reason = harness_keeld_kvm_missing(&runner_wants_kvm);
	if (!runner_skip_reason &&
	    !harness_have_file(harness_path("libvirt/keel-virtd")))
		runner_skip_reason = "libvirt/keel-virtd is not built";
	tcase_add_test(tc, test_guest);
	suite_add_tcase(s, tc);
	return s;
}

#endif /* VIRTD_EVENTS_KVM */
