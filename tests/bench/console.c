// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/bench/console: console throughput from guest to viewer, and the
 * round trip of an echoed keystroke, through keeld (docs/console.md).
 * Starts its own keeld in a temporary run and state directory.
 *
 * Throughput: one domain runs tests/guests/chatty.bin (numbered
 * 15-byte lines, as fast as the UART takes them). For each viewer count
 * (1, then 16 by default) that many connections to keeld.sock call
 * domain.open_console {mode: view, history_bytes: 0}; one thread per
 * viewer then reads frames for D seconds. A row gives the DATA bytes
 * each viewer got and its MB/s, the bytes it was told it MISSED, and
 * the guest's own output rate, from the chatty line numbers seen
 * (lines * 15 bytes / s), so one sees whether the viewers keep up.
 *
 * Latency: a second domain runs tests/guests/echo.bin; the benchmark
 * attaches as the writer, sends one 'x' at a time in a DATA frame and
 * times until a DATA frame carrying the echoed 'x' comes back; the line
 * is cleared with Enter every 100 keystrokes (echo.c keeps 127).
 *
 *   console [-d SECONDS] [-c VIEWERS,...] [-n SAMPLES] [--keeld PATH]
 *           [--hv PATH] [--schema-dir DIR]
 *
 * A failed attach, a stream that ends early or an echo that never comes
 * is reported and makes the exit status 1.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "console_proto.h"
#include "keeld_fixture.h"
#include "harness.h"
#include "monotime.h"

#define MAX_VIEWERS 256
#define MAX_COUNTS 16
#define MAX_SAMPLES 100000
#define RPC_TIMEOUT_MS 10000
#define ECHO_TIMEOUT_MS 10000
/* Keystrokes before the line is cleared; echo.c holds 127. */
#define ECHO_LINE 100
#define RBUF_SIZE (256 * 1024)
#define CHATTY_DIGITS_MIN 6

struct bench_cfg {
	int secs;
	int counts[MAX_COUNTS];
	int nr_counts;
	int samples;
	const char *hv;
	const char *keeld;
	const char *schema_dir;
	const char *chatty;
	const char *echo;
};

/* A console stream read frame by frame, with its own buffer. */
struct cstream {
	struct harness_client hc;
	uint8_t *buf;
	size_t start, len;	/* unparsed bytes: buf[start .. start+len) */
	bool open;
};

/* The start signal all viewer threads of a row wait for. */
struct start_gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool open;
	uint64_t deadline_ns;	/* set before it opens; 0: give up */
};

/* One viewer thread's inputs and results. */
struct viewer {
	pthread_t tid;
	struct cstream cs;
	struct start_gate *gate;
	uint64_t deadline_ns;
	uint64_t t_start;
	uint64_t bytes, missed, frames;
	/* Guest progress: the first and last whole chatty line seen. */
	long first_line, last_line;
	uint64_t t_first, t_last;
	char tail[32];		/* bytes after the last newline */
	size_t tail_len;
	const char *error;	/* a static sentence, or NULL */
};

/* Bytes chatty printed before line @n: 7 + digits + "\r\n" per line. */
static uint64_t chatty_offset(long n)
{
	uint64_t off = 0, lo = 0, hi = 1000000;
	int digits = CHATTY_DIGITS_MIN;

	while ((uint64_t)n > lo) {
		uint64_t upto = (uint64_t)n < hi ? (uint64_t)n : hi;

		off += (upto - lo) * (uint64_t)(7 + digits + 2);
		lo = hi;
		hi *= 10;
		digits++;
	}
	return off;
}

static void cstream_init(struct cstream *cs)
{
	memset(cs, 0, sizeof(*cs));
	cs->hc.fd = -1;
}

static void cstream_close(struct cstream *cs)
{
	harness_client_close(&cs->hc);
	free(cs->buf);
	cstream_init(cs);
}

/*
 * Connect to @sock and call domain.open_console for @name with the
 * params @extra. Returns 0, or -errno after printing why.
 */
static int cstream_open(struct cstream *cs, const char *sock,
			const char *name, const char *extra)
{
	struct json_object *resp = NULL, *role = NULL;
	char line[512];
	const char *answer;
	int rc;

	cstream_init(cs);
	cs->buf = malloc(RBUF_SIZE);
	if (!cs->buf)
		return -ENOMEM;
	rc = harness_client_open(&cs->hc, sock, 2000);
	if (rc) {
		fprintf(stderr, "console: cannot connect to %s: %s\n", sock,
			strerror(-rc));
		return rc;
	}
	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.open_console\","
		 "\"params\":{\"name\":\"%s\",%s}}",
		 name, extra);
	answer = harness_client_call(&cs->hc, line, RPC_TIMEOUT_MS);
	if (answer)
		resp = json_tokener_parse(answer);
	if (!resp || json_pointer_get(resp, "/result/role", &role)) {
		fprintf(stderr, "console: domain.open_console on %s failed: %s\n",
			name, answer ? answer : "no answer");
		json_object_put(resp);
		return -EPROTO;
	}
	json_object_put(resp);
	/* Frames that came with the answer line stay in the client. */
	memcpy(cs->buf, cs->hc.buf, cs->hc.len);
	cs->len = cs->hc.len;
	cs->hc.len = 0;
	cs->open = true;
	return 0;
}

/*
 * The next whole frame already read: its type, payload and length in
 * *@type, *@payload, *@len. Returns 1, 0 if none is whole yet, or
 * -EPROTO for a malformed header.
 */
static int cstream_next(struct cstream *cs, enum console_frame_type *type,
			const uint8_t **payload, size_t *len)
{
	long n;

	if (cs->len < CONSOLE_FRAME_HEADER)
		return 0;
	n = console_frame_parse(cs->buf + cs->start, type);
	if (n < 0)
		return -EPROTO;
	if (cs->len < CONSOLE_FRAME_HEADER + (size_t)n)
		return 0;
	*payload = cs->buf + cs->start + CONSOLE_FRAME_HEADER;
	*len = (size_t)n;
	cs->start += CONSOLE_FRAME_HEADER + (size_t)n;
	cs->len -= CONSOLE_FRAME_HEADER + (size_t)n;
	return 1;
}

/*
 * Wait up to @timeout_ms for bytes and read what there is. Returns 0
 * (also on timeout), -EPIPE at end of stream, or -errno.
 */
static int cstream_fill(struct cstream *cs, int timeout_ms)
{
	struct pollfd pfd = { .fd = cs->hc.fd, .events = POLLIN };
	ssize_t n;

	if (cs->start) {
		memmove(cs->buf, cs->buf + cs->start, cs->len);
		cs->start = 0;
	}
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 0;
	do
		n = recv(cs->hc.fd, cs->buf + cs->len, RBUF_SIZE - cs->len,
			 MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	cs->len += (size_t)n;
	return 0;
}

static int cstream_send(struct cstream *cs, const char *s, size_t len)
{
	uint8_t hdr[CONSOLE_FRAME_HEADER];
	int rc;

	console_frame_header(hdr, CONSOLE_FRAME_DATA, (uint32_t)len);
	rc = harness_client_send(&cs->hc, (const char *)hdr, sizeof(hdr));
	return rc ? rc : harness_client_send(&cs->hc, s, len);
}

/* Note the last whole chatty line in @data (after the kept tail). */
static void viewer_lines(struct viewer *v, const uint8_t *data, size_t len,
			 uint64_t t)
{
	char line[64];
	const uint8_t *end = data + len, *nl, *from;
	size_t n = 0;
	long num;
	char *hit;

	nl = memrchr(data, '\n', len);
	if (!nl) {
		size_t take = len;

		if (v->tail_len + take >= sizeof(v->tail)) {
			/* No chatty line is this long: not one of its. */
			v->tail_len = 0;
			take = 0;
		}
		memcpy(v->tail + v->tail_len, data, take);
		v->tail_len += take;
		return;
	}
	/* The line that ends at @nl starts after the newline before it. */
	from = nl > data ? memrchr(data, '\n', (size_t)(nl - data)) : NULL;
	if (from) {
		from++;
	} else {
		if (v->tail_len < sizeof(line)) {
			memcpy(line, v->tail, v->tail_len);
			n = v->tail_len;
		}
		from = data;
	}
	if (n + (size_t)(nl - from) < sizeof(line)) {
		memcpy(line + n, from, (size_t)(nl - from));
		n += (size_t)(nl - from);
		line[n] = '\0';
		hit = strstr(line, "chatty ");
		if (hit) {
			num = strtol(hit + 7, NULL, 10);
			if (v->first_line < 0) {
				v->first_line = num;
				v->t_first = t;
			}
			v->last_line = num;
			v->t_last = t;
		}
	}
	v->tail_len = (size_t)(end - nl - 1);
	if (v->tail_len >= sizeof(v->tail))
		v->tail_len = 0;
	memcpy(v->tail, nl + 1, v->tail_len);
}

static void *viewer_main(void *arg)
{
	struct viewer *v = arg;
	enum console_frame_type type;
	const uint8_t *p;
	size_t len;
	int rc = 0;

	pthread_mutex_lock(&v->gate->lock);
	while (!v->gate->open)
		pthread_cond_wait(&v->gate->cond, &v->gate->lock);
	v->deadline_ns = v->gate->deadline_ns;
	pthread_mutex_unlock(&v->gate->lock);
	v->t_start = monotime_ns();
	while (!rc) {
		uint64_t t = monotime_ns();

		while ((rc = cstream_next(&v->cs, &type, &p, &len)) == 1) {
			v->frames++;
			if (type == CONSOLE_FRAME_DATA) {
				v->bytes += len;
				viewer_lines(v, p, len, t);
			} else if (type == CONSOLE_FRAME_MISSED && len == 8) {
				uint64_t m = 0;

				for (int i = 0; i < 8; i++)
					m = m << 8 | p[i];
				v->missed += m;
				/* The next bytes do not follow the tail. */
				v->tail_len = 0;
			} else if (type == CONSOLE_FRAME_END) {
				v->error = "the console stream ended";
				return NULL;
			}
		}
		if (rc < 0) {
			v->error = "a malformed frame came";
			return NULL;
		}
		if (t >= v->deadline_ns)
			break;
		rc = cstream_fill(&v->cs, (int)((v->deadline_ns - t) / 1000000) +
						  1);
		if (rc == -EPIPE)
			v->error = "keeld closed the console stream";
		else if (rc)
			v->error = "reading the console stream failed";
	}
	return NULL;
}

/* Read keeld's log lines waiting, so it never blocks writing them. */
static void keeld_drain(struct keeld_env *env, int timeout_ms)
{
	while (proc_expect(&env->keeld_proc, "\n", env->keeld_proc.len,
			   timeout_ms) > 0)
		timeout_ms = 1;
}

/* One JSON-RPC call on a new connection; true if it has a result. */
static bool rpc(struct keeld_env *env, const char *line)
{
	struct harness_client c;
	const char *answer;
	bool ok = false;

	if (!harness_client_open(&c, env->sock, 2000)) {
		answer = harness_client_call(&c, line, RPC_TIMEOUT_MS);
		ok = answer && strstr(answer, "\"result\"");
		if (!ok)
			fprintf(stderr, "console: %s\n  answered %s\n", line,
				answer ? answer : "nothing");
	}
	harness_client_close(&c);
	keeld_drain(env, 1);
	return ok;
}

static bool domain_create(struct keeld_env *env, const char *name,
			  const char *kernel)
{
	char line[PATH_MAX + 256];

	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.create\","
		 "\"params\":{\"config\":{\"name\":\"%s\",\"kernel\":\"%s\","
		 "\"memory\":64}}}",
		 name, kernel);
	return rpc(env, line);
}

static void domain_destroy(struct keeld_env *env, const char *name)
{
	char line[256];

	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.destroy\","
		 "\"params\":{\"name\":\"%s\"}}",
		 name);
	rpc(env, line);
}

/* One throughput row: @n viewers for @cfg->secs. Returns 0 or -1. */
static int run_viewers(struct keeld_env *env, const struct bench_cfg *cfg,
		       int n)
{
	struct viewer *v = calloc((size_t)n, sizeof(*v));
	struct start_gate gate = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.cond = PTHREAD_COND_INITIALIZER,
	};
	int started = 0, errors = 0, best = -1, rc = -1;
	double sum = 0, min = -1, max = 0, guest_mbs = -1, secs;
	uint64_t missed = 0, bytes = 0, deadline;

	if (!v)
		return -1;
	for (int i = 0; i < n; i++)
		cstream_init(&v[i].cs);
	for (int i = 0; i < n; i++)
		if (cstream_open(&v[i].cs, env->sock, "chatty",
				 "\"mode\":\"view\",\"history_bytes\":0"))
			goto out_free;
	for (int i = 0; i < n; i++) {
		v[i].gate = &gate;
		v[i].first_line = v[i].last_line = -1;
		if (pthread_create(&v[i].tid, NULL, viewer_main, &v[i]))
			break;
		started++;
	}
	if (started < n) {
		/* A deadline already past: the ones started return. */
		fprintf(stderr, "console: cannot start %d threads\n", n);
		pthread_mutex_lock(&gate.lock);
		gate.open = true;
		pthread_cond_broadcast(&gate.cond);
		pthread_mutex_unlock(&gate.lock);
		for (int i = 0; i < started; i++)
			pthread_join(v[i].tid, NULL);
		goto out_free;
	}
	deadline = monotime_ns() + (uint64_t)cfg->secs * 1000000000u;
	pthread_mutex_lock(&gate.lock);
	gate.deadline_ns = deadline;
	gate.open = true;
	pthread_cond_broadcast(&gate.cond);
	pthread_mutex_unlock(&gate.lock);
	while (monotime_ns() < deadline)
		keeld_drain(env, 100);
	for (int i = 0; i < n; i++)
		pthread_join(v[i].tid, NULL);

	for (int i = 0; i < n; i++) {
		double mbs;

		secs = (double)(deadline - v[i].t_start) / 1e9;
		mbs = (double)v[i].bytes / secs / 1e6;
		sum += mbs;
		if (min < 0 || mbs < min)
			min = mbs;
		if (mbs > max)
			max = mbs;
		missed += v[i].missed;
		bytes += v[i].bytes;
		if (v[i].error) {
			if (!errors)
				fprintf(stderr, "console: viewer %d: %s\n", i,
					v[i].error);
			errors++;
		}
		if (v[i].last_line > v[i].first_line &&
		    (best < 0 || v[i].last_line > v[best].last_line))
			best = i;
	}
	if (best >= 0)
		guest_mbs = (double)(chatty_offset(v[best].last_line) -
				     chatty_offset(v[best].first_line)) /
			    ((double)(v[best].t_last - v[best].t_first) / 1e9) /
			    1e6;
	{
		char guest[16], kept[16];

		strcpy(guest, "-");
		strcpy(kept, "-");
		if (guest_mbs > 0) {
			snprintf(guest, sizeof(guest), "%.4f", guest_mbs);
			snprintf(kept, sizeof(kept), "%.0f%%",
				 100 * (sum / n) / guest_mbs);
		}
		printf("%7d %14.0f %8.4f %8.4f %8.4f %12.0f %10s %7s\n", n,
		       (double)bytes / n, sum / n, min, max,
		       (double)missed / n, guest, kept);
	}
	if (errors)
		printf("  ERRORS: %d viewer(s) failed (see stderr)\n", errors);
	fflush(stdout);
	rc = errors ? -1 : 0;
out_free:
	for (int i = 0; i < n; i++)
		cstream_close(&v[i].cs);
	free(v);
	return rc;
}

/*
 * Read frames until the DATA bytes gathered in @acc (*@acc_len of
 * @acc_size) end with @suffix, up to @timeout_ms. Returns 0,
 * -ETIMEDOUT, -EPIPE (the stream ended) or -errno.
 */
static int wait_output(struct cstream *cs, const char *suffix,
		       int timeout_ms, char *acc, size_t *acc_len,
		       size_t acc_size)
{
	uint64_t deadline = monotime_ns() + (uint64_t)timeout_ms * 1000000;
	size_t slen = strlen(suffix);

	for (;;) {
		enum console_frame_type type;
		const uint8_t *p;
		size_t len;
		uint64_t t;
		int rc;

		while ((rc = cstream_next(cs, &type, &p, &len)) == 1) {
			if (type == CONSOLE_FRAME_END)
				return -EPIPE;
			if (type != CONSOLE_FRAME_DATA)
				continue;
			if (*acc_len + len >= acc_size) {
				/* Keep the tail that a suffix can span. */
				size_t keep = *acc_len < 64 ? *acc_len : 64;

				memmove(acc, acc + *acc_len - keep, keep);
				*acc_len = keep;
				if (len >= acc_size - keep)
					len = acc_size - keep - 1;
			}
			memcpy(acc + *acc_len, p, len);
			*acc_len += len;
			acc[*acc_len] = '\0';
		}
		if (rc < 0)
			return rc;
		if (*acc_len >= slen &&
		    !memcmp(acc + *acc_len - slen, suffix, slen))
			return 0;
		t = monotime_ns();
		if (t >= deadline)
			return -ETIMEDOUT;
		rc = cstream_fill(cs, (int)((deadline - t) / 1000000) + 1);
		if (rc)
			return rc;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile @pct of the sorted @v[@n]. */
static double percentile(const double *v, int n, int pct)
{
	int rank = (pct * n + 99) / 100;

	return v[rank < 1 ? 0 : rank - 1];
}

/* Keystroke round trips on the echo domain. Returns 0 or -1. */
static int run_echo(struct keeld_env *env, const struct bench_cfg *cfg)
{
	static char acc[65536];
	struct cstream cs;
	double *us = calloc((size_t)cfg->samples, sizeof(*us));
	size_t acc_len = 0;
	int rc = -1, got = 0, i;

	if (!us)
		return -1;
	if (cstream_open(&cs, env->sock, "echo",
			 "\"mode\":\"write\",\"history_bytes\":0"))
		goto out_free;
	/* Until the guest is up, a keystroke may be lost: retry. */
	for (i = 0; i < ECHO_TIMEOUT_MS / 500; i++) {
		if (cstream_send(&cs, "x", 1))
			break;
		if (!wait_output(&cs, "x", 500, acc, &acc_len, sizeof(acc)))
			break;
	}
	if (cstream_send(&cs, "\r", 1) ||
	    wait_output(&cs, "> ", ECHO_TIMEOUT_MS, acc, &acc_len,
			sizeof(acc))) {
		fprintf(stderr, "console: the echo guest does not answer; it printed: %.500s\n",
			acc);
		goto out_close;
	}
	for (i = 0; i < cfg->samples; i++) {
		uint64_t t0;
		int err;

		acc_len = 0;
		t0 = monotime_ns();
		err = cstream_send(&cs, "x", 1);
		if (!err)
			err = wait_output(&cs, "x", ECHO_TIMEOUT_MS, acc,
					  &acc_len, sizeof(acc));
		if (err) {
			fprintf(stderr, "console: keystroke %d: no echo: %s\n",
				i, strerror(-err));
			break;
		}
		us[got++] = (double)(monotime_ns() - t0) / 1e3;
		if ((i + 1) % ECHO_LINE == 0 &&
		    (cstream_send(&cs, "\r", 1) ||
		     wait_output(&cs, "> ", ECHO_TIMEOUT_MS, acc, &acc_len,
				 sizeof(acc)))) {
			fprintf(stderr, "console: Enter got no prompt back\n");
			break;
		}
		if (i % 16 == 0)
			keeld_drain(env, 0);
	}
	if (got) {
		qsort(us, (size_t)got, sizeof(us[0]), cmp_double);
		printf("%7d/%-7d %10.0f %10.0f %10.0f %10.0f\n", got,
		       cfg->samples, percentile(us, got, 50),
		       percentile(us, got, 99), us[got - 1], us[0]);
	}
	rc = got == cfg->samples ? 0 : -1;
out_close:
	cstream_close(&cs);
out_free:
	free(us);
	return rc;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: console [-d SECONDS] [-c VIEWERS,...] [-n SAMPLES] "
		"[--keeld PATH]\n"
		"               [--hv PATH] [--schema-dir DIR]\n");
	exit(2);
}

static int parse_counts(struct bench_cfg *cfg, const char *arg)
{
	char *end;

	cfg->nr_counts = 0;
	for (const char *p = arg; *p; p = *end ? end + 1 : end) {
		long v = strtol(p, &end, 10);

		if (end == p || (*end && *end != ',') || v < 1 ||
		    v > MAX_VIEWERS || cfg->nr_counts == MAX_COUNTS)
			return -EINVAL;
		cfg->counts[cfg->nr_counts++] = (int)v;
	}
	return cfg->nr_counts ? 0 : -EINVAL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "keeld", required_argument, NULL, 'K' },
		{ "hv", required_argument, NULL, 'H' },
		{ "schema-dir", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_cfg cfg = {
		.secs = 5,
		.counts = { 1, 16 },
		.nr_counts = 2,
		.samples = 200,
	};
	struct keeld_env env;
	int c, failed = 0, status = 1;

	while ((c = getopt_long(argc, argv, "d:c:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cfg.secs = atoi(optarg);
			break;
		case 'c':
			if (parse_counts(&cfg, optarg))
				usage();
			break;
		case 'n':
			cfg.samples = atoi(optarg);
			break;
		case 'K':
			cfg.keeld = optarg;
			break;
		case 'H':
			cfg.hv = optarg;
			break;
		case 'S':
			cfg.schema_dir = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || cfg.secs < 1 || cfg.samples < 1 ||
	    cfg.samples > MAX_SAMPLES)
		usage();
	signal(SIGPIPE, SIG_IGN);
	cfg.hv = absolute(cfg.hv ? cfg.hv : harness_path("hypervisor/keel-hv"));
	cfg.keeld = absolute(cfg.keeld ? cfg.keeld :
				     harness_path("daemon/keeld"));
	cfg.schema_dir = cfg.schema_dir ? absolute(cfg.schema_dir) :
					  default_schema_dir();
	cfg.chatty = absolute(harness_path("tests/guests/chatty.bin"));
	cfg.echo = absolute(harness_path("tests/guests/echo.bin"));
	if (!harness_have_file(cfg.chatty) || !harness_have_file(cfg.echo)) {
		fprintf(stderr, "console: cannot read the guests %s and %s\n",
			cfg.chatty, cfg.echo);
		return 1;
	}
	/* info: the ready line is logged at that level. */
	if (keeld_env_start(&env, "console", cfg.keeld, cfg.schema_dir,
			      cfg.hv,
			      "# tests/bench/console\nlog_level = info\n"))
		goto out_stop;

	printf("console benchmark: guest -> viewers through keeld.sock, "
	       "%d s per row; keeld pid %d\n"
	       "Absolute numbers are only comparable on the same machine: "
	       "under kvm-in-qemu\n(KVM nested in TCG-emulated QEMU) "
	       "everything is many times slower than on\nreal hardware.\n\n",
	       cfg.secs, (int)env.keeld_proc.pid);
	if (!domain_create(&env, "chatty", cfg.chatty))
		goto out_stop;
	/* Let it boot, so the first row does not time the boot. */
	keeld_drain(&env, 500);
	printf("%7s %14s %8s %8s %8s %12s %10s %7s\n", "viewers",
	       "bytes/viewer", "MB/s", "min", "max", "missed/viewr",
	       "guest MB/s", "kept up");
	fflush(stdout);
	for (int i = 0; i < cfg.nr_counts; i++)
		if (run_viewers(&env, &cfg, cfg.counts[i]))
			failed++;
	domain_destroy(&env, "chatty");
	printf("\nbytes/viewer, MB/s (mean, min, max over the viewers): DATA "
	       "payload read in\n  the window. missed/viewr: bytes MISSED "
	       "frames reported (a slow reader).\nguest MB/s: from the chatty "
	       "line numbers seen (lines * 15 bytes / s).\nkept up: mean "
	       "viewer MB/s over guest MB/s.\n\n");

	if (!domain_create(&env, "echo", cfg.echo))
		goto out_stop;
	printf("keystroke round trip ('x' sent as a DATA frame until its echo "
	       "comes back), µs\n%15s %10s %10s %10s %10s\n", "samples",
	       "p50", "p99", "max", "min");
	fflush(stdout);
	if (run_echo(&env, &cfg))
		failed++;
	domain_destroy(&env, "echo");
	status = failed ? 1 : 0;
out_stop:
	keeld_env_stop(&env);
	return status;
}
