// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The domain stream reader's input (stream_in.h). A restore's time is
 * spent on its RAM records' bytes: each is read once, straight into
 * guest memory, and hashed there while it is still in the cache. What
 * lies between them (record headers, RAM fields, padding) comes from a
 * small buffer, filled in the same system call as the body before it.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/*
 * libxxhash's run-time dispatch picks AVX2 or AVX-512 where the CPU
 * has them, about twice the speed of the SSE2 that the library's plain
 * XXH3_64bits_update() is built for; the header is installed with the
 * dispatching library and replaces the function by name. The hash is
 * the same either way.
 */
#if defined(__x86_64__) && defined(__has_include)
#if __has_include(<xxh_x86dispatch.h>)
#include <xxh_x86dispatch.h>
#endif
#endif

#include "monotime.h"
#include "stream_in.h"

/* What is read ahead at most: many small records' worth. */
#define STREAM_IN_BUF (64 * 1024)
/* A read at least this long goes to its destination, not the buffer. */
#define STREAM_IN_DIRECT (16 * 1024)

int stream_in_init(struct stream_in *in, const struct stream_io *io,
		   struct stream_stats *stats)
{
	memset(in, 0, sizeof(*in));
	in->io = *io;
	in->stats = stats;
	if (stats)
		memset(stats, 0, sizeof(*stats));
	in->min_end = STREAM_PREAMBLE_SIZE;
	in->buf = malloc(STREAM_IN_BUF);
	in->xxh = XXH3_createState();
	if (!in->buf || !in->xxh || XXH3_64bits_reset(in->xxh) != XXH_OK)
		return -ENOMEM;
	return 0;
}

void stream_in_dispose(struct stream_in *in)
{
	free(in->buf);
	in->buf = NULL;
	XXH3_freeState(in->xxh);
	in->xxh = NULL;
}

void stream_in_hash(struct stream_in *in, const void *p, size_t len)
{
	uint64_t t0 = in->stats ? monotime_ns() : 0;

	XXH3_64bits_update(in->xxh, p, len);
	if (in->stats)
		in->stats->hash_ns += monotime_ns() - t0;
}

uint64_t stream_in_digest(struct stream_in *in)
{
	return XXH3_64bits_digest(in->xxh);
}

/* How much may be read ahead from stream offset @at on. */
static size_t ahead(const struct stream_in *in, uint64_t at)
{
	if (in->min_end <= at)
		return 0;
	return in->min_end - at < STREAM_IN_BUF ? (size_t)(in->min_end - at) :
						   STREAM_IN_BUF;
}

static ssize_t in_readv(struct stream_in *in, struct iovec *iov, int n)
{
	uint64_t t0 = in->stats ? monotime_ns() : 0;
	ssize_t got;

	got = in->io.readv(in->io.opaque, iov, n);
	if (in->stats) {
		in->stats->reads++;
		in->stats->read_ns += monotime_ns() - t0;
	}
	return got;
}

/* Consume @n bytes at @p that are already where they belong. */
static void consumed(struct stream_in *in, const void *p, size_t n, bool hash)
{
	if (hash)
		stream_in_hash(in, p, n);
	in->offset += n;
}

int stream_in_read(struct stream_in *in, void *dst, size_t len, bool hash)
{
	uint8_t *p = dst;
	struct iovec iov[2];
	ssize_t got;
	size_t n;

	while (len) {
		if (in->pos < in->len) {
			n = len < in->len - in->pos ? len : in->len - in->pos;
			memcpy(p, in->buf + in->pos, n);
			in->pos += n;
			consumed(in, p, n, hash);
			p += n;
			len -= n;
			continue;
		}
		/* The buffer is empty: the io is at in->offset. */
		in->pos = in->len = 0;
		if (len >= STREAM_IN_DIRECT) {
			iov[0].iov_base = p;
			iov[0].iov_len = len;
			iov[1].iov_base = in->buf;
			iov[1].iov_len = ahead(in, in->offset + len);
			got = in_readv(in, iov, iov[1].iov_len ? 2 : 1);
			if (got <= 0)
				return got ? (int)got : -ENODATA;
			n = (size_t)got < len ? (size_t)got : len;
			consumed(in, p, n, hash);
			in->len = (size_t)got - n;
			p += n;
			len -= n;
			continue;
		}
		iov[0].iov_base = in->buf;
		iov[0].iov_len = ahead(in, in->offset);
		if (iov[0].iov_len < len)
			iov[0].iov_len = len;
		got = in_readv(in, iov, 1);
		if (got <= 0)
			return got ? (int)got : -ENODATA;
		in->len = (size_t)got;
	}
	return 0;
}
