/* conn tests: a server and a client conn on a unix socket in one loop — pipelined
 * requests with tags, responses out of order, an oversized header answered then closed,
 * raw garbage closed without a crash. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "conn.h"
#include "endpoint.h"

#define N_PINGS 100

struct fixture {
	uv_loop_t loop;
	char dir[64];
	struct endpoint ep;
	uv_stream_t *server;
	struct conn *srv_conn;
	struct conn *cli_conn;
	uv_stream_t *raw_client; /* for raw-bytes tests */
	/* server side */
	struct fmp_hdr held[N_PINGS];
	uint64_t held_cookie[N_PINGS];
	int n_held;
	int srv_close_reason;
	bool srv_closed;
	/* client side */
	int n_answers;
	uint32_t last_tag;
	bool tags_descending;
	int err_status;
	bool cli_closed;
	int cli_close_reason;
};

static void srv_frame(struct conn *c, const struct fmp_hdr *h, const uint8_t *payload, void *arg)
{
	struct fixture *f = arg;
	struct fmp_msg m;

	assert_int_equal(fmp_msg_decode(h, payload, &m), 0);
	assert_int_equal(h->opcode, FMP_OP_PING);
	f->held[f->n_held] = *h;
	f->held_cookie[f->n_held] = m.u.ping.cookie;
	if (++f->n_held == N_PINGS) {
		/* answer in reverse: responses may come out of order */
		for (int i = N_PINGS - 1; i >= 0; i--) {
			struct fmp_msg r;

			memset(&r, 0, sizeof(r));
			r.hdr.kind = FMP_KIND_RESPONSE;
			r.hdr.opcode = FMP_OP_PING;
			r.hdr.tag = f->held[i].tag;
			r.u.ping.cookie = f->held_cookie[i];
			assert_int_equal(conn_send(c, &r), 0);
		}
	}
}

static void srv_close(struct conn *c, int reason, void *arg)
{
	struct fixture *f = arg;

	(void)c;
	f->srv_closed = true;
	f->srv_close_reason = reason;
	f->srv_conn = NULL;
	endpoint_close((uv_handle_t *)f->server);
}

static const struct conn_ops srv_ops = {srv_frame, srv_close};

static void on_connection(uv_stream_t *server, int status)
{
	struct fixture *f = server->data;
	uv_stream_t *s;

	assert_int_equal(status, 0);
	assert_int_equal(endpoint_accept(server, &s), 0);
	f->srv_conn = conn_new(s, FMP_MAX_PAYLOAD_DEFAULT, true, &srv_ops, f);
	assert_non_null(f->srv_conn);
}

static void cli_frame(struct conn *c, const struct fmp_hdr *h, const uint8_t *payload, void *arg)
{
	struct fixture *f = arg;
	struct fmp_msg m;

	if (h->status) {
		f->err_status = h->status;
		return;
	}
	assert_int_equal(fmp_msg_decode(h, payload, &m), 0);
	assert_int_equal(m.u.ping.cookie, (uint64_t)h->tag * 1000003u);
	if (f->n_answers && h->tag > f->last_tag)
		f->tags_descending = false;
	f->last_tag = h->tag;
	if (++f->n_answers == N_PINGS)
		conn_close(c);
}

static void cli_close(struct conn *c, int reason, void *arg)
{
	struct fixture *f = arg;

	(void)c;
	f->cli_closed = true;
	f->cli_close_reason = reason;
}

static const struct conn_ops cli_ops = {cli_frame, cli_close};

static void on_connected(uv_stream_t *s, int status, void *arg)
{
	struct fixture *f = arg;

	assert_int_equal(status, 0);
	f->cli_conn = conn_new(s, FMP_MAX_PAYLOAD_DEFAULT, false, &cli_ops, f);
	for (uint32_t tag = 1; tag <= N_PINGS; tag++) {
		struct fmp_msg m;

		memset(&m, 0, sizeof(m));
		m.hdr.kind = FMP_KIND_REQUEST;
		m.hdr.opcode = FMP_OP_PING;
		m.hdr.tag = tag;
		m.u.ping.cookie = (uint64_t)tag * 1000003u;
		assert_int_equal(conn_send(f->cli_conn, &m), 0);
	}
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char spec[128], err[256];

	strcpy(f->dir, "/tmp/test_conn.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(spec, sizeof(spec), "unix:%s/sim.sock", f->dir);
	if (endpoint_parse(spec, &f->ep, err, sizeof(err)))
		return -1;
	uv_loop_init(&f->loop);
	if (endpoint_listen(&f->loop, &f->ep, 0, on_connection, f, &f->server, err, sizeof(err)))
		return -1;
	f->tags_descending = true;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	unlink(f->ep.path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void test_pipelined_out_of_order(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(endpoint_connect(&f->loop, &f->ep, on_connected, f), 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->n_answers, N_PINGS);
	assert_true(f->tags_descending);
	assert_true(f->cli_closed);
	assert_int_equal(f->cli_close_reason, 0);
	assert_true(f->srv_closed);
	assert_int_equal(f->srv_close_reason, 0); /* the client's close is an EOF */
}

/* Raw bytes from a plain uv stream, then read whatever the server answers. */
static uint8_t raw_reply[256];
static size_t raw_reply_len;

static void raw_alloc(uv_handle_t *h, size_t sz, uv_buf_t *buf)
{
	(void)h;
	(void)sz;
	buf->base = (char *)raw_reply + raw_reply_len;
	buf->len = sizeof(raw_reply) - raw_reply_len;
}

static void raw_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	(void)buf;
	if (n > 0)
		raw_reply_len += (size_t)n;
	else if (n < 0)
		endpoint_close((uv_handle_t *)s);
}

static uint8_t raw_bytes[FMP_HDR_SIZE];

static void raw_connected(uv_stream_t *s, int status, void *arg)
{
	static uv_write_t wr;
	uv_buf_t b = uv_buf_init((char *)raw_bytes, sizeof(raw_bytes));

	(void)arg;
	assert_int_equal(status, 0);
	assert_int_equal(uv_write(&wr, s, &b, 1, NULL), 0);
	uv_read_start(s, raw_alloc, raw_read);
}

static void test_oversized_header_answered_then_closed(void **state)
{
	struct fixture *f = *state;
	struct fmp_hdr h = {FMP_MAGIC, 1, FMP_KIND_REQUEST, FMP_OP_READ_CONFIG, 0, 0, 4242,
			    FMP_MAX_PAYLOAD_DEFAULT + 1};
	struct fmp_hdr reply;

	fmp_hdr_encode(&h, raw_bytes);
	raw_reply_len = 0;
	assert_int_equal(endpoint_connect(&f->loop, &f->ep, raw_connected, f), 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_true(f->srv_closed);
	assert_int_equal(f->srv_close_reason, -FMP_E_TOO_BIG);
	assert_int_equal(raw_reply_len, FMP_HDR_SIZE);
	assert_int_equal(fmp_hdr_decode(raw_reply, raw_reply_len, 0, &reply), 0);
	assert_int_equal(reply.status, FMP_E_TOO_BIG);
	assert_int_equal(reply.tag, 4242);
	assert_int_equal(reply.opcode, FMP_OP_READ_CONFIG);
}

static void test_garbage_closed_silently(void **state)
{
	struct fixture *f = *state;

	memset(raw_bytes, 0xa5, sizeof(raw_bytes));
	raw_reply_len = 0;
	assert_int_equal(endpoint_connect(&f->loop, &f->ep, raw_connected, f), 0);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_true(f->srv_closed);
	assert_int_equal(f->srv_close_reason, -FMP_E_BAD_FRAME);
	assert_int_equal(raw_reply_len, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pipelined_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_header_answered_then_closed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_garbage_closed_silently, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
