/* hostview: what one host sees — vh draws its virtual switch as a tree (upstream bridge, vPPBs,
 * bound functions with their host BDFs); lspci prints its config-space dump for `lspci -F`. */
#include <string.h>

#include <json-c/json.h>

#include "client.h"
#include "ctl.h"
#include "output.h"

/* Parses "CMD HOST" and asks method: -1 with *res, or the exit code (help, usage error,
 * failed call). */
static int host_call(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv,
		     const char *method, const char *verb, char *what, size_t whatlen,
		     struct json_object **res)
{
	struct json_object *params;
	int o;

	*res = NULL;
	while ((o = ctl_opt_next(c, cmd, argc, argv, NULL)) != -1)
		return ctl_opt_exit(o);
	if (optind >= argc)
		return ctl_usage_error(cmd, "missing HOST");
	if (optind + 1 < argc)
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
	snprintf(what, whatlen, "cannot %s %s", verb, argv[optind]);
	params = json_object_new_object();
	json_object_object_add(params, "host", json_object_new_string(argv[optind]));
	o = ctl_call(c, what, method, params, res);
	return o ? o : -1;
}

static void print_usp(struct json_object *usp)
{
	const char *bdf = ctl_or(ctl_jstr(usp, "bdf"), "??:??.?");
	const char *desc = ctl_jstr(usp, "description");
	char ids[32], name[256];

	if (desc)
		ctl_printf("%s  upstream bridge  %s\n", bdf, desc);
	else if (ctl_jstr(usp, "vendor") || ctl_jstr(usp, "device_name"))
		ctl_printf("%s  upstream bridge  [%s] %s\n", bdf, ctl_fmt_ids(usp, ids, sizeof(ids)),
		           ctl_fmt_name(usp, name, sizeof(name)));
	else
		ctl_printf("%s  upstream bridge\n", bdf);
}

static void print_vppb(struct json_object *v, bool last)
{
	struct json_object *fn = ctl_jobj(v, "function"), *fns;
	size_t n;
	const char *state = ctl_jstr(v, "state");
	int64_t bus;
	int link = ctl_jbool(v, "link_active");
	char num[32], busb[16], name[256], fnb[256];

	fputs(last ? "  \\- " : "  +- ", stdout); /* a %s argument would be escaped */
	ctl_printf("%s  vPPB %s", ctl_or(ctl_jstr(v, "bdf"), "??:??.?"),
		   ctl_fmt_int(v, "vppb", num, sizeof(num)));
	if (ctl_jint(v, "secondary_bus", &bus)) {
		snprintf(busb, sizeof(busb), "%02llx", (long long)bus);
		ctl_printf("  bus %s", busb);
	} else {
		snprintf(busb, sizeof(busb), "??");
	}
	if (!fn && (!state || !strcmp(state, "unbound"))) {
		ctl_printf("  empty\n");
		return;
	}
	ctl_printf("  %s", ctl_or(state, "?"));
	if (link >= 0)
		ctl_printf(", link %s", link ? "up" : "down");
	putchar('\n');
	if (!fn)
		return;
	/* everything behind the vPPB (an exclusive card's PFs, the VFs a host-owned PF
	 * enabled); a daemon without "functions" gives the bound function alone */
	fns = ctl_jarr(v, "functions");
	n = fns && json_object_array_length(fns) ? json_object_array_length(fns) : 1;
	for (size_t i = 0; i < n; i++) {
		struct json_object *f = fns && json_object_array_length(fns) ?
						json_object_array_get_idx(fns, i) : fn;

		if (i + 1 == n) /* the tree's glyphs in the format: arguments print escaped */
			ctl_printf("  %s  \\- ", last ? " " : "|");
		else
			ctl_printf("  %s  +- ", last ? " " : "|");
		if (ctl_jstr(f, "host_bdf"))
			ctl_printf("%s", ctl_jstr(f, "host_bdf"));
		else
			ctl_printf("%s:00.0", busb);
		ctl_printf("  %s  [%s] %s\n", ctl_fmt_fn(f, false, fnb, sizeof(fnb)),
		           ctl_fmt_ids(f, num, sizeof(num)), ctl_fmt_name(f, name, sizeof(name)));
	}
}

int ctl_cmd_vh(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct json_object *res, *vppbs;
	char what[300], port[32];
	int rc = host_call(c, cmd, argc, argv, "vh", "read the virtual hierarchy of", what,
			   sizeof(what), &res);

	if (rc >= 0)
		return rc;
	if ((rc = ctl_result_array(what, res, "vppbs", &vppbs)))
		goto out;
	if (c->output == CTL_OUT_JSON) {
		ctl_print_json(res);
		goto out;
	}
	ctl_printf("%s  chassis %s, port %s, link %s\n", ctl_or(ctl_jstr(res, "host"), "?"),
	           ctl_or(ctl_jstr(res, "chassis"), "?"), ctl_fmt_int(res, "port", port, sizeof(port)),
	           ctl_or(ctl_jstr(res, "link"), "?"));
	print_usp(ctl_jobj(res, "usp"));
	for (size_t i = 0; i < json_object_array_length(vppbs); i++)
		print_vppb(json_object_array_get_idx(vppbs, i), i + 1 == json_object_array_length(vppbs));
out:
	json_object_put(res);
	return rc;
}

int ctl_cmd_lspci(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct json_object *res, *dump;
	char what[300];
	int rc = host_call(c, cmd, argc, argv, "lspci", "read the host view of", what,
			   sizeof(what), &res);

	if (rc >= 0)
		return rc;
	rc = 0;
	if (!json_object_object_get_ex(res, "dump", &dump) ||
	    !json_object_is_type(dump, json_type_string)) {
		rc = ctl_bad_reply(what, "no \"dump\" string in the result");
		goto out;
	}
	if (c->output == CTL_OUT_JSON)
		ctl_print_json(res);
	else
		ctl_print_text(stdout, json_object_get_string(dump),
			       (size_t)json_object_get_string_len(dump));
out:
	json_object_put(res);
	return rc;
}
