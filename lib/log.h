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

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif /* KEEL_LOG_H */
