// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib/stream.c and lib/stream_read.c: every record type and encoding
 * written and read back; a small real stream cut at every byte and with
 * every single bit flipped, each refused; and each rule of
 * docs/stream.md broken on purpose, refused in the words a user sees.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xxhash.h>

#include "le.h"
#include "runner.h"
#include "stream.h"

#define PAGE STREAM_PAGE_SIZE
#define R0_GPA 0x0ull
#define R0_PAGES 16
#define R1_GPA 0x100000ull
#define R1_PAGES 4
#define XSAVE_SIZE 576

/* The guest memory a test writes from and reads into. */
struct guest {
	uint8_t r0[R0_PAGES * PAGE];
	uint8_t r1[R1_PAGES * PAGE];
};

/* What the reader's callbacks saw. */
struct seen {
	struct guest mem;
	uint32_t vcpus;
	size_t n_ram;
	int64_t xsave_size;
	char config_name[32];
	int vm;
	uint32_t pit_flags;
	int n_vcpu;
	uint32_t vcpu_index[4];
	uint64_t rip[4];
	uint32_t n_msrs[4];
	int n_device;
	char device_id[4][16];
	uint32_t device_version[4];
	int64_t device_member[4];
	int n_progress;
	struct stream_progress progress;
	int n_zero;
	int end;
	const char *refuse_device;	/* a device the callback refuses */
};

static void *map(void *opaque, uint64_t gpa, uint64_t len)
{
	struct seen *s = opaque;

	if (gpa + len <= R0_GPA + sizeof(s->mem.r0))
		return s->mem.r0 + gpa;
	if (gpa >= R1_GPA && gpa + len <= R1_GPA + sizeof(s->mem.r1))
		return s->mem.r1 + (gpa - R1_GPA);
	return NULL;
}

static int zero(void *opaque, uint64_t gpa, uint64_t len)
{
	struct seen *s = opaque;
	uint8_t *p = map(opaque, gpa, len);

	s->n_zero++;
	memset(p, 0, len);
	return 0;
}

static int on_header(void *opaque, struct stream_reader *r,
		     const struct stream_header *h)
{
	struct seen *s = opaque;
	struct json_object *name;

	s->vcpus = h->vcpus;
	s->n_ram = h->n_ram;
	s->xsave_size = h->xsave_size;
	if (json_object_object_get_ex(h->config, "name", &name))
		snprintf(s->config_name, sizeof(s->config_name), "%s",
			 json_object_get_string(name));
	return 0;
}

static int on_vm(void *opaque, struct stream_reader *r,
		 const struct stream_tlvs *t)
{
	struct seen *s = opaque;
	struct stream_cur c = stream_cur_init(t->p[STREAM_VM_PIT2],
					      t->len[STREAM_VM_PIT2]);

	s->vm++;
	stream_get_bytes(&c, NULL, 72);
	s->pit_flags = stream_get_u32(&c);
	return 0;
}

static int on_vcpu(void *opaque, struct stream_reader *r, uint32_t index,
		   const struct stream_tlvs *t)
{
	struct seen *s = opaque;
	struct stream_cur c = stream_cur_init(t->p[STREAM_VCPU_REGS],
					      t->len[STREAM_VCPU_REGS]);

	ck_assert_int_lt(s->n_vcpu, 4);
	s->vcpu_index[s->n_vcpu] = index;
	stream_get_bytes(&c, NULL, 16 * 8);
	s->rip[s->n_vcpu] = stream_get_u64(&c);
	s->n_msrs[s->n_vcpu] = le_get32(t->p[STREAM_VCPU_MSRS]);
	s->n_vcpu++;
	return 0;
}

static int on_device(void *opaque, struct stream_reader *r, const char *id,
		     uint32_t version, struct json_object *state)
{
	struct seen *s = opaque;
	struct json_object *m;

	if (s->refuse_device && !strcmp(id, s->refuse_device))
		return stream_reader_fail(r, "this keel-hv has no device %s.",
					  id);
	ck_assert_int_lt(s->n_device, 4);
	snprintf(s->device_id[s->n_device], 16, "%s", id);
	s->device_version[s->n_device] = version;
	s->device_member[s->n_device] =
		json_object_object_get_ex(state, "n", &m) ?
			json_object_get_int64(m) : -1;
	s->n_device++;
	return 0;
}

static int on_progress(void *opaque, struct stream_reader *r,
		       const struct stream_progress *p)
{
	struct seen *s = opaque;

	s->n_progress++;
	s->progress = *p;
	return 0;
}

static int on_end(void *opaque, struct stream_reader *r)
{
	struct seen *s = opaque;

	s->end++;
	return 0;
}

static const struct stream_ops ops = {
	.header = on_header,
	.ram_map = map,
	.ram_zero = zero,
	.vm = on_vm,
	.vcpu = on_vcpu,
	.device = on_device,
	.progress = on_progress,
	.end = on_end,
};

/* A page that lz4 and zstd shrink, different for each @seed. */
static void fill_pattern(uint8_t *p, unsigned int seed)
{
	for (size_t i = 0; i < PAGE; i++)
		p[i] = (uint8_t)(seed * 7 + i / 64);
}

/* A page nothing shrinks. */
static void fill_random(uint8_t *p, uint32_t seed)
{
	for (size_t i = 0; i < PAGE; i++) {
		seed = seed * 1103515245 + 12345;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static void make_guest(struct guest *g, bool with_random)
{
	memset(g, 0, sizeof(*g));
	fill_pattern(g->r0 + 1 * PAGE, 1);
	fill_pattern(g->r0 + 2 * PAGE, 2);
	if (with_random)
		fill_random(g->r0 + 6 * PAGE, 6);
	for (int i = 0; i < R1_PAGES; i++)
		fill_pattern(g->r1 + i * PAGE, 10 + i);
}

static int memfd(void)
{
	int fd = memfd_create("check_stream", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	return fd;
}

static char header_json[512];

static int write_header(struct stream_writer *sw, unsigned int vcpus,
			const char *extra)
{
	int n = snprintf(header_json, sizeof(header_json),
			 "{\"writer\": \"keel 0.1.0\", \"host\": {\"xsave_size\": %d}, \"vcpus\": %u, \"ram\": [{\"gpa\": %llu, \"size\": %d}, {\"gpa\": %llu, \"size\": %d}], \"config\": {\"name\": \"web\"}%s}",
			 XSAVE_SIZE, vcpus, R0_GPA, R0_PAGES * PAGE, R1_GPA,
			 R1_PAGES * PAGE, extra ? extra : "");

	return stream_write_header(sw, header_json, (size_t)n);
}

/* @n bytes counting up from @seed, for fields whose values do not matter. */
static void put_filler(struct stream_writer *sw, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		stream_put_u8(sw, (uint8_t)(seed + i));
}

static int write_vm(struct stream_writer *sw)
{
	int rc = stream_vm_begin(sw);

	if (rc)
		return rc;
	for (uint16_t tag = STREAM_VM_PIC_MASTER; tag <= STREAM_VM_PIC_SLAVE;
	     tag++) {
		stream_tlv_begin(sw, tag);
		put_filler(sw, STREAM_PIC_SIZE, (uint8_t)tag);
		stream_tlv_end(sw);
	}
	stream_tlv_begin(sw, STREAM_VM_IOAPIC);
	stream_put_u64(sw, 0xfec00000);
	stream_put_u32(sw, 0x10); /* ioregsel */
	stream_put_u32(sw, 0);
	stream_put_u32(sw, 0);
	stream_put_u32(sw, 0);
	for (int i = 0; i < 24; i++)
		stream_put_u64(sw, 0x10000 | (uint64_t)i);
	stream_tlv_end(sw);
	stream_tlv_begin(sw, STREAM_VM_PIT2);
	for (int ch = 0; ch < 3; ch++) {
		stream_put_u32(sw, 65536);
		stream_put_u16(sw, 0);
		put_filler(sw, 10, 0);
		stream_put_u64(sw, (uint64_t)-5);
	}
	stream_put_u32(sw, 0xa5);
	stream_tlv_end(sw);
	stream_tlv_begin(sw, STREAM_VM_CLOCK);
	stream_put_u64(sw, 123456789);
	stream_put_u32(sw, 2);
	stream_put_u64(sw, 1);
	stream_put_u64(sw, 2);
	stream_tlv_end(sw);
	return stream_rec_end(sw);
}

/* A whole VCPU record; @lapic_len other than 1024 makes a bad one. */
static int write_vcpu(struct stream_writer *sw, uint32_t index,
		      size_t lapic_len)
{
	int rc = stream_vcpu_begin(sw, index);

	if (rc)
		return rc;
	stream_tlv_begin(sw, STREAM_VCPU_REGS);
	for (int i = 0; i < 16; i++)
		stream_put_u64(sw, (uint64_t)i);
	stream_put_u64(sw, 0xfff0 + index);	/* rip */
	stream_put_u64(sw, 2);			/* rflags */
	stream_tlv_end(sw);
	stream_tlv_begin(sw, STREAM_VCPU_SREGS);
	put_filler(sw, STREAM_SREGS_SIZE, 3);
	stream_tlv_end(sw);
	stream_tlv_begin(sw, STREAM_VCPU_XSAVE);
	put_filler(sw, XSAVE_SIZE, 4);
	stream_tlv_end(sw);
	stream_tlv_begin(sw, STREAM_VCPU_XCRS);
	stream_put_u32(sw, 1);
	stream_put_u32(sw, 0);
	stream_put_u32(sw, 0);
	stream_put_u64(sw, 7);
	stream_tlv_end(sw);
	stream_tlv_begin(sw, STREAM_VCPU_LAPIC);
	put_filler(sw, lapic_len, 5);
	stream_tlv_end(sw);
	stream_tlv_begin(sw, STREAM_VCPU_EVENTS);
	put_filler(sw, STREAM_EVENTS_SIZE, 6);
	stream_tlv_end(sw);
	stream_tlv_begin(sw, STREAM_VCPU_MP_STATE);
	stream_put_u32(sw, 0);
	stream_tlv_end(sw);
	stream_tlv_begin(sw, STREAM_VCPU_DEBUGREGS);
	put_filler(sw, STREAM_DEBUGREGS_SIZE, 7);
	stream_tlv_end(sw);
	stream_tlv_begin(sw, STREAM_VCPU_MSRS);
	stream_put_u32(sw, 2);
	stream_put_u32(sw, 0);
	stream_put_u32(sw, 0x10);	/* IA32_TSC */
	stream_put_u32(sw, 0);
	stream_put_u64(sw, 1000);
	stream_put_u32(sw, 0x6e0);	/* TSC_DEADLINE */
	stream_put_u32(sw, 0);
	stream_put_u64(sw, 2000);
	stream_tlv_end(sw);
	stream_tlv_begin(sw, STREAM_VCPU_TSC_KHZ);
	stream_put_u32(sw, 2994000);
	stream_tlv_end(sw);
	stream_tlv_begin(sw, STREAM_VCPU_CPUID);
	stream_put_u32(sw, 1);
	put_filler(sw, 28, 8);
	stream_tlv_end(sw);
	return stream_rec_end(sw);
}

static const char dev_com1[] = "{\"n\": 1, \"lsr\": 96}";
static const char dev_blk[] = "{\"n\": 2, \"queues\": [{\"size\": 256}]}";

/*
 * A whole good stream onto @fd: @vcpus vCPUs, every record type and,
 * with @big, a raw page too (the first, then the run that replaces it).
 */
static void write_stream_buf(int fd, unsigned int vcpus, bool big,
			     size_t buf)
{
	struct stream_writer *sw = stream_writer_new(fd);
	struct guest g;
	uint8_t page[PAGE];

	ck_assert_ptr_nonnull(sw);
	ck_assert_int_eq(stream_writer_set_buffer(sw, buf), 0);
	make_guest(&g, big);
	ck_assert_int_eq(stream_write_preamble(sw), 0);
	ck_assert_int_eq(write_header(sw, vcpus, NULL), 0);
	ck_assert_int_eq(stream_write_progress(sw, 1, 100, 200, 300), 0);
	if (big) {
		/* A migration pass: a later record for a page counts. */
		fill_random(page, 99);
		ck_assert_int_eq(stream_write_ram(sw, R0_GPA + PAGE, 1, page,
						  STREAM_ENC_RAW), 0);
	}
	ck_assert_int_eq(stream_write_ram_run(sw, R0_GPA, g.r0, sizeof(g.r0),
					      STREAM_ENC_LZ4), 0);
	ck_assert_int_eq(stream_write_ram_run(sw, R1_GPA, g.r1, sizeof(g.r1),
					      STREAM_ENC_ZSTD), 0);
	ck_assert_int_eq(write_vm(sw), 0);
	for (uint32_t i = 0; i < vcpus; i++)
		ck_assert_int_eq(write_vcpu(sw, i, STREAM_LAPIC_SIZE), 0);
	ck_assert_int_eq(stream_write_device(sw, "com1", 1, dev_com1,
					     strlen(dev_com1)), 0);
	ck_assert_int_eq(stream_write_device(sw, "virtio-blk0", 2, dev_blk,
					     strlen(dev_blk)), 0);
	/* A buffer bigger than what came so far: none of it is out yet. */
	if (buf > stream_writer_offset(sw))
		ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
	ck_assert_int_eq(stream_write_end(sw), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), stream_writer_offset(sw));
	stream_writer_free(sw);
}

static void write_stream(int fd, unsigned int vcpus, bool big)
{
	write_stream_buf(fd, vcpus, big, 0);
}

/* The bytes of a good stream, malloc'd. */
static uint8_t *stream_bytes(unsigned int vcpus, bool big, size_t *len)
{
	int fd = memfd();
	off_t end;
	uint8_t *buf;

	write_stream(fd, vcpus, big);
	end = lseek(fd, 0, SEEK_END);
	ck_assert_int_gt(end, 0);
	buf = malloc((size_t)end);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, (size_t)end, 0), end);
	close(fd);
	*len = (size_t)end;
	return buf;
}

/*
 * A buffered writer writes the same bytes as an unbuffered one, in
 * fewer writes: buffers smaller and larger than the records, and one
 * larger than the whole stream (out at END, all at once).
 */
START_TEST(test_write_buffer)
{
	static const size_t sizes[] = { 4096, 64 * 1024, STREAM_WRITE_BUF_MAX };
	struct stream_writer *sw;
	size_t len;
	uint8_t *want = stream_bytes(2, true, &len);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int fd = memfd();
		off_t end;
		uint8_t *got;

		write_stream_buf(fd, 2, true, sizes[i]);
		end = lseek(fd, 0, SEEK_END);
		ck_assert_int_eq(end, (off_t)len);
		got = malloc(len);
		ck_assert_ptr_nonnull(got);
		ck_assert_int_eq(pread(fd, got, len, 0), (ssize_t)len);
		ck_assert_msg(!memcmp(got, want, len),
			      "a %zu-byte buffer changed the stream", sizes[i]);
		free(got);
		close(fd);
	}
	free(want);
	sw = stream_writer_new(-1);
	ck_assert_ptr_nonnull(sw);
	ck_assert_int_eq(stream_writer_set_buffer(sw, STREAM_WRITE_BUF_MAX + 1),
			 -EINVAL);
	/* What is held is written at the flush; a bad fd says so there. */
	ck_assert_int_eq(stream_writer_set_buffer(sw, 4096), 0);
	ck_assert_int_eq(stream_write_preamble(sw), 0);
	ck_assert_int_eq(stream_writer_flush(sw), -EBADF);
	ck_assert_int_eq(stream_write_preamble(sw), -EBADF);
	stream_writer_free(sw);
}
END_TEST

/* Read @fd from its start with the test's callbacks into @s. */
static int read_fd(int fd, struct seen *s, char *err)
{
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return stream_read(fd, &ops, s, err, STREAM_ERR_SIZE);
}

/* Read @len bytes at @buf through @fd (a memfd reused for speed). */
static int read_bytes(int fd, const uint8_t *buf, size_t len, struct seen *s,
		      char *err)
{
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(pwrite(fd, buf, len, 0), (ssize_t)len);
	return read_fd(fd, s, err);
}

/* Refuse @fd's stream with a message holding @words. */
static void refused_fd(int fd, const char *words)
{
	char err[STREAM_ERR_SIZE];
	struct seen s = { 0 };
	int rc = read_fd(fd, &s, err);

	ck_assert_msg(rc < 0, "accepted; wanted \"%s\"", words);
	ck_assert_msg(strstr(err, words), "got \"%s\", want \"%s\"", err,
		      words);
	ck_assert_int_eq(s.end, 0);
}

/* Recompute a stream's END checksum after editing its bytes. */
static void reseal(uint8_t *buf, size_t len)
{
	le_put64(buf + len - 8, XXH3_64bits(buf, len - 24));
}

START_TEST(test_round_trip)
{
	struct guest want;
	struct seen s = { 0 };
	char err[STREAM_ERR_SIZE];
	int fd = memfd();

	write_stream(fd, 2, true);
	ck_assert_msg(read_fd(fd, &s, err) == 0, "%s", err);
	make_guest(&want, true);
	ck_assert(!memcmp(&s.mem, &want, sizeof(want)));
	ck_assert_int_eq(s.vcpus, 2);
	ck_assert_int_eq(s.n_ram, 2);
	ck_assert_int_eq(s.xsave_size, XSAVE_SIZE);
	ck_assert_str_eq(s.config_name, "web");
	/* Zero runs: pages 0, 3-5 and 7-15 of the first range. */
	ck_assert_int_eq(s.n_zero, 3);
	ck_assert_int_eq(s.vm, 1);
	ck_assert_uint_eq(s.pit_flags, 0xa5);
	ck_assert_int_eq(s.n_vcpu, 2);
	ck_assert_uint_eq(s.vcpu_index[1], 1);
	ck_assert_uint_eq(s.rip[0], 0xfff0);
	ck_assert_uint_eq(s.rip[1], 0xfff1);
	ck_assert_uint_eq(s.n_msrs[1], 2);
	ck_assert_int_eq(s.n_device, 2);
	ck_assert_str_eq(s.device_id[1], "virtio-blk0");
	ck_assert_uint_eq(s.device_version[1], 2);
	ck_assert_int_eq(s.device_member[0], 1);
	ck_assert_int_eq(s.device_member[1], 2);
	ck_assert_int_eq(s.n_progress, 1);
	ck_assert_uint_eq(s.progress.dirty_rate, 300);
	ck_assert_int_eq(s.end, 1);
	close(fd);
}
END_TEST

/* Each encoding on its own, read back into memory that was not zero. */
START_TEST(test_encodings)
{
	static const enum stream_enc encs[] = {
		STREAM_ENC_ZERO, STREAM_ENC_RAW, STREAM_ENC_LZ4,
		STREAM_ENC_ZSTD,
	};
	enum stream_enc enc = encs[_i];
	struct stream_ops o = ops;
	struct stream_writer *sw;
	uint8_t pages[R1_PAGES * PAGE] = { 0 };
	char err[STREAM_ERR_SIZE];
	struct seen s;
	uint8_t h[STREAM_RECORD_HEADER_SIZE + STREAM_RAM_FIXED];
	int fd = memfd();

	if (enc != STREAM_ENC_ZERO)
		for (int i = 0; i < R1_PAGES; i++)
			fill_pattern(pages + i * PAGE, 20 + i);
	sw = stream_writer_new(fd);
	ck_assert_int_eq(stream_write_preamble(sw), 0);
	ck_assert_int_eq(write_header(sw, 1, NULL), 0);
	ck_assert_int_eq(stream_write_ram(sw, R1_GPA, R1_PAGES, pages, enc), 0);
	ck_assert_int_eq(write_vm(sw), 0);
	ck_assert_int_eq(write_vcpu(sw, 0, STREAM_LAPIC_SIZE), 0);
	ck_assert_int_eq(stream_write_end(sw), 0);
	stream_writer_free(sw);

	/* The record says the encoding asked for: nothing fell back. */
	ck_assert_int_eq(pread(fd, h, sizeof(h), 16 + 16 + 8 *
			       ((strlen(header_json) + 7) / 8)), sizeof(h));
	ck_assert_uint_eq(le_get32(h), STREAM_RAM);
	ck_assert_uint_eq(le_get16(h + 16 + 12), enc);

	/* No ram_zero: the reader clears what ram_map gives. */
	o.ram_zero = NULL;
	memset(&s, 0, sizeof(s));
	memset(s.mem.r1, 0xee, sizeof(s.mem.r1));
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_msg(stream_read(fd, &o, &s, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert(!memcmp(s.mem.r1, pages, sizeof(pages)));

	/* No ram_map at all: checked, decoded and dropped. */
	o.ram_map = NULL;
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_msg(stream_read(fd, &o, &s, err, sizeof(err)) == 0, "%s",
		      err);
	close(fd);
}
END_TEST

/*
 * A writer and a reader on the two ends of a pipe, more than it holds;
 * what follows END (a migration's next words) is left in the pipe.
 */
START_TEST(test_pipe)
{
	enum { PAGES = 512 };
	uint8_t *mem = calloc(PAGES, PAGE), *got = calloc(PAGES, PAGE);
	struct stream_ops o = { 0 };
	char err[STREAM_ERR_SIZE], after[16] = "";
	int p[2], status;
	pid_t pid;

	ck_assert_ptr_nonnull(mem);
	ck_assert_ptr_nonnull(got);
	for (int i = 0; i < PAGES; i += 3)
		fill_random(mem + (size_t)i * PAGE, (uint32_t)i);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		struct stream_writer *sw = stream_writer_new(p[1]);
		char hdr[] = "{\"vcpus\": 1, \"ram\": [{\"gpa\": 0, \"size\": 2097152}], \"config\": {}, \"host\": {\"xsave_size\": 576}}";
		int rc;

		close(p[0]);
		rc = stream_write_preamble(sw);
		rc = rc ?: stream_write_header(sw, hdr, strlen(hdr));
		rc = rc ?: stream_write_ram_run(sw, 0, mem,
						(uint64_t)PAGES * PAGE,
						STREAM_ENC_RAW);
		rc = rc ?: write_vm(sw);
		rc = rc ?: write_vcpu(sw, 0, STREAM_LAPIC_SIZE);
		rc = rc ?: stream_write_end(sw);
		if (!rc && write(p[1], "AFTER", 5) != 5)
			rc = -EIO;
		stream_writer_free(sw);
		_exit(rc ? 1 : 0);
	}
	close(p[1]);
	o.ram_map = NULL;
	ck_assert_msg(stream_read(p[0], &o, NULL, err, sizeof(err)) == 0, "%s",
		      err);
	ck_assert_int_eq(read(p[0], after, sizeof(after)), 5);
	ck_assert_str_eq(after, "AFTER");
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(mem);
	free(got);
}
END_TEST

START_TEST(test_truncated)
{
	char err[STREAM_ERR_SIZE];
	size_t len;
	uint8_t *buf = stream_bytes(1, true, &len);
	int fd = memfd();

	for (size_t cut = 0; cut < len; cut++) {
		struct seen s = { 0 };

		ck_assert_msg(read_bytes(fd, buf, cut, &s, err) == -EINVAL,
			      "cut at %zu: accepted", cut);
		ck_assert_msg(strstr(err, "the stream ends"),
			      "cut at %zu: \"%s\"", cut, err);
		ck_assert_int_eq(s.end, 0);
	}
	/* A cut at a record boundary says END is missing. */
	{
		struct seen s = { 0 };

		char want[STREAM_ERR_SIZE];

		read_bytes(fd, buf, len - 24, &s, err);
		snprintf(want, sizeof(want),
			 "Record at offset %zu: the stream ends here, before its END record.",
			 len - 24);
		ck_assert_str_eq(err, want);
	}
	close(fd);
	free(buf);
}
END_TEST

START_TEST(test_bit_flips)
{
	char err[STREAM_ERR_SIZE];
	size_t len;
	uint8_t *buf = stream_bytes(1, true, &len);
	int fd = memfd();
	unsigned long checksum = 0;

	for (size_t bit = 0; bit < len * 8; bit++) {
		struct seen s = { 0 };
		int rc;

		buf[bit / 8] ^= (uint8_t)(1u << bit % 8);
		rc = read_bytes(fd, buf, len, &s, err);
		buf[bit / 8] ^= (uint8_t)(1u << bit % 8);
		ck_assert_msg(rc < 0, "bit %zu flipped: accepted", bit);
		ck_assert_msg(strstr(err, " at offset "),
			      "bit %zu: \"%s\"", bit, err);
		ck_assert_int_eq(s.end, 0);
		checksum += strstr(err, "the checksum is") != NULL;
	}
	/* The RAM data, JSON text and fields only the checksum guards. */
	ck_assert_uint_gt(checksum, 0);
	close(fd);
	free(buf);
}
END_TEST

START_TEST(test_versions)
{
	size_t len;
	uint8_t *buf = stream_bytes(1, false, &len);
	char err[STREAM_ERR_SIZE];
	struct seen s = { 0 };
	int fd = memfd();

	/* A higher minor is read. */
	le_put16(buf + 10, 7);
	reseal(buf, len);
	ck_assert_msg(read_bytes(fd, buf, len, &s, err) == 0, "%s", err);
	le_put16(buf + 10, 0);

	le_put16(buf + 8, 3);
	reseal(buf, len);
	read_bytes(fd, buf, len, &s, err);
	ck_assert_str_eq(err, "Preamble at offset 0: format 3.x; this keel reads 1.x.");
	le_put16(buf + 8, 0);
	reseal(buf, len);
	read_bytes(fd, buf, len, &s, err);
	ck_assert_str_eq(err, "Preamble at offset 0: format 0.x; this keel reads 1.x.");
	le_put16(buf + 8, 1);

	buf[3] = 'X';
	reseal(buf, len);
	read_bytes(fd, buf, len, &s, err);
	ck_assert_str_eq(err, "Preamble at offset 0: not a keel domain stream.");
	buf[3] = 'L';

	buf[12] = 1;
	reseal(buf, len);
	read_bytes(fd, buf, len, &s, err);
	ck_assert_str_eq(err, "Preamble at offset 0: its reserved bytes are not zero.");
	close(fd);
	free(buf);
}
END_TEST

/*
 * A stream up to its VM record: preamble, header with @vcpus. The
 * header's JSON is 166 bytes, so the next record is at offset 200.
 */
static struct stream_writer *start(int fd, unsigned int vcpus)
{
	struct stream_writer *sw = stream_writer_new(fd);

	ck_assert_ptr_nonnull(sw);
	ck_assert_int_eq(stream_write_preamble(sw), 0);
	ck_assert_int_eq(write_header(sw, vcpus, NULL), 0);
	return sw;
}

/* A record header claiming @len bytes, with nothing after it. */
static void claim(struct stream_writer *sw, int fd, uint32_t type,
		  uint32_t flags, uint64_t len)
{
	uint8_t h[STREAM_RECORD_HEADER_SIZE];

	le_put32(h, type);
	le_put32(h + 4, flags);
	le_put64(h + 8, len);
	ck_assert_int_eq(write(fd, h, sizeof(h)), sizeof(h));
}

START_TEST(test_huge)
{
	static const struct {
		uint32_t type;
		uint64_t len;
		const char *words;
	} cases[] = {
		{ STREAM_RAM, UINT64_MAX, "RAM record at offset 200: it claims 18446744073709551615 bytes, more than the 67108896 it may have." },
		{ STREAM_RAM, 64ull << 20 | 33, "more than the 67108896" },
		{ STREAM_HEADER, (1 << 20) + 1, "HEADER record at offset 200: it claims" },
		{ STREAM_VM, 65537, "VM record at offset 200: it claims 65537 bytes, more than the 65536" },
		{ STREAM_VCPU, (1 << 20) + 1, "more than the 1048576" },
		{ STREAM_DEVICE, (16 << 20) + 1, "more than the 16777216" },
		{ STREAM_PROGRESS, 4097, "more than the 4096" },
		{ STREAM_END, 9, "more than the 8" },
		{ 1000, 1ull << 40, "Record of type 1000 at offset 200: it claims 1099511627776 bytes, more than the 67108896 an optional record may have." },
	};
	struct stream_writer *sw;
	int fd = memfd();

	sw = start(fd, 1);
	ck_assert_uint_eq(stream_writer_offset(sw), 200);
	claim(sw, fd, cases[_i].type,
	      cases[_i].type == STREAM_PROGRESS || cases[_i].type == 1000 ?
		      STREAM_FLAG_OPTIONAL : 0,
	      cases[_i].len);
	refused_fd(fd, cases[_i].words);
	stream_writer_free(sw);
	close(fd);
}
END_TEST

START_TEST(test_order)
{
	struct stream_writer *sw;
	uint8_t page[PAGE];
	int fd;

	fill_pattern(page, 1);

	/* Not starting with HEADER. */
	fd = memfd();
	sw = stream_writer_new(fd);
	stream_write_preamble(sw);
	stream_write_ram(sw, 0, 1, page, STREAM_ENC_RAW);
	refused_fd(fd, "RAM record at offset 16: the stream must start with a HEADER record.");
	stream_writer_free(sw);
	close(fd);

	/* Two HEADERs. */
	fd = memfd();
	sw = start(fd, 1);
	write_header(sw, 1, NULL);
	refused_fd(fd, "HEADER record at offset 200: a stream has one HEADER record, at its start.");
	stream_writer_free(sw);
	close(fd);

	/* RAM after VM, VCPU before VM, a second VM. */
	fd = memfd();
	sw = start(fd, 1);
	write_vm(sw);
	stream_write_ram(sw, 0, 1, page, STREAM_ENC_RAW);
	refused_fd(fd, "RAM record at offset 608: RAM records must come before the VM record.");
	stream_writer_free(sw);
	close(fd);

	fd = memfd();
	sw = start(fd, 1);
	write_vcpu(sw, 0, STREAM_LAPIC_SIZE);
	refused_fd(fd, "VCPU record at offset 200: VCPU records must come after the VM record.");
	stream_writer_free(sw);
	close(fd);

	fd = memfd();
	sw = start(fd, 1);
	write_vm(sw);
	write_vm(sw);
	refused_fd(fd, "a stream has one VM record.");
	stream_writer_free(sw);
	close(fd);

	/* vCPUs out of order, too few, too many. */
	fd = memfd();
	sw = start(fd, 2);
	write_vm(sw);
	write_vcpu(sw, 1, STREAM_LAPIC_SIZE);
	refused_fd(fd, "it is for vCPU 1, vCPU 0 expected next.");
	stream_writer_free(sw);
	close(fd);

	fd = memfd();
	sw = start(fd, 2);
	write_vm(sw);
	write_vcpu(sw, 0, STREAM_LAPIC_SIZE);
	stream_write_device(sw, "com1", 1, dev_com1, strlen(dev_com1));
	refused_fd(fd, "DEVICE record at offset 2984: only 1 of the header's 2 vCPUs came before it.");
	stream_writer_free(sw);
	close(fd);

	fd = memfd();
	sw = start(fd, 1);
	write_vm(sw);
	write_vcpu(sw, 0, STREAM_LAPIC_SIZE);
	write_vcpu(sw, 1, STREAM_LAPIC_SIZE);
	refused_fd(fd, "the header names 1 vCPUs, and they all came before.");
	stream_writer_free(sw);
	close(fd);

	/* END without VM; a VCPU after a DEVICE. */
	fd = memfd();
	sw = start(fd, 1);
	stream_write_end(sw);
	refused_fd(fd, "END record at offset 200: the VM record must come before it.");
	stream_writer_free(sw);
	close(fd);

	fd = memfd();
	sw = start(fd, 0 + 1);
	write_vm(sw);
	write_vcpu(sw, 0, STREAM_LAPIC_SIZE);
	stream_write_device(sw, "com1", 1, dev_com1, strlen(dev_com1));
	write_vcpu(sw, 1, STREAM_LAPIC_SIZE);
	refused_fd(fd, "the header names 1 vCPUs, and they all came before.");
	stream_writer_free(sw);
	close(fd);
}
END_TEST

START_TEST(test_unknown_types)
{
	char err[STREAM_ERR_SIZE];
	struct seen s = { 0 };
	struct stream_writer *sw;
	int fd;

	/* An optional record of a type from a later minor is skipped. */
	fd = memfd();
	sw = start(fd, 1);
	ck_assert_int_eq(stream_write_record(sw, 99, STREAM_FLAG_OPTIONAL,
					     "later", 5), 0);
	write_vm(sw);
	write_vcpu(sw, 0, STREAM_LAPIC_SIZE);
	ck_assert_int_eq(stream_write_record(sw, 100, STREAM_FLAG_OPTIONAL,
					     NULL, 0), 0);
	stream_write_end(sw);
	ck_assert_msg(read_fd(fd, &s, err) == 0, "%s", err);
	stream_writer_free(sw);
	close(fd);

	/* A mandatory one is refused, by type and offset. */
	fd = memfd();
	sw = start(fd, 1);
	stream_write_record(sw, 99, 0, "later", 5);
	refused_fd(fd, "Record of type 99 at offset 200: the type is unknown and not marked optional, so this keel cannot read the stream.");
	stream_writer_free(sw);
	close(fd);

	/* Flags: only bit 0, and only where the type has it. */
	fd = memfd();
	sw = start(fd, 1);
	stream_write_record(sw, STREAM_VM, 4, NULL, 0);
	refused_fd(fd, "VM record at offset 200: its flags 0x4 set bits other than bit 0 (optional).");
	stream_writer_free(sw);
	close(fd);

	fd = memfd();
	sw = start(fd, 1);
	stream_write_record(sw, STREAM_VM, STREAM_FLAG_OPTIONAL, NULL, 0);
	refused_fd(fd, "VM record at offset 200: its flags are 0x1, 0x0 expected.");
	stream_writer_free(sw);
	close(fd);
}
END_TEST

/* A RAM record with these fields and @data, after a good header. */
static void ram_refused(uint64_t gpa, uint32_t npages, uint16_t enc,
			const void *data, uint64_t dlen, const char *words)
{
	uint8_t body[STREAM_RAM_FIXED + 2 * PAGE];
	struct stream_writer *sw;
	int fd = memfd();

	ck_assert_uint_le(dlen, 2 * PAGE);
	le_put64(body, gpa);
	le_put32(body + 8, npages);
	le_put16(body + 12, enc);
	le_put16(body + 14, 0);
	le_put64(body + 16, dlen);
	if (dlen)
		memcpy(body + STREAM_RAM_FIXED, data, dlen);
	sw = start(fd, 1);
	stream_write_record(sw, STREAM_RAM, 0, body, STREAM_RAM_FIXED + dlen);
	refused_fd(fd, words);
	stream_writer_free(sw);
	close(fd);
}

START_TEST(test_ram)
{
	uint8_t page[2 * PAGE];

	fill_pattern(page, 1);
	fill_pattern(page + PAGE, 2);
	ram_refused(R0_GPA + R0_PAGES * PAGE, 1, STREAM_ENC_RAW, page, PAGE,
		    "RAM record at offset 200: its pages 0x10000 to 0x10fff are outside the header's ram ranges.");
	/* Starts inside the first range, ends past it. */
	ram_refused(R0_GPA + (R0_PAGES - 1) * PAGE, 2, STREAM_ENC_RAW, page,
		    2 * PAGE, "are outside the header's ram ranges.");
	ram_refused(UINT64_MAX - PAGE + 1, 1, STREAM_ENC_RAW, page, PAGE,
		    "are outside the header's ram ranges.");
	ram_refused(100, 1, STREAM_ENC_RAW, page, PAGE,
		    "its address 0x64 is not 4 KiB aligned.");
	ram_refused(0, 0, STREAM_ENC_ZERO, NULL, 0,
		    "it has 0 pages, 1 to 16384 expected.");
	ram_refused(0, 16385, STREAM_ENC_ZERO, NULL, 0,
		    "it has 16385 pages, 1 to 16384 expected.");
	ram_refused(0, 1, 4, page, PAGE,
		    "its encoding 4 is not 0 (zero), 1 (raw), 2 (lz4) or 3 (zstd).");
	ram_refused(0, 2, STREAM_ENC_RAW, page, PAGE,
		    "its raw data is 4096 bytes, 8192 expected for 2 pages.");
	ram_refused(0, 1, STREAM_ENC_ZERO, page, 8,
		    "a run of zero pages carries 8 bytes of data.");
	ram_refused(0, 1, STREAM_ENC_LZ4, NULL, 0,
		    "its compressed data is empty.");
	ram_refused(0, 1, STREAM_ENC_LZ4, page, 100,
		    "its lz4 data does not decompress to exactly 4096 bytes.");
	ram_refused(0, 1, STREAM_ENC_ZSTD, page, 100,
		    "its zstd data does not decompress to exactly 4096 bytes");
}
END_TEST

/* Compressed data of the wrong size: one page short and one over. */
START_TEST(test_ram_decoded_length)
{
	static const enum stream_enc encs[] = { STREAM_ENC_LZ4,
						STREAM_ENC_ZSTD };
	char err[STREAM_ERR_SIZE];
	uint8_t pages[2 * PAGE];
	struct seen s;
	int fd = memfd();
	size_t len;
	uint8_t *buf;
	struct stream_writer *sw;

	fill_pattern(pages, 1);
	fill_pattern(pages + PAGE, 2);
	for (int over = 0; over < 2; over++) {
		/* Write 2 pages (or 1), then claim 1 page (or 2). */
		sw = start(fd, 1);
		ck_assert_int_eq(stream_write_ram(sw, 0, over ? 2 : 1, pages,
						  encs[_i]), 0);
		write_vm(sw);
		write_vcpu(sw, 0, STREAM_LAPIC_SIZE);
		stream_write_end(sw);
		stream_writer_free(sw);
		len = (size_t)lseek(fd, 0, SEEK_END);
		buf = malloc(len);
		ck_assert_int_eq(pread(fd, buf, len, 0), (ssize_t)len);
		le_put32(buf + 200 + 16 + 8, over ? 1 : 2);
		reseal(buf, len);
		memset(&s, 0, sizeof(s));
		ck_assert_int_eq(read_bytes(fd, buf, len, &s, err), -EINVAL);
		ck_assert_msg(strstr(err, "does not decompress to exactly"),
			      "%s", err);
		free(buf);
		ck_assert_int_eq(ftruncate(fd, 0), 0);
		ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	}
	close(fd);
}
END_TEST

START_TEST(test_sub_records)
{
	char want[STREAM_ERR_SIZE];
	struct stream_writer *sw;
	uint64_t at;
	int fd;

	/* docs/stream.md's own example. */
	fd = memfd();
	sw = start(fd, 1);
	write_vm(sw);
	at = stream_writer_offset(sw);
	write_vcpu(sw, 0, 1000);
	snprintf(want, sizeof(want),
		 "VCPU record at offset %llu: LAPIC is 1000 bytes, 1024 expected.",
		 (unsigned long long)at);
	refused_fd(fd, want);
	stream_writer_free(sw);
	close(fd);

	/* A VM record missing a tag, one with a tag twice, an unknown tag. */
	fd = memfd();
	sw = start(fd, 1);
	stream_vm_begin(sw);
	stream_tlv_begin(sw, STREAM_VM_CLOCK);
	put_filler(sw, STREAM_CLOCK_SIZE, 0);
	stream_tlv_end(sw);
	stream_rec_end(sw);
	refused_fd(fd, "VM record at offset 200: it has no PIC master.");
	stream_writer_free(sw);
	close(fd);

	fd = memfd();
	sw = start(fd, 1);
	stream_vm_begin(sw);
	for (int i = 0; i < 2; i++) {
		stream_tlv_begin(sw, STREAM_VM_CLOCK);
		put_filler(sw, STREAM_CLOCK_SIZE, 0);
		stream_tlv_end(sw);
	}
	stream_rec_end(sw);
	refused_fd(fd, "VM record at offset 200: CLOCK comes twice.");
	stream_writer_free(sw);
	close(fd);

	fd = memfd();
	sw = start(fd, 1);
	stream_vm_begin(sw);
	stream_tlv_begin(sw, 9);
	stream_tlv_end(sw);
	stream_rec_end(sw);
	refused_fd(fd, "VM record at offset 200: sub-record tag 9 at byte 0 is unknown.");
	stream_writer_free(sw);
	close(fd);

	/* A sub-record longer than its record; a count that lies. */
	fd = memfd();
	sw = start(fd, 1);
	stream_vm_begin(sw);
	stream_put_u16(sw, STREAM_VM_CLOCK);
	stream_put_u16(sw, 0);
	stream_put_u32(sw, 0xffffffff);
	stream_rec_end(sw);
	refused_fd(fd, "CLOCK claims 4294967295 bytes, only 0 are left.");
	stream_writer_free(sw);
	close(fd);

	fd = memfd();
	sw = start(fd, 1);
	write_vm(sw);
	stream_vcpu_begin(sw, 0);
	stream_tlv_begin(sw, STREAM_VCPU_MSRS);
	stream_put_u32(sw, 0xffffffff);
	stream_put_u32(sw, 0);
	stream_tlv_end(sw);
	stream_rec_end(sw);
	refused_fd(fd, "MSRS is 8 bytes, 68719476728 expected.");
	stream_writer_free(sw);
	close(fd);
}
END_TEST

START_TEST(test_header)
{
	static const struct {
		const char *json;
		const char *words;
	} cases[] = {
		{ "", "its JSON is not valid JSON at byte 0" },
		{ "[]", "its JSON is not a JSON object." },
		{ "{\"vcpus\": 1, \"vcpus\": 2}", "a member twice" },
		{ "{\"ram\": [{\"gpa\": 0, \"size\": 4096}], \"config\": {}}", "its \"vcpus\" is missing or not an integer from 1 to 64." },
		{ "{\"vcpus\": 65, \"ram\": [], \"config\": {}}", "its \"vcpus\" is missing" },
		{ "{\"vcpus\": 1, \"config\": {}}", "its \"ram\" is missing or not an array." },
		{ "{\"vcpus\": 1, \"ram\": [], \"config\": {}}", "its \"ram\" lists 0 ranges, 1 to 64 expected." },
		{ "{\"vcpus\": 1, \"ram\": [{\"gpa\": 0, \"size\": 0}], \"config\": {}}", "ram range 0 is not an object with a \"gpa\" and a positive \"size\"." },
		{ "{\"vcpus\": 1, \"ram\": [{\"gpa\": 1, \"size\": 4096}], \"config\": {}}", "ram range 0 (gpa 1, size 4096) is not 4 KiB aligned" },
		{ "{\"vcpus\": 1, \"ram\": [{\"gpa\": 9223372036854771712, \"size\": 8192}], \"config\": {}}", "ends past 2^63" },
		{ "{\"vcpus\": 1, \"ram\": [{\"gpa\": 0, \"size\": 8192}, {\"gpa\": 4096, \"size\": 4096}], \"config\": {}}", "ram ranges 0 and 1 overlap." },
		{ "{\"vcpus\": 1, \"ram\": [{\"gpa\": 0, \"size\": 2199023255552}], \"config\": {}}", "more than keel's limit of 1048576 MiB." },
		{ "{\"vcpus\": 1, \"ram\": [{\"gpa\": 0, \"size\": 4096}]}", "its \"config\" is missing or not an object." },
		{ "{\"vcpus\": 1, \"ram\": [{\"gpa\": 0, \"size\": 4096}], \"config\": {}, \"host\": {\"xsave_size\": -1}}", "its host.xsave_size is not an integer from 0 to 65536." },
		{ "{\"vcpus\": 1, \"ram\": [{\"gpa\": 0, \"size\": 4096}], \"config\": {}} x", "its JSON is not valid JSON" },
	};
	struct stream_writer *sw;
	int fd = memfd();

	sw = stream_writer_new(fd);
	stream_write_preamble(sw);
	stream_write_header(sw, cases[_i].json, strlen(cases[_i].json));
	refused_fd(fd, cases[_i].words);
	stream_writer_free(sw);
	close(fd);
}
END_TEST

START_TEST(test_device)
{
	struct stream_writer *sw;
	struct seen s = { 0 };
	char err[STREAM_ERR_SIZE];
	int fd;

	fd = memfd();
	sw = start(fd, 1);
	write_vm(sw);
	write_vcpu(sw, 0, STREAM_LAPIC_SIZE);
	stream_write_device(sw, "com\n1", 1, dev_com1, strlen(dev_com1));
	refused_fd(fd, "its device id holds a byte other than letters, digits");
	stream_writer_free(sw);
	close(fd);

	fd = memfd();
	sw = start(fd, 1);
	write_vm(sw);
	write_vcpu(sw, 0, STREAM_LAPIC_SIZE);
	stream_write_device(sw, "com1", 1, "{\"a\": NaN}", 10);
	refused_fd(fd, "its device state is not valid JSON at byte 6");
	stream_writer_free(sw);
	close(fd);

	/* A callback's refusal names the record as the reader's own. */
	fd = memfd();
	write_stream(fd, 1, false);
	s.refuse_device = "virtio-blk0";
	ck_assert_int_eq(read_fd(fd, &s, err), -EINVAL);
	ck_assert_msg(strstr(err, "DEVICE record at offset ") &&
			      strstr(err, ": this keel-hv has no device virtio-blk0."),
		      "%s", err);
	close(fd);
}
END_TEST

/* A field that is not all there reads as 0, and so does every later one. */
START_TEST(test_cursor)
{
	static const uint8_t b[] = { 1, 2, 3, 4, 5 };
	struct stream_cur c = stream_cur_init(b, sizeof(b));
	uint8_t out[2] = { 9, 9 };

	ck_assert_uint_eq(stream_get_u16(&c), 0x0201);
	ck_assert_uint_eq(stream_get_u8(&c), 3);
	ck_assert_uint_eq(stream_get_u32(&c), 0);
	ck_assert_uint_eq(stream_get_u8(&c), 0);
	stream_get_bytes(&c, out, sizeof(out));
	ck_assert(!out[0] && !out[1]);
	c = stream_cur_init(b, sizeof(b));
	stream_get_bytes(&c, NULL, 4);
	ck_assert_uint_eq(stream_get_u8(&c), 5);
	ck_assert_uint_eq(stream_get_u64(&c), 0);
}
END_TEST

START_TEST(test_writer_errors)
{
	struct stream_writer *sw;
	uint8_t page[PAGE] = { 0 };
	int fd, p[2];

	/* A full disk: the error comes back and stays. */
	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	sw = stream_writer_new(fd);
	ck_assert_int_eq(stream_write_preamble(sw), -ENOSPC);
	ck_assert_int_eq(stream_write_end(sw), -ENOSPC);
	stream_writer_free(sw);
	close(fd);

	/* A peer that hung up. */
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	sw = stream_writer_new(p[1]);
	ck_assert_int_eq(stream_write_preamble(sw), -EPIPE);
	stream_writer_free(sw);
	close(p[1]);

	/* Arguments the format does not allow change nothing. */
	fd = memfd();
	sw = stream_writer_new(fd);
	ck_assert_int_eq(stream_write_ram(sw, 1, 1, page, STREAM_ENC_RAW),
			 -EINVAL);
	ck_assert_int_eq(stream_write_ram(sw, 0, 0, page, STREAM_ENC_RAW),
			 -EINVAL);
	ck_assert_int_eq(stream_write_ram(sw, 0, 16385, page, STREAM_ENC_ZERO),
			 -EINVAL);
	ck_assert_int_eq(stream_write_ram_run(sw, 0, page, 100, STREAM_ENC_RAW),
			 -EINVAL);
	ck_assert_int_eq(stream_write_device(sw, "", 1, "{}", 2), -EINVAL);
	ck_assert_int_eq(stream_write_record(sw, STREAM_END, 0, page, 9),
			 -E2BIG);
	/* A VM record past its 64 KiB. */
	ck_assert_int_eq(stream_vm_begin(sw), 0);
	stream_tlv_begin(sw, STREAM_VM_CLOCK);
	for (int i = 0; i < 17; i++)
		stream_put_bytes(sw, page, PAGE);
	stream_tlv_end(sw);
	ck_assert_int_eq(stream_rec_end(sw), -E2BIG);
	/* Puts outside a record; a record left with a sub-record open. */
	stream_put_u32(sw, 1);
	ck_assert_int_eq(stream_rec_end(sw), -EINVAL);
	ck_assert_int_eq(stream_vcpu_begin(sw, 0), 0);
	stream_tlv_begin(sw, STREAM_VCPU_REGS);
	ck_assert_int_eq(stream_rec_end(sw), -EINVAL);
	ck_assert_int_eq(lseek(fd, 0, SEEK_END), 0);
	ck_assert_uint_eq(stream_writer_offset(sw), 0);
	stream_writer_free(sw);
	close(fd);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("stream");
	TCase *tc = tcase_create("stream");

	/* Every bit of a 12 KiB stream: 12 s here, 80 s under ASan. */
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_write_buffer);
	tcase_add_loop_test(tc, test_encodings, 0, 4);
	tcase_add_test(tc, test_pipe);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_bit_flips);
	tcase_add_test(tc, test_versions);
	tcase_add_loop_test(tc, test_huge, 0, 9);
	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_unknown_types);
	tcase_add_test(tc, test_ram);
	tcase_add_loop_test(tc, test_ram_decoded_length, 0, 2);
	tcase_add_test(tc, test_sub_records);
	tcase_add_loop_test(tc, test_header, 0, 15);
	tcase_add_test(tc, test_device);
	tcase_add_test(tc, test_cursor);
	tcase_add_test(tc, test_writer_errors);
	suite_add_tcase(s, tc);
	return s;
}
