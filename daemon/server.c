// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld's UNIX socket server: two listeners (read-write and read-only),
 * newline-delimited JSON-RPC answered with jsonrpc_dispatch_line() and
 * methods_handle(). Every client is bounded: a line longer than
 * JSONRPC_MAX_LINE is answered KEEL_ERR_TOO_LARGE and closed, since the
 * next message boundary cannot be found; a client that leaves more than
 * SERVER_MAX_OUTPUT bytes of responses unread is dropped. Nothing one
 * client does can stall the loop for the others.
 *
 * A request costs few system calls: one recv() a wakeup, every complete
 * line in it answered, the answers written at once with one write.
 * Only what the socket does not take waits for it to become writable;
 * a bufferevent would switch that wait on and off around every answer,
 * two epoll_ctl() calls each.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <stddef.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "jsonrpc.h"
#include "keeld.h"
#include "log.h"
#include "methods.h"
#include "server.h"

struct server_listener {
	struct server *srv;
	struct evconnlistener *lev;
	char *path;
	bool read_only;
};

struct conn {
	struct server *srv;
	evutil_socket_t fd;
	struct event *rev;	/* pending while requests are read */
	struct event *wev;	/* pending while @out waits for the socket */
	struct evbuffer *in, *out;
	struct methods_caller caller;
	size_t scanned;		/* input bytes known to hold no newline */
	bool closing;		/* flush the output, then close */
	bool serving;		/* in conn_serve(): write once at its end */
	bool doomed;		/* conn_serve() frees it when it returns */
	bool subscribed;	/* events.subscribe was called */
	struct reply *holder;	/* reads no requests until it is answered */
	struct pending *pendings; /* lines still owed an answer */
	struct reply *line_replies; /* deferred while dispatching a line */
	struct conn *prev, *next;
};

/*
 * The answer to one line while parts of it are deferred: the lone
 * marker of a single request, or the batch array holding a marker per
 * deferred request. Sent when the last marker is replaced.
 */
struct pending {
	struct conn *conn;	/* NULL once the client has gone */
	struct json_object *resp;
	unsigned outstanding;
	struct pending *prev, *next; /* in conn->pendings */
};

/* One deferred request (server.h). */
struct reply {
	struct pending *pending; /* NULL: nobody to answer (notification) */
	struct json_object *id;
	size_t index;		/* in the batch array, or REPLY_WHOLE */
	bool mapped;		/* the line's dispatch has finished */
	bool notification;
	struct json_object *early; /* answered before it was mapped */
	struct reply *line_next;
};

#define REPLY_WHOLE ((size_t)-1)

/*
 * Most bytes one recv() takes. More than a typical request, so that a
 * pipelining client's requests come in a few wakeups, not one each.
 */
#define CONN_READ_SIZE (16 * 1024)

/*
 * Most bytes of answers conn_serve() gathers before it writes them: a
 * pipelining client's answers then go out in few writes, without keeld
 * holding (and the allocator growing and trimming the heap for) many.
 */
#define CONN_WRITE_BATCH (64 * 1024)

struct server {
	struct keeld *keeld;
	struct server_listener rw, ro;
	bool have_group;
	gid_t gid;
	struct conn *conns;
};

static void pending_unlink(struct pending *p)
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

/* Take @c out of the server; its socket stays open. */
static void conn_unlink(struct conn *c)
{
	/* Deferred answers still come; they are dropped then. */
	while (c->pendings)
		pending_unlink(c->pendings);
	if (c->prev)
		c->prev->next = c->next;
	else
		c->srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
}

/* Free @c's events and buffers; the socket is the caller's. */
static void conn_dispose(struct conn *c)
{
	if (c->rev)
		event_free(c->rev);
	if (c->wev)
		event_free(c->wev);
	if (c->in)
		evbuffer_free(c->in);
	if (c->out)
		evbuffer_free(c->out);
}

/*
 * Close @c. While conn_serve() runs on it (a handler's broadcast may
 * drop the very client being served), only mark it: conn_serve() still
 * uses it and frees it when it returns.
 */
static void conn_free(struct conn *c)
{
	if (c->serving) {
		c->doomed = true;
		c->closing = true;
		event_del(c->rev);
		return;
	}
	conn_unlink(c);
	conn_dispose(c);
	close(c->fd);
	free(c);
}

static void conn_read_start(struct conn *c)
{
	event_add(c->rev, NULL);
}

static void conn_read_stop(struct conn *c)
{
	event_del(c->rev);
}

/*
 * Write what @c->out holds, as far as the socket takes it in one go,
 * and wait for it to be writable only if something is left. A write
 * error is left to conn_writable(), as it is the one that may free @c.
 */
static void conn_flush(struct conn *c)
{
	if (evbuffer_get_length(c->out) &&
	    evbuffer_write(c->out, c->fd) < 0 && errno != EAGAIN &&
	    errno != EWOULDBLOCK && errno != EINTR) {
		event_active(c->wev, EV_WRITE, 0);
		return;
	}
	/*
	 * A closing connection is freed by conn_writable() even when
	 * everything is written: as with a bufferevent, the last answer
	 * is not followed by the close in the same breath (a refused
	 * client may still be sending its first request).
	 */
	if (evbuffer_get_length(c->out) || c->closing)
		event_add(c->wev, NULL);
	else
		event_del(c->wev);
}

/* Stop reading from @c; close it once its output has been written. */
static void conn_close_after_flush(struct conn *c)
{
	c->closing = true;
	conn_read_stop(c);
	evbuffer_drain(c->in, evbuffer_get_length(c->in));
	/* Else the end of conn_serve() does. */
	if (!c->serving)
		conn_flush(c);
}

static void line_free(const void *data, size_t len, void *arg)
{
	free((void *)data);
}

/*
 * Queue @msg (owned) for @c and, unless conn_serve() gathers its
 * answers, write it. Returns false when @c was dropped because it is
 * not reading its responses; @c is freed then.
 */
static bool conn_send(struct conn *c, struct json_object *msg)
{
	size_t len;
	char *line;

	line = jsonrpc_to_line(msg, &len);
	if (!line && errno == EMSGSIZE) {
		struct json_object *e = jsonrpc_error(
			NULL, KEEL_ERR_TOO_LARGE,
			"The response would be longer than the largest message keel allows.",
			NULL);

		line = e ? jsonrpc_to_line(e, &len) : NULL;
		json_object_put(e);
	}
	json_object_put(msg);
	/* Not copied: @line is freed once written. */
	if (line && evbuffer_add_reference(c->out, line, len, line_free, NULL))
		free(line);
	/* Count only what the client has not read: write first. */
	if (!c->serving || evbuffer_get_length(c->out) > CONN_WRITE_BATCH)
		conn_flush(c);
	if (evbuffer_get_length(c->out) > SERVER_MAX_OUTPUT) {
		log_warn("Dropping a client that left more than %d bytes of responses unread.",
			 SERVER_MAX_OUTPUT);
		conn_free(c);
		return false;
	}
	return true;
}

static void conn_too_large(struct conn *c)
{
	struct json_object *e = jsonrpc_error(
		NULL, KEEL_ERR_TOO_LARGE,
		"The message is longer than 1 MiB (or has no newline); the connection is closed.",
		NULL);

	log_info("Closing a connection that sent a line longer than %d bytes.",
		 JSONRPC_MAX_LINE);
	if (e && !conn_send(c, e))
		return;
	conn_close_after_flush(c);
}

static struct json_object *conn_map_replies(struct conn *c,
					    struct json_object *resp);

/* Answer every complete line in @c->in, unless something stops it. */
static void conn_dispatch_lines(struct conn *c)
{
	struct evbuffer *in = c->in;

	while (!c->closing && !c->holder) {
		struct evbuffer_ptr start, eol;
		struct json_object *resp;
		size_t eol_len, len;
		char *line;

		evbuffer_ptr_set(in, &start, c->scanned, EVBUFFER_PTR_SET);
		eol = evbuffer_search_eol(in, &start, &eol_len,
					  EVBUFFER_EOL_LF);
		if (eol.pos < 0) {
			c->scanned = evbuffer_get_length(in);
			if (c->scanned >= JSONRPC_MAX_LINE)
				conn_too_large(c);
			return;
		}
		len = (size_t)eol.pos + 1;
		c->scanned = 0;
		if (len > JSONRPC_MAX_LINE) {
			conn_too_large(c);
			return;
		}
		line = (char *)evbuffer_pullup(in, (ssize_t)len);
		c->line_replies = NULL;
		resp = line ? jsonrpc_dispatch_line(line, len, methods_handle,
						    &c->caller) :
			      NULL;
		evbuffer_drain(in, len);
		resp = conn_map_replies(c, resp);
		if (resp && !conn_send(c, resp))
			return;
	}
}

/*
 * Answer what @c has sent, then write all the answers at once: a
 * client that pipelines gets one write a wakeup, not one an answer.
 */
static void conn_serve(struct conn *c)
{
	c->serving = true;
	conn_dispatch_lines(c);
	c->serving = false;
	if (c->doomed) {
		conn_free(c);
		return;
	}
	conn_flush(c);
}

/*
 * @c's socket is readable: one recv() into @c->in. Asking first how
 * much there is (as evbuffer_read() does) would cost a second system
 * call for every request.
 */
static void conn_readable(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct evbuffer_iovec v;
	ssize_t n;

	if (evbuffer_reserve_space(c->in, CONN_READ_SIZE, &v, 1) < 1) {
		log_warn("Closing a connection: out of memory.");
		conn_free(c);
		return;
	}
	n = recv(fd, v.iov_base, v.iov_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		      errno == EINTR))
		return;
	if (n < 0) {
		conn_free(c);
		return;
	}
	/* A client may half-close after its last request: answer it first. */
	if (n == 0) {
		conn_close_after_flush(c);
		return;
	}
	v.iov_len = (size_t)n;
	evbuffer_commit_space(c->in, &v, 1);
	conn_serve(c);
}

/* The socket takes more of @c->out, or has failed. */
static void conn_writable(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	if (evbuffer_get_length(c->out) &&
	    evbuffer_write(c->out, fd) < 0 && errno != EAGAIN &&
	    errno != EWOULDBLOCK && errno != EINTR) {
		conn_free(c);
		return;
	}
	if (evbuffer_get_length(c->out)) {
		event_add(c->wev, NULL);
		return;
	}
	event_del(c->wev);
	if (c->closing)
		conn_free(c);
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

void server_hold(struct methods_caller *caller, struct reply *r)
{
	struct conn *c = (struct conn *)((char *)caller -
					 offsetof(struct conn, caller));

	c->holder = r;
	conn_read_stop(c);
}

struct bufferevent *reply_send_stream(struct reply *r,
				      struct json_object *resp)
{
	struct pending *p = r->pending;
	struct conn *c = p ? p->conn : NULL;
	struct bufferevent *bev;

	if (!c || c->holder != r || r->index != REPLY_WHOLE ||
	    p->outstanding != 1) {
		/* The client has gone: nobody to stream to. */
		reply_send(r, resp);
		return NULL;
	}
	c->holder = NULL;
	pending_unlink(p);
	json_object_put(p->resp);
	free(p);
	json_object_put(r->id);
	free(r);
	if (!conn_send(c, resp))
		return NULL;
	bev = bufferevent_socket_new(c->srv->keeld->base, c->fd,
				     BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		log_warn("Closing a connection: out of memory.");
		conn_free(c);
		return NULL;
	}
	/* Moved, not copied: the bytes unread and the answer unsent. */
	evbuffer_add_buffer(bufferevent_get_input(bev), c->in);
	evbuffer_add_buffer(bufferevent_get_output(bev), c->out);
	conn_unlink(c);
	conn_dispose(c);
	free(c);
	return bev;
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
static struct json_object *conn_map_replies(struct conn *c,
					    struct json_object *resp)
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
					  jsonrpc_error(r->id, KEEL_ERR_RESOURCE,
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

void server_subscribe(struct methods_caller *caller)
{
	struct conn *c = (struct conn *)((char *)caller -
					 offsetof(struct conn, caller));

	c->subscribed = true;
}

void server_broadcast(struct server *srv, struct json_object *msg)
{
	struct conn *c, *next;

	for (c = srv->conns; c; c = next) {
		next = c->next;
		if (c->subscribed && !c->closing)
			conn_send(c, json_object_get(msg));
	}
}

/* True if @uid's primary or supplementary groups include @gid. */
static bool uid_in_group(uid_t uid, gid_t gid, int fd)
{
	struct passwd *pw = getpwuid(uid);
	struct group *gr;

#ifdef SO_PEERGROUPS
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (!getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len)) {
		for (size_t i = 0; i < len / sizeof(gid_t); i++)
			if (groups[i] == gid)
				return true;
	}
#endif
	if (!pw)
		return false;
	if (pw->pw_gid == gid)
		return true;
	gr = getgrgid(gid);
	for (char **m = gr ? gr->gr_mem : NULL; m && *m; m++)
		if (!strcmp(*m, pw->pw_name))
			return true;
	return false;
}

/*
 * May the peer on @fd use keeld.sock? Root and keeld's own user (who
 * could ptrace keeld anyway) always; others if in the configured group.
 */
static bool server_authorised(struct server *srv, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return false;
	if (cred.uid == 0 || cred.uid == geteuid())
		return true;
	if (!srv->have_group)
		return false;
	return cred.gid == srv->gid || uid_in_group(cred.uid, srv->gid, fd);
}

static void server_accept(struct evconnlistener *lev, evutil_socket_t fd,
			  struct sockaddr *sa, int socklen, void *arg)
{
	struct server_listener *sl = arg;
	struct event_base *base = evconnlistener_get_base(lev);
	struct server *srv = sl->srv;
	struct conn *c;

	c = calloc(1, sizeof(*c));
	if (c) {
		c->fd = fd;
		c->rev = event_new(base, fd, EV_READ | EV_PERSIST,
				   conn_readable, c);
		c->wev = event_new(base, fd, EV_WRITE, conn_writable, c);
		c->in = evbuffer_new();
		c->out = evbuffer_new();
	}
	if (!c || !c->rev || !c->wev || !c->in || !c->out) {
		log_warn("Refusing a connection: out of memory.");
		if (c)
			conn_dispose(c);
		free(c);
		close(fd);
		return;
	}
	c->srv = srv;
	c->caller.keeld = srv->keeld;
	c->caller.read_only = sl->read_only;
	c->next = srv->conns;
	if (srv->conns)
		srv->conns->prev = c;
	srv->conns = c;
	conn_read_start(c);
	if (!sl->read_only && !server_authorised(srv, fd)) {
		log_info("Refused a client on %s: it is neither root nor in keeld's group.",
			 sl->path);
		if (conn_send(c, jsonrpc_error(
				    NULL, KEEL_ERR_PERMISSION,
				    "Permission denied: keeld.sock is for root and members of keeld's group; use keeld-ro.sock for read-only access.",
				    NULL)))
			conn_close_after_flush(c);
	}
}

static int listener_open(struct server *srv, struct server_listener *sl,
			 const char *name, bool read_only)
{
	const char *dir = srv->keeld->conf.run_dir;
	mode_t mode = read_only ? 0666 : 0660, old_mask;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	sl->srv = srv;
	sl->read_only = read_only;
	if (asprintf(&sl->path, "%s/%s", dir, name) < 0) {
		sl->path = NULL;
		return -ENOMEM;
	}
	if (strlen(sl->path) >= sizeof(sun.sun_path)) {
		log_err("The socket path %s is too long for a UNIX socket; choose a shorter run directory.",
			sl->path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, sl->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(sl->path);
	/* Never let the socket exist, even briefly, with wider access. */
	old_mask = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
	umask(old_mask);
	if (!rc && srv->have_group && !read_only &&
	    chown(sl->path, (uid_t)-1, srv->gid))
		rc = -errno;
	if (!rc && chmod(sl->path, mode))
		rc = -errno;
	if (rc) {
		log_err("Cannot create the socket %s: %s.", sl->path,
			strerror(-rc));
		close(fd);
		return rc;
	}
	sl->lev = evconnlistener_new(srv->keeld->base, server_accept, sl,
				     LEV_OPT_CLOSE_ON_FREE |
					     LEV_OPT_CLOSE_ON_EXEC,
				     128, fd);
	if (!sl->lev) {
		log_err("Cannot listen on %s: %s.", sl->path, strerror(errno));
		close(fd);
		return -EIO;
	}
	return 0;
}

static void listener_close(struct server_listener *sl)
{
	if (sl->lev) {
		evconnlistener_free(sl->lev);
		unlink(sl->path);
	}
	free(sl->path);
	sl->lev = NULL;
	sl->path = NULL;
}

int server_new(struct keeld *k, struct server **out)
{
	struct server *srv = calloc(1, sizeof(*srv));
	const char *group = k->conf.group;
	int rc;

	if (!srv)
		return -ENOMEM;
	srv->keeld = k;
	if (group) {
		struct group *gr = getgrnam(group);

		if (!gr) {
			log_err("The group \"%s\" named in keeld's configuration does not exist; create it or change \"group\".",
				group);
			free(srv);
			return -ENOENT;
		}
		srv->have_group = true;
		srv->gid = gr->gr_gid;
	}
	rc = listener_open(srv, &srv->rw, "keeld.sock", false);
	if (!rc)
		rc = listener_open(srv, &srv->ro, "keeld-ro.sock", true);
	if (rc) {
		server_free(srv);
		return rc;
	}
	*out = srv;
	return 0;
}

void server_free(struct server *srv)
{
	if (!srv)
		return;
	while (srv->conns)
		conn_free(srv->conns);
	listener_close(&srv->rw);
	listener_close(&srv->ro);
	free(srv);
}
