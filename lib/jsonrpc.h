/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_JSONRPC_H
#define KEEL_JSONRPC_H

/*
 * The JSON-RPC 2.0 message layer shared by keeld, libkeel and keel-hv's
 * control socket. Framing is one JSON value (an object, or a batch
 * array) per line, terminated by "\n". This module does no I/O: it
 * builds, serialises, parses and checks messages; the callers move the
 * bytes (libevent evbuffers).
 */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "keel.h"

/*
 * The longest line either side sends or accepts, newline included, on
 * every JSON-RPC stream keel has (keeld's API, keel-hv's control
 * socket). A reader that has buffered this many bytes without finding a
 * newline cannot find the next message boundary: a server answers
 * KEEL_E_TOO_LARGE with id null and closes the connection, a client
 * closes it. jsonrpc_frame.h applies it for every reader.
 */
#define JSONRPC_MAX_LINE (1024 * 1024)

/* Deepest nesting of arrays and objects accepted in a message. */
#define JSONRPC_MAX_DEPTH 64

/* Most requests accepted in one batch. */
#define JSONRPC_MAX_BATCH 256

/* Error codes defined by the JSON-RPC 2.0 specification. */
#define JSONRPC_PARSE_ERROR -32700	/* the line is not valid JSON */
#define JSONRPC_INVALID_REQUEST -32600	/* valid JSON, not a valid request */
#define JSONRPC_METHOD_NOT_FOUND -32601
#define JSONRPC_INVALID_PARAMS -32602
#define JSONRPC_INTERNAL_ERROR -32603

/*
 * keel's own codes (KEEL_E_NO_DOMAIN, ...) are enum keel_error_code in
 * keel.h, the one list: the range the specification reserves for the
 * server, documented in schemas/ and the man pages; never renumbered.
 * Each error's message says what happened in words; its data, when
 * present, is an object (e.g. {"field": "/name"} for the parameter at
 * fault).
 */

/*
 * A stable short name for @code ("parse-error", "no-domain", ...), for
 * logs, the CLI and scripts; "unknown" for a code keel does not define.
 */
const char *jsonrpc_error_name(int code);

/*
 * The default message for @code ("no such domain", ...): used by
 * jsonrpc_error() when it is given no message. "unknown error" for a
 * code keel does not define.
 */
const char *jsonrpc_error_message(int code);

/*
 * Builders. Each returns a new object (the caller owns one reference)
 * or NULL when out of memory; arguments documented as owned are
 * released even on failure.
 */

/*
 * A request for @method with @params (owned; an object, an array, or
 * NULL to omit it) and @id (owned; NULL makes it a notification).
 */
struct json_object *jsonrpc_request(const char *method,
				    struct json_object *params,
				    struct json_object *id);

/*
 * A success response. @id is borrowed (a reference is taken; NULL is
 * JSON null), typically jsonrpc_req.id; @result is owned (NULL is JSON
 * null).
 */
struct json_object *jsonrpc_result(struct json_object *id,
				   struct json_object *result);

/*
 * An error response. @id is borrowed as for jsonrpc_result(); @message
 * is copied (NULL means jsonrpc_error_message(@code)); @data is owned
 * and may be NULL to omit it. The message sent is always valid UTF-8:
 * an incomplete character at its end (a message vsnprintf() cut short)
 * is dropped, and any other invalid sequence becomes U+FFFD.
 */
struct json_object *jsonrpc_error(struct json_object *id, int code,
				  const char *message,
				  struct json_object *data);

/*
 * An error response whose data is {"field": @field}, @field being the
 * JSON Pointer of the parameter at fault ("/name", "/disks/0/path").
 */
struct json_object *jsonrpc_error_field(struct json_object *id, int code,
					const char *message,
					const char *field);

/*
 * Serialise @msg as one line: compact JSON followed by "\n", with no
 * other newline in it. Returns a malloc'd NUL-terminated string and
 * stores its length (newline included, NUL excluded) in @len, or
 * returns NULL with errno set: EMSGSIZE when the line would exceed
 * JSONRPC_MAX_LINE (a server then answers KEEL_E_TOO_LARGE instead),
 * EINVAL when @msg serialises with a newline (a custom serializer),
 * ENOMEM.
 */
char *jsonrpc_to_line(struct json_object *msg, size_t *len);

/*
 * Parse one received line of @len bytes (a trailing "\r\n" or "\n" and
 * other surrounding whitespace are allowed) into *@out, which the caller
 * then owns (NULL for a line holding JSON null, which is valid JSON but
 * no valid message). Accepts exactly one RFC 8259 JSON value: returns
 * -EINVAL for invalid JSON (NaN, Infinity, "1.", "-01" and raw control
 * characters in strings included), anything but RFC 3629 UTF-8, a
 * surrogate escape that is not a high one followed by a low one, a NUL
 * byte in the line, "\u0000" in a string or a member name, a member
 * name twice in one object (however escaped), data after the value,
 * nesting deeper than JSONRPC_MAX_DEPTH, or an empty line; -E2BIG when
 * @len exceeds JSONRPC_MAX_LINE; -ENOMEM. A server answers -EINVAL with
 * JSONRPC_PARSE_ERROR and -E2BIG with KEEL_E_TOO_LARGE, id null
 * (jsonrpc_dispatch_line() does this, with a message saying what is
 * wrong and at which byte). An integer "id" of the message, or of each
 * object of a batch, that json-c cannot hold as sent (-0, beyond 64
 * bits) keeps its text: serialising it writes the number as sent.
 */
int jsonrpc_parse_line(const char *line, size_t len, struct json_object **out);

/* A message as the server sees it. Pointers are borrowed from the message. */
struct jsonrpc_req {
	const char *method;
	struct json_object *params;	/* object or array; NULL if absent */
	/*
	 * A string or any number, NULL for JSON null or a notification.
	 * Responses built with it carry the id exactly as the peer sent
	 * it (see jsonrpc_parse_line()).
	 */
	struct json_object *id;
	bool is_notification;		/* no "id" member: send no response */
	bool in_batch;			/* an element of a batch */
	/* Set when jsonrpc_check_request() fails: */
	const char *error;		/* static message */
	const char *error_field;	/* static JSON Pointer, or NULL */
};

/*
 * Check that @msg is a valid request object and fill @req. Returns 0,
 * or JSONRPC_INVALID_REQUEST with req->error saying why, req->error_field
 * naming the member at fault, and req->id set when the id itself was
 * valid (it is NULL otherwise, so the error response carries id null).
 * Members other than jsonrpc, method, params and id are rejected, so
 * that a misspelt "params" is not silently ignored.
 */
int jsonrpc_check_request(struct json_object *msg, struct jsonrpc_req *req);

/*
 * The error response for a request jsonrpc_check_request() rejected
 * with @code; always built, even for a message without an id, as the
 * specification requires. NULL when out of memory.
 */
struct json_object *jsonrpc_request_error(const struct jsonrpc_req *req,
					  int code);

/* True when @msg is a batch (a JSON array). */
bool jsonrpc_is_batch(struct json_object *msg);

/*
 * A server's method dispatcher. Called for each valid request; returns
 * the response (owned by the caller; built with jsonrpc_result() or
 * jsonrpc_error() using req->id), or NULL if there is nothing to send.
 * For a notification, whatever it returns is discarded. A handler that
 * answers later returns jsonrpc_deferred(): the marker takes the
 * response's place (alone, or in the batch array) and the server
 * replaces it when the answer is ready.
 */
typedef struct json_object *(*jsonrpc_handler_fn)(void *ctx,
						  const struct jsonrpc_req *req);

/* A new marker for an answer that comes later (owned by the caller). */
struct json_object *jsonrpc_deferred(void);

/* True when @o is such a marker. */
bool jsonrpc_is_deferred(struct json_object *o);

/*
 * Answer @msg (borrowed), a single message or a batch, calling @handle
 * for each valid request. Returns what to send: a response object, a
 * batch response array, or NULL when there is nothing to send (only
 * notifications). Following the specification, an empty batch or one
 * longer than JSONRPC_MAX_BATCH gets a single JSONRPC_INVALID_REQUEST
 * error (not an array), an invalid element gets its own error in the
 * array, and a handler that returns NULL for a request is answered with
 * JSONRPC_INTERNAL_ERROR.
 */
struct json_object *jsonrpc_dispatch(struct json_object *msg,
				     jsonrpc_handler_fn handle, void *ctx);

/*
 * Parse one received line and answer it as jsonrpc_dispatch() does;
 * an unparsable line gets a JSONRPC_PARSE_ERROR (or KEEL_E_TOO_LARGE)
 * response with id null whose message says what is wrong.
 */
struct json_object *jsonrpc_dispatch_line(const char *line, size_t len,
					  jsonrpc_handler_fn handle,
					  void *ctx);

/* A message as the client sees it. Pointers are borrowed from the message. */
struct jsonrpc_resp {
	bool is_notification;		/* an event: method and params set */
	const char *method;
	struct json_object *params;	/* object or array; NULL if absent */
	struct json_object *id;		/* string or number; NULL: null */
	bool is_error;
	struct json_object *result;	/* when !is_error; NULL is JSON null */
	int code;			/* when is_error */
	const char *message;		/* when is_error */
	struct json_object *data;	/* when is_error; NULL if absent */
};

/*
 * Check a message a client received (one element, for a batch) and
 * fill @resp: either a response (result or error) or a server
 * notification (a method and no id). Returns 0, or -EINVAL when it is
 * neither: jsonrpc not "2.0", an id that is not a string, a number or
 * null, both or neither of result and error, an error without an
 * integer code or a string message, a notification with params that
 * are not structured, or a request from the server (a method with an
 * id), which keel's servers never send.
 */
int jsonrpc_check_response(struct json_object *msg, struct jsonrpc_resp *resp);

#endif /* KEEL_JSONRPC_H */
