// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The domain stream's reader (stream.h): every check docs/stream.md
 * asks of a reader, made before the record's bytes reach a callback or
 * guest memory, with each error naming the record and its offset. The
 * stream comes from another host or a file anyone may have written, so
 * every length is checked before it is used or allocated.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "hv_proto.h"
#include "json_strict.h"
#include "le.h"
#include "stream.h"
#include "stream_reader.h"

/*
 * An optional record of a type this keel does not know is skipped
 * without being stored, up to the largest length of any known type.
 */
#define STREAM_UNKNOWN_MAX (64ull * 1024 * 1024 + 32)
/* Device ids: what keel-hv names its devices, safe to print. */
#define STREAM_DEVICE_ID_MAX 64
/* A header's xsave_size: KVM's XSAVE areas are a few KiB. */
#define STREAM_XSAVE_MAX (64 * 1024)

static const char *const vm_tag_names[] = {
	[STREAM_VM_PIC_MASTER] = "PIC master",
	[STREAM_VM_PIC_SLAVE] = "PIC slave",
	[STREAM_VM_IOAPIC] = "IOAPIC",
	[STREAM_VM_PIT2] = "PIT2",
	[STREAM_VM_CLOCK] = "CLOCK",
};

static const char *const vcpu_tag_names[] = {
	[STREAM_VCPU_REGS] = "REGS",
	[STREAM_VCPU_SREGS] = "SREGS",
	[STREAM_VCPU_XSAVE] = "XSAVE",
	[STREAM_VCPU_XCRS] = "XCRS",
	[STREAM_VCPU_LAPIC] = "LAPIC",
	[STREAM_VCPU_EVENTS] = "EVENTS",
	[STREAM_VCPU_MP_STATE] = "MP_STATE",
	[STREAM_VCPU_DEBUGREGS] = "DEBUGREGS",
	[STREAM_VCPU_MSRS] = "MSRS",
	[STREAM_VCPU_TSC_KHZ] = "TSC_KHZ",
	[STREAM_VCPU_CPUID] = "CPUID",
};

/* The length a fixed-size sub-record must have; 0 for variable ones. */
static const uint32_t vm_tag_size[] = {
	[STREAM_VM_PIC_MASTER] = STREAM_PIC_SIZE,
	[STREAM_VM_PIC_SLAVE] = STREAM_PIC_SIZE,
	[STREAM_VM_IOAPIC] = STREAM_IOAPIC_SIZE,
	[STREAM_VM_PIT2] = STREAM_PIT2_SIZE,
	[STREAM_VM_CLOCK] = STREAM_CLOCK_SIZE,
};

static const uint32_t vcpu_tag_size[] = {
	[STREAM_VCPU_REGS] = STREAM_REGS_SIZE,
	[STREAM_VCPU_SREGS] = STREAM_SREGS_SIZE,
	[STREAM_VCPU_LAPIC] = STREAM_LAPIC_SIZE,
	[STREAM_VCPU_EVENTS] = STREAM_EVENTS_SIZE,
	[STREAM_VCPU_MP_STATE] = STREAM_MP_STATE_SIZE,
	[STREAM_VCPU_DEBUGREGS] = STREAM_DEBUGREGS_SIZE,
	[STREAM_VCPU_TSC_KHZ] = STREAM_TSC_KHZ_SIZE,
	[STREAM_VCPU_XSAVE] = 0,
	[STREAM_VCPU_XCRS] = 0,
	[STREAM_VCPU_MSRS] = 0,
	[STREAM_VCPU_CPUID] = 0,
};

static int vfail(struct stream_reader *r, const char *fmt, va_list ap)
{
	const char *name = r->have_type ? stream_type_name(r->type) : NULL;
	size_t n;
	int m;

	if (r->failed)
		return -EINVAL;
	r->failed = true;
	if (r->in_preamble)
		m = snprintf(r->err, r->err_size, "Preamble at offset 0: ");
	else if (name)
		m = snprintf(r->err, r->err_size, "%s record at offset %llu: ",
			     name, (unsigned long long)r->rec_at);
	else if (r->have_type)
		m = snprintf(r->err, r->err_size,
			     "Record of type %u at offset %llu: ", r->type,
			     (unsigned long long)r->rec_at);
	else
		m = snprintf(r->err, r->err_size, "Record at offset %llu: ",
			     (unsigned long long)r->rec_at);
	n = m > 0 ? (size_t)m : 0;
	if (n < r->err_size)
		vsnprintf(r->err + n, r->err_size - n, fmt, ap);
	return -EINVAL;
}

static int fail(struct stream_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct stream_reader *r, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(r, fmt, ap);
	va_end(ap);
	return rc;
}

int stream_reader_fail(struct stream_reader *r, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vfail(r, fmt, ap);
	va_end(ap);
	return rc;
}

const struct stream_header *stream_reader_header(const struct stream_reader *r)
{
	return r->have_header ? &r->hdr : NULL;
}

/* A callback's refusal: its own sentence, or one made from @rc. */
int stream_reader_refused(struct stream_reader *r, int rc)
{
	if (!r->failed)
		fail(r, "refused: %s.", strerror(-rc));
	return rc;
}

/*
 * Read exactly @len bytes into @dst, hashed when @hash. A stream that
 * ends first is refused, saying where.
 */
int stream_reader_read(struct stream_reader *r, void *dst, size_t len,
		       bool hash)
{
	int rc = stream_in_read(&r->in, dst, len, hash);
	uint64_t off = r->in.offset;

	if (rc == -ENODATA) {
		if (r->in_preamble)
			fail(r, "the stream ends after %llu of the preamble's %d bytes.",
			     (unsigned long long)off, STREAM_PREAMBLE_SIZE);
		else if (!r->have_type && off == r->rec_at)
			fail(r, "the stream ends here, before its END record.");
		else if (!r->have_type)
			fail(r, "the stream ends after %llu of the record header's %d bytes.",
			     (unsigned long long)(off - r->rec_at),
			     STREAM_RECORD_HEADER_SIZE);
		else
			fail(r, "the stream ends %llu bytes into the record, which has %llu bytes and padding.",
			     (unsigned long long)(off - r->rec_at),
			     (unsigned long long)r->rec_len +
				     STREAM_RECORD_HEADER_SIZE);
		return -EINVAL;
	}
	if (rc)
		fail(r, "reading the stream failed: %s.", strerror(-rc));
	return rc;
}

/* Grow @buf to hold @len bytes (at most a record's limit). */
int stream_reader_reserve(struct stream_reader *r, uint8_t **buf,
			  size_t *cap, size_t len)
{
	uint8_t *b;

	if (len <= *cap)
		return 0;
	b = realloc(*buf, len);
	if (!b) {
		fail(r, "out of memory for its %zu bytes.", len);
		return -ENOMEM;
	}
	*buf = b;
	*cap = len;
	return 0;
}

/* Read the record's @len-byte body into r->buf. */
int stream_reader_body(struct stream_reader *r, size_t len)
{
	int rc = stream_reader_reserve(r, &r->buf, &r->buf_cap, len ? len : 1);

	return rc ? rc : stream_reader_read(r, r->buf, len, true);
}

/* Skip @len bytes of a body without storing them. */
static int skip(struct stream_reader *r, uint64_t len)
{
	uint8_t chunk[4096];
	size_t n;
	int rc;

	while (len) {
		n = len < sizeof(chunk) ? (size_t)len : sizeof(chunk);
		rc = stream_reader_read(r, chunk, n, true);
		if (rc)
			return rc;
		len -= n;
	}
	return 0;
}

static int read_padding(struct stream_reader *r, uint64_t len)
{
	uint8_t pad[8];
	size_t n = (size_t)((8 - len % 8) % 8), i;
	int rc = stream_reader_read(r, pad, n, true);

	if (rc)
		return rc;
	for (i = 0; i < n; i++)
		if (pad[i])
			return fail(r, "its padding is not zero.");
	return 0;
}

/*
 * Parse @len bytes of JSON text, strictly as keel reads all untrusted
 * JSON (json_strict.h), into an object. @what names it for the message.
 */
static int parse_object(struct stream_reader *r, const char *text,
			size_t len, const char *what, struct json_object **out)
{
	struct json_tokener *tok = NULL;
	struct json_object *obj = NULL;
	enum json_tokener_error jerr;
	struct json_strict js;
	int rc;

	*out = NULL;
	if (memchr(text, '\0', len))
		return fail(r, "its %s holds a NUL byte.", what);
	rc = json_strict_scan(&js, text, len);
	if (rc == -ENOMEM) {
		fail(r, "out of memory reading its %s.", what);
		goto out_dispose;
	}
	if (rc) {
		fail(r, "its %s is not valid JSON at byte %zu: %s.", what,
		     js.at, js.what);
		goto out_dispose;
	}
	tok = json_tokener_new_ex(JSON_STRICT_MAX_DEPTH);
	if (!tok) {
		rc = -ENOMEM;
		fail(r, "out of memory reading its %s.", what);
		goto out_dispose;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_success &&
	    json_tokener_get_parse_end(tok) != len)
		jerr = json_tokener_error_parse_unexpected;
	if (jerr != json_tokener_success) {
		rc = fail(r, "its %s is not valid JSON at byte %zu: %s.", what,
			  json_tokener_get_parse_end(tok),
			  jerr == json_tokener_continue ?
				  "it ends too soon" :
				  json_tokener_error_desc(jerr));
		goto out_free;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		rc = fail(r, "its %s is not a JSON object.", what);
		goto out_free;
	}
	rc = json_strict_check(&js, obj, NULL);
	if (rc == -ENOMEM) {
		fail(r, "out of memory reading its %s.", what);
		goto out_free;
	}
	if (rc) {
		fail(r, "its %s is not valid JSON at byte %zu: %s%s.", what,
		     js.at, js.fault == JSON_STRICT_DUPLICATE ?
			     "a member twice: " : "", js.what);
		goto out_free;
	}
	*out = obj;
	obj = NULL;
out_free:
	json_object_put(obj);
	json_tokener_free(tok);
out_dispose:
	json_strict_dispose(&js);
	return rc;
}

/* A member of @obj that is an integer in [@min, @max], into *@v. */
static bool get_int(struct json_object *obj, const char *name, int64_t min,
		    int64_t max, int64_t *v)
{
	struct json_object *m;

	if (!json_object_object_get_ex(obj, name, &m) ||
	    !json_object_is_type(m, json_type_int))
		return false;
	errno = 0;
	*v = json_object_get_int64(m);
	/* json-c saturates what does not fit and says so in errno. */
	return !errno && *v >= min && *v <= max;
}

static int read_ram_ranges(struct stream_reader *r, struct json_object *ram)
{
	struct stream_header *h = &r->hdr;
	struct json_object *e;
	int64_t gpa, size;
	size_t i, j, n;
	uint64_t total = 0;

	if (!ram || !json_object_is_type(ram, json_type_array))
		return fail(r, "its \"ram\" is missing or not an array.");
	n = json_object_array_length(ram);
	if (!n || n > STREAM_RAM_RANGES_MAX)
		return fail(r, "its \"ram\" lists %zu ranges, 1 to %d expected.",
			    n, STREAM_RAM_RANGES_MAX);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(ram, i);
		if (!json_object_is_type(e, json_type_object) ||
		    !get_int(e, "gpa", 0, INT64_MAX, &gpa) ||
		    !get_int(e, "size", 1, INT64_MAX, &size))
			return fail(r, "ram range %zu is not an object with a \"gpa\" and a positive \"size\".",
				    i);
		if (gpa % STREAM_PAGE_SIZE || size % STREAM_PAGE_SIZE ||
		    (uint64_t)gpa + (uint64_t)size > INT64_MAX)
			return fail(r, "ram range %zu (gpa %lld, size %lld) is not 4 KiB aligned or ends past 2^63.",
				    i, (long long)gpa, (long long)size);
		h->ram[i].gpa = (uint64_t)gpa;
		h->ram[i].size = (uint64_t)size;
		total += (uint64_t)size;
		for (j = 0; j < i; j++)
			if (h->ram[i].gpa < h->ram[j].gpa + h->ram[j].size &&
			    h->ram[j].gpa < h->ram[i].gpa + h->ram[i].size)
				return fail(r, "ram ranges %zu and %zu overlap.",
					    j, i);
	}
	if (total > (uint64_t)KEEL_MEMORY_MAX_MIB * 1024 * 1024)
		return fail(r, "its ram ranges add up to %llu bytes, more than keel's limit of %lld MiB.",
			    (unsigned long long)total,
			    (long long)KEEL_MEMORY_MAX_MIB);
	h->n_ram = n;
	return 0;
}

static int do_header(struct stream_reader *r, uint64_t len)
{
	struct stream_header *h = &r->hdr;
	struct json_object *obj, *m;
	int64_t v;
	int rc;

	rc = stream_reader_body(r, (size_t)len);
	if (!rc)
		rc = parse_object(r, (const char *)r->buf, (size_t)len,
				  "JSON", &obj);
	if (rc)
		return rc;
	h->json = obj;
	if (!get_int(obj, "vcpus", KEEL_VCPUS_MIN, KEEL_VCPUS_MAX, &v))
		return fail(r, "its \"vcpus\" is missing or not an integer from %d to %d.",
			    KEEL_VCPUS_MIN, KEEL_VCPUS_MAX);
	h->vcpus = (uint32_t)v;
	json_object_object_get_ex(obj, "ram", &m);
	rc = read_ram_ranges(r, m);
	if (rc)
		return rc;
	if (!json_object_object_get_ex(obj, "config", &h->config) ||
	    !json_object_is_type(h->config, json_type_object))
		return fail(r, "its \"config\" is missing or not an object.");
	h->xsave_size = -1;
	if (json_object_object_get_ex(obj, "host", &m) &&
	    json_object_is_type(m, json_type_object) &&
	    json_object_object_get_ex(m, "xsave_size", NULL)) {
		if (!get_int(m, "xsave_size", 0, STREAM_XSAVE_MAX, &v))
			return fail(r, "its host.xsave_size is not an integer from 0 to %d.",
				    STREAM_XSAVE_MAX);
		h->xsave_size = v;
	}
	r->have_header = true;
	if (r->ops->header) {
		rc = r->ops->header(r->opaque, r, h);
		if (rc)
			return stream_reader_refused(r, rc);
	}
	return 0;
}

/* The length sub-record @tag of a VCPU record must have; true if @len is. */
static bool vcpu_len_ok(struct stream_reader *r, uint16_t tag,
			const uint8_t *p, uint32_t len, uint64_t *want)
{
	uint64_t count = len >= 4 ? le_get32(p) : 0;

	switch (tag) {
	case STREAM_VCPU_XSAVE:
		*want = (uint64_t)r->hdr.xsave_size;
		break;
	case STREAM_VCPU_XCRS:
		*want = 4 + 16 * count;
		break;
	case STREAM_VCPU_MSRS:
		*want = 8 + 16 * count;
		break;
	case STREAM_VCPU_CPUID:
		*want = 4 + 28 * count;
		break;
	default:
		*want = vcpu_tag_size[tag];
	}
	return len == *want;
}

/*
 * Split the sub-records of a VM or VCPU body (@p, @len) into @t, each
 * known tag exactly once with its length.
 */
static int read_tlvs(struct stream_reader *r, const uint8_t *p, size_t len,
		     bool vcpu, struct stream_tlvs *t)
{
	const char *const *names = vcpu ? vcpu_tag_names : vm_tag_names;
	unsigned int max = vcpu ? STREAM_VCPU_TAG_MAX : STREAM_VM_TAG_MAX;
	size_t off = 0, at;
	uint16_t tag;
	uint32_t tlen;
	uint64_t want;
	unsigned int i;

	memset(t, 0, sizeof(*t));
	while (off < len) {
		at = off + (vcpu ? 4 : 0);
		if (len - off < 8)
			return fail(r, "its body ends inside a sub-record's header at byte %zu.",
				    at);
		tag = le_get16(p + off);
		tlen = le_get32(p + off + 4);
		if (!tag || tag > max)
			return fail(r, "sub-record tag %u at byte %zu is unknown.",
				    tag, at);
		if (le_get16(p + off + 2))
			return fail(r, "%s's reserved field is not zero.",
				    names[tag]);
		if (t->p[tag])
			return fail(r, "%s comes twice.", names[tag]);
		off += 8;
		if (tlen > len - off)
			return fail(r, "%s claims %u bytes, only %zu are left.",
				    names[tag], tlen, len - off);
		if (!vcpu) {
			want = vm_tag_size[tag];
		} else if (tag == STREAM_VCPU_XSAVE && r->hdr.xsave_size < 0) {
			return fail(r, "it has XSAVE but the header gives no host.xsave_size.");
		} else {
			vcpu_len_ok(r, tag, p + off, tlen, &want);
		}
		if (tlen != want)
			return fail(r, "%s is %u bytes, %llu expected.",
				    names[tag], tlen, (unsigned long long)want);
		t->p[tag] = p + off;
		t->len[tag] = tlen;
		off += tlen;
	}
	for (i = 1; i <= max; i++)
		if (!t->p[i])
			return fail(r, "it has no %s.", names[i]);
	return 0;
}

static int do_vm(struct stream_reader *r, uint64_t len)
{
	struct stream_tlvs t;
	int rc = stream_reader_body(r, (size_t)len);

	if (!rc)
		rc = read_tlvs(r, r->buf, (size_t)len, false, &t);
	if (rc)
		return rc;
	if (r->ops->vm) {
		rc = r->ops->vm(r->opaque, r, &t);
		if (rc)
			return stream_reader_refused(r, rc);
	}
	return 0;
}

static int do_vcpu(struct stream_reader *r, uint64_t len)
{
	struct stream_tlvs t;
	uint32_t index;
	int rc;

	if (len < 4)
		return fail(r, "it is %llu bytes, too short for its vCPU index.",
			    (unsigned long long)len);
	rc = stream_reader_body(r, (size_t)len);
	if (rc)
		return rc;
	index = le_get32(r->buf);
	if (index != r->next_vcpu)
		return fail(r, "it is for vCPU %u, vCPU %u expected next.",
			    index, r->next_vcpu);
	rc = read_tlvs(r, r->buf + 4, (size_t)len - 4, true, &t);
	if (rc)
		return rc;
	r->next_vcpu++;
	if (r->ops->vcpu) {
		rc = r->ops->vcpu(r->opaque, r, index, &t);
		if (rc)
			return stream_reader_refused(r, rc);
	}
	return 0;
}

static bool id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static int do_device(struct stream_reader *r, uint64_t len)
{
	char id[STREAM_DEVICE_ID_MAX + 1];
	struct json_object *state;
	uint32_t version;
	size_t idlen, i;
	int rc;

	if (len < 8)
		return fail(r, "it is %llu bytes, too short for its fields.",
			    (unsigned long long)len);
	rc = stream_reader_body(r, (size_t)len);
	if (rc)
		return rc;
	idlen = le_get16(r->buf);
	if (!idlen || idlen > STREAM_DEVICE_ID_MAX || 8 + idlen > len)
		return fail(r, "its device id is %zu bytes, 1 to %d expected within the record.",
			    idlen, STREAM_DEVICE_ID_MAX);
	for (i = 0; i < idlen; i++)
		if (!id_char((char)r->buf[2 + i]))
			return fail(r, "its device id holds a byte other than letters, digits, '_', '-' and '.'.");
	memcpy(id, r->buf + 2, idlen);
	id[idlen] = '\0';
	if (le_get16(r->buf + 2 + idlen))
		return fail(r, "device %s: its pad field is not zero.", id);
	version = le_get32(r->buf + 4 + idlen);
	rc = parse_object(r, (const char *)r->buf + 8 + idlen,
			  (size_t)len - 8 - idlen, "device state", &state);
	if (rc)
		return rc;
	if (r->ops->device) {
		rc = r->ops->device(r->opaque, r, id, version, state);
		if (rc)
			rc = stream_reader_refused(r, rc);
	}
	json_object_put(state);
	return rc;
}

static int do_progress(struct stream_reader *r, uint64_t len)
{
	struct stream_progress p;
	struct json_object *obj;
	int64_t v[4];
	int rc;

	rc = stream_reader_body(r, (size_t)len);
	if (!rc)
		rc = parse_object(r, (const char *)r->buf, (size_t)len, "JSON",
				  &obj);
	if (rc)
		return rc;
	if (!get_int(obj, "round", 0, INT64_MAX, &v[0]) ||
	    !get_int(obj, "sent", 0, INT64_MAX, &v[1]) ||
	    !get_int(obj, "remaining", 0, INT64_MAX, &v[2]) ||
	    !get_int(obj, "dirty_rate", 0, INT64_MAX, &v[3])) {
		json_object_put(obj);
		return fail(r, "it needs \"round\", \"sent\", \"remaining\" and \"dirty_rate\" as integers of at least 0.");
	}
	json_object_put(obj);
	p.round = (uint64_t)v[0];
	p.sent = (uint64_t)v[1];
	p.remaining = (uint64_t)v[2];
	p.dirty_rate = (uint64_t)v[3];
	if (r->ops->progress) {
		rc = r->ops->progress(r->opaque, r, &p);
		if (rc)
			return stream_reader_refused(r, rc);
	}
	return 0;
}

/*
 * Whether a record of @type may come now (docs/stream.md, Records);
 * moves the phase on. The order is checked before the body is read.
 */
static int check_order(struct stream_reader *r, uint32_t type)
{
	if (r->phase == PHASE_HEADER) {
		if (type != STREAM_HEADER)
			return fail(r, "the stream must start with a HEADER record.");
		r->phase = PHASE_RAM;
		return 0;
	}
	switch (type) {
	case STREAM_HEADER:
		return fail(r, "a stream has one HEADER record, at its start.");
	case STREAM_RAM:
		if (r->phase != PHASE_RAM)
			return fail(r, "RAM records must come before the VM record.");
		return 0;
	case STREAM_VM:
		if (r->phase != PHASE_RAM)
			return fail(r, "a stream has one VM record.");
		r->phase = PHASE_VCPUS;
		return 0;
	case STREAM_VCPU:
		if (r->phase == PHASE_RAM)
			return fail(r, "VCPU records must come after the VM record.");
		if (r->phase == PHASE_DEVICES || r->next_vcpu >= r->hdr.vcpus)
			return fail(r, "the header names %u vCPUs, and they all came before.",
				    r->hdr.vcpus);
		return 0;
	case STREAM_DEVICE:
	case STREAM_END:
		if (r->phase == PHASE_RAM)
			return fail(r, "the VM record must come before it.");
		if (r->phase == PHASE_VCPUS && r->next_vcpu < r->hdr.vcpus)
			return fail(r, "only %u of the header's %u vCPUs came before it.",
				    r->next_vcpu, r->hdr.vcpus);
		r->phase = PHASE_DEVICES;
		return 0;
	}
	return 0;
}

static int do_end(struct stream_reader *r, uint64_t len)
{
	uint64_t want = stream_in_digest(&r->in), got;
	int rc;

	if (len != 8)
		return fail(r, "it is %llu bytes, 8 expected.",
			    (unsigned long long)len);
	rc = stream_reader_body(r, 8);
	if (rc)
		return rc;
	got = le_get64(r->buf);
	if (got != want)
		return fail(r, "the checksum is %016llx, but the stream before it hashes to %016llx: it is damaged.",
			    (unsigned long long)got,
			    (unsigned long long)want);
	return 0;
}

static int read_preamble(struct stream_reader *r)
{
	uint8_t p[STREAM_PREAMBLE_SIZE];
	uint16_t major;
	int rc;

	r->in_preamble = true;
	rc = stream_reader_read(r, p, sizeof(p), true);
	if (rc)
		return rc;
	if (memcmp(p, STREAM_MAGIC, 8))
		return fail(r, "not a keel domain stream.");
	major = le_get16(p + 8);
	if (major != STREAM_MAJOR)
		return fail(r, "format %u.x; this keel reads %d.x.", major,
			    STREAM_MAJOR);
	if (le_get32(p + 12))
		return fail(r, "its reserved bytes are not zero.");
	/* A higher minor only adds optional records and JSON members. */
	r->in_preamble = false;
	return 0;
}

/*
 * A record of @len bytes (checked against its limit) lies ahead: the
 * stream holds it, its padding and, unless it is END, at least an END
 * record after it. The input may read that far ahead and no further.
 */
static void expect_record(struct stream_reader *r, uint32_t type,
			  uint64_t len)
{
	uint64_t end = r->rec_at + STREAM_RECORD_HEADER_SIZE + len +
		       (8 - len % 8) % 8;

	if (type != STREAM_END)
		end += STREAM_RECORD_HEADER_SIZE + 8;
	stream_in_expect(&r->in, end);
}

/* One record: its header, its order, its body and padding. */
static int read_record(struct stream_reader *r, bool *done)
{
	uint8_t h[STREAM_RECORD_HEADER_SIZE];
	uint32_t type, flags, want_flags;
	uint64_t len, max;
	int rc;

	r->rec_at = r->in.offset;
	/* Whatever comes next, END (24 bytes) still does. */
	stream_in_expect(&r->in, r->rec_at + STREAM_RECORD_HEADER_SIZE + 8);
	r->have_type = false;
	rc = stream_reader_read(r, h, sizeof(h), false);
	if (rc)
		return rc;
	type = le_get32(h);
	flags = le_get32(h + 4);
	len = le_get64(h + 8);
	r->type = type;
	r->have_type = true;
	r->rec_len = len;
	/* END's own header is outside the checksum it carries. */
	if (type != STREAM_END)
		stream_in_hash(&r->in, h, sizeof(h));
	if (flags & ~STREAM_FLAG_OPTIONAL)
		return fail(r, "its flags 0x%x set bits other than bit 0 (optional).",
			    flags);
	max = stream_type_max(type);
	if (!max) {
		if (!(flags & STREAM_FLAG_OPTIONAL))
			return fail(r, "the type is unknown and not marked optional, so this keel cannot read the stream.");
		if (r->phase == PHASE_HEADER)
			return fail(r, "the stream must start with a HEADER record.");
		if (len > STREAM_UNKNOWN_MAX)
			return fail(r, "it claims %llu bytes, more than the %llu an optional record may have.",
				    (unsigned long long)len,
				    (unsigned long long)STREAM_UNKNOWN_MAX);
		expect_record(r, type, len);
		rc = skip(r, len);
		return rc ? rc : read_padding(r, len);
	}
	want_flags = type == STREAM_PROGRESS ? STREAM_FLAG_OPTIONAL : 0;
	if (flags != want_flags)
		return fail(r, "its flags are 0x%x, 0x%x expected.", flags,
			    want_flags);
	if (len > max)
		return fail(r, "it claims %llu bytes, more than the %llu it may have.",
			    (unsigned long long)len, (unsigned long long)max);
	expect_record(r, type, len);
	if (type == STREAM_PROGRESS) {
		if (r->phase == PHASE_HEADER)
			return fail(r, "the stream must start with a HEADER record.");
	} else {
		rc = check_order(r, type);
		if (rc)
			return rc;
	}
	switch (type) {
	case STREAM_HEADER:
		rc = do_header(r, len);
		break;
	case STREAM_RAM:
		rc = stream_read_ram(r, len);
		break;
	case STREAM_VM:
		rc = do_vm(r, len);
		break;
	case STREAM_VCPU:
		rc = do_vcpu(r, len);
		break;
	case STREAM_DEVICE:
		rc = do_device(r, len);
		break;
	case STREAM_PROGRESS:
		rc = do_progress(r, len);
		break;
	case STREAM_END:
		rc = do_end(r, len);
		*done = true;
		break;
	}
	return rc ? rc : read_padding(r, len);
}

int stream_read_io(const struct stream_io *io, const struct stream_ops *ops,
		   void *opaque, char *err, size_t err_size,
		   struct stream_stats *stats)
{
	struct stream_reader r = {
		.ops = ops, .opaque = opaque,
		.err = err, .err_size = err_size,
	};
	bool done = false;
	int rc;

	if (err_size)
		err[0] = '\0';
	rc = stream_in_init(&r.in, io, stats);
	if (rc) {
		snprintf(err, err_size, "Out of memory reading the stream.");
		goto out;
	}
	rc = read_preamble(&r);
	while (!rc && !done) {
		rc = read_record(&r, &done);
		if (stats)
			stats->records++;
	}
	if (!rc && ops->end) {
		rc = ops->end(opaque, &r);
		if (rc)
			stream_reader_refused(&r, rc);
	}
out:
	json_object_put(r.hdr.json);
	ZSTD_freeDCtx(r.zd);
	free(r.scratch);
	free(r.buf);
	stream_in_dispose(&r.in);
	return rc;
}

int stream_read(int fd, const struct stream_ops *ops, void *opaque,
		char *err, size_t err_size)
{
	struct stream_io io = stream_io_fd(fd);

	return stream_read_io(&io, ops, opaque, err, err_size, NULL);
}
