// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-virtd's server (docs/libvirt.md, "Process model"). The libevent
 * loop owns the sockets: it accepts, frames, answers keepalive and the
 * calls marked VIRT_PROC_LOOP, and queues every other call for the
 * workers. A worker answers with its own libkeel connection and writes
 * the reply whole under the bufferevent's lock, the one lock of a
 * client; a client that closed meanwhile is kept alive by the worker's
 * reference and the reply is dropped.
 */
#include "config.h"

#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "log.h"
#include "virt_error.h"
#include "virt_events.h"
#include "virt_frame.h"
#include "virt_procs.h"
#include "virt_server.h"
#include "virt_stream.h"

struct virt_job {
	struct virt_client *client;	/* a reference */
	const struct virt_proc *proc;
	struct vx_header h;
	uint8_t *msg;			/* the whole call, length word first */
	size_t len;
	struct virt_job *next;
};

struct virt_server {
	struct event_base *base;
	const struct virt_options *opts;
	struct evconnlistener *rw, *ro;
	bool rw_made, ro_made;		/* the socket files are ours to remove */
	struct virt_client *clients;	/* the loop's list */
	unsigned nr_clients;
	struct event *accept_pause;	/* listeners off after EMFILE */
	struct virt_events *events;	/* keeld's events, fanned out */

	pthread_t *threads;
	unsigned nr_threads;
	pthread_mutex_t lock;		/* the queue */
	pthread_cond_t cond;
	struct virt_job *head, *tail;
	bool stopping;
};

struct virt_client {
	struct virt_server *srv;
	struct bufferevent *bev;	/* its lock is the client's */
	struct event *ka_timer, *resume;
	int refs;			/* atomic */
	bool ro_socket;
	bool plain;			/* a socket of its own, not TLS */
	/* Under the bufferevent's lock: */
	bool closed, open, readonly, keepalive;
	unsigned pending;		/* calls with the workers */
	long long last_rx_ms;
	unsigned ka_missed;
	const char *drop_why;		/* virt_client_drop(): close it */
	/* The loop's: */
	struct virt_client *prev, *next;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- Clients --------------------------------------------------------- */

static void client_ref(struct virt_client *c)
{
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
}

static void client_unref(struct virt_client *c)
{
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL))
		return;
	event_free(c->ka_timer);
	event_free(c->resume);
	bufferevent_free(c->bev);
	free(c);
}

void virt_client_set_open(struct virt_client *c, bool readonly)
{
	bufferevent_lock(c->bev);
	c->open = true;
	c->readonly = c->ro_socket || readonly;
	bufferevent_unlock(c->bev);
}

void virt_client_set_closed(struct virt_client *c)
{
	bufferevent_lock(c->bev);
	c->open = false;
	bufferevent_unlock(c->bev);
}

void virt_client_enable_keepalive(struct virt_client *c)
{
	bufferevent_lock(c->bev);
	c->keepalive = true;
	bufferevent_unlock(c->bev);
}

struct virt_events *virt_client_events(struct virt_client *c)
{
	return c->srv->events;
}

struct event_base *virt_client_base(struct virt_client *c)
{
	return c->srv->base;
}

void virt_client_lock(struct virt_client *c)
{
	bufferevent_lock(c->bev);
}

void virt_client_unlock(struct virt_client *c)
{
	bufferevent_unlock(c->bev);
}

bool virt_client_closed(struct virt_client *c)
{
	bool closed;

	bufferevent_lock(c->bev);
	closed = c->closed;
	bufferevent_unlock(c->bev);
	return closed;
}

bool virt_client_backlogged(struct virt_client *c)
{
	bool full;

	bufferevent_lock(c->bev);
	full = evbuffer_get_length(bufferevent_get_output(c->bev)) >
	       VIRT_CLIENT_MAX_OUTPUT;
	bufferevent_unlock(c->bev);
	return full;
}

void virt_client_drop(struct virt_client *c, const char *why)
{
	bufferevent_lock(c->bev);
	if (!c->closed && !c->drop_why) {
		c->drop_why = why;
		event_active(c->resume, 0, 0);
	}
	bufferevent_unlock(c->bev);
}

/*
 * Send @msg (taken) to the client, whole; dropped once it closed. With
 * nothing queued before it, a worker sends it itself, as far as the
 * socket takes it at once, and queues only the rest: handing every
 * reply to the loop cost a thread wake-up per call (docs/virt-bench.md).
 * The bufferevent's lock keeps the loop from writing meanwhile.
 */
static void client_send(struct virt_client *c, uint8_t *msg, size_t len)
{
	size_t sent = 0;

	bufferevent_lock(c->bev);
	/* Not under TLS: the fd is the TCP socket beneath it. */
	if (!c->closed && c->plain &&
	    !evbuffer_get_length(bufferevent_get_output(c->bev))) {
		ssize_t n = send(bufferevent_getfd(c->bev), msg, len,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		/* A failure is the loop's to find and close on. */
		if (n > 0)
			sent = (size_t)n;
	}
	if (!c->closed && sent < len &&
	    bufferevent_write(c->bev, msg + sent, len - sent))
		log_warn_limited("%s: cannot queue a reply of %zu bytes.",
				 __func__, len);
	bufferevent_unlock(c->bev);
	free(msg);
}

void virt_client_send(struct virt_client *c, uint8_t *msg, size_t len)
{
	client_send(c, msg, len);
}

static void client_send_error(struct virt_client *c, const struct vx_header *h,
			      int code, int domain, const char *message)
{
	uint8_t *out;
	size_t len;

	if (virt_reply_error(h, code, domain, message, &out, &len)) {
		log_warn_limited("%s: out of memory for an error reply.",
				 __func__);
		return;
	}
	client_send(c, out, len);
}

static void client_send_keepalive(struct virt_client *c, int proc)
{
	struct vx_header h = {
		.prog = VX_KEEPALIVE_PROGRAM,
		.vers = VX_KEEPALIVE_VERSION,
		.proc = proc,
		.type = VX_MESSAGE,
		.serial = 0,
		.status = VX_OK,
	};
	uint8_t *out;
	size_t len;

	if (!virt_msg_encode(&h, NULL, NULL, &out, &len))
		client_send(c, out, len);
}

/* The loop's: stop reading and writing, drop the loop's reference. */
static void client_close(struct virt_client *c, const char *why)
{
	struct virt_server *s = c->srv;

	bufferevent_lock(c->bev);
	if (c->closed) {
		bufferevent_unlock(c->bev);
		return;
	}
	c->closed = true;
	bufferevent_setcb(c->bev, NULL, NULL, NULL, NULL);
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	shutdown(bufferevent_getfd(c->bev), SHUT_RDWR);
	bufferevent_unlock(c->bev);
	event_del(c->ka_timer);
	event_del(c->resume);
	if (why)
		log_info_limited("Closed a client: %s", why);
	virt_events_client_gone(s->events, c);
	virt_streams_client_gone(c);
	if (c->prev)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nr_clients--;
	client_unref(c);
}

static void queue_job(struct virt_server *s, struct virt_job *j)
{
	pthread_mutex_lock(&s->lock);
	if (s->tail)
		s->tail->next = j;
	else
		s->head = j;
	s->tail = j;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/*
 * One call of the remote program (the client's lock held): refuse what
 * this connection may not call, answer the loop's procedures here, and
 * queue the others. Takes @msg.
 */
static void client_call(struct virt_client *c, const struct vx_header *h,
			uint8_t *msg, size_t len)
{
	const struct virt_proc *proc = virt_proc_find(h->proc);
	char why[160];
	struct virt_job *j;
	uint8_t *out;
	size_t out_len;

	if (h->prog != VX_PROGRAM || h->vers != VX_PROGRAM_VERSION) {
		snprintf(why, sizeof(why),
			 "keel-virtd does not know program %#x version %u.",
			 h->prog, h->vers);
		client_send_error(c, h, VIR_ERR_RPC, VIR_FROM_RPC, why);
		goto out_free;
	}
	if (h->type != VX_CALL || h->status != VX_OK) {
		client_send_error(c, h, VIR_ERR_RPC, VIR_FROM_RPC,
				  "keel-virtd takes calls without file descriptors and with status OK only.");
		goto out_free;
	}
	if (!proc) {
		snprintf(why, sizeof(why),
			 "keel-virtd does not support procedure %d.", h->proc);
		log_debug("A client called procedure %d, which keel-virtd does not support.",
			  h->proc);
		client_send_error(c, h, VIR_ERR_NO_SUPPORT, VIR_FROM_RPC, why);
		goto out_free;
	}
	if (!c->open && !(proc->flags & VIRT_PROC_PREOPEN)) {
		snprintf(why, sizeof(why),
			 "%s needs an open connection: CONNECT_OPEN first.",
			 proc->name);
		client_send_error(c, h, VIR_ERR_RPC, VIR_FROM_RPC, why);
		goto out_free;
	}
	if (c->readonly && !(proc->flags & VIRT_PROC_READ)) {
		snprintf(why, sizeof(why),
			 "operation forbidden: read only access prevents %s.",
			 proc->name);
		client_send_error(c, h, VIR_ERR_OPERATION_DENIED, VIR_FROM_RPC,
				  why);
		goto out_free;
	}
	if (proc->flags & VIRT_PROC_LOOP) {
		struct virt_call call = {
			.client = c,
			.opts = c->srv->opts,
			.proc = proc,
			.serial = h->serial,
		};

		if (!virt_proc_run(&call, h, msg + VIRT_MSG_MIN,
				   len - VIRT_MSG_MIN, &out, &out_len))
			client_send(c, out, out_len);
		goto out_free;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		client_send_error(c, h, VIR_ERR_NO_MEMORY, VIR_FROM_RPC,
				  "keel-virtd is out of memory.");
		goto out_free;
	}
	client_ref(c);
	j->client = c;
	j->proc = proc;
	j->h = *h;
	j->msg = msg;
	j->len = len;
	c->pending++;
	queue_job(c->srv, j);
	return;
out_free:
	free(msg);
}

/* A whole message (taken), the client's lock held. */
static void client_message(struct virt_client *c, uint8_t *msg, size_t len)
{
	struct vx_header h;

	virt_header_decode(msg, len, &h);
	c->last_rx_ms = now_ms();
	c->ka_missed = 0;
	if (h.prog == VX_KEEPALIVE_PROGRAM) {
		/* PONG needs nothing: any message proves the client alive. */
		if (h.vers == VX_KEEPALIVE_VERSION && h.type == VX_MESSAGE &&
		    h.proc == VX_KEEPALIVE_PING) {
			c->keepalive = true;
			client_send_keepalive(c, VX_KEEPALIVE_PONG);
		}
		free(msg);
		return;
	}
	if (h.type == VX_CALL || h.type == VX_CALL_WITH_FDS) {
		client_call(c, &h, msg, len);
		return;
	}
	if (h.prog == VX_PROGRAM && h.type == VX_STREAM) {
		virt_stream_input(c, &h, msg, len);
		free(msg);
		return;
	}
	/* A reply, or a stream message of no program of ours. */
	log_info_limited("A client sent a message of type %d for procedure %d; keel-virtd expects none, so it is ignored.",
			 h.type, h.proc);
	free(msg);
}

/* Take the whole messages the client sent, as far as its limit allows. */
static void client_process(struct virt_client *c)
{
	struct evbuffer *in;
	uint8_t word[VIRT_LEN_SIZE], *msg;
	size_t have;
	long len;

	client_ref(c);
	bufferevent_lock(c->bev);
	if (c->drop_why && !c->closed) {
		bufferevent_unlock(c->bev);
		client_close(c, c->drop_why);
		client_unref(c);
		return;
	}
	in = bufferevent_get_input(c->bev);
	while (!c->closed && c->pending < VIRT_CLIENT_MAX_CALLS &&
	       evbuffer_get_length(bufferevent_get_output(c->bev)) <=
		       VIRT_CLIENT_MAX_OUTPUT) {
		have = evbuffer_get_length(in);
		if (have < VIRT_LEN_SIZE)
			break;
		evbuffer_copyout(in, word, sizeof(word));
		len = virt_frame_length(word);
		if (len < 0) {
			bufferevent_unlock(c->bev);
			client_close(c, "a message length outside libvirt's limits.");
			client_unref(c);
			return;
		}
		if (have < (size_t)len)
			break;
		msg = malloc((size_t)len);
		if (!msg) {
			bufferevent_unlock(c->bev);
			client_close(c, "out of memory for its message.");
			client_unref(c);
			return;
		}
		evbuffer_remove(in, msg, (size_t)len);
		client_message(c, msg, (size_t)len);
	}
	bufferevent_unlock(c->bev);
	client_unref(c);
}

static void client_read_cb(struct bufferevent *bev, void *arg)
{
	client_process(arg);
}

/* Its replies went out: take the calls and the output held back. */
static void client_write_cb(struct bufferevent *bev, void *arg)
{
	virt_streams_resume(arg);
	client_process(arg);
}

static void client_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	client_process(arg);
}

static void client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_close(arg, NULL);
}

/* Every few seconds: ping a silent client, drop one that stays silent. */
static void client_ka_cb(evutil_socket_t fd, short what, void *arg)
{
	struct virt_client *c = arg;
	bool dead = false;

	bufferevent_lock(c->bev);
	if (c->keepalive && !c->closed &&
	    now_ms() - c->last_rx_ms >= VIRT_KEEPALIVE_INTERVAL_S * 1000) {
		if (c->ka_missed >= VIRT_KEEPALIVE_COUNT) {
			dead = true;
		} else {
			c->ka_missed++;
			client_send_keepalive(c, VX_KEEPALIVE_PING);
		}
	}
	bufferevent_unlock(c->bev);
	if (dead)
		client_close(c, "it answered no keepalive.");
}

/*
 * Serve @bev (taken, even on failure) as a client: read-only when
 * @readonly; @plain when @bev is a socket's own, not TLS above one.
 * accept_cb()'s UNIX clients and virt_tls.c's come here.
 */
static int client_add(struct virt_server *s, struct bufferevent *bev,
		      bool plain, bool readonly)
{
	const struct timeval ka = { .tv_sec = VIRT_KEEPALIVE_INTERVAL_S };
	struct virt_client *c;

	if (s->nr_clients >= VIRT_MAX_CLIENTS) {
		log_warn_limited("Refused a client: %d are connected, keel-virtd's limit.",
				 VIRT_MAX_CLIENTS);
		bufferevent_free(bev);
		return -EMFILE;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		log_warn_limited("%s: out of memory for a new client.",
				 __func__);
		bufferevent_free(bev);
		return -ENOMEM;
	}
	c->srv = s;
	c->refs = 1;
	c->ro_socket = readonly;
	c->plain = plain;
	c->readonly = readonly;
	c->last_rx_ms = now_ms();
	c->bev = bev;
	c->ka_timer = event_new(s->base, -1, EV_PERSIST, client_ka_cb, c);
	c->resume = event_new(s->base, -1, 0, client_resume_cb, c);
	if (!c->ka_timer || !c->resume || event_add(c->ka_timer, &ka))
		goto out_events;
	bufferevent_setcb(c->bev, client_read_cb, client_write_cb,
			  client_event_cb, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, VIRT_MSG_MAX);
	if (bufferevent_enable(c->bev, EV_READ))
		goto out_events;
	c->next = s->clients;
	if (s->clients)
		s->clients->prev = c;
	s->clients = c;
	s->nr_clients++;
	return 0;
out_events:
	if (c->ka_timer)
		event_free(c->ka_timer);
	if (c->resume)
		event_free(c->resume);
	bufferevent_free(c->bev);
	free(c);
	return -ENOMEM;
}

int virt_server_adopt(struct virt_server *s, struct bufferevent *bev,
		      bool readonly)
{
	return client_add(s, bev, false, readonly);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *addr, int addrlen, void *arg)
{
	struct virt_server *s = arg;
	struct bufferevent *bev;

	bev = bufferevent_socket_new(s->base, fd,
				     BEV_OPT_CLOSE_ON_FREE |
					     BEV_OPT_THREADSAFE);
	if (!bev) {
		log_warn_limited("%s: out of memory for a new client.",
				 __func__);
		close(fd);
		return;
	}
	client_add(s, bev, true, l == s->ro);
}

static void accept_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct virt_server *s = arg;

	evconnlistener_enable(s->rw);
	evconnlistener_enable(s->ro);
}

/*
 * accept() failed. Out of descriptors, the pending connection stays
 * and the socket stays readable: pause both listeners for a while
 * rather than spin on it.
 */
static void accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct virt_server *s = arg;
	const struct timeval pause = {
		.tv_sec = VIRT_ACCEPT_PAUSE_MS / 1000,
		.tv_usec = VIRT_ACCEPT_PAUSE_MS % 1000 * 1000,
	};
	int err = EVUTIL_SOCKET_ERROR();

	log_warn_limited("Cannot accept a client: %s; not accepting for %d ms.",
			 strerror(err), VIRT_ACCEPT_PAUSE_MS);
	evconnlistener_disable(s->rw);
	evconnlistener_disable(s->ro);
	evtimer_add(s->accept_pause, &pause);
}

/* --- Workers --------------------------------------------------------- */

static void job_run(struct virt_job *j, struct keel_conn **kc)
{
	struct virt_client *c = j->client;
	struct virt_call call = {
		.client = c,
		.opts = c->srv->opts,
		.proc = j->proc,
		.serial = j->h.serial,
		.keel = kc,
	};
	uint8_t *out;
	size_t len;

	if (!virt_proc_run(&call, &j->h, j->msg + VIRT_MSG_MIN,
			   j->len - VIRT_MSG_MIN, &out, &len))
		client_send(c, out, len);
	/* A stream the call opened goes on after its reply. */
	virt_streams_start(c, j->h.serial);
	/* keeld went away: the next call connects again. */
	if (*kc && keel_last_error(*kc)->code == KEEL_E_CONNECTION) {
		keel_close(*kc);
		*kc = NULL;
	}
}

static void job_free(struct virt_job *j)
{
	struct virt_client *c = j->client;

	bufferevent_lock(c->bev);
	c->pending--;
	if (!c->closed)
		event_active(c->resume, 0, 0);
	bufferevent_unlock(c->bev);
	client_unref(c);
	free(j->msg);
	free(j);
}

static void *worker_main(void *arg)
{
	struct virt_server *s = arg;
	struct keel_conn *kc = NULL;
	struct virt_job *j;

	for (;;) {
		pthread_mutex_lock(&s->lock);
		while (!s->head && !s->stopping)
			pthread_cond_wait(&s->cond, &s->lock);
		if (s->stopping) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		j = s->head;
		s->head = j->next;
		if (!s->head)
			s->tail = NULL;
		pthread_mutex_unlock(&s->lock);
		job_run(j, &kc);
		job_free(j);
	}
	keel_close(kc);
	return NULL;
}

static void workers_stop(struct virt_server *s)
{
	struct virt_job *j;
	unsigned i;

	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	for (i = 0; i < s->nr_threads; i++)
		pthread_join(s->threads[i], NULL);
	s->nr_threads = 0;
	while ((j = s->head)) {
		s->head = j->next;
		job_free(j);
	}
	s->tail = NULL;
}

/* --- Sockets --------------------------------------------------------- */

/* Is a server answering on @a? Then the socket file is not stale. */
static bool socket_live(const struct sockaddr_un *a)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return true;
	live = !connect(fd, (const struct sockaddr *)a, sizeof(*a));
	close(fd);
	return live;
}

static int socket_dir(const char *path)
{
	char *copy = strdup(path), *dir;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	dir = dirname(copy);
	if (mkdir(dir, 0755) && errno != EEXIST) {
		rc = -errno;
		log_err("Cannot make the directory %s for keel-virtd's sockets: %s.",
			dir, strerror(errno));
	}
	free(copy);
	return rc;
}

static int listen_unix(struct virt_server *s, const char *path, mode_t mode,
		       struct evconnlistener **out)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(a.sun_path)) {
		log_err("The socket path %s is longer than a UNIX socket's %zu bytes.",
			path, sizeof(a.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(a.sun_path, path);
	rc = socket_dir(path);
	if (rc)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		if (errno != EADDRINUSE)
			goto out_errno;
		if (socket_live(&a)) {
			log_err("Another server answers on %s; stop it first or give keel-virtd another --socket.",
				path);
			close(fd);
			return -EADDRINUSE;
		}
		/* A socket file a server that is gone left behind. */
		unlink(path);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
			goto out_errno;
	}
	if (chmod(path, mode) || listen(fd, 128))
		goto out_unlink;
	*out = evconnlistener_new(s->base, accept_cb, s, LEV_OPT_CLOSE_ON_FREE,
				  -1, fd);
	if (!*out) {
		errno = ENOMEM;
		goto out_unlink;
	}
	evconnlistener_set_error_cb(*out, accept_error_cb);
	return 0;
out_unlink:
	rc = -errno;
	unlink(path);
	errno = -rc;
out_errno:
	rc = -errno;
	log_err("Cannot listen on %s: %s.", path, strerror(errno));
	close(fd);
	return rc;
}

int virt_server_new(struct event_base *base, const struct virt_options *o,
		    struct virt_server **out)
{
	struct virt_server *s = calloc(1, sizeof(*s));
	unsigned i;
	int rc;

	if (!s)
		return -ENOMEM;
	s->base = base;
	s->opts = o;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->accept_pause = evtimer_new(base, accept_resume_cb, s);
	if (!s->accept_pause) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = virt_events_new(base, o, &s->events);
	if (rc)
		goto out_free;
	rc = listen_unix(s, o->socket, 0600, &s->rw);
	if (rc)
		goto out_free;
	s->rw_made = true;
	rc = listen_unix(s, o->socket_ro, 0666, &s->ro);
	if (rc)
		goto out_free;
	s->ro_made = true;
	s->threads = calloc(o->workers, sizeof(*s->threads));
	if (!s->threads) {
		rc = -ENOMEM;
		goto out_free;
	}
	for (i = 0; i < o->workers; i++) {
		rc = -pthread_create(&s->threads[i], NULL, worker_main, s);
		if (rc) {
			log_err("Cannot start a worker thread: %s.",
				strerror(-rc));
			goto out_free;
		}
		s->nr_threads++;
	}
	*out = s;
	return 0;
out_free:
	virt_server_free(s);
	return rc;
}

void virt_server_free(struct virt_server *s)
{
	if (!s)
		return;
	workers_stop(s);
	while (s->clients)
		client_close(s->clients, NULL);
	virt_events_free(s->events);
	if (s->accept_pause)
		event_free(s->accept_pause);
	if (s->rw)
		evconnlistener_free(s->rw);
	if (s->ro)
		evconnlistener_free(s->ro);
	if (s->rw_made)
		unlink(s->opts->socket);
	if (s->ro_made)
		unlink(s->opts->socket_ro);
	free(s->threads);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
