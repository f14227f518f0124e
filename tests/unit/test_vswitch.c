/* Unit tests for switch-sim/vswitch: a host's virtual switch — bus numbers and windows as
 * firmware assigns them, host-view decoding, the vPPB slot registers through hot-add,
 * button, host release and removal, and BAR placement in the vPPB windows. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <pci/pci.h>

#include "config_space.h"
#include "profile.h"
#include "vswitch.h"

#define PROFILES FABRIC_SOURCE_DIR "/configs/profiles"

static struct sim_vswitch *make(uint8_t n_vppb)
{
	struct sim_vswitch_params p = {
		.port = 3, .width = 16, .speed = FMP_SPEED_8GT, .n_vppb = n_vppb, .dsn = 0x42,
	};
	struct sim_vswitch *vs;
	char err[256];

	if (sim_vswitch_new(&p, &vs, err, sizeof(err)))
		fail_msg("sim_vswitch_new: %s", err);
	return vs;
}

static void test_bad_params(void **state)
{
	struct sim_vswitch_params p = { .port = 0, .width = 16, .speed = FMP_SPEED_8GT };
	struct sim_vswitch *vs = (void *)1;
	char err[256] = "";

	(void)state;
	assert_int_equal(sim_vswitch_new(&p, &vs, err, sizeof(err)), -EINVAL);
	assert_null(vs);
	p.n_vppb = SIM_VSWITCH_MAX_VPPB + 1;
	assert_int_equal(sim_vswitch_new(&p, &vs, err, sizeof(err)), -EINVAL);
	p.n_vppb = 4;
	p.speed = 9;
	assert_int_equal(sim_vswitch_new(&p, &vs, err, sizeof(err)), -EINVAL);
	sim_vswitch_free(NULL);
}

static void test_layout(void **state)
{
	struct sim_vswitch *vs = make(SIM_VSWITCH_MAX_VPPB);
	const struct sim_cfg *usp = sim_vswitch_usp(vs);
	const unsigned e = SIM_CFG_BR_EXP;
	uint32_t psns = 0;

	(void)state;
	assert_int_equal(sim_vswitch_n_vppb(vs), 32);
	assert_int_equal(sim_vswitch_last_bus(vs), SIM_VPPB_BUS(31) + SIM_BUSES_PER_VPPB - 1);
	assert_int_equal(sim_cfg_read8(usp, PCI_PRIMARY_BUS), SIM_USP_BUS);
	assert_int_equal(sim_cfg_read8(usp, PCI_SECONDARY_BUS), SIM_USP_BUS + 1);
	assert_int_equal(sim_cfg_read8(usp, PCI_SUBORDINATE_BUS), sim_vswitch_last_bus(vs));
	assert_true(sim_cfg_read16(usp, PCI_COMMAND) & PCI_COMMAND_MEMORY);
	assert_int_equal(sim_cfg_read16(usp, PCI_MEMORY_BASE), SIM_VSWITCH_MEM_BASE >> 16);
	assert_int_equal(sim_cfg_read16(usp, PCI_MEMORY_LIMIT),
			 ((SIM_VSWITCH_MEM_BASE + 32 * SIM_VSWITCH_MEM_PER_VPPB - 1) >> 16) &
				 0xfff0);
	assert_true(sim_vswitch_link_up(vs));
	assert_int_equal((sim_cfg_read16(usp, e + PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_WIDTH) >> 4, 16);
	assert_null(sim_vswitch_dsp(vs, 32));
	for (unsigned i = 0; i < 32; i++) {
		const struct sim_cfg *d = sim_vswitch_dsp(vs, i);
		uint32_t psn = sim_cfg_read32(d, e + PCI_EXP_SLTCAP) >> 19;
		uint32_t mem = SIM_VSWITCH_MEM_BASE + i * SIM_VSWITCH_MEM_PER_VPPB;

		assert_int_equal(sim_cfg_read8(d, PCI_PRIMARY_BUS), SIM_USP_BUS + 1);
		assert_int_equal(sim_cfg_read8(d, PCI_SECONDARY_BUS), SIM_VPPB_BUS(i));
		assert_int_equal(sim_cfg_read8(d, PCI_SUBORDINATE_BUS),
				 SIM_VPPB_BUS(i) + SIM_BUSES_PER_VPPB - 1);
		assert_int_equal(sim_cfg_read16(d, PCI_MEMORY_BASE), mem >> 16);
		assert_int_equal(sim_cfg_read16(d, PCI_MEMORY_LIMIT),
				 ((mem + SIM_VSWITCH_MEM_PER_VPPB - 1) >> 16) & 0xfff0);
		assert_int_equal(sim_cfg_read32(d, PCI_PREF_BASE_UPPER32),
				 (uint32_t)((SIM_VSWITCH_PREF_BASE +
					     i * SIM_VSWITCH_PREF_PER_VPPB) >> 32));
		assert_int_equal(psn, i + 1);
		assert_false(psns & (1u << i));
		psns |= 1u << i;
		/* an empty, powered slot with no link */
		assert_int_equal(sim_vswitch_slot_flags(vs, i), FMP_SLOT_F_POWER_ON);
	}
	sim_vswitch_set_link(vs, false);
	assert_false(sim_vswitch_link_up(vs));
	assert_int_equal(sim_cfg_read16(usp, e + PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_WIDTH, 0);
	sim_vswitch_free(vs);
}

static void test_decode(void **state)
{
	struct sim_vswitch *vs = make(4);
	unsigned vppb = 99;
	uint16_t rid = 0xffff;

	(void)state;
	assert_int_equal(sim_vswitch_decode(vs, SIM_USP_BUS, 0, &vppb, &rid), SIM_VSWITCH_USP);
	assert_int_equal(sim_vswitch_decode(vs, SIM_USP_BUS, 1, &vppb, &rid), SIM_VSWITCH_NONE);
	assert_int_equal(sim_vswitch_decode(vs, SIM_USP_BUS + 1, PCI_DEVFN(3, 0), &vppb, &rid),
			 SIM_VSWITCH_DSP);
	assert_int_equal(vppb, 3);
	assert_int_equal(sim_vswitch_decode(vs, SIM_USP_BUS + 1, PCI_DEVFN(4, 0), &vppb, &rid),
			 SIM_VSWITCH_NONE);
	assert_int_equal(sim_vswitch_decode(vs, SIM_USP_BUS + 1, PCI_DEVFN(0, 1), &vppb, &rid),
			 SIM_VSWITCH_NONE);
	assert_int_equal(sim_vswitch_decode(vs, SIM_VPPB_BUS(2), PCI_DEVFN(0, 5), &vppb, &rid),
			 SIM_VSWITCH_BEHIND);
	assert_int_equal(vppb, 2);
	assert_int_equal(rid, 5);
	assert_int_equal(sim_vswitch_decode(vs, SIM_VPPB_BUS(2) + 3, 0x81, &vppb, &rid),
			 SIM_VSWITCH_BEHIND);
	assert_int_equal(vppb, 2);
	assert_int_equal(rid, 0x381);
	assert_int_equal(sim_vswitch_decode(vs, sim_vswitch_last_bus(vs) + 1, 0, &vppb, &rid),
			 SIM_VSWITCH_NONE);
	assert_int_equal(sim_vswitch_decode(vs, 0, 0, &vppb, &rid), SIM_VSWITCH_NONE);
	sim_vswitch_free(vs);
}

static void test_slot_sequence(void **state)
{
	struct sim_vswitch *vs = make(2);
	const struct sim_cfg *d = sim_vswitch_dsp(vs, 1);
	const unsigned e = SIM_CFG_BR_EXP;
	uint16_t sta;

	(void)state;
	sim_vswitch_hot_add(vs, 1, 8, FMP_SPEED_5GT);
	sta = sim_cfg_slot_status(d);
	assert_true(sta & PCI_EXP_SLTSTA_PRES);
	assert_true(sta & PCI_EXP_SLTSTA_PRSD);
	assert_true(sta & PCI_EXP_SLTSTA_LLCHG);
	assert_int_equal((sim_cfg_read16(d, e + PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_WIDTH) >> 4, 8);
	assert_int_equal(sim_cfg_read16(d, e + PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_SPEED,
			 FMP_SPEED_5GT);
	assert_int_equal(sim_cfg_slot_control(d) & PCI_EXP_SLTCTL_PWRI, SIM_SLTCTL_PWR_IND_ON);
	assert_int_equal(sim_vswitch_slot_flags(vs, 1),
			 FMP_SLOT_F_PRESENT | FMP_SLOT_F_POWER_ON | FMP_SLOT_F_DLL_ACTIVE);
	/* a wider, faster card trains at what the port supports */
	sim_vswitch_hot_add(vs, 0, 32, FMP_SPEED_32GT);
	assert_int_equal((sim_cfg_read16(sim_vswitch_dsp(vs, 0), e + PCI_EXP_LNKSTA) &
			  PCI_EXP_LNKSTA_SPEED), FMP_SPEED_8GT);

	sim_vswitch_button(vs, 1);
	assert_true(sim_cfg_slot_status(d) & PCI_EXP_SLTSTA_ATNB);
	sim_vswitch_host_blink(vs, 1);
	assert_false(sim_cfg_slot_status(d) & PCI_EXP_SLTSTA_ATNB);
	assert_int_equal(sim_cfg_slot_control(d) & PCI_EXP_SLTCTL_PWRI, SIM_SLTCTL_PWR_IND_BLINK);
	sim_vswitch_host_release(vs, 1);
	assert_true(sim_cfg_slot_control(d) & PCI_EXP_SLTCTL_PWRC);
	assert_int_equal(sim_cfg_slot_control(d) & PCI_EXP_SLTCTL_PWRI, SIM_SLTCTL_PWR_IND_OFF);
	sim_vswitch_hot_remove(vs, 1);
	assert_int_equal(sim_vswitch_slot_flags(vs, 1), 0);
	/* a surprise removal: the host powers the slot off afterwards */
	sim_vswitch_hot_remove(vs, 0);
	assert_int_equal(sim_vswitch_slot_flags(vs, 0), 0);
	/* out of range is ignored */
	sim_vswitch_hot_add(vs, 2, 8, FMP_SPEED_5GT);
	sim_vswitch_button(vs, 7);
	assert_int_equal(sim_vswitch_slot_flags(vs, 2), 0);
	sim_vswitch_free(vs);
}

static void test_place_bars(void **state)
{
	struct sim_vswitch *vs = make(4);
	struct sim_profile *p;
	struct sim_cfg *pf, *raw;
	char err[256];
	uint64_t mem = SIM_VSWITCH_MEM_BASE + 2ull * SIM_VSWITCH_MEM_PER_VPPB +
		       (SIM_VSWITCH_MEM_PER_VPPB / SIM_VSWITCH_FNS_PER_VPPB);
	uint64_t pref = SIM_VSWITCH_PREF_BASE + 1 * SIM_VSWITCH_PREF_PER_VPPB;

	(void)state;
	/* 82599 PF: BAR0 512K 64-bit, BAR2 I/O, BAR4 16K 64-bit, ROM 512K -> non-prefetchable */
	assert_int_equal(sim_profile_load(PROFILES, "intel-82599", &p, err, sizeof(err)), 0);
	assert_int_equal(sim_cfg_build_pf(p, 0, 1, &pf, err, sizeof(err)), 0);
	sim_vswitch_place_bars(vs, 2, 1, pf);
	/* largest first: BAR0 and the ROM (512K each), then BAR4 */
	assert_int_equal(sim_cfg_read32(pf, PCI_BASE_ADDRESS_0),
			 (uint32_t)mem | PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(sim_cfg_read32(pf, PCI_BASE_ADDRESS_1), 0);
	assert_int_equal(sim_cfg_read32(pf, PCI_ROM_ADDRESS), (uint32_t)mem + (512u << 10));
	assert_int_equal(sim_cfg_read32(pf, PCI_BASE_ADDRESS_4),
			 ((uint32_t)mem + (1024u << 10)) | PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(sim_cfg_read32(pf, PCI_BASE_ADDRESS_2), PCI_BASE_ADDRESS_SPACE_IO);
	sim_cfg_free(pf);
	sim_profile_free(p);

	/* X710-like: 64-bit prefetchable BARs go to the prefetchable window */
	assert_int_equal(sim_profile_load(PROFILES, "mriov-nic", &p, err, sizeof(err)), 0);
	assert_int_equal(sim_cfg_build_pf(p, 1, 1, &pf, err, sizeof(err)), 0);
	sim_vswitch_place_bars(vs, 1, 0, pf);
	assert_int_equal(sim_cfg_read32(pf, PCI_BASE_ADDRESS_0),
			 (uint32_t)pref | PCI_BASE_ADDRESS_MEM_TYPE_64 |
				 PCI_BASE_ADDRESS_MEM_PREFETCH);
	assert_int_equal(sim_cfg_read32(pf, PCI_BASE_ADDRESS_1), (uint32_t)(pref >> 32));
	assert_int_equal(sim_cfg_read32(pf, PCI_BASE_ADDRESS_3) & ~0xfu,
			 (uint32_t)pref + (8u << 20));
	/* the ROM still goes below 4 GiB */
	assert_int_equal(sim_cfg_read32(pf, PCI_ROM_ADDRESS),
			 SIM_VSWITCH_MEM_BASE + SIM_VSWITCH_MEM_PER_VPPB);
	sim_cfg_free(pf);
	sim_profile_free(p);

	/* BARs without writable bits (a read-only capture) stay as they are */
	raw = sim_cfg_new_raw(NULL, 0);
	assert_non_null(raw);
	sim_cfg_set32(raw, PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_MEM_TYPE_64);
	sim_vswitch_place_bars(vs, 0, 0, raw);
	assert_int_equal(sim_cfg_read32(raw, PCI_BASE_ADDRESS_0), PCI_BASE_ADDRESS_MEM_TYPE_64);
	sim_vswitch_place_bars(vs, 9, 0, raw);
	sim_vswitch_place_bars(vs, 0, SIM_VSWITCH_FNS_PER_VPPB, raw);
	sim_cfg_free(raw);
	sim_vswitch_free(vs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_params),
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_slot_sequence),
		cmocka_unit_test(test_place_bars),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
