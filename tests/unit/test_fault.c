/* fault tests: the same seed gives the same fates; rates are respected within statistics;
 * rate parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <cmocka.h>

#include "fault.h"

static void test_deterministic(void **state)
{
	struct sim_fault_cfg cfg = {.seed = 42, .drop = 0.1, .error = 0.2, .delay_ms = 50};
	struct sim_fault a, b, c;
	int differ = 0;

	(void)state;
	sim_fault_init(&a, &cfg);
	sim_fault_init(&b, &cfg);
	cfg.seed = 43;
	sim_fault_init(&c, &cfg);
	for (int i = 0; i < 1000; i++) {
		uint32_t da, db, dc;
		enum sim_fault_action x = sim_fault_next(&a, &da), y = sim_fault_next(&b, &db);
		enum sim_fault_action z = sim_fault_next(&c, &dc);

		assert_int_equal(x, y);
		assert_int_equal(da, db);
		assert_true(da <= 50);
		differ += x != z || da != dc;
	}
	assert_true(differ > 100);
}

static void test_rates(void **state)
{
	struct sim_fault_cfg cfg = {.seed = 7, .drop = 0.25, .error = 0.5};
	struct sim_fault f;
	uint32_t d;

	(void)state;
	sim_fault_init(&f, &cfg);
	assert_true(sim_fault_enabled(&f));
	for (int i = 0; i < 20000; i++)
		sim_fault_next(&f, &d);
	/* drop 25%; error is 50% of the 75% not dropped */
	assert_true(f.drops > 4500 && f.drops < 5500);
	assert_true(f.errors > 7000 && f.errors < 8000);
	assert_int_equal(f.delays, 0);
	cfg = (struct sim_fault_cfg){0};
	sim_fault_init(&f, &cfg);
	assert_false(sim_fault_enabled(&f));
	assert_int_equal(sim_fault_next(&f, &d), SIM_FAULT_NONE);
}

static void test_parse_rate(void **state)
{
	double v;

	(void)state;
	assert_int_equal(sim_fault_parse_rate("0.05", &v), 0);
	assert_true(v > 0.049 && v < 0.051);
	assert_int_equal(sim_fault_parse_rate("5%", &v), 0);
	assert_true(v > 0.049 && v < 0.051);
	assert_int_equal(sim_fault_parse_rate("1", &v), 0);
	assert_int_equal(sim_fault_parse_rate("1.5", &v), -EINVAL);
	assert_int_equal(sim_fault_parse_rate("-0.1", &v), -EINVAL);
	assert_int_equal(sim_fault_parse_rate("x", &v), -EINVAL);
	assert_int_equal(sim_fault_parse_rate("0.1x", &v), -EINVAL);
	assert_int_equal(sim_fault_parse_rate("nan", &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_parse_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
