// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Logging shared by every keel program: syslog for daemons, stderr for
 * foreground use and tests.
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
} log_cfg = { "keel", false, LOG_LEVEL_INFO };

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

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	int saved_errno = errno;

	if (level > log_cfg.level)
		return;
	va_start(ap, fmt);
	if (log_cfg.use_syslog) {
		vsyslog((int)level, fmt, ap);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		pthread_mutex_lock(&log_lock);
		fprintf(stderr, "%lld.%03ld %s: %s: ", (long long)ts.tv_sec,
			ts.tv_nsec / 1000000, log_cfg.ident,
			log_level_name(level));
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		pthread_mutex_unlock(&log_lock);
	}
	va_end(ap);
	errno = saved_errno;
}
