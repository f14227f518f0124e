/* daemon: fabricd's context — configuration, intent store, inventory, switch links,
 * control socket — and the services its modules share: group commit once per loop
 * iteration, event emission, logging. */
#ifndef FM_DAEMON_H
#define FM_DAEMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "fabric_config.h"
#include "intent_store.h"
#include "inventory.h"
#include "log.h"
#include "pci_decode.h"
#include "switch_link.h"

struct fm_ctl;
struct fm_engine;
struct fm_hooks;
struct json_object;

/* A binding found on a switch that the intent store did not hold (reported by status). */
struct fm_unexpected {
	char chassis[FM_NAME_MAX];
	char host[FM_NAME_MAX];
	int vppb;
	char function[FM_FN_NAME_MAX];
	char action[16]; /* "adopted" or "removed" */
};

#define FM_UNEXPECTED_MAX 64

/* What a switch link's callbacks are given: the daemon and the link's chassis. */
struct fm_daemon_link_ctx {
	struct fm_daemon *d;
	struct fm_chassis *ch;
};

struct fm_daemon {
	uv_loop_t *loop;
	struct fm_fabric_config *cfg;
	char *cfg_path;
	struct fm_store *store;
	struct fm_pci *pci;
	struct fm_inv *inv;
	struct fm_switch **links; /* one per chassis, same order as the inventory */
	struct fm_daemon_link_ctx *link_ctx; /* one per link: its callbacks' argument */
	unsigned n_links;
	struct fm_engine *engine;
	struct fm_ctl *ctl;
	struct fm_hooks *hooks;

	uv_prepare_t flush_handle; /* group commit: one transaction per loop iteration */
	uv_timer_t prune_timer;    /* retention: prunes audit and events in small batches */
	uv_timer_t flush_retry;    /* commits left staged after failed commits are retried */
	bool handles;              /* flush_handle, prune_timer, flush_retry, the signals are initialized */
	uv_signal_t sig_term, sig_int, sig_hup;
	uint64_t started_ms;
	bool stopping;
	int exit_code;

	char **known_chassis;     /* chassis the store has seen (first-contact policy) */
	unsigned n_known_chassis;
	struct fm_unexpected unexpected[FM_UNEXPECTED_MAX];
	unsigned n_unexpected;

	int log_level;    /* 0 errors, 1 info, 2 debug */
	bool log_journal; /* stderr is the journal: no timestamps, priority prefixes */
	int lock_fd;      /* flock on state_dir/lock while running; -1 (or 0 before init) if none */
};

/* Logging to stderr (the journal under systemd): one line per call, one write() per line,
 * formatted by fm_log_format (log.h: timestamp or journal priority, level, escaped text). */
void fm_log(struct fm_daemon *d, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* An event for the log: stored (seq assigned at commit), then pushed to subscribers and
 * hooks. Strings may be NULL; slot/vppb -1 when not applicable; detail (taken) may be NULL. */
struct fm_event_args {
	const char *name;
	const char *chassis;
	int slot;
	const char *card;
	const char *function;
	const char *host;
	int vppb;
	struct json_object *detail;
};
void fm_daemon_event(struct fm_daemon *d, const struct fm_event_args *ev);
/* The same, then stored(arg, e) once committed (e NULL: the event could not be stored);
 * e is valid during the call only. For pre-assign / pre-unassign, which go to the hooks
 * through fm_hooks_veto instead of as notifications. */
typedef void (*fm_event_stored_fn)(void *arg, const struct fm_store_event *e);
void fm_daemon_event_then(struct fm_daemon *d, const struct fm_event_args *ev,
			  fm_event_stored_fn stored, void *arg);

/* The store's event row as the API's event object (new reference). */
struct json_object *fm_event_json(const struct fm_store_event *e);

/* Chassis the intent store knew before this run (or has seen since). */
bool fm_daemon_chassis_known(const struct fm_daemon *d, const char *chassis);
void fm_daemon_chassis_mark_known(struct fm_daemon *d, const char *chassis);

/* The link of a chassis. */
struct fm_switch *fm_daemon_link(const struct fm_daemon *d, const struct fm_chassis *ch);

/* RFC 3339 UTC, "2026-11-25T03:40:12Z". */
void fm_time_format(int64_t ms, char *buf, size_t len);
int64_t fm_now_ms(void);

const char *fm_daemon_version(void);

/* Lifecycle, used by main.c. */
int fm_daemon_init(struct fm_daemon *d, uv_loop_t *loop, struct fm_fabric_config *cfg,
		   const char *cfg_path, char *err, size_t errlen);
void fm_daemon_start(struct fm_daemon *d);
/* Stops the links, closes the control socket and handles; uv_run returns afterwards. */
void fm_daemon_stop(struct fm_daemon *d);
/* Frees what init built (after uv_run returned). */
void fm_daemon_fini(struct fm_daemon *d);

#endif
