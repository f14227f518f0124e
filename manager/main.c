/* fabricd: the fabric manager daemon. Parses options, loads fabric.yaml, runs the loop. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>
#ifdef FM_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "daemon.h"
#include "hooks.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fabricd -c FABRIC.yaml [options]\n"
		"  -c, --config FILE     fabric.yaml (required)\n"
		"  -s, --socket PATH     control socket (overrides control.socket)\n"
		"      --state-dir DIR   intent store directory (overrides state_dir)\n"
		"      --hooks-dir DIR   hooks directory (overrides hooks_dir; \"\" disables)\n"
		"      --check           validate the configuration and exit\n"
		"  -v, --verbose         log debug messages\n"
		"  -q, --quiet           log errors only\n"
		"  -V, --version         print the version and exit\n"
		"  -h, --help            this text\n"
		"Signals: SIGTERM/SIGINT stop cleanly; SIGHUP reloads FABRIC.yaml (timeouts, reconcile\n"
		"policy, retention) and keeps the running configuration if the file does not load.\n"
		"Log: stderr, one line per message, \"2026-12-04T02:06:34.007Z fabricd: info: ...\";\n"
		"to the journal (JOURNAL_STREAM) \"<6>info: ...\", journald adding the time.\n"
		"Exit status: 0 clean stop, 1 runtime failure, 2 bad usage or configuration.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"socket", required_argument, NULL, 's'},
		{"state-dir", required_argument, NULL, 1},
		{"hooks-dir", required_argument, NULL, 2},
		{"check", no_argument, NULL, 3},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cfg_path = NULL, *socket = NULL, *state_dir = NULL, *hooks_dir = NULL;
	struct fm_fabric_config *cfg = NULL;
	struct fm_daemon d;
	bool check = false;
	int log_level = FM_LOG_INFO, c, rc;
	char err[1024];
	uv_loop_t loop;

	/* Every binding write makes SQLite allocate and free ~87 KiB (the two ephemeral b-trees of
	 * the bindings UPSERT); at the top of the heap glibc returned that to the kernel (brk) on
	 * each free and took it back on the next write, and the TLB shootdowns of those brk calls
	 * were a third of fabricd's time at 64 clients (docs/PERFORMANCE.md). Keep a few MiB of
	 * free heap instead; larger frees (a big listing's buffers) are still given back. */
	mallopt(M_TRIM_THRESHOLD, 8 << 20);
	mallopt(M_TOP_PAD, 1 << 20);
	while ((c = getopt_long(argc, argv, "c:s:vqVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cfg_path = optarg; break;
		case 's': socket = optarg; break;
		case 1: state_dir = optarg; break;
		case 2: hooks_dir = optarg; break;
		case 3: check = true; break;
		case 'v': log_level = FM_LOG_DEBUG; break;
		case 'q': log_level = FM_LOG_ERR; break;
		case 'V': printf("fabricd %s\n", fm_daemon_version()); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !cfg_path) {
		fprintf(stderr, "fabricd: %s\n", optind != argc ? "unexpected argument" : "-c FABRIC.yaml is required");
		usage(stderr);
		return 2;
	}
	if (fm_fabric_config_load_file(cfg_path, &cfg, err, sizeof(err)) ||
	    (socket && fm_fabric_config_override(cfg, "control.socket", socket, err, sizeof(err))) ||
	    (state_dir && fm_fabric_config_override(cfg, "state_dir", state_dir, err, sizeof(err))) ||
	    (hooks_dir && fm_fabric_config_override(cfg, "hooks_dir", hooks_dir, err, sizeof(err))) ||
	    fm_fabric_config_fill_defaults(cfg, getenv("XDG_RUNTIME_DIR"), getenv("XDG_STATE_HOME"),
					   err, sizeof(err))) {
		fprintf(stderr, "fabricd: %s\n", err);
		fm_fabric_config_free(cfg);
		return 2;
	}
	if (check) {
		printf("%s: ok (%zu chassis, control socket %s, state %s)\n", cfg_path, cfg->n_chassis,
		       cfg->socket_path, cfg->state_dir);
		fm_fabric_config_free(cfg);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	fm_hooks_seal_inherited_fds();
	/* over RLIMIT_FSIZE (ulimit -f) a write fails with EFBIG, which the intent store
	 * reports (store-unavailable), instead of the signal killing the daemon */
	signal(SIGXFSZ, SIG_IGN);
	uv_loop_init(&loop);
	memset(&d, 0, sizeof(d));
	d.log_level = log_level;
	d.log_journal = fm_log_is_journal(getenv("JOURNAL_STREAM"), STDERR_FILENO);
	rc = fm_daemon_init(&d, &loop, cfg, cfg_path, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "fabricd: %s\n", err);
		d.stopping = false;
		fm_daemon_stop(&d);
		uv_run(&loop, UV_RUN_DEFAULT);
		fm_daemon_fini(&d);
		uv_loop_close(&loop);
		fm_fabric_config_free(cfg);
		return 1;
	}
	fm_daemon_start(&d);
	fm_log(&d, FM_LOG_INFO, "fabricd %s: control socket %s, state %s, %zu chassis",
	       fm_daemon_version(), cfg->socket_path, cfg->state_dir, cfg->n_chassis);
#ifdef FM_HAVE_SYSTEMD
	sd_notify(0, "READY=1");
#endif
	uv_run(&loop, UV_RUN_DEFAULT);
#ifdef FM_HAVE_SYSTEMD
	sd_notify(0, "STOPPING=1");
#endif
	fm_daemon_fini(&d);
	rc = uv_loop_close(&loop);
	fm_fabric_config_free(cfg);
	if (rc)
		fprintf(stderr, "fabricd: loop closed with handles open: %s\n", uv_strerror(rc));
	return rc ? 1 : 0;
}
