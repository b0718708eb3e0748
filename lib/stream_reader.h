/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_STREAM_READER_H
#define KEEL_STREAM_READER_H

/*
 * The domain stream reader's own parts (lib/stream_read*.c), not an
 * interface: stream_read.c reads the framing, the order and every
 * record but RAM; stream_read_ram.c the RAM records, where a restore's
 * time goes; stream_in.c the bytes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zstd.h>

#include "stream.h"
#include "stream_in.h"

/* Where in the order of docs/stream.md's Records table the reader is. */
enum phase {
	PHASE_HEADER,	/* nothing read yet: HEADER must come */
	PHASE_RAM,	/* RAM, PROGRESS, then VM */
	PHASE_VCPUS,	/* VCPU 0, 1, ... then DEVICE or END */
	PHASE_DEVICES,	/* DEVICE, PROGRESS, END */
};

struct stream_reader {
	struct stream_in in;	/* the bytes, their offset and checksum */
	const struct stream_ops *ops;
	void *opaque;
	char *err;
	size_t err_size;
	/* The record being read, for messages. */
	bool in_preamble;
	bool have_type;
	uint32_t type;
	uint64_t rec_at, rec_len;
	bool failed;		/* err holds the sentence */
	enum phase phase;
	uint32_t next_vcpu;
	bool have_header;
	struct stream_header hdr;
	uint8_t *buf;		/* one record's body */
	size_t buf_cap;
	uint8_t *scratch;	/* pages nobody maps (no ram_map) */
	size_t scratch_cap;
	ZSTD_DCtx *zd;
};

/* A callback's refusal: its own sentence, or one made from @rc. */
int stream_reader_refused(struct stream_reader *r, int rc);

/*
 * Read exactly @len bytes into @dst, hashed when @hash. A stream that
 * ends first is refused, saying where. 0 or -errno, the sentence made.
 */
int stream_reader_read(struct stream_reader *r, void *dst, size_t len,
		       bool hash);

/* Grow @buf to hold @len bytes (at most a record's limit). */
int stream_reader_reserve(struct stream_reader *r, uint8_t **buf,
			  size_t *cap, size_t len);

/* Read the record's @len-byte body into r->buf. */
int stream_reader_body(struct stream_reader *r, size_t len);

/* A RAM record of @len bytes (its limit checked): checked and delivered. */
int stream_read_ram(struct stream_reader *r, uint64_t len);

#endif /* KEEL_STREAM_READER_H */
