// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keeld: keel's privileged daemon (DESIGN.md). This file parses the
 * options and the configuration, takes the pid file lock, daemonises
 * and runs the event loop; the sockets are server.c's, the methods
 * methods.c's, the domains registry.c's.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <event2/event.h>

#include "admit.h"
#include "cgroup_domain.h"
#include "console.h"
#include "keeld.h"
#include "lifecycle.h"
#include "log.h"
#include "methods.h"
#include "paths.h"
#include "registry.h"
#include "server.h"

/* SYSCONFDIR/keel/keeld.conf, where `make install` puts the sample. */
#ifndef KEELD_CONFIG
#define KEELD_CONFIG "/etc/keel/keeld.conf"
#endif

struct options {
	const char *config;
	bool config_given;
	const char *run_dir, *state_dir, *log_dir, *schema_dir, *hypervisor;
	const char *log_level;
	const char *pki_dir;
	const char *listen[CONF_MAX_LISTEN];
	unsigned nr_listen;
	bool foreground;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: keeld [--foreground] [--config FILE] [--run-dir DIR]\n"
		"             [--state-dir DIR] [--log-dir DIR] [--schema-dir DIR]\n"
		"             [--hypervisor PATH] [--listen tls://ADDR[:PORT]]...\n"
		"             [--pki-dir DIR]\n"
		"             [--log-level err|warn|info|debug]\n");
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "state-dir", required_argument, NULL, 's' },
		{ "log-dir", required_argument, NULL, 'L' },
		{ "schema-dir", required_argument, NULL, 'S' },
		{ "hypervisor", required_argument, NULL, 'H' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "listen", required_argument, NULL, 'T' },
		{ "pki-dir", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	o->config = KEELD_CONFIG;
	while ((opt = getopt_long(argc, argv, "c:fh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			o->config = optarg;
			o->config_given = true;
			break;
		case 'r':
			o->run_dir = optarg;
			break;
		case 's':
			o->state_dir = optarg;
			break;
		case 'L':
			o->log_dir = optarg;
			break;
		case 'S':
			o->schema_dir = optarg;
			break;
		case 'H':
			o->hypervisor = optarg;
			break;
		case 'l':
			o->log_level = optarg;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'T':
			if (o->nr_listen == CONF_MAX_LISTEN) {
				fprintf(stderr,
					"keeld: --listen may be given at most %d times.\n",
					CONF_MAX_LISTEN);
				return -EINVAL;
			}
			o->listen[o->nr_listen++] = optarg;
			break;
		case 'P':
			o->pki_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("keeld %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "keeld: unexpected argument \"%s\".\n",
			argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	return 0;
}

/*
 * The schema directory and keel-hv: the build tree's when this keeld
 * runs from its build tree, else the installed ones; $KEEL_SCHEMA_DIR
 * over both (lib/paths.h). Returns 0 or -ENOMEM.
 */
static int default_paths(struct keeld_conf *conf)
{
	char *schema_dir = keel_schema_dir(), *hypervisor = keel_hv_path();
	int rc = -ENOMEM;

	if (schema_dir && hypervisor &&
	    !conf_set(&conf->schema_dir, schema_dir) &&
	    !conf_set(&conf->hypervisor, hypervisor))
		rc = 0;
	free(schema_dir);
	free(hypervisor);
	return rc;
}

/* Built-in defaults, the configuration file, then the options over it. */
static int load_conf(struct keeld_conf *conf, const struct options *o)
{
	int rc = conf_init(conf);

	if (!rc)
		rc = default_paths(conf);
	if (!rc)
		rc = conf_load(conf, o->config, !o->config_given);
	if (!rc && o->run_dir)
		rc = conf_set(&conf->run_dir, o->run_dir);
	if (!rc && o->state_dir)
		rc = conf_set(&conf->state_dir, o->state_dir);
	if (!rc && o->log_dir)
		rc = conf_set(&conf->log_dir, o->log_dir);
	if (!rc && o->schema_dir)
		rc = conf_set(&conf->schema_dir, o->schema_dir);
	if (!rc && o->hypervisor)
		rc = conf_set(&conf->hypervisor, o->hypervisor);
	if (!rc && o->pki_dir)
		rc = conf_set(&conf->pki_dir, o->pki_dir);
	/* --listen adds to keeld.conf's `listen` lines. */
	for (unsigned i = 0; !rc && i < o->nr_listen; i++)
		rc = conf_add_listen(conf, "--listen", o->listen[i]);
	if (!rc && o->log_level &&
	    log_level_parse(o->log_level, &conf->log_level)) {
		log_err("--log-level must be err, warn, info or debug, not \"%s\".",
			o->log_level);
		rc = -EINVAL;
	}
	return rc;
}

static int make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) && errno != EEXIST) {
		int rc = -errno;

		log_err("Cannot create the directory %s: %s.", path,
			strerror(errno));
		return rc;
	}
	return 0;
}

/* Replace the existing directory *@path with its absolute form. */
static int absolute(char **path)
{
	char *abs = realpath(*path, NULL);

	if (!abs)
		return -errno;
	free(*path);
	*path = abs;
	return 0;
}

/*
 * Open and lock RUN_DIR/keeld.pid. Returns the fd (kept open for the
 * daemon's life: the lock is what says "a keeld runs here"), or -errno.
 */
static int pidfile_lock(const char *run_dir)
{
	char path[4096], other[32] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/keeld.pid", run_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		int rc = -errno;

		log_err("Cannot open the pid file %s: %s.", path,
			strerror(errno));
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int rc = -errno;

		n = pread(fd, other, sizeof(other) - 1, 0);
		other[n > 0 ? n : 0] = '\0';
		other[strcspn(other, "\n")] = '\0';
		if (rc == -EWOULDBLOCK)
			log_err("Another keeld (pid %s) is already running with the run directory %s; stop it first or choose another --run-dir.",
				*other ? other : "unknown", run_dir);
		else
			log_err("Cannot lock the pid file %s: %s.", path,
				strerror(-rc));
		close(fd);
		return rc == -EWOULDBLOCK ? -EBUSY : rc;
	}
	return fd;
}

static int pidfile_write(int fd)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)len, 0) != len)
		return -errno;
	return 0;
}

/*
 * Fork into the background. The parent waits until the child reports
 * that it is serving (a byte on a pipe) and exits 0, or exits 1 if the
 * child fails first, so that `keeld && keel list` works. Returns, in
 * the child, the pipe's write end; -errno if fork fails.
 */
static int daemonise(void)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(p[1]);
		exit(read(p[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[0]);
	setsid();
	if (chdir("/"))
		log_warn("Cannot change to the root directory: %s.",
			 strerror(errno));
	return p[1];
}

/* Tell the waiting parent we are ready; detach from the terminal. */
static void daemon_ready(int ready_fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
	if (write(ready_fd, "", 1) != 1)
		log_warn("Cannot tell the starting process that keeld is ready.");
	close(ready_fd);
}

/*
 * systemd's readiness protocol (sd_notify(3); keeld.service is
 * Type=notify): one datagram to the socket $NOTIFY_SOCKET names. It is
 * a single sendto, so keeld speaks it without libsystemd. The variable
 * is read once and removed at start, so that the keel-hv processes
 * keeld starts, which do not speak it, never inherit it.
 */
static struct sockaddr_un notify_addr;
static socklen_t notify_len;

static void notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len = path ? strlen(path) : 0;

	/* An absolute path, or '@' for Linux's abstract namespace. */
	if (len >= 2 && len < sizeof(notify_addr.sun_path) &&
	    (path[0] == '/' || path[0] == '@')) {
		notify_addr.sun_family = AF_UNIX;
		memcpy(notify_addr.sun_path, path, len);
		if (path[0] == '@')
			notify_addr.sun_path[0] = '\0';
		notify_len = (socklen_t)(offsetof(struct sockaddr_un,
						  sun_path) + len);
	} else if (path) {
		log_warn("Ignoring NOTIFY_SOCKET=\"%s\": it is neither an absolute path nor an abstract socket name.",
			 path);
	}
	unsetenv("NOTIFY_SOCKET");
}

/* Tell systemd @state ("READY=1", ...), when it asked to be told. */
static void notify_systemd(const char *state)
{
	int fd;

	if (!notify_len)
		return;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (const struct sockaddr *)&notify_addr, notify_len) < 0)
		log_warn("Cannot tell systemd \"%s\": %s.", state,
			 strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * Raise the soft descriptor limit to the hard one: the common soft
 * limit of 1024 is what a few hundred idle connections exhaust, and the
 * limits on clients are shared out from it. Returns the limit in force.
 */
static unsigned long raise_nofile(void)
{
	struct rlimit rl;
	rlim_t was;

	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		log_warn("Cannot read the descriptor limit: %s; assuming 1024.",
			 strerror(errno));
		return 1024;
	}
	was = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl)) {
			log_warn("Cannot raise the descriptor limit from %llu to %llu: %s.",
				 (unsigned long long)was,
				 (unsigned long long)rl.rlim_max,
				 strerror(errno));
			return (unsigned long)was;
		}
		log_info("Raised the descriptor limit from %llu to %llu (the hard limit).",
			 (unsigned long long)was,
			 (unsigned long long)rl.rlim_cur);
	} else {
		log_info("The descriptor limit is %llu.",
			 (unsigned long long)rl.rlim_cur);
	}
	return rl.rlim_cur == RLIM_INFINITY ? ~0UL :
					      (unsigned long)rl.rlim_cur;
}

/*
 * glibc's malloc. Blocks up to a few MiB (a 1 MiB line, the buffer that
 * serialises an answer) come from the heap: mapping and unmapping each
 * costs a TLB shootdown, which on a virtual machine takes milliseconds
 * every time. The top of the heap is left alone in between, for the
 * same reason; admit.c trims the heap once clients' buffers are empty
 * again, when it is quick.
 */
static void malloc_tune(void)
{
#ifdef __GLIBC__
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
#endif
}

/* libevent's own messages, within a budget like any peer-driven site. */
static void event_log(int severity, const char *msg)
{
	enum log_level level = severity >= EVENT_LOG_ERR ? LOG_LEVEL_ERR :
			       severity >= EVENT_LOG_WARN ? LOG_LEVEL_WARN :
			       severity >= EVENT_LOG_MSG ? LOG_LEVEL_INFO :
							   LOG_LEVEL_DEBUG;

	log_limited(level, "libevent: %s", msg);
}

/*
 * The event loop: three priorities (server.c puts root's connections
 * first, everyone else's last, the rest of keeld in between), and after
 * 1 ms of callbacks below the first priority it looks for new events,
 * so that many busy clients cannot keep root waiting for a whole round.
 */
static struct event_base *event_base_make(void)
{
	const struct timeval slice = { .tv_usec = 1000 };
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	if (!cfg)
		return NULL;
	event_config_set_max_dispatch_interval(cfg, &slice, -1, 1);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (base && event_base_priority_init(base, 3)) {
		event_base_free(base);
		base = NULL;
	}
	return base;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct keeld *k = arg;

	log_info("Caught signal %d; shutting down.", (int)sig);
	notify_systemd("STOPPING=1");
	event_base_loopexit(k->base, NULL);
}

int main(int argc, char **argv)
{
	struct keeld k = { 0 };
	struct event *sigterm = NULL, *sigint = NULL;
	struct options o = { 0 };
	int rc, pid_fd = -1, ready_fd = -1, loaded, status = 1;
	unsigned long nofile;

	log_init("keeld", false, LOG_LEVEL_INFO);
	/* keel dmesg's lines (daemon/host_methods.c); without, it has none. */
	log_ring_enable(LOG_RING_LINES_DEFAULT);
	event_set_log_callback(event_log);
	malloc_tune();
	notify_init();
	if (parse_options(argc, argv, &o))
		return 2;
	if (load_conf(&k.conf, &o))
		goto out_conf;
	log_init("keeld", false, k.conf.log_level);
	signal(SIGPIPE, SIG_IGN);
	nofile = raise_nofile();
	if (make_dir(k.conf.run_dir, 0755) || make_dir(k.conf.state_dir, 0700) ||
	    make_dir(k.conf.log_dir, 0700))
		goto out_conf;
	/* Absolute paths: the daemon leaves its working directory. */
	if (absolute(&k.conf.run_dir) || absolute(&k.conf.state_dir) ||
	    absolute(&k.conf.log_dir))
		goto out_conf;
	absolute(&k.conf.schema_dir);
	absolute(&k.conf.hypervisor);
	pid_fd = pidfile_lock(k.conf.run_dir);
	if (pid_fd < 0)
		goto out_conf;
	rc = methods_new(k.conf.schema_dir, &k.methods);
	if (rc) {
		log_err("keeld cannot start without a valid API schema in %s (--schema-dir).",
			k.conf.schema_dir);
		goto out_pidfile;
	}
	if (registry_new(k.conf.state_dir, &k.reg))
		goto out_methods;
	loaded = registry_load(k.reg, methods_config_schema(k.methods));
	if (loaded < 0)
		goto out_registry;
	if (!o.foreground) {
		ready_fd = daemonise();
		if (ready_fd < 0) {
			log_err("Cannot fork into the background: %s.",
				strerror(-ready_fd));
			goto out_registry;
		}
		log_init("keeld", true, k.conf.log_level);
	}
	if (pidfile_write(pid_fd))
		log_warn("Cannot write the pid file: %s.", strerror(errno));
	k.base = event_base_make();
	if (!k.base)
		goto out_registry;
	if (admit_new(&k.conf, k.base, nofile, &k.admit))
		goto out_base;
	if (server_new(&k, &k.server))
		goto out_admit;
	cgroup_domain_init(&k);
	if (lifecycle_init(&k))
		goto out_signals;
	/* Domains a previous keeld left running; then autostart. */
	lifecycle_recover(&k);
	sigterm = evsignal_new(k.base, SIGTERM, on_signal, &k);
	sigint = evsignal_new(k.base, SIGINT, on_signal, &k);
	/* A closed terminal must not take keeld down (keeld.8, SIGNALS). */
	signal(SIGHUP, SIG_IGN);
	if (!sigterm || !sigint || evsignal_add(sigterm, NULL) ||
	    evsignal_add(sigint, NULL))
		goto out_signals;
	log_info("keeld %s ready: %d domains, sockets in %s.",
		 PACKAGE_VERSION, loaded, k.conf.run_dir);
	if (ready_fd >= 0)
		daemon_ready(ready_fd);
	notify_systemd("READY=1");
	event_base_dispatch(k.base);
	status = 0;
	/*
	 * The pid file stays: the lock, not the file, says whether a keeld
	 * runs, and unlinking it would race with a keeld starting now.
	 */
out_signals:
	/* Domains keep running without keeld; the next one re-adopts them. */
	console_relays_free(&k);
	lifecycle_detach_all(&k);
	cgroup_domain_dispose(&k);
	if (sigterm)
		event_free(sigterm);
	if (sigint)
		event_free(sigint);
	server_free(k.server);
out_admit:
	admit_free(k.admit);
out_base:
	event_base_free(k.base);
out_registry:
	registry_free(k.reg);
out_methods:
	methods_free(k.methods);
out_pidfile:
	close(pid_fd);
out_conf:
	conf_dispose(&k.conf);
	return status;
}
