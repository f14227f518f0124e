/* hooks: the hook runner — run-parts style executables in hooks_dir, run through uv_spawn on
 * every event (DESIGN.md "Hooks"), with a clean environment, the event on stdin, bounded and
 * escaped output, a timeout that kills the hook's process group, per-function ordering,
 * a cap on parallel runs, vetoes for pre-assign / pre-unassign and at-least-once delivery
 * of notifications across restarts (configs/hooks.d/README is the operator's contract). */
#ifndef FM_HOOKS_H
#define FM_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <uv.h>

#include "intent_store.h"

struct fm_hooks;
struct json_object;

/* Output kept per run (stdout and stderr together); the rest is read, dropped and counted. */
#define FM_HOOKS_CAPTURE_MAX (64 * 1024)
/* A line longer than this is logged in pieces. */
#define FM_HOOKS_LINE_MAX 1024
/* After SIGTERM at the timeout, the process group gets SIGKILL this much later. */
#define FM_HOOKS_KILL_GRACE_MS 2000
/* After the hook exits, its output is read this long for what a leftover child still holds. */
#define FM_HOOKS_DRAIN_MS 1000
#define FM_HOOKS_MAX_PARALLEL_DEFAULT 8
/* The environment's PATH: fixed, nothing of fabricd's own. */
#define FM_HOOKS_PATH "/usr/sbin:/usr/bin:/sbin:/bin"

struct fm_hooks_config {
	const char *dir;       /* NULL: no hooks */
	uint32_t timeout_ms;   /* timeouts.hook_ms */
	unsigned max_parallel; /* hooks.max_parallel; 0: the default */
	const char *lang;      /* fabricd's LANG and TZ, passed on; NULL: unset */
	const char *tz;
	char *const *env;      /* hooks.env: "NAME=value", NULL-terminated; may be NULL */
};

/* How a run ended. */
struct fm_hook_result {
	int exit_code; /* -1 when killed by a signal */
	int signal;    /* 0 when it exited */
	bool timed_out;
	bool truncated;   /* output past FM_HOOKS_CAPTURE_MAX was dropped */
	uint64_t dropped; /* bytes dropped */
	int64_t duration_ms;
};

struct fm_hooks_ops {
	/* one line for fabricd's log (already escaped) */
	void (*log)(void *arg, int level, const char *msg);
	/* a notification hook failed (non-zero exit, signal, timeout, could not start):
	 * the daemon raises hook-failed. e is the event it was given. */
	void (*failed)(void *arg, const struct fm_store_event *e, const char *hook,
		       const struct fm_hook_result *r);
};

/* Veto outcome: allowed, or refused by hook with message (its first stderr line, or why it
 * was refused: timeout, could not start). Strings are valid during the call only. */
typedef void (*fm_hooks_veto_fn)(void *arg, bool allowed, const char *hook, const char *message);
/* hooks test: one JSON object per hook run, an array (taken). */
typedef void (*fm_hooks_test_fn)(void *arg, struct json_object *runs);

/* ---- the runner ------------------------------------------------------------------------ */

struct fm_hooks *fm_hooks_new(uv_loop_t *loop, struct fm_store *store,
			      const struct fm_hooks_config *cfg, const struct fm_hooks_ops *ops,
			      void *arg);
/* Stops what runs (vetoes are refused, runs killed) and frees once their processes are
 * reaped; call fm_hooks_stop first, then this after uv_run returned. NULL is a no-op. */
void fm_hooks_free(struct fm_hooks *h);
/* Scans the directory, watches it (uv_fs_event), and queues every stored event a hook has
 * not finished (FABRIC_REDELIVERY=1 where a run may have started). 0 or negative errno. */
int fm_hooks_start(struct fm_hooks *h);
/* fabricd is stopping: runs get SIGTERM (then SIGKILL), waiting vetoes are refused, queued
 * notifications stay undelivered (the next start delivers them); handles close. */
void fm_hooks_stop(struct fm_hooks *h);
/* New settings (SIGHUP): timeout and cap apply to the next runs; the directory is re-read. */
void fm_hooks_reconfigure(struct fm_hooks *h, const struct fm_hooks_config *cfg);
/* Reads the directory again (SIGHUP, a change seen by the watch). */
void fm_hooks_rescan(struct fm_hooks *h);

/* A committed event: queued for every hook (but hook-failed and pre-*, never delivered). */
void fm_hooks_event(struct fm_hooks *h, const struct fm_store_event *e);
/* A committed pre-assign / pre-unassign event: the hooks run one after the other in name
 * order until one refuses; cb runs once (possibly before this returns: no hooks). */
void fm_hooks_veto(struct fm_hooks *h, const struct fm_store_event *e, fm_hooks_veto_fn cb,
		   void *arg);
/* hooks test: runs every hook on e (seq 0, FABRIC_TEST=1), outside delivery; cb gets each
 * run's result. */
void fm_hooks_test(struct fm_hooks *h, const struct fm_store_event *e, fm_hooks_test_fn cb,
		   void *arg);

/* The hooks in the order they run, refused ones with their reason, each with its last
 * result and delivery mark: {"dir":..., "hooks":[...]} (new reference). */
struct json_object *fm_hooks_list_json(struct fm_hooks *h);
/* A stored run as the API shows it (new reference). */
struct json_object *fm_hooks_run_json(const struct fm_store_hook_run *r);
/* Hooks that would run now (0 also for NULL): without any, no veto is asked. */
unsigned fm_hooks_runnable(const struct fm_hooks *h);
/* Runs and queued events (for status). */
unsigned fm_hooks_running(const struct fm_hooks *h);
unsigned fm_hooks_queued(const struct fm_hooks *h);

/* Hooks get no file descriptor but 0, 1 and 2. libuv and SQLite open theirs close-on-exec;
 * this marks close-on-exec what fabricd inherited from whoever started it (main.c calls it
 * once, before the loop). */
void fm_hooks_seal_inherited_fds(void);

/* ---- the pieces, exported for the unit tests ------------------------------------------- */

/* run-parts' name filter: false for dotfiles, "*~", "*.dpkg-*", "*.rpm*" (rpmnew, rpmsave,
 * rpmorig), "*.swp", "*,v" and the empty name. */
bool fm_hooks_name_ok(const char *name);
/* sshd StrictModes for a hook fabricd would run with its own privileges: a regular file,
 * executable by its owner, owned by self or root, not writable by group or other. 0, or
 * -EPERM / -ENOEXEC / -EINVAL with the reason. */
int fm_hooks_check_file(const struct stat *st, uid_t self, char *reason, size_t len);

struct fm_hooks_entry {
	char *name;
	bool ok;
	char reason[128]; /* why it is refused ("" when ok) */
};
/* The directory's entries that pass the name filter, in byte order of name (strcmp), each
 * checked with fm_hooks_check_file (lstat: a symlink is followed only to a file that passes
 * the check itself); *out from malloc, free with fm_hooks_entries_free. 0 or negative errno
 * with err. A missing directory is an empty list. */
int fm_hooks_scan_dir(const char *dir, uid_t self, struct fm_hooks_entry **out, size_t *n,
		      char *err, size_t errlen);
void fm_hooks_entries_free(struct fm_hooks_entry *v, size_t n);

struct fm_hooks_env_opts {
	const char *lang, *tz; /* NULL: left out */
	char *const *extra;    /* "NAME=value" from hooks.env, NULL-terminated; may be NULL */
	bool redelivery, test;
};
/* The hook's environment for e: PATH, LANG/TZ when given, extra, FABRIC_* for what applies (absent,
 * never empty, otherwise). NULL-terminated, from malloc; free with fm_hooks_env_free. NULL if
 * out of memory. */
char **fm_hooks_env_new(const struct fm_store_event *e, const struct fm_hooks_env_opts *o);
void fm_hooks_env_free(char **env);

/* Output capture of one run: bytes in (per stream), complete lines out through emit, escaped
 * with fab_escape; at most FM_HOOKS_CAPTURE_MAX bytes kept per run, the rest counted. */
struct fm_hooks_capture {
	char part[2][FM_HOOKS_LINE_MAX]; /* partial line per stream (0 stdout, 1 stderr) */
	size_t plen[2];
	uint64_t kept, dropped;
	char first_err[256]; /* the first stderr line, escaped (the veto message) */
	bool have_first_err;
	void (*emit)(void *arg, int stream, const char *escaped_line);
	void *arg;
};
void fm_hooks_capture_init(struct fm_hooks_capture *c,
			   void (*emit)(void *arg, int stream, const char *line), void *arg);
void fm_hooks_capture_feed(struct fm_hooks_capture *c, int stream, const char *buf, size_t n);
/* End of output: emits the partial lines. */
void fm_hooks_capture_end(struct fm_hooks_capture *c);

#endif
