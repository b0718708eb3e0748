// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-hv's command line for a domain, and back (daemon/hv_cmdline.c):
 * a configuration built into argv and parsed back is the same
 * configuration, less what the command line does not carry; every
 * option is one of keel-hv's (lib/hv_proto.h); and keeld recognises its
 * own keel-hv processes and no one else's.
 */
#include "config.h"

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv_cmdline.h"
#include "hv_proto.h"
#include "registry.h"
#include "runner.h"

#define UUID "6f1c2a4e-3b5d-4c7e-9f80-1a2b3c4d5e6f"
#define RUN "/run/keel-test"
#define DIR RUN "/domains/" UUID

/* Where the test's disks are, as keel-hv would get them. */
#define FIRST_FD 100

static char tmp[64];
static char disk[3][PATH_MAX];

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/check_hv_cmdline.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	for (int i = 0; i < 3; i++) {
		int fd;

		snprintf(disk[i], sizeof(disk[i]), "%s/disk %d,x.img", tmp, i);
		fd = open(disk[i], O_RDWR | O_CREAT, 0600);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(dup2(fd, FIRST_FD + i), FIRST_FD + i);
		close(fd);
	}
}

static void teardown(void)
{
	for (int i = 0; i < 3; i++) {
		close(FIRST_FD + i);
		unlink(disk[i]);
	}
	rmdir(tmp);
}

static size_t argc_of(char **argv)
{
	size_t n = 0;

	while (argv[n])
		n++;
	return n;
}

static struct hv_cmdline cmd(void)
{
	struct hv_cmdline c = {
		.hypervisor = "/usr/sbin/keel-hv",
		.dir = DIR,
		.console_log = "/var/log/keel/web.console.log",
		.first_disk_fd = FIRST_FD,
	};

	return c;
}

/* keel-hv's argv for @config, through the typed hv_config as keeld does. */
static char **build(const struct hv_cmdline *c, struct json_object *config)
{
	struct hv_config cfg;
	char **argv;

	ck_assert_int_eq(hv_config_from_json(config, &cfg), 0);
	argv = hv_cmdline_build(c, &cfg);
	hv_config_dispose(&cfg);
	return argv;
}

/* The configuration keeld runs: with taps and MACs named (nic.c). */
static struct json_object *full_config(void)
{
	struct json_object *c = json_object_new_object();
	struct json_object *disks = json_object_new_array();
	char text[256];

	json_object_object_add(c, "name", json_object_new_string("web"));
	json_object_object_add(c, "uuid", json_object_new_string(UUID));
	json_object_object_add(c, "kernel",
			       json_object_new_string("/boot/vmlinuz x"));
	json_object_object_add(c, "ramdisk",
			       json_object_new_string("/boot/initrd.img"));
	json_object_object_add(c, "cmdline",
			       json_object_new_string(
				       "console=hvc0 root=/dev/vda1 a=b,c --x"));
	json_object_object_add(c, "memory", json_object_new_int64(512));
	json_object_object_add(c, "vcpus", json_object_new_int64(2));
	json_object_object_add(c, "maxvcpus", json_object_new_int64(4));
	json_object_object_add(c, "prefault", json_object_new_boolean(1));
	for (int i = 0; i < 3; i++) {
		struct json_object *d = json_object_new_object();

		snprintf(text, sizeof(text), "xvd%c", 'a' + i);
		json_object_object_add(d, "vdev", json_object_new_string(text));
		json_object_object_add(d, "path",
				       json_object_new_string(disk[i]));
		if (i == 1) {
			json_object_object_add(d, "readonly",
					       json_object_new_boolean(1));
			json_object_object_add(
				d, "iotune",
				json_tokener_parse("{\"read_bytes_sec\":1048576,"
						   "\"read_iops_sec_max\":50}"));
		}
		json_object_array_add(disks, d);
	}
	json_object_object_add(c, "disks", disks);
	json_object_object_add(
		c, "nics",
		json_tokener_parse("[{\"tap\":\"keel3.0\",\"mac\":\"00:16:3e:01:02:03\"},"
				   "{\"tap\":\"vif-x\",\"mac\":\"52:54:00:aa:bb:cc\","
				   "\"iotune\":{\"rx_packets_sec\":1000}}]"));
	return c;
}

START_TEST(test_round_trip)
{
	struct hv_cmdline c = cmd();
	struct json_object *config = full_config(), *back;
	char **argv = build(&c, config);

	ck_assert_ptr_nonnull(argv);
	ck_assert_str_eq(argv[0], "/usr/sbin/keel-hv");
	back = hv_cmdline_config(argv, argc_of(argv), getpid());
	ck_assert_ptr_nonnull(back);
	/* keeld's default, said on the command line: a virtio-rng. */
	json_object_object_add(config, "rng", json_object_new_boolean(1));
	ck_assert_msg(json_object_equal(back, config), "got %s\nwant %s",
		      json_object_to_json_string(back),
		      json_object_to_json_string(config));
	json_object_put(back);
	hv_cmdline_free(argv);
	json_object_put(config);
}
END_TEST

/*
 * What the command line does not carry comes back without it: the
 * on_* actions and bridges; keeld's defaults (memory, vCPUs, the rng)
 * come back filled in, and xl's rate as the limits it stands for.
 */
START_TEST(test_round_trip_loses)
{
	struct hv_cmdline c = cmd();
	struct json_object *config = json_tokener_parse(
		"{\"name\":\"web\",\"uuid\":\"" UUID "\",\"kernel\":\"/k\","
		"\"on_crash\":\"preserve\",\"nics\":[{\"tap\":\"t0\","
		"\"bridge\":\"br0\",\"rate\":{\"bytes_per_sec\":1250000,"
		"\"interval_us\":20000}}]}");
	struct json_object *back, *want = json_tokener_parse(
		"{\"name\":\"web\",\"uuid\":\"" UUID "\",\"kernel\":\"/k\","
		"\"memory\":256,\"vcpus\":1,\"rng\":true,"
		"\"nics\":[{\"tap\":\"t0\",\"iotune\":{\"tx_bytes_sec\":1250000,"
		"\"tx_bytes_burst\":25000}}]}");
	char **argv = build(&c, config);

	ck_assert_ptr_nonnull(argv);
	back = hv_cmdline_config(argv, argc_of(argv), getpid());
	ck_assert_msg(json_object_equal(back, want), "got %s",
		      json_object_to_json_string(back));
	json_object_put(back);
	json_object_put(want);
	hv_cmdline_free(argv);
	json_object_put(config);
}
END_TEST

/*
 * cpus: one --cpus when every vCPU has the same CPUs, else one per
 * pinned vCPU ("all" and vCPUs past the array are not pinned); read
 * back in keel-hv's canonical spelling of the lists.
 */
START_TEST(test_cpus)
{
	static const struct {
		const char *cpus; /* the config's member */
		int vcpus;
		const char *argv; /* the --cpus options, in order */
		const char *back; /* the member read back, or NULL */
	} cases[] = {
		{ "\"0\"", 2, "--cpus=0 ", "\"0\"" },
		{ "\"0-0,0\"", 1, "--cpus=0 ", "\"0\"" },
		{ "\"all\"", 2, "", NULL },
		{ "[\"all\",\"0\",\"0\"]", 3, "--cpus=1:0 --cpus=2:0 ",
		  "[\"all\",\"0\",\"0\"]" },
		{ "[\"0\"]", 3, "--cpus=0:0 ", "[\"0\",\"all\",\"all\"]" },
	};
	struct hv_cmdline c = cmd();

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char text[512], opts[256] = "";
		struct json_object *config, *back, *v;
		char **argv;

		snprintf(text, sizeof(text),
			 "{\"name\":\"web\",\"uuid\":\"" UUID "\","
			 "\"kernel\":\"/k\",\"vcpus\":%d,\"cpus\":%s}",
			 cases[k].vcpus, cases[k].cpus);
		config = json_tokener_parse(text);
		argv = build(&c, config);
		for (size_t i = 1; argv[i]; i++)
			if (!strncmp(argv[i], "--" HV_OPT_CPUS "=", 7)) {
				strcat(opts, argv[i]);
				strcat(opts, " ");
			}
		ck_assert_msg(!strcmp(opts, cases[k].argv), "%s: %s",
			      cases[k].cpus, opts);
		back = hv_cmdline_config(argv, argc_of(argv), getpid());
		ck_assert_ptr_nonnull(back);
		if (!cases[k].back)
			ck_assert(!json_object_object_get_ex(back, "cpus", &v));
		else
			ck_assert_msg(json_object_object_get_ex(back, "cpus",
								&v) &&
					      !strcmp(json_object_to_json_string_ext(
							      v, JSON_C_TO_STRING_PLAIN),
						      cases[k].back),
				      "%s came back as %s", cases[k].cpus,
				      json_object_to_json_string(back));
		json_object_put(back);
		hv_cmdline_free(argv);
		json_object_put(config);
	}
}
END_TEST

/* Every option is keel-hv's, and says what keeld means. */
START_TEST(test_options)
{
	static const char *const known[] = {
		HV_OPT_KERNEL,	   HV_OPT_INITRD,	HV_OPT_CMDLINE,
		HV_OPT_MEMORY,	   HV_OPT_VCPUS,	HV_OPT_CONSOLE,
		HV_OPT_CONSOLE_SOCKET, HV_OPT_CONSOLE_LOG, HV_OPT_CONTROL,
		HV_OPT_STATUS_FILE, HV_OPT_UUID,	HV_OPT_NAME,
		HV_OPT_PAUSED,	   HV_OPT_LINGER,	HV_OPT_DISK_FD,
		HV_OPT_NET,	   HV_OPT_RNG,		HV_OPT_VIRTIO_CONSOLE,
		HV_OPT_MAXMEM,	   HV_OPT_IOTUNE,	HV_OPT_CPUS,
		HV_OPT_MAXVCPUS,   HV_OPT_VDEV,		HV_OPT_PREFAULT,
	};
	struct hv_cmdline c = cmd();
	struct json_object *config = full_config();
	char **argv;
	bool paused = false, linger = false;

	c.paused = c.linger = true;
	argv = build(&c, config);
	ck_assert_ptr_nonnull(argv);
	for (size_t i = 1; argv[i]; i++) {
		bool found = false;

		ck_assert_msg(!strncmp(argv[i], "--", 2), "%s", argv[i]);
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
			size_t len = strlen(known[k]);

			if (!strncmp(argv[i] + 2, known[k], len) &&
			    (argv[i][2 + len] == '=' || !argv[i][2 + len]))
				found = true;
		}
		ck_assert_msg(found, "%s is not a keel-hv option", argv[i]);
		paused |= !strcmp(argv[i], "--" HV_OPT_PAUSED);
		linger |= !strcmp(argv[i], "--" HV_OPT_LINGER);
	}
	ck_assert(paused && linger);
	/* The run directory's files, by hv_proto.h's names. */
	{
		const char *want[] = {
			"--" HV_OPT_CONTROL "=" DIR "/" HV_RUN_CONTROL,
			"--" HV_OPT_CONSOLE_SOCKET "=" DIR "/" HV_RUN_CONSOLE,
			"--" HV_OPT_STATUS_FILE "=" DIR "/" HV_RUN_STATUS,
			"--" HV_OPT_MEMORY "=512M",
			"--" HV_OPT_VCPUS "=2",
			"--" HV_OPT_MAXVCPUS "=4",
			"--" HV_OPT_PREFAULT,
			"--" HV_OPT_DISK_FD "=100",
			"--" HV_OPT_DISK_FD "=101,ro",
			"--" HV_OPT_NET "=tap=keel3.0,mac=00:16:3e:01:02:03",
			"--" HV_OPT_IOTUNE
			"=vblk1:read_bytes_sec=1048576,read_iops_sec_max=50",
			"--" HV_OPT_IOTUNE "=vnet1:rx_packets_sec=1000",
		};

		for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
			bool found = false;

			for (size_t i = 1; argv[i]; i++)
				found |= !strcmp(argv[i], want[k]);
			ck_assert_msg(found, "no %s", want[k]);
		}
	}
	hv_cmdline_free(argv);
	json_object_put(config);
	/* Neither flag unless asked. */
	c = cmd();
	config = full_config();
	argv = build(&c, config);
	for (size_t i = 1; argv[i]; i++)
		ck_assert(strcmp(argv[i], "--" HV_OPT_PAUSED) &&
			  strcmp(argv[i], "--" HV_OPT_LINGER));
	hv_cmdline_free(argv);
	json_object_put(config);
}
END_TEST

/* on_*=coredump-*: keel-hv is told where, and for which ends. */
START_TEST(test_dump_on)
{
	struct hv_cmdline c = cmd();
	struct json_object *config = full_config();
	bool on = false, dir = false;
	char **argv;

	c.dump_dir = "/var/lib/keel/dump";
	argv = build(&c, config);
	for (size_t i = 1; argv[i]; i++)
		ck_assert_msg(strncmp(argv[i], "--dump-", 7), "%s", argv[i]);
	hv_cmdline_free(argv);
	c.dump_on = "crash,reboot";
	argv = build(&c, config);
	for (size_t i = 1; argv[i]; i++) {
		on |= !strcmp(argv[i], "--" HV_OPT_DUMP_ON "=crash,reboot");
		dir |= !strcmp(argv[i],
			       "--" HV_OPT_DUMP_DIR "=/var/lib/keel/dump");
	}
	ck_assert(on && dir);
	hv_cmdline_free(argv);
	json_object_put(config);
}
END_TEST

/*
 * --restore: the stream's descriptor, and none of the boot options
 * keel-hv refuses with it (the guest's kernel is in the stream); the
 * rest of the machine as for a boot.
 */
START_TEST(test_restore)
{
	struct hv_cmdline c = cmd();
	struct json_object *config = full_config();
	bool restore = false, memory = false, disk_fd = false;
	char **argv;

	c.restore_fd = FIRST_FD + 3;
	argv = build(&c, config);
	for (size_t i = 1; argv[i]; i++) {
		ck_assert_msg(strncmp(argv[i], "--" HV_OPT_KERNEL "=", 9) &&
				      strncmp(argv[i], "--" HV_OPT_INITRD "=", 9) &&
				      strncmp(argv[i], "--" HV_OPT_CMDLINE "=", 10),
			      "%s with --restore", argv[i]);
		restore |= !strcmp(argv[i], "--" HV_OPT_RESTORE "=103");
		memory |= !strncmp(argv[i], "--" HV_OPT_MEMORY "=", 9);
		disk_fd |= !strncmp(argv[i], "--" HV_OPT_DISK_FD "=100", 14);
	}
	ck_assert(restore && memory && disk_fd);
	hv_cmdline_free(argv);
	json_object_put(config);
}
END_TEST

START_TEST(test_is_ours)
{
	static const struct {
		const char *control, *uuid, *run_dir;
		bool ours;
	} t[] = {
		{ DIR "/control.sock", UUID, RUN, true },
		{ DIR "/control.sock", "6F1C2A4E-3B5D-4C7E-9F80-1A2B3C4D5E6F",
		  RUN, true },
		/* Another keeld's run directory, or one that starts alike. */
		{ DIR "/control.sock", UUID, "/run/keel", false },
		{ DIR "/control.sock", UUID, "/run/keel-tes", false },
		{ DIR "/control", UUID, RUN, false },
		{ DIR "/control.sock.x", UUID, RUN, false },
		{ RUN "/domains/x/control.sock", UUID, RUN, false },
		{ NULL, UUID, RUN, false },
		{ DIR "/control.sock", NULL, RUN, false },
		{ DIR "/control.sock", "6f1c2a4e", RUN, false },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char control[256], uuid_opt[128], uuid[37];
		char *argv[5] = { "keel-hv", "--kernel=/k" };
		size_t argc = 2;

		if (t[i].control) {
			snprintf(control, sizeof(control), "--control=%s",
				 t[i].control);
			argv[argc++] = control;
		}
		if (t[i].uuid) {
			snprintf(uuid_opt, sizeof(uuid_opt), "--uuid=%s",
				 t[i].uuid);
			argv[argc++] = uuid_opt;
		}
		ck_assert_msg(hv_cmdline_is_ours(argv, argc, t[i].run_dir,
						 uuid) == t[i].ours,
			      "row %zu", i);
		if (t[i].ours)
			ck_assert_str_eq(uuid, UUID);
	}
}
END_TEST

/* A command line without a name, uuid or kernel gives nothing. */
START_TEST(test_config_refused)
{
	static const char *const need[] = { "--name=web", "--uuid=" UUID,
					    "--kernel=/k" };

	for (size_t skip = 0; skip < 3; skip++) {
		char *argv[4] = { "keel-hv" };
		size_t argc = 1;

		for (size_t i = 0; i < 3; i++)
			if (i != skip)
				argv[argc++] = (char *)need[i];
		ck_assert_ptr_null(hv_cmdline_config(argv, argc, getpid()));
	}
	{
		/* A NIC keel-hv would not take. */
		char *argv[] = { "keel-hv", "--name=web", "--uuid=" UUID,
				 "--kernel=/k", "--net=user" };

		ck_assert_ptr_null(hv_cmdline_config(argv, 5, getpid()));
	}
}
END_TEST

/* Disks by path, in xl's names, up to keel-hv's most; one more is not ours. */
START_TEST(test_config_disks_by_path)
{
	char *argv[40] = { "keel-hv", "--name=web", "--uuid=" UUID,
			   "--kernel=/k" };
	char paths[KEEL_DISKS_MAX + 1][32];
	struct json_object *c, *disks, *d;
	size_t argc = 4;

	for (int i = 0; i <= KEEL_DISKS_MAX; i++) {
		snprintf(paths[i], sizeof(paths[i]), "--disk=/d%d%s", i,
			 i == KEEL_DISKS_MAX - 1 ? ",ro" : "");
		argv[argc++] = paths[i];
	}
	c = hv_cmdline_config(argv, argc - 1, getpid());
	ck_assert_ptr_nonnull(c);
	ck_assert(json_object_object_get_ex(c, "disks", &disks));
	ck_assert_uint_eq(json_object_array_length(disks), KEEL_DISKS_MAX);
	d = json_object_array_get_idx(disks, 0);
	ck_assert_str_eq(json_member_string(d, "vdev"), "xvda");
	ck_assert_str_eq(json_member_string(d, "path"), "/d0");
	ck_assert(!json_object_object_get_ex(d, "readonly", NULL));
	d = json_object_array_get_idx(disks, KEEL_DISKS_MAX - 1);
	ck_assert_str_eq(json_member_string(d, "vdev"), "xvdp");
	ck_assert(json_object_object_get_ex(d, "readonly", NULL));
	json_object_put(c);
	ck_assert_ptr_null(hv_cmdline_config(argv, argc, getpid()));
}
END_TEST

/*
 * The disks' names survive a re-adoption without the state file: keel-hv
 * is told them (--vdev) and keeld reads them back, so a disk called vda
 * is still vda, not xvda, to blkdeviotune and block-detach.
 */
START_TEST(test_vdevs_kept)
{
	struct hv_cmdline c = cmd();
	struct json_object *config = full_config(), *disks, *back;
	static const char *const names[] = { "vda", "sdb", "hdc" };
	char **argv;
	size_t k = 0;

	ck_assert(json_object_object_get_ex(config, "disks", &disks));
	for (size_t i = 0; i < 3; i++)
		json_object_object_add(json_object_array_get_idx(disks, i),
				       "vdev",
				       json_object_new_string(names[i]));
	argv = build(&c, config);
	ck_assert_ptr_nonnull(argv);
	for (size_t i = 1; argv[i]; i++) {
		char want[32];

		if (strncmp(argv[i], "--" HV_OPT_VDEV "=", 7))
			continue;
		snprintf(want, sizeof(want), "--" HV_OPT_VDEV "=vblk%zu:%s", k,
			 names[k]);
		ck_assert_str_eq(argv[i], want);
		k++;
	}
	ck_assert_uint_eq(k, 3);
	back = hv_cmdline_config(argv, argc_of(argv), getpid());
	ck_assert_ptr_nonnull(back);
	json_object_object_add(config, "rng", json_object_new_boolean(1));
	ck_assert_msg(json_object_equal(back, config), "got %s\nwant %s",
		      json_object_to_json_string(back),
		      json_object_to_json_string(config));
	json_object_put(back);
	hv_cmdline_free(argv);
	json_object_put(config);
}
END_TEST

/* A --vdev keeld would not have written is not ours to adopt. */
START_TEST(test_vdev_refused)
{
	static const char *const bad[] = {
		"--vdev=vblk0:xvda1",		/* a partition */
		"--vdev=vblk0:nvme0n1",		/* not xl's */
		"--vdev=vblk1:xvdb",		/* no such disk */
		"--vdev=vblk16:xvdb",		/* beyond the most */
		"--vdev=disk0:xvda",
		"--vdev=vblk0:",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *argv[] = { "keel-hv", "--name=web", "--uuid=" UUID,
				 "--kernel=/k", "--disk=/d0", (char *)bad[i] };

		ck_assert_msg(!hv_cmdline_config(argv, 6, getpid()), "%s",
			      bad[i]);
	}
	{
		/* the same disk twice */
		char *argv[] = { "keel-hv", "--name=web", "--uuid=" UUID,
				 "--kernel=/k", "--vdev=vblk0:vda",
				 "--disk=/d0", "--vdev=vblk0:vdb" };

		ck_assert_ptr_null(hv_cmdline_config(argv, 7, getpid()));
	}
	{
		/* before its disk is fine, as keel-hv takes it */
		char *argv[] = { "keel-hv", "--name=web", "--uuid=" UUID,
				 "--kernel=/k", "--vdev=vblk0:sda",
				 "--disk=/d0" };
		struct json_object *c = hv_cmdline_config(argv, 6, getpid());
		struct json_object *disks;

		ck_assert_ptr_nonnull(c);
		ck_assert(json_object_object_get_ex(c, "disks", &disks));
		ck_assert_str_eq(json_member_string(
					 json_object_array_get_idx(disks, 0),
					 "vdev"),
				 "sda");
		json_object_put(c);
	}
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("hv_cmdline");
	TCase *tc = tcase_create("hv_cmdline");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_round_trip_loses);
	tcase_add_test(tc, test_options);
	tcase_add_test(tc, test_restore);
	tcase_add_test(tc, test_cpus);
	tcase_add_test(tc, test_dump_on);
	tcase_add_test(tc, test_is_ours);
	tcase_add_test(tc, test_config_refused);
	tcase_add_test(tc, test_config_disks_by_path);
	tcase_add_test(tc, test_vdevs_kept);
	tcase_add_test(tc, test_vdev_refused);
	suite_add_tcase(s, tc);
	return s;
}
