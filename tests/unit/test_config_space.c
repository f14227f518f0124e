/* Unit tests for switch-sim/config_space: built config spaces decoded by libpci, write
 * masks, SR-IOV rules, VF routing IDs, bridge slot registers, and a whole 4 KiB image
 * written as lspci text (common/lspci_text) and read back by libpci's dump reader. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <pci/pci.h>

#include "config_space.h"
#include "lspci_text.h"
#include "profile.h"

#define PROFILES FABRIC_SOURCE_DIR "/configs/profiles"

/* ---- libpci in-memory decoding (PCIE-NOTES A.4) -------------------------------------------- */

struct fixture {
	char dir[64];
	char empty[96];
	struct pci_access *pacc;
};

static void PCI_NONRET PCI_PRINTF(1, 2) pci_fatal(char *msg, ...)
{
	va_list ap;
	char buf[256];

	va_start(ap, msg);
	vsnprintf(buf, sizeof(buf), msg, ap);
	va_end(ap);
	fail_msg("libpci: %s", buf);
	abort();
}

static void PCI_PRINTF(1, 2) pci_quiet(char *msg, ...)
{
	(void)msg;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	FILE *fp;

	strcpy(f->dir, "/tmp/test-cfg-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->empty, sizeof(f->empty), "%s/empty", f->dir);
	fp = fopen(f->empty, "w");
	if (!fp)
		return -1;
	fclose(fp);
	f->pacc = pci_alloc();
	f->pacc->error = pci_fatal;
	f->pacc->warning = pci_quiet;
	f->pacc->debug = pci_quiet;
	f->pacc->method = PCI_ACCESS_DUMP;
	pci_set_param(f->pacc, "dump.name", f->empty);
	pci_init(f->pacc);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	pci_cleanup(f->pacc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

/* A pci_dev reading cfg's bytes; the bytes are copied so later writes do not show. */
struct decoded {
	struct pci_dev *d;
	uint8_t buf[SIM_CFG_SIZE];
};

static struct decoded *decode(struct fixture *f, const struct sim_cfg *cfg)
{
	struct decoded *x = calloc(1, sizeof(*x));

	memcpy(x->buf, sim_cfg_data(cfg), SIM_CFG_SIZE);
	x->d = pci_get_dev(f->pacc, 0, 3, 0, 0);
	pci_setup_cache(x->d, x->buf, SIM_CFG_SIZE);
	pci_fill_info(x->d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CAPS | PCI_FILL_EXT_CAPS);
	return x;
}

static void decoded_free(struct decoded *x)
{
	pci_free_dev(x->d);
	free(x);
}

static unsigned cap_addr(struct decoded *x, unsigned id, unsigned type)
{
	struct pci_cap *c = pci_find_cap(x->d, id, type);

	return c ? c->addr : 0;
}

static struct sim_profile *profile(const char *name)
{
	struct sim_profile *p = NULL;
	char err[512];

	if (sim_profile_load(PROFILES, name, &p, err, sizeof(err)))
		fail_msg("%s", err);
	return p;
}

static struct sim_cfg *pf_cfg(const struct sim_profile *p, unsigned pf, uint64_t dsn)
{
	struct sim_cfg *c = NULL;
	char err[256];

	if (sim_cfg_build_pf(p, pf, dsn, &c, err, sizeof(err)))
		fail_msg("%s", err);
	return c;
}

/* Standard capability chain in list order, 0-terminated, for exact comparisons. */
static void std_chain(const struct sim_cfg *c, unsigned *out, size_t n)
{
	unsigned ptr = sim_cfg_read8(c, PCI_CAPABILITY_LIST), i = 0;

	while (ptr && i < n - 1) {
		out[i++] = ptr;
		ptr = sim_cfg_read8(c, ptr + PCI_CAP_LIST_NEXT);
	}
	out[i] = 0;
}

static void ext_chain(const struct sim_cfg *c, unsigned *out, size_t n)
{
	unsigned off = 0x100, i = 0;

	while (off && i < n - 1 && sim_cfg_read32(c, off)) {
		out[i++] = off;
		off = (sim_cfg_read32(c, off) >> 20) & 0xffc;
	}
	out[i] = 0;
}

/* ---- PFs ------------------------------------------------------------------------------------ */

static void test_pf_82599_decodes(void **state)
{
	struct fixture *f = *state;
	struct sim_profile *p = profile("intel-82599");
	struct sim_cfg *pf0 = pf_cfg(p, 0, 0x001b21ffff2b46e0ull);
	struct sim_cfg *pf1 = pf_cfg(p, 1, 0x001b21ffff2b46e0ull);
	struct decoded *x = decode(f, pf0);
	unsigned chain[16], sriov, exp;
	static const unsigned want_std[] = { SIM_CFG_PF_PM, SIM_CFG_PF_MSIX, SIM_CFG_PF_EXP, 0 };
	static const unsigned want_ext[] = { 0x100, 0x140, 0x150, 0x160, 0 };

	assert_int_equal(x->d->vendor_id, 0x8086);
	assert_int_equal(x->d->device_id, 0x10fb);
	assert_int_equal(x->d->device_class, 0x0200);
	assert_int_equal(pci_read_byte(x->d, PCI_HEADER_TYPE), 0x80); /* multi-function */
	assert_int_equal(pci_read_word(x->d, PCI_SUBSYSTEM_ID), 0x0003);

	/* capability chains, as libpci and as the raw pointers walk them */
	assert_int_equal(cap_addr(x, PCI_CAP_ID_PM, PCI_CAP_NORMAL), 0x40);
	assert_int_equal(cap_addr(x, PCI_CAP_ID_MSIX, PCI_CAP_NORMAL), 0x50);
	exp = cap_addr(x, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
	assert_int_equal(exp, 0x70);
	assert_int_equal(cap_addr(x, PCI_EXT_CAP_ID_AER, PCI_CAP_EXTENDED), 0x100);
	assert_int_equal(cap_addr(x, PCI_EXT_CAP_ID_DSN, PCI_CAP_EXTENDED), 0x140);
	assert_int_equal(cap_addr(x, PCI_EXT_CAP_ID_ARI, PCI_CAP_EXTENDED), 0x150);
	sriov = cap_addr(x, PCI_EXT_CAP_ID_SRIOV, PCI_CAP_EXTENDED);
	assert_int_equal(sriov, 0x160);
	assert_int_equal(cap_addr(x, PCI_EXT_CAP_ID_MRIOV, PCI_CAP_EXTENDED), 0);
	std_chain(pf0, chain, 16);
	assert_memory_equal(chain, want_std, sizeof(want_std));
	ext_chain(pf0, chain, 16);
	assert_memory_equal(chain, want_ext, sizeof(want_ext));
	assert_int_equal(sim_cfg_find_ext_cap(pf0, PCI_EXT_CAP_ID_SRIOV), 0x160);
	assert_int_equal(sim_cfg_find_cap(pf0, PCI_CAP_ID_EXP), 0x70);

	/* PCI Express Endpoint, x8 5 GT/s, FLR */
	assert_int_equal((pci_read_word(x->d, exp + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >> 4,
			 PCI_EXP_TYPE_ENDPOINT);
	assert_int_equal(pci_read_long(x->d, exp + PCI_EXP_LNKCAP) &
				 (PCI_EXP_LNKCAP_SPEED | PCI_EXP_LNKCAP_WIDTH),
			 0x82);
	assert_int_equal(pci_read_word(x->d, exp + PCI_EXP_LNKSTA) &
				 (PCI_EXP_LNKSTA_SPEED | PCI_EXP_LNKSTA_WIDTH),
			 0x82);
	assert_true(pci_read_long(x->d, exp + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLRESET);

	/* SR-IOV capability reads back the profile */
	assert_int_equal(pci_read_word(x->d, sriov + PCI_IOV_TOTALVF), 64);
	assert_int_equal(pci_read_word(x->d, sriov + PCI_IOV_INITIALVF), 64);
	assert_int_equal(pci_read_word(x->d, sriov + PCI_IOV_NUMVF), 0);
	assert_int_equal(pci_read_word(x->d, sriov + PCI_IOV_CTRL), 0);
	assert_int_equal(pci_read_word(x->d, sriov + PCI_IOV_OFFSET), 384);
	assert_int_equal(pci_read_word(x->d, sriov + PCI_IOV_STRIDE), 2);
	assert_int_equal(pci_read_word(x->d, sriov + PCI_IOV_DID), 0x10ed);
	assert_int_equal(pci_read_long(x->d, sriov + PCI_IOV_SUPPS), 0x553);
	assert_int_equal(pci_read_long(x->d, sriov + PCI_IOV_SYSPS), 1);
	assert_int_equal(pci_read_byte(x->d, sriov + PCI_IOV_FDL), 0);
	assert_int_equal(pci_read_long(x->d, sriov + PCI_IOV_BAR_BASE), PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(pci_read_long(x->d, sriov + PCI_IOV_BAR_BASE + 12),
			 PCI_BASE_ADDRESS_MEM_TYPE_64);
	/* DSN: lspci prints 00-1b-21-ff-ff-2b-46-e0 */
	assert_int_equal(pci_read_long(x->d, 0x140 + 4), 0xff2b46e0);
	assert_int_equal(pci_read_long(x->d, 0x140 + 8), 0x001b21ff);
	/* ARI Next Function Number chains pf0 -> pf1 -> 0 */
	assert_int_equal(PCI_ARI_CAP_NFN(pci_read_word(x->d, 0x150 + PCI_ARI_CAP)), 1);
	assert_int_equal(PCI_ARI_CAP_NFN(sim_cfg_read16(pf1, 0x150 + PCI_ARI_CAP)), 0);
	assert_int_equal(sim_cfg_read8(pf1, 0x160 + PCI_IOV_FDL), 1);
	/* BAR type bits */
	assert_int_equal(pci_read_long(x->d, PCI_BASE_ADDRESS_0), PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(pci_read_long(x->d, PCI_BASE_ADDRESS_2), PCI_BASE_ADDRESS_SPACE_IO);
	/* MSI-X: 64 vectors in BAR4, PBA at 4 KiB */
	assert_int_equal(pci_read_word(x->d, 0x50 + PCI_CAP_FLAGS) & PCI_MSIX_TABSIZE, 63);
	assert_int_equal(pci_read_long(x->d, 0x50 + PCI_MSIX_TABLE), 4);
	assert_int_equal(pci_read_long(x->d, 0x50 + PCI_MSIX_PBA), 0x1004);

	decoded_free(x);
	sim_cfg_free(pf0);
	sim_cfg_free(pf1);
	sim_profile_free(p);
}

static void test_single_function_and_mriov(void **state)
{
	struct fixture *f = *state;
	struct sim_profile *raid = profile("lsi-megaraid-3108");
	struct sim_profile *mr = profile("mriov-nic");
	struct sim_cfg *r = pf_cfg(raid, 0, 1), *m0 = pf_cfg(mr, 0, 2), *m3 = pf_cfg(mr, 3, 2);
	struct decoded *x = decode(f, r), *y = decode(f, m0);
	unsigned chain[16];
	static const unsigned want_raid[] = { 0x100, 0x140, 0x150, 0 };
	static const unsigned want_mr[] = { 0x100, 0x140, 0x150, 0x160, 0x1a0, 0 };
	struct sim_cfg *tmp = NULL;
	char err[128];

	assert_int_equal(pci_read_byte(x->d, PCI_HEADER_TYPE), 0);
	assert_int_equal(x->d->device_class, 0x0104);
	assert_int_equal(cap_addr(x, PCI_EXT_CAP_ID_SRIOV, PCI_CAP_EXTENDED), 0);
	assert_int_equal(PCI_ARI_CAP_NFN(pci_read_word(x->d, 0x150 + PCI_ARI_CAP)), 0);
	ext_chain(r, chain, 16);
	assert_memory_equal(chain, want_raid, sizeof(want_raid));

	/* MR-IOV capability on PF0 (the Base Function stand-in), not on the others */
	assert_int_equal(cap_addr(y, PCI_EXT_CAP_ID_MRIOV, PCI_CAP_EXTENDED), SIM_CFG_ECAP_MRIOV);
	assert_int_equal(sim_cfg_read8(m0, SIM_CFG_ECAP_MRIOV + 4), 4);
	ext_chain(m0, chain, 16);
	assert_memory_equal(chain, want_mr, sizeof(want_mr));
	assert_int_equal(sim_cfg_find_ext_cap(m3, PCI_EXT_CAP_ID_MRIOV), 0);
	assert_int_equal(sim_cfg_read16(m3, 0x160 + PCI_IOV_OFFSET), 365);
	/* only PF0 may set ARI Capable Hierarchy (PCIe r5.0 §9.3.3.3.5) */
	sim_cfg_write(m3, 0x160 + PCI_IOV_CTRL, 2, PCI_IOV_CTRL_ARI);
	assert_int_equal(sim_cfg_read16(m3, 0x160 + PCI_IOV_CTRL), 0);
	assert_int_equal(sim_cfg_build_pf(raid, 1, 0, &tmp, err, sizeof(err)), -EINVAL);
	assert_null(tmp);

	decoded_free(x);
	decoded_free(y);
	sim_cfg_free(r);
	sim_cfg_free(m0);
	sim_cfg_free(m3);
	sim_profile_free(raid);
	sim_profile_free(mr);
}

/* ---- SR-IOV --------------------------------------------------------------------------------- */

static void test_vf_routing_ids_82599(void **state)
{
	struct sim_profile *p = profile("intel-82599");
	struct sim_cfg *pf0 = pf_cfg(p, 0, 0), *pf1 = pf_cfg(p, 1, 0);
	struct sim_sriov_state st;
	const uint16_t rid0 = 0x0300, rid1 = 0x0301; /* PFs at 03:00.0 and 03:00.1 */

	(void)state;
	/* ARI Capable Hierarchy clear: offset 384, the VFs start on the next bus */
	assert_int_equal(sim_cfg_sriov_state(pf0, &st), 0);
	assert_int_equal(st.offset, 384);
	assert_int_equal(sim_sriov_vf_rid(rid0, st.offset, st.stride, 0), 0x0480); /* 04:10.0 */
	assert_int_equal(sim_sriov_vf_rid(rid0, st.offset, st.stride, 1), 0x0482); /* 04:10.2 */
	assert_int_equal(sim_sriov_vf_rid(rid0, st.offset, st.stride, 63), 0x04fe); /* 04:1f.6 */
	assert_int_equal(sim_sriov_vf_rid(rid1, st.offset, st.stride, 0), 0x0481); /* 04:10.1 */
	assert_int_equal(sim_sriov_vf_rid(rid1, st.offset, st.stride, 63), 0x04ff);

	/* set ARI Capable Hierarchy in PF0: offset 128, the VFs share the PFs' bus */
	assert_int_equal(sim_cfg_write(pf0, 0x160 + PCI_IOV_CTRL, 2, PCI_IOV_CTRL_ARI),
			 SIM_CFG_EFF_ARI_HIER);
	assert_int_equal(sim_cfg_sriov_state(pf0, &st), 0);
	assert_true(st.ari_hierarchy);
	assert_int_equal(st.offset, 128);
	assert_int_equal(st.stride, 2);
	assert_int_equal(sim_sriov_vf_rid(rid0, st.offset, st.stride, 0), 0x0380); /* 03:10.0 */
	assert_int_equal(sim_sriov_vf_rid(rid0, st.offset, st.stride, 63), 0x03fe);
	assert_int_equal(sim_sriov_vf_rid(rid1, st.offset, st.stride, 63), 0x03ff);
	/* and back */
	assert_int_equal(sim_cfg_write(pf0, 0x160 + PCI_IOV_CTRL, 2, 0), SIM_CFG_EFF_ARI_HIER);
	assert_int_equal(sim_cfg_read16(pf0, 0x160 + PCI_IOV_OFFSET), 384);
	/* wrap-around mod 2^16 */
	assert_int_equal(sim_sriov_vf_rid(0xff00, 384, 2, 0), 0x0080);

	sim_cfg_free(pf0);
	sim_cfg_free(pf1);
	sim_profile_free(p);
}

static void test_numvfs_rules(void **state)
{
	struct sim_profile *p = profile("intel-82599");
	struct sim_cfg *pf = pf_cfg(p, 0, 0);
	const unsigned s = SIM_CFG_ECAP_SRIOV;

	(void)state;
	assert_int_equal(sim_cfg_write(pf, s + PCI_IOV_NUMVF, 2, 8), SIM_CFG_EFF_NUMVFS);
	assert_int_equal(sim_cfg_read16(pf, s + PCI_IOV_NUMVF), 8);
	assert_int_equal(sim_cfg_write(pf, s + PCI_IOV_NUMVF, 2, 65), SIM_CFG_EFF_REFUSED);
	assert_int_equal(sim_cfg_read16(pf, s + PCI_IOV_NUMVF), 8);
	assert_int_equal(sim_cfg_write(pf, s + PCI_IOV_CTRL, 2, PCI_IOV_CTRL_VFE | PCI_IOV_CTRL_MSE),
			 SIM_CFG_EFF_VF_ENABLE | SIM_CFG_EFF_VF_MSE);
	/* VF Enable set: NumVFs and ARI Capable Hierarchy are frozen */
	assert_int_equal(sim_cfg_write(pf, s + PCI_IOV_NUMVF, 2, 16), SIM_CFG_EFF_REFUSED);
	assert_int_equal(sim_cfg_read16(pf, s + PCI_IOV_NUMVF), 8);
	assert_int_equal(sim_cfg_write(pf, s + PCI_IOV_CTRL, 2,
				       PCI_IOV_CTRL_VFE | PCI_IOV_CTRL_MSE | PCI_IOV_CTRL_ARI),
			 SIM_CFG_EFF_REFUSED);
	assert_int_equal(sim_cfg_read16(pf, s + PCI_IOV_CTRL), PCI_IOV_CTRL_VFE | PCI_IOV_CTRL_MSE);
	assert_int_equal(sim_cfg_read16(pf, s + PCI_IOV_OFFSET), 384);
	/* a 32-bit write over Control+Status with NumVFs in the next dword: still frozen */
	sim_cfg_write(pf, s + PCI_IOV_INITIALVF, 4, 0xffffffffu);
	assert_int_equal(sim_cfg_read16(pf, s + PCI_IOV_TOTALVF), 64);
	sim_cfg_write(pf, s + PCI_IOV_NUMVF, 4, 0xffff0004u);
	assert_int_equal(sim_cfg_read16(pf, s + PCI_IOV_NUMVF), 8);
	assert_int_equal(sim_cfg_read8(pf, s + PCI_IOV_FDL), 0);
	/* clear VF Enable: writable again */
	assert_int_equal(sim_cfg_write(pf, s + PCI_IOV_CTRL, 2, 0),
			 SIM_CFG_EFF_VF_ENABLE | SIM_CFG_EFF_VF_MSE);
	assert_int_equal(sim_cfg_write(pf, s + PCI_IOV_NUMVF, 2, 64), SIM_CFG_EFF_NUMVFS);
	assert_int_equal(sim_cfg_read16(pf, s + PCI_IOV_NUMVF), 64);

	/* System Page Size: exactly one supported bit; VF BARs align to it (§9.3.3.14) */
	assert_int_equal(sim_cfg_write(pf, s + PCI_IOV_SYSPS, 4, 3), SIM_CFG_EFF_REFUSED);
	assert_int_equal(sim_cfg_read32(pf, s + PCI_IOV_SYSPS), 1);
	sim_cfg_write(pf, s + PCI_IOV_BAR_BASE, 4, 0xffffffffu);
	assert_int_equal(sim_cfg_read32(pf, s + PCI_IOV_BAR_BASE), 0xffffc004u); /* 16 KiB */
	assert_int_equal(sim_cfg_write(pf, s + PCI_IOV_SYSPS, 4, 0x10), 0); /* 64 KiB pages */
	sim_cfg_write(pf, s + PCI_IOV_BAR_BASE, 4, 0xffffffffu);
	assert_int_equal(sim_cfg_read32(pf, s + PCI_IOV_BAR_BASE), 0xffff0004u);
	assert_int_equal(sim_cfg_write(pf, s + PCI_IOV_SYSPS, 4, 0x4), SIM_CFG_EFF_REFUSED);

	sim_cfg_free(pf);
	sim_profile_free(p);
}

static void test_read_only_and_rw1c(void **state)
{
	struct sim_profile *p = profile("intel-82599");
	struct sim_cfg *pf = pf_cfg(p, 0, 0x1122334455667788ull);
	struct sim_cfg *before = sim_cfg_dup(pf);
	static const unsigned ro[] = { PCI_VENDOR_ID, PCI_CLASS_REVISION, PCI_SUBSYSTEM_VENDOR_ID,
				       PCI_CAPABILITY_LIST, 0x100, 0x140, 0x144, 0x148, 0x150,
				       0x154, 0x160, 0x16c, 0x174, 0x178, 0x17c, 0x70, 0x74, 0x7c };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ro) / sizeof(ro[0]); i++) {
		assert_true(sim_cfg_write(pf, ro[i], 4, 0xffffffffu) >= 0);
		assert_int_equal(sim_cfg_read32(pf, ro[i]), sim_cfg_read32(before, ro[i]));
		assert_true(sim_cfg_write(pf, ro[i], 4, 0) >= 0);
		assert_int_equal(sim_cfg_read32(pf, ro[i]), sim_cfg_read32(before, ro[i]));
	}
	/* Command: only the implemented enables stick */
	sim_cfg_write(pf, PCI_COMMAND, 2, 0xffff);
	assert_int_equal(sim_cfg_read16(pf, PCI_COMMAND),
			 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
				 PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_DISABLE_INTx);
	/* Status: RW1C error bits; CAP_LIST read-only */
	sim_cfg_set16(pf, PCI_STATUS, PCI_STATUS_CAP_LIST | PCI_STATUS_REC_MASTER_ABORT |
					      PCI_STATUS_SIG_SYSTEM_ERROR);
	sim_cfg_write(pf, PCI_STATUS, 2, 0);
	assert_int_equal(sim_cfg_read16(pf, PCI_STATUS), PCI_STATUS_CAP_LIST |
								 PCI_STATUS_REC_MASTER_ABORT |
								 PCI_STATUS_SIG_SYSTEM_ERROR);
	sim_cfg_write(pf, PCI_STATUS, 2, PCI_STATUS_REC_MASTER_ABORT);
	assert_int_equal(sim_cfg_read16(pf, PCI_STATUS),
			 PCI_STATUS_CAP_LIST | PCI_STATUS_SIG_SYSTEM_ERROR);
	/* AER Uncorrectable Error Status is RW1C too */
	sim_cfg_set32(pf, 0x100 + PCI_ERR_UNCOR_STATUS, PCI_ERR_UNC_UNSUP | PCI_ERR_UNC_COMP_TIME);
	sim_cfg_write(pf, 0x100 + PCI_ERR_UNCOR_STATUS, 4, PCI_ERR_UNC_UNSUP);
	assert_int_equal(sim_cfg_read32(pf, 0x100 + PCI_ERR_UNCOR_STATUS), PCI_ERR_UNC_COMP_TIME);
	/* BAR sizing probes: 512 KiB 64-bit, 32-byte I/O, 512 KiB ROM */
	sim_cfg_write(pf, PCI_BASE_ADDRESS_0, 4, 0xffffffffu);
	sim_cfg_write(pf, PCI_BASE_ADDRESS_1, 4, 0xffffffffu);
	assert_int_equal(sim_cfg_read32(pf, PCI_BASE_ADDRESS_0), 0xfff80004u);
	assert_int_equal(sim_cfg_read32(pf, PCI_BASE_ADDRESS_1), 0xffffffffu);
	sim_cfg_write(pf, PCI_BASE_ADDRESS_2, 4, 0xffffffffu);
	assert_int_equal(sim_cfg_read32(pf, PCI_BASE_ADDRESS_2), 0xffffffe1u);
	sim_cfg_write(pf, PCI_BASE_ADDRESS_3, 4, 0xffffffffu);
	assert_int_equal(sim_cfg_read32(pf, PCI_BASE_ADDRESS_3), 0); /* unimplemented */
	sim_cfg_write(pf, PCI_ROM_ADDRESS, 4, 0xffffffffu);
	assert_int_equal(sim_cfg_read32(pf, PCI_ROM_ADDRESS), 0xfff80001u);
	/* Initiate FLR is an action that reads back 0 */
	assert_int_equal(sim_cfg_write(pf, 0x70 + PCI_EXP_DEVCTL, 2,
				       sim_cfg_read16(pf, 0x70 + PCI_EXP_DEVCTL) |
					       PCI_EXP_DEVCTL_FLRESET),
			 SIM_CFG_EFF_FLR);
	assert_int_equal(sim_cfg_read16(pf, 0x70 + PCI_EXP_DEVCTL) & PCI_EXP_DEVCTL_FLRESET, 0);
	/* MSI-X enable is writable, the table size is not */
	sim_cfg_write(pf, 0x50 + PCI_CAP_FLAGS, 2, 0xffff);
	assert_int_equal(sim_cfg_read16(pf, 0x50 + PCI_CAP_FLAGS),
			 PCI_MSIX_ENABLE | PCI_MSIX_MASK | 63);
	/* bad accesses */
	assert_int_equal(sim_cfg_write(pf, 1, 2, 0), -EINVAL);
	assert_int_equal(sim_cfg_write(pf, 4094, 4, 0), -EINVAL);
	assert_int_equal(sim_cfg_write(pf, 4, 3, 0), -EINVAL);
	assert_int_equal(sim_cfg_read32(pf, 4094), 0xffffffffu);

	sim_cfg_free(before);
	sim_cfg_free(pf);
	sim_profile_free(p);
}

/* ---- VFs ------------------------------------------------------------------------------------ */

static void test_vf_and_host_view(void **state)
{
	struct fixture *f = *state;
	struct sim_profile *p = profile("intel-82599");
	struct sim_cfg *pf = pf_cfg(p, 1, 0), *vf = NULL, *hv = NULL;
	struct decoded *x, *y;
	char err[256];
	static const unsigned want_std[] = { SIM_CFG_VF_MSIX, SIM_CFG_VF_EXP, 0 };
	static const unsigned want_ext[] = { 0x100, 0x150, 0 };
	unsigned chain[8];

	assert_int_equal(sim_cfg_build_vf(p, 1, &vf, err, sizeof(err)), 0);
	x = decode(f, vf);
	/* spec-true: Vendor/Device read 0xffff; class and subsystem as the PF */
	assert_int_equal(x->d->vendor_id, 0xffff);
	assert_int_equal(x->d->device_id, 0xffff);
	assert_int_equal(x->d->device_class, 0x0200);
	assert_int_equal(pci_read_word(x->d, PCI_SUBSYSTEM_VENDOR_ID), 0x8086);
	assert_int_equal(pci_read_word(x->d, PCI_SUBSYSTEM_ID), 0x0003);
	assert_int_equal(cap_addr(x, PCI_CAP_ID_MSIX, PCI_CAP_NORMAL), SIM_CFG_VF_MSIX);
	assert_int_equal(cap_addr(x, PCI_CAP_ID_EXP, PCI_CAP_NORMAL), SIM_CFG_VF_EXP);
	assert_int_equal(cap_addr(x, PCI_EXT_CAP_ID_ARI, PCI_CAP_EXTENDED), 0x150);
	assert_int_equal(cap_addr(x, PCI_EXT_CAP_ID_AER, PCI_CAP_EXTENDED), 0x100);
	assert_int_equal(cap_addr(x, PCI_EXT_CAP_ID_SRIOV, PCI_CAP_EXTENDED), 0);
	assert_int_equal(cap_addr(x, PCI_CAP_ID_PM, PCI_CAP_NORMAL), 0);
	std_chain(vf, chain, 8);
	assert_memory_equal(chain, want_std, sizeof(want_std));
	ext_chain(vf, chain, 8);
	assert_memory_equal(chain, want_ext, sizeof(want_ext));
	assert_int_equal(pci_read_word(x->d, SIM_CFG_VF_MSIX + PCI_CAP_FLAGS) & PCI_MSIX_TABSIZE, 2);
	assert_int_equal(pci_read_byte(x->d, PCI_INTERRUPT_PIN), 0); /* no INTx */
	/* VF BARs are RO zero; Memory Space Enable is RsvdP */
	sim_cfg_write(vf, PCI_BASE_ADDRESS_0, 4, 0xffffffffu);
	assert_int_equal(sim_cfg_read32(vf, PCI_BASE_ADDRESS_0), 0);
	sim_cfg_write(vf, PCI_COMMAND, 2, 0xffff);
	assert_int_equal(sim_cfg_read16(vf, PCI_COMMAND) & PCI_COMMAND_MEMORY, 0);
	sim_cfg_write(vf, PCI_COMMAND, 2, 0);

	/* host view: PF vendor, VF Device ID, PF subsystem, own sizable BARs */
	assert_int_equal(sim_cfg_build_vf_host_view(pf, vf, &hv, err, sizeof(err)), 0);
	y = decode(f, hv);
	assert_int_equal(y->d->vendor_id, 0x8086);
	assert_int_equal(y->d->device_id, 0x10ed);
	assert_int_equal(pci_read_word(y->d, PCI_SUBSYSTEM_ID), 0x0003);
	assert_int_equal(pci_read_byte(y->d, PCI_HEADER_TYPE), 0);
	assert_int_equal(sim_cfg_kind(hv), SIM_CFG_VF_HOST);
	assert_int_equal(pci_read_long(y->d, PCI_BASE_ADDRESS_0), PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(pci_read_long(y->d, PCI_BASE_ADDRESS_3), PCI_BASE_ADDRESS_MEM_TYPE_64);
	sim_cfg_write(hv, PCI_BASE_ADDRESS_0, 4, 0xffffffffu);
	assert_int_equal(sim_cfg_read32(hv, PCI_BASE_ADDRESS_0), 0xffffc004u);
	sim_cfg_write(hv, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	assert_int_equal(sim_cfg_read16(hv, PCI_COMMAND), PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	/* the chassis-side VF stays spec-true */
	assert_int_equal(sim_cfg_read16(vf, PCI_VENDOR_ID), 0xffff);
	/* no VF for a PF without SR-IOV */
	{
		struct sim_profile *raid = profile("lsi-megaraid-3108");
		struct sim_cfg *none = NULL;

		assert_int_equal(sim_cfg_build_vf(raid, 0, &none, err, sizeof(err)), -EINVAL);
		assert_null(none);
		sim_profile_free(raid);
	}
	decoded_free(x);
	decoded_free(y);
	sim_cfg_free(hv);
	sim_cfg_free(vf);
	sim_cfg_free(pf);
	sim_profile_free(p);
}

/* ---- config_dump PF ------------------------------------------------------------------------- */

static void test_pf_from_dump(void **state)
{
	struct fixture *f = *state;
	struct sim_profile *p = profile("intel-82576-dump");
	struct sim_cfg *pf0 = pf_cfg(p, 0, 0x0102030405060708ull), *pf1 = pf_cfg(p, 1, 0);
	struct decoded *x = decode(f, pf0);
	struct sim_sriov_state st;

	assert_int_equal(x->d->vendor_id, 0x8086);
	assert_int_equal(x->d->device_id, 0x10c9);
	assert_int_equal(pci_read_word(x->d, PCI_COMMAND), 0); /* was 0x0407 in the capture */
	assert_int_equal(pci_read_byte(x->d, PCI_HEADER_TYPE), 0x80);
	assert_int_equal(cap_addr(x, PCI_CAP_ID_MSI, PCI_CAP_NORMAL), 0x50);
	assert_int_equal(cap_addr(x, PCI_EXT_CAP_ID_SRIOV, PCI_CAP_EXTENDED), 0x160);
	/* SR-IOV reset: the capture had VF Enable set and NumVFs 1 */
	assert_int_equal(sim_cfg_sriov_state(pf0, &st), 0);
	assert_false(st.vf_enable);
	assert_int_equal(st.num_vfs, 0);
	assert_int_equal(st.total_vfs, 8);
	assert_int_equal(st.offset, 384);
	assert_int_equal(st.vf_device, 0x10ca);
	/* MSI-X was enabled in the capture */
	assert_int_equal(pci_read_word(x->d, 0x70 + PCI_CAP_FLAGS) & PCI_MSIX_ENABLE, 0);
	/* DSN is the chassis card's, ARI chains the two PFs */
	assert_int_equal(pci_read_long(x->d, 0x140 + 4), 0x05060708);
	assert_int_equal(pci_read_long(x->d, 0x140 + 8), 0x01020304);
	assert_int_equal(PCI_ARI_CAP_NFN(sim_cfg_read16(pf0, 0x150 + PCI_ARI_CAP)), 1);
	assert_int_equal(PCI_ARI_CAP_NFN(sim_cfg_read16(pf1, 0x150 + PCI_ARI_CAP)), 0);
	assert_int_equal(sim_cfg_read8(pf1, 0x160 + PCI_IOV_FDL), 1);
	/* masks derived from the layout: BAR0 128 KiB, I/O BAR2 32 B, VF BAR0 16 KiB */
	sim_cfg_write(pf0, PCI_BASE_ADDRESS_0, 4, 0xffffffffu);
	assert_int_equal(sim_cfg_read32(pf0, PCI_BASE_ADDRESS_0), 0xfffe0000u);
	sim_cfg_write(pf0, PCI_BASE_ADDRESS_2, 4, 0xffffffffu);
	assert_int_equal(sim_cfg_read32(pf0, PCI_BASE_ADDRESS_2), 0xffffffe1u);
	sim_cfg_write(pf0, 0x160 + PCI_IOV_BAR_BASE, 4, 0xffffffffu);
	assert_int_equal(sim_cfg_read32(pf0, 0x160 + PCI_IOV_BAR_BASE), 0xffffc004u);
	/* ROM: no size given, captured value read-only */
	sim_cfg_write(pf0, PCI_ROM_ADDRESS, 4, 0);
	assert_int_equal(sim_cfg_read32(pf0, PCI_ROM_ADDRESS), 0xc7800000u);
	/* ARI Capable Hierarchy selects the profile's ARI offset */
	sim_cfg_write(pf0, 0x160 + PCI_IOV_CTRL, 2, PCI_IOV_CTRL_ARI);
	assert_int_equal(sim_cfg_read16(pf0, 0x160 + PCI_IOV_OFFSET), 128);
	/* NumVFs frozen while VF Enable is set, as for built PFs */
	sim_cfg_write(pf0, 0x160 + PCI_IOV_NUMVF, 2, 4);
	sim_cfg_write(pf0, 0x160 + PCI_IOV_CTRL, 2, PCI_IOV_CTRL_ARI | PCI_IOV_CTRL_VFE);
	assert_int_equal(sim_cfg_write(pf0, 0x160 + PCI_IOV_NUMVF, 2, 2), SIM_CFG_EFF_REFUSED);
	assert_int_equal(sim_cfg_read16(pf0, 0x160 + PCI_IOV_NUMVF), 4);
	/* PCIe DevSta error bits are RW1C */
	sim_cfg_set16(pf0, 0xa0 + PCI_EXP_DEVSTA, PCI_EXP_DEVSTA_CED);
	sim_cfg_write(pf0, 0xa0 + PCI_EXP_DEVSTA, 2, PCI_EXP_DEVSTA_CED);
	assert_int_equal(sim_cfg_read16(pf0, 0xa0 + PCI_EXP_DEVSTA), 0);

	decoded_free(x);
	sim_cfg_free(pf0);
	sim_cfg_free(pf1);
	sim_profile_free(p);
}

/* A dump profile written into the fixture's directory: config_dump is an absolute path. */
static struct sim_profile *dump_profile(struct fixture *f, const char *name, const char *body)
{
	struct sim_profile *p = NULL;
	char path[160], err[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.yaml", f->dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(body, fp);
	fclose(fp);
	if (sim_profile_load(f->dir, name, &p, err, sizeof(err)))
		fail_msg("%s", err);
	return p;
}

#define CARDS FABRIC_SOURCE_DIR "/tests/data/cards/"

/* Read-only bits of imported capabilities survive: ARI Capability's ACS Function Groups
 * Capability (a real PM174X NVMe), Device Status AuxPwr Detected (a real 82576). */
static void test_dump_read_only_bits_kept(void **state)
{
	struct fixture *f = *state;
	struct sim_profile *nvme = dump_profile(f, "nvme", "description: t\nsharing: sr-iov\n"
					       "config_dump: " CARDS "nvme-samsung-pm174x-sriov.lspci\n");
	struct sim_profile *nic = profile("intel-82576-dump");
	struct sim_cfg *c = pf_cfg(nvme, 0, 1), *n0 = pf_cfg(nic, 0, 1);
	unsigned ari = sim_cfg_find_ext_cap(c, PCI_EXT_CAP_ID_ARI);
	unsigned e = sim_cfg_find_cap(n0, PCI_CAP_ID_EXP);

	assert_int_equal(ari, 0x168);
	assert_int_equal(sim_cfg_read16(c, ari + PCI_ARI_CAP), PCI_ARI_CAP_ACS);
	/* captured DevSta 0x19: CED and URD (RW1C) clear, AuxPwr (RO) stays */
	assert_int_equal(sim_cfg_read16(n0, e + PCI_EXP_DEVSTA), PCI_EXP_DEVSTA_AUXPD);
	sim_cfg_write(n0, e + PCI_EXP_DEVSTA, 2, 0xffff);
	assert_int_equal(sim_cfg_read16(n0, e + PCI_EXP_DEVSTA), PCI_EXP_DEVSTA_AUXPD);
	sim_cfg_free(c);
	sim_cfg_free(n0);
	sim_profile_free(nvme);
	sim_profile_free(nic);
}

/* ---- bridges ---------------------------------------------------------------------------------- */

static void test_downstream_port_slot(void **state)
{
	struct fixture *f = *state;
	struct sim_port_params pp = { .port_number = 3, .width = 8, .speed = FMP_SPEED_8GT,
				      .slot = 5 };
	struct sim_cfg *dsp = NULL;
	struct decoded *x;
	char err[128];
	unsigned e;
	uint32_t sltcap;

	assert_int_equal(sim_cfg_build_dsp(&pp, &dsp, err, sizeof(err)), 0);
	x = decode(f, dsp);
	assert_int_equal(x->d->vendor_id, SIM_SWITCH_VENDOR);
	assert_int_equal(x->d->device_id, SIM_SWITCH_DEVICE);
	assert_int_equal(x->d->device_class, PCI_CLASS_BRIDGE_PCI);
	assert_int_equal(pci_read_byte(x->d, PCI_HEADER_TYPE), PCI_HEADER_TYPE_BRIDGE);
	e = cap_addr(x, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
	assert_int_equal(e, SIM_CFG_BR_EXP);
	assert_int_equal(cap_addr(x, PCI_CAP_ID_SSVID, PCI_CAP_NORMAL), SIM_CFG_BR_SSVID);
	assert_int_equal(cap_addr(x, PCI_EXT_CAP_ID_ACS, PCI_CAP_EXTENDED), SIM_CFG_BR_ECAP_ACS);
	assert_int_equal(pci_read_word(x->d, e + PCI_EXP_FLAGS),
			 2 | PCI_EXP_TYPE_DOWNSTREAM << 4 | PCI_EXP_FLAGS_SLOT);
	sltcap = pci_read_long(x->d, e + PCI_EXP_SLTCAP);
	assert_int_equal(sltcap & 0x7f, PCI_EXP_SLTCAP_ATNB | PCI_EXP_SLTCAP_PWRC |
						PCI_EXP_SLTCAP_ATNI | PCI_EXP_SLTCAP_PWRI |
						PCI_EXP_SLTCAP_HPS | PCI_EXP_SLTCAP_HPC);
	assert_int_equal((sltcap & PCI_EXP_SLTCAP_PSN) >> 19, 5);
	assert_int_equal(sltcap & PCI_EXP_SLTCAP_NOCMDCOMP, 0);
	assert_true(pci_read_long(x->d, e + PCI_EXP_LNKCAP) & PCI_EXP_LNKCAP_DLLA);
	assert_int_equal(pci_read_long(x->d, e + PCI_EXP_LNKCAP) >> 24, 3);
	assert_true(pci_read_long(x->d, e + PCI_EXP_DEVCAP2) & PCI_EXP_DEVCAP2_ARI);
	assert_int_equal(sim_cfg_slot_status(dsp), 0);
	assert_int_equal(sim_cfg_slot_flags(dsp), FMP_SLOT_F_POWER_ON);

	/* hot-add: presence and DLL active, each with its changed bit */
	sim_cfg_slot_set_presence(dsp, true);
	sim_cfg_link_set(dsp, true, 8, FMP_SPEED_8GT);
	assert_int_equal(sim_cfg_slot_status(dsp), PCI_EXP_SLTSTA_PRES | PCI_EXP_SLTSTA_PRSD |
							   PCI_EXP_SLTSTA_LLCHG);
	assert_int_equal(sim_cfg_read16(dsp, e + PCI_EXP_LNKSTA),
			 PCI_EXP_LNKSTA_DL_ACT | 8 << 4 | FMP_SPEED_8GT);
	assert_int_equal(sim_cfg_slot_flags(dsp),
			 FMP_SLOT_F_PRESENT | FMP_SLOT_F_POWER_ON | FMP_SLOT_F_DLL_ACTIVE);
	/* no interrupt until the host enables it, then one is pending */
	assert_false(sim_cfg_slot_irq_pending(dsp));
	assert_int_equal(sim_cfg_write(dsp, e + PCI_EXP_SLTCTL, 2,
				       PCI_EXP_SLTCTL_HPIE | PCI_EXP_SLTCTL_PRSD |
					       SIM_SLTCTL_ATTN_OFF | SIM_SLTCTL_PWR_IND_OFF),
			 SIM_CFG_EFF_SLOT_CTL);
	assert_true(sim_cfg_slot_status(dsp) & PCI_EXP_SLTSTA_CMDC); /* command completed */
	assert_true(sim_cfg_slot_irq_pending(dsp));
	/* RW1C: the host clears PDC/DLLSC/CC; Presence Detect State is read-only */
	sim_cfg_write(dsp, e + PCI_EXP_SLTSTA, 2, 0xffff);
	assert_int_equal(sim_cfg_slot_status(dsp), PCI_EXP_SLTSTA_PRES);
	assert_false(sim_cfg_slot_irq_pending(dsp));
	/* setting the same state again raises nothing */
	sim_cfg_slot_set_presence(dsp, true);
	sim_cfg_link_set(dsp, true, 8, FMP_SPEED_8GT);
	assert_int_equal(sim_cfg_slot_status(dsp), PCI_EXP_SLTSTA_PRES);
	/* attention button, power fault, indicator blink */
	sim_cfg_slot_press_button(dsp);
	sim_cfg_slot_power_fault(dsp);
	assert_int_equal(sim_cfg_slot_status(dsp), PCI_EXP_SLTSTA_PRES | PCI_EXP_SLTSTA_ATNB |
							   PCI_EXP_SLTSTA_PWRF);
	sim_cfg_write(dsp, e + PCI_EXP_SLTCTL, 2,
		      SIM_SLTCTL_ATTN_BLINK | PCI_EXP_SLTCTL_PWRC | SIM_SLTCTL_PWR_IND_OFF);
	assert_int_equal(sim_cfg_slot_flags(dsp),
			 FMP_SLOT_F_PRESENT | FMP_SLOT_F_DLL_ACTIVE | FMP_SLOT_F_POWER_FAULT |
				 FMP_SLOT_F_ATTN_BLINK);
	/* surprise removal */
	sim_cfg_write(dsp, e + PCI_EXP_SLTSTA, 2, 0xffff);
	sim_cfg_slot_set_presence(dsp, false);
	sim_cfg_link_set(dsp, false, 0, 0);
	assert_int_equal(sim_cfg_slot_status(dsp), PCI_EXP_SLTSTA_PRSD | PCI_EXP_SLTSTA_LLCHG);
	/* Link Control: Link Disable writable on a downstream port, Retrain reads 0 */
	assert_int_equal(sim_cfg_write(dsp, e + PCI_EXP_LNKCTL, 2, PCI_EXP_LNKCTL_RETRAIN),
			 SIM_CFG_EFF_LINK_CTL);
	assert_int_equal(sim_cfg_read16(dsp, e + PCI_EXP_LNKCTL), 0);
	assert_int_equal(sim_cfg_write(dsp, e + PCI_EXP_LNKCTL, 2, PCI_EXP_LNKCTL_DISABLE),
			 SIM_CFG_EFF_LINK_CTL);
	/* ARI Forwarding Enable */
	sim_cfg_write(dsp, e + PCI_EXP_DEVCTL2, 2, PCI_EXP_DEVCTL2_ARI);
	assert_int_equal(sim_cfg_read16(dsp, e + PCI_EXP_DEVCTL2), PCI_EXP_DEVCTL2_ARI);

	/* bus numbers and windows */
	sim_cfg_bridge_set_buses(dsp, 2, 3, 4);
	assert_int_equal(sim_cfg_read32(dsp, PCI_PRIMARY_BUS) & 0xffffff, 0x040302);
	assert_int_equal(sim_cfg_write(dsp, PCI_PRIMARY_BUS, 4, 0x00050302),
			 SIM_CFG_EFF_BUS_NUMBERS);
	assert_int_equal(sim_cfg_read8(dsp, PCI_SUBORDINATE_BUS), 5);
	sim_cfg_bridge_set_mem_window(dsp, 0xe0000000u, 0xe01fffffu);
	assert_int_equal(sim_cfg_read16(dsp, PCI_MEMORY_BASE), 0xe000);
	assert_int_equal(sim_cfg_read16(dsp, PCI_MEMORY_LIMIT), 0xe010);
	sim_cfg_bridge_set_pref_window(dsp, 0x2000000000ull, 0x20001fffffull);
	assert_int_equal(sim_cfg_read16(dsp, PCI_PREF_MEMORY_BASE), 0x0001);
	assert_int_equal(sim_cfg_read32(dsp, PCI_PREF_BASE_UPPER32), 0x20);
	assert_int_equal(sim_cfg_read16(dsp, PCI_PREF_MEMORY_LIMIT), 0x0011);
	assert_int_equal(sim_cfg_write(dsp, PCI_BRIDGE_CONTROL, 2, PCI_BRIDGE_CTL_BUS_RESET),
			 SIM_CFG_EFF_SBR);
	/* the window type nibbles are read-only */
	sim_cfg_write(dsp, PCI_PREF_MEMORY_BASE, 2, 0);
	assert_int_equal(sim_cfg_read16(dsp, PCI_PREF_MEMORY_BASE), PCI_PREF_RANGE_TYPE_64);

	pp.slot = 9000;
	sim_cfg_free(dsp);
	assert_int_equal(sim_cfg_build_dsp(&pp, &dsp, err, sizeof(err)), -EINVAL);
	assert_null(dsp);
	decoded_free(x);
}

static void test_upstream_port(void **state)
{
	struct fixture *f = *state;
	struct sim_port_params pp = { .port_number = 0, .width = 16, .speed = FMP_SPEED_16GT,
				      .dsn = 0x0010b5ffff874901ull };
	struct sim_cfg *usp = NULL;
	struct decoded *x;
	char err[128];
	unsigned e, dsn;

	assert_int_equal(sim_cfg_build_usp(&pp, &usp, err, sizeof(err)), 0);
	x = decode(f, usp);
	e = cap_addr(x, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
	assert_int_equal((pci_read_word(x->d, e + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >> 4,
			 PCI_EXP_TYPE_UPSTREAM);
	assert_int_equal(pci_read_word(x->d, e + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_SLOT, 0);
	dsn = cap_addr(x, PCI_EXT_CAP_ID_DSN, PCI_CAP_EXTENDED);
	assert_int_equal(dsn, SIM_CFG_BR_ECAP_DSN);
	assert_int_equal(pci_read_long(x->d, dsn + 8), 0x0010b5ff);
	assert_int_equal(pci_read_long(x->d, e + PCI_EXP_LNKCAP) &
				 (PCI_EXP_LNKCAP_SPEED | PCI_EXP_LNKCAP_WIDTH),
			 0x104);
	/* a slot operation on a port without a slot does nothing */
	sim_cfg_slot_set_presence(usp, true);
	assert_int_equal(sim_cfg_slot_status(usp), 0);
	sim_cfg_link_set(usp, true, 16, FMP_SPEED_16GT);
	assert_int_equal(sim_cfg_read16(usp, e + PCI_EXP_LNKSTA), 16 << 4 | FMP_SPEED_16GT);
	pp.speed = 9;
	sim_cfg_free(usp);
	assert_int_equal(sim_cfg_build_usp(&pp, &usp, err, sizeof(err)), -EINVAL);
	decoded_free(x);
}

/* ---- lspci text round trip ----------------------------------------------------------------- */

static void test_lspci_format_round_trip(void **state)
{
	struct fixture *f = *state;
	struct sim_profile *p = profile("intel-82599");
	struct sim_cfg *pf = pf_cfg(p, 0, 0x001b21ffff2b46e0ull);
	struct pci_access *a;
	struct pci_dev *d;
	char path[128], line[300];
	uint8_t back[SIM_CFG_SIZE];
	FILE *fp;
	int lines = 0;

	snprintf(path, sizeof(path), "%s/host.lspci", f->dir);
	fp = fopen(path, "w");
	assert_int_equal(lspci_text_write(fp, -1, 0x03, 0, 0, "Ethernet controller:\nIntel",
					  sim_cfg_data(pf), SIM_CFG_SIZE), 0);
	assert_int_equal(lspci_text_write(fp, 0x10, 0x04, 0x1f, 7, NULL, sim_cfg_data(pf),
					  SIM_CFG_SIZE), 0);
	fclose(fp);

	fp = fopen(path, "r");
	while (fgets(line, sizeof(line), fp)) {
		lines++;
		if (lines == 1)
			assert_string_equal(line, "03:00.0 Ethernet controller: Intel\n");
		if (lines == 2)
			assert_string_equal(line, "00: 86 80 fb 10 00 00 10 00 01 00 00 02 00 00 80 00\n");
		if (lines == 17)
			assert_string_equal(line, "f0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n");
		if (lines == 18)
			assert_int_equal(strncmp(line, "100: 01 00 02 14 ", 17), 0);
		if (lines == 257)
			assert_int_equal(strncmp(line, "ff0: ", 5), 0);
		if (lines == 258)
			assert_string_equal(line, "\n");
		if (lines == 259)
			assert_string_equal(line, "0010:04:1f.7 \n");
	}
	fclose(fp);
	assert_int_equal(lines, 2 * 258);

	/* libpci's dump reader gets every byte back */
	a = pci_alloc();
	a->error = pci_fatal;
	a->warning = pci_quiet;
	a->debug = pci_quiet;
	a->method = PCI_ACCESS_DUMP;
	pci_set_param(a, "dump.name", path);
	pci_init(a);
	pci_scan_bus(a);
	d = pci_get_dev(a, 0, 3, 0, 0);
	assert_int_equal(pci_read_block(d, 0, back, SIM_CFG_SIZE), 1);
	assert_memory_equal(back, sim_cfg_data(pf), SIM_CFG_SIZE);
	pci_free_dev(d);
	d = pci_get_dev(a, 0x10, 4, 0x1f, 7);
	assert_int_equal(pci_read_block(d, 0, back, SIM_CFG_SIZE), 1);
	assert_memory_equal(back, sim_cfg_data(pf), SIM_CFG_SIZE);
	pci_free_dev(d);
	pci_cleanup(a);

	sim_cfg_free(pf);
	sim_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pf_82599_decodes),
		cmocka_unit_test(test_single_function_and_mriov),
		cmocka_unit_test(test_vf_routing_ids_82599),
		cmocka_unit_test(test_numvfs_rules),
		cmocka_unit_test(test_read_only_and_rw1c),
		cmocka_unit_test(test_vf_and_host_view),
		cmocka_unit_test(test_pf_from_dump),
		cmocka_unit_test(test_dump_read_only_bits_kept),
		cmocka_unit_test(test_downstream_port_slot),
		cmocka_unit_test(test_upstream_port),
		cmocka_unit_test(test_lspci_format_round_trip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
