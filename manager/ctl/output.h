/* output: what every command's printer shares — allocation that dies on ENOMEM, defensive JSON
 * getters (a missing or mistyped member is "absent", never a crash), JSON out, the escaping
 * printf every message and line goes through, table spellings. */
#ifndef CTL_OUTPUT_H
#define CTL_OUTPUT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json_object;

/* fabric-ctl is one short-lived request: running out of memory ends it (exit 1). */
void ctl_die_nomem(void) __attribute__((noreturn));
void *ctl_xcalloc(size_t n, size_t size);
void *ctl_xrealloc(void *p, size_t size);
char *ctl_xstrdup(const char *s);

/* Members of an object (o may be NULL or not an object): NULL / false when absent or of
 * another type. */
const char *ctl_jstr(struct json_object *o, const char *key);
bool ctl_jint(struct json_object *o, const char *key, int64_t *v);
int ctl_jbool(struct json_object *o, const char *key); /* 1, 0, or -1 when absent */
struct json_object *ctl_jobj(struct json_object *o, const char *key);
struct json_object *ctl_jarr(struct json_object *o, const char *key);

/*
 * Everything fabric-ctl prints for people goes through these (or a table, which escapes its
 * cells the same way): names, labels and messages come from the daemon or the command line
 * and may hold ESC, CR, newlines or bidi overrides. Like fprintf, but each %s and %c
 * argument is printed escaped (common/text_escape.h: \e \r \n \xNN \u202e \\), so
 * nothing in it can move the cursor, end the line or reorder what follows; the format
 * itself is printed as it is. A precision cuts the original text, a width pads the escaped
 * text. No %n.
 */
int ctl_vfprintf(FILE *f, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
int ctl_fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define ctl_printf(...) ctl_fprintf(stdout, __VA_ARGS__)
/* Multi-line text (an lspci dump): each line escaped, its newline kept. */
void ctl_print_text(FILE *f, const char *s, size_t n);
/* The n bytes at s escaped, from malloc (dies on ENOMEM). */
char *ctl_escape_n(const char *s, size_t n);

/* "fabric-ctl: <what>: bad reply from fabricd: <why>"; returns CTL_EXIT_UNREACHABLE. */
int ctl_bad_reply(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* *arr = res[key], which must be an array of objects; else ctl_bad_reply. */
int ctl_result_array(const char *what, struct json_object *res, const char *key,
		     struct json_object **arr);

/* The document for -o json: pretty-printed, one per command, on stdout. */
void ctl_print_json(struct json_object *o);
/* JSON text s as ctl_print_json writes it (DEL, C1 and bidi controls as \uXXXX escapes),
 * with indent after each of its line breaks and no final newline: for documents written
 * piece by piece. */
void ctl_put_json_text(const char *s, const char *indent);
/* One compact line (events --follow -o json). */
void ctl_print_json_line(struct json_object *o);
/* Flushes stdout: 0, or the exit code for a write error (EPIPE, the reader went away: 0
 * too, silently; otherwise a message and CTL_EXIT_REFUSED). */
int ctl_flush(bool *reader_gone);

/* s, or d when s is NULL. */
static inline const char *ctl_or(const char *s, const char *d)
{
	return s ? s : d;
}

/* Table spellings. Each returns buf (or a constant). */
const char *ctl_fmt_ids(struct json_object *o, char *buf, size_t len);   /* "8086:10fb" */
const char *ctl_fmt_name(struct json_object *o, char *buf, size_t len);  /* vendor + device names */
const char *ctl_fmt_int(struct json_object *o, const char *key, char *buf, size_t len); /* or "-" */
const char *ctl_yesno(struct json_object *o, const char *key);           /* "yes", "no", "-" */
/* A function's name as typed: "CHASSIS:" prefixed when qualify is set. */
const char *ctl_fmt_fn(struct json_object *fn, bool qualify, char *buf, size_t len);
/* True when the objects of arr name more than one "chassis". */
bool ctl_multi_chassis(struct json_object *arr);

#endif /* CTL_OUTPUT_H */
