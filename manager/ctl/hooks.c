/* hooks: fabric-ctl hooks — the hooks fabricd runs and their last results, the recorded
 * runs (hooks runs), and a dry run of the hooks on a synthetic event (hooks test). */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client.h"
#include "ctl.h"
#include "output.h"
#include "table.h"

/* "12 ms", or "-" while unfinished */
static const char *fmt_duration(struct json_object *run, char *buf, size_t len)
{
	int64_t ms;

	if (!run || !ctl_jint(run, "duration_ms", &ms))
		return "-";
	snprintf(buf, len, "%lld ms", (long long)ms);
	return buf;
}

static const char *fmt_flags(struct json_object *run, char *buf, size_t len)
{
	int64_t dropped = 0;

	buf[0] = '\0';
	if (ctl_jbool(run, "truncated") == 1 && ctl_jint(run, "dropped_bytes", &dropped))
		snprintf(buf, len, "truncated (%lld bytes dropped)", (long long)dropped);
	if (ctl_jbool(run, "redelivery") == 1)
		snprintf(buf + strlen(buf), len - strlen(buf), "%sredelivery", buf[0] ? ", " : "");
	return buf[0] ? buf : "-";
}

static int list_hooks(struct ctl *c)
{
	static const char *const h[] = {"HOOK", "RUNS", ">DELIVERED", ">LAST-SEQ", "LAST-EVENT",
					"RESULT", ">DURATION", "NOTE", NULL};
	const char *what = "cannot list the hooks";
	struct json_object *res, *hooks;
	int rc;

	if ((rc = ctl_call(c, what, "hooks", json_object_new_object(), &res)))
		return rc;
	if ((rc = ctl_result_array(what, res, "hooks", &hooks)))
		goto out;
	if (c->output == CTL_OUT_JSON) {
		ctl_print_json(res);
	} else {
		struct ctl_table *t = ctl_table_new(h);
		char b[4][64];
		int64_t v;

		ctl_printf("hooks_dir %s (timeout %s ms, at most %s at once)", ctl_or(ctl_jstr(res, "dir"), "(none)"),
		       ctl_fmt_int(res, "timeout_ms", b[0], sizeof(b[0])),
		       ctl_fmt_int(res, "max_parallel", b[1], sizeof(b[1])));
		if (ctl_jint(res, "running", &v) && v)
			ctl_printf(", %lld running", (long long)v);
		if (ctl_jint(res, "queued", &v) && v)
			ctl_printf(", %lld events queued", (long long)v);
		ctl_printf("\n");
		if (ctl_jstr(res, "error"))
			ctl_printf("error: %s\n", ctl_jstr(res, "error"));
		for (size_t i = 0; i < json_object_array_length(hooks); i++) {
			struct json_object *k = json_object_array_get_idx(hooks, i);
			struct json_object *last = ctl_jobj(k, "last");
			bool runs = ctl_jbool(k, "runs") == 1;

			ctl_table_row(t);
			ctl_table_str(t, ctl_jstr(k, "name"));
			ctl_table_str(t, runs ? "yes" : "no");
			ctl_table_str(t, runs ? ctl_fmt_int(k, "delivered_seq", b[0], sizeof(b[0])) : "-");
			ctl_table_str(t, last ? ctl_fmt_int(last, "seq", b[1], sizeof(b[1])) : "-");
			ctl_table_str(t, last ? ctl_jstr(last, "event") : "-");
			ctl_table_str(t, last ? ctl_jstr(last, "result") : "-");
			ctl_table_str(t, fmt_duration(last, b[2], sizeof(b[2])));
			ctl_table_str(t, runs ? (last ? fmt_flags(last, b[3], sizeof(b[3])) : "-")
					      : ctl_or(ctl_jstr(k, "reason"), "-"));
		}
		if (ctl_table_rows(t))
			ctl_table_print(t, stdout, 0);
		else
			ctl_printf("no hooks\n");
		ctl_table_free(t);
	}
out:
	json_object_put(res);
	return rc;
}

static void runs_table(struct json_object *runs, bool with_seq, bool with_stderr)
{
	static const char *const h[] = {">SEQ", "EVENT", "HOOK", "KIND", "TIME", "RESULT",
					">DURATION", "NOTE", NULL};
	static const char *const ht[] = {"HOOK", "RESULT", ">DURATION", "NOTE", "STDERR", NULL};
	struct ctl_table *t = ctl_table_new(with_seq ? h : ht);
	char b[3][64];

	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		struct json_object *r = json_object_array_get_idx(runs, i);

		ctl_table_row(t);
		if (with_seq) {
			ctl_table_str(t, ctl_fmt_int(r, "seq", b[0], sizeof(b[0])));
			ctl_table_str(t, ctl_jstr(r, "event"));
		}
		ctl_table_str(t, ctl_jstr(r, "hook"));
		if (with_seq) {
			ctl_table_str(t, ctl_jstr(r, "kind"));
			ctl_table_str(t, ctl_jstr(r, "time"));
		}
		ctl_table_str(t, ctl_jstr(r, "result"));
		ctl_table_str(t, fmt_duration(r, b[1], sizeof(b[1])));
		ctl_table_str(t, fmt_flags(r, b[2], sizeof(b[2])));
		if (with_stderr)
			ctl_table_str(t, ctl_or(ctl_jstr(r, "stderr"), "-"));
	}
	if (ctl_table_rows(t))
		ctl_table_print(t, stdout, 0);
	else
		ctl_printf("no runs\n");
	ctl_table_free(t);
}

static int list_runs(struct ctl *c, int64_t since, int64_t limit)
{
	const char *what = "cannot list the hook runs";
	struct json_object *params = json_object_new_object(), *res, *runs;
	int rc;

	if (since >= 0)
		json_object_object_add(params, "since", json_object_new_int64(since));
	if (limit > 0)
		json_object_object_add(params, "limit", json_object_new_int64(limit));
	if ((rc = ctl_call(c, what, "hook_runs", params, &res)))
		return rc;
	if ((rc = ctl_result_array(what, res, "runs", &runs)))
		goto out;
	if (c->output == CTL_OUT_JSON)
		ctl_print_json(res);
	else
		runs_table(runs, true, false);
out:
	json_object_put(res);
	return rc;
}

static int test_hooks(struct ctl *c, const char *event, const char *function, const char *host)
{
	struct json_object *params = json_object_new_object(), *res, *runs;
	char what[160];
	int rc;
	size_t failed = 0;

	snprintf(what, sizeof(what), "cannot test the hooks with %s", event);
	json_object_object_add(params, "event", json_object_new_string(event));
	if (function)
		json_object_object_add(params, "function", json_object_new_string(function));
	if (host)
		json_object_object_add(params, "host", json_object_new_string(host));
	if ((rc = ctl_call(c, what, "hook_test", params, &res)))
		return rc;
	if ((rc = ctl_result_array(what, res, "runs", &runs)))
		goto out;
	for (size_t i = 0; i < json_object_array_length(runs); i++) {
		const char *r = ctl_jstr(json_object_array_get_idx(runs, i), "result");

		failed += !r || strcmp(r, "ok");
	}
	if (c->output == CTL_OUT_JSON)
		ctl_print_json(res);
	else
		runs_table(runs, false, true);
	if (failed) {
		ctl_fprintf(stderr, "fabric-ctl: hooks test %s: %zu of %zu hooks failed\n", event, failed,
			json_object_array_length(runs));
		rc = CTL_EXIT_REFUSED;
	}
out:
	json_object_put(res);
	return rc;
}

int ctl_cmd_hooks(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"since", required_argument, NULL, 'S'},
		{"limit", required_argument, NULL, 'l'},
		{"function", required_argument, NULL, 'F'},
		{"host", required_argument, NULL, 'H'},
		{NULL, 0, NULL, 0},
	};
	const char *function = NULL, *host = NULL, *sub;
	int64_t since = -1, limit = 0;
	bool run_opts = false, test_opts = false;
	int o, rc;

	while ((o = ctl_opt_next(c, cmd, argc, argv, opts)) != -1) {
		switch (o) {
		case 'S':
			if ((rc = ctl_parse_count(cmd, "--since", optarg, 0, &since)))
				return rc;
			run_opts = true;
			break;
		case 'l':
			if ((rc = ctl_parse_count(cmd, "--limit", optarg, 1, &limit)))
				return rc;
			run_opts = true;
			break;
		case 'F':
			function = optarg;
			test_opts = true;
			break;
		case 'H':
			host = optarg;
			test_opts = true;
			break;
		default:
			return ctl_opt_exit(o);
		}
	}
	sub = optind < argc ? argv[optind++] : NULL;
	if (!sub) {
		if (run_opts || test_opts)
			return ctl_usage_error(cmd, "--since, --limit, --function and --host go with "
						    "'runs' or 'test'");
		return list_hooks(c);
	}
	if (!strcmp(sub, "runs")) {
		if (test_opts)
			return ctl_usage_error(cmd, "runs takes --since and --limit");
		if (optind < argc)
			return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
		return list_runs(c, since, limit);
	}
	if (!strcmp(sub, "test")) {
		if (run_opts)
			return ctl_usage_error(cmd, "test takes --function and --host");
		if (optind >= argc)
			return ctl_usage_error(cmd, "test needs an EVENT (card-removed, pre-assign, ...)");
		if (optind + 1 < argc)
			return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
		return test_hooks(c, argv[optind], function, host);
	}
	return ctl_usage_error(cmd, "unknown subcommand '%s' (runs, test)", sub);
}
