// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel top's arithmetic and lines (top.h): samples of domain.stats_all
 * into xentop's rows, sorted and printed. Rates come from two samples,
 * as xentop's do: the growth of a counter over keeld's monotonic time
 * between them.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "top.h"

#define NS 1e9

static const char *const sort_names[TOP_NR_SORTS] = {
	[TOP_SORT_NAME] = "NAME",
	[TOP_SORT_STATE] = "STATE",
	[TOP_SORT_CPU_S] = "CPU(sec)",
	[TOP_SORT_CPU_PCT] = "CPU(%)",
	[TOP_SORT_MEM] = "MEM(k)",
	[TOP_SORT_MEM_PCT] = "MEM(%)",
	[TOP_SORT_MAXMEM] = "MAXMEM(k)",
	[TOP_SORT_MAXMEM_PCT] = "MAXMEM(%)",
	[TOP_SORT_VCPUS] = "VCPUS",
	[TOP_SORT_NETS] = "NETS",
	[TOP_SORT_NETTX] = "NETTX(k)",
	[TOP_SORT_NETRX] = "NETRX(k)",
	[TOP_SORT_VBDS] = "VBDS",
	[TOP_SORT_VBD_OO] = "VBD_OO",
	[TOP_SORT_VBD_RD] = "VBD_RD",
	[TOP_SORT_VBD_WR] = "VBD_WR",
	[TOP_SORT_VBD_RSECT] = "VBD_RSECT",
	[TOP_SORT_VBD_WSECT] = "VBD_WSECT",
};

const char *top_sort_name(enum top_sort sort)
{
	return sort < TOP_NR_SORTS ? sort_names[sort] : "?";
}

double top_pct(uint64_t cpu0, uint64_t t0, uint64_t cpu1, uint64_t t1)
{
	if (t1 <= t0 || cpu1 < cpu0)
		return -1;
	return (double)(cpu1 - cpu0) * 100.0 / (double)(t1 - t0);
}

void top_state_flags(const char *state, const char *reason, char out[7])
{
	/* xentop's order: dying, shutdown, blocked, crashed, paused, running */
	memcpy(out, "------", 7);
	if (!strcmp(state, "running"))
		out[5] = 'r';
	else if (!strcmp(state, "blocked"))
		out[2] = 'b';
	else if (!strcmp(state, "paused"))
		out[4] = 'p';
	else if (!strcmp(state, "shutdown"))
		out[1] = 's';
	else if (!strcmp(state, "crashed"))
		out[3] = 'c';
	/* A crashed guest kept for inspection (on_crash=preserve) is paused. */
	if (reason && !strcmp(reason, "crashed"))
		out[3] = 'c';
}

/* --- a sample into rows --------------------------------------------------- */

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

static uint64_t u64_at(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key);

	return v && json_object_is_type(v, json_type_int) ?
		       json_object_get_uint64(v) :
		       0;
}

static const char *str_at(struct json_object *o, const char *key,
			  const char *dflt)
{
	struct json_object *v = member(o, key);

	return v && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) :
		       dflt;
}

static size_t array_len(struct json_object *a)
{
	return a && json_object_is_type(a, json_type_array) ?
		       json_object_array_length(a) :
		       0;
}

/* Sum @key over the objects of the array @a. */
static uint64_t sum_at(struct json_object *a, const char *key)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < array_len(a); i++)
		sum += u64_at(json_object_array_get_idx(a, i), key);
	return sum;
}

/* The DomainStats with @uuid in @sample's domains, or NULL. */
static struct json_object *find_domain(struct json_object *sample,
				       const char *uuid)
{
	struct json_object *doms = member(sample, "domains");

	for (size_t i = 0; uuid && i < array_len(doms); i++) {
		struct json_object *d = json_object_array_get_idx(doms, i);

		if (!strcmp(str_at(d, "uuid", ""), uuid))
			return d;
	}
	return NULL;
}

static double pct_of(uint64_t part, uint64_t whole)
{
	return whole ? (double)part * 100.0 / (double)whole : 0;
}

static void fill_row(struct top_row *row, struct json_object *d,
		     struct json_object *before, uint64_t host_kib)
{
	struct json_object *cpu = member(d, "cpu"), *mem = member(d, "memory");
	struct json_object *nics = member(d, "nics"), *disks = member(d, "disks");
	uint64_t cpu_ns = u64_at(cpu, "time_ns");

	memset(row, 0, sizeof(*row));
	row->stats = d;
	row->name = str_at(d, "name", "?");
	top_state_flags(str_at(d, "state", ""), str_at(d, "reason", NULL),
			row->state);
	row->cpu_s = (double)cpu_ns / NS;
	row->cpu_pct = before ? top_pct(u64_at(member(before, "cpu"), "time_ns"),
					u64_at(before, "time_ns"), cpu_ns,
					u64_at(d, "time_ns")) :
				-1;
	row->mem_kib = u64_at(mem, "current_kib");
	row->maxmem_kib = u64_at(mem, "maximum_kib");
	row->mem_pct = pct_of(row->mem_kib, host_kib);
	row->maxmem_pct = pct_of(row->maxmem_kib, host_kib);
	row->vcpus = (unsigned)array_len(member(d, "vcpus"));
	row->nets = (unsigned)array_len(nics);
	row->nettx_kib = sum_at(nics, "tx_bytes") / 1024;
	row->netrx_kib = sum_at(nics, "rx_bytes") / 1024;
	row->vbds = (unsigned)array_len(disks);
	row->vbd_oo = sum_at(disks, "oo_reqs");
	row->vbd_rd = sum_at(disks, "rd_reqs");
	row->vbd_wr = sum_at(disks, "wr_reqs");
	row->vbd_rsect = sum_at(disks, "rd_bytes") / 512;
	row->vbd_wsect = sum_at(disks, "wr_bytes") / 512;
}

int top_rows(struct json_object *prev, struct json_object *cur,
	     struct top_row **rows)
{
	struct json_object *doms = member(cur, "domains");
	uint64_t host_kib = u64_at(member(cur, "host"), "memory_kib");
	size_t n = array_len(doms);

	*rows = calloc(n ? n : 1, sizeof(**rows));
	if (!*rows)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct json_object *d = json_object_array_get_idx(doms, i);

		fill_row(&(*rows)[i], d,
			 prev ? find_domain(prev, str_at(d, "uuid", NULL)) :
				NULL,
			 host_kib);
	}
	return (int)n;
}

/* --- sorting -------------------------------------------------------------- */

static enum top_sort sort_by;

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_double(double a, double b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

/* Largest first for figures; names A-Z, which also breaks ties. */
static int cmp_rows(const void *pa, const void *pb)
{
	const struct top_row *a = pa, *b = pb;
	int c = 0;

	switch (sort_by) {
	case TOP_SORT_NAME: break;
	case TOP_SORT_STATE: c = strcmp(a->state, b->state); break;
	case TOP_SORT_CPU_S: c = cmp_double(a->cpu_s, b->cpu_s); break;
	case TOP_SORT_CPU_PCT: c = cmp_double(a->cpu_pct, b->cpu_pct); break;
	case TOP_SORT_MEM:
	case TOP_SORT_MEM_PCT: c = cmp_u64(a->mem_kib, b->mem_kib); break;
	case TOP_SORT_MAXMEM:
	case TOP_SORT_MAXMEM_PCT:
		c = cmp_u64(a->maxmem_kib, b->maxmem_kib);
		break;
	case TOP_SORT_VCPUS: c = cmp_u64(a->vcpus, b->vcpus); break;
	case TOP_SORT_NETS: c = cmp_u64(a->nets, b->nets); break;
	case TOP_SORT_NETTX: c = cmp_u64(a->nettx_kib, b->nettx_kib); break;
	case TOP_SORT_NETRX: c = cmp_u64(a->netrx_kib, b->netrx_kib); break;
	case TOP_SORT_VBDS: c = cmp_u64(a->vbds, b->vbds); break;
	case TOP_SORT_VBD_OO: c = cmp_u64(a->vbd_oo, b->vbd_oo); break;
	case TOP_SORT_VBD_RD: c = cmp_u64(a->vbd_rd, b->vbd_rd); break;
	case TOP_SORT_VBD_WR: c = cmp_u64(a->vbd_wr, b->vbd_wr); break;
	case TOP_SORT_VBD_RSECT: c = cmp_u64(a->vbd_rsect, b->vbd_rsect); break;
	case TOP_SORT_VBD_WSECT: c = cmp_u64(a->vbd_wsect, b->vbd_wsect); break;
	case TOP_NR_SORTS: break;
	}
	return c ? c : strcmp(a->name, b->name);
}

void top_sort(struct top_row *rows, size_t n, enum top_sort sort)
{
	sort_by = sort;
	qsort(rows, n, sizeof(*rows), cmp_rows);
}

/* --- lines ---------------------------------------------------------------- */

void top_print_header(FILE *f)
{
	fprintf(f, "%10s %6s %10s %6s %10s %6s %10s %9s %5s %4s %8s %8s %4s "
		   "%8s %8s %8s %10s %10s",
		"NAME", "STATE", "CPU(sec)", "CPU(%)", "MEM(k)", "MEM(%)",
		"MAXMEM(k)", "MAXMEM(%)", "VCPUS", "NETS", "NETTX(k)",
		"NETRX(k)", "VBDS", "VBD_OO", "VBD_RD", "VBD_WR", "VBD_RSECT",
		"VBD_WSECT");
}

void top_print_row(FILE *f, const struct top_row *r)
{
	char pct[16];

	if (r->cpu_pct < 0)
		snprintf(pct, sizeof(pct), "%s", "-");
	else
		snprintf(pct, sizeof(pct), "%.1f", r->cpu_pct);
	fprintf(f, "%10.*s %6s %10.0f %6s %10llu %6.1f %10llu %9.1f %5u %4u "
		   "%8llu %8llu %4u %8llu %8llu %8llu %10llu %10llu",
		TOP_NAME_WIDTH, r->name, r->state, r->cpu_s, pct,
		(unsigned long long)r->mem_kib, r->mem_pct,
		(unsigned long long)r->maxmem_kib, r->maxmem_pct, r->vcpus,
		r->nets, (unsigned long long)r->nettx_kib,
		(unsigned long long)r->netrx_kib, r->vbds,
		(unsigned long long)r->vbd_oo, (unsigned long long)r->vbd_rd,
		(unsigned long long)r->vbd_wr, (unsigned long long)r->vbd_rsect,
		(unsigned long long)r->vbd_wsect);
}

void top_print_nets(FILE *f, const struct top_row *row)
{
	struct json_object *nics = member(row->stats, "nics");

	for (size_t i = 0; i < array_len(nics); i++) {
		struct json_object *n = json_object_array_get_idx(nics, i);

		fprintf(f, "Net%zu RX: %8llubytes %8llupkts %8lluerr %8lludrop"
			   "  TX: %8llubytes %8llupkts %8lluerr %8lludrop\n",
			i, (unsigned long long)u64_at(n, "rx_bytes"),
			(unsigned long long)u64_at(n, "rx_pkts"),
			(unsigned long long)u64_at(n, "rx_errs"),
			(unsigned long long)u64_at(n, "rx_drop"),
			(unsigned long long)u64_at(n, "tx_bytes"),
			(unsigned long long)u64_at(n, "tx_pkts"),
			(unsigned long long)u64_at(n, "tx_errs"),
			(unsigned long long)u64_at(n, "tx_drop"));
	}
}

void top_print_vcpus(FILE *f, const struct top_row *row)
{
	struct json_object *vcpus = member(row->stats, "vcpus");

	if (!array_len(vcpus))
		return;
	fputs("VCPUs(sec):", f);
	for (size_t i = 0; i < array_len(vcpus); i++) {
		struct json_object *v = json_object_array_get_idx(vcpus, i);

		fprintf(f, " %3llu: %10.0fs",
			(unsigned long long)u64_at(v, "id"),
			(double)u64_at(v, "time_ns") / NS);
		if (i % 5 == 4 && i + 1 < array_len(vcpus))
			fputs("\n           ", f);
	}
	fputc('\n', f);
}

void top_print_vbds(FILE *f, const struct top_row *row)
{
	struct json_object *disks = member(row->stats, "disks");

	for (size_t i = 0; i < array_len(disks); i++) {
		struct json_object *d = json_object_array_get_idx(disks, i);

		fprintf(f, "VBD %-6s OO: %8llu   RD: %8llu   WR: %8llu  "
			   "RSECT: %10llu  WSECT: %10llu\n",
			str_at(d, "vdev", "?"),
			(unsigned long long)u64_at(d, "oo_reqs"),
			(unsigned long long)u64_at(d, "rd_reqs"),
			(unsigned long long)u64_at(d, "wr_reqs"),
			(unsigned long long)u64_at(d, "rd_bytes") / 512,
			(unsigned long long)u64_at(d, "wr_bytes") / 512);
	}
}

void top_print_summary(FILE *f, struct json_object *cur, const char *now,
		       const struct top_row *rows, size_t n)
{
	static const char flags[] = "dsbcpr";
	struct json_object *host = member(cur, "host");
	uint64_t total = u64_at(host, "memory_kib"), rss = 0;
	unsigned count[6] = { 0 };

	for (size_t i = 0; i < n; i++) {
		for (int j = 0; j < 6; j++)
			count[j] += rows[i].state[j] == flags[j];
		rss += u64_at(member(rows[i].stats, "memory"), "rss_kib");
	}
	fprintf(f, "keel top - %s\n", now);
	fprintf(f, "%zu domains: %u running, %u blocked, %u paused, "
		   "%u crashed, %u dying, %u shutdown\n",
		n, count[5], count[2], count[4], count[3], count[0], count[1]);
	fprintf(f, "Mem: %lluk total, %lluk resident in domains    CPUs: %llu\n",
		(unsigned long long)total, (unsigned long long)rss,
		(unsigned long long)u64_at(host, "cpus"));
}

struct json_object *top_row_json(const struct top_row *r)
{
	struct json_object *o = json_object_new_object();
	const struct {
		const char *key;
		uint64_t v;
	} u[] = {
		{ "mem_kib", r->mem_kib },     { "maxmem_kib", r->maxmem_kib },
		{ "vcpus", r->vcpus },	       { "nets", r->nets },
		{ "nettx_kib", r->nettx_kib }, { "netrx_kib", r->netrx_kib },
		{ "vbds", r->vbds },	       { "vbd_oo", r->vbd_oo },
		{ "vbd_rd", r->vbd_rd },       { "vbd_wr", r->vbd_wr },
		{ "vbd_rsect", r->vbd_rsect }, { "vbd_wsect", r->vbd_wsect },
	};

	if (!o)
		return NULL;
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "state", json_object_new_string(r->state));
	json_object_object_add(o, "cpu_s", json_object_new_double(r->cpu_s));
	json_object_object_add(o, "cpu_pct",
			       r->cpu_pct < 0 ?
				       NULL :
				       json_object_new_double(r->cpu_pct));
	json_object_object_add(o, "mem_pct", json_object_new_double(r->mem_pct));
	json_object_object_add(o, "maxmem_pct",
			       json_object_new_double(r->maxmem_pct));
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		json_object_object_add(o, u[i].key,
				       json_object_new_uint64(u[i].v));
	return o;
}
