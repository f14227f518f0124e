/* Unit tests for manager/planner.c on a hand-built inventory and intent list: every action
 * kind, count selection stable across re-applies, all-or-nothing refusals naming the binding
 * at fault, the admission callback, and the export round trip (all unchanged). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "planner.h"

struct env {
	struct fm_inv *inv;
	struct fm_chassis *ch;
	struct fm_intent *intents;
	int admit_calls;
	bool admit_refuse;
	size_t admit_steps;
};

static void add_card(struct fm_chassis *ch, uint16_t slot, const char *name, uint8_t sharing,
		     uint8_t n_pfs, uint16_t total, uint16_t num0, uint16_t num1, uint64_t dsn)
{
	struct fmp_card_resp c;
	char err[256];

	memset(&c, 0, sizeof(c));
	c.slot = slot;
	c.sharing = sharing;
	c.n_pfs = n_pfs;
	c.vendor = 0x8086;
	c.dsn = dsn;
	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.profile, sizeof(c.profile), "test");
	for (uint8_t p = 0; p < n_pfs; p++) {
		c.pfs[p].pf = p;
		c.pfs[p].device = 0x10c9;
		c.pfs[p].total_vfs = total;
		c.pfs[p].num_vfs = p ? num1 : num0;
		c.pfs[p].vf_device = 0x10ca;
		c.pfs[p].vf_offset = 0x80;
		c.pfs[p].vf_stride = 2;
	}
	if (fm_inv_set_card(ch, &c, err, sizeof(err)))
		fail_msg("%s", err);
}

/* rack1: web1 (4 vPPBs), web2 (4), web3 (link down), web4 (1 vPPB); nic0 sr-iov 2 PFs x 8
 * VFs (pf0 NumVFs 0, pf1 NumVFs 2), fc0 exclusive 2 PFs, mr0 mr-iov 2 PFs x 4 VFs. */
static int setup(void **state)
{
	struct env *t = calloc(1, sizeof(*t));
	struct fmp_port_info ports[4];
	struct fmp_ports_resp pr = { 4, ports };
	struct fmp_slot_info slots[3];
	struct fmp_slots_resp sr = { 3, slots };
	const char *names[] = { "web1", "web2", "web3", "web4" };
	char err[256];

	t->inv = fm_inv_new(NULL, NULL);
	t->ch = fm_inv_add_chassis(t->inv, "rack1");
	memset(ports, 0, sizeof(ports));
	for (unsigned i = 0; i < 4; i++) {
		ports[i].port = (uint8_t)i;
		ports[i].flags = i == 2 ? 0 : FMP_PORT_F_LINK_UP;
		ports[i].width = 16;
		ports[i].speed = 3;
		ports[i].n_vppb = i == 3 ? 1 : 4;
		snprintf(ports[i].name, sizeof(ports[i].name), "%s", names[i]);
	}
	memset(slots, 0, sizeof(slots));
	for (unsigned i = 0; i < 3; i++) {
		slots[i].slot = (uint16_t)(i + 1);
		slots[i].flags = FMP_SLOT_F_PRESENT | FMP_SLOT_F_POWER_ON;
	}
	if (fm_inv_set_ports(t->ch, &pr, err, sizeof(err)) ||
	    fm_inv_set_slots(t->ch, &sr, err, sizeof(err)))
		fail_msg("%s", err);
	add_card(t->ch, 1, "nic0", FMP_SHARING_SRIOV, 2, 8, 0, 2, 0x001b21ffff2b46e0ull);
	add_card(t->ch, 2, "fc0", FMP_SHARING_EXCLUSIVE, 2, 0, 0, 0, 0x10000090fa5c2e01ull);
	add_card(t->ch, 3, "mr0", FMP_SHARING_MRIOV, 2, 4, 4, 4, 0x0002c9ffff00abcdull);
	for (unsigned i = 0; i < 4; i++)
		t->ch->hosts[i].n_vppb_known = t->ch->hosts[i].n_vppb;
	t->ch->discovered = true;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct env *t = *state;

	while (t->intents) {
		struct fm_intent *n = t->intents->next;

		free(t->intents);
		t->intents = n;
	}
	fm_inv_free(t->inv);
	free(t);
	return 0;
}

static struct fm_fn *fn(struct env *t, const char *name)
{
	struct fm_fn *f = fm_inv_find_fn(t->inv, name, NULL);

	if (!f)
		fail_msg("no function %s in the test inventory", name);
	return f;
}

static struct fm_host *host(struct env *t, const char *name)
{
	return fm_inv_find_host(t->inv, name, NULL);
}

/* An intent fn -> host, bound on the (pretend) switch in the host's lowest free vPPB. */
static void bound(struct env *t, const char *fname, const char *hname)
{
	struct fm_fn *f = fn(t, fname);
	struct fm_host *h = host(t, hname);
	struct fm_intent *in = calloc(1, sizeof(*in));
	bool whole = f->card->sharing == FMP_SHARING_EXCLUSIVE;
	unsigned v = 0;

	while (h->vppb[v].bind_state != FMP_BIND_UNBOUND)
		v++;
	assert_true(v < h->n_vppb);
	h->vppb[v].bind_state = FMP_BIND_BOUND;
	f->sw_state = FMP_BIND_BOUND;
	f->sw_port = h->port;
	f->sw_vppb = (uint8_t)v;
	snprintf(in->chassis, sizeof(in->chassis), "rack1");
	snprintf(in->serial, sizeof(in->serial), "%s", f->card->serial);
	in->pf = whole ? 0 : f->pf;
	in->vf = whole || f->vf == FMP_VF_NONE ? -1 : f->vf;
	snprintf(in->key, sizeof(in->key), "rack1|%s|%d|%d", in->serial, in->pf, in->vf);
	snprintf(in->host, sizeof(in->host), "%s", hname);
	in->vppb = (int)v;
	in->state = FM_STORE_BOUND;
	in->next = t->intents;
	t->intents = in;
}

static struct fm_bindings *file(const char *text)
{
	struct fm_bindings *b = NULL;
	char err[512];

	if (fm_bindings_load_string("b.yaml", text, strlen(text), &b, err, sizeof(err)))
		fail_msg("%s", err);
	return b;
}

static int fake_admit(void *arg, const struct fm_inv *inv, const struct fm_intent *intents,
		      const struct fm_plan *plan, enum fm_rpc_code *code, char *err, size_t errlen)
{
	struct env *t = arg;

	(void)inv;
	(void)intents;
	t->admit_calls++;
	t->admit_steps = plan->n;
	if (!t->admit_refuse)
		return 0;
	*code = FM_RPC_E_BAD_REQUEST;
	snprintf(err, errlen, "host port web1 (x16 8GT/s, 126.0 Gb/s): 120 promised, 10 asked");
	return -1;
}

static struct fm_plan *plan_ok(struct env *t, const char *text, bool prune)
{
	struct fm_bindings *b = file(text);
	struct fm_plan_input in = { b, t->inv, t->intents, prune, fake_admit, t };
	struct fm_plan *p = NULL;
	enum fm_rpc_code code;
	char err[512];
	int entry;

	if (fm_plan_build(&in, &p, &code, &entry, err, sizeof(err)))
		fail_msg("refused (%s): %s", fm_rpc_code_name(code), err);
	fm_bindings_free(b);
	return p;
}

static void plan_err(struct env *t, const char *text, bool prune, enum fm_rpc_code want_code,
		     int want_entry, const char *want)
{
	struct fm_bindings *b = file(text);
	struct fm_plan_input in = { b, t->inv, t->intents, prune, fake_admit, t };
	struct fm_plan *p = (void *)1;
	enum fm_rpc_code code;
	char err[512];
	int entry;

	assert_int_equal(fm_plan_build(&in, &p, &code, &entry, err, sizeof(err)), -EINVAL);
	assert_null(p);
	if (code != want_code || entry != want_entry || strcmp(err, want))
		fail_msg("got %s entry %d: %s\nwant %s entry %d: %s", fm_rpc_code_name(code), entry,
			 err, fm_rpc_code_name(want_code), want_entry, want);
	fm_bindings_free(b);
}

static const struct fm_plan_step *step(const struct fm_plan *p, const char *function)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->steps[i].function, function))
			return &p->steps[i];
	fail_msg("no step for %s", function);
	return NULL;
}

static void test_every_action(void **state)
{
	struct env *t = *state;
	const char *text = "bindings:\n"
			   "  web1:\n"
			   "    - nic0/pf1/vf0\n"                          /* unchanged */
			   "    - nic0/pf1/vf1\n"                          /* move from web2 */
			   "    - nic0/pf0/vf3\n"                          /* assign */
			   "  web2:\n"
			   "    - {function: fc0, qos: {min_gbps: 4}}\n"   /* qos-change */
			   "    - mr0/pf1\n";                              /* assign */
	struct fm_plan *p;
	const struct fm_plan_step *s;

	bound(t, "nic0/pf1/vf0", "web1");
	bound(t, "nic0/pf1/vf1", "web2");
	bound(t, "fc0/pf0", "web2");
	bound(t, "mr0/pf0", "web4"); /* not in the file: unassign with prune only */
	p = plan_ok(t, text, false);
	assert_int_equal(p->n, 5);
	assert_int_equal(t->admit_calls, 1);
	assert_int_equal(t->admit_steps, 5);
	assert_int_equal(step(p, "nic0/pf1/vf0")->action, FM_PLAN_UNCHANGED);
	s = step(p, "nic0/pf1/vf1");
	assert_int_equal(s->action, FM_PLAN_MOVE);
	assert_string_equal(s->host, "web1");
	assert_string_equal(s->from_host, "web2");
	assert_string_equal(s->from_target, "rack1:web2");
	assert_string_equal(s->target, "rack1:nic0/pf1/vf1");
	s = step(p, "nic0/pf0/vf3");
	assert_int_equal(s->action, FM_PLAN_ASSIGN);
	assert_int_equal(s->entry, 2);
	s = step(p, "fc0");
	assert_int_equal(s->action, FM_PLAN_QOS);
	assert_string_equal(s->target, "rack1:fc0/pf0");
	assert_int_equal(s->qos.min_mbps, 4000);
	assert_int_equal(step(p, "mr0/pf1")->action, FM_PLAN_ASSIGN);
	assert_int_equal(p->counts[FM_PLAN_ASSIGN], 2);
	assert_int_equal(p->counts[FM_PLAN_UNASSIGN], 0);
	fm_plan_free(p);

	p = plan_ok(t, text, true);
	assert_int_equal(p->n, 6);
	s = step(p, "mr0/pf0");
	assert_int_equal(s->action, FM_PLAN_UNASSIGN);
	assert_int_equal(s->entry, -1);
	assert_string_equal(s->host, "web4");
	assert_int_equal(p->counts[FM_PLAN_UNASSIGN], 1);
	fm_plan_free(p);
}

/* The VFs a host has from the card count first, then the lowest free ones (enabled first);
 * applied (intents made), the same file plans nothing but unchanged. */
static void test_count_stable(void **state)
{
	struct env *t = *state;
	const char *text = "bindings:\n  web1:\n    - {card: nic0, count: 3}\n"
			   "  web2:\n    - nic0/pf0/vf0\n";
	struct fm_plan *p;

	bound(t, "nic0/pf1/vf1", "web1");
	bound(t, "nic0/pf0/vf5", "web2"); /* taken: never picked */
	p = plan_ok(t, text, false);
	assert_int_equal(p->n, 4);
	assert_int_equal(step(p, "nic0/pf1/vf1")->action, FM_PLAN_UNCHANGED);
	assert_int_equal(step(p, "nic0/pf1/vf0")->action, FM_PLAN_ASSIGN); /* enabled, free */
	/* pf0 has NumVFs 0: its lowest free VF not named by the file is vf1 */
	assert_int_equal(step(p, "nic0/pf0/vf1")->action, FM_PLAN_ASSIGN);
	assert_int_equal(step(p, "nic0/pf0/vf0")->action, FM_PLAN_ASSIGN);
	assert_int_equal(step(p, "nic0/pf0/vf0")->entry, 1);
	fm_plan_free(p);

	/* as if applied */
	bound(t, "nic0/pf1/vf0", "web1");
	bound(t, "nic0/pf0/vf1", "web1");
	bound(t, "nic0/pf0/vf0", "web2");
	p = plan_ok(t, text, true);
	assert_int_equal(p->counts[FM_PLAN_UNCHANGED], 4);
	assert_int_equal(p->counts[FM_PLAN_UNASSIGN], 1); /* nic0/pf0/vf5, pruned */
	assert_int_equal(step(p, "nic0/pf0/vf5")->action, FM_PLAN_UNASSIGN);
	fm_plan_free(p);
	p = plan_ok(t, "bindings:\n  web1:\n    - {card: nic0, count: 2}\n", false);
	assert_int_equal(p->n, 2); /* two of the three it has, the lowest */
	assert_int_equal(step(p, "nic0/pf0/vf1")->action, FM_PLAN_UNCHANGED);
	assert_int_equal(step(p, "nic0/pf1/vf0")->action, FM_PLAN_UNCHANGED);
	fm_plan_free(p);
}

#define B "bindings:\n  web1:\n    - nic0/pf1/vf0\n"

static void test_refusals_name_the_binding(void **state)
{
	struct env *t = *state;

	plan_err(t, B "  web9:\n    - nic0/pf1/vf1\n", false, FM_RPC_E_NO_SUCH_HOST, 1,
		 "b.yaml:5:7: bindings.web9[0]: no host web9");
	plan_err(t, B "  rack2:web1:\n    - nic0/pf1/vf1\n", false, FM_RPC_E_NO_SUCH_CHASSIS, 1,
		 "b.yaml:5:7: bindings.rack2:web1[0]: no chassis rack2 (in host rack2:web1)");
	plan_err(t, B "    - nic0/pf1/vf99\n", false, FM_RPC_E_NO_SUCH_FUNCTION, 1,
		 "b.yaml:4:7: bindings.web1[1]: no function nic0/pf1/vf99");
	plan_err(t, B "    - nic0/pf0\n", false, FM_RPC_E_SHARING_MODE, 1,
		 "b.yaml:4:7: bindings.web1[1]: nic0/pf0 is a PF of an sr-iov card: the fabric manager keeps the PFs; name its VFs (nic0/pf0/vfN)");
	plan_err(t, B "    - mr0/pf0/vf1\n", false, FM_RPC_E_SHARING_MODE, 1,
		 "b.yaml:4:7: bindings.web1[1]: mr0/pf0/vf1 is a VF of an mr-iov card: a PF goes to a host with its VFs; name mr0/pf0");
	plan_err(t, B "    - nic0\n", false, FM_RPC_E_SHARING_MODE, 1,
		 "b.yaml:4:7: bindings.web1[1]: nic0 is an sr-iov card: name its functions (nic0/pfN/vfM) or ask {card: nic0, count: N}");
	plan_err(t, B "  web2:\n    - slot1/pf1/vf0\n", false, FM_RPC_E_BAD_REQUEST, 1,
		 "b.yaml:5:7: bindings.web2[0]: slot1/pf1/vf0 is the same function as nic0/pf1/vf0 (b.yaml:3:7: bindings.web1[0])");
	plan_err(t, B "  web2:\n    - fc0/pf1\n    - fc0\n", false, FM_RPC_E_BAD_REQUEST, 2,
		 "b.yaml:6:7: bindings.web2[1]: fc0 is the same function as fc0/pf1 (b.yaml:5:7: bindings.web2[0])");
	plan_err(t, B "  web3:\n    - nic0/pf1/vf1\n", false, FM_RPC_E_HOST_LINK_DOWN, 1,
		 "b.yaml:5:7: bindings.web3[0]: nic0/pf1/vf1: the link of host web3 is down");
	plan_err(t, B "  web4:\n    - mr0/pf0\n    - mr0/pf1\n", false, FM_RPC_E_NO_FREE_VPPB, 2,
		 "b.yaml:6:7: bindings.web4[1]: mr0/pf1: host web4 has no free vPPB left (1 of 1 free, the plan brings 2)");
	plan_err(t, B "    - {card: nic0, count: 16}\n", false, FM_RPC_E_FUNCTION_BUSY, 1,
		 "b.yaml:4:14: bindings.web1[1]: card nic0 has 15 VFs for host web1 (of 16), 16 wanted");
	plan_err(t, B "    - {card: fc0, count: 1}\n", false, FM_RPC_E_SHARING_MODE, 1,
		 "b.yaml:4:14: bindings.web1[1]: count picks VFs, but card fc0 is exclusive: name its functions");
	plan_err(t, B "    - {card: nic9, count: 1}\n", false, FM_RPC_E_NO_SUCH_CARD, 1,
		 "b.yaml:4:14: bindings.web1[1]: no card nic9");
	/* a VF past NumVFs while another VF of the PF is bound */
	bound(t, "nic0/pf1/vf1", "web2");
	plan_err(t, B "    - nic0/pf1/vf5\n", false, FM_RPC_E_VF_BOUND, 1,
		 "b.yaml:4:7: bindings.web1[1]: nic0/pf1/vf5 needs NumVFs 6 but nic0/pf1/vf1 is bound; NumVFs can change only while no VF of nic0/pf1 is bound");
	/* the same with vf1 pruned away first is fine */
	fm_plan_free(plan_ok(t, B "    - nic0/pf1/vf5\n", true));
	/* bound on the switch behind fabricd's back */
	fn(t, "nic0/pf0/vf7")->sw_state = FMP_BIND_BOUND;
	fn(t, "nic0/pf0/vf7")->sw_port = 1;
	plan_err(t, B "    - nic0/pf0/vf7\n", false, FM_RPC_E_FUNCTION_BUSY, 1,
		 "b.yaml:4:7: bindings.web1[1]: nic0/pf0/vf7 is bound to web2 on the switch, not by fabricd");
	/* admission refuses the plan as a whole */
	t->admit_refuse = true;
	plan_err(t, B, false, FM_RPC_E_BAD_REQUEST, -1,
		 "host port web1 (x16 8GT/s, 126.0 Gb/s): 120 promised, 10 asked");
}

/* A full host is fine when the plan frees a vPPB there first (unbinds run before binds). */
static void test_vppbs_freed_by_the_plan(void **state)
{
	struct env *t = *state;
	struct fm_plan *p;

	bound(t, "mr0/pf0", "web4");
	plan_err(t, "bindings:\n  web4:\n    - mr0/pf0\n    - mr0/pf1\n", false,
		 FM_RPC_E_NO_FREE_VPPB, 1,
		 "b.yaml:4:7: bindings.web4[1]: mr0/pf1: host web4 has no free vPPB left (0 of 1 free, the plan brings 1)");
	p = plan_ok(t, "bindings:\n  web1:\n    - mr0/pf0\n  web4:\n    - mr0/pf1\n", false);
	assert_int_equal(step(p, "mr0/pf0")->action, FM_PLAN_MOVE);
	assert_int_equal(step(p, "mr0/pf1")->action, FM_PLAN_ASSIGN);
	fm_plan_free(p);
}

static void test_export_round_trip(void **state)
{
	struct env *t = *state;
	struct fm_bindings *b;
	struct fm_plan *p;
	unsigned skipped;
	char *text;

	bound(t, "nic0/pf1/vf1", "web2");
	bound(t, "nic0/pf0/vf7", "web1");
	bound(t, "nic0/pf0/vf2", "web1");
	bound(t, "fc0/pf0", "web2");
	bound(t, "mr0/pf1", "web1");
	b = fm_plan_export(t->inv, t->intents, &skipped);
	assert_int_equal(skipped, 0);
	text = fm_bindings_format(b, NULL);
	assert_string_equal(text, "bindings:\n"
				  "  web1:\n    - mr0/pf1\n    - nic0/pf0/vf2\n    - nic0/pf0/vf7\n"
				  "  web2:\n    - fc0\n    - nic0/pf1/vf1\n");
	p = plan_ok(t, text, true);
	assert_int_equal(p->n, 5);
	assert_int_equal(p->counts[FM_PLAN_UNCHANGED], 5);
	fm_plan_free(p);
	free(text);
	fm_bindings_free(b);
	/* a pulled card's intents cannot be named: counted, left out */
	fm_inv_remove_card(t->ch, 2);
	b = fm_plan_export(t->inv, t->intents, &skipped);
	assert_int_equal(skipped, 1);
	assert_int_equal(b->n, 4);
	fm_bindings_free(b);
	p = plan_ok(t, "bindings: {}\n", true);
	assert_int_equal(p->counts[FM_PLAN_UNASSIGN], 4);
	assert_int_equal(p->skipped, 1);
	fm_plan_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_action, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_stable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_name_the_binding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vppbs_freed_by_the_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export_round_trip, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
