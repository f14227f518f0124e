/* engine: assign/unassign as small state machines driven by store commits and switch
 * answers. Every step re-resolves its function from the binding key (chassis, card
 * serial, PF, VF), so a card pulled or a chassis re-read mid-operation is noticed rather
 * than dereferenced. Operations on one function are serialized through a per-key queue. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "engine.h"
#include "admission.h"
#include "hooks.h"
#include "index.h"

enum op_kind { OP_ASSIGN, OP_UNASSIGN, OP_QOS };

/* Why an operation is parked (not running, not answered) on the engine's timer list. */
enum op_wait {
	WAIT_NONE,
	WAIT_READY,  /* its chassis is connected but not read yet: decide on a whole inventory */
	WAIT_SWITCH, /* the switch is finishing an operation on the function (FMP_E_IN_PROGRESS) */
};

#define REQ_NAME_MAX (FM_NAME_MAX + FM_FN_NAME_MAX + 2)

struct fm_op {
	struct fm_engine *e;
	enum op_kind kind;
	char key[sizeof(((struct fm_intent *)0)->key)];
	char chassis[FM_STORE_NAME_MAX];
	char serial[FM_STORE_NAME_MAX];
	int pf, vf;
	char fn_name[FM_FN_NAME_MAX];
	char host[FM_STORE_NAME_MAX];
	bool dry_run, force, internal;
	bool keep_intent;           /* unassign that moves a binding: the intent stays */
	bool created_intent;        /* assign that made the intent (undo deletes it) */
	enum fm_store_state prev_state; /* the intent's state before the op: undo restores it */
	uint32_t min_mbps, max_mbps;    /* assign: the QoS the binding is to have; 0: none */
	uint32_t prev_min_mbps, prev_max_mbps; /* the intent's QoS before the op: undo restores it */
	bool set_min, set_max;      /* qos: which of the two the caller sets */
	bool qos_pending;           /* the QoS is stored but the switch has not confirmed it */
	uint8_t mode;
	uint32_t timeout_ms;
	bool need_num_vfs;
	uint16_t num_vfs;
	struct json_object *actions;
	fm_op_done done;
	void *arg;
	/* the answer, sent after the last store write of the operation commits */
	bool ok;
	enum fm_rpc_code code;
	char msg[256];
	struct json_object *data;
	uint8_t port, vppb, host_bus, host_devfn;
	bool changed;
	struct fm_op *next; /* queue of operations waiting for the same function */
	struct fm_op *ready_next;
	bool pending;       /* acknowledged as stored; the switch is told by reconciliation */
	bool store_failed;  /* the switch acted but the store did not record it */
	/* the request as the caller named it, resolved again after a wait for discovery */
	char req_function[REQ_NAME_MAX];
	char req_host[REQ_NAME_MAX];
	bool req_any;
	bool resolved;      /* names resolved, key filled, counted in n_ops */
	/* parked on the engine's timer list */
	enum op_wait wait;
	uint64_t deadline;  /* uv_now() ms */
	unsigned rounds;    /* WAIT_SWITCH rounds so far */
	unsigned vh_tries;  /* GET_VH asked after an unanswered UNBIND */
	struct fm_op *park_next;
	bool vetted;        /* the pre-assign / pre-unassign hooks allowed it */
	/* the caller's audit record (audit.method NULL: none), written with the operation's
	 * first intent write so that no answered call lacks its durable record */
	struct fm_store_audit audit;
	char audit_method[16];
	int64_t audit_id;       /* its row once staged; 0 before, or when that batch rolled back */
	bool audit_committed;   /* the row exists on disk */
	bool audit_ok;          /* the result staged in the row: ok, else op->code */
	unsigned audit_writes;  /* audit writes staged, not yet committed */
	bool answering;         /* op_finish ran: answer once audit_writes is 0 */
};

struct queue {
	struct fm_op *head, *tail;
	bool reconcile; /* a reconciliation skipped the function: settle it once the queue is done */
};

struct fm_engine {
	struct fm_daemon *d;
	struct fm_index *intents; /* key -> struct fm_intent */
	struct fm_intent *list;   /* every intent, for iteration */
	struct fm_index *queues;  /* key -> struct queue, present while an op runs */
	unsigned n_ops;
	bool stopping;            /* fabricd is stopping: queued operations are refused */
	struct fm_op *ready;      /* next operations to start, drained by one loop */
	bool draining;
	struct fm_op *parked;     /* waiting for a chassis to be read or the switch to finish */
	uv_timer_t timer;         /* the earliest deadline of the parked operations */
	bool timer_open;
};

static void op_start(struct fm_op *op);
static void internal_op(struct fm_engine *e, enum op_kind kind, const struct fm_fn *fn,
			const char *host, uint8_t mode, bool keep_intent);
static void op_finish(struct fm_op *op);
static void op_start_later(struct fm_engine *e, struct fm_op *op);
static void reconcile_key(struct fm_engine *e, const char *key);

/* ---- intents --------------------------------------------------------------------------- */

static void make_key(char *buf, size_t len, const char *chassis, const char *serial, int pf,
		     int vf)
{
	snprintf(buf, len, "%s|%s|%d|%d", chassis, serial, pf, vf);
}

static struct fm_intent *intent_get(const struct fm_engine *e, const char *key)
{
	return fm_index_get(e->intents, key);
}

static struct fm_intent *intent_add(struct fm_engine *e, const struct fm_store_binding *b)
{
	struct fm_intent *in = calloc(1, sizeof(*in));

	if (!in)
		return NULL;
	make_key(in->key, sizeof(in->key), b->chassis, b->card_serial, b->pf, b->vf);
	snprintf(in->chassis, sizeof(in->chassis), "%s", b->chassis);
	snprintf(in->serial, sizeof(in->serial), "%s", b->card_serial);
	in->pf = b->pf;
	in->vf = b->vf;
	snprintf(in->host, sizeof(in->host), "%s", b->host);
	in->vppb = b->vppb;
	in->state = b->state;
	in->min_mbps = b->min_mbps;
	in->max_mbps = b->max_mbps;
	in->since_ms = b->created_ms ? b->created_ms : fm_now_ms();
	if (fm_index_put(e->intents, in->key, in)) {
		free(in);
		return NULL;
	}
	in->next = e->list;
	if (e->list)
		e->list->prev = in;
	e->list = in;
	return in;
}

static void intent_remove(struct fm_engine *e, struct fm_intent *in)
{
	fm_index_del(e->intents, in->key);
	if (in->prev)
		in->prev->next = in->next;
	else
		e->list = in->next;
	if (in->next)
		in->next->prev = in->prev;
	free(in);
}

static struct fm_store_key store_key(const struct fm_intent *in)
{
	struct fm_store_key k = {in->chassis, in->serial, in->pf, in->vf};

	return k;
}

/* The store's row for in, with state st and vppb: every write of a whole row goes through
 * here, so none drops a column (the QoS asked stays with the binding). */
static void binding_of(const struct fm_intent *in, enum fm_store_state st, int vppb,
		       struct fm_store_binding *b)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->chassis, sizeof(b->chassis), "%s", in->chassis);
	snprintf(b->card_serial, sizeof(b->card_serial), "%s", in->serial);
	b->pf = in->pf;
	b->vf = in->vf;
	snprintf(b->host, sizeof(b->host), "%s", in->host);
	b->vppb = vppb;
	b->state = st;
	b->min_mbps = in->min_mbps;
	b->max_mbps = in->max_mbps;
}

/* Deletes the intent from the store (the delete reads the key's strings now, so before
 * the intent's memory goes) and then from memory. Returns the store's result. */
static int intent_forget(struct fm_engine *e, struct fm_intent *in, fm_store_done_fn done,
			 void *arg)
{
	struct fm_store_key k = store_key(in);
	int rc = fm_store_binding_delete(e->d->store, &k, done, arg);

	intent_remove(e, in);
	return rc;
}

static void set_state(struct fm_engine *e, struct fm_intent *in, enum fm_store_state st, int vppb);

/* The switch gave vppb of in's host to in: any other intent that still claims it (an
 * unbind whose answer comes after this bind's, a stale row) gives it up, so that the store's
 * one-function-per-(chassis, host, vPPB) rule follows the switch rather than refusing the
 * binding the switch made. Staged before in's own write, in the same batch. */
static void vppb_claim(struct fm_engine *e, const struct fm_intent *in, int vppb)
{
	if (vppb < 0)
		return;
	for (struct fm_intent *o = e->list; o; o = o->next)
		if (o != in && o->vppb == vppb && !strcmp(o->host, in->host) &&
		    !strcmp(o->chassis, in->chassis))
			set_state(e, o, o->state, -1);
}

static int load_binding(void *arg, const struct fm_store_binding *b)
{
	struct fm_intent *in = intent_add(arg, b);

	if (!in)
		return -ENOMEM;
	in->qos_unsynced = true; /* a change may have been stored and never sent */
	return 0;
}

struct fm_engine *fm_engine_new(struct fm_daemon *d, char *err, size_t errlen)
{
	struct fm_engine *e = calloc(1, sizeof(*e));

	if (!e)
		goto nomem;
	e->d = d;
	e->intents = fm_index_new(256);
	e->queues = fm_index_new(64);
	if (!e->intents || !e->queues)
		goto nomem;
	if (fm_store_binding_list(d->store, load_binding, e)) {
		snprintf(err, errlen, "reading bindings: %s", fm_store_last_error(d->store));
		fm_engine_free(e);
		return NULL;
	}
	uv_timer_init(d->loop, &e->timer);
	e->timer.data = e;
	e->timer_open = true;
	return e;
nomem:
	snprintf(err, errlen, "out of memory");
	fm_engine_free(e);
	return NULL;
}

void fm_engine_free(struct fm_engine *e)
{
	if (!e)
		return;
	while (e->list)
		intent_remove(e, e->list);
	fm_index_free(e->intents);
	fm_index_free(e->queues);
	free(e);
}

static void release_parked(struct fm_engine *e, enum op_wait why, const char *key);

void fm_engine_stop(struct fm_engine *e)
{
	e->stopping = true;
	/* parked operations are answered now (refused, or finished as far as the switch went) */
	release_parked(e, WAIT_READY, NULL);
	release_parked(e, WAIT_SWITCH, NULL);
	if (e->timer_open) {
		uv_close((uv_handle_t *)&e->timer, NULL);
		e->timer_open = false;
	}
}

const struct fm_intent *fm_engine_intents(const struct fm_engine *e)
{
	return e->list;
}

unsigned fm_engine_ops(const struct fm_engine *e)
{
	return e->n_ops;
}

const struct fm_intent *fm_engine_intent_of(const struct fm_engine *e, const struct fm_fn *fn)
{
	char key[sizeof(((struct fm_intent *)0)->key)];
	int pf, vf;

	fm_fn_binding_pf_vf(fn, &pf, &vf);
	make_key(key, sizeof(key), fn->card->chassis->name, fn->card->serial, pf, vf);
	return intent_get(e, key);
}

/* ---- helpers --------------------------------------------------------------------------- */

static struct fm_fn *op_fn(const struct fm_op *op)
{
	struct fm_chassis *ch = fm_inv_chassis(op->e->d->inv, op->chassis);
	struct fm_card *card = ch ? fm_inv_card_by_serial(ch, op->serial) : NULL;

	return card ? fm_inv_fn_at(card, (uint8_t)op->pf, op->vf < 0 ? FMP_VF_NONE : (uint16_t)op->vf)
		    : NULL;
}

static struct fm_host *op_host(const struct fm_op *op)
{
	struct fm_chassis *ch = fm_inv_chassis(op->e->d->inv, op->chassis);
	char name[FM_NAME_MAX * 2 + 2];

	if (!ch)
		return NULL;
	snprintf(name, sizeof(name), "%s:%s", op->chassis, op->host);
	return fm_inv_find_host(op->e->d->inv, name, NULL);
}

static void op_fail(struct fm_op *op, enum fm_rpc_code code, struct json_object *data,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void op_fail(struct fm_op *op, enum fm_rpc_code code, struct json_object *data,
		    const char *fmt, ...)
{
	va_list ap;

	op->ok = false;
	op->code = code;
	json_object_put(op->data);
	op->data = data;
	va_start(ap, fmt);
	vsnprintf(op->msg, sizeof(op->msg), fmt, ap);
	va_end(ap);
	op_finish(op);
}

/* A store write or its commit failed (rc): the file or disk failing (the database deleted,
 * replaced, over RLIMIT_FSIZE, full) is store-unavailable, anything else internal. */
static void op_store_fail(struct fm_op *op, int rc)
{
	op_fail(op, fm_store_error_unavailable(rc) ? FM_RPC_E_STORE_UNAVAILABLE : FM_RPC_E_INTERNAL,
		NULL, "intent store: %s", fm_store_last_error(op->e->d->store));
}

static void add_action(struct fm_op *op, const char *action, const char *k1, const char *v1,
		       const char *k2, int v2)
{
	struct json_object *a = json_object_new_object();

	json_object_object_add(a, "action", json_object_new_string(action));
	if (k1)
		json_object_object_add(a, k1, json_object_new_string(v1));
	if (k2)
		json_object_object_add(a, k2, json_object_new_int(v2));
	json_object_array_add(op->actions, a);
}

enum fm_rpc_code fm_engine_map_status(int status)
{
	switch (status) {
	case FMP_E_BUSY: return FM_RPC_E_FUNCTION_BUSY;
	case FMP_E_NO_VPPB: return FM_RPC_E_NO_FREE_VPPB;
	case FMP_E_BUS_RANGE: return FM_RPC_E_BUS_RANGE;
	case FMP_E_LINK_DOWN: return FM_RPC_E_HOST_LINK_DOWN;
	case FMP_E_SHARING_MODE: return FM_RPC_E_SHARING_MODE;
	case FMP_E_VF_BOUND: return FM_RPC_E_VF_BOUND;
	case FMP_E_TIMEOUT: return FM_RPC_E_TIMEOUT;
	case FMP_E_IN_PROGRESS: return FM_RPC_E_IN_PROGRESS;
	case FMP_E_NO_SUCH_FUNCTION:
	case FMP_E_EMPTY_SLOT:
	case FMP_E_NO_SUCH_SLOT: return FM_RPC_E_NO_SUCH_FUNCTION;
	case FMP_E_NO_SUCH_PORT: return FM_RPC_E_NO_SUCH_HOST;
	case FMP_E_POWER: return FM_RPC_E_BAD_REQUEST;
	case -ETIMEDOUT:
	case -ECONNRESET:
	case -ENOTCONN:
	case -EAGAIN:
	case -ECANCELED: return FM_RPC_E_SWITCH_UNREACHABLE;
	case -EPROTO: return FM_RPC_E_SWITCH_ERROR;
	case -EOPNOTSUPP: return FM_RPC_E_QOS_UNSUPPORTED; /* fm_switch_request: no QoS feature */
	}
	/* any other FMP status (FMP_E_INJECTED, FMP_E_INTERNAL, FMP_E_INVALID...): the
	 * switch refused; status_data() names the status */
	return status > 0 ? FM_RPC_E_SWITCH_ERROR : FM_RPC_E_INTERNAL;
}

/* The error's data for a switch status: {"fmp_status":"FMP_E_..."}; NULL for link errors. */
static struct json_object *status_data(int status)
{
	struct json_object *o;

	if (status <= 0)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "fmp_status", json_object_new_string(fmp_status_name(status)));
	return o;
}

static const char *status_text(int status)
{
	if (status > 0)
		return fmp_strerror(status);
	if (status == -ETIMEDOUT)
		return "the switch did not answer in time";
	if (status == -EOPNOTSUPP)
		return "the switch does not support QoS (it did not agree to the FMP QoS feature in HELLO; "
		       "an older switch firmware)";
	return strerror(-status);
}

static bool chassis_ready(const struct fm_op *op)
{
	struct fm_chassis *ch = fm_inv_chassis(op->e->d->inv, op->chassis);

	struct fm_switch *sw = ch ? fm_daemon_link(op->e->d, ch) : NULL;

	return ch && ch->discovered && sw && fm_switch_state(sw) == FM_SWITCH_READY;
}

static void req_init(struct fmp_msg *m, uint16_t op)
{
	memset(m, 0, sizeof(*m));
	m->hdr.kind = FMP_KIND_REQUEST;
	m->hdr.opcode = op;
}

static int op_request(struct fm_op *op, struct fmp_msg *m, uint32_t timeout_ms, fm_switch_cb cb)
{
	struct fm_chassis *ch = fm_inv_chassis(op->e->d->inv, op->chassis);
	struct fm_switch *sw = ch ? fm_daemon_link(op->e->d, ch) : NULL;

	return sw ? fm_switch_request(sw, m, timeout_ms, cb, op) : -ENOTCONN;
}

/* ---- queueing -------------------------------------------------------------------------- */

static void op_submit(struct fm_op *op)
{
	struct queue *q = fm_index_get(op->e->queues, op->key);

	op->e->n_ops++;
	if (q) {
		q->tail->next = op;
		q->tail = op;
		return;
	}
	q = calloc(1, sizeof(*q));
	if (!q || fm_index_put(op->e->queues, op->key, q)) {
		free(q);
		op_fail(op, FM_RPC_E_INTERNAL, NULL, "out of memory");
		return;
	}
	q->head = q->tail = op;
	op_start(op);
}

/* The function's state the answer reports: what the switch confirmed, or, with dry_run,
 * what it is now; "unbinding" for an unassign stored but not yet confirmed. */
static const char *result_state(const struct fm_op *op)
{
	if (op->kind == OP_QOS) {
		const struct fm_intent *in = intent_get(op->e, op->key);

		return in ? fm_store_state_name(in->state) : "free";
	}
	if (op->kind == OP_ASSIGN)
		return op->dry_run && op->changed ? "free" : op->pending ? "binding" : "bound";
	return op->dry_run && op->changed ? "bound" : op->pending ? "unbinding" : "free";
}

static const char *kind_name(const struct fm_op *op)
{
	return op->kind == OP_ASSIGN ? "assign" : op->kind == OP_UNASSIGN ? "unassign" : "qos";
}

/* The answer's "qos": the binding's floor and cap in Gb/s and whether the switch has them. */
static void add_qos_json(const struct fm_op *op, struct json_object *res)
{
	struct json_object *q;

	if (op->kind != OP_QOS && !op->min_mbps && !op->max_mbps)
		return;
	q = json_object_new_object();
	json_object_object_add(q, "min_gbps", json_object_new_double(op->min_mbps / 1000.0));
	json_object_object_add(q, "max_gbps", json_object_new_double(op->max_mbps / 1000.0));
	if (!op->dry_run)
		json_object_object_add(q, "switch", json_object_new_string(op->qos_pending ? "pending"
											: "confirmed"));
	json_object_object_add(res, "qos", q);
}

/* ---- audit ------------------------------------------------------------------------------ */

static void op_answer(struct fm_op *op);

static void audit_written(void *arg, int rc)
{
	struct fm_op *op = arg;

	op->audit_writes--;
	if (rc) {
		fm_log(op->e->d, FM_LOG_ERR, "%s %s: audit record not stored: %s", op->audit_method,
		       op->fn_name[0] ? op->fn_name : op->req_function, fm_store_last_error(op->e->d->store));
		if (!op->audit_committed)
			op->audit_id = 0;
	} else {
		op->audit_committed = true;
	}
	if (op->answering && op->audit_writes == 0)
		op_answer(op);
}

/* Stages the audit record with the operation's result as it stands: appended the first
 * time, its result replaced after. */
static int audit_stage(struct fm_op *op)
{
	struct fm_store *s = op->e->d->store;
	const char *result = op->ok ? "ok" : fm_rpc_code_name(op->code);
	const char *msg = op->ok ? "" : op->msg;
	int rc;

	if (op->audit_id) {
		rc = fm_store_audit_set_result(s, op->audit_id, result, msg, audit_written, op);
	} else {
		struct fm_store_audit a = op->audit;

		a.result = result;
		a.message = msg;
		rc = fm_store_audit_append(s, &a, audit_written, op);
		if (!rc)
			op->audit_id = fm_store_audit_last_id(s);
	}
	if (rc) {
		fm_log(op->e->d, FM_LOG_ERR, "%s %s: audit record lost: %s", op->audit_method,
		       op->fn_name[0] ? op->fn_name : op->req_function, fm_store_last_error(s));
		return rc;
	}
	op->audit_writes++;
	op->audit_ok = op->ok;
	return 0;
}

/* Before an operation's first intent write: its audit record goes into the same batch, and
 * first, so that its commit callback runs before the intent's. False: op refused. */
static bool audit_begin(struct fm_op *op)
{
	int rc;

	if (!op->audit.method || op->audit_id)
		return true;
	rc = audit_stage(op);
	if (rc == 0)
		return true;
	op_store_fail(op, rc);
	return false;
}

/* The operation is decided (op->ok/code/msg): its audit record is made to say so, and the
 * caller is answered once that is durable. */
static void op_finish(struct fm_op *op)
{
	if (op->audit.method && (!op->audit_id || op->audit_ok != op->ok))
		audit_stage(op); /* a failure is logged; the answer goes all the same */
	op->answering = true;
	if (op->audit_writes == 0)
		op_answer(op);
}

/* Answers the caller, frees op and starts the next operation on the same function. */
static void op_answer(struct fm_op *op)
{
	struct fm_engine *e = op->e;
	struct queue *q = fm_index_get(e->queues, op->key);
	struct fm_op *next = NULL;
	struct json_object *res = NULL;
	bool recheck = false;
	char key[sizeof(op->key)];

	if (op->ok) {
		res = json_object_new_object();
		json_object_object_add(res, "schema", json_object_new_int(1));
		json_object_object_add(res, "function", json_object_new_string(op->fn_name));
		if (op->host[0])
			json_object_object_add(res, "host", json_object_new_string(op->host));
		if (op->kind == OP_ASSIGN && op->vppb != FMP_VPPB_NONE && !op->dry_run) {
			char bdf[16];

			snprintf(bdf, sizeof(bdf), "%02x:%02x.%u", op->host_bus, op->host_devfn >> 3,
				 op->host_devfn & 7);
			json_object_object_add(res, "vppb", json_object_new_int(op->vppb));
			json_object_object_add(res, "host_bdf", json_object_new_string(bdf));
		} else if (op->kind == OP_UNASSIGN && op->vppb != FMP_VPPB_NONE) {
			json_object_object_add(res, "vppb", json_object_new_int(op->vppb));
		}
		json_object_object_add(res, "state", json_object_new_string(result_state(op)));
		if (!op->dry_run) {
			/* confirmed: the switch answered (or its inventory, read since it last
			 * connected, shows) this state; pending: stored, the switch is told by
			 * reconciliation */
			json_object_object_add(res, "switch",
					       json_object_new_string(op->pending ? "pending" : "confirmed"));
			json_object_object_add(res, "stored", json_object_new_boolean(!op->store_failed));
		}
		add_qos_json(op, res);
		json_object_object_add(res, "changed", json_object_new_boolean(op->changed));
		json_object_object_add(res, "dry_run", json_object_new_boolean(op->dry_run));
		json_object_object_add(res, "actions", json_object_get(op->actions));
	}
	if (op->internal) {
		if (op->ok && (op->kind != OP_QOS || op->min_mbps || op->max_mbps))
			fm_log(e->d, FM_LOG_INFO, "reconcile: %s %s%s%s: done", kind_name(op),
			       op->fn_name, op->host[0] ? " to " : "", op->host);
		else if (!op->ok)
			fm_log(e->d, FM_LOG_ERR, "reconcile: %s %s: %s: %s", kind_name(op), op->fn_name,
			       fm_rpc_code_name(op->code), op->msg);
		json_object_put(res);
		json_object_put(op->data);
	} else if (op->ok) {
		op->done(op->arg, true, 0, NULL, res);
		json_object_put(op->data);
	} else {
		op->done(op->arg, false, op->code, op->msg, op->data);
	}
	op->data = NULL;
	if (q && q->head == op) {
		next = op->next;
		if (next) {
			q->head = next;
		} else {
			recheck = q->reconcile;
			fm_index_del(e->queues, op->key);
			free(q);
		}
	} else if (q) {
		/* refused before it ran (out of memory queueing): it was never in the queue */
	}
	json_object_put(op->actions);
	e->n_ops--;
	snprintf(key, sizeof(key), "%s", op->key);
	free((char *)op->audit.params);
	free(op);
	if (next)
		op_start_later(e, next);
	else if (recheck)
		reconcile_key(e, key);
}

/* Starts queued operations one after the other from a loop, not by recursion: an
 * operation that finishes at once (already so, refused) would otherwise nest one stack
 * frame per queued request. */
static void op_start_later(struct fm_engine *e, struct fm_op *op)
{
	struct fm_op **tail = &e->ready;

	while (*tail)
		tail = &(*tail)->ready_next;
	op->ready_next = NULL;
	*tail = op;
	if (e->draining)
		return;
	e->draining = true;
	while ((op = e->ready)) {
		e->ready = op->ready_next;
		op_start(op);
	}
	e->draining = false;
}

/* ---- parking: waits with a deadline, on one timer --------------------------------------- */

static void op_resolve(struct fm_op *op);
static void assign_bind(struct fm_op *op);
static void unassign_send(struct fm_op *op, uint8_t mode);
static void unbind_unconfirmed(struct fm_op *op);
static void refuse(struct fm_op *op, enum fm_rpc_code code, const char *fmt, const char *a,
		   const char *b);

static uint64_t loop_now(const struct fm_engine *e)
{
	return uv_now(e->d->loop);
}

static void on_park_timer(uv_timer_t *t);

static void park_arm(struct fm_engine *e)
{
	uint64_t first = UINT64_MAX, now = loop_now(e);

	if (!e->timer_open)
		return;
	for (struct fm_op *op = e->parked; op; op = op->park_next)
		if (op->deadline < first)
			first = op->deadline;
	if (first == UINT64_MAX)
		uv_timer_stop(&e->timer);
	else
		uv_timer_start(&e->timer, on_park_timer, first > now ? first - now : 0, 0);
}

/* Parks op until op->deadline (set by the caller) or an earlier release. */
static void park(struct fm_op *op, enum op_wait why)
{
	struct fm_engine *e = op->e;

	op->wait = why;
	op->park_next = e->parked;
	e->parked = op;
	park_arm(e);
}

/* Takes the parked operations waiting for why (and key, when not NULL) off the list, in the
 * order they were parked. */
static struct fm_op *unpark_all(struct fm_engine *e, enum op_wait why, const char *key,
				bool due_only)
{
	struct fm_op *taken = NULL, **tail = &taken, **pp = &e->parked;
	uint64_t now = loop_now(e);

	while (*pp) {
		struct fm_op *op = *pp;

		if ((why == WAIT_NONE || op->wait == why) && (!key || !strcmp(op->key, key)) &&
		    (!due_only || op->deadline <= now)) {
			*pp = op->park_next;
			op->park_next = NULL;
			*tail = op;
			tail = &op->park_next;
		} else {
			pp = &op->park_next;
		}
	}
	/* parked last first on the list: reverse, so the oldest goes first */
	{
		struct fm_op *rev = NULL;

		while (taken) {
			struct fm_op *n = taken->park_next;

			taken->park_next = rev;
			rev = taken;
			taken = n;
		}
		taken = rev;
	}
	park_arm(e);
	return taken;
}

/* The wait is over (released or due): go on where the operation stopped. */
static void resume(struct fm_op *op, enum op_wait why, bool due)
{
	struct fm_engine *e = op->e;

	op->wait = WAIT_NONE;
	if (why == WAIT_SWITCH && e->stopping && op->kind == OP_UNASSIGN) {
		/* fabricd stops before the switch finished: the intent stays unbinding, which
		 * reconciliation settles after the restart */
		unbind_unconfirmed(op);
		return;
	}
	if (why == WAIT_SWITCH) {
		/* the switch's own operation ended (or should have by now): ask again */
		if (op->kind == OP_ASSIGN)
			assign_bind(op);
		else
			unassign_send(op, op->mode);
		return;
	}
	if (op->resolved) {
		/* parked from op_start, at the head of its queue */
		if (due) {
			op_fail(op, FM_RPC_E_SWITCH_UNREACHABLE, NULL,
				"chassis %s is connected but not read yet; try again", op->chassis);
			return;
		}
		op_start_later(e, op);
		return;
	}
	e->n_ops--;
	if (due) {
		refuse(op, FM_RPC_E_SWITCH_UNREACHABLE,
		       "%s: its chassis is connected but not read yet; try again%s", op->req_function, "");
		return;
	}
	op_resolve(op);
}

static void release_parked(struct fm_engine *e, enum op_wait why, const char *key)
{
	struct fm_op *op = unpark_all(e, why, key, false);

	while (op) {
		struct fm_op *next = op->park_next;

		op->park_next = NULL;
		resume(op, why, false);
		op = next;
	}
}

static void on_park_timer(uv_timer_t *t)
{
	struct fm_engine *e = t->data;
	struct fm_op *op = unpark_all(e, WAIT_NONE, NULL, true);

	while (op) {
		struct fm_op *next = op->park_next;

		op->park_next = NULL;
		resume(op, op->wait, true);
		op = next;
	}
}

/* Connected, but its inventory (bindings included) not read yet: a mutation decided now
 * would be decided on half an inventory (issue 19: an unassign answered "forget" while
 * the switch still held the binding, then adopted back). */
static bool chassis_settling(const struct fm_engine *e, const struct fm_chassis *ch)
{
	struct fm_switch *sw = fm_daemon_link(e->d, ch);

	return sw && !ch->discovered && fm_switch_state(sw) == FM_SWITCH_READY;
}

/* A name resolved to ch (or, NULL, not found): must the request wait for a discovery? A
 * name not found waits while any chassis is being read, since it may be there. */
static bool must_wait(const struct fm_engine *e, const struct fm_chassis *ch)
{
	if (ch)
		return chassis_settling(e, ch);
	for (unsigned i = 0; i < fm_inv_chassis_count(e->d->inv); i++)
		if (chassis_settling(e, fm_inv_chassis_at(e->d->inv, i)))
			return true;
	return false;
}

/* Parks a request until discovery ends, for at most its wait bound from its first park. */
static void park_ready(struct fm_op *op)
{
	struct fm_engine *e = op->e;

	if (e->stopping) {
		if (op->resolved)
			op_fail(op, FM_RPC_E_SWITCH_UNREACHABLE, NULL, "fabricd is stopping");
		else
			refuse(op, FM_RPC_E_SWITCH_UNREACHABLE, "fabricd is stopping%s%s", "", "");
		return;
	}
	if (!op->deadline)
		op->deadline = loop_now(e) + (op->kind == OP_UNASSIGN && op->timeout_ms
						      ? op->timeout_ms
						      : e->d->cfg->timeouts.managed_unbind_ms);
	if (!op->resolved)
		e->n_ops++;
	park(op, WAIT_READY);
}

/* FMP_E_IN_PROGRESS: the switch is finishing an operation on the function (one a previous
 * run of fabricd started, before a crash): follow it to its end — its BIND_DONE or
 * UNBIND_DONE event, or a deadline — then ask again. False when the caller's patience is
 * spent (reconciliation's own operations follow longer). */
static bool follow(struct fm_op *op)
{
	const struct fm_fabric_timeouts *t = &op->e->d->cfg->timeouts;
	uint32_t round = t->managed_unbind_ms + t->switch_request_ms;
	unsigned max = op->internal ? 8 : 1 + op->timeout_ms / round;

	if (op->e->stopping || op->rounds >= max)
		return false;
	op->rounds++;
	fm_log(op->e->d, FM_LOG_INFO, "%s: the switch has an operation in progress on it; waiting for its end",
	       op->fn_name);
	op->deadline = loop_now(op->e) + round;
	park(op, WAIT_SWITCH);
	return true;
}

static struct fm_op *op_new(struct fm_engine *e, enum op_kind kind, fm_op_done done, void *arg)
{
	struct fm_op *op = calloc(1, sizeof(*op));

	if (!op) {
		if (done)
			done(arg, false, FM_RPC_E_INTERNAL, "out of memory", NULL);
		return NULL;
	}
	op->e = e;
	op->kind = kind;
	op->done = done;
	op->arg = arg;
	op->internal = !done;
	op->actions = json_object_new_array();
	op->vppb = FMP_VPPB_NONE;
	op->port = FMP_PORT_NONE;
	op->ok = true;
	return op;
}

/* Keeps a copy of the caller's audit record (params NULL if it cannot be copied). */
static void op_set_audit(struct fm_op *op, const struct fm_store_audit *a)
{
	if (!a || !a->method)
		return;
	op->audit = *a;
	snprintf(op->audit_method, sizeof(op->audit_method), "%s", a->method);
	op->audit.method = op->audit_method;
	op->audit.params = a->params ? strdup(a->params) : NULL;
	op->audit.result = op->audit.message = NULL;
}

/* Fills the op's binding key from a resolved function (canonical for exclusive cards). */
static void op_bind_fn(struct fm_op *op, const struct fm_fn *fn)
{
	struct fm_card *card = fn->card;

	fm_fn_binding_pf_vf(fn, &op->pf, &op->vf);
	snprintf(op->chassis, sizeof(op->chassis), "%s", card->chassis->name);
	snprintf(op->serial, sizeof(op->serial), "%s", card->serial);
	make_key(op->key, sizeof(op->key), op->chassis, op->serial, op->pf, op->vf);
	if (op->vf >= 0)
		snprintf(op->fn_name, sizeof(op->fn_name), "%s/pf%d/vf%d", card->name, op->pf, op->vf);
	else
		snprintf(op->fn_name, sizeof(op->fn_name), "%s/pf%d", card->name, op->pf);
}

/* Refuses at once (not queued): the request named nothing we can act on. */
static void refuse(struct fm_op *op, enum fm_rpc_code code, const char *fmt, const char *a,
		   const char *b)
{
	if (!op->audit.method) {
		char msg[256];

		snprintf(msg, sizeof(msg), fmt, a, b);
		if (op->done)
			op->done(op->arg, false, code, msg, NULL);
		json_object_put(op->actions);
		free(op);
		return;
	}
	/* answered once its audit record is durable: counted as running until then */
	op->ok = false;
	op->code = code;
	snprintf(op->msg, sizeof(op->msg), fmt, a, b);
	op->e->n_ops++;
	op_finish(op);
}

/* ---- asking the switch what became of a request left unanswered ------------------------ */

/* A GET_VH answer for one of op's requests: the inventory takes it, and the vPPB that holds
 * op's function there (NULL if none) is returned. */
static const struct fmp_vppb_info *vh_holding(struct fm_op *op, const struct fmp_vh_resp *vh)
{
	struct fm_chassis *ch = fm_inv_chassis(op->e->d->inv, op->chassis);
	struct fm_fn *fn = op_fn(op);
	const struct fmp_vppb_info *held = NULL;
	struct fmp_fn_addr a;

	if (ch && fm_inv_host_by_port(ch, vh->port))
		fm_inv_set_vh(ch, vh);
	if (!fn)
		return NULL;
	a = fm_fn_addr(fn);
	for (unsigned i = 0; i < vh->count; i++) {
		const struct fmp_vppb_info *v = &vh->vppbs[i];

		if (v->bind_state != FMP_BIND_UNBOUND && v->fn.slot == a.slot && v->fn.pf == a.pf &&
		    v->fn.vf == a.vf)
			held = v;
	}
	return held;
}

/* Sends GET_VH for port with cb; false when it cannot be sent or op asked 3 times. */
static bool ask_vh(struct fm_op *op, uint8_t port, fm_switch_cb cb)
{
	struct fmp_msg m;

	if (op->vh_tries >= 3 || port == FMP_PORT_NONE || !chassis_ready(op))
		return false;
	op->vh_tries++;
	req_init(&m, FMP_OP_GET_VH);
	m.u.vh_req.port = port;
	return op_request(op, &m, 0, cb) == 0;
}

/* ---- vetoes ---------------------------------------------------------------------------- */

/* pre-assign / pre-unassign hooks (DESIGN.md "Hooks") are asked once per operation a client
 * asked for, after validation and before the intent is stored; when they allow it the
 * operation starts over, validated again, as the fabric may have changed while they ran.
 * Reconciliation's own operations finish what is already intended: no hook is asked. */
static void op_vetted(void *arg, bool allowed, const char *hook, const char *message)
{
	struct fm_op *op = arg;

	if (!allowed && hook) {
		struct json_object *data = json_object_new_object();

		json_object_object_add(data, "hook", json_object_new_string(hook));
		json_object_object_add(data, "message", json_object_new_string(message));
		op_fail(op, FM_RPC_E_HOOK_VETO, data, "%s: %s", hook, message);
		return;
	}
	if (!allowed) {
		op_fail(op, op->e->stopping ? FM_RPC_E_SWITCH_UNREACHABLE : FM_RPC_E_INTERNAL, NULL,
			"%s hooks could not run: %s", op->kind == OP_ASSIGN ? "pre-assign" : "pre-unassign",
			message);
		return;
	}
	op->vetted = true;
	json_object_put(op->actions);
	op->actions = json_object_new_array();
	op_start(op);
}

static void op_veto_stored(void *arg, const struct fm_store_event *ev)
{
	struct fm_op *op = arg;

	if (!ev) {
		op_fail(op, FM_RPC_E_INTERNAL, NULL, "intent store: %s", fm_store_last_error(op->e->d->store));
		return;
	}
	fm_hooks_veto(op->e->d->hooks, ev, op_vetted, op);
}

/* True when the hooks are asked first: op continues in op_vetted. */
static bool op_vetting(struct fm_op *op)
{
	struct fm_fn *fn = op_fn(op);

	if (op->internal || op->vetted || op->kind == OP_QOS || !fm_hooks_runnable(op->e->d->hooks))
		return false;
	fm_daemon_event_then(op->e->d, &(struct fm_event_args){
		.name = op->kind == OP_ASSIGN ? "pre-assign" : "pre-unassign", .chassis = op->chassis,
		.slot = fn ? fn->card->slot : -1, .card = fn ? fn->card->name : NULL,
		.function = op->fn_name, .host = op->host[0] ? op->host : NULL,
		.vppb = op->kind == OP_UNASSIGN && op->vppb != FMP_VPPB_NONE ? op->vppb : -1,
		.detail = op->kind == OP_UNASSIGN ? json_object_new_string(
				  op->mode == FMP_UNBIND_SURPRISE ? "surprise" : "managed") : NULL},
		op_veto_stored, op);
	return true;
}

/* ---- qos: a binding's floor and cap on the switch ----------------------------------------- */

static void op_failed_stored(void *arg, int rc);

static bool switch_has_qos(const struct fm_op *op)
{
	struct fm_chassis *ch = fm_inv_chassis(op->e->d->inv, op->chassis);
	struct fm_switch *sw = ch ? fm_daemon_link(op->e->d, ch) : NULL;

	return sw && (fm_switch_features(sw) & FMP_FEAT_QOS);
}

/* A floor or cap asked of a switch that does not speak QoS is refused before anything
 * changes, rather than stored and never applied. True when op was refused. */
static bool qos_unsupported(struct fm_op *op, bool asked)
{
	if (!asked || !chassis_ready(op) || switch_has_qos(op))
		return false;
	op_fail(op, FM_RPC_E_QOS_UNSUPPORTED, NULL,
		"%s: the switch of chassis %s does not support QoS (it did not agree to the FMP QoS "
		"feature in HELLO: older firmware); nothing changed", op->fn_name, op->chassis);
	return true;
}

/* Admission control (admission.h) for fn's binding on h with floor min_mbps, its floor
 * having been prev_min: raising a floor needs room, lowering or keeping it never does (so
 * that a link retrained narrower does not block the floors going down). True: refused. */
static bool qos_refused(struct fm_op *op, const struct fm_fn *fn, const struct fm_host *h,
			uint32_t min_mbps, uint32_t prev_min)
{
	struct fm_admit_claim c = {fn, h, min_mbps};
	struct fm_admit_refusal why;
	struct json_object *data;
	char err[sizeof(op->msg)];

	if (!fn || !h || min_mbps <= prev_min ||
	    fm_admission_check_why(op->e->d->inv, op->e->list, &c, 1, &why, err, sizeof(err)) == 0)
		return false;
	data = json_object_new_object();
	json_object_object_add(data, "chassis", json_object_new_string(why.chassis));
	json_object_object_add(data, "link", json_object_new_string(why.link));
	json_object_object_add(data, "capacity_mbps", json_object_new_int64((int64_t)why.capacity_mbps));
	json_object_object_add(data, "promised_mbps", json_object_new_int64((int64_t)why.promised_mbps));
	json_object_object_add(data, "asked_mbps", json_object_new_int64((int64_t)why.asked_mbps));
	op_fail(op, FM_RPC_E_QOS_OVERCOMMIT, data, "%s", err);
	return true;
}

/* The switch refused the change: the intent's QoS goes back to what it was, then the
 * refusal is answered (op->ok/code/msg set). */
static void qos_undo(struct fm_op *op)
{
	struct fm_intent *in = intent_get(op->e, op->key);
	struct fm_store_binding b;

	op->ok = false;
	if (in) {
		if (op->audit_id)
			audit_stage(op); /* the refusal, in the batch that restores the intent */
		in->min_mbps = op->prev_min_mbps;
		in->max_mbps = op->prev_max_mbps;
		binding_of(in, in->state, in->vppb, &b);
		if (fm_store_binding_put(op->e->d->store, &b, op_failed_stored, op) == 0)
			return;
	}
	op_finish(op);
}

/* SET_QOS answered status (or could not be sent). */
static void qos_settled(struct fm_op *op, int status)
{
	struct fm_intent *in = intent_get(op->e, op->key);

	if (status == 0) {
		op->qos_pending = false;
		if (in)
			in->qos_unsynced = false;
		op_finish(op);
		return;
	}
	if (op->kind == OP_QOS && !op->internal && (status > 0 || status == -EOPNOTSUPP)) {
		op->code = fm_engine_map_status(status);
		json_object_put(op->data);
		op->data = status_data(status);
		snprintf(op->msg, sizeof(op->msg), "cannot set the QoS of %s: %s", op->fn_name,
			 status_text(status));
		qos_undo(op);
		return;
	}
	/* the switch is away or did not answer: the intent stands (it is durable), and
	 * reconciliation sets it once the switch is back */
	op->qos_pending = true;
	if (in)
		in->qos_unsynced = true;
	if (op->internal && op->kind == OP_QOS) {
		op_fail(op, fm_engine_map_status(status), status_data(status),
			"cannot set the QoS of %s: %s", op->fn_name, status_text(status));
		return;
	}
	fm_log(op->e->d, FM_LOG_ERR, "%s: QoS not set on the switch (%s); it stays pending until "
	       "reconciliation sets it", op->fn_name, status_text(status));
	op_finish(op);
}

static void on_set_qos(void *arg, int status, const struct fmp_msg *r)
{
	(void)r;
	qos_settled(arg, status);
}

/* SET_QOS of op's function to min/max. */
static void qos_send(struct fm_op *op, uint32_t min_mbps, uint32_t max_mbps)
{
	struct fm_fn *fn = op_fn(op);
	struct fmp_msg m;
	int rc;

	op->qos_pending = true;
	if (!fn || !chassis_ready(op)) {
		qos_settled(op, -ENOTCONN);
		return;
	}
	req_init(&m, FMP_OP_SET_QOS);
	m.u.qos_set_req.fn = fm_fn_addr(fn); /* an exclusive card's: its pf0 */
	m.u.qos_set_req.min_mbps = min_mbps;
	m.u.qos_set_req.max_mbps = max_mbps;
	rc = op_request(op, &m, 0, on_set_qos); /* -EOPNOTSUPP: a switch without the feature */
	if (rc)
		qos_settled(op, rc);
}

/* After a bind: the floor and cap the binding asks go to the switch before the answer; if
 * the switch cannot take them the binding stays made, its QoS pending for reconciliation. */
static void qos_after_bind(struct fm_op *op)
{
	if (!op->min_mbps && !op->max_mbps) {
		op_finish(op);
		return;
	}
	qos_send(op, op->min_mbps, op->max_mbps);
}

static void qos_persisted(void *arg, int rc)
{
	struct fm_op *op = arg;
	struct fm_intent *in = intent_get(op->e, op->key);

	if (rc) {
		/* rolled back: memory goes back to what the store holds */
		if (in) {
			in->min_mbps = op->prev_min_mbps;
			in->max_mbps = op->prev_max_mbps;
		}
		op_store_fail(op, rc);
		return;
	}
	qos_send(op, op->min_mbps, op->max_mbps);
}

static void qos_start(struct fm_op *op)
{
	struct fm_intent *in = intent_get(op->e, op->key);
	struct fm_store_binding b;
	uint32_t min, max;
	int rc;

	if (op->internal) {
		/* reconciliation: the switch gets the intent's QoS, none once the intent is gone */
		if (in)
			snprintf(op->host, sizeof(op->host), "%s", in->host);
		op->min_mbps = in ? in->min_mbps : 0;
		op->max_mbps = in ? in->max_mbps : 0;
		qos_send(op, op->min_mbps, op->max_mbps);
		return;
	}
	if (!in) {
		op_fail(op, FM_RPC_E_BAD_REQUEST, NULL,
			"%s is not assigned: a floor or cap belongs to a binding (assign it with "
			"min_gbps/max_gbps)", op->fn_name);
		return;
	}
	snprintf(op->host, sizeof(op->host), "%s", in->host);
	min = op->set_min ? op->min_mbps : in->min_mbps;
	max = op->set_max ? op->max_mbps : in->max_mbps;
	op->min_mbps = min;
	op->max_mbps = max;
	if (max && min > max) {
		op_fail(op, FM_RPC_E_BAD_PARAMS,
			json_tokener_parse(op->set_min ? "{\"param\":\"min_gbps\"}" : "{\"param\":\"max_gbps\"}"),
			"%s: the floor (%u Mb/s) would be above the cap (%u Mb/s)", op->fn_name, min, max);
		return;
	}
	if (min == in->min_mbps && max == in->max_mbps) {
		op->changed = false;
		op->qos_pending = in->qos_unsynced;
		op_finish(op); /* already so */
		return;
	}
	if (qos_unsupported(op, true) || qos_refused(op, op_fn(op), op_host(op), min, in->min_mbps))
		return;
	add_action(op, "set-qos", "host", op->host, NULL, 0);
	op->changed = true;
	if (op->dry_run) {
		op_finish(op);
		return;
	}
	/* durable before the switch is told, with the call's audit record */
	if (!audit_begin(op))
		return;
	op->prev_min_mbps = in->min_mbps;
	op->prev_max_mbps = in->max_mbps;
	in->min_mbps = min;
	in->max_mbps = max;
	binding_of(in, in->state, in->vppb, &b);
	rc = fm_store_binding_put(op->e->d->store, &b, qos_persisted, op);
	if (rc) {
		in->min_mbps = op->prev_min_mbps;
		in->max_mbps = op->prev_max_mbps;
		op_store_fail(op, rc);
	}
}

/* ---- assign ---------------------------------------------------------------------------- */

static void assign_bind(struct fm_op *op);

/* The operation's last store write committed (or not): answer. */
static void op_stored(void *arg, int rc)
{
	struct fm_op *op = arg;

	if (rc)
		op_store_fail(op, rc);
	else
		op_finish(op);
}

/* The switch confirmed an operation already answered: its record's commit failed. */
static void confirm_stored(void *arg, int rc)
{
	struct fm_engine *e = arg;

	if (rc)
		fm_log(e->d, FM_LOG_ERR, "intent store: recording a state the switch confirmed: %s; "
		       "reconciliation rewrites it from the switch", fm_store_last_error(e->d->store));
}

/* The switch confirmed the operation but its record could not even be staged: the answer
 * says so ("stored": false). */
static void confirm_failed(struct fm_op *op)
{
	fm_log(op->e->d, FM_LOG_ERR, "%s: done on the switch, but the intent store failed: %s",
	       op->fn_name, fm_store_last_error(op->e->d->store));
	op->store_failed = true;
}

/* A write that records an operation's failure committed (or not): the answer is already
 * decided (op->ok/code/msg), so finish either way. */
static void op_failed_stored(void *arg, int rc)
{
	(void)rc;
	op_finish(arg);
}

/* The bind failed: the intent written for it is taken back before answering. */
static void assign_undo(struct fm_op *op, enum fm_rpc_code code, const char *msg,
			struct json_object *data)
{
	struct fm_intent *in = intent_get(op->e, op->key);

	op->ok = false;
	op->code = code;
	json_object_put(op->data);
	op->data = data;
	snprintf(op->msg, sizeof(op->msg), "%s", msg);
	if (in && in->state == FM_STORE_BINDING) {
		if (op->audit_id)
			audit_stage(op); /* the refusal, in the batch that takes the intent back */
		if (op->created_intent) {
			if (intent_forget(op->e, in, op_failed_stored, op) == 0)
				return;
		} else {
			/* an acknowledged intent (a re-apply by reconciliation): keep it, as it was */
			struct fm_store_binding b;

			in->state = op->prev_state == FM_STORE_BOUND ? FM_STORE_DETACHED : op->prev_state;
			in->vppb = -1;
			in->min_mbps = op->prev_min_mbps;
			in->max_mbps = op->prev_max_mbps;
			binding_of(in, in->state, -1, &b);
			if (fm_store_binding_put(op->e->d->store, &b, op_failed_stored, op) == 0)
				return;
		}
	}
	op_finish(op);
}

static void bind_done(struct fm_op *op, const struct fmp_bind_resp *resp);
static void on_bind_vh(void *arg, int status, const struct fmp_msg *r);

/* Why a bind was refused with FMP_E_BUS_RANGE, in numbers: the bus of the PF's last VF
 * behind the vPPB (First VF Offset + (TotalVFs - 1) x VF Stride from the PF's function
 * there, as Linux's pci_iov_bus_range counts) against the buses a vPPB spans (the
 * distance between two vPPBs' secondary buses). */
static void bus_range_text(const struct fm_fn *fn, const struct fm_host *h, char *buf,
			   size_t len)
{
	const struct fm_card *card = fn ? fn->card : NULL;
	unsigned need = 1, p, first, last, span = 0;

	if (!card) {
		snprintf(buf, len, "%s", fmp_strerror(FMP_E_BUS_RANGE));
		return;
	}
	first = card->sharing == FMP_SHARING_EXCLUSIVE ? 0 : fn->pf;
	last = card->sharing == FMP_SHARING_EXCLUSIVE ? card->n_pfs : fn->pf + 1u;
	for (p = first; p < last; p++) {
		const struct fm_pf *pf = &card->pfs[p];
		unsigned at = card->sharing == FMP_SHARING_EXCLUSIVE ? p : 0, b;

		if (!pf->total_vfs)
			continue;
		b = (at + pf->vf_offset + (unsigned)pf->vf_stride * (pf->total_vfs - 1u)) / 256 + 1;
		if (b > need)
			need = b;
	}
	if (h && h->n_vppb_known > 1)
		span = (unsigned)h->vppb[1].sec_bus - h->vppb[0].sec_bus;
	if (span)
		snprintf(buf, len, "its VFs need %u buses behind the vPPB; host %s's vPPBs span %u "
			 "(buses_per_vppb in the chassis file)", need, h->name, span);
	else
		snprintf(buf, len, "its VFs need %u buses behind the vPPB, more than host %s's "
			 "vPPBs span (buses_per_vppb in the chassis file)", need, h ? h->name : "?");
}

static void on_bind(void *arg, int status, const struct fmp_msg *r)
{
	struct fm_op *op = arg;
	struct fm_host *h = op_host(op);
	char msg[256];

	if (status == FMP_E_IN_PROGRESS && follow(op))
		return;
	if (status == -ETIMEDOUT && h && ask_vh(op, h->port, on_bind_vh))
		return; /* no answer: did the switch bind it? */
	if (status) {
		char why[192];

		if (status == FMP_E_BUS_RANGE)
			bus_range_text(op_fn(op), h, why, sizeof(why));
		snprintf(msg, sizeof(msg), "cannot assign %s to %s: %s", op->fn_name, op->host,
			 status == FMP_E_BUS_RANGE ? why : status_text(status));
		assign_undo(op, fm_engine_map_status(status), msg, status_data(status));
		return;
	}
	bind_done(op, &r->u.bind_resp);
}

static void on_bind_vh(void *arg, int status, const struct fmp_msg *r)
{
	struct fm_op *op = arg;
	struct fm_host *h = op_host(op);
	const struct fmp_vppb_info *held;
	struct fmp_bind_resp resp;
	char msg[256];

	if (status) {
		if (!h || !ask_vh(op, h->port, on_bind_vh)) {
			snprintf(msg, sizeof(msg), "cannot assign %s to %s: %s", op->fn_name, op->host,
				 status_text(status));
			assign_undo(op, fm_engine_map_status(status), msg, NULL);
		}
		return;
	}
	held = vh_holding(op, &r->u.vh_resp);
	if (!held || held->bind_state != FMP_BIND_BOUND || !h || r->u.vh_resp.port != h->port) {
		snprintf(msg, sizeof(msg),
			 "the switch did not answer the bind of %s to %s in time and does not have it "
			 "bound there: nothing changed", op->fn_name, op->host);
		assign_undo(op, FM_RPC_E_SWITCH_UNREACHABLE, msg, NULL);
		return;
	}
	/* the BIND took effect; only its answer was lost */
	resp.port = h->port;
	resp.vppb = held->vppb;
	resp.host_bus = held->sec_bus;
	resp.host_devfn = 0; /* device 0 behind its vPPB; an exclusive card's PF0 is function 0 */
	bind_done(op, &resp);
}

/* The switch bound op's function (its answer, or its vPPB table). */
static void bind_done(struct fm_op *op, const struct fmp_bind_resp *resp)
{
	struct fm_daemon *d = op->e->d;
	struct fm_intent *in = intent_get(op->e, op->key);
	struct fm_fn *fn = op_fn(op);
	struct fm_host *h = op_host(op);
	struct fm_store_binding b;

	op->port = resp->port;
	op->vppb = resp->vppb;
	op->host_bus = resp->host_bus;
	op->host_devfn = resp->host_devfn;
	op->changed = true;
	if (fn) {
		struct fm_card *card = fn->card;

		/* an exclusive card went whole: all its PFs are on that vPPB now */
		for (unsigned p = 0; p < card->n_pfs; p++) {
			struct fm_fn *f = card->sharing == FMP_SHARING_EXCLUSIVE ? &card->pfs[p].fns[0]
										: (p == fn->pf ? fn : NULL);

			if (!f)
				continue;
			f->sw_state = FMP_BIND_BOUND;
			f->sw_port = op->port;
			f->sw_vppb = op->vppb;
		}
	}
	if (h && op->vppb < 32) {
		h->vppb[op->vppb].vppb = op->vppb;
		h->vppb[op->vppb].bind_state = FMP_BIND_BOUND;
		h->vppb[op->vppb].fn = fn ? fm_fn_addr(fn) : h->vppb[op->vppb].fn;
		if (h->n_vppb_known <= op->vppb)
			h->n_vppb_known = (uint8_t)(op->vppb + 1);
	}
	if (!in) { /* removed meanwhile by a reconcile: nothing more to record */
		op_finish(op);
		return;
	}
	/* the switch chose this vPPB: an intent that still claims it (its unbind answered
	 * after this bind, as delayed answers may be) gives it up first, in the same batch */
	vppb_claim(op->e, in, op->vppb);
	in->state = FM_STORE_BOUND;
	in->vppb = op->vppb;
	binding_of(in, FM_STORE_BOUND, op->vppb, &b);
	{
		struct json_object *detail = json_object_new_object();
		char bdf[16];

		snprintf(bdf, sizeof(bdf), "%02x:%02x.%u", op->host_bus, op->host_devfn >> 3,
			 op->host_devfn & 7);
		json_object_object_add(detail, "host_bdf", json_object_new_string(bdf));
		/* reconciliation re-applying a detached intent brings it back: function-restored */
		fm_daemon_event(d, &(struct fm_event_args){
			.name = op->internal && !op->created_intent && op->prev_state == FM_STORE_DETACHED
					? "function-restored" : "function-assigned",
			.chassis = op->chassis,
			.slot = fn ? fn->card->slot : -1, .card = fn ? fn->card->name : NULL,
			.function = op->fn_name, .host = op->host, .vppb = op->vppb, .detail = detail});
	}
	/* The intent has been durable (binding) since before the switch was told: the caller
	 * is answered now and `bound` goes with the next group commit. A crash before that
	 * commit leaves `binding`, which reconciliation confirms from the switch. */
	if (fm_store_binding_put(d->store, &b, confirm_stored, op->e))
		confirm_failed(op);
	qos_after_bind(op);
}

static void on_num_vfs(void *arg, int status, const struct fmp_msg *r)
{
	struct fm_op *op = arg;
	struct fm_fn *fn = op_fn(op);
	char msg[256];

	if (status) {
		snprintf(msg, sizeof(msg), "cannot enable VFs for %s: %s", op->fn_name,
			 status_text(status));
		assign_undo(op, fm_engine_map_status(status), msg, status_data(status));
		return;
	}
	if (fn) {
		struct fm_pf *pf = &fn->card->pfs[fn->pf];

		pf->num_vfs = r->u.set_num_vfs_resp.num_vfs;
		for (unsigned i = 0; i < pf->total_vfs; i++)
			pf->fns[1 + i].enabled = i < pf->num_vfs;
	}
	assign_bind(op);
}

static void assign_bind(struct fm_op *op)
{
	struct fm_fn *fn = op_fn(op);
	struct fm_host *h = op_host(op);
	struct fmp_msg m;
	int rc;

	if (!fn || !h || !chassis_ready(op)) {
		assign_undo(op, fn && h ? FM_RPC_E_SWITCH_UNREACHABLE : FM_RPC_E_NO_SUCH_FUNCTION,
			    "the function or its chassis went away during the assignment", NULL);
		return;
	}
	if (op->need_num_vfs) {
		op->need_num_vfs = false;
		req_init(&m, FMP_OP_SET_NUM_VFS);
		m.u.set_num_vfs_req.slot = fn->card->slot;
		m.u.set_num_vfs_req.pf = fn->pf;
		m.u.set_num_vfs_req.num_vfs = op->num_vfs;
		rc = op_request(op, &m, 0, on_num_vfs);
	} else {
		req_init(&m, FMP_OP_BIND);
		m.u.bind_req.fn = fm_fn_addr(fn);
		m.u.bind_req.port = h->port;
		m.u.bind_req.vppb = FMP_VPPB_ANY;
		rc = op_request(op, &m, 0, on_bind);
	}
	if (rc)
		assign_undo(op, FM_RPC_E_SWITCH_UNREACHABLE, "the switch is not connected", NULL);
}

/* The intent written for op did not commit: memory goes back to what the store holds. */
static void assign_unstage(struct fm_op *op, struct fm_intent *in)
{
	if (in && op->created_intent) {
		intent_remove(op->e, in);
	} else if (in) {
		in->state = op->prev_state;
		in->min_mbps = op->prev_min_mbps;
		in->max_mbps = op->prev_max_mbps;
	}
}

static void assign_persisted(void *arg, int rc)
{
	struct fm_op *op = arg;

	if (rc) {
		/* the write was rolled back */
		assign_unstage(op, intent_get(op->e, op->key));
		op_store_fail(op, rc);
		return;
	}
	assign_bind(op);
}

static void assign_start(struct fm_op *op)
{
	struct fm_daemon *d = op->e->d;
	struct fm_fn *fn = op_fn(op);
	struct fm_host *h;
	struct fm_intent *in;
	struct fm_pf *pf;
	struct fm_store_binding b;
	struct json_object *data;
	char since[40];
	int rc;

	if (!fn) {
		op_fail(op, FM_RPC_E_NO_SUCH_FUNCTION, NULL, "%s: no such function (card gone?)",
			op->fn_name);
		return;
	}
	h = op_host(op);
	if (!h) {
		op_fail(op, FM_RPC_E_NO_SUCH_HOST, NULL, "no host %s on chassis %s", op->host,
			op->chassis);
		return;
	}
	if (op->max_mbps && op->min_mbps > op->max_mbps) {
		op_fail(op, FM_RPC_E_BAD_PARAMS, json_tokener_parse("{\"param\":\"min_gbps\"}"),
			"%s: the floor (%u Mb/s) is above the cap (%u Mb/s)", op->fn_name,
			op->min_mbps, op->max_mbps);
		return;
	}
	in = intent_get(op->e, op->key);
	if (op->internal && in) {
		/* reconciliation re-applies the intent as stored, QoS included */
		op->min_mbps = in->min_mbps;
		op->max_mbps = in->max_mbps;
	}
	if (in && strcmp(in->host, op->host)) {
		data = json_object_new_object();
		fm_time_format(in->since_ms, since, sizeof(since));
		json_object_object_add(data, "host", json_object_new_string(in->host));
		json_object_object_add(data, "since", json_object_new_string(since));
		op_fail(op, FM_RPC_E_FUNCTION_BUSY, data, "%s is bound to %s since %s", op->fn_name,
			in->host, since);
		return;
	}
	if (in && in->state == FM_STORE_BOUND && fn->sw_state == FMP_BIND_BOUND &&
	    fn->sw_port == h->port) {
		if (!op->internal && (in->min_mbps != op->min_mbps || in->max_mbps != op->max_mbps)) {
			/* bound there already, with another floor or cap: only those change */
			op->kind = OP_QOS;
			op->set_min = op->set_max = true;
			qos_start(op);
			return;
		}
		op->changed = false;
		op->vppb = (uint8_t)(in->vppb >= 0 ? in->vppb : fn->sw_vppb);
		op->host_bus = h->vppb[op->vppb & 31].sec_bus;
		op->host_devfn = 0;
		op_finish(op); /* already so */
		return;
	}
	if (!chassis_ready(op)) {
		struct fm_switch *sw = fm_daemon_link(d, fn->card->chassis);
		const char *why = sw ? fm_switch_last_error(sw) : "fabricd is stopping";

		op_fail(op, FM_RPC_E_SWITCH_UNREACHABLE, NULL, "chassis %s is not connected%s%s",
			op->chassis, why[0] ? ": " : "", why);
		return;
	}
	if (fn->sw_state != FMP_BIND_UNBOUND && fn->sw_port != h->port) {
		struct fm_host *other = fm_inv_host_by_port(fn->card->chassis, fn->sw_port);

		data = json_object_new_object();
		json_object_object_add(data, "host", json_object_new_string(other ? other->name : "?"));
		op_fail(op, FM_RPC_E_FUNCTION_BUSY, data, "%s is bound to %s on the switch",
			op->fn_name, other ? other->name : "another host");
		return;
	}
	if (!h->link_up) {
		op_fail(op, FM_RPC_E_HOST_LINK_DOWN, NULL, "the link of host %s is down", h->name);
		return;
	}
	if (fn->sw_state == FMP_BIND_UNBOUND && fm_host_free_vppbs(h) == 0) {
		op_fail(op, FM_RPC_E_NO_FREE_VPPB, NULL, "host %s has no free vPPB (all %u bound)",
			h->name, h->n_vppb);
		return;
	}
	/* reconciliation re-applies what is intended, floors included: not re-admitted */
	if (!op->internal &&
	    (qos_unsupported(op, op->min_mbps || op->max_mbps) ||
	     qos_refused(op, fn, h, op->min_mbps, in ? in->min_mbps : 0)))
		return;
	pf = &fn->card->pfs[fn->pf];
	if (fn->vf != FMP_VF_NONE && fn->vf >= pf->num_vfs) {
		/* NumVFs may only change while VF Enable is clear (PCIe r5.0 §9.3.3.7), which
		 * removes every VF: enable them all at once, and only while none is bound. */
		for (unsigned i = 0; i < pf->num_vfs; i++) {
			if (pf->fns[1 + i].sw_state != FMP_BIND_UNBOUND) {
				op_fail(op, FM_RPC_E_VF_BOUND, NULL,
					"%s needs NumVFs %u but %s is bound; NumVFs can change only "
					"while no VF of %s/pf%u is bound",
					op->fn_name, fn->vf + 1u, pf->fns[1 + i].name, fn->card->name, fn->pf);
				return;
			}
		}
		op->need_num_vfs = true;
		op->num_vfs = pf->total_vfs;
		add_action(op, "set-num-vfs", "pf", pf->fns[0].name, "num_vfs", pf->total_vfs);
	}
	add_action(op, "bind", "host", op->host, NULL, 0);
	op->changed = true;
	if (op->dry_run) {
		op_finish(op);
		return;
	}
	if (op_vetting(op))
		return;
	/* persist the intent first (with the call's audit record, in the same commit): a crash
	 * from here on is finished by reconciliation */
	if (!audit_begin(op))
		return;
	memset(&b, 0, sizeof(b));
	snprintf(b.chassis, sizeof(b.chassis), "%s", op->chassis);
	snprintf(b.card_serial, sizeof(b.card_serial), "%s", op->serial);
	b.pf = op->pf;
	b.vf = op->vf;
	snprintf(b.host, sizeof(b.host), "%s", op->host);
	b.vppb = -1;
	b.state = FM_STORE_BINDING;
	b.min_mbps = op->min_mbps;
	b.max_mbps = op->max_mbps;
	op->created_intent = !in;
	if (in) {
		op->prev_state = in->state;
		op->prev_min_mbps = in->min_mbps;
		op->prev_max_mbps = in->max_mbps;
		in->state = FM_STORE_BINDING;
		in->min_mbps = op->min_mbps;
		in->max_mbps = op->max_mbps;
	} else if (!intent_add(op->e, &b)) {
		op_fail(op, FM_RPC_E_INTERNAL, NULL, "out of memory");
		return;
	}
	rc = fm_store_binding_put(d->store, &b, assign_persisted, op);
	if (rc) {
		in = intent_get(op->e, op->key);
		assign_unstage(op, in);
		op_store_fail(op, rc);
	}
}

/* ---- unassign -------------------------------------------------------------------------- */

static void unassign_send(struct fm_op *op, uint8_t mode);

/* The unbind did not happen (op->ok/code/msg set): the intent goes back to st, and the
 * operation is answered once that is written. */
static void unbind_restore(struct fm_op *op, enum fm_store_state st)
{
	struct fm_intent *in = intent_get(op->e, op->key);
	struct fm_store_key k;

	op->ok = false;
	if (in && in->state == FM_STORE_UNBINDING) {
		if (op->audit_id)
			audit_stage(op); /* the refusal, in the batch that restores the intent */
		in->state = st;
		if (st == FM_STORE_DETACHED)
			in->vppb = -1;
		k = store_key(in);
		if (fm_store_binding_set_state(op->e->d->store, &k, in->state, op_failed_stored, op) == 0)
			return;
	}
	op_finish(op);
}

static void unbind_failed(struct fm_op *op, int status)
{
	op->code = fm_engine_map_status(status);
	json_object_put(op->data);
	op->data = status_data(status);
	if (status == FMP_E_TIMEOUT)
		snprintf(op->msg, sizeof(op->msg),
			 "host %s did not release %s within %u ms; use --force to remove it anyway",
			 op->host, op->fn_name, op->timeout_ms);
	else
		snprintf(op->msg, sizeof(op->msg), "cannot unassign %s: %s", op->fn_name,
			 status_text(status));
	/* the function is still where it was: put the intent back to bound — or, when the
	 * switch went away meanwhile, to detached (reconciliation finds out) */
	unbind_restore(op, status < 0 ? FM_STORE_DETACHED : FM_STORE_BOUND);
}

/* The switch confirmed the function is free (its answer, or its vPPB table). */
static void unbind_done(struct fm_op *op, const struct fmp_unbind_resp *resp)
{
	struct fm_daemon *d = op->e->d;
	struct fm_intent *in = intent_get(op->e, op->key);
	struct fm_fn *fn = op_fn(op);

	if (resp) {
		op->port = resp->port;
		op->vppb = resp->vppb;
	}
	op->changed = true;
	if (fn) {
		struct fm_card *card = fn->card;
		struct fm_host *h = fm_inv_host_by_port(card->chassis, fn->sw_port);

		if (h && fn->sw_vppb < 32)
			h->vppb[fn->sw_vppb].bind_state = FMP_BIND_UNBOUND;
		for (unsigned p = 0; p < card->n_pfs; p++) {
			struct fm_fn *f = card->sharing == FMP_SHARING_EXCLUSIVE ? &card->pfs[p].fns[0]
										: (p == fn->pf ? fn : NULL);

			if (!f)
				continue;
			f->sw_state = FMP_BIND_UNBOUND;
			f->sw_port = FMP_PORT_NONE;
			f->sw_vppb = FMP_VPPB_NONE;
		}
	}
	fm_daemon_event(d, &(struct fm_event_args){
		.name = "function-unassigned", .chassis = op->chassis,
		.slot = fn ? fn->card->slot : -1, .card = fn ? fn->card->name : NULL,
		.function = op->fn_name, .host = op->host,
		.vppb = op->vppb == FMP_VPPB_NONE ? -1 : op->vppb,
		.detail = json_object_new_string(op->mode == FMP_UNBIND_SURPRISE ? "surprise" : "managed")});
	/* as for a bind: `unbinding` is durable, the row's removal goes with the next group
	 * commit, and reconciliation forgets an `unbinding` intent whose function is free */
	if (in && !op->keep_intent) {
		/* the switch keeps a function's QoS across unbind (protocol/README.md): a binding
		 * released takes its floor and cap with it, set to none behind this operation */
		bool had_qos = in->min_mbps || in->max_mbps || in->qos_unsynced;

		if (intent_forget(op->e, in, confirm_stored, op->e))
			confirm_failed(op);
		if (had_qos && fn && switch_has_qos(op))
			internal_op(op->e, OP_QOS, fn, NULL, 0, false);
	}
	op_finish(op);
}

/* Neither the UNBIND nor the switch's vPPB table answered: the intent stays `unbinding`
 * (what was asked last), which the function's UNBIND_DONE event or reconciliation settles;
 * the caller is told it is stored and pending. */
static void unbind_unconfirmed(struct fm_op *op)
{
	fm_log(op->e->d, FM_LOG_ERR, "%s: the switch confirmed neither the unbind nor the binding; "
	       "the unassign stays pending until it does", op->fn_name);
	op->changed = true;
	op->pending = true;
	op_finish(op);
}

static void unbind_verify(struct fm_op *op);

static void on_verify_vh(void *arg, int status, const struct fmp_msg *r)
{
	struct fm_op *op = arg;
	const struct fmp_vppb_info *held;

	if (status) {
		unbind_verify(op); /* ask again, a few times */
		return;
	}
	held = vh_holding(op, &r->u.vh_resp);
	if (!held) {
		unbind_done(op, NULL); /* the UNBIND took effect; only its answer was lost */
		return;
	}
	if (held->bind_state == FMP_BIND_UNBINDING) {
		if (!follow(op))
			unbind_unconfirmed(op);
		return;
	}
	/* still bound: the request was lost before the switch acted */
	if (op->force && op->mode == FMP_UNBIND_MANAGED) {
		add_action(op, "unbind", "mode", "surprise", NULL, 0);
		unassign_send(op, FMP_UNBIND_SURPRISE);
		return;
	}
	op->code = FM_RPC_E_TIMEOUT;
	snprintf(op->msg, sizeof(op->msg),
		 "the switch did not answer the unbind of %s within %u ms and still has it bound to "
		 "%s: nothing changed (--force removes it anyway)",
		 op->fn_name, op->timeout_ms + op->e->d->cfg->timeouts.switch_request_ms, op->host);
	unbind_restore(op, FM_STORE_BOUND);
}

/* An UNBIND went unanswered (dropped, or a switch too slow): whether it took effect is the
 * switch's to say, so its vPPB table (GET_VH) is asked before anything is answered. */
static void unbind_verify(struct fm_op *op)
{
	if (!ask_vh(op, op->port, on_verify_vh))
		unbind_unconfirmed(op);
}

static void on_unbind(void *arg, int status, const struct fmp_msg *r)
{
	struct fm_op *op = arg;

	if (status == FMP_E_TIMEOUT && op->force && op->mode == FMP_UNBIND_MANAGED) {
		fm_log(op->e->d, FM_LOG_INFO, "%s: host %s did not release it in time; forcing a surprise removal",
		       op->fn_name, op->host);
		add_action(op, "unbind", "mode", "surprise", NULL, 0);
		unassign_send(op, FMP_UNBIND_SURPRISE);
		return;
	}
	if (status == FMP_E_IN_PROGRESS && follow(op))
		return;
	if (status == -ETIMEDOUT) {
		unbind_verify(op);
		return;
	}
	if (status && status != FMP_E_NOT_BOUND) {
		unbind_failed(op, status);
		return;
	}
	unbind_done(op, status ? NULL : &r->u.unbind_resp);
}

static void unassign_send(struct fm_op *op, uint8_t mode)
{
	struct fm_fn *fn = op_fn(op);
	struct fmp_msg m;

	op->mode = mode;
	if (!fn || !chassis_ready(op)) {
		on_unbind(op, -ENOTCONN, NULL);
		return;
	}
	req_init(&m, FMP_OP_UNBIND);
	m.u.unbind_req.fn = fm_fn_addr(fn);
	m.u.unbind_req.mode = mode;
	m.u.unbind_req.timeout_ms = op->timeout_ms;
	/* the switch answers a managed unbind only when the host is done: wait that long */
	if (op_request(op, &m, op->timeout_ms + op->e->d->cfg->timeouts.switch_request_ms, on_unbind))
		on_unbind(op, -ENOTCONN, NULL);
}

/* The intent marked unbinding did not commit (rc): memory goes back to what the store
 * holds, and the unassign is refused. False when it did. */
static bool unassign_unmark(struct fm_op *op, int rc)
{
	struct fm_intent *in;

	if (!rc)
		return false;
	in = intent_get(op->e, op->key);
	if (in)
		in->state = op->prev_state;
	op_store_fail(op, rc);
	return true;
}

static void unassign_persisted(void *arg, int rc)
{
	struct fm_op *op = arg;

	if (!unassign_unmark(op, rc))
		unassign_send(op, op->mode);
}

/* Marked unbinding for reconciliation to finish: the answer. */
static void unassign_pending_stored(void *arg, int rc)
{
	struct fm_op *op = arg;

	if (!unassign_unmark(op, rc))
		op_finish(op);
}

static void unassign_start(struct fm_op *op)
{
	struct fm_daemon *d = op->e->d;
	struct fm_fn *fn = op_fn(op);
	struct fm_intent *in = intent_get(op->e, op->key);
	struct fm_store_key k;
	int rc;

	if (fn && fn->sw_state != FMP_BIND_UNBOUND) {
		struct fm_host *h = fm_inv_host_by_port(fn->card->chassis, fn->sw_port);

		if (h && !op->host[0])
			snprintf(op->host, sizeof(op->host), "%s", h->name);
		op->vppb = fn->sw_vppb;
		op->port = fn->sw_port;
	}
	if (in && !op->host[0])
		snprintf(op->host, sizeof(op->host), "%s", in->host);
	if ((!in || op->keep_intent) && (!fn || fn->sw_state == FMP_BIND_UNBOUND)) {
		op->changed = false;
		op_finish(op); /* already free */
		return;
	}
	if (!fn || fn->sw_state == FMP_BIND_UNBOUND) {
		/* intent without a switch binding (detached, or the bind never happened): just
		 * forget the intent */
		add_action(op, "forget", "state", fm_store_state_name(in->state), NULL, 0);
		op->changed = true;
		if (op->dry_run) {
			op_finish(op);
			return;
		}
		if (op_vetting(op))
			return;
		if (!chassis_ready(op)) {
			/* the switch cannot confirm that it holds nothing: the row stays, as
			 * unbinding, which reconciliation finishes (unbind if bound, else forget) */
			op->pending = true;
			if (in->state == FM_STORE_UNBINDING) {
				op_finish(op);
				return;
			}
			if (!audit_begin(op))
				return;
			op->prev_state = in->state;
			in->state = FM_STORE_UNBINDING;
			k = store_key(in);
			rc = fm_store_binding_set_state(d->store, &k, FM_STORE_UNBINDING,
							unassign_pending_stored, op);
			if (rc) {
				in->state = op->prev_state;
				op_store_fail(op, rc);
			}
			return;
		}
		if (!audit_begin(op))
			return;
		rc = intent_forget(op->e, in, op_stored, op);
		if (rc)
			op_store_fail(op, rc);
		return;
	}
	if (!chassis_ready(op)) {
		op_fail(op, FM_RPC_E_SWITCH_UNREACHABLE, NULL, "chassis %s is not connected", op->chassis);
		return;
	}
	add_action(op, "unbind", "mode", op->mode == FMP_UNBIND_SURPRISE ? "surprise" : "managed",
		   NULL, 0);
	op->changed = true;
	if (op->dry_run) {
		op_finish(op);
		return;
	}
	if (op_vetting(op))
		return;
	if (!in || op->keep_intent) {
		unassign_send(op, op->mode); /* nothing of the intent changes */
		return;
	}
	if (!audit_begin(op))
		return;
	op->prev_state = in->state;
	in->state = FM_STORE_UNBINDING;
	k = store_key(in);
	rc = fm_store_binding_set_state(d->store, &k, FM_STORE_UNBINDING, unassign_persisted, op);
	if (rc) {
		in->state = op->prev_state;
		op_store_fail(op, rc);
	}
}

static void op_start(struct fm_op *op)
{
	if (op->e->stopping) {
		op_fail(op, FM_RPC_E_SWITCH_UNREACHABLE, NULL, "fabricd is stopping");
		return;
	}
	if (chassis_settling(op->e, fm_inv_chassis(op->e->d->inv, op->chassis))) {
		park_ready(op); /* queued behind an operation while the chassis began a re-read */
		return;
	}
	if (op->kind == OP_ASSIGN)
		assign_start(op);
	else if (op->kind == OP_UNASSIGN)
		unassign_start(op);
	else
		qos_start(op);
}

/* ---- entry points ---------------------------------------------------------------------- */

static struct fm_fn *first_free_vf(struct fm_engine *e, struct fm_card *card)
{
	/* enabled VFs first, so no NumVFs change is needed while one is free */
	for (int pass = 0; pass < 2; pass++) {
		for (unsigned p = 0; p < card->n_pfs; p++) {
			struct fm_pf *pf = &card->pfs[p];

			for (unsigned i = 0; i < pf->total_vfs; i++) {
				struct fm_fn *fn = &pf->fns[1 + i];

				if (fn->enabled != (pass == 0))
					continue;
				char key[sizeof(((struct fm_intent *)0)->key)];

				make_key(key, sizeof(key), card->chassis->name, card->serial, (int)p, (int)i);
				if (fn->sw_state == FMP_BIND_UNBOUND && !intent_get(e, key) &&
				    !fm_index_get(e->queues, key))
					return fn;
			}
		}
	}
	return NULL;
}

/* Copies a name of the request into dst; false (and the request refused) when too long
 * to be any name. */
static bool copy_name(struct fm_op *op, char *dst, size_t len, const char *name, const char *what)
{
	if (!name)
		name = "";
	if (strlen(name) >= len) {
		refuse(op, FM_RPC_E_BAD_REQUEST, "%s name is too long (%s)", what, "at most 160 bytes");
		return false;
	}
	memcpy(dst, name, strlen(name) + 1);
	return true;
}

static void refuse_no_fn(struct fm_op *op, bool ambiguous)
{
	refuse(op, ambiguous ? FM_RPC_E_BAD_REQUEST : FM_RPC_E_NO_SUCH_FUNCTION,
	       ambiguous ? "function name %s is ambiguous: prefix it with CHASSIS:%s" : "no function %s%s",
	       op->req_function, "");
}

/* A name whose CHASSIS: prefix names no chassis is refused as such, at once: the chassis
 * are fabric.yaml's, no discovery will bring it. True when op was refused. */
static bool refuse_unknown_chassis(struct fm_op *op, const char *name)
{
	char cname[FM_NAME_MAX];

	if (!fm_inv_prefix_unknown(op->e->d->inv, name))
		return false;
	snprintf(cname, sizeof(cname), "%.*s", (int)strcspn(name, ":"), name);
	refuse(op, FM_RPC_E_NO_SUCH_CHASSIS, "no chassis %s (in %s)", cname, name);
	return true;
}

/* What a request's names resolved to. */
struct resolved {
	struct fm_card *card; /* the card named (req_any), or fn's */
	struct fm_fn *fn;     /* NULL with req_any */
	struct fm_host *host; /* NULL when the request names no host */
	bool amb, amb_host;   /* a name was ambiguous */
};

/* Resolves the request's names (function or, with req_any, card; and host, if it names
 * one). False when op was refused (a CHASSIS: prefix naming no chassis) or parked until a
 * discovery that may change the answer ends; resume() resolves it again then. */
static bool resolve_names(struct fm_op *op, struct resolved *r)
{
	struct fm_engine *e = op->e;

	memset(r, 0, sizeof(*r));
	if (refuse_unknown_chassis(op, op->req_function) ||
	    (op->req_host[0] && refuse_unknown_chassis(op, op->req_host)))
		return false;
	if (op->req_any) {
		r->card = fm_inv_find_card(e->d->inv, op->req_function, &r->amb);
	} else {
		r->fn = fm_inv_find_fn(e->d->inv, op->req_function, &r->amb);
		r->card = r->fn ? r->fn->card : NULL;
	}
	if (op->req_host[0])
		r->host = fm_inv_find_host(e->d->inv, op->req_host, &r->amb_host);
	if (must_wait(e, r->card ? r->card->chassis : NULL) ||
	    (op->req_host[0] && must_wait(e, r->host ? r->host->chassis : NULL))) {
		park_ready(op);
		return false;
	}
	return true;
}

/* The request names fn (and its host, if any): queue it behind fn's other operations. */
static void op_resolved(struct fm_op *op, const struct fm_fn *fn, const struct fm_host *h)
{
	op_bind_fn(op, fn);
	if (h)
		snprintf(op->host, sizeof(op->host), "%s", h->name);
	op->resolved = true;
	op_submit(op);
}

static void assign_resolve(struct fm_op *op)
{
	struct fm_engine *e = op->e;
	struct resolved r;
	struct fm_fn *fn;
	struct fm_host *h;

	if (!resolve_names(op, &r))
		return;
	fn = r.fn;
	h = r.host;
	if (op->req_any) {
		struct fm_card *card = r.card;

		if (!card) {
			refuse(op, r.amb ? FM_RPC_E_BAD_REQUEST : FM_RPC_E_NO_SUCH_CARD,
			       r.amb ? "card name %s is ambiguous: prefix it with CHASSIS:%s" : "no card %s%s",
			       op->req_function, "");
			return;
		}
		if (card->sharing != FMP_SHARING_SRIOV) {
			refuse(op, FM_RPC_E_SHARING_MODE,
			       "--any picks a free VF, but card %s is %s: assign a PF by name",
			       card->name, fmp_sharing_name(card->sharing));
			return;
		}
		fn = first_free_vf(e, card);
		if (!fn) {
			refuse(op, FM_RPC_E_FUNCTION_BUSY, "card %s has no free VF%s", card->name, "");
			return;
		}
	} else if (!fn) {
		refuse_no_fn(op, r.amb);
		return;
	}
	if (!h) {
		refuse(op, r.amb_host ? FM_RPC_E_BAD_REQUEST : FM_RPC_E_NO_SUCH_HOST,
		       r.amb_host ? "host name %s is ambiguous: prefix it with CHASSIS:%s" : "no host %s%s",
		       op->req_host, "");
		return;
	}
	if (h->chassis != fn->card->chassis) {
		refuse(op, FM_RPC_E_BAD_REQUEST, "%s and host %s are on different chassis", fn->name,
		       h->name);
		return;
	}
	/* the sharing mode decides what can be bound (DESIGN.md Vocabulary) */
	if (fn->card->sharing == FMP_SHARING_SRIOV && fn->vf == FMP_VF_NONE) {
		refuse(op, FM_RPC_E_SHARING_MODE,
		       "%s is a PF of an sr-iov card: the fabric manager keeps the PFs; assign its VFs (%s/vfN)",
		       fn->name, fn->name);
		return;
	}
	if (fn->card->sharing == FMP_SHARING_MRIOV && fn->vf != FMP_VF_NONE) {
		refuse(op, FM_RPC_E_SHARING_MODE,
		       "%s is a VF of an mr-iov card: a PF goes to a host with its VFs; assign %s",
		       fn->name, fn->card->pfs[fn->pf].fns[0].name);
		return;
	}
	if (fn->card->sharing == FMP_SHARING_EXCLUSIVE && fn->vf != FMP_VF_NONE) {
		refuse(op, FM_RPC_E_SHARING_MODE,
		       "%s is a VF of an exclusive card: the card goes whole; assign %s/pf0", fn->name,
		       fn->card->name);
		return;
	}
	op_resolved(op, fn, h);
}

/* A request on one named function (unassign, qos): resolved, or refused naming it. */
static void fn_resolve(struct fm_op *op)
{
	struct resolved r;

	if (!resolve_names(op, &r))
		return;
	if (!r.fn) {
		refuse_no_fn(op, r.amb);
		return;
	}
	op_resolved(op, r.fn, NULL);
}

/* Resolves op's names (again, after a wait for discovery). */
static void op_resolve(struct fm_op *op)
{
	if (op->kind == OP_ASSIGN)
		assign_resolve(op);
	else
		fn_resolve(op);
}

/* The part every entry point shares: a new op of kind for the caller, with its audit
 * record, dry_run and the function (or card) name copied; NULL when refused (done is
 * called: out of memory, a name too long). */
static struct fm_op *op_from_req(struct fm_engine *e, enum op_kind kind, const char *function,
				 const char *what, bool dry_run,
				 const struct fm_store_audit *audit, fm_op_done done, void *arg)
{
	struct fm_op *op = op_new(e, kind, done, arg);

	if (!op)
		return NULL;
	op_set_audit(op, audit);
	op->dry_run = dry_run;
	if (!copy_name(op, op->req_function, sizeof(op->req_function), function, what))
		return NULL;
	return op;
}

void fm_engine_assign(struct fm_engine *e, const struct fm_assign_req *req, fm_op_done done,
		      void *arg)
{
	struct fm_op *op = op_from_req(e, OP_ASSIGN, req->any ? req->card : req->function,
				       req->any ? "card" : "function", req->dry_run, req->audit,
				       done, arg);

	if (!op)
		return;
	op->req_any = req->any;
	op->min_mbps = req->min_mbps;
	op->max_mbps = req->max_mbps;
	if (!copy_name(op, op->req_host, sizeof(op->req_host), req->host, "host"))
		return;
	op_resolve(op);
}

void fm_engine_unassign(struct fm_engine *e, const struct fm_unassign_req *req, fm_op_done done,
			void *arg)
{
	struct fm_op *op = op_from_req(e, OP_UNASSIGN, req->function, "function", req->dry_run,
				       req->audit, done, arg);

	if (!op)
		return;
	op->force = req->force;
	op->mode = req->mode;
	op->timeout_ms = req->timeout_ms ? req->timeout_ms : e->d->cfg->timeouts.managed_unbind_ms;
	op_resolve(op);
}

void fm_engine_set_qos(struct fm_engine *e, const struct fm_qos_req *req, fm_op_done done,
		       void *arg)
{
	struct fm_op *op = op_from_req(e, OP_QOS, req->function, "function", req->dry_run,
				       req->audit, done, arg);

	if (!op)
		return;
	op->set_min = req->set_min;
	op->set_max = req->set_max;
	op->min_mbps = req->min_mbps;
	op->max_mbps = req->max_mbps;
	op_resolve(op);
}

/* ---- reconciliation -------------------------------------------------------------------- */

static void internal_op(struct fm_engine *e, enum op_kind kind, const struct fm_fn *fn,
			const char *host, uint8_t mode, bool keep_intent)
{
	struct fm_op *op = op_new(e, kind, NULL, NULL);

	if (!op)
		return;
	op_bind_fn(op, fn);
	op->resolved = true;
	op->keep_intent = keep_intent;
	op->mode = mode;
	op->force = true;
	op->timeout_ms = e->d->cfg->timeouts.managed_unbind_ms;
	if (host)
		snprintf(op->host, sizeof(op->host), "%s", host);
	op_submit(op);
}

static void ignore_done(void *arg, int rc)
{
	(void)arg;
	(void)rc;
}

/* function-detached / function-restored (DESIGN.md "Binding states"): the intent lost its
 * switch binding (card pulled, switch gone, removed behind our back), or found it again. */
static void intent_event(struct fm_engine *e, const struct fm_intent *in, const char *name, int vppb)
{
	struct fm_chassis *ch = fm_inv_chassis(e->d->inv, in->chassis);
	struct fm_card *card = ch ? fm_inv_card_by_serial(ch, in->serial) : NULL;
	char fn[FM_FN_NAME_MAX];

	if (!card)
		return; /* no name to give the function: the card was never read */
	if (in->vf >= 0)
		snprintf(fn, sizeof(fn), "%s/pf%d/vf%d", card->name, in->pf, in->vf);
	else
		snprintf(fn, sizeof(fn), "%s/pf%d", card->name, in->pf);
	fm_daemon_event(e->d, &(struct fm_event_args){
		.name = name, .chassis = in->chassis, .slot = card->slot, .card = card->name,
		.function = fn, .host = in->host, .vppb = vppb});
}

static void set_state(struct fm_engine *e, struct fm_intent *in, enum fm_store_state st, int vppb)
{
	struct fm_store_binding b;

	if (in->state == st && in->vppb == vppb)
		return;
	if (st == FM_STORE_DETACHED && in->state != FM_STORE_DETACHED)
		intent_event(e, in, "function-detached", in->vppb);
	else if (st == FM_STORE_BOUND && in->state == FM_STORE_DETACHED)
		intent_event(e, in, "function-restored", vppb);
	if (vppb != in->vppb)
		vppb_claim(e, in, vppb);
	in->state = st;
	in->vppb = vppb;
	binding_of(in, st, vppb, &b);
	if (fm_store_binding_put(e->d->store, &b, ignore_done, NULL))
		fm_log(e->d, FM_LOG_ERR, "intent store: %s", fm_store_last_error(e->d->store));
}

static void note_unexpected(struct fm_daemon *d, const struct fm_chassis *ch,
			    const struct fm_host *h, const struct fm_fn *fn, const char *action)
{
	struct fm_unexpected *u;

	fm_log(d, FM_LOG_INFO, "%s: %s is bound to %s (vPPB %u) but the intent store does not hold it: %s",
	       ch->name, fn->name, h ? h->name : "?", fn->sw_vppb, action);
	if (d->n_unexpected == FM_UNEXPECTED_MAX)
		memmove(d->unexpected, d->unexpected + 1, sizeof(d->unexpected[0]) * (FM_UNEXPECTED_MAX - 1));
	else
		d->n_unexpected++;
	u = &d->unexpected[d->n_unexpected - 1];
	snprintf(u->chassis, sizeof(u->chassis), "%s", ch->name);
	snprintf(u->host, sizeof(u->host), "%s", h ? h->name : "?");
	u->vppb = fn->sw_vppb;
	snprintf(u->function, sizeof(u->function), "%s", fn->name);
	snprintf(u->action, sizeof(u->action), "%s", action);
	fm_daemon_event(d, &(struct fm_event_args){
		.name = "binding-unexpected", .chassis = ch->name, .slot = fn->card->slot,
		.card = fn->card->name, .function = fn->name, .host = h ? h->name : NULL,
		.vppb = fn->sw_vppb, .detail = json_object_new_string(action)});
}

/* The binding of in is in place on the switch: its floor and cap go there too, since a
 * switch reboot clears them (and a change may not have reached it). */
static void reconcile_qos(struct fm_engine *e, struct fm_chassis *ch, struct fm_intent *in,
			  const struct fm_fn *fn)
{
	struct fm_switch *sw = fm_daemon_link(e->d, ch);

	if (!in->min_mbps && !in->max_mbps && !in->qos_unsynced)
		return;
	if (sw && (fm_switch_features(sw) & FMP_FEAT_QOS)) {
		internal_op(e, OP_QOS, fn, NULL, 0, false);
	} else if (in->min_mbps || in->max_mbps) {
		fm_log(e->d, FM_LOG_ERR, "%s: %s has a floor of %u Mb/s and a cap of %u Mb/s, but the "
		       "switch does not support QoS: not applied", ch->name, fn->name, in->min_mbps,
		       in->max_mbps);
	}
}

struct reconcile_counts {
	unsigned ok, reapplied, detached;
};

/* One intent of ch, whose function has no operation queued, against what the switch has. */
static void reconcile_intent(struct fm_engine *e, struct fm_chassis *ch, struct fm_intent *in,
			     struct reconcile_counts *n)
{
	struct fm_daemon *d = e->d;
	struct fm_card *card;
	struct fm_fn *fn;
	struct fm_host *h;
	char hname[FM_NAME_MAX * 2 + 2];

	card = fm_inv_card_by_serial(ch, in->serial);
	fn = card ? fm_inv_fn_at(card, (uint8_t)in->pf, in->vf < 0 ? FMP_VF_NONE : (uint16_t)in->vf)
		  : NULL;
	snprintf(hname, sizeof(hname), "%s:%s", ch->name, in->host);
	h = fm_inv_find_host(d->inv, hname, NULL);
	if (fn && in->state == FM_STORE_UNBINDING && fn->sw_state != FMP_BIND_UNBOUND) {
		/* an unassign was in flight when we stopped: finish it, wherever it is */
		internal_op(e, OP_UNASSIGN, fn, h ? h->name : NULL, FMP_UNBIND_MANAGED, false);
		return;
	}
	if (!fn || !h) {
		if (in->state != FM_STORE_DETACHED && in->state != FM_STORE_UNBINDING) {
			fm_log(d, FM_LOG_INFO, "%s: binding of card %s pf%d vf%d to %s detached: %s",
			       ch->name, in->serial, in->pf, in->vf, in->host,
			       !fn ? "card not present" : "host not on this chassis");
			set_state(e, in, FM_STORE_DETACHED, -1); /* the vPPB is the switch's to reuse */
			n->detached++;
		} else if (in->state == FM_STORE_UNBINDING) {
			/* the unassign's function is gone or free: nothing left to undo */
			intent_forget(e, in, ignore_done, NULL);
		}
		return;
	}
	if (in->state == FM_STORE_UNBINDING) {
		/* an unassign was in flight when we stopped: finish it */
		if (fn->sw_state == FMP_BIND_UNBOUND) {
			intent_forget(e, in, ignore_done, NULL);
		} else {
			internal_op(e, OP_UNASSIGN, fn, in->host, FMP_UNBIND_MANAGED, false);
		}
		return;
	}
	if (fn->sw_state == FMP_BIND_BOUND && fn->sw_port == h->port) {
		set_state(e, in, FM_STORE_BOUND, fn->sw_vppb);
		n->ok++;
		reconcile_qos(e, ch, in, fn);
		return;
	}
	if (fn->sw_state != FMP_BIND_UNBOUND) {
		struct fm_host *other = fm_inv_host_by_port(ch, fn->sw_port);

		fm_log(d, FM_LOG_ERR, "%s: %s is bound to %s on the switch but intended for %s: moving it",
		       ch->name, fn->name, other ? other->name : "?", in->host);
		internal_op(e, OP_UNASSIGN, fn, other ? other->name : NULL, FMP_UNBIND_MANAGED,
			    true);
	}
	/* intended and missing: re-apply (the queue runs it after any unassign above) */
	internal_op(e, OP_ASSIGN, fn, in->host, 0, false);
	n->reapplied++;
}

/* The operations of key are done, and a reconciliation skipped it meanwhile: settle it now
 * against the inventory read since (a chassis not ready is reconciled when it is). */
static void reconcile_key(struct fm_engine *e, const char *key)
{
	struct fm_intent *in = intent_get(e, key);
	struct fm_chassis *ch = in ? fm_inv_chassis(e->d->inv, in->chassis) : NULL;
	struct fm_switch *sw = ch ? fm_daemon_link(e->d, ch) : NULL;
	struct reconcile_counts n = {0};

	if (!ch || !ch->discovered || !sw || fm_switch_state(sw) != FM_SWITCH_READY || e->stopping)
		return;
	reconcile_intent(e, ch, in, &n);
	if (n.reapplied || n.detached)
		fm_log(e->d, FM_LOG_INFO, "%s: reconciled card %s pf%d vf%d after its operations: %s",
		       ch->name, in->serial, in->pf, in->vf, n.reapplied ? "re-applied" : "detached");
}

void fm_engine_reconcile(struct fm_engine *e, struct fm_chassis *ch)
{
	struct fm_daemon *d = e->d;
	bool first = !fm_daemon_chassis_known(d, ch->name);
	enum fm_fabric_reconcile policy = fm_fabric_config_unexpected_action(d->cfg, first);
	struct reconcile_counts n = {0};
	unsigned adopted = 0, removed = 0;

	/* 1. every intent of this chassis against what the switch has; one with operations
	 * queued is settled when they are done (reconcile_key), as they may fail */
	for (struct fm_intent *in = e->list, *next; in; in = next) {
		struct queue *q;

		next = in->next;
		if (strcmp(in->chassis, ch->name))
			continue;
		q = fm_index_get(e->queues, in->key);
		if (q)
			q->reconcile = true;
		else
			reconcile_intent(e, ch, in, &n);
	}

	/* 2. what the switch has that no intent holds */
	for (unsigned s = 0; s < ch->n_slots; s++) {
		struct fm_card *card = ch->slots[s].card;

		if (!card)
			continue;
		for (unsigned p = 0; p < card->n_pfs; p++) {
			for (unsigned i = 0; i <= card->pfs[p].total_vfs; i++) {
				struct fm_fn *fn = &card->pfs[p].fns[i];
				struct fm_host *h;

				if (fn->sw_state == FMP_BIND_UNBOUND || fm_engine_intent_of(e, fn))
					continue;
				if (card->sharing == FMP_SHARING_EXCLUSIVE && (p || i))
					continue; /* held by pf0's binding */
				h = fm_inv_host_by_port(ch, fn->sw_port);
				if (policy == FM_FABRIC_RECONCILE_ADOPT && h) {
					struct fm_store_binding b;
					int pf, vf;

					fm_fn_binding_pf_vf(fn, &pf, &vf);
					memset(&b, 0, sizeof(b));
					snprintf(b.chassis, sizeof(b.chassis), "%s", ch->name);
					snprintf(b.card_serial, sizeof(b.card_serial), "%s", card->serial);
					b.pf = pf;
					b.vf = vf;
					snprintf(b.host, sizeof(b.host), "%s", h->name);
					b.vppb = fn->sw_vppb;
					b.state = FM_STORE_BOUND;
					if (intent_add(e, &b))
						fm_store_binding_put(d->store, &b, ignore_done, NULL);
					note_unexpected(d, ch, h, fn, "adopted");
					adopted++;
				} else {
					note_unexpected(d, ch, h, fn, "removed");
					internal_op(e, OP_UNASSIGN, fn, h ? h->name : NULL, FMP_UNBIND_MANAGED, false);
					removed++;
				}
			}
		}
	}
	fm_daemon_chassis_mark_known(d, ch->name);
	fm_log(d, FM_LOG_INFO,
	       "%s: reconciled%s: %u in place, %u re-applied, %u detached, %u adopted, %u removed",
	       ch->name, first ? " (first contact)" : "", n.ok, n.reapplied, n.detached, adopted, removed);
	/* the requests that waited for this inventory go now, behind reconciliation's own */
	release_parked(e, WAIT_READY, NULL);
}

void fm_engine_chassis_lost(struct fm_engine *e, struct fm_chassis *ch)
{
	for (struct fm_intent *in = e->list; in; in = in->next)
		if (!strcmp(in->chassis, ch->name) &&
		    (in->state == FM_STORE_BOUND || in->state == FM_STORE_BINDING) &&
		    !fm_index_get(e->queues, in->key))
			set_state(e, in, FM_STORE_DETACHED, -1); /* the vPPB is the switch's to reuse */
	/* requests waiting for its discovery are decided now: refused, the switch is away */
	release_parked(e, WAIT_READY, NULL);
}

/* BIND_DONE / UNBIND_DONE for fn: the inventory follows the switch; an operation that
 * waits for the switch to finish on fn asks again; an unassign left pending is settled. */
static void fn_event(struct fm_engine *e, struct fm_fn *fn, const struct fmp_event *ev)
{
	struct fm_chassis *ch = fn->card->chassis;
	const struct fm_intent *cin = fm_engine_intent_of(e, fn);
	struct fm_intent *in = cin ? intent_get(e, cin->key) : NULL;
	char key[sizeof(((struct fm_intent *)0)->key)];
	struct fm_host *h = fm_inv_host_by_port(ch, ev->port);
	int pf, vf;

	if (ev->type == FMP_EV_BIND_DONE) {
		fn->sw_state = FMP_BIND_BOUND;
		fn->sw_port = ev->port;
		fn->sw_vppb = ev->vppb;
	} else {
		fn->sw_state = FMP_BIND_UNBOUND;
		fn->sw_port = FMP_PORT_NONE;
		fn->sw_vppb = FMP_VPPB_NONE;
		if (in && !fm_index_get(e->queues, in->key)) {
			if (in->state == FM_STORE_UNBINDING)
				/* an unassign left pending: what was asked last is now so */
				intent_forget(e, in, ignore_done, NULL);
			else if (in->state == FM_STORE_BOUND)
				/* removed behind our back (surprise, fault): keep the intent, detached */
				set_state(e, in, FM_STORE_DETACHED, -1); /* the vPPB is the switch's to reuse */
		}
	}
	if (h && ev->vppb < 32) {
		h->vppb[ev->vppb].bind_state =
			ev->type == FMP_EV_BIND_DONE ? FMP_BIND_BOUND : FMP_BIND_UNBOUND;
		h->vppb[ev->vppb].fn = ev->fn;
	}
	fm_fn_binding_pf_vf(fn, &pf, &vf);
	make_key(key, sizeof(key), ch->name, fn->card->serial, pf, vf);
	release_parked(e, WAIT_SWITCH, key);
}

bool fm_engine_switch_event(struct fm_engine *e, struct fm_chassis *ch, const struct fmp_event *ev)
{
	struct fm_fn *fn;

	switch (ev->type) {
	case FMP_EV_SLOT_PRESENCE:
		if (ev->detail)
			return true; /* a card came: read it, then reconcile reattaches its bindings */
		{
			struct fm_card *card = fm_inv_card_by_slot(ch, ev->slot);
			struct fm_slot *slot = fm_inv_slot(ch, ev->slot);

			/* the card left: presence, link and (for a pull) power went with it */
			if (slot)
				slot->flags &= (uint16_t)~(FMP_SLOT_F_PRESENT | FMP_SLOT_F_DLL_ACTIVE |
							   FMP_SLOT_F_POWER_ON);
			if (!card)
				return false;
			for (struct fm_intent *in = e->list; in; in = in->next)
				if (!strcmp(in->chassis, ch->name) && !strcmp(in->serial, card->serial) &&
				    in->state != FM_STORE_UNBINDING && !fm_index_get(e->queues, in->key))
					set_state(e, in, FM_STORE_DETACHED, -1); /* the vPPB is the switch's to reuse */
			fm_inv_remove_card(ch, ev->slot);
		}
		return false;
	case FMP_EV_LINK_STATE: {
		struct fm_host *h = fm_inv_host_by_port(ch, ev->port);

		if (h)
			h->link_up = ev->detail;
		return ev->detail != 0; /* link back: re-read and reconcile */
	}
	case FMP_EV_SWITCH_RESET:
		return true;
	case FMP_EV_NUM_VFS: {
		struct fm_card *card = fm_inv_card_by_slot(ch, ev->fn.slot);

		if (card && ev->fn.pf < card->n_pfs) {
			struct fm_pf *pf = &card->pfs[ev->fn.pf];

			pf->num_vfs = ev->detail > pf->total_vfs ? pf->total_vfs : (uint16_t)ev->detail;
			for (unsigned i = 0; i < pf->total_vfs; i++)
				pf->fns[1 + i].enabled = i < pf->num_vfs;
		}
		return false;
	}
	case FMP_EV_BIND_DONE:
	case FMP_EV_UNBIND_DONE:
		fn = fm_inv_fn_by_addr(ch, &ev->fn);
		if (!fn)
			return false;
		fn_event(e, fn, ev);
		return false;
	}
	return false;
}
