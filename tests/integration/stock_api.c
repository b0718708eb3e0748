// SPDX-License-Identifier: GPL-2.0-or-later
/* libvirt's client library for the calls virsh races on (stock_api.h). */
#include "config.h"

#include <check.h>
#include <stdio.h>

#include "stock_api.h"

#if KEEL_STOCK_API
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

_Static_assert(STOCK_SAVE_BYPASS_CACHE == VIR_DOMAIN_SAVE_BYPASS_CACHE,
	       "libvirt's save flags");
_Static_assert(STOCK_SAVE_PAUSED == VIR_DOMAIN_SAVE_PAUSED,
	       "libvirt's save flags");
_Static_assert(STOCK_MIGRATE_LIVE == VIR_MIGRATE_LIVE &&
		       STOCK_MIGRATE_PEER2PEER == VIR_MIGRATE_PEER2PEER &&
		       STOCK_MIGRATE_NON_SHARED_DISK ==
			       VIR_MIGRATE_NON_SHARED_DISK,
	       "libvirt's migration flags");

static char message[1024];

/* libvirt prints every error on stderr unless told otherwise. */
static void quiet(void *opaque, virErrorPtr err)
{
	(void)opaque;
	(void)err;
}

static virDomainPtr domain(const char *uri, const char *name,
			   virConnectPtr *conn)
{
	virDomainPtr dom;

	virSetErrorFunc(NULL, quiet);
	*conn = virConnectOpen(uri);
	ck_assert_msg(*conn, "libvirt could not open %s: %s", uri,
		      virGetLastErrorMessage());
	dom = virDomainLookupByName(*conn, name);
	ck_assert_msg(dom, "libvirt found no domain %s: %s", name,
		      virGetLastErrorMessage());
	return dom;
}

/* NULL when @rc is 0, else the message of the call that failed. */
static const char *answer(int rc, virConnectPtr conn, virDomainPtr dom)
{
	if (rc < 0)
		snprintf(message, sizeof(message), "%s",
			 virGetLastErrorMessage());
	virDomainFree(dom);
	virConnectClose(conn);
	return rc < 0 ? message : NULL;
}

const char *stock_api_missing(void)
{
	return NULL;
}

const char *stock_save(const char *uri, const char *name, const char *to,
		       const char *xml, unsigned flags)
{
	virConnectPtr conn;
	virDomainPtr dom = domain(uri, name, &conn);
	int rc = xml || flags ? virDomainSaveFlags(dom, to, xml, flags) :
				virDomainSave(dom, to);

	return answer(rc, conn, dom);
}

const char *stock_migrate(const char *uri, const char *name,
			  const char *desturi, const char *dname,
			  const char *miguri, unsigned flags)
{
	virConnectPtr conn;
	virDomainPtr dom = domain(uri, name, &conn);
	virTypedParameterPtr params = NULL;
	int n = 0, max = 0, rc;

	if (dname)
		ck_assert_int_eq(virTypedParamsAddString(&params, &n, &max,
							 VIR_MIGRATE_PARAM_DEST_NAME,
							 dname),
				 0);
	if (miguri)
		ck_assert_int_eq(virTypedParamsAddString(&params, &n, &max,
							 VIR_MIGRATE_PARAM_URI,
							 miguri),
				 0);
	rc = virDomainMigrateToURI3(dom, desturi, params, (unsigned)n, flags);
	virTypedParamsFree(params, n);
	return answer(rc, conn, dom);
}

#else

const char *stock_api_missing(void)
{
	return "libvirt's client library was not found when keel was configured (Debian: libvirt-dev)";
}

const char *stock_save(const char *uri, const char *name, const char *to,
		       const char *xml, unsigned flags)
{
	(void)uri, (void)name, (void)to, (void)xml, (void)flags;
	ck_abort_msg("%s", stock_api_missing());
	return NULL;
}

const char *stock_migrate(const char *uri, const char *name,
			  const char *desturi, const char *dname,
			  const char *miguri, unsigned flags)
{
	(void)uri, (void)name, (void)desturi, (void)dname, (void)miguri;
	(void)flags;
	ck_abort_msg("%s", stock_api_missing());
	return NULL;
}

#endif
