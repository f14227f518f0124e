/* qos: the simulator's fluid traffic model — how much of what each binding offers gets
 * through the links it crosses, with per-function floors (guaranteed bandwidth) honoured
 * and caps (bandwidth limits) enforced. A pure function of its inputs: no sim, no loop. */
#ifndef SIM_QOS_H
#define SIM_QOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What it models. Every binding is a fluid flow of offered_gbps (what its host pushes,
 * set by the bench `traffic` command) over a path of links: its host port (width x speed
 * after encoding, common/pcie_link.h), its card's own link, optionally a PF's share of the
 * card. Each link has a capacity in Gb/s shared by the flows that cross it. A flow has a
 * floor (min_gbps, CXL FM API "QoS Allocated BW") and a cap (max_gbps, "QoS BW Limit").
 *
 * Why max-min fairness: it is what a switch arbitrating round-robin between its ports and
 * a device arbitrating between functions converge to under backlog — no flow can get more
 * without taking from a flow that has less — and it is the textbook fluid model (Bertsekas
 * & Gallager, Data Networks §6.5.2), so a user can check the numbers by hand.
 *
 * Algorithm (progressive filling, twice):
 *   demand_i = min(offered_i, cap_i)              (cap 0: none)
 *   phase 1  the floors: water-fill with lower bound 0 and upper bound min(floor_i,
 *            demand_i). When the floors are admissible (their sum fits every link — the
 *            manager's admission control makes sure) every flow reaches its upper bound,
 *            g_i = min(floor_i, demand_i): a flow offering less than its floor gets what
 *            it offers. When they are not (a bench link change, a manager that skipped
 *            admission) the floors themselves are shared max-min and floor_held says
 *            which ones broke.
 *   phase 2  the rest: water-fill with lower bound g_i and upper bound demand_i.
 *   water-fill(lo, hi): a common level L rises from 0; every unfrozen flow has
 *            x_i = max(lo_i, L); a flow freezes when x_i reaches hi_i or when a link it
 *            crosses is full (the flows there stay at what they have). The result is
 *            the lexicographically max-min allocation with lo <= x <= hi: the floors are
 *            lower bounds, not extra shares, so a floor below the fair share changes
 *            nothing and a floor above it is met exactly, the others sharing the rest.
 * Example: one 10 Gb/s link, A floor 4, B and C no floor, all offering 10: fair share
 * would be 3.33 each; A's floor makes it A 4, B 3, C 3.
 * Cost: O((flows + links) x (flows x SIM_QOS_PATH_MAX + links)), a few microseconds for a
 * chassis; the sim recomputes on every change of offered load, floor, cap or binding.
 */

#define SIM_QOS_PATH_MAX 4

struct sim_qos_flow {
	/* inputs, Gb/s: finite, >= 0 */
	double offered_gbps;
	double min_gbps; /* floor; 0: none */
	double max_gbps; /* cap; 0: none */
	uint8_t n_links;
	uint32_t links[SIM_QOS_PATH_MAX]; /* indexes into the link capacity array */
	/* outputs */
	double achieved_gbps;
	bool floor_held; /* achieved >= min(floor, offered, cap), to 1e-9 */
};

/* Computes achieved_gbps and floor_held of every flow over links of link_gbps[i] Gb/s
 * (finite, >= 0). 0, -EINVAL (a negative, NaN or infinite number, a link index out of
 * range or n_links above SIM_QOS_PATH_MAX, named in err as "flow N: field"), -ENOMEM. */
int sim_qos_solve(const double *link_gbps, size_t n_links, struct sim_qos_flow *flows,
		  size_t n_flows, char *err, size_t errlen);

#endif
