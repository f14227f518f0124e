/* commands: fabric-ctl's command table (nvme-cli style: one function per command, found by
 * name), the help and usage texts, and the option parsing every command shares. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client.h"
#include "ctl.h"
#include "output.h"

#define H_CHASSIS "  --chassis C      only chassis C\n"

static const struct ctl_cmd commands[] = {
	{"status", ctl_cmd_status, "status", "the daemon, its switches and its bindings at a glance",
	 "Show fabricd's version and uptime, each chassis connection, binding counts,\n"
	 "the last event's sequence number and bindings found on a switch that fabricd\n"
	 "did not make.\n"},
	{"switches", ctl_cmd_switches, "switches", "the chassis fabricd manages and their connections",
	 "List each chassis: connection state, endpoint, model, serial, firmware, how\n"
	 "often fabricd (re)connected, the last connection error, and its size.\n"},
	{"hosts", ctl_cmd_hosts, "hosts [--chassis C]", "the hosts (switch host ports) and their links",
	 "List the hosts: chassis, host port, link state, width and speed, and how many\n"
	 "of the host's vPPBs are bound.\n\nOptions:\n" H_CHASSIS},
	{"slots", ctl_cmd_slots, "slots [--chassis C]", "the card slots and their hotplug state",
	 "List the slots: presence, power, data link active, attention indicator, power\n"
	 "fault, and the card they hold.\n\nOptions:\n" H_CHASSIS},
	{"cards", ctl_cmd_cards, "cards [--chassis C]", "the adapter cards in the slots",
	 "List the cards: slot, sharing mode (exclusive, sr-iov, mr-iov), vendor:device,\n"
	 "enabled/total VFs, Device Serial Number and names.\n\nOptions:\n" H_CHASSIS},
	{"functions", ctl_cmd_functions,
	 "functions [--free] [--enabled] [--host H] [--card C] [--chassis C]",
	 "the PFs and VFs, and the host each one is bound to",
	 "List the functions: kind, vendor:device, binding state, the host and vPPB it is\n"
	 "bound to and its BDF as that host sees it, and names. A VF marked \"no\" under\n"
	 "ENABLED is above its PF's NumVFs; assign enables it.\n\nOptions:\n"
	 "  --free           only functions bound to no host\n"
	 "  --enabled        only enabled functions\n"
	 "  --host H         only functions bound to host H\n"
	 "  --card C         only the functions of card C\n" H_CHASSIS},
	{"show", ctl_cmd_show, "show NAME", "everything about one function, host or card",
	 "Show one function (CARD/pfN, CARD/pfN/vfM), host or card, by the name an\n"
	 "operator types; a host lists its bound functions, a card all of its functions.\n"
	 "With more than one chassis, prefix CHASSIS: when the name is ambiguous.\n"},
	{"assign", ctl_cmd_assign, "assign FUNCTION HOST [--dry-run]\nassign --any CARD HOST [--dry-run]",
	 "bind a function to a host's virtual hierarchy",
	 "Bind FUNCTION to a free vPPB of HOST; with --any, the first free VF of CARD\n"
	 "(lowest PF, lowest VF, enabled VFs first). VFs are enabled on their PF as\n"
	 "needed. Assigning a function to the host it is bound to changes nothing and\n"
	 "succeeds.\n\nOptions:\n"
	 "  --any            choose a free VF of CARD\n"
	 "  --dry-run        show what would be done, do nothing\n"},
	{"unassign", ctl_cmd_unassign,
	 "unassign FUNCTION [--surprise] [--force] [--timeout S] [--dry-run]",
	 "remove a function from its host",
	 "Unbind FUNCTION from its host. The default is a managed removal: the host is\n"
	 "asked (attention button) and fabricd waits until it lets go. Unassigning a\n"
	 "free function changes nothing and succeeds.\n\nOptions:\n"
	 "  --surprise       remove at once, as if the card were pulled\n"
	 "  --force          if the host does not let go in time, remove anyway\n"
	 "  --timeout S      how long the host gets, in seconds (fabricd's default\n"
	 "                   otherwise); fabric-ctl then waits at least S+10 s\n"
	 "  --dry-run        show what would be done, do nothing\n"},
	{"apply", ctl_cmd_apply, "apply FILE [--dry-run] [--prune]",
	 "make the bindings a bindings file asks for, all or nothing",
	 "Read FILE (- for stdin), a bindings file (configs/bindings.yaml): per host the\n"
	 "functions it should have, by name or as {card: C, count: N}, with optional QoS.\n"
	 "fabricd plans each binding (assign, move, qos-change, unchanged; unassign with\n"
	 "--prune) and checks the whole plan first: one binding that cannot be done\n"
	 "refuses it all, naming the binding at FILE:LINE:COLUMN, and nothing changes. If\n"
	 "a step fails on the switch, the steps done before are undone. Applying the same\n"
	 "file again changes nothing.\n\nOptions:\n"
	 "  --dry-run        show the plan, do nothing\n"
	 "  --prune          also unassign the bindings FILE does not name\n"},
	{"export", ctl_cmd_export, "export",
	 "the current bindings as a bindings file",
	 "Print the bindings fabricd holds as a bindings file for apply (bindings of cards\n"
	 "that are absent now cannot be named and are left out):\n\n"
	 "  fabric-ctl export > now.yaml && fabric-ctl apply now.yaml --dry-run\n"},
	{"vh", ctl_cmd_vh, "vh HOST", "a host's virtual hierarchy as a tree",
	 "Show HOST's virtual switch as the host enumerates it: the upstream bridge, each\n"
	 "vPPB with its BDF and secondary bus, and the function bound behind it with the\n"
	 "BDF the host sees.\n"},
	{"lspci", ctl_cmd_lspci, "lspci HOST", "a host's view as an lspci -xxxx dump",
	 "Print HOST's view of the fabric in `lspci -xxxx` form, verbatim, for\n"
	 "`lspci -F FILE`:\n\n"
	 "  fabric-ctl lspci web1 > web1.lspci && lspci -F web1.lspci -vvv\n"},
	{"events", ctl_cmd_events, "events [--follow] [--since SEQ] [--limit N]",
	 "the event log, or events as they happen",
	 "Print events (card-added, function-assigned, link-down, ...) with their\n"
	 "sequence numbers. Without --since, the last N. With --follow, keep printing\n"
	 "new events as they happen until interrupted (after the ones past --since, if\n"
	 "given); with -o json, one event object per line.\n\nOptions:\n"
	 "  --follow, -f     wait for new events\n"
	 "  --since SEQ      events after sequence number SEQ\n"
	 "  --limit N        at most N events (default 100; not with --follow)\n"},
	{"topology", ctl_cmd_topology, "topology [--format tree|dot]",
	 "chassis, hosts, slots, cards and bindings",
	 "Show the whole fabric: per chassis its hosts, its slots with their cards, and\n"
	 "the bindings. --format dot writes a Graphviz digraph:\n\n"
	 "  fabric-ctl topology --format dot | dot -Tsvg > fabric.svg\n\nOptions:\n"
	 "  --format tree|dot  the output (default tree; -o json ignores it)\n"},
	{"audit", ctl_cmd_audit, "audit [--since TIME] [--limit N]",
	 "who changed what, and what came of it",
	 "List the audit log of mutating calls (assign, unassign), allowed or not: time,\n"
	 "caller's uid/gid/pid, method, parameters, result and message.\n\nOptions:\n"
	 "  --since TIME     records from TIME on: RFC 3339 UTC (2026-11-25T03:40:12Z) or\n"
	 "                   epoch seconds\n"
	 "  --limit N        at most N records (default 100)\n"},
	{"hooks", ctl_cmd_hooks,
	 "hooks\nhooks runs [--since SEQ] [--limit N]\nhooks test EVENT [--function F] [--host H]",
	 "the hook scripts fabricd runs, and what came of them",
	 "List the executables in fabricd's hooks directory in the order they run\n"
	 "(byte order of name), those it refuses with the reason (not executable, owned\n"
	 "by another user, writable by group or others), how far each has been\n"
	 "delivered and its last result.\n\n"
	 "hooks runs lists recorded runs: the event's seq and name, the hook, the kind\n"
	 "(notify, veto, test), the result (ok, exit N, signal N, timeout, unfinished),\n"
	 "the duration and whether output was truncated or the run a redelivery.\n\n"
	 "hooks test runs every hook on a synthetic EVENT (seq 0, FABRIC_TEST=1), for\n"
	 "someone writing a hook; nothing is delivered or recorded as delivered. The exit\n"
	 "status is 1 when a hook failed.\n\nOptions:\n"
	 "  --since SEQ      runs: of events after sequence number SEQ\n"
	 "  --limit N        runs: at most N (default 100)\n"
	 "  --function F     test: the event is about function F (its card, chassis)\n"
	 "  --host H         test: the event is about host H\n"},
	{"version", ctl_cmd_version, "version", "fabric-ctl's and fabricd's versions",
	 "Print fabric-ctl's version, then the daemon's version and API level.\n"},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct ctl_cmd *ctl_cmd_find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

const struct ctl_cmd *ctl_cmd_at(unsigned i)
{
	return i < N_COMMANDS ? &commands[i] : NULL;
}

void ctl_cmd_usage(const struct ctl_cmd *cmd, FILE *f)
{
	const char *p = cmd->usage;
	bool first = true;

	while (*p) {
		size_t n = strcspn(p, "\n");

		ctl_fprintf(f, "%s fabric-ctl [OPTIONS] %.*s\n", first ? "Usage:" : "      ", (int)n, p);
		first = false;
		p += n + (p[n] == '\n');
	}
}

void ctl_cmd_help(const struct ctl_cmd *cmd, FILE *f)
{
	ctl_cmd_usage(cmd, f);
	ctl_fprintf(f, "\n%s\nOPTIONS before or after the command: -s SOCKET, -o table|json, and\n"
		       "before it --timeout S; see fabric-ctl --help and fabric-ctl(1).\n",
		cmd->help);
}

int ctl_usage_error(const struct ctl_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	ctl_fprintf(stderr, "fabric-ctl: %s: ", cmd->name);
	va_start(ap, fmt);
	ctl_vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ctl_cmd_usage(cmd, stderr);
	ctl_fprintf(stderr, "Try 'fabric-ctl %s --help'.\n", cmd->name);
	return CTL_EXIT_USAGE;
}

int ctl_opt_next(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv,
		 const struct option *opts)
{
	static const struct option common[] = {
		{"help", no_argument, NULL, 'h'},
		{"output", required_argument, NULL, 'o'},
		{"socket", required_argument, NULL, 's'},
	};
	struct option all[32];
	char shorts[16] = ":ho:s:";
	size_t n = 0;
	int o;

	for (; opts && opts[n].name && n < 24; n++) {
		all[n] = opts[n];
		if (opts[n].val == 'f' && !strchr(shorts, 'f'))
			strcat(shorts, "f"); /* events -f: tail's spelling */
	}
	memcpy(all + n, common, sizeof(common));
	memset(&all[n + 3], 0, sizeof(all[0]));
	opterr = 0;
	o = getopt_long(argc, argv, shorts, all, NULL);
	switch (o) {
	case 'h':
		ctl_cmd_help(cmd, stdout);
		return CTL_OPT_DONE_OK;
	case 'o':
		if (!strcmp(optarg, "table"))
			c->output = CTL_OUT_TABLE;
		else if (!strcmp(optarg, "json"))
			c->output = CTL_OUT_JSON;
		else {
			ctl_usage_error(cmd, "-o: expected table or json, got '%s'", optarg);
			return CTL_OPT_DONE_USAGE;
		}
		return ctl_opt_next(c, cmd, argc, argv, opts);
	case 's':
		c->socket = optarg;
		return ctl_opt_next(c, cmd, argc, argv, opts);
	case '?':
		if (optopt)
			ctl_usage_error(cmd, "unknown option '-%c'", optopt);
		else
			ctl_usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
		return CTL_OPT_DONE_USAGE;
	case ':':
		ctl_usage_error(cmd, "option '%s' needs an argument", argv[optind - 1]);
		return CTL_OPT_DONE_USAGE;
	}
	return o;
}

int ctl_opt_exit(int o)
{
	return o == CTL_OPT_DONE_OK ? CTL_EXIT_OK : CTL_EXIT_USAGE;
}

int ctl_parse_seconds(const struct ctl_cmd *cmd, const char *opt, const char *arg, int *ms)
{
	char *end;
	double s;

	errno = 0;
	s = strtod(arg, &end);
	if (errno || end == arg || *end || !(s > 0 && s <= 7 * 24 * 3600)) { /* NaN fails too */
		if (cmd)
			return ctl_usage_error(cmd, "%s: expected seconds (0 < S <= 604800), got '%s'",
					       opt, arg);
		ctl_fprintf(stderr, "fabric-ctl: %s: expected seconds (0 < S <= 604800), got '%s'\n", opt,
			arg);
		return CTL_EXIT_USAGE;
	}
	*ms = (int)(s * 1000 + 0.999); /* round up: 0.0001 s still waits 1 ms */
	return 0;
}

/* ---- version ---------------------------------------------------------------------------- */

int ctl_cmd_version(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct json_object *res;
	int64_t api;
	int o, rc;

	while ((o = ctl_opt_next(c, cmd, argc, argv, NULL)) != -1)
		return ctl_opt_exit(o);
	if (optind < argc)
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (c->output == CTL_OUT_TABLE) {
		ctl_printf("fabric-ctl %s\n", CTL_VERSION);
		fflush(stdout);
	}
	rc = ctl_call(c, "cannot ask fabricd its version", "version", NULL, &res);
	if (rc)
		return rc;
	if (c->output == CTL_OUT_JSON) {
		json_object_object_add(res, "client_version", json_object_new_string(CTL_VERSION));
		ctl_print_json(res);
	} else {
		const char *v = ctl_jstr(res, "version");

		if (ctl_jint(res, "api", &api))
			ctl_printf("fabricd %s (control API %lld)\n", v ? v : "?", (long long)api);
		else
			ctl_printf("fabricd %s\n", v ? v : "?");
	}
	json_object_put(res);
	return 0;
}
