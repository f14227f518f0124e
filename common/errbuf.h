/* errbuf: the "char *err, size_t errlen" message buffer that library functions fill for
 * their caller (STYLE.md "Errors and ownership"). */
#ifndef FABRIC_ERRBUF_H
#define FABRIC_ERRBUF_H

#include <stddef.h>

/* Formats into err, cut to errlen - 1 bytes; err NULL or errlen 0: does nothing. */
void fab_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like fab_seterr, with the formatted text escaped (text_escape.h): for a message that
 * quotes untrusted text (a file name, a value), so that it stays one line. */
void fab_seterr_escaped(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
