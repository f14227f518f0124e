/* apply: the declarative commands — apply (a bindings file: its plan, then all of it or
 * nothing) and export (the current bindings as such a file). fabric-ctl reads the file and
 * sends its text; fabricd parses, plans and checks it (manager/apply.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client.h"
#include "ctl.h"
#include "output.h"
#include "table.h"

/* fabricd refuses a larger file (common/yaml_doc.h YD_MAX_FILE): say so before sending it. */
#define APPLY_FILE_MAX (1u << 20)

static int read_file(const struct ctl_cmd *cmd, const char *path, char **out, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t n = 0, cap = 4096;
	char *buf;

	(void)cmd;
	if (!f) {
		ctl_fprintf(stderr, "fabric-ctl: apply: cannot read %s: %s\n", path, strerror(errno));
		return CTL_EXIT_REFUSED;
	}
	buf = ctl_xcalloc(1, cap + 1);
	for (;;) {
		size_t got = fread(buf + n, 1, cap - n, f);

		n += got;
		if (n > APPLY_FILE_MAX)
			break;
		if (got == 0)
			break;
		if (n == cap) {
			cap *= 2;
			buf = ctl_xrealloc(buf, cap + 1);
		}
	}
	if (ferror(f) || n > APPLY_FILE_MAX) {
		ctl_fprintf(stderr, "fabric-ctl: apply: cannot read %s: %s\n", path,
			    n > APPLY_FILE_MAX ? "larger than 1 MiB" : strerror(errno));
		if (f != stdin)
			fclose(f);
		free(buf);
		return CTL_EXIT_REFUSED;
	}
	if (f != stdin)
		fclose(f);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* "2.5-10", "2.5-", "-10" or "-" */
static const char *qos_text(struct json_object *q, char *buf, size_t len)
{
	struct json_object *v;
	const char *lo = "", *hi = "";

	if (json_object_is_type(q, json_type_object)) {
		if (json_object_object_get_ex(q, "min_gbps", &v))
			lo = json_object_get_string(v);
		if (json_object_object_get_ex(q, "max_gbps", &v))
			hi = json_object_get_string(v);
	}
	if (!*lo && !*hi)
		return "-";
	snprintf(buf, len, "%s%s%s", *lo ? "min " : "", lo, *hi ? (*lo ? ", max " : "max ") : "");
	if (*hi)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s", hi);
	return buf;
}

static int print_plan(struct json_object *res)
{
	static const char *const head[] = { "ACTION", "FUNCTION", "HOST", "QOS (Gb/s)", "RESULT",
					    NULL };
	struct json_object *plan, *sum;
	struct ctl_table *t;
	char q[96], host[256];
	int64_t n;

	if (ctl_result_array("apply", res, "plan", &plan))
		return CTL_EXIT_UNREACHABLE;
	t = ctl_table_new(head);
	for (size_t i = 0; i < json_object_array_length(plan); i++) {
		struct json_object *s = json_object_array_get_idx(plan, i);
		const char *from = ctl_jstr(s, "from_host");

		ctl_table_row(t);
		ctl_table_str(t, ctl_jstr(s, "action"));
		ctl_table_str(t, ctl_jstr(s, "function"));
		if (from)
			snprintf(host, sizeof(host), "%s -> %s", from, ctl_or(ctl_jstr(s, "host"), "?"));
		else
			snprintf(host, sizeof(host), "%s", ctl_or(ctl_jstr(s, "host"), "?"));
		ctl_table_str(t, host);
		ctl_table_str(t, qos_text(ctl_jobj(s, "qos"), q, sizeof(q)));
		ctl_table_str(t, ctl_jstr(s, "result"));
	}
	if (ctl_table_rows(t))
		ctl_table_print(t, stdout, 0);
	ctl_table_free(t);
	sum = ctl_jobj(res, "summary");
	ctl_printf("%s", ctl_jbool(res, "dry_run") == 1 ? "plan (dry run, nothing changed):" : "applied:");
	{
		static const char *const keys[] = { "assign", "unassign", "move", "qos-change",
						    "unchanged", NULL };

		for (unsigned k = 0; keys[k]; k++) {
			n = 0;
			ctl_jint(sum, keys[k], &n);
			ctl_printf(" %lld %s%s", (long long)n, keys[k], keys[k + 1] ? "," : "");
		}
	}
	n = 0;
	if (ctl_jint(sum, "skipped", &n) && n)
		ctl_printf(" (%lld binding%s of absent cards kept)", (long long)n, n == 1 ? "" : "s");
	putchar('\n');
	return 0;
}

int ctl_cmd_apply(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"prune", no_argument, NULL, 'p'},
		{NULL, 0, NULL, 0},
	};
	bool dry = false, prune = false;
	struct json_object *params, *res;
	char what[512], *text;
	size_t len;
	int o, rc;

	while ((o = ctl_opt_next(c, cmd, argc, argv, opts)) != -1) {
		if (o == 'n')
			dry = true;
		else if (o == 'p')
			prune = true;
		else
			return ctl_opt_exit(o);
	}
	if (optind >= argc)
		return ctl_usage_error(cmd, "missing FILE");
	if (optind + 1 < argc)
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
	if ((rc = read_file(cmd, argv[optind], &text, &len)))
		return rc;
	if (strlen(text) != len) {
		free(text);
		ctl_fprintf(stderr, "fabric-ctl: apply: %s holds a NUL byte: not a YAML file\n",
			    argv[optind]);
		return CTL_EXIT_REFUSED;
	}
	snprintf(what, sizeof(what), "cannot apply %s", argv[optind]);
	params = json_object_new_object();
	json_object_object_add(params, "file", json_object_new_string(strcmp(argv[optind], "-") ? argv[optind] : "<stdin>"));
	json_object_object_add(params, "content", json_object_new_string_len(text, (int)len));
	free(text);
	if (dry)
		json_object_object_add(params, "dry_run", json_object_new_boolean(1));
	if (prune)
		json_object_object_add(params, "prune", json_object_new_boolean(1));
	/* a plan of many managed removals takes the hosts' time: wait for it, as unassign does */
	if ((rc = ctl_call_ex(c, what, "apply", params, c->timeout_ms * 10, NULL, NULL, &res)))
		return rc;
	if (c->output == CTL_OUT_JSON)
		ctl_print_json(res);
	else
		rc = print_plan(res);
	json_object_put(res);
	return rc;
}

int ctl_cmd_export(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct json_object *res;
	const char *text;
	int o, rc;

	while ((o = ctl_opt_next(c, cmd, argc, argv, NULL)) != -1)
		return ctl_opt_exit(o);
	if (optind < argc)
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if ((rc = ctl_call(c, "cannot export the bindings", "export", NULL, &res)))
		return rc;
	text = ctl_jstr(res, "content");
	if (!text) {
		json_object_put(res);
		return ctl_bad_reply("export", "no \"content\" in the result");
	}
	if (c->output == CTL_OUT_JSON)
		ctl_print_json(res);
	else /* the file as fabricd wrote it: names were checked there, print it escaped all the same */
		ctl_print_text(stdout, text, strlen(text));
	json_object_put(res);
	return 0;
}
