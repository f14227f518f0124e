/* Config-space decoding for fabricd: bytes read from a switch (READ_CONFIG) go through libpci's
 * own parsers (PCIE-NOTES A.4) and come out as IDs, capabilities, SR-IOV, DSN and pci.ids names. */
#ifndef FM_PCI_DECODE_H
#define FM_PCI_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FM_PCI_CFG_SIZE 4096    /* PCIe extended configuration space of one function */
#define FM_PCI_MAX_CAPS 64      /* one per dword of the 256-byte space: libpci visits each once */
#define FM_PCI_MAX_EXT_CAPS 64

struct fm_pci;

struct fm_pci_cap {
	uint16_t id;
	uint16_t offset;
	uint8_t version; /* extended capabilities only (header bits 19:16) */
};

/* PCI Express Capabilities register, Device/Port Type (PCIe r5.0 §7.5.3.2). */
enum fm_pci_port_type {
	FM_PCI_PORT_NONE = -1, /* no PCI Express capability */
	FM_PCI_PORT_ENDPOINT = 0,
	FM_PCI_PORT_LEGACY_ENDPOINT = 1,
	FM_PCI_PORT_ROOT_PORT = 4,
	FM_PCI_PORT_UPSTREAM = 5,
	FM_PCI_PORT_DOWNSTREAM = 6,
	FM_PCI_PORT_PCIE_TO_PCI = 7,
	FM_PCI_PORT_PCI_TO_PCIE = 8,
	FM_PCI_PORT_RCIEP = 9,
	FM_PCI_PORT_RCEC = 10,
};

/* SR-IOV extended capability (PCIe r5.0 §9.3.3); present only if all of it is in the buffer. */
struct fm_pci_sriov {
	bool present;
	uint16_t offset;  /* of the capability in config space */
	uint16_t control; /* SR-IOV Control: VF Enable, VF MSE, ARI Capable Hierarchy */
	uint16_t initial_vfs;
	uint16_t total_vfs;
	uint16_t num_vfs;
	uint16_t vf_offset; /* First VF Offset */
	uint16_t vf_stride;
	uint16_t vf_device; /* VF Device ID */
};

struct fm_pci_info {
	size_t cfg_len; /* bytes decoded; the rest of the 4 KiB reads as all-ones */
	/* Vendor ID is neither 0xffff nor 0x0000. False for an absent function, and also for
	 * an SR-IOV VF read from the chassis side (its ID registers read 0xffff, PCIe §9.3.4.1):
	 * the other fields are still decoded. */
	bool ids_valid;
	uint16_t vendor;
	uint16_t device;
	uint16_t subsys_vendor; /* type 1 headers: from the SSVID capability, 0 if none */
	uint16_t subsys_device;
	uint32_t class_code;    /* 24 bits: base class, subclass, programming interface */
	uint8_t revision;
	uint8_t header_type;    /* bits 6:0 of Header Type: 0 normal, 1 PCI-PCI bridge, 2 CardBus */
	bool multifunction;
	bool is_bridge;         /* header type 1 */
	unsigned int ncaps;     /* standard capabilities, in list order */
	struct fm_pci_cap caps[FM_PCI_MAX_CAPS];
	unsigned int next_caps; /* extended capabilities, in list order */
	struct fm_pci_cap ext_caps[FM_PCI_MAX_EXT_CAPS];
	bool ext_caps_truncated; /* more than FM_PCI_MAX_EXT_CAPS in the chain */
	enum fm_pci_port_type port_type;
	bool slot_implemented;  /* PCIe Capabilities bit 8: a root/downstream port with a slot */
	/* Link Status (PCIe r5.0 §7.5.3.8), the link as trained: Negotiated Link Width (lanes)
	 * and Current Link Speed (1 2.5 GT/s ... 6 64 GT/s, the values of enum fmp_link_speed);
	 * 0 and 0 without a PCI Express capability */
	uint8_t link_width, link_speed;
	struct fm_pci_sriov sriov;
	bool has_dsn;
	uint64_t dsn;           /* Device Serial Number, upper dword at +8, lower at +4 */
};

/* Makes a decoder: one libpci access object (dump method on an empty file, created in
 * $TMPDIR or /tmp and removed once libpci has read it), with names from ids_path, or from
 * libpci's default pci.ids when NULL. The name list is loaded here, not on first lookup, so
 * the loop never stalls on it. A missing or malformed pci.ids does not fail this call:
 * names then fall back to numbers and fm_pci_names_error() says why.
 * Returns the decoder, or NULL with a message in err. Free with fm_pci_free(). */
struct fm_pci *fm_pci_new(const char *ids_path, char *err, size_t errlen);
void fm_pci_free(struct fm_pci *dec); /* NULL: no-op */

/* NULL if the name list loaded, else why not (e.g. "Parse error at FILE, line N"). */
const char *fm_pci_names_error(const struct fm_pci *dec);

/* Decodes len bytes of one function's config space (offset 0 onward; past 4096 ignored;
 * bytes not given read as 0xff, as for a function that does not answer). The buffer is only
 * read during the call. Returns 0, -ENODATA for an empty buffer (out says "no function"),
 * -EINVAL for bad arguments, -EIO if libpci failed (message in fm_pci_last_error()). */
int fm_pci_decode(struct fm_pci *dec, const uint8_t *cfg, size_t len, struct fm_pci_info *out);

/* Message of the last failure on dec ("" if none). */
const char *fm_pci_last_error(const struct fm_pci *dec);

/* Names from pci.ids into buf (always NUL-terminated, truncated to fit). Return 0 when
 * found; -ENOENT when not found (or no name list), having written lspci's numeric fallback
 * ("Vendor 8086", "Device 10c9", "Class 0200"); -EINVAL for bad arguments. */
int fm_pci_vendor_name(struct fm_pci *dec, uint16_t vendor, char *buf, size_t len);
int fm_pci_device_name(struct fm_pci *dec, uint16_t vendor, uint16_t device, char *buf, size_t len);
/* class_code: 24 bits as in fm_pci_info; named by base class + subclass. */
int fm_pci_class_name(struct fm_pci *dec, uint32_t class_code, char *buf, size_t len);

/* "Endpoint", "Downstream Port"...; "none" for FM_PCI_PORT_NONE, "unknown" otherwise. */
const char *fm_pci_port_type_name(enum fm_pci_port_type type);

/* A DSN as lspci prints it and as fabricd keys bindings: "00-1b-21-ff-ff-2b-46-e0".
 * buf needs 24 bytes; returns 0 or -EINVAL (too small). */
int fm_pci_dsn_format(uint64_t dsn, char *buf, size_t len);

#endif
