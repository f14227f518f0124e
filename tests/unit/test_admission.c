/* Unit tests of manager/admission.c: each PCIe generation's capacity after encoding, the
 * exact limit of a link (fits exactly, 1 Mb/s over), the refusal's text and data, batches
 * (a claim replaces its function's intent, a release frees room, the card's own link). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "admission.h"

struct ctx {
	struct fm_inv *inv;
	struct fm_chassis *ch;
	struct fm_card *nic0, *mr0;
	struct fm_host *web1, *web2, *web3;
	struct fm_intent in[4];
	struct fm_intent *list;
};

/* rack1: web1 x4 8 GT/s (31.507 Gb/s), web2 x1 2.5 GT/s (2 Gb/s), web3 x4 5 GT/s (16 Gb/s);
 * slot 1 nic0 (sr-iov, link x8 8 GT/s: 63.015 Gb/s), slot 2 mr0 (mr-iov, link unknown). */
static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct fmp_port_info ports[3] = {
		{.port = 0, .flags = FMP_PORT_F_LINK_UP, .width = 4, .speed = FMP_SPEED_8GT, .n_vppb = 4, .name = "web1"},
		{.port = 1, .flags = FMP_PORT_F_LINK_UP, .width = 1, .speed = FMP_SPEED_2_5GT, .n_vppb = 4, .name = "web2"},
		{.port = 2, .flags = FMP_PORT_F_LINK_UP, .width = 4, .speed = FMP_SPEED_5GT, .n_vppb = 4, .name = "web3"},
	};
	struct fmp_slot_info slots[2] = {{.slot = 1, .flags = FMP_SLOT_F_PRESENT}, {.slot = 2, .flags = FMP_SLOT_F_PRESENT}};
	struct fmp_ports_resp pr = {3, ports};
	struct fmp_slots_resp sr = {2, slots};
	struct fmp_card_resp card = {.slot = 1, .sharing = FMP_SHARING_SRIOV, .n_pfs = 1,
				     .vendor = 0x8086, .dsn = 0x001b21ffff2b46e0ull, .name = "nic0",
				     .pfs = {{.pf = 0, .device = 0x10c9, .total_vfs = 8, .num_vfs = 8,
					      .vf_device = 0x10ca, .vf_offset = 128, .vf_stride = 2}}};
	struct fmp_card_resp mr = {.slot = 2, .sharing = FMP_SHARING_MRIOV, .n_pfs = 1,
				   .vendor = 0x15b3, .dsn = 0x0002c9ffff00abcdull, .name = "mr0",
				   .pfs = {{.pf = 0, .device = 0x1017}}};
	char err[256];

	c->inv = fm_inv_new(NULL, NULL);
	c->ch = fm_inv_add_chassis(c->inv, "rack1");
	assert_int_equal(fm_inv_set_ports(c->ch, &pr, err, sizeof(err)), 0);
	assert_int_equal(fm_inv_set_slots(c->ch, &sr, err, sizeof(err)), 0);
	assert_int_equal(fm_inv_set_card(c->ch, &card, err, sizeof(err)), 0);
	assert_int_equal(fm_inv_set_card(c->ch, &mr, err, sizeof(err)), 0);
	c->nic0 = fm_inv_card_by_slot(c->ch, 1);
	c->mr0 = fm_inv_card_by_slot(c->ch, 2);
	c->nic0->pfs[0].link_width = 8;
	c->nic0->pfs[0].link_speed = FMP_SPEED_8GT;
	c->web1 = fm_inv_find_host(c->inv, "web1", NULL);
	c->web2 = fm_inv_find_host(c->inv, "web2", NULL);
	c->web3 = fm_inv_find_host(c->inv, "web3", NULL);
	assert_non_null(c->nic0);
	assert_non_null(c->web3);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	fm_inv_free(c->inv);
	free(c);
	return 0;
}

/* Adds an intent of nic0's VF vf on host with floor min_mbps. */
static void intent(struct ctx *c, unsigned i, int vf, const char *host, uint32_t min_mbps)
{
	struct fm_intent *in = &c->in[i];

	memset(in, 0, sizeof(*in));
	snprintf(in->chassis, sizeof(in->chassis), "rack1");
	snprintf(in->serial, sizeof(in->serial), "%s", c->nic0->serial);
	in->pf = 0;
	in->vf = vf;
	snprintf(in->host, sizeof(in->host), "%s", host);
	in->state = FM_STORE_BOUND;
	in->min_mbps = min_mbps;
	in->max_mbps = min_mbps ? 0 : 1000; /* caps are never summed */
	in->next = c->list;
	c->list = in;
}

static struct fm_admit_claim claim(struct ctx *c, int vf, const struct fm_host *h, uint32_t min)
{
	return (struct fm_admit_claim){fm_inv_fn_at(c->nic0, 0, (uint16_t)vf), h, min};
}

static void test_generations(void **state)
{
	char t[24];

	(void)state;
	/* x1 of each generation, one direction, after 8b/10b (2.5, 5 GT/s) or 128b/130b */
	assert_int_equal(fm_admission_link_mbps(1, FMP_SPEED_2_5GT), 2000);
	assert_int_equal(fm_admission_link_mbps(1, FMP_SPEED_5GT), 4000);
	assert_int_equal(fm_admission_link_mbps(1, FMP_SPEED_8GT), 7876);   /* 7876.92 */
	assert_int_equal(fm_admission_link_mbps(1, FMP_SPEED_16GT), 15753); /* 15753.85 */
	assert_int_equal(fm_admission_link_mbps(1, FMP_SPEED_32GT), 31507); /* 31507.69 */
	assert_int_equal(fm_admission_link_mbps(1, FMP_SPEED_64GT), 63015); /* 63015.38 */
	assert_int_equal(fm_admission_link_mbps(4, FMP_SPEED_5GT), 16000);
	assert_int_equal(fm_admission_link_mbps(8, FMP_SPEED_8GT), 63015);
	assert_int_equal(fm_admission_link_mbps(16, FMP_SPEED_16GT), 252061);
	assert_int_equal(fm_admission_link_mbps(16, 0), 0);
	assert_int_equal(fm_admission_link_mbps(0, FMP_SPEED_8GT), 0);
	fm_admission_gbps_text(31507, t, sizeof(t));
	assert_string_equal(t, "31.507");
	fm_admission_gbps_text(16000, t, sizeof(t));
	assert_string_equal(t, "16");
	fm_admission_gbps_text(12500, t, sizeof(t));
	assert_string_equal(t, "12.5");
	fm_admission_gbps_text(1, t, sizeof(t));
	assert_string_equal(t, "0.001");
	fm_admission_gbps_text(0, t, sizeof(t));
	assert_string_equal(t, "0");
}

/* web3 carries 16 Gb/s: 10 promised, 6 more fit exactly, 1 Mb/s more does not; the message
 * names the link, its capacity, the promised and the asked. */
static void test_exact_limit_and_message(void **state)
{
	struct ctx *c = *state;
	struct fm_admit_claim cl;
	struct fm_admit_refusal why;
	char err[512] = "";

	intent(c, 0, 0, "web3", 10000);
	intent(c, 1, 1, "web3", 0); /* no floor: counts nothing, whatever its cap */
	cl = claim(c, 2, c->web3, 6000);
	assert_int_equal(fm_admission_check(c->inv, c->list, &cl, 1, err, sizeof(err)), 0);
	cl.min_mbps = 6001;
	assert_int_equal(fm_admission_check_why(c->inv, c->list, &cl, 1, &why, err, sizeof(err)),
			 -ENOSPC);
	assert_string_equal(err, "host web3's link carries 16 Gb/s (x4 at 5 GT/s, 8b/10b): 10 Gb/s of "
				 "floors already promised on it, 6.001 Gb/s asked for nic0/pf0/vf2");
	assert_string_equal(why.link, "host web3");
	assert_string_equal(why.chassis, "rack1");
	assert_int_equal(why.capacity_mbps, 16000);
	assert_int_equal(why.promised_mbps, 10000);
	assert_int_equal(why.asked_mbps, 6001);

	/* a 128b/130b link: x4 8 GT/s is 31507.69 Mb/s, so 31507 fits and 31508 does not */
	cl = claim(c, 3, c->web1, 31507);
	assert_int_equal(fm_admission_check(c->inv, c->list, &cl, 1, err, sizeof(err)), 0);
	cl.min_mbps = 31508;
	assert_int_equal(fm_admission_check(c->inv, c->list, &cl, 1, err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "host web1's link carries 31.507 Gb/s (x4 at 8 GT/s, 128b/130b)"));

	/* no floor asked: nothing to check, even on a full link */
	cl = claim(c, 2, c->web2, 0);
	assert_int_equal(fm_admission_check(c->inv, c->list, &cl, 1, err, sizeof(err)), 0);
}

/* A claim replaces its function's intent (a floor raised counts once), a release in the
 * same batch frees room for another claim, and a batch is summed as a whole. */
static void test_batch(void **state)
{
	struct ctx *c = *state;
	struct fm_admit_claim cl[3];
	struct fm_admit_refusal why;
	char err[512] = "";

	intent(c, 0, 0, "web3", 10000);
	intent(c, 1, 1, "web3", 6000);
	/* vf1's floor from 6 to 6: unchanged, fits; to 6.001: over */
	cl[0] = claim(c, 1, c->web3, 6000);
	assert_int_equal(fm_admission_check(c->inv, c->list, cl, 1, err, sizeof(err)), 0);
	cl[0].min_mbps = 6001;
	assert_int_equal(fm_admission_check(c->inv, c->list, cl, 1, err, sizeof(err)), -ENOSPC);
	/* vf0 released and vf2 asking 10 in its place: fits */
	cl[0] = claim(c, 0, NULL, 0);
	cl[1] = claim(c, 2, c->web3, 10000);
	assert_int_equal(fm_admission_check(c->inv, c->list, cl, 2, err, sizeof(err)), 0);
	/* vf0 moved to web1 with its floor: web3 has room, web1 too */
	cl[0] = claim(c, 0, c->web1, 10000);
	assert_int_equal(fm_admission_check(c->inv, c->list, cl, 2, err, sizeof(err)), 0);
	/* two new claims that fit alone but not together */
	cl[0] = claim(c, 2, c->web2, 1500);
	cl[1] = claim(c, 3, c->web2, 501);
	assert_int_equal(fm_admission_check_why(c->inv, c->list, cl, 2, &why, err, sizeof(err)),
			 -ENOSPC);
	assert_int_equal(why.asked_mbps, 2001);
	assert_int_equal(why.promised_mbps, 0);
	assert_non_null(strstr(err, "2.001 Gb/s asked for nic0/pf0/vf2 and 1 more"));
	cl[1].min_mbps = 500;
	assert_int_equal(fm_admission_check(c->inv, c->list, cl, 2, err, sizeof(err)), 0);
}

/* The card's own link (63.015 Gb/s) is shared by every binding of the card, across hosts;
 * a card whose link is unknown is not checked. */
static void test_card_link(void **state)
{
	struct ctx *c = *state;
	struct fm_admit_claim cl[2];
	struct fm_admit_refusal why;
	struct fm_fn *mrpf = fm_inv_fn_at(c->mr0, 0, FMP_VF_NONE);
	char err[512] = "";

	c->web1->width = 16; /* hosts wide enough that the card is the narrow link */
	c->web1->speed = FMP_SPEED_16GT;
	c->web3->width = 16;
	c->web3->speed = FMP_SPEED_16GT;
	intent(c, 0, 0, "web1", 40000);
	cl[0] = claim(c, 1, c->web3, 23015);
	assert_int_equal(fm_admission_check(c->inv, c->list, cl, 1, err, sizeof(err)), 0);
	cl[0].min_mbps = 23016;
	assert_int_equal(fm_admission_check_why(c->inv, c->list, cl, 1, &why, err, sizeof(err)),
			 -ENOSPC);
	assert_string_equal(why.link, "card nic0");
	assert_string_equal(err, "card nic0's link carries 63.015 Gb/s (x8 at 8 GT/s, 128b/130b): "
				 "40 Gb/s of floors already promised on it, 23.016 Gb/s asked for "
				 "nic0/pf0/vf1");

	/* mr0's link is unknown: only the host port counts */
	cl[0] = (struct fm_admit_claim){mrpf, c->web3, 200000};
	assert_int_equal(fm_admission_check(c->inv, c->list, cl, 1, err, sizeof(err)), 0);
	cl[0].min_mbps = 252062;
	assert_int_equal(fm_admission_check_why(c->inv, c->list, cl, 1, &why, err, sizeof(err)),
			 -ENOSPC);
	assert_string_equal(why.link, "host web3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generations),
		cmocka_unit_test_setup_teardown(test_exact_limit_and_message, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_card_link, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
