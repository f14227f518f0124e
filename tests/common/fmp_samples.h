/* Sample FMP messages: one valid instance of every opcode and kind, used by the codec
 * tests, the fuzz seed corpus and the protocol self-check. */
#ifndef FMP_SAMPLES_H
#define FMP_SAMPLES_H

#include <fmp/fmp.h>

/* Number of samples. */
size_t fmp_sample_count(void);
/* Fills m with sample i (0 <= i < count). Arrays point at static storage. */
void fmp_sample_get(size_t i, struct fmp_msg *m);
/* Encodes sample i into out (appending). Returns fmp_msg_encode's result. */
int fmp_sample_encode(size_t i, struct fmp_buf *out);

#endif
