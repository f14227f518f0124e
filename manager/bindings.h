/* bindings: the declarative bindings file of `fabric-ctl apply` / `export` — per host, the
 * functions it should have (by name or by count of a card's VFs) with optional QoS; its
 * loader (common/yaml_doc.h) and its writer. */
#ifndef FM_BINDINGS_H
#define FM_BINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The file (configs/bindings.yaml is the annotated example):
 *
 *   bindings:                          # required: host -> what it should have
 *     web1:                            # a host name, or CHASSIS:HOST
 *       - nic0/pf0/vf0                 # a function by name (CARD/pfN[/vfM], slotK/...)
 *       - function: nic0/pf0/vf1       # the same with QoS
 *         qos: { min_gbps: 2.5, max_gbps: 10 }
 *       - { card: nvme0, count: 2 }    # any 2 VFs of an sr-iov card (stable across applies)
 *     web2:
 *       - fc0                          # an exclusive card, whole (same as fc0/pf0)
 *     web3: []                         # nothing (with --prune: whatever it has goes)
 *
 * qos: min_gbps is the guaranteed floor, max_gbps the cap, both Gb/s as plain decimals with
 * at most 3 decimals (1 Mb/s resolution), either may be left out; min_gbps <= max_gbps.
 * Counts are 1..FM_BINDINGS_MAX_COUNT. A function named twice (under one host or two) is
 * an error at its second mention; names that only resolve to the same function (slot1/pf0
 * and nic0/pf0) are caught by the planner. Every error reads "FILE:LINE:COLUMN: PATH:
 * message", PATH like "bindings.web1[2].qos.min_gbps".
 */

#define FM_BINDINGS_MAX_COUNT 4096        /* FM_INV_MAX_VFS: no PF has more VFs */
#define FM_BINDINGS_MAX_MBPS 2048000u     /* 2048 Gb/s: more than a x32 64 GT/s link */
#define FM_BINDINGS_MAX_ENTRIES 65536

/* Per-binding QoS in Mb/s; 0 = none (no floor / no cap). */
struct fm_qos {
	uint32_t min_mbps, max_mbps;
};

/* One wanted binding: a function by name, or count VFs of card. */
struct fm_bindings_entry {
	char *host;        /* as written */
	char *function;    /* NULL for a count entry */
	char *card;        /* count entries */
	unsigned count;
	struct fm_qos qos;
	char where[160];   /* "FILE:LINE:COLUMN: bindings.web1[2]": messages about the entry */
};

struct fm_bindings {
	char *name;                 /* file name as messages print it */
	struct fm_bindings_entry *v;
	size_t n, cap;
	char **hosts;               /* every host key, in file order (web3: [] included) */
	size_t n_hosts;
};

/* Loads a bindings file from memory; name is what messages print as FILE. 0, or -EINVAL /
 * -ERANGE / -EFBIG / -ENOMEM with err set. *out is freed with fm_bindings_free. */
int fm_bindings_load_string(const char *name, const char *text, size_t len,
			    struct fm_bindings **out, char *err, size_t errlen);
int fm_bindings_load_file(const char *path, struct fm_bindings **out, char *err, size_t errlen);
void fm_bindings_free(struct fm_bindings *b); /* NULL is a no-op */

/* Building one (for export): an empty set, then entries in the order they should print. */
struct fm_bindings *fm_bindings_new(const char *name);
/* Adds host (kept, even without entries) and, with function or card, one entry. 0/-ENOMEM. */
int fm_bindings_add(struct fm_bindings *b, const char *host, const char *function,
		    const char *card, unsigned count, const struct fm_qos *qos);

/* The file's text (malloc'd, NUL-terminated; the caller frees), with header as a leading
 * comment (may be NULL). The result loads back to the same entries. NULL on ENOMEM. */
char *fm_bindings_format(const struct fm_bindings *b, const char *header);

/* "2.5" for 2500 Mb/s: Gb/s with no trailing zeros. */
void fm_qos_gbps_text(uint32_t mbps, char *buf, size_t len);

#endif
