/* qos tests: the fluid model against hand-computed max-min allocations with floors and
 * caps (each case's arithmetic is in its comment). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "qos.h"

#define NOCAP 0.0

static struct sim_qos_flow flow1(double offered, double min, double max, uint32_t link)
{
	struct sim_qos_flow f = { .offered_gbps = offered, .min_gbps = min, .max_gbps = max,
				  .n_links = 1, .links = { link } };
	return f;
}

static void assert_gbps(const struct sim_qos_flow *f, double want)
{
	if (fabs(f->achieved_gbps - want) > 1e-6)
		fail_msg("achieved %.9f, want %.9f", f->achieved_gbps, want);
}

static void solve(const double *links, size_t n_links, struct sim_qos_flow *f, size_t n)
{
	char err[128] = "";

	if (sim_qos_solve(links, n_links, f, n, err, sizeof(err)) != 0)
		fail_msg("solve: %s", err);
}

/* No floors: fair share 10 / 3 each. */
static void test_fair_share(void **state)
{
	double link[] = { 10 };
	struct sim_qos_flow f[] = { flow1(10, 0, NOCAP, 0), flow1(10, 0, NOCAP, 0),
				    flow1(10, 0, NOCAP, 0) };

	(void)state;
	solve(link, 1, f, 3);
	for (int i = 0; i < 3; i++) {
		assert_gbps(&f[i], 10.0 / 3.0);
		assert_true(f[i].floor_held);
	}
}

/* A floor 4 above the fair share 3.33: A = 4, B and C share 10 - 4 = 6: 3 each. */
static void test_floor_under_contention(void **state)
{
	double link[] = { 10 };
	struct sim_qos_flow f[] = { flow1(10, 4, NOCAP, 0), flow1(10, 0, NOCAP, 0),
				    flow1(10, 0, NOCAP, 0) };

	(void)state;
	solve(link, 1, f, 3);
	assert_gbps(&f[0], 4);
	assert_gbps(&f[1], 3);
	assert_gbps(&f[2], 3);
	assert_true(f[0].floor_held);
}

/* Floors 6 and 3 against a flood: A 6, B 3, the flood C gets the last 1. */
static void test_two_floors_and_flood(void **state)
{
	double link[] = { 10 };
	struct sim_qos_flow f[] = { flow1(10, 6, NOCAP, 0), flow1(10, 3, NOCAP, 0),
				    flow1(100, 0, NOCAP, 0) };

	(void)state;
	solve(link, 1, f, 3);
	assert_gbps(&f[0], 6);
	assert_gbps(&f[1], 3);
	assert_gbps(&f[2], 1);
	assert_true(f[0].floor_held && f[1].floor_held && f[2].floor_held);
}

/* A floor below the fair share is a lower bound, not an extra: 1 and 0 -> 5 and 5. */
static void test_floor_below_share(void **state)
{
	double link[] = { 10 };
	struct sim_qos_flow f[] = { flow1(10, 1, NOCAP, 0), flow1(10, 0, NOCAP, 0) };

	(void)state;
	solve(link, 1, f, 2);
	assert_gbps(&f[0], 5);
	assert_gbps(&f[1], 5);
}

/* Cap 2 on A: A 2, B takes the leftover 8 although its fair share was 5. */
static void test_cap_enforced(void **state)
{
	double link[] = { 10 };
	struct sim_qos_flow f[] = { flow1(10, 0, 2, 0), flow1(10, 0, NOCAP, 0),
				    flow1(1, 0, 0.5, 0) };

	(void)state;
	solve(link, 1, f, 3);
	assert_gbps(&f[0], 2);
	assert_gbps(&f[1], 7.5);
	assert_gbps(&f[2], 0.5); /* capped below what it offers */
}

/* Cap on an uncontended link: a lone flow offering 40 over 63 Gb/s gets its cap 10. */
static void test_cap_alone(void **state)
{
	double link[] = { 63.0 };
	struct sim_qos_flow f[] = { flow1(40, 2, 10, 0) };

	(void)state;
	solve(link, 1, f, 1);
	assert_gbps(&f[0], 10);
}

/* A offers 1 under its floor 4: it gets 1 (floor held), B and C share 9: 4.5 each. */
static void test_offered_below_floor(void **state)
{
	double link[] = { 10 };
	struct sim_qos_flow f[] = { flow1(1, 4, NOCAP, 0), flow1(10, 0, NOCAP, 0),
				    flow1(10, 0, NOCAP, 0) };

	(void)state;
	solve(link, 1, f, 3);
	assert_gbps(&f[0], 1);
	assert_gbps(&f[1], 4.5);
	assert_gbps(&f[2], 4.5);
	assert_true(f[0].floor_held);
}

/* Leftover after the floors and a satisfied flow is shared max-min:
 * link 12; A floor 2 offers 3; B offers 1; C, D offer 10. Level: B freezes at 1; A's
 * floor 2 is exceeded at level 3 where A freezes (offered 3); C, D: (12 - 3 - 1) / 2 = 4. */
static void test_leftover_shared(void **state)
{
	double link[] = { 12 };
	struct sim_qos_flow f[] = { flow1(3, 2, NOCAP, 0), flow1(1, 0, NOCAP, 0),
				    flow1(10, 0, NOCAP, 0), flow1(10, 0, NOCAP, 0) };

	(void)state;
	solve(link, 1, f, 4);
	assert_gbps(&f[0], 3);
	assert_gbps(&f[1], 1);
	assert_gbps(&f[2], 4);
	assert_gbps(&f[3], 4);
}

/* Two links: host port L0 = 10, card link L1 = 4. A on L0 only, B on L0 and L1, C on
 * L1 only, all offering 10. L1 fills at level 2 (B = C = 2), then A rises to 10 - 2 = 8.
 * With a floor 3 on B: B 3, C the rest of L1: 1, A 10 - 3 = 7. */
static void test_multi_link(void **state)
{
	double link[] = { 10, 4 };
	struct sim_qos_flow f[] = {
		flow1(10, 0, NOCAP, 0),
		{ .offered_gbps = 10, .n_links = 2, .links = { 0, 1 } },
		flow1(10, 0, NOCAP, 1),
	};

	(void)state;
	solve(link, 2, f, 3);
	assert_gbps(&f[0], 8);
	assert_gbps(&f[1], 2);
	assert_gbps(&f[2], 2);

	f[1].min_gbps = 3;
	solve(link, 2, f, 3);
	assert_gbps(&f[0], 7);
	assert_gbps(&f[1], 3);
	assert_gbps(&f[2], 1);
	assert_true(f[1].floor_held);
}

/* Floors that do not fit (8 + 8 on 10) are shared max-min: 5 each, floor not held. */
static void test_floors_overcommitted(void **state)
{
	double link[] = { 10 };
	struct sim_qos_flow f[] = { flow1(10, 8, NOCAP, 0), flow1(10, 8, NOCAP, 0),
				    flow1(10, 0, NOCAP, 0) };

	(void)state;
	solve(link, 1, f, 3);
	assert_gbps(&f[0], 5);
	assert_gbps(&f[1], 5);
	assert_gbps(&f[2], 0);
	assert_false(f[0].floor_held);
	assert_false(f[1].floor_held);
	assert_true(f[2].floor_held);
}

/* No flows, a dead link, a flow with no links (bounded by what it offers). */
static void test_degenerate(void **state)
{
	double link[] = { 0 };
	struct sim_qos_flow f[] = { flow1(5, 1, NOCAP, 0), { .offered_gbps = 7 } };

	(void)state;
	solve(link, 1, NULL, 0);
	solve(link, 1, f, 2);
	assert_gbps(&f[0], 0);
	assert_false(f[0].floor_held);
	assert_gbps(&f[1], 7);
}

static void test_bad_input(void **state)
{
	double link[] = { 10 }, bad_link[] = { -1 };
	struct sim_qos_flow f = flow1(10, 0, NOCAP, 0);
	char err[128];

	(void)state;
	f.min_gbps = NAN;
	assert_int_equal(sim_qos_solve(link, 1, &f, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "flow 0: min_gbps"));
	f.min_gbps = 0;
	f.offered_gbps = -1;
	assert_int_equal(sim_qos_solve(link, 1, &f, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "offered_gbps"));
	f.offered_gbps = 1;
	f.max_gbps = INFINITY;
	assert_int_equal(sim_qos_solve(link, 1, &f, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "max_gbps"));
	f.max_gbps = 0;
	f.links[0] = 1;
	assert_int_equal(sim_qos_solve(link, 1, &f, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "links[0]"));
	f.links[0] = 0;
	f.n_links = SIM_QOS_PATH_MAX + 1;
	assert_int_equal(sim_qos_solve(link, 1, &f, 1, err, sizeof(err)), -EINVAL);
	f.n_links = 1;
	assert_int_equal(sim_qos_solve(bad_link, 1, &f, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "link 0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fair_share),
		cmocka_unit_test(test_floor_under_contention),
		cmocka_unit_test(test_two_floors_and_flood),
		cmocka_unit_test(test_floor_below_share),
		cmocka_unit_test(test_cap_enforced),
		cmocka_unit_test(test_cap_alone),
		cmocka_unit_test(test_offered_below_floor),
		cmocka_unit_test(test_leftover_shared),
		cmocka_unit_test(test_multi_link),
		cmocka_unit_test(test_floors_overcommitted),
		cmocka_unit_test(test_degenerate),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
