/* inventory: the read commands over fabricd's inventory — status, switches, hosts, slots,
 * cards, functions and show — as tables for people or the daemon's JSON for scripts. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client.h"
#include "ctl.h"
#include "output.h"
#include "table.h"

static const struct option chassis_opts[] = {
	{"chassis", required_argument, NULL, 'C'},
	{NULL, 0, NULL, 0},
};

/* Adds {"key": arg} to *params (created on first use). */
static void param_str(struct json_object **params, const char *key, const char *arg)
{
	if (!*params)
		*params = json_object_new_object();
	json_object_object_add(*params, key, json_object_new_string(arg));
}

static void param_true(struct json_object **params, const char *key)
{
	if (!*params)
		*params = json_object_new_object();
	json_object_object_add(*params, key, json_object_new_boolean(1));
}

static void kv(const char *label, const char *value)
{
	ctl_printf("%-12s %s\n", label, value && *value ? value : "-");
}

static void kv_int(struct json_object *o, const char *label, const char *key)
{
	char b[32];

	kv(label, ctl_fmt_int(o, key, b, sizeof(b)));
}

/* "3d 4h 5m", "4h 5m 6s", "7s" */
static void fmt_uptime(int64_t s, char *buf, size_t len)
{
	if (s >= 86400)
		snprintf(buf, len, "%lldd %lldh %lldm", (long long)(s / 86400), (long long)(s % 86400 / 3600),
			 (long long)(s % 3600 / 60));
	else if (s >= 3600)
		snprintf(buf, len, "%lldh %lldm %llds", (long long)(s / 3600), (long long)(s % 3600 / 60),
			 (long long)(s % 60));
	else if (s >= 60)
		snprintf(buf, len, "%lldm %llds", (long long)(s / 60), (long long)(s % 60));
	else
		snprintf(buf, len, "%llds", (long long)s);
}

/* Parses a command that takes no positional argument and at most --chassis: -1 to go on
 * with *params, or the exit code (help printed, usage error). */
static int chassis_args(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv,
			const struct option *opts, struct json_object **params)
{
	int o;

	while ((o = ctl_opt_next(c, cmd, argc, argv, opts)) != -1) {
		if (o == 'C') {
			param_str(params, "chassis", optarg);
			continue;
		}
		json_object_put(*params);
		*params = NULL;
		return ctl_opt_exit(o);
	}
	if (optind < argc) {
		json_object_put(*params);
		*params = NULL;
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	}
	return -1;
}

/* ---- switches and status ---------------------------------------------------------------- */

static void switch_table(struct json_object *sw)
{
	static const char *const h[] = {"CHASSIS", "STATE", "ENDPOINT", "MODEL", "SERIAL",
					"FIRMWARE", ">CONNECTS", ">HOSTS", ">SLOTS", ">FUNCTIONS",
					"LAST ERROR", NULL};
	struct ctl_table *t = ctl_table_new(h);
	char b[4][32];

	for (size_t i = 0; i < json_object_array_length(sw); i++) {
		struct json_object *s = json_object_array_get_idx(sw, i);

		ctl_table_row(t);
		ctl_table_str(t, ctl_jstr(s, "chassis"));
		ctl_table_str(t, ctl_jstr(s, "state"));
		ctl_table_str(t, ctl_jstr(s, "endpoint"));
		ctl_table_str(t, ctl_jstr(s, "model"));
		ctl_table_str(t, ctl_jstr(s, "serial"));
		ctl_table_str(t, ctl_jstr(s, "firmware"));
		ctl_table_str(t, ctl_fmt_int(s, "connects", b[0], sizeof(b[0])));
		ctl_table_str(t, ctl_fmt_int(s, "hosts", b[1], sizeof(b[1])));
		ctl_table_str(t, ctl_fmt_int(s, "slots", b[2], sizeof(b[2])));
		ctl_table_str(t, ctl_fmt_int(s, "functions", b[3], sizeof(b[3])));
		ctl_table_str(t, ctl_jstr(s, "last_error"));
	}
	ctl_table_print(t, stdout, 0);
	ctl_table_free(t);
}

int ctl_cmd_switches(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	const char *what = "cannot list the switches";
	struct json_object *params = NULL, *res, *sw;
	int rc = chassis_args(c, cmd, argc, argv, NULL, &params);

	if (rc >= 0 || (rc = ctl_call(c, what, "switches", params, &res)))
		return rc;
	rc = ctl_result_array(what, res, "switches", &sw);
	if (!rc) {
		if (c->output == CTL_OUT_JSON)
			ctl_print_json(res);
		else
			switch_table(sw);
	}
	json_object_put(res);
	return rc;
}

int ctl_cmd_status(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const char *const uh[] = {"CHASSIS", "HOST", ">VPPB", "FUNCTION", "ACTION", NULL};
	const char *what = "cannot get fabricd's status";
	struct json_object *params = NULL, *res, *sw, *un, *b;
	int64_t v, n[5] = {0};
	char up[64], vb[32];
	int rc = chassis_args(c, cmd, argc, argv, NULL, &params);

	if (rc >= 0 || (rc = ctl_call(c, what, "status", params, &res)))
		return rc;
	if ((rc = ctl_result_array(what, res, "chassis", &sw)))
		goto out;
	un = ctl_jarr(res, "unexpected");
	if (c->output == CTL_OUT_JSON) {
		ctl_print_json(res);
		goto out;
	}
	if (ctl_jint(res, "uptime_s", &v))
		fmt_uptime(v, up, sizeof(up));
	else
		snprintf(up, sizeof(up), "?");
	ctl_printf("fabricd %s, up %s, state in %s\n", ctl_or(ctl_jstr(res, "version"), "?"), up,
	           ctl_or(ctl_jstr(res, "state_dir"), "?"));
	b = ctl_jobj(res, "bindings");
	ctl_jint(b, "total", &n[0]);
	ctl_jint(b, "bound", &n[1]);
	ctl_jint(b, "binding", &n[2]);
	ctl_jint(b, "unbinding", &n[3]);
	ctl_jint(b, "detached", &n[4]);
	ctl_printf("bindings: %lld (%lld bound, %lld binding, %lld unbinding, %lld detached)",
	           (long long)n[0], (long long)n[1], (long long)n[2], (long long)n[3], (long long)n[4]);
	if (ctl_jint(res, "operations", &v))
		ctl_printf(", %lld operation%s running", (long long)v, v == 1 ? "" : "s");
	ctl_printf("\nlast event: %s", ctl_fmt_int(res, "last_event_seq", vb, sizeof(vb)));
	if (ctl_jint(res, "connections", &v))
		ctl_printf(", control connections: %lld", (long long)v);
	ctl_printf("\n\n");
	switch_table(sw);
	if (un && json_object_array_length(un)) {
		struct ctl_table *t = ctl_table_new(uh);

		ctl_printf("\nbindings found on a switch that fabricd did not make:\n");
		for (size_t i = 0; i < json_object_array_length(un); i++) {
			struct json_object *u = json_object_array_get_idx(un, i);

			ctl_table_row(t);
			ctl_table_str(t, ctl_jstr(u, "chassis"));
			ctl_table_str(t, ctl_jstr(u, "host"));
			ctl_table_str(t, ctl_fmt_int(u, "vppb", vb, sizeof(vb)));
			ctl_table_str(t, ctl_jstr(u, "function"));
			ctl_table_str(t, ctl_jstr(u, "action"));
		}
		ctl_table_print(t, stdout, 0);
		ctl_table_free(t);
	}
out:
	json_object_put(res);
	return rc;
}

/* ---- hosts, slots, cards ---------------------------------------------------------------- */

static void host_row(struct ctl_table *t, struct json_object *h)
{
	int64_t w, vp, bound;
	const char *speed = ctl_jstr(h, "speed");
	char b[32];

	ctl_table_row(t);
	ctl_table_str(t, ctl_jstr(h, "host"));
	ctl_table_str(t, ctl_jstr(h, "chassis"));
	ctl_table_str(t, ctl_fmt_int(h, "port", b, sizeof(b)));
	ctl_table_str(t, ctl_jstr(h, "link"));
	if (ctl_jint(h, "width", &w) && w > 0)
		ctl_table_cell(t, "x%lld %s", (long long)w, speed ? speed : "");
	else
		ctl_table_str(t, speed);
	if (ctl_jint(h, "vppbs", &vp) && ctl_jint(h, "bound", &bound))
		ctl_table_cell(t, "%lld/%lld", (long long)bound, (long long)vp);
	else
		ctl_table_str(t, NULL);
}

static const char *const host_cols[] = {"HOST", "CHASSIS", ">PORT", "LINK", "WIDTH/SPEED",
					"BOUND/VPPBS", NULL};

static int listing(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv,
		   const char *what, const char *method,
		   void (*render)(struct json_object *arr))
{
	struct json_object *params = NULL, *res, *arr;
	int rc = chassis_args(c, cmd, argc, argv, chassis_opts, &params);

	if (rc >= 0 || (rc = ctl_call(c, what, method, params, &res)))
		return rc;
	rc = ctl_result_array(what, res, method, &arr);
	if (!rc) {
		if (c->output == CTL_OUT_JSON)
			ctl_print_json(res);
		else
			render(arr);
	}
	json_object_put(res);
	return rc;
}

static void hosts_table(struct json_object *arr)
{
	struct ctl_table *t = ctl_table_new(host_cols);

	for (size_t i = 0; i < json_object_array_length(arr); i++)
		host_row(t, json_object_array_get_idx(arr, i));
	ctl_table_print(t, stdout, 0);
	ctl_table_free(t);
}

int ctl_cmd_hosts(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	return listing(c, cmd, argc, argv, "cannot list the hosts", "hosts", hosts_table);
}

static void slots_table(struct json_object *arr)
{
	static const char *const h[] = {"CHASSIS", ">SLOT", "LABEL", "PRESENT", "POWER", "LINK",
					"ATTENTION", "FAULT", "CARD", NULL};
	struct ctl_table *t = ctl_table_new(h);
	char b[32];

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *s = json_object_array_get_idx(arr, i);
		int link = ctl_jbool(s, "link_active");

		ctl_table_row(t);
		ctl_table_str(t, ctl_jstr(s, "chassis"));
		ctl_table_str(t, ctl_fmt_int(s, "slot", b, sizeof(b)));
		ctl_table_str(t, ctl_jstr(s, "label"));
		ctl_table_str(t, ctl_yesno(s, "present"));
		ctl_table_str(t, ctl_jbool(s, "power") < 0 ? NULL : ctl_jbool(s, "power") ? "on" : "off");
		ctl_table_str(t, link < 0 ? NULL : link ? "up" : "down");
		ctl_table_str(t, ctl_jstr(s, "attention"));
		ctl_table_str(t, ctl_jbool(s, "power_fault") == 1 ? "power-fault"
				 : ctl_jbool(s, "power_fault") == 0 ? "none" : NULL);
		ctl_table_str(t, ctl_jstr(s, "card"));
	}
	ctl_table_print(t, stdout, 0);
	ctl_table_free(t);
}

int ctl_cmd_slots(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	return listing(c, cmd, argc, argv, "cannot list the slots", "slots", slots_table);
}

/* "3/64" enabled/total VFs over all PFs; NULL when the card has no SR-IOV. */
static const char *card_vfs(struct json_object *card, char *buf, size_t len)
{
	struct json_object *pfs = ctl_jarr(card, "pfs");
	int64_t num = 0, total = 0, v;

	for (size_t i = 0; pfs && i < json_object_array_length(pfs); i++) {
		struct json_object *pf = json_object_array_get_idx(pfs, i);

		if (ctl_jint(pf, "num_vfs", &v))
			num += v;
		if (ctl_jint(pf, "total_vfs", &v))
			total += v;
	}
	if (!total)
		return NULL;
	snprintf(buf, len, "%lld/%lld", (long long)num, (long long)total);
	return buf;
}

static void cards_table(struct json_object *arr)
{
	static const char *const h[] = {"CARD", "CHASSIS", ">SLOT", "SHARING", "IDS", ">PFS",
					"VFS", "SERIAL", "NAME", NULL};
	struct ctl_table *t = ctl_table_new(h);
	char b[4][160];

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *cd = json_object_array_get_idx(arr, i);
		struct json_object *pfs = ctl_jarr(cd, "pfs");

		ctl_table_row(t);
		ctl_table_str(t, ctl_jstr(cd, "card"));
		ctl_table_str(t, ctl_jstr(cd, "chassis"));
		ctl_table_str(t, ctl_fmt_int(cd, "slot", b[0], sizeof(b[0])));
		ctl_table_str(t, ctl_jstr(cd, "sharing"));
		ctl_table_str(t, ctl_fmt_ids(cd, b[1], sizeof(b[1])));
		if (pfs)
			ctl_table_cell(t, "%zu", json_object_array_length(pfs));
		else
			ctl_table_str(t, NULL);
		ctl_table_str(t, card_vfs(cd, b[2], sizeof(b[2])));
		ctl_table_str(t, ctl_jstr(cd, "serial"));
		ctl_table_str(t, ctl_fmt_name(cd, b[3], sizeof(b[3])));
	}
	ctl_table_print(t, stdout, 0);
	ctl_table_free(t);
}

int ctl_cmd_cards(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	return listing(c, cmd, argc, argv, "cannot list the cards", "cards", cards_table);
}

/* ---- functions ---------------------------------------------------------------------------- */

static const char *const fn_cols[] = {"FUNCTION", "KIND", "IDS", "ENABLED", "STATE", "HOST",
				     ">VPPB", "HOST BDF", "NAME", NULL};
#define FN_NCOLS (sizeof(fn_cols) / sizeof(fn_cols[0]) - 1)

/* The rows of arr's functions as a table; qualify prefixes names with their chassis. */
static struct ctl_table *functions_rows(struct json_object *arr, bool qualify)
{
	struct ctl_table *t = ctl_table_new(fn_cols);
	char b[4][256];

	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *fn = json_object_array_get_idx(arr, i);

		ctl_table_row(t);
		ctl_table_str(t, ctl_fmt_fn(fn, qualify, b[0], sizeof(b[0])));
		ctl_table_str(t, ctl_jstr(fn, "kind"));
		ctl_table_str(t, ctl_fmt_ids(fn, b[1], sizeof(b[1])));
		ctl_table_str(t, ctl_yesno(fn, "enabled"));
		ctl_table_str(t, ctl_jstr(fn, "state"));
		ctl_table_str(t, ctl_jstr(fn, "host"));
		ctl_table_str(t, ctl_fmt_int(fn, "vppb", b[2], sizeof(b[2])));
		ctl_table_str(t, ctl_jstr(fn, "host_bdf"));
		ctl_table_str(t, ctl_fmt_name(fn, b[3], sizeof(b[3])));
	}
	return t;
}

static void functions_table(struct json_object *arr, int indent)
{
	struct ctl_table *t = functions_rows(arr, ctl_multi_chassis(arr));

	ctl_table_print(t, stdout, indent);
	ctl_table_free(t);
}

/*
 * A listing printed page by page as fabricd answers (API.md: `functions` is paged), so
 * neither side ever holds the whole inventory. The table's columns are sized by the first
 * page and only widen after it; the JSON is the one document {"schema":1,"functions":[...]}
 * written as the pages come.
 */
struct fn_listing {
	struct ctl *c;
	bool filtered; /* --chassis, --card or --host: the listing spans one chassis */
	bool started;
	bool qualify;
	size_t n; /* functions printed */
	size_t w[FN_NCOLS];
};

/* Whether names need their chassis: as for one table when the listing is one page, else
 * whenever the daemon has more than one chassis and no filter keeps the listing in one. */
static int listing_qualify(struct fn_listing *l, struct json_object *page, bool more, bool *q)
{
	struct json_object *res, *sw;
	int rc;

	*q = ctl_multi_chassis(page);
	if (*q || !more || l->filtered)
		return 0;
	if ((rc = ctl_call(l->c, "cannot list the functions", "switches", NULL, &res)))
		return rc;
	sw = ctl_jarr(res, "switches");
	*q = sw && json_object_array_length(sw) > 1;
	json_object_put(res);
	return 0;
}

/* The pretty form of one function, indented to its place in the document. */
static void listing_json_fn(struct json_object *fn, bool first)
{
	const char *s = json_object_to_json_string_ext(fn, JSON_C_TO_STRING_PRETTY |
								   JSON_C_TO_STRING_SPACED |
								   JSON_C_TO_STRING_NOSLASHESCAPE);

	fputs(first ? "\n    " : ",\n    ", stdout);
	ctl_put_json_text(s, "    ");
}

static int listing_page(struct fn_listing *l, struct json_object *arr, bool more)
{
	struct ctl_table *t;
	int rc;

	if (l->c->output == CTL_OUT_JSON) {
		if (!l->started)
			fputs("{\n  \"schema\": 1,\n  \"functions\": [", stdout);
		for (size_t i = 0; i < json_object_array_length(arr); i++, l->n++)
			listing_json_fn(json_object_array_get_idx(arr, i), l->n == 0);
		l->started = true;
		return 0;
	}
	if (!l->started && (rc = listing_qualify(l, arr, more, &l->qualify)))
		return rc;
	/* more pages to come: a column of known values gets its widest now (the others may
	 * still widen, which shifts those rows) */
	if (!l->started && more)
		l->w[4] = strlen("unbinding");
	t = functions_rows(arr, l->qualify);
	ctl_table_print_part(t, stdout, 0, l->w, !l->started);
	ctl_table_free(t);
	l->n += json_object_array_length(arr);
	l->started = true;
	return 0;
}

static void listing_end(struct fn_listing *l)
{
	if (l->c->output == CTL_OUT_JSON)
		fputs(l->n ? "\n  ]\n}\n" : "]\n}\n", stdout);
}

/* The request for the page after `after` (NULL: the first): the filters, and the cursor. */
static struct json_object *page_params(struct json_object *filters, const char *after)
{
	struct json_object *p = json_object_new_object();

	if (!p)
		ctl_die_nomem();
	json_object_object_foreach(filters, k, v)
		json_object_object_add(p, k, json_object_get(v));
	if (after)
		json_object_object_add(p, "after", json_object_new_string(after));
	return p;
}

int ctl_cmd_functions(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"free", no_argument, NULL, 'F'},
		{"enabled", no_argument, NULL, 'E'},
		{"host", required_argument, NULL, 'H'},
		{"card", required_argument, NULL, 'c'},
		{"chassis", required_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	const char *what = "cannot list the functions";
	struct json_object *params = json_object_new_object(), *res = NULL, *arr;
	struct fn_listing l = {.c = c};
	char *after = NULL;
	const char *next;
	bool gone, done = false;
	int o, rc;

	while ((o = ctl_opt_next(c, cmd, argc, argv, opts)) != -1) {
		switch (o) {
		case 'F': param_true(&params, "free"); break;
		case 'E': param_true(&params, "enabled"); break;
		case 'H': param_str(&params, "host", optarg); l.filtered = true; break;
		case 'c': param_str(&params, "card", optarg); l.filtered = true; break;
		case 'C': param_str(&params, "chassis", optarg); l.filtered = true; break;
		default:
			json_object_put(params);
			return ctl_opt_exit(o);
		}
	}
	if (optind < argc) {
		json_object_put(params);
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	}
	/* One page per call on the one connection; the first asks exactly what an unpaged
	 * listing asked (fabricd's default page size). */
	for (;;) {
		if ((rc = ctl_call(c, what, "functions", page_params(params, after), &res)) ||
		    (rc = ctl_result_array(what, res, "functions", &arr)))
			break;
		next = NULL;
		if (json_object_object_get_ex(res, "next", NULL) && !(next = ctl_jstr(res, "next"))) {
			rc = ctl_bad_reply(what, "\"next\" is not a string");
			break;
		}
		if (next && after && !strcmp(next, after)) {
			rc = ctl_bad_reply(what, "the listing does not advance past \"%s\"", after);
			break;
		}
		if ((rc = listing_page(&l, arr, next != NULL)))
			break;
		if (!next) {
			done = true;
			break;
		}
		free(after);
		after = ctl_xstrdup(next);
		json_object_put(res);
		res = NULL;
		/* each page goes out before the next is asked for */
		if ((rc = ctl_flush(&gone)) || gone)
			break;
	}
	if (done)
		listing_end(&l);
	json_object_put(res);
	json_object_put(params);
	free(after);
	return rc;
}

/* ---- show --------------------------------------------------------------------------------- */

static void show_function(struct json_object *fn)
{
	char b[256];
	int64_t pf, vf;
	const char *cls = ctl_jstr(fn, "class"), *cname = ctl_jstr(fn, "class_name");

	kv("function", ctl_fmt_fn(fn, false, b, sizeof(b)));
	kv("chassis", ctl_jstr(fn, "chassis"));
	kv("card", ctl_jstr(fn, "card"));
	kv_int(fn, "slot", "slot");
	if (ctl_jint(fn, "pf", &pf) && ctl_jint(fn, "vf", &vf))
		snprintf(b, sizeof(b), "%s (pf %lld, vf %lld)", ctl_or(ctl_jstr(fn, "kind"), "vf"),
			 (long long)pf, (long long)vf);
	else if (ctl_jint(fn, "pf", &pf))
		snprintf(b, sizeof(b), "%s (pf %lld)", ctl_or(ctl_jstr(fn, "kind"), "pf"), (long long)pf);
	else
		snprintf(b, sizeof(b), "%s", ctl_or(ctl_jstr(fn, "kind"), "-"));
	kv("kind", b);
	kv("ids", ctl_fmt_ids(fn, b, sizeof(b)));
	kv("vendor", ctl_jstr(fn, "vendor_name"));
	kv("device", ctl_jstr(fn, "device_name"));
	snprintf(b, sizeof(b), "%s%s%s", cls ? cls : "-", cname && *cname ? " " : "",
		 cname ? cname : "");
	kv("class", b);
	kv("enabled", ctl_yesno(fn, "enabled"));
	kv("state", ctl_jstr(fn, "state"));
	if (ctl_jstr(fn, "host")) {
		kv("host", ctl_jstr(fn, "host"));
		kv_int(fn, "vppb", "vppb");
		kv("host bdf", ctl_jstr(fn, "host_bdf"));
		kv("since", ctl_jstr(fn, "since"));
	}
}

static void show_host(struct json_object *h)
{
	int64_t w, vp, bound;
	char b[64];

	kv("host", ctl_jstr(h, "host"));
	kv("chassis", ctl_jstr(h, "chassis"));
	kv_int(h, "port", "port");
	kv("link", ctl_jstr(h, "link"));
	if (ctl_jint(h, "width", &w))
		snprintf(b, sizeof(b), "x%lld", (long long)w);
	kv("width", ctl_jint(h, "width", &w) ? b : NULL);
	kv("speed", ctl_jstr(h, "speed"));
	if (ctl_jint(h, "vppbs", &vp) && ctl_jint(h, "bound", &bound)) {
		snprintf(b, sizeof(b), "%lld (%lld bound)", (long long)vp, (long long)bound);
		kv("vppbs", b);
	}
	kv_int(h, "upstream bus", "usp_bus");
}

static void show_card(struct json_object *cd)
{
	static const char *const h[] = {">PF", "DEVICE", ">VFS", ">TOTAL VFS", "VF DEVICE", NULL};
	struct json_object *pfs = ctl_jarr(cd, "pfs");
	const char *cls = ctl_jstr(cd, "class"), *cname = ctl_jstr(cd, "class_name");
	char b[256];

	kv("card", ctl_jstr(cd, "card"));
	kv("chassis", ctl_jstr(cd, "chassis"));
	kv_int(cd, "slot", "slot");
	kv("profile", ctl_jstr(cd, "profile"));
	kv("sharing", ctl_jstr(cd, "sharing"));
	kv("ids", ctl_fmt_ids(cd, b, sizeof(b)));
	kv("vendor", ctl_jstr(cd, "vendor_name"));
	kv("device", ctl_jstr(cd, "device_name"));
	snprintf(b, sizeof(b), "%s%s%s", cls ? cls : "-", cname && *cname ? " " : "",
		 cname ? cname : "");
	kv("class", b);
	kv("serial", ctl_jstr(cd, "serial"));
	kv("present", ctl_yesno(cd, "present"));
	if (pfs && json_object_array_length(pfs)) {
		struct ctl_table *t = ctl_table_new(h);
		char n[3][32];

		ctl_printf("\nphysical functions:\n");
		for (size_t i = 0; i < json_object_array_length(pfs); i++) {
			struct json_object *pf = json_object_array_get_idx(pfs, i);

			ctl_table_row(t);
			ctl_table_str(t, ctl_fmt_int(pf, "pf", n[0], sizeof(n[0])));
			ctl_table_str(t, ctl_jstr(pf, "device"));
			ctl_table_str(t, ctl_fmt_int(pf, "num_vfs", n[1], sizeof(n[1])));
			ctl_table_str(t, ctl_fmt_int(pf, "total_vfs", n[2], sizeof(n[2])));
			ctl_table_str(t, ctl_jstr(pf, "vf_device"));
		}
		ctl_table_print(t, stdout, 2);
		ctl_table_free(t);
	}
}

int ctl_cmd_show(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	struct json_object *params, *res, *obj, *fns = NULL;
	const char *type;
	char what[300];
	int o, rc;

	while ((o = ctl_opt_next(c, cmd, argc, argv, NULL)) != -1)
		return ctl_opt_exit(o);
	if (optind >= argc)
		return ctl_usage_error(cmd, "missing NAME (a function, host or card)");
	if (optind + 1 < argc)
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind + 1]);
	snprintf(what, sizeof(what), "cannot show %s", argv[optind]);
	params = json_object_new_object();
	param_str(&params, "name", argv[optind]);
	if ((rc = ctl_call(c, what, "show", params, &res)))
		return rc;
	type = ctl_jstr(res, "type");
	if (!type || (strcmp(type, "function") && strcmp(type, "host") && strcmp(type, "card"))) {
		rc = ctl_bad_reply(what, "\"type\" is not function, host or card");
		goto out;
	}
	if (!(obj = ctl_jobj(res, type))) {
		rc = ctl_bad_reply(what, "no \"%s\" object in the result", type);
		goto out;
	}
	if (strcmp(type, "function") && ctl_jarr(res, "functions") &&
	    (rc = ctl_result_array(what, res, "functions", &fns)))
		goto out;
	if (c->output == CTL_OUT_JSON) {
		ctl_print_json(res);
		goto out;
	}
	if (!strcmp(type, "function")) {
		show_function(obj);
	} else {
		if (!strcmp(type, "host"))
			show_host(obj);
		else
			show_card(obj);
		if (fns && json_object_array_length(fns)) {
			ctl_printf("\n%s:\n", !strcmp(type, "host") ? "bound functions" : "functions");
			functions_table(fns, 2);
		} else if (!strcmp(type, "host")) {
			ctl_printf("\nbound functions: none\n");
		}
	}
out:
	json_object_put(res);
	return rc;
}
