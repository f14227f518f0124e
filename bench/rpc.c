/* rpc: the load client's connection to fabricd's JSON-RPC control socket. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "rpc.h"

int bench_rpc_open(struct bench_rpc *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->next_id = 1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		close(c->fd);
		c->fd = -1;
		return -e;
	}
	return 0;
}

void bench_rpc_close(struct bench_rpc *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

long bench_rpc_send(struct bench_rpc *c, const char *method, const char *params)
{
	char line[1024];
	long id = c->next_id++;
	int n = snprintf(line, sizeof(line), "{\"jsonrpc\":\"2.0\",\"id\":%ld,\"method\":\"%s\"%s%s}\n",
			 id, method, params ? ",\"params\":" : "", params ? params : "");
	size_t off = 0;

	if (n < 0 || (size_t)n >= sizeof(line))
		return -E2BIG;
	while (off < (size_t)n) {
		ssize_t w = write(c->fd, line + off, (size_t)n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		off += (size_t)w;
	}
	return id;
}

int bench_rpc_fill(struct bench_rpc *c, bool block)
{
	ssize_t r;

	if (c->start && c->start == c->len)
		c->start = c->len = 0;
	if (c->cap - c->len < 65536) {
		size_t keep = c->len - c->start;
		size_t cap = c->cap < 131072 ? 131072 : c->cap;

		if (keep + 65536 > cap)
			cap = (keep + 65536) * 2;
		if (c->start) {
			memmove(c->buf, c->buf + c->start, keep);
			c->start = 0;
			c->len = keep;
		}
		if (cap != c->cap) {
			char *b = realloc(c->buf, cap);

			if (!b)
				return -ENOMEM;
			c->buf = b;
			c->cap = cap;
		}
	}
	do
		r = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, block ? 0 : MSG_DONTWAIT);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (r == 0)
		return -EPIPE;
	c->len += (size_t)r;
	return 0;
}

char *bench_rpc_line(struct bench_rpc *c)
{
	char *s, *nl;

	if (c->start >= c->len)
		return NULL;
	s = c->buf + c->start;
	nl = memchr(s, '\n', c->len - c->start);
	if (!nl)
		return NULL;
	*nl = '\0';
	c->start = (size_t)(nl - c->buf) + 1;
	return s;
}

struct json_object *bench_rpc_call(struct bench_rpc *c, const char *method, const char *params)
{
	long id = bench_rpc_send(c, method, params);

	if (id < 0)
		return NULL;
	for (;;) {
		char *line;

		while ((line = bench_rpc_line(c))) {
			struct json_object *o = json_tokener_parse(line), *jid;

			if (o && json_object_object_get_ex(o, "id", &jid) && json_object_get_int64(jid) == id)
				return o;
			json_object_put(o);
		}
		if (bench_rpc_fill(c, true))
			return NULL;
	}
}

const char *bench_rpc_error(struct json_object *reply)
{
	struct json_object *e, *m;

	if (!reply)
		return "no reply (connection lost)";
	if (!json_object_object_get_ex(reply, "error", &e))
		return "";
	if (json_object_object_get_ex(e, "message", &m))
		return json_object_get_string(m);
	return "error";
}
