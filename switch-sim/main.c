/* switch-sim: the MR-IOV switch chassis simulator. `switch-sim CHASSIS.yaml` runs the
 * chassis; `switch-sim COMMAND ...` (insert, remove, button, link, fault, reboot, host,
 * dump, status, delay, traffic) does a bench action against a running one. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "bench.h"
#include "chassis.h"
#include "mgmt.h"
#include "sim.h"

struct app {
	uv_loop_t loop;
	struct sim *sim;
	struct sim_mgmt *mgmt;
	struct sim_bench *bench;
	uv_signal_t sig_term, sig_int;
	bool verbose;
};

static const char *const bench_commands[] = {"insert", "remove", "button", "link", "fault",
					     "reboot", "host", "dump", "status", "delay", "traffic",
					     NULL};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: switch-sim [options] CHASSIS.yaml              run the chassis\n"
		"       switch-sim [-c CHASSIS.yaml | -b ENDPOINT] COMMAND [ARGS]   bench action\n"
		"run options:\n"
		"  -m, --management ENDPOINT   override the chassis's management endpoint\n"
		"  -b, --bench ENDPOINT        override (or set) the bench endpoint\n"
		"      --fault-seed N          seed of the fault injector (default 1)\n"
		"      --fault-drop P          drop this fraction of requests (0..1 or N%%)\n"
		"      --fault-error P         answer this fraction FMP_E_INJECTED\n"
		"      --fault-delay-ms MS     delay each answer by 0..MS ms\n"
		"  -v, --verbose               log every event\n"
		"bench commands (SLOT: number, card name or slotN; PORT: number or host name):\n"
		"  insert SLOT PROFILE SERIAL [NAME]   remove SLOT [--surprise]   button SLOT\n"
		"  link PORT up|down   fault SLOT   reboot   host PORT respond [MS]|ignore\n"
		"  host PORT setpci BB:DD.F OFFSET.{B,W,L}=VALUE (the host writes a PF it owns)\n"
		"  host PORT sriov BB:DD.F NUMVFS (the host's PF driver enables NUMVFS VFs)\n"
		"  dump PORT (the host's view in lspci -xxxx form)   status\n"
		"  delay OPCODE MS (answers to OPCODE, e.g. unbind, get-functions, wait MS ms; 0 ends)\n"
		"  traffic HOST FUNCTION GBPS (the load HOST offers through its binding of FUNCTION,\n"
		"    CARD/pfN[/vfM], in Gb/s)\n"
		"ENDPOINT: unix:PATH or tcp:127.0.0.1:PORT.\n"
		"Exit status: 0 ok, 1 refused / runtime failure, 2 usage or configuration error,\n"
		"3 bench socket unreachable.\n");
}

static bool is_bench_command(const char *s)
{
	for (unsigned i = 0; bench_commands[i]; i++)
		if (!strcmp(s, bench_commands[i]))
			return true;
	return false;
}

static void on_event(void *arg, const struct fmp_event *ev)
{
	struct app *a = arg;

	if (a->verbose)
		fprintf(stderr, "switch-sim: event %llu %s slot %d port %d vppb %d detail %u\n",
			(unsigned long long)ev->seq, fmp_event_type_name(ev->type),
			ev->slot == FMP_SLOT_NONE ? -1 : ev->slot, ev->port == FMP_PORT_NONE ? -1 : ev->port,
			ev->vppb == FMP_VPPB_NONE ? -1 : ev->vppb, ev->detail);
	sim_mgmt_event(a->mgmt, ev);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct app *a = s->data;

	fprintf(stderr, "switch-sim: %s: shutting down\n", signum == SIGTERM ? "SIGTERM" : "SIGINT");
	sim_bench_free(a->bench);
	a->bench = NULL;
	sim_mgmt_free(a->mgmt);
	a->mgmt = NULL;
	sim_free(a->sim);
	a->sim = NULL;
	uv_close((uv_handle_t *)&a->sig_term, NULL);
	uv_close((uv_handle_t *)&a->sig_int, NULL);
}

static int bench_client_main(const char *chassis_path, const char *bench_spec, int argc,
			     char **argv)
{
	struct sim_chassis_cfg *cfg = NULL;
	struct endpoint ep;
	char err[1024];

	if (bench_spec) {
		if (endpoint_parse(bench_spec, &ep, err, sizeof(err))) {
			fprintf(stderr, "switch-sim: --bench: %s\n", err);
			return 2;
		}
	} else if (chassis_path) {
		if (sim_chassis_load(chassis_path, &cfg, err, sizeof(err))) {
			fprintf(stderr, "switch-sim: %s\n", err);
			return 2;
		}
		if (!cfg->has_bench) {
			fprintf(stderr, "switch-sim: %s has no bench endpoint; use -b ENDPOINT\n",
				chassis_path);
			sim_chassis_cfg_free(cfg);
			return 2;
		}
		ep = cfg->bench;
		sim_chassis_cfg_free(cfg);
	} else if (getenv("SWITCH_SIM_BENCH")) {
		if (endpoint_parse(getenv("SWITCH_SIM_BENCH"), &ep, err, sizeof(err))) {
			fprintf(stderr, "switch-sim: SWITCH_SIM_BENCH: %s\n", err);
			return 2;
		}
	} else {
		fprintf(stderr, "switch-sim: %s: which simulator? give -c CHASSIS.yaml, -b ENDPOINT "
				"or SWITCH_SIM_BENCH\n", argv[0]);
		return 2;
	}
	return sim_bench_client(&ep, argc, argv);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"management", required_argument, NULL, 'm'},
		{"bench", required_argument, NULL, 'b'},
		{"chassis", required_argument, NULL, 'c'},
		{"fault-seed", required_argument, NULL, 1},
		{"fault-drop", required_argument, NULL, 2},
		{"fault-error", required_argument, NULL, 3},
		{"fault-delay-ms", required_argument, NULL, 4},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *mgmt_spec = NULL, *bench_spec = NULL, *chassis_opt = NULL;
	struct sim_fault_cfg fault = {.seed = 1};
	struct sim_chassis_cfg *cfg = NULL;
	struct sim_ops ops = {on_event};
	struct endpoint mgmt_ep, bench_ep;
	bool have_bench = false;
	struct app a;
	char err[1024], *end;
	int c, rc;

	memset(&a, 0, sizeof(a));
	signal(SIGPIPE, SIG_IGN); /* a peer that hangs up is an error to report, not a kill */
	/* "+": stop at the first non-option, so bench arguments like --surprise pass through */
	while ((c = getopt_long(argc, argv, "+m:b:c:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'm': mgmt_spec = optarg; break;
		case 'b': bench_spec = optarg; break;
		case 'c': chassis_opt = optarg; break;
		case 'v': a.verbose = true; break;
		case 'h': usage(stdout); return 0;
		case 1:
			errno = 0;
			fault.seed = strtoull(optarg, &end, 0);
			if (*end || errno) {
				fprintf(stderr, "switch-sim: --fault-seed: not a number: \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 2:
		case 3:
			if (sim_fault_parse_rate(optarg, c == 2 ? &fault.drop : &fault.error)) {
				fprintf(stderr, "switch-sim: --fault-%s: expected a fraction 0..1 or N%%, got \"%s\"\n",
					c == 2 ? "drop" : "error", optarg);
				return 2;
			}
			break;
		case 4: {
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (*end || errno || v > 600000) {
				fprintf(stderr, "switch-sim: --fault-delay-ms: expected 0..600000, got \"%s\"\n", optarg);
				return 2;
			}
			fault.delay_ms = (uint32_t)v;
			break;
		}
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc && is_bench_command(argv[optind]))
		return bench_client_main(chassis_opt, bench_spec, argc - optind, argv + optind);
	if (optind + 1 != argc || chassis_opt) {
		fprintf(stderr, "switch-sim: %s\n", optind >= argc ? "a CHASSIS.yaml is required"
					    : optind + 1 < argc ? "unexpected arguments after CHASSIS.yaml"
								: "-c is for bench commands");
		usage(stderr);
		return 2;
	}
	if (sim_chassis_load(argv[optind], &cfg, err, sizeof(err))) {
		fprintf(stderr, "switch-sim: %s\n", err);
		return 2;
	}
	mgmt_ep = cfg->management;
	if (mgmt_spec && endpoint_parse(mgmt_spec, &mgmt_ep, err, sizeof(err))) {
		fprintf(stderr, "switch-sim: management endpoint: %s\n", err);
		sim_chassis_cfg_free(cfg);
		return 2;
	}
	bench_ep = cfg->bench;
	have_bench = cfg->has_bench;
	if (bench_spec) {
		if (endpoint_parse(bench_spec, &bench_ep, err, sizeof(err))) {
			fprintf(stderr, "switch-sim: bench endpoint: %s\n", err);
			sim_chassis_cfg_free(cfg);
			return 2;
		}
		have_bench = true;
	}
	uv_loop_init(&a.loop);
	rc = sim_new(&a.loop, cfg, &ops, &a, &a.sim, err, sizeof(err));
	if (!rc)
		rc = sim_mgmt_new(&a.loop, a.sim, &mgmt_ep, &fault, &a.mgmt, err, sizeof(err));
	if (!rc && have_bench)
		rc = sim_bench_new(&a.loop, a.sim, a.mgmt, &bench_ep, &a.bench, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "switch-sim: %s\n", err);
		sim_bench_free(a.bench);
		sim_mgmt_free(a.mgmt);
		sim_free(a.sim);
		uv_run(&a.loop, UV_RUN_DEFAULT);
		uv_loop_close(&a.loop);
		sim_chassis_cfg_free(cfg);
		return 1;
	}
	uv_signal_init(&a.loop, &a.sig_term);
	uv_signal_init(&a.loop, &a.sig_int);
	a.sig_term.data = a.sig_int.data = &a;
	uv_signal_start(&a.sig_term, on_signal, SIGTERM);
	uv_signal_start(&a.sig_int, on_signal, SIGINT);
	{
		char m[160], b[160] = "none";

		endpoint_format(&mgmt_ep, m, sizeof(m));
		if (have_bench)
			endpoint_format(&bench_ep, b, sizeof(b));
		fprintf(stderr, "switch-sim: chassis %s (%s): %zu host ports, %zu slots; management %s, bench %s%s\n",
			cfg->name, cfg->model, cfg->n_ports, cfg->n_slots, m, b,
			sim_fault_enabled(sim_mgmt_fault(a.mgmt)) ? ", fault injection on" : "");
	}
	uv_run(&a.loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&a.loop);
	sim_chassis_cfg_free(cfg);
	if (rc)
		fprintf(stderr, "switch-sim: loop closed with handles open\n");
	return rc ? 1 : 0;
}
