// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The JSON-RPC 2.0 message layer (lib/jsonrpc.c): builders, line
 * framing, parse errors, request and response checks, and the
 * specification's own examples run through jsonrpc_dispatch_line().
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
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
	ck_assert_str_eq(jsonrpc_error_message(KEEL_ERR_NO_DOMAIN),
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
	assert_line(jsonrpc_error(id, KEEL_ERR_INVALID_STATE,
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
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1.5}", "/id",
		  false },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1.0}", "/id",
		  false },
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

	check_req("{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"id\":1.5}", &msg,
		  &req);
	ck_assert_str_eq(req.error,
			 "\"id\" must be a string, an integer or null.");
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
			 KEEL_ERR_TOO_LARGE);
	free(s);
}
END_TEST

static int check_resp(const char *text, struct json_object **msg,
		      struct jsonrpc_resp *resp)
{
	ck_assert_int_eq(parse(text, msg), 0);
	return jsonrpc_check_response(*msg, resp);
}

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
	ck_assert_int_eq(r.code, KEEL_ERR_NO_DOMAIN);
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
		"{\"jsonrpc\":\"2.0\",\"id\":1.5,\"result\":1}",
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
	msg = jsonrpc_error_field(req.id, KEEL_ERR_RESOURCE,
				  "Not enough memory for 8 GiB.", "/memory");
	json_object_put(back);
	line = jsonrpc_to_line(msg, &len);
	ck_assert_int_eq(jsonrpc_parse_line(line, len, &back), 0);
	ck_assert_int_eq(jsonrpc_check_response(back, &r), 0);
	ck_assert(r.is_error);
	ck_assert_int_eq(json_object_get_int64(r.id), INT64_MAX);
	ck_assert_int_eq(r.code, KEEL_ERR_RESOURCE);
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

Suite *unit_suite(void)
{
	Suite *s = suite_create("jsonrpc");
	TCase *build = tcase_create("build and serialise");
	TCase *parsing = tcase_create("parse");
	TCase *server = tcase_create("server");
	TCase *client = tcase_create("client");

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
	suite_add_tcase(s, client);
	return s;
}
