/* floor: the floors of scripts/bench.sh, measured in the same run as the figures, and the
 * whole-command runner. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include "floor.h"
#include "stats.h"

extern char **environ;

/* A request-sized message to a forked echo peer and back, over a unix stream socket pair:
 * the kernel's and the scheduler's share of one JSON-RPC round trip. */
int bench_floor_echo(const char *name, unsigned n)
{
	struct bench_samples s = {0};
	char msg[128], buf[256];
	int sv[2], rc = 0;
	pid_t pid;

	memset(msg, 'x', sizeof(msg));
	msg[sizeof(msg) - 1] = '\n';
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		goto out;
	}
	if (pid == 0) {
		ssize_t r;

		close(sv[0]);
		while ((r = read(sv[1], buf, sizeof(buf))) > 0)
			if (write(sv[1], buf, (size_t)r) != r)
				_exit(1);
		_exit(0);
	}
	close(sv[1]);
	sv[1] = -1;
	for (unsigned i = 0; i < n; i++) {
		int64_t t0 = bench_now_ns();
		size_t got = 0;

		if (write(sv[0], msg, sizeof(msg)) != (ssize_t)sizeof(msg)) {
			rc = -EIO;
			break;
		}
		while (got < sizeof(msg)) {
			ssize_t r = read(sv[0], buf, sizeof(buf));

			if (r <= 0) {
				rc = -EIO;
				break;
			}
			got += (size_t)r;
		}
		if (rc)
			break;
		bench_samples_add(&s, (double)(bench_now_ns() - t0) / 1e3);
	}
	close(sv[0]);
	sv[0] = -1;
	waitpid(pid, NULL, 0);
	if (!rc)
		bench_stat_print(name, &s);
out:
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	bench_samples_free(&s);
	return rc;
}

/* One 4 KiB append and its fdatasync in dir, as a WAL commit of one small transaction does:
 * the disk's share of a durable assign. */
int bench_floor_fsync(const char *name, const char *dir, unsigned n)
{
	struct bench_samples s = {0};
	char path[4096], page[4096];
	int fd, rc = 0;

	snprintf(path, sizeof(path), "%s/bench-fsync.tmp", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "bench-load: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	memset(page, 0xa5, sizeof(page));
	for (unsigned i = 0; i < n; i++) {
		int64_t t0 = bench_now_ns();

		if (pwrite(fd, page, sizeof(page), (off_t)(i % 256) * (off_t)sizeof(page)) !=
			    (ssize_t)sizeof(page) || fdatasync(fd)) {
			rc = -errno;
			fprintf(stderr, "bench-load: %s: %s\n", path, strerror(errno));
			break;
		}
		bench_samples_add(&s, (double)(bench_now_ns() - t0) / 1e3);
	}
	close(fd);
	unlink(path);
	if (!rc)
		bench_stat_print(name, &s);
	bench_samples_free(&s);
	return rc;
}

struct spawn_ctx {
	uv_process_t proc;
	int64_t t0;
	struct bench_samples *s;
	unsigned left;
	int rc;
};

static void spawn_next(uv_loop_t *loop, struct spawn_ctx *c);

static void on_spawn_closed(uv_handle_t *h)
{
	struct spawn_ctx *c = h->data;

	if (c->left && !c->rc)
		spawn_next(h->loop, c);
}

static void on_spawn_exit(uv_process_t *p, int64_t status, int sig)
{
	struct spawn_ctx *c = p->data;

	bench_samples_add(c->s, (double)(bench_now_ns() - c->t0) / 1e3);
	if (status || sig)
		c->rc = -ECHILD;
	uv_close((uv_handle_t *)p, on_spawn_closed);
}

static void spawn_next(uv_loop_t *loop, struct spawn_ctx *c)
{
	static char *args[] = {"/bin/true", NULL};
	uv_process_options_t o = {.file = args[0], .args = args, .exit_cb = on_spawn_exit};
	int rc;

	c->left--;
	c->t0 = bench_now_ns();
	c->proc.data = c;
	rc = uv_spawn(loop, &c->proc, &o);
	if (rc) {
		c->rc = rc;
		uv_close((uv_handle_t *)&c->proc, NULL);
	}
}

/* A bare uv_spawn of /bin/true to its exit callback: the floor of a hook run. */
int bench_floor_spawn(const char *name, unsigned n)
{
	struct bench_samples s = {0};
	struct spawn_ctx c = {.s = &s, .left = n};
	uv_loop_t loop;
	int rc;

	if (uv_loop_init(&loop))
		return -ENOMEM;
	if (n)
		spawn_next(&loop, &c);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	rc = c.rc;
	if (!rc)
		bench_stat_print(name, &s);
	else
		fprintf(stderr, "bench-load: uv_spawn /bin/true: %s\n", uv_strerror(rc));
	bench_samples_free(&s);
	return rc;
}

/* Splits line into words appended to base (argv of at most max entries). */
static int build_argv(char **base, char *line, char **out, size_t max)
{
	size_t n = 0;

	for (; *base && n + 1 < max; base++)
		out[n++] = *base;
	for (char *save = NULL, *w = strtok_r(line, " \t\n", &save); w && n + 1 < max;
	     w = strtok_r(NULL, " \t\n", &save))
		out[n++] = w;
	out[n] = NULL;
	return (int)n;
}

int bench_run(const char *name, unsigned n, const char *args_file, char **argv)
{
	struct bench_samples s = {0};
	posix_spawn_file_actions_t fa;
	char *line = NULL, failname[160];
	size_t cap = 0;
	unsigned failures = 0;
	FILE *f = NULL;
	int rc = 0;

	if (args_file && !(f = fopen(args_file, "r"))) {
		fprintf(stderr, "bench-load: %s: %s\n", args_file, strerror(errno));
		return -errno;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (unsigned i = 0; i < n; i++) {
		char *av[64], empty[1] = "";
		int64_t t0;
		pid_t pid;
		int st;

		if (f && getline(&line, &cap, f) < 0) {
			fprintf(stderr, "bench-load: %s: only %u lines for %u runs\n", args_file, i, n);
			rc = -EINVAL;
			break;
		}
		build_argv(argv, f ? line : empty, av, 64);
		t0 = bench_now_ns();
		if ((rc = posix_spawn(&pid, av[0], &fa, NULL, av, environ))) {
			fprintf(stderr, "bench-load: %s: %s\n", av[0], strerror(rc));
			rc = -rc;
			break;
		}
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		bench_samples_add(&s, (double)(bench_now_ns() - t0) / 1e3);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			failures++;
	}
	posix_spawn_file_actions_destroy(&fa);
	if (f)
		fclose(f);
	free(line);
	if (!rc) {
		bench_stat_print(name, &s);
		snprintf(failname, sizeof(failname), "%s.failures", name);
		if (failures)
			bench_value_print(failname, failures, "runs");
	}
	bench_samples_free(&s);
	return rc;
}
