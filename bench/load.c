/* load: measurements made through fabricd's JSON-RPC socket by a C client, so that what is
 * timed is the daemon and not a CLI's process start. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "load.h"
#include "rpc.h"
#include "stats.h"

extern char **environ;

#define DEADLINE_NS (120LL * 1000000000) /* no wait of the harness is unbounded */

int bench_fnlist_load(const char *path, struct bench_fnlist *l)
{
	FILE *f = fopen(path, "r");
	char fn[256], host[128];
	unsigned cap = 0;

	memset(l, 0, sizeof(*l));
	if (!f) {
		fprintf(stderr, "bench-load: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (fscanf(f, "%255s %127s", fn, host) == 2) {
		if (l->n == cap) {
			cap = cap ? cap * 2 : 1024;
			l->fn = realloc(l->fn, cap * sizeof(char *));
			l->host = realloc(l->host, cap * sizeof(char *));
			if (!l->fn || !l->host) {
				fclose(f);
				return -ENOMEM;
			}
		}
		l->fn[l->n] = strdup(fn);
		l->host[l->n] = strdup(host);
		l->n++;
	}
	fclose(f);
	return 0;
}

void bench_fnlist_free(struct bench_fnlist *l)
{
	for (unsigned i = 0; i < l->n; i++) {
		free(l->fn[i]);
		free(l->host[i]);
	}
	free(l->fn);
	free(l->host);
	memset(l, 0, sizeof(*l));
}

static void assign_params(char *buf, size_t len, const struct bench_fnlist *l, unsigned i)
{
	snprintf(buf, len, "{\"function\":\"%s\",\"host\":\"%s\"}", l->fn[i], l->host[i]);
}

static void unassign_params(char *buf, size_t len, const struct bench_fnlist *l, unsigned i)
{
	snprintf(buf, len, "{\"function\":\"%s\",\"mode\":\"surprise\"}", l->fn[i]);
}

/* One blocking call that must succeed; 0 or -EIO with the error on stderr. */
static int call_ok(struct bench_rpc *c, const char *method, const char *params)
{
	struct json_object *r = bench_rpc_call(c, method, params);
	const char *e = bench_rpc_error(r);
	int rc = 0;

	if (*e) {
		fprintf(stderr, "bench-load: %s %s: %s\n", method, params ? params : "", e);
		rc = -EIO;
	}
	json_object_put(r);
	return rc;
}

static int open_or_complain(struct bench_rpc *c, const char *sock)
{
	int rc = bench_rpc_open(c, sock);

	if (rc)
		fprintf(stderr, "bench-load: %s: %s\n", sock, strerror(-rc));
	return rc;
}

static bool seen_add(char ***seen, unsigned *n, const char *s)
{
	char **v;

	for (unsigned i = 0; i < *n; i++)
		if (!strcmp((*seen)[i], s))
			return true;
	v = realloc(*seen, (*n + 1) * sizeof(*v));
	if (!v)
		return true;
	*seen = v;
	v[*n] = strdup(s);
	if (v[*n])
		(*n)++;
	return false;
}

int bench_load_prepare(const char *sock, const struct bench_fnlist *l)
{
	struct bench_rpc c;
	char p[512], pf[256], **seen = NULL;
	unsigned n_seen = 0;
	int rc = open_or_complain(&c, sock);

	for (unsigned i = 0; !rc && i < l->n; i++) {
		char *v;

		snprintf(pf, sizeof(pf), "%s", l->fn[i]);
		v = strstr(pf, "/vf");
		if (!v)
			continue;
		*v = '\0';
		if (seen_add(&seen, &n_seen, pf))
			continue;
		assign_params(p, sizeof(p), l, i);
		rc = call_ok(&c, "assign", p);
		unassign_params(p, sizeof(p), l, i);
		if (!rc)
			rc = call_ok(&c, "unassign", p);
	}
	for (unsigned i = 0; i < n_seen; i++)
		free(seen[i]);
	free(seen);
	bench_rpc_close(&c);
	return rc;
}

static int timed_call(struct bench_rpc *c, const char *method, const char *params,
		      struct bench_samples *s)
{
	int64_t t0 = bench_now_ns();
	int rc = call_ok(c, method, params);

	if (!rc)
		bench_samples_add(s, (double)(bench_now_ns() - t0) / 1e3);
	return rc;
}

int bench_load_api(const char *name, const char *sock, const struct bench_fnlist *l, unsigned n)
{
	struct bench_samples sa = {0}, su = {0};
	struct bench_rpc c;
	char p[512], label[160];
	int rc = open_or_complain(&c, sock);

	for (unsigned i = 0; !rc && i < n; i++) {
		unsigned k = i % l->n;

		assign_params(p, sizeof(p), l, k);
		rc = timed_call(&c, "assign", p, &sa);
		unassign_params(p, sizeof(p), l, k);
		if (!rc)
			rc = timed_call(&c, "unassign", p, &su);
	}
	if (!rc) {
		snprintf(label, sizeof(label), "%s.assign", name);
		bench_stat_print(label, &sa);
		snprintf(label, sizeof(label), "%s.unassign", name);
		bench_stat_print(label, &su);
	}
	bench_rpc_close(&c);
	bench_samples_free(&sa);
	bench_samples_free(&su);
	return rc;
}

int bench_load_version(const char *name, const char *sock, unsigned n)
{
	struct bench_samples s = {0};
	struct bench_rpc c;
	int rc = open_or_complain(&c, sock);

	for (unsigned i = 0; !rc && i < n; i++)
		rc = timed_call(&c, "version", NULL, &s);
	if (!rc)
		bench_stat_print(name, &s);
	bench_rpc_close(&c);
	bench_samples_free(&s);
	return rc;
}

/* The fsync counting shim's counters: fsync, fdatasync (fsync_count.c). */
static uint64_t read_syncs(const char *counter)
{
	uint64_t v[2] = {0, 0};
	int fd;

	if (!counter)
		return 0;
	fd = open(counter, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, v, sizeof(v), 0) != (ssize_t)sizeof(v))
		v[0] = v[1] = 0;
	close(fd);
	return v[0] + v[1];
}

struct tclient {
	struct bench_rpc c;
	unsigned fn;
	bool bound;    /* its function is assigned (last completed op was an assign) */
	long waiting;  /* id of the request in flight, 0 when none */
	int64_t t0;
};

static int tclient_send(struct tclient *t, const struct bench_fnlist *l)
{
	char p[512];

	if (t->bound)
		unassign_params(p, sizeof(p), l, t->fn);
	else
		assign_params(p, sizeof(p), l, t->fn);
	t->t0 = bench_now_ns();
	t->waiting = bench_rpc_send(&t->c, t->bound ? "unassign" : "assign", p);
	return t->waiting < 0 ? (int)t->waiting : 0;
}

int bench_load_throughput(const char *name, const char *sock, const struct bench_fnlist *l,
			  unsigned clients, double seconds, const char *counter)
{
	struct tclient *t = calloc(clients, sizeof(*t));
	struct pollfd *pf = calloc(clients, sizeof(*pf));
	struct bench_samples s = {0};
	uint64_t ops = 0, errors = 0, sync0, sync1;
	int64_t start, stop_at, end, hard;
	unsigned open_n = 0, busy = 0;
	char label[160], first_err[512] = "";
	int rc = 0;

	if (!t || !pf || clients > l->n) {
		fprintf(stderr, "bench-load: %u clients need %u distinct functions (have %u)\n",
			clients, clients, l->n);
		rc = -EINVAL;
		goto out;
	}
	for (; open_n < clients; open_n++) {
		t[open_n].fn = open_n;
		if ((rc = open_or_complain(&t[open_n].c, sock)))
			goto out;
		pf[open_n].fd = t[open_n].c.fd;
		pf[open_n].events = POLLIN;
	}
	sync0 = read_syncs(counter);
	start = bench_now_ns();
	stop_at = start + (int64_t)(seconds * 1e9);
	hard = start + DEADLINE_NS;
	for (unsigned i = 0; i < clients; i++) {
		if ((rc = tclient_send(&t[i], l)))
			goto out;
		busy++;
	}
	while (busy) {
		int n = poll(pf, clients, 1000);

		if (n < 0 && errno != EINTR) {
			rc = -errno;
			goto out;
		}
		if (bench_now_ns() > hard) {
			fprintf(stderr, "bench-load: %s: %u requests unanswered\n", name, busy);
			rc = -ETIMEDOUT;
			goto out;
		}
		for (unsigned i = 0; n > 0 && i < clients; i++) {
			char *line;

			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if ((rc = bench_rpc_fill(&t[i].c, false)) && rc != -EAGAIN) {
				fprintf(stderr, "bench-load: client %u: %s\n", i, strerror(-rc));
				goto out;
			}
			rc = 0;
			while ((line = bench_rpc_line(&t[i].c))) {
				struct json_object *o = json_tokener_parse(line), *jid;
				const char *e;

				if (!o || !json_object_object_get_ex(o, "id", &jid) ||
				    json_object_get_int64(jid) != t[i].waiting) {
					json_object_put(o);
					continue;
				}
				t[i].waiting = 0;
				e = bench_rpc_error(o);
				if (*e) {
					errors++;
					if (!first_err[0])
						snprintf(first_err, sizeof(first_err), "%s", e);
				} else {
					bench_samples_add(&s, (double)(bench_now_ns() - t[i].t0) / 1e3);
					ops++;
					t[i].bound = !t[i].bound;
				}
				json_object_put(o);
				/* past the deadline, a client only frees what it holds */
				if (errors > 1000 || (bench_now_ns() >= stop_at && !t[i].bound)) {
					busy--;
				} else if ((rc = tclient_send(&t[i], l))) {
					goto out;
				}
			}
		}
	}
	end = bench_now_ns();
	sync1 = read_syncs(counter);
	snprintf(label, sizeof(label), "%s.latency", name);
	bench_stat_print(label, &s);
	snprintf(label, sizeof(label), "%s.ops_per_s", name);
	bench_value_print(label, (double)ops / ((double)(end - start) / 1e9), "ops/s");
	if (counter) {
		snprintf(label, sizeof(label), "%s.fsync_per_op", name);
		bench_value_print(label, ops ? (double)(sync1 - sync0) / (double)ops : 0, "fsync/op");
	}
	if (errors) {
		snprintf(label, sizeof(label), "%s.errors", name);
		bench_value_print(label, (double)errors, "errors");
		fprintf(stderr, "bench-load: %s: %llu errors, first: %s\n", name,
			(unsigned long long)errors, first_err);
	}
out:
	for (unsigned i = 0; t && i < open_n; i++)
		bench_rpc_close(&t[i].c);
	free(t);
	free(pf);
	bench_samples_free(&s);
	return rc;
}

int bench_load_bulk(const char *sock, const struct bench_fnlist *l, unsigned n, int assign,
		    unsigned window)
{
	struct bench_rpc c;
	unsigned sent = 0, done = 0;
	char p[512];
	int rc = open_or_complain(&c, sock);

	if (n > l->n)
		n = l->n;
	while (!rc && done < n) {
		char *line;

		while (sent < n && sent - done < window) {
			if (assign)
				assign_params(p, sizeof(p), l, sent);
			else
				unassign_params(p, sizeof(p), l, sent);
			if (bench_rpc_send(&c, assign ? "assign" : "unassign", p) < 0) {
				rc = -EIO;
				break;
			}
			sent++;
		}
		if (rc || (rc = bench_rpc_fill(&c, true)))
			break;
		while ((line = bench_rpc_line(&c))) {
			struct json_object *o = json_tokener_parse(line);
			const char *e = bench_rpc_error(o);

			if (*e) {
				fprintf(stderr, "bench-load: bulk %s: %s\n", assign ? "assign" : "unassign", e);
				rc = -EIO;
			}
			json_object_put(o);
			done++;
		}
	}
	bench_rpc_close(&c);
	return rc;
}

static int64_t get_path_int(struct json_object *o, const char *a, const char *b)
{
	struct json_object *x, *y;

	if (!json_object_object_get_ex(o, "result", &x) || !json_object_object_get_ex(x, a, &y))
		return -1;
	if (b && !json_object_object_get_ex(y, b, &y))
		return -1;
	return json_object_get_int64(y);
}

static int bench_command(const char *bench_sock, const char *line)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char buf[256];
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc = 0;
	ssize_t r;

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", bench_sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		rc = -errno;
	/* the answer ("ok N" or "error ...") says the command ran */
	if (!rc && ((r = read(fd, buf, sizeof(buf) - 1)) <= 0 || strncmp(buf, "ok", 2)))
		rc = -EIO;
	close(fd);
	return rc;
}

int bench_load_reboot(const char *name, const char *sock, const char *bench_sock, unsigned n)
{
	struct bench_samples s = {0};
	struct bench_rpc ev, st;
	struct json_object *r;
	int64_t t0, hard;
	bool lost = false;
	int rc;

	if ((rc = open_or_complain(&ev, sock)))
		return rc;
	if ((rc = open_or_complain(&st, sock))) {
		bench_rpc_close(&ev);
		return rc;
	}
	r = bench_rpc_call(&st, "status", NULL);
	if (get_path_int(r, "bindings", "bound") != (int64_t)n) {
		fprintf(stderr, "bench-load: reboot: %lld bindings bound, expected %u\n",
			(long long)get_path_int(r, "bindings", "bound"), n);
		rc = -EINVAL;
	}
	json_object_put(r);
	/* live events from now on (after the last stored one): switch-lost says fabricd has
	 * seen the reboot */
	if (!rc) {
		char p[64];

		r = bench_rpc_call(&st, "status", NULL);
		snprintf(p, sizeof(p), "{\"since\":%lld}",
			 (long long)get_path_int(r, "last_event_seq", NULL));
		json_object_put(r);
		r = bench_rpc_call(&ev, "subscribe", p);
		if (*bench_rpc_error(r)) {
			fprintf(stderr, "bench-load: subscribe: %s\n", bench_rpc_error(r));
			rc = -EIO;
		}
	} else {
		r = NULL;
	}
	json_object_put(r);
	t0 = bench_now_ns();
	hard = t0 + DEADLINE_NS;
	if (!rc && (rc = bench_command(bench_sock, "reboot\n")))
		fprintf(stderr, "bench-load: %s: reboot: %s\n", bench_sock, strerror(-rc));
	while (!rc && !lost) {
		char *line;

		if ((rc = bench_rpc_fill(&ev, true)))
			break;
		while ((line = bench_rpc_line(&ev)))
			if (strstr(line, "\"method\":\"event\"") && strstr(line, "\"switch-lost\""))
				lost = true;
	}
	while (!rc) {
		struct timespec pause = {0, 2000000};
		int64_t bound;

		r = bench_rpc_call(&st, "status", NULL);
		bound = get_path_int(r, "bindings", "bound");
		json_object_put(r);
		if (bound == (int64_t)n)
			break;
		if (bench_now_ns() > hard) {
			fprintf(stderr, "bench-load: reboot: %lld of %u bound after %lld s\n",
				(long long)bound, n, DEADLINE_NS / 1000000000);
			rc = -ETIMEDOUT;
			break;
		}
		nanosleep(&pause, NULL); /* a harness polling, not the daemon */
	}
	if (!rc) {
		bench_samples_add(&s, (double)(bench_now_ns() - t0) / 1e3);
		bench_stat_print(name, &s);
	}
	bench_rpc_close(&ev);
	bench_rpc_close(&st);
	bench_samples_free(&s);
	return rc;
}

/* Waits for the next "EVENT NS" line of the stamps file after *off that names event;
 * *off moves past it. Returns its nanoseconds, or -1 at the deadline. */
static int64_t next_stamp(const char *stamps, long *off, const char *event, int64_t hard)
{
	struct timespec pause = {0, 200000};
	char line[128];
	size_t len = strlen(event);

	while (bench_now_ns() < hard) {
		FILE *f = fopen(stamps, "r");

		if (f && !fseek(f, *off, SEEK_SET))
			while (fgets(line, sizeof(line), f)) {
				if (!strchr(line, '\n'))
					break; /* a line being written: read it again */
				*off = ftell(f);
				if (!strncmp(line, event, len) && line[len] == ' ') {
					fclose(f);
					return strtoll(line + len + 1, NULL, 10);
				}
			}
		if (f)
			fclose(f);
		nanosleep(&pause, NULL); /* a harness polling a file, not the daemon */
	}
	return -1;
}

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The first chassis' function count once it is discovered and ready, else -1. */
static int64_t ready_functions(struct bench_rpc *c)
{
	struct json_object *r = bench_rpc_call(c, "switches", NULL), *res, *a, *sw, *x;
	int64_t n = -1;

	if (r && json_object_object_get_ex(r, "result", &res) &&
	    json_object_object_get_ex(res, "switches", &a) && json_object_array_length(a) > 0) {
		sw = json_object_array_get_idx(a, 0);
		if (json_object_object_get_ex(sw, "discovered", &x) && json_object_get_boolean(x) &&
		    json_object_object_get_ex(sw, "state", &x) &&
		    !strcmp(json_object_get_string(x), "ready") &&
		    json_object_object_get_ex(sw, "functions", &x))
			n = json_object_get_int64(x);
	}
	json_object_put(r);
	return n;
}

/* Waits until fabricd holds the chassis ready with want functions: a card removed while
 * fabricd still reads the one just inserted would measure a rediscovery, not a hook. */
static int wait_functions(struct bench_rpc *c, int64_t want)
{
	struct timespec pause = {0, 1000000};
	int64_t hard = bench_now_ns() + DEADLINE_NS, got;

	while ((got = ready_functions(c)) != want) {
		if (bench_now_ns() > hard) {
			fprintf(stderr, "bench-load: hook: %lld functions after %lld s, expected %lld\n",
				(long long)got, DEADLINE_NS / 1000000000, (long long)want);
			return -ETIMEDOUT;
		}
		nanosleep(&pause, NULL); /* a harness polling, not the daemon */
	}
	return 0;
}

int bench_load_hook(const char *name, const char *sock, const char *bench_sock,
		    const char *insert, const char *stamps, unsigned n)
{
	struct bench_rpc c;
	int64_t want;
	struct bench_samples s = {0};
	char remove[64], line[256];
	int64_t t0, t1;
	long off = 0;
	unsigned slot;
	int rc = 0;

	/* insert is "SLOT PROFILE SERIAL NAME", the card's own: it goes back as it was */
	if (sscanf(insert, "%u", &slot) != 1) {
		fprintf(stderr, "bench-load: hook: \"%s\" does not start with a slot\n", insert);
		return -EINVAL;
	}
	snprintf(remove, sizeof(remove), "remove %u --surprise\n", slot);
	snprintf(line, sizeof(line), "insert %s\n", insert);
	if ((rc = open_or_complain(&c, sock)))
		return rc;
	if ((want = ready_functions(&c)) <= 0) {
		fprintf(stderr, "bench-load: hook: %s: the chassis is not ready\n", sock);
		rc = -EINVAL;
	}
	for (unsigned i = 0; i < n && !rc; i++) {
		if (i && (rc = wait_functions(&c, want)))
			break;
		t0 = realtime_ns();
		if ((rc = bench_command(bench_sock, remove))) {
			fprintf(stderr, "bench-load: %s: %s", bench_sock, remove);
			break;
		}
		if ((t1 = next_stamp(stamps, &off, "card-removed",
				     bench_now_ns() + DEADLINE_NS)) < 0) {
			fprintf(stderr, "bench-load: hook: no card-removed in %s\n", stamps);
			rc = -ETIMEDOUT;
			break;
		}
		bench_samples_add(&s, (double)(t1 - t0) / 1e3);
		/* the card back and its card-added hook run done before the next removal */
		if ((rc = bench_command(bench_sock, line))) {
			fprintf(stderr, "bench-load: %s: %s", bench_sock, line);
			break;
		}
		if (next_stamp(stamps, &off, "card-added", bench_now_ns() + DEADLINE_NS) < 0) {
			fprintf(stderr, "bench-load: hook: no card-added in %s\n", stamps);
			rc = -ETIMEDOUT;
		}
	}
	if (!rc)
		bench_stat_print(name, &s);
	bench_rpc_close(&c);
	bench_samples_free(&s);
	return rc;
}

static unsigned discovered_count(struct json_object *r)
{
	struct json_object *res, *a, *d;
	unsigned n = 0;

	if (!r || !json_object_object_get_ex(r, "result", &res) ||
	    !json_object_object_get_ex(res, "switches", &a))
		return 0;
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(a, i), "discovered", &d) &&
		    json_object_get_boolean(d))
			n++;
	return n;
}

int bench_load_discover(const char *name, const char *sock, const char *logfile,
			const char *pidfile, unsigned n_chassis, char **argv)
{
	struct bench_samples s = {0};
	posix_spawn_file_actions_t fa;
	struct timespec pause = {0, 1000000};
	struct bench_rpc c = {.fd = -1};
	int64_t t0, hard;
	pid_t pid;
	FILE *f;
	int rc;

	unlink(sock);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, logfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, logfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
	t0 = bench_now_ns();
	hard = t0 + DEADLINE_NS;
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		fprintf(stderr, "bench-load: %s: %s\n", argv[0], strerror(rc));
		return -rc;
	}
	f = fopen(pidfile, "w");
	if (f) {
		fprintf(f, "%d\n", (int)pid);
		fclose(f);
	}
	while (bench_rpc_open(&c, sock)) {
		if (bench_now_ns() > hard || kill(pid, 0)) {
			fprintf(stderr, "bench-load: fabricd did not open %s\n", sock);
			return -ETIMEDOUT;
		}
		nanosleep(&pause, NULL);
	}
	for (;;) {
		struct json_object *r = bench_rpc_call(&c, "switches", NULL);
		unsigned got = discovered_count(r);

		json_object_put(r);
		if (!r) {
			rc = -EPIPE;
			break;
		}
		if (got >= n_chassis) {
			bench_samples_add(&s, (double)(bench_now_ns() - t0) / 1e3);
			bench_stat_print(name, &s);
			break;
		}
		if (bench_now_ns() > hard) {
			fprintf(stderr, "bench-load: %u of %u chassis discovered\n", got, n_chassis);
			rc = -ETIMEDOUT;
			break;
		}
		nanosleep(&pause, NULL);
	}
	bench_rpc_close(&c);
	bench_samples_free(&s);
	return rc;
}
