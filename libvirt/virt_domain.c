// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The domain procedures (docs/libvirt.md, "The model"): a libvirt
 * domain is a keel domain with the same name and uuid, and the id keel
 * gives it while it runs (-1 otherwise). A domain argument is looked up
 * by its uuid, never by the id the client cached. Each handler is one
 * libkeel call, or two when libvirt's answer needs the domain's state
 * first; what keeld says of domains' states goes into the state cache
 * (virt_cache.c), which GET_STATE answers from when it can.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt_cache.h"
#include "virt_error.h"
#include "virt_events.h"
#include "virt_handlers.h"
#include "virt_server.h"
#include "virt_state.h"

/* virConnectListAllDomainsFlags (libvirt-domain.h). */
#define LIST_ACTIVE (1u << 0)
#define LIST_INACTIVE (1u << 1)
#define LIST_PERSISTENT (1u << 2)
#define LIST_TRANSIENT (1u << 3)
#define LIST_RUNNING (1u << 4)
#define LIST_PAUSED (1u << 5)
#define LIST_SHUTOFF (1u << 6)
#define LIST_OTHER (1u << 7)
#define LIST_MANAGEDSAVE (1u << 8)
#define LIST_NO_MANAGEDSAVE (1u << 9)
#define LIST_AUTOSTART (1u << 10)
#define LIST_NO_AUTOSTART (1u << 11)
#define LIST_HAS_SNAPSHOT (1u << 12)
#define LIST_NO_SNAPSHOT (1u << 13)
#define LIST_HAS_CHECKPOINT (1u << 14)
#define LIST_NO_CHECKPOINT (1u << 15)
#define LIST_ALL_FLAGS 0xffffu

/* virDomainCreateFlags that keel honours. */
#define START_PAUSED (1u << 0)
#define START_FORCE_BOOT (1u << 3)	/* no managed save to skip: a boot */
/* virDomainShutdownFlagValues / virDomainRebootFlagValues: keel's way. */
#define SHUTDOWN_ACPI_POWER_BTN (1u << 0)
/*
 * virDomainUndefineFlagsValues: managed save, snapshot and checkpoint
 * metadata, NVRAM and TPM state. keel keeps none of them, so asking to
 * remove or keep them is already done.
 */
#define UNDEFINE_ALL_FLAGS 0x7fu

static void uuid_format(const char *in, char out[KEEL_UUID_LEN + 1])
{
	const unsigned char *u = (const unsigned char *)in;

	snprintf(out, KEEL_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 8-4-4-4-12 hex digits: what libkeel sends as a uuid, not a name. */
static bool uuid_shaped(const char *s)
{
	size_t i;

	if (strlen(s) != KEEL_UUID_LEN)
		return false;
	for (i = 0; i < KEEL_UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : hex_digit(s[i]) < 0)
			return false;
	}
	return true;
}

/* keel's uuid text into 16 bytes. Returns 0 or -EINVAL. */
static int uuid_parse(const char *s, char out[VX_UUID_LEN])
{
	int i = 0, hi, lo;

	while (*s && i < VX_UUID_LEN) {
		if (*s == '-') {
			s++;
			continue;
		}
		hi = hex_digit(s[0]);
		lo = hi < 0 ? -1 : hex_digit(s[1]);
		if (lo < 0)
			return -EINVAL;
		out[i++] = (char)(hi << 4 | lo);
		s += 2;
	}
	return i == VX_UUID_LEN && !*s ? 0 : -EINVAL;
}

int virt_dom_fill(struct virt_call *call, struct vx_dom *out,
		  const struct keel_domain *d)
{
	if (uuid_parse(d->uuid, out->uuid))
		return virt_call_error(call, VIR_ERR_INTERNAL_ERROR,
				       "keeld gave domain %s the malformed uuid \"%s\".",
				       d->name, d->uuid);
	out->name = strdup(d->name);
	if (!out->name)
		return virt_call_nomem(call);
	out->id = d->id;
	return 0;
}

/* The state cache, or NULL for a call that came on no client. */
static struct virt_cache *call_cache(struct virt_call *call)
{
	return call->client ?
		virt_events_cache(virt_client_events(call->client)) : NULL;
}

int virt_dom_get(struct virt_call *call, const struct vx_dom *dom,
		 struct keel_domain *out, struct json_object **config)
{
	struct keel_conn *kc = virt_call_keel(call);
	struct virt_cache *vc = call_cache(call);
	unsigned long epoch = vc ? virt_cache_epoch(vc) : 0;
	char uuid[KEEL_UUID_LEN + 1];

	if (!kc)
		return -1;
	uuid_format(dom->uuid, uuid);
	if (keel_domain_info(kc, uuid, out, config))
		return virt_call_keel_error(call);
	if (vc)
		virt_cache_put(vc, epoch, out, 1);
	return 0;
}

static bool dom_active(const struct keel_domain *d)
{
	return d->id >= 0;
}

bool virt_dom_matches(const struct keel_domain *d, unsigned flags)
{
	bool active = dom_active(d);
	bool running = d->state == KEEL_STATE_RUNNING;
	bool paused = d->state == KEEL_STATE_PAUSED;
	bool shutoff = d->state == KEEL_STATE_SHUTOFF;

	if ((flags & (LIST_ACTIVE | LIST_INACTIVE)) &&
	    !((flags & LIST_ACTIVE && active) ||
	      (flags & LIST_INACTIVE && !active)))
		return false;
	if ((flags & (LIST_PERSISTENT | LIST_TRANSIENT)) &&
	    !((flags & LIST_PERSISTENT && d->persistent) ||
	      (flags & LIST_TRANSIENT && !d->persistent)))
		return false;
	if ((flags & (LIST_RUNNING | LIST_PAUSED | LIST_SHUTOFF | LIST_OTHER)) &&
	    !((flags & LIST_RUNNING && running) ||
	      (flags & LIST_PAUSED && paused) ||
	      (flags & LIST_SHUTOFF && shutoff) ||
	      (flags & LIST_OTHER && !running && !paused && !shutoff)))
		return false;
	if ((flags & (LIST_AUTOSTART | LIST_NO_AUTOSTART)) &&
	    !((flags & LIST_AUTOSTART && d->autostart) ||
	      (flags & LIST_NO_AUTOSTART && !d->autostart)))
		return false;
	/* keel has no managed save, snapshots or checkpoints. */
	if ((flags & (LIST_MANAGEDSAVE | LIST_NO_MANAGEDSAVE)) &&
	    !(flags & LIST_NO_MANAGEDSAVE))
		return false;
	if ((flags & (LIST_HAS_SNAPSHOT | LIST_NO_SNAPSHOT)) &&
	    !(flags & LIST_NO_SNAPSHOT))
		return false;
	if ((flags & (LIST_HAS_CHECKPOINT | LIST_NO_CHECKPOINT)) &&
	    !(flags & LIST_NO_CHECKPOINT))
		return false;
	return true;
}

/* keeld's domains: *@list (free() it) of *@n. */
static int dom_list(struct virt_call *call, struct keel_domain **list,
		    size_t *n)
{
	struct keel_conn *kc = virt_call_keel(call);
	struct virt_cache *vc = call_cache(call);
	unsigned long epoch = vc ? virt_cache_epoch(vc) : 0;

	if (!kc)
		return -1;
	if (keel_domain_list(kc, list, n))
		return virt_call_keel_error(call);
	if (vc)
		virt_cache_put(vc, epoch, *list, *n);
	return 0;
}

int virt_h_list_all(struct virt_call *call, void *args, void *ret)
{
	struct vx_list_all_args *a = args;
	struct vx_list_all_ret *r = ret;
	struct keel_domain *list;
	size_t i, n, count = 0;
	int rc = 0;

	if (virt_call_check_flags(call, a->flags, LIST_ALL_FLAGS) ||
	    dom_list(call, &list, &n))
		return -1;
	if (n > VX_DOMAIN_LIST_MAX) {
		free(list);
		return virt_call_error(call, VIR_ERR_INTERNAL_ERROR,
				       "keel has %zu domains, more than libvirt's protocol can list (%d).",
				       n, VX_DOMAIN_LIST_MAX);
	}
	if (a->need_results && n) {
		r->domains.domains_val = calloc(n, sizeof(struct vx_dom));
		if (!r->domains.domains_val) {
			free(list);
			return virt_call_nomem(call);
		}
	}
	for (i = 0; i < n && !rc; i++) {
		if (!virt_dom_matches(&list[i], a->flags))
			continue;
		if (a->need_results) {
			rc = virt_dom_fill(call, &r->domains.domains_val[count],
				      &list[i]);
			if (rc)
				break;
			r->domains.domains_len = (u_int)count + 1;
		}
		count++;
	}
	r->count = (unsigned)count;
	free(list);
	return rc;
}

/* How many domains are active (@active) or not. */
static int dom_count(struct virt_call *call, bool active, int *num)
{
	struct keel_domain *list;
	size_t i, n;

	if (dom_list(call, &list, &n))
		return -1;
	*num = 0;
	for (i = 0; i < n; i++)
		if (dom_active(&list[i]) == active)
			(*num)++;
	free(list);
	return 0;
}

int virt_h_num_of_domains(struct virt_call *call, void *args, void *ret)
{
	return dom_count(call, true, &((struct vx_num_ret *)ret)->num);
}

int virt_h_num_of_defined(struct virt_call *call, void *args, void *ret)
{
	return dom_count(call, false, &((struct vx_num_ret *)ret)->num);
}

int virt_h_list_domains(struct virt_call *call, void *args, void *ret)
{
	struct vx_list_ids_args *a = args;
	struct vx_list_ids_ret *r = ret;
	struct keel_domain *list;
	size_t i, n;

	if (a->max < 0 || a->max > VX_DOMAIN_LIST_MAX)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "maxids %d is not within 0 and %d.",
				       a->max, VX_DOMAIN_LIST_MAX);
	if (dom_list(call, &list, &n))
		return -1;
	r->ids.ids_val = calloc(n ? n : 1, sizeof(int));
	if (!r->ids.ids_val) {
		free(list);
		return virt_call_nomem(call);
	}
	for (i = 0; i < n && r->ids.ids_len < (u_int)a->max; i++)
		if (dom_active(&list[i]))
			r->ids.ids_val[r->ids.ids_len++] = list[i].id;
	free(list);
	return 0;
}

int virt_h_list_defined(struct virt_call *call, void *args, void *ret)
{
	struct vx_list_names_args *a = args;
	struct vx_list_names_ret *r = ret;
	struct keel_domain *list;
	size_t i, n;
	int rc = 0;

	if (a->max < 0 || a->max > VX_DOMAIN_LIST_MAX)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "maxnames %d is not within 0 and %d.",
				       a->max, VX_DOMAIN_LIST_MAX);
	if (dom_list(call, &list, &n))
		return -1;
	r->names.names_val = calloc(n ? n : 1, sizeof(char *));
	if (!r->names.names_val) {
		free(list);
		return virt_call_nomem(call);
	}
	for (i = 0; i < n && r->names.names_len < (u_int)a->max; i++) {
		if (dom_active(&list[i]))
			continue;
		r->names.names_val[r->names.names_len] = strdup(list[i].name);
		if (!r->names.names_val[r->names.names_len]) {
			rc = virt_call_nomem(call);
			break;
		}
		r->names.names_len++;
	}
	free(list);
	return rc;
}

int virt_h_lookup_by_name(struct virt_call *call, void *args, void *ret)
{
	struct vx_lookup_name_args *a = args;
	struct keel_conn *kc = virt_call_keel(call);
	struct keel_domain d;

	if (!kc)
		return -1;
	/* libkeel would take a name shaped like a uuid for the uuid. */
	if (uuid_shaped(a->name) || strlen(a->name) > KEEL_NAME_MAX)
		return virt_call_error(call, VIR_ERR_NO_DOMAIN,
				       "Domain not found: no domain with matching name '%.64s'.",
				       a->name);
	if (keel_domain_info(kc, a->name, &d, NULL))
		return virt_call_keel_error(call);
	return virt_dom_fill(call, &((struct vx_dom_ret *)ret)->dom, &d);
}

int virt_h_lookup_by_uuid(struct virt_call *call, void *args, void *ret)
{
	struct vx_lookup_uuid_args *a = args;
	struct keel_conn *kc = virt_call_keel(call);
	char uuid[KEEL_UUID_LEN + 1];
	struct keel_domain d;

	if (!kc)
		return -1;
	uuid_format(a->uuid, uuid);
	if (keel_domain_info(kc, uuid, &d, NULL))
		return virt_call_keel_error(call);
	return virt_dom_fill(call, &((struct vx_dom_ret *)ret)->dom, &d);
}

int virt_h_lookup_by_id(struct virt_call *call, void *args, void *ret)
{
	struct vx_lookup_id_args *a = args;
	struct keel_domain *list;
	size_t i, n;
	int rc;

	if (dom_list(call, &list, &n))
		return -1;
	for (i = 0; i < n; i++)
		if (a->id >= 0 && list[i].id == a->id)
			break;
	if (i == n)
		rc = virt_call_error(call, VIR_ERR_NO_DOMAIN,
				     "Domain not found: no domain with matching id %d.",
				     a->id);
	else
		rc = virt_dom_fill(call, &((struct vx_dom_ret *)ret)->dom, &list[i]);
	free(list);
	return rc;
}

int virt_h_get_state(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_flags_args *a = args;
	struct vx_get_state_ret *r = ret;
	struct virt_cache *vc = call_cache(call);
	struct keel_domain d;

	if (virt_call_check_flags(call, a->flags, 0))
		return -1;
	uuid_format(a->dom.uuid, d.uuid);
	if ((!vc || !virt_cache_get(vc, d.uuid, &d)) &&
	    virt_dom_get(call, &a->dom, &d, NULL))
		return -1;
	r->state = d.state;
	r->reason = virt_state_reason(d.state, d.reason);
	return 0;
}

/* @dom's summary, and its maxmem in MiB (its memory when it has none). */
static int dom_get_max(struct virt_call *call, const struct vx_dom *dom,
		       struct keel_domain *d, long long *max_mib)
{
	struct json_object *config = NULL, *maxmem;

	if (virt_dom_get(call, dom, d, &config))
		return -1;
	*max_mib = d->memory_mib;
	if (json_object_object_get_ex(config, "maxmem", &maxmem) &&
	    json_object_get_int64(maxmem) > *max_mib)
		*max_mib = json_object_get_int64(maxmem);
	json_object_put(config);
	return 0;
}

int virt_h_get_max_memory(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_args *a = args;
	struct keel_domain d;
	long long max_mib;

	if (dom_get_max(call, &a->dom, &d, &max_mib))
		return -1;
	((struct vx_memory_ret *)ret)->memory = (u_quad_t)max_mib * 1024;
	return 0;
}

int virt_h_get_info(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_args *a = args;
	struct vx_get_info_ret *r = ret;
	struct keel_domain d;
	long long max_mib;

	if (dom_get_max(call, &a->dom, &d, &max_mib))
		return -1;
	r->state = (u_char)d.state;
	r->max_mem = (u_quad_t)max_mib * 1024;
	r->memory = (u_quad_t)d.memory_mib * 1024;
	r->nr_vcpus = (u_short)d.vcpus;
	r->cpu_time = (u_quad_t)(d.cpu_time * 1e9);
	return 0;
}

int virt_h_get_os_type(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_args *a = args;
	struct vx_string_ret *r = ret;
	struct keel_domain d;

	if (virt_dom_get(call, &a->dom, &d, NULL))
		return -1;
	/* keel's guests are full virtual machines. */
	r->str = strdup("hvm");
	return r->str ? 0 : virt_call_nomem(call);
}

int virt_h_is_active(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_args *a = args;
	struct keel_domain d;

	if (virt_dom_get(call, &a->dom, &d, NULL))
		return -1;
	((struct vx_int_ret *)ret)->value = dom_active(&d);
	return 0;
}

int virt_h_is_persistent(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_args *a = args;
	struct keel_domain d;

	if (virt_dom_get(call, &a->dom, &d, NULL))
		return -1;
	((struct vx_int_ret *)ret)->value = d.persistent;
	return 0;
}

int virt_h_is_updated(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_args *a = args;
	struct keel_domain d;

	/* keeld does not say whether the next boot's definition differs. */
	if (virt_dom_get(call, &a->dom, &d, NULL))
		return -1;
	((struct vx_int_ret *)ret)->value = 0;
	return 0;
}

int virt_h_get_autostart(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_args *a = args;
	struct keel_domain d;

	if (virt_dom_get(call, &a->dom, &d, NULL))
		return -1;
	((struct vx_int_ret *)ret)->value = d.autostart;
	return 0;
}

int virt_h_has_managed_save(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_flags_args *a = args;
	struct keel_domain d;

	/* keel has no managed save; the domain must exist all the same. */
	if (virt_call_check_flags(call, a->flags, 0) ||
	    virt_dom_get(call, &a->dom, &d, NULL))
		return -1;
	((struct vx_int_ret *)ret)->value = 0;
	return 0;
}

int virt_h_snapshot_num(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_flags_args *a = args;
	struct keel_domain d;

	/*
	 * keel has no snapshots (virsh undefine asks before it undefines);
	 * the flags only filter which snapshots count.
	 */
	if (virt_dom_get(call, &a->dom, &d, NULL))
		return -1;
	((struct vx_num_ret *)ret)->num = 0;
	return 0;
}

/*
 * The lifecycle calls below share one shape: the uuid of @dom, then one
 * libkeel call on it. @out gets keeld's summary after.
 */
enum dom_action {
	ACT_START,
	ACT_START_PAUSED,
	ACT_DESTROY,
	ACT_PAUSE,
	ACT_UNPAUSE,
	ACT_SHUTDOWN,
	ACT_REBOOT,
	ACT_UNDEFINE,
	ACT_AUTOSTART_ON,
	ACT_AUTOSTART_OFF,
};

static int dom_act(struct virt_call *call, const struct vx_dom *dom,
		   enum dom_action act, struct keel_domain *out)
{
	struct keel_conn *kc = virt_call_keel(call);
	char uuid[KEEL_UUID_LEN + 1];
	int rc = -1;

	if (!kc)
		return -1;
	uuid_format(dom->uuid, uuid);
	switch (act) {
	case ACT_START:
		rc = keel_domain_start(kc, uuid, 0, out);
		break;
	case ACT_START_PAUSED:
		rc = keel_domain_start(kc, uuid, KEEL_START_PAUSED, out);
		break;
	case ACT_DESTROY:
		rc = keel_domain_destroy(kc, uuid, out);
		break;
	case ACT_PAUSE:
		rc = keel_domain_pause(kc, uuid, out);
		break;
	case ACT_UNPAUSE:
		rc = keel_domain_unpause(kc, uuid, out);
		break;
	case ACT_SHUTDOWN:
		/* libvirt's shutdown asks and returns; no forced stop. */
		rc = keel_domain_shutdown(kc, uuid, 0, 0, out);
		break;
	case ACT_REBOOT:
		rc = keel_domain_reboot(kc, uuid, out);
		break;
	case ACT_UNDEFINE:
		rc = keel_domain_undefine(kc, uuid);
		break;
	case ACT_AUTOSTART_ON:
	case ACT_AUTOSTART_OFF:
		rc = keel_domain_autostart(kc, uuid, act == ACT_AUTOSTART_ON,
					   out);
		break;
	}
	return rc ? virt_call_keel_error(call) : 0;
}

int virt_h_create(struct virt_call *call, void *args, void *ret)
{
	return dom_act(call, &((struct vx_dom_args *)args)->dom, ACT_START,
		       NULL);
}

int virt_h_create_with_flags(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_flags_args *a = args;
	struct keel_domain d;

	if (virt_call_check_flags(call, a->flags,
				  START_PAUSED | START_FORCE_BOOT) ||
	    dom_act(call, &a->dom,
		    a->flags & START_PAUSED ? ACT_START_PAUSED : ACT_START,
		    &d))
		return -1;
	return virt_dom_fill(call, &((struct vx_dom_ret *)ret)->dom, &d);
}

int virt_h_destroy(struct virt_call *call, void *args, void *ret)
{
	return dom_act(call, &((struct vx_dom_args *)args)->dom, ACT_DESTROY,
		       NULL);
}

int virt_h_destroy_flags(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_flags_args *a = args;

	/* GRACEFUL (a SIGTERM only) is not keel's destroy: refused. */
	if (virt_call_check_flags(call, a->flags, 0))
		return -1;
	return dom_act(call, &a->dom, ACT_DESTROY, NULL);
}

int virt_h_suspend(struct virt_call *call, void *args, void *ret)
{
	return dom_act(call, &((struct vx_dom_args *)args)->dom, ACT_PAUSE,
		       NULL);
}

int virt_h_resume(struct virt_call *call, void *args, void *ret)
{
	return dom_act(call, &((struct vx_dom_args *)args)->dom, ACT_UNPAUSE,
		       NULL);
}

int virt_h_shutdown(struct virt_call *call, void *args, void *ret)
{
	return dom_act(call, &((struct vx_dom_args *)args)->dom,
		       ACT_SHUTDOWN, NULL);
}

int virt_h_shutdown_flags(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_flags_args *a = args;

	/* keel's shutdown is the ACPI power button; no agent, no signal. */
	if (virt_call_check_flags(call, a->flags, SHUTDOWN_ACPI_POWER_BTN))
		return -1;
	return dom_act(call, &a->dom, ACT_SHUTDOWN, NULL);
}

int virt_h_reboot(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_flags_args *a = args;

	if (virt_call_check_flags(call, a->flags, SHUTDOWN_ACPI_POWER_BTN))
		return -1;
	return dom_act(call, &a->dom, ACT_REBOOT, NULL);
}

int virt_h_undefine(struct virt_call *call, void *args, void *ret)
{
	return dom_act(call, &((struct vx_dom_args *)args)->dom,
		       ACT_UNDEFINE, NULL);
}

int virt_h_undefine_flags(struct virt_call *call, void *args, void *ret)
{
	struct vx_dom_flags_args *a = args;

	if (virt_call_check_flags(call, a->flags, UNDEFINE_ALL_FLAGS))
		return -1;
	return dom_act(call, &a->dom, ACT_UNDEFINE, NULL);
}

int virt_h_set_autostart(struct virt_call *call, void *args, void *ret)
{
	struct vx_set_autostart_args *a = args;

	return dom_act(call, &a->dom,
		       a->autostart ? ACT_AUTOSTART_ON : ACT_AUTOSTART_OFF,
		       NULL);
}

int virt_h_rename(struct virt_call *call, void *args, void *ret)
{
	struct vx_rename_args *a = args;
	struct keel_conn *kc = virt_call_keel(call);
	char uuid[KEEL_UUID_LEN + 1];

	if (!kc || virt_call_check_flags(call, a->flags, 0))
		return -1;
	if (!a->new_name || !**a->new_name)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "A domain's new name must not be empty.");
	uuid_format(a->dom.uuid, uuid);
	if (keel_domain_rename(kc, uuid, *a->new_name, NULL))
		return virt_call_keel_error(call);
	((struct vx_rename_ret *)ret)->retcode = 0;
	return 0;
}
