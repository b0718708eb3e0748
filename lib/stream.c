// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The domain stream's writer (stream.h, docs/stream.md) and what the
 * reader shares with it: the record types and their limits.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <lz4.h>
#include <xxhash.h>
#include <zstd.h>

#include "le.h"
#include "monotime.h"
#include "stream.h"

#define MIB (1024ull * 1024)

static const struct {
	const char *name;
	uint64_t max;
} types[] = {
	[STREAM_HEADER] = { "HEADER", 1 * MIB },
	[STREAM_RAM] = { "RAM", 64 * MIB + 32 },
	[STREAM_VM] = { "VM", 64 * 1024 },
	[STREAM_VCPU] = { "VCPU", 1 * MIB },
	[STREAM_DEVICE] = { "DEVICE", 16 * MIB },
	[STREAM_PROGRESS] = { "PROGRESS", 4096 },
	[STREAM_END] = { "END", 8 },
};

#define N_TYPES (sizeof(types) / sizeof(types[0]))

uint64_t stream_type_max(uint32_t type)
{
	return type < N_TYPES ? types[type].max : 0;
}

const char *stream_type_name(uint32_t type)
{
	return type < N_TYPES ? types[type].name : NULL;
}

/* stream_io_fd(): the descriptor travels in the opaque pointer. */
static int fd_of(void *opaque)
{
	return (int)(intptr_t)opaque;
}

static int fd_write(void *opaque, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	int fd = fd_of(opaque);
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, -1) >= 0 || errno == EINTR)
				continue;
		}
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static ssize_t fd_readv(void *opaque, const struct iovec *iov, int n)
{
	ssize_t got;

	do
		got = readv(fd_of(opaque), iov, n);
	while (got < 0 && errno == EINTR);
	return got < 0 ? -errno : got;
}

struct stream_io stream_io_fd(int fd)
{
	return (struct stream_io){ .write = fd_write, .readv = fd_readv,
				   .opaque = (void *)(intptr_t)fd };
}

struct stream_writer {
	struct stream_io io;	/* where the bytes go */
	int err;		/* sticky: the first error, for later calls */
	uint64_t offset;
	uint64_t wait_us;	/* inside io.write(): the reader's pace */
	/* stream_writer_set_buffer(): bytes held for one big write. */
	uint8_t *obuf;
	size_t olen, ocap;
	XXH3_state_t *xxh;
	/* The VM or VCPU record being built. */
	uint32_t rec_type;	/* 0: none */
	uint8_t *rec;
	size_t rec_len, rec_cap;
	size_t tlv_at;		/* the open sub-record's header */
	bool tlv_open;
	int rec_err;
	/* Compression's output, sized for one run of the most pages. */
	uint8_t *zbuf;
	size_t zcap;
	ZSTD_CCtx *zctx;
};

struct stream_writer *stream_writer_new_io(const struct stream_io *io)
{
	struct stream_writer *sw = calloc(1, sizeof(*sw));

	if (!sw)
		return NULL;
	sw->io = *io;
	sw->xxh = XXH3_createState();
	if (!sw->xxh || XXH3_64bits_reset(sw->xxh) != XXH_OK) {
		stream_writer_free(sw);
		return NULL;
	}
	return sw;
}

struct stream_writer *stream_writer_new(int fd)
{
	struct stream_io io = stream_io_fd(fd);

	return stream_writer_new_io(&io);
}

void stream_writer_free(struct stream_writer *sw)
{
	if (!sw)
		return;
	XXH3_freeState(sw->xxh);
	ZSTD_freeCCtx(sw->zctx);
	free(sw->obuf);
	free(sw->zbuf);
	free(sw->rec);
	free(sw);
}

uint64_t stream_writer_offset(const struct stream_writer *sw)
{
	return sw->offset;
}

uint64_t stream_writer_wait_us(const struct stream_writer *sw)
{
	return sw->wait_us;
}

/* All of @len bytes to io.write(), timed. 0, or the sticky error. */
static int write_all(struct stream_writer *sw, const uint8_t *p, size_t len)
{
	uint64_t t0 = monotime_us();

	if (len)
		sw->err = sw->io.write(sw->io.opaque, p, len);
	sw->wait_us += monotime_us() - t0;
	return sw->err;
}

int stream_writer_flush(struct stream_writer *sw)
{
	int rc;

	if (sw->err || !sw->olen)
		return sw->err;
	rc = write_all(sw, sw->obuf, sw->olen);
	sw->olen = 0;
	return rc;
}

int stream_writer_set_buffer(struct stream_writer *sw, size_t size)
{
	uint8_t *b;
	int rc = stream_writer_flush(sw);

	if (rc)
		return rc;
	if (size > STREAM_WRITE_BUF_MAX)
		return -EINVAL;
	b = size ? malloc(size) : NULL;
	if (size && !b)
		return -ENOMEM;
	free(sw->obuf);
	sw->obuf = b;
	sw->ocap = size;
	return 0;
}

/*
 * Write all of @len bytes, hashed unless @hash is false (END's header):
 * into the buffer when there is one (what does not fit goes straight
 * to the fd once the buffer is out), else to the fd.
 */
static int emit(struct stream_writer *sw, const void *buf, size_t len,
		bool hash)
{
	if (sw->err)
		return sw->err;
	if (hash && len)
		XXH3_64bits_update(sw->xxh, buf, len);
	sw->offset += len;
	if (sw->ocap && sw->olen + len > sw->ocap && stream_writer_flush(sw))
		return sw->err;
	if (!sw->ocap || len >= sw->ocap)
		return write_all(sw, buf, len);
	memcpy(sw->obuf + sw->olen, buf, len);
	sw->olen += len;
	return 0;
}

static const uint8_t zeros[8];

/*
 * A record header for a body of @len bytes that arrives in pieces;
 * finish_record() pads it. @hash is false only for END.
 */
static int start_record(struct stream_writer *sw, uint32_t type,
			uint32_t flags, uint64_t len, bool hash)
{
	uint8_t h[STREAM_RECORD_HEADER_SIZE];

	if (sw->err)
		return sw->err;
	if (stream_type_max(type) && len > stream_type_max(type))
		return -E2BIG;
	le_put32(h, type);
	le_put32(h + 4, flags);
	le_put64(h + 8, len);
	return emit(sw, h, sizeof(h), hash);
}

static int finish_record(struct stream_writer *sw, uint64_t len)
{
	return emit(sw, zeros, (8 - len % 8) % 8, true);
}

int stream_write_record(struct stream_writer *sw, uint32_t type,
			uint32_t flags, const void *body, uint64_t len)
{
	int rc = start_record(sw, type, flags, len, type != STREAM_END);

	if (!rc)
		rc = emit(sw, body, len, true);
	if (!rc)
		rc = finish_record(sw, len);
	return rc;
}

int stream_write_preamble(struct stream_writer *sw)
{
	uint8_t p[STREAM_PREAMBLE_SIZE] = { 0 };

	memcpy(p, STREAM_MAGIC, 8);
	le_put16(p + 8, STREAM_MAJOR);
	le_put16(p + 10, STREAM_MINOR);
	return emit(sw, p, sizeof(p), true);
}

int stream_write_header(struct stream_writer *sw, const char *json,
			size_t len)
{
	return stream_write_record(sw, STREAM_HEADER, 0, json, len);
}

/* Compress @len bytes into sw->zbuf; the compressed size, 0 if no gain. */
static size_t compress_pages(struct stream_writer *sw, const void *src,
			     size_t len, enum stream_enc enc)
{
	size_t need, n;
	int lz;

	need = enc == STREAM_ENC_LZ4 ? (size_t)LZ4_compressBound((int)len) :
				       ZSTD_compressBound(len);
	if (need > sw->zcap) {
		uint8_t *b = realloc(sw->zbuf, need);

		if (!b)
			return 0;
		sw->zbuf = b;
		sw->zcap = need;
	}
	if (enc == STREAM_ENC_LZ4) {
		lz = LZ4_compress_default(src, (char *)sw->zbuf, (int)len,
					  (int)sw->zcap);
		n = lz > 0 ? (size_t)lz : 0;
	} else {
		if (!sw->zctx)
			sw->zctx = ZSTD_createCCtx();
		if (!sw->zctx)
			return 0;
		/* Level 1: a save is waiting on it, a restore is not. */
		n = ZSTD_compressCCtx(sw->zctx, sw->zbuf, sw->zcap, src, len,
				      1);
		if (ZSTD_isError(n))
			n = 0;
	}
	return n < len ? n : 0;
}

int stream_write_ram(struct stream_writer *sw, uint64_t gpa, uint32_t npages,
		     const void *pages, enum stream_enc enc)
{
	uint8_t f[STREAM_RAM_FIXED];
	size_t raw = (size_t)npages * STREAM_PAGE_SIZE;
	const void *data = pages;
	uint64_t dlen = raw;
	int rc;

	if (sw->err)
		return sw->err;
	if (gpa % STREAM_PAGE_SIZE || !npages ||
	    npages > STREAM_RAM_MAX_PAGES || enc > STREAM_ENC_ZSTD)
		return -EINVAL;
	if (enc == STREAM_ENC_ZERO) {
		dlen = 0;
	} else if (enc != STREAM_ENC_RAW) {
		size_t n = compress_pages(sw, pages, raw, enc);

		if (n) {
			data = sw->zbuf;
			dlen = n;
		} else {
			enc = STREAM_ENC_RAW;
		}
	}
	le_put64(f, gpa);
	le_put32(f + 8, npages);
	le_put16(f + 12, (uint16_t)enc);
	le_put16(f + 14, 0);
	le_put64(f + 16, dlen);
	rc = start_record(sw, STREAM_RAM, 0, sizeof(f) + dlen, true);
	if (!rc)
		rc = emit(sw, f, sizeof(f), true);
	if (!rc)
		rc = emit(sw, data, dlen, true);
	if (!rc)
		rc = finish_record(sw, sizeof(f) + dlen);
	return rc;
}

static bool page_is_zero(const uint8_t *p)
{
	static const uint8_t zero_page[STREAM_PAGE_SIZE];

	return !memcmp(p, zero_page, STREAM_PAGE_SIZE);
}

int stream_write_ram_run(struct stream_writer *sw, uint64_t gpa,
			 const void *host, uint64_t len, enum stream_enc enc)
{
	const uint8_t *p = host;
	uint64_t npages = len / STREAM_PAGE_SIZE, i = 0, j;
	bool zero;
	int rc;

	if (len % STREAM_PAGE_SIZE || gpa % STREAM_PAGE_SIZE ||
	    enc == STREAM_ENC_ZERO || enc > STREAM_ENC_ZSTD)
		return -EINVAL;
	while (i < npages) {
		uint64_t most;

		zero = page_is_zero(p + i * STREAM_PAGE_SIZE);
		most = zero ? STREAM_RAM_MAX_PAGES : STREAM_RAM_RUN_PAGES;
		for (j = i + 1; j < npages && j - i < most; j++)
			if (page_is_zero(p + j * STREAM_PAGE_SIZE) != zero)
				break;
		rc = stream_write_ram(sw, gpa + i * STREAM_PAGE_SIZE,
				      (uint32_t)(j - i),
				      p + i * STREAM_PAGE_SIZE,
				      zero ? STREAM_ENC_ZERO : enc);
		if (rc)
			return rc;
		i = j;
	}
	return 0;
}

/* Room in the record being built for @len more bytes; false if none. */
static bool rec_reserve(struct stream_writer *sw, size_t len)
{
	size_t cap;
	uint8_t *b;

	if (sw->rec_err)
		return false;
	if (!sw->rec_type) {
		sw->rec_err = -EINVAL;
		return false;
	}
	if (sw->rec_len + len > stream_type_max(sw->rec_type)) {
		sw->rec_err = -E2BIG;
		return false;
	}
	if (sw->rec_len + len <= sw->rec_cap)
		return true;
	cap = sw->rec_cap ? sw->rec_cap : 4096;
	while (cap < sw->rec_len + len)
		cap *= 2;
	b = realloc(sw->rec, cap);
	if (!b) {
		sw->rec_err = -ENOMEM;
		return false;
	}
	sw->rec = b;
	sw->rec_cap = cap;
	return true;
}

static int rec_begin(struct stream_writer *sw, uint32_t type)
{
	if (sw->err)
		return sw->err;
	if (sw->rec_type)
		return -EINVAL;
	sw->rec_type = type;
	sw->rec_len = 0;
	sw->rec_err = 0;
	sw->tlv_open = false;
	return 0;
}

int stream_vm_begin(struct stream_writer *sw)
{
	return rec_begin(sw, STREAM_VM);
}

int stream_vcpu_begin(struct stream_writer *sw, uint32_t index)
{
	int rc = rec_begin(sw, STREAM_VCPU);

	if (!rc)
		stream_put_u32(sw, index);
	return rc;
}

void stream_put_bytes(struct stream_writer *sw, const void *p, size_t len)
{
	if (!rec_reserve(sw, len))
		return;
	memcpy(sw->rec + sw->rec_len, p, len);
	sw->rec_len += len;
}

void stream_put_zeros(struct stream_writer *sw, size_t len)
{
	if (!rec_reserve(sw, len))
		return;
	memset(sw->rec + sw->rec_len, 0, len);
	sw->rec_len += len;
}

void stream_put_u8(struct stream_writer *sw, uint8_t v)
{
	stream_put_bytes(sw, &v, 1);
}

void stream_put_u16(struct stream_writer *sw, uint16_t v)
{
	uint8_t b[2];

	le_put16(b, v);
	stream_put_bytes(sw, b, sizeof(b));
}

void stream_put_u32(struct stream_writer *sw, uint32_t v)
{
	uint8_t b[4];

	le_put32(b, v);
	stream_put_bytes(sw, b, sizeof(b));
}

void stream_put_u64(struct stream_writer *sw, uint64_t v)
{
	uint8_t b[8];

	le_put64(b, v);
	stream_put_bytes(sw, b, sizeof(b));
}

void stream_tlv_begin(struct stream_writer *sw, uint16_t tag)
{
	if (sw->tlv_open && !sw->rec_err)
		sw->rec_err = -EINVAL;
	sw->tlv_at = sw->rec_len;
	/* Tag, reserved and a length stream_tlv_end() fills in. */
	stream_put_u16(sw, tag);
	stream_put_u16(sw, 0);
	stream_put_u32(sw, 0);
	sw->tlv_open = true;
}

void stream_tlv_end(struct stream_writer *sw)
{
	size_t len;

	if (!sw->tlv_open) {
		if (!sw->rec_err)
			sw->rec_err = -EINVAL;
		return;
	}
	sw->tlv_open = false;
	if (sw->rec_err)
		return;
	len = sw->rec_len - sw->tlv_at - 8;
	if (len > UINT32_MAX) {
		sw->rec_err = -E2BIG;
		return;
	}
	le_put32(sw->rec + sw->tlv_at + 4, (uint32_t)len);
}

int stream_rec_end(struct stream_writer *sw)
{
	uint32_t type = sw->rec_type;
	int rc = sw->rec_err;

	if (!type)
		return -EINVAL;
	if (!rc && sw->tlv_open)
		rc = -EINVAL;
	sw->rec_type = 0;
	sw->tlv_open = false;
	if (rc)
		return rc;
	return stream_write_record(sw, type, 0, sw->rec, sw->rec_len);
}

int stream_write_device(struct stream_writer *sw, const char *id,
			uint32_t version, const char *json, size_t len)
{
	size_t idlen = strlen(id);
	uint8_t f[8];
	uint64_t body;
	int rc;

	if (sw->err)
		return sw->err;
	if (!idlen || idlen > UINT16_MAX)
		return -EINVAL;
	body = 2 + idlen + 2 + 4 + len;
	rc = start_record(sw, STREAM_DEVICE, 0, body, true);
	le_put16(f, (uint16_t)idlen);
	if (!rc)
		rc = emit(sw, f, 2, true);
	if (!rc)
		rc = emit(sw, id, idlen, true);
	le_put16(f, 0);
	le_put32(f + 2, version);
	if (!rc)
		rc = emit(sw, f, 6, true);
	if (!rc)
		rc = emit(sw, json, len, true);
	if (!rc)
		rc = finish_record(sw, body);
	return rc;
}

int stream_write_progress(struct stream_writer *sw, uint64_t round,
			  uint64_t sent, uint64_t remaining,
			  uint64_t dirty_rate)
{
	char buf[160];
	int n;

	n = snprintf(buf, sizeof(buf),
		     "{\"round\": %llu, \"sent\": %llu, \"remaining\": %llu, \"dirty_rate\": %llu}",
		     (unsigned long long)round, (unsigned long long)sent,
		     (unsigned long long)remaining,
		     (unsigned long long)dirty_rate);
	return stream_write_record(sw, STREAM_PROGRESS, STREAM_FLAG_OPTIONAL,
				   buf, (uint64_t)n);
}

int stream_write_end(struct stream_writer *sw)
{
	uint8_t sum[8];
	int rc;

	if (sw->err)
		return sw->err;
	le_put64(sum, XXH3_64bits_digest(sw->xxh));
	rc = stream_write_record(sw, STREAM_END, 0, sum, sizeof(sum));
	return rc ? rc : stream_writer_flush(sw);
}

/* --- Cursor ----------------------------------------------------------- */

void stream_get_bytes(struct stream_cur *c, void *dst, size_t len)
{
	size_t have = c->off <= c->len ? c->len - c->off : 0;

	if (len > have) {
		/* Past the end: zeros, and every later get too. */
		if (dst)
			memset(dst, 0, len);
		c->off = c->len + 1;
		return;
	}
	if (dst && len)
		memcpy(dst, c->p + c->off, len);
	c->off += len;
}

uint8_t stream_get_u8(struct stream_cur *c)
{
	uint8_t b[1];

	stream_get_bytes(c, b, sizeof(b));
	return b[0];
}

uint16_t stream_get_u16(struct stream_cur *c)
{
	uint8_t b[2];

	stream_get_bytes(c, b, sizeof(b));
	return le_get16(b);
}

uint32_t stream_get_u32(struct stream_cur *c)
{
	uint8_t b[4];

	stream_get_bytes(c, b, sizeof(b));
	return le_get32(b);
}

uint64_t stream_get_u64(struct stream_cur *c)
{
	uint8_t b[8];

	stream_get_bytes(c, b, sizeof(b));
	return le_get64(b);
}
