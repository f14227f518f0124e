/* FMP codec tests: round trip of every message, truncation, trailing bytes, bad headers,
 * lying counts and unencodable fields. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fmp/fmp.h>
#include "fmp_samples.h"

/* Decodes one whole frame held in exactly-sized heap memory, so ASan sees over-reads. */
static int decode_frame(const uint8_t *frame, size_t len, struct fmp_msg *m)
{
	struct fmp_hdr h;
	uint8_t *copy;
	int rc;

	rc = fmp_hdr_decode(frame, len, FMP_MAX_PAYLOAD_CEILING, &h);
	if (rc)
		return rc;
	if (len - FMP_HDR_SIZE != h.length)
		return -FMP_E_BAD_FRAME;
	copy = malloc(h.length ? h.length : 1);
	assert_non_null(copy);
	memcpy(copy, frame + FMP_HDR_SIZE, h.length);
	rc = fmp_msg_decode(&h, copy, m);
	if (rc == 0) {
		/* re-encoding must not read the payload after it is freed: copy what points in */
		struct fmp_buf b;

		fmp_buf_init(&b);
		assert_int_equal(fmp_msg_encode(m, &b), 0);
		assert_int_equal(b.len, len);
		assert_memory_equal(b.data, frame, len);
		fmp_buf_release(&b);
	}
	free(copy);
	return rc;
}

static void test_round_trip_every_sample(void **state)
{
	(void)state;
	for (size_t i = 0; i < fmp_sample_count(); i++) {
		struct fmp_buf b;
		struct fmp_msg m;

		fmp_buf_init(&b);
		assert_int_equal(fmp_sample_encode(i, &b), 0);
		assert_true(b.len >= FMP_HDR_SIZE);
		assert_int_equal(decode_frame(b.data, b.len, &m), 0);
		fmp_msg_release(&m);
		fmp_buf_release(&b);
	}
}

static void test_decoded_fields(void **state)
{
	struct fmp_buf b;
	struct fmp_msg m;
	struct fmp_hdr h;

	(void)state;
	fmp_buf_init(&b);
	assert_int_equal(fmp_sample_encode(9, &b), 0); /* GET_CARD response */
	assert_int_equal(fmp_hdr_decode(b.data, b.len, FMP_MAX_PAYLOAD_DEFAULT, &h), 0);
	assert_int_equal(h.magic, FMP_MAGIC);
	assert_int_equal(h.kind, FMP_KIND_RESPONSE);
	assert_int_equal(h.opcode, FMP_OP_GET_CARD);
	assert_int_equal(h.tag, 5);
	assert_int_equal(fmp_msg_decode(&h, b.data + FMP_HDR_SIZE, &m), 0);
	assert_int_equal(m.u.card_resp.n_pfs, 2);
	assert_int_equal(m.u.card_resp.dsn, 0x001b21ffff2b46e0ull);
	assert_string_equal(m.u.card_resp.name, "nic0");
	assert_int_equal(m.u.card_resp.pfs[1].vf_offset, 384);
	assert_int_equal(m.u.card_resp.pfs[0].num_vfs, 8);
	fmp_msg_release(&m);

	/* the wire is little-endian whatever the host: magic bytes spell "FMP1" */
	assert_memory_equal(b.data, "FMP1", 4);
	assert_int_equal(b.data[12], 5); /* tag, low byte first */
	fmp_buf_reset(&b);

	assert_int_equal(fmp_sample_encode(11, &b), 0); /* GET_FUNCTIONS response */
	assert_int_equal(fmp_hdr_decode(b.data, b.len, FMP_MAX_PAYLOAD_DEFAULT, &h), 0);
	assert_int_equal(fmp_msg_decode(&h, b.data + FMP_HDR_SIZE, &m), 0);
	assert_int_equal(m.u.functions_resp.count, 2);
	assert_int_equal(m.u.functions_resp.fns[1].fn.vf, 3);
	assert_int_equal(m.u.functions_resp.fns[1].rid, 0x0486);
	assert_int_equal(m.u.functions_resp.fns[1].flags, FMP_FN_F_VF);
	fmp_msg_release(&m);
	assert_null(m.u.functions_resp.fns);
	fmp_buf_release(&b);
}

static void test_every_truncated_prefix_rejected(void **state)
{
	(void)state;
	for (size_t i = 0; i < fmp_sample_count(); i++) {
		struct fmp_buf b;

		fmp_buf_init(&b);
		assert_int_equal(fmp_sample_encode(i, &b), 0);
		for (size_t cut = 0; cut < b.len; cut++) {
			struct fmp_hdr h;
			struct fmp_msg m;
			uint8_t *frame = malloc(cut ? cut : 1);

			assert_non_null(frame);
			memcpy(frame, b.data, cut);
			if (cut < FMP_HDR_SIZE) {
				assert_int_equal(fmp_hdr_decode(frame, cut, FMP_MAX_PAYLOAD_DEFAULT, &h),
						 -FMP_E_AGAIN);
			} else {
				/* claim the shorter payload is the whole payload: must not parse */
				uint8_t hdr[FMP_HDR_SIZE];

				assert_int_equal(fmp_hdr_decode(frame, cut, FMP_MAX_PAYLOAD_DEFAULT, &h), 0);
				h.length = (uint32_t)(cut - FMP_HDR_SIZE);
				fmp_hdr_encode(&h, hdr);
				memcpy(frame, hdr, sizeof(hdr));
				assert_int_equal(decode_frame(frame, cut, &m), -FMP_E_BAD_FRAME);
			}
			free(frame);
		}
		fmp_buf_release(&b);
	}
}

static void test_trailing_byte_rejected(void **state)
{
	(void)state;
	for (size_t i = 0; i < fmp_sample_count(); i++) {
		struct fmp_buf b;
		struct fmp_hdr h;
		struct fmp_msg m;
		uint8_t hdr[FMP_HDR_SIZE];

		fmp_buf_init(&b);
		assert_int_equal(fmp_sample_encode(i, &b), 0);
		assert_int_equal(fmp_hdr_decode(b.data, b.len, FMP_MAX_PAYLOAD_DEFAULT, &h), 0);
		h.length++;
		fmp_hdr_encode(&h, hdr);
		memcpy(b.data, hdr, sizeof(hdr));
		{
			uint8_t zero = 0;
			uint8_t *grown = realloc(b.data, b.len + 1);

			assert_non_null(grown);
			b.data = grown;
			memcpy(b.data + b.len, &zero, 1);
			b.len++;
		}
		assert_int_equal(decode_frame(b.data, b.len, &m), -FMP_E_BAD_FRAME);
		fmp_buf_release(&b);
	}
}

static void test_bad_headers(void **state)
{
	struct fmp_buf b;
	struct fmp_hdr h;
	uint8_t raw[FMP_HDR_SIZE];

	(void)state;
	fmp_buf_init(&b);
	assert_int_equal(fmp_sample_encode(2, &b), 0);
	memcpy(raw, b.data, sizeof(raw));

	raw[0] = 'X';
	assert_int_equal(fmp_hdr_decode(raw, sizeof(raw), FMP_MAX_PAYLOAD_DEFAULT, &h),
			 -FMP_E_BAD_FRAME);
	memcpy(raw, b.data, sizeof(raw));
	raw[4] = 0;
	assert_int_equal(fmp_hdr_decode(raw, sizeof(raw), FMP_MAX_PAYLOAD_DEFAULT, &h),
			 -FMP_E_VERSION);
	raw[4] = FMP_VERSION_MAX + 1;
	assert_int_equal(fmp_hdr_decode(raw, sizeof(raw), FMP_MAX_PAYLOAD_DEFAULT, &h),
			 -FMP_E_VERSION);
	memcpy(raw, b.data, sizeof(raw));
	raw[5] = 0;
	assert_int_equal(fmp_hdr_decode(raw, sizeof(raw), FMP_MAX_PAYLOAD_DEFAULT, &h),
			 -FMP_E_UNSUPPORTED);
	raw[5] = 4;
	assert_int_equal(fmp_hdr_decode(raw, sizeof(raw), FMP_MAX_PAYLOAD_DEFAULT, &h),
			 -FMP_E_UNSUPPORTED);
	memcpy(raw, b.data, sizeof(raw));
	raw[10] = 1; /* reserved flags */
	assert_int_equal(fmp_hdr_decode(raw, sizeof(raw), FMP_MAX_PAYLOAD_DEFAULT, &h),
			 -FMP_E_BAD_FRAME);
	memcpy(raw, b.data, sizeof(raw));
	raw[16] = 0x01; /* length 65537 > limit 65536 */
	raw[17] = 0x00;
	raw[18] = 0x01;
	raw[19] = 0x00;
	assert_int_equal(fmp_hdr_decode(raw, sizeof(raw), FMP_MAX_PAYLOAD_DEFAULT, &h),
			 -FMP_E_TOO_BIG);
	raw[19] = 0xff;
	assert_int_equal(fmp_hdr_decode(raw, sizeof(raw), FMP_MAX_PAYLOAD_CEILING, &h),
			 -FMP_E_TOO_BIG);
	fmp_buf_release(&b);
}

static void test_unknown_opcode(void **state)
{
	struct fmp_hdr h = {FMP_MAGIC, 1, FMP_KIND_REQUEST, 0x7777, 0, 0, 1, 0};
	struct fmp_msg m;
	struct fmp_buf b;

	(void)state;
	assert_int_equal(fmp_msg_decode(&h, NULL, &m), -FMP_E_UNSUPPORTED);
	h.kind = FMP_KIND_EVENT;
	h.opcode = FMP_OP_PING;
	assert_int_equal(fmp_msg_decode(&h, NULL, &m), -FMP_E_UNSUPPORTED);
	/* a request must not carry a status */
	h.kind = FMP_KIND_REQUEST;
	h.opcode = FMP_OP_GET_PORTS;
	h.status = FMP_E_BUSY;
	assert_int_equal(fmp_msg_decode(&h, NULL, &m), -FMP_E_BAD_FRAME);
	/* a response status outside the closed set */
	h.kind = FMP_KIND_RESPONSE;
	h.status = 999;
	assert_int_equal(fmp_msg_decode(&h, NULL, &m), -FMP_E_BAD_FRAME);

	memset(&m, 0, sizeof(m));
	m.hdr.kind = FMP_KIND_REQUEST;
	m.hdr.opcode = 0x7777;
	fmp_buf_init(&b);
	assert_int_equal(fmp_msg_encode(&m, &b), -FMP_E_UNSUPPORTED);
	assert_int_equal(b.len, 0);
	fmp_buf_release(&b);
}

static void test_lying_count(void **state)
{
	/* GET_PORTS response claiming 65535 ports in a 2-byte payload */
	uint8_t payload[2] = {0xff, 0xff};
	struct fmp_hdr h = {FMP_MAGIC, 1, FMP_KIND_RESPONSE, FMP_OP_GET_PORTS, 0, 0, 1, 2};
	struct fmp_msg m;
	uint8_t vh[4] = {1, 0, 1, 200};
	uint8_t card[24 + 2] = {0};

	(void)state;
	assert_int_equal(fmp_msg_decode(&h, payload, &m), -FMP_E_BAD_FRAME);
	h.opcode = FMP_OP_GET_VH;
	h.length = sizeof(vh);
	assert_int_equal(fmp_msg_decode(&h, vh, &m), -FMP_E_BAD_FRAME);
	/* GET_CARD with n_pfs 9 > FMP_MAX_PFS */
	card[3] = 9;
	h.opcode = FMP_OP_GET_CARD;
	h.length = sizeof(card);
	assert_int_equal(fmp_msg_decode(&h, card, &m), -FMP_E_BAD_FRAME);
}

static void test_strings(void **state)
{
	struct fmp_msg m;
	struct fmp_buf b;
	struct fmp_hdr h;
	uint8_t payload[8 + 4] = {1, 1, 0, 0, 0, 0, 1, 0, 3, 'a', 0, 'b'};

	(void)state;
	memset(&m, 0, sizeof(m));
	m.hdr.kind = FMP_KIND_REQUEST;
	m.hdr.opcode = FMP_OP_HELLO;
	memset(m.u.hello_req.client, 'x', FMP_NAME_MAX - 1);
	m.u.hello_req.client[FMP_NAME_MAX - 1] = 'y'; /* not terminated: 64 chars */
	fmp_buf_init(&b);
	assert_int_equal(fmp_msg_encode(&m, &b), -FMP_E_INVALID);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.err, 0);
	m.u.hello_req.client[FMP_NAME_MAX - 1] = '\0'; /* 63 chars: the longest allowed */
	assert_int_equal(fmp_msg_encode(&m, &b), 0);
	assert_int_equal(b.len, FMP_HDR_SIZE + 8 + 1 + 63);
	fmp_buf_release(&b);

	/* an embedded NUL is malformed */
	h = (struct fmp_hdr){FMP_MAGIC, 1, FMP_KIND_REQUEST, FMP_OP_HELLO, 0, 0, 1,
			     sizeof(payload)};
	assert_int_equal(fmp_msg_decode(&h, payload, &m), -FMP_E_BAD_FRAME);
	payload[10] = 'c';
	assert_int_equal(fmp_msg_decode(&h, payload, &m), 0);
	assert_string_equal(m.u.hello_req.client, "acb");
}

static void test_read_config_bounds(void **state)
{
	struct fmp_msg m;
	struct fmp_buf b;

	(void)state;
	fmp_buf_init(&b);
	fmp_sample_get(12, &m);
	m.u.read_config_req.offset = 1;
	assert_int_equal(fmp_msg_encode(&m, &b), -FMP_E_INVALID);
	m.u.read_config_req.offset = 4095;
	m.u.read_config_req.length = 1;
	assert_int_equal(fmp_msg_encode(&m, &b), 0);
	/* patch the encoded length to 2: offset + length = 4097 */
	b.data[FMP_HDR_SIZE + 12] = 2;
	{
		struct fmp_msg d;

		assert_int_equal(decode_frame(b.data, b.len, &d), -FMP_E_BAD_FRAME);
	}
	fmp_buf_release(&b);
}

static void test_error_response(void **state)
{
	struct fmp_hdr req = {FMP_MAGIC, 1, FMP_KIND_REQUEST, FMP_OP_BIND, 0, 0, 77, 8};
	struct fmp_buf b;
	struct fmp_hdr h;

	(void)state;
	fmp_buf_init(&b);
	assert_int_equal(fmp_encode_error(&req, FMP_E_NO_VPPB, &b), 0);
	assert_int_equal(b.len, FMP_HDR_SIZE);
	assert_int_equal(fmp_hdr_decode(b.data, b.len, FMP_MAX_PAYLOAD_DEFAULT, &h), 0);
	assert_int_equal(h.kind, FMP_KIND_RESPONSE);
	assert_int_equal(h.status, FMP_E_NO_VPPB);
	assert_int_equal(h.tag, 77);
	assert_int_equal(h.opcode, FMP_OP_BIND);
	fmp_buf_release(&b);
}

static void test_names(void **state)
{
	(void)state;
	for (int s = 0; s < FMP_STATUS_COUNT; s++) {
		assert_non_null(fmp_strerror(s));
		assert_non_null(fmp_status_name(s));
		assert_string_equal(fmp_status_name(s), fmp_status_name(-s));
		for (int t = 0; t < s; t++)
			assert_string_not_equal(fmp_status_name(s), fmp_status_name(t));
	}
	assert_string_equal(fmp_status_name(FMP_E_BUSY), "FMP_E_BUSY");
	assert_string_equal(fmp_strerror(-FMP_E_NO_VPPB), "no free vPPB on the host port");
	assert_string_equal(fmp_strerror(5000), "unknown status");
	assert_string_equal(fmp_opcode_name(FMP_OP_GET_VH), "GET_VH");
	assert_string_equal(fmp_opcode_name(0x9999), "UNKNOWN");
	assert_string_equal(fmp_sharing_name(FMP_SHARING_SRIOV), "sr-iov");
	assert_string_equal(fmp_event_type_name(FMP_EV_ATTN_BUTTON), "attention-button");
	assert_string_equal(fmp_event_type_name(200), "unknown");
}

static void test_version_negotiation(void **state)
{
	uint8_t v = 0;

	(void)state;
	assert_int_equal(fmp_version_negotiate(1, 1, 1, 1, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(fmp_version_negotiate(1, 3, 2, 5, &v), 0);
	assert_int_equal(v, 3);
	assert_int_equal(fmp_version_negotiate(1, 1, 2, 3, &v), -FMP_E_VERSION);
	assert_int_equal(fmp_version_negotiate(3, 1, 1, 3, &v), -FMP_E_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_every_sample),
		cmocka_unit_test(test_decoded_fields),
		cmocka_unit_test(test_every_truncated_prefix_rejected),
		cmocka_unit_test(test_trailing_byte_rejected),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_unknown_opcode),
		cmocka_unit_test(test_lying_count),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_read_config_bounds),
		cmocka_unit_test(test_error_response),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_version_negotiation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
