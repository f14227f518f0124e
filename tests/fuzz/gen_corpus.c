/* Writes the seed corpus: every sample frame alone, and the whole sample stream, into
 * the directory given as argv[1] (for the stream target the first byte is the read size). */
#include <stdio.h>
#include <string.h>

#include <fmp/fmp.h>
#include "fmp_samples.h"

static int write_file(const char *dir, const char *name, const uint8_t *lead, size_t nlead,
		      const uint8_t *p, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		return -1;
	}
	if ((nlead && fwrite(lead, 1, nlead, f) != nlead) || fwrite(p, 1, n, f) != n) {
		perror(path);
		fclose(f);
		return -1;
	}
	return fclose(f);
}

int main(int argc, char **argv)
{
	struct fmp_buf all, one;
	char name[64];
	uint8_t lead = 7;

	if (argc != 3) {
		fprintf(stderr, "usage: gen_corpus DECODE_DIR STREAM_DIR\n");
		return 2;
	}
	fmp_buf_init(&all);
	for (size_t i = 0; i < fmp_sample_count(); i++) {
		fmp_buf_init(&one);
		if (fmp_sample_encode(i, &one) || fmp_sample_encode(i, &all))
			return 1;
		snprintf(name, sizeof(name), "sample-%02zu", i);
		if (write_file(argv[1], name, NULL, 0, one.data, one.len) ||
		    write_file(argv[2], name, &lead, 1, one.data, one.len))
			return 1;
		fmp_buf_release(&one);
	}
	if (write_file(argv[2], "all-samples", &lead, 1, all.data, all.len))
		return 1;
	fmp_buf_release(&all);
	return 0;
}
