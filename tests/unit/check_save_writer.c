// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * daemon/save_writer.c, the child of keeld that writes a save's or a
 * core's file from keel-hv's FIFO, with this test in keel-hv's place:
 * a stream copied as it came; a core's records (hypervisor/dump_core.h)
 * put where they say, holes left as holes and the size set by the last
 * record; and the records keel-hv must never send, each an error with
 * the file left for keeld to remove: cut short, going on after the
 * last record, an offset past what a file can have, a length that ends
 * there.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "le.h"
#include "log.h"
#include "runner.h"
#include "save_writer.h"

static char dir[64], fifo[128], file[128];

struct outcome {
	bool done;
	int err;
};

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_save_writer.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/w.fifo", dir);
	snprintf(file, sizeof(file), "%s/out", dir);
	log_init("check_save_writer", false, LOG_LEVEL_ERR);
}

static void teardown(void)
{
	unlink(file);
	unlink(fifo);
	rmdir(dir);
}

static void ended(int err, void *opaque)
{
	struct outcome *o = opaque;

	o->done = true;
	o->err = err;
}

/* One record's head: @off and @len, little-endian. */
static size_t head(uint8_t *p, uint64_t off, uint64_t len)
{
	le_put64(p, off);
	le_put64(p + 8, len);
	return 16;
}

/*
 * Start a writer in @mode into a new file, write @len bytes of @in into
 * its FIFO as keel-hv would, close, and wait for it: its errno.
 */
static int run_writer(enum save_writer_mode mode, const uint8_t *in,
		      size_t len)
{
	struct event_base *base = event_base_new();
	struct outcome o = { 0 };
	struct save_writer *w = NULL;
	int fd, out;

	ck_assert_ptr_nonnull(base);
	out = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ck_assert_int_ge(out, 0);
	ck_assert_int_eq(save_writer_start(base, fifo, out, mode, ended, &o,
					   &w),
			 0);
	close(out);
	fd = open(fifo, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, in, len), (ssize_t)len);
	close(fd);
	/* keel-hv answered: the writer sees EOF, the FIFO's name goes. */
	save_writer_close(w);
	ck_assert_int_ne(access(fifo, F_OK), 0);
	while (!o.done)
		ck_assert_int_ge(event_base_loop(base, EVLOOP_ONCE), 0);
	save_writer_free(w);
	event_base_free(base);
	return o.err;
}

static void file_is(const uint8_t *want, size_t len)
{
	uint8_t got[1 << 16];
	int fd = open(file, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(len, sizeof(got));
	ck_assert_int_eq(read(fd, got, sizeof(got)), (ssize_t)len);
	close(fd);
	ck_assert_int_eq(memcmp(got, want, len), 0);
}

START_TEST(test_stream)
{
	static const uint8_t in[] = "a save's stream, byte for byte";

	ck_assert_int_eq(run_writer(SAVE_WRITER_STREAM, in, sizeof(in)), 0);
	file_is(in, sizeof(in));
}
END_TEST

/* Two runs of bytes with a hole between them and one after. */
START_TEST(test_records)
{
	uint8_t in[256], want[40000] = { 0 };
	size_t n = 0;
	struct stat st;

	n += head(in + n, 0, 5);
	memcpy(in + n, "\177ELF\2", 5);
	n += 5;
	n += head(in + n, 32768, 4);
	memcpy(in + n, "page", 4);
	n += 4;
	n += head(in + n, sizeof(want), 0);
	memcpy(want, "\177ELF\2", 5);
	memcpy(want + 32768, "page", 4);
	ck_assert_int_eq(run_writer(SAVE_WRITER_RECORDS, in, n), 0);
	file_is(want, sizeof(want));
	ck_assert_int_eq(stat(file, &st), 0);
	ck_assert_int_eq(st.st_size, (off_t)sizeof(want));
}
END_TEST

/* A stream that ends without its last record is no core. */
START_TEST(test_records_cut_short)
{
	uint8_t in[64];
	size_t n = head(in, 0, 8);

	memcpy(in + n, "abcd", 4);
	ck_assert_int_eq(run_writer(SAVE_WRITER_RECORDS, in, n + 4), EIO);
}
END_TEST

START_TEST(test_records_hostile)
{
	static const struct {
		uint64_t off, len;
		size_t extra; /* bytes after the last record */
		int err;
	} cases[] = {
		{ 0, 0, 0, 0 },			  /* an empty core: fine */
		{ 100, 0, 1, EIO },		  /* more after the end */
		{ 1ULL << 63, 0, 0, EFBIG },	  /* a size past off_t */
		{ INT64_MAX, 2, 0, EFBIG },	  /* a run ending past it */
		{ 0, 0, 0, EIO },		  /* no record at all */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t in[64] = { 0 };
		size_t n = 0;

		if (i < 4)
			n = head(in, cases[i].off, cases[i].len) +
			    cases[i].extra;
		ck_assert_msg(run_writer(SAVE_WRITER_RECORDS, in, n) ==
				      cases[i].err,
			      "case %zu", i);
		unlink(file);
	}
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("save_writer");
	TCase *tc = tcase_create("writer");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_stream);
	tcase_add_test(tc, test_records);
	tcase_add_test(tc, test_records_cut_short);
	tcase_add_test(tc, test_records_hostile);
	suite_add_tcase(s, tc);
	return s;
}
