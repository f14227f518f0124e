/* env_expand tests: ${VAR}, ${VAR:-default} (unset and empty VAR), text around and
 * between references, every error with its message, and the output bound. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "env_expand.h"

static void expect_ok(const char *in, const char *want)
{
	char out[256], err[256] = "";

	if (env_expand(in, out, sizeof(out), err, sizeof(err)))
		fail_msg("\"%s\": %s", in, err);
	assert_string_equal(out, want);
}

static void expect_err(const char *in, size_t outlen, int want_rc, const char *want)
{
	char out[256], err[256] = "";

	assert_true(outlen <= sizeof(out));
	assert_int_equal(env_expand(in, out, outlen, err, sizeof(err)), want_rc);
	assert_string_equal(err, want);
}

static void test_expand(void **state)
{
	(void)state;
	setenv("ENVX_A", "/run/user/7", 1);
	setenv("ENVX_EMPTY", "", 1);
	unsetenv("ENVX_UNSET");
	expect_ok("", "");
	expect_ok("unix:/tmp/x.sock", "unix:/tmp/x.sock");
	expect_ok("${ENVX_A}", "/run/user/7");
	expect_ok("${ENVX_A}/mriov/${ENVX_A}", "/run/user/7/mriov//run/user/7");
	expect_ok("${ENVX_A:-/tmp}/s", "/run/user/7/s");
	expect_ok("${ENVX_UNSET:-/tmp}/s", "/tmp/s");
	expect_ok("${ENVX_EMPTY:-/d}/s", "/d/s");   /* empty counts as unset */
	expect_ok("${ENVX_UNSET:-}x", "x");         /* an empty default is a value */
	expect_ok("$ENVX_A $ {ENVX_A} $", "$ENVX_A $ {ENVX_A} $"); /* only ${ starts one */
	expect_ok("${ENVX_UNSET:-a:-b}", "a:-b");   /* the first ":-" splits */
}

static void test_errors(void **state)
{
	char name[200], out[16], err[64];

	(void)state;
	unsetenv("ENVX_UNSET");
	setenv("ENVX_EMPTY", "", 1);
	setenv("ENVX_A", "/run/user/7", 1);
	expect_err("${ENVX_UNSET}/x", 256, -EINVAL, "environment variable ENVX_UNSET is not set");
	expect_err("${ENVX_EMPTY}", 256, -EINVAL, "environment variable ENVX_EMPTY is not set");
	expect_err("a/${ENVX_A", 256, -EINVAL, "unterminated \"${\" in \"${ENVX_A\"");
	expect_err("${}", 256, -EINVAL, "bad variable name in \"${}\"");
	expect_err("${:-x}", 256, -EINVAL, "bad variable name in \"${:-x}\"");
	memset(name, 'V', sizeof(name));
	memcpy(name, "${", 2);
	memcpy(name + 130, "}", 2);
	expect_err(name, 256, -EINVAL, "bad variable name in \"${VVVVVVVVVVVVVVVVVVVVVVVVVVVV"
				       "VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVV"
				       "VVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVVV}\"");
	/* the bound: outlen - 1 characters fit, one more does not */
	expect_ok("${ENVX_A}", "/run/user/7");
	assert_int_equal(env_expand("${ENVX_A}", out, 12, err, sizeof(err)), 0);
	assert_string_equal(out, "/run/user/7");
	expect_err("${ENVX_A}", 11, -ENAMETOOLONG, "longer than 10 bytes once expanded");
	expect_err("0123456789a", 11, -ENAMETOOLONG, "longer than 10 bytes once expanded");
	assert_int_equal(env_expand("0123456789", out, 11, err, sizeof(err)), 0);
	assert_string_equal(out, "0123456789");
	assert_int_equal(env_expand("", out, 0, err, sizeof(err)), -ENAMETOOLONG);
	/* no error buffer: still the code */
	assert_int_equal(env_expand("${ENVX_UNSET}", out, sizeof(out), NULL, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
