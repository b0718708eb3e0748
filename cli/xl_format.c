// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld's answers in xl's shapes (xl_format.h). Nothing here talks to
 * keeld or prints: cli/list_cmds.c does, and tests/unit/check_cli_xl.c
 * checks these against xl's layout.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "xl_format.h"

/* libxl's shutdown reasons, as xl numbers and letters them. */
#define XL_REASON_POWEROFF 0
#define XL_REASON_CRASH 3

static bool is(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

/* Stopped and kept by an on_* preserve: keeld's paused/shutdown, crashed. */
static bool kept(const char *state, const char *reason)
{
	return is(state, "crashed") ||
	       (is(state, "paused") && is(reason, "shutdown"));
}

int xl_reason_code(const char *state, const char *reason)
{
	if (!kept(state, reason))
		return -1;
	return is(state, "crashed") ? XL_REASON_CRASH : XL_REASON_POWEROFF;
}

void xl_state_flags(const char *state, const char *reason, char *out)
{
	memcpy(out, "------", XL_FLAGS_LEN);
	if (kept(state, reason)) {
		out[3] = 's';
		out[4] = xl_reason_code(state, reason) == XL_REASON_CRASH ?
				 'c' :
				 '-';
	} else if (is(state, "paused")) {
		out[2] = 'p';
	} else if (is(state, "blocked")) {
		out[1] = 'b';
	} else if (is(state, "running") || is(state, "shutdown")) {
		/*
		 * Being shut down still runs guest code; xl shows such a
		 * domain as running until it has stopped.
		 */
		out[0] = 'r';
	}
}

/* @o's member @key, a new reference, or NULL when absent. */
static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return json_object_get(v);
}

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	if (v)
		json_object_object_add(o, key, v);
}

static struct json_object *kib(struct json_object *mib)
{
	if (!mib)
		return NULL;
	return json_object_new_int64(json_object_get_int64(mib) * 1024);
}

/* libxl_domain_create_info: what names the domain. */
static struct json_object *c_info(struct json_object *config)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	/* A direct-kernel boot is what Xen calls PVH (keel.cfg(5)). */
	add(o, "type", json_object_new_string("pvh"));
	add(o, "name", member(config, "name"));
	add(o, "uuid", member(config, "uuid"));
	return o;
}

/* libxl_domain_build_info: vCPUs, memory, scheduling, the kernel. */
static struct json_object *b_info(struct json_object *summary,
				  struct json_object *config)
{
	struct json_object *o = json_object_new_object(), *v, *sched;

	if (!o)
		return NULL;
	v = member(config, "maxvcpus");
	add(o, "max_vcpus", v ? v : member(summary, "vcpus"));
	v = member(config, "maxmem");
	if (!v)
		v = member(config, "memory");
	add(o, "max_memkb", kib(v));
	json_object_put(v);
	v = member(summary, "memory");
	add(o, "target_memkb", kib(v));
	json_object_put(v);
	sched = json_object_new_object();
	add(sched, "weight", member(config, "cpu_weight"));
	add(sched, "cap", member(config, "cap"));
	add(o, "sched_params", sched);
	add(o, "kernel", member(config, "kernel"));
	add(o, "ramdisk", member(config, "ramdisk"));
	add(o, "cmdline", member(config, "cmdline"));
	return o;
}

/* libxl_device_disk: pdev_path, vdev, format, readwrite. */
static struct json_object *disks(struct json_object *config)
{
	struct json_object *list, *out = json_object_new_array();

	if (!out || !json_object_object_get_ex(config, "disks", &list))
		return out;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *d = json_object_array_get_idx(list, i);
		struct json_object *o = json_object_new_object(), *ro;
		const char *fmt = json_object_get_string(
			json_object_object_get(d, "format"));

		if (!o)
			break;
		add(o, "pdev_path", member(d, "path"));
		add(o, "vdev", member(d, "vdev"));
		add(o, "format", json_object_new_string(fmt ? fmt : "raw"));
		ro = json_object_object_get(d, "readonly");
		add(o, "readwrite",
		    json_object_new_int(!json_object_get_boolean(ro)));
		json_object_array_add(out, o);
	}
	return out;
}

/* libxl_device_nic: devid, mac, bridge, ifname. */
static struct json_object *nics(struct json_object *config)
{
	struct json_object *list, *out = json_object_new_array();

	if (!out || !json_object_object_get_ex(config, "nics", &list))
		return out;
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *n = json_object_array_get_idx(list, i);
		struct json_object *o = json_object_new_object();

		if (!o)
			break;
		add(o, "devid", json_object_new_int((int)i));
		add(o, "mac", member(n, "mac"));
		add(o, "bridge", member(n, "bridge"));
		add(o, "ifname", member(n, "tap"));
		json_object_array_add(out, o);
	}
	return out;
}

struct json_object *xl_long_entry(struct json_object *summary)
{
	struct json_object *config = json_object_object_get(summary, "config");
	struct json_object *o = json_object_new_object(), *c, *id;
	static const char *const actions[] = { "on_poweroff", "on_reboot",
					       "on_crash" };
	static const char *const dflt[] = { "destroy", "restart", "destroy" };

	if (!o)
		return NULL;
	c = json_object_new_object();
	if (!c) {
		json_object_put(o);
		return NULL;
	}
	/* null for a shut-off domain: it has no id (docs/listing.md). */
	id = member(summary, "id");
	json_object_object_add(o, "domid", id);
	add(c, "c_info", c_info(config));
	add(c, "b_info", b_info(summary, config));
	add(c, "disks", disks(config));
	add(c, "nics", nics(config));
	for (size_t i = 0; i < 3; i++) {
		struct json_object *a = member(config, actions[i]);

		add(c, actions[i], a ? a : json_object_new_string(dflt[i]));
	}
	json_object_object_add(o, "config", c);
	return o;
}

void xl_format_uptime(char *buf, size_t size, double up, int is_short)
{
	long long s = (long long)up, day = s / 86400;
	int hour = (int)(s % 86400 / 3600), min = (int)(s % 3600 / 60);
	int sec = (int)(s % 60);
	char days[48] = "";

	if (up < 0) {
		snprintf(buf, size, "-");
		return;
	}
	if (day)
		snprintf(days, sizeof(days), "%lld day%s, ", day,
			 day == 1 ? "" : "s");
	if (is_short)
		snprintf(buf, size, "%s%2d:%02d", days, hour, min);
	else
		snprintf(buf, size, "%s%2d:%02d:%02d", days, hour, min, sec);
}

/* xenbus's states (xen/io/xenbus.h), as block-list's state column. */
#define XL_XENBUS_CONNECTED 4
#define XL_XENBUS_CLOSED 6

/* @o's string member @key, or @none. */
static const char *text(struct json_object *o, const char *key,
			const char *none)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return none;
	return json_object_get_string(v);
}

static int xenbus_state(int domid)
{
	return domid >= 0 ? XL_XENBUS_CONNECTED : XL_XENBUS_CLOSED;
}

/* xl's widths (tools/xl/xl_block.c). */
int xl_block_list_header(char *buf, size_t size)
{
	return snprintf(buf, size, "%-5s %-3s %-6s %-5s %-6s %-8s %-30s",
			"Vdev", "BE", "handle", "state", "evt-ch", "ring-ref",
			"BE-path");
}

int xl_block_list_line(char *buf, size_t size, struct json_object *disk,
		       int domid)
{
	return snprintf(buf, size, "%-5s %-3d %-6d %-5d %-6d %-8d %-30s",
			text(disk, "vdev", "-"), 0, domid < 0 ? -1 : domid,
			xenbus_state(domid), -1, -1, text(disk, "path", "-"));
}

/* xl's widths (tools/xl/xl_nic.c). */
int xl_network_list_header(char *buf, size_t size)
{
	return snprintf(buf, size, "%-3s %-2s %-17s %-6s %-5s %-6s %5s/%-5s %-30s",
			"Idx", "BE", "Mac Addr.", "handle", "state", "evt-ch",
			"tx-", "rx-ring-ref", "BE-path");
}

int xl_network_list_line(char *buf, size_t size, size_t idx,
			 struct json_object *nic, int domid)
{
	return snprintf(buf, size, "%-3zu %-2d %-17s %6d %5d %6d %5d/%-11d %-30s",
			idx, 0, text(nic, "mac", "-"), domid < 0 ? -1 : domid,
			xenbus_state(domid), -1, -1, -1,
			text(nic, "tap", "-"));
}
