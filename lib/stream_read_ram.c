// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The domain stream's RAM records (docs/stream.md, RAM): each checked
 * before a byte reaches guest memory, then its pages zeroed, read
 * straight into place (raw) or decoded there (lz4, zstd).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <lz4.h>
#include <zstd.h>

#include "le.h"
#include "monotime.h"
#include "stream_reader.h"

static bool inside_ram(const struct stream_header *h, uint64_t gpa,
		       uint64_t len)
{
	size_t i;

	for (i = 0; i < h->n_ram; i++)
		if (gpa >= h->ram[i].gpa &&
		    gpa - h->ram[i].gpa <= h->ram[i].size &&
		    len <= h->ram[i].size - (gpa - h->ram[i].gpa))
			return true;
	return false;
}

/* Where a run's bytes go: guest memory, or scratch space if unmapped. */
static int ram_dest(struct stream_reader *r, uint64_t gpa, size_t len,
		    uint8_t **dst)
{
	struct stream_stats *st = r->in.stats;
	uint64_t t0 = st ? monotime_ns() : 0;
	int rc;

	if (r->ops->ram_map) {
		*dst = r->ops->ram_map(r->opaque, gpa, len);
		if (st) {
			st->map_ns += monotime_ns() - t0;
			st->ram_bytes += len;
		}
		if (!*dst)
			return stream_reader_fail(r, "guest memory at 0x%llx (%zu bytes) is not mapped.",
				    (unsigned long long)gpa, len);
		return 0;
	}
	rc = stream_reader_reserve(r, &r->scratch, &r->scratch_cap, len);
	*dst = r->scratch;
	return rc;
}

/* Decompress r->buf's @enclen bytes (lz4 or zstd) to exactly @raw at @dst. */
static int decode(struct stream_reader *r, uint16_t enc, uint8_t *dst,
		  size_t raw, size_t enclen)
{
	size_t n;

	if (enc == STREAM_ENC_LZ4) {
		int got = LZ4_decompress_safe((const char *)r->buf, (char *)dst,
					      (int)enclen, (int)raw);

		if (got != (int)raw)
			return stream_reader_fail(r, "its lz4 data does not decompress to exactly %zu bytes.",
				    raw);
		return 0;
	}
	if (!r->zd)
		r->zd = ZSTD_createDCtx();
	if (!r->zd) {
		stream_reader_fail(r, "out of memory for zstd.");
		return -ENOMEM;
	}
	n = ZSTD_decompressDCtx(r->zd, dst, raw, r->buf, enclen);
	if (ZSTD_isError(n) || n != raw)
		return stream_reader_fail(r, "its zstd data does not decompress to exactly %zu bytes%s%s.",
			    raw, ZSTD_isError(n) ? ": " : "",
			    ZSTD_isError(n) ? ZSTD_getErrorName(n) : "");
	return 0;
}

int stream_read_ram(struct stream_reader *r, uint64_t len)
{
	uint8_t f[STREAM_RAM_FIXED], *dst;
	uint64_t gpa, enclen, raw, t0;
	uint32_t npages;
	uint16_t enc;
	int rc;

	if (len < STREAM_RAM_FIXED)
		return stream_reader_fail(r, "it is %llu bytes, less than its %d bytes of fields.",
			    (unsigned long long)len, STREAM_RAM_FIXED);
	rc = stream_reader_read(r, f, sizeof(f), true);
	if (rc)
		return rc;
	gpa = le_get64(f);
	npages = le_get32(f + 8);
	enc = le_get16(f + 12);
	enclen = le_get64(f + 16);
	raw = (uint64_t)npages * STREAM_PAGE_SIZE;
	if (gpa % STREAM_PAGE_SIZE)
		return stream_reader_fail(r, "its address 0x%llx is not 4 KiB aligned.",
			    (unsigned long long)gpa);
	if (!npages || npages > STREAM_RAM_MAX_PAGES)
		return stream_reader_fail(r, "it has %u pages, 1 to %d expected.", npages,
			    STREAM_RAM_MAX_PAGES);
	if (enc > STREAM_ENC_ZSTD)
		return stream_reader_fail(r, "its encoding %u is not 0 (zero), 1 (raw), 2 (lz4) or 3 (zstd).",
			    enc);
	if (le_get16(f + 14))
		return stream_reader_fail(r, "its reserved field is not zero.");
	if (enclen != len - STREAM_RAM_FIXED)
		return stream_reader_fail(r, "its encoded length %llu does not match the %llu bytes after its fields.",
			    (unsigned long long)enclen,
			    (unsigned long long)(len - STREAM_RAM_FIXED));
	if (enc == STREAM_ENC_ZERO && enclen)
		return stream_reader_fail(r, "a run of zero pages carries %llu bytes of data.",
			    (unsigned long long)enclen);
	if (enc == STREAM_ENC_RAW && enclen != raw)
		return stream_reader_fail(r, "its raw data is %llu bytes, %llu expected for %u pages.",
			    (unsigned long long)enclen,
			    (unsigned long long)raw, npages);
	if (enc > STREAM_ENC_RAW && !enclen)
		return stream_reader_fail(r, "its compressed data is empty.");
	if (!inside_ram(&r->hdr, gpa, raw))
		return stream_reader_fail(r, "its pages 0x%llx to 0x%llx are outside the header's ram ranges.",
			    (unsigned long long)gpa,
			    (unsigned long long)(gpa + raw - 1));

	if (enc == STREAM_ENC_ZERO) {
		if (r->ops->ram_zero) {
			rc = r->ops->ram_zero(r->opaque, gpa, raw);
			return rc ? stream_reader_refused(r, rc) : 0;
		}
		if (!r->ops->ram_map)
			return 0;
		rc = ram_dest(r, gpa, (size_t)raw, &dst);
		if (!rc)
			memset(dst, 0, (size_t)raw);
		return rc;
	}
	if (enc == STREAM_ENC_RAW) {
		/* Straight from the descriptor into guest memory. */
		rc = ram_dest(r, gpa, (size_t)raw, &dst);
		return rc ? rc : stream_reader_read(r, dst, (size_t)raw, true);
	}
	rc = stream_reader_body(r, (size_t)enclen);
	if (!rc)
		rc = ram_dest(r, gpa, (size_t)raw, &dst);
	if (rc)
		return rc;
	t0 = r->in.stats ? monotime_ns() : 0;
	rc = decode(r, enc, dst, (size_t)raw, (size_t)enclen);
	if (r->in.stats)
		r->in.stats->decode_ns += monotime_ns() - t0;
	return rc;
}
