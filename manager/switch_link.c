/* switch_link: the FMP client side of one chassis. Requests in flight live in a table
 * indexed by tag (O(1) match of a response) and on a list ordered by deadline, served by
 * one timer; a lost connection fails them all and schedules a reconnect with doubling
 * backoff. A request sent with retries waits out its backoff on the same list (its
 * deadline is then the time to send it again). Nothing here blocks or polls. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "switch_link.h"

#define INFLIGHT_MAX 4096 /* power of two: tag & (INFLIGHT_MAX - 1) is the slot */
#define CLIENT_NAME "fabricd " FABRIC_VERSION_STRING

#ifndef FABRIC_VERSION_STRING
#define FABRIC_VERSION_STRING "0.1.0"
#endif

struct pending {
	bool used;
	bool internal;      /* HELLO/SUBSCRIBE of the handshake */
	bool backoff;       /* failed, waiting to be sent again at deadline */
	uint16_t opcode;
	uint32_t tag;
	uint64_t deadline;  /* uv_now() ms */
	fm_switch_cb cb;
	void *arg;
	struct fmp_msg *resend; /* fm_switch_request_retry: the request, to send it again */
	unsigned attempts_left;  /* sends still allowed after the current one */
	unsigned attempt;        /* sends so far */
	uint32_t timeout_ms;
	uint32_t backoff_ms;     /* the next wait before a resend */
	struct pending *prev, *next; /* deadline order */
};

struct fm_switch {
	uv_loop_t *loop;
	char name[FMP_NAME_MAX];
	struct endpoint ep;
	struct fm_switch_timing timing;
	const struct fm_switch_ops *ops;
	void *arg;

	enum fm_switch_state state;
	struct conn *conn;
	bool connecting;     /* endpoint_connect outstanding */
	bool stopped;
	bool free_requested;
	int open_handles;    /* timers not yet closed */
	uv_timer_t retry_timer;
	uv_timer_t deadline_timer;
	uint32_t backoff_ms;

	struct fmp_hello_resp hello;
	unsigned connects;
	char last_error[256];

	uint32_t next_tag;
	unsigned in_flight;
	struct pending table[INFLIGHT_MAX];
	struct pending *head, *tail; /* by deadline */
};

static void schedule_retry(struct fm_switch *sw);
static void maybe_release(struct fm_switch *sw);

static void set_error(struct fm_switch *sw, const char *fmt, const char *a, const char *b)
{
	snprintf(sw->last_error, sizeof(sw->last_error), fmt, a, b);
}

/* ---- in-flight table ------------------------------------------------------------------ */

static void on_deadline(uv_timer_t *t);

/* One timer serves every request: it is armed for the earliest deadline. */
static void arm_deadline(struct fm_switch *sw)
{
	uint64_t now = uv_now(sw->loop);

	if (!sw->head) {
		uv_timer_stop(&sw->deadline_timer);
		return;
	}
	uv_timer_start(&sw->deadline_timer, on_deadline,
		       sw->head->deadline > now ? sw->head->deadline - now : 0, 0);
}

static void list_remove(struct fm_switch *sw, struct pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		sw->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		sw->tail = p->prev;
	p->prev = p->next = NULL;
}

/* Puts p on the deadline list at now + ms, scanning from the tail: most requests share one
 * timeout. */
static void list_insert(struct fm_switch *sw, struct pending *p, uint32_t ms)
{
	struct pending *q;

	p->deadline = uv_now(sw->loop) + ms;
	for (q = sw->tail; q && q->deadline > p->deadline; q = q->prev)
		;
	p->prev = q;
	p->next = q ? q->next : sw->head;
	if (p->next)
		p->next->prev = p;
	else
		sw->tail = p;
	if (q)
		q->next = p;
	else
		sw->head = p;
	if (sw->head == p)
		arm_deadline(sw);
}

static void unlink_pending(struct fm_switch *sw, struct pending *p)
{
	list_remove(sw, p);
	free(p->resend);
	p->resend = NULL;
	p->used = false;
	sw->in_flight--;
}

static struct pending *alloc_pending(struct fm_switch *sw, uint32_t timeout_ms)
{
	struct pending *p;

	if (sw->in_flight >= INFLIGHT_MAX)
		return NULL;
	do {
		sw->next_tag++;
		if (sw->next_tag == 0)
			sw->next_tag = 1; /* tag 0 is what events carry */
		p = &sw->table[sw->next_tag & (INFLIGHT_MAX - 1)];
	} while (p->used);
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->tag = sw->next_tag;
	p->timeout_ms = timeout_ms;
	sw->in_flight++;
	list_insert(sw, p, timeout_ms);
	return p;
}

bool fm_switch_status_transient(int status)
{
	/* what another try may cure: no answer in time, an answer that did not decode, a
	 * switch that failed this once; never a lost connection (-ECONNRESET, -ECANCELED,
	 * -ENOTCONN: the requests of the next connection start over) nor a definite answer */
	return status == -ETIMEDOUT || status == -EPROTO || status == FMP_E_INJECTED ||
	       status == FMP_E_INTERNAL;
}

/* A request with retries left failed in a way another try may cure: it waits out its
 * backoff on the deadline list, keeping its tag (a late answer to the failed try is as good
 * as the answer to the next). */
static bool retry_later(struct fm_switch *sw, struct pending *p, int status)
{
	uint32_t delay = p->backoff_ms;

	if (!p->resend || !p->attempts_left || !fm_switch_status_transient(status))
		return false;
	p->attempts_left--;
	p->backoff = true;
	p->backoff_ms = delay >= sw->timing.backoff_max_ms / 2 ? sw->timing.backoff_max_ms : delay * 2;
	list_remove(sw, p);
	list_insert(sw, p, delay);
	arm_deadline(sw);
	if (sw->ops->on_retry)
		sw->ops->on_retry(sw, p->opcode, status, p->attempt, delay, sw->arg);
	return true;
}

/* Sends a request waiting in backoff again: 0, or the send's error (p still to complete). */
static int resend(struct fm_switch *sw, struct pending *p)
{
	int rc;

	if (!sw->conn)
		return -ENOTCONN;
	p->backoff = false;
	p->attempt++;
	p->resend->hdr.tag = p->tag;
	rc = conn_send(sw->conn, p->resend);
	if (rc)
		return rc;
	list_remove(sw, p);
	list_insert(sw, p, p->timeout_ms);
	return 0;
}

static void complete(struct fm_switch *sw, struct pending *p, int status, const struct fmp_msg *m)
{
	fm_switch_cb cb = p->cb;
	void *arg = p->arg;
	bool head = sw->head == p;

	if (retry_later(sw, p, status))
		return;
	unlink_pending(sw, p);
	if (head)
		arm_deadline(sw);
	cb(arg, status, m);
}

static void fail_all(struct fm_switch *sw, int status)
{
	while (sw->head)
		complete(sw, sw->head, status, NULL); /* never transient: no retry */
}

static void on_deadline(uv_timer_t *t)
{
	struct fm_switch *sw = t->data;
	uint64_t now = uv_now(sw->loop);

	while (sw->head && sw->head->deadline <= now) {
		struct pending *p = sw->head;
		int rc;

		if (!p->backoff) {
			complete(sw, p, -ETIMEDOUT, NULL);
			continue;
		}
		rc = resend(sw, p);
		if (rc) {
			p->attempts_left = 0; /* the send itself failed: no more tries */
			complete(sw, p, rc, NULL);
		}
	}
	arm_deadline(sw);
}

/* ---- connection ------------------------------------------------------------------------ */

static void go_down(struct fm_switch *sw, int reason)
{
	enum fm_switch_state was = sw->state;

	sw->state = sw->stopped ? FM_SWITCH_STOPPED : FM_SWITCH_DOWN;
	fail_all(sw, sw->stopped ? -ECANCELED : -ECONNRESET);
	if (was == FM_SWITCH_READY && sw->ops->on_state)
		sw->ops->on_state(sw, sw->state, reason, sw->arg);
	if (!sw->stopped)
		schedule_retry(sw);
}

static void on_frame(struct conn *c, const struct fmp_hdr *h, const uint8_t *payload, void *arg)
{
	struct fm_switch *sw = arg;
	struct pending *p;
	struct fmp_msg m;
	int rc;

	if (h->kind == FMP_KIND_EVENT) {
		if (fmp_msg_decode(h, payload, &m) == 0) {
			if (sw->state == FM_SWITCH_READY && sw->ops->on_event)
				sw->ops->on_event(sw, &m.u.event, sw->arg);
			fmp_msg_release(&m);
		}
		return;
	}
	if (h->kind != FMP_KIND_RESPONSE)
		goto protocol_error; /* a switch never sends us requests */
	p = &sw->table[h->tag & (INFLIGHT_MAX - 1)];
	if (!p->used || p->tag != h->tag || p->opcode != h->opcode)
		return; /* a late answer to a request that already timed out */
	if (p->backoff && h->status)
		return; /* a late failure of a try already failed: the next try is due */
	rc = fmp_msg_decode(h, payload, &m);
	if (rc) {
		complete(sw, p, -EPROTO, NULL);
		return;
	}
	complete(sw, p, h->status, h->status ? NULL : &m);
	fmp_msg_release(&m);
	return;

protocol_error:
	set_error(sw, "%s: switch sent an unexpected %s frame", sw->name, "request");
	conn_close(c);
}

static void on_conn_close(struct conn *c, int reason, void *arg)
{
	struct fm_switch *sw = arg;

	(void)c;
	sw->conn = NULL;
	if (!sw->last_error[0] && !reason)
		set_error(sw, "%s: %s", sw->name, "the switch closed the connection");
	else if (!sw->last_error[0])
		set_error(sw, "%s: connection lost: %s", sw->name,
			  reason < 0 && reason > -FMP_STATUS_COUNT ? fmp_strerror(reason)
								   : uv_strerror(reason));
	go_down(sw, reason);
	maybe_release(sw);
}

static const struct conn_ops link_ops = {on_frame, on_conn_close};

static int send_internal(struct fm_switch *sw, struct fmp_msg *m, fm_switch_cb cb)
{
	struct pending *p = alloc_pending(sw, sw->timing.request_timeout_ms);
	int rc;

	if (!p)
		return -EAGAIN;
	p->internal = true;
	p->opcode = m->hdr.opcode;
	p->cb = cb;
	p->arg = sw;
	m->hdr.tag = p->tag;
	rc = conn_send(sw->conn, m);
	if (rc)
		unlink_pending(sw, p);
	return rc;
}

static void on_subscribed(void *arg, int status, const struct fmp_msg *resp)
{
	struct fm_switch *sw = arg;

	(void)resp;
	if (status) {
		set_error(sw, "%s: SUBSCRIBE failed: %s", sw->name,
			  status > 0 ? fmp_strerror(status) : strerror(-status));
		if (sw->conn)
			conn_close(sw->conn);
		return;
	}
	sw->state = FM_SWITCH_READY;
	sw->backoff_ms = sw->timing.backoff_min_ms;
	sw->connects++;
	sw->last_error[0] = '\0';
	if (sw->ops->on_state)
		sw->ops->on_state(sw, FM_SWITCH_READY, 0, sw->arg);
}

static void on_hello(void *arg, int status, const struct fmp_msg *resp)
{
	struct fm_switch *sw = arg;
	struct fmp_msg sub;
	uint8_t v;

	if (status) {
		set_error(sw, "%s: HELLO refused: %s", sw->name,
			  status > 0 ? fmp_strerror(status) : strerror(-status));
		goto fail;
	}
	if (fmp_version_negotiate(FMP_VERSION_MIN, FMP_VERSION_MAX, resp->u.hello_resp.version,
				  resp->u.hello_resp.version, &v) ||
	    resp->u.hello_resp.max_payload < FMP_MAX_PAYLOAD_FLOOR) {
		set_error(sw, "%s: switch chose unusable version/size%s", sw->name, "");
		goto fail;
	}
	sw->hello = resp->u.hello_resp;
	/* a bit the switch answers but fabricd did not announce is not served (README: the
	 * AND of both sides): never use it */
	sw->hello.features &= FM_SWITCH_FEATURES;
	conn_set_max_payload(sw->conn, resp->u.hello_resp.max_payload);
	memset(&sub, 0, sizeof(sub));
	sub.hdr.kind = FMP_KIND_REQUEST;
	sub.hdr.opcode = FMP_OP_SUBSCRIBE;
	sub.u.subscribe_req.mask = FMP_EVMASK_ALL;
	if (send_internal(sw, &sub, on_subscribed) == 0)
		return;
fail:
	if (sw->conn)
		conn_close(sw->conn);
}

static void on_connected(uv_stream_t *stream, int status, void *arg)
{
	struct fm_switch *sw = arg;
	struct fmp_msg hello;
	char spec[160];

	sw->connecting = false;
	if (sw->stopped) {
		if (stream)
			endpoint_close((uv_handle_t *)stream);
		maybe_release(sw);
		return;
	}
	if (status) {
		endpoint_format(&sw->ep, spec, sizeof(spec));
		set_error(sw, "cannot connect to %s: %s", spec, uv_strerror(status));
		go_down(sw, status);
		return;
	}
	sw->conn = conn_new(stream, FMP_MAX_PAYLOAD_DEFAULT, false, &link_ops, sw);
	if (!sw->conn) {
		go_down(sw, -ENOMEM);
		return;
	}
	memset(&hello, 0, sizeof(hello));
	hello.hdr.kind = FMP_KIND_REQUEST;
	hello.hdr.opcode = FMP_OP_HELLO;
	hello.u.hello_req.min_version = FMP_VERSION_MIN;
	hello.u.hello_req.max_version = FMP_VERSION_MAX;
	hello.u.hello_req.max_payload = FMP_MAX_PAYLOAD_DEFAULT;
	hello.u.hello_req.features = FM_SWITCH_FEATURES;
	snprintf(hello.u.hello_req.client, sizeof(hello.u.hello_req.client), "%s", CLIENT_NAME);
	if (send_internal(sw, &hello, on_hello))
		conn_close(sw->conn);
}

static void connect_now(struct fm_switch *sw)
{
	int rc;

	if (sw->stopped || sw->connecting || sw->conn)
		return;
	sw->state = FM_SWITCH_CONNECTING;
	sw->connecting = true;
	rc = endpoint_connect(sw->loop, &sw->ep, on_connected, sw);
	if (rc) {
		sw->connecting = false;
		set_error(sw, "%s: connect: %s", sw->name, uv_strerror(rc));
		sw->state = FM_SWITCH_DOWN;
		schedule_retry(sw);
	}
}

static void on_retry(uv_timer_t *t)
{
	connect_now(t->data);
}

static void schedule_retry(struct fm_switch *sw)
{
	uint32_t delay = sw->backoff_ms;

	if (sw->stopped)
		return;
	sw->backoff_ms = sw->backoff_ms >= sw->timing.backoff_max_ms / 2 ? sw->timing.backoff_max_ms
									 : sw->backoff_ms * 2;
	uv_timer_start(&sw->retry_timer, on_retry, delay, 0);
}

/* ---- public ---------------------------------------------------------------------------- */

struct fm_switch *fm_switch_new(uv_loop_t *loop, const char *name, const struct endpoint *ep,
				const struct fm_switch_timing *timing,
				const struct fm_switch_ops *ops, void *arg)
{
	struct fm_switch *sw = calloc(1, sizeof(*sw));

	if (!sw)
		return NULL;
	sw->loop = loop;
	snprintf(sw->name, sizeof(sw->name), "%s", name);
	sw->ep = *ep;
	sw->timing = *timing;
	if (!sw->timing.request_timeout_ms)
		sw->timing.request_timeout_ms = 5000;
	if (!sw->timing.backoff_min_ms)
		sw->timing.backoff_min_ms = 100;
	if (sw->timing.backoff_max_ms < sw->timing.backoff_min_ms)
		sw->timing.backoff_max_ms = sw->timing.backoff_min_ms;
	sw->backoff_ms = sw->timing.backoff_min_ms;
	sw->ops = ops;
	sw->arg = arg;
	sw->state = FM_SWITCH_DOWN;
	uv_timer_init(loop, &sw->retry_timer);
	uv_timer_init(loop, &sw->deadline_timer);
	sw->retry_timer.data = sw;
	sw->deadline_timer.data = sw;
	sw->open_handles = 2;
	return sw;
}

void fm_switch_start(struct fm_switch *sw)
{
	sw->stopped = false;
	connect_now(sw);
}

void fm_switch_stop(struct fm_switch *sw)
{
	if (sw->stopped)
		return;
	sw->stopped = true;
	uv_timer_stop(&sw->retry_timer);
	sw->state = FM_SWITCH_STOPPED;
	fail_all(sw, -ECANCELED);
	uv_timer_stop(&sw->deadline_timer);
	if (sw->conn)
		conn_close(sw->conn);
}

static void on_timer_closed(uv_handle_t *h)
{
	struct fm_switch *sw = h->data;

	sw->open_handles--;
	maybe_release(sw);
}

/* Frees once free was asked for and nothing of libuv still points at sw. */
static void maybe_release(struct fm_switch *sw)
{
	if (sw->free_requested && !sw->conn && !sw->connecting && sw->open_handles == 0)
		free(sw);
}

void fm_switch_free(struct fm_switch *sw)
{
	if (!sw || sw->free_requested)
		return;
	fm_switch_stop(sw);
	sw->free_requested = true;
	uv_close((uv_handle_t *)&sw->retry_timer, on_timer_closed);
	uv_close((uv_handle_t *)&sw->deadline_timer, on_timer_closed);
}

int fm_switch_request_retry(struct fm_switch *sw, struct fmp_msg *req, uint32_t timeout_ms,
			    unsigned attempts, fm_switch_cb cb, void *arg)
{
	struct fmp_msg *copy = NULL;
	struct pending *p;
	int rc;

	if (sw->state != FM_SWITCH_READY || !sw->conn)
		return -ENOTCONN;
	if (fm_switch_opcode_feature(req->hdr.opcode) & ~sw->hello.features)
		return -EOPNOTSUPP;
	req->hdr.kind = FMP_KIND_REQUEST;
	req->hdr.status = 0;
	if (attempts > 1) {
		copy = malloc(sizeof(*copy));
		if (!copy)
			return -ENOMEM;
		*copy = *req; /* requests hold no pointers */
	}
	p = alloc_pending(sw, timeout_ms ? timeout_ms : sw->timing.request_timeout_ms);
	if (!p) {
		free(copy);
		return -EAGAIN;
	}
	p->opcode = req->hdr.opcode;
	p->cb = cb;
	p->arg = arg;
	p->resend = copy;
	p->attempt = 1;
	p->attempts_left = attempts > 1 ? attempts - 1 : 0;
	p->backoff_ms = sw->timing.backoff_min_ms;
	req->hdr.tag = p->tag;
	rc = conn_send(sw->conn, req);
	if (rc) {
		bool head = sw->head == p;

		unlink_pending(sw, p);
		if (head)
			arm_deadline(sw);
	}
	return rc;
}

int fm_switch_request(struct fm_switch *sw, struct fmp_msg *req, uint32_t timeout_ms,
		      fm_switch_cb cb, void *arg)
{
	return fm_switch_request_retry(sw, req, timeout_ms, 1, cb, arg);
}

void fm_switch_reconnect(struct fm_switch *sw, const char *why)
{
	if (sw->conn && !sw->stopped) {
		/* the reason "lost the switch" is logged with (on_state) */
		set_error(sw, "%s%s", why && *why ? why : "reconnect requested", "");
		conn_close(sw->conn); /* on_conn_close goes down and schedules the retry */
	}
}

enum fm_switch_state fm_switch_state(const struct fm_switch *sw)
{
	return sw->state;
}

const char *fm_switch_name(const struct fm_switch *sw)
{
	return sw->name;
}

const struct endpoint *fm_switch_endpoint(const struct fm_switch *sw)
{
	return &sw->ep;
}

const struct fmp_hello_resp *fm_switch_hello(const struct fm_switch *sw)
{
	return &sw->hello;
}

uint16_t fm_switch_features(const struct fm_switch *sw)
{
	return sw->state == FM_SWITCH_READY ? sw->hello.features : 0;
}

uint16_t fm_switch_opcode_feature(uint16_t opcode)
{
	switch (opcode) {
	case FMP_OP_SET_QOS:
	case FMP_OP_GET_QOS: return FMP_FEAT_QOS;
	}
	return 0;
}

unsigned fm_switch_in_flight(const struct fm_switch *sw)
{
	return sw->in_flight;
}

const char *fm_switch_last_error(const struct fm_switch *sw)
{
	return sw->last_error;
}

unsigned fm_switch_connects(const struct fm_switch *sw)
{
	return sw->connects;
}
