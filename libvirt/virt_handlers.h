/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_VIRT_HANDLERS_H
#define KEEL_VIRT_HANDLERS_H

/*
 * The handlers of virt_procs.c's table (virt_procs.h, virt_handler):
 * the connection's and the host's in virt_conn.c and virt_caps.c, the
 * domains' in virt_domain.c.
 */

#include "virt_procs.h"

/* virt_conn.c */
int virt_h_open(struct virt_call *call, void *args, void *ret);
int virt_h_close(struct virt_call *call, void *args, void *ret);
int virt_h_get_type(struct virt_call *call, void *args, void *ret);
int virt_h_get_version(struct virt_call *call, void *args, void *ret);
int virt_h_get_lib_version(struct virt_call *call, void *args, void *ret);
int virt_h_get_hostname(struct virt_call *call, void *args, void *ret);
int virt_h_get_uri(struct virt_call *call, void *args, void *ret);
int virt_h_node_get_info(struct virt_call *call, void *args, void *ret);
int virt_h_supports_feature(struct virt_call *call, void *args, void *ret);
int virt_h_auth_list(struct virt_call *call, void *args, void *ret);
int virt_h_security_model(struct virt_call *call, void *args, void *ret);
int virt_h_is_secure(struct virt_call *call, void *args, void *ret);
int virt_h_close_callback(struct virt_call *call, void *args, void *ret);

/* virt_caps.c */
int virt_h_get_capabilities(struct virt_call *call, void *args, void *ret);
int virt_h_domain_capabilities(struct virt_call *call, void *args, void *ret);
int virt_h_get_sysinfo(struct virt_call *call, void *args, void *ret);
int virt_h_get_max_vcpus(struct virt_call *call, void *args, void *ret);

/* virt_domain.c */

/* @d as the client names it; the name is malloc'd (xdr_free's). */
int virt_dom_fill(struct virt_call *call, struct vx_dom *out,
		  const struct keel_domain *d);
/*
 * The domain @dom names (by its uuid) as keeld has it now; *@config
 * (NULL: not wanted) its configuration, which the caller puts.
 */
int virt_dom_get(struct virt_call *call, const struct vx_dom *dom,
		 struct keel_domain *out, struct json_object **config);

int virt_h_list_all(struct virt_call *call, void *args, void *ret);
int virt_h_num_of_domains(struct virt_call *call, void *args, void *ret);
int virt_h_list_domains(struct virt_call *call, void *args, void *ret);
int virt_h_num_of_defined(struct virt_call *call, void *args, void *ret);
int virt_h_list_defined(struct virt_call *call, void *args, void *ret);
int virt_h_lookup_by_name(struct virt_call *call, void *args, void *ret);
int virt_h_lookup_by_uuid(struct virt_call *call, void *args, void *ret);
int virt_h_lookup_by_id(struct virt_call *call, void *args, void *ret);
int virt_h_get_state(struct virt_call *call, void *args, void *ret);
int virt_h_get_info(struct virt_call *call, void *args, void *ret);
int virt_h_get_max_memory(struct virt_call *call, void *args, void *ret);
int virt_h_get_os_type(struct virt_call *call, void *args, void *ret);
int virt_h_is_active(struct virt_call *call, void *args, void *ret);
int virt_h_is_persistent(struct virt_call *call, void *args, void *ret);
int virt_h_is_updated(struct virt_call *call, void *args, void *ret);
int virt_h_get_autostart(struct virt_call *call, void *args, void *ret);
int virt_h_set_autostart(struct virt_call *call, void *args, void *ret);
int virt_h_has_managed_save(struct virt_call *call, void *args, void *ret);
int virt_h_snapshot_num(struct virt_call *call, void *args, void *ret);
int virt_h_create(struct virt_call *call, void *args, void *ret);
int virt_h_create_with_flags(struct virt_call *call, void *args, void *ret);
int virt_h_destroy(struct virt_call *call, void *args, void *ret);
int virt_h_destroy_flags(struct virt_call *call, void *args, void *ret);
int virt_h_suspend(struct virt_call *call, void *args, void *ret);
int virt_h_resume(struct virt_call *call, void *args, void *ret);
int virt_h_shutdown(struct virt_call *call, void *args, void *ret);
int virt_h_shutdown_flags(struct virt_call *call, void *args, void *ret);
int virt_h_reboot(struct virt_call *call, void *args, void *ret);
int virt_h_undefine(struct virt_call *call, void *args, void *ret);
int virt_h_undefine_flags(struct virt_call *call, void *args, void *ret);
int virt_h_rename(struct virt_call *call, void *args, void *ret);

/* virt_xml.c */
int virt_h_get_xml_desc(struct virt_call *call, void *args, void *ret);
int virt_h_define_xml(struct virt_call *call, void *args, void *ret);
int virt_h_define_xml_flags(struct virt_call *call, void *args, void *ret);
int virt_h_create_xml(struct virt_call *call, void *args, void *ret);

/* virt_events.c */
int virt_h_event_register_any(struct virt_call *call, void *args, void *ret);
int virt_h_event_deregister_any(struct virt_call *call, void *args,
				void *ret);

/* virt_stream.c */
int virt_h_open_console(struct virt_call *call, void *args, void *ret);

#endif /* KEEL_VIRT_HANDLERS_H */
