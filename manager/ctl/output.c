/* output: allocation, defensive JSON getters, JSON documents and common table spellings for
 * fabric-ctl's commands. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl.h"
#include "output.h"

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

int ctl_bad_reply(const char *what, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fabric-ctl: %s: bad reply from fabricd: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
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

void ctl_print_json(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
						       JSON_C_TO_STRING_NOSLASHESCAPE));
}

void ctl_print_json_line(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
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
