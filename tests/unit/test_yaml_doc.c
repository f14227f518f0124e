/* Unit tests for common/yaml_doc: typed access and FILE:LINE:COLUMN error messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "yaml_doc.h"

static struct yd_doc *load(const char *text)
{
	struct yd_doc *doc = NULL;
	char err[256] = "";
	int rc = yd_doc_load_string("t.yaml", text, strlen(text), &doc, err, sizeof(err));

	if (rc)
		fail_msg("load failed: %s", err);
	return doc;
}

static int load_err(const char *text, char *err, size_t errlen)
{
	struct yd_doc *doc = (struct yd_doc *)0x1;
	int rc = yd_doc_load_string("t.yaml", text, strlen(text), &doc, err, errlen);

	assert_null(doc);
	return rc;
}

static void test_typed_access(void **state)
{
	(void)state;
	struct yd_doc *doc = load("name: rack1\n"
				  "count: 12\n"
				  "mask: 0x553\n"
				  "on: yes\n"
				  "off: False\n"
				  "mode: sr-iov\n"
				  "list:\n"
				  "  - a\n"
				  "  - {x: 1}\n");
	const struct yd_node *root = yd_root(doc), *list;
	static const struct yd_enum modes[] = {
		{ "exclusive", 0 }, { "sr-iov", 1 }, { "mr-iov", 2 }, { NULL, 0 }
	};
	const char *s = NULL;
	uint64_t v = 0;
	bool b = false;
	int e = -1;
	char err[256];

	assert_int_equal(yd_kind(root), YD_MAPPING);
	assert_int_equal(yd_map_size(root), 7);
	assert_int_equal(yd_map_str(root, "name", true, &s, err, sizeof(err)), 0);
	assert_string_equal(s, "rack1");
	assert_int_equal(yd_map_uint(root, "count", true, 0, 100, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 12);
	assert_int_equal(yd_map_uint(root, "mask", true, 0, UINT32_MAX, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 0x553);
	assert_int_equal(yd_map_bool(root, "on", true, &b, err, sizeof(err)), 0);
	assert_true(b);
	assert_int_equal(yd_map_bool(root, "off", true, &b, err, sizeof(err)), 0);
	assert_false(b);
	assert_int_equal(yd_map_enum(root, "mode", true, modes, &e, err, sizeof(err)), 0);
	assert_int_equal(e, 1);
	/* optional and absent: untouched */
	v = 77;
	assert_int_equal(yd_map_uint(root, "absent", false, 0, 100, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 77);

	list = yd_map_get(root, "list");
	assert_non_null(list);
	assert_int_equal(yd_seq_len(list), 2);
	assert_string_equal(yd_scalar(yd_seq_at(list, 0)), "a");
	assert_null(yd_seq_at(list, 2));
	assert_int_equal(yd_line(yd_seq_at(list, 1)), 9);
	assert_int_equal(yd_column(yd_seq_at(list, 1)), 5);
	{
		char path[64];

		yd_path(yd_map_get(yd_seq_at(list, 1), "x"), path, sizeof(path));
		assert_string_equal(path, "list[1].x");
		yd_path(root, path, sizeof(path));
		assert_string_equal(path, "");
	}
	yd_doc_free(doc);
}

static void test_scalar_errors(void **state)
{
	(void)state;
	struct yd_doc *doc = load("slots:\n"
				  "  - number: 1\n"
				  "  - number: 2\n"
				  "  - number: x\n"
				  "    width: 40\n"
				  "    flag: maybe\n"
				  "    mode: foo\n"
				  "    quoted: \"12\"\n"
				  "    neg: -1\n"
				  "    sep: 0x_\n");
	const struct yd_node *s2 = yd_seq_at(yd_map_get(yd_root(doc), "slots"), 2);
	static const struct yd_enum modes[] = { { "a", 0 }, { "b", 1 }, { NULL, 0 } };
	uint64_t v;
	bool b;
	int e;
	char err[256];

	assert_int_equal(yd_map_uint(s2, "number", true, 0, 10, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "t.yaml:4:13: slots[2].number: expected an unsigned integer, got \"x\"");
	assert_int_equal(yd_map_uint(s2, "width", true, 1, 32, &v, err, sizeof(err)), -ERANGE);
	assert_string_equal(err, "t.yaml:5:12: slots[2].width: value 40 out of range 1..32");
	assert_int_equal(yd_map_bool(s2, "flag", true, &b, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:6:11: slots[2].flag: expected a boolean "
				 "(true/false/yes/no), got \"maybe\"");
	assert_int_equal(yd_map_enum(s2, "mode", true, modes, &e, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:7:11: slots[2].mode: expected one of a, b, got \"foo\"");
	/* A quoted number is a string in YAML. */
	assert_int_equal(yd_map_uint(s2, "quoted", true, 0, 100, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(yd_map_uint(s2, "neg", true, 0, 100, &v, err, sizeof(err)), -EINVAL);
	/* Separators without a digit are no number (was read as 0). */
	assert_int_equal(yd_map_uint(s2, "sep", true, 0, 100, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:10:10: slots[2].sep: expected an unsigned integer, got "
				 "\"0x_\"");
	assert_int_equal(yd_map_uint(s2, "missing", true, 0, 100, &v, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "t.yaml:4:5: slots[2]: missing required key \"missing\"");
	/* Kind mismatches */
	assert_int_equal(yd_expect_map(yd_map_get(yd_root(doc), "slots"), err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.yaml:2:3: slots: expected a mapping, got a sequence");
	yd_doc_free(doc);
}

static void test_check_keys(void **state)
{
	(void)state;
	struct yd_doc *doc = load("name: a\n"
				  "ports:\n"
				  "  - name: web1\n"
				  "    colour: red\n");
	static const char *const top[] = { "name", "ports", NULL };
	static const char *const port[] = { "name", "port", NULL };
	const struct yd_node *p0 = yd_seq_at(yd_map_get(yd_root(doc), "ports"), 0);
	char err[256];

	assert_int_equal(yd_check_keys(yd_root(doc), top, err, sizeof(err)), 0);
	assert_int_equal(yd_check_keys(p0, port, err, sizeof(err)), -EINVAL);
	assert_string_equal(err,
			    "t.yaml:4:5: ports[0]: unknown key \"colour\" (allowed: name, port)");
	yd_doc_free(doc);
}

static void test_duplicates(void **state)
{
	(void)state;
	char err[256];

	assert_int_equal(load_err("a: 1\nb:\n  x: 1\n  y: 2\n  x: 3\n", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.yaml:5:3: b: duplicate key \"x\" (first at line 3, column 3)");
	assert_int_equal(load_err("a: 1\nb: 2\na: 3\n", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:3:1: duplicate key \"a\" (first at line 1, column 1)");
}

static void test_parse_errors(void **state)
{
	(void)state;
	char err[256];

	assert_int_equal(load_err("a: [1, 2\nb: 3\n", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t.yaml:"));
	/* libyaml points at line 2 for the unclosed flow sequence */
	assert_true(strncmp(err, "t.yaml:2:", 9) == 0 || strncmp(err, "t.yaml:3:", 9) == 0);
	assert_int_equal(load_err("a: b: c\n", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:1:5: mapping values are not allowed in this context");
	assert_int_equal(load_err("", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:1:1: empty document");
	assert_int_equal(load_err("a: 1\n---\nb: 2\n", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "more than one YAML document"));
	assert_int_equal(load_err("a: *nope\n", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "t.yaml:1:4: "));
	/* Truncated messages stay NUL-terminated. */
	assert_int_equal(load_err("a: b: c\n", err, 8), -EINVAL);
	assert_int_equal(strlen(err), 7);
}

/* Load errors, exactly. */
static void expect_err(const char *text, size_t len, int want_rc, const char *want)
{
	struct yd_doc *doc = (struct yd_doc *)0x1;
	char err[512] = "";
	int rc = yd_doc_load_string("t.yaml", text, len, &doc, err, sizeof(err));

	assert_null(doc);
	if (rc != want_rc || strcmp(err, want))
		fail_msg("rc %d (want %d)\n  got:  %s\n  want: %s", rc, want_rc, err, want);
}

#define EXPECT_ERR(text, want) expect_err(text, sizeof(text) - 1, -EINVAL, want)

static void test_aliases_refused(void **state)
{
	(void)state;
	/* Sharing is how a small file becomes a huge (or cyclic) document: none at all. */
	EXPECT_ERR("base: &b {x: 1}\nother: *b\n",
		   "t.yaml:1:7: anchors (&b) and aliases are not supported: write the value out");
	EXPECT_ERR("a: *nope\n",
		   "t.yaml:1:4: aliases (*nope) and anchors are not supported: write the value out");
	EXPECT_ERR("self: &s [*s]\n",
		   "t.yaml:1:7: anchors (&s) and aliases are not supported: write the value out");
	EXPECT_ERR("a: [&x 1]\n",
		   "t.yaml:1:5: anchors (&x) and aliases are not supported: write the value out");
}

static void test_tags_refused(void **state)
{
	(void)state;
	EXPECT_ERR("a: 1\nb: !!binary aGVsbG8=\n",
		   "t.yaml:2:4: tags (!!binary) are not supported: write the plain value");
	EXPECT_ERR("a: !custom x\n",
		   "t.yaml:1:4: tags (!custom) are not supported: write the plain value");
	/* !!str would make a number field's value a string: the loaders read the text. */
	EXPECT_ERR("n: !!str 12\n",
		   "t.yaml:1:4: tags (!!str) are not supported: write the plain value");
	EXPECT_ERR("hooks_dir: !!null\n",
		   "t.yaml:1:12: tags (!!null) are not supported: write the plain value");
	EXPECT_ERR("a: ! x\n", "t.yaml:1:4: tags (!) are not supported: write the plain value");
	EXPECT_ERR("s: !!seq [1]\n",
		   "t.yaml:1:4: tags (!!seq) are not supported: write the plain value");
	EXPECT_ERR("!!map\na: 1\n",
		   "t.yaml:1:1: tags (!!map) are not supported: write the plain value");
	EXPECT_ERR("%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n",
		   "t.yaml:3:4: tags (tag:example.com,2000:x) are not supported: write the plain "
		   "value");
	/* Plain and quoted scalars carry no explicit tag. */
	yd_doc_free(load("a: 'x'\nb: \"1\"\nc: 1\n"));
}

/* n collections nested in flow style, then closed when close is set. */
static char *nested(size_t n, bool close)
{
	char *s = malloc(2 * n + 1);

	assert_non_null(s);
	memset(s, '[', n);
	if (close)
		memset(s + n, ']', n);
	s[close ? 2 * n : n] = '\0';
	return s;
}

static void test_depth(void **state)
{
	(void)state;
	char err[256], want[128];
	char *s = nested(YD_MAX_DEPTH, true);
	struct yd_doc *doc = load(s);

	free(s);
	yd_doc_free(doc);
	s = nested(YD_MAX_DEPTH + 1, true);
	snprintf(want, sizeof(want), "t.yaml:1:%d: nested deeper than 64 levels", YD_MAX_DEPTH + 1);
	expect_err(s, strlen(s), -EINVAL, want);
	free(s);
	/* Block style counts the same. */
	{
		char block[8192] = "";
		size_t pos = 0;

		for (int i = 0; i <= YD_MAX_DEPTH; i++)
			pos += (size_t)snprintf(block + pos, sizeof(block) - pos, "%*sk%d:\n", i, "", i);
		snprintf(block + pos, sizeof(block) - pos, "%*sleaf\n", YD_MAX_DEPTH + 1, "");
		snprintf(want, sizeof(want), "t.yaml:%d:%d: nested deeper than 64 levels",
			 YD_MAX_DEPTH + 1, YD_MAX_DEPTH + 1);
		expect_err(block, strlen(block), -EINVAL, want);
	}
	/* A million deep (issue 18): refused at level 65, not after reading it all. */
	s = nested(1000000, false);
	assert_int_equal(yd_doc_load_string("t.yaml", s, strlen(s), &doc, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "t.yaml:1:65: nested deeper than 64 levels");
	free(s);
	s = nested(1000000, true);
	assert_int_equal(yd_doc_load_string("t.yaml", s, strlen(s), &doc, err, sizeof(err)),
			 -EFBIG);
	free(s);
}

static void test_scalar_limits(void **state)
{
	(void)state;
	char *s = malloc(YD_MAX_SCALAR + 16);
	struct yd_doc *doc;

	assert_non_null(s);
	memcpy(s, "a: ", 3);
	memset(s + 3, 'x', YD_MAX_SCALAR);
	strcpy(s + 3 + YD_MAX_SCALAR, "\n");
	doc = load(s);
	assert_int_equal(strlen(yd_scalar(yd_map_get(yd_root(doc), "a"))), YD_MAX_SCALAR);
	yd_doc_free(doc);
	memset(s + 3, 'x', YD_MAX_SCALAR + 1);
	strcpy(s + 4 + YD_MAX_SCALAR, "\n");
	expect_err(s, strlen(s), -EINVAL, "t.yaml:1:4: a: scalar of 4097 bytes: at most 4096");
	free(s);
	/* The node count: YD_MAX_NODES in all loads, one more does not. */
	{
		size_t n = YD_MAX_NODES - 1, len = 2 * n + 2;
		char *big = malloc(len + 1), want[64];

		assert_non_null(big);
		big[0] = '[';
		for (size_t i = 0; i < n; i++)
			memcpy(big + 1 + 2 * i, "0,", 2);
		big[len - 1] = ']';
		big[len] = '\0';
		doc = load(big);
		assert_int_equal(yd_seq_len(yd_root(doc)), n);
		yd_doc_free(doc);
		big[len - 1] = '0';
		big[len] = ']';
		big = realloc(big, len + 2);
		assert_non_null(big);
		big[len + 1] = '\0';
		snprintf(want, sizeof(want), "t.yaml:1:%zu: more than 65536 nodes", len);
		expect_err(big, len + 1, -EINVAL, want);
		free(big);
	}
	/* A "\0" escape in a double-quoted scalar. */
	EXPECT_ERR("a: \"x\\0y\"\n", "t.yaml:1:4: a: NUL character inside a scalar");
}

static void test_tabs_refused(void **state)
{
	(void)state;
	EXPECT_ERR("a: 1\nb:\t2\n", "t.yaml:2:3: tab character: indent and separate with spaces");
	EXPECT_ERR("a:\n\tb: 2\n", "t.yaml:2:1: tab character: indent and separate with spaces");
	EXPECT_ERR("a: 1 #\tnote\n",
		   "t.yaml:1:7: tab character: indent and separate with spaces");
	/* Columns count characters, not bytes. */
	EXPECT_ERR("d: \"\xc3\xa9\xc3\xa9\"\t\n",
		   "t.yaml:1:8: tab character: indent and separate with spaces");
	/* "\t" written as an escape is a value, not a tab in the file. */
	yd_doc_free(load("a: \"x\\ty\"\n"));
}

static void test_reader_errors_positioned(void **state)
{
	(void)state;
	/* libyaml reports these by byte offset: they read line:column like the rest. */
	EXPECT_ERR("a: 1\nb: x\xffy\n", "t.yaml:2:5: invalid leading UTF-8 octet (0xff)");
	EXPECT_ERR("a: 1\r\nb: \xc3\xa9\x07\n",
		   "t.yaml:2:5: control characters are not allowed (0x07)");
	EXPECT_ERR("a: 1\nbb: 2\nc: \x1b[2J\n",
		   "t.yaml:3:4: control characters are not allowed (0x1b)");
	EXPECT_ERR("a: 1\nb: 2\0\n", "t.yaml:2:5: NUL byte (not allowed in YAML text)");
	EXPECT_ERR("a: \xe2\x82\n", "t.yaml:1:5: invalid trailing UTF-8 octet (0x0a)");
	EXPECT_ERR("a: 1\nb: \xed\xa0\x80\n", "t.yaml:2:4: invalid Unicode character (0xd800)");
}

static void test_errors_escaped(void **state)
{
	(void)state;
	static const char *const allowed[] = { "a", NULL };
	struct yd_doc *doc = load("a: \"x\\ny\\e[2J\"\n\"k\\r\\u202e\": 1\n");
	uint64_t v;
	char err[256];

	/* An error is one line: input text in it is escaped, never raw. */
	assert_int_equal(yd_map_uint(yd_root(doc), "a", true, 0, 9, &v, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:1:4: a: expected an unsigned integer, got \"x\\ny\\e[2J\"");
	assert_int_equal(yd_check_keys(yd_root(doc), allowed, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:2:1: unknown key \"k\\r\\u202e\" (allowed: a)");
	assert_int_equal(yd_error_cause(yd_root(doc), err, sizeof(err), "b.yaml:1:1: \\n kept",
					"in \"%s\"", "x\ny"),
			 -EINVAL);
	assert_string_equal(err, "t.yaml:1:1: in \"x\\ny\": b.yaml:1:1: \\n kept");
	yd_doc_free(doc);
	{
		struct yd_doc *d = (struct yd_doc *)0x1;

		assert_int_equal(yd_doc_load_string("bad\nname\x1b.yaml", "a: *x\n", 6, &d, err,
						    sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, "bad\\nname\\e.yaml:1:4: aliases (*x) and anchors are not "
					 "supported: write the value out");
		assert_int_equal(yd_doc_load_file("/nonexistent/a\nb", &d, err, sizeof(err)), -ENOENT);
		assert_string_equal(err, "/nonexistent/a\\nb: No such file or directory");
	}
}

static void test_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/yd-XXXXXX", path[64], err[256];
	struct yd_doc *doc = NULL;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/c.yaml", dir);
	assert_int_equal(yd_doc_load_file(path, &doc, err, sizeof(err)), -ENOENT);
	assert_null(doc);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("top:\n  n: x\n", f);
	fclose(f);
	assert_int_equal(yd_doc_load_file(path, &doc, err, sizeof(err)), 0);
	assert_string_equal(yd_doc_name(doc), path);
	{
		uint64_t v;
		char want[128];

		assert_int_equal(yd_map_uint(yd_map_get(yd_root(doc), "top"), "n", true, 0, 9, &v,
					     err, sizeof(err)),
				 -EINVAL);
		snprintf(want, sizeof(want), "%s:2:6: top.n: expected an unsigned integer, got \"x\"",
			 path);
		assert_string_equal(err, want);
	}
	yd_doc_free(doc);
	yd_doc_free(NULL);
	/* A file over YD_MAX_FILE is refused before it is parsed; so is an endless one. */
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i <= YD_MAX_FILE / 8; i++)
		fputs("# 45678\n", f);
	fclose(f);
	assert_int_equal(yd_doc_load_file(path, &doc, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, ": larger than 1048576 bytes: not a config file"));
	assert_int_equal(yd_doc_load_file("/dev/zero", &doc, err, sizeof(err)), -EFBIG);
	/* A million-deep flow collection in a file stops at the depth limit (issue 18). */
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 1000000; i++)
		fputc('[', f);
	fclose(f);
	assert_int_equal(yd_doc_load_file(path, &doc, err, sizeof(err)), -EINVAL);
	{
		char want[128];

		snprintf(want, sizeof(want), "%s:1:65: nested deeper than 64 levels", path);
		assert_string_equal(err, want);
	}
	assert_null(doc);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_typed_access),
		cmocka_unit_test(test_scalar_errors),
		cmocka_unit_test(test_check_keys),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_aliases_refused),
		cmocka_unit_test(test_tags_refused),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_scalar_limits),
		cmocka_unit_test(test_tabs_refused),
		cmocka_unit_test(test_reader_errors_positioned),
		cmocka_unit_test(test_errors_escaped),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
