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
#include <stdlib.h>
#include <string.h>

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

static bool is_vdev(const char *s)
{
	size_t n;

	if (!strncmp(s, "xvd", 3))
		s += 3;
	else if (!strncmp(s, "vd", 2) || !strncmp(s, "hd", 2) ||
		 !strncmp(s, "sd", 2))
		s += 2;
	else
		return false;
	n = strspn(s, "abcdefghijklmnopqrstuvwxyz");
	return n >= 1 && n <= 3 && !s[n];
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
	if (!is_vdev(d->vdev))
		return xlcfg_spec_fail(e, "disk", v,
				       "vdev '%s' is not a whole-disk name such as xvda, vdb, sda or hdc.",
				       d->vdev);
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
	*out = o;
	rc = 0;
out:
	json_object_put(d.iotune);
	free(copy);
	return rc;
}
