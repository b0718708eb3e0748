// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Decompression of kernel payloads and initramfs images on the host, with
 * zlib, liblzma, libzstd and liblz4. Every decoder appends to one bounded
 * output buffer (struct dbuf): it never grows past one byte more than the
 * caller's limit, which is how "more output than allowed" is told apart
 * from "exactly the limit".
 *
 * The lz4 format here is the legacy one Linux uses (lz4 -l): a magic, then
 * blocks of [le32 compressed size][data], each decoding to at most 8 MiB.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <lz4.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST /* next_in points to const input */
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "decompress.h"
#include "le.h"

#define LZ4_LEGACY_MAGIC 0x184c2102U
#define LZ4_LEGACY_BLOCK (8U << 20)
/* liblzma may allocate this much for a stream's dictionary, no more. */
#define DECOMP_LZMA_MEMLIMIT (256ULL << 20)
#define DBUF_MIN_CAP (64U << 10)
/* First guess at the output size of a stream (grown as needed). */
#define DBUF_GUESS_RATIO 4
#define DBUF_GUESS_MAX (64U << 20)

#define CPIO_HDR_LEN 110
#define CPIO_OFF_FILESIZE 54
#define CPIO_OFF_NAMESIZE 94
#define CPIO_NAME_MAX 4096 /* the kernel's PATH_MAX */
#define CPIO_TRAILER "TRAILER!!!"

/* A growing output buffer that holds at most max + 1 bytes. */
struct dbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
	size_t max;
};

static const struct {
	int fmt;
	const char *name;
	size_t magic_len;
	const char *magic;
} decomp_magics[] = {
	{ DECOMP_GZIP, "gzip", 2, "\x1f\x8b" },
	{ DECOMP_XZ, "xz", 6, "\xfd\x37\x7a\x58\x5a\x00" },
	{ DECOMP_LZMA, "lzma", 3, "\x5d\x00\x00" },
	{ DECOMP_ZSTD, "zstd", 4, "\x28\xb5\x2f\xfd" },
	{ DECOMP_LZ4_LEGACY, "lz4", 4, "\x02\x21\x4c\x18" },
	{ DECOMP_BZIP2, "bzip2", 3, "BZh" },
};

#define NR_MAGICS (sizeof(decomp_magics) / sizeof(decomp_magics[0]))

const char *decompress_format_name(int fmt)
{
	for (size_t i = 0; i < NR_MAGICS; i++)
		if (decomp_magics[i].fmt == fmt)
			return decomp_magics[i].name;
	return "unknown";
}

int decompress_detect(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < NR_MAGICS; i++) {
		size_t n = decomp_magics[i].magic_len;

		if (len < n || memcmp(buf, decomp_magics[i].magic, n))
			continue;
		/* "BZh" is followed by the block size, '1' to '9'. */
		if (decomp_magics[i].fmt == DECOMP_BZIP2 &&
		    (len < 4 || buf[3] < '1' || buf[3] > '9'))
			continue;
		return decomp_magics[i].fmt;
	}
	return DECOMP_UNKNOWN;
}

static size_t dbuf_limit(const struct dbuf *b)
{
	return b->max == SIZE_MAX ? SIZE_MAX : b->max + 1;
}

static int dbuf_resize(struct dbuf *b, size_t cap)
{
	uint8_t *p = realloc(b->p, cap ? cap : 1);

	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

/*
 * Room for a streaming decoder to write into: at least @hint bytes if
 * the buffer is empty, else double it, never past max + 1. -EFBIG once
 * the buffer is at that limit and full: the stream has more to give.
 */
static int dbuf_grow(struct dbuf *b, size_t hint)
{
	size_t limit = dbuf_limit(b), cap;

	if (b->cap >= limit && b->len >= b->cap)
		return -EFBIG;
	if (b->len < b->cap)
		return 0;
	cap = b->cap > limit / 2 ? limit : b->cap * 2;
	if (cap < hint)
		cap = hint;
	if (cap < DBUF_MIN_CAP)
		cap = DBUF_MIN_CAP;
	if (cap > limit)
		cap = limit;
	return dbuf_resize(b, cap);
}

/*
 * Room for @want more bytes whatever the limit (lz4's whole blocks),
 * growing geometrically so that appending n bytes costs O(n).
 */
static int dbuf_reserve(struct dbuf *b, size_t want)
{
	size_t cap;

	if (b->cap - b->len >= want)
		return 0;
	if (want > SIZE_MAX - b->len)
		return -ENOMEM;
	cap = b->len + want;
	if (b->cap <= SIZE_MAX / 2 && cap < b->cap * 2)
		cap = b->cap * 2;
	return dbuf_resize(b, cap);
}

static int dbuf_append(struct dbuf *b, const uint8_t *src, size_t n)
{
	int rc;

	if (n > b->max - b->len || b->len > b->max)
		return -EFBIG;
	rc = dbuf_reserve(b, n);
	if (rc)
		return rc;
	memcpy(b->p + b->len, src, n);
	b->len += n;
	return 0;
}

/* A first output size to try for @in_len bytes of compressed input. */
static size_t dbuf_guess(size_t in_len)
{
	if (in_len > DBUF_GUESS_MAX / DBUF_GUESS_RATIO)
		return DBUF_GUESS_MAX;
	return in_len * DBUF_GUESS_RATIO;
}

static int decomp_gzip(const uint8_t *in, size_t in_len, struct dbuf *b,
		       size_t *consumed)
{
	size_t done_in = 0;
	z_stream zs;
	int rc, zrc;

	memset(&zs, 0, sizeof(zs));
	/* 16 + window bits: a gzip wrapper, checked (CRC32, ISIZE). */
	zrc = inflateInit2(&zs, 16 + MAX_WBITS);
	if (zrc != Z_OK)
		return zrc == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
	for (;;) {
		size_t out_before, in_before;

		rc = dbuf_grow(b, dbuf_guess(in_len));
		if (rc)
			break;
		if (zs.avail_in == 0 && done_in < in_len) {
			size_t chunk = in_len - done_in;

			zs.next_in = in + done_in;
			zs.avail_in = chunk > UINT_MAX ? UINT_MAX : (uInt)chunk;
		}
		out_before = b->cap - b->len;
		if (out_before > UINT_MAX)
			out_before = UINT_MAX;
		in_before = zs.avail_in;
		zs.next_out = b->p + b->len;
		zs.avail_out = (uInt)out_before;
		zrc = inflate(&zs, Z_NO_FLUSH);
		b->len += out_before - zs.avail_out;
		done_in += in_before - zs.avail_in;
		if (zrc == Z_STREAM_END) {
			rc = b->len > b->max ? -EFBIG : 0;
			break;
		}
		if (zrc == Z_BUF_ERROR && zs.avail_out > 0) {
			/* No progress with room to write: input ran out. */
			rc = -EINVAL;
			break;
		}
		if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			rc = zrc == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
			break;
		}
	}
	inflateEnd(&zs);
	*consumed = done_in;
	return rc;
}

static int decomp_lzma_err(lzma_ret lrc)
{
	switch (lrc) {
	case LZMA_MEM_ERROR:
		return -ENOMEM;
	case LZMA_MEMLIMIT_ERROR: /* a dictionary larger than we allow */
	case LZMA_UNSUPPORTED_CHECK:
	case LZMA_OPTIONS_ERROR:
		return -ENOTSUP;
	default:
		return -EINVAL;
	}
}

/* One .xz stream (@alone false) or one .lzma stream (@alone true). */
static int decomp_lzma(const uint8_t *in, size_t in_len, bool alone,
		       struct dbuf *b, size_t *consumed)
{
	lzma_stream ls = LZMA_STREAM_INIT;
	lzma_ret lrc;
	int rc;

	if (alone)
		lrc = lzma_alone_decoder(&ls, DECOMP_LZMA_MEMLIMIT);
	else
		lrc = lzma_stream_decoder(&ls, DECOMP_LZMA_MEMLIMIT, 0);
	if (lrc != LZMA_OK)
		return decomp_lzma_err(lrc);
	ls.next_in = in;
	ls.avail_in = in_len;
	for (;;) {
		size_t room;

		rc = dbuf_grow(b, dbuf_guess(in_len));
		if (rc)
			break;
		room = b->cap - b->len;
		ls.next_out = b->p + b->len;
		ls.avail_out = room;
		lrc = lzma_code(&ls, LZMA_FINISH);
		b->len += room - ls.avail_out;
		if (lrc == LZMA_STREAM_END) {
			rc = b->len > b->max ? -EFBIG : 0;
			break;
		}
		if (lrc != LZMA_OK) {
			/* LZMA_BUF_ERROR: truncated, no progress possible. */
			rc = decomp_lzma_err(lrc);
			break;
		}
	}
	*consumed = (size_t)ls.total_in;
	lzma_end(&ls);
	return rc;
}

static int decomp_zstd_err(size_t zrc)
{
	switch (ZSTD_getErrorCode(zrc)) {
	case ZSTD_error_memory_allocation:
		return -ENOMEM;
	case ZSTD_error_frameParameter_windowTooLarge: /* > 128 MiB window */
		return -ENOTSUP;
	default:
		return -EINVAL;
	}
}

static int decomp_zstd(const uint8_t *in, size_t in_len, struct dbuf *b,
		       size_t *consumed)
{
	size_t frame = ZSTD_findFrameCompressedSize(in, in_len), zrc;
	ZSTD_inBuffer ib = { in, 0, 0 };
	ZSTD_DCtx *dctx;
	int rc;

	if (ZSTD_isError(frame))
		return -EINVAL; /* truncated or not a frame */
	ib.size = frame;
	dctx = ZSTD_createDCtx();
	if (!dctx)
		return -ENOMEM;
	for (;;) {
		ZSTD_outBuffer ob;
		size_t in_pos = ib.pos;

		rc = dbuf_grow(b, dbuf_guess(in_len));
		if (rc)
			break;
		ob = (ZSTD_outBuffer){ b->p + b->len, b->cap - b->len, 0 };
		zrc = ZSTD_decompressStream(dctx, &ob, &ib);
		b->len += ob.pos;
		if (ZSTD_isError(zrc)) {
			rc = decomp_zstd_err(zrc);
			break;
		}
		if (zrc == 0) {
			rc = b->len > b->max ? -EFBIG : 0;
			break;
		}
		/* Output space left, but no input used and none to use. */
		if (ob.pos < ob.size && ib.pos == in_pos && ib.pos == ib.size) {
			rc = -EINVAL;
			break;
		}
	}
	ZSTD_freeDCtx(dctx);
	*consumed = ib.pos;
	return rc;
}

/*
 * One legacy lz4 stream. It has no end marker: it ends with the input,
 * at a zero block size (padding follows) or where the next stream's
 * magic starts.
 */
static int decomp_lz4(const uint8_t *in, size_t in_len, struct dbuf *b,
		      size_t *consumed)
{
	const size_t bound = (size_t)LZ4_compressBound(LZ4_LEGACY_BLOCK);
	size_t pos = 4;
	int rc = 0;

	while (pos < in_len) {
		uint32_t bsz;
		int n;

		if (in_len - pos < 4) {
			rc = -EINVAL;
			break;
		}
		bsz = le_get32(in + pos);
		if (bsz == LZ4_LEGACY_MAGIC || bsz == 0)
			break;
		pos += 4;
		if (bsz > bound || bsz > in_len - pos) {
			rc = -EINVAL;
			break;
		}
		rc = dbuf_reserve(b, LZ4_LEGACY_BLOCK);
		if (rc)
			break;
		n = LZ4_decompress_safe((const char *)in + pos,
					(char *)b->p + b->len, (int)bsz,
					(int)LZ4_LEGACY_BLOCK);
		if (n < 0) {
			rc = -EINVAL;
			break;
		}
		b->len += (size_t)n;
		pos += bsz;
		if (b->len > b->max) {
			rc = -EFBIG;
			break;
		}
	}
	*consumed = pos;
	return rc;
}

/* Decode the stream of format @fmt at @in onto the end of @b. */
static int decomp_one(int fmt, const uint8_t *in, size_t in_len,
		      struct dbuf *b, size_t *consumed)
{
	*consumed = 0;
	switch (fmt) {
	case DECOMP_GZIP:
		return decomp_gzip(in, in_len, b, consumed);
	case DECOMP_XZ:
		return decomp_lzma(in, in_len, false, b, consumed);
	case DECOMP_LZMA:
		return decomp_lzma(in, in_len, true, b, consumed);
	case DECOMP_ZSTD:
		return decomp_zstd(in, in_len, b, consumed);
	case DECOMP_LZ4_LEGACY:
		return decomp_lz4(in, in_len, b, consumed);
	default:
		return -ENOTSUP;
	}
}

/* Hand @b's bytes to the caller, trimmed to size, or free them. */
static int dbuf_finish(struct dbuf *b, int rc, uint8_t **out,
		       size_t *out_len)
{
	if (!rc && b->len > b->max)
		rc = -EFBIG;
	if (!rc && !b->p)
		rc = dbuf_resize(b, 0);
	if (rc) {
		free(b->p);
		return rc;
	}
	if (b->cap > b->len)
		dbuf_resize(b, b->len); /* failing to shrink is harmless */
	*out = b->p;
	*out_len = b->len;
	return 0;
}

int decompress_stream(const uint8_t *in, size_t in_len, uint8_t **out,
		      size_t *out_len, size_t max_out, size_t *consumed)
{
	struct dbuf b = { .max = max_out };
	int rc;

	rc = decomp_one(decompress_detect(in, in_len), in, in_len, &b,
			consumed);
	return dbuf_finish(&b, rc, out, out_len);
}

int decompress_buf(const uint8_t *in, size_t in_len, uint8_t **out,
		   size_t *out_len, size_t max_out)
{
	struct dbuf b = { .max = max_out };
	int fmt = decompress_detect(in, in_len), rc;
	size_t pos = 0, used;

	rc = decomp_one(fmt, in, in_len, &b, &used);
	while (!rc) {
		pos += used;
		while (pos < in_len && in[pos] == 0)
			pos++;
		if (pos == in_len)
			break;
		if (decompress_detect(in + pos, in_len - pos) != fmt) {
			rc = -EINVAL; /* trailing garbage */
			break;
		}
		rc = decomp_one(fmt, in + pos, in_len - pos, &b, &used);
	}
	return dbuf_finish(&b, rc, out, out_len);
}

static bool cpio_is_magic(const uint8_t *p, size_t len)
{
	return len >= 6 && !memcmp(p, "07070", 5) && (p[5] == '1' || p[5] == '2');
}

/* An 8-digit hex field of a newc header; false if it is not one. */
static bool cpio_hex(const uint8_t *p, uint32_t *val)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		uint8_t c = p[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v << 4 | (uint32_t)(c - 'A' + 10);
		else
			return false;
	}
	*val = v;
	return true;
}

static size_t align4(size_t v)
{
	return (v + 3) & ~(size_t)3;
}

/*
 * Length of the newc archive at @p: every entry up to and including the
 * TRAILER!!! one and its padding (always a multiple of 4). -ENOTSUP if
 * @p is not a newc archive, -EINVAL if it is a broken or truncated one.
 */
static int cpio_archive_len(const uint8_t *p, size_t len, size_t *alen)
{
	size_t off = 0;

	if (!cpio_is_magic(p, len))
		return -ENOTSUP;
	for (;;) {
		uint32_t fsize, nsize;
		size_t name, data, end;

		if (len - off < CPIO_HDR_LEN || !cpio_is_magic(p + off, len - off))
			return -EINVAL;
		if (!cpio_hex(p + off + CPIO_OFF_FILESIZE, &fsize) ||
		    !cpio_hex(p + off + CPIO_OFF_NAMESIZE, &nsize) ||
		    nsize == 0 || nsize > CPIO_NAME_MAX)
			return -EINVAL;
		name = off + CPIO_HDR_LEN;
		data = align4(name + nsize);
		if (data > len || p[name + nsize - 1] != 0 ||
		    fsize > len - data)
			return -EINVAL;
		end = align4(data + fsize);
		if (end > len)
			return -EINVAL;
		off = end;
		if (nsize == sizeof(CPIO_TRAILER) &&
		    !memcmp(p + name, CPIO_TRAILER, sizeof(CPIO_TRAILER))) {
			*alen = off;
			return 0;
		}
	}
}

/*
 * Check that @b from @start on is newc archives and NUL padding only, and
 * squeeze the padding out so the archives sit back to back.
 */
static int cpio_compact(struct dbuf *b, size_t start)
{
	size_t r = start, w = start, alen;
	int rc;

	while (r < b->len) {
		if (b->p[r] == 0) {
			r++;
			continue;
		}
		rc = cpio_archive_len(b->p + r, b->len - r, &alen);
		if (rc)
			return rc;
		memmove(b->p + w, b->p + r, alen);
		w += alen;
		r += alen;
	}
	b->len = w;
	return 0;
}

int initrd_flatten(const uint8_t *in, size_t len, uint8_t **out,
		   size_t *out_len, size_t max_out)
{
	struct dbuf b = { .max = max_out };
	size_t pos = 0, n, start;
	int rc = 0, fmt;

	while (!rc && pos < len) {
		n = 0;
		if (in[pos] == 0) {
			pos++;
			continue;
		}
		if (cpio_is_magic(in + pos, len - pos)) {
			rc = cpio_archive_len(in + pos, len - pos, &n);
			if (!rc)
				rc = dbuf_append(&b, in + pos, n);
			pos += n;
			continue;
		}
		fmt = decompress_detect(in + pos, len - pos);
		if (fmt == DECOMP_UNKNOWN) {
			rc = -ENOTSUP;
			break;
		}
		start = b.len;
		rc = decomp_one(fmt, in + pos, len - pos, &b, &n);
		if (!rc)
			rc = cpio_compact(&b, start);
		pos += n;
	}
	/* Nothing but padding: not an initramfs we know. */
	if (!rc && b.len == 0)
		rc = -ENOTSUP;
	return dbuf_finish(&b, rc, out, out_len);
}
