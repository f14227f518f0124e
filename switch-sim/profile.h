/* Card profiles (configs/profiles/NAME.yaml): the identity, BARs, link and SR-IOV
 * parameters of an adapter model, from explicit keys or from a real card's lspci dump. */
#ifndef SIM_PROFILE_H
#define SIM_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fmp/fmp.h>

struct yd_node;

#define SIM_NAME_MAX FMP_NAME_MAX /* a name buffer, NUL included */
#define SIM_MAX_PFS FMP_MAX_PFS
#define SIM_NUM_BARS 6 /* type-0 BARs, and VF BARs in the SR-IOV capability */

enum sim_bar_type {
	SIM_BAR_NONE = 0,
	SIM_BAR_MEM32 = 1,
	SIM_BAR_MEM64 = 2, /* takes the next BAR register too */
	SIM_BAR_IO = 3,
};

struct sim_bar {
	uint64_t size;  /* bytes, a power of two; 0 with SIM_BAR_NONE. Dump-based profiles
			 * without a `bars:` size leave 0: the BAR keeps its captured value
			 * and is read-only. */
	uint8_t type;   /* enum sim_bar_type */
	bool prefetch;
};

/* SR-IOV capability parameters of one PF (PCIe r5.0 §9.3.3). */
struct sim_sriov_params {
	uint16_t total_vfs;
	uint16_t initial_vfs;   /* == total_vfs: no VF Migration (§9.3.3.7) */
	uint16_t vf_device;     /* VF Device ID (§9.3.3.11) */
	uint16_t vf_offset;     /* First VF Offset with ARI Capable Hierarchy clear */
	uint16_t vf_stride;
	uint16_t vf_offset_ari; /* ... and with ARI Capable Hierarchy set (§9.3.3.3.5) */
	uint16_t vf_stride_ari;
	uint32_t page_sizes;    /* Supported Page Sizes, bit n = 2^(n+12) bytes */
	uint16_t vf_msix_vectors;
	uint8_t vf_msix_bar;    /* VF BAR holding the VF MSI-X table and PBA */
	uint32_t vf_msix_offset;/* table offset in that BAR; the PBA follows */
	struct sim_bar vf_bars[SIM_NUM_BARS];
};

struct sim_pf_profile {
	uint16_t device;
	struct sim_bar bars[SIM_NUM_BARS];
	uint64_t rom_size;      /* 0: no expansion ROM */
	uint16_t msix_vectors;  /* 0: no MSI-X capability */
	uint8_t msix_bar;       /* BAR holding the MSI-X table and PBA */
	uint32_t msix_offset;   /* table offset in the BAR; the PBA follows (sim_msix_pba_offset) */
	bool has_sriov;
	struct sim_sriov_params sriov;
	/* config_dump profiles: this PF's captured config space (FMP_CONFIG_SPACE_SIZE
	 * bytes, 0 past dump_len), pointing into sim_profile.dump_bytes; NULL otherwise */
	const uint8_t *dump_config;
	size_t dump_len;     /* bytes the dump held: 64, 256 or 4096 */
};

/* A loaded profile. Everything is filled for both kinds of profile; with config_dump
 * the fields are read out of the dump, each PF's bytes kept in pf[i].dump_config. */
struct sim_profile {
	char *name;        /* "intel-82599" */
	char *path;        /* the YAML file it came from */
	char *description;
	uint8_t sharing;   /* enum fmp_sharing */
	uint16_t vendor;
	uint16_t subsys_vendor;
	uint16_t subsys_device;
	uint32_t class_code; /* base class << 16 | subclass << 8 | prog-if */
	uint8_t revision;
	uint8_t link_width;  /* lanes: 1, 2, 4, 8, 16 (32 allowed by the spec too) */
	uint8_t link_speed;  /* enum fmp_link_speed: 1 = 2.5 GT/s ... 6 = 64 GT/s */
	uint8_t n_pfs;       /* 1..SIM_MAX_PFS */
	struct sim_pf_profile pf[SIM_MAX_PFS];
	char *dump_path;     /* config_dump resolved against the profile's directory, or NULL */
	uint8_t *dump_bytes; /* dump_fns x FMP_CONFIG_SPACE_SIZE: the device's functions */
	unsigned dump_fns;   /* functions of the device in the dump (1: pfs may clone it) */
};

/* Loads PROFILES_DIR/NAME.yaml. NAME is [A-Za-z0-9._-]+ and does not start with '.'.
 * Returns 0, -errno of reading the file (-ENOENT: no such profile; -EFBIG past 1 MiB),
 * -EINVAL (any content error, message at FILE:LINE:COLUMN with the key path), -ENOMEM.
 * *out is freed with sim_profile_free. */
int sim_profile_load(const char *profiles_dir, const char *name, struct sim_profile **out,
		     char *err, size_t errlen);
void sim_profile_free(struct sim_profile *p); /* NULL is a no-op */

/* One function of a dump. */
struct sim_dump_fn {
	int domain;
	uint8_t bus, dev, fn;
	size_t len;                         /* bytes the dump held: 64, 256 or 4096 */
	uint8_t cfg[FMP_CONFIG_SPACE_SIZE]; /* bytes the dump lacks are 0 */
};

/* Reads the functions of one device of an `lspci -x/-xxx/-xxxx` text file through libpci's
 * dump access method, in function order. device ("BB:DD" or "DDDD:BB:DD", hex) picks the
 * device; NULL: the dump must hold exactly one. libpci errors are caught (never exit()).
 * *out is malloc'd (*n entries, free() it). Returns 0, -ENOENT, -ENOMEM or -EINVAL:
 * malformed dump, no device, several devices and no device given or none matching (err
 * lists what the dump holds), functions other than 0..n-1, more than SIM_MAX_PFS. */
int sim_profile_read_dump(const char *path, const char *device, struct sim_dump_fn **out,
			  unsigned *n, char *err, size_t errlen);
/* Parses "BB:DD" or "DDDD:BB:DD" (hex; device 0..1f). */
bool sim_dump_device_parse(const char *s, int *domain, unsigned *bus, unsigned *dev);

/* The RID of each PF and each of its TotalVFs VFs, relative to PF0, in both ARI modes:
 * 0, or -EINVAL naming the two functions that would share a Routing ID. */
int sim_profile_check_rids(const struct sim_profile *p, char *err, size_t errlen);

/* Helpers shared with the chassis loader. A name (profile, chassis, host port, card) is
 * 1..SIM_NAME_MAX - 1 of A-Z a-z 0-9 '-' '_' '.', not starting with '.': no '/' or ':',
 * which separate CHASSIS:CARD/pfN/vfM. sim_path_beside resolves rel against the
 * directory holding file (rel as is when absolute, or when file has no '/'); malloc'd,
 * NULL when out of memory. */
bool sim_name_valid(const char *s);
char *sim_path_beside(const char *file, const char *rel);

/* YAML helpers shared with the chassis loader. A link speed is a generation 1..6
 * or "2.5GT", "5GT", "8GT", "16GT", "32GT", "64GT" (an optional "/s" allowed), or
 * "gen1".."gen6"; the result is an enum fmp_link_speed. A link width is one of
 * 1, 2, 4, 8, 12, 16, 32. A size is an integer or a number with K, M, G or T
 * (binary, optional "iB"), e.g. 512K, 16KiB, 4M. */
int sim_yaml_link_speed(const struct yd_node *n, uint8_t *speed, char *err, size_t errlen);
int sim_yaml_link_width(const struct yd_node *n, uint8_t *width, char *err, size_t errlen);
int sim_yaml_size(const struct yd_node *n, uint64_t *size, char *err, size_t errlen);

#endif
