/* control: fabricd's control socket — a libuv unix-socket server that carries the JSON-RPC
 * layer (jsonrpc.h) to fabric-ctl and scripts, with per-connection event subscriptions. */
#ifndef FM_CONTROL_H
#define FM_CONTROL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "jsonrpc.h"

struct json_object;

#define FM_CTL_MODE_DEFAULT 0660
/* Limits that keep one slow or hostile peer from costing the others (API.md "Limits"). A peer
 * that stops reading is cut off once this much output is queued for it (subscribers resume
 * with `subscribe since=SEQ`)... */
#define FM_CTL_WRITE_QUEUE_MAX_DEFAULT ((size_t)4 * 1024 * 1024)
/* ...and, whoever is writing, the peer with the most unread output is cut off while the
 * output queued for all connections together is over this. */
#define FM_CTL_QUEUED_TOTAL_MAX_DEFAULT ((size_t)64 * 1024 * 1024)
/* Calls of one connection not answered yet; more are refused with too-many-calls. */
#define FM_CTL_PENDING_MAX_DEFAULT 128
/* A request line must be complete this long after its first byte arrived. */
#define FM_CTL_STALL_TIMEOUT_MS_DEFAULT 30000

/* Told why a connection was cut off (a line without the '\n'). */
typedef void (*fm_ctl_log_fn)(void *ctx, const char *msg);

struct fm_ctl;      /* the listening socket and its connections */
struct fm_ctl_conn; /* one accepted connection */

struct fm_ctl_config {
	const char *path;  /* socket path; missing parent directories are made (0755) */
	unsigned mode;     /* socket permissions; 0 = FM_CTL_MODE_DEFAULT */
	const char *group; /* control.group: socket group and mutating access; NULL/"" = none */
	uid_t daemon_uid;  /* may call mutating methods besides root; normally getuid() */
	fm_rpc_group_lookup_fn group_lookup; /* NULL = fm_rpc_peer_in_group */
	const struct fm_rpc_method *methods; /* borrowed: must outlive the fm_ctl */
	size_t n_methods;
	void *ctx;               /* handed to handlers and denied */
	fm_rpc_denied_fn denied; /* optional: a mutating call was refused (audit) */
	size_t line_max;         /* 0 = FM_RPC_LINE_MAX_DEFAULT */
	size_t write_queue_max;  /* per connection; 0 = FM_CTL_WRITE_QUEUE_MAX_DEFAULT */
	size_t queued_total_max; /* all connections; 0 = FM_CTL_QUEUED_TOTAL_MAX_DEFAULT */
	size_t pending_max;      /* 0 = FM_CTL_PENDING_MAX_DEFAULT */
	unsigned stall_timeout_ms; /* 0 = FM_CTL_STALL_TIMEOUT_MS_DEFAULT */
	fm_ctl_log_fn log;       /* optional, with ctx */
};

/*
 * Resolves the group, makes the parent directories, listens on cfg->path (a stale socket file
 * is replaced, a live one is -EADDRINUSE), gives the socket to the group and sets its mode.
 * 0 or -errno with the reason in err (-ENOENT: no such group; -EPERM: chown refused). On
 * failure nothing is left on disk, but closing handles may remain: run the loop to let them go.
 * Writes use write(2): the process must ignore SIGPIPE.
 */
int fm_ctl_new(uv_loop_t *loop, const struct fm_ctl_config *cfg, struct fm_ctl **out, char *err,
	       size_t errlen);

/* Stops listening, unlinks the socket file (if it is still ours), closes every connection
 * (unanswered calls are orphaned: answering them only frees them) and frees the rest once
 * libuv has closed the handles, i.e. by the end of the next uv_run. NULL is a no-op. */
void fm_ctl_free(struct fm_ctl *ctl);

/* Open connections / subscribed connections, for status. */
size_t fm_ctl_connections(const struct fm_ctl *ctl);
size_t fm_ctl_subscribers(const struct fm_ctl *ctl);
/* Bytes of output queued and not yet written, over all connections. */
size_t fm_ctl_queued(const struct fm_ctl *ctl);

/*
 * From a handler: marks the call's connection as an event subscriber until it disconnects.
 * Returns the connection, or NULL if it is already gone. The pointer is valid until control
 * returns to the loop; to reach the connection later, keep fm_ctl_conn_id() and look it up.
 * call must come from an fm_ctl's server.
 */
struct fm_ctl_conn *fm_ctl_subscribe(struct fm_rpc_call *call);
uint64_t fm_ctl_conn_id(const struct fm_ctl_conn *conn);
/* The open connection with that id (ids are never reused), or NULL. */
struct fm_ctl_conn *fm_ctl_conn_find(struct fm_ctl *ctl, uint64_t id);

/*
 * Queues the notification {"jsonrpc":"2.0","method":METHOD,"params":PARAMS} on one connection
 * (e.g. history replayed to a new subscriber). params (an object or NULL) is borrowed.
 * 0; -ENOTCONN (conn NULL or closing); -ENOBUFS (the peer's queue is over the limit: the
 * connection was dropped); -ENOMEM or a libuv error (the connection was dropped too, so a
 * subscriber never silently misses an event).
 */
int fm_ctl_notify(struct fm_ctl_conn *conn, const char *method, struct json_object *params);
/* The same to every subscriber; returns how many it was queued to, or -ENOMEM. */
int fm_ctl_notify_all(struct fm_ctl *ctl, const char *method, struct json_object *params);

#endif /* FM_CONTROL_H */
