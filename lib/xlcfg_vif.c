// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One item of `vif = [...]`: a specification in the syntax of
 * xl-network-configuration(5), as far as keel supports it, turned into
 * a NIC of the JSON model ({mac, bridge, tap}).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
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

static const char *const vif_unsupported[] = {
	"ip", "script", "backend", "type", "model", "gatewaydev", "accel",
	"devid", "mtu", "netdev", "trusted", "untrusted", "forwarddev",
	"colo_forward_dev", NULL
};

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
		if (!strcmp(key, "mac")) {
			rc = vif_mac(e, v, val, &field);
		} else if (!strcmp(key, "rate")) {
			/* keel.cfg(5); keeld refuses a rate the same way */
			rc = xlcfg_spec_fail(e, "vif", v,
					     "a NIC rate limit (rate) is not supported yet; remove it from the file (keel.cfg(5), \"Not supported yet\").");
		} else if (!strcmp(key, "bridge") ||
			   !strcmp(key, "vifname")) {
			if (is_ifname(val))
				rc = xlcfg_new_or_enomem(
					json_object_new_string(val), &field);
			else
				rc = xlcfg_spec_fail(e, "vif", v,
						     "%s '%s' is not a network interface name; use 1 to 15 characters other than '/', ':' and spaces.",
						     key, val);
		} else if (xlcfg_in_list(key, vif_unsupported)) {
			rc = xlcfg_spec_fail(e, "vif", v,
					     "'%s' is an xl vif option keel does not support.",
					     key);
		} else {
			rc = xlcfg_spec_fail(e, "vif", v,
					     "'%s' is not a vif parameter; use mac, bridge or vifname.",
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
