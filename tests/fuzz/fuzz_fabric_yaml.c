/* libFuzzer target: arbitrary bytes as fabricd's fabric.yaml (manager/fabric_config.c
 * through common/yaml_doc.c): no crash, no leak, bounded time, and any error one line. */
#include <stdint.h>
#include <stdlib.h>

#include "fabric_config.h"
#include "loader_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fm_fabric_config *cfg = NULL;
	char err[1024];
	int rc;

	err[0] = '\0';
	rc = fm_fabric_config_load_string("fabric.yaml", (const char *)data, size, "/etc/mriov",
					  &cfg, err, sizeof(err));
	fz_check_error(rc, err, sizeof(err));
	if (!rc != !!cfg)
		abort();
	fm_fabric_config_free(cfg);
	return 0;
}
