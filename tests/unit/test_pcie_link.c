/* pcie_link tests: each generation's encoding and the exact capacities admission uses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <fmp/fmp.h>
#include "pcie_link.h"

static void assert_near(double got, double want)
{
	double d = got - want;

	if (d < 0)
		d = -d;
	if (d > 1e-9)
		fail_msg("got %.12f, want %.12f", got, want);
}

static void test_generations(void **state)
{
	(void)state;
	/* 8b/10b at 2.5 and 5 GT/s */
	assert_near(pcie_link_gbps(1, FMP_SPEED_2_5GT), 2.0);
	assert_near(pcie_link_gbps(16, FMP_SPEED_2_5GT), 32.0);
	assert_near(pcie_link_gbps(4, FMP_SPEED_5GT), 16.0);
	assert_string_equal(pcie_link_encoding(FMP_SPEED_2_5GT), "8b/10b");
	assert_string_equal(pcie_link_encoding(FMP_SPEED_5GT), "8b/10b");
	/* 128b/130b from 8 GT/s: x8 Gen3 = 8 * 8 * 128 / 130 = 63.015384615... */
	assert_near(pcie_link_gbps(8, FMP_SPEED_8GT), 8192.0 / 130.0);
	assert_near(pcie_link_gbps(8, FMP_SPEED_8GT), 63.015384615385);
	assert_near(pcie_link_gbps(16, FMP_SPEED_16GT), 252.061538461538);
	assert_near(pcie_link_gbps(4, FMP_SPEED_32GT), 126.030769230769);
	assert_near(pcie_link_gbps(2, FMP_SPEED_64GT), 126.030769230769);
	assert_string_equal(pcie_link_encoding(FMP_SPEED_8GT), "128b/130b");
	assert_string_equal(pcie_link_encoding(FMP_SPEED_64GT), "128b/130b");
	/* the exact double an x8 Gen3 floor sum is compared with */
	assert_true(pcie_link_gbps(8, FMP_SPEED_8GT) == 8.0 * 8.0 * 128.0 / 130.0);
}

static void test_unknown(void **state)
{
	(void)state;
	assert_true(pcie_link_gbps(8, 0) == 0.0);
	assert_true(pcie_link_gbps(8, 7) == 0.0);
	assert_true(pcie_link_gbps(0, FMP_SPEED_8GT) == 0.0);
	assert_null(pcie_link_encoding(0));
	assert_true(pcie_link_lane_gt(9) == 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generations),
		cmocka_unit_test(test_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
