// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld's listening sockets and admission (listener.h): who a client
 * is (SO_PEERCRED, on both sockets), whether it may use keeld.sock,
 * whether the limits on clients (admit.h) have room for it; the error
 * line and lingering close of those that are not let in; and what
 * accept() does when keeld runs out of descriptors. Everything a
 * client let in does is server.c's.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "jsonrpc.h"
#include "keeld.h"
#include "listener.h"
#include "log.h"
#include "monotime.h"
#include "tls.h"

/*
 * How long a lingering close reads what a closed client still sends,
 * and how much of it: enough for the request it sent before it read the
 * answer, not the rest of a megabyte it means to push.
 */
#define LINGER_MS 2000
#define LINGER_MAX_BYTES (64 * 1024)

/*
 * Most connections taken in a row before the clients get their turn: a
 * storm of connections must not keep the loop in accept().
 */
#define ACCEPT_PER_TURN 16

/* The pause after accept() fails, doubled while it keeps failing. */
#define ACCEPT_BACKOFF_MIN_MS 50
#define ACCEPT_BACKOFF_MAX_MS 1000

struct listener {
	struct listeners *ls;
	struct evconnlistener *lev;
	char *path;
	bool read_only;
};

/* A closed connection whose last bytes are read and discarded. */
struct lingerer {
	struct listeners *ls;
	evutil_socket_t fd;
	struct event *ev;
	long long deadline_ms;
	size_t discarded;
	struct lingerer *prev, *next;
};

struct listeners {
	struct keeld *keeld;
	struct listener rw, ro;
	listeners_client_fn on_client;
	void *arg;
	int prio;
	bool have_group;
	gid_t gid;
	struct tls_server *tls;	/* NULL: no `listen` address */
	struct lingerer *lingering;
	unsigned nr_lingering;
	struct event *retry;	/* after accept() failed */
	struct event *turn;	/* after ACCEPT_PER_TURN */
	unsigned accepted;	/* in this turn */
	unsigned backoff_ms;
	char discard[LINGER_MAX_BYTES];
};

static struct timeval ms_to_tv(long long ms)
{
	struct timeval tv = {
		.tv_sec = (time_t)(ms / 1000),
		.tv_usec = (suseconds_t)(ms % 1000) * 1000,
	};

	return tv;
}

static void linger_free(struct lingerer *lg)
{
	struct listeners *ls = lg->ls;

	if (lg->prev)
		lg->prev->next = lg->next;
	else
		ls->lingering = lg->next;
	if (lg->next)
		lg->next->prev = lg->prev;
	ls->nr_lingering--;
	event_free(lg->ev);
	close(lg->fd);
	free(lg);
}

/* Discard what the client sends until it closes or time is up. */
static void linger_readable(evutil_socket_t fd, short what, void *arg)
{
	struct lingerer *lg = arg;
	long long left = lg->deadline_ms - monotime_ms();
	struct timeval tv;
	ssize_t n;

	if (what & EV_TIMEOUT) {
		linger_free(lg);
		return;
	}
	n = recv(fd, lg->ls->discard, sizeof(lg->ls->discard), 0);
	if (n > 0)
		lg->discarded += (size_t)n;
	if (n == 0 || left <= 0 || lg->discarded >= LINGER_MAX_BYTES ||
	    (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	     errno != EINTR)) {
		linger_free(lg);
		return;
	}
	tv = ms_to_tv(left);
	event_add(lg->ev, &tv);
}

void listeners_linger(struct listeners *ls, evutil_socket_t fd)
{
	struct timeval tv = ms_to_tv(LINGER_MS);
	struct lingerer *lg = NULL;

	shutdown(fd, SHUT_WR);
	if (ls->nr_lingering <
	    admit_settings(ls->keeld->admit)->max_lingering)
		lg = calloc(1, sizeof(*lg));
	if (lg)
		lg->ev = event_new(ls->keeld->base, fd, EV_READ,
				   linger_readable, lg);
	if (!lg || !lg->ev) {
		free(lg);
		close(fd);
		return;
	}
	event_priority_set(lg->ev, ls->prio);
	lg->ls = ls;
	lg->fd = fd;
	lg->deadline_ms = monotime_ms() + LINGER_MS;
	lg->next = ls->lingering;
	if (ls->lingering)
		ls->lingering->prev = lg;
	ls->lingering = lg;
	ls->nr_lingering++;
	event_add(lg->ev, &tv);
}

/*
 * Answer a client that is not let in with one error line (id null),
 * then close it lingering. @fd is owned.
 */
static void listener_refuse(struct listeners *ls, evutil_socket_t fd,
			    int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void listener_refuse(struct listeners *ls, evutil_socket_t fd,
			    int code, const char *fmt, ...)
{
	struct json_object *e;
	char msg[512], *line = NULL;
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	e = jsonrpc_error(NULL, code, msg, NULL);
	if (e)
		line = jsonrpc_to_line(e, &len);
	json_object_put(e);
	/* A new socket's buffer takes a line this short at once. */
	if (line && send(fd, line, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		log_debug("Cannot answer a refused client: %s.",
			  strerror(errno));
	free(line);
	listeners_linger(ls, fd);
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
 * May the peer @cred (NULL: unknown) on @fd use keeld.sock? Root and
 * keeld's own user (who could ptrace keeld anyway) are let in before
 * this is asked; others if in the configured group.
 */
static bool listener_authorised(struct listeners *ls, int fd,
				const struct ucred *cred)
{
	if (!cred || !ls->have_group)
		return false;
	return cred->gid == ls->gid || uid_in_group(cred->uid, ls->gid, fd);
}

static void listener_accept(struct evconnlistener *lev, evutil_socket_t fd,
			    struct sockaddr *sa, int socklen, void *arg)
{
	struct listener *l = arg;
	struct listeners *ls = l->ls;
	struct admit *admit = ls->keeld->admit;
	const struct admit_settings *set = admit_settings(admit);
	struct ucred cred = { .uid = (uid_t)-1, .gid = (gid_t)-1 };
	socklen_t len = sizeof(cred);
	struct client_slot slot;
	bool known, root;

	ls->backoff_ms = 0;
	if (++ls->accepted == ACCEPT_PER_TURN) {
		/* libevent's accept loop stops here; the rest comes later. */
		evconnlistener_disable(ls->rw.lev);
		evconnlistener_disable(ls->ro.lev);
		event_active(ls->turn, EV_TIMEOUT, 0);
	}
	known = !getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
	root = known && !l->read_only &&
	       (cred.uid == 0 || cred.uid == geteuid());
	if (!l->read_only && !root &&
	    !listener_authorised(ls, fd, known ? &cred : NULL)) {
		log_info_limited("Refused a client (uid %u) on %s: it is neither root nor in keeld's group.",
				 (unsigned)cred.uid, l->path);
		listener_refuse(ls, fd, KEEL_E_PERMISSION,
				"Permission denied: keeld.sock is for root and members of keeld's group; use keeld-ro.sock for read-only access.");
		return;
	}
	switch (admit_client(admit, &slot, cred.uid, root)) {
	case ADMIT_OK:
		break;
	case ADMIT_PER_UID:
		log_warn_limited("Refused a client on %s: uid %u already has %u connections (max_clients_per_uid).",
				 l->path, (unsigned)cred.uid, set->per_uid);
		listener_refuse(ls, fd, KEEL_E_RESOURCE,
				"keeld refused the connection: uid %u already has %u connections, the most one user may have (max_clients_per_uid); close some first.",
				(unsigned)cred.uid, set->per_uid);
		return;
	case ADMIT_TOTAL:
		log_warn_limited("Refused a client (uid %u) on %s: keeld has %u clients (max_clients %u, of them %u kept for root on keeld.sock).",
				 (unsigned)cred.uid, l->path,
				 admit_nr_clients(admit), set->max_clients,
				 set->root_reserve);
		listener_refuse(ls, fd, KEEL_E_RESOURCE,
				"keeld refused the connection: it has as many clients as it allows (max_clients); try again later.");
		return;
	case ADMIT_NOMEM:
		log_warn_limited("Refusing a connection: out of memory.");
		listener_refuse(ls, fd, KEEL_E_RESOURCE,
				"keeld ran out of memory.");
		return;
	}
	if (ls->on_client(ls->arg, fd, l->read_only, &slot, NULL)) {
		admit_leave(admit, &slot);
		log_warn_limited("Refusing a connection: out of memory.");
		close(fd);
	}
}

/*
 * accept() failed with something other than "try again": most likely
 * keeld is out of descriptors, and the connection waiting in the
 * backlog would make the listener fire again at once, for ever (and
 * libevent log each time). Stop accepting for a while instead, on both
 * sockets, longer each time.
 */
static void listener_accept_error(struct evconnlistener *lev, void *arg)
{
	struct listener *l = arg;
	struct listeners *ls = l->ls;
	int err = EVUTIL_SOCKET_ERROR();
	struct timeval tv;

	ls->backoff_ms = ls->backoff_ms ? ls->backoff_ms * 2 :
					  ACCEPT_BACKOFF_MIN_MS;
	if (ls->backoff_ms > ACCEPT_BACKOFF_MAX_MS)
		ls->backoff_ms = ACCEPT_BACKOFF_MAX_MS;
	if (err == EMFILE || err == ENFILE)
		log_warn_limited("keeld is out of file descriptors (%s) with %u clients and %u closing; it accepts no connection for %u ms.",
				 strerror(err),
				 admit_nr_clients(ls->keeld->admit),
				 ls->nr_lingering, ls->backoff_ms);
	else
		log_warn_limited("Cannot accept a connection on %s: %s; keeld accepts no connection for %u ms.",
				 l->path, strerror(err), ls->backoff_ms);
	evconnlistener_disable(ls->rw.lev);
	evconnlistener_disable(ls->ro.lev);
	tv = ms_to_tv(ls->backoff_ms);
	evtimer_add(ls->retry, &tv);
}

static void listeners_enable(evutil_socket_t fd, short what, void *arg)
{
	struct listeners *ls = arg;

	ls->accepted = 0;
	evconnlistener_enable(ls->rw.lev);
	evconnlistener_enable(ls->ro.lev);
}

/* The clients had their turn: accept again, unless backing off. */
static void listeners_next_turn(evutil_socket_t fd, short what, void *arg)
{
	struct listeners *ls = arg;

	if (!evtimer_pending(ls->retry, NULL))
		listeners_enable(fd, what, arg);
}

static int listener_open(struct listeners *ls, struct listener *l,
			 const char *name, bool read_only)
{
	const char *dir = ls->keeld->conf.run_dir;
	mode_t mode = read_only ? 0666 : 0660, old_mask;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	l->ls = ls;
	l->read_only = read_only;
	if (asprintf(&l->path, "%s/%s", dir, name) < 0) {
		l->path = NULL;
		return -ENOMEM;
	}
	if (strlen(l->path) >= sizeof(sun.sun_path)) {
		log_err("The socket path %s is too long for a UNIX socket; choose a shorter run directory.",
			l->path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, l->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(l->path);
	/* Never let the socket exist, even briefly, with wider access. */
	old_mask = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
	umask(old_mask);
	if (!rc && ls->have_group && !read_only &&
	    chown(l->path, (uid_t)-1, ls->gid))
		rc = -errno;
	if (!rc && chmod(l->path, mode))
		rc = -errno;
	if (rc) {
		log_err("Cannot create the socket %s: %s.", l->path,
			strerror(-rc));
		close(fd);
		return rc;
	}
	l->lev = evconnlistener_new(ls->keeld->base, listener_accept, l,
				    LEV_OPT_CLOSE_ON_FREE |
					    LEV_OPT_CLOSE_ON_EXEC,
				    128, fd);
	if (!l->lev) {
		log_err("Cannot listen on %s: %s.", l->path, strerror(errno));
		close(fd);
		return -EIO;
	}
	evconnlistener_set_error_cb(l->lev, listener_accept_error);
	return 0;
}

static void listener_close(struct listener *l)
{
	if (l->lev) {
		evconnlistener_free(l->lev);
		unlink(l->path);
	}
	free(l->path);
	l->lev = NULL;
	l->path = NULL;
}

int listeners_new(struct keeld *k, int prio, listeners_client_fn on_client,
		  void *arg, struct listeners **out)
{
	struct listeners *ls = calloc(1, sizeof(*ls));
	const char *group = k->conf.group;
	int rc;

	if (!ls)
		return -ENOMEM;
	ls->keeld = k;
	ls->on_client = on_client;
	ls->arg = arg;
	ls->prio = prio;
	ls->retry = evtimer_new(k->base, listeners_enable, ls);
	ls->turn = evtimer_new(k->base, listeners_next_turn, ls);
	if (!ls->retry || !ls->turn) {
		listeners_free(ls);
		return -ENOMEM;
	}
	/* The clients in first, then more connections. */
	event_priority_set(ls->turn, prio);
	if (group) {
		struct group *gr = getgrnam(group);

		if (!gr) {
			log_err("The group \"%s\" named in keeld's configuration does not exist; create it or change \"group\".",
				group);
			listeners_free(ls);
			return -ENOENT;
		}
		ls->have_group = true;
		ls->gid = gr->gr_gid;
	}
	rc = listener_open(ls, &ls->rw, "keeld.sock", false);
	if (!rc)
		rc = listener_open(ls, &ls->ro, "keeld-ro.sock", true);
	if (!rc)
		rc = tls_server_new(k, prio, on_client, arg, &ls->tls);
	if (rc) {
		listeners_free(ls);
		return rc;
	}
	*out = ls;
	return 0;
}

void listeners_free(struct listeners *ls)
{
	if (!ls)
		return;
	while (ls->lingering)
		linger_free(ls->lingering);
	tls_server_free(ls->tls);
	listener_close(&ls->rw);
	listener_close(&ls->ro);
	if (ls->retry)
		event_free(ls->retry);
	if (ls->turn)
		event_free(ls->turn);
	free(ls);
}
