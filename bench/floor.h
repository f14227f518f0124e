/* floor: what the figures are compared with, measured in the same run — a process start,
 * a unix-socket round trip, one fdatasync on the state disk, a bare uv_spawn — and the
 * whole-command runner that times both the floors and fabric-ctl the same way. */
#ifndef BENCH_FLOOR_H
#define BENCH_FLOOR_H

/* Each prints its "stat NAME ..." line; 0 or -errno (with a message on stderr). */
int bench_floor_echo(const char *name, unsigned n);
int bench_floor_fsync(const char *name, const char *dir, unsigned n);
int bench_floor_spawn(const char *name, unsigned n);
/* Runs argv n times through posix_spawn (stdout and stderr to /dev/null) and times each run
 * to its exit. With args_file, run i appends the words of line i of the file to argv.
 * A run that exits non-zero counts as a failure: "value NAME.failures K runs" is printed. */
int bench_run(const char *name, unsigned n, const char *args_file, char **argv);

#endif
