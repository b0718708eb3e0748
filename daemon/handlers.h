/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_HANDLERS_H
#define KEEL_DAEMON_HANDLERS_H

/*
 * The method handlers behind methods.c's table. Each gets params that
 * already passed the method's schema (an object, never NULL) and
 * returns the response to send for @req, built with jsonrpc_result()
 * or method_error(); NULL only when out of memory.
 */

#include <json-c/json.h>

#include "jsonrpc.h"

struct keeld;
struct methods_caller;

typedef struct json_object *(*method_fn)(struct methods_caller *caller,
					 const struct jsonrpc_req *req,
					 struct json_object *params);

/*
 * An error response for @req with data {"field": @field} (@field may be
 * NULL to omit data) and a printf-formatted message.
 */
struct json_object *method_error(const struct jsonrpc_req *req, int code,
				 const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* domain_methods.c: shared with lifecycle_methods.c */
struct domain;
/*
 * The domain @params name by "name" or by "uuid" (exactly one), or NULL
 * with *@resp set to the error response.
 */
struct domain *domain_lookup(struct keeld *k, const struct jsonrpc_req *req,
			     struct json_object *params,
			     struct json_object **resp);
/* NULL when @config is a valid domain configuration, else the error. */
struct json_object *domain_config_check(struct keeld *k,
					const struct jsonrpc_req *req,
					struct json_object *config);
/* The error for registry_*()'s -EEXIST on @field ("/name", "/uuid"). */
struct json_object *domain_exists_error(const struct jsonrpc_req *req,
					struct json_object *config,
					const char *field);
struct json_object *domain_config_update(struct methods_caller *caller,
					 const struct jsonrpc_req *req,
					 struct json_object *params);

/* host_methods.c */
struct json_object *host_info(struct methods_caller *caller,
			      const struct jsonrpc_req *req,
			      struct json_object *params);
struct json_object *host_dmesg(struct methods_caller *caller,
			       const struct jsonrpc_req *req,
			       struct json_object *params);
struct json_object *host_dmesg_clear(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params);

/* domain_methods.c */
struct json_object *domain_list(struct methods_caller *caller,
				const struct jsonrpc_req *req,
				struct json_object *params);
struct json_object *domain_info(struct methods_caller *caller,
				const struct jsonrpc_req *req,
				struct json_object *params);
struct json_object *domain_define(struct methods_caller *caller,
				  const struct jsonrpc_req *req,
				  struct json_object *params);
struct json_object *domain_undefine(struct methods_caller *caller,
				    const struct jsonrpc_req *req,
				    struct json_object *params);
struct json_object *domain_rename(struct methods_caller *caller,
				  const struct jsonrpc_req *req,
				  struct json_object *params);
struct json_object *domain_autostart(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params);

/* lifecycle_methods.c */
struct json_object *domain_config(struct methods_caller *caller,
				  const struct jsonrpc_req *req,
				  struct json_object *params);
struct json_object *domain_create(struct methods_caller *caller,
				  const struct jsonrpc_req *req,
				  struct json_object *params);
struct json_object *domain_start(struct methods_caller *caller,
				 const struct jsonrpc_req *req,
				 struct json_object *params);
struct json_object *domain_pause(struct methods_caller *caller,
				 const struct jsonrpc_req *req,
				 struct json_object *params);
struct json_object *domain_unpause(struct methods_caller *caller,
				   const struct jsonrpc_req *req,
				   struct json_object *params);
struct json_object *domain_shutdown(struct methods_caller *caller,
				    const struct jsonrpc_req *req,
				    struct json_object *params);
struct json_object *domain_reboot(struct methods_caller *caller,
				  const struct jsonrpc_req *req,
				  struct json_object *params);
struct json_object *domain_destroy(struct methods_caller *caller,
				   const struct jsonrpc_req *req,
				   struct json_object *params);
struct json_object *domain_stats(struct methods_caller *caller,
				 const struct jsonrpc_req *req,
				 struct json_object *params);
/* Every domain with a keel-hv in one answer (stats.h). */
struct json_object *domain_stats_all(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params);
struct json_object *events_subscribe(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params);

/* memory_methods.c */
struct json_object *domain_set_memory(struct methods_caller *caller,
				      const struct jsonrpc_req *req,
				      struct json_object *params);
struct json_object *domain_set_maxmem(struct methods_caller *caller,
				      const struct jsonrpc_req *req,
				      struct json_object *params);
/* iotune_methods.c */
struct json_object *domain_blkdeviotune(struct methods_caller *caller,
					const struct jsonrpc_req *req,
					struct json_object *params);
struct json_object *domain_domiftune(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params);
/* vcpu_methods.c */
struct json_object *domain_vcpu_pin(struct methods_caller *caller,
				    const struct jsonrpc_req *req,
				    struct json_object *params);
struct json_object *domain_vcpu_list(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params);

/* console.c */
struct json_object *domain_open_console(struct methods_caller *caller,
				 const struct jsonrpc_req *req,
				 struct json_object *params);

/* trigger_methods.c */
struct json_object *domain_trigger(struct methods_caller *caller,
				   const struct jsonrpc_req *req,
				   struct json_object *params);
struct json_object *domain_sysrq(struct methods_caller *caller,
				 const struct jsonrpc_req *req,
				 struct json_object *params);
struct json_object *domain_button_press(struct methods_caller *caller,
					const struct jsonrpc_req *req,
					struct json_object *params);
struct json_object *domain_dump_core(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params);

/* save_methods.c */
struct json_object *domain_save(struct methods_caller *caller,
				const struct jsonrpc_req *req,
				struct json_object *params);
struct json_object *domain_restore(struct methods_caller *caller,
				   const struct jsonrpc_req *req,
				   struct json_object *params);

/* sched_methods.c */
struct json_object *domain_get_sched(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params);
struct json_object *domain_set_sched(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params);
/* hotplug_methods.c */
struct json_object *domain_set_vcpus(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params);

/* device_methods.c */
struct json_object *domain_block_attach(struct methods_caller *caller,
					const struct jsonrpc_req *req,
					struct json_object *params);
struct json_object *domain_block_detach(struct methods_caller *caller,
					const struct jsonrpc_req *req,
					struct json_object *params);
struct json_object *domain_network_attach(struct methods_caller *caller,
					  const struct jsonrpc_req *req,
					  struct json_object *params);
struct json_object *domain_network_detach(struct methods_caller *caller,
					  const struct jsonrpc_req *req,
					  struct json_object *params);

/* Live migration (docs/migration.md): the source, migrate_methods.c. */
struct json_object *domain_migrate(struct methods_caller *caller,
				   const struct jsonrpc_req *req,
				   struct json_object *params);
struct json_object *domain_migrate_cancel(struct methods_caller *caller,
					  const struct jsonrpc_req *req,
					  struct json_object *params);
struct json_object *domain_migrate_set(struct methods_caller *caller,
				       const struct jsonrpc_req *req,
				       struct json_object *params);

/* The destination, called by the source's keeld: migration_in.c. */
struct json_object *migration_prepare(struct methods_caller *caller,
				      const struct jsonrpc_req *req,
				      struct json_object *params);
struct json_object *migration_finish(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params);
struct json_object *migration_abort(struct methods_caller *caller,
				    const struct jsonrpc_req *req,
				    struct json_object *params);
struct json_object *migration_status(struct methods_caller *caller,
				     const struct jsonrpc_req *req,
				     struct json_object *params);

#endif /* KEEL_DAEMON_HANDLERS_H */
