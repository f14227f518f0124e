/* errbuf: formatting into a caller's error buffer, which may be absent. */
#include "errbuf.h"

#include <stdarg.h>
#include <stdio.h>

void fab_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
