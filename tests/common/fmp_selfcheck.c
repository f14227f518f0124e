/* fmp-selfcheck: encodes one message of every FMP opcode and kind, pushes the whole stream
 * through the reassembler one byte at a time, decodes each frame and prints what it saw.
 * Exit 0 when every frame came back identical. */
#include <stdio.h>
#include <string.h>

#include <fmp/fmp.h>
#include "fmp_samples.h"

static const char *kind_name(uint8_t kind)
{
	return kind == FMP_KIND_REQUEST ? "request" : kind == FMP_KIND_RESPONSE ? "response" : "event";
}

int main(void)
{
	struct fmp_buf stream, again;
	struct fmp_reasm *r = fmp_reasm_new(FMP_MAX_PAYLOAD_DEFAULT);
	size_t n = 0, bad = 0;

	fmp_buf_init(&stream);
	fmp_buf_init(&again);
	for (size_t i = 0; i < fmp_sample_count(); i++)
		if (fmp_sample_encode(i, &stream))
			return 1;
	printf("%-14s %-9s %6s %5s  %s\n", "OPCODE", "KIND", "BYTES", "TAG", "RESULT");
	for (size_t off = 0; off < stream.len; off++) {
		struct fmp_hdr h;
		const uint8_t *payload;

		if (fmp_reasm_feed(r, stream.data + off, 1))
			return 1;
		while (fmp_reasm_next(r, &h, &payload) == 0) {
			struct fmp_msg m;
			int rc = fmp_msg_decode(&h, payload, &m);

			fmp_buf_reset(&again);
			if (!rc)
				rc = fmp_msg_encode(&m, &again);
			if (!rc && memcmp(again.data + FMP_HDR_SIZE, payload, h.length))
				rc = -FMP_E_BAD_FRAME;
			printf("%-14s %-9s %6u %5u  %s%s%s%s\n", fmp_opcode_name(h.opcode),
			       kind_name(h.kind), FMP_HDR_SIZE + h.length, h.tag,
			       rc ? "FAILED: " : "ok", rc ? fmp_strerror(rc) : "",
			       h.status ? ", status " : "", h.status ? fmp_status_name(h.status) : "");
			if (!rc)
				fmp_msg_release(&m);
			bad += rc != 0;
			n++;
		}
	}
	printf("%zu frames, %zu bytes, reassembled byte by byte: %zu passed, %zu failed\n", n,
	       stream.len, n - bad, bad);
	fmp_reasm_free(r);
	fmp_buf_release(&stream);
	fmp_buf_release(&again);
	return bad || n != fmp_sample_count();
}
