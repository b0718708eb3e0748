// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The devices of libvirt domain XML in keel's configuration, for
 * map_domain() (domxml_map.c): <disk> and <interface> into disks and
 * nics, each list checked for a target dev or MAC address given twice;
 * keel's own NIC <metadata> (rate, the I/O limits <bandwidth> cannot
 * say); <rng>; and the one <memballoon> refusal. The decisions are in
 * docs/libvirt.md, "The mapping".
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "domxml.h"
#include "domxml_internal.h"
#include "iotune.h"

/* --- small helpers ------------------------------------------------------ */

/* The disk names of schemas/domain.schema.json: (xvd|vd|hd|sd)[a-z]{1,3}. */
static bool dx_is_vdev(const char *s)
{
	size_t n;

	if (!s)
		return false;
	s += !strncmp(s, "xvd", 3) ? 3 :
	     (!strncmp(s, "vd", 2) || !strncmp(s, "hd", 2) ||
	      !strncmp(s, "sd", 2)) ?
					2 :
					0;
	n = strlen(s);
	if (n < 1 || n > 3)
		return false;
	for (; *s; s++)
		if (*s < 'a' || *s > 'z')
			return false;
	return true;
}

/* Six hex pairs with ':', unicast (the first byte even). */
static bool dx_is_mac(const char *s)
{
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
	return !s[17] && !(strchr("13579bdfBDF", s[1]) && s[1]);
}

/* Linux's rules for an interface name, as schemas/ spells them. */
static bool dx_is_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 15)
		return false;
	for (; *s; s++)
		if (strchr("/:,=", *s) || isspace((unsigned char)*s) ||
		    iscntrl((unsigned char)*s))
			return false;
	return true;
}

/* --- the devices -------------------------------------------------------- */

/* Is @o's @key the string @s? */
static bool dx_same(struct json_object *o, const char *key, const char *s)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	       !strcmp(json_object_get_string(v), s);
}

/* Does another item of @arr before @item have @key equal to @item's? */
static bool dx_dup(struct json_object *arr, struct json_object *item,
		   const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(item, key, &v))
		return false;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (dx_same(json_object_array_get_idx(arr, i), key,
			    json_object_get_string(v)))
			return true;
	return false;
}

static int map_disk(struct dx_map *m, xmlNode *n, struct json_object *disk)
{
	xmlNode *src = dx_child(n, "source", false);
	xmlNode *io = dx_child(n, "iotune", false);
	struct json_object *limits;
	char *type, *path, *dev;
	bool file;
	int rc;

	type = dx_attr(m->d, n, "type", &rc);
	if (rc)
		return rc;
	file = !type || !strcmp(type, "file");
	free(type);
	path = dx_attr(m->d, src, file ? "file" : "dev", &rc);
	if (!rc && !path)
		rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<disk type='%s'> needs <source %s='PATH'/>.",
			     file ? "file" : "block", file ? "file" : "dev");
	dev = rc ? NULL :
		   dx_attr(m->d, dx_child(n, "target", false), "dev", &rc);
	if (!rc && !dx_is_vdev(dev))
		rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<target dev='%.64s'> of <disk> is not a disk name keel knows; use vda, vdb and so on (xvdX, sdX and hdX are read as xl reads them).",
			     dev ? dev : "");
	if (!rc)
		rc = dx_add_str(m->d, disk, "vdev", dev);
	if (!rc)
		rc = dx_add_str(m->d, disk, "path", path);
	free(dev);
	free(path);
	/* keel reads raw images only: the model says so, as xl's does */
	if (!rc)
		rc = dx_add_str(m->d, disk, "format", "raw");
	if (!rc)
		rc = dx_add(m->d, disk, "readonly",
			    json_object_new_boolean(
				    dx_child(n, "readonly", false) != NULL));
	if (rc || !io)
		return rc;
	limits = json_object_new_object();
	rc = dx_add(m->d, disk, "iotune", limits);
	for (xmlNode *c = io->children; c && !rc; c = c->next) {
		unsigned long long v;

		if (c->type != XML_ELEMENT_NODE)
			continue;
		rc = dx_num(m->d, c, NULL, &v, NULL);
		if (!rc && v > IOTUNE_VALUE_MAX)
			rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
				     "<%s> is %llu; keel's largest limit is %llu.",
				     dx_name(c), v, IOTUNE_VALUE_MAX);
		if (!rc && v)
			rc = dx_add_int(m->d, limits, dx_name(c), (long long)v);
	}
	/* limits of 0 are none: no iotune, as the XML will say (fuzz_domxml) */
	if (!rc && !json_object_object_length(limits))
		json_object_object_del(disk, "iotune");
	return rc;
}

/* libvirt's <inbound>/<outbound>: average in KiB/s, burst in KiB. */
static int map_bandwidth(struct dx_map *m, xmlNode *bw, const char *dir,
			 const char *prefix, struct json_object *limits)
{
	xmlNode *n = dx_child(bw, dir, false);
	unsigned long long avg, burst;
	bool has_burst;
	char key[32];
	int rc;

	if (!n)
		return 0;
	rc = dx_num(m->d, n, "average", &avg, NULL);
	if (!rc)
		rc = dx_num(m->d, n, "burst", &burst, &has_burst);
	if (rc)
		return rc;
	if (avg > IOTUNE_VALUE_MAX / 1024 || burst > IOTUNE_VALUE_MAX / 1024)
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<%s> asks for more than keel's largest limit, %llu KiB.",
			       dir, IOTUNE_VALUE_MAX / 1024);
	snprintf(key, sizeof(key), "%s_bytes_sec", prefix);
	rc = avg ? dx_add_int(m->d, limits, key, (long long)avg * 1024) : 0;
	snprintf(key, sizeof(key), "%s_bytes_burst", prefix);
	if (!rc && burst)
		rc = dx_add_int(m->d, limits, key, (long long)burst * 1024);
	return rc;
}

/* <@elem @attr='NAME'/> of <interface> @n, a Linux interface name. */
static int map_ifname(struct dx_map *m, xmlNode *n, const char *elem,
		      const char *attr, struct json_object *nic,
		      const char *key)
{
	int rc;
	char *s = dx_attr(m->d, dx_child(n, elem, false), attr, &rc);

	if (!rc && s && !dx_is_ifname(s))
		rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<%s %s='%.64s'> of <interface> is not a network interface name: 1 to 15 characters, none of them '/', ':', ',', '=' or white space.",
			     elem, attr, s);
	if (!rc && s)
		rc = dx_add_str(m->d, nic, key, s);
	free(s);
	return rc;
}

static int map_nic(struct dx_map *m, xmlNode *n, struct json_object *nic)
{
	xmlNode *bw = dx_child(n, "bandwidth", false);
	struct json_object *limits;
	char *mac;
	int rc;

	mac = dx_attr(m->d, dx_child(n, "mac", false), "address", &rc);
	for (char *p = mac; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (!rc && mac && !dx_is_mac(mac))
		rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			     "<mac address='%.64s'> is not a unicast MAC address; write six hex pairs with an even first byte, such as 52:54:00:12:34:56.",
			     mac);
	if (!rc && mac)
		rc = dx_add_str(m->d, nic, "mac", mac);
	free(mac);
	if (!rc)
		rc = map_ifname(m, n, "source", "bridge", nic, "bridge");
	if (!rc)
		rc = map_ifname(m, n, "target", "dev", nic, "tap");
	if (rc || !bw)
		return rc;
	limits = json_object_new_object();
	rc = dx_add(m->d, nic, "iotune", limits);
	if (!rc)
		rc = map_bandwidth(m, bw, "outbound", "tx", limits);
	if (!rc)
		rc = map_bandwidth(m, bw, "inbound", "rx", limits);
	if (!rc && !json_object_object_length(limits))
		json_object_object_del(nic, "iotune");
	return rc;
}

/* A list of the <@name> elements of <devices>, each read by @fn. */
static int map_list(struct dx_map *m, xmlNode *devs, const char *name,
		    const char *unique, enum dx_field f,
		    int (*fn)(struct dx_map *, xmlNode *, struct json_object *))
{
	struct json_object *arr = NULL, *item;
	int rc = 0;

	for (xmlNode *c = devs ? devs->children : NULL; c && !rc;
	     c = c->next) {
		if (c->type != XML_ELEMENT_NODE || strcmp(dx_name(c), name))
			continue;
		if (!arr) {
			arr = json_object_new_array();
			if (!arr)
				return dx_nomem(m->d);
		}
		item = json_object_new_object();
		if (!item)
			rc = dx_nomem(m->d);
		if (!rc)
			rc = fn(m, c, item);
		if (!rc && dx_dup(arr, item, unique)) {
			struct json_object *v;

			json_object_object_get_ex(item, unique, &v);
			rc = dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
				     "Two <%s> elements use %s %s; each must have its own.",
				     name, !strcmp(unique, "mac") ?
						   "MAC address" :
						   "target dev",
				     json_object_get_string(v));
		}
		if (!rc && json_object_array_add(arr, item))
			rc = dx_nomem(m->d);
		if (rc)
			json_object_put(item);
	}
	if (rc) {
		json_object_put(arr);
		return rc;
	}
	return arr ? map_set(m, f, arr) : 0;
}

/* keel's own <metadata>: what <interface> cannot say of NIC @index. */
static int map_keel_nic(struct dx_map *m, xmlNode *n)
{
	xmlNode *rate = dx_child(n, "rate", true);
	xmlNode *io = dx_child(n, "iotune", true);
	struct json_object *nic, *limits, *o;
	unsigned long long index, v;
	int rc = dx_num(m->d, n, "index", &index, NULL);

	if (rc)
		return rc;
	if (!m->f[F_NICS] || index >= json_object_array_length(m->f[F_NICS]))
		return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
			       "<keel:nic index='%llu'> names an <interface> the domain does not have; index counts them from 0.",
			       index);
	nic = json_object_array_get_idx(m->f[F_NICS], index);
	if (rate) {
		unsigned long long bps, us;

		if (json_object_object_get_ex(nic, "rate", NULL))
			return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
				       "NIC %llu has two <keel:nic> elements; give one.",
				       index);
		rc = dx_num(m->d, rate, "bytes_per_sec", &bps, NULL);
		if (!rc)
			rc = dx_num(m->d, rate, "interval_us", &us, NULL);
		if (rc)
			return rc;
		o = json_object_new_object();
		rc = dx_add(m->d, nic, "rate", o);
		if (!rc)
			rc = dx_add_int(m->d, o, "bytes_per_sec", (long long)bps);
		if (!rc)
			rc = dx_add_int(m->d, o, "interval_us", (long long)us);
		if (rc)
			return rc;
	}
	if (!io)
		return 0;
	if (!json_object_object_get_ex(nic, "iotune", &limits)) {
		limits = json_object_new_object();
		rc = dx_add(m->d, nic, "iotune", limits);
	}
	for (xmlAttr *a = io->properties; a && !rc; a = a->next) {
		const char *key = (const char *)a->name;
		bool set;

		if (json_object_object_get_ex(limits, key, NULL))
			return dx_fail(m->d, DOMXML_ERR_XML_DETAIL,
				       "NIC %llu's %s is given twice, in <bandwidth> and in keel's <metadata>; give it once.",
				       index, key);
		rc = dx_num(m->d, io, key, &v, &set);
		if (!rc && v)
			rc = dx_add_int(m->d, limits, key, (long long)v);
	}
	if (!rc && !json_object_object_length(limits))
		json_object_object_del(nic, "iotune");
	return rc;
}

int map_devices(struct dx_map *m, xmlNode *root)
{
	xmlNode *devs = dx_child(root, "devices", false);
	xmlNode *meta = dx_child(dx_child(root, "metadata", false), "domain",
				 true);
	xmlNode *balloon = dx_child(devs, "memballoon", false);
	int rc;

	rc = map_list(m, devs, "disk", "vdev", F_DISKS, map_disk);
	if (!rc)
		rc = map_list(m, devs, "interface", "mac", F_NICS, map_nic);
	for (xmlNode *c = meta ? meta->children : NULL; c && !rc; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			rc = map_keel_nic(m, c);
	if (!rc)
		rc = map_set(m, F_RNG,
			     json_object_new_boolean(
				     dx_child(devs, "rng", false) != NULL));
	if (!rc && balloon && m->f[F_MAXMEM]) {
		char *model = dx_attr(m->d, balloon, "model", &rc);

		if (!rc && model && !strcmp(model, "none"))
			rc = dx_fail(m->d, DOMXML_ERR_UNSUPPORTED,
				     "keel does not support <memballoon model='none'> with <currentMemory> below <memory>: the difference is the balloon's; give equal sizes, or keep the balloon.");
		free(model);
	}
	return rc;
}
