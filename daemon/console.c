// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * domain.open_console and the relays it creates (console.h, docs/console.md).
 *
 * A relay starts held: the client's connection reads no more requests
 * (server_hold) while keeld connects to DIR/console.sock and passes the
 * request on. keel-hv's answer line becomes the JSON-RPC answer; on
 * success reply_send_stream() takes the connection out of the server
 * and from then on bytes are only copied. keeld never looks inside the
 * frames: keel-hv enforces the roles, and keeld only decides what a
 * client may ask for (view only on the read-only socket).
 *
 * A relay keeps the place its client had in keeld's limits (admit.h):
 * it counts as a connection of the client's uid, and what its buffers
 * may hold (RELAY_CHARGE) is counted in the clients' budget from the
 * handover on. A client that would not fit is refused before keeld
 * connects to keel-hv.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "admit.h"
#include "console.h"
#include "handlers.h"
#include "hv_proto.h"
#include "jsonrpc.h"
#include "jsonrpc_frame_ev.h"
#include "keeld.h"
#include "lifecycle.h"
#include "log.h"
#include "methods.h"
#include "registry.h"
#include "server.h"

/* Unsent bytes a relay holds per direction before it stops reading. */
#define RELAY_HIGH (256 * 1024)
/*
 * What a relay's buffers hold at most: RELAY_HIGH each way, plus what
 * one read adds before relay_copy() stops reading.
 */
#define RELAY_CHARGE (2 * (RELAY_HIGH + 64 * 1024))

/*
 * How often keeld tries again to reach the console of a domain whose
 * keel-hv is still starting (its socket may not exist yet), and for at
 * most how long: keel-hv makes its sockets before it reads the kernel.
 */
#define RELAY_RETRY_MS 50
#define RELAY_RETRY_MAX (30 * 1000 / RELAY_RETRY_MS)

struct relay {
	struct keeld *k;
	struct reply *r;		/* until the handshake is answered */
	struct bufferevent *hv;		/* keel-hv's console socket */
	struct bufferevent *client;	/* once handed over */
	struct client_slot slot;	/* the client's, once handed over */
	struct relay *prev, *next;	/* in k->relays */
	/* Until keel-hv's console socket is reached: */
	struct event *retry;		/* armed while the domain starts */
	int tries;
	struct sockaddr_un sun;
	char uuid[DOMAIN_UUID_LEN + 1];
	char name[KEEL_DOMAIN_NAME_MAX + 1];
};

static void relay_free(struct relay *rl)
{
	struct keeld *k = rl->k;

	if (rl->r)
		reply_send(rl->r, jsonrpc_error(reply_id(rl->r),
						KEEL_E_OPERATION_FAILED,
						"The console closed before it answered.",
						NULL));
	if (rl->retry)
		event_free(rl->retry);
	if (rl->hv)
		bufferevent_free(rl->hv);
	if (rl->client)
		bufferevent_free(rl->client);
	admit_leave(k->admit, &rl->slot);
	if (rl->prev)
		rl->prev->next = rl->next;
	else
		k->relays = rl->next;
	if (rl->next)
		rl->next->prev = rl->prev;
	free(rl);
}

void console_relays_free(struct keeld *k)
{
	while (k->relays)
		relay_free(k->relays);
}

/*
 * Copy what @from has into @to; stop reading @from while @to holds
 * more than RELAY_HIGH (its write callback starts it again).
 */
static void relay_copy(struct bufferevent *from, struct bufferevent *to)
{
	struct evbuffer *out = bufferevent_get_output(to);

	evbuffer_add_buffer(out, bufferevent_get_input(from));
	if (evbuffer_get_length(out) > RELAY_HIGH)
		bufferevent_disable(from, EV_READ);
}

static void relay_client_read(struct bufferevent *bev, void *arg)
{
	struct relay *rl = arg;

	relay_copy(rl->client, rl->hv);
}

static void relay_hv_read(struct bufferevent *bev, void *arg)
{
	struct relay *rl = arg;

	relay_copy(rl->hv, rl->client);
}

/* @bev drained: read again from the other side. */
static void relay_client_written(struct bufferevent *bev, void *arg)
{
	struct relay *rl = arg;

	if (!rl->hv) {
		/* keel-hv closed and everything it sent is delivered. */
		relay_free(rl);
		return;
	}
	bufferevent_enable(rl->hv, EV_READ);
}

static void relay_hv_written(struct bufferevent *bev, void *arg)
{
	struct relay *rl = arg;

	bufferevent_enable(rl->client, EV_READ);
}

static void relay_client_event(struct bufferevent *bev, short what,
			       void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		relay_free(arg);
}

static void relay_hv_event(struct bufferevent *bev, short what, void *arg)
{
	struct relay *rl = arg;

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)))
		return;
	/* The domain stopped: deliver what is left (its END), then close. */
	relay_copy(rl->hv, rl->client);
	bufferevent_free(rl->hv);
	rl->hv = NULL;
	if (evbuffer_get_length(bufferevent_get_output(rl->client)) == 0) {
		relay_free(rl);
		return;
	}
	/* Called back when all of it is written, not half. */
	bufferevent_setwatermark(rl->client, EV_WRITE, 0, 0);
	bufferevent_disable(rl->client, EV_READ);
}

/* keel-hv's answer to the handshake, once a whole line is in. */
static void relay_answer(struct bufferevent *bev, void *arg)
{
	struct relay *rl = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct json_object *ans = NULL, *v, *result;
	struct reply *r = rl->r;
	const char *line;
	ssize_t n;

	/*
	 * One line, framed as every line keel reads (jsonrpc_frame.h); the
	 * console's frames follow it in @in. An answer too long to be one
	 * ends the relay, and its request, as a closed console would.
	 */
	n = jsonrpc_frame_next_ev(NULL, in);
	if (n == 0)
		return;
	if (n < 0) {
		rl->r = NULL;
		reply_send(r, jsonrpc_error(reply_id(r),
					    KEEL_E_OPERATION_FAILED,
					    "The domain's console answered with a line longer than 1 MiB; keeld closed it.",
					    NULL));
		relay_free(rl);
		return;
	}
	line = (const char *)evbuffer_pullup(in, n);
	if (!line || jsonrpc_parse_line(line, (size_t)n, &ans))
		ans = NULL;
	evbuffer_drain(in, (size_t)n);
	rl->r = NULL;
	if (!ans || !json_object_object_get_ex(ans, "ok", &v) ||
	    !json_object_get_boolean(v)) {
		const char *why = "The domain's console refused the request.";

		if (ans && json_object_object_get_ex(ans, "error", &v))
			why = json_object_get_string(v);
		reply_send(r, jsonrpc_error(reply_id(r),
					    KEEL_E_INVALID_STATE, why, NULL));
		json_object_put(ans);
		relay_free(rl);
		return;
	}
	result = json_object_new_object();
	json_object_object_get_ex(ans, "role", &v);
	json_object_object_add(result, "role", json_object_get(v));
	json_object_object_get_ex(ans, "console", &v);
	json_object_object_add(result, "console",
			       v ? json_object_get(v) :
				   json_object_new_string("serial"));
	json_object_put(ans);
	rl->client = reply_send_stream(r, jsonrpc_result(reply_id(r), result),
				       &rl->slot);
	if (!rl->client) {
		relay_free(rl);
		return;
	}
	admit_charge(rl->k->admit, &rl->slot, RELAY_CHARGE);
	bufferevent_priority_set(rl->hv, bufferevent_get_priority(rl->client));
	bufferevent_setcb(rl->client, relay_client_read, relay_client_written,
			  relay_client_event, rl);
	bufferevent_setwatermark(rl->client, EV_WRITE, RELAY_HIGH / 2, 0);
	bufferevent_enable(rl->client, EV_READ | EV_WRITE);
	bufferevent_setcb(rl->hv, relay_hv_read, relay_hv_written,
			  relay_hv_event, rl);
	bufferevent_setwatermark(rl->hv, EV_WRITE, RELAY_HIGH / 2, 0);
	/* Frames that came with the answer or after the request. */
	relay_copy(rl->hv, rl->client);
	relay_copy(rl->client, rl->hv);
}

static void relay_connect_event(struct bufferevent *bev, short what,
				void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		relay_free(arg);
}

/*
 * Connect rl->hv to keel-hv's console socket. A domain started a moment
 * ago (keeld restarting it after a reboot, say) may not have the socket
 * yet: while its keel-hv is starting, try again every RELAY_RETRY_MS.
 * Returns 0 (connected, or waiting) or a negative errno.
 */
static void relay_retry(evutil_socket_t fd, short what, void *arg);

static int relay_connect(struct relay *rl)
{
	static const struct timeval retry_tv = { 0, RELAY_RETRY_MS * 1000 };
	struct domain *dom;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int err;

	if (fd < 0)
		return -errno;
	if (!connect(fd, (struct sockaddr *)&rl->sun, sizeof(rl->sun))) {
		evutil_make_socket_nonblocking(fd);
		bufferevent_setfd(rl->hv, fd);
		bufferevent_setcb(rl->hv, relay_answer, NULL,
				  relay_connect_event, rl);
		bufferevent_enable(rl->hv, EV_READ | EV_WRITE);
		return 0;
	}
	err = errno;
	close(fd);
	dom = registry_find_uuid(rl->k->reg, rl->uuid);
	if ((err != ENOENT && err != ECONNREFUSED) || !dom ||
	    !lifecycle_starting(dom) || ++rl->tries > RELAY_RETRY_MAX)
		return -err;
	if (!rl->retry)
		rl->retry = evtimer_new(rl->k->base, relay_retry, rl);
	if (!rl->retry || evtimer_add(rl->retry, &retry_tv))
		return -ENOMEM;
	return 0;
}

static void relay_retry(evutil_socket_t fd, short what, void *arg)
{
	struct relay *rl = arg;
	struct reply *r = rl->r;
	char why[KEEL_DOMAIN_NAME_MAX + 128];
	int rc = relay_connect(rl);

	if (!rc)
		return;
	snprintf(why, sizeof(why), "Cannot reach the console of domain %s: %s.",
		 rl->name, strerror(-rc));
	rl->r = NULL;
	reply_send(r, jsonrpc_error(reply_id(r), KEEL_E_OPERATION_FAILED, why,
				    NULL));
	relay_free(rl);
}

/* A string param (the schema checked its type), or @dflt when absent. */
static const char *param_string(struct json_object *params, const char *key,
				const char *dflt)
{
	const char *s = json_member_string(params, key);

	return s ? s : dflt;
}

/*
 * The console a user means when they name none: the guest's own, as xl
 * picks the PV console for a PV guest. Linux makes the last console= on
 * its command line /dev/console; when that is hvc0 (the virtio console
 * keeld gives every domain), that is where the login prompt is.
 */
static const char *default_console(struct domain *dom)
{
	struct json_object *config = lifecycle_live_config(dom);
	const char *cmdline, *p, *last = NULL;

	cmdline = json_member_string(config ? config : dom->config, "cmdline");
	for (p = cmdline; p && (p = strstr(p, "console=")); p += 8) {
		if (p == cmdline || p[-1] == ' ')
			last = p + 8;
	}
	return last && !strncmp(last, "hvc0", 4) &&
			       (!last[4] || last[4] == ' ' || last[4] == ',') ?
		       "virtio" :
		       "serial";
}

struct json_object *domain_open_console(struct methods_caller *caller,
				 const struct jsonrpc_req *req,
				 struct json_object *params)
{
	struct keeld *k = caller->keeld;
	struct json_object *resp = NULL, *hs, *v;
	struct domain *dom = domain_lookup(k, req, params, &resp);
	const char *dir, *mode;
	struct relay *rl;
	char *line;
	size_t len;
	int rc;

	if (!dom)
		return resp;
	if (req->in_batch || req->is_notification)
		return method_error(req, JSONRPC_INVALID_REQUEST, NULL,
				    "domain.open_console turns the connection into the console stream: send it alone, with an id, as the last request on the connection.");
	mode = param_string(params, "mode", caller->read_only ? "view" :
								"write");
	if (caller->read_only && strcmp(mode, "view"))
		return method_error(req, KEEL_E_PERMISSION, "/mode",
				    "keeld-ro.sock only allows watching a console (mode \"view\"); use keeld.sock to type into it.");
	if (!server_fits(caller, RELAY_CHARGE))
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld's memory for clients' buffers is used up (client_memory); try again later.");
	dir = lifecycle_run_dir(dom);
	if (!dir)
		return method_error(req, KEEL_E_INVALID_STATE, NULL,
				    "Domain %s is %s; it has no console to attach to.",
				    dom->name, domain_state_name(dom->state));
	rl = calloc(1, sizeof(*rl));
	if (!rl)
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	rl->sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(rl->sun.sun_path, sizeof(rl->sun.sun_path),
			     "%s/" HV_RUN_CONSOLE, dir) >=
	    sizeof(rl->sun.sun_path)) {
		free(rl);
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "The console socket path is too long.");
	}
	snprintf(rl->uuid, sizeof(rl->uuid), "%s", dom->uuid);
	snprintf(rl->name, sizeof(rl->name), "%s", dom->name);
	rl->k = k;
	rl->next = k->relays;
	if (k->relays)
		k->relays->prev = rl;
	k->relays = rl;
	rl->hv = bufferevent_socket_new(k->base, -1, BEV_OPT_CLOSE_ON_FREE);
	hs = json_object_new_object();
	if (!rl->hv || !hs) {
		json_object_put(hs);
		relay_free(rl);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	/* keel-hv's handshake: the request's console params as they are. */
	json_object_object_add(hs, "console",
			       json_object_new_string(param_string(
				       params, "console", default_console(dom))));
	json_object_object_add(hs, "mode", json_object_new_string(mode));
	if (json_object_object_get_ex(params, "force", &v))
		json_object_object_add(hs, "force", json_object_get(v));
	if (json_object_object_get_ex(params, "history_lines", &v))
		json_object_object_add(hs, "history_lines", json_object_get(v));
	if (json_object_object_get_ex(params, "history_bytes", &v))
		json_object_object_add(hs, "history_bytes", json_object_get(v));
	line = jsonrpc_to_line(hs, &len);
	json_object_put(hs);
	/* Sent once connected. */
	if (!line || bufferevent_write(rl->hv, line, len)) {
		free(line);
		relay_free(rl);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	free(line);
	rc = relay_connect(rl);
	if (rc) {
		relay_free(rl);
		return method_error(req, KEEL_E_OPERATION_FAILED, NULL,
				    "Cannot reach the console of domain %s: %s.",
				    dom->name, strerror(-rc));
	}
	rl->r = server_defer(caller, req);
	if (!rl->r) {
		relay_free(rl);
		return method_error(req, KEEL_E_RESOURCE, NULL,
				    "keeld ran out of memory.");
	}
	server_hold(caller, rl->r);
	return jsonrpc_deferred();
}
