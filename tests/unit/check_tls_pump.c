// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib/tls_pump.c: the server side keel-hv --incoming accepts with, and
 * the pump both sides share. Certificates from data/keel-pki-init, as a
 * user's: pki/localhost (server and client CN=localhost,O=keel),
 * pki/stranger (a client-only CN=stranger,O=keel) and pki2/localhost
 * from a second CA. Each refused client must be refused with a
 * sentence that says why. The good case also measures the pump's
 * throughput over loopback (printed; KEEL_TLS_BENCH_MIB sets the size).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "libkeel_internal.h"
#include "monotime.h"
#include "runner.h"
#include "tls_pump.h"

static char tmp[64], pki[128], pki2[128];

static void pki_init(const char *dir, const char *names)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "/bin/sh %s/data/keel-pki-init --dir %s %s >/dev/null 2>&1",
		 KEEL_SRCDIR, dir, names);
	ck_assert_int_eq(system(cmd), 0);
}

static void suite_setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/check_tls_pump.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	snprintf(pki, sizeof(pki), "%s/pki", tmp);
	snprintf(pki2, sizeof(pki2), "%s/pki2", tmp);
	pki_init(pki, "localhost --client stranger");
	pki_init(pki2, "localhost");
}

static void suite_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", tmp);
}

/* One tls_server_accept() on a thread, on a fresh loopback listener. */
struct server {
	int lfd, port;
	const char *peer_dn;
	int accept_ms;
	pthread_t thread;
	int rc, fd;
	struct tls_server *srv;
	char why[1024];
};

static void *server_run(void *arg)
{
	struct server *s = arg;
	char dir[256];

	snprintf(dir, sizeof(dir), "%s/localhost", pki);
	s->rc = tls_server_accept(s->lfd, dir, s->peer_dn, s->accept_ms,
				  &s->fd, &s->srv, s->why, sizeof(s->why));
	return NULL;
}

static void server_start(struct server *s, const char *peer_dn, int ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->peer_dn = peer_dn;
	s->accept_ms = ms;
	s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(s->lfd, 0);
	ck_assert_int_eq(bind(s->lfd, (struct sockaddr *)&sin, sizeof(sin)),
			 0);
	ck_assert_int_eq(listen(s->lfd, 4), 0);
	ck_assert_int_eq(getsockname(s->lfd, (struct sockaddr *)&sin, &len),
			 0);
	s->port = ntohs(sin.sin_port);
	ck_assert_int_eq(pthread_create(&s->thread, NULL, server_run, s), 0);
}

static void server_join(struct server *s)
{
	pthread_join(s->thread, NULL);
	close(s->lfd);
}

static void server_dispose(struct server *s)
{
	if (s->fd >= 0)
		close(s->fd);
	tls_server_free(s->srv);
}

/* libkeel's client with the directory @dir; returns its fd or -1. */
static int client_connect(const struct server *s, const char *dir,
			  struct libkeel_tls **t, char *why, size_t size)
{
	char hp[64];
	int fd = -1;

	snprintf(hp, sizeof(hp), "127.0.0.1:%d", s->port);
	if (libkeel_tls_connect(hp, dir, &fd, t, why, size))
		return -1;
	return fd;
}

/* A raw OpenSSL client: @max_version, with or without a certificate. */
static void raw_client(const struct server *s, int max_version,
		       bool with_cert)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)s->port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char path[512];
	SSL *ssl;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_ptr_nonnull(ctx);
	SSL_CTX_set_max_proto_version(ctx, max_version);
	if (with_cert) {
		snprintf(path, sizeof(path), "%s/localhost/clientcert.pem",
			 pki);
		SSL_CTX_use_certificate_file(ctx, path, SSL_FILETYPE_PEM);
		snprintf(path, sizeof(path),
			 "%s/localhost/private/clientkey.pem", pki);
		SSL_CTX_use_PrivateKey_file(ctx, path, SSL_FILETYPE_PEM);
	}
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
			 0);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	/* TLS 1.3: the refusal comes after the client's finished. */
	if (SSL_connect(ssl) == 1) {
		char c;

		SSL_read(ssl, &c, 1);
	}
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	close(fd);
	ERR_clear_error();
}

static void assert_refused(const struct server *s, const char *words)
{
	ck_assert_int_ne(s->rc, 0);
	ck_assert_msg(strstr(s->why, "Refused the migration connection") &&
			      strstr(s->why, words),
		      "the sentence \"%s\" does not say \"%s\"", s->why,
		      words);
}

/* CPU seconds this process used, all threads. */
static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

struct sink {
	int fd;
	unsigned long long bytes;
};

static void *sink_run(void *arg)
{
	struct sink *k = arg;
	static char buf[256 * 1024];
	ssize_t n;

	while ((n = read(k->fd, buf, sizeof(buf))) > 0)
		k->bytes += (unsigned long long)n;
	return NULL;
}

START_TEST(test_good_client)
{
	struct libkeel_tls *t = NULL;
	struct server s;
	char dir[256], why[1024], buf[64];
	static char block[1 << 20];
	unsigned long long mib = 256;
	const char *env = getenv("KEEL_TLS_BENCH_MIB");
	struct sink k;
	pthread_t sink;
	double t0, t1, c0, c1;
	int fd;

	if (env && atoi(env) > 0)
		mib = (unsigned long long)atoi(env);
	server_start(&s, "CN=localhost,O=keel", 10000);
	snprintf(dir, sizeof(dir), "%s/localhost", pki);
	fd = client_connect(&s, dir, &t, why, sizeof(why));
	ck_assert_msg(fd >= 0, "connect: %s", why);
	server_join(&s);
	ck_assert_msg(s.rc == 0, "accept: %s", s.why);
	ck_assert_str_eq(tls_server_peer(s.srv), "CN=localhost,O=keel");
	/* Both ways, as the token line and its answer go. */
	ck_assert_int_eq(write(fd, "KEELMIG 1 x\n", 12), 12);
	ck_assert_int_eq(read(s.fd, buf, 12), 12);
	ck_assert_int_eq(write(s.fd, "OK\n", 3), 3);
	ck_assert_int_eq(read(fd, buf, 3), 3);
	ck_assert(!memcmp(buf, "OK\n", 3));
	/* Throughput: the client's pump encrypts, the server's decrypts. */
	k.fd = s.fd;
	k.bytes = 0;
	ck_assert_int_eq(pthread_create(&sink, NULL, sink_run, &k), 0);
	memset(block, 0x5a, sizeof(block));
	t0 = ((double)monotime_ns() / 1e9);
	c0 = cpu_s();
	for (unsigned long long i = 0; i < mib; i++) {
		size_t off = 0;

		while (off < sizeof(block)) {
			ssize_t n = write(fd, block + off, sizeof(block) - off);

			ck_assert_int_gt(n, 0);
			off += (size_t)n;
		}
	}
	close(fd);
	pthread_join(sink, NULL);
	t1 = ((double)monotime_ns() / 1e9);
	c1 = cpu_s();
	ck_assert_uint_eq(k.bytes, mib << 20);
	/* CPU time: both ends (encrypt and decrypt), kernel included. */
	printf("tls_pump: %llu MiB through TLS over loopback in %.2f s: %.0f MB/s, %.2f CPU s: %.0f MB per CPU second (%s)\n",
	       mib, t1 - t0, (double)(mib << 20) / (t1 - t0) / 1e6, c1 - c0,
	       (double)(mib << 20) / (c1 - c0) / 1e6,
	       tls_server_cipher(s.srv));
	libkeel_tls_free(t);
	server_dispose(&s);
}
END_TEST

/* The bytes at stream offset @off of the bulk test: their offset, mixed. */
static uint8_t bulk_byte(unsigned long long off)
{
	return (uint8_t)(off * 2654435761u >> 13);
}

struct bulk_sink {
	int fd;
	unsigned long long want, bytes, wrong;
};

/* Read @want bytes (or until the end); count the wrong ones. */
static void *bulk_sink_run(void *arg)
{
	struct bulk_sink *k = arg;
	static uint8_t buf[64 * 1024];
	ssize_t n = 1;

	while (k->bytes < k->want && n > 0) {
		size_t ask = sizeof(buf);

		if (k->want - k->bytes < ask)
			ask = (size_t)(k->want - k->bytes);
		n = read(k->fd, buf, ask);
		for (ssize_t i = 0; i < n; i++, k->bytes++)
			if (buf[i] != bulk_byte(k->bytes))
				k->wrong++;
	}
	return NULL;
}

/* Whether this kernel offers the tls ULP (tls.ko loaded or built in). */
static bool kernel_has_tls(void)
{
	char buf[256] = "";
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_available_ulp", "r");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	for (char *w = strtok(buf, " \n"); w; w = strtok(NULL, " \n"))
		if (!strcmp(w, "tls"))
			return true;
	return false;
}

/*
 * The migration's sender: libkeel_tls_connect_bulk() engages kernel TLS
 * where the kernel has it (else the pump carries everything, as for
 * libkeel), big writes straight to the socket arrive whole and in
 * order, and the receiver's lines still come back through the fd.
 */
START_TEST(test_bulk_client)
{
	struct libkeel_tls *t = NULL;
	struct bulk_sink k = { 0 };
	struct server s;
	static uint8_t block[256 * 1024];
	const unsigned long long total = 64ull << 20;
	unsigned long long off = 0;
	char hp[64], dir[256], why[1024], buf[64];
	pthread_t sink;
	int fd = -1, wfd;

	server_start(&s, "CN=localhost,O=keel", 10000);
	snprintf(dir, sizeof(dir), "%s/localhost", pki);
	snprintf(hp, sizeof(hp), "127.0.0.1:%d", s.port);
	ck_assert_msg(!libkeel_tls_connect_bulk(hp, dir, &fd, &t, why,
						sizeof(why)),
		      "connect: %s", why);
	server_join(&s);
	ck_assert_msg(s.rc == 0, "accept: %s", s.why);
	wfd = libkeel_tls_send_fd(t);
	ck_assert_msg((wfd >= 0) == kernel_has_tls(),
		      "kernel TLS %s, but the kernel %s the tls ULP",
		      wfd >= 0 ? "engaged" : "did not engage",
		      kernel_has_tls() ? "offers" : "does not offer");
	printf("tls_pump: bulk sender: %s\n",
	       wfd >= 0 ? "kernel TLS" : "no kernel TLS, through the pump");
	if (wfd < 0)
		wfd = fd;
	/* The token line through the pump, the stream straight on. */
	ck_assert_int_eq(write(fd, "KEELMIG 1 x\n", 12), 12);
	ck_assert_int_eq(read(s.fd, buf, 12), 12);
	ck_assert(!memcmp(buf, "KEELMIG 1 x\n", 12));
	k.fd = s.fd;
	k.want = total;
	ck_assert_int_eq(pthread_create(&sink, NULL, bulk_sink_run, &k), 0);
	while (off < total) {
		size_t len = sizeof(block), done = 0;

		for (size_t i = 0; i < len; i++)
			block[i] = bulk_byte(off + i);
		while (done < len) {
			struct pollfd pfd = { .fd = wfd, .events = POLLOUT };
			ssize_t n = write(wfd, block + done, len - done);

			if (n < 0 && errno == EAGAIN) {
				ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
				continue;
			}
			ck_assert_int_gt(n, 0);
			done += (size_t)n;
		}
		off += len;
	}
	pthread_join(sink, NULL);
	ck_assert_uint_eq(k.bytes, total);
	ck_assert_uint_eq(k.wrong, 0);
	/* The receiver's answer still reaches the sender through the fd. */
	ck_assert_int_eq(write(s.fd, "DONE\n", 5), 5);
	ck_assert_int_eq(read(fd, buf, 5), 5);
	ck_assert(!memcmp(buf, "DONE\n", 5));
	close(fd);
	libkeel_tls_free(t);
	server_dispose(&s);
}
END_TEST

START_TEST(test_other_ca)
{
	struct libkeel_tls *t = NULL;
	struct server s;
	char dir[256], why[1024];

	server_start(&s, NULL, 10000);
	snprintf(dir, sizeof(dir), "%s/localhost", pki2);
	ck_assert_int_lt(client_connect(&s, dir, &t, why, sizeof(why)), 0);
	server_join(&s);
	assert_refused(&s, "");
	ck_assert_ptr_null(s.srv);
}
END_TEST

START_TEST(test_no_client_cert)
{
	struct server s;

	server_start(&s, NULL, 10000);
	raw_client(&s, TLS1_3_VERSION, false);
	server_join(&s);
	assert_refused(&s, "certificate");
}
END_TEST

START_TEST(test_wrong_subject)
{
	struct libkeel_tls *t = NULL;
	struct server s;
	char dir[256], why[1024], buf[512];
	ssize_t n;
	int fd;

	server_start(&s, "CN=localhost,O=keel", 10000);
	snprintf(dir, sizeof(dir), "%s/stranger", pki);
	fd = client_connect(&s, dir, &t, why, sizeof(why));
	server_join(&s);
	assert_refused(&s, "CN=stranger,O=keel");
	/* The source hears why on its connection. */
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		ck_assert_int_gt(n, 3);
		buf[n] = '\0';
		ck_assert_msg(!strncmp(buf, "NO Refused", 10), "got %s", buf);
		close(fd);
		libkeel_tls_free(t);
	}
}
END_TEST

START_TEST(test_tls12_client)
{
	struct server s;

	server_start(&s, NULL, 10000);
	raw_client(&s, TLS1_2_VERSION, true);
	server_join(&s);
	assert_refused(&s, "TLS 1.3");
}
END_TEST

START_TEST(test_plain_tcp)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct server s;
	int fd;

	server_start(&s, NULL, 10000);
	sin.sin_port = htons((uint16_t)s.port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
			 0);
	ck_assert_int_gt(write(fd, "KEELMIG 1 0123\n", 15), 0);
	server_join(&s);
	close(fd);
	assert_refused(&s, "handshake");
}
END_TEST

START_TEST(test_nobody_comes)
{
	struct server s;

	server_start(&s, NULL, 200);
	server_join(&s);
	ck_assert_int_eq(s.rc, -ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(s.why, "No migration arrived"));
}
END_TEST

START_TEST(test_missing_pki)
{
	struct tls_server *srv = NULL;
	char why[1024];
	int fd = -1;

	ck_assert_int_eq(tls_server_accept(-1, "/nonexistent", NULL, 10, &fd,
					   &srv, why, sizeof(why)),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(why, "servercert.pem"));
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("tls_pump");
	TCase *tc = tcase_create("server");

	tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_good_client);
	tcase_add_test(tc, test_bulk_client);
	tcase_add_test(tc, test_other_ca);
	tcase_add_test(tc, test_no_client_cert);
	tcase_add_test(tc, test_wrong_subject);
	tcase_add_test(tc, test_tls12_client);
	tcase_add_test(tc, test_plain_tcp);
	tcase_add_test(tc, test_nobody_comes);
	tcase_add_test(tc, test_missing_pki);
	suite_add_tcase(s, tc);
	return s;
}
