// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel(1), the command line, run as a program: what needs no keeld
 * (create -n on the golden configurations, usage errors, help, the
 * generated bash completion, the man page listing every command and
 * option), then against a real keeld in a temporary run directory
 * (keeld_fixture.h), and
 * running domains on /dev/kvm with the in-tree echo guest.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "keeld_fixture.h"
#include "runner.h"

#define TIMEOUT_MS 20000
#define MAX_ARGS 16

/* keeld.conf's line naming the keel-hv of the build tree. */
#define KEELD_CONF_HYPERVISOR "hypervisor = %s\n"

/* The commands man/keel.1 documents; `keel help` must list each. */
static const char *const commands[] = {
	"create", "list", "info", "define", "undefine", "start", "pause",
	"unpause", "shutdown", "reboot", "destroy", "rename", "autostart",
	"domid", "domname", "uptime", "vcpu-pin", "vcpu-list", "config",
	"console", "events", "help", "completion", "mem-set", "mem-max",
	"top", "blkdeviotune", "domiftune", "sched-credit", "block-attach",
	"block-detach", "block-list", "network-attach", "network-detach",
	"network-list", "dmesg", "config-update", "sysrq", "trigger",
	"button-press", "dump-core", "save", "restore",
};
#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))


/* --- the source tree and files ------------------------------------------ */

/* @rel under the source tree ($KEEL_SRCDIR, or where this file is). */
static char *src_path(const char *rel)
{
	const char *src = getenv("KEEL_SRCDIR");
	const char *suffix = "tests/integration/check_cli.c";
	const char *file = __FILE__;
	size_t n = strlen(file);
	char *path;

	if (src && *src)
		ck_assert_int_ge(asprintf(&path, "%s/%s", src, rel), 0);
	else if (n >= strlen(suffix) &&
		 !strcmp(file + n - strlen(suffix), suffix))
		ck_assert_int_ge(asprintf(&path, "%.*s%s",
					  (int)(n - strlen(suffix)), file, rel),
				 0);
	else
		ck_abort_msg("cannot find the source tree; set KEEL_SRCDIR");
	return path;
}


static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	ck_assert_msg(f != NULL, "cannot read %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	ck_assert_int_eq(fread(buf, 1, (size_t)len, f), len);
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* A file in the test's own directory; returns a static path. */
static const char *test_file(const char *name, const char *text)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", top, name);
	write_file(path, text);
	return path;
}

/* --- running keel -------------------------------------------------------- */

/*
 * Run keel with the NULL-terminated arguments after @input (written to
 * its stdin; NULL: none). Returns its exit status; *@out (may be NULL)
 * gets its stdout and stderr, which the caller frees.
 */
static int keel(char **out, const char *input, ...)
{
	char *argv[MAX_ARGS + 2] = { (char *)harness_path("cli/keel") };
	struct proc p;
	va_list ap;
	int n = 1, rc;

	va_start(ap, input);
	while (n <= MAX_ARGS && (argv[n] = va_arg(ap, char *)))
		n++;
	va_end(ap);
	ck_assert_int_le(n, MAX_ARGS);
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	if (input) {
		/* keel may end before reading it (a console refused): fine. */
		rc = proc_send(&p, input);
		ck_assert_msg(rc == 0 || rc == -EPIPE, "cannot write to keel: %s",
			      strerror(-rc));
	}
	close(p.in_fd);
	p.in_fd = -1;
	rc = proc_wait(&p, TIMEOUT_MS);
	ck_assert_msg(rc >= 0, "keel %s did not finish", argv[1]);
	if (out)
		*out = strdup(p.out);
	proc_dispose(&p);
	return rc;
}

/* keel ... must exit with @status and print something containing @want. */
#define keel_expect(status, want, ...)                                     \
	do {                                                               \
		char *out_;                                                \
		int rc_ = keel(&out_, NULL, __VA_ARGS__, NULL);            \
		ck_assert_msg(rc_ == (status) && strstr(out_, want),      \
			      "keel %s: exit %d, expected %d and \"%s\" in:\n%s", \
			      #__VA_ARGS__, rc_, status, want, out_);      \
		free(out_);                                                \
	} while (0)

/* keel ... must succeed and print JSON; returns it (caller puts). */
static struct json_object *keel_json(const char *a1, const char *a2,
				     const char *a3)
{
	struct json_object *o;
	char *out;
	int rc = keel(&out, NULL, a1, a2, a3, NULL);

	ck_assert_msg(rc == 0, "keel %s %s: exit %d: %s", a1, a2 ? a2 : "",
		      rc, out);
	o = json_tokener_parse(out);
	ck_assert_msg(o != NULL, "keel %s %s printed no JSON: %s", a1,
		      a2 ? a2 : "", out);
	free(out);
	return o;
}



/* --- keel list's table ---------------------------------------------------- */

/* True if @s is a non-empty string of decimal digits. */
static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* One row of `keel list`: its six columns. */
struct list_row {
	char name[80], id[16], mem[24], vcpus[16], state[16], time[32];
};

/*
 * Find @name's row in `keel list`'s output @out, after checking the
 * header has xl's columns. Returns false when there is no such row.
 */
static bool list_row(const char *out, const char *name, struct list_row *r)
{
	char h[6][16];
	const char *line;

	ck_assert_msg(sscanf(out, "%15s %15s %15s %15s %15s %15s", h[0], h[1],
			     h[2], h[3], h[4], h[5]) == 6 &&
			      !strcmp(h[0], "Name") && !strcmp(h[1], "ID") &&
			      !strcmp(h[2], "Mem") && !strcmp(h[3], "VCPUs") &&
			      !strcmp(h[4], "State") &&
			      !strcmp(h[5], "Time(s)"),
		      "keel list's header is not xl's:\n%s", out);
	for (line = strchr(out, '\n'); line; line = strchr(line, '\n')) {
		line++;
		if (sscanf(line, "%79s %15s %23s %15s %15s %31s", r->name,
			   r->id, r->mem, r->vcpus, r->state, r->time) == 6 &&
		    !strcmp(r->name, name))
			return true;
	}
	return false;
}

/* `keel list`'s row for @name must be these columns; @time NULL: a number. */
static void assert_list_row(const char *name, const char *id, const char *mem,
			    const char *vcpus, const char *state,
			    const char *time)
{
	struct list_row r;
	char *out, *end;

	ck_assert_int_eq(keel(&out, NULL, "list", NULL), 0);
	ck_assert_msg(list_row(out, name, &r), "no row for %s in:\n%s", name,
		      out);
	ck_assert_msg((id ? !strcmp(r.id, id) : all_digits(r.id)) &&
			      !strcmp(r.mem, mem) && !strcmp(r.vcpus, vcpus) &&
			      !strcmp(r.state, state),
		      "%s's row is wrong:\n%s", name, out);
	if (time) {
		ck_assert_msg(!strcmp(r.time, time), "%s's time:\n%s", name,
			      out);
	} else {
		ck_assert_msg(strtod(r.time, &end) >= 0 && !*end &&
				      end != r.time,
			      "%s's Time(s) is not a number:\n%s", name, out);
	}
	free(out);
}

/* --- directories and keeld (keeld_fixture.h) --------------------------- */

static void cli_setup(void)
{
	setup();
	/* Never the host's keeld: a test that needs one starts its own. */
	setenv("KEEL_URI", "/nonexistent/keeld.sock", 1);
}

/* keeld_fixture's keeld_start(), with KEEL_URI pointing at it. */
static void cli_keeld_start(void)
{
	keeld_start();
	setenv("KEEL_URI", rw_sock, 1);
}

/* --- without keeld -------------------------------------------------------- */

/* create -n -q prints every golden NAME.cfg as its NAME.json. */
START_TEST(test_dry_run_golden)
{
	char *dir = src_path("tests/golden/xlcfg");
	DIR *d = opendir(dir);
	struct dirent *e;
	int nr = 0;

	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		struct json_object *got, *want;
		char *cfg, *json, *out;

		if (len < 5 || strcmp(e->d_name + len - 4, ".cfg"))
			continue;
		ck_assert_int_ge(asprintf(&cfg, "%s/%s", dir, e->d_name), 0);
		ck_assert_int_ge(asprintf(&json, "%s/%.*s.json", dir,
					  (int)(len - 4), e->d_name),
				 0);
		/* -q: the warnings are check_xlcfg's (NAME.warn) */
		ck_assert_msg(keel(&out, NULL, "create", "-n", "-q", cfg,
				   NULL) == 0,
			      "keel create -n %s: %s", cfg, out);
		got = json_tokener_parse(out);
		want = json_object_from_file(json);
		ck_assert_msg(want != NULL, "%s is missing or not JSON", json);
		ck_assert_msg(got && json_object_equal(got, want),
			      "keel create -n %s printed\n%s\nnot %s", cfg,
			      out, json);
		ck_assert_msg(out[strlen(out) - 1] == '\n',
			      "no newline after the JSON");
		json_object_put(got);
		json_object_put(want);
		free(out);
		free(cfg);
		free(json);
		nr++;
	}
	closedir(d);
	free(dir);
	ck_assert_int_ge(nr, 5);
}
END_TEST

START_TEST(test_dry_run_stdin)
{
	struct json_object *o;
	char *out;

	ck_assert_int_eq(keel(&out, "name = \"piped\"\nkernel = \"/k\"\nvcpus = 2\n",
			      "create", "-n", "-", NULL),
			 0);
	o = json_tokener_parse(out);
	ck_assert_str_eq(str_at(o, "/name"), "piped");
	ck_assert_int_eq(json_object_get_int(at(o, "/vcpus")), 2);
	json_object_put(o);
	free(out);

	/* The native spelling goes through as it is. */
	ck_assert_int_eq(keel(&out, "{\"name\": \"j\", \"kernel\": \"/k\"}",
			      "create", "--dry-run", "-", NULL),
			 0);
	o = json_tokener_parse(out);
	ck_assert_str_eq(str_at(o, "/name"), "j");
	json_object_put(o);
	free(out);
}
END_TEST

START_TEST(test_dry_run_errors)
{
	const char *path = test_file("bad.cfg", "name = \"bad\"\n"
						"kernel = \"/k\"\n"
						"memory = 01\n");
	char want[300], missing[300], *pinned;

	snprintf(want, sizeof(want), "keel: %s:3: ", path);
	keel_expect(1, want, "create", "-n", path);
	snprintf(missing, sizeof(missing), "%s/none.cfg", top);
	keel_expect(1, missing, "create", "-n", missing);
	keel_expect(1, "<stdin>:", "define", "-");
	/* With -c too: a bad file fails before keeld is asked anything. */
	keel_expect(1, want, "create", "-c", path);

	/* What keel cannot do is refused, saying why: NUMA placement. */
	path = test_file("pinned.cfg", "name = \"p\"\nkernel = \"/k\"\n"
				       "vcpus = 2\ncpus = \"nodes:0\"\n");
	ck_assert_int_ge(asprintf(&pinned, "keel: %s:4: In 'cpus': \"nodes:0\" in the CPU list \"nodes:0\" names NUMA nodes; keel does not place vCPUs by node, so give host CPU numbers instead.",
				  path),
			 0);
	keel_expect(1, pinned, "create", "-n", path);
	free(pinned);
}
END_TEST

/*
 * xl's create habits: KEY=VALUE overrides after the file, --dryrun, the
 * file's warnings on stderr (each naming its key and line) unless -q,
 * and -V and -F -e refused as usage.
 */
START_TEST(test_dry_run_xl)
{
	const char *path = test_file("xl.cfg", "name = \"xl\"\n"
					       "kernel = \"/k\"\n"
					       "memory = 256\n"
					       "pool = \"Pool-0\"\n");
	struct json_object *o;
	char *out, *want;

	ck_assert_int_eq(keel(&out, NULL, "create", "--dryrun", "-q", path,
			      "memory=512", "vcpus = 2", NULL),
			 0);
	o = json_tokener_parse(out);
	ck_assert_msg(o, "not only JSON with -q:\n%s", out);
	ck_assert_int_eq(json_object_get_int(at(o, "/memory")), 512);
	ck_assert_int_eq(json_object_get_int(at(o, "/vcpus")), 2);
	json_object_put(o);
	free(out);

	ck_assert_int_ge(asprintf(&want, "keel: %s:4: warning: 'pool' is ignored",
				  path),
			 0);
	keel_expect(0, want, "create", "-n", path);
	free(want);
	keel_expect(1, "keel: <command line>:1: The value of 'name' must be quoted",
		    "create", "-n", path, "name=web");
	keel_expect(2, "Unexpected argument \"512\". After FILE come only KEY=VALUE overrides.",
		    "create", "-n", path, "512");
	keel_expect(2, "-V is refused: keel domains have no VNC display",
		    "create", "-V", path);
	keel_expect(2, "-F waits for the domain to end and -e says not to",
		    "create", "-F", "-e", path);
}
END_TEST

/*
 * What the reader converts is checked against keeld's own schema before
 * anything is printed or sent: keel's limits are the schema's, and the
 * message is keeld's, naming the file and the member.
 */
START_TEST(test_dry_run_schema)
{
	const char *path = test_file("small.cfg", "name = \"small\"\n"
						  "kernel = \"/k\"\n"
						  "memory = 8\n");
	char *want, *out, *dir, *schema, *text, *at;

	ck_assert_int_ge(asprintf(&want, "keel: %s: The domain configuration's /memory must be at least 16.\n",
				  path),
			 0);
	keel_expect(1, want, "create", "-n", path);
	/* define and create check it too, before they connect */
	keel_expect(1, want, "define", path);
	keel_expect(1, want, "create", "-p", path);
	free(want);
	ck_assert_int_eq(keel(&out, "{ \"name\": \"j\", \"kernel\": \"/k\", "
				    "\"vcpus\": 65 }",
			      "create", "-n", "-", NULL),
			 1);
	ck_assert_msg(strstr(out, "keel: <stdin>: The domain configuration's /vcpus must be at most 64.\n"),
		      "%s", out);
	free(out);
	ck_assert_int_eq(keel(&out, "name = \"-web\"\nkernel = \"/k\"\n",
			      "create", "-n", "-", NULL),
			 1);
	ck_assert_msg(strstr(out, "keel: <stdin>: The domain configuration's /name must match the pattern"),
		      "%s", out);
	free(out);
	ck_assert_int_eq(keel(&out, "name = \"r\"\nkernel = \"/k\"\nrng = 0\n",
			      "create", "-n", "-", NULL),
			 0);
	ck_assert_msg(strstr(out, "\"rng\": false"), "%s", out);
	free(out);

	/* $KEEL_SCHEMA_DIR is the schema keel checks against ... */
	ck_assert_int_ge(asprintf(&dir, "%s/schemas", top), 0);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	schema = src_path("schemas/domain.schema.json");
	text = read_file(schema);
	at = strstr(text, "\"minimum\": 16,");
	ck_assert_ptr_nonnull(at);
	memcpy(at, "\"minimum\": 32,", strlen("\"minimum\": 32,"));
	free(schema);
	ck_assert_int_ge(asprintf(&schema, "%s/domain.schema.json", dir), 0);
	write_file(schema, text);
	path = test_file("mid.cfg", "name = \"mid\"\nkernel = \"/k\"\n"
				    "memory = 24\n");
	keel_expect(0, "\"memory\": 24", "create", "-n", path);
	setenv("KEEL_SCHEMA_DIR", dir, 1);
	keel_expect(1, "/memory must be at least 32.", "create", "-n", path);
	/* ... and without one keel says so, and how to give it */
	unlink(schema);
	keel_expect(1, "keel: Cannot check ", "create", "-n", path);
	keel_expect(1, "Set KEEL_SCHEMA_DIR to the directory that holds domain.schema.json.",
		    "define", path);
	unsetenv("KEEL_SCHEMA_DIR");
	free(schema);
	free(text);
	free(dir);
}
END_TEST

/* Every usage error exits 2, says what is wrong and where to look. */
START_TEST(test_usage_errors)
{
	static const struct {
		const char *argv[5];
		const char *want;
	} cases[] = {
		{ { NULL }, "No command given." },
		{ { "--bogus" }, "There is no option --bogus." },
		{ { "-c" }, "The option -c needs an argument." },
		{ { "list", "--bogus" }, "keel list: There is no option --bogus." },
		{ { "list", "-x" }, "keel list: There is no option -x." },
		{ { "info", "--json=yes" }, "There is no option --json=yes." },
		{ { "create" }, "keel create: Too few arguments; it takes FILE|- [KEY=VALUE...]." },
		{ { "create", "a", "b" }, "Unexpected argument \"b\"." },
		{ { "rename", "a" }, "it takes DOM NEWNAME." },
		{ { "info", "extra" }, "Unexpected argument \"extra\"." },
		{ { "shutdown", "-t" }, "The option -t needs an argument." },
		{ { "shutdown", "-t", "soon", "web" }, "from 0 to 86400, not \"soon\"" },
		{ { "shutdown", "--timeout", "86401", "web" }, "from 0 to 86400" },
		{ { "shutdown" }, "Name the domain to shut down" },
		{ { "shutdown", "-a", "web" }, "not both" },
		{ { "reboot" }, "Name the domain to reboot" },
		{ { "reboot", "-a", "web" }, "not both" },
		{ { "reboot", "-t", "1", "web" }, "There is no option -t." },
		{ { "uptime", "-s", "--json" }, "-s or --json, not both" },
		{ { "list", "--name", "-l" }, "give it alone" },
		{ { "config-update", "web" }, "it takes DOM FILE|-." },
		{ { "dmesg", "web" }, "Unexpected argument \"web\"." },
		{ { "console", "-n", "x", "web" }, "a number from 0, not \"x\"" },
		{ { "autostart", "web", "maybe" }, "Say on or off, not \"maybe\"." },
		{ { "domname", "web" }, "\"web\" is not a domain id" },
		{ { "completion", "zsh" }, "Only bash is supported" },
		{ { "help", "frob" }, "There is no command \"frob\"." },
		{ { "console" }, "keel console: Too few arguments; it takes DOM." },
		{ { "console", "a", "b" }, "Unexpected argument \"b\"." },
		{ { "console", "--bogus", "web" }, "There is no option --bogus." },
		{ { "console", "-e" }, "The option -e needs an argument." },
		{ { "console", "-t", "com1", "web" }, "serial or virtio, not \"com1\"" },
		{ { "console", "-r", "-f", "web" }, "--read-only or --force, not both" },
		{ { "console", "--history", "lots", "web" }, "number of lines, not \"lots\"" },
		{ { "console", "--history", "-1", "web" }, "number of lines, not \"-1\"" },
		{ { "console", "-e", "ab", "web" }, "^X or none, not \"ab\"" },
		{ { "console", "-e", "^1", "web" }, "^X or none, not \"^1\"" },
		{ { "top", "-d", "0" }, "from 0.1 to 86400, not \"0\"" },
		{ { "top", "-d", "soon" }, "from 0.1 to 86400, not \"soon\"" },
		{ { "top", "-i", "0" }, "whole number from 1, not \"0\"" },
		{ { "top", "-i", "2x" }, "whole number from 1, not \"2x\"" },
		{ { "top", "web" }, "Unexpected argument \"web\"." },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const *a = cases[i].argv;
		char *out;
		int rc = keel(&out, NULL, a[0], a[1], a[2], a[3], NULL);

		ck_assert_msg(rc == 2 && strstr(out, cases[i].want) &&
				      strstr(out, "Run 'keel help"),
			      "keel %s %s: exit %d, expected 2 and \"%s\" in:\n%s",
			      a[0] ? a[0] : "", a[1] ? a[1] : "", rc,
			      cases[i].want, out);
		free(out);
	}
	/* xl's status for a command it does not have is 1, not 2. */
	keel_expect(1, "There is no command \"frobnicate\".", "frobnicate");
}
END_TEST

/*
 * xl's exit statuses for every command: 2 for a command line that is
 * wrong (an unknown option; missing operands where some are needed),
 * 1 for an unknown command, never a crash or 0.
 */
START_TEST(test_every_command_usage)
{
	/* The commands whose operands are required. */
	static const char *const need_args[] = {
		"create", "define", "undefine", "start", "pause", "unpause",
		"destroy", "rename", "autostart", "domid", "domname", "config",
		"mem-set", "mem-max", "vcpu-set", "vcpu-pin", "console",
		"blkdeviotune", "domiftune", "completion", "config-update",
	};
	char *out;
	int rc;

	for (size_t i = 0; i < NR_COMMANDS; i++) {
		rc = keel(&out, NULL, commands[i], "--no-such-option", "x",
			  NULL);
		ck_assert_msg(rc == 2 && strstr(out, "There is no option --no-such-option."),
			      "keel %s --no-such-option: exit %d:\n%s",
			      commands[i], rc, out);
		free(out);
	}
	for (size_t i = 0; i < sizeof(need_args) / sizeof(need_args[0]);
	     i++) {
		rc = keel(&out, NULL, need_args[i], NULL);
		ck_assert_msg(rc == 2 && strstr(out, "Too few arguments"),
			      "keel %s: exit %d:\n%s", need_args[i], rc, out);
		free(out);
	}
	keel_expect(1, "There is no command \"destory\".", "destory", "web");
}
END_TEST

START_TEST(test_help)
{
	char *out, *dash_h, *man_path = src_path("man/keel.1");
	char *man = read_file(man_path);

	ck_assert_int_eq(keel(&out, NULL, "help", NULL), 0);
	ck_assert_int_eq(keel(&dash_h, NULL, "--help", NULL), 0);
	ck_assert_str_eq(out, dash_h);
	/* A terminal of 80 columns shows every line whole. */
	for (const char *p = out; *p;) {
		size_t len = strcspn(p, "\n");

		ck_assert_msg(len <= 80, "keel help's line is %zu columns: %.*s",
			      len, (int)len, p);
		p += len + (p[len] == '\n');
	}
	for (size_t i = 0; i < NR_COMMANDS; i++) {
		char line[64], usage[64], *cmd_help, *cmd_dash_h;

		snprintf(line, sizeof(line), "\n  %s ", commands[i]);
		ck_assert_msg(strstr(out, line), "keel help lacks %s:\n%s",
			      commands[i], out);
		ck_assert_int_eq(keel(&cmd_help, NULL, "help", commands[i],
				      NULL),
				 0);
		ck_assert_int_eq(keel(&cmd_dash_h, NULL, commands[i], "--help",
				      NULL),
				 0);
		ck_assert_str_eq(cmd_help, cmd_dash_h);
		snprintf(usage, sizeof(usage), "Usage: keel %s", commands[i]);
		ck_assert_msg(strstr(cmd_help, usage), "%s", cmd_help);

		/* The man page has the command (roff's "\-" for "-"). */
		strcpy(line, "\n.SS ");
		for (const char *c = commands[i]; *c; c++) {
			if (*c == '-')
				strcat(line, "\\");
			strncat(line, c, 1);
		}
		strcat(line, "\n");
		ck_assert_msg(strstr(man, line), "%s has no \"%s\"", man_path,
			      line + 1);
		for (char *p = cmd_help; (p = strstr(p, " --")); p += 3) {
			char opt[128], *o = opt;
			size_t len = strcspn(p + 3, " \n");

			/* roff spells every "-" as "\-". */
			for (size_t j = 0; j < len + 2 && j < 60; j++) {
				if (p[1 + j] == '-')
					*o++ = '\\';
				*o++ = p[1 + j];
			}
			*o = '\0';
			ck_assert_msg(strstr(man, opt),
				      "%s does not document %s's --%.*s",
				      man_path, commands[i], (int)len, p + 3);
		}
		free(cmd_help);
		free(cmd_dash_h);
	}
	free(out);
	free(dash_h);
	free(man);
	free(man_path);
}
END_TEST

START_TEST(test_version)
{
	keel_expect(0, "keel " PACKAGE_VERSION, "--version");
}
END_TEST

/* What bash offers for the words of @line, the last one being completed. */
static char *complete(const char *script, const char *line)
{
	char cmd[1024], *out;
	struct proc p;
	char *argv[] = { "/bin/bash", "--norc", "-c", cmd, NULL };

	snprintf(cmd, sizeof(cmd),
		 "source %s || exit 3; COMP_WORDS=(%s); "
		 "COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _keel; "
		 "echo \"[${COMPREPLY[*]}]\"",
		 script, line);
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), 0);
	out = strdup(p.out);
	proc_dispose(&p);
	return out;
}

START_TEST(test_completion)
{
	char *out, *got, path[256];
	static const struct {
		const char *line, *want;
	} cases[] = {
		{ "keel sh", "[shutdown]" },
		{ "keel -c /s un", "[undefine unpause]" },
		{ "keel autostart web ''", "[on off]" },
		{ "keel list --j", "[--json]" },
		{ "keel shutdown -t 5 --w", "[--wait]" },
		{ "keel help ev", "[events]" },
		{ "keel completion ''", "[bash]" },
		{ "keel console --r", "[--read-only]" },
		{ "keel console -t serial --h", "[--history --help]" },
		{ "keel rename web ''", "[]" },
		{ "keel info ''", "[]" },
	};

	ck_assert_int_eq(keel(&out, NULL, "completion", "bash", NULL), 0);
	for (size_t i = 0; i < NR_COMMANDS; i++) {
		char arm[64];

		snprintf(arm, sizeof(arm), "\t%s)\n", commands[i]);
		ck_assert_msg(strstr(out, arm), "no case for %s", commands[i]);
		ck_assert_msg(strstr(out, commands[i]), "%s missing",
			      commands[i]);
	}
	if (!harness_have_file("/bin/bash")) {
		free(out);
		return;
	}
	snprintf(path, sizeof(path), "%s/keel.bash", top);
	write_file(path, out);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = complete(path, cases[i].line);
		ck_assert_msg(strstr(got, cases[i].want),
			      "completing \"%s\" gave %s, not %s",
			      cases[i].line, got, cases[i].want);
		free(got);
	}
	free(out);
}
END_TEST

START_TEST(test_no_keeld)
{
	keel_expect(1, "keel: ", "list");
	keel_expect(1, "/nonexistent/keeld.sock", "list");
	keel_expect(1, "/nowhere/sock", "-c", "/nowhere/sock", "info");
}
END_TEST

/*
 * keel console's usage, help and man page agree, and the options it
 * accepts get as far as connecting (no keeld here: exit 1, not 2), with
 * the terminal never touched.
 */
START_TEST(test_console_offline)
{
	static const char synopsis[] =
		"Usage: keel console [-t pv|serial|virtio] [-n NUM] [-r] [-f] [--history N] [-e CHAR] DOM\n";
	static const char *const accepted[][4] = {
		{ "-t", "serial", "web" },
		{ "-t", "pv", "web" },
		{ "--type", "virtio", "web" },
		{ "-r", "--history", "0", "web" },
		{ "-f", "--history", "100", "web" },
		{ "--read-only", "-e", "none", "web" },
		{ "--force", "-e", "^a", "web" },
		{ "-e", "^?", "web" },
		{ "--escape", "~", "web" },
		{ "-n", "0", "web" },
	};
	char *out, *man_path = src_path("man/keel.1");
	char *man = read_file(man_path);

	ck_assert_int_eq(keel(&out, NULL, "help", "console", NULL), 0);
	ck_assert_msg(strstr(out, synopsis), "%s", out);
	ck_assert_msg(strstr(out, "--escape CHAR"), "%s", out);
	free(out);
	ck_assert_int_eq(keel(&out, NULL, "help", NULL), 0);
	ck_assert_msg(strstr(out, "\n  console "), "%s", out);
	free(out);
	ck_assert(strstr(man, "\n.SS console\n.B keel console\n"));
	ck_assert(strstr(man, "\\-\\-read\\-only"));
	/* create -c is no longer refused as "not available". */
	ck_assert(!strstr(man, "Not available yet"));

	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		const char *const *a = accepted[i];
		int rc = keel(&out, "typed\n", "console", a[0], a[1], a[2],
			      a[3], NULL);

		ck_assert_msg(rc == 1 && strstr(out, "/nonexistent/keeld.sock"),
			      "keel console %s %s %s: exit %d:\n%s", a[0], a[1],
			      a[2], rc, out);
		/* Not a terminal: no banner, no raw mode, no notes. */
		ck_assert_msg(!strstr(out, "[Connected"), "%s", out);
		free(out);
	}
	/* xl's names and keel's; nothing else */
	ck_assert_int_eq(keel(&out, NULL, "console", "-t", "hvc0", "web",
			      NULL),
			 2);
	ck_assert_msg(strstr(out, "The console is pv, serial or virtio, not \"hvc0\"."),
		      "%s", out);
	free(out);
	ck_assert(strstr(man, ".BR pv | serial | virtio ]"));
	/* One console of each type: xl's -n 0 is it, there is no other. */
	keel_expect(1, "keel: A keel domain has one console of each type, number 0; it has no console 1.",
		    "console", "-n", "1", "web");
	free(man);
	free(man_path);
}
END_TEST

/* --- with keeld ----------------------------------------------------------- */

/* Define the golden configuration NAME.cfg. */
static void define_golden(const char *name)
{
	char *rel, *path;

	ck_assert_int_ge(asprintf(&rel, "tests/golden/xlcfg/%s.cfg", name), 0);
	path = src_path(rel);
	keel_expect(0, "", "define", path);
	free(path);
	free(rel);
}

START_TEST(test_define_list)
{
	struct json_object *o;
	char *out;

	cli_keeld_start();
	define_golden("full");
	define_golden("minimal");

	/*
	 * Defined domains have no id and no time, but their memory and
	 * vCPUs: what they are defined with, keeld's defaults (256 MiB,
	 * one vCPU) filled in.
	 */
	assert_list_row("web-01", "-", "1024", "2", "------", "-");
	assert_list_row("minimal", "-", "256", "1", "------", "-");
	ck_assert_int_eq(keel(&out, NULL, "list", NULL), 0);
	/* Shut-off domains in name order. */
	ck_assert_msg(strstr(out, "\nminimal ") < strstr(out, "\nweb-01 "),
		      "%s", out);
	free(out);

	o = keel_json("list", "--json", NULL);
	ck_assert_int_eq(json_object_array_length(o), 2);
	ck_assert_str_eq(str_at(o, "/0/name"), "minimal");
	ck_assert_str_eq(str_at(o, "/1/name"), "web-01");
	ck_assert_str_eq(str_at(o, "/1/uuid"),
			 "2b9c8f0e-1d7a-4c3e-9f5b-6a7d8e9f0a1b");
	ck_assert_str_eq(str_at(o, "/1/state"), "shutoff");
	ck_assert(json_object_is_type(at(o, "/1/id"), json_type_null));
	ck_assert_int_eq(json_object_get_int(at(o, "/0/memory")), 256);
	ck_assert_int_eq(json_object_get_int(at(o, "/0/vcpus")), 1);
	ck_assert_int_eq(json_object_get_int(at(o, "/1/memory")), 1024);
	ck_assert_int_eq(json_object_get_int(at(o, "/1/vcpus")), 2);
	ck_assert(json_object_get_double(at(o, "/1/cpu_time")) == 0);
	/* Summaries only: the configurations are -l's. */
	ck_assert_ptr_null(at(o, "/1/config"));
	json_object_put(o);

	/* --json -l: keel's summaries with their configurations. */
	ck_assert_int_eq(keel(&out, NULL, "list", "--json", "-l", "web-01",
			      NULL),
			 0);
	o = json_tokener_parse(out);
	ck_assert_msg(o && json_object_array_length(o) == 1, "%s", out);
	free(out);
	ck_assert_str_eq(str_at(o, "/0/name"), "web-01");
	ck_assert_int_eq(json_object_get_int(at(o, "/0/memory")), 1024);
	ck_assert_int_eq(json_object_get_int(at(o, "/0/vcpus")), 2);
	ck_assert_int_eq(json_object_get_int(at(o, "/0/config/memory")), 1024);
	ck_assert_str_eq(str_at(o, "/0/config/disks/0/path"), "/srv/web.img");
	json_object_put(o);

	/* -l alone: xl's JSON, libxl's names; a shut-off domain's domid null. */
	o = keel_json("list", "-l", "web-01");
	ck_assert_int_eq(json_object_array_length(o), 1);
	ck_assert(json_object_is_type(at(o, "/0/domid"), json_type_null));
	ck_assert_str_eq(str_at(o, "/0/config/c_info/name"), "web-01");
	ck_assert_str_eq(str_at(o, "/0/config/c_info/uuid"),
			 "2b9c8f0e-1d7a-4c3e-9f5b-6a7d8e9f0a1b");
	/* maxmem, in KiB as libxl counts */
	ck_assert_int_eq(json_object_get_int(at(o, "/0/config/b_info/max_memkb")),
			 2048 * 1024);
	ck_assert_str_eq(str_at(o, "/0/config/disks/0/pdev_path"),
			 "/srv/web.img");
	json_object_put(o);

	/* Every domain; what jq '.[].config.c_info.name' reads. */
	o = keel_json("list", "--long", NULL);
	ck_assert_int_eq(json_object_array_length(o), 2);
	ck_assert_str_eq(str_at(o, "/0/config/c_info/name"), "minimal");
	ck_assert_str_eq(str_at(o, "/1/config/c_info/name"), "web-01");
	json_object_put(o);

	/* -v: the uuid, no reason code (not stopped and kept), no label. */
	ck_assert_int_eq(keel(&out, NULL, "list", "-v", "web-01", NULL), 0);
	ck_assert_msg(strstr(out, "Time(s)   UUID ") &&
			      strstr(out, "Reason-Code\tSecurity Label\n") &&
			      strstr(out, " 2b9c8f0e-1d7a-4c3e-9f5b-6a7d8e9f0a1b        -                -\n"),
		      "keel list -v:\n%s", out);
	free(out);
	ck_assert_int_eq(keel(&out, NULL, "list", "-l", "web-01", "minimal",
			      "web-01", NULL),
			 0);
	o = json_tokener_parse(out);
	ck_assert_msg(o && json_object_array_length(o) == 2, "%s", out);
	ck_assert_str_eq(str_at(o, "/0/config/c_info/name"), "web-01");
	ck_assert_str_eq(str_at(o, "/1/config/c_info/name"), "minimal");
	json_object_put(o);
	free(out);

	/* By uuid, in any case. */
	o = keel_json("list", "--json", "2B9C8F0E-1D7A-4C3E-9F5B-6A7D8E9F0A1B");
	ck_assert_int_eq(json_object_array_length(o), 1);
	json_object_put(o);

	keel_expect(0, "minimal\nweb-01\n", "list", "--name");
	keel_expect(1, "keel: No domain is named \"nosuch\".", "list",
		    "nosuch");

	o = keel_json("info", "--json", NULL);
	ck_assert_int_eq(json_object_get_int(at(o, "/nr_domains")), 2);
	ck_assert_str_eq(str_at(o, "/version"), PACKAGE_VERSION);
	json_object_put(o);
	keel_expect(0, "nr_domains", "info");
	keeld_stop();
}
END_TEST

/*
 * keel info prints xl info's fields that mean something on KVM, under
 * xl's names and in xl's order, and -n the CPU and node tables: one row
 * per online CPU.
 */
START_TEST(test_info_xl)
{
	static const char *const fields[] = {
		"host", "release", "version", "machine", "nr_cpus",
		"nr_nodes", "cores_per_socket", "threads_per_core", "cpu_mhz",
		"hw_caps", "virt_caps", "total_memory", "free_memory",
		"keel_version", "nr_domains",
	};
	char *out, *at_prev = NULL, want[64], *line;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN), rows = 0;

	cli_keeld_start();
	ck_assert_int_eq(keel(&out, NULL, "info", NULL), 0);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char *at_field;

		snprintf(want, sizeof(want), "%-23s: ", fields[i]);
		at_field = strstr(out, want);
		ck_assert_msg(at_field && at_field > at_prev,
			      "\"%s\" missing or out of order in:\n%s", want,
			      out);
		at_prev = at_field;
	}
	snprintf(want, sizeof(want), "%-23s: %s\n", "keel_version",
		 PACKAGE_VERSION);
	ck_assert_msg(strstr(out, want), "%s", out);
	ck_assert(!strstr(out, "cpu_topology"));
	free(out);

	ck_assert_int_eq(keel(&out, NULL, "info", "-n", NULL), 0);
	line = strstr(out, "cpu:    core    socket     node\n");
	ck_assert_msg(line && strstr(out, "node:    memsize    memfree    distances\n"),
		      "%s", out);
	for (line = strchr(line, '\n') + 1; line && strchr(line, ':') &&
					    line[0] == ' ';
	     line = strchr(line, '\n') + 1)
		rows++;
	ck_assert_msg(rows == cpus, "%ld CPU rows for %ld CPUs:\n%s", rows,
		      cpus, out);
	free(out);
	keeld_stop();
}
END_TEST

/*
 * keel dmesg shows keeld's own log lines, whatever the log goes to; -c
 * clears those it printed.
 */
START_TEST(test_dmesg)
{
	struct json_object *o;
	char *out;

	cli_keeld_start();
	define_golden("minimal");
	ck_assert_int_eq(keel(&out, NULL, "dmesg", NULL), 0);
	ck_assert_msg(strstr(out, "Z info: Defined domain minimal ("),
		      "keel dmesg:\n%s", out);
	free(out);
	o = keel_json("dmesg", "--json", NULL);
	ck_assert(json_object_array_length(o) > 0);
	ck_assert_int_ge(json_object_get_int64(at(o, "/0/seq")), 1);
	json_object_put(o);
	/* keeld-ro.sock: reading is allowed, clearing is not. */
	keel_expect(0, "Defined domain minimal", "-c", ro_sock, "dmesg");
	keel_expect(1, "read-only", "-c", ro_sock, "dmesg", "-c");
	keel_expect(0, "Defined domain minimal", "dmesg", "-c");
	ck_assert_int_eq(keel(&out, NULL, "dmesg", NULL), 0);
	ck_assert_msg(!strstr(out, "Defined domain minimal"), "%s", out);
	free(out);
	keeld_stop();
}
END_TEST

/*
 * config-update replaces what a domain starts with next time, refuses
 * a file that renames it or fails a check, and changes nothing then.
 */
START_TEST(test_config_update)
{
	struct json_object *o;
	const char *path;

	cli_keeld_start();
	define_golden("minimal");
	path = test_file("upd.cfg", "name = \"minimal\"\nkernel = \"/k2\"\n"
				    "memory = 128\non_reboot = \"destroy\"\n");
	keel_expect(0, "", "config-update", "minimal", path);
	o = keel_json("config", "minimal", NULL);
	ck_assert_int_eq(json_object_get_int(at(o, "/memory")), 128);
	ck_assert_str_eq(str_at(o, "/kernel"), "/k2");
	ck_assert_str_eq(str_at(o, "/on_reboot"), "destroy");
	json_object_put(o);
	assert_list_row("minimal", "-", "128", "1", "------", "-");

	path = test_file("other.cfg", "name = \"other\"\nkernel = \"/k\"\n");
	keel_expect(1, "names the domain \"other\", not minimal; rename the domain first",
		    "config-update", "minimal", path);
	path = test_file("big.cfg", "name = \"minimal\"\nkernel = \"/k\"\n"
				    "memory = 512\nmaxmem = 256\n");
	keel_expect(1, "big.cfg:4: 'maxmem' (256 MiB) is less than 'memory' (512 MiB)",
		    "config-update", "minimal", path);
	keel_expect(1, "No domain is named \"nosuch\".", "config-update",
		    "nosuch", test_file("upd2.cfg",
					"name = \"nosuch\"\nkernel = \"/k\"\n"));
	/* Nothing changed by the refusals. */
	o = keel_json("config", "minimal", NULL);
	ck_assert_int_eq(json_object_get_int(at(o, "/memory")), 128);
	json_object_put(o);
	keeld_stop();
}
END_TEST

/*
 * block-list and network-list in xl's columns (keel(1)): a defined
 * domain's disk and NIC, closed and without a handle as it does not run;
 * --json keeps the configuration's own members.
 */
START_TEST(test_device_lists)
{
	struct json_object *o;
	char *out, *img = strdup(test_file("dl.img", ""));
	char cfg[512], want[256];

	snprintf(cfg, sizeof(cfg),
		 "name = \"dl\"\nkernel = \"/k\"\n"
		 "disk = [ '%s,raw,xvda,ro' ]\n"
		 "vif = [ 'mac=00:16:3e:00:00:42' ]\n", img);
	cli_keeld_start();
	keel_expect(0, "", "define", test_file("dl.cfg", cfg));
	ck_assert_int_eq(keel(&out, NULL, "block-list", "dl", NULL), 0);
	snprintf(want, sizeof(want),
		 "Vdev  BE  handle state evt-ch ring-ref BE-path%23s\n"
		 "xvda  0   -1     6     -1     -1       %-30s\n", "", img);
	ck_assert_str_eq(out, want);
	free(out);
	ck_assert_int_eq(keel(&out, NULL, "network-list", "dl", NULL), 0);
	ck_assert_msg(!strncmp(out, "Idx BE Mac Addr.         handle state evt-ch   tx-/rx-ring-ref BE-path", 69) &&
			      strstr(out, "\n0   0  00:16:3e:00:00:42     -1     6     -1    -1/-1          "),
		      "%s", out);
	free(out);
	o = keel_json("block-list", "--json", "dl");
	ck_assert_str_eq(str_at(o, "/0/vdev"), "xvda");
	ck_assert(json_object_get_boolean(at(o, "/0/readonly")));
	json_object_put(o);
	keel_expect(1, "No domain is named \"nosuch\".", "block-list",
		    "nosuch");
	keeld_stop();
	free(img);
}
END_TEST

START_TEST(test_define_twice)
{
	cli_keeld_start();
	define_golden("full");
	{
		char *path = src_path("tests/golden/xlcfg/full.cfg");

		keel_expect(1, "keel: A domain with the name \"web-01\" already exists",
			    "define", path);
		free(path);
	}
	keeld_stop();
}
END_TEST

START_TEST(test_rename_autostart_undefine)
{
	struct json_object *o;
	char uuid[64];

	cli_keeld_start();
	define_golden("minimal");
	keel_expect(0, "", "rename", "minimal", "small");
	keel_expect(0, "small\n", "list", "--name");
	keel_expect(0, "", "autostart", "small", "on");
	o = keel_json("list", "--json", "small");
	ck_assert(json_object_get_boolean(at(o, "/0/autostart")));
	snprintf(uuid, sizeof(uuid), "%s", str_at(o, "/0/uuid"));
	json_object_put(o);
	keel_expect(0, "", "autostart", uuid, "off");
	o = keel_json("list", "--json", NULL);
	ck_assert(!json_object_get_boolean(at(o, "/0/autostart")));
	json_object_put(o);

	keel_expect(1, "keel: Domain small is not running", "domid", "small");
	keel_expect(1, "keel: No running domain has the id 7.", "domname", "7");
	keel_expect(1, "keel: No running domain has the id 7.", "undefine",
		    "7");

	keel_expect(0, "", "undefine", "small");
	keel_expect(0, "", "list", "--name");
	keel_expect(1, "keel: No domain is named \"small\".", "undefine",
		    "small");
	keel_expect(1, "keel: No domain is named \"nosuch\".", "rename",
		    "nosuch", "other");
	keel_expect(1, "keel: No domain is named \"nosuch\".", "autostart",
		    "nosuch", "on");
	keel_expect(1, "keel: No domain is named \"nosuch\".", "domid",
		    "nosuch");
	keeld_stop();
}
END_TEST

/*
 * mem-set and mem-max of a shut-off domain: xl's sizes, the definition
 * changed (list's Mem follows), keeld's refusals said and nothing
 * changed by them, bad sizes refused before keeld is asked.
 */
START_TEST(test_mem_set_max)
{
	struct json_object *o;

	cli_keeld_start();
	define_golden("minimal");
	keel_expect(0, "", "mem-max", "minimal", "1g");
	keel_expect(0, "", "mem-set", "minimal", "512");
	o = keel_json("config", "minimal", NULL);
	ck_assert_int_eq(json_object_get_int(at(o, "/memory")), 512);
	ck_assert_int_eq(json_object_get_int(at(o, "/maxmem")), 1024);
	json_object_put(o);
	keel_expect(0, "512", "list", "minimal");
	keel_expect(1, "keel: 2048 MiB is above domain minimal's maxmem of 1024 MiB; raise maxmem first (keel mem-max).",
		    "mem-set", "minimal", "2G");
	keel_expect(1, "keel: Domain minimal's memory is 512 MiB and maxmem cannot be below it",
		    "mem-max", "minimal", "262144k");
	keel_expect(2, "keel mem-set: 1000k is not a whole number of MiB",
		    "mem-set", "minimal", "1000k");
	keel_expect(2, "keel mem-max: \"lots\" is not a memory size",
		    "mem-max", "minimal", "lots");
	keel_expect(2, "it takes DOM SIZE", "mem-set", "minimal");
	o = keel_json("config", "minimal", NULL);
	ck_assert_int_eq(json_object_get_int(at(o, "/memory")), 512);
	ck_assert_int_eq(json_object_get_int(at(o, "/maxmem")), 1024);
	json_object_put(o);
	keel_expect(1, "keel: No domain is named \"nosuch\".", "mem-set",
		    "nosuch", "1g");
	keeld_stop();
}
END_TEST

/*
 * sched-credit on a defined domain: xl's table, a change kept in the
 * definition, keeld's refusal in its words, and -w without -d.
 */
START_TEST(test_sched_credit)
{
	cli_keeld_start();
	define_golden("minimal");
	keel_expect(0,
		    "Name                                ID Weight  Cap\n"
		    "minimal                              -    256    0\n",
		    "sched-credit");
	keel_expect(0, "", "sched-credit", "-d", "minimal", "-w", "512", "-c",
		    "50");
	keel_expect(0, "minimal                              -    512   50\n",
		    "sched-credit", "-d", "minimal");
	keel_expect(1, "keel: The cap 101% is more than domain minimal's 1 vCPU can use",
		    "sched-credit", "-d", "minimal", "-c", "101");
	keel_expect(1, "/weight", "sched-credit", "-d", "minimal", "-w", "0");
	keel_expect(0, "minimal                              -    512   50\n",
		    "sched-credit", "--domain", "minimal");
	keel_expect(2, "Name the domain to change with -d DOM.",
		    "sched-credit", "-w", "5");
	keel_expect(2, "must be a whole number", "sched-credit", "-d",
		    "minimal", "-c", "half");
	keel_expect(1, "keel: No domain is named \"nosuch\".", "sched-credit",
		    "-d", "nosuch");
	keeld_stop();
}
END_TEST

/* -c beats $KEEL_URI. */
/*
 * save and restore refuse, in keeld's words and with status 1: a domain
 * that is shut off or missing, a file that is missing or is not a saved
 * domain; and the command line's mistakes with status 2.
 */
START_TEST(test_save_restore_refusals)
{
	const char *path;
	char target[300];

	cli_keeld_start();
	define_golden("full");
	path = test_file("exists.save", "keep me\n");
	snprintf(target, sizeof(target), "%s/new.save", top);
	keel_expect(1, "only a running or paused domain can be saved", "save",
		    "web-01", target);
	keel_expect(1, "keel: No domain is named \"nosuch\".", "save",
		    "nosuch", target);
	keel_expect(1, "Cannot open", "restore", target);
	keel_expect(1, "is not a domain keel can restore", "restore", path);
	keel_expect(2, "keel save", "save", "web-01");
	keel_expect(2, "keel restore", "restore");
	keeld_stop();
}
END_TEST

START_TEST(test_connect_option)
{
	cli_keeld_start();
	setenv("KEEL_URI", "/nonexistent/keeld.sock", 1);
	keel_expect(0, "nr_domains", "-c", rw_sock, "info");
	keel_expect(0, "nr_domains", "--connect", rw_sock, "info");
	keel_expect(1, "/nonexistent/keeld.sock", "info");
	keeld_stop();
}
END_TEST

START_TEST(test_config)
{
	struct json_object *o;

	cli_keeld_start();
	define_golden("full");
	o = keel_json("config", "web-01", NULL);
	ck_assert_str_eq(str_at(o, "/name"), "web-01");
	ck_assert_int_eq(json_object_get_int(at(o, "/memory")), 1024);
	ck_assert_str_eq(str_at(o, "/nics/0/bridge"), "xenbr0");
	json_object_put(o);
	keel_expect(1, "keel: No domain is named \"nosuch\".", "config",
		    "nosuch");
	keeld_stop();
}
END_TEST

/*
 * blkdeviotune and domiftune on a defined domain: virsh's options in,
 * virsh's "name: value" lines out, kept in the definition; bad values
 * are the command line's error (2) or keeld's (1), nothing changed.
 */
START_TEST(test_iotune)
{
	struct json_object *o;

	cli_keeld_start();
	define_golden("full");
	keel_expect(0, "total_bytes_sec     : 0\n", "blkdeviotune", "web-01",
		    "xvda");
	keel_expect(0, "total_bytes_sec     : 1048576\n", "blkdeviotune",
		    "web-01", "xvda", "--total-bytes-sec", "1048576",
		    "--read-iops-sec-max", "20");
	keel_expect(0, "read_iops_sec_max   : 20\n", "blkdeviotune",
		    "web-01", "0");
	keel_expect(0, "outbound.average: 1024\n", "domiftune", "web-01",
		    "00:16:3e:0a:0b:0c", "--outbound", "1024,,64");
	keel_expect(0, "outbound.burst  : 64\n", "domiftune", "web-01",
		    "web01.0");
	o = keel_json("config", "web-01", NULL);
	ck_assert_int_eq(json_object_get_int(at(o, "/disks/0/iotune/total_bytes_sec")),
			 1048576);
	ck_assert_int_eq(json_object_get_int(at(o, "/nics/0/iotune/tx_bytes_burst")),
			 65536);
	json_object_put(o);

	keel_expect(2, "--total-iops-sec takes a whole number", "blkdeviotune",
		    "web-01", "xvda", "--total-iops-sec", "1.5");
	keel_expect(2, "--inbound takes AVERAGE[,PEAK[,BURST]]", "domiftune",
		    "web-01", "0", "--inbound", "1,2,3,4");
	keel_expect(1, "no peak rate", "domiftune", "web-01", "0",
		    "--inbound", "100,200");
	keel_expect(1, "has no disk 'xvdq'", "blkdeviotune", "web-01",
		    "xvdq", "--total-iops-sec", "5");
	keel_expect(0, "rx_bytes_sec        : 0\n", "domiftune", "web-01",
		    "0");
	keel_expect(0, "total_iops_sec      : 0\n", "blkdeviotune", "web-01",
		    "xvda");
	keeld_stop();
}
END_TEST

/*
 * Define domains until `keel events` (@p, started before) reports one:
 * the subscription may not be in place when the first define arrives.
 * Returns the offset after the line seen; @name gets the domain's name.
 */
static long define_until_seen(struct proc *p, char *name, size_t size,
			      const char *before, const char *after)
{
	/* Names never reused: a domain of an earlier call may remain. */
	static int seq;

	for (int i = 0; i < 20; i++) {
		char cfg[128], want[128];
		long off;

		snprintf(name, size, "ev%d", seq++);
		snprintf(cfg, sizeof(cfg), "name = \"%s\"\nkernel = \"/k\"\n",
			 name);
		ck_assert_int_eq(keel(NULL, cfg, "define", "-", NULL), 0);
		snprintf(want, sizeof(want), "%s%s%s", before, name, after);
		off = proc_expect(p, want, 0, 500);
		if (off > 0)
			return off;
	}
	ck_abort_msg("keel events printed no event: %s", p->out);
	return -1;
}

/* Give a `keel events` just spawned the time to subscribe. */
static void events_settle(struct proc *p)
{
	ck_assert_int_eq(proc_expect(p, "\x01", 0, 1000), -ETIMEDOUT);
}

/* Interrupted is how `keel events` is meant to end; keeld leaving is not. */
/*
 * vcpu-pin on a shut-off domain changes its definition; the refusals
 * are keeld's sentences (exit 1) or usage (exit 2); vcpu-list has only
 * its header while nothing runs.
 */
START_TEST(test_vcpu_pin_list)
{
	const char *path = test_file("two.cfg", "name = \"two\"\n"
						"kernel = \"/k\"\nvcpus = 2\n");
	struct json_object *o;
	char *out;

	cli_keeld_start();
	keel_expect(0, "", "define", path);
	keel_expect(0, "", "vcpu-pin", "two", "1", "0");
	o = keel_json("config", "two", NULL);
	ck_assert_str_eq(json_object_to_json_string_ext(at(o, "/cpus"),
							JSON_C_TO_STRING_PLAIN),
			 "[\"all\",\"0\"]");
	json_object_put(o);
	keel_expect(0, "", "vcpu-pin", "two", "all", "0");
	o = keel_json("config", "two", NULL);
	ck_assert_str_eq(str_at(o, "/cpus"), "0");
	json_object_put(o);
	keel_expect(1, "keel: Domain two has 2 vCPUs, numbered 0 to 1; it has no vCPU 2.",
		    "vcpu-pin", "two", "2", "0");
	keel_expect(1, "keel: The CPU list \"0,^0\" leaves no CPU to run on",
		    "vcpu-pin", "two", "0", "0,^0");
	keel_expect(2, "'x' is not a vCPU", "vcpu-pin", "two", "x", "0");
	keel_expect(2, "", "vcpu-pin", "two", "0");
	keel_expect(1, "keel: Domain two is shutoff; its vCPUs exist only while it runs.",
		    "vcpu-list", "two");
	ck_assert_int_eq(keel(&out, NULL, "vcpu-list", NULL), 0);
	ck_assert_str_eq(out, "Name                                ID  VCPU   CPU State    Time(s)  Affinity\n");
	free(out);
	o = keel_json("vcpu-list", "--json", NULL);
	ck_assert_uint_eq(json_object_array_length(o), 0);
	json_object_put(o);
	keeld_stop();
}
END_TEST

START_TEST(test_events_end)
{
	char *argv[] = { (char *)harness_path("cli/keel"), "events", NULL };
	char *json_argv[] = { (char *)harness_path("cli/keel"), "events",
			      "--json", NULL };
	struct proc p;

	cli_keeld_start();
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	events_settle(&p);
	kill(p.pid, SIGINT);
	ck_assert_msg(proc_wait(&p, 5000) == 0, "%s", p.out);
	proc_dispose(&p);

	ck_assert_int_eq(proc_spawn(&p, json_argv), 0);
	events_settle(&p);
	kill(p.pid, SIGTERM);
	ck_assert_msg(proc_wait(&p, 5000) == 0, "%s", p.out);
	proc_dispose(&p);

	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	events_settle(&p);
	keeld_stop();
	ck_assert_int_eq(proc_wait(&p, 5000), 1);
	ck_assert_msg(strstr(p.out, "keel: The connection to keeld was lost"),
		      "%s", p.out);
	proc_dispose(&p);
}
END_TEST

/* The lines of @text, split in place; returns how many (at most @max). */
static size_t split_lines(char *text, char **lines, size_t max)
{
	char *save = NULL;
	size_t n = 0;

	for (char *l = strtok_r(text, "\n", &save); l && n < max;
	     l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	return n;
}

/* keel top with no domain running: the summary and the header only. */
START_TEST(test_top_no_domains)
{
	char *out, *lines[16];
	struct json_object *o;
	size_t n;

	cli_keeld_start();
	define_golden("minimal");	/* shut off: not shown */
	ck_assert_int_eq(keel(&out, NULL, "top", "-b", "-i", "1", NULL), 0);
	n = split_lines(out, lines, 16);
	ck_assert_msg(n == 4, "keel top printed %zu lines", n);
	ck_assert_msg(!strncmp(lines[0], "keel top - ", 11), "%s", lines[0]);
	ck_assert_msg(!strncmp(lines[1], "0 domains: 0 running", 20), "%s",
		      lines[1]);
	ck_assert_msg(strstr(lines[2], "CPUs: "), "%s", lines[2]);
	ck_assert_msg(strstr(lines[3], "NAME") && strstr(lines[3], "VBD_WSECT"),
		      "%s", lines[3]);
	free(out);
	o = keel_json("top", "--json", "-i1");
	ck_assert_int_eq(json_object_array_length(at(o, "/domains")), 0);
	ck_assert_int_gt(json_object_get_int(at(o, "/host/cpus")), 0);
	ck_assert_ptr_nonnull(at(o, "/time_ns"));
	json_object_put(o);
	keeld_stop();
}
END_TEST

/* --- running domains (/dev/kvm, or nested) -------------------------------- */

/* keeld with keel-hv, and an xl.cfg for the echo guest named @name. */
static const char *lifecycle_start(const char *name)
{
	char conf[512], cfg[512];

	snprintf(conf, sizeof(conf), "log_level = info\n" KEELD_CONF_HYPERVISOR,
		 harness_path("hypervisor/keel-hv"));
	write_file(conf_path, conf);
	cli_keeld_start();
	snprintf(cfg, sizeof(cfg),
		 "name = \"%s\"\nkernel = \"%s\"\nmemory = 32\nvcpus = 1\n",
		 name, harness_path("tests/guests/echo.bin"));
	return test_file("echo.cfg", cfg);
}

/* The one domain's summary from `keel list --json DOM`. */
static struct json_object *summary(const char *dom)
{
	struct json_object *o = keel_json("list", "--json", dom);
	struct json_object *s = json_object_get(at(o, "/0"));

	json_object_put(o);
	ck_assert_ptr_nonnull(s);
	return s;
}

static void assert_state(const char *dom, const char *state)
{
	struct json_object *s = summary(dom);

	ck_assert_msg(!strcmp(str_at(s, "/state"), state),
		      "%s is %s, not %s", dom, str_at(s, "/state"), state);
	json_object_put(s);
}

/*
 * A running domain's disk in block-list (its id, xenbus's 4), and the
 * disk keeps its name when keeld re-adopts the domain without its state
 * file: keel-hv's --vdev, read back from its command line; blkdeviotune
 * by that name still works.
 */
START_TEST(test_readopted_disk_names)
{
	char cfg[1024], img[256], path[512], want[512], id[16];
	struct json_object *s, *o;
	int fd;

	lifecycle_start("ra");
	snprintf(img, sizeof(img), "%s", test_file("ra.img", ""));
	fd = open(img, O_WRONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 1024 * 1024), 0);
	close(fd);
	snprintf(cfg, sizeof(cfg),
		 "name = \"ra\"\nkernel = \"%s\"\nmemory = 32\n"
		 "disk = [ '%s,raw,vda,rw' ]\n",
		 harness_path("tests/guests/echo.bin"), img);
	keel_expect(0, "", "create", test_file("ra.cfg", cfg));
	s = summary("ra");
	snprintf(id, sizeof(id), "%d", json_object_get_int(at(s, "/id")));
	snprintf(path, sizeof(path), "%s/domains/%s/state.json", run_dir,
		 str_at(s, "/uuid"));
	json_object_put(s);
	snprintf(want, sizeof(want), "\nvda   0   %-6s 4     -1     -1       %s",
		 id, img);
	keel_expect(0, want, "block-list", "ra");

	ck_assert_int_eq(unlink(path), 0);
	kill(keeld.pid, SIGKILL);
	proc_wait(&keeld, 5000);
	proc_dispose(&keeld);
	cli_keeld_start();
	assert_state("ra", "running");
	o = keel_json("config", "ra", NULL);
	ck_assert_str_eq(str_at(o, "/disks/0/vdev"), "vda");
	ck_assert_str_eq(str_at(o, "/disks/0/path"), img);
	json_object_put(o);
	keel_expect(0, "total_bytes_sec     : 1048576\n", "blkdeviotune", "ra",
		    "vda", "--total-bytes-sec", "1048576");
	keel_expect(0, "", "destroy", "ra");
	keeld_stop();
}
END_TEST

START_TEST(test_create_transient)
{
	const char *cfg = lifecycle_start("life");
	struct json_object *s, *o;
	char id[16];

	keel_expect(0, "", "create", "-p", cfg);
	s = summary("life");
	ck_assert_str_eq(str_at(s, "/state"), "paused");
	ck_assert_int_gt(json_object_get_int(at(s, "/id")), 0);
	snprintf(id, sizeof(id), "%d", json_object_get_int(at(s, "/id")));
	json_object_put(s);

	keel_expect(0, id, "domid", "life");
	keel_expect(0, "life\n", "domname", id);
	/* A number names the running domain with that id. */
	keel_expect(0, "", "unpause", id);
	assert_state("life", "running");
	keel_expect(0, "", "pause", "life");
	assert_state("life", "paused");
	keel_expect(0, "", "unpause", "life");
	keel_expect(1, "keel: ", "unpause", "life");	/* not paused */

	/* A running domain's row: what it runs with, and its CPU time. */
	assert_list_row("life", id, "32", "1", "r-----", NULL);
	s = summary("life");
	ck_assert_int_eq(json_object_get_int(at(s, "/memory")), 32);
	ck_assert_int_eq(json_object_get_int(at(s, "/vcpus")), 1);
	ck_assert(json_object_get_double(at(s, "/cpu_time")) >= 0);
	json_object_put(s);
	o = keel_json("list", "-l", "life");
	ck_assert_int_eq(json_object_get_int(at(o, "/0/domid")), atoi(id));
	ck_assert_int_eq(json_object_get_int(at(o, "/0/config/b_info/target_memkb")),
			 32 * 1024);
	json_object_put(o);
	/* Paused, then xl's letters again. */
	keel_expect(0, "", "pause", "life");
	assert_list_row("life", id, "32", "1", "--p---", NULL);
	keel_expect(0, "", "unpause", "life");
	keel_expect(0, "life", "uptime");
	keel_expect(0, "Up-time", "uptime");
	/* -s: uptime(1)'s line, " HH:MM:SS up  H:MM, NAME (ID)". */
	{
		char want[64], *out;
		unsigned h, m, sec, uh, um;
		int n = 0;

		snprintf(want, sizeof(want), ", life (%s)\n", id);
		ck_assert_int_eq(keel(&out, NULL, "uptime", "-s", NULL), 0);
		ck_assert_msg(sscanf(out, " %2u:%2u:%2u up %u:%2u%n", &h, &m,
				     &sec, &uh, &um, &n) == 5 &&
				      !strcmp(out + n, want + 0) &&
				      !strstr(out, "Up-time"),
			      "keel uptime -s:\n%s", out);
		free(out);
	}
	o = keel_json("uptime", "--json", "life");
	ck_assert_str_eq(str_at(o, "/0/name"), "life");
	json_object_put(o);
	o = keel_json("config", "life", NULL);
	ck_assert_int_eq(json_object_get_int(at(o, "/memory")), 32);
	json_object_put(o);

	keel_expect(1, "keel: ", "create", cfg);	/* the name is taken */
	keel_expect(0, "", "destroy", "life");
	/* Transient: gone once stopped. */
	keel_expect(0, "", "list", "--name");
	keel_expect(1, "keel: No domain is named \"life\".", "destroy",
		    "life");
	keeld_stop();
}
END_TEST

START_TEST(test_define_start_shutdown)
{
	const char *cfg = lifecycle_start("pers");

	keel_expect(0, "", "define", cfg);
	assert_state("pers", "shutoff");
	keel_expect(1, "keel: Domain pers is not running", "domid", "pers");
	keel_expect(0, "", "start", "pers");
	assert_state("pers", "running");
	keel_expect(1, "keel: ", "start", "pers");	/* already running */
	/* A running domain is renamed too, as xl allows. */
	keel_expect(0, "", "rename", "pers", "other");
	assert_state("other", "running");
	keel_expect(0, "", "rename", "other", "pers");
	/* The echo guest ignores the power button: stopped by force. */
	keel_expect(0, "", "shutdown", "-w", "-t", "1", "pers");
	assert_state("pers", "shutoff");
	keel_expect(0, "", "start", "-p", "pers");
	assert_state("pers", "paused");
	keel_expect(0, "", "shutdown", "-a", "-w", "--timeout", "1");
	assert_state("pers", "shutoff");
	keel_expect(0, "", "start", "pers");
	keel_expect(0, "", "destroy", "pers");
	assert_state("pers", "shutoff");
	keel_expect(0, "", "undefine", "pers");
	keel_expect(1, "keel: No domain is named \"pers\".", "start", "pers");
	keeld_stop();
}
END_TEST

/*
 * Wait until @dom is in @state, as keeld's listing says; fail after
 * TIMEOUT_MS. What is waited for is an event in the guest, not a time.
 */
static void wait_state(const char *dom, const char *state)
{
	long long end = harness_now_ms() + TIMEOUT_MS;
	bool there = false;

	while (!there) {
		struct json_object *o = keel_json("list", "--json", dom);
		struct json_object *st = at(o, "/0/state");

		there = st && !strcmp(json_object_get_string(st), state);
		json_object_put(o);
		ck_assert_msg(there || harness_now_ms() < end,
			      "%s did not become %s", dom, state);
		if (!there)
			usleep(50 * 1000);
	}
}

/* Type "poweroff" at the echo guest @dom: it powers off at once. */
static void echo_poweroff(const char *dom)
{
	char *out;

	ck_assert_int_eq(keel(&out, "poweroff\r", "console", dom, NULL), 0);
	ck_assert_msg(strstr(out, "echo: powering off"), "%s", out);
	free(out);
}

/*
 * xl's shutdown and reboot: a shutdown is only asked (the echo guest
 * ignores the power button, so it runs on until it powers off itself);
 * a reboot's end is on_reboot's to decide, from the configuration the
 * domain runs with, and -w returns once it has gone down;
 * config-update's configuration is what the restart runs with.
 */
START_TEST(test_xl_power)
{
	const char *cfg = lifecycle_start("xlp");
	char upd[512], *argv[6];
	struct proc w;
	struct json_object *o;

	keel_expect(0, "", "define", cfg);
	keel_expect(0, "", "start", "xlp");
	keel_expect(0, "", "shutdown", "xlp");
	/* Asked, not forced: it is being shut down, and stays so. */
	assert_state("xlp", "shutdown");
	echo_poweroff("xlp");
	wait_state("xlp", "shutoff");

	keel_expect(0, "", "start", "xlp");
	snprintf(upd, sizeof(upd),
		 "name = \"xlp\"\nkernel = \"%s\"\nmemory = 48\n"
		 "on_reboot = \"destroy\"\n",
		 harness_path("tests/guests/echo.bin"));
	keel_expect(0, "", "config-update", "xlp",
		    test_file("upd.cfg", upd));
	/* The running guest keeps what it started with. */
	o = keel_json("config", "xlp", NULL);
	ck_assert_int_eq(json_object_get_int(at(o, "/memory")), 32);
	json_object_put(o);

	/* reboot -w: back once the guest has gone down (on_reboot restart). */
	argv[0] = (char *)harness_path("cli/keel");
	argv[1] = "reboot";
	argv[2] = "-w";
	argv[3] = "xlp";
	argv[4] = NULL;
	ck_assert_int_eq(proc_spawn(&w, argv), 0);
	/* keeld has pressed the button once the domain is shutting down. */
	wait_state("xlp", "shutdown");
	echo_poweroff("xlp");
	ck_assert_int_eq(proc_wait(&w, TIMEOUT_MS), 0);
	proc_dispose(&w);
	wait_state("xlp", "running");
	o = keel_json("config", "xlp", NULL);
	ck_assert_int_eq(json_object_get_int(at(o, "/memory")), 48);
	json_object_put(o);

	/* Now on_reboot is destroy: a reboot stops it. */
	keel_expect(0, "", "reboot", "xlp");
	wait_state("xlp", "shutdown");
	echo_poweroff("xlp");
	wait_state("xlp", "shutoff");
	keel_expect(0, "", "undefine", "xlp");
	keeld_stop();
}
END_TEST

/* The pid of the keel-hv running the domain @uuid (its --uuid), or -1. */
static pid_t hv_pid(const char *uuid)
{
	char want[64], path[300], buf[4096];
	struct dirent *e;
	pid_t pid = -1;
	DIR *d = opendir("/proc");

	ck_assert_ptr_nonnull(d);
	snprintf(want, sizeof(want), "--uuid=%s", uuid);
	while (pid < 0 && (e = readdir(d))) {
		ssize_t n;
		int fd;

		if (!all_digits(e->d_name))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* The arguments, NUL-separated: look at each. */
		for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
			if (!strcmp(buf + i, want))
				pid = atoi(e->d_name);
	}
	closedir(d);
	return pid;
}

/*
 * Listing never waits for a domain's keel-hv: with it stopped (SIGSTOP,
 * so it answers nothing), list, list -l, --json and uptime still answer
 * in full, the CPU time included.
 */
START_TEST(test_list_stuck_hv)
{
	const char *cfg = lifecycle_start("stuck");
	struct json_object *s, *o;
	char uuid[64], id[16];
	pid_t pid;

	keel_expect(0, "", "create", cfg);
	s = summary("stuck");
	snprintf(uuid, sizeof(uuid), "%s", str_at(s, "/uuid"));
	snprintf(id, sizeof(id), "%d", json_object_get_int(at(s, "/id")));
	json_object_put(s);
	pid = hv_pid(uuid);
	ck_assert_msg(pid > 0, "no keel-hv runs with --uuid=%s", uuid);
	ck_assert_int_eq(kill(pid, SIGSTOP), 0);

	assert_list_row("stuck", id, "32", "1", "r-----", NULL);
	o = keel_json("list", "-l", NULL);
	ck_assert_int_eq(json_object_get_int(at(o, "/0/config/b_info/max_memkb")),
			 32 * 1024);
	json_object_put(o);
	o = keel_json("list", "--json", "-l");
	ck_assert_int_eq(json_object_get_int(at(o, "/0/config/memory")), 32);
	json_object_put(o);
	o = keel_json("uptime", "--json", NULL);
	ck_assert_str_eq(str_at(o, "/0/name"), "stuck");
	json_object_put(o);
	keel_expect(0, "stuck\n", "list", "--name");

	ck_assert_int_eq(kill(pid, SIGCONT), 0);
	keel_expect(0, "", "destroy", "stuck");
	keeld_stop();
}
END_TEST

/*
 * keel top on a running domain, in batch mode and as JSON: two samples,
 * each a well-formed row; CPU(%) only from the second, as xentop.
 */
START_TEST(test_top)
{
	const char *cfg = lifecycle_start("topd");
	char *out, *lines[32], *w[32], *save;
	struct json_object *o;
	size_t n, rows = 0;

	keel_expect(0, "", "create", cfg);
	ck_assert_int_eq(keel(&out, NULL, "top", "-b", "-i", "2", "-d", "1",
			      NULL),
			 0);
	n = split_lines(out, lines, 32);
	ck_assert_msg(n == 10, "keel top -b -i 2 printed %zu lines", n);
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		if (strncmp(lines[i], "      topd ", 11))
			continue;
		save = NULL;
		for (char *t = strtok_r(lines[i], " ", &save); t && k < 32;
		     t = strtok_r(NULL, " ", &save))
			w[k++] = t;
		ck_assert_uint_eq(k, 18);
		ck_assert_str_eq(w[1], "-----r");
		/* CPU(%): none from one sample, a number from two. */
		if (rows++ == 0)
			ck_assert_str_eq(w[3], "-");
		else
			ck_assert_msg(strtod(w[3], NULL) >= 0 &&
					      strchr(w[3], '.'),
				      "CPU(%%) %s", w[3]);
		ck_assert_str_eq(w[4], "32768");	/* MEM(k) */
		ck_assert_str_eq(w[6], "32768");	/* MAXMEM(k) */
		ck_assert_str_eq(w[8], "1");		/* VCPUS */
		ck_assert_str_eq(w[9], "0");		/* NETS */
		ck_assert_str_eq(w[12], "0");		/* VBDS */
	}
	ck_assert_uint_eq(rows, 2);
	ck_assert_msg(!strncmp(lines[1], "1 domains: 1 running", 20), "%s",
		      lines[1]);
	free(out);

	ck_assert_int_eq(keel(&out, NULL, "top", "--json", "-i", "2", "-d",
			      "1", NULL),
			 0);
	n = split_lines(out, lines, 32);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		o = json_tokener_parse(lines[i]);
		ck_assert_msg(o, "not JSON: %s", lines[i]);
		ck_assert_str_eq(str_at(o, "/domains/0/name"), "topd");
		ck_assert_int_eq(json_object_get_int(at(o, "/domains/0/vcpus")),
				 1);
		ck_assert_int_eq(json_object_get_int(at(o,
							"/domains/0/mem_kib")),
				 32768);
		ck_assert(json_object_get_double(at(o, "/domains/0/cpu_s")) >
			  0);
		if (i == 0)
			ck_assert_ptr_null(at(o, "/domains/0/cpu_pct"));
		else
			ck_assert(json_object_is_type(
					  at(o, "/domains/0/cpu_pct"),
					  json_type_double));
		json_object_put(o);
	}
	free(out);
	keel_expect(0, "", "destroy", "topd");
	keeld_stop();
}
END_TEST

/*
 * Lines for definitions (which keeld did not announce yet when this was
 * written) and for a domain's run, in text and in JSON.
 */
/*
 * keel console end to end: a script types into the echo guest through a
 * pipe, sees the answer, powers it off and is told the console closed;
 * keel create -c shows a boot from its first byte.
 */
START_TEST(test_console_piped)
{
	const char *cfg = lifecycle_start("con");
	char hello[512];
	char *out;

	keel_expect(0, "", "create", cfg);
	ck_assert_int_eq(keel(&out, "abc\rpoweroff\r", "console", "con",
			      NULL),
			 0);
	ck_assert_msg(strstr(out, "echo: type a line") &&
			      strstr(out, "echo: abc") &&
			      strstr(out, "echo: powering off"),
		      "keel console printed:\n%s", out);
	free(out);
	/* A guest that is done at once: its boot is still shown whole. */
	snprintf(hello, sizeof(hello),
		 "name = \"hi\"\nkernel = \"%s\"\nmemory = 32\n"
		 "on_poweroff = \"preserve\"\n",
		 harness_path("tests/guests/hello.bin"));
	ck_assert_int_eq(keel(&out, NULL, "create", "-c",
			      test_file("hello.cfg", hello), NULL),
			 0);
	ck_assert_msg(strstr(out, "hello from keel test guest"),
		      "keel create -c printed:\n%s", out);
	free(out);
	keel_expect(0, "", "destroy", "hi");
	keeld_stop();
}
END_TEST

START_TEST(test_events_lifecycle)
{
	char *argv[] = { (char *)harness_path("cli/keel"), "events", NULL };
	char *json_argv[] = { (char *)harness_path("cli/keel"), "events",
			      "--json", NULL };
	const char *cfg = lifecycle_start("evt");
	char name[32], want[64];
	struct proc p, pj;
	long off;

	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	off = define_until_seen(&p, name, sizeof(name), " ", " defined added\n");
	keel_expect(0, "", "undefine", name);
	snprintf(want, sizeof(want), " %s undefined removed\n", name);
	off = proc_expect(&p, want, (size_t)off, 5000);
	ck_assert_msg(off > 0, "%s", p.out);

	ck_assert_int_eq(proc_spawn(&pj, json_argv), 0);
	define_until_seen(&pj, name, sizeof(name), "\"name\":\"", "\"");
	ck_assert_msg(strstr(pj.out, "\"event\":\"defined\""), "%s", pj.out);

	keel_expect(0, "", "create", cfg);
	off = proc_expect(&p, " evt started booted\n", (size_t)off, 10000);
	ck_assert_msg(off > 0, "%s", p.out);
	keel_expect(0, "", "destroy", "evt");
	ck_assert_msg(proc_expect(&p, " evt stopped destroyed\n", (size_t)off,
				  10000) > 0,
		      "%s", p.out);
	ck_assert_msg(proc_expect(&pj, "\"event\":\"stopped\"", 0, 10000) > 0,
		      "%s", pj.out);
	kill(p.pid, SIGINT);
	ck_assert_int_eq(proc_wait(&p, 5000), 0);
	proc_dispose(&p);
	kill(pj.pid, SIGINT);
	ck_assert_int_eq(proc_wait(&pj, 5000), 0);
	proc_dispose(&pj);
	keeld_stop();
}
END_TEST

/* Does the space-separated list @tags (may be NULL) have @tag? */
static bool has_tag(const char *tags, const char *tag)
{
	size_t n = strlen(tag);

	for (const char *t = tags; t && *t; t += strcspn(t, " ")) {
		t += strspn(t, " ");
		if (!strncmp(t, tag, n) && (t[n] == ' ' || !t[n]))
			return true;
	}
	return false;
}

/*
 * Whether Check's selection (CK_RUN_CASE, CK_INCLUDE_TAGS,
 * CK_EXCLUDE_TAGS) leaves in the lifecycle case, tagged "kvm".
 */
static bool lifecycle_wanted(void)
{
	const char *run = getenv("CK_RUN_CASE");
	const char *include = getenv("CK_INCLUDE_TAGS");

	if (run && *run && strcmp(run, "lifecycle"))
		return false;
	if (include && *include && !has_tag(include, "kvm"))
		return false;
	return !has_tag(getenv("CK_EXCLUDE_TAGS"), "kvm");
}

Suite *unit_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *offline = tcase_create("offline");
	TCase *daemon = tcase_create("daemon");

	if (!harness_have_file(harness_path("cli/keel")))
		runner_skip_reason = "cli/keel is not built";
	else if (!harness_have_file(harness_path("daemon/keeld")))
		runner_skip_reason = "daemon/keeld is not built";

	tcase_add_unchecked_fixture(offline, suite_setup, suite_teardown);
	tcase_add_checked_fixture(offline, cli_setup, teardown);
	tcase_set_timeout(offline, 60);
	tcase_add_test(offline, test_dry_run_golden);
	tcase_add_test(offline, test_dry_run_stdin);
	tcase_add_test(offline, test_dry_run_errors);
	tcase_add_test(offline, test_dry_run_xl);
	tcase_add_test(offline, test_dry_run_schema);
	tcase_add_test(offline, test_usage_errors);
	tcase_add_test(offline, test_every_command_usage);
	tcase_add_test(offline, test_help);
	tcase_add_test(offline, test_version);
	tcase_add_test(offline, test_completion);
	tcase_add_test(offline, test_no_keeld);
	tcase_add_test(offline, test_console_offline);
	suite_add_tcase(s, offline);

	tcase_add_unchecked_fixture(daemon, suite_setup, suite_teardown);
	tcase_add_checked_fixture(daemon, cli_setup, teardown);
	tcase_set_timeout(daemon, 60);
	tcase_add_test(daemon, test_define_list);
	tcase_add_test(daemon, test_info_xl);
	tcase_add_test(daemon, test_dmesg);
	tcase_add_test(daemon, test_config_update);
	tcase_add_test(daemon, test_define_twice);
	tcase_add_test(daemon, test_device_lists);
	tcase_add_test(daemon, test_rename_autostart_undefine);
	tcase_add_test(daemon, test_mem_set_max);
	tcase_add_test(daemon, test_connect_option);
	tcase_add_test(daemon, test_save_restore_refusals);
	tcase_add_test(daemon, test_config);
	tcase_add_test(daemon, test_iotune);
	tcase_add_test(daemon, test_sched_credit);
	tcase_add_test(daemon, test_events_end);
	tcase_add_test(daemon, test_top_no_domains);
	tcase_add_test(daemon, test_vcpu_pin_list);
	suite_add_tcase(s, daemon);

	/*
	 * Running domains need KVM: without it, the suite runs nested,
	 * unless Check is told to run only the other cases
	 * (CK_RUN_CASE=offline, CK_EXCLUDE_TAGS=kvm).
	 */
	{
		TCase *tc = tcase_create("lifecycle");

		tcase_set_tags(tc, "kvm");

		if (!runner_skip_reason && lifecycle_wanted()) {
			runner_skip_reason = harness_kvm_missing();
			runner_wants_kvm = runner_skip_reason != NULL;
		}
		if (!runner_skip_reason &&
		    !harness_have_file(harness_path("tests/guests/echo.bin")))
			runner_skip_reason = "test guests are not built (make guest)";
		tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
		tcase_add_checked_fixture(tc, cli_setup, teardown);
		tcase_set_timeout(tc, 120);
		tcase_add_test(tc, test_create_transient);
		tcase_add_test(tc, test_define_start_shutdown);
		tcase_add_test(tc, test_xl_power);
		tcase_add_test(tc, test_events_lifecycle);
		tcase_add_test(tc, test_console_piped);
		tcase_add_test(tc, test_list_stuck_hv);
		tcase_add_test(tc, test_top);
		tcase_add_test(tc, test_readopted_disk_names);
		suite_add_tcase(s, tc);
	}
	return s;
}
