/* lspci_text tests: re-emitting a real card's dump reproduces its hex lines byte for byte,
 * and the header line follows lspci's rules (trailing space, no newline, length cap). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lspci_text.h"

#define DUMP FABRIC_SOURCE_DIR "/tests/data/cards/nic-intel-82576-pf-sriov.lspci"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void test_round_trip_real_dump(void **state)
{
	uint8_t cfg[4096];
	size_t flen, olen = 0;
	char *file = slurp(DUMP, &flen), *out = NULL, *hex_in, *hex_out;
	char *line, *save;
	unsigned off;

	(void)state;
	/* parse the file's hex lines */
	memset(cfg, 0xff, sizeof(cfg));
	hex_in = strchr(file, '\n') + 1;
	{
		char *copy = strdup(hex_in);

		for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *p;

			off = (unsigned)strtoul(line, &p, 16);
			assert_int_equal(*p, ':');
			for (int i = 0; i < 16; i++)
				cfg[off + i] = (uint8_t)strtoul(p + 1 + 3 * i, NULL, 16);
		}
		free(copy);
	}
	assert_int_equal(lspci_text_append(&out, &olen, -1, 1, 0, 0,
					   "Ethernet controller: Intel Corporation Device 10c9 (rev 01)",
					   cfg, sizeof(cfg)), 0);
	assert_int_equal(olen, strlen(out));
	/* byte-identical to the captured text, header line included */
	assert_int_equal(olen, flen);
	assert_memory_equal(out, file, flen);
	hex_out = strchr(out, '\n') + 1;
	assert_string_equal(hex_out, hex_in);
	free(out);
	free(file);
}

static void test_header_rules(void **state)
{
	uint8_t cfg[64] = {0x86, 0x80};
	char *out = NULL, longtext[400];
	size_t len = 0;

	(void)state;
	memset(longtext, 'x', sizeof(longtext));
	longtext[sizeof(longtext) - 1] = '\0';
	longtext[5] = '\n';
	assert_int_equal(lspci_text_append(&out, &len, 0, 0x12, 3, 1, longtext, cfg, 64), 0);
	assert_memory_equal(out, "0000:12:03.1 xxxxx xxx", 22);
	assert_true(strchr(out, '\n') - out < 255);
	free(out);
	out = NULL;
	len = 0;
	assert_int_equal(lspci_text_append(&out, &len, -1, 2, 31, 7, NULL, cfg, 64), 0);
	assert_int_equal(lspci_text_append(&out, &len, -1, 3, 0, 0, "", cfg, 64), 0);
	assert_string_equal(out,
			    "02:1f.7 \n"
			    "00: 86 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
			    "10: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
			    "20: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
			    "30: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
			    "\n"
			    "03:00.0 \n"
			    "00: 86 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
			    "10: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
			    "20: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
			    "30: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
			    "\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_real_dump),
		cmocka_unit_test(test_header_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
