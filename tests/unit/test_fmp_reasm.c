/* FMP stream reassembler tests: every split point, byte-at-a-time, several frames per
 * read, header errors and the payload limit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fmp/fmp.h>
#include "fmp_samples.h"

/* All samples back to back, and where each frame starts. */
static struct fmp_buf stream;
static size_t frame_off[64];
static size_t frame_len[64];
static size_t n_frames;

static int setup(void **state)
{
	(void)state;
	fmp_buf_init(&stream);
	n_frames = fmp_sample_count();
	for (size_t i = 0; i < n_frames; i++) {
		frame_off[i] = stream.len;
		if (fmp_sample_encode(i, &stream))
			return -1;
		frame_len[i] = stream.len - frame_off[i];
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fmp_buf_release(&stream);
	return 0;
}

/* Drains every whole frame and checks each against the next expected one. */
static void drain(struct fmp_reasm *r, size_t *next)
{
	struct fmp_hdr h;
	const uint8_t *payload;
	int rc;

	while ((rc = fmp_reasm_next(r, &h, &payload)) == 0) {
		struct fmp_msg m;

		assert_true(*next < n_frames);
		assert_int_equal(FMP_HDR_SIZE + h.length, frame_len[*next]);
		assert_memory_equal(payload, stream.data + frame_off[*next] + FMP_HDR_SIZE, h.length);
		assert_int_equal(fmp_msg_decode(&h, payload, &m), 0);
		fmp_msg_release(&m);
		(*next)++;
	}
	assert_int_equal(rc, -FMP_E_AGAIN);
}

static void test_split_at_every_byte(void **state)
{
	(void)state;
	for (size_t cut = 0; cut <= stream.len; cut++) {
		struct fmp_reasm *r = fmp_reasm_new(FMP_MAX_PAYLOAD_DEFAULT);
		size_t next = 0;

		assert_non_null(r);
		assert_int_equal(fmp_reasm_feed(r, stream.data, cut), 0);
		drain(r, &next);
		assert_int_equal(fmp_reasm_feed(r, stream.data + cut, stream.len - cut), 0);
		drain(r, &next);
		assert_int_equal(next, n_frames);
		assert_int_equal(fmp_reasm_pending(r), 0);
		fmp_reasm_free(r);
	}
}

static void test_byte_at_a_time(void **state)
{
	struct fmp_reasm *r = fmp_reasm_new(FMP_MAX_PAYLOAD_DEFAULT);
	size_t next = 0;

	(void)state;
	for (size_t i = 0; i < stream.len; i++) {
		assert_int_equal(fmp_reasm_feed(r, stream.data + i, 1), 0);
		drain(r, &next);
	}
	assert_int_equal(next, n_frames);
	fmp_reasm_free(r);
}

static void test_all_in_one_read(void **state)
{
	struct fmp_reasm *r = fmp_reasm_new(FMP_MAX_PAYLOAD_DEFAULT);
	size_t next = 0;

	(void)state;
	assert_int_equal(fmp_reasm_feed(r, stream.data, stream.len), 0);
	drain(r, &next);
	assert_int_equal(next, n_frames);
	/* a second copy reuses the buffer */
	next = 0;
	assert_int_equal(fmp_reasm_feed(r, stream.data, stream.len), 0);
	drain(r, &next);
	assert_int_equal(next, n_frames);
	fmp_reasm_free(r);
}

static void test_bad_frame_after_good_one(void **state)
{
	struct fmp_reasm *r = fmp_reasm_new(FMP_MAX_PAYLOAD_DEFAULT);
	uint8_t junk[FMP_HDR_SIZE];
	struct fmp_hdr h;
	const uint8_t *p;

	(void)state;
	memset(junk, 0x5a, sizeof(junk));
	assert_int_equal(fmp_reasm_feed(r, stream.data, frame_len[0]), 0);
	assert_int_equal(fmp_reasm_feed(r, junk, sizeof(junk)), 0);
	assert_int_equal(fmp_reasm_next(r, &h, &p), 0);
	assert_int_equal(h.opcode, FMP_OP_HELLO);
	assert_int_equal(fmp_reasm_next(r, &h, &p), -FMP_E_BAD_FRAME);
	/* sticky: more good bytes do not resynchronise a broken stream */
	assert_int_equal(fmp_reasm_feed(r, stream.data, frame_len[0]), 0);
	assert_int_equal(fmp_reasm_next(r, &h, &p), -FMP_E_BAD_FRAME);
	fmp_reasm_free(r);
}

static void test_payload_limit(void **state)
{
	/* sample 13 is a READ_CONFIG response carrying 4 KiB */
	struct fmp_reasm *r = fmp_reasm_new(FMP_MAX_PAYLOAD_FLOOR);
	struct fmp_hdr h;
	const uint8_t *p;

	(void)state;
	assert_true(frame_len[13] > 4096);
	assert_int_equal(fmp_reasm_feed(r, stream.data + frame_off[13], frame_len[13]), 0);
	assert_int_equal(fmp_reasm_next(r, &h, &p), 0);
	fmp_reasm_set_max(r, 1024);
	/* only the header is needed to refuse: nothing of the payload is waited for */
	assert_int_equal(fmp_reasm_feed(r, stream.data + frame_off[13], FMP_HDR_SIZE), 0);
	assert_int_equal(fmp_reasm_next(r, &h, &p), -FMP_E_TOO_BIG);
	fmp_reasm_free(r);
	fmp_reasm_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_at_every_byte),
		cmocka_unit_test(test_byte_at_a_time),
		cmocka_unit_test(test_all_in_one_read),
		cmocka_unit_test(test_bad_frame_after_good_one),
		cmocka_unit_test(test_payload_limit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
