// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The atomic JSON-file writer (json_file.h): temporary file, fsync,
 * rename, fsync of the directory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json_file.h"

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

/*
 * fsync the directory that holds @path, so that the rename into it is
 * on disk too. Returns 0 or -errno.
 */
static int sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd, rc = 0;

	if (!slash)
		dir = strdup(".");
	else if (slash == path)
		dir = strdup("/");
	else
		dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* Write @text to the new file @tmp with @mode and sync it. */
static int write_tmp(const char *tmp, const char *text, size_t len,
		     mode_t mode)
{
	int fd, rc;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  mode);
	if (fd < 0)
		return -errno;
	/* The umask may have taken bits away; @mode is what was asked. */
	rc = fchmod(fd, mode) < 0 ? -errno : 0;
	if (!rc)
		rc = write_all(fd, text, len);
	if (!rc && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	return rc;
}

int json_file_write(const char *path, struct json_object *o, int json_flags,
		    mode_t mode)
{
	const char *json;
	char *tmp = NULL, *text = NULL;
	int len, rc;

	json = json_object_to_json_string_ext(o, json_flags);
	if (!json)
		return -ENOMEM;
	len = asprintf(&text, "%s\n", json);
	if (len < 0)
		return -ENOMEM;
	if (asprintf(&tmp, "%s.tmp", path) < 0) {
		rc = -ENOMEM;
		goto out_free_text;
	}
	rc = write_tmp(tmp, text, (size_t)len, mode);
	if (!rc && rename(tmp, path) < 0)
		rc = -errno;
	if (rc) {
		/* Never ours if open() failed for a symlink: not removed. */
		if (rc != -ELOOP)
			unlink(tmp);
		goto out_free_tmp;
	}
	rc = sync_parent(path);

out_free_tmp:
	free(tmp);
out_free_text:
	free(text);
	return rc;
}
