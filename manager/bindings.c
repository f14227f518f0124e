/* bindings: loads and writes the bindings file of `fabric-ctl apply` (bindings.h has the
 * format). Only the file's own rules are checked here; whether the names exist and the plan
 * can be carried out is the planner's business (planner.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bindings.h"
#include "index.h"
#include "yaml_doc.h"

static const char *const top_keys[] = { "bindings", NULL };
static const char *const entry_keys[] = { "function", "card", "count", "qos", NULL };
static const char *const qos_keys[] = { "min_gbps", "max_gbps", NULL };

#define NAME_MAX_LEN 160 /* CHASSIS:CARD/pfN/vfM, the API's limit */

struct loader {
	struct fm_bindings *b;
	struct fm_index *seen; /* function name -> its first entry (1-based index as pointer) */
	char *err;
	size_t errlen;
};

static void entry_clear(struct fm_bindings_entry *e)
{
	free(e->host);
	free(e->function);
	free(e->card);
}

void fm_bindings_free(struct fm_bindings *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		entry_clear(&b->v[i]);
	for (size_t i = 0; i < b->n_hosts; i++)
		free(b->hosts[i]);
	free(b->hosts);
	free(b->v);
	free(b->name);
	free(b);
}

struct fm_bindings *fm_bindings_new(const char *name)
{
	struct fm_bindings *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->name = strdup(name ? name : "bindings.yaml");
	if (!b->name) {
		free(b);
		return NULL;
	}
	return b;
}

/* search: look for host among those added (newest first) before adding it; the loader
 * does not (its keys are unique, and a file may hold tens of thousands of hosts). */
static int add_host(struct fm_bindings *b, const char *host, bool search)
{
	char **nh;

	for (size_t i = b->n_hosts; i-- > 0 && search;)
		if (!strcmp(b->hosts[i], host))
			return 0;
	nh = realloc(b->hosts, (b->n_hosts + 1) * sizeof(*nh));
	if (!nh)
		return -ENOMEM;
	b->hosts = nh;
	nh[b->n_hosts] = strdup(host);
	if (!nh[b->n_hosts])
		return -ENOMEM;
	b->n_hosts++;
	return 0;
}

static struct fm_bindings_entry *add_entry(struct fm_bindings *b)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		struct fm_bindings_entry *v = realloc(b->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		b->v = v;
		b->cap = cap;
	}
	memset(&b->v[b->n], 0, sizeof(b->v[0]));
	return &b->v[b->n++];
}

static int set_str(char **dst, const char *s)
{
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

int fm_bindings_add(struct fm_bindings *b, const char *host, const char *function,
		    const char *card, unsigned count, const struct fm_qos *qos)
{
	struct fm_bindings_entry *e;

	if ((!b->n_hosts || strcmp(b->hosts[b->n_hosts - 1], host)) && add_host(b, host, true))
		return -ENOMEM;
	if (!function && !card)
		return 0;
	e = add_entry(b);
	if (!e)
		return -ENOMEM;
	if (set_str(&e->host, host) || set_str(&e->function, function) || set_str(&e->card, card))
		return -ENOMEM; /* the entry is counted: fm_bindings_free frees what was copied */
	e->count = card ? count : 0;
	if (qos)
		e->qos = *qos;
	return 0;
}

/* ---- loading ---------------------------------------------------------------------------- */

/* Names are what operators type (DESIGN.md): letters, digits, . _ - and the separators / :.
 * Checked here so that a typo reads as such and the writer can print names plain. */
static bool name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= NAME_MAX_LEN)
		return false;
	for (const char *p = s; *p; p++) {
		char c = *p;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == '/' || c == ':'))
			return false;
	}
	return true;
}

static int get_name(struct loader *ld, const struct yd_node *n, const char *what,
		    const char **out)
{
	int rc = yd_get_str(n, out, ld->err, ld->errlen);

	if (rc)
		return rc;
	if (!name_ok(*out))
		return yd_error(n, ld->err, ld->errlen,
				"\"%s\" is not a %s name (letters, digits, . _ - / :, at most %d bytes)",
				*out, what, NAME_MAX_LEN - 1);
	return 0;
}

static int load_qos(struct loader *ld, const struct yd_node *map, struct fm_qos *q)
{
	const struct yd_node *mn = NULL, *xn = NULL;
	uint64_t v;
	int rc;

	rc = yd_check_keys(map, qos_keys, ld->err, ld->errlen);
	if (!rc)
		rc = yd_map_opt(map, "min_gbps", &mn, ld->err, ld->errlen);
	if (!rc)
		rc = yd_map_opt(map, "max_gbps", &xn, ld->err, ld->errlen);
	if (rc)
		return rc;
	if (mn) {
		rc = yd_get_fixed(mn, 3, 0, FM_BINDINGS_MAX_MBPS, &v, ld->err, ld->errlen);
		if (rc)
			return rc;
		q->min_mbps = (uint32_t)v;
	}
	if (xn) {
		/* a cap of 0 would stop all traffic: leave max_gbps out for no cap */
		rc = yd_get_fixed(xn, 3, 1, FM_BINDINGS_MAX_MBPS, &v, ld->err, ld->errlen);
		if (rc)
			return rc;
		q->max_mbps = (uint32_t)v;
	}
	if (q->max_mbps && q->min_mbps > q->max_mbps) {
		char lo[32], hi[32];

		fm_qos_gbps_text(q->min_mbps, lo, sizeof(lo));
		fm_qos_gbps_text(q->max_mbps, hi, sizeof(hi));
		return yd_error(mn, ld->err, ld->errlen,
				"the floor (%s Gb/s) is above the cap (max_gbps %s Gb/s)", lo, hi);
	}
	return 0;
}

static int load_entry(struct loader *ld, const char *host, const struct yd_node *n)
{
	const struct yd_node *fn = NULL, *cn = NULL, *kn = NULL, *qn = NULL, *at = n;
	const char *function = NULL, *card = NULL;
	struct fm_qos qos = {0, 0};
	uint64_t count = 0;
	struct fm_bindings_entry *e;
	char path[128];
	int rc;

	if (ld->b->n >= FM_BINDINGS_MAX_ENTRIES)
		return yd_error(n, ld->err, ld->errlen, "more than %d bindings",
				FM_BINDINGS_MAX_ENTRIES);
	if (yd_kind(n) == YD_SCALAR) {
		rc = get_name(ld, n, "function", &function);
		if (rc)
			return rc;
		fn = n;
	} else {
		if (yd_kind(n) != YD_MAPPING)
			return yd_error(n, ld->err, ld->errlen,
					"expected a function name or a mapping {function: F} / {card: C, count: N}, got a %s",
					yd_kind_name(yd_kind(n)));
		rc = yd_check_keys(n, entry_keys, ld->err, ld->errlen);
		if (!rc)
			rc = yd_map_opt(n, "function", &fn, ld->err, ld->errlen);
		if (!rc)
			rc = yd_map_opt(n, "card", &cn, ld->err, ld->errlen);
		if (!rc)
			rc = yd_map_opt(n, "count", &kn, ld->err, ld->errlen);
		if (!rc)
			rc = yd_map_opt(n, "qos", &qn, ld->err, ld->errlen);
		if (rc)
			return rc;
		if (!fn == !cn)
			return yd_error(n, ld->err, ld->errlen,
					fn ? "give function or card, not both"
					   : "expected function: NAME or card: NAME with count: N");
		if (fn && kn)
			return yd_error(kn, ld->err, ld->errlen,
					"count goes with card (a function is one binding)");
		if (cn && !kn)
			return yd_error(n, ld->err, ld->errlen,
					"card %s needs count: N (how many of its VFs)",
					yd_scalar(cn) ? yd_scalar(cn) : "");
		if (fn && (rc = get_name(ld, fn, "function", &function)))
			return rc;
		if (cn && (rc = get_name(ld, cn, "card", &card)))
			return rc;
		if (kn && (rc = yd_get_uint(kn, 1, FM_BINDINGS_MAX_COUNT, &count, ld->err, ld->errlen))) {
			if (rc == -EINVAL && yd_scalar(kn) && yd_scalar(kn)[0] == '-')
				return yd_error(kn, ld->err, ld->errlen,
						"negative count %s: expected 1..%d", yd_scalar(kn),
						FM_BINDINGS_MAX_COUNT);
			return rc;
		}
		if (qn && (rc = load_qos(ld, qn, &qos)))
			return rc;
		at = fn ? fn : cn;
	}
	if (function) {
		uintptr_t first = (uintptr_t)fm_index_get(ld->seen, function);

		if (first) {
			const struct fm_bindings_entry *o = &ld->b->v[first - 1];

			return yd_error(fn, ld->err, ld->errlen,
					"%s is named twice: already for host %s (%s)", function,
					o->host, o->where);
		}
	}
	rc = fm_bindings_add(ld->b, host, function, card, (unsigned)count, &qos);
	if (rc)
		goto nomem;
	e = &ld->b->v[ld->b->n - 1];
	yd_path(n, path, sizeof(path));
	snprintf(e->where, sizeof(e->where), "%s:%u:%u: %s", ld->b->name, yd_line(at),
		 yd_column(at), path);
	if (function && fm_index_put(ld->seen, function, (void *)(uintptr_t)ld->b->n))
		goto nomem;
	return 0;
nomem:
	snprintf(ld->err, ld->errlen, "%s: out of memory", ld->b->name);
	return -ENOMEM;
}

static int load_host(struct loader *ld, const struct yd_node *k, const struct yd_node *seq)
{
	const char *host;
	int rc = get_name(ld, k, "host", &host);

	if (rc)
		return rc;
	if (strchr(host, '/'))
		return yd_error(k, ld->err, ld->errlen, "\"%s\" is not a host name (no /)", host);
	rc = yd_expect_seq(seq, ld->err, ld->errlen);
	if (rc) {
		if (yd_is_null(seq))
			return yd_error(seq, ld->err, ld->errlen,
					"expected a sequence of functions (write [] for none)");
		return rc;
	}
	if (add_host(ld->b, host, false)) {
		snprintf(ld->err, ld->errlen, "%s: out of memory", ld->b->name);
		return -ENOMEM;
	}
	for (size_t i = 0; i < yd_seq_len(seq); i++) {
		rc = load_entry(ld, host, yd_seq_at(seq, i));
		if (rc)
			return rc;
	}
	return 0;
}

static int load_doc(struct loader *ld, const struct yd_node *root)
{
	const struct yd_node *map;
	int rc;

	rc = yd_check_keys(root, top_keys, ld->err, ld->errlen);
	if (!rc)
		rc = yd_map_require(root, "bindings", &map, ld->err, ld->errlen);
	if (!rc && yd_seq_len(map) == 0 && yd_kind(map) == YD_SEQUENCE)
		return 0; /* bindings: [] is as good as {} */
	if (!rc && !yd_is_null(map))
		rc = yd_expect_map(map, ld->err, ld->errlen);
	else if (!rc)
		rc = yd_error(map, ld->err, ld->errlen, "expected a mapping HOST: [functions] (write {} for none)");
	for (size_t i = 0; !rc && i < yd_map_size(map); i++)
		rc = load_host(ld, yd_map_key_at(map, i), yd_map_value_at(map, i));
	return rc;
}

static int load(struct yd_doc *doc, struct fm_bindings **out, char *err, size_t errlen)
{
	struct loader ld = { .err = err, .errlen = errlen };
	int rc = -ENOMEM;

	ld.b = fm_bindings_new(yd_doc_name(doc));
	ld.seen = fm_index_new(64);
	if (!ld.b || !ld.seen) {
		snprintf(err, errlen, "%s: out of memory", yd_doc_name(doc));
		goto out;
	}
	rc = load_doc(&ld, yd_root(doc));
	if (!rc) {
		*out = ld.b;
		ld.b = NULL;
	}
out:
	fm_index_free(ld.seen);
	fm_bindings_free(ld.b);
	yd_doc_free(doc);
	return rc;
}

int fm_bindings_load_string(const char *name, const char *text, size_t len,
			    struct fm_bindings **out, char *err, size_t errlen)
{
	struct yd_doc *doc;
	int rc;

	*out = NULL;
	rc = yd_doc_load_string(name, text, len, &doc, err, errlen);
	return rc ? rc : load(doc, out, err, errlen);
}

int fm_bindings_load_file(const char *path, struct fm_bindings **out, char *err, size_t errlen)
{
	struct yd_doc *doc;
	int rc;

	*out = NULL;
	rc = yd_doc_load_file(path, &doc, err, errlen);
	return rc ? rc : load(doc, out, err, errlen);
}

/* ---- writing ---------------------------------------------------------------------------- */

void fm_qos_gbps_text(uint32_t mbps, char *buf, size_t len)
{
	unsigned frac = mbps % 1000;

	if (!frac)
		snprintf(buf, len, "%u", mbps / 1000);
	else if (frac % 100 == 0)
		snprintf(buf, len, "%u.%u", mbps / 1000, frac / 100);
	else if (frac % 10 == 0)
		snprintf(buf, len, "%u.%02u", mbps / 1000, frac / 10);
	else
		snprintf(buf, len, "%u.%03u", mbps / 1000, frac);
}

struct sbuf {
	char *s;
	size_t n, cap;
	bool failed;
};

static void put(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int need;

	if (sb->failed)
		return;
	va_start(ap, fmt);
	need = vsnprintf(sb->s ? sb->s + sb->n : NULL, sb->s ? sb->cap - sb->n : 0, fmt, ap);
	va_end(ap);
	if (need < 0) {
		sb->failed = true;
		return;
	}
	if (!sb->s || sb->n + (size_t)need >= sb->cap) {
		size_t cap = (sb->cap ? sb->cap : 256);
		char *s;

		while (cap <= sb->n + (size_t)need)
			cap *= 2;
		s = realloc(sb->s, cap);
		if (!s) {
			sb->failed = true;
			return;
		}
		sb->s = s;
		sb->cap = cap;
		va_start(ap, fmt);
		vsnprintf(sb->s + sb->n, sb->cap - sb->n, fmt, ap);
		va_end(ap);
	}
	sb->n += (size_t)need;
}

/* A name as YAML: plain when it reads back as the same string (name_ok, and not a word
 * YAML takes for null, a boolean or a number), else double-quoted. */
static void put_name(struct sbuf *sb, const char *s)
{
	static const char *const words[] = { "null", "true", "false", "yes", "no", "on", "off",
					     "y", "n", "~", NULL };
	bool plain = name_ok(s) && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'));

	for (unsigned i = 0; plain && words[i]; i++)
		if (!strcasecmp(s, words[i]))
			plain = false;
	if (plain) {
		put(sb, "%s", s);
		return;
	}
	put(sb, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			put(sb, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			put(sb, "\\x%02x", *p);
		else
			put(sb, "%c", *p);
	}
	put(sb, "\"");
}

static void put_qos(struct sbuf *sb, const struct fm_qos *q)
{
	char t[32];

	put(sb, "{ ");
	if (q->min_mbps) {
		fm_qos_gbps_text(q->min_mbps, t, sizeof(t));
		put(sb, "min_gbps: %s%s", t, q->max_mbps ? ", " : "");
	}
	if (q->max_mbps) {
		fm_qos_gbps_text(q->max_mbps, t, sizeof(t));
		put(sb, "max_gbps: %s", t);
	}
	put(sb, " }");
}

char *fm_bindings_format(const struct fm_bindings *b, const char *header)
{
	struct sbuf sb = {0};

	if (header) {
		for (const char *p = header; *p;) {
			size_t l = strcspn(p, "\n");

			put(&sb, "# %.*s\n", (int)l, p);
			p += l + (p[l] == '\n');
		}
	}
	put(&sb, "bindings:%s\n", b->n_hosts ? "" : " {}");
	for (size_t h = 0; h < b->n_hosts; h++) {
		bool any = false;

		put(&sb, "  ");
		put_name(&sb, b->hosts[h]);
		put(&sb, ":");
		for (size_t i = 0; i < b->n; i++) {
			const struct fm_bindings_entry *e = &b->v[i];
			bool qos = e->qos.min_mbps || e->qos.max_mbps;

			if (strcmp(e->host, b->hosts[h]))
				continue;
			put(&sb, "\n    - ");
			any = true;
			if (e->card) {
				put(&sb, "card: ");
				put_name(&sb, e->card);
				put(&sb, "\n      count: %u", e->count);
			} else if (qos) {
				put(&sb, "function: ");
				put_name(&sb, e->function);
			} else {
				put_name(&sb, e->function);
			}
			if (qos) {
				put(&sb, "\n      qos: ");
				put_qos(&sb, &e->qos);
			}
		}
		put(&sb, "%s\n", any ? "" : " []");
	}
	if (sb.failed || !sb.s) {
		free(sb.s);
		return NULL;
	}
	return sb.s;
}
