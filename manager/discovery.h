/* discovery: reads a chassis's inventory over FMP after every (re)connect — ports, slots,
 * cards, functions (paged), each host's virtual hierarchy, and each PF's config space,
 * decoded with libpci for names and capabilities. Requests are pipelined. */
#ifndef FM_DISCOVERY_H
#define FM_DISCOVERY_H

#include "daemon.h"

/* Called once when the whole inventory is read (status 0) or discovery failed (negative;
 * err says why). A discovery superseded by a newer one (reset) never calls back. */
typedef void (*fm_discovery_done)(struct fm_daemon *d, struct fm_chassis *ch, int status,
				  const char *err);

/* Resets ch's inventory and reads it again. */
int fm_discovery_start(struct fm_daemon *d, struct fm_chassis *ch, fm_discovery_done done);

/* Re-reads one host port's vPPB table (after bind/unbind or a link event). */
void fm_discovery_refresh_vh(struct fm_daemon *d, struct fm_chassis *ch, uint8_t port);

#endif
