/* lspci_text: the `lspci -xxxx` hex dump format, written so that pciutils' dump reader
 * (lib/dump.c, 3.9.0) accepts it: lines under 255 characters, single spaces, no trailing
 * blanks, an empty line to end each device. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lspci_text.h"

int lspci_text_write(FILE *out, int domain, unsigned bus, unsigned dev, unsigned fn,
		     const char *text, const uint8_t *cfg, size_t len)
{
	char *s = NULL;
	size_t n = 0;
	int rc = lspci_text_append(&s, &n, domain, bus, dev, fn, text, cfg, len);

	if (rc)
		return rc;
	if (fwrite(s, 1, n, out) != n)
		rc = -EIO;
	free(s);
	return rc;
}

static int append(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap : 1024;
		char *b;

		while (c < *len + n + 1)
			c *= 2;
		b = realloc(*buf, c);
		if (!b)
			return -ENOMEM;
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

int lspci_text_append(char **buf, size_t *len, int domain, unsigned bus, unsigned dev,
		      unsigned fn, const char *text, const uint8_t *cfg, size_t cfglen)
{
	static const char hex[] = "0123456789abcdef";
	size_t cap = *buf ? *len + 1 : 0; /* unknown spare room: grow from the length */
	char line[256];
	int n;

	cfglen -= cfglen % 16;
	if (cfglen > 4096)
		cfglen = 4096;
	if (domain >= 0)
		n = snprintf(line, sizeof(line), "%04x:%02x:%02x.%u ", (unsigned)domain, bus & 0xff,
			     dev & 0x1f, fn & 7);
	else
		n = snprintf(line, sizeof(line), "%02x:%02x.%u ", bus & 0xff, dev & 0x1f, fn & 7);
	/* the description: one line, and short enough for the reader's 256-byte buffer */
	for (const char *t = text ? text : ""; *t && n < 200; t++)
		line[n++] = (*t == '\n' || *t == '\r') ? ' ' : *t;
	line[n++] = '\n';
	if (append(buf, len, &cap, line, (size_t)n))
		return -ENOMEM;
	for (size_t off = 0; off < cfglen; off += 16) {
		n = snprintf(line, sizeof(line), off < 0x100 ? "%02zx:" : "%03zx:", off);
		for (int i = 0; i < 16; i++) {
			line[n++] = ' ';
			line[n++] = hex[cfg[off + i] >> 4];
			line[n++] = hex[cfg[off + i] & 15];
		}
		line[n++] = '\n';
		if (append(buf, len, &cap, line, (size_t)n))
			return -ENOMEM;
	}
	return append(buf, len, &cap, "\n", 1);
}
