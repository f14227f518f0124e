/* fabric-ctl: the operator's command line for fabricd (fabric-ctl(1)). Parses the global
 * options, finds the command in the table, runs it, and exits with its code. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "ctl.h"
#include "output.h"

/* Set by SIGINT/SIGTERM once a command asked for it (events --follow). */
static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void catch_stop(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: poll() returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void usage(FILE *f)
{
	fputs("Usage: fabric-ctl [-s SOCKET] [-o table|json] [--timeout S] COMMAND [ARGS]\n"
	      "\n"
	      "The operator's command line for fabricd, the MR-IOV fabric manager.\n"
	      "\n"
	      "Options:\n"
	      "  -s, --socket SOCKET   fabricd's control socket (default $FABRIC_SOCKET, else\n"
	      "                        $XDG_RUNTIME_DIR/mriov-fabric/fabricd.sock, else\n"
	      "                        /run/mriov-fabric/fabricd.sock)\n"
	      "  -o, --output FORMAT   table (default) or json\n"
	      "      --timeout S       give up waiting for fabricd after S seconds (default 60)\n"
	      "  -h, --help            this help; COMMAND --help for a command's\n"
	      "  -V, --version         fabric-ctl's version\n"
	      "\n"
	      "Commands:\n", f);
	for (unsigned i = 0; ctl_cmd_at(i); i++)
		ctl_fprintf(f, "  %-10s %s\n", ctl_cmd_at(i)->name, ctl_cmd_at(i)->summary);
	fputs("\nExit status: 0 done, 1 refused by fabricd, 2 usage error, 3 fabricd unreachable\n"
	      "or no valid answer in time.\n", f);
}

/* The daemon's default (fabric_config.c): $XDG_RUNTIME_DIR if absolute, else /run. */
static const char *default_socket(char *buf, size_t len)
{
	const char *env = getenv("FABRIC_SOCKET"), *xdg = getenv("XDG_RUNTIME_DIR");

	if (env && *env)
		return env;
	snprintf(buf, len, "%s/mriov-fabric/fabricd.sock", xdg && xdg[0] == '/' ? xdg : "/run");
	return buf;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"output", required_argument, NULL, 'o'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	char sockbuf[4096];
	struct ctl c = {
		.output = CTL_OUT_TABLE,
		.timeout_ms = 60 * 1000,
		.stop = &stop_requested,
		.catch_stop = catch_stop,
	};
	const struct ctl_cmd *cmd;
	int o, rc, flushed;
	bool gone;

	/* writes to a closed pipe fail with EPIPE instead of killing us: `| head` exits 0 */
	signal(SIGPIPE, SIG_IGN);
	c.socket = default_socket(sockbuf, sizeof(sockbuf));
	opterr = 0;
	while ((o = getopt_long(argc, argv, "+:s:o:hV", opts, NULL)) != -1) {
		switch (o) {
		case 's':
			c.socket = optarg;
			break;
		case 'o':
			if (!strcmp(optarg, "table"))
				c.output = CTL_OUT_TABLE;
			else if (!strcmp(optarg, "json"))
				c.output = CTL_OUT_JSON;
			else {
				ctl_fprintf(stderr, "fabric-ctl: -o: expected table or json, got '%s'\n", optarg);
				goto usage_err;
			}
			break;
		case 't':
			if (ctl_parse_seconds(NULL, "--timeout", optarg, &c.timeout_ms))
				goto usage_err;
			break;
		case 'h':
			usage(stdout);
			return CTL_EXIT_OK;
		case 'V':
			ctl_printf("fabric-ctl %s\n", CTL_VERSION);
			return CTL_EXIT_OK;
		case ':':
			ctl_fprintf(stderr, "fabric-ctl: option '%s' needs an argument\n", argv[optind - 1]);
			goto usage_err;
		default:
			if (optopt)
				ctl_fprintf(stderr, "fabric-ctl: unknown option '-%c'\n", optopt);
			else
				ctl_fprintf(stderr, "fabric-ctl: unknown option '%s'\n", argv[optind - 1]);
			goto usage_err;
		}
	}
	if (optind >= argc) {
		ctl_fprintf(stderr, "fabric-ctl: no command given\n");
		goto usage_err;
	}
	if (!strcmp(argv[optind], "help")) {
		if (optind + 1 < argc && (cmd = ctl_cmd_find(argv[optind + 1]))) {
			ctl_cmd_help(cmd, stdout);
			return CTL_EXIT_OK;
		}
		if (optind + 1 < argc) {
			ctl_fprintf(stderr, "fabric-ctl: help: unknown command '%s'\n", argv[optind + 1]);
			goto usage_err;
		}
		usage(stdout);
		return CTL_EXIT_OK;
	}
	cmd = ctl_cmd_find(argv[optind]);
	if (!cmd) {
		ctl_fprintf(stderr, "fabric-ctl: unknown command '%s'\n", argv[optind]);
		goto usage_err;
	}
	argc -= optind;
	argv += optind;
	optind = 0; /* GNU getopt: start over on the command's arguments */
	rc = cmd->run(&c, cmd, argc, argv);
	ctl_conn_free(c.conn);
	flushed = ctl_flush(&gone);
	return rc ? rc : flushed;

usage_err:
	usage(stderr);
	return CTL_EXIT_USAGE;
}
