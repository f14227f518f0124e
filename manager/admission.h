/* admission: QoS admission control — whether the bandwidth floors asked of a set of
 * bindings fit every link on their paths, checked for a whole batch of changes at once (one
 * assign or qos call, or a planner's whole plan) against the floors already promised. */
#ifndef FM_ADMISSION_H
#define FM_ADMISSION_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "inventory.h"

/*
 * The links of a binding's path, each with its capacity after encoding
 * (common/pcie_link.h: 8b/10b at 2.5 and 5 GT/s, 128b/130b from 8 GT/s), one direction:
 *   - its host's port: width x speed as GET_PORTS reports them;
 *   - its card's own link: the Negotiated Link Width and Current Link Speed of the card's
 *     Link Status (PCIe r5.0 §7.5.3.8), read from its first PF's config space in discovery.
 * A PF's share of its card is not checked: no card the project models (switch-sim
 * profiles, the lspci dumps) says what share of the link a PF may have, and the
 * simulator's traffic model shares the card's link among all its functions, as above.
 * A link whose capacity is unknown (speed not reported, a card whose config space did not
 * decode) is not checked, and neither is a binding's card while the card is absent.
 * Every intent counts with its floor whatever its state (binding, bound, unbinding,
 * detached): a detached binding gets its floor back when its card or switch returns.
 * The sum of floors must fit each link; caps are not summed (they may overcommit).
 */

/* One change of the batch: fn's binding (fn may be any function of an exclusive card: the
 * card's binding is meant) is to be on host with floor min_mbps, replacing its current
 * intent if any; host NULL: the binding is released (its floor no longer counts). */
struct fm_admit_claim {
	const struct fm_fn *fn;
	const struct fm_host *host;
	uint32_t min_mbps;
};

/* What a refusal was about, for the API's error data. */
struct fm_admit_refusal {
	char chassis[FM_NAME_MAX];
	char link[FM_NAME_MAX + 8];   /* "host web1" or "card nic0" */
	uint64_t capacity_mbps;       /* after encoding, rounded down to whole Mb/s */
	uint64_t promised_mbps;       /* floors of the bindings the batch does not change */
	uint64_t asked_mbps;          /* floors the batch asks on the link */
};

/* 0 when, with the claims applied to intents (the list fm_engine_intents returns), every
 * link that a claim asks a floor of has the sum of floors within its capacity; -ENOSPC
 * otherwise, with err naming the first link at fault (in claim order), its capacity, what
 * is already promised and what was asked, and *why (may be NULL) filled the same. */
int fm_admission_check(const struct fm_inv *inv, const struct fm_intent *intents,
		       const struct fm_admit_claim *claims, size_t n, char *err, size_t errlen);
int fm_admission_check_why(const struct fm_inv *inv, const struct fm_intent *intents,
			   const struct fm_admit_claim *claims, size_t n,
			   struct fm_admit_refusal *why, char *err, size_t errlen);

/* Capacity of a link of width x speed (enum fmp_link_speed) in whole Mb/s after encoding,
 * rounded down; 0 when unknown. */
uint64_t fm_admission_link_mbps(uint8_t width, uint8_t speed);
/* The card's own link (its first PF whose Link Status was read); false when unknown. */
bool fm_admission_card_link(const struct fm_card *card, uint8_t *width, uint8_t *speed);
/* Mb/s as Gb/s for messages: "12.5", "31.507", "16" (at most 3 decimals, no trailing 0). */
void fm_admission_gbps_text(uint64_t mbps, char *buf, size_t len);

#endif
