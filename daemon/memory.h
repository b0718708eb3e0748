/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_MEMORY_H
#define KEEL_DAEMON_MEMORY_H

/*
 * A domain's memory while it runs (memory_methods.c, docs/memory.md):
 * what keeld knows of its balloon, kept fresh by keel-hv's
 * balloon-changed notifications so that listings never ask a keel-hv,
 * and the checks behind domain.set_memory and domain.set_maxmem.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

struct domain;
struct domain_run;

/*
 * What a change of a domain's memory is checked against. For a running
 * domain these are the live values and the RAM its keel-hv was started
 * with; for one that is shut off, its definition (ram_mib 0).
 */
struct memory_limits {
	int64_t memory_mib;	/* the balloon's target, or the defined memory */
	int64_t maxmem_mib;	/* the live or defined maxmem; memory if none */
	int64_t ram_mib;	/* running: guest RAM, fixed at boot; else 0 */
	bool balloon;		/* running with a balloon */
};

/*
 * May domain @name's memory become @want MiB (xl mem-set)? Returns 0,
 * or a KEEL_E_* / JSON-RPC code with the sentence in @why.
 */
int memory_check_set(const struct memory_limits *l, const char *name,
		     int64_t want, char *why, size_t size);

/* May its maxmem become @want MiB (xl mem-max)? As memory_check_set(). */
int memory_check_max(const struct memory_limits *l, const char *name,
		     int64_t want, char *why, size_t size);

/*
 * The MiB @dom has now, as `keel list` shows it (xl's Mem): its
 * balloon's actual size when keel-hv has told one, else the memory it
 * runs with (or is defined with, keeld's default filled in). Never a
 * round trip.
 */
int64_t memory_current_mib(const struct domain *dom);

/*
 * Subscribe to @run's keel-hv (just started or adopted) for its balloon
 * changes; the answer seeds what memory_current_mib() reports.
 */
void memory_watch(struct domain_run *run);

/* A notification @run's keel-hv sent (hv_ops.notified). */
void memory_notified(struct domain_run *run, const char *method,
		     struct json_object *params);

#endif /* KEEL_DAEMON_MEMORY_H */
