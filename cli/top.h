/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_CLI_TOP_H
#define KEEL_CLI_TOP_H

/*
 * keel top's figures and lines (man/keel.1, keel top): what one sample
 * of domain.stats_all, and the sample before it, make of each domain,
 * and how it is printed. Pure functions of the samples, so that the
 * arithmetic is tested without a terminal or a keeld; the screen, the
 * keys and the loop are cli/top_cmds.c's.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#define TOP_NAME_WIDTH 10	/* xentop's NAME column */

/* One domain's row, as xentop's columns have it. */
struct top_row {
	struct json_object *stats;	/* its DomainStats, borrowed */
	const char *name;		/* borrowed from stats */
	char state[7];			/* xentop's flags: "-----r" */
	double cpu_s;
	double cpu_pct;			/* < 0: no earlier sample to compare */
	uint64_t mem_kib, maxmem_kib;
	double mem_pct, maxmem_pct;
	unsigned vcpus, nets, vbds;
	uint64_t nettx_kib, netrx_kib;
	uint64_t vbd_oo, vbd_rd, vbd_wr, vbd_rsect, vbd_wsect;
};

/* The columns keel top sorts by ('s' cycles through them). */
enum top_sort {
	TOP_SORT_NAME,
	TOP_SORT_STATE,
	TOP_SORT_CPU_S,
	TOP_SORT_CPU_PCT,
	TOP_SORT_MEM,
	TOP_SORT_MEM_PCT,
	TOP_SORT_MAXMEM,
	TOP_SORT_MAXMEM_PCT,
	TOP_SORT_VCPUS,
	TOP_SORT_NETS,
	TOP_SORT_NETTX,
	TOP_SORT_NETRX,
	TOP_SORT_VBDS,
	TOP_SORT_VBD_OO,
	TOP_SORT_VBD_RD,
	TOP_SORT_VBD_WR,
	TOP_SORT_VBD_RSECT,
	TOP_SORT_VBD_WSECT,
	TOP_NR_SORTS,
};

/* The header of the column @sort, as printed ("CPU(%)"). */
const char *top_sort_name(enum top_sort sort);

/*
 * A share in %: the growth of a counter of ns (@cpu0 to @cpu1) over
 * the ns between the samples (@t0 to @t1), as xentop computes CPU(%).
 * Negative when it cannot be known: no time passed, or the counter went
 * back (a new keel-hv).
 */
double top_pct(uint64_t cpu0, uint64_t t0, uint64_t cpu1, uint64_t t1);

/* xentop's state flags of a DomainSummary state and reason into @out. */
void top_state_flags(const char *state, const char *reason, char out[7]);

/*
 * The rows of the sample @cur (AllDomainStats), with CPU(%) against the
 * same domain (by uuid) in @prev (NULL: the first sample). *@rows is
 * malloc'd (the caller frees it; the rows borrow from @cur). Returns
 * the number of rows, or -1 when out of memory.
 */
int top_rows(struct json_object *prev, struct json_object *cur,
	     struct top_row **rows);

/* Sort @rows by @sort, largest first for figures, A-Z for names. */
void top_sort(struct top_row *rows, size_t n, enum top_sort sort);

/* The column header line and a row, without a newline. */
void top_print_header(FILE *f);
void top_print_row(FILE *f, const struct top_row *row);

/* The extra lines of -n, -v and -x for @row, each ending in a newline. */
void top_print_nets(FILE *f, const struct top_row *row);
void top_print_vcpus(FILE *f, const struct top_row *row);
void top_print_vbds(FILE *f, const struct top_row *row);

/*
 * The summary lines above the columns: "keel top - HH:MM:SS", the
 * domains by state, the host's memory and CPUs. @now: wall-clock time.
 */
void top_print_summary(FILE *f, struct json_object *cur, const char *now,
		       const struct top_row *rows, size_t n);

/* @row as a JSON object for --json (a new object; NULL when out of memory). */
struct json_object *top_row_json(const struct top_row *row);

#endif /* KEEL_CLI_TOP_H */
