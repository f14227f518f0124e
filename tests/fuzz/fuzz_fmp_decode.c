/* libFuzzer target: one frame (header + payload) straight into the header and message
 * decoders, as a server does after reassembly. */
#include <stdint.h>
#include <stdlib.h>

#include <fmp/fmp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fmp_hdr h;
	struct fmp_msg m;

	if (fmp_hdr_decode(data, size, FMP_MAX_PAYLOAD_CEILING, &h))
		return 0;
	if (size - FMP_HDR_SIZE < h.length)
		return 0;
	if (fmp_msg_decode(&h, data + FMP_HDR_SIZE, &m) == 0) {
		struct fmp_buf b;

		fmp_buf_init(&b);
		(void)fmp_msg_encode(&m, &b);
		fmp_buf_release(&b);
		fmp_msg_release(&m);
	}
	return 0;
}
