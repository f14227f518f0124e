/* assign: the mutating commands — assign (a function, or --any free VF of a card) and
 * unassign (managed, surprise, forced) — and how their outcome reads for people. */
#include <string.h>

#include <json-c/json.h>

#include "client.h"
#include "ctl.h"
#include "output.h"

/* "  set-num-vfs pf=nic0/pf0 num_vfs=64": each action of the result, in order. */
static void print_actions(struct json_object *res)
{
	struct json_object *acts = ctl_jarr(res, "actions");

	for (size_t i = 0; acts && i < json_object_array_length(acts); i++) {
		struct json_object *a = json_object_array_get_idx(acts, i);

		if (!json_object_is_type(a, json_type_object))
			continue;
		ctl_printf("  %s", ctl_or(ctl_jstr(a, "action"), "?"));
		json_object_object_foreach(a, k, v) {
			if (!strcmp(k, "action"))
				continue;
			ctl_printf(" %s=%s", k, json_object_is_type(v, json_type_string)
						        ? json_object_get_string(v)
						        : json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		}
		putchar('\n');
	}
}

/* " (vPPB 0, host BDF 03:00.0)" or "" */
static const char *where(struct json_object *res, char *buf, size_t len)
{
	int64_t vppb;
	const char *bdf = ctl_jstr(res, "host_bdf");

	if (!ctl_jint(res, "vppb", &vppb))
		return "";
	if (bdf)
		snprintf(buf, len, " (vPPB %lld, host BDF %s)", (long long)vppb, bdf);
	else
		snprintf(buf, len, " (vPPB %lld)", (long long)vppb);
	return buf;
}

/* Checks the members every mutating result has; prints it (JSON or words). */
static int report(struct ctl *c, const char *what, struct json_object *res, bool assign)
{
	const char *fn = ctl_jstr(res, "function"), *host = ctl_jstr(res, "host");
	int changed = ctl_jbool(res, "changed"), dry = ctl_jbool(res, "dry_run");
	char b[128];

	if (!fn)
		return ctl_bad_reply(what, "no \"function\" in the result");
	if (changed < 0)
		return ctl_bad_reply(what, "no \"changed\" in the result");
	if (c->output == CTL_OUT_JSON) {
		ctl_print_json(res);
		return 0;
	}
	if (assign) {
		if (!changed)
			ctl_printf("%s is already assigned to %s%s: nothing to do\n", fn, ctl_or(host, "?"),
			           where(res, b, sizeof(b)));
		else if (dry == 1)
			ctl_printf("would assign %s to %s:\n", fn, ctl_or(host, "?"));
		else
			ctl_printf("assigned %s to %s%s\n", fn, ctl_or(host, "?"), where(res, b, sizeof(b)));
	} else {
		if (!changed)
			ctl_printf("%s is not assigned: nothing to do\n", fn);
		else if (dry == 1)
			ctl_printf("would unassign %s from %s:\n", fn, ctl_or(host, "?"));
		else
			ctl_printf("unassigned %s from %s%s\n", fn, ctl_or(host, "?"), where(res, b, sizeof(b)));
	}
	if (changed)
		print_actions(res);
	/* an acknowledgement that the switch has not confirmed yet says so */
	if (ctl_jstr(res, "switch") && !strcmp(ctl_jstr(res, "switch"), "pending"))
		ctl_printf("  pending: stored as %s; fabricd tells the switch when it answers again\n",
		           ctl_or(ctl_jstr(res, "state"), "?"));
	if (ctl_jbool(res, "stored") == 0)
		ctl_printf("  note: done on the switch, but fabricd could not record it (see its log)\n");
	return 0;
}

int ctl_cmd_assign(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"any", no_argument, NULL, 'a'},
		{"dry-run", no_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	bool any = false, dry = false;
	struct json_object *params, *res;
	char what[512];
	int o, rc;

	while ((o = ctl_opt_next(c, cmd, argc, argv, opts)) != -1) {
		if (o == 'a')
			any = true;
		else if (o == 'n')
			dry = true;
		else
			return ctl_opt_exit(o);
	}
	if (argc - optind < 2)
		return ctl_usage_error(cmd, "missing %s", argc - optind == 0
							 ? (any ? "CARD and HOST" : "FUNCTION and HOST")
							 : "HOST");
	if (argc - optind > 2)
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind + 2]);
	params = json_object_new_object();
	if (any) {
		json_object_object_add(params, "card", json_object_new_string(argv[optind]));
		json_object_object_add(params, "any", json_object_new_boolean(1));
		snprintf(what, sizeof(what), "cannot assign a free VF of %s to %s", argv[optind],
			 argv[optind + 1]);
	} else {
		json_object_object_add(params, "function", json_object_new_string(argv[optind]));
		snprintf(what, sizeof(what), "cannot assign %s to %s", argv[optind], argv[optind + 1]);
	}
	json_object_object_add(params, "host", json_object_new_string(argv[optind + 1]));
	if (dry)
		json_object_object_add(params, "dry_run", json_object_new_boolean(1));
	if ((rc = ctl_call(c, what, "assign", params, &res)))
		return rc;
	rc = report(c, what, res, true);
	json_object_put(res);
	return rc;
}

int ctl_cmd_unassign(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"surprise", no_argument, NULL, 'S'},
		{"force", no_argument, NULL, 'F'},
		{"timeout", required_argument, NULL, 't'},
		{"dry-run", no_argument, NULL, 'n'},
		{NULL, 0, NULL, 0},
	};
	bool surprise = false, force = false, dry = false;
	int o, rc, host_ms = 0, wait_ms = 0;
	struct json_object *params, *res;
	char what[512];

	while ((o = ctl_opt_next(c, cmd, argc, argv, opts)) != -1) {
		switch (o) {
		case 'S': surprise = true; break;
		case 'F': force = true; break;
		case 'n': dry = true; break;
		case 't':
			if ((rc = ctl_parse_seconds(cmd, "--timeout", optarg, &host_ms)))
				return rc;
			if (host_ms > 3600 * 1000)
				return ctl_usage_error(cmd, "--timeout: at most 3600 s, got '%s'", optarg);
			break;
		default:
			return ctl_opt_exit(o);
		}
	}
	if (optind >= argc)
		return ctl_usage_error(cmd, "missing FUNCTION");
	if (optind + 1 < argc)
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
	snprintf(what, sizeof(what), "cannot unassign %s", argv[optind]);
	params = json_object_new_object();
	json_object_object_add(params, "function", json_object_new_string(argv[optind]));
	if (surprise)
		json_object_object_add(params, "mode", json_object_new_string("surprise"));
	if (force)
		json_object_object_add(params, "force", json_object_new_boolean(1));
	if (host_ms) {
		json_object_object_add(params, "timeout_ms", json_object_new_int(host_ms));
		/* the daemon answers only after the host had its time */
		if (host_ms + 10000 > c->timeout_ms)
			wait_ms = host_ms + 10000;
	}
	if (dry)
		json_object_object_add(params, "dry_run", json_object_new_boolean(1));
	if ((rc = ctl_call_ex(c, what, "unassign", params, wait_ms, NULL, NULL, &res)))
		return rc;
	rc = report(c, what, res, false);
	json_object_put(res);
	return rc;
}
