/* apply tests: a real fm_daemon (store, inventory, switch link, engine) with a fake switch
 * (fake_switch.c) running apply.c — a file applied, re-applied without a request to the
 * switch, refused as a whole when one binding is impossible, and rolled back in reverse when
 * the switch fails a step mid-way. The loop runs until a condition holds, under a watchdog. */
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "apply.h"
#include "daemon.h"
#include "engine.h"
#include "fake_switch.h"

#define WATCHDOG_MS 5000

struct env {
	uv_loop_t loop;
	char dir[64];
	char db[160];
	struct fake_switch *fs;
	struct fm_fabric_config *cfg;
	struct fm_daemon d;
	bool inited, stopped;
	uv_timer_t watchdog;
	bool timed_out;
	uv_prepare_t check;   /* runs after the daemon's group commit: see run_until */
	bool (*pred)(struct env *t, void *arg);
	void *pred_arg;
	/* the answer: in the env, not on a test's stack, because a callback of an apply
	 * still running when a test fails arrives during teardown */
	struct result {
		bool done, ok;
		enum fm_rpc_code code;
		char msg[1024];
		struct json_object *obj;
	} res[2];
};

/* ---- harness ------------------------------------------------------------------------------ */

static void on_watchdog(uv_timer_t *t)
{
	struct env *t_env = t->data;

	t_env->timed_out = true;
}

typedef bool (*pred_fn)(struct env *t, void *arg);

/* The condition may come true in the daemon's commit callbacks (its uv_prepare), just
 * before the loop would block in poll: this prepare handle, started before the daemon's
 * (libuv runs the latest started first), looks then and stops the loop instead. */
static void on_check(uv_prepare_t *h)
{
	struct env *t = h->data;

	if (t->pred && t->pred(t, t->pred_arg))
		uv_stop(&t->loop);
}

/* Runs the loop until pred holds; false when the watchdog fired first. */
static bool run_until(struct env *t, pred_fn pred, void *arg)
{
	t->timed_out = false;
	t->pred = pred;
	t->pred_arg = arg;
	uv_timer_start(&t->watchdog, on_watchdog, WATCHDOG_MS, 0);
	while (!pred(t, arg) && !t->timed_out)
		uv_run(&t->loop, UV_RUN_ONCE);
	uv_timer_stop(&t->watchdog);
	t->pred = NULL;
	return pred(t, arg);
}

static struct fm_chassis *rack1(struct env *t)
{
	return fm_inv_chassis_at(t->d.inv, 0);
}

static struct fm_switch *link1(struct env *t)
{
	return t->d.n_links ? t->d.links[0] : NULL;
}

/* Discovered, reconciled, no operation running, nothing left to commit. */
static bool idle(struct env *t, void *arg)
{
	(void)arg;
	return rack1(t)->discovered && link1(t) && fm_switch_state(link1(t)) == FM_SWITCH_READY &&
	       fm_engine_ops(t->d.engine) == 0 && fm_store_pending(t->d.store) == 0;
}

static bool result_done(struct env *t, void *arg)
{
	(void)t;
	return ((struct result *)arg)->done;
}

static void on_done(void *arg, bool ok, enum fm_rpc_code code, const char *message,
		    struct json_object *obj)
{
	struct result *r = arg;

	assert_false(r->done); /* exactly once */
	r->done = true;
	r->ok = ok;
	r->code = code;
	snprintf(r->msg, sizeof(r->msg), "%s", message ? message : "");
	r->obj = obj;
}

static void result_clear(struct result *r)
{
	json_object_put(r->obj);
	memset(r, 0, sizeof(*r));
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct env *t = calloc(1, sizeof(*t));
	char yaml[2048], err[512];

	if (!t)
		return -1;
	strcpy(t->dir, "/tmp/test_apply.XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->db, sizeof(t->db), "%s/state/%s", t->dir, FM_STORE_FILENAME);
	uv_loop_init(&t->loop);
	uv_timer_init(&t->loop, &t->watchdog);
	t->watchdog.data = t;
	uv_prepare_init(&t->loop, &t->check);
	t->check.data = t;
	uv_prepare_start(&t->check, on_check);
	t->fs = fake_switch_new(&t->loop, t->dir);
	if (!t->fs)
		return -1;
	snprintf(yaml, sizeof(yaml),
		 "control:\n"
		 "  socket: %s/ctl.sock\n"
		 "state_dir: %s/state\n"
		 "timeouts:\n"
		 "  managed_unbind_ms: 300\n"
		 "  switch_request_ms: 2000\n"
		 "  reconnect_min_ms: 10\n"
		 "  reconnect_max_ms: 40\n"
		 "reconcile:\n"
		 "  unexpected_bindings: auto\n"
		 "chassis:\n"
		 "  - name: rack1\n"
		 "    endpoint: %s\n",
		 t->dir, t->dir, fake_switch_endpoint(t->fs));
	if (fm_fabric_config_load_string("fabric.yaml", yaml, strlen(yaml), t->dir, &t->cfg, err,
					 sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*state = t;
	return 0;
}

/* Starts the daemon without waiting for discovery. */
static void start_nowait(struct env *t)
{
	char err[512];
	const char *lvl = getenv("FM_TEST_LOG");

	memset(&t->d, 0, sizeof(t->d));
	t->d.log_level = lvl ? atoi(lvl) : -1;
	t->inited = true;
	assert_int_equal(fm_daemon_init(&t->d, &t->loop, t->cfg, "fabric.yaml", err, sizeof(err)), 0);
	fm_daemon_start(&t->d);
}

/* Builds and starts the daemon, and waits for the first discovery + reconciliation. */
static void start(struct env *t)
{
	start_nowait(t);
	assert_true(run_until(t, idle, NULL));
}

static int teardown(void **state)
{
	struct env *t = *state;

	if (t->inited && !t->stopped) {
		t->stopped = true;
		fm_daemon_stop(&t->d);
	}
	fake_switch_free(t->fs);
	uv_close((uv_handle_t *)&t->watchdog, NULL);
	uv_close((uv_handle_t *)&t->check, NULL);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	if (t->inited && t->d.engine)
		fm_daemon_fini(&t->d);
	result_clear(&t->res[0]);
	result_clear(&t->res[1]);
	assert_int_equal(uv_loop_close(&t->loop), 0);
	fm_fabric_config_free(t->cfg);
	nftw(t->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

/* ---- apply ---------------------------------------------------------------------------- */

static struct result *apply(struct env *t, const char *text, bool dry, bool prune)
{
	struct fm_store_audit who = { .uid = 0, .gid = 0, .pid = 1 };
	struct fm_apply_req req = { "b.yaml", text, strlen(text), dry, prune, &who };
	struct result *r = &t->res[0];

	result_clear(r);
	fm_apply_run(&t->d, &req, on_done, r);
	assert_true(run_until(t, result_done, r));
	assert_true(run_until(t, idle, NULL));
	return r;
}

static void assert_ok(const struct result *r)
{
	if (!r->ok)
		fail_msg("expected success, got %s: %s", fm_rpc_code_name(r->code), r->msg);
	assert_non_null(r->obj);
}

/* The step of the answer (or of the error data) for function. */
static struct json_object *step_of(const struct result *r, const char *function)
{
	struct json_object *plan, *s, *f;

	if (!json_object_object_get_ex(r->obj, "plan", &plan))
		fail_msg("no plan in %s", json_object_to_json_string(r->obj));
	for (size_t i = 0; i < json_object_array_length(plan); i++) {
		s = json_object_array_get_idx(plan, i);
		if (json_object_object_get_ex(s, "function", &f) &&
		    !strcmp(json_object_get_string(f), function))
			return s;
	}
	fail_msg("no step for %s in %s", function, json_object_to_json_string(r->obj));
	return NULL;
}

static void assert_step(const struct result *r, const char *function, const char *action,
			const char *result)
{
	struct json_object *s = step_of(r, function), *a, *x;

	json_object_object_get_ex(s, "action", &a);
	json_object_object_get_ex(s, "result", &x);
	if (strcmp(json_object_get_string(a), action) || strcmp(json_object_get_string(x), result))
		fail_msg("%s: %s/%s, want %s/%s", function, json_object_get_string(a),
			 json_object_get_string(x), action, result);
}

static uint8_t sw_port(struct env *t, uint16_t slot, uint8_t pf, uint16_t vf)
{
	uint8_t port = 0xff;

	if (fake_switch_state(t->fs, slot, pf, vf, &port, NULL) == FMP_BIND_UNBOUND)
		return 0xff;
	return port;
}

#define FILE1 "bindings:\n" \
	      "  web1:\n    - nic0/pf1/vf0\n    - raid0\n" \
	      "  web2:\n    - {card: nic0, count: 2}\n"

static void test_apply_then_reapply_sends_nothing(void **state)
{
	struct env *t = *state;
	struct result *r;

	start(t);
	r = apply(t, FILE1, true, false);
	assert_ok(r);
	assert_step(r, "raid0", "assign", "planned");
	assert_int_equal(fake_switch_bound_count(t->fs), 0);

	r = apply(t, FILE1, false, false);
	assert_ok(r);
	assert_step(r, "nic0/pf1/vf0", "assign", "done");
	assert_step(r, "raid0", "assign", "done");
	assert_step(r, "nic0/pf1/vf1", "assign", "done"); /* enabled and free: first */
	assert_step(r, "nic0/pf0/vf0", "assign", "done"); /* then the lowest disabled one */
	assert_int_equal(fake_switch_bound_count(t->fs), 4);
	assert_int_equal(sw_port(t, 2, 0, FMP_VF_NONE), 0);
	assert_int_equal(sw_port(t, 1, 0, 0), 1);

	fake_switch_reset_counts(t->fs);
	r = apply(t, FILE1, false, true);
	assert_ok(r);
	assert_step(r, "nic0/pf1/vf1", "unchanged", "unchanged");
	assert_step(r, "nic0/pf0/vf0", "unchanged", "unchanged");
	for (uint16_t op = 0; op < FAKE_OPCODES; op++)
		if (op != FMP_OP_PING && fake_switch_count(t->fs, op))
			fail_msg("a re-apply sent opcode 0x%x", op);
}

static void test_one_impossible_binding_changes_nothing(void **state)
{
	struct env *t = *state;
	struct result *r;

	start(t);
	fake_switch_reset_counts(t->fs);
	r = apply(t, FILE1 "    - nic0/pf1/vf42\n", false, false);
	assert_false(r->ok);
	assert_int_equal(r->code, FM_RPC_E_NO_SUCH_FUNCTION);
	assert_string_equal(r->msg, "b.yaml:7:7: bindings.web2[1]: no function nic0/pf1/vf42");
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 0);
	assert_null(fm_engine_intents(t->d.engine));
	/* a file that does not load: its error as the loader wrote it */
	r = apply(t, "bindings:\n  web1:\n    - {card: nic0, count: 0}\n", false, false);
	assert_false(r->ok);
	assert_int_equal(r->code, FM_RPC_E_BAD_REQUEST);
	assert_string_equal(r->msg, "b.yaml:3:27: bindings.web1[0].count: value 0 out of range 1..4096");
}

/* The switch refuses a bind mid-way: the prune and the move's unbind done before it are
 * undone in reverse, and each step says what became of it. */
static void test_failed_step_rolls_back(void **state)
{
	struct env *t = *state;
	struct result *r;

	start(t);
	assert_ok(apply(t, "bindings:\n  web1:\n    - mr0/pf0\n    - nic0/pf1/vf1\n", false, false));
	assert_int_equal(sw_port(t, 3, 0, FMP_VF_NONE), 0);
	/* mr0/pf0 moves to web2, nic0/pf1/vf1 is pruned, nic0/pf1/vf0 is new and fails */
	fake_switch_inject(t->fs, FMP_OP_BIND, FMP_E_INTERNAL);
	r = apply(t, "bindings:\n  web2:\n    - nic0/pf1/vf0\n    - mr0/pf0\n", false, true);
	assert_false(r->ok);
	assert_int_equal(r->code, FM_RPC_E_SWITCH_ERROR);
	if (!strstr(r->msg, "b.yaml:3:7: bindings.web2[0]: assign failed, nic0/pf1/vf0: ") ||
	    !strstr(r->msg, "; the steps done before are undone"))
		fail_msg("message: %s", r->msg);
	assert_step(r, "nic0/pf1/vf0", "assign", "failed");
	assert_step(r, "mr0/pf0", "move", "undone");
	assert_step(r, "nic0/pf1/vf1", "unassign", "undone");
	/* the switch and the intents are as before */
	assert_int_equal(sw_port(t, 3, 0, FMP_VF_NONE), 0);
	assert_int_equal(sw_port(t, 1, 1, 1), 0);
	assert_int_equal(sw_port(t, 1, 1, 0), 0xff);
	assert_int_equal(fake_switch_bound_count(t->fs), 2);
	{
		unsigned n = 0;

		for (const struct fm_intent *in = fm_engine_intents(t->d.engine); in; in = in->next) {
			assert_string_equal(in->host, "web1");
			n++;
		}
		assert_int_equal(n, 2);
	}
	/* and the same file without the fault goes through */
	r = apply(t, "bindings:\n  web2:\n    - nic0/pf1/vf0\n    - mr0/pf0\n", false, true);
	assert_ok(r);
	assert_step(r, "mr0/pf0", "move", "done");
	assert_int_equal(sw_port(t, 3, 0, FMP_VF_NONE), 1);
	assert_int_equal(fake_switch_bound_count(t->fs), 2);
}

static void test_export_applies_unchanged(void **state)
{
	struct env *t = *state;
	struct json_object *ex, *content;
	struct result *r;

	start(t);
	assert_ok(apply(t, FILE1, false, false));
	ex = fm_apply_export(&t->d);
	assert_non_null(ex);
	assert_true(json_object_object_get_ex(ex, "content", &content));
	r = apply(t, json_object_get_string(content), false, true);
	assert_ok(r);
	{
		struct json_object *sum, *n;

		json_object_object_get_ex(r->obj, "summary", &sum);
		json_object_object_get_ex(sum, "unchanged", &n);
		assert_int_equal(json_object_get_int(n), 4);
		json_object_object_get_ex(sum, "assign", &n);
		assert_int_equal(json_object_get_int(n), 0);
	}
	json_object_put(ex);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_apply_then_reapply_sends_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_impossible_binding_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_step_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_applies_unchanged, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
