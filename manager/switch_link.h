/* switch_link: fabricd's FMP client for one chassis — connect, HELLO with version
 * negotiation, SUBSCRIBE, pipelined requests matched by tag with deadlines, events, and
 * reconnection with exponential backoff when the switch goes away. */
#ifndef FM_SWITCH_LINK_H
#define FM_SWITCH_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <fmp/fmp.h>
#include <uv.h>

#include "endpoint.h"

struct fm_switch;

enum fm_switch_state {
	FM_SWITCH_DOWN = 0,    /* not connected; a reconnect is scheduled */
	FM_SWITCH_CONNECTING,  /* TCP/unix connect or HELLO/SUBSCRIBE in flight */
	FM_SWITCH_READY,       /* HELLO done, subscribed: requests may be sent */
	FM_SWITCH_STOPPED,     /* fm_switch_stop called */
};

/* Result of a request: status is FMP_OK or a positive FMP status from the switch, or a
 * negative errno: -ETIMEDOUT (no answer by the deadline), -ECONNRESET (the connection
 * dropped with the request in flight), -ECANCELED (fm_switch_stop/free), -ENOTCONN (not
 * READY when sent), -EPROTO (the answer did not decode). resp is non-NULL only for
 * FMP_OK and valid only during the call. */
typedef void (*fm_switch_cb)(void *arg, int status, const struct fmp_msg *resp);

struct fm_switch_ops {
	/* READY reached (hello valid) or lost (DOWN). reason: 0 or a negative error. */
	void (*on_state)(struct fm_switch *sw, enum fm_switch_state state, int reason, void *arg);
	void (*on_event)(struct fm_switch *sw, const struct fmp_event *ev, void *arg);
	/* Optional: a request sent with retries failed its try number attempt with status
	 * (transient) and goes again in delay_ms. For the log; nothing to do. */
	void (*on_retry)(struct fm_switch *sw, uint16_t opcode, int status, unsigned attempt,
			 uint32_t delay_ms, void *arg);
};

struct fm_switch_timing {
	uint32_t request_timeout_ms; /* default deadline of a request */
	uint32_t backoff_min_ms;     /* first reconnect delay */
	uint32_t backoff_max_ms;     /* cap of the doubling delay */
};

/* name is the chassis name from fabric.yaml (copied). Nothing happens until start. */
struct fm_switch *fm_switch_new(uv_loop_t *loop, const char *name, const struct endpoint *ep,
				const struct fm_switch_timing *timing,
				const struct fm_switch_ops *ops, void *arg);
/* Connects now; on failure or loss, retries with backoff until stopped. */
void fm_switch_start(struct fm_switch *sw);
/* Disconnects, fails pending requests with -ECANCELED, stops retrying. Handles close
 * asynchronously; fm_switch_free may follow at once. */
void fm_switch_stop(struct fm_switch *sw);
/* Stops if needed and frees once libuv has released the handles. NULL is a no-op. */
void fm_switch_free(struct fm_switch *sw);

/* Drops the current connection (if any) and reconnects with the usual backoff, e.g.
 * when what was read over it cannot be trusted. why (copied; NULL: a generic text) becomes
 * fm_switch_last_error, the reason on_state's DOWN is logged with. */
void fm_switch_reconnect(struct fm_switch *sw, const char *why);

/* The optional FMP features (FMP_FEAT_*) fabricd announces in HELLO. */
#define FM_SWITCH_FEATURES FMP_FEAT_QOS

/* Sends req (kind REQUEST, opcode and body set; the tag is assigned here). timeout_ms 0
 * means the default. Returns 0 (cb will be called exactly once, never from inside this
 * call) or a negative error (cb will not be called): -ENOTCONN when not READY, -EAGAIN
 * when the in-flight table is full, -EOPNOTSUPP for an opcode of a feature the switch did
 * not agree to in HELLO (an old switch: it would only answer FMP_E_UNSUPPORTED), an FMP
 * encode error. */
int fm_switch_request(struct fm_switch *sw, struct fmp_msg *req, uint32_t timeout_ms,
		      fm_switch_cb cb, void *arg);
/* The same for a request that is safe to send again (a read): up to attempts sends in all,
 * another after each transient failure (fm_switch_status_transient), the waits between
 * them doubling from the reconnect backoff's minimum to its maximum, on the link's deadline
 * timer. cb sees the first success, or the last failure; a connection lost or the link
 * stopped ends it at once (-ECONNRESET, -ECANCELED). -ENOMEM besides the errors above. */
int fm_switch_request_retry(struct fm_switch *sw, struct fmp_msg *req, uint32_t timeout_ms,
			    unsigned attempts, fm_switch_cb cb, void *arg);
/* Whether another try may cure a request's failure: -ETIMEDOUT, -EPROTO, FMP_E_INJECTED,
 * FMP_E_INTERNAL. */
bool fm_switch_status_transient(int status);

enum fm_switch_state fm_switch_state(const struct fm_switch *sw);
const char *fm_switch_name(const struct fm_switch *sw);
const struct endpoint *fm_switch_endpoint(const struct fm_switch *sw);
/* The last successful HELLO (zeroed before the first). */
const struct fmp_hello_resp *fm_switch_hello(const struct fm_switch *sw);
/* The features served on the current connection (FMP_FEAT_*; 0 when not READY). */
uint16_t fm_switch_features(const struct fm_switch *sw);
/* The feature an opcode belongs to (FMP_FEAT_*), 0 for the base protocol's. */
uint16_t fm_switch_opcode_feature(uint16_t opcode);
/* Requests in flight. */
unsigned fm_switch_in_flight(const struct fm_switch *sw);
/* Last error text (connect failure, protocol error), "" if none. */
const char *fm_switch_last_error(const struct fm_switch *sw);
/* How many times READY was reached. */
unsigned fm_switch_connects(const struct fm_switch *sw);

#endif
