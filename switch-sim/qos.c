/* qos: max-min fair sharing of links with floors and caps (qos.h has the algorithm). */
#include "qos.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "errbuf.h"

#define QOS_EPS 1e-9

struct qos_scratch {
	double *slack;   /* per link */
	size_t *n_grow;  /* per link: unfrozen flows at the level */
	bool *frozen;    /* per flow */
};

static bool qos_bad(double v)
{
	return !isfinite(v) || v < 0.0;
}

/* One progressive filling: x_i from lo_i up to at most hi_i (lo <= hi). */
static void qos_waterfill(const double *cap, size_t n_links, const struct sim_qos_flow *f,
			  size_t n_flows, const double *lo, const double *hi, double *x,
			  struct qos_scratch *s)
{
	double level = 0.0;
	/* Each round freezes a flow, starts one growing or fills a link: bounded. */
	size_t rounds = 2 * n_flows + n_links + 2;

	for (size_t i = 0; i < n_flows; i++) {
		x[i] = lo[i];
		s->frozen[i] = hi[i] <= lo[i] + QOS_EPS;
		if (s->frozen[i])
			x[i] = hi[i] > lo[i] ? hi[i] : lo[i];
	}
	while (rounds-- > 0) {
		bool any = false;
		double delta = INFINITY;

		for (size_t l = 0; l < n_links; l++) {
			s->slack[l] = cap[l];
			s->n_grow[l] = 0;
		}
		for (size_t i = 0; i < n_flows; i++)
			for (uint8_t k = 0; k < f[i].n_links; k++) {
				s->slack[f[i].links[k]] -= x[i];
				if (!s->frozen[i] && lo[i] <= level + QOS_EPS)
					s->n_grow[f[i].links[k]]++;
			}
		/* A full link freezes every flow still rising through it. */
		for (size_t i = 0; i < n_flows; i++) {
			if (s->frozen[i])
				continue;
			for (uint8_t k = 0; k < f[i].n_links; k++)
				if (s->slack[f[i].links[k]] <= QOS_EPS)
					s->frozen[i] = true;
			if (!s->frozen[i])
				any = true;
		}
		if (!any)
			break;
		for (size_t i = 0; i < n_flows; i++) {
			if (s->frozen[i])
				continue;
			if (lo[i] <= level + QOS_EPS) {
				if (hi[i] - x[i] < delta)
					delta = hi[i] - x[i];
			} else if (lo[i] - level < delta) {
				delta = lo[i] - level;
			}
		}
		for (size_t l = 0; l < n_links; l++)
			if (s->n_grow[l] > 0 && s->slack[l] / (double)s->n_grow[l] < delta)
				delta = s->slack[l] / (double)s->n_grow[l];
		/* A flow with no links and no bound above would rise for ever: hi is finite. */
		if (delta < 0.0)
			delta = 0.0;
		for (size_t i = 0; i < n_flows; i++) {
			if (s->frozen[i] || lo[i] > level + QOS_EPS)
				continue;
			x[i] += delta;
			if (x[i] >= hi[i] - QOS_EPS) {
				x[i] = hi[i];
				s->frozen[i] = true;
			}
		}
		level += delta;
	}
}

static int qos_check(const double *link_gbps, size_t n_links, const struct sim_qos_flow *f,
		     size_t n_flows, char *err, size_t errlen)
{
	for (size_t l = 0; l < n_links; l++)
		if (qos_bad(link_gbps[l])) {
			fab_seterr(err, errlen, "link %zu: capacity %g Gb/s is not a finite number >= 0",
				   l, link_gbps[l]);
			return -EINVAL;
		}
	for (size_t i = 0; i < n_flows; i++) {
		static const char *const names[] = { "offered_gbps", "min_gbps", "max_gbps" };
		const double v[] = { f[i].offered_gbps, f[i].min_gbps, f[i].max_gbps };

		for (size_t j = 0; j < 3; j++)
			if (qos_bad(v[j])) {
				fab_seterr(err, errlen, "flow %zu: %s %g is not a finite number >= 0",
					   i, names[j], v[j]);
				return -EINVAL;
			}
		if (f[i].n_links > SIM_QOS_PATH_MAX) {
			fab_seterr(err, errlen, "flow %zu: n_links %u is above %d", i, f[i].n_links,
				   SIM_QOS_PATH_MAX);
			return -EINVAL;
		}
		for (uint8_t k = 0; k < f[i].n_links; k++)
			if (f[i].links[k] >= n_links) {
				fab_seterr(err, errlen, "flow %zu: links[%u] = %u, only %zu links", i, k,
					   f[i].links[k], n_links);
				return -EINVAL;
			}
	}
	return 0;
}

int sim_qos_solve(const double *link_gbps, size_t n_links, struct sim_qos_flow *flows,
		  size_t n_flows, char *err, size_t errlen)
{
	struct qos_scratch s = { 0 };
	double *lo = NULL, *hi = NULL, *x = NULL, *demand = NULL;
	int rc = qos_check(link_gbps, n_links, flows, n_flows, err, errlen);

	if (rc < 0 || n_flows == 0)
		return rc;
	rc = -ENOMEM;
	lo = calloc(n_flows, sizeof(*lo));
	hi = calloc(n_flows, sizeof(*hi));
	x = calloc(n_flows, sizeof(*x));
	demand = calloc(n_flows, sizeof(*demand));
	s.frozen = calloc(n_flows, sizeof(*s.frozen));
	s.slack = calloc(n_links + 1, sizeof(*s.slack));
	s.n_grow = calloc(n_links + 1, sizeof(*s.n_grow));
	if (!lo || !hi || !x || !demand || !s.frozen || !s.slack || !s.n_grow) {
		fab_seterr(err, errlen, "out of memory for %zu flows", n_flows);
		goto out;
	}
	for (size_t i = 0; i < n_flows; i++) {
		const struct sim_qos_flow *f = &flows[i];

		demand[i] = f->offered_gbps;
		if (f->max_gbps > 0.0 && f->max_gbps < demand[i])
			demand[i] = f->max_gbps;
		hi[i] = f->min_gbps < demand[i] ? f->min_gbps : demand[i];
	}
	/* phase 1: the floors, shared max-min only if they do not all fit */
	qos_waterfill(link_gbps, n_links, flows, n_flows, lo, hi, x, &s);
	/* phase 2: from the floors up to the demands */
	for (size_t i = 0; i < n_flows; i++) {
		lo[i] = x[i];
		hi[i] = demand[i];
	}
	qos_waterfill(link_gbps, n_links, flows, n_flows, lo, hi, x, &s);
	for (size_t i = 0; i < n_flows; i++) {
		double want = flows[i].min_gbps < demand[i] ? flows[i].min_gbps : demand[i];

		flows[i].achieved_gbps = x[i];
		flows[i].floor_held = x[i] >= want - QOS_EPS;
	}
	rc = 0;
out:
	free(lo);
	free(hi);
	free(x);
	free(demand);
	free(s.frozen);
	free(s.slack);
	free(s.n_grow);
	return rc;
}
