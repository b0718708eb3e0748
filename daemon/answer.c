// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What keeld answers a client's line (conn.h): each request handled by
 * methods_handle() within the limits on a line's answers; a batch
 * answered request by request over several turns, its answers kept as
 * text; and deferred answers (server.h, server_defer), each put in the
 * place of its marker in the line's answer, which is sent once nothing
 * in it is owed any more. server.c reads the lines and writes what this
 * file makes of them.
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "conn.h"
#include "jsonrpc.h"
#include "methods.h"
#include "monotime.h"
#include "server.h"

void pending_unlink(struct pending *p)
{
	if (!p->conn)
		return;
	if (p->prev)
		p->prev->next = p->next;
	else
		p->conn->pendings = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->conn = NULL;
}

/*
 * The deferred requests of the line being answered will not be mapped
 * into an answer: drop their answers, now or when they come.
 */
void conn_drop_line_replies(struct conn *c)
{
	struct reply *r, *next;

	for (r = c->line_replies; r; r = next) {
		next = r->line_next;
		if (r->early) {
			json_object_put(r->early);
			json_object_put(r->id);
			free(r);
			continue;
		}
		r->mapped = true;
		r->pending = NULL;
		if (c->holder == r)
			c->holder = NULL;
	}
	c->line_replies = NULL;
}

/* Forget the batch under way, if any. */
void conn_batch_drop(struct conn *c)
{
	json_object_put(c->batch);
	json_object_put(c->batch_resp);
	c->batch = c->batch_resp = NULL;
	c->batch_next = 0;
	c->batch_cost = 0;
}

/*
 * The handler for @c's requests: methods_handle(), unless the answers
 * to the line so far are too long to be sent anyway. The answers to a
 * batch are measured as they are made, so that one line cannot make
 * keeld build many megabytes of answers only to refuse them.
 */
struct json_object *conn_handle(void *ctx, const struct jsonrpc_req *req)
{
	struct conn *c = ctx;
	struct json_object *resp;
	size_t len;

	if (c->line_out >= JSONRPC_MAX_LINE ||
	    evbuffer_get_length(c->out) + c->line_out > SERVER_MAX_OUTPUT)
		return jsonrpc_error(req->id, KEEL_E_TOO_LARGE,
				     "The answers to this line would be longer than keel allows; send fewer requests at a time, and read the answers.",
				     NULL);
	if (req->in_batch && !conn_account(c))
		return jsonrpc_error(req->id, KEEL_E_RESOURCE,
				     "keeld's memory for clients' buffers is used up (client_memory); the request was not run.",
				     NULL);
	resp = methods_handle(&c->caller, req);
	if (resp && req->in_batch && !jsonrpc_is_deferred(resp) &&
	    json_object_to_json_string_length(
		    resp,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		    &len))
		c->line_out += len + 1;
	return resp;
}

/*
 * @ans (owned) as it will be sent, kept as its text only: a batch's
 * answers wait for the last one, and as objects they would take
 * several times their size. Returns @ans itself if that fails.
 */
static struct json_object *answer_as_text(struct json_object *ans)
{
	struct json_object *raw;
	const char *text;
	size_t len;
	char *copy;

	text = json_object_to_json_string_length(
		ans, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		&len);
	copy = text ? strndup(text, len) : NULL;
	raw = copy ? json_object_new_int(0) : NULL;
	if (!raw) {
		free(copy);
		return ans;
	}
	json_object_set_serializer(raw, json_object_userdata_to_json_string,
				   copy, json_object_free_userdata);
	json_object_put(ans);
	return raw;
}

/*
 * If @line is a batch keel would answer request by request, take it as
 * @c's batch under way (conn_batch_step() answers it). False for
 * anything else, jsonrpc_dispatch_line()'s to answer: a single
 * request, a line that does not parse, an empty or too long batch.
 */
bool conn_batch_start(struct conn *c, const char *line, size_t len)
{
	struct json_object *msg;
	size_t i = 0, n;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i == len || line[i] != '[' || jsonrpc_parse_line(line, len, &msg))
		return false;
	n = jsonrpc_is_batch(msg) ? json_object_array_length(msg) : 0;
	if (n == 0 || n > JSONRPC_MAX_BATCH ||
	    !(c->batch_resp = json_object_new_array_ext((int)n))) {
		json_object_put(msg);
		return false;
	}
	c->batch = msg;
	c->batch_next = 0;
	c->batch_cost = PARSED_COST * len;
	return true;
}

/*
 * Answer requests of @c's batch under way until it is done (true), or
 * the turn is over at @turn_end or @c is closing (false). Each request
 * is dispatched as a batch of one, so that jsonrpc_dispatch() applies
 * the rules of a batch's member, and its answer (or marker) is moved to
 * the batch's.
 * Once the answers pass JSONRPC_MAX_LINE, the rest is not run: the
 * answer can only be KEEL_E_TOO_LARGE.
 */
bool conn_batch_step(struct conn *c, long long turn_end)
{
	size_t n = json_object_array_length(c->batch);

	while (c->batch_next < n) {
		struct json_object *one = json_object_new_array_ext(1);
		struct json_object *req, *resp = NULL, *ans;

		req = json_object_array_get_idx(c->batch, c->batch_next++);
		if (one && !json_object_array_add(one, json_object_get(req)))
			resp = jsonrpc_dispatch(one, conn_handle, c);
		json_object_put(one);
		ans = resp ? json_object_array_get_idx(resp, 0) : NULL;
		json_object_get(ans);
		json_object_put(resp);
		if (ans && !jsonrpc_is_deferred(ans))
			ans = answer_as_text(ans);
		if (ans && json_object_array_add(c->batch_resp, ans))
			json_object_put(ans);
		if (c->line_out >= JSONRPC_MAX_LINE)
			c->batch_next = n;
		/* Dropped meanwhile (by a broadcast), or its turn is over. */
		if (c->batch_next < n &&
		    (c->closing || c->turn_out >= CONN_WRITE_BATCH ||
		     (long long)monotime_us() >= turn_end))
			return false;
	}
	return true;
}

/* The answer to @c's finished batch (NULL: only notifications). */
struct json_object *conn_batch_finish(struct conn *c)
{
	struct json_object *resp = c->batch_resp;

	c->batch_resp = NULL;
	conn_batch_drop(c);
	if (c->line_out >= JSONRPC_MAX_LINE) {
		/* What conn_send() would make of it, without building it. */
		json_object_put(resp);
		conn_drop_line_replies(c);
		return jsonrpc_error(NULL, KEEL_E_TOO_LARGE,
				     "The response would be longer than the largest message keel allows.",
				     NULL);
	}
	if (json_object_array_length(resp) == 0) {
		json_object_put(resp);
		return NULL;
	}
	return resp;
}

/*
 * Send @p's answer once nothing in it is deferred any more. Returns
 * false when that dropped its client.
 */
static bool pending_done(struct pending *p)
{
	struct conn *c = p->conn;
	bool alive = true;

	pending_unlink(p);
	if (c)
		alive = conn_send(c, p->resp);
	else
		json_object_put(p->resp);
	free(p);
	return alive;
}

struct json_object *reply_id(const struct reply *r)
{
	return r->id;
}

/* @r held its connection's requests: read them again. */
static void conn_release(struct conn *c)
{
	c->holder = NULL;
	/* A conn_serve() under way reads on by itself. */
	if (c->closing || c->serving)
		return;
	conn_read_start(c);
	/* Requests that arrived meanwhile are in the buffer already. */
	conn_serve(c);
}

void reply_send(struct reply *r, struct json_object *resp)
{
	struct pending *p = r->pending;
	struct conn *held = p && p->conn && p->conn->holder == r ? p->conn :
								   NULL;

	if (!r->mapped) {
		json_object_put(r->early);
		r->early = resp;
		return;
	}
	if (!p) {
		json_object_put(resp);
	} else {
		if (!resp)
			resp = jsonrpc_error(r->id, JSONRPC_INTERNAL_ERROR, NULL,
					     NULL);
		if (r->index == REPLY_WHOLE) {
			json_object_put(p->resp);
			p->resp = resp;
		} else {
			json_object_array_put_idx(p->resp, r->index, resp);
		}
		/* It may drop a client that does not read: @held is gone. */
		if (--p->outstanding == 0 && !pending_done(p))
			held = NULL;
	}
	json_object_put(r->id);
	free(r);
	if (held && held->holder == r)
		conn_release(held);
}

struct reply *server_defer(struct methods_caller *caller,
			   const struct jsonrpc_req *req)
{
	struct conn *c = (struct conn *)((char *)caller -
					 offsetof(struct conn, caller));
	struct reply *r = calloc(1, sizeof(*r)), **pp;

	if (!r)
		return NULL;
	r->id = json_object_get(req->id);
	r->notification = req->is_notification;
	/* Kept in request order: the batch's markers are in that order. */
	for (pp = &c->line_replies; *pp; pp = &(*pp)->line_next)
		;
	*pp = r;
	return r;
}

/* Put @answer (owned) in the place of a marker of @resp. */
static struct json_object *put_answer(struct json_object *resp, size_t index,
				      struct json_object *answer)
{
	if (index == REPLY_WHOLE) {
		json_object_put(resp);
		return answer;
	}
	json_object_array_put_idx(resp, index, answer);
	return resp;
}

/*
 * After a line's dispatch: give each reply deferred during it the place
 * of its marker in @resp (markers are in request order, as the replies
 * are), fill in what was answered already, and return what to send
 * now: @resp when nothing in it is still owed, else NULL (the last
 * reply_send() sends it).
 */
struct json_object *conn_map_replies(struct conn *c, struct json_object *resp)
{
	struct reply *head = c->line_replies, *r, *next;
	bool whole = jsonrpc_is_deferred(resp);
	size_t i = 0, n = 0;
	struct pending *p;

	c->line_replies = NULL;
	if (!head)
		return resp;
	if (resp && json_object_is_type(resp, json_type_array))
		n = json_object_array_length(resp);
	p = (whole || n) ? calloc(1, sizeof(*p)) : NULL;
	for (r = head; r; r = next) {
		next = r->line_next;
		r->mapped = true;
		r->index = REPLY_WHOLE;
		if (!r->notification && !whole) {
			while (i < n && !jsonrpc_is_deferred(
						json_object_array_get_idx(resp, i)))
				i++;
			r->index = i < n ? i++ : REPLY_WHOLE;
		}
		if (c->holder == r &&
		    (r->early || r->notification || !p ||
		     (!whole && r->index == REPLY_WHOLE))) {
			/* Answered already, or never to be: read on. */
			c->holder = NULL;
			conn_read_start(c);
		}
		if (r->notification || (!whole && r->index == REPLY_WHOLE)) {
			/* Nobody waits for it: dropped when answered. */
			if (r->early)
				reply_send(r, NULL);
			continue;
		}
		if (r->early) {
			/* Answered already: in place now, and done. */
			resp = put_answer(resp, r->index, r->early);
			json_object_put(r->id);
			free(r);
			continue;
		}
		if (!p) {
			/* Out of memory: the answer, when it comes, is lost. */
			resp = put_answer(resp, r->index,
					  jsonrpc_error(r->id, KEEL_E_RESOURCE,
							"keeld ran out of memory.",
							NULL));
			continue;
		}
		r->pending = p;
		p->outstanding++;
	}
	if (!p || !p->outstanding) {
		free(p);
		return resp;
	}
	p->conn = c;
	p->resp = resp;
	p->next = c->pendings;
	if (c->pendings)
		c->pendings->prev = p;
	c->pendings = p;
	return NULL;
}
