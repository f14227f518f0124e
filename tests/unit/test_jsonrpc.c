/* Unit tests for manager/jsonrpc.c: framing, request validation, dispatch, deferred replies,
 * parameter helpers and access decisions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "jsonrpc.h"

/* ---- harness ---------------------------------------------------------------------------- */

#define MAX_OUT 64

struct harness {
	struct fm_rpc_server *srv;
	struct fm_rpc_conn *conn;
	char *out[MAX_OUT]; /* lines sent, as handed over (with '\n') */
	int n_out;
	int send_ret;
	struct fm_rpc_call *stash; /* a call kept for a later answer */
	int handled;
	int denied;
	char denied_reason[256];
	bool free_conn_in_handler;
	bool free_conn_in_send; /* a transport that drops the connection on a write error */
};

static int capture_send(void *cookie, char *line, size_t len)
{
	struct harness *h = cookie;

	assert_true(len > 0);
	assert_int_equal(line[len - 1], '\n');
	assert_null(memchr(line, '\n', len - 1));
	assert_true(h->n_out < MAX_OUT);
	/* keep it NUL-terminated for string compares */
	char *copy = malloc(len + 1);
	assert_non_null(copy);
	memcpy(copy, line, len);
	copy[len] = '\0';
	free(line);
	h->out[h->n_out++] = copy;
	if (h->free_conn_in_send) {
		fm_rpc_conn_free(h->conn);
		h->conn = NULL;
	}
	return h->send_ret;
}

static void on_denied(void *ctx, const struct fm_rpc_peer *peer, const char *method,
		      struct json_object *params, const char *reason)
{
	struct harness *h = ctx;

	(void)peer;
	(void)params;
	(void)method;
	h->denied++;
	snprintf(h->denied_reason, sizeof(h->denied_reason), "%s", reason);
}

/* echo: answers {"params": params, "method": name} now. */
static void m_echo(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct harness *h = ctx;
	struct json_object *r = json_object_new_object();

	h->handled++;
	json_object_object_add(r, "params", json_object_get(params));
	json_object_object_add(r, "method", json_object_new_string(fm_rpc_call_method(call)));
	fm_rpc_reply_result(call, r);
}

/* later: keeps the call for the test to answer. */
static void m_later(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct harness *h = ctx;

	(void)params;
	h->handled++;
	h->stash = call;
	if (h->free_conn_in_handler) {
		fm_rpc_conn_free(h->conn);
		h->conn = NULL;
	}
}

/* assign: a mutating method using the param helpers. */
static void m_assign(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	static const char *const known[] = { "function", "host", "dry_run", "timeout", "note",
					     NULL };
	struct harness *h = ctx;
	const char *fn, *host, *note = "none";
	bool dry = false;
	uint64_t timeout = 30;
	struct json_object *r;

	h->handled++;
	if (fm_rpc_param_check_known(call, params, known) ||
	    fm_rpc_param_string(call, params, "function", &fn) ||
	    fm_rpc_param_string(call, params, "host", &host) ||
	    fm_rpc_param_opt_bool(call, params, "dry_run", &dry) ||
	    fm_rpc_param_opt_uint(call, params, "timeout", 1, 3600, &timeout) ||
	    fm_rpc_param_opt_string(call, params, "note", &note))
		return;
	r = json_object_new_object();
	json_object_object_add(r, "function", json_object_new_string(fn));
	json_object_object_add(r, "host", json_object_new_string(host));
	json_object_object_add(r, "dry_run", json_object_new_boolean(dry));
	json_object_object_add(r, "timeout", json_object_new_uint64(timeout));
	json_object_object_add(r, "note", json_object_new_string(note));
	fm_rpc_reply_result(call, r);
}

static const struct fm_rpc_method methods[] = {
	{ "status", 0, m_echo },
	{ "later", 0, m_later },
	{ "assign", FM_RPC_MUTATING, m_assign },
	{ "unassign", FM_RPC_MUTATING, m_later },
};

static void harness_init(struct harness *h, size_t line_max, const struct fm_rpc_peer *peer)
{
	struct fm_rpc_server_config cfg = {
		.methods = methods,
		.n_methods = sizeof(methods) / sizeof(methods[0]),
		.send = capture_send,
		.denied = on_denied,
		.ctx = h,
		.line_max = line_max,
	};
	struct fm_rpc_peer root = { .pid = 1, .uid = 0, .gid = 0 };
	char err[256];

	memset(h, 0, sizeof(*h));
	cfg.access.daemon_uid = 4242;
	assert_int_equal(fm_rpc_server_new(&h->srv, &cfg, err, sizeof(err)), 0);
	assert_int_equal(fm_rpc_conn_new(&h->conn, h->srv, h, peer ? peer : &root, err,
					 sizeof(err)), 0);
}

static void harness_fini(struct harness *h)
{
	for (int i = 0; i < h->n_out; i++)
		free(h->out[i]);
	fm_rpc_conn_free(h->conn);
	fm_rpc_server_free(h->srv);
}

static void feed(struct harness *h, const char *s)
{
	assert_int_equal(fm_rpc_conn_feed(h->conn, s, strlen(s)), 0);
}

/* Parses output line i and returns it (caller puts). */
static struct json_object *out_json(struct harness *h, int i)
{
	struct json_object *o;

	assert_true(i < h->n_out);
	o = json_tokener_parse(h->out[i]);
	assert_non_null(o);
	return o;
}

/* Checks output line i is an error with this number and data.code; returns the message. */
static void check_error(struct harness *h, int i, int number, const char *code,
			const char *id_json, const char *msg_part)
{
	struct json_object *o = out_json(h, i), *e, *v, *d;

	assert_true(json_object_object_get_ex(o, "jsonrpc", &v));
	assert_string_equal(json_object_get_string(v), "2.0");
	assert_true(json_object_object_get_ex(o, "id", &v));
	assert_string_equal(v ? json_object_to_json_string(v) : "null", id_json);
	assert_false(json_object_object_get_ex(o, "result", NULL));
	assert_true(json_object_object_get_ex(o, "error", &e));
	assert_true(json_object_object_get_ex(e, "code", &v));
	assert_int_equal(json_object_get_int(v), number);
	assert_true(json_object_object_get_ex(e, "data", &d));
	assert_true(json_object_object_get_ex(d, "code", &v));
	assert_string_equal(json_object_get_string(v), code);
	assert_true(json_object_object_get_ex(e, "message", &v));
	if (msg_part && !strstr(json_object_get_string(v), msg_part))
		fail_msg("message \"%s\" lacks \"%s\"", json_object_get_string(v), msg_part);
	json_object_put(o);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_code_table(void **state)
{
	(void)state;
	assert_string_equal(fm_rpc_code_name(FM_RPC_E_PARSE_ERROR), "parse-error");
	assert_int_equal(fm_rpc_code_number(FM_RPC_E_PARSE_ERROR), -32700);
	assert_string_equal(fm_rpc_code_name(FM_RPC_E_INVALID_REQUEST), "bad-request");
	assert_int_equal(fm_rpc_code_number(FM_RPC_E_INVALID_REQUEST), -32600);
	assert_int_equal(fm_rpc_code_number(FM_RPC_E_NO_SUCH_METHOD), -32601);
	assert_int_equal(fm_rpc_code_number(FM_RPC_E_BAD_PARAMS), -32602);
	assert_int_equal(fm_rpc_code_number(FM_RPC_E_INTERNAL_ERROR), -32603);
	assert_string_equal(fm_rpc_code_name(FM_RPC_E_FUNCTION_BUSY), "function-busy");
	assert_string_equal(fm_rpc_code_name(FM_RPC_E_HOOK_VETO), "hook-vetoed");
	assert_string_equal(fm_rpc_code_name(FM_RPC_E_BAD_REQUEST), "bad-request");
	assert_int_equal(fm_rpc_code_number(FM_RPC_E_BAD_REQUEST), -32000);
	assert_string_equal(fm_rpc_code_name(FM_RPC_E_INTERNAL), "internal");
	assert_int_equal(fm_rpc_code_number(FM_RPC_E_INTERNAL), -32000);
	for (int c = FM_RPC_E_FUNCTION_BUSY; c < FM_RPC_E__COUNT; c++)
		assert_int_equal(fm_rpc_code_number(c), -32000);
	for (int a = 0; a < FM_RPC_E__COUNT; a++) {
		assert_non_null(fm_rpc_code_name(a));
		for (int b = a + 1; b < FM_RPC_E__COUNT; b++)
			if (strcmp(fm_rpc_code_name(a), fm_rpc_code_name(b)) == 0)
				assert_true(fm_rpc_code_number(a) != fm_rpc_code_number(b));
	}
	assert_string_equal(fm_rpc_code_name(FM_RPC_E__COUNT), "internal");
}

static void test_linebuf(void **state)
{
	struct fm_rpc_linebuf *lb = fm_rpc_linebuf_new(8);
	const char *in = "ab\r\n\n  \t\r\n12345678\n123456789\nx", *line;
	const char *p = in;
	size_t n = strlen(in), ll;

	(void)state;
	assert_non_null(lb);
	assert_int_equal(fm_rpc_linebuf_next(lb, &p, &n, &line, &ll), FM_RPC_LINE_OK);
	assert_int_equal(ll, 2);
	assert_memory_equal(line, "ab", 2);
	/* blank lines are skipped; exactly the limit is fine */
	assert_int_equal(fm_rpc_linebuf_next(lb, &p, &n, &line, &ll), FM_RPC_LINE_OK);
	assert_int_equal(ll, 8);
	assert_memory_equal(line, "12345678", 8);
	assert_int_equal(fm_rpc_linebuf_next(lb, &p, &n, &line, &ll), FM_RPC_LINE_TOO_LONG);
	assert_int_equal(fm_rpc_linebuf_next(lb, &p, &n, &line, &ll), FM_RPC_LINE_NONE);
	assert_int_equal(n, 0);
	/* "x" is held until its newline arrives */
	p = "y\n";
	n = 2;
	assert_int_equal(fm_rpc_linebuf_next(lb, &p, &n, &line, &ll), FM_RPC_LINE_OK);
	assert_int_equal(ll, 2);
	assert_memory_equal(line, "xy", 2);
	/* an overlong line fed in pieces is reported once */
	int too_long = 0;
	for (int i = 0; i < 30; i++) {
		p = "abc";
		n = 3;
		int r;
		while ((r = fm_rpc_linebuf_next(lb, &p, &n, &line, &ll)) != FM_RPC_LINE_NONE) {
			assert_int_equal(r, FM_RPC_LINE_TOO_LONG);
			too_long++;
		}
	}
	assert_int_equal(too_long, 1);
	p = "tail\nok\n";
	n = strlen(p);
	assert_int_equal(fm_rpc_linebuf_next(lb, &p, &n, &line, &ll), FM_RPC_LINE_OK);
	assert_int_equal(ll, 2);
	assert_memory_equal(line, "ok", 2);
	fm_rpc_linebuf_free(lb);
	fm_rpc_linebuf_free(NULL);
}

struct parse_case {
	const char *line;
	int ret;
	enum fm_rpc_code code;
	const char *id; /* expected id JSON when has_id; NULL = no id */
	const char *msg_part;
};

static void test_parse(void **state)
{
	static const struct parse_case cases[] = {
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}", 0, 0, "1", NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"x\",\"params\":{}}", 0, 0, "\"a\"",
		  NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"x\",\"params\":null}", 0, 0, "null",
		  NULL },
		{ "{\"jsonrpc\":\"2.0\",\"method\":\"x\"}", 0, 0, NULL, NULL },
		/* bad JSON */
		{ "{\"jsonrpc\":\"2.0\",", -EINVAL, FM_RPC_E_PARSE_ERROR, NULL, "parse error" },
		{ "{\"jsonrpc\" 2}", -EINVAL, FM_RPC_E_PARSE_ERROR, NULL, "byte 11" },
		{ "{\"a\":1} x", -EINVAL, FM_RPC_E_PARSE_ERROR, NULL, "parse error" },
		{ "{\"a\":1}{}", -EINVAL, FM_RPC_E_PARSE_ERROR, NULL, "parse error" },
		{ "\"\xff\"", -EINVAL, FM_RPC_E_PARSE_ERROR, NULL, "utf-8" },
		{ "tru", -EINVAL, FM_RPC_E_PARSE_ERROR, NULL, "parse error" },
		/* not an object */
		{ "42", -EINVAL, FM_RPC_E_INVALID_REQUEST, NULL, "not a JSON object" },
		{ "\"status\"", -EINVAL, FM_RPC_E_INVALID_REQUEST, NULL, "not a JSON object" },
		{ "null", -EINVAL, FM_RPC_E_INVALID_REQUEST, NULL, "not a JSON object" },
		{ "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}]", -EINVAL,
		  FM_RPC_E_INVALID_REQUEST, NULL, "batch" },
		/* version */
		{ "{\"id\":1,\"method\":\"status\"}", -EINVAL, FM_RPC_E_INVALID_REQUEST, "1",
		  "missing \"jsonrpc\"" },
		{ "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"status\"}", -EINVAL,
		  FM_RPC_E_INVALID_REQUEST, "1", "\"jsonrpc\" must be \"2.0\"" },
		{ "{\"jsonrpc\":2.0,\"id\":1,\"method\":\"status\"}", -EINVAL,
		  FM_RPC_E_INVALID_REQUEST, "1", "\"jsonrpc\" must be \"2.0\"" },
		/* method */
		{ "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":7}", -EINVAL, FM_RPC_E_INVALID_REQUEST,
		  "2", "\"method\" must be a string" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":null}", -EINVAL,
		  FM_RPC_E_INVALID_REQUEST, "2", "\"method\" must be a string" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":2}", -EINVAL, FM_RPC_E_INVALID_REQUEST, "2",
		  "missing \"method\"" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"\"}", -EINVAL,
		  FM_RPC_E_INVALID_REQUEST, "2", "non-empty" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"st\\u0000atus\"}", -EINVAL,
		  FM_RPC_E_INVALID_REQUEST, "2", "NUL" },
		/* params */
		{ "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"x\",\"params\":[1,2]}", -EINVAL,
		  FM_RPC_E_BAD_PARAMS, "3", "by-position" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"x\",\"params\":\"a\"}", -EINVAL,
		  FM_RPC_E_INVALID_REQUEST, "3", "\"params\" must be an object" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"x\",\"params\":5}", -EINVAL,
		  FM_RPC_E_INVALID_REQUEST, "3", "\"params\" must be an object" },
		/* id */
		{ "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"x\"}", -EINVAL,
		  FM_RPC_E_INVALID_REQUEST, NULL, "\"id\" must be" },
		{ "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"x\"}", -EINVAL,
		  FM_RPC_E_INVALID_REQUEST, NULL, "\"id\" must be" },
		/* ids json-c cannot hold exactly keep their text (issue 18) */
		{ "{\"jsonrpc\":\"2.0\",\"id\":18446744073709551616,\"method\":\"x\"}", 0, 0,
		  "18446744073709551616", NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":-9223372036854775809,\"method\":\"x\"}", 0, 0,
		  "-9223372036854775809", NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":18446744073709551615,\"method\":\"x\"}", 0, 0,
		  "18446744073709551615", NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":-9223372036854775808,\"method\":\"x\"}", 0, 0,
		  "-9223372036854775808", NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\" : 123456789012345678901234567890 ,\"method\":\"x\"}", 0,
		  0, "123456789012345678901234567890", NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1e400,\"method\":\"x\"}", 0, 0, "1e400", NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"x\"}", 0, 0, "1.5", NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":-0,\"method\":\"x\"}", 0, 0, "-0", NULL },
		{ "{\"jsonrpc\":\"2.0\",\"id\":1E+2,\"method\":\"x\"}", 0, 0, "1E+2", NULL },
		/* a nested "id" and keys that merely look like it are not the id */
		{ "{\"params\":{\"id\":5,\"x\":[\"id\",{\"id\":6}],\"i\\\"d\":\"}\"},\"jsonrpc\":\"2.0\","
		  "\"id\":18446744073709551617,\"method\":\"x\"}", 0, 0, "18446744073709551617", NULL },
		/* the id also reaches error responses with its text */
		{ "{\"jsonrpc\":\"1.0\",\"id\":99999999999999999999,\"method\":\"x\"}", -EINVAL,
		  FM_RPC_E_INVALID_REQUEST, "99999999999999999999", "\"jsonrpc\" must be" },
		/* two ids: json-c would keep the last; which one the client meant is unknown */
		{ "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"x\"}", -EINVAL,
		  FM_RPC_E_INVALID_REQUEST, NULL, "more than one \"id\"" },
		{ "{\"jsonrpc\":\"2.0\",\"\\u0069d\":\"a\",\"method\":\"x\",\"i\\u0064\":\"b\"}",
		  -EINVAL, FM_RPC_E_INVALID_REQUEST, NULL, "more than one \"id\"" },
		/* typos */
		{ "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"x\",\"parms\":{}}", -EINVAL,
		  FM_RPC_E_INVALID_REQUEST, "4", "unknown member \"parms\"" },
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct parse_case *c = &cases[i];
		struct fm_rpc_request req;
		enum fm_rpc_code code = FM_RPC_E__COUNT;
		int r = fm_rpc_request_parse(c->line, strlen(c->line), &req, &code, err,
					     sizeof(err));

		if (r != c->ret)
			fail_msg("case %zu (%s): ret %d, want %d (%s)", i, c->line, r, c->ret, err);
		if (r == 0) {
			assert_non_null(req.method);
		} else {
			if (code != c->code)
				fail_msg("case %zu (%s): code %d, want %d", i, c->line, code,
					 c->code);
			if (!strstr(err, c->msg_part))
				fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, c->msg_part);
		}
		assert_int_equal(req.has_id, c->id != NULL);
		if (c->id)
			assert_string_equal(req.id ? json_object_to_json_string(req.id) : "null",
					    c->id);
		fm_rpc_request_clear(&req);
	}

	/* a NUL byte inside the line */
	{
		static const char nul[] = "{\"jsonrpc\":\"2.0\",\0\"id\":1}";
		struct fm_rpc_request req;
		enum fm_rpc_code code;

		assert_int_equal(fm_rpc_request_parse(nul, sizeof(nul) - 1, &req, &code, err,
						      sizeof(err)), -EINVAL);
		assert_int_equal(code, FM_RPC_E_PARSE_ERROR);
		assert_non_null(strstr(err, "byte 17"));
		fm_rpc_request_clear(&req);
	}
}

/* Each class of bad line gets its error response over a connection, with the right id. */
static void test_dispatch_errors(void **state)
{
	struct harness h;

	(void)state;
	harness_init(&h, 0, NULL);
	feed(&h, "{not json\n");
	check_error(&h, 0, -32700, "parse-error", "null", "parse error");
	feed(&h, "[1,2]\n");
	check_error(&h, 1, -32600, "bad-request", "null", "batch");
	feed(&h, "{\"jsonrpc\":\"1.0\",\"id\":5,\"method\":\"status\"}\n");
	check_error(&h, 2, -32600, "bad-request", "5", "2.0");
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":[\"status\"]}\n");
	check_error(&h, 3, -32600, "bad-request", "\"x\"", "must be a string");
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"status\",\"params\":[\"a\"]}\n");
	check_error(&h, 4, -32602, "bad-params", "6", "by-position");
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"reboot\"}\n");
	check_error(&h, 5, -32601, "no-such-method", "7", "no such method \"reboot\"");
	/* data.method names it */
	{
		struct json_object *o = out_json(&h, 5), *e, *d, *m;

		assert_true(json_object_object_get_ex(o, "error", &e));
		assert_true(json_object_object_get_ex(e, "data", &d));
		assert_true(json_object_object_get_ex(d, "method", &m));
		assert_string_equal(json_object_get_string(m), "reboot");
		json_object_put(o);
	}
	/* notifications: no answer for unknown methods or by-position params */
	feed(&h, "{\"jsonrpc\":\"2.0\",\"method\":\"reboot\"}\n");
	feed(&h, "{\"jsonrpc\":\"2.0\",\"method\":\"status\",\"params\":[1]}\n");
	assert_int_equal(h.n_out, 6);
	/* but a request that is no Request object is answered, id null */
	feed(&h, "{\"jsonrpc\":\"2.0\",\"method\":5}\n");
	check_error(&h, 6, -32600, "bad-request", "null", NULL);
	assert_int_equal(h.handled, 0);
	/* the connection still works */
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"status\"}\n");
	assert_int_equal(h.n_out, 8);
	assert_non_null(strstr(h.out[7], "\"result\""));
	/* a long multi-byte method name: the clipped message stays valid UTF-8 */
	{
		char req[1024];
		size_t n = (size_t)snprintf(req, sizeof(req), "{\"jsonrpc\":\"2.0\",\"id\":9,"
							   "\"method\":\"");
		struct json_tokener *tok = json_tokener_new();
		struct json_object *o;

		for (int i = 0; i < 150; i++)
			n += (size_t)snprintf(req + n, sizeof(req) - n, "\xc3\xa9");
		snprintf(req + n, sizeof(req) - n, "\"}\n");
		feed(&h, req);
		assert_int_equal(h.n_out, 9);
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
		o = json_tokener_parse_ex(tok, h.out[8], (int)strlen(h.out[8]) - 1);
		assert_non_null(o);
		json_object_put(o);
		json_tokener_free(tok);
		check_error(&h, 8, -32601, "no-such-method", "9", "no such method");
	}
	harness_fini(&h);
}

static void test_success_shape(void **state)
{
	struct harness h;

	(void)state;
	harness_init(&h, 0, NULL);
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\",\"params\":{\"a\":\"x\\ny\"}}\n");
	assert_int_equal(h.n_out, 1);
	assert_string_equal(h.out[0], "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"params\":"
				      "{\"a\":\"x\\ny\"},\"method\":\"status\"}}\n");
	/* params absent: the handler gets an empty object */
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":\"s/1\",\"method\":\"status\"}\n");
	assert_string_equal(h.out[1], "{\"jsonrpc\":\"2.0\",\"id\":\"s/1\",\"result\":{\"params\":"
				      "{},\"method\":\"status\"}}\n");
	harness_fini(&h);
}

/* The response carries the request's id digit for digit (JSON-RPC 2.0 §5), never the value
 * json-c clamped it to (issue 18). */
static void test_id_echoed_exactly(void **state)
{
	static const char *const ids[] = { "18446744073709551616", "-9223372036854775809",
					   "1e400", "1.5", "-0", "100000000000000000000000000000" };
	struct harness h;
	char line[256], want[256];

	(void)state;
	harness_init(&h, 0, NULL);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"status\"}\n",
			 ids[i]);
		feed(&h, line);
		assert_int_equal(h.n_out, (int)(2 * i + 1));
		snprintf(want, sizeof(want),
			 "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"params\":{},\"method\":"
			 "\"status\"}}\n", ids[i]);
		assert_string_equal(h.out[2 * i], want);
		/* and in an error response */
		snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"nope\"}\n",
			 ids[i]);
		feed(&h, line);
		snprintf(want, sizeof(want), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":", ids[i]);
		assert_true(strncmp(h.out[2 * i + 1], want, strlen(want)) == 0);
	}
	/* Two ids: -32600 with id null, and the next line is served. */
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"status\"}\n");
	check_error(&h, h.n_out - 1, -32600, "bad-request", "null", "more than one \"id\"");
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"status\"}\n");
	assert_non_null(strstr(h.out[h.n_out - 1], "\"id\":3,\"result\""));
	harness_fini(&h);
}

static void test_error_shape(void **state)
{
	struct harness h;
	struct json_object *data;

	(void)state;
	harness_init(&h, 0, NULL);
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"later\"}\n");
	assert_non_null(h.stash);
	data = json_object_new_object();
	json_object_object_add(data, "host", json_object_new_string("web2"));
	json_object_object_add(data, "code", json_object_new_string("ignored"));
	assert_int_equal(fm_rpc_reply_error_data(h.stash, FM_RPC_E_FUNCTION_BUSY, data,
						 "%s is bound to %s", "nic0/pf0/vf3", "web2"), 0);
	assert_string_equal(h.out[0],
			    "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32000,\"message\":"
			    "\"nic0/pf0/vf3 is bound to web2\",\"data\":{\"code\":\"function-busy\","
			    "\"host\":\"web2\"}}}\n");
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"later\"}\n");
	assert_int_equal(fm_rpc_reply_error(h.stash, FM_RPC_E_INTERNAL_ERROR, "multi\nline"), 0);
	assert_string_equal(h.out[1],
			    "{\"jsonrpc\":\"2.0\",\"id\":8,\"error\":{\"code\":-32603,\"message\":"
			    "\"multi\\nline\",\"data\":{\"code\":\"internal\"}}}\n");
	harness_fini(&h);
}

static void test_oversized_line(void **state)
{
	struct harness h;
	char big[300];

	(void)state;
	harness_init(&h, 128, NULL);
	memset(big, 'x', sizeof(big));
	/* over the limit in one buffer, with a good request right behind it */
	assert_int_equal(fm_rpc_conn_feed(h.conn, big, sizeof(big)), 0);
	assert_int_equal(h.n_out, 1);
	check_error(&h, 0, -32600, "bad-request", "null", "longer than 128 bytes");
	{
		struct json_object *o = out_json(&h, 0), *e, *d, *l;

		assert_true(json_object_object_get_ex(o, "error", &e));
		assert_true(json_object_object_get_ex(e, "data", &d));
		assert_true(json_object_object_get_ex(d, "limit", &l));
		assert_int_equal(json_object_get_int(l), 128);
		json_object_put(o);
	}
	/* more of the same line: no second error */
	assert_int_equal(fm_rpc_conn_feed(h.conn, big, sizeof(big)), 0);
	assert_int_equal(h.n_out, 1);
	feed(&h, "xxx\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}\n");
	assert_int_equal(h.n_out, 2);
	assert_non_null(strstr(h.out[1], "\"result\""));
	/* an overlong complete line followed by a good one in the same buffer */
	{
		char buf[512];
		int n = snprintf(buf, sizeof(buf), "%.*s\n%s\n", 200, big,
				 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"status\"}");

		assert_int_equal(fm_rpc_conn_feed(h.conn, buf, (size_t)n), 0);
		assert_int_equal(h.n_out, 4);
		check_error(&h, 2, -32600, "bad-request", "null", NULL);
		assert_non_null(strstr(h.out[3], "\"id\":2,\"result\""));
	}
	harness_fini(&h);
}

static const char three[] =
	"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\",\"params\":{\"k\":\"\xc3\xa9\"}}\r\n"
	"\n"
	"{\"jsonrpc\":\"2.0\",\"method\":\"status\"}\n"
	"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"}\n"
	"{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"status\"}\n";

static void test_several_requests_one_buffer(void **state)
{
	struct harness h;

	(void)state;
	harness_init(&h, 0, NULL);
	feed(&h, three);
	assert_int_equal(h.handled, 3); /* the notification ran too */
	assert_int_equal(h.n_out, 3);   /* but got no response */
	assert_non_null(strstr(h.out[0], "\"id\":1,\"result\""));
	check_error(&h, 1, -32601, "no-such-method", "2", NULL);
	assert_non_null(strstr(h.out[2], "\"id\":3,\"result\""));
	harness_fini(&h);
}

static void test_split_at_every_byte(void **state)
{
	size_t n = strlen(three);
	struct harness ref;

	(void)state;
	harness_init(&ref, 0, NULL);
	feed(&ref, three);
	for (size_t cut = 0; cut <= n; cut++) {
		struct harness h;

		harness_init(&h, 0, NULL);
		assert_int_equal(fm_rpc_conn_feed(h.conn, three, cut), 0);
		assert_int_equal(fm_rpc_conn_feed(h.conn, three + cut, n - cut), 0);
		assert_int_equal(h.n_out, ref.n_out);
		for (int i = 0; i < h.n_out; i++)
			assert_string_equal(h.out[i], ref.out[i]);
		harness_fini(&h);
	}
	/* and one byte at a time */
	{
		struct harness h;

		harness_init(&h, 0, NULL);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(fm_rpc_conn_feed(h.conn, three + i, 1), 0);
		assert_int_equal(h.n_out, ref.n_out);
		for (int i = 0; i < h.n_out; i++)
			assert_string_equal(h.out[i], ref.out[i]);
		harness_fini(&h);
	}
	harness_fini(&ref);
}

static void test_notification_no_response(void **state)
{
	struct harness h;

	(void)state;
	harness_init(&h, 0, NULL);
	feed(&h, "{\"jsonrpc\":\"2.0\",\"method\":\"status\"}\n");
	assert_int_equal(h.handled, 1);
	assert_int_equal(h.n_out, 0);
	/* a deferred notification: an error reply is dropped too */
	feed(&h, "{\"jsonrpc\":\"2.0\",\"method\":\"later\",\"params\":{}}\n");
	assert_non_null(h.stash);
	assert_true(fm_rpc_call_is_notification(h.stash));
	assert_null(fm_rpc_call_id(h.stash));
	assert_int_equal(fm_rpc_reply_error(h.stash, FM_RPC_E_TIMEOUT, "late"), 0);
	assert_int_equal(h.n_out, 0);
	/* a param helper failing on a notification answers nobody either */
	feed(&h, "{\"jsonrpc\":\"2.0\",\"method\":\"assign\",\"params\":{\"hots\":\"x\"}}\n");
	assert_int_equal(h.n_out, 0);
	assert_int_equal(fm_rpc_conn_pending(h.conn), 0);
	harness_fini(&h);
}

static void test_async_reply(void **state)
{
	struct harness h;
	struct fm_rpc_call *c1, *c2;

	(void)state;
	harness_init(&h, 0, NULL);
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"later\"}\n");
	c1 = h.stash;
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"later\"}\n");
	c2 = h.stash;
	assert_int_equal(h.n_out, 0);
	assert_int_equal(fm_rpc_conn_pending(h.conn), 2);
	assert_ptr_equal(fm_rpc_call_cookie(c1), &h);
	assert_string_equal(fm_rpc_call_method(c1), "later");
	assert_int_equal(fm_rpc_call_peer(c1)->uid, 0);
	assert_false(fm_rpc_call_is_notification(c1));
	assert_int_equal(json_object_get_int(fm_rpc_call_id(c1)), 10);
	/* answered out of order, after the handlers returned */
	assert_int_equal(fm_rpc_reply_result(c2, json_object_new_string("two")), 0);
	assert_int_equal(fm_rpc_reply_result(c1, NULL), 0);
	assert_int_equal(h.n_out, 2);
	assert_string_equal(h.out[0], "{\"jsonrpc\":\"2.0\",\"id\":11,\"result\":\"two\"}\n");
	assert_string_equal(h.out[1], "{\"jsonrpc\":\"2.0\",\"id\":10,\"result\":null}\n");
	assert_int_equal(fm_rpc_conn_pending(h.conn), 0);

	/* the transport's send failure comes back to the handler */
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"later\"}\n");
	h.send_ret = -EPIPE;
	assert_int_equal(fm_rpc_reply_result(h.stash, NULL), -EPIPE);
	h.send_ret = 0;

	/* the connection goes away before the answer: the call is orphaned, not leaked */
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":\"later\"}\n");
	c1 = h.stash;
	fm_rpc_conn_free(h.conn);
	h.conn = NULL;
	assert_null(fm_rpc_call_cookie(c1));
	assert_int_equal(fm_rpc_reply_result(c1, json_object_new_int(1)), -ENOTCONN);
	assert_int_equal(h.n_out, 3);
	harness_fini(&h);
}

/* A handler may close its connection; the rest of the buffer is dropped, nothing leaks. */
static void test_conn_free_in_handler(void **state)
{
	struct harness h;

	(void)state;
	harness_init(&h, 0, NULL);
	h.free_conn_in_handler = true;
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"later\"}\n"
		 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"status\"}\n");
	assert_null(h.conn);
	assert_int_equal(h.handled, 1);
	assert_int_equal(fm_rpc_reply_result(h.stash, NULL), -ENOTCONN);
	assert_int_equal(h.n_out, 0);
	harness_fini(&h);
}

/* The send callback may drop the connection, inside feeding or in a later reply. */
static void test_conn_free_in_send(void **state)
{
	struct harness h;
	struct fm_rpc_call *c1, *c2;

	(void)state;
	harness_init(&h, 0, NULL);
	h.free_conn_in_send = true;
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"status\"}\n"
		 "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"status\"}\n");
	assert_null(h.conn);
	assert_int_equal(h.handled, 1);
	assert_int_equal(h.n_out, 1);
	harness_fini(&h);

	harness_init(&h, 0, NULL);
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"later\"}\n");
	c1 = h.stash;
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"later\"}\n");
	c2 = h.stash;
	h.free_conn_in_send = true;
	h.send_ret = -EPIPE;
	assert_int_equal(fm_rpc_reply_result(c1, NULL), -EPIPE);
	assert_null(h.conn);
	assert_int_equal(fm_rpc_reply_result(c2, NULL), -ENOTCONN);
	assert_int_equal(h.n_out, 1);
	harness_fini(&h);
}

static void test_params(void **state)
{
	struct harness h;

	(void)state;
	harness_init(&h, 0, NULL);
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"assign\",\"params\":"
		 "{\"function\":\"nic0/pf0/vf3\",\"hots\":\"web1\"}}\n");
	check_error(&h, 0, -32602, "bad-params", "1", NULL);
	assert_non_null(strstr(h.out[0], "\"message\":\"unknown parameter \\\"hots\\\"\","
					 "\"data\":{\"code\":\"bad-params\",\"param\":\"hots\"}"));
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"assign\",\"params\":"
		 "{\"function\":\"nic0/pf0/vf3\"}}\n");
	check_error(&h, 1, -32602, "bad-params", "2", "missing parameter \"host\"");
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"assign\",\"params\":"
		 "{\"function\":3,\"host\":\"web1\"}}\n");
	check_error(&h, 2, -32602, "bad-params", "3", "parameter \"function\" must be a string");
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"assign\",\"params\":"
		 "{\"function\":\"\",\"host\":\"web1\"}}\n");
	check_error(&h, 3, -32602, "bad-params", "4", "\"function\" must not be empty");
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"assign\",\"params\":"
		 "{\"function\":\"f\",\"host\":\"web1\",\"dry_run\":\"yes\"}}\n");
	check_error(&h, 4, -32602, "bad-params", "5", "\"dry_run\" must be true or false");
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"assign\",\"params\":"
		 "{\"function\":\"f\",\"host\":\"web1\",\"timeout\":0}}\n");
	check_error(&h, 5, -32602, "bad-params", "6", "\"timeout\" must be between 1 and 3600");
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"assign\",\"params\":"
		 "{\"function\":\"f\",\"host\":\"web1\",\"timeout\":-5}}\n");
	check_error(&h, 6, -32602, "bad-params", "7", "between 1 and 3600");
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"assign\",\"params\":"
		 "{\"function\":\"f\",\"host\":\"web1\",\"timeout\":2.5}}\n");
	check_error(&h, 7, -32602, "bad-params", "8", "\"timeout\" must be an integer");
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"assign\",\"params\":"
		 "{\"function\":\"f\",\"host\":\"web1\",\"timeout\":\"10\"}}\n");
	check_error(&h, 8, -32602, "bad-params", "9", "must be an integer");
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"assign\",\"params\":"
		 "{\"function\":\"f\",\"host\":\"web1\",\"timeout\":18446744073709551615}}\n");
	check_error(&h, 9, -32602, "bad-params", "10", "between 1 and 3600");
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"assign\",\"params\":"
		 "{\"function\":\"f\",\"host\":\"web\\u00001\"}}\n");
	check_error(&h, 10, -32602, "bad-params", "11", "NUL");
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"assign\",\"params\":"
		 "{\"function\":\"f\",\"host\":\"web1\",\"note\":false}}\n");
	check_error(&h, 11, -32602, "bad-params", "12", "\"note\" must be a string");
	/* all good; null optional members count as absent */
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":\"assign\",\"params\":"
		 "{\"function\":\"nic0/pf0/vf3\",\"host\":\"web1\",\"dry_run\":true,"
		 "\"timeout\":3600,\"note\":null}}\n");
	assert_string_equal(h.out[12], "{\"jsonrpc\":\"2.0\",\"id\":13,\"result\":{\"function\":"
				       "\"nic0/pf0/vf3\",\"host\":\"web1\",\"dry_run\":true,"
				       "\"timeout\":3600,\"note\":\"none\"}}\n");
	assert_int_equal(fm_rpc_conn_pending(h.conn), 0);
	harness_fini(&h);
}

/* ---- access ----------------------------------------------------------------------------- */

#define GROUP_FABRIC 3999900
#define UID_OPS 3999001	/* supplementary member of GROUP_FABRIC while it keeps its groups */
#define UID_STRANGER 3999002
#define UID_BROKEN 3999003 /* the lookup fails */

static int fake_lookup(const struct fm_rpc_peer *peer, gid_t group, char *name, size_t namelen)
{
	if (peer->uid == UID_BROKEN)
		return -EIO;
	return fm_rpc_peer_in_group(peer, group, name, namelen);
}

/* Membership is the peer's own: its primary group or the supplementary groups its process
 * had, never what the group database would give its user. */
static void test_access_decision(void **state)
{
	struct fm_rpc_access acc = { .daemon_uid = 500, .has_group = true,
				     .group_gid = GROUP_FABRIC, .group_name = "fabric" };
	struct fm_rpc_peer root = { .pid = 10 }, own = { .pid = 11, .uid = 500, .gid = 500 },
			   primary = { .pid = 12, .uid = 3999004, .gid = GROUP_FABRIC },
			   ops = { .pid = 13, .uid = UID_OPS, .gid = 3999001, .n_groups = 2,
				   .groups = { 3999800, GROUP_FABRIC } },
			   dropped = { .pid = 14, .uid = UID_OPS, .gid = 3999001 },
			   eve = { .pid = 15, .uid = UID_STRANGER, .gid = 3999002, .n_groups = 1,
				   .groups = { 3999800 } },
			   unread = { .pid = 16, .uid = UID_OPS, .gid = 3999001,
				      .groups_unread = true },
			   many = { .pid = 17, .uid = UID_OPS, .gid = 3999001,
				    .n_groups = FM_RPC_PEER_GROUPS_MAX, .groups_truncated = true },
			   broken = { .pid = 18, .uid = UID_BROKEN, .gid = 3999003 };
	char why[256];

	(void)state;
	assert_true(fm_rpc_access_allowed(&acc, &eve, false, why, sizeof(why)));
	assert_string_equal(why, "read-only method, open to every peer");
	assert_true(fm_rpc_access_allowed(&acc, &root, true, why, sizeof(why)));
	assert_string_equal(why, "uid 0 is root");
	assert_true(fm_rpc_access_allowed(&acc, &own, true, why, sizeof(why)));
	assert_string_equal(why, "uid 500 is the daemon's own uid");
	assert_true(fm_rpc_access_allowed(&acc, &primary, true, why, sizeof(why)));
	assert_string_equal(why, "uid 3999004 has primary group fabric");
	assert_true(fm_rpc_access_allowed(&acc, &ops, true, why, sizeof(why)));
	assert_string_equal(why, "uid 3999001 is a member of group fabric");
	/* the same user, its process having dropped its supplementary groups */
	assert_false(fm_rpc_access_allowed(&acc, &dropped, true, why, sizeof(why)));
	assert_string_equal(why,
			    "uid 3999001 is not root, the daemon's uid or a member of group fabric");
	assert_false(fm_rpc_access_allowed(&acc, &eve, true, why, sizeof(why)));
	assert_false(fm_rpc_access_allowed(&acc, &unread, true, why, sizeof(why)));
	assert_non_null(strstr(why, "group lookup failed"));
	assert_false(fm_rpc_access_allowed(&acc, &many, true, why, sizeof(why)));
	assert_non_null(strstr(why, "group lookup failed"));
	many.groups[FM_RPC_PEER_GROUPS_MAX - 1] = GROUP_FABRIC;
	assert_true(fm_rpc_access_allowed(&acc, &many, true, why, sizeof(why)));
	acc.lookup = fake_lookup;
	assert_false(fm_rpc_access_allowed(&acc, &broken, true, why, sizeof(why)));
	assert_non_null(strstr(why, "group lookup failed"));
	acc.has_group = false;
	assert_false(fm_rpc_access_allowed(&acc, &ops, true, why, sizeof(why)));
	assert_non_null(strstr(why, "no control group is configured"));
	assert_true(fm_rpc_access_allowed(&acc, &root, true, why, sizeof(why)));
}

static void test_access_init(void **state)
{
	struct fm_rpc_access acc;
	char err[256];

	(void)state;
	assert_int_equal(fm_rpc_access_init(&acc, 3999996, "root", err, sizeof(err)), 0);
	assert_true(acc.has_group);
	assert_int_equal(acc.group_gid, 0);
	assert_int_equal(fm_rpc_access_init(&acc, 3999996, "3999995", err, sizeof(err)), 0);
	assert_int_equal(acc.group_gid, 3999995);
	assert_int_equal(fm_rpc_access_init(&acc, 3999996, "no-such-group-x", err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "group \"no-such-group-x\" does not exist");
	assert_int_equal(fm_rpc_access_init(&acc, 3999996, NULL, err, sizeof(err)), 0);
	assert_false(acc.has_group);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The /proc fallback for kernels without SO_PEERGROUPS, checked against a reused pid. */
static void test_peer_groups_from_proc(void **state)
{
	char path[] = "/tmp/test_jsonrpc_status.XXXXXX", err[256];
	struct fm_rpc_peer p = { .pid = 42, .uid = 1000, .gid = 100 };
	gid_t mine[FM_RPC_PEER_GROUPS_MAX];
	struct fm_rpc_peer me = { .pid = getpid(), .uid = geteuid(), .gid = getegid() };
	int fd = mkstemp(path), n;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "Name:\tx\nUid:\t1000\t1000\t1000\t1000\nGid:\t100\t100\t100\t100\n"
			 "Groups:\t4 27 3999900 \nNgid:\t0\n");
	assert_int_equal(fm_rpc_peer_groups_from_proc(&p, path, err, sizeof(err)), 0);
	assert_int_equal(p.n_groups, 3);
	assert_int_equal(p.groups[2], 3999900);
	assert_int_equal(fm_rpc_peer_in_group(&p, 3999900, err, sizeof(err)), 1);
	/* the pid is another user's process now */
	write_file(path, "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t3999900\n");
	assert_int_equal(fm_rpc_peer_groups_from_proc(&p, path, err, sizeof(err)), -ESRCH);
	assert_non_null(strstr(err, "not the peer's 1000 and 100"));
	assert_int_equal(p.n_groups, 0);
	write_file(path, "Uid:\t1000\t1000\t1000\t1000\nGid:\t100\t100\t100\t100\n");
	assert_int_equal(fm_rpc_peer_groups_from_proc(&p, path, err, sizeof(err)), -EINVAL);
	write_file(path, "Uid:\t1000\t1000\t1000\t1000\nGid:\t100\t100\t100\t100\nGroups:\t1 x\n");
	assert_int_equal(fm_rpc_peer_groups_from_proc(&p, path, err, sizeof(err)), 0);
	assert_int_equal(p.n_groups, 1); /* stops at what is not a number */
	unlink(path);
	assert_int_equal(fm_rpc_peer_groups_from_proc(&p, path, err, sizeof(err)), -ENOENT);
	/* our own process, as the kernel tells it */
	assert_int_equal(fm_rpc_peer_groups_from_proc(&me, "/proc/self/status", err, sizeof(err)),
			 0);
	n = getgroups(FM_RPC_PEER_GROUPS_MAX, mine);
	assert_int_equal((int)me.n_groups, n);
}
/* Access is checked before the handler runs; a refusal is -32000 permission-denied. */
static void test_access_dispatch(void **state)
{
	struct fm_rpc_peer eve = { .pid = 99, .uid = 1002, .gid = 1002 };
	struct harness h;

	(void)state;
	harness_init(&h, 0, &eve);
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"assign\",\"params\":"
		 "{\"function\":\"f\",\"host\":\"h\"}}\n");
	check_error(&h, 0, -32000, "permission-denied", "1", "assign needs privileges");
	assert_int_equal(h.handled, 0);
	assert_int_equal(h.denied, 1);
	assert_non_null(strstr(h.denied_reason, "uid 1002"));
	/* a refused notification is audited but not answered */
	feed(&h, "{\"jsonrpc\":\"2.0\",\"method\":\"unassign\"}\n");
	assert_int_equal(h.denied, 2);
	assert_int_equal(h.n_out, 1);
	/* read methods are open */
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"status\"}\n");
	assert_int_equal(h.handled, 1);
	assert_non_null(strstr(h.out[1], "\"result\""));
	harness_fini(&h);

	/* the daemon's own uid may mutate; the reason is kept on the call */
	eve.uid = 4242;
	harness_init(&h, 0, &eve);
	feed(&h, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"unassign\"}\n");
	assert_non_null(h.stash);
	assert_string_equal(fm_rpc_call_access_reason(h.stash), "uid 4242 is the daemon's own uid");
	fm_rpc_reply_result(h.stash, json_object_new_boolean(1));
	assert_int_equal(h.denied, 0);
	harness_fini(&h);
}

static void test_server_table(void **state)
{
	static const struct fm_rpc_method dup[] = {
		{ "b", 0, m_echo }, { "a", 0, m_echo }, { "b", FM_RPC_MUTATING, m_echo },
	};
	static const struct fm_rpc_method nohandler[] = { { "a", 0, NULL } };
	struct fm_rpc_server_config cfg = { .methods = dup, .n_methods = 3,
					    .send = capture_send };
	struct fm_rpc_method many[200];
	char names[200][8], err[256];
	struct fm_rpc_server *srv;

	(void)state;
	assert_int_equal(fm_rpc_server_new(&srv, &cfg, err, sizeof(err)), -EINVAL);
	assert_null(srv);
	assert_string_equal(err, "method \"b\" is registered twice");
	cfg.methods = nohandler;
	cfg.n_methods = 1;
	assert_int_equal(fm_rpc_server_new(&srv, &cfg, err, sizeof(err)), -EINVAL);
	cfg.send = NULL;
	cfg.n_methods = 0;
	assert_int_equal(fm_rpc_server_new(&srv, &cfg, err, sizeof(err)), -EINVAL);

	for (int i = 0; i < 200; i++) {
		snprintf(names[i], sizeof(names[i]), "m%03d", (i * 7) % 200);
		many[i] = (struct fm_rpc_method){ names[i], 0, m_echo };
	}
	cfg.methods = many;
	cfg.n_methods = 200;
	cfg.send = capture_send;
	assert_int_equal(fm_rpc_server_new(&srv, &cfg, err, sizeof(err)), 0);
	for (int i = 0; i < 200; i++)
		assert_ptr_equal(fm_rpc_server_lookup(srv, names[i]), &many[i]);
	assert_null(fm_rpc_server_lookup(srv, "m200"));
	assert_null(fm_rpc_server_lookup(srv, ""));
	fm_rpc_server_free(srv);
	fm_rpc_server_free(NULL);
	fm_rpc_conn_free(NULL);
}

static void test_peer_from_socket(void **state)
{
	int sv[2], n;
	struct fm_rpc_peer p;
	gid_t mine[FM_RPC_PEER_GROUPS_MAX];
	char err[128], name[64];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fm_rpc_peer_from_socket(sv[0], &p, err, sizeof(err)), 0);
	assert_int_equal(p.uid, getuid());
	assert_int_equal(p.gid, getgid());
	assert_int_equal(p.pid, getpid());
	/* SO_PEERGROUPS: the groups this process has */
	assert_false(p.groups_unread);
	n = getgroups(FM_RPC_PEER_GROUPS_MAX, mine);
	assert_int_equal((int)p.n_groups, n);
	for (int i = 0; i < n; i++)
		assert_int_equal(fm_rpc_peer_in_group(&p, mine[i], name, sizeof(name)), 1);
	assert_int_equal(fm_rpc_peer_in_group(&p, getgid(), name, sizeof(name)), 1);
	assert_true(name[0] != '\0'); /* the test's user has a passwd entry */
	assert_int_equal(fm_rpc_peer_in_group(&p, 3999999, name, sizeof(name)), 0);
	close(sv[0]);
	close(sv[1]);
	assert_true(fm_rpc_peer_from_socket(sv[0], &p, err, sizeof(err)) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_table),
		cmocka_unit_test(test_linebuf),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_dispatch_errors),
		cmocka_unit_test(test_success_shape),
		cmocka_unit_test(test_id_echoed_exactly),
		cmocka_unit_test(test_error_shape),
		cmocka_unit_test(test_oversized_line),
		cmocka_unit_test(test_several_requests_one_buffer),
		cmocka_unit_test(test_split_at_every_byte),
		cmocka_unit_test(test_notification_no_response),
		cmocka_unit_test(test_async_reply),
		cmocka_unit_test(test_conn_free_in_handler),
		cmocka_unit_test(test_conn_free_in_send),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_access_decision),
		cmocka_unit_test(test_access_init),
		cmocka_unit_test(test_peer_groups_from_proc),
		cmocka_unit_test(test_access_dispatch),
		cmocka_unit_test(test_server_table),
		cmocka_unit_test(test_peer_from_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
