// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The child that puts what keel-hv writes into its FIFO (a save's
 * stream, a core's records) into the file (save_writer.h says why it is
 * not keel-hv that writes it).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "le.h"
#include "log.h"
#include "save_writer.h"

/* What one splice() or read() moves at most. */
#define SAVE_WRITER_CHUNK (1 << 20)

struct save_writer {
	char *fifo;
	int keep_fd;		/* keeld's write end, until keel-hv answered */
	pid_t pid;		/* 0 once reaped */
	int pidfd;
	struct event *exit_ev;
	save_writer_fn done;
	void *opaque;
};

/* @len bytes of @p into @out: at *@off, or where the file is (NULL). */
static int save_writer_write(int out, const uint8_t *p, size_t len,
			     const uint64_t *off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = off ? pwrite(out, p + done, len - done,
					 (off_t)(*off + done)) :
				  write(out, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? errno : EIO;
		done += (size_t)n;
	}
	return 0;
}

/* Everything from @in into @out, then synced: 0 or an errno. */
static int save_writer_copy(int in, int out)
{
	static uint8_t buf[SAVE_WRITER_CHUNK];
	bool use_splice = true;
	int err;

	for (;;) {
		ssize_t n;

		if (use_splice) {
			n = splice(in, NULL, out, NULL, SAVE_WRITER_CHUNK,
				   SPLICE_F_MOVE | SPLICE_F_MORE);
			if (n < 0 && errno == EINVAL) {
				/* A file system that takes no splice. */
				use_splice = false;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return errno;
			if (n == 0)
				break;
			continue;
		}
		n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			break;
		err = save_writer_write(out, buf, (size_t)n, NULL);
		if (err)
			return err;
	}
	return fdatasync(out) < 0 ? errno : 0;
}

/* @len bytes from @in: 0, ENODATA at EOF before the first, EIO after. */
static int save_writer_read(int in, uint8_t *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(in, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			return got ? EIO : ENODATA;
		got += (size_t)n;
	}
	return 0;
}

/*
 * A core's records (save_writer.h) from @in into @out, each where it
 * says; the end record sets the size, then the file is synced. 0 or an
 * errno: EIO for input that ends without that record or goes on after
 * it, EFBIG for an offset past what a file can have.
 */
static int save_writer_records(int in, int out)
{
	static uint8_t buf[SAVE_WRITER_CHUNK];
	uint8_t head[16];
	uint64_t off, len;
	size_t n;
	int err;

	for (;;) {
		err = save_writer_read(in, head, sizeof(head));
		if (err)
			return err == ENODATA ? EIO : err;
		off = le_get64(head);
		len = le_get64(head + 8);
		if (off > INT64_MAX || len > INT64_MAX - off)
			return EFBIG;
		if (!len)
			break;
		for (; len; len -= n, off += n) {
			n = len < sizeof(buf) ? (size_t)len : sizeof(buf);
			err = save_writer_read(in, buf, n);
			if (!err)
				err = save_writer_write(out, buf, n, &off);
			if (err)
				return err == ENODATA ? EIO : err;
		}
	}
	err = save_writer_read(in, buf, 1);
	if (err != ENODATA)
		return err ? err : EIO;
	if (ftruncate(out, (off_t)off) < 0)
		return errno;
	return fdatasync(out) < 0 ? errno : 0;
}

/* The child: only async-signal-safe calls, then _exit() with its errno. */
static void __attribute__((noreturn))
save_writer_child(int in, int keep, int out, enum save_writer_mode mode)
{
	sigset_t none;
	int flags, err;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Only keel-hv writes: with keeld's end gone, EOF means done. */
	close(keep);
	flags = fcntl(in, F_GETFL);
	if (flags < 0 || fcntl(in, F_SETFL, flags & ~O_NONBLOCK) < 0)
		_exit(errno);
	err = mode == SAVE_WRITER_RECORDS ? save_writer_records(in, out) :
					    save_writer_copy(in, out);
	_exit(err > 255 ? EIO : err);
}

static void save_writer_reap(struct save_writer *w, int *err)
{
	int status;

	*err = EIO;
	if (waitpid(w->pid, &status, 0) == w->pid && WIFEXITED(status))
		*err = WEXITSTATUS(status);
	w->pid = 0;
}

static void save_writer_exited(evutil_socket_t fd, short what, void *arg)
{
	struct save_writer *w = arg;
	int err;

	(void)fd;
	(void)what;
	save_writer_reap(w, &err);
	if (err)
		log_warn("keeld's writer of a file from %s failed: %s",
			 w->fifo, strerror(err));
	w->done(err, w->opaque);
}

int save_writer_start(struct event_base *base, const char *fifo, int file_fd,
		      enum save_writer_mode mode, save_writer_fn done,
		      void *opaque, struct save_writer **out)
{
	struct save_writer *w = calloc(1, sizeof(*w));
	int in = -1, rc = 0;

	if (!w || !(w->fifo = strdup(fifo))) {
		free(w);
		return -ENOMEM;
	}
	w->keep_fd = -1;
	w->pidfd = -1;
	w->done = done;
	w->opaque = opaque;
	unlink(fifo);
	if (mkfifo(fifo, 0600) < 0) {
		rc = -errno;
		free(w->fifo);
		free(w);
		return rc;
	}
	/* The read end first: a FIFO's write end opens only with a reader. */
	in = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (in >= 0)
		w->keep_fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (in < 0 || w->keep_fd < 0) {
		rc = -errno;
		goto fail;
	}
	w->pid = fork();
	if (w->pid < 0) {
		rc = -errno;
		w->pid = 0;
		goto fail;
	}
	if (w->pid == 0)
		save_writer_child(in, w->keep_fd, file_fd, mode);
	close(in);
	in = -1;
	w->pidfd = pidfd_open(w->pid, 0);
	if (w->pidfd >= 0)
		w->exit_ev = event_new(base, w->pidfd, EV_READ,
				       save_writer_exited, w);
	if (w->pidfd < 0 || !w->exit_ev || event_add(w->exit_ev, NULL)) {
		rc = w->pidfd < 0 ? -errno : -ENOMEM;
		goto fail;
	}
	*out = w;
	return 0;
fail:
	if (in >= 0)
		close(in);
	save_writer_free(w);
	return rc;
}

void save_writer_close(struct save_writer *w)
{
	if (w && w->keep_fd >= 0) {
		close(w->keep_fd);
		w->keep_fd = -1;
		/* Both ends are open or never will be: the name is done. */
		unlink(w->fifo);
	}
}

void save_writer_free(struct save_writer *w)
{
	int err;

	if (!w)
		return;
	save_writer_close(w);
	if (w->pid > 0) {
		kill(w->pid, SIGKILL);
		save_writer_reap(w, &err);
	}
	if (w->exit_ev)
		event_free(w->exit_ev);
	if (w->pidfd >= 0)
		close(w->pidfd);
	unlink(w->fifo);
	free(w->fifo);
	free(w);
}
