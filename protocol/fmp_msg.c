/* FMP message codecs: one encoder and one decoder per opcode and kind, field by field,
 * little-endian, with exact-length checks. protocol/README.md documents each layout. */
#include <stdlib.h>
#include <string.h>

#include "fmp_wire.h"

/* Fixed parts of each payload (bytes), checked against the sum of their fields. */
#define SZ_HELLO_REQ (1 + 1 + 2 + 4)                                  /* + client str */
#define SZ_HELLO_RESP (1 + 3 + 4 + 8 + 8 + 2 + 2 + 4)                 /* + 4 strs */
#define SZ_PING 8
#define SZ_PORT_ENTRY (1 + 1 + 1 + 1 + 1 + 1 + 1 + 1)                 /* + name str */
#define SZ_SLOT_ENTRY (2 + 2)                                         /* + label str */
#define SZ_CARD_REQ 2
#define SZ_CARD_RESP (2 + 1 + 1 + 2 + 2 + 2 + 2 + 4 + 8)              /* + 2 strs + pfs */
#define SZ_PF_ENTRY (1 + 1 + 2 + 2 + 2 + 2 + 2 + 2)
#define SZ_FUNCTIONS_REQ (2 + 2 + 4)
#define SZ_FUNCTIONS_RESP (4 + 2)                                     /* + entries */
#define SZ_FUNCTION_ENTRY (FMP_FN_ADDR_SIZE + 1 + 1 + 2 + 2 + 2 + 4 + 1 + 1)
#define SZ_READ_CONFIG_REQ (1 + 1 + 1 + 1 + FMP_FN_ADDR_SIZE + 2 + 2)
#define SZ_READ_CONFIG_RESP (2 + 2)                                   /* + data */
#define SZ_SET_NUM_VFS_REQ (2 + 1 + 1 + 2)
#define SZ_SET_NUM_VFS_RESP (2 + 2)
#define SZ_BIND_REQ (FMP_FN_ADDR_SIZE + 1 + 1)
#define SZ_BIND_RESP (1 + 1 + 1 + 1)
#define SZ_UNBIND_REQ (FMP_FN_ADDR_SIZE + 1 + 1 + 4)
#define SZ_UNBIND_RESP (1 + 1)
#define SZ_VH_REQ 1
#define SZ_VH_RESP (1 + 1 + 1 + 1)                                    /* + entries */
#define SZ_VPPB_ENTRY (1 + 1 + 2 + 1 + 1 + FMP_FN_ADDR_SIZE)
#define SZ_PORT_CONTROL_REQ (1 + 1 + 2)
#define SZ_PORT_CONTROL_RESP (2 + 2)
#define SZ_QOS_SET (FMP_FN_ADDR_SIZE + 4 + 4)                         /* req and resp */
#define SZ_QOS_GET_REQ FMP_FN_ADDR_SIZE
#define SZ_QOS_GET_RESP (FMP_FN_ADDR_SIZE + 1 + 1 + 4 + 4 + 4 + 4 + 8 + 8)
#define SZ_SUBSCRIBE_REQ 4
#define SZ_SUBSCRIBE_RESP 8
#define SZ_EVENT (8 + 8 + 2 + 1 + 1 + 1 + 1 + 2 + FMP_FN_ADDR_SIZE + 4)

_Static_assert(FMP_FN_ADDR_SIZE == 2 + 1 + 1 + 2, "fn addr: slot, pf, reserved, vf");
_Static_assert(SZ_HELLO_RESP == 32, "HELLO response fixed part");
_Static_assert(SZ_CARD_RESP == 24, "GET_CARD response fixed part");
_Static_assert(SZ_PF_ENTRY == 14, "GET_CARD PF record");
_Static_assert(SZ_FUNCTION_ENTRY == 20, "GET_FUNCTIONS record");
_Static_assert(SZ_READ_CONFIG_REQ == 14, "READ_CONFIG request");
_Static_assert(SZ_VPPB_ENTRY == 12, "GET_VH record");
_Static_assert(SZ_EVENT == 34, "EVENT payload");
_Static_assert(SZ_UNBIND_REQ == 12, "UNBIND request");
_Static_assert(SZ_QOS_SET == 14, "SET_QOS request and response");
_Static_assert(SZ_QOS_GET_RESP == 40, "GET_QOS response");

/* ---- encoders ---------------------------------------------------------------------- */

static void enc_qos_set(struct fmp_buf *b, const struct fmp_qos_set_req *q)
{
	fmp_put_fn(b, &q->fn);
	fmp_put_u32(b, q->min_mbps);
	fmp_put_u32(b, q->max_mbps);
}

static int enc_request(const struct fmp_msg *m, struct fmp_buf *b)
{
	const union fmp_msg_body *u = &m->u;

	switch (m->hdr.opcode) {
	case FMP_OP_HELLO:
		fmp_put_u8(b, u->hello_req.min_version);
		fmp_put_u8(b, u->hello_req.max_version);
		fmp_put_u16(b, u->hello_req.features);
		fmp_put_u32(b, u->hello_req.max_payload);
		fmp_put_str(b, u->hello_req.client);
		return 0;
	case FMP_OP_PING:
		fmp_put_u64(b, u->ping.cookie);
		return 0;
	case FMP_OP_GET_PORTS:
	case FMP_OP_GET_SLOTS:
		return 0;
	case FMP_OP_GET_CARD:
		fmp_put_u16(b, u->card_req.slot);
		return 0;
	case FMP_OP_GET_FUNCTIONS:
		fmp_put_u16(b, u->functions_req.slot);
		fmp_put_u16(b, u->functions_req.max);
		fmp_put_u32(b, u->functions_req.cursor);
		return 0;
	case FMP_OP_READ_CONFIG: {
		const struct fmp_read_config_req *q = &u->read_config_req;

		if ((uint32_t)q->offset + q->length > FMP_CONFIG_SPACE_SIZE)
			return -FMP_E_INVALID;
		fmp_put_u8(b, q->target);
		fmp_put_u8(b, q->port);
		fmp_put_u8(b, q->bus);
		fmp_put_u8(b, q->devfn);
		fmp_put_fn(b, &q->fn);
		fmp_put_u16(b, q->offset);
		fmp_put_u16(b, q->length);
		return 0;
	}
	case FMP_OP_SET_NUM_VFS:
		fmp_put_u16(b, u->set_num_vfs_req.slot);
		fmp_put_u8(b, u->set_num_vfs_req.pf);
		fmp_put_u8(b, 0);
		fmp_put_u16(b, u->set_num_vfs_req.num_vfs);
		return 0;
	case FMP_OP_BIND:
		fmp_put_fn(b, &u->bind_req.fn);
		fmp_put_u8(b, u->bind_req.port);
		fmp_put_u8(b, u->bind_req.vppb);
		return 0;
	case FMP_OP_UNBIND:
		fmp_put_fn(b, &u->unbind_req.fn);
		fmp_put_u8(b, u->unbind_req.mode);
		fmp_put_u8(b, 0);
		fmp_put_u32(b, u->unbind_req.timeout_ms);
		return 0;
	case FMP_OP_GET_VH:
		fmp_put_u8(b, u->vh_req.port);
		return 0;
	case FMP_OP_PORT_CONTROL:
		fmp_put_u8(b, u->port_control_req.op);
		fmp_put_u8(b, 0);
		fmp_put_u16(b, u->port_control_req.index);
		return 0;
	case FMP_OP_SET_QOS:
		enc_qos_set(b, &u->qos_set_req);
		return 0;
	case FMP_OP_GET_QOS:
		fmp_put_fn(b, &u->qos_get_req.fn);
		return 0;
	case FMP_OP_SUBSCRIBE:
		fmp_put_u32(b, u->subscribe_req.mask);
		return 0;
	}
	return -FMP_E_UNSUPPORTED;
}

static int enc_response(const struct fmp_msg *m, struct fmp_buf *b)
{
	const union fmp_msg_body *u = &m->u;

	if (m->hdr.status != FMP_OK)
		return 0; /* error responses carry no payload */

	switch (m->hdr.opcode) {
	case FMP_OP_HELLO: {
		const struct fmp_hello_resp *r = &u->hello_resp;

		fmp_put_u8(b, r->version);
		fmp_put_u8(b, 0);
		fmp_put_u16(b, r->features);
		fmp_put_u32(b, r->max_payload);
		fmp_put_u64(b, r->boot_id);
		fmp_put_u64(b, r->event_seq);
		fmp_put_u16(b, r->n_ports);
		fmp_put_u16(b, r->n_slots);
		fmp_put_u32(b, r->n_functions);
		fmp_put_str(b, r->chassis);
		fmp_put_str(b, r->model);
		fmp_put_str(b, r->serial);
		fmp_put_str(b, r->firmware);
		return 0;
	}
	case FMP_OP_PING:
		fmp_put_u64(b, u->ping.cookie);
		return 0;
	case FMP_OP_GET_PORTS:
		fmp_put_u16(b, u->ports_resp.count);
		for (unsigned i = 0; i < u->ports_resp.count; i++) {
			const struct fmp_port_info *p = &u->ports_resp.ports[i];

			fmp_put_u8(b, p->port);
			fmp_put_u8(b, p->flags);
			fmp_put_u8(b, p->width);
			fmp_put_u8(b, p->speed);
			fmp_put_u8(b, p->n_vppb);
			fmp_put_u8(b, p->n_bound);
			fmp_put_u8(b, p->usp_bus);
			fmp_put_u8(b, 0);
			fmp_put_str(b, p->name);
		}
		return 0;
	case FMP_OP_GET_SLOTS:
		fmp_put_u16(b, u->slots_resp.count);
		for (unsigned i = 0; i < u->slots_resp.count; i++) {
			fmp_put_u16(b, u->slots_resp.slots[i].slot);
			fmp_put_u16(b, u->slots_resp.slots[i].flags);
			fmp_put_str(b, u->slots_resp.slots[i].label);
		}
		return 0;
	case FMP_OP_GET_CARD: {
		const struct fmp_card_resp *c = &u->card_resp;

		if (c->n_pfs > FMP_MAX_PFS)
			return -FMP_E_INVALID;
		fmp_put_u16(b, c->slot);
		fmp_put_u8(b, c->sharing);
		fmp_put_u8(b, c->n_pfs);
		fmp_put_u16(b, c->vendor);
		fmp_put_u16(b, c->subsys_vendor);
		fmp_put_u16(b, c->subsys_device);
		fmp_put_u16(b, 0);
		fmp_put_u32(b, c->class_code);
		fmp_put_u64(b, c->dsn);
		fmp_put_str(b, c->profile);
		fmp_put_str(b, c->name);
		for (unsigned i = 0; i < c->n_pfs; i++) {
			const struct fmp_pf_info *pf = &c->pfs[i];

			fmp_put_u8(b, pf->pf);
			fmp_put_u8(b, 0);
			fmp_put_u16(b, pf->device);
			fmp_put_u16(b, pf->total_vfs);
			fmp_put_u16(b, pf->num_vfs);
			fmp_put_u16(b, pf->vf_device);
			fmp_put_u16(b, pf->vf_offset);
			fmp_put_u16(b, pf->vf_stride);
		}
		return 0;
	}
	case FMP_OP_GET_FUNCTIONS:
		fmp_put_u32(b, u->functions_resp.next_cursor);
		fmp_put_u16(b, u->functions_resp.count);
		for (unsigned i = 0; i < u->functions_resp.count; i++) {
			const struct fmp_function_info *f = &u->functions_resp.fns[i];

			fmp_put_fn(b, &f->fn);
			fmp_put_u8(b, f->flags);
			fmp_put_u8(b, f->bind_state);
			fmp_put_u16(b, f->rid);
			fmp_put_u16(b, f->vendor);
			fmp_put_u16(b, f->device);
			fmp_put_u32(b, f->class_code);
			fmp_put_u8(b, f->port);
			fmp_put_u8(b, f->vppb);
		}
		return 0;
	case FMP_OP_READ_CONFIG: {
		const struct fmp_read_config_resp *r = &u->read_config_resp;

		if ((uint32_t)r->offset + r->length > FMP_CONFIG_SPACE_SIZE ||
		    (r->length && !r->data))
			return -FMP_E_INVALID;
		fmp_put_u16(b, r->offset);
		fmp_put_u16(b, r->length);
		fmp_put_bytes(b, r->data, r->length);
		return 0;
	}
	case FMP_OP_SET_NUM_VFS:
		fmp_put_u16(b, u->set_num_vfs_resp.num_vfs);
		fmp_put_u16(b, u->set_num_vfs_resp.total_vfs);
		return 0;
	case FMP_OP_BIND:
		fmp_put_u8(b, u->bind_resp.port);
		fmp_put_u8(b, u->bind_resp.vppb);
		fmp_put_u8(b, u->bind_resp.host_bus);
		fmp_put_u8(b, u->bind_resp.host_devfn);
		return 0;
	case FMP_OP_UNBIND:
		fmp_put_u8(b, u->unbind_resp.port);
		fmp_put_u8(b, u->unbind_resp.vppb);
		return 0;
	case FMP_OP_GET_VH:
		fmp_put_u8(b, u->vh_resp.port);
		fmp_put_u8(b, u->vh_resp.flags);
		fmp_put_u8(b, u->vh_resp.usp_bus);
		fmp_put_u8(b, u->vh_resp.count);
		for (unsigned i = 0; i < u->vh_resp.count; i++) {
			const struct fmp_vppb_info *v = &u->vh_resp.vppbs[i];

			fmp_put_u8(b, v->vppb);
			fmp_put_u8(b, v->bind_state);
			fmp_put_u16(b, v->slot_flags);
			fmp_put_u8(b, v->sec_bus);
			fmp_put_u8(b, 0);
			fmp_put_fn(b, &v->fn);
		}
		return 0;
	case FMP_OP_PORT_CONTROL:
		fmp_put_u16(b, u->port_control_resp.index);
		fmp_put_u16(b, u->port_control_resp.flags);
		return 0;
	case FMP_OP_SET_QOS:
		enc_qos_set(b, &u->qos_set_resp);
		return 0;
	case FMP_OP_GET_QOS: {
		const struct fmp_qos_get_resp *q = &u->qos_get_resp;

		fmp_put_fn(b, &q->fn);
		fmp_put_u8(b, q->flags);
		fmp_put_u8(b, 0);
		fmp_put_u32(b, q->min_mbps);
		fmp_put_u32(b, q->max_mbps);
		fmp_put_u32(b, q->offered_mbps);
		fmp_put_u32(b, q->achieved_mbps);
		fmp_put_u64(b, q->bytes);
		fmp_put_u64(b, q->time_ns);
		return 0;
	}
	case FMP_OP_SUBSCRIBE:
		fmp_put_u64(b, u->subscribe_resp.event_seq);
		return 0;
	}
	return -FMP_E_UNSUPPORTED;
}

static void enc_event(const struct fmp_event *e, struct fmp_buf *b)
{
	fmp_put_u64(b, e->seq);
	fmp_put_u64(b, e->time_ns);
	fmp_put_u16(b, e->type);
	fmp_put_u8(b, e->reason);
	fmp_put_u8(b, e->port);
	fmp_put_u8(b, e->vppb);
	fmp_put_u8(b, 0);
	fmp_put_u16(b, e->slot);
	fmp_put_fn(b, &e->fn);
	fmp_put_u32(b, e->detail);
}

int fmp_msg_encode(const struct fmp_msg *m, struct fmp_buf *out)
{
	size_t start = out->len;
	struct fmp_hdr h = m->hdr;
	uint8_t hdr[FMP_HDR_SIZE] = {0};
	int rc;

	if (out->err)
		return out->err;
	fmp_put_bytes(out, hdr, sizeof(hdr)); /* reserve; filled once the length is known */
	switch (m->hdr.kind) {
	case FMP_KIND_REQUEST:
		rc = enc_request(m, out);
		break;
	case FMP_KIND_RESPONSE:
		rc = enc_response(m, out);
		break;
	case FMP_KIND_EVENT:
		rc = m->hdr.opcode == FMP_OP_EVENT ? 0 : -FMP_E_UNSUPPORTED;
		if (!rc)
			enc_event(&m->u.event, out);
		break;
	default:
		rc = -FMP_E_UNSUPPORTED;
	}
	if (!rc)
		rc = out->err;
	if (!rc && out->len - start - FMP_HDR_SIZE > FMP_MAX_PAYLOAD_CEILING)
		rc = -FMP_E_TOO_BIG;
	if (rc) {
		out->len = start;
		if (out->err == -FMP_E_INVALID)
			out->err = 0; /* an unencodable field is this message's error, not the buffer's */
		return rc;
	}
	h.magic = FMP_MAGIC;
	if (!h.version)
		h.version = FMP_VERSION_MAX;
	h.flags = 0;
	h.length = (uint32_t)(out->len - start - FMP_HDR_SIZE);
	fmp_hdr_encode(&h, out->data + start);
	return 0;
}

int fmp_encode_error(const struct fmp_hdr *req, enum fmp_status status, struct fmp_buf *out)
{
	struct fmp_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.version = req->version ? req->version : FMP_VERSION_MAX;
	if (m.hdr.version < FMP_VERSION_MIN || m.hdr.version > FMP_VERSION_MAX)
		m.hdr.version = FMP_VERSION_MAX;
	m.hdr.kind = FMP_KIND_RESPONSE;
	m.hdr.opcode = req->opcode;
	m.hdr.tag = req->tag;
	m.hdr.status = (uint16_t)(status ? status : FMP_E_INTERNAL);
	return fmp_msg_encode(&m, out);
}

/* ---- decoders ---------------------------------------------------------------------- */

/* Allocates count records of size sz only after checking that count records of at least
 * min_wire bytes each can be in the remaining payload, so a lying count cannot make the
 * decoder allocate more than the payload justifies. */
static void *alloc_records(struct fmp_rd *r, size_t count, size_t min_wire, size_t sz, int *rc)
{
	void *p;

	if (r->bad || count * min_wire > r->left) {
		r->bad = true;
		return NULL;
	}
	if (!count)
		return NULL;
	p = calloc(count, sz);
	if (!p)
		*rc = -FMP_E_NOMEM;
	return p;
}

static void dec_qos_set(struct fmp_rd *r, struct fmp_qos_set_req *q)
{
	fmp_rd_fn(r, &q->fn);
	q->min_mbps = fmp_rd_u32(r);
	q->max_mbps = fmp_rd_u32(r);
}

static int dec_request(struct fmp_rd *r, struct fmp_msg *m)
{
	union fmp_msg_body *u = &m->u;

	switch (m->hdr.opcode) {
	case FMP_OP_HELLO:
		u->hello_req.min_version = fmp_rd_u8(r);
		u->hello_req.max_version = fmp_rd_u8(r);
		u->hello_req.features = fmp_rd_u16(r);
		u->hello_req.max_payload = fmp_rd_u32(r);
		fmp_rd_str(r, u->hello_req.client);
		return 0;
	case FMP_OP_PING:
		u->ping.cookie = fmp_rd_u64(r);
		return 0;
	case FMP_OP_GET_PORTS:
	case FMP_OP_GET_SLOTS:
		return 0;
	case FMP_OP_GET_CARD:
		u->card_req.slot = fmp_rd_u16(r);
		return 0;
	case FMP_OP_GET_FUNCTIONS:
		u->functions_req.slot = fmp_rd_u16(r);
		u->functions_req.max = fmp_rd_u16(r);
		u->functions_req.cursor = fmp_rd_u32(r);
		return 0;
	case FMP_OP_READ_CONFIG: {
		struct fmp_read_config_req *q = &u->read_config_req;

		q->target = fmp_rd_u8(r);
		q->port = fmp_rd_u8(r);
		q->bus = fmp_rd_u8(r);
		q->devfn = fmp_rd_u8(r);
		fmp_rd_fn(r, &q->fn);
		q->offset = fmp_rd_u16(r);
		q->length = fmp_rd_u16(r);
		if ((uint32_t)q->offset + q->length > FMP_CONFIG_SPACE_SIZE)
			r->bad = true;
		return 0;
	}
	case FMP_OP_SET_NUM_VFS:
		u->set_num_vfs_req.slot = fmp_rd_u16(r);
		u->set_num_vfs_req.pf = fmp_rd_u8(r);
		(void)fmp_rd_u8(r);
		u->set_num_vfs_req.num_vfs = fmp_rd_u16(r);
		return 0;
	case FMP_OP_BIND:
		fmp_rd_fn(r, &u->bind_req.fn);
		u->bind_req.port = fmp_rd_u8(r);
		u->bind_req.vppb = fmp_rd_u8(r);
		return 0;
	case FMP_OP_UNBIND:
		fmp_rd_fn(r, &u->unbind_req.fn);
		u->unbind_req.mode = fmp_rd_u8(r);
		(void)fmp_rd_u8(r);
		u->unbind_req.timeout_ms = fmp_rd_u32(r);
		return 0;
	case FMP_OP_GET_VH:
		u->vh_req.port = fmp_rd_u8(r);
		return 0;
	case FMP_OP_PORT_CONTROL:
		u->port_control_req.op = fmp_rd_u8(r);
		(void)fmp_rd_u8(r);
		u->port_control_req.index = fmp_rd_u16(r);
		return 0;
	case FMP_OP_SET_QOS:
		dec_qos_set(r, &u->qos_set_req);
		return 0;
	case FMP_OP_GET_QOS:
		fmp_rd_fn(r, &u->qos_get_req.fn);
		return 0;
	case FMP_OP_SUBSCRIBE:
		u->subscribe_req.mask = fmp_rd_u32(r);
		return 0;
	}
	return -FMP_E_UNSUPPORTED;
}

static int dec_response(struct fmp_rd *r, struct fmp_msg *m)
{
	union fmp_msg_body *u = &m->u;
	int rc = 0;

	if (m->hdr.status != FMP_OK)
		return m->hdr.status < FMP_STATUS_COUNT ? 0 : -FMP_E_BAD_FRAME;

	switch (m->hdr.opcode) {
	case FMP_OP_HELLO: {
		struct fmp_hello_resp *h = &u->hello_resp;

		h->version = fmp_rd_u8(r);
		(void)fmp_rd_u8(r);
		h->features = fmp_rd_u16(r);
		h->max_payload = fmp_rd_u32(r);
		h->boot_id = fmp_rd_u64(r);
		h->event_seq = fmp_rd_u64(r);
		h->n_ports = fmp_rd_u16(r);
		h->n_slots = fmp_rd_u16(r);
		h->n_functions = fmp_rd_u32(r);
		fmp_rd_str(r, h->chassis);
		fmp_rd_str(r, h->model);
		fmp_rd_str(r, h->serial);
		fmp_rd_str(r, h->firmware);
		return 0;
	}
	case FMP_OP_PING:
		u->ping.cookie = fmp_rd_u64(r);
		return 0;
	case FMP_OP_GET_PORTS: {
		struct fmp_ports_resp *p = &u->ports_resp;

		p->count = fmp_rd_u16(r);
		p->ports = alloc_records(r, p->count, SZ_PORT_ENTRY + 1, sizeof(*p->ports), &rc);
		for (unsigned i = 0; !rc && !r->bad && i < p->count; i++) {
			struct fmp_port_info *e = &p->ports[i];

			e->port = fmp_rd_u8(r);
			e->flags = fmp_rd_u8(r);
			e->width = fmp_rd_u8(r);
			e->speed = fmp_rd_u8(r);
			e->n_vppb = fmp_rd_u8(r);
			e->n_bound = fmp_rd_u8(r);
			e->usp_bus = fmp_rd_u8(r);
			(void)fmp_rd_u8(r);
			fmp_rd_str(r, e->name);
		}
		return rc;
	}
	case FMP_OP_GET_SLOTS: {
		struct fmp_slots_resp *s = &u->slots_resp;

		s->count = fmp_rd_u16(r);
		s->slots = alloc_records(r, s->count, SZ_SLOT_ENTRY + 1, sizeof(*s->slots), &rc);
		for (unsigned i = 0; !rc && !r->bad && i < s->count; i++) {
			s->slots[i].slot = fmp_rd_u16(r);
			s->slots[i].flags = fmp_rd_u16(r);
			fmp_rd_str(r, s->slots[i].label);
		}
		return rc;
	}
	case FMP_OP_GET_CARD: {
		struct fmp_card_resp *c = &u->card_resp;

		c->slot = fmp_rd_u16(r);
		c->sharing = fmp_rd_u8(r);
		c->n_pfs = fmp_rd_u8(r);
		c->vendor = fmp_rd_u16(r);
		c->subsys_vendor = fmp_rd_u16(r);
		c->subsys_device = fmp_rd_u16(r);
		(void)fmp_rd_u16(r);
		c->class_code = fmp_rd_u32(r);
		c->dsn = fmp_rd_u64(r);
		fmp_rd_str(r, c->profile);
		fmp_rd_str(r, c->name);
		if (c->n_pfs > FMP_MAX_PFS)
			r->bad = true;
		for (unsigned i = 0; !r->bad && i < c->n_pfs; i++) {
			struct fmp_pf_info *pf = &c->pfs[i];

			pf->pf = fmp_rd_u8(r);
			(void)fmp_rd_u8(r);
			pf->device = fmp_rd_u16(r);
			pf->total_vfs = fmp_rd_u16(r);
			pf->num_vfs = fmp_rd_u16(r);
			pf->vf_device = fmp_rd_u16(r);
			pf->vf_offset = fmp_rd_u16(r);
			pf->vf_stride = fmp_rd_u16(r);
		}
		return 0;
	}
	case FMP_OP_GET_FUNCTIONS: {
		struct fmp_functions_resp *f = &u->functions_resp;

		f->next_cursor = fmp_rd_u32(r);
		f->count = fmp_rd_u16(r);
		f->fns = alloc_records(r, f->count, SZ_FUNCTION_ENTRY, sizeof(*f->fns), &rc);
		for (unsigned i = 0; !rc && !r->bad && i < f->count; i++) {
			struct fmp_function_info *e = &f->fns[i];

			fmp_rd_fn(r, &e->fn);
			e->flags = fmp_rd_u8(r);
			e->bind_state = fmp_rd_u8(r);
			e->rid = fmp_rd_u16(r);
			e->vendor = fmp_rd_u16(r);
			e->device = fmp_rd_u16(r);
			e->class_code = fmp_rd_u32(r);
			e->port = fmp_rd_u8(r);
			e->vppb = fmp_rd_u8(r);
		}
		return rc;
	}
	case FMP_OP_READ_CONFIG: {
		struct fmp_read_config_resp *c = &u->read_config_resp;

		c->offset = fmp_rd_u16(r);
		c->length = fmp_rd_u16(r);
		if ((uint32_t)c->offset + c->length > FMP_CONFIG_SPACE_SIZE)
			r->bad = true;
		c->data = fmp_rd_bytes(r, c->length);
		return 0;
	}
	case FMP_OP_SET_NUM_VFS:
		u->set_num_vfs_resp.num_vfs = fmp_rd_u16(r);
		u->set_num_vfs_resp.total_vfs = fmp_rd_u16(r);
		return 0;
	case FMP_OP_BIND:
		u->bind_resp.port = fmp_rd_u8(r);
		u->bind_resp.vppb = fmp_rd_u8(r);
		u->bind_resp.host_bus = fmp_rd_u8(r);
		u->bind_resp.host_devfn = fmp_rd_u8(r);
		return 0;
	case FMP_OP_UNBIND:
		u->unbind_resp.port = fmp_rd_u8(r);
		u->unbind_resp.vppb = fmp_rd_u8(r);
		return 0;
	case FMP_OP_GET_VH: {
		struct fmp_vh_resp *v = &u->vh_resp;

		v->port = fmp_rd_u8(r);
		v->flags = fmp_rd_u8(r);
		v->usp_bus = fmp_rd_u8(r);
		v->count = fmp_rd_u8(r);
		v->vppbs = alloc_records(r, v->count, SZ_VPPB_ENTRY, sizeof(*v->vppbs), &rc);
		for (unsigned i = 0; !rc && !r->bad && i < v->count; i++) {
			struct fmp_vppb_info *e = &v->vppbs[i];

			e->vppb = fmp_rd_u8(r);
			e->bind_state = fmp_rd_u8(r);
			e->slot_flags = fmp_rd_u16(r);
			e->sec_bus = fmp_rd_u8(r);
			(void)fmp_rd_u8(r);
			fmp_rd_fn(r, &e->fn);
		}
		return rc;
	}
	case FMP_OP_PORT_CONTROL:
		u->port_control_resp.index = fmp_rd_u16(r);
		u->port_control_resp.flags = fmp_rd_u16(r);
		return 0;
	case FMP_OP_SET_QOS:
		dec_qos_set(r, &u->qos_set_resp);
		return 0;
	case FMP_OP_GET_QOS: {
		struct fmp_qos_get_resp *q = &u->qos_get_resp;

		fmp_rd_fn(r, &q->fn);
		q->flags = fmp_rd_u8(r);
		(void)fmp_rd_u8(r);
		q->min_mbps = fmp_rd_u32(r);
		q->max_mbps = fmp_rd_u32(r);
		q->offered_mbps = fmp_rd_u32(r);
		q->achieved_mbps = fmp_rd_u32(r);
		q->bytes = fmp_rd_u64(r);
		q->time_ns = fmp_rd_u64(r);
		return 0;
	}
	case FMP_OP_SUBSCRIBE:
		u->subscribe_resp.event_seq = fmp_rd_u64(r);
		return 0;
	}
	return -FMP_E_UNSUPPORTED;
}

static void dec_event(struct fmp_rd *r, struct fmp_event *e)
{
	e->seq = fmp_rd_u64(r);
	e->time_ns = fmp_rd_u64(r);
	e->type = fmp_rd_u16(r);
	e->reason = fmp_rd_u8(r);
	e->port = fmp_rd_u8(r);
	e->vppb = fmp_rd_u8(r);
	(void)fmp_rd_u8(r);
	e->slot = fmp_rd_u16(r);
	fmp_rd_fn(r, &e->fn);
	e->detail = fmp_rd_u32(r);
}

int fmp_msg_decode(const struct fmp_hdr *hdr, const uint8_t *payload, struct fmp_msg *m)
{
	struct fmp_rd r;
	int rc;

	memset(m, 0, sizeof(*m));
	m->hdr = *hdr;
	fmp_rd_init(&r, payload, hdr->length);
	if (hdr->length && !payload)
		return -FMP_E_BAD_FRAME;

	switch (hdr->kind) {
	case FMP_KIND_REQUEST:
		rc = hdr->status ? -FMP_E_BAD_FRAME : dec_request(&r, m);
		break;
	case FMP_KIND_RESPONSE:
		rc = dec_response(&r, m);
		break;
	case FMP_KIND_EVENT:
		if (hdr->opcode != FMP_OP_EVENT)
			rc = -FMP_E_UNSUPPORTED;
		else if (hdr->status)
			rc = -FMP_E_BAD_FRAME;
		else {
			rc = 0;
			dec_event(&r, &m->u.event);
		}
		break;
	default:
		rc = -FMP_E_UNSUPPORTED;
	}
	/* A payload must be consumed exactly: short and long are both malformed. */
	if (!rc && (r.bad || r.left))
		rc = -FMP_E_BAD_FRAME;
	if (rc)
		fmp_msg_release(m);
	return rc;
}

void fmp_msg_release(struct fmp_msg *m)
{
	if (m->hdr.kind != FMP_KIND_RESPONSE)
		return;
	switch (m->hdr.opcode) {
	case FMP_OP_GET_PORTS:
		free(m->u.ports_resp.ports);
		m->u.ports_resp.ports = NULL;
		break;
	case FMP_OP_GET_SLOTS:
		free(m->u.slots_resp.slots);
		m->u.slots_resp.slots = NULL;
		break;
	case FMP_OP_GET_FUNCTIONS:
		free(m->u.functions_resp.fns);
		m->u.functions_resp.fns = NULL;
		break;
	case FMP_OP_GET_VH:
		free(m->u.vh_resp.vppbs);
		m->u.vh_resp.vppbs = NULL;
		break;
	}
}
