// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Who gets in (daemon/listener.c), in the test's process
 * (unit_keeld.h): the cap on one uid's connections and on all of them,
 * root's reserve on keeld.sock, a user outside keeld's group on
 * keeld.sock; each refused client gets one error line that says which
 * limit, then the close, and a place given back is taken again.
 */
#include "config.h"

#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include "keel.h"
#include "runner.h"
#include "unit_keeld.h"

#define HOST_INFO "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\"}"

static struct unit_keeld u;

static void teardown(void)
{
	unit_keeld_stop(&u);
}

/* Open @c on @sock and check that it is served. */
static void open_served(struct unit_client *c, const char *sock)
{
	struct json_object *resp;

	unit_client_open(c, &u, sock);
	resp = unit_client_call(c, HOST_INFO);
	ck_assert_ptr_nonnull(resp);
	json_object_put(unit_assert_ok(resp));
}

/* Open @c on @sock: refused with @code, a message with @words, closed. */
static void open_refused(struct unit_client *c, const char *sock, int code,
			 const char *words)
{
	struct json_object *resp;

	unit_client_open(c, &u, sock);
	resp = unit_client_read(c);
	ck_assert_msg(resp != NULL, "closed without a word on %s", sock);
	ck_assert(json_object_is_type(unit_at(resp, "/id"), json_type_null));
	unit_assert_error(resp, code, NULL, words);
	ck_assert_ptr_null(unit_client_read(c));
	unit_client_close(c);
}

START_TEST(test_per_uid)
{
	struct unit_client a, b, c;

	unit_keeld_start(&u, "max_clients_per_uid = 2\n");
	/* On keeld-ro.sock every uid is held to the cap, root's too. */
	open_served(&a, u.ro_sock);
	open_served(&b, u.ro_sock);
	open_refused(&c, u.ro_sock, KEEL_E_RESOURCE, "max_clients_per_uid");
	/* A place given back is there for the next. */
	unit_client_close(&a);
	open_served(&c, u.ro_sock);
	unit_client_close(&b);
	unit_client_close(&c);
}
END_TEST

START_TEST(test_total_and_reserve)
{
	struct unit_client ro[2], extra, root;

	/* Four places, two of them kept for root on keeld.sock. */
	unit_keeld_start(&u, "max_clients = 4\nmax_clients_per_uid = 10\n");
	open_served(&ro[0], u.ro_sock);
	open_served(&ro[1], u.ro_sock);
	open_refused(&extra, u.ro_sock, KEEL_E_RESOURCE, "max_clients");
	open_served(&root, u.rw_sock);
	unit_client_close(&root);
	unit_client_close(&ro[0]);
	unit_client_close(&ro[1]);
}
END_TEST

/*
 * What a client of uid and gid 65534 reads on @sock, into @buf (empty
 * when it could not connect). keeld's loop runs meanwhile.
 */
static void nobody_reads(const char *sock, char *buf, size_t size)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int p[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct pollfd pfd = { .events = POLLIN };
		char line[1024];
		int fd;

		close(p[0]);
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(1);
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
			_exit(2);
		/* Refused or not, a request: the answer says which. */
		if (write(fd, HOST_INFO "\n", sizeof(HOST_INFO)) < 0)
			_exit(3);
		pfd.fd = fd;
		n = poll(&pfd, 1, 5000) == 1 ? read(fd, line, sizeof(line)) : 0;
		if (n > 0 && write(p[1], line, (size_t)n) != n)
			_exit(3);
		_exit(0);
	}
	close(p[1]);
	while (waitpid(pid, &status, WNOHANG) == 0)
		unit_keeld_run(&u, 10);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the client as uid 65534 failed (status %d)", status);
	while (got < (ssize_t)size - 1 &&
	       (n = read(p[0], buf + got, size - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = '\0';
	close(p[0]);
}

/*
 * keeld.sock is for root, keeld's user and its group. Its mode says so
 * first; here the listener's own check is tried by opening the socket
 * to all.
 */
START_TEST(test_not_in_group)
{
	char buf[1024], parent[64];
	struct json_object *resp;

	unit_keeld_start(&u, NULL);
	snprintf(parent, sizeof(parent), "%s", u.dir);
	*strrchr(parent, '/') = '\0';
	ck_assert_int_eq(chmod(parent, 0755), 0);
	ck_assert_int_eq(chmod(u.dir, 0755), 0);
	ck_assert_int_eq(chmod(u.k.conf.run_dir, 0755), 0);
	ck_assert_int_eq(chmod(u.rw_sock, 0666), 0);
	nobody_reads(u.rw_sock, buf, sizeof(buf));
	resp = json_tokener_parse(buf);
	ck_assert_msg(resp != NULL, "uid 65534 read \"%s\"", buf);
	unit_assert_error(resp, KEEL_E_PERMISSION, NULL, "keeld-ro.sock");
	/* The read-only socket lets the same user in. */
	ck_assert_int_eq(chmod(u.ro_sock, 0666), 0);
	nobody_reads(u.ro_sock, buf, sizeof(buf));
	resp = json_tokener_parse(buf);
	ck_assert_msg(resp != NULL, "uid 65534 read \"%s\"", buf);
	json_object_put(unit_assert_ok(resp));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("listener");
	TCase *tc = tcase_create("listener");

	tcase_add_unchecked_fixture(tc, unit_keeld_suite_setup,
				    unit_keeld_suite_teardown);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_per_uid);
	tcase_add_test(tc, test_total_and_reserve);
	/* Only root can be another user. */
	if (geteuid() == 0)
		tcase_add_test(tc, test_not_in_group);
	suite_add_tcase(s, tc);
	return s;
}
