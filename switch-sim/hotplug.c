/* hotplug: managed hot-removal handshakes (PCIe r5.0 §6.7.1.5): a timer per pending
 * handshake standing in for the host OS that answers the attention button, or never does. */
#include "hotplug.h"

#include <errno.h>
#include <stdlib.h>

struct sim_hotplug {
	uv_timer_t timer;
	enum sim_hotplug_result result; /* what the timer means when it fires */
	uint64_t due;
	sim_hotplug_done_fn done;
	sim_hotplug_closed_fn closed;
	void *arg;
	bool closing;
};

static void on_close(uv_handle_t *handle)
{
	struct sim_hotplug *h = handle->data;
	sim_hotplug_closed_fn closed = h->closed;
	void *arg = h->arg;

	free(h);
	if (closed)
		closed(arg);
}

static void hp_close(struct sim_hotplug *h)
{
	if (h->closing)
		return;
	h->closing = true;
	uv_timer_stop(&h->timer);
	uv_close((uv_handle_t *)&h->timer, on_close);
}

static void on_timer(uv_timer_t *t)
{
	struct sim_hotplug *h = t->data;

	/* close first: done may cancel other handshakes or free its owner's state */
	hp_close(h);
	if (h->done)
		h->done(h->arg, h->result);
}

int sim_hotplug_start(uv_loop_t *loop, const struct sim_hotplug_host *host, uint32_t timeout_ms,
		      sim_hotplug_done_fn done, sim_hotplug_closed_fn closed, void *arg,
		      struct sim_hotplug **out)
{
	struct sim_hotplug *h;
	uint64_t delay;
	int rc;

	*out = NULL;
	if (!timeout_ms)
		timeout_ms = SIM_HOTPLUG_DEFAULT_TIMEOUT_MS;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	rc = uv_timer_init(loop, &h->timer);
	if (rc) {
		free(h);
		return rc;
	}
	h->timer.data = h;
	h->done = done;
	h->closed = closed;
	h->arg = arg;
	if (host->responds && host->response_ms <= timeout_ms) {
		h->result = SIM_HOTPLUG_RELEASED;
		delay = host->response_ms;
	} else {
		h->result = SIM_HOTPLUG_TIMEOUT;
		delay = timeout_ms;
	}
	h->due = uv_now(loop) + delay;
	rc = uv_timer_start(&h->timer, on_timer, delay, 0);
	if (rc) {
		/* closed must not run for a handshake that never started */
		h->closed = NULL;
		hp_close(h);
		return rc;
	}
	*out = h;
	return 0;
}

void sim_hotplug_cancel(struct sim_hotplug *h)
{
	if (!h)
		return;
	h->done = NULL;
	hp_close(h);
}

uint64_t sim_hotplug_due(const struct sim_hotplug *h)
{
	return h->due;
}
