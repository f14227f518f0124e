/* inventory: fabricd's picture of each chassis — host ports, slots, cards, functions and
 * what the switch reports bound — built from FMP discovery answers, with O(1) lookup of
 * every name an operator types ("nic0/pf0/vf3", "slot1/pf0", "web1", "rack1:nic0"). */
#ifndef FM_INVENTORY_H
#define FM_INVENTORY_H

#include <stdbool.h>
#include <stdint.h>
#include <fmp/fmp.h>

#define FM_NAME_MAX 64
#define FM_FN_NAME_MAX 96
/* More VFs per PF than any shipping device has (SR-IOV allows 65535): a switch that
 * claims more is refused rather than trusted with the daemon's memory. */
#define FM_INV_MAX_VFS 4096

struct fm_inv;
struct fm_index;
struct fm_chassis;
struct fm_card;

struct fm_host {
	struct fm_chassis *chassis;
	char name[FM_NAME_MAX];    /* operator's name (fabric.yaml may rename the switch's) */
	char sw_name[FM_NAME_MAX]; /* the switch's name of the port */
	uint8_t port;
	bool link_up;
	uint8_t width, speed, n_vppb, usp_bus;
	/* per vPPB, from GET_VH: what the switch says is there */
	struct fmp_vppb_info vppb[32];
	uint8_t n_vppb_known;
};

struct fm_fn {
	struct fm_card *card;
	uint8_t pf;
	uint16_t vf;                /* FMP_VF_NONE for the PF */
	char name[FM_FN_NAME_MAX];  /* "nic0/pf0/vf3" */
	uint16_t rid;
	uint16_t vendor, device;
	uint32_t class_code;
	bool enabled;               /* PF, or VF below NumVFs */
	/* switch truth (GET_FUNCTIONS, GET_VH, events) */
	uint8_t sw_state;           /* enum fmp_bind_state */
	uint8_t sw_port;            /* FMP_PORT_NONE */
	uint8_t sw_vppb;
	/* engine bookkeeping: an operation on this function is running */
	bool busy;
	void *waiters;              /* engine-owned FIFO of queued operations */
};

struct fm_pf {
	uint16_t device;
	uint16_t total_vfs, num_vfs, vf_device, vf_offset, vf_stride;
	struct fm_fn *fns;          /* [0] = the PF, [1 + i] = VF i */
	char device_name[128];
	char vf_device_name[128];
	bool decoded;               /* config space read and decoded with libpci */
	bool has_sriov_cap;
	uint64_t dsn_cfg;           /* DSN read from config space (0 if none) */
	/* the card's own link as this PF's Link Status reports it (enum fmp_link_speed);
	 * 0, 0 until its config space is decoded */
	uint8_t link_width, link_speed;
};

struct fm_card {
	struct fm_chassis *chassis;
	uint16_t slot;
	char name[FM_NAME_MAX];     /* "nic0", or "slotK" when the chassis names none */
	char profile[FM_NAME_MAX];
	char serial[32];            /* DSN as "00-1b-21-ff-ff-2b-46-e0" (the binding key) */
	uint64_t dsn;
	uint8_t sharing;            /* enum fmp_sharing */
	uint16_t vendor, subsys_vendor, subsys_device;
	uint32_t class_code;
	char vendor_name[128];
	char class_name[128];
	uint8_t n_pfs;
	struct fm_pf pfs[FMP_MAX_PFS];
};

struct fm_slot {
	uint16_t slot;
	uint16_t flags; /* FMP_SLOT_F_* */
	char label[FMP_NAME_MAX];
	struct fm_card *card;
};

struct fm_chassis {
	struct fm_inv *inv;
	char name[FM_NAME_MAX];
	void *link;           /* struct fm_switch *, owned by the daemon */
	bool discovered;      /* inventory complete since the last (re)connect */
	bool stale;           /* an event arrived while discovery ran: read again */
	uint64_t boot_id;
	uint32_t generation;  /* bumped on every reset of the inventory */
	struct fmp_hello_resp hello;
	struct fm_host *hosts;
	unsigned n_hosts;
	struct fm_slot *slots;
	unsigned n_slots;
	unsigned n_functions;
	struct fm_index *names; /* "nic0/pf0/vf3", "slot1/pf0", "nic0", "web1" -> objects */
};

/* Host renames from fabric.yaml: (chassis, switch port name or number) -> host name. */
typedef const char *(*fm_inv_host_name_fn)(void *arg, const char *chassis, uint8_t port,
					   const char *sw_name);

struct fm_inv *fm_inv_new(fm_inv_host_name_fn rename, void *rename_arg);
void fm_inv_free(struct fm_inv *inv);

/* Chassis are created from fabric.yaml, in order, and live as long as the inventory. */
struct fm_chassis *fm_inv_add_chassis(struct fm_inv *inv, const char *name);
unsigned fm_inv_chassis_count(const struct fm_inv *inv);
struct fm_chassis *fm_inv_chassis_at(const struct fm_inv *inv, unsigned i);
struct fm_chassis *fm_inv_chassis(const struct fm_inv *inv, const char *name);

/* Forgets everything learnt from the switch (on connection loss or switch reset). */
void fm_inv_reset(struct fm_chassis *ch);

/* Discovery steps, fed with the switch's answers in this order. Each returns 0 or
 * -ENOMEM / -EINVAL (err says what). */
int fm_inv_set_ports(struct fm_chassis *ch, const struct fmp_ports_resp *r, char *err,
		     size_t errlen);
int fm_inv_set_slots(struct fm_chassis *ch, const struct fmp_slots_resp *r, char *err,
		     size_t errlen);
/* A card in a slot: creates its functions (every PF, and every VF up to TotalVFs). */
int fm_inv_set_card(struct fm_chassis *ch, const struct fmp_card_resp *r, char *err,
		    size_t errlen);
/* Switch-side facts of one function (GET_FUNCTIONS record). Unknown functions ignored. */
void fm_inv_update_function(struct fm_chassis *ch, const struct fmp_function_info *f);
/* The vPPBs of one host port (GET_VH). */
void fm_inv_set_vh(struct fm_chassis *ch, const struct fmp_vh_resp *r);
/* Removes the card of a slot (card pulled); its functions are gone. */
void fm_inv_remove_card(struct fm_chassis *ch, uint16_t slot);

/* Lookups. Names may carry "CHASSIS:"; without it every chassis is tried and a name found
 * in more than one is ambiguous (*ambiguous set, NULL returned). */
struct fm_fn *fm_inv_find_fn(const struct fm_inv *inv, const char *name, bool *ambiguous);
struct fm_card *fm_inv_find_card(const struct fm_inv *inv, const char *name, bool *ambiguous);
struct fm_host *fm_inv_find_host(const struct fm_inv *inv, const char *name, bool *ambiguous);
struct fm_host *fm_inv_host_by_port(const struct fm_chassis *ch, uint8_t port);
/* True when name carries a "CHASSIS:" prefix that names no chassis (the caller answers
 * no-such-chassis rather than a missing function, card or host). */
bool fm_inv_prefix_unknown(const struct fm_inv *inv, const char *name);
struct fm_card *fm_inv_card_by_slot(const struct fm_chassis *ch, uint16_t slot);
struct fm_slot *fm_inv_slot(const struct fm_chassis *ch, uint16_t slot);
struct fm_card *fm_inv_card_by_serial(const struct fm_chassis *ch, const char *serial);
struct fm_fn *fm_inv_fn_at(const struct fm_card *card, uint8_t pf, uint16_t vf);
struct fm_fn *fm_inv_fn_by_addr(const struct fm_chassis *ch, const struct fmp_fn_addr *a);

/* Number of functions (PFs + possible VFs) of a card. */
unsigned fm_card_fn_count(const struct fm_card *card);
/* The binding that holds fn, as (pf, vf) with vf -1 for a PF: an exclusive card moves
 * whole, so every function of it is held by pf0's binding (0, -1). */
void fm_fn_binding_pf_vf(const struct fm_fn *fn, int *pf, int *vf);
/* The fmp address of a function. */
struct fmp_fn_addr fm_fn_addr(const struct fm_fn *fn);
/* Free vPPBs of a host according to the switch. */
unsigned fm_host_free_vppbs(const struct fm_host *h);

#endif
