/* pcie_link: PCIe link capacity after encoding (pcie_link.h has the table). */
#include "pcie_link.h"

#include <fmp/fmp.h>

double pcie_link_lane_gt(uint8_t speed)
{
	switch (speed) {
	case FMP_SPEED_2_5GT: return 2.5;
	case FMP_SPEED_5GT: return 5.0;
	case FMP_SPEED_8GT: return 8.0;
	case FMP_SPEED_16GT: return 16.0;
	case FMP_SPEED_32GT: return 32.0;
	case FMP_SPEED_64GT: return 64.0;
	default: return 0.0;
	}
}

const char *pcie_link_encoding(uint8_t speed)
{
	if (pcie_link_lane_gt(speed) == 0.0)
		return NULL;
	return speed <= FMP_SPEED_5GT ? "8b/10b" : "128b/130b";
}

double pcie_link_gbps(uint8_t width, uint8_t speed)
{
	double gt = pcie_link_lane_gt(speed);

	if (gt == 0.0)
		return 0.0;
	/* Multiply before dividing so x8 Gen3 is exactly 512 * 128 / 130 in doubles. */
	if (speed <= FMP_SPEED_5GT)
		return (double)width * gt * 8.0 / 10.0;
	return (double)width * gt * 128.0 / 130.0;
}
