// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One item of `vif = [...]`: a specification in the syntax of
 * xl-network-configuration(5), as far as keel supports it, turned into
 * a NIC of the JSON model ({mac, bridge, tap, rate}).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xlcfg_internal.h"

/* Linux's dev_valid_name(): what a tap or bridge may be called. */
static bool is_ifname(const char *s)
{
	size_t i;

	if (!*s || strlen(s) > 15 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (i = 0; s[i]; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]))
			return false;
	return true;
}

static int vif_mac(const struct xlcfg_errs *e, const struct xlcfg_val *v,
		   const char *mac, struct json_object **out)
{
	char buf[18];
	int i;

	for (i = 0; i < 17; i++) {
		bool colon = i % 3 == 2;

		if (colon ? mac[i] != ':' : !isxdigit((unsigned char)mac[i]))
			break;
		buf[i] = (char)tolower((unsigned char)mac[i]);
	}
	if (i != 17 || mac[17])
		return xlcfg_spec_fail(e, "vif", v,
				       "'%s' is not a MAC address; write six hex pairs, such as 00:16:3e:12:34:56.",
				       mac);
	buf[17] = '\0';
	if (xlcfg_hexval(buf[1]) & 1)
		return xlcfg_spec_fail(e, "vif", v,
				       "MAC address %s is a multicast address; a NIC needs a unicast one (even first byte), such as 00:16:3e:12:34:56.",
				       buf);
	return xlcfg_new_or_enomem(json_object_new_string(buf), out);
}

/*
 * A whole number of at most 2^32 - 1 (xl's limit) at *@p, moved past.
 * False if there is none, or it is 0 or too large.
 */
static bool vif_number(const char **p, uint64_t *n)
{
	const char *s = *p;

	*n = 0;
	if (!isdigit((unsigned char)*s))
		return false;
	for (; isdigit((unsigned char)*s); s++) {
		*n = *n * 10 + (uint64_t)(*s - '0');
		if (*n > UINT32_MAX)
			return false;
	}
	*p = s;
	return *n > 0;
}

/*
 * xl's "RATE/s[@INTERVAL]" (xl-network-configuration(5)): RATE a whole
 * number with K, M or G (powers of 1000) and B for bytes or b for bits;
 * INTERVAL a whole number of us, ms or s, 50ms when absent. Into
 * {bytes_per_sec, interval_us}. A bare INTERVAL, whose unit xl's manual
 * and xl itself disagree on, is refused (keel.cfg(5)).
 */
static int vif_rate(const struct xlcfg_errs *e, const struct xlcfg_val *v,
		    const char *rate, struct json_object **out)
{
	static const char *const units[] = { "s", "ms", "us" };
	static const uint64_t us_per[] = { 1000000, 1000, 1 };
	uint64_t bytes, mult = 1, interval = 50000;
	const char *p = rate;
	struct json_object *o;
	bool ok;

	ok = vif_number(&p, &bytes);
	if (ok && *p && strchr("KMG", *p)) {
		mult = *p == 'K' ? 1000 : *p == 'M' ? 1000000 : 1000000000;
		p++;
	}
	ok = ok && (*p == 'B' || *p == 'b') && !strncmp(p + 1, "/s", 2) &&
	     (!p[3] || p[3] == '@');
	if (!ok)
		return xlcfg_spec_fail(e, "vif", v,
				       "rate '%s' is not RATE/s[@INTERVAL]; write a whole number from 1 with B (bytes) or b (bits), optionally after K, M or G, as in rate=10Mb/s or rate=1MB/s@20ms.",
				       rate);
	bytes *= mult;
	if (p[0] == 'b')
		bytes /= 8;
	if (!bytes)
		return xlcfg_spec_fail(e, "vif", v,
				       "rate '%s' is less than one byte per second.",
				       rate);
	p += 3;
	if (*p == '@') {
		const char *unit = ++p;
		size_t i;

		ok = vif_number(&unit, &interval);
		for (i = 0; ok && i < 3 && strcmp(unit, units[i]); i++)
			;
		if (!ok || i == 3 || interval * us_per[i] > UINT32_MAX)
			return xlcfg_spec_fail(e, "vif", v,
					       "rate interval '%s' is not a time; write a whole number with us, ms or s, from 1us to 4294s, as in rate=1MB/s@20ms.",
					       p);
		interval *= us_per[i];
	}
	o = json_object_new_object();
	if (!o || json_object_object_add(o, "bytes_per_sec",
					 json_object_new_int64((int64_t)bytes)) ||
	    json_object_object_add(o, "interval_us",
				   json_object_new_int64((int64_t)interval))) {
		json_object_put(o);
		return -ENOMEM;
	}
	*out = o;
	return 0;
}

/*
 * xl's vif options keel does not apply, and why (keel.cfg(5),
 * "NETWORK INTERFACES"): ignored with a warning when the guest would
 * not notice, refused when it would or when the host's network would
 * be set up differently from what the file asks.
 */
static const struct {
	const char *key;
	bool refused;
	const char *why;
} vif_others[] = {
	{ "ip", false, "Xen's vif-route and vif-nat scripts use it, and keel only adds taps to bridges (vif-bridge)" },
	{ "type", false, "a keel NIC is always virtio-net, whether the file asks for vif or ioemu" },
	{ "model", false, "it picks an emulated NIC for HVM guests, and a keel NIC is always virtio-net" },
	{ "mtu", false, "keel's virtio-net does not tell the guest an MTU; set it in the guest and on the bridge" },
	{ "devid", false, "the guest numbers its NICs in the order of vif" },
	{ "gatewaydev", false, "Xen's vif-route and vif-nat scripts use it, and keel only adds taps to bridges (vif-bridge)" },
	{ "netdev", false, "Xen's vif-route and vif-nat scripts use it, and keel only adds taps to bridges (vif-bridge)" },
	{ "accel", false, "keel has no network accelerators" },
	{ "trusted", false, "keel does not sort NICs into trusted and untrusted" },
	{ "untrusted", false, "keel does not sort NICs into trusted and untrusted" },
	{ "backend", true, "keel's own virtio-net is the only backend; there are no driver domains" },
	{ "forwarddev", true, "keel does not replicate domains (COLO)" },
	{ "colo_forward_dev", true, "keel does not replicate domains (COLO)" },
};

/*
 * script=: vif-bridge, xl's default, is what keel does; any other
 * script would set up the host's network differently.
 */
static int vif_script(const struct xlcfg_errs *e, const struct xlcfg_val *v,
		      const char *script)
{
	const char *base = strrchr(script, '/');

	base = base ? base + 1 : script;
	if (!strcmp(base, "vif-bridge"))
		return 0;
	return xlcfg_spec_fail(e, "vif", v,
			       "script '%s' is refused: keel adds the NIC's tap to a bridge, as vif-bridge does, and runs no other script.",
			       script);
}

/* Another xl vif option: 0 with a warning, an error, or -ENOENT. */
static int vif_other(const struct xlcfg_errs *e, const struct xlcfg_val *v,
		     const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(vif_others) / sizeof(vif_others[0]); i++) {
		if (strcmp(vif_others[i].key, key))
			continue;
		if (vif_others[i].refused)
			return xlcfg_spec_fail(e, "vif", v,
					       "'%s' is refused: %s.", key,
					       vif_others[i].why);
		return xlcfg_spec_warn(e, "vif", v, "'%s' is ignored: %s.",
				       key, vif_others[i].why);
	}
	return -ENOENT;
}

int xlcfg_vif_parse(const struct xlcfg_errs *e, const struct xlcfg_val *v,
		    struct json_object **out)
{
	struct json_object *o, *field;
	char *copy, *tok, *save = NULL;
	int rc = -ENOMEM;

	o = json_object_new_object();
	copy = strdup(v->str);
	if (!o || !copy)
		goto out;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *key = xlcfg_trim(tok), *val = strchr(key, '=');
		const char *json = key;

		if (!*key)
			continue;
		if (!val) {
			rc = xlcfg_spec_fail(e, "vif", v,
					     "'%s' has no value; vif parameters are written key=value.",
					     key);
			goto out;
		}
		*val = '\0';
		key = xlcfg_trim(key);
		val = xlcfg_trim(val + 1);
		if (!strcmp(key, "vifname"))
			json = "tap";
		if (json_object_object_get_ex(o, json, NULL)) {
			rc = xlcfg_spec_fail(e, "vif", v, "'%s' is given twice.",
					     key);
			goto out;
		}
		field = NULL;
		if (!strcmp(key, "script")) {
			rc = vif_script(e, v, val);
			if (rc)
				goto out;
			continue;
		}
		rc = vif_other(e, v, key);
		if (rc == 0)
			continue;
		if (rc != -ENOENT)
			goto out;
		if (!strcmp(key, "mac")) {
			rc = vif_mac(e, v, val, &field);
		} else if (!strcmp(key, "rate")) {
			rc = vif_rate(e, v, val, &field);
		} else if (!strcmp(key, "bridge") ||
			   !strcmp(key, "vifname")) {
			if (is_ifname(val))
				rc = xlcfg_new_or_enomem(
					json_object_new_string(val), &field);
			else
				rc = xlcfg_spec_fail(e, "vif", v,
						     "%s '%s' is not a network interface name; use 1 to 15 characters other than '/', ':' and spaces.",
						     key, val);
		} else {
			rc = xlcfg_spec_fail(e, "vif", v,
					     "'%s' is not a vif parameter; use mac, bridge, vifname or rate.",
					     key);
		}
		if (!rc && json_object_object_add(o, json, field)) {
			json_object_put(field);
			rc = -ENOMEM;
		}
		if (rc)
			goto out;
	}
	*out = o;
	o = NULL;
	rc = 0;
out:
	json_object_put(o);
	free(copy);
	return rc;
}
