// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virsh save and restore through keel-virtd (docs/libvirt.md, "Save,
 * migration and TLS"): keel_domain_save() and keel_domain_restore(),
 * the file being keel's own stream (docs/stream.md) on keeld's host.
 * A save is a job (virt_migrate.c), so domjobinfo shows its progress.
 *
 * libvirt's save always stops the domain; its RUNNING and PAUSED flags
 * say how a later restore should leave it. keel's file records no such
 * wish (keel's save -c and -p say how the domain is left after the
 * save, which libvirt cannot ask), so on a save RUNNING is what keel
 * does anyway and PAUSED is refused with the way to get it: restore
 * with --paused, which is KEEL_RESTORE_PAUSED.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "virt_error.h"
#include "virt_handlers.h"

/* virDomainSaveRestoreFlags (libvirt-domain.h). */
#define SAVE_BYPASS_CACHE (1u << 0)
#define SAVE_RUNNING (1u << 1)
#define SAVE_PAUSED (1u << 2)
#define SAVE_RESET_NVRAM (1u << 3)

/* Refuse what keel cannot honour of @flags (shared by save and restore). */
static int check_flags(struct virt_call *call, unsigned flags, bool restore)
{
	if (flags & SAVE_BYPASS_CACHE)
		return virt_call_error(call, VIR_ERR_ARGUMENT_UNSUPPORTED,
				       "keel does not support VIR_DOMAIN_SAVE_BYPASS_CACHE (--bypass-cache): keel-hv writes and reads the file through the page cache.");
	if (flags & SAVE_RESET_NVRAM)
		return virt_call_error(call, VIR_ERR_ARGUMENT_UNSUPPORTED,
				       "keel does not support VIR_DOMAIN_SAVE_RESET_NVRAM (--reset-nvram): keel guests have no NVRAM.");
	if ((flags & SAVE_RUNNING) && (flags & SAVE_PAUSED))
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "--running and --paused are mutually exclusive.");
	if (!restore && (flags & SAVE_PAUSED))
		return virt_call_error(call, VIR_ERR_ARGUMENT_UNSUPPORTED,
				       "keel's save file records no state to restore to (VIR_DOMAIN_SAVE_PAUSED, virsh save --paused); restore it with virsh restore --paused instead.");
	return virt_call_check_flags(call, flags,
				     SAVE_RUNNING | SAVE_PAUSED);
}

/* libvirt's client makes the path absolute; anything else is hostile. */
static int check_path(struct virt_call *call, const char *path)
{
	if (path[0] != '/')
		return virt_call_error(call, VIR_ERR_INVALID_ARG,
				       "The file \"%s\" must be an absolute path on keeld's host.",
				       path);
	return 0;
}

static int check_dxml(struct virt_call *call, char *const *dxml)
{
	if (dxml && *dxml && **dxml)
		return virt_call_error(call, VIR_ERR_ARGUMENT_UNSUPPORTED,
				       "keel does not support another configuration for a saved domain (--xml): the file holds the configuration it was saved with; change it after the restore.");
	return 0;
}

static int save(struct virt_call *call, const struct vx_dom *dom,
		const char *to, char *const *dxml, unsigned flags)
{
	struct keel_domain d;
	struct keel_conn *kc;
	struct virt_job *j;
	int rc;

	if (check_flags(call, flags, false) || check_dxml(call, dxml) ||
	    check_path(call, to) || virt_dom_get(call, dom, &d, NULL))
		return -1;
	kc = virt_call_keel(call);
	if (!kc || virt_job_begin(call, &d, VIRT_JOB_SAVE, &j))
		return -1;
	rc = keel_domain_save(kc, d.uuid, to, 0, NULL);
	virt_job_end(j);
	if (rc)
		return virt_call_keel_error(call);
	log_info("Saved domain %s into %s for a libvirt client.", d.name, to);
	return 0;
}

static int restore(struct virt_call *call, const char *from,
		   char *const *dxml, unsigned flags)
{
	struct keel_domain d;
	struct keel_conn *kc;
	int rc;

	if (check_flags(call, flags, true) || check_dxml(call, dxml) ||
	    check_path(call, from))
		return -1;
	kc = virt_call_keel(call);
	if (!kc || virt_long_enter(call))
		return -1;
	rc = keel_domain_restore(kc, from,
				 flags & SAVE_PAUSED ? KEEL_RESTORE_PAUSED : 0,
				 &d);
	virt_long_leave();
	if (rc)
		return virt_call_keel_error(call);
	log_info("Restored domain %s from %s for a libvirt client.", d.name,
		 from);
	return 0;
}

int virt_h_save(struct virt_call *call, void *args, void *ret)
{
	struct vx_save_args *a = args;

	return save(call, &a->dom, a->to, NULL, 0);
}

int virt_h_save_flags(struct virt_call *call, void *args, void *ret)
{
	struct vx_save_flags_args *a = args;

	return save(call, &a->dom, a->to, a->dxml, a->flags);
}

int virt_h_restore(struct virt_call *call, void *args, void *ret)
{
	struct vx_restore_args *a = args;

	return restore(call, a->from, NULL, 0);
}

int virt_h_restore_flags(struct virt_call *call, void *args, void *ret)
{
	struct vx_restore_flags_args *a = args;

	return restore(call, a->from, a->dxml, a->flags);
}
