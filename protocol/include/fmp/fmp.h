/* FMP, the fabric management protocol between fabricd and a switch chassis:
 * frame header, opcodes, status codes and the message structs with their codecs.
 * protocol/README.md is the wire-format reference; this header is its C binding. */
#ifndef FMP_FMP_H
#define FMP_FMP_H

#include <stddef.h>
#include <stdint.h>

/* ---- frame header ---------------------------------------------------------------- */

#define FMP_MAGIC 0x31504d46u /* bytes 'F' 'M' 'P' '1' on the wire */
#define FMP_VERSION_MIN 1
#define FMP_VERSION_MAX 1
#define FMP_HDR_SIZE 20
/* Default and ceiling of the negotiated payload limit (HELLO). The default holds a
 * 4 KiB config-space block and a page of function records with room to spare. */
#define FMP_MAX_PAYLOAD_DEFAULT (64u * 1024u)
#define FMP_MAX_PAYLOAD_CEILING (16u * 1024u * 1024u)
#define FMP_MAX_PAYLOAD_FLOOR (8u * 1024u)

enum fmp_kind {
	FMP_KIND_REQUEST = 1,
	FMP_KIND_RESPONSE = 2,
	FMP_KIND_EVENT = 3,
};

enum fmp_opcode {
	FMP_OP_HELLO = 0x0001,
	FMP_OP_PING = 0x0002,
	FMP_OP_GET_PORTS = 0x0010,
	FMP_OP_GET_SLOTS = 0x0011,
	FMP_OP_GET_CARD = 0x0012,
	FMP_OP_GET_FUNCTIONS = 0x0013,
	FMP_OP_READ_CONFIG = 0x0020,
	FMP_OP_SET_NUM_VFS = 0x0021,
	FMP_OP_BIND = 0x0030,
	FMP_OP_UNBIND = 0x0031,
	FMP_OP_GET_VH = 0x0032,
	FMP_OP_SET_QOS = 0x0033, /* feature FMP_FEAT_QOS */
	FMP_OP_GET_QOS = 0x0034, /* feature FMP_FEAT_QOS */
	FMP_OP_PORT_CONTROL = 0x0040,
	FMP_OP_SUBSCRIBE = 0x0050,
	FMP_OP_EVENT = 0x0060,
};

/* Closed set of status codes carried in the header's status field. 0 is success;
 * the library's own functions return these negated (0 or -FMP_E_*). */
enum fmp_status {
	FMP_OK = 0,
	FMP_E_BAD_FRAME = 1,      /* header or payload does not parse */
	FMP_E_VERSION = 2,        /* no common protocol version */
	FMP_E_UNSUPPORTED = 3,    /* unknown opcode or kind */
	FMP_E_INVALID = 4,        /* a field's value is out of range */
	FMP_E_TOO_BIG = 5,        /* frame over the negotiated payload limit */
	FMP_E_NO_SUCH_PORT = 6,   /* host port number not on this chassis */
	FMP_E_NO_SUCH_SLOT = 7,   /* slot number not on this chassis */
	FMP_E_EMPTY_SLOT = 8,     /* no card in the slot */
	FMP_E_NO_SUCH_FUNCTION = 9, /* PF/VF not present (VF beyond NumVFs) */
	FMP_E_BUSY = 10,          /* function bound to another host */
	FMP_E_NO_VPPB = 11,       /* no free vPPB on the host port */
	FMP_E_LINK_DOWN = 12,     /* host link is down */
	FMP_E_SHARING_MODE = 13,  /* the card's sharing mode forbids this binding */
	FMP_E_NOT_BOUND = 14,     /* unbind of a function that is not bound */
	FMP_E_VF_BOUND = 15,      /* NumVFs change would remove a bound VF */
	FMP_E_IN_PROGRESS = 16,   /* another operation on this function is running */
	FMP_E_TIMEOUT = 17,       /* the host did not complete the hotplug handshake */
	FMP_E_POWER = 18,         /* slot powered off or in power fault */
	FMP_E_INJECTED = 19,      /* failure injected by the simulator's fault injection */
	FMP_E_INTERNAL = 20,      /* the switch hit an internal error */
	FMP_E_NOMEM = 21,         /* out of memory (library) */
	FMP_E_AGAIN = 22,         /* need more bytes (reassembler) */
	FMP_E_BUS_RANGE = 23,     /* the function's Routing IDs need more buses than its vPPB spans */
	FMP_STATUS_COUNT
};

const char *fmp_strerror(int status);     /* human text; accepts negated codes too */
const char *fmp_status_name(int status);  /* "FMP_E_BUSY"; accepts negated codes too */
const char *fmp_opcode_name(uint16_t op); /* "BIND", or "UNKNOWN" */

struct fmp_hdr {
	uint32_t magic;
	uint8_t version;
	uint8_t kind;    /* enum fmp_kind */
	uint16_t opcode; /* enum fmp_opcode */
	uint16_t status; /* enum fmp_status; 0 in requests and events */
	uint16_t flags;  /* reserved, 0 */
	uint32_t tag;    /* chosen by the requester, echoed in the response; 0 in events */
	uint32_t length; /* payload bytes after the header */
};
_Static_assert(FMP_HDR_SIZE == 4 + 1 + 1 + 2 + 2 + 2 + 4 + 4, "FMP header is 20 bytes");

/* Writes exactly FMP_HDR_SIZE bytes. */
void fmp_hdr_encode(const struct fmp_hdr *h, uint8_t out[FMP_HDR_SIZE]);
/* Decodes and checks magic, version range, kind and length <= max_payload.
 * Returns 0, -FMP_E_AGAIN if len < FMP_HDR_SIZE, or -FMP_E_BAD_FRAME /
 * -FMP_E_VERSION / -FMP_E_UNSUPPORTED / -FMP_E_TOO_BIG. */
int fmp_hdr_decode(const uint8_t *buf, size_t len, uint32_t max_payload, struct fmp_hdr *h);

/* ---- growable output buffer ------------------------------------------------------- */

struct fmp_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	int err; /* sticky: set to -FMP_E_NOMEM on allocation failure, later puts are no-ops */
};

void fmp_buf_init(struct fmp_buf *b);
void fmp_buf_release(struct fmp_buf *b); /* frees data; the struct itself is the caller's */
void fmp_buf_reset(struct fmp_buf *b);   /* len = 0, keeps the allocation */

/* ---- names and identities ---------------------------------------------------------- */

#define FMP_NAME_MAX 64 /* strings on the wire: u8 length then bytes, at most 63 */
#define FMP_VF_NONE 0xffffu
#define FMP_SLOT_NONE 0xffffu
#define FMP_PORT_NONE 0xffu
#define FMP_VPPB_ANY 0xffu
#define FMP_VPPB_NONE 0xffu
#define FMP_CONFIG_SPACE_SIZE 4096

/* A card function on the chassis: slot, PF index, VF index (FMP_VF_NONE for the PF).
 * VF index counts from 0 as the host OS does (vf0 is the PF's first VF). */
struct fmp_fn_addr {
	uint16_t slot;
	uint8_t pf;
	uint16_t vf;
};
#define FMP_FN_ADDR_SIZE 6

enum fmp_link_speed { /* PCIe generation, as in Link Status Current Link Speed */
	FMP_SPEED_2_5GT = 1,
	FMP_SPEED_5GT = 2,
	FMP_SPEED_8GT = 3,
	FMP_SPEED_16GT = 4,
	FMP_SPEED_32GT = 5,
	FMP_SPEED_64GT = 6,
};

enum fmp_sharing {
	FMP_SHARING_EXCLUSIVE = 0,
	FMP_SHARING_SRIOV = 1,
	FMP_SHARING_MRIOV = 2,
};

enum fmp_bind_state {
	FMP_BIND_UNBOUND = 0,
	FMP_BIND_BINDING = 1,   /* hot-add in progress */
	FMP_BIND_BOUND = 2,
	FMP_BIND_UNBINDING = 3, /* managed removal handshake in progress */
};

/* ---- HELLO ------------------------------------------------------------------------- */

/* Feature bits, announced in HELLO by both sides within protocol version 1 (the
 * reserved u16 that old peers send as 0 and ignore): an opcode of a feature is served
 * only on a connection whose client announced it and whose switch does. */
#define FMP_FEAT_QOS 0x0001u /* SET_QOS, GET_QOS */
#define FMP_FEATURES_ALL FMP_FEAT_QOS

struct fmp_hello_req {
	uint8_t min_version;
	uint8_t max_version;
	uint16_t features; /* FMP_FEAT_* the client speaks */
	uint32_t max_payload; /* largest payload the client accepts */
	char client[FMP_NAME_MAX];
};

struct fmp_hello_resp {
	uint8_t version;      /* chosen: highest both support */
	uint16_t features;    /* FMP_FEAT_* the switch serves on this connection: its own
			       * features that the client announced */
	uint32_t max_payload; /* min of both sides' limits; both ends enforce it from now on */
	uint64_t boot_id;     /* changes on every switch (re)boot */
	uint64_t event_seq;   /* sequence number of the last event the switch emitted */
	uint16_t n_ports;
	uint16_t n_slots;
	uint32_t n_functions; /* PFs and enabled VFs, chassis-wide */
	char chassis[FMP_NAME_MAX];
	char model[FMP_NAME_MAX];
	char serial[FMP_NAME_MAX];
	char firmware[FMP_NAME_MAX];
};

/* Picks the version both ranges share (highest), or returns -FMP_E_VERSION. */
int fmp_version_negotiate(uint8_t a_min, uint8_t a_max, uint8_t b_min, uint8_t b_max,
			  uint8_t *chosen);

/* ---- PING -------------------------------------------------------------------------- */

struct fmp_ping {
	uint64_t cookie; /* echoed */
};

/* ---- GET_PORTS --------------------------------------------------------------------- */

#define FMP_PORT_F_LINK_UP 0x01

struct fmp_port_info {
	uint8_t port;  /* host port number */
	uint8_t flags; /* FMP_PORT_F_* */
	uint8_t width; /* negotiated link width, lanes */
	uint8_t speed; /* enum fmp_link_speed */
	uint8_t n_vppb;
	uint8_t n_bound;
	uint8_t usp_bus; /* bus number of the virtual upstream bridge in the host's view */
	char name[FMP_NAME_MAX];
};

struct fmp_ports_resp {
	uint16_t count;
	struct fmp_port_info *ports; /* decode allocates; fmp_msg_release frees */
};

/* ---- GET_SLOTS --------------------------------------------------------------------- */

/* Slot state bits, from PCIe r5.0 §7.5.3.11 Slot Status / §7.5.3.8 Link Status */
#define FMP_SLOT_F_PRESENT 0x0001     /* Presence Detect State */
#define FMP_SLOT_F_POWER_ON 0x0002    /* Power Controller Control = on */
#define FMP_SLOT_F_DLL_ACTIVE 0x0004  /* Data Link Layer Link Active */
#define FMP_SLOT_F_MRL_OPEN 0x0008    /* MRL Sensor State */
#define FMP_SLOT_F_POWER_FAULT 0x0010 /* Power Fault Detected */
#define FMP_SLOT_F_ATTN_ON 0x0020     /* Attention Indicator on */
#define FMP_SLOT_F_ATTN_BLINK 0x0040  /* Attention Indicator blinking */

struct fmp_slot_info {
	uint16_t slot;
	uint16_t flags; /* FMP_SLOT_F_* */
	char label[FMP_NAME_MAX];
};

struct fmp_slots_resp {
	uint16_t count;
	struct fmp_slot_info *slots;
};

/* ---- GET_CARD ---------------------------------------------------------------------- */

#define FMP_MAX_PFS 8

struct fmp_pf_info {
	uint8_t pf;
	uint16_t device;     /* PF Device ID */
	uint16_t total_vfs;  /* 0: no SR-IOV capability */
	uint16_t num_vfs;
	uint16_t vf_device;
	uint16_t vf_offset;  /* First VF Offset */
	uint16_t vf_stride;
};

struct fmp_card_req {
	uint16_t slot;
};

struct fmp_card_resp {
	uint16_t slot;
	uint8_t sharing; /* enum fmp_sharing */
	uint8_t n_pfs;   /* <= FMP_MAX_PFS */
	uint16_t vendor;
	uint16_t subsys_vendor;
	uint16_t subsys_device;
	uint32_t class_code; /* 24-bit base/sub/prog-if */
	uint64_t dsn;        /* Device Serial Number */
	char profile[FMP_NAME_MAX];
	char name[FMP_NAME_MAX];
	struct fmp_pf_info pfs[FMP_MAX_PFS];
};

/* ---- GET_FUNCTIONS (paged) --------------------------------------------------------- */

#define FMP_FN_F_VF 0x01
#define FMP_CURSOR_END 0xffffffffu

struct fmp_functions_req {
	uint16_t slot;   /* FMP_SLOT_NONE: every slot */
	uint32_t cursor; /* 0 to start; the response's next_cursor to continue */
	uint16_t max;    /* records wanted; the switch may return fewer */
};

struct fmp_function_info {
	struct fmp_fn_addr fn;
	uint8_t flags;       /* FMP_FN_F_* */
	uint16_t rid;        /* chassis-side routing ID (bus << 8 | devfn) */
	uint16_t vendor;
	uint16_t device;
	uint32_t class_code;
	uint8_t bind_state;  /* enum fmp_bind_state */
	uint8_t port;        /* FMP_PORT_NONE when unbound */
	uint8_t vppb;        /* FMP_VPPB_NONE when unbound */
};

struct fmp_functions_resp {
	uint32_t next_cursor; /* FMP_CURSOR_END when done */
	uint16_t count;
	struct fmp_function_info *fns;
};

/* ---- READ_CONFIG ------------------------------------------------------------------- */

enum fmp_cfg_target {
	FMP_CFG_CHASSIS = 0, /* a card function, addressed by fmp_fn_addr */
	FMP_CFG_HOST = 1,    /* a BDF in a host port's view */
};

struct fmp_read_config_req {
	uint8_t target; /* enum fmp_cfg_target */
	struct fmp_fn_addr fn; /* FMP_CFG_CHASSIS */
	uint8_t port, bus, devfn; /* FMP_CFG_HOST */
	uint16_t offset;
	uint16_t length; /* offset + length <= 4096 */
};

struct fmp_read_config_resp {
	uint16_t offset;
	uint16_t length;
	const uint8_t *data; /* encode: caller's bytes; decode: points into the payload */
};

/* ---- SET_NUM_VFS ------------------------------------------------------------------- */

struct fmp_set_num_vfs_req {
	uint16_t slot;
	uint8_t pf;
	uint16_t num_vfs;
};

struct fmp_set_num_vfs_resp {
	uint16_t num_vfs;
	uint16_t total_vfs;
};

/* ---- BIND / UNBIND ----------------------------------------------------------------- */

struct fmp_bind_req {
	struct fmp_fn_addr fn;
	uint8_t port;
	uint8_t vppb; /* FMP_VPPB_ANY: the switch picks the lowest free one */
};

struct fmp_bind_resp {
	uint8_t port;
	uint8_t vppb;
	uint8_t host_bus;   /* where the function appears in the host's view */
	uint8_t host_devfn;
};

enum fmp_unbind_mode {
	FMP_UNBIND_MANAGED = 0,  /* attention-button handshake with the host OS */
	FMP_UNBIND_SURPRISE = 1, /* presence and link drop at once */
};

struct fmp_unbind_req {
	struct fmp_fn_addr fn;
	uint8_t mode;        /* enum fmp_unbind_mode */
	uint32_t timeout_ms; /* managed: how long to wait for the host; 0 = switch default */
};

struct fmp_unbind_resp {
	uint8_t port;
	uint8_t vppb;
};

/* ---- GET_VH ------------------------------------------------------------------------ */

struct fmp_vh_req {
	uint8_t port;
};

struct fmp_vppb_info {
	uint8_t vppb;
	uint8_t bind_state;  /* enum fmp_bind_state */
	uint16_t slot_flags; /* FMP_SLOT_F_* of the vPPB's virtual slot */
	uint8_t sec_bus;     /* secondary bus of the vPPB in the host's view */
	struct fmp_fn_addr fn; /* meaningful when bind_state != UNBOUND */
};

struct fmp_vh_resp {
	uint8_t port;
	uint8_t flags;   /* FMP_PORT_F_* */
	uint8_t usp_bus; /* bus of the virtual upstream bridge */
	uint8_t count;
	struct fmp_vppb_info *vppbs;
};

/* ---- PORT_CONTROL ------------------------------------------------------------------ */

enum fmp_port_op {
	FMP_PC_LINK_DISABLE = 0, /* host port */
	FMP_PC_LINK_ENABLE = 1,  /* host port */
	FMP_PC_LINK_RESET = 2,   /* host port: hot reset of the VH */
	FMP_PC_SLOT_POWER_OFF = 3,
	FMP_PC_SLOT_POWER_ON = 4,
};

struct fmp_port_control_req {
	uint8_t op;      /* enum fmp_port_op */
	uint16_t index;  /* host port number or slot number */
};

struct fmp_port_control_resp {
	uint16_t index;
	uint16_t flags; /* FMP_PORT_F_* or FMP_SLOT_F_* after the operation */
};

/* ---- SET_QOS / GET_QOS (feature FMP_FEAT_QOS) --------------------------------------- */

/* Per-function bandwidth floor and cap, as the CXL FM API's Set QoS Allocated BW and Set
 * QoS BW Limit (CXL 3.1 §7.6.7.2) but in absolute Mb/s rather than fractions of a link.
 * 0 = none. A floor above a non-zero cap is FMP_E_INVALID. */
struct fmp_qos_set_req {
	struct fmp_fn_addr fn;
	uint32_t min_mbps; /* guaranteed floor */
	uint32_t max_mbps; /* cap */
};
/* SET_QOS answers with the same fields (qos_set_resp), as now in effect. */

struct fmp_qos_get_req {
	struct fmp_fn_addr fn;
};

#define FMP_QOS_F_BOUND 0x01      /* the function is bound: it carries traffic */
#define FMP_QOS_F_FLOOR_HELD 0x02 /* achieved >= min(floor, offered, cap) now */

struct fmp_qos_get_resp {
	struct fmp_fn_addr fn;
	uint8_t flags;         /* FMP_QOS_F_* */
	uint32_t min_mbps;
	uint32_t max_mbps;
	uint32_t offered_mbps; /* what the host offers (bench `traffic`), 0 when unbound */
	uint32_t achieved_mbps; /* what gets through now, rounded down */
	uint64_t bytes;        /* carried since the switch booted, at achieved rate x time */
	uint64_t time_ns;      /* CLOCK_REALTIME at the switch when bytes was sampled */
};

/* ---- SUBSCRIBE / EVENT ------------------------------------------------------------- */

enum fmp_event_type {
	FMP_EV_SLOT_PRESENCE = 1, /* detail: 1 present, 0 absent; reason: fmp_ev_reason */
	FMP_EV_ATTN_BUTTON = 2,
	FMP_EV_LINK_STATE = 3,    /* host link; detail: 1 up, 0 down */
	FMP_EV_POWER_FAULT = 4,
	FMP_EV_BIND_DONE = 5,     /* port/vppb/fn valid */
	FMP_EV_UNBIND_DONE = 6,   /* port/vppb/fn valid; reason: fmp_ev_reason */
	FMP_EV_SWITCH_RESET = 7,
	FMP_EV_NUM_VFS = 8,       /* slot/fn.pf valid; detail: new NumVFs */
	FMP_EV_TYPE_COUNT
};

enum fmp_ev_reason {
	FMP_EVR_NONE = 0,
	FMP_EVR_MANAGED = 1,  /* orderly: attention button / managed unbind */
	FMP_EVR_SURPRISE = 2, /* surprise removal */
	FMP_EVR_LINK = 3,     /* host link went down */
	FMP_EVR_FAULT = 4,    /* power fault */
	FMP_EVR_RESET = 5,    /* switch reset */
};

#define FMP_EVMASK_ALL 0xffffffffu
#define FMP_EVMASK(t) (1u << (t))

struct fmp_subscribe_req {
	uint32_t mask; /* FMP_EVMASK of the wanted fmp_event_type values; 0 unsubscribes */
};

struct fmp_subscribe_resp {
	uint64_t event_seq; /* last sequence emitted before this subscription took effect */
};

struct fmp_event {
	uint64_t seq;      /* per switch boot, from 1, no gaps */
	uint64_t time_ns;  /* CLOCK_REALTIME at the switch */
	uint16_t type;     /* enum fmp_event_type */
	uint8_t reason;    /* enum fmp_ev_reason */
	uint8_t port;      /* FMP_PORT_NONE if not about a host port */
	uint8_t vppb;      /* FMP_VPPB_NONE if not about a vPPB */
	uint16_t slot;     /* FMP_SLOT_NONE if not about a slot */
	struct fmp_fn_addr fn; /* slot FMP_SLOT_NONE if not about a function */
	uint32_t detail;
};

/* ---- one message, any opcode ------------------------------------------------------- */

/* A decoded or to-be-encoded message: the header's kind/opcode pick the union member.
 * Requests with no payload (GET_PORTS, GET_SLOTS) and error responses (status != 0,
 * empty payload) use no member. */
union fmp_msg_body {
	struct fmp_hello_req hello_req;
	struct fmp_hello_resp hello_resp;
	struct fmp_ping ping;
	struct fmp_ports_resp ports_resp;
	struct fmp_slots_resp slots_resp;
	struct fmp_card_req card_req;
	struct fmp_card_resp card_resp;
	struct fmp_functions_req functions_req;
	struct fmp_functions_resp functions_resp;
	struct fmp_read_config_req read_config_req;
	struct fmp_read_config_resp read_config_resp;
	struct fmp_set_num_vfs_req set_num_vfs_req;
	struct fmp_set_num_vfs_resp set_num_vfs_resp;
	struct fmp_bind_req bind_req;
	struct fmp_bind_resp bind_resp;
	struct fmp_unbind_req unbind_req;
	struct fmp_unbind_resp unbind_resp;
	struct fmp_vh_req vh_req;
	struct fmp_vh_resp vh_resp;
	struct fmp_port_control_req port_control_req;
	struct fmp_port_control_resp port_control_resp;
	struct fmp_qos_set_req qos_set_req;
	struct fmp_qos_set_req qos_set_resp;
	struct fmp_qos_get_req qos_get_req;
	struct fmp_qos_get_resp qos_get_resp;
	struct fmp_subscribe_req subscribe_req;
	struct fmp_subscribe_resp subscribe_resp;
	struct fmp_event event;
};

struct fmp_msg {
	struct fmp_hdr hdr;
	union fmp_msg_body u;
};

/* Appends header + payload of m to out; m->hdr.length and magic/version are filled in
 * (version from m->hdr.version, or FMP_VERSION_MAX when 0). Returns 0 or -FMP_E_INVALID
 * (a count or length that cannot be encoded), -FMP_E_NOMEM. */
int fmp_msg_encode(const struct fmp_msg *m, struct fmp_buf *out);

/* Decodes the payload of one whole frame whose header is already decoded into hdr.
 * payload must stay valid while m is used (READ_CONFIG data points into it).
 * Returns 0, -FMP_E_BAD_FRAME (payload does not parse: short, long, bad count, bad
 * string) or -FMP_E_UNSUPPORTED (unknown opcode for that kind), -FMP_E_NOMEM.
 * On success, release with fmp_msg_release. On error nothing needs releasing. */
int fmp_msg_decode(const struct fmp_hdr *hdr, const uint8_t *payload, struct fmp_msg *m);

/* Frees the arrays fmp_msg_decode allocated and sets them to NULL. Call it only on
 * messages that decode filled (on encode-side messages the arrays are the caller's). */
void fmp_msg_release(struct fmp_msg *m);

/* Convenience: an error response (status != 0, empty payload) to request hdr req. */
int fmp_encode_error(const struct fmp_hdr *req, enum fmp_status status, struct fmp_buf *out);

/* ---- stream reassembler ------------------------------------------------------------ */

/* Bytes in (any split), whole frames out. Both ends use it. It enforces max_payload
 * before buffering a payload, so a peer cannot make it allocate more than
 * FMP_HDR_SIZE + max_payload. */
struct fmp_reasm;

struct fmp_reasm *fmp_reasm_new(uint32_t max_payload);
void fmp_reasm_free(struct fmp_reasm *r);
void fmp_reasm_set_max(struct fmp_reasm *r, uint32_t max_payload);

/* Appends len bytes. Returns 0 or -FMP_E_NOMEM. */
int fmp_reasm_feed(struct fmp_reasm *r, const uint8_t *data, size_t len);

/* Takes the next whole frame: returns 0 and sets *hdr / *payload (valid until the next
 * feed or next call), -FMP_E_AGAIN when more bytes are needed, or a negative header error
 * (-FMP_E_BAD_FRAME, -FMP_E_VERSION, -FMP_E_UNSUPPORTED, -FMP_E_TOO_BIG). After a header
 * error the stream cannot be resynchronised: the caller answers (if it can) and closes. */
int fmp_reasm_next(struct fmp_reasm *r, struct fmp_hdr *hdr, const uint8_t **payload);

/* Bytes buffered and not yet returned as frames. */
size_t fmp_reasm_pending(const struct fmp_reasm *r);

/* ---- helpers for names ------------------------------------------------------------- */

const char *fmp_event_type_name(uint16_t type); /* "slot-presence", ... */
const char *fmp_sharing_name(uint8_t sharing);  /* "exclusive", "sr-iov", "mr-iov" */
const char *fmp_bind_state_name(uint8_t state); /* "unbound", "binding", ... */

#endif
