/* fake_switch: an in-process FMP switch for unit tests of fabricd's modules. It listens on a
 * unix socket in the caller's directory, on the caller's libuv loop, and answers from a
 * scripted inventory (host ports, slots, cards) that the test builds and inspects. Hooks let
 * a test inject a status, count requests, delay managed unbinds, emit events, drop the
 * connection and "reboot" the switch (bindings lost, NumVFs back to their initial values). */
#ifndef FAKE_SWITCH_H
#define FAKE_SWITCH_H

#include <stdbool.h>
#include <stdint.h>
#include <fmp/fmp.h>
#include <uv.h>

#define FAKE_MAX_PORTS 8
#define FAKE_MAX_SLOTS 8
#define FAKE_MAX_VFS 64
#define FAKE_MAX_VPPB 32
#define FAKE_OPCODES 0x70 /* every FMP opcode is below this */

/* Managed UNBIND answered right away (0), after ms, or never: the fake then answers
 * FMP_E_TIMEOUT itself after the request's timeout_ms (its default when 0). */
#define FAKE_UNBIND_NEVER (-1)
#define FAKE_UNBIND_DEFAULT_TIMEOUT_MS 1000

struct fake_port {
	bool present;
	uint8_t port;
	char name[FMP_NAME_MAX];
	bool link_up;
	uint8_t n_vppb;
	uint8_t usp_bus;
};

/* Where one function is bound: state is enum fmp_bind_state. */
struct fake_binding {
	uint8_t state;
	uint8_t port, vppb;
	uint32_t min_mbps, max_mbps; /* SET_QOS; kept across bind and unbind, lost on reboot */
};

struct fake_pf {
	uint16_t device;
	uint16_t total_vfs, num_vfs, initial_num_vfs;
	uint16_t vf_device;
	struct fake_binding pf;                 /* the PF itself */
	struct fake_binding vf[FAKE_MAX_VFS];
};

struct fake_card {
	bool present;
	char name[FMP_NAME_MAX];
	char profile[FMP_NAME_MAX];
	uint8_t sharing; /* enum fmp_sharing */
	uint16_t vendor, subsys_vendor, subsys_device;
	uint32_t class_code;
	uint64_t dsn;
	uint8_t n_pfs;
	struct fake_pf pfs[FMP_MAX_PFS];
	const uint8_t *config; /* 4 KiB for every PF (READ_CONFIG), or NULL: synthesized */
};

struct fake_slot {
	bool present; /* the slot exists */
	uint16_t slot;
	char label[FMP_NAME_MAX];
	struct fake_card card;
};

struct fake_switch;

/* Listens on "DIR/fake-switch.sock". NULL on failure. */
struct fake_switch *fake_switch_new(uv_loop_t *loop, const char *dir);
/* Closes the server, every connection and timer; the memory goes once the loop has run.
 * NULL is a no-op. */
void fake_switch_free(struct fake_switch *fs);
/* "unix:DIR/fake-switch.sock", for fabric.yaml. */
const char *fake_switch_endpoint(const struct fake_switch *fs);

/* The scripted inventory; tests may change it directly between requests. */
struct fake_port *fake_switch_port(struct fake_switch *fs, unsigned i);
struct fake_slot *fake_switch_slot(struct fake_switch *fs, unsigned i);
struct fake_card *fake_switch_card(struct fake_switch *fs, uint16_t slot); /* NULL: empty */

/* The standard test chassis "rack1":
 *   port 0 web1 (up, 4 vPPBs), port 1 web2 (up, 4), port 2 web3 (link down, 4),
 *   port 3 web4 (up, 1 vPPB);
 *   slot 1 nic0: sr-iov Intel 82576, 2 PFs x TotalVFs 8 (pf0 NumVFs 0, pf1 NumVFs 2),
 *     config space from tests/data/cards/nic-intel-82576-pf-sriov.lspci;
 *   slot 2 raid0: exclusive RAID card, 2 PFs (pf0 has TotalVFs 2, NumVFs 2);
 *   slot 3 mr0: mr-iov card, 2 PFs x TotalVFs 4 (NumVFs 4);
 *   slot 4: empty. */
void fake_switch_default_inventory(struct fake_switch *fs);
#define FAKE_DSN_NIC0 0x001b21ffff2b46e0ull
#define FAKE_DSN_RAID0 0x0050c2ffff001234ull
#define FAKE_DSN_MR0 0x0002c9ffff00abcdull

/* Binds a function as if another manager had (no event). vppb FMP_VPPB_ANY: the lowest
 * free. Returns the vPPB or -1. For an exclusive card, the whole card. */
int fake_switch_bind(struct fake_switch *fs, uint16_t slot, uint8_t pf, uint16_t vf,
		     uint8_t port, uint8_t vppb);
/* The switch's bind state of a function (enum fmp_bind_state); port/vppb may be NULL. */
uint8_t fake_switch_state(struct fake_switch *fs, uint16_t slot, uint8_t pf, uint16_t vf,
			  uint8_t *port, uint8_t *vppb);
/* Number of bound functions (an exclusive card counts once). */
unsigned fake_switch_bound_count(struct fake_switch *fs);

/* Bench actions with their events: a surprise pull (bindings dropped, UNBIND_DONE for each,
 * then SLOT_PRESENCE 0) and an insertion (SLOT_PRESENCE 1; the card comes unbound with its
 * initial NumVFs). pull copies the card out to *out when out is not NULL. 0 or -1. */
int fake_switch_pull(struct fake_switch *fs, uint16_t slot, struct fake_card *out);
int fake_switch_insert(struct fake_switch *fs, uint16_t slot, const struct fake_card *card);

/* Hooks. */
void fake_switch_inject(struct fake_switch *fs, uint16_t opcode, uint16_t status); /* next one */
/* The next n requests of opcode are answered status / get no answer at all (a fault). */
void fake_switch_inject_n(struct fake_switch *fs, uint16_t opcode, uint16_t status, unsigned n);
void fake_switch_drop_answers(struct fake_switch *fs, uint16_t opcode, unsigned n);
unsigned fake_switch_count(const struct fake_switch *fs, uint16_t opcode);
void fake_switch_reset_counts(struct fake_switch *fs);
/* The last request of an opcode (decoded; arrays not kept), or NULL if none yet. */
const struct fmp_msg *fake_switch_last(const struct fake_switch *fs, uint16_t opcode);
void fake_switch_set_unbind_delay(struct fake_switch *fs, int ms); /* or FAKE_UNBIND_NEVER */
/* Answers of an opcode: sent (OFF), kept until fake_switch_release (ANSWER), or never sent
 * (DROP). The request itself is carried out either way: what a delayed or lost answer is. */
enum fake_hold { FAKE_HOLD_OFF, FAKE_HOLD_ANSWER, FAKE_HOLD_DROP };
void fake_switch_hold(struct fake_switch *fs, uint16_t opcode, enum fake_hold mode);
/* Sends the kept answers of opcode, in order, and stops holding it. Returns how many. */
unsigned fake_switch_release(struct fake_switch *fs, uint16_t opcode);
unsigned fake_switch_held(const struct fake_switch *fs, uint16_t opcode);
/* Sends ev (seq and time filled in) to every subscribed connection. */
void fake_switch_emit(struct fake_switch *fs, const struct fmp_event *ev);
/* Whether BIND/UNBIND/SET_NUM_VFS also emit their events (default true). */
void fake_switch_set_op_events(struct fake_switch *fs, bool on);
/* Closes every manager connection (the switch stays up, bindings kept). */
void fake_switch_drop(struct fake_switch *fs);
/* A switch reboot: connections dropped, bindings lost, NumVFs back to the initial values,
 * a new boot_id, event seq from 0. */
void fake_switch_reboot(struct fake_switch *fs);
/* Connections currently open / subscribed; managed unbinds waiting. */
unsigned fake_switch_connections(const struct fake_switch *fs);
unsigned fake_switch_subscribed(const struct fake_switch *fs);
unsigned fake_switch_unbinds_waiting(const struct fake_switch *fs);
/* The optional features the fake serves (FMP_FEAT_*, default FMP_FEATURES_ALL), AND-ed
 * with a client's in HELLO; SET_QOS/GET_QOS are FMP_E_UNSUPPORTED on a connection without
 * FMP_FEAT_QOS. Takes effect at the next HELLO. */
void fake_switch_set_features(struct fake_switch *fs, uint16_t features);
/* A function's QoS as set by SET_QOS (false: no such function). */
bool fake_switch_qos(struct fake_switch *fs, uint16_t slot, uint8_t pf, uint16_t vf,
		     uint32_t *min_mbps, uint32_t *max_mbps);
/* HELLOs answered since creation (one per connection). */
unsigned fake_switch_hellos(const struct fake_switch *fs);

#endif
