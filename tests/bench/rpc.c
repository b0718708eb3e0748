// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/bench/rpc: keeld's JSON-RPC throughput and latency. Starts its
 * own keeld in a temporary run and state directory, defines N domains,
 * then for domain.list and for domain.info (naming each domain in turn)
 * runs closed-loop clients on 1, 16, ... connections for a fixed time:
 * one thread per connection, each sending one request line and waiting
 * for its response line before the next. Prints calls/s, p50/p99/max
 * latency, and keeld's and the benchmark's own CPU use, since on a
 * small machine the clients and the server share the same cores.
 * A last row per method pipelines batches of requests on one connection
 * without waiting, which shows what keeld can serve apart from the
 * round trip.
 *
 *   rpc [-d SECONDS_PER_CELL] [-n DOMAINS] [-c CONNS,...]
 *       [--keeld PATH] [--schema-dir DIR]
 *
 * Every response is checked (a result, the request's id); a run with
 * any error says so and exits 1.
 */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "keeld_fixture.h"
#include "harness.h"
#include "monotime.h"

#define MAX_CONNS 256
#define MAX_CONN_COUNTS 16
#define MAX_DOMAINS 10000
#define HIST_US 65536		/* latencies at or above go to "over" */
#define PIPE_DEPTH 64
#define IO_TIMEOUT_S 10
#define NO_RESPONSE "keeld closed the connection or did not answer in 10 s"
/*
 * Responses keeld may hold for a client that is not reading: the
 * pipelined batch must stay well below server.h's SERVER_MAX_OUTPUT
 * (4 MiB), or keeld rightly drops the connection.
 */
#define PIPE_MAX_BYTES (1024 * 1024)
/* Fully parse the first response and then one in this many. */
#define DEEP_CHECK_EVERY 4096

enum bench_method { BENCH_LIST, BENCH_INFO };

static const char *const method_names[] = {
	[BENCH_LIST] = "domain.list",
	[BENCH_INFO] = "domain.info",
};

struct bench_cfg {
	int secs;
	int domains;
	int conns[MAX_CONN_COUNTS];
	int nr_conns;
	const char *keeld;
	const char *schema_dir;
};

/* A blocking client connection with its own line buffer. */
struct bconn {
	int fd;
	char *buf;
	size_t start, len, cap; /* unread bytes are buf[start, len) */
};

struct cell;

struct worker {
	pthread_t tid;
	struct cell *cell;
	struct bconn conn;
	unsigned next_dom;
	unsigned long long next_id;
	uint32_t *hist; /* HIST_US one-microsecond buckets */
	uint64_t max_ns, calls, errors;
	char first_err[200];
};

/* One row of the table: one method, one connection count, one mode. */
struct cell {
	const struct bench_cfg *cfg;
	enum bench_method method;
	int conns;
	int batch; /* 0: closed loop; else pipelined, this many a batch */
	const char *sock;
	atomic_bool stop;
	/* Workers wait for @go so that all of them start together. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool go;
	struct worker *workers;
};

static void domain_name(char *buf, size_t size, unsigned i)
{
	snprintf(buf, size, "bench-%02u", i);
}

/* One request line, newline included; returns its length. */
static int request_format(char *buf, size_t size, enum bench_method m,
			  unsigned long long id, unsigned dom)
{
	char name[32];

	if (m == BENCH_LIST)
		return snprintf(buf, size,
				"{\"jsonrpc\":\"2.0\",\"id\":%llu,\"method\":\"domain.list\"}\n",
				id);
	domain_name(name, sizeof(name), dom);
	return snprintf(buf, size,
			"{\"jsonrpc\":\"2.0\",\"id\":%llu,\"method\":\"domain.info\",\"params\":{\"name\":\"%s\"}}\n",
			id, name);
}

static int bconn_open(struct bconn *c, const char *path)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	struct harness_client hc;
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	rc = harness_client_open(&hc, path, 0);
	if (rc) {
		harness_client_close(&hc);
		return rc;
	}
	/* Take the socket over; the harness client keeps nothing else. */
	c->fd = hc.fd;
	hc.fd = -1;
	harness_client_close(&hc);
	/* A stuck keeld must end the run as an error, not hang it. */
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	c->cap = 65536;
	c->buf = malloc(c->cap);
	return c->buf ? 0 : -ENOMEM;
}

static void bconn_close(struct bconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int bconn_send(struct bconn *c, const char *s, size_t len)
{
	while (len) {
		ssize_t n = send(c->fd, s, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The next line, NUL-terminated in place of its newline; valid until
 * the next call. NULL on EOF, error or timeout. One read() usually
 * brings a whole response; unlike harness_client_readline() this
 * neither polls nor copies each line, so the client's share of the
 * two cores stays small.
 */
static char *bconn_readline(struct bconn *c, size_t *line_len)
{
	size_t scanned = c->start;

	for (;;) {
		char *nl = memchr(c->buf + scanned, '\n', c->len - scanned);
		ssize_t n;

		if (nl) {
			char *line = c->buf + c->start;

			*nl = '\0';
			*line_len = (size_t)(nl - line);
			c->start = (size_t)(nl - c->buf) + 1;
			if (c->start == c->len)
				c->start = c->len = 0;
			return line;
		}
		scanned = c->len;
		if (c->start && c->len == c->cap) {
			memmove(c->buf, c->buf + c->start, c->len - c->start);
			c->len -= c->start;
			scanned -= c->start;
			c->start = 0;
		}
		if (c->len == c->cap) {
			char *bigger;

			if (c->cap > 2 * 1024 * 1024)
				return NULL; /* longer than keeld may send */
			bigger = realloc(c->buf, c->cap * 2);
			if (!bigger)
				return NULL;
			c->buf = bigger;
			c->cap *= 2;
		}
		do
			n = read(c->fd, c->buf + c->len, c->cap - c->len);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return NULL;
		c->len += (size_t)n;
	}
}

/* The closing quote of the string opening at @p, or NULL. */
static const char *string_end(const char *p, const char *end)
{
	for (const char *q = p + 1; q < end; q++) {
		const char *bs;

		q = memchr(q, '"', (size_t)(end - q));
		if (!q)
			return NULL;
		/* Escaped if an odd number of backslashes precede it. */
		for (bs = q; bs > p + 1 && bs[-1] == '\\'; bs--)
			;
		if ((q - bs) % 2 == 0)
			return q;
	}
	return NULL;
}

/*
 * Is @s (NUL-terminated, @len bytes) a success response to request
 * @id: top-level members "id" equal to @id and "result", no "error",
 * brackets balanced? A walk over the bytes, not a parse: parsing every
 * domain.list answer (kilobytes with 50 domains) would cost the client
 * about what keeld spends building it, on the same cores. worker_deep()
 * parses a sample fully.
 */
static bool resp_ok(const char *s, size_t len, unsigned long long id)
{
	const char *p = s, *end = s + len;
	const char *key = NULL;
	size_t key_len = 0;
	bool key_next = false, got_id = false, got_result = false;
	int depth = 0;

	if (len < 2 || *s != '{')
		return false;
	for (; p < end; p++) {
		switch (*p) {
		case '"': {
			const char *q = string_end(p, end);

			if (!q)
				return false;
			if (depth == 1 && key_next) {
				key = p + 1;
				key_len = (size_t)(q - key);
				key_next = false;
			}
			p = q;
			break;
		}
		case ':':
			if (depth != 1 || !key)
				break;
			if (key_len == 2 && !memcmp(key, "id", 2)) {
				char *num_end;

				errno = 0;
				got_id = strtoull(p + 1, &num_end, 10) == id &&
					 !errno && num_end != p + 1;
			} else if (key_len == 6 && !memcmp(key, "result", 6)) {
				got_result = true;
			} else if (key_len == 5 && !memcmp(key, "error", 5)) {
				return false;
			}
			key = NULL;
			break;
		case '{':
			if (++depth == 1)
				key_next = true;
			break;
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth < 0)
				return false;
			break;
		case ',':
			if (depth == 1)
				key_next = true;
			break;
		}
	}
	return depth == 0 && got_id && got_result;
}

/*
 * The full check of a sample response: valid JSON, and the result is
 * what was asked for (all the domains; the one named).
 */
static bool worker_deep(const struct cell *cell, const char *line,
			unsigned dom)
{
	struct json_object *o = json_tokener_parse(line), *r, *v;
	char name[32];
	bool ok = false;

	if (!o || !json_object_object_get_ex(o, "result", &r))
		goto out_put;
	if (cell->method == BENCH_LIST) {
		ok = json_object_is_type(r, json_type_array) &&
		     json_object_array_length(r) ==
			     (size_t)cell->cfg->domains;
	} else {
		domain_name(name, sizeof(name), dom);
		ok = json_object_object_get_ex(r, "name", &v) &&
		     !strcmp(json_object_get_string(v), name);
	}
out_put:
	json_object_put(o);
	return ok;
}

static void worker_error(struct worker *w, const char *what,
			 const char *line)
{
	if (!w->errors++)
		snprintf(w->first_err, sizeof(w->first_err), "%s%s%.120s",
			 what, line ? ": " : "", line ? line : "");
}

/* Check one response; @dom is the domain its request named. */
static void worker_check(struct worker *w, const char *line, size_t len,
			 unsigned long long id, unsigned dom)
{
	if (!resp_ok(line, len, id))
		worker_error(w, "not a success response to its request",
			     line);
	else if (w->calls % DEEP_CHECK_EVERY == 0 &&
		 !worker_deep(w->cell, line, dom))
		worker_error(w, "the result is not what was asked for", line);
}

static void worker_record(struct worker *w, uint64_t ns)
{
	uint64_t us = ns / 1000;

	/* Slower calls count only in max and as a percentile of ">65535". */
	if (us < HIST_US)
		w->hist[us]++;
	if (ns > w->max_ns)
		w->max_ns = ns;
}

/* Send, wait, repeat until told to stop. */
static void worker_closed(struct worker *w)
{
	struct cell *cell = w->cell;
	char req[256];

	while (!atomic_load_explicit(&cell->stop, memory_order_relaxed)) {
		unsigned long long id = ++w->next_id;
		unsigned dom = w->next_dom++ % (unsigned)cell->cfg->domains;
		int n = request_format(req, sizeof(req), cell->method, id, dom);
		uint64_t t0 = monotime_ns();
		size_t len;
		char *line;

		if (bconn_send(&w->conn, req, (size_t)n)) {
			worker_error(w, "cannot send a request", NULL);
			return;
		}
		line = bconn_readline(&w->conn, &len);
		if (!line) {
			worker_error(w, NO_RESPONSE, NULL);
			return;
		}
		worker_record(w, monotime_ns() - t0);
		worker_check(w, line, len, id, dom);
		w->calls++;
	}
}

/* Send a batch without waiting, then read its responses; repeat. */
static void worker_pipelined(struct worker *w)
{
	struct cell *cell = w->cell;
	size_t size = (size_t)cell->batch * 256;
	char *batch = malloc(size);
	unsigned long long first_id;
	unsigned first_dom;

	if (!batch) {
		worker_error(w, "out of memory", NULL);
		return;
	}
	while (!atomic_load_explicit(&cell->stop, memory_order_relaxed)) {
		size_t used = 0;

		first_id = w->next_id + 1;
		first_dom = w->next_dom;
		for (int i = 0; i < cell->batch; i++)
			used += (size_t)request_format(
				batch + used, size - used, cell->method,
				++w->next_id,
				w->next_dom++ % (unsigned)cell->cfg->domains);
		if (bconn_send(&w->conn, batch, used)) {
			worker_error(w, "cannot send a request", NULL);
			break;
		}
		for (int i = 0; i < cell->batch; i++) {
			size_t len;
			char *line = bconn_readline(&w->conn, &len);

			if (!line) {
				worker_error(w, NO_RESPONSE, NULL);
				goto out_free;
			}
			worker_check(w, line, len, first_id + (unsigned)i,
				     (first_dom + (unsigned)i) %
					     (unsigned)cell->cfg->domains);
			w->calls++;
		}
	}
out_free:
	free(batch);
}

static void cell_wait_go(struct cell *cell)
{
	pthread_mutex_lock(&cell->lock);
	while (!cell->go)
		pthread_cond_wait(&cell->cond, &cell->lock);
	pthread_mutex_unlock(&cell->lock);
}

static void cell_release(struct cell *cell)
{
	pthread_mutex_lock(&cell->lock);
	cell->go = true;
	pthread_cond_broadcast(&cell->cond);
	pthread_mutex_unlock(&cell->lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	cell_wait_go(w->cell);
	if (atomic_load(&w->cell->stop))
		return NULL;
	if (w->cell->batch)
		worker_pipelined(w);
	else
		worker_closed(w);
	return NULL;
}

/* keeld's user plus system time so far, in seconds; < 0 if unknown. */
static double proc_cpu_s(pid_t pid)
{
	unsigned long long ut, st;
	char path[64], buf[1024], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces; fields 14, 15 follow it. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* The latency below which a fraction @q of @total calls completed. */
static void percentile(char *buf, size_t size, const uint32_t *hist,
		       uint64_t total, double q)
{
	uint64_t want = (uint64_t)(q * (double)total + 0.999999), seen = 0;

	for (size_t us = 0; us < HIST_US; us++) {
		seen += hist[us];
		if (seen >= want && want) {
			snprintf(buf, size, "%zu", us);
			return;
		}
	}
	snprintf(buf, size, total ? ">%d" : "-", HIST_US - 1);
}

static void print_header(void)
{
	printf("%-12s %-9s %9s %9s %7s %7s %7s %7s %12s %7s\n", "method",
	       "conns", "calls", "calls/s", "p50 us", "p99 us", "max us",
	       "keeld%", "kcalls/cpu-s", "bench%");
}

/*
 * Run one cell and print its row. Returns the number of errors seen,
 * or -errno when the connections could not be opened.
 */
static long cell_run(struct cell *cell, pid_t keeld_pid)
{
	uint32_t *hist = calloc(HIST_US, sizeof(*hist));
	uint64_t calls = 0, errors = 0, max_ns = 0, t0, t1;
	double k0, k1, s0, s1, secs, kcpu;
	char conns[24], p50[24], p99[24], max[24], rate[24];
	const char *first_err = NULL;
	struct timespec dur = { .tv_sec = cell->cfg->secs };
	int started = 0, rc = 0;

	cell->workers = calloc((size_t)cell->conns, sizeof(*cell->workers));
	if (!hist || !cell->workers) {
		rc = -ENOMEM;
		goto out_free;
	}
	atomic_store(&cell->stop, false);
	pthread_mutex_init(&cell->lock, NULL);
	pthread_cond_init(&cell->cond, NULL);
	cell->go = false;
	for (int i = 0; i < cell->conns; i++)
		cell->workers[i].conn.fd = -1;
	for (int i = 0; i < cell->conns; i++) {
		struct worker *w = &cell->workers[i];

		w->cell = cell;
		/* Different connections ask for different domains. */
		w->next_dom = (unsigned)i * 7;
		w->hist = calloc(HIST_US, sizeof(*w->hist));
		if (!w->hist) {
			rc = -ENOMEM;
			goto out_stop;
		}
		rc = bconn_open(&w->conn, cell->sock);
		if (rc)
			goto out_stop;
	}
	for (; started < cell->conns; started++) {
		rc = -pthread_create(&cell->workers[started].tid, NULL,
				     worker_main, &cell->workers[started]);
		if (rc)
			goto out_stop;
	}
	k0 = proc_cpu_s(keeld_pid);
	s0 = self_cpu_s();
	cell_release(cell);
	t0 = monotime_ns();
	while (nanosleep(&dur, &dur) && errno == EINTR)
		;
	atomic_store(&cell->stop, true);
	for (int i = 0; i < started; i++)
		pthread_join(cell->workers[i].tid, NULL);
	t1 = monotime_ns();
	k1 = proc_cpu_s(keeld_pid);
	s1 = self_cpu_s();

	for (int i = 0; i < cell->conns; i++) {
		struct worker *w = &cell->workers[i];

		calls += w->calls;
		errors += w->errors;
		if (w->max_ns > max_ns)
			max_ns = w->max_ns;
		for (size_t us = 0; us < HIST_US; us++)
			hist[us] += w->hist[us];
		if (w->errors && !first_err)
			first_err = w->first_err;
	}
	secs = (double)(t1 - t0) / 1e9;
	kcpu = k0 >= 0 && k1 >= 0 ? k1 - k0 : -1;
	if (cell->batch) {
		snprintf(conns, sizeof(conns), "1 pipe%d", cell->batch);
		strcpy(p50, "-");
		strcpy(p99, "-");
		strcpy(max, "-");
	} else {
		snprintf(conns, sizeof(conns), "%d", cell->conns);
		percentile(p50, sizeof(p50), hist, calls, 0.50);
		percentile(p99, sizeof(p99), hist, calls, 0.99);
		snprintf(max, sizeof(max), "%llu",
			 (unsigned long long)(max_ns / 1000));
	}
	if (kcpu > 0)
		snprintf(rate, sizeof(rate), "%.0f",
			 (double)calls / kcpu / 1e3);
	else
		strcpy(rate, "-");
	printf("%-12s %-9s %9llu %9.0f %7s %7s %7s %7.0f %12s %7.0f\n",
	       method_names[cell->method], conns, (unsigned long long)calls,
	       (double)calls / secs, p50, p99, max,
	       kcpu >= 0 ? 100 * kcpu / secs : -1, rate,
	       100 * (s1 - s0) / secs);
	if (errors)
		printf("  ERRORS: %llu; the first: %s\n",
		       (unsigned long long)errors, first_err);
	fflush(stdout);
	rc = 0;

out_stop:
	if (rc) {
		/* The threads already started see @stop and return. */
		atomic_store(&cell->stop, true);
		cell_release(cell);
		fprintf(stderr, "rpc: cannot start %d connection(s): %s\n",
			cell->conns, strerror(-rc));
		for (int i = 0; i < started; i++)
			pthread_join(cell->workers[i].tid, NULL);
	}
	pthread_cond_destroy(&cell->cond);
	pthread_mutex_destroy(&cell->lock);
	for (int i = 0; i < cell->conns; i++) {
		bconn_close(&cell->workers[i].conn);
		free(cell->workers[i].hist);
	}
out_free:
	free(cell->workers);
	cell->workers = NULL;
	free(hist);
	return rc ? rc : (long)errors;
}

/*
 * Define @cfg->domains domains; returns 0 or -EIO after saying why.
 * Also measures the two responses' sizes for the header and the
 * pipelined batch.
 */
static int define_domains(const struct keeld_env *env,
			  const struct bench_cfg *cfg, size_t *list_len,
			  size_t *info_len)
{
	struct harness_client c;
	char req[512], name[32];
	const char *resp;
	int rc = -EIO;

	if (harness_client_open(&c, env->sock, 2000)) {
		fprintf(stderr, "rpc: cannot connect to %s\n", env->sock);
		goto out_close;
	}
	for (int i = 0; i < cfg->domains; i++) {
		domain_name(name, sizeof(name), (unsigned)i);
		snprintf(req, sizeof(req),
			 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"domain.define\",\"params\":{\"config\":{\"name\":\"%s\",\"kernel\":\"/nonexistent/vmlinuz\",\"memory\":64}}}",
			 i + 1, name);
		resp = harness_client_call(&c, req, IO_TIMEOUT_S * 1000);
		if (!resp || !resp_ok(resp, strlen(resp),
				      (unsigned long long)i + 1)) {
			fprintf(stderr, "rpc: cannot define %s: %s\n", name,
				resp ? resp : "no response");
			goto out_close;
		}
	}
	request_format(req, sizeof(req), BENCH_LIST, 1, 0);
	req[strlen(req) - 1] = '\0';
	resp = harness_client_call(&c, req, IO_TIMEOUT_S * 1000);
	*list_len = resp ? strlen(resp) + 1 : 0;
	request_format(req, sizeof(req), BENCH_INFO, 1, 0);
	req[strlen(req) - 1] = '\0';
	resp = harness_client_call(&c, req, IO_TIMEOUT_S * 1000);
	*info_len = resp ? strlen(resp) + 1 : 0;
	rc = *list_len && *info_len ? 0 : -EIO;
	if (rc)
		fprintf(stderr,
			"rpc: no answer to domain.list or domain.info\n");
out_close:
	harness_client_close(&c);
	return rc;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: rpc [-d SECONDS_PER_CELL] [-n DOMAINS] [-c CONNS,...] "
		"[--keeld PATH] [--schema-dir DIR]\n");
	exit(2);
}

static bool parse_conns(struct bench_cfg *cfg, const char *arg)
{
	char *end;

	cfg->nr_conns = 0;
	for (const char *p = arg; *p; p = *end ? end + 1 : end) {
		long v = strtol(p, &end, 10);

		if (end == p || (*end && *end != ',') || v < 1 ||
		    v > MAX_CONNS || cfg->nr_conns == MAX_CONN_COUNTS)
			return false;
		cfg->conns[cfg->nr_conns++] = (int)v;
	}
	return cfg->nr_conns > 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keeld", required_argument, NULL, 'k' },
		{ "schema-dir", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_cfg cfg = {
		.secs = 3,
		.domains = 50,
		.conns = { 1, 16 },
		.nr_conns = 2,
	};
	struct keeld_env env;
	size_t list_len, info_len;
	long errors = 0;
	int c, status = 1;

	while ((c = getopt_long(argc, argv, "d:n:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cfg.secs = atoi(optarg);
			break;
		case 'n':
			cfg.domains = atoi(optarg);
			break;
		case 'c':
			if (!parse_conns(&cfg, optarg))
				usage();
			break;
		case 'k':
			cfg.keeld = optarg;
			break;
		case 'S':
			cfg.schema_dir = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || cfg.secs < 1 || cfg.domains < 1 ||
	    cfg.domains > MAX_DOMAINS)
		usage();
	if (!cfg.keeld)
		cfg.keeld = harness_path("daemon/keeld");
	if (!cfg.schema_dir)
		cfg.schema_dir = default_schema_dir();

	if (keeld_env_start(&env, "rpc", cfg.keeld, cfg.schema_dir, NULL,
			      "# tests/bench/rpc\nlog_level = info\n") ||
	    define_domains(&env, &cfg, &list_len, &info_len))
		goto out_stop;

	printf("rpc benchmark: keeld %s (pid %d), %d domains, %d s per row\n",
	       cfg.keeld, (int)env.keeld_proc.pid, cfg.domains, cfg.secs);
	printf("responses: domain.list %zu bytes, domain.info %zu bytes\n",
	       list_len, info_len);
	printf("%ld CPUs online, shared by keeld and the client threads\n",
	       sysconf(_SC_NPROCESSORS_ONLN));
	printf("keeld%%, bench%%: CPU time / wall time\n"
	       "kcalls/cpu-s: thousands of calls per second of keeld CPU "
	       "time\n\n");
	print_header();

	for (int m = BENCH_LIST; m <= BENCH_INFO; m++) {
		size_t resp_len = m == BENCH_LIST ? list_len : info_len;
		struct cell cell = {
			.cfg = &cfg,
			.method = (enum bench_method)m,
			.sock = env.sock,
		};
		long rc;

		for (int i = 0; i < cfg.nr_conns; i++) {
			cell.conns = cfg.conns[i];
			rc = cell_run(&cell, env.keeld_proc.pid);
			if (rc < 0)
				goto out_stop;
			errors += rc;
		}
		cell.conns = 1;
		cell.batch = PIPE_MAX_BYTES / resp_len;
		if (cell.batch > PIPE_DEPTH)
			cell.batch = PIPE_DEPTH;
		if (cell.batch < 1)
			cell.batch = 1;
		rc = cell_run(&cell, env.keeld_proc.pid);
		if (rc < 0)
			goto out_stop;
		errors += rc;
	}
	if (errors)
		printf("\n%ld call(s) failed; the numbers above are not "
		       "valid.\n", errors);
	status = errors ? 1 : 0;
out_stop:
	keeld_env_stop(&env);
	return status;
}
