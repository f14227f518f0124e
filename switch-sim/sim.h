/* sim: the running chassis — host ports with their virtual switches, slots, cards and
 * their functions, bindings, the hotplug state machines — behind the operations the FMP
 * management endpoint (mgmt.c) and the bench socket (bench.c) perform. Transport-free:
 * this module never touches a socket; it runs timers on the loop for the simulated hosts. */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <fmp/fmp.h>
#include <uv.h>

#include "chassis.h"

/*
 * A host's view (what READ_CONFIG with FMP_CFG_HOST and sim_host_view_dump serve), bus
 * numbers assigned as firmware enumerating depth-first would:
 *   bus 1 (usp_bus)      00.0  virtual upstream bridge (PCIe Upstream Port, type 1 header),
 *                              secondary 2, subordinate = last bus of the view
 *   bus 2                NN.0  one virtual downstream bridge per vPPB, device NN = vPPB
 *                              index (PCIe Downstream Port, Slot Implemented, hot-plug
 *                              capable), secondary = 3 + i * B, subordinate =
 *                              secondary + B - 1: room for a bound PF's VFs, like a
 *                              hot-plug bus reservation. B is the host port's
 *                              buses_per_vppb, by default what the chassis's cards can
 *                              need and at least SIM_BUSES_PER_VPPB (SIM_VPPB_BUS(i) is
 *                              the secondary bus with B = SIM_BUSES_PER_VPPB)
 *   bus 3 + i * B        00.F  the bound function(s): a VF or PF at 00.0; an exclusive
 *                              card's PFs at 00.0 .. 00.(n-1); a bound PF's VFs where
 *                              its First VF Offset and VF Stride put them
 * The host's root port (bus 0) is the host's own and not part of the view.
 */
#define SIM_USP_BUS 1
#define SIM_BUSES_PER_VPPB 4
#define SIM_VPPB_BUS(i) (SIM_USP_BUS + 2 + (i) * SIM_BUSES_PER_VPPB)

struct sim;

struct sim_ops {
	/* A state change every subscriber must hear about, already numbered (seq from 1 per
	 * boot, no gaps) and timestamped. Called synchronously from the operation or timer
	 * that caused it. */
	void (*event)(void *arg, const struct fmp_event *ev);
};

/* Builds the chassis described by cfg (borrowed: it must outlive the sim): every card's
 * PF config space from its profile, one virtual switch per host port with bus numbers
 * assigned as firmware would, slots powered and present where a card sits, host links up.
 * A fresh random boot_id. 0 or -errno with err. */
int sim_new(uv_loop_t *loop, const struct sim_chassis_cfg *cfg, const struct sim_ops *ops,
	    void *arg, struct sim **out, char *err, size_t errlen);
/* Ends pending hotplug handshakes — each callback is called once with FMP_E_INTERNAL,
 * resp NULL — and frees everything once the loop has closed the timers (run the loop
 * after). NULL is a no-op. */
void sim_free(struct sim *s);

/* ---- FMP operations: 0 or a negated FMP status (-FMP_E_NO_SUCH_SLOT ...) ---------------- */

/* Identity, counts, boot_id, event_seq; version and max_payload are left to the caller. */
void sim_hello(const struct sim *s, struct fmp_hello_resp *out);
uint64_t sim_event_seq(const struct sim *s);
uint64_t sim_boot_id(const struct sim *s);

/* The list getters fill arrays allocated with malloc; the caller frees them with free(). */
int sim_get_ports(const struct sim *s, struct fmp_ports_resp *out);
int sim_get_slots(const struct sim *s, struct fmp_slots_resp *out);
int sim_get_card(const struct sim *s, uint16_t slot, struct fmp_card_resp *out);
/* PFs and enabled VFs in (slot, pf, vf) order; cursor is an opaque position (0 = start),
 * stable while the inventory does not change; at most max records (max 0 or above
 * SIM_FUNCTIONS_PAGE_MAX: SIM_FUNCTIONS_PAGE_MAX). -FMP_E_INVALID for a cursor this switch
 * never handed out. */
#define SIM_FUNCTIONS_PAGE_MAX ((FMP_MAX_PAYLOAD_DEFAULT - 6) / 20) /* 20 B per record */
int sim_get_functions(const struct sim *s, uint16_t slot, uint32_t cursor, uint16_t max,
		      struct fmp_functions_resp *out);
int sim_get_vh(const struct sim *s, uint8_t port, struct fmp_vh_resp *out);

/* Reads offset..offset+length of a function's config space (chassis view: a VF's IDs read
 * 0xFFFF) or of a BDF in a host's view (bridges, and bound functions with a VF's identity
 * synthesized: PF vendor, VF device ID, PF subsystem). buf gets length bytes.
 * -FMP_E_NO_SUCH_FUNCTION when nothing answers at that address. */
int sim_read_config(const struct sim *s, const struct fmp_read_config_req *req, uint8_t *buf);

/* SR-IOV NumVFs + VF Enable of a PF (0 disables). -FMP_E_VF_BOUND if any VF of the PF is
 * bound (NumVFs can change only with VF Enable clear, which removes every VF);
 * -FMP_E_INVALID above TotalVFs or for a PF without SR-IOV. Emits FMP_EV_NUM_VFS.
 * Asking for the NumVFs in effect succeeds and changes nothing (no event); -FMP_E_BUSY
 * when the PF itself is bound (its host owns SR-IOV Control: mr-iov, exclusive);
 * -FMP_E_POWER when the slot is off or faulted. */
int sim_set_num_vfs(struct sim *s, uint16_t slot, uint8_t pf, uint16_t num_vfs,
		    struct fmp_set_num_vfs_resp *out);

/* Binds a function to a host port's vPPB (FMP_VPPB_ANY: lowest free; a vPPB index past the
 * port's count is -FMP_E_INVALID). Rules: the function exists (a VF below NumVFs), the
 * slot is powered and not faulted, the host link is up,
 * the sharing mode allows it (sr-iov: VFs only; mr-iov: PFs only, each PF with its VFs;
 * exclusive: the whole card — any PF binds every PF as one multi-function device), the
 * function is not bound elsewhere (-FMP_E_BUSY), what it puts behind the vPPB fits the
 * vPPB's bus range (-FMP_E_BUS_RANGE: a PF whose last VF, First VF Offset + (TotalVFs - 1)
 * x VF Stride in either ARI mode, falls past the subordinate bus), a vPPB is free
 * (-FMP_E_NO_VPPB).
 * Binding what is already bound to that port succeeds and changes nothing (idempotent).
 * On success the vPPB's virtual slot shows presence and DLL active (hot-add) and
 * FMP_EV_BIND_DONE is emitted, one per function (an exclusive card: one per PF). A function
 * in a managed unbind is -FMP_E_IN_PROGRESS. */
int sim_bind(struct sim *s, const struct fmp_bind_req *req, struct fmp_bind_resp *out);

/* Completion of a managed unbind: status 0 (resp valid), FMP_E_TIMEOUT (the host did not
 * release the slot within timeout_ms; the binding stays), or FMP_E_INTERNAL (resp NULL)
 * when the sim is freed meanwhile. */
typedef void (*sim_unbind_cb)(void *arg, int status, const struct fmp_unbind_resp *resp);

/* Unbinds. Surprise: presence and DLL active drop at once; returns 0 with *resp filled.
 * Managed (PCIe hot-plug handshake, PCIe r5.0 §6.7.3): the vPPB's attention button is
 * "pressed" for the host; after the host port's host_response_ms the simulated host OS
 * powers the slot off and the function is released -> cb(0); a host with host_responds:
 * false never does -> cb(FMP_E_TIMEOUT) after timeout_ms (0: 5000). Returns 1 when the
 * answer will come through cb, 0 when done at once, or a negated status
 * (-FMP_E_NOT_BOUND, -FMP_E_IN_PROGRESS if a managed unbind of it is already running,
 * whatever the mode). Emits FMP_EV_UNBIND_DONE when the function is released (one per
 * function). If the function leaves another way while the handshake runs (surprise
 * removal, power off or fault, switch reboot) cb gets 0: it is unbound. */
int sim_unbind(struct sim *s, const struct fmp_unbind_req *req, sim_unbind_cb cb, void *arg,
	       struct fmp_unbind_resp *resp);

/* Host link disable/enable/reset, slot power off/on. Link down surprise-removes nothing
 * (the vPPBs stay bound, as a virtual switch does), but the host sees the link drop and
 * binds are refused; power off releases the card's functions (UNBIND_DONE, reason
 * FMP_EVR_FAULT) and resets the card (FMP_EV_NUM_VFS 0 for PFs that had VFs), and holds
 * the slot off — a card inserted later stays unpowered — until power on. Emits
 * FMP_EV_LINK_STATE on a change (reset of an up link: down then up). */
int sim_port_control(struct sim *s, const struct fmp_port_control_req *req,
		     struct fmp_port_control_resp *out);

/* ---- QoS (FMP_FEAT_QOS): per-function floor and cap, the fluid traffic model ---------- */

/* Sets a function's floor and cap (Mb/s, 0 = none; it need not be bound: the settings are
 * the switch's, kept across bind and unbind, dropped when the function goes — card
 * removed, VFs disabled — and on reboot). The switch does no admission control (the
 * manager's job): floors that do not fit a link are shared max-min and their
 * FMP_QOS_F_FLOOR_HELD clears. -FMP_E_INVALID for a floor above a non-zero cap. Every
 * change of offered load, floor, cap, binding, host link or slot power re-solves the
 * model (qos.h); counters advance at the achieved rate between changes. */
int sim_set_qos(struct sim *s, const struct fmp_qos_set_req *req, struct fmp_qos_set_req *out);
/* The function's settings and counters now: bytes computed from the last change's
 * timestamp (no timer runs), time_ns CLOCK_REALTIME. */
int sim_get_qos(const struct sim *s, const struct fmp_fn_addr *fn, struct fmp_qos_get_resp *out);

/* ---- bench: what a person does to the hardware ----------------------------------------- */

/* Inserts a card (profile from the chassis's profiles dir, serial as "00-1b-..." or a
 * number, name may be NULL) into an empty slot (unpowered while empty): presence, then
 * power and link unless PORT_CONTROL holds the slot off; FMP_EV_SLOT_PRESENCE
 * detail 1 (reason managed). 0 or -errno with err: -ENOENT (no slot, no profile), -EBUSY
 * (occupied), -EINVAL (serial, name), -EEXIST (serial or name in use), -ENOSPC (the card's
 * routing IDs need more chassis buses than the slot has). */
int sim_bench_insert(struct sim *s, uint16_t slot, const char *profile, const char *serial,
		     const char *name, char *err, size_t errlen);
/* Removes a card. surprise: at once, every bound function released (UNBIND_DONE reason
 * surprise) then SLOT_PRESENCE 0. Orderly: refused with -EBUSY while any function is bound
 * (an operator first presses the button and lets the manager unassign), otherwise the
 * card goes. */
int sim_bench_remove(struct sim *s, uint16_t slot, bool surprise, char *err, size_t errlen);
/* Attention button pressed on a slot: FMP_EV_ATTN_BUTTON (the manager decides). */
int sim_bench_button(struct sim *s, uint16_t slot, char *err, size_t errlen);
/* Host link up/down (cable pulled, host rebooted). */
int sim_bench_link(struct sim *s, uint8_t port, bool up, char *err, size_t errlen);
/* Power fault in a slot: FMP_EV_POWER_FAULT, power off, functions released. */
int sim_bench_fault(struct sim *s, uint16_t slot, char *err, size_t errlen);
/* Switch reboot: every binding dropped, NumVFs back to 0, new boot_id, event seq restarts,
 * FMP_EV_SWITCH_RESET. (mgmt.c closes every manager connection after this.) The reset is
 * event 1 of the new boot and the only event of the reboot (reason FMP_EVR_RESET; no
 * UNBIND_DONE for the dropped bindings). Cards stay, power faults clear, host links up. */
int sim_bench_reboot(struct sim *s, char *err, size_t errlen);
/* The load a host offers through one of its bindings, in Gb/s (0..SIM_TRAFFIC_MAX_GBPS):
 * -ENOENT (no port, no function), -EINVAL (not bound to that port, a bad number). */
#define SIM_TRAFFIC_MAX_GBPS 100000
int sim_bench_traffic(struct sim *s, uint8_t port, const struct fmp_fn_addr *fn, double gbps,
		      char *err, size_t errlen);
/* Host response of a host port for managed unbinds (ms; responds false = never). */
int sim_bench_host(struct sim *s, uint8_t port, bool responds, uint32_t response_ms, char *err,
		   size_t errlen);

/* A configuration write by the simulated host itself (what its PF driver does, setpci):
 * size 1, 2 or 4 bytes at off of bus/devfn in the host's view. Only a PF bound to that
 * host (exclusive, mr-iov) takes it, through its write masks: read-only bits stay, RW1C
 * bits clear, SR-IOV rules hold (NumVFs changes only with VF Enable clear). When the VFs
 * in effect change (VF Enable, NumVFs) they appear in or leave the host view and
 * FMP_EV_NUM_VFS is emitted (port and vPPB set). readback (may be NULL) gets the register
 * after the write. 0 or -errno with err: -ENOENT (port), -EPERM (not a bound PF), -EIO
 * (slot off), -EINVAL (size, alignment, offset). */
int sim_host_write_config(struct sim *s, uint8_t port, uint8_t bus, uint8_t devfn,
			  unsigned off, unsigned size, uint32_t val, uint32_t *readback,
			  char *err, size_t errlen);

/* The whole view of one host port in `lspci -xxxx` text (upstream bridge, downstream
 * bridges, bound functions, and the VFs a bound PF has enabled, with a bound VF's
 * identity), for `lspci -F`. */
int sim_host_view_dump(const struct sim *s, uint8_t port, FILE *out, char *err, size_t errlen);

/* Port number by the host port's name, for bench commands: -1 if none. */
int sim_port_by_name(const struct sim *s, const char *name);
/* Slot number by a card's name ("nic0"), for bench commands: -1 if none. */
int sim_slot_by_card_name(const struct sim *s, const char *name);

#endif
