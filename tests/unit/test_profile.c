/* Unit tests for switch-sim/profile: shipped profiles, the lspci-dump profile, errors,
 * and the name and path helpers the chassis loader shares. */
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

#include "dump_gen.h"
#include "profile.h"

#define PROFILES FABRIC_SOURCE_DIR "/configs/profiles"

static struct sim_profile *load_ok(const char *dir, const char *name)
{
	struct sim_profile *p = NULL;
	char err[1024] = "";
	int rc = sim_profile_load(dir, name, &p, err, sizeof(err));

	if (rc)
		fail_msg("%s: rc %d: %s", name, rc, err);
	return p;
}

static void test_all_shipped_profiles_load(void **state)
{
	static const char *const names[] = { "intel-82599", "mellanox-cx5", "emulex-lpe16002",
					     "qlogic-qle2692", "lsi-megaraid-3108",
					     "samsung-pm1733", "mriov-nic", "intel-82576-dump" };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct sim_profile *p = load_ok(PROFILES, names[i]);
		char err[256];

		assert_string_equal(p->name, names[i]);
		assert_non_null(p->description);
		assert_true(p->n_pfs >= 1 && p->n_pfs <= SIM_MAX_PFS);
		assert_int_equal(sim_profile_check_rids(p, err, sizeof(err)), 0);
		sim_profile_free(p);
	}
	sim_profile_free(NULL);
}

static void test_intel_82599(void **state)
{
	struct sim_profile *p = load_ok(PROFILES, "intel-82599");
	const struct sim_sriov_params *s = &p->pf[1].sriov;

	(void)state;
	assert_int_equal(p->sharing, FMP_SHARING_SRIOV);
	assert_int_equal(p->vendor, 0x8086);
	assert_int_equal(p->pf[0].device, 0x10fb);
	assert_int_equal(p->pf[1].device, 0x10fb);
	assert_int_equal(p->subsys_vendor, 0x8086);
	assert_int_equal(p->subsys_device, 0x0003);
	assert_int_equal(p->class_code, 0x020000);
	assert_int_equal(p->revision, 1);
	assert_int_equal(p->n_pfs, 2);
	assert_int_equal(p->link_width, 8);
	assert_int_equal(p->link_speed, FMP_SPEED_5GT);
	assert_int_equal(p->pf[0].bars[0].type, SIM_BAR_MEM64);
	assert_int_equal(p->pf[0].bars[0].size, 512 * 1024);
	assert_int_equal(p->pf[0].bars[2].type, SIM_BAR_IO);
	assert_int_equal(p->pf[0].bars[2].size, 32);
	assert_int_equal(p->pf[0].rom_size, 512 * 1024);
	assert_int_equal(p->pf[0].msix_vectors, 64);
	assert_int_equal(p->pf[0].msix_bar, 4);
	assert_true(p->pf[1].has_sriov);
	assert_int_equal(s->total_vfs, 64);
	assert_int_equal(s->initial_vfs, 64);
	assert_int_equal(s->vf_device, 0x10ed);
	assert_int_equal(s->vf_offset, 384);
	assert_int_equal(s->vf_stride, 2);
	assert_int_equal(s->vf_offset_ari, 128);
	assert_int_equal(s->vf_stride_ari, 2);
	assert_int_equal(s->page_sizes, 0x553);
	assert_int_equal(s->vf_bars[0].size, 16384);
	assert_int_equal(s->vf_bars[3].type, SIM_BAR_MEM64);
	assert_int_equal(s->vf_msix_vectors, 3);
	assert_null(p->pf[0].dump_config);
	assert_null(p->dump_bytes);
	sim_profile_free(p);
}

static void test_per_pf_overrides(void **state)
{
	struct sim_profile *cx5 = load_ok(PROFILES, "mellanox-cx5");
	struct sim_profile *mr = load_ok(PROFILES, "mriov-nic");

	(void)state;
	assert_int_equal(cx5->n_pfs, 2);
	assert_int_equal(cx5->pf[0].sriov.vf_offset, 2);
	assert_int_equal(cx5->pf[1].sriov.vf_offset, 17);
	assert_int_equal(cx5->pf[1].sriov.vf_offset_ari, 17);
	assert_int_equal(cx5->pf[1].sriov.vf_device, 0x1018);
	assert_int_equal(cx5->pf[1].sriov.total_vfs, 16);
	assert_int_equal(cx5->pf[0].sriov.page_sizes, 0x7ff);
	assert_true(cx5->pf[0].bars[0].prefetch);

	assert_int_equal(mr->sharing, FMP_SHARING_MRIOV);
	assert_int_equal(mr->n_pfs, 4);
	assert_int_equal(mr->pf[2].sriov.vf_offset, 334);
	assert_int_equal(mr->pf[2].sriov.vf_offset_ari, 78);
	assert_int_equal(mr->pf[3].sriov.total_vfs, 32);
	assert_non_null(strstr(mr->description, "no such silicon shipped"));
	sim_profile_free(cx5);
	sim_profile_free(mr);
}

static void test_exclusive_cards(void **state)
{
	struct sim_profile *fc = load_ok(PROFILES, "emulex-lpe16002");
	struct sim_profile *raid = load_ok(PROFILES, "lsi-megaraid-3108");
	struct sim_profile *nvme = load_ok(PROFILES, "samsung-pm1733");

	(void)state;
	assert_int_equal(fc->sharing, FMP_SHARING_EXCLUSIVE);
	assert_int_equal(fc->vendor, 0x10df);
	assert_int_equal(fc->pf[0].device, 0xe200);
	assert_int_equal(fc->class_code, 0x0c0400);
	assert_int_equal(fc->n_pfs, 2);
	assert_false(fc->pf[0].has_sriov);
	assert_int_equal(raid->pf[0].device, 0x005d);
	assert_int_equal(raid->class_code, 0x010400);
	assert_false(raid->pf[0].has_sriov);
	assert_int_equal(raid->n_pfs, 1);
	assert_int_equal(nvme->class_code, 0x010802);
	assert_int_equal(nvme->pf[0].sriov.total_vfs, 32);
	assert_int_equal(nvme->pf[0].sriov.vf_offset, 2);
	assert_int_equal(nvme->pf[0].sriov.vf_stride, 1);
	assert_int_equal(nvme->pf[0].sriov.vf_device, 0xa824);
	assert_int_equal(nvme->pf[0].msix_offset, 0x2000);
	assert_int_equal(nvme->link_speed, FMP_SPEED_16GT);
	sim_profile_free(fc);
	sim_profile_free(raid);
	sim_profile_free(nvme);
}

static void test_dump_profile(void **state)
{
	struct sim_profile *p = load_ok(PROFILES, "intel-82576-dump");
	const struct sim_sriov_params *s = &p->pf[0].sriov;

	(void)state;
	assert_non_null(p->pf[0].dump_config);
	assert_int_equal(p->pf[0].dump_len, 4096);
	assert_int_equal(p->dump_fns, 1);
	assert_ptr_equal(p->pf[1].dump_config, p->pf[0].dump_config); /* pfs: 2 clones it */
	assert_non_null(strstr(p->dump_path, "configs/dumps/nic-intel-82576-pf-sriov.lspci"));
	/* identity from the captured header */
	assert_int_equal(p->vendor, 0x8086);
	assert_int_equal(p->pf[0].device, 0x10c9);
	assert_int_equal(p->revision, 0x01);
	assert_int_equal(p->class_code, 0x020000);
	assert_int_equal(p->subsys_vendor, 0x8086);
	assert_int_equal(p->subsys_device, 0xa03c);
	/* LnkCap 0x00036c41: 2.5 GT/s x4 */
	assert_int_equal(p->link_speed, FMP_SPEED_2_5GT);
	assert_int_equal(p->link_width, 4);
	assert_int_equal(p->pf[0].msix_vectors, 10);
	assert_int_equal(p->pf[0].msix_bar, 3);
	assert_int_equal(p->pf[0].bars[0].type, SIM_BAR_MEM32);
	assert_int_equal(p->pf[0].bars[0].size, 128 * 1024);
	assert_int_equal(p->pf[0].bars[2].type, SIM_BAR_IO);
	/* SR-IOV from the captured capability at 0x160 */
	assert_true(p->pf[0].has_sriov);
	assert_int_equal(s->total_vfs, 8);
	assert_int_equal(s->initial_vfs, 8);
	assert_int_equal(s->vf_device, 0x10ca);
	assert_int_equal(s->vf_offset, 384);
	assert_int_equal(s->vf_stride, 2);
	assert_int_equal(s->vf_offset_ari, 128); /* from the profile: the other mode */
	assert_int_equal(s->page_sizes, 0x553);
	assert_int_equal(s->vf_bars[0].type, SIM_BAR_MEM64);
	assert_int_equal(s->vf_bars[0].size, 16384);
	assert_int_equal(s->vf_bars[3].type, SIM_BAR_MEM64);
	assert_int_equal(s->vf_msix_vectors, 3);
	/* both PFs share the dump */
	assert_int_equal(p->n_pfs, 2);
	assert_int_equal(p->pf[1].sriov.total_vfs, 8);
	sim_profile_free(p);
}

/* ---- error cases ------------------------------------------------------------------------ */

struct tmp {
	char dir[64];
	char path[128];
};

static void write_file(struct tmp *t, const char *name, const char *text)
{
	FILE *f;

	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
	f = fopen(t->path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup_tmp(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	strcpy(t->dir, "/tmp/test-profile-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	*state = t;
	return 0;
}

static int teardown_tmp(void **state)
{
	struct tmp *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

/* Loads NAME.yaml with text and expects rc and "DIR/NAME.yaml:" + want_tail exactly. */
static void expect_error(struct tmp *t, const char *name, const char *text, int want_rc,
			 const char *want_tail)
{
	struct sim_profile *p = (struct sim_profile *)0x1;
	char file[64], err[1024], want[1024];
	int rc;

	snprintf(file, sizeof(file), "%s.yaml", name);
	write_file(t, file, text);
	rc = sim_profile_load(t->dir, name, &p, err, sizeof(err));
	assert_null(p);
	if (rc != want_rc)
		fail_msg("%s: rc %d, want %d (%s)", name, rc, want_rc, err);
	snprintf(want, sizeof(want), "%s/%s.yaml:%s", t->dir, name, want_tail);
	assert_string_equal(err, want);
}

#define HEAD                                                                                \
	"description: test\n"                                                               \
	"sharing: sr-iov\n"                                                                 \
	"vendor: 0x8086\n"                                                                  \
	"device: 0x10fb\n"                                                                  \
	"class: 0x020000\n"                                                                 \
	"bars:\n"                                                                           \
	"  - {index: 0, size: 512K, type: mem64}\n"

static void test_errors(void **state)
{
	struct tmp *t = *state;
	struct sim_profile *p = NULL;
	char err[512];

	expect_error(t, "unknown", "description: x\nsharing: exclusive\nvendr: 0x8086\n", -EINVAL,
		     "3:1: unknown key \"vendr\" (allowed: description, sharing, vendor, device, "
		     "subsystem_vendor, subsystem_device, class, revision, link_width, link_speed, "
		     "pfs, bars, rom_size, msix, sriov, config_dump)");
	expect_error(t, "sharing", "description: x\nsharing: shared\n", -EINVAL,
		     "2:10: sharing: expected one of exclusive, sr-iov, mr-iov, got \"shared\"");
	expect_error(t, "nosriov", HEAD, -EINVAL,
		     "2:10: sharing: sharing sr-iov needs a PF with SR-IOV (no sriov: given)");
	expect_error(t, "vfio",
		     HEAD "sriov:\n  total_vfs: 4\n  vf_device: 0x10ed\n  vf_offset: 1\n"
			  "  vf_stride: 1\n  vf_bars:\n    - {index: 2, size: 32, type: io}\n",
		     -EINVAL,
		     "14:7: sriov.vf_bars[0]: VF BARs are memory BARs only (PCIe r5.0 §9.3.3.14)");
	/* two PFs, offset 1 stride 1: pf0's VF0 lands on pf1 */
	expect_error(t, "collide",
		     HEAD "pfs: 2\nsriov:\n  total_vfs: 4\n  vf_device: 0x10ed\n  vf_offset: 1\n"
			  "  vf_stride: 1\n  vf_bars:\n    - {index: 0, size: 16K, type: mem64}\n",
		     -EINVAL,
		     "8:6: pfs: pf0/vf0: Routing ID +1 (offset 1, stride 1, ARI off) collides "
		     "with another function of the card");
	expect_error(t, "size",
		     HEAD "msix: {vectors: 4, bar: 0}\nrom_size: 3K\n", -EINVAL,
		     "9:11: rom_size: expansion ROM size must be a power of two of 2K or more");
	expect_error(t, "bar64", HEAD "  - {index: 1, size: 4K, type: mem32}\n", -EINVAL,
		     "8:5: bars[1]: BAR 1 is the upper half of 64-bit BAR 0");
	expect_error(t, "bar64b",
		     "description: x\nsharing: exclusive\nvendor: 1\ndevice: 2\nclass: 0\nbars:\n"
		     "  - {index: 1, size: 4K}\n  - {index: 0, size: 4K, type: mem64}\n",
		     -EINVAL, "8:5: bars[1]: 64-bit BAR 0 overlaps BAR 1");
	expect_error(t, "msix",
		     "description: x\nsharing: exclusive\nvendor: 1\ndevice: 2\nclass: 0\n"
		     "bars: [{index: 0, size: 1K}]\nmsix: {vectors: 128, bar: 0}\n",
		     -EINVAL, "7:17: msix.vectors: 128 MSI-X vectors do not fit in BAR 0 (1024 bytes)");
	expect_error(t, "initial",
		     HEAD "sriov:\n  total_vfs: 4\n  initial_vfs: 2\n  vf_device: 1\n  vf_offset: 2\n"
			  "  vf_stride: 1\n  vf_bars: [{index: 0, size: 4K}]\n",
		     -EINVAL,
		     "10:16: sriov.initial_vfs: initial_vfs 2 must equal total_vfs 4: no VF "
		     "Migration (PCIe r5.0 §9.3.3.7)");
	expect_error(t, "speed", "description: x\nsharing: exclusive\nvendor: 1\ndevice: 2\n"
				 "class: 0\nlink_speed: 9GT\n",
		     -EINVAL,
		     "6:13: link_speed: expected a link speed: 1..6 (PCIe generation), gen1..gen6 "
		     "or 2.5GT/5GT/8GT/16GT/32GT/64GT, got \"9GT\"");
	expect_error(t, "missing", "description: x\nsharing: exclusive\nvendor: 1\nclass: 0\n",
		     -EINVAL, "1:1: missing required key \"device\"");
	expect_error(t, "syntax", "description: x\nsharing: [exclusive\n", -EINVAL,
		     "3:1: did not find expected ',' or ']' (while parsing a flow sequence at 2:10)");

	/* dump-based profiles: only some keys, and not the captured ARI mode */
	expect_error(t, "dumpkey", "description: x\nsharing: sr-iov\nconfig_dump: "
				   FABRIC_SOURCE_DIR "/configs/dumps/nic-intel-82576-pf-sriov.lspci\n"
				   "vendor: 0x8086\n",
		     -EINVAL,
		     "4:1: unknown key \"vendor\" (allowed: description, sharing, pfs, bars, "
		     "rom_size, sriov, config_dump, config_dump_device)");
	expect_error(t, "dumpofs", "description: x\nsharing: sr-iov\nconfig_dump: "
				   FABRIC_SOURCE_DIR "/configs/dumps/nic-intel-82576-pf-sriov.lspci\n"
				   "sriov: {vf_offset: 2}\n",
		     -EINVAL,
		     "4:20: sriov.vf_offset: vf_offset comes from the config dump (captured with ARI "
		     "Capable Hierarchy clear); only vf_offset_ari can be given");

	/* absent profile and bad names */
	assert_int_equal(sim_profile_load(t->dir, "absent", &p, err, sizeof(err)), -ENOENT);
	assert_null(p);
	assert_int_equal(sim_profile_load(t->dir, "../etc/passwd", &p, err, sizeof(err)), -EINVAL);
	assert_int_equal(sim_profile_load(t->dir, ".hidden", &p, err, sizeof(err)), -EINVAL);
}

static void test_dump_missing_file_message(void **state)
{
	struct tmp *t = *state;
	struct sim_profile *p = NULL;
	char err[1024], want[512];

	write_file(t, "dm.yaml", "description: x\nsharing: sr-iov\nconfig_dump: nope.lspci\n");
	assert_int_equal(sim_profile_load(t->dir, "dm", &p, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s/dm.yaml:3:14: config_dump: %s/nope.lspci: No such file or "
				     "directory", t->dir, t->dir);
	assert_string_equal(err, want);
}

/* 64 bytes of a function after a first line "00: 86 80 xx 10 ..." */
#define REST64 "10: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n20: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n30: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n"
#define FN64(dev) "00: 86 80 " dev " 10 00 00 00 00 00 00 00 00 00 00 00 00\n" REST64 "\n"

/* libpci must report a malformed dump through our handler, never exit() the process */
static void test_read_dump_errors(void **state)
{
	struct tmp *t = *state;
	struct sim_dump_fn *fns = NULL;
	unsigned n = 99;
	char err[768];

	write_file(t, "bad.lspci", "01:00.0 x\n00: 86 80  \n\n");
	assert_int_equal(sim_profile_read_dump(t->path, NULL, &fns, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "libpci: dump: Malformed line"));
	assert_null(fns);

	/* several devices: refused with the list, or one chosen */
	write_file(t, "two.lspci", "01:00.0 a\n" FN64("fb") "02:00.0 b\n" FN64("fc")
				   "01:00.1 c\n" FN64("fb"));
	assert_int_equal(sim_profile_read_dump(t->path, NULL, &fns, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "the dump holds 2 devices: 01:00 (functions 0, 1), 02:00 "
				    "(function 0); choose one with config_dump_device: BB:DD"));
	assert_int_equal(sim_profile_read_dump(t->path, "03:00", &fns, &n, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "no device 03:00 in the dump; it holds 01:00 (functions 0, 1)"));
	assert_int_equal(sim_profile_read_dump(t->path, "1:0", &fns, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(fns[0].fn, 0);
	assert_int_equal(fns[1].fn, 1);
	assert_int_equal(fns[0].len, 64);
	free(fns);
	assert_int_equal(sim_profile_read_dump(t->path, "02:00", &fns, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_int_equal(fns[0].cfg[2], 0xfc);
	free(fns);
	assert_int_equal(sim_profile_read_dump(t->path, "0:1:0:0", &fns, &n, err, sizeof(err)),
			 -EINVAL);
	assert_false(sim_dump_device_parse("01", &(int){0}, &(unsigned){0}, &(unsigned){0}));
	assert_false(sim_dump_device_parse("01:20", &(int){0}, &(unsigned){0}, &(unsigned){0}));
	assert_false(sim_dump_device_parse("01:", &(int){0}, &(unsigned){0}, &(unsigned){0}));
	assert_false(sim_dump_device_parse("1g:00", &(int){0}, &(unsigned){0}, &(unsigned){0}));
	{
		int dom;
		unsigned bus, dev;

		assert_true(sim_dump_device_parse("0002:01:1f", &dom, &bus, &dev));
		assert_int_equal(dom, 2);
		assert_int_equal(bus, 1);
		assert_int_equal(dev, 0x1f);
	}
	/* a gap in the function numbers */
	write_file(t, "gap.lspci", "01:00.0 a\n" FN64("fb") "01:00.2 b\n" FN64("fb"));
	assert_int_equal(sim_profile_read_dump(t->path, NULL, &fns, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "device 01:00 has 01:00 (functions 0, 2); a card's PFs are "
				    "functions 0..n-1"));

	write_file(t, "none.lspci", "01:00.0\n00: 86 80 fb 10\n\n"); /* no space: ignored */
	assert_int_equal(sim_profile_read_dump(t->path, NULL, &fns, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "the dump holds 0 devices"));

	assert_int_equal(sim_profile_read_dump(FABRIC_SOURCE_DIR
					       "/tests/data/cards/sas-lsi-sas2008.lspci",
					       NULL, &fns, &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(fns[0].len, 4096);
	assert_int_equal(fns[0].cfg[0], 0x00);
	assert_int_equal(fns[0].cfg[1], 0x10);
	assert_int_equal(fns[0].cfg[2], 0x72);
	free(fns);
	/* after all that, a good dump still reads (the thread-local hook was reset) */
	assert_int_equal(sim_profile_read_dump(FABRIC_SOURCE_DIR
					       "/configs/dumps/nic-intel-82576-pf-sriov.lspci",
					       NULL, &fns, &n, err, sizeof(err)),
			 0);
	assert_int_equal(fns[0].cfg[0x160], 0x10); /* SR-IOV header */
	free(fns);
}

/* Three PFs with different SR-IOV parameters, MSI-X sizes and VSEC payloads. */
static const struct dump_gen_pf gen3[] = {
	{ .device = 0x1572, .total_vfs = 16, .vf_offset = 0x100, .vf_stride = 1,
	  .vf_device = 0x154c, .msix_vectors = 9, .vsec_len = 16, .seed = 1 },
	{ .device = 0x1573, .total_vfs = 8, .vf_offset = 0x11f, .vf_stride = 2,
	  .vf_device = 0x154d, .msix_vectors = 17, .vsec_len = 32, .seed = 2 },
	{ .device = 0x1574, .total_vfs = 0, .msix_vectors = 33, .vsec_len = 8, .seed = 3 },
};

/* A multi-function dump is the card: one PF per function, each from its own bytes. */
static void test_multi_function_dump(void **state)
{
	struct tmp *t = *state;
	struct sim_profile *p;
	char dump[160], text[512];

	snprintf(dump, sizeof(dump), "%s/three.lspci", t->dir);
	assert_int_equal(dump_gen_write(dump, 0, -1, 1, 0, gen3, 3), 0);
	snprintf(text, sizeof(text), "description: t\nsharing: mr-iov\nconfig_dump: %s\n"
				     "sriov: {vf_bars: [{index: 0, size: 64K}]}\n"
				     "pfs:\n  - {}\n  - {bars: [{index: 0, size: 1M}]}\n  - {}\n", dump);
	write_file(t, "three.yaml", text);
	p = load_ok(t->dir, "three");
	assert_int_equal(p->n_pfs, 3);
	assert_int_equal(p->dump_fns, 3);
	assert_int_equal(p->pf[0].device, 0x1572);
	assert_int_equal(p->pf[1].device, 0x1573);
	assert_int_equal(p->pf[2].device, 0x1574);
	assert_true(p->pf[0].has_sriov && p->pf[1].has_sriov && !p->pf[2].has_sriov);
	assert_int_equal(p->pf[0].sriov.total_vfs, 16);
	assert_int_equal(p->pf[1].sriov.total_vfs, 8);
	assert_int_equal(p->pf[1].sriov.vf_offset, 0x11f);
	assert_int_equal(p->pf[1].sriov.vf_stride, 2);
	assert_int_equal(p->pf[1].sriov.vf_device, 0x154d);
	assert_int_equal(p->pf[1].sriov.vf_bars[0].size, 64 * 1024); /* card-level key */
	assert_int_equal(p->pf[0].msix_vectors, 9);
	assert_int_equal(p->pf[2].msix_vectors, 33);
	assert_int_equal(p->pf[0].bars[0].size, 0);
	assert_int_equal(p->pf[1].bars[0].size, 1024 * 1024);
	assert_ptr_not_equal(p->pf[1].dump_config, p->pf[0].dump_config);
	assert_int_equal(p->pf[2].dump_config[2], 0x74);
	sim_profile_free(p);

	/* the PF count is the dump's */
	snprintf(text, sizeof(text), "description: t\nsharing: mr-iov\nconfig_dump: %s\npfs: 2\n",
		 dump);
	expect_error(t, "pfs2", text, -EINVAL,
		     "4:6: pfs: the config dump holds 3 functions, so the card has 3 PFs, not 2 "
		     "(leave pfs out)");
	/* several devices: refused with the list, or one chosen */
	assert_int_equal(dump_gen_write(dump, 1, -1, 2, 3, gen3, 1), 0);
	snprintf(text, sizeof(text), "description: t\nsharing: mr-iov\nconfig_dump: %s\n", dump);
	write_file(t, "two.yaml", text);
	{
		char err[1024];

		assert_int_equal(sim_profile_load(t->dir, "two", &p, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "the dump holds 2 devices: 01:00 (functions 0, 1, 2), "
					    "02:03 (function 0); choose one with "
					    "config_dump_device: BB:DD"));
	}
	snprintf(text, sizeof(text), "description: t\nsharing: mr-iov\nconfig_dump: %s\n"
				     "config_dump_device: \"02:03\"\n", dump);
	write_file(t, "two.yaml", text);
	p = load_ok(t->dir, "two");
	assert_int_equal(p->n_pfs, 1);
	assert_int_equal(p->pf[0].sriov.total_vfs, 16);
	sim_profile_free(p);
	snprintf(text, sizeof(text), "description: t\nsharing: mr-iov\nconfig_dump: %s\n"
				     "config_dump_device: 2:3:4:5\n", dump);
	expect_error(t, "bad", text, -EINVAL,
		     "4:21: config_dump_device: expected a device as BB:DD or DDDD:BB:DD (hex), "
		     "got \"2:3:4:5\"");
}

/* A switch port dump is not a card: refused with what to do instead. */
static void test_bridge_dump_refused(void **state)
{
	struct tmp *t = *state;
	char err[1024];
	struct sim_profile *p = NULL;

	write_file(t, "plx.yaml", "description: t\nsharing: exclusive\nconfig_dump: "
				  FABRIC_SOURCE_DIR "/tests/data/cards/switch-plx-pex8796-usp.lspci\n");
	assert_int_equal(sim_profile_load(t->dir, "plx", &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "function 0 is a PCI bridge (header type 1), not a card's "
				    "endpoint; a switch port dump models the chassis's virtual "
				    "switch: give it in the chassis file as usp_dump: or dsp_dump:"));
}

/* The name rule and path resolution the chassis loader shares. */
/* Hostile input (issues 16 and 18): nulls, tags, out-of-range integers, escaped text. */
static void test_hostile(void **state)
{
	struct tmp *t = *state;

	expect_error(t, "h", "description: ~\nsharing: sr-iov\n", -EINVAL,
		     "1:14: description: expected a string, got null");
	expect_error(t, "h", "config_dump:\ndescription: x\n", -EINVAL,
		     "1:13: config_dump: expected a string, got null");
	expect_error(t, "h", "description: !!str 1\n", -EINVAL,
		     "1:14: tags (!!str) are not supported: write the plain value");
	expect_error(t, "h", "description: x\nsharing: sr-iov\nvendor: !!int 0x8086\n", -EINVAL,
		     "3:9: tags (!!int) are not supported: write the plain value");
	expect_error(t, "h", "description: x\nsharing: sr-iov\nvendor: 0x18086\n", -ERANGE,
		     "3:9: vendor: value 0x18086 out of range 0..65535");
	expect_error(t, "h", HEAD "revision: 256\n", -ERANGE,
		     "8:11: revision: value 256 out of range 0..255");
	expect_error(t, "h", HEAD "rom_size: 99999999999999999999K\n", -EINVAL,
		     "8:11: rom_size: expected a size (bytes, or a number with K/M/G/T), got "
		     "\"99999999999999999999K\"");
	expect_error(t, "h", HEAD "rom_size: 17179869184T\n", -EINVAL,
		     "8:11: rom_size: expected a size (bytes, or a number with K/M/G/T), got "
		     "\"17179869184T\"");
	expect_error(t, "h", "description: x\nsharing: \"sr-iov\\e]0;pwned\\a\"\n", -EINVAL,
		     "2:10: sharing: expected one of exclusive, sr-iov, mr-iov, got "
		     "\"sr-iov\\e]0;pwned\\a\"");
	expect_error(t, "h", "description: x\nsharing: sr-iov\n\tvendor: 1\n", -EINVAL,
		     "3:1: tab character: indent and separate with spaces");
}

static void test_shared_helpers(void **state)
{
	char name[80];
	char *p;

	(void)state;
	assert_true(sim_name_valid("intel-82599"));
	assert_true(sim_name_valid("x.y-z_1"));
	assert_false(sim_name_valid(""));
	assert_false(sim_name_valid(".hidden"));
	assert_false(sim_name_valid("a/b"));
	assert_false(sim_name_valid("rack1:nic0"));
	memset(name, 'n', sizeof(name));
	name[SIM_NAME_MAX - 1] = '\0';
	assert_true(sim_name_valid(name));
	name[SIM_NAME_MAX - 1] = 'n';
	name[SIM_NAME_MAX] = '\0';
	assert_false(sim_name_valid(name));

	p = sim_path_beside("/etc/mriov/chassis/demo.yaml", "../profiles");
	assert_string_equal(p, "/etc/mriov/chassis/../profiles");
	free(p);
	p = sim_path_beside("/etc/mriov/demo.yaml", "/abs/profiles");
	assert_string_equal(p, "/abs/profiles");
	free(p);
	p = sim_path_beside("demo.yaml", "profiles");
	assert_string_equal(p, "profiles");
	free(p);
	p = sim_path_beside("/demo.yaml", "profiles");
	assert_string_equal(p, "/profiles");
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_shipped_profiles_load),
		cmocka_unit_test(test_intel_82599),
		cmocka_unit_test(test_per_pf_overrides),
		cmocka_unit_test(test_exclusive_cards),
		cmocka_unit_test(test_dump_profile),
		cmocka_unit_test_setup_teardown(test_errors, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_dump_missing_file_message, setup_tmp,
						teardown_tmp),
		cmocka_unit_test_setup_teardown(test_read_dump_errors, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_hostile, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_shared_helpers),
		cmocka_unit_test_setup_teardown(test_multi_function_dump, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_bridge_dump_refused, setup_tmp, teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
