/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_HV_ERROR_H
#define KEEL_HV_HV_ERROR_H

/*
 * Why keel-hv failed, in the words of the error it logged first. The
 * status file's "detail" (hv_proto.h) must be a sentence a user can act
 * on without reading keel-hv's log; the place that found the problem is
 * the one that can say it, so every error keel-hv logs from the moment
 * its options are understood goes through hv_error(), and main() puts
 * the first one in the status file. The first, because what fails
 * later (a device that cannot be created because its disk could not be
 * opened) is a consequence, and its sentence says less.
 */

#include "log.h"

/*
 * Log a sentence at error level, as log_err() does, and keep it if it
 * is the first since the process started. Leaves errno as it was, so
 * a caller can still return -errno. Any thread.
 */
void hv_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The first sentence hv_error() logged, or NULL. Any thread. */
const char *hv_error_first(void);

#endif /* KEEL_HV_HV_ERROR_H */
