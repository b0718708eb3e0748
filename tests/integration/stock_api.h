/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_TESTS_STOCK_API_H
#define KEEL_TESTS_STOCK_API_H
/*
 * libvirt's own client library (Debian's libvirt0), for the refusals a
 * test cannot ask virsh for without risking a hang that is virsh's own.
 *
 * virsh runs save, managedsave, dump and migrate in a worker thread and
 * waits for it in a GLib main loop; the worker ends the loop with
 * g_main_loop_quit(). When the answer comes back before the main thread
 * has reached g_main_loop_run(), the quit is lost: virsh prints the
 * error and then waits forever (tools/virsh-domain.c, libvirt 9.0 to at
 * least 11.3). keel-virtd refuses in well under a millisecond, so on a
 * busy machine virsh loses that race now and then.
 *
 * These helpers make the calls virsh makes, through the same library,
 * without the thread, and so put the same procedures and arguments on
 * the wire. virsh still drives every save and migration that
 * succeeds; there the answer takes long enough. docs/libvirt.md says
 * this for users.
 */

/* libvirt's flag values (libvirt-domain.h); stock_api.c checks them. */
#define STOCK_SAVE_BYPASS_CACHE 1
#define STOCK_SAVE_PAUSED 4
#define STOCK_MIGRATE_LIVE 1
#define STOCK_MIGRATE_PEER2PEER 2
#define STOCK_MIGRATE_NON_SHARED_DISK 64

/* NULL where the library is linked in, else why it is not. */
const char *stock_api_missing(void);

/*
 * `virsh save NAME TO [--xml FILE]`: virDomainSave() on @uri when @xml
 * is NULL and @flags 0, else virDomainSaveFlags(). NULL when it
 * succeeded, else libvirt's message (static storage).
 */
const char *stock_save(const char *uri, const char *name, const char *to,
		       const char *xml, unsigned flags);

/*
 * `virsh migrate --p2p NAME DESTURI [--dname D] [--migrateuri M]`:
 * virDomainMigrateToURI3() with destination_name and migrate_uri where
 * given. NULL when it succeeded, else libvirt's message.
 */
const char *stock_migrate(const char *uri, const char *name,
			  const char *desturi, const char *dname,
			  const char *miguri, unsigned flags);

#endif
