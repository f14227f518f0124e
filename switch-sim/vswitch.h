/* vswitch: one host port's virtual switch as its host sees it — the virtual upstream
 * bridge, one virtual downstream bridge (vPPB) per binding point with its hot-plug slot,
 * bus numbers and memory windows as firmware assigns them, and host-view decoding. */
#ifndef SIM_VSWITCH_H
#define SIM_VSWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config_space.h"
#include "sim.h" /* SIM_USP_BUS, SIM_BUSES_PER_VPPB: the bus layout */

#define SIM_VSWITCH_MAX_VPPB 32 /* device numbers 0..31 on the USP's secondary bus */

/* Memory the "firmware" gives each vPPB: a 32-bit non-prefetchable window and a 64-bit
 * prefetchable one (like a hot-plug resource reservation), split evenly between the up
 * to 8 functions of the device behind it. The USP's windows span all of them. */
#define SIM_VSWITCH_MEM_BASE 0x80000000u
#define SIM_VSWITCH_MEM_PER_VPPB (32u << 20)
#define SIM_VSWITCH_PREF_BASE 0x4000000000ull
#define SIM_VSWITCH_PREF_PER_VPPB (1ull << 30)
#define SIM_VSWITCH_FNS_PER_VPPB 8

struct sim_vswitch_params {
	uint8_t port;  /* host port number (Link Capabilities Port Number of the USP) */
	uint8_t width; /* host link width, lanes */
	uint8_t speed; /* enum fmp_link_speed */
	uint8_t n_vppb;
	uint8_t buses_per_vppb; /* each vPPB's secondary..subordinate span; 0: SIM_BUSES_PER_VPPB */
	uint64_t dsn;  /* Device Serial Number of the upstream port */
	const uint8_t *usp_model, *dsp_model; /* captured switch ports to model the bridges
					       * on (sim_port_params.model), or NULL */
};

struct sim_vswitch;

/* Builds the USP and n_vppb DSPs with buses and windows assigned, the host link up, every
 * slot empty. 0, -EINVAL (n_vppb 0 or above SIM_VSWITCH_MAX_VPPB, bad link, buses past
 * 255) or -ENOMEM, with err. Free with sim_vswitch_free (NULL is a no-op). */
int sim_vswitch_new(const struct sim_vswitch_params *p, struct sim_vswitch **out, char *err,
		    size_t errlen);
void sim_vswitch_free(struct sim_vswitch *vs);

unsigned sim_vswitch_n_vppb(const struct sim_vswitch *vs);
/* The last bus of the view (the USP's subordinate bus). */
uint8_t sim_vswitch_last_bus(const struct sim_vswitch *vs);
/* Buses each vPPB spans (secondary..subordinate) and vPPB vppb's secondary bus. */
unsigned sim_vswitch_buses_per_vppb(const struct sim_vswitch *vs);
uint8_t sim_vswitch_sec_bus(const struct sim_vswitch *vs, unsigned vppb);
const struct sim_cfg *sim_vswitch_usp(const struct sim_vswitch *vs);
const struct sim_cfg *sim_vswitch_dsp(const struct sim_vswitch *vs, unsigned vppb);
bool sim_vswitch_link_up(const struct sim_vswitch *vs);
/* FMP_SLOT_F_* of a vPPB's virtual slot. */
uint16_t sim_vswitch_slot_flags(const struct sim_vswitch *vs, unsigned vppb);

/* Host link up or down: the USP's Link Status. */
void sim_vswitch_set_link(struct sim_vswitch *vs, bool up);

/* The vPPB's virtual slot (PCIe r5.0 §6.7, §7.5.3.10-11), what the switch does and what the
 * simulated host OS answers with Slot Control writes:
 * hot_add: a function arrives — Presence Detect State and DLL Link Active set (their
 *   Changed bits with them), the link trained at width/speed; the host powers the slot on
 *   and lights the power indicator.
 * button: the attention button "pressed" for a managed removal (Attention Button Pressed).
 * host_blink: the host acknowledges the button and blinks the power indicator.
 * host_release: the host powers the slot off and turns the power indicator off.
 * hot_remove: the function leaves — Presence Detect State and DLL Link Active clear (the
 *   Changed bits set), the host powers the slot off if it had not. */
void sim_vswitch_hot_add(struct sim_vswitch *vs, unsigned vppb, uint8_t width, uint8_t speed);
void sim_vswitch_button(struct sim_vswitch *vs, unsigned vppb);
void sim_vswitch_host_blink(struct sim_vswitch *vs, unsigned vppb);
void sim_vswitch_host_release(struct sim_vswitch *vs, unsigned vppb);
void sim_vswitch_hot_remove(struct sim_vswitch *vs, unsigned vppb);

enum sim_vswitch_target {
	SIM_VSWITCH_NONE = 0,   /* nothing of the virtual switch's at that address */
	SIM_VSWITCH_USP = 1,
	SIM_VSWITCH_DSP = 2,    /* *vppb set */
	SIM_VSWITCH_BEHIND = 3, /* below vPPB *vppb: *rid relative to its secondary bus */
};

/* Decodes a host-view bus/devfn. For SIM_VSWITCH_BEHIND, rid = (bus - secondary) << 8 |
 * devfn, the Routing ID relative to function 00.0 of the vPPB's secondary bus. */
enum sim_vswitch_target sim_vswitch_decode(const struct sim_vswitch *vs, uint8_t bus,
					   uint8_t devfn, unsigned *vppb, uint16_t *rid);

/* Firmware resource assignment for function fn_index (0..7) behind a vPPB: writes BAR and
 * Expansion ROM addresses into view (a copy of the function's config space) from the
 * vPPB's windows, sized by the BARs' writable bits (PCIe r5.0 §7.5.1.2.1). Memory BARs
 * that are prefetchable and 64-bit go to the prefetchable window, the rest and the ROM to
 * the non-prefetchable one; I/O BARs stay unassigned (the I/O windows are closed). */
void sim_vswitch_place_bars(const struct sim_vswitch *vs, unsigned vppb, unsigned fn_index,
			    struct sim_cfg *view);

#endif
