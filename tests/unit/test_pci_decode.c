/* Unit tests of manager/pci_decode.c: real adapter dumps from tests/data/cards decoded through
 * libpci, names from pci.ids, and hostile input (truncated, all-ones, looping, malformed pci.ids). */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pci_decode.h"

#define CARDS FABRIC_SOURCE_DIR "/tests/data/cards/"

/* Tiny reader of `lspci -xxxx` text ("OFF: xx xx ..."), independent of libpci's own so the
 * two cross-check each other. Returns the byte count (highest offset + 1). */
static size_t load_dump(const char *name, uint8_t cfg[FM_PCI_CFG_SIZE])
{
	char path[512], line[512];
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", CARDS, name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	memset(cfg, 0xff, FM_PCI_CFG_SIZE);
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;
		unsigned long off = strtoul(line, &end, 16);

		/* "01:00.0 Ethernet..." also starts with hex and ':' but not ": " */
		if (end == line || end[0] != ':' || end[1] != ' ')
			continue;
		p = end + 1;
		while (*p == ' ') {
			unsigned long byte = strtoul(p + 1, &end, 16);

			if (end != p + 3 || off >= FM_PCI_CFG_SIZE)
				break;
			cfg[off++] = (uint8_t)byte;
			if (off > len)
				len = off;
			p = end;
		}
	}
	fclose(f);
	assert_true(len > 0);
	return len;
}

struct ctx {
	char dir[64];
	char *old_tmpdir;
	struct fm_pci *sys; /* default pci.ids */
};

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));
	const char *t = getenv("TMPDIR");
	char err[256] = "";

	if (!c)
		return -1;
	c->old_tmpdir = t ? strdup(t) : NULL;
	snprintf(c->dir, sizeof(c->dir), "/tmp/fmpci-XXXXXX");
	if (!mkdtemp(c->dir))
		return -1;
	/* the decoder's empty dump file goes here, so the test can see it is gone */
	setenv("TMPDIR", c->dir, 1);
	c->sys = fm_pci_new(NULL, err, sizeof(err));
	if (!c->sys) {
		print_error("fm_pci_new: %s\n", err);
		return -1;
	}
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	fm_pci_free(c->sys);
	nftw(c->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	if (c->old_tmpdir)
		setenv("TMPDIR", c->old_tmpdir, 1);
	else
		unsetenv("TMPDIR");
	free(c->old_tmpdir);
	free(c);
	return 0;
}

static void decode_file(struct ctx *c, const char *name, struct fm_pci_info *info)
{
	uint8_t cfg[FM_PCI_CFG_SIZE];
	size_t len = load_dump(name, cfg);

	assert_int_equal(len, FM_PCI_CFG_SIZE);
	assert_int_equal(fm_pci_decode(c->sys, cfg, len, info), 0);
	assert_int_equal(info->cfg_len, FM_PCI_CFG_SIZE);
}

static void assert_caps(const struct fm_pci_cap *caps, unsigned int n, const uint16_t (*want)[2],
			unsigned int nwant)
{
	assert_int_equal(n, nwant);
	for (unsigned int i = 0; i < n; i++) {
		assert_int_equal(caps[i].offset, want[i][0]);
		assert_int_equal(caps[i].id, want[i][1]);
	}
}

static void need_names(struct ctx *c)
{
	if (fm_pci_names_error(c->sys)) {
		print_message("no system pci.ids (%s): skipping name checks\n",
			      fm_pci_names_error(c->sys));
		skip();
	}
}

/* ---- real cards ------------------------------------------------------------------------- */

static void test_intel_82576(void **state)
{
	struct ctx *c = *state;
	struct fm_pci_info i;
	char dsn[32];
	static const uint16_t caps[][2] = { { 0x40, 0x01 }, { 0x50, 0x05 }, { 0x70, 0x11 },
					    { 0xa0, 0x10 } };
	static const uint16_t ext[][2] = { { 0x100, 0x01 }, { 0x140, 0x03 }, { 0x150, 0x0e },
					   { 0x160, 0x10 } };

	decode_file(c, "nic-intel-82576-pf-sriov.lspci", &i);
	assert_true(i.ids_valid);
	assert_int_equal(i.vendor, 0x8086);
	assert_int_equal(i.device, 0x10c9);
	assert_int_equal(i.subsys_vendor, 0x8086);
	assert_int_equal(i.subsys_device, 0xa03c);
	assert_int_equal(i.class_code, 0x020000);
	assert_int_equal(i.revision, 0x01);
	assert_int_equal(i.header_type, 0);
	assert_true(i.multifunction);
	assert_false(i.is_bridge);
	assert_caps(i.caps, i.ncaps, caps, 4);
	assert_caps(i.ext_caps, i.next_caps, ext, 4);
	assert_int_equal(i.ext_caps[0].version, 1);
	assert_false(i.ext_caps_truncated);
	assert_int_equal(i.port_type, FM_PCI_PORT_ENDPOINT);
	assert_false(i.slot_implemented);
	/* lspci -vv: LnkSta: Speed 2.5GT/s, Width x4 */
	assert_int_equal(i.link_speed, 1);
	assert_int_equal(i.link_width, 4);

	assert_true(i.sriov.present);
	assert_int_equal(i.sriov.offset, 0x160);
	assert_int_equal(i.sriov.initial_vfs, 8);
	assert_int_equal(i.sriov.total_vfs, 8);
	assert_int_equal(i.sriov.num_vfs, 1);
	assert_int_equal(i.sriov.vf_offset, 384);
	assert_int_equal(i.sriov.vf_stride, 2);
	assert_int_equal(i.sriov.vf_device, 0x10ca);
	assert_int_equal(i.sriov.control & 0x0009, 0x0009); /* VF Enable + VF MSE */
	assert_int_equal(i.sriov.control & 0x0010, 0);      /* ARIHierarchy- */

	assert_true(i.has_dsn);
	assert_true(i.dsn == 0x001b21ffff2b46e0ull);
	assert_int_equal(fm_pci_dsn_format(i.dsn, dsn, sizeof(dsn)), 0);
	assert_string_equal(dsn, "00-1b-21-ff-ff-2b-46-e0");
}

static void test_samsung_pm174x(void **state)
{
	struct ctx *c = *state;
	struct fm_pci_info i;
	char dsn[32];
	static const uint16_t ext[][2] = { { 0x100, 0x01 }, { 0x148, 0x03 }, { 0x168, 0x0e },
					   { 0x178, 0x19 }, { 0x198, 0x26 }, { 0x1bc, 0x27 },
					   { 0x1d4, 0x2a }, { 0x1f8, 0x10 }, { 0x3c0, 0x25 } };

	decode_file(c, "nvme-samsung-pm174x-sriov.lspci", &i);
	assert_int_equal(i.vendor, 0x144d);
	assert_int_equal(i.device, 0xa826);
	assert_int_equal(i.subsys_vendor, 0x144d);
	assert_int_equal(i.subsys_device, 0xaa0a);
	assert_int_equal(i.class_code, 0x010802);
	assert_int_equal(i.port_type, FM_PCI_PORT_ENDPOINT);
	/* lspci -vv: LnkSta: Speed 16GT/s (downgraded), Width x2 */
	assert_int_equal(i.link_speed, 4);
	assert_int_equal(i.link_width, 2);
	assert_caps(i.ext_caps, i.next_caps, ext, 9);
	assert_int_equal(i.ext_caps[0].version, 2);

	assert_true(i.sriov.present);
	assert_int_equal(i.sriov.initial_vfs, 64);
	assert_int_equal(i.sriov.total_vfs, 64);
	assert_int_equal(i.sriov.num_vfs, 0);
	assert_int_equal(i.sriov.vf_offset, 32);
	assert_int_equal(i.sriov.vf_stride, 1);
	assert_int_equal(i.sriov.vf_device, 0xa826);
	assert_int_equal(i.sriov.control & 0x0001, 0);      /* VF Enable- */
	assert_int_equal(i.sriov.control & 0x0010, 0x0010); /* ARIHierarchy+ */

	assert_true(i.has_dsn);
	assert_int_equal(fm_pci_dsn_format(i.dsn, dsn, sizeof(dsn)), 0);
	assert_string_equal(dsn, "2b-0a-50-31-8c-38-25-00");
}

static void test_cavium_thunderx(void **state)
{
	struct ctx *c = *state;
	struct fm_pci_info i;
	static const uint16_t caps[][2] = { { 0x40, 0x10 }, { 0x80, 0x11 }, { 0x98, 0x14 } };
	static const uint16_t ext[][2] = { { 0x100, 0x0e }, { 0x108, 0x0b }, { 0x180, 0x10 } };

	decode_file(c, "nic-cavium-thunderx-pf-sriov.lspci", &i);
	assert_int_equal(i.vendor, 0x177d);
	assert_int_equal(i.device, 0xa01e);
	assert_int_equal(i.revision, 0x08);
	assert_caps(i.caps, i.ncaps, caps, 3);
	assert_caps(i.ext_caps, i.next_caps, ext, 3);
	assert_true(i.sriov.present);
	assert_int_equal(i.sriov.total_vfs, 128);
	assert_int_equal(i.sriov.num_vfs, 128);
	assert_int_equal(i.sriov.vf_offset, 1);
	assert_int_equal(i.sriov.vf_stride, 1);
	assert_int_equal(i.sriov.vf_device, 0xa034);
	assert_false(i.has_dsn);
}

static void test_lsi_sas2008(void **state)
{
	struct ctx *c = *state;
	struct fm_pci_info i;
	static const uint16_t ext[][2] = { { 0x100, 0x01 }, { 0x138, 0x04 } };

	decode_file(c, "sas-lsi-sas2008.lspci", &i);
	assert_int_equal(i.vendor, 0x1000);
	assert_int_equal(i.device, 0x0072);
	assert_int_equal(i.revision, 0x02);
	assert_int_equal(i.class_code >> 8, 0x0107);
	assert_int_equal(i.ncaps, 5);
	assert_caps(i.ext_caps, i.next_caps, ext, 2);
	assert_false(i.sriov.present);
	assert_false(i.has_dsn);
}

static void test_switch_ports(void **state)
{
	struct ctx *c = *state;
	struct fm_pci_info i;
	char dsn[32];
	/* chain order, not address order */
	static const uint16_t ext[][2] = { { 0x100, 0x03 }, { 0xfb4, 0x01 }, { 0x138, 0x04 },
					   { 0x10c, 0x19 }, { 0x148, 0x02 }, { 0xe00, 0x12 },
					   { 0xb00, 0x18 }, { 0xb70, 0x0b } };

	decode_file(c, "switch-nvidia-nf200-dsp.lspci", &i);
	assert_int_equal(i.vendor, 0x10de);
	assert_int_equal(i.device, 0x05b1);
	assert_int_equal(i.header_type, 1);
	assert_true(i.is_bridge);
	assert_int_equal(i.class_code >> 8, 0x0604);
	assert_int_equal(i.port_type, FM_PCI_PORT_DOWNSTREAM);
	assert_true(i.slot_implemented);
	assert_int_equal(i.next_caps, 0);
	assert_false(i.sriov.present);
	assert_string_equal(fm_pci_port_type_name(i.port_type), "Downstream Port");

	decode_file(c, "switch-plx-pex8796-usp.lspci", &i);
	assert_int_equal(i.vendor, 0x10b5);
	assert_int_equal(i.device, 0x8796);
	assert_int_equal(i.revision, 0xab);
	assert_true(i.is_bridge);
	assert_int_equal(i.port_type, FM_PCI_PORT_UPSTREAM);
	assert_false(i.slot_implemented);
	/* a bridge's subsystem IDs come from its SSVID capability */
	assert_int_equal(i.subsys_vendor, 0x1ae0);
	assert_int_equal(i.subsys_device, 0x0031);
	assert_caps(i.ext_caps, i.next_caps, ext, 8);
	assert_true(i.has_dsn);
	assert_int_equal(fm_pci_dsn_format(i.dsn, dsn, sizeof(dsn)), 0);
	assert_string_equal(dsn, "ab-87-00-10-b5-df-0e-00");
}

/* ---- names ------------------------------------------------------------------------------ */

static void test_names_system_pci_ids(void **state)
{
	struct ctx *c = *state;
	char buf[128], small[8];

	need_names(c);
	assert_int_equal(fm_pci_vendor_name(c->sys, 0x8086, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Intel Corporation");
	assert_int_equal(fm_pci_device_name(c->sys, 0x8086, 0x10c9, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "82576 Gigabit Network Connection");
	assert_int_equal(fm_pci_device_name(c->sys, 0x8086, 0x10ca, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "82576 Virtual Function");
	assert_int_equal(fm_pci_device_name(c->sys, 0x144d, 0xa826, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "NVMe SSD Controller PM174X");
	assert_int_equal(fm_pci_class_name(c->sys, 0x020000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Ethernet controller");
	assert_int_equal(fm_pci_class_name(c->sys, 0x010802, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Non-Volatile memory controller");

	/* unknown: lspci's numeric wording */
	assert_int_equal(fm_pci_vendor_name(c->sys, 0x0bad, buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "Vendor 0bad");
	assert_int_equal(fm_pci_device_name(c->sys, 0x0bad, 0x1234, buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "Device 1234");
	assert_int_equal(fm_pci_class_name(c->sys, 0xee0000, buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "Class ee00");

	/* small buffers truncate, never overflow */
	assert_int_equal(fm_pci_device_name(c->sys, 0x8086, 0x10c9, small, sizeof(small)), 0);
	assert_string_equal(small, "82576 G");
	assert_int_equal(fm_pci_vendor_name(c->sys, 0x8086, NULL, 4), -EINVAL);
	assert_int_equal(fm_pci_vendor_name(NULL, 0x8086, buf, sizeof(buf)), -EINVAL);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_names_private_ids(void **state)
{
	struct ctx *c = *state;
	char ids[128], err[256] = "", buf[64];
	struct fm_pci *dec;

	snprintf(ids, sizeof(ids), "%s/test.ids", c->dir);
	write_text(ids, "# test list\n"
			"0bad  Fabric Test Vendor\n"
			"\t0001  Shared NIC\n"
			"\t0002  Shared NIC VF\n"
			"C 02  Network controller\n"
			"\t00  Ethernet controller\n");
	dec = fm_pci_new(ids, err, sizeof(err));
	assert_non_null(dec);
	assert_null(fm_pci_names_error(dec));
	assert_int_equal(fm_pci_vendor_name(dec, 0x0bad, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Fabric Test Vendor");
	assert_int_equal(fm_pci_device_name(dec, 0x0bad, 0x0002, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Shared NIC VF");
	/* only this file is consulted */
	assert_int_equal(fm_pci_vendor_name(dec, 0x8086, buf, sizeof(buf)), -ENOENT);
	assert_string_equal(buf, "Vendor 8086");
	fm_pci_free(dec);
}

static void test_malformed_pci_ids(void **state)
{
	struct ctx *c = *state;
	static const char *const bad[] = {
		"8086  Intel Corporation\n\tzzzz  not hex\n",
		"8086  Intel Corporation\n\t\t\t10c9  too deep\n",
		"8086  Intel Corporation\n8086  Intel again\n",
		"S 1234\n",
	};
	char ids[128], err[256] = "", buf[64];
	uint8_t cfg[FM_PCI_CFG_SIZE];
	size_t len = load_dump("nic-intel-82576-pf-sriov.lspci", cfg);
	struct fm_pci_info info;

	snprintf(ids, sizeof(ids), "%s/bad.ids", c->dir);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct fm_pci *dec;

		write_text(ids, bad[k]);
		dec = fm_pci_new(ids, err, sizeof(err));
		assert_non_null(dec); /* still alive, and still a decoder */
		assert_non_null(fm_pci_names_error(dec));
		assert_non_null(strstr(fm_pci_names_error(dec), ids));
		assert_int_equal(fm_pci_device_name(dec, 0x8086, 0x10c9, buf, sizeof(buf)), -ENOENT);
		assert_string_equal(buf, "Device 10c9");
		assert_int_equal(fm_pci_decode(dec, cfg, len, &info), 0);
		assert_int_equal(info.sriov.total_vfs, 8);
		fm_pci_free(dec);
	}

	/* a path that does not exist */
	snprintf(ids, sizeof(ids), "%s/missing.ids", c->dir);
	{
		struct fm_pci *dec = fm_pci_new(ids, err, sizeof(err));

		assert_non_null(dec);
		assert_non_null(strstr(fm_pci_names_error(dec), "missing.ids"));
		assert_int_equal(fm_pci_vendor_name(dec, 0x8086, buf, sizeof(buf)), -ENOENT);
		fm_pci_free(dec);
	}
}

/* ---- hostile input ---------------------------------------------------------------------- */

static void test_empty_and_all_ones(void **state)
{
	struct ctx *c = *state;
	uint8_t cfg[FM_PCI_CFG_SIZE] = { 0 };
	struct fm_pci_info i;

	assert_int_equal(fm_pci_decode(c->sys, cfg, 0, &i), -ENODATA);
	assert_false(i.ids_valid);
	assert_int_equal(i.vendor, 0xffff);
	assert_int_equal(fm_pci_decode(c->sys, NULL, 0, &i), -ENODATA);
	assert_int_equal(fm_pci_decode(c->sys, NULL, 4, &i), -EINVAL);
	assert_int_equal(fm_pci_decode(NULL, cfg, 4, &i), -EINVAL);
	assert_int_equal(fm_pci_decode(c->sys, cfg, 4, NULL), -EINVAL);

	memset(cfg, 0xff, sizeof(cfg));
	assert_int_equal(fm_pci_decode(c->sys, cfg, sizeof(cfg), &i), 0);
	assert_false(i.ids_valid);
	assert_int_equal(i.vendor, 0xffff);
	assert_int_equal(i.ncaps, 0);
	assert_int_equal(i.next_caps, 0);
	assert_int_equal(i.port_type, FM_PCI_PORT_NONE);
	assert_int_equal(i.link_width, 0);
	assert_int_equal(i.link_speed, 0);
	assert_false(i.sriov.present);
	assert_false(i.has_dsn);

	memset(cfg, 0, sizeof(cfg));
	assert_int_equal(fm_pci_decode(c->sys, cfg, sizeof(cfg), &i), 0);
	assert_false(i.ids_valid);
	assert_int_equal(i.ncaps, 0);

	/* more than 4 KiB: the rest is not config space */
	{
		uint8_t big[FM_PCI_CFG_SIZE + 100];
		memset(big, 0xff, sizeof(big));
		assert_int_equal(fm_pci_decode(c->sys, big, sizeof(big), &i), 0);
		assert_int_equal(i.cfg_len, FM_PCI_CFG_SIZE);
	}
}

static void test_truncated_every_length(void **state)
{
	struct ctx *c = *state;
	uint8_t cfg[FM_PCI_CFG_SIZE];
	size_t len = load_dump("nic-intel-82576-pf-sriov.lspci", cfg);
	struct fm_pci_info i;

	for (size_t n = 1; n <= len; n++) {
		assert_int_equal(fm_pci_decode(c->sys, cfg, n, &i), 0);
		assert_int_equal(i.cfg_len, n);
		if (n >= 4) {
			assert_int_equal(i.vendor, 0x8086);
			assert_int_equal(i.device, 0x10c9);
		}
		/* SR-IOV only once all 64 bytes of it are there, DSN once its 12 are */
		assert_int_equal(i.sriov.present, n >= 0x160 + 0x40);
		assert_int_equal(i.has_dsn, n >= 0x140 + 12);
		if (i.sriov.present)
			assert_int_equal(i.sriov.total_vfs, 8);
		assert_true(i.ncaps <= 4 && i.next_caps <= 4);
	}
	/* a 256-byte read (conventional config space only) */
	assert_int_equal(fm_pci_decode(c->sys, cfg, 256, &i), 0);
	assert_int_equal(i.ncaps, 4);
	assert_int_equal(i.next_caps, 0);
	assert_int_equal(i.port_type, FM_PCI_PORT_ENDPOINT);
}

static void test_loops_and_garbage(void **state)
{
	struct ctx *c = *state;
	uint8_t cfg[FM_PCI_CFG_SIZE];
	struct fm_pci_info i;
	uint32_t seed = 12345;

	/* standard list pointing at itself; extended chain 0x100 -> 0x200 -> 0x100 */
	memset(cfg, 0, sizeof(cfg));
	cfg[0] = 0x86, cfg[1] = 0x80, cfg[2] = 0x34, cfg[3] = 0x12;
	cfg[6] = 0x10; /* Status: capability list */
	cfg[0x34] = 0x40;
	cfg[0x40] = 0x10, cfg[0x41] = 0x50; /* PCIe -> 0x50 */
	cfg[0x50] = 0x05, cfg[0x51] = 0x40; /* MSI -> back to 0x40 */
	cfg[0x100] = 0x10, cfg[0x102] = 0x01, cfg[0x103] = 0x20; /* SR-IOV v1 -> 0x200 */
	cfg[0x200] = 0x03, cfg[0x202] = 0x01, cfg[0x203] = 0x10; /* DSN v1 -> 0x100 */
	assert_int_equal(fm_pci_decode(c->sys, cfg, sizeof(cfg), &i), 0);
	assert_int_equal(i.ncaps, 2);
	assert_int_equal(i.next_caps, 2);
	assert_true(i.sriov.present);
	assert_true(i.has_dsn);

	/* seeded noise: whatever it decodes to, it must come back */
	for (int round = 0; round < 2000; round++) {
		for (size_t k = 0; k < sizeof(cfg); k++) {
			seed = seed * 1103515245u + 12345u;
			cfg[k] = (uint8_t)(seed >> 16);
		}
		cfg[6] |= 0x10;
		assert_int_equal(fm_pci_decode(c->sys, cfg, sizeof(cfg), &i), 0);
		assert_true(i.ncaps <= FM_PCI_MAX_CAPS);
		assert_true(i.next_caps <= FM_PCI_MAX_EXT_CAPS);
	}
}

static void test_lifecycle(void **state)
{
	struct ctx *c = *state;
	char err[256] = "", dsn[8];
	struct fm_pci *a, *b;
	uint8_t cfg[FM_PCI_CFG_SIZE];
	size_t len = load_dump("switch-plx-pex8796-usp.lspci", cfg);
	struct fm_pci_info ia, ib;
	int entries = 0;
	struct dirent *de;
	DIR *d;

	/* independent decoders */
	a = fm_pci_new(NULL, err, sizeof(err));
	b = fm_pci_new(NULL, err, sizeof(err));
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(fm_pci_decode(a, cfg, len, &ia), 0);
	assert_int_equal(fm_pci_decode(b, cfg, 64, &ib), 0);
	assert_int_equal(ia.next_caps, 8);
	assert_int_equal(ib.next_caps, 0);
	fm_pci_free(a);
	fm_pci_free(b);
	fm_pci_free(NULL);

	/* the empty dump files were removed once libpci had read them */
	d = opendir(c->dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strncmp(de->d_name, "fabricd-pci-", 12) == 0)
			entries++;
	closedir(d);
	assert_int_equal(entries, 0);

	/* no writable temp dir: a clean error, not an exit */
	setenv("TMPDIR", "/nonexistent-fabric-dir", 1);
	a = fm_pci_new(NULL, err, sizeof(err));
	assert_null(a);
	assert_non_null(strstr(err, "/nonexistent-fabric-dir"));
	setenv("TMPDIR", c->dir, 1);

	assert_int_equal(fm_pci_dsn_format(1, dsn, sizeof(dsn)), -EINVAL);
	assert_string_equal(fm_pci_port_type_name(FM_PCI_PORT_NONE), "none");
	assert_string_equal(fm_pci_port_type_name((enum fm_pci_port_type)3), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intel_82576),
		cmocka_unit_test(test_samsung_pm174x),
		cmocka_unit_test(test_cavium_thunderx),
		cmocka_unit_test(test_lsi_sas2008),
		cmocka_unit_test(test_switch_ports),
		cmocka_unit_test(test_names_system_pci_ids),
		cmocka_unit_test(test_names_private_ids),
		cmocka_unit_test(test_malformed_pci_ids),
		cmocka_unit_test(test_empty_and_all_ones),
		cmocka_unit_test(test_truncated_every_length),
		cmocka_unit_test(test_loops_and_garbage),
		cmocka_unit_test(test_lifecycle),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
