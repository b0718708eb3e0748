// SPDX-License-Identifier: GPL-2.0-or-later
/* A keeld in a temporary directory, for the benchmarks (bench_keeld.h). */
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench_keeld.h"

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) ? -errno : 0;
}

int bench_keeld_restart(struct bench_keeld *b)
{
	char *argv[16];
	int n = 0, rc;

	argv[n++] = (char *)b->keeld;
	argv[n++] = "--foreground";
	argv[n++] = "--config";
	argv[n++] = b->conf;
	argv[n++] = "--run-dir";
	argv[n++] = b->run_dir;
	argv[n++] = "--state-dir";
	argv[n++] = b->state_dir;
	argv[n++] = "--log-dir";
	argv[n++] = b->log_dir;
	argv[n++] = "--schema-dir";
	argv[n++] = (char *)b->schema_dir;
	if (b->hv) {
		argv[n++] = "--hypervisor";
		argv[n++] = (char *)b->hv;
	}
	argv[n] = NULL;
	proc_dispose(&b->keeld_proc);
	rc = proc_spawn(&b->keeld_proc, argv);
	if (rc) {
		fprintf(stderr, "%s: cannot run %s: %s\n", b->prog, b->keeld,
			strerror(-rc));
		return rc;
	}
	if (proc_expect(&b->keeld_proc, " ready: ", 0, 30000) < 0) {
		/* Collect all it said. */
		proc_wait(&b->keeld_proc, 1000);
		fprintf(stderr, "%s: keeld did not start:\n%s\n", b->prog,
			b->keeld_proc.out ? b->keeld_proc.out : "");
		return -ESRCH;
	}
	return 0;
}

int bench_keeld_start(struct bench_keeld *b, const char *prog,
		      const char *keeld, const char *schema_dir,
		      const char *hv, const char *conf_text)
{
	int rc;

	memset(b, 0, sizeof(*b));
	b->keeld_proc.pid = -1;
	b->keeld_proc.in_fd = b->keeld_proc.out_fd = -1;
	b->prog = prog;
	b->keeld = keeld;
	b->schema_dir = schema_dir;
	b->hv = hv;
	snprintf(b->dir, sizeof(b->dir), "/tmp/keel-bench-%.20s.XXXXXX",
		 prog);
	if (!mkdtemp(b->dir)) {
		rc = -errno;
		b->dir[0] = '\0';
		fprintf(stderr, "%s: cannot make a temporary directory: %s\n",
			prog, strerror(-rc));
		return rc;
	}
	snprintf(b->run_dir, sizeof(b->run_dir), "%s/run", b->dir);
	snprintf(b->state_dir, sizeof(b->state_dir), "%s/state", b->dir);
	snprintf(b->log_dir, sizeof(b->log_dir), "%s/log", b->dir);
	snprintf(b->conf, sizeof(b->conf), "%s/keeld.conf", b->dir);
	snprintf(b->sock, sizeof(b->sock), "%s/keeld.sock", b->run_dir);
	snprintf(b->ro_sock, sizeof(b->ro_sock), "%s/keeld-ro.sock",
		 b->run_dir);
	/* info: the ready line is logged at that level. */
	rc = write_text(b->conf, conf_text ? conf_text : "log_level = info\n");
	if (rc) {
		fprintf(stderr, "%s: cannot write %s: %s\n", prog, b->conf,
			strerror(-rc));
		return rc;
	}
	return bench_keeld_restart(b);
}

void bench_keeld_kill(struct bench_keeld *b)
{
	if (b->keeld_proc.pid > 0 && !b->keeld_proc.exited) {
		kill(b->keeld_proc.pid, SIGKILL);
		proc_wait(&b->keeld_proc, 5000);
	}
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

void bench_keeld_stop(struct bench_keeld *b)
{
	if (b->keeld_proc.pid > 0 && !b->keeld_proc.exited) {
		int status;

		kill(b->keeld_proc.pid, SIGTERM);
		status = proc_wait(&b->keeld_proc, 5000);
		if (status)
			fprintf(stderr, "%s: keeld exited with %d:\n%s\n",
				b->prog, status, b->keeld_proc.out);
	}
	proc_dispose(&b->keeld_proc);
	if (b->dir[0])
		nftw(b->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	b->dir[0] = '\0';
}
