/* errbuf: formatting into a caller's error buffer, which may be absent. */
#include "errbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "text_escape.h"

void fab_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void fab_seterr_escaped(char *err, size_t errlen, const char *fmt, ...)
{
	char raw[1024];
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	fab_escape(err, errlen, raw, strlen(raw));
}
