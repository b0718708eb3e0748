// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * JSON-RPC 2.0 messages, one per line: building, serialising, parsing
 * and checking them for both ends of keel's sockets. No I/O here.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_strict.h"
#include "jsonrpc.h"

_Static_assert(JSONRPC_MAX_DEPTH <= JSON_STRICT_MAX_DEPTH,
	       "json_strict_check() must vouch for every depth json-c accepts");

static const struct {
	int code;
	const char *name;
	const char *message;
} jsonrpc_errors[] = {
	{ JSONRPC_PARSE_ERROR, "parse-error", "The message is not valid JSON." },
	{ JSONRPC_INVALID_REQUEST, "invalid-request",
	  "The message is not a valid JSON-RPC 2.0 request." },
	{ JSONRPC_METHOD_NOT_FOUND, "method-not-found", "No such method." },
	{ JSONRPC_INVALID_PARAMS, "invalid-params",
	  "The method's parameters are not valid." },
	{ JSONRPC_INTERNAL_ERROR, "internal-error", "Internal error." },
	{ KEEL_E_NO_DOMAIN, "no-domain", "No such domain." },
	{ KEEL_E_DOMAIN_EXISTS, "domain-exists",
	  "The domain already exists." },
	{ KEEL_E_INVALID_STATE, "invalid-state",
	  "The operation is not valid in the domain's current state." },
	{ KEEL_E_RESOURCE, "resource", "A resource is exhausted." },
	{ KEEL_E_PERMISSION, "permission", "Permission denied." },
	{ KEEL_E_TOO_LARGE, "too-large", "The message is too large." },
	{ KEEL_E_OPERATION_FAILED, "operation-failed",
	  "The operation failed." },
	{ KEEL_E_TIMEOUT, "timeout", "The operation timed out." },
};

#define N_ERRORS (sizeof(jsonrpc_errors) / sizeof(jsonrpc_errors[0]))

const char *jsonrpc_error_name(int code)
{
	for (size_t i = 0; i < N_ERRORS; i++)
		if (jsonrpc_errors[i].code == code)
			return jsonrpc_errors[i].name;
	return "unknown";
}

const char *jsonrpc_error_message(int code)
{
	for (size_t i = 0; i < N_ERRORS; i++)
		if (jsonrpc_errors[i].code == code)
			return jsonrpc_errors[i].message;
	return "unknown error";
}

/*
 * Add @val (owned, may be NULL for JSON null) to @obj under the literal
 * @key. json-c leaves @val alone when the insertion fails; release it
 * so that callers have one failure path.
 */
static int add_member(struct json_object *obj, const char *key,
		      struct json_object *val)
{
	if (json_object_object_add_ex(obj, key, val,
				      JSON_C_OBJECT_ADD_KEY_IS_NEW |
				      JSON_C_OBJECT_ADD_CONSTANT_KEY) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

/* A new {"jsonrpc": "2.0"}, or NULL. */
static struct json_object *new_message(void)
{
	struct json_object *msg = json_object_new_object(), *version;

	if (!msg)
		return NULL;
	version = json_object_new_string("2.0");
	if (!version || add_member(msg, "jsonrpc", version) < 0) {
		json_object_put(msg);
		return NULL;
	}
	return msg;
}

struct json_object *jsonrpc_request(const char *method,
				    struct json_object *params,
				    struct json_object *id)
{
	struct json_object *msg = NULL, *name;

	if (!method)
		goto out_put_args;
	msg = new_message();
	if (!msg)
		goto out_put_args;
	name = json_object_new_string(method);
	if (!name || add_member(msg, "method", name) < 0)
		goto out_put_args;
	if (params) {
		if (add_member(msg, "params", params) < 0) {
			params = NULL;
			goto out_put_args;
		}
	}
	/* A null id is a request, not a notification: never add one here. */
	if (id && add_member(msg, "id", id) < 0) {
		json_object_put(msg);
		return NULL;
	}
	return msg;

out_put_args:
	json_object_put(params);
	json_object_put(id);
	json_object_put(msg);
	return NULL;
}

/* {"jsonrpc": "2.0", "id": @id} with a new reference to @id, or NULL. */
static struct json_object *new_response(struct json_object *id)
{
	struct json_object *msg = new_message();

	if (msg && add_member(msg, "id", json_object_get(id)) < 0) {
		json_object_put(msg);
		return NULL;
	}
	return msg;
}

struct json_object *jsonrpc_result(struct json_object *id,
				   struct json_object *result)
{
	struct json_object *msg = new_response(id);

	if (!msg) {
		json_object_put(result);
		return NULL;
	}
	if (add_member(msg, "result", result) < 0) {
		json_object_put(msg);
		return NULL;
	}
	return msg;
}

/*
 * A new JSON string of @s made valid UTF-8, as jsonrpc_error() promises:
 * a message cut inside a character by snprintf() loses that character's
 * start, any other invalid sequence becomes U+FFFD. NULL when out of
 * memory.
 */
static struct json_object *new_utf8_string(const char *s)
{
	size_t len = strlen(s), n;
	struct json_object *o;
	char *fixed;

	if (json_strict_utf8_valid(s, len))
		return json_object_new_string_len(s, (int)len);
	fixed = json_strict_utf8_repair(s, len, &n);
	if (!fixed)
		return NULL;
	o = json_object_new_string_len(fixed, (int)n);
	free(fixed);
	return o;
}

struct json_object *jsonrpc_error(struct json_object *id, int code,
				  const char *message,
				  struct json_object *data)
{
	struct json_object *msg, *err = NULL, *val;

	msg = new_response(id);
	if (!msg)
		goto out_put_data;
	err = json_object_new_object();
	if (!err)
		goto out_put_data;
	val = json_object_new_int(code);
	if (!val || add_member(err, "code", val) < 0)
		goto out_put_data;
	val = new_utf8_string(message ? message : jsonrpc_error_message(code));
	if (!val || add_member(err, "message", val) < 0)
		goto out_put_data;
	if (data && add_member(err, "data", data) < 0) {
		data = NULL;
		goto out_put_data;
	}
	if (add_member(msg, "error", err) < 0) {
		json_object_put(msg);
		return NULL;
	}
	return msg;

out_put_data:
	json_object_put(data);
	json_object_put(err);
	json_object_put(msg);
	return NULL;
}

struct json_object *jsonrpc_error_field(struct json_object *id, int code,
					const char *message,
					const char *field)
{
	struct json_object *data = json_object_new_object(), *val;

	if (!data || !field)
		goto out_put_data;
	val = json_object_new_string(field);
	if (!val || add_member(data, "field", val) < 0)
		goto out_put_data;
	return jsonrpc_error(id, code, message, data);

out_put_data:
	json_object_put(data);
	return NULL;
}

char *jsonrpc_to_line(struct json_object *msg, size_t *len)
{
	const char *json;
	size_t n;
	char *line;

	json = json_object_to_json_string_length(
		msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		&n);
	if (!json) {
		errno = ENOMEM;
		return NULL;
	}
	/*
	 * json-c escapes control characters in strings and adds no
	 * whitespace in plain mode; only a custom serializer could
	 * break the framing.
	 */
	if (memchr(json, '\n', n)) {
		errno = EINVAL;
		return NULL;
	}
	if (n + 1 > JSONRPC_MAX_LINE) {
		errno = EMSGSIZE;
		return NULL;
	}
	line = malloc(n + 2);
	if (!line)
		return NULL;
	memcpy(line, json, n);
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}

/* Say what json_strict found wrong with a line, and where. */
static void strict_why(const struct json_strict *js, char *why,
		       size_t why_size)
{
	switch (js->fault) {
	case JSON_STRICT_UTF8:
		snprintf(why, why_size,
			 "The message is not valid UTF-8 at byte %zu: %s.",
			 js->at, js->what);
		break;
	case JSON_STRICT_NUL_NAME:
		snprintf(why, why_size,
			 "A member name contains \\u0000 (at byte %zu), which keel does not accept.",
			 js->at);
		break;
	case JSON_STRICT_NUL_STRING:
		snprintf(why, why_size,
			 "The message contains a string with a NUL character (\\u0000) at byte %zu, which keel does not accept.",
			 js->at);
		break;
	case JSON_STRICT_DUPLICATE:
		snprintf(why, why_size,
			 "The member \"%s\" appears twice in one object (again at byte %zu).",
			 js->what, js->at);
		break;
	case JSON_STRICT_TOO_DEEP:
		snprintf(why, why_size,
			 "The message is not valid: it nests arrays and objects deeper than %d levels.",
			 JSONRPC_MAX_DEPTH);
		break;
	default:
		snprintf(why, why_size,
			 "The message is not valid JSON at byte %zu: %s.",
			 js->at, js->what);
		break;
	}
}

/* Room for any parse error's message. */
#define JSONRPC_WHY_SIZE 256

/*
 * jsonrpc_parse_line(), also writing what is wrong with the line into
 * @why (a sentence) for the parse error's message.
 */
static int parse_line(const char *line, size_t len, struct json_object **out,
		      char *why, size_t why_size)
{
	struct json_tokener *tok;
	struct json_object *obj;
	struct json_strict js;
	enum json_tokener_error err;
	size_t end, i;
	int rc;

	*out = NULL;
	if (len > JSONRPC_MAX_LINE) {
		snprintf(why, why_size,
			 "The message is longer than the limit of %d bytes.",
			 JSONRPC_MAX_LINE);
		return -E2BIG;
	}
	if (memchr(line, '\0', len)) {
		snprintf(why, why_size,
			 "The message contains a NUL byte, which JSON does not allow.");
		return -EINVAL;
	}
	for (i = 0; i < len; i++)
		if (!strchr(" \t\r\n", line[i]))
			break;
	if (i == len) {
		snprintf(why, why_size, "The message is empty.");
		return -EINVAL;
	}

	/*
	 * What json-c lets through (see json_strict.h). The scan also
	 * checks every byte's UTF-8, so json-c need not.
	 */
	rc = json_strict_scan(&js, line, len);
	tok = rc == -ENOMEM ? NULL : json_tokener_new_ex(JSONRPC_MAX_DEPTH);
	if (!tok) {
		snprintf(why, why_size, "Out of memory.");
		rc = -ENOMEM;
		goto out_dispose;
	}
	/* STRICT also makes json-c reject anything after the value. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, line, (int)len);
	err = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (err == json_tokener_continue) {
		/*
		 * A bare number at the end of the input ("1") is complete
		 * only once json-c sees a terminator; the NUL ends it. Any
		 * other value still open is truncated.
		 */
		obj = json_tokener_parse_ex(tok, "", 1);
		err = json_tokener_get_error(tok);
		end = len;
	} else {
		/* Whitespace after the value is allowed, nothing else. */
		while (err == json_tokener_success && end < len &&
		       strchr(" \t\r\n", line[end]))
			end++;
		if (err == json_tokener_success && end < len) {
			json_object_put(obj);
			obj = NULL;
			err = json_tokener_error_parse_unexpected;
		}
	}
	json_tokener_free(tok);

	/* The first problem in the line is the one to report. */
	if (err != json_tokener_success && (!rc || end < js.at)) {
		if (err == json_tokener_error_depth)
			snprintf(why, why_size,
				 "The message is not valid: it nests arrays and objects deeper than %d levels.",
				 JSONRPC_MAX_DEPTH);
		else
			snprintf(why, why_size,
				 "The message is not valid JSON at byte %zu: %s.",
				 end, json_tokener_error_desc(err));
		rc = -EINVAL;
		goto out_dispose;
	}
	if (!rc)
		rc = json_strict_check(&js, obj, "id");
	if (rc == -ENOMEM)
		snprintf(why, why_size, "Out of memory.");
	else if (rc)
		strict_why(&js, why, why_size);
	if (rc)
		json_object_put(obj);
	else
		*out = obj; /* NULL for a line holding JSON null */
out_dispose:
	json_strict_dispose(&js);
	return rc;
}

int jsonrpc_parse_line(const char *line, size_t len, struct json_object **out)
{
	char why[JSONRPC_WHY_SIZE];

	return parse_line(line, len, out, why, sizeof(why));
}

/*
 * JSON-RPC ids: a string, a number or null. The specification only
 * advises against fractions; parse_line() made an integer json-c would
 * have changed keep its text, so every number goes back as sent.
 */
static bool valid_id(struct json_object *id)
{
	switch (json_object_get_type(id)) {
	case json_type_null:
	case json_type_string:
	case json_type_int:
	case json_type_double:
		return true;
	default:
		return false;
	}
}

static bool is_structured(struct json_object *obj)
{
	return json_object_is_type(obj, json_type_object) ||
	       json_object_is_type(obj, json_type_array);
}

/* True when @obj has a "jsonrpc" member that is exactly "2.0". */
static bool has_version(struct json_object *obj)
{
	struct json_object *v;

	return json_object_object_get_ex(obj, "jsonrpc", &v) &&
	       json_object_is_type(v, json_type_string) &&
	       strcmp(json_object_get_string(v), "2.0") == 0;
}

static int request_invalid(struct jsonrpc_req *req, const char *error,
			   const char *field)
{
	req->error = error;
	req->error_field = field;
	return JSONRPC_INVALID_REQUEST;
}

int jsonrpc_check_request(struct json_object *msg, struct jsonrpc_req *req)
{
	struct json_object *v;

	memset(req, 0, sizeof(*req));
	if (!json_object_is_type(msg, json_type_object))
		return request_invalid(req, "A request must be a JSON object.",
				       NULL);

	/* The id first, so that other errors can be answered with it. */
	if (json_object_object_get_ex(msg, "id", &v)) {
		if (!valid_id(v))
			return request_invalid(req,
				"\"id\" must be a string, a number or null.",
				"/id");
		req->id = v;
	} else {
		req->is_notification = true;
	}

	if (!has_version(msg))
		return request_invalid(req, "\"jsonrpc\" must be \"2.0\".",
				       "/jsonrpc");

	if (!json_object_object_get_ex(msg, "method", &v) ||
	    !json_object_is_type(v, json_type_string))
		return request_invalid(req, "\"method\" must be a string.",
				       "/method");
	req->method = json_object_get_string(v);

	if (json_object_object_get_ex(msg, "params", &v)) {
		if (!is_structured(v))
			return request_invalid(req,
				"\"params\" must be an object or an array.",
				"/params");
		req->params = v;
	}

	json_object_object_foreach(msg, key, val) {
		(void)val;
		if (strcmp(key, "jsonrpc") && strcmp(key, "method") &&
		    strcmp(key, "params") && strcmp(key, "id"))
			return request_invalid(req,
				"A request has only the members \"jsonrpc\", \"method\", \"params\" and \"id\".",
				NULL);
	}
	return 0;
}

struct json_object *jsonrpc_request_error(const struct jsonrpc_req *req,
					  int code)
{
	if (req->error_field)
		return jsonrpc_error_field(req->id, code, req->error,
					   req->error_field);
	return jsonrpc_error(req->id, code, req->error, NULL);
}

bool jsonrpc_is_batch(struct json_object *msg)
{
	return json_object_is_type(msg, json_type_array);
}

/* The response to one message of a batch or to a lone message, or NULL. */
/* What marks a deferred answer: its address, never its content. */
static char deferred_tag;

struct json_object *jsonrpc_deferred(void)
{
	struct json_object *o = json_object_new_string("deferred");

	if (o)
		json_object_set_userdata(o, &deferred_tag, NULL);
	return o;
}

bool jsonrpc_is_deferred(struct json_object *o)
{
	return o && json_object_get_userdata(o) == &deferred_tag;
}

static struct json_object *dispatch_one(struct json_object *msg,
					jsonrpc_handler_fn handle, void *ctx,
					bool in_batch)
{
	struct jsonrpc_req req;
	struct json_object *resp;
	int code;

	code = jsonrpc_check_request(msg, &req);
	if (code)
		return jsonrpc_request_error(&req, code);
	req.in_batch = in_batch;
	resp = handle(ctx, &req);
	if (req.is_notification) {
		json_object_put(resp);
		return NULL;
	}
	if (!resp)
		resp = jsonrpc_error(req.id, JSONRPC_INTERNAL_ERROR, NULL,
				     NULL);
	return resp;
}

struct json_object *jsonrpc_dispatch(struct json_object *msg,
				     jsonrpc_handler_fn handle, void *ctx)
{
	struct json_object *batch, *resp;
	size_t i, n;
	char why[96];

	if (!jsonrpc_is_batch(msg))
		return dispatch_one(msg, handle, ctx, false);

	n = json_object_array_length(msg);
	if (n == 0)
		return jsonrpc_error(NULL, JSONRPC_INVALID_REQUEST,
				     "An empty batch is not a valid request.",
				     NULL);
	if (n > JSONRPC_MAX_BATCH) {
		snprintf(why, sizeof(why),
			 "A batch of %zu requests exceeds the limit of %d.", n,
			 JSONRPC_MAX_BATCH);
		return jsonrpc_error(NULL, JSONRPC_INVALID_REQUEST, why, NULL);
	}

	batch = json_object_new_array_ext((int)n);
	if (!batch)
		return NULL;
	for (i = 0; i < n; i++) {
		resp = dispatch_one(json_object_array_get_idx(msg, i), handle,
				    ctx, true);
		if (resp && json_object_array_add(batch, resp) < 0)
			json_object_put(resp);
	}
	if (json_object_array_length(batch) == 0) {
		json_object_put(batch);
		return NULL;
	}
	return batch;
}

struct json_object *jsonrpc_dispatch_line(const char *line, size_t len,
					  jsonrpc_handler_fn handle,
					  void *ctx)
{
	struct json_object *msg, *resp;
	char why[JSONRPC_WHY_SIZE];
	int rc;

	rc = parse_line(line, len, &msg, why, sizeof(why));
	if (rc == -E2BIG)
		return jsonrpc_error(NULL, KEEL_E_TOO_LARGE, why, NULL);
	if (rc == -ENOMEM)
		return jsonrpc_error(NULL, JSONRPC_INTERNAL_ERROR, NULL, NULL);
	if (rc < 0)
		return jsonrpc_error(NULL, JSONRPC_PARSE_ERROR, why, NULL);
	resp = jsonrpc_dispatch(msg, handle, ctx);
	json_object_put(msg);
	return resp;
}

/* Fill the error part of @resp from an "error" member @err. */
static int check_error_object(struct json_object *err,
			      struct jsonrpc_resp *resp)
{
	struct json_object *v;
	int64_t code;

	if (!json_object_is_type(err, json_type_object))
		return -EINVAL;
	if (!json_object_object_get_ex(err, "code", &v) ||
	    !json_object_is_type(v, json_type_int))
		return -EINVAL;
	code = json_object_get_int64(v);
	if (code < INT_MIN || code > INT_MAX)
		return -EINVAL;
	resp->code = (int)code;
	if (!json_object_object_get_ex(err, "message", &v) ||
	    !json_object_is_type(v, json_type_string))
		return -EINVAL;
	resp->message = json_object_get_string(v);
	json_object_object_get_ex(err, "data", &resp->data);
	resp->is_error = true;
	return 0;
}

int jsonrpc_check_response(struct json_object *msg, struct jsonrpc_resp *resp)
{
	struct json_object *v, *result, *err;
	bool has_result, has_error;

	memset(resp, 0, sizeof(*resp));
	if (!json_object_is_type(msg, json_type_object) || !has_version(msg))
		return -EINVAL;

	if (json_object_object_get_ex(msg, "method", &v)) {
		/* Servers send events as notifications, never requests. */
		if (!json_object_is_type(v, json_type_string) ||
		    json_object_object_get_ex(msg, "id", NULL))
			return -EINVAL;
		resp->method = json_object_get_string(v);
		if (json_object_object_get_ex(msg, "params", &v)) {
			if (!is_structured(v))
				return -EINVAL;
			resp->params = v;
		}
		resp->is_notification = true;
		return 0;
	}

	if (!json_object_object_get_ex(msg, "id", &v) || !valid_id(v))
		return -EINVAL;
	resp->id = v;
	has_result = json_object_object_get_ex(msg, "result", &result);
	has_error = json_object_object_get_ex(msg, "error", &err);
	if (has_result == has_error)
		return -EINVAL;
	if (has_error)
		return check_error_object(err, resp);
	resp->result = result;
	return 0;
}
