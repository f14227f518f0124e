/* yaml_doc: a YAML document composed from libyaml's event stream, with parent links, so
 * that any node can name its FILE:LINE:COLUMN and its path (slots[2].number) in an error
 * message. Composing the tree ourselves lets every limit (nesting depth, scalar length,
 * no tags, anchors or aliases) stop the parse at the offending event, in bounded time and
 * memory, instead of after libyaml has built the whole document. */
#include "yaml_doc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "errbuf.h"
#include "text_escape.h"

struct yd_node {
	const struct yd_doc *doc;
	enum yd_kind kind;
	char *text;                   /* scalars: the value, NUL-terminated */
	bool plain;                   /* scalars: written unquoted */
	unsigned line, column;        /* 1-based start of the node's text */
	const struct yd_node *parent; /* NULL for the root */
	const struct yd_node *key;    /* key node when the parent is a mapping */
	long index;                   /* position when the parent is a sequence, else -1 */
	struct yd_node **kids;        /* sequence: items; mapping: key0, value0, key1, ... */
	size_t n_kids, cap_kids;
};

struct yd_doc {
	char *name; /* escaped for messages */
	struct yd_node *root;
	struct yd_node **all; /* every node, for yd_doc_free */
	size_t n_all, cap_all;
};

/* ---- node facts ------------------------------------------------------------------ */

enum yd_kind yd_kind(const struct yd_node *n)
{
	return n->kind;
}

const char *yd_kind_name(enum yd_kind k)
{
	switch (k) {
	case YD_MAPPING:
		return "mapping";
	case YD_SEQUENCE:
		return "sequence";
	default:
		return "scalar";
	}
}

unsigned yd_line(const struct yd_node *n)
{
	return n->line;
}

unsigned yd_column(const struct yd_node *n)
{
	return n->column;
}

const char *yd_doc_name(const struct yd_doc *doc)
{
	return doc->name;
}

const struct yd_node *yd_root(const struct yd_doc *doc)
{
	return doc->root;
}

const char *yd_scalar(const struct yd_node *n)
{
	if (!n || n->kind != YD_SCALAR)
		return NULL;
	return n->text;
}

static bool is_plain(const struct yd_node *n)
{
	return n->plain;
}

bool yd_is_null(const struct yd_node *n)
{
	const char *s = yd_scalar(n);

	if (!s || !is_plain(n))
		return false;
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

/* Appends the path of n at buf[*pos]; stops quietly when the buffer is full. */
static void path_append(const struct yd_node *n, char *buf, size_t len, size_t *pos, int depth)
{
	int w;

	if (!n->parent)
		return;
	if (depth > 64) {
		w = snprintf(buf + *pos, len - *pos, "...");
		goto advance;
	}
	path_append(n->parent, buf, len, pos, depth + 1);
	if (*pos >= len - 1)
		return;
	if (n->index >= 0)
		w = snprintf(buf + *pos, len - *pos, "[%ld]", n->index);
	else if (n->key && n->key->kind == YD_SCALAR)
		w = snprintf(buf + *pos, len - *pos, "%s%s", *pos ? "." : "", n->key->text);
	else
		w = snprintf(buf + *pos, len - *pos, "%s?", *pos ? "." : "");
advance:
	if (w > 0)
		*pos = (size_t)w >= len - *pos ? len - 1 : *pos + (size_t)w;
}

void yd_path(const struct yd_node *n, char *buf, size_t len)
{
	size_t pos = 0;

	if (!buf || !len)
		return;
	buf[0] = '\0';
	path_append(n, buf, len, &pos, 0);
}

/* Writes "NAME:LINE:COL: " and then what, escaped (text_escape.h), so that no byte of the
 * input can end the line or reach a terminal raw; cause, if any, is appended as it is (an
 * error message that is already safe). name is already escaped. */
static int seterr_at(const char *name, unsigned line, unsigned col, const char *what,
		     const char *cause, char *err, size_t errlen)
{
	int w;
	size_t used;

	if (!err || !errlen)
		return -EINVAL;
	w = snprintf(err, errlen, "%s:%u:%u: ", name, line, col);
	if (w < 0 || (size_t)w >= errlen)
		return -EINVAL;
	used = (size_t)w + fab_escape(err + w, errlen - (size_t)w, what, strlen(what));
	if (cause && used < errlen - 1)
		snprintf(err + used, errlen - used, ": %s", cause);
	return -EINVAL;
}

static int verror(const struct yd_node *n, const char *cause, char *err, size_t errlen,
		  const char *fmt, va_list ap)
{
	char path[256], msg[512], what[800];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	yd_path(n, path, sizeof(path));
	snprintf(what, sizeof(what), "%s%s%s", path, path[0] ? ": " : "", msg);
	return seterr_at(n->doc->name, n->line, n->column, what, cause, err, errlen);
}

int yd_verror(const struct yd_node *n, char *err, size_t errlen, const char *fmt, va_list ap)
{
	return verror(n, NULL, err, errlen, fmt, ap);
}

int yd_error(const struct yd_node *n, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = verror(n, NULL, err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

int yd_error_cause(const struct yd_node *n, char *err, size_t errlen, const char *cause,
		   const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = verror(n, cause, err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* "a sequence", "null", "\"text\"" for messages saying what was found instead. */
static void describe(const struct yd_node *n, char *buf, size_t len)
{
	const char *s = yd_scalar(n);

	if (!s)
		snprintf(buf, len, "a %s", yd_kind_name(yd_kind(n)));
	else if (yd_is_null(n))
		snprintf(buf, len, "null");
	else if (strlen(s) > 40)
		snprintf(buf, len, "\"%.40s...\"", s);
	else
		snprintf(buf, len, "\"%s\"", s);
}

static int expect_kind(const struct yd_node *n, enum yd_kind k, char *err, size_t errlen)
{
	char got[64];

	if (yd_kind(n) == k)
		return 0;
	describe(n, got, sizeof(got));
	return yd_error(n, err, errlen, "expected a %s, got %s", yd_kind_name(k), got);
}

int yd_expect_seq(const struct yd_node *n, char *err, size_t errlen)
{
	return expect_kind(n, YD_SEQUENCE, err, errlen);
}

int yd_expect_map(const struct yd_node *n, char *err, size_t errlen)
{
	return expect_kind(n, YD_MAPPING, err, errlen);
}

/* ---- mappings and sequences ------------------------------------------------------ */

size_t yd_map_size(const struct yd_node *map)
{
	if (!map || map->kind != YD_MAPPING)
		return 0;
	return map->n_kids / 2;
}

const struct yd_node *yd_map_key_at(const struct yd_node *map, size_t i)
{
	if (i >= yd_map_size(map))
		return NULL;
	return map->kids[2 * i];
}

const struct yd_node *yd_map_value_at(const struct yd_node *map, size_t i)
{
	if (i >= yd_map_size(map))
		return NULL;
	return map->kids[2 * i + 1];
}

const struct yd_node *yd_map_get(const struct yd_node *map, const char *key)
{
	size_t i, n = yd_map_size(map);

	for (i = 0; i < n; i++) {
		const char *k = yd_scalar(yd_map_key_at(map, i));

		if (k && !strcmp(k, key))
			return yd_map_value_at(map, i);
	}
	return NULL;
}

int yd_map_require(const struct yd_node *map, const char *key, const struct yd_node **out,
		   char *err, size_t errlen)
{
	int rc = yd_expect_map(map, err, errlen);

	if (rc)
		return rc;
	*out = yd_map_get(map, key);
	if (!*out) {
		yd_error(map, err, errlen, "missing required key \"%s\"", key);
		return -ENOENT;
	}
	return 0;
}

int yd_map_opt(const struct yd_node *map, const char *key, const struct yd_node **out,
	       char *err, size_t errlen)
{
	int rc = yd_expect_map(map, err, errlen);

	*out = NULL;
	if (rc)
		return rc;
	*out = yd_map_get(map, key);
	if (*out && yd_is_null(*out)) {
		rc = yd_error(*out, err, errlen,
			      "expected a value, got null (leave the key out for the default)");
		*out = NULL;
	}
	return rc;
}

int yd_check_keys(const struct yd_node *map, const char *const allowed[], char *err,
		  size_t errlen)
{
	size_t i, j, n;
	int rc = yd_expect_map(map, err, errlen);

	if (rc)
		return rc;
	n = yd_map_size(map);
	for (i = 0; i < n; i++) {
		const struct yd_node *kn = yd_map_key_at(map, i);
		const char *k = yd_scalar(kn);
		char list[256];
		size_t pos = 0;

		if (!k)
			return yd_error(kn, err, errlen, "keys must be scalars, got a %s",
					yd_kind_name(yd_kind(kn)));
		for (j = 0; allowed[j]; j++)
			if (!strcmp(k, allowed[j]))
				break;
		if (allowed[j])
			continue;
		list[0] = '\0';
		for (j = 0; allowed[j] && pos < sizeof(list) - 1; j++) {
			int w = snprintf(list + pos, sizeof(list) - pos, "%s%s", j ? ", " : "",
					 allowed[j]);
			if (w < 0)
				break;
			pos += (size_t)w;
		}
		/* The key node's own path is its parent mapping's; name the key itself. */
		return yd_error(kn, err, errlen, "unknown key \"%s\" (allowed: %s)", k, list);
	}
	return 0;
}

size_t yd_seq_len(const struct yd_node *seq)
{
	if (!seq || seq->kind != YD_SEQUENCE)
		return 0;
	return seq->n_kids;
}

const struct yd_node *yd_seq_at(const struct yd_node *seq, size_t i)
{
	if (i >= yd_seq_len(seq))
		return NULL;
	return seq->kids[i];
}

/* ---- scalars ---------------------------------------------------------------------- */

int yd_get_str(const struct yd_node *n, const char **out, char *err, size_t errlen)
{
	char got[64];

	if (yd_kind(n) != YD_SCALAR || yd_is_null(n)) {
		describe(n, got, sizeof(got));
		return yd_error(n, err, errlen, "expected a string, got %s", got);
	}
	*out = yd_scalar(n);
	return 0;
}

int yd_get_uint(const struct yd_node *n, uint64_t min, uint64_t max, uint64_t *out, char *err,
		size_t errlen)
{
	const char *s = yd_scalar(n);
	const char *p;
	uint64_t v = 0;
	unsigned base = 10, digits = 0;
	char got[64];

	if (!s || !is_plain(n) || !*s)
		goto bad;
	p = s;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (!*p)
			goto bad;
	}
	for (; *p; p++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else if (*p == '_' && p != s)
			continue; /* YAML 1.1 digit separator: 1_000 */
		else
			goto bad;
		if (v > (UINT64_MAX - d) / base) {
			yd_error(n, err, errlen, "value %s is too large", s);
			return -ERANGE;
		}
		v = v * base + d;
		digits++;
	}
	if (!digits) /* "0x_" */
		goto bad;
	if (v < min || v > max) {
		yd_error(n, err, errlen, "value %s out of range %llu..%llu", s,
			 (unsigned long long)min, (unsigned long long)max);
		return -ERANGE;
	}
	*out = v;
	return 0;
bad:
	describe(n, got, sizeof(got));
	return yd_error(n, err, errlen, "expected an unsigned integer, got %s", got);
}

int yd_get_fixed(const struct yd_node *n, unsigned frac_digits, uint64_t min, uint64_t max,
		 uint64_t *out, char *err, size_t errlen)
{
	const char *s = yd_scalar(n);
	const char *p;
	uint64_t v = 0, scale = 1;
	unsigned ints = 0, fracs = 0;
	bool dot = false;
	char got[64];

	describe(n, got, sizeof(got));
	if (!s || !*s)
		goto bad;
	if (!is_plain(n)) /* "10" in quotes is a string: a number is written plain */
		return yd_error(n, err, errlen, "expected a number, got the string %s", got);
	if (*s == '-' && s[1])
		return yd_error(n, err, errlen, "negative value %s: expected 0 or more", s);
	for (unsigned i = 0; i < frac_digits; i++)
		scale *= 10;
	for (p = s; *p; p++) {
		if (*p == '.' && !dot) {
			dot = true;
			continue;
		}
		if (*p < '0' || *p > '9')
			goto bad; /* "10G", ".inf", ".nan", "1e3", "+1" */
		if (dot && ++fracs > frac_digits)
			return yd_error(n, err, errlen, "value %s has more than %u decimals", s,
					frac_digits);
		if (!dot)
			ints++;
		if (v > (UINT64_MAX - 9) / 10 || (!dot && v * 10 > UINT64_MAX / scale))
			goto range;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (!ints || (dot && !fracs)) /* ".5", "5." */
		goto bad;
	for (; fracs < frac_digits; fracs++)
		v *= 10;
	if (v < min || v > max)
		goto range;
	*out = v;
	return 0;
range:
	{
		char lo[32], hi[32];

		snprintf(lo, sizeof(lo), "%llu", (unsigned long long)(min / scale));
		snprintf(hi, sizeof(hi), "%llu", (unsigned long long)(max / scale));
		yd_error(n, err, errlen, "value %s out of range %s%s..%s", s, lo,
			 min % scale ? "+" : "", hi);
		return -ERANGE;
	}
bad:
	return yd_error(n, err, errlen, "expected a number like 2.5 (digits, no unit), got %s", got);
}

int yd_get_bool(const struct yd_node *n, bool *out, char *err, size_t errlen)
{
	static const char *const yes[] = { "true", "yes", "on", NULL };
	static const char *const no[] = { "false", "no", "off", NULL };
	const char *s = yd_scalar(n);
	char got[64];
	int i;

	if (s && is_plain(n)) {
		for (i = 0; yes[i]; i++)
			if (!strcasecmp(s, yes[i])) {
				*out = true;
				return 0;
			}
		for (i = 0; no[i]; i++)
			if (!strcasecmp(s, no[i])) {
				*out = false;
				return 0;
			}
	}
	describe(n, got, sizeof(got));
	return yd_error(n, err, errlen, "expected a boolean (true/false/yes/no), got %s", got);
}

int yd_get_enum(const struct yd_node *n, const struct yd_enum *table, int *out, char *err,
		size_t errlen)
{
	const char *s = yd_scalar(n);
	char list[256], got[64];
	size_t pos = 0;
	int i;

	if (s && !yd_is_null(n))
		for (i = 0; table[i].name; i++)
			if (!strcmp(s, table[i].name)) {
				*out = table[i].value;
				return 0;
			}
	list[0] = '\0';
	for (i = 0; table[i].name && pos < sizeof(list) - 1; i++) {
		int w = snprintf(list + pos, sizeof(list) - pos, "%s%s", i ? ", " : "",
				 table[i].name);
		if (w < 0)
			break;
		pos += (size_t)w;
	}
	describe(n, got, sizeof(got));
	return yd_error(n, err, errlen, "expected one of %s, got %s", list, got);
}

/* ---- mapping member shortcuts ------------------------------------------------------ */

static int member(const struct yd_node *map, const char *key, bool required,
		  const struct yd_node **out, char *err, size_t errlen)
{
	int rc = yd_expect_map(map, err, errlen);

	if (rc)
		return rc;
	*out = yd_map_get(map, key);
	if (!*out && required) {
		yd_error(map, err, errlen, "missing required key \"%s\"", key);
		return -ENOENT;
	}
	return 0;
}

int yd_map_str(const struct yd_node *map, const char *key, bool required, const char **out,
	       char *err, size_t errlen)
{
	const struct yd_node *v;
	int rc = member(map, key, required, &v, err, errlen);

	if (rc || !v)
		return rc;
	return yd_get_str(v, out, err, errlen);
}

int yd_map_uint(const struct yd_node *map, const char *key, bool required, uint64_t min,
		uint64_t max, uint64_t *out, char *err, size_t errlen)
{
	const struct yd_node *v;
	int rc = member(map, key, required, &v, err, errlen);

	if (rc || !v)
		return rc;
	return yd_get_uint(v, min, max, out, err, errlen);
}

int yd_map_bool(const struct yd_node *map, const char *key, bool required, bool *out, char *err,
		size_t errlen)
{
	const struct yd_node *v;
	int rc = member(map, key, required, &v, err, errlen);

	if (rc || !v)
		return rc;
	return yd_get_bool(v, out, err, errlen);
}

int yd_map_enum(const struct yd_node *map, const char *key, bool required,
		const struct yd_enum *table, int *out, char *err, size_t errlen)
{
	const struct yd_node *v;
	int rc = member(map, key, required, &v, err, errlen);

	if (rc || !v)
		return rc;
	return yd_get_enum(v, table, out, err, errlen);
}

/* ---- loading ---------------------------------------------------------------------- */

/* Line and column (1-based, columns in characters) of byte off of text, counting line
 * breaks as libyaml does: LF, CR, CR LF, NEL, LS and PS. */
static void offset_to_mark(const char *text, size_t len, size_t off, unsigned *line,
			   unsigned *col)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	*line = 1;
	*col = 1;
	if (off > len)
		off = len;
	while (i < off) {
		size_t brk = 0;

		if (s[i] == '\r')
			brk = i + 1 < len && s[i + 1] == '\n' ? 2 : 1;
		else if (s[i] == '\n')
			brk = 1;
		else if (s[i] == 0xc2 && i + 1 < len && s[i + 1] == 0x85)
			brk = 2;
		else if (s[i] == 0xe2 && i + 2 < len && s[i + 1] == 0x80 &&
			 (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
			brk = 3;
		if (brk && i + brk <= off) {
			(*line)++;
			*col = 1;
			i += brk;
			continue;
		}
		if ((s[i] & 0xc0) != 0x80) /* not a UTF-8 continuation byte: a new character */
			(*col)++;
		i++;
	}
	if (off < len && (s[off] & 0xc0) == 0x80 && *col > 1)
		(*col)--; /* inside a character: point at its start */
}

static int parser_error(const char *name, const yaml_parser_t *p, const char *text, size_t len,
			char *err, size_t errlen)
{
	const char *problem = p->problem ? p->problem : "unknown error";
	char what[256];
	unsigned line, col;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		fab_seterr(err, errlen, "%s: out of memory while parsing", name);
		return -ENOMEM;
	case YAML_READER_ERROR:
		/* libyaml reports the byte offset of the bad byte (invalid UTF-8, a control
		 * character): say where it is the way every other error does. */
		offset_to_mark(text, len, p->problem_offset, &line, &col);
		if (p->problem_value == 0)
			snprintf(what, sizeof(what), "NUL byte (not allowed in YAML text)");
		else if (p->problem_value > 0)
			snprintf(what, sizeof(what), "%s (0x%02x)", problem,
				 (unsigned)p->problem_value);
		else
			snprintf(what, sizeof(what), "%s", problem);
		return seterr_at(name, line, col, what, NULL, err, errlen);
	default:
		if (p->context)
			snprintf(what, sizeof(what), "%s (%s at %zu:%zu)", problem, p->context,
				 (size_t)p->context_mark.line + 1,
				 (size_t)p->context_mark.column + 1);
		else
			snprintf(what, sizeof(what), "%s", problem);
		return seterr_at(name, (unsigned)p->problem_mark.line + 1,
				 (unsigned)p->problem_mark.column + 1, what, NULL, err, errlen);
	}
}

/* Tabs: YAML forbids them in indentation and they make the rest ambiguous to read, so a
 * config file holds none at all. */
static int check_tabs(const char *name, const char *text, size_t len, char *err, size_t errlen)
{
	const char *tab = memchr(text, '\t', len);
	unsigned line, col;

	if (!tab)
		return 0;
	offset_to_mark(text, len, (size_t)(tab - text), &line, &col);
	return seterr_at(name, line, col, "tab character: indent and separate with spaces", NULL,
			 err, errlen);
}

static int grow(void *arrp, size_t *cap, size_t need, size_t size)
{
	void **arr = arrp;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *n;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, ncap * size);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

/* The node count limit, checked before each node is made. */
static int check_count(const struct yd_doc *doc, const yaml_event_t *ev, char *err,
		       size_t errlen)
{
	char what[64];

	if (doc->n_all < YD_MAX_NODES)
		return 0;
	snprintf(what, sizeof(what), "more than %d nodes", YD_MAX_NODES);
	return seterr_at(doc->name, (unsigned)ev->start_mark.line + 1,
			 (unsigned)ev->start_mark.column + 1, what, NULL, err, errlen);
}

static struct yd_node *node_new(struct yd_doc *doc, enum yd_kind kind, const yaml_mark_t *m)
{
	struct yd_node *n;

	if (grow(&doc->all, &doc->cap_all, doc->n_all + 1, sizeof(*doc->all)))
		return NULL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->doc = doc;
	n->kind = kind;
	n->line = (unsigned)m->line + 1;
	n->column = (unsigned)m->column + 1;
	n->index = -1;
	doc->all[doc->n_all++] = n;
	return n;
}

/* Hangs n under the open collection parent (NULL: n is the root). */
static int attach(struct yd_doc *doc, struct yd_node *parent, struct yd_node *n)
{
	if (!parent) {
		doc->root = n;
		return 0;
	}
	if (grow(&parent->kids, &parent->cap_kids, parent->n_kids + 1, sizeof(*parent->kids)))
		return -ENOMEM;
	if (parent->kind == YD_SEQUENCE) {
		n->parent = parent;
		n->index = (long)parent->n_kids;
	} else if (parent->n_kids % 2 == 0) {
		/* A key reports at its mapping's path. */
		n->parent = parent->parent;
		n->key = parent->key;
		n->index = parent->index;
	} else {
		n->parent = parent;
		n->key = parent->kids[parent->n_kids - 1];
	}
	parent->kids[parent->n_kids++] = n;
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const struct yd_node *x = *(const struct yd_node *const *)a;
	const struct yd_node *y = *(const struct yd_node *const *)b;
	int c = strcmp(x->text, y->text);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->column < y->column ? -1 : x->column > y->column;
}

/* Duplicate scalar keys of a mapping just closed: sorted by (text, position), so a
 * mapping costs n log n; the duplicate reported is the earliest in the file. */
static int check_duplicates(const struct yd_node *map, char *err, size_t errlen)
{
	const struct yd_node **keys, *first = NULL, *dup = NULL;
	size_t i, n = 0;
	int rc = 0;

	if (map->n_kids < 4)
		return 0;
	keys = malloc(map->n_kids / 2 * sizeof(*keys));
	if (!keys) {
		fab_seterr(err, errlen, "%s: out of memory", map->doc->name);
		return -ENOMEM;
	}
	for (i = 0; i < map->n_kids; i += 2)
		if (map->kids[i]->kind == YD_SCALAR)
			keys[n++] = map->kids[i];
	qsort(keys, n, sizeof(*keys), cmp_key);
	for (i = 1; i < n; i++) {
		/* Groups are contiguous and in file order: keys[i - 1] is the first of its
		 * group when keys[i] is the group's second. */
		if (strcmp(keys[i]->text, keys[i - 1]->text) ||
		    (i > 1 && !strcmp(keys[i - 1]->text, keys[i - 2]->text)))
			continue;
		if (!dup || keys[i]->line < dup->line ||
		    (keys[i]->line == dup->line && keys[i]->column < dup->column)) {
			dup = keys[i];
			first = keys[i - 1];
		}
	}
	if (dup)
		rc = yd_error(dup, err, errlen, "duplicate key \"%s\" (first at line %u, column %u)",
			      dup->text, first->line, first->column);
	free(keys);
	return rc;
}

/* Refuses what a config file does not need and a loader would otherwise accept silently:
 * tags (!!binary, !custom, and !!str on a number field), anchors and aliases. */
static int check_props(struct yd_doc *doc, const yaml_event_t *ev, const char *anchor,
		       const char *tag, char *err, size_t errlen)
{
	char what[160];
	unsigned line = (unsigned)ev->start_mark.line + 1, col = (unsigned)ev->start_mark.column + 1;

	if (ev->type == YAML_ALIAS_EVENT) {
		snprintf(what, sizeof(what),
			 "aliases (*%.64s) and anchors are not supported: write the value out",
			 anchor);
		return seterr_at(doc->name, line, col, what, NULL, err, errlen);
	}
	if (anchor) {
		snprintf(what, sizeof(what),
			 "anchors (&%.64s) and aliases are not supported: write the value out",
			 anchor);
		return seterr_at(doc->name, line, col, what, NULL, err, errlen);
	}
	if (tag) {
		static const char core[] = "tag:yaml.org,2002:";

		if (!strncmp(tag, core, sizeof(core) - 1))
			snprintf(what, sizeof(what), "tags (!!%.64s) are not supported: write the "
				 "plain value", tag + sizeof(core) - 1);
		else
			snprintf(what, sizeof(what), "tags (%.64s) are not supported: write the "
				 "plain value", tag);
		return seterr_at(doc->name, line, col, what, NULL, err, errlen);
	}
	return 0;
}

static int compose_scalar(struct yd_doc *doc, struct yd_node *parent, const yaml_event_t *ev,
			  char *err, size_t errlen)
{
	struct yd_node *n;
	size_t len = ev->data.scalar.length;
	int rc;

	rc = check_props(doc, ev, (const char *)ev->data.scalar.anchor,
			 (const char *)ev->data.scalar.tag, err, errlen);
	if (rc || (rc = check_count(doc, ev, err, errlen)))
		return rc;
	n = node_new(doc, YD_SCALAR, &ev->start_mark);
	if (!n || !(n->text = malloc(len + 1)) || attach(doc, parent, n))
		return -ENOMEM;
	memcpy(n->text, ev->data.scalar.value, len);
	n->text[len] = '\0';
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
		   ev->data.scalar.style == YAML_ANY_SCALAR_STYLE;
	if (len > YD_MAX_SCALAR)
		return yd_error(n, err, errlen, "scalar of %zu bytes: at most %d", len,
				YD_MAX_SCALAR);
	/* "\0" in a double-quoted scalar: every consumer would silently cut the value. */
	if (memchr(n->text, '\0', len))
		return yd_error(n, err, errlen, "NUL character inside a scalar");
	return 0;
}

/* Builds doc from the event stream of p; text/len is the input, for reader errors. */
static int compose(struct yd_doc *doc, yaml_parser_t *p, const char *text, size_t len,
		   char *err, size_t errlen)
{
	struct yd_node *stack[YD_MAX_DEPTH];
	size_t depth = 0;
	bool have_doc = false, done = false;
	int rc = 0;

	while (!done && !rc) {
		yaml_event_t ev;
		struct yd_node *top = depth ? stack[depth - 1] : NULL, *n;

		if (!yaml_parser_parse(p, &ev))
			return parser_error(doc->name, p, text, len, err, errlen);
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			/* A second document would be silently ignored: refuse it. */
			if (have_doc)
				rc = seterr_at(doc->name, (unsigned)ev.start_mark.line + 1,
					       (unsigned)ev.start_mark.column + 1,
					       "more than one YAML document", NULL, err, errlen);
			have_doc = true;
			break;
		case YAML_ALIAS_EVENT:
			rc = check_props(doc, &ev, (const char *)ev.data.alias.anchor, NULL, err,
					 errlen);
			break;
		case YAML_SCALAR_EVENT:
			rc = compose_scalar(doc, top, &ev, err, errlen);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			bool seq = ev.type == YAML_SEQUENCE_START_EVENT;

			rc = seq ? check_props(doc, &ev,
					       (const char *)ev.data.sequence_start.anchor,
					       (const char *)ev.data.sequence_start.tag, err, errlen)
				 : check_props(doc, &ev,
					       (const char *)ev.data.mapping_start.anchor,
					       (const char *)ev.data.mapping_start.tag, err, errlen);
			if (rc)
				break;
			/* Checked here, before the parser reads the inner levels: a file nested a
			 * million deep costs YD_MAX_DEPTH events. */
			if (depth == YD_MAX_DEPTH) {
				char what[80];

				snprintf(what, sizeof(what), "nested deeper than %d levels",
					 YD_MAX_DEPTH);
				rc = seterr_at(doc->name, (unsigned)ev.start_mark.line + 1,
					       (unsigned)ev.start_mark.column + 1, what, NULL, err,
					       errlen);
				break;
			}
			if ((rc = check_count(doc, &ev, err, errlen)))
				break;
			n = node_new(doc, seq ? YD_SEQUENCE : YD_MAPPING, &ev.start_mark);
			if (!n || attach(doc, top, n)) {
				rc = -ENOMEM;
				break;
			}
			stack[depth++] = n;
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (!depth)
				break; /* libyaml never sends one unopened */
			n = stack[--depth];
			if (n->kind == YD_MAPPING)
				rc = check_duplicates(n, err, errlen);
			break;
		default: /* stream start, document end */
			break;
		}
		yaml_event_delete(&ev);
	}
	if (rc == -ENOMEM)
		fab_seterr(err, errlen, "%s: out of memory", doc->name);
	if (!rc && !doc->root)
		rc = seterr_at(doc->name, 1, 1, "empty document", NULL, err, errlen);
	return rc;
}

static struct yd_doc *doc_new(const char *name)
{
	struct yd_doc *doc = calloc(1, sizeof(*doc));

	if (!doc)
		return NULL;
	doc->name = fab_escape_dup(name);
	if (!doc->name) {
		free(doc);
		return NULL;
	}
	return doc;
}

void yd_doc_free(struct yd_doc *doc)
{
	size_t i;

	if (!doc)
		return;
	for (i = 0; i < doc->n_all; i++) {
		free(doc->all[i]->text);
		free(doc->all[i]->kids);
		free(doc->all[i]);
	}
	free(doc->all);
	free(doc->name);
	free(doc);
}

int yd_doc_load_string(const char *name, const char *text, size_t len, struct yd_doc **out,
		       char *err, size_t errlen)
{
	yaml_parser_t p;
	struct yd_doc *doc;
	int rc;

	*out = NULL;
	doc = doc_new(name);
	if (!doc) {
		fab_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (len > YD_MAX_FILE) {
		fab_seterr(err, errlen, "%s: %zu bytes: a config file has at most %d", doc->name,
			   len, YD_MAX_FILE);
		yd_doc_free(doc);
		return -EFBIG;
	}
	rc = check_tabs(doc->name, text, len, err, errlen);
	if (rc) {
		yd_doc_free(doc);
		return rc;
	}
	if (!yaml_parser_initialize(&p)) {
		fab_seterr(err, errlen, "%s: out of memory", doc->name);
		yd_doc_free(doc);
		return -ENOMEM;
	}
	/* Config files are UTF-8: reader errors then carry offsets into text itself. */
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	rc = compose(doc, &p, text, len, err, errlen);
	yaml_parser_delete(&p);
	if (rc) {
		yd_doc_free(doc);
		return rc;
	}
	*out = doc;
	return 0;
}

int yd_doc_load_file(const char *path, struct yd_doc **out, char *err, size_t errlen)
{
	char *text = NULL, *name = NULL;
	size_t len = 0, n;
	FILE *f;
	int rc;

	*out = NULL;
	name = fab_escape_dup(path);
	if (!name) {
		fab_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	f = fopen(path, "rb");
	if (!f) {
		rc = -errno;
		fab_seterr(err, errlen, "%s: %s", name, strerror(errno));
		goto out;
	}
	/* One byte more than the limit tells a file at the limit from a longer one (or an
	 * endless one: /dev/zero) without reading further. */
	text = malloc(YD_MAX_FILE + 1);
	if (!text) {
		rc = -ENOMEM;
		fab_seterr(err, errlen, "%s: out of memory", name);
		goto out;
	}
	while (len < YD_MAX_FILE + 1 && (n = fread(text + len, 1, YD_MAX_FILE + 1 - len, f)))
		len += n;
	if (ferror(f)) {
		rc = errno ? -errno : -EIO;
		fab_seterr(err, errlen, "%s: %s", name, strerror(-rc));
		goto out;
	}
	if (len > YD_MAX_FILE) {
		rc = -EFBIG;
		fab_seterr(err, errlen, "%s: larger than %d bytes: not a config file", name,
			   YD_MAX_FILE);
		goto out;
	}
	rc = yd_doc_load_string(path, text, len, out, err, errlen);
out:
	if (f)
		fclose(f);
	free(text);
	free(name);
	return rc;
}
