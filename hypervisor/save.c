// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Saving a paused VM as a domain stream (docs/stream.md): the header
 * from the host facts and the machine's shape, guest RAM (zero pages as
 * zero records), the x86 state through cpu_state.h, each device's JSON,
 * and the END checksum. lib/stream.c does the framing; this file only
 * decides what goes in and in which order.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "device.h"
#include "log.h"
#include "monotime.h"
#include "save.h"
#include "stream.h"
#include "vcpu.h"
#include "vm.h"
#include "x86/cpu_state.h"

/* Tell progress if enough time and bytes went by since it was told. */
static void save_tell(struct save_stream *s, bool last)
{
	uint64_t done = stream_writer_offset(s->sw);
	long long now = monotime_ms();

	if (!s->progress)
		return;
	if (!last && (now - s->told_at_ms < SAVE_PROGRESS_MS ||
		      done - s->told_at_bytes < SAVE_PROGRESS_BYTES))
		return;
	s->told_at_ms = now;
	s->told_at_bytes = done;
	s->progress(s->opaque, done, last ? done : s->total);
}

/* The failure of a write to the stream, as the sentence a user reads. */
static int save_write_failed(struct save_stream *s, int rc, const char *what)
{
	if (rc == -ENOSPC || rc == -EDQUOT)
		snprintf(s->why, SAVE_WHY_MAX,
			 "The file system is full: %s could not be written.",
			 what);
	else
		snprintf(s->why, SAVE_WHY_MAX, "Cannot write %s: %s.", what,
			 strerror(-rc));
	return rc;
}

/* "2026-12-05T10:00:00Z" */
static void save_created(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
}

/* The HEADER's JSON object: docs/stream.md, HEADER. */
static int save_header_json(struct save_stream *s, struct json_object *config,
			    struct json_object **out)
{
	struct json_object *h = json_object_new_object();
	struct json_object *host = json_object_new_object();
	struct json_object *ram = json_object_new_array();
	char created[32];
	int rc = -ENOMEM;

	if (!h || !host || !ram)
		goto out_put;
	rc = cpu_state_host_facts(s->vm, host);
	if (rc) {
		snprintf(s->why, SAVE_WHY_MAX,
			 "Cannot read this host's CPU and KVM facts: %s.",
			 strerror(-rc));
		goto out_put;
	}
	for (unsigned i = 0; i < s->vm->nr_ram; i++) {
		struct json_object *r = json_object_new_object();

		if (!r || json_object_array_add(ram, r)) {
			json_object_put(r);
			rc = -ENOMEM;
			goto out_put;
		}
		json_object_object_add(r, "gpa", json_object_new_uint64(
							 s->vm->ram[i].gpa));
		json_object_object_add(r, "size", json_object_new_uint64(
							  s->vm->ram[i].size));
	}
	save_created(created, sizeof(created));
	json_object_object_add(h, "writer",
			       json_object_new_string("keel " PACKAGE_VERSION));
	json_object_object_add(h, "created", json_object_new_string(created));
	json_object_object_add(h, "host", host);
	json_object_object_add(h, "vcpus",
			       json_object_new_int((int)s->vm->nr_vcpus));
	json_object_object_add(h, "ram", ram);
	json_object_object_add(h, "config", json_object_get(config));
	*out = h;
	return 0;

out_put:
	json_object_put(h);
	json_object_put(host);
	json_object_put(ram);
	if (rc == -ENOMEM)
		snprintf(s->why, SAVE_WHY_MAX,
			 "keel-hv ran out of memory for the stream's header.");
	return rc;
}

static int save_header(struct save_stream *s, struct json_object *config)
{
	struct json_object *h;
	const char *text;
	size_t len;
	int rc;

	rc = save_header_json(s, config, &h);
	if (rc)
		return rc;
	text = json_object_to_json_string_length(h, JSON_C_TO_STRING_PLAIN,
						 &len);
	rc = text ? stream_write_header(s->sw, text, len) : -ENOMEM;
	json_object_put(h);
	if (rc == -E2BIG)
		snprintf(s->why, SAVE_WHY_MAX,
			 "The domain's configuration is too large for the stream's header (1 MiB).");
	else if (rc)
		save_write_failed(s, rc, "the stream's header");
	return rc;
}

int save_stream_ram(struct save_stream *s, uint64_t gpa, uint64_t len,
		    const void *copy, enum stream_enc enc)
{
	const void *hva = vm_gpa_to_hva(s->vm, gpa, len);
	int rc;

	if (!hva) {
		snprintf(s->why, SAVE_WHY_MAX,
			 "keel-hv asked to write memory at 0x%llx that is not the guest's RAM.",
			 (unsigned long long)gpa);
		return -EFAULT;
	}
	rc = stream_write_ram_run(s->sw, gpa, copy ? copy : hva, len, enc);
	if (rc)
		return save_write_failed(s, rc, "the guest's memory");
	save_tell(s, false);
	return 0;
}

/*
 * Guest RAM, range by range, in pieces of SAVE_PROGRESS_BYTES (a whole
 * number of RAM records) so that progress is told as it goes.
 */
static int save_ram(struct save_stream *s, enum stream_enc enc)
{
	for (unsigned i = 0; i < s->vm->nr_ram; i++) {
		const struct mem_region *m = &s->vm->ram[i];

		for (uint64_t off = 0; off < m->size;
		     off += SAVE_PROGRESS_BYTES) {
			uint64_t len = m->size - off;
			int rc;

			if (len > SAVE_PROGRESS_BYTES)
				len = SAVE_PROGRESS_BYTES;
			rc = save_stream_ram(s, m->gpa + off, len, NULL, enc);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int save_cpus(struct save_stream *s)
{
	int rc = cpu_state_save_vm(s->vm, s->sw);

	if (rc)
		return save_write_failed(s, rc, "the VM's interrupt controllers and clocks");
	for (unsigned i = 0; i < s->vm->nr_vcpus; i++) {
		char what[32];

		rc = cpu_state_save_vcpu(s->vm->vcpus[i], s->sw);
		if (rc) {
			snprintf(what, sizeof(what), "vCPU %u's state", i);
			return save_write_failed(s, rc, what);
		}
	}
	return 0;
}

static int save_device(struct save_stream *s, struct device *d)
{
	struct json_object *o = NULL;
	const char *text;
	size_t len;
	int rc;

	if (!d->ops->save) {
		snprintf(s->why, SAVE_WHY_MAX,
			 "Device %s (%s) cannot be saved.", d->id,
			 d->ops->type);
		return -EOPNOTSUPP;
	}
	rc = d->ops->save(d, &o);
	if (rc) {
		snprintf(s->why, SAVE_WHY_MAX,
			 "Device %s could not save its state: %s.", d->id,
			 strerror(-rc));
		return rc;
	}
	text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN,
						 &len);
	rc = text ? stream_write_device(s->sw, d->id, d->ops->version, text,
					len) :
		    -ENOMEM;
	json_object_put(o);
	if (rc) {
		char what[64];

		snprintf(what, sizeof(what), "device %s's state", d->id);
		return save_write_failed(s, rc, what);
	}
	return 0;
}

int save_stream_init(struct save_stream *s, struct vm *vm,
		     const struct stream_io *io, save_progress_fn progress,
		     void *opaque, char *why)
{
	*s = (struct save_stream){
		.vm = vm,
		.progress = progress,
		.opaque = opaque,
		.total = vm->ram_size,
		.told_at_ms = monotime_ms(),
		.why = why,
	};
	why[0] = '\0';
	s->sw = stream_writer_new_io(io);
	if (!s->sw) {
		snprintf(why, SAVE_WHY_MAX, "keel-hv ran out of memory.");
		return -ENOMEM;
	}
	return 0;
}

void save_stream_dispose(struct save_stream *s)
{
	stream_writer_free(s->sw);
	s->sw = NULL;
}

int save_stream_head(struct save_stream *s, struct json_object *config)
{
	int rc = stream_write_preamble(s->sw);

	if (rc)
		return save_write_failed(s, rc, "the stream's preamble");
	return save_header(s, config);
}

int save_stream_tail(struct save_stream *s)
{
	int rc = save_cpus(s);

	for (struct device *d = s->vm->devices; d && !rc; d = d->next)
		rc = save_device(s, d);
	if (!rc) {
		rc = stream_write_end(s->sw);
		if (rc)
			save_write_failed(s, rc, "the stream's end");
	}
	if (!rc)
		save_tell(s, true);
	return rc;
}

int save_write(struct vm *vm, int fd, struct json_object *config,
	       enum stream_enc enc, save_progress_fn progress, void *opaque,
	       uint64_t *bytes, char *why)
{
	struct stream_io io = stream_io_fd(fd);
	struct save_stream s;
	int rc;

	rc = save_stream_init(&s, vm, &io, progress, opaque, why);
	if (rc)
		return rc;
	rc = save_stream_head(&s, config);
	if (!rc)
		rc = save_ram(&s, enc);
	if (!rc)
		rc = save_stream_tail(&s);
	if (!rc)
		*bytes = stream_writer_offset(s.sw);
	save_stream_dispose(&s);
	return rc;
}
