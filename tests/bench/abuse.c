// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/bench/abuse: keeld under hostile local users (issue 15). Each
 * run starts its own keeld (keeld_env in keeld_fixture.h) with a descriptor limit of
 * its own, defines some domains, and measures a root client on
 * keeld.sock (host.info and domain.list, one call every few
 * milliseconds) while unprivileged processes hold connections on
 * keeld-ro.sock:
 *
 *  - idle: connect and send nothing;
 *  - partial: send a line just short of 1 MiB without its newline;
 *  - non-readers: pipeline batches of domain.list (with configs) and
 *    never read an answer.
 *
 * A connection keeld closes or refuses is opened again after a short
 * pause, so the pressure lasts the whole run. Three runs: no hostile
 * load (the baseline), the hostile connections spread over several
 * uids, then all of them under one uid. Each row gives keeld's peak and
 * final RSS (the final one after the hostile clients have left and
 * keeld had a moment to give memory back), its CPU use, the bytes it
 * logged and the root client's latency.
 *
 *   abuse [-n CONNS] [-d SECONDS] [-u UIDS] [-D DOMAINS] [-f NOFILE]
 *         [-m IDLE:PARTIAL:NONREADER] [--realtime] [--log FILE]
 *         [--keeld PATH] [--schema-dir DIR]
 *
 * -m weighs the three kinds (default 1:1:1); -f is keeld's soft
 * descriptor limit (default 1024, the usual one; the hard limit stays).
 * On a machine whose CPUs are busy with other work, the root client's
 * latency is mostly the scheduler's: --realtime runs keeld and the root
 * client SCHED_FIFO (the hostile processes stay as they are), so that
 * what is left is keeld's own. --log appends keeld's log to
 * FILE (the benchmark otherwise only counts its bytes).
 *
 * Needs root (it hands the hostile processes uids from 60001 up).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keeld_fixture.h"
#include "harness.h"

#define FIRST_UID 60001
#define MAX_UIDS 1000
#define ROOT_PERIOD_US 5000	/* the root client's pace */
#define ROOT_TIMEOUT_MS 10000
#define PARTIAL_LEN ((1 << 20) - 64)	/* just short of JSONRPC_MAX_LINE */
#define BATCH 256		/* JSONRPC_MAX_BATCH */
#define RECONNECT_MS 20
#define SETTLE_S 5		/* after the load, before the final RSS */

struct bench_cfg {
	int conns, secs, uids, domains;
	int mix[3];		/* weights of idle, partial, non-reader */
	rlim_t nofile;
	bool realtime;		/* keeld, root client SCHED_FIFO */
	const char *keeld, *schema_dir, *log_file;
};

enum hkind { H_IDLE, H_PARTIAL, H_NONREADER, H_KINDS };

/* What one hostile process saw, sent to the parent at the end. */
struct hstats {
	unsigned long connects[H_KINDS];
	unsigned long refusals;	/* error lines read (idle, partial) */
	unsigned long closed;	/* connections keeld closed */
	unsigned long connect_errors;
	unsigned long max_open;
};

struct hconn {
	int fd;
	enum hkind kind;
	size_t sent;		/* of the current partial line or batch */
	long long retry_at;	/* when closed: reopen then */
	char rbuf[256];		/* the start of what keeld said */
	size_t rlen;
};

struct result {
	char name[32];
	double rss_peak, rss_end, cpu_pct, hostile_cpu_pct;
	unsigned long long log_bytes;
	double p50, p99, max;
	unsigned long calls, errors;
	struct hstats h;
	char first_error[160];
};

/* --- the hostile processes ------------------------------------------- */

static char *batch_line;
static size_t batch_len;
static char *partial_line;

static void make_lines(void)
{
	size_t cap = BATCH * 96 + 16, n = 0;

	batch_line = malloc(cap);
	partial_line = malloc(PARTIAL_LEN);
	if (!batch_line || !partial_line)
		exit(1);
	batch_line[n++] = '[';
	for (int i = 0; i < BATCH; i++)
		n += (size_t)snprintf(batch_line + n, cap - n,
				      "%s{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"domain.list\",\"params\":{\"config\":true}}",
				      i ? "," : "", i + 1);
	n += (size_t)snprintf(batch_line + n, cap - n, "]\n");
	batch_len = n;
	/* A string that never ends: no newline, no parse until 1 MiB. */
	memset(partial_line, 'x', PARTIAL_LEN);
	memcpy(partial_line, "{\"jsonrpc\":\"2.0\",\"method\":\"", 27);
}

static int hconn_open(struct hconn *h, int ep, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct epoll_event ev = { .data.ptr = h };

	h->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		       0);
	if (h->fd < 0)
		return -errno;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		close(h->fd);
		h->fd = -1;
		return -ENAMETOOLONG;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (connect(h->fd, (struct sockaddr *)&sun, sizeof(sun))) {
		int rc = -errno;

		close(h->fd);
		h->fd = -1;
		return rc;
	}
	h->sent = 0;
	h->rlen = 0;
	/* Non-readers never read; the others read only what keeld says. */
	ev.events = h->kind == H_IDLE ? EPOLLIN :
		    h->kind == H_PARTIAL ? EPOLLIN | EPOLLOUT :
					   EPOLLOUT;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, h->fd, &ev)) {
		close(h->fd);
		h->fd = -1;
		return -errno;
	}
	return 0;
}

static void hconn_close(struct hconn *h, long long now)
{
	close(h->fd);
	h->fd = -1;
	h->retry_at = now + RECONNECT_MS;
}

/* The socket is writable: go on with the partial line or the batches. */
static bool hconn_write(struct hconn *h, int ep)
{
	const char *buf = h->kind == H_PARTIAL ? partial_line : batch_line;
	size_t len = h->kind == H_PARTIAL ? PARTIAL_LEN : batch_len;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = h };

	for (;;) {
		ssize_t n = send(h->fd, buf + h->sent, len - h->sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		h->sent += (size_t)n;
		if (h->sent < len)
			continue;
		if (h->kind == H_NONREADER) {
			h->sent = 0;
			continue;
		}
		/* The partial line is all there: hold it, read only. */
		epoll_ctl(ep, EPOLL_CTL_MOD, h->fd, &ev);
		return true;
	}
}

/* keeld said something (an error line) or closed. */
static bool hconn_read(struct hconn *h, struct hstats *st)
{
	char buf[4096];
	ssize_t n = recv(h->fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return false;
	if (n > 0 && h->rlen < sizeof(h->rbuf) - 1) {
		size_t take = (size_t)n;

		if (take > sizeof(h->rbuf) - 1 - h->rlen)
			take = sizeof(h->rbuf) - 1 - h->rlen;
		memcpy(h->rbuf + h->rlen, buf, take);
		h->rlen += take;
		h->rbuf[h->rlen] = '\0';
		if (memchr(buf, '\n', (size_t)n) && strstr(h->rbuf, "-3200"))
			st->refusals++;
	}
	return true;
}

/* The kind of the @i-th connection, for the weights @mix. */
static enum hkind kind_of(const int mix[3], int i)
{
	int total = mix[0] + mix[1] + mix[2], k = i % total;

	return k < mix[0] ? H_IDLE : k < mix[0] + mix[1] ? H_PARTIAL :
							 H_NONREADER;
}

/*
 * One hostile process: @n connections to @path, kinds as @mix weighs
 * them starting at the @first-th, for @secs seconds. Writes its hstats
 * to @out.
 */
static void hostile_run(const char *path, const int mix[3], int n,
			int first, int secs, int out)
{
	struct hconn *conns = calloc((size_t)n, sizeof(*conns));
	struct epoll_event evs[256];
	struct hstats st = { 0 };
	long long end = harness_now_ms() + secs * 1000LL;
	unsigned long open_now = 0;
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (!conns || ep < 0)
		_exit(1);
	for (int i = 0; i < n; i++) {
		conns[i].fd = -1;
		conns[i].kind = kind_of(mix, first + i);
	}
	for (;;) {
		long long now = harness_now_ms();
		int nev;

		if (now >= end)
			break;
		open_now = 0;
		for (int i = 0; i < n; i++) {
			struct hconn *h = &conns[i];

			if (h->fd < 0 && h->retry_at <= now) {
				if (hconn_open(h, ep, path)) {
					st.connect_errors++;
					h->retry_at = now + RECONNECT_MS;
				} else {
					st.connects[h->kind]++;
				}
			}
			open_now += h->fd >= 0;
		}
		if (open_now > st.max_open)
			st.max_open = open_now;
		nev = epoll_wait(ep, evs, 256, 10);
		for (int i = 0; i < nev; i++) {
			struct hconn *h = evs[i].data.ptr;
			bool alive = true;

			if (h->fd < 0)
				continue;
			if (evs[i].events & EPOLLIN)
				alive = hconn_read(h, &st);
			if (alive && (evs[i].events & EPOLLOUT))
				alive = hconn_write(h, ep);
			if (alive && h->kind == H_NONREADER &&
			    (evs[i].events & (EPOLLHUP | EPOLLERR)))
				alive = false;
			if (!alive) {
				st.closed++;
				hconn_close(h, now);
			}
		}
	}
	if (write(out, &st, sizeof(st)) != sizeof(st))
		_exit(1);
	_exit(0);
}

/* Fork one hostile process as @uid. Returns its pid, or -errno. */
static pid_t hostile_fork(const char *path, const int mix[3], uid_t uid,
			  int n, int first, int secs, int out)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid < 0 ? -errno : pid;
	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    setresuid(uid, uid, uid))
		_exit(1);
	hostile_run(path, mix, n, first, secs, out);
	_exit(0);
}

/* --- keeld, measured --------------------------------------------------- */

/* VmHWM or VmRSS of @pid, in MiB; -1 if unknown. */
static double proc_mem_mib(pid_t pid, const char *key)
{
	long kib = harness_status_kib(pid, key);

	return kib < 0 ? -1 : (double)kib / 1024;
}

/* User plus system CPU seconds of @pid. */
static double proc_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long utime, stime;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/*
 * keeld's log goes to a pipe; this thread reads it and only counts, so
 * that a keeld logging a gigabyte neither blocks on the pipe nor fills
 * the benchmark's memory.
 */
struct log_drain {
	pthread_t tid;
	int fd;
	const char *keep;	/* a file to append the log to, or NULL */
	atomic_bool stop;
	atomic_ullong bytes;
	char sample[512];	/* the first line logged under load */
	atomic_bool sampling;
};

static void *log_drain_run(void *arg)
{
	struct log_drain *d = arg;
	FILE *f = d->keep ? fopen(d->keep, "a") : NULL;
	char buf[65536];

	while (!atomic_load(&d->stop)) {
		struct pollfd pfd = { .fd = d->fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = read(d->fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		if (atomic_load(&d->sampling) && !d->sample[0]) {
			size_t len = (size_t)n < sizeof(d->sample) - 1 ?
					     (size_t)n :
					     sizeof(d->sample) - 1;

			memcpy(d->sample, buf, len);
			d->sample[strcspn(d->sample, "\n")] = '\0';
		}
		atomic_fetch_add(&d->bytes, (unsigned long long)n);
		if (f)
			fwrite(buf, 1, (size_t)n, f);
	}
	if (f)
		fclose(f);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Define @n domains with configs of some size. Returns 0 or -EIO. */
static int define_domains(const char *sock, int n)
{
	struct harness_client c;
	char req[1024];
	int rc = -EIO;

	if (harness_client_open(&c, sock, 2000))
		goto out_close;
	for (int i = 0; i < n; i++) {
		const char *resp;

		snprintf(req, sizeof(req),
			 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"domain.define\",\"params\":{\"config\":{"
			 "\"name\":\"abuse-%02d\",\"kernel\":\"/nonexistent/vmlinuz\",\"memory\":256,\"vcpus\":2,"
			 "\"cmdline\":\"console=ttyS0 root=/dev/vda rw quiet loglevel=3 init=/sbin/init panic=1\","
			 "\"disks\":[{\"vdev\":\"xvda\",\"path\":\"/img/abuse-%02d.raw\"},"
			 "{\"vdev\":\"xvdb\",\"path\":\"/img/abuse-%02d-data.raw\"}]}}}",
			 i + 1, i, i, i);
		resp = harness_client_call(&c, req, ROOT_TIMEOUT_MS);
		if (!resp || !strstr(resp, "\"result\"")) {
			fprintf(stderr, "abuse: cannot define a domain: %s\n",
				resp ? resp : "no answer");
			goto out_close;
		}
	}
	rc = 0;
out_close:
	harness_client_close(&c);
	return rc;
}

/*
 * The root client: one call every ROOT_PERIOD_US on keeld.sock until
 * @secs have passed. Fills @r's latency and error numbers.
 */
static void root_client(const char *sock, int secs, bool realtime,
			struct result *r)
{
	struct sched_param rt = { .sched_priority = 10 }, normal = { 0 };
	size_t cap = (size_t)secs * (1000000 / ROOT_PERIOD_US) + 16, n = 0;
	double *lat = calloc(cap, sizeof(*lat));
	long long end = harness_now_ms() + secs * 1000LL;
	struct harness_client c;
	bool open = false;

	/* This thread only, and after the hostile processes were forked. */
	if (realtime && sched_setscheduler(0, SCHED_FIFO, &rt))
		fprintf(stderr, "abuse: cannot make the root client real-time: %s\n",
			strerror(errno));
	for (unsigned long i = 0; harness_now_ms() < end && n < cap; i++) {
		struct timespec t0, t1;
		const char *resp;
		char req[128];

		if (!open) {
			open = !harness_client_open(&c, sock, 0);
			if (!open) {
				r->errors++;
				usleep(ROOT_PERIOD_US);
				continue;
			}
		}
		snprintf(req, sizeof(req),
			 "{\"jsonrpc\":\"2.0\",\"id\":%lu,\"method\":\"%s\"}", i,
			 i % 2 ? "domain.list" : "host.info");
		clock_gettime(CLOCK_MONOTONIC, &t0);
		resp = harness_client_call(&c, req, ROOT_TIMEOUT_MS);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		r->calls++;
		if (!resp || !strstr(resp, "\"result\"")) {
			if (!r->first_error[0])
				snprintf(r->first_error,
					 sizeof(r->first_error), "%.150s",
					 resp ? resp : "no answer");
			r->errors++;
			harness_client_close(&c);
			open = false;
			continue;
		}
		lat[n++] = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			   (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		usleep(ROOT_PERIOD_US);
	}
	if (open)
		harness_client_close(&c);
	if (realtime)
		sched_setscheduler(0, SCHED_OTHER, &normal);
	qsort(lat, n, sizeof(*lat), cmp_double);
	r->p50 = n ? lat[n / 2] : -1;
	r->p99 = n ? lat[n * 99 / 100] : -1;
	r->max = n ? lat[n - 1] : -1;
	free(lat);
}

static int set_nofile(rlim_t soft, rlim_t hard)
{
	struct rlimit rl = { .rlim_cur = soft, .rlim_max = hard };

	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

/*
 * One row: keeld started with the soft descriptor limit @cfg->nofile,
 * @uids hostile processes (0: none) sharing @cfg->conns connections.
 */
static int run_once(const struct bench_cfg *cfg, int uids, struct result *r)
{
	struct rlimit orig;
	struct keeld_env b;
	struct log_drain drain = { 0 };
	pid_t kids[MAX_UIDS];
	int nkids = 0, pipefd[2] = { -1, -1 }, rc = -EIO;
	double cpu0, cpu1, hcpu = 0;
	struct rusage ru;
	long long t0, t1;
	unsigned long long log0;

	getrlimit(RLIMIT_NOFILE, &orig);
	/* keeld inherits the limit; the host's usual soft 1024, say. */
	if (set_nofile(cfg->nofile < orig.rlim_max ? cfg->nofile :
						      orig.rlim_max,
		       orig.rlim_max))
		return -errno;
	rc = keeld_env_start(&b, "abuse", cfg->keeld, cfg->schema_dir,
			       NULL, "# tests/bench/abuse\nlog_level = info\n");
	set_nofile(orig.rlim_cur, orig.rlim_max);
	if (rc)
		goto out_stop;
	rc = -EIO;
	/* The hostile uids must reach keeld-ro.sock. */
	if (chmod(b.dir, 0755) || define_domains(b.sock, cfg->domains))
		goto out_stop;
	if (cfg->realtime) {
		struct sched_param sp = { .sched_priority = 10 };

		if (sched_setscheduler(b.keeld_proc.pid, SCHED_FIFO, &sp))
			fprintf(stderr, "abuse: cannot make keeld real-time: %s\n",
				strerror(errno));
	}
	drain.fd = b.keeld_proc.out_fd;
	drain.keep = cfg->log_file;
	if (pthread_create(&drain.tid, NULL, log_drain_run, &drain))
		goto out_stop;

	if (uids && pipe2(pipefd, O_CLOEXEC))
		goto out_drain;
	/* Each hostile process needs a descriptor per connection. */
	if (uids)
		set_nofile(orig.rlim_max, orig.rlim_max);
	for (int i = 0, first = 0; i < uids; i++) {
		int n = cfg->conns / uids + (i < cfg->conns % uids);
		pid_t pid = hostile_fork(b.ro_sock, cfg->mix,
					 (uid_t)(FIRST_UID + i), n, first,
					 cfg->secs, pipefd[1]);

		first += n;

		if (pid < 0)
			break;
		kids[nkids++] = pid;
	}
	set_nofile(orig.rlim_cur, orig.rlim_max);
	log0 = atomic_load(&drain.bytes);
	atomic_store(&drain.sampling, true);
	cpu0 = proc_cpu_s(b.keeld_proc.pid);
	t0 = harness_now_ms();
	/* Let the hostile connections pile up first. */
	if (uids)
		sleep(1);
	root_client(b.sock, uids ? cfg->secs - 1 : cfg->secs, cfg->realtime,
		    r);
	for (int i = 0; i < nkids; i++) {
		struct hstats st;

		if (read(pipefd[0], &st, sizeof(st)) == sizeof(st)) {
			for (int k = 0; k < H_KINDS; k++)
				r->h.connects[k] += st.connects[k];
			r->h.refusals += st.refusals;
			r->h.closed += st.closed;
			r->h.connect_errors += st.connect_errors;
			r->h.max_open += st.max_open;
		}
		if (wait4(kids[i], NULL, 0, &ru) == kids[i])
			hcpu += (double)ru.ru_utime.tv_sec +
				(double)ru.ru_utime.tv_usec / 1e6 +
				(double)ru.ru_stime.tv_sec +
				(double)ru.ru_stime.tv_usec / 1e6;
	}
	nkids = 0;
	t1 = harness_now_ms();
	cpu1 = proc_cpu_s(b.keeld_proc.pid);
	r->log_bytes = atomic_load(&drain.bytes) - log0;
	r->cpu_pct = 100 * (cpu1 - cpu0) / ((double)(t1 - t0) / 1000);
	r->hostile_cpu_pct = 100 * hcpu / ((double)(t1 - t0) / 1000);
	r->rss_peak = proc_mem_mib(b.keeld_proc.pid, "VmHWM");
	sleep(SETTLE_S);
	r->rss_end = proc_mem_mib(b.keeld_proc.pid, "VmRSS");
	if (drain.sample[0] && uids)
		printf("  %s: first log line under load: %.140s\n", r->name,
		       drain.sample);
	rc = 0;
	for (int i = 0; i < nkids; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
out_drain:
	atomic_store(&drain.stop, true);
	pthread_join(drain.tid, NULL);
out_stop:
	keeld_env_stop(&b);
	return rc;
}

static void print_row(const struct result *r)
{
	printf("%-14s %8.1f %8.1f %6.0f %10llu %8.2f %8.2f %8.1f %6lu/%-6lu\n",
	       r->name, r->rss_peak, r->rss_end, r->cpu_pct, r->log_bytes,
	       r->p50, r->p99, r->max, r->errors, r->calls);
	if (r->h.max_open || r->h.connect_errors)
		printf("%14s hostile: %lu/%lu/%lu connects (idle/partial/non-reader), "
		       "%lu error lines, %lu closed by keeld, %lu connect errors, "
		       "at most %lu open, %.0f%% CPU\n",
		       "", r->h.connects[H_IDLE], r->h.connects[H_PARTIAL],
		       r->h.connects[H_NONREADER], r->h.refusals, r->h.closed,
		       r->h.connect_errors, r->h.max_open, r->hostile_cpu_pct);
	if (r->first_error[0])
		printf("%14s first root error: %s\n", "", r->first_error);
	fflush(stdout);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: abuse [-n CONNS] [-d SECONDS] [-u UIDS] [-D DOMAINS] "
		"[-f NOFILE] [-m IDLE:PARTIAL:NONREADER] [--realtime] "
		"[--log FILE] [--keeld PATH] [--schema-dir DIR]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keeld", required_argument, NULL, 'k' },
		{ "schema-dir", required_argument, NULL, 'S' },
		{ "realtime", no_argument, NULL, 'R' },
		{ "log", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_cfg cfg = {
		.conns = 1000, .secs = 30, .uids = 10, .domains = 20,
		.nofile = 1024, .mix = { 1, 1, 1 },
	};
	struct result r;
	int c, status = 0;

	while ((c = getopt_long(argc, argv, "n:d:u:D:f:m:h", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'n':
			cfg.conns = atoi(optarg);
			break;
		case 'd':
			cfg.secs = atoi(optarg);
			break;
		case 'u':
			cfg.uids = atoi(optarg);
			break;
		case 'D':
			cfg.domains = atoi(optarg);
			break;
		case 'f':
			cfg.nofile = (rlim_t)atol(optarg);
			break;
		case 'm':
			if (sscanf(optarg, "%d:%d:%d", &cfg.mix[0], &cfg.mix[1],
				   &cfg.mix[2]) != 3 || cfg.mix[0] < 0 ||
			    cfg.mix[1] < 0 || cfg.mix[2] < 0 ||
			    cfg.mix[0] + cfg.mix[1] + cfg.mix[2] == 0)
				usage();
			break;
		case 'k':
			cfg.keeld = optarg;
			break;
		case 'S':
			cfg.schema_dir = optarg;
			break;
		case 'R':
			cfg.realtime = true;
			break;
		case 'L':
			cfg.log_file = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || cfg.conns < 1 || cfg.secs < 2 || cfg.uids < 1 ||
	    cfg.uids > MAX_UIDS || cfg.domains < 0 || cfg.nofile < 64)
		usage();
	if (geteuid() != 0) {
		fprintf(stderr, "abuse: needs root, to run the hostile clients under other uids.\n");
		return 2;
	}
	if (!cfg.keeld)
		cfg.keeld = harness_path("daemon/keeld");
	if (!cfg.schema_dir)
		cfg.schema_dir = default_schema_dir();
	signal(SIGPIPE, SIG_IGN);
	make_lines();

	printf("abuse: keeld %s, %d domains, descriptor limit %lu (soft) for keeld%s\n",
	       cfg.keeld, cfg.domains, (unsigned long)cfg.nofile,
	       cfg.realtime ? ", keeld and the root client SCHED_FIFO" : "");
	printf("hostile: %d connections on keeld-ro.sock for %d s, weighed %d:%d:%d: "
	       "idle, partial lines of %d bytes, non-readers pipelining "
	       "%d-request domain.list batches (%zu bytes)\n",
	       cfg.conns, cfg.secs, cfg.mix[0], cfg.mix[1], cfg.mix[2],
	       PARTIAL_LEN, BATCH, batch_len);
	printf("root: host.info and domain.list on keeld.sock every %d ms\n\n",
	       ROOT_PERIOD_US / 1000);
	printf("%-14s %8s %8s %6s %10s %8s %8s %8s %13s\n", "run",
	       "RSS-peak", "RSS-end", "CPU%", "log-bytes", "p50-ms", "p99-ms",
	       "max-ms", "errors/calls");
	printf("%-14s %8s %8s\n", "", "MiB", "MiB");
	for (int run = 0; run < 3; run++) {
		int uids = run == 0 ? 0 : run == 1 ? cfg.uids : 1;

		memset(&r, 0, sizeof(r));
		if (run == 0)
			snprintf(r.name, sizeof(r.name), "baseline");
		else
			snprintf(r.name, sizeof(r.name), "hostile/%d-uid%s",
				 uids, uids > 1 ? "s" : "");
		if (run_once(&cfg, uids, &r)) {
			fprintf(stderr, "abuse: the run %s failed\n", r.name);
			status = 1;
			continue;
		}
		print_row(&r);
	}
	return status;
}
