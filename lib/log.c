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
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

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

static const char *log_level_name(enum log_level level)
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

static long long log_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Write one message. The caller holds log_lock. */
static void log_write(enum log_level level, const char *fmt, va_list ap)
{
	struct timespec ts;

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
	now = log_now_ms();
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
	now = log_now_ms();
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
