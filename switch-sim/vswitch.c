/* vswitch: the virtual switch of one host port (DESIGN.md "What the simulator must get
 * right"): type-1 upstream and downstream bridges, firmware-style bus and window
 * assignment, the vPPBs' hot-plug slot registers and host-view address decoding. */
#include "vswitch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pci/pci.h>

#include "errbuf.h"

struct sim_vswitch {
	struct sim_vswitch_params p;
	bool link_up;
	struct sim_cfg *usp;
	struct sim_cfg *dsp[SIM_VSWITCH_MAX_VPPB];
};

/* Bus numbers as firmware assigns them depth-first (sim.h): vPPB i's secondary bus and
 * the last bus of the view, for a given reservation per vPPB. */
static unsigned sec_bus(unsigned per, unsigned i)
{
	return SIM_USP_BUS + 2 + i * per;
}

static unsigned last_bus(unsigned per, unsigned n_vppb)
{
	return sec_bus(per, n_vppb - 1) + per - 1;
}

/* What firmware leaves in a bridge's Command register once its windows are programmed:
 * Memory Space and Bus Master Enable (PCI-to-PCI Bridge r1.2 §3.2.2). A config write,
 * so only the implemented bits stick. */
static void firmware_enable(struct sim_cfg *br)
{
	sim_cfg_write(br, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
}

int sim_vswitch_new(const struct sim_vswitch_params *p, struct sim_vswitch **out, char *err,
		    size_t errlen)
{
	struct sim_port_params pp = { 0 };
	struct sim_vswitch *vs;
	unsigned i, per;
	int rc;

	*out = NULL;
	if (!p->n_vppb || p->n_vppb > SIM_VSWITCH_MAX_VPPB) {
		fab_seterr(err, errlen, "host port %u: %u vPPBs (1..%u)", p->port, p->n_vppb,
			   SIM_VSWITCH_MAX_VPPB);
		return -EINVAL;
	}
	per = p->buses_per_vppb ? p->buses_per_vppb : SIM_BUSES_PER_VPPB;
	if (last_bus(per, p->n_vppb) > 255) {
		fab_seterr(err, errlen,
			   "host port %u: %u vPPBs of %u buses each need buses %u..%u; the view "
			   "has buses up to 255", p->port, p->n_vppb, per, SIM_USP_BUS,
			   last_bus(per, p->n_vppb));
		return -EINVAL;
	}
	vs = calloc(1, sizeof(*vs));
	if (!vs) {
		fab_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	vs->p = *p;
	vs->p.buses_per_vppb = (uint8_t)per;
	pp.port_number = p->port;
	pp.width = p->width;
	pp.speed = p->speed;
	pp.dsn = p->dsn;
	pp.model = p->usp_model;
	rc = sim_cfg_build_usp(&pp, &vs->usp, err, errlen);
	if (rc)
		goto err_free;
	sim_cfg_bridge_set_buses(vs->usp, SIM_USP_BUS, SIM_USP_BUS + 1,
				 (uint8_t)last_bus(per, p->n_vppb));
	sim_cfg_bridge_set_mem_window(vs->usp, SIM_VSWITCH_MEM_BASE,
				      SIM_VSWITCH_MEM_BASE +
					      p->n_vppb * SIM_VSWITCH_MEM_PER_VPPB - 1);
	sim_cfg_bridge_set_pref_window(vs->usp, SIM_VSWITCH_PREF_BASE,
				       SIM_VSWITCH_PREF_BASE +
					       p->n_vppb * SIM_VSWITCH_PREF_PER_VPPB - 1);
	firmware_enable(vs->usp);
	for (i = 0; i < p->n_vppb; i++) {
		uint32_t mem = SIM_VSWITCH_MEM_BASE + i * SIM_VSWITCH_MEM_PER_VPPB;
		uint64_t pref = SIM_VSWITCH_PREF_BASE + i * SIM_VSWITCH_PREF_PER_VPPB;

		/* Link Capabilities Port Number = vPPB index; Physical Slot Number = index + 1,
		 * unique within this host's hierarchy (PCIe r5.0 §7.5.3.9). */
		pp.port_number = (uint8_t)i;
		pp.slot = (uint16_t)(i + 1);
		pp.dsn = p->dsn; /* used only by a dsp_model with a DSN capability */
		pp.model = p->dsp_model;
		rc = sim_cfg_build_dsp(&pp, &vs->dsp[i], err, errlen);
		if (rc)
			goto err_free;
		sim_cfg_bridge_set_buses(vs->dsp[i], SIM_USP_BUS + 1, (uint8_t)sec_bus(per, i),
					 (uint8_t)(sec_bus(per, i) + per - 1));
		sim_cfg_bridge_set_mem_window(vs->dsp[i], mem, mem + SIM_VSWITCH_MEM_PER_VPPB - 1);
		sim_cfg_bridge_set_pref_window(vs->dsp[i], pref,
					       pref + SIM_VSWITCH_PREF_PER_VPPB - 1);
		firmware_enable(vs->dsp[i]);
	}
	sim_vswitch_set_link(vs, true);
	*out = vs;
	return 0;

err_free:
	sim_vswitch_free(vs);
	return rc;
}

void sim_vswitch_free(struct sim_vswitch *vs)
{
	unsigned i;

	if (!vs)
		return;
	for (i = 0; i < SIM_VSWITCH_MAX_VPPB; i++)
		sim_cfg_free(vs->dsp[i]);
	sim_cfg_free(vs->usp);
	free(vs);
}

unsigned sim_vswitch_n_vppb(const struct sim_vswitch *vs)
{
	return vs->p.n_vppb;
}

uint8_t sim_vswitch_last_bus(const struct sim_vswitch *vs)
{
	return (uint8_t)last_bus(vs->p.buses_per_vppb, vs->p.n_vppb);
}

unsigned sim_vswitch_buses_per_vppb(const struct sim_vswitch *vs)
{
	return vs->p.buses_per_vppb;
}

uint8_t sim_vswitch_sec_bus(const struct sim_vswitch *vs, unsigned vppb)
{
	return (uint8_t)sec_bus(vs->p.buses_per_vppb, vppb);
}

const struct sim_cfg *sim_vswitch_usp(const struct sim_vswitch *vs)
{
	return vs->usp;
}

const struct sim_cfg *sim_vswitch_dsp(const struct sim_vswitch *vs, unsigned vppb)
{
	return vppb < vs->p.n_vppb ? vs->dsp[vppb] : NULL;
}

bool sim_vswitch_link_up(const struct sim_vswitch *vs)
{
	return vs->link_up;
}

uint16_t sim_vswitch_slot_flags(const struct sim_vswitch *vs, unsigned vppb)
{
	return vppb < vs->p.n_vppb ? sim_cfg_slot_flags(vs->dsp[vppb]) : 0;
}

void sim_vswitch_set_link(struct sim_vswitch *vs, bool up)
{
	vs->link_up = up;
	/* Link Status of the upstream port (§7.5.3.8): width 0 while the link is down */
	sim_cfg_link_set(vs->usp, up, up ? vs->p.width : 0, vs->p.speed);
}

/* ---- virtual slots ---------------------------------------------------------------------- */

/* The host OS writing Slot Control (§7.5.3.10): clear then set bits of its current value. */
static void host_sltctl(struct sim_cfg *dsp, uint16_t clear, uint16_t set)
{
	unsigned e = sim_cfg_find_cap(dsp, PCI_CAP_ID_EXP);
	uint16_t ctl = sim_cfg_slot_control(dsp);

	if (e)
		sim_cfg_write(dsp, e + PCI_EXP_SLTCTL, 2, (uint16_t)((ctl & ~clear) | set));
}

/* The host OS clearing Slot Status event bits (RW1C, §7.5.3.11). */
static void host_sltsta_ack(struct sim_cfg *dsp, uint16_t bits)
{
	unsigned e = sim_cfg_find_cap(dsp, PCI_CAP_ID_EXP);

	if (e)
		sim_cfg_write(dsp, e + PCI_EXP_SLTSTA, 2, bits);
}

static uint8_t min8(uint8_t a, uint8_t b)
{
	return a < b ? a : b;
}

void sim_vswitch_hot_add(struct sim_vswitch *vs, unsigned vppb, uint8_t width, uint8_t speed)
{
	struct sim_cfg *dsp;

	if (vppb >= vs->p.n_vppb)
		return;
	dsp = vs->dsp[vppb];
	sim_cfg_slot_set_presence(dsp, true);
	/* the link trains at what both ends support (§4.2.6) */
	sim_cfg_link_set(dsp, true, min8(width, vs->p.width), min8(speed, vs->p.speed));
	/* pciehp's answer to Presence Detect Changed: slot power on, power indicator on */
	host_sltctl(dsp, PCI_EXP_SLTCTL_PWRC | PCI_EXP_SLTCTL_PWRI | PCI_EXP_SLTCTL_ATNI,
		    SIM_SLTCTL_PWR_IND_ON | SIM_SLTCTL_ATTN_OFF);
}

void sim_vswitch_button(struct sim_vswitch *vs, unsigned vppb)
{
	if (vppb < vs->p.n_vppb)
		sim_cfg_slot_press_button(vs->dsp[vppb]);
}

void sim_vswitch_host_blink(struct sim_vswitch *vs, unsigned vppb)
{
	if (vppb >= vs->p.n_vppb)
		return;
	/* §6.7.1.5: the power indicator blinks while the removal can still be aborted */
	host_sltsta_ack(vs->dsp[vppb], PCI_EXP_SLTSTA_ATNB);
	host_sltctl(vs->dsp[vppb], PCI_EXP_SLTCTL_PWRI, SIM_SLTCTL_PWR_IND_BLINK);
}

void sim_vswitch_host_release(struct sim_vswitch *vs, unsigned vppb)
{
	if (vppb >= vs->p.n_vppb)
		return;
	/* Power Controller Control 1 = off, power indicator off (§7.5.3.10) */
	host_sltctl(vs->dsp[vppb], PCI_EXP_SLTCTL_PWRI,
		    PCI_EXP_SLTCTL_PWRC | SIM_SLTCTL_PWR_IND_OFF);
}

void sim_vswitch_hot_remove(struct sim_vswitch *vs, unsigned vppb)
{
	struct sim_cfg *dsp;

	if (vppb >= vs->p.n_vppb)
		return;
	dsp = vs->dsp[vppb];
	sim_cfg_slot_set_presence(dsp, false);
	sim_cfg_link_set(dsp, false, 0, vs->p.speed);
	if (!(sim_cfg_slot_control(dsp) & PCI_EXP_SLTCTL_PWRC))
		sim_vswitch_host_release(vs, vppb);
}

/* ---- host-view addresses ---------------------------------------------------------------- */

enum sim_vswitch_target sim_vswitch_decode(const struct sim_vswitch *vs, uint8_t bus,
					   uint8_t devfn, unsigned *vppb, uint16_t *rid)
{
	unsigned i;

	if (bus == SIM_USP_BUS)
		return devfn == 0 ? SIM_VSWITCH_USP : SIM_VSWITCH_NONE;
	if (bus == SIM_USP_BUS + 1) {
		if (PCI_FUNC(devfn) || PCI_SLOT(devfn) >= vs->p.n_vppb)
			return SIM_VSWITCH_NONE;
		*vppb = PCI_SLOT(devfn);
		return SIM_VSWITCH_DSP;
	}
	if (bus < sec_bus(vs->p.buses_per_vppb, 0) ||
	    bus > last_bus(vs->p.buses_per_vppb, vs->p.n_vppb))
		return SIM_VSWITCH_NONE;
	i = (bus - sec_bus(vs->p.buses_per_vppb, 0)) / vs->p.buses_per_vppb;
	*vppb = i;
	*rid = (uint16_t)((bus - sec_bus(vs->p.buses_per_vppb, i)) << 8 | devfn);
	return SIM_VSWITCH_BEHIND;
}

struct bar_req {
	unsigned off;  /* register: a BAR or the Expansion ROM */
	uint64_t size;
	bool is64, pref, rom;
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Places the requests largest first (so natural alignment wastes nothing) in [base,
 * base + len); what does not fit stays unassigned, as firmware leaves it. */
static void place(struct sim_cfg *view, struct bar_req *r, unsigned n, uint64_t base,
		  uint64_t len)
{
	uint64_t at = base;
	unsigned i, j;

	for (i = 1; i < n; i++)
		for (j = i; j > 0 && r[j].size > r[j - 1].size; j--) {
			struct bar_req t = r[j];

			r[j] = r[j - 1];
			r[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		uint64_t a = align_up(at, r[i].size);
		uint32_t lo = sim_cfg_read32(view, r[i].off);

		if (a + r[i].size > base + len)
			continue;
		if (r[i].rom) {
			sim_cfg_set32(view, r[i].off,
				      (uint32_t)a | (lo & PCI_ROM_ADDRESS_ENABLE));
		} else {
			sim_cfg_set32(view, r[i].off,
				      (uint32_t)a | (lo & (uint32_t)~PCI_BASE_ADDRESS_MEM_MASK));
			if (r[i].is64)
				sim_cfg_set32(view, r[i].off + 4, (uint32_t)(a >> 32));
		}
		at = a + r[i].size;
	}
}

void sim_vswitch_place_bars(const struct sim_vswitch *vs, unsigned vppb, unsigned fn_index,
			    struct sim_cfg *view)
{
	struct bar_req mem[7], pref[6]; /* six BARs and the ROM */
	unsigned n_mem = 0, n_pref = 0, i;
	uint64_t mem_part = SIM_VSWITCH_MEM_PER_VPPB / SIM_VSWITCH_FNS_PER_VPPB;
	uint64_t pref_part = SIM_VSWITCH_PREF_PER_VPPB / SIM_VSWITCH_FNS_PER_VPPB;
	uint32_t rom_mask;

	if (vppb >= vs->p.n_vppb || fn_index >= SIM_VSWITCH_FNS_PER_VPPB)
		return;
	/* BAR sizing (§7.5.1.2.1): the writable address bits give the size */
	for (i = 0; i < 6; i++) {
		unsigned off = PCI_BASE_ADDRESS_0 + 4 * i;
		uint32_t v = sim_cfg_read32(view, off);
		uint64_t mask = sim_cfg_writable_mask(view, off, 4);
		struct bar_req r = { .off = off };

		if (v & PCI_BASE_ADDRESS_SPACE_IO)
			continue;
		r.is64 = (v & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64 &&
			 i < 5;
		r.pref = v & PCI_BASE_ADDRESS_MEM_PREFETCH;
		mask &= PCI_BASE_ADDRESS_MEM_MASK;
		if (r.is64) {
			mask |= (uint64_t)sim_cfg_writable_mask(view, off + 4, 4) << 32;
			i++;
			if (!mask)
				continue; /* not sizable: a captured BAR kept read-only */
			r.size = ~mask + 1;
		} else {
			if (!mask)
				continue;
			r.size = (uint64_t)(uint32_t)~mask + 1;
		}
		/* a prefetchable window above 4 GiB only takes 64-bit BARs */
		if (r.pref && r.is64)
			pref[n_pref++] = r;
		else
			mem[n_mem++] = r;
	}
	rom_mask = sim_cfg_writable_mask(view, PCI_ROM_ADDRESS, 4) & (uint32_t)PCI_ROM_ADDRESS_MASK;
	if (rom_mask) {
		struct bar_req r = { .off = PCI_ROM_ADDRESS, .rom = true };

		r.size = (uint64_t)(uint32_t)~rom_mask + 1;
		mem[n_mem++] = r;
	}
	place(view, mem, n_mem, SIM_VSWITCH_MEM_BASE + vppb * (uint64_t)SIM_VSWITCH_MEM_PER_VPPB +
					fn_index * mem_part, mem_part);
	place(view, pref, n_pref, SIM_VSWITCH_PREF_BASE + vppb * SIM_VSWITCH_PREF_PER_VPPB +
					  fn_index * pref_part, pref_part);
}
