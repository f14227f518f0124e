/* Card profile loader: configs/profiles/NAME.yaml -> struct sim_profile, either from
 * explicit keys or from a real card's `lspci -xxxx` dump read through libpci.
 *
 * Profile schema (every key is checked; unknown keys are errors, so is a null value; the
 * YAML rules are common/yaml_doc.h's):
 *
 *   description: "Intel 82599ES ..."  required
 *   sharing: sr-iov                    required: exclusive | sr-iov | mr-iov
 *   vendor: 0x8086                     required   \
 *   device: 0x10fb                     required    | these come from the dump
 *   subsystem_vendor: 0x8086           = vendor    | when config_dump is used
 *   subsystem_device: 0x0003           = device    | and are refused there
 *   class: 0x020000                    required    |
 *   revision: 0x01                     = 0         |
 *   link_width: 8                      = 8         |
 *   link_speed: 5GT                    = 8GT      /
 *   pfs: 2                             = 1; or a sequence of per-PF mappings that
 *                                      override device, bars, rom_size, msix, sriov
 *                                      (sriov: false removes SR-IOV from that PF)
 *   bars: [{index: 0, size: 512K, type: mem64, prefetchable: false}, ...]
 *                                      type = mem32 (mem32 | mem64 | io); sizes are
 *                                      powers of two, "512K"/"16KiB"/"4M" or bytes
 *   rom_size: 512K
 *   msix: {vectors: 64, bar: 4, offset: 0}   table at offset, PBA after it
 *   sriov: {total_vfs: 64, initial_vfs: 64, vf_device: 0x10ed, vf_offset: 384,
 *           vf_stride: 2, vf_offset_ari: 128, vf_stride_ari: 2, page_sizes: 0x553,
 *           vf_bars: [...], vf_msix: {vectors: 3, bar: 3, offset: 0}}
 *                                      vf_offset/vf_stride hold with ARI Capable
 *                                      Hierarchy clear, *_ari with it set (= the
 *                                      same unless given); initial_vfs = total_vfs;
 *                                      page_sizes = 0x553; vf_msix = 1 vector in the
 *                                      first VF BAR
 *
 *   config_dump: ../dumps/card.lspci   an lspci -xxxx file, relative to this file.
 *                                      Its device's functions 0..n-1 are the card's n
 *                                      PFs, each with its own captured config space; a
 *                                      one-function dump may be cloned with pfs: N.
 *   config_dump_device: "01:00"        the device (BB:DD or DDDD:BB:DD) to take from a
 *                                      dump of several (refused without it, listing
 *                                      them). With config_dump only description,
 *                                      sharing, pfs (a count, or per-PF mappings of
 *                                      bars, rom_size, sriov), bars and sriov.vf_bars
 *                                      (index and size only: the type bits are the
 *                                      dump's), rom_size, and sriov's vf_msix and the
 *                                      offset/stride pair of the ARI mode the dump was
 *                                      NOT captured in are allowed; everything else is
 *                                      read from the dump (card-level sriov applies to
 *                                      the functions that have SR-IOV). BARs without a
 *                                      size keep the captured value, read-only (an
 *                                      lspci dump has no BAR sizes). A bridge (type 1)
 *                                      is refused: switch port dumps model the
 *                                      chassis's virtual switch (chassis.h).
 *
 * Every card's PF and VF Routing IDs must be distinct in both ARI modes (checked).
 */
#include "profile.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pci/pci.h>

#include "config_space.h"
#include "errbuf.h"
#include "yaml_doc.h"

static uint16_t le16(const uint8_t *b, unsigned off)
{
	return (uint16_t)(b[off] | b[off + 1] << 8);
}

static uint32_t le32(const uint8_t *b, unsigned off)
{
	return (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 |
	       (uint32_t)b[off + 3] << 24;
}

/* The value of a pci/header.h field mask within a register. */
#define FIELD_GET(mask, reg) (((uint32_t)(reg) & (uint32_t)(mask)) / ((uint32_t)(mask) & -(uint32_t)(mask)))
#define HDR_LAYOUT 0x7f /* Header Type bits 6:0 (PCIe r5.0 §7.5.1.1.9) */

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* ---- helpers shared with the chassis loader ----------------------------------------- */

bool sim_name_valid(const char *s)
{
	const char *p;

	if (!*s || *s == '.' || strlen(s) >= SIM_NAME_MAX)
		return false;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return false;
	return true;
}

char *sim_path_beside(const char *file, const char *rel)
{
	const char *slash = strrchr(file, '/');
	char *out;

	if (rel[0] == '/' || !slash)
		return strdup(rel);
	if (asprintf(&out, "%.*s/%s", (int)(slash - file), file, rel) < 0)
		return NULL;
	return out;
}

int sim_yaml_link_speed(const struct yd_node *n, uint8_t *speed, char *err, size_t errlen)
{
	static const char *const names[] = { "2.5GT", "5GT", "8GT", "16GT", "32GT", "64GT" };
	const char *s = yd_scalar(n);
	char buf[16];
	size_t i, len;

	if (s && s[0] >= '1' && s[0] <= '6' && !s[1]) {
		*speed = (uint8_t)(s[0] - '0');
		return 0;
	}
	if (s && !strncasecmp(s, "gen", 3) && s[3] >= '1' && s[3] <= '6' && !s[4]) {
		*speed = (uint8_t)(s[3] - '0');
		return 0;
	}
	if (s && (len = strlen(s)) < sizeof(buf)) {
		memcpy(buf, s, len + 1);
		if (len > 2 && !strcmp(buf + len - 2, "/s"))
			buf[len - 2] = '\0';
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcasecmp(buf, names[i])) {
				*speed = (uint8_t)(i + 1);
				return 0;
			}
	}
	return yd_error(n, err, errlen,
			"expected a link speed: 1..6 (PCIe generation), gen1..gen6 or "
			"2.5GT/5GT/8GT/16GT/32GT/64GT, got \"%s\"",
			s ? s : yd_kind_name(yd_kind(n)));
}

int sim_yaml_link_width(const struct yd_node *n, uint8_t *width, char *err, size_t errlen)
{
	uint64_t v;
	int rc = yd_get_uint(n, 1, 32, &v, err, errlen);

	if (rc)
		return rc;
	if (v != 1 && v != 2 && v != 4 && v != 8 && v != 12 && v != 16 && v != 32)
		return yd_error(n, err, errlen,
				"link width %llu is not one of 1, 2, 4, 8, 12, 16, 32",
				(unsigned long long)v);
	*width = (uint8_t)v;
	return 0;
}

int sim_yaml_size(const struct yd_node *n, uint64_t *size, char *err, size_t errlen)
{
	const char *s = yd_scalar(n);
	uint64_t v = 0;
	unsigned shift = 0;
	const char *p;

	if (!s || !*s || yd_is_null(n))
		goto bad;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return yd_get_uint(n, 0, UINT64_MAX, size, err, errlen);
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		if (v > UINT64_MAX / 10 - 9)
			goto bad;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p == s)
		goto bad;
	switch (*p) {
	case '\0':
		break;
	case 'K': case 'k':
		shift = 10;
		break;
	case 'M': case 'm':
		shift = 20;
		break;
	case 'G': case 'g':
		shift = 30;
		break;
	case 'T': case 't':
		shift = 40;
		break;
	default:
		goto bad;
	}
	if (*p) {
		p++;
		if (!strcmp(p, "iB") || !strcmp(p, "B"))
			p += strlen(p);
		if (*p)
			goto bad;
	}
	if (shift && v > (UINT64_MAX >> shift))
		goto bad;
	*size = v << shift;
	return 0;
bad:
	return yd_error(n, err, errlen, "expected a size (bytes, or a number with K/M/G/T), got "
			"\"%s\"", s ? s : yd_kind_name(yd_kind(n)));
}

/* ---- lspci dump through libpci -------------------------------------------------------- */

/* libpci's error callback is noreturn and gets no context pointer, so the only way back
 * is a longjmp to a buffer the callback can find: a thread-local pointer, set only for
 * the duration of sim_profile_read_dump (PCIE-NOTES A.2). */
struct dump_ctx {
	jmp_buf jb;
	char msg[256];
};
static _Thread_local struct dump_ctx *tls_dump_ctx;

static void PCI_NONRET PCI_PRINTF(1, 2) dump_error(char *msg, ...)
{
	struct dump_ctx *ctx = tls_dump_ctx;
	va_list ap;

	va_start(ap, msg);
	vsnprintf(ctx->msg, sizeof(ctx->msg), msg, ap);
	va_end(ap);
	longjmp(ctx->jb, 1);
}

static void PCI_PRINTF(1, 2) dump_quiet(char *msg, ...)
{
	(void)msg;
}

/* One hex field of 1..max digits ending at a ':' or the end of the string. */
static const char *hex_field(const char *p, unsigned max, unsigned long *v)
{
	unsigned n = 0;

	*v = 0;
	for (; n < max && *p && *p != ':'; p++, n++) {
		int x = *p >= '0' && *p <= '9' ? *p - '0' :
			*p >= 'a' && *p <= 'f' ? *p - 'a' + 10 :
			*p >= 'A' && *p <= 'F' ? *p - 'A' + 10 : -1;

		if (x < 0)
			return NULL;
		*v = *v * 16 + (unsigned long)x;
	}
	return n && (!*p || *p == ':') ? p : NULL;
}

bool sim_dump_device_parse(const char *s, int *domain, unsigned *bus, unsigned *dev)
{
	unsigned long v[3];
	unsigned n = 0, colons = 0;
	const char *p;

	for (p = s; *p; p++)
		colons += *p == ':';
	if (colons != 1 && colons != 2)
		return false;
	for (p = s; n <= colons; n++) {
		p = hex_field(p, n == 0 && colons == 2 ? 6 : 2, &v[n]);
		if (!p)
			return false;
		if (*p)
			p++;
	}
	*domain = colons == 2 ? (int)v[0] : 0;
	*bus = (unsigned)v[colons - 1];
	*dev = (unsigned)v[colons];
	return *dev <= 0x1f;
}

static int cmp_dump_fn(const void *a, const void *b)
{
	const struct sim_dump_fn *x = a, *y = b;

	if (x->domain != y->domain)
		return x->domain < y->domain ? -1 : 1;
	if (x->bus != y->bus)
		return x->bus - y->bus;
	if (x->dev != y->dev)
		return x->dev - y->dev;
	return x->fn - y->fn;
}

static void dev_name(const struct sim_dump_fn *f, char *buf, size_t len)
{
	if (f->domain)
		snprintf(buf, len, "%04x:%02x:%02x", (unsigned)f->domain, f->bus, f->dev);
	else
		snprintf(buf, len, "%02x:%02x", f->bus, f->dev);
}

static bool same_dev(const struct sim_dump_fn *a, const struct sim_dump_fn *b)
{
	return a->domain == b->domain && a->bus == b->bus && a->dev == b->dev;
}

/* "01:00 (functions 0, 1), 02:00 (function 0)" for an error message. */
static void list_devices(const struct sim_dump_fn *f, unsigned n, char *buf, size_t len)
{
	size_t at = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < n && at < len; i++) {
		char name[24];
		bool first = !i || !same_dev(&f[i], &f[i - 1]);
		bool last = i + 1 == n || !same_dev(&f[i], &f[i + 1]);
		bool one = first && last;

		dev_name(&f[i], name, sizeof(name));
		if (first)
			at += (size_t)snprintf(buf + at, len - at, "%s%s (function%s ", i ? ", " : "",
					       name, one ? "" : "s");
		if (at < len)
			at += (size_t)snprintf(buf + at, len - at, "%s%u%s", first ? "" : ", ",
					       f[i].fn, last ? ")" : "");
	}
}

/* Every function of the dump through libpci, in file order reversed (pci_scan_bus
 * prepends). Only this part runs under the longjmp of dump_error. */
static int dump_scan(const char *path, struct sim_dump_fn **out, unsigned *n_out, char *err,
		     size_t errlen)
{
	static const int sizes[] = { FMP_CONFIG_SPACE_SIZE, 256, 64 };
	struct dump_ctx ctx;
	struct pci_access *volatile acc = NULL;
	struct sim_dump_fn *volatile fns = NULL;
	volatile unsigned n = 0;
	struct pci_dev *d;
	char name[PATH_MAX];
	volatile int rc = 0;

	if (strlen(path) >= sizeof(name)) {
		fab_seterr(err, errlen, "%s: path too long", path);
		return -EINVAL;
	}
	strcpy(name, path);
	ctx.msg[0] = '\0';
	tls_dump_ctx = &ctx;
	if (setjmp(ctx.jb)) {
		fab_seterr(err, errlen, "%s: libpci: %s", path, ctx.msg);
		rc = -EINVAL;
		goto out;
	}
	acc = pci_alloc();
	if (!acc) {
		fab_seterr(err, errlen, "%s: out of memory", path);
		rc = -ENOMEM;
		goto out;
	}
	acc->error = dump_error;
	acc->warning = dump_quiet;
	acc->debug = dump_quiet;
	acc->method = PCI_ACCESS_DUMP;
	pci_set_param(acc, "dump.name", name);
	pci_init(acc);
	pci_scan_bus(acc);
	for (d = acc->devices; d; d = d->next)
		n++;
	fns = calloc(n ? n : 1, sizeof(*fns));
	if (!fns) {
		fab_seterr(err, errlen, "%s: out of memory", path);
		rc = -ENOMEM;
		goto out;
	}
	n = 0;
	for (d = acc->devices; d; d = d->next) {
		struct sim_dump_fn *x = &fns[n++];
		unsigned k;

		x->domain = d->domain;
		x->bus = d->bus;
		x->dev = d->dev;
		x->fn = d->func;
		memset(x->cfg, 0xff, sizeof(x->cfg));
		for (k = 0; k < 3 && !x->len; k++)
			if (pci_read_block(d, 0, x->cfg, sizes[k]))
				x->len = (size_t)sizes[k];
		if (x->len < FMP_CONFIG_SPACE_SIZE)
			memset(x->cfg + x->len, 0, FMP_CONFIG_SPACE_SIZE - x->len);
	}
	*out = fns;
	*n_out = n;
	fns = NULL;
out:
	free(fns);
	if (acc)
		pci_cleanup(acc);
	tls_dump_ctx = NULL;
	return rc;
}

int sim_profile_read_dump(const char *path, const char *device, struct sim_dump_fn **out,
			  unsigned *n_out, char *err, size_t errlen)
{
	struct sim_dump_fn *fns = NULL;
	char list[512];
	unsigned sel_bus = 0, sel_dev = 0, i, k, n_all = 0, n_devs = 0, first;
	int sel_domain = 0, rc;
	FILE *f;

	*out = NULL;
	*n_out = 0;
	if (device && !sim_dump_device_parse(device, &sel_domain, &sel_bus, &sel_dev)) {
		fab_seterr(err, errlen, "device \"%s\" is not BB:DD or DDDD:BB:DD (hex)", device);
		return -EINVAL;
	}
	/* Give a clean errno for a missing file: libpci only says "cannot open". */
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		fab_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	fclose(f);
	if ((rc = dump_scan(path, &fns, &n_all, err, errlen)))
		return rc;
	if (!n_all) {
		fab_seterr(err, errlen, "%s: the dump holds 0 devices", path);
		rc = -EINVAL;
		goto out;
	}
	qsort(fns, n_all, sizeof(*fns), cmp_dump_fn);
	for (i = 0; i < n_all; i++)
		n_devs += !i || !same_dev(&fns[i], &fns[i - 1]);
	list_devices(fns, n_all, list, sizeof(list));
	/* the functions of the one device asked for (or the only one) */
	for (first = 0; device && first < n_all; first++)
		if (fns[first].domain == sel_domain && fns[first].bus == sel_bus &&
		    fns[first].dev == sel_dev)
			break;
	if (device && first == n_all) {
		fab_seterr(err, errlen, "%s: no device %s in the dump; it holds %s", path, device,
			   list);
		rc = -EINVAL;
		goto out;
	}
	if (!device) {
		first = 0;
		if (n_devs > 1) {
			fab_seterr(err, errlen,
				   "%s: the dump holds %u devices: %s; choose one with "
				   "config_dump_device: BB:DD", path, n_devs, list);
			rc = -EINVAL;
			goto out;
		}
	}
	for (k = first; k < n_all && same_dev(&fns[k], &fns[first]); k++) {
		char dn[24];

		dev_name(&fns[k], dn, sizeof(dn));
		if (fns[k].fn != k - first) {
			fab_seterr(err, errlen,
				   "%s: device %s has %s; a card's PFs are functions 0..n-1 with "
				   "none missing", path, dn, list);
			rc = -EINVAL;
			goto out;
		}
		if (fns[k].len < 64) {
			fab_seterr(err, errlen, "%s: %s.%u holds fewer than 64 bytes of config space",
				   path, dn, fns[k].fn);
			rc = -EINVAL;
			goto out;
		}
	}
	if (k - first > SIM_MAX_PFS) {
		fab_seterr(err, errlen, "%s: the device has %u functions; a card has at most %d PFs",
			   path, k - first, SIM_MAX_PFS);
		rc = -EINVAL;
		goto out;
	}
	if (first)
		memmove(fns, fns + first, (k - first) * sizeof(*fns));
	*n_out = k - first;
	*out = fns;
	fns = NULL;
out:
	free(fns);
	return rc;
}

/* ---- profile parsing ------------------------------------------------------------------ */

static const struct yd_enum sharing_names[] = {
	{ "exclusive", FMP_SHARING_EXCLUSIVE },
	{ "sr-iov", FMP_SHARING_SRIOV },
	{ "mr-iov", FMP_SHARING_MRIOV },
	{ NULL, 0 },
};

static const struct yd_enum bar_types[] = {
	{ "mem32", SIM_BAR_MEM32 },
	{ "mem64", SIM_BAR_MEM64 },
	{ "io", SIM_BAR_IO },
	{ NULL, 0 },
};

struct parse {
	bool dump;     /* config_dump mode: limited keys, types from the dump */
	bool dump_ari; /* the dump was captured with ARI Capable Hierarchy set (the PF parsed) */
	bool dump_ari_pf[SIM_MAX_PFS]; /* ... per function of the dump */
	bool dump_any_sriov;           /* some function of the dump has SR-IOV */
	char *err;
	size_t errlen;
};

static int get_u16(const struct yd_node *map, const char *key, bool req, uint16_t *out,
		   struct parse *ps)
{
	uint64_t v = *out;
	int rc = yd_map_uint(map, key, req, 0, 0xffff, &v, ps->err, ps->errlen);

	*out = (uint16_t)v;
	return rc;
}

/* bars: a sequence of {index, size, type, prefetchable}; in dump mode {index, size}
 * and the BAR must be a memory or I/O BAR in the dump (bars[] already holds its type). */
static int parse_bars(const struct yd_node *seq, struct sim_bar *bars, bool vf,
		      struct parse *ps)
{
	static const char *const keys[] = { "index", "size", "type", "prefetchable", NULL };
	static const char *const dump_keys[] = { "index", "size", NULL };
	bool seen[SIM_NUM_BARS] = { false }, upper[SIM_NUM_BARS] = { false };
	size_t i;
	int rc;

	rc = yd_expect_seq(seq, ps->err, ps->errlen);
	if (rc)
		return rc;
	if (!ps->dump)
		memset(bars, 0, SIM_NUM_BARS * sizeof(*bars));
	for (i = 0; i < yd_seq_len(seq); i++) {
		const struct yd_node *b = yd_seq_at(seq, i), *n;
		struct sim_bar bar = { 0 };
		uint64_t idx, min;
		int type = SIM_BAR_MEM32;

		rc = yd_check_keys(b, ps->dump ? dump_keys : keys, ps->err, ps->errlen);
		if (!rc)
			rc = yd_map_uint(b, "index", true, 0, SIM_NUM_BARS - 1, &idx, ps->err,
					 ps->errlen);
		if (!rc)
			rc = yd_map_require(b, "size", &n, ps->err, ps->errlen);
		if (!rc)
			rc = sim_yaml_size(n, &bar.size, ps->err, ps->errlen);
		if (rc)
			return rc;
		if (seen[idx] && upper[idx])
			return yd_error(b, ps->err, ps->errlen,
					"BAR %llu is the upper half of 64-bit BAR %llu",
					(unsigned long long)idx, (unsigned long long)idx - 1);
		if (seen[idx])
			return yd_error(yd_map_get(b, "index"), ps->err, ps->errlen,
					"BAR %llu defined twice", (unsigned long long)idx);
		if (ps->dump) {
			if (bars[idx].type == SIM_BAR_NONE)
				return yd_error(yd_map_get(b, "index"), ps->err, ps->errlen,
						"BAR %llu is not a BAR in the config dump (upper half "
						"of a 64-bit BAR?)", (unsigned long long)idx);
			bar.type = bars[idx].type;
			bar.prefetch = bars[idx].prefetch;
		} else {
			rc = yd_map_enum(b, "type", false, bar_types, &type, ps->err, ps->errlen);
			if (!rc)
				rc = yd_map_bool(b, "prefetchable", false, &bar.prefetch, ps->err,
						 ps->errlen);
			if (rc)
				return rc;
			bar.type = (uint8_t)type;
		}
		if (vf && bar.type == SIM_BAR_IO)
			return yd_error(b, ps->err, ps->errlen,
					"VF BARs are memory BARs only (PCIe r5.0 §9.3.3.14)");
		if (bar.type == SIM_BAR_IO && bar.prefetch)
			return yd_error(b, ps->err, ps->errlen, "an I/O BAR cannot be prefetchable");
		min = bar.type == SIM_BAR_IO ? 4 : 16;
		if (!is_pow2(bar.size) || bar.size < min ||
		    (bar.type == SIM_BAR_IO && bar.size > 256) ||
		    (bar.type == SIM_BAR_MEM32 && bar.size > (1ull << 31)))
			return yd_error(n, ps->err, ps->errlen,
					"BAR size must be a power of two in %s",
					bar.type == SIM_BAR_IO ? "4..256" :
					bar.type == SIM_BAR_MEM32 ? "16..2G" : "16 bytes or more");
		if (bar.type == SIM_BAR_MEM64 && !ps->dump) {
			if (idx == SIM_NUM_BARS - 1)
				return yd_error(b, ps->err, ps->errlen,
						"a 64-bit BAR cannot be BAR5 (it takes two registers)");
			if (seen[idx + 1])
				return yd_error(b, ps->err, ps->errlen,
						"64-bit BAR %llu overlaps BAR %llu",
						(unsigned long long)idx, (unsigned long long)idx + 1);
			seen[idx + 1] = upper[idx + 1] = true;
		}
		seen[idx] = true;
		bars[idx] = bar;
	}
	return 0;
}

static bool msix_fits(const struct sim_bar *bars, unsigned bar, uint32_t offset,
		      uint16_t vectors)
{
	if (bars[bar].type != SIM_BAR_MEM32 && bars[bar].type != SIM_BAR_MEM64)
		return false;
	if (!bars[bar].size) /* unknown size (dump): cannot check */
		return true;
	return sim_msix_pba_offset(offset, vectors, bars[bar].size) + ((vectors + 63u) / 64u) * 8u <=
	       bars[bar].size;
}

/* msix: {vectors, bar, offset}: the table and PBA must fit in that memory BAR. */
static int parse_msix(const struct yd_node *m, const struct sim_bar *bars, uint16_t *vectors,
		      uint8_t *bar_out, uint32_t *offset_out, struct parse *ps)
{
	static const char *const keys[] = { "vectors", "bar", "offset", NULL };
	uint64_t v, bar, offset = 0;
	int rc;

	rc = yd_check_keys(m, keys, ps->err, ps->errlen);
	if (!rc)
		rc = yd_map_uint(m, "vectors", true, 1, 2048, &v, ps->err, ps->errlen);
	if (!rc)
		rc = yd_map_uint(m, "bar", true, 0, SIM_NUM_BARS - 1, &bar, ps->err, ps->errlen);
	if (!rc)
		rc = yd_map_uint(m, "offset", false, 0, 0xfffffff8u, &offset, ps->err, ps->errlen);
	if (rc)
		return rc;
	if (offset & 7)
		return yd_error(yd_map_get(m, "offset"), ps->err, ps->errlen,
				"the MSI-X table offset must be 8-byte aligned (PCIe r5.0 §7.7.2.3)");
	if (bars[bar].type == SIM_BAR_NONE || bars[bar].type == SIM_BAR_IO)
		return yd_error(yd_map_get(m, "bar"), ps->err, ps->errlen,
				"MSI-X BAR %llu is not a memory BAR", (unsigned long long)bar);
	if (!msix_fits(bars, (unsigned)bar, (uint32_t)offset, (uint16_t)v))
		return yd_error(yd_map_get(m, "vectors"), ps->err, ps->errlen,
				"%llu MSI-X vectors do not fit in BAR %llu (%llu bytes)",
				(unsigned long long)v, (unsigned long long)bar,
				(unsigned long long)bars[bar].size);
	*vectors = (uint16_t)v;
	*bar_out = (uint8_t)bar;
	*offset_out = (uint32_t)offset;
	return 0;
}

static int first_mem_bar(const struct sim_bar *bars)
{
	int i;

	for (i = 0; i < SIM_NUM_BARS; i++)
		if (bars[i].type == SIM_BAR_MEM32 || bars[i].type == SIM_BAR_MEM64)
			return i;
	return -1;
}

/* sriov: parsed over *s (the card-level defaults when called for a PF override). */
static int parse_sriov(const struct yd_node *m, struct sim_sriov_params *s, bool override,
		       struct parse *ps)
{
	static const char *const keys[] = { "total_vfs", "initial_vfs", "vf_device", "vf_offset",
					    "vf_stride", "vf_offset_ari", "vf_stride_ari",
					    "page_sizes", "vf_bars", "vf_msix", NULL };
	static const char *const dump_keys[] = { "vf_offset", "vf_stride", "vf_offset_ari",
						 "vf_stride_ari", "vf_bars", "vf_msix", NULL };
	bool req = !override && !ps->dump;
	const struct yd_node *n;
	uint64_t v;
	int rc;

	rc = yd_check_keys(m, ps->dump ? dump_keys : keys, ps->err, ps->errlen);
	if (rc)
		return rc;
	if (!ps->dump) {
		bool had_ari = yd_map_get(m, "vf_offset_ari") || yd_map_get(m, "vf_stride_ari");

		if ((rc = get_u16(m, "total_vfs", req, &s->total_vfs, ps)) ||
		    (rc = get_u16(m, "vf_device", req, &s->vf_device, ps)) ||
		    (rc = get_u16(m, "vf_offset", req, &s->vf_offset, ps)) ||
		    (rc = get_u16(m, "vf_stride", req, &s->vf_stride, ps)))
			return rc;
		if (!override && !had_ari) {
			s->vf_offset_ari = s->vf_offset;
			s->vf_stride_ari = s->vf_stride;
		}
		if (!override)
			s->initial_vfs = s->total_vfs;
		if (!override)
			s->page_sizes = 0x553; /* PCIe r5.0 §9.3.3.12: the sizes a PF must support */
		if ((rc = get_u16(m, "initial_vfs", false, &s->initial_vfs, ps)))
			return rc;
		v = s->page_sizes;
		if ((rc = yd_map_uint(m, "page_sizes", false, 1, UINT32_MAX, &v, ps->err, ps->errlen)))
			return rc;
		s->page_sizes = (uint32_t)v;
		if (!(s->page_sizes & 1))
			return yd_error(yd_map_get(m, "page_sizes"), ps->err, ps->errlen,
					"Supported Page Sizes must include 4 KiB (bit 0)");
		if (!s->total_vfs)
			return yd_error(m, ps->err, ps->errlen, "total_vfs must be at least 1");
		if (s->initial_vfs != s->total_vfs)
			return yd_error(yd_map_get(m, "initial_vfs") ? yd_map_get(m, "initial_vfs") : m,
					ps->err, ps->errlen,
					"initial_vfs %u must equal total_vfs %u: no VF Migration "
					"(PCIe r5.0 §9.3.3.7)", s->initial_vfs, s->total_vfs);
	}
	if (ps->dump) {
		/* Only the ARI mode the dump was not captured in can be given. */
		const char *const fixed[2][2] = { { "vf_offset", "vf_stride" },
						  { "vf_offset_ari", "vf_stride_ari" } };
		int k;

		for (k = 0; k < 2; k++)
			if ((n = yd_map_get(m, fixed[ps->dump_ari][k])))
				return yd_error(n, ps->err, ps->errlen,
						"%s comes from the config dump (captured with ARI "
						"Capable Hierarchy %s); only %s can be given",
						fixed[ps->dump_ari][k], ps->dump_ari ? "set" : "clear",
						fixed[!ps->dump_ari][k]);
		if ((rc = get_u16(m, "vf_offset", false, &s->vf_offset, ps)) ||
		    (rc = get_u16(m, "vf_stride", false, &s->vf_stride, ps)))
			return rc;
	}
	if ((rc = get_u16(m, "vf_offset_ari", false, &s->vf_offset_ari, ps)) ||
	    (rc = get_u16(m, "vf_stride_ari", false, &s->vf_stride_ari, ps)))
		return rc;
	if (s->total_vfs > 1 && (!s->vf_stride || !s->vf_stride_ari))
		return yd_error(m, ps->err, ps->errlen, "VF stride must not be 0 with %u VFs",
				s->total_vfs);
	if (!s->vf_offset || !s->vf_offset_ari)
		return yd_error(m, ps->err, ps->errlen, "First VF Offset must not be 0");
	n = yd_map_get(m, "vf_bars");
	if (n && (rc = parse_bars(n, s->vf_bars, true, ps)))
		return rc;
	if (!ps->dump && first_mem_bar(s->vf_bars) < 0)
		return yd_error(n ? n : m, ps->err, ps->errlen, "at least one VF BAR is required");
	n = yd_map_get(m, "vf_msix");
	if (n)
		return parse_msix(n, s->vf_bars, &s->vf_msix_vectors, &s->vf_msix_bar,
				  &s->vf_msix_offset, ps);
	if (!s->vf_msix_vectors && first_mem_bar(s->vf_bars) >= 0) {
		/* VFs have no INTx (§9.5.1): give them at least one MSI-X vector. */
		s->vf_msix_vectors = 1;
		s->vf_msix_bar = (uint8_t)first_mem_bar(s->vf_bars);
	}
	return 0;
}

/* The PF-level keys shared by the card level and a pfs[] entry. */
static int parse_pf_keys(const struct yd_node *m, struct sim_pf_profile *pf, bool card_level,
			 struct parse *ps)
{
	const struct yd_node *n;
	int rc;

	if (!ps->dump && (rc = get_u16(m, "device", card_level, &pf->device, ps)))
		return rc;
	n = yd_map_get(m, "bars");
	if (n && (rc = parse_bars(n, pf->bars, false, ps)))
		return rc;
	if ((n = yd_map_get(m, "rom_size"))) {
		if ((rc = sim_yaml_size(n, &pf->rom_size, ps->err, ps->errlen)))
			return rc;
		if (!is_pow2(pf->rom_size) || pf->rom_size < 2048)
			return yd_error(n, ps->err, ps->errlen,
					"expansion ROM size must be a power of two of 2K or more");
	}
	if (!ps->dump && (n = yd_map_get(m, "msix")) &&
	    (rc = parse_msix(n, pf->bars, &pf->msix_vectors, &pf->msix_bar, &pf->msix_offset,
			     ps)))
		return rc;
	n = yd_map_get(m, "sriov");
	if (n && !card_level && yd_kind(n) == YD_SCALAR) {
		bool on;

		if ((rc = yd_get_bool(n, &on, ps->err, ps->errlen)))
			return rc;
		if (on)
			return yd_error(n, ps->err, ps->errlen,
					"sriov: true is meaningless; give a mapping or false");
		pf->has_sriov = false;
	} else if (n) {
		/* card-level sriov: applies to the dump's functions that have SR-IOV */
		if (ps->dump && !pf->has_sriov && card_level && ps->dump_any_sriov)
			return 0;
		if (ps->dump && !pf->has_sriov)
			return yd_error(n, ps->err, ps->errlen,
					"the config dump has no SR-IOV capability%s",
					ps->dump_any_sriov ? " in this function" : "");
		if ((rc = parse_sriov(n, &pf->sriov, !card_level && pf->has_sriov, ps)))
			return rc;
		pf->has_sriov = true;
	}
	return 0;
}

static const char *const profile_keys[] = {
	"description", "sharing", "vendor", "device", "subsystem_vendor", "subsystem_device",
	"class", "revision", "link_width", "link_speed", "pfs", "bars", "rom_size", "msix",
	"sriov", "config_dump", NULL
};
static const char *const dump_profile_keys[] = {
	"description", "sharing", "pfs", "bars", "rom_size", "sriov", "config_dump",
	"config_dump_device", NULL
};
static const char *const pf_keys[] = { "device", "bars", "rom_size", "msix", "sriov", NULL };
static const char *const dump_pf_keys[] = { "bars", "rom_size", "sriov", NULL };

/* Fills the profile's identity and PF0 from the dump's bytes (PCIe r5.0 §7.5.1). */
/* Fills PF fn from function fn of the dump (PCIe r5.0 §7.5.1), and the card's identity
 * and link from function 0. */
static int profile_from_dump(struct sim_profile *p, unsigned fn, const struct yd_node *where,
			     struct parse *ps)
{
	struct sim_pf_profile *pf = &p->pf[fn];
	const uint8_t *c = pf->dump_config;
	unsigned pcie, msix, sriov, i;

	if ((c[PCI_HEADER_TYPE] & HDR_LAYOUT) == PCI_HEADER_TYPE_BRIDGE)
		return yd_error(where, ps->err, ps->errlen,
				"%s: function %u is a PCI bridge (header type 1), not a card's "
				"endpoint; a switch port dump models the chassis's virtual switch: "
				"give it in the chassis file as usp_dump: or dsp_dump:",
				p->dump_path, fn);
	if ((c[PCI_HEADER_TYPE] & HDR_LAYOUT) != PCI_HEADER_TYPE_NORMAL)
		return yd_error(where, ps->err, ps->errlen,
				"%s: function %u: header type %u is not an endpoint (type 0)",
				p->dump_path, fn, c[PCI_HEADER_TYPE] & HDR_LAYOUT);
	if (le16(c, PCI_VENDOR_ID) == 0xffff || le16(c, PCI_VENDOR_ID) == 0)
		return yd_error(where, ps->err, ps->errlen,
				"%s: function %u: Vendor ID %04x is not a device", p->dump_path, fn,
				le16(c, PCI_VENDOR_ID));
	pf->device = le16(c, PCI_DEVICE_ID);
	pcie = sim_cfg_bytes_find_cap(c, pf->dump_len, PCI_CAP_ID_EXP);
	if (!pcie)
		return yd_error(where, ps->err, ps->errlen,
				"%s: function %u: no PCI Express capability in the dump",
				p->dump_path, fn);
	if (fn == 0) {
		p->vendor = le16(c, PCI_VENDOR_ID);
		p->revision = c[PCI_REVISION_ID];
		p->class_code = (uint32_t)c[PCI_CLASS_PROG] | (uint32_t)le16(c, PCI_CLASS_DEVICE) << 8;
		p->subsys_vendor = le16(c, PCI_SUBSYSTEM_VENDOR_ID);
		p->subsys_device = le16(c, PCI_SUBSYSTEM_ID);
		p->link_speed = (uint8_t)FIELD_GET(PCI_EXP_LNKCAP_SPEED,
						   le32(c, pcie + PCI_EXP_LNKCAP));
		p->link_width = (uint8_t)FIELD_GET(PCI_EXP_LNKCAP_WIDTH,
						   le32(c, pcie + PCI_EXP_LNKCAP));
	}

	for (i = 0; i < SIM_NUM_BARS; i++) {
		uint32_t reg = le32(c, PCI_BASE_ADDRESS_0 + 4 * i);

		if (reg & PCI_BASE_ADDRESS_SPACE_IO) {
			pf->bars[i].type = SIM_BAR_IO;
		} else if ((reg & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64 &&
			   i < SIM_NUM_BARS - 1) {
			pf->bars[i].type = SIM_BAR_MEM64;
			pf->bars[i].prefetch = reg & PCI_BASE_ADDRESS_MEM_PREFETCH;
			i++;
		} else {
			pf->bars[i].type = SIM_BAR_MEM32;
			pf->bars[i].prefetch = reg & PCI_BASE_ADDRESS_MEM_PREFETCH;
		}
	}
	msix = sim_cfg_bytes_find_cap(c, pf->dump_len, PCI_CAP_ID_MSIX);
	if (msix) {
		pf->msix_vectors = (le16(c, msix + PCI_CAP_FLAGS) & PCI_MSIX_TABSIZE) + 1;
		pf->msix_bar = le32(c, msix + PCI_MSIX_TABLE) & PCI_MSIX_BIR;
		pf->msix_offset = le32(c, msix + PCI_MSIX_TABLE) & ~(uint32_t)PCI_MSIX_BIR;
	}
	sriov = sim_cfg_bytes_find_ext_cap(c, pf->dump_len, PCI_EXT_CAP_ID_SRIOV);
	if (sriov && sriov + SIM_SRIOV_SIZEOF <= pf->dump_len) {
		struct sim_sriov_params *s = &pf->sriov;

		pf->has_sriov = true;
		ps->dump_any_sriov = true;
		s->total_vfs = le16(c, sriov + PCI_IOV_TOTALVF);
		s->initial_vfs = le16(c, sriov + PCI_IOV_INITIALVF);
		s->vf_device = le16(c, sriov + PCI_IOV_DID);
		/* The captured offset/stride hold for the captured ARI Capable Hierarchy
		 * mode; the other mode defaults to the same values unless the profile
		 * gives them (parse_sriov). */
		ps->dump_ari_pf[fn] = le16(c, sriov + PCI_IOV_CTRL) & PCI_IOV_CTRL_ARI;
		s->vf_offset = s->vf_offset_ari = le16(c, sriov + PCI_IOV_OFFSET);
		s->vf_stride = s->vf_stride_ari = le16(c, sriov + PCI_IOV_STRIDE);
		s->page_sizes = le32(c, sriov + PCI_IOV_SUPPS);
		for (i = 0; i < SIM_NUM_BARS; i++) {
			uint32_t reg = le32(c, sriov + PCI_IOV_BAR_BASE + 4 * i);

			if ((reg & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64 &&
			    i < SIM_NUM_BARS - 1) {
				s->vf_bars[i].type = SIM_BAR_MEM64;
				s->vf_bars[i].prefetch = reg & PCI_BASE_ADDRESS_MEM_PREFETCH;
				i++;
			} else if (reg) {
				s->vf_bars[i].type = SIM_BAR_MEM32;
				s->vf_bars[i].prefetch = reg & PCI_BASE_ADDRESS_MEM_PREFETCH;
			}
		}
	}
	return 0;
}

/* config_dump (n) and config_dump_device: the captured functions into p->dump_bytes and
 * each PF of the dump into p->pf[] (the PF loop of parse_profile copies them from there). */
static int read_dump(struct sim_profile *p, const struct yd_node *root, const struct yd_node *n,
		     struct parse *ps)
{
	const struct yd_node *dn = yd_map_get(root, "config_dump_device");
	const char *device = NULL;
	struct sim_dump_fn *fns = NULL;
	unsigned nf = 0, i, bus, dev;
	int domain, rc;
	char why[768];

	if (dn) {
		if ((rc = yd_get_str(dn, &device, ps->err, ps->errlen)))
			return rc;
		if (!sim_dump_device_parse(device, &domain, &bus, &dev))
			return yd_error(dn, ps->err, ps->errlen,
					"expected a device as BB:DD or DDDD:BB:DD (hex), got \"%s\"",
					device);
	}
	rc = sim_profile_read_dump(p->dump_path, device, &fns, &nf, why, sizeof(why));
	if (rc)
		return rc == -ENOMEM ? rc : yd_error(n, ps->err, ps->errlen, "%s", why);
	p->dump_bytes = malloc((size_t)nf * FMP_CONFIG_SPACE_SIZE);
	if (!p->dump_bytes) {
		free(fns);
		return -ENOMEM;
	}
	p->dump_fns = nf;
	for (i = 0; i < nf && !rc; i++) {
		memcpy(p->dump_bytes + (size_t)i * FMP_CONFIG_SPACE_SIZE, fns[i].cfg,
		       FMP_CONFIG_SPACE_SIZE);
		p->pf[i].dump_config = p->dump_bytes + (size_t)i * FMP_CONFIG_SPACE_SIZE;
		p->pf[i].dump_len = fns[i].len;
		rc = profile_from_dump(p, i, n, ps);
	}
	free(fns);
	return rc;
}

static int parse_profile(struct sim_profile *p, const struct yd_doc *doc, struct parse *ps)
{
	const struct yd_node *root = yd_root(doc), *n, *pfs;
	struct sim_pf_profile card = { 0 }, dumped[SIM_MAX_PFS];
	int sharing = 0, rc;
	uint64_t v;
	size_t i;

	if ((rc = yd_expect_map(root, ps->err, ps->errlen)))
		return rc;
	n = yd_map_get(root, "config_dump");
	if (n) {
		const char *rel;

		ps->dump = true;
		if ((rc = yd_get_str(n, &rel, ps->err, ps->errlen)))
			return rc;
		p->dump_path = sim_path_beside(p->path, rel);
		if (p->dump_path) {
			char *real = realpath(p->dump_path, NULL);

			if (real) {
				free(p->dump_path);
				p->dump_path = real;
			}
		}
		if (!p->dump_path)
			return -ENOMEM;
		if ((rc = read_dump(p, root, n, ps)))
			return rc;
	}
	if ((rc = yd_check_keys(root, ps->dump ? dump_profile_keys : profile_keys, ps->err,
				ps->errlen)))
		return rc;
	memcpy(dumped, p->pf, sizeof(dumped));
	{
		const char *desc;

		if ((rc = yd_map_str(root, "description", true, &desc, ps->err, ps->errlen)))
			return rc;
		p->description = strdup(desc);
		if (!p->description)
			return -ENOMEM;
	}
	if ((rc = yd_map_enum(root, "sharing", true, sharing_names, &sharing, ps->err, ps->errlen)))
		return rc;
	p->sharing = (uint8_t)sharing;
	if (!ps->dump) {
		if ((rc = get_u16(root, "vendor", true, &p->vendor, ps)))
			return rc;
		if (p->vendor == 0xffff || p->vendor == 0)
			return yd_error(yd_map_get(root, "vendor"), ps->err, ps->errlen,
					"vendor ID %04x is not valid", p->vendor);
		if ((rc = yd_map_uint(root, "class", true, 0, 0xffffff, &v, ps->err, ps->errlen)))
			return rc;
		p->class_code = (uint32_t)v;
		v = 0;
		if ((rc = yd_map_uint(root, "revision", false, 0, 0xff, &v, ps->err, ps->errlen)))
			return rc;
		p->revision = (uint8_t)v;
		p->link_width = 8;
		p->link_speed = FMP_SPEED_8GT;
		if ((n = yd_map_get(root, "link_width")) &&
		    (rc = sim_yaml_link_width(n, &p->link_width, ps->err, ps->errlen)))
			return rc;
		if ((n = yd_map_get(root, "link_speed")) &&
		    (rc = sim_yaml_link_speed(n, &p->link_speed, ps->err, ps->errlen)))
			return rc;
	}
	if (!ps->dump && (rc = parse_pf_keys(root, &card, true, ps)))
		return rc;
	if (!ps->dump) {
		p->subsys_vendor = p->vendor;
		p->subsys_device = card.device;
		if ((rc = get_u16(root, "subsystem_vendor", false, &p->subsys_vendor, ps)) ||
		    (rc = get_u16(root, "subsystem_device", false, &p->subsys_device, ps)))
			return rc;
	}

	pfs = yd_map_get(root, "pfs");
	p->n_pfs = ps->dump ? (uint8_t)p->dump_fns : 1;
	if (pfs && yd_kind(pfs) == YD_SCALAR) {
		if ((rc = yd_get_uint(pfs, 1, SIM_MAX_PFS, &v, ps->err, ps->errlen)))
			return rc;
		p->n_pfs = (uint8_t)v;
	} else if (pfs) {
		if ((rc = yd_expect_seq(pfs, ps->err, ps->errlen)))
			return rc;
		if (yd_seq_len(pfs) < 1 || yd_seq_len(pfs) > SIM_MAX_PFS)
			return yd_error(pfs, ps->err, ps->errlen, "a card has 1..%d PFs, not %zu",
					SIM_MAX_PFS, yd_seq_len(pfs));
		p->n_pfs = (uint8_t)yd_seq_len(pfs);
	}
	/* A one-function dump may stand for every PF (pfs clones it); a multi-function
	 * dump is the card: one PF per captured function, each from its own bytes. */
	if (ps->dump && p->dump_fns > 1 && p->n_pfs != p->dump_fns)
		return yd_error(pfs, ps->err, ps->errlen,
				"the config dump holds %u functions, so the card has %u PFs, not "
				"%u (leave pfs out)", p->dump_fns, p->dump_fns, p->n_pfs);
	for (i = 0; i < p->n_pfs; i++) {
		const struct yd_node *pm = pfs && yd_kind(pfs) == YD_SEQUENCE ? yd_seq_at(pfs, i) : NULL;

		if (ps->dump) {
			unsigned src = p->dump_fns > 1 ? (unsigned)i : 0;

			p->pf[i] = dumped[src];
			ps->dump_ari = ps->dump_ari_pf[src];
			if ((rc = parse_pf_keys(root, &p->pf[i], true, ps)))
				return rc;
		} else {
			p->pf[i] = card;
		}
		if (!pm)
			continue;
		if ((rc = yd_check_keys(pm, ps->dump ? dump_pf_keys : pf_keys, ps->err,
					ps->errlen)) ||
		    (rc = parse_pf_keys(pm, &p->pf[i], false, ps)))
			return rc;
	}
	for (i = 0; i < p->n_pfs; i++) {
		const struct sim_pf_profile *pf = &p->pf[i];
		const struct yd_node *at = pfs && yd_seq_at(pfs, i) ? yd_seq_at(pfs, i) : root;

		if (pf->msix_vectors && !ps->dump &&
		    !msix_fits(pf->bars, pf->msix_bar, pf->msix_offset, pf->msix_vectors))
			return yd_error(at, ps->err, ps->errlen,
					"pf%zu: MSI-X table of %u vectors does not fit in BAR %u", i,
					pf->msix_vectors, pf->msix_bar);
		if (pf->has_sriov && pf->sriov.vf_msix_vectors &&
		    !msix_fits(pf->sriov.vf_bars, pf->sriov.vf_msix_bar, pf->sriov.vf_msix_offset,
			       pf->sriov.vf_msix_vectors))
			return yd_error(at, ps->err, ps->errlen,
					"pf%zu: VF MSI-X table of %u vectors does not fit in VF BAR %u",
					i, pf->sriov.vf_msix_vectors, pf->sriov.vf_msix_bar);
	}

	/* Cross-field rules. */
	if (p->sharing == FMP_SHARING_SRIOV) {
		for (i = 0; i < p->n_pfs && !p->pf[i].has_sriov; i++)
			;
		if (i == p->n_pfs)
			return yd_error(yd_map_get(root, "sharing"), ps->err, ps->errlen,
					"sharing sr-iov needs a PF with SR-IOV (no sriov: given%s)",
					ps->dump ? " and none in the dump" : "");
	}
	{
		char why[256];

		rc = sim_profile_check_rids(p, why, sizeof(why));
		if (rc)
			return yd_error(pfs ? pfs : yd_map_get(root, "sriov") ? yd_map_get(root, "sriov")
									      : root,
					ps->err, ps->errlen, "%s", why);
	}
	return 0;
}

int sim_profile_check_rids(const struct sim_profile *p, char *err, size_t errlen)
{
	uint8_t *used;
	unsigned ari, pf, vf;
	int rc = 0;

	used = malloc(65536 / 8);
	if (!used) {
		fab_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (ari = 0; ari < 2 && !rc; ari++) {
		memset(used, 0, 65536 / 8);
		for (pf = 0; pf < p->n_pfs; pf++)
			used[pf / 8] |= (uint8_t)(1u << (pf % 8));
		for (pf = 0; pf < p->n_pfs && !rc; pf++) {
			const struct sim_sriov_params *s = &p->pf[pf].sriov;
			uint16_t ofs = ari ? s->vf_offset_ari : s->vf_offset;
			uint16_t stride = ari ? s->vf_stride_ari : s->vf_stride;

			if (!p->pf[pf].has_sriov)
				continue;
			for (vf = 0; vf < s->total_vfs; vf++) {
				uint32_t rid = pf + ofs + (uint32_t)stride * vf;

				if (rid > 0xffff) {
					fab_seterr(err, errlen,
						   "pf%u/vf%u: Routing ID beyond 16 bits "
						   "(offset %u, stride %u, ARI %s)", pf, vf, ofs,
						   stride, ari ? "on" : "off");
					rc = -EINVAL;
					break;
				}
				if (used[rid / 8] & (1u << (rid % 8))) {
					fab_seterr(err, errlen,
						   "pf%u/vf%u: Routing ID +%u (offset %u, "
						   "stride %u, ARI %s) collides with another "
						   "function of the card", pf, vf, rid, ofs, stride,
						   ari ? "on" : "off");
					rc = -EINVAL;
					break;
				}
				used[rid / 8] |= (uint8_t)(1u << (rid % 8));
			}
		}
	}
	free(used);
	return rc;
}

void sim_profile_free(struct sim_profile *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->path);
	free(p->description);
	free(p->dump_path);
	free(p->dump_bytes);
	free(p);
}

int sim_profile_load(const char *profiles_dir, const char *name, struct sim_profile **out,
		     char *err, size_t errlen)
{
	struct parse ps = { .dump = false, .err = err, .errlen = errlen };
	struct sim_profile *p = NULL;
	struct yd_doc *doc = NULL;
	int rc;

	*out = NULL;
	if (!sim_name_valid(name)) {
		fab_seterr_escaped(err, errlen,
				   "invalid profile name \"%s\" (letters, digits, '-', '_', '.')",
				   name);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		goto nomem;
	p->name = strdup(name);
	if (!p->name || asprintf(&p->path, "%s/%s.yaml", profiles_dir, name) < 0) {
		p->path = NULL;
		goto nomem;
	}
	rc = yd_doc_load_file(p->path, &doc, err, errlen);
	if (rc)
		goto out;
	rc = parse_profile(p, doc, &ps);
	if (rc == -ENOMEM)
		fab_seterr_escaped(err, errlen, "%s: out of memory", p->path);
	if (rc == -ENOENT)
		rc = -EINVAL; /* a missing key, not a missing profile */
out:
	yd_doc_free(doc);
	if (rc) {
		sim_profile_free(p);
		return rc;
	}
	*out = p;
	return 0;
nomem:
	sim_profile_free(p);
	fab_seterr(err, errlen, "out of memory");
	return -ENOMEM;
}
