/* Unit tests for manager/control.c: a real unix socket in a mkdtemp dir, driven by libuv clients
 * on the same loop (and a forked blocking client where another uid is needed). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <uv.h>

#include "control.h"

#define NOBODY 65534
#define MAX_GOT 16

struct tctx;

/* A test client on the test's loop: collects the lines it receives, parsed. */
struct tcli {
	struct tctx *t;
	uv_pipe_t pipe;
	uv_connect_t creq;
	bool inited, connected, eof, closed;
	int connect_status;
	char *in;
	size_t inlen, incap;
	struct json_object *got[MAX_GOT];
	size_t ngot;
	void (*on_connect)(struct tcli *c);
	void (*on_line)(struct tcli *c);
	void (*on_eof)(struct tcli *c);
};

struct tctx {
	uv_loop_t loop;
	char dir[64];
	char path[160];
	struct fm_ctl *ctl;
	struct fm_ctl_config cfg;
	uv_timer_t watchdog, timer;
	uv_check_t check;
	uv_signal_t sigchld;
	bool (*until)(struct tctx *t);
	void (*then)(struct tctx *t);
	struct tcli cli[2];
	bool finished, timed_out;

	/* handler side */
	struct fm_rpc_call *held; /* a "slow" call waiting for its answer */
	int reply_rc;
	int replay_rc;
	uint64_t sub_id;
	int denied;
	uid_t denied_uid;
	char denied_method[32];
	char denied_reason[256];
	char denied_params[256];

	/* per-test observations */
	size_t conns_seen;
	int looks;
	int notified[2];
	bool found_before, found_after;
	int dropped_at;
	size_t subs_after_flood;
	void *cookie_after_free;
	pid_t child;
	int child_status;
	bool child_done;
	size_t queued_seen;
	int bigs;
	char log[512]; /* the last thing fm_ctl logged */
	int logged;
};

/* ---- helpers ---------------------------------------------------------------------------- */

static struct json_object *jpath(struct json_object *o, const char *path)
{
	char buf[128], *save = NULL, *key;

	snprintf(buf, sizeof(buf), "%s", path);
	for (key = strtok_r(buf, ".", &save); key && o; key = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
	return o;
}

static const char *jstr(struct json_object *o, const char *path)
{
	struct json_object *v = jpath(o, path);

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

static int64_t jint(struct json_object *o, const char *path)
{
	struct json_object *v = jpath(o, path);

	return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -999999;
}

static void close_if_open(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void cli_closed(uv_handle_t *h)
{
	struct tcli *c = h->data;

	c->closed = true;
}

static void cli_close(struct tcli *c)
{
	if (c->inited && !uv_is_closing((uv_handle_t *)&c->pipe))
		uv_close((uv_handle_t *)&c->pipe, cli_closed);
}

/* Ends the test: closes everything so uv_run returns. */
static void finish(struct tctx *t)
{
	if (t->finished)
		return;
	t->finished = true;
	for (size_t i = 0; i < 2; i++)
		cli_close(&t->cli[i]);
	close_if_open((uv_handle_t *)&t->watchdog);
	close_if_open((uv_handle_t *)&t->timer);
	close_if_open((uv_handle_t *)&t->check);
	close_if_open((uv_handle_t *)&t->sigchld);
	fm_ctl_free(t->ctl);
	t->ctl = NULL;
}

static void on_watchdog(uv_timer_t *h)
{
	struct tctx *t = h->data;

	t->timed_out = true;
	finish(t);
}

static void run(struct tctx *t)
{
	uv_timer_start(&t->watchdog, on_watchdog, 10000, 0);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	assert_false(t->timed_out);
}

/* Waits, without polling, for a condition the server changes from an I/O callback: the check
 * phase follows every poll. */
static void on_check(uv_check_t *h)
{
	struct tctx *t = h->data;
	void (*then)(struct tctx *) = t->then;

	if (t->finished || !t->until(t))
		return;
	uv_check_stop(h);
	t->then = NULL;
	then(t);
}

static void wait_until(struct tctx *t, bool (*until)(struct tctx *), void (*then)(struct tctx *))
{
	if (until(t)) {
		then(t);
		return;
	}
	t->until = until;
	t->then = then;
	uv_check_start(&t->check, on_check);
}

static void cli_alloc(uv_handle_t *h, size_t sz, uv_buf_t *buf)
{
	struct tcli *c = h->data;

	if (c->incap - c->inlen < sz) {
		c->incap = c->inlen + sz;
		c->in = realloc(c->in, c->incap);
		assert_non_null(c->in);
	}
	*buf = uv_buf_init(c->in + c->inlen, (unsigned)(c->incap - c->inlen));
}

static void cli_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct tcli *c = s->data;
	char *nl;

	(void)buf;
	if (n < 0) {
		c->eof = true;
		if (c->on_eof)
			c->on_eof(c);
		return;
	}
	c->inlen += (size_t)n;
	while ((nl = memchr(c->in, '\n', c->inlen)) != NULL) {
		size_t len = (size_t)(nl - c->in) + 1;

		*nl = '\0';
		if (c->ngot < MAX_GOT)
			c->got[c->ngot++] = json_tokener_parse(c->in);
		memmove(c->in, c->in + len, c->inlen - len);
		c->inlen -= len;
		if (c->on_line)
			c->on_line(c);
	}
}

static void cli_on_connect(uv_connect_t *req, int status)
{
	struct tcli *c = req->data;

	c->connect_status = status;
	if (status < 0) {
		finish(c->t);
		return;
	}
	c->connected = true;
	uv_read_start((uv_stream_t *)&c->pipe, cli_alloc, cli_read);
	if (c->on_connect)
		c->on_connect(c);
}

static void cli_connect(struct tctx *t, struct tcli *c, void (*on_connect)(struct tcli *),
			void (*on_line)(struct tcli *))
{
	c->t = t;
	c->on_connect = on_connect;
	c->on_line = on_line;
	uv_pipe_init(&t->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->creq.data = c;
	c->inited = true;
	uv_pipe_connect(&c->creq, &c->pipe, t->path, cli_on_connect);
}

struct cli_write {
	uv_write_t req;
	bool close_after;
	char data[];
};

static void cli_written(uv_write_t *req, int status)
{
	struct cli_write *w = (struct cli_write *)req;
	struct tcli *c = req->handle->data;

	(void)status;
	if (w->close_after)
		cli_close(c);
	free(w);
}

static void cli_write(struct tcli *c, const char *text, bool close_after)
{
	size_t len = strlen(text);
	struct cli_write *w = malloc(sizeof(*w) + len);
	uv_buf_t b;

	assert_non_null(w);
	memcpy(w->data, text, len);
	w->close_after = close_after;
	b = uv_buf_init(w->data, (unsigned)len);
	assert_int_equal(uv_write(&w->req, (uv_stream_t *)&c->pipe, &b, 1, cli_written), 0);
}

static void cli_send(struct tcli *c, const char *text)
{
	cli_write(c, text, false);
}

/* ---- the server's methods --------------------------------------------------------------- */

static void m_read(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct json_object *r = json_object_new_object();

	(void)ctx;
	json_object_object_add(r, "echo", json_object_get(params));
	fm_rpc_reply_result(call, r);
}

static void m_mutate(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct json_object *r = json_object_new_object();

	(void)params;
	(void)ctx;
	json_object_object_add(r, "mutated", json_object_new_boolean(1));
	fm_rpc_reply_result(call, r);
}

/* A small request with a 16 KB answer. */
static void m_big(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct tctx *t = ctx;
	struct json_object *r = json_object_new_object();
	char *blob = malloc(16385);

	(void)params;
	t->bigs++;
	memset(blob, 'x', 16384);
	blob[16384] = '\0';
	json_object_object_add(r, "blob", json_object_new_string(blob));
	free(blob);
	fm_rpc_reply_result(call, r);
}

/* Answered later, by whoever the test says. */
static void m_slow(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct tctx *t = ctx;

	(void)params;
	assert_null(t->held);
	t->held = call;
}

static void answer_held(uv_timer_t *h)
{
	struct tctx *t = h->data;
	struct json_object *r = json_object_new_object();

	json_object_object_add(r, "slow", json_object_new_boolean(1));
	t->reply_rc = fm_rpc_reply_result(t->held, r);
	t->held = NULL;
}

/* Answers now, then lets the loop answer the held slow call: out of order by construction. */
static void m_fast(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct tctx *t = ctx;
	struct json_object *r = json_object_new_object();

	(void)params;
	json_object_object_add(r, "fast", json_object_new_boolean(1));
	fm_rpc_reply_result(call, r);
	if (t->held)
		uv_timer_start(&t->timer, answer_held, 0, 0);
}

/* API.md subscribe: the result, then the stored history, then live events. */
static void m_subscribe(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct tctx *t = ctx;
	struct fm_ctl_conn *h = fm_ctl_subscribe(call);
	struct json_object *r = json_object_new_object(), *ev;

	(void)params;
	t->sub_id = h ? fm_ctl_conn_id(h) : 0;
	json_object_object_add(r, "schema", json_object_new_int(1));
	json_object_object_add(r, "last_seq", json_object_new_int(0));
	fm_rpc_reply_result(call, r);
	ev = json_object_new_object();
	json_object_object_add(ev, "seq", json_object_new_int(0));
	json_object_object_add(ev, "replay", json_object_new_boolean(1));
	t->replay_rc = fm_ctl_notify(h, "event", ev);
	json_object_put(ev);
}

static const struct fm_rpc_method methods[] = {
	{ "read", 0, m_read },
	{ "big", 0, m_big },
	{ "mutate", FM_RPC_MUTATING, m_mutate },
	{ "slow", 0, m_slow },
	{ "fast", 0, m_fast },
	{ "subscribe", 0, m_subscribe },
};

static void on_denied(void *ctx, const struct fm_rpc_peer *peer, const char *method,
		      struct json_object *params, const char *reason)
{
	struct tctx *t = ctx;

	snprintf(t->denied_params, sizeof(t->denied_params), "%s",
		 params ? json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN) : "");

	t->denied++;
	t->denied_uid = peer->uid;
	snprintf(t->denied_method, sizeof(t->denied_method), "%s", method);
	snprintf(t->denied_reason, sizeof(t->denied_reason), "%s", reason);
}

static void on_log(void *ctx, const char *msg)
{
	struct tctx *t = ctx;

	t->logged++;
	snprintf(t->log, sizeof(t->log), "%s", msg);
}

/* ---- fixture ---------------------------------------------------------------------------- */

static int setup(void **state)
{
	struct tctx *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	strcpy(t->dir, "/tmp/test_control.XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->path, sizeof(t->path), "%s/fabricd.sock", t->dir);
	uv_loop_init(&t->loop);
	uv_timer_init(&t->loop, &t->watchdog);
	uv_timer_init(&t->loop, &t->timer);
	uv_check_init(&t->loop, &t->check);
	uv_signal_init(&t->loop, &t->sigchld);
	t->watchdog.data = t->timer.data = t->check.data = t->sigchld.data = t;
	t->cfg.path = t->path;
	t->cfg.mode = 0660;
	t->cfg.daemon_uid = getuid();
	t->cfg.methods = methods;
	t->cfg.n_methods = sizeof(methods) / sizeof(methods[0]);
	t->cfg.ctx = t;
	t->cfg.denied = on_denied;
	t->cfg.log = on_log;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tctx *t = *state;
	struct stat st;

	finish(t);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&t->loop), 0);
	/* fm_ctl_free unlinked the socket: the directory is empty again. */
	assert_int_equal(lstat(t->path, &st), -1);
	assert_int_equal(rmdir(t->dir), 0);
	for (size_t i = 0; i < 2; i++) {
		for (size_t k = 0; k < t->cli[i].ngot; k++)
			json_object_put(t->cli[i].got[k]);
		free(t->cli[i].in);
	}
	free(t);
	return 0;
}

static void start(struct tctx *t)
{
	char err[256] = "";
	int rc = fm_ctl_new(&t->loop, &t->cfg, &t->ctl, err, sizeof(err));

	if (rc)
		fail_msg("fm_ctl_new: %d %s", rc, err);
}

/* ---- requests and access ---------------------------------------------------------------- */

static void read_connected(struct tcli *c)
{
	cli_send(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"read\",\"params\":{\"x\":42}}\n");
}

static void read_answered(struct tcli *c)
{
	c->t->conns_seen = fm_ctl_connections(c->t->ctl);
	finish(c->t);
}

static void test_read_method(void **state)
{
	struct tctx *t = *state;

	start(t);
	assert_int_equal(fm_ctl_connections(t->ctl), 0);
	cli_connect(t, &t->cli[0], read_connected, read_answered);
	run(t);
	assert_int_equal(t->cli[0].ngot, 1);
	assert_int_equal(jint(t->cli[0].got[0], "id"), 1);
	assert_int_equal(jint(t->cli[0].got[0], "result.echo.x"), 42);
	assert_int_equal(t->conns_seen, 1);
}

static void mutate_connected(struct tcli *c)
{
	cli_send(c, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"mutate\"}\n");
}

static void finish_on_line(struct tcli *c)
{
	finish(c->t);
}

static void test_mutating_allowed_for_daemon_uid(void **state)
{
	struct tctx *t = *state;

	start(t);
	cli_connect(t, &t->cli[0], mutate_connected, finish_on_line);
	run(t);
	assert_int_equal(t->cli[0].ngot, 1);
	assert_int_equal(jint(t->cli[0].got[0], "id"), 5);
	assert_true(json_object_get_boolean(jpath(t->cli[0].got[0], "result.mutated")));
	assert_int_equal(t->denied, 0);
}

/* Runs in a forked child as uid (when root can become it): a blocking client. Exit 0 when the
 * mutating call was refused and the read call on the same connection still answered. */
static int denied_child(const char *path, uid_t uid)
{
	const char req[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"mutate\",\"params\":{\"x\":7}}\n"
			   "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"read\"}\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[8192], *nl;
	size_t len = 0;
	int fd, lines = 0, ret = 0;
	struct json_object *a, *b;

	if (getuid() == 0 && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
		return 10;
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 11;
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
		return 12;
	while (lines < 2) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			return 13;
		for (ssize_t i = 0; i < n; i++)
			lines += buf[len + (size_t)i] == '\n';
		len += (size_t)n;
	}
	buf[len] = '\0';
	nl = strchr(buf, '\n');
	*nl = '\0';
	a = json_tokener_parse(buf);
	b = json_tokener_parse(nl + 1);
	if (jint(a, "id") != 1 || jint(a, "error.code") != -32000 ||
	    strcmp(jstr(a, "error.data.code"), "permission-denied"))
		ret = 14;
	else if (jint(b, "id") != 2 || !jpath(b, "result"))
		ret = 15;
	json_object_put(a);
	json_object_put(b);
	close(fd);
	return ret;
}

static void on_sigchld(uv_signal_t *h, int sig)
{
	struct tctx *t = h->data;

	(void)sig;
	if (waitpid(t->child, &t->child_status, WNOHANG) == t->child) {
		t->child_done = true;
		finish(t);
	}
}

static void test_mutating_denied_for_other_uid(void **state)
{
	struct tctx *t = *state;
	uid_t peer = getuid() == 0 ? NOBODY : getuid();

	/* The daemon is someone else and no group is configured. */
	t->cfg.daemon_uid = peer + 1;
	if (getuid() == 0) {
		t->cfg.mode = 0666; /* so that nobody can connect */
		assert_int_equal(chmod(t->dir, 0755), 0);
	}
	start(t);
	uv_signal_start(&t->sigchld, on_sigchld, SIGCHLD);
	t->child = fork();
	assert_true(t->child >= 0);
	if (t->child == 0)
		_exit(denied_child(t->path, peer));
	run(t);
	assert_true(t->child_done);
	assert_true(WIFEXITED(t->child_status));
	assert_int_equal(WEXITSTATUS(t->child_status), 0);
	assert_int_equal(t->denied, 1);
	assert_int_equal(t->denied_uid, peer);
	assert_string_equal(t->denied_method, "mutate");
	assert_string_equal(t->denied_params, "{\"x\":7}"); /* audited with what was asked */
	assert_non_null(strstr(t->denied_reason, "neither root nor the daemon's uid"));
}

/* ---- out of order, bad lines ------------------------------------------------------------ */

static void ooo_connected(struct tcli *c)
{
	cli_send(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"slow\"}\n"
		    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"fast\"}\n");
}

static void ooo_line(struct tcli *c)
{
	if (c->ngot == 2)
		finish(c->t);
}

static void test_async_reply_out_of_order(void **state)
{
	struct tctx *t = *state;

	start(t);
	cli_connect(t, &t->cli[0], ooo_connected, ooo_line);
	run(t);
	assert_int_equal(t->cli[0].ngot, 2);
	assert_int_equal(jint(t->cli[0].got[0], "id"), 2);
	assert_true(json_object_get_boolean(jpath(t->cli[0].got[0], "result.fast")));
	assert_int_equal(jint(t->cli[0].got[1], "id"), 1);
	assert_true(json_object_get_boolean(jpath(t->cli[0].got[1], "result.slow")));
	assert_int_equal(t->reply_rc, 0);
	assert_null(t->held);
}

static void bad_connected(struct tcli *c)
{
	char big[400];

	cli_send(c, "this is not json\n");
	snprintf(big, sizeof(big),
		 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"read\",\"params\":{\"pad\":\"%0300d\"}}\n",
		 0);
	cli_send(c, big);
	cli_send(c, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"read\"}\n");
	/* one request split across two writes */
	cli_send(c, "{\"jsonrpc\":\"2.0\",\"id\":4,");
	cli_send(c, "\"method\":\"read\"}\n");
}

static void bad_line(struct tcli *c)
{
	if (c->ngot == 4)
		finish(c->t);
}

static void test_garbage_and_oversized_lines(void **state)
{
	struct tctx *t = *state;
	struct json_object **g = t->cli[0].got;

	t->cfg.line_max = 128;
	start(t);
	cli_connect(t, &t->cli[0], bad_connected, bad_line);
	run(t);
	assert_int_equal(t->cli[0].ngot, 4);
	assert_int_equal(jint(g[0], "error.code"), -32700);
	assert_string_equal(jstr(g[0], "error.data.code"), "parse-error");
	assert_true(json_object_object_get_ex(g[0], "id", NULL));
	assert_null(jpath(g[0], "id"));
	assert_int_equal(jint(g[1], "error.code"), -32600);
	assert_string_equal(jstr(g[1], "error.data.code"), "bad-request");
	assert_int_equal(jint(g[1], "error.data.limit"), 128);
	assert_int_equal(jint(g[2], "id"), 3);
	assert_non_null(jpath(g[2], "result"));
	assert_int_equal(jint(g[3], "id"), 4);
	assert_non_null(jpath(g[3], "result"));
}

/* ---- disconnects with calls pending ----------------------------------------------------- */

static void slow_then_close(struct tcli *c)
{
	cli_write(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"slow\"}\n", true);
}

static bool held_and_client_gone(struct tctx *t)
{
	return t->held && t->cli[0].closed;
}

static bool no_connections(struct tctx *t)
{
	return fm_ctl_connections(t->ctl) == 0;
}

static void answer_to_nobody(struct tctx *t)
{
	answer_held(&t->timer);
	wait_until(t, no_connections, finish);
}

static void test_client_gone_with_call_pending(void **state)
{
	struct tctx *t = *state;

	start(t);
	cli_connect(t, &t->cli[0], slow_then_close, NULL);
	wait_until(t, held_and_client_gone, answer_to_nobody);
	run(t);
	/* Queued, then the write failed (EPIPE) and the connection was dropped. */
	assert_true(t->reply_rc == 0 || t->reply_rc == -ENOTCONN);
	assert_null(t->held);
}

static bool held(struct tctx *t)
{
	return t->held != NULL;
}

static bool second_look(struct tctx *t)
{
	return t->looks++ > 0;
}

static void answer_now(struct tctx *t)
{
	answer_held(&t->timer);
}

/* One more loop iteration: its poll reads the EOF that is already waiting in the kernel. */
static void answer_after_eof(struct tctx *t)
{
	wait_until(t, second_look, answer_now);
}

static void finish_on_eof(struct tcli *c)
{
	finish(c->t);
}

/* A script that writes its request and shuts its side (printf ... | socat) still gets the
 * answer, then the server closes. The request and the EOF are in the kernel before the loop
 * runs, and the answer comes after the server has read both. */
static void test_half_closed_client_gets_answer(void **state)
{
	struct tctx *t = *state;
	const char req[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"slow\"}\n";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct tcli *c = &t->cli[0];
	int fd;

	start(t);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", t->path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(write(fd, req, sizeof(req) - 1), sizeof(req) - 1);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	c->t = t;
	c->on_eof = finish_on_eof;
	uv_pipe_init(&t->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->inited = true;
	assert_int_equal(uv_pipe_open(&c->pipe, fd), 0);
	uv_read_start((uv_stream_t *)&c->pipe, cli_alloc, cli_read);
	wait_until(t, held, answer_after_eof);
	run(t);
	assert_int_equal(t->reply_rc, 0);
	assert_true(c->eof);
	assert_int_equal(c->ngot, 1);
	assert_int_equal(jint(c->got[0], "id"), 1);
	assert_true(json_object_get_boolean(jpath(c->got[0], "result.slow")));
}

static void slow_connected(struct tcli *c)
{
	cli_send(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"slow\"}\n");
}

static void free_while_pending(struct tctx *t)
{
	struct fm_rpc_call *call = t->held;

	finish(t); /* fm_ctl_free */
	t->cookie_after_free = fm_rpc_call_cookie(call);
}

static void test_free_with_call_pending(void **state)
{
	struct tctx *t = *state;
	struct stat st;

	start(t);
	cli_connect(t, &t->cli[0], slow_connected, NULL);
	wait_until(t, held, free_while_pending);
	run(t);
	assert_null(t->cookie_after_free); /* orphaned at once */
	assert_int_equal(lstat(t->path, &st), -1);
	/* The handler's late answer only frees the call. */
	assert_int_equal(fm_rpc_reply_result(t->held, json_object_new_object()), -ENOTCONN);
	t->held = NULL;
}

/* ---- subscriptions ---------------------------------------------------------------------- */

static bool two_connections(struct tctx *t)
{
	return fm_ctl_connections(t->ctl) == 2;
}

static void a_subscribes(struct tctx *t)
{
	cli_send(&t->cli[0], "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscribe\"}\n");
}

static struct json_object *event(int seq)
{
	struct json_object *ev = json_object_new_object();

	json_object_object_add(ev, "seq", json_object_new_int(seq));
	json_object_object_add(ev, "event", json_object_new_string("card-added"));
	return ev;
}

static void a_line(struct tcli *c)
{
	struct tctx *t = c->t;
	struct json_object *ev;

	if (c->ngot == 2) { /* result + replayed history: now a live event */
		ev = event(1);
		t->notified[0] = fm_ctl_notify_all(t->ctl, "event", ev);
		json_object_put(ev);
	} else if (c->ngot == 3) {
		/* If B had been sent the event, it would precede this answer on B's stream. */
		cli_send(&t->cli[1], "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"read\"}\n");
	}
}

static bool no_subscribers(struct tctx *t)
{
	return fm_ctl_subscribers(t->ctl) == 0;
}

static void after_a_left(struct tctx *t)
{
	struct json_object *ev = event(2);

	t->found_after = fm_ctl_conn_find(t->ctl, t->sub_id) != NULL;
	t->notified[1] = fm_ctl_notify_all(t->ctl, "event", ev);
	json_object_put(ev);
	t->conns_seen = fm_ctl_connections(t->ctl);
	finish(t);
}

static void b_line(struct tcli *c)
{
	struct tctx *t = c->t;

	t->found_before = fm_ctl_conn_find(t->ctl, t->sub_id) != NULL;
	cli_close(&t->cli[0]);
	wait_until(t, no_subscribers, after_a_left);
}

static void test_subscribe_and_notify(void **state)
{
	struct tctx *t = *state;
	struct json_object **a = t->cli[0].got;

	start(t);
	cli_connect(t, &t->cli[0], NULL, a_line);
	cli_connect(t, &t->cli[1], NULL, b_line);
	wait_until(t, two_connections, a_subscribes);
	run(t);

	assert_int_equal(t->cli[0].ngot, 3);
	assert_int_equal(jint(a[0], "id"), 1);
	assert_int_equal(jint(a[0], "result.last_seq"), 0);
	assert_int_equal(t->replay_rc, 0);
	assert_false(json_object_object_get_ex(a[1], "id", NULL));
	assert_string_equal(jstr(a[1], "jsonrpc"), "2.0");
	assert_string_equal(jstr(a[1], "method"), "event");
	assert_int_equal(jint(a[1], "params.seq"), 0);
	assert_true(json_object_get_boolean(jpath(a[1], "params.replay")));
	assert_false(json_object_object_get_ex(a[2], "id", NULL));
	assert_string_equal(jstr(a[2], "method"), "event");
	assert_int_equal(jint(a[2], "params.seq"), 1);
	assert_string_equal(jstr(a[2], "params.event"), "card-added");
	assert_int_equal(t->notified[0], 1);

	assert_int_equal(t->cli[1].ngot, 1); /* only its own answer */
	assert_int_equal(jint(t->cli[1].got[0], "id"), 7);

	assert_true(t->found_before);
	assert_false(t->found_after);
	assert_int_equal(t->notified[1], 0);
	assert_int_equal(t->conns_seen, 1);
	assert_int_equal(fm_ctl_notify(NULL, "event", NULL), -ENOTCONN);
}

/* ---- backpressure ----------------------------------------------------------------------- */

#define FLOOD_EVENTS 1024
#define BLOB 16384

static void flood_b_line(struct tcli *c)
{
	finish(c->t);
}

static void flood_a_line(struct tcli *c)
{
	struct tctx *t = c->t;
	struct json_object *ev;
	char *blob;

	if (c->ngot != 2)
		return;
	/* A stops reading; the kernel buffer fills, then the write queue. */
	uv_read_stop((uv_stream_t *)&c->pipe);
	blob = malloc(BLOB + 1);
	memset(blob, 'x', BLOB);
	blob[BLOB] = '\0';
	ev = json_object_new_object();
	json_object_object_add(ev, "blob", json_object_new_string(blob));
	free(blob);
	t->dropped_at = -1;
	for (int i = 0; i < FLOOD_EVENTS; i++) {
		int n = fm_ctl_notify_all(t->ctl, "event", ev);

		if (i == 0)
			t->notified[0] = n;
		if (n == 0) {
			t->dropped_at = i;
			break;
		}
	}
	json_object_put(ev);
	t->subs_after_flood = fm_ctl_subscribers(t->ctl);
	t->conns_seen = fm_ctl_connections(t->ctl);
	/* The other connection is untouched. */
	cli_send(&t->cli[1], "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"read\"}\n");
}

static void test_slow_reader_dropped(void **state)
{
	struct tctx *t = *state;

	t->cfg.write_queue_max = 64 * 1024;
	start(t);
	cli_connect(t, &t->cli[0], NULL, flood_a_line);
	cli_connect(t, &t->cli[1], NULL, flood_b_line);
	wait_until(t, two_connections, a_subscribes);
	run(t);
	assert_int_equal(t->notified[0], 1);
	assert_true(t->dropped_at > 0);
	assert_int_equal(t->subs_after_flood, 0);
	assert_int_equal(t->conns_seen, 1);
	assert_int_equal(t->cli[1].ngot, 1);
	assert_int_equal(jint(t->cli[1].got[0], "id"), 9);
}

/* The same for answers: the drop happens inside jsonrpc's send, with more requests of the same
 * read still to dispatch. */
/* 256 requests of 16 KB, answered with as much; the client stops reading first. */
static void send_padded(struct tcli *c)
{
	size_t one = 16384 + 100, n = 256;
	char *buf = malloc(one * n + 1), *p = buf;

	uv_read_stop((uv_stream_t *)&c->pipe);
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"read\","
			     "\"params\":{\"pad\":\"%016384d\"}}\n", i, 0);
	cli_send(c, buf);
	free(buf);
}

static void flood_requests(struct tcli *c)
{
	send_padded(c);
	wait_until(c->t, no_connections, finish);
}

/* Requests "big" ids from..from+n-1: small requests with 16 KB answers. */
static void big_requests(struct tcli *c, size_t from, size_t n)
{
	char *buf = malloc(n * 64 + 1), *p = buf;

	for (size_t i = from; i < from + n; i++)
		p += sprintf(p, "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"method\":\"big\"}\n", i);
	cli_send(c, buf);
	free(buf);
}

static void test_slow_reader_of_answers_dropped(void **state)
{
	struct tctx *t = *state;

	t->cfg.write_queue_max = 64 * 1024;
	start(t);
	cli_connect(t, &t->cli[0], flood_requests, NULL);
	run(t);
	assert_int_equal(t->cli[0].connect_status, 0);
	assert_int_equal(t->logged, 1);
	assert_non_null(strstr(t->log, "cut off: "));
	assert_non_null(strstr(t->log, "over the limit of 65536 per connection"));
	assert_non_null(strstr(t->log, "uid "));
}

/* ---- load: the global cap, pending calls, stalled lines ---------------------------------- */

/* Thousands of small requests in one read, big answers, never read: once cut off, the rest of
 * what was read is not run (each would render an answer only to throw it away). */
static void flood_small(struct tcli *c)
{
	uv_read_stop((uv_stream_t *)&c->pipe);
	big_requests(c, 0, 2000);
	wait_until(c->t, no_connections, finish);
}

static void test_cut_off_stops_the_feed(void **state)
{
	struct tctx *t = *state;

	t->cfg.write_queue_max = 64 * 1024;
	start(t);
	cli_connect(t, &t->cli[0], flood_small, NULL);
	run(t);
	assert_int_equal(t->logged, 1);
	/* the kernel's socket buffer and 64 KB of queue hold a few dozen answers, not 2000 */
	assert_true(t->bigs > 4);
	assert_true(t->bigs < 500);
}

/* B, reading, is served once A is gone. */
static void b_reads_after(struct tctx *t)
{
	cli_send(&t->cli[1], "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"read\"}\n");
}

static void b_done(struct tcli *c)
{
	c->t->conns_seen = fm_ctl_connections(c->t->ctl);
	c->t->queued_seen = fm_ctl_queued(c->t->ctl);
	finish(c->t);
}

static bool one_connection(struct tctx *t)
{
	return fm_ctl_connections(t->ctl) == 1;
}

static void a_floods(struct tctx *t)
{
	send_padded(&t->cli[0]);
	wait_until(t, one_connection, b_reads_after);
}

/* Under the per-connection limit, over the global one: the peer with most unread is cut. */
static void test_global_output_cap(void **state)
{
	struct tctx *t = *state;

	t->cfg.queued_total_max = 128 * 1024;
	start(t);
	cli_connect(t, &t->cli[0], NULL, NULL);
	cli_connect(t, &t->cli[1], NULL, b_done);
	wait_until(t, two_connections, a_floods);
	run(t);
	assert_int_equal(t->logged, 1);
	assert_non_null(strstr(t->log, "over the limit of 131072"));
	assert_non_null(strstr(t->log, "all connections"));
	assert_int_equal(t->cli[1].ngot, 1);
	assert_int_equal(jint(t->cli[1].got[0], "id"), 9);
	/* what A had queued was released with it (B's answer may still be counted) */
	assert_int_equal(t->conns_seen, 1);
	assert_true(t->queued_seen < 1024);
}

static void slow_then_more(struct tcli *c)
{
	cli_send(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"slow\"}\n"
		    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"slow\"}\n"
		    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"read\"}\n");
}

static void refused_then_answer(struct tcli *c)
{
	struct tctx *t = c->t;

	if (c->ngot == 2) {
		answer_held(&t->timer); /* a slot is free again */
		cli_send(c, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"read\"}\n");
	} else if (c->ngot == 4) {
		finish(t);
	}
}

static void test_pending_calls_limit(void **state)
{
	struct tctx *t = *state;
	struct json_object **g = t->cli[0].got;

	t->cfg.pending_max = 1;
	start(t);
	cli_connect(t, &t->cli[0], slow_then_more, refused_then_answer);
	run(t);
	assert_int_equal(t->cli[0].ngot, 4);
	/* 2 and 3 refused while 1 is pending (its handler never ran: m_slow holds one call) */
	assert_int_equal(jint(g[0], "id"), 2);
	assert_string_equal(jstr(g[0], "error.data.code"), "too-many-calls");
	assert_int_equal(jint(g[0], "error.data.limit"), 1);
	assert_int_equal(jint(g[1], "id"), 3);
	assert_string_equal(jstr(g[1], "error.data.code"), "too-many-calls");
	assert_int_equal(jint(g[2], "id"), 1);
	assert_non_null(jpath(g[2], "result"));
	assert_int_equal(jint(g[3], "id"), 4);
	assert_non_null(jpath(g[3], "result"));
	assert_int_equal(t->logged, 0); /* refused, not cut off */
}

/* Answers piling up unread: reading stops (more requests wait in the kernel, not run), and
 * with nothing read for the stall timeout the peer is cut off. */
static void pile_up(struct tcli *c)
{
	uv_read_stop((uv_stream_t *)&c->pipe);
	big_requests(c, 0, 200); /* 3.2 MB of answers asked in one go, none read */
	wait_until(c->t, no_connections, finish);
}

static void test_paused_then_cut_when_nothing_read(void **state)
{
	struct tctx *t = *state;

	t->cfg.stall_timeout_ms = 200;
	start(t);
	cli_connect(t, &t->cli[0], pile_up, NULL);
	run(t);
	/* held once 256 KB were unread: the rest of what it sent was never run */
	assert_true(t->bigs > 4);
	assert_true(t->bigs < 100);
	assert_int_equal(t->logged, 1);
	assert_non_null(strstr(t->log, "bytes of output unread and none read for 200 ms"));
}

/* A slow reader is paused, not cut: once it reads, the rest of its requests are run. */
static bool some_run(struct tctx *t)
{
	return t->bigs > 4;
}

static void read_now(uv_timer_t *h)
{
	struct tctx *t = h->data;

	t->found_before = t->bigs < 200; /* paused before it read */
	uv_read_start((uv_stream_t *)&t->cli[0].pipe, cli_alloc, cli_read);
}

/* a while later: by then the server has stopped, with most requests not run */
static void start_reading(struct tctx *t)
{
	uv_timer_start(&t->timer, read_now, 100, 0);
}

static void count_answers(struct tcli *c)
{
	if (++c->t->notified[0] == 200)
		finish(c->t);
}

static void ask_then_wait(struct tcli *c)
{
	uv_read_stop((uv_stream_t *)&c->pipe);
	big_requests(c, 0, 200);
	wait_until(c->t, some_run, start_reading);
}

static void test_slow_reader_resumed(void **state)
{
	struct tctx *t = *state;

	start(t);
	cli_connect(t, &t->cli[0], ask_then_wait, count_answers);
	run(t);
	assert_true(t->found_before);
	assert_int_equal(t->notified[0], 200);
	assert_int_equal(t->bigs, 200);
	assert_int_equal(t->logged, 0);
}

static void half_line(struct tcli *c)
{
	cli_send(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"met");
}

static void b_after_cut(struct tctx *t)
{
	b_reads_after(t);
}

static bool a_cut(struct tctx *t)
{
	return t->cli[0].eof && fm_ctl_connections(t->ctl) == 1;
}

static void both_connected(struct tctx *t)
{
	wait_until(t, a_cut, b_after_cut);
}

static void test_stalled_line_cut(void **state)
{
	struct tctx *t = *state;

	t->cfg.stall_timeout_ms = 50;
	start(t);
	cli_connect(t, &t->cli[0], half_line, NULL);
	cli_connect(t, &t->cli[1], NULL, b_done);
	wait_until(t, two_connections, both_connected);
	run(t);
	assert_int_equal(t->logged, 1);
	assert_non_null(strstr(t->log, "a request line left incomplete for 50 ms"));
	assert_int_equal(t->cli[0].ngot, 0);
	assert_int_equal(t->cli[1].ngot, 1); /* B, idle all along with no partial line, stays */
}

/* ---- the socket file -------------------------------------------------------------------- */

static void test_socket_mode_group_and_dirs(void **state)
{
	struct tctx *t = *state;
	gid_t gid = getuid() == 0 ? 4242 : getgid();
	char group[32], run_dir[96], sub_dir[128], path2[160];
	struct fm_ctl *ctl2 = NULL;
	char err[256];
	struct stat st;
	mode_t old_umask;

	snprintf(group, sizeof(group), "%u", (unsigned)gid);
	snprintf(run_dir, sizeof(run_dir), "%s/run", t->dir);
	snprintf(sub_dir, sizeof(sub_dir), "%s/mriov-fabric", run_dir);
	snprintf(t->path, sizeof(t->path), "%s/fabricd.sock", sub_dir);
	snprintf(path2, sizeof(path2), "%s/other.sock", sub_dir);
	t->cfg.group = group;
	t->cfg.mode = 0660;

	old_umask = umask(077); /* the directories are 0755 anyway */
	start(t);
	umask(old_umask);
	assert_int_equal(stat(run_dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(stat(sub_dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	assert_int_equal(lstat(t->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	assert_int_equal(st.st_gid, gid);

	/* Another mode, no group: what was asked, not a constant. */
	t->cfg.path = path2;
	t->cfg.mode = 0600;
	t->cfg.group = NULL;
	assert_int_equal(fm_ctl_new(&t->loop, &t->cfg, &ctl2, err, sizeof(err)), 0);
	assert_int_equal(lstat(path2, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	fm_ctl_free(ctl2);
	assert_int_equal(lstat(path2, &st), -1);

	finish(t);
	uv_run(&t->loop, UV_RUN_DEFAULT);
	assert_int_equal(lstat(t->path, &st), -1);
	assert_int_equal(rmdir(sub_dir), 0);
	assert_int_equal(rmdir(run_dir), 0);
}

/* As a user outside group 0, giving the socket to it must fail with -EPERM and a reason. */
static int chown_refused(const char *dir)
{
	struct fm_ctl_config cfg = { 0 };
	struct fm_ctl *ctl = NULL;
	char path[160], err[256] = "";
	struct stat st;
	uv_loop_t loop;
	int rc, ret = 0;

	snprintf(path, sizeof(path), "%s/sock", dir);
	cfg.path = path;
	cfg.group = "0";
	cfg.methods = methods;
	cfg.n_methods = 1;
	uv_loop_init(&loop);
	rc = fm_ctl_new(&loop, &cfg, &ctl, err, sizeof(err));
	if (rc != -EPERM || !strstr(err, "cannot give it to group 0") || ctl)
		ret = 20;
	else if (lstat(path, &st) == 0)
		ret = 21; /* nothing left on disk */
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop))
		ret = 22;
	return ret;
}

static void test_new_errors(void **state)
{
	struct tctx *t = *state;
	struct fm_ctl *ctl2 = (struct fm_ctl *)t; /* any non-NULL: a failure must clear it */
	char err[256], path[300], file[128];
	struct stat st;
	int fd, status;
	pid_t pid;

	fm_ctl_free(NULL);

	t->cfg.group = "no-such-group-fmctl";
	assert_int_equal(fm_ctl_new(&t->loop, &t->cfg, &ctl2, err, sizeof(err)), -ENOENT);
	assert_null(ctl2);
	assert_non_null(strstr(err, "\"no-such-group-fmctl\" does not exist"));
	assert_int_equal(lstat(t->path, &st), -1);
	t->cfg.group = NULL;

	/* Two daemons on one socket. */
	start(t);
	assert_int_equal(fm_ctl_new(&t->loop, &t->cfg, &ctl2, err, sizeof(err)), -EADDRINUSE);
	assert_non_null(strstr(err, "another process is listening"));
	assert_int_equal(lstat(t->path, &st), 0); /* the live one is not disturbed */

	/* Not a socket. */
	snprintf(file, sizeof(file), "%s/file", t->dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	t->cfg.path = file;
	assert_int_equal(fm_ctl_new(&t->loop, &t->cfg, &ctl2, err, sizeof(err)), -EEXIST);
	assert_int_equal(lstat(file, &st), 0);
	snprintf(path, sizeof(path), "%s/sock", file);
	t->cfg.path = path;
	assert_int_equal(fm_ctl_new(&t->loop, &t->cfg, &ctl2, err, sizeof(err)), -ENOTDIR);
	assert_int_equal(unlink(file), 0);

	memset(path, 'a', 200);
	path[0] = '/';
	path[200] = '\0';
	assert_int_equal(fm_ctl_new(&t->loop, &t->cfg, &ctl2, err, sizeof(err)), -ENAMETOOLONG);
	t->cfg.path = t->path;

	/* chown refused: as nobody when we are root, else as ourselves. */
	snprintf(path, sizeof(path), "%s/nobody", t->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	if (getuid() == 0) {
		assert_int_equal(chmod(t->dir, 0755), 0);
		assert_int_equal(chown(path, NOBODY, NOBODY), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0)
			_exit(setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY) ? 10
										: chown_refused(path));
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	} else if (getgid() != 0) {
		assert_int_equal(chown_refused(path), 0);
	}
	assert_int_equal(rmdir(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_method, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutating_allowed_for_daemon_uid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mutating_denied_for_other_uid, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_async_reply_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage_and_oversized_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_gone_with_call_pending, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_half_closed_client_gets_answer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_free_with_call_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subscribe_and_notify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_reader_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_reader_of_answers_dropped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_global_output_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut_off_stops_the_feed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_calls_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_line_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paused_then_cut_when_nothing_read, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_slow_reader_resumed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_mode_group_and_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_errors, setup, teardown),
	};

	/* A peer that vanished makes write(2) raise SIGPIPE; fabricd ignores it the same way. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
