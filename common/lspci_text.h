/* lspci_text: config-space bytes in the text form `lspci -xxxx` prints and `lspci -F`
 * reads back (pciutils lib/dump.c): "BB:DD.F text" (the space after the BDF is
 * mandatory), 16 bytes a line, "%02x:" offsets below 0x100 and "%03x:" above, an empty
 * line after each device. Shared by switch-sim's host-view dump and fabricd's `lspci`. */
#ifndef FABRIC_LSPCI_TEXT_H
#define FABRIC_LSPCI_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Writes one device; len is 64, 256 or 4096 (rounded down to a multiple of 16). text is
 * the description after the BDF (may be NULL or ""); newlines in it are replaced, and it
 * is cut so every line stays under the 255 characters lspci's reader accepts. domain < 0:
 * no domain prefix. Returns 0 or -EIO. */
int lspci_text_write(FILE *out, int domain, unsigned bus, unsigned dev, unsigned fn,
		     const char *text, const uint8_t *cfg, size_t len);

/* The same into a malloc'd, NUL-terminated string appended to *buf (*buf NULL or from a
 * previous call; *len its length). 0 or -ENOMEM. */
int lspci_text_append(char **buf, size_t *len, int domain, unsigned bus, unsigned dev,
		      unsigned fn, const char *text, const uint8_t *cfg, size_t cfglen);

#endif
