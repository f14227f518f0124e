/* libFuzzer target: arbitrary bytes, in reads of varying size, into fabricd's JSON-RPC layer
 * (manager/jsonrpc.c) with methods answered at once or later; every line sent must be JSON,
 * and a number id in it must be one the input holds, digit for digit (never a clamped one). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jsonrpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LATER 16

struct fz {
	struct fm_rpc_conn *conn;
	struct fm_rpc_call *later[MAX_LATER]; /* calls to answer after a later read */
	unsigned n_later;
	unsigned answers;
	bool drop_in_handler; /* "drop" frees the connection from inside its handler */
	const uint8_t *input; /* the bytes fed, for the id check */
	size_t input_len;
};

/* The transport: checks the framing and the JSON, then frees the line as a socket would. */
static int fz_send(void *cookie, char *line, size_t len)
{
	struct fz *z = cookie;
	struct json_object *o, *id;

	if (!len || line[len - 1] != '\n' || memchr(line, '\n', len - 1))
		abort();
	line[len - 1] = '\0';
	o = json_tokener_parse(line);
	if (!o || !json_object_is_type(o, json_type_object))
		abort();
	if (json_object_object_get_ex(o, "id", &id) &&
	    (json_object_is_type(id, json_type_int) || json_object_is_type(id, json_type_double))) {
		/* Every response starts {"jsonrpc":"2.0","id":ID, */
		static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":";
		const char *start = line + sizeof(head) - 1, *end;

		if (strncmp(line, head, sizeof(head) - 1) || !(end = strchr(start, ',')) ||
		    !memmem(z->input, z->input_len, start, (size_t)(end - start)))
			abort();
	}
	json_object_put(o);
	free(line);
	return 0;
}

static void answer(struct fz *z, struct fm_rpc_call *call)
{
	if (z->answers++ % 2)
		fm_rpc_reply_error_data(call, FM_RPC_E_FUNCTION_BUSY,
					json_tokener_parse("{\"host\":\"web2\",\"code\":\"x\"}"),
					"busy: %s", fm_rpc_call_method(call));
	else
		fm_rpc_reply_result(call, json_object_new_object());
}

static void m_echo(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	(void)ctx;
	fm_rpc_reply_result(call, json_object_get(params));
}

/* Answered after the next read (or when the input ends). */
static void m_later(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct fz *z = ctx;

	(void)params;
	if (z->n_later == MAX_LATER)
		answer(z, z->later[--z->n_later]);
	z->later[z->n_later++] = call;
}

/* A mutating method using every parameter helper. */
static void m_assign(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	static const char *const known[] = {"function", "host", "dry_run", "timeout_ms", "note", NULL};
	const char *fn, *host, *note = NULL;
	bool dry = false;
	uint64_t t = 0;

	(void)ctx;
	if (fm_rpc_param_check_known(call, params, known) ||
	    fm_rpc_param_string(call, params, "function", &fn) ||
	    fm_rpc_param_string(call, params, "host", &host) ||
	    fm_rpc_param_opt_bool(call, params, "dry_run", &dry) ||
	    fm_rpc_param_opt_uint(call, params, "timeout_ms", 1, 3600000, &t) ||
	    fm_rpc_param_opt_string(call, params, "note", &note))
		return;
	fm_rpc_reply_error(call, FM_RPC_E_NO_SUCH_FUNCTION, "no function %s for %s (%s)", fn, host,
			   note ? note : "-");
}

static void m_drop(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct fz *z = ctx;

	(void)params;
	if (z->drop_in_handler && z->conn) {
		fm_rpc_conn_free(z->conn);
		z->conn = NULL;
	}
	fm_rpc_reply_result(call, NULL);
}

static int fake_group(const struct fm_rpc_peer *peer, gid_t group, char *name, size_t namelen)
{
	(void)group;
	snprintf(name, namelen, "user%u", (unsigned)peer->uid);
	return peer->uid % 3 == 0 ? 1 : peer->uid % 3 == 1 ? 0 : -5;
}

static void denied(void *ctx, const struct fm_rpc_peer *peer, const char *method,
		   struct json_object *params, const char *reason)
{
	(void)ctx;
	(void)params;
	(void)peer;
	(void)method;
	(void)reason;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fm_rpc_method methods[] = {
		{"assign", FM_RPC_MUTATING, m_assign},
		{"drop", 0, m_drop},
		{"echo", 0, m_echo},
		{"later", 0, m_later},
		{"unassign", FM_RPC_MUTATING, m_later},
	};
	struct fm_rpc_server_config cfg = {0};
	struct fm_rpc_server *srv = NULL;
	struct fm_rpc_peer peer = {0};
	struct fz z = {0};
	char err[256];
	size_t chunk, off = 0;

	if (size < 2)
		return 0;
	/* byte 0: read size; byte 1: peer, line limit, drop behaviour */
	chunk = (size_t)data[0] % 97 + 1;
	peer.uid = (uid_t)(data[1] & 3) * 1000 + (data[1] & 4 ? 0 : 1);
	peer.gid = data[1] & 8 ? 4242 : 100;
	peer.pid = 1;
	z.drop_in_handler = data[1] & 16;
	cfg.methods = methods;
	cfg.n_methods = sizeof(methods) / sizeof(methods[0]);
	cfg.send = fz_send;
	cfg.denied = denied;
	cfg.ctx = &z;
	cfg.line_max = data[1] & 32 ? 64 : 0;
	cfg.access.daemon_uid = 2001;
	cfg.access.has_group = data[1] & 64;
	cfg.access.group_gid = 4242;
	cfg.access.lookup = fake_group;
	data += 2;
	size -= 2;
	z.input = data;
	z.input_len = size;
	if (fm_rpc_server_new(&srv, &cfg, err, sizeof(err)) ||
	    fm_rpc_conn_new(&z.conn, srv, &z, &peer, err, sizeof(err)))
		abort();
	while (off < size && z.conn) {
		size_t n = size - off < chunk ? size - off : chunk;

		if (fm_rpc_conn_feed(z.conn, (const char *)data + off, n))
			break;
		off += n;
		/* answer the oldest deferred call between reads */
		if (z.n_later) {
			struct fm_rpc_call *c = z.later[0];

			memmove(z.later, z.later + 1, --z.n_later * sizeof(z.later[0]));
			answer(&z, c);
		}
	}
	/* the peer hangs up: pending calls are orphaned, answering them only frees them */
	fm_rpc_conn_free(z.conn);
	while (z.n_later)
		answer(&z, z.later[--z.n_later]);
	fm_rpc_server_free(srv);
	return 0;
}
