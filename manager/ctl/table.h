/* table: aligned text tables for people — a header row, then rows of cells, columns padded
 * to their widest cell (counted in UTF-8 characters), two spaces apart. Cells are printed
 * escaped (output.h: control characters, bidi controls, invalid UTF-8), one line a row. */
#ifndef CTL_TABLE_H
#define CTL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ctl_table;

/* headers: NULL-terminated column titles (borrowed; they must outlive the table). A title
 * starting with '>' is right-aligned (the '>' is not printed). Dies on ENOMEM. */
struct ctl_table *ctl_table_new(const char *const *headers);
void ctl_table_free(struct ctl_table *t);
/* Starts a row; cells are then added left to right, missing ones print as "-". */
void ctl_table_row(struct ctl_table *t);
/* A printf-formatted cell; NULL fmt or an empty result prints "-". */
void ctl_table_cell(struct ctl_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A string cell (NULL or "" prints "-"). */
void ctl_table_str(struct ctl_table *t, const char *s);
unsigned ctl_table_rows(const struct ctl_table *t);
/* Header and rows; the last column is not padded. indent spaces before each line. */
void ctl_table_print(const struct ctl_table *t, FILE *f, int indent);
/* One part of a table printed in parts (a listing fetched page by page): w holds a width per
 * column, all 0 before the first part. Widens w to this part's cells (columns never narrow,
 * so a later part lines up with the earlier ones unless a cell of it is wider), prints the
 * header row if header, then the rows. */
void ctl_table_print_part(const struct ctl_table *t, FILE *f, int indent, size_t *w,
			  bool header);

#endif /* CTL_TABLE_H */
