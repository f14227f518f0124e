/* control: fabricd's control socket — accepts unix-socket clients, reads their credentials,
 * feeds their bytes to the JSON-RPC layer and writes its answers and event notifications. */
#include "control.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "endpoint.h"

#define CTL_READ_BUF (64 * 1024)

struct fm_ctl_conn {
	uv_pipe_t pipe; /* first: the handle's memory is the connection's */
	struct fm_ctl *ctl;
	struct fm_ctl_conn *prev, *next;
	struct fm_rpc_conn *rpc; /* NULL once released */
	uint64_t id;
	int in_send;     /* inside rpc_send: the rpc conn must not be freed now */
	bool eof;        /* the peer shut its side; close once answered */
	bool closing;    /* uv_close called */
	bool subscribed;
};

struct fm_ctl {
	uv_loop_t *loop;
	uv_stream_t *listener;
	struct fm_rpc_server *srv;
	struct fm_ctl_conn *conns; /* every connection not yet closed by libuv */
	size_t n_open;             /* of those, not closing */
	size_t n_subscribers;
	uint64_t next_id;
	size_t write_queue_max;
	char path[ENDPOINT_PATH_MAX];
	dev_t sock_dev; /* the socket file we made, so we only ever unlink that one */
	ino_t sock_ino;
	bool freeing;
	/* One loop thread: libuv reads into this and calls on_read before it reads again. */
	char rbuf[CTL_READ_BUF];
};

struct ctl_write {
	uv_write_t req;
	char *line;
};

__attribute__((format(printf, 4, 5)))
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- connections ------------------------------------------------------------------------ */

static void ctl_destroy(struct fm_ctl *ctl)
{
	fm_rpc_server_free(ctl->srv);
	free(ctl);
}

static void on_conn_close(uv_handle_t *h)
{
	struct fm_ctl_conn *c = h->data;
	struct fm_ctl *ctl = c->ctl;

	fm_rpc_conn_free(c->rpc);
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	if (ctl->freeing && !ctl->conns)
		ctl_destroy(ctl);
}

static void conn_drop(struct fm_ctl_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	c->ctl->n_open--;
	if (c->subscribed) {
		c->subscribed = false;
		c->ctl->n_subscribers--;
	}
	/* Orphan the pending calls now, so handlers see the connection gone — except from inside
	 * our own send callback, where the rpc conn is still on the stack: on_conn_close does it. */
	if (!c->in_send) {
		fm_rpc_conn_free(c->rpc);
		c->rpc = NULL;
	}
	uv_close((uv_handle_t *)&c->pipe, on_conn_close);
}

/* A peer that shut its writing side still gets the answers to what it asked (a script piping
 * one request into socat); the connection closes once they are all written. */
static void conn_close_if_done(struct fm_ctl_conn *c)
{
	if (c->eof && !c->closing && (!c->rpc || fm_rpc_conn_pending(c->rpc) == 0) &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) == 0)
		conn_drop(c);
}

static void on_write(uv_write_t *req, int status)
{
	struct ctl_write *w = (struct ctl_write *)req;
	struct fm_ctl_conn *c = req->handle->data;

	free(w->line);
	free(w);
	if (status < 0)
		conn_drop(c); /* EPIPE, ECONNRESET; ECANCELED means it is closing already */
	else
		conn_close_if_done(c);
}

/* Queues line (taken) on c. Any failure drops the connection: a client missing an answer or
 * an event would otherwise wait forever or miss it silently. */
static int conn_write(struct fm_ctl_conn *c, char *line, size_t len)
{
	uv_stream_t *s = (uv_stream_t *)&c->pipe;
	struct ctl_write *w = NULL;
	size_t queued;
	uv_buf_t buf;
	int rc;

	if (c->closing) {
		rc = -ENOTCONN;
		goto err;
	}
	queued = uv_stream_get_write_queue_size(s);
	/* An empty queue takes any line, however long: only a peer that stopped reading fills
	 * the queue, and that peer is the one to drop. */
	if (queued && queued + len > c->ctl->write_queue_max) {
		rc = -ENOBUFS;
		goto err_drop;
	}
	if (len > UINT_MAX) {
		rc = -EMSGSIZE;
		goto err_drop;
	}
	w = malloc(sizeof(*w));
	if (!w) {
		rc = -ENOMEM;
		goto err_drop;
	}
	w->line = line;
	buf = uv_buf_init(line, (unsigned)len);
	rc = uv_write(&w->req, s, &buf, 1, on_write);
	if (rc < 0)
		goto err_drop;
	return 0;
err_drop:
	conn_drop(c);
err:
	free(w);
	free(line);
	return rc;
}

/* jsonrpc's transport callback; the cookie is our connection. */
static int rpc_send(void *cookie, char *line, size_t len)
{
	struct fm_ctl_conn *c = cookie;
	int rc;

	c->in_send++;
	rc = conn_write(c, line, len);
	c->in_send--;
	return rc;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct fm_ctl_conn *c = h->data;

	(void)suggested;
	*buf = uv_buf_init(c->ctl->rbuf, sizeof(c->ctl->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct fm_ctl_conn *c = s->data;

	if (nread > 0) {
		/* Handlers may drop c (or free the whole fm_ctl): c itself lives until its close
		 * callback, and feed frees the rpc conn itself if that happened while feeding. */
		if (c->rpc && fm_rpc_conn_feed(c->rpc, buf->base, (size_t)nread) < 0)
			conn_drop(c);
	} else if (nread == UV_EOF) {
		c->eof = true; /* libuv has stopped reading */
		conn_close_if_done(c);
	} else if (nread < 0) {
		conn_drop(c);
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct fm_ctl *ctl = server->data;
	struct fm_rpc_peer peer;
	struct fm_ctl_conn *c;
	char err[128];
	uv_os_fd_t fd;

	if (status < 0 || ctl->freeing)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	uv_pipe_init(ctl->loop, &c->pipe, 0);
	c->pipe.data = c;
	c->ctl = ctl;
	c->id = ++ctl->next_id;
	c->next = ctl->conns;
	if (ctl->conns)
		ctl->conns->prev = c;
	ctl->conns = c;
	ctl->n_open++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 ||
	    uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
	    fm_rpc_peer_from_socket(fd, &peer, err, sizeof(err)) < 0 ||
	    fm_rpc_conn_new(&c->rpc, ctl->srv, c, &peer, err, sizeof(err)) < 0 ||
	    uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0)
		conn_drop(c); /* without its credentials a peer cannot be served */
}

/* ---- the server ------------------------------------------------------------------------- */

static int mkdir_one(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, 0755) == 0) {
		/* A restrictive umask would lock the control group out of the socket below. */
		if (chmod(dir, 0755) < 0)
			return fail(err, errlen, -errno, "chmod 0755 %s: %s", dir, strerror(errno));
		return 0;
	}
	if (errno != EEXIST)
		return fail(err, errlen, -errno, "cannot create directory %s: %s", dir,
			    strerror(errno));
	if (stat(dir, &st) < 0)
		return fail(err, errlen, -errno, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return fail(err, errlen, -ENOTDIR, "%s: not a directory", dir);
	return 0;
}

/* mkdir -p of the socket's directory. */
static int make_parent_dirs(const char *path, char *err, size_t errlen)
{
	char dir[ENDPOINT_PATH_MAX];
	char *slash;
	int rc;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		rc = mkdir_one(dir, err, errlen);
		*p = '/';
		if (rc < 0)
			return rc;
	}
	return mkdir_one(dir, err, errlen);
}

static void unlink_our_socket(struct fm_ctl *ctl)
{
	struct stat st;

	if (lstat(ctl->path, &st) == 0 && st.st_dev == ctl->sock_dev && st.st_ino == ctl->sock_ino)
		unlink(ctl->path);
}

int fm_ctl_new(uv_loop_t *loop, const struct fm_ctl_config *cfg, struct fm_ctl **out, char *err,
	       size_t errlen)
{
	struct fm_rpc_server_config scfg;
	struct fm_ctl *ctl = NULL;
	struct endpoint ep;
	struct stat st;
	char msg[256];
	unsigned mode = cfg->mode ? cfg->mode : FM_CTL_MODE_DEFAULT;
	bool bound = false;
	int rc;

	*out = NULL;
	if (!cfg->path || !cfg->path[0]) {
		rc = fail(err, errlen, -EINVAL, "control socket: no path");
		goto err_free;
	}
	if (strlen(cfg->path) >= sizeof(ep.path)) {
		rc = fail(err, errlen, -ENAMETOOLONG,
			  "control socket %s: path longer than %zu bytes", cfg->path,
			  sizeof(ep.path) - 1);
		goto err_free;
	}
	if (mode & ~07777u) {
		rc = fail(err, errlen, -EINVAL, "control socket %s: bad mode %o", cfg->path, mode);
		goto err_free;
	}
	ctl = calloc(1, sizeof(*ctl));
	if (!ctl) {
		rc = fail(err, errlen, -ENOMEM, "control socket: out of memory");
		goto err_free;
	}
	ctl->loop = loop;
	ctl->write_queue_max =
		cfg->write_queue_max ? cfg->write_queue_max : FM_CTL_WRITE_QUEUE_MAX_DEFAULT;
	snprintf(ctl->path, sizeof(ctl->path), "%s", cfg->path);

	memset(&scfg, 0, sizeof(scfg));
	rc = fm_rpc_access_init(&scfg.access, cfg->daemon_uid, cfg->group, msg, sizeof(msg));
	if (rc < 0) {
		fail(err, errlen, rc, "control socket %s: %s", cfg->path, msg);
		goto err_free;
	}
	scfg.access.lookup = cfg->group_lookup;
	scfg.methods = cfg->methods;
	scfg.n_methods = cfg->n_methods;
	scfg.send = rpc_send;
	scfg.denied = cfg->denied;
	scfg.ctx = cfg->ctx;
	scfg.line_max = cfg->line_max;
	rc = fm_rpc_server_new(&ctl->srv, &scfg, msg, sizeof(msg));
	if (rc < 0) {
		fail(err, errlen, rc, "control socket: %s", msg);
		goto err_free;
	}

	rc = make_parent_dirs(cfg->path, msg, sizeof(msg));
	if (rc < 0) {
		fail(err, errlen, rc, "control socket %s: %s", cfg->path, msg);
		goto err_free;
	}
	memset(&ep, 0, sizeof(ep));
	ep.kind = ENDPOINT_UNIX;
	snprintf(ep.path, sizeof(ep.path), "%s", cfg->path);
	/* Mode 0: the group is set before the mode opens the socket to it. */
	rc = endpoint_listen(loop, &ep, 0, on_connection, ctl, &ctl->listener, msg, sizeof(msg));
	if (rc < 0) {
		fail(err, errlen, rc, "control socket %s", msg);
		goto err_free;
	}
	bound = true;
	if (lstat(cfg->path, &st) < 0) {
		rc = fail(err, errlen, -errno, "control socket %s: %s", cfg->path, strerror(errno));
		goto err_free;
	}
	ctl->sock_dev = st.st_dev;
	ctl->sock_ino = st.st_ino;
	if (scfg.access.has_group && chown(cfg->path, (uid_t)-1, scfg.access.group_gid) < 0) {
		int e = errno;

		rc = fail(err, errlen, -e, "control socket %s: cannot give it to group %s: %s%s",
			  cfg->path, cfg->group, strerror(e),
			  e == EPERM ? " (fabricd must run as root or as a member of that group)"
				     : "");
		goto err_free;
	}
	if (chmod(cfg->path, (mode_t)mode) < 0) {
		rc = fail(err, errlen, -errno, "control socket %s: chmod %o: %s", cfg->path, mode,
			  strerror(errno));
		goto err_free;
	}
	*out = ctl;
	return 0;
err_free:
	if (ctl) {
		if (bound)
			unlink_our_socket(ctl);
		endpoint_close((uv_handle_t *)ctl->listener);
		ctl_destroy(ctl);
	}
	return rc;
}

void fm_ctl_free(struct fm_ctl *ctl)
{
	if (!ctl || ctl->freeing)
		return;
	ctl->freeing = true;
	endpoint_close((uv_handle_t *)ctl->listener);
	ctl->listener = NULL;
	unlink_our_socket(ctl);
	/* conn_drop leaves c in the list (on_conn_close unlinks it), so this walk is safe. */
	for (struct fm_ctl_conn *c = ctl->conns; c; c = c->next)
		conn_drop(c);
	if (!ctl->conns)
		ctl_destroy(ctl);
}

size_t fm_ctl_connections(const struct fm_ctl *ctl)
{
	return ctl->n_open;
}

size_t fm_ctl_subscribers(const struct fm_ctl *ctl)
{
	return ctl->n_subscribers;
}

/* ---- subscriptions ---------------------------------------------------------------------- */

struct fm_ctl_conn *fm_ctl_subscribe(struct fm_rpc_call *call)
{
	struct fm_ctl_conn *c = fm_rpc_call_cookie(call);

	if (!c || c->closing)
		return NULL;
	if (!c->subscribed) {
		c->subscribed = true;
		c->ctl->n_subscribers++;
	}
	return c;
}

uint64_t fm_ctl_conn_id(const struct fm_ctl_conn *conn)
{
	return conn->id;
}

struct fm_ctl_conn *fm_ctl_conn_find(struct fm_ctl *ctl, uint64_t id)
{
	for (struct fm_ctl_conn *c = ctl->conns; c; c = c->next)
		if (c->id == id)
			return c->closing ? NULL : c;
	return NULL;
}

/* The notification as one malloc'd '\n'-terminated line. */
static char *notification_line(const char *method, struct json_object *params, size_t *lenp)
{
	struct json_object *n = json_object_new_object();
	struct json_object *v = json_object_new_string("2.0");
	struct json_object *m = json_object_new_string(method);
	char *line = NULL;
	const char *s;
	size_t len;

	if (!n || !v || !m) {
		json_object_put(v);
		json_object_put(m);
		goto out;
	}
	json_object_object_add(n, "jsonrpc", v);
	json_object_object_add(n, "method", m);
	if (params)
		json_object_object_add(n, "params", json_object_get(params));
	/* PLAIN escapes control characters, so the only '\n' is the terminator. */
	s = json_object_to_json_string_length(n, JSON_C_TO_STRING_PLAIN |
							 JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!s)
		goto out;
	line = malloc(len + 1);
	if (!line)
		goto out;
	memcpy(line, s, len);
	line[len] = '\n';
	*lenp = len + 1;
out:
	json_object_put(n);
	return line;
}

int fm_ctl_notify(struct fm_ctl_conn *conn, const char *method, struct json_object *params)
{
	char *line;
	size_t len;

	if (!conn || conn->closing)
		return -ENOTCONN;
	line = notification_line(method, params, &len);
	if (!line) {
		conn_drop(conn);
		return -ENOMEM;
	}
	return conn_write(conn, line, len);
}

int fm_ctl_notify_all(struct fm_ctl *ctl, const char *method, struct json_object *params)
{
	char *line, *copy;
	size_t len;
	int n = 0;

	if (!ctl->n_subscribers)
		return 0;
	line = notification_line(method, params, &len);
	if (!line)
		return -ENOMEM;
	/* conn_write may drop c; it stays in the list until its close callback. */
	for (struct fm_ctl_conn *c = ctl->conns; c; c = c->next) {
		if (!c->subscribed || c->closing)
			continue;
		copy = malloc(len);
		if (!copy) {
			conn_drop(c);
			continue;
		}
		memcpy(copy, line, len);
		if (conn_write(c, copy, len) == 0)
			n++;
	}
	free(line);
	return n;
}
