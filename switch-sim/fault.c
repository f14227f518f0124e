/* fault: a splitmix64 stream seeded from --fault-seed decides each request's fate, so a
 * failing reliability test replays exactly with the same seed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

static uint64_t next64(struct sim_fault *f)
{
	uint64_t z = (f->state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double uniform(struct sim_fault *f)
{
	return (double)(next64(f) >> 11) / (double)(1ull << 53);
}

void sim_fault_init(struct sim_fault *f, const struct sim_fault_cfg *cfg)
{
	memset(f, 0, sizeof(*f));
	f->cfg = *cfg;
	f->state = cfg->seed;
}

bool sim_fault_enabled(const struct sim_fault *f)
{
	return f->cfg.drop > 0 || f->cfg.error > 0 || f->cfg.delay_ms > 0;
}

enum sim_fault_action sim_fault_next(struct sim_fault *f, uint32_t *delay_ms)
{
	/* always draw the same number of values per request, so one knob does not shift
	 * the choices of another */
	double d = uniform(f), e = uniform(f);
	uint64_t r = next64(f);

	*delay_ms = f->cfg.delay_ms ? (uint32_t)(r % ((uint64_t)f->cfg.delay_ms + 1)) : 0;
	if (d < f->cfg.drop) {
		f->drops++;
		return SIM_FAULT_DROP;
	}
	if (e < f->cfg.error) {
		f->errors++;
		return SIM_FAULT_ERROR;
	}
	if (*delay_ms)
		f->delays++;
	return SIM_FAULT_NONE;
}

int sim_fault_parse_rate(const char *text, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (end == text || errno)
		return -EINVAL;
	if (*end == '%' && end[1] == '\0')
		v /= 100.0;
	else if (*end)
		return -EINVAL;
	if (!(v >= 0.0 && v <= 1.0))
		return -EINVAL;
	*out = v;
	return 0;
}
