/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_LOG_H
#define KEEL_LOG_H

#include <stdbool.h>

/* Severity levels, in syslog's order (lower is more severe). */
enum log_level {
	LOG_LEVEL_ERR = 3,
	LOG_LEVEL_WARN = 4,
	LOG_LEVEL_INFO = 6,
	LOG_LEVEL_DEBUG = 7,
};

/*
 * Set up logging for this process: messages are tagged with @ident and
 * go to syslog when @use_syslog is true, otherwise to stderr. Messages
 * less severe than @level are dropped. Safe to call again to change it.
 */
void log_init(const char *ident, bool use_syslog, enum log_level level);

/* Parse "err", "warn", "info" or "debug". Returns 0 or -EINVAL. */
int log_level_parse(const char *name, enum log_level *level);

/*
 * Log one message. Every message, from any call site, also passes a
 * process-wide backstop (LOG_GLOBAL_RATE a second, bursts of
 * LOG_GLOBAL_BURST): past it messages are counted, not written, and the
 * count is logged once messages pass again. It is there for the call
 * sites nobody thought a peer could drive; those that a peer can drive
 * use log_msg_limited() as well.
 */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#define LOG_GLOBAL_RATE 100
#define LOG_GLOBAL_BURST 1000

/*
 * Change the backstop: at most @per_second messages a second on
 * average, @burst at once; 0 for either turns it off. For tests and
 * for programs with unusual needs.
 */
void log_set_global_limit(unsigned per_second, unsigned burst);

/*
 * The budget of one call site whose messages a peer (a client, a
 * guest) can cause: at most @burst messages in each @interval_ms; the
 * others are counted, and the first message of a later interval is
 * preceded by "N similar messages suppressed". Zero fields mean
 * LOG_RATELIMIT_BURST and LOG_RATELIMIT_INTERVAL_MS, so a
 * zero-initialised static is a ready limiter. The other members are
 * log.c's.
 */
struct log_ratelimit {
	unsigned interval_ms;
	unsigned burst;
	long long start_ms;
	unsigned printed;
	unsigned long suppressed;
};

#define LOG_RATELIMIT_BURST 10
#define LOG_RATELIMIT_INTERVAL_MS 5000

/* Log as log_msg() does, within @rl's budget. Thread-safe. */
void log_msg_limited(struct log_ratelimit *rl, enum log_level level,
		     const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* log_msg_limited() with a budget of its own for each place it is used. */
#define log_limited(level, ...)                                       \
	do {                                                          \
		static struct log_ratelimit log_site_budget_;         \
		log_msg_limited(&log_site_budget_, level, __VA_ARGS__); \
	} while (0)

#define log_err_limited(...) log_limited(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn_limited(...) log_limited(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info_limited(...) log_limited(LOG_LEVEL_INFO, __VA_ARGS__)

/*
 * A ring of the process's most recent messages, as the kernel keeps
 * one for dmesg: keeld keeps one so that `keel dmesg` shows keeld's log
 * as `xl dmesg` shows the hypervisor's, whether the log itself goes to
 * syslog or to stderr. Off until log_ring_enable(); messages the level
 * or the limits above drop are not in it either.
 */
struct log_ring_entry {
	unsigned long long seq;	/* 1, 2, ...: never reused */
	double time;		/* seconds since the epoch */
	enum log_level level;
	char *message;
};

/* Keep the last @lines messages (LOG_RING_LINES_MAX at most). */
#define LOG_RING_LINES_MAX 4096
#define LOG_RING_LINES_DEFAULT 1000
#define LOG_RING_MESSAGE_MAX 1024
int log_ring_enable(unsigned lines);

/*
 * Copy the ring, oldest first, into *@out (the caller frees it with
 * log_ring_free()); the count in *@n. Returns 0 or -ENOMEM.
 */
int log_ring_read(struct log_ring_entry **out, size_t *n);
void log_ring_free(struct log_ring_entry *entries, size_t n);

/*
 * Forget the messages up to sequence number @upto (dmesg -c: those it
 * printed, not any that came since). Returns how many went.
 */
size_t log_ring_clear(unsigned long long upto);

/* "error", "warning", "info", "debug". */
const char *log_level_name(enum log_level level);

#endif /* KEEL_LOG_H */
