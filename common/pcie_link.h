/* pcie_link: the data rate a PCIe link carries after line encoding, in Gb/s — the
 * arithmetic both the switch simulator's traffic model and the manager's QoS admission
 * control use, so that both sides agree on every link's capacity to the last bit. */
#ifndef FABRIC_PCIE_LINK_H
#define FABRIC_PCIE_LINK_H

#include <stdint.h>

/*
 * Capacity = width (lanes) x per-lane rate after encoding, one direction:
 *   gen  speed (enum fmp_link_speed)  raw GT/s  encoding            Gb/s per lane
 *   1    FMP_SPEED_2_5GT (1)            2.5     8b/10b  (x 8/10)    2.0
 *   2    FMP_SPEED_5GT   (2)            5       8b/10b  (x 8/10)    4.0
 *   3    FMP_SPEED_8GT   (3)            8       128b/130b           7.876923...
 *   4    FMP_SPEED_16GT  (4)           16       128b/130b          15.753846...
 *   5    FMP_SPEED_32GT  (5)           32       128b/130b          31.507692...
 *   6    FMP_SPEED_64GT  (6)           64       128b/130b (*)      63.015384...
 * (PCIe r5.0 §4.2.2 8b/10b for 2.5 and 5 GT/s, §4.2.2.1 128b/130b from 8 GT/s.)
 * (*) 64 GT/s really runs PAM4 in Flit Mode (PCIe r6.0 §4.2.3, 1b/1b with a 256-byte flit
 * of which 236 B are TLP bytes); the project counts it like 128b/130b so that the rule is
 * one line ("128b/130b from 8 GT/s", issue 14) and doubling the rate doubles the capacity.
 * Examples: x8 Gen3 = 8 x 8 x 128/130 = 63.015384... Gb/s; x16 Gen4 = 252.061538... Gb/s;
 * x4 Gen2 = 4 x 5 x 8/10 = 16 Gb/s; x1 Gen1 = 2 Gb/s.
 * DLLP/TLP header overheads are not counted: a floor is promised of the encoded rate.
 */

/* Raw rate of one lane in GT/s for an enum fmp_link_speed, 0 for an unknown speed. */
double pcie_link_lane_gt(uint8_t speed);
/* Gb/s after encoding of a width x speed link; 0 for an unknown speed or width 0. */
double pcie_link_gbps(uint8_t width, uint8_t speed);
/* "8b/10b" or "128b/130b" (NULL for an unknown speed), for messages. */
const char *pcie_link_encoding(uint8_t speed);

#endif
