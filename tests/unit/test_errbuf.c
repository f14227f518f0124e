/* errbuf tests: fab_seterr formats, truncates, and tolerates an absent buffer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "errbuf.h"

static void test_seterr(void **state)
{
	char err[8];

	(void)state;
	fab_seterr(err, sizeof(err), "%s %d", "rc", -22);
	assert_string_equal(err, "rc -22");
	fab_seterr(err, sizeof(err), "%s", "longer than eight");
	assert_string_equal(err, "longer ");
	memset(err, 'x', sizeof(err));
	fab_seterr(err, 0, "%s", "nothing");
	assert_int_equal(err[0], 'x');
	fab_seterr(NULL, 16, "%s", "nothing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seterr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
