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

/*
 * Does @d pass the filter @flags of CONNECT_LIST_ALL_DOMAINS
 * (virConnectListAllDomainsFlags)? Its low eight bits are
 * CONNECT_GET_ALL_DOMAIN_STATS's filters too, with the same meanings.
 */
bool virt_dom_matches(const struct keel_domain *d, unsigned flags);

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

/* virt_stats.c */

/* virDomainStatsTypes keel fills: state, cpu-total, balloon, vcpu, ... */
#define VIRT_STATS_STATE (1u << 0)
#define VIRT_STATS_CPU_TOTAL (1u << 1)
#define VIRT_STATS_BALLOON (1u << 2)
#define VIRT_STATS_VCPU (1u << 3)
#define VIRT_STATS_INTERFACE (1u << 4)
#define VIRT_STATS_BLOCK (1u << 5)
#define VIRT_STATS_ALL 0x3fu

struct virt_plist;

/*
 * @d's record of the @groups (VIRT_STATS_*) in libvirt's field names
 * into @l: from keeld's sample @st (DomainStats; NULL for a domain not
 * running, which then has only what its configuration @config says).
 * Returns 0 or -ENOMEM.
 */
int virt_stats_fill(struct virt_plist *l, const struct keel_domain *d,
		    struct json_object *st, struct json_object *config,
		    unsigned groups);

int virt_h_get_all_stats(struct virt_call *call, void *args, void *ret);
int virt_h_block_stats(struct virt_call *call, void *args, void *ret);
int virt_h_block_stats_flags(struct virt_call *call, void *args, void *ret);
int virt_h_interface_stats(struct virt_call *call, void *args, void *ret);
int virt_h_memory_stats(struct virt_call *call, void *args, void *ret);

/* virt_tune.c: memory, I/O limits, and the checks all tuning makes. */

/* virDomainModificationImpact. */
#define AFFECT_LIVE (1u << 0)
#define AFFECT_CONFIG (1u << 1)
#define AFFECT_ALL (AFFECT_LIVE | AFFECT_CONFIG)
/* virTypedParameterFlags: the remote client always sends it. */
#define PARAM_STRING_OKAY (1u << 2)

/*
 * @dom's summary and (when @config) configuration, after @flags' check
 * (@allowed, and --live/--config against what keel does) for a change,
 * or for a reading (@read). 0, or -1 after virt_call_error().
 */
int virt_tune_dom(struct virt_call *call, const vx_dom *dom, unsigned flags,
		  unsigned allowed, bool read, const char *what,
		  struct keel_domain *d, struct json_object **config);
/* @config's integer @key, or @dflt when it has none. */
long long virt_tune_cfg_ll(struct json_object *config, const char *key,
			   long long dflt);
/* @p's value as a number in *@v; 0, or -1 after virt_call_error(). */
int virt_tune_param_num(struct virt_call *call, const vx_param *p,
			long long *v);
/* Do @p (@n) name only fields of @known, each once? 0, or -1 after error. */
int virt_tune_params_check(struct virt_call *call, const vx_param *p, u_int n,
			   const char *const *known, const char *what);

int virt_h_set_max_memory(struct virt_call *call, void *args, void *ret);
int virt_h_set_memory(struct virt_call *call, void *args, void *ret);
int virt_h_set_memory_flags(struct virt_call *call, void *args, void *ret);
int virt_h_get_block_io_tune(struct virt_call *call, void *args, void *ret);
int virt_h_set_block_io_tune(struct virt_call *call, void *args, void *ret);
int virt_h_get_interface_params(struct virt_call *call, void *args,
				void *ret);
int virt_h_set_interface_params(struct virt_call *call, void *args,
				void *ret);

/* virt_tune_cpu.c: vCPUs, pinning, the scheduler. */

/*
 * keel's CPU weight and cap as libvirt's posix scheduler parameters
 * (cpu_shares, vcpu_period/quota, global_period/quota) into @l, by
 * domain XML's <cputune> mapping; 0 or -ENOMEM.
 */
int virt_sched_fill(struct virt_plist *l, int weight, int cap, int vcpus);
/*
 * The parameters @p (@n) a client set, as keel's weight and cap (-1:
 * unchanged) for a domain of @vcpus. 0, or -1 after virt_call_error().
 */
int virt_sched_parse(struct virt_call *call, const vx_param *p, u_int n,
		     int vcpus, int *weight, int *cap);

int virt_h_set_vcpus(struct virt_call *call, void *args, void *ret);
int virt_h_set_vcpus_flags(struct virt_call *call, void *args, void *ret);
int virt_h_get_vcpus_flags(struct virt_call *call, void *args, void *ret);
int virt_h_get_dom_max_vcpus(struct virt_call *call, void *args, void *ret);
int virt_h_get_vcpus(struct virt_call *call, void *args, void *ret);
int virt_h_get_vcpu_pin_info(struct virt_call *call, void *args, void *ret);
int virt_h_node_get_cpu_map(struct virt_call *call, void *args, void *ret);
int virt_h_pin_vcpu(struct virt_call *call, void *args, void *ret);
int virt_h_pin_vcpu_flags(struct virt_call *call, void *args, void *ret);
int virt_h_get_sched_type(struct virt_call *call, void *args, void *ret);
int virt_h_get_sched(struct virt_call *call, void *args, void *ret);
int virt_h_get_sched_flags(struct virt_call *call, void *args, void *ret);
int virt_h_set_sched(struct virt_call *call, void *args, void *ret);
int virt_h_set_sched_flags(struct virt_call *call, void *args, void *ret);

/* virt_save.c */
int virt_h_save(struct virt_call *call, void *args, void *ret);
int virt_h_save_flags(struct virt_call *call, void *args, void *ret);
int virt_h_restore(struct virt_call *call, void *args, void *ret);
int virt_h_restore_flags(struct virt_call *call, void *args, void *ret);

/* virt_migrate.c: jobs, and the long calls that hold a worker. */

/*
 * A call that holds its worker for long (a save, a restore, a
 * migration): refused (VIR_ERR_RESOURCE_BUSY) when it would leave no
 * worker free for every other call. Returns 0 (then call
 * virt_long_leave() when done) or -1 after virt_call_error().
 */
int virt_long_enter(struct virt_call *call);
void virt_long_leave(void);

enum virt_job_kind { VIRT_JOB_SAVE, VIRT_JOB_MIGRATE };
struct virt_job;

/*
 * Begin a job of @kind on the domain @d (a long call too): one at a
 * time per domain. Its progress comes from keeld's events until
 * virt_job_end(). Returns 0 and *@out, or -1 after virt_call_error().
 */
int virt_job_begin(struct virt_call *call, const struct keel_domain *d,
		   enum virt_job_kind kind, struct virt_job **out);
/* End and free @j; true when a client asked to abort it. */
bool virt_job_end(struct virt_job *j);

int virt_h_get_job_info(struct virt_call *call, void *args, void *ret);
int virt_h_get_job_stats(struct virt_call *call, void *args, void *ret);
int virt_h_abort_job(struct virt_call *call, void *args, void *ret);
int virt_h_migrate_set_max_downtime(struct virt_call *call, void *args,
				    void *ret);
int virt_h_migrate_set_max_speed(struct virt_call *call, void *args,
				 void *ret);
int virt_h_migrate_perform3_params(struct virt_call *call, void *args,
				   void *ret);

/* virt_events.c */
int virt_h_event_register_any(struct virt_call *call, void *args, void *ret);
int virt_h_event_deregister_any(struct virt_call *call, void *args,
				void *ret);

/* virt_stream.c */
int virt_h_open_console(struct virt_call *call, void *args, void *ret);

#endif /* KEEL_VIRT_HANDLERS_H */
