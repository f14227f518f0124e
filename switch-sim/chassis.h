/* The chassis YAML (DESIGN.md "The chassis YAML") parsed into a plain description:
 * identity, endpoints, host ports, slots and cards, with their profiles loaded. */
#ifndef SIM_CHASSIS_H
#define SIM_CHASSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <fmp/fmp.h>

#include "endpoint.h"
#include "profile.h"

/* Chassis file schema (unknown keys are errors; "=" gives a default; a null value is an
 * error except for card; the YAML rules — UTF-8, no tags, anchors, aliases or tabs,
 * nesting at most 64 deep — are common/yaml_doc.h's, as for profiles and fabric.yaml):
 *
 *   name: rack1                    required; [A-Za-z0-9_.-], the CHASSIS: prefix
 *   model: "MRS-4000"              = "mriov-sim"
 *   serial: "SN0001"               = ""
 *   dsn: 00-10-b5-ff-ff-87-49-01   = 0; Device Serial Number of the upstream ports
 *   management: unix:PATH          required; or tcp:127.0.0.1:PORT
 *   bench: unix:PATH               optional, same syntax
 *   profiles: ../profiles          required; relative to this file
 *   usp_dump: ../dumps/usp.lspci   optional: a real switch Upstream Port's lspci dump
 *                                  (one function, relative to this file) that every
 *                                  host's virtual upstream bridge is modelled on: its
 *                                  IDs and capabilities (config_space.h)
 *   dsp_dump: ../dumps/dsp.lspci   optional: the same for the vPPBs, from a Downstream
 *                                  Port with a slot; its Slot Capabilities too
 *   host_ports:                    required, 1..64 entries
 *     - name: web1                 required, unique; [A-Za-z0-9_.-]
 *       port: 0                    required, unique, 0..254
 *       width: 16                  = 16; 1, 2, 4, 8, 12, 16, 32 lanes
 *       speed: 8GT                 = 8GT; 1..6, gen1..gen6, 2.5GT..64GT
 *       vppbs: 8                   = 8; 1..32 virtual downstream ports
 *       buses_per_vppb: 4          = sized from the chassis's profiles (at least 4):
 *                                  the buses each vPPB's secondary..subordinate
 *                                  range reserves for a bound PF's VFs (1..253);
 *                                  3 + vppbs * buses_per_vppb - 1 must stay <= 255
 *       host_response_ms: 200      = 200; 0..600000, the host OS's managed-unbind delay
 *       host_responds: true        = true; false: the host never answers the button
 *   slots:                         required, 0..256 entries
 *     - number: 1                  required, unique, 0..8191 (Physical Slot Number)
 *       label: "Slot 1"            = "slotN"
 *       card:                      optional: an empty slot without it (or with card: ~,
 *                                  the one key whose null means "none")
 *         profile: intel-82599     required: PROFILES/NAME.yaml
 *         serial: 00-1b-21-ff-ff-2b-46-e0   required, unique: the DSN, as 8 bytes
 *                                  most significant first ("-" or ":"), or an integer
 *         name: nic0               optional, unique; not "slotN"
 *
 * Endpoints, parsed by endpoint_parse (common/endpoint.h): "unix:PATH" (PATH up to 107
 * bytes once ${VAR} and ${VAR:-default} are expanded from the environment, e.g.
 * unix:${XDG_RUNTIME_DIR:-/tmp}/mriov/demo.sock; a relative PATH stays relative to the
 * process's working directory) or "tcp:HOST:PORT" with HOST 127.0.0.1 (any 127.x.y.z),
 * localhost (kept as 127.0.0.1) or [::1] only: the management protocol has no
 * authentication, so it never listens beyond loopback. */

struct sim_host_port_cfg {
	char name[SIM_NAME_MAX];
	uint8_t port;
	uint8_t width;
	uint8_t speed; /* enum fmp_link_speed */
	uint8_t n_vppb;
	uint8_t buses_per_vppb; /* 0: sized from the profiles (sim.c) */
	uint32_t host_response_ms;
	bool host_responds;
	unsigned line; /* where it was declared, for later messages */
};

struct sim_card_cfg {
	const struct sim_profile *profile; /* owned by the sim_chassis_cfg */
	uint64_t dsn;
	char name[SIM_NAME_MAX]; /* "" when the card has no name */
};

struct sim_slot_cfg {
	uint16_t number;
	char label[SIM_NAME_MAX];
	bool has_card;
	struct sim_card_cfg card;
	unsigned line;
};

struct sim_chassis_cfg {
	char *path;         /* the YAML file */
	char name[SIM_NAME_MAX];
	char model[SIM_NAME_MAX];
	char serial[SIM_NAME_MAX];
	uint64_t dsn;
	struct endpoint management;
	bool has_bench;
	struct endpoint bench; /* when has_bench */
	char *profiles_dir; /* resolved against the YAML file's directory */
	uint8_t *usp_model; /* usp_dump's config space (FMP_CONFIG_SPACE_SIZE), or NULL */
	uint8_t *dsp_model; /* dsp_dump's, or NULL */
	size_t n_ports;
	struct sim_host_port_cfg *ports;
	size_t n_slots;
	struct sim_slot_cfg *slots;
	size_t n_profiles; /* each profile a card uses, loaded once */
	struct sim_profile **profiles;
};

/* Loads the chassis file and every profile its cards name. Returns 0, -errno of reading
 * the chassis file (-ENOENT, -EACCES; -EFBIG past 1 MiB), -EINVAL (any error in the file or a profile: "FILE:LINE:COL: PATH:
 * message"), -ENOMEM. Free *out with sim_chassis_cfg_free. */
int sim_chassis_load(const char *path, struct sim_chassis_cfg **out, char *err, size_t errlen);
void sim_chassis_cfg_free(struct sim_chassis_cfg *cfg); /* NULL is a no-op */

const struct sim_profile *sim_chassis_find_profile(const struct sim_chassis_cfg *cfg,
						   const char *name);
const struct sim_host_port_cfg *sim_chassis_find_port(const struct sim_chassis_cfg *cfg,
						      const char *name);
const struct sim_slot_cfg *sim_chassis_find_slot(const struct sim_chassis_cfg *cfg,
						 uint16_t number);
/* A card by name or "slotN". */
const struct sim_slot_cfg *sim_chassis_find_card(const struct sim_chassis_cfg *cfg,
						 const char *name);

/* A DSN as text: "00-1b-21-ff-ff-2b-46-e0" (lspci's spelling) or an integer. */
int sim_dsn_parse(const char *text, uint64_t *dsn);
void sim_dsn_format(uint64_t dsn, char *buf, size_t len); /* needs 24 bytes */

#endif
