/* planner: from a bindings file, the inventory and the current intents, the plan of
 * `fabric-ctl apply` — per binding assign / unassign / move / qos-change / unchanged —
 * validated as a whole (names, hosts, sharing modes, vPPBs, VF enabling, QoS admission)
 * before anything is done. Pure: reads its inputs, changes nothing, sends nothing. */
#ifndef FM_PLANNER_H
#define FM_PLANNER_H

#include <stdbool.h>
#include <stddef.h>

#include "bindings.h"
#include "engine.h"
#include "inventory.h"
#include "jsonrpc.h"

enum fm_plan_action {
	FM_PLAN_UNCHANGED = 0,
	FM_PLAN_ASSIGN,
	FM_PLAN_UNASSIGN, /* only with prune: an intent the file does not name */
	FM_PLAN_MOVE,     /* bound to another host now: unassign there, assign here */
	FM_PLAN_QOS,      /* bound where the file wants it, with other QoS */
	FM_PLAN__COUNT
};

/* "unchanged", "assign", "unassign", "move", "qos-change". */
const char *fm_plan_action_name(enum fm_plan_action a);

#define FM_PLAN_NAME_MAX (FM_NAME_MAX + FM_FN_NAME_MAX + 2)

struct fm_plan_step {
	enum fm_plan_action action;
	char function[FM_PLAN_NAME_MAX]; /* as shown and exported: "nic0/pf0/vf3", "fc0" for an
					  * exclusive card; "CHASSIS:" first with several chassis */
	char target[FM_PLAN_NAME_MAX];   /* what the engine is given: "rack1:fc0/pf0" */
	char host[FM_PLAN_NAME_MAX];      /* wanted host (unassign: the current one), as shown */
	char host_target[FM_PLAN_NAME_MAX]; /* "rack1:web1" for the engine */
	char from_host[FM_PLAN_NAME_MAX]; /* move: the current host, as shown */
	char from_target[FM_PLAN_NAME_MAX];
	struct fm_qos qos;     /* wanted (unassign: the current) */
	struct fm_qos old_qos; /* current (assign: none) */
	int entry;             /* the file's entry (fm_bindings.v index); -1: a prune */
	const struct fm_fn *fn;     /* valid while the inventory is unchanged */
	const struct fm_host *h;    /* the wanted host (unassign: the current) */
	const struct fm_host *from; /* move: the current host */
	size_t order;               /* the planner's: the order steps were found in */
};

struct fm_plan {
	struct fm_plan_step *steps; /* file order, then the prunes */
	size_t n;
	unsigned counts[FM_PLAN__COUNT];
	unsigned skipped; /* prune: intents of absent cards, kept (not nameable, detached) */
};

/* QoS admission of the plan's outcome, as a whole: 0, or non-zero with *code and err (the
 * link, its capacity, what is promised and asked). Steps say what changes. */
typedef int (*fm_plan_admit_fn)(void *arg, const struct fm_inv *inv,
				const struct fm_intent *intents, const struct fm_plan *plan,
				enum fm_rpc_code *code, char *err, size_t errlen);

struct fm_plan_input {
	const struct fm_bindings *file;
	const struct fm_inv *inv;
	const struct fm_intent *intents; /* fm_engine_intents() */
	bool prune;
	fm_plan_admit_fn admit;          /* NULL: no admission control */
	void *admit_arg;
};

/* Builds the plan. 0 with *out (fm_plan_free), or -EINVAL with *code and err naming the
 * binding at fault ("FILE:LINE:COL: bindings.web1[2]: ..."), *entry its index (-1: none),
 * or -ENOMEM. All or nothing: any binding that cannot be carried out refuses the plan. */
int fm_plan_build(const struct fm_plan_input *in, struct fm_plan **out, enum fm_rpc_code *code,
		  int *entry, char *err, size_t errlen);
void fm_plan_free(struct fm_plan *p); /* NULL is a no-op */

/* The current intents as a bindings file (by name, with their QoS), which applied as it is
 * gives a plan of unchanged steps. Intents of absent cards cannot be named: counted in
 * *skipped. NULL on ENOMEM. */
struct fm_bindings *fm_plan_export(const struct fm_inv *inv, const struct fm_intent *intents,
				   unsigned *skipped);

/* The QoS an intent holds. */
struct fm_qos fm_plan_intent_qos(const struct fm_intent *in);

#endif
