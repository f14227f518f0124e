/* client: fabric-ctl's connection to fabricd — connect with a deadline, send one JSON-RPC
 * request, read '\n'-framed lines of any size, and check each one before trusting it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "client.h"
#include "output.h"

struct ctl_conn {
	int fd;
	char *buf;      /* received bytes; the unconsumed ones are buf[start, len) */
	size_t start, len, cap;
	size_t scanned; /* bytes after start already searched for '\n' */
	int64_t next_id;
};

int64_t ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events; 0, -ETIMEDOUT, -EINTR (stop set) or -errno. */
static int wait_fd(int fd, short events, int64_t deadline_ms, volatile sig_atomic_t *stop)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int64_t left = -1;
		int n;

		if (stop && *stop)
			return -EINTR;
		if (deadline_ms >= 0) {
			left = deadline_ms - ctl_now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			if (left > 60 * 60 * 1000)
				left = 60 * 60 * 1000;
		}
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

int ctl_conn_open(struct ctl_conn **connp, const char *path, int64_t deadline_ms, char *err,
		  size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ctl_conn *conn = NULL;
	struct timeval tv;
	int64_t left;
	int fd = -1, rc;

	*connp = NULL;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path is %zu bytes, a unix socket allows %zu",
			 strlen(path), sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return rc;
	}
	/* a unix connect blocks while the listener's backlog is full: bound it by the deadline */
	left = deadline_ms < 0 ? 0 : deadline_ms - ctl_now_ms();
	if (left < 1 && deadline_ms >= 0)
		left = 1;
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		goto err_errno;
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		if (errno != EINTR)
			goto err_errno;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK))
		goto err_errno;
	conn = calloc(1, sizeof(*conn));
	if (!conn) {
		errno = ENOMEM;
		goto err_errno;
	}
	conn->fd = fd;
	conn->next_id = 1;
	*connp = conn;
	return 0;
err_errno:
	rc = -errno;
	if (rc == -EAGAIN || rc == -EINPROGRESS)
		snprintf(err, errlen, "fabricd is not accepting connections (backlog full)");
	else
		snprintf(err, errlen, "%s", strerror(errno));
	close(fd);
	return rc;
}

void ctl_conn_free(struct ctl_conn *conn)
{
	if (!conn)
		return;
	close(conn->fd);
	free(conn->buf);
	free(conn);
}

void ctl_reply_clear(struct ctl_reply *r)
{
	json_object_put(r->root);
	memset(r, 0, sizeof(*r));
}

static int send_all(struct ctl_conn *conn, const char *p, size_t len, int64_t deadline_ms,
		    volatile sig_atomic_t *stop, char *err, size_t errlen)
{
	while (len) {
		ssize_t n = send(conn->fd, p, len, MSG_NOSIGNAL);
		int rc;

		if (n >= 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (errno == EPIPE || errno == ECONNRESET) {
			snprintf(err, errlen, "fabricd closed the connection");
			return -ECONNRESET;
		}
		if (errno != EAGAIN && errno != EINTR) {
			rc = -errno;
			snprintf(err, errlen, "sending the request: %s", strerror(errno));
			return rc;
		}
		rc = wait_fd(conn->fd, POLLOUT, deadline_ms, stop);
		if (rc) {
			snprintf(err, errlen, "sending the request: %s", strerror(-rc));
			return rc;
		}
	}
	return 0;
}

/* The next complete line (without '\n'), valid until the next call. */
static int next_line(struct ctl_conn *conn, int64_t deadline_ms, volatile sig_atomic_t *stop,
		     char **line, size_t *linelen, char *err, size_t errlen)
{
	for (;;) {
		char *from = conn->buf + conn->start + conn->scanned;
		char *nl = conn->len > conn->start + conn->scanned
				   ? memchr(from, '\n', conn->len - conn->start - conn->scanned)
				   : NULL;
		ssize_t n;
		int rc;

		if (nl) {
			*line = conn->buf + conn->start;
			*linelen = (size_t)(nl - *line);
			conn->start = (size_t)(nl - conn->buf) + 1;
			conn->scanned = 0;
			return 0;
		}
		conn->scanned = conn->len - conn->start;
		if (conn->scanned > CTL_LINE_MAX) {
			snprintf(err, errlen, "a line of more than %u bytes", CTL_LINE_MAX);
			return -EMSGSIZE;
		}
		if (conn->start == conn->len) {
			conn->start = conn->len = 0;
		} else if (conn->len == conn->cap && conn->start) {
			memmove(conn->buf, conn->buf + conn->start, conn->len - conn->start);
			conn->len -= conn->start;
			conn->start = 0;
		}
		if (conn->len == conn->cap) {
			size_t cap = conn->cap ? conn->cap * 2 : 64 * 1024;
			char *b = realloc(conn->buf, cap);

			if (!b) {
				snprintf(err, errlen, "out of memory for a %zu-byte line", conn->len);
				return -ENOMEM;
			}
			conn->buf = b;
			conn->cap = cap;
		}
		n = read(conn->fd, conn->buf + conn->len, conn->cap - conn->len);
		if (n > 0) {
			conn->len += (size_t)n;
			continue;
		}
		if (n == 0 || errno == ECONNRESET) {
			snprintf(err, errlen, conn->len > conn->start
				 ? "fabricd closed the connection in the middle of a line"
				 : "fabricd closed the connection");
			return -ECONNRESET;
		}
		if (errno != EAGAIN && errno != EINTR) {
			rc = -errno;
			snprintf(err, errlen, "reading from fabricd: %s", strerror(errno));
			return rc;
		}
		rc = wait_fd(conn->fd, POLLIN, deadline_ms, stop);
		if (rc) {
			if (rc == -ETIMEDOUT)
				snprintf(err, errlen, "no answer from fabricd in time");
			else if (rc != -EINTR)
				snprintf(err, errlen, "waiting for fabricd: %s", strerror(-rc));
			return rc;
		}
	}
}

static bool blank(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/* One line as a JSON object, or -EPROTO. */
static int parse_line(const char *line, size_t len, struct json_object **out, char *err,
		      size_t errlen)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	enum json_tokener_error jerr;
	size_t end;

	*out = NULL;
	if (!tok) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (len > INT32_MAX) {
		json_tokener_free(tok);
		snprintf(err, errlen, "a line of %zu bytes", len);
		return -EMSGSIZE;
	}
	o = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || jerr != json_tokener_success) {
		json_object_put(o);
		snprintf(err, errlen, "a line that is not JSON (%s): %.60s%s",
			 jerr == json_tokener_continue ? "truncated" : json_tokener_error_desc(jerr),
			 line, len > 60 ? "..." : "");
		return -EPROTO;
	}
	if (end < len && !blank(line + end, len - end)) {
		json_object_put(o);
		snprintf(err, errlen, "a line with data after its JSON value: %.60s%s", line,
			 len > 60 ? "..." : "");
		return -EPROTO;
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		snprintf(err, errlen, "a line that is not a JSON object: %.60s%s", line,
			 len > 60 ? "..." : "");
		return -EPROTO;
	}
	*out = o;
	return 0;
}

enum msg_kind { MSG_OURS, MSG_OTHER, MSG_NOTIFICATION };

/* What a parsed line is; -EPROTO if it is no JSON-RPC 2.0 message. */
static int classify(struct json_object *o, int64_t id, enum msg_kind *kind, char *err,
		    size_t errlen)
{
	struct json_object *v, *idv;

	if (!json_object_object_get_ex(o, "jsonrpc", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "2.0")) {
		snprintf(err, errlen, "a message without \"jsonrpc\":\"2.0\"");
		return -EPROTO;
	}
	if (json_object_object_get_ex(o, "id", &idv)) {
		/* id null: the daemon could not read our request's id; one request is in flight */
		if (!idv || (json_object_is_type(idv, json_type_int) && json_object_get_int64(idv) == id))
			*kind = MSG_OURS;
		else
			*kind = MSG_OTHER;
		return 0;
	}
	if (json_object_object_get_ex(o, "method", &v) && json_object_is_type(v, json_type_string)) {
		*kind = MSG_NOTIFICATION;
		return 0;
	}
	snprintf(err, errlen, "a message that is neither a response nor a notification");
	return -EPROTO;
}

/* Fills *r from a response object (taken). */
static int read_response(struct json_object *o, struct ctl_reply *r, char *err, size_t errlen)
{
	struct json_object *res, *e, *v, *data;
	bool has_res = json_object_object_get_ex(o, "result", &res);
	bool has_err = json_object_object_get_ex(o, "error", &e);

	memset(r, 0, sizeof(*r));
	if (has_res == has_err) {
		snprintf(err, errlen, "a response with %s", has_res ? "both result and error"
								   : "neither result nor error");
		goto bad;
	}
	if (has_res) {
		json_object_object_get_ex(o, "id", &v);
		if (!v) {
			snprintf(err, errlen, "a result for id null");
			goto bad;
		}
		r->root = o;
		r->result = res;
		return 0;
	}
	if (!json_object_is_type(e, json_type_object) ||
	    !json_object_object_get_ex(e, "code", &v) || !json_object_is_type(v, json_type_int)) {
		snprintf(err, errlen, "an error without an integer code");
		goto bad;
	}
	r->code = json_object_get_int64(v);
	if (!json_object_object_get_ex(e, "message", &v) || !json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "an error without a message");
		goto bad;
	}
	r->message = json_object_get_string(v);
	if (json_object_object_get_ex(e, "data", &data) && json_object_is_type(data, json_type_object) &&
	    json_object_object_get_ex(data, "code", &v) && json_object_is_type(v, json_type_string))
		r->data_code = json_object_get_string(v);
	r->root = o;
	return 0;
bad:
	json_object_put(o);
	return -EPROTO;
}

/* Reads lines until an answer to id (id < 0: none expected) or a stop. */
static int wait_for(struct ctl_conn *conn, int64_t id, int64_t deadline_ms,
		    volatile sig_atomic_t *stop, ctl_notify_fn notify, void *arg,
		    struct ctl_reply *reply, char *err, size_t errlen)
{
	for (;;) {
		struct json_object *o, *params;
		enum msg_kind kind = MSG_OTHER;
		char *line = NULL;
		size_t len = 0;
		int rc = next_line(conn, deadline_ms, stop, &line, &len, err, errlen);

		if (rc)
			return rc;
		if (blank(line, len))
			continue;
		rc = parse_line(line, len, &o, err, errlen);
		if (!rc)
			rc = classify(o, id, &kind, err, errlen);
		if (rc) {
			json_object_put(o);
			return rc;
		}
		if (kind == MSG_OURS && id >= 0)
			return read_response(o, reply, err, errlen);
		if (kind == MSG_NOTIFICATION && notify) {
			struct json_object *m;

			json_object_object_get_ex(o, "method", &m);
			if (!json_object_object_get_ex(o, "params", &params) ||
			    !json_object_is_type(params, json_type_object))
				params = NULL;
			rc = notify(arg, json_object_get_string(m), params);
		}
		json_object_put(o);
		if (rc)
			return rc;
	}
}

int ctl_conn_call(struct ctl_conn *conn, const char *method, struct json_object *params,
		  int64_t deadline_ms, volatile sig_atomic_t *stop, ctl_notify_fn notify,
		  void *arg, struct ctl_reply *reply, char *err, size_t errlen)
{
	struct json_object *req = json_object_new_object();
	int64_t id = conn->next_id++;
	const char *text;
	char *line = NULL;
	size_t len;
	int rc;

	memset(reply, 0, sizeof(*reply));
	if (!req) {
		json_object_put(params);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	json_object_object_add(req, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(req, "id", json_object_new_int64(id));
	json_object_object_add(req, "method", json_object_new_string(method));
	if (params)
		json_object_object_add(req, "params", params);
	text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = text ? strlen(text) : 0;
	line = malloc(len + 1);
	if (!text || !line) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	memcpy(line, text, len);
	line[len] = '\n';
	rc = send_all(conn, line, len + 1, deadline_ms, stop, err, errlen);
	if (!rc)
		rc = wait_for(conn, id, deadline_ms, stop, notify, arg, reply, err, errlen);
out:
	free(line);
	json_object_put(req);
	return rc;
}

int ctl_conn_listen(struct ctl_conn *conn, volatile sig_atomic_t *stop, ctl_notify_fn notify,
		    void *arg, char *err, size_t errlen)
{
	return wait_for(conn, -1, -1, stop, notify, arg, NULL, err, errlen);
}

int ctl_call_ex(struct ctl *c, const char *what, const char *method, struct json_object *params,
		int timeout_ms, ctl_notify_fn notify, void *arg, struct json_object **result)
{
	int64_t deadline = ctl_now_ms() + (timeout_ms > 0 ? timeout_ms : c->timeout_ms);
	struct ctl_reply r;
	char err[512];
	int rc;

	*result = NULL;
	if (!c->conn) {
		rc = ctl_conn_open(&c->conn, c->socket, deadline, err, sizeof(err));
		if (rc) {
			json_object_put(params);
			if (rc == -EINTR && c->stop && *c->stop)
				return CTL_CALL_STOPPED;
			ctl_fprintf(stderr, "fabric-ctl: %s: cannot connect to %s: %s\n", what, c->socket, err);
			return CTL_EXIT_UNREACHABLE;
		}
	}
	rc = ctl_conn_call(c->conn, method, params, deadline, c->stop, notify, arg, &r, err,
			   sizeof(err));
	if (rc > 0)
		return rc;
	if (rc == -EINTR)
		return CTL_CALL_STOPPED;
	if (rc == -ETIMEDOUT) {
		ctl_fprintf(stderr, "fabric-ctl: %s: no answer from fabricd within %g s (--timeout)\n",
			what, (timeout_ms > 0 ? timeout_ms : c->timeout_ms) / 1000.0);
		return CTL_EXIT_UNREACHABLE;
	}
	if (rc == -ECONNRESET) {
		ctl_fprintf(stderr, "fabric-ctl: %s: %s before answering\n", what, err);
		return CTL_EXIT_UNREACHABLE;
	}
	if (rc == -EPROTO || rc == -EMSGSIZE) {
		ctl_fprintf(stderr, "fabric-ctl: %s: bad reply from fabricd: %s\n", what, err);
		return CTL_EXIT_UNREACHABLE;
	}
	if (rc) {
		ctl_fprintf(stderr, "fabric-ctl: %s: %s\n", what, err);
		return CTL_EXIT_UNREACHABLE;
	}
	if (!r.result) {
		char num[32];

		snprintf(num, sizeof(num), "error %lld", (long long)r.code);
		ctl_fprintf(stderr, "fabric-ctl: %s: %s: %s\n", what, r.data_code ? r.data_code : num,
			r.message);
		ctl_reply_clear(&r);
		return CTL_EXIT_REFUSED;
	}
	if (!json_object_is_type(r.result, json_type_object)) {
		ctl_fprintf(stderr, "fabric-ctl: %s: bad reply from fabricd: the result is not an object\n",
			what);
		ctl_reply_clear(&r);
		return CTL_EXIT_UNREACHABLE;
	}
	*result = json_object_get(r.result);
	ctl_reply_clear(&r);
	return 0;
}
