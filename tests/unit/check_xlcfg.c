// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The configuration file reader (lib/xlcfg*.c): xl.cfg syntax, every key,
 * disk and vif specifications, xl's keys that keel ignores (with a
 * warning) or refuses, every error and warning with its key and line,
 * every problem of a file in one run, KEY=VALUE overrides, the JSON
 * spelling, buffers and files, and the golden files under
 * tests/golden/xlcfg/: NAME.cfg must read as NAME.json with exactly the
 * warnings of NAME.warn (none if there is no such file), and
 * refused/NAME.cfg must fail with exactly the lines of refused/NAME.err.
 * keel's limits are the schema's, not the reader's: a value out of
 * range reads as written (check_cli sees it refused).
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "runner.h"
#include "xlcfg.h"

/* The two keys every xl.cfg needs, appended after what a test checks. */
#define BASE "name = \"t\"\nkernel = \"/k\"\n"

static struct json_object *parse_ok(const char *cfg)
{
	struct json_object *o = NULL;
	char *err = NULL;
	int rc;

	rc = xlcfg_parse_buf(cfg, strlen(cfg), "t.cfg", &o, &err);
	ck_assert_msg(rc == 0, "parsing\n%s\nfailed (%d): %s", cfg, rc,
		      err ? err : "(no message)");
	ck_assert_ptr_null(err);
	ck_assert_ptr_nonnull(o);
	return o;
}

/* The error for @cfg starts with @where and contains @what. */
static void parse_err(const char *cfg, const char *where, const char *what)
{
	struct json_object *o = NULL;
	char *err = NULL;
	int rc;

	rc = xlcfg_parse_buf(cfg, strlen(cfg), "t.cfg", &o, &err);
	ck_assert_msg(rc == -EINVAL, "parsing\n%s\nreturned %d, not -EINVAL",
		      cfg, rc);
	ck_assert_ptr_null(o);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(!strncmp(err, where, strlen(where)) &&
			      strstr(err, what),
		      "parsing\n%s\ngave\n  %s\nexpected\n  %s...%s...", cfg,
		      err, where, what);
	/* whole sentences: a capital or a quoted word, a full stop */
	ck_assert_msg(err[strlen(err) - 1] == '.', "no full stop: %s", err);
	free(err);
}

/* --- values that parse --------------------------------------------------- */

static const struct {
	const char *cfg; /* BASE is appended */
	const char *key;
	const char *json; /* NULL: the key is absent */
} good[] = {
	/* syntax */
	{ "memory = 512 # comment\n", "memory", "512" },
	{ "memory = 0x200\n", "memory", "512" },
	{ "memory = 0X200\n", "memory", "512" },
	{ "memory = \"512\"\n", "memory", "512" },
	{ "memory = '0x10'\n", "memory", "16" },
	{ "\n\n   # only a comment\r\nmemory=512;vcpus=2\n", "vcpus", "2" },
	{ "vcpus = 3;\n", "vcpus", "3" },
	{ "cmdline = 'say \"hi\"'\n", "cmdline", "\"say \\\"hi\\\"\"" },
	{ "cmdline = \"a # b ; c = [d]\"\n", "cmdline",
	  "\"a # b ; c = [d]\"" },
	{ "cmdline = \"\"\n", "cmdline", "\"\"" },
	{ "cmdline = 42\n", "cmdline", "\"42\"" },
	{ "cmdline = \"caf\xc3\xa9 \\xe2\\x82\\xac\"\n", "cmdline",
	  "\"caf\\u00e9 \\u20ac\"" },
	{ "disk = [ ]\n", "disks", "[]" },
	{ "vif = [\n\n]\n", "nics", "[]" },
	{ "disk = [ '/a,,xvda' , ]\n", "disks",
	  "[{\"vdev\":\"xvda\",\"path\":\"/a\",\"format\":\"raw\","
	  "\"readonly\":false}]" },
	{ "disk = [ # the root disk\n  '/a,,xvda', # first\n\n"
	  "  '/b,,xvdb'\n  # the end\n]\n",
	  "disks",
	  "[{\"vdev\":\"xvda\",\"path\":\"/a\",\"format\":\"raw\","
	  "\"readonly\":false},{\"vdev\":\"xvdb\",\"path\":\"/b\","
	  "\"format\":\"raw\",\"readonly\":false}]" },
	/* keys */
	{ "uuid = \"2B9C8F0E-1D7A-4C3E-9F5B-6A7D8E9F0A1B\"\n", "uuid",
	  "\"2b9c8f0e-1d7a-4c3e-9f5b-6a7d8e9f0a1b\"" },
	{ "memory = 16\n", "memory", "16" },
	{ "memory = 512\nmaxmem = 512\n", "maxmem", "512" },
	{ "memory = 512\nmaxmem = 1024\n", "maxmem", "1024" },
	{ "maxmem = 64\n", "maxmem", "64" },
	{ "vcpus = 64\n", "vcpus", "64" },
	{ "maxvcpus = 1\n", "maxvcpus", "1" },
	{ "vcpus = 2\nmaxvcpus = 2\n", "maxvcpus", "2" },
	/* cpus: every form of xl's, kept as written (keeld resolves it) */
	{ "cpus = \"2\"\n", "cpus", "\"2\"" },
	{ "cpus = \"0-3,^1\"\n", "cpus", "\"0-3,^1\"" },
	{ "cpus = \"all\"\n", "cpus", "\"all\"" },
	{ "cpus = 'all,^1'\n", "cpus", "\"all,^1\"" },
	{ "cpus = 3\n", "cpus", "\"3\"" },
	{ "vcpus = 2\ncpus = [\"2\", \"3-5\"]\n", "cpus",
	  "[\"2\",\"3-5\"]" },
	/* shorter than vcpus: the rest are not pinned, as in xl */
	{ "vcpus = 4\ncpus = [\"all,^0\"]\n", "cpus", "[\"all,^0\"]" },
	{ "", "cpus", NULL },
	{ "cpu_weight = 512\n", "cpu_weight", "512" },
	{ "cap = 150\n", "cap", "150" },
	{ "cap = 0\n", "cap", "0" },
	{ "vcpus = 1\nmaxvcpus = 4\n", "maxvcpus", "4" },
	/* limits are the schema's: the reader converts what it is given */
	{ "memory = 8\n", "memory", "8" },
	{ "memory = 0x7fffffffffffffff\n", "memory", "9223372036854775807" },
	{ "memory = -512\n", "memory", "-512" },
	{ "vcpus = 65\n", "vcpus", "65" },
	{ "vcpus = 0\nmaxvcpus = 0\n", "maxvcpus", "0" },
	{ "rng = 0\n", "rng", "false" },
	{ "rng = 1\n", "rng", "true" },
	{ "rng = '0'\n", "rng", "false" },
	{ "", "rng", NULL },
	{ "prefault = 1\n", "prefault", "true" },
	{ "prefault = 0\n", "prefault", "false" },
	{ "", "prefault", NULL },
	{ "ramdisk = \"/boot/initrd\"\n", "ramdisk", "\"/boot/initrd\"" },
	{ "", "ramdisk", NULL },
	{ "on_poweroff = \"destroy\"\n", "on_poweroff", "\"destroy\"" },
	{ "on_reboot = \"rename-restart\"\n", "on_reboot",
	  "\"rename-restart\"" },
	{ "on_crash = 'preserve'\n", "on_crash", "\"preserve\"" },
	{ "on_crash = 'restart'\n", "on_crash", "\"restart\"" },
	/* cmdline, root, extra */
	{ "root = \"/dev/xvda1\"\n", "cmdline", "\"root=/dev/xvda1\"" },
	{ "extra = \"quiet\"\n", "cmdline", "\"quiet\"" },
	{ "extra = \"quiet\"\nroot = \"/dev/xvda1 ro\"\n", "cmdline",
	  "\"root=/dev/xvda1 ro quiet\"" },
	{ "cmdline = \"console=ttyS0\"\n", "cmdline", "\"console=ttyS0\"" },
	{ "", "cmdline", NULL },
	{ "root = \"/dev/xvda1\"\n", "root", NULL },
	{ "extra = \"quiet\"\n", "extra", NULL },
	/*
	 * xen-tools' partition images: each a whole disk, from its
	 * partition's disk on, in partition order; root= follows.
	 */
	{ "disk = ['/r,raw,xvda2', '/s,raw,xvda1']\n", "disks",
	  "[{\"vdev\":\"xvda\",\"path\":\"/s\",\"format\":\"raw\","
	  "\"readonly\":false},{\"vdev\":\"xvdb\",\"path\":\"/r\","
	  "\"format\":\"raw\",\"readonly\":false}]" },
	{ "disk = ['/b,raw,xvda1', '/a,raw,xvda']\n", "disks",
	  "[{\"vdev\":\"xvda\",\"path\":\"/a\",\"format\":\"raw\","
	  "\"readonly\":false},{\"vdev\":\"xvdb\",\"path\":\"/b\","
	  "\"format\":\"raw\",\"readonly\":false}]" },
	{ "disk = ['/p,raw,sdb3,r', '/a,raw,sda', '/b,raw,sdb']\n", "disks",
	  "[{\"vdev\":\"sda\",\"path\":\"/a\",\"format\":\"raw\","
	  "\"readonly\":false},{\"vdev\":\"sdb\",\"path\":\"/b\","
	  "\"format\":\"raw\",\"readonly\":false},{\"vdev\":\"sdc\","
	  "\"path\":\"/p\",\"format\":\"raw\",\"readonly\":true}]" },
	{ "root = \"/dev/xvda2 ro\"\nextra = \"quiet\"\n"
	  "disk = ['/r,raw,xvda2', '/s,raw,xvda1']\n", "cmdline",
	  "\"root=/dev/vdb ro quiet\"" },
	{ "cmdline = \"console=hvc0 root=/dev/xvda1\"\n"
	  "disk = ['/r,raw,xvda1', '/s,raw,xvda2']\n", "cmdline",
	  "\"console=hvc0 root=/dev/vda\"" },
	/* a partition the file does not give is not rewritten */
	{ "root = \"/dev/xvda3\"\ndisk = ['/r,raw,xvda2']\n", "cmdline",
	  "\"root=/dev/xvda3\"" },
	/* disks */
	{ "disk = ['/img,raw,xvda,rw']\n", "disks",
	  "[{\"vdev\":\"xvda\",\"path\":\"/img\",\"format\":\"raw\","
	  "\"readonly\":false}]" },
	{ "disk = ['/img, , sda, r']\n", "disks",
	  "[{\"vdev\":\"sda\",\"path\":\"/img\",\"format\":\"raw\","
	  "\"readonly\":true}]" },
	{ "disk = ['/img,raw,vdz,w']\n", "disks",
	  "[{\"vdev\":\"vdz\",\"path\":\"/img\",\"format\":\"raw\","
	  "\"readonly\":false}]" },
	{ "disk = ['/img,raw,xvdaa,']\n", "disks",
	  "[{\"vdev\":\"xvdaa\",\"path\":\"/img\",\"format\":\"raw\","
	  "\"readonly\":false}]" },
	{ "disk = ['phy:/dev/vg/x,xvda,w']\n", "disks",
	  "[{\"vdev\":\"xvda\",\"path\":\"/dev/vg/x\",\"format\":\"raw\","
	  "\"readonly\":false}]" },
	{ "disk = ['aio:/img,hda,ro']\n", "disks",
	  "[{\"vdev\":\"hda\",\"path\":\"/img\",\"format\":\"raw\","
	  "\"readonly\":true}]" },
	{ "disk = ['tap2:aio:/img,xvdb']\n", "disks",
	  "[{\"vdev\":\"xvdb\",\"path\":\"/img\",\"format\":\"raw\","
	  "\"readonly\":false}]" },
	{ "disk = ['raw:/img,xvdb']\n", "disks",
	  "[{\"vdev\":\"xvdb\",\"path\":\"/img\",\"format\":\"raw\","
	  "\"readonly\":false}]" },
	{ "disk = ['vdev=xvdc,access=ro,format=raw,target=/a,b=c']\n", "disks",
	  "[{\"vdev\":\"xvdc\",\"path\":\"/a,b=c\",\"format\":\"raw\","
	  "\"readonly\":true}]" },
	{ "disk = ['devtype=disk,vdev=xvdc,target=/x']\n", "disks",
	  "[{\"vdev\":\"xvdc\",\"path\":\"/x\",\"format\":\"raw\","
	  "\"readonly\":false}]" },
	{ "disk = ['access=r,/x,raw,xvdc']\n", "disks",
	  "[{\"vdev\":\"xvdc\",\"path\":\"/x\",\"format\":\"raw\","
	  "\"readonly\":true}]" },
	/* keel's I/O limits (keel.cfg(5), DISKS) */
	{ "disk = ['/img,raw,xvda,rw,total_bytes_sec=10M,read_iops_sec=200']\n",
	  "disks",
	  "[{\"vdev\":\"xvda\",\"path\":\"/img\",\"format\":\"raw\","
	  "\"readonly\":false,\"iotune\":{\"total_bytes_sec\":10485760,"
	  "\"read_iops_sec\":200}}]" },
	{ "disk = ['write_bytes_sec_max=4K, write_iops_sec_max=0,"
	  "vdev=xvdb,target=/x']\n", "disks",
	  "[{\"vdev\":\"xvdb\",\"path\":\"/x\",\"format\":\"raw\","
	  "\"readonly\":false,\"iotune\":{\"write_bytes_sec_max\":4096,"
	  "\"write_iops_sec_max\":0}}]" },
	{ "disk = ['/a,,xvda,,total_iops_sec=1000000000000000']\n", "disks",
	  "[{\"vdev\":\"xvda\",\"path\":\"/a\",\"format\":\"raw\","
	  "\"readonly\":false,\"iotune\":{\"total_iops_sec\":1000000000000000}}]" },
	{ "disk = ['/a,,xvda', '/a,,xvdb']\n", "disks",
	  "[{\"vdev\":\"xvda\",\"path\":\"/a\",\"format\":\"raw\","
	  "\"readonly\":false},{\"vdev\":\"xvdb\",\"path\":\"/a\","
	  "\"format\":\"raw\",\"readonly\":false}]" },
	/* vifs */
	{ "vif = ['']\n", "nics", "[{}]" },
	{ "vif = [' , ']\n", "nics", "[{}]" },
	{ "vif = ['bridge=br0,']\n", "nics", "[{\"bridge\":\"br0\"}]" },
	{ "vif = ['mac=00:16:3E:Ab:cD:09']\n", "nics",
	  "[{\"mac\":\"00:16:3e:ab:cd:09\"}]" },
	{ "vif = ['vifname=vif-web.0']\n", "nics", "[{\"tap\":\"vif-web.0\"}]" },
	{ "vif = ['bridge=abcdefghijklmno']\n", "nics",
	  "[{\"bridge\":\"abcdefghijklmno\"}]" },
	{ "vif = ['bridge=br0','bridge=br0']\n", "nics",
	  "[{\"bridge\":\"br0\"},{\"bridge\":\"br0\"}]" },
	/* rate: xl-network-configuration(5)'s units and interval */
	{ "vif = ['rate=10Mb/s']\n", "nics",
	  "[{\"rate\":{\"bytes_per_sec\":1250000,\"interval_us\":50000}}]" },
	{ "vif = ['rate=250KB/s']\n", "nics",
	  "[{\"rate\":{\"bytes_per_sec\":250000,\"interval_us\":50000}}]" },
	{ "vif = ['rate=1MB/s@20ms']\n", "nics",
	  "[{\"rate\":{\"bytes_per_sec\":1000000,\"interval_us\":20000}}]" },
	{ "vif = ['rate=1GB/s@250us, bridge=br0']\n", "nics",
	  "[{\"rate\":{\"bytes_per_sec\":1000000000,\"interval_us\":250},"
	  "\"bridge\":\"br0\"}]" },
	{ "vif = ['rate=4294967295Gb/s@1s']\n", "nics",
	  "[{\"rate\":{\"bytes_per_sec\":536870911875000000,"
	  "\"interval_us\":1000000}}]" },
	{ "vif = ['rate=8b/s@4294s']\n", "nics",
	  "[{\"rate\":{\"bytes_per_sec\":1,\"interval_us\":4294000000}}]" },
	{ "vif = ['script=vif-bridge,bridge=br1']\n", "nics",
	  "[{\"bridge\":\"br1\"}]" },
	{ "vif = ['script=/etc/xen/scripts/vif-bridge']\n", "nics", "[{}]" },
	/* xl's rules for a key given twice: the last wins, += appends */
	{ "memory = 64\nmemory = 128\n", "memory", "128" },
	{ "memory += 512\n", "memory", "512" },
	{ "extra = \"quiet\"\nextra += \" loglevel=3\"\n", "cmdline",
	  "\"quiet loglevel=3\"" },
	{ "disk = ['/a,,xvda']\ndisk += [\n'/b,,xvdb' ]\n", "disks",
	  "[{\"vdev\":\"xvda\",\"path\":\"/a\",\"format\":\"raw\","
	  "\"readonly\":false},{\"vdev\":\"xvdb\",\"path\":\"/b\","
	  "\"format\":\"raw\",\"readonly\":false}]" },
	{ "cpus = []\ncpus += [\"1\"]\n", "cpus", "[\"1\"]" },
	/* the domain's type: what boots a kernel directly */
	{ "type = \"pvh\"\n", "type", NULL },
	{ "type = 'pv'\n", "type", NULL },
	{ "builder = \"generic\"\n", "builder", NULL },
	{ "pvh = 1\n", "pvh", NULL },
	/* ignored with a warning; a nested list parses */
	{ "vfb = [ [ \"vnc=1\" ], \"sdl=0\" ]\n", "vfb", NULL },
	{ "on_poweroff = \"coredump-destroy\"\n", "on_poweroff",
	  "\"coredump-destroy\"" },
	{ "on_crash = \"coredump-restart\"\n", "on_crash",
	  "\"coredump-restart\"" },
	/* cmdline wins over root and extra, as in xl */
	{ "cmdline = \"a\"\nextra = \"b\"\nroot = \"/dev/vda\"\n", "cmdline",
	  "\"a\"" },
	/* disks in vdev order, the order the guest sees */
	{ "disk = ['/b,,xvdb', '/a,,xvda']\n", "disks",
	  "[{\"vdev\":\"xvda\",\"path\":\"/a\",\"format\":\"raw\","
	  "\"readonly\":false},{\"vdev\":\"xvdb\",\"path\":\"/b\","
	  "\"format\":\"raw\",\"readonly\":false}]" },
	{ "disk = ['/c,,hdc:cdrom,r']\n", "disks",
	  "[{\"vdev\":\"hdc\",\"path\":\"/c\",\"format\":\"raw\","
	  "\"readonly\":true}]" },
	{ "disk = ['devtype=cdrom,vdev=xvda,target=/c.iso']\n", "disks",
	  "[{\"vdev\":\"xvda\",\"path\":\"/c.iso\",\"format\":\"raw\","
	  "\"readonly\":true}]" },
	{ "disk = ['/a,raw,xvda,rw,no-discard']\n", "disks",
	  "[{\"vdev\":\"xvda\",\"path\":\"/a\",\"format\":\"raw\","
	  "\"readonly\":false}]" },
};

START_TEST(test_good)
{
	struct json_object *o, *want = NULL, *got = NULL;
	char *cfg;

	ck_assert_int_ge(asprintf(&cfg, "%s%s", good[_i].cfg, BASE), 0);
	o = parse_ok(cfg);
	if (good[_i].json) {
		want = json_tokener_parse(good[_i].json);
		ck_assert_msg(want, "bad test JSON %s", good[_i].json);
		ck_assert_msg(json_object_object_get_ex(o, good[_i].key, &got),
			      "'%s' missing from %s", good[_i].key,
			      json_object_to_json_string(o));
		ck_assert_msg(json_object_equal(got, want),
			      "%s\nwant %s: %s\ngot  %s", cfg, good[_i].key,
			      good[_i].json, json_object_to_json_string(got));
	} else {
		ck_assert_msg(!json_object_object_get_ex(o, good[_i].key,
							 NULL),
			      "'%s' should be absent from %s", good[_i].key,
			      json_object_to_json_string(o));
	}
	json_object_put(want);
	json_object_put(o);
	free(cfg);
}
END_TEST

/* --- errors -------------------------------------------------------------- */

static const struct {
	const char *cfg;
	const char *where;
	const char *what;
} bad[] = {
	/* syntax */
	{ BASE "memory\n", "t.cfg:3: ", "Expected '=' after 'memory'" },
	{ BASE "memory 512\n", "t.cfg:3: ", "Expected '=' after 'memory'" },
	{ "name = web\n", "t.cfg:1: ",
	  "The value of 'name' must be quoted, as in name = \"web\"." },
	{ "name =\n\"web\"\n", "t.cfg:1: ", "Expected a value after 'name ='" },
	{ "name = ;\n", "t.cfg:1: ", "Expected a value after 'name ='" },
	{ "name = \"a\" \"b\"\n", "t.cfg:1: ",
	  "Expected a new line or ';' after the value of 'name'" },
	{ "name = \"a\" kernel = \"/k\"\n", "t.cfg:1: ",
	  "Expected a new line or ';' after the value of 'name'" },
	{ "\n= 5\n", "t.cfg:2: ", "Expected a key at the start of a setting" },
	{ "\"name\" = \"a\"\n", "t.cfg:1: ", "Expected a key" },
	{ "name = \"a\"\n\nkernel = \"/k\n\"\n", "t.cfg:3: ",
	  "This quoted string is not closed on the line it starts on; add the closing \"." },
	{ "name = 'abc", "t.cfg:1: ", "add the closing '." },
	{ "name = \"a\\\"", "t.cfg:1: ", "not closed" },
	{ "name = \"a\\q\"\n", "t.cfg:1: ",
	  "'\\q' is not an escape xl.cfg knows" },
	{ "name = \"a\\x4\"\n", "t.cfg:1: ",
	  "'\\x' must be followed by two hex digits" },
	{ "name = \"a\\xg1\"\n", "t.cfg:1: ", "two hex digits" },
	{ "name = \"a\\x00\"\n", "t.cfg:1: ", "NUL and larger values" },
	{ "name = \"a\\0\"\n", "t.cfg:1: ", "NUL and larger values" },
	{ "name = \"a\\777\"\n", "t.cfg:1: ", "NUL and larger values" },
	{ "name = \"a\" @\n", "t.cfg:1: ", "Unexpected character '@'" },
	{ BASE "extra = \"\\xff\"\n", "t.cfg:3: ",
	  "This string is not valid UTF-8" },
	{ BASE "extra = \"\xc3\"\n", "t.cfg:3: ", "not valid UTF-8" },
	{ BASE "extra = \"\\xc0\\x80\"\n", "t.cfg:3: ", "not valid UTF-8" },
	{ BASE "extra = \"\\xed\\xa0\\x80\"\n", "t.cfg:3: ",
	  "not valid UTF-8" },
	{ BASE "extra = \"\\xf4\\x90\\x80\\x80\"\n", "t.cfg:3: ",
	  "not valid UTF-8" },
	{ "name = \"a\"\n\x01\n", "t.cfg:2: ", "Unexpected byte 0x01" },
	{ "memory = 12abc\n", "t.cfg:1: ", "'12abc' is not a number" },
	{ "memory = 0x\n", "t.cfg:1: ", "'0x' is not a number" },
	{ "memory = 1.2.3\n", "t.cfg:1: ", "'1.2.3' is not a number" },
	{ "memory = 0512\n", "t.cfg:1: ",
	  "'0512' starts with 0, which xl reads as octal" },
	{ "memory = -012\n", "t.cfg:1: ", "starts with 0" },
	{ "disk = [ '/a,,xvda'\n", "t.cfg:1: ",
	  "The list for 'disk' is never closed" },
	{ "\ndisk = [ '/a,,xvda',\n\n '/b,,xvdb',\n", "t.cfg:2: ",
	  "never closed" },
	{ "disk = [ '/a,,xvda' '/b,,xvdb' ]\n", "t.cfg:1: ",
	  "Expected ',' or ']' after an item in the list for 'disk'" },
	{ "disk = [ '/a,,xvda'\n ; ]\n", "t.cfg:2: ", "Expected ',' or ']'" },
	{ BASE "disk = [ [ '/a,,xvda' ] ]\n", "t.cfg:3: ",
	  "The items of 'disk' are quoted specifications, not lists." },
	{ "disk = [ , ]\n", "t.cfg:1: ",
	  "Expected a quoted string, a number or a [list] in the list for 'disk'" },
	{ "vnuma = [ [ [ [ [ [ [ [ [ '1' ] ] ] ] ] ] ] ] ]\n", "t.cfg:1: ",
	  "The lists for 'vnuma' nest more than 8 deep" },
	/* += joins like with like, and never digits */
	{ BASE "extra = \"a\"\nextra += [\"b\"]\n", "t.cfg:4: ",
	  "'extra += ...' adds a list to the string set on line 3; += joins lists to lists and strings to strings." },
	{ BASE "memory = 5\nmemory += 1\n", "t.cfg:4: ",
	  "'memory += 1' would join the digits to '5' (line 3) as xl does, not add" },
	{ "disk = [ '/a,,xvda',, ]\n", "t.cfg:1: ", "Expected a quoted" },
	{ "disk = [ xvda ]\n", "t.cfg:1: ", "Expected a quoted" },
	/* keys */
	{ "foo = 1\n" BASE, "t.cfg:1: ", "unknown key 'foo'" },
	{ BASE "Memory = 1\n", "t.cfg:3: ", "unknown key 'Memory'" },
	{ BASE "builder = \"hvm\"\n", "t.cfg:3: ",
	  "builder = \"hvm\" needs firmware boot, not supported" },
	{ "type = \"hvm\"\n" BASE, "t.cfg:1: ",
	  "type = \"hvm\" needs firmware boot, not supported: keel boots a kernel directly" },
	{ "type = \"PVH\"\n" BASE, "t.cfg:1: ",
	  "'type' is \"pvh\" or \"pv\" (both boot 'kernel' directly), not \"PVH\"." },
	{ "type = [\"pvh\"]\n" BASE, "t.cfg:1: ", "not a list." },
	{ "builder = \"linux\"\n" BASE, "t.cfg:1: ",
	  "'builder' is \"generic\" (xl's older spelling of type = \"pv\"), not \"linux\"." },
	{ "pvh = 2\n" BASE, "t.cfg:1: ", "'pvh' is 0 or 1" },
	{ "cpuid = \"host,tm=0\"\n" BASE, "t.cfg:1: ",
	  "'cpuid' is refused: it would change the CPUID the guest sees" },
	{ "vnuma = [ [ \"pnode=0\" ] ]\n" BASE, "t.cfg:1: ",
	  "'vnuma' is refused: keel gives guests no NUMA topology." },
	{ "bootloader = \"pygrub\"\n" BASE, "t.cfg:1: ",
	  "'bootloader' is refused: keel boots the file named by 'kernel' directly" },
	{ "pci = []\n" BASE, "t.cfg:1: ",
	  "'pci' is refused: keel does not pass host devices through to guests." },
	{ "kernel = \"/k\"\n", "t.cfg: ",
	  "No name is set; add a line such as name = \"web\"." },
	{ "", "t.cfg: ", "No name is set" },
	{ "name = \"a\"\n", "t.cfg: ", "No kernel is set" },
	{ "name = [\"a\"]\nkernel = \"/k\"\n", "t.cfg:1: ",
	  "'name' takes a quoted string, not a list." },
	{ "name = \"a\"\nkernel = \"\"\n", "t.cfg:2: ",
	  "'kernel' is empty; give the path of a file." },
	{ BASE "ramdisk = ''\n", "t.cfg:3: ", "'ramdisk' is empty" },
	{ BASE "uuid = \"2b9c8f0e-1d7a-4c3e-9f5b-6a7d8e9f0a1\"\n", "t.cfg:3: ",
	  "'2b9c8f0e-1d7a-4c3e-9f5b-6a7d8e9f0a1' is not a UUID" },
	{ BASE "uuid = \"2b9c8f0e-1d7a-4c3e-9f5b-6a7d8e9f0a1bb\"\n",
	  "t.cfg:3: ", "is not a UUID" },
	{ BASE "uuid = \"2b9c8f0e1d7a4c3e9f5b6a7d8e9f0a1b\"\n", "t.cfg:3: ",
	  "is not a UUID" },
	{ BASE "uuid = \"2b9c8f0e-1d7a-4c3e-9f5b-6a7d8e9f0a1g\"\n",
	  "t.cfg:3: ", "is not a UUID" },
	{ BASE "memory = 99999999999999999999\n", "t.cfg:3: ",
	  "'memory' is 99999999999999999999, a number too large for any setting" },
	{ BASE "memory = -0x8000000000000001\n", "t.cfg:3: ",
	  "a number too large for any setting" },
	{ BASE "memory = 512.5\n", "t.cfg:3: ",
	  "'memory' must be a whole number written in decimal or 0x hex, not '512.5'." },
	{ BASE "memory = \"lots\"\n", "t.cfg:3: ", "must be a whole number" },
	{ BASE "memory = \" 512\"\n", "t.cfg:3: ", "must be a whole number" },
	{ BASE "memory = [512]\n", "t.cfg:3: ",
	  "'memory' takes a number, not a list." },
	{ BASE "memory = 512\n\nmaxmem = 256\n", "t.cfg:5: ",
	  "'maxmem' (256 MiB) is less than 'memory' (512 MiB)" },
	{ BASE "maxmem = 256\nmemory = 512\n", "t.cfg:3: ",
	  "'maxmem' (256 MiB) is less than" },
	{ BASE "maxvcpus = 2\nvcpus = 4\n", "t.cfg:3: ",
	  "'maxvcpus' (2) is less than 'vcpus' (4)" },
	{ BASE "vcpus = 4\nmaxvcpus = 0\n", "t.cfg:4: ",
	  "'maxvcpus' (0) is less than 'vcpus' (4)" },
	{ BASE "rng = 2\n", "t.cfg:3: ", "'rng' is 0 (off) or 1 (on), not 2." },
	{ BASE "rng = \"yes\"\n", "t.cfg:3: ", "not yes." },
	{ BASE "rng = [1]\n", "t.cfg:3: ", "not a list." },
	{ BASE "rng = 0x1\n", "t.cfg:3: ", "not 0x1." },
	{ BASE "prefault = 2\n", "t.cfg:3: ", "'prefault' is 0 (off) or 1 (on), not 2." },
	/* cpus, in the words of lib/cpumap.c */
	{ BASE "cpus = \"nodes:0-3,^node:2\"\n", "t.cfg:3: ",
	  "In 'cpus': \"nodes:0-3\" in the CPU list \"nodes:0-3,^node:2\" names NUMA nodes; keel does not place vCPUs by node, so give host CPU numbers instead." },
	{ BASE "cpus = \"3-1\"\n", "t.cfg:3: ",
	  "In 'cpus': The range 3-1 in the CPU list \"3-1\" runs backwards; write 1-3." },
	{ BASE "cpus = \"1,^1\"\n", "t.cfg:3: ", "leaves no CPU to run on" },
	{ BASE "cpus = \"\"\n", "t.cfg:3: ", "The CPU list is empty" },
	{ BASE "cpus = \"one\"\n", "t.cfg:3: ", "is not a CPU number" },
	{ BASE "cpus = [\"1\", \"x\"]\n", "t.cfg:3: ",
	  "\"x\" in the CPU list \"x\" is not a CPU number" },
	{ BASE "cpus = []\n", "t.cfg:3: ",
	  "'cpus' is an empty list; give one CPU list per vCPU" },
	{ BASE "cpus = [\"1\", \"2\"]\n", "t.cfg:3: ",
	  "'cpus' lists 2 CPU lists, one per vCPU, but the domain has 1 vCPUs; remove the extra ones." },
	/* values keel cannot take: refused with the line */
	{ BASE "cpu_weight = [512]\n", "t.cfg:3: ", "not a list." },
	{ "cap = \"half\"\n" BASE, "t.cfg:1: ", "not 'half'." },
	{ BASE "on_crash = \"soft-reset\"\n", "t.cfg:3: ",
	  "'on_crash' = \"soft-reset\" is refused: it restarts a Xen guest in place" },
	{ BASE "on_crash = \"reboot\"\n", "t.cfg:3: ",
	  "'on_crash' = \"reboot\" is not an action; use destroy, restart, preserve, rename-restart, coredump-destroy or coredump-restart." },
	{ BASE "on_crash = [\"destroy\"]\n", "t.cfg:3: ", "not a list" },
	{ BASE "extra = [\"b\"]\n", "t.cfg:3: ", "'extra' takes a quoted" },
	/* disks */
	{ BASE "disk = '/a,,xvda'\n", "t.cfg:3: ",
	  "'disk' takes a list of quoted specifications, as in disk = [ '...' ]." },
	{ BASE "disk = [ 5 ]\n", "t.cfg:3: ",
	  "The items of 'disk' are quoted specifications, not numbers." },
	{ BASE "disk = [\n  '/a,raw,xvda',\n  '/b,raw,xvda16',\n]\n", "t.cfg:5: ",
	  "In disk '/b,raw,xvda16': vdev 'xvda16' is not a disk name such as xvda, vdb, sda or hdc, nor a partition of one from 1 to 15, such as xvda2." },
	{ BASE "disk = [ '/a,raw,xvda0' ]\n", "t.cfg:3: ", "nor a partition" },
	{ BASE "disk = [ '/a,raw,xvda01' ]\n", "t.cfg:3: ", "nor a partition" },
	{ BASE "disk = [ '/a,raw,xvd1' ]\n", "t.cfg:3: ", "nor a partition" },
	{ BASE "disk = [ '/a,raw,xvda1x' ]\n", "t.cfg:3: ", "nor a partition" },
	{ BASE "disk = [ '/a,raw,xvda1', '/b,raw,xvda1' ]\n", "t.cfg:3: ",
	  "Two disk entries use vdev xvda1; each must have its own." },
	{ BASE "disk = [ '' ]\n", "t.cfg:3: ",
	  "In disk '': there is no target" },
	{ BASE "disk = [ ',raw,xvda' ]\n", "t.cfg:3: ", "there is no target" },
	{ BASE "disk = [ 'vdev=xvda' ]\n", "t.cfg:3: ", "there is no target" },
	{ BASE "disk = [ 'phy:,xvda' ]\n", "t.cfg:3: ", "there is no target" },
	{ BASE "disk = [ '/a' ]\n", "t.cfg:3: ",
	  "In disk '/a': there is no vdev; give the name the guest sees" },
	{ BASE "disk = [ '/a,raw' ]\n", "t.cfg:3: ", "there is no vdev" },
	{ BASE "disk = [ '/a,raw,' ]\n", "t.cfg:3: ", "there is no vdev" },
	{ BASE "disk = [ '/a,qcow2,xvda' ]\n", "t.cfg:3: ",
	  "the qcow2 format is refused: keel's virtio-blk reads raw images only, so a qcow2 image would reach the guest as its container's bytes (convert with qemu-img convert -O raw)." },
	{ BASE "disk = [ 'format=vhd,vdev=xvda,target=/a' ]\n", "t.cfg:3: ",
	  "the vhd format is refused" },
	{ BASE "disk = [ 'qcow2:/a,xvda,w' ]\n", "t.cfg:3: ",
	  "In disk 'qcow2:/a,xvda,w': the qcow2 format is refused" },
	{ BASE "disk = [ 'tap:qcow:/a,xvda,w' ]\n", "t.cfg:3: ",
	  "the qcow format is refused" },
	{ BASE "disk = [ '/a,vmdk,xvda' ]\n", "t.cfg:3: ",
	  "'vmdk' is not a disk format" },
	{ BASE "disk = [ '/a,raw,xvda,read_bytes_sec=1.5M' ]\n", "t.cfg:3: ",
	  "In disk '/a,raw,xvda,read_bytes_sec=1.5M': read_bytes_sec '1.5M' is not a limit; give a whole number from 0 (no limit), in bytes or with K, M or G, such as 10M." },
	{ BASE "disk = [ '/a,raw,xvda,read_iops_sec=5K' ]\n", "t.cfg:3: ",
	  "read_iops_sec '5K' is not a limit; give a whole number from 0 (no limit)." },
	{ BASE "disk = [ '/a,raw,xvda,total_iops_sec=' ]\n", "t.cfg:3: ",
	  "total_iops_sec '' is not a limit" },
	{ BASE "disk = [ '/a,raw,xvda,total_iops_sec=-1' ]\n", "t.cfg:3: ",
	  "total_iops_sec '-1' is not a limit" },
	{ BASE "disk = [ '/a,raw,xvda,total_bytes_sec=1000000000000001' ]\n",
	  "t.cfg:3: ", "total_bytes_sec '1000000000000001' is not a limit" },
	{ BASE "disk = [ '/a,raw,xvda,total_bytes_sec=1048576G' ]\n",
	  "t.cfg:3: ", "total_bytes_sec '1048576G' is not a limit" },
	{ BASE "disk = [ '/a,xvda,total_bytes_sec=1,total_bytes_sec=2' ]\n",
	  "t.cfg:3: ", "'total_bytes_sec' is given twice." },
	{ BASE "disk = [ '/a,xvda,tx_bytes_sec=1' ]\n", "t.cfg:3: ",
	  "'tx_bytes_sec' is not a disk parameter; use target, format, vdev, access, devtype or an I/O limit such as total_bytes_sec." },
	{ BASE "disk = [ '/a,raw,xvda,rx' ]\n", "t.cfg:3: ",
	  "access 'rx' is not valid; use r or ro for read-only" },
	{ BASE "disk = [ '/a,raw,xvda,w!' ]\n", "t.cfg:3: ",
	  "access 'w!' is not valid" },
	{ BASE "disk = [ '/a,raw,xvda,w,x' ]\n", "t.cfg:3: ",
	  "there are more than four positional parameters" },
	{ BASE "disk = [ '/a,raw,hdc:cdrom,w' ]\n", "t.cfg:3: ",
	  "a CD-ROM is read-only; leave access out or make it r." },
	{ BASE "disk = [ ',raw,hdc:cdrom,r' ]\n", "t.cfg:3: ",
	  "an empty CD-ROM drive is refused: keel has no removable media" },
	{ BASE "disk = [ 'devtype=cdrom,vdev=hdc,access=rw,target=/a' ]\n",
	  "t.cfg:3: ", "a CD-ROM is read-only" },
	{ BASE "disk = [ 'devtype=floppy,vdev=hdc,target=/a' ]\n", "t.cfg:3: ",
	  "devtype 'floppy' is not valid; use disk, or cdrom for a read-only image." },
	{ BASE "disk = [ '/a,raw,xvda,w,script=block-iscsi' ]\n", "t.cfg:3: ",
	  "'script' is refused: keel reads disks with its own virtio-blk only" },
	{ BASE "disk = [ '/a,raw,xvda,w,size=5' ]\n", "t.cfg:3: ",
	  "'size' is not a disk parameter; use target, format, vdev, access, devtype or an I/O limit such as total_bytes_sec." },
	/* as in xl, a positional parameter fills the next unset slot */
	{ BASE "disk = [ 'vdev=xvda,/a,raw,xvdb' ]\n", "t.cfg:3: ",
	  "access 'xvdb' is not valid" },
	{ BASE "disk = [ 'vdev=xvda,vdev=xvdb,target=/a' ]\n", "t.cfg:3: ",
	  "'vdev' is given twice" },
	{ BASE "disk = [ '/b,raw,xvdb,w,target=/a' ]\n", "t.cfg:3: ",
	  "'target' is given twice" },
	{ BASE "disk = [ '/a,raw,xvda', '/b,raw,vdc', '/c,raw,xvda' ]\n",
	  "t.cfg:3: ", "Two disk entries use vdev xvda; each must have its own." },
	{ BASE "disk = [ '/a,raw,xvd' ]\n", "t.cfg:3: ",
	  "vdev 'xvd' is not a disk name" },
	{ BASE "disk = [ '/a,raw,xvdabcd' ]\n", "t.cfg:3: ", "not a disk name" },
	{ BASE "disk = [ '/a,raw,nvme0n1' ]\n", "t.cfg:3: ", "not a disk name" },
	{ BASE "disk = [ '/a,raw,XVDA' ]\n", "t.cfg:3: ", "not a disk name" },
	/* vifs */
	{ BASE "vif = 'bridge=br0'\n", "t.cfg:3: ",
	  "'vif' takes a list of quoted specifications" },
	{ BASE "vif = [ 'bridge' ]\n", "t.cfg:3: ",
	  "In vif 'bridge': 'bridge' has no value; vif parameters are written key=value." },
	{ BASE "vif = [ 'script=vif-route' ]\n", "t.cfg:3: ",
	  "script 'vif-route' is refused: keel adds the NIC's tap to a bridge, as vif-bridge does, and runs no other script." },
	{ BASE "vif = [ 'backend=netdom' ]\n", "t.cfg:3: ",
	  "'backend' is refused: keel's own virtio-net is the only backend" },
	{ BASE "vif = [ 'colour=red' ]\n", "t.cfg:3: ",
	  "'colour' is not a vif parameter; use mac, bridge, vifname or rate." },
	{ BASE "vif = [ 'bridge=a,bridge=b' ]\n", "t.cfg:3: ",
	  "'bridge' is given twice" },
	{ BASE "vif = [ 'vifname=a,vifname=b' ]\n", "t.cfg:3: ",
	  "'vifname' is given twice" },
	{ BASE "vif = [ 'mac=00:16:3e:00:00:0' ]\n", "t.cfg:3: ",
	  "'00:16:3e:00:00:0' is not a MAC address; write six hex pairs" },
	{ BASE "vif = [ 'mac=00:16:3e:00:00:001' ]\n", "t.cfg:3: ",
	  "is not a MAC address" },
	{ BASE "vif = [ 'mac=00-16-3e-00-00-01' ]\n", "t.cfg:3: ",
	  "is not a MAC address" },
	{ BASE "vif = [ 'mac=0g:16:3e:00:00:01' ]\n", "t.cfg:3: ",
	  "is not a MAC address" },
	{ BASE "vif = [ 'mac=' ]\n", "t.cfg:3: ", "is not a MAC address" },
	{ BASE "vif = [ 'mac=01:16:3e:00:00:01' ]\n", "t.cfg:3: ",
	  "MAC address 01:16:3e:00:00:01 is a multicast address" },
	{ BASE "vif = [ 'mac=FF:FF:FF:FF:FF:FF' ]\n", "t.cfg:3: ",
	  "MAC address ff:ff:ff:ff:ff:ff is a multicast address" },
	{ BASE "vif = [ 'mac=00:16:3e:00:00:01', 'mac=00:16:3E:00:00:01' ]\n",
	  "t.cfg:3: ",
	  "Two vif entries use mac 00:16:3e:00:00:01; each must have its own." },
	{ BASE "vif = [ 'bridge=abcdefghijklmnop' ]\n", "t.cfg:3: ",
	  "bridge 'abcdefghijklmnop' is not a network interface name" },
	{ BASE "vif = [ 'bridge=' ]\n", "t.cfg:3: ",
	  "bridge '' is not a network interface name" },
	{ BASE "vif = [ 'bridge=a/b' ]\n", "t.cfg:3: ", "not a network interf" },
	{ BASE "vif = [ 'vifname=a:b' ]\n", "t.cfg:3: ",
	  "vifname 'a:b' is not a network interface name" },
	{ BASE "vif = [ 'vifname=..' ]\n", "t.cfg:3: ", "not a network interf" },
	{ BASE "vif = [ 'bridge=br0,rate=10MB' ]\n", "t.cfg:3: ",
	  "In vif 'bridge=br0,rate=10MB': rate '10MB' is not RATE/s[@INTERVAL]; write a whole number from 1 with B (bytes) or b (bits), optionally after K, M or G, as in rate=10Mb/s or rate=1MB/s@20ms." },
	{ BASE "vif = [ 'rate=' ]\n", "t.cfg:3: ", "rate '' is not RATE/s" },
	{ BASE "vif = [ 'rate=10mb/s' ]\n", "t.cfg:3: ", "is not RATE/s" },
	{ BASE "vif = [ 'rate=0MB/s' ]\n", "t.cfg:3: ", "is not RATE/s" },
	{ BASE "vif = [ 'rate=-1MB/s' ]\n", "t.cfg:3: ", "is not RATE/s" },
	{ BASE "vif = [ 'rate=1.5MB/s' ]\n", "t.cfg:3: ", "is not RATE/s" },
	{ BASE "vif = [ 'rate=4294967296B/s' ]\n", "t.cfg:3: ",
	  "is not RATE/s" },
	{ BASE "vif = [ 'rate=10MB/sec' ]\n", "t.cfg:3: ", "is not RATE/s" },
	{ BASE "vif = [ 'rate=7b/s' ]\n", "t.cfg:3: ",
	  "rate '7b/s' is less than one byte per second." },
	{ BASE "vif = [ 'rate=1MB/s@20' ]\n", "t.cfg:3: ",
	  "rate interval '20' is not a time; write a whole number with us, ms or s" },
	{ BASE "vif = [ 'rate=1MB/s@' ]\n", "t.cfg:3: ",
	  "rate interval '' is not a time" },
	{ BASE "vif = [ 'rate=1MB/s@20m' ]\n", "t.cfg:3: ",
	  "rate interval '20m' is not a time" },
	{ BASE "vif = [ 'rate=1MB/s@5000s' ]\n", "t.cfg:3: ",
	  "rate interval '5000s' is not a time" },
	{ BASE "vif = [ 'rate=1MB/s,rate=2MB/s' ]\n", "t.cfg:3: ",
	  "'rate' is given twice" },
};

START_TEST(test_bad)
{
	parse_err(bad[_i].cfg, bad[_i].where, bad[_i].what);
}
END_TEST

/* --- warnings ------------------------------------------------------------ */

static const struct {
	const char *cfg; /* BASE is appended */
	const char *warn; /* the whole warning line */
} warned[] = {
	{ "memory = 64\n\nmemory = 128\n",
	  "t.cfg:3: warning: 'memory' is set again; the value on line 1 is not used (xl uses the last one too)." },
	{ "pool = \"Pool-0\"\n",
	  "t.cfg:1: warning: 'pool' is ignored: keel has no CPU pools; use cpus to pin vCPUs." },
	{ "max_grant_frames = 64\n",
	  "t.cfg:1: warning: 'max_grant_frames' is ignored: it sets up a part of Xen that KVM has no counterpart of." },
	{ "sdl = 1\n",
	  "t.cfg:1: warning: 'sdl' is ignored: keel domains have no graphical console; use keel console." },
	{ "device_model_version = \"qemu-xen\"\n",
	  "t.cfg:1: warning: 'device_model_version' is ignored: it configures Xen's device model (QEMU), and keel has none." },
	{ "usb = 1\n",
	  "t.cfg:1: warning: 'usb' is ignored: it applies to Xen HVM guests, and a keel domain boots like a PVH one." },
	{ "cmdline = \"console=hvc0\"\nextra = \"quiet\"\n",
	  "t.cfg:1: warning: 'cmdline' is used, and 'extra' (line 2) is not, as in xl; put everything the kernel needs in cmdline." },
	{ "root = \"/dev/vda1\"\ncmdline = \"root=/dev/vda1\"\nextra = \"x\"\n",
	  "t.cfg:2: warning: 'cmdline' is used, and 'root' (line 1) and 'extra' (line 3) are not, as in xl; put everything the kernel needs in cmdline." },
	{ "extra = \"ro root=/dev/xvda1 quiet\"\ndisk = ['/r,,xvda']\n",
	  "t.cfg:1: warning: root=/dev/xvda1 will not exist: the guest names its virtio disks /dev/vdX, and this one will be /dev/vda1." },
	{ "root = \"/dev/sdb\"\ndisk = ['/r,,xvda', '/s,,sdb']\n",
	  "t.cfg:1: warning: root=/dev/sdb will not exist: the guest names its virtio disks /dev/vdX, and this one will be /dev/vdb." },
	{ "root = \"/dev/xvdc2 ro\"\n",
	  "t.cfg:1: warning: root=/dev/xvdc2 will not exist: the guest names its virtio disks /dev/vda, /dev/vdb and so on, in vdev order." },
	{ "disk = [\n  '/r,,xvda2',\n  '/s,,xvda1',\n]\n",
	  "t.cfg:2: warning: vdev xvda2 names a partition: keel gives its image to the guest as a whole disk, vdev xvdb, on which the guest finds the filesystem as /dev/vdb; an /etc/fstab in the image that names /dev/xvda2 must name /dev/vdb or use UUID= or LABEL=." },
	{ "root = \"/dev/xvda2 ro\"\ndisk = ['/r,,xvda2', '/s,,xvda1']\n",
	  "t.cfg:1: warning: root=/dev/xvda2 is rewritten to root=/dev/vdb, the disk keel makes of partition xvda2's image." },
	{ "disk = ['/a,,xvda', '/c,,xvdc']\n",
	  "t.cfg:1: warning: vdev xvdc will be the guest's /dev/vdb (its disk 2): a guest names virtio disks in their order, with no gaps, and xvda, sda and hda all come first." },
	{ "disk = ['/a,,xvda,,discard']\n",
	  "t.cfg:1: warning: In disk '/a,,xvda,,discard': 'discard' is ignored: keel's virtio disks do not offer discard." },
	{ "disk = ['/a,,xvda,,direct-io-safe']\n",
	  "t.cfg:1: warning: In disk '/a,,xvda,,direct-io-safe': 'direct-io-safe' is ignored: keel reads and writes disks through the host's page cache." },
	{ "disk = ['/c,,hdc:cdrom']\n",
	  "t.cfg:1: warning: In disk '/c,,hdc:cdrom': the CD-ROM is attached as a read-only virtio disk: the guest sees /dev/vdX, not a CD-ROM drive." },
	{ "vif = ['ip=10.0.0.2']\n",
	  "t.cfg:1: warning: In vif 'ip=10.0.0.2': 'ip' is ignored: Xen's vif-route and vif-nat scripts use it, and keel only adds taps to bridges (vif-bridge)." },
	{ "vif = ['type=ioemu']\n", "'type' is ignored: a keel NIC is always virtio-net" },
	{ "vif = ['model=e1000']\n", "'model' is ignored: it picks an emulated NIC" },
	{ "vif = ['mtu=9000']\n",
	  "t.cfg:1: warning: In vif 'mtu=9000': 'mtu' is ignored: keel's virtio-net does not tell the guest an MTU; set it in the guest and on the bridge." },
};

START_TEST(test_warned)
{
	struct json_object *o = NULL;
	char *cfg, *err = NULL, *warn = NULL;

	ck_assert_int_ge(asprintf(&cfg, "%s%s", warned[_i].cfg, BASE), 0);
	ck_assert_msg(!xlcfg_read_buf(cfg, strlen(cfg), "t.cfg", NULL, 0, &o,
				      &err, &warn),
		      "parsing\n%s\nfailed: %s", cfg, err);
	ck_assert_msg(warn && strstr(warn, warned[_i].warn),
		      "parsing\n%s\nwarned\n  %s\nnot\n  %s", cfg,
		      warn ? warn : "(nothing)", warned[_i].warn);
	json_object_put(o);
	free(warn);
	free(cfg);
}
END_TEST

/* A file that warns about nothing gets NULL, not an empty string. */
START_TEST(test_no_warning)
{
	struct json_object *o = NULL;
	char *err = NULL, *warn = (char *)"unset";

	ck_assert_int_eq(xlcfg_read_buf(BASE "type = 'pvh'\n", strlen(BASE) + 13,
					"t.cfg", NULL, 0, &o, &err, &warn),
			 0);
	ck_assert_ptr_null(warn);
	json_object_put(o);
}
END_TEST

/* Every problem of a file is reported in one run, each with its line. */
START_TEST(test_every_problem)
{
	static const char cfg[] =
		"name = \"t\"\n"
		"memory = 0512\n"		/* 2: syntax */
		"disk = [ '/a,qcow2,xvda',\n"	/* 3: refused format */
		"         '/b,,xvdb,,size=1' ]\n"	/* 4: no such option */
		"vif = [ 'mac=nope' ]\n"		/* 5 */
		"pci = [ '01:00.0' ]\n"		/* 6: refused */
		"name = @\n"			/* 7: syntax */
		"pool = 'x'\n"			/* 8: only a warning */
		"frobnicate = 1\n";		/* 9: unknown */
	static const char *const want[] = {
		"t.cfg:2: '0512' starts with 0",
		"t.cfg:7: Unexpected character '@'",
		"t.cfg:3: In disk '/a,qcow2,xvda': the qcow2 format is refused",
		"t.cfg:4: In disk '/b,,xvdb,,size=1': 'size' is not a disk parameter",
		"t.cfg:5: In vif 'mac=nope': 'nope' is not a MAC address",
		"t.cfg:6: 'pci' is refused",
		"t.cfg:9: unknown key 'frobnicate'",
	};
	struct json_object *o = NULL;
	char *err = NULL, *warn = NULL, *at;
	size_t i;

	ck_assert_int_eq(xlcfg_read_buf(cfg, strlen(cfg), "t.cfg", NULL, 0, &o,
					&err, &warn),
			 -EINVAL);
	ck_assert_ptr_null(o);
	/* in this order: the syntax first, then the keys in file order */
	at = err;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char *line = strstr(at, want[i]);

		ck_assert_msg(line, "'%s' missing (in order) from\n%s", want[i],
			      err);
		at = line + strlen(want[i]);
	}
	/* a line that did not read is not reported as missing */
	ck_assert_ptr_null(strstr(err, "No kernel"));
	ck_assert_ptr_nonnull(strstr(warn, "t.cfg:8: warning: 'pool'"));
	free(err);
	free(warn);
}
END_TEST

/* A file of nothing but mistakes says so without listing them all. */
START_TEST(test_error_cap)
{
	struct json_object *o = NULL;
	char *err = NULL, *cfg = NULL, *last;
	size_t len = 0, lines = 1;
	FILE *f = open_memstream(&cfg, &len);

	for (int i = 0; i < 100; i++)
		fprintf(f, "k%d = bad\n", i);
	fclose(f);
	ck_assert_int_eq(xlcfg_parse_buf(cfg, len, "t.cfg", &o, &err), -EINVAL);
	for (const char *p = err; *p; p++)
		lines += *p == '\n';
	ck_assert_uint_eq(lines, 21);
	last = strrchr(err, '\n') + 1;
	ck_assert_str_eq(last,
			 "t.cfg: There are more problems than these; fix these first.");
	free(err);
	free(cfg);
}
END_TEST

/* xl's `create FILE KEY=VALUE...`: after the file, so they win. */
START_TEST(test_overrides)
{
	char *const over[] = { "memory = 1024", "vcpus=2; name='b'",
			       "extra += ' quiet'" };
	char *const wrong[] = { "memory=1024", "vcpus=web", "a\nb=1" };
	static const char cfg[] = BASE "memory = 512\nextra = 'ro'\n";
	struct json_object *o = NULL, *v;
	char *err = NULL, *warn = NULL;

	ck_assert_int_eq(xlcfg_read_buf(cfg, strlen(cfg), "t.cfg", over, 3,
					&o, &err, &warn),
			 0);
	ck_assert_ptr_null(warn); /* overriding is what they are for */
	ck_assert(json_object_object_get_ex(o, "memory", &v));
	ck_assert_int_eq(json_object_get_int(v), 1024);
	ck_assert(json_object_object_get_ex(o, "vcpus", &v));
	ck_assert_int_eq(json_object_get_int(v), 2);
	ck_assert(json_object_object_get_ex(o, "name", &v));
	ck_assert_str_eq(json_object_get_string(v), "b");
	ck_assert(json_object_object_get_ex(o, "cmdline", &v));
	ck_assert_str_eq(json_object_get_string(v), "ro quiet");
	json_object_put(o);

	/* each bad one is named by its place among the overrides */
	ck_assert_int_eq(xlcfg_read_buf(cfg, strlen(cfg), "t.cfg", wrong, 3, &o,
					&err, &warn),
			 -EINVAL);
	ck_assert_msg(strstr(err, "<command line>:2: The value of 'vcpus' must be quoted") &&
			      strstr(err, "<command line>:3: An override is one KEY=VALUE setting on one line."),
		      "%s", err);
	free(err);

	/* a JSON file is changed as JSON */
	ck_assert_int_eq(xlcfg_read_buf("{\"name\":\"j\"}", 12, "t.json", over,
					1, &o, &err, &warn),
			 -EINVAL);
	ck_assert_str_eq(err, "t.json: KEY=VALUE overrides apply to xl.cfg files, and this one is JSON; change the JSON instead.");
	free(err);
}
END_TEST

START_TEST(test_escapes)
{
	static const char cfg[] =
		"cmdline = \"\\\\ \\' \\\" \\n \\t \\x41\\x6a \\101\\12\\7 "
		"\\a\\b\\f\\r\\v ' #\"\n" BASE;
	struct json_object *o = parse_ok(cfg), *v;

	ck_assert(json_object_object_get_ex(o, "cmdline", &v));
	ck_assert_str_eq(json_object_get_string(v),
			 "\\ ' \" \n \t Aj A\n\a \a\b\f\r\v ' #");
	json_object_put(o);

	o = parse_ok("cmdline = 'it\\'s \"x\" \\x7e'\n" BASE);
	ck_assert(json_object_object_get_ex(o, "cmdline", &v));
	ck_assert_str_eq(json_object_get_string(v), "it's \"x\" ~");
	json_object_put(o);
}
END_TEST

/* The model's members come in one order, whatever the file's order. */
START_TEST(test_canonical_order)
{
	struct json_object *o = parse_ok(
		"vif = ['']\nkernel = '/k'\nmemory = 64\nname = 'n'\n"
		"disk = ['/a,,xvda']\nvcpus = 1\n");
	static const char *const order[] = { "name",  "memory", "vcpus",
					     "kernel", "disks", "nics" };
	size_t i = 0;

	json_object_object_foreach(o, key, val)
	{
		(void)val;
		ck_assert_uint_lt(i, 6);
		ck_assert_str_eq(key, order[i++]);
	}
	ck_assert_uint_eq(i, 6);
	json_object_put(o);
}
END_TEST

/*
 * A name keel would refuse (too long, a leading '-', a space) reads as
 * written: the schema says why it is refused, in keeld's words.
 */
START_TEST(test_name_left_to_schema)
{
	static const char *const names[] = {
		"", "-web", "a b", "a/b",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct json_object *o, *v;
		char *cfg;

		ck_assert_int_ge(asprintf(&cfg, "name = \"%s\"\nkernel = \"/k\"\n",
					  names[i]),
				 0);
		o = parse_ok(cfg);
		ck_assert(json_object_object_get_ex(o, "name", &v));
		ck_assert_str_eq(json_object_get_string(v), names[i]);
		json_object_put(o);
		free(cfg);
	}
}
END_TEST

/* --- JSON, buffers, files ------------------------------------------------ */

static int parse_json(const char *text, struct json_object **o, char **err)
{
	return xlcfg_parse_buf(text, strlen(text), "t.json", o, err);
}

START_TEST(test_json_as_is)
{
	/* returned as is: the daemon, not the reader, checks the schema */
	static const char text[] =
		" \n\t{ \"name\": \"x\", \"memory\": 1, \"whatever\": [1, {}] }\n\n";
	struct json_object *o, *want = json_tokener_parse(text);
	char *err;

	ck_assert_int_eq(parse_json(text, &o, &err), 0);
	ck_assert_ptr_null(err);
	ck_assert(json_object_equal(o, want));
	json_object_put(o);
	json_object_put(want);
}
END_TEST

static void json_err(const char *text, const char *where, const char *what)
{
	struct json_object *o = NULL;
	char *err = NULL;

	ck_assert_int_eq(parse_json(text, &o, &err), -EINVAL);
	ck_assert_ptr_null(o);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(!strncmp(err, where, strlen(where)) && strstr(err, what),
		      "parsing\n%s\ngave\n  %s\nexpected\n  %s...%s...", text,
		      err, where, what);
	free(err);
}

START_TEST(test_json_errors)
{
	json_err("{\n  \"name\": \"x\",\n  \"kernel\": ,\n}\n", "t.json:3: ",
		 "This is not valid JSON: ");
	json_err("{\n  \"name\": 'x'\n}\n", "t.json:2: ", "not valid JSON");
	json_err("{\n  \"name\": \"x\",\n}\n", "t.json:3: ", "not valid JSON");
	json_err("{ \"name\": \"x\",\n  \"kernel\": \"/k\"\n",
		 "t.json:3: ", "The JSON ends before the object is complete.");
	json_err("{ \"name\": \"x\" }\n\n{ }\n", "t.json:3: ",
		 "Unexpected text after the JSON object");
	json_err("{ \"name\": \"x\" } x", "t.json:1: ", "Unexpected text");
	json_err("{\n\"name\": \"\xff\"\n}", "t.json:2: ", "not valid UTF-8");
}
END_TEST

/* What json-c would let through in a JSON file, refused with its line. */
START_TEST(test_json_strict)
{
	struct json_object *o, *v;
	char *err = NULL;

	json_err("{\n  \"name\": \"x\",\n  \"name\": \"y\"\n}\n", "t.json:3: ",
		 "The member \"name\" appears twice in one object.");
	json_err("{ \"name\": \"x\",\n  \"n\\u0061me\": \"y\" }", "t.json:2: ",
		 "The member \"name\" appears twice in one object.");
	json_err("{ \"name\": \"x\", \"disks\": [\n  { \"path\": \"/a\",\n"
		 "    \"path\": \"/b\" } ] }", "t.json:3: ",
		 "The member \"path\" appears twice in one object.");
	json_err("{ \"name\": \"x\",\n  \"kernel\\u0000evil\": \"/k\" }",
		 "t.json:2: ",
		 "A member name contains \\u0000, which keel does not accept.");
	json_err("{ \"name\": \"x\",\n\n  \"kernel\": \"/k\\u0000\" }",
		 "t.json:3: ", "A string contains a NUL character (\\u0000), "
		 "which keel does not accept.");
	json_err("{\n  \"name\": \"\xc0\xaf\"\n}", "t.json:2: ",
		 "This is not valid UTF-8: an overlong encoding; keel's "
		 "configuration is UTF-8 text.");
	json_err("{\n  \"name\": \"\xed\xa0\x80\"\n}", "t.json:2: ",
		 "This is not valid UTF-8: a UTF-16 surrogate (U+D800 to "
		 "U+DFFF) encoded as a character; keel's configuration is "
		 "UTF-8 text.");
	json_err("{\n  \"name\": \"\xf4\x90\x80\x80\"\n}", "t.json:2: ",
		 "This is not valid UTF-8: a code point above U+10FFFF; keel's "
		 "configuration is UTF-8 text.");
	json_err("{ \"name\": \"x\",\n  \"cmdline\": \"\\ud800\" }", "t.json:2: ",
		 "This is not valid JSON: \\ud800 is an unpaired UTF-16 "
		 "surrogate; a high surrogate escape must be followed by a low "
		 "one.");
	json_err("{ \"name\": \"x\",\n  \"memory\": NaN }", "t.json:2: ",
		 "This is not valid JSON: NaN is not a JSON number.");
	json_err("{ \"name\": \"x\",\n  \"memory\": -01 }", "t.json:2: ",
		 "This is not valid JSON: a number with a leading zero.");
	json_err("{ \"name\": \"x\",\n  \"cmdline\": \"a\tb\" }", "t.json:2: ",
		 "This is not valid JSON: the control character U+0009 must be "
		 "escaped in a string (\\u0009).");

	/* what must still pass: escapes, 4-byte UTF-8, one name per level */
	ck_assert_int_eq(parse_json("{ \"name\": \"caf\\u00e9\",\n"
				    "  \"cmdline\": \"\\ud83d\\ude00 "
				    "\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\",\n"
				    "  \"x\": { \"name\": { \"name\": 1 } },\n"
				    "  \"disks\": [ { \"path\": \"/a\" },"
				    " { \"path\": \"/b\" } ] }\n", &o, &err),
			 0);
	ck_assert_ptr_null(err);
	ck_assert(json_object_object_get_ex(o, "name", &v));
	ck_assert_str_eq(json_object_get_string(v), "caf\xc3\xa9");
	ck_assert(json_object_object_get_ex(o, "cmdline", &v));
	ck_assert_str_eq(json_object_get_string(v),
			 "\xf0\x9f\x98\x80 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf");
	json_object_put(o);
}
END_TEST

START_TEST(test_buffer)
{
	/* not NUL-terminated: only the first len bytes count */
	static const char text[] = BASE "memory = 64\nGARBAGE";
	struct json_object *o, *v;
	char *err, *big;
	size_t n = 1024 * 1024 + 1;

	ck_assert_int_eq(xlcfg_parse_buf(text, strlen(text) - 7, "<stdin>",
					 &o, &err),
			 0);
	ck_assert(json_object_object_get_ex(o, "memory", &v));
	ck_assert_int_eq(json_object_get_int64(v), 64);
	json_object_put(o);

	ck_assert_int_eq(xlcfg_parse_buf(text, sizeof(text) - 1, "<stdin>",
					 &o, &err),
			 -EINVAL);
	ck_assert_str_eq(err, "<stdin>:4: Expected '=' after 'GARBAGE'; a "
			      "setting is written KEY = VALUE.");
	free(err);

	ck_assert_int_eq(xlcfg_parse_buf(BASE "\n\nx\0y", sizeof(BASE) + 4,
					 "t.cfg", &o, &err),
			 -EINVAL);
	ck_assert_str_eq(err, "t.cfg:5: The file contains a NUL byte; a "
			      "domain configuration is a text file.");
	free(err);

	big = malloc(n);
	ck_assert_ptr_nonnull(big);
	memset(big, '\n', n);
	ck_assert_int_eq(xlcfg_parse_buf(big, n, "big.cfg", &o, &err),
			 -EINVAL);
	ck_assert_ptr_null(o);
	ck_assert_str_eq(err, "big.cfg: The file is larger than 1 MiB; a "
			      "domain configuration is far smaller, so this "
			      "is probably the wrong file.");
	free(err);
	ck_assert_int_eq(xlcfg_parse_buf(big, n - 1, "big.cfg", &o, &err),
			 -EINVAL);
	ck_assert_str_eq(err, "big.cfg: No name is set; add a line such as "
			      "name = \"web\".\nbig.cfg: No kernel is set; add "
			      "a line such as kernel = \"/boot/vmlinuz\".");
	free(err);
	free(big);
}
END_TEST

static char *write_temp(const char *text)
{
	char *path = strdup("/tmp/check_xlcfg.XXXXXX");
	int fd;

	ck_assert_ptr_nonnull(path);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
	close(fd);
	return path;
}

START_TEST(test_files)
{
	struct json_object *o, *v;
	char *path, *err;

	path = write_temp("name = 'f'\nkernel = '/k'\n");
	ck_assert_int_eq(xlcfg_parse_file(path, &o, &err), 0);
	ck_assert(json_object_object_get_ex(o, "name", &v));
	ck_assert_str_eq(json_object_get_string(v), "f");
	json_object_put(o);
	unlink(path);
	free(path);

	path = write_temp("\n{ \"name\": \"f\" }\n");
	ck_assert_int_eq(xlcfg_parse_file(path, &o, &err), 0);
	ck_assert(json_object_object_get_ex(o, "name", &v));
	json_object_put(o);
	unlink(path);
	free(path);

	path = write_temp("name = 'f'\ncap = 'all'\n");
	ck_assert_int_eq(xlcfg_parse_file(path, &o, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, ":2: 'cap' must be a whole number"));
	ck_assert(!strncmp(err, path, strlen(path)));
	free(err);
	unlink(path);
	free(path);

	ck_assert_int_eq(xlcfg_parse_file("/nonexistent/web.cfg", &o, &err),
			 -ENOENT);
	ck_assert_ptr_null(o);
	ck_assert_str_eq(err, "/nonexistent/web.cfg: Cannot open the file: "
			      "No such file or directory.");
	free(err);

	ck_assert_int_eq(xlcfg_parse_file("/", &o, &err), -EISDIR);
	ck_assert_str_eq(err, "/: Cannot read the file: Is a directory.");
	free(err);
}
END_TEST

START_TEST(test_stdin)
{
	static const char text[] = "name = 'in'; kernel = '/k'\nmemory =";
	struct json_object *o;
	int fds[2], saved;
	char *err;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], text, strlen(text)), (int)strlen(text));
	close(fds[1]);
	saved = dup(STDIN_FILENO);
	ck_assert_int_ge(dup2(fds[0], STDIN_FILENO), 0);
	close(fds[0]);
	ck_assert_int_eq(xlcfg_parse_file("-", &o, &err), -EINVAL);
	dup2(saved, STDIN_FILENO);
	close(saved);
	ck_assert_str_eq(err, "<stdin>:2: Expected a value after 'memory =': "
			      "a quoted string, a number or a [list].");
	free(err);
}
END_TEST

/* --- golden pairs -------------------------------------------------------- */

/* @rel in the source tree; the caller frees. */
static char *src_path(const char *rel)
{
	const char *src = getenv("KEEL_SRCDIR");
	const char *suffix = "tests/unit/check_xlcfg.c";
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

static char *golden_dir(void)
{
	return src_path("tests/golden/xlcfg");
}

/* The whole file at @path, or NULL if there is none; the caller frees. */
static char *read_text(const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return NULL;
	ck_assert_int_eq(getdelim(&buf, &len, '\0', f) < 0 ? 0 : 1, 1);
	fclose(f);
	return buf;
}

/* @text with every "@dir/" taken out, and without a last newline. */
static char *without_dir(const char *text, const char *dir)
{
	char *out = strdup(text ? text : ""), *at, *prefix;
	size_t n;

	ck_assert_ptr_nonnull(out);
	ck_assert_int_ge(asprintf(&prefix, "%s/", dir), 0);
	n = strlen(prefix);
	while ((at = strstr(out, prefix)))
		memmove(at, at + n, strlen(at + n) + 1);
	n = strlen(out);
	if (n && out[n - 1] == '\n')
		out[n - 1] = '\0';
	free(prefix);
	return out;
}

/* @got (the reader's lines) is @want_path's text, or nothing if absent. */
static int golden_lines(const char *dir, const char *got,
			const char *want_path, const char *what)
{
	char *want = read_text(want_path), *g = without_dir(got, dir),
	     *w = without_dir(want, dir);
	int failed = strcmp(g, w) != 0;

	if (failed)
		fprintf(stderr, "%s: the %s are not those of %s.\nexpected:\n%s\ngot:\n%s\n",
			want_path, what, want_path, w, g);
	free(want);
	free(g);
	free(w);
	return failed;
}

/* refused/NAME.cfg fails to read with exactly refused/NAME.err. */
static int golden_refused(const char *dir, const char *base)
{
	struct json_object *got = NULL;
	char *cfg, *want, *err = NULL, *warn = NULL;
	int failed;

	ck_assert_int_ge(asprintf(&cfg, "%s/%s.cfg", dir, base), 0);
	ck_assert_int_ge(asprintf(&want, "%s/%s.err", dir, base), 0);
	if (!xlcfg_read_file(cfg, NULL, 0, &got, &err, &warn)) {
		fprintf(stderr, "%s reads, but should be refused.\n", cfg);
		failed = 1;
	} else {
		failed = golden_lines(dir, err, want, "errors");
	}
	json_object_put(got);
	free(err);
	free(warn);
	free(want);
	free(cfg);
	return failed;
}

static int golden_one(const char *dir, const char *base)
{
	struct json_object *got = NULL, *want = NULL, *again = NULL;
	char *cfg, *json, *warns, *err = NULL, *warn = NULL;
	int failed = 0;

	ck_assert_int_ge(asprintf(&cfg, "%s/%s.cfg", dir, base), 0);
	ck_assert_int_ge(asprintf(&json, "%s/%s.json", dir, base), 0);
	ck_assert_int_ge(asprintf(&warns, "%s/%s.warn", dir, base), 0);
	want = json_object_from_file(json);
	if (!want) {
		fprintf(stderr, "%s: missing or not JSON\n", json);
		failed = 1;
	} else if (xlcfg_read_file(cfg, NULL, 0, &got, &err, &warn)) {
		fprintf(stderr, "%s: %s\n", cfg, err ? err : "out of memory");
		failed = 1;
	} else if (!json_object_equal(got, want)) {
		fprintf(stderr, "%s does not read as %s.\nexpected:\n%s\n",
			cfg, json,
			json_object_to_json_string_ext(
				want, JSON_C_TO_STRING_PRETTY |
					   JSON_C_TO_STRING_NOSLASHESCAPE));
		fprintf(stderr, "got:\n%s\n",
			json_object_to_json_string_ext(
				got, JSON_C_TO_STRING_PRETTY |
					   JSON_C_TO_STRING_NOSLASHESCAPE));
		failed = 1;
	} else if (xlcfg_parse_file(json, &again, &err) ||
		   !json_object_equal(again, want)) {
		/* the JSON spelling of the same domain reads back the same */
		fprintf(stderr, "%s does not read back as itself: %s\n", json,
			err ? err : "different");
		failed = 1;
	} else {
		failed = golden_lines(dir, warn, warns, "warnings");
	}
	free(warn);
	free(warns);
	free(err);
	json_object_put(again);
	json_object_put(got);
	json_object_put(want);
	free(json);
	free(cfg);
	return failed;
}

START_TEST(test_golden)
{
	char *dir = golden_dir(), *refused;
	struct dirent **names;
	int n, i, pairs = 0, nrefused = 0, failed = 0;

	n = scandir(dir, &names, NULL, alphasort);
	ck_assert_msg(n >= 0, "%s: %s", dir, strerror(errno));
	for (i = 0; i < n; i++) {
		char *name = names[i]->d_name;
		size_t len = strlen(name);

		if (len > 4 && !strcmp(name + len - 4, ".cfg")) {
			name[len - 4] = '\0';
			failed += golden_one(dir, name);
			pairs++;
		} else if (len > 5 && !strcmp(name + len - 5, ".json")) {
			char *cfg;

			ck_assert_int_ge(asprintf(&cfg, "%s/%.*s.cfg", dir,
						  (int)len - 5, name),
					 0);
			if (access(cfg, F_OK)) {
				fprintf(stderr, "%s/%s has no .cfg\n", dir,
					name);
				failed++;
			}
			free(cfg);
		}
		free(names[i]);
	}
	free(names);
	/* what must be refused, and in which words */
	ck_assert_int_ge(asprintf(&refused, "%s/refused", dir), 0);
	n = scandir(refused, &names, NULL, alphasort);
	ck_assert_msg(n >= 0, "%s: %s", refused, strerror(errno));
	for (i = 0; i < n; i++) {
		char *name = names[i]->d_name;
		size_t len = strlen(name);

		if (len > 4 && !strcmp(name + len - 4, ".cfg")) {
			name[len - 4] = '\0';
			failed += golden_refused(refused, name);
			nrefused++;
		}
		free(names[i]);
	}
	free(names);
	free(refused);
	free(dir);
	ck_assert_int_ge(pairs, 4);
	ck_assert_int_ge(nrefused, 1);
	ck_assert_msg(!failed, "%d golden file(s) failed; see above", failed);
}
END_TEST

/* --- keel.cfg(5)'s XL KEYS table is what the reader does ----------------- */

/*
 * Check one key of the table's row of @cls ("ignored" or "refused"):
 * "KEY = 1" must warn or fail in those words. Returns 1 if it does not.
 */
static int xl_key_behaves(const char *key, const char *cls)
{
	struct json_object *o = NULL;
	char *cfg, *err = NULL, *warn = NULL, *want;
	int rc, failed;

	ck_assert_int_ge(asprintf(&cfg, BASE "%s = 1\n", key), 0);
	ck_assert_int_ge(asprintf(&want, "t.cfg:3: %s'%s' is %s: ",
				  *cls == 'i' ? "warning: " : "", key, cls),
			 0);
	rc = xlcfg_read_buf(cfg, strlen(cfg), "t.cfg", NULL, 0, &o, &err,
			    &warn);
	failed = *cls == 'i' ? rc || !warn || !strstr(warn, want) :
			       rc != -EINVAL || !strstr(err, want);
	if (failed)
		fprintf(stderr, "keel.cfg.5 says '%s' is %s, but the reader says: %s%s\n",
			key, cls, err ? err : "", warn ? warn : "");
	json_object_put(o);
	free(err);
	free(warn);
	free(want);
	free(cfg);
	return failed;
}

START_TEST(test_xl_keys_documented)
{
	char *man_path = src_path("man/keel.cfg.5");
	char *code_path = src_path("lib/xlcfg_keys.c");
	char *man = read_text(man_path), *code = read_text(code_path);
	char *sec, *table, *end, *p;
	size_t documented = 0, coded = 0;
	int failed = 0;

	ck_assert_ptr_nonnull(man);
	ck_assert_ptr_nonnull(code);
	sec = strstr(man, "\n.SH XL KEYS\n");
	ck_assert_msg(sec, "keel.cfg.5 has no XL KEYS");
	table = strstr(sec, "\n.TS\n");
	end = table ? strstr(table, "\n.TE\n") : NULL;
	ck_assert_msg(end, "keel.cfg.5's XL KEYS has no table");
	*end = '\0';
	/* rows: "T{\nKEY, KEY\nT}\tCLASS\tT{..." */
	for (p = table; (p = strstr(p, "\nT{\n")); ) {
		char *keys = p + 4, *close = strstr(keys, "\nT}\t"), *cls;

		ck_assert_ptr_nonnull(close);
		cls = close + 4;
		*close = '\0';
		for (char *k = strtok(keys, ", \n"); k; k = strtok(NULL, ", \n")) {
			char key[64];
			size_t n = 0;

			/* roff spells '-' as "\-" */
			for (; *k && n + 1 < sizeof(key); k++)
				if (*k != '\\')
					key[n++] = *k;
			key[n] = '\0';
			failed += xl_key_behaves(key, !strncmp(cls, "ignored", 7) ?
							      "ignored" :
							      "refused");
			documented++;
		}
		p = strstr(cls, "\nT}");
		ck_assert_ptr_nonnull(p);
	}
	/* and the table has every key of the code's */
	for (p = code; (p = strstr(p, "\", XL_")); p++)
		coded++;
	ck_assert_msg(!failed, "%d key(s) of keel.cfg.5's XL KEYS do not behave as it says",
		      failed);
	ck_assert_msg(documented == coded,
		      "keel.cfg.5's XL KEYS lists %zu keys, lib/xlcfg_keys.c has %zu",
		      documented, coded);
	free(man);
	free(code);
	free(man_path);
	free(code_path);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("xlcfg");
	TCase *tc;

	tc = tcase_create("xl.cfg");
	tcase_add_loop_test(tc, test_good, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, test_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_loop_test(tc, test_warned, 0,
			    sizeof(warned) / sizeof(warned[0]));
	tcase_add_test(tc, test_no_warning);
	tcase_add_test(tc, test_every_problem);
	tcase_add_test(tc, test_error_cap);
	tcase_add_test(tc, test_overrides);
	tcase_add_test(tc, test_escapes);
	tcase_add_test(tc, test_canonical_order);
	tcase_add_test(tc, test_name_left_to_schema);
	suite_add_tcase(s, tc);

	tc = tcase_create("input");
	tcase_add_test(tc, test_json_as_is);
	tcase_add_test(tc, test_json_errors);
	tcase_add_test(tc, test_json_strict);
	tcase_add_test(tc, test_buffer);
	tcase_add_test(tc, test_files);
	tcase_add_test(tc, test_stdin);
	tcase_add_test(tc, test_golden);
	tcase_add_test(tc, test_xl_keys_documented);
	suite_add_tcase(s, tc);
	return s;
}
