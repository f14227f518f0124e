/* libFuzzer target: arbitrary bytes as a card profile (switch-sim/profile.c through
 * common/yaml_doc.c; config_dump may name the shipped dumps as dumps/FILE): no crash, no
 * leak, bounded time, and any error one line. */
#include <stdint.h>
#include <stdlib.h>

#include "loader_check.h"
#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sim_profile *p = NULL;
	char err[1024];
	int rc;

	fz_write_input("fz.yaml", data, size);
	err[0] = '\0';
	rc = sim_profile_load(fz_dir("fz.yaml")->dir, "fz", &p, err, sizeof(err));
	fz_check_error(rc, err, sizeof(err));
	if (!rc != !!p)
		abort();
	sim_profile_free(p);
	return 0;
}
