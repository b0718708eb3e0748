// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xl.cfg(5) reader: xlcfg_syntax.c turns the file into a list of
 * settings (key, line, value), then one table of keys here converts
 * each setting into its member of the JSON domain model; xlcfg_disk.c
 * and xlcfg_vif.c read the items of disk and vif, xlcfg_keys.c says
 * what becomes of xl's keys that keel does not apply. xlcfg_read.c
 * reads the bytes and the JSON spelling. The decisions where keel
 * departs from xl are listed in xlcfg.h.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cpumap.h"
#include "xlcfg_internal.h"

/* What messages call the KEY=VALUE overrides; LINE is their position. */
#define XLCFG_OVERRIDES "<command line>"

/* --- what the parts share ----------------------------------------------- */

static size_t count_lines(const char *s)
{
	size_t n = 1;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Add "FILE:LINE: @tag@msg" as a line of *@to. */
static int add_line(char **to, const char *file, int line, const char *tag,
		    const char *msg)
{
	char *full, where[24] = "";
	int n;

	if (line > 0)
		snprintf(where, sizeof(where), "%d:", line);
	n = asprintf(&full, "%s%s%s:%s %s%s", *to ? *to : "", *to ? "\n" : "",
		     file, where, tag, msg);
	if (n < 0)
		return -ENOMEM;
	free(*to);
	*to = full;
	return 0;
}

int xlcfg_fail(char **err, const char *file, int line, const char *fmt, ...)
{
	size_t lines = *err ? count_lines(*err) : 0;
	va_list ap;
	char *msg;
	int n;

	if (lines > XLCFG_MAX_ERRORS)
		return -EINVAL;
	if (lines == XLCFG_MAX_ERRORS) {
		n = add_line(err, file, 0, "",
			     "There are more problems than these; fix these first.");
		return n ? n : -EINVAL;
	}
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	n = add_line(err, file, line, "", msg);
	free(msg);
	return n ? n : -EINVAL;
}

int xlcfg_warn(char **warn, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int n;

	if (!warn)
		return 0;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	n = add_line(warn, file, line, "warning: ", msg);
	free(msg);
	return n;
}

int xlcfg_spec_fail(const struct xlcfg_errs *e, const char *what,
		    const struct xlcfg_val *v, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int rc;

	va_start(ap, fmt);
	rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	rc = xlcfg_fail(e->err, e->file, v->line, "In %s '%s': %s", what,
			v->str, msg);
	free(msg);
	return rc;
}

int xlcfg_spec_warn(const struct xlcfg_errs *e, const char *what,
		    const struct xlcfg_val *v, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	int rc;

	if (!e->warn)
		return 0;
	va_start(ap, fmt);
	rc = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	rc = xlcfg_warn(e->warn, e->file, v->line, "In %s '%s': %s", what,
			v->str, msg);
	free(msg);
	return rc;
}

int xlcfg_new_or_enomem(struct json_object *o, struct json_object **out)
{
	*out = o;
	return o ? 0 : -ENOMEM;
}

bool xlcfg_in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

char *xlcfg_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* --- semantics --------------------------------------------------------- */

/*
 * What a setting means is decided here; whether its value is within
 * keel's limits (a name's length, memory, vCPUs, how many disks) is the
 * schema's to say (schemas/domain.schema.json), which keeld and the
 * keel CLI both check the converted model against. So a limit is
 * written once, and a file and the JSON it reads as are refused in the
 * same words.
 */

enum field {
	F_NAME, F_UUID, F_MEMORY, F_MAXMEM, F_PREFAULT, F_VCPUS, F_MAXVCPUS,
	F_CPUS,
	F_CPU_WEIGHT, F_CAP, F_KERNEL,
	F_RAMDISK, F_CMDLINE, F_ROOT, F_EXTRA, F_RNG, F_ON_POWEROFF,
	F_ON_REBOOT, F_ON_CRASH, F_DISKS, F_NICS, F_COUNT
};

struct conv {
	struct xlcfg_errs e;
	struct json_object *out[F_COUNT];
	/* where each key was set (line 0: not set), even if it failed */
	int line[F_COUNT];
	const char *file[F_COUNT];
};

typedef int conv_fn(struct conv *c, const struct xlcfg_setting *s,
		    struct json_object **out);

struct key_def {
	const char *key; /* in xl.cfg */
	const char *json; /* in the model; NULL: feeds another field */
	conv_fn *conv;
};

#define cfail(c, line, ...) \
	xlcfg_fail((c)->e.err, (c)->e.file, (line), __VA_ARGS__)

static int get_string(struct conv *c, const struct xlcfg_setting *s,
		      const char **str)
{
	*str = s->val.str;
	if (s->val.type == XLCFG_VAL_LIST)
		return cfail(c, s->line,
			     "'%s' takes a quoted string, not a list.",
			     s->key);
	return 0;
}

static int conv_int(struct conv *c, const struct xlcfg_setting *s,
		    struct json_object **out)
{
	const char *str;
	long long v;
	char *end;

	if (s->val.type == XLCFG_VAL_LIST)
		return cfail(c, s->line, "'%s' takes a number, not a list.",
			     s->key);
	str = s->val.str;
	if (!xlcfg_is_integer(str))
		return cfail(c, s->line,
			     "'%s' must be a whole number written in decimal or 0x hex, not '%s'.",
			     s->key, str);
	errno = 0;
	v = strtoll(str, &end, 0);
	if (errno == ERANGE)
		return cfail(c, s->line,
			     "'%s' is %s, a number too large for any setting; give the value keel.cfg(5) describes.",
			     s->key, str);
	return xlcfg_new_or_enomem(json_object_new_int64(v), out);
}

static int conv_path(struct conv *c, const struct xlcfg_setting *s,
		     struct json_object **out)
{
	const char *str;
	int rc = get_string(c, s, &str);

	if (rc)
		return rc;
	if (!*str)
		return cfail(c, s->line,
			     "'%s' is empty; give the path of a file.", s->key);
	return xlcfg_new_or_enomem(json_object_new_string(str), out);
}

static int conv_string(struct conv *c, const struct xlcfg_setting *s,
		       struct json_object **out)
{
	const char *str;
	int rc = get_string(c, s, &str);

	return rc ? rc : xlcfg_new_or_enomem(json_object_new_string(str), out);
}

static int conv_uuid(struct conv *c, const struct xlcfg_setting *s,
		     struct json_object **out)
{
	char buf[37];
	const char *str;
	int rc = get_string(c, s, &str);
	size_t i;

	if (rc)
		return rc;
	for (i = 0; str[i] && i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? str[i] != '-' : !isxdigit((unsigned char)str[i]))
			break;
		buf[i] = (char)tolower((unsigned char)str[i]);
	}
	if (i != 36 || str[i])
		return cfail(c, s->line,
			     "'%s' is not a UUID; write it as 8-4-4-4-12 hex digits, such as 2b9c8f0e-1d7a-4c3e-9f5b-6a7d8e9f0a1b.",
			     str);
	buf[36] = '\0';
	return xlcfg_new_or_enomem(json_object_new_string(buf), out);
}

/* xl's actions (xl.cfg(5)); the coredump- ones write a core first. */
static int conv_action(struct conv *c, const struct xlcfg_setting *s,
		       struct json_object **out)
{
	static const char *const ok[] = {
		"destroy", "restart", "preserve", "rename-restart",
		"coredump-destroy", "coredump-restart",
	};
	const char *str;
	int rc = get_string(c, s, &str);
	size_t i;

	if (rc)
		return rc;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(str, ok[i]))
			return xlcfg_new_or_enomem(json_object_new_string(str),
						   out);
	if (!strcmp(str, "soft-reset"))
		return cfail(c, s->line,
			     "'%s' = \"soft-reset\" is refused: it restarts a Xen guest in place through Xen's soft reset, which KVM has no counterpart of; use restart.",
			     s->key);
	return cfail(c, s->line,
		     "'%s' = \"%s\" is not an action; use destroy, restart, preserve, rename-restart, coredump-destroy or coredump-restart.",
		     s->key, str);
}

/* 0 or 1, as xl's boolean keys (a quoted "0" too). */
static int conv_bool(struct conv *c, const struct xlcfg_setting *s,
		     struct json_object **out)
{
	const char *str = s->val.str;

	if (s->val.type == XLCFG_VAL_LIST ||
	    (strcmp(str, "0") && strcmp(str, "1")))
		return cfail(c, s->line,
			     "'%s' is 0 (off) or 1 (on), not %s.", s->key,
			     s->val.type == XLCFG_VAL_LIST ? "a list" : str);
	return xlcfg_new_or_enomem(json_object_new_boolean(*str == '1'), out);
}

/*
 * One CPU list of cpus (xl.cfg(5)): read with the parser keeld and
 * keel-hv use (lib/cpumap.h), against every CPU keel can name, since
 * the file may be meant for another host; keeld checks the CPUs against
 * its own. A bare number is a list of one CPU, as for xl.
 */
static int conv_cpu_list(struct conv *c, const struct xlcfg_val *v,
			 struct json_object **out)
{
	char err[CPUMAP_ERR_MAX];
	struct cpumap any, m;

	if (v->type == XLCFG_VAL_LIST)
		return cfail(c, v->line,
			     "The items of 'cpus' are quoted CPU lists, not lists.");
	memset(&any, 0xff, sizeof(any));
	if (cpumap_parse(v->str, &any, &m, err))
		return cfail(c, v->line, "In 'cpus': %s", err);
	return xlcfg_new_or_enomem(json_object_new_string(v->str), out);
}

/*
 * cpus = "LIST" pins every vCPU to LIST; cpus = ["LIST0", "LIST1", ...]
 * pins vCPU i to item i, and the vCPUs past the end of the list are not
 * pinned, as in xl (keel.cfg(5)).
 */
static int conv_cpus(struct conv *c, const struct xlcfg_setting *s,
		     struct json_object **out)
{
	struct json_object *arr, *item;
	int rc;

	if (s->val.type != XLCFG_VAL_LIST)
		return conv_cpu_list(c, &s->val, out);
	if (!s->val.n)
		return cfail(c, s->line,
			     "'cpus' is an empty list; give one CPU list per vCPU, as in cpus = [\"2\", \"3-5\"], or leave cpus out.");
	arr = json_object_new_array();
	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < s->val.n; i++) {
		rc = conv_cpu_list(c, &s->val.items[i], &item);
		if (!rc && json_object_array_add(arr, item)) {
			json_object_put(item);
			rc = -ENOMEM;
		}
		if (rc) {
			json_object_put(arr);
			return rc;
		}
	}
	*out = arr;
	return 0;
}

/* --- disk and vif specifications --------------------------------------- */

/*
 * disk and vif: a list of specification strings; @unique is the member
 * that no two entries may share.
 */
static int conv_specs(struct conv *c, const struct xlcfg_setting *s,
		      int (*parse)(const struct xlcfg_errs *,
				   const struct xlcfg_val *,
				   struct json_object **),
		      const char *unique, struct json_object **out)
{
	struct json_object *arr, *item = NULL;
	int rc, failed = 0;
	size_t i, j;

	if (s->val.type != XLCFG_VAL_LIST)
		return cfail(c, s->line,
			     "'%s' takes a list of quoted specifications, as in %s = [ '...' ].",
			     s->key, s->key);
	arr = json_object_new_array();
	if (!arr)
		return -ENOMEM;
	/* every item is read, so that each bad one is reported */
	for (i = 0; i < s->val.n; i++) {
		const struct xlcfg_val *v = &s->val.items[i];
		struct json_object *a, *b;

		rc = v->type == XLCFG_VAL_STRING ?
			     parse(&c->e, v, &item) :
			     cfail(c, v->line,
				   "The items of '%s' are quoted specifications, not %s.",
				   s->key,
				   v->type == XLCFG_VAL_LIST ? "lists" :
							       "numbers");
		if (!rc && json_object_array_add(arr, item)) {
			json_object_put(item);
			rc = -ENOMEM;
		}
		if (rc == -ENOMEM)
			goto fail;
		failed = failed ? failed : rc;
		if (rc || !json_object_object_get_ex(item, unique, &a))
			continue;
		for (j = 0; j + 1 < json_object_array_length(arr); j++) {
			if (json_object_object_get_ex(
				    json_object_array_get_idx(arr, j), unique,
				    &b) &&
			    !strcmp(json_object_get_string(a),
				    json_object_get_string(b))) {
				failed = cfail(c, v->line,
					       "Two %s entries use %s %s; each must have its own.",
					       s->key, unique,
					       json_object_get_string(a));
				break;
			}
		}
	}
	rc = failed;
	if (!rc) {
		*out = arr;
		return 0;
	}
fail:
	json_object_put(arr);
	return rc;
}

/*
 * Which disk a vdev names, from 0: xvda, vda, hda and sda are all the
 * first (xl-disk-configuration(5)); the letters count as Linux's do
 * (z is 25, aa 26).
 */
static int vdev_index(const char *vdev)
{
	int n = 0;

	vdev += strncmp(vdev, "xvd", 3) ? 2 : 3;
	for (; *vdev; vdev++)
		n = n * 26 + (*vdev - 'a' + 1);
	return n - 1;
}

static int disk_vdev_index(struct json_object *disk)
{
	struct json_object *v;

	json_object_object_get_ex(disk, "vdev", &v);
	return vdev_index(json_object_get_string(v));
}

/*
 * The disks in the order their vdevs give (xvda before xvdb; disks
 * whose vdevs name the same place, such as xvda and sda, in file
 * order), which is the order the guest sees them in: a virtio disk's
 * name comes from its place on the PCI bus, so the first is /dev/vda
 * whatever the file calls it (keel.cfg(5), "DISKS"). A disk whose name
 * in the guest will not have its vdev's letter is warned about.
 */
static int disks_order(struct conv *c, const struct xlcfg_setting *s,
		       struct json_object **arr)
{
	size_t i, j, n = json_object_array_length(*arr);
	struct json_object **by, *sorted, *disk, *v;
	int rc = 0;

	if (!n || (n == 1 && !disk_vdev_index(
					json_object_array_get_idx(*arr, 0))))
		return 0;
	by = calloc(n, sizeof(*by));
	sorted = json_object_new_array();
	if (!by || !sorted) {
		free(by);
		json_object_put(sorted);
		return -ENOMEM;
	}
	/* stable: a disk goes after every one not placed later */
	for (i = 0; i < n; i++) {
		disk = json_object_array_get_idx(*arr, i);
		for (j = i; j > 0 && disk_vdev_index(by[j - 1]) >
					     disk_vdev_index(disk);
		     j--)
			by[j] = by[j - 1];
		by[j] = disk;
	}
	for (i = 0; i < n && !rc; i++)
		if (json_object_array_add(sorted, json_object_get(by[i]))) {
			json_object_put(by[i]);
			rc = -ENOMEM;
		}
	free(by);
	if (rc) {
		json_object_put(sorted);
		return rc;
	}
	json_object_put(*arr);
	*arr = sorted;
	for (i = 0; i < n && i < 26 && !rc; i++) {
		disk = json_object_array_get_idx(sorted, i);
		if ((size_t)disk_vdev_index(disk) == i)
			continue;
		json_object_object_get_ex(disk, "vdev", &v);
		rc = xlcfg_warn(c->e.warn, c->e.file, s->line,
				"vdev %s will be the guest's /dev/vd%c (its disk %zu): a guest names virtio disks in their order, with no gaps, and xvda, sda and hda all come first.",
				json_object_get_string(v), (char)('a' + i),
				i + 1);
	}
	return rc;
}

static int conv_disks(struct conv *c, const struct xlcfg_setting *s,
		      struct json_object **out)
{
	int rc = conv_specs(c, s, xlcfg_disk_parse, "vdev", out);

	if (rc)
		return rc;
	rc = xlcfg_disk_partitions(*out);
	if (!rc)
		rc = disks_order(c, s, out);
	if (rc) {
		json_object_put(*out);
		*out = NULL;
	}
	return rc;
}

static int conv_nics(struct conv *c, const struct xlcfg_setting *s,
		     struct json_object **out)
{
	return conv_specs(c, s, xlcfg_vif_parse, "mac", out);
}

/* The keys keel reads, in the order the model prints them. */
static const struct key_def keys[F_COUNT] = {
	[F_NAME] = { "name", "name", conv_string },
	[F_UUID] = { "uuid", "uuid", conv_uuid },
	[F_MEMORY] = { "memory", "memory", conv_int },
	[F_MAXMEM] = { "maxmem", "maxmem", conv_int },
	[F_PREFAULT] = { "prefault", "prefault", conv_bool },
	[F_VCPUS] = { "vcpus", "vcpus", conv_int },
	[F_MAXVCPUS] = { "maxvcpus", "maxvcpus", conv_int },
	[F_CPUS] = { "cpus", "cpus", conv_cpus },
	[F_CPU_WEIGHT] = { "cpu_weight", "cpu_weight", conv_int },
	[F_CAP] = { "cap", "cap", conv_int },
	[F_KERNEL] = { "kernel", "kernel", conv_path },
	[F_RAMDISK] = { "ramdisk", "ramdisk", conv_path },
	[F_CMDLINE] = { "cmdline", "cmdline", conv_string },
	[F_ROOT] = { "root", NULL, conv_string },
	[F_EXTRA] = { "extra", NULL, conv_string },
	[F_RNG] = { "rng", "rng", conv_bool },
	[F_ON_POWEROFF] = { "on_poweroff", "on_poweroff", conv_action },
	[F_ON_REBOOT] = { "on_reboot", "on_reboot", conv_action },
	[F_ON_CRASH] = { "on_crash", "on_crash", conv_action },
	[F_DISKS] = { "disk", "disks", conv_disks },
	[F_NICS] = { "vif", "nics", conv_nics },
};

static int conv_setting(struct conv *c, const struct xlcfg_setting *s)
{
	int i, rc;

	c->e.file = s->file;
	for (i = 0; i < F_COUNT; i++) {
		if (strcmp(keys[i].key, s->key))
			continue;
		c->line[i] = s->line;
		c->file[i] = s->file;
		return keys[i].conv(c, s, &c->out[i]);
	}
	rc = xlcfg_xl_key(&c->e, s);
	if (rc != -ENOENT)
		return rc;
	return cfail(c, s->line,
		     "unknown key '%s'; keel.cfg(5) lists the keys keel reads, and those of xl it ignores or refuses.",
		     s->key);
}

static long long field_int(struct conv *c, enum field f, long long dflt)
{
	return c->out[f] ? json_object_get_int64(c->out[f]) : dflt;
}

/* Report at the line where field @f was set. */
#define ffail(c, f, ...) \
	xlcfg_fail((c)->e.err, (c)->file[f], (c)->line[f], __VA_ARGS__)

/*
 * The command line the guest gets: cmdline if set (root and extra are
 * then not used, with a warning, as in xl), else xl's "root=ROOT EXTRA".
 * Sets *@from to the field that holds the root= it names, if any.
 */
static int conv_cmdline(struct conv *c)
{
	const char *root = NULL, *extra = NULL;
	char *cmdline;
	int n, rc;

	if (c->out[F_CMDLINE]) {
		if (!c->line[F_ROOT] && !c->line[F_EXTRA])
			return 0;
		if (c->line[F_ROOT] && c->line[F_EXTRA])
			rc = xlcfg_warn(c->e.warn, c->file[F_CMDLINE],
					c->line[F_CMDLINE],
					"'cmdline' is used, and 'root' (line %d) and 'extra' (line %d) are not, as in xl; put everything the kernel needs in cmdline.",
					c->line[F_ROOT], c->line[F_EXTRA]);
		else
			rc = xlcfg_warn(c->e.warn, c->file[F_CMDLINE],
					c->line[F_CMDLINE],
					"'cmdline' is used, and '%s' (line %d) is not, as in xl; put everything the kernel needs in cmdline.",
					c->line[F_ROOT] ? "root" : "extra",
					c->line[F_ROOT] ? c->line[F_ROOT] :
							  c->line[F_EXTRA]);
		json_object_put(c->out[F_ROOT]);
		json_object_put(c->out[F_EXTRA]);
		c->out[F_ROOT] = c->out[F_EXTRA] = NULL;
		return rc;
	}
	if (!c->out[F_ROOT] && !c->out[F_EXTRA])
		return 0;
	if (c->out[F_ROOT])
		root = json_object_get_string(c->out[F_ROOT]);
	if (c->out[F_EXTRA])
		extra = json_object_get_string(c->out[F_EXTRA]);
	if (root)
		n = asprintf(&cmdline, "root=%s%s%s", root, extra ? " " : "",
			     extra ? extra : "");
	else
		n = asprintf(&cmdline, "%s", extra);
	if (n < 0)
		return -ENOMEM;
	c->out[F_CMDLINE] = json_object_new_string(cmdline);
	free(cmdline);
	if (!c->out[F_CMDLINE])
		return -ENOMEM;
	/* where the words came from, for root_check() */
	c->line[F_CMDLINE] = c->line[root ? F_ROOT : F_EXTRA];
	c->file[F_CMDLINE] = c->file[root ? F_ROOT : F_EXTRA];
	return 0;
}

/*
 * A root= naming a Xen or emulated disk (/dev/xvda1, /dev/sda, /dev/hda)
 * will not exist: the guest's disks are virtio's /dev/vdX. Warn, with
 * the name the same disk will have. A root= naming a partition image
 * (xen-tools' xvda2) is first rewritten by xlcfg_disk_partitions_done().
 */
static int root_check(struct conv *c)
{
	const char *cmd, *p, *dev, *letters;
	size_t i, n = 0;
	char vd = 0;
	int rc = xlcfg_disk_partitions_done(&c->e, c->file[F_DISKS],
					    c->out[F_DISKS], &c->out[F_CMDLINE],
					    c->file[F_CMDLINE],
					    c->line[F_CMDLINE]);

	if (rc)
		return rc;
	if (!c->out[F_CMDLINE])
		return 0;
	cmd = json_object_get_string(c->out[F_CMDLINE]);
	for (p = strstr(cmd, "root=/dev/"); p && p > cmd && p[-1] != ' ';
	     p = strstr(p + 1, "root=/dev/"))
		;
	if (!p)
		return 0;
	dev = p + 10;
	if (!strncmp(dev, "xvd", 3))
		letters = dev + 3;
	else if (!strncmp(dev, "hd", 2) || !strncmp(dev, "sd", 2))
		letters = dev + 2;
	else
		return 0;
	if (!islower((unsigned char)*letters))
		return 0;
	if (c->out[F_DISKS])
		n = json_object_array_length(c->out[F_DISKS]);
	for (i = 0; i < n && i < 26; i++) {
		struct json_object *v;
		const char *vdev;

		json_object_object_get_ex(
			json_object_array_get_idx(c->out[F_DISKS], i), "vdev",
			&v);
		vdev = json_object_get_string(v);
		if (vdev_index(vdev) == *letters - 'a' &&
		    !islower((unsigned char)letters[1]))
			vd = (char)('a' + i);
	}
	if (vd)
		return xlcfg_warn(c->e.warn, c->file[F_CMDLINE],
				  c->line[F_CMDLINE],
				  "root=/dev/%.*s will not exist: the guest names its virtio disks /dev/vdX, and this one will be /dev/vd%c%.*s.",
				  (int)strcspn(dev, " "), dev, vd,
				  (int)strcspn(letters + 1, " "), letters + 1);
	return xlcfg_warn(c->e.warn, c->file[F_CMDLINE], c->line[F_CMDLINE],
			  "root=/dev/%.*s will not exist: the guest names its virtio disks /dev/vda, /dev/vdb and so on, in vdev order.",
			  (int)strcspn(dev, " "), dev);
}

/*
 * What only the whole file can say: required keys, and how keys relate
 * (vcpus is 1 when absent, as in xl and keeld). Every problem is
 * reported; returns -EINVAL if there was one.
 */
static int conv_check(struct conv *c)
{
	long long vcpus = field_int(c, F_VCPUS, 1);
	int rc = 0, r;

	if (!c->line[F_NAME])
		rc = cfail(c, 0,
			   "No name is set; add a line such as name = \"web\".");
	if (!c->line[F_KERNEL])
		rc = cfail(c, 0,
			   "No kernel is set; add a line such as kernel = \"/boot/vmlinuz\".");
	if (c->out[F_MAXVCPUS] && field_int(c, F_MAXVCPUS, 0) < vcpus)
		rc = ffail(c, F_MAXVCPUS,
			   "'maxvcpus' (%lld) is less than 'vcpus' (%lld); maxvcpus is the most vCPUs the domain can have.",
			   field_int(c, F_MAXVCPUS, 0), vcpus);
	if (c->out[F_CPUS] &&
	    json_object_is_type(c->out[F_CPUS], json_type_array) &&
	    json_object_array_length(c->out[F_CPUS]) >
		    (size_t)field_int(c, F_MAXVCPUS, vcpus))
		rc = ffail(c, F_CPUS,
			   "'cpus' lists %zu CPU lists, one per vCPU, but the domain has %lld vCPUs; remove the extra ones.",
			   json_object_array_length(c->out[F_CPUS]),
			   field_int(c, F_MAXVCPUS, vcpus));
	if (c->out[F_MAXMEM] && c->out[F_MEMORY] &&
	    field_int(c, F_MAXMEM, 0) < field_int(c, F_MEMORY, 0))
		rc = ffail(c, F_MAXMEM,
			   "'maxmem' (%lld MiB) is less than 'memory' (%lld MiB); maxmem is the most memory the domain can have.",
			   field_int(c, F_MAXMEM, 0), field_int(c, F_MEMORY, 0));
	if (rc == -ENOMEM)
		return rc;
	r = conv_cmdline(c);
	if (!r)
		r = root_check(c);
	return r ? r : rc;
}

/* Read @n KEY=VALUE overrides (xl's) after the file's own settings. */
static int read_overrides(char *const *overrides, size_t n,
			  struct xlcfg_setting **sets, size_t *nsets,
			  char **err)
{
	char *buf = NULL;
	size_t i, len = 0;
	FILE *f;
	int rc = 0;

	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (strchr(overrides[i], '\n'))
			rc = xlcfg_fail(err, XLCFG_OVERRIDES, (int)i + 1,
					"An override is one KEY=VALUE setting on one line.");
		fprintf(f, "%s\n",
			strchr(overrides[i], '\n') ? "" : overrides[i]);
	}
	if (fclose(f))
		return -ENOMEM;
	if (rc != -ENOMEM) {
		int r = xlcfg_syntax_parse(buf, len, XLCFG_OVERRIDES, sets,
					   nsets, err);

		rc = r ? r : rc;
	}
	free(buf);
	return rc;
}

int xlcfg_parse_xl(const char *buf, size_t len, const char *name,
		   char *const *overrides, size_t noverrides,
		   struct json_object **out, char **err, char **warn)
{
	struct conv c = { .e = { name, err, warn } };
	struct xlcfg_setting *sets = NULL;
	struct json_object *o = NULL;
	size_t i, nsets = 0;
	int rc, syntax;

	syntax = xlcfg_syntax_parse(buf, len, name, &sets, &nsets, err);
	if (syntax != -ENOMEM && noverrides) {
		rc = read_overrides(overrides, noverrides, &sets, &nsets, err);
		syntax = syntax ? syntax : rc;
	}
	rc = syntax == -ENOMEM ? syntax :
				 xlcfg_settings_merge(sets, &nsets, err, warn);
	for (i = 0; rc != -ENOMEM && i < nsets; i++) {
		int r = conv_setting(&c, &sets[i]);

		rc = rc ? rc : r;
		rc = r == -ENOMEM ? r : rc;
	}
	/* a line that did not read may be the one that sets name */
	if (rc != -ENOMEM && !syntax) {
		int r = conv_check(&c);

		rc = r == -ENOMEM || !rc ? r : rc;
	}
	if (rc != -ENOMEM)
		rc = syntax ? syntax : rc;
	if (!rc) {
		o = json_object_new_object();
		rc = o ? 0 : -ENOMEM;
	}
	for (i = 0; i < F_COUNT; i++) {
		if (!rc && c.out[i] && keys[i].json) {
			if (json_object_object_add(o, keys[i].json,
						   c.out[i]))
				rc = -ENOMEM;
			else
				c.out[i] = NULL;
		}
		json_object_put(c.out[i]);
	}
	xlcfg_settings_free(sets, nsets);
	if (rc) {
		json_object_put(o);
		return rc;
	}
	*out = o;
	return 0;
}
