/* Unit tests for switch-sim/hotplug: the managed-removal handshake timer — released after
 * the host's response time, timeout, default timeout, cancel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <uv.h>

#include "hotplug.h"

struct probe {
	uv_loop_t *loop;
	int done, closed;
	enum sim_hotplug_result result;
	uint64_t done_at;
};

static void on_done(void *arg, enum sim_hotplug_result r)
{
	struct probe *p = arg;

	p->done++;
	p->result = r;
	p->done_at = uv_now(p->loop);
}

static void on_closed(void *arg)
{
	struct probe *p = arg;

	assert_true(p->done <= 1);
	p->closed++;
}

static int setup(void **state)
{
	uv_loop_t *loop = calloc(1, sizeof(*loop));

	if (!loop || uv_loop_init(loop))
		return -1;
	*state = loop;
	return 0;
}

static int teardown(void **state)
{
	uv_loop_t *loop = *state;

	uv_run(loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(loop), 0);
	free(loop);
	return 0;
}

static void run_one(uv_loop_t *loop, bool responds, uint32_t response_ms, uint32_t timeout_ms,
		    enum sim_hotplug_result want, uint64_t min_ms)
{
	struct sim_hotplug_host host = { .responds = responds, .response_ms = response_ms };
	struct probe p = { .loop = loop };
	struct sim_hotplug *h;
	uint64_t t0;

	uv_update_time(loop);
	t0 = uv_now(loop);
	assert_int_equal(sim_hotplug_start(loop, &host, timeout_ms, on_done, on_closed, &p, &h), 0);
	assert_true(sim_hotplug_due(h) >= t0 + min_ms);
	uv_run(loop, UV_RUN_DEFAULT);
	assert_int_equal(p.done, 1);
	assert_int_equal(p.closed, 1);
	assert_int_equal(p.result, want);
	assert_true(p.done_at - t0 >= min_ms);
}

static void test_released(void **state)
{
	run_one(*state, true, 30, 1000, SIM_HOTPLUG_RELEASED, 30);
	run_one(*state, true, 0, 1000, SIM_HOTPLUG_RELEASED, 0);
	run_one(*state, true, 25, 25, SIM_HOTPLUG_RELEASED, 25);
}

static void test_timeout(void **state)
{
	run_one(*state, false, 0, 30, SIM_HOTPLUG_TIMEOUT, 30);
	run_one(*state, true, 500, 20, SIM_HOTPLUG_TIMEOUT, 20);
}

static void test_default_timeout_and_cancel(void **state)
{
	uv_loop_t *loop = *state;
	struct sim_hotplug_host host = { .responds = false };
	struct probe p = { .loop = loop };
	struct sim_hotplug *h;

	uv_update_time(loop);
	assert_int_equal(sim_hotplug_start(loop, &host, 0, on_done, on_closed, &p, &h), 0);
	assert_int_equal(sim_hotplug_due(h) - uv_now(loop), SIM_HOTPLUG_DEFAULT_TIMEOUT_MS);
	sim_hotplug_cancel(h);
	assert_int_equal(p.closed, 0); /* libuv closes on the next loop turn */
	uv_run(loop, UV_RUN_DEFAULT);
	assert_int_equal(p.done, 0);
	assert_int_equal(p.closed, 1);
	sim_hotplug_cancel(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_released, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_timeout_and_cancel, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
