/* load: the JSON-RPC load client's measurements against a running fabricd — sequential
 * API latency, concurrent throughput with fsyncs per op, bulk assign, reconvergence after a
 * switch reboot, the time from fabricd's start to every chassis discovered, and from a
 * surprise removal to its hook. */
#ifndef BENCH_LOAD_H
#define BENCH_LOAD_H

/* A function list file: one "FUNCTION HOST" per line, distinct functions. */
struct bench_fnlist {
	char **fn, **host;
	unsigned n;
};

int bench_fnlist_load(const char *path, struct bench_fnlist *l);
void bench_fnlist_free(struct bench_fnlist *l);

/* Every PF of the list gets its VFs enabled (one assign + unassign of its first listed VF),
 * so the measured assigns need no SET_NUM_VFS. */
int bench_load_prepare(const char *sock, const struct bench_fnlist *l);
/* n sequential assign + unassign (surprise) pairs on one connection: NAME.assign and
 * NAME.unassign stats. */
int bench_load_api(const char *name, const char *sock, const struct bench_fnlist *l, unsigned n);
/* A persistent-connection round trip of the cheapest method, "version". */
int bench_load_version(const char *name, const char *sock, unsigned n);
/* clients connections, each alternating assign/unassign of its own function for seconds;
 * counter: the fsync counting shim's file (or NULL). */
int bench_load_throughput(const char *name, const char *sock, const struct bench_fnlist *l,
			  unsigned clients, double seconds, const char *counter);
/* The first n functions assigned (assign) or unassigned, window requests in flight. */
int bench_load_bulk(const char *sock, const struct bench_fnlist *l, unsigned n, int assign,
		    unsigned window);
/* Reboots the switch through its bench socket and times until fabricd holds n bindings
 * bound again. */
int bench_load_reboot(const char *name, const char *sock, const char *bench_sock, unsigned n);
/* n times: bench "remove SLOT --surprise", then the card back with "insert INSERT" (SLOT
 * PROFILE SERIAL NAME); NAME stats, the time from just before the remove is sent to the
 * card-removed stamp the hook (bench-hook-stamp) appended to stamps, CLOCK_REALTIME. Each
 * removal waits for fabricd (SOCK) to hold the re-inserted card's functions again. */
int bench_load_hook(const char *name, const char *sock, const char *bench_sock,
		    const char *insert, const char *stamps, unsigned n);
/* Starts argv (fabricd), times until n_chassis chassis are discovered, leaves it running
 * and writes its pid to pidfile; its stderr goes to logfile. */
int bench_load_discover(const char *name, const char *sock, const char *logfile,
			const char *pidfile, unsigned n_chassis, char **argv);

#endif
