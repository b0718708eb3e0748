// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writes the seed corpus of tests/fuzz/fuzz_stream with keel's own
 * writer (lib/stream.c): small real streams that between them hold
 * every record type and RAM encoding, so the fuzzer starts from inputs
 * that get past the preamble. Usage: stream_seeds DIR.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "stream.h"

#define PAGE STREAM_PAGE_SIZE

static const char com1[] = "{\"lsr\": 96, \"ier\": 0}";
static const char blk[] = "{\"queues\": [{\"size\": 256, \"ready\": true}]}";

static const char header[] =
	"{\"writer\": \"keel 0.1.0\", \"host\": {\"xsave_size\": 576}, \"vcpus\": %u, \"ram\": [{\"gpa\": 0, \"size\": 65536}, {\"gpa\": 1048576, \"size\": 16384}], \"config\": {\"name\": \"seed\"}}";

static void put_filler(struct stream_writer *sw, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		stream_put_u8(sw, (uint8_t)(seed + i));
}

static int write_vm(struct stream_writer *sw)
{
	static const uint32_t sizes[] = {
		0, STREAM_PIC_SIZE, STREAM_PIC_SIZE, STREAM_IOAPIC_SIZE,
		STREAM_PIT2_SIZE, STREAM_CLOCK_SIZE,
	};
	int rc = stream_vm_begin(sw);

	for (uint16_t tag = 1; !rc && tag <= STREAM_VM_TAG_MAX; tag++) {
		stream_tlv_begin(sw, tag);
		put_filler(sw, sizes[tag], tag);
		stream_tlv_end(sw);
	}
	return rc ? rc : stream_rec_end(sw);
}

/* A counted list: @count entries of @size bytes after a @head-byte count. */
static void put_list(struct stream_writer *sw, uint16_t tag, size_t head,
		     uint32_t count, size_t size)
{
	stream_tlv_begin(sw, tag);
	stream_put_u32(sw, count);
	put_filler(sw, head - 4, 0);
	put_filler(sw, count * size, tag);
	stream_tlv_end(sw);
}

static int write_vcpu(struct stream_writer *sw, uint32_t index)
{
	static const struct {
		uint16_t tag;
		uint32_t size;
	} fixed[] = {
		{ STREAM_VCPU_REGS, STREAM_REGS_SIZE },
		{ STREAM_VCPU_SREGS, STREAM_SREGS_SIZE },
		{ STREAM_VCPU_XSAVE, 576 },
		{ STREAM_VCPU_LAPIC, STREAM_LAPIC_SIZE },
		{ STREAM_VCPU_EVENTS, STREAM_EVENTS_SIZE },
		{ STREAM_VCPU_MP_STATE, STREAM_MP_STATE_SIZE },
		{ STREAM_VCPU_DEBUGREGS, STREAM_DEBUGREGS_SIZE },
		{ STREAM_VCPU_TSC_KHZ, STREAM_TSC_KHZ_SIZE },
	};
	int rc = stream_vcpu_begin(sw, index);

	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		stream_tlv_begin(sw, fixed[i].tag);
		put_filler(sw, fixed[i].size, fixed[i].tag);
		stream_tlv_end(sw);
	}
	put_list(sw, STREAM_VCPU_XCRS, 4, 1, 16);
	put_list(sw, STREAM_VCPU_MSRS, 8, 3, 16);
	put_list(sw, STREAM_VCPU_CPUID, 4, 2, 28);
	return stream_rec_end(sw);
}

/* One seed: @vcpus vCPUs; RAM in @enc (ZERO: none); @extras adds the rest. */
static int write_seed(const char *dir, const char *name, unsigned int vcpus,
		      enum stream_enc enc, bool extras)
{
	static uint8_t mem[16 * PAGE];
	struct stream_writer *sw;
	char path[4096], hdr[512];
	int fd, n, rc;

	for (size_t i = 0; i < sizeof(mem); i++)
		mem[i] = (i / PAGE) % 3 ? (uint8_t)(i / 64) : 0;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	sw = stream_writer_new(fd);
	if (!sw) {
		close(fd);
		return -ENOMEM;
	}
	n = snprintf(hdr, sizeof(hdr), header, vcpus);
	rc = stream_write_preamble(sw);
	rc = rc ?: stream_write_header(sw, hdr, (size_t)n);
	if (extras)
		rc = rc ?: stream_write_progress(sw, 1, 4096, 8192, 100);
	if (enc != STREAM_ENC_ZERO)
		rc = rc ?: stream_write_ram_run(sw, 0, mem, sizeof(mem), enc);
	else
		rc = rc ?: stream_write_ram(sw, 1048576, 4, NULL, enc);
	rc = rc ?: write_vm(sw);
	for (unsigned int i = 0; i < vcpus; i++)
		rc = rc ?: write_vcpu(sw, i);
	if (extras) {
		rc = rc ?: stream_write_device(sw, "com1", 1, com1,
					       strlen(com1));
		rc = rc ?: stream_write_record(sw, 99, STREAM_FLAG_OPTIONAL,
					       "later", 5);
		rc = rc ?: stream_write_device(sw, "virtio-blk0", 2, blk,
					       strlen(blk));
	}
	rc = rc ?: stream_write_end(sw);
	stream_writer_free(sw);
	if (close(fd) && !rc)
		rc = -errno;
	if (rc)
		fprintf(stderr, "stream_seeds: %s: %s\n", path, strerror(-rc));
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "Usage: stream_seeds DIR\n");
		return 2;
	}
	if (write_seed(argv[1], "zero-1vcpu", 1, STREAM_ENC_ZERO, false) ||
	    write_seed(argv[1], "raw-1vcpu", 1, STREAM_ENC_RAW, false) ||
	    write_seed(argv[1], "lz4-2vcpus-all", 2, STREAM_ENC_LZ4, true) ||
	    write_seed(argv[1], "zstd-1vcpu-all", 1, STREAM_ENC_ZSTD, true))
		return 1;
	return 0;
}
