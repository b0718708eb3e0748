// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The reader's entry points (xlcfg.h): the bytes of a file, standard
 * input or a buffer, checked for what no configuration holds (more
 * than 1 MiB, a NUL byte), then read as the JSON model itself when the
 * first non-blank byte is '{', or as xl.cfg by xlcfg.c otherwise.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "json_strict.h"
#include "xlcfg.h"
#include "xlcfg_internal.h"

#define XLCFG_MAX_SIZE (1024 * 1024)

static int line_at(const char *buf, size_t off)
{
	int line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		line += buf[i] == '\n';
	return line;
}

/* Say what json_strict found wrong, the way this reader says things. */
static int strict_fail(const struct json_strict *js, const char *buf,
		       const char *name, char **err)
{
	int line = line_at(buf, js->at);

	switch (js->fault) {
	case JSON_STRICT_UTF8:
		return xlcfg_fail(err, name, line,
				  "This is not valid UTF-8: %s; keel's configuration is UTF-8 text.",
				  js->what);
	case JSON_STRICT_NUL_NAME:
		return xlcfg_fail(err, name, line,
				  "A member name contains \\u0000, which keel does not accept.");
	case JSON_STRICT_NUL_STRING:
		return xlcfg_fail(err, name, line,
				  "A string contains a NUL character (\\u0000), which keel does not accept.");
	case JSON_STRICT_DUPLICATE:
		return xlcfg_fail(err, name, line,
				  "The member \"%s\" appears twice in one object.",
				  js->what);
	case JSON_STRICT_TOO_DEEP:
		return xlcfg_fail(err, name, line,
				  "This is not valid JSON: it nests arrays and objects deeper than %d levels.",
				  JSON_STRICT_MAX_DEPTH);
	default:
		return xlcfg_fail(err, name, line, "This is not valid JSON: %s.",
				  js->what);
	}
}

static int parse_json(const char *buf, size_t len, const char *name,
		      struct json_object **out, char **err)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	struct json_object *o;
	struct json_strict js;
	size_t end, at;
	int rc;

	/*
	 * What json-c lets through (see json_strict.h); the scan checks
	 * every byte's UTF-8, so json-c need not. json-c's default depth
	 * (32) is within what json_strict_check() vouches for.
	 */
	rc = json_strict_scan(&js, buf, len);
	tok = rc == -ENOMEM ? NULL : json_tokener_new();
	if (!tok) {
		rc = -ENOMEM;
		goto out_dispose;
	}
	/* trailing text gets its own message below */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_ALLOW_TRAILING_CHARS);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	/* Where json-c has something to say, if anywhere. */
	at = jerr == json_tokener_continue ? len : end;
	if (o)
		while (at < len && isspace((unsigned char)buf[at]))
			at++;
	/* The first problem in the file is the one to report. */
	if (rc && js.at <= at) {
		rc = strict_fail(&js, buf, name, err);
	} else if (jerr == json_tokener_continue) {
		rc = xlcfg_fail(err, name, line_at(buf, len),
				"The JSON ends before the object is complete.");
	} else if (!o) {
		rc = xlcfg_fail(err, name, line_at(buf, end < len ? end : len),
				"This is not valid JSON: %s.",
				json_tokener_error_desc(jerr));
	} else if (at < len) {
		rc = xlcfg_fail(err, name, line_at(buf, at),
				"Unexpected text after the JSON object; a file holds one domain configuration.");
	} else {
		rc = json_strict_check(&js, o, NULL);
		if (rc == -EINVAL)
			rc = strict_fail(&js, buf, name, err);
	}
	if (rc)
		json_object_put(o);
	else
		*out = o;
out_dispose:
	json_strict_dispose(&js);
	return rc;
}

int xlcfg_read_buf(const char *buf, size_t len, const char *name,
		   char *const *overrides, size_t noverrides,
		   struct json_object **out, char **err, char **warn)
{
	const char *nul;
	size_t i;

	*out = NULL;
	*err = NULL;
	if (warn)
		*warn = NULL;
	if (len > XLCFG_MAX_SIZE)
		return xlcfg_fail(err, name, 0,
				  "The file is larger than 1 MiB; a domain configuration is far smaller, so this is probably the wrong file.");
	nul = memchr(buf, '\0', len);
	if (nul)
		return xlcfg_fail(err, name, line_at(buf, nul - buf),
				  "The file contains a NUL byte; a domain configuration is a text file.");
	for (i = 0; i < len && isspace((unsigned char)buf[i]); i++)
		;
	if (i < len && buf[i] == '{') {
		if (noverrides)
			return xlcfg_fail(err, name, 0,
					  "KEY=VALUE overrides apply to xl.cfg files, and this one is JSON; change the JSON instead.");
		return parse_json(buf, len, name, out, err);
	}
	return xlcfg_parse_xl(buf, len, name, overrides, noverrides, out, err,
			      warn);
}

int xlcfg_parse_buf(const char *buf, size_t len, const char *name,
		    struct json_object **out, char **err)
{
	return xlcfg_read_buf(buf, len, name, NULL, 0, out, err, NULL);
}

int xlcfg_read_file(const char *path, char *const *overrides,
		    size_t noverrides, struct json_object **out, char **err,
		    char **warn)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	size_t len = 0, cap = 65536;
	char *buf = NULL, *bigger;
	bool is_stdin = !strcmp(path, "-");
	int fd, rc;
	ssize_t n;

	*out = NULL;
	*err = NULL;
	if (warn)
		*warn = NULL;
	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		xlcfg_fail(err, name, 0, "Cannot open the file: %s.", strerror(-rc));
		return rc;
	}
	for (;;) {
		if (len == cap || !buf) {
			cap = buf ? cap * 2 : cap;
			bigger = realloc(buf, cap);
			if (!bigger) {
				rc = -ENOMEM;
				goto out;
			}
			buf = bigger;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			xlcfg_fail(err, name, 0, "Cannot read the file: %s.",
				   strerror(-rc));
			goto out;
		}
		if (n == 0)
			break;
		len += n;
		if (len > XLCFG_MAX_SIZE)
			break; /* xlcfg_parse_buf() says why */
	}
	rc = xlcfg_read_buf(buf, len, name, overrides, noverrides, out, err,
			    warn);
out:
	free(buf);
	if (!is_stdin)
		close(fd);
	return rc;
}

int xlcfg_parse_file(const char *path, struct json_object **out, char **err)
{
	return xlcfg_read_file(path, NULL, 0, out, err, NULL);
}
