// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv --incoming (docs/migration.md, "keel-hv: the destination") on
 * /dev/kvm with the dirty test guest, fed by a source this test plays:
 * the guest saved to a file by the control socket's save, then sent
 * over libkeel's TLS client with the token line, as the source keel-hv
 * sends its passes. The destination must answer OK and DONE, wait
 * paused (reason migrated, incoming-done) and run on at resume with no
 * page lost; a wrong token is answered NO and a cut stream ends it
 * with status 1. Certificates from data/keel-pki-init, made on the
 * host before the suite moves into the nested runner (which copies the
 * build tree in).
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "hv_proto.h"
#include "le.h"
#include "libkeel_internal.h"
#include "runner.h"
#include "stream.h"

#define TIMEOUT_MS 30000
#define TOKEN "0123456789abcdef0123456789abcdef"

static char pki_dir[PATH_MAX];

/* The machine both ends have: the dirty guest, 32 MiB, one vCPU. */
static void hv_argv(char **argv, const struct harness_hv_dir *d, int lfd,
		    int tfd)
{
	static char a[2][64];
	static char pki_arg[PATH_MAX + 16];
	unsigned n = 0;

	argv[n++] = (char *)harness_path("hypervisor/keel-hv");
	if (lfd < 0) {
		argv[n++] = "--kernel";
		argv[n++] = (char *)harness_guest("dirty");
	} else {
		snprintf(a[0], sizeof(a[0]), "--" HV_OPT_INCOMING "=%d", lfd);
		snprintf(a[1], sizeof(a[1]), "--" HV_OPT_INCOMING_TOKEN "=%d",
			 tfd);
		snprintf(pki_arg, sizeof(pki_arg), "--" HV_OPT_PKI_DIR "=%s",
			 pki_dir);
		argv[n++] = a[0];
		argv[n++] = a[1];
		argv[n++] = pki_arg;
		argv[n++] = "--" HV_OPT_INCOMING_PEER "=CN=localhost,O=keel";
	}
	argv[n++] = "--memory";
	argv[n++] = "32M";
	argv[n++] = "--console";
	argv[n++] = "stdio";
	argv[n++] = "--control";
	argv[n++] = (char *)d->sock;
	argv[n++] = "--status-file";
	argv[n++] = (char *)d->status;
	argv[n] = NULL;
}

static char *call(struct harness_client *c, const char *method, int id)
{
	char line[256], want[32];
	char *r;

	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"%s\"}\n", id,
		 method);
	snprintf(want, sizeof(want), "\"id\":%d", id);
	ck_assert_int_eq(harness_client_send(c, line, strlen(line)), 0);
	for (;;) {
		r = harness_client_readline(c, TIMEOUT_MS);
		ck_assert_msg(r != NULL, "no answer to %s", method);
		if (strstr(r, want))
			return r;
		free(r);
	}
}

/* The dirty guest after a few heartbeats, saved (then stop) to @path. */
static long save_dirty(const char *path)
{
	struct harness_hv_dir d;
	struct harness_client c;
	char *argv[24], line[512], *r, *p;
	struct proc src;
	long beat = -1;

	harness_hv_dir_init(&d, "/tmp/keel-migsrc-XXXXXX");
	hv_argv(argv, &d, -1, -1);
	ck_assert_int_eq(proc_spawn(&src, argv), 0);
	ck_assert_int_eq(harness_client_open(&c, d.sock, 10000), 0);
	ck_assert_msg(proc_expect(&src, "dirty beat=3 ", 0, TIMEOUT_MS) > 0,
		      "no heartbeat: %s", harness_tail(src.out));
	snprintf(line, sizeof(line),
		 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"save\",\"params\":{\"path\":\"%s\",\"then\":\"stop\",\"config\":{\"name\":\"t\"}}}\n",
		 path);
	ck_assert_int_eq(harness_client_send(&c, line, strlen(line)), 0);
	r = harness_client_readline(&c, TIMEOUT_MS);
	ck_assert_msg(r && strstr(r, "\"bytes\""), "save: %s", r ? r : "");
	free(r);
	harness_client_close(&c);
	ck_assert_int_eq(proc_wait(&src, TIMEOUT_MS), HV_EXIT_SAVED);
	for (p = src.out; (p = strstr(p, "dirty beat=")); p += 11)
		beat = strtol(p + 11, NULL, 10);
	proc_dispose(&src);
	harness_hv_dir_dispose(&d);
	return beat;
}

/* The destination: keel-hv --incoming on a loopback listener. */
struct dest {
	struct harness_hv_dir d;
	struct proc p;
	int port;
};

static void dest_start(struct dest *x, const char *token)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	char *argv[24];
	int lfd, pfd[2];

	harness_hv_dir_init(&x->d, "/tmp/keel-migin-XXXXXX");
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	x->port = ntohs(sin.sin_port);
	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(write(pfd[1], token, strlen(token)),
			 (ssize_t)strlen(token));
	close(pfd[1]);
	hv_argv(argv, &x->d, lfd, pfd[0]);
	ck_assert_int_eq(proc_spawn(&x->p, argv), 0);
	close(lfd);
	close(pfd[0]);
}

static void dest_dispose(struct dest *x)
{
	proc_dispose(&x->p);
	harness_hv_dir_dispose(&x->d);
}

/* Connect as the source and send the token line; *@t to free. */
static int source_connect(const struct dest *x, const char *token,
			  struct libkeel_tls **t)
{
	char hp[64], why[1024], line[64];
	int fd = -1;

	snprintf(hp, sizeof(hp), "127.0.0.1:%d", x->port);
	ck_assert_msg(libkeel_tls_connect(hp, pki_dir, &fd, t, why,
					  sizeof(why)) == 0,
		      "connect: %s", why);
	snprintf(line, sizeof(line), HV_MIG_HELLO " %s\n", token);
	ck_assert_int_eq(write(fd, line, strlen(line)),
			 (ssize_t)strlen(line));
	return fd;
}

/* One line from the destination (without the newline), malloc'd. */
static char *source_line(int fd)
{
	char buf[1024];
	size_t n = 0;

	while (n + 1 < sizeof(buf) && read(fd, buf + n, 1) == 1 &&
	       buf[n] != '\n')
		n++;
	buf[n] = '\0';
	return strdup(buf);
}

/* @len bytes of the file @path to @fd (all of it for len < 0). */
static void source_send(int fd, const char *path, long len)
{
	size_t size;
	char *data = harness_read_file(path, &size);
	size_t off = 0, want = len < 0 ? size : (size_t)len;

	ck_assert_ptr_nonnull(data);
	while (off < want) {
		ssize_t w = write(fd, data + off, want - off);

		ck_assert_int_gt(w, 0);
		off += (size_t)w;
	}
	free(data);
}

static char save_path[64];

/* The source's stream, saved by this test (each runs in its own fork). */
static void save_once(void)
{
	snprintf(save_path, sizeof(save_path), "/tmp/keel-migin-%d.save",
		 (int)getpid());
	unlink(save_path);
	ck_assert_int_ge(save_dirty(save_path), 3);
}

START_TEST(test_incoming_done_resume)
{
	struct libkeel_tls *t = NULL;
	struct harness_client c;
	struct dest x;
	char *r;
	int fd;
	long from;

	save_once();
	dest_start(&x, TOKEN "\n");
	ck_assert_int_eq(harness_client_open(&c, x.d.sock, 10000), 0);
	r = call(&c, HV_CTL_STATUS, 1);
	ck_assert_msg(strstr(r, "\"state\":\"incoming\""), "status: %s", r);
	free(r);
	r = call(&c, HV_CTL_RESUME, 2);
	ck_assert_msg(strstr(r, "incoming migration"), "resume: %s", r);
	free(r);
	free(call(&c, HV_CTL_SUBSCRIBE, 3));

	fd = source_connect(&x, TOKEN, &t);
	r = source_line(fd);
	ck_assert_str_eq(r, HV_MIG_OK);
	free(r);
	source_send(fd, save_path, -1);
	r = source_line(fd);
	ck_assert_msg(!strcmp(r, HV_MIG_DONE), "answer: %s; %s", r,
		      harness_tail(x.p.out));
	free(r);
	close(fd);
	libkeel_tls_free(t);

	r = harness_client_readline(&c, TIMEOUT_MS);
	ck_assert_msg(r && strstr(r, HV_CTL_INCOMING_DONE),
		      "notification: %s", r ? r : "");
	free(r);
	r = call(&c, HV_CTL_STATUS, 4);
	ck_assert_msg(strstr(r, "\"state\":\"paused\"") &&
			      strstr(r, "\"reason\":\"migrated\""),
		      "status: %s", r);
	free(r);
	from = (long)x.p.len;
	ck_assert_msg(proc_expect(&x.p, "dirty beat=", (size_t)from, 500) < 0,
		      "ran before resume: %s", harness_tail(x.p.out));
	r = call(&c, HV_CTL_RESUME, 5);
	ck_assert_msg(strstr(r, "\"result\""), "resume: %s", r);
	free(r);
	ck_assert_msg(proc_expect(&x.p, "dirty beat=", (size_t)from,
				  TIMEOUT_MS) > 0,
		      "no heartbeat after resume: %s", harness_tail(x.p.out));
	proc_expect(&x.p, "\x01never\x01", 0, 2000);
	ck_assert_msg(!strstr(x.p.out, "lost what pass") &&
			      !strstr(x.p.out, "FAIL"),
		      "pages lost: %s", harness_tail(x.p.out));
	harness_client_close(&c);
	harness_hv_stop(&x.p, TIMEOUT_MS);
	harness_hv_dir_dispose(&x.d);
	unlink(save_path);
}
END_TEST

/*
 * The saved stream as a migration's passes would repeat it: before the
 * VM record, every data run again twice (zeros over it, then its pages)
 * and every zero run of up to STREAM_RAM_RUN_PAGES twice (garbage over
 * it, then zeros). The guest must find its memory as saved. Written
 * through the stream writer, so the END checksum covers it all.
 */
static void make_passes(const char *from, const char *to)
{
	static uint8_t garbage[STREAM_RAM_RUN_PAGES * STREAM_PAGE_SIZE];
	size_t size, off = STREAM_PREAMBLE_SIZE, nram = 0;
	size_t *ram = calloc(1, sizeof(size_t) * 65536);
	char *data = harness_read_file(from, &size);
	int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	struct stream_writer *sw = stream_writer_new(fd);
	bool injected = false;

	ck_assert(data && ram && fd >= 0 && sw);
	memset(garbage, 0xa5, sizeof(garbage));
	ck_assert_int_eq(stream_write_preamble(sw), 0);
	while (off + STREAM_RECORD_HEADER_SIZE <= size) {
		const uint8_t *h = (const uint8_t *)data + off;
		uint32_t type = le_get32(h), flags = le_get32(h + 4);
		uint64_t len = le_get64(h + 8);

		if (type == STREAM_VM && !injected) {
			for (size_t i = 0; i < nram; i++) {
				const uint8_t *r = (const uint8_t *)data +
						   ram[i];
				uint64_t gpa = le_get64(r + 16);
				uint32_t np = le_get32(r + 24);
				uint16_t enc = le_get16(r + 28);

				int rc = 0;

				if (enc != STREAM_ENC_ZERO)
					rc = stream_write_ram(sw, gpa, np,
							      NULL,
							      STREAM_ENC_ZERO);
				else if (np <= STREAM_RAM_RUN_PAGES)
					rc = stream_write_ram(sw, gpa, np,
							      garbage,
							      STREAM_ENC_RAW);
				ck_assert_int_eq(rc, 0);
				ck_assert_int_eq(
					stream_write_record(sw, STREAM_RAM,
							    le_get32(r + 4),
							    r + 16,
							    le_get64(r + 8)),
					0);
			}
			injected = true;
		}
		if (type == STREAM_END) {
			ck_assert_int_eq(stream_write_end(sw), 0);
			break;
		}
		if (type == STREAM_RAM && nram < 65536)
			ram[nram++] = off;
		ck_assert_int_eq(stream_write_record(sw, type, flags, h + 16,
						     len),
				 0);
		off += STREAM_RECORD_HEADER_SIZE + ((len + 7) & ~7ULL);
	}
	ck_assert(injected);
	stream_writer_free(sw);
	close(fd);
	free(ram);
	free(data);
}

START_TEST(test_incoming_repeated_pages)
{
	struct libkeel_tls *t = NULL;
	struct harness_client c;
	char passes[80];
	struct dest x;
	char *r;
	int fd;
	long from;

	save_once();
	snprintf(passes, sizeof(passes), "%s.passes", save_path);
	make_passes(save_path, passes);
	dest_start(&x, TOKEN "\n");
	ck_assert_int_eq(harness_client_open(&c, x.d.sock, 10000), 0);
	free(call(&c, HV_CTL_SUBSCRIBE, 1));
	fd = source_connect(&x, TOKEN, &t);
	r = source_line(fd);
	ck_assert_str_eq(r, HV_MIG_OK);
	free(r);
	source_send(fd, passes, -1);
	r = source_line(fd);
	ck_assert_msg(!strcmp(r, HV_MIG_DONE), "answer: %s; %s", r,
		      harness_tail(x.p.out));
	free(r);
	close(fd);
	libkeel_tls_free(t);
	/* DONE may come first: keeld resumes after incoming-done, as here. */
	r = harness_client_readline(&c, TIMEOUT_MS);
	ck_assert_msg(r && strstr(r, HV_CTL_INCOMING_DONE),
		      "notification: %s", r ? r : "");
	free(r);
	from = (long)x.p.len;
	r = call(&c, HV_CTL_RESUME, 2);
	ck_assert_msg(strstr(r, "\"result\""), "resume: %s", r);
	free(r);
	ck_assert_msg(proc_expect(&x.p, "dirty beat=", (size_t)from,
				  TIMEOUT_MS) > 0,
		      "no heartbeat after resume: %s", harness_tail(x.p.out));
	proc_expect(&x.p, "\x01never\x01", 0, 2000);
	ck_assert_msg(!strstr(x.p.out, "lost what pass") &&
			      !strstr(x.p.out, "FAIL"),
		      "pages lost: %s", harness_tail(x.p.out));
	harness_client_close(&c);
	harness_hv_stop(&x.p, TIMEOUT_MS);
	harness_hv_dir_dispose(&x.d);
	unlink(passes);
	unlink(save_path);
}
END_TEST

START_TEST(test_wrong_token)
{
	struct libkeel_tls *t = NULL;
	struct dest x;
	char *r;
	int fd;

	dest_start(&x, TOKEN "\n");
	fd = source_connect(&x, "ffffffffffffffffffffffffffffffff", &t);
	r = source_line(fd);
	ck_assert_msg(!strncmp(r, HV_MIG_NO " ", 3) &&
			      strstr(r, "token is wrong"),
		      "answer: %s", r);
	free(r);
	close(fd);
	libkeel_tls_free(t);
	ck_assert_int_eq(proc_wait(&x.p, TIMEOUT_MS), HV_EXIT_ERROR);
	r = harness_read_file(x.d.status, NULL);
	ck_assert_msg(r && strstr(r, "token is wrong"), "status: %s",
		      r ? r : "");
	free(r);
	dest_dispose(&x);
}
END_TEST

START_TEST(test_truncated_stream)
{
	struct libkeel_tls *t = NULL;
	struct stat st;
	struct dest x;
	char *r;
	int fd;

	save_once();
	ck_assert_int_eq(stat(save_path, &st), 0);
	dest_start(&x, TOKEN);
	fd = source_connect(&x, TOKEN, &t);
	r = source_line(fd);
	ck_assert_str_eq(r, HV_MIG_OK);
	free(r);
	source_send(fd, save_path, st.st_size / 2);
	close(fd);
	libkeel_tls_free(t);
	ck_assert_int_eq(proc_wait(&x.p, TIMEOUT_MS), HV_EXIT_ERROR);
	r = harness_read_file(x.d.status, NULL);
	ck_assert_msg(r && strstr(r, "incoming migration"), "status: %s",
		      r ? r : "");
	free(r);
	dest_dispose(&x);
	unlink(save_path);
}
END_TEST

START_TEST(test_option_refusals)
{
	char *argv[] = { (char *)harness_path("hypervisor/keel-hv"),
			 "--" HV_OPT_INCOMING "=5", "--memory", "32M",
			 "--control", "/tmp/nowhere", NULL };
	struct proc p;

	/* No token: refused before anything is built. */
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_int_eq(proc_wait(&p, TIMEOUT_MS), HV_EXIT_ERROR);
	ck_assert_msg(strstr(p.out, "--" HV_OPT_INCOMING_TOKEN),
		      "output: %s", p.out);
	proc_dispose(&p);
}
END_TEST

/* The PKI, made where the build tree is (copied into the runner). */
static const char *pki_make(void)
{
	char cmd[2 * PATH_MAX];
	struct stat st;

	snprintf(pki_dir, sizeof(pki_dir), "%s",
		 harness_path("tests/migrate-in-pki"));
	snprintf(cmd, sizeof(cmd), "%s/localhost/servercert.pem", pki_dir);
	if (!stat(cmd, &st)) {
		strcat(pki_dir, "/localhost");
		return NULL;
	}
	snprintf(cmd, sizeof(cmd),
		 "/bin/sh %s/data/keel-pki-init --dir %s localhost >/dev/null 2>&1",
		 KEEL_SRCDIR, pki_dir);
	if (system(cmd))
		return "keel-pki-init failed (is the openssl command installed?)";
	strcat(pki_dir, "/localhost");
	return NULL;
}

Suite *unit_suite(void)
{
	Suite *s = suite_create("migrate_in");
	TCase *tc = tcase_create("incoming");
	const char *why = pki_make();

	runner_skip_reason = harness_kvm_missing();
	runner_wants_kvm = runner_skip_reason != NULL;
	runner_nested_seconds = 600;
	if (!runner_skip_reason && why)
		runner_skip_reason = why;
	if (!runner_skip_reason && !harness_have_file(harness_guest("dirty")))
		runner_skip_reason = "test guests are not built (make guest)";
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_incoming_done_resume);
	tcase_add_test(tc, test_incoming_repeated_pages);
	tcase_add_test(tc, test_wrong_token);
	tcase_add_test(tc, test_truncated_stream);
	tcase_add_test(tc, test_option_refusals);
	suite_add_tcase(s, tc);
	return s;
}
