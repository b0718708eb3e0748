// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-virtd with a real keeld and the stock libvirt clients, Debian's
 * unpatched virsh and python3-libvirt, on temporary sockets
 * (keel+unix:///system?socket=PATH). The domains are defined through
 * keeld's JSON-RPC and never run, so no KVM is needed: what is tested is
 * keel-virtd's protocol, its mapping of keel onto libvirt's model, its
 * read-only enforcement and what a hostile client gets.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "harness.h"
#include "keeld_fixture.h"
#include "runner.h"

#define PYTHON "/usr/bin/python3"
#define VIRTD_READY_MS 20000
/* keel-virtd's keepalive interval (man/keel-virtd.8). */
#define VIRT_KEEPALIVE_S 5

#define PROG 0x20008086u
#define KEEPALIVE 0x6b656570u

static struct proc virtd;
static char virt_sock[200], virt_sock_ro[210], uri[256], uri_ro[256];

/* Start keeld and keel-virtd on the test's directory. */
static void start_both(void)
{
	char *argv[] = {
		(char *)harness_path("libvirt/keel-virtd"), "--keeld",
		rw_sock, "--socket", virt_sock, "--workers", "2", NULL,
	};

	keeld_start();
	snprintf(virt_sock, sizeof(virt_sock), "%s/virt-sock", top);
	snprintf(virt_sock_ro, sizeof(virt_sock_ro), "%s-ro", virt_sock);
	snprintf(uri, sizeof(uri), "keel+unix:///system?socket=%s", virt_sock);
	snprintf(uri_ro, sizeof(uri_ro), "keel+unix:///system?socket=%s",
		 virt_sock_ro);
	memset(&virtd, 0, sizeof(virtd));
	ck_assert_int_eq(proc_spawn(&virtd, argv), 0);
	ck_assert_msg(proc_expect(&virtd, "ready:", 0, VIRTD_READY_MS) > 0,
		      "keel-virtd did not start: %s", virtd.out);
}

static void stop_virtd(void)
{
	if (virtd.pid > 0)
		proc_dispose(&virtd);
}

#define virsh(out, ...) harness_virsh(uri, out, __VA_ARGS__)

/* virsh must succeed and print @needle. */
#define virsh_says(needle, ...) harness_virsh_expect(uri, 0, needle, __VA_ARGS__)

/* Does virsh list's table @out have the row "- @name @state"? */
static bool row_is(const char *out, const char *name, const char *state)
{
	char want[128], line[256];
	const char *p = out, *nl;
	char id[8], n[80];
	int off;

	snprintf(want, sizeof(want), "%s", state);
	for (; *p; p = *nl ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		snprintf(line, sizeof(line), "%.*s", (int)(nl - p), p);
		if (sscanf(line, " %7s %79s %n", id, n, &off) == 2 &&
		    !strcmp(id, "-") && !strcmp(n, name) &&
		    !strcmp(line + off, want))
			return true;
	}
	return false;
}

static void define(const char *name, int memory, int maxmem, int vcpus)
{
	json_object_put(rpc_ok("domain.define",
			       "{\"config\":{\"name\":\"%s\",\"kernel\":\"/boot/k\","
			       "\"memory\":%d,\"maxmem\":%d,\"vcpus\":%d}}",
			       name, memory, maxmem, vcpus));
}

/* keeld's own answer for @name: its summary (caller puts it), or NULL. */
static struct json_object *keeld_info(const char *name)
{
	struct json_object *resp = rpc_call("domain.info",
					    "{\"name\":\"%s\"}", name);

	if (code_of(resp)) {
		json_object_put(resp);
		return NULL;
	}
	return resp;
}

START_TEST(test_connection)
{
	struct json_object *host;
	const char *out;
	char want[128], *dmi;

	start_both();
	host = rpc_ok("host.info", "{}");
	virsh_says("keel+unix:///system", "uri");
	virsh_says("Running hypervisor: KEEL", "version");
	virsh_says(str_at(host, "/result/hostname"), "hostname");
	snprintf(want, sizeof(want), "CPU(s):              %d",
		 json_object_get_int(at(host, "/result/nr_cpus")));
	virsh_says(want, "nodeinfo");
	virsh_says("CPU model:           x86_64", "nodeinfo");
	virsh_says("<os_type>hvm</os_type>", "capabilities");
	virsh_says("<domain type=\"kvm\"/>", "capabilities");
	virsh_says("hypervisor/keel-hv</emulator>", "capabilities");
	virsh_says("<domain>kvm</domain>", "domcapabilities");
	virsh_says("64", "maxvcpus --type kvm");
	ck_assert_int_eq(virsh(&out, "maxvcpus --type xen"), 1);
	/* SMBIOS where the host has it (no DMI in many containers). */
	dmi = harness_read_file("/sys/class/dmi/id/sys_vendor", NULL);
	if (dmi && *dmi && *dmi != '\n') {
		virsh_says("<sysinfo type=\"smbios\">", "sysinfo");
	} else {
		ck_assert_int_eq(virsh(&out, "sysinfo"), 1);
		ck_assert_msg(strstr(out, "no SMBIOS information"), "%s", out);
	}
	free(dmi);
	json_object_put(host);
	stop_virtd();
}
END_TEST

START_TEST(test_domains)
{
	struct json_object *web, *info;
	const char *out;
	char uuid[64];

	start_both();
	define("web", 256, 512, 2);
	define("db", 128, 128, 1);
	web = keeld_info("web");
	ck_assert_ptr_nonnull(web);
	snprintf(uuid, sizeof(uuid), "%s", str_at(web, "/result/uuid"));
	json_object_put(web);

	ck_assert_int_eq(virsh(&out, "list --all"), 0);
	ck_assert_msg(row_is(out, "db", "shut off") &&
			      row_is(out, "web", "shut off"),
		      "list --all: %s", out);
	ck_assert_int_eq(virsh(&out, "list"), 0);
	ck_assert_msg(!strstr(out, "web"), "list shows a shut-off domain: %s",
		      out);
	virsh_says("Max memory:     524288 KiB", "dominfo web");
	virsh_says("Used memory:    262144 KiB", "dominfo web");
	virsh_says("CPU(s):         2", "dominfo web");
	virsh_says("OS Type:        hvm", "dominfo web");
	virsh_says("Persistent:     yes", "dominfo web");
	virsh_says("Autostart:      disable", "dominfo web");
	virsh_says(uuid, "dominfo web");
	virsh_says("shut off (unknown)", "domstate --reason web");
	virsh_says("-", "domid web");
	virsh_says(uuid, "domuuid web");
	virsh_says("web", "domname %s", uuid);

	virsh_says("marked as autostarted", "autostart web");
	info = keeld_info("web");
	ck_assert(json_object_get_boolean(at(info, "/result/autostart")));
	json_object_put(info);
	ck_assert_int_eq(virsh(&out, "list --all --autostart"), 0);
	ck_assert_msg(strstr(out, "web") && !strstr(out, "db"),
		      "list --autostart: %s", out);
	virsh_says("Autostart:      enable", "dominfo web");
	virsh_says("unmarked as autostarted", "autostart --disable web");
	info = keeld_info("web");
	ck_assert(!json_object_get_boolean(at(info, "/result/autostart")));
	json_object_put(info);

	virsh_says("renamed", "domrename db db2");
	ck_assert_ptr_null(keeld_info("db"));
	info = keeld_info("db2");
	ck_assert_ptr_nonnull(info);
	json_object_put(info);
	virsh_says("has been undefined", "undefine db2");
	ck_assert_ptr_null(keeld_info("db2"));

	/* keeld's refusals, as libvirt's errors with keeld's sentence. */
	ck_assert_int_eq(virsh(&out, "dominfo nosuch"), 1);
	ck_assert_msg(strstr(out, "failed to get domain 'nosuch'"), "%s", out);
	ck_assert_int_eq(virsh(&out, "resume web"), 1);
	ck_assert_msg(strstr(out, "Failed to resume domain 'web'") &&
			      strstr(out, "shutoff"),
		      "resume: %s", out);
	ck_assert_int_eq(virsh(&out, "destroy web"), 1);
	ck_assert_int_eq(virsh(&out, "start --console web"), 1);
	stop_virtd();
}
END_TEST

START_TEST(test_python)
{
	char *argv[] = {
		PYTHON, NULL, uri, NULL,
	};
	struct proc p = { 0 };
	char script[256];

	start_both();
	define("web", 256, 512, 2);
	define("db", 128, 128, 1);
	snprintf(script, sizeof(script), "%s/tests/integration/virtd_client.py",
		 getenv("KEEL_SRCDIR") ? getenv("KEEL_SRCDIR") : "..");
	argv[1] = script;
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	ck_assert_msg(proc_wait(&p, HARNESS_VIRSH_MS) == 0,
		      "virtd_client.py: %s", p.out);
	ck_assert_msg(strstr(p.out, "python3-libvirt: ok"), "%s", p.out);
	proc_dispose(&p);
	stop_virtd();
}
END_TEST

/* --- A client of its own: raw messages, as a hostile peer sends them. */

static int raw_open(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_lt(strlen(path), sizeof(a.sun_path));
	memcpy(a.sun_path, path, strlen(path) + 1);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void raw_send(int fd, uint32_t prog, int proc, int type,
		     uint32_t serial, const void *payload, size_t len)
{
	uint8_t m[28 + 64];

	ck_assert_uint_le(len, 64);
	put32(m, (uint32_t)(28 + len));
	put32(m + 4, prog);
	put32(m + 8, 1);
	put32(m + 12, (uint32_t)proc);
	put32(m + 16, (uint32_t)type);
	put32(m + 20, serial);
	put32(m + 24, 0);
	if (len)
		memcpy(m + 28, payload, len);
	ck_assert_int_eq(write(fd, m, 28 + len), (ssize_t)(28 + len));
}

/* Read exactly @len bytes; false on EOF or after 5 s. */
static bool raw_read(int fd, uint8_t *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (poll(&p, 1, 5000) != 1)
			return false;
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

/* The next message's header words and the first payload word (or -1). */
struct raw_reply {
	uint32_t prog, proc, type, serial, status;
	int32_t word0;
};

static bool raw_recv(int fd, struct raw_reply *r)
{
	uint8_t buf[4096];
	uint32_t len;

	if (!raw_read(fd, buf, 4))
		return false;
	len = get32(buf);
	ck_assert_uint_ge(len, 28);
	ck_assert_uint_le(len, sizeof(buf));
	ck_assert(raw_read(fd, buf + 4, len - 4));
	r->prog = get32(buf + 4);
	r->proc = get32(buf + 12);
	r->type = get32(buf + 16);
	r->serial = get32(buf + 20);
	r->status = get32(buf + 24);
	r->word0 = len >= 32 ? (int32_t)get32(buf + 28) : -1;
	return true;
}

/* An error reply to @serial with libvirt's code @code. */
static void expect_error(int fd, uint32_t serial, int code)
{
	struct raw_reply r;

	ck_assert_msg(raw_recv(fd, &r), "no reply to serial %u", serial);
	ck_assert_uint_eq(r.type, 1);
	ck_assert_uint_eq(r.serial, serial);
	ck_assert_uint_eq(r.status, 1);
	ck_assert_int_eq(r.word0, code);
}

static void expect_closed(int fd)
{
	uint8_t b;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(read(fd, &b, 1), 0);
}

START_TEST(test_hostile)
{
	static const uint8_t open_rw[8] = { 0 }, open_ro[8] = { 0, 0, 0, 0,
								0, 0, 0, 1 };
	uint8_t huge[8] = { 0x7f, 0xff, 0xff, 0xff, 'a', 'b', 'c', 'd' };
	/* {dom {name "web", uuid, id -1}, autostart 1} */
	uint8_t set_autostart[32] = { 0, 0, 0, 3, 'w', 'e', 'b', 0 };
	struct json_object *web;
	const char *uuid;
	int i;
	struct raw_reply r;
	const char *out;
	uint8_t bad[32];
	int fd;

	start_both();
	define("web", 256, 512, 2);
	web = keeld_info("web");
	ck_assert_ptr_nonnull(web);
	uuid = str_at(web, "/result/uuid");
	for (i = 0; i < 16; i++, uuid += 2) {
		if (*uuid == '-')
			uuid++;
		ck_assert(sscanf(uuid, "%2hhx", &set_autostart[8 + i]) == 1);
	}
	json_object_put(web);
	put32(set_autostart + 24, 0xffffffffu);
	put32(set_autostart + 28, 1);

	fd = raw_open(virt_sock);
	/* Before CONNECT_OPEN: refused (VIR_ERR_RPC), connection kept. */
	raw_send(fd, PROG, 273, 0, 1, open_rw, 8);
	expect_error(fd, 1, 39);
	raw_send(fd, PROG, 1, 0, 2, open_rw, 8);
	ck_assert(raw_recv(fd, &r));
	ck_assert_uint_eq(r.status, 0);
	/* An unknown procedure: VIR_ERR_NO_SUPPORT under its serial. */
	raw_send(fd, PROG, 99999, 0, 3, NULL, 0);
	expect_error(fd, 3, 3);
	/* A string past every limit: arguments that do not decode. */
	raw_send(fd, PROG, 23, 0, 4, huge, sizeof(huge));
	expect_error(fd, 4, 39);
	/* Another program: refused, not a crash. */
	raw_send(fd, 0xdeadbeef, 1, 0, 5, NULL, 0);
	expect_error(fd, 5, 39);
	/*
	 * 100 lookups sent at once, more than keel-virtd answers at a
	 * time for one client: it stops reading, goes on when calls are
	 * done, and every one is answered, each under its own serial.
	 */
	{
		static const uint8_t web_name[8] = { 0, 0, 0, 3, 'w', 'e', 'b' };
		bool answered[100] = { false };
		int k;

		for (k = 0; k < 100; k++)
			raw_send(fd, PROG, 23, 0, 1000 + k, web_name, 8);
		for (k = 0; k < 100; k++) {
			ck_assert_msg(raw_recv(fd, &r), "%d answers of 100", k);
			ck_assert_uint_eq(r.status, 0);
			ck_assert_uint_ge(r.serial, 1000);
			ck_assert_uint_lt(r.serial, 1100);
			ck_assert(!answered[r.serial - 1000]);
			answered[r.serial - 1000] = true;
		}
	}
	/* Keepalive: PING answered with PONG on the loop. */
	raw_send(fd, KEEPALIVE, 1, 2, 0, NULL, 0);
	ck_assert(raw_recv(fd, &r));
	ck_assert_uint_eq(r.prog, KEEPALIVE);
	ck_assert_uint_eq(r.proc, 2);
	ck_assert_uint_eq(r.type, 2);
	close(fd);

	/* A length past libvirt's limit, or below a header: closed. */
	fd = raw_open(virt_sock);
	memset(bad, 0xff, sizeof(bad));
	ck_assert_int_eq(write(fd, bad, sizeof(bad)), (ssize_t)sizeof(bad));
	expect_closed(fd);
	close(fd);
	fd = raw_open(virt_sock);
	put32(bad, 8);
	ck_assert_int_eq(write(fd, bad, sizeof(bad)), (ssize_t)sizeof(bad));
	expect_closed(fd);
	close(fd);
	/* Half a message, then gone. */
	fd = raw_open(virt_sock);
	put32(bad, 1000);
	ck_assert_int_eq(write(fd, bad, 12), 12);
	close(fd);

	/*
	 * Read-only opened on the read-write socket: keel-virtd refuses
	 * (virsh -r refuses in the client, so a raw client checks the
	 * server's side). The call names web as libvirt would.
	 */
	fd = raw_open(virt_sock);
	raw_send(fd, PROG, 1, 0, 1, open_ro, 8);
	ck_assert(raw_recv(fd, &r));
	ck_assert_uint_eq(r.status, 0);
	raw_send(fd, PROG, 29, 0, 2, set_autostart, sizeof(set_autostart));
	expect_error(fd, 2, 29);
	close(fd);

	/* Still serving, and nothing changed. */
	virsh_says("Autostart:      disable", "dominfo web");
	ck_assert_int_eq(proc_wait(&virtd, 0), -ETIMEDOUT);

	/* The read-only socket: reading works, changing is denied. */
	ck_assert_int_eq(harness_virsh(uri_ro, &out, "list --all"), 0);
	ck_assert_msg(strstr(out, "web"), "%s", out);
	ck_assert_int_eq(harness_virsh(uri_ro, &out, "autostart web"), 1);
	ck_assert_msg(strstr(out, "read only access prevents"), "%s", out);
	virsh_says("Autostart:      disable", "dominfo web");
	stop_virtd();
}
END_TEST

/*
 * virsh in a session with keepalive every second (-k 1, -K 2: gone after
 * 2 s unanswered) that stays idle for longer than keel-virtd's own
 * keepalive interval: both sides ping, both answer, the session lives.
 */
START_TEST(test_keepalive)
{
	char *argv[] = {
		HARNESS_VIRSH, "-k", "1", "-K", "2", "-c", uri, NULL,
	};
	struct proc p = { 0 };

	start_both();
	define("web", 256, 512, 2);
	ck_assert_int_eq(proc_spawn(&p, argv), 0);
	usleep((VIRT_KEEPALIVE_S + 2) * 1000 * 1000);
	ck_assert_int_eq(proc_send(&p, "list --all\n"), 0);
	ck_assert_msg(proc_expect(&p, "web", 0, HARNESS_VIRSH_MS) > 0,
		      "the idle virsh session: %s", p.out);
	ck_assert_int_eq(proc_send(&p, "quit\n"), 0);
	ck_assert_int_eq(proc_wait(&p, HARNESS_VIRSH_MS), 0);
	ck_assert_msg(!strstr(p.out, "error"), "%s", p.out);
	proc_dispose(&p);
	stop_virtd();
}
END_TEST

/* Write @text to the file @name in the test's directory; its path. */
static const char *xml_file(const char *name, const char *text)
{
	static char path[2][256];
	static int turn;
	char *p = path[turn++ % 2];

	snprintf(p, sizeof(path[0]), "%s/%s", top, name);
	write_file(p, text);
	return p;
}

/*
 * Domain XML (libvirt/domxml.c): define, dumpxml, define again with a
 * change, the refusals, and virt-install as far as this host lets it.
 */
START_TEST(test_xml)
{
	static const char minimal[] =
		"<domain type='kvm'><name>x1</name>"
		"<memory unit='MiB'>128</memory><vcpu>2</vcpu>"
		"<os><type>hvm</type><kernel>/boot/k</kernel></os></domain>";
	struct json_object *info;
	const char *out;
	char *xml, *at_mem, guest[300];

	start_both();
	virsh_says("defined from", "define %s", xml_file("x1.xml", minimal));
	virsh_says("Max memory:     131072 KiB", "dominfo x1");
	virsh_says("CPU(s):         2", "dominfo x1");
	ck_assert_int_eq(virsh(&out, "dumpxml x1"), 0);
	ck_assert_msg(strstr(out, "<name>x1</name>") &&
			      strstr(out, "<memory unit='KiB'>131072</memory>"),
		      "dumpxml: %s", out);
	virsh_says("<name>x1</name>", "dumpxml --inactive x1");

	/* Its own XML, memory doubled, defines it again (same uuid). */
	xml = strdup(out);
	ck_assert_ptr_nonnull(xml);
	while ((at_mem = strstr(xml, "131072")))
		memcpy(at_mem, "262144", 6);
	virsh_says("defined from", "define %s", xml_file("x1b.xml", xml));
	free(xml);
	info = keeld_info("x1");
	ck_assert_int_eq(json_object_get_int(at(info, "/result/memory")), 256);
	json_object_put(info);

	/* Refusals name what is wrong; nothing is defined. */
	ck_assert_int_eq(virsh(&out, "define %s",
			       xml_file("g.xml",
					"<domain type='kvm'><name>g</name>"
					"<os><type>hvm</type><kernel>/k</kernel></os>"
					"<devices><graphics type='vnc'/></devices>"
					"</domain>")),
			 1);
	ck_assert_msg(strstr(out, "<graphics>"), "%s", out);
	ck_assert_ptr_null(keeld_info("g"));
	ck_assert_int_eq(virsh(&out, "define %s",
			       xml_file("bad.xml", "<domain")), 1);
	ck_assert_int_eq(virsh(&out, "define %s",
			       xml_file("x1c.xml",
					"<domain type='kvm'><name>x1</name>"
					"<uuid>11111111-2222-3333-4444-555555555555</uuid>"
					"<os><type>hvm</type><kernel>/k</kernel></os>"
					"</domain>")),
			 1);
	ck_assert_msg(strstr(out, "already exists"), "%s", out);
	/* Read-only: dumpxml yes, define no. */
	ck_assert_int_eq(harness_virsh(uri_ro, &out, "dumpxml x1"), 0);
	ck_assert_int_eq(harness_virsh(uri_ro, &out, "define %s",
				  xml_file("x2.xml", minimal)),
			 1);
	ck_assert_msg(strstr(out, "read only access prevents"), "%s", out);

	/*
	 * virt-install, unchanged: the capabilities, the XML it writes and
	 * the define are accepted ("Starting install..."); the start needs
	 * KVM, and where there is none keeld's refusal is what it reports.
	 */
	if (harness_have_file("/usr/bin/virt-install")) {
		snprintf(guest, sizeof(guest), "kernel=%s",
			 harness_guest("hello"));
		{
			char *argv[] = {
				"/usr/bin/virt-install", "--connect", uri,
				"--import", "--name", "vi", "--memory", "64",
				"--vcpus", "1", "--boot", guest, "--disk",
				"none", "--network", "none", "--graphics",
				"none", "--noautoconsole", "--osinfo",
				"generic", NULL,
			};
			struct proc p = { 0 };
			int rc;

			ck_assert_int_eq(proc_spawn(&p, argv), 0);
			rc = proc_wait(&p, 120000);
			ck_assert_msg(strstr(p.out, "Starting install"),
				      "virt-install: %s", p.out);
			ck_assert_msg(rc == 0 || strstr(p.out, "/dev/kvm"),
				      "virt-install (%d): %s", rc, p.out);
			proc_dispose(&p);
		}
	}
	stop_virtd();
}
END_TEST

/* keeld goes away and comes back: errors meanwhile, then service again. */
START_TEST(test_keeld_restart)
{
	const char *out;

	start_both();
	define("web", 256, 512, 2);
	virsh_says("web", "list --all");
	keeld_stop();
	ck_assert_int_eq(virsh(&out, "list --all"), 1);
	ck_assert_msg(strstr(out, "keeld"), "list without keeld: %s", out);
	keeld_start();
	virsh_says("web", "list --all");
	virsh_says("web", "list --all");
	stop_virtd();
}
END_TEST

START_TEST(test_sigterm)
{
	start_both();
	ck_assert_int_eq(access(virt_sock, F_OK), 0);
	ck_assert_int_eq(access(virt_sock_ro, F_OK), 0);
	kill(virtd.pid, SIGTERM);
	ck_assert_int_eq(proc_wait(&virtd, 10000), 0);
	ck_assert_int_ne(access(virt_sock, F_OK), 0);
	ck_assert_int_ne(access(virt_sock_ro, F_OK), 0);
	stop_virtd();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("virtd");
	TCase *tc = keeld_tcase("virtd", 180);

	if (!harness_have_file(harness_path("daemon/keeld")) ||
	    !harness_have_file(harness_path("libvirt/keel-virtd")))
		runner_skip_reason = "keeld or keel-virtd is not built";
	else if (!harness_have_file(HARNESS_VIRSH) || access(PYTHON, X_OK))
		runner_skip_reason = "virsh or python3 is missing (Debian: libvirt-clients, python3-libvirt)";
	tcase_add_test(tc, test_connection);
	tcase_add_test(tc, test_domains);
	tcase_add_test(tc, test_python);
	tcase_add_test(tc, test_hostile);
	tcase_add_test(tc, test_keepalive);
	tcase_add_test(tc, test_xml);
	tcase_add_test(tc, test_keeld_restart);
	tcase_add_test(tc, test_sigterm);
	suite_add_tcase(s, tc);
	return s;
}
