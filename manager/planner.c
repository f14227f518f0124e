/* planner: resolves a bindings file against the inventory and the intents into a plan, and
 * checks the whole plan before anything is done (planner.h). The rules are the engine's
 * (DESIGN.md "Assignment engine"), applied to the plan's outcome rather than one call. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index.h"
#include "planner.h"

#define KEY_MAX sizeof(((struct fm_intent *)0)->key)

const char *fm_plan_action_name(enum fm_plan_action a)
{
	static const char *const names[] = { "unchanged", "assign", "unassign", "move",
					     "qos-change" };

	return (unsigned)a < FM_PLAN__COUNT ? names[a] : "?";
}

struct fm_qos fm_plan_intent_qos(const struct fm_intent *in)
{
	struct fm_qos q = { 0, 0 };

	(void)in; /* intents carry no QoS until the admission work lands (issue 14) */
	return q;
}

void fm_plan_free(struct fm_plan *p)
{
	if (!p)
		return;
	free(p->steps);
	free(p);
}

struct planner {
	const struct fm_plan_input *in;
	struct fm_plan *plan;
	size_t cap;
	struct fm_index *intents; /* key -> struct fm_intent */
	struct fm_index *claimed; /* key -> 1 + the entry that wants it */
	bool multi;               /* several chassis: names shown with CHASSIS: */
	enum fm_rpc_code *code;
	int *entry;
	char *err;
	size_t errlen;
};

static int fail(struct planner *pl, int entry, enum fm_rpc_code code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct planner *pl, int entry, enum fm_rpc_code code, const char *fmt, ...)
{
	va_list ap;
	size_t n = 0;

	if (entry >= 0) {
		snprintf(pl->err, pl->errlen, "%s: ", pl->in->file->v[entry].where);
		n = strlen(pl->err);
	}
	va_start(ap, fmt);
	if (n < pl->errlen)
		vsnprintf(pl->err + n, pl->errlen - n, fmt, ap);
	va_end(ap);
	*pl->code = code;
	*pl->entry = entry;
	return -EINVAL;
}

/* The binding key of fn (an exclusive card's functions share pf0's), as the engine's. */
static void fn_key(const struct fm_fn *fn, char *buf, size_t len)
{
	bool whole = fn->card->sharing == FMP_SHARING_EXCLUSIVE;

	snprintf(buf, len, "%s|%s|%d|%d", fn->card->chassis->name, fn->card->serial,
		 whole ? 0 : fn->pf, whole || fn->vf == FMP_VF_NONE ? -1 : fn->vf);
}

static void fn_names(const struct planner *pl, const struct fm_fn *fn, char *show, char *target)
{
	const struct fm_card *c = fn->card;
	bool whole = c->sharing == FMP_SHARING_EXCLUSIVE;

	snprintf(show, FM_PLAN_NAME_MAX, "%s%s%s", pl->multi ? c->chassis->name : "",
		 pl->multi ? ":" : "", whole ? c->name : fn->name);
	snprintf(target, FM_PLAN_NAME_MAX, "%s:%s", c->chassis->name,
		 whole ? c->pfs[0].fns[0].name : fn->name);
}

static void host_names(const struct planner *pl, const char *chassis, const char *host,
		       char *show, char *target)
{
	snprintf(show, FM_PLAN_NAME_MAX, "%s%s%s", pl->multi ? chassis : "", pl->multi ? ":" : "",
		 host);
	snprintf(target, FM_PLAN_NAME_MAX, "%s:%s", chassis, host);
}

static const struct fm_fn *intent_fn(const struct fm_inv *inv, const struct fm_intent *in)
{
	struct fm_chassis *ch = fm_inv_chassis(inv, in->chassis);
	struct fm_card *card = ch ? fm_inv_card_by_serial(ch, in->serial) : NULL;

	return card ? fm_inv_fn_at(card, (uint8_t)in->pf,
				   in->vf < 0 ? FMP_VF_NONE : (uint16_t)in->vf)
		    : NULL;
}

static const struct fm_host *intent_host(const struct fm_inv *inv, const struct fm_intent *in)
{
	char name[FM_PLAN_NAME_MAX];

	snprintf(name, sizeof(name), "%s:%s", in->chassis, in->host);
	return fm_inv_find_host(inv, name, NULL);
}

static struct fm_plan_step *add_step(struct planner *pl)
{
	struct fm_plan *p = pl->plan;

	if (p->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 32;
		struct fm_plan_step *s = realloc(p->steps, cap * sizeof(*s));

		if (!s)
			return NULL;
		p->steps = s;
		pl->cap = cap;
	}
	memset(&p->steps[p->n], 0, sizeof(p->steps[0]));
	return &p->steps[p->n++];
}

/* " (chassis X is not connected)" when a chassis is not read yet: why a name may be missing. */
static void not_read_hint(const struct planner *pl, char *buf, size_t len)
{
	buf[0] = '\0';
	for (unsigned i = 0; i < fm_inv_chassis_count(pl->in->inv); i++) {
		const struct fm_chassis *ch = fm_inv_chassis_at(pl->in->inv, i);

		if (!ch->discovered) {
			snprintf(buf, len, " (chassis %s is not connected)", ch->name);
			return;
		}
	}
}

static int resolve_host(struct planner *pl, int i, const struct fm_host **out)
{
	const struct fm_bindings_entry *e = &pl->in->file->v[i];
	bool amb = false;
	char hint[96];

	*out = fm_inv_find_host(pl->in->inv, e->host, &amb);
	if (*out)
		return 0;
	if (fm_inv_prefix_unknown(pl->in->inv, e->host))
		return fail(pl, i, FM_RPC_E_NO_SUCH_CHASSIS, "no chassis %.*s (in host %s)",
			    (int)strcspn(e->host, ":"), e->host, e->host);
	if (amb)
		return fail(pl, i, FM_RPC_E_BAD_REQUEST,
			    "host name %s is ambiguous: prefix it with CHASSIS:", e->host);
	not_read_hint(pl, hint, sizeof(hint));
	return fail(pl, i, FM_RPC_E_NO_SUCH_HOST, "no host %s%s", e->host, hint);
}

/* A function by name: CARD/pfN[/vfM], or an exclusive card's name alone (it goes whole). */
static int resolve_fn(struct planner *pl, int i, const struct fm_fn **out)
{
	const struct fm_bindings_entry *e = &pl->in->file->v[i];
	const char *local = strchr(e->function, ':') ? strchr(e->function, ':') + 1 : e->function;
	const struct fm_fn *fn;
	bool amb = false;
	char hint[96];

	if (fm_inv_prefix_unknown(pl->in->inv, e->function))
		return fail(pl, i, FM_RPC_E_NO_SUCH_CHASSIS, "no chassis %.*s (in %s)",
			    (int)strcspn(e->function, ":"), e->function, e->function);
	if (!strchr(local, '/')) {
		const struct fm_card *card = fm_inv_find_card(pl->in->inv, e->function, &amb);

		if (card && card->sharing != FMP_SHARING_EXCLUSIVE)
			return fail(pl, i, FM_RPC_E_SHARING_MODE,
				    "%s is an %s card: name its functions (%s/pfN%s) or ask {card: %s, count: N}",
				    e->function, fmp_sharing_name(card->sharing), card->name,
				    card->sharing == FMP_SHARING_SRIOV ? "/vfM" : "", card->name);
		fn = card ? &card->pfs[0].fns[0] : NULL;
	} else {
		fn = fm_inv_find_fn(pl->in->inv, e->function, &amb);
	}
	if (!fn) {
		if (amb)
			return fail(pl, i, FM_RPC_E_BAD_REQUEST,
				    "%s is ambiguous: prefix it with CHASSIS:", e->function);
		not_read_hint(pl, hint, sizeof(hint));
		return fail(pl, i, FM_RPC_E_NO_SUCH_FUNCTION, "no function %s%s", e->function, hint);
	}
	/* the sharing mode decides what can be bound (DESIGN.md Vocabulary), as the engine */
	if (fn->card->sharing == FMP_SHARING_SRIOV && fn->vf == FMP_VF_NONE)
		return fail(pl, i, FM_RPC_E_SHARING_MODE,
			    "%s is a PF of an sr-iov card: the fabric manager keeps the PFs; name its VFs (%s/vfN)",
			    e->function, fn->name);
	if (fn->card->sharing == FMP_SHARING_MRIOV && fn->vf != FMP_VF_NONE)
		return fail(pl, i, FM_RPC_E_SHARING_MODE,
			    "%s is a VF of an mr-iov card: a PF goes to a host with its VFs; name %s",
			    e->function, fn->card->pfs[fn->pf].fns[0].name);
	if (fn->card->sharing == FMP_SHARING_EXCLUSIVE && fn->vf != FMP_VF_NONE)
		return fail(pl, i, FM_RPC_E_SHARING_MODE,
			    "%s is a VF of an exclusive card: the card goes whole; name %s",
			    e->function, fn->card->name);
	if (fn->card->sharing == FMP_SHARING_EXCLUSIVE)
		fn = &fn->card->pfs[0].fns[0];
	*out = fn;
	return 0;
}

/* The step of one wanted binding fn -> h: what it takes from the current intent. */
static int want(struct planner *pl, int i, const struct fm_fn *fn, const struct fm_host *h)
{
	const struct fm_bindings_entry *e = &pl->in->file->v[i];
	char key[KEY_MAX];
	const struct fm_intent *in;
	struct fm_plan_step *s;
	uintptr_t other;

	fn_key(fn, key, sizeof(key));
	other = (uintptr_t)fm_index_get(pl->claimed, key);
	if (other)
		return fail(pl, i, FM_RPC_E_BAD_REQUEST, "%s is the same function as %s (%s)",
			    e->function ? e->function : fn->name,
			    pl->in->file->v[other - 1].function ? pl->in->file->v[other - 1].function
								: fn->name,
			    pl->in->file->v[other - 1].where);
	if (h->chassis != fn->card->chassis)
		return fail(pl, i, FM_RPC_E_BAD_REQUEST, "%s and host %s are on different chassis",
			    fn->name, h->name);
	if (fm_index_put(pl->claimed, key, (void *)(uintptr_t)(i + 1)))
		return -ENOMEM;
	s = add_step(pl);
	if (!s)
		return -ENOMEM;
	s->entry = i;
	s->fn = fn;
	s->h = h;
	s->qos = e->qos;
	fn_names(pl, fn, s->function, s->target);
	host_names(pl, h->chassis->name, h->name, s->host, s->host_target);
	in = fm_index_get(pl->intents, key);
	if (in) {
		s->old_qos = fm_plan_intent_qos(in);
		if (!strcmp(in->host, h->name)) {
			s->action = s->old_qos.min_mbps == s->qos.min_mbps &&
						    s->old_qos.max_mbps == s->qos.max_mbps
					    ? FM_PLAN_UNCHANGED
					    : FM_PLAN_QOS;
			return 0;
		}
		s->action = FM_PLAN_MOVE;
		s->from = intent_host(pl->in->inv, in);
		host_names(pl, in->chassis, in->host, s->from_host, s->from_target);
		return 0;
	}
	if (fn->sw_state != FMP_BIND_UNBOUND && fn->sw_port != h->port) {
		const struct fm_host *o = fm_inv_host_by_port(fn->card->chassis, fn->sw_port);

		return fail(pl, i, FM_RPC_E_FUNCTION_BUSY,
			    "%s is bound to %s on the switch, not by fabricd", s->function,
			    o ? o->name : "another host");
	}
	s->action = FM_PLAN_ASSIGN;
	return 0;
}

static bool vf_free(const struct planner *pl, const struct fm_fn *fn)
{
	char key[KEY_MAX];

	fn_key(fn, key, sizeof(key));
	return fn->sw_state == FMP_BIND_UNBOUND && !fm_index_get(pl->intents, key) &&
	       !fm_index_get(pl->claimed, key);
}

/* {card, count}: the VFs the host already has from the card first, then free ones (enabled
 * first, as the engine's --any: no NumVFs change while one is free), lowest first; so the
 * same file picks the same VFs on every apply. */
static int want_count(struct planner *pl, int i, const struct fm_host *h)
{
	const struct fm_bindings_entry *e = &pl->in->file->v[i];
	const struct fm_card *card;
	unsigned got = 0, free_n = 0;
	bool amb = false;
	char key[KEY_MAX], hint[96];
	int rc;

	if (fm_inv_prefix_unknown(pl->in->inv, e->card))
		return fail(pl, i, FM_RPC_E_NO_SUCH_CHASSIS, "no chassis %.*s (in %s)",
			    (int)strcspn(e->card, ":"), e->card, e->card);
	card = fm_inv_find_card(pl->in->inv, e->card, &amb);
	if (!card) {
		not_read_hint(pl, hint, sizeof(hint));
		return fail(pl, i, amb ? FM_RPC_E_BAD_REQUEST : FM_RPC_E_NO_SUCH_CARD,
			    amb ? "card name %s is ambiguous: prefix it with CHASSIS:%s" : "no card %s%s",
			    e->card, amb ? "" : hint);
	}
	if (card->sharing != FMP_SHARING_SRIOV)
		return fail(pl, i, FM_RPC_E_SHARING_MODE,
			    "count picks VFs, but card %s is %s: name its functions", card->name,
			    fmp_sharing_name(card->sharing));
	for (int pass = 0; pass < 3 && got < e->count; pass++) {
		for (unsigned p = 0; p < card->n_pfs && got < e->count; p++) {
			const struct fm_pf *pf = &card->pfs[p];

			for (unsigned v = 0; v < pf->total_vfs && got < e->count; v++) {
				const struct fm_fn *fn = &pf->fns[1 + v];
				const struct fm_intent *in;

				fn_key(fn, key, sizeof(key));
				in = fm_index_get(pl->intents, key);
				if (pass == 0 ? !(in && !strcmp(in->host, h->name) &&
						  !strcmp(in->chassis, h->chassis->name) &&
						  !fm_index_get(pl->claimed, key))
					      : !(vf_free(pl, fn) && fn->enabled == (pass == 1)))
					continue;
				rc = want(pl, i, fn, h);
				if (rc)
					return rc;
				got++;
			}
		}
	}
	if (got < e->count) {
		for (unsigned p = 0; p < card->n_pfs; p++)
			free_n += card->pfs[p].total_vfs;
		return fail(pl, i, FM_RPC_E_FUNCTION_BUSY,
			    "card %s has %u VF%s for host %s (of %u), %u wanted", card->name, got,
			    got == 1 ? "" : "s", h->name, free_n, e->count);
	}
	return 0;
}

static int add_prunes(struct planner *pl)
{
	for (const struct fm_intent *in = pl->in->intents; in; in = in->next) {
		const struct fm_fn *fn;
		struct fm_plan_step *s;

		if (fm_index_get(pl->claimed, in->key))
			continue;
		fn = intent_fn(pl->in->inv, in);
		if (!fn) {
			pl->plan->skipped++;
			continue;
		}
		s = add_step(pl);
		if (!s)
			return -ENOMEM;
		s->action = FM_PLAN_UNASSIGN;
		s->entry = -1;
		s->fn = fn;
		s->h = intent_host(pl->in->inv, in);
		s->qos = s->old_qos = fm_plan_intent_qos(in);
		fn_names(pl, fn, s->function, s->target);
		host_names(pl, in->chassis, in->host, s->host, s->host_target);
	}
	return 0;
}

static unsigned chassis_ix(const struct planner *pl, const struct fm_chassis *ch);

static bool leaves(const struct fm_plan_step *s)
{
	return s->action == FM_PLAN_UNASSIGN || s->action == FM_PLAN_MOVE;
}

static bool arrives(const struct fm_plan_step *s)
{
	return s->action == FM_PLAN_ASSIGN || s->action == FM_PLAN_MOVE;
}

/* Where the steps must fit together: host links up, vPPBs (every unbind runs before any
 * bind, apply.c), and VFs that need NumVFs raised while none of their PF is bound. */
static int check_plan(struct planner *pl)
{
	struct fm_plan *p = pl->plan;
	unsigned n_hosts = 0, *base, *need, *avail;
	int rc = 0;

	for (unsigned c = 0; c < fm_inv_chassis_count(pl->in->inv); c++)
		n_hosts += fm_inv_chassis_at(pl->in->inv, c)->n_hosts;
	base = calloc(fm_inv_chassis_count(pl->in->inv) + 1, sizeof(*base));
	need = calloc(n_hosts + 1, sizeof(*need));
	avail = calloc(n_hosts + 1, sizeof(*avail));
	if (!base || !need || !avail) {
		rc = -ENOMEM;
		goto out;
	}
	for (unsigned c = 0, at = 0; c < fm_inv_chassis_count(pl->in->inv); c++) {
		const struct fm_chassis *ch = fm_inv_chassis_at(pl->in->inv, c);

		base[c] = at;
		for (unsigned j = 0; j < ch->n_hosts; j++)
			avail[at + j] = fm_host_free_vppbs(&ch->hosts[j]);
		at += ch->n_hosts;
	}
#define HOST_IX(h) (base[chassis_ix(pl, (h)->chassis)] + (unsigned)((h) - (h)->chassis->hosts))
	for (size_t i = 0; i < p->n; i++) {
		const struct fm_plan_step *s = &p->steps[i];
		const struct fm_host *from = s->action == FM_PLAN_MOVE ? s->from : s->h;

		if (leaves(s) && from && s->fn->sw_state != FMP_BIND_UNBOUND &&
		    s->fn->sw_port == from->port)
			avail[HOST_IX(from)]++;
	}
	for (size_t i = 0; i < p->n; i++) {
		const struct fm_plan_step *s = &p->steps[i];
		const struct fm_pf *pf = &s->fn->card->pfs[s->fn->pf];
		unsigned hx;

		if (!arrives(s))
			continue;
		if (!s->h->link_up) {
			rc = fail(pl, s->entry, FM_RPC_E_HOST_LINK_DOWN,
				  "%s: the link of host %s is down", s->function, s->h->name);
			goto out;
		}
		hx = HOST_IX(s->h);
		if (++need[hx] > avail[hx]) {
			rc = fail(pl, s->entry, FM_RPC_E_NO_FREE_VPPB,
				  "%s: host %s has no free vPPB left (%u of %u free, the plan brings %u)",
				  s->function, s->h->name, fm_host_free_vppbs(s->h), s->h->n_vppb,
				  need[hx]);
			goto out;
		}
		if (s->fn->vf == FMP_VF_NONE || s->fn->vf < pf->num_vfs)
			continue;
		/* NumVFs may change only while VF Enable is clear (PCIe r5.0 §9.3.3.7), which
		 * removes every VF: the engine raises it only while no VF of the PF is bound */
		for (unsigned v = 0; v < pf->num_vfs; v++) {
			const struct fm_fn *o = &pf->fns[1 + v];
			bool pruned = false;

			if (o->sw_state == FMP_BIND_UNBOUND)
				continue;
			for (size_t k = 0; k < p->n && !pruned; k++)
				pruned = p->steps[k].fn == o && p->steps[k].action == FM_PLAN_UNASSIGN;
			if (!pruned) {
				rc = fail(pl, s->entry, FM_RPC_E_VF_BOUND,
					  "%s needs NumVFs %u but %s is bound; NumVFs can change only while no VF of %s/pf%u is bound",
					  s->function, s->fn->vf + 1u, o->name, s->fn->card->name,
					  s->fn->pf);
				goto out;
			}
		}
	}
#undef HOST_IX
out:
	free(base);
	free(need);
	free(avail);
	return rc;
}

static unsigned chassis_ix(const struct planner *pl, const struct fm_chassis *ch)
{
	for (unsigned c = 0; c < fm_inv_chassis_count(pl->in->inv); c++)
		if (fm_inv_chassis_at(pl->in->inv, c) == ch)
			return c;
	return 0;
}

static int step_cmp(const void *a, const void *b)
{
	const struct fm_plan_step *x = a, *y = b;
	unsigned ex = x->entry < 0 ? UINT32_MAX : (unsigned)x->entry;
	unsigned ey = y->entry < 0 ? UINT32_MAX : (unsigned)y->entry;

	if (ex != ey)
		return ex < ey ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

int fm_plan_build(const struct fm_plan_input *in, struct fm_plan **out, enum fm_rpc_code *code,
		  int *entry, char *err, size_t errlen)
{
	struct planner pl = { .in = in, .code = code, .entry = entry, .err = err, .errlen = errlen };
	int rc = -ENOMEM;

	*out = NULL;
	*entry = -1;
	*code = FM_RPC_E_INTERNAL;
	pl.plan = calloc(1, sizeof(*pl.plan));
	pl.intents = fm_index_new(256);
	pl.claimed = fm_index_new(in->file->n + 16);
	pl.multi = fm_inv_chassis_count(in->inv) > 1;
	if (!pl.plan || !pl.intents || !pl.claimed)
		goto out;
	for (const struct fm_intent *i = in->intents; i; i = i->next)
		if (fm_index_put(pl.intents, i->key, (void *)i))
			goto out;
	/* names first, so that counts never pick a VF the file names elsewhere */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < in->file->n; i++) {
			const struct fm_bindings_entry *e = &in->file->v[i];
			const struct fm_host *h;
			const struct fm_fn *fn = NULL;

			if (!e->function != (pass == 1))
				continue;
			rc = resolve_host(&pl, (int)i, &h);
			if (!rc && e->function)
				rc = resolve_fn(&pl, (int)i, &fn);
			if (!rc)
				rc = e->function ? want(&pl, (int)i, fn, h) : want_count(&pl, (int)i, h);
			if (rc)
				goto out;
		}
	}
	rc = in->prune ? add_prunes(&pl) : 0;
	if (!rc)
		rc = check_plan(&pl);
	if (!rc && in->admit && in->admit(in->admit_arg, in->inv, in->intents, pl.plan, code, err,
					  errlen))
		rc = -EINVAL;
	if (rc)
		goto out;
	/* shown in the file's order (names were resolved before counts), prunes last */
	for (size_t i = 0; i < pl.plan->n; i++)
		pl.plan->steps[i].order = i;
	qsort(pl.plan->steps, pl.plan->n, sizeof(pl.plan->steps[0]), step_cmp);
	for (size_t i = 0; i < pl.plan->n; i++)
		pl.plan->counts[pl.plan->steps[i].action]++;
	*out = pl.plan;
	pl.plan = NULL;
out:
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	fm_plan_free(pl.plan);
	fm_index_free(pl.intents);
	fm_index_free(pl.claimed);
	return rc;
}

/* ---- export ----------------------------------------------------------------------------- */

struct exported {
	const struct fm_fn *fn;
	char host[FM_PLAN_NAME_MAX];
	struct fm_qos qos;
};

static int exported_cmp(const void *a, const void *b)
{
	const struct exported *x = a, *y = b;
	int c = strcmp(x->host, y->host);

	if (!c)
		c = strcmp(x->fn->card->chassis->name, y->fn->card->chassis->name);
	if (!c)
		c = strcmp(x->fn->card->name, y->fn->card->name);
	if (!c)
		c = (int)x->fn->pf - (int)y->fn->pf;
	if (!c) /* the PF (FMP_VF_NONE) first */
		c = (x->fn->vf == FMP_VF_NONE ? -1 : x->fn->vf) - (y->fn->vf == FMP_VF_NONE ? -1 : y->fn->vf);
	return c;
}

struct fm_bindings *fm_plan_export(const struct fm_inv *inv, const struct fm_intent *intents,
				   unsigned *skipped)
{
	struct planner pl = { .multi = fm_inv_chassis_count(inv) > 1 };
	struct fm_bindings *b = fm_bindings_new("export");
	struct exported *v = NULL;
	size_t n = 0, cap = 0;
	char target[FM_PLAN_NAME_MAX], show[FM_PLAN_NAME_MAX];

	*skipped = 0;
	if (!b)
		return NULL;
	for (const struct fm_intent *in = intents; in; in = in->next) {
		const struct fm_fn *fn = intent_fn(inv, in);

		if (!fn) {
			(*skipped)++;
			continue;
		}
		if (n == cap) {
			struct exported *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (!nv)
				goto fail;
			v = nv;
		}
		v[n].fn = fn;
		host_names(&pl, in->chassis, in->host, v[n].host, target);
		v[n].qos = fm_plan_intent_qos(in);
		n++;
	}
	if (n)
		qsort(v, n, sizeof(*v), exported_cmp);
	for (size_t i = 0; i < n; i++) {
		fn_names(&pl, v[i].fn, show, target);
		if (fm_bindings_add(b, v[i].host, show, NULL, 0, &v[i].qos))
			goto fail;
	}
	free(v);
	return b;
fail:
	free(v);
	fm_bindings_free(b);
	return NULL;
}
