/* JSON-RPC 2.0 layer of fabricd's control API: line framing, request parsing, method dispatch,
 * deferred replies, parameter checks and the peer access decision. Transport-independent. */
#ifndef FM_JSONRPC_H
#define FM_JSONRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_object;

/*
 * Wire format (DESIGN.md "Control API"): one JSON object per line, '\n'-terminated, UTF-8.
 * Requests use by-name params only; batches are not supported.
 *
 *   -> {"jsonrpc":"2.0","id":7,"method":"assign","params":{"function":"nic0/pf0/vf3","host":"web1"}}
 *   <- {"jsonrpc":"2.0","id":7,"result":{...}}
 *   <- {"jsonrpc":"2.0","id":7,"error":{"code":-32000,"message":"nic0/pf0/vf3 is bound to web2",
 *                                      "data":{"code":"function-busy","host":"web2"}}}
 *
 * error.code is the JSON-RPC number (-32700, -32600, -32601, -32602, -32603, or -32000 for all
 * application errors); error.message is for people and may change; error.data.code is the stable
 * string clients switch on; other data members are per-error extras (e.g. "param", "method",
 * "limit"). data.code "bad-request" and "internal" occur both with their standard numbers
 * (the layer's own -32600 / -32603) and with -32000 (a handler's verdict): switch on data.code.
 * "id" is the request's id, or null when it could not be read (parse error, bad id, two "id"
 * members). A number id is written back as the request's own text (json-c would clamp
 * 18446744073709551616 to UINT64_MAX and print -0 as 0).
 * Notifications (no "id" member) never get a response, not even an error; a request that is
 * not a valid Request object (-32700, -32600) is always answered, with "id" null if unknown.
 */

#define FM_RPC_LINE_MAX_DEFAULT (1024 * 1024)

/* Stable error codes; fm_rpc_code_name() gives the data.code string, fm_rpc_code_number() the
 * JSON-RPC error.code. */
enum fm_rpc_code {
	FM_RPC_E_PARSE_ERROR,     /* -32700 parse-error */
	FM_RPC_E_INVALID_REQUEST, /* -32600 bad-request */
	FM_RPC_E_NO_SUCH_METHOD,  /* -32601 no-such-method */
	FM_RPC_E_BAD_PARAMS,      /* -32602 bad-params */
	FM_RPC_E_INTERNAL_ERROR,  /* -32603 internal */
	/* application errors, all -32000 */
	FM_RPC_E_FUNCTION_BUSY,   /* function-busy */
	FM_RPC_E_NO_SUCH_FUNCTION,
	FM_RPC_E_NO_SUCH_HOST,
	FM_RPC_E_NO_SUCH_CARD,
	FM_RPC_E_NO_SUCH_CHASSIS,
	FM_RPC_E_HOST_LINK_DOWN,
	FM_RPC_E_NO_FREE_VPPB,
	FM_RPC_E_SHARING_MODE,
	FM_RPC_E_SWITCH_UNREACHABLE,
	FM_RPC_E_TIMEOUT,
	FM_RPC_E_PERMISSION_DENIED,
	FM_RPC_E_BAD_REQUEST,     /* -32000 bad-request */
	FM_RPC_E_VF_BOUND,
	FM_RPC_E_IN_PROGRESS,
	FM_RPC_E_HOOK_VETO,
	FM_RPC_E_SWITCH_ERROR,    /* the switch refused with an FMP status (data.fmp_status) */
	FM_RPC_E_BUS_RANGE,       /* bus-range */
	FM_RPC_E_QOS_OVERCOMMIT,  /* the floors asked do not fit a link of the path */
	FM_RPC_E_QOS_UNSUPPORTED, /* the switch did not agree to FMP_FEAT_QOS in HELLO */
	FM_RPC_E_STORE_UNAVAILABLE, /* the intent store cannot take the change */
	FM_RPC_E_INTERNAL,        /* -32000 internal */
	FM_RPC_E_TOO_MANY_CALLS,  /* -32000 too-many-calls */
	FM_RPC_E__COUNT
};

/* "function-busy" etc.; "internal" for an out-of-range value. */
const char *fm_rpc_code_name(enum fm_rpc_code code);
/* -32700..-32603 or -32000. */
int fm_rpc_code_number(enum fm_rpc_code code);

/* ---- line framing ---------------------------------------------------------------------- */

/* Per-connection line reassembly: bytes in (split anywhere), complete lines out, never holding
 * more than the limit. A trailing '\r' is dropped; lines of only blanks (space, tab) are skipped.
 * A line longer than the limit (counted without its '\n') is reported once and then discarded
 * up to the next '\n'; the stream continues after it. */
struct fm_rpc_linebuf;

enum {
	FM_RPC_LINE_NONE = 0,  /* input consumed, no complete line */
	FM_RPC_LINE_OK = 1,    /* *line / *linelen set */
	FM_RPC_LINE_TOO_LONG = 2,
};

/* max 0 means FM_RPC_LINE_MAX_DEFAULT. Returns NULL on ENOMEM. */
struct fm_rpc_linebuf *fm_rpc_linebuf_new(size_t max);
void fm_rpc_linebuf_free(struct fm_rpc_linebuf *lb);
/* Consumes bytes from *data / *len (advancing them) until a line completes or the input is
 * used up; call until it returns FM_RPC_LINE_NONE. *line is not NUL-terminated and stays valid
 * until the next call or until the input buffer is reused. -ENOMEM: the partial line is lost
 * (treated like an overlong line). */
int fm_rpc_linebuf_next(struct fm_rpc_linebuf *lb, const char **data, size_t *len,
			const char **line, size_t *linelen);

/* ---- requests --------------------------------------------------------------------------- */

struct fm_rpc_request {
	struct json_object *root;   /* owned: release with fm_rpc_request_clear() */
	const char *method;         /* borrowed from root; NULL if invalid */
	struct json_object *params; /* borrowed: an object, or NULL if absent/null */
	struct json_object *id;     /* borrowed; NULL for absent or JSON null (see has_id); a
				     * number serializes as the request's text, its numeric
				     * value may be clamped: echo it, never compute with it */
	bool has_id;                /* a valid "id" member was present: not a notification */
};

/* Parses one line (without '\n') into *req. 0 when valid; otherwise -EINVAL with *code set to
 * FM_RPC_E_PARSE_ERROR, _INVALID_REQUEST or _BAD_PARAMS (by-position params), the reason in err,
 * and req->id / has_id filled when the id could be read. Always call fm_rpc_request_clear(). */
int fm_rpc_request_parse(const char *line, size_t len, struct fm_rpc_request *req,
			 enum fm_rpc_code *code, char *err, size_t errlen);
void fm_rpc_request_clear(struct fm_rpc_request *req);

/* ---- peers and access ------------------------------------------------------------------- */

#define FM_RPC_PEER_GROUPS_MAX 256

/* Who is on the other end of a control connection: its credentials when it connected
 * (SO_PEERCRED) and the supplementary groups its process had (SO_PEERGROUPS) — the caller's
 * real groups, not what the group database says its user could have. */
struct fm_rpc_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid; /* primary (effective) gid */
	unsigned n_groups;       /* supplementary groups in groups[] */
	bool groups_unread;      /* they could not be read: membership is denied */
	bool groups_truncated;   /* more than FM_RPC_PEER_GROUPS_MAX: only the first are here */
	gid_t groups[FM_RPC_PEER_GROUPS_MAX];
};

/* Fills *peer from a connected AF_UNIX socket: SO_PEERCRED, then SO_PEERGROUPS or, on a
 * kernel without it (before 4.13), fm_rpc_peer_groups_from_proc() for the peer's pid. 0 or
 * -errno (SO_PEERCRED failed); groups that cannot be read only set groups_unread. */
int fm_rpc_peer_from_socket(int fd, struct fm_rpc_peer *peer, char *err, size_t errlen);

/* Reads peer->pid's supplementary groups from a /proc/PID/status file (path: normally
 * "/proc/PID/status"; another file for tests). The pid may have exited and been reused
 * since the peer connected: the file's effective uid and gid must be peer->uid and
 * peer->gid, or it is another process's (-ESRCH). 0 or -errno with the reason in err. */
int fm_rpc_peer_groups_from_proc(struct fm_rpc_peer *peer, const char *path, char *err,
				 size_t errlen);

/* Membership test: 1 member, 0 not, negative -errno if it cannot be told. name gets the
 * user's name when known (for reasons), else "". */
typedef int (*fm_rpc_group_lookup_fn)(const struct fm_rpc_peer *peer, gid_t group,
				      char *name, size_t namelen);

/* The default test: the peer's own groups (primary or supplementary, as read from its
 * socket); the name from getpwuid_r. -ENODATA if the groups could not be read, -E2BIG if
 * they were truncated and the group is not among those kept. */
int fm_rpc_peer_in_group(const struct fm_rpc_peer *peer, gid_t group, char *name,
			 size_t namelen);

/* Who may call privileged methods: root, daemon_uid, and members of the group (if has_group). */
struct fm_rpc_access {
	uid_t daemon_uid;
	bool has_group;
	gid_t group_gid;
	char group_name[64];           /* for reasons; may be "" */
	fm_rpc_group_lookup_fn lookup; /* NULL = fm_rpc_peer_in_group */
};

/* Sets up *acc for daemon_uid and the named group (NULL or "" = none; a name, or a number).
 * -ENOENT if the group does not exist. */
int fm_rpc_access_init(struct fm_rpc_access *acc, uid_t daemon_uid, const char *group,
		       char *err, size_t errlen);

/* The decision for one call: open methods (privileged false) are open to anyone who could
 * open the socket; privileged ones (mutating, and privileged reads) follow *acc. A failed
 * lookup denies. reason (for the audit log) says why, e.g. "uid 1000 (ops) is a member of
 * group fabric". */
bool fm_rpc_access_allowed(const struct fm_rpc_access *acc, const struct fm_rpc_peer *peer,
			   bool privileged, char *reason, size_t reasonlen);

/* ---- server, connections, calls --------------------------------------------------------- */

struct fm_rpc_server;
struct fm_rpc_conn;
struct fm_rpc_call;

enum {
	FM_RPC_MUTATING = 1 << 0,   /* changes the fabric: access-checked, audited */
	FM_RPC_PRIVILEGED = 1 << 1, /* a read only privileged peers may make (access-checked;
				     * a refusal is reported to denied like a mutation's) */
};

/*
 * A method handler. params is always an object (empty if the request had none), borrowed: it
 * lives until the call is answered (json_object_get() it to keep it longer). The handler must
 * answer the call exactly once, now or later (fm_rpc_reply_result / fm_rpc_reply_error, or a
 * failing fm_rpc_param_* helper, which answers for it); answering frees the call.
 * ctx is fm_rpc_server_config.ctx.
 */
typedef void (*fm_rpc_handler_fn)(struct fm_rpc_call *call, struct json_object *params,
				  void *ctx);

struct fm_rpc_method {
	const char *name;
	int flags; /* FM_RPC_MUTATING */
	fm_rpc_handler_fn handler;
};

/*
 * The transport's send: one response line (JSON, '\n'-terminated, no other newline). The
 * callback takes ownership of line (malloc'd; free() it when written, or on failure). It may
 * call fm_rpc_conn_free() on a write error. Return 0, or -errno, which the reply function
 * passes back to the handler.
 */
typedef int (*fm_rpc_send_fn)(void *cookie, char *line, size_t len);

/* Called when a privileged (mutating or privileged read) call is refused (for the audit log);
 * params is the request's (NULL if it had none), borrowed for the call. */
typedef void (*fm_rpc_denied_fn)(void *ctx, const struct fm_rpc_peer *peer, const char *method,
				 struct json_object *params, const char *reason);

struct fm_rpc_server_config {
	const struct fm_rpc_method *methods; /* borrowed: must outlive the server */
	size_t n_methods;
	fm_rpc_send_fn send;     /* required */
	fm_rpc_denied_fn denied; /* optional */
	void *ctx;               /* for handlers and denied */
	size_t line_max;         /* 0 = FM_RPC_LINE_MAX_DEFAULT */
	size_t pending_max;      /* calls unanswered per connection; 0 = no limit */
	struct fm_rpc_access access;
};

/* Copies what it needs from *cfg and indexes the methods (sorted; duplicate or empty names and
 * NULL handlers are -EINVAL). Free with fm_rpc_server_free() after every connection. */
int fm_rpc_server_new(struct fm_rpc_server **srvp, const struct fm_rpc_server_config *cfg,
		      char *err, size_t errlen);
void fm_rpc_server_free(struct fm_rpc_server *srv);
/* O(log n). NULL if unknown. */
const struct fm_rpc_method *fm_rpc_server_lookup(const struct fm_rpc_server *srv,
						 const char *name);

/* One client connection; cookie is handed to send. *peer is copied. */
int fm_rpc_conn_new(struct fm_rpc_conn **connp, struct fm_rpc_server *srv, void *cookie,
		    const struct fm_rpc_peer *peer, char *err, size_t errlen);
/* Safe from inside a handler (the free happens when feeding returns). Calls not yet answered
 * are orphaned: they stay valid, and answering them only frees them. */
void fm_rpc_conn_free(struct fm_rpc_conn *conn);
/* Feeds received bytes: frames lines, answers bad ones, runs handlers. 0, or -ENOMEM (the
 * connection should be closed). */
int fm_rpc_conn_feed(struct fm_rpc_conn *conn, const char *data, size_t len);
/* As fm_rpc_conn_feed, but stops before the next line once the connection is held (the
 * transport's backpressure, set from send): *used says how many bytes were taken; the
 * caller feeds the rest again after fm_rpc_conn_hold(conn, false). */
int fm_rpc_conn_feed_some(struct fm_rpc_conn *conn, const char *data, size_t len,
			  size_t *used);
void fm_rpc_conn_hold(struct fm_rpc_conn *conn, bool hold);
/* Calls of this connection not answered yet. A request that arrives while pending_max are
 * is answered at once with too-many-calls (data.limit), its handler not run. */
size_t fm_rpc_conn_pending(const struct fm_rpc_conn *conn);
/* Whether an incomplete line is held (bytes received with no '\n' yet). */
bool fm_rpc_conn_mid_line(const struct fm_rpc_conn *conn);

/* Call accessors; the results are borrowed and live as long as the call. */
const char *fm_rpc_call_method(const struct fm_rpc_call *call);
struct json_object *fm_rpc_call_id(const struct fm_rpc_call *call); /* NULL: null or none */
bool fm_rpc_call_is_notification(const struct fm_rpc_call *call);
const struct fm_rpc_peer *fm_rpc_call_peer(const struct fm_rpc_call *call);
/* Why the call was let in (for the audit log), e.g. "uid 0 is root". */
const char *fm_rpc_call_access_reason(const struct fm_rpc_call *call);
/* The connection's cookie, or NULL once the connection is gone. */
void *fm_rpc_call_cookie(const struct fm_rpc_call *call);

/* Answer a call. Both free the call, whatever they return. result is taken (one reference
 * dropped; NULL sends JSON null). Replies to notifications and to orphaned calls are dropped:
 * 0 and -ENOTCONN. Otherwise 0, -ENOMEM, or send's error. */
int fm_rpc_reply_result(struct fm_rpc_call *call, struct json_object *result);
int fm_rpc_reply_error(struct fm_rpc_call *call, enum fm_rpc_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* As fm_rpc_reply_error, with extra members for error.data: data (an object or NULL) is taken;
 * its "code" member, if any, is replaced by the stable code. */
int fm_rpc_reply_error_data(struct fm_rpc_call *call, enum fm_rpc_code code,
			    struct json_object *data, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- parameter helpers ------------------------------------------------------------------ */

/*
 * Each returns 0, or -EINVAL after answering the call with bad-params (-32602, message naming
 * the parameter, data.param = its name): the call is then freed and the handler must return
 * without touching it, which a chain `if (a || b || c) return;` does. Strings are borrowed from
 * params. Optional getters leave *out unchanged when the member is absent.
 */
/* names: NULL-terminated list of accepted names; first stranger: unknown parameter "hots". */
int fm_rpc_param_check_known(struct fm_rpc_call *call, struct json_object *params,
			     const char *const *names);
/* A non-empty string without NUL bytes. */
int fm_rpc_param_string(struct fm_rpc_call *call, struct json_object *params, const char *name,
			const char **out);
int fm_rpc_param_opt_string(struct fm_rpc_call *call, struct json_object *params,
			    const char *name, const char **out);
int fm_rpc_param_opt_bool(struct fm_rpc_call *call, struct json_object *params, const char *name,
			  bool *out);
/* A JSON integer in [min, max] (no fractions, no strings). */
int fm_rpc_param_opt_uint(struct fm_rpc_call *call, struct json_object *params, const char *name,
			  uint64_t min, uint64_t max, uint64_t *out);

#endif /* FM_JSONRPC_H */
