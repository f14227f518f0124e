/* switch_link tests against a fake switch in the same loop: handshake, pipelined
 * requests, deadlines, retries of transient failures, events, connection loss with backoff
 * reconnect, stop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <cmocka.h>

#include "conn.h"
#include "switch_link.h"

struct fake {
	uv_loop_t loop;
	char dir[64];
	struct endpoint ep;
	uv_stream_t *server;
	struct conn *peer;
	int hellos;
	uint16_t features;     /* HELLO: what this fake switch serves (of the client's) */
	uint16_t hello_features; /* what the last HELLO announced */
	bool swallow_pings; /* do not answer PING: deadline test */
	unsigned pings;     /* PINGs received */
	unsigned drop_pings;   /* the next n PINGs get no answer */
	unsigned fail_pings;   /* the next n PINGs are answered fail_status */
	uint16_t fail_status;
	uint64_t boot_id;

	struct fm_switch *sw;
	int ready, down;
	int ping_ok, ping_timeout, ping_reset, ping_cancel, ping_failed;
	int last_fail; /* FMP status of the last ping_failed */
	unsigned retries;
	uint32_t retry_delays[8];
	int events;
	uint64_t last_event_seq;
};

static void fake_send_event(struct fake *f, uint64_t seq)
{
	struct fmp_msg e;

	memset(&e, 0, sizeof(e));
	e.hdr.kind = FMP_KIND_EVENT;
	e.hdr.opcode = FMP_OP_EVENT;
	e.u.event.seq = seq;
	e.u.event.type = FMP_EV_ATTN_BUTTON;
	e.u.event.slot = 3;
	e.u.event.port = FMP_PORT_NONE;
	e.u.event.vppb = FMP_VPPB_NONE;
	e.u.event.fn.slot = FMP_SLOT_NONE;
	assert_int_equal(conn_send(f->peer, &e), 0);
}

static void fake_frame(struct conn *c, const struct fmp_hdr *h, const uint8_t *payload, void *arg)
{
	struct fake *f = arg;
	struct fmp_msg q, r;

	assert_int_equal(fmp_msg_decode(h, payload, &q), 0);
	memset(&r, 0, sizeof(r));
	r.hdr.kind = FMP_KIND_RESPONSE;
	r.hdr.opcode = h->opcode;
	r.hdr.tag = h->tag;
	switch (h->opcode) {
	case FMP_OP_HELLO:
		f->hellos++;
		assert_string_equal(q.u.hello_req.client, "fabricd 0.1.0");
		r.u.hello_resp.version = 1;
		r.u.hello_resp.max_payload = FMP_MAX_PAYLOAD_DEFAULT;
		r.u.hello_resp.boot_id = f->boot_id;
		r.u.hello_resp.n_ports = 4;
		f->hello_features = q.u.hello_req.features;
		r.u.hello_resp.features = q.u.hello_req.features & f->features;
		strcpy(r.u.hello_resp.chassis, "rack1");
		break;
	case FMP_OP_SUBSCRIBE:
		assert_int_equal(q.u.subscribe_req.mask, FMP_EVMASK_ALL);
		r.u.subscribe_resp.event_seq = 7;
		break;
	case FMP_OP_GET_QOS:
		r.u.qos_get_resp.fn = q.u.qos_get_req.fn;
		r.u.qos_get_resp.min_mbps = 1000;
		break;
	case FMP_OP_PING:
		f->pings++;
		if (f->drop_pings) {
			f->drop_pings--;
			return;
		}
		if (f->fail_pings) {
			f->fail_pings--;
			r.hdr.status = f->fail_status;
			break;
		}
		if (f->swallow_pings)
			return;
		r.u.ping.cookie = q.u.ping.cookie + 1;
		break;
	default:
		r.hdr.status = FMP_E_UNSUPPORTED;
	}
	assert_int_equal(conn_send(c, &r), 0);
}

static void fake_close(struct conn *c, int reason, void *arg)
{
	struct fake *f = arg;

	(void)c;
	(void)reason;
	f->peer = NULL;
}

static const struct conn_ops fake_ops = {fake_frame, fake_close};

static void fake_accept(uv_stream_t *server, int status)
{
	struct fake *f = server->data;
	uv_stream_t *s;

	assert_int_equal(status, 0);
	assert_int_equal(endpoint_accept(server, &s), 0);
	f->peer = conn_new(s, FMP_MAX_PAYLOAD_DEFAULT, true, &fake_ops, f);
}

static void ping_done(void *arg, int status, const struct fmp_msg *resp)
{
	struct fake *f = arg;

	if (status == FMP_OK) {
		assert_int_equal(resp->u.ping.cookie, 101);
		f->ping_ok++;
	} else if (status == -ETIMEDOUT) {
		f->ping_timeout++;
	} else if (status == -ECONNRESET) {
		f->ping_reset++;
	} else if (status == -ECANCELED) {
		f->ping_cancel++;
	} else if (status > 0) {
		f->ping_failed++;
		f->last_fail = status;
	} else {
		fail_msg("unexpected status %d", status);
	}
}

static void send_ping(struct fake *f, uint32_t timeout_ms)
{
	struct fmp_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.opcode = FMP_OP_PING;
	m.u.ping.cookie = 100;
	assert_int_equal(fm_switch_request(f->sw, &m, timeout_ms, ping_done, f), 0);
}

static void on_state(struct fm_switch *sw, enum fm_switch_state st, int reason, void *arg)
{
	struct fake *f = arg;

	(void)sw;
	(void)reason;
	if (st == FM_SWITCH_READY) {
		f->ready++;
		uv_stop(&f->loop);
	} else {
		f->down++;
	}
}

static void on_event(struct fm_switch *sw, const struct fmp_event *ev, void *arg)
{
	struct fake *f = arg;

	(void)sw;
	f->events++;
	f->last_event_seq = ev->seq;
	uv_stop(&f->loop);
}

static void on_retry(struct fm_switch *sw, uint16_t opcode, int status, unsigned attempt,
		     uint32_t delay_ms, void *arg)
{
	struct fake *f = arg;

	(void)sw;
	assert_int_equal(opcode, FMP_OP_PING);
	assert_true(fm_switch_status_transient(status));
	assert_int_equal(attempt, f->retries + 1);
	if (f->retries < 8)
		f->retry_delays[f->retries] = delay_ms;
	f->retries++;
}

static const struct fm_switch_ops sw_ops = {on_state, on_event, on_retry};

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct fm_switch_timing t = {.request_timeout_ms = 2000, .backoff_min_ms = 10,
				     .backoff_max_ms = 40};
	char spec[128], err[256];

	strcpy(f->dir, "/tmp/test_switch_link.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(spec, sizeof(spec), "unix:%s/sim.sock", f->dir);
	if (endpoint_parse(spec, &f->ep, err, sizeof(err)))
		return -1;
	uv_loop_init(&f->loop);
	f->boot_id = 0xb007;
	f->sw = fm_switch_new(&f->loop, "rack1", &f->ep, &t, &sw_ops, f);
	*state = f;
	return f->sw ? 0 : -1;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	fm_switch_free(f->sw);
	if (f->peer)
		conn_close(f->peer);
	if (f->server)
		endpoint_close((uv_handle_t *)f->server);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	unlink(f->ep.path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static void listen_now(struct fake *f)
{
	char err[256];

	assert_int_equal(endpoint_listen(&f->loop, &f->ep, 0, fake_accept, f, &f->server, err,
					 sizeof(err)), 0);
}

static void test_handshake_and_requests(void **state)
{
	struct fake *f = *state;

	listen_now(f);
	fm_switch_start(f->sw);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->ready, 1);
	assert_int_equal(fm_switch_state(f->sw), FM_SWITCH_READY);
	assert_int_equal(fm_switch_hello(f->sw)->boot_id, 0xb007);
	assert_string_equal(fm_switch_hello(f->sw)->chassis, "rack1");

	for (int i = 0; i < 50; i++)
		send_ping(f, 0);
	assert_int_equal(fm_switch_in_flight(f->sw), 50);
	while (f->ping_ok < 50)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(fm_switch_in_flight(f->sw), 0);

	fake_send_event(f, 8);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->events, 1);
	assert_int_equal(f->last_event_seq, 8);
}

static void qos_done(void *arg, int status, const struct fmp_msg *resp)
{
	struct fake *f = arg;

	assert_int_equal(status, FMP_OK);
	assert_int_equal(resp->u.qos_get_resp.min_mbps, 1000);
	f->ping_ok++;
}

static void get_qos(struct fake *f, int expect)
{
	struct fmp_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.opcode = FMP_OP_GET_QOS;
	m.u.qos_get_req.fn.slot = 1;
	assert_int_equal(fm_switch_request(f->sw, &m, 0, qos_done, f), expect);
}

/* HELLO announces FMP_FEAT_QOS; with a switch that serves it QoS requests go, with one that
 * does not (an old switch answers features 0) they are refused -EOPNOTSUPP before anything
 * is sent, and a bit the switch answers that fabricd never announced is not taken. */
static void test_features(void **state)
{
	struct fake *f = *state;

	f->features = FMP_FEATURES_ALL | 0x8000;
	listen_now(f);
	fm_switch_start(f->sw);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->ready, 1);
	assert_int_equal(f->hello_features, FMP_FEAT_QOS);
	assert_int_equal(fm_switch_features(f->sw), FMP_FEAT_QOS);
	assert_int_equal(fm_switch_opcode_feature(FMP_OP_SET_QOS), FMP_FEAT_QOS);
	assert_int_equal(fm_switch_opcode_feature(FMP_OP_BIND), 0);
	get_qos(f, 0);
	while (f->ping_ok < 1)
		uv_run(&f->loop, UV_RUN_ONCE);

	/* the switch is replaced by one without QoS */
	f->features = 0;
	conn_close(f->peer);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->ready, 2);
	assert_int_equal(fm_switch_features(f->sw), 0);
	get_qos(f, -EOPNOTSUPP);
	send_ping(f, 0); /* the base protocol goes on */
	while (f->ping_ok < 2)
		uv_run(&f->loop, UV_RUN_ONCE);
}

static void test_deadline(void **state)
{
	struct fake *f = *state;

	listen_now(f);
	fm_switch_start(f->sw);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	f->swallow_pings = true;
	send_ping(f, 30);
	send_ping(f, 5000);
	while (f->ping_timeout < 1)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(f->ping_timeout, 1);
	assert_int_equal(fm_switch_in_flight(f->sw), 1);
	fm_switch_stop(f->sw);
	assert_int_equal(f->ping_cancel, 1);
	assert_int_equal(fm_switch_state(f->sw), FM_SWITCH_STOPPED);
	/* a request after stop is refused at once */
	{
		struct fmp_msg m;

		memset(&m, 0, sizeof(m));
		m.hdr.opcode = FMP_OP_PING;
		assert_int_equal(fm_switch_request(f->sw, &m, 0, ping_done, f), -ENOTCONN);
	}
}

static void test_reconnect_after_loss(void **state)
{
	struct fake *f = *state;

	/* nobody listens yet: the link retries with backoff until the switch appears */
	fm_switch_start(f->sw);
	for (int i = 0; i < 3; i++)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(f->ready, 0);
	assert_non_null(strstr(fm_switch_last_error(f->sw), "cannot connect"));
	listen_now(f);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->ready, 1);

	f->swallow_pings = true;
	send_ping(f, 0);
	while (f->hellos < 1 || !f->peer)
		uv_run(&f->loop, UV_RUN_ONCE);
	conn_close(f->peer); /* the switch goes away with a request in flight */
	f->swallow_pings = false;
	f->boot_id = 0xb008;
	uv_run(&f->loop, UV_RUN_DEFAULT); /* until READY again */
	assert_int_equal(f->ping_reset, 1);
	assert_int_equal(f->down, 1);
	assert_int_equal(f->ready, 2);
	assert_int_equal(fm_switch_connects(f->sw), 2);
	assert_int_equal(fm_switch_hello(f->sw)->boot_id, 0xb008);
}

static void send_ping_retry(struct fake *f, uint32_t timeout_ms, unsigned attempts)
{
	struct fmp_msg m;

	memset(&m, 0, sizeof(m));
	m.hdr.opcode = FMP_OP_PING;
	m.u.ping.cookie = 100;
	assert_int_equal(fm_switch_request_retry(f->sw, &m, timeout_ms, attempts, ping_done, f), 0);
}

static int pings_done(const struct fake *f)
{
	return f->ping_ok + f->ping_timeout + f->ping_reset + f->ping_cancel + f->ping_failed;
}

/* One PING whose first fails answers are status, sent with attempts (0: a plain
 * fm_switch_request), run to its outcome; the counters of the previous one are reset. */
static void ping_failing(struct fake *f, unsigned fails, uint16_t status, unsigned attempts)
{
	int before = pings_done(f);

	f->pings = 0;
	f->retries = 0;
	f->fail_pings = fails;
	f->fail_status = status;
	if (attempts)
		send_ping_retry(f, 0, attempts);
	else
		send_ping(f, 0);
	while (pings_done(f) == before)
		uv_run(&f->loop, UV_RUN_ONCE);
}

/* Issue 19: one failed or unanswered read used to cost the whole connection. A request
 * sent with retries goes again after each transient failure, with a doubling wait, and its
 * callback sees only the outcome. */
static void test_retry_transient(void **state)
{
	struct fake *f = *state;

	listen_now(f);
	fm_switch_start(f->sw);
	uv_run(&f->loop, UV_RUN_DEFAULT);

	/* two injected errors and one dropped answer, then an answer: four sends, one success */
	f->fail_pings = 2;
	f->fail_status = FMP_E_INJECTED;
	send_ping_retry(f, 50, 4);
	while (!pings_done(f) && f->fail_pings)
		uv_run(&f->loop, UV_RUN_ONCE);
	f->drop_pings = 1;
	while (!pings_done(f))
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(f->ping_ok, 1);
	assert_int_equal(f->pings, 4);
	assert_int_equal(f->retries, 3);
	/* backoff from backoff_min_ms (10), doubling, capped at backoff_max_ms (40) */
	assert_int_equal(f->retry_delays[0], 10);
	assert_int_equal(f->retry_delays[1], 20);
	assert_int_equal(f->retry_delays[2], 40);
	assert_int_equal(fm_switch_in_flight(f->sw), 0);
	assert_int_equal(fm_switch_connects(f->sw), 1);

	/* attempts run out: the last failure is the answer */
	ping_failing(f, 3, FMP_E_INJECTED, 3);
	assert_int_equal(f->ping_failed, 1);
	assert_int_equal(f->last_fail, FMP_E_INJECTED);
	assert_int_equal(f->pings, 3);
	assert_int_equal(f->retries, 2);

	/* a definite answer is not asked again */
	ping_failing(f, 1, FMP_E_UNSUPPORTED, 3);
	assert_int_equal(f->ping_failed, 2);
	assert_int_equal(f->last_fail, FMP_E_UNSUPPORTED);
	assert_int_equal(f->pings, 1);
	assert_int_equal(f->retries, 0);

	/* a plain request is never retried */
	ping_failing(f, 1, FMP_E_INJECTED, 0);
	assert_int_equal(f->ping_failed, 3);
	assert_int_equal(f->pings, 1);
	assert_int_equal(f->retries, 0);
	assert_int_equal(fm_switch_connects(f->sw), 1);
}

/* A link whose retry waits are long, with one PING waiting out its backoff. */
static void ping_waiting_backoff(struct fake *f)
{
	struct fm_switch_timing t = {.request_timeout_ms = 2000, .backoff_min_ms = 5000,
				     .backoff_max_ms = 5000};

	fm_switch_free(f->sw);
	f->sw = fm_switch_new(&f->loop, "rack1", &f->ep, &t, &sw_ops, f);
	listen_now(f);
	fm_switch_start(f->sw);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	f->fail_pings = 10;
	f->fail_status = FMP_E_INTERNAL;
	send_ping_retry(f, 0, 5);
	while (!f->retries)
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(fm_switch_in_flight(f->sw), 1);
}

/* A connection lost while a request waits out its backoff ends it once, with -ECONNRESET. */
static void test_retry_ends_with_connection(void **state)
{
	struct fake *f = *state;

	ping_waiting_backoff(f);
	conn_close(f->peer);
	while (!pings_done(f))
		uv_run(&f->loop, UV_RUN_ONCE);
	assert_int_equal(f->ping_reset, 1);
	assert_int_equal(f->pings, 1);
	assert_int_equal(fm_switch_in_flight(f->sw), 0);
}

/* A stop cancels a request waiting out its backoff, and nothing is sent after. */
static void test_retry_ends_with_stop(void **state)
{
	struct fake *f = *state;

	ping_waiting_backoff(f);
	fm_switch_stop(f->sw);
	assert_int_equal(f->ping_cancel, 1);
	assert_int_equal(fm_switch_in_flight(f->sw), 0);
	for (int i = 0; i < 5; i++)
		uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(f->pings, 1);
	assert_int_equal(pings_done(f), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_handshake_and_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_features, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reconnect_after_loss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_transient, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_ends_with_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_ends_with_stop, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
