/* Unit tests for manager/bindings.c: the shipped example, the accepted shapes, one exact
 * FILE:LINE:COLUMN message per class of error, and the writer's round trip. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bindings.h"

static struct fm_bindings *load_ok(const char *text)
{
	struct fm_bindings *b = NULL;
	char err[512];
	int rc = fm_bindings_load_string("b.yaml", text, strlen(text), &b, err, sizeof(err));

	if (rc)
		fail_msg("unexpected error %d: %s\n--- input:\n%s", rc, err, text);
	assert_non_null(b);
	return b;
}

static void expect_err(const char *text, int want_rc, const char *want)
{
	struct fm_bindings *b = (void *)1;
	char err[512] = "";
	int rc = fm_bindings_load_string("b.yaml", text, strlen(text), &b, err, sizeof(err));

	if (rc != want_rc)
		fail_msg("rc %d, want %d (%s)\n--- input:\n%s", rc, want_rc, err, text);
	assert_null(b);
	if (strcmp(err, want))
		fail_msg("message\n  got:  %s\n  want: %s", err, want);
}

static void test_shipped_example(void **state)
{
	struct fm_bindings *b = NULL;
	char err[512];

	(void)state;
	if (fm_bindings_load_file(FABRIC_SOURCE_DIR "/configs/bindings.yaml", &b, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(b->n_hosts, 4);
	assert_string_equal(b->hosts[3], "web4");
	assert_int_equal(b->n, 5);
	assert_string_equal(b->v[0].host, "web1");
	assert_string_equal(b->v[0].function, "nic0/pf0/vf0");
	assert_int_equal(b->v[0].qos.min_mbps, 2500);
	assert_int_equal(b->v[0].qos.max_mbps, 10000);
	assert_null(b->v[1].function);
	assert_string_equal(b->v[1].card, "nvme0");
	assert_int_equal(b->v[1].count, 2);
	assert_int_equal(b->v[2].qos.max_mbps, 0);
	assert_string_equal(b->v[3].function, "fc0");
	assert_int_equal(b->v[4].qos.max_mbps, 5000);
	if (!strstr(b->v[4].where, "bindings.yaml:23:15: bindings.web3[0]"))
		fail_msg("%s", b->v[4].where);
	assert_non_null(strstr(b->v[4].where, "bindings.yaml:23:15: bindings.web3[0]"));
	fm_bindings_free(b);
}

static void test_shapes(void **state)
{
	struct fm_bindings *b;

	(void)state;
	b = load_ok("bindings: {}\n");
	assert_int_equal(b->n, 0);
	fm_bindings_free(b);
	b = load_ok("bindings: []\n");
	assert_int_equal(b->n_hosts, 0);
	fm_bindings_free(b);
	b = load_ok("bindings:\n  rack1:web1:\n    - rack1:nic0/pf0/vf1\n"
		    "    - {function: slot1/pf1, qos: {min_gbps: 0.001, max_gbps: 2048}}\n"
		    "    - {card: nic0, count: 4096, qos: {}}\n");
	assert_string_equal(b->v[0].host, "rack1:web1");
	assert_string_equal(b->v[0].function, "rack1:nic0/pf0/vf1");
	assert_int_equal(b->v[1].qos.min_mbps, 1);
	assert_int_equal(b->v[1].qos.max_mbps, 2048000);
	assert_int_equal(b->v[2].count, 4096);
	assert_string_equal(b->v[2].where, "b.yaml:5:14: bindings.rack1:web1[2]");
	fm_bindings_free(b);
	/* 1_000 is not a decimal: digits only; 10.50 is 10500 */
	b = load_ok("bindings:\n  web1:\n    - {function: a/pf0, qos: {min_gbps: 10.50}}\n");
	assert_int_equal(b->v[0].qos.min_mbps, 10500);
	fm_bindings_free(b);
}

#define H "bindings:\n  web1:\n"

static void test_err_numbers(void **state)
{
	(void)state;
	expect_err(H "    - {function: a/pf0, qos: {min_gbps: -1}}\n", -EINVAL,
		   "b.yaml:3:41: bindings.web1[0].qos.min_gbps: negative value -1: expected 0 or more");
	expect_err(H "    - {function: a/pf0, qos: {max_gbps: .nan}}\n", -EINVAL,
		   "b.yaml:3:41: bindings.web1[0].qos.max_gbps: expected a number like 2.5 (digits, no unit), got \".nan\"");
	expect_err(H "    - {function: a/pf0, qos: {max_gbps: .inf}}\n", -EINVAL,
		   "b.yaml:3:41: bindings.web1[0].qos.max_gbps: expected a number like 2.5 (digits, no unit), got \".inf\"");
	expect_err(H "    - {function: a/pf0, qos: {max_gbps: 10G}}\n", -EINVAL,
		   "b.yaml:3:41: bindings.web1[0].qos.max_gbps: expected a number like 2.5 (digits, no unit), got \"10G\"");
	expect_err(H "    - {function: a/pf0, qos: {max_gbps: \"10\"}}\n", -EINVAL,
		   "b.yaml:3:41: bindings.web1[0].qos.max_gbps: expected a number, got the string \"10\"");
	expect_err(H "    - {function: a/pf0, qos: {max_gbps: 1e3}}\n", -EINVAL,
		   "b.yaml:3:41: bindings.web1[0].qos.max_gbps: expected a number like 2.5 (digits, no unit), got \"1e3\"");
	expect_err(H "    - {function: a/pf0, qos: {max_gbps: 2049}}\n", -ERANGE,
		   "b.yaml:3:41: bindings.web1[0].qos.max_gbps: value 2049 out of range 0+..2048");
	expect_err(H "    - {function: a/pf0, qos: {max_gbps: 99999999999999999999999}}\n", -ERANGE,
		   "b.yaml:3:41: bindings.web1[0].qos.max_gbps: value 99999999999999999999999 out of range 0+..2048");
	expect_err(H "    - {function: a/pf0, qos: {max_gbps: 0}}\n", -ERANGE,
		   "b.yaml:3:41: bindings.web1[0].qos.max_gbps: value 0 out of range 0+..2048");
	expect_err(H "    - {function: a/pf0, qos: {min_gbps: 2.5555}}\n", -EINVAL,
		   "b.yaml:3:41: bindings.web1[0].qos.min_gbps: value 2.5555 has more than 3 decimals");
	expect_err(H "    - {function: a/pf0, qos: {min_gbps: .5}}\n", -EINVAL,
		   "b.yaml:3:41: bindings.web1[0].qos.min_gbps: expected a number like 2.5 (digits, no unit), got \".5\"");
	expect_err(H "    - {function: a/pf0, qos: {min_gbps: ~}}\n", -EINVAL,
		   "b.yaml:3:41: bindings.web1[0].qos.min_gbps: expected a value, got null (leave the key out for the default)");
	expect_err(H "    - {function: a/pf0, qos: {min_gbps: 5, max_gbps: 2}}\n", -EINVAL,
		   "b.yaml:3:41: bindings.web1[0].qos.min_gbps: the floor (5 Gb/s) is above the cap (max_gbps 2 Gb/s)");
	expect_err(H "    - {function: a/pf0, qos: {min: 5}}\n", -EINVAL,
		   "b.yaml:3:31: bindings.web1[0].qos: unknown key \"min\" (allowed: min_gbps, max_gbps)");
	expect_err(H "    - {function: a/pf0, qos: 5}\n", -EINVAL,
		   "b.yaml:3:30: bindings.web1[0].qos: expected a mapping, got \"5\"");
}

static void test_err_counts(void **state)
{
	(void)state;
	expect_err(H "    - {card: nic0, count: 0}\n", -ERANGE,
		   "b.yaml:3:27: bindings.web1[0].count: value 0 out of range 1..4096");
	expect_err(H "    - {card: nic0, count: -2}\n", -EINVAL,
		   "b.yaml:3:27: bindings.web1[0].count: negative count -2: expected 1..4096");
	expect_err(H "    - {card: nic0, count: 4097}\n", -ERANGE,
		   "b.yaml:3:27: bindings.web1[0].count: value 4097 out of range 1..4096");
	expect_err(H "    - {card: nic0, count: 2.5}\n", -EINVAL,
		   "b.yaml:3:27: bindings.web1[0].count: expected an unsigned integer, got \"2.5\"");
	expect_err(H "    - {card: nic0}\n", -EINVAL,
		   "b.yaml:3:7: bindings.web1[0]: card nic0 needs count: N (how many of its VFs)");
	expect_err(H "    - {function: a/pf0, count: 2}\n", -EINVAL,
		   "b.yaml:3:32: bindings.web1[0].count: count goes with card (a function is one binding)");
	expect_err(H "    - {function: a/pf0, card: nic0, count: 2}\n", -EINVAL,
		   "b.yaml:3:7: bindings.web1[0]: give function or card, not both");
	expect_err(H "    - {count: 2}\n", -EINVAL,
		   "b.yaml:3:7: bindings.web1[0]: expected function: NAME or card: NAME with count: N");
}

static void test_err_structure(void **state)
{
	(void)state;
	expect_err("hosts: {}\n", -EINVAL,
		   "b.yaml:1:1: unknown key \"hosts\" (allowed: bindings)");
	expect_err("web1: [a]\n", -EINVAL,
		   "b.yaml:1:1: unknown key \"web1\" (allowed: bindings)");
	expect_err("bindings:\n", -EINVAL,
		   "b.yaml:1:10: bindings: expected a mapping HOST: [functions] (write {} for none)");
	expect_err("bindings: 3\n", -EINVAL,
		   "b.yaml:1:11: bindings: expected a mapping, got \"3\"");
	expect_err(H, -EINVAL,
		   "b.yaml:2:8: bindings.web1: expected a sequence of functions (write [] for none)");
	expect_err(H "    a/pf0\n", -EINVAL,
		   "b.yaml:3:5: bindings.web1: expected a sequence, got \"a/pf0\"");
	expect_err(H "    - [a/pf0]\n", -EINVAL,
		   "b.yaml:3:7: bindings.web1[0]: expected a function name or a mapping {function: F} / {card: C, count: N}, got a sequence");
	expect_err(H "    - a/pf0 vf1\n", -EINVAL,
		   "b.yaml:3:7: bindings.web1[0]: \"a/pf0 vf1\" is not a function name (letters, digits, . _ - / :, at most 159 bytes)");
	expect_err("bindings:\n  web/1: []\n", -EINVAL,
		   "b.yaml:2:3: bindings: \"web/1\" is not a host name (no /)");
	expect_err(H "    - {function: a/pf0, host: web2}\n", -EINVAL,
		   "b.yaml:3:25: bindings.web1[0]: unknown key \"host\" (allowed: function, card, count, qos)");
	expect_err(H "    - \"\"\n", -EINVAL,
		   "b.yaml:3:7: bindings.web1[0]: \"\" is not a function name (letters, digits, . _ - / :, at most 159 bytes)");
}

static void test_err_duplicates_and_yaml(void **state)
{
	(void)state;
	expect_err(H "    - a/pf0\n  web2:\n    - {function: a/pf0}\n", -EINVAL,
		   "b.yaml:5:18: bindings.web2[0].function: a/pf0 is named twice: already for host web1 (b.yaml:3:7: bindings.web1[0])");
	expect_err(H "    - a/pf0\n  web1: []\n", -EINVAL,
		   "b.yaml:4:3: bindings: duplicate key \"web1\" (first at line 2, column 3)");
	expect_err(H "    - !!str a/pf0\n", -EINVAL,
		   "b.yaml:3:7: tags (!!str) are not supported: write the plain value");
	expect_err(H "    - &x a/pf0\n  web2:\n    - *x\n", -EINVAL,
		   "b.yaml:3:7: anchors (&x) and aliases are not supported: write the value out");
	expect_err(H "\t- a\n", -EINVAL, "b.yaml:3:1: tab character: indent and separate with spaces");
}

/* What the writer prints loads back to the same entries, plain or quoted. */
static void test_format_round_trip(void **state)
{
	struct fm_bindings *b = fm_bindings_new("export"), *back;
	struct fm_qos q1 = {2500, 10000}, q2 = {0, 1}, q3 = {1234, 0};
	char *text;

	(void)state;
	assert_int_equal(fm_bindings_add(b, "web1", "nic0/pf0/vf0", NULL, 0, &q1), 0);
	assert_int_equal(fm_bindings_add(b, "web1", NULL, "nvme0", 2, NULL), 0);
	assert_int_equal(fm_bindings_add(b, "null", "fc0", NULL, 0, NULL), 0);
	assert_int_equal(fm_bindings_add(b, "web1", "nic0/pf0/vf3", NULL, 0, &q2), 0);
	assert_int_equal(fm_bindings_add(b, "rack1:web2", "1nic/pf0", NULL, 0, &q3), 0);
	assert_int_equal(fm_bindings_add(b, "web9", NULL, NULL, 0, NULL), 0);
	text = fm_bindings_format(b, "exported\nby a test");
	assert_non_null(text);
	assert_non_null(strstr(text, "# exported\n# by a test\nbindings:\n  web1:\n"
				     "    - function: nic0/pf0/vf0\n      qos: { min_gbps: 2.5, max_gbps: 10 }\n"
				     "    - card: nvme0\n      count: 2\n"
				     "    - function: nic0/pf0/vf3\n      qos: { max_gbps: 0.001 }\n"
				     "  \"null\":\n    - fc0\n"
				     "  rack1:web2:\n    - function: \"1nic/pf0\"\n      qos: { min_gbps: 1.234 }\n"
				     "  web9: []\n"));
	back = load_ok(text);
	assert_int_equal(back->n, 5);
	assert_int_equal(back->n_hosts, 4);
	assert_string_equal(back->hosts[1], "null");
	assert_string_equal(back->v[2].host, "web1"); /* grouped under its host */
	assert_string_equal(back->v[2].function, "nic0/pf0/vf3");
	assert_int_equal(back->v[2].qos.max_mbps, 1);
	assert_string_equal(back->v[4].function, "1nic/pf0");
	assert_int_equal(back->v[4].qos.min_mbps, 1234);
	fm_bindings_free(back);
	free(text);
	fm_bindings_free(b);
	b = fm_bindings_new(NULL);
	text = fm_bindings_format(b, NULL);
	assert_string_equal(text, "bindings: {}\n");
	back = load_ok(text);
	assert_int_equal(back->n, 0);
	fm_bindings_free(back);
	free(text);
	fm_bindings_free(b);
	fm_bindings_free(NULL);
}

static void test_gbps_text(void **state)
{
	char t[32];

	(void)state;
	fm_qos_gbps_text(2500, t, sizeof(t));
	assert_string_equal(t, "2.5");
	fm_qos_gbps_text(2050, t, sizeof(t));
	assert_string_equal(t, "2.05");
	fm_qos_gbps_text(2005, t, sizeof(t));
	assert_string_equal(t, "2.005");
	fm_qos_gbps_text(10000, t, sizeof(t));
	assert_string_equal(t, "10");
	fm_qos_gbps_text(0, t, sizeof(t));
	assert_string_equal(t, "0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_example),
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_err_numbers),
		cmocka_unit_test(test_err_counts),
		cmocka_unit_test(test_err_structure),
		cmocka_unit_test(test_err_duplicates_and_yaml),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_gbps_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
