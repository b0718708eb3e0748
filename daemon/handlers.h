/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_HANDLERS_H
#define KEEL_DAEMON_HANDLERS_H

/*
 * The method handlers behind methods.c's table. Each gets params that
 * already passed the method's schema (an object, never NULL) and
 * returns the response to send for @req, built with jsonrpc_result()
 * or method_error(); NULL only when out of memory.
 */

#include <json-c/json.h>

#include "jsonrpc.h"

struct keeld;

typedef struct json_object *(*method_fn)(struct keeld *k,
					 const struct jsonrpc_req *req,
					 struct json_object *params);

/*
 * An error response for @req with data {"field": @field} (@field may be
 * NULL to omit data) and a printf-formatted message.
 */
struct json_object *method_error(const struct jsonrpc_req *req, int code,
				 const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* host_methods.c */
struct json_object *host_info(struct keeld *k, const struct jsonrpc_req *req,
			      struct json_object *params);

/* domain_methods.c */
struct json_object *domain_list(struct keeld *k, const struct jsonrpc_req *req,
				struct json_object *params);
struct json_object *domain_info(struct keeld *k, const struct jsonrpc_req *req,
				struct json_object *params);
struct json_object *domain_define(struct keeld *k,
				  const struct jsonrpc_req *req,
				  struct json_object *params);
struct json_object *domain_undefine(struct keeld *k,
				    const struct jsonrpc_req *req,
				    struct json_object *params);
struct json_object *domain_rename(struct keeld *k,
				  const struct jsonrpc_req *req,
				  struct json_object *params);
struct json_object *domain_autostart(struct keeld *k,
				     const struct jsonrpc_req *req,
				     struct json_object *params);

#endif /* KEEL_DAEMON_HANDLERS_H */
