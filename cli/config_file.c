// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A domain configuration file as create and define read it: converted
 * by lib/xlcfg (xl.cfg or JSON), then checked against the schema keeld
 * checks it against (schemas/domain.schema.json, found as keeld finds
 * it: lib/paths.h). keel's limits are written once, in the schema; so a
 * value out of range is refused before anything is sent, in keeld's
 * words, and `keel create -n` never prints a configuration whose shape
 * keeld would refuse. The reader's warnings (an xl key ignored, a key
 * set twice) go to stderr before anything else.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "jschema.h"
#include "paths.h"
#include "xlcfg.h"

/* The domain configuration's schema, in the schema directory. */
#define CONFIG_SCHEMA_FILE "domain.schema.json"

/*
 * Compile the domain configuration's schema into *@out. Returns 0, or
 * says why not (naming @file, whose check it is) and returns CLI_FAIL.
 */
static int config_schema_load(const char *file, struct jschema **out)
{
	struct json_object *doc = NULL;
	char *dir, *path = NULL, *err = NULL;
	int rc = -ENOMEM;

	dir = keel_schema_dir();
	if (dir && asprintf(&path, "%s/%s", dir, CONFIG_SCHEMA_FILE) < 0)
		path = NULL;
	if (path)
		rc = jschema_load_file(path, &doc, &err);
	if (!rc)
		rc = jschema_new(doc, "", out, &err);
	json_object_put(doc);
	if (rc == -ENOMEM && !err)
		cli_error("Out of memory while loading keel's schema.");
	else if (rc)
		cli_error("Cannot check %s against keel's schema: %s%s Set %s to the directory that holds %s.",
			  file, err ? err : strerror(-rc), err ? "" : ".",
			  KEEL_ENV_SCHEMA_DIR, CONFIG_SCHEMA_FILE);
	free(err);
	free(path);
	free(dir);
	return rc ? CLI_FAIL : 0;
}

/* Check @config (read from @file) as keeld's domain_config_check does. */
static int config_validate(const char *file, struct json_object *config)
{
	char *err_path = NULL, *err_msg = NULL;
	struct jschema *schema;
	int rc;

	rc = config_schema_load(file, &schema);
	if (rc)
		return rc;
	rc = jschema_validate(schema, config, &err_path, &err_msg);
	jschema_free(schema);
	if (rc == -EINVAL)
		cli_error("%s: The domain configuration's %s %s.", file,
			  *err_path ? err_path : "value", err_msg);
	else if (rc)
		cli_error("Out of memory while checking %s.", file);
	free(err_path);
	free(err_msg);
	return rc ? CLI_FAIL : 0;
}

/* Each line of @lines after "keel: " on stderr. */
static void config_print_lines(const char *lines)
{
	const char *nl;

	for (; lines && *lines; lines = nl ? nl + 1 : NULL) {
		nl = strchr(lines, '\n');
		cli_error("%.*s", nl ? (int)(nl - lines) : (int)strlen(lines),
			  lines);
	}
}

int cli_config_read(const char *path, char *const *overrides,
		    size_t noverrides, bool quiet, struct json_object **config)
{
	const char *name = strcmp(path, "-") ? path : "<stdin>";
	char *err = NULL, *warn = NULL;
	int rc = xlcfg_read_file(path, overrides, noverrides, config, &err,
				 &warn);

	/* the warnings first: they may explain the errors */
	if (!quiet)
		config_print_lines(warn);
	free(warn);
	if (rc) {
		if (err)
			config_print_lines(err);
		else
			cli_error("%s: %s.", name, strerror(-rc));
		free(err);
		return CLI_FAIL;
	}
	rc = config_validate(name, *config);
	if (rc) {
		json_object_put(*config);
		*config = NULL;
	}
	return rc;
}

int cli_config_load(const char *path, struct json_object **config)
{
	return cli_config_read(path, NULL, 0, false, config);
}
