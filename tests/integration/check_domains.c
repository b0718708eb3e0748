// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld's own decisions about domains, with a real keeld and no KVM:
 * what it refuses in a configuration, that nothing is announced before
 * it is durable, that a start it cannot record runs nothing, how it
 * reports a start that fails or is destroyed half way, how it brakes a
 * restart loop, and that a stopped domain leaves no run directory.
 *
 * Where a keel-hv process is needed, a stand-in script plays its part
 * of the contract keeld relies on (exit status 0 poweroff, 1 error, 3
 * crash; a log line on stderr): what is tested is keeld's policy, and
 * check_lifecycle runs the same paths with real guests on KVM. Tests
 * that need a small or read-only file system make a tmpfs in a mount
 * namespace of their own, so that nothing outlives them.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "keeld_fixture.h"
#include "runner.h"

/* A mount namespace for this test, so its mounts go with its process. */
static void private_mounts(void)
{
	ck_assert_msg(unshare(CLONE_NEWNS) == 0, "unshare: %s",
		      strerror(errno));
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
}

static void mount_tmpfs(const char *dir, const char *options)
{
	mkdir(dir, 0700);
	ck_assert_msg(mount("tmpfs", dir, "tmpfs", 0, options) == 0,
		      "mount %s: %s", dir, strerror(errno));
}

/* Define @name with kernel /boot/k and the members in @extra. */
static struct json_object *define(const char *name, const char *extra)
{
	return rpc_call("domain.define",
			"{\"config\":{\"name\":\"%s\",\"kernel\":\"/boot/k\"%s}}",
			name, extra ? extra : "");
}

START_TEST(test_config_refused)
{
	static const struct {
		const char *extra, *field, *says;
	} cases[] = {
		{ ",\"disks\":[{\"vdev\":\"xvda\",\"path\":\"/a\"},"
		  "{\"vdev\":\"xvdb\",\"path\":\"/b\"},"
		  "{\"vdev\":\"xvda\",\"path\":\"/c\"}]",
		  "/config/disks/2/vdev", "twice" },
		{ ",\"nics\":[{\"mac\":\"00:16:3e:00:00:01\"},"
		  "{\"mac\":\"00:16:3E:00:00:01\"}]",
		  "/config/nics/1/mac", "twice" },
		{ ",\"nics\":[{\"mac\":\"01:00:5e:00:00:01\"}]",
		  "/config/nics/0/mac", "multicast" },
		{ ",\"nics\":[{\"tap\":\"t0\"},{\"tap\":\"t0\"}]",
		  "/config/nics/1/tap", "twice" },
		{ ",\"nics\":[{\"tap\":\"t0,mac=00:16:3e:00:00:09\"}]",
		  "/config/nics/0/tap", NULL },
		{ ",\"disks\":[{\"vdev\":\"xvda\",\"path\":\"/x/a\\nkeel-hv: "
		  "error: forged\"}]",
		  "/config/disks/0/path", NULL },
		{ ",\"ramdisk\":\"/x/\\u001b[31mred\"", "/config/ramdisk",
		  NULL },
		/* What keel cannot do with a value: refused, not ignored. */
		{ ",\"cpus\":\"nodes:0\"", "/config/cpus", "NUMA nodes" },
		/* What a schema cannot say: a cap above 100 per vCPU. */
		{ ",\"cap\":101", "/config/cap", "at most 100 per vCPU" },
		{ ",\"vcpus\":2,\"cap\":201", "/config/cap", "2 vCPUs" },
		{ ",\"cpu_weight\":0", "/config/cpu_weight", NULL },
		{ ",\"disks\":[{\"vdev\":\"xvda\",\"path\":\"/a\","
		  "\"iotune\":{\"tx_bytes_sec\":1}}]",
		  "/config/disks/0/iotune/tx_bytes_sec", NULL },
		/* The limits of lib/hv_proto.h, which keel-hv also has. */
		{ ",\"vcpus\":65", "/config/vcpus", NULL },
		{ ",\"memory\":1048577", "/config/memory", NULL },
		{ ",\"memory\":15", "/config/memory", NULL },
	};
	struct json_object *resp;

	keeld_start();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[16];

		snprintf(name, sizeof(name), "bad%zu", i);
		resp = define(name, cases[i].extra);
		assert_error(resp, -32602, cases[i].field);
		ck_assert_msg(!cases[i].says ||
				      strstr(str_at(resp, "/error/message"),
					     cases[i].says),
			      "case %zu: %s", i, str_at(resp, "/error/message"));
		json_object_put(resp);
	}
	/* A valid one still passes, with a MAC spelt in either case. */
	resp = define("good", ",\"nics\":[{\"mac\":\"00:16:3E:00:00:01\"},"
			      "{\"mac\":\"00:16:3e:00:00:02\"}]");
	assert_ok(resp);
	json_object_put(resp);
	resp = define("good2", ",\"vcpus\":64,\"maxvcpus\":64,\"rng\":false,"
			       "\"memory\":1048576,\"maxmem\":1048576");
	assert_ok(resp);
	json_object_put(resp);
	keeld_stop();
}
END_TEST

/*
 * I/O limits of a domain that is not running: read from its definition,
 * changed there (and still so after a keeld restart), refused with the
 * parameter at fault and nothing changed.
 */
START_TEST(test_iotune_defined)
{
	struct json_object *resp;

	keeld_start();
	resp = define("io", ",\"disks\":[{\"vdev\":\"xvda\",\"path\":\"/a\"},"
			    "{\"vdev\":\"xvdb\",\"path\":\"/b\",\"iotune\":"
			    "{\"read_iops_sec\":100}}],"
			    "\"nics\":[{\"mac\":\"00:16:3e:00:00:01\",\"rate\":"
			    "{\"bytes_per_sec\":1048576,\"interval_us\":20000}}]");
	assert_ok(resp);
	json_object_put(resp);
	resp = rpc_ok("domain.blkdeviotune", "{\"name\":\"io\",\"disk\":1}");
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/limits/read_iops_sec")), 100);
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/limits/total_bytes_sec")), 0);
	json_object_put(resp);
	/* xl's rate reads as the outbound limit: 1024 KiB/s, 20 ms. */
	resp = rpc_ok("domain.domiftune",
		      "{\"name\":\"io\",\"nic\":\"00:16:3E:00:00:01\"}");
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/outbound/average")), 1024);
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/limits/tx_bytes_burst")), 20971);
	json_object_put(resp);

	resp = rpc_ok("domain.blkdeviotune",
		      "{\"name\":\"io\",\"disk\":\"xvda\",\"limits\":"
		      "{\"total_bytes_sec\":1048576,\"write_iops_sec_max\":7}}");
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/limits/total_bytes_sec")), 1048576);
	json_object_put(resp);
	resp = rpc_ok("domain.domiftune",
		      "{\"name\":\"io\",\"nic\":0,\"inbound\":{\"average\":100,"
		      "\"burst\":10}}");
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/limits/rx_bytes_sec")), 102400);
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/limits/rx_bytes_burst")), 10240);
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/limits/tx_bytes_sec")), 1048576);
	json_object_put(resp);

	/* Refused: nothing changes. */
	resp = rpc_call("domain.blkdeviotune",
			"{\"name\":\"io\",\"disk\":\"xvdz\",\"limits\":{\"total_iops_sec\":1}}");
	assert_error(resp, -32602, "/disk");
	json_object_put(resp);
	resp = rpc_call("domain.blkdeviotune",
			"{\"name\":\"io\",\"disk\":0,\"limits\":{\"tx_bytes_sec\":1}}");
	assert_error(resp, -32602, NULL);
	json_object_put(resp);
	resp = rpc_call("domain.domiftune",
			"{\"name\":\"io\",\"nic\":0,\"outbound\":{\"average\":1,\"peak\":2}}");
	assert_error(resp, -32602, "/outbound");
	ck_assert_ptr_nonnull(strstr(str_at(resp, "/error/message"), "no peak rate"));
	json_object_put(resp);

	/* Kept in the definition, across a restart of keeld. */
	keeld_stop();
	keeld_start();
	resp = rpc_ok("domain.config", "{\"name\":\"io\"}");
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/disks/0/iotune/total_bytes_sec")), 1048576);
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/disks/0/iotune/write_iops_sec_max")), 7);
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/disks/1/iotune/read_iops_sec")), 100);
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/nics/0/iotune/rx_bytes_sec")), 102400);
	ck_assert_int_eq(json_object_get_int64(at(resp, "/result/nics/0/iotune/tx_bytes_sec")), 1048576);
	ck_assert_ptr_null(at(resp, "/result/nics/0/rate"));
	json_object_put(resp);
	keeld_stop();
}
END_TEST

/* More disks than keel-hv has, and a command line no kernel takes. */
START_TEST(test_config_limits)
{
	char *disks = malloc(64 * 64), *cmdline = malloc(200 * 1024);
	struct json_object *resp;
	size_t len = 0;

	ck_assert_ptr_nonnull(disks);
	ck_assert_ptr_nonnull(cmdline);
	keeld_start();
	len += (size_t)sprintf(disks, ",\"disks\":[");
	for (int i = 0; i < 50; i++)
		len += (size_t)sprintf(disks + len,
				       "%s{\"vdev\":\"xvd%c%c\",\"path\":\"/d%d\"}",
				       i ? "," : "", 'a' + i / 26, 'a' + i % 26,
				       i);
	strcpy(disks + len, "]");
	resp = define("many", disks);
	assert_error(resp, -32602, "/config/disks");
	json_object_put(resp);
	memset(cmdline, 'x', 200 * 1024 - 1);
	cmdline[200 * 1024 - 1] = '\0';
	resp = rpc_call("domain.define",
			"{\"config\":{\"name\":\"long\",\"kernel\":\"/k\","
			"\"cmdline\":\"%s\"}}",
			cmdline);
	assert_error(resp, -32602, "/config/cmdline");
	json_object_put(resp);
	free(disks);
	free(cmdline);
	keeld_stop();
}
END_TEST

/* The vcpus of @name's configuration. */
static int config_vcpus(const char *name)
{
	struct json_object *resp = rpc_ok("domain.config", "{\"name\":\"%s\"}",
					  name);
	int n = json_object_get_int(at(resp, "/result/vcpus"));

	json_object_put(resp);
	return n;
}

/*
 * domain.set_vcpus on a domain that is not running changes only its
 * definition (kept across a keeld restart); a count outside
 * 1..maxvcpus is refused, naming the field, and changes nothing.
 */
START_TEST(test_set_vcpus_defined)
{
	struct json_object *resp;

	keeld_start();
	resp = define("hp", ",\"vcpus\":1,\"maxvcpus\":3");
	assert_ok(resp);
	json_object_put(resp);
	resp = rpc_ok("domain.set_vcpus", "{\"name\":\"hp\",\"vcpus\":3}");
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/vcpus")), 3);
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/maxvcpus")), 3);
	ck_assert_ptr_null(at(resp, "/result/online"));
	json_object_put(resp);
	ck_assert_int_eq(config_vcpus("hp"), 3);

	resp = rpc_call("domain.set_vcpus", "{\"name\":\"hp\",\"vcpus\":4}");
	assert_error(resp, -32602, "/vcpus");
	ck_assert_msg(strstr(str_at(resp, "/error/message"),
			     "at most 3 vCPUs (its maxvcpus); 4 were asked for"),
		      "%s", str_at(resp, "/error/message"));
	json_object_put(resp);
	resp = rpc_call("domain.set_vcpus", "{\"name\":\"hp\",\"vcpus\":0}");
	assert_error(resp, -32602, "/vcpus");
	json_object_put(resp);
	resp = rpc_call("domain.set_vcpus", "{\"name\":\"nope\",\"vcpus\":1}");
	assert_error(resp, -32001, "/name");
	json_object_put(resp);
	ck_assert_int_eq(config_vcpus("hp"), 3);

	json_object_put(rpc_ok("domain.set_vcpus",
			       "{\"name\":\"hp\",\"vcpus\":2}"));
	keeld_stop();
	keeld_start();
	ck_assert_int_eq(config_vcpus("hp"), 2);
	keeld_stop();
}
END_TEST

/* An undefine that fails announces nothing. */
START_TEST(test_undefine_durable)
{
	struct harness_client events;
	struct json_object *resp, *ev;

	private_mounts();
	mount_tmpfs(state_dir, "size=1m");
	keeld_start();
	events_open(&events);
	json_object_put(define("a", NULL));
	ck_assert_int_eq(mount(NULL, state_dir, NULL, MS_REMOUNT | MS_RDONLY,
			       NULL),
			 0);
	resp = rpc_call("domain.undefine", "{\"name\":\"a\"}");
	assert_error(resp, -32007, NULL);
	ck_assert_msg(strstr(str_at(resp, "/error/message"), "file system"),
		      "%s", str_at(resp, "/error/message"));
	json_object_put(resp);
	json_object_put(rpc_ok("domain.info", "{\"name\":\"a\"}"));
	ck_assert_int_eq(mount(NULL, state_dir, NULL, MS_REMOUNT, NULL), 0);
	json_object_put(define("marker", NULL));
	/* Had the failed undefine been announced, it would come first. */
	ev = next_domain_event(&events, NULL);
	ck_assert_str_eq(str_at(ev, "/params/event"), "defined");
	ck_assert_str_eq(str_at(ev, "/params/domain/name"), "a");
	json_object_put(ev);
	ev = next_domain_event(&events, NULL);
	ck_assert_str_eq(str_at(ev, "/params/event"), "defined");
	ck_assert_str_eq(str_at(ev, "/params/domain/name"), "marker");
	json_object_put(ev);
	json_object_put(rpc_ok("domain.undefine", "{\"name\":\"a\"}"));
	expect_domain_event(&events, "a", "undefined", "removed");
	harness_client_close(&events);
	keeld_stop();
}
END_TEST

/* @name's definition has memory @memory and maxmem @maxmem. */
static void assert_defined_memory(const char *name, int memory, int maxmem)
{
	struct json_object *resp;

	resp = rpc_ok("domain.config", "{\"name\":\"%s\"}", name);
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/memory")),
			 memory);
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/maxmem")),
			 maxmem);
	json_object_put(resp);
}

/*
 * mem-set and mem-max of a shut-off domain change its definition, and
 * keep it across a keeld restart; what they refuse, or cannot save,
 * changes nothing.
 */
START_TEST(test_memory_definition)
{
	struct json_object *resp;

	private_mounts();
	mount_tmpfs(state_dir, "size=1m");
	keeld_start();
	json_object_put(define("m", ",\"memory\":256,\"maxmem\":1024"));
	resp = rpc_call("domain.set_memory",
			"{\"name\":\"m\",\"memory_mib\":2048}");
	assert_error(resp, -32602, "/memory_mib");
	ck_assert_str_eq(str_at(resp, "/error/message"),
			 "2048 MiB is above domain m's maxmem of 1024 MiB; raise maxmem first (keel mem-max).");
	json_object_put(resp);
	resp = rpc_call("domain.set_maxmem",
			"{\"name\":\"m\",\"maxmem_mib\":128}");
	assert_error(resp, -32602, "/maxmem_mib");
	json_object_put(resp);
	/* Below the schema's floor: refused before any handler runs. */
	resp = rpc_call("domain.set_memory",
			"{\"name\":\"m\",\"memory_mib\":8}");
	assert_error(resp, -32602, "/memory_mib");
	json_object_put(resp);
	assert_defined_memory("m", 256, 1024);

	resp = rpc_ok("domain.set_memory",
		      "{\"name\":\"m\",\"memory_mib\":512}");
	ck_assert_int_eq(json_object_get_int(at(resp, "/result/memory")), 512);
	json_object_put(resp);
	json_object_put(rpc_ok("domain.set_maxmem",
			       "{\"name\":\"m\",\"maxmem_mib\":600}"));
	assert_defined_memory("m", 512, 600);

	/* A definition that cannot be written: an error, the old values. */
	ck_assert_int_eq(mount(NULL, state_dir, NULL, MS_REMOUNT | MS_RDONLY,
			       NULL),
			 0);
	resp = rpc_call("domain.set_memory",
			"{\"name\":\"m\",\"memory_mib\":300}");
	assert_error(resp, -32007, NULL);
	json_object_put(resp);
	assert_defined_memory("m", 512, 600);
	ck_assert_int_eq(mount(NULL, state_dir, NULL, MS_REMOUNT, NULL), 0);

	keeld_stop();
	keeld_start();
	assert_defined_memory("m", 512, 600);
	keeld_stop();
}
END_TEST

/* A start the host cannot hold is refused (keeld.conf memory_overcommit). */
START_TEST(test_memory_overcommit)
{
	struct json_object *resp;

	write_file(conf_path, "log_level = info\nmemory_overcommit = 100\n");
	keeld_hypervisor = fake_hv("exit 1");
	keeld_start();
	json_object_put(define("huge", ",\"memory\":1048576"));
	resp = rpc_call("domain.start", "{\"name\":\"huge\"}");
	assert_error(resp, -32004, NULL);
	ck_assert_msg(strstr(str_at(resp, "/error/message"),
			     "memory_overcommit"),
		      "%s", str_at(resp, "/error/message"));
	json_object_put(resp);
	wait_domain_state("huge", "shutoff", "failed");
	keeld_stop();
}
END_TEST

/*
 * A start whose state.json cannot be written fails and runs nothing:
 * keel-hv would run unrecorded, lost to a restarted keeld and startable
 * a second time.
 */
START_TEST(test_state_unrecordable)
{
	char fill[256], ran[256], body[512];
	struct json_object *resp;
	int fd;

	private_mounts();
	mount_tmpfs(run_dir, "size=512k");
	snprintf(ran, sizeof(ran), "%s/it-ran", top);
	snprintf(body, sizeof(body), "touch %s\nexec sleep 600", ran);
	keeld_hypervisor = fake_hv(body);
	keeld_start();
	json_object_put(define("d", ",\"uuid\":\"5b0a3c1e-7d2f-4e6a-9c1b-"
				    "0d4e5f6a7b8c\""));
	snprintf(fill, sizeof(fill), "%s/fill", run_dir);
	fd = open(fill, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	for (char block[4096] = { 0 };
	     write(fd, block, sizeof(block)) == sizeof(block);)
		;
	close(fd);
	resp = rpc_call("domain.start", "{\"name\":\"d\"}");
	assert_error(resp, -32007, NULL);
	ck_assert_msg(strstr(str_at(resp, "/error/message"), "state.json") &&
			      strstr(str_at(resp, "/error/message"),
				     "nothing was started"),
		      "%s", str_at(resp, "/error/message"));
	json_object_put(resp);
	wait_domain_state("d", "shutoff", "failed");
	ck_assert_msg(access(ran, F_OK) != 0, "the hypervisor ran");
	ck_assert(!process_with("5b0a3c1e-7d2f-4e6a-9c1b-0d4e5f6a7b8c"));
	keeld_stop();
}
END_TEST

/* Destroyed before keel-hv's first answer: said so, and shut off/destroyed. */
START_TEST(test_destroy_while_starting)
{
	struct harness_client starter, events;
	char fifo[256], body[512], *line;
	struct json_object *resp;

	snprintf(fifo, sizeof(fifo), "%s/never", top);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	/* Blocks until killed: a keel-hv that never answers. */
	snprintf(body, sizeof(body), "read x < %s", fifo);
	keeld_hypervisor = fake_hv(body);
	keeld_start();
	events_open(&events);
	json_object_put(define("slow", NULL));
	ck_assert_int_eq(harness_client_open(&starter, rw_sock, 0), 0);
	line = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.start\","
	       "\"params\":{\"name\":\"slow\"}}\n";
	ck_assert_int_eq(harness_client_send(&starter, line, strlen(line)), 0);
	wait_domain_state("slow", "running", "booted");
	resp = rpc_ok("domain.destroy", "{\"name\":\"slow\"}");
	assert_domain_state(resp, "shutoff", "destroyed");
	json_object_put(resp);
	line = harness_client_readline(&starter, WAIT_MS);
	ck_assert_ptr_nonnull(line);
	resp = json_tokener_parse(line);
	free(line);
	assert_error(resp, -32007, NULL);
	ck_assert_str_eq(str_at(resp, "/error/message"),
			 "Domain slow was destroyed while it was starting.");
	json_object_put(resp);
	expect_domain_event(&events, "slow", "stopped", "destroyed");
	harness_client_close(&starter);
	harness_client_close(&events);
	keeld_stop();
}
END_TEST

/*
 * domain.stats_all with a keel-hv that answers nothing: the answer still
 * comes (keeld does not wait past its deadline), listing that domain
 * with keeld's own figures and why the rest is missing.
 */
START_TEST(test_stats_all_silent_hv)
{
	struct harness_client starter;
	struct json_object *resp;
	char fifo[256], body[512];
	const char *line;

	snprintf(fifo, sizeof(fifo), "%s/never", top);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	snprintf(body, sizeof(body), "read x < %s", fifo);
	keeld_hypervisor = fake_hv(body);
	keeld_start();
	resp = rpc_ok("domain.stats_all", "{}");
	ck_assert_int_eq(json_object_array_length(at(resp, "/result/domains")),
			 0);
	ck_assert_int_gt(json_object_get_int(at(resp, "/result/host/cpus")),
			 0);
	json_object_put(resp);

	json_object_put(define("mute", NULL));
	ck_assert_int_eq(harness_client_open(&starter, rw_sock, 0), 0);
	line = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"domain.start\","
	       "\"params\":{\"name\":\"mute\"}}\n";
	ck_assert_int_eq(harness_client_send(&starter, line, strlen(line)), 0);
	wait_domain_state("mute", "running", "booted");
	resp = rpc_ok("domain.stats_all", "{}");
	ck_assert_int_eq(json_object_array_length(at(resp, "/result/domains")),
			 1);
	ck_assert_str_eq(str_at(resp, "/result/domains/0/name"), "mute");
	ck_assert_msg(strstr(str_at(resp, "/result/domains/0/error"),
			     "did not answer"),
		      "%s", json_object_to_json_string(resp));
	ck_assert_ptr_nonnull(at(resp, "/result/domains/0/cpu/time_ns"));
	ck_assert_ptr_nonnull(at(resp, "/result/domains/0/memory/rss_kib"));
	ck_assert_ptr_null(at(resp, "/result/domains/0/vcpus"));
	json_object_put(resp);
	/* A domain that is shut off has no statistics. */
	json_object_put(define("off", NULL));
	resp = rpc_call("domain.stats", "{\"name\":\"off\"}");
	assert_error(resp, -32003, NULL);
	json_object_put(resp);
	json_object_put(rpc_ok("domain.destroy", "{\"name\":\"mute\"}"));
	harness_client_close(&starter);
	keeld_stop();
}
END_TEST

/*
 * Why keel-hv could not start: its status file's sentence; where it
 * wrote none (it died first), the signal that killed it, or its log's
 * last line without the timestamp; nothing stale from an earlier run.
 */
START_TEST(test_start_failure_said)
{
	/* In this order: the silent one last, after one that said something. */
	static const struct {
		const char *mode, *why;
	} said[] = {
		{ "file", "Domain f could not start: This host's KVM runs at "
			  "most 8 vCPUs per VM; the domain asks for 16." },
		{ "log", "Domain f could not start: Cannot map guest memory." },
		{ "kill", "Domain f could not start: keel-hv was killed by "
			  "signal 9 (SIGKILL)." },
		{ "", "Domain f could not start: keel-hv ended without saying "
		      "why." },
	};
	char mode[256], body[1024];
	struct json_object *resp;

	snprintf(mode, sizeof(mode), "%s/mode", top);
	snprintf(body, sizeof(body),
		 "m=$(cat %s)\n"
		 "for a; do case $a in --status-file=*) f=${a#*=};; esac; done\n"
		 "[ \"$m\" = file ] && echo '{\"reason\":\"error\",\"status\":1,"
		 "\"detail\":\"This host'\\''s KVM runs at most 8 vCPUs per VM; "
		 "the domain asks for 16.\"}' >\"$f\"\n"
		 "[ \"$m\" = log ] && echo \"1796399465.625 keel-hv: error: "
		 "Cannot map guest memory.\" >&2\n"
		 "[ \"$m\" = kill ] && kill -9 $$\nexit 1",
		 mode);
	keeld_hypervisor = fake_hv(body);
	keeld_start();
	json_object_put(define("f", NULL));
	for (size_t i = 0; i < sizeof(said) / sizeof(said[0]); i++) {
		write_file(mode, said[i].mode);
		resp = rpc_call("domain.start", "{\"name\":\"f\"}");
		assert_error(resp, -32007, NULL);
		ck_assert_str_eq(str_at(resp, "/error/message"), said[i].why);
		json_object_put(resp);
		wait_domain_state("f", "shutoff", "failed");
	}
	keeld_stop();
}
END_TEST

/* A hypervisor keeld cannot run: said in keeld's words. */
START_TEST(test_hypervisor_missing)
{
	struct json_object *resp;

	keeld_hypervisor = "/nonexistent/keel-hv";
	keeld_start();
	json_object_put(define("m", NULL));
	resp = rpc_call("domain.start", "{\"name\":\"m\"}");
	assert_error(resp, -32007, NULL);
	ck_assert_str_eq(str_at(resp, "/error/message"),
			 "Domain m could not start: Cannot run "
			 "the hypervisor /nonexistent/keel-hv: No such file or "
			 "directory.");
	json_object_put(resp);
	keeld_stop();
}
END_TEST

/*
 * A guest that crashes at once with on_crash=restart is restarted with
 * growing pauses, then left shut off with a reason and an event.
 */
START_TEST(test_restart_limit)
{
	struct harness_client events;
	struct json_object *ev;
	int starts = 0;

	keeld_hypervisor = fake_hv("exit 3");
	keeld_start();
	events_open(&events);
	json_object_put(define("crashy", ",\"on_crash\":\"restart\""));
	json_object_put(rpc_ok("domain.start", "{\"name\":\"crashy\"}"));
	for (;;) {
		ev = next_domain_event(&events, "crashy");
		if (!strcmp(str_at(ev, "/params/event"), "started"))
			starts++;
		if (!strcmp(str_at(ev, "/params/event"), "stopped") &&
		    strstr(str_at(ev, "/params/message"), "not restarted"))
			break;
		json_object_put(ev);
		ck_assert_int_le(starts, 6);
	}
	ck_assert_str_eq(str_at(ev, "/params/detail"), "crashed");
	ck_assert_str_eq(str_at(ev, "/params/state"), "shutoff");
	json_object_put(ev);
	ck_assert_int_eq(starts, 6);
	wait_domain_state("crashy", "shutoff", "crashed");
	/* A user's start is a fresh one. */
	json_object_put(rpc_ok("domain.start", "{\"name\":\"crashy\"}"));
	expect_domain_event(&events, "crashy", "stopped", "crashed");
	/* Looping again, it can be destroyed (running or waiting): off. */
	json_object_put(rpc_ok("domain.destroy", "{\"name\":\"crashy\"}"));
	wait_domain_state("crashy", "shutoff", "destroyed");
	harness_client_close(&events);
	keeld_stop();
}
END_TEST

/* Stopped domains leave no run directory; their logs are in LOG_DIR. */
START_TEST(test_run_dirs_removed)
{
	char domains[256], log[256], *text = NULL;
	struct json_object *resp;
	struct dirent *de;
	size_t cap = 0;
	int lines = 0;
	FILE *f;
	DIR *d;

	keeld_hypervisor = fake_hv("echo powering off >&2\nexit 0");
	keeld_start();
	for (int i = 0; i < 20; i++) {
		resp = rpc_call("domain.create",
				"{\"config\":{\"name\":\"t\",\"kernel\":\"/k\"}}");
		assert_ok(resp);
		json_object_put(resp);
		/* Transient, destroyed on poweroff: gone once it stopped. */
		for (long long end = harness_now_ms() + WAIT_MS;;) {
			resp = rpc_call("domain.info", "{\"name\":\"t\"}");
			if (at(resp, "/error"))
				break;
			json_object_put(resp);
			ck_assert(harness_now_ms() < end);
			usleep(20 * 1000);
		}
		json_object_put(resp);
	}
	snprintf(domains, sizeof(domains), "%s/domains", run_dir);
	d = opendir(domains);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		ck_assert_msg(de->d_name[0] == '.', "%s/%s is left", domains,
			      de->d_name);
	closedir(d);
	snprintf(log, sizeof(log), "%s/t.log", log_dir);
	f = fopen(log, "re");
	ck_assert_msg(f != NULL, "no %s", log);
	while (getline(&text, &cap, f) > 0)
		lines += strstr(text, "powering off") != NULL;
	free(text);
	fclose(f);
	ck_assert_int_eq(lines, 20);
	keeld_stop();
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("domains");
	TCase *tc = keeld_tcase("keeld", 120);

	if (!harness_have_file(harness_path("daemon/keeld")))
		runner_skip_reason = "daemon/keeld is not built";
	else if (geteuid() != 0)
		runner_skip_reason = "these tests mount file systems: run them as root";
	tcase_add_test(tc, test_config_refused);
	tcase_add_test(tc, test_config_limits);
	tcase_add_test(tc, test_iotune_defined);
	tcase_add_test(tc, test_undefine_durable);
	tcase_add_test(tc, test_set_vcpus_defined);
	tcase_add_test(tc, test_memory_overcommit);
	tcase_add_test(tc, test_memory_definition);
	tcase_add_test(tc, test_state_unrecordable);
	tcase_add_test(tc, test_destroy_while_starting);
	tcase_add_test(tc, test_start_failure_said);
	tcase_add_test(tc, test_stats_all_silent_hv);
	tcase_add_test(tc, test_hypervisor_missing);
	tcase_add_test(tc, test_restart_limit);
	tcase_add_test(tc, test_run_dirs_removed);
	suite_add_tcase(s, tc);
	return s;
}
