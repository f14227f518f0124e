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
#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim */
#endif

#include <json-c/json.h>

#include "endpoint.h"

#define CTL_READ_BUF (64 * 1024)
/* Once this much queued output has been thrown away with dropped connections, the heap is
 * trimmed: glibc keeps freed memory otherwise (measured with the 64 peers cut off in
 * tests/integration/test_ctl_load.sh: 25 MB of RSS kept after they had gone, 8 MB with the
 * trim; 140 MB before reading was paused). */
#define CTL_TRIM_AFTER ((size_t)4 * 1024 * 1024)
/* Backpressure: a connection with this much output unread is not read from, and what it
 * sent is not run (the rest of a read waits in rest, the rest in the kernel), until it is
 * down to CTL_RESUME_AT: a peer that sends requests and reads no answers costs a few
 * answers, not one per request it sent. Above the largest page of `functions`, so a client
 * reading page by page is never paused. */
#define CTL_PAUSE_AT ((size_t)256 * 1024)
#define CTL_RESUME_AT ((size_t)64 * 1024)

struct fm_ctl_conn {
	uv_pipe_t pipe; /* first: the handle's memory is the connection's */
	uv_timer_t stall_timer; /* runs while stalled: an incomplete line held, or paused */
	int handles;           /* of the two, not yet closed by libuv */
	struct fm_ctl *ctl;
	struct fm_ctl_conn *prev, *next;
	struct fm_rpc_conn *rpc; /* NULL once released */
	struct fm_rpc_peer peer; /* for the log; zero until read */
	uint64_t id;
	size_t queued;   /* bytes handed to uv_write, not yet called back (while not closing) */
	size_t dropped;  /* what was queued when it was dropped: freed as it closes */
	bool eof;        /* the peer shut its side; close once answered */
	bool closing;    /* uv_close called */
	bool subscribed;
	bool paused;     /* not reading: too much of its output is unread */
	char *rest;      /* received while paused, not fed yet (NULL: none) */
	size_t rest_len;
	bool progress;   /* a write completed since the stall timer was armed */
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
	size_t queued_total_max;
	size_t queued;   /* sum of the open connections' queued */
	size_t released; /* dropped connections' queued output freed since the last trim */
	unsigned stall_timeout_ms;
	fm_ctl_log_fn log;
	void *log_ctx;
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
	size_t len;
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

	if (--c->handles > 0)
		return;
	fm_rpc_conn_free(c->rpc);
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	ctl->released += c->dropped;
	free(c->rest);
	free(c);
	if (ctl->freeing && !ctl->conns) {
		ctl_destroy(ctl);
		return;
	}
#ifdef __GLIBC__
	if (ctl->released >= CTL_TRIM_AFTER && ctl->queued < CTL_TRIM_AFTER) {
		malloc_trim(0);
		ctl->released = 0;
	}
#endif
}

static void conn_drop(struct fm_ctl_conn *c)
{
	if (c->closing)
		return;
	c->closing = true;
	c->ctl->n_open--;
	/* its queued lines are freed as libuv cancels the writes, in this loop iteration */
	c->ctl->queued -= c->queued;
	c->dropped = c->queued;
	c->queued = 0;
	if (c->subscribed) {
		c->subscribed = false;
		c->ctl->n_subscribers--;
	}
	/* Orphan the pending calls now, so handlers see the connection gone. From inside our
	 * send callback too (jsonrpc.h allows it): a feed in progress then stops at once instead
	 * of running the rest of what the peer sent — a peer cut off for not reading must not
	 * make us render answers to every request it had queued. */
	fm_rpc_conn_free(c->rpc);
	c->rpc = NULL;
	uv_close((uv_handle_t *)&c->stall_timer, on_conn_close);
	uv_close((uv_handle_t *)&c->pipe, on_conn_close);
}

/* Drops c for misbehaving, saying why in the log. */
__attribute__((format(printf, 2, 3)))
static void conn_cut(struct fm_ctl_conn *c, const char *fmt, ...)
{
	struct fm_ctl *ctl = c->ctl;
	char why[192], msg[320];
	va_list ap;

	if (c->closing)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "control connection %llu (pid %d, uid %u) cut off: %s",
		 (unsigned long long)c->id, (int)c->peer.pid, (unsigned)c->peer.uid, why);
	if (ctl->log)
		ctl->log(ctl->log_ctx, msg);
	conn_drop(c);
}

static size_t unwritten(struct fm_ctl_conn *c)
{
	return uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe);
}

/* While the output queued for everyone is over the cap, the peer with the most output it has
 * not read is cut off: the slowest reader pays, not whoever happens to write next. */
static void shed_load(struct fm_ctl *ctl)
{
	while (ctl->queued > ctl->queued_total_max) {
		struct fm_ctl_conn *worst = NULL;

		for (struct fm_ctl_conn *c = ctl->conns; c; c = c->next)
			if (!c->closing && unwritten(c) && (!worst || unwritten(c) > unwritten(worst)))
				worst = c;
		if (!worst)
			return; /* all written to the kernel: freed as the callbacks run */
		conn_cut(worst, "%zu bytes of output unread while all connections' queued output "
			 "(%zu bytes) is over the limit of %zu", unwritten(worst), ctl->queued,
			 ctl->queued_total_max);
	}
}

/* A peer that shut its writing side still gets the answers to what it asked (a script piping
 * one request into socat); the connection closes once they are all written. */
static void conn_close_if_done(struct fm_ctl_conn *c)
{
	if (c->eof && !c->closing && (!c->rpc || fm_rpc_conn_pending(c->rpc) == 0) &&
	    uv_stream_get_write_queue_size((uv_stream_t *)&c->pipe) == 0)
		conn_drop(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);

static void on_stall(uv_timer_t *h)
{
	struct fm_ctl_conn *c = h->data;
	unsigned ms = c->ctl->stall_timeout_ms;

	if (c->paused && c->progress) {
		/* slow, not stalled: it read some since the timer was armed */
		c->progress = false;
		uv_timer_start(&c->stall_timer, on_stall, ms, 0);
		return;
	}
	if (c->paused)
		conn_cut(c, "%zu bytes of output unread and none read for %u ms", unwritten(c), ms);
	else
		conn_cut(c, "a request line left incomplete for %u ms", ms);
}

/* Feeds data (received bytes, or the rest kept while paused); whatever the connection does
 * not take because it became held is kept in c->rest. */
static void conn_feed(struct fm_ctl_conn *c, const char *data, size_t len)
{
	size_t used = 0;
	char *rest;

	/* Handlers may drop c (or free the whole fm_ctl): c itself lives until its close
	 * callback, and feed frees the rpc conn itself if that happened while feeding. */
	if (fm_rpc_conn_feed_some(c->rpc, data, len, &used) < 0) {
		conn_drop(c);
		return;
	}
	if (c->closing || used == len)
		return;
	rest = malloc(len - used);
	if (!rest) {
		conn_drop(c);
		return;
	}
	memcpy(rest, data + used, len - used);
	c->rest = rest; /* there was none: only an unpaused connection is fed */
	c->rest_len = len - used;
}

static void conn_resume(struct fm_ctl_conn *c)
{
	char *rest = c->rest;

	c->paused = false;
	fm_rpc_conn_hold(c->rpc, false);
	if (rest) {
		c->rest = NULL;
		conn_feed(c, rest, c->rest_len);
		if (c->rest != rest)
			free(rest);
		if (c->closing || c->paused)
			return;
	}
	if (!c->eof && uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read) < 0)
		conn_drop(c);
}

/* Pauses reading (and holds the rpc connection, so the rest of a read is not run) when its
 * unread output reaches CTL_PAUSE_AT, resumes it (may_resume: not from inside a feed) once
 * down to CTL_RESUME_AT, and runs the stall timer while the connection is stalled (an
 * incomplete line, or paused). restart: bytes just arrived, an incomplete line's clock
 * starts again. */
static void conn_watch(struct fm_ctl_conn *c, bool restart, bool may_resume)
{
	size_t u;
	bool stalled;

	if (c->closing || !c->rpc)
		return;
	u = unwritten(c);
	if (!c->paused && u >= CTL_PAUSE_AT) {
		uv_read_stop((uv_stream_t *)&c->pipe);
		fm_rpc_conn_hold(c->rpc, true);
		c->paused = true;
		c->progress = false;
		restart = true;
	} else if (c->paused && may_resume && u < CTL_RESUME_AT) {
		conn_resume(c);
		if (c->closing)
			return;
	}
	stalled = c->paused || (c->rpc && fm_rpc_conn_mid_line(c->rpc));
	if (!stalled || restart)
		uv_timer_stop(&c->stall_timer);
	if (stalled && !uv_is_active((uv_handle_t *)&c->stall_timer))
		uv_timer_start(&c->stall_timer, on_stall, c->ctl->stall_timeout_ms, 0);
}

static void on_write(uv_write_t *req, int status)
{
	struct ctl_write *w = (struct ctl_write *)req;
	struct fm_ctl_conn *c = req->handle->data;

	if (!c->closing) {
		c->queued -= w->len;
		c->ctl->queued -= w->len;
	}
	free(w->line);
	free(w);
	if (status < 0) {
		conn_drop(c); /* EPIPE, ECONNRESET; ECANCELED means it is closing already */
		return;
	}
	c->progress = true;
	conn_watch(c, false, true);
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
	queued = unwritten(c);
	/* An empty queue takes any line, however long: only a peer that stopped reading fills
	 * the queue, and that peer is the one to drop. */
	if (queued && queued + len > c->ctl->write_queue_max) {
		conn_cut(c, "%zu bytes of output unread, over the limit of %zu per connection",
			 queued + len, c->ctl->write_queue_max);
		rc = -ENOBUFS;
		goto err;
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
	w->len = len;
	buf = uv_buf_init(line, (unsigned)len);
	rc = uv_write(&w->req, s, &buf, 1, on_write);
	if (rc < 0)
		goto err_drop;
	c->queued += len;
	c->ctl->queued += len;
	shed_load(c->ctl);
	conn_watch(c, false, false);
	return c->closing ? -ENOBUFS : 0;
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
	return conn_write(cookie, line, len);
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
		if (c->rpc)
			conn_feed(c, buf->base, (size_t)nread);
		conn_watch(c, true, false);
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
	struct fm_ctl_conn *c;
	char err[128];
	uv_os_fd_t fd;

	if (status < 0 || ctl->freeing)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	uv_pipe_init(ctl->loop, &c->pipe, 0);
	uv_timer_init(ctl->loop, &c->stall_timer);
	c->handles = 2;
	c->pipe.data = c;
	c->stall_timer.data = c;
	c->ctl = ctl;
	c->id = ++ctl->next_id;
	c->next = ctl->conns;
	if (ctl->conns)
		ctl->conns->prev = c;
	ctl->conns = c;
	ctl->n_open++;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) < 0 ||
	    uv_fileno((uv_handle_t *)&c->pipe, &fd) < 0 ||
	    fm_rpc_peer_from_socket(fd, &c->peer, err, sizeof(err)) < 0 ||
	    fm_rpc_conn_new(&c->rpc, ctl->srv, c, &c->peer, err, sizeof(err)) < 0 ||
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
	ctl->queued_total_max =
		cfg->queued_total_max ? cfg->queued_total_max : FM_CTL_QUEUED_TOTAL_MAX_DEFAULT;
	ctl->stall_timeout_ms =
		cfg->stall_timeout_ms ? cfg->stall_timeout_ms : FM_CTL_STALL_TIMEOUT_MS_DEFAULT;
	ctl->log = cfg->log;
	ctl->log_ctx = cfg->ctx;
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
	scfg.pending_max = cfg->pending_max ? cfg->pending_max : FM_CTL_PENDING_MAX_DEFAULT;
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

size_t fm_ctl_queued(const struct fm_ctl *ctl)
{
	return ctl->queued;
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
