/* mgmt: the chassis's management endpoint — an FMP server (unix or loopback TCP) for any
 * number of manager connections: HELLO first, pipelined tagged requests, managed unbinds
 * answered when the host is done, SUBSCRIBE and EVENT push, deterministic fault injection. */
#ifndef SIM_MGMT_H
#define SIM_MGMT_H

#include <fmp/fmp.h>
#include <uv.h>

#include "endpoint.h"
#include "fault.h"
#include "sim.h"

struct sim_mgmt;

#define SIM_FIRMWARE "switch-sim " SIM_VERSION
#define SIM_VERSION "0.1.0"

int sim_mgmt_new(uv_loop_t *loop, struct sim *s, const struct endpoint *ep,
		 const struct sim_fault_cfg *fault, struct sim_mgmt **out, char *err, size_t errlen);
/* Closes the listener and every connection; frees once libuv is done (run the loop). */
void sim_mgmt_free(struct sim_mgmt *m);

/* Pushes an event to every connection subscribed to its type (the sim's ops->event). */
void sim_mgmt_event(struct sim_mgmt *m, const struct fmp_event *ev);
/* After a switch reboot: every manager connection is dropped, as a real reset drops the
 * management link; managers reconnect and see a new boot_id. */
void sim_mgmt_drop_all(struct sim_mgmt *m);

unsigned sim_mgmt_connections(const struct sim_mgmt *m);
const struct sim_fault *sim_mgmt_fault(const struct sim_mgmt *m);

/* Answers to requests of opcode wait at least ms (0: not any more), on top of the fault
 * injector's delay: a bench knob that widens one race on purpose. -EINVAL for an opcode
 * out of range. */
#define SIM_MGMT_OPCODES 0x70
int sim_mgmt_set_op_delay(struct sim_mgmt *m, uint16_t opcode, uint32_t ms);

#endif
