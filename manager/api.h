/* api: the control API's method table (manager/API.md) and its start-up. */
#ifndef FM_API_H
#define FM_API_H

#include "daemon.h"

/* Opens the control socket of fabric.yaml's control section with the API's methods. */
int fm_api_start(struct fm_daemon *d, char *err, size_t errlen);

#endif
