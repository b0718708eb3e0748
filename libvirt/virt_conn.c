// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The connection's procedures (docs/libvirt.md): the prelude every
 * client sends (AUTH_LIST, CONNECT_SUPPORTS_FEATURE, CONNECT_OPEN), and
 * what a client asks of the host: type, versions, hostname, URI,
 * NODE_GET_INFO. The host's facts are keeld's (host.info), so that they
 * are those of the host keel-virtd manages; the topology, which keeld
 * does not report, is virt_host.c's.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt_error.h"
#include "virt_handlers.h"
#include "virt_host.h"
#include "virt_server.h"

/* What keel-virtd says it is (CONNECT_GET_TYPE; man/keel-virtd.8). */
#define VIRT_TYPE "KEEL"

/* libvirt's driver features (VIR_DRV_FEATURE_*) a client asks about. */
#define VIR_DRV_FEATURE_MIGRATION_P2P 4
#define VIR_DRV_FEATURE_PROGRAM_KEEPALIVE 10
#define VIR_DRV_FEATURE_MIGRATION_PARAMS 13
#define VIR_DRV_FEATURE_REMOTE_EVENT_CALLBACK 14
#define VIR_DRV_FEATURE_REMOTE_CLOSE_CALLBACK 15
/* CONNECT_OPEN's flag. */
#define VIR_CONNECT_RO (1u << 0)

static int set_string(struct virt_call *call, char **dst, const char *s)
{
	*dst = strdup(s);
	if (!*dst)
		return virt_call_nomem(call);
	return 0;
}

/* "1.2.3" as libvirt's 1000000 * major + 1000 * minor + micro. */
static unsigned long long version_number(const char *v)
{
	unsigned long long major = 0, minor = 0, micro = 0;

	sscanf(v, "%llu.%llu.%llu", &major, &minor, &micro);
	return major * 1000000 + minor * 1000 + micro;
}

int virt_h_open(struct virt_call *call, void *args, void *ret)
{
	struct vx_open_args *a = args;
	const char *name = a->name ? *a->name : NULL;

	/* virsh -c keel:///system sends this name; NULL or "": the default. */
	if (name && *name && strcmp(name, VIRT_URI)) {
		virt_call_error(call, VIR_ERR_NO_CONNECT,
				"keel-virtd answers to %s, not to %s.",
				VIRT_URI, name);
		call->domain = VIR_FROM_RPC;
		return -1;
	}
	if (virt_call_check_flags(call, a->flags, VIR_CONNECT_RO))
		return -1;
	virt_client_set_open(call->client, a->flags & VIR_CONNECT_RO);
	return 0;
}

int virt_h_close(struct virt_call *call, void *args, void *ret)
{
	virt_client_set_closed(call->client);
	return 0;
}

int virt_h_get_type(struct virt_call *call, void *args, void *ret)
{
	struct vx_string_ret *r = ret;

	return set_string(call, &r->str, VIRT_TYPE);
}

int virt_h_get_version(struct virt_call *call, void *args, void *ret)
{
	struct keel_conn *kc = virt_call_keel(call);
	struct vx_version_ret *r = ret;
	struct keel_host_info info;

	if (!kc)
		return -1;
	if (keel_host_info(kc, &info))
		return virt_call_keel_error(call);
	r->ver = version_number(info.version);
	return 0;
}

int virt_h_get_lib_version(struct virt_call *call, void *args, void *ret)
{
	struct vx_version_ret *r = ret;

	r->ver = version_number(PACKAGE_VERSION);
	return 0;
}

int virt_h_get_hostname(struct virt_call *call, void *args, void *ret)
{
	struct keel_conn *kc = virt_call_keel(call);
	struct vx_string_ret *r = ret;
	struct keel_host_info info;

	if (!kc)
		return -1;
	if (keel_host_info(kc, &info))
		return virt_call_keel_error(call);
	return set_string(call, &r->str, info.hostname);
}

int virt_h_get_uri(struct virt_call *call, void *args, void *ret)
{
	struct vx_string_ret *r = ret;

	return set_string(call, &r->str, VIRT_URI);
}

int virt_h_node_get_info(struct virt_call *call, void *args, void *ret)
{
	struct keel_conn *kc = virt_call_keel(call);
	struct vx_node_info_ret *r = ret;
	struct keel_host_info info;
	int sockets, cores, threads;

	if (!kc)
		return -1;
	if (keel_host_info(kc, &info))
		return virt_call_keel_error(call);
	snprintf(r->model, sizeof(r->model), "x86_64");
	r->memory = (unsigned long long)info.memory_mib * 1024;
	r->cpus = info.nr_cpus;
	r->mhz = virt_host_mhz();
	r->nodes = 1;
	if (virt_host_topology(info.nr_cpus, &sockets, &cores, &threads)) {
		sockets = 1;
		cores = info.nr_cpus;
		threads = 1;
	}
	r->sockets = sockets;
	r->cores = cores;
	r->threads = threads;
	return 0;
}

int virt_h_supports_feature(struct virt_call *call, void *args, void *ret)
{
	struct vx_supports_feature_args *a = args;
	struct vx_supports_feature_ret *r = ret;

	switch (a->feature) {
	case VIR_DRV_FEATURE_PROGRAM_KEEPALIVE:
		virt_client_enable_keepalive(call->client);
		r->supported = 1;
		break;
	case VIR_DRV_FEATURE_REMOTE_CLOSE_CALLBACK:
	case VIR_DRV_FEATURE_REMOTE_EVENT_CALLBACK:
	/* virsh migrate --p2p: one PERFORM3_PARAMS (virt_migrate.c). */
	case VIR_DRV_FEATURE_MIGRATION_P2P:
	case VIR_DRV_FEATURE_MIGRATION_PARAMS:
		r->supported = 1;
		break;
	default:
		r->supported = 0;
	}
	return 0;
}

int virt_h_auth_list(struct virt_call *call, void *args, void *ret)
{
	struct vx_auth_list_ret *r = ret;

	/* The socket's mode is the authentication: REMOTE_AUTH_NONE. */
	r->types.types_val = calloc(1, sizeof(int));
	if (!r->types.types_val)
		return virt_call_nomem(call);
	r->types.types_len = 1;
	return 0;
}

int virt_h_security_model(struct virt_call *call, void *args, void *ret)
{
	/* No security driver: empty model and doi, and virsh asks no more. */
	return 0;
}

int virt_h_is_secure(struct virt_call *call, void *args, void *ret)
{
	struct vx_int_ret *r = ret;

	/* A UNIX socket on this host: nobody can listen in. */
	r->value = 1;
	return 0;
}

int virt_h_close_callback(struct virt_call *call, void *args, void *ret)
{
	/*
	 * The client's close callback runs on its side when the connection
	 * breaks; the server has nothing to keep for it.
	 */
	return 0;
}
