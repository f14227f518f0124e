/* mgmt: FMP request dispatch onto the sim model. Each connection negotiates with HELLO
 * before anything else; a managed UNBIND parks its answer until the simulated host is
 * done, while later requests on the same connection are answered at once (tags). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "mgmt.h"

struct mconn;

/* An answer that comes later: a managed unbind, or a response held by fault injection. */
struct parked {
	struct mconn *mc;          /* NULL once the connection is gone */
	struct sim_mgmt *m;
	struct fmp_hdr req;
	bool delayed;              /* a delayed answer (timer), not a managed unbind */
	uv_timer_t timer;          /* delayed answers */
	struct fmp_buf frame;      /* delayed answers: the encoded response */
	struct parked *prev, *next;
};

struct mconn {
	struct sim_mgmt *m;
	struct conn *c;
	bool hello;
	uint8_t version;
	uint16_t features;         /* FMP_FEAT_* both ends announced in HELLO */
	uint32_t evmask;
	struct parked *parked;     /* answers still to come on this connection */
	struct mconn *prev, *next;
};

struct sim_mgmt {
	uv_loop_t *loop;
	struct sim *s;
	uv_stream_t *server;
	struct mconn *conns;
	unsigned n_conns;
	struct sim_fault fault;
	uint32_t op_delay[SIM_MGMT_OPCODES]; /* bench "delay OPCODE MS" */
	bool closing;
};

static void park_link(struct mconn *mc, struct parked *p)
{
	p->mc = mc;
	p->m = mc->m;
	p->prev = NULL;
	p->next = mc->parked;
	if (mc->parked)
		mc->parked->prev = p;
	mc->parked = p;
}

static void park_unlink(struct parked *p)
{
	if (!p->mc)
		return;
	if (p->prev)
		p->prev->next = p->next;
	else
		p->mc->parked = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->mc = NULL;
	p->prev = p->next = NULL;
}

/* ---- answering ------------------------------------------------------------------------- */

static void resp_init(struct fmp_msg *r, const struct fmp_hdr *req)
{
	memset(r, 0, sizeof(*r));
	r->hdr.version = req->version;
	r->hdr.kind = FMP_KIND_RESPONSE;
	r->hdr.opcode = req->opcode;
	r->hdr.tag = req->tag;
}

static void on_delay_closed(uv_handle_t *h)
{
	struct parked *p = h->data;

	fmp_buf_release(&p->frame);
	free(p);
}

static void on_delay(uv_timer_t *t)
{
	struct parked *p = t->data;

	if (p->mc && !conn_closing(p->mc->c))
		conn_send_frame(p->mc->c, p->frame.data, p->frame.len);
	park_unlink(p);
	uv_close((uv_handle_t *)&p->timer, on_delay_closed);
}

/* Sends r now, or after the fault injector's delay. */
static void answer(struct mconn *mc, const struct fmp_msg *r, uint32_t delay_ms)
{
	struct parked *p;

	if (!delay_ms || !(p = calloc(1, sizeof(*p)))) {
		conn_send(mc->c, r);
		return;
	}
	fmp_buf_init(&p->frame);
	if (fmp_msg_encode(r, &p->frame)) {
		fmp_buf_release(&p->frame);
		free(p);
		conn_send(mc->c, r); /* let conn report the encode error path */
		return;
	}
	p->req = r->hdr;
	p->delayed = true;
	park_link(mc, p);
	uv_timer_init(mc->m->loop, &p->timer);
	p->timer.data = p;
	uv_timer_start(&p->timer, on_delay, delay_ms, 0);
}

static void answer_status(struct mconn *mc, const struct fmp_hdr *req, int status,
			  uint32_t delay_ms)
{
	struct fmp_msg r;

	resp_init(&r, req);
	r.hdr.status = (uint16_t)(status < 0 ? -status : status);
	answer(mc, &r, delay_ms);
}

/* ---- managed unbind completion --------------------------------------------------------- */

static void on_unbind_done(void *arg, int status, const struct fmp_unbind_resp *resp)
{
	struct parked *p = arg;
	struct fmp_msg r;

	if (p->mc && !conn_closing(p->mc->c)) {
		resp_init(&r, &p->req);
		r.hdr.status = (uint16_t)status;
		if (!status && resp)
			r.u.unbind_resp = *resp;
		conn_send(p->mc->c, &r);
	}
	park_unlink(p);
	free(p);
}

/* ---- dispatch --------------------------------------------------------------------------- */

static void do_hello(struct mconn *mc, const struct fmp_msg *q)
{
	struct fmp_msg r;
	uint8_t v;
	uint32_t max;

	resp_init(&r, &q->hdr);
	if (fmp_version_negotiate(q->u.hello_req.min_version, q->u.hello_req.max_version,
				  FMP_VERSION_MIN, FMP_VERSION_MAX, &v)) {
		r.hdr.status = FMP_E_VERSION;
		conn_send(mc->c, &r);
		return;
	}
	max = q->u.hello_req.max_payload;
	if (max > FMP_MAX_PAYLOAD_DEFAULT)
		max = FMP_MAX_PAYLOAD_DEFAULT; /* our own limit */
	if (max < FMP_MAX_PAYLOAD_FLOOR)
		max = FMP_MAX_PAYLOAD_FLOOR;
	sim_hello(mc->m->s, &r.u.hello_resp);
	r.u.hello_resp.version = v;
	r.u.hello_resp.max_payload = max;
	/* the features this switch serves that the client announced: an old client (0)
	 * gets none, and their opcodes are refused as unknown ones are */
	r.u.hello_resp.features = q->u.hello_req.features & FMP_FEATURES_ALL;
	snprintf(r.u.hello_resp.firmware, sizeof(r.u.hello_resp.firmware), "%s", SIM_FIRMWARE);
	r.hdr.version = v;
	mc->hello = true;
	mc->version = v;
	mc->features = r.u.hello_resp.features;
	conn_send(mc->c, &r);
	conn_set_max_payload(mc->c, max);
}

static void dispatch(struct mconn *mc, const struct fmp_msg *q, uint32_t delay_ms)
{
	struct sim *s = mc->m->s;
	struct fmp_msg r;
	uint8_t cfg[FMP_CONFIG_SPACE_SIZE];
	int rc = 0;

	resp_init(&r, &q->hdr);
	switch (q->hdr.opcode) {
	case FMP_OP_PING:
		r.u.ping = q->u.ping;
		break;
	case FMP_OP_GET_PORTS:
		rc = sim_get_ports(s, &r.u.ports_resp);
		break;
	case FMP_OP_GET_SLOTS:
		rc = sim_get_slots(s, &r.u.slots_resp);
		break;
	case FMP_OP_GET_CARD:
		rc = sim_get_card(s, q->u.card_req.slot, &r.u.card_resp);
		break;
	case FMP_OP_GET_FUNCTIONS: {
		/* a page must fit the negotiated payload: 6 bytes + 20 per record */
		uint32_t fit = (conn_max_payload(mc->c) - 6) / 20;
		uint16_t max = q->u.functions_req.max;

		if (!max || max > fit)
			max = (uint16_t)(fit > 0xffff ? 0xffff : fit);
		rc = sim_get_functions(s, q->u.functions_req.slot, q->u.functions_req.cursor, max,
				       &r.u.functions_resp);
		break;
	}
	case FMP_OP_READ_CONFIG:
		if (q->u.read_config_req.target > FMP_CFG_HOST) {
			rc = -FMP_E_INVALID;
			break;
		}
		rc = sim_read_config(s, &q->u.read_config_req, cfg);
		r.u.read_config_resp.offset = q->u.read_config_req.offset;
		r.u.read_config_resp.length = q->u.read_config_req.length;
		r.u.read_config_resp.data = cfg;
		break;
	case FMP_OP_SET_NUM_VFS:
		rc = sim_set_num_vfs(s, q->u.set_num_vfs_req.slot, q->u.set_num_vfs_req.pf,
				     q->u.set_num_vfs_req.num_vfs, &r.u.set_num_vfs_resp);
		break;
	case FMP_OP_BIND:
		rc = sim_bind(s, &q->u.bind_req, &r.u.bind_resp);
		break;
	case FMP_OP_UNBIND: {
		struct parked *p;

		if (q->u.unbind_req.mode > FMP_UNBIND_SURPRISE) {
			rc = -FMP_E_INVALID;
			break;
		}
		p = calloc(1, sizeof(*p));
		if (!p) {
			rc = -FMP_E_INTERNAL;
			break;
		}
		p->req = q->hdr;
		rc = sim_unbind(s, &q->u.unbind_req, on_unbind_done, p, &r.u.unbind_resp);
		if (rc == 1) {
			park_link(mc, p); /* answered by on_unbind_done */
			return;
		}
		free(p);
		break;
	}
	case FMP_OP_GET_VH:
		rc = sim_get_vh(s, q->u.vh_req.port, &r.u.vh_resp);
		break;
	case FMP_OP_PORT_CONTROL:
		rc = sim_port_control(s, &q->u.port_control_req, &r.u.port_control_resp);
		break;
	case FMP_OP_SET_QOS:
		rc = !(mc->features & FMP_FEAT_QOS) ? -FMP_E_UNSUPPORTED
			: sim_set_qos(s, &q->u.qos_set_req, &r.u.qos_set_resp);
		break;
	case FMP_OP_GET_QOS:
		rc = !(mc->features & FMP_FEAT_QOS) ? -FMP_E_UNSUPPORTED
			: sim_get_qos(s, &q->u.qos_get_req.fn, &r.u.qos_get_resp);
		break;
	case FMP_OP_SUBSCRIBE:
		mc->evmask = q->u.subscribe_req.mask;
		r.u.subscribe_resp.event_seq = sim_event_seq(s);
		break;
	default:
		rc = -FMP_E_UNSUPPORTED;
	}
	if (rc < 0) {
		answer_status(mc, &q->hdr, rc, delay_ms);
	} else {
		struct fmp_buf probe;

		/* a list that does not fit the negotiated payload is refused, not sent: the
		 * manager would (rightly) drop the connection over an oversized frame */
		fmp_buf_init(&probe);
		if (fmp_msg_encode(&r, &probe) == 0 &&
		    probe.len - FMP_HDR_SIZE > conn_max_payload(mc->c))
			answer_status(mc, &q->hdr, FMP_E_TOO_BIG, delay_ms);
		else
			answer(mc, &r, delay_ms);
		fmp_buf_release(&probe);
	}
	/* the list getters allocated; the response is encoded by now */
	switch (q->hdr.opcode) {
	case FMP_OP_GET_PORTS: free(r.u.ports_resp.ports); break;
	case FMP_OP_GET_SLOTS: free(r.u.slots_resp.slots); break;
	case FMP_OP_GET_FUNCTIONS: free(r.u.functions_resp.fns); break;
	case FMP_OP_GET_VH: free(r.u.vh_resp.vppbs); break;
	}
}

static void on_frame(struct conn *c, const struct fmp_hdr *h, const uint8_t *payload, void *arg)
{
	struct mconn *mc = arg;
	struct fmp_msg q;
	uint32_t delay = 0;
	int rc;

	(void)c;
	if (h->kind != FMP_KIND_REQUEST) {
		answer_status(mc, h, FMP_E_UNSUPPORTED, 0); /* managers send requests only */
		return;
	}
	rc = fmp_msg_decode(h, payload, &q);
	if (rc) {
		answer_status(mc, h, rc == -FMP_E_NOMEM ? FMP_E_INTERNAL : -rc, 0);
		return;
	}
	if (h->opcode == FMP_OP_HELLO) {
		do_hello(mc, &q);
		return;
	}
	if (!mc->hello) {
		answer_status(mc, h, FMP_E_INVALID, 0); /* HELLO first */
		return;
	}
	/* the handshake is exempt, so a faulty link still comes up and the faults land on
	 * the operations under test */
	if (h->opcode != FMP_OP_SUBSCRIBE) {
		switch (sim_fault_next(&mc->m->fault, &delay)) {
		case SIM_FAULT_DROP:
			return;
		case SIM_FAULT_ERROR:
			answer_status(mc, h, FMP_E_INJECTED, delay);
			return;
		case SIM_FAULT_NONE:
			break;
		}
	}
	if (h->opcode < SIM_MGMT_OPCODES && mc->m->op_delay[h->opcode] > delay)
		delay = mc->m->op_delay[h->opcode];
	dispatch(mc, &q, delay);
}

static void on_close(struct conn *c, int reason, void *arg)
{
	struct mconn *mc = arg;
	struct sim_mgmt *m = mc->m;

	(void)c;
	(void)reason;
	while (mc->parked) {
		struct parked *p = mc->parked;

		park_unlink(p); /* an unbind's callback finds mc NULL and only frees */
		if (p->delayed) {
			/* nobody to answer: do not keep the loop (and a shutdown) waiting */
			uv_timer_stop(&p->timer);
			uv_close((uv_handle_t *)&p->timer, on_delay_closed);
		}
	}
	if (mc->prev)
		mc->prev->next = mc->next;
	else
		m->conns = mc->next;
	if (mc->next)
		mc->next->prev = mc->prev;
	m->n_conns--;
	free(mc);
	if (m->closing && !m->conns)
		free(m); /* sim_mgmt_free waited for the last connection */
}

static const struct conn_ops mconn_ops = {on_frame, on_close};

static void on_connection(uv_stream_t *server, int status)
{
	struct sim_mgmt *m = server->data;
	struct mconn *mc;
	uv_stream_t *s;

	if (status || endpoint_accept(server, &s))
		return;
	mc = calloc(1, sizeof(*mc));
	if (!mc) {
		endpoint_close((uv_handle_t *)s);
		return;
	}
	mc->m = m;
	mc->c = conn_new(s, FMP_MAX_PAYLOAD_DEFAULT, true, &mconn_ops, mc);
	if (!mc->c) {
		free(mc);
		return;
	}
	mc->next = m->conns;
	if (m->conns)
		m->conns->prev = mc;
	m->conns = mc;
	m->n_conns++;
}

int sim_mgmt_new(uv_loop_t *loop, struct sim *s, const struct endpoint *ep,
		 const struct sim_fault_cfg *fault, struct sim_mgmt **out, char *err, size_t errlen)
{
	struct sim_mgmt *m = calloc(1, sizeof(*m));
	int rc;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->loop = loop;
	m->s = s;
	sim_fault_init(&m->fault, fault);
	rc = endpoint_listen(loop, ep, 0, on_connection, m, &m->server, err, errlen);
	if (rc) {
		free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void sim_mgmt_event(struct sim_mgmt *m, const struct fmp_event *ev)
{
	struct fmp_msg e;

	if (!m)
		return;
	memset(&e, 0, sizeof(e));
	e.hdr.kind = FMP_KIND_EVENT;
	e.hdr.opcode = FMP_OP_EVENT;
	e.u.event = *ev;
	for (struct mconn *mc = m->conns; mc; mc = mc->next)
		if (mc->hello && (mc->evmask & FMP_EVMASK(ev->type)))
			conn_send(mc->c, &e);
}

void sim_mgmt_drop_all(struct sim_mgmt *m)
{
	/* what the switch said before going down (the reset event, the answers to pending
	 * managed unbinds) still reaches a manager that is slow to read */
	for (struct mconn *mc = m->conns; mc; mc = mc->next)
		conn_close_drain(mc->c);
}

static void on_server_closed(uv_handle_t *h)
{
	free(h);
}

void sim_mgmt_free(struct sim_mgmt *m)
{
	if (!m)
		return;
	/* each connection's on_close frees its mconn; m must outlive them */
	for (struct mconn *mc = m->conns; mc; mc = mc->next)
		conn_close(mc->c);
	uv_close((uv_handle_t *)m->server, on_server_closed);
	m->server = NULL;
	m->closing = true;
	/* freed by the last on_close, or now when no connection is open */
	if (!m->conns)
		free(m);
}

unsigned sim_mgmt_connections(const struct sim_mgmt *m)
{
	return m->n_conns;
}

const struct sim_fault *sim_mgmt_fault(const struct sim_mgmt *m)
{
	return &m->fault;
}

int sim_mgmt_set_op_delay(struct sim_mgmt *m, uint16_t opcode, uint32_t ms)
{
	if (opcode >= SIM_MGMT_OPCODES)
		return -EINVAL;
	m->op_delay[opcode] = ms;
	return 0;
}
