// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The domain XML procedures (docs/libvirt.md, "Domain XML"): dumpxml,
 * define, create. domxml.c turns the XML into keel's configuration and
 * back; these handlers are the libkeel calls around it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "domxml.h"
#include "virt_error.h"
#include "virt_handlers.h"

/* virDomainXMLFlags: secrets (keel has none), inactive, CPU, migratable. */
#define XML_SECURE (1u << 0)
#define XML_INACTIVE (1u << 1)
#define XML_UPDATE_CPU (1u << 2)
#define XML_MIGRATABLE (1u << 3)
/* virDomainDefineFlags / virDomainCreateFlags. */
#define DEFINE_VALIDATE (1u << 0)
#define CREATE_PAUSED (1u << 0)
#define CREATE_VALIDATE (1u << 4)

/*
 * The XML, read: a configuration (put it), or NULL after
 * virt_call_error() with domxml's code and sentence.
 */
static struct json_object *xml_read(struct virt_call *call, const char *xml)
{
	struct json_object *config;
	char *msg = NULL;
	int code = DOMXML_ERR_INTERNAL;

	config = domxml_parse(xml, NULL, &code, &msg);
	if (!config)
		virt_call_error(call, code, "%s",
				msg ? msg : "The domain XML cannot be read.");
	free(msg);
	return config;
}

int virt_h_get_xml_desc(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_flags_args *a = args;
	struct vx_string_ret *r = ret;
	struct json_object *config = NULL;
	struct keel_domain d;

	/*
	 * What keel writes is already free of secrets, host CPU models and
	 * anything a destination could not take.
	 */
	if (virt_call_check_flags(call, a->flags,
				  XML_SECURE | XML_INACTIVE | XML_UPDATE_CPU |
					  XML_MIGRATABLE) ||
	    virt_dom_get(call, &a->dom, &d, &config))
		return -1;
	r->str = domxml_format(config, &d,
			       a->flags & XML_INACTIVE ? DOMXML_INACTIVE : 0);
	json_object_put(config);
	if (!r->str)
		return virt_call_nomem(call);
	return 0;
}

/*
 * libvirt's define: a new persistent domain, or, for one with the same
 * name and uuid, its next boot's definition replaced.
 */
static int define(struct virt_call *call, const char *xml, struct vx_dom *out)
{
	struct keel_conn *kc = virt_call_keel(call);
	struct json_object *config, *uuid;
	struct keel_domain d, old;
	const char *name;
	int rc = -1;

	if (!kc)
		return -1;
	config = xml_read(call, xml);
	if (!config)
		return -1;
	if (!keel_domain_define(kc, config, &d)) {
		rc = virt_dom_fill(call, out, &d);
		goto out_put;
	}
	if (keel_last_error(kc)->code != KEEL_E_DOMAIN_EXISTS) {
		virt_call_keel_error(call);
		goto out_put;
	}
	name = json_object_get_string(json_object_object_get(config, "name"));
	if (!json_object_object_get_ex(config, "uuid", &uuid) || !name ||
	    keel_domain_info(kc, name, &old, NULL) ||
	    strcasecmp(old.uuid, json_object_get_string(uuid))) {
		virt_call_error(call, VIR_ERR_DOM_EXIST,
				"A domain named %s already exists with another uuid; give its uuid to change its definition.",
				name ? name : "(none)");
		goto out_put;
	}
	if (keel_domain_config_update(kc, name, config, &d)) {
		virt_call_keel_error(call);
		goto out_put;
	}
	rc = virt_dom_fill(call, out, &d);
out_put:
	json_object_put(config);
	return rc;
}

int virt_h_define_xml(struct virt_call *call, void *args, void *ret)
{
	struct vx_define_xml_args *a = args;

	return define(call, a->xml, &((struct vx_dom_ret *)ret)->dom);
}

int virt_h_define_xml_flags(struct virt_call *call, void *args, void *ret)
{
	struct vx_define_xml_flags_args *a = args;

	/* keel always checks the XML against its grammar. */
	if (virt_call_check_flags(call, a->flags, DEFINE_VALIDATE))
		return -1;
	return define(call, a->xml, &((struct vx_dom_ret *)ret)->dom);
}

int virt_h_create_xml(struct virt_call *call, void *args, void *ret)
{
	struct vx_create_xml_args *a = args;
	struct keel_conn *kc = virt_call_keel(call);
	struct json_object *config;
	struct keel_domain d;
	int rc;

	if (!kc || virt_call_check_flags(call, a->flags,
					 CREATE_PAUSED | CREATE_VALIDATE))
		return -1;
	config = xml_read(call, a->xml);
	if (!config)
		return -1;
	rc = keel_domain_create(kc, config,
				a->flags & CREATE_PAUSED ? KEEL_START_PAUSED : 0,
				&d);
	json_object_put(config);
	if (rc)
		return virt_call_keel_error(call);
	return virt_dom_fill(call, &((struct vx_dom_ret *)ret)->dom, &d);
}
