// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the domain stream's reader (lib/stream_read.c):
 * any bytes, read as a stream from a file descriptor into 1 MiB of
 * "guest memory", must be accepted or refused with a sentence, never
 * crash, leak or read out of bounds. docs/testing.md says how to run it.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "stream.h"

#define GUEST_SIZE (1024 * 1024)

static uint8_t guest[GUEST_SIZE];

static void *map(void *opaque, uint64_t gpa, uint64_t len)
{
	if (gpa > GUEST_SIZE || len > GUEST_SIZE - gpa)
		return NULL;
	return guest + gpa;
}

/* Touch every byte a callback is given, so ASan checks each range. */
static unsigned int sum(const uint8_t *p, size_t len)
{
	unsigned int s = 0;

	while (len--)
		s += *p++;
	return s;
}

static volatile unsigned int sink;

static int on_tlvs(const struct stream_tlvs *t)
{
	for (int i = 0; i <= STREAM_VCPU_TAG_MAX; i++)
		if (t->p[i])
			sink += sum(t->p[i], t->len[i]);
	return 0;
}

static int on_vm(void *opaque, struct stream_reader *r,
		 const struct stream_tlvs *t)
{
	return on_tlvs(t);
}

static int on_vcpu(void *opaque, struct stream_reader *r, uint32_t index,
		   const struct stream_tlvs *t)
{
	return on_tlvs(t);
}

static int on_device(void *opaque, struct stream_reader *r, const char *id,
		     uint32_t version, struct json_object *state)
{
	sink += (unsigned int)strlen(json_object_to_json_string(state));
	return 0;
}

static const struct stream_ops ops = {
	.ram_map = map,
	.vm = on_vm,
	.vcpu = on_vcpu,
	.device = on_device,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char err[STREAM_ERR_SIZE];

	if (fd < 0)
		fd = memfd_create("fuzz_stream", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 0) ||
	    pwrite(fd, data, size, 0) != (ssize_t)size ||
	    lseek(fd, 0, SEEK_SET))
		abort();
	if (stream_read(fd, &ops, NULL, err, sizeof(err)) && !err[0])
		abort();	/* every refusal has its sentence */
	return 0;
}
