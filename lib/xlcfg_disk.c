// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One item of `disk = [...]`: a specification in the syntax of
 * xl-disk-configuration(5), as far as keel supports it, turned into a
 * disk of the JSON model ({vdev, path, format, readonly, iotune}). The
 * I/O limits are keel's extension (keel.cfg(5), DISKS): libvirt's
 * <iotune> names as KEY=VALUE parameters.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_proto.h"
#include "iotune.h"
#include "xlcfg_internal.h"

/*
 * xl's disk options keel does not apply (keel.cfg(5), "DISKS"). The
 * ignored ones change nothing the guest relies on; the refused ones
 * name a backend or a replication keel does not have.
 */
static const char *const disk_ignored[] = {
	"discard", "direct-io-safe", "trusted", "untrusted", "backendtype",
	NULL
};
static const char *const disk_refused[] = {
	"backend", "script", "specification", "transport", "colo",
	"colo-host", "colo-port", "colo-export", "active-disk",
	"hidden-disk", NULL
};

/* Why each of disk_ignored is. */
static const char *disk_ignored_why(const char *opt)
{
	if (!strcmp(opt, "discard"))
		return "keel's virtio disks do not offer discard";
	if (!strcmp(opt, "direct-io-safe"))
		return "keel reads and writes disks through the host's page cache";
	if (!strcmp(opt, "backendtype"))
		return "keel's own virtio-blk is the only backend";
	return "keel does not sort disks into trusted and untrusted";
}

/* An option of disk_ignored or disk_refused: 0 with a warning, or an error. */
static int disk_option(const struct xlcfg_errs *e, const struct xlcfg_val *v,
		       const char *opt)
{
	if (xlcfg_in_list(opt, disk_ignored))
		return xlcfg_spec_warn(e, "disk", v, "'%s' is ignored: %s.",
				       opt, disk_ignored_why(opt));
	return xlcfg_spec_fail(e, "disk", v,
			       "'%s' is refused: keel reads disks with its own virtio-blk only, from a file or block device.",
			       opt);
}

/*
 * The model's private mark on a disk whose vdev was a partition's:
 * {"vdev": "xvda2", "line": N}. xlcfg_disk_partitions_done() takes it
 * off; the name cannot be a member of the schema's disk.
 */
#define PARTITION_MARK "xlcfg-partition"

/* The most partitions of one Xen disk: its 16 minors, the first whole. */
#define PARTITION_MAX 15

/*
 * @s as a partition vdev, a whole-disk name and 1 to PARTITION_MAX:
 * the length of the disk's name, or 0 when @s is not one.
 */
static size_t partition_split(const char *s)
{
	size_t n = strcspn(s, "0123456789");
	char disk[8], *end;
	unsigned long part;

	if (!n || n >= sizeof(disk) || s[n] == '0')
		return 0;
	memcpy(disk, s, n);
	disk[n] = '\0';
	part = strtoul(s + n, &end, 10);
	if (*end || part < 1 || part > PARTITION_MAX || !keel_vdev_valid(disk))
		return 0;
	return n;
}

struct disk_spec {
	char *target, *format, *vdev, *access, *devtype;
	bool prefix; /* a legacy "phy:"-style prefix stands for the format */
	bool no_discard; /* given; what keel does anyway */
	struct json_object *iotune; /* NULL until a limit is given */
};

static int disk_set(const struct xlcfg_errs *e, const struct xlcfg_val *v,
		    char **field, const char *what, char *value)
{
	if (*field)
		return xlcfg_spec_fail(e, "disk", v, "'%s' is given twice.", what);
	*field = value;
	return 0;
}

/*
 * An I/O limit @key=@value: a whole number, for a byte limit optionally
 * with K, M or G (powers of 1024, as xl's memory sizes), into d->iotune.
 */
static int disk_limit(const struct xlcfg_errs *e, const struct xlcfg_val *v,
		      struct disk_spec *d, const char *key, const char *value)
{
	uint64_t n = 0, shift = 0;
	const char *p = value;

	for (; isdigit((unsigned char)*p) && n <= IOTUNE_VALUE_MAX; p++)
		n = n * 10 + (uint64_t)(*p - '0');
	if (*p && strstr(key, "_bytes_") && !p[1] && strchr("KMG", *p)) {
		shift = *p == 'K' ? 10 : *p == 'M' ? 20 : 30;
		p++;
	}
	if (p == value || *p || n > (IOTUNE_VALUE_MAX >> shift))
		return xlcfg_spec_fail(e, "disk", v,
				       "%s '%s' is not a limit; give a whole number from 0 (no limit)%s.",
				       key, value,
				       strstr(key, "_bytes_") ?
					       ", in bytes or with K, M or G, such as 10M" :
					       "");
	if (!d->iotune)
		d->iotune = json_object_new_object();
	if (json_object_object_get_ex(d->iotune, key, NULL))
		return xlcfg_spec_fail(e, "disk", v, "'%s' is given twice.",
				       key);
	if (!d->iotune ||
	    json_object_object_add(d->iotune, key,
				   json_object_new_int64((int64_t)(n << shift))))
		return -ENOMEM;
	return 0;
}

/* A legacy target prefix such as "phy:" or "tap:aio:"; 1 if stripped. */
static int disk_prefix(const struct xlcfg_errs *e, const struct xlcfg_val *v,
		       char **target)
{
	static const char *const raw[] = { "phy:", "file:", "aio:", "raw:" };
	static const char *const other[] = { "qcow:", "qcow2:", "vhd:",
					     "qed:" };
	char *t = *target;
	size_t i;

	if (!strncmp(t, "tap:", 4) || !strncmp(t, "tap2:", 5))
		t = strchr(t, ':') + 1;
	else if (!strncmp(t, "tapdisk:", 8))
		t += 8;
	for (i = 0; i < 4; i++) {
		if (!strncmp(t, raw[i], strlen(raw[i]))) {
			*target = t + strlen(raw[i]);
			return 1;
		}
		if (!strncmp(t, other[i], strlen(other[i])))
			return xlcfg_spec_fail(e, "disk", v,
					       "the %.*s format is refused: keel's virtio-blk reads raw images only, so a %.*s image would reach the guest as its container's bytes (convert with qemu-img convert -O raw).",
					       (int)strlen(other[i]) - 1,
					       other[i],
					       (int)strlen(other[i]) - 1,
					       other[i]);
	}
	return 0;
}

static int disk_tokens(const struct xlcfg_errs *e, const struct xlcfg_val *v,
		       char *p, struct disk_spec *d)
{
	int rc = 0;

	while (!rc && p && *p) {
		char *tok = p, *eq, *comma;

		while (isspace((unsigned char)*tok))
			tok++;
		if (!strncmp(tok, "target=", 7)) {
			/* xl: target= takes the rest, commas and all */
			return disk_set(e, v, &d->target, "target", tok + 7);
		}
		comma = strchr(tok, ',');
		if (comma)
			*comma = '\0';
		p = comma ? comma + 1 : NULL;
		tok = xlcfg_trim(tok);
		eq = strchr(tok, '=');
		if (eq) {
			enum iotune_bucket bucket;
			bool burst;

			*eq++ = '\0';
			if (iotune_key(IOTUNE_DISK, tok, &bucket, &burst))
				rc = disk_limit(e, v, d, tok, eq);
			else if (!strcmp(tok, "format"))
				rc = disk_set(e, v, &d->format, tok, eq);
			else if (!strcmp(tok, "vdev"))
				rc = disk_set(e, v, &d->vdev, tok, eq);
			else if (!strcmp(tok, "access"))
				rc = disk_set(e, v, &d->access, tok, eq);
			else if (!strcmp(tok, "devtype"))
				rc = disk_set(e, v, &d->devtype, tok, eq);
			else if (xlcfg_in_list(tok, disk_ignored) ||
				 xlcfg_in_list(tok, disk_refused))
				rc = disk_option(e, v, tok);
			else
				rc = xlcfg_spec_fail(e, "disk", v,
						     "'%s' is not a disk parameter; use target, format, vdev, access, devtype or an I/O limit such as total_bytes_sec.",
						     tok);
		} else if (!strcmp(tok, "no-discard")) {
			d->no_discard = true;
		} else if (xlcfg_in_list(tok, disk_ignored) ||
			   xlcfg_in_list(tok, disk_refused)) {
			rc = disk_option(e, v, tok);
		} else if (!d->target) {
			d->target = tok;
			rc = disk_prefix(e, v, &d->target);
			d->prefix = rc == 1;
			rc = rc < 0 ? rc : 0;
		} else if (!d->prefix && !d->format) {
			d->format = tok;
		} else if (!d->vdev) {
			d->vdev = tok;
		} else if (!d->access) {
			d->access = tok;
		} else {
			rc = xlcfg_spec_fail(e, "disk", v,
					     "there are more than four positional parameters (target, format, vdev, access).");
		}
	}
	return rc;
}

static bool is_other_format(const char *f)
{
	static const char *const other[] = { "qcow", "qcow2", "vhd", "qed",
					     "empty", NULL };

	return xlcfg_in_list(f, other);
}

/*
 * What a parsed disk specification must hold; sets *@ro. A CD-ROM
 * (devtype=cdrom, or xl's "hdc:cdrom") is a read-only virtio disk
 * holding the image, with a warning: the guest sees a disk, not a drive.
 */
static int disk_check(const struct xlcfg_errs *e, const struct xlcfg_val *v,
		      struct disk_spec *d, bool *ro)
{
	size_t n = d->vdev ? strlen(d->vdev) : 0;
	bool cdrom = false;
	int rc;

	if (n > 6 && !strcmp(d->vdev + n - 6, ":cdrom")) {
		cdrom = true;
		n -= 6;
		d->vdev[n] = '\0';
	}
	if (d->devtype && !strcmp(d->devtype, "cdrom"))
		cdrom = true;
	if (cdrom && (!d->target || !*d->target))
		return xlcfg_spec_fail(e, "disk", v,
				       "an empty CD-ROM drive is refused: keel has no removable media, so give the image to attach read-only.");
	if (!d->target || !*d->target)
		return xlcfg_spec_fail(e, "disk", v,
				       "there is no target; give the image file or block device, as in '/srv/web.img,raw,xvda,rw'.");
	if (d->format && is_other_format(d->format))
		return xlcfg_spec_fail(e, "disk", v,
				       "the %s format is refused: keel's virtio-blk reads raw images only, so a %s image would reach the guest as its container's bytes (convert with qemu-img convert -O raw).",
				       d->format, d->format);
	if (d->format && *d->format && strcmp(d->format, "raw"))
		return xlcfg_spec_fail(e, "disk", v,
				       "'%s' is not a disk format; keel reads raw images.",
				       d->format);
	if (!n)
		return xlcfg_spec_fail(e, "disk", v,
				       "there is no vdev; give the name the guest sees, such as xvda.");
	if (d->devtype && strcmp(d->devtype, "disk") &&
	    strcmp(d->devtype, "cdrom"))
		return xlcfg_spec_fail(e, "disk", v,
				       "devtype '%s' is not valid; use disk, or cdrom for a read-only image.",
				       d->devtype);
	if (!keel_vdev_valid(d->vdev) && !partition_split(d->vdev))
		return xlcfg_spec_fail(e, "disk", v,
				       "vdev '%s' is not a disk name such as xvda, vdb, sda or hdc, nor a partition of one from 1 to %d, such as xvda2.",
				       d->vdev, PARTITION_MAX);
	*ro = d->access &&
	      (!strcmp(d->access, "r") || !strcmp(d->access, "ro"));
	if (d->access && !*ro && *d->access && strcmp(d->access, "w") &&
	    strcmp(d->access, "rw"))
		return xlcfg_spec_fail(e, "disk", v,
				       "access '%s' is not valid; use r or ro for read-only, w or rw for read-write.",
				       d->access);
	if (!cdrom)
		return 0;
	if (d->access && *d->access && !*ro)
		return xlcfg_spec_fail(e, "disk", v,
				       "a CD-ROM is read-only; leave access out or make it r.");
	*ro = true;
	rc = xlcfg_spec_warn(e, "disk", v,
			     "the CD-ROM is attached as a read-only virtio disk: the guest sees /dev/vdX, not a CD-ROM drive.");
	return rc;
}

int xlcfg_disk_parse(const struct xlcfg_errs *e, const struct xlcfg_val *v,
		     struct json_object **out)
{
	struct disk_spec d = { 0 };
	struct json_object *o;
	bool ro = false;
	char *copy;
	int rc;

	copy = strdup(v->str);
	if (!copy)
		return -ENOMEM;
	rc = disk_tokens(e, v, copy, &d);
	if (!rc)
		rc = disk_check(e, v, &d, &ro);
	if (rc)
		goto out;
	o = json_object_new_object();
	rc = -ENOMEM;
	if (!o || json_object_object_add(o, "vdev",
					 json_object_new_string(d.vdev)) ||
	    json_object_object_add(o, "path",
				   json_object_new_string(d.target)) ||
	    json_object_object_add(o, "format",
				   json_object_new_string("raw")) ||
	    json_object_object_add(o, "readonly",
				   json_object_new_boolean(ro)) ||
	    (d.iotune && json_object_object_add(o, "iotune", d.iotune))) {
		json_object_put(o);
		goto out;
	}
	d.iotune = NULL; /* @o's now */
	if (partition_split(d.vdev)) {
		struct json_object *mark = json_object_new_object();

		if (!mark ||
		    json_object_object_add(mark, "vdev",
					   json_object_new_string(d.vdev)) ||
		    json_object_object_add(mark, "line",
					   json_object_new_int(v->line)) ||
		    json_object_object_add(o, PARTITION_MARK, mark)) {
			json_object_put(mark);
			json_object_put(o);
			goto out;
		}
	}
	*out = o;
	rc = 0;
out:
	json_object_put(d.iotune);
	free(copy);
	return rc;
}

/* --- partition images (xen-tools) ------------------------------------- */

/*
 * Which disk the first @len characters of a vdev name, from 0 (xvda,
 * vda, hda, sda: 0; Linux's letters, z 25, aa 26).
 */
static int disk_index(const char *vdev, size_t len)
{
	size_t skip = strncmp(vdev, "xvd", 3) ? 2 : 3;
	int n = 0;

	for (size_t i = skip; i < len; i++)
		n = n * 26 + (vdev[i] - 'a' + 1);
	return n - 1;
}

static const char *vdev_of(struct json_object *disk)
{
	return json_object_get_string(json_object_object_get(disk, "vdev"));
}

/* @disk's mark, or NULL. */
static struct json_object *mark_of(struct json_object *disk)
{
	struct json_object *m;

	return json_object_object_get_ex(disk, PARTITION_MARK, &m) ? m : NULL;
}

/* Linux's letters of disk @index: a ... z, aa ... zz, aaa ... */
static void index_letters(int index, char *out)
{
	char tmp[4];
	int n = 0;

	index++;
	while (index > 0 && n < 3) {
		index--;
		tmp[n++] = (char)('a' + index % 26);
		index /= 26;
	}
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

/* Does a disk of @disks other than @self have whole-disk index @index? */
static bool index_used(struct json_object *disks, struct json_object *self,
		       int index)
{
	for (size_t i = 0; i < json_object_array_length(disks); i++) {
		struct json_object *d = json_object_array_get_idx(disks, i);
		const char *vdev = vdev_of(d);

		if (d != self && !partition_split(vdev) &&
		    disk_index(vdev, strlen(vdev)) == index)
			return true;
	}
	return false;
}

/*
 * A partition sorts by its disk's index, then its number: xvda1 before
 * xvda2 before xvdb1, whichever order the file gives them in.
 */
static long partition_key(struct json_object *disk)
{
	const char *vdev = vdev_of(disk);
	size_t n = partition_split(vdev);

	return (long)disk_index(vdev, n) * (PARTITION_MAX + 1) +
	       strtol(vdev + n, NULL, 10);
}

int xlcfg_disk_partitions(struct json_object *disks)
{
	size_t n = disks ? json_object_array_length(disks) : 0;

	/* The marked disk of least key, one at a time: at most 16. */
	for (;;) {
		struct json_object *next = NULL, *d, *v;
		char name[16];
		const char *vdev;
		size_t len, prefix;
		int index;

		for (size_t i = 0; i < n; i++) {
			d = json_object_array_get_idx(disks, i);
			if (mark_of(d) && partition_split(vdev_of(d)) &&
			    (!next || partition_key(d) < partition_key(next)))
				next = d;
		}
		if (!next)
			return 0;
		vdev = vdev_of(next);
		len = partition_split(vdev);
		/* its disk's place if free, else the next free one */
		for (index = disk_index(vdev, len);
		     index_used(disks, next, index); index++)
			;
		/* the partition's own prefix: xvda2 becomes xvdX, sda2 sdX */
		prefix = strncmp(vdev, "xvd", 3) ? 2 : 3;
		memcpy(name, vdev, prefix);
		index_letters(index, name + prefix);
		/* a whole-disk name now: index_used() counts it */
		v = json_object_new_string(name);
		if (!v || json_object_object_add(next, "vdev", v)) {
			json_object_put(v);
			return -ENOMEM;
		}
	}
}

/*
 * In @cmd, "root=/dev/@part" as a word of its own, followed by a space
 * or the end: where it starts, or NULL.
 */
static const char *root_word(const char *cmd, const char *part)
{
	size_t len = strlen(part);

	for (const char *p = strstr(cmd, "root=/dev/"); p;
	     p = strstr(p + 1, "root=/dev/"))
		if ((p == cmd || p[-1] == ' ') && !strncmp(p + 10, part, len) &&
		    (p[10 + len] == ' ' || !p[10 + len]))
			return p;
	return NULL;
}

int xlcfg_disk_partitions_done(const struct xlcfg_errs *e,
			       const char *disks_file,
			       struct json_object *disks,
			       struct json_object **cmdline,
			       const char *cmd_file, int cmd_line)
{
	size_t n = disks ? json_object_array_length(disks) : 0;
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		struct json_object *d = json_object_array_get_idx(disks, i);
		struct json_object *m = mark_of(d);
		const char *part, *cmd, *at;
		char guest[8];
		char *rewritten;

		if (!m)
			continue;
		part = json_object_get_string(json_object_object_get(m, "vdev"));
		/* the guest names virtio disks by their order, from vda */
		snprintf(guest, sizeof(guest), "vd");
		index_letters((int)i, guest + 2);
		rc = xlcfg_warn(e->warn, disks_file,
				json_object_get_int(json_object_object_get(m, "line")),
				"vdev %s names a partition: keel gives its image to the guest as a whole disk, vdev %s, on which the guest finds the filesystem as /dev/%s; an /etc/fstab in the image that names /dev/%s must name /dev/%s or use UUID= or LABEL=.",
				part, vdev_of(d), guest, part, guest);
		cmd = cmdline && *cmdline ? json_object_get_string(*cmdline) :
					    NULL;
		at = cmd ? root_word(cmd, part) : NULL;
		if (!rc && at) {
			if (asprintf(&rewritten, "%.*sroot=/dev/%s%s",
				     (int)(at - cmd), cmd, guest,
				     at + 10 + strlen(part)) < 0)
				return -ENOMEM;
			rc = xlcfg_warn(e->warn, cmd_file, cmd_line,
					"root=/dev/%s is rewritten to root=/dev/%s, the disk keel makes of partition %s's image.",
					part, guest, part);
			json_object_put(*cmdline);
			*cmdline = json_object_new_string(rewritten);
			free(rewritten);
			if (!*cmdline)
				return -ENOMEM;
		}
		json_object_object_del(d, PARTITION_MARK);
	}
	return rc;
}
