/* bench-hook-stamp: the hook of the hotplug-to-hook benchmark. Its first act is to read
 * CLOCK_REALTIME (the clock bench-load reads before it sends the bench command, comparable
 * across processes); then, for card-removed and card-added only, it appends
 * "EVENT NANOSECONDS" to the file named by $BENCH_HOOK_STAMPS (fabric.yaml hooks.env). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	const char *path;
	char line[96];
	int fd, n;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (argc < 2 || (strcmp(argv[1], "card-removed") && strcmp(argv[1], "card-added")))
		return 0;
	if (!(path = getenv("BENCH_HOOK_STAMPS")))
		return 1;
	n = snprintf(line, sizeof(line), "%s %lld\n", argv[1],
		     (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	/* one O_APPEND write: a whole line, never interleaved with another run's */
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return 1;
	if (write(fd, line, (size_t)n) != n) {
		close(fd);
		return 1;
	}
	return close(fd) ? 1 : 0;
}
