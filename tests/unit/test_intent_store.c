/* Unit tests of manager/intent_store.c: durability across reopen and crash, group commit,
 * schema versioning and refusal of foreign files. Each test works in its own mkdtemp dir. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "intent_store.h"

struct ctx {
	char dir[64];
	char path[128];
};

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	const char *tmp = getenv("TMPDIR");

	if (!c)
		return -1;
	snprintf(c->dir, sizeof(c->dir), "%s/fmstore-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	if (!mkdtemp(c->dir)) {
		free(c);
		return -1;
	}
	snprintf(c->path, sizeof(c->path), "%s/%s", c->dir, FM_STORE_FILENAME);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	nftw(c->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(c);
	return 0;
}

static struct fm_store *open_ok(const char *path)
{
	char err[512] = "";
	struct fm_store *s = NULL;
	int rc = fm_store_open(path, &s, err, sizeof(err));

	if (rc)
		print_error("fm_store_open: %s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(s);
	return s;
}

static struct fm_store_binding mk_binding(const char *chassis, const char *serial, int pf, int vf,
					  const char *host, int vppb, enum fm_store_state st)
{
	struct fm_store_binding b = { .pf = pf, .vf = vf, .vppb = vppb, .state = st };

	snprintf(b.chassis, sizeof(b.chassis), "%s", chassis);
	snprintf(b.card_serial, sizeof(b.card_serial), "%s", serial);
	snprintf(b.host, sizeof(b.host), "%s", host);
	return b;
}

static struct fm_store_key key_of(const struct fm_store_binding *b)
{
	return (struct fm_store_key){ b->chassis, b->card_serial, b->pf, b->vf };
}

/* Completion log: every callback appends (tag, rc). */
struct done_log {
	int n;
	int tag[256];
	int rc[256];
};

struct done_arg {
	struct done_log *log;
	int tag;
};

static void on_done(void *arg, int rc)
{
	struct done_arg *a = arg;

	assert_true(a->log->n < 256);
	a->log->tag[a->log->n] = a->tag;
	a->log->rc[a->log->n] = rc;
	a->log->n++;
}

static int count_binding(void *arg, const struct fm_store_binding *b)
{
	(void)b;
	(*(int *)arg)++;
	return 0;
}

static int count_audit(void *arg, const struct fm_store_audit *a)
{
	(void)a;
	(*(int *)arg)++;
	return 0;
}

struct ev_seen {
	int n;
	int64_t seq[256];
	char name[256][32];
};

static int collect_event(void *arg, const struct fm_store_event *e)
{
	struct ev_seen *v = arg;

	if (v->n < 256) {
		v->seq[v->n] = e->seq;
		snprintf(v->name[v->n], sizeof(v->name[0]), "%s", e->name);
	}
	v->n++;
	return 0;
}

/* A second connection, as another process would see the file. */
static int64_t count_rows_outside(const char *path, const char *table)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char sql[128];
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_reopen_keeps_everything(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s = open_ok(c->path);
	struct fm_store_binding b1 = mk_binding("rack1", "00-1b-21-ff-ff-2b-46-e0", 0, 3, "web1", 2,
						FM_STORE_BOUND);
	struct fm_store_binding b2 = mk_binding("rack1", "2b-0a-50-31-8c-38-25-00", 0, -1, "db1", -1,
						FM_STORE_BINDING);
	struct fm_store_audit a = { .uid = 0, .pid = 1234, .gid = 0, .method = "assign",
				    .params = "{\"function\":\"nic0/pf0/vf3\",\"host\":\"web1\"}",
				    .result = "ok", .message = "assigned" };
	struct fm_store_event e = { .name = "function-assigned", .chassis = "rack1", .slot = 3,
				    .card = "nic0", .function = "nic0/pf0/vf3", .host = "web1",
				    .vppb = 2, .detail = "{\"dry_run\":false}" };
	struct fm_store_binding got;
	struct fm_store_key k1 = key_of(&b1), k2 = key_of(&b2);
	struct ev_seen ev = { 0 };
	int64_t seq1 = -1, seq2 = -1, last;
	int n = 0;

	assert_int_equal(fm_store_event_last_seq(s), 0);
	assert_int_equal(fm_store_binding_put(s, &b1, NULL, NULL), 0);
	assert_int_equal(fm_store_binding_put(s, &b2, NULL, NULL), 0);
	assert_int_equal(fm_store_audit_append(s, &a, NULL, NULL), 0);
	assert_int_equal(fm_store_event_append(s, &e, &seq1, NULL, NULL), 0);
	assert_int_equal(seq1, 0); /* not handed out before the commit */
	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(seq1, 1);
	fm_store_close(s);

	s = open_ok(c->path);
	assert_int_equal(fm_store_binding_get(s, &k1, &got), 0);
	assert_string_equal(got.host, "web1");
	assert_int_equal(got.vppb, 2);
	assert_int_equal(got.vf, 3);
	assert_int_equal(got.state, FM_STORE_BOUND);
	assert_true(got.created_ms > 0 && got.updated_ms >= got.created_ms);
	assert_int_equal(fm_store_binding_get(s, &k2, &got), 0);
	assert_int_equal(got.vppb, -1);
	assert_int_equal(got.vf, -1);
	assert_int_equal(got.state, FM_STORE_BINDING);
	assert_int_equal(fm_store_binding_list(s, count_binding, &n), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(fm_store_audit_list(s, 0, 0, count_audit, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(fm_store_event_list(s, 0, 0, collect_event, &ev), 0);
	assert_int_equal(ev.n, 1);
	assert_int_equal(ev.seq[0], 1);
	assert_string_equal(ev.name[0], "function-assigned");

	/* seq keeps climbing across reopen */
	last = fm_store_event_last_seq(s);
	assert_int_equal(last, 1);
	e.name = "link-down";
	assert_int_equal(fm_store_event_append(s, &e, &seq2, NULL, NULL), 0);
	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(seq2, 2);
	fm_store_close(s);

	/* and again, even once every event row is gone (AUTOINCREMENT) */
	{
		sqlite3 *db;
		assert_int_equal(sqlite3_open(c->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db, "DELETE FROM events", NULL, NULL, NULL), SQLITE_OK);
		sqlite3_close(db);
	}
	s = open_ok(c->path);
	assert_int_equal(fm_store_event_last_seq(s), 2);
	assert_int_equal(fm_store_event_append(s, &e, &seq2, NULL, NULL), 0);
	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(seq2, 3);
	fm_store_close(s);
}

static void test_audit_fields_and_limit(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s = open_ok(c->path);
	struct fm_store_audit a = { .uid = 1000, .pid = 42, .gid = 27, .method = "unassign",
				    .params = "{\"function\":\"slot3/pf1\"}", .result = "not-found" };
	int n = 0;

	for (int i = 0; i < 5; i++) {
		a.time_ms = 1000 + i;
		assert_int_equal(fm_store_audit_append(s, &a, NULL, NULL), 0);
	}
	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(fm_store_audit_list(s, 1003, 0, count_audit, &n), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(fm_store_audit_list(s, 0, 3, count_audit, &n), 0);
	assert_int_equal(n, 3);
	/* params must be JSON */
	a.params = "{not json";
	assert_int_equal(fm_store_audit_append(s, &a, NULL, NULL), -EINVAL);
	assert_int_equal(fm_store_pending(s), 0);
	fm_store_close(s);
}

static void test_group_commit_100(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s = open_ok(c->path);
	struct done_log log = { 0 };
	struct done_arg args[100];
	int64_t seqs[100] = { 0 };
	int nb = 0, na = 0;
	struct ev_seen ev = { 0 };

	for (int i = 0; i < 100; i++) {
		char serial[32], host[32];
		args[i] = (struct done_arg){ &log, i };
		snprintf(serial, sizeof(serial), "sn-%03d", i / 3);
		snprintf(host, sizeof(host), "h%d", i);
		switch (i % 3) {
		case 0: {
			struct fm_store_binding b = mk_binding("rack1", serial, 0, i, host, -1,
							       FM_STORE_BINDING);
			assert_int_equal(fm_store_binding_put(s, &b, on_done, &args[i]), 0);
			break;
		}
		case 1: {
			struct fm_store_event e = { .name = "function-assigned", .slot = -1, .vppb = -1 };
			assert_int_equal(fm_store_event_append(s, &e, &seqs[i], on_done, &args[i]), 0);
			break;
		}
		default: {
			struct fm_store_audit a = { .method = "assign", .result = "ok" };
			assert_int_equal(fm_store_audit_append(s, &a, on_done, &args[i]), 0);
		}
		}
	}
	assert_int_equal(fm_store_pending(s), 100);
	assert_int_equal(log.n, 0);

	/* Our own reads see the staged bindings; another connection sees nothing yet, so
	 * nothing was committed piecemeal. Events stay hidden until durable. */
	assert_int_equal(fm_store_binding_list(s, count_binding, &nb), 0);
	assert_int_equal(nb, 34);
	assert_int_equal(count_rows_outside(c->path, "bindings"), 0);
	assert_int_equal(count_rows_outside(c->path, "audit"), 0);
	assert_int_equal(fm_store_event_list(s, 0, 0, collect_event, &ev), 0);
	assert_int_equal(ev.n, 0);

	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(fm_store_pending(s), 0);
	assert_int_equal(log.n, 100);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(log.tag[i], i);
		assert_int_equal(log.rc[i], 0);
	}
	for (int i = 1, want = 1; i < 100; i += 3, want++)
		assert_int_equal(seqs[i], want);
	assert_int_equal(count_rows_outside(c->path, "bindings"), 34);
	assert_int_equal(fm_store_event_last_seq(s), 33);
	fm_store_close(s);

	s = open_ok(c->path);
	nb = 0;
	assert_int_equal(fm_store_binding_list(s, count_binding, &nb), 0);
	assert_int_equal(nb, 34);
	assert_int_equal(fm_store_audit_list(s, 0, 0, count_audit, &na), 0);
	assert_int_equal(na, 33);
	assert_int_equal(fm_store_event_list(s, 30, 0, collect_event, &ev), 0);
	assert_int_equal(ev.n, 3);
	assert_int_equal(ev.seq[0], 31);
	assert_int_equal(ev.seq[2], 33);
	ev.n = 0;
	assert_int_equal(fm_store_event_list(s, 0, 5, collect_event, &ev), 0);
	assert_int_equal(ev.n, 5);
	fm_store_close(s);
}

static void test_flush_nothing_is_noop(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s = open_ok(c->path);
	struct fm_store_key k = { "rack1", "sn-x", 0, -1 };
	struct done_log log = { 0 };
	struct done_arg arg = { &log, 7 };
	sqlite3 *db;

	assert_int_equal(fm_store_pending(s), 0);
	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(fm_store_flush(NULL), -EINVAL);

	/* A refused write stages nothing, never calls back, and holds no write lock. */
	assert_int_equal(fm_store_binding_set_state(s, &k, FM_STORE_BOUND, on_done, &arg), -ENOENT);
	assert_non_null(strstr(fm_store_last_error(s), "sn-x"));
	assert_int_equal(fm_store_binding_delete(s, &k, on_done, &arg), -ENOENT);
	assert_int_equal(fm_store_pending(s), 0);
	assert_int_equal(sqlite3_open(c->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE; ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(log.n, 0);
	fm_store_close(s);
	fm_store_close(NULL);
}

static void test_binding_lifecycle(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s = open_ok(c->path);
	struct fm_store_binding a = mk_binding("rack1", "SN-A", 0, 0, "web1", 1, FM_STORE_BINDING);
	struct fm_store_binding b = mk_binding("rack1", "SN-A", 0, 1, "web2", 1, FM_STORE_BINDING);
	struct fm_store_binding d = mk_binding("rack2", "SN-B", 1, -1, "web1", 1, FM_STORE_BOUND);
	struct fm_store_key ka = key_of(&a);
	struct fm_store_binding got;
	enum fm_store_state st;
	int n;

	assert_int_equal(fm_store_binding_put(s, &a, NULL, NULL), 0);
	assert_int_equal(fm_store_binding_put(s, &b, NULL, NULL), 0);
	assert_int_equal(fm_store_binding_put(s, &d, NULL, NULL), 0);

	/* put on an existing key updates it (same function, moved vPPB) */
	a.vppb = 4;
	assert_int_equal(fm_store_binding_put(s, &a, NULL, NULL), 0);
	assert_int_equal(fm_store_binding_get(s, &ka, &got), 0);
	assert_int_equal(got.vppb, 4);

	/* one function per vPPB of a host on a chassis */
	b.host[3] = '1'; /* web1 */
	b.vppb = 4;
	assert_int_equal(fm_store_binding_put(s, &b, NULL, NULL), -EEXIST);

	assert_int_equal(fm_store_binding_set_state(s, &ka, FM_STORE_BOUND, NULL, NULL), 0);
	assert_int_equal(fm_store_binding_set_state(s, &ka, (enum fm_store_state)9, NULL, NULL),
			 -EINVAL);
	assert_int_equal(fm_store_binding_get(s, &ka, &got), 0);
	assert_int_equal(got.state, FM_STORE_BOUND);

	n = 0;
	assert_int_equal(fm_store_binding_list_host(s, "web1", count_binding, &n), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(fm_store_binding_list_chassis(s, "rack1", count_binding, &n), 0);
	assert_int_equal(n, 2);
	n = 0;
	assert_int_equal(fm_store_binding_list_host(s, "nobody", count_binding, &n), 0);
	assert_int_equal(n, 0);

	assert_int_equal(fm_store_binding_delete(s, &ka, NULL, NULL), 0);
	assert_int_equal(fm_store_binding_get(s, &ka, &got), -ENOENT);
	assert_int_equal(fm_store_flush(s), 0);

	/* bad arguments */
	a.pf = -1;
	assert_int_equal(fm_store_binding_put(s, &a, NULL, NULL), -EINVAL);
	a.pf = 0;
	a.host[0] = '\0';
	assert_int_equal(fm_store_binding_put(s, &a, NULL, NULL), -EINVAL);
	memset(a.chassis, 'x', sizeof(a.chassis));
	assert_int_equal(fm_store_binding_put(s, &a, NULL, NULL), -EINVAL);
	assert_int_equal(fm_store_pending(s), 0);

	assert_string_equal(fm_store_state_name(FM_STORE_UNBINDING), "unbinding");
	assert_null(fm_store_state_name((enum fm_store_state)4));
	assert_int_equal(fm_store_state_parse("detached", &st), 0);
	assert_int_equal(st, FM_STORE_DETACHED);
	assert_int_equal(fm_store_state_parse("gone", &st), -EINVAL);
	fm_store_close(s);
}

struct restage {
	struct fm_store *s;
	int calls;
};

static void restage_done(void *arg, int rc)
{
	struct restage *r = arg;
	struct fm_store_audit a = { .method = "follow-up", .result = "ok" };

	assert_int_equal(rc, 0);
	r->calls++;
	assert_int_equal(fm_store_audit_append(r->s, &a, NULL, NULL), 0);
}

static void test_callback_stages_next_batch(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s = open_ok(c->path);
	struct restage r = { s, 0 };
	struct fm_store_audit a = { .method = "assign", .result = "ok" };
	struct done_log log = { 0 };
	struct done_arg arg = { &log, 1 };

	assert_int_equal(fm_store_audit_append(s, &a, restage_done, &r), 0);
	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(fm_store_pending(s), 1);
	assert_int_equal(count_rows_outside(c->path, "audit"), 1);
	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(count_rows_outside(c->path, "audit"), 2);

	/* close flushes what is still staged and calls back */
	assert_int_equal(fm_store_audit_append(s, &a, on_done, &arg), 0);
	fm_store_close(s);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.rc[0], 0);
	assert_int_equal(count_rows_outside(c->path, "audit"), 3);
}

/* Children open the store, write, and _exit without closing: a process crash. The child
 * reports through a pipe, not its exit status, which valgrind rewrites when it finds the
 * store's memory still allocated at _exit (as it must be, here). */
static void child_write(int fd, const char *path, const char *serial, int flush)
{
	char err[256], rc = 'E';
	struct fm_store *s = NULL;
	struct fm_store_binding b = mk_binding("rack1", serial, 0, -1, "web1", -1, FM_STORE_BINDING);

	if (fm_store_open(path, &s, err, sizeof(err)) == 0 &&
	    fm_store_binding_put(s, &b, NULL, NULL) == 0 && (!flush || fm_store_flush(s) == 0))
		rc = 'K';
	if (write(fd, &rc, 1) != 1)
		_exit(1);
	_exit(0);
}

static void run_child(const char *path, const char *serial, int flush)
{
	int status = 0, p[2];
	char rc = 0;
	pid_t pid;

	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		child_write(p[1], path, serial, flush);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &rc, 1), 1);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(rc, 'K');
}

static void test_crash_consistency(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s;
	struct fm_store_binding got;
	struct fm_store_key flushed = { "rack1", "SN-FLUSHED", 0, -1 };
	struct fm_store_key staged = { "rack1", "SN-STAGED", 0, -1 };

	run_child(c->path, "SN-FLUSHED", 1);
	run_child(c->path, "SN-STAGED", 0);

	s = open_ok(c->path);
	assert_int_equal(fm_store_binding_get(s, &flushed, &got), 0);
	assert_string_equal(got.host, "web1");
	assert_int_equal(fm_store_binding_get(s, &staged, &got), -ENOENT);
	fm_store_close(s);
}

struct runs_seen {
	int n;
	struct fm_store_hook_run r[8];
	char hook[8][32];
};

static int collect_run(void *arg, const struct fm_store_hook_run *r)
{
	struct runs_seen *v = arg;

	if (v->n < 8) {
		v->r[v->n] = *r;
		snprintf(v->hook[v->n], sizeof(v->hook[0]), "%s", r->hook);
		v->r[v->n].hook = v->hook[v->n];
		v->r[v->n].event = NULL;
	}
	v->n++;
	return 0;
}

static int check_identity(void *arg, const struct fm_store_event *e)
{
	(void)arg;
	assert_string_equal(e->serial, "00-1b-21-ff-ff-2b-46-e0");
	assert_string_equal(e->vendor, "8086");
	assert_string_equal(e->device, "10ed");
	return 0;
}

/* Hook delivery: marks, runs started then finished, survive a reopen; events keep the card
 * identity hooks are given. */
static void test_hook_delivery(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s = open_ok(c->path);
	struct fm_store_event e = {.name = "card-removed", .slot = 1, .vppb = -1,
				   .serial = "00-1b-21-ff-ff-2b-46-e0", .vendor = "8086", .device = "10ed"};
	struct fm_store_hook_run r = {.hook = "10-log", .seq = 1, .event = "card-removed",
				      .kind = FM_STORE_RUN_NOTIFY};
	struct runs_seen seen = {0};
	int64_t seq = 0, id1 = 0, id2 = 0, mark = -1;

	assert_int_equal(fm_store_hook_mark_get(s, "10-log", &mark), -ENOENT);
	assert_int_equal(fm_store_event_append(s, &e, &seq, NULL, NULL), 0);
	assert_int_equal(fm_store_hook_mark_put(s, "10-log", 0, NULL, NULL), 0);
	assert_int_equal(fm_store_hook_run_start(s, &r, &id1, NULL, NULL), 0);
	r.hook = "20-veto";
	r.redelivery = true;
	assert_int_equal(fm_store_hook_run_start(s, &r, &id2, NULL, NULL), 0);
	assert_int_equal(fm_store_flush(s), 0);
	assert_true(id1 > 0 && id2 > id1);
	r.id = id1;
	r.duration_ms = 12;
	r.exit_code = -1;
	r.signal = 9;
	r.timed_out = true;
	r.truncated = true;
	r.dropped = 1000;
	assert_int_equal(fm_store_hook_run_finish(s, &r, NULL, NULL), 0);
	assert_int_equal(fm_store_hook_mark_put(s, "10-log", 1, NULL, NULL), 0);
	r.id = 999;
	assert_int_equal(fm_store_hook_run_finish(s, &r, NULL, NULL), -ENOENT);
	assert_int_equal(fm_store_flush(s), 0);
	fm_store_close(s);

	s = open_ok(c->path);
	assert_int_equal(fm_store_hook_mark_get(s, "10-log", &mark), 0);
	assert_int_equal(mark, 1);
	assert_int_equal(fm_store_event_list(s, 0, 0, check_identity, NULL), 0);
	assert_int_equal(fm_store_hook_run_list(s, 0, 0, 0, collect_run, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.hook[0], "10-log");
	assert_int_equal(seen.r[0].duration_ms, 12);
	assert_int_equal(seen.r[0].exit_code, -1);
	assert_int_equal(seen.r[0].signal, 9);
	assert_true(seen.r[0].timed_out && seen.r[0].truncated && !seen.r[0].redelivery);
	assert_int_equal(seen.r[0].dropped, 1000);
	assert_string_equal(seen.hook[1], "20-veto");
	assert_int_equal(seen.r[1].duration_ms, -1); /* started, never finished */
	assert_true(seen.r[1].redelivery);
	assert_int_equal(seen.r[1].kind, FM_STORE_RUN_NOTIFY);
	seen.n = 0;
	assert_int_equal(fm_store_hook_run_list(s, 0, id1, 0, collect_run, &seen), 0);
	assert_int_equal(seen.n, 1);
	seen.n = 0;
	assert_int_equal(fm_store_hook_run_list(s, 1, 0, 0, collect_run, &seen), 0);
	assert_int_equal(seen.n, 0);
	fm_store_close(s);
}

static void test_newer_version_refused(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s = open_ok(c->path);
	struct fm_store *s2 = NULL;
	char sql[64], err[512] = "", want[32];
	sqlite3 *db;

	fm_store_close(s);
	assert_int_equal(sqlite3_open(c->path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", FM_STORE_SCHEMA_VERSION + 5);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	assert_int_equal(fm_store_open(c->path, &s2, err, sizeof(err)), -ENOTSUP);
	assert_null(s2);
	assert_non_null(strstr(err, c->path));
	snprintf(want, sizeof(want), "version %d", FM_STORE_SCHEMA_VERSION + 5);
	assert_non_null(strstr(err, want));
	snprintf(want, sizeof(want), "version %d", FM_STORE_SCHEMA_VERSION);
	assert_non_null(strstr(err, want));
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void test_garbage_refused(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s = NULL;
	char err[512] = "";
	char big[8192];
	const char *small = "chassis: rack1\nslots: []\n";

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = "not a database, just text\n"[i % 26];
	write_file(c->path, big, sizeof(big));
	assert_int_equal(fm_store_open(c->path, &s, err, sizeof(err)), -EBADMSG);
	assert_null(s);
	assert_non_null(strstr(err, c->path));
	assert_non_null(strstr(err, "not a SQLite database"));

	err[0] = '\0';
	write_file(c->path, small, strlen(small));
	assert_int_equal(fm_store_open(c->path, &s, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, c->path));

	/* a directory where the file should be */
	assert_int_equal(remove(c->path), 0);
	assert_int_equal(mkdir(c->path, 0700), 0);
	err[0] = '\0';
	assert_true(fm_store_open(c->path, &s, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, c->path));
	assert_int_equal(rmdir(c->path), 0);

	assert_int_equal(fm_store_open(NULL, &s, err, sizeof(err)), -EINVAL);
}

/* A store with a few hundred audit rows (many pages), closed: the WAL is checkpointed. */
static off_t make_filled_store(const char *path)
{
	struct fm_store *s = open_ok(path);
	struct fm_store_audit a = { .uid = 1000, .pid = 42, .gid = 27, .method = "assign",
				    .params = "{\"function\":\"nic0/pf0/vf0\",\"host\":\"host01\"}",
				    .result = "ok" };
	struct stat sb;

	for (int i = 0; i < 400; i++) {
		a.time_ms = 1000 + i;
		assert_int_equal(fm_store_audit_append(s, &a, NULL, NULL), 0);
	}
	assert_int_equal(fm_store_flush(s), 0);
	fm_store_close(s);
	assert_int_equal(stat(path, &sb), 0);
	assert_true(sb.st_size >= 8 * 4096);
	return sb.st_size;
}

/* A truncated or corrupted database is refused at open (quick_check), with the path and a
 * hint, not found out by the first write a caller would be told had failed, or worse, by a
 * read that silently misses rows. */
static void test_corrupt_or_truncated_refused(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s = NULL;
	char err[512] = "", junk[4096];
	off_t size = make_filled_store(c->path);
	int fd;

	assert_int_equal(truncate(c->path, size / 2), 0);
	assert_int_equal(fm_store_open(c->path, &s, err, sizeof(err)), -EBADMSG);
	assert_null(s);
	assert_non_null(strstr(err, c->path));
	assert_non_null(strstr(err, "corrupt"));

	assert_int_equal(remove(c->path), 0);
	size = make_filled_store(c->path);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 131 + 7);
	fd = open(c->path, O_WRONLY);
	assert_true(fd >= 0);
	/* a page in the middle: the header (page 1) still reads fine */
	assert_int_equal(pwrite(fd, junk, sizeof(junk), (size / 4096 / 2) * 4096), (ssize_t)sizeof(junk));
	close(fd);
	err[0] = '\0';
	assert_int_equal(fm_store_open(c->path, &s, err, sizeof(err)), -EBADMSG);
	assert_null(s);
	assert_non_null(strstr(err, c->path));
	assert_non_null(strstr(err, "corrupt"));
}

static void test_migrate_from_empty(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s;
	sqlite3 *db;
	sqlite3_stmt *st;
	struct stat sb;

	write_file(c->path, "", 0); /* version 0: an empty file */
	s = open_ok(c->path);
	fm_store_close(s);

	assert_int_equal(stat(c->path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(sqlite3_open(c->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), FM_STORE_SCHEMA_VERSION);
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
					    " AND name IN ('bindings', 'audit', 'events')",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 3);
	sqlite3_finalize(st);
	sqlite3_close(db);

	/* a missing file is created the same way */
	assert_int_equal(remove(c->path), 0);
	s = open_ok(c->path);
	fm_store_close(s);
	assert_int_equal(count_rows_outside(c->path, "bindings"), 0);
}

/* A store written by the schema-2 fabricd (tests/data/store/v2.sql, its sqlite3 .dump) is
 * migrated on open: its bindings kept, with no floor and no cap, and a binding's QoS is
 * stored and read back from then on, across a reopen. */
static void test_migrate_from_v2(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s;
	struct fm_store_binding got, b;
	struct fm_store_key k = { "rack1", "00-1b-21-ff-ff-2b-46-e0", 0, 3 };
	sqlite3 *db;
	sqlite3_stmt *st;
	char *sql = NULL, *errmsg = NULL;
	size_t len = 0;
	FILE *f = fopen(FABRIC_SOURCE_DIR "/tests/data/store/v2.sql", "r");

	assert_non_null(f);
	assert_true(getdelim(&sql, &len, '\0', f) > 0);
	fclose(f);
	assert_int_equal(sqlite3_open(c->path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &errmsg) != SQLITE_OK)
		fail_msg("loading v2.sql: %s", errmsg);
	free(sql);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 2);
	sqlite3_finalize(st);
	sqlite3_close(db);

	s = open_ok(c->path);
	assert_int_equal(fm_store_binding_get(s, &k, &got), 0);
	assert_string_equal(got.host, "web1");
	assert_int_equal(got.vppb, 0);
	assert_int_equal(got.state, FM_STORE_BOUND);
	assert_int_equal(got.min_mbps, 0);
	assert_int_equal(got.max_mbps, 0);
	assert_int_equal(count_rows_outside(c->path, "bindings"), 2);

	b = got;
	b.min_mbps = 2500;
	b.max_mbps = UINT32_MAX;
	assert_int_equal(fm_store_binding_put(s, &b, NULL, NULL), 0);
	assert_int_equal(fm_store_flush(s), 0);
	/* a state change keeps the QoS */
	assert_int_equal(fm_store_binding_set_state(s, &k, FM_STORE_DETACHED, NULL, NULL), 0);
	assert_int_equal(fm_store_flush(s), 0);
	fm_store_close(s);

	s = open_ok(c->path);
	assert_int_equal(fm_store_binding_get(s, &k, &got), 0);
	assert_int_equal(got.state, FM_STORE_DETACHED);
	assert_int_equal(got.min_mbps, 2500);
	assert_int_equal(got.max_mbps, UINT32_MAX);
	fm_store_close(s);

	assert_int_equal(sqlite3_open(c->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), FM_STORE_SCHEMA_VERSION);
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* COMMIT fails when the WAL cannot grow (RLIMIT_FSIZE): the whole batch rolls back, every
 * callback gets the error, no seq is handed out, and the store carries on afterwards. */
static void test_commit_failure_rolls_back(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s = open_ok(c->path);
	struct fm_store_binding b = mk_binding("rack1", "SN-LOST", 0, -1, "web1", -1,
					       FM_STORE_BINDING);
	struct fm_store_key k = key_of(&b);
	struct fm_store_event e = { .name = "function-assigned", .slot = -1, .vppb = -1 };
	struct fm_store_binding got;
	struct done_log log = { 0 };
	struct done_arg args[3] = { { &log, 0 }, { &log, 1 }, { &log, 2 } };
	struct rlimit old, lim;
	struct sigaction ign = { .sa_handler = SIG_IGN }, oldsa;
	int64_t seq = -1, seq_ok = -1;
	int rc;

	/* one committed event first, so the next seq is 2 */
	assert_int_equal(fm_store_event_append(s, &e, &seq_ok, NULL, NULL), 0);
	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(seq_ok, 1);

	assert_int_equal(fm_store_binding_put(s, &b, on_done, &args[0]), 0);
	assert_int_equal(fm_store_event_append(s, &e, &seq, on_done, &args[1]), 0);
	assert_int_equal(fm_store_binding_set_state(s, &k, FM_STORE_BOUND, on_done, &args[2]), 0);

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(sigaction(SIGXFSZ, &ign, &oldsa), 0);
	lim = old;
	lim.rlim_cur = 0;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = fm_store_flush(s);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(sigaction(SIGXFSZ, &oldsa, NULL), 0);

	/* issue 19: reported as what it is, a store failure, not a crash by SIGXFSZ */
	assert_int_equal(rc, -EFBIG);
	assert_true(fm_store_error_unavailable(rc));
	assert_non_null(strstr(fm_store_last_error(s), "File too large"));
	assert_int_equal(fm_store_available(s), 0); /* not for good: the limit may go */
	assert_int_equal(log.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(log.tag[i], i);
		assert_int_equal(log.rc[i], rc);
	}
	assert_int_equal(seq, 0);
	assert_int_equal(fm_store_pending(s), 0);
	assert_int_equal(fm_store_event_last_seq(s), 1);
	assert_int_equal(fm_store_binding_get(s, &k, &got), -ENOENT);

	/* the store still works; the unpublished seq 2 is free again */
	assert_int_equal(fm_store_event_append(s, &e, &seq, NULL, NULL), 0);
	assert_int_equal(fm_store_binding_put(s, &b, NULL, NULL), 0);
	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(seq, 2);
	fm_store_close(s);

	s = open_ok(c->path);
	assert_int_equal(fm_store_binding_get(s, &k, &got), 0);
	assert_int_equal(fm_store_event_last_seq(s), 2);
	fm_store_close(s);
}

/* Issue 19: the database file deleted (or another put in its place) while the store is open
 * went unnoticed, and every later write was acknowledged into the orphaned file, lost at
 * the next start. The flush notices before COMMIT: the batch fails, later writes too, reads
 * go on. */
static void file_gone_refuses_writes(struct ctx *c, bool replace)
{
	struct fm_store *s = open_ok(c->path);
	struct fm_store_binding a = mk_binding("rack1", "SN-A", 0, -1, "web1", 0, FM_STORE_BOUND);
	struct fm_store_binding b = mk_binding("rack1", "SN-B", 0, -1, "web1", 1, FM_STORE_BINDING);
	struct fm_store_key ka = key_of(&a), kb = key_of(&b);
	struct fm_store_event e = { .name = "function-assigned", .slot = -1, .vppb = -1 };
	struct fm_store_binding got;
	struct done_log log = { 0 };
	struct done_arg arg = { &log, 7 };
	struct fm_store_audit au = { .method = "assign", .result = "ok" };
	int64_t seq = -1;
	int n = 0;

	assert_int_equal(fm_store_binding_put(s, &a, NULL, NULL), 0);
	assert_int_equal(fm_store_event_append(s, &e, NULL, NULL, NULL), 0);
	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(fm_store_available(s), 0);

	if (replace) {
		char other[160];
		struct fm_store *o;

		snprintf(other, sizeof(other), "%s/other.db", c->dir);
		o = open_ok(other);
		fm_store_close(o);
		assert_int_equal(rename(other, c->path), 0);
	} else {
		assert_int_equal(unlink(c->path), 0);
	}

	/* staged as usual (the batch is checked at its flush), then refused with the batch */
	assert_int_equal(fm_store_binding_put(s, &b, on_done, &arg), 0);
	assert_int_equal(fm_store_event_append(s, &e, &seq, on_done, &arg), 0);
	assert_int_equal(fm_store_flush(s), -ESTALE);
	assert_int_equal(log.n, 2);
	assert_int_equal(log.rc[0], -ESTALE);
	assert_int_equal(log.rc[1], -ESTALE);
	assert_int_equal(seq, 0);
	assert_int_equal(fm_store_available(s), -ESTALE);
	assert_true(fm_store_error_unavailable(-ESTALE));
	assert_non_null(strstr(fm_store_last_error(s), "deleted or replaced"));

	/* every later write is refused at once, whatever it is */
	assert_int_equal(fm_store_binding_put(s, &b, NULL, NULL), -ESTALE);
	assert_int_equal(fm_store_binding_delete(s, &ka, NULL, NULL), -ESTALE);
	assert_int_equal(fm_store_audit_append(s, &au, NULL, NULL), -ESTALE);
	assert_int_equal(fm_store_event_append(s, &e, NULL, NULL, NULL), -ESTALE);
	assert_int_equal(fm_store_pending(s), 0);
	assert_int_equal(fm_store_flush(s), 0);

	/* reads go on from the file opened */
	assert_int_equal(fm_store_binding_get(s, &ka, &got), 0);
	assert_int_equal(fm_store_binding_get(s, &kb, &got), -ENOENT);
	assert_int_equal(fm_store_binding_list(s, count_binding, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(fm_store_event_last_seq(s), 1);
	fm_store_close(s);
}

static void test_deleted_file_refuses_writes(void **state)
{
	file_gone_refuses_writes(*state, false);
}

static void test_replaced_file_refuses_writes(void **state)
{
	file_gone_refuses_writes(*state, true);
}

/* ---- retention (issue 20: the audit and event tables grew without bound) ---------------- */

static int first_audit_id(void *arg, const struct fm_store_audit *a)
{
	int64_t *first = arg;

	if (!*first)
		*first = a->id;
	return 0;
}

/* Appends n audit records and n events with time_ms t0, t0 + step... */
static void fill_history(struct fm_store *s, int n, int64_t t0, int64_t step)
{
	struct fm_store_audit a = { .uid = 0, .method = "assign", .result = "ok" };
	struct fm_store_event e = { .name = "function-assigned", .slot = -1, .vppb = -1 };

	for (int i = 0; i < n; i++) {
		a.time_ms = e.time_ms = t0 + i * step;
		assert_int_equal(fm_store_audit_append(s, &a, NULL, NULL), 0);
		assert_int_equal(fm_store_event_append(s, &e, NULL, NULL, NULL), 0);
	}
	assert_int_equal(fm_store_flush(s), 0);
}

/* Prunes to the end, one batch per call as the daemon's timer does; returns the calls. */
static int prune_all(struct fm_store *s, const struct fm_store_retention *r, int64_t now,
		     unsigned batch, int *deleted)
{
	int calls = 0, n;

	*deleted = 0;
	do {
		n = fm_store_prune(s, r, now, batch, NULL, NULL);
		assert_true(n >= 0);
		/* at most batch rows of each table per call: the loop is never held long */
		assert_true(n <= 2 * (int)batch);
		*deleted += n;
		calls++;
		assert_int_equal(fm_store_flush(s), 0);
	} while (n >= (int)batch && calls < 100);
	return calls;
}

static void test_prune_by_count(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s = open_ok(c->path);
	struct fm_store_retention r = { .audit_rows = 300, .event_rows = 100 };
	struct fm_store_event e = { .name = "card-added", .slot = -1, .vppb = -1 };
	struct ev_seen v = { 0 };
	int64_t first = 0, seq = 0;
	int n = 0, deleted;

	fill_history(s, 1000, 1000, 1);
	assert_true(prune_all(s, &r, 5000, 256, &deleted) > 1);
	assert_int_equal(deleted, 700 + 900);
	assert_int_equal(count_rows_outside(c->path, "audit"), 300);
	assert_int_equal(count_rows_outside(c->path, "events"), 100);
	/* the newest are kept */
	assert_int_equal(fm_store_audit_list(s, 0, 0, first_audit_id, &first), 0);
	assert_int_equal(first, 701);
	assert_int_equal(fm_store_event_list(s, 0, 0, collect_event, &v), 0);
	assert_int_equal(v.n, 100);
	assert_int_equal(v.seq[0], 901);
	assert_int_equal(fm_store_event_last_seq(s), 1000);
	/* nothing more to do: nothing staged, nothing held */
	assert_int_equal(fm_store_prune(s, &r, 5000, 256, NULL, NULL), 0);
	assert_int_equal(fm_store_pending(s), 0);
	/* a seq is never handed out twice */
	assert_int_equal(fm_store_event_append(s, &e, &seq, NULL, NULL), 0);
	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(seq, 1001);
	assert_int_equal(fm_store_audit_list(s, 0, 0, count_audit, &n), 0);
	assert_int_equal(n, 300);
	fm_store_close(s);
}

static void test_prune_by_age(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s = open_ok(c->path);
	const int64_t day = 86400000;
	int64_t now = 100 * day;
	struct fm_store_retention r = { .max_age_ms = 30 * day };
	struct fm_store_event e = { .name = "card-added", .slot = -1, .vppb = -1 };
	int64_t seq = 0;
	int n = 0, deleted;

	/* 60 days of history, one record and one event every 12 hours */
	fill_history(s, 120, now - 60 * day, day / 2);
	prune_all(s, &r, now, 16, &deleted);
	/* what is 30 days old or newer stays: t >= now - 30 days */
	assert_int_equal(deleted, 2 * 60);
	assert_int_equal(fm_store_audit_list(s, 0, 0, count_audit, &n), 0);
	assert_int_equal(n, 60);
	assert_int_equal(count_rows_outside(c->path, "events"), 60);

	/* every event old enough goes; the next seq still follows the last one handed out,
	 * in this run and after a restart */
	prune_all(s, &r, now + 31 * day, 64, &deleted);
	assert_int_equal(count_rows_outside(c->path, "events"), 0);
	assert_int_equal(count_rows_outside(c->path, "audit"), 0);
	assert_int_equal(fm_store_event_last_seq(s), 120);
	assert_int_equal(fm_store_event_append(s, &e, &seq, NULL, NULL), 0);
	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(seq, 121);
	prune_all(s, &(struct fm_store_retention){ .event_rows = 1 }, now, 8, &deleted);
	fm_store_close(s);
	s = open_ok(c->path);
	assert_int_equal(fm_store_event_last_seq(s), 121);
	assert_int_equal(fm_store_event_append(s, &e, &seq, NULL, NULL), 0);
	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(seq, 122);
	fm_store_close(s);
}

/* Pruning is a write of the batch: with other writes staged it commits with them. */
static void test_prune_in_the_batch(void **state)
{
	struct ctx *c = *state;
	struct fm_store *s = open_ok(c->path);
	struct fm_store_retention none = { 0 }, r = { .audit_rows = 100 };
	struct fm_store_binding b = mk_binding("rack1", "SN-P", 0, -1, "web1", 0, FM_STORE_BOUND);
	struct done_log log = { 0 };
	struct done_arg arg = { &log, 3 };

	fill_history(s, 150, 1000, 1);
	assert_int_equal(fm_store_prune(s, &none, 5000, 256, NULL, NULL), 0);
	assert_int_equal(fm_store_pending(s), 0);
	assert_int_equal(fm_store_binding_put(s, &b, NULL, NULL), 0);
	assert_int_equal(fm_store_prune(s, &r, 5000, 256, on_done, &arg), 50);
	assert_int_equal(fm_store_pending(s), 2);
	assert_int_equal(count_rows_outside(c->path, "audit"), 150); /* not committed yet */
	assert_int_equal(fm_store_flush(s), 0);
	assert_int_equal(log.n, 1);
	assert_int_equal(log.rc[0], 0);
	assert_int_equal(count_rows_outside(c->path, "audit"), 100);
	assert_int_equal(count_rows_outside(c->path, "events"), 150);
	assert_int_equal(count_rows_outside(c->path, "bindings"), 1);
	assert_int_equal(fm_store_prune(s, &r, 5000, 0, NULL, NULL), -EINVAL);
	fm_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reopen_keeps_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_fields_and_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_group_commit_100, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_nothing_is_noop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binding_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_stages_next_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_consistency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_version_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hook_delivery, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_or_truncated_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migrate_from_v2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_failure_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_file_refuses_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaced_file_refuses_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_by_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_by_age, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_in_the_batch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
