/* engine: the assignment engine — assign/unassign with the rules of DESIGN.md, one
 * operation at a time per function (others queue), intent persisted before the switch
 * is told and the caller answered after; reconciliation of a chassis against the intent
 * after every (re)discovery; reaction to the switch's hotplug events. */
#ifndef FM_ENGINE_H
#define FM_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon.h"
#include "jsonrpc.h"

struct fm_engine;
struct json_object;

/* The intent of one binding, mirrored in memory from the store for O(1) lookups. */
struct fm_intent {
	char key[FM_STORE_NAME_MAX * 3]; /* "chassis|serial|pf|vf" */
	char chassis[FM_STORE_NAME_MAX];
	char serial[FM_STORE_NAME_MAX];
	int pf, vf;                     /* vf -1: the PF */
	char host[FM_STORE_NAME_MAX];
	int vppb;                       /* -1: unknown */
	enum fm_store_state state;
	uint32_t min_mbps, max_mbps; /* 0: none */
	bool qos_unsynced;              /* the switch may hold another floor/cap than these
					 * (loaded from the store, or a change not confirmed):
					 * reconciliation sets them */
	int64_t since_ms;               /* when the binding was created */
	struct fm_intent *prev, *next;
};

/* Completion of an operation: ok with result (taken), or code + message + data (taken,
 * may be NULL) for the error. */
typedef void (*fm_op_done)(void *arg, bool ok, enum fm_rpc_code code, const char *message,
			   struct json_object *obj);

struct fm_assign_req {
	const char *function; /* or NULL with card + any */
	const char *card;
	bool any;
	const char *host;
	uint32_t min_mbps, max_mbps; /* bandwidth floor and cap, Mb/s; 0: none */
	bool dry_run;
	const struct fm_store_audit *audit; /* the caller's record (result ignored); NULL: none */
};

struct fm_unassign_req {
	const char *function;
	uint8_t mode;        /* enum fmp_unbind_mode */
	bool force;          /* managed, then surprise if the host does not answer */
	uint32_t timeout_ms; /* 0: fabric.yaml's managed_unbind_ms */
	bool dry_run;
	const struct fm_store_audit *audit; /* the caller's record (result ignored); NULL: none */
};

/* A change of an existing binding's floor and/or cap (the others stay). */
struct fm_qos_req {
	const char *function;
	bool set_min, set_max;       /* which of the two the call sets */
	uint32_t min_mbps, max_mbps; /* Mb/s; 0: none */
	bool dry_run;
	const struct fm_store_audit *audit; /* the caller's record (result ignored); NULL: none */
};

struct fm_engine *fm_engine_new(struct fm_daemon *d, char *err, size_t errlen);
/* Frees the engine: call once no operation is running (fm_engine_ops() == 0). */
void fm_engine_free(struct fm_engine *e);
/* fabricd is stopping: operations still queued, and any submitted now, are refused
 * (switch-unreachable) instead of started. */
void fm_engine_stop(struct fm_engine *e);

/* Always calls done exactly once (possibly before returning, for requests refused at
 * once: unknown names, bad combinations). With req->audit, the call's audit record is
 * written in the same commit as the operation's first intent write (result "ok", settled
 * to the error code if it then fails), or, when nothing is written, committed before done
 * runs: an answered call always has its durable audit record. */
void fm_engine_assign(struct fm_engine *e, const struct fm_assign_req *req, fm_op_done done,
		      void *arg);
void fm_engine_unassign(struct fm_engine *e, const struct fm_unassign_req *req, fm_op_done done,
			void *arg);

/* Changes the floor/cap of fn's binding: checked by admission control (qos-overcommit),
 * stored, then set on the switch (SET_QOS) if the function is there, queued behind the
 * function's other operations and audited like an assign; done as for fm_engine_assign.
 * A binding not on the switch now is answered with its QoS pending: the bind or
 * reconciliation applies it. */
void fm_engine_set_qos(struct fm_engine *e, const struct fm_qos_req *req, fm_op_done done,
		       void *arg);

/* Discovery of ch finished: reconcile the switch with the intent. */
void fm_engine_reconcile(struct fm_engine *e, struct fm_chassis *ch);
/* The link to ch was lost: its intents become detached. */
void fm_engine_chassis_lost(struct fm_engine *e, struct fm_chassis *ch);
/* A switch event (after the daemon logged it). Returns true when the inventory must be
 * re-read (card inserted, switch reset, link up). */
bool fm_engine_switch_event(struct fm_engine *e, struct fm_chassis *ch, const struct fmp_event *ev);

/* The intent holding fn (canonical: an exclusive card's functions share pf0's), or NULL. */
const struct fm_intent *fm_engine_intent_of(const struct fm_engine *e, const struct fm_fn *fn);
/* Every intent, for status and listings. */
const struct fm_intent *fm_engine_intents(const struct fm_engine *e);
/* The API error code for an FMP status (positive) or a link error (negative errno). */
enum fm_rpc_code fm_engine_map_status(int status);

/* Operations running or queued. */
unsigned fm_engine_ops(const struct fm_engine *e);

#endif
