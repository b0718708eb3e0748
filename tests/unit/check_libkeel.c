// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libkeel (lib/libkeel*.c) against a fake keeld (fake_keeld.h) that
 * reads the client's requests and answers scripted lines. What is
 * checked: the method and params each typed call sends, how results,
 * keeld's errors, malformed replies, a peer that goes away and
 * over-long lines are read, and the event queue.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "keel.h"
#include "fake_keeld.h"
#include "monotime.h"
#include "runner.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Request @i was @method with @params (NULL: none), id @i + 1. */
static void assert_request(const struct fake_keeld *f, size_t i,
			   const char *method, const char *params)
{
	fake_keeld_assert_request(f, i, (int)i + 1, method, params);
}

static const char *plain(struct json_object *obj)
{
	return json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
}

static void assert_error(struct keel_conn *c, int code, const char *name)
{
	fake_keeld_assert_error(keel_last_error(c), code, name);
}

#define UUID "6f1c1e0a-3b5d-4c7e-9a2b-0123456789ab"
#define UUID2 "11111111-2222-3333-4444-555555555555"
/* What a listing shows: memory, vCPUs, CPU time (JSON text each). */
#define RES(memory, vcpus, cpu_time)                                        \
	",\"memory\":" memory ",\"vcpus\":" vcpus ",\"cpu_time\":" cpu_time
#define RES_DEFAULT RES("256", "1", "0.0")
/* A DomainSummary's members, and one whole. */
#define SUMMARY_RES(name, id, state, reason, res)                           \
	"\"name\":\"" name "\",\"uuid\":\"" UUID "\",\"id\":" id              \
	",\"state\":\"" state "\",\"reason\":\"" reason                        \
	"\",\"persistent\":true,\"autostart\":false" res
#define SUMMARY(name, id, state, reason)                                    \
	SUMMARY_RES(name, id, state, reason, RES_DEFAULT)
#define DOM(name, id, state, reason) "{" SUMMARY(name, id, state, reason) "}"
#define DOM_RES(name, id, state, reason, res)                               \
	"{" SUMMARY_RES(name, id, state, reason, res) "}"
#define WEB DOM("web", "3", "running", "booted")
/* A DomainInfo: a summary and a config. */
#define INFO(state, reason, config)                                         \
	"{" SUMMARY("web", "3", state, reason) ",\"config\":" config "}"
#define HOST                                                                 \
	"{\"hostname\":\"h1\",\"version\":\"0.1.0\",\"nr_cpus\":8,"          \
	"\"memory_mib\":65536,\"nr_domains\":2}"
#define EVENT(ev, detail, state)                                            \
	"{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{"            \
	"\"type\":\"lifecycle\",\"event\":\"" ev "\",\"detail\":\"" detail   \
	"\",\"domain\":{\"name\":\"web\",\"uuid\":\"" UUID "\",\"id\":3},"   \
	"\"state\":\"" state "\",\"reason\":\"" detail                       \
	"\",\"timestamp\":1700000000.25}}\n"

START_TEST(test_version_and_states)
{
	ck_assert_str_eq(keel_version(), PACKAGE_VERSION);
	ck_assert_str_eq(keel_state_name(KEEL_STATE_NOSTATE), "nostate");
	ck_assert_str_eq(keel_state_name(KEEL_STATE_RUNNING), "running");
	ck_assert_str_eq(keel_state_name(KEEL_STATE_SHUTOFF), "shutoff");
	ck_assert_str_eq(keel_state_name(KEEL_STATE_PMSUSPENDED),
			 "pmsuspended");
	ck_assert_ptr_null(keel_state_name((enum keel_domain_state)8));
	ck_assert_ptr_null(keel_state_name((enum keel_domain_state)-1));
}
END_TEST

/* mem-set and mem-max: the domain and the MiB, by name or uuid. */
START_TEST(test_memory_requests)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true,
		  .send = ERROR("{\"code\":-32602,\"message\":\"Above maxmem.\",\"data\":{\"field\":\"/memory_mib\"}}") },
	};
	struct keel_domain d = { .memory_mib = 0 };
	struct keel_conn *c;
	struct fake_keeld f;

	fake_keeld_start(&f, steps, N(steps));
	c = fake_keeld_connect(&f);
	ck_assert_int_eq(keel_domain_set_memory(c, "web", 512, &d), 0);
	ck_assert_str_eq(d.name, "web");
	ck_assert_int_eq(keel_domain_set_maxmem(c, UUID, 2048, NULL), 0);
	ck_assert_int_eq(keel_domain_set_memory(c, "web", 4096, &d), -1);
	ck_assert_int_eq(keel_last_error(c)->code, -32602);
	ck_assert_str_eq(keel_last_error(c)->field, "/memory_mib");
	keel_close(c);
	fake_keeld_stop(&f);
	assert_request(&f, 0, "domain.set_memory",
		       "{\"name\":\"web\",\"memory_mib\":512}");
	assert_request(&f, 1, "domain.set_maxmem",
		       "{\"uuid\":\"" UUID "\",\"maxmem_mib\":2048}");
	assert_request(&f, 2, "domain.set_memory",
		       "{\"name\":\"web\",\"memory_mib\":4096}");
	ck_assert_uint_eq(f.nr_req, 3);
	fake_keeld_free(&f);
}
END_TEST

/*
 * dmesg, dmesg -c and config-update: their requests, and host.dmesg's
 * lines read into one block; a line of the wrong shape fails the call.
 */
START_TEST(test_dmesg_config_update)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true,
		  .send = REPLY("{\"lines\":[{\"seq\":7,\"time\":1764900000.25,\"level\":\"warning\",\"message\":\"Domain web crashed.\"},{\"seq\":9,\"time\":1764900001,\"level\":\"info\",\"message\":\"\"}]}") },
		{ .read = true, .send = REPLY("{\"cleared\":2}") },
		{ .read = true, .send = REPLY("{\"cleared\":0}") },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true,
		  .send = REPLY("{\"lines\":[{\"seq\":0,\"time\":1,\"level\":\"info\",\"message\":\"x\"}]}") },
		{ .read = true,
		  .send = REPLY("{\"lines\":[{\"seq\":1,\"time\":1,\"level\":\"loud\",\"message\":\"x\"}]}") },
	};
	struct json_object *cfg = json_tokener_parse("{\"name\":\"web\",\"memory\":256}");
	struct keel_dmesg_line *l = NULL;
	unsigned long long cleared = 99;
	struct keel_domain d = { .memory_mib = 0 };
	struct keel_conn *c;
	struct fake_keeld f;
	size_t n = 5;

	fake_keeld_start(&f, steps, N(steps));
	c = fake_keeld_connect(&f);
	ck_assert_int_eq(keel_host_dmesg(c, &l, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(l[0].seq, 7);
	ck_assert(l[0].time == 1764900000.25);
	ck_assert_str_eq(l[0].level, "warning");
	ck_assert_str_eq(l[0].message, "Domain web crashed.");
	ck_assert_uint_eq(l[1].seq, 9);
	ck_assert_str_eq(l[1].level, "info");
	ck_assert_str_eq(l[1].message, "");
	free(l);
	ck_assert_int_eq(keel_host_dmesg_clear(c, 9, &cleared), 0);
	ck_assert_uint_eq(cleared, 2);
	ck_assert_int_eq(keel_host_dmesg_clear(c, 0, NULL), 0);
	ck_assert_int_eq(keel_domain_config_update(c, "web", cfg, &d), 0);
	ck_assert_str_eq(d.name, "web");
	/* Refused locally: nothing is sent. */
	ck_assert_int_eq(keel_domain_config_update(c, "web", NULL, NULL), -1);
	ck_assert_str_eq(keel_last_error(c)->field, "/config");
	ck_assert_int_eq(keel_host_dmesg_clear(c, 1ULL << 63, NULL), -1);
	ck_assert_int_eq(keel_host_dmesg(c, &l, &n), -1);
	ck_assert_int_eq(keel_last_error(c)->code, KEEL_E_PROTOCOL);
	ck_assert_int_eq(keel_host_dmesg(c, &l, &n), -1);
	ck_assert_int_eq(keel_last_error(c)->code, KEEL_E_PROTOCOL);
	ck_assert_msg(strstr(keel_last_error(c)->message, "level"), "%s",
		      keel_last_error(c)->message);
	keel_close(c);
	fake_keeld_stop(&f);
	assert_request(&f, 0, "host.dmesg", NULL);
	assert_request(&f, 1, "host.dmesg_clear", "{\"upto\":9}");
	assert_request(&f, 2, "host.dmesg_clear", NULL);
	assert_request(&f, 3, "domain.config_update",
		       "{\"name\":\"web\",\"config\":{\"name\":\"web\",\"memory\":256}}");
	assert_request(&f, 4, "host.dmesg", NULL);
	assert_request(&f, 5, "host.dmesg", NULL);
	ck_assert_uint_eq(f.nr_req, 6);
	/* The config was borrowed: still ours, and unchanged. */
	ck_assert_str_eq(plain(cfg), "{\"name\":\"web\",\"memory\":256}");
	json_object_put(cfg);
	fake_keeld_free(&f);
}
END_TEST

/* Every typed call: its method, its params, name vs. uuid, flags. */
START_TEST(test_requests)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .send = REPLY(HOST) },
		{ .read = true, .send = REPLY("[]") },
		{ .read = true, .send = REPLY("[]") },
		{ .read = true, .send = REPLY("[]") },
		{ .read = true, .send = REPLY(INFO("running", "booted", "{}")) },
		{ .read = true, .send = REPLY(INFO("running", "booted", "{}")) },
		{ .read = true, .send = REPLY("{\"name\":\"web\"}") },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY("{}") },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY("{\"vcpus\":[]}") },
		{ .read = true, .send = REPLY("{\"subscribed\":true}") },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY("{\"any\":1}") },
	};
	struct json_object *cfg = json_tokener_parse("{\"name\":\"web\",\"memory\":256}");
	struct json_object *out = NULL;
	struct keel_host_info host;
	struct keel_domain d, *list = NULL;
	struct fake_keeld f;
	struct keel_conn *c;
	size_t n = 99, i = 0;

	fake_keeld_start(&f, steps, N(steps));
	c = fake_keeld_connect(&f);
	ck_assert_int_eq(keel_host_info(c, &host), 0);
	ck_assert_int_eq(keel_domain_list(c, &list, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_nonnull(list);
	free(list);
	/* The configurations come with the list, in the same call. */
	ck_assert_int_eq(keel_domain_list_info(c, &list, &n, &out), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_nonnull(list);
	ck_assert_str_eq(plain(out), "[]");
	json_object_put(out);
	free(list);
	/* Without @configs it is keel_domain_list(). */
	ck_assert_int_eq(keel_domain_list_info(c, &list, &n, NULL), 0);
	free(list);
	ck_assert_int_eq(keel_domain_info(c, "web", &d, NULL), 0);
	/* Any case is a uuid; keeld compares case-insensitively. */
	ck_assert_int_eq(keel_domain_info(c, "6F1C1E0A-3B5D-4C7E-9A2B-0123456789AB", NULL, NULL), 0);
	ck_assert_int_eq(keel_domain_config(c, "web", &out), 0);
	json_object_put(out);
	ck_assert_int_eq(keel_domain_define(c, cfg, &d), 0);
	ck_assert_int_eq(keel_domain_create(c, cfg, KEEL_START_PAUSED, NULL),
			 0);
	ck_assert_int_eq(keel_domain_create(c, cfg, 0, NULL), 0);
	ck_assert_int_eq(keel_domain_undefine(c, UUID), 0);
	ck_assert_int_eq(keel_domain_start(c, "web", 0, &d), 0);
	ck_assert_int_eq(keel_domain_start(c, UUID, KEEL_START_PAUSED, &d), 0);
	ck_assert_int_eq(keel_domain_pause(c, "web", &d), 0);
	ck_assert_int_eq(keel_domain_unpause(c, "web", NULL), 0);
	ck_assert_int_eq(keel_domain_shutdown(c, "web", -1, 0, &d), 0);
	ck_assert_int_eq(keel_domain_shutdown(c, "web", 30, KEEL_SHUTDOWN_WAIT, &d), 0);
	ck_assert_int_eq(keel_domain_shutdown(c, "web", 0, 0, &d), 0);
	ck_assert_int_eq(keel_domain_reboot(c, "web", &d), 0);
	ck_assert_int_eq(keel_domain_destroy(c, "web", &d), 0);
	ck_assert_int_eq(keel_domain_rename(c, "web", "db", &d), 0);
	ck_assert_int_eq(keel_domain_autostart(c, "web", true, &d), 0);
	ck_assert_int_eq(keel_domain_autostart(c, UUID, false, &d), 0);
	ck_assert_int_eq(keel_domain_stats(c, "web", &out), 0);
	json_object_put(out);
	ck_assert_int_eq(keel_events_subscribe(c), 0);
	/* Almost a uuid: a name. */
	ck_assert_int_eq(keel_domain_pause(c, "6f1c1e0a-3b5d-4c7e-9a2b-0123456789ag", NULL), 0);
	ck_assert_int_eq(keel_domain_pause(c, "6f1c1e0a-3b5d-4c7e-9a2b-0123456789abc", NULL), 0);
	ck_assert_int_eq(keel_call(c, "some.method", json_tokener_parse("[1,2]"), NULL), 0);
	keel_close(c);
	fake_keeld_stop(&f);

	assert_request(&f, i++, "host.info", NULL);
	assert_request(&f, i++, "domain.list", NULL);
	assert_request(&f, i++, "domain.list", "{\"config\":true}");
	assert_request(&f, i++, "domain.list", NULL);
	assert_request(&f, i++, "domain.info", "{\"name\":\"web\"}");
	assert_request(&f, i++, "domain.info", "{\"uuid\":\"6F1C1E0A-3B5D-4C7E-9A2B-0123456789AB\"}");
	assert_request(&f, i++, "domain.config", "{\"name\":\"web\"}");
	assert_request(&f, i++, "domain.define", "{\"config\":{\"name\":\"web\",\"memory\":256}}");
	assert_request(&f, i++, "domain.create", "{\"config\":{\"name\":\"web\",\"memory\":256},\"paused\":true}");
	assert_request(&f, i++, "domain.create", "{\"config\":{\"name\":\"web\",\"memory\":256}}");
	assert_request(&f, i++, "domain.undefine", "{\"uuid\":\"" UUID "\"}");
	assert_request(&f, i++, "domain.start", "{\"name\":\"web\"}");
	assert_request(&f, i++, "domain.start", "{\"uuid\":\"" UUID "\",\"paused\":true}");
	assert_request(&f, i++, "domain.pause", "{\"name\":\"web\"}");
	assert_request(&f, i++, "domain.unpause", "{\"name\":\"web\"}");
	assert_request(&f, i++, "domain.shutdown", "{\"name\":\"web\"}");
	assert_request(&f, i++, "domain.shutdown", "{\"name\":\"web\",\"timeout\":30,\"wait\":true}");
	assert_request(&f, i++, "domain.shutdown", "{\"name\":\"web\",\"timeout\":0}");
	assert_request(&f, i++, "domain.reboot", "{\"name\":\"web\"}");
	assert_request(&f, i++, "domain.destroy", "{\"name\":\"web\"}");
	assert_request(&f, i++, "domain.rename", "{\"name\":\"web\",\"new_name\":\"db\"}");
	assert_request(&f, i++, "domain.autostart", "{\"name\":\"web\",\"enabled\":true}");
	assert_request(&f, i++, "domain.autostart", "{\"uuid\":\"" UUID "\",\"enabled\":false}");
	assert_request(&f, i++, "domain.stats", "{\"name\":\"web\"}");
	assert_request(&f, i++, "events.subscribe", NULL);
	assert_request(&f, i++, "domain.pause", "{\"name\":\"6f1c1e0a-3b5d-4c7e-9a2b-0123456789ag\"}");
	assert_request(&f, i++, "domain.pause", "{\"name\":\"6f1c1e0a-3b5d-4c7e-9a2b-0123456789abc\"}");
	assert_request(&f, i++, "some.method", "[1,2]");
	ck_assert_uint_eq(f.nr_req, i);
	ck_assert_uint_eq(f.rx_len, 0);
	/* The config was borrowed: still ours, and unchanged. */
	ck_assert_str_eq(plain(cfg), "{\"name\":\"web\",\"memory\":256}");
	json_object_put(cfg);
	fake_keeld_free(&f);
}
END_TEST

START_TEST(test_results)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .send = REPLY(HOST) },
		{ .read = true,
		  .send = REPLY("[" DOM("a", "1", "running", "booted") ","
				DOM("b", "null", "shutoff", "shutdown") ","
				DOM("c", "0", "nostate", "unknown") ","
				DOM("d", "4", "blocked", "unknown") ","
				DOM("e", "5", "paused", "user") ","
				DOM("f", "6", "shutdown", "user") ","
				DOM("g", "null", "crashed", "panicked") ","
				DOM("h", "8", "pmsuspended", "unknown") "]") },
		{ .read = true,
		  .send = REPLY("{\"name\":\"web\",\"uuid\":\"" UUID "\","
				"\"id\":null,\"state\":\"shutoff\","
				"\"reason\":\"destroyed\","
				"\"persistent\":false,\"autostart\":true,"
				"\"memory\":4096,\"vcpus\":2,\"cpu_time\":0,"
				"\"config\":{\"vcpus\":2}}") },
		/* What a listing shows; the CPU time an integer or not. */
		{ .read = true,
		  .send = REPLY("[" DOM_RES("a", "1", "running", "booted",
					    RES("16", "1", "12.5")) ","
				DOM_RES("b", "null", "shutoff", "shutdown",
					RES("1048576", "64", "0")) ","
				DOM_RES("c", "2", "paused", "user",
					RES("0", "0", "3")) "]") },
		{ .read = true,
		  .send = REPLY("[{" SUMMARY_RES("a", "1", "running", "booted",
						 RES("16", "1", "1.5"))
				",\"config\":{\"name\":\"a\",\"memory\":16}},{"
				SUMMARY("b", "null", "shutoff", "shutdown")
				",\"config\":{\"name\":\"b\"},\"later\":1}]") },
		{ .read = true, .send = REPLY("{\"vcpus\":2}") },
		{ .read = true, .send = REPLY("{\"x\":[1]}") },
		{ .read = true, .send = REPLY("null") },
		{ .read = true, .send = REPLY("42") },
	};
	static const struct {
		const char *name;
		int id;
		enum keel_domain_state state;
		const char *reason;
	} want[] = {
		{ "a", 1, KEEL_STATE_RUNNING, "booted" },
		{ "b", -1, KEEL_STATE_SHUTOFF, "shutdown" },
		{ "c", 0, KEEL_STATE_NOSTATE, "unknown" },
		{ "d", 4, KEEL_STATE_BLOCKED, "unknown" },
		{ "e", 5, KEEL_STATE_PAUSED, "user" },
		{ "f", 6, KEEL_STATE_SHUTDOWN, "user" },
		{ "g", -1, KEEL_STATE_CRASHED, "panicked" },
		{ "h", 8, KEEL_STATE_PMSUSPENDED, "unknown" },
	};
	struct json_object *cfg = NULL, *res = (void *)1;
	struct keel_host_info host;
	struct keel_domain *list, d;
	struct fake_keeld f;
	struct keel_conn *c;
	size_t n;

	fake_keeld_start(&f, steps, N(steps));
	c = fake_keeld_connect(&f);

	ck_assert_int_eq(keel_host_info(c, &host), 0);
	ck_assert_str_eq(host.hostname, "h1");
	ck_assert_str_eq(host.version, "0.1.0");
	ck_assert_int_eq(host.nr_cpus, 8);
	ck_assert_int_eq(host.memory_mib, 65536);
	ck_assert_int_eq(host.nr_domains, 2);

	ck_assert_int_eq(keel_domain_list(c, &list, &n), 0);
	ck_assert_uint_eq(n, N(want));
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(list[i].name, want[i].name);
		ck_assert_str_eq(list[i].uuid, UUID);
		ck_assert_int_eq(list[i].id, want[i].id);
		ck_assert_int_eq(list[i].state, want[i].state);
		ck_assert_str_eq(list[i].reason, want[i].reason);
		ck_assert(list[i].persistent);
		ck_assert(!list[i].autostart);
		ck_assert_int_eq(list[i].memory_mib, 256);
		ck_assert_int_eq(list[i].vcpus, 1);
		ck_assert(list[i].cpu_time == 0);
	}
	free(list);

	ck_assert_int_eq(keel_domain_info(c, "web", &d, &cfg), 0);
	ck_assert_str_eq(d.name, "web");
	ck_assert_int_eq(d.memory_mib, 4096);
	ck_assert_int_eq(d.vcpus, 2);
	ck_assert(d.cpu_time == 0);
	ck_assert_int_eq(d.id, -1);
	ck_assert_int_eq(d.state, KEEL_STATE_SHUTOFF);
	ck_assert_str_eq(d.reason, "destroyed");
	ck_assert(!d.persistent);
	ck_assert(d.autostart);
	ck_assert_str_eq(plain(cfg), "{\"vcpus\":2}");
	json_object_put(cfg);

	ck_assert_int_eq(keel_domain_list(c, &list, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(list[0].memory_mib, 16);
	ck_assert_int_eq(list[0].vcpus, 1);
	ck_assert(list[0].cpu_time == 12.5);
	ck_assert_int_eq(list[1].memory_mib, 1048576);
	ck_assert_int_eq(list[1].vcpus, 64);
	ck_assert(list[1].cpu_time == 0);
	ck_assert_int_eq(list[2].memory_mib, 0);
	ck_assert_int_eq(list[2].vcpus, 0);
	ck_assert(list[2].cpu_time == 3);
	free(list);

	ck_assert_int_eq(keel_domain_list_info(c, &list, &n, &cfg), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0].name, "a");
	ck_assert(list[0].cpu_time == 1.5);
	ck_assert_str_eq(list[1].name, "b");
	ck_assert_int_eq(list[1].id, -1);
	ck_assert_int_eq(list[1].memory_mib, 256);
	ck_assert_str_eq(plain(cfg),
			 "[{\"name\":\"a\",\"memory\":16},{\"name\":\"b\"}]");
	json_object_put(cfg);
	free(list);

	ck_assert_int_eq(keel_domain_config(c, "web", &cfg), 0);
	ck_assert_str_eq(plain(cfg), "{\"vcpus\":2}");
	json_object_put(cfg);
	ck_assert_int_eq(keel_domain_stats(c, "web", &cfg), 0);
	ck_assert_str_eq(plain(cfg), "{\"x\":[1]}");
	json_object_put(cfg);

	/* keel_call hands out whatever the result is; JSON null is NULL. */
	ck_assert_int_eq(keel_call(c, "x.null", NULL, &res), 0);
	ck_assert_ptr_null(res);
	ck_assert_int_eq(keel_call(c, "x.int", NULL, &res), 0);
	ck_assert_int_eq(json_object_get_int(res), 42);
	json_object_put(res);
	ck_assert_int_eq(keel_last_error(c)->code, 0);

	keel_close(c);
	fake_keeld_stop(&f);
	fake_keeld_free(&f);
}
END_TEST

START_TEST(test_keeld_errors)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true,
		  .send = ERROR("{\"code\":-32001,\"message\":\"No domain is named \\\"nope\\\".\",\"data\":{\"field\":\"/name\"}}") },
		{ .read = true,
		  .send = ERROR("{\"code\":-32003,\"message\":\"The domain is not running.\"}") },
		{ .read = true,
		  .send = ERROR("{\"code\":-32099,\"message\":\"Something new.\",\"data\":{\"field\":7}}") },
		{ .read = true,
		  .send = ERROR("{\"code\":-32602,\"message\":\"maxmem must be at least memory.\",\"data\":{\"field\":\"/config/maxmem\"}}") },
		{ .read = true, .send = REPLY(WEB) },
		/* keeld could not read the request: it answers with id null. */
		{ .read = true,
		  .send = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"The message is not valid JSON.\"}}\n" },
	};
	struct json_object *cfg = json_object_new_object();
	const struct keel_error *e;
	struct keel_domain d;
	struct fake_keeld f;
	struct keel_conn *c;

	fake_keeld_start(&f, steps, N(steps));
	c = fake_keeld_connect(&f);

	ck_assert_int_eq(keel_domain_info(c, "nope", &d, NULL), -1);
	e = keel_last_error(c);
	ck_assert_int_eq(e->code, KEEL_E_NO_DOMAIN);
	ck_assert_str_eq(e->name, "no-domain");
	ck_assert_str_eq(e->message, "No domain is named \"nope\".");
	ck_assert_str_eq(e->field, "/name");

	ck_assert_int_eq(keel_domain_pause(c, "web", &d), -1);
	e = keel_last_error(c);
	ck_assert_int_eq(e->code, KEEL_E_INVALID_STATE);
	ck_assert_str_eq(e->name, "invalid-state");
	ck_assert_str_eq(e->message, "The domain is not running.");
	ck_assert_ptr_null(e->field);

	ck_assert_int_eq(keel_domain_pause(c, "web", &d), -1);
	e = keel_last_error(c);
	ck_assert_int_eq(e->code, -32099);
	ck_assert_str_eq(e->name, "unknown");
	ck_assert_ptr_null(e->field);

	ck_assert_int_eq(keel_domain_define(c, cfg, NULL), -1);
	e = keel_last_error(c);
	ck_assert_int_eq(e->code, -32602);
	ck_assert_str_eq(e->name, "invalid-params");
	ck_assert_str_eq(e->field, "/config/maxmem");

	/* An error is not a broken connection; success clears it. */
	ck_assert_int_eq(keel_domain_pause(c, "web", &d), 0);
	ck_assert_int_eq(keel_last_error(c)->code, 0);
	ck_assert_ptr_null(keel_last_error(c)->field);

	ck_assert_int_eq(keel_domain_pause(c, "web", &d), -1);
	assert_error(c, -32700, "parse-error");

	keel_close(c);
	fake_keeld_stop(&f);
	json_object_put(cfg);
	fake_keeld_free(&f);
}
END_TEST

/*
 * Malformed replies that leave the stream in step (the reply had our id
 * but the wrong content): KEEL_E_PROTOCOL, and the next call works.
 */
/* A reply whose summary has @res for memory, vcpus and cpu_time. */
#define BAD_RES(res) REPLY(DOM_RES("web", "3", "running", "booted", res))

START_TEST(test_bad_results)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .send = REPLY("\"web\"") },
		/* no state */
		{ .read = true,
		  .send = REPLY("{\"name\":\"web\",\"uuid\":\"" UUID "\","
				"\"id\":3,\"reason\":\"booted\","
				"\"persistent\":true,\"autostart\":false"
				RES_DEFAULT "}") },
		{ .read = true, .send = REPLY(DOM("web", "3", "zombie", "booted")) },
		{ .read = true, .send = REPLY(DOM("web", "\"3\"", "running", "booted")) },
		{ .read = true, .send = REPLY(DOM("web", "-4", "running", "booted")) },
		{ .read = true, .send = REPLY(DOM("web", "3", "running", "a-reason-much-longer-than-thirty-one-bytes")) },
		{ .read = true, .send = REPLY(DOM("a-name-that-is-much-longer-than-sixty-four-characters-which-keel-forbids", "3", "running", "booted")) },
		/* no id */
		{ .read = true,
		  .send = REPLY("{\"name\":\"web\",\"uuid\":\"" UUID "\","
				"\"state\":\"running\",\"reason\":\"booted\","
				"\"persistent\":true,\"autostart\":false"
				RES_DEFAULT "}") },
		/* persistent not a boolean */
		{ .read = true,
		  .send = REPLY("{\"name\":\"web\",\"uuid\":\"" UUID "\","
				"\"id\":3,\"state\":\"running\","
				"\"reason\":\"booted\","
				"\"persistent\":1,\"autostart\":false"
				RES_DEFAULT "}") },
		/* what a listing shows: missing, mistyped, out of range */
		{ .read = true, .send = BAD_RES(",\"vcpus\":1,\"cpu_time\":0") },
		{ .read = true, .send = BAD_RES(",\"memory\":16,\"cpu_time\":0") },
		{ .read = true, .send = BAD_RES(",\"memory\":16,\"vcpus\":1") },
		{ .read = true, .send = BAD_RES(RES("\"16\"", "1", "0")) },
		{ .read = true, .send = BAD_RES(RES("-1", "1", "0")) },
		{ .read = true, .send = BAD_RES(RES("16", "1.5", "0")) },
		{ .read = true, .send = BAD_RES(RES("16", "4294967296", "0")) },
		{ .read = true, .send = BAD_RES(RES("16", "1", "\"0\"")) },
		{ .read = true, .send = BAD_RES(RES("16", "1", "-0.5")) },
		{ .read = true, .send = BAD_RES(RES("16", "1", "null")) },
		{ .read = true, .send = REPLY("{\"domains\":[]}") },
		{ .read = true, .send = REPLY("[" WEB ",{}]") },
		/* with configurations: one lacks it, one is not an object */
		{ .read = true,
		  .send = REPLY("[{" SUMMARY("web", "3", "running", "booted")
				",\"config\":{}}," WEB "]") },
		{ .read = true,
		  .send = REPLY("[{" SUMMARY("web", "3", "running", "booted")
				",\"config\":[]}]") },
		{ .read = true, .send = REPLY(WEB) },
		{ .read = true, .send = REPLY("{\"hostname\":\"h\",\"version\":\"1\",\"memory_mib\":1,\"nr_domains\":0}") },
		{ .read = true, .send = REPLY("[]") },
		{ .read = true, .send = REPLY("{\"subscribed\":false}") },
		{ .read = true, .send = REPLY("null") },
		{ .read = true, .send = REPLY(WEB) },
	};
	struct keel_domain d, *list = (void *)1;
	struct json_object *cfg = (void *)1;
	struct keel_host_info host;
	struct fake_keeld f;
	struct keel_conn *c;
	size_t n = 1;

	fake_keeld_start(&f, steps, N(steps));
	c = fake_keeld_connect(&f);
	for (int i = 0; i < 19; i++) {
		ck_assert_int_eq(keel_domain_pause(c, "web", &d), -1);
		assert_error(c, KEEL_E_PROTOCOL, "protocol");
	}
	ck_assert_int_eq(keel_domain_list(c, &list, &n), -1);
	assert_error(c, KEEL_E_PROTOCOL, "protocol");
	ck_assert_ptr_null(list);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(keel_domain_list(c, &list, &n), -1);
	assert_error(c, KEEL_E_PROTOCOL, "protocol");
	for (int i = 0; i < 2; i++) {
		n = 1;
		list = (void *)1;
		cfg = (void *)1;
		ck_assert_int_eq(keel_domain_list_info(c, &list, &n, &cfg), -1);
		assert_error(c, KEEL_E_PROTOCOL, "protocol");
		ck_assert_ptr_null(list);
		ck_assert_ptr_null(cfg);
		ck_assert_uint_eq(n, 0);
	}
	/* domain.info without its config */
	ck_assert_int_eq(keel_domain_info(c, "web", &d, &cfg), -1);
	assert_error(c, KEEL_E_PROTOCOL, "protocol");
	ck_assert_ptr_null(cfg);
	ck_assert_int_eq(keel_host_info(c, &host), -1);
	assert_error(c, KEEL_E_PROTOCOL, "protocol");
	ck_assert_int_eq(keel_domain_stats(c, "web", &cfg), -1);
	assert_error(c, KEEL_E_PROTOCOL, "protocol");
	ck_assert_int_eq(keel_events_subscribe(c), -1);
	assert_error(c, KEEL_E_PROTOCOL, "protocol");
	ck_assert_int_eq(keel_domain_undefine(c, "web"), -1);
	assert_error(c, KEEL_E_PROTOCOL, "protocol");
	/* Still in step. */
	ck_assert_int_eq(keel_domain_pause(c, "web", &d), 0);
	ck_assert_str_eq(d.name, "web");
	keel_close(c);
	fake_keeld_stop(&f);
	fake_keeld_free(&f);
}
END_TEST

/*
 * Lines that cannot be matched to the request: KEEL_E_PROTOCOL, and
 * the connection is closed so no later call reads a stale reply.
 */
static void check_out_of_step(const char *line)
{
	const struct fake_keeld_step steps[] = {
		{ .read = true, .send = line },
	};
	struct keel_domain d;
	struct fake_keeld f;
	struct keel_conn *c;

	fake_keeld_start(&f, steps, N(steps));
	c = fake_keeld_connect(&f);
	ck_assert_int_eq(keel_domain_pause(c, "web", &d), -1);
	assert_error(c, KEEL_E_PROTOCOL, "protocol");
	ck_assert_int_eq(keel_domain_pause(c, "web", &d), -1);
	assert_error(c, KEEL_E_CONNECTION, "connection");
	ck_assert_int_eq(keel_event_dispatch(c), -1);
	keel_close(c);
	fake_keeld_stop(&f);
	ck_assert_uint_eq(f.nr_req, 1);
	ck_assert_uint_eq(f.rx_len, 0);
	fake_keeld_free(&f);
}

START_TEST(test_out_of_step)
{
	static const char *const lines[] = {
		"this is not JSON\n",
		"{\"jsonrpc\":\"2.0\",\"id\":$ID,\"result\":\n",
		"{\"jsonrpc\":\"2.0\",\"id\":999,\"result\":{}}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":{}}\n",
		"{\"jsonrpc\":\"1.0\",\"id\":$ID,\"result\":{}}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":$ID}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":$ID,\"result\":{},\"error\":{\"code\":1,\"message\":\"x\"}}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":$ID,\"error\":{\"code\":\"x\",\"message\":\"x\"}}\n",
		"[{\"jsonrpc\":\"2.0\",\"id\":$ID,\"result\":{}}]\n",
		"null\n",
		"\n",
		"{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"id\":5}\n",
		"{\"jsonrpc\":\"2.0\",\"id\":$ID,\"result\":\"a\\u0000b\"}\n",
	};

	check_out_of_step(lines[_i]);
}
END_TEST

START_TEST(test_peer_closes)
{
	static const struct fake_keeld_step half[] = {
		{ .read = true, .send = "{\"jsonrpc\":\"2.0\",\"id\":$ID,", .close = true },
	};
	static const struct fake_keeld_step none[] = {
		{ .read = true, .close = true },
	};
	static const struct fake_keeld_step *const scripts[] = { half, none };
	struct keel_domain d;
	struct fake_keeld f;
	struct keel_conn *c;

	fake_keeld_start(&f, scripts[_i], 1);
	c = fake_keeld_connect(&f);
	ck_assert_int_eq(keel_domain_destroy(c, "web", &d), -1);
	assert_error(c, KEEL_E_CONNECTION, "connection");
	ck_assert_ptr_nonnull(strstr(keel_last_error(c)->message, "closed"));
	ck_assert_int_eq(keel_domain_destroy(c, "web", &d), -1);
	assert_error(c, KEEL_E_CONNECTION, "connection");
	ck_assert_int_eq(keel_event_dispatch(c), -1);
	ck_assert_int_eq(keel_event_wait(c, -1), -1);
	keel_close(c);
	fake_keeld_stop(&f);
	fake_keeld_free(&f);
}
END_TEST

/* What the event callback saw. */
struct seen {
	int n;
	char event[8][16];
	char detail[8][16];
	struct keel_domain dom[8];
	double timestamp;
	bool raw_ok;
	struct keel_conn *conn;
	int nested_rc;
};

static void on_event(struct keel_conn *c, const struct keel_event *ev,
		     void *opaque)
{
	struct seen *s = opaque;
	struct json_object *v;

	ck_assert_ptr_eq(c, s->conn);
	ck_assert_str_eq(ev->type, "lifecycle");
	if (s->n < 8) {
		snprintf(s->event[s->n], sizeof(s->event[0]), "%s", ev->event);
		snprintf(s->detail[s->n], sizeof(s->detail[0]), "%s",
			 ev->detail);
		s->dom[s->n] = ev->domain;
	}
	s->timestamp = ev->timestamp;
	s->raw_ok = json_object_object_get_ex(ev->raw, "timestamp", &v);
	s->n++;
}

/* Events that arrive before a call's reply are queued, not lost. */
START_TEST(test_events_before_reply)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .send = REPLY("{\"subscribed\":true}") },
		{ .read = true,
		  .send = EVENT("started", "booted", "running")
			  "{\"jsonrpc\":\"2.0\",\"method\":\"future\",\"params\":{}}\n"
			  EVENT("suspended", "paused", "paused")
			  REPLY(HOST)
			  EVENT("resumed", "unpaused", "running") },
	};
	struct seen seen = { .n = 0 };
	struct keel_host_info host;
	struct fake_keeld f;
	struct keel_conn *c;

	fake_keeld_start(&f, steps, N(steps));
	c = fake_keeld_connect(&f);
	seen.conn = c;
	keel_set_event_callback(c, on_event, &seen);
	ck_assert_int_eq(keel_events_subscribe(c), 0);
	ck_assert(!keel_event_pending(c));
	ck_assert_int_eq(keel_host_info(c, &host), 0);
	ck_assert_str_eq(host.hostname, "h1");
	/* Nothing is delivered from inside a call. */
	ck_assert_int_eq(seen.n, 0);
	ck_assert(keel_event_pending(c));
	ck_assert_int_ge(keel_event_dispatch(c), 2);
	/* The third may or may not have been read yet. */
	while (seen.n < 3)
		ck_assert_int_ge(keel_event_wait(c, 2000), 1);
	ck_assert_int_eq(seen.n, 3);
	ck_assert(!keel_event_pending(c));
	ck_assert_str_eq(seen.event[0], "started");
	ck_assert_str_eq(seen.detail[0], "booted");
	ck_assert_str_eq(seen.dom[0].name, "web");
	ck_assert_str_eq(seen.dom[0].uuid, UUID);
	ck_assert_int_eq(seen.dom[0].id, 3);
	ck_assert_int_eq(seen.dom[0].state, KEEL_STATE_RUNNING);
	ck_assert_str_eq(seen.dom[0].reason, "booted");
	ck_assert_str_eq(seen.event[1], "suspended");
	ck_assert_int_eq(seen.dom[1].state, KEEL_STATE_PAUSED);
	ck_assert_str_eq(seen.event[2], "resumed");
	ck_assert(seen.timestamp == 1700000000.25);
	ck_assert(seen.raw_ok);
	ck_assert_int_eq(keel_event_dispatch(c), 0);
	keel_close(c);
	fake_keeld_stop(&f);
	fake_keeld_free(&f);
}
END_TEST

/* A save's progress, as keeld sends it. */
static void on_progress(struct keel_conn *c, const struct keel_event *ev,
			void *opaque)
{
	long long *got = opaque;

	(void)c;
	ck_assert_str_eq(ev->type, "progress");
	ck_assert_str_eq(ev->job, "save");
	ck_assert_str_eq(ev->domain.name, "web");
	got[0] = ev->done;
	got[1] = ev->total;
}

/*
 * save and restore: their requests and flags, the answers read, local
 * refusals (a relative path, unknown flags) that send nothing, and a
 * progress event's job, done and total.
 */
START_TEST(test_save_restore)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true,
		  .send = REPLY("{\"name\":\"web\",\"path\":\"/s/web\",\"then\":\"stop\",\"bytes\":4096}") },
		{ .read = true,
		  .send = REPLY("{\"name\":\"web\",\"path\":\"/s/web\",\"then\":\"pause\"}") },
		{ .read = true, .send = REPLY(DOM("web", "4", "running", "restored")) },
		{ .read = true,
		  .send = ERROR("{\"code\":-32002,\"message\":\"In use.\",\"data\":{\"field\":\"/config/name\"}}") },
		{ .read = true, .send = REPLY("{\"subscribed\":true}") },
		{ .read = true,
		  .send = "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{"
			  "\"type\":\"progress\",\"event\":\"progress\",\"detail\":\"save\","
			  "\"domain\":{\"name\":\"web\",\"uuid\":\"" UUID "\",\"id\":3},"
			  "\"state\":\"running\",\"reason\":\"booted\",\"timestamp\":1.5,"
			  "\"job\":\"save\",\"done\":1024,\"total\":4096}}\n"
			  REPLY(HOST) },
	};
	long long got[2] = { -2, -2 };
	struct json_object *res = NULL;
	struct keel_host_info host;
	struct keel_domain d;
	struct fake_keeld f;
	struct keel_conn *c;

	fake_keeld_start(&f, steps, N(steps));
	c = fake_keeld_connect(&f);
	ck_assert_int_eq(keel_domain_save(c, "web", "/s/web", 0, &res), 0);
	ck_assert_str_eq(json_object_get_string(
				 json_object_object_get(res, "then")),
			 "stop");
	json_object_put(res);
	ck_assert_int_eq(keel_domain_save(c, UUID, "/s/web",
					  KEEL_SAVE_KEEP_RUNNING |
						  KEEL_SAVE_PAUSED,
					  NULL),
			 0);
	ck_assert_int_eq(keel_domain_restore(c, "/s/web", 0, &d), 0);
	ck_assert_str_eq(d.reason, "restored");
	ck_assert_int_eq(d.id, 4);
	ck_assert_int_eq(keel_domain_restore(c, "/s/web", KEEL_RESTORE_PAUSED,
					     &d),
			 -1);
	ck_assert_int_eq(keel_last_error(c)->code, -32002);
	/* Refused here: nothing goes to keeld. */
	ck_assert_int_eq(keel_domain_save(c, "web", "web.save", 0, NULL), -1);
	ck_assert_int_eq(keel_last_error(c)->code, KEEL_E_LOCAL);
	ck_assert_int_eq(keel_domain_save(c, "web", "/s/x", 8, NULL), -1);
	ck_assert_int_eq(keel_domain_restore(c, NULL, 0, NULL), -1);
	ck_assert_int_eq(keel_domain_restore(c, "/s/x", 2, NULL), -1);
	ck_assert_int_eq(keel_last_error(c)->code, KEEL_E_LOCAL);
	keel_set_event_callback(c, on_progress, got);
	ck_assert_int_eq(keel_events_subscribe(c), 0);
	ck_assert_int_eq(keel_host_info(c, &host), 0);
	ck_assert_int_ge(keel_event_dispatch(c), 1);
	ck_assert_int_eq(got[0], 1024);
	ck_assert_int_eq(got[1], 4096);
	keel_close(c);
	fake_keeld_stop(&f);
	assert_request(&f, 0, "domain.save",
		       "{\"name\":\"web\",\"path\":\"/s/web\"}");
	assert_request(&f, 1, "domain.save",
		       "{\"uuid\":\"" UUID "\",\"path\":\"/s/web\",\"keep_running\":true,\"paused\":true}");
	assert_request(&f, 2, "domain.restore", "{\"path\":\"/s/web\"}");
	assert_request(&f, 3, "domain.restore",
		       "{\"path\":\"/s/web\",\"paused\":true}");
	ck_assert_uint_eq(f.nr_req, 6);
	fake_keeld_free(&f);
}
END_TEST

/* keel_event_wait() and the poll() loop libkeel(3) shows. */
START_TEST(test_event_wait_and_poll)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .send = REPLY("{\"subscribed\":true}") },
		{ .delay_ms = 50, .send = EVENT("started", "booted", "running") },
		{ .delay_ms = 300, .send = EVENT("stopped", "shutdown", "shutoff") },
		{ .delay_ms = 50, .send = EVENT("undefined", "removed", "shutoff"), .close = true },
	};
	struct seen seen = { .n = 0 };
	struct pollfd pfd;
	struct fake_keeld f;
	struct keel_conn *c;
	double t0;

	fake_keeld_start(&f, steps, N(steps));
	c = fake_keeld_connect(&f);
	seen.conn = c;
	keel_set_event_callback(c, on_event, &seen);
	ck_assert_int_eq(keel_events_subscribe(c), 0);
	ck_assert_int_eq(keel_event_wait(c, 2000), 1);
	ck_assert_int_eq(seen.n, 1);

	t0 = ((double)monotime_ns() / 1e6);
	ck_assert_int_eq(keel_event_wait(c, 100), 0);
	ck_assert(((double)monotime_ns() / 1e6) - t0 >= 90);
	ck_assert_int_eq(keel_event_wait(c, 0), 0);

	pfd.fd = keel_event_fd(c);
	pfd.events = POLLIN;
	ck_assert_int_ge(pfd.fd, 0);
	while (seen.n < 2) {
		ck_assert_int_eq(poll(&pfd, 1, 2000), 1);
		ck_assert_int_ge(keel_event_dispatch(c), 0);
	}
	ck_assert_str_eq(seen.event[1], "stopped");
	ck_assert_int_eq(seen.dom[1].state, KEEL_STATE_SHUTOFF);

	/* keeld goes away after one more event: it is delivered, then -1. */
	while (keel_event_wait(c, 2000) > 0)
		;
	ck_assert_int_eq(seen.n, 3);
	ck_assert_str_eq(seen.event[2], "undefined");
	ck_assert_int_eq(keel_event_dispatch(c), -1);
	assert_error(c, KEEL_E_CONNECTION, "connection");
	keel_close(c);
	fake_keeld_stop(&f);
	fake_keeld_free(&f);
}
END_TEST

static void call_from_callback(struct keel_conn *c,
			       const struct keel_event *ev, void *opaque)
{
	struct seen *s = opaque;
	struct keel_domain d;

	s->n++;
	s->nested_rc = keel_domain_info(c, ev->domain.uuid, &d, NULL);
}

/*
 * A callback may make calls on its connection; events those calls
 * queue wait for the next dispatch.
 */
START_TEST(test_call_from_callback)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .send = REPLY("{\"subscribed\":true}")
					 EVENT("started", "booted", "running") },
		{ .read = true,
		  .send = EVENT("suspended", "paused", "paused")
			  REPLY(INFO("running", "booted", "{}")) },
		{ .read = true,
		  .send = REPLY(INFO("paused", "user", "{}")) },
	};
	struct seen seen = { .n = 0 };
	struct fake_keeld f;
	struct keel_conn *c;

	fake_keeld_start(&f, steps, N(steps));
	c = fake_keeld_connect(&f);
	keel_set_event_callback(c, call_from_callback, &seen);
	ck_assert_int_eq(keel_events_subscribe(c), 0);
	ck_assert_int_eq(keel_event_wait(c, 2000), 1);
	ck_assert_int_eq(seen.n, 1);
	ck_assert_int_eq(seen.nested_rc, 0);
	ck_assert(keel_event_pending(c));
	ck_assert_int_eq(keel_event_dispatch(c), 1);
	ck_assert_int_eq(seen.n, 2);
	ck_assert_int_eq(seen.nested_rc, 0);
	keel_close(c);
	fake_keeld_stop(&f);
	assert_request(&f, 1, "domain.info", "{\"uuid\":\"" UUID "\"}");
	assert_request(&f, 2, "domain.info", "{\"uuid\":\"" UUID "\"}");
	fake_keeld_free(&f);
}
END_TEST

/*
 * A line longer than JSONRPC_MAX_LINE: the buffer stops growing at the
 * limit and the call fails; one just under the limit is fine.
 */
START_TEST(test_long_lines)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .big = JSONRPC_MAX_LINE - 16 },
		{ .read = true, .big = JSONRPC_MAX_LINE + 4096 },
	};
	struct json_object *res = NULL;
	struct fake_keeld f;
	struct keel_conn *c;

	fake_keeld_start(&f, steps, N(steps));
	c = fake_keeld_connect(&f);
	ck_assert_int_eq(keel_call(c, "x.big", NULL, &res), 0);
	ck_assert_int_eq(json_object_get_string_len(res),
			 JSONRPC_MAX_LINE - 16 - 37);
	json_object_put(res);
	ck_assert_int_eq(keel_call(c, "x.bigger", NULL, &res), -1);
	assert_error(c, KEEL_E_PROTOCOL, "protocol");
	ck_assert_ptr_nonnull(strstr(keel_last_error(c)->message, "longer"));
	ck_assert_ptr_null(res);
	ck_assert_int_eq(keel_call(c, "x.after", NULL, &res), -1);
	assert_error(c, KEEL_E_CONNECTION, "connection");
	keel_close(c);
	fake_keeld_stop(&f);
	fake_keeld_free(&f);
}
END_TEST

/* Bad arguments fail locally and send nothing. */
START_TEST(test_local_errors)
{
	struct json_object *big, *out = (void *)1;
	struct keel_domain d, *list;
	struct fake_keeld f;
	struct keel_conn *c;
	size_t n;
	char *s;

	fake_keeld_start(&f, NULL, 0);
	c = fake_keeld_connect(&f);
	ck_assert_int_eq(keel_last_error(c)->code, 0);
	ck_assert_int_eq(keel_domain_pause(c, NULL, &d), -1);
	assert_error(c, KEEL_E_LOCAL, "local");
	ck_assert_int_eq(keel_domain_info(c, "", &d, &out), -1);
	assert_error(c, KEEL_E_LOCAL, "local");
	ck_assert_ptr_null(out);
	ck_assert_int_eq(keel_domain_start(c, "web", 0x80, &d), -1);
	assert_error(c, KEEL_E_LOCAL, "local");
	ck_assert_int_eq(keel_domain_create(c, NULL, 0, &d), -1);
	assert_error(c, KEEL_E_LOCAL, "local");
	ck_assert_int_eq(keel_domain_shutdown(c, "web", -2, 0, &d), -1);
	assert_error(c, KEEL_E_LOCAL, "local");
	ck_assert_int_eq(keel_domain_shutdown(c, "web", 5, 4, &d), -1);
	assert_error(c, KEEL_E_LOCAL, "local");
	ck_assert_int_eq(keel_domain_rename(c, "web", NULL, &d), -1);
	assert_error(c, KEEL_E_LOCAL, "local");
	ck_assert_int_eq(keel_domain_list(c, &list, NULL), -1);
	assert_error(c, KEEL_E_LOCAL, "local");
	out = (void *)1;
	ck_assert_int_eq(keel_domain_list_info(c, NULL, &n, &out), -1);
	assert_error(c, KEEL_E_LOCAL, "local");
	ck_assert_ptr_null(out);
	ck_assert_int_eq(keel_call(c, NULL, json_object_new_object(), NULL),
			 -1);
	assert_error(c, KEEL_E_LOCAL, "local");
	/* A request over the line limit is refused before it is sent. */
	s = malloc(JSONRPC_MAX_LINE);
	ck_assert_ptr_nonnull(s);
	memset(s, 'a', JSONRPC_MAX_LINE - 1);
	s[JSONRPC_MAX_LINE - 1] = '\0';
	big = json_object_new_object();
	json_object_object_add(big, "blob", json_object_new_string(s));
	free(s);
	ck_assert_int_eq(keel_domain_define(c, big, &d), -1);
	assert_error(c, KEEL_E_LOCAL, "local");
	json_object_put(big);
	/* Nothing queued, nothing readable. */
	ck_assert(!keel_event_pending(c));
	ck_assert_int_eq(keel_event_dispatch(c), 0);
	keel_close(c);
	fake_keeld_stop(&f);
	ck_assert_uint_eq(f.nr_req, 0);
	ck_assert_uint_eq(f.rx_len, 0);

	/* NULL is handled everywhere it can be. */
	keel_close(NULL);
	ck_assert_ptr_nonnull(keel_last_error(NULL));
	ck_assert_ptr_nonnull(keel_last_error(NULL)->message);
	ck_assert_int_eq(keel_event_fd(NULL), -1);
	ck_assert(!keel_event_pending(NULL));
	ck_assert_int_eq(keel_host_info(NULL, NULL), -1);
	ck_assert_int_eq(keel_domain_list(NULL, &list, &n), -1);
	ck_assert_int_eq(keel_domain_list_info(NULL, &list, &n, &out), -1);
	ck_assert_int_eq(keel_call(NULL, "x", json_object_new_object(), NULL), -1);
}
END_TEST

START_TEST(test_connect_errors)
{
	struct keel_conn *c = (void *)1;
	char dir[] = "/tmp/check_libkeel.XXXXXX", path[128], long_path[200];
	char *err = NULL;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/missing.sock", dir);
	ck_assert_int_eq(keel_connect(path, &c, &err), -1);
	ck_assert_ptr_null(c);
	ck_assert_ptr_nonnull(err);
	ck_assert_msg(strstr(err, path) && strstr(err, "keeld") &&
		      strstr(err, "no such socket"), "%s", err);
	free(err);

	/* A path that is no socket */
	ck_assert_int_eq(keel_connect(dir, &c, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, dir));
	free(err);

	/* TLS without a PKI directory fails before any connection. */
	ck_assert_int_eq(keel_connect_pki("tls://host.example:16514", dir, &c,
					  &err),
			 -1);
	ck_assert_msg(strstr(err, "cacert.pem: No such file or directory"),
		      "%s", err);
	free(err);
	ck_assert_int_eq(keel_connect("tls://[::1", &c, &err), -1);
	ck_assert_msg(strstr(err, "is not tls://HOST[:PORT]"), "%s", err);
	free(err);

	ck_assert_int_eq(keel_connect("ssh://host", &c, &err), -1);
	ck_assert_msg(strstr(err, "unknown URI scheme"), "%s", err);
	free(err);

	ck_assert_int_eq(keel_connect("unix:", &c, &err), -1);
	ck_assert_ptr_nonnull(err);
	free(err);

	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[0] = '/';
	long_path[sizeof(long_path) - 1] = '\0';
	ck_assert_int_eq(keel_connect(long_path, &c, &err), -1);
	ck_assert_msg(strstr(err, "at most"), "%s", err);
	free(err);

	/* @err may be NULL. */
	ck_assert_int_eq(keel_connect(path, &c, NULL), -1);
	rmdir(dir);
}
END_TEST

/* "unix:PATH", and $KEEL_URI when @uri is NULL. */
START_TEST(test_connect_uri)
{
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .send = REPLY(HOST) },
	};
	struct keel_host_info host;
	struct keel_conn *c = NULL;
	char uri[160], *err = NULL;
	struct fake_keeld f;

	fake_keeld_start(&f, steps, N(steps));
	snprintf(uri, sizeof(uri), "unix:%s", f.path);
	if (_i == 0) {
		ck_assert_int_eq(keel_connect(uri, &c, &err), 0);
	} else {
		setenv("KEEL_URI", _i == 1 ? uri : f.path, 1);
		ck_assert_int_eq(keel_connect(NULL, &c, &err), 0);
	}
	ck_assert_ptr_null(err);
	ck_assert_int_eq(keel_host_info(c, &host), 0);
	ck_assert_int_eq(host.nr_cpus, 8);
	keel_close(c);
	fake_keeld_stop(&f);
	fake_keeld_free(&f);
}
END_TEST

/* Without $KEEL_URI, NULL means the system socket. */
START_TEST(test_connect_default)
{
	struct keel_conn *c = NULL;
	char *err = NULL;

	unsetenv("KEEL_URI");
	if (keel_connect(NULL, &c, &err) == 0) {
		/* A keeld runs here; nothing to check. */
		keel_close(c);
		return;
	}
	ck_assert_msg(strstr(err, "/run/keel/keeld.sock"), "%s", err);
	free(err);
}
END_TEST

/*
 * Every typed call, as test_wrong_shapes() makes it: returns what the
 * call returned, and checks that a failed call handed nothing back.
 */
struct typed_call {
	const char *method;
	int (*call)(struct keel_conn *c);
	const char *good;	/* a result of the right shape */
	bool object_ok;		/* {} is of the right shape */
	bool array_ok;		/* [] is of the right shape */
};

static int tc_host_info(struct keel_conn *c)
{
	struct keel_host_info h;

	return keel_host_info(c, &h);
}

static int tc_list(struct keel_conn *c)
{
	struct keel_domain *list = (void *)1;
	size_t n = 1;
	int rc = keel_domain_list(c, &list, &n);

	if (rc < 0) {
		ck_assert_ptr_null(list);
		ck_assert_uint_eq(n, 0);
	}
	free(rc < 0 ? NULL : list);
	return rc;
}

static int tc_list_info(struct keel_conn *c)
{
	struct json_object *cfgs = (void *)1;
	struct keel_domain *list = (void *)1;
	size_t n = 1;
	int rc = keel_domain_list_info(c, &list, &n, &cfgs);

	if (rc < 0) {
		ck_assert_ptr_null(list);
		ck_assert_ptr_null(cfgs);
		ck_assert_uint_eq(n, 0);
		return rc;
	}
	free(list);
	json_object_put(cfgs);
	return rc;
}

static int tc_info(struct keel_conn *c)
{
	struct json_object *cfg = (void *)1;
	struct keel_domain d;
	int rc = keel_domain_info(c, "web", &d, &cfg);

	if (rc < 0)
		ck_assert_ptr_null(cfg);
	else
		json_object_put(cfg);
	return rc;
}

/* The calls whose result is handed on as JSON. */
static int tc_json(int (*fn)(struct keel_conn *, const char *,
			     struct json_object **),
		   struct keel_conn *c)
{
	struct json_object *o = (void *)1;
	int rc = fn(c, "web", &o);

	if (rc < 0)
		ck_assert_ptr_null(o);
	else
		json_object_put(o);
	return rc;
}

static int tc_config(struct keel_conn *c)
{
	return tc_json(keel_domain_config, c);
}

static int tc_stats(struct keel_conn *c)
{
	return tc_json(keel_domain_stats, c);
}

static int tc_stats_all(struct keel_conn *c)
{
	struct json_object *o = (void *)1;
	int rc = keel_domain_stats_all(c, &o);

	if (rc < 0)
		ck_assert_ptr_null(o);
	else
		json_object_put(o);
	return rc;
}

static int tc_undefine(struct keel_conn *c)
{
	return keel_domain_undefine(c, "web");
}

static int tc_subscribe(struct keel_conn *c)
{
	return keel_events_subscribe(c);
}

/* The calls whose result is a DomainSummary: @out is kept on failure. */
static int tc_summary_check(int rc, const struct keel_domain *d)
{
	if (rc < 0)
		ck_assert_str_eq(d->name, "untouched");
	else
		ck_assert_str_eq(d->name, "web");
	return rc;
}

#define TC_SUMMARY(fn, ...)                                                  \
	static int tc_##fn(struct keel_conn *c)                              \
	{                                                                    \
		struct keel_domain d = { .name = "untouched" };              \
		return tc_summary_check(keel_domain_##fn(c, __VA_ARGS__, &d), \
					&d);                                 \
	}

static struct json_object *tc_config_obj(void)
{
	static struct json_object *cfg;

	if (!cfg)
		cfg = json_tokener_parse("{\"name\":\"web\"}");
	return cfg;
}

TC_SUMMARY(define, tc_config_obj())
TC_SUMMARY(create, tc_config_obj(), 0)
TC_SUMMARY(start, "web", 0)
TC_SUMMARY(pause, "web")
TC_SUMMARY(unpause, "web")
TC_SUMMARY(shutdown, "web", -1, 0)
TC_SUMMARY(reboot, "web")
TC_SUMMARY(destroy, "web")
TC_SUMMARY(rename, "web", "www")
TC_SUMMARY(autostart, "web", true)
TC_SUMMARY(set_memory, "web", 512)
TC_SUMMARY(set_maxmem, "web", 1024)

static const struct typed_call typed_calls[] = {
	{ "host.info", tc_host_info, HOST, false, false },
	{ "domain.list", tc_list, "[" WEB "]", false, true },
	{ "domain.list", tc_list_info, "[" INFO("running", "booted", "{}") "]",
	  false, true },
	{ "domain.info", tc_info, INFO("running", "booted", "{}"), false,
	  false },
	{ "domain.config", tc_config, "{\"name\":\"web\"}", true, false },
	{ "domain.define", tc_define, WEB, false, false },
	{ "domain.create", tc_create, WEB, false, false },
	{ "domain.undefine", tc_undefine, "{}", true, false },
	{ "domain.start", tc_start, WEB, false, false },
	{ "domain.pause", tc_pause, WEB, false, false },
	{ "domain.unpause", tc_unpause, WEB, false, false },
	{ "domain.shutdown", tc_shutdown, WEB, false, false },
	{ "domain.reboot", tc_reboot, WEB, false, false },
	{ "domain.destroy", tc_destroy, WEB, false, false },
	{ "domain.rename", tc_rename, WEB, false, false },
	{ "domain.autostart", tc_autostart, WEB, false, false },
	{ "domain.stats", tc_stats, "{\"cpu_time\":1}", true, false },
	{ "domain.stats_all", tc_stats_all, "{\"domains\":[]}", true,
	  false },
	{ "events.subscribe", tc_subscribe, "{\"subscribed\":true}", false,
	  false },
	{ "domain.set_memory", tc_set_memory, WEB, false, false },
	{ "domain.set_maxmem", tc_set_maxmem, WEB, false, false },
};

/*
 * Each typed call against results of every wrong shape: -1 with
 * KEEL_E_PROTOCOL each time, nothing handed back, and the connection
 * still in step (the right shape after them works). The requests name
 * the method the call is for.
 */
START_TEST(test_wrong_shapes)
{
	static const char *const shapes[] = {
		"null", "\"web\"", "42", "true", "[]", "{}", "[42]",
	};
	const struct typed_call *tc = &typed_calls[_i];
	char text[N(shapes) + 1][1024];
	struct fake_keeld_step steps[N(shapes) + 1];
	size_t n = 0, bad;
	struct keel_conn *c;
	struct fake_keeld f;

	for (size_t i = 0; i < N(shapes); i++) {
		if ((tc->object_ok && !strcmp(shapes[i], "{}")) ||
		    (tc->array_ok && !strcmp(shapes[i], "[]")))
			continue;
		snprintf(text[n], sizeof(text[n]), REPLY("%s"), shapes[i]);
		steps[n] = (struct fake_keeld_step){ .read = true, .send = text[n] };
		n++;
	}
	bad = n;
	snprintf(text[n], sizeof(text[n]), REPLY("%s"), tc->good);
	steps[n] = (struct fake_keeld_step){ .read = true, .send = text[n] };
	n++;

	fake_keeld_start(&f, steps, n);
	c = fake_keeld_connect(&f);
	for (size_t i = 0; i < bad; i++) {
		ck_assert_msg(tc->call(c) == -1, "%s accepted %s", tc->method,
			      steps[i].send);
		assert_error(c, KEEL_E_PROTOCOL, "protocol");
		ck_assert_ptr_nonnull(strstr(keel_last_error(c)->message,
					     tc->method));
	}
	ck_assert_msg(tc->call(c) == 0, "%s: %s", tc->method,
		      keel_last_error(c)->message);
	keel_close(c);
	fake_keeld_stop(&f);
	ck_assert_uint_eq(f.nr_req, n);
	ck_assert_uint_eq(f.rx_len, 0);
	for (size_t i = 0; i < n; i++) {
		struct json_object *v;

		ck_assert(json_object_object_get_ex(f.req[i], "method", &v));
		ck_assert_str_eq(json_object_get_string(v), tc->method);
	}
	fake_keeld_free(&f);
}
END_TEST

/* domain.get_sched and domain.set_sched: params, result, local refusal. */
START_TEST(test_sched)
{
#define SCHED(id, w, cap)                                                 \
	"{\"name\":\"web\",\"uuid\":\"" UUID "\",\"id\":" id ",\"weight\":" w \
	",\"cap\":" cap "}"
	static const struct fake_keeld_step steps[] = {
		{ .read = true, .send = REPLY(SCHED("3", "256", "0")) },
		{ .read = true, .send = REPLY(SCHED("null", "512", "50")) },
		{ .read = true, .send = REPLY(SCHED("3", "512", "0")) },
		{ .read = true, .send = REPLY(SCHED("3", "0", "0")) },
	};
	struct keel_sched sc;
	struct keel_conn *c;
	struct fake_keeld f;

	fake_keeld_start(&f, steps, N(steps));
	c = fake_keeld_connect(&f);
	ck_assert_int_eq(keel_domain_get_sched(c, "web", &sc), 0);
	ck_assert_str_eq(sc.name, "web");
	ck_assert_int_eq(sc.id, 3);
	ck_assert_int_eq(sc.weight, 256);
	ck_assert_int_eq(sc.cap, 0);
	ck_assert_int_eq(keel_domain_set_sched(c, UUID, 512, 50, &sc), 0);
	ck_assert_int_eq(sc.id, -1);
	ck_assert_int_eq(sc.weight, 512);
	ck_assert_int_eq(sc.cap, 50);
	ck_assert_int_eq(keel_domain_set_sched(c, "web", -1, 0, NULL), 0);
	/* Neither: refused here, nothing sent. */
	ck_assert_int_eq(keel_domain_set_sched(c, "web", -1, -1, NULL), -1);
	assert_error(c, KEEL_E_LOCAL, "local");
	/* A weight of 0 is no answer keeld gives. */
	ck_assert_int_eq(keel_domain_get_sched(c, "web", &sc), -1);
	assert_error(c, KEEL_E_PROTOCOL, "protocol");
	keel_close(c);
	fake_keeld_stop(&f);
	ck_assert_uint_eq(f.nr_req, 4);
	assert_request(&f, 0, "domain.get_sched", "{\"name\":\"web\"}");
	assert_request(&f, 1, "domain.set_sched",
		       "{\"uuid\":\"" UUID "\",\"weight\":512,\"cap\":50}");
	assert_request(&f, 2, "domain.set_sched", "{\"name\":\"web\",\"cap\":0}");
	assert_request(&f, 3, "domain.get_sched", "{\"name\":\"web\"}");
	fake_keeld_free(&f);
#undef SCHED
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("libkeel");
	TCase *calls = tcase_create("calls");
	TCase *broken = tcase_create("broken");
	TCase *events = tcase_create("events");
	TCase *connect = tcase_create("connect");

	tcase_add_test(calls, test_version_and_states);
	tcase_add_test(calls, test_requests);
	tcase_add_test(calls, test_memory_requests);
	tcase_add_test(calls, test_dmesg_config_update);
	tcase_add_test(calls, test_results);
	tcase_add_test(calls, test_keeld_errors);
	tcase_add_test(calls, test_local_errors);
	tcase_add_test(calls, test_sched);
	suite_add_tcase(s, calls);

	tcase_add_test(broken, test_bad_results);
	tcase_add_loop_test(broken, test_out_of_step, 0, 13);
	tcase_add_loop_test(broken, test_peer_closes, 0, 2);
	tcase_add_test(broken, test_long_lines);
	tcase_add_loop_test(broken, test_wrong_shapes, 0, N(typed_calls));
	suite_add_tcase(s, broken);

	tcase_add_test(events, test_events_before_reply);
	tcase_add_test(events, test_event_wait_and_poll);
	tcase_add_test(events, test_call_from_callback);
	tcase_add_test(events, test_save_restore);
	suite_add_tcase(s, events);

	tcase_add_test(connect, test_connect_errors);
	tcase_add_loop_test(connect, test_connect_uri, 0, 3);
	tcase_add_test(connect, test_connect_default);
	suite_add_tcase(s, connect);
	return s;
}
