/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_STREAM_IN_H
#define KEEL_STREAM_IN_H

/*
 * The domain stream reader's input (stream_read.c's only): the bytes
 * of a stream from an io that cannot seek (struct stream_io), read
 * ahead into a small buffer but never past what a valid stream must
 * still hold, so that nothing after END is ever taken from a socket;
 * large bodies are read straight to where they go, with the next
 * record's header in the same io.readv() where the io gathers. Also the
 * running XXH3 that END checks.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xxhash.h>

#include "stream.h"

struct stream_in {
	struct stream_io io;	/* where the bytes come from */
	uint64_t offset;	/* bytes the reader consumed so far */
	/*
	 * The stream holds at least this many bytes (what the records read
	 * so far promise): reads ahead stop there. The reader moves it
	 * with stream_in_expect().
	 */
	uint64_t min_end;
	uint8_t *buf;		/* read ahead, not consumed: buf[pos, len) */
	size_t pos, len;
	XXH3_state_t *xxh;
	struct stream_stats *stats;	/* NULL: nothing is timed */
};

/*
 * Start reading @io (copied; io->readv must be set) where it stands;
 * @stats, when not NULL, is zeroed and then counts. Returns 0 or
 * -ENOMEM; stream_in_dispose() is safe either way.
 */
int stream_in_init(struct stream_in *in, const struct stream_io *io,
		   struct stream_stats *stats);

/* Free the buffer and hash state (idempotent); the io stays as it is. */
void stream_in_dispose(struct stream_in *in);

/* A valid stream holds at least @end bytes from its start. */
static inline void stream_in_expect(struct stream_in *in, uint64_t end)
{
	in->min_end = end;
}

/*
 * Consume exactly @len bytes into @dst, added to the checksum when
 * @hash. Returns 0; -ENODATA when the stream ended first (in->offset is
 * where); -errno when the io's read failed.
 */
int stream_in_read(struct stream_in *in, void *dst, size_t len, bool hash);

/* Add @len bytes at @p to the checksum (what was read without @hash). */
void stream_in_hash(struct stream_in *in, const void *p, size_t len);

/* The checksum of every byte hashed so far. */
uint64_t stream_in_digest(struct stream_in *in);

#endif /* KEEL_STREAM_IN_H */
