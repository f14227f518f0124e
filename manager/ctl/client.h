/* client: fabric-ctl's side of the control API — one unix-socket connection to fabricd,
 * JSON-RPC 2.0 requests out, '\n'-framed responses and notifications in (manager/API.md). */
#ifndef CTL_CLIENT_H
#define CTL_CLIENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"

struct json_object;
struct ctl_conn;

/* The longest line accepted from the daemon (an lspci dump is ~100 KB; a topology of tens
 * of thousands of functions a few MB). A longer one is a bad reply. */
#define CTL_LINE_MAX (256u * 1024 * 1024)

/* Monotonic clock, ms. */
int64_t ctl_now_ms(void);

/* Connects to the socket at path, giving up at deadline_ms (ctl_now_ms() scale). 0, or
 * -errno with the reason in err. Free with ctl_conn_free(); ctl_conn_free(NULL) is a no-op. */
int ctl_conn_open(struct ctl_conn **connp, const char *path, int64_t deadline_ms, char *err,
		  size_t errlen);
void ctl_conn_free(struct ctl_conn *conn);

/* A notification's handler: 0 to go on; any other value stops the wait, which returns it. */
typedef int (*ctl_notify_fn)(void *arg, const char *method, struct json_object *params);

/* An answer: either result or (code, data_code, message). Everything is borrowed from
 * root; ctl_reply_clear() releases it. */
struct ctl_reply {
	struct json_object *root;
	struct json_object *result; /* NULL for an error answer */
	int64_t code;               /* error.code (JSON-RPC number) */
	const char *data_code;      /* error.data.code, NULL if the daemon gave none */
	const char *message;        /* error.message */
};

void ctl_reply_clear(struct ctl_reply *r);

/*
 * Sends one request (params taken, NULL for none) and waits for the answer with its id
 * until deadline_ms (-1: no limit). Notifications that arrive meanwhile go to notify (NULL:
 * ignored); answers to other ids are ignored. Returns 0 with *reply set; a positive value
 * from notify; or -ETIMEDOUT, -ECONNRESET (the daemon closed the connection), -EPROTO (a
 * line that is not a JSON-RPC 2.0 response or notification), -EMSGSIZE (line too long),
 * -EINTR (*stop became set), or another -errno; err says why.
 */
int ctl_conn_call(struct ctl_conn *conn, const char *method, struct json_object *params,
		  int64_t deadline_ms, volatile sig_atomic_t *stop, ctl_notify_fn notify,
		  void *arg, struct ctl_reply *reply, char *err, size_t errlen);

/* Passes notifications to notify until it returns non-zero (that value is returned), *stop
 * becomes set (-EINTR), the daemon closes (-ECONNRESET) or a line is bad (as above). */
int ctl_conn_listen(struct ctl_conn *conn, volatile sig_atomic_t *stop, ctl_notify_fn notify,
		    void *arg, char *err, size_t errlen);

/* Returned by ctl_call_ex when *c->stop became set while waiting. */
#define CTL_CALL_STOPPED (-1)

/*
 * The command-level call: connects on first use (c->conn), sends, waits up to timeout_ms
 * (0: c->timeout_ms). 0 with *result (an object; the caller puts the reference). Otherwise
 * prints "fabric-ctl: <what>: <why>" on stderr and returns CTL_EXIT_REFUSED for an error
 * answer ("<data.code>: <message>"), CTL_EXIT_UNREACHABLE when there is no usable answer,
 * a positive value from notify as is, or CTL_CALL_STOPPED silently.
 */
int ctl_call_ex(struct ctl *c, const char *what, const char *method, struct json_object *params,
		int timeout_ms, ctl_notify_fn notify, void *arg, struct json_object **result);
static inline int ctl_call(struct ctl *c, const char *what, const char *method,
			   struct json_object *params, struct json_object **result)
{
	return ctl_call_ex(c, what, method, params, 0, NULL, NULL, result);
}

#endif /* CTL_CLIENT_H */
