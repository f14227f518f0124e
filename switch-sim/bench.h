/* bench: the simulator's bench socket — where a person or a test does physical things to
 * the chassis (insert/remove cards, press buttons, pull host cables, inject power faults,
 * reboot) — and the client side used by `switch-sim insert|remove|...`.
 *
 * Protocol (README.md "The bench"): one command per line. LF ends a command, always (a
 * CR before it is dropped); words are separated by spaces or tabs; any other control byte
 * (0x00-0x1f, 0x7f) in a line refuses the whole line, so no byte of an argument can end a
 * command or start another. The client refuses an argument that is empty or holds a space
 * or a control byte before sending anything. The answer is "ok N\n" followed by N bytes of
 * output (N may be 0), or "error MESSAGE\n" with MESSAGE escaped (common/text_escape.h):
 * one line whatever it quotes. Names in the output are escaped the same way. Commands
 * (SLOT: number, card name or slotN; PORT: number or host port name):
 *   insert SLOT PROFILE SERIAL [NAME]     remove SLOT [--surprise]      button SLOT
 *   link PORT up|down                     fault SLOT                    reboot
 *   host PORT respond [MS] | ignore       dump PORT (host view, lspci -xxxx text)
 *   status                                delay OPCODE MS (answers to OPCODE wait MS; 0 ends)
 *   traffic HOST FUNCTION GBPS            the load HOST offers through its binding of
 *                                         FUNCTION (CARD/pfN[/vfM]), plain decimal Gb/s
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

/* Runs one command line against the sim (the server side, exposed for tests): the line's
 * framing is checked as the socket's (a final LF or CRLF allowed, no other control byte).
 * *out is a malloc'd output (may be NULL when empty). 0 or -errno with err. */
int sim_bench_exec(struct sim *s, struct sim_mgmt *mgmt, const char *line, char **out,
		   size_t *outlen, char *err, size_t errlen);

/* Client: sends argv joined by spaces to the bench endpoint, writes the output to stdout
 * or the error to stderr (escaped where the simulator did not). Returns 0 ok, 1 the
 * simulator refused, 2 an argument that is not one printable word or a command too long
 * (nothing sent), 3 unreachable. */
int sim_bench_client(const struct endpoint *ep, int argc, char **argv);

#endif
