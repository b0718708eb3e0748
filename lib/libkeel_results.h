// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The parsers of keeld's results (libkeel_results.c), for the table of
 * typed calls (libkeel_calls.c). Private to libkeel.
 */
#ifndef KEEL_LIB_LIBKEEL_RESULTS_H
#define KEEL_LIB_LIBKEEL_RESULTS_H

#include <stddef.h>

#include <json-c/json.h>

#include "keel.h"

/*
 * The result parsers, one per shape of result. Each checks @res (the
 * result, borrowed; NULL for JSON null) for @method and fills @out, of
 * the type its row in calls[] says, only when all of it is right.
 * Returns 0, or -1 with a protocol error set.
 */
typedef int (*libkeel_result_fn)(struct keel_conn *c, const char *method,
			 struct json_object *res, void *out);

/* A DomainSummary with its "config" object: domain.info. */
struct info_out {
	struct keel_domain *dom;     /* may be NULL */
	struct json_object **config; /* a new reference; may be NULL */
};

/* An array of DomainSummary, with their configs if asked: domain.list. */
struct list_out {
	bool configs_wanted;
	struct keel_domain *doms; /* malloc'd, n + 1 of them */
	size_t n;
	struct json_object *configs; /* when configs_wanted */
};

/* An array of VcpuInfo into struct vcpu_array *@out. */
struct vcpu_array {
	struct keel_vcpu *v;
	size_t n;
};

/* host.dmesg's lines into struct dmesg_array *@out. */
struct dmesg_array {
	struct keel_dmesg_line *lines; /* one malloc'd block, messages too */
	size_t n;
};

/*
 * Fail the call with a protocol error about @method's result: keeld
 * answered, but not with what the API says. Returns -1.
 */
int libkeel_bad_result(struct keel_conn *c, const char *method,
		       const char *what);

int libkeel_result_summary(struct keel_conn *c, const char *method,
		 struct json_object *res, void *out);
int libkeel_result_object(struct keel_conn *c, const char *method,
		 struct json_object *res, void *out);
int libkeel_result_host(struct keel_conn *c, const char *method,
		 struct json_object *res, void *out);
int libkeel_result_info(struct keel_conn *c, const char *method,
		 struct json_object *res, void *out);
int libkeel_result_list(struct keel_conn *c, const char *method,
		 struct json_object *res, void *out);
int libkeel_result_subscribed(struct keel_conn *c, const char *method,
		 struct json_object *res, void *out);
int libkeel_result_vcpus(struct keel_conn *c, const char *method,
		 struct json_object *res, void *out);
int libkeel_result_sched(struct keel_conn *c, const char *method,
		 struct json_object *res, void *out);

int libkeel_result_dmesg(struct keel_conn *c, const char *method,
		 struct json_object *res, void *out);
int libkeel_result_cleared(struct keel_conn *c, const char *method,
		 struct json_object *res, void *out);

#endif /* KEEL_LIB_LIBKEEL_RESULTS_H */
