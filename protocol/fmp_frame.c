/* FMP frame header coding and version negotiation. */
#include "fmp_wire.h"

void fmp_hdr_encode(const struct fmp_hdr *h, uint8_t out[FMP_HDR_SIZE])
{
	fmp_le32_put(out + 0, h->magic);
	out[4] = h->version;
	out[5] = h->kind;
	fmp_le16_put(out + 6, h->opcode);
	fmp_le16_put(out + 8, h->status);
	fmp_le16_put(out + 10, h->flags);
	fmp_le32_put(out + 12, h->tag);
	fmp_le32_put(out + 16, h->length);
}

int fmp_hdr_decode(const uint8_t *buf, size_t len, uint32_t max_payload, struct fmp_hdr *h)
{
	if (len < FMP_HDR_SIZE)
		return -FMP_E_AGAIN;
	h->magic = fmp_le32_get(buf + 0);
	h->version = buf[4];
	h->kind = buf[5];
	h->opcode = fmp_le16_get(buf + 6);
	h->status = fmp_le16_get(buf + 8);
	h->flags = fmp_le16_get(buf + 10);
	h->tag = fmp_le32_get(buf + 12);
	h->length = fmp_le32_get(buf + 16);

	if (h->magic != FMP_MAGIC)
		return -FMP_E_BAD_FRAME;
	if (h->version < FMP_VERSION_MIN || h->version > FMP_VERSION_MAX)
		return -FMP_E_VERSION;
	if (h->kind < FMP_KIND_REQUEST || h->kind > FMP_KIND_EVENT)
		return -FMP_E_UNSUPPORTED;
	if (h->flags != 0)
		return -FMP_E_BAD_FRAME;
	if (h->length > max_payload)
		return -FMP_E_TOO_BIG;
	return 0;
}

int fmp_version_negotiate(uint8_t a_min, uint8_t a_max, uint8_t b_min, uint8_t b_max,
			  uint8_t *chosen)
{
	uint8_t hi = a_max < b_max ? a_max : b_max;
	uint8_t lo = a_min > b_min ? a_min : b_min;

	if (a_min > a_max || b_min > b_max || lo > hi)
		return -FMP_E_VERSION;
	*chosen = hi;
	return 0;
}
