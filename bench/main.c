/* bench-load: the measuring half of scripts/bench.sh — floors, whole-command runs and
 * JSON-RPC load against a running fabricd. Each mode prints "stat" / "value" lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "floor.h"
#include "load.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: bench-load MODE ...\n"
		"  floor-echo NAME N | floor-fsync NAME DIR N | floor-spawn NAME N\n"
		"  run NAME N ARGS_FILE|- -- COMMAND...\n"
		"  version NAME SOCK N\n"
		"  prepare SOCK FUNCS\n"
		"  api NAME SOCK FUNCS N\n"
		"  throughput NAME SOCK FUNCS CLIENTS SECONDS COUNTER|-\n"
		"  bulk SOCK FUNCS N assign|unassign\n"
		"  reboot NAME SOCK BENCH_SOCK BINDINGS\n"
		"  hook NAME SOCK BENCH_SOCK \"SLOT PROFILE SERIAL NAME\" STAMPS N\n"
		"  discover NAME SOCK LOG PIDFILE N_CHASSIS -- FABRICD...\n"
		"FUNCS: one \"FUNCTION HOST\" per line.\n");
	return 2;
}

static unsigned num(const char *s)
{
	return (unsigned)strtoul(s, NULL, 10);
}

static int with_list(const char *path, struct bench_fnlist *l)
{
	return bench_fnlist_load(path, l);
}

int main(int argc, char **argv)
{
	struct bench_fnlist l = {0};
	const char *m = argc > 1 ? argv[1] : "";
	int rc = -1;

	if (!strcmp(m, "floor-echo") && argc == 4)
		rc = bench_floor_echo(argv[2], num(argv[3]));
	else if (!strcmp(m, "floor-fsync") && argc == 5)
		rc = bench_floor_fsync(argv[2], argv[3], num(argv[4]));
	else if (!strcmp(m, "floor-spawn") && argc == 4)
		rc = bench_floor_spawn(argv[2], num(argv[3]));
	else if (!strcmp(m, "run") && argc > 6 && !strcmp(argv[5], "--"))
		rc = bench_run(argv[2], num(argv[3]), strcmp(argv[4], "-") ? argv[4] : NULL, argv + 6);
	else if (!strcmp(m, "version") && argc == 5)
		rc = bench_load_version(argv[2], argv[3], num(argv[4]));
	else if (!strcmp(m, "prepare") && argc == 4 && !(rc = with_list(argv[3], &l)))
		rc = bench_load_prepare(argv[2], &l);
	else if (!strcmp(m, "api") && argc == 6 && !(rc = with_list(argv[4], &l)))
		rc = bench_load_api(argv[2], argv[3], &l, num(argv[5]));
	else if (!strcmp(m, "throughput") && argc == 8 && !(rc = with_list(argv[4], &l)))
		rc = bench_load_throughput(argv[2], argv[3], &l, num(argv[5]), atof(argv[6]),
					   strcmp(argv[7], "-") ? argv[7] : NULL);
	else if (!strcmp(m, "bulk") && argc == 6 && !(rc = with_list(argv[3], &l)))
		rc = bench_load_bulk(argv[2], &l, num(argv[4]), !strcmp(argv[5], "assign"), 64);
	else if (!strcmp(m, "reboot") && argc == 6)
		rc = bench_load_reboot(argv[2], argv[3], argv[4], num(argv[5]));
	else if (!strcmp(m, "hook") && argc == 8)
		rc = bench_load_hook(argv[2], argv[3], argv[4], argv[5], argv[6], num(argv[7]));
	else if (!strcmp(m, "discover") && argc > 8 && !strcmp(argv[7], "--"))
		rc = bench_load_discover(argv[2], argv[3], argv[4], argv[5], num(argv[6]), argv + 8);
	else
		return usage();
	bench_fnlist_free(&l);
	return rc ? 1 : 0;
}
