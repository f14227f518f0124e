/* dump_gen: synthetic multi-function lspci dumps (see dump_gen.h). */
#include "dump_gen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <pci/header.h>

#include "lspci_text.h"

static void put16(uint8_t *b, unsigned off, uint16_t v)
{
	b[off] = (uint8_t)v;
	b[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, unsigned off, uint32_t v)
{
	put16(b, off, (uint16_t)v);
	put16(b, off + 2, (uint16_t)(v >> 16));
}

/* Extended Capability Header (PCIe r5.0 §7.6.3): ID, version, next. */
static void ecap(uint8_t *b, unsigned off, uint16_t id, unsigned ver, unsigned next)
{
	put32(b, off, (uint32_t)id | (uint32_t)ver << 16 | (uint32_t)next << 20);
}

uint8_t dump_gen_vsec_byte(const struct dump_gen_pf *pf, unsigned k)
{
	return (uint8_t)(pf->seed * 37u + k * 11u + 0x5a);
}

void dump_gen_pf(const struct dump_gen_pf *pfs, unsigned n, unsigned i, uint8_t *cfg)
{
	const struct dump_gen_pf *pf = &pfs[i];
	unsigned k;

	memset(cfg, 0, 4096);
	put16(cfg, PCI_VENDOR_ID, 0x8086);
	put16(cfg, PCI_DEVICE_ID, pf->device);
	put16(cfg, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	put16(cfg, PCI_STATUS, PCI_STATUS_CAP_LIST | PCI_STATUS_REC_MASTER_ABORT);
	cfg[PCI_REVISION_ID] = 0x02;
	put16(cfg, PCI_CLASS_DEVICE, 0x0200);
	cfg[PCI_HEADER_TYPE] = PCI_HEADER_TYPE_NORMAL | (n > 1 ? 0x80 : 0);
	put32(cfg, PCI_BASE_ADDRESS_0, (0xd0000000u + i * 0x100000u) | PCI_BASE_ADDRESS_MEM_TYPE_64 |
					       PCI_BASE_ADDRESS_MEM_PREFETCH);
	put16(cfg, PCI_SUBSYSTEM_VENDOR_ID, 0x8086);
	put16(cfg, PCI_SUBSYSTEM_ID, 0x0002);
	cfg[PCI_INTERRUPT_LINE] = 11;
	cfg[PCI_INTERRUPT_PIN] = 1;
	/* standard list out of address order: PCIe (0x80) -> MSI-X (0x40) -> PM (0x60) */
	cfg[PCI_CAPABILITY_LIST] = DG_EXP;
	cfg[DG_EXP] = PCI_CAP_ID_EXP;
	cfg[DG_EXP + 1] = DG_MSIX;
	put16(cfg, DG_EXP + PCI_EXP_FLAGS, 2 | PCI_EXP_TYPE_ENDPOINT << 4);
	put32(cfg, DG_EXP + PCI_EXP_DEVCAP, 0x10008001u | PCI_EXP_DEVCAP_FLRESET);
	put16(cfg, DG_EXP + PCI_EXP_DEVCTL, 0x2810);
	put16(cfg, DG_EXP + PCI_EXP_DEVSTA, PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_AUXPD);
	put32(cfg, DG_EXP + PCI_EXP_LNKCAP, 0x0047c483u); /* 8 GT/s x8 */
	put16(cfg, DG_EXP + PCI_EXP_LNKSTA, 0x1083);
	put32(cfg, DG_EXP + PCI_EXP_DEVCAP2, 0x0000001fu);
	put32(cfg, DG_EXP + PCI_EXP_LNKCAP2, 0x0000000eu);
	cfg[DG_MSIX] = PCI_CAP_ID_MSIX;
	cfg[DG_MSIX + 1] = DG_PM;
	put16(cfg, DG_MSIX + PCI_CAP_FLAGS, (uint16_t)(PCI_MSIX_ENABLE | (pf->msix_vectors - 1)));
	put32(cfg, DG_MSIX + PCI_MSIX_TABLE, 0x2000);
	put32(cfg, DG_MSIX + PCI_MSIX_PBA, 0x3000);
	cfg[DG_PM] = PCI_CAP_ID_PM;
	cfg[DG_PM + 1] = 0;
	put16(cfg, DG_PM + PCI_CAP_FLAGS, 0xc823);
	put16(cfg, DG_PM + PCI_PM_CTRL, 0x0008);
	/* extended chain out of address order: ARI -> SR-IOV -> VSEC -> DSN */
	ecap(cfg, DG_ARI, PCI_EXT_CAP_ID_ARI, 1, pf->total_vfs ? DG_SRIOV : DG_VSEC);
	put16(cfg, DG_ARI + PCI_ARI_CAP, (uint16_t)(PCI_ARI_CAP_ACS | (i + 1 < n ? i + 1 : 0) << 8));
	if (pf->total_vfs) {
		unsigned s = DG_SRIOV;

		ecap(cfg, s, PCI_EXT_CAP_ID_SRIOV, 1, DG_VSEC);
		put16(cfg, s + PCI_IOV_CTRL, PCI_IOV_CTRL_VFE | PCI_IOV_CTRL_MSE);
		put16(cfg, s + PCI_IOV_INITIALVF, pf->total_vfs);
		put16(cfg, s + PCI_IOV_TOTALVF, pf->total_vfs);
		put16(cfg, s + PCI_IOV_NUMVF, pf->total_vfs);
		cfg[s + PCI_IOV_FDL] = (uint8_t)i;
		put16(cfg, s + PCI_IOV_OFFSET, pf->vf_offset);
		put16(cfg, s + PCI_IOV_STRIDE, pf->vf_stride);
		put16(cfg, s + PCI_IOV_DID, pf->vf_device);
		put32(cfg, s + PCI_IOV_SUPPS, 0x553);
		put32(cfg, s + PCI_IOV_SYSPS, 1);
		put32(cfg, s + PCI_IOV_BAR_BASE, (0xe0000000u + i * 0x1000000u) |
							 PCI_BASE_ADDRESS_MEM_TYPE_64 |
							 PCI_BASE_ADDRESS_MEM_PREFETCH);
	}
	/* Vendor-Specific Extended Capability (§7.9.5): VSEC ID, revision, length */
	ecap(cfg, DG_VSEC, PCI_EXT_CAP_ID_VNDR, 1, DG_DSN);
	put32(cfg, DG_VSEC + 4, (uint32_t)(0x00a0 + i) | 1u << 16 |
					(uint32_t)(DG_VSEC_PAYLOAD + pf->vsec_len) << 20);
	for (k = 0; k < pf->vsec_len; k++)
		cfg[DG_VSEC + DG_VSEC_PAYLOAD + k] = dump_gen_vsec_byte(pf, k);
	ecap(cfg, DG_DSN, PCI_EXT_CAP_ID_DSN, 1, 0);
	put32(cfg, DG_DSN + 4, 0xff2b46e0u);
	put32(cfg, DG_DSN + 8, 0x001b21ffu);
}

int dump_gen_write(const char *path, int append, int domain, unsigned bus, unsigned dev,
		   const struct dump_gen_pf *pfs, unsigned n)
{
	uint8_t cfg[4096];
	FILE *f = fopen(path, append ? "a" : "w");
	unsigned i;
	int rc = 0;

	if (!f)
		return -errno;
	for (i = 0; i < n && !rc; i++) {
		dump_gen_pf(pfs, n, i, cfg);
		rc = lspci_text_write(f, domain, bus, dev, i, "Ethernet controller: synthetic",
				      cfg, sizeof(cfg));
	}
	if (fclose(f) && !rc)
		rc = -EIO;
	return rc;
}
