/* fake_switch: a scripted FMP switch on the test's loop, built from common/conn and
 * common/endpoint like switch-sim's management port. It keeps just enough state to answer
 * as a switch would (protocol/README.md): bindings per function, vPPB occupancy per host
 * port, NumVFs per PF, and the event sequence of the current boot. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conn.h"
#include "endpoint.h"
#include "fake_switch.h"

#define PAGE_MAX 7 /* GET_FUNCTIONS records per page, small so discovery pages */

struct fconn {
	struct fake_switch *fs;
	struct conn *c;
	bool subscribed;
	uint16_t features; /* agreed in HELLO */
	struct fconn *next;
};

/* A managed UNBIND waiting for the (simulated) host. */
struct pending_unbind {
	struct fake_switch *fs;
	struct fconn *fc; /* NULL once its connection went away */
	uv_timer_t timer;
	struct fmp_hdr req;
	uint16_t slot;
	uint8_t pf;
	uint16_t vf;
	bool never; /* answer FMP_E_TIMEOUT when the timer fires */
	struct pending_unbind *next;
};

/* An answer held back by fake_switch_hold(FAKE_HOLD_ANSWER). */
struct held_answer {
	struct fconn *fc; /* NULL once its connection went away */
	struct fmp_buf frame;
	uint16_t opcode;
	struct held_answer *next;
};

struct fake_switch {
	uv_loop_t *loop;
	char path[ENDPOINT_PATH_MAX];
	char spec[ENDPOINT_PATH_MAX + 8];
	uv_stream_t *server;
	struct fake_port ports[FAKE_MAX_PORTS];
	struct fake_slot slots[FAKE_MAX_SLOTS];
	uint8_t nic_config[FMP_CONFIG_SPACE_SIZE];
	bool nic_config_ok;

	uint64_t boot_id;
	uint64_t seq;
	bool op_events;
	int unbind_delay_ms;

	uint8_t hold[FAKE_OPCODES];      /* enum fake_hold */
	struct held_answer *held;        /* in the order they were sent */
	unsigned counts[FAKE_OPCODES];
	unsigned inject_left[FAKE_OPCODES]; /* requests still to answer inject_status */
	uint16_t inject_status[FAKE_OPCODES];
	unsigned drop_left[FAKE_OPCODES];   /* requests still to leave unanswered */
	struct fmp_msg last[FAKE_OPCODES];
	bool has_last[FAKE_OPCODES];
	unsigned hellos;
	uint16_t features;

	struct fconn *conns;
	unsigned n_conns;
	struct pending_unbind *pending;
	unsigned n_timers; /* pending_unbind timers not yet closed */
	bool free_requested;
};

static void maybe_release(struct fake_switch *fs)
{
	if (fs->free_requested && !fs->conns && !fs->n_timers)
		free(fs);
}

/* ---- inventory helpers ------------------------------------------------------------------ */

static struct fake_slot *slot_of(struct fake_switch *fs, uint16_t slot)
{
	for (unsigned i = 0; i < FAKE_MAX_SLOTS; i++)
		if (fs->slots[i].present && fs->slots[i].slot == slot)
			return &fs->slots[i];
	return NULL;
}

struct fake_card *fake_switch_card(struct fake_switch *fs, uint16_t slot)
{
	struct fake_slot *s = slot_of(fs, slot);

	return s && s->card.present ? &s->card : NULL;
}

static struct fake_port *port_of(struct fake_switch *fs, uint8_t port)
{
	for (unsigned i = 0; i < FAKE_MAX_PORTS; i++)
		if (fs->ports[i].present && fs->ports[i].port == port)
			return &fs->ports[i];
	return NULL;
}

struct fake_port *fake_switch_port(struct fake_switch *fs, unsigned i)
{
	return i < FAKE_MAX_PORTS ? &fs->ports[i] : NULL;
}

struct fake_slot *fake_switch_slot(struct fake_switch *fs, unsigned i)
{
	return i < FAKE_MAX_SLOTS ? &fs->slots[i] : NULL;
}

/* The binding record of a function; for an exclusive card every PF shares pf0's. NULL when
 * the function does not exist (a VF at or above NumVFs is not there, PCIe §9.3.3.7). */
static struct fake_binding *binding_of(struct fake_card *card, uint8_t pf, uint16_t vf)
{
	if (!card || pf >= card->n_pfs)
		return NULL;
	if (vf == FMP_VF_NONE)
		return card->sharing == FMP_SHARING_EXCLUSIVE ? &card->pfs[0].pf : &card->pfs[pf].pf;
	if (vf >= card->pfs[pf].num_vfs || vf >= FAKE_MAX_VFS)
		return NULL;
	return &card->pfs[pf].vf[vf];
}

/* Calls fn for every binding record (an exclusive card's once), with its address. */
typedef bool (*walk_fn)(void *arg, struct fake_card *card, uint8_t pf, uint16_t vf,
			struct fake_binding *b);

static bool walk(struct fake_switch *fs, walk_fn fn, void *arg)
{
	for (unsigned s = 0; s < FAKE_MAX_SLOTS; s++) {
		struct fake_card *card = &fs->slots[s].card;

		if (!fs->slots[s].present || !card->present)
			continue;
		for (uint8_t p = 0; p < card->n_pfs; p++) {
			if (card->sharing == FMP_SHARING_EXCLUSIVE && p)
				break;
			if (fn(arg, card, p, FMP_VF_NONE, &card->pfs[p].pf))
				return true;
			for (uint16_t v = 0; v < card->pfs[p].num_vfs && v < FAKE_MAX_VFS; v++)
				if (fn(arg, card, p, v, &card->pfs[p].vf[v]))
					return true;
		}
	}
	return false;
}

struct vppb_query {
	uint8_t port, vppb;
	struct fake_card *card;
	uint8_t pf;
	uint16_t vf;
	struct fake_binding *b;
};

static bool match_vppb(void *arg, struct fake_card *card, uint8_t pf, uint16_t vf,
		       struct fake_binding *b)
{
	struct vppb_query *q = arg;

	if (b->state == FMP_BIND_UNBOUND || b->port != q->port || b->vppb != q->vppb)
		return false;
	q->card = card;
	q->pf = pf;
	q->vf = vf;
	q->b = b;
	return true;
}

static bool vppb_find(struct fake_switch *fs, struct vppb_query *q)
{
	return walk(fs, match_vppb, q);
}

static bool count_bound(void *arg, struct fake_card *card, uint8_t pf, uint16_t vf,
			struct fake_binding *b)
{
	(void)card;
	(void)pf;
	(void)vf;
	*(unsigned *)arg += b->state != FMP_BIND_UNBOUND;
	return false;
}

unsigned fake_switch_bound_count(struct fake_switch *fs)
{
	unsigned n = 0;

	walk(fs, count_bound, &n);
	return n;
}

static unsigned port_bound(struct fake_switch *fs, uint8_t port)
{
	struct fake_port *p = port_of(fs, port);
	unsigned n = 0;

	for (unsigned v = 0; p && v < p->n_vppb; v++) {
		struct vppb_query q = {.port = port, .vppb = (uint8_t)v};

		n += vppb_find(fs, &q);
	}
	return n;
}

static uint8_t sec_bus(const struct fake_port *p, uint8_t vppb)
{
	/* USP on usp_bus, the vPPBs on usp_bus + 1, vPPB v's secondary bus after them */
	return (uint8_t)(p->usp_bus + 2 + vppb);
}

static bool set_binding(struct fake_card *card, uint8_t pf, uint16_t vf, uint8_t state,
			uint8_t port, uint8_t vppb)
{
	struct fake_binding *b = binding_of(card, pf, vf);

	if (!b)
		return false;
	b->state = state;
	b->port = state == FMP_BIND_UNBOUND ? FMP_PORT_NONE : port;
	b->vppb = state == FMP_BIND_UNBOUND ? FMP_VPPB_NONE : vppb;
	if (card->sharing == FMP_SHARING_EXCLUSIVE)
		for (unsigned p = 1; p < card->n_pfs; p++)
			card->pfs[p].pf = *b;
	return true;
}

static int lowest_free_vppb(struct fake_switch *fs, const struct fake_port *p)
{
	for (unsigned v = 0; v < p->n_vppb; v++) {
		struct vppb_query q = {.port = p->port, .vppb = (uint8_t)v};

		if (!vppb_find(fs, &q))
			return (int)v;
	}
	return -1;
}

int fake_switch_bind(struct fake_switch *fs, uint16_t slot, uint8_t pf, uint16_t vf,
		     uint8_t port, uint8_t vppb)
{
	struct fake_card *card = fake_switch_card(fs, slot);
	struct fake_port *p = port_of(fs, port);
	int v = vppb;

	if (!card || !p || !binding_of(card, pf, vf))
		return -1;
	if (vppb == FMP_VPPB_ANY)
		v = lowest_free_vppb(fs, p);
	if (v < 0)
		return -1;
	set_binding(card, pf, vf, FMP_BIND_BOUND, port, (uint8_t)v);
	return v;
}

uint8_t fake_switch_state(struct fake_switch *fs, uint16_t slot, uint8_t pf, uint16_t vf,
			  uint8_t *port, uint8_t *vppb)
{
	struct fake_binding *b = binding_of(fake_switch_card(fs, slot), pf, vf);

	if (port)
		*port = b ? b->port : FMP_PORT_NONE;
	if (vppb)
		*vppb = b ? b->vppb : FMP_VPPB_NONE;
	return b ? b->state : FMP_BIND_UNBOUND;
}

static unsigned enabled_functions(struct fake_switch *fs)
{
	unsigned n = 0;

	for (unsigned s = 0; s < FAKE_MAX_SLOTS; s++) {
		struct fake_card *card = &fs->slots[s].card;

		if (!fs->slots[s].present || !card->present)
			continue;
		for (unsigned p = 0; p < card->n_pfs; p++)
			n += 1u + card->pfs[p].num_vfs;
	}
	return n;
}

/* ---- default inventory ------------------------------------------------------------------- */

/* Reads the hex lines of an `lspci -xxxx` dump ("OFF: xx xx ..."). */
static bool load_lspci(const char *path, uint8_t *cfg, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[512];
	size_t got = 0;

	if (!f)
		return false;
	memset(cfg, 0xff, len);
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		unsigned long off = strtoul(p, &end, 16);

		if (end == p || *end != ':' || off >= len)
			continue;
		p = end + 1;
		for (size_t i = 0; i < 16 && off + i < len; i++) {
			unsigned long b = strtoul(p, &end, 16);

			if (end == p)
				break;
			cfg[off + i] = (uint8_t)b;
			p = end;
			got++;
		}
	}
	fclose(f);
	return got >= 64;
}

static void add_port(struct fake_switch *fs, unsigned i, uint8_t port, const char *name,
		     bool up, uint8_t n_vppb)
{
	struct fake_port *p = &fs->ports[i];

	p->present = true;
	p->port = port;
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->link_up = up;
	p->n_vppb = n_vppb;
	p->usp_bus = 1;
}

static struct fake_card *add_card(struct fake_switch *fs, unsigned i, uint16_t slot,
				  const char *name, uint8_t sharing, uint64_t dsn)
{
	struct fake_slot *s = &fs->slots[i];

	s->present = true;
	s->slot = slot;
	snprintf(s->label, sizeof(s->label), "Slot %u", slot);
	if (!name)
		return NULL;
	s->card.present = true;
	snprintf(s->card.name, sizeof(s->card.name), "%s", name);
	s->card.sharing = sharing;
	s->card.dsn = dsn;
	return &s->card;
}

static void add_pf(struct fake_card *card, uint16_t device, uint16_t total, uint16_t num,
		   uint16_t vf_device)
{
	struct fake_pf *pf = &card->pfs[card->n_pfs++];

	pf->device = device;
	pf->total_vfs = total;
	pf->num_vfs = pf->initial_num_vfs = num;
	pf->vf_device = vf_device;
}

void fake_switch_default_inventory(struct fake_switch *fs)
{
	struct fake_card *c;

	memset(fs->ports, 0, sizeof(fs->ports));
	memset(fs->slots, 0, sizeof(fs->slots));
	add_port(fs, 0, 0, "web1", true, 4);
	add_port(fs, 1, 1, "web2", true, 4);
	add_port(fs, 2, 2, "web3", false, 4);
	add_port(fs, 3, 3, "web4", true, 1);

	c = add_card(fs, 0, 1, "nic0", FMP_SHARING_SRIOV, FAKE_DSN_NIC0);
	snprintf(c->profile, sizeof(c->profile), "intel-82576");
	c->vendor = 0x8086;
	c->subsys_vendor = 0x8086;
	c->subsys_device = 0xa03c;
	c->class_code = 0x020000;
	add_pf(c, 0x10c9, 8, 0, 0x10ca);
	add_pf(c, 0x10c9, 8, 2, 0x10ca);
	c->config = fs->nic_config_ok ? fs->nic_config : NULL;

	c = add_card(fs, 1, 2, "raid0", FMP_SHARING_EXCLUSIVE, FAKE_DSN_RAID0);
	snprintf(c->profile, sizeof(c->profile), "lsi-megaraid-3108");
	c->vendor = 0x1000;
	c->subsys_vendor = 0x1000;
	c->subsys_device = 0x9361;
	c->class_code = 0x010400;
	add_pf(c, 0x005d, 2, 2, 0x005e);
	add_pf(c, 0x005d, 0, 0, 0);

	c = add_card(fs, 2, 3, "mr0", FMP_SHARING_MRIOV, FAKE_DSN_MR0);
	snprintf(c->profile, sizeof(c->profile), "mriov-nic");
	c->vendor = 0x15b3;
	c->subsys_vendor = 0x15b3;
	c->subsys_device = 0x0008;
	c->class_code = 0x020000;
	add_pf(c, 0x1017, 4, 4, 0x1018);
	add_pf(c, 0x1017, 4, 4, 0x1018);

	add_card(fs, 3, 4, NULL, 0, 0);
}

/* ---- sending ------------------------------------------------------------------------------ */

static void resp_init(struct fmp_msg *r, const struct fmp_hdr *req)
{
	memset(r, 0, sizeof(*r));
	r->hdr.kind = FMP_KIND_RESPONSE;
	r->hdr.opcode = req->opcode;
	r->hdr.tag = req->tag;
}

/* A response of a held opcode: true when it was kept (FAKE_HOLD_ANSWER) or thrown away
 * (FAKE_HOLD_DROP) instead of sent. */
static bool hold_answer(struct fconn *fc, uint16_t opcode, const struct fmp_msg *m,
			const struct fmp_hdr *req, uint16_t status)
{
	struct fake_switch *fs = fc->fs;
	struct held_answer *a, **tail;

	if (opcode >= FAKE_OPCODES || fs->hold[opcode] == FAKE_HOLD_OFF)
		return false;
	if (fs->hold[opcode] == FAKE_HOLD_DROP)
		return true;
	a = calloc(1, sizeof(*a));
	if (!a)
		return false;
	fmp_buf_init(&a->frame);
	if (m ? fmp_msg_encode(m, &a->frame) : fmp_encode_error(req, status, &a->frame)) {
		fmp_buf_release(&a->frame);
		free(a);
		return false;
	}
	a->fc = fc;
	a->opcode = opcode;
	for (tail = &fs->held; *tail; tail = &(*tail)->next)
		;
	*tail = a;
	return true;
}

static void send_status(struct fconn *fc, const struct fmp_hdr *req, uint16_t status)
{
	if (fc && !conn_closing(fc->c) && !hold_answer(fc, req->opcode, NULL, req, status))
		conn_send_error(fc->c, req, status);
}

static void send_msg(struct fconn *fc, const struct fmp_msg *m)
{
	if (fc && !conn_closing(fc->c) &&
	    (m->hdr.kind != FMP_KIND_RESPONSE || !hold_answer(fc, m->hdr.opcode, m, NULL, 0)))
		conn_send(fc->c, m);
}

void fake_switch_hold(struct fake_switch *fs, uint16_t opcode, enum fake_hold mode)
{
	if (opcode < FAKE_OPCODES)
		fs->hold[opcode] = (uint8_t)mode;
}

unsigned fake_switch_release(struct fake_switch *fs, uint16_t opcode)
{
	struct held_answer **pp = &fs->held;
	unsigned n = 0;

	if (opcode < FAKE_OPCODES)
		fs->hold[opcode] = FAKE_HOLD_OFF;
	while (*pp) {
		struct held_answer *a = *pp;

		if (a->opcode != opcode) {
			pp = &a->next;
			continue;
		}
		*pp = a->next;
		if (a->fc && !conn_closing(a->fc->c))
			conn_send_frame(a->fc->c, a->frame.data, a->frame.len);
		fmp_buf_release(&a->frame);
		free(a);
		n++;
	}
	return n;
}

unsigned fake_switch_held(const struct fake_switch *fs, uint16_t opcode)
{
	unsigned n = 0;

	for (const struct held_answer *a = fs->held; a; a = a->next)
		n += a->opcode == opcode;
	return n;
}

void fake_switch_emit(struct fake_switch *fs, const struct fmp_event *ev)
{
	struct fmp_msg m;
	struct timespec ts;

	memset(&m, 0, sizeof(m));
	m.hdr.kind = FMP_KIND_EVENT;
	m.hdr.opcode = FMP_OP_EVENT;
	m.u.event = *ev;
	m.u.event.seq = ++fs->seq;
	clock_gettime(CLOCK_REALTIME, &ts);
	m.u.event.time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	for (struct fconn *fc = fs->conns; fc; fc = fc->next)
		if (fc->subscribed)
			send_msg(fc, &m);
}

static void emit_fn_event(struct fake_switch *fs, uint16_t type, uint8_t reason, uint8_t port,
			  uint8_t vppb, uint16_t slot, uint8_t pf, uint16_t vf, uint32_t detail)
{
	struct fmp_event ev = {.type = type, .reason = reason, .port = port, .vppb = vppb,
			       .slot = slot, .fn = {slot, pf, vf}, .detail = detail};

	if (fs->op_events)
		fake_switch_emit(fs, &ev);
}

/* ---- requests ----------------------------------------------------------------------------- */

static void build_config(const struct fake_card *card, uint8_t pf, uint16_t vf, uint8_t *cfg)
{
	uint16_t vendor = card->vendor, device = card->pfs[pf].device;

	if (vf == FMP_VF_NONE && card->config) {
		memcpy(cfg, card->config, FMP_CONFIG_SPACE_SIZE);
		return;
	}
	memset(cfg, 0, FMP_CONFIG_SPACE_SIZE);
	if (vf != FMP_VF_NONE)
		vendor = device = 0xffff; /* a VF's ID registers read all-ones (PCIe §9.3.4.1) */
	cfg[0x00] = (uint8_t)vendor;
	cfg[0x01] = (uint8_t)(vendor >> 8);
	cfg[0x02] = (uint8_t)device;
	cfg[0x03] = (uint8_t)(device >> 8);
	cfg[0x08] = 0x01; /* revision */
	cfg[0x09] = (uint8_t)card->class_code;
	cfg[0x0a] = (uint8_t)(card->class_code >> 8);
	cfg[0x0b] = (uint8_t)(card->class_code >> 16);
	cfg[0x0e] = card->n_pfs > 1 ? 0x80 : 0x00;
	cfg[0x2c] = (uint8_t)card->subsys_vendor;
	cfg[0x2d] = (uint8_t)(card->subsys_vendor >> 8);
	cfg[0x2e] = (uint8_t)card->subsys_device;
	cfg[0x2f] = (uint8_t)(card->subsys_device >> 8);
}

static void do_functions(struct fake_switch *fs, struct fconn *fc, const struct fmp_msg *q)
{
	struct fmp_function_info recs[PAGE_MAX];
	unsigned max = q->u.functions_req.max < PAGE_MAX ? q->u.functions_req.max : PAGE_MAX;
	uint32_t idx = 0, cursor = q->u.functions_req.cursor;
	uint16_t n = 0;
	struct fmp_msg r;
	bool more = false;

	resp_init(&r, &q->hdr);
	if (q->u.functions_req.slot != FMP_SLOT_NONE && !slot_of(fs, q->u.functions_req.slot)) {
		send_status(fc, &q->hdr, FMP_E_NO_SUCH_SLOT);
		return;
	}
	for (unsigned s = 0; s < FAKE_MAX_SLOTS && !more; s++) {
		struct fake_slot *sl = &fs->slots[s];
		struct fake_card *card = &sl->card;

		if (!sl->present || !card->present ||
		    (q->u.functions_req.slot != FMP_SLOT_NONE && sl->slot != q->u.functions_req.slot))
			continue;
		for (uint8_t p = 0; p < card->n_pfs && !more; p++) {
			for (int v = -1; v < (int)card->pfs[p].num_vfs; v++, idx++) {
				uint16_t vf = v < 0 ? FMP_VF_NONE : (uint16_t)v;
				struct fake_binding *b = binding_of(card, p, vf);
				struct fmp_function_info *f;

				if (idx < cursor)
					continue;
				if (n == max) {
					more = true;
					break;
				}
				f = &recs[n++];
				memset(f, 0, sizeof(*f));
				f->fn = (struct fmp_fn_addr){sl->slot, p, vf};
				f->flags = v < 0 ? 0 : FMP_FN_F_VF;
				f->bind_state = b->state;
				f->port = b->state ? b->port : FMP_PORT_NONE;
				f->vppb = b->state ? b->vppb : FMP_VPPB_NONE;
				f->rid = (uint16_t)(((sl->slot + 1) << 8) |
						    (v < 0 ? p : (p + 0x80 + 2 * v) & 0xff));
				f->vendor = card->vendor;
				f->device = v < 0 ? card->pfs[p].device : card->pfs[p].vf_device;
				f->class_code = card->class_code;
			}
		}
	}
	r.u.functions_resp.next_cursor = more ? idx : FMP_CURSOR_END;
	r.u.functions_resp.count = n;
	r.u.functions_resp.fns = recs;
	send_msg(fc, &r);
}

static void do_vh(struct fake_switch *fs, struct fconn *fc, const struct fmp_msg *q)
{
	struct fake_port *p = port_of(fs, q->u.vh_req.port);
	struct fmp_vppb_info v[FAKE_MAX_VPPB];
	struct fmp_msg r;

	if (!p) {
		send_status(fc, &q->hdr, FMP_E_NO_SUCH_PORT);
		return;
	}
	resp_init(&r, &q->hdr);
	r.u.vh_resp.port = p->port;
	r.u.vh_resp.flags = p->link_up ? FMP_PORT_F_LINK_UP : 0;
	r.u.vh_resp.usp_bus = p->usp_bus;
	r.u.vh_resp.count = p->n_vppb;
	r.u.vh_resp.vppbs = v;
	for (unsigned i = 0; i < p->n_vppb && i < FAKE_MAX_VPPB; i++) {
		struct vppb_query vq = {.port = p->port, .vppb = (uint8_t)i};

		memset(&v[i], 0, sizeof(v[i]));
		v[i].vppb = (uint8_t)i;
		v[i].sec_bus = sec_bus(p, (uint8_t)i);
		v[i].fn = (struct fmp_fn_addr){FMP_SLOT_NONE, 0, FMP_VF_NONE};
		if (vppb_find(fs, &vq)) {
			struct fake_slot *sl = NULL;

			for (unsigned s = 0; s < FAKE_MAX_SLOTS; s++)
				if (&fs->slots[s].card == vq.card)
					sl = &fs->slots[s];
			v[i].bind_state = vq.b->state;
			v[i].slot_flags = FMP_SLOT_F_PRESENT | FMP_SLOT_F_POWER_ON | FMP_SLOT_F_DLL_ACTIVE;
			v[i].fn = (struct fmp_fn_addr){sl ? sl->slot : FMP_SLOT_NONE, vq.pf, vq.vf};
		}
	}
	send_msg(fc, &r);
}

static void do_bind(struct fake_switch *fs, struct fconn *fc, const struct fmp_msg *q)
{
	const struct fmp_bind_req *b = &q->u.bind_req;
	struct fake_card *card = fake_switch_card(fs, b->fn.slot);
	struct fake_port *p = port_of(fs, b->port);
	struct fake_binding *cur;
	struct fmp_msg r;
	int v;

	if (!slot_of(fs, b->fn.slot)) {
		send_status(fc, &q->hdr, FMP_E_NO_SUCH_SLOT);
		return;
	}
	if (!card) {
		send_status(fc, &q->hdr, FMP_E_EMPTY_SLOT);
		return;
	}
	if (!p) {
		send_status(fc, &q->hdr, FMP_E_NO_SUCH_PORT);
		return;
	}
	cur = binding_of(card, b->fn.pf, b->fn.vf);
	if (!cur) {
		send_status(fc, &q->hdr, FMP_E_NO_SUCH_FUNCTION);
		return;
	}
	/* DESIGN.md sharing modes: sr-iov keeps PFs, mr-iov and exclusive give PFs only */
	if ((card->sharing == FMP_SHARING_SRIOV) == (b->fn.vf == FMP_VF_NONE)) {
		send_status(fc, &q->hdr, FMP_E_SHARING_MODE);
		return;
	}
	if (cur->state == FMP_BIND_UNBINDING || cur->state == FMP_BIND_BINDING) {
		send_status(fc, &q->hdr, FMP_E_IN_PROGRESS);
		return;
	}
	if (cur->state == FMP_BIND_BOUND && cur->port != b->port) {
		send_status(fc, &q->hdr, FMP_E_BUSY);
		return;
	}
	if (!p->link_up) {
		send_status(fc, &q->hdr, FMP_E_LINK_DOWN);
		return;
	}
	if (cur->state == FMP_BIND_BOUND) {
		v = cur->vppb; /* already there: idempotent */
	} else if (b->vppb == FMP_VPPB_ANY) {
		v = lowest_free_vppb(fs, p);
	} else {
		struct vppb_query vq = {.port = p->port, .vppb = b->vppb};

		v = b->vppb < p->n_vppb && !vppb_find(fs, &vq) ? b->vppb : -1;
	}
	if (v < 0) {
		send_status(fc, &q->hdr, FMP_E_NO_VPPB);
		return;
	}
	set_binding(card, b->fn.pf, b->fn.vf, FMP_BIND_BOUND, p->port, (uint8_t)v);
	resp_init(&r, &q->hdr);
	r.u.bind_resp.port = p->port;
	r.u.bind_resp.vppb = (uint8_t)v;
	r.u.bind_resp.host_bus = sec_bus(p, (uint8_t)v);
	r.u.bind_resp.host_devfn = 0;
	send_msg(fc, &r);
	emit_fn_event(fs, FMP_EV_BIND_DONE, FMP_EVR_NONE, p->port, (uint8_t)v, b->fn.slot,
		      card->sharing == FMP_SHARING_EXCLUSIVE ? 0 : b->fn.pf, b->fn.vf, 0);
}

/* Releases a bound function and answers its UNBIND. */
static void finish_unbind(struct fake_switch *fs, struct fconn *fc, const struct fmp_hdr *req,
			  uint16_t slot, uint8_t pf, uint16_t vf, uint8_t reason)
{
	struct fake_card *card = fake_switch_card(fs, slot);
	struct fake_binding *b = binding_of(card, pf, vf);
	uint8_t port, vppb;
	struct fmp_msg r;

	if (!b || b->state == FMP_BIND_UNBOUND) {
		send_status(fc, req, FMP_E_NOT_BOUND);
		return;
	}
	port = b->port;
	vppb = b->vppb;
	set_binding(card, pf, vf, FMP_BIND_UNBOUND, 0, 0);
	resp_init(&r, req);
	r.u.unbind_resp.port = port;
	r.u.unbind_resp.vppb = vppb;
	send_msg(fc, &r);
	emit_fn_event(fs, FMP_EV_UNBIND_DONE, reason, port, vppb, slot,
		      card->sharing == FMP_SHARING_EXCLUSIVE ? 0 : pf, vf, 0);
}

static void pending_unlink(struct fake_switch *fs, struct pending_unbind *pu)
{
	for (struct pending_unbind **pp = &fs->pending; *pp; pp = &(*pp)->next) {
		if (*pp == pu) {
			*pp = pu->next;
			return;
		}
	}
}

static void on_timer_closed(uv_handle_t *h)
{
	struct pending_unbind *pu = h->data;
	struct fake_switch *fs = pu->fs;

	free(pu);
	fs->n_timers--;
	maybe_release(fs);
}

static void pending_close(struct fake_switch *fs, struct pending_unbind *pu)
{
	pending_unlink(fs, pu);
	uv_close((uv_handle_t *)&pu->timer, on_timer_closed);
}

static void on_unbind_timer(uv_timer_t *t)
{
	struct pending_unbind *pu = t->data;
	struct fake_switch *fs = pu->fs;
	struct fake_card *card = fake_switch_card(fs, pu->slot);
	struct fake_binding *b = binding_of(card, pu->pf, pu->vf);

	if (pu->never) {
		/* the host never released the slot: back to bound, answer TIMEOUT */
		if (b && b->state == FMP_BIND_UNBINDING)
			set_binding(card, pu->pf, pu->vf, FMP_BIND_BOUND, b->port, b->vppb);
		send_status(pu->fc, &pu->req, FMP_E_TIMEOUT);
	} else {
		finish_unbind(fs, pu->fc, &pu->req, pu->slot, pu->pf, pu->vf, FMP_EVR_MANAGED);
	}
	pending_close(fs, pu);
}

static void do_unbind(struct fake_switch *fs, struct fconn *fc, const struct fmp_msg *q)
{
	const struct fmp_unbind_req *u = &q->u.unbind_req;
	struct fake_card *card = fake_switch_card(fs, u->fn.slot);
	struct fake_binding *b;
	struct pending_unbind *pu;
	uint32_t ms;

	if (!slot_of(fs, u->fn.slot)) {
		send_status(fc, &q->hdr, FMP_E_NO_SUCH_SLOT);
		return;
	}
	if (!card) {
		send_status(fc, &q->hdr, FMP_E_EMPTY_SLOT);
		return;
	}
	b = binding_of(card, u->fn.pf, u->fn.vf);
	if (!b) {
		send_status(fc, &q->hdr, FMP_E_NO_SUCH_FUNCTION);
		return;
	}
	if (u->mode > FMP_UNBIND_SURPRISE) {
		send_status(fc, &q->hdr, FMP_E_INVALID);
		return;
	}
	if (b->state == FMP_BIND_UNBOUND) {
		send_status(fc, &q->hdr, FMP_E_NOT_BOUND);
		return;
	}
	if (u->mode == FMP_UNBIND_SURPRISE) {
		/* a surprise removal also ends a managed one still waiting for the host */
		for (struct pending_unbind *p = fs->pending, *next; p; p = next) {
			next = p->next;
			if (p->slot == u->fn.slot && binding_of(card, p->pf, p->vf) == b) {
				send_status(p->fc, &p->req, FMP_E_TIMEOUT);
				pending_close(fs, p);
			}
		}
		finish_unbind(fs, fc, &q->hdr, u->fn.slot, u->fn.pf, u->fn.vf, FMP_EVR_SURPRISE);
		return;
	}
	if (b->state == FMP_BIND_UNBINDING) {
		send_status(fc, &q->hdr, FMP_E_IN_PROGRESS);
		return;
	}
	if (fs->unbind_delay_ms == 0) {
		finish_unbind(fs, fc, &q->hdr, u->fn.slot, u->fn.pf, u->fn.vf, FMP_EVR_MANAGED);
		return;
	}
	pu = calloc(1, sizeof(*pu));
	if (!pu) {
		send_status(fc, &q->hdr, FMP_E_INTERNAL);
		return;
	}
	pu->fs = fs;
	pu->fc = fc;
	pu->req = q->hdr;
	pu->slot = u->fn.slot;
	pu->pf = u->fn.pf;
	pu->vf = u->fn.vf;
	pu->never = fs->unbind_delay_ms < 0;
	set_binding(card, u->fn.pf, u->fn.vf, FMP_BIND_UNBINDING, b->port, b->vppb);
	ms = pu->never ? (u->timeout_ms ? u->timeout_ms : FAKE_UNBIND_DEFAULT_TIMEOUT_MS)
		       : (uint32_t)fs->unbind_delay_ms;
	uv_timer_init(fs->loop, &pu->timer);
	pu->timer.data = pu;
	fs->n_timers++;
	pu->next = fs->pending;
	fs->pending = pu;
	uv_timer_start(&pu->timer, on_unbind_timer, ms, 0);
}

static void do_set_num_vfs(struct fake_switch *fs, struct fconn *fc, const struct fmp_msg *q)
{
	const struct fmp_set_num_vfs_req *s = &q->u.set_num_vfs_req;
	struct fake_card *card = fake_switch_card(fs, s->slot);
	struct fake_pf *pf;
	struct fmp_msg r;

	if (!slot_of(fs, s->slot)) {
		send_status(fc, &q->hdr, FMP_E_NO_SUCH_SLOT);
		return;
	}
	if (!card) {
		send_status(fc, &q->hdr, FMP_E_EMPTY_SLOT);
		return;
	}
	if (s->pf >= card->n_pfs) {
		send_status(fc, &q->hdr, FMP_E_NO_SUCH_FUNCTION);
		return;
	}
	pf = &card->pfs[s->pf];
	if (s->num_vfs > pf->total_vfs || s->num_vfs > FAKE_MAX_VFS) {
		send_status(fc, &q->hdr, FMP_E_INVALID);
		return;
	}
	if (s->num_vfs != pf->num_vfs) {
		/* NumVFs changes only with VF Enable clear, which removes every VF (§9.3.3.7) */
		for (unsigned v = 0; v < pf->num_vfs; v++) {
			if (pf->vf[v].state != FMP_BIND_UNBOUND) {
				send_status(fc, &q->hdr, FMP_E_VF_BOUND);
				return;
			}
		}
		pf->num_vfs = s->num_vfs;
	}
	resp_init(&r, &q->hdr);
	r.u.set_num_vfs_resp.num_vfs = pf->num_vfs;
	r.u.set_num_vfs_resp.total_vfs = pf->total_vfs;
	send_msg(fc, &r);
	emit_fn_event(fs, FMP_EV_NUM_VFS, FMP_EVR_NONE, FMP_PORT_NONE, FMP_VPPB_NONE, s->slot,
		      s->pf, FMP_VF_NONE, pf->num_vfs);
}

static void do_card(struct fake_switch *fs, struct fconn *fc, const struct fmp_msg *q)
{
	struct fake_card *card = fake_switch_card(fs, q->u.card_req.slot);
	struct fmp_msg r;

	if (!slot_of(fs, q->u.card_req.slot)) {
		send_status(fc, &q->hdr, FMP_E_NO_SUCH_SLOT);
		return;
	}
	if (!card) {
		send_status(fc, &q->hdr, FMP_E_EMPTY_SLOT);
		return;
	}
	resp_init(&r, &q->hdr);
	r.u.card_resp.slot = q->u.card_req.slot;
	r.u.card_resp.sharing = card->sharing;
	r.u.card_resp.n_pfs = card->n_pfs;
	r.u.card_resp.vendor = card->vendor;
	r.u.card_resp.subsys_vendor = card->subsys_vendor;
	r.u.card_resp.subsys_device = card->subsys_device;
	r.u.card_resp.class_code = card->class_code;
	r.u.card_resp.dsn = card->dsn;
	snprintf(r.u.card_resp.profile, sizeof(r.u.card_resp.profile), "%s", card->profile);
	snprintf(r.u.card_resp.name, sizeof(r.u.card_resp.name), "%s", card->name);
	for (uint8_t p = 0; p < card->n_pfs; p++) {
		struct fmp_pf_info *pi = &r.u.card_resp.pfs[p];

		pi->pf = p;
		pi->device = card->pfs[p].device;
		pi->total_vfs = card->pfs[p].total_vfs;
		pi->num_vfs = card->pfs[p].num_vfs;
		pi->vf_device = card->pfs[p].vf_device;
		pi->vf_offset = card->pfs[p].total_vfs ? 0x80 : 0;
		pi->vf_stride = card->pfs[p].total_vfs ? 2 : 0;
	}
	send_msg(fc, &r);
}

static void do_read_config(struct fake_switch *fs, struct fconn *fc, const struct fmp_msg *q)
{
	const struct fmp_read_config_req *rc = &q->u.read_config_req;
	struct fake_card *card;
	uint8_t cfg[FMP_CONFIG_SPACE_SIZE];
	struct fmp_msg r;

	if ((unsigned)rc->offset + rc->length > FMP_CONFIG_SPACE_SIZE) {
		send_status(fc, &q->hdr, FMP_E_INVALID);
		return;
	}
	if (rc->target != FMP_CFG_CHASSIS) {
		send_status(fc, &q->hdr, FMP_E_NO_SUCH_FUNCTION); /* no host views in the fake */
		return;
	}
	card = fake_switch_card(fs, rc->fn.slot);
	if (!card || rc->fn.pf >= card->n_pfs ||
	    (rc->fn.vf != FMP_VF_NONE && rc->fn.vf >= card->pfs[rc->fn.pf].num_vfs)) {
		send_status(fc, &q->hdr, card ? FMP_E_NO_SUCH_FUNCTION : FMP_E_EMPTY_SLOT);
		return;
	}
	build_config(card, rc->fn.pf, rc->fn.vf, cfg);
	resp_init(&r, &q->hdr);
	r.u.read_config_resp.offset = rc->offset;
	r.u.read_config_resp.length = rc->length;
	r.u.read_config_resp.data = cfg + rc->offset;
	send_msg(fc, &r);
}

static void do_port_control(struct fake_switch *fs, struct fconn *fc, const struct fmp_msg *q)
{
	const struct fmp_port_control_req *pc = &q->u.port_control_req;
	struct fmp_msg r;
	struct fake_port *p;

	if (pc->op > FMP_PC_LINK_RESET) {
		send_status(fc, &q->hdr, FMP_E_UNSUPPORTED); /* slot power is not simulated */
		return;
	}
	p = port_of(fs, (uint8_t)pc->index);
	if (!p) {
		send_status(fc, &q->hdr, FMP_E_NO_SUCH_PORT);
		return;
	}
	if (pc->op != FMP_PC_LINK_RESET && p->link_up != (pc->op == FMP_PC_LINK_ENABLE)) {
		struct fmp_event ev = {.type = FMP_EV_LINK_STATE, .reason = FMP_EVR_LINK,
				       .port = p->port, .vppb = FMP_VPPB_NONE, .slot = FMP_SLOT_NONE,
				       .fn = {FMP_SLOT_NONE, 0, FMP_VF_NONE}};

		p->link_up = pc->op == FMP_PC_LINK_ENABLE;
		ev.detail = p->link_up;
		fake_switch_emit(fs, &ev);
	}
	resp_init(&r, &q->hdr);
	r.u.port_control_resp.index = pc->index;
	r.u.port_control_resp.flags = p->link_up ? FMP_PORT_F_LINK_UP : 0;
	send_msg(fc, &r);
}

/* SET_QOS / GET_QOS (protocol/README.md): the settings only; no traffic is modelled. */
static void do_qos(struct fake_switch *fs, struct fconn *fc, const struct fmp_msg *q)
{
	const struct fmp_fn_addr *a = q->hdr.opcode == FMP_OP_SET_QOS ? &q->u.qos_set_req.fn
								     : &q->u.qos_get_req.fn;
	struct fake_slot *sl = slot_of(fs, a->slot);
	struct fake_binding *b;
	struct fmp_msg r;

	if (!(fc->features & FMP_FEAT_QOS)) {
		send_status(fc, &q->hdr, FMP_E_UNSUPPORTED);
		return;
	}
	if (!sl || !sl->card.present) {
		send_status(fc, &q->hdr, sl ? FMP_E_EMPTY_SLOT : FMP_E_NO_SUCH_SLOT);
		return;
	}
	b = binding_of(&sl->card, a->pf, a->vf);
	if (!b) {
		send_status(fc, &q->hdr, FMP_E_NO_SUCH_FUNCTION);
		return;
	}
	resp_init(&r, &q->hdr);
	if (q->hdr.opcode == FMP_OP_SET_QOS) {
		if (q->u.qos_set_req.max_mbps && q->u.qos_set_req.min_mbps > q->u.qos_set_req.max_mbps) {
			send_status(fc, &q->hdr, FMP_E_INVALID);
			return;
		}
		b->min_mbps = q->u.qos_set_req.min_mbps;
		b->max_mbps = q->u.qos_set_req.max_mbps;
		r.u.qos_set_resp = q->u.qos_set_req;
	} else {
		r.u.qos_get_resp.fn = *a;
		r.u.qos_get_resp.flags = b->state == FMP_BIND_BOUND ? FMP_QOS_F_BOUND | FMP_QOS_F_FLOOR_HELD : 0;
		r.u.qos_get_resp.min_mbps = b->min_mbps;
		r.u.qos_get_resp.max_mbps = b->max_mbps;
	}
	send_msg(fc, &r);
}

static void on_frame(struct conn *c, const struct fmp_hdr *h, const uint8_t *payload, void *arg)
{
	struct fconn *fc = arg;
	struct fake_switch *fs = fc->fs;
	struct fmp_port_info ports[FAKE_MAX_PORTS];
	struct fmp_slot_info slots[FAKE_MAX_SLOTS];
	struct fmp_msg q, r;
	unsigned n = 0;

	(void)c;
	if (h->kind != FMP_KIND_REQUEST)
		return;
	if (fmp_msg_decode(h, payload, &q)) {
		send_status(fc, h, FMP_E_BAD_FRAME);
		return;
	}
	if (h->opcode < FAKE_OPCODES) {
		fs->counts[h->opcode]++;
		fs->last[h->opcode] = q;
		fs->has_last[h->opcode] = true;
		if (fs->drop_left[h->opcode]) {
			fs->drop_left[h->opcode]--;
			goto out;
		}
		if (fs->inject_left[h->opcode]) {
			fs->inject_left[h->opcode]--;
			send_status(fc, h, fs->inject_status[h->opcode]);
			goto out;
		}
	}
	resp_init(&r, h);
	switch (h->opcode) {
	case FMP_OP_HELLO:
		fs->hellos++;
		if (fmp_version_negotiate(q.u.hello_req.min_version, q.u.hello_req.max_version,
					  FMP_VERSION_MIN, FMP_VERSION_MAX, &r.u.hello_resp.version)) {
			send_status(fc, h, FMP_E_VERSION);
			break;
		}
		r.u.hello_resp.max_payload = q.u.hello_req.max_payload < FMP_MAX_PAYLOAD_DEFAULT
						     ? q.u.hello_req.max_payload
						     : FMP_MAX_PAYLOAD_DEFAULT;
		if (r.u.hello_resp.max_payload < FMP_MAX_PAYLOAD_FLOOR)
			r.u.hello_resp.max_payload = FMP_MAX_PAYLOAD_FLOOR;
		r.u.hello_resp.boot_id = fs->boot_id;
		fc->features = r.u.hello_resp.features = q.u.hello_req.features & fs->features;
		r.u.hello_resp.event_seq = fs->seq;
		for (unsigned i = 0; i < FAKE_MAX_PORTS; i++)
			r.u.hello_resp.n_ports += fs->ports[i].present;
		for (unsigned i = 0; i < FAKE_MAX_SLOTS; i++)
			r.u.hello_resp.n_slots += fs->slots[i].present;
		r.u.hello_resp.n_functions = enabled_functions(fs);
		snprintf(r.u.hello_resp.chassis, FMP_NAME_MAX, "rack1");
		snprintf(r.u.hello_resp.model, FMP_NAME_MAX, "fake-switch");
		snprintf(r.u.hello_resp.serial, FMP_NAME_MAX, "FAKE0001");
		snprintf(r.u.hello_resp.firmware, FMP_NAME_MAX, "1.0");
		conn_set_max_payload(fc->c, r.u.hello_resp.max_payload);
		send_msg(fc, &r);
		break;
	case FMP_OP_PING:
		r.u.ping.cookie = q.u.ping.cookie;
		send_msg(fc, &r);
		break;
	case FMP_OP_SUBSCRIBE:
		fc->subscribed = q.u.subscribe_req.mask != 0;
		r.u.subscribe_resp.event_seq = fs->seq;
		send_msg(fc, &r);
		break;
	case FMP_OP_GET_PORTS:
		for (unsigned i = 0; i < FAKE_MAX_PORTS; i++) {
			const struct fake_port *p = &fs->ports[i];

			if (!p->present)
				continue;
			memset(&ports[n], 0, sizeof(ports[n]));
			ports[n].port = p->port;
			ports[n].flags = p->link_up ? FMP_PORT_F_LINK_UP : 0;
			ports[n].width = p->link_up ? 16 : 0;
			ports[n].speed = FMP_SPEED_16GT;
			ports[n].n_vppb = p->n_vppb;
			ports[n].n_bound = (uint8_t)port_bound(fs, p->port);
			ports[n].usp_bus = p->usp_bus;
			snprintf(ports[n].name, FMP_NAME_MAX, "%s", p->name);
			n++;
		}
		r.u.ports_resp.count = (uint16_t)n;
		r.u.ports_resp.ports = ports;
		send_msg(fc, &r);
		break;
	case FMP_OP_GET_SLOTS:
		for (unsigned i = 0; i < FAKE_MAX_SLOTS; i++) {
			const struct fake_slot *s = &fs->slots[i];

			if (!s->present)
				continue;
			memset(&slots[n], 0, sizeof(slots[n]));
			slots[n].slot = s->slot;
			slots[n].flags = s->card.present ? FMP_SLOT_F_PRESENT | FMP_SLOT_F_POWER_ON |
								   FMP_SLOT_F_DLL_ACTIVE
							 : 0;
			snprintf(slots[n].label, FMP_NAME_MAX, "%s", s->label);
			n++;
		}
		r.u.slots_resp.count = (uint16_t)n;
		r.u.slots_resp.slots = slots;
		send_msg(fc, &r);
		break;
	case FMP_OP_GET_CARD:
		do_card(fs, fc, &q);
		break;
	case FMP_OP_GET_FUNCTIONS:
		do_functions(fs, fc, &q);
		break;
	case FMP_OP_READ_CONFIG:
		do_read_config(fs, fc, &q);
		break;
	case FMP_OP_SET_NUM_VFS:
		do_set_num_vfs(fs, fc, &q);
		break;
	case FMP_OP_BIND:
		do_bind(fs, fc, &q);
		break;
	case FMP_OP_UNBIND:
		do_unbind(fs, fc, &q);
		break;
	case FMP_OP_GET_VH:
		do_vh(fs, fc, &q);
		break;
	case FMP_OP_PORT_CONTROL:
		do_port_control(fs, fc, &q);
		break;
	case FMP_OP_SET_QOS:
	case FMP_OP_GET_QOS:
		do_qos(fs, fc, &q);
		break;
	default:
		send_status(fc, h, FMP_E_UNSUPPORTED);
	}
out:
	fmp_msg_release(&q);
}

static void on_close(struct conn *c, int reason, void *arg)
{
	struct fconn *fc = arg;
	struct fake_switch *fs = fc->fs;

	(void)c;
	(void)reason;
	for (struct pending_unbind *pu = fs->pending, *next; pu; pu = next) {
		next = pu->next;
		if (pu->fc == fc) {
			/* the manager went away: the handshake goes on without an answer */
			struct fake_card *card = fake_switch_card(fs, pu->slot);
			struct fake_binding *b = binding_of(card, pu->pf, pu->vf);

			if (b && b->state == FMP_BIND_UNBINDING)
				set_binding(card, pu->pf, pu->vf, FMP_BIND_BOUND, b->port, b->vppb);
			pending_close(fs, pu);
		}
	}
	for (struct held_answer *a = fs->held; a; a = a->next)
		if (a->fc == fc)
			a->fc = NULL;
	for (struct fconn **pp = &fs->conns; *pp; pp = &(*pp)->next) {
		if (*pp == fc) {
			*pp = fc->next;
			break;
		}
	}
	fs->n_conns--;
	free(fc);
	maybe_release(fs);
}

static const struct conn_ops fake_conn_ops = {on_frame, on_close};

static void on_accept(uv_stream_t *server, int status)
{
	struct fake_switch *fs = server->data;
	struct fconn *fc;
	uv_stream_t *s;

	if (status || endpoint_accept(server, &s))
		return;
	fc = calloc(1, sizeof(*fc));
	if (!fc) {
		endpoint_close((uv_handle_t *)s);
		return;
	}
	fc->fs = fs;
	fc->c = conn_new(s, FMP_MAX_PAYLOAD_DEFAULT, true, &fake_conn_ops, fc);
	if (!fc->c) {
		free(fc);
		return;
	}
	fc->next = fs->conns;
	fs->conns = fc;
	fs->n_conns++;
}

/* ---- lifecycle and hooks ------------------------------------------------------------------ */

struct fake_switch *fake_switch_new(uv_loop_t *loop, const char *dir)
{
	struct fake_switch *fs = calloc(1, sizeof(*fs));
	struct endpoint ep;
	char err[256];

	if (!fs)
		return NULL;
	fs->loop = loop;
	fs->boot_id = 0x600d0001;
	fs->op_events = true;
	fs->features = FMP_FEATURES_ALL;
	snprintf(fs->path, sizeof(fs->path), "%s/fake-switch.sock", dir);
	snprintf(fs->spec, sizeof(fs->spec), "unix:%s", fs->path);
#ifdef FABRIC_SOURCE_DIR
	fs->nic_config_ok = load_lspci(FABRIC_SOURCE_DIR "/tests/data/cards/nic-intel-82576-pf-sriov.lspci",
				       fs->nic_config, sizeof(fs->nic_config));
#endif
	fake_switch_default_inventory(fs);
	if (endpoint_parse(fs->spec, &ep, err, sizeof(err)) ||
	    endpoint_listen(loop, &ep, 0, on_accept, fs, &fs->server, err, sizeof(err))) {
		fprintf(stderr, "fake_switch: %s\n", err);
		free(fs);
		return NULL;
	}
	return fs;
}

void fake_switch_drop(struct fake_switch *fs)
{
	for (struct fconn *fc = fs->conns; fc; fc = fc->next)
		if (!conn_closing(fc->c))
			conn_close(fc->c);
}

void fake_switch_free(struct fake_switch *fs)
{
	if (!fs)
		return;
	fs->free_requested = true;
	if (fs->server) {
		endpoint_close((uv_handle_t *)fs->server);
		fs->server = NULL;
	}
	while (fs->pending)
		pending_close(fs, fs->pending);
	while (fs->held) {
		struct held_answer *a = fs->held;

		fs->held = a->next;
		fmp_buf_release(&a->frame);
		free(a);
	}
	fake_switch_drop(fs);
	maybe_release(fs);
}

const char *fake_switch_endpoint(const struct fake_switch *fs)
{
	return fs->spec;
}

static bool clear_binding(void *arg, struct fake_card *card, uint8_t pf, uint16_t vf,
			  struct fake_binding *b)
{
	(void)arg;
	set_binding(card, pf, vf, FMP_BIND_UNBOUND, 0, 0);
	b->min_mbps = b->max_mbps = 0; /* a reboot clears QoS */
	return false;
}

void fake_switch_reboot(struct fake_switch *fs)
{
	while (fs->pending)
		pending_close(fs, fs->pending);
	fake_switch_drop(fs);
	walk(fs, clear_binding, NULL);
	for (unsigned s = 0; s < FAKE_MAX_SLOTS; s++)
		for (unsigned p = 0; p < fs->slots[s].card.n_pfs; p++)
			fs->slots[s].card.pfs[p].num_vfs = fs->slots[s].card.pfs[p].initial_num_vfs;
	fs->boot_id++;
	fs->seq = 0;
}

struct pull_ctx {
	struct fake_switch *fs;
	struct fake_card *card;
	uint16_t slot;
};

static bool drop_binding(void *arg, struct fake_card *card, uint8_t pf, uint16_t vf,
			 struct fake_binding *b)
{
	struct pull_ctx *x = arg;

	if (card != x->card || b->state == FMP_BIND_UNBOUND)
		return false;
	emit_fn_event(x->fs, FMP_EV_UNBIND_DONE, FMP_EVR_SURPRISE, b->port, b->vppb, x->slot, pf, vf, 0);
	set_binding(card, pf, vf, FMP_BIND_UNBOUND, 0, 0);
	return false;
}

static void card_reset(struct fake_card *card)
{
	for (unsigned p = 0; p < card->n_pfs; p++) {
		struct fake_pf *pf = &card->pfs[p];

		pf->num_vfs = pf->initial_num_vfs;
		pf->pf = (struct fake_binding){.state = FMP_BIND_UNBOUND, .port = FMP_PORT_NONE, .vppb = FMP_VPPB_NONE};
		for (unsigned v = 0; v < FAKE_MAX_VFS; v++)
			pf->vf[v] = pf->pf;
	}
}

int fake_switch_pull(struct fake_switch *fs, uint16_t slot, struct fake_card *out)
{
	struct fake_card *card = fake_switch_card(fs, slot);
	struct pull_ctx x = {fs, card, slot};
	struct fmp_event ev = {.type = FMP_EV_SLOT_PRESENCE, .reason = FMP_EVR_SURPRISE,
			       .port = FMP_PORT_NONE, .vppb = FMP_VPPB_NONE, .slot = slot,
			       .fn = {FMP_SLOT_NONE, 0, FMP_VF_NONE}, .detail = 0};

	if (!card)
		return -1;
	walk(fs, drop_binding, &x);
	if (out)
		*out = *card;
	memset(card, 0, sizeof(*card));
	fake_switch_emit(fs, &ev);
	return 0;
}

int fake_switch_insert(struct fake_switch *fs, uint16_t slot, const struct fake_card *card)
{
	struct fake_slot *s = slot_of(fs, slot);
	struct fmp_event ev = {.type = FMP_EV_SLOT_PRESENCE, .reason = FMP_EVR_NONE,
			       .port = FMP_PORT_NONE, .vppb = FMP_VPPB_NONE, .slot = slot,
			       .fn = {FMP_SLOT_NONE, 0, FMP_VF_NONE}, .detail = 1};

	if (!s || s->card.present)
		return -1;
	s->card = *card;
	s->card.present = true;
	card_reset(&s->card);
	fake_switch_emit(fs, &ev);
	return 0;
}

void fake_switch_inject(struct fake_switch *fs, uint16_t opcode, uint16_t status)
{
	if (opcode < FAKE_OPCODES) {
		fs->inject_left[opcode] = 1;
		fs->inject_status[opcode] = status;
	}
}

void fake_switch_inject_n(struct fake_switch *fs, uint16_t opcode, uint16_t status, unsigned n)
{
	if (opcode < FAKE_OPCODES) {
		fs->inject_left[opcode] = n;
		fs->inject_status[opcode] = status;
	}
}

void fake_switch_drop_answers(struct fake_switch *fs, uint16_t opcode, unsigned n)
{
	if (opcode < FAKE_OPCODES)
		fs->drop_left[opcode] = n;
}

unsigned fake_switch_count(const struct fake_switch *fs, uint16_t opcode)
{
	return opcode < FAKE_OPCODES ? fs->counts[opcode] : 0;
}

void fake_switch_reset_counts(struct fake_switch *fs)
{
	memset(fs->counts, 0, sizeof(fs->counts));
	memset(fs->has_last, 0, sizeof(fs->has_last));
}

const struct fmp_msg *fake_switch_last(const struct fake_switch *fs, uint16_t opcode)
{
	return opcode < FAKE_OPCODES && fs->has_last[opcode] ? &fs->last[opcode] : NULL;
}

void fake_switch_set_unbind_delay(struct fake_switch *fs, int ms)
{
	fs->unbind_delay_ms = ms;
}

void fake_switch_set_op_events(struct fake_switch *fs, bool on)
{
	fs->op_events = on;
}

unsigned fake_switch_connections(const struct fake_switch *fs)
{
	return fs->n_conns;
}

unsigned fake_switch_subscribed(const struct fake_switch *fs)
{
	unsigned n = 0;

	for (const struct fconn *fc = fs->conns; fc; fc = fc->next)
		n += fc->subscribed && !conn_closing(fc->c);
	return n;
}

unsigned fake_switch_unbinds_waiting(const struct fake_switch *fs)
{
	unsigned n = 0;

	for (const struct pending_unbind *pu = fs->pending; pu; pu = pu->next)
		n++;
	return n;
}

void fake_switch_set_features(struct fake_switch *fs, uint16_t features)
{
	fs->features = features;
}

bool fake_switch_qos(struct fake_switch *fs, uint16_t slot, uint8_t pf, uint16_t vf,
		     uint32_t *min_mbps, uint32_t *max_mbps)
{
	struct fake_binding *b = binding_of(fake_switch_card(fs, slot), pf, vf);

	if (!b)
		return false;
	*min_mbps = b->min_mbps;
	*max_mbps = b->max_mbps;
	return true;
}

unsigned fake_switch_hellos(const struct fake_switch *fs)
{
	return fs->hellos;
}
