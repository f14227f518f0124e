/* text_escape: escaping of untrusted text for terminals and logs (see text_escape.h). */
#include "text_escape.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes) and its code point, or 0 when
 * the bytes there are not one (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Code points that reorder or hide text (Unicode bidi controls, zero-width and line
 * separators) or are C1 controls that terminals act on. */
static bool cp_is_format_control(uint32_t c)
{
	return (c >= 0x80 && c <= 0x9f) || c == 0x061c || (c >= 0x200b && c <= 0x200f) ||
	       (c >= 0x2028 && c <= 0x202e) || (c >= 0x2060 && c <= 0x2069) || c == 0xfeff;
}

/* The escape for the sequence at s, into out (at least 11 bytes); returns how many source
 * bytes it stands for and sets *olen (0: copy the bytes as they are). */
static size_t escape_one(const unsigned char *s, size_t n, char *out, size_t *olen)
{
	static const char named[] = {['\a'] = 'a', ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n',
				     ['\v'] = 'v', ['\f'] = 'f', ['\r'] = 'r', [0x1b] = 'e'};
	uint32_t cp;
	size_t len;

	if (s[0] == '\\') {
		*olen = (size_t)snprintf(out, 11, "\\\\");
		return 1;
	}
	if (s[0] < 0x20 || s[0] == 0x7f) {
		if (s[0] < sizeof(named) && named[s[0]])
			*olen = (size_t)snprintf(out, 11, "\\%c", named[s[0]]);
		else
			*olen = (size_t)snprintf(out, 11, "\\x%02x", s[0]);
		return 1;
	}
	len = utf8_decode(s, n, &cp);
	if (len == 0) {
		*olen = (size_t)snprintf(out, 11, "\\x%02x", s[0]);
		return 1;
	}
	if (cp_is_format_control(cp)) {
		*olen = (size_t)snprintf(out, 11, "\\u%04x", (unsigned)cp);
		return len;
	}
	*olen = 0;
	return len;
}

size_t fab_escape(char *dst, size_t dstlen, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t need = 0, used, olen, i = 0;
	char esc[11];
	bool full = dstlen == 0;

	while (i < n) {
		used = escape_one(s + i, n - i, esc, &olen);
		const char *piece = olen ? esc : (const char *)s + i;
		size_t plen = olen ? olen : used;

		if (!full) {
			if (need + plen < dstlen) {
				memcpy(dst + need, piece, plen);
			} else {
				full = true;
				dst[need] = '\0';
			}
		}
		need += plen;
		i += used;
	}
	if (dstlen && !full)
		dst[need] = '\0';
	return need;
}

char *fab_escape_dup(const char *s)
{
	size_t n, need;
	char *out;

	if (!s)
		return NULL;
	n = strlen(s);
	need = fab_escape(NULL, 0, s, n);
	out = malloc(need + 1);
	if (out)
		fab_escape(out, need + 1, s, n);
	return out;
}

bool fab_needs_escape(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, used, olen;
	char esc[11];

	while (i < n) {
		used = escape_one(u + i, n - i, esc, &olen);
		if (olen)
			return true;
		i += used;
	}
	return false;
}
