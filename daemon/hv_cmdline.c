// SPDX-License-Identifier: GPL-2.0-or-later
/* keel-hv's command line for a domain, and back again (hv_cmdline.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hv_cmdline.h"
#include "registry.h"

/* A growing NULL-terminated argv; @failed once an allocation failed. */
struct argv_buf {
	char **v;
	size_t n, cap;
	bool failed;
};

static void arg_add(struct argv_buf *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void arg_add(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	if (a->failed)
		return;
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 32;
		char **v = realloc(a->v, cap * sizeof(*v));

		if (!v) {
			a->failed = true;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		a->failed = true;
		return;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

void hv_cmdline_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

char **hv_cmdline_build(const struct hv_cmdline *c,
			struct json_object *config)
{
	struct argv_buf a = { 0 };
	struct json_object *list;
	const char *s;

	arg_add(&a, "%s", c->hypervisor);
	arg_add(&a, "--kernel=%s", json_member_string(config, "kernel"));
	if ((s = json_member_string(config, "ramdisk")))
		arg_add(&a, "--initrd=%s", s);
	if ((s = json_member_string(config, "cmdline")))
		arg_add(&a, "--cmdline=%s", s);
	arg_add(&a, "--memory=%lldM", (long long)c->memory_mib);
	arg_add(&a, "--vcpus=%lld", (long long)c->vcpus);
	/* keel-hv keeps the console's history and log (docs/console.md). */
	arg_add(&a, "--console=none");
	arg_add(&a, "--console-socket=%s/console.sock", c->dir);
	arg_add(&a, "--console-log=%s", c->console_log);
	arg_add(&a, "--control=%s/control.sock", c->dir);
	arg_add(&a, "--status-file=%s/exit.json", c->dir);
	arg_add(&a, "--uuid=%s", c->uuid);
	arg_add(&a, "--name=%s", c->name);
	if (c->paused)
		arg_add(&a, "--paused");
	if (c->linger)
		arg_add(&a, "--linger");
	if (json_object_object_get_ex(config, "disks", &list)) {
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct json_object *d = json_object_array_get_idx(list, i);
			struct json_object *ro;
			bool readonly = json_object_object_get_ex(d, "readonly",
								  &ro) &&
					json_object_get_boolean(ro);

			arg_add(&a, "--disk-fd=%d%s",
				c->first_disk_fd + (int)i, readonly ? ",ro" : "");
		}
	}
	if (json_object_object_get_ex(config, "nics", &list)) {
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct json_object *nic = json_object_array_get_idx(list, i);
			const char *mac = json_member_string(nic, "mac");

			arg_add(&a, "--net=tap=%s%s%s", json_member_string(nic, "tap"),
				mac ? ",mac=" : "", mac ? mac : "");
		}
	}
	if (a.failed) {
		hv_cmdline_free(a.v);
		return NULL;
	}
	return a.v;
}

/* The value of "--@name=VALUE" in @arg, or NULL. */
static const char *option(const char *arg, const char *name)
{
	size_t len = strlen(name);

	if (strncmp(arg, "--", 2) || strncmp(arg + 2, name, len) ||
	    arg[2 + len] != '=')
		return NULL;
	return arg + 3 + len;
}

bool hv_cmdline_is_ours(char *const *argv, size_t argc, const char *run_dir,
			char uuid[37])
{
	size_t dir_len = strlen(run_dir);
	bool control = false;

	uuid[0] = '\0';
	for (size_t i = 1; i < argc; i++) {
		const char *v;

		if ((v = option(argv[i], "control"))) {
			/* RUN_DIR/domains/UUID/control.sock, nothing else. */
			control = !strncmp(v, run_dir, dir_len) &&
				  !strncmp(v + dir_len, "/domains/", 9) &&
				  strlen(v + dir_len + 9) ==
					  DOMAIN_UUID_LEN + 13 &&
				  !strcmp(v + dir_len + 9 + DOMAIN_UUID_LEN,
					  "/control.sock");
		} else if ((v = option(argv[i], "uuid")) &&
			   strlen(v) == DOMAIN_UUID_LEN) {
			for (size_t j = 0; j <= DOMAIN_UUID_LEN; j++)
				uuid[j] = (char)(v[j] >= 'A' && v[j] <= 'F' ?
							 v[j] - 'A' + 'a' :
							 v[j]);
		}
	}
	return control && uuid[0];
}

static void add_string(struct json_object *o, const char *key,
		       const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

/* The file behind descriptor @fd of process @pid (malloc'd), or NULL. */
static char *fd_path(pid_t pid, const char *fd)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/fd/%.16s", (int)pid, fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	return strdup(target);
}

/* A disk from "--disk-fd=N[,ro]" or "--disk=PATH[,ro]". */
static struct json_object *disk_from(const char *value, bool by_fd,
				     pid_t pid, size_t index)
{
	const char *comma = strrchr(value, ',');
	bool readonly = comma && !strcmp(comma, ",ro");
	struct json_object *d = json_object_new_object();
	char *spec = strndup(value, readonly ? (size_t)(comma - value) :
					       strlen(value));
	char *path = spec && by_fd ? fd_path(pid, spec) : spec;
	char vdev[16];

	if (!d || !path) {
		json_object_put(d);
		d = NULL;
		goto out;
	}
	/* The order is what the guest sees; xl's names give it back. */
	if (index < 26)
		snprintf(vdev, sizeof(vdev), "xvd%c", (char)('a' + index));
	else
		snprintf(vdev, sizeof(vdev), "xvd%c%c",
			 (char)('a' + index / 26 - 1), (char)('a' + index % 26));
	add_string(d, "vdev", vdev);
	add_string(d, "path", path);
	if (readonly)
		json_object_object_add(d, "readonly",
				       json_object_new_boolean(1));
out:
	if (path != spec)
		free(path);
	free(spec);
	return d;
}

/* A NIC from "tap=NAME[,mac=MAC]". */
static struct json_object *nic_from(const char *value)
{
	const char *mac = strstr(value, ",mac=");
	struct json_object *n = json_object_new_object();
	char *tap;

	if (!n || strncmp(value, "tap=", 4))
		goto fail;
	tap = strndup(value + 4, mac ? (size_t)(mac - value - 4) :
				       strlen(value + 4));
	if (!tap)
		goto fail;
	add_string(n, "tap", tap);
	free(tap);
	if (mac)
		add_string(n, "mac", mac + 5);
	return n;
fail:
	json_object_put(n);
	return NULL;
}

struct json_object *hv_cmdline_config(char *const *argv, size_t argc,
				      pid_t pid)
{
	struct json_object *c = json_object_new_object();
	struct json_object *disks = json_object_new_array();
	struct json_object *nics = json_object_new_array();
	bool ok = c && disks && nics;

	for (size_t i = 1; ok && i < argc; i++) {
		const char *arg = argv[i], *v;
		struct json_object *item = NULL;

		if ((v = option(arg, "name")))
			add_string(c, "name", v);
		else if ((v = option(arg, "uuid")))
			add_string(c, "uuid", v);
		else if ((v = option(arg, "kernel")))
			add_string(c, "kernel", v);
		else if ((v = option(arg, "initrd")))
			add_string(c, "ramdisk", v);
		else if ((v = option(arg, "cmdline")))
			add_string(c, "cmdline", v);
		else if ((v = option(arg, "memory")))
			json_object_object_add(
				c, "memory",
				json_object_new_int64(strtoll(v, NULL, 10)));
		else if ((v = option(arg, "vcpus")))
			json_object_object_add(
				c, "vcpus",
				json_object_new_int64(strtoll(v, NULL, 10)));
		else if ((v = option(arg, "disk-fd")) ||
			 (v = option(arg, "disk")))
			ok = (item = disk_from(v, !strncmp(arg, "--disk-fd=", 10),
					       pid,
					       json_object_array_length(disks))) &&
			     !json_object_array_add(disks, item);
		else if ((v = option(arg, "net")))
			ok = (item = nic_from(v)) &&
			     !json_object_array_add(nics, item);
	}
	if (ok && json_object_array_length(disks))
		json_object_object_add(c, "disks", json_object_get(disks));
	if (ok && json_object_array_length(nics))
		json_object_object_add(c, "nics", json_object_get(nics));
	json_object_put(disks);
	json_object_put(nics);
	if (!ok || !json_member_string(c, "name") || !json_member_string(c, "uuid") ||
	    !json_member_string(c, "kernel")) {
		json_object_put(c);
		return NULL;
	}
	return c;
}
