// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hypervisor/decompress.c: format detection, round trips through every
 * decoder (the inputs are compressed here with the same libraries),
 * truncated, corrupt and oversized inputs, concatenated streams, and the
 * flattening of initramfs images made of plain and compressed cpio
 * archives.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <lz4.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "decompress.h"
#include "runner.h"

#define LZ4_BLOCK (8U << 20)
#define BIG (1U << 30)

/* A growable byte buffer for building test inputs. */
struct tbuf {
	uint8_t *p;
	size_t len;
	size_t cap;
};

static void tb_put(struct tbuf *b, const void *src, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	if (n)
		memcpy(b->p + b->len, src, n);
	b->len += n;
}

static void tb_zeros(struct tbuf *b, size_t n)
{
	uint8_t z[512] = { 0 };

	while (n) {
		size_t k = n > sizeof(z) ? sizeof(z) : n;

		tb_put(b, z, k);
		n -= k;
	}
}

static void tb_le32(struct tbuf *b, uint32_t v)
{
	uint8_t p[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	tb_put(b, p, 4);
}

/* Compressible but not trivial: text lines with a counter, some noise. */
static uint8_t *make_data(size_t len, uint32_t seed)
{
	uint8_t *d = malloc(len ? len : 1);
	size_t i = 0;

	ck_assert_ptr_nonnull(d);
	while (i < len) {
		char line[64];
		int n = snprintf(line, sizeof(line), "line %u of the data\n",
				 seed);

		seed = seed * 1103515245 + 12345;
		for (int k = 0; k < n && i < len; k++)
			d[i++] = (uint8_t)line[k];
		if (i < len)
			d[i++] = (uint8_t)(seed >> 24);
	}
	return d;
}

static void gz_compress(struct tbuf *o, const uint8_t *in, size_t len)
{
	z_stream zs;
	uint8_t chunk[65536];
	int rc;

	memset(&zs, 0, sizeof(zs));
	ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
				      Z_DEFAULT_STRATEGY),
			 Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)len;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		rc = deflate(&zs, Z_FINISH);
		ck_assert(rc == Z_OK || rc == Z_STREAM_END);
		tb_put(o, chunk, sizeof(chunk) - zs.avail_out);
	} while (rc != Z_STREAM_END);
	deflateEnd(&zs);
}

static void xz_compress(struct tbuf *o, const uint8_t *in, size_t len)
{
	size_t cap = lzma_stream_buffer_bound(len), pos = 0;
	uint8_t *p = malloc(cap);

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(lzma_easy_buffer_encode(1, LZMA_CHECK_CRC32, NULL, in,
						 len, p, &pos, cap),
			 LZMA_OK);
	tb_put(o, p, pos);
	free(p);
}

/* .lzma ("alone"): unknown size in the header, an end marker. */
static void lzma_compress(struct tbuf *o, const uint8_t *in, size_t len)
{
	lzma_stream ls = LZMA_STREAM_INIT;
	lzma_options_lzma opt;
	uint8_t chunk[65536];
	lzma_ret rc;

	ck_assert(!lzma_lzma_preset(&opt, 1));
	ck_assert_int_eq(lzma_alone_encoder(&ls, &opt), LZMA_OK);
	ls.next_in = in;
	ls.avail_in = len;
	do {
		ls.next_out = chunk;
		ls.avail_out = sizeof(chunk);
		rc = lzma_code(&ls, LZMA_FINISH);
		ck_assert(rc == LZMA_OK || rc == LZMA_STREAM_END);
		tb_put(o, chunk, sizeof(chunk) - ls.avail_out);
	} while (rc != LZMA_STREAM_END);
	lzma_end(&ls);
}

/* One zstd frame with a content checksum, so corruption is caught. */
static void zstd_compress(struct tbuf *o, const uint8_t *in, size_t len)
{
	size_t cap = ZSTD_compressBound(len), n;
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	uint8_t *p = malloc(cap);

	ck_assert_ptr_nonnull(cc);
	ck_assert_ptr_nonnull(p);
	ck_assert(!ZSTD_isError(
		ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)));
	n = ZSTD_compress2(cc, p, cap, in, len);
	ck_assert(!ZSTD_isError(n));
	tb_put(o, p, n);
	free(p);
	ZSTD_freeCCtx(cc);
}

/* The legacy lz4 format of `lz4 -l`: magic, [le32 size][block]... */
static void lz4_compress(struct tbuf *o, const uint8_t *in, size_t len)
{
	int cap = LZ4_compressBound(LZ4_BLOCK);
	char *p = malloc((size_t)cap);

	ck_assert_ptr_nonnull(p);
	tb_le32(o, 0x184c2102);
	for (size_t off = 0; off < len; off += LZ4_BLOCK) {
		size_t n = len - off > LZ4_BLOCK ? LZ4_BLOCK : len - off;
		int c = LZ4_compress_default((const char *)in + off, p, (int)n,
					     cap);

		ck_assert_int_gt(c, 0);
		tb_le32(o, (uint32_t)c);
		tb_put(o, p, (size_t)c);
	}
	free(p);
}

typedef void (*compress_fn)(struct tbuf *, const uint8_t *, size_t);

static const struct {
	int fmt;
	compress_fn fn;
} formats[] = {
	{ DECOMP_GZIP, gz_compress },	{ DECOMP_XZ, xz_compress },
	{ DECOMP_LZMA, lzma_compress }, { DECOMP_ZSTD, zstd_compress },
	{ DECOMP_LZ4_LEGACY, lz4_compress },
};

#define NR_FORMATS (sizeof(formats) / sizeof(formats[0]))

/* Detection */

START_TEST(test_detect)
{
	static const struct {
		const char *magic;
		size_t len;
		int fmt;
	} cases[] = {
		{ "\x1f\x8b\x08", 3, DECOMP_GZIP },
		{ "\xfd" "7zXZ\x00", 6, DECOMP_XZ },
		{ "\x5d\x00\x00\x80", 4, DECOMP_LZMA },
		{ "\x28\xb5\x2f\xfd", 4, DECOMP_ZSTD },
		{ "\x02\x21\x4c\x18", 4, DECOMP_LZ4_LEGACY },
		{ "BZh9", 4, DECOMP_BZIP2 },
		{ "BZhx", 4, DECOMP_UNKNOWN },
		{ "\xfd" "7zXZ", 5, DECOMP_UNKNOWN }, /* too short */
		{ "\x1f", 1, DECOMP_UNKNOWN },
		{ "070701", 6, DECOMP_UNKNOWN },
		{ "", 0, DECOMP_UNKNOWN },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_int_eq(decompress_detect((const uint8_t *)cases[i]
							   .magic,
						   cases[i].len),
				 cases[i].fmt);
	ck_assert_str_eq(decompress_format_name(DECOMP_LZ4_LEGACY), "lz4");
	ck_assert_str_eq(decompress_format_name(DECOMP_UNKNOWN), "unknown");
}
END_TEST

/* Round trips */

START_TEST(test_round_trip)
{
	/* Past 8 MiB so that lz4 needs more than one block. */
	size_t len = (9U << 20) + 12345;
	uint8_t *data = make_data(len, (uint32_t)_i), *out = NULL;
	struct tbuf c = { 0 };
	size_t out_len = 0;

	formats[_i].fn(&c, data, len);
	ck_assert_int_eq(decompress_detect(c.p, c.len), formats[_i].fmt);
	ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len, BIG), 0);
	ck_assert_uint_eq(out_len, len);
	ck_assert(!memcmp(out, data, len));
	free(out);

	/* exactly the output size is allowed, one byte less is not */
	out = NULL;
	ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len, len), 0);
	ck_assert_uint_eq(out_len, len);
	free(out);
	out = NULL;
	ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len, len - 1),
			 -EFBIG);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len, 0),
			 -EFBIG);
	ck_assert_ptr_null(out);
	free(c.p);
	free(data);
}
END_TEST

START_TEST(test_empty_payload)
{
	struct tbuf c = { 0 };
	uint8_t *out = NULL;
	size_t out_len = 99;

	formats[_i].fn(&c, (const uint8_t *)"", 0);
	ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len, 0), 0);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(out_len, 0);
	free(out);
	free(c.p);
}
END_TEST

/* Truncation and corruption */

START_TEST(test_truncated)
{
	size_t len = 300000;
	uint8_t *data = make_data(len, 7), *out = NULL;
	struct tbuf c = { 0 };
	size_t out_len;

	formats[_i].fn(&c, data, len);
	/* After the magic, inside the data, one byte short of the end. */
	const size_t cuts[] = { 6, c.len / 3, c.len / 2, c.len - 1 };

	for (size_t k = 0; k < sizeof(cuts) / sizeof(cuts[0]); k++) {
		ck_assert_msg(decompress_buf(c.p, cuts[k], &out, &out_len,
					     BIG) == -EINVAL,
			      "%s cut at %zu of %zu",
			      decompress_format_name(formats[_i].fmt),
			      cuts[k], c.len);
		ck_assert_ptr_null(out);
	}
	free(c.p);
	free(data);
}
END_TEST

/* Flip bytes in the middle: checksummed formats must notice. */
START_TEST(test_corrupt_checksummed)
{
	static const int checked[] = { DECOMP_GZIP, DECOMP_XZ, DECOMP_ZSTD };
	size_t len = 200000;
	uint8_t *data = make_data(len, 3), *out = NULL;
	size_t out_len;

	for (size_t f = 0; f < NR_FORMATS; f++) {
		struct tbuf c = { 0 };
		bool is_checked = false;

		for (size_t k = 0; k < 3; k++)
			is_checked |= formats[f].fmt == checked[k];
		if (!is_checked)
			continue;
		formats[f].fn(&c, data, len);
		c.p[c.len / 2] ^= 0x55;
		c.p[c.len / 2 + 1] ^= 0xaa;
		ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len,
						BIG),
				 -EINVAL);
		ck_assert_ptr_null(out);
		free(c.p);
	}
	free(data);
}
END_TEST

START_TEST(test_lz4_bad_blocks)
{
	size_t len = 100000;
	uint8_t *data = make_data(len, 5), *out = NULL;
	struct tbuf c = { 0 };
	size_t out_len;

	lz4_compress(&c, data, len);
	/* a block size larger than what is left */
	c.p[4] ^= 0x40;
	ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len, BIG),
			 -EINVAL);
	c.p[4] ^= 0x40;
	/* a block size larger than any 8 MiB block compresses to */
	memcpy(c.p + 4, "\xff\xff\xff\x7f", 4);
	ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len, BIG),
			 -EINVAL);
	/* a block that does not decode: literal runs past its end */
	c.len = 0;
	lz4_compress(&c, data, len);
	memset(c.p + 8, 0xff, c.len - 8);
	ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len, BIG),
			 -EINVAL);
	/* three stray bytes after the last block */
	c.len = 0;
	lz4_compress(&c, data, len);
	tb_put(&c, "abc", 3);
	ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len, BIG),
			 -EINVAL);
	/* the stream ends (empty block), then no new magic, yet "blocks" */
	c.len -= 3;
	tb_le32(&c, 0);
	tb_put(&c, "abcd", 4);
	tb_le32(&c, 0);
	ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len, BIG),
			 -EINVAL);
	ck_assert_ptr_null(out);
	free(c.p);
	free(data);
}
END_TEST

START_TEST(test_unsupported)
{
	uint8_t *out = NULL;
	size_t out_len;

	ck_assert_int_eq(decompress_buf((const uint8_t *)"BZh91AY&SY", 10,
					&out, &out_len, BIG),
			 -ENOTSUP);
	ck_assert_int_eq(decompress_buf((const uint8_t *)"hello", 5, &out,
					&out_len, BIG),
			 -ENOTSUP);
	ck_assert_int_eq(decompress_buf((const uint8_t *)"", 0, &out,
					&out_len, BIG),
			 -ENOTSUP);
	ck_assert_ptr_null(out);
}
END_TEST

/* A bomb: 64 MiB of zeros in a few KiB stops at the limit. */
START_TEST(test_bomb)
{
	size_t len = 64U << 20;
	uint8_t *zeros = calloc(1, len), *out = NULL;
	size_t out_len;

	ck_assert_ptr_nonnull(zeros);
	for (size_t f = 0; f < NR_FORMATS; f++) {
		struct tbuf c = { 0 };

		formats[f].fn(&c, zeros, len);
		ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len,
						1U << 20),
				 -EFBIG);
		ck_assert_ptr_null(out);
		free(c.p);
	}
	free(zeros);
}
END_TEST

/*
 * lz4 stops at the first block past the limit: a corrupt block after
 * it is never reached (nor are the gigabytes a bomb would expand to).
 */
START_TEST(test_lz4_stops_at_limit)
{
	size_t len = LZ4_BLOCK;
	uint8_t *zeros = calloc(1, len), *out = NULL;
	struct tbuf c = { 0 };
	size_t out_len;

	ck_assert_ptr_nonnull(zeros);
	lz4_compress(&c, zeros, len);
	tb_le32(&c, 64);
	tb_zeros(&c, 64); /* a block of zeros does not decode */
	ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len, BIG),
			 -EINVAL);
	ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len, len - 1),
			 -EFBIG);
	ck_assert_ptr_null(out);
	free(c.p);
	free(zeros);
}
END_TEST

/* Concatenation and what may follow a stream */

START_TEST(test_concatenated)
{
	size_t l1 = 70000, l2 = 50001;
	uint8_t *d1 = make_data(l1, 1), *d2 = make_data(l2, 2), *out = NULL;
	static const int multi[] = { DECOMP_GZIP, DECOMP_XZ, DECOMP_ZSTD,
				     DECOMP_LZ4_LEGACY };
	size_t out_len;

	for (size_t f = 0; f < NR_FORMATS; f++) {
		struct tbuf c = { 0 };
		bool ok = false;

		for (size_t k = 0; k < 4; k++)
			ok |= formats[f].fmt == multi[k];
		if (!ok)
			continue;
		formats[f].fn(&c, d1, l1);
		tb_zeros(&c, 4); /* xz's stream padding; NULs for all */
		formats[f].fn(&c, d2, l2);
		tb_zeros(&c, 8);
		ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len,
						BIG),
				 0);
		ck_assert_uint_eq(out_len, l1 + l2);
		ck_assert(!memcmp(out, d1, l1));
		ck_assert(!memcmp(out + l1, d2, l2));
		free(out);
		out = NULL;
		/* the two together exceed a limit each one fits */
		ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len,
						l1 + l2 - 1),
				 -EFBIG);
		free(c.p);
	}
	free(d1);
	free(d2);
}
END_TEST

START_TEST(test_trailing_garbage)
{
	size_t len = 10000;
	uint8_t *data = make_data(len, 9), *out = NULL;
	size_t out_len, used;

	for (size_t f = 0; f < NR_FORMATS; f++) {
		struct tbuf c = { 0 };
		size_t clen;

		formats[f].fn(&c, data, len);
		clen = c.len;
		/* an lz4 block size of 0x00ffffff: past the end */
		tb_put(&c, "\xff\xff\xff\x00junk", 8);
		ck_assert_int_eq(decompress_buf(c.p, c.len, &out, &out_len,
						BIG),
				 -EINVAL);
		ck_assert_ptr_null(out);
		if (formats[f].fmt == DECOMP_LZ4_LEGACY) {
			free(c.p);
			continue;
		}
		/* one stream: where it ends is reported, the rest ignored */
		ck_assert_int_eq(decompress_stream(c.p, c.len, &out, &out_len,
						   BIG, &used),
				 0);
		ck_assert_uint_eq(used, clen);
		ck_assert_uint_eq(out_len, len);
		ck_assert(!memcmp(out, data, len));
		free(out);
		out = NULL;
		free(c.p);
	}
	free(data);
}
END_TEST

/* lz4 streams end at a new magic or a zero block size. */
START_TEST(test_lz4_stream_end)
{
	size_t len = 5000, used, out_len;
	uint8_t *data = make_data(len, 4), *out;
	struct tbuf c = { 0 };
	size_t first;

	lz4_compress(&c, data, len);
	first = c.len;
	lz4_compress(&c, data, len);
	ck_assert_int_eq(decompress_stream(c.p, c.len, &out, &out_len, BIG,
					   &used),
			 0);
	ck_assert_uint_eq(used, first);
	ck_assert_uint_eq(out_len, len);
	free(out);
	c.len = first;
	tb_zeros(&c, 16);
	ck_assert_int_eq(decompress_stream(c.p, c.len, &out, &out_len, BIG,
					   &used),
			 0);
	ck_assert_uint_eq(used, first);
	free(out);
	free(c.p);
	free(data);
}
END_TEST

/* Random damage anywhere: an error or a bounded result, never a crash. */
START_TEST(test_mutations)
{
	size_t len = 40000, max = 50000;
	uint8_t *data = make_data(len, 11);
	struct tbuf c = { 0 };
	uint32_t seed = 12345 + (uint32_t)_i;

	formats[_i].fn(&c, data, len);
	for (int iter = 0; iter < 300; iter++) {
		uint8_t *m = malloc(c.len), *out = NULL;
		size_t mlen = c.len, out_len = 0;
		int rc;

		ck_assert_ptr_nonnull(m);
		memcpy(m, c.p, c.len);
		for (int k = 0; k < 1 + iter % 4; k++) {
			seed = seed * 1103515245 + 12345;
			/* keep the magic so the decoder itself is tested */
			m[6 + (seed >> 8) % (mlen - 6)] ^=
				(uint8_t)(1 + (seed >> 3) % 255);
		}
		if (iter % 5 == 0)
			mlen = 6 + (seed >> 4) % (mlen - 6);
		rc = decompress_buf(m, mlen, &out, &out_len, max);
		ck_assert_msg(rc == 0 || rc == -EINVAL || rc == -EFBIG ||
				      rc == -ENOTSUP,
			      "rc %d", rc);
		if (!rc)
			ck_assert_uint_le(out_len, max);
		free(out);
		free(m);
	}
	free(c.p);
	free(data);
}
END_TEST

/* initramfs flattening */

/* Append one newc entry; @b's archive starts 4-byte aligned. */
static void cpio_add(struct tbuf *b, const char *name, const char *data,
		     unsigned mode)
{
	unsigned nlen = (unsigned)strlen(name) + 1;
	unsigned dlen = data ? (unsigned)strlen(data) : 0;
	char hdr[111];

	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 1u, mode, 0u, 0u, 1u, 0u, dlen, 0u, 0u, 0u, 0u, nlen, 0u);
	tb_put(b, hdr, 110);
	tb_put(b, name, nlen);
	tb_zeros(b, (4 - b->len % 4) % 4);
	tb_put(b, data, dlen);
	tb_zeros(b, (4 - b->len % 4) % 4);
}

static void cpio_trailer(struct tbuf *b)
{
	cpio_add(b, "TRAILER!!!", NULL, 0);
}

/* Archive A: what an early microcode cpio looks like. */
static void archive_a(struct tbuf *b)
{
	cpio_add(b, "kernel", NULL, 040755);
	cpio_add(b, "kernel/x86/microcode/GenuineIntel.bin", "ucode", 0100644);
	cpio_trailer(b);
}

/* Archive B: the main initramfs (odd file sizes test the padding). */
static void archive_b(struct tbuf *b)
{
	cpio_add(b, "init", "#!/bin/sh\necho hi\n", 0100755);
	cpio_add(b, "bin", NULL, 040755);
	cpio_add(b, "bin/x", "abc", 0100644);
	cpio_trailer(b);
}

START_TEST(test_flatten_mixed)
{
	struct tbuf a = { 0 }, bb = { 0 }, inner = { 0 }, img = { 0 };
	uint8_t *out = NULL;
	size_t out_len;

	archive_a(&a);
	archive_b(&bb);
	ck_assert_uint_eq(a.len % 4, 0);
	/* The compressed part holds B, padding, then B again. */
	tb_put(&inner, bb.p, bb.len);
	tb_zeros(&inner, 512 - inner.len % 512);
	tb_put(&inner, bb.p, bb.len);
	tb_zeros(&inner, 3);

	tb_put(&img, a.p, a.len);
	tb_zeros(&img, 512 - img.len % 512);
	formats[_i].fn(&img, inner.p, inner.len);
	tb_zeros(&img, 4);
	/* and a plain archive after the compressed one */
	tb_put(&img, a.p, a.len);

	ck_assert_int_eq(initrd_flatten(img.p, img.len, &out, &out_len, BIG),
			 0);
	ck_assert_uint_eq(out_len, a.len + 2 * bb.len + a.len);
	ck_assert(!memcmp(out, a.p, a.len));
	ck_assert(!memcmp(out + a.len, bb.p, bb.len));
	ck_assert(!memcmp(out + a.len + bb.len, bb.p, bb.len));
	ck_assert(!memcmp(out + a.len + 2 * bb.len, a.p, a.len));
	free(out);
	out = NULL;
	ck_assert_int_eq(initrd_flatten(img.p, img.len, &out, &out_len,
					out_len - 1),
			 -EFBIG);
	ck_assert_ptr_null(out);
	free(a.p);
	free(bb.p);
	free(inner.p);
	free(img.p);
}
END_TEST

START_TEST(test_flatten_plain_and_gzip_only)
{
	struct tbuf a = { 0 }, img = { 0 };
	uint8_t *out;
	size_t out_len;

	archive_b(&a);
	/* plain cpio alone: copied */
	ck_assert_int_eq(initrd_flatten(a.p, a.len, &out, &out_len, BIG), 0);
	ck_assert_uint_eq(out_len, a.len);
	ck_assert(!memcmp(out, a.p, a.len));
	free(out);
	/* gzip cpio alone (the usual initrd.gz) */
	gz_compress(&img, a.p, a.len);
	ck_assert_int_eq(initrd_flatten(img.p, img.len, &out, &out_len, BIG),
			 0);
	ck_assert_uint_eq(out_len, a.len);
	ck_assert(!memcmp(out, a.p, a.len));
	free(out);
	free(a.p);
	free(img.p);
}
END_TEST

START_TEST(test_flatten_rejects)
{
	struct tbuf a = { 0 }, t = { 0 };
	uint8_t *out = NULL;
	size_t out_len;
	const char *text = "not a cpio archive, an old-style initrd image";

	archive_b(&a);
	/* not an initramfs at all */
	ck_assert_int_eq(initrd_flatten((const uint8_t *)"\x7f" "ELF....",
					8, &out, &out_len, BIG),
			 -ENOTSUP);
	/* a compressed image that is not cpio inside */
	gz_compress(&t, (const uint8_t *)text, strlen(text));
	ck_assert_int_eq(initrd_flatten(t.p, t.len, &out, &out_len, BIG),
			 -ENOTSUP);
	/* cpio followed by something unknown */
	t.len = 0;
	tb_put(&t, a.p, a.len);
	tb_put(&t, "junk", 4);
	ck_assert_int_eq(initrd_flatten(t.p, t.len, &out, &out_len, BIG),
			 -ENOTSUP);
	/* bzip2 segments are recognised but not decoded here */
	t.len = 0;
	tb_put(&t, a.p, a.len);
	tb_put(&t, "BZh91AY&SY", 10);
	ck_assert_int_eq(initrd_flatten(t.p, t.len, &out, &out_len, BIG),
			 -ENOTSUP);
	/* only padding */
	t.len = 0;
	tb_zeros(&t, 1024);
	ck_assert_int_eq(initrd_flatten(t.p, t.len, &out, &out_len, BIG),
			 -ENOTSUP);
	ck_assert_ptr_null(out);
	free(a.p);
	free(t.p);
}
END_TEST

START_TEST(test_flatten_broken_cpio)
{
	struct tbuf a = { 0 }, t = { 0 };
	uint8_t *out = NULL;
	size_t out_len;

	archive_b(&a);
	/* no trailer: cut before it */
	ck_assert_int_eq(initrd_flatten(a.p, a.len - 124, &out, &out_len, BIG),
			 -EINVAL);
	/* cut inside an entry */
	ck_assert_int_eq(initrd_flatten(a.p, 150, &out, &out_len, BIG),
			 -EINVAL);
	/* a name without its NUL */
	tb_put(&t, a.p, a.len);
	t.p[110 + 4] = 'X';
	ck_assert_int_eq(initrd_flatten(t.p, t.len, &out, &out_len, BIG),
			 -EINVAL);
	t.p[110 + 4] = 0;
	ck_assert_int_eq(initrd_flatten(t.p, t.len, &out, &out_len, BIG), 0);
	free(out);
	out = NULL;
	/* a file size running past the end */
	memcpy(t.p + 54, "7FFFFFFF", 8);
	ck_assert_int_eq(initrd_flatten(t.p, t.len, &out, &out_len, BIG),
			 -EINVAL);
	/* a field that is not hex */
	memcpy(t.p + 54, "0000001G", 8);
	ck_assert_int_eq(initrd_flatten(t.p, t.len, &out, &out_len, BIG),
			 -EINVAL);
	/* a name size of zero, and one past PATH_MAX */
	memcpy(t.p + 54, a.p + 54, 8);
	memcpy(t.p + 94, "00000000", 8);
	ck_assert_int_eq(initrd_flatten(t.p, t.len, &out, &out_len, BIG),
			 -EINVAL);
	memcpy(t.p + 94, "00001001", 8);
	ck_assert_int_eq(initrd_flatten(t.p, t.len, &out, &out_len, BIG),
			 -EINVAL);
	/* a truncated compressed segment after a good archive */
	t.len = 0;
	tb_put(&t, a.p, a.len);
	gz_compress(&t, a.p, a.len);
	ck_assert_int_eq(initrd_flatten(t.p, t.len - 5, &out, &out_len, BIG),
			 -EINVAL);
	ck_assert_ptr_null(out);
	free(a.p);
	free(t.p);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("decompress");
	TCase *tc = tcase_create("decoders");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_detect);
	tcase_add_loop_test(tc, test_round_trip, 0, NR_FORMATS);
	tcase_add_loop_test(tc, test_empty_payload, 0, NR_FORMATS);
	tcase_add_loop_test(tc, test_truncated, 0, NR_FORMATS);
	tcase_add_test(tc, test_corrupt_checksummed);
	tcase_add_test(tc, test_lz4_bad_blocks);
	tcase_add_test(tc, test_unsupported);
	tcase_add_test(tc, test_bomb);
	tcase_add_test(tc, test_lz4_stops_at_limit);
	tcase_add_test(tc, test_concatenated);
	tcase_add_test(tc, test_trailing_garbage);
	tcase_add_test(tc, test_lz4_stream_end);
	tcase_add_loop_test(tc, test_mutations, 0, NR_FORMATS);
	suite_add_tcase(s, tc);

	tc = tcase_create("initrd");
	tcase_add_loop_test(tc, test_flatten_mixed, 0, NR_FORMATS);
	tcase_add_test(tc, test_flatten_plain_and_gzip_only);
	tcase_add_test(tc, test_flatten_rejects);
	tcase_add_test(tc, test_flatten_broken_cpio);
	suite_add_tcase(s, tc);
	return s;
}
