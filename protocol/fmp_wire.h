/* Little-endian field coding for FMP payloads: a bounds-checked reader and appenders
 * onto struct fmp_buf. Private to protocol/. */
#ifndef FMP_WIRE_H
#define FMP_WIRE_H

#include <stdbool.h>
#include <fmp/fmp.h>

/* A reader over a payload. Every get checks the remaining length first; after the first
 * short read `bad` is set and every later get returns 0 without reading. */
struct fmp_rd {
	const uint8_t *p;
	size_t left;
	bool bad;
};

static inline void fmp_rd_init(struct fmp_rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->left = len;
	r->bad = false;
}

uint8_t fmp_rd_u8(struct fmp_rd *r);
uint16_t fmp_rd_u16(struct fmp_rd *r);
uint32_t fmp_rd_u32(struct fmp_rd *r);
uint64_t fmp_rd_u64(struct fmp_rd *r);
/* u8 length then bytes; rejects length >= FMP_NAME_MAX and embedded NULs. */
void fmp_rd_str(struct fmp_rd *r, char out[FMP_NAME_MAX]);
const uint8_t *fmp_rd_bytes(struct fmp_rd *r, size_t n);
void fmp_rd_fn(struct fmp_rd *r, struct fmp_fn_addr *fn);

void fmp_le16_put(uint8_t *p, uint16_t v);
void fmp_le32_put(uint8_t *p, uint32_t v);
uint16_t fmp_le16_get(const uint8_t *p);
uint32_t fmp_le32_get(const uint8_t *p);

void fmp_put_u8(struct fmp_buf *b, uint8_t v);
void fmp_put_u16(struct fmp_buf *b, uint16_t v);
void fmp_put_u32(struct fmp_buf *b, uint32_t v);
void fmp_put_u64(struct fmp_buf *b, uint64_t v);
void fmp_put_bytes(struct fmp_buf *b, const void *p, size_t n);
/* Strings longer than FMP_NAME_MAX - 1 are an encode error (sets b->err = -FMP_E_INVALID). */
void fmp_put_str(struct fmp_buf *b, const char *s);
void fmp_put_fn(struct fmp_buf *b, const struct fmp_fn_addr *fn);

#endif
