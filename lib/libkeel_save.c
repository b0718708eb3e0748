// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libkeel's save and restore calls (keel.h): domain.save and
 * domain.restore. Both block until keeld answers, which is when the
 * file is written or the domain runs again: as long as the guest's
 * memory takes to copy. Their progress comes as events (keel_event's
 * job, done and total) on a connection that subscribed.
 */
#include "config.h"

#include <json-c/json.h>

#include "keel.h"
#include "libkeel_internal.h"
#include "libkeel_results.h"

static int save_nomem(struct keel_conn *c, struct json_object *p)
{
	json_object_put(p);
	libkeel_error_set(c, KEEL_E_LOCAL, "Out of memory.", NULL);
	return -1;
}

/* keeld takes absolute paths only: say so here, in the caller's words. */
static int save_path_ok(struct keel_conn *c, const char *func,
			const char *path)
{
	if (path && path[0] == '/')
		return 0;
	libkeel_error_fmt(c, KEEL_E_LOCAL,
			  "%s() needs an absolute path on keeld's host, not \"%s\".",
			  func, path ? path : "");
	return -1;
}

int keel_domain_save(struct keel_conn *c, const char *dom, const char *path,
		     unsigned flags, struct json_object **result)
{
	struct json_object *p, *res = NULL;

	if (result)
		*result = NULL;
	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (flags & ~(KEEL_SAVE_KEEP_RUNNING | KEEL_SAVE_PAUSED)) {
		libkeel_error_fmt(c, KEEL_E_LOCAL,
				  "keel_domain_save() does not know the flags 0x%x.",
				  flags & ~(KEEL_SAVE_KEEP_RUNNING |
					    KEEL_SAVE_PAUSED));
		return -1;
	}
	if (save_path_ok(c, __func__, path))
		return -1;
	p = libkeel_dom_params(c, dom);
	if (!p)
		return -1;
	if (libkeel_add_member(p, "path", json_object_new_string(path)) < 0 ||
	    ((flags & KEEL_SAVE_KEEP_RUNNING) &&
	     libkeel_add_member(p, "keep_running",
				json_object_new_boolean(true)) < 0) ||
	    ((flags & KEEL_SAVE_PAUSED) &&
	     libkeel_add_member(p, "paused", json_object_new_boolean(true)) <
		     0))
		return save_nomem(c, p);
	if (keel_call(c, "domain.save", p, &res) < 0)
		return -1;
	if (libkeel_result_object(c, "domain.save", res, result) < 0) {
		json_object_put(res);
		return -1;
	}
	json_object_put(res);
	return 0;
}

int keel_domain_restore(struct keel_conn *c, const char *path, unsigned flags,
			struct keel_domain *out)
{
	struct json_object *p, *res = NULL;
	int rc;

	if (!c)
		return -1;
	libkeel_error_clear(c);
	if (flags & ~KEEL_RESTORE_PAUSED) {
		libkeel_error_fmt(c, KEEL_E_LOCAL,
				  "keel_domain_restore() does not know the flags 0x%x.",
				  flags & ~KEEL_RESTORE_PAUSED);
		return -1;
	}
	if (save_path_ok(c, __func__, path))
		return -1;
	p = json_object_new_object();
	if (!p || libkeel_add_member(p, "path", json_object_new_string(path)) <
			  0 ||
	    ((flags & KEEL_RESTORE_PAUSED) &&
	     libkeel_add_member(p, "paused", json_object_new_boolean(true)) <
		     0))
		return save_nomem(c, p);
	if (keel_call(c, "domain.restore", p, &res) < 0)
		return -1;
	rc = libkeel_result_summary(c, "domain.restore", res, out);
	json_object_put(res);
	return rc;
}
