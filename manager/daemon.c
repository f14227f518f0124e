/* daemon: fabricd's lifecycle and shared services. Group commit: every store write made
 * while the loop handles one batch of I/O is committed by one fm_store_flush from a
 * uv_prepare handle, just before the loop blocks again, so N concurrent requests cost one
 * fsync. Events are stored, then (seq known) pushed to subscribers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>

#include "api.h"
#include "control.h"
#include "daemon.h"
#include "discovery.h"
#include "engine.h"
#include "hooks.h"
#include "text_escape.h"

#define FABRICD_VERSION "0.1.0"

/* Retention (fabric.yaml "retention"): a look every PRUNE_INTERVAL_MS; a backlog goes
 * PRUNE_BATCH rows per table and commit, a batch every PRUNE_AGAIN_MS, so that neither the
 * loop nor the store's write lock is held long. The first look comes soon after start. */
#define PRUNE_FIRST_MS 1000
#define PRUNE_INTERVAL_MS 60000
#define PRUNE_AGAIN_MS 20
#define PRUNE_BATCH 256

void fm_log(struct fm_daemon *d, int level, const char *fmt, ...)
{
	char line[FM_LOG_LINE_MAX];
	size_t n, off = 0;
	va_list ap;

	if (level > d->log_level)
		return;
	va_start(ap, fmt);
	n = fm_log_format(line, sizeof(line), d->log_journal, level, fm_now_ms(), fmt, ap);
	va_end(ap);
	/* the whole line in one write(): one syscall per line, and lines never interleave */
	while (off < n) {
		ssize_t w = write(STDERR_FILENO, line + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* nowhere left to log to */
		off += (size_t)w;
	}
}

int64_t fm_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fm_time_format(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Every request goes through here (several per assign, one per function read during
 * discovery): the chassis holds its link, no search. */
struct fm_switch *fm_daemon_link(const struct fm_daemon *d, const struct fm_chassis *ch)
{
	if (d->stopping)
		return NULL; /* the links are closing: nothing may be sent any more */
	return ch->link;
}

/* ---- events ---------------------------------------------------------------------------- */

struct json_object *fm_event_json(const struct fm_store_event *e)
{
	struct json_object *o = json_object_new_object();
	char t[40];

	fm_time_format(e->time_ms, t, sizeof(t));
	json_object_object_add(o, "seq", json_object_new_int64(e->seq));
	json_object_object_add(o, "time", json_object_new_string(t));
	json_object_object_add(o, "event", json_object_new_string(e->name));
	if (e->chassis)
		json_object_object_add(o, "chassis", json_object_new_string(e->chassis));
	if (e->slot >= 0)
		json_object_object_add(o, "slot", json_object_new_int(e->slot));
	if (e->card)
		json_object_object_add(o, "card", json_object_new_string(e->card));
	if (e->function)
		json_object_object_add(o, "function", json_object_new_string(e->function));
	if (e->host)
		json_object_object_add(o, "host", json_object_new_string(e->host));
	if (e->vppb >= 0)
		json_object_object_add(o, "vppb", json_object_new_int(e->vppb));
	if (e->serial)
		json_object_object_add(o, "serial", json_object_new_string(e->serial));
	if (e->vendor)
		json_object_object_add(o, "vendor", json_object_new_string(e->vendor));
	if (e->device)
		json_object_object_add(o, "device", json_object_new_string(e->device));
	if (e->detail) {
		struct json_object *detail = json_tokener_parse(e->detail);

		if (detail)
			json_object_object_add(o, "detail", detail);
	}
	return o;
}

/* An event waiting for its commit, which gives it its seq. */
struct pending_event {
	struct fm_daemon *d;
	int64_t seq;
	struct fm_store_event ev;
	char *strings[9];
	char vendor[8], device[8];
	fm_event_stored_fn stored;
	void *stored_arg;
};

static void event_committed(void *arg, int rc)
{
	struct pending_event *p = arg;

	p->ev.seq = p->seq;
	if (!rc && p->seq > 0 && p->d->ctl) {
		struct json_object *o = fm_event_json(&p->ev);

		fm_ctl_notify_all(p->d->ctl, "event", o);
		json_object_put(o);
	}
	if (!rc && p->seq > 0)
		fm_hooks_event(p->d->hooks, &p->ev);
	if (p->stored)
		p->stored(p->stored_arg, !rc && p->seq > 0 ? &p->ev : NULL);
	for (unsigned i = 0; i < 9; i++)
		free(p->strings[i]);
	free(p);
}

/* What hooks are told about the card (DESIGN.md "Hooks"), read while the inventory still
 * holds it: a pulled card is gone from it by the time the event commits. */
static void event_identity(struct fm_daemon *d, struct pending_event *p, const struct fm_event_args *a)
{
	struct fm_chassis *ch = a->chassis ? fm_inv_chassis(d->inv, a->chassis) : NULL;
	struct fm_card *card = ch && a->slot >= 0 ? fm_inv_card_by_slot(ch, (uint16_t)a->slot) : NULL;
	struct fm_fn *fn = NULL;
	char name[FM_NAME_MAX * 2 + FM_FN_NAME_MAX];

	if (ch && a->function) {
		snprintf(name, sizeof(name), "%s:%s", ch->name, a->function);
		fn = fm_inv_find_fn(d->inv, name, NULL);
		if (fn)
			card = fn->card;
	}
	if (!card)
		return;
	p->ev.serial = p->strings[6] = strdup(card->serial);
	snprintf(p->vendor, sizeof(p->vendor), "%04x", fn ? fn->vendor : card->vendor);
	snprintf(p->device, sizeof(p->device), "%04x",
		 fn ? fn->device : card->n_pfs ? card->pfs[0].fns[0].device : 0);
	p->ev.vendor = p->vendor;
	p->ev.device = p->device;
}

static const char *keep(struct pending_event *p, unsigned i, const char *s)
{
	p->strings[i] = s ? strdup(s) : NULL;
	return p->strings[i];
}

void fm_daemon_event(struct fm_daemon *d, const struct fm_event_args *a)
{
	fm_daemon_event_then(d, a, NULL, NULL);
}

void fm_daemon_event_then(struct fm_daemon *d, const struct fm_event_args *a,
			  fm_event_stored_fn stored, void *arg)
{
	struct pending_event *p = calloc(1, sizeof(*p));
	char *ef, *eh, *ec;

	if (!p) {
		json_object_put(a->detail);
		fm_log(d, FM_LOG_ERR, "event %s lost: out of memory", a->name);
		if (stored)
			stored(arg, NULL);
		return;
	}
	p->d = d;
	p->stored = stored;
	p->stored_arg = arg;
	event_identity(d, p, a);
	p->ev.time_ms = fm_now_ms();
	p->ev.name = keep(p, 0, a->name);
	p->ev.chassis = keep(p, 1, a->chassis);
	p->ev.card = keep(p, 2, a->card);
	p->ev.function = keep(p, 3, a->function);
	p->ev.host = keep(p, 4, a->host);
	p->ev.detail = keep(p, 5, a->detail ? json_object_to_json_string_ext(a->detail, JSON_C_TO_STRING_PLAIN) : NULL);
	p->ev.slot = a->slot;
	p->ev.vppb = a->vppb;
	json_object_put(a->detail);
	/* names come from the chassis file and the API: escaped, they cannot forge a log line */
	ef = fab_escape_dup(a->function);
	eh = fab_escape_dup(a->host);
	ec = fab_escape_dup(a->chassis);
	fm_log(d, FM_LOG_INFO, "event %s%s%s%s%s%s%s", a->name, ef ? " " : "", ef ? ef : "",
	       eh ? " host " : "", eh ? eh : "", ec ? " chassis " : "", ec ? ec : "");
	free(ef);
	free(eh);
	free(ec);
	if (fm_store_event_append(d->store, &p->ev, &p->seq, event_committed, p)) {
		fm_log(d, FM_LOG_ERR, "event %s not stored: %s", a->name, fm_store_last_error(d->store));
		event_committed(p, -EIO);
	}
}

/* ---- known chassis (reconciliation's first-contact rule) -------------------------------- */

bool fm_daemon_chassis_known(const struct fm_daemon *d, const char *chassis)
{
	for (unsigned i = 0; i < d->n_known_chassis; i++)
		if (!strcmp(d->known_chassis[i], chassis))
			return true;
	return false;
}

void fm_daemon_chassis_mark_known(struct fm_daemon *d, const char *chassis)
{
	char **v;

	if (fm_daemon_chassis_known(d, chassis))
		return;
	v = realloc(d->known_chassis, (d->n_known_chassis + 1) * sizeof(*v));
	if (!v)
		return;
	d->known_chassis = v;
	v[d->n_known_chassis] = strdup(chassis);
	if (v[d->n_known_chassis])
		d->n_known_chassis++;
}

static int scan_event(void *arg, const struct fm_store_event *e)
{
	if (e->chassis && !strcmp(e->name, "switch-connected"))
		fm_daemon_chassis_mark_known(arg, e->chassis);
	return 0;
}

/* ---- switch links ----------------------------------------------------------------------- */

static void on_discovered(struct fm_daemon *d, struct fm_chassis *ch, int status, const char *err)
{
	if (status) {
		struct fm_switch *sw = fm_daemon_link(d, ch);

		/* a chassis half read is unusable: start over through a fresh connection, which
		 * the link retries with its backoff */
		char why[320];

		snprintf(why, sizeof(why), "discovery failed: %s", err);
		fm_log(d, FM_LOG_ERR, "%s: %s; reconnecting", ch->name, why);
		if (sw)
			fm_switch_reconnect(sw, why);
		return;
	}
	if (ch->stale) {
		/* the switch changed while we read it: what we have may be half old */
		ch->stale = false;
		fm_log(d, FM_LOG_DEBUG, "%s: changed during discovery; reading it again", ch->name);
		if (fm_discovery_start(d, ch, on_discovered) == 0)
			return;
	}
	fm_log(d, FM_LOG_INFO, "%s: discovered %u host ports, %u slots, %u functions", ch->name,
	       ch->n_hosts, ch->n_slots, ch->n_functions);
	fm_engine_reconcile(d->engine, ch);
}

/* A link's callbacks get its fm_daemon_link_ctx: the chassis without a search. */
static struct fm_chassis *chassis_of(const struct fm_daemon_link_ctx *x)
{
	return x->d->stopping ? NULL : x->ch;
}

static void on_link_state(struct fm_switch *sw, enum fm_switch_state st, int reason, void *arg)
{
	struct fm_daemon *d = ((struct fm_daemon_link_ctx *)arg)->d;
	struct fm_chassis *ch = chassis_of(arg);
	char ep[160];

	(void)reason;
	if (!ch)
		return;
	endpoint_format(fm_switch_endpoint(sw), ep, sizeof(ep));
	if (st == FM_SWITCH_READY) {
		const struct fmp_hello_resp *h = fm_switch_hello(sw);

		fm_log(d, FM_LOG_INFO, "%s: connected to %s (%s %s, firmware %s, FMP v%u)", ch->name,
		       ep, h->model, h->serial, h->firmware, h->version);
		fm_daemon_event(d, &(struct fm_event_args){.name = "switch-connected", .chassis = ch->name,
							   .slot = -1, .vppb = -1});
		if (fm_discovery_start(d, ch, on_discovered))
			fm_log(d, FM_LOG_ERR, "%s: discovery: out of memory", ch->name);
	} else if (!d->stopping) {
		fm_log(d, FM_LOG_ERR, "%s: lost the switch at %s: %s", ch->name, ep,
		       fm_switch_last_error(sw));
		fm_engine_chassis_lost(d->engine, ch);
		ch->discovered = false;
		fm_daemon_event(d, &(struct fm_event_args){.name = "switch-lost", .chassis = ch->name,
							   .slot = -1, .vppb = -1});
	}
}

static void on_link_event(struct fm_switch *sw, const struct fmp_event *ev, void *arg)
{
	struct fm_daemon *d = ((struct fm_daemon_link_ctx *)arg)->d;
	struct fm_chassis *ch = chassis_of(arg);
	struct fm_host *h;
	struct fm_card *card;
	const char *reason[] = {"none", "managed", "surprise", "link", "fault", "reset"};
	struct fm_event_args a = {.chassis = ch ? ch->name : NULL, .slot = -1, .vppb = -1};

	(void)sw;
	if (!ch)
		return;
	h = ev->port != FMP_PORT_NONE ? fm_inv_host_by_port(ch, ev->port) : NULL;
	card = ev->slot != FMP_SLOT_NONE ? fm_inv_card_by_slot(ch, ev->slot) : NULL;
	a.slot = ev->slot != FMP_SLOT_NONE ? ev->slot : -1;
	a.card = card ? card->name : NULL;
	a.host = h ? h->name : NULL;
	switch (ev->type) {
	case FMP_EV_SLOT_PRESENCE:
		a.name = ev->detail ? "card-added" : "card-removed";
		a.detail = json_object_new_string(reason[ev->reason < 6 ? ev->reason : 0]);
		break;
	case FMP_EV_ATTN_BUTTON:
		a.name = "attention-button";
		break;
	case FMP_EV_LINK_STATE:
		a.name = ev->detail ? "link-up" : "link-down";
		break;
	case FMP_EV_POWER_FAULT:
		a.name = "power-fault";
		break;
	default:
		break;
	}
	if (a.name)
		fm_daemon_event(d, &a);
	if (ch->discovered) {
		if (fm_engine_switch_event(d->engine, ch, ev))
			fm_discovery_start(d, ch, on_discovered);
	} else if (ev->type == FMP_EV_SWITCH_RESET) {
		fm_discovery_start(d, ch, on_discovered);
	} else if (ev->type != FMP_EV_ATTN_BUTTON) {
		ch->stale = true; /* mid-discovery: on_discovered reads the chassis again */
	}
}

static void on_link_retry(struct fm_switch *sw, uint16_t opcode, int status, unsigned attempt,
			  uint32_t delay_ms, void *arg)
{
	struct fm_daemon *d = ((struct fm_daemon_link_ctx *)arg)->d;

	fm_log(d, FM_LOG_INFO, "%s: %s failed (try %u): %s; trying again in %u ms",
	       fm_switch_name(sw), fmp_opcode_name(opcode), attempt,
	       status > 0 ? fmp_strerror(status) : strerror(-status), delay_ms);
}

static const struct fm_switch_ops link_ops = {on_link_state, on_link_event, on_link_retry};

/* ---- group commit, signals -------------------------------------------------------------- */

/* Failed commits in a row one loop iteration may try before it backs off (the next
 * try is from the timer below, or the next iteration, whichever comes first). */
#define FLUSH_MAX_FAILURES 4
#define FLUSH_RETRY_MS 100

static void on_prepare(uv_prepare_t *h);

/* Writes still staged after failed commits: commit them, or answer their callers with
 * the failure, without waiting for unrelated I/O to wake the loop. */
static void on_flush_retry(uv_timer_t *t)
{
	struct fm_daemon *d = t->data;

	on_prepare(&d->flush_handle);
}

static void on_prepare(uv_prepare_t *h)
{
	struct fm_daemon *d = h->data;

	unsigned failures = 0;

	/* A commit's callbacks may stage more (the next queued operation on a function, or
	 * the audit row settling a refused call after a failed commit): commit that too
	 * before the loop blocks, or its caller would wait for unrelated I/O. A failed
	 * batch's callbacks answer their callers, so each retry is of newer writes; a disk
	 * that keeps failing is retried from a timer rather than spun on here. */
	while (fm_store_pending(d->store)) {
		if (!fm_store_flush(d->store))
			continue;
		fm_log(d, FM_LOG_ERR, "intent store commit failed: %s", fm_store_last_error(d->store));
		if (++failures >= FLUSH_MAX_FAILURES) {
			if (fm_store_pending(d->store))
				uv_timer_start(&d->flush_retry, on_flush_retry, FLUSH_RETRY_MS, 0);
			break;
		}
	}
}

static void hooks_log(void *arg, int level, const char *msg)
{
	fm_log(arg, level, "%s", msg);
}

static void hook_failed(void *arg, const struct fm_store_event *e, const char *hook,
			const struct fm_hook_result *r)
{
	struct fm_daemon *d = arg;
	struct json_object *detail = json_object_new_object();

	json_object_object_add(detail, "hook", json_object_new_string(hook));
	json_object_object_add(detail, "seq", json_object_new_int64(e->seq));
	json_object_object_add(detail, "event", json_object_new_string(e->name));
	json_object_object_add(detail, "exit_code", r->signal ? NULL : json_object_new_int(r->exit_code));
	json_object_object_add(detail, "signal", r->signal ? json_object_new_int(r->signal) : NULL);
	json_object_object_add(detail, "timed_out", json_object_new_boolean(r->timed_out));
	/* never delivered to hooks (fm_hooks_event), so a failing hook cannot loop */
	fm_daemon_event(d, &(struct fm_event_args){.name = "hook-failed", .chassis = e->chassis,
						   .slot = e->slot, .card = e->card,
						   .function = e->function, .host = e->host,
						   .vppb = e->vppb, .detail = detail});
}

/* The runner's settings from the configuration; the environment's LANG and TZ pass on. */
static void hooks_configure(struct fm_daemon *d, bool create)
{
	struct fm_hooks_config hc = {
		.dir = d->cfg->hooks_dir,
		.timeout_ms = d->cfg->timeouts.hook_ms,
		.max_parallel = d->cfg->hooks_max_parallel,
		.lang = getenv("LANG"),
		.tz = getenv("TZ"),
		.env = d->cfg->hooks_env,
	};
	static const struct fm_hooks_ops ops = {hooks_log, hook_failed};

	if (create) {
		d->hooks = fm_hooks_new(d->loop, d->store, &hc, &ops, d);
		return;
	}
	fm_hooks_reconfigure(d->hooks, &hc);
	fm_hooks_rescan(d->hooks);
}

static void on_prune(uv_timer_t *t)
{
	struct fm_daemon *d = t->data;
	const struct fm_fabric_retention *cfg = &d->cfg->retention;
	struct fm_store_retention r = {
		.audit_rows = cfg->audit_rows,
		.event_rows = cfg->event_rows,
		.max_age_ms = (int64_t)cfg->days * 86400000,
	};
	int n = fm_store_prune(d->store, &r, fm_now_ms(), PRUNE_BATCH, NULL, NULL);

	if (n < 0)
		fm_log(d, FM_LOG_ERR, "pruning the audit and event logs: %s",
		       fm_store_last_error(d->store));
	else if (n)
		fm_log(d, FM_LOG_DEBUG, "retention: %d audit records and events pruned", n);
	/* the deletes commit with the loop iteration's batch (on_prepare) */
	uv_timer_start(t, on_prune, n >= PRUNE_BATCH ? PRUNE_AGAIN_MS : PRUNE_INTERVAL_MS, 0);
}

static void reload(struct fm_daemon *d)
{
	struct fm_fabric_config *cfg = NULL;
	char err[512];

	if (fm_fabric_config_load_file(d->cfg_path, &cfg, err, sizeof(err))) {
		fm_log(d, FM_LOG_ERR, "SIGHUP: keeping the running configuration: %s", err);
		fm_hooks_rescan(d->hooks); /* the hooks directory is read again all the same */
		return;
	}
	/* What can change without a restart: timeouts, the reconciliation policy, retention,
	 * hooks. Chassis, sockets and the state directory need a restart. */
	d->cfg->timeouts = cfg->timeouts;
	d->cfg->reconcile = cfg->reconcile;
	d->cfg->hooks_max_parallel = cfg->hooks_max_parallel;
	/* swapped, so the old list is freed with the loaded file */
	{
		char **env = d->cfg->hooks_env;

		d->cfg->hooks_env = cfg->hooks_env;
		cfg->hooks_env = env;
	}
	d->cfg->retention = cfg->retention;
	fm_log(d, FM_LOG_INFO, "SIGHUP: reloaded %s (timeouts, reconcile policy, retention, hooks)",
	       d->cfg_path);
	hooks_configure(d, false);
	fm_fabric_config_free(cfg);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct fm_daemon *d = s->data;

	if (signum == SIGHUP) {
		reload(d);
		return;
	}
	fm_log(d, FM_LOG_INFO, "%s: shutting down", signum == SIGTERM ? "SIGTERM" : "SIGINT");
	fm_daemon_stop(d);
}

/* ---- lifecycle -------------------------------------------------------------------------- */

static const char *host_rename(void *arg, const char *chassis, uint8_t port, const char *sw_name)
{
	struct fm_daemon *d = arg;
	const struct fm_fabric_chassis *c = fm_fabric_config_find_chassis(d->cfg, chassis);

	return c ? fm_fabric_config_host_name(c, port, sw_name) : NULL;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/* One fabricd per state directory: two sharing an intent store would each reconcile the
 * switch to their own view. An flock on state_dir/lock is released by the kernel when the
 * holder dies (kill -9 included), so a crash never leaves a stale lock behind; the file
 * holds the holder's pid, for the error a second instance prints. */
static int lock_state_dir(struct fm_daemon *d, const char *dir, char *err, size_t errlen)
{
	char path[4096], buf[32];
	ssize_t n;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "state directory %s: cannot open its lock file %s: %s", dir,
			 path, strerror(-rc));
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		rc = -errno;
		if (rc == -EWOULDBLOCK) {
			n = pread(fd, buf, sizeof(buf) - 1, 0);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			snprintf(err, errlen,
				 "state directory %s is in use by another fabricd (pid %s, lock %s)",
				 dir, buf[0] ? buf : "unknown", path);
		} else {
			snprintf(err, errlen, "state directory %s: cannot lock %s: %s", dir, path,
				 strerror(-rc));
		}
		close(fd);
		return rc == -EWOULDBLOCK ? -EBUSY : rc;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n) {
		rc = -errno;
		snprintf(err, errlen, "state directory %s: cannot write its lock file %s: %s", dir,
			 path, strerror(-rc));
		close(fd);
		return rc;
	}
	d->lock_fd = fd;
	return 0;
}

int fm_daemon_init(struct fm_daemon *d, uv_loop_t *loop, struct fm_fabric_config *cfg,
		   const char *cfg_path, char *err, size_t errlen)
{
	char path[4096], e2[512];
	int rc;

	d->loop = loop;
	d->lock_fd = -1;
	d->cfg = cfg;
	d->cfg_path = strdup(cfg_path);
	d->started_ms = fm_now_ms();
	/* first, so that fm_daemon_stop can close them whatever failed below */
	uv_prepare_init(loop, &d->flush_handle);
	d->flush_handle.data = d;
	uv_timer_init(loop, &d->prune_timer);
	d->prune_timer.data = d;
	uv_timer_init(loop, &d->flush_retry);
	d->flush_retry.data = d;
	uv_signal_init(loop, &d->sig_term);
	uv_signal_init(loop, &d->sig_int);
	uv_signal_init(loop, &d->sig_hup);
	d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
	d->handles = true;
	rc = mkdir_p(cfg->state_dir, 0750);
	if (rc) {
		snprintf(err, errlen, "state directory %s: %s", cfg->state_dir, strerror(-rc));
		return rc;
	}
	rc = lock_state_dir(d, cfg->state_dir, err, errlen);
	if (rc)
		return rc;
	snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, FM_STORE_FILENAME);
	rc = fm_store_open(path, &d->store, err, errlen);
	if (rc)
		return rc;
	fm_store_event_list(d->store, 0, 0, scan_event, d);
	d->pci = fm_pci_new(NULL, err, errlen);
	if (!d->pci)
		return -ENOMEM;
	if (fm_pci_names_error(d->pci))
		fm_log(d, FM_LOG_ERR, "device names unavailable: %s", fm_pci_names_error(d->pci));
	d->inv = fm_inv_new(host_rename, d);
	d->links = calloc(cfg->n_chassis, sizeof(*d->links));
	d->link_ctx = calloc(cfg->n_chassis, sizeof(*d->link_ctx));
	if (!d->inv || !d->links || !d->link_ctx) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < cfg->n_chassis; i++) {
		struct fm_switch_timing t = {cfg->timeouts.switch_request_ms,
					     cfg->timeouts.reconnect_min_ms,
					     cfg->timeouts.reconnect_max_ms};
		struct endpoint ep;

		if (endpoint_parse(cfg->chassis[i].endpoint, &ep, e2, sizeof(e2))) {
			snprintf(err, errlen, "chassis %s: %s", cfg->chassis[i].name, e2);
			return -EINVAL;
		}
		d->link_ctx[i].d = d;
		d->link_ctx[i].ch = fm_inv_add_chassis(d->inv, cfg->chassis[i].name);
		if (!d->link_ctx[i].ch)
			return -ENOMEM;
		d->links[i] = fm_switch_new(loop, cfg->chassis[i].name, &ep, &t, &link_ops,
					    &d->link_ctx[i]);
		if (!d->links[i])
			return -ENOMEM;
		d->link_ctx[i].ch->link = d->links[i];
		d->n_links++;
	}
	hooks_configure(d, true);
	if (!d->hooks) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	d->engine = fm_engine_new(d, err, errlen);
	if (!d->engine)
		return -ENOMEM;
	return fm_api_start(d, err, errlen);
}

void fm_daemon_start(struct fm_daemon *d)
{
	uv_prepare_start(&d->flush_handle, on_prepare);
	uv_timer_start(&d->prune_timer, on_prune, PRUNE_FIRST_MS, 0);
	uv_signal_start(&d->sig_term, on_signal, SIGTERM);
	uv_signal_start(&d->sig_int, on_signal, SIGINT);
	uv_signal_start(&d->sig_hup, on_signal, SIGHUP);
	if (fm_hooks_start(d->hooks))
		fm_log(d, FM_LOG_ERR, "hooks: some stored events may not be delivered again");
	for (unsigned i = 0; i < d->n_links; i++)
		fm_switch_start(d->links[i]);
}

void fm_daemon_stop(struct fm_daemon *d)
{
	if (d->stopping)
		return;
	d->stopping = true;
	for (unsigned i = 0; i < d->n_links; i++)
		fm_switch_stop(d->links[i]);
	/* before the control socket goes: parked requests are answered on their connections */
	if (d->engine)
		fm_engine_stop(d->engine);
	fm_hooks_stop(d->hooks); /* vetoes waiting on hooks are answered too */
	fm_ctl_free(d->ctl);
	d->ctl = NULL;
	if (d->handles) {
		uv_close((uv_handle_t *)&d->flush_handle, NULL);
		uv_close((uv_handle_t *)&d->prune_timer, NULL);
		uv_close((uv_handle_t *)&d->flush_retry, NULL);
		uv_close((uv_handle_t *)&d->sig_term, NULL);
		uv_close((uv_handle_t *)&d->sig_int, NULL);
		uv_close((uv_handle_t *)&d->sig_hup, NULL);
		d->handles = false;
	}
	for (unsigned i = 0; i < d->n_links; i++) {
		fm_switch_free(d->links[i]);
		d->link_ctx[i].ch->link = NULL;
	}
	d->n_links = 0;
}

void fm_daemon_fini(struct fm_daemon *d)
{
	fm_ctl_free(d->ctl);
	/* operations still waiting for a commit finish (and are audited) before the engine
	 * goes; each commit's callbacks may stage more, so flush until nothing is left */
	while (d->store && fm_store_pending(d->store))
		if (fm_store_flush(d->store))
			break;
	fm_engine_free(d->engine);
	fm_hooks_free(d->hooks);
	fm_store_close(d->store);
	fm_inv_free(d->inv);
	fm_pci_free(d->pci);
	free(d->links);
	free(d->link_ctx);
	for (unsigned i = 0; i < d->n_known_chassis; i++)
		free(d->known_chassis[i]);
	free(d->known_chassis);
	free(d->cfg_path);
	if (d->lock_fd > 0)
		close(d->lock_fd); /* last: the store is closed, another fabricd may take over */
	memset(d, 0, sizeof(*d));
}

const char *fm_daemon_version(void)
{
	return FABRICD_VERSION;
}
