// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-virtd's lifecycle procedures on a real guest (the in-tree echo
 * test guest, through keeld, on KVM; nested in QEMU where /dev/kvm is
 * missing). The nested machine has no virsh, so this suite is its own
 * libvirt client, on keel's XDR (libvirt/virt_protocol.x): check_virtd
 * holds that XDR to what stock virsh and python3-libvirt send. Start,
 * start paused, suspend, resume, lookup by id, the lists and destroy,
 * each checked against keeld's own answer and libvirt's state numbers.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
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

#define VIRTD_READY_MS 60000

/* libvirt's numbers (libvirt-domain.h, virterror.h). */
#define RUNNING 1
#define PAUSED 3
#define SHUTOFF 5
#define RUNNING_BOOTED 1
#define RUNNING_UNPAUSED 5
#define PAUSED_USER 1
#define SHUTOFF_DESTROYED 2
#define START_PAUSED 1
#define LIST_ACTIVE 1
#define LIST_PAUSED 32
#define ERR_OPERATION_INVALID 55

static struct proc virtd;
static int fd = -1;
static unsigned serial;

static void start_both(void)
{
	char sock[200];
	char *argv[] = {
		(char *)harness_path("libvirt/keel-virtd"), "--keeld",
		rw_sock, "--socket", sock, NULL,
	};
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	keeld_start();
	snprintf(sock, sizeof(sock), "%s/virt-sock", top);
	memset(&virtd, 0, sizeof(virtd));
	ck_assert_int_eq(proc_spawn(&virtd, argv), 0);
	ck_assert_msg(proc_expect(&virtd, "ready:", 0, VIRTD_READY_MS) > 0,
		      "keel-virtd did not start: %s", virtd.out);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(sock), sizeof(a.sun_path));
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
}

static void stop_both(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
	if (virtd.pid > 0)
		proc_dispose(&virtd);
}

static void read_all(uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		ck_assert_msg(poll(&p, 1, CALL_TIMEOUT_MS) == 1,
			      "no answer from keel-virtd");
		n = read(fd, buf + got, len - got);
		ck_assert_msg(n > 0, "keel-virtd closed the connection");
		got += (size_t)n;
	}
}

/*
 * Call @proc with @args; decode the answer into @ret. Returns 0, or
 * libvirt's error code of an error reply.
 */
static int vcall(int proc, xdrproc_t afn, void *args, xdrproc_t rfn,
		 void *ret)
{
	struct vx_header h = { VX_PROGRAM, VX_PROGRAM_VERSION, proc, VX_CALL,
			       ++serial, VX_OK };
	struct vx_error e = { 0 };
	uint8_t *msg, word[4];
	size_t len;
	long n;
	int code;

	ck_assert_int_eq(virt_msg_encode(&h, afn, args, &msg, &len), 0);
	ck_assert_int_eq(write(fd, msg, len), (ssize_t)len);
	free(msg);
	read_all(word, 4);
	n = virt_frame_length(word);
	ck_assert_int_gt(n, 0);
	msg = malloc((size_t)n);
	ck_assert_ptr_nonnull(msg);
	memcpy(msg, word, 4);
	read_all(msg + 4, (size_t)n - 4);
	ck_assert_int_eq(virt_header_decode(msg, (size_t)n, &h), 0);
	ck_assert_uint_eq(h.serial, serial);
	ck_assert_int_eq(h.proc, proc);
	if (h.status == VX_ERROR) {
		ck_assert_int_eq(virt_payload_decode(msg + VIRT_MSG_MIN,
						     (size_t)n - VIRT_MSG_MIN,
						     (xdrproc_t)xdr_vx_error,
						     &e),
				 0);
		code = e.code;
		xdr_free((xdrproc_t)xdr_vx_error, &e);
		free(msg);
		ck_assert_int_ne(code, 0);
		return code;
	}
	ck_assert_int_eq(h.status, VX_OK);
	ck_assert_int_eq(virt_payload_decode(msg + VIRT_MSG_MIN,
					     (size_t)n - VIRT_MSG_MIN, rfn, ret),
			 0);
	free(msg);
	return 0;
}

/* CONNECT_OPEN of keel:///system, read-write. */
static void vopen(void)
{
	char *name = "keel:///system";
	struct vx_open_args a = { &name, 0 };

	ck_assert_int_eq(vcall(1, (xdrproc_t)xdr_vx_open_args, &a, NULL, NULL),
			 0);
}

/* DOMAIN_LOOKUP_BY_NAME: *@dom (xdr_free it). */
static void lookup(const char *name, struct vx_dom *dom)
{
	struct vx_lookup_name_args a = { (char *)name };
	struct vx_dom_ret r = { 0 };

	ck_assert_int_eq(vcall(23, (xdrproc_t)xdr_vx_lookup_name_args, &a,
			       (xdrproc_t)xdr_vx_dom_ret, &r),
			 0);
	*dom = r.dom;
}

static void expect_state(struct vx_dom *dom, int state, int reason)
{
	struct vx_dom_flags_args a = { *dom, 0 };
	struct vx_get_state_ret r = { 0 };

	ck_assert_int_eq(vcall(212, (xdrproc_t)xdr_vx_dom_flags_args, &a,
			       (xdrproc_t)xdr_vx_get_state_ret, &r),
			 0);
	ck_assert_int_eq(r.state, state);
	ck_assert_int_eq(r.reason, reason);
}

/* A call on @dom alone (SUSPEND 34, RESUME 28, DESTROY 12): its result. */
static int dom_call(int proc, struct vx_dom *dom)
{
	struct vx_dom_args a = { *dom };

	return vcall(proc, (xdrproc_t)xdr_vx_dom_args, &a, NULL, NULL);
}

/* CONNECT_LIST_ALL_DOMAINS with @flags: how many. */
static unsigned count(unsigned flags)
{
	struct vx_list_all_args a = { 1, flags };
	struct vx_list_all_ret r = { { 0 }, 0 };
	unsigned n;

	ck_assert_int_eq(vcall(273, (xdrproc_t)xdr_vx_list_all_args, &a,
			       (xdrproc_t)xdr_vx_list_all_ret, &r),
			 0);
	n = r.count;
	ck_assert_uint_eq(r.domains.domains_len, n);
	xdr_free((xdrproc_t)xdr_vx_list_all_ret, &r);
	return n;
}

START_TEST(test_lifecycle)
{
	struct vx_dom_flags_args start = { 0 };
	struct vx_lookup_id_args by_id;
	struct vx_dom_ret started = { 0 }, found = { 0 };
	struct vx_dom dom;
	struct json_object *resp;

	start_both();
	resp = rpc_call("domain.define",
			"{\"config\":{\"name\":\"g\",\"kernel\":\"%s\",\"memory\":64}}",
			harness_guest("echo"));
	assert_ok(resp);
	json_object_put(resp);
	vopen();
	lookup("g", &dom);
	ck_assert_int_eq(dom.id, -1);
	expect_state(&dom, SHUTOFF, 0);

	/* virsh start: CREATE_WITH_FLAGS answers the domain with its id. */
	start.dom = dom;
	ck_assert_int_eq(vcall(196, (xdrproc_t)xdr_vx_dom_flags_args, &start,
			       (xdrproc_t)xdr_vx_dom_ret, &started),
			 0);
	ck_assert_int_ge(started.dom.id, 0);
	ck_assert_str_eq(started.dom.name, "g");
	expect_state(&dom, RUNNING, RUNNING_BOOTED);
	ck_assert_uint_eq(count(LIST_ACTIVE), 1);
	by_id.id = started.dom.id;
	ck_assert_int_eq(vcall(22, (xdrproc_t)xdr_vx_lookup_id_args, &by_id,
			       (xdrproc_t)xdr_vx_dom_ret, &found),
			 0);
	ck_assert_str_eq(found.dom.name, "g");
	xdr_free((xdrproc_t)xdr_vx_dom_ret, &found);
	/* Started twice: libvirt's OPERATION_INVALID, as keeld refuses. */
	ck_assert_int_eq(dom_call(9, &dom), ERR_OPERATION_INVALID);

	ck_assert_int_eq(dom_call(34, &dom), 0);
	expect_state(&dom, PAUSED, PAUSED_USER);
	ck_assert_uint_eq(count(LIST_PAUSED), 1);
	ck_assert_int_eq(dom_call(28, &dom), 0);
	expect_state(&dom, RUNNING, RUNNING_UNPAUSED);
	ck_assert_int_eq(dom_call(12, &dom), 0);
	expect_state(&dom, SHUTOFF, SHUTOFF_DESTROYED);
	ck_assert_uint_eq(count(LIST_ACTIVE), 0);

	/* virsh start --paused. */
	start.flags = START_PAUSED;
	xdr_free((xdrproc_t)xdr_vx_dom_ret, &started);
	memset(&started, 0, sizeof(started));
	ck_assert_int_eq(vcall(196, (xdrproc_t)xdr_vx_dom_flags_args, &start,
			       (xdrproc_t)xdr_vx_dom_ret, &started),
			 0);
	expect_state(&dom, PAUSED, PAUSED_USER);
	ck_assert_int_eq(dom_call(12, &dom), 0);
	expect_state(&dom, SHUTOFF, SHUTOFF_DESTROYED);
	xdr_free((xdrproc_t)xdr_vx_dom_ret, &started);
	xdr_free((xdrproc_t)xdr_vx_dom, &dom);
	stop_both();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virtd_guest");
	TCase *tc = keeld_tcase("virtd_guest", 600);

	runner_skip_reason = harness_keeld_kvm_missing(&runner_wants_kvm);
	if (!runner_skip_reason &&
	    !harness_have_file(harness_path("libvirt/keel-virtd")))
		runner_skip_reason = "libvirt/keel-virtd is not built";
	tcase_add_test(tc, test_lifecycle);
	suite_add_tcase(s, tc);
	return s;
}
