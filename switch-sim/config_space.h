/* Config space of one simulated function: 4 KiB of registers with write masks (RO, RW,
 * RW1C), built for card PFs/VFs from a profile and for the virtual switch's bridges. */
#ifndef SIM_CONFIG_SPACE_H
#define SIM_CONFIG_SPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fmp/fmp.h>

struct sim_profile;

#define SIM_CFG_SIZE FMP_CONFIG_SPACE_SIZE

/* Switch silicon the virtual bridges report: PLX PEX 8749 "48-Lane, 18-Port PCI Express
 * Gen 3 (8.0 GT/s) Multi-Root Switch with DMA", named so by pci.ids (2023-04). */
#define SIM_SWITCH_VENDOR 0x10b5
#define SIM_SWITCH_DEVICE 0x8749
#define SIM_SWITCH_REVISION 0xca

/* Capability layout of the functions built from profiles (the offsets real 82599s use). */
#define SIM_CFG_PF_PM 0x40
#define SIM_CFG_PF_MSIX 0x50
#define SIM_CFG_PF_EXP 0x70
#define SIM_CFG_VF_MSIX 0x70
#define SIM_CFG_VF_EXP 0xa0
#define SIM_CFG_ECAP_AER 0x100
#define SIM_CFG_ECAP_DSN 0x140
#define SIM_CFG_ECAP_ARI 0x150
#define SIM_CFG_ECAP_SRIOV 0x160
#define SIM_CFG_ECAP_MRIOV 0x1a0
/* ... and of the bridges (the PEX 8796 upstream port's layout). */
#define SIM_CFG_BR_PM 0x40
#define SIM_CFG_BR_MSI 0x48
#define SIM_CFG_BR_EXP 0x68
#define SIM_CFG_BR_SSVID 0xa4
#define SIM_CFG_BR_ECAP_DSN 0x148 /* upstream port */
#define SIM_CFG_BR_ECAP_ACS 0x148 /* downstream ports */

/* Register-block sizes and offsets pci/header.h (libpci 3.9) does not define. */
#define SIM_EXP_SIZEOF 0x3c    /* PCI Express Capability v2 (PCIe r5.0 §7.5.3) */
#define SIM_AER_SIZEOF 0x40    /* AER without the Root Port registers, padded (§7.8.4) */
#define SIM_DSN_LOWER 0x04     /* Device Serial Number: lower DW (§7.9.3) */
#define SIM_DSN_UPPER 0x08
#define SIM_DSN_SIZEOF 0x0c
#define SIM_ARI_SIZEOF 0x08    /* §7.8.8 */
#define SIM_SRIOV_SIZEOF 0x40  /* §9.3.3 */
#define SIM_MRIOV_SIZEOF 0x10  /* simulator-defined body, see config_space.c */

/* Slot Control indicator values (§7.5.3.10): 01b on, 10b blink, 11b off. */
#define SIM_SLTCTL_ATTN_ON 0x0040
#define SIM_SLTCTL_ATTN_BLINK 0x0080
#define SIM_SLTCTL_ATTN_OFF 0x00c0 /* = PCI_EXP_SLTCTL_ATNI */
#define SIM_SLTCTL_PWR_IND_ON 0x0100
#define SIM_SLTCTL_PWR_IND_BLINK 0x0200
#define SIM_SLTCTL_PWR_IND_OFF 0x0300 /* = PCI_EXP_SLTCTL_PWRI */

enum sim_cfg_kind {
	SIM_CFG_RAW = 0,     /* bytes only, every register read-only */
	SIM_CFG_PF = 1,
	SIM_CFG_VF = 2,      /* spec-true: Vendor/Device ID read 0xffff */
	SIM_CFG_VF_HOST = 3, /* a VF as a host sees it behind its vPPB */
	SIM_CFG_USP = 4,     /* virtual switch upstream port (type 1) */
	SIM_CFG_DSP = 5,     /* virtual switch downstream port, a vPPB (type 1, slot) */
};

/* Effects of a config write (sim_cfg_write's return value), for the runtime to act on. */
#define SIM_CFG_EFF_VF_ENABLE 0x0001  /* SR-IOV VF Enable changed */
#define SIM_CFG_EFF_VF_MSE 0x0002     /* SR-IOV VF MSE changed */
#define SIM_CFG_EFF_NUMVFS 0x0004     /* NumVFs changed */
#define SIM_CFG_EFF_ARI_HIER 0x0008   /* ARI Capable Hierarchy changed: offset/stride too */
#define SIM_CFG_EFF_FLR 0x0010        /* Initiate Function Level Reset written */
#define SIM_CFG_EFF_SLOT_CTL 0x0020   /* Slot Control written: one hot-plug command */
#define SIM_CFG_EFF_BUS_NUMBERS 0x0040/* primary/secondary/subordinate changed */
#define SIM_CFG_EFF_SBR 0x0080        /* Bridge Control Secondary Bus Reset set */
#define SIM_CFG_EFF_LINK_CTL 0x0100   /* Link Control Link Disable or Retrain written */
#define SIM_CFG_EFF_REFUSED 0x0200    /* part of the write broke an SR-IOV rule: ignored */

/* One function's config space. */
struct sim_cfg;

/* Ports of the virtual switch. */
struct sim_port_params {
	uint8_t port_number; /* Link Capabilities Port Number */
	uint8_t width;       /* max link width, lanes */
	uint8_t speed;       /* enum fmp_link_speed */
	uint16_t slot;       /* DSP: Physical Slot Number (13 bits) */
	uint64_t dsn;        /* USP: Device Serial Number (the chassis') */
	const uint8_t *model;/* a captured switch port (SIM_CFG_SIZE bytes) to build from, or
			      * NULL for the built-in PEX 8749 port */
};

/* Snapshot of a PF's SR-IOV capability registers (PCIe r5.0 §9.3.3). */
struct sim_sriov_state {
	uint16_t total_vfs, initial_vfs, num_vfs;
	uint16_t offset, stride; /* as currently reported (depends on ARI Capable Hierarchy) */
	uint16_t vf_device;
	bool vf_enable, vf_mse, ari_hierarchy;
	uint32_t page_sizes, system_page_size;
};

/* ---- lifetime and raw access ----------------------------------------------------------- */

/* A config space holding a copy of len bytes (the rest 0), all read-only. */
struct sim_cfg *sim_cfg_new_raw(const uint8_t *bytes, size_t len);
struct sim_cfg *sim_cfg_dup(const struct sim_cfg *cfg);
void sim_cfg_free(struct sim_cfg *cfg); /* NULL is a no-op */

enum sim_cfg_kind sim_cfg_kind(const struct sim_cfg *cfg);
const uint8_t *sim_cfg_data(const struct sim_cfg *cfg); /* SIM_CFG_SIZE bytes */
/* Reads past SIM_CFG_SIZE return all-ones, as a missing register would. */
uint8_t sim_cfg_read8(const struct sim_cfg *cfg, unsigned off);
uint16_t sim_cfg_read16(const struct sim_cfg *cfg, unsigned off);
uint32_t sim_cfg_read32(const struct sim_cfg *cfg, unsigned off);
/* The switch's own register updates: no masks, no side effects. */
void sim_cfg_set8(struct sim_cfg *cfg, unsigned off, uint8_t v);
void sim_cfg_set16(struct sim_cfg *cfg, unsigned off, uint16_t v);
void sim_cfg_set32(struct sim_cfg *cfg, unsigned off, uint32_t v);
/* A configuration write request (from the manager or a host): size 1, 2 or 4, naturally
 * aligned. Read-only bits keep their value, RW1C bits clear where 1 is written, and the
 * SR-IOV, slot, FLR and bridge rules apply. Returns a SIM_CFG_EFF_* mask (>= 0) or
 * -EINVAL for a bad size, alignment or offset. Rules spanning functions are the
 * caller's: ARI Capable Hierarchy may change only while every PF's VF Enable is clear
 * (this function checks its own PF's), and VFs appear/vanish on SIM_CFG_EFF_VF_ENABLE. */
int sim_cfg_write(struct sim_cfg *cfg, unsigned off, unsigned size, uint32_t val);
/* Bits a write can change at off (RW or RW1C), for tests and debugging. */
uint32_t sim_cfg_writable_mask(const struct sim_cfg *cfg, unsigned off, unsigned size);

/* ---- capability walkers (PCIe r5.0 §7.5.1.1.11 and §7.6.3) ----------------------------- */

/* Offset of the first capability with this ID, or 0. Loop- and bounds-protected. */
unsigned sim_cfg_find_cap(const struct sim_cfg *cfg, uint8_t id);
unsigned sim_cfg_find_ext_cap(const struct sim_cfg *cfg, uint16_t id);
unsigned sim_cfg_bytes_find_cap(const uint8_t *cfg, size_t len, uint8_t id);
unsigned sim_cfg_bytes_find_ext_cap(const uint8_t *cfg, size_t len, uint16_t id);

/* ---- builders --------------------------------------------------------------------------- */

/* PF number pf (0-based) of a card with this profile and Device Serial Number: type-0
 * header, PM -> MSI-X -> PCI Express Endpoint, AER, DSN, ARI (Next Function Number
 * chains the card's PFs, last 0), SR-IOV (if the PF has it; NumVFs 0, VF Enable 0) and
 * MR-IOV (mr-iov cards). From a config_dump profile: the dump's bytes with run-time
 * state cleared (Command, status bits, MSI/MSI-X enables, SR-IOV control and NumVFs),
 * the DSN replaced and write masks derived from its capability layout.
 * Returns 0, -EINVAL (pf out of range), -ENOMEM. */
int sim_cfg_build_pf(const struct sim_profile *p, unsigned pf, uint64_t dsn,
		     struct sim_cfg **out, char *err, size_t errlen);
/* A VF of PF pf, spec-true (PCIe r5.0 §9.3.4): Vendor/Device ID 0xffff, the PF's class,
 * revision and subsystem IDs, BARs reading 0 (VF BARs live in the PF's SR-IOV cap),
 * MSI-X -> PCI Express Endpoint (FLR), AER (if the PF has it), ARI (Next Function 0).
 * -EINVAL when the PF has no SR-IOV. */
int sim_cfg_build_vf(const struct sim_profile *p, unsigned pf, struct sim_cfg **out,
		     char *err, size_t errlen);
/* The identity a host is shown for a VF (DESIGN.md): the PF's Vendor ID and subsystem
 * IDs, the SR-IOV VF Device ID; the rest of vf as it is. pf must have SR-IOV. */
void sim_cfg_vf_set_identity(struct sim_cfg *vf, const struct sim_cfg *pf);
/* The host's view of a VF bound behind a vPPB (DESIGN.md): a copy of vf with the PF's
 * Vendor ID, the SR-IOV VF Device ID, the PF's subsystem IDs, single-function header,
 * and type-0 BARs synthesized from the PF's VF BARs (same sizes and type bits, sizable),
 * Command Memory Space writable. pf is the PF's chassis config space. */
int sim_cfg_build_vf_host_view(const struct sim_cfg *pf, const struct sim_cfg *vf,
			       struct sim_cfg **out, char *err, size_t errlen);
/* Whether a captured config space can model the virtual switch's upstream (upstream
 * true) or downstream ports: a type 1 header with a PCI Express capability of that port
 * type, and for a downstream port Slot Implemented (the vPPB's hot-plug slot). 0, or
 * -EINVAL with err saying what the dump is ("is a switch Downstream Port; ..."). */
int sim_cfg_bridge_model_check(const uint8_t *cfg, size_t len, bool upstream, char *err,
			       size_t errlen);
/* Virtual switch upstream port: PCIe type Upstream Port, DSN, AER. With pp->model: the
 * captured port's identity and capabilities (run-time state reset, DSN replaced, Link
 * Capabilities Port Number set; 32-bit I/O and 64-bit prefetchable window decode). */
int sim_cfg_build_usp(const struct sim_port_params *pp, struct sim_cfg **out, char *err,
		      size_t errlen);
/* Virtual switch downstream port (vPPB). With pp->model: the captured port as for the
 * upstream port, its Slot Capabilities as captured but for the Physical Slot Number; the
 * slot empty, power on, indicators it has off. Otherwise: PCIe type Downstream Port, Slot Implemented,
 * SltCap Attention Button, Power Controller, Attention/Power Indicators, Hot-Plug
 * Surprise and Capable, Physical Slot Number; LnkCap DLL Link Active Reporting and
 * Surprise Down Reporting; ARI Forwarding Supported; AER and ACS. The slot starts empty
 * with power on and both indicators off. */
int sim_cfg_build_dsp(const struct sim_port_params *pp, struct sim_cfg **out, char *err,
		      size_t errlen);

/* ---- bridges ---------------------------------------------------------------------------- */

void sim_cfg_bridge_set_buses(struct sim_cfg *cfg, uint8_t primary, uint8_t secondary,
			      uint8_t subordinate);
/* Windows (PCI-to-PCI Bridge r1.2 §3.2.5): memory in 1 MiB units, base > limit disables
 * the window; limit is the last byte (0x...fffff). */
void sim_cfg_bridge_set_mem_window(struct sim_cfg *cfg, uint32_t base, uint32_t limit);
void sim_cfg_bridge_set_pref_window(struct sim_cfg *cfg, uint64_t base, uint64_t limit);
void sim_cfg_bridge_set_io_window(struct sim_cfg *cfg, uint32_t base, uint32_t limit);

/* ---- slots and links (PCIe r5.0 §7.5.3.6-§7.5.3.11) ------------------------------------- */

/* Presence Detect State; sets Presence Detect Changed when it changes. */
void sim_cfg_slot_set_presence(struct sim_cfg *cfg, bool present);
/* Link Status of any function with a PCIe cap: Data Link Layer Link Active, negotiated
 * width and speed (0 width = link down). On a DSP a change of DLL Link Active sets Data
 * Link Layer State Changed. */
void sim_cfg_link_set(struct sim_cfg *cfg, bool dll_active, uint8_t width, uint8_t speed);
void sim_cfg_slot_press_button(struct sim_cfg *cfg);   /* Attention Button Pressed */
void sim_cfg_slot_power_fault(struct sim_cfg *cfg);    /* Power Fault Detected */
uint16_t sim_cfg_slot_status(const struct sim_cfg *cfg);
uint16_t sim_cfg_slot_control(const struct sim_cfg *cfg);
/* FMP_SLOT_F_* summary of the slot registers. */
uint16_t sim_cfg_slot_flags(const struct sim_cfg *cfg);
/* Hot-Plug Interrupt Enable set and an enabled event pending (PCIe r5.0 §6.7.3.4):
 * the port would send its interrupt. */
bool sim_cfg_slot_irq_pending(const struct sim_cfg *cfg);

/* ---- SR-IOV ----------------------------------------------------------------------------- */

/* Routing ID of VF vf_index (0-based, as Linux counts) of a PF (PCIe r5.0 §9.3.3.10):
 * (pf_rid + offset + stride * vf_index) mod 2^16. */
uint16_t sim_sriov_vf_rid(uint16_t pf_rid, uint16_t offset, uint16_t stride, uint16_t vf_index);
/* -ENOENT when cfg has no SR-IOV capability. */
int sim_cfg_sriov_state(const struct sim_cfg *cfg, struct sim_sriov_state *st);
/* Where the MSI-X PBA goes in a BAR after a table of `vectors` entries at table_offset:
 * the next 4 KiB boundary if the BAR is big enough, else right after the table. */
uint64_t sim_msix_pba_offset(uint32_t table_offset, uint16_t vectors, uint64_t bar_size);

#endif
