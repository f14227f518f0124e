/* Shared by the config loader fuzz targets: the checks every loader's result must pass,
 * and a scratch directory holding the input as a file, beside the shipped profiles and
 * dumps (so inputs can name them as "profiles" and "dumps/..."). */
#ifndef FUZZ_LOADER_CHECK_H
#define FUZZ_LOADER_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An error is one line that names something: non-empty, NUL-terminated within its buffer,
 * no control byte (issue 18: input text in it is escaped). */
static inline void fz_check_error(int rc, const char *err, size_t errlen)
{
	size_t n = strnlen(err, errlen);

	if (!rc)
		return;
	if (n == 0 || n == errlen)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f)
			abort();
}

struct fz_dir {
	char dir[64];
	char file[96];
};

static inline void fz_dir_remove(void);

/* The one scratch directory of this process (a fuzz target runs one input at a time). */
static inline struct fz_dir *fz_dir(const char *file_name)
{
	static struct fz_dir d;

	if (d.dir[0])
		return &d;
	strcpy(d.dir, "/tmp/fuzz-loader-XXXXXX");
	if (!mkdtemp(d.dir))
		abort();
	snprintf(d.file, sizeof(d.file), "%s/%s", d.dir, file_name);
	{
		char link[96];

		snprintf(link, sizeof(link), "%s/profiles", d.dir);
		if (symlink(FABRIC_SOURCE_DIR "/configs/profiles", link))
			abort();
		snprintf(link, sizeof(link), "%s/dumps", d.dir);
		if (symlink(FABRIC_SOURCE_DIR "/configs/dumps", link))
			abort();
	}
	atexit(fz_dir_remove);
	return &d;
}

static inline void fz_dir_remove(void)
{
	struct fz_dir *d = fz_dir("");
	char p[96];

	unlink(d->file);
	snprintf(p, sizeof(p), "%s/profiles", d->dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/dumps", d->dir);
	unlink(p);
	rmdir(d->dir);
}

/* Writes the input as the directory's file; returns its path. */
static inline const char *fz_write_input(const char *file_name, const uint8_t *data, size_t size)
{
	struct fz_dir *d = fz_dir(file_name);
	FILE *f = fopen(d->file, "wb");

	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	return d->file;
}

#endif
