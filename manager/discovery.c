/* discovery: the FMP read sequence that fills the inventory. Each step fans out its
 * requests at once (pipelined) and moves on when the last answer is in; a generation
 * number drops answers that arrive after the chassis was reset. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discovery.h"

#define FUNCTIONS_PAGE 1024
/* Sends of one read before discovery gives up on it (and the chassis is read again over a
 * new connection): one dropped or failed answer among a discovery's hundreds of reads is a
 * retry, not a restart (issue 19). */
#define DISCOVERY_ATTEMPTS 5

struct disc {
	struct fm_daemon *d;
	struct fm_chassis *ch;
	uint32_t gen;
	unsigned outstanding;
	bool failed;
	char err[256];
	fm_discovery_done done;
	void (*next)(struct disc *);
	uint32_t cursor;  /* GET_FUNCTIONS: the cursor asked for last */
	unsigned pages;   /* GET_FUNCTIONS pages read */
};

static void finish(struct disc *x, int status)
{
	if (x->gen == x->ch->generation) {
		if (!status)
			x->ch->discovered = true;
		x->done(x->d, x->ch, status, x->err);
	}
	free(x);
}

static bool stale(struct disc *x)
{
	return x->gen != x->ch->generation;
}

/* One answer of the current step is in; the step's last answer moves on. */
static void step_done(struct disc *x)
{
	if (--x->outstanding)
		return;
	if (stale(x)) {
		free(x);
		return;
	}
	if (x->failed) {
		finish(x, -EIO);
		return;
	}
	x->next(x);
}

static void fail(struct disc *x, const char *what, int status)
{
	if (!x->failed)
		snprintf(x->err, sizeof(x->err), "%s: %s failed: %s", x->ch->name, what,
			 status > 0 ? fmp_strerror(status) : strerror(-status));
	x->failed = true;
}

static int disc_send(struct disc *x, struct fmp_msg *m, fm_switch_cb cb)
{
	struct fm_switch *sw = fm_daemon_link(x->d, x->ch);
	int rc = sw ? fm_switch_request_retry(sw, m, 0, DISCOVERY_ATTEMPTS, cb, x) : -ENOTCONN;

	if (rc) {
		fail(x, fmp_opcode_name(m->hdr.opcode), rc);
		return rc;
	}
	x->outstanding++;
	return 0;
}

static void req_init(struct fmp_msg *m, uint16_t op)
{
	memset(m, 0, sizeof(*m));
	m->hdr.kind = FMP_KIND_REQUEST;
	m->hdr.opcode = op;
}

/* ---- step 4: per host GET_VH, per PF READ_CONFIG ---------------------------------------- */

static void on_vh(void *arg, int status, const struct fmp_msg *r)
{
	struct disc *x = arg;

	if (!stale(x)) {
		if (status)
			fail(x, "GET_VH", status);
		else if (!fm_inv_host_by_port(x->ch, r->u.vh_resp.port))
			fail(x, "GET_VH (answer for an unknown port)", FMP_E_BAD_FRAME);
		else
			fm_inv_set_vh(x->ch, &r->u.vh_resp);
	}
	step_done(x);
}

struct pf_read {
	struct disc *x;
	uint16_t slot;
	uint8_t pf;
};

static void name_pf(struct fm_daemon *d, struct fm_card *card, unsigned p)
{
	struct fm_pf *pf = &card->pfs[p];

	fm_pci_device_name(d->pci, card->vendor, pf->device, pf->device_name,
			   sizeof(pf->device_name));
	if (pf->total_vfs)
		fm_pci_device_name(d->pci, card->vendor, pf->vf_device, pf->vf_device_name,
				   sizeof(pf->vf_device_name));
}

static void on_pf_config(void *arg, int status, const struct fmp_msg *r)
{
	struct pf_read *pr = arg;
	struct disc *x = pr->x;
	struct fm_card *card;

	if (!stale(x) && (card = fm_inv_card_by_slot(x->ch, pr->slot)) && pr->pf < card->n_pfs) {
		struct fm_pf *pf = &card->pfs[pr->pf];
		struct fm_pci_info info;

		if (status) {
			fail(x, "READ_CONFIG", status);
		} else if (fm_pci_decode(x->d->pci, r->u.read_config_resp.data,
					 r->u.read_config_resp.length, &info) == 0) {
			pf->decoded = true;
			pf->has_sriov_cap = info.sriov.present;
			pf->dsn_cfg = info.has_dsn ? info.dsn : 0;
			pf->link_width = info.link_width;
			pf->link_speed = info.link_speed;
			if (info.sriov.present && info.sriov.total_vfs != pf->total_vfs)
				fm_log(x->d, FM_LOG_ERR,
				       "%s: %s/pf%u: SR-IOV TotalVFs %u in config space, %u in GET_CARD",
				       x->ch->name, card->name, pr->pf, info.sriov.total_vfs,
				       pf->total_vfs);
		} else {
			fm_log(x->d, FM_LOG_ERR, "%s: %s/pf%u: config space does not decode: %s",
			       x->ch->name, card->name, pr->pf, fm_pci_last_error(x->d->pci));
		}
	}
	free(pr);
	step_done(x);
}

static void step_done_all(struct disc *x)
{
	finish(x, 0);
}

static void step_vh_and_config(struct disc *x)
{
	struct fmp_msg m;

	x->next = step_done_all;
	x->outstanding++; /* hold the step open while fanning out */
	for (unsigned i = 0; i < x->ch->n_hosts; i++) {
		req_init(&m, FMP_OP_GET_VH);
		m.u.vh_req.port = x->ch->hosts[i].port;
		if (disc_send(x, &m, on_vh))
			break;
	}
	for (unsigned s = 0; !x->failed && s < x->ch->n_slots; s++) {
		struct fm_card *card = x->ch->slots[s].card;

		if (!card)
			continue;
		fm_pci_vendor_name(x->d->pci, card->vendor, card->vendor_name,
				   sizeof(card->vendor_name));
		fm_pci_class_name(x->d->pci, card->class_code, card->class_name,
				  sizeof(card->class_name));
		for (unsigned p = 0; p < card->n_pfs; p++) {
			struct pf_read *pr = calloc(1, sizeof(*pr));

			name_pf(x->d, card, p);
			if (!pr) {
				fail(x, "READ_CONFIG", -ENOMEM);
				break;
			}
			pr->x = x;
			pr->slot = card->slot;
			pr->pf = (uint8_t)p;
			req_init(&m, FMP_OP_READ_CONFIG);
			m.u.read_config_req.target = FMP_CFG_CHASSIS;
			m.u.read_config_req.fn = (struct fmp_fn_addr){card->slot, (uint8_t)p, FMP_VF_NONE};
			m.u.read_config_req.length = FMP_CONFIG_SPACE_SIZE;
			if (!fm_daemon_link(x->d, x->ch) ||
			    fm_switch_request_retry(fm_daemon_link(x->d, x->ch), &m, 0,
						    DISCOVERY_ATTEMPTS, on_pf_config, pr)) {
				free(pr);
				fail(x, "READ_CONFIG", -ENOTCONN);
				break;
			}
			x->outstanding++;
		}
	}
	step_done(x);
}

/* ---- step 3: GET_FUNCTIONS, paged ------------------------------------------------------ */

static void request_functions(struct disc *x, uint32_t cursor);

static void on_functions(void *arg, int status, const struct fmp_msg *r)
{
	struct disc *x = arg;

	if (!stale(x)) {
		if (status) {
			fail(x, "GET_FUNCTIONS", status);
		} else {
			const struct fmp_functions_resp *f = &r->u.functions_resp;

			for (unsigned i = 0; i < f->count; i++)
				fm_inv_update_function(x->ch, &f->fns[i]);
			/* a cursor must move forward, and the pages cannot outnumber the functions
			 * HELLO announced: a switch that loops is a broken switch, not a wait */
			if (f->next_cursor != FMP_CURSOR_END && f->count &&
			    (f->next_cursor <= x->cursor || ++x->pages > x->ch->hello.n_functions + 1u))
				fail(x, "GET_FUNCTIONS (the cursor does not advance)", FMP_E_BAD_FRAME);
			else if (f->next_cursor != FMP_CURSOR_END && f->count)
				request_functions(x, f->next_cursor); /* same step: one more out */
		}
	}
	step_done(x);
}

static void request_functions(struct disc *x, uint32_t cursor)
{
	struct fmp_msg m;

	req_init(&m, FMP_OP_GET_FUNCTIONS);
	x->cursor = cursor;
	m.u.functions_req.slot = FMP_SLOT_NONE;
	m.u.functions_req.cursor = cursor;
	m.u.functions_req.max = FUNCTIONS_PAGE;
	disc_send(x, &m, on_functions);
}

static void step_functions(struct disc *x)
{
	x->next = step_vh_and_config;
	x->outstanding++;
	request_functions(x, 0);
	step_done(x);
}

/* ---- step 2: GET_SLOTS, then GET_CARD for every occupied slot ---------------------------- */

static void on_card(void *arg, int status, const struct fmp_msg *r)
{
	struct disc *x = arg;

	if (!stale(x)) {
		if (status == FMP_E_EMPTY_SLOT)
			; /* pulled between GET_SLOTS and now: an event will follow */
		else if (status)
			fail(x, "GET_CARD", status);
		else {
			char err[256];
			int rc = fm_inv_set_card(x->ch, &r->u.card_resp, err, sizeof(err));

			/* one implausible card is left out (and said so); the rest is usable */
			if (rc == -EINVAL)
				fm_log(x->d, FM_LOG_ERR, "%s; card ignored", err);
			else if (rc) {
				snprintf(x->err, sizeof(x->err), "%s", err);
				x->failed = true;
			}
		}
	}
	step_done(x);
}

static void on_slots(void *arg, int status, const struct fmp_msg *r)
{
	struct disc *x = arg;
	struct fmp_msg m;

	if (!stale(x)) {
		if (status) {
			fail(x, "GET_SLOTS", status);
		} else if (fm_inv_set_slots(x->ch, &r->u.slots_resp, x->err, sizeof(x->err))) {
			x->failed = true;
		} else {
			x->next = step_functions;
			for (unsigned i = 0; i < x->ch->n_slots; i++) {
				if (!(x->ch->slots[i].flags & FMP_SLOT_F_PRESENT))
					continue;
				req_init(&m, FMP_OP_GET_CARD);
				m.u.card_req.slot = x->ch->slots[i].slot;
				if (disc_send(x, &m, on_card))
					break;
			}
		}
	}
	step_done(x);
}

/* ---- step 1: GET_PORTS ------------------------------------------------------------------ */

static void on_ports(void *arg, int status, const struct fmp_msg *r)
{
	struct disc *x = arg;
	struct fmp_msg m;

	if (!stale(x)) {
		if (status) {
			fail(x, "GET_PORTS", status);
		} else if (fm_inv_set_ports(x->ch, &r->u.ports_resp, x->err, sizeof(x->err))) {
			x->failed = true;
		} else {
			req_init(&m, FMP_OP_GET_SLOTS);
			disc_send(x, &m, on_slots);
		}
	}
	step_done(x);
}

int fm_discovery_start(struct fm_daemon *d, struct fm_chassis *ch, fm_discovery_done done)
{
	struct disc *x = calloc(1, sizeof(*x));
	struct fmp_msg m;

	if (!x)
		return -ENOMEM;
	if (!fm_daemon_link(d, ch)) {
		free(x);
		return -ENOTCONN;
	}
	fm_inv_reset(ch);
	ch->hello = *fm_switch_hello(fm_daemon_link(d, ch));
	ch->boot_id = ch->hello.boot_id;
	x->d = d;
	x->ch = ch;
	x->gen = ch->generation;
	x->done = done;
	x->next = step_functions; /* replaced by on_slots; a safe default */
	x->outstanding = 1;
	req_init(&m, FMP_OP_GET_PORTS);
	disc_send(x, &m, on_ports);
	step_done(x);
	return 0;
}

/* ---- single refresh of one host's vPPBs ------------------------------------------------- */

struct vh_refresh {
	struct fm_chassis *ch;
	uint32_t gen;
};

static void on_refresh(void *arg, int status, const struct fmp_msg *r)
{
	struct vh_refresh *v = arg;

	if (!status && v->gen == v->ch->generation)
		fm_inv_set_vh(v->ch, &r->u.vh_resp);
	free(v);
}

void fm_discovery_refresh_vh(struct fm_daemon *d, struct fm_chassis *ch, uint8_t port)
{
	struct vh_refresh *v = calloc(1, sizeof(*v));
	struct fmp_msg m;

	if (!v)
		return;
	v->ch = ch;
	v->gen = ch->generation;
	req_init(&m, FMP_OP_GET_VH);
	m.u.vh_req.port = port;
	if (!fm_daemon_link(d, ch) ||
	    fm_switch_request_retry(fm_daemon_link(d, ch), &m, 0, DISCOVERY_ATTEMPTS, on_refresh, v))
		free(v);
}
