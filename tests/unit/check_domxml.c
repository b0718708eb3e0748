// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libvirt/domxml.c: libvirt domain XML <-> keel's configuration.
 * The golden files under tests/unit/domxml/: NAME.xml reads as
 * NAME.json, and that configuration is written as NAME.out.xml (or as
 * NAME.xml itself when there is no .out.xml, for a canonical input);
 * every refusal with its code and the element it names; hostile input
 * (not XML, huge, deep, entities, external entities, a wrong root);
 * round trips of every golden configuration and of xl.cfg files read
 * by lib/xlcfg, also through a real keeld (define, the configuration
 * keeld holds written with its live facts, define again: the same);
 * the live facts; the schema itself.
 *
 * KEEL_REGEN_DOMXML=1 rewrites NAME.json and NAME.out.xml from what the
 * code does now: only on purpose, and read the diff.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libxml/relaxng.h>

#include "domxml.h"
#include "jschema.h"
#include "keel.h"
#include "keeld_fixture.h"
#include "runner.h"
#include "xlcfg.h"

static char *src_path(const char *rel)
{
	char *path;

	ck_assert_int_ge(asprintf(&path, "%s/%s", KEEL_SRCDIR, rel), 0);
	return path;
}

static char *schema_dir(void)
{
	return src_path("schemas");
}

/* The whole file at @path, or NULL if there is none; the caller frees. */
static char *read_text(const char *path)
{
	return harness_read_file(path, NULL);
}

/* domxml_parse() with the source tree's schema; must succeed. */
static struct json_object *parsed(const char *xml)
{
	char *dir = schema_dir(), *msg = NULL;
	int code = -1;
	struct json_object *cfg = domxml_parse(xml, dir, &code, &msg);

	ck_assert_msg(cfg, "refused (%d): %s\n%s", code, msg, xml);
	ck_assert_int_eq(code, 0);
	ck_assert_ptr_null(msg);
	free(dir);
	return cfg;
}

/* domxml_parse() must refuse @xml with @code, in words containing @words. */
static void refused(const char *xml, int code, const char *words)
{
	char *dir = schema_dir(), *msg = NULL;
	int got = -1;
	struct json_object *cfg = domxml_parse(xml, dir, &got, &msg);

	ck_assert_msg(!cfg, "accepted: %s\nas %s", xml,
		      cfg ? json_object_to_json_string(cfg) : "");
	ck_assert_msg(msg && strstr(msg, words),
		      "got \"%s\" (%d), want \"%s\" (%d)", msg, got, words,
		      code);
	ck_assert_msg(got == code, "\"%s\": code %d, want %d", msg, got, code);
	free(msg);
	free(dir);
}

static char *formatted(struct json_object *cfg)
{
	char *xml = domxml_format(cfg, NULL, 0);

	ck_assert_ptr_nonnull(xml);
	return xml;
}

/*
 * @cfg without the members that say what keel does anyway (schemas'
 * defaults), so that configurations meaning the same compare equal:
 * rng true, prefault false, a disk's raw format and readonly false,
 * limits of 0, maxmem
 * equal to memory, maxvcpus equal to vcpus, 1 vCPU, cap 0, and the
 * vCPUs at the end of a cpus array that are not pinned ("all").
 */
static struct json_object *normal(struct json_object *cfg)
{
	struct json_object *c = NULL, *v, *arr;

	ck_assert_int_eq(json_object_deep_copy(cfg, &c, NULL), 0);
	if (json_object_object_get_ex(c, "rng", &v) &&
	    json_object_get_boolean(v))
		json_object_object_del(c, "rng");
	if (json_object_object_get_ex(c, "maxmem", &v) &&
	    json_object_object_get_ex(c, "memory", &arr) &&
	    json_object_get_int64(v) == json_object_get_int64(arr))
		json_object_object_del(c, "maxmem");
	if (json_object_object_get_ex(c, "maxvcpus", &v) &&
	    json_object_get_int64(v) ==
		    (json_object_object_get_ex(c, "vcpus", &arr) ?
			     json_object_get_int64(arr) :
			     1))
		json_object_object_del(c, "maxvcpus");
	if (json_object_object_get_ex(c, "vcpus", &v) &&
	    json_object_get_int64(v) == 1 &&
	    !json_object_object_get_ex(c, "maxvcpus", NULL))
		json_object_object_del(c, "vcpus");
	/* vCPUs past the end of cpus are not pinned: a trailing "all" is none */
	if (json_object_object_get_ex(c, "cpus", &arr) &&
	    json_object_is_type(arr, json_type_array)) {
		size_t n = json_object_array_length(arr);

		while (n && !strcmp(json_object_get_string(
					    json_object_array_get_idx(arr, n - 1)),
				    "all"))
			n--;
		json_object_array_del_idx(arr, n,
					  json_object_array_length(arr) - n);
		if (!n)
			json_object_object_del(c, "cpus");
	}
	if (json_object_object_get_ex(c, "cap", &v) &&
	    !json_object_get_int64(v))
		json_object_object_del(c, "cap");
	if (json_object_object_get_ex(c, "prefault", &v) &&
	    !json_object_get_boolean(v))
		json_object_object_del(c, "prefault");
	for (int k = 0; k < 2; k++) {
		if (!json_object_object_get_ex(c, k ? "nics" : "disks", &arr))
			continue;
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *d = json_object_array_get_idx(arr, i);
			struct json_object *io;

			if (json_object_object_get_ex(d, "format", &v) &&
			    !strcmp(json_object_get_string(v), "raw"))
				json_object_object_del(d, "format");
			if (json_object_object_get_ex(d, "readonly", &v) &&
			    !json_object_get_boolean(v))
				json_object_object_del(d, "readonly");
			if (!json_object_object_get_ex(d, "iotune", &io))
				continue;
			/* deleting while walking: collect the zero keys first */
			for (int again = 1; again;) {
				again = 0;
				json_object_object_foreach(io, key, val)
				{
					if (!json_object_get_int64(val)) {
						json_object_object_del(io, key);
						again = 1;
						break;
					}
				}
			}
			if (!json_object_object_length(io))
				json_object_object_del(d, "iotune");
		}
	}
	return c;
}

static void assert_same(struct json_object *want, struct json_object *got,
			const char *what)
{
	struct json_object *w = normal(want), *g = normal(got);

	ck_assert_msg(json_object_equal(w, g), "%s:\nwant %s\ngot  %s", what,
		      json_object_to_json_string(w),
		      json_object_to_json_string(g));
	json_object_put(w);
	json_object_put(g);
}

/* parse(format(@cfg)) is @cfg, and format is stable from there on. */
static void round_trip(struct json_object *cfg, const char *what)
{
	char *xml = formatted(cfg), *xml2;
	struct json_object *back = parsed(xml);

	assert_same(cfg, back, what);
	xml2 = formatted(back);
	ck_assert_msg(!strcmp(xml, xml2), "%s: format is not stable:\n%s\n%s",
		      what, xml, xml2);
	free(xml);
	free(xml2);
	json_object_put(back);
}

/* --- golden files ------------------------------------------------------- */

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static int golden_one(const char *dir, const char *base, bool regen)
{
	char *in_path, *json_path, *out_path, *in, *out, *xml, *xml2;
	struct json_object *cfg, *want, *back;
	int failed = 0;

	ck_assert_int_ge(asprintf(&in_path, "%s/%s.xml", dir, base), 0);
	ck_assert_int_ge(asprintf(&json_path, "%s/%s.json", dir, base), 0);
	ck_assert_int_ge(asprintf(&out_path, "%s/%s.out.xml", dir, base), 0);
	in = read_text(in_path);
	ck_assert_ptr_nonnull(in);
	cfg = parsed(in);
	xml = formatted(cfg);
	if (regen) {
		const char *j = json_object_to_json_string_ext(
			cfg, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
				     JSON_C_TO_STRING_NOSLASHESCAPE);

		harness_write_file(json_path, j, strlen(j));
		if (strcmp(xml, in))
			harness_write_file(out_path, xml, strlen(xml));
		else
			unlink(out_path);
	}
	want = json_object_from_file(json_path);
	ck_assert_msg(want, "%s: no %s", base, json_path);
	if (!json_object_equal(want, cfg)) {
		fprintf(stderr, "%s: reads as\n%s\nnot as %s\n", in_path,
			json_object_to_json_string(cfg), json_path);
		failed = 1;
	}
	out = read_text(out_path);
	if (strcmp(xml, out ? out : in)) {
		fprintf(stderr, "%s: writes as\n%s\nnot as %s\n", in_path, xml,
			out ? out_path : in_path);
		failed = 1;
	}
	/* and the written XML reads back as the same configuration */
	back = parsed(xml);
	if (!json_object_equal(back, cfg)) {
		fprintf(stderr, "%s: its XML reads back as\n%s\n", in_path,
			json_object_to_json_string(back));
		failed = 1;
	}
	xml2 = formatted(back);
	if (strcmp(xml, xml2)) {
		fprintf(stderr, "%s: format is not stable:\n%s\n", in_path, xml2);
		failed = 1;
	}
	free(xml2);
	json_object_put(back);
	json_object_put(want);
	json_object_put(cfg);
	free(xml);
	free(in);
	free(out);
	free(in_path);
	free(json_path);
	free(out_path);
	return failed;
}

START_TEST(test_golden)
{
	char *dir = src_path("tests/unit/domxml");
	const char *regen = getenv("KEEL_REGEN_DOMXML");
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0, failed = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		char *base;

		if (!has_suffix(e->d_name, ".xml") ||
		    has_suffix(e->d_name, ".out.xml"))
			continue;
		base = strndup(e->d_name, strlen(e->d_name) - 4);
		failed += golden_one(dir, base, regen && *regen == '1');
		free(base);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 5);
	ck_assert_msg(!failed, "%d golden file(s) failed; see above", failed);
	free(dir);
}
END_TEST

/* Every golden configuration: parse(format(c)) == c. */
START_TEST(test_golden_json_round_trip)
{
	char *dir = src_path("tests/unit/domxml");
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		struct json_object *cfg;
		char *path;

		if (!has_suffix(e->d_name, ".json"))
			continue;
		ck_assert_int_ge(asprintf(&path, "%s/%s", dir, e->d_name), 0);
		cfg = json_object_from_file(path);
		ck_assert_ptr_nonnull(cfg);
		round_trip(cfg, path);
		json_object_put(cfg);
		free(path);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 5);
	free(dir);
}
END_TEST

/*
 * What the golden XML reads as is a configuration keeld takes: valid by
 * schemas/domain.schema.json, which keeld checks define and create with.
 */
START_TEST(test_golden_json_is_keels)
{
	char *dir = src_path("tests/unit/domxml"), *err = NULL;
	char *schema_path = src_path("schemas/domain.schema.json");
	struct json_object *doc;
	struct jschema *schema;
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_msg(!jschema_load_file(schema_path, &doc, &err), "%s", err);
	ck_assert_msg(!jschema_new(doc, "", &schema, &err), "%s", err);
	json_object_put(doc);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		struct json_object *cfg;
		char *path, *at = NULL, *msg = NULL;

		if (!has_suffix(e->d_name, ".json"))
			continue;
		ck_assert_int_ge(asprintf(&path, "%s/%s", dir, e->d_name), 0);
		cfg = json_object_from_file(path);
		ck_assert_ptr_nonnull(cfg);
		ck_assert_msg(!jschema_validate(schema, cfg, &at, &msg),
			      "%s: %s %s", path, at, msg);
		json_object_put(cfg);
		free(path);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 5);
	jschema_free(schema);
	free(schema_path);
	free(dir);
}
END_TEST

/* --- xl.cfg files: the configuration keel create makes ------------------ */

static struct json_object *from_xl(const char *text)
{
	struct json_object *cfg = NULL;
	char *err = NULL;

	ck_assert_msg(!xlcfg_read_buf(text, strlen(text), "t.cfg", NULL, 0,
				      &cfg, &err, NULL),
		      "%s", err);
	return cfg;
}

/* Every xl.cfg golden file lib/xlcfg reads, through XML and back. */
START_TEST(test_xlcfg_golden_round_trip)
{
	char *dir = src_path("tests/golden/xlcfg");
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		struct json_object *cfg = NULL;
		char *path, *err = NULL;

		if (!has_suffix(e->d_name, ".cfg"))
			continue;
		ck_assert_int_ge(asprintf(&path, "%s/%s", dir, e->d_name), 0);
		ck_assert_msg(!xlcfg_read_file(path, NULL, 0, &cfg, &err, NULL),
			      "%s: %s", path, err);
		round_trip(cfg, path);
		json_object_put(cfg);
		free(path);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 10);
	free(dir);
}
END_TEST

/* What the golden xl files lack: pinning, weight, cap, limits of each kind. */
START_TEST(test_xlcfg_round_trip)
{
	static const char *const files[] = {
		"name = 'pin'\nkernel = '/k'\nvcpus = 4\nmaxvcpus = 6\n"
		"cpus = ['0-3,^1', 'all', 'all,^0', 'all']\ncpu_weight = 512\n"
		"cap = 150\nmemory = 512\nmaxmem = 1024\n",
		"name = 'one-list'\nkernel = '/k'\nvcpus = 2\ncpus = '4-7'\n"
		"cap = 33\ncpu_weight = 1\n",
		"name = 'io'\nkernel = '/k'\nramdisk = '/i'\n"
		"extra = 'console=ttyS0 quiet'\nrng = 1\n"
		"disk = [ 'vdev=vda,access=ro,target=/srv/a b.img,read_iops_sec=7' ]\n"
		"vif = [ 'bridge=br0,rate=1MB/s@20ms,mac=00:16:3e:aa:bb:cc' ]\n"
		"on_crash = 'coredump-restart'\n",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		struct json_object *cfg = from_xl(files[i]);

		round_trip(cfg, files[i]);
		json_object_put(cfg);
	}
}
END_TEST

/* The NIC limits <bandwidth> cannot hold travel in keel's <metadata>. */
START_TEST(test_nic_limits_round_trip)
{
	static const char *const cfgs[] = {
		"{\"name\":\"a\",\"kernel\":\"/k\",\"nics\":[{\"iotune\":"
		"{\"tx_bytes_sec\":2048,\"tx_bytes_burst\":4096,"
		"\"rx_bytes_sec\":1000,\"rx_packets_sec\":10,"
		"\"tx_packets_burst\":5}}]}",
		"{\"name\":\"b\",\"kernel\":\"/k\",\"nics\":[{},{\"iotune\":"
		"{\"rx_bytes_burst\":8192}},{\"rate\":{\"bytes_per_sec\":1,"
		"\"interval_us\":4294967295},\"iotune\":{\"tx_bytes_sec\":"
		"1024}}]}",
	};

	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++) {
		struct json_object *cfg = json_tokener_parse(cfgs[i]);

		ck_assert_ptr_nonnull(cfg);
		round_trip(cfg, cfgs[i]);
		json_object_put(cfg);
	}
}
END_TEST

/* --- the live facts ----------------------------------------------------- */

START_TEST(test_live)
{
	struct json_object *cfg = json_tokener_parse(
		"{\"name\":\"web\",\"uuid\":\"2b9c8f0e-1d7a-4c3e-9f5b-6a7d8e9f0a1b\","
		"\"kernel\":\"/k\",\"memory\":512,\"maxmem\":1024,\"vcpus\":2,"
		"\"maxvcpus\":4}");
	struct keel_domain dom = { .name = "web", .id = 7, .memory_mib = 768,
				   .vcpus = 3 };
	struct json_object *back;
	char *xml;

	xml = domxml_format(cfg, &dom, 0);
	ck_assert_ptr_nonnull(xml);
	ck_assert_msg(strstr(xml, "<domain type='kvm' id='7'>"), "%s", xml);
	ck_assert_msg(strstr(xml, "<currentMemory unit='KiB'>786432<"), "%s",
		      xml);
	ck_assert_msg(strstr(xml, "<memory unit='KiB'>1048576<"), "%s", xml);
	ck_assert_msg(strstr(xml, "current='3'>4</vcpu>"), "%s", xml);
	/* what dumpxml shows of a running domain defines that domain again */
	back = parsed(xml);
	ck_assert_int_eq(json_object_get_int64(
				 json_object_object_get(back, "memory")),
			 768);
	json_object_put(back);
	free(xml);

	xml = domxml_format(cfg, &dom, DOMXML_INACTIVE);
	ck_assert_ptr_nonnull(xml);
	ck_assert_msg(strstr(xml, "<domain type='kvm'>"), "%s", xml);
	ck_assert_msg(strstr(xml, "<currentMemory unit='KiB'>524288<"), "%s",
		      xml);
	free(xml);

	dom.id = -1; /* defined, not running */
	xml = domxml_format(cfg, &dom, 0);
	ck_assert_msg(strstr(xml, "<domain type='kvm'>"), "%s", xml);
	free(xml);
	json_object_put(cfg);
}
END_TEST

/* --- refusals ----------------------------------------------------------- */

#define HEAD "<domain type='kvm'><name>t</name>"
#define OS "<os><type>hvm</type><kernel>/k</kernel></os>"
#define TAIL "</domain>"

static const struct {
	const char *xml;
	int code;
	const char *words;
} refusals[] = {
	/* what keel cannot honour, by name */
	{ "<domain type='xen'><name>t</name>" OS TAIL, DOMXML_ERR_UNSUPPORTED,
	  "<domain type='xen'>" },
	{ "<domain type='qemu'><name>t</name>" OS TAIL,
	  DOMXML_ERR_UNSUPPORTED, "KVM domains only" },
	{ HEAD OS "<devices><graphics type='vnc'/></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<graphics> in <devices>: keel guests have no display" },
	{ HEAD OS "<devices><video/></devices>" TAIL, DOMXML_ERR_UNSUPPORTED,
	  "<video> in <devices>" },
	{ HEAD OS "<devices><input type='tablet' bus='usb'/></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<input> in <devices>" },
	{ HEAD OS "<devices><controller type='pci' model='pcie-root'/>"
	  "</devices>" TAIL, DOMXML_ERR_UNSUPPORTED,
	  "<controller type='pci'>: keel has one PCI bus" },
	{ HEAD OS "<devices><controller type='usb' model='qemu-xhci'/>"
	  "</devices>" TAIL, DOMXML_ERR_UNSUPPORTED,
	  "<controller model='qemu-xhci'>" },
	{ HEAD OS "<devices><controller type='usb' model='none'>"
	  "<master startport='0'/></controller></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<master> in <controller>" },
	{ HEAD OS "<devices><sound model='ich9'/></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<sound> in <devices>" },
	{ HEAD OS "<devices><hostdev/></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<hostdev>" },
	{ HEAD OS "<frobnicate/>" TAIL, DOMXML_ERR_UNSUPPORTED,
	  "<frobnicate> in <domain>" },
	{ HEAD "<description>x</description>" OS TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<description> in <domain>" },
	{ HEAD "<os><type>hvm</type><loader>/x</loader><kernel>/k</kernel></os>"
	  TAIL, DOMXML_ERR_UNSUPPORTED, "<loader> in <os>" },
	{ HEAD "<os><type>linux</type><kernel>/k</kernel></os>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<type>linux</type>" },
	{ HEAD "<os><type arch='aarch64'>hvm</type><kernel>/k</kernel></os>"
	  TAIL, DOMXML_ERR_UNSUPPORTED, "arch='aarch64'" },
	{ HEAD "<os><type>hvm</type></os>" TAIL, DOMXML_ERR_UNSUPPORTED,
	  "without <kernel>" },
	{ HEAD OS "<devices><disk type='file' device='disk'>"
	  "<driver name='qemu' type='qcow2'/><source file='/a'/>"
	  "<target dev='vda'/></disk></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<driver type='qcow2'>" },
	{ HEAD OS "<devices><disk type='file' device='cdrom'>"
	  "<source file='/a'/><target dev='hdc'/></disk></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<disk device='cdrom'>" },
	{ HEAD OS "<devices><disk type='network' device='disk'>"
	  "<source protocol='nbd'/><target dev='vda'/></disk></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<disk type='network'>" },
	{ HEAD OS "<devices><disk type='file'><source file='/a'/>"
	  "<target dev='sda' bus='scsi'/></disk></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<target bus='scsi'>" },
	{ HEAD OS "<devices><disk type='file'><driver name='qemu' cache='none'/>"
	  "<source file='/a'/><target dev='vda'/></disk></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "attribute cache of <driver> (in <disk>)" },
	{ HEAD OS "<devices><disk type='file'><source file='/a'/>"
	  "<target dev='vda'/><iotune><total_bytes_sec_max_length>5"
	  "</total_bytes_sec_max_length></iotune></disk></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<total_bytes_sec_max_length> in <iotune>" },
	{ HEAD OS "<devices><disk type='file'><source file='/a'/>"
	  "<target dev='vda'/><address type='pci'/></disk></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<address> in <disk>" },
	{ HEAD OS "<devices><interface type='network'><source network='default'/>"
	  "</interface></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<interface type='network'>" },
	{ HEAD OS "<devices><interface type='bridge'><model type='e1000'/>"
	  "</interface></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<model type='e1000'>" },
	{ HEAD OS "<devices><interface type='bridge'><bandwidth>"
	  "<inbound average='10' peak='20'/></bandwidth></interface></devices>"
	  TAIL, DOMXML_ERR_UNSUPPORTED, "<inbound peak='20'>" },
	{ HEAD OS "<devices><interface type='bridge'><bandwidth>"
	  "<inbound average='10' floor='20'/></bandwidth></interface></devices>"
	  TAIL, DOMXML_ERR_UNSUPPORTED, "attribute floor of <inbound>" },
	{ HEAD OS "<devices><serial type='tcp'/></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<serial type='tcp'>" },
	{ HEAD OS "<devices><console type='pty'><target type='virtio'/>"
	  "</console></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<target type='virtio'>" },
	{ HEAD OS "<devices><rng model='virtio'><backend model='egd'/></rng>"
	  "</devices>" TAIL, DOMXML_ERR_UNSUPPORTED, "<backend model='egd'>" },
	{ HEAD OS "<devices><rng model='virtio'><backend model='random'>"
	  "/dev/hwrng</backend></rng></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "/dev/hwrng" },
	{ HEAD "<memory>1048576</memory><currentMemory>524288</currentMemory>"
	  OS "<devices><memballoon model='none'/></devices>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<memballoon model='none'>" },
	/* <memoryBacking>: <allocation> only, and not its threads */
	{ HEAD "<memoryBacking><hugepages/></memoryBacking>" OS TAIL,
	  DOMXML_ERR_UNSUPPORTED,
	  "keel does not support <hugepages> in <memoryBacking>: keel backs guest memory with anonymous memory (transparent huge pages where the host gives them), not hugetlbfs" },
	{ HEAD "<memoryBacking><nosharepages/></memoryBacking>" OS TAIL,
	  DOMXML_ERR_UNSUPPORTED,
	  "<nosharepages> in <memoryBacking>: keel-hv never offers guest memory to KSM" },
	{ HEAD "<memoryBacking><locked/></memoryBacking>" OS TAIL,
	  DOMXML_ERR_UNSUPPORTED,
	  "<locked> in <memoryBacking>: keel-hv does not lock guest memory into host RAM" },
	{ HEAD "<memoryBacking><source type='memfd'/></memoryBacking>" OS
	  TAIL, DOMXML_ERR_UNSUPPORTED,
	  "<source> in <memoryBacking>: keel backs guest memory with private anonymous memory only" },
	{ HEAD "<memoryBacking><access mode='shared'/></memoryBacking>" OS
	  TAIL, DOMXML_ERR_UNSUPPORTED,
	  "<access> in <memoryBacking>: keel backs guest memory with private anonymous memory only" },
	{ HEAD "<memoryBacking><discard/></memoryBacking>" OS TAIL,
	  DOMXML_ERR_UNSUPPORTED,
	  "<discard> in <memoryBacking>: keel's guest memory is private anonymous memory" },
	{ HEAD "<memoryBacking><allocation mode='immediate' threads='8'/>"
	  "</memoryBacking>" OS TAIL, DOMXML_ERR_UNSUPPORTED,
	  "<allocation threads='8'>: keel-hv populates guest memory on one thread" },
	{ HEAD "<memoryBacking><allocation mode='eager'/></memoryBacking>" OS
	  TAIL, DOMXML_ERR_UNSUPPORTED, "<allocation mode='eager'>" },
	{ HEAD "<memoryBacking><allocation mode='immediate'/>"
	  "<allocation mode='immediate'/></memoryBacking>" OS TAIL,
	  DOMXML_ERR_XML_DETAIL,
	  "<allocation> is given more than once in <memoryBacking>" },
	{ HEAD "<memoryBacking mode='immediate'/>" OS TAIL,
	  DOMXML_ERR_UNSUPPORTED, "attribute mode of <memoryBacking>" },
	{ HEAD "<memoryBacking>immediate</memoryBacking>" OS TAIL,
	  DOMXML_ERR_XML_DETAIL, "(libvirt-domain.rng)" },
	/* a <source> elsewhere is not memory's */
	{ HEAD OS "<devices><serial type='pty'><source path='/dev/pts/1'/>"
	  "</serial></devices>" TAIL, DOMXML_ERR_UNSUPPORTED,
	  "<source> in <serial>: keel-virtd(8) lists" },
	{ HEAD "<vcpu placement='auto'>2</vcpu>" OS TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<vcpu placement='auto'>" },
	{ HEAD "<cputune><emulatorpin cpuset='1'/></cputune>" OS TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<emulatorpin> in <cputune>" },
	{ HEAD "<cputune><quota>1000</quota><global_quota>1000</global_quota>"
	  "</cputune>" OS TAIL, DOMXML_ERR_UNSUPPORTED,
	  "both <quota> and <global_quota>" },
	{ HEAD "<clock offset='localtime'/>" OS TAIL, DOMXML_ERR_UNSUPPORTED,
	  "<clock offset='localtime'>" },
	{ HEAD "<clock><timer name='hpet' present='yes'/></clock>" OS TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<timer name='hpet' present='yes'>" },
	{ HEAD "<cpu mode='host-model'/>" OS TAIL, DOMXML_ERR_UNSUPPORTED,
	  "<cpu mode='host-model'>" },
	{ HEAD "<cpu mode='host-passthrough'><topology sockets='1'/></cpu>" OS
	  TAIL, DOMXML_ERR_UNSUPPORTED, "<topology> in <cpu>" },
	{ HEAD "<features><hyperv/></features>" OS TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<hyperv> in <features>" },
	{ HEAD "<pm><suspend-to-mem enabled='yes'/></pm>" OS TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<suspend-to-mem enabled='yes'>" },
	{ HEAD "<metadata><app:x xmlns:app='http://example.com/app'/>"
	  "</metadata>" OS TAIL, DOMXML_ERR_UNSUPPORTED,
	  "of namespace http://example.com/app" },
	{ HEAD OS "<on_lockfailure>poweroff</on_lockfailure>" TAIL,
	  DOMXML_ERR_UNSUPPORTED, "<on_lockfailure> in <domain>" },
	{ "<domain type='kvm' xmlns:x='urn:x' x:foo='1'><name>t</name>" OS
	  TAIL, DOMXML_ERR_UNSUPPORTED, "attribute x:foo of <domain>" },
	/* given twice */
	{ HEAD "<name>u</name>" OS TAIL, DOMXML_ERR_XML_DETAIL,
	  "<name> is given more than once in <domain>" },
	{ HEAD OS OS TAIL, DOMXML_ERR_XML_DETAIL,
	  "<os> is given more than once" },
	{ HEAD OS "<devices><disk type='file'><source file='/a'/>"
	  "<source file='/b'/><target dev='vda'/></disk></devices>" TAIL,
	  DOMXML_ERR_XML_DETAIL, "<source> is given more than once in <disk>" },
	{ HEAD OS "<devices><disk type='file'><source file='/a'/>"
	  "<target dev='vda'/></disk><disk type='file'><source file='/b'/>"
	  "<target dev='vda'/></disk></devices>" TAIL,
	  DOMXML_ERR_XML_DETAIL, "Two <disk> elements use target dev vda" },
	{ HEAD OS "<devices><interface type='bridge'>"
	  "<mac address='00:16:3e:00:00:01'/></interface>"
	  "<interface type='bridge'><mac address='00:16:3E:00:00:01'/>"
	  "</interface></devices>" TAIL, DOMXML_ERR_XML_DETAIL,
	  "MAC address 00:16:3e:00:00:01" },
	{ HEAD "<vcpu>2</vcpu><cputune><vcpupin vcpu='1' cpuset='0'/>"
	  "<vcpupin vcpu='1' cpuset='1'/></cputune>" OS TAIL,
	  DOMXML_ERR_XML_DETAIL, "vCPU 1 has two <vcpupin>" },
	/* values the schema or the mapping refuse */
	{ HEAD "<memory unit='KiB'>lots</memory>" OS TAIL,
	  DOMXML_ERR_XML_DETAIL, "<memory> holds 'lots', which is not a whole number" },
	{ HEAD "<memory unit='furlongs'>1</memory>" OS TAIL,
	  DOMXML_ERR_XML_DETAIL, "<memory unit='furlongs'> is not a unit" },
	{ HEAD "<memory unit='TiB'>99999999999</memory>" OS TAIL,
	  DOMXML_ERR_XML_DETAIL, "more memory than any host has" },
	{ HEAD "<memory>1024</memory><currentMemory>2048</currentMemory>" OS
	  TAIL, DOMXML_ERR_XML_DETAIL, "is more than <memory>" },
	{ HEAD "<currentMemory>2048</currentMemory>" OS TAIL,
	  DOMXML_ERR_XML_DETAIL, "without <memory>" },
	{ HEAD "<vcpu current='3'>2</vcpu>" OS TAIL, DOMXML_ERR_XML_DETAIL,
	  "<vcpu current='3'>" },
	{ HEAD "<vcpu>65</vcpu>" OS TAIL, DOMXML_ERR_XML_DETAIL,
	  "1 to 64 vCPUs" },
	{ HEAD "<vcpu cpuset='3-1'>2</vcpu>" OS TAIL, DOMXML_ERR_XML_DETAIL,
	  "In <vcpu cpuset='3-1'>" },
	{ HEAD "<vcpu>2</vcpu><cputune><vcpupin vcpu='2' cpuset='0'/>"
	  "</cputune>" OS TAIL, DOMXML_ERR_XML_DETAIL,
	  "<vcpupin vcpu='2'> names a vCPU the domain does not have" },
	{ HEAD "<cputune><shares>300000</shares></cputune>" OS TAIL,
	  DOMXML_ERR_XML_DETAIL, "<shares> is 300000" },
	{ HEAD "<cputune><period>10</period><quota>5</quota></cputune>" OS
	  TAIL, DOMXML_ERR_XML_DETAIL, "<period> is 10" },
	{ HEAD "<uuid>not-a-uuid</uuid>" OS TAIL, DOMXML_ERR_XML_DETAIL,
	  "<uuid> is not a UUID" },
	{ "<domain type='kvm'><name>bad name</name>" OS TAIL,
	  DOMXML_ERR_XML_DETAIL, "<name>bad name</name> is not a domain name" },
	{ "<domain type='kvm'>" OS TAIL, DOMXML_ERR_XML_DETAIL,
	  "has no <name>" },
	/* what only the grammar checks */
	{ HEAD "<os><kernel>/k</kernel></os>" TAIL, DOMXML_ERR_XML_DETAIL,
	  "<os> on line 1 does not follow keel's schema of domain XML (libvirt-domain.rng)" },
	{ HEAD OS "<devices>text</devices>" TAIL, DOMXML_ERR_XML_DETAIL,
	  "(libvirt-domain.rng)" },
	{ HEAD OS "<devices><disk type='file'><source file='/a'/></disk>"
	  "</devices>" TAIL, DOMXML_ERR_XML_DETAIL, "<target dev=''> of <disk>" },
	{ HEAD OS "<devices><disk type='file'><source file='/a'/>"
	  "<target dev='vda'/><readonly>yes</readonly></disk></devices>" TAIL,
	  DOMXML_ERR_XML_DETAIL, "(libvirt-domain.rng)" },
	{ HEAD "<features><acpi/></features>" "<os><type>hvm</type>"
	  "<kernel>/k</kernel><boot dev='floppy'/></os>" TAIL,
	  DOMXML_ERR_XML_DETAIL, "(libvirt-domain.rng)" },
	{ HEAD "<on_crash>explode</on_crash>" OS TAIL, DOMXML_ERR_XML_DETAIL,
	  "<on_crash>explode</on_crash> is not an action" },
	{ HEAD OS "<devices><disk type='file'><source dev='/a'/>"
	  "<target dev='vda'/></disk></devices>" TAIL,
	  DOMXML_ERR_XML_DETAIL, "<disk type='file'> needs <source file='PATH'/>" },
	{ HEAD OS "<devices><disk type='file'><source file='/a'/>"
	  "<target dev='nvme0'/></disk></devices>" TAIL,
	  DOMXML_ERR_XML_DETAIL, "<target dev='nvme0'> of <disk> is not a disk name" },
	{ HEAD OS "<devices><interface type='bridge'>"
	  "<mac address='01:16:3e:00:00:01'/></interface></devices>" TAIL,
	  DOMXML_ERR_XML_DETAIL, "<mac address='01:16:3e:00:00:01'> is not a unicast" },
	{ HEAD OS "<devices><interface type='bridge'>"
	  "<source bridge='a/b'/></interface></devices>" TAIL,
	  DOMXML_ERR_XML_DETAIL, "<source bridge='a/b'> of <interface>" },
	{ HEAD "<metadata><keel:domain xmlns:keel='urn:keel:domain:1'>"
	  "<keel:nic index='0'/></keel:domain></metadata>" OS TAIL,
	  DOMXML_ERR_XML_DETAIL, "<keel:nic index='0'> names an <interface>" },
	{ HEAD "<metadata><keel:domain xmlns:keel='urn:keel:domain:1'>"
	  "<keel:nic index='0'><keel:iotune tx_bytes_sec='5'/></keel:nic>"
	  "</keel:domain></metadata>" OS "<devices><interface type='bridge'>"
	  "<bandwidth><outbound average='1'/></bandwidth></interface>"
	  "</devices>" TAIL, DOMXML_ERR_XML_DETAIL, "tx_bytes_sec is given twice" },
	/* not a domain, not XML */
	{ "<network><name>default</name></network>", DOMXML_ERR_XML,
	  "is a <network>, not the <domain>" },
	{ "<domain xmlns='urn:x' type='kvm'><name>t</name></domain>",
	  DOMXML_ERR_XML, "not the <domain>" },
	{ "", DOMXML_ERR_XML, "not well-formed" },
	{ "name = 'web'\nkernel = '/k'\n", DOMXML_ERR_XML, "not well-formed" },
	{ HEAD OS, DOMXML_ERR_XML, "not well-formed" },
	{ HEAD "<name>&undefined;</name>" OS TAIL, DOMXML_ERR_XML,
	  "not well-formed" },
	{ HEAD OS TAIL "<domain/>", DOMXML_ERR_XML, "not well-formed" },
};

START_TEST(test_refused)
{
	refused(refusals[_i].xml, refusals[_i].code, refusals[_i].words);
}
END_TEST

/* --- hostile input ------------------------------------------------------ */

START_TEST(test_huge)
{
	size_t n = 2 * 1024 * 1024;
	char *xml = malloc(n + 1);
	const char *head = HEAD "<os><type>hvm</type><kernel>/k</kernel>"
			       "<cmdline>";

	ck_assert_ptr_nonnull(xml);
	memset(xml, 'a', n);
	memcpy(xml, head, strlen(head));
	strcpy(xml + n - 40, "</cmdline></os></domain>");
	xml[n] = '\0';
	refused(xml, DOMXML_ERR_XML, "larger than 1048576 bytes");
	free(xml);
}
END_TEST

/* A refusal quotes at most a little of what it refuses. */
START_TEST(test_long_words)
{
	static const char *const forms[][2] = {
		{ "<domain type='", "'><name>t</name>" OS TAIL },
		{ HEAD OS "<", "/>" TAIL },
		{ "<domain type='kvm' ", "='1'><name>t</name>" OS TAIL },
		{ HEAD "<memory>", "</memory>" OS TAIL },
	};
	char *word = malloc(100001), *xml, *dir = schema_dir(), *msg;
	int code;

	memset(word, 'x', 100000);
	word[100000] = '\0';
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		ck_assert_int_ge(asprintf(&xml, "%s%s%s", forms[i][0], word,
					  forms[i][1]),
				 0);
		msg = NULL;
		ck_assert_ptr_null(domxml_parse(xml, dir, &code, &msg));
		ck_assert_ptr_nonnull(msg);
		ck_assert_msg(strlen(msg) < 1024, "%zu bytes of message",
			      strlen(msg));
		free(msg);
		free(xml);
	}
	free(word);
	free(dir);
}
END_TEST

START_TEST(test_deep)
{
	size_t depth = 100000, i;
	char *xml = malloc(depth * 7 + 200), *p = xml;

	ck_assert_ptr_nonnull(xml);
	p += sprintf(p, "%s", HEAD OS);
	for (i = 0; i < depth; i++)
		p += sprintf(p, "<a>");
	for (i = 0; i < depth; i++)
		p += sprintf(p, "</a>");
	sprintf(p, "%s", TAIL);
	refused(xml, DOMXML_ERR_XML, "not well-formed");
	free(xml);
	/* shallow enough for libxml2: refused at the first unknown level */
	xml = strdup(HEAD OS "<devices><disk type='file'><source file='/a'>"
			     "<a><b><c/></b></a></source><target dev='vda'/>"
			     "</disk></devices>" TAIL);
	refused(xml, DOMXML_ERR_UNSUPPORTED, "<a> in <source>");
	free(xml);
}
END_TEST

START_TEST(test_entities)
{
	/* billion laughs: refused at the DOCTYPE, before any expansion */
	refused("<?xml version='1.0'?>\n"
		"<!DOCTYPE domain [\n"
		" <!ENTITY a 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'>\n"
		" <!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>\n"
		" <!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>\n"
		" <!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'>\n"
		" <!ENTITY e '&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'>\n"
		" <!ENTITY f '&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;'>\n"
		" <!ENTITY g '&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;'>\n"
		"]>\n"
		"<domain type='kvm'><name>t</name>" OS
		"<on_crash>&g;</on_crash></domain>",
		DOMXML_ERR_XML, "has a DOCTYPE");
	/* a DOCTYPE with nothing in it is refused too */
	refused("<!DOCTYPE domain><domain type='kvm'><name>t</name>" OS TAIL,
		DOMXML_ERR_XML, "has a DOCTYPE");
	refused("<!DOCTYPE domain SYSTEM 'http://192.0.2.1/d.dtd'>"
		"<domain type='kvm'><name>t</name>" OS TAIL,
		DOMXML_ERR_XML, "has a DOCTYPE");
}
END_TEST

/* An external entity is never read: its file's words appear nowhere. */
START_TEST(test_external_entity)
{
	char path[] = "/tmp/check_domxml.XXXXXX", *xml, *msg = NULL;
	char *dir = schema_dir();
	struct json_object *cfg;
	int fd = mkstemp(path), code = 0;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "SECRET-WORDS", 12), 12);
	close(fd);
	ck_assert_int_ge(asprintf(&xml,
				  "<!DOCTYPE domain [<!ENTITY x SYSTEM 'file://%s'>]>"
				  "<domain type='kvm'><name>&x;</name>" OS TAIL,
				  path),
			 0);
	cfg = domxml_parse(xml, dir, &code, &msg);
	ck_assert_ptr_null(cfg);
	ck_assert_int_eq(code, DOMXML_ERR_XML);
	ck_assert_msg(!strstr(msg, "SECRET"), "%s", msg);
	ck_assert_msg(strstr(msg, "DOCTYPE"), "%s", msg);
	free(msg);
	free(xml);
	/* and without a DOCTYPE, an entity is only undefined */
	ck_assert_int_ge(asprintf(&xml, "<domain type='kvm'><name>&x;</name>"
					OS TAIL),
			 0);
	refused(xml, DOMXML_ERR_XML, "not well-formed");
	free(xml);
	unlink(path);
	free(dir);
}
END_TEST

/* Bytes that are not text: a NUL ends the document, others are refused. */
START_TEST(test_binary)
{
	static const char junk[] = "<domain type='kvm'>\x01\x02\xff\xfe</domain>";

	refused(junk, DOMXML_ERR_XML, "not well-formed");
	refused(NULL, DOMXML_ERR_XML, "No domain XML");
	refused("<domain type='kvm'><name>t</name>\0" OS TAIL, DOMXML_ERR_XML,
		"not well-formed");
	refused("\xef\xbb\xbf<domain type='kvm'><name>t\xc3</name>" OS TAIL,
		DOMXML_ERR_XML, "not well-formed");
}
END_TEST

/* --- values ------------------------------------------------------------- */

static long long member(struct json_object *o, const char *key)
{
	struct json_object *v;

	ck_assert_msg(json_object_object_get_ex(o, key, &v), "no %s in %s",
		      key, json_object_to_json_string(o));
	return json_object_get_int64(v);
}

/* libvirt's units, rounded up to whole MiB as libvirt's KVM driver does. */
START_TEST(test_units)
{
	static const struct {
		const char *mem;
		long long mib;
	} cases[] = {
		{ "<memory>524288</memory>", 512 },
		{ "<memory unit='KiB'>524288</memory>", 512 },
		{ "<memory unit='k'>524289</memory>", 513 },
		{ "<memory unit='M'>512</memory>", 512 },
		{ "<memory unit='MiB'>512</memory>", 512 },
		{ "<memory unit='MB'>512</memory>", 489 },
		{ "<memory unit='G'>2</memory>", 2048 },
		{ "<memory unit='GB'>1</memory>", 954 },
		{ "<memory unit='b'>1</memory>", 1 },
		{ "<memory unit='bytes'>1048576</memory>", 1 },
		{ "<memory unit='KB'>1000</memory>", 1 },
		{ "<memory unit='TiB'>1</memory>", 1048576 },
		{ "<memory unit='T'>1</memory>", 1048576 },
		{ "<memory unit='TB'>1</memory>", 953675 },
		{ "<memory unit='GiB'> 1 </memory>", 1024 },
	};
	struct json_object *cfg0;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *xml;
		struct json_object *cfg;

		ck_assert_int_ge(asprintf(&xml, HEAD "<metadata/>%s" OS TAIL,
					  cases[i].mem),
				 0);
		cfg = parsed(xml);
		ck_assert_msg(member(cfg, "memory") == cases[i].mib,
			      "%s: %lld MiB, want %lld", cases[i].mem,
			      member(cfg, "memory"), cases[i].mib);
		ck_assert(!json_object_object_get_ex(cfg, "maxmem", NULL));
		json_object_put(cfg);
		free(xml);
	}
	/* 0 is keeld's to refuse, and is written back (fuzz_domxml found it) */
	cfg0 = parsed(HEAD "<memory unit='GiB'>0</memory>" OS TAIL);
	ck_assert_int_eq(member(cfg0, "memory"), 0);
	round_trip(cfg0, "memory 0");
	json_object_put(cfg0);
}
END_TEST

/*
 * <allocation mode='immediate'/> is prefault; libvirt's default
 * (ondemand, no mode, no <allocation>, no <memoryBacking>) none, and
 * only prefault true is written, after <currentMemory>, as libvirt does.
 */
START_TEST(test_prefault)
{
	static const char *const none[] = {
		HEAD OS TAIL,
		HEAD "<memoryBacking/>" OS TAIL,
		HEAD "<memoryBacking><allocation/></memoryBacking>" OS TAIL,
		HEAD "<memoryBacking><allocation mode='ondemand'/>"
		"</memoryBacking>" OS TAIL,
	};
	struct json_object *cfg, *v;
	char *xml;

	cfg = parsed(HEAD "<memory unit='MiB'>256</memory><memoryBacking>"
			  "<allocation mode='immediate'/></memoryBacking>"
			  "<vcpu>2</vcpu>" OS TAIL);
	ck_assert(json_object_object_get_ex(cfg, "prefault", &v));
	ck_assert(json_object_is_type(v, json_type_boolean));
	ck_assert(json_object_get_boolean(v));
	xml = formatted(cfg);
	ck_assert_msg(strstr(xml, "</currentMemory>\n  <memoryBacking>\n"
				  "    <allocation mode='immediate'/>\n"
				  "  </memoryBacking>\n  <vcpu"),
		      "%s", xml);
	free(xml);
	round_trip(cfg, "prefault true");
	json_object_put(cfg);
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		cfg = parsed(none[i]);
		ck_assert_msg(!json_object_object_get_ex(cfg, "prefault", NULL),
			      "%s: %s", none[i],
			      json_object_to_json_string(cfg));
		json_object_put(cfg);
	}
	/* false, as keeld may hold it, writes no <memoryBacking> */
	cfg = json_tokener_parse("{\"name\":\"t\",\"kernel\":\"/k\","
				 "\"memory\":256,\"prefault\":false}");
	ck_assert_ptr_nonnull(cfg);
	xml = formatted(cfg);
	ck_assert_msg(!strstr(xml, "memoryBacking"), "%s", xml);
	free(xml);
	round_trip(cfg, "prefault false");
	json_object_put(cfg);
}
END_TEST

START_TEST(test_cputune)
{
	struct json_object *cfg, *cpus;

	/* shares is weight × 4; per-vCPU quota × online vCPUs is the cap */
	cfg = parsed(HEAD "<vcpu current='2'>4</vcpu><cputune>"
			  "<shares>1024</shares><period>100000</period>"
			  "<quota>50000</quota></cputune>" OS TAIL);
	ck_assert_int_eq(member(cfg, "cpu_weight"), 256);
	ck_assert_int_eq(member(cfg, "cap"), 100);
	ck_assert_int_eq(member(cfg, "vcpus"), 2);
	ck_assert_int_eq(member(cfg, "maxvcpus"), 4);
	json_object_put(cfg);
	/* global: the whole domain's, exactly; a quota alone has the kernel's period */
	cfg = parsed(HEAD "<vcpu>4</vcpu><cputune><global_period>200000"
			  "</global_period><global_quota>300000</global_quota>"
			  "<shares>1023</shares></cputune>" OS TAIL);
	ck_assert_int_eq(member(cfg, "cap"), 150);
	ck_assert_int_eq(member(cfg, "cpu_weight"), 256);
	json_object_put(cfg);
	cfg = parsed(HEAD "<cputune><quota>25000</quota></cputune>" OS TAIL);
	ck_assert_int_eq(member(cfg, "cap"), 25);
	json_object_put(cfg);
	/* -1 is no limit */
	cfg = parsed(HEAD "<cputune><quota>-1</quota><shares>2</shares>"
			  "</cputune>" OS TAIL);
	ck_assert(!json_object_object_get_ex(cfg, "cap", NULL));
	ck_assert_int_eq(member(cfg, "cpu_weight"), 1);
	json_object_put(cfg);
	/* a cpuset for all, vcpupin for some: every vCPU gets its list */
	cfg = parsed(HEAD "<vcpu cpuset='4-7'>3</vcpu><cputune>"
			  "<vcpupin vcpu='1' cpuset='2'/></cputune>" OS TAIL);
	ck_assert(json_object_object_get_ex(cfg, "cpus", &cpus));
	ck_assert_str_eq(json_object_to_json_string_ext(cpus, JSON_C_TO_STRING_PLAIN),
			 "[\"4-7\",\"2\",\"4-7\"]");
	json_object_put(cfg);
	/* vcpupin alone: up to the last pinned vCPU, the others unpinned */
	cfg = parsed(HEAD "<vcpu>4</vcpu><cputune><vcpupin vcpu='2' cpuset='1'/>"
			  "</cputune>" OS TAIL);
	ck_assert(json_object_object_get_ex(cfg, "cpus", &cpus));
	ck_assert_str_eq(json_object_to_json_string_ext(cpus, JSON_C_TO_STRING_PLAIN),
			 "[\"all\",\"all\",\"1\"]");
	json_object_put(cfg);
	/* a vCPU pinned to "all" is not pinned: none at the end of the array */
	cfg = parsed(HEAD "<vcpu cpuset='all' current='2'>3</vcpu><cputune>"
			  "<vcpupin vcpu='1' cpuset='2'/></cputune>" OS TAIL);
	ck_assert(json_object_object_get_ex(cfg, "cpus", &cpus));
	ck_assert_str_eq(json_object_to_json_string_ext(cpus, JSON_C_TO_STRING_PLAIN),
			 "[\"all\",\"2\"]");
	round_trip(cfg, "cpuset all");
	json_object_put(cfg);
	cfg = parsed(HEAD "<vcpu>2</vcpu><cputune><vcpupin vcpu='1' cpuset='all'/>"
			  "</cputune>" OS TAIL);
	ck_assert(!json_object_object_get_ex(cfg, "cpus", NULL));
	json_object_put(cfg);
}
END_TEST

/* Limits of 0 are no limits: nothing of them is kept (fuzz_domxml found it). */
START_TEST(test_zero_limits)
{
	struct json_object *cfg = parsed(
		HEAD OS "<devices><disk type='file'><source file='/a'/>"
		"<target dev='vda'/><iotune><read_iops_sec>00</read_iops_sec>"
		"</iotune></disk><interface type='bridge'><bandwidth>"
		"<outbound average='1' burst='0'/></bandwidth></interface>"
		"</devices>" TAIL);
	struct json_object *disk = json_object_array_get_idx(
		json_object_object_get(cfg, "disks"), 0);
	struct json_object *nic = json_object_array_get_idx(
		json_object_object_get(cfg, "nics"), 0);

	ck_assert(!json_object_object_get_ex(disk, "iotune", NULL));
	ck_assert_int_eq(json_object_object_length(
				 json_object_object_get(nic, "iotune")),
			 1);
	round_trip(cfg, "zero limits");
	json_object_put(cfg);
}
END_TEST

START_TEST(test_bandwidth)
{
	struct json_object *cfg = parsed(
		HEAD OS "<devices><interface type='bridge'><bandwidth>"
		"<inbound average='1000' burst='2048'/>"
		"<outbound average='125' peak='0'/></bandwidth>"
		"</interface></devices>" TAIL);
	struct json_object *nic = json_object_array_get_idx(
		json_object_object_get(cfg, "nics"), 0);
	struct json_object *io = json_object_object_get(nic, "iotune");

	ck_assert_int_eq(member(io, "rx_bytes_sec"), 1024000);
	ck_assert_int_eq(member(io, "rx_bytes_burst"), 2097152);
	ck_assert_int_eq(member(io, "tx_bytes_sec"), 128000);
	ck_assert_int_eq(json_object_object_length(io), 3);
	json_object_put(cfg);
}
END_TEST

/* --- through a real keeld ---------------------------------------------- */

/*
 * What keel-virtd's define and dumpxml do, on keeld itself (shut-off
 * domains need no KVM): @cfg defined, its configuration as keeld holds
 * it (its defaults filled in) written as XML with its live facts, that
 * XML read and defined again in its place: keeld then holds the same
 * configuration, but that the XML says what keeld's defaults gave (the
 * memory and vCPUs that keel_domain_info() reports, the rng), as
 * libvirt's XML always does.
 */
static void through_keeld(struct keel_conn *c, struct json_object *cfg,
			  const char *what)
{
	struct json_object *held = NULL, *again = NULL, *back;
	struct keel_domain dom;
	const char *name;
	char *xml;

	/* keeld refuses CPUs this host lacks; the pins' XML is tested above */
	json_object_object_del(cfg, "cpus");
	ck_assert_msg(!keel_domain_define(c, cfg, NULL), "%s: define: %s",
		      what, keel_last_error(c)->message);
	name = json_object_get_string(json_object_object_get(cfg, "name"));
	ck_assert_msg(!keel_domain_info(c, name, &dom, &held), "%s: info: %s",
		      what, keel_last_error(c)->message);
	ck_assert_int_eq(dom.id, -1);
	xml = domxml_format(held, &dom, 0);
	ck_assert_ptr_nonnull(xml);
	back = parsed(xml);
	ck_assert_msg(!keel_domain_undefine(c, name), "%s: undefine: %s",
		      what, keel_last_error(c)->message);
	ck_assert_msg(!keel_domain_define(c, back, NULL),
		      "%s: define of its dumpxml: %s\n%s", what,
		      keel_last_error(c)->message, xml);
	ck_assert(!keel_domain_config(c, name, &again));
	if (!json_object_object_get_ex(held, "memory", NULL))
		json_object_object_add(held, "memory",
				       json_object_new_int64(dom.memory_mib));
	if (!json_object_object_get_ex(held, "vcpus", NULL))
		json_object_object_add(held, "vcpus",
				       json_object_new_int64(dom.vcpus));
	assert_same(held, again, what);
	ck_assert(!keel_domain_undefine(c, name));
	json_object_put(again);
	json_object_put(back);
	json_object_put(held);
	free(xml);
}

START_TEST(test_keeld_round_trip)
{
	char *dir = src_path("tests/golden/xlcfg"), *err = NULL;
	struct keel_conn *c = NULL;
	DIR *d;
	struct dirent *e;
	int n = 0;

	keeld_start();
	ck_assert_msg(!keel_connect(rw_sock, &c, &err), "%s", err);
	/* the domains keel create makes of xl.cfg files */
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		struct json_object *cfg = NULL;
		char *path;

		if (!has_suffix(e->d_name, ".cfg"))
			continue;
		ck_assert_int_ge(asprintf(&path, "%s/%s", dir, e->d_name), 0);
		ck_assert_msg(!xlcfg_read_file(path, NULL, 0, &cfg, &err, NULL),
			      "%s: %s", path, err);
		through_keeld(c, cfg, path);
		json_object_put(cfg);
		free(path);
		n++;
	}
	closedir(d);
	free(dir);
	/* and those of the golden XML */
	dir = src_path("tests/unit/domxml");
	d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		struct json_object *cfg;
		char *path;

		if (!has_suffix(e->d_name, ".json"))
			continue;
		ck_assert_int_ge(asprintf(&path, "%s/%s", dir, e->d_name), 0);
		cfg = json_object_from_file(path);
		ck_assert_ptr_nonnull(cfg);
		through_keeld(c, cfg, path);
		json_object_put(cfg);
		free(path);
		n++;
	}
	closedir(d);
	free(dir);
	ck_assert_int_ge(n, 15);
	keel_close(c);
	keeld_stop();
}
END_TEST

/* --- threads ----------------------------------------------------------- */

/* keel-virtd's workers parse at once: the schema cache and libxml2. */
static void *parse_many(void *xml)
{
	for (int i = 0; i < 40; i++) {
		struct json_object *cfg = parsed(xml);
		char *out = formatted(cfg);

		ck_assert_ptr_nonnull(strstr(out, "<name>web-01</name>"));
		free(out);
		json_object_put(cfg);
	}
	return NULL;
}

START_TEST(test_threads)
{
	char *path = src_path("tests/unit/domxml/full.xml");
	char *xml = read_text(path);
	pthread_t t[4];

	ck_assert_ptr_nonnull(xml);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, parse_many, xml), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	free(xml);
	free(path);
}
END_TEST

/* --- the schema ---------------------------------------------------------- */


START_TEST(test_schema_loads)
{
	char *path = src_path("schemas/libvirt-domain.rng");
	xmlRelaxNGParserCtxtPtr pc = xmlRelaxNGNewParserCtxt(path);
	xmlRelaxNGPtr rng;

	ck_assert_ptr_nonnull(pc);
	rng = xmlRelaxNGParse(pc);
	ck_assert_msg(rng, "%s does not compile", path);
	xmlRelaxNGFree(rng);
	xmlRelaxNGFreeParserCtxt(pc);
	free(path);
}
END_TEST

/* libvirt's own grammar, from Debian's libvirt0 (.ci/debian-packages). */
#define LIBVIRT_DOMAIN_RNG "/usr/share/libvirt/schemas/domain.rng"

/*
 * What dumpxml gives stock clients is libvirt's domain XML by libvirt's
 * own grammar: every golden configuration, written.
 */
START_TEST(test_libvirt_grammar)
{
	char *dir = src_path("tests/unit/domxml");
	xmlRelaxNGParserCtxtPtr pc;
	xmlRelaxNGPtr rng;
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_msg(access(LIBVIRT_DOMAIN_RNG, R_OK) == 0,
		      "%s is missing; install libvirt0 (.ci/debian-packages)",
		      LIBVIRT_DOMAIN_RNG);
	pc = xmlRelaxNGNewParserCtxt(LIBVIRT_DOMAIN_RNG);
	ck_assert_ptr_nonnull(pc);
	rng = xmlRelaxNGParse(pc);
	ck_assert_ptr_nonnull(rng);
	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d))) {
		struct json_object *cfg;
		xmlRelaxNGValidCtxtPtr vc;
		xmlDocPtr doc;
		char *path, *xml;

		if (!has_suffix(e->d_name, ".json"))
			continue;
		ck_assert_int_ge(asprintf(&path, "%s/%s", dir, e->d_name), 0);
		cfg = json_object_from_file(path);
		ck_assert_ptr_nonnull(cfg);
		xml = formatted(cfg);
		doc = xmlReadMemory(xml, (int)strlen(xml), "dumpxml.xml", NULL,
				    XML_PARSE_NONET);
		ck_assert_ptr_nonnull(doc);
		vc = xmlRelaxNGNewValidCtxt(rng);
		ck_assert_msg(xmlRelaxNGValidateDoc(vc, doc) == 0,
			      "%s, written, is not libvirt's domain XML:\n%s",
			      path, xml);
		xmlRelaxNGFreeValidCtxt(vc);
		xmlFreeDoc(doc);
		json_object_put(cfg);
		free(xml);
		free(path);
		n++;
	}
	closedir(d);
	ck_assert_int_ge(n, 5);
	xmlRelaxNGFree(rng);
	xmlRelaxNGFreeParserCtxt(pc);
	free(dir);
}
END_TEST

/* A missing schema is keel's fault, said so; not the document's. */
START_TEST(test_schema_missing)
{
	char *msg = NULL;
	int code = 0;
	struct json_object *cfg = domxml_parse(HEAD OS TAIL,
					       "/nonexistent/keel/schemas",
					       &code, &msg);

	ck_assert_ptr_null(cfg);
	ck_assert_int_eq(code, DOMXML_ERR_INTERNAL);
	ck_assert_msg(strstr(msg, "/nonexistent/keel/schemas/libvirt-domain.rng"),
		      "%s", msg);
	free(msg);
	/* KEEL_SCHEMA_DIR is what the default (NULL) finds */
	setenv("KEEL_SCHEMA_DIR", "/nonexistent/env/schemas", 1);
	cfg = domxml_parse(HEAD OS TAIL, NULL, &code, &msg);
	ck_assert_ptr_null(cfg);
	ck_assert_msg(strstr(msg, "/nonexistent/env/schemas"), "%s", msg);
	free(msg);
	setenv("KEEL_SCHEMA_DIR", KEEL_SRCDIR "/schemas", 1);
	cfg = domxml_parse(HEAD OS TAIL, NULL, &code, &msg);
	ck_assert_ptr_nonnull(cfg);
	json_object_put(cfg);
	unsetenv("KEEL_SCHEMA_DIR");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("domxml");
	TCase *tc = tcase_create("threads");

	/* first, so that the threads race to compile the schema */
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("read");

	tcase_add_test(tc, test_golden);
	tcase_add_loop_test(tc, test_refused, 0,
			    sizeof(refusals) / sizeof(refusals[0]));
	tcase_add_test(tc, test_units);
	tcase_add_test(tc, test_prefault);
	tcase_add_test(tc, test_cputune);
	tcase_add_test(tc, test_bandwidth);
	tcase_add_test(tc, test_zero_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile");
	tcase_add_test(tc, test_huge);
	tcase_add_test(tc, test_deep);
	tcase_add_test(tc, test_long_words);
	tcase_add_test(tc, test_entities);
	tcase_add_test(tc, test_external_entity);
	tcase_add_test(tc, test_binary);
	suite_add_tcase(s, tc);

	tc = tcase_create("round trip");
	tcase_add_test(tc, test_golden_json_round_trip);
	tcase_add_test(tc, test_golden_json_is_keels);
	tcase_add_test(tc, test_xlcfg_golden_round_trip);
	tcase_add_test(tc, test_xlcfg_round_trip);
	tcase_add_test(tc, test_nic_limits_round_trip);
	tcase_add_test(tc, test_live);
	suite_add_tcase(s, tc);

	tc = keeld_tcase("keeld", 120);
	tcase_add_test(tc, test_keeld_round_trip);
	suite_add_tcase(s, tc);

	tc = tcase_create("schema");
	tcase_add_test(tc, test_schema_loads);
	tcase_add_test(tc, test_libvirt_grammar);
	tcase_add_test(tc, test_schema_missing);
	suite_add_tcase(s, tc);
	return s;
}
