// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv --incoming (incoming.h, docs/migration.md): the destination's
 * side of the migration connection, in the order it happens: the token
 * from keeld's pipe, one TLS connection, the token line and its answer,
 * the stream through restore_read(), then on the I/O thread the
 * incoming-done notification (status "migrated"), then DONE to the
 * source and, after resume, the guest's announce.
 *
 * The receiving thread blocks (accept, TLS, the stream) while the I/O
 * thread serves the control socket; the VM's vCPUs stay parked
 * throughout, so restoring their state from this thread is what
 * --restore does from the main thread before they exist.
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "device.h"
#include "hv_error.h"
#include "hv_proto.h"
#include "incoming.h"
#include "log.h"
#include "monotime.h"
#include "save.h"
#include "tls_pump.h"
#include "virtio_blk.h"
#include "virtio_net.h"

/* The token line: HV_MIG_HELLO " " TOKEN "\n", and a little slack. */
#define INCOMING_LINE_MAX 128
/* How long the source may take to send it after the handshake. */
#define INCOMING_LINE_MS 10000
/* The disks' locks after the resume: tried every 100 ms for 60 s. */
#define INCOMING_LOCK_MS 100
#define INCOMING_LOCK_TRIES 600

struct incoming {
	struct vm *vm;
	struct control *ctl;
	struct hv_args *args;	/* the disks to lock once the guest runs */
	struct event *lock_ev;
	int lock_tries;
	int listen_fd;
	const char *pki_dir, *peer_dn;
	char token[HV_MIG_TOKEN_LEN + 1];
	pthread_t thread;
	bool started;
	struct event *done_ev;	/* the thread is done: I/O thread's turn */
	/* Shared with the thread under lock: the connection, to cut it. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct tls_chan *chan;
	bool cancelled;
	bool announced;	/* the I/O thread said "migrated": DONE may go */
	/* The thread's result, read by the I/O thread after done_ev. */
	char peer[256];
	long long ms;
};

/* The token: 32 hex digits, one line, in the pipe keeld wrote. */
static int incoming_read_token(struct incoming *in, int fd)
{
	char buf[HV_MIG_TOKEN_LEN + 3];
	size_t len = 0;
	ssize_t n;

	while (len < sizeof(buf) &&
	       (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			hv_error("Cannot read the migration token from descriptor %d (--" HV_OPT_INCOMING_TOKEN "): %s.",
				 fd, strerror(errno));
			return -errno;
		}
		len += (size_t)n;
	}
	if (len && buf[len - 1] == '\n')
		len--;
	if (len != HV_MIG_TOKEN_LEN ||
	    strspn(buf, "0123456789abcdef") < HV_MIG_TOKEN_LEN) {
		hv_error("The migration token on descriptor %d (--" HV_OPT_INCOMING_TOKEN ") is not one line of %d lower-case hex digits.",
			 fd, HV_MIG_TOKEN_LEN);
		return -EINVAL;
	}
	memcpy(in->token, buf, HV_MIG_TOKEN_LEN);
	in->token[HV_MIG_TOKEN_LEN] = '\0';
	return 0;
}

/* Write all of @s to the connection; false if it is gone. */
static bool incoming_say(struct tls_chan *c, const char *s)
{
	return !tls_chan_write(c, s, strlen(s));
}

/*
 * One line, a byte at a time (the stream follows it, and is not ours
 * to read), at most @size - 2 bytes within INCOMING_LINE_MS. Returns
 * its length without the newline, or -1.
 */
static int incoming_line(struct tls_chan *c, char *buf, size_t size)
{
	int n = tls_chan_read_line(c, buf, size - 1, INCOMING_LINE_MS);

	return n < 0 ? -1 : n;
}

/*
 * The source's first line must be HV_MIG_HELLO " TOKEN" with our token;
 * compared in constant time, so that the answer's timing tells nothing
 * about how much of a guess was right. Answers OK or NO. Returns 0 or
 * -EACCES after hv_error().
 */
static int incoming_check_token(struct incoming *in, struct tls_chan *c)
{
	static const char hello[] = HV_MIG_HELLO " ";
	char line[INCOMING_LINE_MAX];
	int len = incoming_line(c, line, sizeof(line));
	const char *why = NULL;

	if (len < 0)
		why = "The source sent no token line (" HV_MIG_HELLO " TOKEN) within 10 s.";
	else if (strncmp(line, hello, sizeof(hello) - 1))
		why = "The source's first line is not " HV_MIG_HELLO " TOKEN: it speaks another version of the migration protocol.";
	else if ((size_t)len != sizeof(hello) - 1 + HV_MIG_TOKEN_LEN ||
		 CRYPTO_memcmp(line + sizeof(hello) - 1, in->token,
			       HV_MIG_TOKEN_LEN))
		why = "The migration token is wrong; only the source that migration.prepare answered may send this migration.";
	if (!why)
		return incoming_say(c, HV_MIG_OK "\n") ? 0 : -EPIPE;
	incoming_say(c, HV_MIG_NO " ");
	incoming_say(c, why);
	incoming_say(c, "\n");
	hv_error("Refused the incoming migration from %s: %s", in->peer, why);
	return -EACCES;
}

/* Put @c where incoming_free() can cut it; false if it already did. */
static bool incoming_set_chan(struct incoming *in, struct tls_chan *c)
{
	bool ok;

	pthread_mutex_lock(&in->lock);
	ok = !in->cancelled;
	in->chan = c;
	pthread_mutex_unlock(&in->lock);
	return ok;
}

/* Wait until incoming_done() ran on the I/O thread; false if cancelled. */
static bool incoming_wait_announced(struct incoming *in)
{
	bool ok;

	pthread_mutex_lock(&in->lock);
	while (!in->announced && !in->cancelled)
		pthread_cond_wait(&in->cond, &in->lock);
	ok = in->announced && !in->cancelled;
	pthread_mutex_unlock(&in->lock);
	return ok;
}

/* A pass is in place: tell the source (HV_MIG_ACK, docs/migration.md). */
static int incoming_ack(void *opaque, uint64_t round)
{
	char line[40];

	snprintf(line, sizeof(line), HV_MIG_ACK " %llu\n",
		 (unsigned long long)round);
	return incoming_say(opaque, line) ? 0 : -EPIPE;
}

/*
 * The stream reader's way in (struct stream_io): the first piece only,
 * a TLS record's worth at most; the next header comes on its own.
 */
static ssize_t incoming_io_readv(void *opaque, const struct iovec *iov,
				 int n)
{
	(void)n;
	return tls_chan_read(opaque, iov[0].iov_base, iov[0].iov_len, -1);
}

static void *incoming_run(void *arg)
{
	struct incoming *in = arg;
	struct tls_server *srv = NULL;
	struct tls_chan *c = NULL;
	struct stream_io io = { .readv = incoming_io_readv };
	char why[SAVE_WHY_MAX], line[SAVE_WHY_MAX + 16];
	long long t0;
	uint64_t cpu0, all0;
	int rc;

	rc = tls_server_accept(in->listen_fd, in->pki_dir, in->peer_dn,
			       HV_MIG_ACCEPT_S * 1000, &srv, why, sizeof(why));
	if (rc) {
		hv_error("%s", why);
		goto out_fail;
	}
	snprintf(in->peer, sizeof(in->peer), "%s", tls_server_peer(srv));
	c = tls_server_chan(srv);
	io.opaque = c;
	if (!incoming_set_chan(in, c))
		goto out_fail;
	log_info("incoming: a migration connected from %s (%s; %s).", in->peer,
		 tls_server_cipher(srv),
		 tls_server_ktls_recv(srv) ?
			 "the kernel decrypts it" :
			 "OpenSSL decrypts it on the receiving thread");
	rc = incoming_check_token(in, c);
	if (rc)
		goto out_fail;
	t0 = monotime_ms();
	cpu0 = cputime_us(RUSAGE_THREAD);
	all0 = cputime_us(RUSAGE_SELF);
	rc = restore_read(in->vm, &io, incoming_ack, c, why);
	in->ms = monotime_ms() - t0;
	/* The vCPUs are parked: what this thread did not use, TLS did. */
	log_info("incoming: the stream took %lld ms; CPU %lld ms on the reading thread, %lld ms in all keel-hv.",
		 in->ms,
		 (long long)((cputime_us(RUSAGE_THREAD) - cpu0) / 1000),
		 (long long)((cputime_us(RUSAGE_SELF) - all0) / 1000));
	if (rc) {
		if (!why[0])
			snprintf(why, sizeof(why),
				 "The domain stream could not be read.");
		snprintf(line, sizeof(line), HV_MIG_FAIL " %s\n", why);
		incoming_say(c, line);
		hv_error("The incoming migration from %s failed: %s", in->peer,
			 why);
		goto out_fail;
	}
	/*
	 * DONE first: the source's keeld waits for it, with the guest
	 * paused, before it sends migration.finish. Only keeld resumes this
	 * copy, after the control socket said "migrated" (next) and that
	 * finish came; a finish that comes first waits for the note, and
	 * one for a copy that ends meanwhile is refused, so the source runs
	 * on.
	 */
	if (!incoming_say(c, HV_MIG_DONE "\n")) {
		hv_error("The incoming migration's source %s went away before it heard DONE; the source runs on, so this copy ends.",
			 in->peer);
		goto out_fail;
	}
	event_active(in->done_ev, EV_READ, 0);
	if (!incoming_wait_announced(in)) {
		log_warn("incoming: the destination is stopping after DONE; the source's finish will be refused and it runs on.");
		goto out_fail;
	}
	restore_done(in->vm);
	log_info("incoming: the stream from %s is applied (%lld ms); waiting paused for resume.",
		 in->peer, in->ms);
	tls_chan_hangup(c, INCOMING_LINE_MS);
	incoming_set_chan(in, NULL);
	tls_server_free(srv);
	return NULL;

out_fail:
	if (c)
		tls_chan_hangup(c, 1000);
	incoming_set_chan(in, NULL);
	tls_server_free(srv);
	vm_request_exit(in->vm, VM_EXIT_ERROR);
	return NULL;
}

/*
 * Take the disks' locks (hv_args_open_disks() left them for now). The
 * source keel-hv holds them until keeld ends it, just after this resume;
 * try every INCOMING_LOCK_MS until each is ours, and say so if the
 * source still has one after INCOMING_LOCK_TRIES.
 */
static void incoming_lock_disks(evutil_socket_t fd, short what, void *arg)
{
	struct incoming *in = arg;
	struct hv_args *a = in->args;
	const struct timeval again = { 0, INCOMING_LOCK_MS * 1000 };
	bool busy = false;

	for (unsigned i = 0; i < a->cfg.nr_disks; i++) {
		int rc;

		if (a->images[i].fd < 0 || a->locked[i])
			continue;
		rc = vblk_image_try_lock(&a->images[i]);
		if (!rc)
			a->locked[i] = true;
		else if (rc == -EBUSY && in->lock_tries < INCOMING_LOCK_TRIES)
			busy = true;
		else
			vblk_image_lock(&a->images[i]); /* says why */
	}
	in->lock_tries++;
	if (busy)
		evtimer_add(in->lock_ev, &again);
}

/*
 * After the first resume: lock the disks, and let the switches learn
 * where the guest is.
 */
static void incoming_resumed(void *opaque)
{
	struct incoming *in = opaque;

	/* The moment the guest runs here: the end of the migration's downtime. */
	log_info("incoming: resumed; the guest runs here.");
	if (in->lock_ev)
		incoming_lock_disks(-1, 0, in);
	for (struct device *d = in->vm->devices; d; d = d->next)
		virtio_net_announce(d);
}

/* The I/O thread: the VM is whole and paused; say so. */
static void incoming_done(evutil_socket_t fd, short what, void *arg)
{
	struct incoming *in = arg;
	struct json_object *o = json_object_new_object();

	if (o) {
		json_object_object_add(o, "peer",
				       json_object_new_string(in->peer));
		json_object_object_add(o, "ms", json_object_new_int64(in->ms));
	}
	control_incoming_done(in->ctl, o, incoming_resumed, in);
	pthread_mutex_lock(&in->lock);
	in->announced = true;
	pthread_cond_signal(&in->cond);
	pthread_mutex_unlock(&in->lock);
}

int incoming_start(struct vm *vm, struct control *ctl, struct hv_args *a,
		   struct incoming **out)
{
	struct incoming *in = calloc(1, sizeof(*in));
	int rc;

	if (!in) {
		hv_error("Cannot prepare the incoming migration: out of memory.");
		return -ENOMEM;
	}
	in->vm = vm;
	in->ctl = ctl;
	in->args = a;
	in->listen_fd = a->incoming_fd;
	in->pki_dir = a->pki_dir;
	in->peer_dn = a->incoming_peer;
	pthread_mutex_init(&in->lock, NULL);
	pthread_cond_init(&in->cond, NULL);
	snprintf(in->peer, sizeof(in->peer), "the source");
	rc = incoming_read_token(in, a->incoming_token_fd);
	close(a->incoming_token_fd);
	a->incoming_token_fd = -1;
	if (rc)
		goto out_free;
	in->done_ev = event_new(vm->evbase, -1, 0, incoming_done, in);
	in->lock_ev = evtimer_new(vm->evbase, incoming_lock_disks, in);
	if (!in->done_ev || !in->lock_ev) {
		hv_error("Cannot prepare the incoming migration: out of memory.");
		rc = -ENOMEM;
		goto out_free;
	}
	control_set_incoming(ctl);
	rc = -pthread_create(&in->thread, NULL, incoming_run, in);
	if (rc) {
		hv_error("Cannot start receiving the migration: %s.",
			 strerror(-rc));
		goto out_free;
	}
	in->started = true;
	log_info("incoming: waiting up to %d s for the migration on descriptor %d.",
		 HV_MIG_ACCEPT_S, in->listen_fd);
	*out = in;
	return 0;

out_free:
	incoming_free(in);
	return rc;
}

void incoming_free(struct incoming *in)
{
	if (!in)
		return;
	if (in->started) {
		/* Wake the thread wherever it waits: accept, or the stream. */
		pthread_mutex_lock(&in->lock);
		in->cancelled = true;
		pthread_cond_signal(&in->cond);
		if (in->chan)
			tls_chan_cut(in->chan);
		pthread_mutex_unlock(&in->lock);
		shutdown(in->listen_fd, SHUT_RDWR);
		pthread_join(in->thread, NULL);
	}
	if (in->done_ev)
		event_free(in->done_ev);
	if (in->lock_ev)
		event_free(in->lock_ev);
	pthread_cond_destroy(&in->cond);
	pthread_mutex_destroy(&in->lock);
	free(in);
}
