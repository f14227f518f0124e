/* api: the control API's methods (manager/API.md) — read methods render the inventory and
 * the store as JSON; assign/unassign hand over to the engine and answer when it is done;
 * vh and lspci read the host's view from the switch. Every mutating call is audited. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <pci/header.h>

#include "api.h"
#include "apply.h"
#include "control.h"
#include "engine.h"
#include "hooks.h"
#include "lspci_text.h"

#define API_VERSION 1
/* Functions a `functions` page examines at most (filtered out or not): a walk past this many
 * non-matching functions answers a short (even empty) page with a `next`, so a sparse filter
 * over a large inventory cannot hold the loop either. Rendering a function costs ~4 us,
 * examining one ~0.2 us (2-core test machine, Release): a page stays around 1 ms. */
#define API_FN_SCAN (8 * FM_API_FUNCTIONS_PAGE_MAX)

/* ---- JSON views ------------------------------------------------------------------------ */

static struct json_object *jstr(const char *s)
{
	return json_object_new_string(s ? s : "");
}

static struct json_object *jhex16(uint16_t v)
{
	char b[8];

	snprintf(b, sizeof(b), "%04x", v);
	return json_object_new_string(b);
}

static struct json_object *result_new(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "schema", json_object_new_int(1));
	return o;
}

static const char *speed_name(uint8_t speed)
{
	static const char *const names[] = {"unknown", "2.5GT/s", "5GT/s", "8GT/s",
					    "16GT/s", "32GT/s", "64GT/s"};

	return speed < 7 ? names[speed] : "unknown";
}

static const char *fn_state(const struct fm_daemon *d, const struct fm_fn *fn,
			    const struct fm_intent **inp)
{
	const struct fm_intent *in = fm_engine_intent_of(d->engine, fn);

	*inp = in;
	if (in)
		return fm_store_state_name(in->state);
	switch (fn->sw_state) {
	case FMP_BIND_BINDING: return "binding";
	case FMP_BIND_BOUND: return "bound";
	case FMP_BIND_UNBINDING: return "unbinding";
	}
	return "free";
}

static bool fn_reachable(const struct fm_daemon *d, const struct fm_fn *fn)
{
	struct fm_switch *sw = fm_daemon_link(d, fn->card->chassis);

	return fn->card->chassis->discovered && sw && fm_switch_state(sw) == FM_SWITCH_READY;
}

static struct json_object *j_fn(const struct fm_daemon *d, const struct fm_fn *fn)
{
	struct json_object *o = json_object_new_object();
	const struct fm_card *card = fn->card;
	const struct fm_pf *pf = &card->pfs[fn->pf];
	const struct fm_intent *in;
	const char *state = fn_state(d, fn, &in);
	char cls[8];

	json_object_object_add(o, "function", jstr(fn->name));
	json_object_object_add(o, "chassis", jstr(card->chassis->name));
	json_object_object_add(o, "card", jstr(card->name));
	json_object_object_add(o, "slot", json_object_new_int(card->slot));
	json_object_object_add(o, "pf", json_object_new_int(fn->pf));
	if (fn->vf != FMP_VF_NONE)
		json_object_object_add(o, "vf", json_object_new_int(fn->vf));
	json_object_object_add(o, "kind", jstr(fn->vf == FMP_VF_NONE ? "pf" : "vf"));
	{
		/* the switch-side Routing ID (PCIe r5.0 §2.2.4.2), so scripts can check the
		 * SR-IOV arithmetic: as GET_FUNCTIONS reported it, or for a VF not listed
		 * since it was enabled, from its PF's First VF Offset and VF Stride (§9.3.3.10) */
		uint16_t r = fn->rid;
		char rid[16];

		if (fn->vf != FMP_VF_NONE && !r)
			r = (uint16_t)(pf->fns[0].rid + pf->vf_offset + (unsigned)pf->vf_stride * fn->vf);
		snprintf(rid, sizeof(rid), "%02x:%02x.%u", r >> 8, (r >> 3) & 0x1f, r & 7u);
		json_object_object_add(o, "rid", jstr(rid));
	}
	json_object_object_add(o, "vendor", jhex16(fn->vendor));
	json_object_object_add(o, "device", jhex16(fn->device));
	json_object_object_add(o, "vendor_name", jstr(card->vendor_name));
	json_object_object_add(o, "device_name",
			       jstr(fn->vf == FMP_VF_NONE ? pf->device_name : pf->vf_device_name));
	snprintf(cls, sizeof(cls), "%04x", (unsigned)(fn->class_code >> 8));
	json_object_object_add(o, "class", jstr(cls));
	json_object_object_add(o, "class_name", jstr(card->class_name));
	json_object_object_add(o, "enabled", json_object_new_boolean(fn->enabled));
	/* while its switch is away the function is shown as last seen, and says so */
	json_object_object_add(o, "reachable", json_object_new_boolean(fn_reachable(d, fn)));
	json_object_object_add(o, "state", jstr(state));
	if (in || fn->sw_state != FMP_BIND_UNBOUND) {
		const struct fm_host *h = fn->sw_port != FMP_PORT_NONE
						  ? fm_inv_host_by_port(card->chassis, fn->sw_port)
						  : NULL;
		int vppb = fn->sw_vppb != FMP_VPPB_NONE ? fn->sw_vppb : (in ? in->vppb : -1);

		json_object_object_add(o, "host", jstr(in ? in->host : h ? h->name : "?"));
		if (vppb >= 0) {
			json_object_object_add(o, "vppb", json_object_new_int(vppb));
			if (h && vppb < 32 && h->vppb[vppb].sec_bus) {
				char bdf[16];

				snprintf(bdf, sizeof(bdf), "%02x:00.%u", h->vppb[vppb].sec_bus,
					 card->sharing == FMP_SHARING_EXCLUSIVE ? fn->pf : 0);
				json_object_object_add(o, "host_bdf", jstr(bdf));
			}
		}
		if (in) {
			char since[40];

			fm_time_format(in->since_ms, since, sizeof(since));
			json_object_object_add(o, "since", jstr(since));
		}
	}
	return o;
}

static struct json_object *j_host(const struct fm_host *h)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "host", jstr(h->name));
	json_object_object_add(o, "chassis", jstr(h->chassis->name));
	json_object_object_add(o, "port", json_object_new_int(h->port));
	json_object_object_add(o, "switch_name", jstr(h->sw_name));
	json_object_object_add(o, "link", jstr(h->link_up ? "up" : "down"));
	json_object_object_add(o, "width", json_object_new_int(h->width));
	json_object_object_add(o, "speed", jstr(speed_name(h->speed)));
	json_object_object_add(o, "vppbs", json_object_new_int(h->n_vppb));
	json_object_object_add(o, "bound", json_object_new_int(h->n_vppb - fm_host_free_vppbs(h)));
	json_object_object_add(o, "usp_bus", json_object_new_int(h->usp_bus));
	return o;
}

static struct json_object *j_card(const struct fm_card *card)
{
	struct json_object *o = json_object_new_object(), *pfs = json_object_new_array();
	char cls[8];

	json_object_object_add(o, "card", jstr(card->name));
	json_object_object_add(o, "chassis", jstr(card->chassis->name));
	json_object_object_add(o, "slot", json_object_new_int(card->slot));
	json_object_object_add(o, "profile", jstr(card->profile));
	json_object_object_add(o, "sharing", jstr(fmp_sharing_name(card->sharing)));
	json_object_object_add(o, "vendor", jhex16(card->vendor));
	json_object_object_add(o, "device", jhex16(card->n_pfs ? card->pfs[0].device : 0));
	json_object_object_add(o, "vendor_name", jstr(card->vendor_name));
	json_object_object_add(o, "device_name", jstr(card->n_pfs ? card->pfs[0].device_name : ""));
	snprintf(cls, sizeof(cls), "%04x", (unsigned)(card->class_code >> 8));
	json_object_object_add(o, "class", jstr(cls));
	json_object_object_add(o, "class_name", jstr(card->class_name));
	json_object_object_add(o, "serial", jstr(card->serial));
	for (unsigned p = 0; p < card->n_pfs; p++) {
		struct json_object *pf = json_object_new_object();

		json_object_object_add(pf, "pf", json_object_new_int((int)p));
		json_object_object_add(pf, "device", jhex16(card->pfs[p].device));
		json_object_object_add(pf, "total_vfs", json_object_new_int(card->pfs[p].total_vfs));
		json_object_object_add(pf, "num_vfs", json_object_new_int(card->pfs[p].num_vfs));
		if (card->pfs[p].total_vfs)
			json_object_object_add(pf, "vf_device", jhex16(card->pfs[p].vf_device));
		json_object_array_add(pfs, pf);
	}
	json_object_object_add(o, "pfs", pfs);
	json_object_object_add(o, "present", json_object_new_boolean(1));
	return o;
}

static struct json_object *j_slot(const struct fm_slot *s, const struct fm_chassis *ch)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "chassis", jstr(ch->name));
	json_object_object_add(o, "slot", json_object_new_int(s->slot));
	json_object_object_add(o, "label", jstr(s->label));
	json_object_object_add(o, "present", json_object_new_boolean(s->flags & FMP_SLOT_F_PRESENT));
	json_object_object_add(o, "power", json_object_new_boolean(s->flags & FMP_SLOT_F_POWER_ON));
	json_object_object_add(o, "link_active",
			       json_object_new_boolean(s->flags & FMP_SLOT_F_DLL_ACTIVE));
	json_object_object_add(o, "power_fault",
			       json_object_new_boolean(s->flags & FMP_SLOT_F_POWER_FAULT));
	json_object_object_add(o, "attention",
			       jstr(s->flags & FMP_SLOT_F_ATTN_BLINK ? "blink"
				    : s->flags & FMP_SLOT_F_ATTN_ON  ? "on"
								     : "off"));
	if (s->card)
		json_object_object_add(o, "card", jstr(s->card->name));
	return o;
}

static const char *link_state_name(enum fm_switch_state st)
{
	switch (st) {
	case FM_SWITCH_READY: return "ready";
	case FM_SWITCH_CONNECTING: return "connecting";
	case FM_SWITCH_STOPPED: return "stopped";
	default: return "down";
	}
}

static struct json_object *j_switch(const struct fm_daemon *d, unsigned i)
{
	struct fm_chassis *ch = fm_inv_chassis_at(d->inv, i);
	struct fm_switch *sw = d->links[i];
	const struct fmp_hello_resp *h = fm_switch_hello(sw);
	struct json_object *o = json_object_new_object();
	char ep[160], boot[24];

	endpoint_format(fm_switch_endpoint(sw), ep, sizeof(ep));
	json_object_object_add(o, "chassis", jstr(ch->name));
	json_object_object_add(o, "endpoint", jstr(ep));
	json_object_object_add(o, "state", jstr(link_state_name(fm_switch_state(sw))));
	json_object_object_add(o, "discovered", json_object_new_boolean(ch->discovered));
	json_object_object_add(o, "connects", json_object_new_int((int)fm_switch_connects(sw)));
	json_object_object_add(o, "last_error", jstr(fm_switch_last_error(sw)));
	json_object_object_add(o, "model", jstr(h->model));
	json_object_object_add(o, "serial", jstr(h->serial));
	json_object_object_add(o, "firmware", jstr(h->firmware));
	snprintf(boot, sizeof(boot), "%016llx", (unsigned long long)h->boot_id);
	json_object_object_add(o, "boot_id", jstr(boot));
	json_object_object_add(o, "hosts", json_object_new_int((int)ch->n_hosts));
	json_object_object_add(o, "slots", json_object_new_int((int)ch->n_slots));
	json_object_object_add(o, "functions", json_object_new_int((int)ch->n_functions));
	return o;
}

/* Every chassis link, as switch objects. */
static struct json_object *j_switches(const struct fm_daemon *d)
{
	struct json_object *a = json_object_new_array();

	for (unsigned i = 0; i < d->n_links; i++)
		json_object_array_add(a, j_switch(d, i));
	return a;
}

/* ---- parameter helpers ----------------------------------------------------------------- */

/* The chassis a listing is limited to, or NULL for all; answers no-such-chassis itself. */
static int opt_chassis(struct fm_rpc_call *call, struct json_object *params, struct fm_daemon *d,
		       struct fm_chassis **out)
{
	const char *name = NULL;

	*out = NULL;
	if (fm_rpc_param_opt_string(call, params, "chassis", &name))
		return -EINVAL;
	if (name && !(*out = fm_inv_chassis(d->inv, name))) {
		fm_rpc_reply_error(call, FM_RPC_E_NO_SUCH_CHASSIS, "no chassis %s", name);
		return -ENOENT;
	}
	return 0;
}

static const char *const no_params[] = {NULL};
static const char *const chassis_only[] = {"chassis", NULL};

/* ---- read methods ---------------------------------------------------------------------- */

static void m_version(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct json_object *r;

	(void)ctx;
	if (fm_rpc_param_check_known(call, params, no_params))
		return;
	r = result_new();
	json_object_object_add(r, "version", jstr(fm_daemon_version()));
	json_object_object_add(r, "api", json_object_new_int(API_VERSION));
	fm_rpc_reply_result(call, r);
}

static void m_switches(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct fm_daemon *d = ctx;
	struct json_object *r;

	if (fm_rpc_param_check_known(call, params, no_params))
		return;
	r = result_new();
	json_object_object_add(r, "switches", j_switches(d));
	fm_rpc_reply_result(call, r);
}

static void m_status(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct fm_daemon *d = ctx;
	struct json_object *r, *b, *u;
	unsigned counts[4] = {0}, total = 0;

	if (fm_rpc_param_check_known(call, params, no_params))
		return;
	r = result_new();
	json_object_object_add(r, "version", jstr(fm_daemon_version()));
	json_object_object_add(r, "uptime_s", json_object_new_int64((fm_now_ms() - d->started_ms) / 1000));
	json_object_object_add(r, "state_dir", jstr(d->cfg->state_dir));
	json_object_object_add(r, "store", jstr(fm_store_available(d->store) ? "unavailable" : "ok"));
	json_object_object_add(r, "chassis", j_switches(d));
	for (const struct fm_intent *in = fm_engine_intents(d->engine); in; in = in->next) {
		if ((unsigned)in->state < 4)
			counts[in->state]++;
		total++;
	}
	b = json_object_new_object();
	json_object_object_add(b, "total", json_object_new_int((int)total));
	json_object_object_add(b, "binding", json_object_new_int((int)counts[FM_STORE_BINDING]));
	json_object_object_add(b, "bound", json_object_new_int((int)counts[FM_STORE_BOUND]));
	json_object_object_add(b, "unbinding", json_object_new_int((int)counts[FM_STORE_UNBINDING]));
	json_object_object_add(b, "detached", json_object_new_int((int)counts[FM_STORE_DETACHED]));
	json_object_object_add(r, "bindings", b);
	json_object_object_add(r, "operations", json_object_new_int((int)fm_engine_ops(d->engine)));
	json_object_object_add(r, "last_event_seq", json_object_new_int64(fm_store_event_last_seq(d->store)));
	json_object_object_add(r, "connections", json_object_new_int((int)fm_ctl_connections(d->ctl)));
	u = json_object_new_array();
	for (unsigned i = 0; i < d->n_unexpected; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "chassis", jstr(d->unexpected[i].chassis));
		json_object_object_add(e, "host", jstr(d->unexpected[i].host));
		json_object_object_add(e, "vppb", json_object_new_int(d->unexpected[i].vppb));
		json_object_object_add(e, "function", jstr(d->unexpected[i].function));
		json_object_object_add(e, "action", jstr(d->unexpected[i].action));
		json_object_array_add(u, e);
	}
	json_object_object_add(r, "unexpected", u);
	fm_rpc_reply_result(call, r);
}

/* A listing over every chassis (or the one params name): add appends ch's items to a. */
static void list_method(struct fm_rpc_call *call, struct json_object *params, struct fm_daemon *d,
			const char *key,
			void (*add)(struct json_object *a, struct fm_chassis *ch))
{
	struct fm_chassis *only;
	struct json_object *r, *a;

	if (fm_rpc_param_check_known(call, params, chassis_only) ||
	    opt_chassis(call, params, d, &only))
		return;
	r = result_new();
	a = json_object_new_array();
	for (unsigned c = 0; c < fm_inv_chassis_count(d->inv); c++) {
		struct fm_chassis *ch = fm_inv_chassis_at(d->inv, c);

		if (!only || ch == only)
			add(a, ch);
	}
	json_object_object_add(r, key, a);
	fm_rpc_reply_result(call, r);
}

static void add_hosts(struct json_object *a, struct fm_chassis *ch)
{
	for (unsigned i = 0; i < ch->n_hosts; i++)
		json_object_array_add(a, j_host(&ch->hosts[i]));
}

static void add_slots(struct json_object *a, struct fm_chassis *ch)
{
	for (unsigned i = 0; i < ch->n_slots; i++)
		json_object_array_add(a, j_slot(&ch->slots[i], ch));
}

static void add_cards(struct json_object *a, struct fm_chassis *ch)
{
	for (unsigned i = 0; i < ch->n_slots; i++)
		if (ch->slots[i].card)
			json_object_array_add(a, j_card(ch->slots[i].card));
}

static void m_hosts(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	list_method(call, params, ctx, "hosts", add_hosts);
}

static void m_slots(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	list_method(call, params, ctx, "slots", add_slots);
}

static void m_cards(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	list_method(call, params, ctx, "cards", add_cards);
}

static bool fn_is_free(const struct fm_daemon *d, const struct fm_fn *fn)
{
	return fn->sw_state == FMP_BIND_UNBOUND && !fm_engine_intent_of(d->engine, fn);
}

/* The functions bound to a host (by intent, or by the switch). */
static bool fn_on_host(const struct fm_daemon *d, const struct fm_fn *fn, const struct fm_host *h)
{
	const struct fm_intent *in = fm_engine_intent_of(d->engine, fn);

	if (in)
		return !strcmp(in->host, h->name) && !strcmp(in->chassis, h->chassis->name);
	return fn->sw_state != FMP_BIND_UNBOUND && fn->sw_port == h->port &&
	       fn->card->chassis == h->chassis;
}

/*
 * `functions` is paged (API.md): a page holds at most `limit` functions and examines at most
 * API_FN_SCAN functions, so one call holds the loop for about a millisecond and one answer is
 * some 60 KB whatever the inventory's size. The cursor is a position in the walk
 * chassis -> slot -> PF -> function (the PF, then its VFs), not a name: a card removed or
 * inserted between two pages does not break the walk, which resumes at the same place.
 */
struct fn_pos {
	unsigned c, s, p, i;
};

/* "C.S.P.I", four decimal numbers, each at most 65535 (and so no overflow). */
static int cursor_parse(const char *s, struct fn_pos *pos)
{
	unsigned v[4];

	for (int k = 0; k < 4; k++) {
		unsigned n = 0;
		const char *start = s;

		while (*s >= '0' && *s <= '9' && s - start < 6)
			n = n * 10 + (unsigned)(*s++ - '0');
		if (s == start || n > 65535 || *s != (k < 3 ? '.' : '\0'))
			return -EINVAL;
		v[k] = n;
		if (k < 3)
			s++;
	}
	pos->c = v[0];
	pos->s = v[1];
	pos->p = v[2];
	pos->i = v[3];
	return 0;
}

/* The function at *pos or, if there is none there, the next one in walk order (moving *pos
 * to it), restricted to one chassis and one card when given; NULL past the end. */
static struct fm_fn *fn_seek(struct fm_inv *inv, const struct fm_chassis *only,
			     const struct fm_card *card, struct fn_pos *pos)
{
	for (; pos->c < fm_inv_chassis_count(inv); pos->c++, pos->s = 0, pos->p = 0, pos->i = 0) {
		struct fm_chassis *ch = fm_inv_chassis_at(inv, pos->c);

		if (only && ch != only)
			continue;
		for (; pos->s < ch->n_slots; pos->s++, pos->p = 0, pos->i = 0) {
			struct fm_card *cd = ch->slots[pos->s].card;

			if (!cd || (card && cd != card))
				continue;
			for (; pos->p < cd->n_pfs; pos->p++, pos->i = 0)
				if (pos->i <= cd->pfs[pos->p].total_vfs)
					return &cd->pfs[pos->p].fns[pos->i];
		}
	}
	return NULL;
}

static void m_functions(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	static const char *const known[] = {"free", "host", "card", "chassis", "enabled",
					    "limit", "after", NULL};
	struct fm_daemon *d = ctx;
	struct fm_chassis *only;
	const char *host_name = NULL, *card_name = NULL, *after = NULL;
	bool free_only = false, enabled_only = false;
	struct fm_host *host = NULL;
	struct fm_card *card = NULL;
	uint64_t limit = FM_API_FUNCTIONS_PAGE_DEFAULT;
	struct fn_pos pos = {0}, last = {0};
	struct json_object *r, *a;
	unsigned n = 0, scanned = 0;
	bool more = false;
	struct fm_fn *fn;
	bool amb;

	if (fm_rpc_param_check_known(call, params, known) ||
	    fm_rpc_param_opt_bool(call, params, "free", &free_only) ||
	    fm_rpc_param_opt_bool(call, params, "enabled", &enabled_only) ||
	    fm_rpc_param_opt_string(call, params, "host", &host_name) ||
	    fm_rpc_param_opt_string(call, params, "card", &card_name) ||
	    fm_rpc_param_opt_uint(call, params, "limit", 1, FM_API_FUNCTIONS_PAGE_MAX, &limit) ||
	    fm_rpc_param_opt_string(call, params, "after", &after) ||
	    opt_chassis(call, params, d, &only))
		return;
	if (after && cursor_parse(after, &pos)) {
		fm_rpc_reply_error_data(call, FM_RPC_E_BAD_PARAMS,
					json_tokener_parse("{\"param\":\"after\"}"),
					"after: expected the \"next\" of the previous page, got \"%s\"",
					after);
		return;
	}
	if (host_name && !(host = fm_inv_find_host(d->inv, host_name, &amb))) {
		fm_rpc_reply_error(call, FM_RPC_E_NO_SUCH_HOST, "no host %s", host_name);
		return;
	}
	if (card_name && !(card = fm_inv_find_card(d->inv, card_name, &amb))) {
		fm_rpc_reply_error(call, FM_RPC_E_NO_SUCH_CARD, "no card %s", card_name);
		return;
	}
	if (after)
		pos.i++; /* the page starts after the cursor */
	r = result_new();
	a = json_object_new_array();
	while ((fn = fn_seek(d->inv, only, card, &pos))) {
		if (n == limit || scanned == API_FN_SCAN) {
			more = true;
			break;
		}
		scanned++;
		last = pos;
		pos.i++;
		if ((free_only && !fn_is_free(d, fn)) || (enabled_only && !fn->enabled) ||
		    (host && !fn_on_host(d, fn, host)))
			continue;
		json_object_array_add(a, j_fn(d, fn));
		n++;
	}
	json_object_object_add(r, "functions", a);
	if (more) {
		char next[48];

		/* the next page resumes after the last function examined */
		snprintf(next, sizeof(next), "%u.%u.%u.%u", last.c, last.s, last.p, last.i);
		json_object_object_add(r, "next", jstr(next));
	}
	fm_rpc_reply_result(call, r);
}

/* A name whose CHASSIS: prefix names no chassis: answered no-such-chassis. True if so. */
static bool reply_unknown_chassis(struct fm_rpc_call *call, const struct fm_daemon *d,
				  const char *name)
{
	if (!fm_inv_prefix_unknown(d->inv, name))
		return false;
	fm_rpc_reply_error(call, FM_RPC_E_NO_SUCH_CHASSIS, "no chassis %.*s (in %s)",
			   (int)strcspn(name, ":"), name, name);
	return true;
}

static void m_show(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	static const char *const known[] = {"name", NULL};
	struct fm_daemon *d = ctx;
	const char *name;
	struct fm_fn *fn;
	struct fm_host *h;
	struct fm_card *card;
	struct json_object *r, *a;
	bool amb1 = false, amb2 = false, amb3 = false;

	if (fm_rpc_param_check_known(call, params, known) ||
	    fm_rpc_param_string(call, params, "name", &name))
		return;
	if (reply_unknown_chassis(call, d, name))
		return;
	fn = fm_inv_find_fn(d->inv, name, &amb1);
	h = fn ? NULL : fm_inv_find_host(d->inv, name, &amb2);
	card = fn || h ? NULL : fm_inv_find_card(d->inv, name, &amb3);
	r = result_new();
	if (fn) {
		json_object_object_add(r, "type", jstr("function"));
		json_object_object_add(r, "function", j_fn(d, fn));
	} else if (h) {
		json_object_object_add(r, "type", jstr("host"));
		json_object_object_add(r, "host", j_host(h));
		a = json_object_new_array();
		for (unsigned s = 0; s < h->chassis->n_slots; s++) {
			struct fm_card *cd = h->chassis->slots[s].card;

			for (unsigned p = 0; cd && p < cd->n_pfs; p++)
				for (unsigned i = 0; i <= cd->pfs[p].total_vfs; i++)
					if (fn_on_host(d, &cd->pfs[p].fns[i], h))
						json_object_array_add(a, j_fn(d, &cd->pfs[p].fns[i]));
		}
		json_object_object_add(r, "functions", a);
	} else if (card) {
		json_object_object_add(r, "type", jstr("card"));
		json_object_object_add(r, "card", j_card(card));
		a = json_object_new_array();
		for (unsigned p = 0; p < card->n_pfs; p++)
			for (unsigned i = 0; i <= card->pfs[p].total_vfs; i++)
				json_object_array_add(a, j_fn(d, &card->pfs[p].fns[i]));
		json_object_object_add(r, "functions", a);
	} else {
		json_object_put(r);
		if (amb1 || amb2 || amb3)
			fm_rpc_reply_error(call, FM_RPC_E_BAD_REQUEST,
					   "%s is ambiguous: prefix it with CHASSIS:", name);
		else
			fm_rpc_reply_error(call, FM_RPC_E_NO_SUCH_FUNCTION,
					   "no function, host or card named %s", name);
		return;
	}
	fm_rpc_reply_result(call, r);
}

static void m_topology(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct fm_daemon *d = ctx;
	struct json_object *r, *a;

	if (fm_rpc_param_check_known(call, params, no_params))
		return;
	r = result_new();
	a = json_object_new_array();
	for (unsigned c = 0; c < fm_inv_chassis_count(d->inv); c++) {
		struct fm_chassis *ch = fm_inv_chassis_at(d->inv, c);
		struct json_object *o = json_object_new_object(), *hs = json_object_new_array(),
				   *ss = json_object_new_array(), *cs = json_object_new_array(),
				   *bs = json_object_new_array();

		json_object_object_add(o, "chassis", jstr(ch->name));
		json_object_object_add(o, "state", jstr(link_state_name(fm_switch_state(d->links[c]))));
		json_object_object_add(o, "model", jstr(ch->hello.model));
		for (unsigned i = 0; i < ch->n_hosts; i++)
			json_object_array_add(hs, j_host(&ch->hosts[i]));
		for (unsigned i = 0; i < ch->n_slots; i++) {
			struct fm_card *cd = ch->slots[i].card;

			json_object_array_add(ss, j_slot(&ch->slots[i], ch));
			if (!cd)
				continue;
			json_object_array_add(cs, j_card(cd));
			for (unsigned p = 0; p < cd->n_pfs; p++) {
				for (unsigned v = 0; v <= cd->pfs[p].total_vfs; v++) {
					struct fm_fn *fn = &cd->pfs[p].fns[v];
					const struct fm_intent *in;
					const char *st = fn_state(d, fn, &in);
					struct json_object *b;
					const struct fm_host *h;

					if (!strcmp(st, "free"))
						continue;
					if (cd->sharing == FMP_SHARING_EXCLUSIVE && (p || v))
						continue;
					h = fm_inv_host_by_port(ch, fn->sw_port);
					b = json_object_new_object();
					json_object_object_add(b, "function", jstr(fn->name));
					json_object_object_add(b, "card", jstr(cd->name));
					json_object_object_add(b, "host", jstr(in ? in->host : h ? h->name : "?"));
					json_object_object_add(b, "vppb", json_object_new_int(
						fn->sw_vppb != FMP_VPPB_NONE ? fn->sw_vppb : in ? in->vppb : -1));
					json_object_object_add(b, "state", jstr(st));
					json_object_array_add(bs, b);
				}
			}
		}
		json_object_object_add(o, "hosts", hs);
		json_object_object_add(o, "slots", ss);
		json_object_object_add(o, "cards", cs);
		json_object_object_add(o, "bindings", bs);
		json_object_array_add(a, o);
	}
	json_object_object_add(r, "chassis", a);
	fm_rpc_reply_result(call, r);
}

static int add_event(void *arg, const struct fm_store_event *e)
{
	json_object_array_add(arg, fm_event_json(e));
	return 0;
}

/* since (a seq, exclusive) and limit (default 100), the only params of a log listing. */
static int since_limit(struct fm_rpc_call *call, struct json_object *params, uint64_t *since,
		       uint64_t *limit)
{
	static const char *const known[] = {"since", "limit", NULL};

	*since = 0;
	*limit = 100;
	return fm_rpc_param_check_known(call, params, known) ||
	       fm_rpc_param_opt_uint(call, params, "since", 0, INT64_MAX, since) ||
	       fm_rpc_param_opt_uint(call, params, "limit", 1, 100000, limit);
}

static void m_events(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct fm_daemon *d = ctx;
	uint64_t since, limit;
	struct json_object *r, *a;

	if (since_limit(call, params, &since, &limit))
		return;
	r = result_new();
	a = json_object_new_array();
	if (fm_store_event_list(d->store, (int64_t)since, limit, add_event, a)) {
		json_object_put(a);
		json_object_put(r);
		fm_rpc_reply_error(call, FM_RPC_E_INTERNAL, "reading events: %s",
				   fm_store_last_error(d->store));
		return;
	}
	json_object_object_add(r, "events", a);
	json_object_object_add(r, "last_seq", json_object_new_int64(fm_store_event_last_seq(d->store)));
	fm_rpc_reply_result(call, r);
}

struct replay {
	struct fm_ctl_conn *conn;
};

static int replay_event(void *arg, const struct fm_store_event *e)
{
	struct replay *rp = arg;
	struct json_object *o = fm_event_json(e);
	int rc = fm_ctl_notify(rp->conn, "event", o);

	json_object_put(o);
	return rc;
}

static void m_subscribe(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	static const char *const known[] = {"since", NULL};
	struct fm_daemon *d = ctx;
	uint64_t since = UINT64_MAX;
	struct fm_ctl_conn *conn;
	struct json_object *r;
	struct replay rp;
	int64_t last = fm_store_event_last_seq(d->store);

	if (fm_rpc_param_check_known(call, params, known) ||
	    fm_rpc_param_opt_uint(call, params, "since", 0, INT64_MAX, &since))
		return;
	r = result_new();
	json_object_object_add(r, "last_seq", json_object_new_int64(last));
	conn = fm_ctl_subscribe(call);
	fm_rpc_reply_result(call, r);
	/* history after `since` first, then live events follow in seq order: every event
	 * committed after `last` is pushed by fm_daemon_event's commit callback */
	if (conn && since != UINT64_MAX) {
		rp.conn = conn;
		fm_store_event_list(d->store, (int64_t)since, 0, replay_event, &rp);
	}
}

static int add_audit(void *arg, const struct fm_store_audit *a)
{
	struct json_object *o = json_object_new_object();
	char t[40];

	fm_time_format(a->time_ms, t, sizeof(t));
	json_object_object_add(o, "time", jstr(t));
	json_object_object_add(o, "uid", json_object_new_int((int)a->uid));
	json_object_object_add(o, "gid", json_object_new_int((int)a->gid));
	json_object_object_add(o, "pid", json_object_new_int((int)a->pid));
	json_object_object_add(o, "method", jstr(a->method));
	json_object_object_add(o, "params", a->params ? json_tokener_parse(a->params) : NULL);
	json_object_object_add(o, "result", jstr(a->result));
	json_object_object_add(o, "message", jstr(a->message));
	json_object_array_add(arg, o);
	return 0;
}

/* RFC 3339 UTC ("2026-11-25T03:40:12Z") or epoch seconds, to ms. */
static int parse_time(const char *s, int64_t *ms)
{
	struct tm tm;
	char *end;
	long long v;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end && !*end) {
		*ms = (int64_t)timegm(&tm) * 1000;
		return 0;
	}
	v = strtoll(s, &end, 10);
	/* up to 9999-12-31T23:59:59Z: anything later is a typo, and v * 1000 must not overflow */
	if (*s && !*end && v >= 0 && v <= 253402300799LL) {
		*ms = v * 1000;
		return 0;
	}
	return -EINVAL;
}

static void m_audit(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	static const char *const known[] = {"since", "limit", NULL};
	struct fm_daemon *d = ctx;
	const char *since = NULL;
	uint64_t limit = 100;
	int64_t since_ms = 0;
	struct json_object *r, *a;

	if (fm_rpc_param_check_known(call, params, known) ||
	    fm_rpc_param_opt_string(call, params, "since", &since) ||
	    fm_rpc_param_opt_uint(call, params, "limit", 1, 100000, &limit))
		return;
	if (since && parse_time(since, &since_ms)) {
		fm_rpc_reply_error_data(call, FM_RPC_E_BAD_PARAMS,
					json_tokener_parse("{\"param\":\"since\"}"),
					"since: expected RFC 3339 UTC (2026-11-25T03:40:12Z) or epoch seconds, got \"%s\"",
					since);
		return;
	}
	r = result_new();
	a = json_object_new_array();
	fm_store_audit_list(d->store, since_ms, limit, add_audit, a);
	json_object_object_add(r, "audit", a);
	fm_rpc_reply_result(call, r);
}

/* ---- host view: vh and lspci ----------------------------------------------------------- */

/* One host-view read: GET_VH, then READ_CONFIG of every device in the view. */
struct hv {
	struct fm_daemon *d;
	struct fm_rpc_call *call;
	char chassis[FM_NAME_MAX];
	char host[FM_NAME_MAX];
	uint8_t port;
	bool lspci;
	uint32_t gen;
	/* devices of the view: bridges, bound functions, then the VFs the host enabled */
	struct hv_dev {
		uint8_t bus, devfn;
		int vppb;         /* index into the host's vppb[] for what is behind one, else -1 */
		uint8_t pf;       /* behind a vPPB: the card's PF (of a VF: its PF) */
		uint16_t vf;      /* FMP_VF_NONE but for a VF */
		uint8_t cfg[FMP_CONFIG_SPACE_SIZE];
		bool ok;
	} *devs;
	unsigned n_devs, outstanding;
	bool vfs_read;        /* the second pass, the bound PFs' VFs, has been sent */
	int failed;
};

static void hv_free(struct hv *x)
{
	free(x->devs);
	free(x);
}

static struct fm_host *hv_host(struct hv *x, struct fm_chassis **chp)
{
	struct fm_chassis *ch = fm_inv_chassis(x->d->inv, x->chassis);

	*chp = ch;
	return ch && ch->generation == x->gen ? fm_inv_host_by_port(ch, x->port) : NULL;
}

static void describe(struct fm_daemon *d, const uint8_t *cfg, char *buf, size_t len)
{
	struct fm_pci_info info;
	char cls[128] = "", ven[128] = "", dev[128] = "";

	if (fm_pci_decode(d->pci, cfg, FMP_CONFIG_SPACE_SIZE, &info) || !info.ids_valid) {
		snprintf(buf, len, "Device");
		return;
	}
	fm_pci_class_name(d->pci, info.class_code, cls, sizeof(cls));
	fm_pci_vendor_name(d->pci, info.vendor, ven, sizeof(ven));
	fm_pci_device_name(d->pci, info.vendor, info.device, dev, sizeof(dev));
	if (info.revision)
		snprintf(buf, len, "%s: %s %s (rev %02x)", cls, ven, dev, info.revision);
	else
		snprintf(buf, len, "%s: %s %s", cls, ven, dev);
}

static void hv_answer(struct hv *x)
{
	struct fm_chassis *ch;
	struct fm_host *h = hv_host(x, &ch);
	struct json_object *r;

	if (x->failed || !h) {
		fm_rpc_reply_error(x->call, fm_engine_map_status(x->failed ? x->failed : -ECONNRESET),
				   "reading the host view of %s: %s", x->host,
				   x->failed > 0 ? fmp_strerror(x->failed) : "the switch went away");
		hv_free(x);
		return;
	}
	r = result_new();
	json_object_object_add(r, "host", jstr(h->name));
	json_object_object_add(r, "chassis", jstr(ch->name));
	json_object_object_add(r, "port", json_object_new_int(h->port));
	json_object_object_add(r, "link", jstr(h->link_up ? "up" : "down"));
	if (x->lspci) {
		char *text = NULL, desc[400];
		size_t len = 0;

		for (unsigned i = 0; i < x->n_devs; i++) {
			if (!x->devs[i].ok)
				continue;
			describe(x->d, x->devs[i].cfg, desc, sizeof(desc));
			if (lspci_text_append(&text, &len, -1, x->devs[i].bus, x->devs[i].devfn >> 3,
					      x->devs[i].devfn & 7, desc, x->devs[i].cfg,
					      FMP_CONFIG_SPACE_SIZE)) {
				free(text);
				json_object_put(r);
				fm_rpc_reply_error(x->call, FM_RPC_E_INTERNAL, "out of memory");
				hv_free(x);
				return;
			}
		}
		json_object_object_add(r, "dump", jstr(text ? text : ""));
		free(text);
	} else {
		struct json_object *usp = json_object_new_object(), *vs = json_object_new_array();
		char bdf[16], desc[400];

		snprintf(bdf, sizeof(bdf), "%02x:00.0", h->usp_bus);
		json_object_object_add(usp, "bdf", jstr(bdf));
		if (x->n_devs && x->devs[0].ok) {
			describe(x->d, x->devs[0].cfg, desc, sizeof(desc));
			json_object_object_add(usp, "description", jstr(desc));
		}
		json_object_object_add(r, "usp", usp);
		for (unsigned i = 0; i < h->n_vppb_known; i++) {
			const struct fmp_vppb_info *v = &h->vppb[i];
			struct json_object *o = json_object_new_object();
			struct fm_fn *fn = v->bind_state != FMP_BIND_UNBOUND ? fm_inv_fn_by_addr(ch, &v->fn) : NULL;

			json_object_object_add(o, "vppb", json_object_new_int(v->vppb));
			snprintf(bdf, sizeof(bdf), "%02x:%02x.0", h->usp_bus + 1, v->vppb);
			json_object_object_add(o, "bdf", jstr(bdf));
			json_object_object_add(o, "secondary_bus", json_object_new_int(v->sec_bus));
			json_object_object_add(o, "state", jstr(fmp_bind_state_name(v->bind_state)));
			json_object_object_add(o, "presence",
					       json_object_new_boolean(v->slot_flags & FMP_SLOT_F_PRESENT));
			json_object_object_add(o, "link_active",
					       json_object_new_boolean(v->slot_flags & FMP_SLOT_F_DLL_ACTIVE));
			json_object_object_add(o, "function", fn ? j_fn(x->d, fn) : NULL);
			/* everything behind the vPPB: an exclusive card shows all its PFs */
			{
				struct json_object *fa = json_object_new_array();

				if (fn && fn->card->sharing == FMP_SHARING_EXCLUSIVE) {
					for (unsigned p = 0; p < fn->card->n_pfs; p++)
						json_object_array_add(fa, j_fn(x->d, &fn->card->pfs[p].fns[0]));
				} else if (fn) {
					json_object_array_add(fa, j_fn(x->d, fn));
				}
				/* and the VFs the host enabled on a PF it owns, where it sees them */
				for (unsigned k = 0; fn && k < x->n_devs; k++) {
					const struct hv_dev *hd = &x->devs[k];
					struct fmp_fn_addr a = { .slot = v->fn.slot, .pf = hd->pf, .vf = hd->vf };
					struct fm_fn *vf;
					struct json_object *o2;

					if (hd->vppb != (int)i || hd->vf == FMP_VF_NONE || !hd->ok ||
					    !(vf = fm_inv_fn_by_addr(ch, &a)))
						continue;
					o2 = j_fn(x->d, vf);
					snprintf(bdf, sizeof(bdf), "%02x:%02x.%u", hd->bus, hd->devfn >> 3,
						 hd->devfn & 7u);
					json_object_object_add(o2, "host_bdf", jstr(bdf));
					json_object_array_add(fa, o2);
				}
				json_object_object_add(o, "functions", fa);
			}
			json_object_array_add(vs, o);
		}
		json_object_object_add(r, "vppbs", vs);
	}
	fm_rpc_reply_result(x->call, r);
	hv_free(x);
}

static void hv_read_from(struct hv *x, struct fm_chassis *ch, unsigned first);
static int hv_add_vfs(struct hv *x, const struct fm_host *h);
static int hv_dev_cmp(const void *a, const void *b);

static void hv_step_done(struct hv *x)
{
	struct fm_chassis *ch;
	struct fm_host *h;
	unsigned first = x->n_devs;

	if (--x->outstanding)
		return;
	if (!x->vfs_read && !x->failed && (h = hv_host(x, &ch))) {
		x->vfs_read = true;
		if (hv_add_vfs(x, h)) {
			x->failed = -ENOMEM;
		} else if (x->n_devs > first) {
			x->outstanding = 1;
			hv_read_from(x, ch, first);
			hv_step_done(x);
			return;
		}
	}
	/* lspci's order, and the view's: by bus, then device and function */
	qsort(x->devs, x->n_devs, sizeof(*x->devs), hv_dev_cmp);
	hv_answer(x);
}

struct hv_read {
	struct hv *x;
	unsigned i;
};

static void on_hv_config(void *arg, int status, const struct fmp_msg *r)
{
	struct hv_read *rd = arg;
	struct hv *x = rd->x;

	if (!status) {
		memcpy(x->devs[rd->i].cfg, r->u.read_config_resp.data, r->u.read_config_resp.length);
		x->devs[rd->i].ok = true;
	} else if (status != FMP_E_NO_SUCH_FUNCTION && !x->failed) {
		x->failed = status;
	}
	free(rd);
	hv_step_done(x);
}

static int hv_add(struct hv *x, uint8_t bus, uint8_t devfn, int vppb, uint8_t pf, uint16_t vf)
{
	struct hv_dev *v = realloc(x->devs, (x->n_devs + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	x->devs = v;
	memset(&v[x->n_devs], 0xff, sizeof(v[0]));
	v[x->n_devs].bus = bus;
	v[x->n_devs].devfn = devfn;
	v[x->n_devs].vppb = vppb;
	v[x->n_devs].pf = pf;
	v[x->n_devs].vf = vf;
	v[x->n_devs].ok = false;
	x->n_devs++;
	return 0;
}

/* READ_CONFIG of devs[first..]: each answer counts x->outstanding down. */
static void hv_read_from(struct hv *x, struct fm_chassis *ch, unsigned first)
{
	for (unsigned i = first; i < x->n_devs; i++) {
		struct hv_read *rd = calloc(1, sizeof(*rd));
		struct fmp_msg m;
		struct fm_switch *sw = fm_daemon_link(x->d, ch);

		if (!rd || !sw) {
			free(rd);
			x->failed = sw ? -ENOMEM : -ENOTCONN;
			break;
		}
		rd->x = x;
		rd->i = i;
		memset(&m, 0, sizeof(m));
		m.hdr.opcode = FMP_OP_READ_CONFIG;
		m.u.read_config_req.target = FMP_CFG_HOST;
		m.u.read_config_req.port = x->port;
		m.u.read_config_req.bus = x->devs[i].bus;
		m.u.read_config_req.devfn = x->devs[i].devfn;
		m.u.read_config_req.fn.slot = FMP_SLOT_NONE;
		m.u.read_config_req.fn.vf = FMP_VF_NONE;
		m.u.read_config_req.length = FMP_CONFIG_SPACE_SIZE;
		if (fm_switch_request(sw, &m, 0, on_hv_config, rd)) {
			free(rd);
			x->failed = -ENOTCONN;
			break;
		}
		x->outstanding++;
	}
}

/* The second pass: a bound PF the host owns may have VFs its driver enabled (SR-IOV
 * Control VF Enable, NumVFs, written by the host); they answer where First VF Offset and
 * VF Stride put them from the PF's Routing ID (PCIe r5.0 §9.3.3.10-11), as read now. */
static int hv_add_vfs(struct hv *x, const struct fm_host *h)
{
	unsigned n = x->n_devs;

	for (unsigned i = 0; i < n; i++) {
		struct fm_pci_info info;
		const struct fm_pci_sriov *sr = &info.sriov;
		uint32_t pf_rid = (uint32_t)x->devs[i].bus << 8 | x->devs[i].devfn;
		unsigned sub = 0;

		if (x->devs[i].vppb < 0 || x->devs[i].vppb >= (int)h->n_vppb_known ||
		    x->devs[i].vf != FMP_VF_NONE || !x->devs[i].ok ||
		    fm_pci_decode(x->d->pci, x->devs[i].cfg, FMP_CONFIG_SPACE_SIZE, &info) ||
		    !sr->present || !(sr->control & PCI_IOV_CTRL_VFE))
			continue;
		/* only where the host can reach: up to the vPPB's Subordinate Bus Number, so a
		 * switch reporting absurd NumVFs cannot make this read past the vPPB */
		for (unsigned j = 0; j < n; j++)
			if (x->devs[j].vppb < 0 && x->devs[j].ok && x->devs[j].bus == h->usp_bus + 1 &&
			    x->devs[j].devfn == (uint8_t)(h->vppb[x->devs[i].vppb].vppb << 3))
				sub = x->devs[j].cfg[PCI_SUBORDINATE_BUS];
		for (uint32_t k = 0; k < sr->num_vfs && k < sr->total_vfs; k++) {
			uint32_t rid = pf_rid + sr->vf_offset + (uint32_t)sr->vf_stride * k;

			if (rid >> 8 > sub || (!sr->vf_stride && k))
				break; /* past the bus range, or stride 0: one VF (§9.3.3.11) */
			if (hv_add(x, (uint8_t)(rid >> 8), (uint8_t)rid, x->devs[i].vppb,
				   x->devs[i].pf, (uint16_t)k))
				return -ENOMEM;
		}
	}
	return 0;
}

static int hv_dev_cmp(const void *a, const void *b)
{
	const struct hv_dev *p = a, *q = b;

	return (p->bus << 8 | p->devfn) - (q->bus << 8 | q->devfn);
}

static void on_hv_vh(void *arg, int status, const struct fmp_msg *r)
{
	struct hv *x = arg;
	struct fm_chassis *ch;
	struct fm_host *h;

	if (status) {
		x->failed = status;
		hv_answer(x);
		return;
	}
	h = hv_host(x, &ch);
	if (!h) {
		hv_answer(x);
		return;
	}
	if (r->u.vh_resp.port != x->port) {
		x->failed = FMP_E_BAD_FRAME; /* an answer about another host: do not believe it */
		hv_answer(x);
		return;
	}
	fm_inv_set_vh(ch, &r->u.vh_resp);
	/* the host's view, as its enumeration walks it: upstream bridge, the downstream
	 * bridges (device number = vPPB), then what is bound behind each */
	if (hv_add(x, h->usp_bus, 0, -1, 0, FMP_VF_NONE))
		goto nomem;
	for (unsigned i = 0; i < h->n_vppb_known; i++)
		if (hv_add(x, (uint8_t)(h->usp_bus + 1), (uint8_t)(h->vppb[i].vppb << 3), -1, 0,
			   FMP_VF_NONE))
			goto nomem;
	for (unsigned i = 0; i < h->n_vppb_known; i++) {
		const struct fmp_vppb_info *v = &h->vppb[i];
		struct fm_card *card;
		unsigned nfn = 1;

		if (v->bind_state != FMP_BIND_BOUND)
			continue;
		card = fm_inv_card_by_slot(ch, v->fn.slot);
		if (card && card->sharing == FMP_SHARING_EXCLUSIVE)
			nfn = card->n_pfs; /* the whole card: one multi-function device */
		for (unsigned f = 0; f < nfn; f++)
			if (hv_add(x, v->sec_bus, (uint8_t)f, (int)i, nfn > 1 ? (uint8_t)f : v->fn.pf,
				   FMP_VF_NONE))
				goto nomem;
	}
	x->outstanding = 1;
	hv_read_from(x, ch, 0);
	hv_step_done(x);
	return;
nomem:
	x->failed = -ENOMEM;
	hv_answer(x);
}

static void host_view(struct fm_rpc_call *call, struct json_object *params, struct fm_daemon *d,
		      bool lspci)
{
	static const char *const known[] = {"host", NULL};
	const char *name;
	struct fm_host *h;
	struct fm_switch *sw;
	struct hv *x;
	struct fmp_msg m;
	bool amb = false;

	if (fm_rpc_param_check_known(call, params, known) ||
	    fm_rpc_param_string(call, params, "host", &name))
		return;
	if (reply_unknown_chassis(call, d, name))
		return;
	h = fm_inv_find_host(d->inv, name, &amb);
	if (!h) {
		fm_rpc_reply_error(call, amb ? FM_RPC_E_BAD_REQUEST : FM_RPC_E_NO_SUCH_HOST,
				   amb ? "host %s is ambiguous: prefix it with CHASSIS:" : "no host %s", name);
		return;
	}
	sw = fm_daemon_link(d, h->chassis);
	if (!sw || fm_switch_state(sw) != FM_SWITCH_READY) {
		fm_rpc_reply_error(call, FM_RPC_E_SWITCH_UNREACHABLE, "chassis %s is not connected",
				   h->chassis->name);
		return;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		fm_rpc_reply_error(call, FM_RPC_E_INTERNAL, "out of memory");
		return;
	}
	x->d = d;
	x->call = call;
	x->lspci = lspci;
	x->port = h->port;
	x->gen = h->chassis->generation;
	snprintf(x->chassis, sizeof(x->chassis), "%s", h->chassis->name);
	snprintf(x->host, sizeof(x->host), "%s", h->name);
	memset(&m, 0, sizeof(m));
	m.hdr.opcode = FMP_OP_GET_VH;
	m.u.vh_req.port = h->port;
	if (fm_switch_request(sw, &m, 0, on_hv_vh, x)) {
		free(x);
		fm_rpc_reply_error(call, FM_RPC_E_SWITCH_UNREACHABLE, "chassis %s is not connected",
				   h->chassis->name);
	}
}

static void m_vh(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	host_view(call, params, ctx, false);
}

static void m_lspci(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	host_view(call, params, ctx, true);
}

/* ---- mutating methods ------------------------------------------------------------------ */

/* A mutating call in flight: the engine writes its audit record (with the intent, or before
 * answering when nothing is written), then answers it. */
struct mcall {
	struct fm_daemon *d;
	struct fm_rpc_call *call;
	char *params;
	char method[16];
	struct fm_rpc_peer peer;
};

static void audit_done(void *arg, int rc)
{
	(void)arg;
	(void)rc;
}

/* A call refused before the engine saw it. */
static void audit(struct fm_daemon *d, const struct fm_rpc_peer *peer, const char *method,
		  const char *params, const char *result, const char *message)
{
	struct fm_store_audit a = {0};

	a.uid = peer->uid;
	a.gid = peer->gid;
	a.pid = peer->pid;
	a.method = method;
	a.params = params;
	a.result = result;
	a.message = message;
	if (fm_store_audit_append(d->store, &a, audit_done, NULL))
		fm_log(d, FM_LOG_ERR, "audit record lost: %s", fm_store_last_error(d->store));
}

/* The record the engine writes for mc (its result is the engine's). */
static struct fm_store_audit mcall_audit(const struct mcall *mc)
{
	struct fm_store_audit a = {0};

	a.uid = mc->peer.uid;
	a.gid = mc->peer.gid;
	a.pid = mc->peer.pid;
	a.method = mc->method;
	a.params = mc->params;
	return a;
}

static void mcall_done(void *arg, bool ok, enum fm_rpc_code code, const char *message,
		       struct json_object *obj)
{
	struct mcall *mc = arg;

	if (ok)
		fm_rpc_reply_result(mc->call, obj);
	else
		fm_rpc_reply_error_data(mc->call, code, obj, "%s", message);
	free(mc->params);
	free(mc);
}

static struct mcall *mcall_new(struct fm_daemon *d, struct fm_rpc_call *call,
			       struct json_object *params, const char *method)
{
	struct mcall *mc = calloc(1, sizeof(*mc));

	if (!mc) {
		fm_rpc_reply_error(call, FM_RPC_E_INTERNAL, "out of memory");
		return NULL;
	}
	mc->d = d;
	mc->call = call;
	mc->params = strdup(json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN));
	snprintf(mc->method, sizeof(mc->method), "%s", method);
	mc->peer = *fm_rpc_call_peer(call);
	return mc;
}

static void m_assign(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	static const char *const known[] = {"function", "card", "any", "host", "dry_run", NULL};
	struct fm_daemon *d = ctx;
	struct fm_assign_req req = {0};
	struct mcall *mc;

	if (fm_rpc_param_check_known(call, params, known) ||
	    fm_rpc_param_opt_string(call, params, "function", &req.function) ||
	    fm_rpc_param_opt_string(call, params, "card", &req.card) ||
	    fm_rpc_param_opt_bool(call, params, "any", &req.any) ||
	    fm_rpc_param_string(call, params, "host", &req.host) ||
	    fm_rpc_param_opt_bool(call, params, "dry_run", &req.dry_run))
		return;
	if (req.any ? (!req.card || req.function) : (!req.function || req.card)) {
		fm_rpc_reply_error_data(call, FM_RPC_E_BAD_PARAMS,
					json_tokener_parse(req.any ? "{\"param\":\"card\"}" : "{\"param\":\"function\"}"),
					req.any ? "assign with any=true takes card (and no function)"
						: "assign takes function (or card with any=true)");
		return;
	}
	mc = mcall_new(d, call, params, "assign");
	if (mc) {
		struct fm_store_audit a = mcall_audit(mc);

		req.audit = &a;
		fm_engine_assign(d->engine, &req, mcall_done, mc);
	}
}

static void m_unassign(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	static const char *const known[] = {"function", "mode", "force", "timeout_ms", "dry_run", NULL};
	struct fm_daemon *d = ctx;
	struct fm_unassign_req req = {0};
	const char *mode = NULL;
	uint64_t timeout = 0;
	struct mcall *mc;

	if (fm_rpc_param_check_known(call, params, known) ||
	    fm_rpc_param_string(call, params, "function", &req.function) ||
	    fm_rpc_param_opt_string(call, params, "mode", &mode) ||
	    fm_rpc_param_opt_bool(call, params, "force", &req.force) ||
	    fm_rpc_param_opt_uint(call, params, "timeout_ms", 1, 3600000, &timeout) ||
	    fm_rpc_param_opt_bool(call, params, "dry_run", &req.dry_run))
		return;
	if (mode && strcmp(mode, "managed") && strcmp(mode, "surprise")) {
		fm_rpc_reply_error_data(call, FM_RPC_E_BAD_PARAMS,
					json_tokener_parse("{\"param\":\"mode\"}"),
					"mode: expected \"managed\" or \"surprise\", got \"%s\"", mode);
		return;
	}
	req.mode = mode && !strcmp(mode, "surprise") ? FMP_UNBIND_SURPRISE : FMP_UNBIND_MANAGED;
	req.timeout_ms = (uint32_t)timeout;
	mc = mcall_new(d, call, params, "unassign");
	if (mc) {
		struct fm_store_audit a = mcall_audit(mc);

		req.audit = &a;
		fm_engine_unassign(d->engine, &req, mcall_done, mc);
	}
}

/* apply (manager/apply.h): the file's text travels in the call, so fabricd reads what
 * fabric-ctl read, and messages name the file as the operator gave it. */
static void m_apply(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	static const char *const known[] = {"file", "content", "dry_run", "prune", NULL};
	struct fm_daemon *d = ctx;
	struct fm_apply_req req = {0};
	struct json_object *content;
	struct mcall *mc;

	if (fm_rpc_param_check_known(call, params, known) ||
	    fm_rpc_param_opt_string(call, params, "file", &req.file) ||
	    fm_rpc_param_string(call, params, "content", &req.content) ||
	    fm_rpc_param_opt_bool(call, params, "dry_run", &req.dry_run) ||
	    fm_rpc_param_opt_bool(call, params, "prune", &req.prune))
		return;
	json_object_object_get_ex(params, "content", &content);
	req.len = (size_t)json_object_get_string_len(content);
	if (!req.file || !*req.file)
		req.file = "bindings.yaml";
	mc = mcall_new(d, call, params, "apply");
	if (mc) {
		struct fm_store_audit a = mcall_audit(mc);

		a.params = NULL; /* the steps and the call are recorded by apply.c */
		req.audit = &a;
		fm_apply_run(d, &req, mcall_done, mc);
	}
}

static void m_export(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct fm_daemon *d = ctx;
	struct json_object *o;

	if (fm_rpc_param_check_known(call, params, no_params))
		return;
	o = fm_apply_export(d);
	if (!o) {
		fm_rpc_reply_error(call, FM_RPC_E_INTERNAL, "out of memory");
		return;
	}
	fm_rpc_reply_result(call, o);
}

static void on_denied(void *ctx, const struct fm_rpc_peer *peer, const char *method,
		      struct json_object *params, const char *reason)
{
	struct fm_daemon *d = ctx;

	fm_log(d, FM_LOG_INFO, "denied %s to uid %u pid %d: %s", method, (unsigned)peer->uid,
	       (int)peer->pid, reason);
	/* API.md: every mutating call, allowed or not, is audited with its params */
	audit(d, peer, method,
	      params ? json_object_to_json_string_ext(params, JSON_C_TO_STRING_PLAIN) : NULL,
	      "permission-denied", reason);
}

/* ---- hooks ---------------------------------------------------------------------------- */

static void m_hooks(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct fm_daemon *d = ctx;
	struct json_object *r;

	if (fm_rpc_param_check_known(call, params, no_params))
		return;
	r = fm_hooks_list_json(d->hooks);
	json_object_object_add(r, "schema", json_object_new_int(1));
	fm_rpc_reply_result(call, r);
}

static int add_run(void *arg, const struct fm_store_hook_run *run)
{
	json_object_array_add(arg, fm_hooks_run_json(run));
	return 0;
}

static void m_hook_runs(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	struct fm_daemon *d = ctx;
	uint64_t since, limit;
	struct json_object *r, *a;

	if (since_limit(call, params, &since, &limit))
		return;
	a = json_object_new_array();
	if (fm_store_hook_run_list(d->store, (int64_t)since, 0, limit, add_run, a)) {
		json_object_put(a);
		fm_rpc_reply_error(call, FM_RPC_E_INTERNAL, "reading hook runs: %s",
				   fm_store_last_error(d->store));
		return;
	}
	r = result_new();
	json_object_object_add(r, "runs", a);
	fm_rpc_reply_result(call, r);
}

/* Events a hook can be tested with: what fabricd raises, as hooks get it. */
static const char *const hook_events[] = {
	"card-added", "card-removed", "attention-button", "link-up", "link-down", "power-fault",
	"function-assigned", "function-unassigned", "function-detached", "function-restored",
	"binding-unexpected", "switch-connected", "switch-lost", "pre-assign", "pre-unassign", NULL};

struct hook_test {
	struct fm_rpc_call *call;
	struct json_object *event;
};

static void hook_test_done(void *arg, struct json_object *runs)
{
	struct hook_test *t = arg;
	struct json_object *r = result_new();

	json_object_object_add(r, "event", t->event);
	json_object_object_add(r, "runs", runs ? runs : json_object_new_array());
	fm_rpc_reply_result(t->call, r);
	free(t);
}

static void m_hook_test(struct fm_rpc_call *call, struct json_object *params, void *ctx)
{
	static const char *const known[] = {"event", "function", "host", NULL};
	struct fm_daemon *d = ctx;
	const char *name = NULL, *function = NULL, *host = NULL;
	struct fm_store_event e = {.slot = -1, .vppb = -1};
	char vendor[8], device[8];
	struct fm_fn *fn = NULL;
	struct fm_host *h = NULL;
	struct hook_test *t;
	bool amb = false;
	size_t i;

	if (fm_rpc_param_check_known(call, params, known) ||
	    fm_rpc_param_string(call, params, "event", &name) ||
	    fm_rpc_param_opt_string(call, params, "function", &function) ||
	    fm_rpc_param_opt_string(call, params, "host", &host))
		return;
	for (i = 0; hook_events[i] && strcmp(hook_events[i], name); i++)
		;
	if (!hook_events[i]) {
		fm_rpc_reply_error_data(call, FM_RPC_E_BAD_PARAMS, json_tokener_parse("{\"param\":\"event\"}"),
					"event: unknown event \"%s\" (card-added, card-removed, "
					"attention-button, link-up, link-down, power-fault, function-assigned, "
					"function-unassigned, function-detached, function-restored, "
					"binding-unexpected, switch-connected, switch-lost, pre-assign, pre-unassign)",
					name);
		return;
	}
	if (function && !(fn = fm_inv_find_fn(d->inv, function, &amb))) {
		fm_rpc_reply_error(call, amb ? FM_RPC_E_BAD_REQUEST : FM_RPC_E_NO_SUCH_FUNCTION,
				   amb ? "function name %s is ambiguous: prefix it with CHASSIS:" : "no function %s",
				   function);
		return;
	}
	if (host && !(h = fm_inv_find_host(d->inv, host, &amb))) {
		fm_rpc_reply_error(call, amb ? FM_RPC_E_BAD_REQUEST : FM_RPC_E_NO_SUCH_HOST,
				   amb ? "host name %s is ambiguous: prefix it with CHASSIS:" : "no host %s", host);
		return;
	}
	e.name = name;
	e.time_ms = fm_now_ms();
	if (fn) {
		e.chassis = fn->card->chassis->name;
		e.slot = fn->card->slot;
		e.card = fn->card->name;
		e.function = fn->name;
		e.serial = fn->card->serial;
		snprintf(vendor, sizeof(vendor), "%04x", fn->vendor);
		snprintf(device, sizeof(device), "%04x", fn->device);
		e.vendor = vendor;
		e.device = device;
	}
	if (h) {
		e.chassis = h->chassis->name;
		e.host = h->name;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		fm_rpc_reply_error(call, FM_RPC_E_INTERNAL, "out of memory");
		return;
	}
	t->call = call;
	t->event = fm_event_json(&e);
	fm_hooks_test(d->hooks, &e, hook_test_done, t);
}

static void on_ctl_log(void *ctx, const char *msg)
{
	fm_log(ctx, FM_LOG_INFO, "%s", msg);
}

static const struct fm_rpc_method methods[] = {
	{"apply", FM_RPC_MUTATING, m_apply},
	{"assign", FM_RPC_MUTATING, m_assign},
	{"audit", FM_RPC_PRIVILEGED, m_audit}, /* everyone's params: not for every local user */
	{"cards", 0, m_cards},
	{"events", 0, m_events},
	{"export", 0, m_export},
	{"functions", 0, m_functions},
	{"hook_runs", 0, m_hook_runs},
	{"hook_test", FM_RPC_MUTATING, m_hook_test},
	{"hooks", 0, m_hooks},
	{"hosts", 0, m_hosts},
	{"lspci", 0, m_lspci},
	{"show", 0, m_show},
	{"slots", 0, m_slots},
	{"status", 0, m_status},
	{"subscribe", 0, m_subscribe},
	{"switches", 0, m_switches},
	{"topology", 0, m_topology},
	{"unassign", FM_RPC_MUTATING, m_unassign},
	{"version", 0, m_version},
	{"vh", 0, m_vh},
};

int fm_api_start(struct fm_daemon *d, char *err, size_t errlen)
{
	struct fm_ctl_config cfg = {0};

	cfg.path = d->cfg->socket_path;
	cfg.mode = d->cfg->socket_mode;
	cfg.group = d->cfg->socket_group;
	cfg.daemon_uid = getuid();
	cfg.methods = methods;
	cfg.n_methods = sizeof(methods) / sizeof(methods[0]);
	cfg.ctx = d;
	cfg.denied = on_denied;
	cfg.log = on_ctl_log;
	cfg.stall_timeout_ms = d->cfg->timeouts.control_stall_ms;
	return fm_ctl_new(d->loop, &cfg, &d->ctl, err, errlen);
}
