/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_DAEMON_SAVE_WRITER_H
#define KEEL_DAEMON_SAVE_WRITER_H

/*
 * The process that writes a saved domain's file (docs/stream.md,
 * "Saving") or a domain's core (domain.dump_core). keel-hv writes into
 * a FIFO and a child of keeld puts it into the file and syncs it: the
 * file's page cache is then charged to keeld's memory cgroup, not to
 * the domain's, whose limit (its memory plus a little) a file as large
 * as the guest's RAM would break (on tmpfs the kernel killed keel-hv,
 * the guest with it). The same reason makes libvirt write QEMU's saves
 * and dumps through its iohelper.
 */

struct event_base;
struct save_writer;

/* What arrives in the FIFO. */
enum save_writer_mode {
	/* The file's bytes in order (a save's stream). */
	SAVE_WRITER_STREAM,
	/*
	 * Records of an offset, a length and bytes, then one of length 0
	 * giving the size (hypervisor/dump_core.h): a sparse file, a core.
	 * Input that ends before that record is an error (EIO).
	 */
	SAVE_WRITER_RECORDS,
};

/* The writer ended: 0 once everything up to EOF is in the file, synced; else an errno. */
typedef void (*save_writer_fn)(int err, void *opaque);

/*
 * Make the FIFO @fifo (a stale one is replaced) and start the child that
 * puts what arrives there (as @mode says) into @file_fd (keeld's, still its own after
 * the call). keeld keeps a write end open, so the child waits for
 * keel-hv however late it opens the FIFO; save_writer_close() lets the
 * child see the end. @done is called once, from @base's loop, unless
 * save_writer_free() comes first. Returns 0 or -errno.
 */
int save_writer_start(struct event_base *base, const char *fifo, int file_fd,
		      enum save_writer_mode mode, save_writer_fn done,
		      void *opaque, struct save_writer **out);

/*
 * keel-hv has answered: once it has closed its end too, the child reads
 * EOF. The FIFO's name goes now, so the run directory can go with it.
 */
void save_writer_close(struct save_writer *w);

/* Kill the child if it still runs, reap it, remove the FIFO. NULL is fine. */
void save_writer_free(struct save_writer *w);

#endif /* KEEL_DAEMON_SAVE_WRITER_H */
