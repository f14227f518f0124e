/* rpc: the load client's JSON-RPC connection to fabricd — one request per line, replies
 * read as '\n'-framed lines; usable blocking (one call) or from a poll loop (many). */
#ifndef BENCH_RPC_H
#define BENCH_RPC_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

struct bench_rpc {
	int fd;
	char *buf; /* received bytes; unconsumed ones are buf[start, len) */
	size_t start, len, cap;
	long next_id;
};

/* Connects to the unix socket at path; 0 or -errno. */
int bench_rpc_open(struct bench_rpc *c, const char *path);
void bench_rpc_close(struct bench_rpc *c);
/* Sends {"jsonrpc":"2.0","id":N,"method":M,"params":PARAMS} (params: JSON object text or
 * NULL); returns the id (> 0) or -errno. Blocking write. */
long bench_rpc_send(struct bench_rpc *c, const char *method, const char *params);
/* Reads what the socket has (blocking when block) into the buffer: 0, -EAGAIN, -EPIPE (EOF)
 * or -errno. */
int bench_rpc_fill(struct bench_rpc *c, bool block);
/* The next complete line (NUL-terminated, valid until the next fill), or NULL. */
char *bench_rpc_line(struct bench_rpc *c);
/* One call: sends and waits for the reply with that id (notifications are skipped). Returns
 * the parsed reply (put it) or NULL on a transport error. */
struct json_object *bench_rpc_call(struct bench_rpc *c, const char *method, const char *params);
/* The reply's error message ("" when it has a result). */
const char *bench_rpc_error(struct json_object *reply);

#endif
