// SPDX-License-Identifier: GPL-2.0-or-later
/* keeld's modules in the test's process, and a client (unit_keeld.h). */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "admit.h"
#include "cgroup_domain.h"
#include "conf.h"
#include "console.h"
#include "lifecycle.h"
#include "log.h"
#include "methods.h"
#include "monotime.h"
#include "registry.h"
#include "server.h"
#include "unit_keeld.h"

#define WAIT_MS 5000

const char *unit_keeld_path(const struct unit_keeld *u, const char *name)
{
	static char bufs[4][160];
	static unsigned next;
	char *buf = bufs[next++ % 4];

	snprintf(buf, sizeof(bufs[0]), "%s/%s", u->dir, name);
	return buf;
}

static void set(char **slot, const char *value)
{
	ck_assert_int_eq(conf_set(slot, value), 0);
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	return remove(path);
}

static int remove_tree(const char *dir)
{
	return nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Every test's directory is made under one the suite's process makes
 * and removes: a failed assertion ends the test's own process at once,
 * before unit_keeld_stop() could remove what it made.
 */
static char suite_dir[32];

void unit_keeld_suite_setup(void)
{
	snprintf(suite_dir, sizeof(suite_dir), "/tmp/unit_keeld.XXXXXX");
	if (!mkdtemp(suite_dir))
		suite_dir[0] = '\0';
}

void unit_keeld_suite_teardown(void)
{
	if (suite_dir[0])
		remove_tree(suite_dir);
	suite_dir[0] = '\0';
}

/* keeld's modules up on @u->dir, whose keeld.conf is written. */
static void keeld_up(struct unit_keeld *u)
{
	struct keeld *k = &u->k;
	const char *conf_path = unit_keeld_path(u, "keeld.conf");

	memset(k, 0, sizeof(*k));
	ck_assert_int_eq(conf_init(&k->conf), 0);
	set(&k->conf.run_dir, unit_keeld_path(u, "run"));
	set(&k->conf.state_dir, unit_keeld_path(u, "state"));
	set(&k->conf.log_dir, unit_keeld_path(u, "log"));
	set(&k->conf.schema_dir, KEEL_TEST_SRCDIR "/schemas");
	set(&k->conf.hypervisor, "/bin/false");
	/* The host's cgroups are check_cgroup's; a suite's conf may say more. */
	k->conf.cgroups = CGROUP_OFF;
	ck_assert_int_eq(conf_load(&k->conf, conf_path, false), 0);
	ck_assert(!mkdir(k->conf.run_dir, 0755) || errno == EEXIST);
	ck_assert(!mkdir(k->conf.state_dir, 0700) || errno == EEXIST);
	ck_assert(!mkdir(k->conf.log_dir, 0700) || errno == EEXIST);
	snprintf(u->rw_sock, sizeof(u->rw_sock), "%s/keeld.sock",
		 k->conf.run_dir);
	snprintf(u->ro_sock, sizeof(u->ro_sock), "%s/keeld-ro.sock",
		 k->conf.run_dir);
	ck_assert_int_eq(methods_new(k->conf.schema_dir, &k->methods), 0);
	ck_assert_int_eq(registry_new(k->conf.state_dir, &k->reg), 0);
	ck_assert_int_ge(registry_load(k->reg, methods_config_schema(k->methods)),
			 0);
	k->base = event_base_new();
	ck_assert_ptr_nonnull(k->base);
	/* As main.c: root's clients, the rest of keeld, everyone else. */
	ck_assert_int_eq(event_base_priority_init(k->base, 3), 0);
	ck_assert_int_eq(admit_new(&k->conf, k->base, 1024, &k->admit), 0);
	ck_assert_int_eq(server_new(k, &k->server), 0);
	cgroup_domain_init(k);
	ck_assert_int_eq(lifecycle_init(k), 0);
	k->next_domain_id = 1;
}

void unit_keeld_start(struct unit_keeld *u, const char *conf_text)
{
	FILE *f;

	memset(u, 0, sizeof(*u));
	log_init("keeld", false, LOG_LEVEL_ERR);
	/* A client that hangs up must not end the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	/* Short: the socket paths under it must fit in sun_path. */
	ck_assert_msg(suite_dir[0], "no directory for the suite (unit_keeld_suite_setup)");
	snprintf(u->dir, sizeof(u->dir), "%s/t.XXXXXX", suite_dir);
	ck_assert_ptr_nonnull(mkdtemp(u->dir));
	f = fopen(unit_keeld_path(u, "keeld.conf"), "w");
	ck_assert_ptr_nonnull(f);
	fputs(conf_text ? conf_text : "", f);
	ck_assert_int_eq(fclose(f), 0);
	keeld_up(u);
}

/* keeld's modules down, as at keeld's exit; its directory stays. */
static void keeld_down(struct unit_keeld *u)
{
	struct keeld *k = &u->k;

	console_relays_free(k);
	lifecycle_detach_all(k);
	server_free(k->server);
	admit_free(k->admit);
	event_base_free(k->base);
	cgroup_domain_dispose(k);
	registry_free(k->reg);
	methods_free(k->methods);
	conf_dispose(&k->conf);
}

void unit_keeld_stop(struct unit_keeld *u)
{
	keeld_down(u);
	ck_assert_int_eq(remove_tree(u->dir), 0);
}

void unit_keeld_restart(struct unit_keeld *u,
			void (*between)(struct unit_keeld *u))
{
	keeld_down(u);
	if (between)
		between(u);
	keeld_up(u);
	lifecycle_recover(&u->k);
}

void unit_keeld_run(struct unit_keeld *u, int ms)
{
	long long end = monotime_ms() + ms;

	while (monotime_ms() < end) {
		event_base_loop(u->k.base, EVLOOP_NONBLOCK);
		usleep(1000);
	}
}

void unit_client_open(struct unit_client *c, struct unit_keeld *u,
		      const char *sock)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memset(c, 0, sizeof(*c));
	c->u = u;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       0);
	ck_assert_int_ge(c->fd, 0);
	/* A UNIX connect to a listening socket does not wait for accept. */
	ck_assert_msg(connect(c->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
		      "connect %s: %s", sock, strerror(errno));
}

void unit_client_close(struct unit_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->in);
	free(c->out);
	c->in = c->out = NULL;
	c->in_len = c->out_len = 0;
	/* Let keeld see the close. */
	if (c->u)
		unit_keeld_run(c->u, 5);
}

void unit_client_send(struct unit_client *c, const char *buf, size_t len)
{
	c->out = realloc(c->out, c->out_len + len);
	ck_assert_ptr_nonnull(c->out);
	memcpy(c->out + c->out_len, buf, len);
	c->out_len += len;
}

/* One round: keeld's loop once, our bytes out, its bytes in. */
static void client_turn(struct unit_client *c)
{
	char buf[65536];
	ssize_t n;

	event_base_loop(c->u->k.base, EVLOOP_NONBLOCK);
	if (c->out_len) {
		n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
		if (n > 0) {
			memmove(c->out, c->out + n, c->out_len - (size_t)n);
			c->out_len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN) {
			/* keeld hung up on us: what it said is still read. */
			c->out_len = 0;
		}
	}
	while (!c->eof) {
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0) {
			/* keeld reset the connection: as good as closed. */
			c->eof = errno == ECONNRESET;
			break;
		}
		if (n == 0) {
			c->eof = true;
			break;
		}
		c->in = realloc(c->in, c->in_len + (size_t)n + 1);
		ck_assert_ptr_nonnull(c->in);
		memcpy(c->in + c->in_len, buf, (size_t)n);
		c->in_len += (size_t)n;
	}
}

/* A whole line from c->in, taken out (malloc'd), or NULL. */
static char *take_line(struct unit_client *c)
{
	char *nl = c->in ? memchr(c->in, '\n', c->in_len) : NULL, *line;
	size_t len;

	if (!nl)
		return NULL;
	len = (size_t)(nl - c->in);
	line = strndup(c->in, len);
	ck_assert_ptr_nonnull(line);
	memmove(c->in, nl + 1, c->in_len - len - 1);
	c->in_len -= len + 1;
	return line;
}

struct json_object *unit_client_read(struct unit_client *c)
{
	long long end = monotime_ms() + WAIT_MS;
	struct json_object *msg;
	char *line;

	while (!(line = take_line(c))) {
		if (c->eof)
			return NULL;
		ck_assert_msg(monotime_ms() < end, "no answer came within %d ms",
			      WAIT_MS);
		client_turn(c);
		if (!c->in_len && !c->eof)
			usleep(500);
	}
	msg = json_tokener_parse(line);
	ck_assert_msg(msg != NULL, "keeld sent a line that is not JSON: %.200s",
		      line);
	free(line);
	return msg;
}

void unit_client_expect(struct unit_client *c, const void *want, size_t n)
{
	long long end = monotime_ms() + WAIT_MS;

	while (c->in_len < n) {
		ck_assert_msg(!c->eof, "closed after %zu of %zu bytes",
			      c->in_len, n);
		ck_assert_msg(monotime_ms() < end, "%zu of %zu bytes came in %d ms",
			      c->in_len, n, WAIT_MS);
		client_turn(c);
		if (c->in_len < n)
			usleep(500);
	}
	ck_assert_msg(memcmp(c->in, want, n) == 0,
		      "other bytes than expected came");
	memmove(c->in, c->in + n, c->in_len - n);
	c->in_len -= n;
}

bool unit_client_quiet(struct unit_client *c, int ms)
{
	long long end = monotime_ms() + ms;

	while (monotime_ms() < end) {
		client_turn(c);
		if (c->eof || memchr(c->in ? c->in : "", '\n', c->in_len))
			return false;
		usleep(1000);
	}
	return true;
}

struct json_object *unit_client_call(struct unit_client *c, const char *line)
{
	unit_client_send(c, line, strlen(line));
	unit_client_send(c, "\n", 1);
	return unit_client_read(c);
}

struct json_object *unit_keeld_call(struct unit_keeld *u, const char *sock,
				    const char *method, const char *params)
{
	struct unit_client c;
	struct json_object *resp;
	char *line;

	ck_assert_int_ge(asprintf(&line,
				  "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"%s\"%s%s}",
				  method, params ? ",\"params\":" : "",
				  params ? params : ""),
			 0);
	unit_client_open(&c, u, sock);
	resp = unit_client_call(&c, line);
	ck_assert_msg(resp != NULL, "keeld closed the connection on %s",
		      line);
	free(line);
	unit_client_close(&c);
	return resp;
}

struct json_object *unit_at(struct json_object *o, const char *ptr)
{
	struct json_object *v = NULL;

	return json_pointer_get(o, ptr, &v) ? NULL : v;
}

const char *unit_str(struct json_object *o, const char *ptr)
{
	struct json_object *v = unit_at(o, ptr);

	return v && json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) :
		       "(missing)";
}

int unit_code(struct json_object *resp)
{
	struct json_object *v = unit_at(resp, "/error/code");

	return v ? json_object_get_int(v) : 0;
}

void unit_assert_error(struct json_object *resp, int code, const char *field,
		       const char *words)
{
	ck_assert_msg(unit_code(resp) == code, "expected error %d, got %s",
		      code, json_object_to_json_string(resp));
	if (field)
		ck_assert_msg(!strcmp(unit_str(resp, "/error/data/field"),
				      field),
			      "expected field %s: %s", field,
			      json_object_to_json_string(resp));
	if (words)
		ck_assert_msg(strstr(unit_str(resp, "/error/message"), words),
			      "expected \"%s\" in %s", words,
			      json_object_to_json_string(resp));
	json_object_put(resp);
}

struct json_object *unit_assert_ok(struct json_object *resp)
{
	ck_assert_msg(resp && unit_at(resp, "/result") &&
			      !unit_at(resp, "/error"),
		      "expected a result, got %s",
		      json_object_to_json_string(resp));
	return resp;
}
