/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef KEEL_STREAM_H
#define KEEL_STREAM_H

/*
 * The domain stream (docs/stream.md, format 1.0): what keel save writes,
 * keel restore reads and live migration sends. The writer emits records
 * to a file descriptor and the reader checks and delivers them from
 * one; neither ever seeks, so a pipe or a socket serves as well as a
 * file. keel-hv only fills and reads records: the framing, the page
 * encodings, the order rules and the END checksum live here.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <json-c/json.h>

#define STREAM_MAGIC "KEELDOM"	/* 8 bytes with its NUL */
#define STREAM_MAJOR 1
#define STREAM_MINOR 0
#define STREAM_PREAMBLE_SIZE 16
#define STREAM_RECORD_HEADER_SIZE 16
#define STREAM_PAGE_SIZE 4096
#define STREAM_RAM_MAX_PAGES 16384
/*
 * Pages of data stream_write_ram_run() puts in one record: 1 MiB, so
 * that its compression buffer stays small. keel-hv saves inside the
 * domain's memory cgroup, which leaves it HV_MEM_OVERHEAD_MIB beyond
 * the guest's RAM; 64 MiB records took all of that and the kernel killed
 * keel-hv in the middle of a save. lz4 looks back 64 KiB and zstd level
 * 1 not much further, so larger records would not compress better.
 */
#define STREAM_RAM_RUN_PAGES 256
/* A RAM record's fields before its data. */
#define STREAM_RAM_FIXED 24

/* Record flags: bit 0 lets a reader that does not know the type skip it. */
#define STREAM_FLAG_OPTIONAL 0x1u

enum stream_type {
	STREAM_HEADER = 1,
	STREAM_RAM = 2,
	STREAM_VM = 3,
	STREAM_VCPU = 4,
	STREAM_DEVICE = 5,
	STREAM_PROGRESS = 6,
	STREAM_END = 7,
};

enum stream_enc {
	STREAM_ENC_ZERO = 0,
	STREAM_ENC_RAW = 1,
	STREAM_ENC_LZ4 = 2,
	STREAM_ENC_ZSTD = 3,
};

/* VM record sub-record tags. */
enum stream_vm_tag {
	STREAM_VM_PIC_MASTER = 1,
	STREAM_VM_PIC_SLAVE = 2,
	STREAM_VM_IOAPIC = 3,
	STREAM_VM_PIT2 = 4,
	STREAM_VM_CLOCK = 5,
	STREAM_VM_TAG_MAX = 5,
};

/* VCPU record sub-record tags. */
enum stream_vcpu_tag {
	STREAM_VCPU_REGS = 1,
	STREAM_VCPU_SREGS = 2,
	STREAM_VCPU_XSAVE = 3,
	STREAM_VCPU_XCRS = 4,
	STREAM_VCPU_LAPIC = 5,
	STREAM_VCPU_EVENTS = 6,
	STREAM_VCPU_MP_STATE = 7,
	STREAM_VCPU_DEBUGREGS = 8,
	STREAM_VCPU_MSRS = 9,
	STREAM_VCPU_TSC_KHZ = 10,
	STREAM_VCPU_CPUID = 11,
	STREAM_VCPU_TAG_MAX = 11,
};

/* The fixed sizes docs/stream.md gives its sub-records. */
#define STREAM_PIC_SIZE 16
#define STREAM_IOAPIC_SIZE 216
#define STREAM_PIT2_SIZE 76
#define STREAM_CLOCK_SIZE 28
#define STREAM_REGS_SIZE 144
#define STREAM_SREGS_SIZE 328
#define STREAM_LAPIC_SIZE 1024
#define STREAM_EVENTS_SIZE 36
#define STREAM_MP_STATE_SIZE 4
#define STREAM_DEBUGREGS_SIZE 56
#define STREAM_TSC_KHZ_SIZE 4

/* The largest body a record of @type may have; 0 for an unknown type. */
uint64_t stream_type_max(uint32_t type);

/* The record's name as docs/stream.md spells it ("VCPU"); NULL if unknown. */
const char *stream_type_name(uint32_t type);

/*
 * Where a stream's bytes go or come from: the writer and the reader use
 * nothing else. stream_io_fd() makes the one for a descriptor; keel-hv's
 * migration makes one that reads and writes its TLS connection with
 * OpenSSL on its own thread (tls_chan, tls_pump.h). Both functions
 * block. write() sends all of @len bytes, or returns -errno. readv()
 * fills @iov's @n pieces in order, bringing at least one byte and
 * stopping where it likes (a descriptor's gathers the next record's
 * header with a body; a TLS one fills the first piece with a record's
 * worth at most); 0 at the end of the stream, or -errno. Either may be
 * NULL where the stream only goes one way.
 */
struct stream_io {
	int (*write)(void *opaque, const void *p, size_t len);
	ssize_t (*readv)(void *opaque, const struct iovec *iov, int n);
	void *opaque;
};

/*
 * The io of @fd, which stays the caller's (never closed, never seeked).
 * Its write() continues a short write, retries EINTR and waits in
 * poll(2) for a non-blocking fd that is full; writing to a pipe or
 * socket whose reader is gone raises SIGPIPE, and a caller that ignores
 * it gets -EPIPE. Its readv() is readv(2) with EINTR retried.
 */
struct stream_io stream_io_fd(int fd);

/* --- Writer ----------------------------------------------------------- */

struct stream_writer;

/*
 * A writer onto @io (copied; its write() must be set). Nothing is
 * written yet. NULL when out of memory.
 */
struct stream_writer *stream_writer_new_io(const struct stream_io *io);

/* The same onto stream_io_fd(@fd). */
struct stream_writer *stream_writer_new(int fd);

/* The largest buffer stream_writer_set_buffer() takes. */
#define STREAM_WRITE_BUF_MAX (4 * 1024 * 1024)

/*
 * Hold what the writer emits in a buffer of @size bytes and write(2) it
 * when full, so that the fd sees a few big writes instead of one or
 * more per record: each write to a socket is a system call and a
 * wake-up of its reader, and with kernel TLS each write is one or more
 * TLS records of its own. 0 turns buffering off. stream_write_end()
 * and stream_writer_flush() write what is held; until then it is not
 * on the fd. Returns 0, -EINVAL above STREAM_WRITE_BUF_MAX, -ENOMEM, or
 * the error of writing what was held.
 */
int stream_writer_set_buffer(struct stream_writer *sw, size_t size);

/* Write what the buffer holds. 0 or the stream's error. */
int stream_writer_flush(struct stream_writer *sw);

/* Free @sw (NULL is fine); what was written stays written. */
void stream_writer_free(struct stream_writer *sw);

/* Bytes written so far: the offset the next record starts at. */
uint64_t stream_writer_offset(const struct stream_writer *sw);

/*
 * Microseconds spent inside io.write() so far: the time the reader (a
 * socket's peer, the disk) held the writer up, plus the copy (and, for
 * a TLS io, the encryption).
 */
uint64_t stream_writer_wait_us(const struct stream_writer *sw);

/*
 * Write the 16-byte preamble. Every write function returns 0 or -errno:
 * -EIO-like errors from write(2) (-ENOSPC, -EPIPE), -EINVAL for
 * arguments docs/stream.md does not allow, -E2BIG for a body longer than
 * its type's limit, -ENOMEM. After an error the stream is unusable:
 * every later call returns the same error.
 */
int stream_write_preamble(struct stream_writer *sw);

/*
 * One record of any type with the body as given: @flags, @len bytes at
 * @body, then the zero padding. For the typed writers below and for
 * tests that need streams a reader must refuse; no order is checked.
 */
int stream_write_record(struct stream_writer *sw, uint32_t type,
			uint32_t flags, const void *body, uint64_t len);

/* The HEADER record: @len bytes of JSON text (docs/stream.md, HEADER). */
int stream_write_header(struct stream_writer *sw, const char *json,
			size_t len);

/*
 * One RAM record of @npages pages at @gpa from @pages in encoding @enc:
 * STREAM_ENC_ZERO writes no data (@pages is not read); RAW the bytes;
 * LZ4 and ZSTD compress them, or fall back to RAW when that is no
 * smaller. Use stream_write_ram_run() unless the encoding is decided.
 */
int stream_write_ram(struct stream_writer *sw, uint64_t gpa, uint32_t npages,
		     const void *pages, enum stream_enc enc);

/*
 * Guest memory from @gpa, @len bytes at @host (both page-aligned
 * multiples), as RAM records: each run of zero pages as one zero
 * record of at most STREAM_RAM_MAX_PAGES pages, the rest in @enc (not
 * ZERO) in records of at most STREAM_RAM_RUN_PAGES.
 */
int stream_write_ram_run(struct stream_writer *sw, uint64_t gpa,
			 const void *host, uint64_t len, enum stream_enc enc);

/*
 * VM and VCPU records are built field by field: begin, then per
 * sub-record stream_tlv_begin(), the stream_put_*() of its fields and
 * stream_tlv_end(), then stream_rec_end() writes the record. A put
 * that does not fit the type's limit, or one outside a record, makes
 * stream_rec_end() fail with -E2BIG or -EINVAL; the puts themselves
 * return nothing so that a run of them reads as the field list.
 */
int stream_vm_begin(struct stream_writer *sw);
int stream_vcpu_begin(struct stream_writer *sw, uint32_t index);
void stream_tlv_begin(struct stream_writer *sw, uint16_t tag);
void stream_tlv_end(struct stream_writer *sw);
void stream_put_u8(struct stream_writer *sw, uint8_t v);
void stream_put_u16(struct stream_writer *sw, uint16_t v);
void stream_put_u32(struct stream_writer *sw, uint32_t v);
void stream_put_u64(struct stream_writer *sw, uint64_t v);
/* Bytes whose layout the architecture defines (XSAVE, LAPIC), or pad. */
void stream_put_bytes(struct stream_writer *sw, const void *p, size_t len);
void stream_put_zeros(struct stream_writer *sw, size_t len);
int stream_rec_end(struct stream_writer *sw);

/* A DEVICE record: its @id, its state @version and its saved JSON. */
int stream_write_device(struct stream_writer *sw, const char *id,
			uint32_t version, const char *json, size_t len);

/* A PROGRESS record (optional flag set) of one migration round. */
int stream_write_progress(struct stream_writer *sw, uint64_t round,
			  uint64_t sent, uint64_t remaining,
			  uint64_t dirty_rate);

/* The END record: XXH3-64 of every byte written before it; flushes. */
int stream_write_end(struct stream_writer *sw);

/* --- Reader ----------------------------------------------------------- */

/* The largest number of ram ranges a HEADER may list. */
#define STREAM_RAM_RANGES_MAX 64

struct stream_ram_range {
	uint64_t gpa, size;
};

/* What a reader found in the HEADER, for the callbacks that follow. */
struct stream_header {
	struct json_object *json;	/* the whole object; borrowed */
	struct json_object *config;	/* its "config" member; borrowed */
	uint32_t vcpus;
	int64_t xsave_size;		/* host.xsave_size; -1 if absent */
	size_t n_ram;
	struct stream_ram_range ram[STREAM_RAM_RANGES_MAX];
};

/*
 * A VM or VCPU record's sub-records by tag: p[tag] points at len[tag]
 * bytes of fields inside the record (valid during the callback only).
 * The reader has checked that each tag is known, appears exactly once
 * and has the length docs/stream.md gives it.
 */
struct stream_tlvs {
	const uint8_t *p[STREAM_VCPU_TAG_MAX + 1];
	uint32_t len[STREAM_VCPU_TAG_MAX + 1];
};

struct stream_progress {
	uint64_t round, sent, remaining, dirty_rate;
};

struct stream_reader;

/*
 * What the caller does with each record. Every callback may be NULL
 * (the record is then checked and dropped) except ram_map when the
 * stream has non-zero pages. A callback returns 0, or -errno to stop
 * the read; stream_reader_fail() gives that error its sentence.
 */
struct stream_ops {
	int (*header)(void *opaque, struct stream_reader *r,
		      const struct stream_header *h);
	/*
	 * Host memory for @len bytes of guest memory at @gpa, a range
	 * the reader has checked lies inside one of the header's ram
	 * ranges: raw pages are read straight into it. NULL refuses.
	 */
	void *(*ram_map)(void *opaque, uint64_t gpa, uint64_t len);
	/*
	 * Make @len bytes at @gpa zero (a zero-page run). NULL: the reader
	 * memsets what ram_map gives. A first restore onto fresh anonymous
	 * memory can do nothing here; a later migration pass must clear.
	 */
	int (*ram_zero)(void *opaque, uint64_t gpa, uint64_t len);
	int (*vm)(void *opaque, struct stream_reader *r,
		  const struct stream_tlvs *t);
	int (*vcpu)(void *opaque, struct stream_reader *r, uint32_t index,
		    const struct stream_tlvs *t);
	/* @state is the device's JSON object, borrowed. */
	int (*device)(void *opaque, struct stream_reader *r, const char *id,
		      uint32_t version, struct json_object *state);
	int (*progress)(void *opaque, struct stream_reader *r,
			const struct stream_progress *p);
	/* The checksum matched: the whole stream is good. */
	int (*end)(void *opaque, struct stream_reader *r);
};

/* Room for any error the reader reports. */
#define STREAM_ERR_SIZE 256

/*
 * Read one stream from @fd (the caller's, blocking; not closed) up to
 * and including its END record, and nothing after it. @ops must not be
 * NULL; its members may. Returns 0 once END's
 * checksum matched and ops->end returned 0; otherwise -EINVAL for a
 * stream docs/stream.md refuses, -EIO (or the read error) for a failed
 * read, -ENOMEM, or what a callback returned; @err then holds the
 * sentence, naming the record type and its offset. What the callbacks
 * did before a failure stays done: a caller runs nothing it restored
 * until this returns 0.
 */
int stream_read(int fd, const struct stream_ops *ops, void *opaque,
		char *err, size_t err_size);

/*
 * Where a read's time went, for keel-hv's debug log (docs/save-bench.md,
 * "Where a restore's time goes"). Times in nanoseconds.
 */
struct stream_stats {
	uint64_t records;	/* records read */
	uint64_t reads;		/* io.readv() calls */
	uint64_t read_ns;	/* in them: the kernel's copy and page faults */
	uint64_t hash_ns;	/* in XXH3 */
	uint64_t decode_ns;	/* in lz4 and zstd */
	uint64_t map_ns;	/* in ops->ram_map (keel-hv populates RAM) */
	uint64_t ram_bytes;	/* guest memory written through ram_map */
};

/*
 * stream_read() from @io (its readv() must be set), filling *@stats
 * (zeroed first; may be NULL) as it goes. What @io holds after END
 * stays there.
 */
int stream_read_io(const struct stream_io *io, const struct stream_ops *ops,
		   void *opaque, char *err, size_t err_size,
		   struct stream_stats *stats);

/*
 * From a callback: say why it refuses the record it was given, as the
 * reader says it ("VCPU record at offset 1052672: " and @fmt). Returns
 * -EINVAL for the callback to return.
 */
int stream_reader_fail(struct stream_reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The header a callback's record belongs to (NULL inside ops->header). */
const struct stream_header *stream_reader_header(const struct stream_reader *r);

/*
 * A cursor over a sub-record's fields, for reading them in order: each
 * get returns the field, or 0 once the cursor ran past the end, which
 * cannot happen for the fixed-size tags the reader checked.
 */
struct stream_cur {
	const uint8_t *p;
	size_t len, off;
};

static inline struct stream_cur stream_cur_init(const uint8_t *p, size_t len)
{
	struct stream_cur c = { .p = p, .len = len, .off = 0 };

	return c;
}

uint8_t stream_get_u8(struct stream_cur *c);
uint16_t stream_get_u16(struct stream_cur *c);
uint32_t stream_get_u32(struct stream_cur *c);
uint64_t stream_get_u64(struct stream_cur *c);
/* Copy @len bytes (zeros if they are not all there); skip with @dst NULL. */
void stream_get_bytes(struct stream_cur *c, void *dst, size_t len);

#endif /* KEEL_STREAM_H */
