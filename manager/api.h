/* api: the control API's method table (manager/API.md) and its start-up. */
#ifndef FM_API_H
#define FM_API_H

#include "daemon.h"

/* `functions` pages (API.md): the page size without `limit`, and the largest `limit`. */
#define FM_API_FUNCTIONS_PAGE_DEFAULT 128
#define FM_API_FUNCTIONS_PAGE_MAX 256

/* Opens the control socket of fabric.yaml's control section with the API's methods. */
int fm_api_start(struct fm_daemon *d, char *err, size_t errlen);

#endif
