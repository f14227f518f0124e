/* hotplug: the managed hot-removal handshake with a simulated host OS (PCIe r5.0 §6.7.1.5
 * attention button, Linux pciehp's abort window): one uv timer per pending handshake. */
#ifndef SIM_HOTPLUG_H
#define SIM_HOTPLUG_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

/* How long the manager waits for the host when the request says 0 (pciehp waits 5 s
 * after a button press before it powers the slot off). */
#define SIM_HOTPLUG_DEFAULT_TIMEOUT_MS 5000

enum sim_hotplug_result {
	SIM_HOTPLUG_RELEASED = 0, /* the host powered the slot off */
	SIM_HOTPLUG_TIMEOUT = 1,  /* it did not within the timeout */
};

/* The simulated host OS behind a host port. */
struct sim_hotplug_host {
	bool responds;        /* false: it never answers the button */
	uint32_t response_ms; /* how long it takes to release the slot */
};

struct sim_hotplug;

/* done: the outcome, called once from the loop; the handshake is over then (do not
 * cancel it). closed: the timer is closed and the handshake freed, called once after
 * done or after sim_hotplug_cancel; the owner frees arg there. */
typedef void (*sim_hotplug_done_fn)(void *arg, enum sim_hotplug_result result);
typedef void (*sim_hotplug_closed_fn)(void *arg);

/* Starts a handshake: RELEASED after host->response_ms if the host responds within
 * timeout_ms (0: SIM_HOTPLUG_DEFAULT_TIMEOUT_MS), otherwise TIMEOUT after timeout_ms.
 * 0 or -ENOMEM / a negative libuv error. */
int sim_hotplug_start(uv_loop_t *loop, const struct sim_hotplug_host *host, uint32_t timeout_ms,
		      sim_hotplug_done_fn done, sim_hotplug_closed_fn closed, void *arg,
		      struct sim_hotplug **out);

/* Stops a pending handshake without calling done; closed follows once the loop has closed
 * the timer. NULL is a no-op. */
void sim_hotplug_cancel(struct sim_hotplug *h);

/* When the handshake will end (uv_now based, ms), for tests and status. */
uint64_t sim_hotplug_due(const struct sim_hotplug *h);

#endif
