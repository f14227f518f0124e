/* index tests: put/get/replace/delete against a reference array, through growth and
 * deletions inside probe clusters. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "index.h"

#define N 5000

static void test_against_reference(void **state)
{
	struct fm_index *ix = fm_index_new(4);
	static int values[N];
	static bool present[N];
	char key[32];
	unsigned seed = 12345;

	(void)state;
	assert_non_null(ix);
	for (int round = 0; round < 4 * N; round++) {
		int k;

		seed = seed * 1103515245u + 12345u;
		k = (int)((seed >> 8) % N);
		snprintf(key, sizeof(key), "rack1:nic%d/pf0/vf%d", k % 97, k);
		if ((seed >> 4) % 3) {
			assert_int_equal(fm_index_put(ix, key, &values[k]), 0);
			present[k] = true;
		} else {
			void *v = fm_index_del(ix, key);

			assert_ptr_equal(v, present[k] ? &values[k] : NULL);
			present[k] = false;
		}
	}
	size_t count = 0;

	for (int k = 0; k < N; k++) {
		snprintf(key, sizeof(key), "rack1:nic%d/pf0/vf%d", k % 97, k);
		assert_ptr_equal(fm_index_get(ix, key), present[k] ? &values[k] : NULL);
		count += present[k];
	}
	assert_int_equal(fm_index_count(ix), count);
	assert_null(fm_index_get(ix, "nope"));
	fm_index_free(ix);
	fm_index_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_against_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
