// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv's status file (--status-file): why keel-hv ended, for a keeld
 * that was not there to see it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv_proto.h"
#include "json_file.h"
#include "log.h"
#include "status_file.h"
#include "vmm.h"

int status_file_prepare(const char *path)
{
	char *tmp;
	int fd, rc = 0;

	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		log_err("Cannot create the status file %s: %s.", tmp,
			strerror(-rc));
		goto out_free;
	}
	close(fd);
	unlink(tmp);
	if (unlink(path) < 0 && errno != ENOENT) {
		rc = -errno;
		log_err("Cannot remove the old status file %s: %s.", path,
			strerror(-rc));
	}
out_free:
	free(tmp);
	return rc;
}

int status_file_write(const char *path, enum vm_exit_reason reason,
		      const char *detail)
{
	struct json_object *o = json_object_new_object();
	int rc = -ENOMEM;

	if (!o)
		goto out_log;
	json_object_object_add(
		o, HV_STATUS_REASON,
		json_object_new_string(vm_exit_reason_name(reason)));
	json_object_object_add(o, HV_STATUS_STATUS,
			       json_object_new_int(vm_exit_status(reason)));
	json_object_object_add(o, HV_STATUS_DETAIL,
			       json_object_new_string(detail));
	rc = json_file_write(path, o,
			     JSON_C_TO_STRING_PLAIN |
				     JSON_C_TO_STRING_NOSLASHESCAPE,
			     0644);
out_log:
	if (rc)
		log_err("Cannot write the status file %s: %s.", path,
			strerror(-rc));
	json_object_put(o);
	return rc;
}
