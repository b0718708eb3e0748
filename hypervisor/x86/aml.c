// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An AML writer: just enough of ACPI 6.3 chapter 20 (byte code) and 6.4
 * (resource descriptors) for keel-hv's DSDT. Objects with a PkgLength
 * are written content first and their length inserted in front when they
 * close, because the PkgLength's own size (1 to 4 bytes) depends on the
 * length it encodes.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "x86/aml.h"

/* Opcodes and prefixes (ACPI 6.3, 20.2). */
#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP 0x10
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_METHOD_OP 0x14
#define AML_DUAL_NAME_PREFIX 0x2e
#define AML_MULTI_NAME_PREFIX 0x2f
#define AML_EXT_PREFIX 0x5b
#define AML_ROOT_CHAR 0x5c
#define AML_PARENT_PREFIX 0x5e
#define AML_LOCAL0_OP 0x60
#define AML_ARG0_OP 0x68
#define AML_IF_OP 0xa0

/* After AML_EXT_PREFIX. */
#define AML_EXT_OPREGION 0x80
#define AML_EXT_FIELD 0x81
#define AML_EXT_DEVICE 0x82

/* Resource descriptor tags (ACPI 6.3, 6.4.2 and 6.4.3). */
#define RES_IRQ_NOFLAGS 0x22 /* small item 0x04, 2 bytes */
#define RES_IO 0x47 /* small item 0x08, 7 bytes */
#define RES_END_TAG 0x79 /* small item 0x0f, 1 byte (checksum) */
#define RES_DWORD_ADDR 0x87
#define RES_WORD_ADDR 0x88
#define RES_EXT_IRQ 0x89

#define RES_IO_DECODE16 0x01
#define RES_ADDR_MEMORY 0
#define RES_ADDR_IO 1
#define RES_ADDR_BUS 2
/* General flags: producer (bit 0 clear), positive decode, min/max fixed. */
#define RES_ADDR_PRODUCER_FIXED 0x0c
#define RES_IO_ENTIRE_RANGE 0x03
#define RES_MEM_READ_WRITE 0x01
#define RES_IRQ_CONSUMER 0x01
#define RES_IRQ_EDGE 0x02
#define RES_IRQ_ACTIVE_LOW 0x04

#define AML_NAME_SEG 4
#define AML_MAX_SEGS 16
#define AML_MAX_PKGLEN ((1u << 28) - 1)

void aml_init(struct aml *a)
{
	memset(a, 0, sizeof(*a));
}

void aml_dispose(struct aml *a)
{
	free(a->buf);
	a->buf = NULL;
	a->len = a->cap = 0;
	a->depth = 0;
}

int aml_error(const struct aml *a)
{
	if (a->err)
		return a->err;
	return a->depth ? -EINVAL : 0;
}

static void aml_fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

static bool aml_reserve(struct aml *a, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (a->err)
		return false;
	if (a->len + n <= a->cap)
		return true;
	cap = a->cap ? a->cap : 256;
	while (cap < a->len + n)
		cap *= 2;
	p = realloc(a->buf, cap);
	if (!p) {
		aml_fail(a, -ENOMEM);
		return false;
	}
	a->buf = p;
	a->cap = cap;
	return true;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (!aml_reserve(a, n))
		return;
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

void aml_op(struct aml *a, enum aml_opcode op)
{
	aml_byte(a, (uint8_t)op);
}

/* Put @n bytes at @off, moving what follows. */
static void aml_insert(struct aml *a, size_t off, const void *p, size_t n)
{
	if (!aml_reserve(a, n))
		return;
	memmove(a->buf + off + n, a->buf + off, a->len - off);
	memcpy(a->buf + off, p, n);
	a->len += n;
}

static void aml_le(struct aml *a, uint64_t v, unsigned n)
{
	uint8_t b[8];

	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	aml_bytes(a, b, n);
}

int aml_encode_length(uint32_t value, uint8_t out[4])
{
	unsigned follow;

	if (value < 0x40) {
		out[0] = (uint8_t)value;
		return 1;
	}
	if (value > AML_MAX_PKGLEN)
		return -ERANGE;
	/* Low nibble in the lead byte, the rest in 1-3 following bytes. */
	if (value < (1u << 12))
		follow = 1;
	else if (value < (1u << 20))
		follow = 2;
	else
		follow = 3;
	out[0] = (uint8_t)((follow << 6) | (value & 0x0f));
	for (unsigned i = 0; i < follow; i++)
		out[1 + i] = (uint8_t)(value >> (4 + 8 * i));
	return 1 + (int)follow;
}

int aml_encode_pkglen(size_t content, uint8_t out[4])
{
	/* The smallest n such that content + n still encodes in n bytes. */
	static const size_t limit[] = { 1u << 6, 1u << 12, 1u << 20, 1u << 28 };

	for (unsigned n = 1; n <= 4; n++)
		if (content + n < limit[n - 1])
			return aml_encode_length((uint32_t)(content + n), out);
	return -ERANGE;
}

/* Count one data object in the innermost open package. */
static void aml_element(struct aml *a)
{
	if (a->depth && a->open[a->depth - 1].kind == AML_FRAME_PACKAGE)
		a->open[a->depth - 1].elements++;
}

static bool aml_seg_char(char c, bool first)
{
	if ((c >= 'A' && c <= 'Z') || c == '_')
		return true;
	return !first && c >= '0' && c <= '9';
}

/* Parse one dot-separated segment into @seg, padded with '_'. */
static const char *aml_parse_seg(const char *p, uint8_t seg[AML_NAME_SEG])
{
	unsigned n = 0;

	while (*p && *p != '.') {
		if (n == AML_NAME_SEG || !aml_seg_char(*p, n == 0))
			return NULL;
		seg[n++] = (uint8_t)*p++;
	}
	if (n == 0)
		return NULL;
	memset(seg + n, '_', AML_NAME_SEG - n);
	return p;
}

static void aml_emit_name(struct aml *a, const char *path)
{
	uint8_t segs[AML_MAX_SEGS][AML_NAME_SEG];
	unsigned nsegs = 0, parents = 0;
	bool root = false;
	const char *p = path;

	if (a->err)
		return;
	if (*p == '\\') {
		root = true;
		p++;
	}
	while (!root && *p == '^') {
		parents++;
		p++;
	}
	while (*p) {
		if (nsegs == AML_MAX_SEGS)
			goto out_bad;
		p = aml_parse_seg(p, segs[nsegs++]);
		if (!p || (*p == '.' && !*++p))
			goto out_bad;
	}
	/* A bare segment-less name is only the root or a parent. */
	if (!nsegs && !root && !parents)
		goto out_bad;
	if (root)
		aml_byte(a, AML_ROOT_CHAR);
	for (unsigned i = 0; i < parents; i++)
		aml_byte(a, AML_PARENT_PREFIX);
	if (nsegs == 0) {
		aml_byte(a, 0); /* NullName */
		return;
	}
	if (nsegs == 2) {
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	} else if (nsegs > 2) {
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, (uint8_t)nsegs);
	}
	aml_bytes(a, segs, nsegs * AML_NAME_SEG);
	return;

out_bad:
	aml_fail(a, -EINVAL);
}

void aml_name_string(struct aml *a, const char *path)
{
	aml_element(a);
	aml_emit_name(a, path);
}

/* Encode @v as a ComputationalData integer into @out; returns the size. */
static unsigned aml_encode_integer(uint64_t v, uint8_t out[9])
{
	unsigned n;

	if (v <= 1) {
		out[0] = v ? AML_ONE_OP : AML_ZERO_OP;
		return 1;
	}
	if (v <= 0xff) {
		out[0] = AML_BYTE_PREFIX;
		n = 1;
	} else if (v <= 0xffff) {
		out[0] = AML_WORD_PREFIX;
		n = 2;
	} else if (v <= 0xffffffff) {
		out[0] = AML_DWORD_PREFIX;
		n = 4;
	} else {
		out[0] = AML_QWORD_PREFIX;
		n = 8;
	}
	for (unsigned i = 0; i < n; i++)
		out[1 + i] = (uint8_t)(v >> (8 * i));
	return 1 + n;
}

static void aml_emit_integer(struct aml *a, uint64_t v)
{
	uint8_t b[9];

	aml_bytes(a, b, aml_encode_integer(v, b));
}

void aml_integer(struct aml *a, uint64_t v)
{
	aml_element(a);
	aml_emit_integer(a, v);
}

void aml_string(struct aml *a, const char *s)
{
	for (const char *p = s; *p; p++) {
		if ((unsigned char)*p > 0x7f) {
			aml_fail(a, -EINVAL);
			return;
		}
	}
	aml_element(a);
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

static int aml_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = 0;

	if (strlen(id) != 7)
		goto out_bad;
	/* Three letters, five bits each ('A' is 1), then four hex digits. */
	for (unsigned i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			goto out_bad;
		v = (v << 5) | (uint32_t)(id[i] - '@');
	}
	for (unsigned i = 3; i < 7; i++) {
		int d = aml_hex(id[i]);

		if (d < 0)
			goto out_bad;
		v = (v << 4) | (uint32_t)d;
	}
	/* The 31-bit big-endian value is stored most significant byte first. */
	aml_element(a);
	aml_byte(a, AML_DWORD_PREFIX);
	aml_le(a, __builtin_bswap32(v), 4);
	return;

out_bad:
	aml_fail(a, -EINVAL);
}

void aml_local(struct aml *a, unsigned n)
{
	if (n > 7)
		aml_fail(a, -EINVAL);
	else
		aml_byte(a, (uint8_t)(AML_LOCAL0_OP + n));
}

void aml_arg(struct aml *a, unsigned n)
{
	if (n > 6)
		aml_fail(a, -EINVAL);
	else
		aml_byte(a, (uint8_t)(AML_ARG0_OP + n));
}

void aml_null_target(struct aml *a)
{
	aml_byte(a, 0);
}

void aml_name(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_emit_name(a, name);
}

/* Open an object whose PkgLength goes at the current end. */
static void aml_push(struct aml *a, enum aml_frame_kind kind)
{
	if (a->err)
		return;
	if (a->depth == AML_MAX_DEPTH) {
		aml_fail(a, -E2BIG);
		return;
	}
	a->open[a->depth].start = a->len;
	a->open[a->depth].kind = kind;
	a->open[a->depth].elements = 0;
	a->depth++;
}

void aml_end(struct aml *a)
{
	struct aml_frame *f;
	uint8_t b[9];
	int n;

	if (a->err)
		return;
	if (!a->depth) {
		aml_fail(a, -EINVAL);
		return;
	}
	f = &a->open[a->depth - 1];
	switch (f->kind) {
	case AML_FRAME_RESOURCES:
		/* A zero checksum byte means "no checksum" (6.4.2.9). */
		aml_byte(a, RES_END_TAG);
		aml_byte(a, 0);
		/* fallthrough */
	case AML_FRAME_BUFFER:
		n = (int)aml_encode_integer(a->len - f->start, b);
		aml_insert(a, f->start, b, (size_t)n);
		break;
	case AML_FRAME_PACKAGE:
		if (f->elements > 0xff) {
			aml_fail(a, -ERANGE);
			return;
		}
		b[0] = (uint8_t)f->elements;
		aml_insert(a, f->start, b, 1);
		break;
	case AML_FRAME_PLAIN:
		break;
	}
	n = aml_encode_pkglen(a->len - f->start, b);
	if (n < 0) {
		aml_fail(a, n);
		return;
	}
	aml_insert(a, f->start, b, (size_t)n);
	if (!a->err)
		a->depth--;
}

void aml_scope_begin(struct aml *a, const char *path)
{
	aml_byte(a, AML_SCOPE_OP);
	aml_push(a, AML_FRAME_PLAIN);
	aml_emit_name(a, path);
}

void aml_device_begin(struct aml *a, const char *name)
{
	aml_byte(a, AML_EXT_PREFIX);
	aml_byte(a, AML_EXT_DEVICE);
	aml_push(a, AML_FRAME_PLAIN);
	aml_emit_name(a, name);
}

void aml_method_begin(struct aml *a, const char *name, unsigned nargs,
		      bool serialized)
{
	if (nargs > 7) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_byte(a, AML_METHOD_OP);
	aml_push(a, AML_FRAME_PLAIN);
	aml_emit_name(a, name);
	/* ArgCount in bits 0-2, SerializeFlag bit 3, SyncLevel 0. */
	aml_byte(a, (uint8_t)(nargs | (serialized ? 0x08 : 0)));
}

void aml_if_begin(struct aml *a)
{
	aml_byte(a, AML_IF_OP);
	aml_push(a, AML_FRAME_PLAIN);
}

void aml_package_begin(struct aml *a)
{
	aml_element(a);
	aml_byte(a, AML_PACKAGE_OP);
	aml_push(a, AML_FRAME_PACKAGE);
}

void aml_buffer_begin(struct aml *a)
{
	aml_element(a);
	aml_byte(a, AML_BUFFER_OP);
	aml_push(a, AML_FRAME_BUFFER);
}

void aml_resources_begin(struct aml *a)
{
	aml_element(a);
	aml_byte(a, AML_BUFFER_OP);
	aml_push(a, AML_FRAME_RESOURCES);
}

void aml_operation_region(struct aml *a, const char *name,
			  enum aml_region_space space, uint64_t offset,
			  uint64_t len)
{
	aml_byte(a, AML_EXT_PREFIX);
	aml_byte(a, AML_EXT_OPREGION);
	aml_emit_name(a, name);
	aml_byte(a, (uint8_t)space);
	aml_emit_integer(a, offset);
	aml_emit_integer(a, len);
}

void aml_field_begin(struct aml *a, const char *region, uint8_t flags)
{
	aml_byte(a, AML_EXT_PREFIX);
	aml_byte(a, AML_EXT_FIELD);
	aml_push(a, AML_FRAME_PLAIN);
	aml_emit_name(a, region);
	aml_byte(a, flags);
}

void aml_field_unit(struct aml *a, const char *name, uint32_t bits)
{
	uint8_t seg[AML_NAME_SEG], len[4];
	const char *end = aml_parse_seg(name, seg);
	int n;

	/* A NamedField is one bare NameSeg and its width in bits. */
	if (!end || *end) {
		aml_fail(a, -EINVAL);
		return;
	}
	n = aml_encode_length(bits, len);
	if (n < 0) {
		aml_fail(a, n);
		return;
	}
	aml_bytes(a, seg, sizeof(seg));
	aml_bytes(a, len, (size_t)n);
}

void aml_res_io(struct aml *a, uint16_t min, uint16_t max, uint8_t align,
		uint8_t len)
{
	aml_byte(a, RES_IO);
	aml_byte(a, RES_IO_DECODE16);
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_byte(a, align);
	aml_byte(a, len);
}

void aml_res_irq_noflags(struct aml *a, unsigned irq)
{
	if (irq > 15) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_byte(a, RES_IRQ_NOFLAGS);
	aml_le(a, 1u << irq, 2);
}

void aml_res_interrupt(struct aml *a, uint32_t gsi, bool edge,
		       bool active_low)
{
	uint8_t flags = RES_IRQ_CONSUMER;

	if (edge)
		flags |= RES_IRQ_EDGE;
	if (active_low)
		flags |= RES_IRQ_ACTIVE_LOW;
	aml_byte(a, RES_EXT_IRQ);
	aml_le(a, 2 + 4, 2); /* flags, count, one interrupt number */
	aml_byte(a, flags);
	aml_byte(a, 1);
	aml_le(a, gsi, 4);
}

/* Word address space descriptor: 13 bytes after tag and length. */
static void aml_res_word(struct aml *a, uint8_t type, uint8_t type_flags,
			 uint16_t min, uint16_t max)
{
	/* The length of 0x0000-0xffff does not fit a word. */
	if (max < min || (min == 0 && max == 0xffff)) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_byte(a, RES_WORD_ADDR);
	aml_le(a, 13, 2);
	aml_byte(a, type);
	aml_byte(a, RES_ADDR_PRODUCER_FIXED);
	aml_byte(a, type_flags);
	aml_le(a, 0, 2); /* granularity */
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_le(a, 0, 2); /* translation offset */
	aml_le(a, (uint32_t)max - min + 1, 2);
}

void aml_res_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
	aml_res_word(a, RES_ADDR_BUS, 0, min, max);
}

void aml_res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	aml_res_word(a, RES_ADDR_IO, RES_IO_ENTIRE_RANGE, min, max);
}

void aml_res_dword_mem(struct aml *a, uint32_t min, uint32_t max)
{
	if (max < min || (min == 0 && max == 0xffffffff)) {
		aml_fail(a, -EINVAL);
		return;
	}
	aml_byte(a, RES_DWORD_ADDR);
	aml_le(a, 23, 2);
	aml_byte(a, RES_ADDR_MEMORY);
	aml_byte(a, RES_ADDR_PRODUCER_FIXED);
	aml_byte(a, RES_MEM_READ_WRITE); /* NonCacheable */
	aml_le(a, 0, 4); /* granularity */
	aml_le(a, min, 4);
	aml_le(a, max, 4);
	aml_le(a, 0, 4); /* translation offset */
	aml_le(a, max - min + 1, 4);
}
