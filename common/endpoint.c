/* endpoint: parse "unix:"/"tcp:" management endpoints and open them with libuv. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "endpoint.h"

static int fail(char *err, size_t errlen, int rc, const char *fmt, const char *a)
{
	snprintf(err, errlen, fmt, a);
	return rc;
}

/* "::1" or a dotted quad in 127.0.0.0/8 that libuv's uv_ip4_addr will take. */
static bool loopback_host(const char *host)
{
	struct in_addr a;

	if (!strcmp(host, "::1"))
		return true;
	return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

int endpoint_parse(const char *spec, struct endpoint *ep, char *err, size_t errlen)
{
	memset(ep, 0, sizeof(*ep));
	if (!strncmp(spec, "unix:", 5)) {
		const char *path = spec + 5;

		if (!*path)
			return fail(err, errlen, -EINVAL, "endpoint \"%s\": empty socket path", spec);
		if (strlen(path) >= sizeof(ep->path))
			return fail(err, errlen, -EINVAL,
				    "endpoint \"%s\": socket path longer than 107 bytes", spec);
		ep->kind = ENDPOINT_UNIX;
		strcpy(ep->path, path);
		return 0;
	}
	if (!strncmp(spec, "tcp:", 4)) {
		const char *rest = spec + 4, *colon;
		char *end;
		unsigned long port;
		size_t hlen;

		if (*rest == '[') {
			const char *close = strchr(rest, ']');

			if (!close || close[1] != ':')
				return fail(err, errlen, -EINVAL,
					    "endpoint \"%s\": expected tcp:[ADDR]:PORT", spec);
			hlen = (size_t)(close - rest - 1);
			if (hlen >= sizeof(ep->host))
				return fail(err, errlen, -EINVAL, "endpoint \"%s\": bad address", spec);
			memcpy(ep->host, rest + 1, hlen);
			colon = close + 1;
		} else {
			colon = strrchr(rest, ':');
			if (!colon)
				return fail(err, errlen, -EINVAL,
					    "endpoint \"%s\": expected tcp:HOST:PORT", spec);
			hlen = (size_t)(colon - rest);
			if (hlen >= sizeof(ep->host))
				return fail(err, errlen, -EINVAL, "endpoint \"%s\": bad address", spec);
			memcpy(ep->host, rest, hlen);
		}
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (!colon[1] || *end || errno || port == 0 || port > 65535)
			return fail(err, errlen, -EINVAL,
				    "endpoint \"%s\": port must be a number from 1 to 65535", spec);
		ep->port = (uint16_t)port;
		if (!strcmp(ep->host, "localhost"))
			strcpy(ep->host, "127.0.0.1");
		if (!loopback_host(ep->host))
			return fail(err, errlen, -EINVAL,
				    "endpoint \"%s\": only loopback addresses (127.0.0.0/8, ::1) are allowed",
				    spec);
		ep->kind = ENDPOINT_TCP;
		return 0;
	}
	return fail(err, errlen, -EINVAL,
		    "endpoint \"%s\": expected unix:PATH or tcp:127.0.0.1:PORT", spec);
}

void endpoint_format(const struct endpoint *ep, char *buf, size_t len)
{
	if (ep->kind == ENDPOINT_UNIX)
		snprintf(buf, len, "unix:%s", ep->path);
	else if (strchr(ep->host, ':'))
		snprintf(buf, len, "tcp:[%s]:%u", ep->host, ep->port);
	else
		snprintf(buf, len, "tcp:%s:%u", ep->host, ep->port);
}

static void free_handle(uv_handle_t *h)
{
	free(h);
}

void endpoint_close(uv_handle_t *h)
{
	if (h && !uv_is_closing(h))
		uv_close(h, free_handle);
}

static int tcp_addr(const struct endpoint *ep, struct sockaddr_storage *ss)
{
	if (strchr(ep->host, ':'))
		return uv_ip6_addr(ep->host, ep->port, (struct sockaddr_in6 *)ss);
	return uv_ip4_addr(ep->host, ep->port, (struct sockaddr_in *)ss);
}

/* Creates the missing directories above a socket path (0755), as RuntimeDirectory= would. */
static int make_parents(const char *path)
{
	char buf[ENDPOINT_PATH_MAX];
	char *p;

	snprintf(buf, sizeof(buf), "%s", path);
	p = strrchr(buf, '/');
	if (!p || p == buf)
		return 0;
	*p = '\0';
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* A unix socket file nobody accepts on is left over from a crash: replace it. */
static int clear_stale_socket(const char *path)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, rc;

	if (lstat(path, &st))
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	return unlink(path) ? -errno : 0;
}

int endpoint_listen(uv_loop_t *loop, const struct endpoint *ep, int mode, uv_connection_cb cb,
		    void *data, uv_stream_t **server, char *err, size_t errlen)
{
	char spec[160];
	int rc;

	endpoint_format(ep, spec, sizeof(spec));
	if (ep->kind == ENDPOINT_UNIX) {
		uv_pipe_t *p = malloc(sizeof(*p));

		if (!p)
			return fail(err, errlen, -ENOMEM, "%s: out of memory", spec);
		rc = make_parents(ep->path);
		if (rc) {
			free(p);
			snprintf(err, errlen, "%s: cannot create its directory: %s", spec, strerror(-rc));
			return rc;
		}
		rc = clear_stale_socket(ep->path);
		if (rc) {
			free(p);
			snprintf(err, errlen, "%s: %s", spec,
				 rc == -EADDRINUSE ? "another process is listening there"
				 : rc == -EEXIST ? "path exists and is not a socket"
						 : strerror(-rc));
			return rc;
		}
		uv_pipe_init(loop, p, 0);
		p->data = data;
		rc = uv_pipe_bind(p, ep->path);
		if (!rc && mode)
			rc = chmod(ep->path, (mode_t)mode) ? -errno : 0;
		if (!rc)
			rc = uv_listen((uv_stream_t *)p, 128, cb);
		if (rc) {
			endpoint_close((uv_handle_t *)p);
			snprintf(err, errlen, "%s: %s", spec, uv_strerror(rc));
			return rc;
		}
		*server = (uv_stream_t *)p;
		return 0;
	} else {
		uv_tcp_t *t = malloc(sizeof(*t));
		struct sockaddr_storage ss;

		if (!t)
			return fail(err, errlen, -ENOMEM, "%s: out of memory", spec);
		uv_tcp_init(loop, t);
		t->data = data;
		rc = tcp_addr(ep, &ss);
		if (!rc)
			rc = uv_tcp_bind(t, (struct sockaddr *)&ss, 0);
		if (!rc)
			rc = uv_listen((uv_stream_t *)t, 128, cb);
		if (rc) {
			endpoint_close((uv_handle_t *)t);
			snprintf(err, errlen, "%s: %s", spec, uv_strerror(rc));
			return rc;
		}
		*server = (uv_stream_t *)t;
		return 0;
	}
}

int endpoint_accept(uv_stream_t *server, uv_stream_t **client)
{
	uv_stream_t *s;
	int rc;

	if (server->type == UV_NAMED_PIPE) {
		uv_pipe_t *p = malloc(sizeof(*p));

		if (!p)
			return UV_ENOMEM;
		uv_pipe_init(server->loop, p, 0);
		s = (uv_stream_t *)p;
	} else {
		uv_tcp_t *t = malloc(sizeof(*t));

		if (!t)
			return UV_ENOMEM;
		uv_tcp_init(server->loop, t);
		uv_tcp_nodelay(t, 1);
		s = (uv_stream_t *)t;
	}
	rc = uv_accept(server, s);
	if (rc) {
		endpoint_close((uv_handle_t *)s);
		return rc;
	}
	*client = s;
	return 0;
}

struct connect_req {
	uv_connect_t req;
	endpoint_connect_cb cb;
	void *arg;
};

static void on_connected(uv_connect_t *req, int status)
{
	struct connect_req *cr = (struct connect_req *)req;
	uv_stream_t *s = req->handle;

	if (status) {
		endpoint_close((uv_handle_t *)s);
		cr->cb(NULL, status, cr->arg);
	} else {
		if (s->type == UV_TCP)
			uv_tcp_nodelay((uv_tcp_t *)s, 1);
		cr->cb(s, 0, cr->arg);
	}
	free(cr);
}

int endpoint_connect(uv_loop_t *loop, const struct endpoint *ep, endpoint_connect_cb cb,
		     void *arg)
{
	struct connect_req *cr = calloc(1, sizeof(*cr));
	int rc = 0;

	if (!cr)
		return UV_ENOMEM;
	cr->cb = cb;
	cr->arg = arg;
	if (ep->kind == ENDPOINT_UNIX) {
		uv_pipe_t *p = malloc(sizeof(*p));

		if (!p) {
			free(cr);
			return UV_ENOMEM;
		}
		uv_pipe_init(loop, p, 0);
		uv_pipe_connect(&cr->req, p, ep->path, on_connected);
	} else {
		uv_tcp_t *t = malloc(sizeof(*t));
		struct sockaddr_storage ss;

		if (!t) {
			free(cr);
			return UV_ENOMEM;
		}
		uv_tcp_init(loop, t);
		rc = tcp_addr(ep, &ss);
		if (!rc)
			rc = uv_tcp_connect(&cr->req, t, (struct sockaddr *)&ss, on_connected);
		if (rc) {
			endpoint_close((uv_handle_t *)t);
			free(cr);
		}
	}
	return rc;
}
