/* admission: the sum of guaranteed floors on every link of a path must fit its capacity
 * (admission.h says which links and how they are measured). */
#include "admission.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "errbuf.h"
#include "pcie_link.h"

uint64_t fm_admission_link_mbps(uint8_t width, uint8_t speed)
{
	/* the tiny epsilon keeps an exact product (x4 5 GT/s = 16000) from rounding down to
	 * 15999 through a binary fraction; nothing else is within 1e-6 Mb/s of a whole one */
	return (uint64_t)(pcie_link_gbps(width, speed) * 1000.0 + 1e-6); /* >= 0: truncation floors */
}

bool fm_admission_card_link(const struct fm_card *card, uint8_t *width, uint8_t *speed)
{
	for (unsigned p = 0; card && p < card->n_pfs; p++)
		if (card->pfs[p].link_width && pcie_link_lane_gt(card->pfs[p].link_speed) > 0) {
			*width = card->pfs[p].link_width;
			*speed = card->pfs[p].link_speed;
			return true;
		}
	return false;
}

void fm_admission_gbps_text(uint64_t mbps, char *buf, size_t len)
{
	size_t n;

	snprintf(buf, len, "%llu.%03llu", (unsigned long long)(mbps / 1000),
		 (unsigned long long)(mbps % 1000));
	n = strlen(buf);
	while (n && buf[n - 1] == '0')
		buf[--n] = '\0';
	if (n && buf[n - 1] == '.')
		buf[--n] = '\0';
}

/* One link of a path: a host port or a card's own link (exactly one is set). */
struct link {
	const struct fm_host *host;
	const struct fm_card *card;
};

static bool link_eq(const struct link *a, const struct link *b)
{
	return a->host == b->host && a->card == b->card;
}

/* The links of a binding of (card, host); either may be NULL (not in the inventory). */
static unsigned path_of(const struct fm_card *card, const struct fm_host *host, struct link out[2])
{
	unsigned n = 0;

	if (host)
		out[n++] = (struct link){host, NULL};
	if (card)
		out[n++] = (struct link){NULL, card};
	return n;
}

static bool on_path(const struct fm_card *card, const struct fm_host *host, const struct link *l)
{
	struct link p[2];
	unsigned n = path_of(card, host, p);

	for (unsigned i = 0; i < n; i++)
		if (link_eq(&p[i], l))
			return true;
	return false;
}

static bool claim_replaces(const struct fm_admit_claim *c, const struct fm_intent *in)
{
	int pf, vf;

	fm_fn_binding_pf_vf(c->fn, &pf, &vf);
	return pf == in->pf && vf == in->vf && !strcmp(c->fn->card->serial, in->serial) &&
	       !strcmp(c->fn->card->chassis->name, in->chassis);
}

static bool replaced(const struct fm_admit_claim *claims, size_t n, const struct fm_intent *in)
{
	for (size_t i = 0; i < n; i++)
		if (claim_replaces(&claims[i], in))
			return true;
	return false;
}

/* Capacity of l in Mb/s and its description ("x4 at 8 GT/s, 128b/130b"); 0: unknown. */
static uint64_t link_capacity(const struct link *l, char *desc, size_t len)
{
	uint8_t width = 0, speed = 0;

	if (l->host) {
		width = l->host->width;
		speed = l->host->speed;
	} else if (!fm_admission_card_link(l->card, &width, &speed)) {
		return 0;
	}
	if (pcie_link_lane_gt(speed) > 0)
		snprintf(desc, len, "x%u at %g GT/s, %s", width, pcie_link_lane_gt(speed),
			 pcie_link_encoding(speed));
	return fm_admission_link_mbps(width, speed);
}

/* Sums the floors on l: promised by the intents no claim replaces, asked by the claims. */
static void link_sums(const struct fm_inv *inv, const struct fm_intent *intents,
		      const struct fm_admit_claim *claims, size_t n, const struct link *l,
		      uint64_t *promised, uint64_t *asked)
{
	const struct fm_chassis *ch = l->host ? l->host->chassis : l->card->chassis;

	*promised = *asked = 0;
	for (const struct fm_intent *in = intents; in; in = in->next) {
		char hname[FM_STORE_NAME_MAX * 2 + 2];
		const struct fm_host *h;
		const struct fm_card *card;

		if (!in->min_mbps || strcmp(in->chassis, ch->name) || replaced(claims, n, in))
			continue;
		snprintf(hname, sizeof(hname), "%s:%s", in->chassis, in->host);
		h = l->host ? fm_inv_find_host(inv, hname, NULL) : NULL;
		card = l->card ? fm_inv_card_by_serial(ch, in->serial) : NULL;
		if (on_path(card, h, l))
			*promised += in->min_mbps;
	}
	for (size_t i = 0; i < n; i++)
		if (claims[i].host && on_path(claims[i].fn->card, claims[i].host, l))
			*asked += claims[i].min_mbps;
}

int fm_admission_check_why(const struct fm_inv *inv, const struct fm_intent *intents,
			   const struct fm_admit_claim *claims, size_t n,
			   struct fm_admit_refusal *why, char *err, size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		const struct fm_admit_claim *c = &claims[i];
		struct link path[2];
		unsigned np;

		if (!c->host || !c->min_mbps)
			continue;
		np = path_of(c->fn->card, c->host, path);
		for (unsigned k = 0; k < np; k++) {
			const struct link *l = &path[k];
			char desc[64] = "", cap_t[24], prom_t[24], ask_t[24], who[FM_FN_NAME_MAX + 16];
			uint64_t cap = link_capacity(l, desc, sizeof(desc)), promised, asked;
			const char *kind = l->host ? "host" : "card";
			const char *name = l->host ? l->host->name : l->card->name;
			size_t others = 0;

			if (!cap)
				continue; /* unknown capacity: not checked (admission.h) */
			link_sums(inv, intents, claims, n, l, &promised, &asked);
			if (promised + asked <= cap)
				continue;
			for (size_t j = 0; j < n; j++)
				if (j != i && claims[j].host && claims[j].min_mbps &&
				    on_path(claims[j].fn->card, claims[j].host, l))
					others++;
			if (others)
				snprintf(who, sizeof(who), "%s and %zu more", c->fn->name, others);
			else
				snprintf(who, sizeof(who), "%s", c->fn->name);
			fm_admission_gbps_text(cap, cap_t, sizeof(cap_t));
			fm_admission_gbps_text(promised, prom_t, sizeof(prom_t));
			fm_admission_gbps_text(asked, ask_t, sizeof(ask_t));
			fab_seterr(err, errlen,
				   "%s %s's link carries %s Gb/s (%s): %s Gb/s of floors already "
				   "promised on it, %s Gb/s asked for %s",
				   kind, name, cap_t, desc, prom_t, ask_t, who);
			if (why) {
				memset(why, 0, sizeof(*why));
				snprintf(why->chassis, sizeof(why->chassis), "%s",
					 (l->host ? l->host->chassis : l->card->chassis)->name);
				snprintf(why->link, sizeof(why->link), "%s %s", kind, name);
				why->capacity_mbps = cap;
				why->promised_mbps = promised;
				why->asked_mbps = asked;
			}
			return -ENOSPC;
		}
	}
	return 0;
}

int fm_admission_check(const struct fm_inv *inv, const struct fm_intent *intents,
		       const struct fm_admit_claim *claims, size_t n, char *err, size_t errlen)
{
	return fm_admission_check_why(inv, intents, claims, n, NULL, err, errlen);
}
