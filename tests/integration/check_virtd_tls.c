// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-virtd with Debian's own virsh where no guest is needed (a real
 * keeld, no KVM):
 * - the TLS port: `virsh -c keel+tls://127.0.0.1:PORT/system?pkipath=`
 *   with libvirt's client files (cacert.pem, clientcert.pem,
 *   clientkey.pem) made here with the openssl command: list and dominfo
 *   for a subject on --tls-allowed-dn, reading but not changing for one
 *   on --tls-readonly-dn, and refused: a certificate of another CA, a
 *   subject on neither list.
 * - save, restore, migrate and the job commands as virsh sends them,
 *   on a shut-off domain: each answered (domjobinfo: None) or refused
 *   with keel's sentence, which proves the procedures' layouts against
 *   the stock client (check_virtd_kvm runs them on real guests). The
 *   save and migrate refusals go through libvirt's client library
 *   (stock_api.h), because virsh can hang on its own when a refusal
 *   comes back that fast.
 */
#include "config.h"

#include <check.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "keeld_fixture.h"
#include "runner.h"
#include "stock_api.h"

#define VIRTD_READY_MS 20000

static struct proc virtd;
static char pki[200], uri[300];
static unsigned port;

/* virsh on @u must fail (@ok false) or succeed and print @needle. */
static void virsh_expect(const char *u, bool ok, const char *needle,
			 const char *cmd)
{
	const char *out;
	int rc = harness_virsh(u, &out, "%s", cmd);

	ck_assert_msg(ok ? rc == 0 : rc != 0, "virsh %s: status %d: %s", cmd,
		      rc, out);
	ck_assert_msg(strstr(out, needle), "virsh %s: no \"%s\" in: %s", cmd,
		      needle, out);
}

/* `virsh migrate --live --p2p`'s flags. */
#define P2P (STOCK_MIGRATE_LIVE | STOCK_MIGRATE_PEER2PEER)

/* libvirt's call must have failed with a message holding @needle. */
static void refused(const char *needle, const char *err)
{
	ck_assert_msg(err, "accepted: no \"%s\"", needle);
	ck_assert_msg(strstr(err, needle), "no \"%s\" in: %s", needle, err);
}

/* The URI of the client whose libvirt PKI directory is @name. */
static const char *tls_uri(const char *name)
{
	static char u[400];

	snprintf(u, sizeof(u),
		 "keel+tls://127.0.0.1:%u/system?pkipath=%s/%s",
		 port, pki, name);
	return u;
}

/*
 * The PKI, made with the openssl command by a script (harness_sh()
 * takes one short line): "ca NAME" makes a CA in @pki/NAME; "cert CA
 * NAME SUBJECT server|client" a certificate from it with libvirt's key
 * usage (digital signature and key encipherment) in @pki/NAME, laid
 * out as libvirt's client reads a pkipath (cacert.pem, clientcert.pem,
 * clientkey.pem), or the server's for 127.0.0.1.
 */
static const char pki_script[] =
	"set -e\n"
	"cd \"$1\"\n"
	"if [ \"$2\" = ca ]; then\n"
	"  mkdir -p \"$3\" && cd \"$3\"\n"
	"  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \\\n"
	"    -keyout cakey.pem -out cacert.pem -days 2 -subj \"/O=keel/CN=$3\" \\\n"
	"    -addext basicConstraints=critical,CA:TRUE \\\n"
	"    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null\n"
	"  exit 0\n"
	"fi\n"
	"umask 077\n"
	"mkdir -p \"$4\" && cd \"$4\"\n"
	"printf '%s\\n' basicConstraints=critical,CA:FALSE \\\n"
	"  keyUsage=critical,digitalSignature,keyEncipherment >ext.cnf\n"
	"if [ \"$6\" = server ]; then\n"
	"  printf '%s\\n' extendedKeyUsage=serverAuth \\\n"
	"    subjectAltName=IP:127.0.0.1 >>ext.cnf\n"
	"else\n"
	"  echo extendedKeyUsage=clientAuth >>ext.cnf\n"
	"fi\n"
	"openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \\\n"
	"  -keyout \"$6key.pem\" -subj \"$5\" 2>/dev/null |\n"
	"openssl x509 -req -CA \"../$3/cacert.pem\" -CAkey \"../$3/cakey.pem\" \\\n"
	"  -CAcreateserial -days 2 -extfile ext.cnf -out \"$6cert.pem\" 2>/dev/null\n"
	"cp \"../$3/cacert.pem\" .\n"
	"chmod 644 cacert.pem \"$6cert.pem\"\n";

static void pki_ca(const char *ca)
{
	ck_assert_int_eq(harness_sh("sh %s/pki.sh %s ca %s", top, pki, ca), 0);
}

static void pki_cert(const char *ca, const char *name, const char *subj,
		     bool server)
{
	ck_assert_int_eq(harness_sh("sh %s/pki.sh %s cert %s %s '%s' %s", top,
				    pki, ca, name, subj,
				    server ? "server" : "client"),
			 0);
}

static void start_both(void)
{
	char sock[200], p[16], ca[260], cert[260], key[260];
	char *argv[] = {
		(char *)harness_path("libvirt/keel-virtd"), "--keeld",
		rw_sock, "--socket", sock, "--listen-tls", "--tls-port", p,
		"--listen-addr", "127.0.0.1", "--ca-file", ca, "--cert-file",
		cert, "--key-file", key, "--tls-allowed-dn", "CN=admin,O=keel",
		"--tls-readonly-dn", "CN=viewer*", NULL,
	};
	struct json_object *resp;

	keeld_start();
	snprintf(sock, sizeof(sock), "%s/virt-sock", top);
	snprintf(uri, sizeof(uri), "keel+unix:///system?socket=%s", sock);
	snprintf(pki, sizeof(pki), "%s/pki", top);
	/* A port of this run's own, away from libvirt's 16514. */
	port = 20000 + (unsigned)getpid() % 20000;
	snprintf(p, sizeof(p), "%u", port);
	snprintf(ca, sizeof(ca), "%s/pki.sh", top);
	write_file(ca, pki_script);
	ck_assert_int_eq(harness_sh("mkdir -p %s", pki), 0);
	pki_ca("ca");
	pki_ca("otherca");
	pki_cert("ca", "server", "/O=keel/CN=localhost", true);
	pki_cert("ca", "admin", "/O=keel/CN=admin", false);
	pki_cert("ca", "viewer", "/O=keel/CN=viewer", false);
	pki_cert("ca", "stranger", "/O=keel/CN=stranger", false);
	pki_cert("otherca", "foreign", "/O=keel/CN=admin", false);
	snprintf(ca, sizeof(ca), "%s/ca/cacert.pem", pki);
	snprintf(cert, sizeof(cert), "%s/server/servercert.pem", pki);
	snprintf(key, sizeof(key), "%s/server/serverkey.pem", pki);
	memset(&virtd, 0, sizeof(virtd));
	ck_assert_int_eq(proc_spawn(&virtd, argv), 0);
	ck_assert_msg(proc_expect(&virtd, "ready:", 0, VIRTD_READY_MS) > 0,
		      "keel-virtd did not start: %s", virtd.out);
	ck_assert_msg(strstr(virtd.out, "TLS clients on port"), "%s",
		      virtd.out);
	resp = rpc_call("domain.define",
			"{\"config\":{\"name\":\"g\",\"kernel\":\"%s\",\"memory\":64}}",
			harness_guest("echo"));
	assert_ok(resp);
	json_object_put(resp);
}

static void stop_virtd(void)
{
	if (virtd.pid > 0)
		proc_dispose(&virtd);
}

START_TEST(test_tls)
{
	const char *out;

	start_both();
	virsh_expect(tls_uri("admin"), true, " g ", "list --all");
	virsh_expect(tls_uri("admin"), true, "shut off", "dominfo g");
	virsh_expect(tls_uri("admin"), true, "keel+tls://", "uri");
	ck_assert_msg(proc_expect(&virtd, "TLS client \"CN=admin,O=keel\"", 0,
				  5000) > 0,
		      "%s", virtd.out);
	/* Read-only by its subject: reads, is denied a start. */
	virsh_expect(tls_uri("viewer"), true, " g ", "list --all");
	virsh_expect(tls_uri("viewer"), false, "read only", "start g");
	/* Another CA: the handshake fails; nothing is served. */
	ck_assert_int_ne(harness_virsh(tls_uri("foreign"), &out, "list --all"), 0);
	ck_assert_msg(!strstr(out, " g "), "%s", out);
	/* The CA's, but on no list: closed before the confirmation byte. */
	ck_assert_int_ne(harness_virsh(tls_uri("stranger"), &out, "list --all"),
			 0);
	ck_assert_msg(strstr(out, "TLS confirmation"), "%s", out);
	ck_assert_msg(proc_expect(&virtd,
				  "\"CN=stranger,O=keel\" is on neither", 0,
				  5000) > 0,
		      "%s", virtd.out);
	/* keel-virtd serves on after all of them. */
	virsh_expect(tls_uri("admin"), true, " g ", "list --all");
	stop_virtd();
}
END_TEST

/*
 * virsh's save, restore, migrate and job commands on a shut-off domain.
 * The save and migrate refusals go through libvirt's client library with
 * the flags and parameters virsh sends (stock_api.h: virsh itself can
 * hang on an answer this fast).
 */
START_TEST(test_refusals)
{
	char to[300], cmd[600];

	start_both();
	snprintf(to, sizeof(to), "%s/g.sav", top);
	refused("only a running or paused domain",
		stock_save(uri, "g", to, NULL, 0));
	refused("restore it with virsh restore --paused",
		stock_save(uri, "g", to, NULL, STOCK_SAVE_PAUSED));
	refused("--bypass-cache",
		stock_save(uri, "g", to, NULL, STOCK_SAVE_BYPASS_CACHE));
	snprintf(cmd, sizeof(cmd), "restore %s/none.sav", top);
	virsh_expect(uri, false, "none.sav", cmd);
	snprintf(cmd, sizeof(cmd), "restore %s/none.sav --xml %s", top,
		 conf_path);
	virsh_expect(uri, false, "another configuration", cmd);
	virsh_expect(uri, true, "None", "domjobinfo g");
	virsh_expect(uri, true, "None", "domjobinfo g --completed");
	virsh_expect(uri, false, "no job under way", "domjobabort g");
	virsh_expect(uri, false, "no job under way",
		     "migrate-setmaxdowntime g 100");
	virsh_expect(uri, false, "no job under way", "migrate-setspeed g 10");
	/* Migration: what keel refuses by name, then keeld's own refusal. */
	refused("--copy-storage-all",
		stock_migrate(uri, "g", "keel+tls://127.0.0.1:1/system", NULL,
			      NULL, P2P | STOCK_MIGRATE_NON_SHARED_DISK));
	refused("another keel host",
		stock_migrate(uri, "g", "qemu+tls://127.0.0.1:1/system", NULL,
			      NULL, P2P));
	refused("destination_name",
		stock_migrate(uri, "g", "keel+tls://127.0.0.1:1/system", "h",
			      NULL, P2P));
	refused("migrate_uri",
		stock_migrate(uri, "g", "keel+tls://127.0.0.1:1/system", NULL,
			      "tcp://x", P2P));
	refused("only a running or paused domain",
		stock_migrate(uri, "g", "keel+tls://127.0.0.1:1/system", NULL,
			      NULL, P2P));
	stop_virtd();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virtd_tls");
	TCase *tc = keeld_tcase("virtd_tls", 180);

	if (!harness_have_file(harness_path("daemon/keeld")) ||
	    !harness_have_file(harness_path("libvirt/keel-virtd")))
		runner_skip_reason = "keeld or keel-virtd is not built";
	else if (!harness_have_file(HARNESS_VIRSH))
		runner_skip_reason = "virsh is missing (Debian: libvirt-clients)";
	else if (stock_api_missing())
		runner_skip_reason = stock_api_missing();
	else if (harness_sh("command -v openssl >/dev/null"))
		runner_skip_reason = "the openssl command is missing";
	tcase_add_test(tc, test_tls);
	tcase_add_test(tc, test_refusals);
	suite_add_tcase(s, tc);
	return s;
}
