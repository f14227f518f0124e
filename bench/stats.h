/* stats: latency samples and the one-line summaries bench.sh parses ("stat NAME N P50 P99"
 * in microseconds, "value NAME NUMBER UNIT"). */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>

struct bench_samples {
	double *v; /* microseconds */
	size_t n, cap;
};

int64_t bench_now_ns(void); /* CLOCK_MONOTONIC */
int bench_samples_add(struct bench_samples *s, double us);
void bench_samples_free(struct bench_samples *s);
/* q in [0,1], nearest-rank on a sorted copy; 0 when empty. */
double bench_samples_quantile(const struct bench_samples *s, double q);
/* Prints "stat NAME N P50 P99 MAX" (microseconds) to stdout. */
void bench_stat_print(const char *name, const struct bench_samples *s);
void bench_value_print(const char *name, double value, const char *unit);

#endif
