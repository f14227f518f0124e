/* FMP stream reassembler: bytes in at any split, whole frames out. The header is checked
 * (magic, version, kind, length limit) before any payload is buffered, so a peer cannot
 * make it hold more than one header plus the negotiated maximum payload of unread data. */
#include <stdlib.h>
#include <string.h>

#include "fmp_wire.h"

struct fmp_reasm {
	uint8_t *buf;
	size_t cap;
	size_t start; /* first unconsumed byte */
	size_t end;   /* one past the last byte fed */
	uint32_t max_payload;
	int error;    /* sticky header error: the stream cannot be resynchronised */
};

struct fmp_reasm *fmp_reasm_new(uint32_t max_payload)
{
	struct fmp_reasm *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	fmp_reasm_set_max(r, max_payload);
	return r;
}

void fmp_reasm_free(struct fmp_reasm *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r);
}

void fmp_reasm_set_max(struct fmp_reasm *r, uint32_t max_payload)
{
	if (max_payload > FMP_MAX_PAYLOAD_CEILING)
		max_payload = FMP_MAX_PAYLOAD_CEILING;
	r->max_payload = max_payload;
}

size_t fmp_reasm_pending(const struct fmp_reasm *r)
{
	return r->end - r->start;
}

int fmp_reasm_feed(struct fmp_reasm *r, const uint8_t *data, size_t len)
{
	size_t pending = r->end - r->start;

	if (!len)
		return 0;
	/* Compact first: frames already returned are no longer referenced once the caller
	 * feeds again (documented in fmp.h). */
	if (r->start) {
		memmove(r->buf, r->buf + r->start, pending);
		r->start = 0;
		r->end = pending;
	}
	if (pending + len > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		uint8_t *p;

		while (cap < pending + len)
			cap *= 2;
		p = realloc(r->buf, cap);
		if (!p)
			return -FMP_E_NOMEM;
		r->buf = p;
		r->cap = cap;
	}
	memcpy(r->buf + r->end, data, len);
	r->end += len;
	return 0;
}

int fmp_reasm_next(struct fmp_reasm *r, struct fmp_hdr *hdr, const uint8_t **payload)
{
	size_t avail = r->end - r->start;
	int rc;

	if (r->error)
		return r->error;
	if (avail < FMP_HDR_SIZE)
		return -FMP_E_AGAIN;
	rc = fmp_hdr_decode(r->buf + r->start, avail, r->max_payload, hdr);
	if (rc) {
		r->error = rc;
		return rc;
	}
	if (avail < FMP_HDR_SIZE + (size_t)hdr->length)
		return -FMP_E_AGAIN;
	*payload = r->buf + r->start + FMP_HDR_SIZE;
	r->start += FMP_HDR_SIZE + hdr->length;
	if (r->start == r->end)
		r->start = r->end = 0;
	return 0;
}
