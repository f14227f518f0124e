/* yaml_doc: libyaml's composed document plus parent links, so that any node can name
 * its FILE:LINE:COLUMN and its path (slots[2].number) in an error message. */
#include "yaml_doc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "errbuf.h"

struct yd_node {
	const struct yd_doc *doc;
	yaml_node_t *y;
	const struct yd_node *parent; /* NULL for the root and for unreachable nodes */
	const struct yd_node *key;    /* key node when the parent is a mapping */
	long index;                   /* position when the parent is a sequence, else -1 */
	bool reached;
};

struct yd_doc {
	char *name;
	yaml_document_t ydoc;
	bool have_ydoc;
	struct yd_node *nodes; /* nodes[i] wraps libyaml node index i + 1 */
	size_t n_nodes;
};

static const struct yd_node *wrap(const struct yd_doc *doc, int index)
{
	if (index < 1 || (size_t)index > doc->n_nodes)
		return NULL;
	return &doc->nodes[index - 1];
}

/* ---- node facts ------------------------------------------------------------------ */

enum yd_kind yd_kind(const struct yd_node *n)
{
	switch (n->y->type) {
	case YAML_MAPPING_NODE:
		return YD_MAPPING;
	case YAML_SEQUENCE_NODE:
		return YD_SEQUENCE;
	default:
		return YD_SCALAR;
	}
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
	return (unsigned)n->y->start_mark.line + 1;
}

unsigned yd_column(const struct yd_node *n)
{
	return (unsigned)n->y->start_mark.column + 1;
}

const char *yd_doc_name(const struct yd_doc *doc)
{
	return doc->name;
}

const struct yd_node *yd_root(const struct yd_doc *doc)
{
	return doc->n_nodes ? &doc->nodes[0] : NULL;
}

const char *yd_scalar(const struct yd_node *n)
{
	if (!n || n->y->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->y->data.scalar.value;
}

static bool is_plain(const struct yd_node *n)
{
	return n->y->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
	       n->y->data.scalar.style == YAML_ANY_SCALAR_STYLE;
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
	else if (n->key && n->key->y->type == YAML_SCALAR_NODE)
		w = snprintf(buf + *pos, len - *pos, "%s%s", *pos ? "." : "",
			     (const char *)n->key->y->data.scalar.value);
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

int yd_verror(const struct yd_node *n, char *err, size_t errlen, const char *fmt, va_list ap)
{
	char path[256];
	char msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	yd_path(n, path, sizeof(path));
	if (path[0])
		fab_seterr(err, errlen, "%s:%u:%u: %s: %s", n->doc->name, yd_line(n), yd_column(n),
			   path, msg);
	else
		fab_seterr(err, errlen, "%s:%u:%u: %s", n->doc->name, yd_line(n), yd_column(n),
			   msg);
	return -EINVAL;
}

int yd_error(const struct yd_node *n, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = yd_verror(n, err, errlen, fmt, ap);
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
	if (!map || map->y->type != YAML_MAPPING_NODE)
		return 0;
	return (size_t)(map->y->data.mapping.pairs.top - map->y->data.mapping.pairs.start);
}

const struct yd_node *yd_map_key_at(const struct yd_node *map, size_t i)
{
	if (i >= yd_map_size(map))
		return NULL;
	return wrap(map->doc, map->y->data.mapping.pairs.start[i].key);
}

const struct yd_node *yd_map_value_at(const struct yd_node *map, size_t i)
{
	if (i >= yd_map_size(map))
		return NULL;
	return wrap(map->doc, map->y->data.mapping.pairs.start[i].value);
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
	if (!seq || seq->y->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(seq->y->data.sequence.items.top - seq->y->data.sequence.items.start);
}

const struct yd_node *yd_seq_at(const struct yd_node *seq, size_t i)
{
	if (i >= yd_seq_len(seq))
		return NULL;
	return wrap(seq->doc, seq->y->data.sequence.items.start[i]);
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
	unsigned base = 10;
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
	}
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

static int parser_error(const char *name, const yaml_parser_t *p, char *err, size_t errlen)
{
	const char *problem = p->problem ? p->problem : "unknown error";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		fab_seterr(err, errlen, "%s: out of memory while parsing", name);
		return -ENOMEM;
	case YAML_READER_ERROR:
		fab_seterr(err, errlen, "%s: %s at byte offset %zu", name, problem,
			   (size_t)p->problem_offset);
		return -EINVAL;
	default:
		if (p->context)
			fab_seterr(err, errlen, "%s:%zu:%zu: %s (%s at %zu:%zu)", name,
				   (size_t)p->problem_mark.line + 1,
				   (size_t)p->problem_mark.column + 1, problem, p->context,
				   (size_t)p->context_mark.line + 1,
				   (size_t)p->context_mark.column + 1);
		else
			fab_seterr(err, errlen, "%s:%zu:%zu: %s", name,
				   (size_t)p->problem_mark.line + 1,
				   (size_t)p->problem_mark.column + 1, problem);
		return -EINVAL;
	}
}

/* Breadth-first from the root so each node's parent chain is its shortest path and can
 * never loop, even when aliases make the node graph cyclic. */
static int link_parents(struct yd_doc *doc)
{
	size_t *queue, head = 0, tail = 0;

	queue = malloc(doc->n_nodes * sizeof(*queue));
	if (!queue)
		return -ENOMEM;
	doc->nodes[0].reached = true;
	queue[tail++] = 0;
	while (head < tail) {
		struct yd_node *n = &doc->nodes[queue[head++]];
		yaml_node_t *y = n->y;

		if (y->type == YAML_SEQUENCE_NODE) {
			yaml_node_item_t *it;

			for (it = y->data.sequence.items.start; it < y->data.sequence.items.top; it++) {
				struct yd_node *c = (struct yd_node *)wrap(doc, *it);

				if (!c || c->reached)
					continue;
				c->reached = true;
				c->parent = n;
				c->index = it - y->data.sequence.items.start;
				queue[tail++] = (size_t)(c - doc->nodes);
			}
		} else if (y->type == YAML_MAPPING_NODE) {
			yaml_node_pair_t *pr;

			for (pr = y->data.mapping.pairs.start; pr < y->data.mapping.pairs.top; pr++) {
				struct yd_node *k = (struct yd_node *)wrap(doc, pr->key);
				struct yd_node *c = (struct yd_node *)wrap(doc, pr->value);

				if (k && !k->reached) {
					/* A key reports at its mapping's path. */
					k->reached = true;
					k->parent = n->parent;
					k->key = n->key;
					k->index = n->index;
					queue[tail++] = (size_t)(k - doc->nodes);
				}
				if (!c || c->reached)
					continue;
				c->reached = true;
				c->parent = n;
				c->key = k;
				queue[tail++] = (size_t)(c - doc->nodes);
			}
		}
	}
	free(queue);
	return 0;
}

static int cmp_key(const void *a, const void *b)
{
	const yaml_node_t *x = *(yaml_node_t *const *)a, *y = *(yaml_node_t *const *)b;
	int c = strcmp((const char *)x->data.scalar.value, (const char *)y->data.scalar.value);

	if (c)
		return c;
	return x < y ? -1 : x > y;
}

/* Duplicate scalar keys: sorted by (text, node order) so a mapping costs n log n. */
static int check_duplicates(struct yd_doc *doc, char *err, size_t errlen)
{
	yaml_node_t **keys = NULL;
	size_t i, cap = 0;
	int rc = 0;

	for (i = 0; i < doc->n_nodes && !rc; i++) {
		yaml_node_t *y = doc->nodes[i].y;
		yaml_node_pair_t *pr;
		yaml_node_t *first = NULL, *dup = NULL;
		size_t n = 0, j;

		if (y->type != YAML_MAPPING_NODE)
			continue;
		if ((size_t)(y->data.mapping.pairs.top - y->data.mapping.pairs.start) > cap) {
			yaml_node_t **nk;

			cap = (size_t)(y->data.mapping.pairs.top - y->data.mapping.pairs.start);
			nk = realloc(keys, cap * sizeof(*keys));
			if (!nk) {
				rc = -ENOMEM;
				fab_seterr(err, errlen, "%s: out of memory", doc->name);
				break;
			}
			keys = nk;
		}
		for (pr = y->data.mapping.pairs.start; pr < y->data.mapping.pairs.top; pr++) {
			const struct yd_node *k = wrap(doc, pr->key);

			if (k && k->y->type == YAML_SCALAR_NODE)
				keys[n++] = k->y;
		}
		if (n < 2)
			continue;
		qsort(keys, n, sizeof(*keys), cmp_key);
		for (j = 1; j < n; j++) {
			if (strcmp((const char *)keys[j]->data.scalar.value,
				   (const char *)keys[j - 1]->data.scalar.value))
				continue;
			if (!dup || keys[j]->start_mark.index < dup->start_mark.index) {
				dup = keys[j];
				first = keys[j - 1];
			}
			while (j + 1 < n && !strcmp((const char *)keys[j + 1]->data.scalar.value,
						    (const char *)keys[j]->data.scalar.value))
				j++;
		}
		if (dup) {
			/* first is the earliest of its group only if groups are contiguous:
			 * they are, sorted by text then node order. */
			rc = yd_error(&doc->nodes[dup - doc->ydoc.nodes.start], err, errlen,
				      "duplicate key \"%s\" (first at line %zu)",
				      (const char *)dup->data.scalar.value,
				      (size_t)first->start_mark.line + 1);
		}
	}
	free(keys);
	return rc;
}

static int check_scalars(struct yd_doc *doc, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < doc->n_nodes; i++) {
		yaml_node_t *y = doc->nodes[i].y;

		if (y->type == YAML_SCALAR_NODE &&
		    strlen((const char *)y->data.scalar.value) != y->data.scalar.length)
			return yd_error(&doc->nodes[i], err, errlen,
					"NUL character inside a scalar");
	}
	return 0;
}

static int load(struct yd_doc *doc, yaml_parser_t *p, char *err, size_t errlen)
{
	yaml_document_t extra;
	size_t i;
	int rc;

	if (!yaml_parser_load(p, &doc->ydoc))
		return parser_error(doc->name, p, err, errlen);
	doc->have_ydoc = true;
	if (!yaml_document_get_root_node(&doc->ydoc)) {
		fab_seterr(err, errlen, "%s:1:1: empty document", doc->name);
		return -EINVAL;
	}
	/* A second document would be silently ignored: refuse it. */
	if (!yaml_parser_load(p, &extra))
		return parser_error(doc->name, p, err, errlen);
	if (yaml_document_get_root_node(&extra)) {
		fab_seterr(err, errlen, "%s:%zu:%zu: more than one YAML document", doc->name,
			   (size_t)extra.start_mark.line + 1, (size_t)extra.start_mark.column + 1);
		yaml_document_delete(&extra);
		return -EINVAL;
	}
	yaml_document_delete(&extra);

	doc->n_nodes = (size_t)(doc->ydoc.nodes.top - doc->ydoc.nodes.start);
	doc->nodes = calloc(doc->n_nodes, sizeof(*doc->nodes));
	if (!doc->nodes) {
		fab_seterr(err, errlen, "%s: out of memory", doc->name);
		return -ENOMEM;
	}
	for (i = 0; i < doc->n_nodes; i++) {
		doc->nodes[i].doc = doc;
		doc->nodes[i].y = &doc->ydoc.nodes.start[i];
		doc->nodes[i].index = -1;
	}
	rc = link_parents(doc);
	if (rc) {
		fab_seterr(err, errlen, "%s: out of memory", doc->name);
		return rc;
	}
	rc = check_scalars(doc, err, errlen);
	if (rc)
		return rc;
	return check_duplicates(doc, err, errlen);
}

static struct yd_doc *doc_new(const char *name)
{
	struct yd_doc *doc = calloc(1, sizeof(*doc));

	if (!doc)
		return NULL;
	doc->name = strdup(name);
	if (!doc->name) {
		free(doc);
		return NULL;
	}
	return doc;
}

void yd_doc_free(struct yd_doc *doc)
{
	if (!doc)
		return;
	if (doc->have_ydoc)
		yaml_document_delete(&doc->ydoc);
	free(doc->nodes);
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
		fab_seterr(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	if (!yaml_parser_initialize(&p)) {
		yd_doc_free(doc);
		fab_seterr(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	rc = load(doc, &p, err, errlen);
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
	yaml_parser_t p;
	struct yd_doc *doc = NULL;
	FILE *f;
	int rc;

	*out = NULL;
	f = fopen(path, "rb");
	if (!f) {
		rc = -errno;
		fab_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	doc = doc_new(path);
	if (!doc || !yaml_parser_initialize(&p)) {
		fab_seterr(err, errlen, "%s: out of memory", path);
		rc = -ENOMEM;
		goto err_close;
	}
	yaml_parser_set_input_file(&p, f);
	rc = load(doc, &p, err, errlen);
	yaml_parser_delete(&p);
	if (rc)
		goto err_close;
	fclose(f);
	*out = doc;
	return 0;
err_close:
	yd_doc_free(doc);
	fclose(f);
	return rc;
}
