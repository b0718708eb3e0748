// SPDX-License-Identifier: GPL-2.0-or-later
/* What the keel-against-QEMU benchmarks share (bench_vmm.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_vmm.h"

/* The events qmp() read past: the last time of each, per client. */
#define QMP_SEEN_MAX 32

static struct qmp_seen {
	const struct harness_client *c;
	char event[32];
	double at_s;
} qmp_seen[QMP_SEEN_MAX];

static void qmp_event_note(const struct harness_client *c, const char *line)
{
	struct json_object *o = json_tokener_parse(line), *e, *ts, *v;
	const char *name;
	double at;
	unsigned i;

	if (!o || !json_object_object_get_ex(o, "event", &e) ||
	    !json_object_object_get_ex(o, "timestamp", &ts))
		goto out;
	name = json_object_get_string(e);
	at = json_object_object_get_ex(ts, "seconds", &v) ?
		     (double)json_object_get_int64(v) :
		     0;
	if (json_object_object_get_ex(ts, "microseconds", &v))
		at += (double)json_object_get_int64(v) / 1e6;
	for (i = 0; i < QMP_SEEN_MAX && qmp_seen[i].c; i++)
		if (qmp_seen[i].c == c && !strcmp(qmp_seen[i].event, name))
			break;
	if (i == QMP_SEEN_MAX)
		goto out;
	qmp_seen[i].c = c;
	snprintf(qmp_seen[i].event, sizeof(qmp_seen[i].event), "%s", name);
	qmp_seen[i].at_s = at;
out:
	json_object_put(o);
}

double qmp_event_at(const struct harness_client *c, const char *event)
{
	for (unsigned i = 0; i < QMP_SEEN_MAX && qmp_seen[i].c; i++)
		if (qmp_seen[i].c == c && !strcmp(qmp_seen[i].event, event))
			return qmp_seen[i].at_s;
	return -1;
}

void qmp_events_forget(void)
{
	memset(qmp_seen, 0, sizeof(qmp_seen));
}

char *qmp(struct harness_client *c, const char *who, const char *cmd,
	  int timeout_ms)
{
	static char *answer;
	long long end = harness_now_ms() + timeout_ms;

	free(answer);
	answer = NULL;
	if (harness_client_send(c, cmd, strlen(cmd)) ||
	    harness_client_send(c, "\n", 1))
		return NULL;
	while (harness_now_ms() < end) {
		answer = harness_client_readline(c, (int)(end -
							  harness_now_ms()));
		if (!answer)
			return NULL;
		if (strstr(answer, "\"return\""))
			return answer;
		if (strstr(answer, "\"event\"")) {
			qmp_event_note(c, answer);
		} else if (strstr(answer, "\"error\"")) {
			fprintf(stderr, "%s: QMP %s: %s\n", who, cmd, answer);
			return NULL;
		}
		free(answer);
		answer = NULL;
	}
	return NULL;
}

int qmp_open(struct harness_client *c, const char *who, const char *path,
	     int timeout_ms)
{
	char *greeting;
	int rc = harness_client_open(c, path, timeout_ms);

	if (rc)
		return rc;
	greeting = harness_client_readline(c, timeout_ms);
	if (!greeting)
		return -EPROTO;
	free(greeting);
	return qmp(c, who, "{\"execute\":\"qmp_capabilities\"}", timeout_ms) ?
		       0 :
		       -EPROTO;
}

int qmp_poll(struct harness_client *c, const char *who, const char *cmd,
	     const char *want, const char *bad, int timeout_ms)
{
	long long end = harness_now_ms() + timeout_ms;

	while (harness_now_ms() < end) {
		const char *a = qmp(c, who, cmd, timeout_ms);

		if (!a)
			return -EPROTO;
		if (strstr(a, want))
			return 0;
		if (bad && strstr(a, bad)) {
			fprintf(stderr, "%s: QMP %s: %s\n", who, cmd, a);
			return -EIO;
		}
		usleep(10000);
	}
	return -ETIMEDOUT;
}

struct json_object *bench_rpc(const char *sock, const char *line,
			      int timeout_ms)
{
	struct harness_client c;
	struct json_object *o = NULL;
	const char *answer;

	if (!harness_client_open(&c, sock, 2000)) {
		answer = harness_client_call(&c, line, timeout_ms);
		if (answer)
			o = json_tokener_parse(answer);
	}
	harness_client_close(&c);
	return o;
}

int guest_answers(struct proc *con, const char *marker, int timeout_ms)
{
	char line[64];
	size_t half = strlen(marker) / 2;

	snprintf(line, sizeof(line), "echo %.*s\"\"%s\n", (int)half, marker,
		 marker + half);
	proc_type(con, line);
	return proc_expect(con, marker, 0, timeout_ms) < 0 ? -ETIMEDOUT : 0;
}

int bench_qemu_argv(const struct bench_qemu *q, char **argv, char *mem,
		    char *cpus, char *qmp_arg)
{
	int n = 0;

	argv[n++] = (char *)q->bin;
	argv[n++] = "-M";
	argv[n++] = (char *)q->machine;
	argv[n++] = "-accel";
	argv[n++] = (char *)q->accel;
	if (!strcmp(q->accel, "kvm")) {
		argv[n++] = "-cpu";
		argv[n++] = "host";
	}
	argv[n++] = "-m";
	argv[n++] = mem;
	argv[n++] = "-smp";
	argv[n++] = cpus;
	argv[n++] = "-nodefaults";
	argv[n++] = "-no-user-config";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-serial";
	argv[n++] = "stdio";
	argv[n++] = "-no-reboot";
	argv[n++] = "-kernel";
	argv[n++] = (char *)q->kernel;
	argv[n++] = "-initrd";
	argv[n++] = (char *)q->initrd;
	argv[n++] = "-append";
	argv[n++] = (char *)q->cmdline;
	argv[n++] = "-qmp";
	argv[n++] = qmp_arg;
	return n;
}

void bench_cell(char *buf, size_t size, double v, int decimals)
{
	if (v < 0)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.*f", decimals, v);
}
