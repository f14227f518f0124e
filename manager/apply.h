/* apply: `fabric-ctl apply` carried out — a bindings file parsed, planned and checked as a
 * whole (planner.h), then run through the engine's operations one step after another; a
 * step the switch refuses mid-way undoes the steps already done, in reverse. And `export`. */
#ifndef FM_APPLY_H
#define FM_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "daemon.h"
#include "engine.h"

struct json_object;

struct fm_apply_req {
	const char *file;    /* the file's name, for messages ("FILE:LINE:COL: ...") */
	const char *content; /* its text */
	size_t len;
	bool dry_run;        /* the plan only */
	bool prune;          /* unassign what the file does not name */
	const struct fm_store_audit *audit; /* the caller (uid, gid, pid); NULL: none */
};

/*
 * Runs one apply; done is called exactly once (maybe before this returns). The result
 * (API.md "apply"):
 *   {"schema":1, "file":F, "dry_run":B, "prune":B,
 *    "plan":[{"action":"assign"|"unassign"|"move"|"qos-change"|"unchanged",
 *             "function":F, "host":H, "from_host":H (move), "qos":{"min_gbps":N,"max_gbps":N},
 *             "binding":"FILE:LINE:COL: bindings.web1[0]" (absent for a prune),
 *             "result":"done"|"unchanged"|"planned"|"failed"|"undone"|"undo-failed"|"not-run"}],
 *    "summary":{"assign":N,"unassign":N,"move":N,"qos-change":N,"unchanged":N,"skipped":N}}
 * A file that does not load, or a plan that cannot be carried out as a whole, is refused
 * before anything changes (the code of the first binding at fault: no-such-function,
 * sharing-mode, no-free-vppb...; data.binding names it). A step that fails mid-way
 * undoes the done ones in reverse and fails the call with that step's code; data.plan
 * holds each step's result. Each engine operation is audited as method "apply" with the
 * step as params, the call itself once at the end. A plan of unchanged steps sends nothing.
 */
void fm_apply_run(struct fm_daemon *d, const struct fm_apply_req *req, fm_op_done done,
		  void *arg);

/* {"schema":1, "content":"bindings:\n...", "bindings":N, "skipped":N}: the current intents as
 * a bindings file that apply accepts unchanged; NULL on ENOMEM. */
struct json_object *fm_apply_export(struct fm_daemon *d);

#endif
