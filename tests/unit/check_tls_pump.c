// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * lib/tls_pump.c: the server side keel-hv --incoming accepts with, the
 * direct connection (tls_chan) both ends of a migration use, and the
 * pump libkeel's client uses. Certificates from data/keel-pki-init, as
 * a user's: pki/localhost (server and client CN=localhost,O=keel),
 * pki/stranger (a client-only CN=stranger,O=keel) and pki2/localhost
 * from a second CA. Each refused client must be refused with a
 * sentence that says why. The good cases also measure the throughput
 * over loopback, through the pump and directly (printed;
 * KEEL_TLS_BENCH_MIB sets the size).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
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
	/* As keel-hv: a direct connection writes with write(2). */
	signal(SIGPIPE, SIG_IGN);
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
	int rc;
	struct tls_server *srv;
	struct tls_chan *c;	/* the accepted connection */
	char why[1024];
};

static void *server_run(void *arg)
{
	struct server *s = arg;
	char dir[256];

	snprintf(dir, sizeof(dir), "%s/localhost", pki);
	s->rc = tls_server_accept(s->lfd, dir, s->peer_dn, s->accept_ms,
				  &s->srv, s->why, sizeof(s->why));
	if (!s->rc)
		s->c = tls_server_chan(s->srv);
	return NULL;
}

static void server_start(struct server *s, const char *peer_dn, int ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);

	memset(s, 0, sizeof(*s));
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
	tls_server_free(s->srv);
}

/* Exactly @len bytes from @c within 10 s each piece. */
static void chan_read_all(struct tls_chan *c, void *p, size_t len)
{
	char *b = p;

	while (len) {
		ssize_t n = tls_chan_read(c, b, len, 10000);

		ck_assert_int_gt(n, 0);
		b += n;
		len -= (size_t)n;
	}
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
	struct tls_chan *c;
	unsigned long long bytes;
};

/* Read until the peer closes, as keel-hv's stream reader does. */
static void *sink_run(void *arg)
{
	struct sink *k = arg;
	static char buf[256 * 1024];
	ssize_t n;

	while ((n = tls_chan_read(k->c, buf, sizeof(buf), 10000)) > 0)
		k->bytes += (unsigned long long)n;
	return NULL;
}

/* What a throughput run prints: @what moved @mib MiB from @t0/@c0. */
static void bench_print(const char *what, unsigned long long mib, double t0,
			double c0, const struct tls_server *srv)
{
	double t1 = (double)monotime_ns() / 1e9, c1 = cpu_s();

	/* CPU time: both ends (encrypt and decrypt), kernel included. */
	printf("tls_pump: %s: %llu MiB over loopback in %.2f s: %.0f MB/s, %.2f CPU s: %.0f MB per CPU second (%s)\n",
	       what, mib, t1 - t0, (double)(mib << 20) / (t1 - t0) / 1e6,
	       c1 - c0, (double)(mib << 20) / (c1 - c0) / 1e6,
	       tls_server_cipher(srv));
}

/* KEEL_TLS_BENCH_MIB, or @dflt. */
static unsigned long long bench_mib(unsigned long long dflt)
{
	const char *env = getenv("KEEL_TLS_BENCH_MIB");

	return env && atoi(env) > 0 ? (unsigned long long)atoi(env) : dflt;
}

START_TEST(test_good_client)
{
	struct libkeel_tls *t = NULL;
	struct server s;
	char dir[256], why[1024], buf[64];
	static char block[1 << 20];
	unsigned long long mib = bench_mib(256);
	struct sink k;
	pthread_t sink;
	double t0, c0;
	int fd;

	server_start(&s, "CN=localhost,O=keel", 10000);
	snprintf(dir, sizeof(dir), "%s/localhost", pki);
	fd = client_connect(&s, dir, &t, why, sizeof(why));
	ck_assert_msg(fd >= 0, "connect: %s", why);
	server_join(&s);
	ck_assert_msg(s.rc == 0, "accept: %s", s.why);
	ck_assert_str_eq(tls_server_peer(s.srv), "CN=localhost,O=keel");
	/* Both ways, as the token line and its answer go. */
	ck_assert_int_eq(write(fd, "KEELMIG 1 x\n", 12), 12);
	chan_read_all(s.c, buf, 12);
	ck_assert_int_eq(tls_chan_write(s.c, "OK\n", 3), 0);
	ck_assert_int_eq(read(fd, buf, 3), 3);
	ck_assert(!memcmp(buf, "OK\n", 3));
	/* Throughput: the client's pump encrypts, the server decrypts. */
	k.c = s.c;
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
	ck_assert_uint_eq(k.bytes, mib << 20);
	bench_print("through the pump to a direct reader", mib, t0, c0, s.srv);
	libkeel_tls_free(t);
	server_dispose(&s);
}
END_TEST

/* The bytes at stream offset @off of the direct test: their offset, mixed. */
static uint8_t bulk_byte(unsigned long long off)
{
	return (uint8_t)(off * 2654435761u >> 13);
}

struct bulk_sink {
	struct tls_chan *c;
	unsigned long long want, bytes, wrong;
	unsigned long long check;	/* the first bytes to check */
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
		n = tls_chan_read(k->c, buf, ask, 10000);
		for (ssize_t i = 0; i < n && k->bytes + i < k->check; i++)
			if (buf[i] != bulk_byte(k->bytes + i))
				k->wrong++;
		if (n > 0)
			k->bytes += (unsigned long long)n;
	}
	return NULL;
}

/*
 * A direct client of pki/localhost connected to a new server that
 * allows @peer_dn; returns the client's end (*@t to free), s->c is the
 * server's.
 */
static struct tls_chan *direct_pair(struct server *s, const char *peer_dn,
				    struct libkeel_tls **t)
{
	char hp[64], dir[256], why[1024];

	server_start(s, peer_dn, 10000);
	snprintf(dir, sizeof(dir), "%s/localhost", pki);
	snprintf(hp, sizeof(hp), "127.0.0.1:%d", s->port);
	ck_assert_msg(!libkeel_tls_connect_direct(hp, dir, t, why,
						  sizeof(why)),
		      "connect: %s", why);
	server_join(s);
	ck_assert_msg(s->rc == 0, "accept: %s", s->why);
	return libkeel_tls_chan(*t);
}

/*
 * The migration's two ends: libkeel_tls_connect_direct() and the
 * server's connection, each read and written on the caller's thread.
 * Lines go both ways, big writes arrive whole and in order, a read
 * takes nothing past what it asked for, and the peer's hangup reads as
 * the end.
 */
START_TEST(test_direct)
{
	struct libkeel_tls *t = NULL;
	struct bulk_sink k = { 0 };
	struct server s;
	static uint8_t block[256 * 1024];
	const unsigned long long check = 16ull << 20;
	const unsigned long long mib = bench_mib(64), total = check + (mib << 20);
	unsigned long long off = 0;
	char buf[64];
	struct tls_chan *c;
	pthread_t sink;
	double t0, c0;

	c = direct_pair(&s, "CN=localhost,O=keel", &t);
	/* Two lines in one record: reading the first leaves the second. */
	ck_assert_int_eq(tls_chan_write(c, "KEELMIG 1 x\nNEXT\n", 17), 0);
	chan_read_all(s.c, buf, 12);
	ck_assert(!memcmp(buf, "KEELMIG 1 x\n", 12));
	chan_read_all(s.c, buf, 5);
	ck_assert(!memcmp(buf, "NEXT\n", 5));
	/* Nothing more came: the read times out. */
	ck_assert_int_eq(tls_chan_read(s.c, buf, 1, 50), -ETIMEDOUT);
	k.c = s.c;
	k.want = total;
	k.check = check;
	ck_assert_int_eq(pthread_create(&sink, NULL, bulk_sink_run, &k), 0);
	/* 16 MiB checked byte for byte, then the timed rest as it comes. */
	for (; off < check; off += sizeof(block)) {
		for (size_t i = 0; i < sizeof(block); i++)
			block[i] = bulk_byte(off + i);
		ck_assert_int_eq(tls_chan_write(c, block, sizeof(block)), 0);
	}
	memset(block, 0x5a, sizeof(block));
	t0 = (double)monotime_ns() / 1e9;
	c0 = cpu_s();
	for (; off < total; off += sizeof(block))
		ck_assert_int_eq(tls_chan_write(c, block, sizeof(block)), 0);
	pthread_join(sink, NULL);
	ck_assert_uint_eq(k.bytes, total);
	ck_assert_uint_eq(k.wrong, 0);
	bench_print("directly both ends", mib, t0, c0, s.srv);
	/* The receiver's answer, then its hangup, reach the sender. */
	ck_assert_int_eq(tls_chan_write(s.c, "DONE\n", 5), 0);
	chan_read_all(c, buf, 5);
	ck_assert(!memcmp(buf, "DONE\n", 5));
	libkeel_tls_free(t);
	tls_chan_hangup(s.c, 1000);
	server_dispose(&s);
}
END_TEST

struct blocked {
	struct tls_chan *c;
	ssize_t rc;
};

static void *blocked_read(void *arg)
{
	struct blocked *b = arg;
	char c;

	b->rc = tls_chan_read(b->c, &c, 1, -1);
	return NULL;
}

/* tls_chan_cut() from another thread ends a read that waits forever. */
START_TEST(test_direct_cut)
{
	struct libkeel_tls *t = NULL;
	struct server s;
	struct blocked b;
	pthread_t th;

	direct_pair(&s, NULL, &t);
	b.c = s.c;
	b.rc = 1;
	ck_assert_int_eq(pthread_create(&th, NULL, blocked_read, &b), 0);
	usleep(100000);
	tls_chan_cut(s.c);
	pthread_join(th, NULL);
	ck_assert_int_le(b.rc, 0);
	/* Writing to the cut connection fails; it does not kill us. */
	ck_assert_int_lt(tls_chan_write(s.c, "x\n", 2), 0);
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

	ck_assert_int_eq(tls_server_accept(-1, "/nonexistent", NULL, 10, &srv,
					   why, sizeof(why)),
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
	tcase_add_test(tc, test_direct);
	tcase_add_test(tc, test_direct_cut);
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
