/* Unit tests for common/yaml_doc: typed access and FILE:LINE:COLUMN error messages. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
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
				  "    neg: -1\n");
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
	assert_string_equal(err, "t.yaml:5:3: b: duplicate key \"x\" (first at line 3)");
	assert_int_equal(load_err("a: 1\nb: 2\na: 3\n", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "t.yaml:3:1: duplicate key \"a\" (first at line 1)");
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

static void test_aliases_and_cycles(void **state)
{
	(void)state;
	struct yd_doc *doc = load("base: &b {x: 1}\nother: *b\nself: &s [*s]\n");
	const struct yd_node *o = yd_map_get(yd_root(doc), "other");
	char path[64];

	assert_int_equal(yd_kind(o), YD_MAPPING);
	/* A shared node reports the path it was first reached by. */
	yd_path(yd_map_get(o, "x"), path, sizeof(path));
	assert_string_equal(path, "base.x");
	yd_path(yd_seq_at(yd_map_get(yd_root(doc), "self"), 0), path, sizeof(path));
	assert_string_equal(path, "self");
	yd_doc_free(doc);
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
		cmocka_unit_test(test_aliases_and_cycles),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
