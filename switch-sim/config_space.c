/* Config space of simulated functions: register images plus per-bit write masks (RW and
 * RW1C), and the builders for card PFs/VFs and virtual switch ports.
 * Spec references are to PCI Express Base Specification r5.0 unless noted. */
#include "config_space.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pci/pci.h>

#include "errbuf.h"
#include "profile.h"

/* PM Capabilities register (PCI PM r1.2 §3.2.3): at PCI_CAP_FLAGS; version 3 = PM 1.2. */
#define SIM_PM_PMC PCI_CAP_FLAGS
#define SIM_PM_VERSION 3
/* MR-IOV capability body. The MR-IOV 1.0 register layout is not public (PCIE-NOTES E.1);
 * this simulator-defined body holds only facts the simulation owns:
 *   +0x04 (8 bits) number of PFs that MR-PCIM can assign to Virtual Hierarchies
 *   +0x05..0x0f reserved, 0. lspci prints the capability as "<?>". */
#define SIM_MRIOV_NUM_PFS 0x04

/* Places v in the bits of a pci/header.h field mask. */
#define FIELD(mask, v) (((uint32_t)(v) * ((uint32_t)(mask) & -(uint32_t)(mask))) & (uint32_t)(mask))
#define FIELD_MAX(mask) ((uint32_t)(mask) / ((uint32_t)(mask) & -(uint32_t)(mask)))
#define HDR_MULTI_FUNCTION 0x80 /* Header Type bit 7 (§7.5.1.1.9) */
#define HDR_LAYOUT 0x7f
#define BAR_MEM_FLAGS ((uint32_t)~PCI_BASE_ADDRESS_MEM_MASK) /* BAR bits 3:0 (§7.5.1.2.1) */
#define BAR_IO_FLAGS ((uint32_t)~PCI_BASE_ADDRESS_IO_MASK)   /* BAR bits 1:0 */
#define ROM_ADDR_MASK ((uint32_t)PCI_ROM_ADDRESS_MASK)
/* Extended Capability Header (§7.6.3) and ARI Next Function Number (§7.8.8.2) */
#define ECAP_ID 0x0000ffffu
#define ECAP_VER 0x000f0000u
#define ECAP_NEXT 0xfff00000u
#define ECAP_NEXT_OFF(hdr) ((((hdr) & ECAP_NEXT) >> 20) & 0xffcu)
#define ARI_CAP_NFN 0xff00u

struct sim_cfg {
	uint8_t kind; /* enum sim_cfg_kind */
	uint8_t data[SIM_CFG_SIZE];
	uint8_t wmask[SIM_CFG_SIZE]; /* bits a write stores */
	uint8_t w1c[SIM_CFG_SIZE];   /* bits a write of 1 clears */
	/* capability offsets, 0 = absent */
	uint16_t exp, sriov, ari;
	/* SR-IOV: offset/stride per ARI Capable Hierarchy (§9.3.3.3.5), VF BAR sizes */
	uint16_t iov_offset[2], iov_stride[2];
	uint64_t vf_bar_size[SIM_NUM_BARS];
	bool ari_hier_writable; /* only in the lowest-numbered PF (§9.3.3.3.5) */
	bool flr;               /* Function Level Reset capable */
};

/* ---- byte helpers ---------------------------------------------------------------------- */

static void put8(uint8_t *b, unsigned off, uint8_t v)
{
	b[off] = v;
}

static void put16(uint8_t *b, unsigned off, uint16_t v)
{
	b[off] = (uint8_t)v;
	b[off + 1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *b, unsigned off, uint32_t v)
{
	b[off] = (uint8_t)v;
	b[off + 1] = (uint8_t)(v >> 8);
	b[off + 2] = (uint8_t)(v >> 16);
	b[off + 3] = (uint8_t)(v >> 24);
}

static uint16_t get16(const uint8_t *b, unsigned off)
{
	return (uint16_t)(b[off] | b[off + 1] << 8);
}

static uint32_t get32(const uint8_t *b, unsigned off)
{
	return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 |
	       (uint32_t)b[off + 3] << 24;
}

/* ---- lifetime and access --------------------------------------------------------------- */

static struct sim_cfg *cfg_alloc(enum sim_cfg_kind kind)
{
	struct sim_cfg *c = calloc(1, sizeof(*c));

	if (c)
		c->kind = (uint8_t)kind;
	return c;
}

struct sim_cfg *sim_cfg_new_raw(const uint8_t *bytes, size_t len)
{
	struct sim_cfg *c = cfg_alloc(SIM_CFG_RAW);

	if (!c)
		return NULL;
	if (len > SIM_CFG_SIZE)
		len = SIM_CFG_SIZE;
	if (bytes)
		memcpy(c->data, bytes, len);
	return c;
}

struct sim_cfg *sim_cfg_dup(const struct sim_cfg *cfg)
{
	struct sim_cfg *c = malloc(sizeof(*c));

	if (c)
		memcpy(c, cfg, sizeof(*c));
	return c;
}

void sim_cfg_free(struct sim_cfg *cfg)
{
	free(cfg);
}

enum sim_cfg_kind sim_cfg_kind(const struct sim_cfg *cfg)
{
	return (enum sim_cfg_kind)cfg->kind;
}

const uint8_t *sim_cfg_data(const struct sim_cfg *cfg)
{
	return cfg->data;
}

uint8_t sim_cfg_read8(const struct sim_cfg *cfg, unsigned off)
{
	return off < SIM_CFG_SIZE ? cfg->data[off] : 0xff;
}

uint16_t sim_cfg_read16(const struct sim_cfg *cfg, unsigned off)
{
	return off + 2 <= SIM_CFG_SIZE ? get16(cfg->data, off) : 0xffff;
}

uint32_t sim_cfg_read32(const struct sim_cfg *cfg, unsigned off)
{
	return off + 4 <= SIM_CFG_SIZE ? get32(cfg->data, off) : 0xffffffffu;
}

void sim_cfg_set8(struct sim_cfg *cfg, unsigned off, uint8_t v)
{
	if (off < SIM_CFG_SIZE)
		put8(cfg->data, off, v);
}

void sim_cfg_set16(struct sim_cfg *cfg, unsigned off, uint16_t v)
{
	if (off + 2 <= SIM_CFG_SIZE)
		put16(cfg->data, off, v);
}

void sim_cfg_set32(struct sim_cfg *cfg, unsigned off, uint32_t v)
{
	if (off + 4 <= SIM_CFG_SIZE)
		put32(cfg->data, off, v);
}

uint32_t sim_cfg_writable_mask(const struct sim_cfg *cfg, unsigned off, unsigned size)
{
	uint32_t m = 0;
	unsigned i;

	for (i = 0; i < size && off + i < SIM_CFG_SIZE; i++)
		m |= (uint32_t)(cfg->wmask[off + i] | cfg->w1c[off + i]) << (8 * i);
	return m;
}

/* Mask setters: RW bits and RW1C bits of a register. */
static void rw16(struct sim_cfg *c, unsigned off, uint16_t m)
{
	put16(c->wmask, off, m);
}

static void rw32(struct sim_cfg *c, unsigned off, uint32_t m)
{
	put32(c->wmask, off, m);
}

static void w1c16(struct sim_cfg *c, unsigned off, uint16_t m)
{
	put16(c->w1c, off, m);
}

static void w1c32(struct sim_cfg *c, unsigned off, uint32_t m)
{
	put32(c->w1c, off, m);
}

/* ---- capability walkers ---------------------------------------------------------------- */

unsigned sim_cfg_bytes_find_cap(const uint8_t *cfg, size_t len, uint8_t id)
{
	unsigned ptr, ttl = 48; /* (256 - 64) / 4 entries at most */

	if (len < 64 || !(get16(cfg, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	ptr = cfg[(cfg[PCI_HEADER_TYPE] & HDR_LAYOUT) == PCI_HEADER_TYPE_CARDBUS ?
			  PCI_CB_CAPABILITY_LIST : PCI_CAPABILITY_LIST] & 0xfc;
	while (ptr >= 0x40 && ptr + 2 <= len && ptr < 0x100 && ttl--) {
		if (cfg[ptr + PCI_CAP_LIST_ID] == id)
			return ptr;
		ptr = cfg[ptr + PCI_CAP_LIST_NEXT] & 0xfc;
	}
	return 0;
}

/* Steps through the extended capability chain of a 4 KiB image (§7.6.3): the first
 * capability when prev is 0, else the one after prev; 0 at the end. *ttl (start it at
 * ECAP_TTL) bounds the walk against loops. */
#define ECAP_TTL ((SIM_CFG_SIZE - 0x100) / 4)
static unsigned ecap_step(const uint8_t *d, unsigned prev, unsigned *ttl)
{
	unsigned off = prev ? ECAP_NEXT_OFF(get32(d, prev)) : 0x100;
	uint32_t hdr;

	if (off < 0x100 || off + 4 > SIM_CFG_SIZE || !*ttl)
		return 0;
	(*ttl)--;
	hdr = get32(d, off);
	return !hdr || hdr == 0xffffffffu ? 0 : off;
}

unsigned sim_cfg_bytes_find_ext_cap(const uint8_t *cfg, size_t len, uint16_t id)
{
	unsigned off = 0x100, ttl = (SIM_CFG_SIZE - 0x100) / 4;

	while (off >= 0x100 && off + 4 <= len && ttl--) {
		uint32_t hdr = get32(cfg, off);

		if (!hdr || hdr == 0xffffffffu)
			return 0;
		if ((hdr & ECAP_ID) == id)
			return off;
		off = ECAP_NEXT_OFF(hdr);
	}
	return 0;
}

unsigned sim_cfg_find_cap(const struct sim_cfg *cfg, uint8_t id)
{
	return sim_cfg_bytes_find_cap(cfg->data, SIM_CFG_SIZE, id);
}

unsigned sim_cfg_find_ext_cap(const struct sim_cfg *cfg, uint16_t id)
{
	return sim_cfg_bytes_find_ext_cap(cfg->data, SIM_CFG_SIZE, id);
}

/* ---- register blocks ---------------------------------------------------------------------- */

static void cap_hdr(struct sim_cfg *c, unsigned off, uint8_t id, unsigned next)
{
	put8(c->data, off + PCI_CAP_LIST_ID, id);
	put8(c->data, off + PCI_CAP_LIST_NEXT, (uint8_t)next);
}

static void ecap_hdr(struct sim_cfg *c, unsigned off, uint16_t id, unsigned ver, unsigned next)
{
	put32(c->data, off, FIELD(ECAP_ID, id) | FIELD(ECAP_VER, ver) | FIELD(ECAP_NEXT, next));
}

static void ecap_set_next(struct sim_cfg *c, unsigned off, unsigned next)
{
	put32(c->data, off, (get32(c->data, off) & ~ECAP_NEXT) | FIELD(ECAP_NEXT, next));
}

#define STATUS_W1C                                                                          \
	(PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | PCI_STATUS_REC_TARGET_ABORT |     \
	 PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY)

/* BAR register(s) at off (§7.5.1.2.1): type bits in data, address bits writable so a
 * sizing write of all-ones reads back ~(size - 1). size 0: leave the register alone. */
static void bar_masks(struct sim_cfg *c, unsigned off, const struct sim_bar *b, bool set_type)
{
	uint64_t addr_mask;

	if (b->type == SIM_BAR_NONE || !b->size)
		return;
	addr_mask = ~(b->size - 1);
	if (set_type) {
		uint32_t t = 0;

		if (b->type == SIM_BAR_IO)
			t = PCI_BASE_ADDRESS_SPACE_IO;
		else if (b->type == SIM_BAR_MEM64)
			t = PCI_BASE_ADDRESS_MEM_TYPE_64;
		if (b->prefetch && b->type != SIM_BAR_IO)
			t |= PCI_BASE_ADDRESS_MEM_PREFETCH;
		put32(c->data, off, t);
		if (b->type == SIM_BAR_MEM64)
			put32(c->data, off + 4, 0);
	} else {
		/* a captured BAR: keep the type bits, clear the address the card had */
		put32(c->data, off, get32(c->data, off) &
					    (b->type == SIM_BAR_IO ? BAR_IO_FLAGS : BAR_MEM_FLAGS));
		if (b->type == SIM_BAR_MEM64)
			put32(c->data, off + 4, 0);
	}
	if (b->type == SIM_BAR_IO)
		rw32(c, off, (uint32_t)addr_mask & ~BAR_IO_FLAGS);
	else
		rw32(c, off, (uint32_t)addr_mask & ~BAR_MEM_FLAGS);
	if (b->type == SIM_BAR_MEM64)
		rw32(c, off + 4, (uint32_t)(addr_mask >> 32));
}

/* Command/Status/Cache Line/Interrupt Line (§7.5.1.1). I/O Space Enable is added by
 * the callers that have an I/O BAR. */
static void type0_masks(struct sim_cfg *c, bool vf)
{
	uint16_t cmd = PCI_COMMAND_MASTER | PCI_COMMAND_PARITY | PCI_COMMAND_SERR;

	/* VFs: Memory/IO Space Enable and INTx Disable are RsvdP (§9.3.4.1.3) */
	if (!vf)
		cmd |= PCI_COMMAND_MEMORY | PCI_COMMAND_DISABLE_INTx;
	rw16(c, PCI_COMMAND, cmd);
	w1c16(c, PCI_STATUS, STATUS_W1C);
	put8(c->wmask, PCI_CACHE_LINE_SIZE, 0xff);
	if (!vf)
		put8(c->wmask, PCI_INTERRUPT_LINE, 0xff);
}

/* PCI Power Management (PCI PM r1.2 §3.2). */
static void pm_block(struct sim_cfg *c, unsigned off, bool build)
{
	if (build) {
		put16(c->data, off + SIM_PM_PMC,
		      SIM_PM_VERSION | PCI_PM_CAP_PME_D0 | PCI_PM_CAP_PME_D3_HOT);
		put16(c->data, off + PCI_PM_CTRL, PCI_PM_CTRL_NO_SOFT_RST);
	} else {
		put16(c->data, off + PCI_PM_CTRL,
		      get16(c->data, off + PCI_PM_CTRL) &
			      (uint16_t)~(PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_STATUS |
					  PCI_PM_CTRL_PME_ENABLE));
	}
	rw16(c, off + PCI_PM_CTRL, PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_ENABLE);
	w1c16(c, off + PCI_PM_CTRL, PCI_PM_CTRL_PME_STATUS);
}

/* MSI-X (§7.7.2): table at offset 0 of the BAR, PBA after it. */
uint64_t sim_msix_pba_offset(uint32_t table_offset, uint16_t vectors, uint64_t bar_size)
{
	uint64_t table = table_offset + (uint64_t)vectors * 16;
	uint64_t pba = (table + 4095) & ~(uint64_t)4095;

	if (pba + ((vectors + 63u) / 64u) * 8u <= bar_size)
		return pba;
	return (table + 7) & ~(uint64_t)7;
}

static void msix_block(struct sim_cfg *c, unsigned off, uint16_t vectors, uint8_t bir,
		       uint32_t table_offset, uint64_t bar_size, bool build)
{
	if (build) {
		put16(c->data, off + PCI_CAP_FLAGS, (uint16_t)((vectors - 1) & PCI_MSIX_TABSIZE));
		put32(c->data, off + PCI_MSIX_TABLE, table_offset | bir);
		put32(c->data, off + PCI_MSIX_PBA,
		      (uint32_t)sim_msix_pba_offset(table_offset, vectors, bar_size) | bir);
	} else {
		put16(c->data, off + PCI_CAP_FLAGS,
		      get16(c->data, off + PCI_CAP_FLAGS) &
			      (uint16_t)~(PCI_MSIX_ENABLE | PCI_MSIX_MASK));
	}
	rw16(c, off + PCI_CAP_FLAGS, PCI_MSIX_ENABLE | PCI_MSIX_MASK);
}

/* MSI (§7.7.1), 64-bit address, no per-vector masking. */
static void msi_block(struct sim_cfg *c, unsigned off, bool build)
{
	uint16_t flags;

	if (build)
		put16(c->data, off + PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT); /* 1 vector */
	flags = get16(c->data, off + PCI_MSI_FLAGS);
	put16(c->data, off + PCI_MSI_FLAGS,
	      flags & (uint16_t)~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE));
	rw16(c, off + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	rw32(c, off + PCI_MSI_ADDRESS_LO, 0xfffffffcu);
	if (flags & PCI_MSI_FLAGS_64BIT) {
		rw32(c, off + PCI_MSI_ADDRESS_HI, 0xffffffffu);
		rw16(c, off + PCI_MSI_DATA_64, 0xffff);
		if (flags & PCI_MSI_FLAGS_MASK_BIT)
			rw32(c, off + PCI_MSI_MASK_BIT_64, 0xffffffffu);
	} else {
		rw16(c, off + PCI_MSI_DATA_32, 0xffff);
		if (flags & PCI_MSI_FLAGS_MASK_BIT)
			rw32(c, off + PCI_MSI_MASK_BIT_32, 0xffffffffu);
	}
}

/* Supported Link Speeds Vector (§7.5.3.18): every speed up to max. */
static uint32_t speeds_vector(uint8_t speed)
{
	return ((1u << speed) - 1u) << 1;
}

/* PCI Express Capability (§7.5.3): masks for any port type; build writes the values. */
static void exp_masks(struct sim_cfg *c, unsigned off, unsigned type, bool vf)
{
	uint16_t devctl = PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE | PCI_EXP_DEVCTL_FERE |
			  PCI_EXP_DEVCTL_URRE | PCI_EXP_DEVCTL_RELAXED | PCI_EXP_DEVCTL_PAYLOAD |
			  PCI_EXP_DEVCTL_EXT_TAG | PCI_EXP_DEVCTL_NOSNOOP | PCI_EXP_DEVCTL_READRQ;
	uint16_t lnkctl = PCI_EXP_LNKCTL_ASPM | PCI_EXP_LNKCTL_CLOCK | PCI_EXP_LNKCTL_XSYNCH;
	uint16_t devctl2 = PCI_EXP_DEVCTL2_TIMEOUT_VALUE(0xf) | PCI_EXP_DEVCTL2_TIMEOUT_DIS;

	if (vf) {
		/* VF Device Control: all RsvdP but RO/No Snoop enables and FLR (§9.3.5.4). */
		devctl = PCI_EXP_DEVCTL_RELAXED | PCI_EXP_DEVCTL_NOSNOOP;
		lnkctl = 0;
		devctl2 = 0;
	}
	if (type == PCI_EXP_TYPE_ENDPOINT && !vf)
		lnkctl |= PCI_EXP_LNKCTL_RCB;
	if (type == PCI_EXP_TYPE_DOWNSTREAM || type == PCI_EXP_TYPE_ROOT_PORT) {
		lnkctl |= PCI_EXP_LNKCTL_DISABLE | PCI_EXP_LNKCTL_BWMIE | PCI_EXP_LNKCTL_AUTBWIE;
		devctl2 |= PCI_EXP_DEVCTL2_ARI;
		w1c16(c, off + PCI_EXP_LNKSTA, PCI_EXP_LNKSTA_BWMGMT | PCI_EXP_LNKSTA_AUTBW);
	}
	rw16(c, off + PCI_EXP_DEVCTL, devctl);
	w1c16(c, off + PCI_EXP_DEVSTA, PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED |
						PCI_EXP_DEVSTA_FED | PCI_EXP_DEVSTA_URD);
	rw16(c, off + PCI_EXP_LNKCTL, lnkctl);
	rw16(c, off + PCI_EXP_DEVCTL2, devctl2);
	if (!vf)
		rw16(c, off + PCI_EXP_LNKCTL2, PCI_EXP_LNKCTL2_SPEED(0xf));
	if (get16(c->data, off + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_SLOT) {
		/* Slot Control (§7.5.3.10) and Slot Status event bits (§7.5.3.11) */
		rw16(c, off + PCI_EXP_SLTCTL,
		     PCI_EXP_SLTCTL_ATNB | PCI_EXP_SLTCTL_PWRF | PCI_EXP_SLTCTL_MRLS |
			     PCI_EXP_SLTCTL_PRSD | PCI_EXP_SLTCTL_CMDC | PCI_EXP_SLTCTL_HPIE |
			     PCI_EXP_SLTCTL_ATNI | PCI_EXP_SLTCTL_PWRI | PCI_EXP_SLTCTL_PWRC |
			     PCI_EXP_SLTCTL_LLCHG);
		w1c16(c, off + PCI_EXP_SLTSTA,
		      PCI_EXP_SLTSTA_ATNB | PCI_EXP_SLTSTA_PWRF | PCI_EXP_SLTSTA_MRLS |
			      PCI_EXP_SLTSTA_PRSD | PCI_EXP_SLTSTA_CMDC | PCI_EXP_SLTSTA_LLCHG);
	}
	c->exp = (uint16_t)off;
	c->flr = type == PCI_EXP_TYPE_ENDPOINT &&
		 (get32(c->data, off + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLRESET);
}

static void exp_build(struct sim_cfg *c, unsigned off, unsigned type, uint8_t width,
		      uint8_t speed, uint8_t port, bool vf)
{
	uint32_t devcap = FIELD(PCI_EXP_DEVCAP_PAYLOAD, 1) /* 256 B */ | PCI_EXP_DEVCAP_EXT_TAG |
			  PCI_EXP_DEVCAP_RBE;
	uint32_t lnkcap = FIELD(PCI_EXP_LNKCAP_SPEED, speed) | FIELD(PCI_EXP_LNKCAP_WIDTH, width) |
			  FIELD(PCI_EXP_LNKCAP_PORT, port);
	uint16_t flags = (uint16_t)(FIELD(PCI_EXP_FLAGS_VERS, 2) | FIELD(PCI_EXP_FLAGS_TYPE, type));

	if (type == PCI_EXP_TYPE_ENDPOINT)
		devcap |= PCI_EXP_DEVCAP_FLRESET; /* VFs must support FLR (§9.2.1.3) */
	if (type == PCI_EXP_TYPE_DOWNSTREAM) {
		flags |= PCI_EXP_FLAGS_SLOT;
		lnkcap |= PCI_EXP_LNKCAP_DLLA | PCI_EXP_LNKCAP_SURPRISE | PCI_EXP_LNKCAP_LBNC;
	}
	put16(c->data, off + PCI_EXP_FLAGS, flags);
	put32(c->data, off + PCI_EXP_DEVCAP, devcap);
	/* reset values: MRRS 512 B, Relaxed Ordering and No Snoop enabled (§7.5.3.4) */
	put16(c->data, off + PCI_EXP_DEVCTL,
	      FIELD(PCI_EXP_DEVCTL_READRQ, 2) | PCI_EXP_DEVCTL_RELAXED | PCI_EXP_DEVCTL_NOSNOOP);
	put32(c->data, off + PCI_EXP_LNKCAP, lnkcap);
	if (type == PCI_EXP_TYPE_ENDPOINT)
		/* the card's own link trained at full width and speed, slot clock */
		put16(c->data, off + PCI_EXP_LNKSTA,
		      FIELD(PCI_EXP_LNKSTA_SPEED, speed) | FIELD(PCI_EXP_LNKSTA_WIDTH, width) |
			      PCI_EXP_LNKSTA_SL_CLK);
	put32(c->data, off + PCI_EXP_DEVCAP2,
	      PCI_EXP_DEVCAP2_TIMEOUT_RANGE(0xf) | PCI_EXP_DEVCAP2_TIMEOUT_DIS |
		      (type == PCI_EXP_TYPE_DOWNSTREAM ? PCI_EXP_DEVCAP2_ARI : 0));
	put32(c->data, off + PCI_EXP_LNKCAP2, speeds_vector(speed));
	if (!vf)
		put16(c->data, off + PCI_EXP_LNKCTL2, speed);
	exp_masks(c, off, type, vf);
}

/* Advanced Error Reporting (§7.8.4). VFs hardwire link-level errors to 0 (§9.3.7.8). */
static void aer_block(struct sim_cfg *c, unsigned off, bool vf, bool dsp, bool build)
{
	uint32_t unc = PCI_ERR_UNC_POISON_TLP | PCI_ERR_UNC_COMP_TIME | PCI_ERR_UNC_COMP_ABORT |
		       PCI_ERR_UNC_UNX_COMP | PCI_ERR_UNC_UNSUP | PCI_ERR_UNC_ACS_VIOL;
	uint32_t cor = PCI_ERR_COR_REP_ANFE;

	if (!vf) {
		unc |= PCI_ERR_UNC_DLP | PCI_ERR_UNC_FCP | PCI_ERR_UNC_RX_OVER |
		       PCI_ERR_UNC_MALF_TLP | PCI_ERR_UNC_ECRC;
		cor |= PCI_ERR_COR_RCVR | PCI_ERR_COR_BAD_TLP | PCI_ERR_COR_BAD_DLLP |
		       PCI_ERR_COR_REP_ROLL | PCI_ERR_COR_REP_TIMER;
	}
	if (dsp)
		unc |= PCI_ERR_UNC_SDES;
	if (build) {
		put32(c->data, off + PCI_ERR_UNCOR_SEVER,
		      (PCI_ERR_UNC_DLP | PCI_ERR_UNC_SDES | PCI_ERR_UNC_FCP | PCI_ERR_UNC_RX_OVER |
		       PCI_ERR_UNC_MALF_TLP) & unc);
		put32(c->data, off + PCI_ERR_COR_MASK, PCI_ERR_COR_REP_ANFE);
		if (!vf)
			put32(c->data, off + PCI_ERR_CAP,
			      PCI_ERR_CAP_ECRC_GENC | PCI_ERR_CAP_ECRC_CHKC);
	} else {
		put32(c->data, off + PCI_ERR_UNCOR_STATUS, 0);
		put32(c->data, off + PCI_ERR_COR_STATUS, 0);
	}
	w1c32(c, off + PCI_ERR_UNCOR_STATUS, unc);
	w1c32(c, off + PCI_ERR_COR_STATUS, cor);
	if (!vf) {
		/* VF mask/severity are RsvdP: the PF's apply */
		rw32(c, off + PCI_ERR_UNCOR_MASK, unc);
		rw32(c, off + PCI_ERR_UNCOR_SEVER, unc);
		rw32(c, off + PCI_ERR_COR_MASK, cor);
		rw32(c, off + PCI_ERR_CAP,
		     (get32(c->data, off + PCI_ERR_CAP) & PCI_ERR_CAP_ECRC_GENC ?
			      PCI_ERR_CAP_ECRC_GENE : 0) |
			     (get32(c->data, off + PCI_ERR_CAP) & PCI_ERR_CAP_ECRC_CHKC ?
				      PCI_ERR_CAP_ECRC_CHKE : 0));
	}
}

/* VF BAR masks depend on System Page Size: each VF BAR is aligned to it (§9.3.3.14). */
static void sriov_vf_bar_masks(struct sim_cfg *c)
{
	uint32_t sps = get32(c->data, c->sriov + PCI_IOV_SYSPS);
	uint64_t page = 4096;
	unsigned i;

	while (sps > 1) {
		sps >>= 1;
		page <<= 1;
	}
	for (i = 0; i < SIM_NUM_BARS; i++) {
		unsigned reg = c->sriov + PCI_IOV_BAR_BASE + 4 * i;
		uint32_t type = get32(c->data, reg) & BAR_MEM_FLAGS;
		uint64_t size = c->vf_bar_size[i], mask;

		if (!size)
			continue;
		if (size < page)
			size = page;
		mask = ~(size - 1);
		rw32(c, reg, (uint32_t)mask & ~BAR_MEM_FLAGS);
		/* address bits below the new alignment read 0 */
		put32(c->data, reg, get32(c->data, reg) & (((uint32_t)mask & ~BAR_MEM_FLAGS) | type));
		if ((type & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64 &&
		    i + 1 < SIM_NUM_BARS)
			rw32(c, reg + 4, (uint32_t)(mask >> 32));
	}
}

/* SR-IOV Extended Capability (§9.3.3): state after reset, masks. */
static void sriov_block(struct sim_cfg *c, unsigned off, const struct sim_sriov_params *s,
			unsigned pf, bool build)
{
	unsigned i;

	c->sriov = (uint16_t)off;
	c->iov_offset[0] = s->vf_offset;
	c->iov_stride[0] = s->vf_stride;
	c->iov_offset[1] = s->vf_offset_ari;
	c->iov_stride[1] = s->vf_stride_ari;
	c->ari_hier_writable = pf == 0;
	if (build) {
		put32(c->data, off + PCI_IOV_CAP, 0);
		put16(c->data, off + PCI_IOV_INITIALVF, s->initial_vfs);
		put16(c->data, off + PCI_IOV_TOTALVF, s->total_vfs);
		put16(c->data, off + PCI_IOV_DID, s->vf_device);
		put32(c->data, off + PCI_IOV_SUPPS, s->page_sizes);
	}
	put16(c->data, off + PCI_IOV_CTRL, 0);
	put16(c->data, off + PCI_IOV_STATUS, 0);
	put16(c->data, off + PCI_IOV_NUMVF, 0);
	put8(c->data, off + PCI_IOV_FDL, (uint8_t)pf); /* independent PF: own number */
	put16(c->data, off + PCI_IOV_OFFSET, s->vf_offset);
	put16(c->data, off + PCI_IOV_STRIDE, s->vf_stride);
	put32(c->data, off + PCI_IOV_SYSPS, 1); /* 4 KiB */
	for (i = 0; i < SIM_NUM_BARS; i++) {
		const struct sim_bar *b = &s->vf_bars[i];
		unsigned reg = off + PCI_IOV_BAR_BASE + 4 * i;

		c->vf_bar_size[i] = b->size;
		if (build) {
			uint32_t t = 0;

			if (b->type == SIM_BAR_NONE)
				continue;
			if (b->type == SIM_BAR_MEM64)
				t = PCI_BASE_ADDRESS_MEM_TYPE_64;
			if (b->prefetch)
				t |= PCI_BASE_ADDRESS_MEM_PREFETCH;
			put32(c->data, reg, t);
		} else if (b->size) {
			put32(c->data, reg, get32(c->data, reg) & BAR_MEM_FLAGS);
			if (b->type == SIM_BAR_MEM64)
				put32(c->data, reg + 4, 0);
		}
	}
	rw16(c, off + PCI_IOV_CTRL,
	     PCI_IOV_CTRL_VFE | PCI_IOV_CTRL_MSE | (pf == 0 ? PCI_IOV_CTRL_ARI : 0));
	rw16(c, off + PCI_IOV_NUMVF, 0xffff);
	rw32(c, off + PCI_IOV_SYSPS, get32(c->data, off + PCI_IOV_SUPPS));
	sriov_vf_bar_masks(c);
}

/* ARI (§7.8.8): Next Function Number chains the PFs, 0 ends the list. The other
 * capability bits (MFVC/ACS Function Groups Capability) are read-only and kept: a built
 * function has them 0, an imported one as captured. ARI Control is reset. */
static void ari_block(struct sim_cfg *c, unsigned off, unsigned next_fn)
{
	uint16_t cap = get16(c->data, off + PCI_ARI_CAP) & (uint16_t)~ARI_CAP_NFN;

	c->ari = (uint16_t)off;
	put16(c->data, off + PCI_ARI_CAP, (uint16_t)(cap | FIELD(ARI_CAP_NFN, next_fn)));
	put16(c->data, off + PCI_ARI_CTRL, 0);
}

static void dsn_block(struct sim_cfg *c, unsigned off, uint64_t dsn)
{
	put32(c->data, off + SIM_DSN_LOWER, (uint32_t)dsn);
	put32(c->data, off + SIM_DSN_UPPER, (uint32_t)(dsn >> 32));
}

/* ---- builders ------------------------------------------------------------------------------ */

static void type0_ids(struct sim_cfg *c, const struct sim_profile *p, uint16_t vendor,
		      uint16_t device, uint8_t hdr_type)
{
	put16(c->data, PCI_VENDOR_ID, vendor);
	put16(c->data, PCI_DEVICE_ID, device);
	put16(c->data, PCI_STATUS, PCI_STATUS_CAP_LIST);
	put8(c->data, PCI_REVISION_ID, p->revision);
	put8(c->data, PCI_CLASS_PROG, (uint8_t)p->class_code);
	put16(c->data, PCI_CLASS_DEVICE, (uint16_t)(p->class_code >> 8));
	put8(c->data, PCI_HEADER_TYPE, hdr_type);
	put16(c->data, PCI_SUBSYSTEM_VENDOR_ID, p->subsys_vendor);
	put16(c->data, PCI_SUBSYSTEM_ID, p->subsys_device);
}

static int pf_from_profile(struct sim_cfg *c, const struct sim_profile *p, unsigned pf,
			   uint64_t dsn)
{
	const struct sim_pf_profile *pp = &p->pf[pf];
	unsigned i, last;

	type0_ids(c, p, p->vendor, pp->device,
		  PCI_HEADER_TYPE_NORMAL | (p->n_pfs > 1 ? HDR_MULTI_FUNCTION : 0));
	for (i = 0; i < SIM_NUM_BARS; i++)
		bar_masks(c, PCI_BASE_ADDRESS_0 + 4 * i, &pp->bars[i], true);
	if (pp->rom_size)
		rw32(c, PCI_ROM_ADDRESS,
		     ((uint32_t)~(pp->rom_size - 1) & ROM_ADDR_MASK) | PCI_ROM_ADDRESS_ENABLE);
	put8(c->data, PCI_INTERRUPT_PIN, 1); /* INTA# */
	type0_masks(c, false);
	for (i = 0; i < SIM_NUM_BARS; i++)
		if (pp->bars[i].type == SIM_BAR_IO)
			put16(c->wmask, PCI_COMMAND, get16(c->wmask, PCI_COMMAND) | PCI_COMMAND_IO);

	/* PM -> MSI-X -> PCI Express */
	put8(c->data, PCI_CAPABILITY_LIST, SIM_CFG_PF_PM);
	cap_hdr(c, SIM_CFG_PF_PM, PCI_CAP_ID_PM, pp->msix_vectors ? SIM_CFG_PF_MSIX : SIM_CFG_PF_EXP);
	pm_block(c, SIM_CFG_PF_PM, true);
	if (pp->msix_vectors) {
		cap_hdr(c, SIM_CFG_PF_MSIX, PCI_CAP_ID_MSIX, SIM_CFG_PF_EXP);
		msix_block(c, SIM_CFG_PF_MSIX, pp->msix_vectors, pp->msix_bar, pp->msix_offset,
			   pp->bars[pp->msix_bar].size, true);
	}
	cap_hdr(c, SIM_CFG_PF_EXP, PCI_CAP_ID_EXP, 0);
	exp_build(c, SIM_CFG_PF_EXP, PCI_EXP_TYPE_ENDPOINT, p->link_width, p->link_speed, 0, false);

	/* AER -> DSN -> ARI [-> SR-IOV] [-> MR-IOV] */
	ecap_hdr(c, SIM_CFG_ECAP_AER, PCI_EXT_CAP_ID_AER, 2, SIM_CFG_ECAP_DSN);
	aer_block(c, SIM_CFG_ECAP_AER, false, false, true);
	ecap_hdr(c, SIM_CFG_ECAP_DSN, PCI_EXT_CAP_ID_DSN, 1, SIM_CFG_ECAP_ARI);
	dsn_block(c, SIM_CFG_ECAP_DSN, dsn);
	ecap_hdr(c, SIM_CFG_ECAP_ARI, PCI_EXT_CAP_ID_ARI, 1, 0);
	ari_block(c, SIM_CFG_ECAP_ARI, pf + 1 < p->n_pfs ? pf + 1 : 0);
	last = SIM_CFG_ECAP_ARI;
	if (pp->has_sriov) {
		ecap_set_next(c, last, SIM_CFG_ECAP_SRIOV);
		ecap_hdr(c, SIM_CFG_ECAP_SRIOV, PCI_EXT_CAP_ID_SRIOV, 1, 0);
		sriov_block(c, SIM_CFG_ECAP_SRIOV, &pp->sriov, pf, true);
		last = SIM_CFG_ECAP_SRIOV;
	}
	if (p->sharing == FMP_SHARING_MRIOV && pf == 0) {
		/* PF0 stands in for the MR-IOV Base Function (PCIE-NOTES E.2) */
		ecap_set_next(c, last, SIM_CFG_ECAP_MRIOV);
		ecap_hdr(c, SIM_CFG_ECAP_MRIOV, PCI_EXT_CAP_ID_MRIOV, 1, 0);
		put8(c->data, SIM_CFG_ECAP_MRIOV + SIM_MRIOV_NUM_PFS, p->n_pfs);
	}
	return 0;
}

/* Finds the last extended capability of the chain (0 if none). */
static unsigned last_ext_cap(const uint8_t *d)
{
	unsigned off, last = 0, ttl = ECAP_TTL;

	for (off = ecap_step(d, 0, &ttl); off; off = ecap_step(d, off, &ttl))
		last = off;
	return last;
}

static bool all_zero(const uint8_t *d, unsigned off, unsigned len)
{
	unsigned i;

	for (i = 0; i < len; i++)
		if (d[off + i])
			return false;
	return true;
}

/* The standard capabilities of a captured config space: run-time state reset (enables,
 * RW1C status), write masks from the layout; capabilities this code does not know stay
 * read-only. */
static void std_caps_from_dump(struct sim_cfg *c)
{
	unsigned off, ttl;

	if (!(get16(c->data, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return;
	off = c->data[PCI_CAPABILITY_LIST] & 0xfc;
	for (ttl = 48; off >= 0x40 && off < 0x100 && ttl; ttl--) {
		switch (c->data[off + PCI_CAP_LIST_ID]) {
		case PCI_CAP_ID_PM:
			pm_block(c, off, false);
			break;
		case PCI_CAP_ID_MSI:
			msi_block(c, off, false);
			break;
		case PCI_CAP_ID_MSIX:
			msix_block(c, off, 0, 0, 0, 0, false);
			break;
		case PCI_CAP_ID_EXP:
			/* the RW1C error bits clear; AuxPwr Detected and Transactions Pending
			 * are read-only state of the device (§7.5.3.5) */
			put16(c->data, off + PCI_EXP_DEVSTA,
			      get16(c->data, off + PCI_EXP_DEVSTA) &
				      (PCI_EXP_DEVSTA_AUXPD | PCI_EXP_DEVSTA_TRPND));
			exp_masks(c, off, (get16(c->data, off + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >> 4,
				  false);
			break;
		default:
			break;
		}
		off = c->data[off + PCI_CAP_LIST_NEXT] & 0xfc;
	}
}

/* A PF from a captured config space: reset run-time state, derive masks by walking the
 * capability lists; capabilities this code does not know stay read-only. */
static int pf_from_dump(struct sim_cfg *c, const struct sim_profile *p, unsigned pf,
			uint64_t dsn, char *err, size_t errlen)
{
	const struct sim_pf_profile *pp = &p->pf[pf];
	unsigned off, i, ttl;

	memcpy(c->data, pp->dump_config, SIM_CFG_SIZE);
	put16(c->data, PCI_COMMAND, 0);
	put16(c->data, PCI_STATUS, get16(c->data, PCI_STATUS) & (uint16_t)~STATUS_W1C);
	put8(c->data, PCI_HEADER_TYPE,
	     PCI_HEADER_TYPE_NORMAL | (p->n_pfs > 1 ? HDR_MULTI_FUNCTION : 0));
	put8(c->data, PCI_INTERRUPT_LINE, 0); /* the capturing host's IRQ routing */
	for (i = 0; i < SIM_NUM_BARS; i++)
		bar_masks(c, PCI_BASE_ADDRESS_0 + 4 * i, &pp->bars[i], false);
	if (pp->rom_size) {
		put32(c->data, PCI_ROM_ADDRESS, 0);
		rw32(c, PCI_ROM_ADDRESS,
		     ((uint32_t)~(pp->rom_size - 1) & ROM_ADDR_MASK) | PCI_ROM_ADDRESS_ENABLE);
	}
	type0_masks(c, false);
	for (i = 0; i < SIM_NUM_BARS; i++)
		if (pp->bars[i].type == SIM_BAR_IO)
			put16(c->wmask, PCI_COMMAND, get16(c->wmask, PCI_COMMAND) | PCI_COMMAND_IO);

	std_caps_from_dump(c);
	ttl = ECAP_TTL;
	for (off = ecap_step(c->data, 0, &ttl); off; off = ecap_step(c->data, off, &ttl)) {
		switch (get32(c->data, off) & ECAP_ID) {
		case PCI_EXT_CAP_ID_AER:
			aer_block(c, off, false, false, false);
			break;
		case PCI_EXT_CAP_ID_DSN:
			dsn_block(c, off, dsn); /* the chassis' serial, not the captured card's */
			break;
		case PCI_EXT_CAP_ID_ARI:
			ari_block(c, off, pf + 1 < p->n_pfs ? pf + 1 : 0);
			break;
		case PCI_EXT_CAP_ID_SRIOV:
			if (pp->has_sriov && off + SIM_SRIOV_SIZEOF <= SIM_CFG_SIZE) {
				uint8_t fdl = pp->dump_config[off + PCI_IOV_FDL];

				sriov_block(c, off, &pp->sriov, pf, false);
				/* a captured Function Dependency Link stays while it names a PF
				 * of this card (§9.3.3.8); a function cloned for every PF, or
				 * one naming a function not there, depends on no other */
				if (p->dump_fns > 1 && fdl < p->n_pfs)
					put8(c->data, off + PCI_IOV_FDL, fdl);
			}
			break;
		default:
			break;
		}
	}
	if (p->sharing == FMP_SHARING_MRIOV && pf == 0 &&
	    !sim_cfg_find_ext_cap(c, PCI_EXT_CAP_ID_MRIOV)) {
		unsigned last = last_ext_cap(c->data);
		unsigned at = SIM_CFG_SIZE - SIM_MRIOV_SIZEOF;

		if (!last || !all_zero(c->data, at, SIM_MRIOV_SIZEOF)) {
			fab_seterr(err, errlen, "%s: no room to add the MR-IOV capability at %#x",
				   p->dump_path, at);
			return -EINVAL;
		}
		ecap_set_next(c, last, at);
		ecap_hdr(c, at, PCI_EXT_CAP_ID_MRIOV, 1, 0);
		put8(c->data, at + SIM_MRIOV_NUM_PFS, p->n_pfs);
	}
	return 0;
}

int sim_cfg_build_pf(const struct sim_profile *p, unsigned pf, uint64_t dsn,
		     struct sim_cfg **out, char *err, size_t errlen)
{
	struct sim_cfg *c;
	int rc;

	*out = NULL;
	if (pf >= p->n_pfs) {
		fab_seterr(err, errlen, "profile %s has %u PFs, no pf%u", p->name, p->n_pfs, pf);
		return -EINVAL;
	}
	c = cfg_alloc(SIM_CFG_PF);
	if (!c) {
		fab_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (p->pf[pf].dump_config)
		rc = pf_from_dump(c, p, pf, dsn, err, errlen);
	else
		rc = pf_from_profile(c, p, pf, dsn);
	if (rc) {
		sim_cfg_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int sim_cfg_build_vf(const struct sim_profile *p, unsigned pf, struct sim_cfg **out,
		     char *err, size_t errlen)
{
	const struct sim_pf_profile *pp;
	const struct sim_sriov_params *s;
	struct sim_cfg *c;
	uint8_t hdr;

	*out = NULL;
	if (pf >= p->n_pfs || !p->pf[pf].has_sriov) {
		fab_seterr(err, errlen, "profile %s: pf%u has no SR-IOV capability", p->name, pf);
		return -EINVAL;
	}
	pp = &p->pf[pf];
	s = &pp->sriov;
	c = cfg_alloc(SIM_CFG_VF);
	if (!c) {
		fab_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* §9.3.4.1: Vendor/Device ID 0xffff; class, revision, subsystem as the PF;
	 * header type as the PF's; BARs RO 0 (the PF's VF BARs map VFs). */
	hdr = PCI_HEADER_TYPE_NORMAL | (p->n_pfs > 1 ? HDR_MULTI_FUNCTION : 0);
	type0_ids(c, p, 0xffff, 0xffff, hdr);
	if (pp->dump_config) {
		/* this PF's own class, revision and subsystem (functions of a captured
		 * device may differ in them) */
		memcpy(c->data + PCI_CLASS_REVISION, pp->dump_config + PCI_CLASS_REVISION, 4);
		put16(c->data, PCI_SUBSYSTEM_VENDOR_ID,
		      get16(pp->dump_config, PCI_SUBSYSTEM_VENDOR_ID));
		put16(c->data, PCI_SUBSYSTEM_ID, get16(pp->dump_config, PCI_SUBSYSTEM_ID));
	}
	type0_masks(c, true);
	put8(c->data, PCI_CAPABILITY_LIST, s->vf_msix_vectors ? SIM_CFG_VF_MSIX : SIM_CFG_VF_EXP);
	if (s->vf_msix_vectors) {
		cap_hdr(c, SIM_CFG_VF_MSIX, PCI_CAP_ID_MSIX, SIM_CFG_VF_EXP);
		msix_block(c, SIM_CFG_VF_MSIX, s->vf_msix_vectors, s->vf_msix_bar,
			   s->vf_msix_offset, s->vf_bars[s->vf_msix_bar].size, true);
	}
	cap_hdr(c, SIM_CFG_VF_EXP, PCI_CAP_ID_EXP, 0);
	exp_build(c, SIM_CFG_VF_EXP, PCI_EXP_TYPE_ENDPOINT, p->link_width, p->link_speed, 0, true);
	ecap_hdr(c, SIM_CFG_ECAP_AER, PCI_EXT_CAP_ID_AER, 2, SIM_CFG_ECAP_ARI);
	aer_block(c, SIM_CFG_ECAP_AER, true, false, true);
	ecap_hdr(c, SIM_CFG_ECAP_ARI, PCI_EXT_CAP_ID_ARI, 1, 0);
	ari_block(c, SIM_CFG_ECAP_ARI, 0);
	*out = c;
	return 0;
}

void sim_cfg_vf_set_identity(struct sim_cfg *vf, const struct sim_cfg *pf)
{
	/* What Linux's iov.c would synthesize (PCIE-NOTES C.2): PF vendor, VF Device ID. */
	put16(vf->data, PCI_VENDOR_ID, get16(pf->data, PCI_VENDOR_ID));
	put16(vf->data, PCI_DEVICE_ID, get16(pf->data, pf->sriov + PCI_IOV_DID));
	put16(vf->data, PCI_SUBSYSTEM_VENDOR_ID, get16(pf->data, PCI_SUBSYSTEM_VENDOR_ID));
	put16(vf->data, PCI_SUBSYSTEM_ID, get16(pf->data, PCI_SUBSYSTEM_ID));
}

int sim_cfg_build_vf_host_view(const struct sim_cfg *pf, const struct sim_cfg *vf,
			       struct sim_cfg **out, char *err, size_t errlen)
{
	struct sim_cfg *c;
	unsigned i;

	*out = NULL;
	if (!pf->sriov || vf->kind != SIM_CFG_VF) {
		fab_seterr(err, errlen, "host view needs an SR-IOV PF and one of its VFs");
		return -EINVAL;
	}
	c = sim_cfg_dup(vf);
	if (!c) {
		fab_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->kind = SIM_CFG_VF_HOST;
	sim_cfg_vf_set_identity(c, pf);
	put8(c->data, PCI_HEADER_TYPE, c->data[PCI_HEADER_TYPE] & HDR_LAYOUT);
	/* A standalone endpoint needs its own BARs and Memory Space Enable. */
	for (i = 0; i < SIM_NUM_BARS; i++) {
		uint32_t t = get32(pf->data, pf->sriov + PCI_IOV_BAR_BASE + 4 * i) & BAR_MEM_FLAGS;
		struct sim_bar b = { .size = pf->vf_bar_size[i] };

		if (!b.size)
			continue;
		b.type = (t & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64 ?
				 SIM_BAR_MEM64 : SIM_BAR_MEM32;
		b.prefetch = t & PCI_BASE_ADDRESS_MEM_PREFETCH;
		if (b.type == SIM_BAR_MEM64 && i + 1 >= SIM_NUM_BARS)
			continue;
		bar_masks(c, PCI_BASE_ADDRESS_0 + 4 * i, &b, true);
		if (b.type == SIM_BAR_MEM64)
			i++;
	}
	put16(c->wmask, PCI_COMMAND, get16(c->wmask, PCI_COMMAND) | PCI_COMMAND_MEMORY);
	*out = c;
	return 0;
}

/* The type 1 header's registers (PCI-to-PCI Bridge r1.2 §3.2): masks, 32-bit I/O and
 * 64-bit prefetchable decode (the windows the virtual switch assigns need them), every
 * window closed until bus numbers and resources are assigned. */
static void type1_regs(struct sim_cfg *c)
{
	rw16(c, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
				     PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_DISABLE_INTx);
	w1c16(c, PCI_STATUS, STATUS_W1C);
	put8(c->wmask, PCI_CACHE_LINE_SIZE, 0xff);
	put8(c->wmask, PCI_INTERRUPT_LINE, 0xff);
	/* Type 1 header (PCI-to-PCI Bridge r1.2 §3.2) */
	put8(c->wmask, PCI_PRIMARY_BUS, 0xff);
	put8(c->wmask, PCI_SECONDARY_BUS, 0xff);
	put8(c->wmask, PCI_SUBORDINATE_BUS, 0xff);
	put8(c->data, PCI_IO_BASE, PCI_IO_RANGE_TYPE_32);
	put8(c->data, PCI_IO_LIMIT, PCI_IO_RANGE_TYPE_32);
	put8(c->wmask, PCI_IO_BASE, (uint8_t)PCI_IO_RANGE_MASK);
	put8(c->wmask, PCI_IO_LIMIT, (uint8_t)PCI_IO_RANGE_MASK);
	rw16(c, PCI_IO_BASE_UPPER16, 0xffff);
	rw16(c, PCI_IO_LIMIT_UPPER16, 0xffff);
	w1c16(c, PCI_SEC_STATUS, STATUS_W1C);
	rw16(c, PCI_MEMORY_BASE, (uint16_t)PCI_MEMORY_RANGE_MASK);
	rw16(c, PCI_MEMORY_LIMIT, (uint16_t)PCI_MEMORY_RANGE_MASK);
	put16(c->data, PCI_PREF_MEMORY_BASE, PCI_PREF_RANGE_TYPE_64);
	put16(c->data, PCI_PREF_MEMORY_LIMIT, PCI_PREF_RANGE_TYPE_64);
	rw16(c, PCI_PREF_MEMORY_BASE, (uint16_t)PCI_PREF_RANGE_MASK);
	rw16(c, PCI_PREF_MEMORY_LIMIT, (uint16_t)PCI_PREF_RANGE_MASK);
	rw32(c, PCI_PREF_BASE_UPPER32, 0xffffffffu);
	rw32(c, PCI_PREF_LIMIT_UPPER32, 0xffffffffu);
	rw16(c, PCI_BRIDGE_CONTROL, PCI_BRIDGE_CTL_PARITY | PCI_BRIDGE_CTL_SERR |
					    PCI_BRIDGE_CTL_NO_ISA | PCI_BRIDGE_CTL_VGA |
					    PCI_BRIDGE_CTL_VGA_16BIT | PCI_BRIDGE_CTL_MASTER_ABORT |
					    PCI_BRIDGE_CTL_BUS_RESET);
	/* All windows closed until bus numbers and resources are assigned. */
	sim_cfg_bridge_set_io_window(c, 0xf000, 0x0fff);
	sim_cfg_bridge_set_mem_window(c, 0xfff00000u, 0x000fffffu);
	sim_cfg_bridge_set_pref_window(c, 0xfff00000u, 0x000fffffu);
}

static struct sim_cfg *bridge_common(const struct sim_port_params *pp, unsigned type)
{
	struct sim_cfg *c = cfg_alloc(type == PCI_EXP_TYPE_UPSTREAM ? SIM_CFG_USP : SIM_CFG_DSP);

	if (!c)
		return NULL;
	put16(c->data, PCI_VENDOR_ID, SIM_SWITCH_VENDOR);
	put16(c->data, PCI_DEVICE_ID, SIM_SWITCH_DEVICE);
	put16(c->data, PCI_STATUS, PCI_STATUS_CAP_LIST);
	put8(c->data, PCI_REVISION_ID, SIM_SWITCH_REVISION);
	put16(c->data, PCI_CLASS_DEVICE, PCI_CLASS_BRIDGE_PCI);
	put8(c->data, PCI_HEADER_TYPE, PCI_HEADER_TYPE_BRIDGE);
	put8(c->data, PCI_INTERRUPT_PIN, 1);
	type1_regs(c);

	/* PM -> MSI -> PCI Express -> Subsystem ID (the PEX 87xx layout) */
	put8(c->data, PCI_CAPABILITY_LIST, SIM_CFG_BR_PM);
	cap_hdr(c, SIM_CFG_BR_PM, PCI_CAP_ID_PM, SIM_CFG_BR_MSI);
	pm_block(c, SIM_CFG_BR_PM, true);
	cap_hdr(c, SIM_CFG_BR_MSI, PCI_CAP_ID_MSI, SIM_CFG_BR_EXP);
	msi_block(c, SIM_CFG_BR_MSI, true);
	cap_hdr(c, SIM_CFG_BR_EXP, PCI_CAP_ID_EXP, SIM_CFG_BR_SSVID);
	exp_build(c, SIM_CFG_BR_EXP, type, pp->width, pp->speed, pp->port_number, false);
	cap_hdr(c, SIM_CFG_BR_SSVID, PCI_CAP_ID_SSVID, 0);
	put16(c->data, SIM_CFG_BR_SSVID + PCI_SSVID_VENDOR, SIM_SWITCH_VENDOR);
	put16(c->data, SIM_CFG_BR_SSVID + PCI_SSVID_DEVICE, SIM_SWITCH_DEVICE);
	ecap_hdr(c, SIM_CFG_ECAP_AER, PCI_EXT_CAP_ID_AER, 2, 0);
	aer_block(c, SIM_CFG_ECAP_AER, false, type == PCI_EXP_TYPE_DOWNSTREAM, true);
	return c;
}

/* PCI Express Capabilities port type of a captured config space, or -1 (no capability). */
static int exp_port_type(const uint8_t *cfg, size_t len, unsigned *at)
{
	unsigned e = sim_cfg_bytes_find_cap(cfg, len, PCI_CAP_ID_EXP);

	*at = e;
	return e ? (int)((get16(cfg, e + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >> 4) : -1;
}

int sim_cfg_bridge_model_check(const uint8_t *cfg, size_t len, bool upstream, char *err,
			       size_t errlen)
{
	unsigned e;
	int type;

	if (len < 256 || (cfg[PCI_HEADER_TYPE] & HDR_LAYOUT) != PCI_HEADER_TYPE_BRIDGE) {
		fab_seterr(err, errlen, "%s (header type %u, %zu bytes)",
			   len < 256 ? "needs at least the 256-byte header and capabilities" :
				       "is not a PCI bridge",
			   cfg[PCI_HEADER_TYPE] & HDR_LAYOUT, len);
		return -EINVAL;
	}
	type = exp_port_type(cfg, len, &e);
	if (type != (upstream ? PCI_EXP_TYPE_UPSTREAM : PCI_EXP_TYPE_DOWNSTREAM)) {
		fab_seterr(err, errlen, "is %s; the virtual switch's %s port needs a switch %s "
			   "Port (PCI Express Capabilities port type %u)",
			   type < 0 ? "not a PCI Express bridge" :
			   type == PCI_EXP_TYPE_UPSTREAM ? "a switch Upstream Port" :
			   type == PCI_EXP_TYPE_DOWNSTREAM ? "a switch Downstream Port" :
			   type == PCI_EXP_TYPE_ROOT_PORT ? "a Root Port" : "not a switch port",
			   upstream ? "upstream" : "downstream", upstream ? "Upstream" : "Downstream",
			   upstream ? PCI_EXP_TYPE_UPSTREAM : PCI_EXP_TYPE_DOWNSTREAM);
		return -EINVAL;
	}
	if (!upstream && !(get16(cfg, e + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_SLOT)) {
		fab_seterr(err, errlen, "has no slot (Slot Implemented clear); a vPPB needs one "
			   "for hot-plug (PCIe r5.0 §7.5.3.2)");
		return -EINVAL;
	}
	return 0;
}

/* A virtual switch port modelled on a captured bridge (sim_cfg_bridge_model_check passed):
 * the real port's identity and capabilities, with run-time state reset, the type 1
 * registers as the virtual switch assigns them, this port's Link Capabilities Port
 * Number, Physical Slot Number and DSN, and the slot empty with power on and both
 * indicators (if any) off. */
static struct sim_cfg *bridge_from_model(const struct sim_port_params *pp, unsigned type)
{
	struct sim_cfg *c = cfg_alloc(type == PCI_EXP_TYPE_UPSTREAM ? SIM_CFG_USP : SIM_CFG_DSP);
	unsigned e, off, ttl;

	if (!c)
		return NULL;
	memcpy(c->data, pp->model, SIM_CFG_SIZE);
	put16(c->data, PCI_COMMAND, 0);
	put16(c->data, PCI_STATUS, get16(c->data, PCI_STATUS) & (uint16_t)~STATUS_W1C);
	put16(c->data, PCI_SEC_STATUS, get16(c->data, PCI_SEC_STATUS) & (uint16_t)~STATUS_W1C);
	put16(c->data, PCI_BRIDGE_CONTROL, 0);
	put8(c->data, PCI_INTERRUPT_LINE, 0);
	type1_regs(c);
	std_caps_from_dump(c);
	exp_port_type(c->data, SIM_CFG_SIZE, &e);
	put32(c->data, e + PCI_EXP_LNKCAP,
	      (get32(c->data, e + PCI_EXP_LNKCAP) & ~(uint32_t)PCI_EXP_LNKCAP_PORT) |
		      FIELD(PCI_EXP_LNKCAP_PORT, pp->port_number));
	put16(c->data, e + PCI_EXP_LNKSTA,
	      get16(c->data, e + PCI_EXP_LNKSTA) & (uint16_t)~PCI_EXP_LNKSTA_DL_ACT);
	if (type == PCI_EXP_TYPE_DOWNSTREAM) {
		uint32_t sltcap = get32(c->data, e + PCI_EXP_SLTCAP);

		put32(c->data, e + PCI_EXP_SLTCAP,
		      (sltcap & ~(uint32_t)PCI_EXP_SLTCAP_PSN) | FIELD(PCI_EXP_SLTCAP_PSN, pp->slot));
		put16(c->data, e + PCI_EXP_SLTCTL,
		      (sltcap & PCI_EXP_SLTCAP_ATNI ? SIM_SLTCTL_ATTN_OFF : 0) |
			      (sltcap & PCI_EXP_SLTCAP_PWRI ? SIM_SLTCTL_PWR_IND_OFF : 0));
		put16(c->data, e + PCI_EXP_SLTSTA, 0);
	}
	ttl = ECAP_TTL;
	for (off = ecap_step(c->data, 0, &ttl); off; off = ecap_step(c->data, off, &ttl)) {
		switch (get32(c->data, off) & ECAP_ID) {
		case PCI_EXT_CAP_ID_AER:
			aer_block(c, off, false, type == PCI_EXP_TYPE_DOWNSTREAM, false);
			break;
		case PCI_EXT_CAP_ID_DSN:
			dsn_block(c, off, pp->dsn); /* the chassis', not the captured switch's */
			break;
		case PCI_EXT_CAP_ID_ACS:
			/* §7.7.8.3: each control bit enables the capability bit below it */
			put16(c->data, off + PCI_ACS_CTRL, 0);
			rw16(c, off + PCI_ACS_CTRL, get16(c->data, off + PCI_ACS_CAP) &
						    (PCI_ACS_CTRL_VALID | PCI_ACS_CTRL_BLOCK |
						     PCI_ACS_CTRL_REQ_RED | PCI_ACS_CTRL_CMPLT_RED |
						     PCI_ACS_CTRL_FORWARD | PCI_ACS_CTRL_EGRESS |
						     PCI_ACS_CTRL_TRANS));
			break;
		default:
			break;
		}
	}
	return c;
}

static int check_port(const struct sim_port_params *pp, char *err, size_t errlen)
{
	if (pp->speed < FMP_SPEED_2_5GT || pp->speed > FMP_SPEED_64GT || !pp->width ||
	    pp->width > 32) {
		fab_seterr(err, errlen, "port %u: invalid link x%u speed %u", pp->port_number,
			   pp->width, pp->speed);
		return -EINVAL;
	}
	return 0;
}

int sim_cfg_build_usp(const struct sim_port_params *pp, struct sim_cfg **out, char *err,
		      size_t errlen)
{
	struct sim_cfg *c;
	int rc;

	*out = NULL;
	if ((rc = check_port(pp, err, errlen)))
		return rc;
	c = pp->model ? bridge_from_model(pp, PCI_EXP_TYPE_UPSTREAM)
		      : bridge_common(pp, PCI_EXP_TYPE_UPSTREAM);
	if (!c) {
		fab_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (pp->model) {
		*out = c;
		return 0;
	}
	ecap_set_next(c, SIM_CFG_ECAP_AER, SIM_CFG_BR_ECAP_DSN);
	ecap_hdr(c, SIM_CFG_BR_ECAP_DSN, PCI_EXT_CAP_ID_DSN, 1, 0);
	dsn_block(c, SIM_CFG_BR_ECAP_DSN, pp->dsn);
	*out = c;
	return 0;
}

int sim_cfg_build_dsp(const struct sim_port_params *pp, struct sim_cfg **out, char *err,
		      size_t errlen)
{
	const unsigned e = SIM_CFG_BR_EXP;
	struct sim_cfg *c;
	int rc;

	*out = NULL;
	if ((rc = check_port(pp, err, errlen)))
		return rc;
	if (pp->slot > FIELD_MAX(PCI_EXP_SLTCAP_PSN)) {
		fab_seterr(err, errlen, "Physical Slot Number %u does not fit 13 bits", pp->slot);
		return -EINVAL;
	}
	c = pp->model ? bridge_from_model(pp, PCI_EXP_TYPE_DOWNSTREAM)
		      : bridge_common(pp, PCI_EXP_TYPE_DOWNSTREAM);
	if (!c) {
		fab_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (pp->model) {
		*out = c;
		return 0;
	}
	/* Slot Capabilities (§7.5.3.9): 75 W slot power limit (value 75, scale 1.0x). */
	put32(c->data, e + PCI_EXP_SLTCAP,
	      PCI_EXP_SLTCAP_ATNB | PCI_EXP_SLTCAP_PWRC | PCI_EXP_SLTCAP_ATNI |
		      PCI_EXP_SLTCAP_PWRI | PCI_EXP_SLTCAP_HPS | PCI_EXP_SLTCAP_HPC |
		      FIELD(PCI_EXP_SLTCAP_PWR_VAL, 75) | FIELD(PCI_EXP_SLTCAP_PSN, pp->slot));
	/* indicators off, power controller on (PCC 0) */
	put16(c->data, e + PCI_EXP_SLTCTL, SIM_SLTCTL_ATTN_OFF | SIM_SLTCTL_PWR_IND_OFF);
	/* ACS (§7.7.8): Source Validation, Translation Blocking, P2P Request/Completion
	 * Redirect, Upstream Forwarding, as a switch downstream port implements them. */
	ecap_set_next(c, SIM_CFG_ECAP_AER, SIM_CFG_BR_ECAP_ACS);
	ecap_hdr(c, SIM_CFG_BR_ECAP_ACS, PCI_EXT_CAP_ID_ACS, 1, 0);
	put16(c->data, SIM_CFG_BR_ECAP_ACS + PCI_ACS_CAP,
	      PCI_ACS_CAP_VALID | PCI_ACS_CAP_BLOCK | PCI_ACS_CAP_REQ_RED |
		      PCI_ACS_CAP_CMPLT_RED | PCI_ACS_CAP_FORWARD);
	rw16(c, SIM_CFG_BR_ECAP_ACS + PCI_ACS_CTRL,
	     PCI_ACS_CTRL_VALID | PCI_ACS_CTRL_BLOCK | PCI_ACS_CTRL_REQ_RED |
		     PCI_ACS_CTRL_CMPLT_RED | PCI_ACS_CTRL_FORWARD);
	*out = c;
	return 0;
}

/* ---- bridges ---------------------------------------------------------------------------- */

void sim_cfg_bridge_set_buses(struct sim_cfg *cfg, uint8_t primary, uint8_t secondary,
			      uint8_t subordinate)
{
	put8(cfg->data, PCI_PRIMARY_BUS, primary);
	put8(cfg->data, PCI_SECONDARY_BUS, secondary);
	put8(cfg->data, PCI_SUBORDINATE_BUS, subordinate);
}

void sim_cfg_bridge_set_mem_window(struct sim_cfg *cfg, uint32_t base, uint32_t limit)
{
	put16(cfg->data, PCI_MEMORY_BASE, (uint16_t)((base >> 16) & 0xfff0));
	put16(cfg->data, PCI_MEMORY_LIMIT, (uint16_t)((limit >> 16) & 0xfff0));
}

void sim_cfg_bridge_set_pref_window(struct sim_cfg *cfg, uint64_t base, uint64_t limit)
{
	put16(cfg->data, PCI_PREF_MEMORY_BASE,
	      (uint16_t)(((base >> 16) & 0xfff0) | PCI_PREF_RANGE_TYPE_64));
	put16(cfg->data, PCI_PREF_MEMORY_LIMIT,
	      (uint16_t)(((limit >> 16) & 0xfff0) | PCI_PREF_RANGE_TYPE_64));
	put32(cfg->data, PCI_PREF_BASE_UPPER32, (uint32_t)(base >> 32));
	put32(cfg->data, PCI_PREF_LIMIT_UPPER32, (uint32_t)(limit >> 32));
}

void sim_cfg_bridge_set_io_window(struct sim_cfg *cfg, uint32_t base, uint32_t limit)
{
	put8(cfg->data, PCI_IO_BASE, (uint8_t)(((base >> 8) & 0xf0) | PCI_IO_RANGE_TYPE_32));
	put8(cfg->data, PCI_IO_LIMIT, (uint8_t)(((limit >> 8) & 0xf0) | PCI_IO_RANGE_TYPE_32));
	put16(cfg->data, PCI_IO_BASE_UPPER16, (uint16_t)(base >> 16));
	put16(cfg->data, PCI_IO_LIMIT_UPPER16, (uint16_t)(limit >> 16));
}

/* ---- slots and links ---------------------------------------------------------------------- */

static bool has_slot(const struct sim_cfg *c)
{
	return c->exp && (get16(c->data, c->exp + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_SLOT);
}

static void sltsta_update(struct sim_cfg *c, uint16_t set, uint16_t clear)
{
	unsigned off = c->exp + PCI_EXP_SLTSTA;

	put16(c->data, off, (uint16_t)((get16(c->data, off) & ~clear) | set));
}

void sim_cfg_slot_set_presence(struct sim_cfg *cfg, bool present)
{
	bool was;

	if (!has_slot(cfg))
		return;
	was = sim_cfg_slot_status(cfg) & PCI_EXP_SLTSTA_PRES;
	if (was == present)
		return;
	sltsta_update(cfg, PCI_EXP_SLTSTA_PRSD | (present ? PCI_EXP_SLTSTA_PRES : 0),
		      present ? 0 : PCI_EXP_SLTSTA_PRES);
}

void sim_cfg_link_set(struct sim_cfg *cfg, bool dll_active, uint8_t width, uint8_t speed)
{
	unsigned off = cfg->exp + PCI_EXP_LNKSTA;
	uint16_t old, v;

	if (!cfg->exp)
		return;
	old = get16(cfg->data, off);
	v = old & (uint16_t)~(PCI_EXP_LNKSTA_SPEED | PCI_EXP_LNKSTA_WIDTH | PCI_EXP_LNKSTA_DL_ACT);
	v |= (uint16_t)(FIELD(PCI_EXP_LNKSTA_SPEED, speed) | FIELD(PCI_EXP_LNKSTA_WIDTH, width));
	if (dll_active && (get32(cfg->data, cfg->exp + PCI_EXP_LNKCAP) & PCI_EXP_LNKCAP_DLLA))
		v |= PCI_EXP_LNKSTA_DL_ACT;
	put16(cfg->data, off, v);
	if (has_slot(cfg) && ((old ^ v) & PCI_EXP_LNKSTA_DL_ACT))
		sltsta_update(cfg, PCI_EXP_SLTSTA_LLCHG, 0);
}

void sim_cfg_slot_press_button(struct sim_cfg *cfg)
{
	if (has_slot(cfg))
		sltsta_update(cfg, PCI_EXP_SLTSTA_ATNB, 0);
}

void sim_cfg_slot_power_fault(struct sim_cfg *cfg)
{
	if (has_slot(cfg))
		sltsta_update(cfg, PCI_EXP_SLTSTA_PWRF, 0);
}

uint16_t sim_cfg_slot_status(const struct sim_cfg *cfg)
{
	return has_slot(cfg) ? get16(cfg->data, cfg->exp + PCI_EXP_SLTSTA) : 0;
}

uint16_t sim_cfg_slot_control(const struct sim_cfg *cfg)
{
	return has_slot(cfg) ? get16(cfg->data, cfg->exp + PCI_EXP_SLTCTL) : 0;
}

uint16_t sim_cfg_slot_flags(const struct sim_cfg *cfg)
{
	uint16_t sta = sim_cfg_slot_status(cfg), ctl = sim_cfg_slot_control(cfg), f = 0;

	if (!has_slot(cfg))
		return 0;
	if (sta & PCI_EXP_SLTSTA_PRES)
		f |= FMP_SLOT_F_PRESENT;
	if (!(ctl & PCI_EXP_SLTCTL_PWRC))
		f |= FMP_SLOT_F_POWER_ON;
	if (get16(cfg->data, cfg->exp + PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_DL_ACT)
		f |= FMP_SLOT_F_DLL_ACTIVE;
	if (sta & PCI_EXP_SLTSTA_MRL_ST)
		f |= FMP_SLOT_F_MRL_OPEN;
	if (sta & PCI_EXP_SLTSTA_PWRF)
		f |= FMP_SLOT_F_POWER_FAULT;
	if ((ctl & PCI_EXP_SLTCTL_ATNI) == SIM_SLTCTL_ATTN_ON)
		f |= FMP_SLOT_F_ATTN_ON;
	if ((ctl & PCI_EXP_SLTCTL_ATNI) == SIM_SLTCTL_ATTN_BLINK)
		f |= FMP_SLOT_F_ATTN_BLINK;
	return f;
}

bool sim_cfg_slot_irq_pending(const struct sim_cfg *cfg)
{
	static const uint16_t pairs[][2] = {
		{ PCI_EXP_SLTCTL_ATNB, PCI_EXP_SLTSTA_ATNB },
		{ PCI_EXP_SLTCTL_PWRF, PCI_EXP_SLTSTA_PWRF },
		{ PCI_EXP_SLTCTL_MRLS, PCI_EXP_SLTSTA_MRLS },
		{ PCI_EXP_SLTCTL_PRSD, PCI_EXP_SLTSTA_PRSD },
		{ PCI_EXP_SLTCTL_CMDC, PCI_EXP_SLTSTA_CMDC },
		{ PCI_EXP_SLTCTL_LLCHG, PCI_EXP_SLTSTA_LLCHG },
	};
	uint16_t sta = sim_cfg_slot_status(cfg), ctl = sim_cfg_slot_control(cfg);
	size_t i;

	if (!(ctl & PCI_EXP_SLTCTL_HPIE))
		return false;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
		if ((ctl & pairs[i][0]) && (sta & pairs[i][1]))
			return true;
	return false;
}

/* ---- SR-IOV ------------------------------------------------------------------------------ */

uint16_t sim_sriov_vf_rid(uint16_t pf_rid, uint16_t offset, uint16_t stride, uint16_t vf_index)
{
	return (uint16_t)((uint32_t)pf_rid + offset + (uint32_t)stride * vf_index);
}

int sim_cfg_sriov_state(const struct sim_cfg *cfg, struct sim_sriov_state *st)
{
	unsigned s = cfg->sriov;
	uint16_t ctl;

	if (!s)
		return -ENOENT;
	ctl = get16(cfg->data, s + PCI_IOV_CTRL);
	st->total_vfs = get16(cfg->data, s + PCI_IOV_TOTALVF);
	st->initial_vfs = get16(cfg->data, s + PCI_IOV_INITIALVF);
	st->num_vfs = get16(cfg->data, s + PCI_IOV_NUMVF);
	st->offset = get16(cfg->data, s + PCI_IOV_OFFSET);
	st->stride = get16(cfg->data, s + PCI_IOV_STRIDE);
	st->vf_device = get16(cfg->data, s + PCI_IOV_DID);
	st->vf_enable = ctl & PCI_IOV_CTRL_VFE;
	st->vf_mse = ctl & PCI_IOV_CTRL_MSE;
	st->ari_hierarchy = ctl & PCI_IOV_CTRL_ARI;
	st->page_sizes = get32(cfg->data, s + PCI_IOV_SUPPS);
	st->system_page_size = get32(cfg->data, s + PCI_IOV_SYSPS);
	return 0;
}

/* ---- config writes ------------------------------------------------------------------------- */

static bool overlaps(unsigned off, unsigned size, unsigned reg, unsigned reg_size)
{
	return off < reg + reg_size && reg < off + size;
}

/* Restores the bytes of register [reg, reg+len) that the write covered. */
static void revert(struct sim_cfg *c, const uint8_t *old, unsigned off, unsigned size,
		   unsigned reg, unsigned len)
{
	unsigned i;

	for (i = reg; i < reg + len; i++)
		if (i >= off && i < off + size)
			c->data[i] = old[i - off];
}

/* SR-IOV rules (§9.3.3.3, §9.3.3.7, §9.3.3.13): NumVFs is writable only while VF
 * Enable is clear; ARI Capable Hierarchy likewise, only in PF0, and it selects the
 * offset/stride pair; System Page Size takes one supported size. */
static int sriov_write_rules(struct sim_cfg *c, const uint8_t *old, unsigned off, unsigned size,
			     uint16_t old_ctl, uint16_t old_numvfs)
{
	unsigned s = c->sriov;
	uint16_t ctl, numvfs;
	uint32_t sps;
	int eff = 0;

	if (overlaps(off, size, s + PCI_IOV_NUMVF, 2)) {
		numvfs = get16(c->data, s + PCI_IOV_NUMVF);
		if (numvfs != old_numvfs &&
		    ((old_ctl & PCI_IOV_CTRL_VFE) ||
		     numvfs > get16(c->data, s + PCI_IOV_TOTALVF))) {
			revert(c, old, off, size, s + PCI_IOV_NUMVF, 2);
			eff |= SIM_CFG_EFF_REFUSED;
		} else if (numvfs != old_numvfs) {
			eff |= SIM_CFG_EFF_NUMVFS;
		}
	}
	if (overlaps(off, size, s + PCI_IOV_CTRL, 2)) {
		ctl = get16(c->data, s + PCI_IOV_CTRL);
		if (((ctl ^ old_ctl) & PCI_IOV_CTRL_ARI) && (old_ctl & PCI_IOV_CTRL_VFE)) {
			ctl = (uint16_t)((ctl & ~PCI_IOV_CTRL_ARI) | (old_ctl & PCI_IOV_CTRL_ARI));
			put16(c->data, s + PCI_IOV_CTRL, ctl);
			eff |= SIM_CFG_EFF_REFUSED;
		}
		if ((ctl ^ old_ctl) & PCI_IOV_CTRL_ARI) {
			unsigned ari = !!(ctl & PCI_IOV_CTRL_ARI);

			put16(c->data, s + PCI_IOV_OFFSET, c->iov_offset[ari]);
			put16(c->data, s + PCI_IOV_STRIDE, c->iov_stride[ari]);
			eff |= SIM_CFG_EFF_ARI_HIER;
		}
		if ((ctl ^ old_ctl) & PCI_IOV_CTRL_VFE)
			eff |= SIM_CFG_EFF_VF_ENABLE;
		if ((ctl ^ old_ctl) & PCI_IOV_CTRL_MSE)
			eff |= SIM_CFG_EFF_VF_MSE;
	}
	if (overlaps(off, size, s + PCI_IOV_SYSPS, 4)) {
		sps = get32(c->data, s + PCI_IOV_SYSPS);
		if (!sps || (sps & (sps - 1))) {
			revert(c, old, off, size, s + PCI_IOV_SYSPS, 4);
			eff |= SIM_CFG_EFF_REFUSED;
		} else {
			sriov_vf_bar_masks(c);
		}
	}
	return eff;
}

int sim_cfg_write(struct sim_cfg *cfg, unsigned off, unsigned size, uint32_t val)
{
	uint8_t old[4];
	uint16_t old_iov_ctl = 0, old_numvfs = 0;
	unsigned i;
	int eff = 0;

	if ((size != 1 && size != 2 && size != 4) || off % size || off + size > SIM_CFG_SIZE)
		return -EINVAL;
	if (cfg->sriov) {
		old_iov_ctl = get16(cfg->data, cfg->sriov + PCI_IOV_CTRL);
		old_numvfs = get16(cfg->data, cfg->sriov + PCI_IOV_NUMVF);
	}
	memcpy(old, cfg->data + off, size);
	for (i = 0; i < size; i++) {
		uint8_t v = (uint8_t)(val >> (8 * i));
		uint8_t wm = cfg->wmask[off + i], w1 = cfg->w1c[off + i];
		uint8_t n = (uint8_t)((old[i] & ~wm) | (v & wm));

		cfg->data[off + i] = (uint8_t)(n & ~(v & w1));
	}

	if (cfg->sriov)
		eff |= sriov_write_rules(cfg, old, off, size, old_iov_ctl, old_numvfs);
	if (cfg->exp) {
		unsigned e = cfg->exp;

		/* Initiate FLR (§7.5.3.4) is write-only: act, read back 0. */
		if (cfg->flr && overlaps(off, size, e + PCI_EXP_DEVCTL + 1, 1) &&
		    (val >> (8 * (e + PCI_EXP_DEVCTL + 1 - off))) & (PCI_EXP_DEVCTL_FLRESET >> 8))
			eff |= SIM_CFG_EFF_FLR;
		if (overlaps(off, size, e + PCI_EXP_LNKCTL, 1)) {
			uint8_t v = (uint8_t)(val >> (8 * (e + PCI_EXP_LNKCTL - off)));

			if ((v & PCI_EXP_LNKCTL_RETRAIN) && (cfg->wmask[e + PCI_EXP_LNKCTL] &
							     PCI_EXP_LNKCTL_DISABLE))
				eff |= SIM_CFG_EFF_LINK_CTL; /* Retrain: reads 0 */
			if ((cfg->data[e + PCI_EXP_LNKCTL] ^ old[e + PCI_EXP_LNKCTL - off]) &
			    PCI_EXP_LNKCTL_DISABLE)
				eff |= SIM_CFG_EFF_LINK_CTL;
		}
		if (has_slot(cfg) && overlaps(off, size, e + PCI_EXP_SLTCTL, 2)) {
			/* Every Slot Control write is a command; it completes at once
			 * (§6.7.3.2; No Command Completed Support is 0). */
			sltsta_update(cfg, PCI_EXP_SLTSTA_CMDC, 0);
			eff |= SIM_CFG_EFF_SLOT_CTL;
		}
	}
	if ((cfg->kind == SIM_CFG_USP || cfg->kind == SIM_CFG_DSP)) {
		if (overlaps(off, size, PCI_PRIMARY_BUS, 3)) {
			for (i = 0; i < size; i++)
				if (off + i >= PCI_PRIMARY_BUS && off + i <= PCI_SUBORDINATE_BUS &&
				    old[i] != cfg->data[off + i])
					eff |= SIM_CFG_EFF_BUS_NUMBERS;
		}
		if (overlaps(off, size, PCI_BRIDGE_CONTROL, 1) &&
		    (cfg->data[PCI_BRIDGE_CONTROL] & PCI_BRIDGE_CTL_BUS_RESET) &&
		    !(old[PCI_BRIDGE_CONTROL - off] & PCI_BRIDGE_CTL_BUS_RESET))
			eff |= SIM_CFG_EFF_SBR;
	}
	return eff;
}
