// SPDX-License-Identifier: GPL-2.0-or-later
/* keel-hv's command line for a domain, and back again (hv_cmdline.h). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hv_cmdline.h"
#include "lifecycle.h"
#include "pinning.h"
#include "registry.h"
#include "run.h"

/* A growing NULL-terminated argv; @failed once an allocation failed. */
struct argv_buf {
	char **v;
	size_t n, cap;
	bool failed;
};

static void arg_add(struct argv_buf *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void arg_add(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int rc;

	if (a->failed)
		return;
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? 2 * a->cap : 32;
		char **v = realloc(a->v, cap * sizeof(*v));

		if (!v) {
			a->failed = true;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		a->failed = true;
		return;
	}
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
}

int hv_config_nic_iotune(struct json_object *nic, struct iotune *t)
{
	struct json_object *v, *rate;
	char err[256];
	uint64_t bps, us;

	if (json_object_object_get_ex(nic, "iotune", &v) &&
	    iotune_from_json(IOTUNE_NIC, v, t, err, sizeof(err)))
		return -EINVAL;
	if (t->rate[IOTUNE_TX_BYTES] ||
	    !json_object_object_get_ex(nic, "rate", &rate))
		return 0;
	bps = (uint64_t)config_int(rate, "bytes_per_sec", 0);
	us = (uint64_t)config_int(rate, "interval_us", 50000);
	if (!bps)
		return -EINVAL;
	/* Beyond 10^15 bytes/s a limit limits nothing (lib/iotune.h). */
	if (bps > IOTUNE_VALUE_MAX)
		bps = IOTUNE_VALUE_MAX;
	t->rate[IOTUNE_TX_BYTES] = bps;
	t->burst[IOTUNE_TX_BYTES] = (uint64_t)((unsigned __int128)bps * us /
					       1000000);
	if (!t->burst[IOTUNE_TX_BYTES])
		t->burst[IOTUNE_TX_BYTES] = 1;
	if (t->burst[IOTUNE_TX_BYTES] > IOTUNE_VALUE_MAX)
		t->burst[IOTUNE_TX_BYTES] = IOTUNE_VALUE_MAX;
	return 0;
}

void hv_cmdline_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

int hv_config_from_json(struct json_object *config, struct hv_config *out)
{
	struct json_object *list, *v;
	char err[256];

	memset(out, 0, sizeof(*out));
	out->name = json_member_string(config, "name");
	out->uuid = json_member_string(config, "uuid");
	out->kernel = json_member_string(config, "kernel");
	out->initrd = json_member_string(config, "ramdisk");
	out->cmdline = json_member_string(config, "cmdline");
	out->memory_mib = config_int(config, "memory", DOMAIN_DEFAULT_MEMORY_MIB);
	out->maxmem_mib = config_int(config, "maxmem", out->memory_mib);
	out->vcpus = config_int(config, "vcpus", DOMAIN_DEFAULT_VCPUS);
	out->maxvcpus = config_int(config, "maxvcpus", out->vcpus);
	out->rng = config_bool(config, "rng", true);
	out->prefault = config_bool(config, "prefault", false);
	/* Every domain has hvc0: a guest that does not use it loses nothing. */
	out->virtio_console = true;
	if (!out->name || !out->uuid || !out->kernel ||
	    out->vcpus > KEEL_VCPUS_MAX)
		return -EINVAL;
	for (int64_t i = 0; i < out->vcpus; i++) {
		char text[CPUMAP_TEXT_MAX];
		struct cpumap m;
		int rc = pinning_of(config, i, &m);

		if (rc < 0)
			return rc;
		if (rc && !(out->cpus[i] = strdup(cpumap_format(
				    &m, text, sizeof(text)))))
			return -ENOMEM;
	}
	if (json_object_object_get_ex(config, "disks", &list)) {
		if (json_object_array_length(list) > KEEL_DISKS_MAX)
			return -EINVAL;
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct json_object *d = json_object_array_get_idx(list, i);
			struct hv_disk *disk = &out->disks[out->nr_disks++];

			disk->path = json_member_string(d, "path");
			disk->vdev = json_member_string(d, "vdev");
			disk->readonly = json_object_object_get_ex(d, "readonly",
								   &v) &&
					 json_object_get_boolean(v);
			if (json_object_object_get_ex(d, "iotune", &v) &&
			    iotune_from_json(IOTUNE_DISK, v, &disk->iotune,
					     err, sizeof(err)))
				return -EINVAL;
		}
	}
	if (json_object_object_get_ex(config, "nics", &list)) {
		if (json_object_array_length(list) > KEEL_NICS_MAX)
			return -EINVAL;
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct json_object *n = json_object_array_get_idx(list, i);
			struct hv_nic *nic = &out->nics[out->nr_nics++];

			nic->tap = json_member_string(n, "tap");
			nic->mac = json_member_string(n, "mac");
			if (!nic->tap || hv_config_nic_iotune(n, &nic->iotune))
				return -EINVAL;
		}
	}
	return 0;
}

void hv_config_dispose(struct hv_config *cfg)
{
	for (size_t i = 0; i < cfg->nr_disks; i++)
		free(cfg->disks[i].owned_path);
	cfg->nr_disks = 0;
	for (size_t i = 0; i < KEEL_VCPUS_MAX; i++) {
		free(cfg->cpus[i]);
		cfg->cpus[i] = NULL;
	}
}

/* Is every vCPU pinned to the same CPUs? Then one --cpus says it. */
static bool cpus_same(const struct hv_config *cfg)
{
	for (int64_t i = 1; i < cfg->vcpus && i < KEEL_VCPUS_MAX; i++)
		if (!cfg->cpus[i] || !cfg->cpus[0] ||
		    strcmp(cfg->cpus[i], cfg->cpus[0]))
			return false;
	return true;
}

#define OPT(name) "--" HV_OPT_##name

/* --iotune=vblkN:KEY=N,... for a device with limits; nothing without. */
static void arg_iotune(struct argv_buf *a, const char *prefix, size_t i,
		       enum iotune_kind kind, const struct iotune *t)
{
	char *limits;

	if (!iotune_any(t))
		return;
	limits = iotune_format(kind, t);
	if (!limits) {
		a->failed = true;
		return;
	}
	arg_add(a, OPT(IOTUNE) "=%s%zu:%s", prefix, i, limits);
	free(limits);
}

char **hv_cmdline_build(const struct hv_cmdline *c,
			const struct hv_config *cfg)
{
	struct argv_buf a = { 0 };

	arg_add(&a, "%s", c->hypervisor);
	/* A restored guest runs the kernel it was saved with (keel-hv.8). */
	if (c->restore_fd <= 0 && c->incoming_fd <= 0) {
		arg_add(&a, OPT(KERNEL) "=%s", cfg->kernel);
		if (cfg->initrd)
			arg_add(&a, OPT(INITRD) "=%s", cfg->initrd);
		if (cfg->cmdline)
			arg_add(&a, OPT(CMDLINE) "=%s", cfg->cmdline);
	}
	arg_add(&a, OPT(MEMORY) "=%lldM", (long long)cfg->memory_mib);
	if (cfg->maxmem_mib > cfg->memory_mib)
		arg_add(&a, OPT(MAXMEM) "=%lldM", (long long)cfg->maxmem_mib);
	arg_add(&a, OPT(VCPUS) "=%lld", (long long)cfg->vcpus);
	if (cpus_same(cfg) && cfg->cpus[0])
		arg_add(&a, OPT(CPUS) "=%s", cfg->cpus[0]);
	for (int64_t i = 0; !cpus_same(cfg) && i < cfg->vcpus; i++)
		if (cfg->cpus[i])
			arg_add(&a, OPT(CPUS) "=%lld:%s", (long long)i,
				cfg->cpus[i]);
	if (cfg->maxvcpus > cfg->vcpus)
		arg_add(&a, OPT(MAXVCPUS) "=%lld", (long long)cfg->maxvcpus);
	if (cfg->rng)
		arg_add(&a, OPT(RNG));
	if (cfg->prefault)
		arg_add(&a, OPT(PREFAULT));
	if (cfg->virtio_console)
		arg_add(&a, OPT(VIRTIO_CONSOLE));
	/* keel-hv keeps the console's history and log (docs/console.md). */
	arg_add(&a, OPT(CONSOLE) "=none");
	arg_add(&a, OPT(CONSOLE_SOCKET) "=%s/" HV_RUN_CONSOLE, c->dir);
	arg_add(&a, OPT(CONSOLE_LOG) "=%s", c->console_log);
	arg_add(&a, OPT(CONTROL) "=%s/" HV_RUN_CONTROL, c->dir);
	arg_add(&a, OPT(STATUS_FILE) "=%s/" HV_RUN_STATUS, c->dir);
	arg_add(&a, OPT(UUID) "=%s", cfg->uuid);
	arg_add(&a, OPT(NAME) "=%s", cfg->name);
	if (c->paused)
		arg_add(&a, OPT(PAUSED));
	if (c->linger)
		arg_add(&a, OPT(LINGER));
	if (c->restore_fd > 0)
		arg_add(&a, OPT(RESTORE) "=%d", c->restore_fd);
	if (c->incoming_fd > 0) {
		arg_add(&a, OPT(INCOMING) "=%d", c->incoming_fd);
		arg_add(&a, OPT(INCOMING_TOKEN) "=%d", c->incoming_token_fd);
		arg_add(&a, OPT(PKI_DIR) "=%s", c->pki_dir);
		if (c->incoming_peer && c->incoming_peer[0])
			arg_add(&a, OPT(INCOMING_PEER) "=%s",
				c->incoming_peer);
	}
	if (c->dump_on && c->dump_dir) {
		arg_add(&a, OPT(DUMP_ON) "=%s", c->dump_on);
		arg_add(&a, OPT(DUMP_DIR) "=%s", c->dump_dir);
	}
	for (size_t i = 0; i < cfg->nr_disks; i++)
		arg_add(&a, OPT(DISK_FD) "=%d%s", c->first_disk_fd + (int)i,
			cfg->disks[i].readonly ? ",ro" : "");
	for (size_t i = 0; i < cfg->nr_nics; i++)
		arg_add(&a, OPT(NET) "=tap=%s%s%s", cfg->nics[i].tap,
			cfg->nics[i].mac ? ",mac=" : "",
			cfg->nics[i].mac ? cfg->nics[i].mac : "");
	/*
	 * The disks' names, so that a keeld that re-adopts this keel-hv
	 * without its state file gives them back (hv_cmdline_parse()).
	 */
	for (size_t i = 0; i < cfg->nr_disks; i++)
		if (cfg->disks[i].vdev)
			arg_add(&a, OPT(VDEV) "=vblk%zu:%s", i,
				cfg->disks[i].vdev);
	for (size_t i = 0; i < cfg->nr_disks; i++)
		arg_iotune(&a, "vblk", i, IOTUNE_DISK, &cfg->disks[i].iotune);
	for (size_t i = 0; i < cfg->nr_nics; i++)
		arg_iotune(&a, "vnet", i, IOTUNE_NIC, &cfg->nics[i].iotune);
	if (a.failed) {
		hv_cmdline_free(a.v);
		return NULL;
	}
	return a.v;
}

/* The value of "--@name=VALUE" in @arg, or NULL. */
static const char *option(const char *arg, const char *name)
{
	size_t len = strlen(name);

	if (strncmp(arg, "--", 2) || strncmp(arg + 2, name, len) ||
	    arg[2 + len] != '=')
		return NULL;
	return arg + 3 + len;
}

bool hv_cmdline_is_ours(char *const *argv, size_t argc, const char *run_dir,
			char uuid[37])
{
	size_t dir_len = strlen(run_dir);
	bool control = false;

	uuid[0] = '\0';
	for (size_t i = 1; i < argc; i++) {
		const char *v;

		if ((v = option(argv[i], HV_OPT_CONTROL))) {
			/* RUN_DIR/domains/UUID/control.sock, nothing else. */
			control = !strncmp(v, run_dir, dir_len) &&
				  !strncmp(v + dir_len, "/domains/", 9) &&
				  strlen(v + dir_len + 9) ==
					  DOMAIN_UUID_LEN + 1 +
						  strlen(HV_RUN_CONTROL) &&
				  v[dir_len + 9 + DOMAIN_UUID_LEN] == '/' &&
				  !strcmp(v + dir_len + 10 + DOMAIN_UUID_LEN,
					  HV_RUN_CONTROL);
		} else if ((v = option(argv[i], HV_OPT_UUID)) &&
			   strlen(v) == DOMAIN_UUID_LEN) {
			for (size_t j = 0; j <= DOMAIN_UUID_LEN; j++)
				uuid[j] = (char)(v[j] >= 'A' && v[j] <= 'F' ?
							 v[j] - 'A' + 'a' :
							 v[j]);
		}
	}
	return control && uuid[0];
}

static void add_string(struct json_object *o, const char *key,
		       const char *value)
{
	if (value)
		json_object_object_add(o, key, json_object_new_string(value));
}

/* The file behind descriptor @fd of process @pid (malloc'd), or NULL. */
static char *fd_path(pid_t pid, const char *fd)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/fd/%.16s", (int)pid, fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	return strdup(target);
}

/* A disk from "--disk-fd=N[,ro]" or "--disk=PATH[,ro]". */
static int disk_from(const char *value, bool by_fd, pid_t pid,
		     struct hv_disk *disk)
{
	const char *comma = strrchr(value, ',');
	char *spec;

	disk->readonly = comma && !strcmp(comma, ",ro");
	spec = strndup(value, disk->readonly ? (size_t)(comma - value) :
					       strlen(value));
	if (!spec)
		return -ENOMEM;
	disk->owned_path = by_fd ? fd_path(pid, spec) : spec;
	if (by_fd)
		free(spec);
	disk->path = disk->owned_path;
	return disk->path ? 0 : -EINVAL;
}

/* A NIC from "tap=NAME[,mac=MAC]"; the MAC is borrowed from @value. */
static int nic_from(const char *value, struct hv_nic *nic)
{
	char *tap = nic->tap_name;
	size_t tap_size = sizeof(nic->tap_name);
	const char *mac = strstr(value, ",mac=");
	size_t len;

	if (strncmp(value, "tap=", 4))
		return -EINVAL;
	len = mac ? (size_t)(mac - value - 4) : strlen(value + 4);
	if (len == 0 || len >= tap_size)
		return -EINVAL;
	memcpy(tap, value + 4, len);
	tap[len] = '\0';
	nic->tap = tap;
	nic->mac = mac ? mac + 5 : NULL;
	return 0;
}

/*
 * "vblkN:KEY=N,..." or "vnetN:...": limits of the N-th disk or NIC, which
 * may come later on the command line (hv_cmdline_build() puts them last).
 */
static int iotune_from(const char *value, struct hv_config *cfg)
{
	bool disk = !strncmp(value, "vblk", 4);
	char err[256], *end;
	unsigned long n;

	if (!disk && strncmp(value, "vnet", 4))
		return -EINVAL;
	errno = 0;
	n = strtoul(value + 4, &end, 10);
	if (errno || end == value + 4 || *end != ':' ||
	    n >= (disk ? KEEL_DISKS_MAX : KEEL_NICS_MAX))
		return -EINVAL;
	return iotune_parse(disk ? IOTUNE_DISK : IOTUNE_NIC, end + 1,
			    disk ? &cfg->disks[n].iotune :
				   &cfg->nics[n].iotune,
			    err, sizeof(err));
}

/*
 * "vblkN:NAME": disk N's vdev, borrowed from @value; the disk may come
 * later on the command line. hv_cmdline_parse() checks that it came.
 */
static int vdev_from(const char *value, struct hv_config *cfg)
{
	unsigned long n;
	char *end;

	if (strncmp(value, "vblk", 4))
		return -EINVAL;
	errno = 0;
	n = strtoul(value + 4, &end, 10);
	if (errno || end == value + 4 || *end != ':' || n >= KEEL_DISKS_MAX ||
	    cfg->disks[n].vdev)
		return -EINVAL;
	if (!keel_vdev_valid(end + 1))
		return -EINVAL;
	cfg->disks[n].vdev = end + 1;
	return 0;
}

/*
 * "--cpus=LIST" (every vCPU) or "--cpus=N:LIST" (vCPU N), as
 * hv_cmdline_build() writes them; one for vCPU N wins over one for all.
 */
static int cpus_from(const char *value, struct hv_config *out)
{
	const char *colon = strchr(value, ':');
	long long n = colon ? strtoll(value, NULL, 10) : -1;

	if (colon && (n < 0 || n >= KEEL_VCPUS_MAX))
		return -EINVAL;
	for (long long i = 0; i < KEEL_VCPUS_MAX; i++) {
		if (colon ? i != n : out->cpus[i] != NULL)
			continue;
		free(out->cpus[i]);
		out->cpus[i] = strdup(colon ? colon + 1 : value);
		if (!out->cpus[i])
			return -ENOMEM;
	}
	return 0;
}

/* "256M", as keeld writes it, in MiB; -1 when it is not that. */
static int64_t mib(const char *v)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno || end == v || n < 0 || (*end && strcmp(end, "M")))
		return -1;
	return n;
}

int hv_cmdline_parse(char *const *argv, size_t argc, pid_t pid,
		     struct hv_config *out)
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	for (size_t i = 1; !rc && i < argc; i++) {
		const char *arg = argv[i], *v;

		if ((v = option(arg, HV_OPT_NAME)))
			out->name = v;
		else if ((v = option(arg, HV_OPT_UUID)))
			out->uuid = v;
		else if ((v = option(arg, HV_OPT_KERNEL)))
			out->kernel = v;
		else if ((v = option(arg, HV_OPT_INITRD)))
			out->initrd = v;
		else if ((v = option(arg, HV_OPT_CMDLINE)))
			out->cmdline = v;
		else if ((v = option(arg, HV_OPT_MEMORY)))
			rc = (out->memory_mib = mib(v)) < 0 ? -EINVAL : 0;
		else if ((v = option(arg, HV_OPT_MAXMEM)))
			rc = (out->maxmem_mib = mib(v)) < 0 ? -EINVAL : 0;
		else if ((v = option(arg, HV_OPT_VCPUS)))
			out->vcpus = strtoll(v, NULL, 10);
		else if ((v = option(arg, HV_OPT_CPUS)))
			rc = cpus_from(v, out);
		else if ((v = option(arg, HV_OPT_MAXVCPUS)))
			out->maxvcpus = strtoll(v, NULL, 10);
		else if (!strcmp(arg, "--" HV_OPT_RNG))
			out->rng = true;
		else if (!strcmp(arg, "--" HV_OPT_PREFAULT))
			out->prefault = true;
		else if (!strcmp(arg, "--" HV_OPT_VIRTIO_CONSOLE))
			out->virtio_console = true;
		else if ((v = option(arg, HV_OPT_DISK_FD)) ||
			 (v = option(arg, HV_OPT_DISK)))
			rc = out->nr_disks == KEEL_DISKS_MAX ? -EINVAL :
			     disk_from(v, !strncmp(arg, "--" HV_OPT_DISK_FD "=",
						   strlen(HV_OPT_DISK_FD) + 3),
				       pid, &out->disks[out->nr_disks++]);
		else if ((v = option(arg, HV_OPT_NET)))
			rc = out->nr_nics == KEEL_NICS_MAX ? -EINVAL :
			     nic_from(v, &out->nics[out->nr_nics]);
		else if ((v = option(arg, HV_OPT_IOTUNE)))
			rc = iotune_from(v, out);
		else if ((v = option(arg, HV_OPT_VDEV)))
			rc = vdev_from(v, out);
		if (!rc && option(arg, HV_OPT_NET))
			out->nr_nics++;
	}
	for (size_t i = out->nr_disks; !rc && i < KEEL_DISKS_MAX; i++)
		if (out->disks[i].vdev)
			rc = -EINVAL; /* a name for a disk that is not there */
	if (!out->maxmem_mib)
		out->maxmem_mib = out->memory_mib;
	if (out->maxvcpus < out->vcpus)
		out->maxvcpus = out->vcpus;
	if (!rc && (!out->name || !out->uuid || !out->kernel))
		rc = -EINVAL;
	return rc;
}

/* cfg->cpus as the configuration's cpus, if any vCPU is pinned. */
static int cpus_add(struct json_object *c, const struct hv_config *cfg)
{
	struct json_object *arr;
	bool any = false;

	for (int64_t i = 0; i < cfg->vcpus && i < KEEL_VCPUS_MAX; i++)
		any = any || cfg->cpus[i];
	if (!any)
		return 0;
	if (cpus_same(cfg)) {
		add_string(c, "cpus", cfg->cpus[0]);
		return 0;
	}
	arr = json_object_new_array();
	if (!arr)
		return -ENOMEM;
	for (int64_t i = 0; i < cfg->vcpus && i < KEEL_VCPUS_MAX; i++)
		json_object_array_add(arr, json_object_new_string(
						   cfg->cpus[i] ? cfg->cpus[i] :
								  "all"));
	json_object_object_add(c, "cpus", arr);
	return 0;
}

struct json_object *hv_config_to_json(const struct hv_config *cfg)
{
	struct json_object *c = json_object_new_object();
	struct json_object *disks = NULL, *nics = NULL;

	if (!c)
		return NULL;
	add_string(c, "name", cfg->name);
	add_string(c, "uuid", cfg->uuid);
	add_string(c, "kernel", cfg->kernel);
	add_string(c, "ramdisk", cfg->initrd);
	add_string(c, "cmdline", cfg->cmdline);
	if (cfg->memory_mib)
		json_object_object_add(c, "memory",
				       json_object_new_int64(cfg->memory_mib));
	if (cfg->maxmem_mib > cfg->memory_mib)
		json_object_object_add(c, "maxmem",
				       json_object_new_int64(cfg->maxmem_mib));
	if (cfg->vcpus)
		json_object_object_add(c, "vcpus",
				       json_object_new_int64(cfg->vcpus));
	if (cfg->maxvcpus > cfg->vcpus)
		json_object_object_add(c, "maxvcpus",
				       json_object_new_int64(cfg->maxvcpus));
	json_object_object_add(c, "rng", json_object_new_boolean(cfg->rng));
	if (cfg->prefault)
		json_object_object_add(c, "prefault",
				       json_object_new_boolean(true));
	if (cpus_add(c, cfg))
		goto fail;
	for (size_t i = 0; i < cfg->nr_disks; i++) {
		struct json_object *d = json_object_new_object();
		char vdev[16];

		if (!disks)
			disks = json_object_new_array();
		if (!d || !disks) {
			json_object_put(d);
			goto fail;
		}
		/*
		 * The name the domain had (--vdev); from a keel-hv that was
		 * not told it, xl's name of the disk's place, as the order
		 * is what the guest sees.
		 */
		if (cfg->disks[i].vdev)
			snprintf(vdev, sizeof(vdev), "%s", cfg->disks[i].vdev);
		else if (i < 26)
			snprintf(vdev, sizeof(vdev), "xvd%c", (char)('a' + i));
		else
			snprintf(vdev, sizeof(vdev), "xvd%c%c",
				 (char)('a' + i / 26 - 1), (char)('a' + i % 26));
		add_string(d, "vdev", vdev);
		add_string(d, "path", cfg->disks[i].path);
		if (cfg->disks[i].readonly)
			json_object_object_add(d, "readonly",
					       json_object_new_boolean(1));
		if (iotune_any(&cfg->disks[i].iotune))
			json_object_object_add(d, "iotune",
					       iotune_to_json(IOTUNE_DISK,
							      &cfg->disks[i].iotune,
							      false));
		json_object_array_add(disks, d);
	}
	for (size_t i = 0; i < cfg->nr_nics; i++) {
		struct json_object *n = json_object_new_object();

		if (!nics)
			nics = json_object_new_array();
		if (!n || !nics) {
			json_object_put(n);
			goto fail;
		}
		add_string(n, "tap", cfg->nics[i].tap);
		add_string(n, "mac", cfg->nics[i].mac);
		if (iotune_any(&cfg->nics[i].iotune))
			json_object_object_add(n, "iotune",
					       iotune_to_json(IOTUNE_NIC,
							      &cfg->nics[i].iotune,
							      false));
		json_object_array_add(nics, n);
	}
	if (disks)
		json_object_object_add(c, "disks", disks);
	if (nics)
		json_object_object_add(c, "nics", nics);
	return c;
fail:
	json_object_put(disks);
	json_object_put(nics);
	json_object_put(c);
	return NULL;
}

struct json_object *hv_cmdline_config(char *const *argv, size_t argc,
				      pid_t pid)
{
	struct hv_config cfg;
	struct json_object *c = NULL;

	if (!hv_cmdline_parse(argv, argc, pid, &cfg))
		c = hv_config_to_json(&cfg);
	hv_config_dispose(&cfg);
	return c;
}
