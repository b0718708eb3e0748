// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Split virtqueues, device side (hypervisor/virtqueue.c). The test plays
 * the driver: it writes descriptor tables and rings into a fake guest RAM
 * and checks what vq_pop() makes of them, that vq_push() fills the used
 * ring, that notifications are suppressed as asked and that saved state
 * comes back. Then it plays a hostile driver and checks that every bad
 * ring, descriptor, chain and saved state ends in a negative errno. The
 * RAM sits between two PROT_NONE pages, so a stray access just past
 * either end crashes the test even without ASan. No /dev/kvm needed.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <linux/virtio_ring.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fake_vm.h"
#include "runner.h"
#include "virtqueue.h"
#include "vm.h"

#define RAM_SIZE (1ULL << 20)
#define MAX_SIZE 256
#define QSIZE 16
#define DESC_GPA 0x1000ULL
#define AVAIL_GPA 0x2000ULL
#define USED_GPA 0x3000ULL
#define TABLE_GPA 0x8000ULL /* indirect tables */
#define BUF_GPA 0x10000ULL /* buffers */

#define RD 0
#define WR VRING_DESC_F_WRITE
#define NX VRING_DESC_F_NEXT
#define IND VRING_DESC_F_INDIRECT

static struct vm *vm;
static uint8_t *map, *ram;
static size_t page;
static struct virtqueue vq;
static struct vq_chain ch;
static uint16_t avail_idx; /* the driver's copy of avail->idx */

/* What the driver writes before enabling the queue (again). */
static void set_rings(void)
{
	vq.size = QSIZE;
	vq.desc_gpa = DESC_GPA;
	vq.avail_gpa = AVAIL_GPA;
	vq.used_gpa = USED_GPA;
	avail_idx = 0;
}

static void setup(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	map = mmap(NULL, RAM_SIZE + 2 * page, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	ram = map + page;
	ck_assert_int_eq(mprotect(ram, RAM_SIZE, PROT_READ | PROT_WRITE), 0);

	vm = fake_vm_new();
	vm->ram_size = RAM_SIZE;
	vm->ram[0] = (struct mem_region){ .gpa = 0, .size = RAM_SIZE,
					  .hva = ram };
	vm->nr_ram = 1;

	vq_init(&vq, vm, MAX_SIZE);
	set_rings();
	memset(&ch, 0, sizeof(ch));
}

static void teardown(void)
{
	vq_chain_dispose(&ch);
	munmap(map, RAM_SIZE + 2 * page);
	fake_vm_free(vm);
}

static uint16_t get16(uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, ram + gpa, 2);
	return v;
}

static void put16(uint64_t gpa, uint16_t v)
{
	memcpy(ram + gpa, &v, 2);
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, ram + gpa, 4);
	return v;
}

/* Write descriptor @i of the table at @table. */
static void desc_at(uint64_t table, unsigned i, uint64_t addr, uint32_t len,
		    uint16_t flags, uint16_t next)
{
	uint8_t *p = ram + table + 16 * (size_t)i;

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	desc_at(DESC_GPA, i, addr, len, flags, next);
}

/* Make chain @head available and publish the new avail->idx. */
static void avail_add(uint16_t head)
{
	put16(AVAIL_GPA + 4 + 2 * (avail_idx % vq.size), head);
	put16(AVAIL_GPA + 2, ++avail_idx);
}

static void enable(bool event_idx, bool indirect)
{
	ck_assert_int_eq(vq_enable(&vq, event_idx, indirect), 0);
	ck_assert(vq.ready);
}

static uint16_t used_idx(void)
{
	return get16(USED_GPA + 2);
}

static uint16_t avail_event(void)
{
	return get16(USED_GPA + 4 + 8 * QSIZE);
}

/*
 * Offer @head as the next entry (rewriting the one a failed pop left
 * there) and expect vq_pop() to fail with @rc without consuming it.
 */
static void pop_fails(uint16_t head, int rc)
{
	uint16_t last = vq.last_avail;

	avail_idx = last;
	avail_add(head);
	ck_assert_int_eq(vq_pop(&vq, &ch), rc);
	ck_assert_uint_eq(vq.last_avail, last);
}

/* vq_pop() took chain @head with these parts. */
static void expect_chain(uint16_t head, unsigned nr_rd, unsigned nr_wr,
			 uint64_t rd_len, uint64_t wr_len)
{
	ck_assert_uint_eq(ch.head, head);
	ck_assert_uint_eq(ch.nr_rd, nr_rd);
	ck_assert_uint_eq(ch.nr_wr, nr_wr);
	ck_assert_uint_eq(ch.rd_len, rd_len);
	ck_assert_uint_eq(ch.wr_len, wr_len);
}

START_TEST(test_single)
{
	char buf[8] = { 0 };

	enable(false, false);
	ck_assert(!vq_has_avail(&vq));
	ck_assert_int_eq(vq_pop(&vq, &ch), 0);
	memcpy(ram + BUF_GPA, "hello", 6);
	desc(5, BUF_GPA, 100, RD, 0);
	avail_add(5);
	ck_assert(vq_has_avail(&vq));
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	expect_chain(5, 1, 0, 100, 0);
	ck_assert_ptr_eq(ch.iov[0].iov_base, ram + BUF_GPA);
	ck_assert_uint_eq(ch.iov[0].iov_len, 100);
	ck_assert_uint_eq(vq_chain_read(&ch, 0, buf, 6), 6);
	ck_assert_str_eq(buf, "hello");
	/* Nothing writable, and nothing past the end to read. */
	ck_assert_uint_eq(vq_chain_write(&ch, 0, "x", 1), 0);
	ck_assert_uint_eq(vq_chain_read(&ch, 98, buf, 8), 2);
	ck_assert(!vq_has_avail(&vq));
	ck_assert_int_eq(vq_pop(&vq, &ch), 0);
}
END_TEST

START_TEST(test_chain_rd_wr)
{
	uint8_t in[48], out[80], got[48];
	struct iovec sl[4];

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	for (unsigned i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(0x80 + i);
	memcpy(ram + BUF_GPA, in, 16);
	memcpy(ram + BUF_GPA + 0x100, in + 16, 32);
	/* 3 -> 7 -> 9 (empty) -> 1 -> 4: rd 16, rd 32, rd 0, wr 64, wr 10 */
	desc(3, BUF_GPA, 16, RD | NX, 7);
	desc(7, BUF_GPA + 0x100, 32, RD | NX, 9);
	desc(9, BUF_GPA + 0x400, 0, RD | NX, 1);
	desc(1, BUF_GPA + 0x200, 64, WR | NX, 4);
	desc(4, BUF_GPA + 0x300, 10, WR, 0);
	enable(false, false);
	avail_add(3);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	expect_chain(3, 2, 2, 48, 74);
	ck_assert_ptr_eq(ch.iov[2].iov_base, ram + BUF_GPA + 0x200);
	ck_assert_uint_eq(ch.iov[3].iov_len, 10);

	/* Reads and writes cross segment boundaries and stop at the end. */
	ck_assert_uint_eq(vq_chain_read(&ch, 10, got, 30), 30);
	ck_assert_mem_eq(got, in + 10, 30);
	ck_assert_uint_eq(vq_chain_read(&ch, 40, got, 48), 8);
	ck_assert_uint_eq(vq_chain_read(&ch, 48, got, 1), 0);
	ck_assert_uint_eq(vq_chain_write(&ch, 0, out, sizeof(out)), 74);
	ck_assert_mem_eq(ram + BUF_GPA + 0x200, out, 64);
	ck_assert_mem_eq(ram + BUF_GPA + 0x300, out + 64, 10);
	ck_assert_uint_eq(ram[BUF_GPA + 0x300 + 10], 0);

	/* Slices: within a part only, in at most @max entries. */
	ck_assert_int_eq(vq_chain_slice(&ch, true, 60, 10, sl, 4), 2);
	ck_assert_ptr_eq(sl[0].iov_base, ram + BUF_GPA + 0x200 + 60);
	ck_assert_uint_eq(sl[0].iov_len, 4);
	ck_assert_ptr_eq(sl[1].iov_base, ram + BUF_GPA + 0x300);
	ck_assert_uint_eq(sl[1].iov_len, 6);
	ck_assert_int_eq(vq_chain_slice(&ch, true, 60, 10, sl, 1), -EINVAL);
	ck_assert_int_eq(vq_chain_slice(&ch, false, 0, 48, sl, 4), 2);
	ck_assert_int_eq(vq_chain_slice(&ch, false, 0, 49, sl, 4), -EINVAL);
	ck_assert_int_eq(vq_chain_slice(&ch, true, 75, 0, sl, 4), -EINVAL);
	ck_assert_int_eq(vq_chain_slice(&ch, true, 1, UINT64_MAX, sl, 4),
			 -EINVAL);
	ck_assert_int_eq(vq_chain_slice(&ch, true, 74, 0, sl, 4), 0);
}
END_TEST

START_TEST(test_indirect)
{
	/* 2 -> 6 (indirect: t0 -> t2 -> t1) */
	desc(2, BUF_GPA, 8, RD | NX, 6);
	desc(6, TABLE_GPA, 3 * 16, IND, 0);
	desc_at(TABLE_GPA, 0, BUF_GPA + 0x100, 20, RD | NX, 2);
	desc_at(TABLE_GPA, 2, BUF_GPA + 0x200, 30, WR | NX, 1);
	desc_at(TABLE_GPA, 1, BUF_GPA + 0x300, 40, WR, 0);
	enable(false, true);
	avail_add(2);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	expect_chain(2, 2, 2, 28, 70);
	ck_assert_ptr_eq(ch.iov[1].iov_base, ram + BUF_GPA + 0x100);
	ck_assert_ptr_eq(ch.iov[2].iov_base, ram + BUF_GPA + 0x200);
	ck_assert_ptr_eq(ch.iov[3].iov_base, ram + BUF_GPA + 0x300);

	/* A table may be unaligned and as long as the queue. */
	for (unsigned i = 0; i < QSIZE; i++)
		desc_at(TABLE_GPA + 0x101, i, BUF_GPA, 1, WR | NX, i + 1);
	desc_at(TABLE_GPA + 0x101, QSIZE - 1, BUF_GPA, 1, WR, 0);
	desc(0, TABLE_GPA + 0x101, QSIZE * 16, IND, 0);
	avail_add(0);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	expect_chain(0, 0, QSIZE, 0, QSIZE);
}
END_TEST

START_TEST(test_push_used)
{
	for (unsigned i = 0; i < 3; i++) {
		desc(i, BUF_GPA, 64, WR, 0);
		avail_add((uint16_t)i);
	}
	enable(false, false);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	/* Completed out of order: the used ring says which was which. */
	vq_push(&vq, 1, 33);
	ck_assert_uint_eq(used_idx(), 1);
	ck_assert_uint_eq(get32(USED_GPA + 4), 1);
	ck_assert_uint_eq(get32(USED_GPA + 8), 33);
	vq_push(&vq, 0, 0);
	ck_assert_uint_eq(used_idx(), 2);
	ck_assert_uint_eq(get32(USED_GPA + 12), 0);
	ck_assert_uint_eq(get32(USED_GPA + 16), 0);

	/* Many rounds: both indexes wrap the ring and keep counting. */
	for (unsigned i = 0; i < 5 * QSIZE; i++) {
		ck_assert_int_eq(vq_pop(&vq, &ch), 1);
		vq_push(&vq, ch.head, i);
		avail_add(ch.head);
	}
	ck_assert_uint_eq(used_idx(), 2 + 5 * QSIZE);
	ck_assert_uint_eq(vq.last_avail, 2 + 5 * QSIZE);
	/* The last one went to entry 81 % 16 = 1, with len 79. */
	ck_assert_uint_eq(get32(USED_GPA + 4 + 8 + 4), 5 * QSIZE - 1);
}
END_TEST

START_TEST(test_no_interrupt)
{
	desc(0, BUF_GPA, 8, WR, 0);
	enable(false, false);
	avail_add(0);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	vq_push(&vq, 0, 8);
	ck_assert(vq_should_notify(&vq));
	put16(AVAIL_GPA, VRING_AVAIL_F_NO_INTERRUPT);
	avail_add(0);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	vq_push(&vq, 0, 8);
	ck_assert(!vq_should_notify(&vq));
	/* Without EVENT_IDX, avail_event is never written. */
	ck_assert_uint_eq(avail_event(), 0);
}
END_TEST

START_TEST(test_event_idx)
{
	const uint64_t used_event = AVAIL_GPA + 4 + 2 * QSIZE;

	desc(0, BUF_GPA, 8, WR, 0);
	enable(true, false);
	/* An empty pop asks to be kicked at the next buffer. */
	put16(USED_GPA + 4 + 8 * QSIZE, 0xbeef);
	ck_assert_int_eq(vq_pop(&vq, &ch), 0);
	ck_assert_uint_eq(avail_event(), 0);
	avail_add(0);
	avail_add(0);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	ck_assert_uint_eq(avail_event(), 1);

	/* NO_INTERRUPT is ignored with EVENT_IDX; the first push signals. */
	put16(AVAIL_GPA, VRING_AVAIL_F_NO_INTERRUPT);
	put16(used_event, 0);
	vq_push(&vq, 0, 8); /* used 1 */
	ck_assert(vq_should_notify(&vq));
	vq_push(&vq, 0, 8); /* used 2: event 0 is behind, no interrupt */
	ck_assert(!vq_should_notify(&vq));
	put16(used_event, 3);
	vq_push(&vq, 0, 8); /* used 3: event 3 not reached yet */
	ck_assert(!vq_should_notify(&vq));
	vq_push(&vq, 0, 8); /* used 4: crossed 3 */
	ck_assert(vq_should_notify(&vq));
	ck_assert(!vq_should_notify(&vq)); /* nothing new */
	put16(used_event, 5);
	vq_push(&vq, 0, 8);
	vq_push(&vq, 0, 8);
	vq_push(&vq, 0, 8); /* used 7: crossed 5 within the batch */
	ck_assert(vq_should_notify(&vq));
}
END_TEST

START_TEST(test_unpop)
{
	desc(4, BUF_GPA, 8, RD, 0);
	desc(9, BUF_GPA, 8, WR, 0);
	enable(true, false);
	avail_add(4);
	avail_add(9);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	ck_assert_uint_eq(ch.head, 9);
	ck_assert_uint_eq(avail_event(), 2);
	vq_unpop(&vq);
	ck_assert_uint_eq(vq.last_avail, 1);
	ck_assert_uint_eq(avail_event(), 1);
	ck_assert(vq_has_avail(&vq));
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	expect_chain(9, 0, 1, 0, 8);
	ck_assert_int_eq(vq_pop(&vq, &ch), 0);
}
END_TEST

START_TEST(test_save_restore)
{
	struct json_object *st;

	for (unsigned i = 0; i < 3; i++) {
		desc(i, BUF_GPA, 8, WR, 0);
		avail_add((uint16_t)i);
	}
	enable(true, true);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	vq_push(&vq, 0, 8);
	ck_assert_int_eq(vq_save(&vq, &st), 0);

	vq_reset(&vq);
	ck_assert(!vq.ready);
	ck_assert_uint_eq(vq.size, MAX_SIZE);
	ck_assert_int_eq(vq_restore(&vq, st), 0);
	json_object_put(st);
	ck_assert(vq.ready);
	ck_assert_uint_eq(vq.size, QSIZE);
	ck_assert_uint_eq(vq.desc_gpa, DESC_GPA);
	ck_assert_uint_eq(vq.avail_gpa, AVAIL_GPA);
	ck_assert_uint_eq(vq.used_gpa, USED_GPA);
	ck_assert_uint_eq(vq.last_avail, 2);
	ck_assert_uint_eq(vq.used_idx, 1);
	ck_assert(vq.event_idx);
	ck_assert(vq.indirect);
	/* It carries on where it stopped. */
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	ck_assert_uint_eq(ch.head, 2);
	vq_push(&vq, 1, 8);
	ck_assert_uint_eq(used_idx(), 2);
	ck_assert_uint_eq(get32(USED_GPA + 12), 1);

	/* A queue that was never enabled comes back disabled. */
	vq_reset(&vq);
	vq.size = 64;
	vq.desc_gpa = 0x123; /* only checked on enable */
	ck_assert_int_eq(vq_save(&vq, &st), 0);
	vq_reset(&vq);
	ck_assert_int_eq(vq_restore(&vq, st), 0);
	json_object_put(st);
	ck_assert(!vq.ready);
	ck_assert_uint_eq(vq.size, 64);
	ck_assert_uint_eq(vq.desc_gpa, 0x123);
	ck_assert_int_eq(vq_pop(&vq, &ch), 0);
}
END_TEST

/* Each bad ring setup fails vq_enable() and leaves the queue off. */
START_TEST(test_bad_enable)
{
	static const struct {
		uint16_t size;
		uint64_t desc, avail, used;
		int rc;
	} bad[] = {
		{ 0, DESC_GPA, AVAIL_GPA, USED_GPA, -EINVAL },
		{ 3, DESC_GPA, AVAIL_GPA, USED_GPA, -EINVAL },
		{ 48, DESC_GPA, AVAIL_GPA, USED_GPA, -EINVAL },
		{ 2 * MAX_SIZE, DESC_GPA, AVAIL_GPA, USED_GPA, -EINVAL },
		{ 65535, DESC_GPA, AVAIL_GPA, USED_GPA, -EINVAL },
		{ QSIZE, DESC_GPA + 8, AVAIL_GPA, USED_GPA, -EINVAL },
		{ QSIZE, DESC_GPA, AVAIL_GPA + 1, USED_GPA, -EINVAL },
		{ QSIZE, DESC_GPA, AVAIL_GPA, USED_GPA + 2, -EINVAL },
		{ QSIZE, RAM_SIZE - 16 * 8, AVAIL_GPA, USED_GPA, -EFAULT },
		{ QSIZE, DESC_GPA, RAM_SIZE - 36, USED_GPA, -EFAULT },
		{ QSIZE, DESC_GPA, AVAIL_GPA, RAM_SIZE - 132, -EFAULT },
		{ QSIZE, RAM_SIZE, AVAIL_GPA, USED_GPA, -EFAULT },
		{ QSIZE, VM_HIGH_RAM_START, AVAIL_GPA, USED_GPA, -EFAULT },
		{ QSIZE, UINT64_MAX - 15, AVAIL_GPA, USED_GPA, -EFAULT },
		{ QSIZE, DESC_GPA, UINT64_MAX - 1, USED_GPA, -EFAULT },
		{ QSIZE, DESC_GPA, AVAIL_GPA, UINT64_MAX - 3, -EFAULT },
	};

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		vq_reset(&vq);
		vq.size = bad[i].size;
		vq.desc_gpa = bad[i].desc;
		vq.avail_gpa = bad[i].avail;
		vq.used_gpa = bad[i].used;
		ck_assert_msg(vq_enable(&vq, true, true) == bad[i].rc,
			      "case %u", i);
		ck_assert(!vq.ready);
		ck_assert_int_eq(vq_pop(&vq, &ch), 0);
		ck_assert(!vq_has_avail(&vq));
		ck_assert(!vq_should_notify(&vq));
		vq_push(&vq, 0, 0); /* ignored: nothing is mapped */
	}

	/* The rings may end exactly at the end of RAM. */
	vq_reset(&vq);
	vq.size = QSIZE;
	vq.desc_gpa = RAM_SIZE - 16 * QSIZE;
	vq.avail_gpa = RAM_SIZE - (4 + 2 * QSIZE + 2);
	vq.used_gpa = RAM_SIZE - (4 + 8 * QSIZE + 2) - 2; /* 4-aligned */
	ck_assert_int_eq(vq_enable(&vq, false, false), 0);
}
END_TEST

START_TEST(test_bad_buffer_addr)
{
	enable(false, false);
	desc(0, RAM_SIZE - 8, 16, RD, 0); /* runs past the end of RAM */
	pop_fails(0, -EFAULT);
	desc(0, RAM_SIZE, 1, WR, 0);
	pop_fails(0, -EFAULT);
	desc(0, UINT64_MAX - 7, 16, RD, 0); /* wraps around 2^64 */
	pop_fails(0, -EFAULT);
	desc(0, UINT64_MAX, 0xffffffff, WR, 0);
	pop_fails(0, -EFAULT);
	desc(0, BUF_GPA, 0xffffffff, WR, 0); /* huge */
	pop_fails(0, -EFAULT);
	desc(0, VM_HIGH_RAM_START, 4096, WR, 0); /* a hole */
	pop_fails(0, -EFAULT);
	/* A bad buffer after good ones fails the whole chain. */
	desc(0, BUF_GPA, 16, RD | NX, 1);
	desc(1, RAM_SIZE - 1, 2, WR, 0);
	pop_fails(0, -EFAULT);
	/* Exactly up to the end of RAM is fine. */
	desc(1, RAM_SIZE - 2, 2, WR, 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	ck_assert_ptr_eq(ch.iov[1].iov_base, ram + RAM_SIZE - 2);
}
END_TEST

START_TEST(test_bad_chain)
{
	enable(false, false);
	desc(0, BUF_GPA, 8, RD | NX, QSIZE); /* next out of range */
	pop_fails(0, -EINVAL);
	desc(0, BUF_GPA, 8, RD | NX, 0xffff);
	pop_fails(0, -EINVAL);
	desc(0, BUF_GPA, 8, RD | NX, 1); /* 0 -> 1 -> 0 */
	desc(1, BUF_GPA, 8, RD | NX, 0);
	pop_fails(0, -EINVAL);
	desc(2, BUF_GPA, 0, RD | NX, 2); /* empty and pointing at itself */
	pop_fails(2, -EINVAL);
	/* Write-only then read-only. */
	desc(0, BUF_GPA, 8, WR | NX, 1);
	desc(1, BUF_GPA, 8, RD, 0);
	pop_fails(0, -EINVAL);
	/* Even an empty read-only one after a writable one. */
	desc(1, BUF_GPA, 0, RD, 0);
	pop_fails(0, -EINVAL);
	/* The longest chain is the queue size. */
	for (unsigned i = 0; i < QSIZE; i++)
		desc(i, BUF_GPA, 8, RD | NX, i + 1);
	desc(QSIZE - 1, BUF_GPA, 8, RD, 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1); /* the entry left at 0 */
	ck_assert_uint_eq(ch.nr_rd, QSIZE);
}
END_TEST

/* A direct chain plus an indirect table may not exceed the queue size. */
START_TEST(test_chain_too_long)
{
	for (unsigned i = 0; i < QSIZE; i++)
		desc_at(TABLE_GPA, i, BUF_GPA, 8, WR | NX, i + 1);
	desc_at(TABLE_GPA, QSIZE - 1, BUF_GPA, 8, WR, 0);
	desc(0, BUF_GPA, 8, RD | NX, 1);
	desc(1, TABLE_GPA, QSIZE * 16, IND, 0);
	enable(false, true);
	pop_fails(0, -EINVAL);
	/* A loop inside the table: t0 -> t1 -> t0. */
	desc_at(TABLE_GPA, 1, BUF_GPA, 8, WR | NX, 0);
	desc(0, TABLE_GPA, 2 * 16, IND, 0);
	pop_fails(0, -EINVAL);
	/* next beyond the table's own length. */
	desc_at(TABLE_GPA, 1, BUF_GPA, 8, WR | NX, 2);
	pop_fails(0, -EINVAL);
}
END_TEST

/* More written than the 32-bit used length can report. */
START_TEST(test_chain_len_overflow)
{
	const uint64_t table = 0x20000; /* 8192 descriptors: 128 KiB */
	const unsigned n = 4096;

	vq_init(&vq, vm, 8192);
	vq.size = 8192;
	vq.desc_gpa = table;
	vq.avail_gpa = 0x40000;
	vq.used_gpa = 0x50000;
	enable(false, false);
	/* 4096 writable views of the whole 1 MiB: 4 GiB in all. */
	for (unsigned i = 0; i < n; i++)
		desc_at(table, i, 0, (uint32_t)RAM_SIZE, WR | NX, i + 1);
	desc_at(table, n - 1, 0, (uint32_t)RAM_SIZE, WR, 0);
	put16(0x40000 + 4, 0);
	put16(0x40000 + 2, 1);
	ck_assert_int_eq(vq_pop(&vq, &ch), -EINVAL);
	/* One fewer is 4 GiB - 1 MiB, which fits. */
	desc_at(table, n - 2, 0, (uint32_t)RAM_SIZE, WR, 0);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	ck_assert_uint_eq(ch.nr_wr, n - 1);
	ck_assert_uint_eq(ch.wr_len, (uint64_t)(n - 1) * RAM_SIZE);
}
END_TEST

START_TEST(test_bad_indirect)
{
	desc_at(TABLE_GPA, 0, BUF_GPA, 8, RD, 0);
	desc_at(TABLE_GPA, 1, BUF_GPA, 8, WR, 0);

	/* Not negotiated. */
	enable(false, false);
	desc(0, TABLE_GPA, 16, IND, 0);
	pop_fails(0, -EINVAL);

	vq_reset(&vq);
	set_rings();
	enable(false, true);
	desc(0, TABLE_GPA, 16, IND, 0);
	avail_add(0);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1); /* the good one */

	desc(0, TABLE_GPA, 0, IND, 0); /* empty */
	pop_fails(0, -EINVAL);
	desc(0, TABLE_GPA, 24, IND, 0); /* not whole descriptors */
	pop_fails(0, -EINVAL);
	desc(0, TABLE_GPA, 17, IND, 0);
	pop_fails(0, -EINVAL);
	desc(0, TABLE_GPA, (QSIZE + 1) * 16, IND, 0); /* longer than queue */
	pop_fails(0, -EINVAL);
	desc(0, TABLE_GPA, 0xfffffff0, IND, 0);
	pop_fails(0, -EINVAL);
	desc(0, TABLE_GPA, 16, IND | NX, 1); /* INDIRECT with NEXT */
	desc(1, BUF_GPA, 8, WR, 0);
	pop_fails(0, -EINVAL);
	desc(0, RAM_SIZE - 16, 32, IND, 0); /* table past the end of RAM */
	pop_fails(0, -EFAULT);
	desc(0, UINT64_MAX - 15, 32, IND, 0); /* table wraps */
	pop_fails(0, -EFAULT);
	/* Nested: the table points at another table. */
	desc_at(TABLE_GPA + 0x100, 0, TABLE_GPA, 16, IND, 0);
	desc(0, TABLE_GPA + 0x100, 16, IND, 0);
	pop_fails(0, -EINVAL);
	/* Order is checked across the table boundary too. */
	desc(0, BUF_GPA, 8, WR | NX, 1);
	desc(1, TABLE_GPA, 16, IND, 0); /* t0 is read-only */
	pop_fails(0, -EINVAL);
}
END_TEST

START_TEST(test_bad_avail)
{
	desc(0, BUF_GPA, 8, RD, 0);
	enable(false, false);
	/* More than a queue's worth ahead of us. */
	put16(AVAIL_GPA + 2, QSIZE + 1);
	ck_assert_int_eq(vq_pop(&vq, &ch), -EINVAL);
	put16(AVAIL_GPA + 2, 0xffff); /* i.e. one behind */
	ck_assert_int_eq(vq_pop(&vq, &ch), -EINVAL);
	ck_assert_uint_eq(vq.last_avail, 0);
	/* A full ring is fine. */
	put16(AVAIL_GPA + 2, QSIZE);
	ck_assert_int_eq(vq_pop(&vq, &ch), 1);
	/* Head indexes outside the table. */
	vq_reset(&vq);
	set_rings();
	put16(AVAIL_GPA + 2, 0);
	enable(true, false);
	pop_fails(QSIZE, -EINVAL);
	avail_idx = 0;
	pop_fails(0xffff, -EINVAL);
}
END_TEST

/* A saved state with one member replaced (or removed if @val is NULL). */
static struct json_object *state_with(const char *key, const char *val)
{
	struct json_object *o;

	ck_assert_int_eq(vq_save(&vq, &o), 0);
	if (val)
		json_object_object_add(o, key, json_tokener_parse(val));
	else
		json_object_object_del(o, key);
	return o;
}

START_TEST(test_restore_garbage)
{
	static const struct {
		const char *key, *val;
	} bad[] = {
		{ "size", "12" }, /* not a power of two, while ready */
		{ "size", "512" }, /* above max_size */
		{ "size", "-16" },
		{ "size", "\"16\"" },
		{ "size", NULL },
		{ "ready", "2" },
		{ "ready", "true" },
		{ "desc", "1048576" }, /* outside RAM */
		{ "desc", "18446744073709551615" },
		{ "desc", "1e30" },
		{ "avail", "8193" }, /* misaligned */
		{ "used", "12288.5" },
		{ "used", "[12288]" },
		{ "last_avail", "65536" },
		{ "used_idx", "-1" },
		{ "event_idx", "7" },
		{ "indirect", "null" },
	};
	static const char *const junk[] = { "[1, 2]", "\"size\"", "{}", "42" };
	struct json_object *o;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enable(false, false);
		o = state_with(bad[i].key, bad[i].val);
		ck_assert_msg(vq_restore(&vq, o) == -EINVAL, "case %u", i);
		json_object_put(o);
		/* The queue is reset, not left half restored. */
		ck_assert(!vq.ready);
		ck_assert_uint_eq(vq.size, MAX_SIZE);
		ck_assert_int_eq(vq_pop(&vq, &ch), 0);
		set_rings();
	}
	for (unsigned i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		o = json_tokener_parse(junk[i]);
		ck_assert_int_eq(vq_restore(&vq, o), -EINVAL);
		json_object_put(o);
	}
	ck_assert_int_eq(vq_restore(&vq, NULL), -EINVAL);

	/* The same state unharmed restores fine. */
	set_rings();
	enable(false, false);
	o = state_with("last_avail", "5");
	ck_assert_int_eq(vq_restore(&vq, o), 0);
	json_object_put(o);
	ck_assert(vq.ready);
	ck_assert_uint_eq(vq.last_avail, 5);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virtqueue");
	TCase *tc = tcase_create("driver");
	TCase *th = tcase_create("hostile");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_single);
	tcase_add_test(tc, test_chain_rd_wr);
	tcase_add_test(tc, test_indirect);
	tcase_add_test(tc, test_push_used);
	tcase_add_test(tc, test_no_interrupt);
	tcase_add_test(tc, test_event_idx);
	tcase_add_test(tc, test_unpop);
	tcase_add_test(tc, test_save_restore);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(th, setup, teardown);
	tcase_add_test(th, test_bad_enable);
	tcase_add_test(th, test_bad_buffer_addr);
	tcase_add_test(th, test_bad_chain);
	tcase_add_test(th, test_chain_too_long);
	tcase_add_test(th, test_chain_len_overflow);
	tcase_add_test(th, test_bad_indirect);
	tcase_add_test(th, test_bad_avail);
	tcase_add_test(th, test_restore_garbage);
	suite_add_tcase(s, th);
	return s;
}
