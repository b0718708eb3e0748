// SPDX-License-Identifier: GPL-2.0-or-later
/* The first error keel-hv logged, for its status file (hv_error.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "hv_error.h"

/* Longer than any sentence keel-hv writes; a longer one is cut. */
#define HV_ERROR_MAX 512

static pthread_mutex_t hv_error_lock = PTHREAD_MUTEX_INITIALIZER;
static char hv_error_text[HV_ERROR_MAX];
static bool hv_error_set;

void hv_error(const char *fmt, ...)
{
	char text[HV_ERROR_MAX];
	int saved_errno = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_err("%s", text);
	pthread_mutex_lock(&hv_error_lock);
	if (!hv_error_set) {
		snprintf(hv_error_text, sizeof(hv_error_text), "%s", text);
		hv_error_set = true;
	}
	pthread_mutex_unlock(&hv_error_lock);
	errno = saved_errno;
}

const char *hv_error_first(void)
{
	const char *text;

	/* Written once, before the flag; never changed while it is set. */
	pthread_mutex_lock(&hv_error_lock);
	text = hv_error_set ? hv_error_text : NULL;
	pthread_mutex_unlock(&hv_error_lock);
	return text;
}
