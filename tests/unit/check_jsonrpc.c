// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The JSON-RPC 2.0 message layer (lib/jsonrpc.c): builders, line
 * framing, parse errors, request and response checks, and the
 * specification's own examples run through jsonrpc_dispatch_line().
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "json_strict.h"
#include "jsonrpc.h"
#include "jsonrpc_frame.h"
#include "jsonrpc_frame_ev.h"
#include "runner.h"

/* Assert that @obj equals the JSON text @expected; consumes @obj. */
#define assert_json(obj, expected) assert_json_at(obj, expected, __LINE__)

static void assert_json_at(struct json_object *obj, const char *expected,
			   int line)
{
	struct json_object *want = json_tokener_parse(expected);

	ck_assert_msg(want, "line %d: bad expected JSON", line);
	ck_assert_msg(json_object_equal(obj, want),
		      "line %d: got %s, want %s", line,
		      json_object_to_json_string(obj), expected);
	json_object_put(want);
	json_object_put(obj);
}

/* Serialise @obj (consumed) and compare the line byte for byte. */
static void assert_line(struct json_object *obj, const char *expected)
{
	size_t len = 0;
	char *line = jsonrpc_to_line(obj, &len);

	ck_assert_ptr_nonnull(line);
	ck_assert_str_eq(line, expected);
	ck_assert_uint_eq(len, strlen(expected));
	free(line);
	json_object_put(obj);
}

static int parse(const char *text, struct json_object **out)
{
	return jsonrpc_parse_line(text, strlen(text), out);
}

START_TEST(test_error_names)
{
	static const struct {
		int code;
		const char *name;
	} t[] = {
		{ -32700, "parse-error" },	{ -32600, "invalid-request" },
		{ -32601, "method-not-found" }, { -32602, "invalid-params" },
		{ -32603, "internal-error" },	{ -32001, "no-domain" },
		{ -32002, "domain-exists" },	{ -32003, "invalid-state" },
		{ -32004, "resource" },		{ -32005, "permission" },
		{ -32006, "too-large" },	{ -32007, "operation-failed" },
		{ -32008, "timeout" },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_str_eq(jsonrpc_error_name(t[i].code), t[i].name);
		ck_assert_str_ne(jsonrpc_error_message(t[i].code),
				 "unknown error");
	}
	ck_assert_str_eq(jsonrpc_error_name(0), "unknown");
	ck_assert_str_eq(jsonrpc_error_name(-32099), "unknown");
	ck_assert_str_eq(jsonrpc_error_message(42), "unknown error");
	ck_assert_str_eq(jsonrpc_error_message(KEEL_E_NO_DOMAIN),
			 "No such domain.");
}
END_TEST

START_TEST(test_build_request)
{
	struct json_object *params = json_object_new_object();

	json_object_object_add(params, "name", json_object_new_string("web"));
	assert_line(jsonrpc_request("domain.start", params,
				    json_object_new_int(7)),
		    "{\"jsonrpc\":\"2.0\",\"method\":\"domain.start\","
		    "\"params\":{\"name\":\"web\"},\"id\":7}\n");
	assert_line(jsonrpc_request("domain.list", NULL,
				    json_object_new_string("a")),
		    "{\"jsonrpc\":\"2.0\",\"method\":\"domain.list\","
		    "\"id\":\"a\"}\n");
	/* no id: a notification, with no "id" member at all */
	assert_line(jsonrpc_request("event", json_object_new_array(), NULL),
		    "{\"jsonrpc\":\"2.0\",\"method\":\"event\","
		    "\"params\":[]}\n");
	/* no method: the owned arguments are released */
	ck_assert_ptr_null(jsonrpc_request(NULL, json_object_new_array(),
					   json_object_new_int(1)));
}
END_TEST

START_TEST(test_build_result)
{
	struct json_object *id = json_object_new_int64(1LL << 40);

	assert_line(jsonrpc_result(id, json_object_new_int(19)),
		    "{\"jsonrpc\":\"2.0\",\"id\":1099511627776,"
		    "\"result\":19}\n");
	/* the id was borrowed: still ours */
	ck_assert_int_eq(json_object_get_int64(id), 1LL << 40);
	json_object_put(id);
	assert_line(jsonrpc_result(NULL, NULL),
		    "{\"jsonrpc\":\"2.0\",\"id\":null,\"result\":null}\n");
}
END_TEST

START_TEST(test_build_error)
{
	struct json_object *id = json_object_new_string("x1");
	struct json_object *data = json_object_new_object();

	json_object_object_add(data, "state", json_object_new_string("paused"));
	assert_line(jsonrpc_error(id, KEEL_E_INVALID_STATE,
				  "The domain web is paused.", data),
		    "{\"jsonrpc\":\"2.0\",\"id\":\"x1\",\"error\":{"
		    "\"code\":-32003,\"message\":\"The domain web is paused.\","
		    "\"data\":{\"state\":\"paused\"}}}\n");
	assert_line(jsonrpc_error(id, JSONRPC_METHOD_NOT_FOUND, NULL, NULL),
		    "{\"jsonrpc\":\"2.0\",\"id\":\"x1\",\"error\":{"
		    "\"code\":-32601,\"message\":\"No such method.\"}}\n");
	assert_line(jsonrpc_error_field(id, JSONRPC_INVALID_PARAMS,
					"The name must not be empty.",
					"/name"),
		    "{\"jsonrpc\":\"2.0\",\"id\":\"x1\",\"error\":{"
		    "\"code\":-32602,\"message\":\"The name must not be "
		    "empty.\",\"data\":{\"field\":\"/name\"}}}\n");
	ck_assert_str_eq(json_object_get_string(id), "x1");
	json_object_put(id);
	ck_assert_ptr_null(jsonrpc_error_field(NULL, -32602, "x", NULL));
}
END_TEST

START_TEST(test_to_line_escapes)
{
	/* newlines and control characters escaped, slashes left alone */
	assert_line(jsonrpc_result(NULL, json_object_new_string(
						 "a\nb\r\tc /run/keel \x01")),
		    "{\"jsonrpc\":\"2.0\",\"id\":null,"
		    "\"result\":\"a\\nb\\r\\tc /run/keel \\u0001\"}\n");
	/* UTF-8 passes through as is */
	assert_line(jsonrpc_result(NULL, json_object_new_string("caf\xc3\xa9")),
		    "{\"jsonrpc\":\"2.0\",\"id\":null,"
		    "\"result\":\"caf\xc3\xa9\"}\n");
}
END_TEST

START_TEST(test_to_line_refuses)
{
	struct json_object *msg;
	size_t len = 0;
	char *big, *line;

	/* a serializer that would break the framing */
	msg = jsonrpc_result(NULL, json_object_new_double_s(1, "1\n"));
	errno = 0;
	ck_assert_ptr_null(jsonrpc_to_line(msg, &len));
	ck_assert_int_eq(errno, EINVAL);
	json_object_put(msg);

	/* the largest line that fits, then one byte more */
	big = malloc(JSONRPC_MAX_LINE);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', JSONRPC_MAX_LINE);
	/* "..." plus newline: exactly JSONRPC_MAX_LINE bytes */
	msg = json_object_new_string_len(big, JSONRPC_MAX_LINE - 3);
	line = jsonrpc_to_line(msg, &len);
	ck_assert_ptr_nonnull(line);
	ck_assert_uint_eq(len, JSONRPC_MAX_LINE);
	free(line);
	json_object_put(msg);
	msg = json_object_new_string_len(big, JSONRPC_MAX_LINE - 2);
	errno = 0;
	ck_assert_ptr_null(jsonrpc_to_line(msg, &len));
	ck_assert_int_eq(errno, EMSGSIZE);
	json_object_put(msg);
	free(big);
}
END_TEST

START_TEST(test_parse_ok)
{
	struct json_object *obj;

	ck_assert_int_eq(parse("{\"a\":[1,2]}", &obj), 0);
	assert_json(obj, "{\"a\":[1,2]}");
	ck_assert_int_eq(parse("{\"a\":1}\n", &obj), 0);
	assert_json(obj, "{\"a\":1}");
	ck_assert_int_eq(parse("  [1] \r\n", &obj), 0);
	assert_json(obj, "[1]");
	/* a bare scalar is valid JSON (and then an invalid request) */
	ck_assert_int_eq(parse("1", &obj), 0);
	assert_json(obj, "1");
	ck_assert_int_eq(parse("\"s\"\n", &obj), 0);
	assert_json(obj, "\"s\"");
	obj = (void *)1;
	ck_assert_int_eq(parse("null", &obj), 0);
	ck_assert_ptr_null(obj);
	/* @len, not a NUL, ends the line */
	ck_assert_int_eq(jsonrpc_parse_line("[2]garbage", 3, &obj), 0);
	assert_json(obj, "[2]");
}
END_TEST

START_TEST(test_parse_errors)
{
	static const char *const bad[] = {
		"",		   "\n",	       "   \r\n",
		"foo",		   "{\"a\":",	       "{\"a\":1",
		"[1,2",		   "\"abc",	       "{} x",
		"{}{}",		   "{}\n{}",	       "[1,]",
		"{\"a\":1,}",	   "True",	       "0x10",
		"01",		   "-",		       "\"\xff\"",
		"\"\xc3\"",	   "\"a\\u0000b\"",
		"{\"params\":{\"name\":[\"web\\u0000x\"]}}",
	};
	struct json_object *obj = (void *)1;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse(bad[i], &obj) == -EINVAL,
			      "accepted \"%s\"", bad[i]);
		ck_assert_ptr_null(obj);
	}
	/* a NUL byte inside the line, even between values' whitespace */
	ck_assert_int_eq(jsonrpc_parse_line("{}\0", 3, &obj), -EINVAL);
	ck_assert_int_eq(jsonrpc_parse_line("{\"a\":\"\0\"}", 9, &obj),
			 -EINVAL);
}
END_TEST

/* @depth nested arrays: "[[...]]". */
static char *nested(int depth)
{
	char *s = malloc(2 * depth + 1);

	memset(s, '[', depth);
	memset(s + depth, ']', depth);
	s[2 * depth] = '\0';
	return s;
}

START_TEST(test_parse_depth)
{
	struct json_object *obj;
	char *s;

	s = nested(JSONRPC_MAX_DEPTH);
	ck_assert_int_eq(parse(s, &obj), 0);
	json_object_put(obj);
	free(s);
	s = nested(JSONRPC_MAX_DEPTH + 1);
	ck_assert_int_eq(parse(s, &obj), -EINVAL);
	free(s);
	s = nested(100000);
	ck_assert_int_eq(parse(s, &obj), -EINVAL);
	free(s);
}
END_TEST

START_TEST(test_parse_too_long)
{
	struct json_object *obj;
	char *s = malloc(JSONRPC_MAX_LINE + 1);

	memset(s, ' ', JSONRPC_MAX_LINE + 1);
	s[0] = '1';
	ck_assert_int_eq(jsonrpc_parse_line(s, JSONRPC_MAX_LINE, &obj), 0);
	json_object_put(obj);
	ck_assert_int_eq(jsonrpc_parse_line(s, JSONRPC_MAX_LINE + 1, &obj),
			 -E2BIG);
	free(s);
}
END_TEST

/* check_request on @text: returns the code, fills @req; frees nothing. */
static int check_req(const char *text, struct json_object **msg,
		     struct jsonrpc_req *req)
{
	ck_assert_int_eq(parse(text, msg), 0);
	return jsonrpc_check_request(*msg, req);
}

START_TEST(test_request_valid)
{
	struct json_object *msg;
	struct jsonrpc_req req;

	ck_assert_int_eq(check_req("{\"jsonrpc\":\"2.0\",\"method\":\"m\","
				   "\"params\":{\"a\":1},\"id\":3}",
				   &msg, &req), 0);
	ck_assert_str_eq(req.method, "m");
	ck_assert(json_object_is_type(req.params, json_type_object));
	ck_assert_int_eq(json_object_get_int(req.id), 3);
	ck_assert(!req.is_notification);
	json_object_put(msg);

	ck_assert_int_eq(check_req("{\"id\":\"abc\",\"method\":\"m\","
				   "\"jsonrpc\":\"2.0\",\"params\":[]}",
				   &msg, &req), 0);
	ck_assert_str_eq(json_object_get_string(req.id), "abc");
	ck_assert(json_object_is_type(req.params, json_type_array));
	json_object_put(msg);

	/* a null id is a request (answered with null), not a notification */
	ck_assert_int_eq(check_req("{\"jsonrpc\":\"2.0\",\"method\":\"m\","
				   "\"id\":null}", &msg, &req), 0);
	ck_assert_ptr_null(req.id);
	ck_assert(!req.is_notification);
	ck_assert_ptr_null(req.params);
	json_object_put(msg);

	ck_assert_int_eq(check_req("{\"jsonrpc\":\"2.0\",\"method\":\"m\"}",
				   &msg, &req), 0);
	ck_assert(req.is_notification);
	ck_assert_ptr_null(req.id);
	json_object_put(msg);

	ck_assert_int_eq(check_req("{\"jsonrpc\":\"2.0\",\"method\":\"m\","
				   "\"id\":-9223372036854775808}", &msg, &req),
			 0);
	json_object_put(msg);
}
END_TEST

START_TEST(test_request_invalid)
{
	static const struct {
		const char *text;
		const char *field;	/* NULL: no data */
		bool keeps_id;
	} t[] = {
		{ "1", NULL, false },
		{ "\"x\"", NULL, false },
		{ "null", NULL, false },
		{ "[]", NULL, false },	/* as a batch element */
		{ "{}", "/jsonrpc", false },
		{ "{\"method\":\"m\",\"id\":1}", "/jsonrpc", true },
		{ "{\"jsonrpc\":\"1.0\",\"method\":\"m\",\"id\":1}",
		  "/jsonrpc", true },
		{ "{\"jsonrpc\":2.0,\"method\":\"m\",\"id\":1}", "/jsonrpc",
		  true },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1}", "/method", true },
		{ "{\"jsonrpc\":\"2.0\",\"method\":1}", "/method", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":null,\"id\":\"a\"}",
		  "/method", true },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":\"bar\"}",
		  "/params", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":3,\"id\":1}",
		  "/params", true },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":null}",
		  "/params", false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":true}", "/id",
		  false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":[1]}", "/id",
		  false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":{}}", "/id",
		  false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"parms\":{},\"id\":1}",
		  NULL, true },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct json_object *msg, *resp, *err, *v;
		struct jsonrpc_req req;

		ck_assert_msg(check_req(t[i].text, &msg, &req) ==
			      JSONRPC_INVALID_REQUEST, "accepted %s",
			      t[i].text);
		ck_assert_ptr_nonnull(req.error);
		ck_assert_msg(t[i].keeps_id == (req.id != NULL),
			      "%s: id %p", t[i].text, (void *)req.id);
		resp = jsonrpc_request_error(&req, JSONRPC_INVALID_REQUEST);
		ck_assert_ptr_nonnull(resp);
		ck_assert(json_object_object_get_ex(resp, "id", &v));
		ck_assert(json_object_object_get_ex(resp, "error", &err));
		ck_assert_int_eq(json_object_get_int(
			json_object_object_get(err, "code")), -32600);
		ck_assert_str_eq(json_object_get_string(
			json_object_object_get(err, "message")), req.error);
		if (t[i].field) {
			ck_assert_str_eq(req.error_field, t[i].field);
			v = json_object_object_get(err, "data");
			ck_assert_str_eq(json_object_get_string(
				json_object_object_get(v, "field")),
				t[i].field);
		} else {
			ck_assert_ptr_null(req.error_field);
			ck_assert(!json_object_object_get_ex(err, "data",
							     NULL));
		}
		json_object_put(resp);
		json_object_put(msg);
	}
}
END_TEST

START_TEST(test_request_messages)
{
	struct json_object *msg;
	struct jsonrpc_req req;

	check_req("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":true}", &msg,
		  &req);
	ck_assert_str_eq(req.error,
			 "\"id\" must be a string, a number or null.");
	json_object_put(msg);
	check_req("{\"jsonrpc\":\"2\",\"method\":\"m\"}", &msg, &req);
	ck_assert_str_eq(req.error, "\"jsonrpc\" must be \"2.0\".");
	json_object_put(msg);
	check_req("{\"jsonrpc\":\"2.0\",\"method\":[]}", &msg, &req);
	ck_assert_str_eq(req.error, "\"method\" must be a string.");
	json_object_put(msg);
	check_req("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":1}", &msg,
		  &req);
	ck_assert_str_eq(req.error,
			 "\"params\" must be an object or an array.");
	json_object_put(msg);
	ck_assert(!jsonrpc_is_batch(NULL));
}
END_TEST

/*
 * The methods of the JSON-RPC 2.0 specification's examples. "notify_*"
 * methods count their calls; "null" returns nothing.
 */
struct spec_ctx {
	int calls, notified;
};

static struct json_object *spec_handle(void *opaque,
				       const struct jsonrpc_req *req)
{
	struct spec_ctx *ctx = opaque;
	struct json_object *p = req->params, *r;
	int64_t a, b;

	ctx->calls++;
	if (strncmp(req->method, "notify_", 7) == 0) {
		ctx->notified++;
		return jsonrpc_result(req->id, NULL);
	}
	if (strcmp(req->method, "subtract") == 0) {
		if (json_object_is_type(p, json_type_array)) {
			a = json_object_get_int64(json_object_array_get_idx(p, 0));
			b = json_object_get_int64(json_object_array_get_idx(p, 1));
		} else {
			a = json_object_get_int64(
				json_object_object_get(p, "minuend"));
			b = json_object_get_int64(
				json_object_object_get(p, "subtrahend"));
		}
		return jsonrpc_result(req->id, json_object_new_int64(a - b));
	}
	if (strcmp(req->method, "sum") == 0) {
		a = 0;
		for (size_t i = 0; i < json_object_array_length(p); i++)
			a += json_object_get_int64(
				json_object_array_get_idx(p, i));
		return jsonrpc_result(req->id, json_object_new_int64(a));
	}
	if (strcmp(req->method, "get_data") == 0) {
		r = json_object_new_array();
		json_object_array_add(r, json_object_new_string("hello"));
		json_object_array_add(r, json_object_new_int(5));
		return jsonrpc_result(req->id, r);
	}
	if (strcmp(req->method, "null") == 0)
		return NULL;
	if (strcmp(req->method, "echo") == 0)
		return jsonrpc_result(req->id, json_object_get(p));
	return jsonrpc_error(req->id, JSONRPC_METHOD_NOT_FOUND,
			     "Method not found", NULL);
}

static struct json_object *spec(const char *line, struct spec_ctx *ctx)
{
	return jsonrpc_dispatch_line(line, strlen(line), spec_handle, ctx);
}

START_TEST(test_spec_calls)
{
	struct spec_ctx ctx = { 0 };

	assert_json(spec("{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", "
			 "\"params\": [42, 23], \"id\": 1}\n", &ctx),
		    "{\"jsonrpc\": \"2.0\", \"result\": 19, \"id\": 1}");
	assert_json(spec("{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", "
			 "\"params\": {\"subtrahend\": 23, \"minuend\": 42}, "
			 "\"id\": 3}", &ctx),
		    "{\"jsonrpc\": \"2.0\", \"result\": 19, \"id\": 3}");
	/* notifications: handled, never answered */
	ck_assert_ptr_null(spec("{\"jsonrpc\": \"2.0\", \"method\": "
				"\"update\", \"params\": [1,2,3,4,5]}", &ctx));
	ck_assert_ptr_null(spec("{\"jsonrpc\": \"2.0\", \"method\": "
				"\"notify_foobar\"}", &ctx));
	ck_assert_int_eq(ctx.calls, 4);
	assert_json(spec("{\"jsonrpc\": \"2.0\", \"method\": \"foobar\", "
			 "\"id\": \"1\"}", &ctx),
		    "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32601, "
		    "\"message\": \"Method not found\"}, \"id\": \"1\"}");
	/* a handler with nothing to say about a request */
	assert_json(spec("{\"jsonrpc\": \"2.0\", \"method\": \"null\", "
			 "\"id\": 8}", &ctx),
		    "{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32603, "
		    "\"message\": \"Internal error.\"}, \"id\": 8}");
}
END_TEST

/* The code of the single error response @resp (consumed). */
static int error_code(struct json_object *resp)
{
	struct json_object *err, *id;
	int code;

	ck_assert(json_object_is_type(resp, json_type_object));
	ck_assert(json_object_object_get_ex(resp, "id", &id));
	ck_assert_ptr_null(id);
	ck_assert(json_object_object_get_ex(resp, "error", &err));
	code = json_object_get_int(json_object_object_get(err, "code"));
	json_object_put(resp);
	return code;
}

START_TEST(test_spec_errors)
{
	struct spec_ctx ctx = { 0 };
	struct json_object *resp;
	const char *msg;

	/* rpc call with invalid JSON */
	ck_assert_int_eq(error_code(spec("{\"jsonrpc\": \"2.0\", \"method\": "
					 "\"foobar, \"params\": \"bar\", "
					 "\"baz]", &ctx)), -32700);
	/* rpc call with invalid Request object */
	ck_assert_int_eq(error_code(spec("{\"jsonrpc\": \"2.0\", \"method\": "
					 "1, \"params\": \"bar\"}", &ctx)),
			 -32600);
	/* rpc call Batch, invalid JSON */
	ck_assert_int_eq(error_code(spec("[\n  {\"jsonrpc\": \"2.0\", "
					 "\"method\": \"sum\", \"params\": "
					 "[1,2,4], \"id\": \"1\"},\n  "
					 "{\"jsonrpc\": \"2.0\", \"method\"\n]",
					 &ctx)), -32700);
	/* valid JSON that is no request object */
	ck_assert_int_eq(error_code(spec("1", &ctx)), -32600);
	ck_assert_int_eq(error_code(spec("null\n", &ctx)), -32600);
	ck_assert_int_eq(error_code(spec("\"x\"", &ctx)), -32600);
	/* rpc call with an empty Array: one error, not an array */
	ck_assert_int_eq(error_code(spec("[]", &ctx)), -32600);
	ck_assert_int_eq(ctx.calls, 0);

	/* the parse error says what is wrong, and where */
	resp = spec("{\"a\":1} x", &ctx);
	msg = json_object_get_string(json_object_object_get(
		json_object_object_get(resp, "error"), "message"));
	ck_assert_msg(strstr(msg, "not valid JSON") && strstr(msg, "byte 8"),
		      "%s", msg);
	json_object_put(resp);
}
END_TEST

START_TEST(test_spec_batches)
{
	static const char invalid[] =
		"{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, "
		"\"message\": \"A request must be a JSON object.\"}, "
		"\"id\": null}";
	struct spec_ctx ctx = { 0 };
	char want[1024];

	/* rpc call with an invalid Batch (but not empty) */
	snprintf(want, sizeof(want), "[%s]", invalid);
	assert_json(spec("[1]", &ctx), want);
	snprintf(want, sizeof(want), "[%s,%s,%s]", invalid, invalid, invalid);
	assert_json(spec("[1,2,3]", &ctx), want);
	/* a nested batch is just an invalid element */
	snprintf(want, sizeof(want), "[%s]", invalid);
	assert_json(spec("[[]]", &ctx), want);
	ck_assert_int_eq(ctx.calls, 0);

	/* rpc call Batch, with notifications and an invalid element */
	assert_json(spec(
		"[{\"jsonrpc\": \"2.0\", \"method\": \"sum\", \"params\": "
		"[1,2,4], \"id\": \"1\"},"
		"{\"jsonrpc\": \"2.0\", \"method\": \"notify_hello\", "
		"\"params\": [7]},"
		"{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", \"params\": "
		"[42,23], \"id\": \"2\"},"
		"{\"foo\": \"boo\"},"
		"{\"jsonrpc\": \"2.0\", \"method\": \"foo.get\", \"params\": "
		"{\"name\": \"myself\"}, \"id\": \"5\"},"
		"{\"jsonrpc\": \"2.0\", \"method\": \"get_data\", \"id\": "
		"\"9\"}]", &ctx),
		"[{\"jsonrpc\": \"2.0\", \"result\": 7, \"id\": \"1\"},"
		"{\"jsonrpc\": \"2.0\", \"result\": 19, \"id\": \"2\"},"
		"{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32600, "
		"\"message\": \"\\\"jsonrpc\\\" must be \\\"2.0\\\".\", "
		"\"data\": {\"field\": \"/jsonrpc\"}}, \"id\": null},"
		"{\"jsonrpc\": \"2.0\", \"error\": {\"code\": -32601, "
		"\"message\": \"Method not found\"}, \"id\": \"5\"},"
		"{\"jsonrpc\": \"2.0\", \"result\": [\"hello\", 5], "
		"\"id\": \"9\"}]");
	ck_assert_int_eq(ctx.calls, 5);
	ck_assert_int_eq(ctx.notified, 1);

	/* rpc call Batch (all notifications): nothing to send */
	ck_assert_ptr_null(spec(
		"[{\"jsonrpc\": \"2.0\", \"method\": \"notify_sum\", "
		"\"params\": [1,2,4]},"
		"{\"jsonrpc\": \"2.0\", \"method\": \"notify_hello\", "
		"\"params\": [7]}]", &ctx));
	ck_assert_int_eq(ctx.notified, 3);
}
END_TEST

START_TEST(test_batch_limit)
{
	static const char call[] =
		"{\"jsonrpc\":\"2.0\",\"method\":\"notify_x\"}";
	struct spec_ctx ctx = { 0 };
	struct json_object *msg, *resp;
	char *line;
	size_t n;

	for (n = JSONRPC_MAX_BATCH; n <= JSONRPC_MAX_BATCH + 1; n++) {
		line = malloc(n * sizeof(call) + 3);
		strcpy(line, "[");
		for (size_t i = 0; i < n; i++) {
			strcat(line, call);
			strcat(line, i + 1 < n ? "," : "]");
		}
		resp = spec(line, &ctx);
		free(line);
		if (n == JSONRPC_MAX_BATCH) {
			ck_assert_ptr_null(resp);
			ck_assert_int_eq(ctx.notified, JSONRPC_MAX_BATCH);
			continue;
		}
		json_object_object_get_ex(resp, "error", &msg);
		ck_assert_str_eq(json_object_get_string(
			json_object_object_get(msg, "message")),
			"A batch of 257 requests exceeds the limit of 256.");
		ck_assert_int_eq(error_code(resp), -32600);
		ck_assert_int_eq(ctx.notified, JSONRPC_MAX_BATCH);
	}
}
END_TEST

START_TEST(test_dispatch_line_too_large)
{
	struct spec_ctx ctx = { 0 };
	char *s = malloc(JSONRPC_MAX_LINE + 1);

	memset(s, ' ', JSONRPC_MAX_LINE + 1);
	ck_assert_int_eq(error_code(jsonrpc_dispatch_line(
				 s, JSONRPC_MAX_LINE + 1, spec_handle, &ctx)),
			 KEEL_E_TOO_LARGE);
	free(s);
}
END_TEST

static int check_resp(const char *text, struct json_object **msg,
		      struct jsonrpc_resp *resp)
{
	ck_assert_int_eq(parse(text, msg), 0);
	return jsonrpc_check_response(*msg, resp);
}

/* --- what json-c lets through and keel refuses -------------------------- */

/*
 * Assert that the line of @len bytes at @text gets a parse error (id
 * null) whose message is exactly @want.
 */
#define assert_refused(text, len, want) \
	assert_refused_at(text, len, want, __LINE__)

static void assert_refused_at(const char *text, size_t len, const char *want,
			      int line)
{
	struct json_object *resp, *err, *id, *obj = (void *)1;
	const char *msg;

	ck_assert_msg(jsonrpc_parse_line(text, len, &obj) == -EINVAL,
		      "line %d: accepted %s", line, text);
	ck_assert_ptr_null(obj);
	resp = jsonrpc_dispatch_line(text, len, spec_handle, NULL);
	ck_assert_msg(json_object_object_get_ex(resp, "error", &err),
		      "line %d: no error", line);
	ck_assert(json_object_object_get_ex(resp, "id", &id));
	ck_assert_ptr_null(id);
	ck_assert_int_eq(json_object_get_int(json_object_object_get(err,
				 "code")), JSONRPC_PARSE_ERROR);
	msg = json_object_get_string(json_object_object_get(err, "message"));
	ck_assert_msg(!strcmp(msg, want), "line %d: got\n  %s\nwant\n  %s",
		      line, msg, want);
	json_object_put(resp);
}

#define refused(text, want) assert_refused(text, strlen(text), want)

START_TEST(test_utf8_refused)
{
	static const struct {
		const char *text, *want;
	} t[] = {
		{ "\"\xc0\xaf\"", "at byte 1: an overlong encoding." },
		{ "\"\xc1\xbf\"", "at byte 1: an overlong encoding." },
		{ "\"ab\xe0\x80\xaf\"", "at byte 3: an overlong encoding." },
		{ "\"\xe0\x9f\xbf\"", "at byte 1: an overlong encoding." },
		{ "\"\xf0\x80\x80\xaf\"", "at byte 1: an overlong encoding." },
		{ "\"\xf0\x8f\xbf\xbf\"", "at byte 1: an overlong encoding." },
		{ "\"\xed\xa0\x80\"",
		  "at byte 1: a UTF-16 surrogate (U+D800 to U+DFFF) encoded "
		  "as a character." },
		{ "\"\xed\xbf\xbf\"",
		  "at byte 1: a UTF-16 surrogate (U+D800 to U+DFFF) encoded "
		  "as a character." },
		{ "[\"\xed\xa0\xbd\xed\xb8\x80\"]",
		  "at byte 2: a UTF-16 surrogate (U+D800 to U+DFFF) encoded "
		  "as a character." },
		{ "\"\xf4\x90\x80\x80\"", "at byte 1: a code point above "
		  "U+10FFFF." },
		{ "\"\xf5\x80\x80\x80\"", "at byte 1: a code point above "
		  "U+10FFFF." },
		{ "\"\xf8\x88\x80\x80\x80\"", "at byte 1: a byte (0xF8 to "
		  "0xFF) that never appears in UTF-8." },
		{ "\"\xff\"", "at byte 1: a byte (0xF8 to 0xFF) that never "
		  "appears in UTF-8." },
		{ "\"a\x80\"", "at byte 2: a continuation byte where a "
		  "character should start." },
		{ "\"\xc3\"", "at byte 1: an incomplete multibyte character." },
		{ "\"\xe2\x82\"", "at byte 1: an incomplete multibyte "
		  "character." },
		{ "\"\xf0\x9f\x98\"", "at byte 1: an incomplete multibyte "
		  "character." },
		{ "\"\xe2\x82x\"", "at byte 1: an incomplete multibyte "
		  "character." },
		/* in a member name, and outside any string */
		{ "{\"k\xc0\xaf\":1}", "at byte 3: an overlong encoding." },
		{ "[1,\xed\xa0\x80]", "at byte 3: a UTF-16 surrogate (U+D800 "
		  "to U+DFFF) encoded as a character." },
	};
	char want[256];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(want, sizeof(want),
			 "The message is not valid UTF-8 %s", t[i].want);
		refused(t[i].text, want);
	}
	/* a line that ends inside a character */
	assert_refused("\"\xe2\x82", 3, "The message is not valid UTF-8 at "
		       "byte 1: an incomplete multibyte character.");
}
END_TEST

/* Parse @text, which must hold one string, and compare its bytes. */
static void assert_string(const char *text, const char *want)
{
	struct json_object *obj;

	ck_assert_msg(parse(text, &obj) == 0, "refused %s", text);
	ck_assert(json_object_is_type(obj, json_type_string));
	ck_assert_int_eq(json_object_get_string_len(obj), strlen(want));
	ck_assert_str_eq(json_object_get_string(obj), want);
	json_object_put(obj);
}

START_TEST(test_utf8_accepted)
{
	/* the edges of each length, raw and as escapes */
	assert_string("\"\xc2\x80 \xdf\xbf\"", "\xc2\x80 \xdf\xbf");
	assert_string("\"\xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbd\"",
		      "\xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbd");
	assert_string("\"\xf0\x90\x80\x80\"", "\xf0\x90\x80\x80");
	/* U+1F600, raw and as a surrogate pair (either case) */
	assert_string("\"\xf0\x9f\x98\x80\"", "\xf0\x9f\x98\x80");
	assert_string("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80");
	assert_string("\"\\uD83D\\uDE00\"", "\xf0\x9f\x98\x80");
	/* U+10FFFF, the last code point */
	assert_string("\"\xf4\x8f\xbf\xbf\"", "\xf4\x8f\xbf\xbf");
	assert_string("\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf");
	assert_string("\"\\u00e9 \xc3\xa9 \\u20ac \\uffff \\u0001\"",
		      "\xc3\xa9 \xc3\xa9 \xe2\x82\xac \xef\xbf\xbf \x01");
	/* escapes that look like surrogates' neighbours */
	assert_string("\"\\ud7ff\\ue000\"", "\xed\x9f\xbf\xee\x80\x80");
	assert_string("\"\\\\ud800\"", "\\ud800");
}
END_TEST

START_TEST(test_surrogate_escapes)
{
	static const struct {
		const char *text;
		int at;
		const char *escape;
	} t[] = {
		{ "\"\\ud800\"", 1, "\\ud800" },
		{ "\"\\uDBFF\"", 1, "\\uDBFF" },
		{ "\"\\udc00\"", 1, "\\udc00" },
		{ "\"ab\\udfff\"", 3, "\\udfff" },
		{ "\"\\ud800\\u0041\"", 1, "\\ud800" },
		{ "\"\\ud800\\ud800\"", 1, "\\ud800" },
		{ "\"\\udc00\\ud800\"", 1, "\\udc00" },
		{ "\"\\ud83dx\\ude00\"", 1, "\\ud83d" },
		{ "\"\\ud83d\\\\ude00\"", 1, "\\ud83d" },
		{ "\"\\ud83d\\ude00\\ude00\"", 13, "\\ude00" },
		{ "[\"\\ud800", 2, "\\ud800" },
		/* in a member name */
		{ "{\"\\ud800\":1}", 2, "\\ud800" },
	};
	char want[256];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(want, sizeof(want),
			 "The message is not valid JSON at byte %d: %s is an "
			 "unpaired UTF-16 surrogate; a high surrogate escape "
			 "must be followed by a low one.", t[i].at,
			 t[i].escape);
		refused(t[i].text, want);
	}
}
END_TEST

START_TEST(test_nul_refused)
{
	refused("{\"kernel\\u0000evil\": 1}",
		"A member name contains \\u0000 (at byte 8), which keel does "
		"not accept.");
	refused("{\"a\":{\"b\":[{\"\\u0000\" :1}]}}",
		"A member name contains \\u0000 (at byte 13), which keel does "
		"not accept.");
	refused("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1,"
		"\"params\":{\"name\":\"web\\u0000x\"}}",
		"The message contains a string with a NUL character (\\u0000) "
		"at byte 58, which keel does not accept.");
	/* a string followed by a colon further on is still a value */
	refused("[\"\\u0000\", {\"a\":1}]",
		"The message contains a string with a NUL character (\\u0000) "
		"at byte 2, which keel does not accept.");
}
END_TEST

START_TEST(test_duplicates_refused)
{
	char *s, want[256];
	size_t n;

	refused("{\"a\":1,\"a\":2}", "The member \"a\" appears twice in one "
		"object (again at byte 7).");
	/* the same name spelt with escapes */
	refused("{\"a\":1,\"\\u0061\":2}", "The member \"a\" appears twice in "
		"one object (again at byte 7).");
	refused("{\"\\u00e9\":1,\"\xc3\xa9\":2}", "The member \"\xc3\xa9\" "
		"appears twice in one object (again at byte 12).");
	refused("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", "The member "
		"\"\xf0\x9f\x98\x80\" appears twice in one object (again at "
		"byte 18).");
	/* at any depth, in a batch, with other members between */
	refused("{\"x\":{\"b\":1,\"c\":[2,{\"b\":1}],\"b\":3}}", "The member "
		"\"b\" appears twice in one object (again at byte 28).");
	refused("[{\"jsonrpc\":\"2.0\",\"method\":\"m\"},{\"jsonrpc\":\"2.0\","
		"\"method\":\"m\",\"method\":\"n\"}]", "The member \"method\" "
		"appears twice in one object (again at byte 62).");
	refused("[[[{\"k\":{\"k\":1,\"k\":2}}]]]", "The member \"k\" appears "
		"twice in one object (again at byte 15).");
	/* what a terminal would act on is shown escaped */
	refused("{\"\\\"\\u001b[2J\":1,\"\\\"\\u001b[2J\":2}", "The member "
		"\"\\\"\\u001b[2J\" appears twice in one object (again at byte "
		"17).");
	/* a long name is shortened */
	refused("{\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxx\":1,\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxx\":2}", "The member \"xxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\" appears "
		"twice in one object (again at byte 76).");

	/* past the objects counted without allocating */
	s = malloc(64 * 3 + 64);
	strcpy(s, "[");
	for (int i = 0; i < 64; i++)
		strcat(s, "{},");
	n = strlen(s);
	strcat(s, "{\"a\":{},\"a\":[]}]");
	snprintf(want, sizeof(want), "The member \"a\" appears twice in one "
		 "object (again at byte %zu).", n + 8);
	refused(s, want);
	free(s);

	/* 10000 members, the last one repeating the first */
	s = malloc(10001 * 16);
	strcpy(s, "{");
	n = 1;
	for (int i = 0; i < 10000; i++)
		n += (size_t)sprintf(s + n, "\"k%d\":%d,", i, i);
	n += (size_t)sprintf(s + n, "\"k0\":0}");
	snprintf(want, sizeof(want), "The member \"k0\" appears twice in one "
		 "object (again at byte %zu).", n - 7);
	refused(s, want);
	free(s);
}
END_TEST

/* @depth objects, each {"a": ...}, around @inner. */
static char *nested_objects(int depth, const char *inner)
{
	char *s = malloc(7 * depth + strlen(inner) + 1), *p = s;

	for (int i = 0; i < depth; i++)
		p += sprintf(p, "{\"a\":");
	p += sprintf(p, "%s", inner);
	for (int i = 0; i < depth; i++)
		*p++ = '}';
	*p = '\0';
	return s;
}

START_TEST(test_same_name_accepted)
{
	static const char *const ok[] = {
		"{\"a\":{\"a\":{\"a\":1}},\"b\":{\"a\":2}}",
		"[{\"a\":1},{\"a\":2},[{\"a\":3}]]",
		"{\"a\":1,\"A\":2,\"a \":3,\"\\u0061\\u0062\":4,\"ab \":5}",
		/* é precomposed and decomposed: two names */
		"{\"\\u00e9\":1,\"e\\u0301\":2}",
		"{\"a\":\"a\",\"b\":\"a\",\"c\":{\"a\":[\"a\",\"a\"]}}",
		"{\"\":1,\" \":2}",
	};
	struct json_object *obj;
	char *s;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(parse(ok[i], &obj) == 0, "refused %s", ok[i]);
		json_object_put(obj);
	}
	/*
	 * The same name at every level, down to the deepest allowed (to
	 * json-c, a member's value is one level deeper than its object).
	 */
	s = nested_objects(JSONRPC_MAX_DEPTH - 1, "1");
	ck_assert_int_eq(parse(s, &obj), 0);
	json_object_put(obj);
	free(s);
	s = nested_objects(JSONRPC_MAX_DEPTH - 2, "{\"b\":1,\"b\":2}");
	refused(s, "The member \"b\" appears twice in one object (again at "
		"byte 317).");
	free(s);
}
END_TEST

START_TEST(test_numbers_refused)
{
	static const struct {
		const char *text, *want;
	} t[] = {
		{ "NaN", "at byte 0: NaN is not a JSON number." },
		{ "[1,NaN]", "at byte 3: NaN is not a JSON number." },
		{ "{\"a\":Infinity}", "at byte 5: Infinity is not a JSON "
		  "number." },
		{ "[-Infinity]", "at byte 1: -Infinity is not a JSON number." },
		{ "[1.]", "at byte 3: a number without digits after its "
		  "decimal point." },
		{ "[1.e5]", "at byte 3: a number without digits after its "
		  "decimal point." },
		{ "[-01]", "at byte 2: a number with a leading zero." },
		{ "[00]", "at byte 1: a number with a leading zero." },
		{ "[1e]", "at byte 3: a number without digits in its "
		  "exponent." },
		{ "[1E+]", "at byte 4: a number without digits in its "
		  "exponent." },
		{ "[-.5]", "at byte 1: a minus sign without a digit after "
		  "it." },
		{ "[-]", "at byte 1: a minus sign without a digit after it." },
		/* and what json-c itself refuses */
		{ "[Nope]", "at byte 2: null expected." },
		{ "[.5]", "at byte 1: unexpected character." },
	};
	static const char *const ok[] = {
		"[0,-0,0.0,-0.0,1,-1,10,1.5,1e5,1E5,1e+5,1e-5,-0.5E-05,"
		"123456789012345678901234567890,1e400,-1e400]",
	};
	struct json_object *obj;
	char want[256];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(want, sizeof(want), "The message is not valid JSON "
			 "%s", t[i].want);
		refused(t[i].text, want);
	}
	ck_assert_int_eq(parse(ok[0], &obj), 0);
	ck_assert_int_eq(json_object_array_length(obj), 16);
	json_object_put(obj);
}
END_TEST

START_TEST(test_control_refused)
{
	refused("\"a\tb\"", "The message is not valid JSON at byte 2: the "
		"control character U+0009 must be escaped in a string "
		"(\\u0009).");
	refused("{\"a\x01\":1}", "The message is not valid JSON at byte 3: "
		"the control character U+0001 must be escaped in a string "
		"(\\u0001).");
	refused("[\"\r\"]", "The message is not valid JSON at byte 2: the "
		"control character U+000D must be escaped in a string "
		"(\\u000d).");
	/* DEL is no control character to JSON */
	assert_string("\"\x7f\\t\"", "\x7f\t");
}
END_TEST

START_TEST(test_first_problem_reported)
{
	struct json_object *obj;

	/* json-c's complaint comes first in the line */
	refused("[1,,\"\xc0\xaf\"]", "The message is not valid JSON at byte "
		"3: unexpected character.");
	/* keel's comes first */
	refused("[\"\xc0\xaf\",,1]", "The message is not valid UTF-8 at byte "
		"2: an overlong encoding.");
	refused("[NaN,,1]", "The message is not valid JSON at byte 1: NaN is "
		"not a JSON number.");
	/* a line cut short, with a fault before its end */
	refused("{\"a\":\"\\ud800\",", "The message is not valid JSON at "
		"byte 6: \\ud800 is an unpaired UTF-16 surrogate; a high "
		"surrogate escape must be followed by a low one.");
	refused("{\"a\":1,\"a\":2", "The message is not valid JSON at byte "
		"12: unexpected end of data.");
	/* only @len bytes count */
	ck_assert_int_eq(jsonrpc_parse_line("[1]\xc0\xaf", 3, &obj), 0);
	json_object_put(obj);
}
END_TEST

/* Dispatch @line and compare the response line byte for byte. */
static void assert_answer(const char *line, const char *want)
{
	struct spec_ctx ctx = { 0 };

	assert_line(spec(line, &ctx), want);
}

START_TEST(test_ids_echoed)
{
	static const char *const ids[] = {
		"1.5", "1e400", "-1e400", "1180591620717411303424", "-0", "0",
		"-0.0", "1.0", "1.5e3", "1E-2", "7",
		"123456789012345678901234567890",
		"-123456789012345678901234567890", "9223372036854775807",
		"9223372036854775808", "-9223372036854775808",
		"-9223372036854775809", "18446744073709551615",
		"18446744073709551616", "\"x\"", "null",
	};
	char line[256], want[256];

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":"
			 "\"sum\",\"params\":[1],\"id\":%s}", ids[i]);
		snprintf(want, sizeof(want), "{\"jsonrpc\":\"2.0\",\"id\":%s,"
			 "\"result\":1}\n", ids[i]);
		assert_answer(line, want);
		/* an error built from req->id */
		snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"method\":"
			 "\"foobar\",\"id\":%s}", ids[i]);
		snprintf(want, sizeof(want), "{\"jsonrpc\":\"2.0\",\"id\":%s,"
			 "\"error\":{\"code\":-32601,\"message\":\"Method not "
			 "found\"}}\n", ids[i]);
		assert_answer(line, want);
		/* an invalid request whose id is valid */
		snprintf(line, sizeof(line), "{\"jsonrpc\":\"1.0\",\"method\":"
			 "\"m\",\"id\":%s}", ids[i]);
		snprintf(want, sizeof(want), "{\"jsonrpc\":\"2.0\",\"id\":%s,"
			 "\"error\":{\"code\":-32600,\"message\":\"\\\"jsonrpc\\\""
			 " must be \\\"2.0\\\".\",\"data\":{\"field\":"
			 "\"/jsonrpc\"}}}\n", ids[i]);
		assert_answer(line, want);
	}
	/* spaces around it; its name escaped */
	assert_answer("{ \"id\" : -0 , \"jsonrpc\":\"2.0\",\"method\":\"sum\","
		      "\"params\":[1]}", "{\"jsonrpc\":\"2.0\",\"id\":-0,"
		      "\"result\":1}\n");
	assert_answer("{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1],"
		      "\"\\u0069d\":18446744073709551617}",
		      "{\"jsonrpc\":\"2.0\",\"id\":18446744073709551617,"
		      "\"result\":1}\n");
	/* each element of a batch */
	assert_answer("[{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[1],"
		      "\"id\":1.5},"
		      "{\"jsonrpc\":\"2.0\",\"method\":\"notify_x\",\"params\":"
		      "[-0]},"
		      "{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[2],"
		      "\"id\":1e400},"
		      "{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[3],"
		      "\"id\":1180591620717411303424},"
		      "{\"jsonrpc\":\"2\",\"method\":\"sum\",\"id\":-0},"
		      "{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"params\":[4],"
		      "\"id\":-0}]",
		      "[{\"jsonrpc\":\"2.0\",\"id\":1.5,\"result\":1},"
		      "{\"jsonrpc\":\"2.0\",\"id\":1e400,\"result\":2},"
		      "{\"jsonrpc\":\"2.0\",\"id\":1180591620717411303424,"
		      "\"result\":3},"
		      "{\"jsonrpc\":\"2.0\",\"id\":-0,\"error\":{\"code\":-32600,"
		      "\"message\":\"\\\"jsonrpc\\\" must be \\\"2.0\\\".\","
		      "\"data\":{\"field\":\"/jsonrpc\"}}},"
		      "{\"jsonrpc\":\"2.0\",\"id\":-0,\"result\":4}]\n");
	/* only ids keep their text; other numbers are json-c's */
	assert_answer("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":"
		      "{\"id\":-0,\"a\":[-0,{\"id\":-0}]},\"id\":-0}",
		      "{\"jsonrpc\":\"2.0\",\"id\":-0,\"result\":{\"id\":0,"
		      "\"a\":[0,{\"id\":0}]}}\n");
	assert_answer("[[{\"jsonrpc\":\"2.0\",\"method\":\"sum\",\"id\":-0}]]",
		      "[{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":"
		      "-32600,\"message\":\"A request must be a JSON "
		      "object.\"}}]\n");
}
END_TEST

START_TEST(test_response_numeric_ids)
{
	static const char *const ids[] = {
		"1.5", "1e400", "-0", "1180591620717411303424", "-2.5E-3",
	};
	char line[128];

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct json_object *msg;
		struct jsonrpc_resp r;

		snprintf(line, sizeof(line),
			 "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":1}", ids[i]);
		ck_assert_msg(check_resp(line, &msg, &r) == 0, "refused %s",
			      line);
		ck_assert_ptr_nonnull(r.id);
		ck_assert_str_eq(json_object_to_json_string(r.id), ids[i]);
		json_object_put(msg);
	}
}
END_TEST

static void __attribute__((format(printf, 3, 4)))
format_into(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

START_TEST(test_utf8_trim)
{
	static const struct {
		const char *in;
		size_t len;
	} t[] = {
		{ "", 0 },
		{ "abc", 3 },
		{ "caf\xc3\xa9", 5 },
		{ "caf\xc3", 3 },
		{ "ab\xe2\x82", 2 },
		{ "ab\xe2", 2 },
		{ "\xf0\x9f\x98", 0 },
		{ "x\xf0\x9f\x98\x80", 5 },
		{ "x\xf4\x8f\xbf", 1 },
		/* no start of a character: left for jsonrpc_error() */
		{ "ab\xff", 3 },
		{ "ab\x80", 3 },
		{ "ab\x80\x80\x80\x80", 6 },
		{ "ab\xc0", 3 },
		{ "ab\xed\xa0", 4 },
		{ "ab\xe0\x80", 4 },
		{ "ab\xf4\x90", 4 },
		{ "ab\xc3\xa9\xa9", 5 },
	};
	char buf[16];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		strcpy(buf, t[i].in);
		ck_assert_msg(json_strict_utf8_trim(buf) == t[i].len,
			      "case %zu", i);
		ck_assert_uint_eq(strlen(buf), t[i].len);
		ck_assert(!memcmp(buf, t[i].in, t[i].len));
	}
	/* what vsnprintf() leaves when it cuts "café" in its é */
	format_into(buf, 12, "domain %s", "caf\xc3\xa9");
	ck_assert_str_eq(buf, "domain caf\xc3");
	ck_assert_uint_eq(json_strict_utf8_trim(buf), 10);
	ck_assert_str_eq(buf, "domain caf");
}
END_TEST

START_TEST(test_error_message_utf8)
{
	struct json_object *msg, *back;
	size_t len;
	char *line;

	/* a message cut inside its last character loses that character */
	assert_line(jsonrpc_error(NULL, KEEL_E_NO_DOMAIN,
				  "No domain caf\xc3\xa9\xc3", NULL),
		    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":"
		    "-32001,\"message\":\"No domain caf\xc3\xa9\"}}\n");
	assert_line(jsonrpc_error_field(NULL, JSONRPC_INVALID_PARAMS,
					"x\xf0\x9f\x98", "/name"),
		    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":"
		    "-32602,\"message\":\"x\",\"data\":{\"field\":"
		    "\"/name\"}}}\n");
	/* any other invalid sequence becomes U+FFFD */
	assert_line(jsonrpc_error(NULL, KEEL_E_OPERATION_FAILED,
				  "a\xff" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe2\x82"
				  "e\xf4\x90\x80\x80" "f\x80", NULL),
		    "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":"
		    "-32007,\"message\":\"a\xef\xbf\xbd" "b\xef\xbf\xbd"
		    "\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		    "d\xef\xbf\xbd" "e\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		    "\xef\xbf\xbd" "f\xef\xbf\xbd\"}}\n");
	/* and the peer can read the answer */
	msg = jsonrpc_error(NULL, KEEL_E_OPERATION_FAILED, "\xed\xa0\x80\xc3",
			    NULL);
	line = jsonrpc_to_line(msg, &len);
	ck_assert_ptr_nonnull(line);
	ck_assert_int_eq(jsonrpc_parse_line(line, len, &back), 0);
	json_object_put(back);
	json_object_put(msg);
	free(line);
}
END_TEST

START_TEST(test_response_valid)
{
	struct json_object *msg;
	struct jsonrpc_resp r;

	ck_assert_int_eq(check_resp("{\"jsonrpc\":\"2.0\",\"id\":4,"
				    "\"result\":{\"a\":1}}", &msg, &r), 0);
	ck_assert(!r.is_error && !r.is_notification);
	ck_assert_int_eq(json_object_get_int(r.id), 4);
	ck_assert(json_object_is_type(r.result, json_type_object));
	json_object_put(msg);

	ck_assert_int_eq(check_resp("{\"jsonrpc\":\"2.0\",\"id\":\"q\","
				    "\"result\":null}", &msg, &r), 0);
	ck_assert(!r.is_error);
	ck_assert_ptr_null(r.result);
	json_object_put(msg);

	ck_assert_int_eq(check_resp("{\"jsonrpc\":\"2.0\",\"id\":null,"
				    "\"error\":{\"code\":-32001,\"message\":"
				    "\"No such domain.\",\"data\":{\"name\":"
				    "\"web\"}}}", &msg, &r), 0);
	ck_assert(r.is_error);
	ck_assert_ptr_null(r.id);
	ck_assert_int_eq(r.code, KEEL_E_NO_DOMAIN);
	ck_assert_str_eq(r.message, "No such domain.");
	ck_assert_str_eq(json_object_get_string(
		json_object_object_get(r.data, "name")), "web");
	json_object_put(msg);

	ck_assert_int_eq(check_resp("{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":"
				    "{\"code\":7,\"message\":\"\"}}", &msg,
				    &r), 0);
	ck_assert(r.is_error);
	ck_assert_ptr_null(r.data);
	json_object_put(msg);

	/* server events */
	ck_assert_int_eq(check_resp("{\"jsonrpc\":\"2.0\",\"method\":"
				    "\"event.domain\",\"params\":{\"name\":"
				    "\"web\"}}", &msg, &r), 0);
	ck_assert(r.is_notification);
	ck_assert_str_eq(r.method, "event.domain");
	ck_assert(json_object_is_type(r.params, json_type_object));
	json_object_put(msg);
	ck_assert_int_eq(check_resp("{\"jsonrpc\":\"2.0\",\"method\":\"x\"}",
				    &msg, &r), 0);
	ck_assert(r.is_notification);
	ck_assert_ptr_null(r.params);
	json_object_put(msg);
}
END_TEST

START_TEST(test_response_invalid)
{
	static const char *const bad[] = {
		"[]",
		"1",
		"{\"id\":1,\"result\":1}",
		"{\"jsonrpc\":\"1.0\",\"id\":1,\"result\":1}",
		"{\"jsonrpc\":\"2.0\",\"result\":1}",
		"{\"jsonrpc\":\"2.0\",\"id\":true,\"result\":1}",
		"{\"jsonrpc\":\"2.0\",\"id\":[1],\"result\":1}",
		"{\"jsonrpc\":\"2.0\",\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1,\"error\":"
		"{\"code\":1,\"message\":\"m\"}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":\"boom\"}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"message\":\"m\"}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":\"1\","
		"\"message\":\"m\"}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1.5,"
		"\"message\":\"m\"}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":4294967296,"
		"\"message\":\"m\"}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1}}",
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":1,"
		"\"message\":null}}",
		/* a request from the server */
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":null}",
		"{\"jsonrpc\":\"2.0\",\"method\":2}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":\"p\"}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json_object *msg;
		struct jsonrpc_resp r;

		ck_assert_msg(check_resp(bad[i], &msg, &r) == -EINVAL,
			      "accepted %s", bad[i]);
		json_object_put(msg);
	}
}
END_TEST

/* Through a line and back: what one side builds, the other reads. */
START_TEST(test_round_trip)
{
	struct json_object *params = json_object_new_object(), *msg, *back;
	struct jsonrpc_req req;
	struct jsonrpc_resp r;
	size_t len;
	char *line;

	json_object_object_add(params, "cmdline",
			       json_object_new_string("console=ttyS0\nquiet "
						      "root=/dev/vda \"x\""));
	json_object_object_add(params, "memory",
			       json_object_new_int64(1LL << 33));
	msg = jsonrpc_request("domain.create", params,
			      json_object_new_int64(INT64_MAX));
	line = jsonrpc_to_line(msg, &len);
	ck_assert_ptr_nonnull(line);
	ck_assert_ptr_eq(memchr(line, '\n', len), line + len - 1);
	ck_assert_int_eq(jsonrpc_parse_line(line, len, &back), 0);
	ck_assert(json_object_equal(msg, back));
	ck_assert_int_eq(jsonrpc_check_request(back, &req), 0);
	ck_assert_str_eq(req.method, "domain.create");
	ck_assert_int_eq(json_object_get_int64(req.id), INT64_MAX);
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
				 req.params, "cmdline")),
			 "console=ttyS0\nquiet root=/dev/vda \"x\"");
	free(line);
	json_object_put(msg);

	/* the server answers with the request's own id */
	msg = jsonrpc_error_field(req.id, KEEL_E_RESOURCE,
				  "Not enough memory for 8 GiB.", "/memory");
	json_object_put(back);
	line = jsonrpc_to_line(msg, &len);
	ck_assert_int_eq(jsonrpc_parse_line(line, len, &back), 0);
	ck_assert_int_eq(jsonrpc_check_response(back, &r), 0);
	ck_assert(r.is_error);
	ck_assert_int_eq(json_object_get_int64(r.id), INT64_MAX);
	ck_assert_int_eq(r.code, KEEL_E_RESOURCE);
	ck_assert_str_eq(jsonrpc_error_name(r.code), "resource");
	ck_assert_str_eq(json_object_get_string(json_object_object_get(
				 r.data, "field")), "/memory");
	free(line);
	json_object_put(msg);
	json_object_put(back);

	/* a notification (event) from the server */
	msg = jsonrpc_request("event.domain", json_object_new_array(), NULL);
	line = jsonrpc_to_line(msg, &len);
	ck_assert_int_eq(jsonrpc_parse_line(line, len, &back), 0);
	ck_assert_int_eq(jsonrpc_check_response(back, &r), 0);
	ck_assert(r.is_notification);
	ck_assert_str_eq(r.method, "event.domain");
	free(line);
	json_object_put(msg);
	json_object_put(back);
}
END_TEST

/* Framing (jsonrpc_frame.h): both flavours must say the same. */

/*
 * Feed @text (@len bytes) to a reader @chunk bytes at a time, taking
 * lines as they complete, and return them joined by "|" (a too-large
 * line reads "E2BIG" and stops the reader; a line of 64 bytes or more
 * reads "<LENGTH>") in @out. The byte buffer and the evbuffer flavour
 * must agree at every step.
 */
static void frame_feed(const char *text, size_t len, size_t chunk,
		       char *out, size_t size)
{
	struct jsonrpc_frame bf = JSONRPC_FRAME_INIT, ef = JSONRPC_FRAME_INIT;
	struct evbuffer *ev = evbuffer_new();
	char *buf = malloc(len + 1);
	size_t have = 0, fed = 0;
	bool stopped = false;

	ck_assert_ptr_nonnull(ev);
	ck_assert_ptr_nonnull(buf);
	out[0] = '\0';
	while (fed < len && !stopped) {
		size_t n = len - fed < chunk ? len - fed : chunk;
		ssize_t b, e;

		memcpy(buf + have, text + fed, n);
		have += n;
		ck_assert_int_eq(evbuffer_add(ev, text + fed, n), 0);
		fed += n;
		for (;;) {
			char *line;
			size_t ll;
			int rc;

			b = jsonrpc_frame_next(&bf, buf, have);
			e = jsonrpc_frame_next_ev(&ef, ev);
			ck_assert_int_eq(b, e);
			if (b == 0)
				break;
			if (b < 0) {
				ck_assert_int_eq(b, -E2BIG);
				snprintf(out + strlen(out), size - strlen(out),
					 "%sE2BIG", *out ? "|" : "");
				ck_assert_int_eq(jsonrpc_frame_take_ev(
							 NULL, ev, &line, &ll),
						 -E2BIG);
				stopped = true;
				break;
			}
			ck_assert_uint_le((size_t)b, JSONRPC_MAX_LINE);
			ck_assert_int_eq(buf[b - 1], '\n');
			if ((size_t)b < 64)
				snprintf(out + strlen(out), size - strlen(out),
					 "%s%.*s", *out ? "|" : "",
					 (int)b - 1, buf);
			else
				snprintf(out + strlen(out), size - strlen(out),
					 "%s<%zd>", *out ? "|" : "", b);
			memmove(buf, buf + b, have - (size_t)b);
			have -= (size_t)b;
			/* The evbuffer's line, taken the other way. */
			rc = jsonrpc_frame_take_ev(NULL, ev, &line, &ll);
			ck_assert_int_eq(rc, 1);
			ck_assert_uint_eq(ll, (size_t)b);
			ck_assert_int_eq(line[ll], '\0');
			free(line);
		}
	}
	/* Both hold the same bytes not taken. */
	ck_assert_uint_eq(evbuffer_get_length(ev), have);
	evbuffer_free(ev);
	free(buf);
}

/* Lines that arrive in pieces, several in one read, or half at the end. */
START_TEST(test_frame_split)
{
	static const char text[] = "{\"a\":1}\n\n{\"b\":[1,\n2]}\n{\"c\"";
	static const size_t chunks[] = { 1, 2, 3, 7, 64 };
	char out[256];

	for (size_t i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		frame_feed(text, sizeof(text) - 1, chunks[i], out, sizeof(out));
		ck_assert_msg(strcmp(out, "{\"a\":1}||{\"b\":[1,|2]}") == 0,
			      "chunk %zu: %s", chunks[i], out);
	}
}
END_TEST

/* CRLF: the "\r" is part of the line, and the parser takes it. */
START_TEST(test_frame_crlf)
{
	static const char text[] = "{\"id\":1}\r\n\r\n";
	struct jsonrpc_frame f = JSONRPC_FRAME_INIT;
	struct json_object *msg = NULL;
	ssize_t n;

	n = jsonrpc_frame_next(&f, text, sizeof(text) - 1);
	ck_assert_int_eq(n, 10);
	ck_assert_int_eq(jsonrpc_parse_line(text, (size_t)n, &msg), 0);
	assert_json(msg, "{\"id\":1}");
	/* A line of "\r" alone is an empty line: the parser refuses it. */
	n = jsonrpc_frame_next(&f, text + 10, 2);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(jsonrpc_parse_line(text + 10, 2, &msg), -EINVAL);
}
END_TEST

/*
 * The limit, newline included: a line of exactly JSONRPC_MAX_LINE bytes
 * is taken, one byte more is too large whether or not its newline has
 * come, and JSONRPC_MAX_LINE bytes with no newline are too large at
 * once (the reader must not wait for more).
 */
START_TEST(test_frame_limit)
{
	size_t max = JSONRPC_MAX_LINE;
	char *s = malloc(max + 2), out[256];
	struct jsonrpc_frame f = JSONRPC_FRAME_INIT;

	ck_assert_ptr_nonnull(s);
	memset(s, ' ', max + 1);
	s[max + 1] = '\n';

	/* Exactly at the limit. */
	s[max - 1] = '\n';
	frame_feed(s, max, 4096, out, sizeof(out));
	ck_assert_str_eq(out, "<1048576>");
	ck_assert_int_eq(jsonrpc_frame_next(NULL, s, max), (ssize_t)max);
	/* With more behind it: still only the line. */
	ck_assert_int_eq(jsonrpc_frame_next(NULL, s, max + 2), (ssize_t)max);

	/* One over, newline there or not yet. */
	s[max - 1] = ' ';
	frame_feed(s, max + 2, 4096, out, sizeof(out));
	ck_assert_str_eq(out, "E2BIG");
	ck_assert_int_eq(jsonrpc_frame_next(NULL, s, max + 2), -E2BIG);
	ck_assert_int_eq(jsonrpc_frame_next(NULL, s, max), -E2BIG);
	ck_assert_int_eq(jsonrpc_frame_end(NULL, (ssize_t)max, max + 1),
			 -E2BIG);
	ck_assert_int_eq(jsonrpc_frame_next(NULL, s, max - 1), 0);

	/* Searched in steps, as reads come: the same verdicts. */
	for (size_t have = 0; have < max; have += 65536)
		ck_assert_int_eq(jsonrpc_frame_next(&f, s, have), 0);
	ck_assert_uint_gt(f.scanned, 0);
	ck_assert_int_eq(jsonrpc_frame_next(&f, s, max), -E2BIG);
	ck_assert_uint_eq(f.scanned, 0);
	free(s);
}
END_TEST

/*
 * A NUL is no terminator: the line runs to its newline and the parser
 * refuses it, and the line after it is found intact.
 */
START_TEST(test_frame_nul)
{
	static const char text[] = "{\"a\":\"x\0y\"}\n{\"b\":2}\n";
	struct json_object *msg = NULL;
	char out[256];
	ssize_t n;

	n = jsonrpc_frame_next(NULL, text, sizeof(text) - 1);
	ck_assert_int_eq(n, 12);
	ck_assert_int_eq(jsonrpc_parse_line(text, (size_t)n, &msg), -EINVAL);
	n = jsonrpc_frame_next(NULL, text + 12, sizeof(text) - 1 - 12);
	ck_assert_int_eq(n, 8);
	ck_assert_int_eq(jsonrpc_parse_line(text + 12, (size_t)n, &msg), 0);
	assert_json(msg, "{\"b\":2}");
	frame_feed(text, sizeof(text) - 1, 5, out, sizeof(out));
	ck_assert_str_eq(out, "{\"a\":\"x|{\"b\":2}");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("jsonrpc");
	TCase *build = tcase_create("build and serialise");
	TCase *parsing = tcase_create("parse");
	TCase *server = tcase_create("server");
	TCase *client = tcase_create("client");
	TCase *strict = tcase_create("strict");
	TCase *framing = tcase_create("framing");

	tcase_add_test(build, test_error_names);
	tcase_add_test(build, test_build_request);
	tcase_add_test(build, test_build_result);
	tcase_add_test(build, test_build_error);
	tcase_add_test(build, test_to_line_escapes);
	tcase_add_test(build, test_to_line_refuses);
	suite_add_tcase(s, build);
	tcase_add_test(parsing, test_parse_ok);
	tcase_add_test(parsing, test_parse_errors);
	tcase_add_test(parsing, test_parse_depth);
	tcase_add_test(parsing, test_parse_too_long);
	suite_add_tcase(s, parsing);
	tcase_add_test(server, test_request_valid);
	tcase_add_test(server, test_request_invalid);
	tcase_add_test(server, test_request_messages);
	tcase_add_test(server, test_spec_calls);
	tcase_add_test(server, test_spec_errors);
	tcase_add_test(server, test_spec_batches);
	tcase_add_test(server, test_batch_limit);
	tcase_add_test(server, test_dispatch_line_too_large);
	suite_add_tcase(s, server);
	tcase_add_test(client, test_response_valid);
	tcase_add_test(client, test_response_invalid);
	tcase_add_test(client, test_round_trip);
	tcase_add_test(client, test_response_numeric_ids);
	suite_add_tcase(s, client);
	tcase_add_test(strict, test_utf8_refused);
	tcase_add_test(strict, test_utf8_accepted);
	tcase_add_test(strict, test_surrogate_escapes);
	tcase_add_test(strict, test_nul_refused);
	tcase_add_test(strict, test_duplicates_refused);
	tcase_add_test(strict, test_same_name_accepted);
	tcase_add_test(strict, test_numbers_refused);
	tcase_add_test(strict, test_control_refused);
	tcase_add_test(strict, test_first_problem_reported);
	tcase_add_test(strict, test_ids_echoed);
	tcase_add_test(strict, test_utf8_trim);
	tcase_add_test(strict, test_error_message_utf8);
	suite_add_tcase(s, strict);
	tcase_add_test(framing, test_frame_split);
	tcase_add_test(framing, test_frame_crlf);
	tcase_add_test(framing, test_frame_limit);
	tcase_add_test(framing, test_frame_nul);
	suite_add_tcase(s, framing);
	return s;
}
