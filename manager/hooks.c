/* hooks: runs the executables of hooks_dir on events without ever blocking the loop. An
 * event becomes a job (the event plus the hooks it goes to); jobs queue per ordering key
 * (the function, else the card's slot, else the host, else the chassis) so one key sees its
 * events in seq order, one run at a time; keys take turns for at most max_parallel runs.
 * A notification run is recorded in the store before its process starts and again when it
 * ends; each hook's mark (every event up to it delivered) moves as runs finish, which is
 * what a restart resumes from. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>

#include "daemon.h"
#include "hooks.h"
#include "index.h"
#include "text_escape.h"

/* ---- name filter, file check, directory scan ------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !memcmp(s + n - m, suffix, m);
}

bool fm_hooks_name_ok(const char *name)
{
	/* run-parts(8) --lsbsysinit minus its character whitelist, plus the backup and
	 * package-manager leftovers systemd's conf-files logic skips */
	if (!name || !*name || name[0] == '.')
		return false;
	if (ends_with(name, "~") || ends_with(name, ".swp") || ends_with(name, ",v") ||
	    strstr(name, ".dpkg-") || strstr(name, ".rpm") || ends_with(name, ".ucf-old") ||
	    ends_with(name, ".ucf-new") || ends_with(name, ".ucf-dist"))
		return false;
	return true;
}

int fm_hooks_check_file(const struct stat *st, uid_t self, char *reason, size_t len)
{
	if (!S_ISREG(st->st_mode)) {
		snprintf(reason, len, "not a regular file");
		return -EINVAL;
	}
	if (!(st->st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) {
		snprintf(reason, len, "not executable");
		return -ENOEXEC;
	}
	/* sshd's StrictModes: fabricd runs it with its own privileges, so only fabricd's uid
	 * or root may be able to change it */
	if (st->st_uid != self && st->st_uid != 0) {
		snprintf(reason, len, "owned by uid %u, neither fabricd's (%u) nor root", (unsigned)st->st_uid,
			 (unsigned)self);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(reason, len, "writable by %s (mode %04o)",
			 (st->st_mode & S_IWGRP) && (st->st_mode & S_IWOTH) ? "group and others"
			 : st->st_mode & S_IWGRP ? "group" : "others",
			 (unsigned)(st->st_mode & 07777));
		return -EPERM;
	}
	reason[0] = '\0';
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct fm_hooks_entry *x = a, *y = b;

	return strcmp(x->name, y->name);
}

void fm_hooks_entries_free(struct fm_hooks_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int fm_hooks_scan_dir(const char *dir, uid_t self, struct fm_hooks_entry **out, size_t *n,
		      char *err, size_t errlen)
{
	struct fm_hooks_entry *v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	struct stat st;
	char path[4096], reason[128];
	DIR *dp;
	int ret = 0;

	*out = NULL;
	*n = 0;
	dp = opendir(dir);
	if (!dp) {
		if (errno == ENOENT)
			return 0;
		ret = -errno;
		snprintf(err, errlen, "hooks directory %s: %s", dir, strerror(errno));
		return ret;
	}
	/* the directory is held to the files' rule: whoever can write it can add a hook */
	if (fstat(dirfd(dp), &st) == 0 &&
	    ((st.st_uid != self && st.st_uid != 0) || (st.st_mode & (S_IWGRP | S_IWOTH)))) {
		snprintf(err, errlen, "hooks directory %s refused: %s", dir,
			 st.st_uid != self && st.st_uid != 0 ? "owned by another user"
							      : "writable by group or others");
		closedir(dp);
		return -EPERM;
	}
	while ((de = readdir(dp))) {
		struct fm_hooks_entry *e;

		if (!fm_hooks_name_ok(de->d_name))
			continue;
		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct fm_hooks_entry *nv = realloc(v, nc * sizeof(*nv));

			if (!nv) {
				ret = -ENOMEM;
				goto fail;
			}
			v = nv;
			cap = nc;
		}
		e = &v[cnt];
		memset(e, 0, sizeof(*e));
		e->name = strdup(de->d_name);
		if (!e->name) {
			ret = -ENOMEM;
			goto fail;
		}
		cnt++;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st)) {
			snprintf(e->reason, sizeof(e->reason), "%s", strerror(errno));
			continue;
		}
		e->ok = fm_hooks_check_file(&st, self, reason, sizeof(reason)) == 0;
		snprintf(e->reason, sizeof(e->reason), "%s", reason);
	}
	closedir(dp);
	/* byte order (LC_COLLATE=C), as run-parts documents */
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_entry);
	*out = v;
	*n = cnt;
	return 0;
fail:
	closedir(dp);
	fm_hooks_entries_free(v, cnt);
	snprintf(err, errlen, "hooks directory %s: out of memory", dir);
	return ret;
}

/* ---- environment ----------------------------------------------------------------------- */

void fm_hooks_env_free(char **env)
{
	if (!env)
		return;
	for (char **p = env; *p; p++)
		free(*p);
	free(env);
}

struct envb {
	char **v;
	size_t n;
	bool oom;
};

static void env_add(struct envb *b, const char *key, const char *value)
{
	size_t len;
	char *s;

	if (!value || !*value || b->oom)
		return; /* absent, not empty */
	len = strlen(key) + strlen(value) + 2;
	s = malloc(len);
	if (!s) {
		b->oom = true;
		return;
	}
	snprintf(s, len, "%s=%s", key, value);
	b->v[b->n++] = s;
}

static void env_add_int(struct envb *b, const char *key, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	env_add(b, key, buf);
}

char **fm_hooks_env_new(const struct fm_store_event *e, const struct fm_hooks_env_opts *o)
{
	size_t n_extra = 0;
	struct envb b;
	struct json_object *detail = e->detail ? json_tokener_parse(e->detail) : NULL;
	struct json_object *bdf = NULL;
	char t[40];

	while (o && o->extra && o->extra[n_extra])
		n_extra++;
	b = (struct envb){calloc(24 + n_extra, sizeof(char *)), 0, false};
	if (!b.v) {
		json_object_put(detail);
		return NULL;
	}
	env_add(&b, "PATH", FM_HOOKS_PATH);
	env_add(&b, "LANG", o ? o->lang : NULL);
	env_add(&b, "TZ", o ? o->tz : NULL);
	for (size_t i = 0; i < n_extra && !b.oom; i++)
		if (!(b.v[b.n++] = strdup(o->extra[i])))
			b.oom = true;
	env_add(&b, "FABRIC_EVENT", e->name);
	env_add_int(&b, "FABRIC_SEQ", e->seq);
	fm_time_format(e->time_ms, t, sizeof(t));
	env_add(&b, "FABRIC_TIME", t);
	env_add(&b, "FABRIC_CHASSIS", e->chassis);
	if (e->slot >= 0)
		env_add_int(&b, "FABRIC_SLOT", e->slot);
	env_add(&b, "FABRIC_CARD", e->card);
	env_add(&b, "FABRIC_SERIAL", e->serial);
	env_add(&b, "FABRIC_FUNCTION", e->function);
	env_add(&b, "FABRIC_HOST", e->host);
	if (e->vppb >= 0)
		env_add_int(&b, "FABRIC_VPPB", e->vppb);
	if (json_object_is_type(detail, json_type_object) &&
	    json_object_object_get_ex(detail, "host_bdf", &bdf) && json_object_is_type(bdf, json_type_string))
		env_add(&b, "FABRIC_HOST_BDF", json_object_get_string(bdf));
	env_add(&b, "FABRIC_VENDOR", e->vendor);
	env_add(&b, "FABRIC_DEVICE", e->device);
	if (json_object_is_type(detail, json_type_string))
		env_add(&b, "FABRIC_DETAIL", json_object_get_string(detail));
	if (o && o->redelivery)
		env_add(&b, "FABRIC_REDELIVERY", "1");
	if (o && o->test)
		env_add(&b, "FABRIC_TEST", "1");
	json_object_put(detail);
	if (b.oom) {
		fm_hooks_env_free(b.v);
		return NULL;
	}
	return b.v;
}

/* ---- output capture -------------------------------------------------------------------- */

void fm_hooks_capture_init(struct fm_hooks_capture *c,
			   void (*emit)(void *arg, int stream, const char *line), void *arg)
{
	memset(c, 0, sizeof(*c));
	c->emit = emit;
	c->arg = arg;
}

static void capture_flush(struct fm_hooks_capture *c, int s)
{
	char esc[FM_HOOKS_LINE_MAX * 4 + 8];

	fab_escape(esc, sizeof(esc), c->part[s], c->plen[s]);
	if (s == 1 && !c->have_first_err && c->plen[s]) {
		snprintf(c->first_err, sizeof(c->first_err), "%s", esc);
		c->have_first_err = true;
	}
	if (c->emit)
		c->emit(c->arg, s, esc);
	c->plen[s] = 0;
}

void fm_hooks_capture_feed(struct fm_hooks_capture *c, int s, const char *buf, size_t n)
{
	size_t room = c->kept < FM_HOOKS_CAPTURE_MAX ? FM_HOOKS_CAPTURE_MAX - c->kept : 0;

	if (n > room) {
		c->dropped += n - room;
		n = room;
	}
	c->kept += n;
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			capture_flush(c, s);
			continue;
		}
		c->part[s][c->plen[s]++] = buf[i];
		if (c->plen[s] == FM_HOOKS_LINE_MAX)
			capture_flush(c, s);
	}
}

void fm_hooks_capture_end(struct fm_hooks_capture *c)
{
	for (int s = 0; s < 2; s++)
		if (c->plen[s])
			capture_flush(c, s);
}

/* ---- the runner ------------------------------------------------------------------------ */

struct hook {
	char *name;
	bool ok;
	char reason[128];
	bool present;  /* in the last scan */
	int64_t mark;  /* stored: every event <= mark delivered */
	int64_t high;  /* highest seq queued for it */
	int64_t *pend; /* seqs queued or running, ascending */
	size_t npend, cappend;
	bool have_last;
	struct fm_store_hook_run last;
	char last_event[40];
	struct hook *next;
};

struct job_hook {
	char *name;
	bool redelivery;
};

struct keyq;

struct job {
	enum fm_store_run_kind kind;
	struct fm_store_event ev; /* strings owned (strs) */
	char *strs[10];
	char *json; /* stdin: the event object and a newline */
	struct job_hook *hooks;
	size_t n, next;
	struct keyq *q;
	struct job *qnext;
	fm_hooks_veto_fn veto_cb;
	fm_hooks_test_fn test_cb;
	void *arg;
	struct json_object *test_runs;
	bool refused;
	char refused_by[256];
	char refused_msg[512];
};

struct keyq {
	char *key;
	struct job *head, *tail;
	bool busy;    /* a run of its head job is going, or it waits in the ready list */
	bool running; /* a run of its head job is going */
	struct keyq *ready_next;
	struct keyq *all_prev, *all_next; /* every queue (fm_hooks.qlist) */
};

struct run {
	struct fm_hooks *h;
	struct job *job;
	struct job_hook *jh;
	char *path;
	char name_esc[300];
	uv_process_t proc;
	uv_pipe_t in, out, err;
	uv_timer_t timer;
	uv_write_t wreq;
	int handles; /* open handles; freed at 0 */
	bool spawned, exited, term_sent, kill_sent, done, stopping;
	bool awaiting_record; /* the store holds r until its start record commits */
	int eofs;
	int pid;
	int64_t start_ms, run_id;
	struct fm_hook_result res;
	struct fm_hooks_capture cap;
	char spawn_err[128];
	struct run *prev, *next;
	char rbuf[16384];
};

struct fm_hooks {
	uv_loop_t *loop;
	struct fm_store *store;
	struct fm_hooks_ops ops;
	void *arg;
	char *dir;
	uint32_t timeout_ms;
	unsigned max_parallel;
	char *lang, *tz;
	char **env; /* hooks.env */
	uid_t self;
	struct hook *hooks; /* name order */
	struct fm_index *queues; /* key -> struct keyq */
	struct keyq *qlist;
	struct keyq *ready, *ready_tail;
	unsigned running, queued;
	struct run *runs;
	uv_fs_event_t watch;
	bool watching, watch_init, started, stopping, pumping;
	char dir_error[256];
};

static void hlog(struct fm_hooks *h, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void hlog(struct fm_hooks *h, int level, const char *fmt, ...)
{
	char buf[FM_HOOKS_LINE_MAX * 4 + 512];
	va_list ap;

	if (!h->ops.log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	h->ops.log(h->arg, level, buf);
}

static struct hook *hook_find(struct fm_hooks *h, const char *name)
{
	for (struct hook *k = h->hooks; k; k = k->next)
		if (!strcmp(k->name, name))
			return k;
	return NULL;
}

static void esc_name(char *dst, size_t len, const char *name)
{
	fab_escape(dst, len, name, strlen(name));
}

static void mark_done(void *arg, int rc)
{
	(void)arg;
	(void)rc;
}

/* The hook finished (or will never get) seq: its mark moves up to just below the oldest
 * event still queued for it. */
static void hook_unpend(struct fm_hooks *h, struct hook *k, int64_t seq)
{
	int64_t mark;

	for (size_t i = 0; i < k->npend; i++) {
		if (k->pend[i] == seq) {
			memmove(k->pend + i, k->pend + i + 1, (k->npend - i - 1) * sizeof(*k->pend));
			k->npend--;
			break;
		}
	}
	mark = k->npend ? k->pend[0] - 1 : k->high;
	if (mark > k->mark) {
		k->mark = mark;
		if (fm_store_hook_mark_put(h->store, k->name, mark, mark_done, NULL))
			hlog(h, FM_LOG_ERR, "hooks: delivery mark of %s not stored: %s", k->name,
			     fm_store_last_error(h->store));
	}
}

static int hook_pend(struct hook *k, int64_t seq)
{
	if (k->npend == k->cappend) {
		size_t nc = k->cappend ? k->cappend * 2 : 16;
		int64_t *n = realloc(k->pend, nc * sizeof(*n));

		if (!n)
			return -ENOMEM;
		k->pend = n;
		k->cappend = nc;
	}
	k->pend[k->npend++] = seq;
	if (seq > k->high)
		k->high = seq;
	return 0;
}

struct fm_hooks *fm_hooks_new(uv_loop_t *loop, struct fm_store *store,
			      const struct fm_hooks_config *cfg, const struct fm_hooks_ops *ops,
			      void *arg)
{
	struct fm_hooks *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->loop = loop;
	h->store = store;
	if (ops)
		h->ops = *ops;
	h->arg = arg;
	h->self = getuid();
	h->queues = fm_index_new(64);
	if (!h->queues) {
		free(h);
		return NULL;
	}
	fm_hooks_reconfigure(h, cfg);
	return h;
}

static void keyq_step(struct fm_hooks *h, struct keyq *q);

static void job_free(struct job *j)
{
	for (size_t i = 0; i < j->n; i++)
		free(j->hooks[i].name);
	free(j->hooks);
	for (size_t i = 0; i < sizeof(j->strs) / sizeof(j->strs[0]); i++)
		free(j->strs[i]);
	free(j->json);
	json_object_put(j->test_runs);
	free(j);
}

void fm_hooks_free(struct fm_hooks *h)
{
	if (!h)
		return;
	fm_hooks_stop(h);
	for (struct hook *k = h->hooks, *n; k; k = n) {
		n = k->next;
		free(k->name);
		free(k->pend);
		free(k);
	}
	fm_index_free(h->queues);
	free(h->dir);
	free(h->lang);
	free(h->tz);
	fm_hooks_env_free(h->env);
	free(h);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void fm_hooks_reconfigure(struct fm_hooks *h, const struct fm_hooks_config *cfg)
{
	free(h->dir);
	free(h->lang);
	free(h->tz);
	h->dir = cfg && cfg->dir && *cfg->dir ? strdup(cfg->dir) : NULL;
	h->lang = cfg ? dup_or_null(cfg->lang) : NULL;
	h->tz = cfg ? dup_or_null(cfg->tz) : NULL;
	fm_hooks_env_free(h->env);
	h->env = NULL;
	if (cfg && cfg->env) {
		size_t n = 0;

		while (cfg->env[n])
			n++;
		h->env = calloc(n + 1, sizeof(*h->env));
		for (size_t i = 0; h->env && i < n; i++)
			h->env[i] = strdup(cfg->env[i]); /* an entry lost to OOM ends the list early */
	}
	h->timeout_ms = cfg && cfg->timeout_ms ? cfg->timeout_ms : 10000;
	h->max_parallel = cfg && cfg->max_parallel ? cfg->max_parallel : FM_HOOKS_MAX_PARALLEL_DEFAULT;
}

/* ---- scanning -------------------------------------------------------------------------- */

static void on_dir_change(uv_fs_event_t *w, const char *filename, int events, int status)
{
	struct fm_hooks *h = w->data;

	(void)filename;
	(void)events;
	if (status == 0 && !h->stopping)
		fm_hooks_rescan(h);
}

static void watch_start(struct fm_hooks *h)
{
	int rc;

	if (h->watching) {
		uv_fs_event_stop(&h->watch);
		h->watching = false;
	}
	if (!h->dir || h->stopping)
		return;
	if (!h->watch_init) {
		uv_fs_event_init(h->loop, &h->watch);
		h->watch.data = h;
		h->watch_init = true;
	}
	rc = uv_fs_event_start(&h->watch, on_dir_change, h->dir, 0);
	if (rc)
		hlog(h, FM_LOG_ERR, "hooks: cannot watch %s (%s): changes are seen on SIGHUP only",
		     h->dir, uv_strerror(rc));
	else
		h->watching = true;
}

void fm_hooks_rescan(struct fm_hooks *h)
{
	struct fm_hooks_entry *v = NULL;
	size_t n = 0;
	struct hook *list = NULL, **tail = &list;
	char err[512], names[1024], esc[300];
	size_t nl = 0;
	unsigned ok = 0;
	int rc = 0;

	if (h->dir)
		rc = fm_hooks_scan_dir(h->dir, h->self, &v, &n, err, sizeof(err));
	if (rc) {
		if (strcmp(h->dir_error, err))
			hlog(h, FM_LOG_ERR, "hooks: %s; no hook runs", err);
		snprintf(h->dir_error, sizeof(h->dir_error), "%s", err);
		n = 0;
	} else {
		h->dir_error[0] = '\0';
	}
	names[0] = '\0';
	/* rebuild the list in the new order, keeping each known hook's state */
	for (size_t i = 0; i < n; i++) {
		struct hook *k = hook_find(h, v[i].name), **pp;
		bool was_ok = k && k->present && k->ok;

		if (k) { /* unlink from the old list */
			for (pp = &h->hooks; *pp != k; pp = &(*pp)->next)
				;
			*pp = k->next;
		} else {
			k = calloc(1, sizeof(*k));
			if (!k || !(k->name = strdup(v[i].name))) {
				free(k);
				continue;
			}
			k->mark = k->high = -1; /* read at start, or set when it first counts */
		}
		k->next = NULL;
		k->ok = v[i].ok;
		k->present = true;
		snprintf(k->reason, sizeof(k->reason), "%s", v[i].reason);
		*tail = k;
		tail = &k->next;
		esc_name(esc, sizeof(esc), k->name);
		if (k->ok) {
			ok++;
			nl += (size_t)snprintf(names + nl, nl < sizeof(names) ? sizeof(names) - nl : 0, "%s%s",
					       nl ? ", " : "", esc);
			if (nl >= sizeof(names))
				nl = sizeof(names) - 1;
		} else if (strcmp(k->reason, "not executable") && strcmp(k->reason, "not a regular file")) {
			hlog(h, FM_LOG_ERR, "hooks: refusing %s/%s: %s", h->dir, esc, k->reason);
		}
		/* a hook that appears while fabricd runs starts from now: no past replayed */
		if (k->ok && !was_ok && h->started && k->mark < 0) {
			k->mark = k->high = fm_store_event_last_seq(h->store);
			if (fm_store_hook_mark_put(h->store, k->name, k->mark, mark_done, NULL))
				hlog(h, FM_LOG_ERR, "hooks: delivery mark of %s not stored: %s", esc,
				     fm_store_last_error(h->store));
		}
	}
	/* hooks gone from the directory stay known (their queued runs are skipped) */
	for (struct hook *k = h->hooks; k; k = k->next)
		k->present = false;
	*tail = h->hooks;
	h->hooks = list;
	fm_hooks_entries_free(v, n);
	if (h->dir)
		hlog(h, FM_LOG_INFO, "hooks: %u to run in %s%s%s", ok, h->dir, ok ? ": " : "", names);
}

/* ---- jobs and queues ------------------------------------------------------------------- */

static void ready_push(struct fm_hooks *h, struct keyq *q)
{
	q->busy = true;
	q->ready_next = NULL;
	if (h->ready_tail)
		h->ready_tail->ready_next = q;
	else
		h->ready = q;
	h->ready_tail = q;
}

static void pump(struct fm_hooks *h)
{
	if (h->pumping)
		return;
	h->pumping = true;
	while (h->ready && h->running < h->max_parallel && !h->stopping) {
		struct keyq *q = h->ready;

		h->ready = q->ready_next;
		if (!h->ready)
			h->ready_tail = NULL;
		q->busy = false;
		keyq_step(h, q);
	}
	h->pumping = false;
}

static void event_key(const struct fm_store_event *e, enum fm_store_run_kind kind, char *buf,
		      size_t len)
{
	const char *c = e->chassis ? e->chassis : "";

	if (kind == FM_STORE_RUN_TEST)
		snprintf(buf, len, "test");
	else if (e->function)
		snprintf(buf, len, "fn|%s|%s", c, e->function);
	else if (e->slot >= 0)
		snprintf(buf, len, "slot|%s|%d", c, e->slot);
	else if (e->host)
		snprintf(buf, len, "host|%s|%s", c, e->host);
	else
		snprintf(buf, len, "chassis|%s", c);
}

static struct job *job_new(const struct fm_store_event *e, enum fm_store_run_kind kind)
{
	struct job *j = calloc(1, sizeof(*j));
	struct json_object *o;
	const char *s;
	size_t len;

	if (!j)
		return NULL;
	j->kind = kind;
	j->ev = *e;
	j->ev.name = j->strs[0] = dup_or_null(e->name);
	j->ev.chassis = j->strs[1] = dup_or_null(e->chassis);
	j->ev.card = j->strs[2] = dup_or_null(e->card);
	j->ev.function = j->strs[3] = dup_or_null(e->function);
	j->ev.host = j->strs[4] = dup_or_null(e->host);
	j->ev.detail = j->strs[5] = dup_or_null(e->detail);
	j->ev.serial = j->strs[6] = dup_or_null(e->serial);
	j->ev.vendor = j->strs[7] = dup_or_null(e->vendor);
	j->ev.device = j->strs[8] = dup_or_null(e->device);
	o = fm_event_json(&j->ev);
	s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(s);
	j->json = malloc(len + 2);
	if (j->json) {
		memcpy(j->json, s, len);
		j->json[len] = '\n';
		j->json[len + 1] = '\0';
	}
	json_object_put(o);
	if (!j->ev.name || !j->json) {
		job_free(j);
		return NULL;
	}
	return j;
}

static int job_add_hook(struct job *j, const char *name, bool redelivery)
{
	struct job_hook *n = realloc(j->hooks, (j->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	j->hooks = n;
	n[j->n].name = strdup(name);
	n[j->n].redelivery = redelivery;
	if (!n[j->n].name)
		return -ENOMEM;
	j->n++;
	return 0;
}

static void job_submit(struct fm_hooks *h, struct job *j)
{
	char key[FM_STORE_NAME_MAX * 2 + 16];
	struct keyq *q;

	event_key(&j->ev, j->kind, key, sizeof(key));
	q = fm_index_get(h->queues, key);
	if (!q) {
		q = calloc(1, sizeof(*q));
		if (!q || !(q->key = strdup(key)) || fm_index_put(h->queues, key, q)) {
			if (q && q->key)
				fm_index_del(h->queues, key);
			if (q)
				free(q->key);
			free(q);
			hlog(h, FM_LOG_ERR, "hooks: event %s (seq %" PRId64 ") not delivered: out of memory",
			     j->ev.name, j->ev.seq);
			if (j->veto_cb)
				j->veto_cb(j->arg, false, NULL, "out of memory");
			job_free(j);
			return;
		}
	}
	if (!q->all_next && !q->all_prev && h->qlist != q) {
		q->all_next = h->qlist;
		if (h->qlist)
			h->qlist->all_prev = q;
		h->qlist = q;
	}
	j->q = q;
	h->queued++;
	if (q->tail)
		q->tail->qnext = j;
	else
		q->head = j;
	q->tail = j;
	if (!q->busy && q->head == j) {
		ready_push(h, q);
		pump(h);
	}
}

/* The head job of q is done: answer its caller, free it, go on with the next. */
static void job_finish(struct fm_hooks *h, struct keyq *q)
{
	struct job *j = q->head;

	q->head = j->qnext;
	if (!q->head)
		q->tail = NULL;
	h->queued--;
	if (j->veto_cb)
		j->veto_cb(j->arg, !j->refused, j->refused && j->refused_by[0] ? j->refused_by : NULL,
			   j->refused ? j->refused_msg : NULL);
	if (j->test_cb) {
		j->test_cb(j->arg, j->test_runs);
		j->test_runs = NULL;
	}
	job_free(j);
}

static void keyq_free(struct fm_hooks *h, struct keyq *q)
{
	fm_index_del(h->queues, q->key);
	if (q->all_prev)
		q->all_prev->all_next = q->all_next;
	else
		h->qlist = q->all_next;
	if (q->all_next)
		q->all_next->all_prev = q->all_prev;
	free(q->key);
	free(q);
}

/* fabricd is stopping: every job of q ends now, vetoes refused. */
static void keyq_drain(struct fm_hooks *h, struct keyq *q)
{
	while (q->head) {
		struct job *j = q->head;

		if (j->veto_cb && !j->refused) {
			j->refused = true;
			j->refused_by[0] = '\0';
			snprintf(j->refused_msg, sizeof(j->refused_msg), "fabricd is stopping");
		}
		job_finish(h, q);
	}
	keyq_free(h, q);
}

static void run_start(struct fm_hooks *h, struct job *j, struct job_hook *jh, struct hook *k);

static void keyq_step(struct fm_hooks *h, struct keyq *q)
{
	while (q->head) {
		struct job *j = q->head;
		struct hook *k;

		if (j->refused || j->next >= j->n) {
			job_finish(h, q);
			continue;
		}
		if (h->running >= h->max_parallel) {
			ready_push(h, q);
			return;
		}
		k = hook_find(h, j->hooks[j->next].name);
		if (!k || !k->present || !k->ok) {
			/* gone or refused since the event came: it gets nothing */
			if (k && j->kind == FM_STORE_RUN_NOTIFY)
				hook_unpend(h, k, j->ev.seq);
			j->next++;
			continue;
		}
		q->busy = q->running = true;
		run_start(h, j, &j->hooks[j->next], k);
		return;
	}
	keyq_free(h, q);
}

/* ---- runs ------------------------------------------------------------------------------ */

static void run_handle_closed(uv_handle_t *hd)
{
	struct run *r = hd->data;

	if (--r->handles == 0 && !r->awaiting_record) {
		free(r->path);
		free(r);
	}
}

static void run_close(uv_handle_t *hd)
{
	if (!uv_is_closing(hd))
		uv_close(hd, run_handle_closed);
}

static void run_emit(void *arg, int stream, const char *line)
{
	struct run *r = arg;

	hlog(r->h, FM_LOG_INFO, "hook %s[%" PRId64 "]%s: %s", r->name_esc, r->job->ev.seq,
	     stream ? " stderr" : "", line);
}

static void result_text(const struct fm_hook_result *res, char *buf, size_t len)
{
	if (res->timed_out)
		snprintf(buf, len, "timed out");
	else if (res->signal)
		snprintf(buf, len, "killed by signal %d (%s)", res->signal, strsignal(res->signal));
	else
		snprintf(buf, len, "exit status %d", res->exit_code);
}

static void run_recorded(void *arg, int rc)
{
	(void)arg;
	(void)rc;
}

static bool result_ok(const struct fm_hook_result *res)
{
	return !res->timed_out && !res->signal && res->exit_code == 0;
}

static void remember_last(struct hook *k, const struct run *r, const struct fm_store_hook_run *sr)
{
	k->have_last = true;
	k->last = *sr;
	snprintf(k->last_event, sizeof(k->last_event), "%s", r->job->ev.name);
	k->last.event = k->last_event;
	k->last.hook = NULL; /* filled when shown */
}

/* Both the process and its output are done: record, log, move on. */
static void run_complete(struct run *r)
{
	struct fm_hooks *h = r->h;
	struct job *j = r->job;
	struct keyq *q = j->q;
	struct hook *k = hook_find(h, r->jh->name);
	struct fm_store_hook_run sr = {0};
	char what[160];

	if (r->done)
		return;
	r->done = true;
	if (r->res.timed_out && r->pid > 0)
		kill(-r->pid, SIGKILL); /* whatever of its group outlived it */
	uv_timer_stop(&r->timer);
	run_close((uv_handle_t *)&r->timer);
	run_close((uv_handle_t *)&r->out);
	run_close((uv_handle_t *)&r->err);
	run_close((uv_handle_t *)&r->in);
	if (r->spawned)
		run_close((uv_handle_t *)&r->proc);
	fm_hooks_capture_end(&r->cap);
	r->res.truncated = r->cap.dropped > 0;
	r->res.dropped = r->cap.dropped;
	r->res.duration_ms = fm_now_ms() - r->start_ms;
	if (r->prev)
		r->prev->next = r->next;
	else
		h->runs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	h->running--;

	result_text(&r->res, what, sizeof(what));
	if (r->spawn_err[0])
		snprintf(what, sizeof(what), "could not start: %s", r->spawn_err);
	if (r->res.truncated)
		hlog(h, FM_LOG_ERR, "hook %s[%" PRId64 "]: output truncated: %" PRIu64 " bytes past %u dropped",
		     r->name_esc, j->ev.seq, r->res.dropped, FM_HOOKS_CAPTURE_MAX);
	hlog(h, result_ok(&r->res) ? FM_LOG_DEBUG : FM_LOG_ERR, "hook %s[%" PRId64 "] %s: %s after %" PRId64 " ms",
	     r->name_esc, j->ev.seq, j->ev.name, what, r->res.duration_ms);

	sr.id = r->run_id;
	sr.hook = r->jh->name;
	sr.seq = j->ev.seq;
	sr.event = j->ev.name;
	sr.started_ms = r->start_ms;
	sr.duration_ms = r->res.duration_ms;
	sr.exit_code = r->res.exit_code;
	sr.signal = r->res.signal;
	sr.timed_out = r->res.timed_out;
	sr.truncated = r->res.truncated;
	sr.dropped = (int64_t)r->res.dropped;
	sr.redelivery = r->jh->redelivery;
	sr.kind = j->kind;
	if (k)
		remember_last(k, r, &sr);

	if (r->stopping && j->kind == FM_STORE_RUN_NOTIFY) {
		/* cut short by shutdown: left unfinished in the store, so the next start
		 * delivers it again, marked as a redelivery */
	} else if (j->kind == FM_STORE_RUN_NOTIFY) {
		if (r->run_id > 0 && fm_store_hook_run_finish(h->store, &sr, run_recorded, NULL))
			hlog(h, FM_LOG_ERR, "hooks: run of %s not recorded: %s", r->name_esc,
			     fm_store_last_error(h->store));
		if (k)
			hook_unpend(h, k, j->ev.seq);
		if (!result_ok(&r->res) && h->ops.failed)
			h->ops.failed(h->arg, &j->ev, r->jh->name, &r->res);
	} else {
		int64_t id = 0;

		if (fm_store_hook_run_start(h->store, &sr, &id, run_recorded, NULL) == 0) {
			sr.id = id;
			fm_store_hook_run_finish(h->store, &sr, run_recorded, NULL);
		}
	}
	if (j->kind == FM_STORE_RUN_VETO && (!result_ok(&r->res) || r->stopping) && !j->refused) {
		j->refused = true;
		snprintf(j->refused_by, sizeof(j->refused_by), "%s", r->name_esc);
		if (r->stopping)
			snprintf(j->refused_msg, sizeof(j->refused_msg), "fabricd is stopping");
		else if (r->res.timed_out)
			snprintf(j->refused_msg, sizeof(j->refused_msg), "timed out after %u ms", h->timeout_ms);
		else if (r->cap.have_first_err && !r->res.signal)
			snprintf(j->refused_msg, sizeof(j->refused_msg), "%s", r->cap.first_err);
		else
			snprintf(j->refused_msg, sizeof(j->refused_msg), "%s", what);
	}
	if (j->kind == FM_STORE_RUN_TEST && j->test_runs) {
		struct json_object *o = fm_hooks_run_json(&sr);

		if (r->cap.have_first_err)
			json_object_object_add(o, "stderr", json_object_new_string(r->cap.first_err));
		json_object_array_add(j->test_runs, o);
	}
	j->next++;
	q->running = false;
	if (h->stopping) {
		keyq_drain(h, q);
		return;
	}
	ready_push(h, q);
	pump(h);
}

static void run_maybe_complete(struct run *r)
{
	if (r->exited && r->eofs >= 2)
		run_complete(r);
}

static void on_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *buf)
{
	struct run *r = hd->data;

	(void)suggested;
	buf->base = r->rbuf;
	buf->len = sizeof(r->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct run *r = s->data;

	if (nread > 0) {
		fm_hooks_capture_feed(&r->cap, s == (uv_stream_t *)&r->err, buf->base, (size_t)nread);
		return;
	}
	if (nread == 0)
		return;
	uv_read_stop(s);
	r->eofs++;
	run_maybe_complete(r);
}

static void on_timer(uv_timer_t *t);

static void on_hook_exit(uv_process_t *p, int64_t status, int term_signal)
{
	struct run *r = p->data;

	r->exited = true;
	r->res.exit_code = term_signal ? -1 : (int)status;
	r->res.signal = term_signal;
	run_maybe_complete(r);
	/* a child may still hold the pipes: read what it has for a moment, no longer (after a
	 * timeout the drain also ends in SIGKILL for what is left of the group) */
	if (!r->done)
		uv_timer_start(&r->timer, on_timer, FM_HOOKS_DRAIN_MS, 0);
}

static void on_timer(uv_timer_t *t)
{
	struct run *r = t->data;

	if (r->exited) { /* the drain time after exit is over */
		if (r->term_sent && !r->kill_sent)
			kill(-r->pid, SIGKILL);
		run_complete(r);
		return;
	}
	if (!r->term_sent) {
		r->res.timed_out = !r->stopping;
		hlog(r->h, FM_LOG_ERR, "hook %s[%" PRId64 "]: %s; SIGTERM to its process group",
		     r->name_esc, r->job->ev.seq, r->stopping ? "fabricd is stopping" : "timed out");
		kill(-r->pid, SIGTERM);
		r->term_sent = true;
		uv_timer_start(&r->timer, on_timer, FM_HOOKS_KILL_GRACE_MS, 0);
		return;
	}
	hlog(r->h, FM_LOG_ERR, "hook %s[%" PRId64 "]: still running; SIGKILL to its process group",
	     r->name_esc, r->job->ev.seq);
	kill(-r->pid, SIGKILL);
	r->kill_sent = true;
}

static void on_stdin_written(uv_write_t *w, int status)
{
	struct run *r = w->data;

	(void)status; /* a hook that does not read its stdin is fine: EPIPE is ignored */
	run_close((uv_handle_t *)&r->in);
}

static void run_spawn(struct run *r)
{
	struct fm_hooks *h = r->h;
	struct job *j = r->job;
	struct fm_hooks_env_opts eo = {h->lang, h->tz, h->env, r->jh->redelivery,
				       j->kind == FM_STORE_RUN_TEST};
	char *argv[3] = {r->path, (char *)j->ev.name, NULL};
	uv_process_options_t po;
	uv_stdio_container_t stdio[3];
	char **env = NULL;
	struct stat st;
	char reason[128];
	uv_buf_t b;
	int rc;

	r->start_ms = fm_now_ms();
	/* checked again at the last moment: the file may have changed since the scan */
	if (stat(r->path, &st)) {
		snprintf(r->spawn_err, sizeof(r->spawn_err), "%s", strerror(errno));
		goto fail;
	}
	if (fm_hooks_check_file(&st, h->self, reason, sizeof(reason))) {
		snprintf(r->spawn_err, sizeof(r->spawn_err), "%s", reason);
		goto fail;
	}
	env = fm_hooks_env_new(&j->ev, &eo);
	if (!env) {
		snprintf(r->spawn_err, sizeof(r->spawn_err), "out of memory");
		goto fail;
	}
	memset(&po, 0, sizeof(po));
	stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
	stdio[0].data.stream = (uv_stream_t *)&r->in;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&r->out;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&r->err;
	po.exit_cb = on_hook_exit;
	po.file = r->path;
	po.args = argv;
	po.env = env;
	po.cwd = "/";
	/* setsid(): the hook leads its own process group, which the timeout kills whole */
	po.flags = UV_PROCESS_DETACHED;
	po.stdio_count = 3;
	po.stdio = stdio;
	r->proc.data = r;
	rc = uv_spawn(h->loop, &r->proc, &po);
	fm_hooks_env_free(env);
	r->handles++; /* the process handle is initialized even when uv_spawn fails */
	r->spawned = true;
	if (rc) {
		snprintf(r->spawn_err, sizeof(r->spawn_err), "%s", uv_strerror(rc));
		goto fail;
	}
	r->pid = r->proc.pid;
	uv_read_start((uv_stream_t *)&r->out, on_alloc, on_read);
	uv_read_start((uv_stream_t *)&r->err, on_alloc, on_read);
	b = uv_buf_init(j->json, (unsigned)strlen(j->json));
	r->wreq.data = r;
	if (uv_write(&r->wreq, (uv_stream_t *)&r->in, &b, 1, on_stdin_written))
		run_close((uv_handle_t *)&r->in);
	uv_timer_start(&r->timer, on_timer, h->timeout_ms, 0);
	if (h->stopping) /* stopped while the run's start was being recorded */
		on_timer(&r->timer);
	return;
fail:
	r->exited = true;
	r->eofs = 2;
	r->res.exit_code = 127; /* the shell's "command not found or not executable" */
	run_complete(r);
}

static void run_start_recorded(void *arg, int rc)
{
	struct run *r = arg;

	r->awaiting_record = false;
	if (r->done) { /* fabricd stopped before the record committed: never started */
		if (r->handles == 0) {
			free(r->path);
			free(r);
		}
		return;
	}
	if (rc)
		hlog(r->h, FM_LOG_ERR, "hooks: start of %s not recorded (%s); running it anyway",
		     r->name_esc, fm_store_last_error(r->h->store));
	run_spawn(r);
}

static void run_start(struct fm_hooks *h, struct job *j, struct job_hook *jh, struct hook *k)
{
	struct run *r = calloc(1, sizeof(*r));
	size_t len;

	h->running++;
	if (!r || !(r->path = malloc(len = strlen(h->dir) + strlen(k->name) + 2))) {
		free(r);
		h->running--;
		hlog(h, FM_LOG_ERR, "hooks: out of memory running %s", k->name);
		if (j->kind == FM_STORE_RUN_NOTIFY)
			hook_unpend(h, k, j->ev.seq);
		j->next++;
		j->q->running = false;
		ready_push(h, j->q);
		return;
	}
	snprintf(r->path, len, "%s/%s", h->dir, k->name);
	r->h = h;
	r->job = j;
	r->jh = jh;
	esc_name(r->name_esc, sizeof(r->name_esc), k->name);
	fm_hooks_capture_init(&r->cap, run_emit, r);
	r->res.exit_code = -1;
	uv_pipe_init(h->loop, &r->in, 0);
	uv_pipe_init(h->loop, &r->out, 0);
	uv_pipe_init(h->loop, &r->err, 0);
	uv_timer_init(h->loop, &r->timer);
	r->in.data = r->out.data = r->err.data = r->timer.data = r;
	r->handles = 4;
	r->next = h->runs;
	if (h->runs)
		h->runs->prev = r;
	h->runs = r;
	if (j->kind == FM_STORE_RUN_NOTIFY) {
		struct fm_store_hook_run sr = {.hook = k->name, .seq = j->ev.seq, .event = j->ev.name,
					       .redelivery = jh->redelivery, .kind = j->kind};

		/* durable before the process starts: a restart then knows it may repeat it */
		if (fm_store_hook_run_start(h->store, &sr, &r->run_id, run_start_recorded, r) == 0) {
			r->awaiting_record = true;
			return;
		}
		hlog(h, FM_LOG_ERR, "hooks: start of %s not recorded (%s); running it anyway",
		     r->name_esc, fm_store_last_error(h->store));
		r->run_id = 0;
	}
	run_spawn(r);
}

/* ---- events in ------------------------------------------------------------------------- */

static bool delivered_to_hooks(const char *name)
{
	/* hook-failed would loop; pre-* are asked through fm_hooks_veto, never replayed */
	return strcmp(name, "hook-failed") && strncmp(name, "pre-", 4);
}

void fm_hooks_event(struct fm_hooks *h, const struct fm_store_event *e)
{
	struct job *j;

	if (!h || h->stopping || !h->started || !delivered_to_hooks(e->name) || e->seq <= 0)
		return;
	j = job_new(e, FM_STORE_RUN_NOTIFY);
	if (!j) {
		hlog(h, FM_LOG_ERR, "hooks: event %s (seq %" PRId64 ") not delivered: out of memory",
		     e->name, e->seq);
		return;
	}
	for (struct hook *k = h->hooks; k; k = k->next) {
		if (!k->present || !k->ok || e->seq <= k->high)
			continue;
		if (job_add_hook(j, k->name, false) || hook_pend(k, e->seq)) {
			hlog(h, FM_LOG_ERR, "hooks: event %s (seq %" PRId64 ") not delivered to %s: out of memory",
			     e->name, e->seq, k->name);
			continue;
		}
	}
	if (!j->n) {
		job_free(j);
		return;
	}
	job_submit(h, j);
}

void fm_hooks_veto(struct fm_hooks *h, const struct fm_store_event *e, fm_hooks_veto_fn cb,
		   void *arg)
{
	struct job *j;

	if (!h || h->stopping) {
		cb(arg, false, NULL, "fabricd is stopping");
		return;
	}
	j = job_new(e, FM_STORE_RUN_VETO);
	if (!j) {
		cb(arg, false, NULL, "out of memory");
		return;
	}
	for (struct hook *k = h->hooks; k; k = k->next)
		if (k->present && k->ok && job_add_hook(j, k->name, false)) {
			job_free(j);
			cb(arg, false, NULL, "out of memory");
			return;
		}
	if (!j->n) {
		job_free(j);
		cb(arg, true, NULL, NULL);
		return;
	}
	j->veto_cb = cb;
	j->arg = arg;
	job_submit(h, j);
}

void fm_hooks_test(struct fm_hooks *h, const struct fm_store_event *e, fm_hooks_test_fn cb,
		   void *arg)
{
	struct job *j = h && !h->stopping ? job_new(e, FM_STORE_RUN_TEST) : NULL;

	if (!j) {
		cb(arg, NULL);
		return;
	}
	j->test_runs = json_object_new_array();
	for (struct hook *k = h->hooks; k; k = k->next)
		if (k->present && k->ok)
			job_add_hook(j, k->name, false);
	j->test_cb = cb;
	j->arg = arg;
	if (!j->n) {
		cb(arg, j->test_runs);
		j->test_runs = NULL;
		job_free(j);
		return;
	}
	job_submit(h, j);
}

/* ---- start: what the last run of fabricd left undelivered ------------------------------ */

struct seen_run {
	char *hook;
	int64_t seq;
	bool finished;
};

struct replay {
	struct fm_hooks *h;
	struct seen_run *runs;
	size_t n, cap;
	struct job **jobs;
	size_t njobs, capjobs;
	bool oom;
};

static int collect_run(void *arg, const struct fm_store_hook_run *r)
{
	struct replay *rp = arg;

	if (r->kind != FM_STORE_RUN_NOTIFY)
		return 0;
	if (rp->n == rp->cap) {
		size_t nc = rp->cap ? rp->cap * 2 : 64;
		struct seen_run *n = realloc(rp->runs, nc * sizeof(*n));

		if (!n) {
			rp->oom = true;
			return -ENOMEM;
		}
		rp->runs = n;
		rp->cap = nc;
	}
	rp->runs[rp->n].hook = strdup(r->hook);
	rp->runs[rp->n].seq = r->seq;
	rp->runs[rp->n].finished = r->duration_ms >= 0;
	if (!rp->runs[rp->n].hook) {
		rp->oom = true;
		return -ENOMEM;
	}
	rp->n++;
	return 0;
}

/* 0 never started, 1 started but not finished, 2 finished */
static int run_state(const struct replay *rp, const char *hook, int64_t seq)
{
	int st = 0;

	for (size_t i = 0; i < rp->n; i++)
		if (rp->runs[i].seq == seq && !strcmp(rp->runs[i].hook, hook))
			st = rp->runs[i].finished ? 2 : (st ? st : 1);
	return st;
}

static int replay_event(void *arg, const struct fm_store_event *e)
{
	struct replay *rp = arg;
	struct fm_hooks *h = rp->h;
	struct job *j;

	if (!delivered_to_hooks(e->name))
		return 0;
	j = job_new(e, FM_STORE_RUN_NOTIFY);
	if (!j) {
		rp->oom = true;
		return -ENOMEM;
	}
	for (struct hook *k = h->hooks; k; k = k->next) {
		int st;

		if (!k->present || !k->ok || e->seq <= k->mark)
			continue;
		st = run_state(rp, k->name, e->seq);
		if (st == 2) /* finished out of order before the stop */
			continue;
		if (job_add_hook(j, k->name, st == 1) || hook_pend(k, e->seq))
			rp->oom = true;
	}
	if (!j->n) {
		job_free(j);
		return 0;
	}
	if (rp->njobs == rp->capjobs) {
		size_t nc = rp->capjobs ? rp->capjobs * 2 : 64;
		struct job **n = realloc(rp->jobs, nc * sizeof(*n));

		if (!n) {
			job_free(j);
			rp->oom = true;
			return -ENOMEM;
		}
		rp->jobs = n;
		rp->capjobs = nc;
	}
	rp->jobs[rp->njobs++] = j;
	return 0;
}

int fm_hooks_start(struct fm_hooks *h)
{
	int64_t last = fm_store_event_last_seq(h->store), low = last;
	struct replay rp = {.h = h};
	int rc = 0;

	fm_hooks_rescan(h);
	for (struct hook *k = h->hooks; k; k = k->next) {
		if (!k->ok)
			continue;
		rc = fm_store_hook_mark_get(h->store, k->name, &k->mark);
		if (rc == -ENOENT || (rc == 0 && k->mark > last)) {
			/* a hook fabricd has not run before starts from now */
			k->mark = last;
			if (fm_store_hook_mark_put(h->store, k->name, last, mark_done, NULL))
				hlog(h, FM_LOG_ERR, "hooks: delivery mark of %s not stored: %s", k->name,
				     fm_store_last_error(h->store));
		} else if (rc) {
			hlog(h, FM_LOG_ERR, "hooks: %s", fm_store_last_error(h->store));
			k->mark = last;
		}
		k->high = k->mark;
		if (k->mark < low)
			low = k->mark;
	}
	rc = 0;
	if (low < last) {
		rc = fm_store_hook_run_list(h->store, low, 0, 0, collect_run, &rp);
		if (!rc)
			rc = fm_store_event_list(h->store, low, 0, replay_event, &rp);
		if (rc || rp.oom)
			hlog(h, FM_LOG_ERR, "hooks: reading what is left to deliver: %s",
			     rp.oom ? "out of memory" : fm_store_last_error(h->store));
	}
	for (struct hook *k = h->hooks; k; k = k->next)
		if (k->ok && k->high < last)
			k->high = last;
	h->started = true;
	if (rp.njobs)
		hlog(h, FM_LOG_INFO, "hooks: delivering %zu events left from before the restart (seq %" PRId64
		     " to %" PRId64 ")", rp.njobs, rp.jobs[0]->ev.seq, rp.jobs[rp.njobs - 1]->ev.seq);
	for (size_t i = 0; i < rp.njobs; i++)
		job_submit(h, rp.jobs[i]);
	for (size_t i = 0; i < rp.n; i++)
		free(rp.runs[i].hook);
	free(rp.runs);
	free(rp.jobs);
	watch_start(h);
	return rc;
}

void fm_hooks_stop(struct fm_hooks *h)
{
	if (!h || h->stopping)
		return;
	h->stopping = true;
	if (h->watch_init) {
		if (h->watching)
			uv_fs_event_stop(&h->watch);
		uv_close((uv_handle_t *)&h->watch, NULL);
		h->watching = h->watch_init = false;
	}
	/* running hooks: SIGTERM now, SIGKILL after the grace period; vetoes they serve are
	 * refused when they end */
	for (struct run *r = h->runs, *next; r; r = next) {
		next = r->next;
		r->stopping = true;
		if (r->awaiting_record && !r->spawned)
			run_complete(r); /* not started: its handles close while the loop still runs */
		else if (r->pid > 0 && !r->exited && !r->term_sent)
			on_timer(&r->timer);
	}
	/* queued jobs: vetoes refused, notifications left for the next start; a queue whose
	 * head is running is drained when that run ends */
	h->ready = h->ready_tail = NULL;
	for (struct keyq *q = h->qlist, *n; q; q = n) {
		n = q->all_next;
		if (!q->running)
			keyq_drain(h, q);
	}
}

/* ---- what the API shows ---------------------------------------------------------------- */

struct json_object *fm_hooks_run_json(const struct fm_store_hook_run *r)
{
	struct json_object *o = json_object_new_object();
	char t[40], res[64];

	fm_time_format(r->started_ms, t, sizeof(t));
	if (r->duration_ms < 0)
		snprintf(res, sizeof(res), "unfinished");
	else if (r->timed_out)
		snprintf(res, sizeof(res), "timeout");
	else if (r->signal)
		snprintf(res, sizeof(res), "signal %d", r->signal);
	else if (r->exit_code)
		snprintf(res, sizeof(res), "exit %d", r->exit_code);
	else
		snprintf(res, sizeof(res), "ok");
	if (r->id > 0)
		json_object_object_add(o, "id", json_object_new_int64(r->id));
	if (r->hook)
		json_object_object_add(o, "hook", json_object_new_string(r->hook));
	json_object_object_add(o, "seq", json_object_new_int64(r->seq));
	json_object_object_add(o, "event", json_object_new_string(r->event ? r->event : ""));
	json_object_object_add(o, "kind", json_object_new_string(fm_store_run_kind_name(r->kind)));
	json_object_object_add(o, "time", json_object_new_string(t));
	json_object_object_add(o, "result", json_object_new_string(res));
	json_object_object_add(o, "duration_ms", r->duration_ms < 0 ? NULL
							: json_object_new_int64(r->duration_ms));
	json_object_object_add(o, "exit_code", r->exit_code < 0 ? NULL : json_object_new_int(r->exit_code));
	json_object_object_add(o, "signal", r->signal ? json_object_new_int(r->signal) : NULL);
	json_object_object_add(o, "timed_out", json_object_new_boolean(r->timed_out));
	json_object_object_add(o, "truncated", json_object_new_boolean(r->truncated));
	json_object_object_add(o, "dropped_bytes", json_object_new_int64(r->dropped));
	json_object_object_add(o, "redelivery", json_object_new_boolean(r->redelivery));
	return o;
}

struct json_object *fm_hooks_list_json(struct fm_hooks *h)
{
	struct json_object *o = json_object_new_object(), *a = json_object_new_array();

	json_object_object_add(o, "dir", h->dir ? json_object_new_string(h->dir) : NULL);
	if (h->dir_error[0])
		json_object_object_add(o, "error", json_object_new_string(h->dir_error));
	json_object_object_add(o, "timeout_ms", json_object_new_int64(h->timeout_ms));
	json_object_object_add(o, "max_parallel", json_object_new_int64(h->max_parallel));
	json_object_object_add(o, "running", json_object_new_int64(h->running));
	json_object_object_add(o, "queued", json_object_new_int64(h->queued));
	for (struct hook *k = h->hooks; k; k = k->next) {
		struct json_object *x;

		if (!k->present)
			continue;
		x = json_object_new_object();
		json_object_object_add(x, "name", json_object_new_string(k->name));
		json_object_object_add(x, "runs", json_object_new_boolean(k->ok));
		if (!k->ok)
			json_object_object_add(x, "reason", json_object_new_string(k->reason));
		if (k->ok)
			json_object_object_add(x, "delivered_seq", json_object_new_int64(k->mark));
		json_object_object_add(x, "pending", json_object_new_int64((int64_t)k->npend));
		if (k->have_last) {
			struct fm_store_hook_run last = k->last;

			last.hook = NULL;
			json_object_object_add(x, "last", fm_hooks_run_json(&last));
		} else {
			json_object_object_add(x, "last", NULL);
		}
		json_object_array_add(a, x);
	}
	json_object_object_add(o, "hooks", a);
	return o;
}

unsigned fm_hooks_running(const struct fm_hooks *h)
{
	return h ? h->running : 0;
}

unsigned fm_hooks_queued(const struct fm_hooks *h)
{
	return h ? h->queued : 0;
}

unsigned fm_hooks_runnable(const struct fm_hooks *h)
{
	unsigned n = 0;

	for (const struct hook *k = h ? h->hooks : NULL; k; k = k->next)
		n += k->present && k->ok;
	return h && !h->stopping ? n : 0;
}

void fm_hooks_seal_inherited_fds(void)
{
	DIR *dp = opendir("/proc/self/fd");
	struct dirent *de;

	if (!dp)
		return;
	while ((de = readdir(dp))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		int fl;

		if (*end || end == de->d_name || fd < 3 || fd == dirfd(dp))
			continue;
		fl = fcntl((int)fd, F_GETFD);
		if (fl >= 0 && !(fl & FD_CLOEXEC))
			fcntl((int)fd, F_SETFD, fl | FD_CLOEXEC);
	}
	closedir(dp);
}
