/* libbench-fsync-count: an LD_PRELOAD shim counting fsync and fdatasync calls of the process
 * into a shared file (BENCH_FSYNC_COUNTER: two little-endian uint64 counters), which the load
 * client reads before and after a run. Cheaper and less intrusive than strace. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static uint64_t *counters_map(void)
{
	static uint64_t *map;
	static int tried;
	const char *path;
	int fd;

	if (map || tried)
		return map;
	tried = 1;
	path = getenv("BENCH_FSYNC_COUNTER");
	if (!path)
		return NULL;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	if (ftruncate(fd, 4096) == 0) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		if (p != MAP_FAILED)
			map = p;
	}
	close(fd);
	return map;
}

/* Counts call i (0 fsync, 1 fdatasync) and returns the real libc function of that name. */
static int (*counted(unsigned i, const char *name))(int)
{
	static int (*real[2])(int);
	uint64_t *c = counters_map();

	if (!real[i])
		real[i] = (int (*)(int))dlsym(RTLD_NEXT, name);
	if (c)
		__atomic_fetch_add(&c[i], 1, __ATOMIC_RELAXED);
	return real[i];
}

int fsync(int fd)
{
	return counted(0, "fsync")(fd);
}

int fdatasync(int fd)
{
	return counted(1, "fdatasync")(fd);
}
