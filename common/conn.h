/* conn: one FMP connection over a libuv stream — reads through the FMP reassembler and
 * hands whole frames to its owner, encodes and writes messages, closes cleanly on a broken
 * stream. Used by switch-sim (server side) and fabricd (client side). */
#ifndef FABRIC_CONN_H
#define FABRIC_CONN_H

#include <stdbool.h>
#include <fmp/fmp.h>
#include <uv.h>

struct conn;

struct conn_ops {
	/* One whole frame. payload is valid only during the call. */
	void (*on_frame)(struct conn *c, const struct fmp_hdr *h, const uint8_t *payload,
			 void *arg);
	/* Called exactly once, when the connection is gone: reason 0 for a clean EOF or a
	 * local conn_close, a negative libuv error, or -FMP_E_* for a stream that broke
	 * framing. The conn is freed right after this returns. */
	void (*on_close)(struct conn *c, int reason, void *arg);
};

/* Takes ownership of stream (allocated by endpoint_accept/connect) and starts reading.
 * server: answer a frame whose header is unusable (oversized, wrong version, unknown
 * kind) with an error response carrying its tag before closing. */
struct conn *conn_new(uv_stream_t *stream, uint32_t max_payload, bool server,
		      const struct conn_ops *ops, void *arg);

/* Encodes and queues m. Returns 0, a negative FMP error from the encoder, or -EPIPE when
 * the connection is closing. */
int conn_send(struct conn *c, const struct fmp_msg *m);
/* Queues one already-encoded frame (copied). */
int conn_send_frame(struct conn *c, const uint8_t *frame, size_t len);
/* Queues an error response to request header req. */
int conn_send_error(struct conn *c, const struct fmp_hdr *req, enum fmp_status status);

void conn_set_max_payload(struct conn *c, uint32_t max_payload);
uint32_t conn_max_payload(const struct conn *c);
/* Bytes queued to the kernel and not yet written. */
size_t conn_write_queue(const struct conn *c);

/* Starts closing; on_close follows (from the loop, not from inside this call). */
void conn_close(struct conn *c);
/* Like conn_close, but the messages already queued are written first (a switch going
 * down still delivers the answers it gave); on_close follows. */
void conn_close_drain(struct conn *c);
bool conn_closing(const struct conn *c);

void conn_set_arg(struct conn *c, void *arg);
void *conn_arg(const struct conn *c);

#endif
