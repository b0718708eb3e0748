// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/bench/scale: keel with many domains on one host (issue 15, item
 * 14). For each N (10, 50 and 100 by default) a new keeld, in a
 * temporary directory of its own (keeld_env in keeld_fixture.h), is given N guests
 * that each keep one vCPU busy, and the benchmark measures:
 *
 *   create     N domain.create calls one after another on one
 *              connection: the total, and each call's p50/p99;
 *   keel list  fork/exec of the real `keel -c SOCK list`, -r times:
 *              from just before the fork to its exit, output read;
 *   list rpc   domain.list on an open connection, 5 x -r times;
 *   re-adopt   SIGKILL keeld, start a new one on the same directories:
 *              from just before its exec to its " ready: " line (the
 *              line's own timestamp), and until domain.list shows all N
 *              running;
 *   destroy    N domain.destroy calls one after another: the total.
 *
 * The guest is tests/guests/echo.bin: it polls its UART's line status
 * register for input, so each vCPU spins in and out of keel-hv for ever
 * (docs/guest.md); 16 MiB, one vCPU each.
 *
 *   scale [-n N[,N...]] [-r RUNS] [-k GUEST] [-m MIB] [-t TIMEOUT_S]
 *         [--guest-nice NICE] [--keeld PATH] [--keel PATH] [--hv PATH]
 *         [--schema-dir DIR]
 *
 * --guest-nice renices every thread of each keel-hv the benchmark
 * creates, right after its domain.create (not counted in the create
 * time): the guests still spin, but keeld, keel and a keel-hv being
 * started come first. Without it every process has the same priority,
 * as in the issue; on a machine as slow as the nested runner, keeld's
 * start timeout then fails the creates from a few dozen spinning
 * guests on (docs/listing.md).
 *
 * It needs /dev/kvm; where there is none, run it in the nested runner
 * from the build directory (docs/listing.md):
 *
 *   make bench && $SRC/tests/nested/kvm-in-qemu -t 3000 -m 6144 \
 *       $PWD "$PWD/tests/bench/scale --guest-nice 19"
 *
 * Any failure (a refused call, a keel list that exits non-zero or
 * lists the wrong number of domains, a domain not re-adopted) is said
 * on stderr, with the end of keeld's log, and makes the exit status 1.
 * A guest that ends on its own (in the nested runner one triple-faults
 * now and then) is counted, not a failure: the later steps measure the
 * others. The numbers are wall-clock times on a shared machine:
 * compare runs on the same machine only.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keeld_fixture.h"
#include "harness.h"
#include "monotime.h"

#define MAX_SIZES 8
#define MAX_DOMAINS 1000
#define MAX_RUNS 10000
/* keeld's error code for a domain that does not exist (keeld(8)). */
#define KEEL_NO_DOMAIN (-32001)
/* How much of keeld's log to show after a failure. */
#define KEELD_LOG_TAIL 8192
/* A domain.create slower than this is reported as it happens. */
#define SLOW_CREATE_MS 10000
/* How often to ask domain.list while waiting for re-adoption. */
#define POLL_MS 10

/* The targets of issue 15, item 14, printed beside the numbers. */
#define TARGET_LIST_MS 50.0
#define TARGET_READOPT_S 1.0
#define TARGET_READOPT_N 100

struct scale_cfg {
	int sizes[MAX_SIZES];
	int nr_sizes;
	int runs;
	int mem_mib;
	int timeout_s;
	bool renice;		/* --guest-nice given */
	int guest_nice;
	const char *guest, *keeld, *keel, *hv, *schema_dir;
};

/* One N's numbers; < 0 where it was not measured. */
struct scale_result {
	int n;
	bool ok;
	double create_s, create_p50, create_p99;	/* total s; ms */
	double list_p50, list_p99;			/* keel list, ms */
	double exec_p50;			/* keel --version, ms */
	double rpc_p50, rpc_p99;			/* domain.list, ms */
	double ready_s, running_s;			/* re-adoption, s */
	double destroy_s;
	double cpu_time;	/* the N guests' keel-hv CPU time, s */
	double lost;		/* guests that ended on their own */
};

static double realtime_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double ms_since(uint64_t t0)
{
	return (double)(monotime_ns() - t0) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The @pct-th percentile (nearest rank) of @n values; sorts them. */
static double percentile(double *v, int n, int pct)
{
	int rank;

	if (n <= 0)
		return -1;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	rank = (pct * n + 99) / 100;
	return v[rank < 1 ? 0 : rank - 1];
}

/* --- talking to keeld ---------------------------------------------------- */

/*
 * Call @method with @params (JSON text, NULL: none) on @c and return
 * its result (caller puts; NULL for a JSON null result is not
 * expected), or NULL after saying why on stderr.
 */
static struct json_object *rpc_code(struct harness_client *c,
				    const char *method, const char *params,
				    int timeout_ms, int *code)
{
	static unsigned long long next_id;
	struct json_object *resp, *res, *v;
	const char *line;
	char *req;

	*code = -1;

	if (asprintf(&req,
		     "{\"jsonrpc\":\"2.0\",\"id\":%llu,\"method\":\"%s\"%s%s}",
		     ++next_id, method, params ? ",\"params\":" : "",
		     params ? params : "") < 0)
		return NULL;
	line = harness_client_call(c, req, timeout_ms);
	free(req);
	if (!line) {
		fprintf(stderr, "scale: %s: no answer from keeld\n", method);
		return NULL;
	}
	resp = json_tokener_parse(line);
	if (!resp || !json_object_object_get_ex(resp, "result", &res) ||
	    !res) {
		if (json_pointer_get(resp, "/error/code", &v) == 0)
			*code = json_object_get_int(v);
		/* The caller may expect this one. */
		if (*code != KEEL_NO_DOMAIN)
			fprintf(stderr, "scale: %s failed: %s\n", method,
				line);
		json_object_put(resp);
		return NULL;
	}
	*code = 0;
	json_object_get(res);
	json_object_put(resp);
	return res;
}

/* rpc_code(), for the calls that must succeed. */
static struct json_object *rpc(struct harness_client *c, const char *method,
			       const char *params, int timeout_ms)
{
	struct json_object *res;
	int code;

	res = rpc_code(c, method, params, timeout_ms, &code);
	if (code == KEEL_NO_DOMAIN)
		fprintf(stderr, "scale: %s: no such domain (%s)\n", method,
			params ? params : "");
	return res;
}

static int rpc_open(struct harness_client *c, const struct keeld_env *b)
{
	int rc = harness_client_open(c, b->sock, 5000);

	if (rc)
		fprintf(stderr, "scale: cannot connect to %s: %s\n", b->sock,
			strerror(-rc));
	return rc;
}

static const char *member_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

/* How many of @list's domains are running; their CPU time into *@cpu. */
static int count_running(struct json_object *list, double *cpu)
{
	int n = 0;

	*cpu = 0;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *d = json_object_array_get_idx(list, i), *v;

		if (!strcmp(member_str(d, "state"), "running"))
			n++;
		if (json_object_object_get_ex(d, "cpu_time", &v))
			*cpu += json_object_get_double(v);
	}
	return n;
}

/* --- the guests' priority (--guest-nice) --------------------------------- */

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* The pid of the keel-hv whose arguments include --uuid=@uuid, or -1. */
static pid_t hv_pid(const char *uuid)
{
	char want[64], path[300], buf[4096];
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t pid = -1;

	if (!d)
		return -1;
	snprintf(want, sizeof(want), "--uuid=%s", uuid);
	while (pid < 0 && (e = readdir(d))) {
		ssize_t n;
		int fd;

		if (!all_digits(e->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* NUL-separated arguments. */
		for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
			if (!strcmp(buf + i, want))
				pid = atoi(e->d_name);
	}
	closedir(d);
	return pid;
}

/*
 * Give every thread of @uuid's keel-hv (a nice value is per thread on
 * Linux) the nice value @nice. Returns 0 or -1, said on stderr.
 */
static int renice_domain(const char *uuid, int nice)
{
	pid_t pid = hv_pid(uuid);
	char path[64];
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (pid < 0) {
		fprintf(stderr, "scale: no keel-hv runs with --uuid=%s\n",
			uuid);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (!all_digits(e->d_name) ||
		    !setpriority(PRIO_PROCESS, (id_t)atoi(e->d_name), nice))
			continue;
		fprintf(stderr, "scale: cannot renice thread %s of keel-hv %d: %s\n",
			e->d_name, (int)pid, strerror(errno));
		rc = -1;
	}
	closedir(d);
	return rc;
}

/* --- the steps ------------------------------------------------------------ */

/* Create @n guests one after another; fills create_*. Returns 0 or -1. */
static int create_all(struct harness_client *c, const struct scale_cfg *cfg,
		      int n, struct scale_result *r)
{
	double *ms = calloc((size_t)n, sizeof(*ms));
	uint64_t t0 = monotime_ns(), t_renice = 0;
	int rc = 0;

	if (!ms)
		return -1;
	for (int i = 0; i < n && !rc; i++) {
		struct json_object *res;
		uint64_t t = monotime_ns();
		char params[PATH_MAX + 256];

		snprintf(params, sizeof(params),
			 "{\"config\":{\"name\":\"scale-%03d\",\"kernel\":\"%s\","
			 "\"memory\":%d,\"vcpus\":1}}",
			 i, cfg->guest, cfg->mem_mib);
		res = rpc(c, "domain.create", params, cfg->timeout_s * 1000);
		ms[i] = ms_since(t);
		if (!res)
			rc = -1;
		/* Not counted: it is the benchmark's doing, not keel's. */
		t = monotime_ns();
		if (res && cfg->renice &&
		    renice_domain(member_str(res, "uuid"), cfg->guest_nice))
			rc = -1;
		t_renice += monotime_ns() - t;
		json_object_put(res);
		/* A sign of life: the slow rounds take many minutes. */
		if (ms[i] > SLOW_CREATE_MS)
			printf("N=%d: creating scale-%03d took %.1f s\n", n, i,
			       ms[i] / 1000);
		if (!rc && (i + 1) % 25 == 0 && i + 1 < n) {
			printf("N=%d: %d created (%.1f s)\n", n, i + 1,
			       ms_since(t0) / 1000);
			fflush(stdout);
		}
	}
	r->create_s = (double)(monotime_ns() - t0 - t_renice) / 1e9;
	if (!rc) {
		r->create_p50 = percentile(ms, n, 50);
		r->create_p99 = percentile(ms, n, 99);
	}
	free(ms);
	return rc;
}

/*
 * Run `keel -c SOCK @what` once (list, or --version for the cost of
 * starting keel at all), its output read from a pipe; *@ms gets the
 * time from just before the fork to its reaping. Returns the number of
 * lines it printed, or -1 when it failed (said on stderr).
 */
static int keel_once(const struct scale_cfg *cfg, const struct keeld_env *b,
		     const char *what, double *ms)
{
	char *argv[] = { (char *)cfg->keel, "-c", (char *)b->sock,
			 (char *)what, NULL };
	char buf[65536];
	size_t len = 0;
	int fds[2], status, lines = 0;
	uint64_t t0;
	pid_t pid;
	ssize_t got;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	t0 = monotime_ns();
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(fds[1], STDOUT_FILENO) < 0 ||
		    dup2(fds[1], STDERR_FILENO) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	for (;;) {
		got = read(fds[0], buf + len, sizeof(buf) - 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
		/* Past the buffer: count what it held, read on. */
		if (len == sizeof(buf) - 1) {
			for (size_t i = 0; i < len; i++)
				lines += buf[i] == '\n';
			len = 0;
		}
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	*ms = ms_since(t0);
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	buf[len] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "scale: keel %s: status %#x:\n%s\n", what,
			status, buf);
		return -1;
	}
	return lines;
}

/* How many domains keeld lists now, or -1. */
static int nr_domains(struct harness_client *c, const struct scale_cfg *cfg)
{
	struct json_object *list = rpc(c, "domain.list", NULL,
				       cfg->timeout_s * 1000);
	int n = list ? (int)json_object_array_length(list) : -1;

	json_object_put(list);
	return n;
}

/*
 * keel list and keel --version, -r times each, in turn; domain.list
 * 5 x -r times. *@n is the number of domains, less any that ended on
 * their own meanwhile (in the nested runner a guest now and then
 * triple-faults and its transient domain goes).
 */
static int measure_lists(struct harness_client *c, const struct scale_cfg *cfg,
			 const struct keeld_env *b, int *n,
			 struct scale_result *r)
{
	int nr_rpc = cfg->runs * 5, rc = 0, now;
	double *ms = calloc((size_t)nr_rpc, sizeof(*ms));
	double *exec_ms = calloc((size_t)cfg->runs, sizeof(*exec_ms));

	if (!ms || !exec_ms) {
		rc = -1;
		goto out_free;
	}
	for (int i = 0; i < cfg->runs && !rc; i++) {
		int lines = keel_once(cfg, b, "list", &ms[i]);

		/*
		 * The header and a row per domain: for every domain keeld
		 * had before (*@n) and still has after (now).
		 */
		now = nr_domains(c, cfg);
		if (lines < 0 || now < 0) {
			rc = -1;
		} else if (lines > *n + 1 || lines < now + 1) {
			fprintf(stderr,
				"scale: keel list printed %d lines for %d to %d domains\n",
				lines, now, *n);
			rc = -1;
		} else if (keel_once(cfg, b, "--version", &exec_ms[i]) != 1) {
			rc = -1;
		}
		*n = now;
	}
	if (rc)
		goto out_free;
	r->list_p50 = percentile(ms, cfg->runs, 50);
	r->list_p99 = percentile(ms, cfg->runs, 99);
	r->exec_p50 = percentile(exec_ms, cfg->runs, 50);
	for (int i = 0; i < nr_rpc && !rc; i++) {
		uint64_t t0 = monotime_ns();
		struct json_object *list = rpc(c, "domain.list", NULL,
					       cfg->timeout_s * 1000);

		ms[i] = ms_since(t0);
		if (!list) {
			rc = -1;
		} else if (json_object_array_length(list) > (size_t)*n) {
			fprintf(stderr,
				"scale: domain.list has %zu domains, not %d\n",
				json_object_array_length(list), *n);
			rc = -1;
		} else {
			*n = (int)json_object_array_length(list);
			if (i == nr_rpc - 1)
				count_running(list, &r->cpu_time);
		}
		json_object_put(list);
	}
	if (!rc) {
		r->rpc_p50 = percentile(ms, nr_rpc, 50);
		r->rpc_p99 = percentile(ms, nr_rpc, 99);
	}
out_free:
	free(exec_ms);
	free(ms);
	return rc;
}

/*
 * The wall-clock time of keeld's " ready: " line in @out ("SECONDS.MS
 * keeld: info: keeld ... ready: ...", lib/log.c), or -1.
 */
static double ready_line_time(const char *out)
{
	const char *hit = out ? strstr(out, " ready: ") : NULL;
	const char *line;
	long long sec;
	int msec;

	if (!hit)
		return -1;
	for (line = hit; line > out && line[-1] != '\n'; line--)
		;
	if (sscanf(line, "%lld.%3d ", &sec, &msec) != 2)
		return -1;
	return (double)sec + msec / 1000.0;
}

/*
 * kill -9 keeld, start a new one, and time it to its ready line and to
 * a domain.list with all *@n running (*@n less any domain that ended
 * on its own meanwhile). *@c is reconnected. Returns 0 or -1.
 */
static int readopt(struct harness_client *c, const struct scale_cfg *cfg,
		   struct keeld_env *b, int *n, struct scale_result *r)
{
	double t0_rt, ready_rt, cpu;
	uint64_t t0, deadline;
	int rc, running = 0, listed = 0;

	harness_client_close(c);
	keeld_env_kill(b);
	t0_rt = realtime_s();
	t0 = monotime_ns();
	rc = keeld_env_restart(b);
	/*
	 * keeld_env gives keeld 30 s to be ready: a slow machine (the
	 * nested runner) may need longer. The time still comes from the
	 * ready line itself.
	 */
	if (rc == -ESRCH && b->keeld_proc.pid > 0 && !b->keeld_proc.exited &&
	    proc_expect(&b->keeld_proc, " ready: ", 0,
			cfg->timeout_s * 1000) > 0) {
		fprintf(stderr, "scale: (keeld did get ready after all)\n");
		rc = 0;
	}
	if (rc)
		return -1;
	ready_rt = ready_line_time(b->keeld_proc.out);
	r->ready_s = ready_rt >= 0 ? ready_rt - t0_rt : ms_since(t0) / 1000;
	if (rpc_open(c, b))
		return -1;
	deadline = t0 + (uint64_t)cfg->timeout_s * 1000000000u;
	while (monotime_ns() < deadline) {
		struct json_object *list = rpc(c, "domain.list", NULL,
					       cfg->timeout_s * 1000);

		if (!list)
			return -1;
		running = count_running(list, &cpu);
		listed = (int)json_object_array_length(list);
		json_object_put(list);
		if (listed > *n) {
			fprintf(stderr, "scale: keeld lists %d domains, not %d\n",
				listed, *n);
			return -1;
		}
		if (running == listed && listed > 0)
			break;
		usleep(POLL_MS * 1000);
	}
	r->running_s = ms_since(t0) / 1000;
	if (running != listed || !listed) {
		fprintf(stderr,
			"scale: after %d s only %d of %d domains were running again\n",
			cfg->timeout_s, running, listed);
		return -1;
	}
	*n = listed;
	return 0;
}

/*
 * Destroy every domain keeld lists, one after another; *@secs (may be
 * NULL) gets the time and *@left (may be NULL) how many there were,
 * less any that ended on its own before its turn. Returns 0, or -1
 * when one could not be.
 */
static int destroy_all(struct harness_client *c, const struct scale_cfg *cfg,
		       double *secs, int *left)
{
	struct json_object *list = rpc(c, "domain.list", NULL,
				       cfg->timeout_s * 1000);
	uint64_t t0 = monotime_ns();
	int rc = 0, n = 0, code;

	if (!list)
		return -1;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *d = json_object_array_get_idx(list, i);
		struct json_object *res;
		char params[128];

		snprintf(params, sizeof(params), "{\"uuid\":\"%s\"}",
			 member_str(d, "uuid"));
		res = rpc_code(c, "domain.destroy", params,
			       cfg->timeout_s * 1000, &code);
		if (res)
			n++;
		else if (code != KEEL_NO_DOMAIN)
			rc = -1;
		json_object_put(res);
	}
	if (secs)
		*secs = ms_since(t0) / 1000;
	if (left)
		*left = n;
	json_object_put(list);
	return rc;
}

/*
 * After a failure: the end of keeld's log (its domains' starts and
 * stops, with their reasons) on stderr.
 */
static void keeld_log_tail(struct keeld_env *b)
{
	const char *from;

	/* Read what is waiting first. */
	while (b->keeld_proc.out_fd >= 0 &&
	       proc_expect(&b->keeld_proc, "\n", b->keeld_proc.len, 1) > 0)
		;
	if (!b->keeld_proc.out)
		return;
	from = b->keeld_proc.out;
	if (b->keeld_proc.len > KEELD_LOG_TAIL)
		from += b->keeld_proc.len - KEELD_LOG_TAIL;
	fprintf(stderr, "scale: the end of keeld's log:\n%s\n", from);
}

/* All of it for one N, on a keeld of its own. Returns 0 or -1. */
static int run_size(const struct scale_cfg *cfg, int n,
		    struct scale_result *r)
{
	struct harness_client c = { .fd = -1 };
	struct keeld_env b;
	int rc = -1, left = n;

	r->n = n;
	printf("N=%d: creating...\n", n);
	fflush(stdout);
	if (keeld_env_start(&b, "scale", cfg->keeld, cfg->schema_dir,
			      cfg->hv,
			      "# tests/bench/scale\nlog_level = info\n") ||
	    rpc_open(&c, &b))
		goto out_stop;
	if (create_all(&c, cfg, n, r))
		goto out_destroy;
	printf("N=%d: created in %.1f s; listing...\n", n, r->create_s);
	fflush(stdout);
	if (measure_lists(&c, cfg, &b, &left, r))
		goto out_destroy;
	printf("N=%d: keel list p50 %.1f ms; re-adopting...\n", n,
	       r->list_p50);
	fflush(stdout);
	if (readopt(&c, cfg, &b, &left, r))
		goto out_destroy;
	printf("N=%d: re-adopted in %.2f s; destroying...\n", n,
	       r->running_s);
	fflush(stdout);
	if (destroy_all(&c, cfg, &r->destroy_s, &left))
		goto out_destroy;
	r->lost = n - left;
	/* All of it now, in case a larger N does not finish. */
	printf("N=%d: create %.2f s (p50 %.1f, p99 %.1f ms), keel list p50 "
	       "%.1f p99 %.1f ms (--version %.1f), domain.list p50 %.2f p99 "
	       "%.2f ms, ready %.2f s, all running %.2f s, destroy %.2f s, "
	       "%d ended on their own\n",
	       n, r->create_s, r->create_p50, r->create_p99, r->list_p50,
	       r->list_p99, r->exec_p50, r->rpc_p50, r->rpc_p99, r->ready_s,
	       r->running_s, r->destroy_s, n - left);
	fflush(stdout);
	rc = 0;
	r->ok = true;
	goto out_stop;

out_destroy:
	keeld_log_tail(&b);
	/* Leave no guest spinning behind a failed step. */
	if (c.fd < 0)
		rpc_open(&c, &b);
	if (c.fd >= 0)
		destroy_all(&c, cfg, NULL, NULL);
out_stop:
	harness_client_close(&c);
	keeld_env_stop(&b);
	return rc;
}

/* --- the table ------------------------------------------------------------ */

/*
 * One row: @label, then the value at @offset of each result with
 * @decimals digits after the point ("-" when not measured), @target.
 */
static void row(const struct scale_cfg *cfg, const struct scale_result *res,
		const char *label, size_t offset, int decimals,
		const char *target)
{
	printf("%-34s", label);
	for (int i = 0; i < cfg->nr_sizes; i++) {
		double v = *(const double *)((const char *)&res[i] + offset);
		char buf[32];

		if (v < 0)
			snprintf(buf, sizeof(buf), "-");
		else
			snprintf(buf, sizeof(buf), "%.*f", decimals, v);
		printf(" %9s", buf);
	}
	printf("   %s\n", target);
}

static void print_table(const struct scale_cfg *cfg,
			const struct scale_result *res)
{
	char t_list[48], t_readopt[48];

	snprintf(t_list, sizeof(t_list), "<= %.0f", TARGET_LIST_MS);
	snprintf(t_readopt, sizeof(t_readopt), "<= %.0f at N=%d",
		 TARGET_READOPT_S, TARGET_READOPT_N);
	printf("\n%-34s", "");
	for (int i = 0; i < cfg->nr_sizes; i++) {
		char head[16];

		snprintf(head, sizeof(head), "N=%d", res[i].n);
		printf(" %9s", head);
	}
	printf("   target\n");
#define ROW(label, field, decimals, target)                               \
	row(cfg, res, label, offsetof(struct scale_result, field), decimals, \
	    target)
	ROW("create N, one after another (s)", create_s, 2, "");
	ROW("  domain.create p50 (ms)", create_p50, 1, "");
	ROW("  domain.create p99 (ms)", create_p99, 1, "");
	ROW("keel list p50 (ms)", list_p50, 1, t_list);
	ROW("keel list p99 (ms)", list_p99, 1, t_list);
	ROW("  keel --version p50 (ms)", exec_p50, 1, "");
	ROW("domain.list p50 (ms)", rpc_p50, 2, "");
	ROW("domain.list p99 (ms)", rpc_p99, 2, "");
	ROW("re-adopt: exec to ready line (s)", ready_s, 2, t_readopt);
	ROW("re-adopt: exec to all running (s)", running_s, 2, t_readopt);
	ROW("destroy N, one after another (s)", destroy_s, 2, "");
	ROW("guests' keel-hv CPU time (s)", cpu_time, 1, "");
	ROW("guests that ended on their own", lost, 0, "");
#undef ROW
	printf("\nkeel list: `keel -c SOCK list`, fork/exec to exit, %d runs; "
	       "keel --version, as\n  many, in turn: what starting keel "
	       "costs without any call. domain.list: on an\n  open "
	       "connection, %d calls. p99: the nearest rank (of fewer than "
	       "100: the slowest).\n"
	       "re-adopt: after kill -9 keeld, from just before the new "
	       "keeld's exec to its\n  ready line's timestamp, and until "
	       "domain.list shows all N running.\n"
	       "CPU time: the sum of domain.list's cpu_time after the lists "
	       "(the guests spin).\n"
	       "Ended on their own: guests that stopped before their "
	       "destroy (nested SVM under\n  TCG makes a guest triple-fault "
	       "now and then); later steps count the others.\n",
	       cfg->runs, cfg->runs * 5);
}

/* --- main --------------------------------------------------------------- */

static void usage(void)
{
	fprintf(stderr,
		"usage: scale [-n N[,N...]] [-r RUNS] [-k GUEST] [-m MIB] "
		"[-t TIMEOUT_S]\n"
		"             [--guest-nice NICE] [--keeld PATH] [--keel PATH] "
		"[--hv PATH]\n"
		"             [--schema-dir DIR]\n");
	exit(2);
}

/* "10,50,100" into cfg->sizes. Returns 0 or -1. */
static int parse_sizes(struct scale_cfg *cfg, const char *s)
{
	char *end;

	cfg->nr_sizes = 0;
	while (*s) {
		long v = strtol(s, &end, 10);

		if (end == s || v < 1 || v > MAX_DOMAINS ||
		    cfg->nr_sizes == MAX_SIZES || (*end && *end != ','))
			return -1;
		cfg->sizes[cfg->nr_sizes++] = (int)v;
		s = *end ? end + 1 : end;
	}
	return cfg->nr_sizes ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keeld", required_argument, NULL, 'K' },
		{ "keel", required_argument, NULL, 'C' },
		{ "hv", required_argument, NULL, 'H' },
		{ "schema-dir", required_argument, NULL, 'S' },
		{ "guest-nice", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct scale_cfg cfg = {
		.sizes = { 10, 50, 100 },
		.nr_sizes = 3,
		.runs = 20,
		.mem_mib = 16,
		.timeout_s = 300,
	};
	struct scale_result res[MAX_SIZES];
	struct utsname u;
	const char *why;
	int c, failed = 0;

	while ((c = getopt_long(argc, argv, "n:r:k:m:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_sizes(&cfg, optarg))
				usage();
			break;
		case 'r':
			cfg.runs = atoi(optarg);
			break;
		case 'k':
			cfg.guest = optarg;
			break;
		case 'm':
			cfg.mem_mib = atoi(optarg);
			break;
		case 't':
			cfg.timeout_s = atoi(optarg);
			break;
		case 'K':
			cfg.keeld = optarg;
			break;
		case 'C':
			cfg.keel = optarg;
			break;
		case 'H':
			cfg.hv = optarg;
			break;
		case 'S':
			cfg.schema_dir = optarg;
			break;
		case 'N':
			cfg.renice = true;
			cfg.guest_nice = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || cfg.runs < 1 || cfg.runs > MAX_RUNS ||
	    cfg.mem_mib < 16 || cfg.timeout_s < 1 || cfg.timeout_s > 86400 ||
	    cfg.guest_nice < -20 || cfg.guest_nice > 19)
		usage();
	why = harness_kvm_missing();
	if (why) {
		fprintf(stderr,
			"scale: %s.\nRun it in the nested runner: tests/nested/kvm-in-qemu -t 3000 -m 6144 BUILDDIR BUILDDIR/tests/bench/scale\n",
			why);
		return 1;
	}
	cfg.guest = absolute(cfg.guest ? cfg.guest :
				     harness_path("tests/guests/echo.bin"));
	cfg.hv = absolute(cfg.hv ? cfg.hv : harness_path("hypervisor/keel-hv"));
	cfg.keeld = absolute(cfg.keeld ? cfg.keeld :
				     harness_path("daemon/keeld"));
	cfg.keel = absolute(cfg.keel ? cfg.keel : harness_path("cli/keel"));
	cfg.schema_dir = cfg.schema_dir ? absolute(cfg.schema_dir) :
					  default_schema_dir();
	if (!harness_have_file(cfg.guest)) {
		fprintf(stderr, "scale: cannot read the guest %s\n", cfg.guest);
		return 1;
	}

	uname(&u);
	printf("scale benchmark: guest %s, %d MiB, 1 vCPU each (spinning)\n"
	       "%ld CPUs online, kernel %s; keeld %s\n",
	       cfg.guest, cfg.mem_mib, sysconf(_SC_NPROCESSORS_ONLN),
	       u.release, cfg.keeld);
	if (cfg.renice)
		printf("every keel-hv thread reniced to %d once created "
		       "(--guest-nice)\n", cfg.guest_nice);
	fflush(stdout);
	for (int i = 0; i < cfg.nr_sizes; i++) {
		res[i] = (struct scale_result){
			.n = cfg.sizes[i],
			.create_s = -1, .create_p50 = -1, .create_p99 = -1,
			.list_p50 = -1, .list_p99 = -1, .exec_p50 = -1,
			.rpc_p50 = -1, .rpc_p99 = -1,
			.ready_s = -1, .running_s = -1,
			.destroy_s = -1, .cpu_time = -1, .lost = -1,
		};
		if (run_size(&cfg, cfg.sizes[i], &res[i]))
			failed++;
	}
	print_table(&cfg, res);
	if (failed)
		printf("\n%d size(s) failed (see stderr); their missing "
		       "numbers show as -.\n", failed);
	return failed ? 1 : 0;
}
