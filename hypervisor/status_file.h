/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef KEEL_HV_STATUS_FILE_H
#define KEEL_HV_STATUS_FILE_H

#include "vm.h"

/*
 * Before the VM starts: make sure the status file can be written, so
 * that a bad path fails now and not when the VM ends, and remove one
 * left by an earlier run, which would describe a VM that is not this
 * one. Returns 0 or -errno, logged.
 */
int status_file_prepare(const char *path);

/*
 * Why keel-hv ended, for a keeld that was not watching: one JSON object
 * ({"reason", "status", "detail"}, hv_proto.h) and a newline, written to
 * PATH.tmp, synced and renamed over @path, so that a reader sees all of
 * it or nothing. Returns 0 or -errno, logged.
 */
int status_file_write(const char *path, enum vm_exit_reason reason,
		      const char *detail);

#endif /* KEEL_HV_STATUS_FILE_H */
