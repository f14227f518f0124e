/* yaml_doc: a YAML document (composed from libyaml's events) with typed accessors whose
 * errors read "FILE:LINE:COLUMN: PATH: message" (1-based), for every config loader. */
#ifndef FABRIC_YAML_DOC_H
#define FABRIC_YAML_DOC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A loaded document. Owns every node; nodes live as long as the document. */
struct yd_doc;
/* One node of a document (scalar, mapping or sequence). Never freed on its own. */
struct yd_node;

enum yd_kind {
	YD_SCALAR = 1,
	YD_MAPPING = 2,
	YD_SEQUENCE = 3,
};

/* A name -> value pair for yd_get_enum; tables end with a { NULL, 0 } entry. */
struct yd_enum {
	const char *name;
	int value;
};

/* Loading. The first document of the stream is loaded; a second document is an
 * error, so is an empty stream. The file is UTF-8 YAML 1.1 without the features a config
 * file has no use for; each of these is an error at its FILE:LINE:COLUMN:
 *   - a tag of any kind (!!str, !!binary, !custom, !): values are plain;
 *   - an anchor (&a) or an alias (*a): no sharing, so no expansion to bound;
 *   - nesting deeper than YD_MAX_DEPTH collections (checked while parsing, so a file
 *     nested a million deep stops at once);
 *   - a scalar longer than YD_MAX_SCALAR bytes, or holding a NUL ("\0");
 *   - more than YD_MAX_NODES nodes (with the file size, this bounds memory, about 10 MB
 *     at worst, and the loaders' work);
 *   - a tab character anywhere (YAML indents with spaces);
 *   - invalid UTF-8 or a control character (libyaml's reader, its byte offset turned
 *     into line:column);
 *   - a mapping with the same scalar key twice, at the second key:
 *     "duplicate key \"x\" (first at line L, column C)".
 * Errors: -errno of fopen/fread, -EFBIG (over YD_MAX_FILE bytes), -EINVAL (anything
 * above, YAML syntax), -ENOMEM. Every message is one line: input text in it (the file
 * name too) is escaped with fab_escape (text_escape.h). */
#define YD_MAX_DEPTH 64
#define YD_MAX_SCALAR 4096      /* bytes: a path (PATH_MAX) is the longest real value */
#define YD_MAX_FILE (1 << 20)   /* bytes: real config files are a few KiB */
#define YD_MAX_NODES 65536      /* scalars and collections: a full 256-slot chassis has ~5000 */
int yd_doc_load_file(const char *path, struct yd_doc **out, char *err, size_t errlen);
/* Same from memory; name is what messages print as FILE. */
int yd_doc_load_string(const char *name, const char *text, size_t len, struct yd_doc **out,
		       char *err, size_t errlen);
void yd_doc_free(struct yd_doc *doc); /* NULL is a no-op */

const char *yd_doc_name(const struct yd_doc *doc); /* as messages print it: escaped */
const struct yd_node *yd_root(const struct yd_doc *doc);

/* Node facts. Line and column are 1-based (start of the node's text). */
enum yd_kind yd_kind(const struct yd_node *n);
unsigned yd_line(const struct yd_node *n);
unsigned yd_column(const struct yd_node *n);
const char *yd_kind_name(enum yd_kind k); /* "scalar", "mapping", "sequence" */
/* Path from the root in the loaders' spelling: "slots[2].card.profile"; "" for the root. */
void yd_path(const struct yd_node *n, char *buf, size_t len);

/* Mappings. yd_map_get returns NULL when n is not a mapping or has no such key. */
const struct yd_node *yd_map_get(const struct yd_node *map, const char *key);
size_t yd_map_size(const struct yd_node *map);
const struct yd_node *yd_map_key_at(const struct yd_node *map, size_t i);
const struct yd_node *yd_map_value_at(const struct yd_node *map, size_t i);
/* Like yd_map_get but a missing key is an error at the mapping: -ENOENT. */
int yd_map_require(const struct yd_node *map, const char *key, const struct yd_node **out,
		   char *err, size_t errlen);
/* An optional key: *out is its value, or NULL when absent. A null value (~, null, empty)
 * is not taken for absent: -EINVAL "expected a value, got null (leave the key out for
 * the default)", so that `hooks_dir: ~` is never silently the default. */
int yd_map_opt(const struct yd_node *map, const char *key, const struct yd_node **out,
	       char *err, size_t errlen);
/* Checks that n is a mapping (else -EINVAL "expected a mapping, got a sequence") whose
 * keys are all scalars in allowed (NULL-terminated); the first other key is reported
 * at its own position: "unknown key \"x\" (allowed: a, b, c)", -EINVAL. */
int yd_check_keys(const struct yd_node *map, const char *const allowed[], char *err,
		  size_t errlen);

/* Sequences. yd_seq_len is 0 and yd_seq_at NULL when n is not a sequence. */
size_t yd_seq_len(const struct yd_node *seq);
const struct yd_node *yd_seq_at(const struct yd_node *seq, size_t i);
/* -EINVAL "expected a sequence, got a mapping" unless n is a sequence. */
int yd_expect_seq(const struct yd_node *n, char *err, size_t errlen);
int yd_expect_map(const struct yd_node *n, char *err, size_t errlen);

/* Scalars. yd_scalar returns the text or NULL for non-scalars. */
const char *yd_scalar(const struct yd_node *n);
/* True for a plain "~", "null", "Null", "NULL" or empty plain scalar. */
bool yd_is_null(const struct yd_node *n);
/* Typed reads; each returns 0 or -EINVAL / -ERANGE with a positioned message.
 * yd_get_str: any scalar (quoted or plain, not null). yd_get_uint: a plain decimal
 * or 0x-hex integer within [min, max] ("expected an unsigned integer, got \"x\"",
 * "value 40 out of range 1..32"). yd_get_bool: true/false/yes/no/on/off (any case
 * of those words). yd_get_enum: the scalar must be one of the table's names. */
int yd_get_str(const struct yd_node *n, const char **out, char *err, size_t errlen);
int yd_get_uint(const struct yd_node *n, uint64_t min, uint64_t max, uint64_t *out, char *err,
		size_t errlen);
int yd_get_bool(const struct yd_node *n, bool *out, char *err, size_t errlen);
/* yd_get_fixed: a plain non-negative decimal with at most frac_digits decimals, read
 * exactly (no floating point) as an integer in units of 10^-frac_digits: "2.5" with 3
 * digits is 2500. Refused, naming the value: a quoted scalar ("10" is a string), a sign,
 * a unit ("10G"), .nan / .inf, exponents, more decimals, anything outside [min, max]
 * (both in the same units; -ERANGE). */
int yd_get_fixed(const struct yd_node *n, unsigned frac_digits, uint64_t min, uint64_t max,
		 uint64_t *out, char *err, size_t errlen);
int yd_get_enum(const struct yd_node *n, const struct yd_enum *table, int *out, char *err,
		size_t errlen);

/* Mapping member shortcuts: an absent key is -ENOENT with a message when required,
 * else 0 with *out untouched (pre-set the default). */
int yd_map_str(const struct yd_node *map, const char *key, bool required, const char **out,
	       char *err, size_t errlen);
int yd_map_uint(const struct yd_node *map, const char *key, bool required, uint64_t min,
		uint64_t max, uint64_t *out, char *err, size_t errlen);
int yd_map_bool(const struct yd_node *map, const char *key, bool required, bool *out, char *err,
		size_t errlen);
int yd_map_enum(const struct yd_node *map, const char *key, bool required,
		const struct yd_enum *table, int *out, char *err, size_t errlen);

/* Writes "FILE:LINE:COL: PATH: message" about n into err (no "PATH: " for the root)
 * and returns -EINVAL, so loaders can `return yd_error(n, err, errlen, ...)`. The path
 * and message are escaped (text_escape.h): pass input text raw. */
int yd_error(const struct yd_node *n, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int yd_verror(const struct yd_node *n, char *err, size_t errlen, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
/* Like yd_error, then ": cause" as it is: for an error message from another loader
 * (already escaped), so that it is not escaped twice. */
int yd_error_cause(const struct yd_node *n, char *err, size_t errlen, const char *cause,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
