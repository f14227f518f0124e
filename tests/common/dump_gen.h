/* dump_gen: synthetic multi-function `lspci -xxxx` dumps for the simulator's import tests:
 * several PFs of one device, each with its own SR-IOV parameters and MSI-X table size, a
 * capability chain that is not in ascending order, and a vendor-specific capability whose
 * payload must come through byte for byte. */
#ifndef DUMP_GEN_H
#define DUMP_GEN_H

#include <stddef.h>
#include <stdint.h>

/* Where the generator puts things (standard list 0x80 -> 0x40 -> 0x60; extended chain
 * 0x100 -> 0x200 -> 0x140 -> 0x180). */
#define DG_EXP 0x80
#define DG_MSIX 0x40
#define DG_PM 0x60
#define DG_ARI 0x100
#define DG_SRIOV 0x200
#define DG_VSEC 0x140
#define DG_DSN 0x180
#define DG_VSEC_PAYLOAD 0x0c /* payload starts after the VSEC header (PCIe r5.0 §7.9.5) */

struct dump_gen_pf {
	uint16_t device;
	uint16_t total_vfs;  /* 0: no SR-IOV capability */
	uint16_t vf_offset, vf_stride, vf_device;
	uint16_t msix_vectors;
	uint8_t vsec_len;    /* payload bytes, 4..0x40, a multiple of 4 */
	uint8_t seed;        /* of the payload pattern */
};

/* Config space of PF i of the n PFs (4096 bytes), as a card would have it while in use:
 * Command and MSI-X enabled, VF Enable set with NumVFs = TotalVFs, error status bits set,
 * Device Status AuxPwr Detected, ARI ACS Function Groups Capability, ARI Next Function
 * Number chaining the PFs, Function Dependency Link = own number. */
void dump_gen_pf(const struct dump_gen_pf *pfs, unsigned n, unsigned i, uint8_t *cfg);
/* The vendor-specific payload byte k of PF i. */
uint8_t dump_gen_vsec_byte(const struct dump_gen_pf *pf, unsigned k);
/* Writes the n PFs as functions 0..n-1 of device dev on bus bus (domain < 0: none) to
 * path, appending when append is set. 0 or -errno. */
int dump_gen_write(const char *path, int append, int domain, unsigned bus, unsigned dev,
		   const struct dump_gen_pf *pfs, unsigned n);

#endif
