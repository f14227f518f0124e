/* text_escape: makes untrusted text (names from a chassis file or the API, hook output,
 * parser input) safe to show on one line of a terminal or a log: nothing in it can move
 * the cursor, end the line, change colours or reorder what follows. */
#ifndef FABRIC_TEXT_ESCAPE_H
#define FABRIC_TEXT_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* Writes the n bytes of src to dst escaped:
 *   C0 controls and DEL   \a \b \t \n \v \f \r \e, others \xNN (\x01, \x7f)
 *   backslash             \\ (so an escape in the output is never ambiguous)
 *   C1 controls, bidi and invisible formatting code points (U+0080-U+009F, U+061C,
 *   U+200B-U+200F, U+2028-U+202E, U+2060-U+2069, U+FEFF)   \uXXXX (\u202e)
 *   bytes that are not valid UTF-8 (stray, overlong, surrogate, truncated)   \xNN
 * and every other byte as it is. dst is always NUL-terminated when dstlen > 0, and an
 * escape is never cut in half. Returns the length the whole escaped text needs (without
 * the NUL), like snprintf: a return >= dstlen means dst holds a cut prefix. */
size_t fab_escape(char *dst, size_t dstlen, const char *src, size_t n);

/* The escaped copy of the NUL-terminated s, from malloc (caller frees); NULL if out of
 * memory. s NULL gives NULL. */
char *fab_escape_dup(const char *s);

/* True when fab_escape would change one of the n bytes of s. */
bool fab_needs_escape(const char *s, size_t n);

#endif
