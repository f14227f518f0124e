/* libFuzzer target: arbitrary bytes as a chassis YAML file (switch-sim/chassis.c through
 * common/yaml_doc.c), its cards' profiles loaded from the shipped ones: no crash, no leak,
 * bounded time, and any error one line. */
#include <stdint.h>
#include <stdlib.h>

#include "chassis.h"
#include "loader_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fz_write_input("chassis.yaml", data, size);
	struct sim_chassis_cfg *cfg = NULL;
	char err[1024];
	int rc;

	err[0] = '\0';
	rc = sim_chassis_load(path, &cfg, err, sizeof(err));
	fz_check_error(rc, err, sizeof(err));
	if (!rc != !!cfg)
		abort();
	sim_chassis_cfg_free(cfg);
	return 0;
}
