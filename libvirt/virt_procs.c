// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The one table of keel-virtd's procedures (docs/libvirt.md) and the
 * path every call takes through it: decode the arguments with the
 * table's XDR, run the handler, encode its answer or its error. The
 * numbers are libvirt's remote program's (libvirt 9.0.0); a procedure
 * not here is answered VIR_ERR_NO_SUPPORT by the server.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "virt_error.h"
#include "virt_events.h"
#include "virt_frame.h"
#include "virt_handlers.h"
#include "virt_procs.h"
#include "virt_server.h"

#define R VIRT_PROC_READ
#define P VIRT_PROC_PREOPEN
#define L VIRT_PROC_LOOP
#define X(t) (xdrproc_t)xdr_##t, sizeof(t)
#define NONE NULL, 0

const struct virt_proc virt_procs[] = {
	{ 1, "CONNECT_OPEN", X(vx_open_args), NONE, virt_h_open, R | P | L },
	{ 2, "CONNECT_CLOSE", NONE, NONE, virt_h_close, R | P | L },
	{ 3, "CONNECT_GET_TYPE", NONE, X(vx_string_ret), virt_h_get_type,
	  R | L },
	{ 4, "CONNECT_GET_VERSION", NONE, X(vx_version_ret),
	  virt_h_get_version, R },
	{ 5, "CONNECT_GET_MAX_VCPUS", X(vx_max_vcpus_args), X(vx_int_ret),
	  virt_h_get_max_vcpus, R | L },
	{ 6, "NODE_GET_INFO", NONE, X(vx_node_info_ret), virt_h_node_get_info,
	  R },
	{ 7, "CONNECT_GET_CAPABILITIES", NONE, X(vx_string_ret),
	  virt_h_get_capabilities, R },
	{ 9, "DOMAIN_CREATE", X(vx_dom_args), NONE, virt_h_create, 0 },
	{ 10, "DOMAIN_CREATE_XML", X(vx_create_xml_args), X(vx_dom_ret),
	  virt_h_create_xml, 0 },
	{ 11, "DOMAIN_DEFINE_XML", X(vx_define_xml_args), X(vx_dom_ret),
	  virt_h_define_xml, 0 },
	{ 12, "DOMAIN_DESTROY", X(vx_dom_args), NONE, virt_h_destroy, 0 },
	{ 14, "DOMAIN_GET_XML_DESC", X(vx_dom_flags_args), X(vx_string_ret),
	  virt_h_get_xml_desc, R },
	{ 15, "DOMAIN_GET_AUTOSTART", X(vx_dom_args), X(vx_int_ret),
	  virt_h_get_autostart, R },
	{ 16, "DOMAIN_GET_INFO", X(vx_dom_args), X(vx_get_info_ret),
	  virt_h_get_info, R },
	{ 17, "DOMAIN_GET_MAX_MEMORY", X(vx_dom_args), X(vx_memory_ret),
	  virt_h_get_max_memory, R },
	{ 18, "DOMAIN_GET_MAX_VCPUS", X(vx_dom_args),
	  X(vx_int_ret), virt_h_get_dom_max_vcpus, R },
	{ 19, "DOMAIN_GET_OS_TYPE", X(vx_dom_args), X(vx_string_ret),
	  virt_h_get_os_type, R },
	{ 20, "DOMAIN_GET_VCPUS", X(vx_get_vcpus_args),
	  X(vx_get_vcpus_ret), virt_h_get_vcpus, R },
	{ 21, "CONNECT_LIST_DEFINED_DOMAINS", X(vx_list_names_args),
	  X(vx_list_names_ret), virt_h_list_defined, R },
	{ 22, "DOMAIN_LOOKUP_BY_ID", X(vx_lookup_id_args), X(vx_dom_ret),
	  virt_h_lookup_by_id, R },
	{ 23, "DOMAIN_LOOKUP_BY_NAME", X(vx_lookup_name_args), X(vx_dom_ret),
	  virt_h_lookup_by_name, R },
	{ 24, "DOMAIN_LOOKUP_BY_UUID", X(vx_lookup_uuid_args), X(vx_dom_ret),
	  virt_h_lookup_by_uuid, R },
	{ 25, "CONNECT_NUM_OF_DEFINED_DOMAINS", NONE, X(vx_num_ret),
	  virt_h_num_of_defined, R },
	{ 26, "DOMAIN_PIN_VCPU", X(vx_pin_vcpu_args),
	  NONE, virt_h_pin_vcpu, 0 },
	{ 27, "DOMAIN_REBOOT", X(vx_dom_flags_args), NONE, virt_h_reboot, 0 },
	{ 28, "DOMAIN_RESUME", X(vx_dom_args), NONE, virt_h_resume, 0 },
	{ 29, "DOMAIN_SET_AUTOSTART", X(vx_set_autostart_args), NONE,
	  virt_h_set_autostart, 0 },
	{ 30, "DOMAIN_SET_MAX_MEMORY", X(vx_set_memory_args),
	  NONE, virt_h_set_max_memory, 0 },
	{ 31, "DOMAIN_SET_MEMORY", X(vx_set_memory_args),
	  NONE, virt_h_set_memory, 0 },
	{ 32, "DOMAIN_SET_VCPUS", X(vx_set_vcpus_args),
	  NONE, virt_h_set_vcpus, 0 },
	{ 33, "DOMAIN_SHUTDOWN", X(vx_dom_args), NONE, virt_h_shutdown, 0 },
	{ 34, "DOMAIN_SUSPEND", X(vx_dom_args), NONE, virt_h_suspend, 0 },
	{ 35, "DOMAIN_UNDEFINE", X(vx_dom_args), NONE, virt_h_undefine, 0 },
	{ 37, "CONNECT_LIST_DOMAINS", X(vx_list_ids_args), X(vx_list_ids_ret),
	  virt_h_list_domains, R },
	{ 51, "CONNECT_NUM_OF_DOMAINS", NONE, X(vx_num_ret),
	  virt_h_num_of_domains, R },
	{ 54, "DOMAIN_RESTORE", X(vx_restore_args), NONE, virt_h_restore, 0 },
	{ 55, "DOMAIN_SAVE", X(vx_save_args), NONE, virt_h_save, 0 },
	{ 56, "DOMAIN_GET_SCHEDULER_TYPE", X(vx_dom_args),
	  X(vx_sched_type_ret), virt_h_get_sched_type, R },
	{ 57, "DOMAIN_GET_SCHEDULER_PARAMETERS", X(vx_get_sched_args),
	  X(vx_sched_params_ret), virt_h_get_sched, R },
	{ 58, "DOMAIN_SET_SCHEDULER_PARAMETERS", X(vx_set_sched_args),
	  NONE, virt_h_set_sched, 0 },
	{ 59, "CONNECT_GET_HOSTNAME", NONE, X(vx_string_ret),
	  virt_h_get_hostname, R },
	{ 60, "CONNECT_SUPPORTS_FEATURE", X(vx_supports_feature_args),
	  X(vx_supports_feature_ret), virt_h_supports_feature, R | P | L },
	{ 64, "DOMAIN_BLOCK_STATS", X(vx_dom_path_args),
	  X(vx_block_stats_ret), virt_h_block_stats, R },
	{ 65, "DOMAIN_INTERFACE_STATS", X(vx_dom_path_args),
	  X(vx_interface_stats_ret), virt_h_interface_stats, R },
	{ 66, "AUTH_LIST", NONE, X(vx_auth_list_ret), virt_h_auth_list,
	  R | P | L },
	{ 110, "CONNECT_GET_URI", NONE, X(vx_string_ret), virt_h_get_uri,
	  R | L },
	{ 122, "NODE_GET_SECURITY_MODEL", NONE, X(vx_security_model_ret),
	  virt_h_security_model, R | L },
	{ 149, "CONNECT_IS_SECURE", NONE, X(vx_int_ret), virt_h_is_secure,
	  R | L },
	{ 150, "DOMAIN_IS_ACTIVE", X(vx_dom_args), X(vx_int_ret),
	  virt_h_is_active, R },
	{ 151, "DOMAIN_IS_PERSISTENT", X(vx_dom_args), X(vx_int_ret),
	  virt_h_is_persistent, R },
	{ 157, "CONNECT_GET_LIB_VERSION", NONE, X(vx_version_ret),
	  virt_h_get_lib_version, R | L },
	{ 159, "DOMAIN_MEMORY_STATS", X(vx_memory_stats_args),
	  X(vx_memory_stats_ret), virt_h_memory_stats, R },
	{ 163, "DOMAIN_GET_JOB_INFO", X(vx_dom_args), X(vx_job_info_ret),
	  virt_h_get_job_info, R },
	{ 164, "DOMAIN_ABORT_JOB", X(vx_dom_args), NONE, virt_h_abort_job, 0 },
	{ 166, "DOMAIN_MIGRATE_SET_MAX_DOWNTIME",
	  X(vx_migrate_set_max_downtime_args), NONE,
	  virt_h_migrate_set_max_downtime, 0 },
	{ 183, "DOMAIN_HAS_MANAGED_SAVE_IMAGE", X(vx_dom_flags_args),
	  X(vx_int_ret), virt_h_has_managed_save, R },
	{ 187, "DOMAIN_SNAPSHOT_NUM", X(vx_dom_flags_args), X(vx_num_ret),
	  virt_h_snapshot_num, R },
	{ 196, "DOMAIN_CREATE_WITH_FLAGS", X(vx_dom_flags_args),
	  X(vx_dom_ret), virt_h_create_with_flags, 0 },
	{ 199, "DOMAIN_SET_VCPUS_FLAGS", X(vx_set_vcpus_flags_args),
	  NONE, virt_h_set_vcpus_flags, 0 },
	{ 200, "DOMAIN_GET_VCPUS_FLAGS", X(vx_dom_flags_args),
	  X(vx_int_ret), virt_h_get_vcpus_flags, R },
	{ 201, "DOMAIN_OPEN_CONSOLE", X(vx_open_console_args), NONE,
	  virt_h_open_console, 0 },
	{ 202, "DOMAIN_IS_UPDATED", X(vx_dom_args), X(vx_int_ret),
	  virt_h_is_updated, R },
	{ 203, "CONNECT_GET_SYSINFO", X(vx_flags_args), X(vx_string_ret),
	  virt_h_get_sysinfo, R | L },
	{ 204, "DOMAIN_SET_MEMORY_FLAGS", X(vx_set_memory_flags_args),
	  NONE, virt_h_set_memory_flags, 0 },
	{ 207, "DOMAIN_MIGRATE_SET_MAX_SPEED",
	  X(vx_migrate_set_max_speed_args), NONE,
	  virt_h_migrate_set_max_speed, 0 },
	{ 212, "DOMAIN_GET_STATE", X(vx_dom_flags_args), X(vx_get_state_ret),
	  virt_h_get_state, R },
	{ 219, "DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS", X(vx_set_sched_flags_args),
	  NONE, virt_h_set_sched_flags, 0 },
	{ 223, "DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS", X(vx_get_sched_flags_args),
	  X(vx_sched_params_ret), virt_h_get_sched_flags, R },
	{ 225, "DOMAIN_PIN_VCPU_FLAGS", X(vx_pin_vcpu_flags_args),
	  NONE, virt_h_pin_vcpu_flags, 0 },
	{ 230, "DOMAIN_GET_VCPU_PIN_INFO", X(vx_vcpu_pin_info_args),
	  X(vx_vcpu_pin_info_ret), virt_h_get_vcpu_pin_info, R },
	{ 231, "DOMAIN_UNDEFINE_FLAGS", X(vx_dom_flags_args), NONE,
	  virt_h_undefine_flags, 0 },
	{ 232, "DOMAIN_SAVE_FLAGS", X(vx_save_flags_args), NONE,
	  virt_h_save_flags, 0 },
	{ 233, "DOMAIN_RESTORE_FLAGS", X(vx_restore_flags_args), NONE,
	  virt_h_restore_flags, 0 },
	{ 234, "DOMAIN_DESTROY_FLAGS", X(vx_dom_flags_args), NONE,
	  virt_h_destroy_flags, 0 },
	{ 243, "DOMAIN_BLOCK_STATS_FLAGS", X(vx_dev_params_args),
	  X(vx_params_ret), virt_h_block_stats_flags, R },
	{ 252, "DOMAIN_SET_BLOCK_IO_TUNE", X(vx_set_dev_params_args),
	  NONE, virt_h_set_block_io_tune, 0 },
	{ 253, "DOMAIN_GET_BLOCK_IO_TUNE", X(vx_get_iotune_args),
	  X(vx_params_ret), virt_h_get_block_io_tune, R },
	{ 256, "DOMAIN_SET_INTERFACE_PARAMETERS", X(vx_set_dev_params_args),
	  NONE, virt_h_set_interface_params, 0 },
	{ 257, "DOMAIN_GET_INTERFACE_PARAMETERS", X(vx_dev_params_args),
	  X(vx_params_ret), virt_h_get_interface_params, R },
	{ 258, "DOMAIN_SHUTDOWN_FLAGS", X(vx_dom_flags_args), NONE,
	  virt_h_shutdown_flags, 0 },
	{ 273, "CONNECT_LIST_ALL_DOMAINS", X(vx_list_all_args),
	  X(vx_list_all_ret), virt_h_list_all, R },
	{ 293, "NODE_GET_CPU_MAP", X(vx_cpu_map_args), X(vx_cpu_map_ret),
	  virt_h_node_get_cpu_map, R },
	{ 298, "DOMAIN_GET_JOB_STATS", X(vx_dom_flags_args),
	  X(vx_job_stats_ret), virt_h_get_job_stats, R },
	{ 305, "DOMAIN_MIGRATE_PERFORM3_PARAMS",
	  X(vx_migrate_perform3_params_args),
	  X(vx_migrate_perform3_params_ret), virt_h_migrate_perform3_params,
	  0 },
	{ 316, "CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY",
	  X(vx_event_register_any_args), X(vx_event_register_any_ret),
	  virt_h_event_register_any, R | L },
	{ 317, "CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY",
	  X(vx_event_deregister_any_args), NONE, virt_h_event_deregister_any,
	  R | L },
	{ 342, "CONNECT_GET_DOMAIN_CAPABILITIES",
	  X(vx_domain_capabilities_args), X(vx_string_ret),
	  virt_h_domain_capabilities, R },
	{ 344, "CONNECT_GET_ALL_DOMAIN_STATS", X(vx_all_stats_args),
	  X(vx_all_stats_ret), virt_h_get_all_stats, R },
	{ 350, "DOMAIN_DEFINE_XML_FLAGS", X(vx_define_xml_flags_args),
	  X(vx_dom_ret), virt_h_define_xml_flags, 0 },
	{ 358, "DOMAIN_RENAME", X(vx_rename_args), X(vx_rename_ret),
	  virt_h_rename, 0 },
	{ 360, "CONNECT_REGISTER_CLOSE_CALLBACK", NONE, NONE,
	  virt_h_close_callback, R | L },
	{ 361, "CONNECT_UNREGISTER_CLOSE_CALLBACK", NONE, NONE,
	  virt_h_close_callback, R | L },
};

#undef R
#undef P
#undef L
#undef X
#undef NONE

const size_t virt_nr_procs = sizeof(virt_procs) / sizeof(virt_procs[0]);

const struct virt_proc *virt_proc_find(int proc)
{
	size_t lo = 0, hi = virt_nr_procs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (virt_procs[mid].proc == proc)
			return &virt_procs[mid];
		if (virt_procs[mid].proc < proc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int virt_call_error(struct virt_call *call, int code, const char *fmt, ...)
{
	va_list ap;

	free(call->message);
	call->message = NULL;
	call->code = code;
	call->domain = VIR_FROM_DOM;
	va_start(ap, fmt);
	if (vasprintf(&call->message, fmt, ap) < 0)
		call->message = NULL;
	va_end(ap);
	return -1;
}

int virt_call_nomem(struct virt_call *call)
{
	return virt_call_error(call, VIR_ERR_NO_MEMORY,
			       "keel-virtd is out of memory.");
}

/*
 * Between calls keeld sends a worker's connection nothing (it subscribes
 * to no events): a socket that polls readable is at its end, keeld went
 * away since. Asking now, before the call, means no call is sent into a
 * dead connection and none needs to be sent twice.
 */
static bool keel_stale(struct keel_conn *kc)
{
	struct pollfd p = { .fd = keel_event_fd(kc), .events = POLLIN };

	return poll(&p, 1, 0) != 0;
}

struct keel_conn *virt_call_keel(struct virt_call *call)
{
	char *err = NULL;

	if (!call->keel) {
		virt_call_error(call, VIR_ERR_INTERNAL_ERROR,
				"%s cannot ask keeld from the event loop.",
				call->proc->name);
		return NULL;
	}
	if (*call->keel && keel_stale(*call->keel)) {
		keel_close(*call->keel);
		*call->keel = NULL;
	}
	if (*call->keel)
		return *call->keel;
	if (keel_connect(call->opts->keeld, call->keel, &err)) {
		virt_call_error(call, VIR_ERR_SYSTEM_ERROR, "%s",
				err ? err : "Cannot connect to keeld.");
		log_warn_limited("%s: %s", __func__,
				 err ? err : "cannot connect to keeld");
		free(err);
		*call->keel = NULL;
		return NULL;
	}
	return *call->keel;
}

int virt_call_keel_error(struct virt_call *call)
{
	const struct keel_error *e = keel_last_error(*call->keel);

	return virt_call_error(call, virt_error_from_keel(e->code), "%s",
			       e->message ? e->message :
					    "keeld refused the request.");
}

int virt_call_check_flags(struct virt_call *call, unsigned flags,
			  unsigned allowed)
{
	if (flags & ~allowed)
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "%s: keel does not support the flags %#x.",
				       call->proc->name, flags & ~allowed);
	return 0;
}

int virt_reply_error(const struct vx_header *h, int code, int domain,
		     const char *message, uint8_t **out, size_t *out_len)
{
	char *msg = (char *)message;
	struct vx_header rh = *h;
	struct vx_error e = {
		.code = code,
		.domain = domain,
		.message = &msg,
		.level = VIR_ERR_LEVEL_ERROR,
	};

	rh.type = VX_REPLY;
	rh.status = VX_ERROR;
	return virt_msg_encode(&rh, (xdrproc_t)xdr_vx_error, &e, out,
			       out_len) ? -ENOMEM : 0;
}

int virt_proc_run(struct virt_call *call, const struct vx_header *h,
		  const uint8_t *payload, size_t len, uint8_t **out,
		  size_t *out_len)
{
	const struct virt_proc *p = call->proc;
	struct virt_events *ev =
		call->client ? virt_client_events(call->client) : NULL;
	void *args = NULL, *ret = NULL;
	struct vx_header rh = *h;
	int rc = -1;

	if ((p->args_size && !(args = calloc(1, p->args_size))) ||
	    (p->ret_size && !(ret = calloc(1, p->ret_size)))) {
		virt_call_error(call, VIR_ERR_NO_MEMORY,
				"keel-virtd is out of memory.");
		goto out_reply;
	}
	if (virt_payload_decode(payload, len, p->args_xdr, args)) {
		virt_call_error(call, VIR_ERR_RPC,
				"The arguments of %s do not decode.", p->name);
		call->domain = VIR_FROM_RPC;
		goto out_reply;
	}
	/*
	 * What a read-only connection may not call may change domains:
	 * the state cache waits for its events (virt_cache.c).
	 */
	if (ev && !(p->flags & VIRT_PROC_READ))
		virt_events_change_begin(ev);
	rc = p->fn(call, args, ret);
	if (ev && !(p->flags & VIRT_PROC_READ))
		virt_events_change_end(ev);
	if (p->args_xdr)
		xdr_free(p->args_xdr, args);
	if (!rc) {
		rh.type = VX_REPLY;
		rh.status = VX_OK;
		rc = virt_msg_encode(&rh, p->ret_xdr, ret, out, out_len);
		if (rc == -EMSGSIZE)
			virt_call_error(call, VIR_ERR_RPC,
					"The answer of %s is longer than libvirt's limit of a message.",
					p->name);
		else if (rc)
			virt_call_error(call, VIR_ERR_INTERNAL_ERROR,
					"The answer of %s does not encode.",
					p->name);
	}
	if (p->ret_xdr)
		xdr_free(p->ret_xdr, ret);
out_reply:
	free(args);
	free(ret);
	if (rc)
		rc = virt_reply_error(h, call->code, call->domain,
				      call->message ? call->message :
						      "keel-virtd is out of memory.",
				      out, out_len);
	free(call->message);
	call->message = NULL;
	return rc;
}
