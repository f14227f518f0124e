/* stats: latency samples and their summaries, printed for scripts/bench.sh to parse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stats.h"

int64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int bench_samples_add(struct bench_samples *s, double us)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		double *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = us;
	return 0;
}

void bench_samples_free(struct bench_samples *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double bench_samples_quantile(const struct bench_samples *s, double q)
{
	double *c, r;
	size_t i;

	if (!s->n)
		return 0;
	c = malloc(s->n * sizeof(*c));
	if (!c)
		return 0;
	memcpy(c, s->v, s->n * sizeof(*c));
	qsort(c, s->n, sizeof(*c), cmp_double);
	/* nearest rank: the smallest sample with at least q of them at or below it */
	i = (size_t)(q * (double)s->n + 0.999999);
	i = i ? i - 1 : 0;
	if (i >= s->n)
		i = s->n - 1;
	r = c[i];
	free(c);
	return r;
}

void bench_stat_print(const char *name, const struct bench_samples *s)
{
	printf("stat %s %zu %.3f %.3f %.3f\n", name, s->n, bench_samples_quantile(s, 0.5),
	       bench_samples_quantile(s, 0.99), bench_samples_quantile(s, 1.0));
	fflush(stdout);
}

void bench_value_print(const char *name, double value, const char *unit)
{
	printf("value %s %.6g %s\n", name, value, unit);
	fflush(stdout);
}
