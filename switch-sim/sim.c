/* sim: the running chassis behind sim.h — host ports with their virtual switches, slots
 * and cards, function bindings, managed-unbind handshakes and the numbered event stream. */
#include "errbuf.h"
#include "sim.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <pci/pci.h>

#include "config_space.h"
#include "hotplug.h"
#include "lspci_text.h"
#include "pcie_link.h"
#include "profile.h"
#include "qos.h"
#include "vswitch.h"

#define SIM_SLOT_NUMBER_MAX 8191 /* Physical Slot Number is 13 bits (PCIe r5.0 §7.5.3.9) */
#define SIM_HDR_MULTI_FUNCTION 0x80 /* Header Type bit 7 (§7.5.1.1.9) */
#define SIM_ARI_CAP_NFN 0xff00u     /* ARI Capability: Next Function Number (§7.8.8.2) */
/* The physical downstream ports that hold the cards: x16 Gen4 slots. */
#define SIM_SLOT_WIDTH 16
#define SIM_SLOT_SPEED FMP_SPEED_16GT
/* Chassis-side buses reserved per slot for its card's routing IDs, when they fit. */
#define SIM_SLOT_MIN_BUSES 2

/* GET_FUNCTIONS cursor: the position of the next function, (slot index, PF, VF + 1),
 * 0 = the first; valid as long as the inventory does not change. */
#define CUR_SLOT_SHIFT 20
#define CUR_PF_SHIFT 17
#define CUR_VF_MASK 0x1ffffu
#define CUR_LIMIT (1u << 29)

/* Binding of one function; one of these per PF and per VF (TotalVFs of them per PF),
 * so it stays small. */
struct sim_binding {
	uint8_t state; /* enum fmp_bind_state */
	uint8_t port;  /* index into sim.ports when not UNBOUND */
	uint8_t vppb;
};

struct sim_pf {
	struct sim_cfg *cfg;     /* the PF (chassis view; a bound PF's host view too) */
	struct sim_cfg *vf;      /* one VF template, spec-true; NULL without SR-IOV */
	struct sim_cfg *vf_host; /* the same VF as a host sees it behind a vPPB */
	unsigned sriov;          /* SR-IOV capability offset, 0 without */
	uint16_t total_vfs;
	struct sim_binding bind;
	struct sim_binding *vfs; /* total_vfs entries */
};

struct sim_card {
	const struct sim_profile *profile;
	uint64_t dsn;
	char name[SIM_NAME_MAX]; /* "" if none */
	unsigned n_pfs;
	struct sim_pf pf[SIM_MAX_PFS];
};

struct sim_slot {
	uint16_t number;
	char label[SIM_NAME_MAX];
	uint8_t bus;          /* chassis bus of the card's PF0 */
	uint8_t n_buses;      /* buses reserved for the card's routing IDs */
	struct sim_cfg *port; /* the physical downstream port: slot and link registers */
	struct sim_card *card;/* NULL: empty */
	bool held_off;        /* powered off by the manager (PORT_CONTROL): an insert leaves it off */
};

struct sim_pending;

struct sim_vppb {
	uint8_t state;   /* enum fmp_bind_state */
	uint16_t slot;   /* index into sim.slots */
	uint8_t pf;      /* the bound PF; exclusive cards: 0 */
	uint16_t vf;     /* FMP_VF_NONE when a PF is bound */
	uint8_t n_fns;   /* functions at 00.0 .. 00.(n_fns - 1) */
	struct sim_pending *pending; /* managed unbind in progress */
};

struct sim_port {
	char name[SIM_NAME_MAX];
	uint8_t number;
	uint8_t width, speed, n_vppb;
	uint8_t buses_per_vppb; /* as configured; 0: auto_buses_per_vppb */
	struct sim_hotplug_host host;
	struct sim_vswitch *vs;
	struct sim_vppb *vppbs;
};

/* A managed unbind waiting for the host; freed when its timer has closed. */
struct sim_pending {
	struct sim *s;
	struct sim_hotplug *hp;
	unsigned port, vppb;
	sim_unbind_cb cb;
	void *arg;
};

/* QoS settings and traffic counters of one function (the qos section at the end). */
struct sim_qos_rec {
	struct fmp_fn_addr fn;
	uint32_t min_mbps, max_mbps; /* SET_QOS; 0: none */
	double offered_gbps;         /* bench `traffic`; 0 whenever the function is unbound */
	double rate_gbps;            /* achieved, from the last qos_update */
	bool floor_held;
	double bytes;                /* carried up to t_ns */
	uint64_t t_ns;               /* uv_hrtime() of the last fold */
};

struct sim {
	uv_loop_t *loop;
	const struct sim_chassis_cfg *cfg;
	struct sim_ops ops;
	void *arg;
	uint64_t boot_id;
	uint64_t seq;
	size_t n_ports;
	struct sim_port *ports;
	size_t n_slots;
	struct sim_slot *slots;    /* in slot-number order */
	uint16_t port_index[256];  /* port number -> index + 1, 0 = none */
	uint16_t slot_index[SIM_SLOT_NUMBER_MAX + 1]; /* slot number -> index + 1 */
	struct sim_profile **extra; /* profiles loaded for bench inserts */
	size_t n_extra;
	unsigned live_timers;      /* handshakes whose timer has not closed yet */
	bool freeing;
	struct sim_qos_rec *qos;   /* functions with QoS settings or offered traffic */
	size_t n_qos, cap_qos;
};

static void qos_update(struct sim *s);

/* ---- events ----------------------------------------------------------------------------- */

static const struct fmp_fn_addr no_fn = { .slot = FMP_SLOT_NONE, .pf = 0, .vf = FMP_VF_NONE };

static void emit(struct sim *s, uint16_t type, uint8_t reason, uint8_t port, uint8_t vppb,
		 uint16_t slot, const struct fmp_fn_addr *fn, uint32_t detail)
{
	struct fmp_event ev = { 0 };
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ev.seq = ++s->seq;
	ev.time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	ev.type = type;
	ev.reason = reason;
	ev.port = port;
	ev.vppb = vppb;
	ev.slot = slot;
	ev.fn = fn ? *fn : no_fn;
	ev.detail = detail;
	if (s->ops.event)
		s->ops.event(s->arg, &ev);
}

static uint64_t new_boot_id(uint64_t old)
{
	uint64_t id = 0;
	struct timespec ts;

	for (int i = 0; i < 8 && (!id || id == old); i++) {
		if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != (ssize_t)sizeof(id)) {
			/* no entropy yet: still different from the last boot */
			clock_gettime(CLOCK_REALTIME, &ts);
			id = (uint64_t)ts.tv_sec << 30 ^ (uint64_t)ts.tv_nsec;
			id *= 0x9e3779b97f4a7c15ull;
		}
	}
	return id ? id : 1;
}

/* ---- lookups ---------------------------------------------------------------------------- */

static struct sim_port *port_get(const struct sim *s, unsigned number)
{
	if (number > 0xff || !s->port_index[number])
		return NULL;
	return &s->ports[s->port_index[number] - 1];
}

static unsigned port_idx(const struct sim *s, const struct sim_port *p)
{
	return (unsigned)(p - s->ports);
}

static struct sim_slot *slot_get(const struct sim *s, unsigned number)
{
	if (number > SIM_SLOT_NUMBER_MAX || !s->slot_index[number])
		return NULL;
	return &s->slots[s->slot_index[number] - 1];
}

static int slot_card(const struct sim *s, uint16_t number, struct sim_slot **out)
{
	struct sim_slot *sl = slot_get(s, number);

	if (!sl)
		return -FMP_E_NO_SUCH_SLOT;
	if (!sl->card)
		return -FMP_E_EMPTY_SLOT;
	*out = sl;
	return 0;
}

/* NumVFs in effect: 0 unless VF Enable is set (PCIe r5.0 §9.3.3.3.1). */
static uint16_t pf_num_vfs(const struct sim_pf *pf)
{
	if (!pf->sriov || !(sim_cfg_read16(pf->cfg, pf->sriov + PCI_IOV_CTRL) & PCI_IOV_CTRL_VFE))
		return 0;
	return sim_cfg_read16(pf->cfg, pf->sriov + PCI_IOV_NUMVF);
}

/* A function by address: its slot, PF and binding record. O(1). */
static int fn_find(const struct sim *s, const struct fmp_fn_addr *fn, struct sim_slot **slp,
		   struct sim_pf **pfp, struct sim_binding **bp)
{
	struct sim_slot *sl;
	struct sim_pf *pf;
	int rc = slot_card(s, fn->slot, &sl);

	if (rc)
		return rc;
	if (fn->pf >= sl->card->n_pfs)
		return -FMP_E_NO_SUCH_FUNCTION;
	pf = &sl->card->pf[fn->pf];
	if (fn->vf != FMP_VF_NONE && fn->vf >= pf_num_vfs(pf))
		return -FMP_E_NO_SUCH_FUNCTION;
	*slp = sl;
	*pfp = pf;
	if (bp)
		*bp = fn->vf == FMP_VF_NONE ? &pf->bind : &pf->vfs[fn->vf];
	return 0;
}

static bool exclusive(const struct sim_card *c)
{
	return c->profile->sharing == FMP_SHARING_EXCLUSIVE;
}

/* Chassis Routing IDs: PFn at device 0 function n of the slot's bus; VFs from First VF
 * Offset and VF Stride as the PF reports them now (§9.3.3.10, §9.3.3.11). */
static uint16_t pf_rid(const struct sim_slot *sl, unsigned pf)
{
	return (uint16_t)(sl->bus << 8 | PCI_DEVFN(0, pf));
}

static uint16_t vf_rid(const struct sim_slot *sl, unsigned pf, unsigned vf)
{
	const struct sim_pf *p = &sl->card->pf[pf];

	return sim_sriov_vf_rid(pf_rid(sl, pf), sim_cfg_read16(p->cfg, p->sriov + PCI_IOV_OFFSET),
				sim_cfg_read16(p->cfg, p->sriov + PCI_IOV_STRIDE), (uint16_t)vf);
}

/* Buses from its own bus that a PF at function number fn needs for itself and its
 * TotalVFs VFs, in the ARI mode that reaches further: the bus of the last VF, as Linux's
 * pci_iov_bus_range counts it (PCIe r5.0 §9.3.3.10-11). */
static unsigned pf_bus_span(const struct sim_pf_profile *pf, unsigned fn)
{
	const struct sim_sriov_params *v = &pf->sriov;
	uint32_t last = fn, a, b;

	if (pf->has_sriov && v->total_vfs) {
		a = fn + v->vf_offset + (uint32_t)v->vf_stride * (v->total_vfs - 1u);
		b = fn + v->vf_offset_ari + (uint32_t)v->vf_stride_ari * (v->total_vfs - 1u);
		last = a > b ? a : b;
	}
	return last / 256 + 1;
}

/* Buses a card's routing IDs span from PF0's bus, its PFs at functions 0..n-1. */
static unsigned profile_bus_span(const struct sim_profile *p)
{
	unsigned i, span, max = 1;

	for (i = 0; i < p->n_pfs; i++)
		if ((span = pf_bus_span(&p->pf[i], i)) > max)
			max = span;
	return max;
}

/* Buses a vPPB's range must hold for what a bind of (pf, vf) puts behind it: a VF alone
 * at 00.0; an exclusive card's PFs at 00.0..00.(n-1) with their VFs; an mr-iov PF alone
 * at 00.0 with its VFs (its First VF Offset counts from there). */
static unsigned bind_bus_need(const struct sim_card *c, unsigned pf, uint16_t vf)
{
	if (vf != FMP_VF_NONE)
		return 1;
	if (exclusive(c))
		return profile_bus_span(c->profile);
	return pf_bus_span(&c->profile->pf[pf], 0);
}

/* The most buses any bind of a card with this profile can need behind a vPPB. */
static unsigned profile_vppb_need(const struct sim_profile *p)
{
	unsigned i, span, max = 1;

	if (p->sharing == FMP_SHARING_EXCLUSIVE)
		return profile_bus_span(p);
	if (p->sharing != FMP_SHARING_MRIOV)
		return 1; /* sr-iov: VFs only, each alone at 00.0 */
	for (i = 0; i < p->n_pfs; i++)
		if ((span = pf_bus_span(&p->pf[i], 0)) > max)
			max = span;
	return max;
}

static void fn_name(const struct sim_slot *sl, unsigned pf, uint16_t vf, char *buf, size_t len)
{
	char card[SIM_NAME_MAX + 8];

	if (sl->card && sl->card->name[0])
		snprintf(card, sizeof(card), "%s", sl->card->name);
	else
		snprintf(card, sizeof(card), "slot%u", sl->number);
	if (vf == FMP_VF_NONE)
		snprintf(buf, len, "%s/pf%u", card, pf);
	else
		snprintf(buf, len, "%s/pf%u/vf%u", card, pf, vf);
}

/* ---- cards ------------------------------------------------------------------------------ */

static void card_free(struct sim_card *c)
{
	unsigned i;

	if (!c)
		return;
	for (i = 0; i < SIM_MAX_PFS; i++) {
		sim_cfg_free(c->pf[i].cfg);
		sim_cfg_free(c->pf[i].vf);
		sim_cfg_free(c->pf[i].vf_host);
		free(c->pf[i].vfs);
	}
	free(c);
}

/* Every PF's config space from the profile, and per SR-IOV PF one VF template (chassis
 * and host view) plus a binding record per possible VF. */
static int card_new(const struct sim_profile *p, uint64_t dsn, const char *name,
		    struct sim_card **out, char *err, size_t errlen)
{
	struct sim_card *c = calloc(1, sizeof(*c));
	unsigned i;
	int rc = -ENOMEM;

	*out = NULL;
	if (!c)
		goto err_nomem;
	c->profile = p;
	c->dsn = dsn;
	c->n_pfs = p->n_pfs;
	snprintf(c->name, sizeof(c->name), "%s", name ? name : "");
	for (i = 0; i < c->n_pfs; i++) {
		struct sim_pf *pf = &c->pf[i];

		rc = sim_cfg_build_pf(p, i, dsn, &pf->cfg, err, errlen);
		if (rc)
			goto err_free;
		if (p->pf[i].has_sriov)
			pf->sriov = sim_cfg_find_ext_cap(pf->cfg, PCI_EXT_CAP_ID_SRIOV);
		if (!pf->sriov)
			continue;
		pf->total_vfs = sim_cfg_read16(pf->cfg, pf->sriov + PCI_IOV_TOTALVF);
		rc = sim_cfg_build_vf(p, i, &pf->vf, err, errlen);
		if (rc)
			goto err_free;
		rc = sim_cfg_build_vf_host_view(pf->cfg, pf->vf, &pf->vf_host, err, errlen);
		if (rc)
			goto err_free;
		if (pf->total_vfs) {
			rc = -ENOMEM;
			pf->vfs = calloc(pf->total_vfs, sizeof(*pf->vfs));
			if (!pf->vfs)
				goto err_nomem;
		}
	}
	*out = c;
	return 0;

err_nomem:
	fab_seterr(err, errlen, "out of memory");
err_free:
	card_free(c);
	return rc;
}

/* Writes the PF's SR-IOV Control and NumVFs as system software does (§9.3.3.3, §9.3.3.7):
 * VF Enable off, NumVFs, then VF Enable and VF MSE on when num > 0. */
static int pf_write_num_vfs(struct sim_pf *pf, uint16_t num)
{
	unsigned ctl_off = pf->sriov + PCI_IOV_CTRL;
	uint16_t ctl = sim_cfg_read16(pf->cfg, ctl_off);
	int eff = 0;

	if (ctl & PCI_IOV_CTRL_VFE)
		eff |= sim_cfg_write(pf->cfg, ctl_off, 2,
				     ctl & (uint16_t)~(PCI_IOV_CTRL_VFE | PCI_IOV_CTRL_MSE));
	eff |= sim_cfg_write(pf->cfg, pf->sriov + PCI_IOV_NUMVF, 2, num);
	if (num)
		eff |= sim_cfg_write(pf->cfg, ctl_off, 2,
				     sim_cfg_read16(pf->cfg, ctl_off) | PCI_IOV_CTRL_VFE |
					     PCI_IOV_CTRL_MSE);
	if (eff < 0 || (eff & SIM_CFG_EFF_REFUSED) ||
	    sim_cfg_read16(pf->cfg, pf->sriov + PCI_IOV_NUMVF) != num)
		return -FMP_E_INTERNAL;
	if (pf->vfs)
		memset(pf->vfs, 0, pf->total_vfs * sizeof(*pf->vfs));
	return 0;
}

/* A card reset (power loss, switch reboot): SR-IOV back to VF Enable 0, NumVFs 0. Emits
 * NUM_VFS with reason for each PF that had VFs when reason is not FMP_EVR_RESET. */
static void card_reset_sriov(struct sim *s, struct sim_slot *sl, uint8_t reason)
{
	unsigned i;

	if (!sl->card)
		return;
	for (i = 0; i < sl->card->n_pfs; i++) {
		struct sim_pf *pf = &sl->card->pf[i];
		struct fmp_fn_addr fn = { .slot = sl->number, .pf = (uint8_t)i, .vf = FMP_VF_NONE };

		if (!pf->sriov || (!(sim_cfg_read16(pf->cfg, pf->sriov + PCI_IOV_CTRL) &
				     PCI_IOV_CTRL_VFE) &&
				   !sim_cfg_read16(pf->cfg, pf->sriov + PCI_IOV_NUMVF)))
			continue;
		pf_write_num_vfs(pf, 0);
		if (reason != FMP_EVR_RESET)
			emit(s, FMP_EV_NUM_VFS, reason, FMP_PORT_NONE, FMP_VPPB_NONE, sl->number,
			     &fn, 0);
	}
}

/* ---- physical slots (PCIe r5.0 §6.7, §7.5.3.10-11) -------------------------------------- */

static void slot_sltctl(struct sim_slot *sl, uint16_t clear, uint16_t set)
{
	unsigned e = sim_cfg_find_cap(sl->port, PCI_CAP_ID_EXP);

	sim_cfg_write(sl->port, e + PCI_EXP_SLTCTL, 2,
		      (uint16_t)((sim_cfg_slot_control(sl->port) & ~clear) | set));
}

static bool slot_powered(const struct sim_slot *sl)
{
	return !(sim_cfg_slot_control(sl->port) & PCI_EXP_SLTCTL_PWRC) &&
	       !(sim_cfg_slot_status(sl->port) & PCI_EXP_SLTSTA_PWRF);
}

/* Power on: Power Controller Control 0, power indicator on, a latched power fault
 * cleared (RW1C), and the card's link trains. */
static void slot_power_on(struct sim_slot *sl)
{
	unsigned e = sim_cfg_find_cap(sl->port, PCI_CAP_ID_EXP);

	sim_cfg_write(sl->port, e + PCI_EXP_SLTSTA, 2, PCI_EXP_SLTSTA_PWRF);
	slot_sltctl(sl, PCI_EXP_SLTCTL_PWRC | PCI_EXP_SLTCTL_PWRI, SIM_SLTCTL_PWR_IND_ON);
	if (sl->card)
		sim_cfg_link_set(sl->port, true, sl->card->profile->link_width,
				 sl->card->profile->link_speed);
}

static void slot_power_off(struct sim_slot *sl)
{
	sim_cfg_link_set(sl->port, false, 0, SIM_SLOT_SPEED);
	slot_sltctl(sl, PCI_EXP_SLTCTL_PWRI, PCI_EXP_SLTCTL_PWRC | SIM_SLTCTL_PWR_IND_OFF);
}

static int slot_build_port(struct sim_slot *sl, char *err, size_t errlen)
{
	struct sim_port_params pp = {
		.port_number = (uint8_t)sl->number,
		.width = SIM_SLOT_WIDTH,
		.speed = SIM_SLOT_SPEED,
		.slot = sl->number,
	};
	int rc;

	sim_cfg_free(sl->port);
	sl->port = NULL;
	rc = sim_cfg_build_dsp(&pp, &sl->port, err, errlen);
	if (rc)
		return rc;
	/* an empty slot is unpowered (Power Controller Control 1 = off, §7.5.3.10); a reset
	 * ends the manager's hold */
	sl->held_off = false;
	if (sl->card) {
		sim_cfg_slot_set_presence(sl->port, true);
		slot_power_on(sl);
	} else {
		slot_power_off(sl);
	}
	return 0;
}

/* ---- bindings ----------------------------------------------------------------------------- */

/* The functions behind a bound vPPB: k-th one's PF index and address. */
static unsigned vppb_pf(const struct sim_vppb *v, unsigned k)
{
	return v->n_fns > 1 ? k : v->pf;
}

static struct sim_binding *vppb_binding(struct sim_card *c, const struct sim_vppb *v, unsigned k)
{
	struct sim_pf *pf = &c->pf[vppb_pf(v, k)];

	return v->vf == FMP_VF_NONE ? &pf->bind : &pf->vfs[v->vf];
}

static struct fmp_fn_addr vppb_fn(const struct sim *s, const struct sim_vppb *v, unsigned k)
{
	struct fmp_fn_addr fn = {
		.slot = s->slots[v->slot].number,
		.pf = (uint8_t)vppb_pf(v, k),
		.vf = v->vf,
	};

	return fn;
}

static void vppb_set_state(struct sim *s, unsigned port, unsigned vppb, uint8_t state)
{
	struct sim_vppb *v = &s->ports[port].vppbs[vppb];
	struct sim_card *c = s->slots[v->slot].card;
	unsigned k;

	v->state = state;
	for (k = 0; k < v->n_fns; k++) {
		struct sim_binding *b = vppb_binding(c, v, k);

		b->state = state;
		b->port = (uint8_t)port;
		b->vppb = (uint8_t)vppb;
	}
}

static void bind_apply(struct sim *s, unsigned port, unsigned vppb, struct sim_slot *sl,
		       unsigned pf, uint16_t vf)
{
	struct sim_port *p = &s->ports[port];
	struct sim_vppb *v = &p->vppbs[vppb];
	const struct sim_profile *prof = sl->card->profile;
	unsigned k;

	v->slot = (uint16_t)(sl - s->slots);
	v->pf = exclusive(sl->card) ? 0 : (uint8_t)pf;
	v->vf = vf;
	v->n_fns = exclusive(sl->card) ? (uint8_t)sl->card->n_pfs : 1;
	v->pending = NULL;
	vppb_set_state(s, port, vppb, FMP_BIND_BOUND);
	sim_vswitch_hot_add(p->vs, vppb, prof->link_width, prof->link_speed);
	for (k = 0; k < v->n_fns; k++) {
		struct fmp_fn_addr fn = vppb_fn(s, v, k);

		emit(s, FMP_EV_BIND_DONE, FMP_EVR_NONE, p->number, (uint8_t)vppb, fn.slot, &fn, 0);
	}
	qos_update(s);
}

/* The function(s) leave the vPPB: unbound, the virtual slot empty, UNBIND_DONE per
 * function. A pending managed unbind is over: its caller gets 0 (the function is free). */
static void release(struct sim *s, unsigned port, unsigned vppb, uint8_t reason)
{
	struct sim_port *p = &s->ports[port];
	struct sim_vppb *v = &p->vppbs[vppb];
	struct sim_pending *pend = v->pending;
	struct fmp_unbind_resp resp = { .port = p->number, .vppb = (uint8_t)vppb };
	sim_unbind_cb cb = NULL;
	void *cb_arg = NULL;
	unsigned k, n = v->n_fns;

	if (v->state == FMP_BIND_UNBOUND)
		return;
	if (pend) {
		cb = pend->cb;
		cb_arg = pend->arg;
		pend->cb = NULL;
		v->pending = NULL;
		sim_hotplug_cancel(pend->hp);
	}
	vppb_set_state(s, port, vppb, FMP_BIND_UNBOUND);
	sim_vswitch_hot_remove(p->vs, vppb);
	for (k = 0; k < n; k++) {
		struct fmp_fn_addr fn = vppb_fn(s, v, k);

		emit(s, FMP_EV_UNBIND_DONE, reason, p->number, (uint8_t)vppb, fn.slot, &fn, 0);
	}
	v->n_fns = 0;
	qos_update(s);
	if (cb)
		cb(cb_arg, 0, &resp);
}

/* Releases every function of the card in sl that is bound anywhere. */
static void release_card(struct sim *s, struct sim_slot *sl, uint8_t reason)
{
	unsigned i, k;

	if (!sl->card)
		return;
	for (i = 0; i < sl->card->n_pfs; i++) {
		struct sim_pf *pf = &sl->card->pf[i];

		if (pf->bind.state != FMP_BIND_UNBOUND)
			release(s, pf->bind.port, pf->bind.vppb, reason);
		for (k = 0; k < pf->total_vfs; k++)
			if (pf->vfs[k].state != FMP_BIND_UNBOUND)
				release(s, pf->vfs[k].port, pf->vfs[k].vppb, reason);
	}
}

static bool card_bound(const struct sim_card *c, char *who, size_t wholen,
		       const struct sim_slot *sl)
{
	unsigned i, k;

	for (i = 0; i < c->n_pfs; i++) {
		const struct sim_pf *pf = &c->pf[i];

		if (pf->bind.state != FMP_BIND_UNBOUND) {
			fn_name(sl, i, FMP_VF_NONE, who, wholen);
			return true;
		}
		for (k = 0; k < pf->total_vfs; k++)
			if (pf->vfs[k].state != FMP_BIND_UNBOUND) {
				fn_name(sl, i, (uint16_t)k, who, wholen);
				return true;
			}
	}
	return false;
}

/* ---- managed unbind handshake ----------------------------------------------------------- */

static void free_shell(struct sim *s)
{
	free(s);
}

static void on_handshake_closed(void *arg)
{
	struct sim_pending *pend = arg;
	struct sim *s = pend->s;

	free(pend);
	if (!--s->live_timers && s->freeing)
		free_shell(s);
}

static void on_handshake_done(void *arg, enum sim_hotplug_result result)
{
	struct sim_pending *pend = arg;
	struct sim *s = pend->s;
	struct sim_port *p = &s->ports[pend->port];
	struct sim_vppb *v = &p->vppbs[pend->vppb];
	struct fmp_unbind_resp resp = { .port = p->number, .vppb = (uint8_t)pend->vppb };
	sim_unbind_cb cb = pend->cb;
	void *cb_arg = pend->arg;

	pend->cb = NULL;
	v->pending = NULL;
	if (result == SIM_HOTPLUG_RELEASED) {
		/* the host OS powered the slot off (§6.7.1.5): the function leaves */
		sim_vswitch_host_release(p->vs, pend->vppb);
		release(s, pend->port, pend->vppb, FMP_EVR_MANAGED);
		if (cb)
			cb(cb_arg, 0, &resp);
		return;
	}
	/* no answer: the binding stays as it was */
	vppb_set_state(s, pend->port, pend->vppb, FMP_BIND_BOUND);
	if (cb)
		cb(cb_arg, FMP_E_TIMEOUT, &resp);
}

/* ---- construction ----------------------------------------------------------------------- */

static int cmp_slot(const void *a, const void *b)
{
	const struct sim_slot_cfg *x = *(const struct sim_slot_cfg *const *)a;
	const struct sim_slot_cfg *y = *(const struct sim_slot_cfg *const *)b;

	return (int)x->number - (int)y->number;
}

/* Buses per vPPB when the chassis file gives none: what the chassis's cards can need
 * (at least SIM_BUSES_PER_VPPB), as firmware sizes a hot-plug bus reservation, if the
 * host's view has room for that many; else SIM_BUSES_PER_VPPB, and binds that need more
 * are refused with FMP_E_BUS_RANGE. */
static uint8_t auto_buses_per_vppb(const struct sim *s, unsigned n_vppb)
{
	unsigned need = SIM_BUSES_PER_VPPB, i, v;

	for (i = 0; i < s->cfg->n_profiles; i++)
		if ((v = profile_vppb_need(s->cfg->profiles[i])) > need)
			need = v;
	if (SIM_USP_BUS + 2 + n_vppb * need - 1 > 255)
		need = SIM_BUSES_PER_VPPB;
	return (uint8_t)need;
}

static int port_build(struct sim *s, struct sim_port *p, char *err, size_t errlen)
{
	struct sim_vswitch_params vp = {
		.port = p->number,
		.width = p->width,
		.speed = p->speed,
		.n_vppb = p->n_vppb,
		.buses_per_vppb = p->buses_per_vppb ? p->buses_per_vppb
						    : auto_buses_per_vppb(s, p->n_vppb),
		.dsn = s->cfg->dsn,
		.usp_model = s->cfg->usp_model,
		.dsp_model = s->cfg->dsp_model,
	};

	sim_vswitch_free(p->vs);
	p->vs = NULL;
	memset(p->vppbs, 0, p->n_vppb * sizeof(*p->vppbs));
	return sim_vswitch_new(&vp, &p->vs, err, errlen);
}

/* Buses per slot: SIM_SLOT_MIN_BUSES or what the widest profile needs, if every slot gets
 * that many; else just what the profiles need. 0 or -E2BIG. */
static int assign_buses(struct sim *s, char *err, size_t errlen)
{
	unsigned need = 1, per, first = 1, i;

	for (i = 0; i < s->cfg->n_profiles; i++) {
		unsigned span = profile_bus_span(s->cfg->profiles[i]);

		if (span > need)
			need = span;
	}
	per = need > SIM_SLOT_MIN_BUSES ? need : SIM_SLOT_MIN_BUSES;
	if (first + s->n_slots * per > 256)
		per = need;
	if (first + s->n_slots * per > 256)
		first = 0;
	if (s->n_slots * per > 256) {
		fab_seterr(err, errlen, "%zu slots of %u buses each do not fit 256 buses", s->n_slots,
			per);
		return -E2BIG;
	}
	for (i = 0; i < s->n_slots; i++) {
		s->slots[i].bus = (uint8_t)(first + i * per);
		s->slots[i].n_buses = (uint8_t)(per > 255 ? 255 : per);
	}
	return 0;
}

static void sim_release_all(struct sim *s)
{
	size_t i;

	for (i = 0; i < s->n_slots; i++) {
		card_free(s->slots[i].card);
		sim_cfg_free(s->slots[i].port);
	}
	free(s->slots);
	for (i = 0; i < s->n_ports; i++) {
		sim_vswitch_free(s->ports[i].vs);
		free(s->ports[i].vppbs);
	}
	free(s->ports);
	for (i = 0; i < s->n_extra; i++)
		sim_profile_free(s->extra[i]);
	free(s->extra);
	s->slots = NULL;
	s->ports = NULL;
	s->extra = NULL;
	s->n_slots = s->n_ports = s->n_extra = 0;
}

int sim_new(uv_loop_t *loop, const struct sim_chassis_cfg *cfg, const struct sim_ops *ops,
	    void *arg, struct sim **out, char *err, size_t errlen)
{
	const struct sim_slot_cfg **order = NULL;
	struct sim *s;
	size_t i;
	int rc = -ENOMEM;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s) {
		fab_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->loop = loop;
	s->cfg = cfg;
	if (ops)
		s->ops = *ops;
	s->arg = arg;
	s->ports = calloc(cfg->n_ports ? cfg->n_ports : 1, sizeof(*s->ports));
	s->slots = calloc(cfg->n_slots ? cfg->n_slots : 1, sizeof(*s->slots));
	order = calloc(cfg->n_slots ? cfg->n_slots : 1, sizeof(*order));
	if (!s->ports || !s->slots || !order)
		goto err_nomem;

	for (i = 0; i < cfg->n_ports; i++) {
		const struct sim_host_port_cfg *pc = &cfg->ports[i];
		struct sim_port *p = &s->ports[i];

		if (pc->port > 254 || s->port_index[pc->port] || !pc->n_vppb ||
		    pc->n_vppb > SIM_VSWITCH_MAX_VPPB) {
			fab_seterr(err, errlen, "host port %s: port %u duplicate or %u vPPBs (1..%u)",
				pc->name, pc->port, pc->n_vppb, SIM_VSWITCH_MAX_VPPB);
			rc = -EINVAL;
			goto err_free;
		}
		s->n_ports++;
		snprintf(p->name, sizeof(p->name), "%s", pc->name);
		p->number = pc->port;
		p->width = pc->width;
		p->speed = pc->speed;
		p->n_vppb = pc->n_vppb;
		p->buses_per_vppb = pc->buses_per_vppb;
		p->host.responds = pc->host_responds;
		p->host.response_ms = pc->host_response_ms;
		p->vppbs = calloc(p->n_vppb, sizeof(*p->vppbs));
		if (!p->vppbs)
			goto err_nomem;
		rc = port_build(s, p, err, errlen);
		if (rc)
			goto err_free;
		s->port_index[p->number] = (uint16_t)(i + 1);
	}

	for (i = 0; i < cfg->n_slots; i++)
		order[i] = &cfg->slots[i];
	qsort(order, cfg->n_slots, sizeof(*order), cmp_slot);
	for (i = 0; i < cfg->n_slots; i++) {
		if (order[i]->number > SIM_SLOT_NUMBER_MAX || s->slot_index[order[i]->number]) {
			fab_seterr(err, errlen, "slot %u: duplicate or above %u", order[i]->number,
				SIM_SLOT_NUMBER_MAX);
			rc = -EINVAL;
			goto err_free;
		}
		s->slots[i].number = order[i]->number;
		snprintf(s->slots[i].label, sizeof(s->slots[i].label), "%s", order[i]->label);
		s->slot_index[order[i]->number] = (uint16_t)(i + 1);
		s->n_slots++;
	}
	rc = assign_buses(s, err, errlen);
	if (rc)
		goto err_free;
	for (i = 0; i < s->n_slots; i++) {
		const struct sim_slot_cfg *sc = order[i];
		struct sim_slot *sl = &s->slots[i];

		if (sc->has_card) {
			rc = card_new(sc->card.profile, sc->card.dsn, sc->card.name, &sl->card, err,
				      errlen);
			if (rc)
				goto err_free;
		}
		rc = slot_build_port(sl, err, errlen);
		if (rc)
			goto err_free;
	}
	free(order);
	s->boot_id = new_boot_id(0);
	*out = s;
	return 0;

err_nomem:
	fab_seterr(err, errlen, "out of memory");
	rc = -ENOMEM;
err_free:
	free(order);
	sim_release_all(s);
	free(s);
	return rc;
}

void sim_free(struct sim *s)
{
	size_t i, j;

	if (!s)
		return;
	s->freeing = true;
	for (i = 0; i < s->n_ports; i++)
		for (j = 0; j < s->ports[i].n_vppb; j++) {
			struct sim_pending *pend = s->ports[i].vppbs[j].pending;

			if (pend) {
				sim_unbind_cb cb = pend->cb;

				/* the requester learns the handshake will not finish (and frees
				 * what it parked for the answer) */
				pend->cb = NULL;
				s->ports[i].vppbs[j].pending = NULL;
				sim_hotplug_cancel(pend->hp);
				if (cb)
					cb(pend->arg, FMP_E_INTERNAL, NULL);
			}
		}
	sim_release_all(s);
	free(s->qos);
	s->qos = NULL;
	s->n_qos = s->cap_qos = 0;
	if (!s->live_timers)
		free_shell(s);
}

/* ---- identity and lists ----------------------------------------------------------------- */

static uint32_t count_functions(const struct sim *s)
{
	uint32_t n = 0;
	size_t i;
	unsigned k;

	for (i = 0; i < s->n_slots; i++) {
		const struct sim_card *c = s->slots[i].card;

		if (!c)
			continue;
		for (k = 0; k < c->n_pfs; k++)
			n += 1u + pf_num_vfs(&c->pf[k]);
	}
	return n;
}

void sim_hello(const struct sim *s, struct fmp_hello_resp *out)
{
	out->boot_id = s->boot_id;
	out->event_seq = s->seq;
	out->n_ports = (uint16_t)s->n_ports;
	out->n_slots = (uint16_t)s->n_slots;
	out->n_functions = count_functions(s);
	snprintf(out->chassis, sizeof(out->chassis), "%s", s->cfg->name);
	snprintf(out->model, sizeof(out->model), "%s", s->cfg->model);
	snprintf(out->serial, sizeof(out->serial), "%s", s->cfg->serial);
	snprintf(out->firmware, sizeof(out->firmware), "switch-sim");
}

uint64_t sim_event_seq(const struct sim *s)
{
	return s->seq;
}

uint64_t sim_boot_id(const struct sim *s)
{
	return s->boot_id;
}

static uint8_t port_flags(const struct sim_port *p)
{
	return sim_vswitch_link_up(p->vs) ? FMP_PORT_F_LINK_UP : 0;
}

int sim_get_ports(const struct sim *s, struct fmp_ports_resp *out)
{
	size_t i;

	out->count = 0;
	out->ports = calloc(s->n_ports ? s->n_ports : 1, sizeof(*out->ports));
	if (!out->ports)
		return -FMP_E_INTERNAL;
	for (i = 0; i < s->n_ports; i++) {
		const struct sim_port *p = &s->ports[i];
		struct fmp_port_info *o = &out->ports[i];
		unsigned j;

		o->port = p->number;
		o->flags = port_flags(p);
		o->width = p->width;
		o->speed = p->speed;
		o->n_vppb = p->n_vppb;
		for (j = 0; j < p->n_vppb; j++)
			if (p->vppbs[j].state != FMP_BIND_UNBOUND)
				o->n_bound++;
		o->usp_bus = SIM_USP_BUS;
		snprintf(o->name, sizeof(o->name), "%s", p->name);
	}
	out->count = (uint16_t)s->n_ports;
	return 0;
}

int sim_get_slots(const struct sim *s, struct fmp_slots_resp *out)
{
	size_t i;

	out->count = 0;
	out->slots = calloc(s->n_slots ? s->n_slots : 1, sizeof(*out->slots));
	if (!out->slots)
		return -FMP_E_INTERNAL;
	for (i = 0; i < s->n_slots; i++) {
		out->slots[i].slot = s->slots[i].number;
		out->slots[i].flags = sim_cfg_slot_flags(s->slots[i].port);
		snprintf(out->slots[i].label, sizeof(out->slots[i].label), "%s", s->slots[i].label);
	}
	out->count = (uint16_t)s->n_slots;
	return 0;
}

static uint32_t cfg_class(const struct sim_cfg *cfg)
{
	return sim_cfg_read32(cfg, PCI_CLASS_REVISION) >> 8;
}

int sim_get_card(const struct sim *s, uint16_t slot, struct fmp_card_resp *out)
{
	struct sim_slot *sl;
	const struct sim_card *c;
	unsigned i;
	int rc = slot_card(s, slot, &sl);

	if (rc)
		return rc;
	c = sl->card;
	memset(out, 0, sizeof(*out));
	out->slot = slot;
	out->sharing = c->profile->sharing;
	out->n_pfs = (uint8_t)c->n_pfs;
	out->vendor = sim_cfg_read16(c->pf[0].cfg, PCI_VENDOR_ID);
	out->subsys_vendor = sim_cfg_read16(c->pf[0].cfg, PCI_SUBSYSTEM_VENDOR_ID);
	out->subsys_device = sim_cfg_read16(c->pf[0].cfg, PCI_SUBSYSTEM_ID);
	out->class_code = cfg_class(c->pf[0].cfg);
	out->dsn = c->dsn;
	snprintf(out->profile, sizeof(out->profile), "%s", c->profile->name);
	snprintf(out->name, sizeof(out->name), "%s", c->name);
	for (i = 0; i < c->n_pfs; i++) {
		const struct sim_pf *pf = &c->pf[i];
		struct fmp_pf_info *o = &out->pfs[i];
		struct sim_sriov_state st;

		o->pf = (uint8_t)i;
		o->device = sim_cfg_read16(pf->cfg, PCI_DEVICE_ID);
		if (!pf->sriov || sim_cfg_sriov_state(pf->cfg, &st))
			continue;
		o->total_vfs = st.total_vfs;
		o->num_vfs = pf_num_vfs(pf);
		o->vf_device = st.vf_device;
		o->vf_offset = st.offset;
		o->vf_stride = st.stride;
	}
	return 0;
}

/* ---- GET_FUNCTIONS ---------------------------------------------------------------------- */

struct fn_pos {
	size_t slot;  /* index into sim.slots */
	unsigned pf;
	uint32_t vfpos; /* 0: the PF; k + 1: VF k */
};

/* Moves pos to the first function at or after it within slots [pos.slot, last]. */
static bool fn_pos_next(const struct sim *s, struct fn_pos *pos, size_t last)
{
	while (pos->slot <= last && pos->slot < s->n_slots) {
		const struct sim_card *c = s->slots[pos->slot].card;

		if (c && pos->pf < c->n_pfs) {
			if (pos->vfpos == 0 || pos->vfpos - 1 < pf_num_vfs(&c->pf[pos->pf]))
				return true;
			pos->pf++;
			pos->vfpos = 0;
			continue;
		}
		pos->slot++;
		pos->pf = 0;
		pos->vfpos = 0;
	}
	return false;
}

static void fn_info(const struct sim *s, const struct fn_pos *pos, struct fmp_function_info *o)
{
	const struct sim_slot *sl = &s->slots[pos->slot];
	const struct sim_pf *pf = &sl->card->pf[pos->pf];
	const struct sim_binding *b;

	memset(o, 0, sizeof(*o));
	o->fn.slot = sl->number;
	o->fn.pf = (uint8_t)pos->pf;
	o->vendor = sim_cfg_read16(pf->cfg, PCI_VENDOR_ID);
	o->class_code = cfg_class(pf->cfg);
	if (pos->vfpos == 0) {
		o->fn.vf = FMP_VF_NONE;
		o->rid = pf_rid(sl, pos->pf);
		o->device = sim_cfg_read16(pf->cfg, PCI_DEVICE_ID);
		b = &pf->bind;
	} else {
		o->fn.vf = (uint16_t)(pos->vfpos - 1);
		o->flags = FMP_FN_F_VF;
		o->rid = vf_rid(sl, pos->pf, o->fn.vf);
		o->device = sim_cfg_read16(pf->cfg, pf->sriov + PCI_IOV_DID);
		b = &pf->vfs[o->fn.vf];
	}
	o->bind_state = b->state;
	o->port = b->state == FMP_BIND_UNBOUND ? FMP_PORT_NONE : s->ports[b->port].number;
	o->vppb = b->state == FMP_BIND_UNBOUND ? FMP_VPPB_NONE : b->vppb;
}

int sim_get_functions(const struct sim *s, uint16_t slot, uint32_t cursor, uint16_t max,
		      struct fmp_functions_resp *out)
{
	struct fn_pos pos;
	size_t first = 0, last = s->n_slots ? s->n_slots - 1 : 0;
	bool more;

	out->count = 0;
	out->next_cursor = FMP_CURSOR_END;
	out->fns = NULL;
	if (slot != FMP_SLOT_NONE) {
		struct sim_slot *sl;
		int rc = slot_card(s, slot, &sl);

		if (rc)
			return rc;
		first = last = (size_t)(sl - s->slots);
	}
	if (cursor != FMP_CURSOR_END && cursor >= CUR_LIMIT)
		return -FMP_E_INVALID;
	if (!max || max > SIM_FUNCTIONS_PAGE_MAX)
		max = SIM_FUNCTIONS_PAGE_MAX;
	out->fns = calloc(max, sizeof(*out->fns));
	if (!out->fns)
		return -FMP_E_INTERNAL;
	if (cursor == FMP_CURSOR_END || !s->n_slots)
		return 0;
	pos.slot = cursor >> CUR_SLOT_SHIFT;
	pos.pf = (cursor >> CUR_PF_SHIFT) & 7;
	pos.vfpos = cursor & CUR_VF_MASK;
	if (pos.slot < first) {
		pos.slot = first;
		pos.pf = 0;
		pos.vfpos = 0;
	}
	more = fn_pos_next(s, &pos, last);
	while (more && out->count < max) {
		fn_info(s, &pos, &out->fns[out->count++]);
		pos.vfpos++;
		more = fn_pos_next(s, &pos, last);
	}
	if (more)
		out->next_cursor = (uint32_t)(pos.slot << CUR_SLOT_SHIFT | pos.pf << CUR_PF_SHIFT |
					      pos.vfpos);
	return 0;
}

int sim_get_vh(const struct sim *s, uint8_t port, struct fmp_vh_resp *out)
{
	const struct sim_port *p = port_get(s, port);
	unsigned i;

	out->count = 0;
	out->vppbs = NULL;
	if (!p)
		return -FMP_E_NO_SUCH_PORT;
	out->vppbs = calloc(p->n_vppb, sizeof(*out->vppbs));
	if (!out->vppbs)
		return -FMP_E_INTERNAL;
	out->port = p->number;
	out->flags = port_flags(p);
	out->usp_bus = SIM_USP_BUS;
	for (i = 0; i < p->n_vppb; i++) {
		const struct sim_vppb *v = &p->vppbs[i];
		struct fmp_vppb_info *o = &out->vppbs[i];

		o->vppb = (uint8_t)i;
		o->bind_state = v->state;
		o->slot_flags = sim_vswitch_slot_flags(p->vs, i);
		o->sec_bus = sim_vswitch_sec_bus(p->vs, i);
		o->fn = v->state == FMP_BIND_UNBOUND ? no_fn : vppb_fn(s, v, 0);
	}
	out->count = p->n_vppb;
	return 0;
}

/* ---- READ_CONFIG ------------------------------------------------------------------------ */

/* What sits at rid (relative to 00.0 of the vPPB's secondary bus) behind a bound vPPB, as
 * the host sees it, in a new config space: a bound VF with its identity synthesized, a
 * bound PF (a lone PF of an mr-iov card as a single-function device), or a VF of a bound
 * PF with VF Enable set, where First VF Offset and VF Stride put it (§9.3.3.10-11).
 * desc gets the function's name. */
static int host_fn_view(const struct sim *s, const struct sim_port *p, unsigned vppb,
			uint16_t rid, struct sim_cfg **out, char *desc, size_t desclen)
{
	const struct sim_vppb *v = &p->vppbs[vppb];
	const struct sim_slot *sl;
	const struct sim_pf *pf;
	struct sim_cfg *view;
	unsigned k;

	*out = NULL;
	if (v->state == FMP_BIND_UNBOUND)
		return -FMP_E_NO_SUCH_FUNCTION;
	sl = &s->slots[v->slot];
	if (v->vf != FMP_VF_NONE) {
		if (rid != 0)
			return -FMP_E_NO_SUCH_FUNCTION;
		pf = &sl->card->pf[v->pf];
		view = sim_cfg_dup(pf->vf_host);
		if (!view)
			return -FMP_E_INTERNAL;
		sim_vswitch_place_bars(p->vs, vppb, 0, view);
		fn_name(sl, v->pf, v->vf, desc, desclen);
		*out = view;
		return 0;
	}
	if (rid < v->n_fns) {
		pf = &sl->card->pf[vppb_pf(v, rid)];
		view = sim_cfg_dup(pf->cfg);
		if (!view)
			return -FMP_E_INTERNAL;
		if (v->n_fns == 1 && sl->card->n_pfs > 1) {
			/* one PF of a multi-PF card, alone at 00.0 in this hierarchy */
			unsigned ari = sim_cfg_find_ext_cap(view, PCI_EXT_CAP_ID_ARI);

			uint8_t hdr = sim_cfg_read8(view, PCI_HEADER_TYPE);

			sim_cfg_set8(view, PCI_HEADER_TYPE, hdr & ~SIM_HDR_MULTI_FUNCTION);
			if (ari)
				sim_cfg_set16(view, ari + PCI_ARI_CAP,
					      sim_cfg_read16(view, ari + PCI_ARI_CAP) &
						      (uint16_t)~SIM_ARI_CAP_NFN);
			if (pf->sriov)
				sim_cfg_set8(view, pf->sriov + PCI_IOV_FDL, 0);
		}
		sim_vswitch_place_bars(p->vs, vppb, rid, view);
		fn_name(sl, vppb_pf(v, rid), FMP_VF_NONE, desc, desclen);
		*out = view;
		return 0;
	}
	for (k = 0; k < v->n_fns; k++) {
		uint16_t num, off, stride, rel;

		pf = &sl->card->pf[vppb_pf(v, k)];
		num = pf_num_vfs(pf);
		if (!num)
			continue;
		off = sim_cfg_read16(pf->cfg, pf->sriov + PCI_IOV_OFFSET);
		stride = sim_cfg_read16(pf->cfg, pf->sriov + PCI_IOV_STRIDE);
		rel = (uint16_t)(rid - k - off);
		if ((stride && (rel % stride || rel / stride >= num)) || (!stride && rel))
			continue;
		/* the host owns the PF, so its PF driver enabled these VFs: they get the
		 * identity a bound VF has (DESIGN.md), BARs as the spec has them (RO 0, the
		 * PF's VF BARs map them, PCIe r5.0 §9.3.4.1.11) */
		view = sim_cfg_dup(pf->vf);
		if (!view)
			return -FMP_E_INTERNAL;
		sim_cfg_vf_set_identity(view, pf->cfg);
		fn_name(sl, vppb_pf(v, k), stride ? rel / stride : 0, desc, desclen);
		*out = view;
		return 0;
	}
	return -FMP_E_NO_SUCH_FUNCTION;
}

/* The host view at bus/devfn: *out is a new config space (free it). */
static int host_view(const struct sim *s, const struct sim_port *p, uint8_t bus, uint8_t devfn,
		     struct sim_cfg **out, char *desc, size_t desclen)
{
	unsigned vppb = 0;
	uint16_t rid = 0;

	*out = NULL;
	switch (sim_vswitch_decode(p->vs, bus, devfn, &vppb, &rid)) {
	case SIM_VSWITCH_USP:
		snprintf(desc, desclen, "PCI bridge: virtual upstream port of host %s", p->name);
		*out = sim_cfg_dup(sim_vswitch_usp(p->vs));
		return *out ? 0 : -FMP_E_INTERNAL;
	case SIM_VSWITCH_DSP:
		snprintf(desc, desclen, "PCI bridge: vPPB %u of host %s", vppb, p->name);
		*out = sim_cfg_dup(sim_vswitch_dsp(p->vs, vppb));
		return *out ? 0 : -FMP_E_INTERNAL;
	case SIM_VSWITCH_BEHIND:
		return host_fn_view(s, p, vppb, rid, out, desc, desclen);
	default:
		return -FMP_E_NO_SUCH_FUNCTION;
	}
}

int sim_read_config(const struct sim *s, const struct fmp_read_config_req *req, uint8_t *buf)
{
	const struct sim_cfg *src;
	struct sim_cfg *view = NULL;
	struct sim_slot *sl;
	struct sim_pf *pf;
	char desc[96];
	int rc;

	if ((uint32_t)req->offset + req->length > FMP_CONFIG_SPACE_SIZE)
		return -FMP_E_INVALID;
	if (req->target == FMP_CFG_CHASSIS) {
		rc = fn_find(s, &req->fn, &sl, &pf, NULL);
		if (rc)
			return rc;
		/* chassis view: a VF reads spec-true 0xffff IDs (§9.3.4.1.1) */
		src = req->fn.vf == FMP_VF_NONE ? pf->cfg : pf->vf;
	} else if (req->target == FMP_CFG_HOST) {
		const struct sim_port *p = port_get(s, req->port);

		if (!p)
			return -FMP_E_NO_SUCH_PORT;
		rc = host_view(s, p, req->bus, req->devfn, &view, desc, sizeof(desc));
		if (rc)
			return rc;
		src = view;
	} else {
		return -FMP_E_INVALID;
	}
	memcpy(buf, sim_cfg_data(src) + req->offset, req->length);
	sim_cfg_free(view);
	return 0;
}

/* A host's configuration write (its PF driver at work): only a PF bound to that host takes
 * it, through the PF's write masks and SR-IOV rules; VF Enable or NumVFs changing makes
 * its VFs appear or vanish in the view, as NUM_VFS tells the manager. */
int sim_host_write_config(struct sim *s, uint8_t port, uint8_t bus, uint8_t devfn,
			  unsigned off, unsigned size, uint32_t val, uint32_t *readback,
			  char *err, size_t errlen)
{
	const struct sim_port *p = port_get(s, port);
	const struct sim_vppb *v;
	struct sim_slot *sl;
	struct sim_pf *pf;
	struct fmp_fn_addr fn;
	unsigned vppb = 0;
	uint16_t rid = 0, before;
	int eff;

	if (!p) {
		snprintf(err, errlen, "no host port %u", port);
		return -ENOENT;
	}
	if (sim_vswitch_decode(p->vs, bus, devfn, &vppb, &rid) != SIM_VSWITCH_BEHIND ||
	    p->vppbs[vppb].state == FMP_BIND_UNBOUND || p->vppbs[vppb].vf != FMP_VF_NONE ||
	    rid >= p->vppbs[vppb].n_fns) {
		snprintf(err, errlen,
			 "host %s: %02x:%02x.%u is not a PF bound to this host (only a host-owned "
			 "PF's config space takes writes here)",
			 p->name, bus, PCI_SLOT(devfn), PCI_FUNC(devfn));
		return -EPERM;
	}
	v = &p->vppbs[vppb];
	sl = &s->slots[v->slot];
	fn = (struct fmp_fn_addr){ .slot = sl->number, .pf = (uint8_t)vppb_pf(v, rid),
				   .vf = FMP_VF_NONE };
	pf = &sl->card->pf[fn.pf];
	if (!slot_powered(sl)) {
		snprintf(err, errlen, "host %s: %02x:%02x.%u: the slot is powered off", p->name, bus,
			 PCI_SLOT(devfn), PCI_FUNC(devfn));
		return -EIO;
	}
	before = pf_num_vfs(pf);
	eff = sim_cfg_write(pf->cfg, off, size, val);
	if (eff < 0) {
		snprintf(err, errlen, "offset 0x%x width %u: not a naturally aligned config-space "
			 "register (width 1, 2 or 4, offset below 0x%x)", off, size, SIM_CFG_SIZE);
		return eff;
	}
	if (readback)
		*readback = size == 1 ? sim_cfg_read8(pf->cfg, off)
			  : size == 2 ? sim_cfg_read16(pf->cfg, off) : sim_cfg_read32(pf->cfg, off);
	if (pf_num_vfs(pf) != before) {
		/* VFs that were enabled are gone (§9.3.3.3.1): none of them can be bound, the
		 * host owns them with their PF */
		if (pf->vfs)
			memset(pf->vfs, 0, pf->total_vfs * sizeof(*pf->vfs));
		emit(s, FMP_EV_NUM_VFS, FMP_EVR_NONE, p->number, (uint8_t)vppb, sl->number, &fn,
		     pf_num_vfs(pf));
	}
	return 0;
}

/* ---- SET_NUM_VFS, BIND, UNBIND ---------------------------------------------------------- */

int sim_set_num_vfs(struct sim *s, uint16_t slot, uint8_t pf_index, uint16_t num_vfs,
		    struct fmp_set_num_vfs_resp *out)
{
	struct fmp_fn_addr fn = { .slot = slot, .pf = pf_index, .vf = FMP_VF_NONE };
	struct sim_slot *sl;
	struct sim_pf *pf;
	uint16_t k, cur;
	int rc = fn_find(s, &fn, &sl, &pf, NULL);

	if (rc)
		return rc;
	if (!pf->sriov || num_vfs > pf->total_vfs)
		return -FMP_E_INVALID;
	if (!slot_powered(sl))
		return -FMP_E_POWER; /* the card does not answer config writes */
	out->total_vfs = pf->total_vfs;
	cur = pf_num_vfs(pf);
	if (cur == num_vfs) {
		out->num_vfs = cur; /* what already holds: nothing changes */
		return 0;
	}
	/* the host that holds the PF owns its SR-IOV Control (mr-iov, exclusive) */
	if (pf->bind.state != FMP_BIND_UNBOUND)
		return -FMP_E_BUSY;
	/* clearing VF Enable removes every VF (§9.3.3.3.1) */
	for (k = 0; k < cur; k++)
		if (pf->vfs[k].state != FMP_BIND_UNBOUND)
			return -FMP_E_VF_BOUND;
	rc = pf_write_num_vfs(pf, num_vfs);
	if (rc)
		return rc;
	out->num_vfs = pf_num_vfs(pf);
	qos_update(s); /* removed VFs lose their settings */
	emit(s, FMP_EV_NUM_VFS, FMP_EVR_NONE, FMP_PORT_NONE, FMP_VPPB_NONE, slot, &fn, num_vfs);
	return 0;
}

static void bind_resp(const struct sim_port *p, unsigned vppb, unsigned devfn,
		      struct fmp_bind_resp *out)
{
	out->port = p->number;
	out->vppb = (uint8_t)vppb;
	out->host_bus = sim_vswitch_sec_bus(p->vs, vppb);
	out->host_devfn = (uint8_t)devfn;
}

int sim_bind(struct sim *s, const struct fmp_bind_req *req, struct fmp_bind_resp *out)
{
	struct sim_port *p = port_get(s, req->port);
	struct sim_slot *sl;
	struct sim_pf *pf;
	struct sim_binding *b;
	const struct sim_card *c;
	unsigned vppb, i, devfn;
	int rc;

	if (!p)
		return -FMP_E_NO_SUCH_PORT;
	rc = fn_find(s, &req->fn, &sl, &pf, &b);
	if (rc)
		return rc;
	if (req->vppb != FMP_VPPB_ANY && req->vppb >= p->n_vppb)
		return -FMP_E_INVALID;
	c = sl->card;
	devfn = exclusive(c) ? PCI_DEVFN(0, req->fn.pf) : 0;
	if (b->state == FMP_BIND_UNBINDING)
		return -FMP_E_IN_PROGRESS;
	if (b->state == FMP_BIND_BOUND && b->port == port_idx(s, p) &&
	    (req->vppb == FMP_VPPB_ANY || req->vppb == b->vppb)) {
		bind_resp(p, b->vppb, devfn, out); /* what already holds */
		return 0;
	}
	if (!slot_powered(sl))
		return -FMP_E_POWER;
	if (!sim_vswitch_link_up(p->vs))
		return -FMP_E_LINK_DOWN;
	switch (c->profile->sharing) {
	case FMP_SHARING_SRIOV: /* the manager keeps the PFs; VFs go to hosts */
		if (req->fn.vf == FMP_VF_NONE)
			return -FMP_E_SHARING_MODE;
		break;
	case FMP_SHARING_MRIOV: /* each PF, with its VFs, to one Virtual Hierarchy */
	case FMP_SHARING_EXCLUSIVE: /* the whole card as one device */
		if (req->fn.vf != FMP_VF_NONE)
			return -FMP_E_SHARING_MODE;
		break;
	default:
		return -FMP_E_SHARING_MODE;
	}
	if (b->state != FMP_BIND_UNBOUND)
		return -FMP_E_BUSY;
	for (i = 0; exclusive(c) && i < c->n_pfs; i++) {
		if (c->pf[i].bind.state == FMP_BIND_UNBINDING)
			return -FMP_E_IN_PROGRESS;
		if (c->pf[i].bind.state != FMP_BIND_UNBOUND)
			return -FMP_E_BUSY;
	}
	/* the VFs must fall inside the vPPB's secondary..subordinate range, or another
	 * vPPB's buses would answer for them */
	if (bind_bus_need(c, req->fn.pf, req->fn.vf) > sim_vswitch_buses_per_vppb(p->vs))
		return -FMP_E_BUS_RANGE;
	if (req->vppb == FMP_VPPB_ANY) {
		for (vppb = 0; vppb < p->n_vppb; vppb++)
			if (p->vppbs[vppb].state == FMP_BIND_UNBOUND)
				break;
		if (vppb == p->n_vppb)
			return -FMP_E_NO_VPPB;
	} else {
		vppb = req->vppb;
		if (p->vppbs[vppb].state != FMP_BIND_UNBOUND)
			return -FMP_E_NO_VPPB;
	}
	bind_apply(s, port_idx(s, p), vppb, sl, req->fn.pf, req->fn.vf);
	bind_resp(p, vppb, devfn, out);
	return 0;
}

int sim_unbind(struct sim *s, const struct fmp_unbind_req *req, sim_unbind_cb cb, void *arg,
	       struct fmp_unbind_resp *resp)
{
	struct sim_slot *sl;
	struct sim_pf *pf;
	struct sim_binding *b;
	struct sim_port *p;
	struct sim_pending *pend;
	uint32_t timeout;
	int rc;

	if (req->mode != FMP_UNBIND_MANAGED && req->mode != FMP_UNBIND_SURPRISE)
		return -FMP_E_INVALID;
	rc = fn_find(s, &req->fn, &sl, &pf, &b);
	if (rc)
		return rc;
	if (b->state == FMP_BIND_UNBINDING)
		return -FMP_E_IN_PROGRESS;
	if (b->state != FMP_BIND_BOUND)
		return -FMP_E_NOT_BOUND;
	p = &s->ports[b->port];
	resp->port = p->number;
	resp->vppb = b->vppb;
	if (req->mode == FMP_UNBIND_SURPRISE) {
		release(s, b->port, b->vppb, FMP_EVR_SURPRISE);
		return 0;
	}
	pend = calloc(1, sizeof(*pend));
	if (!pend)
		return -FMP_E_INTERNAL;
	pend->s = s;
	pend->port = b->port;
	pend->vppb = b->vppb;
	pend->cb = cb;
	pend->arg = arg;
	rc = sim_hotplug_start(s->loop, &p->host, req->timeout_ms, on_handshake_done,
			       on_handshake_closed, pend, &pend->hp);
	if (rc) {
		free(pend);
		return -FMP_E_INTERNAL;
	}
	s->live_timers++;
	p->vppbs[pend->vppb].pending = pend;
	vppb_set_state(s, pend->port, pend->vppb, FMP_BIND_UNBINDING);
	/* Attention Button Pressed for the host (§6.7.1.5); a host that will answer blinks
	 * the power indicator during its abort window. */
	sim_vswitch_button(p->vs, pend->vppb);
	timeout = req->timeout_ms ? req->timeout_ms : SIM_HOTPLUG_DEFAULT_TIMEOUT_MS;
	if (p->host.responds && p->host.response_ms <= timeout)
		sim_vswitch_host_blink(p->vs, pend->vppb);
	return 1;
}

/* ---- links and power -------------------------------------------------------------------- */

static void port_set_link(struct sim *s, struct sim_port *p, bool up)
{
	if (sim_vswitch_link_up(p->vs) == up)
		return;
	sim_vswitch_set_link(p->vs, up);
	qos_update(s); /* a link down carries nothing */
	emit(s, FMP_EV_LINK_STATE, up ? FMP_EVR_NONE : FMP_EVR_LINK, p->number, FMP_VPPB_NONE,
	     FMP_SLOT_NONE, NULL, up);
}

/* Power off (manager or fault): the card's functions leave their hosts, the card resets. */
static void slot_cut_power(struct sim *s, struct sim_slot *sl)
{
	release_card(s, sl, FMP_EVR_FAULT);
	slot_power_off(sl);
	card_reset_sriov(s, sl, FMP_EVR_FAULT);
	qos_update(s); /* the VFs are gone, and their settings with them */
}

int sim_port_control(struct sim *s, const struct fmp_port_control_req *req,
		     struct fmp_port_control_resp *out)
{
	struct sim_port *p = NULL;
	struct sim_slot *sl = NULL;

	switch (req->op) {
	case FMP_PC_LINK_DISABLE:
	case FMP_PC_LINK_ENABLE:
	case FMP_PC_LINK_RESET:
		p = port_get(s, req->index);
		if (!p)
			return -FMP_E_NO_SUCH_PORT;
		break;
	case FMP_PC_SLOT_POWER_OFF:
	case FMP_PC_SLOT_POWER_ON:
		sl = slot_get(s, req->index);
		if (!sl)
			return -FMP_E_NO_SUCH_SLOT;
		break;
	default:
		return -FMP_E_INVALID;
	}
	switch (req->op) {
	case FMP_PC_LINK_DISABLE:
		port_set_link(s, p, false);
		break;
	case FMP_PC_LINK_ENABLE:
		port_set_link(s, p, true);
		break;
	case FMP_PC_LINK_RESET:
		/* hot reset of the VH: the link retrains; bindings stay */
		if (sim_vswitch_link_up(p->vs)) {
			port_set_link(s, p, false);
			port_set_link(s, p, true);
		}
		break;
	case FMP_PC_SLOT_POWER_OFF:
		sl->held_off = true;
		if (!(sim_cfg_slot_control(sl->port) & PCI_EXP_SLTCTL_PWRC))
			slot_cut_power(s, sl);
		break;
	case FMP_PC_SLOT_POWER_ON:
		sl->held_off = false;
		if (!slot_powered(sl))
			slot_power_on(sl);
		break;
	}
	out->index = req->index;
	out->flags = p ? port_flags(p) : sim_cfg_slot_flags(sl->port);
	return 0;
}

/* ---- bench ------------------------------------------------------------------------------ */

static bool valid_card_name(const char *n)
{
	size_t i;

	if (!n[0] || strlen(n) >= SIM_NAME_MAX)
		return false;
	for (i = 0; n[i]; i++)
		if (!isalnum((unsigned char)n[i]) && !strchr("_.-", n[i]))
			return false;
	/* "slotN" names the slot (DESIGN.md) */
	return strncmp(n, "slot", 4) || !n[4] || strspn(n + 4, "0123456789") != strlen(n + 4);
}

static const struct sim_profile *find_profile(struct sim *s, const char *name, char *err,
					      size_t errlen)
{
	const struct sim_profile *p = sim_chassis_find_profile(s->cfg, name);
	struct sim_profile *loaded, **grown;
	size_t i;

	if (p)
		return p;
	for (i = 0; i < s->n_extra; i++)
		if (!strcmp(s->extra[i]->name, name))
			return s->extra[i];
	if (sim_profile_load(s->cfg->profiles_dir, name, &loaded, err, errlen))
		return NULL;
	grown = realloc(s->extra, (s->n_extra + 1) * sizeof(*grown));
	if (!grown) {
		sim_profile_free(loaded);
		fab_seterr(err, errlen, "out of memory");
		return NULL;
	}
	s->extra = grown;
	s->extra[s->n_extra++] = loaded;
	return loaded;
}

int sim_bench_insert(struct sim *s, uint16_t slot, const char *profile, const char *serial,
		     const char *name, char *err, size_t errlen)
{
	struct sim_slot *sl = slot_get(s, slot);
	const struct sim_profile *p;
	uint64_t dsn;
	size_t i;
	unsigned span;
	int rc;

	if (!sl) {
		fab_seterr(err, errlen, "no slot %u", slot);
		return -ENOENT;
	}
	if (sl->card) {
		fab_seterr(err, errlen, "slot %u already holds a card", slot);
		return -EBUSY;
	}
	if (name && !*name)
		name = NULL;
	if (name && !valid_card_name(name)) {
		fab_seterr(err, errlen, "bad card name \"%s\": [A-Za-z0-9_.-], not slotN", name);
		return -EINVAL;
	}
	if (!serial || sim_dsn_parse(serial, &dsn)) {
		fab_seterr(err, errlen, "bad serial \"%s\": 8 bytes as 00-1b-21-ff-ff-2b-46-e0 or a "
				     "number", serial ? serial : "");
		return -EINVAL;
	}
	for (i = 0; i < s->n_slots; i++) {
		const struct sim_card *c = s->slots[i].card;

		if (c && c->dsn == dsn) {
			fab_seterr(err, errlen, "serial %s is already in slot %u", serial,
				s->slots[i].number);
			return -EEXIST;
		}
		if (c && name && !strcmp(c->name, name)) {
			fab_seterr(err, errlen, "card name %s is already in slot %u", name,
				s->slots[i].number);
			return -EEXIST;
		}
	}
	p = find_profile(s, profile ? profile : "", err, errlen);
	if (!p)
		return -ENOENT;
	span = profile_bus_span(p);
	if (span > sl->n_buses) {
		fab_seterr(err, errlen, "profile %s needs %u chassis buses for its routing IDs; "
				     "slot %u has %u", p->name, span, slot, sl->n_buses);
		return -ENOSPC;
	}
	rc = card_new(p, dsn, name, &sl->card, err, errlen);
	if (rc)
		return rc;
	/* the card seats: Presence Detect, slot power, the link trains (§6.7.3.3) — unless
	 * the manager holds the slot off, which only its PORT_CONTROL power-on ends */
	sim_cfg_slot_set_presence(sl->port, true);
	if (!sl->held_off)
		slot_power_on(sl);
	emit(s, FMP_EV_SLOT_PRESENCE, FMP_EVR_MANAGED, FMP_PORT_NONE, FMP_VPPB_NONE, slot, NULL, 1);
	return 0;
}

int sim_bench_remove(struct sim *s, uint16_t slot, bool surprise, char *err, size_t errlen)
{
	struct sim_slot *sl = slot_get(s, slot);
	char who[SIM_NAME_MAX + 32];

	if (!sl) {
		fab_seterr(err, errlen, "no slot %u", slot);
		return -ENOENT;
	}
	if (!sl->card) {
		fab_seterr(err, errlen, "slot %u is empty", slot);
		return -ENOENT;
	}
	if (!surprise && card_bound(sl->card, who, sizeof(who), sl)) {
		fab_seterr(err, errlen, "%s is bound to a host: press the button and unassign first, "
				     "or remove it by surprise", who);
		return -EBUSY;
	}
	if (surprise)
		release_card(s, sl, FMP_EVR_SURPRISE);
	sim_cfg_link_set(sl->port, false, 0, SIM_SLOT_SPEED);
	sim_cfg_slot_set_presence(sl->port, false);
	if (!surprise)
		slot_power_off(sl); /* an orderly removal powers the slot down first (§6.7.1.8) */
	card_free(sl->card);
	sl->card = NULL;
	qos_update(s); /* the card's settings go with it */
	emit(s, FMP_EV_SLOT_PRESENCE, surprise ? FMP_EVR_SURPRISE : FMP_EVR_MANAGED, FMP_PORT_NONE,
	     FMP_VPPB_NONE, slot, NULL, 0);
	return 0;
}

int sim_bench_button(struct sim *s, uint16_t slot, char *err, size_t errlen)
{
	struct sim_slot *sl = slot_get(s, slot);

	if (!sl) {
		fab_seterr(err, errlen, "no slot %u", slot);
		return -ENOENT;
	}
	sim_cfg_slot_press_button(sl->port);
	emit(s, FMP_EV_ATTN_BUTTON, FMP_EVR_NONE, FMP_PORT_NONE, FMP_VPPB_NONE, slot, NULL, 0);
	return 0;
}

int sim_bench_link(struct sim *s, uint8_t port, bool up, char *err, size_t errlen)
{
	struct sim_port *p = port_get(s, port);

	if (!p) {
		fab_seterr(err, errlen, "no host port %u", port);
		return -ENOENT;
	}
	port_set_link(s, p, up);
	return 0;
}

int sim_bench_fault(struct sim *s, uint16_t slot, char *err, size_t errlen)
{
	struct sim_slot *sl = slot_get(s, slot);

	if (!sl) {
		fab_seterr(err, errlen, "no slot %u", slot);
		return -ENOENT;
	}
	/* Power Fault Detected (§7.5.3.11); the power controller cuts the slot */
	sim_cfg_slot_power_fault(sl->port);
	emit(s, FMP_EV_POWER_FAULT, FMP_EVR_FAULT, FMP_PORT_NONE, FMP_VPPB_NONE, slot, NULL, 0);
	slot_cut_power(s, sl);
	return 0;
}

int sim_bench_reboot(struct sim *s, char *err, size_t errlen)
{
	struct sim_pending **done = NULL;
	size_t i, j, n_done = 0, n_pending = 0;
	int rc;

	for (i = 0; i < s->n_ports; i++)
		for (j = 0; j < s->ports[i].n_vppb; j++)
			n_pending += s->ports[i].vppbs[j].pending != NULL;
	if (n_pending) {
		done = calloc(n_pending, sizeof(*done));
		if (!done) {
			fab_seterr(err, errlen, "out of memory");
			return -ENOMEM;
		}
	}
	/* pending handshakes end with the reset: their callers hear 0 (nothing is bound) */
	for (i = 0; i < s->n_ports; i++)
		for (j = 0; j < s->ports[i].n_vppb; j++) {
			struct sim_pending *pend = s->ports[i].vppbs[j].pending;

			if (!pend)
				continue;
			s->ports[i].vppbs[j].pending = NULL;
			sim_hotplug_cancel(pend->hp);
			done[n_done++] = pend; /* freed by on_handshake_closed, later */
		}
	/* every card resets: no bindings, VF Enable 0, NumVFs 0; slots power-cycle */
	for (i = 0; i < s->n_slots; i++) {
		struct sim_slot *sl = &s->slots[i];

		if (sl->card)
			for (j = 0; j < sl->card->n_pfs; j++) {
				struct sim_pf *pf = &sl->card->pf[j];

				memset(&pf->bind, 0, sizeof(pf->bind));
				if (pf->vfs)
					memset(pf->vfs, 0, pf->total_vfs * sizeof(*pf->vfs));
			}
		card_reset_sriov(s, sl, FMP_EVR_RESET);
		rc = slot_build_port(sl, err, errlen);
		if (rc)
			goto out;
	}
	/* virtual switches come back empty, host links retrained */
	for (i = 0; i < s->n_ports; i++) {
		rc = port_build(s, &s->ports[i], err, errlen);
		if (rc)
			goto out;
	}
	s->boot_id = new_boot_id(s->boot_id);
	s->seq = 0;
	s->n_qos = 0; /* QoS settings and counters are the switch's: a reboot clears them */
	emit(s, FMP_EV_SWITCH_RESET, FMP_EVR_RESET, FMP_PORT_NONE, FMP_VPPB_NONE, FMP_SLOT_NONE,
	     NULL, 0);
	rc = 0;
out:
	for (i = 0; i < n_done; i++) {
		struct fmp_unbind_resp resp = {
			.port = s->ports[done[i]->port].number,
			.vppb = (uint8_t)done[i]->vppb,
		};
		sim_unbind_cb cb = done[i]->cb;

		done[i]->cb = NULL;
		if (cb)
			cb(done[i]->arg, 0, &resp);
	}
	free(done);
	return rc;
}

int sim_bench_host(struct sim *s, uint8_t port, bool responds, uint32_t response_ms, char *err,
		   size_t errlen)
{
	struct sim_port *p = port_get(s, port);

	if (!p) {
		fab_seterr(err, errlen, "no host port %u", port);
		return -ENOENT;
	}
	p->host.responds = responds;
	p->host.response_ms = response_ms;
	return 0;
}

/* ---- host view dump, names -------------------------------------------------------------- */

static int dump_one(const struct sim *s, const struct sim_port *p, uint8_t bus, uint8_t devfn,
		    FILE *out, char *err, size_t errlen)
{
	struct sim_cfg *view;
	char desc[128];
	int rc = host_view(s, p, bus, devfn, &view, desc, sizeof(desc));

	if (rc) {
		fab_seterr(err, errlen, "%02x:%02x.%u: %s", bus, PCI_SLOT(devfn), PCI_FUNC(devfn),
			fmp_strerror(rc));
		return rc == -FMP_E_INTERNAL ? -ENOMEM : -EIO;
	}
	rc = lspci_text_write(out, -1, bus, PCI_SLOT(devfn), PCI_FUNC(devfn), desc,
			      sim_cfg_data(view), SIM_CFG_SIZE);
	sim_cfg_free(view);
	if (rc)
		fab_seterr(err, errlen, "writing the dump: %s", strerror(-rc));
	return rc;
}

/* The enabled VFs of the k-th function behind a bound vPPB, at their Routing IDs from
 * that function's 00.k (PCIe r5.0 §9.3.3.10-11); those past the vPPB's subordinate bus
 * would not be this vPPB's, and are not shown. */
static int dump_vfs(const struct sim *s, const struct sim_port *p, unsigned vppb, unsigned k,
		    FILE *out, char *err, size_t errlen)
{
	const struct sim_vppb *v = &p->vppbs[vppb];
	const struct sim_pf *pf = &s->slots[v->slot].card->pf[vppb_pf(v, k)];
	uint16_t num = pf_num_vfs(pf), i;
	uint32_t off, stride;
	int rc = 0;

	if (!num)
		return 0;
	off = sim_cfg_read16(pf->cfg, pf->sriov + PCI_IOV_OFFSET);
	stride = sim_cfg_read16(pf->cfg, pf->sriov + PCI_IOV_STRIDE);
	for (i = 0; !rc && i < num; i++) {
		uint32_t rid = k + off + stride * i;

		if ((rid >> 8) >= sim_vswitch_buses_per_vppb(p->vs))
			break;
		rc = dump_one(s, p, (uint8_t)(sim_vswitch_sec_bus(p->vs, vppb) + (rid >> 8)),
			      (uint8_t)rid, out, err, errlen);
	}
	return rc;
}

int sim_host_view_dump(const struct sim *s, uint8_t port, FILE *out, char *err, size_t errlen)
{
	const struct sim_port *p = port_get(s, port);
	unsigned i, k;
	int rc;

	if (!p) {
		fab_seterr(err, errlen, "no host port %u", port);
		return -ENOENT;
	}
	rc = dump_one(s, p, SIM_USP_BUS, PCI_DEVFN(0, 0), out, err, errlen);
	for (i = 0; !rc && i < p->n_vppb; i++)
		rc = dump_one(s, p, SIM_USP_BUS + 1, (uint8_t)PCI_DEVFN(i, 0), out, err, errlen);
	/* the bound functions, then the VFs a bound PF has enabled */
	for (i = 0; !rc && i < p->n_vppb; i++) {
		const struct sim_vppb *v = &p->vppbs[i];

		if (v->state == FMP_BIND_UNBOUND)
			continue;
		for (k = 0; !rc && k < v->n_fns; k++)
			rc = dump_one(s, p, sim_vswitch_sec_bus(p->vs, i), (uint8_t)PCI_DEVFN(0, k),
				      out, err, errlen);
		for (k = 0; !rc && v->vf == FMP_VF_NONE && k < v->n_fns; k++)
			rc = dump_vfs(s, p, i, k, out, err, errlen);
	}
	return rc;
}

int sim_port_by_name(const struct sim *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n_ports; i++)
		if (!strcmp(s->ports[i].name, name))
			return s->ports[i].number;
	return -1;
}

int sim_slot_by_card_name(const struct sim *s, const char *name)
{
	char *end;
	unsigned long n;
	size_t i;

	for (i = 0; i < s->n_slots; i++)
		if (s->slots[i].card && s->slots[i].card->name[0] &&
		    !strcmp(s->slots[i].card->name, name))
			return s->slots[i].number;
	if (!strncmp(name, "slot", 4) && isdigit((unsigned char)name[4])) {
		n = strtoul(name + 4, &end, 10);
		if (!*end && n <= SIM_SLOT_NUMBER_MAX && slot_get(s, (unsigned)n))
			return (int)n;
	}
	return -1;
}

/* ---- QoS: per-function floors, caps and the fluid traffic model (qos.h) ----------------- */

static struct sim_qos_rec *qos_find(const struct sim *s, const struct fmp_fn_addr *fn)
{
	for (size_t i = 0; i < s->n_qos; i++)
		if (s->qos[i].fn.slot == fn->slot && s->qos[i].fn.pf == fn->pf &&
		    s->qos[i].fn.vf == fn->vf)
			return &s->qos[i];
	return NULL;
}

static struct sim_qos_rec *qos_get(struct sim *s, const struct fmp_fn_addr *fn)
{
	struct sim_qos_rec *q = qos_find(s, fn);

	if (q)
		return q;
	if (s->n_qos == s->cap_qos) {
		size_t cap = s->cap_qos ? 2 * s->cap_qos : 16;
		struct sim_qos_rec *n = realloc(s->qos, cap * sizeof(*n));

		if (!n)
			return NULL;
		s->qos = n;
		s->cap_qos = cap;
	}
	q = &s->qos[s->n_qos++];
	memset(q, 0, sizeof(*q));
	q->fn = *fn;
	q->floor_held = true;
	q->t_ns = uv_hrtime();
	return q;
}

static double qos_bytes_now(const struct sim_qos_rec *q, uint64_t now)
{
	return q->bytes + q->rate_gbps * (double)(now - q->t_ns) / 8.0; /* Gb/s x ns = bits */
}

/* Folds every counter up to now at the old rates, forgets functions that no longer exist,
 * then solves the model for the bindings as they are: links are the host ports (down: 0)
 * and the cards' own links (trained to the lower of card and slot; unpowered: 0). */
static void qos_update(struct sim *s)
{
	uint64_t now = uv_hrtime();
	size_t n_links = s->n_ports + s->n_slots, n = 0, i, j;
	double *links = NULL;
	struct sim_qos_flow *flows = NULL;
	size_t *rec = NULL;

	for (i = j = 0; i < s->n_qos; i++) {
		struct sim_qos_rec q = s->qos[i];
		struct sim_slot *sl;
		struct sim_pf *pf;

		q.bytes = qos_bytes_now(&q, now);
		q.t_ns = now;
		q.rate_gbps = 0;
		q.floor_held = true;
		if (fn_find(s, &q.fn, &sl, &pf, NULL) == 0)
			s->qos[j++] = q;
	}
	s->n_qos = j;
	if (!s->n_qos)
		return;
	links = calloc(n_links ? n_links : 1, sizeof(*links));
	flows = calloc(s->n_qos, sizeof(*flows));
	rec = calloc(s->n_qos, sizeof(*rec));
	if (!links || !flows || !rec)
		goto out; /* out of memory: nothing flows until the next change */
	for (i = 0; i < s->n_ports; i++)
		if (port_flags(&s->ports[i]) & FMP_PORT_F_LINK_UP)
			links[i] = pcie_link_gbps(s->ports[i].width, s->ports[i].speed);
	for (i = 0; i < s->n_slots; i++) {
		const struct sim_slot *sl = &s->slots[i];

		if (sl->card && slot_powered(sl)) {
			const struct sim_profile *p = sl->card->profile;

			links[s->n_ports + i] = pcie_link_gbps(
				p->link_width < SIM_SLOT_WIDTH ? p->link_width : SIM_SLOT_WIDTH,
				p->link_speed < SIM_SLOT_SPEED ? p->link_speed : SIM_SLOT_SPEED);
		}
	}
	for (i = 0; i < s->n_qos; i++) {
		struct sim_qos_rec *q = &s->qos[i];
		struct sim_slot *sl;
		struct sim_pf *pf;
		struct sim_binding *b;

		if (fn_find(s, &q->fn, &sl, &pf, &b))
			continue; /* cannot happen: the fold above kept only functions that exist */
		if (b->state == FMP_BIND_UNBOUND) {
			q->offered_gbps = 0; /* offered load is per binding */
			continue;
		}
		flows[n] = (struct sim_qos_flow){
			.offered_gbps = q->offered_gbps,
			.min_gbps = q->min_mbps / 1000.0,
			.max_gbps = q->max_mbps / 1000.0,
			.n_links = 2,
			.links = { b->port, (uint32_t)(s->n_ports + (size_t)(sl - s->slots)) },
		};
		rec[n++] = i;
	}
	if (sim_qos_solve(links, n_links, flows, n, NULL, 0) == 0)
		for (i = 0; i < n; i++) {
			s->qos[rec[i]].rate_gbps = flows[i].achieved_gbps;
			s->qos[rec[i]].floor_held = flows[i].floor_held;
		}
out:
	free(links);
	free(flows);
	free(rec);
}

int sim_set_qos(struct sim *s, const struct fmp_qos_set_req *req, struct fmp_qos_set_req *out)
{
	struct sim_slot *sl;
	struct sim_pf *pf;
	struct sim_qos_rec *q;
	int rc = fn_find(s, &req->fn, &sl, &pf, NULL);

	if (rc)
		return rc;
	if (req->max_mbps && req->min_mbps > req->max_mbps)
		return -FMP_E_INVALID;
	q = qos_get(s, &req->fn);
	if (!q)
		return -FMP_E_INTERNAL;
	q->min_mbps = req->min_mbps;
	q->max_mbps = req->max_mbps;
	qos_update(s);
	*out = *req;
	return 0;
}

static uint32_t qos_mbps(double gbps)
{
	double mbps = gbps * 1000.0;

	return mbps >= 4294967295.0 ? UINT32_MAX : (uint32_t)mbps;
}

int sim_get_qos(const struct sim *s, const struct fmp_fn_addr *fn, struct fmp_qos_get_resp *out)
{
	struct sim_slot *sl;
	struct sim_pf *pf;
	struct sim_binding *b;
	const struct sim_qos_rec *q;
	struct timespec ts;
	int rc = fn_find(s, fn, &sl, &pf, &b);

	if (rc)
		return rc;
	memset(out, 0, sizeof(*out));
	out->fn = *fn;
	if (b->state != FMP_BIND_UNBOUND)
		out->flags |= FMP_QOS_F_BOUND | FMP_QOS_F_FLOOR_HELD;
	q = qos_find(s, fn);
	if (q) {
		out->min_mbps = q->min_mbps;
		out->max_mbps = q->max_mbps;
		out->offered_mbps = qos_mbps(q->offered_gbps);
		out->achieved_mbps = qos_mbps(q->rate_gbps);
		out->bytes = (uint64_t)qos_bytes_now(q, uv_hrtime());
		if (!q->floor_held)
			out->flags &= (uint8_t)~FMP_QOS_F_FLOOR_HELD;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	out->time_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return 0;
}

int sim_bench_traffic(struct sim *s, uint8_t port, const struct fmp_fn_addr *fn, double gbps,
		      char *err, size_t errlen)
{
	struct sim_port *p = port_get(s, port);
	struct sim_slot *sl;
	struct sim_pf *pf;
	struct sim_binding *b;
	struct sim_qos_rec *q;
	char name[SIM_NAME_MAX + 32];

	if (!p) {
		fab_seterr(err, errlen, "no host port %u", port);
		return -ENOENT;
	}
	if (!(gbps >= 0.0 && gbps <= SIM_TRAFFIC_MAX_GBPS)) {
		fab_seterr(err, errlen, "GBPS %g: not a number of Gb/s from 0 to %d", gbps,
			   SIM_TRAFFIC_MAX_GBPS);
		return -EINVAL;
	}
	if (fn_find(s, fn, &sl, &pf, &b)) {
		fab_seterr(err, errlen, "no function slot %u pf %u vf %d", fn->slot, fn->pf,
			   fn->vf == FMP_VF_NONE ? -1 : (int)fn->vf);
		return -ENOENT;
	}
	fn_name(sl, fn->pf, fn->vf, name, sizeof(name));
	if (b->state == FMP_BIND_UNBOUND || b->port != port_idx(s, p)) {
		fab_seterr(err, errlen, "%s is not bound to host %s", name, p->name);
		return -EINVAL;
	}
	q = qos_get(s, fn);
	if (!q) {
		fab_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	qos_update(s); /* fold the counters at the old rates first */
	q = qos_find(s, fn);
	q->offered_gbps = gbps;
	qos_update(s);
	return 0;
}
