/* bench: the simulator's bench socket — where a person or a test does physical things to
 * the chassis (insert/remove cards, press buttons, pull host cables, inject power faults,
 * reboot) — and the client side used by `switch-sim insert|remove|...`.
 *
 * Protocol: one command per line; the answer is "ok N\n" followed by N bytes of output
 * (N may be 0), or "error MESSAGE\n". Commands (SLOT: number, card name or slotN; PORT:
 * number or host port name):
 *   insert SLOT PROFILE SERIAL [NAME]     remove SLOT [--surprise]      button SLOT
 *   link PORT up|down                     fault SLOT                    reboot
 *   host PORT respond [MS] | ignore       dump PORT (host view, lspci -xxxx text)
 *   status                                delay OPCODE MS (answers to OPCODE wait MS; 0 ends)
 */
#ifndef SIM_BENCH_H
#define SIM_BENCH_H

#include <uv.h>

#include "endpoint.h"
#include "sim.h"

struct sim_bench;
struct sim_mgmt;

int sim_bench_new(uv_loop_t *loop, struct sim *s, struct sim_mgmt *mgmt,
		  const struct endpoint *ep, struct sim_bench **out, char *err, size_t errlen);
void sim_bench_free(struct sim_bench *b); /* run the loop after to release handles */

/* Runs one command line against the sim (the server side, exposed for tests). *out is a
 * malloc'd output (may be NULL when empty). 0 or -errno with err. */
int sim_bench_exec(struct sim *s, struct sim_mgmt *mgmt, const char *line, char **out,
		   size_t *outlen, char *err, size_t errlen);

/* Client: sends argv joined by spaces to the bench endpoint, writes the output to stdout
 * or the error to stderr. Returns 0 ok, 1 the simulator refused, 2 command too long,
 * 3 unreachable. */
int sim_bench_client(const struct endpoint *ep, int argc, char **argv);

#endif
