/* Config-space decoding with libpci: one pci_access per decoder on the dump method, each
 * function's bytes handed to libpci as the device's cache (PCIE-NOTES A.4), libpci errors trapped. */
#include "errbuf.h"
#include "pci_decode.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pci/pci.h>

/* SR-IOV capability length: lspci also needs all 64 bytes before decoding it. */
#define SRIOV_CAP_LEN (PCI_IOV_MSAO + 4)
#define DSN_CAP_LEN 12

struct fm_pci {
	struct pci_access *acc;
	struct pci_dev *dev;          /* only during fm_pci_decode */
	sigjmp_buf jmp;               /* where a libpci error lands */
	bool names_ok;
	char names_err[256];
	char errmsg[256];
	uint8_t cfg[FM_PCI_CFG_SIZE]; /* the device cache libpci reads; 0xff past the input */
};

/* libpci's error callback takes no context pointer and must not return, so the decoder
 * inside a libpci call is found here. The only mutable static in fabricd's library code:
 * thread-local, non-NULL only for the duration of one guarded libpci call. */
static _Thread_local struct fm_pci *pci_guard;

static void on_pci_error(char *fmt, ...) PCI_PRINTF(1, 2) PCI_NONRET;
static void on_pci_warning(char *fmt, ...) PCI_PRINTF(1, 2);
static void on_pci_debug(char *fmt, ...) PCI_PRINTF(1, 2);

static void on_pci_error(char *fmt, ...)
{
	struct fm_pci *dec = pci_guard;
	va_list ap;
	size_t n;

	/* Every libpci call in this file is guarded; getting here unguarded is a bug in this
	 * file, and libpci's default (exit(1)) would be worse than a core dump. */
	if (!dec)
		abort();
	va_start(ap, fmt);
	vsnprintf(dec->errmsg, sizeof(dec->errmsg), fmt, ap);
	va_end(ap);
	n = strlen(dec->errmsg);
	while (n && dec->errmsg[n - 1] == '\n')
		dec->errmsg[--n] = '\0';
	pci_guard = NULL;
	siglongjmp(dec->jmp, 1);
}

/* libpci warns about its name cache and hwdb, which we do not use; nothing to act on. */
static void on_pci_warning(char *fmt, ...)
{
	(void)fmt;
}

static void on_pci_debug(char *fmt, ...)
{
	(void)fmt;
}


/* Loads the name list now; on a parse error libpci calls the error handler, which lands in
 * the sigsetjmp below, and the half-built list is dropped. */
static void load_names(struct fm_pci *dec)
{
	const char *path = dec->acc->id_file_name;

	dec->names_ok = false;
	pci_guard = dec;
	if (sigsetjmp(dec->jmp, 0)) {
		snprintf(dec->names_err, sizeof(dec->names_err), "%s", dec->errmsg);
		pci_guard = dec;
		if (sigsetjmp(dec->jmp, 0) == 0)
			pci_free_name_list(dec->acc);
		pci_guard = NULL;
		return;
	}
	if (!pci_load_name_list(dec->acc)) {
		pci_guard = NULL;
		snprintf(dec->names_err, sizeof(dec->names_err), "cannot open the PCI ID list %s",
			 path ? path : "(default)");
		return;
	}
	pci_guard = NULL;
	dec->names_ok = true;
}

/* pci_init on the dump method, guarded: a separate frame so that nothing the longjmp
 * returns to was modified after sigsetjmp. */
static int init_access(struct fm_pci *dec, char *empty, char *err, size_t errlen)
{
	pci_guard = dec;
	if (sigsetjmp(dec->jmp, 0)) {
		fab_seterr(err, errlen, "pci decoder: libpci: %s", dec->errmsg);
		return -EIO;
	}
	if (pci_set_param(dec->acc, "dump.name", empty) != 0) {
		pci_guard = NULL;
		fab_seterr(err, errlen, "pci decoder: this libpci has no dump access method");
		return -ENOTSUP;
	}
	pci_init(dec->acc);
	pci_guard = NULL;
	return 0;
}

static void cleanup_access(struct fm_pci *dec)
{
	pci_guard = dec;
	if (sigsetjmp(dec->jmp, 0) == 0)
		pci_cleanup(dec->acc);
	pci_guard = NULL;
}

struct fm_pci *fm_pci_new(const char *ids_path, char *err, size_t errlen)
{
	struct fm_pci *dec;
	char empty[64];
	const char *tmp = getenv("TMPDIR");
	char *ids = NULL;
	int fd;

	dec = calloc(1, sizeof(*dec));
	if (!dec) {
		fab_seterr(err, errlen, "pci decoder: out of memory");
		return NULL;
	}
	if (!tmp || !*tmp || strlen(tmp) > sizeof(empty) - 20)
		tmp = "/tmp";
	snprintf(empty, sizeof(empty), "%s/fabricd-pci-XXXXXX", tmp);
	fd = mkstemp(empty);
	if (fd < 0) {
		fab_seterr(err, errlen, "pci decoder: creating the empty dump file %s: %s", empty,
		    strerror(errno));
		goto err_free;
	}
	close(fd);
	if (ids_path && !(ids = strdup(ids_path))) {
		fab_seterr(err, errlen, "pci decoder: out of memory");
		goto err_unlink;
	}

	dec->acc = pci_alloc();
	if (!dec->acc) {
		fab_seterr(err, errlen, "pci decoder: pci_alloc failed");
		goto err_unlink;
	}
	/* Before pci_init: the default handler prints and calls exit(1). */
	dec->acc->error = on_pci_error;
	dec->acc->warning = on_pci_warning;
	dec->acc->debug = on_pci_debug;
	dec->acc->method = PCI_ACCESS_DUMP;
	/* No ~/.pciids-cache, no DNS: names come from pci.ids only. */
	dec->acc->id_lookup_mode = 0;
	dec->acc->numeric_ids = 0;
	if (ids) {
		pci_set_name_list_path(dec->acc, ids, 1); /* pci_cleanup frees it */
		ids = NULL;
	}
	if (init_access(dec, empty, err, errlen))
		goto err_cleanup;
	/* dump_init has read the (empty) file and closed it. */
	unlink(empty);

	load_names(dec);
	return dec;

err_cleanup:
	cleanup_access(dec);
err_unlink:
	unlink(empty);
err_free:
	free(ids);
	free(dec);
	return NULL;
}

void fm_pci_free(struct fm_pci *dec)
{
	if (!dec)
		return;
	cleanup_access(dec);
	free(dec);
}

const char *fm_pci_names_error(const struct fm_pci *dec)
{
	if (!dec)
		return "no decoder";
	return dec->names_ok ? NULL : dec->names_err;
}

const char *fm_pci_last_error(const struct fm_pci *dec)
{
	return dec ? dec->errmsg : "";
}

static void reverse_caps(struct fm_pci_cap *c, unsigned int n)
{
	for (unsigned int i = 0; i < n / 2; i++) {
		struct fm_pci_cap t = c[i];

		c[i] = c[n - 1 - i];
		c[n - 1 - i] = t;
	}
}

/* Copies libpci's capability list in chain order. libpci 3.9.0 appends to the list while
 * older and some later trees prepend, so the order is read from the data: the chain starts
 * at the Capabilities Pointer (standard) or at 0x100 (extended). */
static void collect_caps(struct fm_pci *dec, struct fm_pci_info *out)
{
	unsigned int ns = 0, ne = 0, total_ext = 0;
	unsigned int std_head = pci_read_byte(dec->dev, PCI_CAPABILITY_LIST) & ~3u;

	for (struct pci_cap *c = dec->dev->first_cap; c; c = c->next) {
		if (c->type == PCI_CAP_NORMAL && ns < FM_PCI_MAX_CAPS) {
			out->caps[ns++] = (struct fm_pci_cap){ .id = c->id, .offset = (uint16_t)c->addr };
		} else if (c->type == PCI_CAP_EXTENDED) {
			total_ext++;
			if (ne < FM_PCI_MAX_EXT_CAPS) {
				uint32_t hdr = pci_read_long(dec->dev, c->addr & ~3u);

				out->ext_caps[ne++] = (struct fm_pci_cap){
					.id = c->id, .offset = (uint16_t)c->addr,
					.version = (hdr >> 16) & 0xf };
			}
		}
	}
	if (ns > 1 && out->caps[0].offset != std_head)
		reverse_caps(out->caps, ns);
	if (ne > 1 && out->ext_caps[0].offset != 0x100)
		reverse_caps(out->ext_caps, ne);
	out->ncaps = ns;
	out->next_caps = ne;
	/* Over 64 means a bogus chain; loop protection in libpci bounds it at 960. */
	out->ext_caps_truncated = total_ext > FM_PCI_MAX_EXT_CAPS;
}

/* The decoding proper; runs with pci_guard set and dec->dev allocated. */
static void decode_dev(struct fm_pci *dec, struct fm_pci_info *out)
{
	struct pci_dev *d = dec->dev;
	struct pci_cap *cap;
	uint8_t hdr;

	pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_SUBSYS |
				 PCI_FILL_CAPS | PCI_FILL_EXT_CAPS);
	out->vendor = d->vendor_id;
	out->device = d->device_id;
	out->ids_valid = d->vendor_id != 0xffff && d->vendor_id != 0x0000;
	out->subsys_vendor = d->subsys_vendor_id;
	out->subsys_device = d->subsys_id;
	out->class_code = ((uint32_t)d->device_class << 8) | d->prog_if;
	out->revision = d->rev_id;
	hdr = pci_read_byte(d, PCI_HEADER_TYPE);
	out->header_type = hdr & 0x7f;
	out->multifunction = hdr & 0x80;
	out->is_bridge = out->header_type == PCI_HEADER_TYPE_BRIDGE;

	collect_caps(dec, out);

	cap = pci_find_cap(d, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
	if (cap && cap->addr + PCI_EXP_FLAGS + 2 <= out->cfg_len) {
		uint16_t flags = pci_read_word(d, cap->addr + PCI_EXP_FLAGS);

		out->port_type = (enum fm_pci_port_type)((flags & PCI_EXP_FLAGS_TYPE) >> 4);
		out->slot_implemented = flags & PCI_EXP_FLAGS_SLOT;
	}
	if (cap && cap->addr + PCI_EXP_LNKSTA + 2 <= out->cfg_len) {
		uint16_t lnksta = pci_read_word(d, cap->addr + PCI_EXP_LNKSTA);

		/* Current Link Speed indexes the Supported Link Speeds Vector (§7.5.3.18), whose
		 * bit n is generation n + 1 on every device the spec allows: read as a generation */
		out->link_speed = (uint8_t)(lnksta & PCI_EXP_LNKSTA_SPEED);
		out->link_width = (uint8_t)((lnksta & PCI_EXP_LNKSTA_WIDTH) >> 4);
	}

	cap = pci_find_cap(d, PCI_EXT_CAP_ID_SRIOV, PCI_CAP_EXTENDED);
	if (cap && cap->addr + SRIOV_CAP_LEN <= out->cfg_len) {
		struct fm_pci_sriov *s = &out->sriov;

		s->present = true;
		s->offset = (uint16_t)cap->addr;
		s->control = pci_read_word(d, cap->addr + PCI_IOV_CTRL);
		s->initial_vfs = pci_read_word(d, cap->addr + PCI_IOV_INITIALVF);
		s->total_vfs = pci_read_word(d, cap->addr + PCI_IOV_TOTALVF);
		s->num_vfs = pci_read_word(d, cap->addr + PCI_IOV_NUMVF);
		s->vf_offset = pci_read_word(d, cap->addr + PCI_IOV_OFFSET);
		s->vf_stride = pci_read_word(d, cap->addr + PCI_IOV_STRIDE);
		s->vf_device = pci_read_word(d, cap->addr + PCI_IOV_DID);
	}

	/* PCIe r5.0 §7.9.3: Serial Number Register, lower dword at +4, upper at +8. */
	cap = pci_find_cap(d, PCI_EXT_CAP_ID_DSN, PCI_CAP_EXTENDED);
	if (cap && cap->addr + DSN_CAP_LEN <= out->cfg_len) {
		out->has_dsn = true;
		out->dsn = ((uint64_t)pci_read_long(d, cap->addr + 8) << 32) |
			   pci_read_long(d, cap->addr + 4);
	}
}

int fm_pci_decode(struct fm_pci *dec, const uint8_t *cfg, size_t len, struct fm_pci_info *out)
{
	if (!dec || !out || (!cfg && len))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->port_type = FM_PCI_PORT_NONE;
	dec->errmsg[0] = '\0';
	if (len == 0) {
		out->vendor = out->device = 0xffff;
		snprintf(dec->errmsg, sizeof(dec->errmsg), "empty config space");
		return -ENODATA;
	}
	if (len > FM_PCI_CFG_SIZE)
		len = FM_PCI_CFG_SIZE;
	/* A private copy: libpci's cache pointer is not const, and padding with all-ones makes
	 * every read stay in the cache, answering like a function that is not there. */
	memcpy(dec->cfg, cfg, len);
	memset(dec->cfg + len, 0xff, FM_PCI_CFG_SIZE - len);
	out->cfg_len = len;

	pci_guard = dec;
	if (sigsetjmp(dec->jmp, 0)) {
		/* Only dec's fields are used here: they live outside this frame. */
		if (dec->dev) {
			pci_guard = dec;
			if (sigsetjmp(dec->jmp, 0) == 0)
				pci_free_dev(dec->dev);
			pci_guard = NULL;
			dec->dev = NULL;
		}
		return -EIO;
	}
	dec->dev = pci_get_dev(dec->acc, 0, 0, 0, 0);
	pci_setup_cache(dec->dev, dec->cfg, FM_PCI_CFG_SIZE);
	decode_dev(dec, out);
	pci_free_dev(dec->dev);
	dec->dev = NULL;
	pci_guard = NULL;
	return 0;
}

/* ---- names ---------------------------------------------------------------------------- */

enum name_kind { NAME_VENDOR, NAME_DEVICE, NAME_CLASS };

static int lookup(struct fm_pci *dec, enum name_kind kind, int a, int b, char *buf, size_t len)
{
	/* NO_NUMBERS: NULL when unknown, so the fallback below is ours; NO_HWDB: pci.ids only,
	 * the same answer on every machine that ships the same file. */
	const int flags = PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB;
	char tmp[256];
	const char *name = NULL;

	if (!dec || !buf || !len)
		return -EINVAL;
	if (dec->names_ok) {
		pci_guard = dec;
		if (sigsetjmp(dec->jmp, 0)) {
			/* Should not happen once the list loaded; keep going without names. */
			dec->names_ok = false;
			snprintf(dec->names_err, sizeof(dec->names_err), "%s", dec->errmsg);
			name = NULL;
		} else {
			switch (kind) {
			case NAME_VENDOR:
				name = pci_lookup_name(dec->acc, tmp, sizeof(tmp),
						       flags | PCI_LOOKUP_VENDOR, a);
				break;
			case NAME_DEVICE:
				name = pci_lookup_name(dec->acc, tmp, sizeof(tmp),
						       flags | PCI_LOOKUP_DEVICE, a, b);
				break;
			case NAME_CLASS:
				name = pci_lookup_name(dec->acc, tmp, sizeof(tmp),
						       flags | PCI_LOOKUP_CLASS, a);
				break;
			}
			pci_guard = NULL;
		}
	}
	if (name) {
		snprintf(buf, len, "%s", name);
		return 0;
	}
	/* lspci's own wording for unknown IDs */
	switch (kind) {
	case NAME_VENDOR:
		snprintf(buf, len, "Vendor %04x", (unsigned int)a);
		break;
	case NAME_DEVICE:
		snprintf(buf, len, "Device %04x", (unsigned int)b);
		break;
	case NAME_CLASS:
		snprintf(buf, len, "Class %04x", (unsigned int)a);
		break;
	}
	return -ENOENT;
}

int fm_pci_vendor_name(struct fm_pci *dec, uint16_t vendor, char *buf, size_t len)
{
	return lookup(dec, NAME_VENDOR, vendor, 0, buf, len);
}

int fm_pci_device_name(struct fm_pci *dec, uint16_t vendor, uint16_t device, char *buf, size_t len)
{
	return lookup(dec, NAME_DEVICE, vendor, device, buf, len);
}

int fm_pci_class_name(struct fm_pci *dec, uint32_t class_code, char *buf, size_t len)
{
	return lookup(dec, NAME_CLASS, (int)((class_code >> 8) & 0xffff), 0, buf, len);
}

const char *fm_pci_port_type_name(enum fm_pci_port_type type)
{
	switch (type) {
	case FM_PCI_PORT_NONE:
		return "none";
	case FM_PCI_PORT_ENDPOINT:
		return "Endpoint";
	case FM_PCI_PORT_LEGACY_ENDPOINT:
		return "Legacy Endpoint";
	case FM_PCI_PORT_ROOT_PORT:
		return "Root Port";
	case FM_PCI_PORT_UPSTREAM:
		return "Upstream Port";
	case FM_PCI_PORT_DOWNSTREAM:
		return "Downstream Port";
	case FM_PCI_PORT_PCIE_TO_PCI:
		return "PCI-Express to PCI/PCI-X Bridge";
	case FM_PCI_PORT_PCI_TO_PCIE:
		return "PCI/PCI-X to PCI-Express Bridge";
	case FM_PCI_PORT_RCIEP:
		return "Root Complex Integrated Endpoint";
	case FM_PCI_PORT_RCEC:
		return "Root Complex Event Collector";
	}
	return "unknown";
}

int fm_pci_dsn_format(uint64_t dsn, char *buf, size_t len)
{
	if (!buf || len < 24)
		return -EINVAL;
	/* Most significant byte first, as lspci prints the Serial Number. */
	snprintf(buf, len, "%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x",
		 (unsigned int)(dsn >> 56) & 0xff, (unsigned int)(dsn >> 48) & 0xff,
		 (unsigned int)(dsn >> 40) & 0xff, (unsigned int)(dsn >> 32) & 0xff,
		 (unsigned int)(dsn >> 24) & 0xff, (unsigned int)(dsn >> 16) & 0xff,
		 (unsigned int)(dsn >> 8) & 0xff, (unsigned int)dsn & 0xff);
	return 0;
}
