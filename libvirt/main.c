// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * keel-virtd: libvirt's RPC protocol for stock libvirt clients, libkeel
 * to keeld (docs/libvirt.md, man/keel-virtd.8). This file parses the
 * options, sets up the loop and the signals; virt_server.c does the rest.
 * It runs in the foreground, as a systemd service does (Type=simple);
 * the ready line on stderr says when the sockets are there.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <libxml/parser.h>

#include "log.h"
#include "paths.h"
#include "virt_server.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: keel-virtd [--keeld URI] [--socket PATH] [--workers N]\n"
		"                  [--listen-tls [--tls-port PORT] [--listen-addr ADDR]...\n"
		"                   [--ca-file PATH] [--cert-file PATH] [--key-file PATH]\n"
		"                   [--tls-allowed-dn PATTERN]... [--tls-readonly-dn PATTERN]...]\n"
		"                  [--log-level err|warn|info|debug]\n"
		"       keel-virtd --help | --version\n");
}

static int parse_options(int argc, char **argv, struct virt_options *o,
			 enum log_level *level)
{
	static const struct option longopts[] = {
		{ "keeld", required_argument, NULL, 'k' },
		{ "socket", required_argument, NULL, 's' },
		{ "workers", required_argument, NULL, 'w' },
		{ "log-level", required_argument, NULL, 'l' },
		/* The TLS port's, 'T' each: virt_tls_option() reads them. */
		{ "listen-tls", no_argument, NULL, 'T' },
		{ "tls-port", required_argument, NULL, 'T' },
		{ "listen-addr", required_argument, NULL, 'T' },
		{ "ca-file", required_argument, NULL, 'T' },
		{ "cert-file", required_argument, NULL, 'T' },
		{ "key-file", required_argument, NULL, 'T' },
		{ "tls-allowed-dn", required_argument, NULL, 'T' },
		{ "tls-readonly-dn", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long n;
	int opt, idx;

	o->socket = VIRT_SOCKET_DEFAULT;
	o->workers = VIRT_WORKERS_DEFAULT;
	virt_tls_options_init(&o->tls);
	while ((opt = getopt_long(argc, argv, "h", longopts, &idx)) != -1) {
		switch (opt) {
		case 'T':
			if (virt_tls_option(&o->tls, longopts[idx].name,
					    optarg) < 0)
				return -EINVAL;
			break;
		case 'k':
			o->keeld = optarg;
			break;
		case 's':
			o->socket = optarg;
			break;
		case 'w':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *end || n < 1 || n > VIRT_WORKERS_MAX) {
				fprintf(stderr,
					"keel-virtd: --workers takes a number from 1 to %d, not \"%s\".\n",
					VIRT_WORKERS_MAX, optarg);
				return -EINVAL;
			}
			o->workers = (unsigned)n;
			break;
		case 'l':
			if (log_level_parse(optarg, level)) {
				fprintf(stderr,
					"keel-virtd: --log-level takes err, warn, info or debug, not \"%s\".\n",
					optarg);
				return -EINVAL;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("keel-virtd %s\n", PACKAGE_VERSION);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "keel-virtd: unexpected argument \"%s\".\n",
			argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	if (!*o->socket) {
		fprintf(stderr, "keel-virtd: --socket must not be empty.\n");
		return -EINVAL;
	}
	if (asprintf(&o->socket_ro, "%s-ro", o->socket) < 0)
		return -ENOMEM;
	o->hv_path = keel_hv_path();
	if (!o->hv_path)
		return -ENOMEM;
	return 0;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	log_info("Caught signal %d; shutting down.", (int)sig);
	event_base_loopexit(arg, NULL);
}

int main(int argc, char **argv)
{
	enum log_level level = LOG_LEVEL_INFO;
	struct virt_options o = { 0 };
	struct event *sigterm = NULL, *sigint = NULL;
	struct virt_server *srv = NULL;
	struct virt_tls *tls = NULL;
	struct event_base *base;
	int status = 1;

	log_init("keel-virtd", false, level);
	if (parse_options(argc, argv, &o, &level))
		return 2;
	log_init("keel-virtd", false, level);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	xmlInitParser();
	/* Workers write replies into the loop's bufferevents. */
	if (evthread_use_pthreads()) {
		log_err("libevent cannot use threads here.");
		goto out_opts;
	}
	base = event_base_new();
	if (!base)
		goto out_opts;
	if (virt_server_new(base, &o, &srv))
		goto out_base;
	if (virt_tls_new(base, srv, &o.tls, &tls))
		goto out_server;
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	sigint = evsignal_new(base, SIGINT, on_signal, base);
	if (!sigterm || !sigint || evsignal_add(sigterm, NULL) ||
	    evsignal_add(sigint, NULL))
		goto out_server;
	if (tls)
		log_info("keel-virtd listens for TLS clients on port %u.",
			 o.tls.port);
	log_info("keel-virtd %s ready: sockets %s and %s, keeld %s, %u workers.",
		 PACKAGE_VERSION, o.socket, o.socket_ro,
		 o.keeld ? o.keeld : "(the default)", o.workers);
	event_base_dispatch(base);
	status = 0;
out_server:
	if (sigterm)
		event_free(sigterm);
	if (sigint)
		event_free(sigint);
	virt_tls_free(tls);
	virt_server_free(srv);
out_base:
	event_base_free(base);
out_opts:
	free(o.socket_ro);
	free(o.hv_path);
	xmlCleanupParser();
	return status;
}
