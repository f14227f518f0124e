/* table: fabric-ctl's column tables. Cells are kept as strings until print, which sizes the
 * columns; widths count UTF-8 characters so vendor names with accents still line up. A cell
 * is stored escaped (ctl_escape_n), so a name with a newline cannot start a row of its own
 * and the widths are those of what is printed. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "table.h"

struct ctl_table {
	const char *const *headers;
	unsigned ncols;
	char **cells;   /* rows * ncols, row-major; NULL = "-" */
	unsigned rows, cap_rows;
	unsigned col;   /* next cell of the current row */
};

struct ctl_table *ctl_table_new(const char *const *headers)
{
	struct ctl_table *t = ctl_xcalloc(1, sizeof(*t));

	t->headers = headers;
	while (headers[t->ncols])
		t->ncols++;
	return t;
}

void ctl_table_free(struct ctl_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < (size_t)t->rows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

void ctl_table_row(struct ctl_table *t)
{
	if (t->rows == t->cap_rows) {
		unsigned cap = t->cap_rows ? t->cap_rows * 2 : 16;

		t->cells = ctl_xrealloc(t->cells, (size_t)cap * t->ncols * sizeof(char *));
		memset(t->cells + (size_t)t->cap_rows * t->ncols, 0,
		       (size_t)(cap - t->cap_rows) * t->ncols * sizeof(char *));
		t->cap_rows = cap;
	}
	t->rows++;
	t->col = 0;
}

static void put(struct ctl_table *t, char *s)
{
	if (!t->rows || t->col >= t->ncols) {
		free(s);
		return;
	}
	if (s && !*s) {
		free(s);
		s = NULL;
	}
	if (s) {
		char *esc = ctl_escape_n(s, strlen(s));

		free(s);
		s = esc;
	}
	t->cells[(size_t)(t->rows - 1) * t->ncols + t->col++] = s;
}

void ctl_table_cell(struct ctl_table *t, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	if (fmt) {
		va_start(ap, fmt);
		if (vasprintf(&s, fmt, ap) < 0)
			ctl_die_nomem();
		va_end(ap);
	}
	put(t, s);
}

void ctl_table_str(struct ctl_table *t, const char *s)
{
	put(t, s ? ctl_xstrdup(s) : NULL);
}

unsigned ctl_table_rows(const struct ctl_table *t)
{
	return t->rows;
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

static void print_cell(FILE *f, const char *s, size_t w, bool right, bool last)
{
	size_t pad = w - width(s);

	if (right)
		fprintf(f, "%*s", (int)pad, "");
	fputs(s, f);
	if (!right && !last)
		fprintf(f, "%*s", (int)pad, "");
	if (!last)
		fputs("  ", f);
}

void ctl_table_print_part(const struct ctl_table *t, FILE *f, int indent, size_t *w,
			  bool header)
{
	for (unsigned c = 0; c < t->ncols; c++) {
		const char *h = t->headers[c];
		size_t hw = width(h + (h[0] == '>'));

		if (hw > w[c])
			w[c] = hw;
		for (unsigned r = 0; r < t->rows; r++) {
			const char *s = t->cells[(size_t)r * t->ncols + c];
			size_t cw = s ? width(s) : 1;

			if (cw > w[c])
				w[c] = cw;
		}
	}
	if (header) {
		fprintf(f, "%*s", indent, "");
		for (unsigned c = 0; c < t->ncols; c++) {
			const char *h = t->headers[c];

			print_cell(f, h + (h[0] == '>'), w[c], h[0] == '>', c + 1 == t->ncols);
		}
		fputc('\n', f);
	}
	for (unsigned r = 0; r < t->rows; r++) {
		fprintf(f, "%*s", indent, "");
		for (unsigned c = 0; c < t->ncols; c++) {
			const char *s = t->cells[(size_t)r * t->ncols + c];

			print_cell(f, s ? s : "-", w[c], t->headers[c][0] == '>', c + 1 == t->ncols);
		}
		fputc('\n', f);
	}
}

void ctl_table_print(const struct ctl_table *t, FILE *f, int indent)
{
	size_t *w = ctl_xcalloc(t->ncols ? t->ncols : 1, sizeof(*w));

	ctl_table_print_part(t, f, indent, w, true);
	free(w);
}
