/* engine tests: a real fm_daemon (store, inventory, switch link, engine) on one loop with a
 * fake switch (fake_switch.c) — the assignment rules of DESIGN.md "fabricd", the binding
 * states, rollback, managed/surprise removal and reconciliation after (re)connects. The loop
 * runs until a condition holds; a watchdog timer fails the test instead of hanging. */
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
	/* results of operations: in the env, not on a test's stack, because callbacks of
	 * operations still running when a test fails arrive during teardown */
	struct result {
		bool done, ok;
		enum fm_rpc_code code;
		char msg[512];
		struct json_object *obj;
		/* optional: the store's commits and a second connection's committed audit
		 * records, taken when the answer comes */
		struct fm_store *store, *reader;
		uint64_t commits;
		char audit_result[32], audit_params[256];
		int audit_rows;
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

static bool connected_n(struct env *t, void *arg)
{
	return fm_switch_connects(link1(t)) >= *(unsigned *)arg && idle(t, NULL);
}

static bool result_done(struct env *t, void *arg)
{
	(void)t;
	return ((struct result *)arg)->done;
}

/* Keeps the last audit record seen (in id order: the newest). */
static int audit_last(void *arg, const struct fm_store_audit *a)
{
	struct result *r = arg;

	r->audit_rows++;
	snprintf(r->audit_result, sizeof(r->audit_result), "%s", a->result);
	snprintf(r->audit_params, sizeof(r->audit_params), "%s", a->params ? a->params : "");
	return 0;
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
	if (r->store)
		r->commits = fm_store_commits(r->store);
	if (r->reader) {
		r->audit_rows = 0;
		assert_int_equal(fm_store_audit_list(r->reader, 0, 0, audit_last, r), 0);
	}
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
	strcpy(t->dir, "/tmp/test_engine.XXXXXX");
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

static void stop(struct env *t)
{
	if (!t->inited || t->stopped)
		return;
	t->stopped = true;
	fm_daemon_stop(&t->d);
	/* the daemon's embedded handles (prepare, signals) must be closed before fini */
	uv_run(&t->loop, UV_RUN_NOWAIT);
	uv_run(&t->loop, UV_RUN_NOWAIT);
	fm_daemon_fini(&t->d);
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

/* ---- operations ----------------------------------------------------------------------------- */

static void assign_async(struct env *t, const char *fn, const char *host, bool dry, struct result *r)
{
	struct fm_assign_req req = {.function = fn, .host = host, .dry_run = dry};

	memset(r, 0, sizeof(*r));
	fm_engine_assign(t->d.engine, &req, on_done, r);
}

static void assign(struct env *t, const char *fn, const char *host, bool dry, struct result *r)
{
	assign_async(t, fn, host, dry, r);
	assert_true(run_until(t, result_done, r));
	assert_true(run_until(t, idle, NULL));
}

static void assign_any(struct env *t, const char *card, const char *host, struct result *r)
{
	struct fm_assign_req req = {.card = card, .any = true, .host = host};

	memset(r, 0, sizeof(*r));
	fm_engine_assign(t->d.engine, &req, on_done, r);
	assert_true(run_until(t, result_done, r));
	assert_true(run_until(t, idle, NULL));
}

static void unassign(struct env *t, const char *fn, uint8_t mode, bool force, uint32_t timeout_ms,
		     bool dry, struct result *r)
{
	struct fm_unassign_req req = {.function = fn, .mode = mode, .force = force,
				      .timeout_ms = timeout_ms, .dry_run = dry};

	memset(r, 0, sizeof(*r));
	fm_engine_unassign(t->d.engine, &req, on_done, r);
	assert_true(run_until(t, result_done, r));
	assert_true(run_until(t, idle, NULL));
}

static void unassign_async_req(struct env *t, const char *fn, struct result *r)
{
	struct fm_unassign_req req = {.function = fn, .mode = FMP_UNBIND_MANAGED};

	memset(r, 0, sizeof(*r));
	fm_engine_unassign(t->d.engine, &req, on_done, r);
}

static void assert_ok(const struct result *r)
{
	if (!r->ok)
		fail_msg("expected success, got %s: %s", fm_rpc_code_name(r->code), r->msg);
	assert_non_null(r->obj);
}

static void assert_err(const struct result *r, enum fm_rpc_code code)
{
	if (r->ok)
		fail_msg("expected %s, got success", fm_rpc_code_name(code));
	if (r->code != code)
		fail_msg("expected %s, got %s: %s", fm_rpc_code_name(code), fm_rpc_code_name(r->code),
			 r->msg);
}

static struct json_object *jget(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v))
		fail_msg("no member %s in %s", key, o ? json_object_to_json_string(o) : "(null)");
	return v;
}

static const char *jstr(struct json_object *o, const char *key)
{
	return json_object_get_string(jget(o, key));
}

static bool jbool(struct json_object *o, const char *key)
{
	return json_object_get_boolean(jget(o, key));
}

static int jint(struct json_object *o, const char *key)
{
	return json_object_get_int(jget(o, key));
}

/* The i-th action's "action" member. */
static const char *action_at(const struct result *r, size_t i)
{
	struct json_object *a = jget(r->obj, "actions");

	if (i >= json_object_array_length(a))
		return NULL;
	return jstr(json_object_array_get_idx(a, i), "action");
}

static size_t n_actions(const struct result *r)
{
	return json_object_array_length(jget(r->obj, "actions"));
}

static void serial_of(uint64_t dsn, char *buf, size_t len)
{
	assert_int_equal(fm_pci_dsn_format(dsn, buf, len), 0);
}

/* The store's row for (card dsn, pf, vf): 0 or -ENOENT. */
static int store_row(struct fm_store *s, uint64_t dsn, int pf, int vf, struct fm_store_binding *b)
{
	char serial[32];
	struct fm_store_key k;

	serial_of(dsn, serial, sizeof(serial));
	k = (struct fm_store_key){"rack1", serial, pf, vf};
	return fm_store_binding_get(s, &k, b);
}

static const struct fm_intent *intent(struct env *t, const char *fn_name)
{
	struct fm_fn *fn = fm_inv_find_fn(t->d.inv, fn_name, NULL);

	assert_non_null(fn);
	return fm_engine_intent_of(t->d.engine, fn);
}

/* Writes bindings into a fresh intent store before the daemon starts. */
static void store_done(void *arg, int rc)
{
	*(int *)arg = rc;
}

static void prefill(struct env *t, const struct fm_store_binding *rows, size_t n)
{
	struct fm_store *s;
	char err[256], dir[96];
	int rc = -1;

	snprintf(dir, sizeof(dir), "%s/state", t->dir);
	assert_int_equal(mkdir(dir, 0750), 0);
	assert_int_equal(fm_store_open(t->db, &s, err, sizeof(err)), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(fm_store_binding_put(s, &rows[i], store_done, &rc), 0);
	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(rc, 0);
	fm_store_close(s);
}

static struct fm_store_binding row(uint64_t dsn, int pf, int vf, const char *host, int vppb,
				   enum fm_store_state st)
{
	struct fm_store_binding b;

	memset(&b, 0, sizeof(b));
	snprintf(b.chassis, sizeof(b.chassis), "rack1");
	serial_of(dsn, b.card_serial, sizeof(b.card_serial));
	b.pf = pf;
	b.vf = vf;
	snprintf(b.host, sizeof(b.host), "%s", host);
	b.vppb = vppb;
	b.state = st;
	return b;
}

/* ---- assign --------------------------------------------------------------------------------- */

static void test_assign_vf_enables_vfs(void **state)
{
	struct env *t = *state;
	struct fm_store_binding b;
	struct result *r = &t->res[0];
	uint8_t port, vppb;
	const struct fmp_msg *m;

	start(t);
	assert_int_equal(rack1(t)->n_hosts, 4);
	assert_int_equal(rack1(t)->n_slots, 4);
	fake_switch_reset_counts(t->fs);

	assign(t, "nic0/pf0/vf3", "web1", false, r);
	assert_ok(r);
	assert_string_equal(jstr(r->obj, "function"), "nic0/pf0/vf3");
	assert_string_equal(jstr(r->obj, "host"), "web1");
	assert_string_equal(jstr(r->obj, "state"), "bound");
	assert_true(jbool(r->obj, "changed"));
	assert_int_equal(jint(r->obj, "vppb"), 0);
	assert_string_equal(jstr(r->obj, "host_bdf"), "03:00.0");
	assert_int_equal(n_actions(r), 2);
	assert_string_equal(action_at(r, 0), "set-num-vfs");
	assert_string_equal(action_at(r, 1), "bind");

	/* NumVFs raised to TotalVFs once, then the BIND */
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_SET_NUM_VFS), 1);
	m = fake_switch_last(t->fs, FMP_OP_SET_NUM_VFS);
	assert_int_equal(m->u.set_num_vfs_req.slot, 1);
	assert_int_equal(m->u.set_num_vfs_req.pf, 0);
	assert_int_equal(m->u.set_num_vfs_req.num_vfs, 8);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 1);
	m = fake_switch_last(t->fs, FMP_OP_BIND);
	assert_int_equal(m->u.bind_req.fn.slot, 1);
	assert_int_equal(m->u.bind_req.fn.pf, 0);
	assert_int_equal(m->u.bind_req.fn.vf, 3);
	assert_int_equal(m->u.bind_req.port, 0);
	assert_int_equal(fake_switch_state(t->fs, 1, 0, 3, &port, &vppb), FMP_BIND_BOUND);
	assert_int_equal(port, 0);
	assert_int_equal(vppb, 0);

	/* intent: in memory and in the store, bound */
	assert_non_null(intent(t, "nic0/pf0/vf3"));
	assert_int_equal(intent(t, "nic0/pf0/vf3")->state, FM_STORE_BOUND);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_NIC0, 0, 3, &b), 0);
	assert_int_equal(b.state, FM_STORE_BOUND);
	assert_string_equal(b.host, "web1");
	assert_int_equal(b.vppb, 0);
	/* the PF's other VFs are enabled now */
	assert_true(fm_inv_find_fn(t->d.inv, "nic0/pf0/vf7", NULL)->enabled);
	result_clear(r);

	/* already so: success, nothing sent */
	assign(t, "nic0/pf0/vf3", "web1", false, r);
	assert_ok(r);
	assert_false(jbool(r->obj, "changed"));
	assert_string_equal(jstr(r->obj, "state"), "bound");
	assert_int_equal(jint(r->obj, "vppb"), 0);
	assert_string_equal(jstr(r->obj, "host_bdf"), "03:00.0");
	assert_int_equal(n_actions(r), 0);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 1);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_SET_NUM_VFS), 1);
	result_clear(r);

	/* the same function by its slot name is the same function */
	assign(t, "slot1/pf0/vf3", "web1", false, r);
	assert_ok(r);
	assert_false(jbool(r->obj, "changed"));
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 1);
	result_clear(r);
}

static void test_assign_busy(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];
	struct json_object *data;

	start(t);
	assign(t, "nic0/pf1/vf0", "web1", false, r);
	assert_ok(r);
	result_clear(r);
	fake_switch_reset_counts(t->fs);

	assign(t, "nic0/pf1/vf0", "web2", false, r);
	assert_err(r, FM_RPC_E_FUNCTION_BUSY);
	data = r->obj;
	assert_non_null(data);
	assert_string_equal(jstr(data, "host"), "web1");
	/* RFC 3339 UTC, "2026-11-25T03:40:12Z" */
	assert_int_equal(strlen(jstr(data, "since")), 20);
	assert_int_equal(jstr(data, "since")[10], 'T');
	assert_int_equal(jstr(data, "since")[19], 'Z');
	assert_non_null(strstr(r->msg, "web1"));
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 0);
	assert_int_equal(fake_switch_state(t->fs, 1, 1, 0, NULL, NULL), FMP_BIND_BOUND);
	result_clear(r);
}

static void test_assign_refused(void **state)
{
	struct env *t = *state;
	static const struct {
		const char *fn, *host;
		enum fm_rpc_code code;
	} cases[] = {
		{"nic0/pf0/vf99", "web1", FM_RPC_E_NO_SUCH_FUNCTION},
		{"nic0/pf7", "web1", FM_RPC_E_NO_SUCH_FUNCTION},
		{"nosuchcard/pf0", "web1", FM_RPC_E_NO_SUCH_FUNCTION},
		{"slot4/pf0", "web1", FM_RPC_E_NO_SUCH_FUNCTION}, /* empty slot */
		{"nic0/pf0/vf0", "nohost", FM_RPC_E_NO_SUCH_HOST},
		{"nic0/pf0/vf0", "rack9:web1", FM_RPC_E_NO_SUCH_CHASSIS}, /* issue 16 */
		/* sharing modes: the manager keeps an sr-iov card's PFs... */
		{"nic0/pf0", "web1", FM_RPC_E_SHARING_MODE},
		/* ...an mr-iov card's PF goes with its VFs... */
		{"mr0/pf0/vf1", "web1", FM_RPC_E_SHARING_MODE},
		/* ...an exclusive card goes whole */
		{"raid0/pf0/vf0", "web1", FM_RPC_E_SHARING_MODE},
		{"nic0/pf0/vf0", "web3", FM_RPC_E_HOST_LINK_DOWN},
		{"mr0/pf1", "web3", FM_RPC_E_HOST_LINK_DOWN},
	};
	struct result *r = &t->res[0];

	start(t);
	fake_switch_reset_counts(t->fs);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assign(t, cases[i].fn, cases[i].host, false, r);
		if (r->ok || r->code != cases[i].code)
			fail_msg("assign %s %s: expected %s, got %s: %s", cases[i].fn, cases[i].host,
				 fm_rpc_code_name(cases[i].code),
				 r->ok ? "success" : fm_rpc_code_name(r->code), r->msg);
		assert_true(r->msg[0] != '\0');
		result_clear(r);
		assert_null(intent(t, "nic0/pf0/vf0"));
	}
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 0);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_SET_NUM_VFS), 0);
	assert_int_equal(fake_switch_bound_count(t->fs), 0);
}

static void test_exclusive_card_moves_whole(void **state)
{
	struct env *t = *state;
	struct fm_store_binding b;
	struct result *r = &t->res[0];
	const struct fmp_msg *m;
	uint8_t port, vppb;

	start(t);
	fake_switch_reset_counts(t->fs);
	assign(t, "raid0/pf1", "web2", false, r);
	assert_ok(r);
	assert_true(jbool(r->obj, "changed"));
	/* canonical: the card's binding is held by pf0 */
	assert_string_equal(jstr(r->obj, "function"), "raid0/pf0");
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 1);
	m = fake_switch_last(t->fs, FMP_OP_BIND);
	assert_int_equal(m->u.bind_req.fn.slot, 2);
	assert_int_equal(m->u.bind_req.fn.pf, 0);
	assert_int_equal(m->u.bind_req.fn.vf, FMP_VF_NONE);
	assert_int_equal(fake_switch_state(t->fs, 2, 1, FMP_VF_NONE, &port, &vppb), FMP_BIND_BOUND);
	assert_int_equal(port, 1);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_RAID0, 0, -1, &b), 0);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_RAID0, 1, -1, &b), -ENOENT);
	assert_ptr_equal(intent(t, "raid0/pf1"), intent(t, "raid0/pf0"));
	assert_non_null(intent(t, "raid0/pf1"));
	result_clear(r);

	/* pf0 or pf1, it is the same binding */
	assign(t, "raid0/pf0", "web2", false, r);
	assert_ok(r);
	assert_false(jbool(r->obj, "changed"));
	result_clear(r);
	assign(t, "slot2/pf1", "web1", false, r);
	assert_err(r, FM_RPC_E_FUNCTION_BUSY);
	assert_string_equal(jstr(r->obj, "host"), "web2");
	result_clear(r);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 1);

	unassign(t, "raid0/pf1", FMP_UNBIND_SURPRISE, false, 0, false, r);
	assert_ok(r);
	assert_true(jbool(r->obj, "changed"));
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_UNBIND), 1);
	assert_int_equal(fake_switch_state(t->fs, 2, 0, FMP_VF_NONE, NULL, NULL), FMP_BIND_UNBOUND);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_RAID0, 0, -1, &b), -ENOENT);
	result_clear(r);
}

static void test_no_free_vppb(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];

	start(t);
	assign(t, "mr0/pf0", "web4", false, r); /* web4 has one vPPB */
	assert_ok(r);
	result_clear(r);
	fake_switch_reset_counts(t->fs);
	assign(t, "mr0/pf1", "web4", false, r);
	assert_err(r, FM_RPC_E_NO_FREE_VPPB);
	assert_null(intent(t, "mr0/pf1"));
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 0);
	result_clear(r);

	/* the switch's own NO_VPPB maps the same way, and the intent is rolled back */
	fake_switch_inject(t->fs, FMP_OP_BIND, FMP_E_NO_VPPB);
	assign(t, "mr0/pf1", "web1", false, r);
	assert_err(r, FM_RPC_E_NO_FREE_VPPB);
	assert_null(intent(t, "mr0/pf1"));
	result_clear(r);
	/* a PF whose VFs need more buses than the vPPB spans: bus-range, both counts named */
	fake_switch_inject(t->fs, FMP_OP_BIND, FMP_E_BUS_RANGE);
	assign(t, "mr0/pf1", "web1", false, r);
	assert_err(r, FM_RPC_E_BUS_RANGE);
	assert_non_null(strstr(r->msg, " buses behind the vPPB"));
	assert_non_null(strstr(r->msg, "host web1"));
	assert_null(intent(t, "mr0/pf1"));
	result_clear(r);
}

static void test_vf_bound(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];

	start(t);
	fake_switch_reset_counts(t->fs);
	/* nic0/pf1 starts with NumVFs 2: vf0 needs no change */
	assign(t, "nic0/pf1/vf0", "web1", false, r);
	assert_ok(r);
	assert_int_equal(n_actions(r), 1);
	assert_string_equal(action_at(r, 0), "bind");
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_SET_NUM_VFS), 0);
	result_clear(r);

	/* vf5 needs NumVFs 8, which would take vf0 away from web1 */
	assign(t, "nic0/pf1/vf5", "web2", false, r);
	assert_err(r, FM_RPC_E_VF_BOUND);
	assert_non_null(strstr(r->msg, "nic0/pf1/vf0"));
	assert_null(intent(t, "nic0/pf1/vf5"));
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_SET_NUM_VFS), 0);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 1);
	result_clear(r);

	/* the switch refusing the change maps to vf-bound too, with the intent rolled back */
	fake_switch_inject(t->fs, FMP_OP_SET_NUM_VFS, FMP_E_VF_BOUND);
	assign(t, "nic0/pf0/vf0", "web2", false, r);
	assert_err(r, FM_RPC_E_VF_BOUND);
	assert_null(intent(t, "nic0/pf0/vf0"));
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 1);
	result_clear(r);
}

static void test_assign_any(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];

	start(t);
	fake_switch_reset_counts(t->fs);
	/* enabled VFs first (nic0/pf1 has NumVFs 2), lowest PF, lowest VF */
	assign_any(t, "nic0", "web1", r);
	assert_ok(r);
	assert_string_equal(jstr(r->obj, "function"), "nic0/pf1/vf0");
	result_clear(r);
	assign_any(t, "nic0", "web1", r);
	assert_ok(r);
	assert_string_equal(jstr(r->obj, "function"), "nic0/pf1/vf1");
	result_clear(r);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_SET_NUM_VFS), 0);
	/* then the first VF that needs enabling */
	assign_any(t, "nic0", "web1", r);
	assert_ok(r);
	assert_string_equal(jstr(r->obj, "function"), "nic0/pf0/vf0");
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_SET_NUM_VFS), 1);
	result_clear(r);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 3);

	/* --any picks VFs: not for an exclusive card */
	assign_any(t, "raid0", "web1", r);
	assert_err(r, FM_RPC_E_SHARING_MODE);
	result_clear(r);
	assign_any(t, "nocard", "web1", r);
	assert_err(r, FM_RPC_E_NO_SUCH_CARD);
	result_clear(r);
}

static void test_dry_run(void **state)
{
	struct env *t = *state;
	struct fm_store_binding b;
	struct result *r = &t->res[0];

	start(t);
	fake_switch_reset_counts(t->fs);
	assign(t, "nic0/pf0/vf0", "web1", true, r);
	assert_ok(r);
	assert_true(jbool(r->obj, "changed"));
	assert_true(jbool(r->obj, "dry_run"));
	assert_string_equal(jstr(r->obj, "state"), "free");
	assert_int_equal(n_actions(r), 2);
	assert_string_equal(action_at(r, 0), "set-num-vfs");
	assert_string_equal(action_at(r, 1), "bind");
	result_clear(r);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_SET_NUM_VFS), 0);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 0);
	assert_null(intent(t, "nic0/pf0/vf0"));
	assert_int_equal(store_row(t->d.store, FAKE_DSN_NIC0, 0, 0, &b), -ENOENT);
	assert_int_equal(fm_store_event_last_seq(t->d.store), 1); /* switch-connected only */

	/* a refusal is reported the same way */
	assign(t, "nic0/pf0/vf0", "web3", true, r);
	assert_err(r, FM_RPC_E_HOST_LINK_DOWN);
	result_clear(r);

	/* dry-run unassign of a bound function */
	assign(t, "mr0/pf0", "web1", false, r);
	assert_ok(r);
	result_clear(r);
	fake_switch_reset_counts(t->fs);
	{
		int64_t seq = fm_store_event_last_seq(t->d.store);

		unassign(t, "mr0/pf0", FMP_UNBIND_MANAGED, false, 0, true, r);
		assert_ok(r);
		assert_true(jbool(r->obj, "changed"));
		assert_string_equal(jstr(r->obj, "state"), "bound");
		assert_string_equal(action_at(r, 0), "unbind");
		result_clear(r);
		assert_int_equal(fm_store_event_last_seq(t->d.store), seq);
	}
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_UNBIND), 0);
	assert_int_equal(fake_switch_state(t->fs, 3, 0, FMP_VF_NONE, NULL, NULL), FMP_BIND_BOUND);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_MR0, 0, -1, &b), 0);
	assert_int_equal(b.state, FM_STORE_BOUND);
}

static void test_same_function_serialized(void **state)
{
	struct env *t = *state;
	struct result *r1 = &t->res[0], *r2 = &t->res[1];

	start(t);
	fake_switch_reset_counts(t->fs);
	/* both in flight before the loop runs: the second waits for the first */
	assign_async(t, "nic0/pf0/vf2", "web1", false, r1);
	assign_async(t, "nic0/pf0/vf2", "web1", false, r2);
	assert_int_equal(fm_engine_ops(t->d.engine), 2);
	assert_true(run_until(t, result_done, r2));
	assert_true(r1->done);
	assert_ok(r1);
	assert_true(jbool(r1->obj, "changed"));
	assert_ok(r2);
	assert_false(jbool(r2->obj, "changed")); /* already so, thanks to the first */
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 1);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_SET_NUM_VFS), 1);
	result_clear(r1);
	result_clear(r2);
	assert_true(run_until(t, idle, NULL));

	/* two hosts: the second finds the function taken by the first */
	assign_async(t, "nic0/pf0/vf3", "web2", false, r1);
	assign_async(t, "nic0/pf0/vf3", "web1", false, r2);
	assert_true(run_until(t, result_done, r2));
	assert_ok(r1);
	assert_err(r2, FM_RPC_E_FUNCTION_BUSY);
	assert_string_equal(jstr(r2->obj, "host"), "web2");
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 2);
	result_clear(r1);
	result_clear(r2);
}

static void test_bind_error_rolls_back(void **state)
{
	struct env *t = *state;
	struct fm_store_binding b;
	struct result *r = &t->res[0];

	start(t);
	fake_switch_inject(t->fs, FMP_OP_BIND, FMP_E_INJECTED);
	assign(t, "nic0/pf0/vf1", "web1", false, r);
	/* issue 19 item 6: a switch's refusal is switch-error naming the FMP status, not internal */
	assert_err(r, FM_RPC_E_SWITCH_ERROR);
	assert_string_equal(jstr(r->obj, "fmp_status"), "FMP_E_INJECTED");
	assert_non_null(strstr(r->msg, "nic0/pf0/vf1"));
	result_clear(r);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 1);
	assert_null(intent(t, "nic0/pf0/vf1"));
	assert_int_equal(store_row(t->d.store, FAKE_DSN_NIC0, 0, 1, &b), -ENOENT);

	/* the function is free again: a retry works */
	assign(t, "nic0/pf0/vf1", "web1", false, r);
	assert_ok(r);
	assert_true(jbool(r->obj, "changed"));
	result_clear(r);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_NIC0, 0, 1, &b), 0);
}

/* An operation queued behind another starts from the first one's store commit callback; its
 * own store write must still be committed without waiting for unrelated I/O. */
static void test_queued_op_after_commit(void **state)
{
	struct env *t = *state;
	struct result *r1 = &t->res[0], *r2 = &t->res[1];

	start(t);
	assign_async(t, "nic0/pf0/vf4", "web1", false, r1);
	{
		struct fm_unassign_req u = {.function = "nic0/pf0/vf4", .mode = FMP_UNBIND_SURPRISE};

		memset(r2, 0, sizeof(*r2));
		fm_engine_unassign(t->d.engine, &u, on_done, r2);
	}
	assert_true(run_until(t, result_done, r2));
	assert_ok(r1);
	assert_ok(r2);
	assert_true(jbool(r2->obj, "changed"));
	assert_int_equal(fake_switch_state(t->fs, 1, 0, 4, NULL, NULL), FMP_BIND_UNBOUND);
	assert_true(run_until(t, idle, NULL));
	assert_null(intent(t, "nic0/pf0/vf4"));
	result_clear(r1);
	result_clear(r2);
}

/* ---- unassign ------------------------------------------------------------------------------- */

static void test_unassign_managed(void **state)
{
	struct env *t = *state;
	struct fm_store_binding b;
	struct result *r = &t->res[0];
	const struct fmp_msg *m;

	start(t);
	assign(t, "nic0/pf1/vf1", "web2", false, r);
	assert_ok(r);
	result_clear(r);
	fake_switch_set_unbind_delay(t->fs, 30);
	fake_switch_reset_counts(t->fs);

	unassign(t, "nic0/pf1/vf1", FMP_UNBIND_MANAGED, false, 0, false, r);
	assert_ok(r);
	assert_true(jbool(r->obj, "changed"));
	assert_string_equal(jstr(r->obj, "state"), "free");
	assert_string_equal(jstr(r->obj, "host"), "web2");
	assert_int_equal(jint(r->obj, "vppb"), 0);
	result_clear(r);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_UNBIND), 1);
	m = fake_switch_last(t->fs, FMP_OP_UNBIND);
	assert_int_equal(m->u.unbind_req.mode, FMP_UNBIND_MANAGED);
	assert_int_equal(m->u.unbind_req.timeout_ms, 300); /* fabric.yaml's managed_unbind_ms */
	assert_int_equal(fake_switch_state(t->fs, 1, 1, 1, NULL, NULL), FMP_BIND_UNBOUND);
	assert_null(intent(t, "nic0/pf1/vf1"));
	assert_int_equal(store_row(t->d.store, FAKE_DSN_NIC0, 1, 1, &b), -ENOENT);

	/* unassign of a free function: success, nothing changes */
	unassign(t, "nic0/pf1/vf1", FMP_UNBIND_MANAGED, false, 0, false, r);
	assert_ok(r);
	assert_false(jbool(r->obj, "changed"));
	assert_string_equal(jstr(r->obj, "state"), "free");
	result_clear(r);
	unassign(t, "nic0/pf0/vf6", FMP_UNBIND_SURPRISE, false, 0, false, r);
	assert_ok(r);
	assert_false(jbool(r->obj, "changed"));
	result_clear(r);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_UNBIND), 1);

	unassign(t, "nic0/pf0/vf99", FMP_UNBIND_MANAGED, false, 0, false, r);
	assert_err(r, FM_RPC_E_NO_SUCH_FUNCTION);
	result_clear(r);
}

static void test_unassign_timeout(void **state)
{
	struct env *t = *state;
	struct fm_store_binding b;
	struct result *r = &t->res[0];

	start(t);
	assign(t, "mr0/pf1", "web1", false, r);
	assert_ok(r);
	result_clear(r);
	fake_switch_set_unbind_delay(t->fs, FAKE_UNBIND_NEVER);
	fake_switch_reset_counts(t->fs);

	unassign(t, "mr0/pf1", FMP_UNBIND_MANAGED, false, 50, false, r);
	assert_err(r, FM_RPC_E_TIMEOUT);
	assert_non_null(strstr(r->msg, "web1"));
	result_clear(r);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_UNBIND), 1);
	assert_int_equal(fake_switch_last(t->fs, FMP_OP_UNBIND)->u.unbind_req.timeout_ms, 50);
	/* the binding stays */
	assert_int_equal(fake_switch_state(t->fs, 3, 1, FMP_VF_NONE, NULL, NULL), FMP_BIND_BOUND);
	assert_non_null(intent(t, "mr0/pf1"));
	assert_int_equal(intent(t, "mr0/pf1")->state, FM_STORE_BOUND);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_MR0, 1, -1, &b), 0);
	assert_int_equal(b.state, FM_STORE_BOUND);
	assert_string_equal(b.host, "web1");

	/* and is still "already so" */
	assign(t, "mr0/pf1", "web1", false, r);
	assert_ok(r);
	assert_false(jbool(r->obj, "changed"));
	result_clear(r);
}

static void test_unassign_force(void **state)
{
	struct env *t = *state;
	struct fm_store_binding b;
	struct result *r = &t->res[0];

	start(t);
	assign(t, "mr0/pf1", "web1", false, r);
	assert_ok(r);
	result_clear(r);
	fake_switch_set_unbind_delay(t->fs, FAKE_UNBIND_NEVER);
	fake_switch_reset_counts(t->fs);

	unassign(t, "mr0/pf1", FMP_UNBIND_MANAGED, true, 50, false, r);
	assert_ok(r);
	assert_true(jbool(r->obj, "changed"));
	assert_int_equal(n_actions(r), 2);
	assert_string_equal(action_at(r, 0), "unbind");
	assert_string_equal(action_at(r, 1), "unbind");
	assert_string_equal(jstr(json_object_array_get_idx(jget(r->obj, "actions"), 1), "mode"),
			    "surprise");
	result_clear(r);
	/* managed first, then the surprise removal */
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_UNBIND), 2);
	assert_int_equal(fake_switch_last(t->fs, FMP_OP_UNBIND)->u.unbind_req.mode, FMP_UNBIND_SURPRISE);
	assert_int_equal(fake_switch_state(t->fs, 3, 1, FMP_VF_NONE, NULL, NULL), FMP_BIND_UNBOUND);
	assert_null(intent(t, "mr0/pf1"));
	assert_int_equal(store_row(t->d.store, FAKE_DSN_MR0, 1, -1, &b), -ENOENT);
}

/* ---- durability and reconciliation ------------------------------------------------------------ */

static void test_intents_persisted(void **state)
{
	struct env *t = *state;
	struct fm_store_binding b;
	struct fm_store *s;
	struct result *r = &t->res[0];
	char err[256];

	start(t);
	assign(t, "nic0/pf0/vf1", "web2", false, r);
	assert_ok(r);
	result_clear(r);
	assign(t, "mr0/pf1", "web1", false, r);
	assert_ok(r);
	result_clear(r);
	assign(t, "raid0/pf0", "web1", false, r);
	assert_ok(r);
	result_clear(r);
	assign(t, "mr0/pf0", "web2", false, r);
	assert_ok(r);
	result_clear(r);
	unassign(t, "mr0/pf0", FMP_UNBIND_SURPRISE, false, 0, false, r);
	assert_ok(r);
	result_clear(r);
	stop(t);

	assert_int_equal(fm_store_open(t->db, &s, err, sizeof(err)), 0);
	assert_int_equal(store_row(s, FAKE_DSN_NIC0, 0, 1, &b), 0);
	assert_string_equal(b.host, "web2");
	assert_int_equal(b.state, FM_STORE_BOUND);
	assert_int_equal(b.vppb, 0);
	assert_int_equal(store_row(s, FAKE_DSN_MR0, 1, -1, &b), 0);
	assert_string_equal(b.host, "web1");
	assert_int_equal(b.state, FM_STORE_BOUND);
	assert_int_equal(b.vppb, 0);
	assert_int_equal(store_row(s, FAKE_DSN_RAID0, 0, -1, &b), 0);
	assert_int_equal(b.vppb, 1);
	assert_int_equal(store_row(s, FAKE_DSN_MR0, 0, -1, &b), -ENOENT);
	/* the events were logged too: switch-connected, 4 assigned, 1 unassigned */
	assert_int_equal(fm_store_event_last_seq(s), 6);
	fm_store_close(s);
}

static void test_reconcile_reapplies_intent(void **state)
{
	struct env *t = *state;
	struct fm_store_binding rows[] = {
		row(FAKE_DSN_NIC0, 0, 5, "web2", 2, FM_STORE_BOUND),
		row(FAKE_DSN_RAID0, 0, -1, "web1", 0, FM_STORE_BOUND),
		row(FAKE_DSN_MR0, 1, -1, "web1", 1, FM_STORE_BOUND), /* already on the switch */
	}, b;
	uint8_t port, vppb;

	prefill(t, rows, 3);
	assert_int_equal(fake_switch_bind(t->fs, 3, 1, FMP_VF_NONE, 0, 1), 1);
	start(t);
	/* the missing two were bound again, NumVFs enabled for the VF; the third left alone */
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 2);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_SET_NUM_VFS), 1);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_UNBIND), 0);
	assert_int_equal(fake_switch_state(t->fs, 1, 0, 5, &port, NULL), FMP_BIND_BOUND);
	assert_int_equal(port, 1);
	assert_int_equal(fake_switch_state(t->fs, 2, 0, FMP_VF_NONE, &port, NULL), FMP_BIND_BOUND);
	assert_int_equal(port, 0);
	assert_int_equal(fake_switch_state(t->fs, 3, 1, FMP_VF_NONE, &port, &vppb), FMP_BIND_BOUND);
	assert_int_equal(vppb, 1);
	assert_int_equal(intent(t, "nic0/pf0/vf5")->state, FM_STORE_BOUND);
	assert_int_equal(intent(t, "raid0/pf0")->state, FM_STORE_BOUND);
	assert_int_equal(intent(t, "mr0/pf1")->state, FM_STORE_BOUND);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_NIC0, 0, 5, &b), 0);
	assert_int_equal(b.state, FM_STORE_BOUND);
	assert_int_equal(b.vppb, 0);
	assert_int_equal(t->d.n_unexpected, 0);
}

static void test_reconcile_unexpected_adopt_then_remove(void **state)
{
	struct env *t = *state;
	struct fm_store_binding b;
	unsigned two = 2;

	/* bound by someone else before fabricd ever saw this chassis */
	assert_int_equal(fake_switch_bind(t->fs, 3, 0, FMP_VF_NONE, 1, FMP_VPPB_ANY), 0);
	start(t);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_UNBIND), 0);
	assert_non_null(intent(t, "mr0/pf0"));
	assert_string_equal(intent(t, "mr0/pf0")->host, "web2");
	assert_int_equal(intent(t, "mr0/pf0")->state, FM_STORE_BOUND);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_MR0, 0, -1, &b), 0);
	assert_string_equal(b.host, "web2");
	assert_int_equal(t->d.n_unexpected, 1);
	assert_string_equal(t->d.unexpected[0].action, "adopted");
	assert_string_equal(t->d.unexpected[0].function, "mr0/pf0");

	/* later, another binding appears behind fabricd's back; on the next contact it goes */
	assert_int_equal(fake_switch_bind(t->fs, 1, 1, 1, 0, FMP_VPPB_ANY), 0);
	fake_switch_drop(t->fs);
	assert_true(run_until(t, connected_n, &two));
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_UNBIND), 1);
	assert_int_equal(fake_switch_last(t->fs, FMP_OP_UNBIND)->u.unbind_req.fn.slot, 1);
	assert_int_equal(fake_switch_state(t->fs, 1, 1, 1, NULL, NULL), FMP_BIND_UNBOUND);
	assert_null(intent(t, "nic0/pf1/vf1"));
	assert_int_equal(t->d.n_unexpected, 2);
	assert_string_equal(t->d.unexpected[1].action, "removed");
	assert_string_equal(t->d.unexpected[1].function, "nic0/pf1/vf1");
	/* the adopted one is intended now and stays */
	assert_int_equal(fake_switch_state(t->fs, 3, 0, FMP_VF_NONE, NULL, NULL), FMP_BIND_BOUND);
	assert_int_equal(intent(t, "mr0/pf0")->state, FM_STORE_BOUND);
}

static void test_reconnect_and_reboot(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];
	unsigned n = 2;

	start(t);
	assign(t, "nic0/pf0/vf0", "web1", false, r);
	assert_ok(r);
	result_clear(r);
	assign(t, "mr0/pf1", "web2", false, r);
	assert_ok(r);
	result_clear(r);
	assign(t, "raid0/pf0", "web1", false, r);
	assert_ok(r);
	result_clear(r);
	fake_switch_reset_counts(t->fs);

	/* connection lost, switch still up: bindings found in place, nothing re-sent */
	fake_switch_drop(t->fs);
	assert_true(run_until(t, connected_n, &n));
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 0);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_HELLO), 1);
	assert_int_equal(intent(t, "nic0/pf0/vf0")->state, FM_STORE_BOUND);
	assert_int_equal(intent(t, "mr0/pf1")->state, FM_STORE_BOUND);
	assert_int_equal(intent(t, "raid0/pf0")->state, FM_STORE_BOUND);

	/* the switch reboots and forgets: everything intended is bound again */
	fake_switch_reboot(t->fs);
	assert_int_equal(fake_switch_bound_count(t->fs), 0);
	n = 3;
	assert_true(run_until(t, connected_n, &n));
	assert_int_equal(fake_switch_bound_count(t->fs), 3);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 3);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_SET_NUM_VFS), 1);
	assert_int_equal(fake_switch_state(t->fs, 1, 0, 0, NULL, NULL), FMP_BIND_BOUND);
	assert_int_equal(fake_switch_state(t->fs, 3, 1, FMP_VF_NONE, NULL, NULL), FMP_BIND_BOUND);
	assert_int_equal(fake_switch_state(t->fs, 2, 0, FMP_VF_NONE, NULL, NULL), FMP_BIND_BOUND);
	assert_int_equal(intent(t, "nic0/pf0/vf0")->state, FM_STORE_BOUND);
	assert_int_equal(intent(t, "mr0/pf1")->state, FM_STORE_BOUND);
	assert_int_equal(intent(t, "raid0/pf0")->state, FM_STORE_BOUND);
	assert_int_equal(t->d.n_unexpected, 0);
}

static bool host_link_is(struct env *t, void *arg)
{
	struct fm_host *h = fm_inv_find_host(t->d.inv, "web1", NULL);

	return h && h->link_up == *(bool *)arg && idle(t, NULL);
}

static void emit_link(struct env *t, uint8_t port, bool up)
{
	struct fmp_event ev = {.type = FMP_EV_LINK_STATE, .reason = FMP_EVR_LINK, .port = port,
			       .vppb = FMP_VPPB_NONE, .slot = FMP_SLOT_NONE,
			       .fn = {FMP_SLOT_NONE, 0, FMP_VF_NONE}, .detail = up};

	fake_switch_port(t->fs, port)->link_up = up;
	fake_switch_emit(t->fs, &ev);
}

static void test_link_events(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];
	bool up = false;

	start(t);
	fake_switch_reset_counts(t->fs);
	emit_link(t, 0, false);
	assert_true(run_until(t, host_link_is, &up));
	assign(t, "mr0/pf0", "web1", false, r);
	assert_err(r, FM_RPC_E_HOST_LINK_DOWN);
	result_clear(r);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 0);

	/* link back: the chassis is read again and the host can take functions */
	up = true;
	emit_link(t, 0, true);
	assert_true(run_until(t, host_link_is, &up));
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_GET_PORTS), 1);
	assign(t, "mr0/pf0", "web1", false, r);
	assert_ok(r);
	result_clear(r);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 1);
}

static bool card_in_slot(struct env *t, void *arg)
{
	struct fm_card *card = fm_inv_find_card(t->d.inv, "mr0", NULL);

	return card && card->slot == *(uint16_t *)arg && idle(t, NULL);
}

static bool card_gone(struct env *t, void *arg)
{
	(void)arg;
	return !fm_inv_find_card(t->d.inv, "mr0", NULL) && idle(t, NULL);
}

/* A binding follows its card (keyed by serial): pulled, it is detached and kept; the card
 * back, in another slot even, it is bound again. */
static void test_binding_follows_card(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];
	struct fake_card card;
	struct fm_store_binding b;
	uint16_t slot = 4;
	uint8_t port;

	start(t);
	assign(t, "mr0/pf1", "web2", false, r);
	assert_ok(r);
	result_clear(r);
	fake_switch_reset_counts(t->fs);

	assert_int_equal(fake_switch_pull(t->fs, 3, &card), 0);
	assert_true(run_until(t, card_gone, NULL));
	assert_int_equal(store_row(t->d.store, FAKE_DSN_MR0, 1, -1, &b), 0);
	assert_int_equal(b.state, FM_STORE_DETACHED);
	assert_string_equal(b.host, "web2");

	assert_int_equal(fake_switch_insert(t->fs, 4, &card), 0);
	assert_true(run_until(t, card_in_slot, &slot));
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 1);
	assert_int_equal(fake_switch_last(t->fs, FMP_OP_BIND)->u.bind_req.fn.slot, 4);
	assert_int_equal(fake_switch_state(t->fs, 4, 1, FMP_VF_NONE, &port, NULL), FMP_BIND_BOUND);
	assert_int_equal(port, 1);
	assert_int_equal(intent(t, "mr0/pf1")->state, FM_STORE_BOUND);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_MR0, 1, -1, &b), 0);
	assert_int_equal(b.state, FM_STORE_BOUND);
	/* a function of the card in its new slot answers to slot4/... */
	assert_ptr_equal(fm_inv_find_fn(t->d.inv, "slot4/pf1", NULL),
			 fm_inv_find_fn(t->d.inv, "mr0/pf1", NULL));
}

/* Reconciliation finds a function on another host than intended and moves it. */
static void test_reconcile_moves_binding(void **state)
{
	struct env *t = *state;
	struct fm_store_binding rows[] = {row(FAKE_DSN_MR0, 0, -1, "web1", 0, FM_STORE_BOUND)}, b;
	uint8_t port;

	prefill(t, rows, 1);
	assert_int_equal(fake_switch_bind(t->fs, 3, 0, FMP_VF_NONE, 1, FMP_VPPB_ANY), 0);
	start(t);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_UNBIND), 1);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 1);
	assert_int_equal(fake_switch_state(t->fs, 3, 0, FMP_VF_NONE, &port, NULL), FMP_BIND_BOUND);
	assert_int_equal(port, 0);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_MR0, 0, -1, &b), 0);
	assert_string_equal(b.host, "web1");
	assert_int_equal(b.state, FM_STORE_BOUND);
}

/* ...and a move that cannot complete keeps the intent (it was acknowledged). */
static void test_reconcile_move_keeps_intent(void **state)
{
	struct env *t = *state;
	struct fm_store_binding rows[] = {row(FAKE_DSN_MR0, 0, -1, "web1", 0, FM_STORE_BOUND)}, b;

	prefill(t, rows, 1);
	assert_int_equal(fake_switch_bind(t->fs, 3, 0, FMP_VF_NONE, 1, FMP_VPPB_ANY), 0);
	fake_switch_inject(t->fs, FMP_OP_BIND, FMP_E_INJECTED);
	start(t);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_UNBIND), 1);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 1);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_MR0, 0, -1, &b), 0);
	assert_string_equal(b.host, "web1");
}

static bool fn_unbound(struct env *t, void *arg)
{
	struct fm_fn *fn = fm_inv_find_fn(t->d.inv, arg, NULL);

	return fn && fn->sw_state == FMP_BIND_UNBOUND;
}

static bool unbind_waiting(struct env *t, void *arg)
{
	(void)arg;
	return fake_switch_unbinds_waiting(t->fs) == 1;
}

/* Stopping the daemon with an operation queued behind one waiting on the switch. */
static void test_stop_with_queued_op(void **state)
{
	struct env *t = *state;
	struct result *r1 = &t->res[0], *r2 = &t->res[1];
	struct fm_unassign_req u = {.function = "mr0/pf1", .mode = FMP_UNBIND_MANAGED,
				    .timeout_ms = 3000};
	struct fmp_event ev = {.type = FMP_EV_UNBIND_DONE, .reason = FMP_EVR_SURPRISE, .port = 0,
			       .vppb = 0, .slot = 3, .fn = {3, 1, FMP_VF_NONE}};

	/* regression: fm_daemon_fini freed the engine before fm_store_close ran the last commit
	 * callbacks, which finish engine operations (heap-use-after-free under ASan) */
	start(t);
	assign(t, "mr0/pf1", "web1", false, r1);
	assert_ok(r1);
	result_clear(r1);
	fake_switch_set_unbind_delay(t->fs, FAKE_UNBIND_NEVER);
	memset(r1, 0, sizeof(*r1));
	fm_engine_unassign(t->d.engine, &u, on_done, r1);
	assert_true(run_until(t, unbind_waiting, NULL));
	/* the card's function vanishes from the host meanwhile (surprise, seen as an event) */
	fake_switch_emit(t->fs, &ev);
	assert_true(run_until(t, fn_unbound, "mr0/pf1"));
	memset(r2, 0, sizeof(*r2));
	fm_engine_unassign(t->d.engine, &u, on_done, r2); /* queued behind the first */
	assert_int_equal(fm_engine_ops(t->d.engine), 2);
	stop(t);
	assert_true(r1->done);
	assert_true(r2->done);
}

/* ---- regressions ----------------------------------------------------------------------------- */

/* fabricd's main.c, when fm_daemon_init fails: stop, run the loop, fini. */
static void init_fails_then_cleans_up(struct env *t, const char *key, const char *value)
{
	char err[512];

	assert_int_equal(fm_fabric_config_override(t->cfg, key, value, err, sizeof(err)), 0);
	memset(&t->d, 0, sizeof(t->d));
	t->d.log_level = -1;
	t->inited = true;
	assert_int_not_equal(fm_daemon_init(&t->d, &t->loop, t->cfg, "fabric.yaml", err, sizeof(err)), 0);
	assert_true(err[0] != '\0');
	t->stopped = true;
	t->d.stopping = false;
	fm_daemon_stop(&t->d);
	uv_run(&t->loop, UV_RUN_NOWAIT);
	fm_daemon_fini(&t->d);
}

static void test_init_failure_cleanup(void **state)
{
	struct env *t = *state;
	char path[128];
	FILE *f;

	/* regression: fm_daemon_stop closed the prepare and signal handles that a failed
	 * fm_daemon_init had not initialized yet (libuv assertion, fabricd exit 134) */
	snprintf(path, sizeof(path), "%s/not-a-dir", t->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/not-a-dir/state", t->dir);
	init_fails_then_cleans_up(t, "state_dir", path);
}

/* Builds and starts the daemon with a short switch request timeout (dropped answers cost
 * one each), and waits until it is idle. */
static void start_fast_timeouts(struct env *t)
{
	t->cfg->timeouts.switch_request_ms = 200;
	start(t);
}

/* A discovery that fails once (the switch answers one request with an error) is retried:
 * the chassis must not stay unusable while its connection is up. */
static void test_discovery_retried(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];

	/* regression: a failed discovery was logged and never retried, so every assign
	 * answered switch-unreachable while the connection stayed up */
	fake_switch_inject(t->fs, FMP_OP_GET_SLOTS, FMP_E_INTERNAL);
	start_fast_timeouts(t);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_GET_SLOTS), 2);
	/* issue 19: the read is asked again on the same connection */
	assert_int_equal(fm_switch_connects(link1(t)), 1);
	assign(t, "mr0/pf0", "web1", false, r);
	assert_ok(r);
	result_clear(r);
}

/* Issue 19: under switch faults (an answer failed or never sent, here at every step of the
 * read sequence) discovery restarted through a reconnect at the first one and, with faults
 * spread over its ~130 reads, never finished. Each read is retried instead. */
static void test_discovery_rides_out_faults(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];

	fake_switch_inject_n(t->fs, FMP_OP_GET_PORTS, FMP_E_INJECTED, 2);
	fake_switch_drop_answers(t->fs, FMP_OP_GET_SLOTS, 1);
	fake_switch_inject_n(t->fs, FMP_OP_GET_CARD, FMP_E_INJECTED, 3);
	fake_switch_drop_answers(t->fs, FMP_OP_GET_FUNCTIONS, 1);
	fake_switch_inject_n(t->fs, FMP_OP_GET_VH, FMP_E_INTERNAL, 2);
	fake_switch_drop_answers(t->fs, FMP_OP_READ_CONFIG, 2);
	start_fast_timeouts(t);
	assert_int_equal(fm_switch_connects(link1(t)), 1);
	assert_int_equal(fake_switch_hellos(t->fs), 1);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_GET_PORTS), 3);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_GET_SLOTS), 2);
	assert_int_equal(rack1(t)->n_hosts, 4);
	assert_non_null(fm_inv_card_by_slot(rack1(t), 3));
	assert_true(fm_inv_card_by_slot(rack1(t), 1)->pfs[0].decoded);
	assign(t, "mr0/pf0", "web1", false, r);
	assert_ok(r);
	assert_int_equal(fake_switch_state(t->fs, 3, 0, FMP_VF_NONE, NULL, NULL), FMP_BIND_BOUND);
	result_clear(r);
}

/* A read that keeps failing ends the discovery after a bounded number of tries; the chassis
 * is then read again over a new connection (which here succeeds). */
static void test_discovery_gives_up_then_reconnects(void **state)
{
	struct env *t = *state;
	unsigned two = 2;

	fake_switch_inject_n(t->fs, FMP_OP_GET_SLOTS, FMP_E_INJECTED, 5);
	start_fast_timeouts(t);
	assert_true(run_until(t, connected_n, &two));
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_GET_SLOTS), 6);
	assert_int_equal(fake_switch_hellos(t->fs), 2);
}

/* Issue 19: with the database file deleted under a running daemon, a mutation is refused
 * with store-unavailable (it used to be acknowledged into the orphaned file and lost at the
 * next start); the switch is not touched, reads go on. */
static void test_store_deleted_refuses_mutations(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];

	start(t);
	assign(t, "mr0/pf0", "web1", false, r);
	assert_ok(r);
	result_clear(r);
	assert_int_equal(unlink(t->db), 0);
	fake_switch_reset_counts(t->fs);
	/* the first write after the deletion (the unassign's) fails at its commit, later ones
	 * at once */
	unassign(t, "mr0/pf0", FMP_UNBIND_SURPRISE, false, 0, false, r);
	assert_err(r, FM_RPC_E_STORE_UNAVAILABLE);
	assert_non_null(strstr(r->msg, "deleted or replaced"));
	result_clear(r);
	assign(t, "mr0/pf1", "web2", false, r);
	assert_err(r, FM_RPC_E_STORE_UNAVAILABLE);
	result_clear(r);
	unassign(t, "mr0/pf0", FMP_UNBIND_SURPRISE, false, 0, false, r);
	assert_err(r, FM_RPC_E_STORE_UNAVAILABLE);
	result_clear(r);
	/* the switch was not told; the refused unassigns left the intent as the store holds it */
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 0);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_UNBIND), 0);
	assert_int_equal(fake_switch_state(t->fs, 3, 0, FMP_VF_NONE, NULL, NULL), FMP_BIND_BOUND);
	assert_int_equal(fake_switch_state(t->fs, 3, 1, FMP_VF_NONE, NULL, NULL), FMP_BIND_UNBOUND);
	assert_non_null(intent(t, "mr0/pf0"));
	assert_int_equal(intent(t, "mr0/pf0")->state, FM_STORE_BOUND);
	assert_null(intent(t, "mr0/pf1"));
	assert_int_equal(fm_store_available(t->d.store), -ESTALE);
}

static int count_audit(void *arg, const struct fm_store_audit *a)
{
	(void)a;
	(*(int *)arg)++;
	return 0;
}

static int count_event(void *arg, const struct fm_store_event *e)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static bool history_pruned(struct env *t, void *arg)
{
	int audit = 0, events = 0;

	(void)arg;
	fm_store_audit_list(t->d.store, 0, 0, count_audit, &audit);
	fm_store_event_list(t->d.store, 0, 0, count_event, &events);
	return audit <= 100 && events <= 100;
}

/* Issue 20: the audit and event logs grew without bound. The daemon prunes them to
 * fabric.yaml's retention in the background, a batch at a time, oldest first. */
static void test_retention_prunes_in_background(void **state)
{
	struct env *t = *state;
	struct fm_store_audit a = {.method = "assign", .result = "ok"};
	struct fm_store_event e = {.name = "card-added", .slot = -1, .vppb = -1};
	struct fm_store *s;
	char err[256], dir[96];
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/state", t->dir);
	assert_int_equal(mkdir(dir, 0750), 0);
	assert_int_equal(fm_store_open(t->db, &s, err, sizeof(err)), 0);
	for (int i = 0; i < 700; i++) {
		assert_int_equal(fm_store_audit_append(s, &a, NULL, NULL), 0);
		assert_int_equal(fm_store_event_append(s, &e, NULL, NULL, NULL), 0);
	}
	assert_int_equal(fm_store_flush(s), 0);
	fm_store_close(s);
	t->cfg->retention = (struct fm_fabric_retention){.audit_rows = 100, .event_rows = 100};
	start(t);
	assert_true(run_until(t, history_pruned, NULL));
	assert_true(run_until(t, idle, NULL));
	assert_int_equal(fm_store_audit_list(t->d.store, 0, 0, count_audit, &n), 0);
	assert_int_equal(n, 100);
	/* the newest kept, seqs go on */
	assert_true(fm_store_event_last_seq(t->d.store) > 700);
}

/* A re-apply that the switch refuses must not delete an acknowledged intent. */
static void test_reapply_failure_keeps_intent(void **state)
{
	struct env *t = *state;
	struct fm_store_binding rows[] = {row(FAKE_DSN_MR0, 0, -1, "web2", 0, FM_STORE_BOUND)}, b;

	prefill(t, rows, 1);
	fake_switch_inject(t->fs, FMP_OP_BIND, FMP_E_INJECTED);
	start(t);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 1);
	assert_non_null(intent(t, "mr0/pf0"));
	assert_int_equal(store_row(t->d.store, FAKE_DSN_MR0, 0, -1, &b), 0);
	assert_string_equal(b.host, "web2");
}

/* A detached intent (its card pulled) must not keep its vPPB from the next binding. */
static void test_detached_intent_frees_vppb(void **state)
{
	struct env *t = *state;
	struct fm_store_binding rows[] = {
		row(0x0011223344556677ull, 0, -1, "web1", 0, FM_STORE_BOUND), /* card not present */
	}, b;
	struct result *r = &t->res[0];

	prefill(t, rows, 1);
	start(t);
	assert_int_equal(store_row(t->d.store, 0x0011223344556677ull, 0, -1, &b), 0);
	assert_int_equal(b.state, FM_STORE_DETACHED);
	assign(t, "mr0/pf0", "web1", false, r);
	assert_ok(r);
	result_clear(r);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_MR0, 0, -1, &b), 0);
	assert_int_equal(b.state, FM_STORE_BOUND);
	assert_int_equal(b.vppb, 0);
}

/* ---- issue 19: acknowledgements mean what they say -------------------------------------- */

static bool held_n(struct env *t, void *arg)
{
	const unsigned *want = arg; /* {opcode, n} */

	return fake_switch_held(t->fs, (uint16_t)want[0]) >= want[1];
}

static bool sent_and_answered(struct env *t, void *arg)
{
	const unsigned *want = arg; /* {opcode, n} */

	return fake_switch_count(t->fs, (uint16_t)want[0]) >= want[1] && link1(t) &&
	       fm_switch_in_flight(link1(t)) == 0;
}

/* Item 1: an unassign that arrives after the cards are read but before their bindings are
 * waits for the whole inventory instead of answering "forget" on a half-read one. */
static void test_unassign_waits_for_discovery(void **state)
{
	struct env *t = *state;
	struct fm_store_binding rows[] = {row(FAKE_DSN_MR0, 0, -1, "web1", 0, FM_STORE_BOUND)}, b;
	struct result *r = &t->res[0];
	unsigned want[2] = {FMP_OP_GET_FUNCTIONS, 1};

	prefill(t, rows, 1);
	assert_int_equal(fake_switch_bind(t->fs, 3, 0, FMP_VF_NONE, 0, 0), 0);
	fake_switch_hold(t->fs, FMP_OP_GET_FUNCTIONS, FAKE_HOLD_ANSWER);
	start_nowait(t);
	assert_true(run_until(t, held_n, want));
	/* the cards are known, the bindings not yet */
	assert_non_null(fm_inv_find_fn(t->d.inv, "mr0/pf0", NULL));
	assert_false(rack1(t)->discovered);
	unassign_async_req(t, "mr0/pf0", r);
	assert_false(r->done);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_UNBIND), 0);
	fake_switch_release(t->fs, FMP_OP_GET_FUNCTIONS);
	assert_true(run_until(t, result_done, r));
	assert_ok(r);
	assert_string_equal(action_at(r, 0), "unbind");
	assert_string_equal(jstr(r->obj, "state"), "free");
	assert_string_equal(jstr(r->obj, "switch"), "confirmed");
	result_clear(r);
	assert_true(run_until(t, idle, NULL));
	assert_int_equal(fake_switch_state(t->fs, 3, 0, FMP_VF_NONE, NULL, NULL), FMP_BIND_UNBOUND);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_MR0, 0, -1, &b), -ENOENT);
}

/* Item 1, bounded: a discovery that does not end refuses the waiting request, retryably. */
static void test_wait_for_discovery_bounded(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];
	unsigned want[2] = {FMP_OP_GET_FUNCTIONS, 1};

	fake_switch_hold(t->fs, FMP_OP_GET_FUNCTIONS, FAKE_HOLD_ANSWER);
	start_nowait(t);
	assert_true(run_until(t, held_n, want));
	assign_async(t, "mr0/pf0", "web1", false, r); /* waits managed_unbind_ms (300) at most */
	assert_true(run_until(t, result_done, r));
	assert_err(r, FM_RPC_E_SWITCH_UNREACHABLE);
	assert_non_null(strstr(r->msg, "not read yet"));
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 0);
	result_clear(r);
	fake_switch_release(t->fs, FMP_OP_GET_FUNCTIONS);
	assert_true(run_until(t, idle, NULL));
	assign(t, "mr0/pf0", "web1", false, r);
	assert_ok(r);
	result_clear(r);
}

/* Item 2: after a restart, an unbind the switch reports in progress is followed to its end
 * and the intent (unbinding: asked gone) is forgotten, not left detached. */
static void test_in_progress_unbind_followed(void **state)
{
	struct env *t = *state;
	struct fm_store_binding rows[] = {row(FAKE_DSN_MR0, 1, -1, "web1", 0, FM_STORE_UNBINDING)}, b;
	unsigned want[2] = {FMP_OP_UNBIND, 1};
	struct fake_card *card = fake_switch_card(t->fs, 3);
	struct fmp_event ev = {.type = FMP_EV_UNBIND_DONE, .reason = FMP_EVR_MANAGED, .port = 0,
			       .vppb = 0, .slot = 3, .fn = {3, 1, FMP_VF_NONE}};

	prefill(t, rows, 1);
	assert_int_equal(fake_switch_bind(t->fs, 3, 1, FMP_VF_NONE, 0, 0), 0);
	card->pfs[1].pf.state = FMP_BIND_UNBINDING; /* the host is still letting go */
	start_nowait(t);
	assert_true(run_until(t, sent_and_answered, want)); /* answered FMP_E_IN_PROGRESS */
	assert_int_equal(intent(t, "mr0/pf1")->state, FM_STORE_UNBINDING);
	/* the switch finishes the handshake the previous run started */
	card->pfs[1].pf.state = FMP_BIND_UNBOUND;
	fake_switch_emit(t->fs, &ev);
	assert_true(run_until(t, idle, NULL));
	assert_null(intent(t, "mr0/pf1"));
	assert_int_equal(store_row(t->d.store, FAKE_DSN_MR0, 1, -1, &b), -ENOENT);
}

/* Item 3: a BIND that reuses the vPPB of a surprise UNBIND whose answer comes later is
 * acknowledged as the switch did it, not refused by the store's vPPB uniqueness. */
static void test_bind_reuses_vppb_before_unbind_answer(void **state)
{
	struct env *t = *state;
	struct fm_store_binding b;
	struct result *r0 = &t->res[0], *r1 = &t->res[1];
	unsigned want[2] = {FMP_OP_UNBIND, 1};
	struct fm_unassign_req req = {.function = "mr0/pf0", .mode = FMP_UNBIND_SURPRISE};

	start(t);
	assign(t, "mr0/pf0", "web4", false, r0); /* web4 has one vPPB */
	assert_ok(r0);
	assert_int_equal(jint(r0->obj, "vppb"), 0);
	result_clear(r0);
	fake_switch_hold(t->fs, FMP_OP_UNBIND, FAKE_HOLD_ANSWER);
	fm_engine_unassign(t->d.engine, &req, on_done, r0);
	assert_true(run_until(t, held_n, want)); /* the switch freed vPPB 0; its answer waits */
	assert_true(run_until(t, fn_unbound, "mr0/pf0")); /* its UNBIND_DONE event is in */
	assign_async(t, "mr0/pf1", "web4", false, r1);
	assert_true(run_until(t, result_done, r1));
	assert_ok(r1);
	assert_int_equal(jint(r1->obj, "vppb"), 0);
	assert_string_equal(jstr(r1->obj, "state"), "bound");
	assert_true(jbool(r1->obj, "stored"));
	fake_switch_release(t->fs, FMP_OP_UNBIND);
	assert_true(run_until(t, result_done, r0));
	assert_ok(r0);
	assert_true(run_until(t, idle, NULL));
	assert_int_equal(store_row(t->d.store, FAKE_DSN_MR0, 1, -1, &b), 0);
	assert_int_equal(b.state, FM_STORE_BOUND);
	assert_int_equal(b.vppb, 0);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_MR0, 0, -1, &b), -ENOENT);
}

/* Item 5: a managed UNBIND whose answer is lost is settled by the switch's vPPB table. */
static void test_lost_unbind_answer_asks_switch(void **state)
{
	struct env *t = *state;
	struct fm_store_binding b;
	struct result *r = &t->res[0];

	start(t);
	assign(t, "mr0/pf0", "web1", false, r);
	assert_ok(r);
	result_clear(r);
	fake_switch_hold(t->fs, FMP_OP_UNBIND, FAKE_HOLD_DROP); /* done, never answered */
	fake_switch_reset_counts(t->fs);
	unassign(t, "mr0/pf0", FMP_UNBIND_MANAGED, false, 50, false, r);
	assert_ok(r);
	assert_string_equal(jstr(r->obj, "state"), "free");
	assert_string_equal(jstr(r->obj, "switch"), "confirmed");
	result_clear(r);
	assert_true(fake_switch_count(t->fs, FMP_OP_GET_VH) >= 1);
	assert_null(intent(t, "mr0/pf0"));
	assert_int_equal(store_row(t->d.store, FAKE_DSN_MR0, 0, -1, &b), -ENOENT);

	/* lost before the switch acted: it still has it bound, and the answer says so */
	fake_switch_hold(t->fs, FMP_OP_UNBIND, FAKE_HOLD_OFF);
	assign(t, "mr0/pf0", "web1", false, r);
	assert_ok(r);
	result_clear(r);
	fake_switch_set_unbind_delay(t->fs, FAKE_UNBIND_NEVER); /* the host never answers... */
	fake_switch_hold(t->fs, FMP_OP_UNBIND, FAKE_HOLD_DROP); /* ...nor does the switch */
	unassign(t, "mr0/pf0", FMP_UNBIND_MANAGED, false, 50, false, r);
	assert_err(r, FM_RPC_E_TIMEOUT);
	result_clear(r);
	assert_int_equal(intent(t, "mr0/pf0")->state, FM_STORE_BOUND);
}

/* A BIND whose answer is lost, but which the switch carried out, is acknowledged as done. */
static void test_lost_bind_answer_asks_switch(void **state)
{
	struct env *t = *state;
	struct fm_store_binding b;
	struct result *r = &t->res[0];

	start(t);
	fake_switch_hold(t->fs, FMP_OP_BIND, FAKE_HOLD_DROP); /* bound, never answered */
	assign(t, "mr0/pf0", "web2", false, r);
	assert_ok(r);
	assert_string_equal(jstr(r->obj, "state"), "bound");
	assert_int_equal(jint(r->obj, "vppb"), 0);
	result_clear(r);
	assert_true(fake_switch_count(t->fs, FMP_OP_GET_VH) >= 1);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_MR0, 0, -1, &b), 0);
	assert_int_equal(b.state, FM_STORE_BOUND);
	assert_int_equal(b.vppb, 0);
	assert_int_equal(fake_switch_state(t->fs, 3, 0, FMP_VF_NONE, NULL, NULL), FMP_BIND_BOUND);
}

/* Runs an assign (a) or unassign (u) to its answer, with r taking the store's commits and
 * reader's committed audit records at that moment; returns the commits made before it. */
static uint64_t answered(struct env *t, struct result *r, struct fm_store *reader,
			 const struct fm_assign_req *a, const struct fm_unassign_req *u)
{
	uint64_t c0 = fm_store_commits(t->d.store);

	memset(r, 0, sizeof(*r));
	r->store = t->d.store;
	r->reader = reader;
	if (a)
		fm_engine_assign(t->d.engine, a, on_done, r);
	else
		fm_engine_unassign(t->d.engine, u, on_done, r);
	assert_true(run_until(t, result_done, r));
	return r->commits - c0;
}

/* Issue 20 item 2, issue 19 item 8: an assign alone costs one commit (one fsync) before its
 * answer — the intent (binding) with the call's audit record — and its `bound` confirmation
 * rides the next group commit; the answered call's audit record is on disk (read through a
 * second connection) when the answer goes. The same for an unassign, and for a refusal. */
static void test_one_commit_per_answer(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];
	struct fm_store_binding b;
	struct fm_store *reader;
	char err[256];
	uint64_t c0;
	const char *params = "{\"function\":\"nic0/pf0/vf2\",\"host\":\"web1\"}";
	struct fm_store_audit audit = {.uid = 1000, .gid = 1000, .pid = 42, .method = "assign",
				       .params = params};
	struct fm_assign_req req = {.function = "nic0/pf0/vf2", .host = "web1", .audit = &audit};
	struct fm_unassign_req ureq = {.function = "nic0/pf0/vf2", .mode = FMP_UNBIND_SURPRISE,
				       .audit = &audit};

	start(t);
	assert_int_equal(fm_store_open(t->db, &reader, err, sizeof(err)), 0);

	c0 = fm_store_commits(t->d.store);
	assert_int_equal(answered(t, r, reader, &req, NULL), 1);
	assert_ok(r);
	assert_string_equal(jstr(r->obj, "state"), "bound");
	assert_string_equal(jstr(r->obj, "switch"), "confirmed");
	assert_int_equal(r->audit_rows, 1);
	assert_string_equal(r->audit_result, "ok");
	assert_string_equal(r->audit_params, params);
	/* what is on disk when the answer goes: the intent, as binding */
	assert_int_equal(store_row(reader, FAKE_DSN_NIC0, 0, 2, &b), 0);
	assert_int_equal(b.state, FM_STORE_BINDING);
	assert_true(run_until(t, idle, NULL));
	assert_int_equal(fm_store_commits(t->d.store) - c0, 2); /* + the confirmation */
	assert_int_equal(store_row(reader, FAKE_DSN_NIC0, 0, 2, &b), 0);
	assert_int_equal(b.state, FM_STORE_BOUND);
	result_clear(r);

	audit.method = "unassign";
	c0 = fm_store_commits(t->d.store);
	assert_int_equal(answered(t, r, reader, NULL, &ureq), 1);
	assert_ok(r);
	assert_string_equal(jstr(r->obj, "state"), "free");
	assert_int_equal(r->audit_rows, 2);
	assert_string_equal(r->audit_result, "ok");
	assert_true(run_until(t, idle, NULL));
	assert_int_equal(fm_store_commits(t->d.store) - c0, 2);
	assert_int_equal(store_row(reader, FAKE_DSN_NIC0, 0, 2, &b), -ENOENT);
	result_clear(r);

	/* a switch's refusal: the intent and the record in one commit, then the undo with the
	 * record's result, before the answer */
	audit.method = "assign";
	fake_switch_inject(t->fs, FMP_OP_BIND, FMP_E_INJECTED);
	assert_int_equal(answered(t, r, reader, &req, NULL), 2);
	assert_err(r, FM_RPC_E_SWITCH_ERROR);
	assert_int_equal(r->audit_rows, 3);
	assert_string_equal(r->audit_result, "switch-error");
	assert_string_equal(r->audit_params, params);
	result_clear(r);

	/* refused before anything is written: the record alone, committed before the answer */
	req.function = "nic0/pf9";
	assert_int_equal(answered(t, r, reader, &req, NULL), 1);
	assert_err(r, FM_RPC_E_NO_SUCH_FUNCTION);
	assert_int_equal(r->audit_rows, 4);
	assert_string_equal(r->audit_result, "no-such-function");
	result_clear(r);
	fm_store_close(reader);
}

static bool reread_done(struct env *t, void *arg)
{
	(void)arg;
	return fake_switch_count(t->fs, FMP_OP_GET_PORTS) >= 1 && rack1(t)->discovered;
}

static bool mr0_pf0_bound(struct env *t, void *arg)
{
	(void)arg;
	return fake_switch_state(t->fs, 3, 0, FMP_VF_NONE, NULL, NULL) == FMP_BIND_BOUND &&
	       idle(t, NULL);
}

/* Issue 16: a reconciliation that finds an operation queued on a function leaves it to that
 * operation, and settles it once the operation is done — here, an unassign that fails while
 * the switch lost the binding: the intent (bound again) is re-applied, not left missing. */
static void test_reconcile_returns_after_failed_op(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];
	struct fm_unassign_req req = {.function = "mr0/pf0", .mode = FMP_UNBIND_MANAGED,
				      .timeout_ms = 1500};

	start(t);
	assign(t, "mr0/pf0", "web1", false, r);
	assert_ok(r);
	result_clear(r);
	fake_switch_set_unbind_delay(t->fs, FAKE_UNBIND_NEVER); /* the host never lets go */
	fm_engine_unassign(t->d.engine, &req, on_done, r);
	assert_true(run_until(t, unbind_waiting, NULL));
	/* the binding vanishes behind fabricd's back, and a link-up makes it read the chassis
	 * again while the unassign still waits */
	fake_switch_card(t->fs, 3)->pfs[0].pf.state = FMP_BIND_UNBOUND;
	fake_switch_reset_counts(t->fs);
	emit_link(t, 1, true);
	assert_true(run_until(t, reread_done, NULL));
	assert_false(r->done);
	assert_true(run_until(t, result_done, r)); /* the host did not answer in time */
	assert_err(r, FM_RPC_E_TIMEOUT);
	result_clear(r);
	fake_switch_set_unbind_delay(t->fs, 0);
	/* the intent holds (bound), so the switch gets it back */
	assert_true(run_until(t, mr0_pf0_bound, NULL));
	assert_int_equal(intent(t, "mr0/pf0")->state, FM_STORE_BOUND);
}

/* Issue 16: a CHASSIS: prefix naming no chassis is no-such-chassis, not a missing function
 * or host; a known prefix still resolves. */
static void test_unknown_chassis_prefix(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];

	start(t);
	assign(t, "rackX:nic0/pf0/vf1", "web1", false, r);
	assert_err(r, FM_RPC_E_NO_SUCH_CHASSIS);
	assert_non_null(strstr(r->msg, "rackX"));
	result_clear(r);
	assign(t, "nic0/pf0/vf1", "rackX:web1", false, r);
	assert_err(r, FM_RPC_E_NO_SUCH_CHASSIS);
	result_clear(r);
	unassign(t, "rackX:mr0/pf0", FMP_UNBIND_SURPRISE, false, 0, false, r);
	assert_err(r, FM_RPC_E_NO_SUCH_CHASSIS);
	result_clear(r);
	assign(t, "rack1:nic0/pf0/vf9", "web1", false, r);
	assert_err(r, FM_RPC_E_NO_SUCH_FUNCTION);
	result_clear(r);
	assign(t, "rack1:nic0/pf0/vf1", "rack1:web1", false, r);
	assert_ok(r);
	result_clear(r);
}

/* ---- QoS ------------------------------------------------------------------------------------ */

static void assign_qos(struct env *t, const char *fn, const char *host, uint32_t min, uint32_t max,
		       struct result *r)
{
	struct fm_assign_req req = {.function = fn, .host = host, .min_mbps = min, .max_mbps = max};

	memset(r, 0, sizeof(*r));
	fm_engine_assign(t->d.engine, &req, on_done, r);
	assert_true(run_until(t, result_done, r));
	assert_true(run_until(t, idle, NULL));
}

/* set_min/set_max: -1 leaves it */
static void set_qos(struct env *t, const char *fn, long min, long max, struct result *r)
{
	struct fm_qos_req req = {.function = fn, .set_min = min >= 0, .set_max = max >= 0,
				 .min_mbps = min >= 0 ? (uint32_t)min : 0,
				 .max_mbps = max >= 0 ? (uint32_t)max : 0};

	memset(r, 0, sizeof(*r));
	fm_engine_set_qos(t->d.engine, &req, on_done, r);
	assert_true(run_until(t, result_done, r));
	assert_true(run_until(t, idle, NULL));
}

/* The fake switch's floor/cap of nic0/pf0/vfN, as "min/max". */
static const char *sw_qos(struct env *t, uint16_t vf)
{
	static char buf[32];
	uint32_t min = 0, max = 0;

	assert_true(fake_switch_qos(t->fs, 1, 0, vf, &min, &max));
	snprintf(buf, sizeof(buf), "%u/%u", min, max);
	return buf;
}

static double jqos(const struct result *r, const char *key)
{
	return json_object_get_double(jget(jget(r->obj, "qos"), key));
}

/* An assign with a floor and cap: stored, then set on the switch; admission control on the
 * card's own link (nic0 trains x4 at 2.5 GT/s: 8 Gb/s after 8b/10b) refuses 1 Mb/s over and
 * takes the exact fit; qos changes one of the two, checked the same; a function not
 * assigned has no QoS to change. */
static void test_qos_assign_and_change(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];
	struct fm_store_binding b;

	start(t);
	assign_qos(t, "nic0/pf0/vf0", "web1", 3000, 5000, r);
	assert_ok(r);
	assert_true(jqos(r, "min_gbps") == 3.0);
	assert_true(jqos(r, "max_gbps") == 5.0);
	assert_string_equal(jstr(jget(r->obj, "qos"), "switch"), "confirmed");
	assert_string_equal(sw_qos(t, 0), "3000/5000");
	assert_int_equal(intent(t, "nic0/pf0/vf0")->min_mbps, 3000);
	assert_int_equal(intent(t, "nic0/pf0/vf0")->max_mbps, 5000);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_NIC0, 0, 0, &b), 0);
	assert_int_equal(b.min_mbps, 3000);
	assert_int_equal(b.max_mbps, 5000);
	result_clear(r);

	/* 3 promised on the card, 5.001 more does not fit: nothing bound, nothing stored */
	fake_switch_reset_counts(t->fs);
	assign_qos(t, "nic0/pf0/vf1", "web2", 5001, 0, r);
	assert_err(r, FM_RPC_E_QOS_OVERCOMMIT);
	assert_string_equal(r->msg, "card nic0's link carries 8 Gb/s (x4 at 2.5 GT/s, 8b/10b): 3 Gb/s "
				    "of floors already promised on it, 5.001 Gb/s asked for nic0/pf0/vf1");
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 0);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_NIC0, 0, 1, &b), -ENOENT);
	result_clear(r);
	assign_qos(t, "nic0/pf0/vf1", "web2", 5000, 0, r);
	assert_ok(r);
	assert_string_equal(sw_qos(t, 1), "5000/0");
	result_clear(r);

	/* qos: the floor up by 1 Mb/s is refused, down is taken; the cap alone keeps the floor */
	set_qos(t, "nic0/pf0/vf1", 5001, -1, r);
	assert_err(r, FM_RPC_E_QOS_OVERCOMMIT);
	assert_string_equal(sw_qos(t, 1), "5000/0");
	assert_int_equal(intent(t, "nic0/pf0/vf1")->min_mbps, 5000);
	result_clear(r);
	set_qos(t, "nic0/pf0/vf1", 4000, -1, r);
	assert_ok(r);
	assert_true(jbool(r->obj, "changed"));
	assert_string_equal(jstr(r->obj, "host"), "web2");
	assert_string_equal(sw_qos(t, 1), "4000/0");
	result_clear(r);
	set_qos(t, "nic0/pf0/vf1", -1, 9000, r);
	assert_ok(r);
	assert_string_equal(sw_qos(t, 1), "4000/9000");
	result_clear(r);
	set_qos(t, "nic0/pf0/vf1", -1, 9000, r);
	assert_ok(r);
	assert_false(jbool(r->obj, "changed"));
	result_clear(r);
	set_qos(t, "nic0/pf0/vf1", -1, 3000, r); /* the cap below the floor */
	assert_err(r, FM_RPC_E_BAD_PARAMS);
	assert_string_equal(sw_qos(t, 1), "4000/9000");
	result_clear(r);
	/* assign again with other QoS: only the QoS changes */
	fake_switch_reset_counts(t->fs);
	assign_qos(t, "nic0/pf0/vf1", "web2", 1000, 0, r);
	assert_ok(r);
	assert_true(jbool(r->obj, "changed"));
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 0);
	assert_string_equal(sw_qos(t, 1), "1000/0");
	result_clear(r);
	set_qos(t, "nic0/pf0/vf2", 1000, -1, r);
	assert_err(r, FM_RPC_E_BAD_REQUEST);
	assert_non_null(strstr(r->msg, "not assigned"));
	result_clear(r);
	/* the switch refuses: the intent goes back */
	fake_switch_inject(t->fs, FMP_OP_SET_QOS, FMP_E_INJECTED);
	set_qos(t, "nic0/pf0/vf1", 2000, -1, r);
	assert_err(r, FM_RPC_E_SWITCH_ERROR);
	assert_int_equal(intent(t, "nic0/pf0/vf1")->min_mbps, 1000);
	assert_int_equal(store_row(t->d.store, FAKE_DSN_NIC0, 0, 1, &b), 0);
	assert_int_equal(b.min_mbps, 1000);
	result_clear(r);

	/* unassigned: the switch's QoS of the function goes with the binding */
	unassign(t, "nic0/pf0/vf0", FMP_UNBIND_SURPRISE, false, 0, false, r);
	assert_ok(r);
	assert_string_equal(sw_qos(t, 0), "0/0");
	result_clear(r);
}

/* Reconciliation sets the QoS after every (re)discovery: after a switch reboot with the
 * bindings, and when only the QoS was lost with the bindings still in place; and after a
 * fabricd restart from the store. */
static void test_qos_reconciled(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];
	unsigned n = 2;

	start(t);
	assign_qos(t, "nic0/pf0/vf0", "web1", 3000, 5000, r);
	assert_ok(r);
	result_clear(r);
	assign(t, "nic0/pf0/vf1", "web1", false, r);
	assert_ok(r);
	result_clear(r);

	fake_switch_reboot(t->fs); /* bindings, NumVFs and QoS gone */
	assert_true(run_until(t, connected_n, &n));
	assert_int_equal(fake_switch_state(t->fs, 1, 0, 0, NULL, NULL), FMP_BIND_BOUND);
	assert_string_equal(sw_qos(t, 0), "3000/5000");

	/* the binding in place, its QoS gone (behind fabricd's back) */
	fake_switch_card(t->fs, 1)->pfs[0].vf[0].min_mbps = 0;
	fake_switch_reset_counts(t->fs);
	fake_switch_drop(t->fs);
	n = 3;
	assert_true(run_until(t, connected_n, &n));
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_BIND), 0);
	assert_string_equal(sw_qos(t, 0), "3000/5000");
	/* only a binding with QoS is set, once its QoS is known to be on the switch */
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_SET_QOS), 1);

	/* fabricd restarts: the intent's QoS comes back from the store and is set again */
	stop(t);
	fake_switch_reboot(t->fs);
	t->stopped = false;
	start(t);
	assert_int_equal(intent(t, "nic0/pf0/vf0")->min_mbps, 3000);
	assert_string_equal(sw_qos(t, 0), "3000/5000");
	assert_string_equal(sw_qos(t, 1), "0/0");
}

/* A switch without the QoS feature: a floor or cap is refused qos-unsupported before
 * anything changes; a plain assign works as before. */
static void test_qos_unsupported(void **state)
{
	struct env *t = *state;
	struct result *r = &t->res[0];

	fake_switch_set_features(t->fs, 0);
	start(t);
	assert_int_equal(fm_switch_features(link1(t)), 0);
	assign_qos(t, "nic0/pf0/vf0", "web1", 1000, 0, r);
	assert_err(r, FM_RPC_E_QOS_UNSUPPORTED);
	assert_non_null(strstr(r->msg, "does not support QoS"));
	assert_int_equal(fake_switch_state(t->fs, 1, 0, 0, NULL, NULL), FMP_BIND_UNBOUND);
	result_clear(r);
	assign(t, "nic0/pf0/vf0", "web1", false, r);
	assert_ok(r);
	result_clear(r);
	set_qos(t, "nic0/pf0/vf0", -1, 5000, r);
	assert_err(r, FM_RPC_E_QOS_UNSUPPORTED);
	assert_int_equal(intent(t, "nic0/pf0/vf0")->max_mbps, 0);
	assert_int_equal(fake_switch_count(t->fs, FMP_OP_SET_QOS), 0);
	result_clear(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_assign_vf_enables_vfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qos_assign_and_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qos_reconciled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_qos_unsupported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assign_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assign_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exclusive_card_moves_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_free_vppb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vf_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_assign_any, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_function_serialized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_queued_op_after_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_error_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unassign_managed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unassign_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unassign_force, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intents_persisted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_reapplies_intent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_unexpected_adopt_then_remove, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reconnect_and_reboot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binding_follows_card, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reapply_failure_keeps_intent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_moves_binding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_move_keeps_intent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_with_queued_op, setup, teardown),
		cmocka_unit_test_setup_teardown(test_detached_intent_frees_vppb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_failure_cleanup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discovery_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unassign_waits_for_discovery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_for_discovery_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_progress_unbind_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_reuses_vppb_before_unbind_answer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lost_unbind_answer_asks_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_bind_answer_asks_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_deleted_refuses_mutations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention_prunes_in_background, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discovery_rides_out_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discovery_gives_up_then_reconnects, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_one_commit_per_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconcile_returns_after_failed_op, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unknown_chassis_prefix, setup, teardown),
	};

	if (getenv("FM_TEST_ONLY")) /* a glob of test names, e.g. "test_reconcile*" */
		cmocka_set_test_filter(getenv("FM_TEST_ONLY"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
