// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writing libvirt domain XML from keel's configuration (domxml.h,
 * domxml_format()): libxml2's writer, element by element in the order
 * libvirt writes them, with the domain's live facts when asked. What is
 * written, domxml.c reads back to the same configuration.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "domxml.h"
#include "domxml_internal.h"
#include "iotune.h"

/* --- writing ------------------------------------------------------------ */

/* libxml2's writer, remembering whether any call failed (out of memory). */
struct fw {
	xmlTextWriterPtr w;
	bool failed;
};

static void fw_ok(struct fw *f, int rc)
{
	if (rc < 0)
		f->failed = true;
}

static void fw_start(struct fw *f, const char *name)
{
	fw_ok(f, xmlTextWriterStartElement(f->w, (const xmlChar *)name));
}

/* An element of keel's namespace; @first declares it. */
static void fw_start_keel(struct fw *f, const char *name, bool first)
{
	fw_ok(f, xmlTextWriterStartElementNS(
			 f->w, (const xmlChar *)DOMXML_NS_PREFIX,
			 (const xmlChar *)name,
			 first ? (const xmlChar *)DOMXML_NS : NULL));
}

static void fw_end(struct fw *f)
{
	fw_ok(f, xmlTextWriterEndElement(f->w));
}

static void fw_attr(struct fw *f, const char *name, const char *v)
{
	fw_ok(f, xmlTextWriterWriteAttribute(f->w, (const xmlChar *)name,
					     (const xmlChar *)v));
}

static void fw_attr_ll(struct fw *f, const char *name, long long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", v);
	fw_attr(f, name, buf);
}

static void fw_elem(struct fw *f, const char *name, const char *text)
{
	fw_start(f, name);
	fw_ok(f, xmlTextWriterWriteString(f->w, (const xmlChar *)text));
	fw_end(f);
}

static void fw_elem_ll(struct fw *f, const char *name, long long v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", v);
	fw_elem(f, name, buf);
}

static void fw_empty(struct fw *f, const char *name, const char *attr,
		     const char *v)
{
	fw_start(f, name);
	if (attr)
		fw_attr(f, attr, v);
	fw_end(f);
}

static const char *cfg_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* @o's integer @key, or @dflt when it has none. */
static long long cfg_int(struct json_object *o, const char *key,
			 long long dflt)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return dflt;
	return json_object_get_int64(v);
}

static struct json_object *cfg_get(struct json_object *o, const char *key,
				   json_type type)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* <bandwidth> holds a NIC's byte limits of whole KiB; the rest do not fit. */
static bool fw_in_bandwidth(struct json_object *limits, const char *key,
			    long long v)
{
	if (v <= 0 || v % 1024)
		return false;
	if (!strcmp(key, "tx_bytes_sec") || !strcmp(key, "rx_bytes_sec"))
		return true;
	/* a burst only beside its average: libvirt needs the average */
	if (!strcmp(key, "tx_bytes_burst"))
		return fw_in_bandwidth(limits, "tx_bytes_sec",
				       cfg_int(limits, "tx_bytes_sec", 0));
	if (!strcmp(key, "rx_bytes_burst"))
		return fw_in_bandwidth(limits, "rx_bytes_sec",
				       cfg_int(limits, "rx_bytes_sec", 0));
	return false;
}

/* Does NIC @nic need keel's <metadata> (an xl rate, packet limits...)? */
static bool fw_nic_needs_meta(struct json_object *nic)
{
	struct json_object *limits = cfg_get(nic, "iotune", json_type_object);

	if (cfg_get(nic, "rate", json_type_object))
		return true;
	if (limits) {
		json_object_object_foreach(limits, key, v)
		{
			long long n = json_object_get_int64(v);

			if (n && !fw_in_bandwidth(limits, key, n))
				return true;
		}
	}
	return false;
}

static void fw_metadata(struct fw *f, struct json_object *nics)
{
	size_t i, n = nics ? json_object_array_length(nics) : 0;
	bool started = false;

	for (i = 0; i < n; i++) {
		struct json_object *nic = json_object_array_get_idx(nics, i);
		struct json_object *rate = cfg_get(nic, "rate", json_type_object);
		struct json_object *limits =
			cfg_get(nic, "iotune", json_type_object);
		bool io = false;

		if (!fw_nic_needs_meta(nic))
			continue;
		if (!started) {
			fw_start(f, "metadata");
			fw_start_keel(f, "domain", true);
			started = true;
		}
		fw_start_keel(f, "nic", false);
		fw_attr_ll(f, "index", (long long)i);
		if (rate) {
			fw_start_keel(f, "rate", false);
			fw_attr_ll(f, "bytes_per_sec",
				   cfg_int(rate, "bytes_per_sec", 0));
			fw_attr_ll(f, "interval_us",
				   cfg_int(rate, "interval_us", 0));
			fw_end(f);
		}
		if (limits) {
			json_object_object_foreach(limits, key, v)
			{
				long long x = json_object_get_int64(v);

				if (!x || fw_in_bandwidth(limits, key, x))
					continue;
				if (!io)
					fw_start_keel(f, "iotune", false);
				io = true;
				fw_attr_ll(f, key, x);
			}
		}
		if (io)
			fw_end(f);
		fw_end(f);
	}
	if (started) {
		fw_end(f);
		fw_end(f);
	}
}

static void fw_memory(struct fw *f, struct json_object *cfg, long long live)
{
	struct json_object *m = cfg_get(cfg, "memory", json_type_int);
	struct json_object *mx = cfg_get(cfg, "maxmem", json_type_int);
	long long cur, max;

	/* what the configuration holds is written, even a 0 keeld refuses */
	if (!m && !mx && live <= 0)
		return;
	cur = live > 0 ? live : m ? json_object_get_int64(m) :
				    json_object_get_int64(mx);
	max = mx ? json_object_get_int64(mx) :
	      m	 ? json_object_get_int64(m) :
		   cur;
	if (cur > max)
		cur = max;
	fw_start(f, "memory");
	fw_attr(f, "unit", "KiB");
	fw_ok(f, xmlTextWriterWriteFormatString(f->w, "%lld", max * 1024));
	fw_end(f);
	fw_start(f, "currentMemory");
	fw_attr(f, "unit", "KiB");
	fw_ok(f, xmlTextWriterWriteFormatString(f->w, "%lld", cur * 1024));
	fw_end(f);
}

/* prefault is libvirt's <allocation mode='immediate'/>; false writes none. */
static void fw_memory_backing(struct fw *f, struct json_object *cfg)
{
	struct json_object *p = cfg_get(cfg, "prefault", json_type_boolean);

	if (!p || !json_object_get_boolean(p))
		return;
	fw_start(f, "memoryBacking");
	fw_empty(f, "allocation", "mode", "immediate");
	fw_end(f);
}

static void fw_vcpu(struct fw *f, struct json_object *cfg, int live)
{
	long long vcpus = cfg_int(cfg, "vcpus", 0);
	long long max = cfg_int(cfg, "maxvcpus", vcpus);
	const char *cpuset = cfg_str(cfg, "cpus");
	long long cur = live > 0 ? live : vcpus;

	if (!max && !cur && !cpuset)
		return;
	if (!max)
		max = cur ? cur : 1;
	if (!cur || cur > max)
		cur = max;
	fw_start(f, "vcpu");
	fw_attr(f, "placement", "static");
	if (cpuset)
		fw_attr(f, "cpuset", cpuset);
	if (cur < max)
		fw_attr_ll(f, "current", cur);
	fw_ok(f, xmlTextWriterWriteFormatString(f->w, "%lld", max));
	fw_end(f);
}

/* weight × 4 is cgroup v1's shares; cap as one quota for the domain. */
static void fw_cputune(struct fw *f, struct json_object *cfg)
{
	long long weight = cfg_int(cfg, "cpu_weight", 0);
	long long cap = cfg_int(cfg, "cap", 0);
	struct json_object *pins = cfg_get(cfg, "cpus", json_type_array);
	size_t i, n = pins ? json_object_array_length(pins) : 0;

	for (i = 0; i < n; i++)
		if (strcmp(json_object_get_string(
				   json_object_array_get_idx(pins, i)),
			   "all"))
			break;
	if (!weight && cap <= 0 && i == n)
		return;
	fw_start(f, "cputune");
	if (weight)
		fw_elem_ll(f, "shares", domxml_weight_to_shares(weight));
	if (cap > 0) {
		fw_elem_ll(f, "global_period", (long long)DOMXML_PERIOD_US);
		fw_elem_ll(f, "global_quota",
			   domxml_cap_to_quota(cap, DOMXML_PERIOD_US, 1));
	}
	for (i = 0; i < n; i++) {
		const char *set = json_object_get_string(
			json_object_array_get_idx(pins, i));

		/* not pinned: no vcpupin, which libvirt's own grammar wants */
		if (!set || !strcmp(set, "all"))
			continue;
		fw_start(f, "vcpupin");
		fw_attr_ll(f, "vcpu", (long long)i);
		fw_attr(f, "cpuset", set);
		fw_end(f);
	}
	fw_end(f);
}

static void fw_disk(struct fw *f, struct json_object *disk)
{
	const char *path = cfg_str(disk, "path");
	bool block = path && !strncmp(path, "/dev/", 5);
	struct json_object *ro = cfg_get(disk, "readonly", json_type_boolean);
	struct json_object *io = cfg_get(disk, "iotune", json_type_object);

	fw_start(f, "disk");
	fw_attr(f, "type", block ? "block" : "file");
	fw_attr(f, "device", "disk");
	fw_start(f, "driver");
	fw_attr(f, "name", "qemu");
	fw_attr(f, "type", "raw");
	fw_end(f);
	fw_empty(f, "source", block ? "dev" : "file", path ? path : "");
	fw_start(f, "target");
	fw_attr(f, "dev", cfg_str(disk, "vdev") ? cfg_str(disk, "vdev") : "");
	fw_attr(f, "bus", "virtio");
	fw_end(f);
	if (ro && json_object_get_boolean(ro))
		fw_empty(f, "readonly", NULL, NULL);
	if (io) {
		bool started = false;

		json_object_object_foreach(io, key, v)
		{
			if (!json_object_get_int64(v))
				continue;
			if (!started)
				fw_start(f, "iotune");
			started = true;
			fw_elem_ll(f, key, json_object_get_int64(v));
		}
		if (started)
			fw_end(f);
	}
	fw_end(f);
}

static void fw_bandwidth_dir(struct fw *f, struct json_object *limits,
			     const char *dir, const char *prefix)
{
	char key[32];
	long long avg, burst;

	snprintf(key, sizeof(key), "%s_bytes_sec", prefix);
	avg = cfg_int(limits, key, 0);
	if (!fw_in_bandwidth(limits, key, avg))
		return;
	snprintf(key, sizeof(key), "%s_bytes_burst", prefix);
	burst = cfg_int(limits, key, 0);
	fw_start(f, dir);
	fw_attr_ll(f, "average", avg / 1024);
	if (fw_in_bandwidth(limits, key, burst))
		fw_attr_ll(f, "burst", burst / 1024);
	fw_end(f);
}

static void fw_nic(struct fw *f, struct json_object *nic)
{
	struct json_object *limits = cfg_get(nic, "iotune", json_type_object);

	fw_start(f, "interface");
	fw_attr(f, "type", "bridge");
	if (cfg_str(nic, "mac"))
		fw_empty(f, "mac", "address", cfg_str(nic, "mac"));
	if (cfg_str(nic, "bridge"))
		fw_empty(f, "source", "bridge", cfg_str(nic, "bridge"));
	if (cfg_str(nic, "tap"))
		fw_empty(f, "target", "dev", cfg_str(nic, "tap"));
	fw_empty(f, "model", "type", "virtio");
	if (limits && (fw_in_bandwidth(limits, "tx_bytes_sec",
				       cfg_int(limits, "tx_bytes_sec", 0)) ||
		       fw_in_bandwidth(limits, "rx_bytes_sec",
				       cfg_int(limits, "rx_bytes_sec", 0)))) {
		fw_start(f, "bandwidth");
		fw_bandwidth_dir(f, limits, "inbound", "rx");
		fw_bandwidth_dir(f, limits, "outbound", "tx");
		fw_end(f);
	}
	fw_end(f);
}

static void fw_devices(struct fw *f, struct json_object *cfg)
{
	struct json_object *disks = cfg_get(cfg, "disks", json_type_array);
	struct json_object *nics = cfg_get(cfg, "nics", json_type_array);
	struct json_object *rng = cfg_get(cfg, "rng", json_type_boolean);
	long long mem = cfg_int(cfg, "memory", 0);
	long long max = cfg_int(cfg, "maxmem", mem);
	size_t i;

	fw_start(f, "devices");
	for (i = 0; disks && i < json_object_array_length(disks); i++)
		fw_disk(f, json_object_array_get_idx(disks, i));
	for (i = 0; nics && i < json_object_array_length(nics); i++)
		fw_nic(f, json_object_array_get_idx(nics, i));
	/* keel's guest always has its serial console */
	fw_start(f, "serial");
	fw_attr(f, "type", "pty");
	fw_empty(f, "target", "port", "0");
	fw_end(f);
	fw_start(f, "console");
	fw_attr(f, "type", "pty");
	fw_start(f, "target");
	fw_attr(f, "type", "serial");
	fw_attr(f, "port", "0");
	fw_end(f);
	fw_end(f);
	/* on unless turned off (schemas/domain.schema.json) */
	if (!rng || json_object_get_boolean(rng)) {
		fw_start(f, "rng");
		fw_attr(f, "model", "virtio");
		fw_start(f, "backend");
		fw_attr(f, "model", "random");
		fw_ok(f, xmlTextWriterWriteString(f->w,
						  (const xmlChar *)"/dev/urandom"));
		fw_end(f);
		fw_end(f);
	}
	fw_empty(f, "memballoon", "model", max > mem ? "virtio" : "none");
	fw_end(f);
}

static void fw_domain(struct fw *f, struct json_object *cfg,
		      const struct keel_domain *live)
{
	static const char *const actions[] = { "on_poweroff", "on_reboot",
					       "on_crash" };
	const char *s;

	fw_start(f, "domain");
	fw_attr(f, "type", "kvm");
	if (live && live->id >= 0)
		fw_attr_ll(f, "id", live->id);
	fw_elem(f, "name", cfg_str(cfg, "name") ? cfg_str(cfg, "name") :
		live ? live->name : "");
	s = cfg_str(cfg, "uuid");
	if (s || (live && live->uuid[0]))
		fw_elem(f, "uuid", s ? s : live->uuid);
	fw_metadata(f, cfg_get(cfg, "nics", json_type_array));
	fw_memory(f, cfg, live ? live->memory_mib : 0);
	fw_memory_backing(f, cfg);
	fw_vcpu(f, cfg, live ? live->vcpus : 0);
	fw_cputune(f, cfg);
	fw_start(f, "os");
	fw_start(f, "type");
	fw_attr(f, "arch", "x86_64");
	fw_ok(f, xmlTextWriterWriteString(f->w, (const xmlChar *)"hvm"));
	fw_end(f);
	if ((s = cfg_str(cfg, "kernel")))
		fw_elem(f, "kernel", s);
	if ((s = cfg_str(cfg, "ramdisk")))
		fw_elem(f, "initrd", s);
	if ((s = cfg_str(cfg, "cmdline")))
		fw_elem(f, "cmdline", s);
	fw_end(f);
	fw_start(f, "features");
	fw_empty(f, "acpi", NULL, NULL);
	fw_empty(f, "apic", NULL, NULL);
	fw_end(f);
	fw_empty(f, "cpu", "mode", "host-passthrough");
	fw_empty(f, "clock", "offset", "utc");
	for (int i = 0; i < 3; i++)
		if ((s = cfg_str(cfg, actions[i])))
			fw_elem(f, actions[i], s);
	fw_devices(f, cfg);
	fw_end(f);
}

char *domxml_format(struct json_object *config, const struct keel_domain *dom,
		    unsigned flags)
{
	struct fw f = { 0 };
	xmlBufferPtr buf;
	char *out = NULL;

	domxml_init();
	if (flags & DOMXML_INACTIVE)
		dom = NULL;
	buf = xmlBufferCreate();
	if (!buf)
		return NULL;
	f.w = xmlNewTextWriterMemory(buf, 0);
	if (!f.w) {
		xmlBufferFree(buf);
		return NULL;
	}
	fw_ok(&f, xmlTextWriterSetIndent(f.w, 1));
	fw_ok(&f, xmlTextWriterSetIndentString(f.w, (const xmlChar *)"  "));
	fw_ok(&f, xmlTextWriterSetQuoteChar(f.w, '\''));
	fw_domain(&f, config, dom);
	fw_ok(&f, xmlTextWriterFlush(f.w));
	xmlFreeTextWriter(f.w);
	if (!f.failed)
		out = strdup((const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	return out;
}
