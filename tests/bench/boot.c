// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/bench/boot: boot the same kernel + initramfs + memory + vCPUs
 * under keel-hv and under QEMU (microvm and q35) N times each, in one
 * run, and print medians of: time to the guest's ready line, time from
 * "poweroff" to the process exiting, and the VMM's own memory overhead
 * (RSS beyond the guest RAM the guest touched, taken at the ready
 * line). Also the same timings for a tiny in-tree test guest under
 * keel-hv.
 *
 *   boot [-n RUNS] [-t TIMEOUT_S] [-m MIB] [-c VCPUS] [-a CMDLINE]
 *        [--no-qemu] KERNEL INITRD [TINY_GUEST]
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define READY_LINE "KEEL-GUEST-READY"
#define MAX_RUNS 50

struct bench_cfg {
	int runs;
	int timeout_s;
	int mem_mib;
	int vcpus;
	const char *cmdline;
	const char *kernel;
	const char *initrd;
	const char *tiny;
	const char *hv;
	bool qemu;
};

struct sample {
	double ready_ms; /* < 0: did not get there */
	double exit_ms;
	double overhead_kib; /* < 0 if unknown */
};

/*
 * RSS of @pid outside its largest anonymous mapping (the guest RAM for
 * a guest of under 3 GiB): what the VMM itself costs.
 */
static double rss_overhead_kib(pid_t pid)
{
	char path[64], line[256];
	unsigned long long total = 0, biggest_size = 0, biggest_rss = 0;
	unsigned long long cur_size = 0, v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;

		if (sscanf(line, "%llx-%llx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			cur_size = hi - lo;
		} else if (sscanf(line, "Rss: %llu kB", &v) == 1) {
			total += v;
			if (cur_size > biggest_size) {
				biggest_size = cur_size;
				biggest_rss = v;
			}
		}
	}
	fclose(f);
	return (double)(total - biggest_rss);
}

static int run_once(const struct bench_cfg *cfg, char *const argv[],
		    bool linux_guest, struct sample *s)
{
	struct proc p;
	long long t0, t1;
	long at;
	int rc;

	s->ready_ms = s->exit_ms = s->overhead_kib = -1;
	t0 = harness_now_ms();
	rc = proc_spawn(&p, argv);
	if (rc < 0)
		return rc;
	if (linux_guest) {
		at = proc_expect(&p, READY_LINE, 0, cfg->timeout_s * 1000);
		if (at < 0)
			goto out;
		s->ready_ms = (double)(harness_now_ms() - t0);
		s->overhead_kib = rss_overhead_kib(p.pid);
		/*
		 * Wait for the shell's prompt, so that "poweroff" is read by
		 * the shell and the exit time does not include its start-up
		 * (which takes seconds when KVM itself runs nested).
		 */
		proc_expect(&p, "# ", (size_t)at, cfg->timeout_s * 1000);
		t1 = harness_now_ms();
		proc_send(&p, "poweroff -f\n");
		if (proc_wait(&p, cfg->timeout_s * 1000) >= 0)
			s->exit_ms = (double)(harness_now_ms() - t1);
	} else {
		rc = proc_wait(&p, cfg->timeout_s * 1000);
		if (rc >= 0)
			s->ready_ms = s->exit_ms =
				(double)(harness_now_ms() - t0);
	}
out:
	proc_dispose(&p);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of the successful values; -1 if none succeeded. */
static double median(const struct sample *s, int n, size_t field, int *ok)
{
	double v[MAX_RUNS];
	int k = 0;

	for (int i = 0; i < n; i++) {
		double x = *(const double *)((const char *)&s[i] + field);

		if (x >= 0)
			v[k++] = x;
	}
	*ok = k;
	if (k == 0)
		return -1;
	qsort(v, (size_t)k, sizeof(v[0]), cmp_double);
	return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

static void print_row(const char *name, const struct bench_cfg *cfg,
		      const struct sample *s)
{
	int ok_r, ok_e, ok_m;
	double r = median(s, cfg->runs, offsetof(struct sample, ready_ms),
			  &ok_r);
	double e = median(s, cfg->runs, offsetof(struct sample, exit_ms),
			  &ok_e);
	double m = median(s, cfg->runs,
			  offsetof(struct sample, overhead_kib), &ok_m);
	char rbuf[32], ebuf[32], mbuf[32];

	if (ok_r)
		snprintf(rbuf, sizeof(rbuf), "%.0f", r);
	else
		snprintf(rbuf, sizeof(rbuf), ">%d000", cfg->timeout_s);
	if (ok_e)
		snprintf(ebuf, sizeof(ebuf), "%.0f", e);
	else
		snprintf(ebuf, sizeof(ebuf), "-");
	if (ok_m)
		snprintf(mbuf, sizeof(mbuf), "%.0f", m);
	else
		snprintf(mbuf, sizeof(mbuf), "-");
	printf("%-22s %6d/%-3d %14s %14s %16s\n", name, ok_r, cfg->runs, rbuf,
	       ebuf, mbuf);
	fflush(stdout);
}

static void bench(const char *name, const struct bench_cfg *cfg,
		  char *const argv[], bool linux_guest)
{
	struct sample s[MAX_RUNS];

	for (int i = 0; i < cfg->runs; i++)
		run_once(cfg, argv, linux_guest, &s[i]);
	print_row(name, cfg, s);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: boot [-n RUNS] [-t TIMEOUT_S] [-m MIB] [-c VCPUS] "
		"[-a CMDLINE] [--no-qemu] KERNEL INITRD [TINY_GUEST]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-qemu", no_argument, NULL, 'Q' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_cfg cfg = {
		.runs = 5,
		.timeout_s = 60,
		.mem_mib = 256,
		.vcpus = 1,
		.cmdline = "console=ttyS0 quiet",
		.qemu = true,
	};
	char mem[16], mem_m[16], cpus[16];
	int c;

	while ((c = getopt_long(argc, argv, "n:t:m:c:a:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			cfg.runs = atoi(optarg);
			break;
		case 't':
			cfg.timeout_s = atoi(optarg);
			break;
		case 'm':
			cfg.mem_mib = atoi(optarg);
			break;
		case 'c':
			cfg.vcpus = atoi(optarg);
			break;
		case 'a':
			cfg.cmdline = optarg;
			break;
		case 'Q':
			cfg.qemu = false;
			break;
		default:
			usage();
		}
	}
	if (argc - optind < 2 || cfg.runs < 1 || cfg.runs > MAX_RUNS ||
	    cfg.timeout_s < 1 || cfg.mem_mib < 16 || cfg.vcpus < 1)
		usage();
	cfg.kernel = argv[optind];
	cfg.initrd = argv[optind + 1];
	cfg.tiny = argc - optind > 2 ? argv[optind + 2] : NULL;
	cfg.hv = harness_path("hypervisor/keel-hv");
	snprintf(mem, sizeof(mem), "%dM", cfg.mem_mib);
	snprintf(mem_m, sizeof(mem_m), "%d", cfg.mem_mib);
	snprintf(cpus, sizeof(cpus), "%d", cfg.vcpus);

	printf("boot benchmark: %d run(s) each, %s MiB, %d vCPU(s), "
	       "cmdline \"%s\", timeout %d s\n",
	       cfg.runs, mem_m, cfg.vcpus, cfg.cmdline, cfg.timeout_s);
	printf("kernel %s\ninitrd %s\n\n", cfg.kernel, cfg.initrd);
	printf("%-22s %10s %14s %14s %16s\n", "vmm", "ok/runs",
	       "ready ms (p50)", "exit ms (p50)", "own RSS KiB (p50)");

	{
		char *hv[] = { (char *)cfg.hv, "--kernel", (char *)cfg.kernel,
			       "--initrd", (char *)cfg.initrd, "--memory", mem,
			       "--vcpus", cpus, "--cmdline",
			       (char *)cfg.cmdline, "--console", "stdio",
			       NULL };

		bench("keel-hv", &cfg, hv, true);
	}
	if (cfg.qemu) {
		static const char *machines[] = { "microvm", "q35" };

		for (size_t i = 0; i < 2; i++) {
			char name[32];
			char *q[] = { "/usr/bin/qemu-system-x86_64",
				      "-M", (char *)machines[i], "-accel", "kvm",
				      "-cpu", "host", "-m", mem_m, "-smp", cpus,
				      "-nodefaults", "-no-user-config",
				      "-display", "none", "-serial", "stdio",
				      "-no-reboot", "-kernel",
				      (char *)cfg.kernel, "-initrd",
				      (char *)cfg.initrd, "-append",
				      (char *)cfg.cmdline, NULL };

			snprintf(name, sizeof(name), "qemu %s", machines[i]);
			bench(name, &cfg, q, true);
		}
	}
	if (cfg.tiny) {
		char *t[] = { (char *)cfg.hv, "--kernel", (char *)cfg.tiny,
			      "--memory", mem, "--vcpus", cpus, "--console",
			      "stdio", NULL };

		bench("keel-hv tiny guest", &cfg, t, false);
	}
	return 0;
}
