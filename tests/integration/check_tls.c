// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld over TLS (docs/remote.md) with a real keeld on loopback: who is
 * let in, who is refused and with what words at the client, read-only
 * subjects, the server's name, the key file's mode, a client that
 * stalls the handshake, and TLS 1.2. The certificates come from
 * data/keel-pki-init, as a user's would; the expired one is made here.
 */
#include "config.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "harness.h"
#include "keel.h"
#include "runner.h"

#include "keeld_fixture.h"

/*
 * The PKI made once for the suite: pki/HOST for "localhost" (keeld and
 * its read-write client), "otherhost" (a server certificate for
 * another name), the clients "ro" (read-only) and "stranger" (on no
 * list), "expired"; pki2/localhost from a second CA.
 */
static char pki[128], pki2[128];
static int port;

static void run_pki_init(const char *dir, const char *const *names)
{
	const char *schemas = default_schema_dir();
	char script[4096], *argv[16];
	struct proc p;
	int n = 0;

	snprintf(script, sizeof(script), "%s/../data/keel-pki-init", schemas);
	argv[n++] = "/bin/sh";
	argv[n++] = script;
	argv[n++] = "--dir";
	argv[n++] = (char *)dir;
	while (*names)
		argv[n++] = (char *)*names++;
	argv[n] = NULL;
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_msg(proc_wait(&p, 60000) == 0, "keel-pki-init failed: %s",
		      p.out);
	proc_dispose(&p);
}

/*
 * A client directory @name under pki with a certificate from pki's CA
 * that expired yesterday: the openssl command cannot date one back.
 */
static void make_expired(const char *name)
{
	char path[512];
	EVP_PKEY *cakey, *key;
	X509 *ca, *cert;
	X509_NAME *subj;
	FILE *f;

	snprintf(path, sizeof(path), "%s/ca/cacert.pem", pki);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	ca = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	snprintf(path, sizeof(path), "%s/ca/private/cakey.pem", pki);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	cakey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ck_assert(ca && cakey);
	key = EVP_EC_gen("P-256");
	cert = X509_new();
	ck_assert(key && cert);
	X509_set_version(cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 4242);
	X509_gmtime_adj(X509_getm_notBefore(cert), -2 * 86400);
	X509_gmtime_adj(X509_getm_notAfter(cert), -86400);
	subj = X509_get_subject_name(cert);
	X509_NAME_add_entry_by_txt(subj, "O", MBSTRING_ASC,
				   (const unsigned char *)"keel", -1, -1, 0);
	X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
				   (const unsigned char *)name, -1, -1, 0);
	X509_set_issuer_name(cert, X509_get_subject_name(ca));
	X509_set_pubkey(cert, key);
	ck_assert(X509_sign(cert, cakey, EVP_sha256()) > 0);

	snprintf(path, sizeof(path), "%s/%s", pki, name);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/private", pki, name);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/clientcert.pem", pki, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	PEM_write_X509(f, cert);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s/private/clientkey.pem", pki, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	chmod(path, 0600);
	PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	snprintf(path, sizeof(path), "cp %s/ca/cacert.pem %s/%s/cacert.pem",
		 pki, pki, name);
	ck_assert_int_eq(system(path), 0);
	X509_free(cert);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
}

static void tls_suite_setup(void)
{
	static const char *const hosts[] = { "localhost", "otherhost",
					     "--client", "ro", "--client",
					     "stranger", NULL };
	static const char *const hosts2[] = { "localhost", NULL };

	suite_setup();
	snprintf(pki, sizeof(pki), "%s/pki", suite_dir);
	snprintf(pki2, sizeof(pki2), "%s/pki2", suite_dir);
	run_pki_init(pki, hosts + 2);
	run_pki_init(pki, hosts);
	run_pki_init(pki2, hosts2);
	make_expired("expired");
}

/* A loopback port nobody listens on now. */
static int free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), p;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	p = ntohs(sin.sin_port);
	close(fd);
	return p;
}

/* keeld on 127.0.0.1 and ::1 with @server's PKI and @extra settings. */
static void tls_keeld_start(const char *server, const char *extra)
{
	char conf[2048];

	port = free_port();
	snprintf(conf, sizeof(conf),
		 "log_level = info\n"
		 "listen = tls://127.0.0.1:%d\n"
		 "listen = tls://[::1]:%d\n"
		 "pki_dir = %s/%s\n"
		 "tls_allowed_dn = CN=localhost,O=keel\n"
		 "tls_readonly_dn = CN=ro,O=keel\n"
		 "tls_readonly_dn = CN=expired,O=keel\n"
		 "%s",
		 port, port, pki, server, extra ? extra : "");
	write_file(conf_path, conf);
	keeld_start();
}

/* Connect with the client directory @client; NULL on failure, *@err set. */
static struct keel_conn *tls_connect(const char *host, const char *dir,
				     char **err)
{
	struct keel_conn *c = NULL;
	char uri[256];

	snprintf(uri, sizeof(uri), "tls://%s:%d", host, port);
	*err = NULL;
	if (keel_connect_pki(uri, dir, &c, err))
		return NULL;
	return c;
}

static const char *client_dir(const char *base, const char *name)
{
	static char dir[4][256];
	static int n;
	char *d = dir[n++ % 4];

	snprintf(d, 256, "%s/%s", base, name);
	return d;
}

/* host.info over @c succeeds. */
static void assert_host_info(struct keel_conn *c)
{
	struct keel_host_info info;

	ck_assert_msg(keel_host_info(c, &info) == 0, "host.info failed: %s",
		      keel_last_error(c)->message);
	ck_assert_int_gt(info.nr_cpus, 0);
}

START_TEST(test_good_client)
{
	struct keel_conn *c;
	char *err;

	tls_keeld_start("localhost", NULL);
	c = tls_connect("localhost", client_dir(pki, "localhost"), &err);
	ck_assert_msg(c, "%s", err);
	assert_host_info(c);
	/* A read-write method gets past the access check. */
	ck_assert_int_ne(keel_call(c, "domain.destroy",
				   json_tokener_parse("{\"domain\":\"none\"}"),
				   NULL), 0);
	ck_assert_int_ne(keel_last_error(c)->code, KEEL_E_PERMISSION);
	keel_close(c);
	c = tls_connect("[::1]", client_dir(pki, "localhost"), &err);
	ck_assert_msg(c, "%s", err);
	assert_host_info(c);
	keel_close(c);
	keeld_stop();
}
END_TEST

START_TEST(test_readonly_dn)
{
	struct keel_conn *c;
	char *err;

	tls_keeld_start("localhost", NULL);
	c = tls_connect("127.0.0.1", client_dir(pki, "ro"), &err);
	ck_assert_msg(c, "%s", err);
	assert_host_info(c);
	ck_assert_int_ne(keel_call(c, "domain.destroy",
				   json_tokener_parse("{\"domain\":\"none\"}"),
				   NULL), 0);
	ck_assert_int_eq(keel_last_error(c)->code, KEEL_E_PERMISSION);
	keel_close(c);
	keeld_stop();
}
END_TEST

START_TEST(test_not_listed)
{
	struct keel_host_info info;
	struct keel_conn *c;
	char *err;

	tls_keeld_start("localhost", NULL);
	c = tls_connect("127.0.0.1", client_dir(pki, "stranger"), &err);
	ck_assert_msg(c, "%s", err);
	ck_assert_int_ne(keel_host_info(c, &info), 0);
	ck_assert_int_eq(keel_last_error(c)->code, KEEL_E_PERMISSION);
	ck_assert_msg(strstr(keel_last_error(c)->message,
			     "CN=stranger,O=keel"),
		      "%s", keel_last_error(c)->message);
	keel_close(c);
	keeld_stop();
}
END_TEST

START_TEST(test_other_ca_and_expired)
{
	struct keel_conn *c;
	char *err;

	tls_keeld_start("localhost", NULL);
	/* The other CA's client, which also does not trust keeld's CA. */
	c = tls_connect("127.0.0.1", client_dir(pki2, "localhost"), &err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "does not verify"), "%s", err);
	free(err);
	/* Its client certificate, with keeld's CA trusted. */
	{
		char cmd[2048];

		snprintf(cmd, sizeof(cmd),
			 "mkdir -p %s/mixed/private && cp %s/localhost/clientcert.pem %s/mixed/ && cp %s/localhost/private/clientkey.pem %s/mixed/private/ && cp %s/ca/cacert.pem %s/mixed/",
			 top, pki2, top, pki2, top, pki, top);
		ck_assert_int_eq(system(cmd), 0);
	}
	c = tls_connect("127.0.0.1", client_dir(top, "mixed"), &err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "refused this client's certificate") &&
			      strstr(err, "unknown ca"),
		      "%s", err);
	free(err);
	c = tls_connect("127.0.0.1", client_dir(pki, "expired"), &err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "refused this client's certificate") &&
			      strstr(err, "expired"),
		      "%s", err);
	free(err);
	keeld_stop();
}
END_TEST

START_TEST(test_name_mismatch)
{
	struct keel_conn *c;
	char *err;

	/* otherhost's certificate names otherhost, 127.0.0.1 and ::1. */
	tls_keeld_start("otherhost", NULL);
	c = tls_connect("localhost", client_dir(pki, "localhost"), &err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "does not verify") &&
			      strstr(err, "name localhost"),
		      "%s", err);
	free(err);
	c = tls_connect("127.0.0.1", client_dir(pki, "localhost"), &err);
	ck_assert_msg(c, "%s", err);
	assert_host_info(c);
	keel_close(c);
	keeld_stop();
}
END_TEST

START_TEST(test_key_mode)
{
	char path[512];

	snprintf(path, sizeof(path),
		 "cp -r %s/localhost %s/pkimode && chmod 644 %s/pkimode/private/serverkey.pem",
		 pki, top, top);
	ck_assert_int_eq(system(path), 0);
	snprintf(path, sizeof(path),
		 "log_level = info\nlisten = tls://127.0.0.1:%d\npki_dir = %s/pkimode\n",
		 free_port(), top);
	write_file(conf_path, path);
	ck_assert_int_ne(keeld_spawn(&keeld, harness_path("daemon/keeld"),
				     conf_path, run_dir, state_dir, log_dir,
				     default_schema_dir(), NULL, 10000),
			 0);
	snprintf(path, sizeof(path),
		 "Refusing the private key %s/pkimode/private/serverkey.pem: it is readable or writable by group or others (mode 0644)",
		 top);
	ck_assert_msg(strstr(keeld.out, path), "%s", keeld.out);
	proc_dispose(&keeld);
}
END_TEST

/* A raw OpenSSL client: @max_version, with @dir's certificate or none. */
static SSL *raw_client(int *fd, int max_version, const char *dir,
		       SSL_CTX **ctxp)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char path[512];
	SSL *ssl;

	ck_assert_ptr_nonnull(ctx);
	SSL_CTX_set_max_proto_version(ctx, max_version);
	if (dir) {
		snprintf(path, sizeof(path), "%s/clientcert.pem", dir);
		ck_assert_int_eq(SSL_CTX_use_certificate_file(ctx, path,
							      SSL_FILETYPE_PEM),
				 1);
		snprintf(path, sizeof(path), "%s/private/clientkey.pem", dir);
		ck_assert_int_eq(SSL_CTX_use_PrivateKey_file(ctx, path,
							     SSL_FILETYPE_PEM),
				 1);
	}
	*fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(*fd, (struct sockaddr *)&sin, sizeof(sin)),
			 0);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, *fd);
	*ctxp = ctx;
	return ssl;
}

START_TEST(test_no_certificate_and_tls12)
{
	static const char req[] =
		"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"host.info\"}\n";
	SSL_CTX *ctx;
	char buf[256];
	unsigned long e;
	SSL *ssl;
	int fd, n;

	tls_keeld_start("localhost", NULL);
	/* No certificate: TLS 1.3 tells the client on its first read. */
	ssl = raw_client(&fd, TLS1_3_VERSION, NULL, &ctx);
	ck_assert_int_eq(SSL_connect(ssl), 1);
	SSL_write(ssl, req, (int)strlen(req));
	n = SSL_read(ssl, buf, sizeof(buf));
	ck_assert_int_le(n, 0);
	e = ERR_peek_last_error();
	ck_assert_msg(e && strstr(ERR_reason_error_string(e),
				  "certificate required"),
		      "%s", e ? ERR_reason_error_string(e) : "no error");
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	/* TLS 1.2, even with a good certificate: no handshake. */
	ssl = raw_client(&fd, TLS1_2_VERSION, client_dir(pki, "localhost"),
			 &ctx);
	ck_assert_int_ne(SSL_connect(ssl), 1);
	e = ERR_peek_last_error();
	ck_assert_msg(e && strstr(ERR_reason_error_string(e),
				  "protocol version"),
		      "%s", e ? ERR_reason_error_string(e) : "no error");
	ERR_clear_error();
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	keeld_stop();
}
END_TEST

START_TEST(test_libkeel_without_certificate)
{
	struct keel_conn *c;
	char cmd[512], *err;

	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/nocert && cp %s/ca/cacert.pem %s/nocert/", top,
		 pki, top);
	ck_assert_int_eq(system(cmd), 0);
	port = free_port();
	c = tls_connect("127.0.0.1", client_dir(top, "nocert"), &err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "nocert/clientcert.pem: No such file"),
		      "%s", err);
	free(err);
	snprintf(cmd, sizeof(cmd),
		 "cp -r %s/localhost %s/loose && chmod 640 %s/loose/private/clientkey.pem",
		 pki, top, top);
	ck_assert_int_eq(system(cmd), 0);
	c = tls_connect("127.0.0.1", client_dir(top, "loose"), &err);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err, "clientkey.pem: it is readable"), "%s", err);
	free(err);
}
END_TEST

START_TEST(test_stalled_handshake)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct pollfd pfd;
	struct keel_conn *c;
	char buf[16], *err;
	int fd;

	tls_keeld_start("localhost", "tls_handshake_timeout = 1\n");
	sin.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)),
			 0);
	/* Meanwhile the others are served. */
	c = tls_connect("127.0.0.1", client_dir(pki, "localhost"), &err);
	ck_assert_msg(c, "%s", err);
	assert_host_info(c);
	/* keeld closes the silent one: EOF, not our patience, ends this. */
	pfd.fd = fd;
	pfd.events = POLLIN;
	ck_assert_int_eq(poll(&pfd, 1, WAIT_MS), 1);
	ck_assert_int_le(recv(fd, buf, sizeof(buf), 0), 0);
	close(fd);
	assert_host_info(c);
	keel_close(c);
	keeld_stop();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");

	if (!harness_have_file(harness_path("daemon/keeld")))
		runner_skip_reason = "daemon/keeld is not built";
	tcase_add_unchecked_fixture(tc, tls_suite_setup, suite_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_good_client);
	tcase_add_test(tc, test_readonly_dn);
	tcase_add_test(tc, test_not_listed);
	tcase_add_test(tc, test_other_ca_and_expired);
	tcase_add_test(tc, test_name_mismatch);
	tcase_add_test(tc, test_key_mode);
	tcase_add_test(tc, test_no_certificate_and_tls12);
	tcase_add_test(tc, test_libkeel_without_certificate);
	tcase_add_test(tc, test_stalled_handshake);
	suite_add_tcase(s, tc);
	return s;
}
