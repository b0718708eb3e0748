// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/bench/virt: keel-virtd against libvirtd's own test driver, with
 * libvirt's client library as the client of both (issue 13's
 * benchmark, docs/virt-bench.md).
 *
 * keel: a keeld in a temporary directory with N domains defined (shut
 * off: no /dev/kvm is needed), and keel-virtd on it. libvirt: libvirtd
 * started with a configuration of its own and no driver modules
 * (LIBVIRT_DRIVER_DIR pointing at an empty directory), so that it
 * serves only the test driver built into it, reached as
 * test+unix:///default?socket=PATH, with domains defined on it up to N.
 *
 * For each, closed-loop clients (1 and 4 threads, one connection each)
 * repeat for a fixed time what one virsh command sends:
 *
 *   list     `virsh list --all`: LIST_ALL_DOMAINS, then GET_STATE of each
 *   dominfo  `virsh dominfo D`: LOOKUP_BY_NAME, GET_OS_TYPE, GET_INFO,
 *            IS_PERSISTENT, GET_AUTOSTART, HAS_MANAGED_SAVE_IMAGE,
 *            NODE_GET_SECURITY_MODEL
 *   info     one GET_INFO: a single round trip
 *
 * and the table gives commands/s and p50/p99 latency per command. Last,
 * keel-virtd's added latency: one GET_INFO through it against
 * keel_domain_info() straight to keeld (libkeel), p50 to p50, twice:
 * with libvirt's client library (what a user's call costs) and with a
 * bare client that writes keel's XDR to the socket (what keel-virtd
 * itself adds).
 *
 *   virt [-d SECONDS_PER_CELL] [-n DOMAINS] [--no-libvirtd]
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "harness.h"
#include "keel.h"
#include "keeld_fixture.h"
/* libtirpc's <rpc/clnt.h> has an rpc_call() of its own: keep it apart. */
#define rpc_call tirpc_rpc_call
#include "monotime.h"
#include "virt_frame.h"
#undef rpc_call

#define MAX_THREADS 4
#define MAX_SAMPLES 2000000
#define READY_MS 20000
#define LIBVIRTD "/usr/sbin/libvirtd"

struct cell {
	const char *uri;
	const char *op;
	int threads;
	double seconds;
	/* Results. */
	long calls, errors;
	double rate, p50_us, p99_us;
	char why[200];
};

struct worker {
	struct cell *cell;
	int index;
	double *lat_us;
	long n, errors;
	char why[200];
};

static int ndomains = 50;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static const char *last_error(void)
{
	const virErrorPtr e = virGetLastError();

	return e && e->message ? e->message : "no message";
}

/* One `virsh list --all`: the list, then each domain's state. */
static int op_list(virConnectPtr conn)
{
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(conn, &doms, 0), rc = 0;

	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		int state, reason;

		if (virDomainGetState(doms[i], &state, &reason, 0) < 0)
			rc = -1;
		virDomainFree(doms[i]);
	}
	free(doms);
	return n == ndomains || n == ndomains + 1 ? rc : -1;
}

/* One `virsh dominfo NAME`. */
static int op_dominfo(virConnectPtr conn, const char *name)
{
	virDomainPtr d = virDomainLookupByName(conn, name);
	virSecurityModel model;
	virDomainInfo info;
	char *os;
	int autostart, rc = 0;

	if (!d)
		return -1;
	os = virDomainGetOSType(d);
	if (!os)
		rc = -1;
	free(os);
	if (virDomainGetInfo(d, &info) < 0 || virDomainIsPersistent(d) < 0 ||
	    virDomainGetAutostart(d, &autostart) < 0 ||
	    virDomainHasManagedSaveImage(d, 0) < 0 ||
	    virNodeGetSecurityModel(conn, &model) < 0)
		rc = -1;
	virDomainFree(d);
	return rc;
}

static const char *dom_name(int i)
{
	static __thread char name[32];

	snprintf(name, sizeof(name), "vb%03d", i);
	return name;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct cell *c = w->cell;
	virConnectPtr conn = virConnectOpen(c->uri);
	virDomainPtr info_dom = NULL;
	double end;

	if (!conn) {
		snprintf(w->why, sizeof(w->why), "cannot open %s: %s", c->uri,
			 last_error());
		return NULL;
	}
	if (!strcmp(c->op, "info")) {
		info_dom = virDomainLookupByName(conn, dom_name(w->index));
		if (!info_dom) {
			snprintf(w->why, sizeof(w->why), "no domain %s: %s",
				 dom_name(w->index), last_error());
			virConnectClose(conn);
			return NULL;
		}
	}
	end = ((double)monotime_ns() / 1e9) + c->seconds;
	for (long k = 0; w->n < MAX_SAMPLES; k++) {
		double t0 = ((double)monotime_ns() / 1e9), t1;
		int rc;
		virDomainInfo info;

		if (t0 >= end)
			break;
		if (!strcmp(c->op, "list"))
			rc = op_list(conn);
		else if (!strcmp(c->op, "dominfo"))
			rc = op_dominfo(conn,
					dom_name((int)((k + w->index) %
						       ndomains)));
		else
			rc = virDomainGetInfo(info_dom, &info);
		t1 = ((double)monotime_ns() / 1e9);
		if (rc < 0) {
			if (!w->errors++)
				snprintf(w->why, sizeof(w->why), "%s: %s",
					 c->op, last_error());
			continue;
		}
		w->lat_us[w->n++] = (t1 - t0) * 1e6;
	}
	if (info_dom)
		virDomainFree(info_dom);
	virConnectClose(conn);
	return NULL;
}

static void run_cell(struct cell *c)
{
	struct worker w[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	double *all, t0;
	long total = 0;

	memset(w, 0, sizeof(w));
	t0 = ((double)monotime_ns() / 1e9);
	for (int i = 0; i < c->threads; i++) {
		w[i].cell = c;
		w[i].index = i;
		w[i].lat_us = malloc(sizeof(double) * MAX_SAMPLES);
		if (!w[i].lat_us ||
		    pthread_create(&th[i], NULL, worker_run, &w[i])) {
			snprintf(c->why, sizeof(c->why), "out of memory");
			c->threads = i;
			break;
		}
	}
	for (int i = 0; i < c->threads; i++)
		pthread_join(th[i], NULL);
	c->seconds = ((double)monotime_ns() / 1e9) - t0;
	for (int i = 0; i < c->threads; i++) {
		total += w[i].n;
		c->errors += w[i].errors;
		if (w[i].why[0] && !c->why[0])
			snprintf(c->why, sizeof(c->why), "%s", w[i].why);
	}
	c->calls = total;
	all = malloc(sizeof(double) * (total ? (size_t)total : 1));
	if (all) {
		long k = 0;

		for (int i = 0; i < c->threads; i++)
			for (long j = 0; j < w[i].n; j++)
				all[k++] = w[i].lat_us[j];
		qsort(all, (size_t)total, sizeof(double), cmp_double);
		if (total) {
			c->p50_us = all[total / 2];
			c->p99_us = all[(long)((double)total * 0.99)];
		}
		free(all);
	}
	for (int i = 0; i < c->threads; i++)
		free(w[i].lat_us);
	c->rate = c->seconds > 0 ? (double)total / c->seconds : 0;
}

static void print_cell(const char *target, const struct cell *c)
{
	if (!c->calls) {
		printf("%-12s %-8s %7d %10s %9s %9s  %s\n", target, c->op,
		       c->threads, "-", "-", "-",
		       c->why[0] ? c->why : "no calls");
		return;
	}
	printf("%-12s %-8s %7d %10.0f %9.0f %9.0f", target, c->op, c->threads,
	       c->rate, c->p50_us, c->p99_us);
	if (c->errors)
		printf("  %ld errors: %s", c->errors, c->why);
	printf("\n");
}

/* --- keel: keeld with N domains, keel-virtd on it ------------------- */

static int keel_define(const char *sock)
{
	struct keel_conn *k = NULL;
	char *err = NULL;
	int rc = 0;

	if (keel_connect(sock, &k, &err)) {
		fprintf(stderr, "virt: %s\n", err ? err : "cannot connect");
		free(err);
		return -1;
	}
	for (int i = 0; i < ndomains && !rc; i++) {
		struct json_object *cfg = json_object_new_object();

		json_object_object_add(cfg, "name",
				       json_object_new_string(dom_name(i)));
		json_object_object_add(cfg, "kernel",
				       json_object_new_string("/boot/vmlinuz"));
		json_object_object_add(cfg, "memory", json_object_new_int(64));
		rc = keel_domain_define(k, cfg, NULL);
		if (rc)
			fprintf(stderr, "virt: domain.define %s: %s\n",
				dom_name(i), keel_last_error(k)->message);
		json_object_put(cfg);
	}
	keel_close(k);
	return rc;
}

/* p50 of keel_domain_info() straight to keeld, for @seconds. */
static double libkeel_info_p50(const char *sock, double seconds)
{
	struct keel_conn *k = NULL;
	double *lat = malloc(sizeof(double) * MAX_SAMPLES), end, p50 = -1;
	long n = 0;

	if (!lat || keel_connect(sock, &k, NULL))
		goto out;
	end = ((double)monotime_ns() / 1e9) + seconds;
	while (n < MAX_SAMPLES) {
		struct keel_domain d;
		double t0 = ((double)monotime_ns() / 1e9);

		if (t0 >= end)
			break;
		if (keel_domain_info(k, dom_name(0), &d, NULL))
			goto out;
		lat[n++] = (((double)monotime_ns() / 1e9) - t0) * 1e6;
	}
	qsort(lat, (size_t)n, sizeof(double), cmp_double);
	if (n)
		p50 = lat[n / 2];
out:
	free(lat);
	if (k)
		keel_close(k);
	return p50;
}

/* --- a bare client: keel's XDR straight to keel-virtd's socket ------- */

static int raw_fd = -1;
static unsigned raw_serial;

static int raw_read(uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = raw_fd, .events = POLLIN };
	size_t got = 0;

	while (got < len) {
		ssize_t n;

		if (poll(&p, 1, 10000) != 1)
			return -ETIMEDOUT;
		n = read(raw_fd, buf + got, len - got);
		if (n <= 0)
			return -EPIPE;
		got += (size_t)n;
	}
	return 0;
}

/* @proc with @args, its OK answer decoded into @ret; 0 or -1. */
static int raw_call(int proc, xdrproc_t afn, void *args, xdrproc_t rfn,
		    void *ret)
{
	struct vx_header h = { VX_PROGRAM, VX_PROGRAM_VERSION, proc, VX_CALL,
			       ++raw_serial, VX_OK };
	uint8_t *msg, word[4];
	size_t len;
	long n;
	int rc = -1;

	if (virt_msg_encode(&h, afn, args, &msg, &len))
		return -1;
	if (write(raw_fd, msg, len) != (ssize_t)len) {
		free(msg);
		return -1;
	}
	free(msg);
	if (raw_read(word, 4) || (n = virt_frame_length(word)) <= 0)
		return -1;
	msg = malloc((size_t)n);
	if (!msg)
		return -1;
	memcpy(msg, word, 4);
	if (!raw_read(msg + 4, (size_t)n - 4) &&
	    !virt_header_decode(msg, (size_t)n, &h) && h.status == VX_OK &&
	    h.serial == raw_serial &&
	    !virt_payload_decode(msg + VIRT_MSG_MIN, (size_t)n - VIRT_MSG_MIN,
				 rfn, ret))
		rc = 0;
	free(msg);
	return rc;
}

/* p50 of one GET_INFO from the bare client, for @seconds; -1: failed. */
static double raw_info_p50(const char *sock, double seconds)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char *uri = "keel:///system", *name = (char *)dom_name(0);
	struct vx_open_args open_args = { &uri, 0 };
	struct vx_lookup_name_args look = { name };
	struct vx_dom_ret dom = { 0 };
	double *lat = malloc(sizeof(double) * MAX_SAMPLES), end, p50 = -1;
	long n = 0;

	raw_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (!lat || raw_fd < 0 || strlen(sock) >= sizeof(a.sun_path))
		goto out;
	memcpy(a.sun_path, sock, strlen(sock) + 1);
	if (connect(raw_fd, (struct sockaddr *)&a, sizeof(a)) ||
	    raw_call(1, (xdrproc_t)xdr_vx_open_args, &open_args, NULL, NULL) ||
	    raw_call(23, (xdrproc_t)xdr_vx_lookup_name_args, &look,
		     (xdrproc_t)xdr_vx_dom_ret, &dom))
		goto out;
	end = ((double)monotime_ns() / 1e9) + seconds;
	while (n < MAX_SAMPLES) {
		struct vx_dom_args args = { dom.dom };
		struct vx_get_info_ret info = { 0 };
		double t0 = ((double)monotime_ns() / 1e9);

		if (t0 >= end)
			break;
		if (raw_call(16, (xdrproc_t)xdr_vx_dom_args, &args,
			     (xdrproc_t)xdr_vx_get_info_ret, &info))
			goto out;
		lat[n++] = (((double)monotime_ns() / 1e9) - t0) * 1e6;
	}
	qsort(lat, (size_t)n, sizeof(double), cmp_double);
	if (n)
		p50 = lat[n / 2];
out:
	xdr_free((xdrproc_t)xdr_vx_dom_ret, (char *)&dom);
	free(lat);
	if (raw_fd >= 0)
		close(raw_fd);
	raw_fd = -1;
	return p50;
}

/* --- libvirt: libvirtd serving its test driver --------------------- */

static int libvirtd_start(struct proc *p, const char *dir, char *uri,
			  size_t size)
{
	char conf[PATH_MAX], sock[PATH_MAX], nodrv[PATH_MAX];
	char env[PATH_MAX + 32];
	FILE *f;

	snprintf(conf, sizeof(conf), "%s/libvirtd.conf", dir);
	snprintf(nodrv, sizeof(nodrv), "%s/no-drivers", dir);
	snprintf(sock, sizeof(sock), "%s/libvirt-sock", dir);
	if (mkdir(nodrv, 0700) && errno != EEXIST)
		return -errno;
	f = fopen(conf, "w");
	if (!f)
		return -errno;
	fprintf(f, "unix_sock_dir = \"%s\"\nauth_unix_rw = \"none\"\n"
		   "auth_unix_ro = \"none\"\nlisten_tls = 0\nlisten_tcp = 0\n"
		   "log_outputs = \"3:stderr\"\n",
		dir);
	fclose(f);
	/* Only the drivers built into libvirtd: the test driver. */
	snprintf(env, sizeof(env), "LIBVIRT_DRIVER_DIR=%s", nodrv);
	putenv(strdup(env));
	{
		char pidfile[PATH_MAX];
		char *argv[] = { LIBVIRTD, "--config", conf, "--pid-file",
				 pidfile, NULL };

		snprintf(pidfile, sizeof(pidfile), "%s/libvirtd.pid", dir);
		if (proc_spawn(p, argv))
			return -ESRCH;
	}
	snprintf(uri, size, "test+unix:///default?socket=%s", sock);
	for (int i = 0; i < READY_MS / 100; i++) {
		if (!access(sock, F_OK))
			return 0;
		usleep(100 * 1000);
	}
	return -ETIMEDOUT;
}

/*
 * The test driver has one domain, "test"; define the rest up to N. Its
 * test:///default lives while a connection to it is open: *@keep holds
 * this one until the end.
 */
static int libvirt_define(const char *uri, virConnectPtr *keep)
{
	virConnectPtr conn = virConnectOpen(uri);
	int rc = 0;

	if (!conn) {
		fprintf(stderr, "virt: cannot open %s: %s\n", uri, last_error());
		return -1;
	}
	for (int i = 0; i < ndomains && !rc; i++) {
		char xml[512];
		virDomainPtr d;

		snprintf(xml, sizeof(xml),
			 "<domain type='test'><name>%s</name>"
			 "<memory unit='MiB'>64</memory>"
			 "<os><type>hvm</type></os></domain>",
			 dom_name(i));
		d = virDomainDefineXML(conn, xml);
		if (!d) {
			fprintf(stderr, "virt: define %s on %s: %s\n",
				dom_name(i), uri, last_error());
			rc = -1;
		} else {
			virDomainFree(d);
		}
	}
	*keep = conn;
	return rc;
}

static void quiet_errors(void *opaque, virErrorPtr e)
{
	(void)opaque;
	(void)e;
}

static void usage(void)
{
	fprintf(stderr, "usage: virt [-d SECONDS_PER_CELL] [-n DOMAINS] "
			"[--no-libvirtd]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-libvirtd", no_argument, NULL, 'L' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const ops[] = { "list", "dominfo", "info" };
	static const int threads[] = { 1, 4 };
	struct keeld_env env;
	struct proc virtd = { .pid = -1 }, lvd = { .pid = -1 };
	char dir[] = "/tmp/keel-bench-virt.XXXXXX";
	char virt_sock[PATH_MAX], keel_uri[PATH_MAX + 40];
	char lv_uri[PATH_MAX + 40] = "";
	virConnectPtr lv_keep = NULL;
	double seconds = 3, direct, via = -1, bare;
	bool with_libvirtd = true;
	int c, status = 0;

	while ((c = getopt_long(argc, argv, "d:n:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			seconds = atof(optarg);
			break;
		case 'n':
			ndomains = atoi(optarg);
			break;
		case 'L':
			with_libvirtd = false;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || seconds <= 0 || ndomains < 1 ||
	    ndomains > 999)
		usage();
	signal(SIGPIPE, SIG_IGN);
	virSetErrorFunc(NULL, quiet_errors);
	if (!mkdtemp(dir)) {
		perror("virt: mkdtemp");
		return 1;
	}
	memset(&env, 0, sizeof(env));
	if (keeld_env_start(&env, "virt", harness_path("daemon/keeld"),
			    default_schema_dir(), NULL, NULL) ||
	    keel_define(env.sock)) {
		status = 1;
		goto out;
	}
	snprintf(virt_sock, sizeof(virt_sock), "%s/virt-sock", dir);
	{
		char *vargv[] = { (char *)harness_path("libvirt/keel-virtd"),
				  "--keeld", env.sock, "--socket", virt_sock,
				  NULL };

		if (proc_spawn(&virtd, vargv) ||
		    proc_expect(&virtd, "ready:", 0, READY_MS) < 0) {
			fprintf(stderr, "virt: keel-virtd did not start: %s\n",
				virtd.out ? virtd.out : "");
			status = 1;
			goto out;
		}
	}
	snprintf(keel_uri, sizeof(keel_uri), "keel+unix:///system?socket=%s",
		 virt_sock);
	if (with_libvirtd && access(LIBVIRTD, X_OK)) {
		fprintf(stderr, "virt: %s is missing (Debian: libvirt-daemon); "
				"keel-virtd alone.\n", LIBVIRTD);
		with_libvirtd = false;
	}
	if (with_libvirtd &&
	    (libvirtd_start(&lvd, dir, lv_uri, sizeof(lv_uri)) ||
	     libvirt_define(lv_uri, &lv_keep))) {
		fprintf(stderr, "virt: libvirtd with its test driver did not "
				"start: %s\n", lvd.out ? lvd.out : "");
		with_libvirtd = false;
	}

	{
		unsigned long v = 0;

		virGetVersion(&v, NULL, NULL);
		printf("virt benchmark: %d domains (shut off), %.1f s per "
		       "cell; libvirt's client library %lu.%lu.%lu on both\n",
		       ndomains, seconds, v / 1000000, v / 1000 % 1000,
		       v % 1000);
	}
	printf("commands/s and latency per command (us); list = virsh list "
	       "--all's calls, dominfo = virsh dominfo's, info = one "
	       "GET_INFO\n\n");
	printf("%-12s %-8s %7s %10s %9s %9s\n", "server", "command",
	       "clients", "per s", "p50", "p99");
	for (size_t o = 0; o < sizeof(ops) / sizeof(ops[0]); o++) {
		for (size_t t = 0; t < sizeof(threads) / sizeof(threads[0]);
		     t++) {
			struct cell k = { .uri = keel_uri, .op = ops[o],
					  .threads = threads[t],
					  .seconds = seconds };
			struct cell l = { .uri = lv_uri, .op = ops[o],
					  .threads = threads[t],
					  .seconds = seconds };

			run_cell(&k);
			print_cell("keel-virtd", &k);
			if (k.errors || !k.calls)
				status = 1;
			if (!strcmp(ops[o], "info") && threads[t] == 1)
				via = k.p50_us;
			if (!with_libvirtd)
				continue;
			run_cell(&l);
			print_cell("libvirtd", &l);
			if (k.calls && l.calls)
				printf("  %s, %d client(s): keel-virtd/libvirtd "
				       "%.2f (goal >= 1)\n",
				       ops[o], threads[t], k.rate / l.rate);
		}
	}
	direct = libkeel_info_p50(env.sock, seconds);
	bare = raw_info_p50(virt_sock, seconds);
	if (direct > 0 && via > 0 && bare > 0)
		printf("\nGET_INFO p50, one client: keel_domain_info() to "
		       "keeld %.0f us; through keel-virtd with a bare XDR "
		       "client %.0f us (keel-virtd adds %.0f us, goal <= 100); "
		       "with libvirt's client library %.0f us (adds %.0f "
		       "us)\n",
		       direct, bare, bare - direct, via, via - direct);
	else
		status = 1;
out:
	if (lv_keep)
		virConnectClose(lv_keep);
	proc_dispose(&virtd);
	if (lvd.pid > 0) {
		kill(lvd.pid, SIGTERM);
		proc_wait(&lvd, 5000);
	}
	proc_dispose(&lvd);
	keeld_env_stop(&env);
	harness_sh("rm -rf '%s'", dir);
	return status;
}
