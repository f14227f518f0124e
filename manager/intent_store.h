/* fabricd's durable state in SQLite: the intended bindings, the audit log and the event log.
 * Writes are group-committed: staged during a loop iteration, made durable by one fm_store_flush(). */
#ifndef FM_INTENT_STORE_H
#define FM_INTENT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The database file inside fabricd's state directory. */
#define FM_STORE_FILENAME "fabric.db"

/* Schema version this code writes (PRAGMA user_version). Older files are migrated on open,
 * newer ones refused. */
#define FM_STORE_SCHEMA_VERSION 3

/* Longest chassis / card serial / host name a binding holds, including the NUL. */
#define FM_STORE_NAME_MAX 128

struct fm_store;

/* DESIGN.md "Binding states": binding -> bound -> unbinding -> (deleted); detached while the
 * card is pulled or its switch unreachable. */
enum fm_store_state {
	FM_STORE_BINDING = 0,
	FM_STORE_BOUND,
	FM_STORE_UNBINDING,
	FM_STORE_DETACHED,
};

/* A binding is keyed by the card's serial (DSN), not its slot, so it follows the card. */
struct fm_store_key {
	const char *chassis;
	const char *card_serial;
	int pf;
	int vf; /* -1: the PF itself */
};

struct fm_store_binding {
	char chassis[FM_STORE_NAME_MAX];
	char card_serial[FM_STORE_NAME_MAX];
	int pf;
	int vf;   /* -1: the PF itself */
	char host[FM_STORE_NAME_MAX];
	int vppb; /* -1: not chosen yet (NULL in the table) */
	enum fm_store_state state;
	uint32_t min_mbps, max_mbps; /* bandwidth floor and cap asked for the binding; 0: none */
	int64_t created_ms; /* set by the store: ms since the Unix epoch, UTC */
	int64_t updated_ms;
};

/* One audit record. On append, time_ms 0 means "now"; params is JSON text or NULL;
 * result is "ok" or an error code string. In a list callback every pointer is valid
 * only during the call. */
struct fm_store_audit {
	int64_t id; /* filled by the store */
	int64_t time_ms;
	uid_t uid;
	pid_t pid;
	gid_t gid;
	const char *method;
	const char *params;
	const char *result;
	const char *message;
};

/* One event (DESIGN.md "Events"). Optional strings may be NULL, slot/vppb -1 when not
 * applicable; detail is JSON text or NULL. On append, time_ms 0 means "now". */
struct fm_store_event {
	int64_t seq; /* filled by the store */
	int64_t time_ms;
	const char *name;
	const char *chassis;
	int slot;
	const char *card;
	const char *function;
	const char *host;
	int vppb;
	const char *detail;
	/* the card's identity when the event was raised: DSN, PCI vendor and device IDs as
	 * four hex digits ("8086"); NULL when unknown (the card not read yet) */
	const char *serial;
	const char *vendor;
	const char *device;
};

/* Hook runs (manager/hooks.c). A notification run is recorded when it starts and again
 * when it ends; veto and test runs are not delivered again, but recorded the same way. */
enum fm_store_run_kind {
	FM_STORE_RUN_NOTIFY = 0,
	FM_STORE_RUN_VETO,
	FM_STORE_RUN_TEST,
};

struct fm_store_hook_run {
	int64_t id;          /* filled by the store */
	const char *hook;    /* the hook's file name */
	int64_t seq;         /* the event's seq (0 for a test run) */
	const char *event;   /* the event's name */
	int64_t started_ms;  /* 0 on start: now */
	int64_t duration_ms; /* -1: still running (or fabricd stopped while it ran) */
	int exit_code;       /* -1: none (killed by a signal, or still running) */
	int signal;          /* 0: none */
	bool timed_out, truncated, redelivery;
	int64_t dropped;     /* bytes of output dropped past the capture limit */
	enum fm_store_run_kind kind;
};

/* Completion of a staged write: rc 0 once the batch holding it is committed (fsynced),
 * or the negative error that made the batch roll back. */
typedef void (*fm_store_done_fn)(void *arg, int rc);

typedef int (*fm_store_binding_fn)(void *arg, const struct fm_store_binding *b);
typedef int (*fm_store_audit_fn)(void *arg, const struct fm_store_audit *a);
typedef int (*fm_store_event_fn)(void *arg, const struct fm_store_event *e);
typedef int (*fm_store_hook_run_fn)(void *arg, const struct fm_store_hook_run *r);

/* Opens (creating if needed, mode 0600) the database file at path, normally
 * "<state_dir>/" FM_STORE_FILENAME, and migrates it to FM_STORE_SCHEMA_VERSION.
 * Returns 0 and *out, or a negative errno with a message naming the file in err:
 * -EBADMSG not a SQLite database, -ENOTSUP schema newer than this code, others from I/O.
 * Free with fm_store_close(). */
int fm_store_open(const char *path, struct fm_store **out, char *err, size_t errlen);

/* Flushes what is staged (callbacks run), then closes. NULL is a no-op. */
void fm_store_close(struct fm_store *s);

/* ---- batched writes -------------------------------------------------------------------
 * Each write runs its statement at once inside the batch's transaction (begun on the first
 * write after a flush), so reads on this store see it immediately; it becomes durable only
 * at the next fm_store_flush(), which then calls done(arg, rc) (done may be NULL).
 * A write returning a negative error staged nothing and will not call done; its message is
 * in fm_store_last_error(). -ENOENT: no such binding (set_state, delete); -EEXIST: the
 * host's vPPB is already held by another function; -EINVAL: bad argument or params/detail
 * that is not JSON. If SQLite aborts the open transaction itself (I/O error, disk full),
 * further writes fail with that error until the flush reports it to every staged write. */

/* Insert, or replace host/vppb/state/min_mbps/max_mbps of, the binding with b's key. */
int fm_store_binding_put(struct fm_store *s, const struct fm_store_binding *b,
			 fm_store_done_fn done, void *arg);
int fm_store_binding_set_state(struct fm_store *s, const struct fm_store_key *k,
			       enum fm_store_state state, fm_store_done_fn done, void *arg);
int fm_store_binding_delete(struct fm_store *s, const struct fm_store_key *k,
			    fm_store_done_fn done, void *arg);
int fm_store_audit_append(struct fm_store *s, const struct fm_store_audit *a,
			  fm_store_done_fn done, void *arg);
/* Row id of the record the last successful fm_store_audit_append() staged (0: none yet),
 * for fm_store_audit_set_result(). */
int64_t fm_store_audit_last_id(const struct fm_store *s);
/* Replaces result and message of audit record id (an operation recorded when it began,
 * settled when it ends). -ENOENT: no such record. */
int fm_store_audit_set_result(struct fm_store *s, int64_t id, const char *result,
			      const char *message, fm_store_done_fn done, void *arg);

/* Event sequence numbers are handed out only once durable: *seq_out (may be NULL; must stay
 * valid until done runs) is written by the flush, before done, with the committed seq, or 0
 * if the batch rolled back. A rolled-back event's number was never published, so the next
 * committed event may take it; published numbers are never reused (AUTOINCREMENT), even
 * after restart or if old events are deleted. */
int fm_store_event_append(struct fm_store *s, const struct fm_store_event *e, int64_t *seq_out,
			  fm_store_done_fn done, void *arg);

/* How much history to keep; 0 (or less) is no limit of that kind. Bindings never go. */
struct fm_store_retention {
	int64_t audit_rows; /* the newest audit records kept */
	int64_t event_rows; /* the newest events kept */
	int64_t max_age_ms; /* audit records and events older than this go */
};

/* Stages (a batched write, durable at the next flush) the deletion of the audit records and
 * events beyond r, at most batch of each table per call and looking at its batch oldest
 * rows only, so that a call costs little whatever the tables hold: call again while it
 * returns batch or more. Returns the number of rows deleted (done called at the flush
 * only when > 0) or a negative error. Event seqs are never reused (AUTOINCREMENT), even
 * when every event went; a reader asking for older seqs gets what is left. */
int fm_store_prune(struct fm_store *s, const struct fm_store_retention *r, int64_t now_ms,
		   unsigned batch, fm_store_done_fn done, void *arg);

/* Number of writes staged since the last flush: arm the flush only when non-zero. */
size_t fm_store_pending(const struct fm_store *s);

/* Batches committed (each one fsync of the WAL) since the store was opened. */
uint64_t fm_store_commits(const struct fm_store *s);

/* Commits every staged write in one transaction (one fsync), then calls their done
 * callbacks in staging order. If COMMIT fails the batch is rolled back and every callback
 * gets the error. Writes staged from inside a callback go to the next batch. Nothing
 * staged: returns 0 and does nothing. Returns 0 or the batch's negative error. */
int fm_store_flush(struct fm_store *s);

/* 0 while the store takes writes; -ESTALE once the flush found the database path no longer
 * naming the file opened (deleted or replaced while running): from then on every write and
 * the batch then open fail with -ESTALE (nothing is committed to the orphaned file), reads
 * go on from the file opened. Only a reopen (restart) clears it. */
int fm_store_available(const struct fm_store *s);

/* Whether a write's or flush's error is the store's file or disk failing (-ESTALE, -EFBIG
 * over RLIMIT_FSIZE, -ENOSPC, -EDQUOT, -EIO, -EROFS, -EACCES, -EBUSY, -EBADMSG) rather than
 * the request (-EEXIST, -ENOENT, -EINVAL) or the daemon (-ENOMEM): the control API's
 * store-unavailable. An I/O error is reported with the system's errno behind it. */
bool fm_store_error_unavailable(int rc);

/* Message of the last failed call on s ("" if none). Valid until the next call on s. */
const char *fm_store_last_error(const struct fm_store *s);

/* ---- reads (see staged writes, except events: see below) -------------------------------
 * List callbacks return 0 to go on; a non-zero return stops the walk and is returned. */

/* 0 and *out, -ENOENT if there is no such binding, or another negative error. */
int fm_store_binding_get(struct fm_store *s, const struct fm_store_key *k,
			 struct fm_store_binding *out);
/* Ordered by chassis, card serial, pf, vf. */
int fm_store_binding_list(struct fm_store *s, fm_store_binding_fn cb, void *arg);
int fm_store_binding_list_host(struct fm_store *s, const char *host, fm_store_binding_fn cb,
			       void *arg);
int fm_store_binding_list_chassis(struct fm_store *s, const char *chassis,
				  fm_store_binding_fn cb, void *arg);

/* Records with time_ms >= since_ms, oldest first, at most limit (0: no limit). */
int fm_store_audit_list(struct fm_store *s, int64_t since_ms, size_t limit, fm_store_audit_fn cb,
			void *arg);

/* Committed events with seq > since_seq, in seq order, at most limit (0: no limit). Staged
 * events are left out so a reader never sees a seq that a rollback could take back. */
int fm_store_event_list(struct fm_store *s, int64_t since_seq, size_t limit, fm_store_event_fn cb,
			void *arg);
/* Highest committed event seq (0 if none). */
int64_t fm_store_event_last_seq(const struct fm_store *s);

/* ---- hook delivery ----------------------------------------------------------------------
 * A hook's mark: every event with seq <= mark that hooks get has been delivered to it.
 * 0 and *seq, -ENOENT for a hook never seen, or another negative error. */
int fm_store_hook_mark_get(struct fm_store *s, const char *hook, int64_t *seq);
/* Batched write (see above): insert or replace the hook's mark. */
int fm_store_hook_mark_put(struct fm_store *s, const char *hook, int64_t seq,
			   fm_store_done_fn done, void *arg);
/* Batched write: a run started (r->hook, seq, event, started_ms, redelivery, kind); *id_out
 * is the run's id, to pass to _finish once done(arg, 0) ran. */
int fm_store_hook_run_start(struct fm_store *s, const struct fm_store_hook_run *r,
			    int64_t *id_out, fm_store_done_fn done, void *arg);
/* Batched write: the result of run r->id (duration_ms, exit_code, signal, timed_out,
 * truncated, dropped). -ENOENT: no such run. */
int fm_store_hook_run_finish(struct fm_store *s, const struct fm_store_hook_run *r,
			     fm_store_done_fn done, void *arg);
/* Runs of events with seq > since_seq and id > after_id, oldest first, at most limit
 * (0: no limit). Unlike events, staged runs are listed. */
int fm_store_hook_run_list(struct fm_store *s, int64_t since_seq, int64_t after_id, size_t limit,
			   fm_store_hook_run_fn cb, void *arg);
/* "notify", "veto", "test"; NULL for an invalid kind. */
const char *fm_store_run_kind_name(enum fm_store_run_kind k);

/* "binding", "bound", "unbinding", "detached"; NULL for an invalid state. */
const char *fm_store_state_name(enum fm_store_state state);
/* 0 and *out, or -EINVAL for an unknown name. */
int fm_store_state_parse(const char *name, enum fm_store_state *out);

#endif
