// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-virtd's save, restore, migration and job procedures on real
 * guests (KVM; nested in QEMU where /dev/kvm is missing). The nested
 * machine has no virsh, so this suite is its own libvirt client on
 * keel's XDR (libvirt/virt_protocol.x), sending what virsh save,
 * restore, migrate --live --p2p --verbose, domjobinfo and domjobabort
 * send; check_virtd_tls holds those procedures' layouts to the stock
 * virsh where no guest is needed.
 *
 * - save: an echo guest saved (DOMAIN_SAVE) and restored (RESTORE),
 *   saved again (SAVE_FLAGS) and restored paused (RESTORE_FLAGS), with
 *   libvirt's states and reasons; an --xml override and a missing file
 *   refused.
 * - migrate: the dirty guest from host A to host B (twohost.h) through
 *   A's keel-virtd, one PERFORM3_PARAMS call, while the same connection
 *   polls GET_JOB_INFO and GET_JOB_STATS as virsh --verbose does.
 * - abort: a migration held slow by the bandwidth parameter, aborted
 *   (ABORT_JOB) once progress shows: the call fails with
 *   VIR_ERR_OPERATION_ABORTED and the domain runs on A only.
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
#include "twohost.h"

#define VIRTD_READY_MS 60000
#define A 0
#define B 1

/* libvirt's numbers (libvirt-domain.h, virterror.h). */
#define RUNNING 1
#define PAUSED 3
#define SHUTOFF 5
#define RUNNING_RESTORED 3
#define SHUTOFF_SAVED 5
#define SAVE_PAUSED 4
#define MIGRATE_LIVE 1
#define MIGRATE_P2P 2
#define MIGRATE_AUTO_CONVERGE (1 << 13)
#define JOB_NONE 0
#define JOB_UNBOUNDED 2
#define ERR_NO_DOMAIN 42
#define ERR_ARGUMENT_UNSUPPORTED 74
#define ERR_OPERATION_ABORTED 78

static struct proc virtd;
static int fd = -1;
static unsigned serial;

static void virtd_start(const char *keeld_sock, const char *sock)
{
	char *argv[] = {
		(char *)harness_path("libvirt/keel-virtd"), "--keeld",
		(char *)keeld_sock, "--socket", (char *)sock, NULL,
	};
	struct sockaddr_un a = { .sun_family = AF_UNIX };

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

static void virtd_stop(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
	if (virtd.pid > 0)
		proc_dispose(&virtd);
}

static void read_all(uint8_t *buf, size_t len, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		ck_assert_msg(poll(&p, 1, timeout_ms) == 1,
			      "no answer from keel-virtd");
		n = read(fd, buf + got, len - got);
		ck_assert_msg(n > 0, "keel-virtd closed the connection");
		got += (size_t)n;
	}
}

/* Send a call of @proc; its serial. */
static unsigned vsend(int proc, xdrproc_t afn, void *args)
{
	struct vx_header h = { VX_PROGRAM, VX_PROGRAM_VERSION, proc, VX_CALL,
			       ++serial, VX_OK };
	uint8_t *msg;
	size_t len;

	ck_assert_int_eq(virt_msg_encode(&h, afn, args, &msg, &len), 0);
	ck_assert_int_eq(write(fd, msg, len), (ssize_t)len);
	free(msg);
	return h.serial;
}

/* One reply, whichever comes: its header and whole message (free it). */
static uint8_t *vread(struct vx_header *h, size_t *len, int timeout_ms)
{
	uint8_t word[4], *msg;
	long n;

	read_all(word, 4, timeout_ms);
	n = virt_frame_length(word);
	ck_assert_int_gt(n, 0);
	msg = malloc((size_t)n);
	ck_assert_ptr_nonnull(msg);
	memcpy(msg, word, 4);
	read_all(msg + 4, (size_t)n - 4, timeout_ms);
	ck_assert_int_eq(virt_header_decode(msg, (size_t)n, &h[0]), 0);
	ck_assert_int_eq(h->type, VX_REPLY);
	*len = (size_t)n;
	return msg;
}

/* Decode reply @msg into @ret; 0, or libvirt's error code. Frees @msg. */
static int vdecode(const struct vx_header *h, uint8_t *msg, size_t n,
		   xdrproc_t rfn, void *ret)
{
	struct vx_error e = { 0 };
	int code = 0;

	if (h->status == VX_ERROR) {
		ck_assert_int_eq(virt_payload_decode(msg + VIRT_MSG_MIN,
						     n - VIRT_MSG_MIN,
						     (xdrproc_t)xdr_vx_error,
						     &e),
				 0);
		code = e.code;
		if (e.message)
			printf("keel-virtd: procedure %d: error %d: %s\n",
			       h->proc, code, *e.message);
		xdr_free((xdrproc_t)xdr_vx_error, &e);
		ck_assert_int_ne(code, 0);
	} else {
		ck_assert_int_eq(h->status, VX_OK);
		ck_assert_int_eq(virt_payload_decode(msg + VIRT_MSG_MIN,
						     n - VIRT_MSG_MIN, rfn,
						     ret),
				 0);
	}
	free(msg);
	return code;
}

static int vcall(int proc, xdrproc_t afn, void *args, xdrproc_t rfn,
		 void *ret)
{
	unsigned s = vsend(proc, afn, args);
	struct vx_header h;
	uint8_t *msg;
	size_t n;

	msg = vread(&h, &n, harness_long_timeout_ms());
	ck_assert_uint_eq(h.serial, s);
	ck_assert_int_eq(h.proc, proc);
	return vdecode(&h, msg, n, rfn, ret);
}

static void vopen(void)
{
	char *name = "keel:///system";
	struct vx_open_args a = { &name, 0 };

	ck_assert_int_eq(vcall(1, (xdrproc_t)xdr_vx_open_args, &a, NULL, NULL),
			 0);
}

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
	if (reason >= 0)
		ck_assert_int_eq(r.reason, reason);
}

static int job_info(struct vx_dom *dom, struct vx_job_info_ret *r)
{
	struct vx_dom_args a = { *dom };

	memset(r, 0, sizeof(*r));
	return vcall(163, (xdrproc_t)xdr_vx_dom_args, &a,
		     (xdrproc_t)xdr_vx_job_info_ret, r);
}

/* --- save and restore ---------------------------------------------------- */

START_TEST(test_save_restore)
{
	char sock[200], path[200], path2[200], *xml = "<domain/>";
	struct vx_save_flags_args sf = { 0 };
	struct vx_restore_flags_args rf = { 0 };
	struct vx_restore_args ra = { 0 };
	struct vx_save_args sa = { 0 };
	struct vx_job_info_ret ji;
	struct json_object *resp;
	struct vx_dom dom;

	keeld_start();
	snprintf(sock, sizeof(sock), "%s/virt-sock", top);
	snprintf(path, sizeof(path), "%s/g.sav", top);
	snprintf(path2, sizeof(path2), "%s/g2.sav", top);
	virtd_start(rw_sock, sock);
	resp = rpc_call("domain.define",
			"{\"config\":{\"name\":\"g\",\"kernel\":\"%s\",\"memory\":64}}",
			harness_guest("echo"));
	assert_ok(resp);
	json_object_put(resp);
	json_object_put(rpc_ok_name("domain.start", "g"));
	vopen();
	lookup("g", &dom);
	ck_assert_int_eq(job_info(&dom, &ji), 0);
	ck_assert_int_eq(ji.type, JOB_NONE);

	/* virsh save g FILE: shut off, reason saved; defined still. */
	sa.dom = dom;
	sa.to = path;
	ck_assert_int_eq(vcall(55, (xdrproc_t)xdr_vx_save_args, &sa, NULL,
			       NULL),
			 0);
	ck_assert(harness_have_file(path));
	expect_state(&dom, SHUTOFF, SHUTOFF_SAVED);
	/* virsh restore FILE: running, reason restored. */
	ra.from = path;
	ck_assert_int_eq(vcall(54, (xdrproc_t)xdr_vx_restore_args, &ra, NULL,
			       NULL),
			 0);
	expect_state(&dom, RUNNING, RUNNING_RESTORED);

	/* virsh save --xml: refused, and the domain runs on. */
	sf.dom = dom;
	sf.to = path2;
	sf.dxml = &xml;
	ck_assert_int_eq(vcall(232, (xdrproc_t)xdr_vx_save_flags_args, &sf,
			       NULL, NULL),
			 ERR_ARGUMENT_UNSUPPORTED);
	expect_state(&dom, RUNNING, -1);
	sf.dxml = NULL;
	ck_assert_int_eq(vcall(232, (xdrproc_t)xdr_vx_save_flags_args, &sf,
			       NULL, NULL),
			 0);
	expect_state(&dom, SHUTOFF, SHUTOFF_SAVED);
	/* virsh restore --paused FILE. */
	rf.from = path2;
	rf.flags = SAVE_PAUSED;
	ck_assert_int_eq(vcall(233, (xdrproc_t)xdr_vx_restore_flags_args, &rf,
			       NULL, NULL),
			 0);
	expect_state(&dom, PAUSED, -1);
	/* A file that is not there: keeld's error, nothing made. */
	ra.from = "/nonexistent/keel.sav";
	ck_assert_int_ne(vcall(54, (xdrproc_t)xdr_vx_restore_args, &ra, NULL,
			       NULL),
			 0);
	json_object_put(rpc_ok_name("domain.destroy", "g"));
	xdr_free((xdrproc_t)xdr_vx_dom, &dom);
	virtd_stop();
}
END_TEST

/* --- migration ----------------------------------------------------------- */

/* The dirty guest on side A (64 MiB, 1 vCPU), running. */
static void dirty_create(void)
{
	struct json_object *resp;

	resp = twohost_rpc(A, "domain.create",
			   "{\"config\":{\"name\":\"dirty\",\"kernel\":\"%s\","
			   "\"memory\":64,\"vcpus\":1}}",
			   harness_path("tests/guests/dirty.bin"));
	assert_ok(resp);
	json_object_put(resp);
	ck_assert_str_eq(twohost_state(A, "dirty"), "running");
}

static void mig_virtd_start(void)
{
	char sock[200];

	snprintf(sock, sizeof(sock), "%s/virt-sock", twohost.dir);
	virtd_start(twohost.side[A].sock, sock);
	vopen();
}

/*
 * Send virsh migrate --p2p's PERFORM3_PARAMS of "dirty" to B with
 * @flags and, if @bandwidth, that parameter; its serial.
 */
static unsigned migrate_send(struct vx_dom *dom, unsigned flags,
			     unsigned long long bandwidth)
{
	static char uri[64];
	static char *puri = uri;
	static struct vx_param bw = { .field = "bandwidth" };
	static struct vx_migrate_perform3_params_args a;

	snprintf(uri, sizeof(uri), "keel+tls://%s/system",
		 twohost.side[B].addr);
	memset(&a, 0, sizeof(a));
	a.dom = *dom;
	a.dconnuri = &puri;
	a.flags = flags;
	if (bandwidth) {
		bw.value.type = 4;
		bw.value.vx_param_value_u.ul = bandwidth;
		a.params.params_val = &bw;
		a.params.params_len = 1;
	}
	return vsend(305, (xdrproc_t)xdr_vx_migrate_perform3_params_args, &a);
}

/* The migration call under way: its serial, and its result once here. */
struct mig_call {
	unsigned serial;
	int result;	/* -1 while it runs */
};

/*
 * vcall() while @m runs on the same connection: its reply may come
 * first, and is kept in @m.
 */
static int vcall_during(struct mig_call *m, int proc, xdrproc_t afn,
			void *args, xdrproc_t rfn, void *ret)
{
	struct vx_migrate_perform3_params_ret mr = { { 0 } };
	unsigned s = vsend(proc, afn, args);
	struct vx_header h;
	uint8_t *msg;
	size_t n;

	for (;;) {
		msg = vread(&h, &n, harness_long_timeout_ms());
		if (h.serial != m->serial)
			break;
		m->result = vdecode(&h, msg, n,
				    (xdrproc_t)xdr_vx_migrate_perform3_params_ret,
				    &mr);
		if (!m->result)
			xdr_free((xdrproc_t)xdr_vx_migrate_perform3_params_ret,
				 &mr);
	}
	ck_assert_uint_eq(h.serial, s);
	ck_assert_int_eq(h.proc, proc);
	return vdecode(&h, msg, n, rfn, ret);
}

/* Does @r hold the statistic @field? */
static bool stats_have(const struct vx_job_stats_ret *r, const char *field)
{
	for (unsigned i = 0; i < r->params.params_len; i++)
		if (!strcmp(r->params.params_val[i].field, field))
			return true;
	return false;
}

/*
 * Poll GET_JOB_INFO every 100 ms while the migration @m runs (as virsh
 * --verbose does, on the same connection), and GET_JOB_STATS (virsh
 * domjobinfo) once progress shows; with @abort_at_progress, ABORT_JOB
 * then. Returns the migration's result: 0 or libvirt's error code.
 * *@seen: job infos of type unbounded with data.
 */
static int migrate_watch(struct vx_dom *dom, struct mig_call *m,
			 bool abort_at_progress, unsigned *seen)
{
	long long end = harness_now_ms() + harness_long_timeout_ms();
	struct vx_dom_flags_args fa = { *dom, 0 };
	struct vx_dom_args a = { *dom };
	bool stats = false, aborted = false;

	*seen = 0;
	while (m->result < 0) {
		struct vx_job_stats_ret js = { 0 };
		struct vx_job_info_ret ji = { 0 };
		int rc;

		ck_assert_msg(harness_now_ms() < end,
			      "the migration did not end");
		usleep(100 * 1000);
		rc = vcall_during(m, 163, (xdrproc_t)xdr_vx_dom_args, &a,
				  (xdrproc_t)xdr_vx_job_info_ret, &ji);
		/*
		 * Gone from A once it runs on B: the job has ended then,
		 * and the migration's answer is on its way.
		 */
		if (rc == ERR_NO_DOMAIN && *seen)
			continue;
		ck_assert_int_eq(rc, 0);
		if (ji.type != JOB_UNBOUNDED || !ji.data_total)
			continue;
		ck_assert_uint_eq(ji.data_total,
				  ji.data_processed + ji.data_remaining);
		ck_assert_uint_eq(ji.mem_total, 64ull << 20);
		(*seen)++;
		if (!stats) {
			ck_assert_int_eq(vcall_during(m, 298,
						      (xdrproc_t)xdr_vx_dom_flags_args,
						      &fa,
						      (xdrproc_t)xdr_vx_job_stats_ret,
						      &js),
					 0);
			/* It may have ended between the two calls. */
			if (js.type == JOB_UNBOUNDED) {
				ck_assert(stats_have(&js, "data_total"));
				ck_assert(stats_have(&js, "memory_remaining"));
				ck_assert(stats_have(&js, "time_elapsed"));
			}
			xdr_free((xdrproc_t)xdr_vx_job_stats_ret, &js);
			stats = true;
		}
		if (abort_at_progress && !aborted && m->result < 0) {
			ck_assert_int_eq(vcall_during(m, 164,
						      (xdrproc_t)xdr_vx_dom_args,
						      &a, NULL, NULL),
					 0);
			aborted = true;
		}
	}
	return m->result;
}

START_TEST(test_migrate)
{
	struct vx_job_info_ret ji;
	struct mig_call m = { 0, -1 };
	struct vx_dom dom;
	unsigned seen;
	int rc;

	dirty_create();
	mig_virtd_start();
	lookup("dirty", &dom);
	m.serial = migrate_send(&dom, MIGRATE_LIVE | MIGRATE_P2P |
					       MIGRATE_AUTO_CONVERGE,
				0);
	rc = migrate_watch(&dom, &m, false, &seen);
	if (rc)
		twohost_show_logs();
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(seen > 0, "GET_JOB_INFO never showed the migration");
	ck_assert_str_eq(twohost_state(B, "dirty"), "running");
	ck_assert_str_ne(twohost_state(A, "dirty"), "running");
	/* Done: no job left on A (keeld there shows it migrated, if at all). */
	if (!strcmp(twohost_state(A, "dirty"), "shutoff")) {
		ck_assert_int_eq(job_info(&dom, &ji), 0);
		ck_assert_int_eq(ji.type, JOB_NONE);
	}
	xdr_free((xdrproc_t)xdr_vx_dom, &dom);
	json_object_put(twohost_rpc(B, "domain.destroy",
				    "{\"name\":\"dirty\"}"));
	virtd_stop();
}
END_TEST

START_TEST(test_migrate_abort)
{
	struct mig_call m = { 0, -1 };
	struct vx_dom dom;
	unsigned seen;
	long long end;

	dirty_create();
	mig_virtd_start();
	lookup("dirty", &dom);
	/* 8 MiB/s, less than the guest dirties: it never converges. */
	m.serial = migrate_send(&dom, MIGRATE_LIVE | MIGRATE_P2P, 8);
	ck_assert_int_eq(migrate_watch(&dom, &m, true, &seen),
			 ERR_OPERATION_ABORTED);
	end = harness_now_ms() + 60000;
	while (strcmp(twohost_state(A, "dirty"), "running") ||
	       !strcmp(twohost_state(B, "dirty"), "running")) {
		ck_assert_msg(harness_now_ms() < end,
			      "after the abort dirty is %s on A and %s on B",
			      twohost_state(A, "dirty"),
			      twohost_state(B, "dirty"));
		usleep(250 * 1000);
	}
	expect_state(&dom, RUNNING, -1);
	xdr_free((xdrproc_t)xdr_vx_dom, &dom);
	json_object_put(twohost_rpc(A, "domain.destroy",
				    "{\"name\":\"dirty\"}"));
	virtd_stop();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virtd_mig");
	TCase *save = keeld_tcase("virtd_save", 600);
	TCase *mig = tcase_create("virtd_migrate");
	int t = harness_long_timeout_ms() / 1000;

	runner_skip_reason = harness_keeld_kvm_missing(&runner_wants_kvm);
	if (!runner_skip_reason &&
	    !harness_have_file(harness_path("libvirt/keel-virtd")))
		runner_skip_reason = "libvirt/keel-virtd is not built";
	if (!runner_skip_reason && geteuid())
		runner_skip_reason = "network namespaces need root";
	/* Made here, before the nested runner copies the build tree. */
	if (!runner_skip_reason || runner_wants_kvm) {
		const char *why = twohost_pki_make();

		if (why) {
			runner_skip_reason = why;
			runner_wants_kvm = false;
		}
	}
	runner_nested_seconds = 1800;
	tcase_add_test(save, test_save_restore);
	suite_add_tcase(s, save);
	tcase_add_unchecked_fixture(mig, twohost_suite_setup,
				    twohost_suite_teardown);
	tcase_add_checked_fixture(mig, twohost_setup, twohost_teardown);
	tcase_set_timeout(mig, t * 3);
	tcase_add_test(mig, test_migrate);
	tcase_add_test(mig, test_migrate_abort);
	suite_add_tcase(s, mig);
	return s;
}
