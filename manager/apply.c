/* apply: runs a plan (planner.h) through the engine's operations, one at a time: every
 * unbind first (prunes, the first half of moves), so that a host's vPPB freed by the plan is
 * free before a bind needs it, then the binds, then the QoS changes. A step that fails undoes
 * the done ones in reverse; the answer says per step what happened (apply.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "apply.h"
#include "bindings.h"
#include "planner.h"

enum xkind { X_UNBIND, X_BIND, X_QOS };

/* One engine operation of the plan. */
struct xop {
	size_t step;
	enum xkind kind;
	bool done;
};

enum result { R_PENDING, R_UNCHANGED, R_PLANNED, R_DONE, R_FAILED, R_UNDONE, R_UNDO_FAILED,
	      R_NOT_RUN };

static const char *const result_names[] = { "not-run", "unchanged", "planned", "done",
					    "failed", "undone", "undo-failed", "not-run" };

struct run {
	struct fm_daemon *d;
	struct fm_bindings *file;
	struct fm_plan *plan;
	bool dry_run, prune;
	bool audited;                 /* tmpl holds the caller */
	struct fm_store_audit tmpl;
	struct xop *ops;
	size_t n_ops, at;             /* forward: the next op; undo: ops below at left to undo */
	enum result *results;         /* per step */
	bool undoing;
	size_t undo_ix;               /* the op being undone */
	bool failed;
	enum fm_rpc_code code;
	char msg[1024];
	bool in_step, again;          /* an engine callback came before its call returned */
	fm_op_done done;
	void *arg;
	struct json_object *answer;   /* result, or error data */
};

static void run_free(struct run *r)
{
	fm_bindings_free(r->file);
	fm_plan_free(r->plan);
	free(r->ops);
	free(r->results);
	json_object_put(r->answer);
	free(r);
}

static struct json_object *j_qos(const struct fm_qos *q)
{
	struct json_object *o = json_object_new_object();
	char t[32];

	if (q->min_mbps) {
		fm_qos_gbps_text(q->min_mbps, t, sizeof(t));
		json_object_object_add(o, "min_gbps", json_object_new_double_s(q->min_mbps / 1000.0, t));
	}
	if (q->max_mbps) {
		fm_qos_gbps_text(q->max_mbps, t, sizeof(t));
		json_object_object_add(o, "max_gbps", json_object_new_double_s(q->max_mbps / 1000.0, t));
	}
	return o;
}

static struct json_object *j_plan(const struct run *r)
{
	struct json_object *a = json_object_new_array();

	for (size_t i = 0; r->plan && i < r->plan->n; i++) {
		const struct fm_plan_step *s = &r->plan->steps[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "action", json_object_new_string(fm_plan_action_name(s->action)));
		json_object_object_add(o, "function", json_object_new_string(s->function));
		json_object_object_add(o, "host", json_object_new_string(s->host));
		if (s->action == FM_PLAN_MOVE)
			json_object_object_add(o, "from_host", json_object_new_string(s->from_host));
		json_object_object_add(o, "qos", j_qos(&s->qos));
		if (s->action == FM_PLAN_QOS)
			json_object_object_add(o, "old_qos", j_qos(&s->old_qos));
		if (s->entry >= 0)
			json_object_object_add(o, "binding",
					       json_object_new_string(r->file->v[s->entry].where));
		json_object_object_add(o, "result", json_object_new_string(result_names[r->results[i]]));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *j_answer(const struct run *r)
{
	struct json_object *o = json_object_new_object(), *sum = json_object_new_object();

	json_object_object_add(o, "schema", json_object_new_int(1));
	json_object_object_add(o, "file", json_object_new_string(r->file ? r->file->name : ""));
	json_object_object_add(o, "dry_run", json_object_new_boolean(r->dry_run));
	json_object_object_add(o, "prune", json_object_new_boolean(r->prune));
	json_object_object_add(o, "plan", j_plan(r));
	for (int a = FM_PLAN_ASSIGN; a < FM_PLAN__COUNT; a++)
		json_object_object_add(sum, fm_plan_action_name(a),
				       json_object_new_int((int)(r->plan ? r->plan->counts[a] : 0)));
	json_object_object_add(sum, "unchanged",
			       json_object_new_int((int)(r->plan ? r->plan->counts[FM_PLAN_UNCHANGED] : 0)));
	json_object_object_add(sum, "skipped", json_object_new_int((int)(r->plan ? r->plan->skipped : 0)));
	json_object_object_add(o, "summary", sum);
	return o;
}

static void answer(struct run *r)
{
	struct json_object *obj = r->answer;

	r->answer = NULL;
	if (r->failed)
		r->done(r->arg, false, r->code, r->msg, obj);
	else
		r->done(r->arg, true, FM_RPC_E_INTERNAL, NULL, obj);
	run_free(r);
}

static void call_audited(void *arg, int rc)
{
	struct run *r = arg;

	if (rc)
		fm_log(r->d, FM_LOG_ERR, "apply: audit record not written: %s", strerror(-rc));
	answer(r);
}

/* The call's own record (the steps have theirs, with their intents), committed before the
 * answer; then the answer. */
static void finish(struct run *r)
{
	struct fm_store_audit a;
	char params[512];

	if (r->failed) {
		struct json_object *data = r->plan ? j_answer(r) : json_object_new_object();

		if (!r->plan)
			json_object_object_add(data, "file",
					       json_object_new_string(r->file ? r->file->name : ""));
		r->answer = data;
	} else {
		r->answer = j_answer(r);
	}
	if (!r->audited) {
		answer(r);
		return;
	}
	a = r->tmpl;
	a.method = "apply";
	{
		struct json_object *p = json_object_new_object();

		json_object_object_add(p, "file", json_object_new_string(r->file ? r->file->name : ""));
		json_object_object_add(p, "dry_run", json_object_new_boolean(r->dry_run));
		json_object_object_add(p, "prune", json_object_new_boolean(r->prune));
		json_object_object_add(p, "steps", json_object_new_int((int)(r->plan ? r->plan->n : 0)));
		snprintf(params, sizeof(params), "%s", json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
		json_object_put(p);
	}
	a.params = params;
	a.result = r->failed ? fm_rpc_code_name(r->code) : "ok";
	a.message = r->failed ? r->msg : NULL;
	if (fm_store_audit_append(r->d->store, &a, call_audited, r)) {
		fm_log(r->d, FM_LOG_ERR, "apply: audit record lost: %s", fm_store_last_error(r->d->store));
		answer(r);
	}
}

static void step_next(struct run *r);

static void on_op(void *arg, bool ok, enum fm_rpc_code code, const char *message,
		  struct json_object *obj)
{
	struct run *r = arg;
	struct xop *x = r->undoing ? &r->ops[r->undo_ix] : &r->ops[r->at];
	const struct fm_plan_step *s = &r->plan->steps[x->step];

	json_object_put(obj);
	if (!r->undoing) {
		if (ok) {
			x->done = true;
			r->at++;
			/* a move is done with its second half */
			if (x->kind != X_UNBIND || s->action != FM_PLAN_MOVE)
				r->results[x->step] = R_DONE;
		} else {
			r->failed = true;
			r->code = code;
			snprintf(r->msg, sizeof(r->msg), "%s%s%s failed, %s: %s%s",
				 s->entry >= 0 ? r->file->v[s->entry].where : "", s->entry >= 0 ? ": " : "",
				 fm_plan_action_name(s->action), s->function, message ? message : "",
				 r->at ? "; the steps done before are undone" : "; nothing was changed");
			r->results[x->step] = R_FAILED;
			r->undoing = true;
		}
	} else {
		x->done = false;
		if (r->results[x->step] != R_FAILED || !ok)
			r->results[x->step] = ok ? R_UNDONE : R_UNDO_FAILED;
		if (!ok) {
			size_t n = strlen(r->msg);

			fm_log(r->d, FM_LOG_ERR, "apply: undoing %s %s failed: %s",
			       fm_plan_action_name(s->action), s->function, message ? message : "");
			snprintf(r->msg + n, sizeof(r->msg) - n, "; undoing %s %s failed too: %s",
				 fm_plan_action_name(s->action), s->function, message ? message : "");
		}
	}
	step_next(r);
}

static void step_audit(struct run *r, const struct fm_plan_step *s, const char *what,
		       const char *host, struct fm_store_audit *a, char *params, size_t len)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "file", json_object_new_string(r->file->name));
	json_object_object_add(p, "step", json_object_new_string(what));
	json_object_object_add(p, "function", json_object_new_string(s->function));
	json_object_object_add(p, "host", json_object_new_string(host));
	snprintf(params, len, "%s", json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
	json_object_put(p);
	*a = r->tmpl;
	a->method = "apply";
	a->params = params;
}

/* host: the engine's name ("rack1:web1"), shown: the operator's ("web1") */
static void do_bind(struct run *r, const struct fm_plan_step *s, const char *host,
		    const char *shown, const struct fm_qos *q, const char *what)
{
	struct fm_assign_req req = { .function = s->target, .host = host };
	struct fm_store_audit a;
	char params[640];

	(void)q; /* QoS rides on the assign once the engine holds it (issue 14) */
	step_audit(r, s, what, shown, &a, params, sizeof(params));
	req.audit = r->audited ? &a : NULL;
	fm_engine_assign(r->d->engine, &req, on_op, r);
}

static void do_unbind(struct run *r, const struct fm_plan_step *s, const char *shown, bool force,
		      const char *what)
{
	struct fm_unassign_req req = { .function = s->target, .mode = FMP_UNBIND_MANAGED,
				       .force = force };
	struct fm_store_audit a;
	char params[640];

	step_audit(r, s, what, shown, &a, params, sizeof(params));
	req.audit = r->audited ? &a : NULL;
	fm_engine_unassign(r->d->engine, &req, on_op, r);
}

static void start_op(struct run *r)
{
	if (!r->undoing) {
		const struct xop *x = &r->ops[r->at];
		const struct fm_plan_step *s = &r->plan->steps[x->step];

		if (x->kind == X_UNBIND)
			do_unbind(r, s, s->action == FM_PLAN_MOVE ? s->from_host : s->host, false,
				  s->action == FM_PLAN_MOVE ? "move-unassign" : "unassign");
		else
			do_bind(r, s, s->host_target, s->host, &s->qos,
				s->action == FM_PLAN_MOVE ? "move-assign" : "assign");
		return;
	}
	{
		const struct xop *x = &r->ops[r->undo_ix];
		const struct fm_plan_step *s = &r->plan->steps[x->step];

		if (x->kind == X_BIND) /* the host just got it: managed, then surprise if it hangs */
			do_unbind(r, s, s->host, true, "undo-assign");
		else if (s->action == FM_PLAN_MOVE)
			do_bind(r, s, s->from_target, s->from_host, &s->old_qos, "undo-unassign");
		else
			do_bind(r, s, s->host_target, s->host, &s->old_qos, "undo-unassign");
	}
}

/* Starts the next operation, or answers. Engine callbacks may come before the call that
 * started them returns: those only mark again, and this loop goes on (no recursion). */
static void step_next(struct run *r)
{
	if (r->in_step) {
		r->again = true;
		return;
	}
	r->in_step = true;
	do {
		r->again = false;
		if (r->undoing) {
			while (r->at > 0 && !r->ops[r->at - 1].done)
				r->at--;
			if (!r->at) {
				for (size_t i = 0; i < r->plan->n; i++)
					if (r->results[i] == R_PENDING)
						r->results[i] = R_NOT_RUN;
				r->in_step = false;
				finish(r);
				return;
			}
			r->undo_ix = --r->at;
		} else if (r->at == r->n_ops) {
			r->in_step = false;
			finish(r);
			return;
		}
		start_op(r);
	} while (r->again);
	r->in_step = false;
}

static int build_ops(struct run *r)
{
	const struct fm_plan *p = r->plan;

	r->ops = calloc(2 * p->n + 1, sizeof(*r->ops));
	if (!r->ops)
		return -ENOMEM;
	for (int phase = 0; phase < 3; phase++) {
		for (size_t i = 0; i < p->n; i++) {
			enum fm_plan_action a = p->steps[i].action;
			bool take = phase == 0 ? a == FM_PLAN_UNASSIGN || a == FM_PLAN_MOVE
				  : phase == 1 ? a == FM_PLAN_ASSIGN || a == FM_PLAN_MOVE
					       : a == FM_PLAN_QOS;

			if (!take)
				continue;
			r->ops[r->n_ops].step = i;
			r->ops[r->n_ops].kind = phase == 0 ? X_UNBIND : phase == 1 ? X_BIND : X_QOS;
			r->n_ops++;
		}
	}
	return 0;
}

static void refuse(struct run *r, enum fm_rpc_code code, const char *msg)
{
	r->failed = true;
	r->code = code;
	snprintf(r->msg, sizeof(r->msg), "%s", msg);
	finish(r);
}

void fm_apply_run(struct fm_daemon *d, const struct fm_apply_req *req, fm_op_done done,
		  void *arg)
{
	struct run *r = calloc(1, sizeof(*r));
	struct fm_plan_input in = { 0 };
	enum fm_rpc_code code;
	char err[1024];
	int entry, rc;

	if (!r) {
		done(arg, false, FM_RPC_E_INTERNAL, "out of memory", NULL);
		return;
	}
	r->d = d;
	r->done = done;
	r->arg = arg;
	r->dry_run = req->dry_run;
	r->prune = req->prune;
	if (req->audit) {
		r->tmpl = *req->audit;
		r->audited = true;
	}
	rc = fm_bindings_load_string(req->file, req->content, req->len, &r->file, err, sizeof(err));
	if (rc) {
		refuse(r, rc == -ENOMEM ? FM_RPC_E_INTERNAL : FM_RPC_E_BAD_REQUEST, err);
		return;
	}
	in.file = r->file;
	in.inv = d->inv;
	in.intents = fm_engine_intents(d->engine);
	in.prune = req->prune;
	rc = fm_plan_build(&in, &r->plan, &code, &entry, err, sizeof(err));
	if (rc) {
		refuse(r, rc == -ENOMEM ? FM_RPC_E_INTERNAL : code, err);
		return;
	}
	r->results = calloc(r->plan->n + 1, sizeof(*r->results));
	if (!r->results || build_ops(r)) {
		refuse(r, FM_RPC_E_INTERNAL, "out of memory");
		return;
	}
	for (size_t i = 0; i < r->plan->n; i++)
		r->results[i] = r->plan->steps[i].action == FM_PLAN_UNCHANGED ? R_UNCHANGED
				: r->dry_run ? R_PLANNED : R_PENDING;
	for (size_t i = 0; i < r->n_ops && !r->dry_run; i++) {
		const struct fm_plan_step *s = &r->plan->steps[r->ops[i].step];

		if (r->ops[i].kind == X_QOS || (r->ops[i].kind == X_BIND && (s->qos.min_mbps || s->qos.max_mbps))) {
			snprintf(err, sizeof(err),
				 "%s: QoS is not supported by this fabricd yet: nothing was changed",
				 s->entry >= 0 ? r->file->v[s->entry].where : s->function);
			refuse(r, FM_RPC_E_BAD_REQUEST, err);
			return;
		}
	}
	if (r->dry_run)
		r->n_ops = 0;
	step_next(r);
}

struct json_object *fm_apply_export(struct fm_daemon *d)
{
	unsigned skipped = 0;
	struct fm_bindings *b = fm_plan_export(d->inv, fm_engine_intents(d->engine), &skipped);
	struct json_object *o;
	char *text;

	if (!b)
		return NULL;
	text = fm_bindings_format(b, "The bindings fabricd holds (fabric-ctl export); "
				     "fabric-ctl apply FILE makes them so again.");
	if (!text) {
		fm_bindings_free(b);
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "schema", json_object_new_int(1));
	json_object_object_add(o, "content", json_object_new_string(text));
	json_object_object_add(o, "bindings", json_object_new_int((int)b->n));
	json_object_object_add(o, "skipped", json_object_new_int((int)skipped));
	free(text);
	fm_bindings_free(b);
	return o;
}
