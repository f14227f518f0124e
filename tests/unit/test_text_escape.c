/* text_escape tests: every class of byte the escaper must neutralise, exact outputs,
 * truncation that never splits an escape, and text that must pass unchanged. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "text_escape.h"

static void check(const char *in, size_t n, const char *want)
{
	char out[256];
	size_t need = fab_escape(out, sizeof(out), in, n);

	assert_string_equal(out, want);
	assert_int_equal(need, strlen(want));
	assert_int_equal(fab_needs_escape(in, n), strcmp(want, in) != 0 || strlen(in) != n);
}

static void test_controls(void **state)
{
	(void)state;
	check("a\x1b[2Jb\rc", 8, "a\\e[2Jb\\rc");
	check("x\ny\tz", 5, "x\\ny\\tz");
	check("\x01\x7f", 2, "\\x01\\x7f");
	check("a\\e", 3, "a\\\\e");
	check("nul\0x", 5, "nul\\x00x");
}

static void test_unicode(void **state)
{
	(void)state;
	check("evil\xe2\x80\xaetxt.exe", 14, "evil\\u202etxt.exe");      /* RLO */
	check("\xc2\x9b" "31m", 5, "\\u009b31m");                         /* C1 CSI */
	check("a\xe2\x80\xa8" "b", 5, "a\\u2028b");                        /* line separator */
	check("caf\xc3\xa9 \xe6\x97\xa5", 9, "caf\xc3\xa9 \xe6\x97\xa5"); /* plain UTF-8 kept */
	check("\xff\xc0\xaf", 3, "\\xff\\xc0\\xaf");                       /* invalid, overlong */
	check("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");                       /* surrogate */
	check("\xe2\x80", 2, "\\xe2\\x80");                                /* truncated */
}

static void test_truncation(void **state)
{
	char out[6];
	size_t need;

	(void)state;
	need = fab_escape(out, sizeof(out), "ab\x1b" "cdef", 7);
	assert_int_equal(need, 8);
	assert_string_equal(out, "ab\\ec");
	need = fab_escape(out, 4, "ab\x1b", 3);
	assert_string_equal(out, "ab"); /* "\e" does not fit whole: left out, not halved */
	assert_int_equal(need, 4);
	assert_int_equal(fab_escape(NULL, 0, "\n", 1), 2);
}

static void test_dup(void **state)
{
	char *s = fab_escape_dup("host\nforged row");

	(void)state;
	assert_non_null(s);
	assert_string_equal(s, "host\\nforged row");
	free(s);
	assert_null(fab_escape_dup(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_unicode),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_dup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
