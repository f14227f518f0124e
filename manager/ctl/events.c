/* events: the event log (events, events --follow over a subscription) and the audit log,
 * one line per record with the record's members as key=value pairs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "client.h"
#include "ctl.h"
#include "output.h"
#include "table.h"

/* Appends " key=value" for each member of o but those in skip; nested objects flatten. */
static void append_pairs(char **buf, size_t *len, struct json_object *o, const char *const *skip)
{
	json_object_object_foreach(o, k, v) {
		const char *s;
		bool skipped = false, quote;
		char *more = NULL;
		int n;

		for (size_t i = 0; skip && skip[i]; i++)
			skipped |= !strcmp(skip[i], k);
		if (skipped)
			continue;
		if (json_object_is_type(v, json_type_object)) {
			append_pairs(buf, len, v, NULL);
			continue;
		}
		s = json_object_is_type(v, json_type_string)
			    ? json_object_get_string(v)
			    : json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		quote = json_object_is_type(v, json_type_string) && (!*s || strpbrk(s, " \t\"="));
		n = asprintf(&more, "%s%s=%s%s%s", *len ? " " : "", k, quote ? "\"" : "", s,
			     quote ? "\"" : "");
		if (n < 0)
			ctl_die_nomem();
		*buf = ctl_xrealloc(*buf, *len + (size_t)n + 1);
		memcpy(*buf + *len, more, (size_t)n + 1);
		*len += (size_t)n;
		free(more);
	}
}

/* One event as a line: "    12  2026-11-25T03:40:12Z  function-assigned    chassis=... ". */
static void print_event(struct json_object *e)
{
	/* the card's identity (serial, vendor, device) is for hooks and -o json */
	static const char *const skip[] = {"seq", "time", "event", "serial", "vendor", "device", NULL};
	char *pairs = NULL, seq[32];
	size_t len = 0;

	append_pairs(&pairs, &len, e, skip);
	ctl_printf("%6s  %-20s  %-19s  %s\n", ctl_fmt_int(e, "seq", seq, sizeof(seq)),
	           ctl_or(ctl_jstr(e, "time"), "-"), ctl_or(ctl_jstr(e, "event"), "?"),
	           pairs ? pairs : "");
	free(pairs);
}

/* What on_event returns to end the wait: the reader went away, or output failed. */
#define NOTIFY_STOP 100

struct follow {
	struct ctl *c;
	int rc; /* the exit code when printing stopped the wait */
};

static int on_event(void *arg, const char *method, struct json_object *params)
{
	struct follow *f = arg;
	bool gone;

	if (strcmp(method, "event") || !params)
		return 0;
	if (f->c->output == CTL_OUT_JSON)
		ctl_print_json_line(params);
	else
		print_event(params);
	f->rc = ctl_flush(&gone);
	return f->rc || gone ? NOTIFY_STOP : 0;
}

int ctl_parse_count(const struct ctl_cmd *cmd, const char *opt, const char *arg, int64_t min,
		    int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (errno || end == arg || *end || v < min || arg[0] == '-' || arg[0] == '+')
		return ctl_usage_error(cmd, "%s: expected a number >= %lld, got '%s'", opt,
				       (long long)min, arg);
	*out = v;
	return 0;
}

/* audit --since: RFC 3339 UTC or epoch seconds, as fabricd reads it (api.c parse_time), so a
 * bad value is a usage error (2) here rather than fabricd's bad-params refusal (1). */
static bool valid_audit_time(const char *s)
{
	struct tm tm;
	const char *end;
	char *num_end;
	long long v;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end && !*end && s[0] >= '0' && s[0] <= '9')
		return true;
	errno = 0;
	v = strtoll(s, &num_end, 10);
	/* digits only, and no later than 9999-12-31: fabricd multiplies by 1000 */
	return s[0] >= '0' && s[0] <= '9' && !*num_end && !errno && v <= 253402300799LL;
}

static int follow(struct ctl *c, struct json_object *params)
{
	const char *what = "cannot subscribe to events";
	struct follow f = {.c = c};
	struct json_object *res;
	char err[512];
	int rc;

	c->catch_stop();
	rc = ctl_call_ex(c, what, "subscribe", params, 0, on_event, &f, &res);
	if (rc == CTL_CALL_STOPPED)
		return 0;
	if (rc == NOTIFY_STOP)
		return f.rc;
	if (rc)
		return rc;
	json_object_put(res);
	rc = ctl_conn_listen(c->conn, c->stop, on_event, &f, err, sizeof(err));
	if (rc == NOTIFY_STOP)
		return f.rc;
	if (rc == -EINTR)
		return 0;
	if (rc == -EPROTO || rc == -EMSGSIZE)
		ctl_fprintf(stderr, "fabric-ctl: following events: bad message from fabricd: %s\n", err);
	else
		ctl_fprintf(stderr, "fabric-ctl: following events: %s\n", err);
	return CTL_EXIT_UNREACHABLE;
}

int ctl_cmd_events(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"follow", no_argument, NULL, 'f'},
		{"since", required_argument, NULL, 'S'},
		{"limit", required_argument, NULL, 'l'},
		{NULL, 0, NULL, 0},
	};
	const char *what = "cannot read the event log";
	struct json_object *params, *res, *events;
	int64_t since = -1, limit = 100, last;
	bool follow_on = false, has_limit = false;
	int o, rc;

	while ((o = ctl_opt_next(c, cmd, argc, argv, opts)) != -1) {
		switch (o) {
		case 'f': follow_on = true; break;
		case 'S':
			if ((rc = ctl_parse_count(cmd, "--since", optarg, 0, &since)))
				return rc;
			break;
		case 'l':
			if ((rc = ctl_parse_count(cmd, "--limit", optarg, 1, &limit)))
				return rc;
			has_limit = true;
			break;
		default:
			return ctl_opt_exit(o);
		}
	}
	if (optind < argc)
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (follow_on && has_limit)
		return ctl_usage_error(cmd, "--limit does not go with --follow");
	if (limit > 100000)
		return ctl_usage_error(cmd, "--limit: at most 100000");
	params = json_object_new_object();
	if (follow_on) {
		if (since >= 0)
			json_object_object_add(params, "since", json_object_new_int64(since));
		return follow(c, params);
	}
	if (since < 0) {
		/* the last `limit` events: ask where the log ends, then read up to there */
		struct json_object *p1 = json_object_new_object();

		json_object_object_add(p1, "limit", json_object_new_int(1));
		if ((rc = ctl_call(c, what, "events", p1, &res))) {
			json_object_put(params);
			return rc;
		}
		if (!ctl_jint(res, "last_seq", &last)) {
			json_object_put(res);
			json_object_put(params);
			return ctl_bad_reply(what, "no \"last_seq\" in the result");
		}
		json_object_put(res);
		since = last > limit ? last - limit : 0;
	}
	json_object_object_add(params, "since", json_object_new_int64(since));
	json_object_object_add(params, "limit", json_object_new_int64(limit));
	if ((rc = ctl_call(c, what, "events", params, &res)))
		return rc;
	if ((rc = ctl_result_array(what, res, "events", &events)))
		goto out;
	if (c->output == CTL_OUT_JSON) {
		ctl_print_json(res);
		goto out;
	}
	ctl_printf("%6s  %-20s  %-19s  %s\n", "SEQ", "TIME", "EVENT", "DETAILS");
	for (size_t i = 0; i < json_object_array_length(events); i++)
		print_event(json_object_array_get_idx(events, i));
out:
	json_object_put(res);
	return rc;
}

int ctl_cmd_audit(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"since", required_argument, NULL, 'S'},
		{"limit", required_argument, NULL, 'l'},
		{NULL, 0, NULL, 0},
	};
	static const char *const h[] = {"TIME", ">UID", ">GID", ">PID", "METHOD", "RESULT",
					"PARAMS", "MESSAGE", NULL};
	const char *what = "cannot read the audit log";
	struct json_object *params = json_object_new_object(), *res, *recs;
	int64_t limit = 0;
	int o, rc;

	while ((o = ctl_opt_next(c, cmd, argc, argv, opts)) != -1) {
		switch (o) {
		case 'S':
			if (!valid_audit_time(optarg)) {
				json_object_put(params);
				return ctl_usage_error(cmd, "--since: expected RFC 3339 UTC "
							    "(2026-11-25T03:40:12Z) or epoch seconds, got '%s'",
						       optarg);
			}
			json_object_object_add(params, "since", json_object_new_string(optarg));
			break;
		case 'l':
			if ((rc = ctl_parse_count(cmd, "--limit", optarg, 1, &limit))) {
				json_object_put(params);
				return rc;
			}
			json_object_object_add(params, "limit", json_object_new_int64(limit));
			break;
		default:
			json_object_put(params);
			return ctl_opt_exit(o);
		}
	}
	if (optind < argc) {
		json_object_put(params);
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	}
	if ((rc = ctl_call(c, what, "audit", params, &res)))
		return rc;
	if ((rc = ctl_result_array(what, res, "audit", &recs)))
		goto out;
	if (c->output == CTL_OUT_JSON) {
		ctl_print_json(res);
	} else {
		struct ctl_table *t = ctl_table_new(h);
		char b[3][32];

		for (size_t i = 0; i < json_object_array_length(recs); i++) {
			struct json_object *a = json_object_array_get_idx(recs, i), *p = ctl_jobj(a, "params");
			char *pairs = NULL;
			size_t len = 0;

			if (p)
				append_pairs(&pairs, &len, p, NULL);
			ctl_table_row(t);
			ctl_table_str(t, ctl_jstr(a, "time"));
			ctl_table_str(t, ctl_fmt_int(a, "uid", b[0], sizeof(b[0])));
			ctl_table_str(t, ctl_fmt_int(a, "gid", b[1], sizeof(b[1])));
			ctl_table_str(t, ctl_fmt_int(a, "pid", b[2], sizeof(b[2])));
			ctl_table_str(t, ctl_jstr(a, "method"));
			ctl_table_str(t, ctl_jstr(a, "result"));
			ctl_table_str(t, pairs);
			ctl_table_str(t, ctl_jstr(a, "message"));
			free(pairs);
		}
		ctl_table_print(t, stdout, 0);
		ctl_table_free(t);
	}
out:
	json_object_put(res);
	return rc;
}
