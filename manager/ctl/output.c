/* output: allocation, defensive JSON getters, JSON documents, the escaping printf and
 * common table spellings for fabric-ctl's commands. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl.h"
#include "output.h"
#include "text_escape.h"

void ctl_die_nomem(void)
{
	fputs("fabric-ctl: out of memory\n", stderr);
	exit(CTL_EXIT_REFUSED);
}

void *ctl_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		ctl_die_nomem();
	return p;
}

void *ctl_xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);

	if (!q)
		ctl_die_nomem();
	return q;
}

char *ctl_xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		ctl_die_nomem();
	return d;
}

static struct json_object *member(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *v;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

const char *ctl_jstr(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key, json_type_string);

	return v ? json_object_get_string(v) : NULL;
}

bool ctl_jint(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v = member(o, key, json_type_int);

	if (!v)
		return false;
	*out = json_object_get_int64(v);
	return true;
}

int ctl_jbool(struct json_object *o, const char *key)
{
	struct json_object *v = member(o, key, json_type_boolean);

	return v ? json_object_get_boolean(v) : -1;
}

struct json_object *ctl_jobj(struct json_object *o, const char *key)
{
	return member(o, key, json_type_object);
}

struct json_object *ctl_jarr(struct json_object *o, const char *key)
{
	return member(o, key, json_type_array);
}

char *ctl_escape_n(const char *s, size_t n)
{
	size_t need = fab_escape(NULL, 0, s, n);
	char *out = ctl_xcalloc(need + 1, 1);

	fab_escape(out, need + 1, s, n);
	return out;
}

/* Prints the conversion spec (flags, width, precision, length and conversion, as parsed
 * from the caller's format) with one value: a separate call per type, as va_arg needs. */
#define PUT(T) fprintf(f, spec, va_arg(ap, T))

int ctl_vfprintf(FILE *f, const char *fmt, va_list ap)
{
	const char *p = fmt;
	int total = 0;

	while (*p) {
		const char *pct = strchr(p, '%');
		size_t lit = pct ? (size_t)(pct - p) : strlen(p);
		char spec[40], len[3] = "";
		size_t sl = 1, ll = 0;
		int width = -1, prec = -1, n = 0;
		bool left = false, star = false;

		fwrite(p, 1, lit, f);
		total += (int)lit;
		if (!pct)
			break;
		p = pct + 1;
		spec[0] = '%';
		while (*p && strchr("-+ #0", *p) && sl < 8) {
			left |= *p == '-';
			spec[sl++] = *p++;
		}
		if (*p == '*') {
			width = va_arg(ap, int);
			star = true;
			p++;
		} else if (isdigit((unsigned char)*p)) {
			width = (int)strtol(p, (char **)&p, 10);
		}
		if (*p == '.') {
			p++;
			if (*p == '*') {
				prec = va_arg(ap, int);
				p++;
				if (prec < 0)
					prec = -1; /* a negative '*' precision is none */
			} else {
				prec = (int)strtol(p, (char **)&p, 10);
			}
		}
		while (*p && strchr("hlLzjt", *p) && ll < 2)
			len[ll++] = *p++;
		len[ll] = '\0';
		if (star && width < 0) { /* a negative '*' width is the '-' flag */
			width = width == INT_MIN ? INT_MAX : -width;
			if (!left)
				spec[sl++] = '-';
		}
		if (*p == 's' || *p == 'c') {
			/* the text from outside: precision cuts the original, width pads the
			 * escaped text */
			char ch, *esc;
			const char *str;
			size_t sn;

			if (*p == 's') {
				str = va_arg(ap, const char *);
				if (!str)
					str = "(null)";
				sn = prec >= 0 ? strnlen(str, (size_t)prec) : strlen(str);
			} else {
				ch = (char)va_arg(ap, int);
				str = &ch;
				sn = 1;
			}
			esc = ctl_escape_n(str, sn);
			snprintf(spec + sl, sizeof(spec) - sl, width >= 0 ? "%ds" : "s", width);
			n = fprintf(f, spec, esc);
			free(esc);
		} else if (*p == '%') {
			n = fputc('%', f) == EOF ? -1 : 1;
		} else if (*p && strchr("diouxXeEfFgGaAp", *p)) {
			char conv = *p;

			if (width >= 0)
				sl += (size_t)snprintf(spec + sl, sizeof(spec) - sl, "%d", width);
			if (prec >= 0)
				sl += (size_t)snprintf(spec + sl, sizeof(spec) - sl, ".%d", prec);
			snprintf(spec + sl, sizeof(spec) - sl, "%s%c", len, conv);
			if (strchr("eEfFgGaA", conv))
				n = !strcmp(len, "L") ? PUT(long double) : PUT(double);
			else if (conv == 'p')
				n = PUT(void *);
			else if (conv == 'd' || conv == 'i')
				n = !strcmp(len, "ll") ? PUT(long long) : !strcmp(len, "l") ? PUT(long)
				  : !strcmp(len, "z") ? PUT(ssize_t) : !strcmp(len, "j") ? PUT(intmax_t)
				  : !strcmp(len, "t") ? PUT(ptrdiff_t) : PUT(int);
			else
				n = !strcmp(len, "ll") ? PUT(unsigned long long)
				  : !strcmp(len, "l") ? PUT(unsigned long) : !strcmp(len, "z") ? PUT(size_t)
				  : !strcmp(len, "j") ? PUT(uintmax_t) : !strcmp(len, "t") ? PUT(ptrdiff_t)
				  : PUT(unsigned);
		} else {
			break; /* %n or a malformed spec: the format attribute keeps them out */
		}
		if (n < 0)
			return -1;
		total += n;
		if (*p)
			p++;
	}
	return total;
}

int ctl_fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = ctl_vfprintf(f, fmt, ap);
	va_end(ap);
	return n;
}

void ctl_print_text(FILE *f, const char *s, size_t n)
{
	while (n) {
		const char *nl = memchr(s, '\n', n);
		size_t len = nl ? (size_t)(nl - s) : n;

		ctl_fprintf(f, "%.*s", (int)len, s);
		if (nl)
			fputc('\n', f);
		s += len + (nl != NULL);
		n -= len + (nl != NULL);
	}
}

int ctl_bad_reply(const char *what, const char *fmt, ...)
{
	va_list ap;

	ctl_fprintf(stderr, "fabric-ctl: %s: bad reply from fabricd: ", what);
	va_start(ap, fmt);
	ctl_vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_EXIT_UNREACHABLE;
}

int ctl_result_array(const char *what, struct json_object *res, const char *key,
		     struct json_object **arr)
{
	struct json_object *a = ctl_jarr(res, key);

	*arr = NULL;
	if (!a)
		return ctl_bad_reply(what, "no \"%s\" array in the result", key);
	for (size_t i = 0; i < json_object_array_length(a); i++)
		if (!json_object_is_type(json_object_array_get_idx(a, i), json_type_object))
			return ctl_bad_reply(what, "\"%s\"[%zu] is not an object", key, i);
	*arr = a;
	return 0;
}

/* json-c escapes C0 controls in strings but writes DEL, C1 controls and bidi or invisible
 * formatting characters (U+202E) as they are: valid JSON, but a terminal acts on them.
 * They are written as the JSON escapes \u007f, \u202e (the same string to a parser);
 * a byte that is not UTF-8, which JSON cannot carry, as \ufffd. Outside strings JSON
 * text is ASCII, so every such byte is inside one. */
void ctl_put_json_text(const char *s, const char *indent)
{
	while (*s) {
		unsigned char c = (unsigned char)*s;
		size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2, i;
		char esc[16];

		for (i = 1; i < n && s[i]; i++)
			;
		n = i;
		if (c < 0x80 && c != 0x7f) {
			putchar(*s);
			if (*s++ == '\n') /* json-c's own line break: strings hold \n escaped */
				fputs(indent, stdout);
			continue;
		}
		if (!fab_needs_escape(s, n)) {
			fwrite(s, 1, n, stdout);
			s += n;
		} else if (fab_escape(esc, sizeof(esc), s, n) == 6 && esc[1] == 'u') {
			fputs(esc, stdout); /* the code point as \uXXXX: a JSON escape too */
			s += n;
		} else {
			fputs(c == 0x7f ? "\\u007f" : "\\ufffd", stdout);
			s++;
		}
	}
}

static void put_json(const char *s)
{
	ctl_put_json_text(s, "");
	putchar('\n');
}

void ctl_print_json(struct json_object *o)
{
	put_json(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
}

void ctl_print_json_line(struct json_object *o)
{
	put_json(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* Whether stdout's reader has gone (a pipe or socket with no reader): errno may have
 * changed since the write that failed, the descriptor still tells. */
static bool stdout_reader_gone(void)
{
	struct pollfd p = {.fd = STDOUT_FILENO, .events = 0};

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

int ctl_flush(bool *reader_gone)
{
	int err;

	if (reader_gone)
		*reader_gone = false;
	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	err = errno;
	if (err == EPIPE || stdout_reader_gone()) {
		if (reader_gone)
			*reader_gone = true;
		return 0;
	}
	fprintf(stderr, "fabric-ctl: writing the output: %s\n", err ? strerror(err) : "write error");
	return CTL_EXIT_REFUSED;
}

const char *ctl_fmt_ids(struct json_object *o, char *buf, size_t len)
{
	const char *v = ctl_jstr(o, "vendor"), *d = ctl_jstr(o, "device");

	if (!v && !d)
		return "-";
	snprintf(buf, len, "%s:%s", v ? v : "?", d ? d : "?");
	return buf;
}

const char *ctl_fmt_name(struct json_object *o, char *buf, size_t len)
{
	const char *v = ctl_jstr(o, "vendor_name"), *d = ctl_jstr(o, "device_name");

	if (v && !*v)
		v = NULL;
	if (d && !*d)
		d = NULL;
	if (!v && !d)
		return "-";
	snprintf(buf, len, "%s%s%s", v ? v : "", v && d ? " " : "", d ? d : "");
	return buf;
}

const char *ctl_fmt_int(struct json_object *o, const char *key, char *buf, size_t len)
{
	int64_t v;

	if (!ctl_jint(o, key, &v))
		return "-";
	snprintf(buf, len, "%lld", (long long)v);
	return buf;
}

const char *ctl_yesno(struct json_object *o, const char *key)
{
	int b = ctl_jbool(o, key);

	return b < 0 ? "-" : b ? "yes" : "no";
}

const char *ctl_fmt_fn(struct json_object *fn, bool qualify, char *buf, size_t len)
{
	const char *name = ctl_jstr(fn, "function"), *ch = ctl_jstr(fn, "chassis");

	if (!name)
		return "-";
	if (!qualify || !ch || strchr(name, ':'))
		return name;
	snprintf(buf, len, "%s:%s", ch, name);
	return buf;
}

bool ctl_multi_chassis(struct json_object *arr)
{
	const char *first = NULL;

	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		const char *ch = ctl_jstr(json_object_array_get_idx(arr, i), "chassis");

		if (!ch)
			continue;
		if (!first)
			first = ch;
		else if (strcmp(first, ch))
			return true;
	}
	return false;
}
