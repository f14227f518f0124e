/* endpoint: where a daemon listens or connects: "unix:PATH" or "tcp:HOST:PORT" (loopback
 * only), with libuv listen/accept/connect helpers that allocate and free the handles. */
#ifndef FABRIC_ENDPOINT_H
#define FABRIC_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

enum endpoint_kind {
	ENDPOINT_UNIX = 1,
	ENDPOINT_TCP = 2,
};

#define ENDPOINT_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path) */

struct endpoint {
	enum endpoint_kind kind;
	char path[ENDPOINT_PATH_MAX]; /* ENDPOINT_UNIX */
	char host[64];                /* ENDPOINT_TCP: a loopback address */
	uint16_t port;                /* ENDPOINT_TCP */
};

/* Parses "unix:PATH" or "tcp:127.0.0.1:PORT" / "tcp:[::1]:PORT" / "tcp:localhost:PORT"
 * (host then "127.0.0.1"). Anything off loopback is refused: these are management planes;
 * an IPv4 host is a dotted quad in 127.0.0.0/8, IPv6 only ::1. 0 or -EINVAL. */
int endpoint_parse(const char *spec, struct endpoint *ep, char *err, size_t errlen);
/* Back to the spec text. */
void endpoint_format(const struct endpoint *ep, char *buf, size_t len);

/* Listens; *server is a new handle (uv_pipe_t or uv_tcp_t) whose data is set to data.
 * A stale unix socket file (nobody listening) is replaced; a live one is an error
 * (-EADDRINUSE), so two simulators cannot silently share a path. mode (unix only, 0 =
 * leave) is applied with chmod. Free with endpoint_close. */
int endpoint_listen(uv_loop_t *loop, const struct endpoint *ep, int mode, uv_connection_cb cb,
		    void *data, uv_stream_t **server, char *err, size_t errlen);
/* Accepts one connection on server into a new handle of the same kind. */
int endpoint_accept(uv_stream_t *server, uv_stream_t **client);

typedef void (*endpoint_connect_cb)(uv_stream_t *stream, int status, void *arg);
/* Connects; cb gets the new stream (owned by the callee then) or NULL and a libuv error
 * (the handle already freed). */
int endpoint_connect(uv_loop_t *loop, const struct endpoint *ep, endpoint_connect_cb cb,
		     void *arg);

/* Closes a handle that the functions above allocated and frees it in the close callback. */
void endpoint_close(uv_handle_t *h);

#endif
