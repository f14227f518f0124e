/* topology: the whole fabric — per chassis its hosts, slots, cards and bindings — as a tree
 * for people or as a Graphviz digraph (`fabric-ctl topology --format dot | dot -Tsvg`). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "client.h"
#include "ctl.h"
#include "output.h"

/* The card a binding belongs to: its "card", else the function name's CARD part. */
static bool binding_of_card(struct json_object *b, const char *card)
{
	const char *c = ctl_jstr(b, "card"), *fn = ctl_jstr(b, "function"), *p;
	size_t n;

	if (c)
		return !strcmp(c, card);
	if (!fn)
		return false;
	p = strchr(fn, ':');
	fn = p ? p + 1 : fn;
	n = strcspn(fn, "/");
	return strlen(card) == n && !strncmp(fn, card, n);
}

static struct json_object *card_in_slot(struct json_object *cards, struct json_object *slot)
{
	const char *name = ctl_jstr(slot, "card");
	int64_t s, cs;

	for (size_t i = 0; cards && i < json_object_array_length(cards); i++) {
		struct json_object *cd = json_object_array_get_idx(cards, i);

		if (name && ctl_jstr(cd, "card") && !strcmp(name, ctl_jstr(cd, "card")))
			return cd;
		if (!name && ctl_jint(slot, "slot", &s) && ctl_jint(cd, "slot", &cs) && s == cs)
			return cd;
	}
	return NULL;
}

/* ---- tree ------------------------------------------------------------------------------- */

static void tree_host(struct json_object *h, const char *pre, bool last)
{
	int64_t w, vp, bound;
	char port[32];

	/* the tree's glyphs are not %s arguments, which are escaped (a backslash doubles) */
	fputs(pre, stdout);
	fputs(last ? "\\-" : "+-", stdout);
	ctl_printf(" %s  port %s  link %s", ctl_or(ctl_jstr(h, "host"), "?"),
		   ctl_fmt_int(h, "port", port, sizeof(port)), ctl_or(ctl_jstr(h, "link"), "?"));
	if (ctl_jint(h, "width", &w) && w > 0)
		ctl_printf("  x%lld %s", (long long)w, ctl_or(ctl_jstr(h, "speed"), ""));
	if (ctl_jint(h, "vppbs", &vp) && ctl_jint(h, "bound", &bound))
		ctl_printf("  %lld/%lld vPPBs bound", (long long)bound, (long long)vp);
	putchar('\n');
}

static void tree_slot(struct json_object *s, struct json_object *cards, struct json_object *bindings,
		      bool last)
{
	struct json_object *cd = card_in_slot(cards, s);
	const char *pre = last ? "   " : "|  ";
	char num[32], ids[32], name[256];
	size_t nb = 0, shown = 0;

	fputs(last ? "\\-" : "+-", stdout);
	ctl_printf(" slot %s", ctl_fmt_int(s, "slot", num, sizeof(num)));
	if (ctl_jstr(s, "label"))
		ctl_printf(" \"%s\"", ctl_jstr(s, "label"));
	if (ctl_jbool(s, "power_fault") == 1)
		ctl_printf("  POWER FAULT");
	if (!cd) {
		ctl_printf("  %s\n", ctl_jbool(s, "present") == 1 ? "card not identified" : "empty");
		return;
	}
	ctl_printf("  %s  %s  %s  [%s] %s\n", ctl_or(ctl_jstr(cd, "card"), "?"),
	           ctl_or(ctl_jstr(cd, "profile"), "-"), ctl_or(ctl_jstr(cd, "sharing"), "-"),
	           ctl_fmt_ids(cd, ids, sizeof(ids)), ctl_fmt_name(cd, name, sizeof(name)));
	for (size_t i = 0; bindings && i < json_object_array_length(bindings); i++)
		nb += ctl_jstr(cd, "card") && binding_of_card(json_object_array_get_idx(bindings, i),
							      ctl_jstr(cd, "card"));
	for (size_t i = 0; nb && i < json_object_array_length(bindings); i++) {
		struct json_object *b = json_object_array_get_idx(bindings, i);

		if (!binding_of_card(b, ctl_jstr(cd, "card")))
			continue;
		shown++;
		ctl_printf("   %s", pre);
		fputs(shown == nb ? "\\-" : "+-", stdout);
		ctl_printf(" %s -> %s  vPPB %s  %s\n",
		           ctl_or(ctl_jstr(b, "function"), "?"), ctl_or(ctl_jstr(b, "host"), "?"),
		           ctl_fmt_int(b, "vppb", num, sizeof(num)), ctl_or(ctl_jstr(b, "state"), "?"));
	}
}

static void tree(struct json_object *chassis)
{
	for (size_t i = 0; i < json_object_array_length(chassis); i++) {
		struct json_object *ch = json_object_array_get_idx(chassis, i);
		struct json_object *hosts = ctl_jarr(ch, "hosts"), *slots = ctl_jarr(ch, "slots");
		struct json_object *cards = ctl_jarr(ch, "cards"), *bindings = ctl_jarr(ch, "bindings");
		size_t nh = hosts ? json_object_array_length(hosts) : 0;
		size_t ns = slots ? json_object_array_length(slots) : 0;

		if (i)
			putchar('\n');
		ctl_printf("chassis %s", ctl_or(ctl_jstr(ch, "chassis"), "?"));
		if (ctl_jstr(ch, "state"))
			ctl_printf("  %s", ctl_jstr(ch, "state"));
		if (ctl_jstr(ch, "model") && *ctl_jstr(ch, "model"))
			ctl_printf("  %s", ctl_jstr(ch, "model"));
		ctl_printf("\n+- hosts%s\n", nh ? "" : ": none");
		for (size_t j = 0; j < nh; j++)
			tree_host(json_object_array_get_idx(hosts, j), "|  ", j + 1 == nh);
		ctl_printf("\\- slots%s\n", ns ? "" : ": none");
		for (size_t j = 0; j < ns; j++) {
			ctl_printf("   ");
			tree_slot(json_object_array_get_idx(slots, j), cards, bindings, j + 1 == ns);
		}
	}
}

/* ---- dot -------------------------------------------------------------------------------- */

/* A DOT string's inside: quotes and backslashes escaped for DOT; control characters and
 * bidi controls escaped as on a terminal (output.h), then for DOT, so graphviz shows the
 * escape (\e, \u202e) and a DOT file read on a terminal cannot act on it. */
static void dot_esc(const char *s)
{
	while (s && *s) {
		size_t n = strcspn(s, "\"\\");
		char *esc;

		if (!n) {
			putchar('\\');
			putchar(*s++);
			continue;
		}
		esc = ctl_escape_n(s, n);
		for (const char *p = esc; *p; p++) {
			if (*p == '\\')
				putchar('\\');
			putchar(*p);
		}
		free(esc);
		s += n;
	}
}

/* A node id: "CHASSIS/KIND/NAME". */
static void dot_id(const char *chassis, const char *kind, const char *name)
{
	putchar('"');
	dot_esc(chassis);
	ctl_printf("/%s/", kind);
	dot_esc(name);
	putchar('"');
}

/* A label from lines (NULL-terminated), each escaped, joined by "\n". */
static void dot_label(const char *first, ...)
{
	va_list ap;
	const char *s;
	bool sep = false;

	ctl_printf("label=\"");
	va_start(ap, first);
	for (s = first; s; s = va_arg(ap, const char *)) {
		if (!*s)
			continue;
		if (sep)
			ctl_printf("\\n");
		dot_esc(s);
		sep = true;
	}
	va_end(ap);
	putchar('"');
}

static void dot(struct json_object *chassis)
{
	puts("digraph fabric {\n"
	     "\tgraph [rankdir=LR, fontname=\"sans-serif\", fontsize=11];\n"
	     "\tnode [fontname=\"sans-serif\", fontsize=10];\n"
	     "\tedge [fontname=\"sans-serif\", fontsize=9];");
	for (size_t i = 0; i < json_object_array_length(chassis); i++) {
		struct json_object *ch = json_object_array_get_idx(chassis, i);
		struct json_object *hosts = ctl_jarr(ch, "hosts"), *slots = ctl_jarr(ch, "slots");
		struct json_object *cards = ctl_jarr(ch, "cards"), *bindings = ctl_jarr(ch, "bindings");
		const char *cn = ctl_or(ctl_jstr(ch, "chassis"), "?");
		char l1[300], l2[300], l3[300];

		ctl_printf("\tsubgraph \"cluster_%zu\" {\n\t\t", i);
		snprintf(l1, sizeof(l1), "chassis %s", cn);
		snprintf(l2, sizeof(l2), "%s%s%s", ctl_or(ctl_jstr(ch, "model"), ""),
			 ctl_jstr(ch, "model") && *ctl_jstr(ch, "model") && ctl_jstr(ch, "state") ? ", " : "",
			 ctl_or(ctl_jstr(ch, "state"), ""));
		dot_label(l1, l2, NULL);
		ctl_printf(";\n");
		for (size_t j = 0; hosts && j < json_object_array_length(hosts); j++) {
			struct json_object *h = json_object_array_get_idx(hosts, j);
			const char *link = ctl_or(ctl_jstr(h, "link"), "?");
			char port[32];

			ctl_printf("\t\t");
			dot_id(cn, "host", ctl_or(ctl_jstr(h, "host"), "?"));
			ctl_printf(" [shape=box, %s", strcmp(link, "up") ? "style=dashed, " : "");
			snprintf(l2, sizeof(l2), "port %s, link %s", ctl_fmt_int(h, "port", port, sizeof(port)),
				 link);
			dot_label(ctl_or(ctl_jstr(h, "host"), "?"), l2, NULL);
			ctl_printf("];\n");
		}
		for (size_t j = 0; slots && j < json_object_array_length(slots); j++) {
			struct json_object *s = json_object_array_get_idx(slots, j), *cd = card_in_slot(cards, s);
			char num[32];

			ctl_fmt_int(s, "slot", num, sizeof(num));
			snprintf(l1, sizeof(l1), "slot %s", num);
			ctl_printf("\t\t");
			dot_id(cn, "slot", num);
			ctl_printf(" [shape=box, style=rounded, ");
			dot_label(l1, ctl_or(ctl_jstr(s, "label"), ""),
				  ctl_jbool(s, "power_fault") == 1 ? "POWER FAULT" : "", NULL);
			ctl_printf("];\n");
			if (!cd || !ctl_jstr(cd, "card"))
				continue;
			ctl_printf("\t\t");
			dot_id(cn, "card", ctl_jstr(cd, "card"));
			snprintf(l2, sizeof(l2), "%s (%s)", ctl_or(ctl_jstr(cd, "profile"), "-"),
				 ctl_or(ctl_jstr(cd, "sharing"), "-"));
			ctl_printf(" [shape=component, ");
			dot_label(ctl_jstr(cd, "card"), l2, ctl_fmt_name(cd, l3, sizeof(l3)), NULL);
			ctl_printf("];\n\t\t");
			dot_id(cn, "card", ctl_jstr(cd, "card"));
			ctl_printf(" -> ");
			dot_id(cn, "slot", num);
			ctl_printf(" [dir=none, style=dotted];\n");
		}
		ctl_printf("\t}\n");
		for (size_t j = 0; bindings && j < json_object_array_length(bindings); j++) {
			struct json_object *b = json_object_array_get_idx(bindings, j);
			const char *fn = ctl_jstr(b, "function"), *st = ctl_or(ctl_jstr(b, "state"), "?");
			char card[256], vppb[64];

			if (!fn || !ctl_jstr(b, "host"))
				continue;
			snprintf(card, sizeof(card), "%s", ctl_or(ctl_jstr(b, "card"), ""));
			if (!card[0]) {
				const char *p = strchr(fn, ':');

				snprintf(card, sizeof(card), "%.*s", (int)strcspn(p ? p + 1 : fn, "/"),
					 p ? p + 1 : fn);
			}
			ctl_printf("\t");
			dot_id(cn, "host", ctl_jstr(b, "host"));
			ctl_printf(" -> ");
			dot_id(cn, "card", card);
			snprintf(vppb, sizeof(vppb), "vPPB %s%s%s", ctl_fmt_int(b, "vppb", l1, sizeof(l1)),
				 strcmp(st, "bound") ? ", " : "", strcmp(st, "bound") ? st : "");
			ctl_printf(" [%s", !strcmp(st, "bound") ? "" : !strcmp(st, "detached")
									     ? "style=dashed, color=gray, "
									     : "style=dotted, ");
			dot_label(fn, vppb, NULL);
			ctl_printf("];\n");
		}
	}
	puts("}");
}

int ctl_cmd_topology(struct ctl *c, const struct ctl_cmd *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'F'},
		{NULL, 0, NULL, 0},
	};
	const char *what = "cannot read the topology";
	struct json_object *res, *chassis;
	bool as_dot = false;
	int o, rc;

	while ((o = ctl_opt_next(c, cmd, argc, argv, opts)) != -1) {
		if (o != 'F')
			return ctl_opt_exit(o);
		if (!strcmp(optarg, "dot"))
			as_dot = true;
		else if (!strcmp(optarg, "tree"))
			as_dot = false;
		else
			return ctl_usage_error(cmd, "--format: expected tree or dot, got '%s'", optarg);
	}
	if (optind < argc)
		return ctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if ((rc = ctl_call(c, what, "topology", NULL, &res)))
		return rc;
	if ((rc = ctl_result_array(what, res, "chassis", &chassis)))
		goto out;
	for (size_t i = 0; i < json_object_array_length(chassis); i++) {
		struct json_object *ch = json_object_array_get_idx(chassis, i);
		static const char *const keys[] = {"hosts", "slots", "cards", "bindings"};

		for (size_t k = 0; k < 4; k++) {
			struct json_object *a;

			if (ctl_jarr(ch, keys[k]) && (rc = ctl_result_array(what, ch, keys[k], &a)))
				goto out;
		}
	}
	if (c->output == CTL_OUT_JSON)
		ctl_print_json(res);
	else if (as_dot)
		dot(chassis);
	else
		tree(chassis);
out:
	json_object_put(res);
	return rc;
}
