// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Logging shared by every keel program: syslog for daemons, stderr for
 * foreground use and tests. Two limits keep a peer from turning the log
 * into a weapon (a client that makes keeld log a line per attempt, a
 * million attempts a second): a budget per call site for the messages
 * a peer can cause (log_msg_limited()), and a process-wide backstop on
 * every message.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "monotime.h"

static struct {
	const char *ident;
	bool use_syslog;
	enum log_level level;
	/* The backstop: a token bucket of messages. */
	unsigned rate, burst;
	double tokens;
	long long refilled_ms;	/* 0: never yet, the bucket is full */
	unsigned long dropped;
} log_cfg = { "keel", false, LOG_LEVEL_INFO, LOG_GLOBAL_RATE,
	      LOG_GLOBAL_BURST, 0, 0, 0 };

/* Guards log_cfg's bucket, every log_ratelimit and stderr's lines. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* The ring (log.h): a circle of @cap entries, @len of them used. */
static struct {
	struct log_ring_entry *e;
	unsigned cap, len, head;	/* head: the oldest */
	unsigned long long next_seq;
} log_ring;

void log_init(const char *ident, bool use_syslog, enum log_level level)
{
	if (log_cfg.use_syslog)
		closelog();
	log_cfg.ident = ident;
	log_cfg.use_syslog = use_syslog;
	log_cfg.level = level;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_global_limit(unsigned per_second, unsigned burst)
{
	pthread_mutex_lock(&log_lock);
	log_cfg.rate = per_second;
	log_cfg.burst = burst;
	log_cfg.refilled_ms = 0;
	pthread_mutex_unlock(&log_lock);
}

int log_level_parse(const char *name, enum log_level *level)
{
	static const struct {
		const char *name;
		enum log_level level;
	} names[] = {
		{ "err", LOG_LEVEL_ERR },     { "error", LOG_LEVEL_ERR },
		{ "warn", LOG_LEVEL_WARN },   { "warning", LOG_LEVEL_WARN },
		{ "info", LOG_LEVEL_INFO },   { "debug", LOG_LEVEL_DEBUG },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i].name) == 0) {
			*level = names[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

const char *log_level_name(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERR:
		return "error";
	case LOG_LEVEL_WARN:
		return "warning";
	case LOG_LEVEL_INFO:
		return "info";
	case LOG_LEVEL_DEBUG:
		return "debug";
	}
	return "?";
}

/* Put a copy of the message in the ring, if there is one. */
static void log_ring_add(const struct timespec *ts, enum log_level level,
			 const char *fmt, va_list ap)
{
	struct log_ring_entry *e;
	char *msg = malloc(LOG_RING_MESSAGE_MAX);

	if (!msg)
		return;
	vsnprintf(msg, LOG_RING_MESSAGE_MAX, fmt, ap);
	if (log_ring.len == log_ring.cap) {
		/* Full: the oldest makes room. */
		e = &log_ring.e[log_ring.head];
		free(e->message);
		log_ring.head = (log_ring.head + 1) % log_ring.cap;
		log_ring.len--;
	}
	e = &log_ring.e[(log_ring.head + log_ring.len) % log_ring.cap];
	e->seq = ++log_ring.next_seq;
	e->time = (double)ts->tv_sec + (double)ts->tv_nsec / 1e9;
	e->level = level;
	e->message = msg;
	log_ring.len++;
}

/* Write one message. The caller holds log_lock. */
static void log_write(enum log_level level, const char *fmt, va_list ap)
{
	struct timespec ts;

	if (log_ring.cap) {
		va_list copy;

		clock_gettime(CLOCK_REALTIME, &ts);
		va_copy(copy, ap);
		log_ring_add(&ts, level, fmt, copy);
		va_end(copy);
	}
	if (log_cfg.use_syslog) {
		vsyslog((int)level, fmt, ap);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(stderr, "%lld.%03ld %s: %s: ", (long long)ts.tv_sec,
		ts.tv_nsec / 1000000, log_cfg.ident, log_level_name(level));
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void log_writef(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void log_writef(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_write(level, fmt, ap);
	va_end(ap);
}

/*
 * May one more message be written? Takes a token from the backstop's
 * bucket, or counts the message as dropped; the first message to pass
 * after some were dropped is preceded by their count. The caller holds
 * log_lock.
 */
static bool log_backstop(void)
{
	long long now;
	double tokens;

	if (!log_cfg.rate || !log_cfg.burst)
		return true;
	now = monotime_ms();
	if (!log_cfg.refilled_ms) {
		tokens = log_cfg.burst;
	} else {
		tokens = log_cfg.tokens +
			 (double)(now - log_cfg.refilled_ms) * log_cfg.rate /
				 1000;
		if (tokens > log_cfg.burst)
			tokens = log_cfg.burst;
	}
	log_cfg.refilled_ms = now;
	if (tokens < 1) {
		log_cfg.tokens = tokens;
		log_cfg.dropped++;
		return false;
	}
	log_cfg.tokens = tokens - 1;
	if (log_cfg.dropped) {
		log_writef(LOG_LEVEL_WARN,
			   "%lu messages were not logged: more than %u a second came.",
			   log_cfg.dropped, log_cfg.rate);
		log_cfg.dropped = 0;
	}
	return true;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	int saved_errno = errno;
	va_list ap;

	if (level > log_cfg.level)
		return;
	va_start(ap, fmt);
	pthread_mutex_lock(&log_lock);
	if (log_backstop())
		log_write(level, fmt, ap);
	pthread_mutex_unlock(&log_lock);
	va_end(ap);
	errno = saved_errno;
}

void log_msg_limited(struct log_ratelimit *rl, enum log_level level,
		     const char *fmt, ...)
{
	unsigned interval, burst;
	unsigned long suppressed = 0;
	int saved_errno = errno;
	long long now, since = 0;
	char msg[2048];
	va_list ap;

	if (level > log_cfg.level)
		return;
	interval = rl->interval_ms ? rl->interval_ms :
				     LOG_RATELIMIT_INTERVAL_MS;
	burst = rl->burst ? rl->burst : LOG_RATELIMIT_BURST;
	pthread_mutex_lock(&log_lock);
	now = monotime_ms();
	if (!rl->start_ms || now - rl->start_ms >= interval) {
		suppressed = rl->suppressed;
		since = rl->start_ms;
		rl->start_ms = now;
		rl->printed = 0;
		rl->suppressed = 0;
	}
	if (rl->printed >= burst) {
		rl->suppressed++;
		goto out_unlock;
	}
	rl->printed++;
	if (!log_backstop())
		goto out_unlock;
	va_start(ap, fmt);
	if (!suppressed) {
		log_write(level, fmt, ap);
	} else {
		/* The count goes with a message like those it counts. */
		vsnprintf(msg, sizeof(msg), fmt, ap);
		log_writef(level,
			   "%s (%lu similar messages were not logged in the last %lld s.)",
			   msg, suppressed, (now - since + 999) / 1000);
	}
	va_end(ap);
out_unlock:
	pthread_mutex_unlock(&log_lock);
	errno = saved_errno;
}

int log_ring_enable(unsigned lines)
{
	struct log_ring_entry *e;

	if (!lines || lines > LOG_RING_LINES_MAX)
		return -EINVAL;
	pthread_mutex_lock(&log_lock);
	if (log_ring.cap) {
		pthread_mutex_unlock(&log_lock);
		return -EALREADY;
	}
	e = calloc(lines, sizeof(*e));
	if (e) {
		log_ring.e = e;
		log_ring.cap = lines;
	}
	pthread_mutex_unlock(&log_lock);
	return e ? 0 : -ENOMEM;
}

void log_ring_free(struct log_ring_entry *entries, size_t n)
{
	for (size_t i = 0; entries && i < n; i++)
		free(entries[i].message);
	free(entries);
}

int log_ring_read(struct log_ring_entry **out, size_t *n)
{
	struct log_ring_entry *copy;
	size_t k = 0;
	int rc = 0;

	pthread_mutex_lock(&log_lock);
	copy = calloc(log_ring.len ? log_ring.len : 1, sizeof(*copy));
	for (unsigned i = 0; copy && i < log_ring.len; i++) {
		const struct log_ring_entry *e =
			&log_ring.e[(log_ring.head + i) % log_ring.cap];

		copy[k] = *e;
		copy[k].message = strdup(e->message);
		if (!copy[k].message)
			break;
		k++;
	}
	if (!copy || k < log_ring.len) {
		log_ring_free(copy, k);
		copy = NULL;
		k = 0;
		rc = -ENOMEM;
	}
	pthread_mutex_unlock(&log_lock);
	*out = copy;
	*n = k;
	return rc;
}

size_t log_ring_clear(unsigned long long upto)
{
	size_t gone = 0;

	pthread_mutex_lock(&log_lock);
	while (log_ring.len && log_ring.e[log_ring.head].seq <= upto) {
		free(log_ring.e[log_ring.head].message);
		log_ring.e[log_ring.head].message = NULL;
		log_ring.head = (log_ring.head + 1) % log_ring.cap;
		log_ring.len--;
		gone++;
	}
	pthread_mutex_unlock(&log_lock);
	return gone;
}
