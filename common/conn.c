/* conn: FMP framing over a libuv stream. Reads feed the reassembler; frames go to the
 * owner; writes are encoded into one heap buffer per message. A peer that sends a broken
 * header or stops reading while we queue more than CONN_WRITE_LIMIT is disconnected. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"

#define CONN_WRITE_LIMIT (64u * 1024u * 1024u)

struct conn {
	uv_stream_t *stream;
	struct fmp_reasm *reasm;
	const struct conn_ops *ops;
	void *arg;
	uint32_t max_payload;
	bool server;
	bool closing;
	bool draining; /* closing by shutdown: the queued writes go first */
	int reason;
	uint8_t rbuf[64 * 1024];
};

struct write_req {
	uv_write_t req;
	struct fmp_buf buf;
};

static void on_handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (c->ops->on_close)
		c->ops->on_close(c, c->reason, c->arg);
	fmp_reasm_free(c->reasm);
	free(h);
	free(c);
}

static void close_with(struct conn *c, int reason)
{
	if (c->draining && !uv_is_closing((uv_handle_t *)c->stream)) {
		/* no more waiting for the peer to read: the pending shutdown is cancelled */
		c->draining = false;
		uv_close((uv_handle_t *)c->stream, on_handle_closed);
		return;
	}
	if (c->closing)
		return;
	c->closing = true;
	c->reason = reason;
	uv_read_stop(c->stream);
	uv_close((uv_handle_t *)c->stream, on_handle_closed);
}

void conn_close(struct conn *c)
{
	close_with(c, 0);
}

bool conn_closing(const struct conn *c)
{
	return c->closing;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct conn *c = h->data;

	(void)suggested;
	buf->base = (char *)c->rbuf;
	buf->len = sizeof(c->rbuf);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct conn *c = req->handle->data;

	(void)status;
	free(req);
	c->draining = false;
	if (!uv_is_closing((uv_handle_t *)c->stream)) /* not closed meanwhile (conn_close) */
		uv_close((uv_handle_t *)c->stream, on_handle_closed);
}

/* Closes once what is queued has been written: shutdown completes after the pending
 * writes (libuv), where uv_close alone would cancel them. */
static void drain_with(struct conn *c, int reason, uv_shutdown_t *req)
{
	c->closing = true;
	c->reason = reason;
	uv_read_stop(c->stream);
	if (uv_shutdown(req, c->stream, on_shutdown)) {
		free(req);
		uv_close((uv_handle_t *)c->stream, on_handle_closed);
	} else {
		c->draining = true;
	}
}

void conn_close_drain(struct conn *c)
{
	uv_shutdown_t *req;

	if (c->closing)
		return;
	req = calloc(1, sizeof(*req));
	if (!req) {
		close_with(c, 0);
		return;
	}
	drain_with(c, 0, req);
}

/* A header we cannot trust ends the connection. When its magic was right, the header's
 * tag and opcode say who asked: answer with the status first so the peer learns why, and
 * let the answer drain (shutdown) before closing. */
static void close_bad_header(struct conn *c, const struct fmp_hdr *h, int rc)
{
	uv_shutdown_t *req;

	if (!c->server || rc == -FMP_E_BAD_FRAME || h->magic != FMP_MAGIC ||
	    conn_send_error(c, h, (enum fmp_status)-rc) ||
	    !(req = calloc(1, sizeof(*req)))) {
		close_with(c, rc);
		return;
	}
	drain_with(c, rc, req);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	struct fmp_hdr h;
	const uint8_t *payload;
	int rc;

	if (n < 0) {
		close_with(c, n == UV_EOF ? 0 : (int)n);
		return;
	}
	if (n == 0 || c->closing)
		return;
	if (fmp_reasm_feed(c->reasm, (const uint8_t *)buf->base, (size_t)n)) {
		close_with(c, -FMP_E_NOMEM);
		return;
	}
	while (!c->closing && (rc = fmp_reasm_next(c->reasm, &h, &payload)) == 0)
		c->ops->on_frame(c, &h, payload, c->arg);
	if (!c->closing && rc != -FMP_E_AGAIN)
		close_bad_header(c, &h, rc);
}

struct conn *conn_new(uv_stream_t *stream, uint32_t max_payload, bool server,
		      const struct conn_ops *ops, void *arg)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		goto err;
	c->reasm = fmp_reasm_new(max_payload);
	if (!c->reasm)
		goto err;
	c->max_payload = max_payload;
	c->stream = stream;
	c->ops = ops;
	c->arg = arg;
	c->server = server;
	stream->data = c;
	if (uv_read_start(stream, on_alloc, on_read)) {
		fmp_reasm_free(c->reasm);
		goto err;
	}
	return c;
err:
	free(c);
	uv_close((uv_handle_t *)stream, (uv_close_cb)free);
	return NULL;
}

static void on_written(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct conn *c = req->handle->data;

	fmp_buf_release(&w->buf);
	free(w);
	if (status && c && !c->closing)
		close_with(c, status);
}

static int queue(struct conn *c, struct write_req *w)
{
	uv_buf_t ub = uv_buf_init((char *)w->buf.data, (unsigned)w->buf.len);
	int rc;

	if (c->stream->write_queue_size > CONN_WRITE_LIMIT) {
		/* the peer stopped reading: do not grow without bound */
		fmp_buf_release(&w->buf);
		free(w);
		close_with(c, UV_ENOBUFS);
		return -EPIPE;
	}
	rc = uv_write(&w->req, c->stream, &ub, 1, on_written);
	if (rc) {
		fmp_buf_release(&w->buf);
		free(w);
		close_with(c, rc);
		return -EPIPE;
	}
	return 0;
}

/* A write request for c, or NULL with *rc set (closing, or out of memory). */
static struct write_req *wreq_new(struct conn *c, int *rc)
{
	struct write_req *w;

	if (c->closing) {
		*rc = -EPIPE;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w) {
		*rc = -FMP_E_NOMEM;
		return NULL;
	}
	fmp_buf_init(&w->buf);
	return w;
}

/* Queues w once its buffer is filled (rc 0), or drops it with the filler's error. */
static int submit(struct conn *c, struct write_req *w, int rc)
{
	if (rc) {
		fmp_buf_release(&w->buf);
		free(w);
		return rc;
	}
	return queue(c, w);
}

int conn_send(struct conn *c, const struct fmp_msg *m)
{
	int rc = 0;
	struct write_req *w = wreq_new(c, &rc);

	return w ? submit(c, w, fmp_msg_encode(m, &w->buf)) : rc;
}

int conn_send_frame(struct conn *c, const uint8_t *frame, size_t len)
{
	int rc = 0;
	struct write_req *w = wreq_new(c, &rc);

	if (!w)
		return rc;
	w->buf.data = malloc(len ? len : 1);
	if (w->buf.data) {
		memcpy(w->buf.data, frame, len);
		w->buf.len = w->buf.cap = len;
	}
	return submit(c, w, w->buf.data ? 0 : -FMP_E_NOMEM);
}

int conn_send_error(struct conn *c, const struct fmp_hdr *req, enum fmp_status status)
{
	int rc = 0;
	struct write_req *w = wreq_new(c, &rc);

	return w ? submit(c, w, fmp_encode_error(req, status, &w->buf)) : rc;
}

void conn_set_max_payload(struct conn *c, uint32_t max_payload)
{
	c->max_payload = max_payload;
	fmp_reasm_set_max(c->reasm, max_payload);
}

uint32_t conn_max_payload(const struct conn *c)
{
	return c->max_payload;
}

size_t conn_write_queue(const struct conn *c)
{
	return c->stream->write_queue_size;
}

void conn_set_arg(struct conn *c, void *arg)
{
	c->arg = arg;
}

void *conn_arg(const struct conn *c)
{
	return c->arg;
}
