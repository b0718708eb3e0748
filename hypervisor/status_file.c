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

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int status_file_write(const char *path, enum vm_exit_reason reason,
		      const char *detail)
{
	struct json_object *o = json_object_new_object();
	char *tmp = NULL, *line = NULL;
	int fd = -1, rc = -ENOMEM;

	if (!o)
		goto out_log;
	json_object_object_add(
		o, "reason",
		json_object_new_string(vm_exit_reason_name(reason)));
	json_object_object_add(o, "status",
			       json_object_new_int(vm_exit_status(reason)));
	json_object_object_add(o, "detail", json_object_new_string(detail));
	if (asprintf(&tmp, "%s.tmp", path) < 0) {
		tmp = NULL;
		goto out_log;
	}
	if (asprintf(&line, "%s\n",
		     json_object_to_json_string_ext(
			     o, JSON_C_TO_STRING_PLAIN |
					JSON_C_TO_STRING_NOSLASHESCAPE)) < 0) {
		line = NULL;
		goto out_log;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out_log;
	}
	rc = write_all(fd, line, strlen(line));
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc)
		unlink(tmp);
out_log:
	if (rc)
		log_err("Cannot write the status file %s: %s.", path,
			strerror(-rc));
	free(line);
	free(tmp);
	json_object_put(o);
	return rc;
}
