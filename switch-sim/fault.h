/* fault: deterministic fault injection for the management endpoint — drop, fail or delay
 * a fraction of requests, the same choices for the same seed (reliability tests). */
#ifndef SIM_FAULT_H
#define SIM_FAULT_H

#include <stdbool.h>
#include <stdint.h>

struct sim_fault_cfg {
	uint64_t seed;
	double drop;       /* probability a request gets no answer at all */
	double error;      /* probability a request is answered FMP_E_INJECTED */
	uint32_t delay_ms; /* each answer delayed by 0..delay_ms, drawn uniformly */
};

enum sim_fault_action {
	SIM_FAULT_NONE = 0,
	SIM_FAULT_DROP,
	SIM_FAULT_ERROR,
};

struct sim_fault {
	struct sim_fault_cfg cfg;
	uint64_t state; /* splitmix64 */
	uint64_t drops, errors, delays;
};

void sim_fault_init(struct sim_fault *f, const struct sim_fault_cfg *cfg);
bool sim_fault_enabled(const struct sim_fault *f);
/* The fate of the next request, and how long to hold its answer (ms). */
enum sim_fault_action sim_fault_next(struct sim_fault *f, uint32_t *delay_ms);
/* Parses a probability "0.05" or "5%" into [0, 1]. 0 or -EINVAL. */
int sim_fault_parse_rate(const char *text, double *out);

#endif
