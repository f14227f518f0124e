/* libFuzzer target: arbitrary bytes as a bindings file (manager/bindings.c through
 * common/yaml_doc.c): no crash, no leak, bounded time, any error one line, and what loads
 * formats to a file that loads back to the same entries. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bindings.h"
#include "loader_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fm_bindings *b = NULL, *back = NULL;
	char err[1024];
	char *text;
	int rc;

	err[0] = '\0';
	rc = fm_bindings_load_string("bindings.yaml", (const char *)data, size, &b, err,
				     sizeof(err));
	fz_check_error(rc, err, sizeof(err));
	if (!rc != !!b)
		abort();
	if (!b)
		return 0;
	text = fm_bindings_format(b, "round trip");
	if (!text)
		abort();
	if (fm_bindings_load_string("export", text, strlen(text), &back, err, sizeof(err)) ||
	    back->n != b->n || back->n_hosts != b->n_hosts)
		abort();
	for (size_t i = 0; i < b->n; i++) {
		const struct fm_bindings_entry *x = &b->v[i], *y = &back->v[i];

		if (strcmp(x->host, y->host) || !x->function != !y->function ||
		    (x->function && strcmp(x->function, y->function)) || x->count != y->count ||
		    x->qos.min_mbps != y->qos.min_mbps || x->qos.max_mbps != y->qos.max_mbps)
			abort();
	}
	free(text);
	fm_bindings_free(back);
	fm_bindings_free(b);
	return 0;
}
