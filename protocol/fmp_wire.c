/* Little-endian field coding and the growable output buffer of FMP. Wire bytes are never
 * cast to structs: every field is assembled byte by byte. */
#include <stdlib.h>
#include <string.h>

#include "fmp_wire.h"

void fmp_le16_put(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void fmp_le32_put(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

uint16_t fmp_le16_get(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

uint32_t fmp_le32_get(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const uint8_t *rd_take(struct fmp_rd *r, size_t n)
{
	const uint8_t *p;

	if (r->bad || r->left < n) {
		r->bad = true;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

uint8_t fmp_rd_u8(struct fmp_rd *r)
{
	const uint8_t *p = rd_take(r, 1);

	return p ? p[0] : 0;
}

uint16_t fmp_rd_u16(struct fmp_rd *r)
{
	const uint8_t *p = rd_take(r, 2);

	return p ? fmp_le16_get(p) : 0;
}

uint32_t fmp_rd_u32(struct fmp_rd *r)
{
	const uint8_t *p = rd_take(r, 4);

	return p ? fmp_le32_get(p) : 0;
}

uint64_t fmp_rd_u64(struct fmp_rd *r)
{
	const uint8_t *p = rd_take(r, 8);

	return p ? (uint64_t)fmp_le32_get(p) | (uint64_t)fmp_le32_get(p + 4) << 32 : 0;
}

const uint8_t *fmp_rd_bytes(struct fmp_rd *r, size_t n)
{
	return rd_take(r, n);
}

void fmp_rd_str(struct fmp_rd *r, char out[FMP_NAME_MAX])
{
	uint8_t n = fmp_rd_u8(r);
	const uint8_t *p;

	out[0] = '\0';
	if (r->bad)
		return;
	if (n >= FMP_NAME_MAX) {
		r->bad = true;
		return;
	}
	p = rd_take(r, n);
	if (!p)
		return;
	if (memchr(p, '\0', n)) {
		r->bad = true;
		return;
	}
	memcpy(out, p, n);
	out[n] = '\0';
}

void fmp_rd_fn(struct fmp_rd *r, struct fmp_fn_addr *fn)
{
	fn->slot = fmp_rd_u16(r);
	fn->pf = fmp_rd_u8(r);
	(void)fmp_rd_u8(r); /* reserved */
	fn->vf = fmp_rd_u16(r);
}

void fmp_buf_init(struct fmp_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void fmp_buf_release(struct fmp_buf *b)
{
	free(b->data);
	fmp_buf_init(b);
}

void fmp_buf_reset(struct fmp_buf *b)
{
	b->len = 0;
	b->err = 0;
}

static uint8_t *buf_grow(struct fmp_buf *b, size_t n)
{
	uint8_t *p;
	size_t cap;

	if (b->err)
		return NULL;
	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p) {
			b->err = -FMP_E_NOMEM;
			return NULL;
		}
		b->data = p;
		b->cap = cap;
	}
	p = b->data + b->len;
	b->len += n;
	return p;
}

void fmp_put_u8(struct fmp_buf *b, uint8_t v)
{
	uint8_t *p = buf_grow(b, 1);

	if (p)
		p[0] = v;
}

void fmp_put_u16(struct fmp_buf *b, uint16_t v)
{
	uint8_t *p = buf_grow(b, 2);

	if (p)
		fmp_le16_put(p, v);
}

void fmp_put_u32(struct fmp_buf *b, uint32_t v)
{
	uint8_t *p = buf_grow(b, 4);

	if (p)
		fmp_le32_put(p, v);
}

void fmp_put_u64(struct fmp_buf *b, uint64_t v)
{
	uint8_t *p = buf_grow(b, 8);

	if (p) {
		fmp_le32_put(p, (uint32_t)v);
		fmp_le32_put(p + 4, (uint32_t)(v >> 32));
	}
}

void fmp_put_bytes(struct fmp_buf *b, const void *src, size_t n)
{
	uint8_t *p;

	if (!n)
		return;
	p = buf_grow(b, n);
	if (p)
		memcpy(p, src, n);
}

void fmp_put_str(struct fmp_buf *b, const char *s)
{
	size_t n = strnlen(s, FMP_NAME_MAX);

	if (n >= FMP_NAME_MAX) {
		if (!b->err)
			b->err = -FMP_E_INVALID;
		return;
	}
	fmp_put_u8(b, (uint8_t)n);
	fmp_put_bytes(b, s, n);
}

void fmp_put_fn(struct fmp_buf *b, const struct fmp_fn_addr *fn)
{
	fmp_put_u16(b, fn->slot);
	fmp_put_u8(b, fn->pf);
	fmp_put_u8(b, 0);
	fmp_put_u16(b, fn->vf);
}
