/* Chassis YAML loader: identity, endpoints, host ports, slots and cards, each error at
 * FILE:LINE:COLUMN with the key; the profiles the cards use are loaded once each. */
#include "chassis.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_space.h"
#include "env_expand.h"
#include "errbuf.h"
#include "yaml_doc.h"

/* ---- serial numbers --------------------------------------------------------------------- */

int sim_dsn_parse(const char *text, uint64_t *dsn)
{
	uint64_t v = 0;
	const char *p = text;
	char *end;
	int i;

	/* lspci's "Serial Number 00-1b-21-ff-ff-2b-46-e0": most significant byte first */
	if (strlen(text) == 23 && (text[2] == '-' || text[2] == ':')) {
		for (i = 0; i < 8; i++, p += 3) {
			unsigned hi, lo;

			if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) ||
			    (i < 7 && p[2] != text[2]))
				return -EINVAL;
			hi = (unsigned)(p[0] <= '9' ? p[0] - '0' : (p[0] | 0x20) - 'a' + 10);
			lo = (unsigned)(p[1] <= '9' ? p[1] - '0' : (p[1] | 0x20) - 'a' + 10);
			v = v << 8 | (hi << 4 | lo);
		}
		*dsn = v;
		return 0;
	}
	if (!*text || *text == '-' || *text == '+' || *text == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 0);
	if (*end || errno)
		return -EINVAL;
	*dsn = v;
	return 0;
}

void sim_dsn_format(uint64_t dsn, char *buf, size_t len)
{
	snprintf(buf, len, "%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x", (unsigned)(dsn >> 56) & 0xff,
		 (unsigned)(dsn >> 48) & 0xff, (unsigned)(dsn >> 40) & 0xff,
		 (unsigned)(dsn >> 32) & 0xff, (unsigned)(dsn >> 24) & 0xff,
		 (unsigned)(dsn >> 16) & 0xff, (unsigned)(dsn >> 8) & 0xff, (unsigned)dsn & 0xff);
}

/* ---- lookups ---------------------------------------------------------------------------- */

const struct sim_profile *sim_chassis_find_profile(const struct sim_chassis_cfg *cfg,
						   const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_profiles; i++)
		if (!strcmp(cfg->profiles[i]->name, name))
			return cfg->profiles[i];
	return NULL;
}

const struct sim_host_port_cfg *sim_chassis_find_port(const struct sim_chassis_cfg *cfg,
						      const char *name)
{
	size_t i;

	for (i = 0; i < cfg->n_ports; i++)
		if (!strcmp(cfg->ports[i].name, name))
			return &cfg->ports[i];
	return NULL;
}

const struct sim_slot_cfg *sim_chassis_find_slot(const struct sim_chassis_cfg *cfg,
						 uint16_t number)
{
	size_t i;

	for (i = 0; i < cfg->n_slots; i++)
		if (cfg->slots[i].number == number)
			return &cfg->slots[i];
	return NULL;
}

/* "slot12" -> 12; -1 when name is not of that form. */
static long slot_alias(const char *name)
{
	char *end;
	long n;

	if (strncmp(name, "slot", 4) || name[4] < '0' || name[4] > '9')
		return -1;
	n = strtol(name + 4, &end, 10);
	return *end || n > 0xffff ? -1 : n;
}

const struct sim_slot_cfg *sim_chassis_find_card(const struct sim_chassis_cfg *cfg,
						 const char *name)
{
	long n = slot_alias(name);
	size_t i;

	for (i = 0; i < cfg->n_slots; i++) {
		const struct sim_slot_cfg *s = &cfg->slots[i];

		if (!s->has_card)
			continue;
		if ((n >= 0 && s->number == n) || (s->card.name[0] && !strcmp(s->card.name, name)))
			return s;
	}
	return NULL;
}

void sim_chassis_cfg_free(struct sim_chassis_cfg *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->n_profiles; i++)
		sim_profile_free(cfg->profiles[i]);
	free(cfg->profiles);
	free(cfg->ports);
	free(cfg->slots);
	free(cfg->profiles_dir);
	free(cfg->usp_model);
	free(cfg->dsp_model);
	free(cfg->path);
	free(cfg);
}

/* ---- parsing ---------------------------------------------------------------------------- */

struct ctx {
	struct sim_chassis_cfg *cfg;
	char *err;
	size_t errlen;
};

/* A name operators type: letters, digits, '-', '_', '.' (no '/' or ':', which separate
 * CHASSIS:CARD/pfN/vfM). */
static int get_name(const struct yd_node *map, const char *key, bool required, char *out,
		    struct ctx *c)
{
	const char *s = NULL;
	int rc = yd_map_str(map, key, required, &s, c->err, c->errlen);

	if (rc || !s)
		return rc;
	if (!sim_name_valid(s))
		return yd_error(yd_map_get(map, key), c->err, c->errlen,
				"\"%s\" is not a valid name (1..%d of A-Z a-z 0-9 - _ ., not "
				"starting with '.')", s, SIM_NAME_MAX - 1);
	strcpy(out, s);
	return 0;
}

static int get_text(const struct yd_node *map, const char *key, char *out, struct ctx *c)
{
	const char *s = NULL;
	int rc = yd_map_str(map, key, false, &s, c->err, c->errlen);

	if (rc || !s)
		return rc;
	if (strlen(s) >= SIM_NAME_MAX)
		return yd_error(yd_map_get(map, key), c->err, c->errlen,
				"longer than %d characters", SIM_NAME_MAX - 1);
	strcpy(out, s);
	return 0;
}

/* An endpoint key: endpoint_parse's syntax, with ${VAR} and ${VAR:-default} expanded in a
 * unix: path first. *present tells an absent optional key from a given one. */
static int get_endpoint(const struct yd_node *map, const char *key, bool required,
			struct endpoint *ep, bool *present, struct ctx *c)
{
	const struct yd_node *n;
	const char *s = NULL;
	char spec[sizeof("unix:") - 1 + ENDPOINT_PATH_MAX], why[256];
	int rc = yd_map_str(map, key, required, &s, c->err, c->errlen);

	if (rc || !s)
		return rc;
	n = yd_map_get(map, key);
	if (!strncmp(s, "unix:", 5)) {
		memcpy(spec, s, 5);
		rc = env_expand(s + 5, spec + 5, sizeof(spec) - 5, why, sizeof(why));
		if (rc == -ENAMETOOLONG)
			fab_seterr(why, sizeof(why), "unix socket path longer than %d bytes",
				   ENDPOINT_PATH_MAX - 1);
		if (rc)
			return yd_error(n, c->err, c->errlen, "%s", why);
		s = spec;
	}
	if (endpoint_parse(s, ep, why, sizeof(why)))
		return yd_error(n, c->err, c->errlen, "%s", why);
	if (present)
		*present = true;
	return 0;
}

static int get_dsn(const struct yd_node *n, uint64_t *dsn, struct ctx *c)
{
	const char *s = yd_scalar(n);

	if (!s || yd_is_null(n) || sim_dsn_parse(s, dsn))
		return yd_error(n, c->err, c->errlen,
				"expected a serial number like 00-1b-21-ff-ff-2b-46-e0 or an "
				"integer, got %s%s%s", s ? "\"" : "",
				s ? s : yd_kind_name(yd_kind(n)), s ? "\"" : "");
	return 0;
}

static const char *const top_keys[] = { "name", "model", "serial", "dsn", "management",
					 "bench", "profiles", "usp_dump", "dsp_dump", "host_ports",
					 "slots", NULL };
static const char *const port_keys[] = { "name", "port", "width", "speed", "vppbs",
					  "buses_per_vppb", "host_response_ms", "host_responds",
					  NULL };
static const char *const slot_keys[] = { "number", "label", "card", NULL };
static const char *const card_keys[] = { "profile", "serial", "name", NULL };

static int parse_port(const struct yd_node *m, size_t i, const struct yd_node *seq,
		      struct ctx *c)
{
	struct sim_host_port_cfg *hp = &c->cfg->ports[i];
	const struct yd_node *n;
	uint64_t v;
	size_t j;
	int rc;

	if ((rc = yd_check_keys(m, port_keys, c->err, c->errlen)) ||
	    (rc = get_name(m, "name", true, hp->name, c)))
		return rc;
	if ((rc = yd_map_uint(m, "port", true, 0, 254, &v, c->err, c->errlen)))
		return rc;
	hp->port = (uint8_t)v;
	hp->width = 16;
	hp->speed = FMP_SPEED_8GT;
	if ((n = yd_map_get(m, "width")) && (rc = sim_yaml_link_width(n, &hp->width, c->err, c->errlen)))
		return rc;
	if ((n = yd_map_get(m, "speed")) && (rc = sim_yaml_link_speed(n, &hp->speed, c->err, c->errlen)))
		return rc;
	v = 8;
	if ((rc = yd_map_uint(m, "vppbs", false, 1, 32, &v, c->err, c->errlen)))
		return rc;
	hp->n_vppb = (uint8_t)v;
	v = 0;
	if ((rc = yd_map_uint(m, "buses_per_vppb", false, 1, 253, &v, c->err, c->errlen)))
		return rc;
	/* the view's buses: USP 1, vPPBs on 2, then each vPPB's range (sim.h) */
	if (v && 3 + hp->n_vppb * v - 1 > 255)
		return yd_error(yd_map_get(m, "buses_per_vppb"), c->err, c->errlen,
				"%u vPPBs of %llu buses each need buses 3..%llu behind the "
				"upstream port; a host's view ends at bus 255 (at most %u each)",
				hp->n_vppb, (unsigned long long)v,
				(unsigned long long)(3 + hp->n_vppb * v - 1), 253u / hp->n_vppb);
	hp->buses_per_vppb = (uint8_t)v;
	v = 200;
	if ((rc = yd_map_uint(m, "host_response_ms", false, 0, 600000, &v, c->err, c->errlen)))
		return rc;
	hp->host_response_ms = (uint32_t)v;
	hp->host_responds = true;
	if ((rc = yd_map_bool(m, "host_responds", false, &hp->host_responds, c->err, c->errlen)))
		return rc;
	hp->line = yd_line(m);
	for (j = 0; j < i; j++) {
		const struct sim_host_port_cfg *o = &c->cfg->ports[j];

		if (o->port == hp->port)
			return yd_error(yd_map_get(m, "port"), c->err, c->errlen,
					"duplicate port number %u (also host_ports[%zu] at line %u)",
					hp->port, j, yd_line(yd_seq_at(seq, j)));
		if (!strcmp(o->name, hp->name))
			return yd_error(yd_map_get(m, "name"), c->err, c->errlen,
					"duplicate host port name \"%s\" (also host_ports[%zu] at "
					"line %u)", hp->name, j, yd_line(yd_seq_at(seq, j)));
	}
	return 0;
}

static int use_profile(const struct yd_node *n, const char *name, const struct sim_profile **out,
		       struct ctx *c)
{
	struct sim_chassis_cfg *cfg = c->cfg;
	struct sim_profile *p, **np;
	char why[1024];
	int rc;

	*out = sim_chassis_find_profile(cfg, name);
	if (*out)
		return 0;
	rc = sim_profile_load(cfg->profiles_dir, name, &p, why, sizeof(why));
	if (rc == -ENOENT)
		return yd_error(n, c->err, c->errlen, "no profile \"%s\" in %s", name,
				cfg->profiles_dir);
	if (rc == -ENOMEM)
		return rc;
	if (rc) /* why is the profile loader's message, already escaped */
		return yd_error_cause(n, c->err, c->errlen, why, "profile \"%s\"", name);
	np = realloc(cfg->profiles, (cfg->n_profiles + 1) * sizeof(*np));
	if (!np) {
		sim_profile_free(p);
		return -ENOMEM;
	}
	cfg->profiles = np;
	cfg->profiles[cfg->n_profiles++] = p;
	*out = p;
	return 0;
}

static int parse_card(const struct yd_node *m, struct sim_slot_cfg *s, size_t i,
		      const struct yd_node *seq, struct ctx *c)
{
	const struct yd_node *n;
	const char *prof;
	size_t j;
	int rc;

	if ((rc = yd_check_keys(m, card_keys, c->err, c->errlen)) ||
	    (rc = yd_map_str(m, "profile", true, &prof, c->err, c->errlen)) ||
	    (rc = yd_map_require(m, "serial", &n, c->err, c->errlen)) ||
	    (rc = get_dsn(n, &s->card.dsn, c)) ||
	    (rc = get_name(m, "name", false, s->card.name, c)))
		return rc;
	if (s->card.name[0] && slot_alias(s->card.name) >= 0)
		return yd_error(yd_map_get(m, "name"), c->err, c->errlen,
				"card name \"%s\" would shadow the slot alias of that form; pick "
				"another", s->card.name);
	for (j = 0; j < i; j++) {
		const struct sim_slot_cfg *o = &c->cfg->slots[j];
		const struct yd_node *oc = yd_map_get(yd_seq_at(seq, j), "card");

		if (!o->has_card)
			continue;
		if (o->card.dsn == s->card.dsn)
			return yd_error(n, c->err, c->errlen,
					"duplicate card serial (also slots[%zu] at line %u)", j,
					yd_line(oc));
		if (s->card.name[0] && !strcmp(o->card.name, s->card.name))
			return yd_error(yd_map_get(m, "name"), c->err, c->errlen,
					"duplicate card name \"%s\" (also slots[%zu] at line %u)",
					s->card.name, j, yd_line(oc));
	}
	if ((rc = use_profile(yd_map_get(m, "profile"), prof, &s->card.profile, c)))
		return rc;
	s->has_card = true;
	return 0;
}

static int parse_slot(const struct yd_node *m, size_t i, const struct yd_node *seq,
		      struct ctx *c)
{
	struct sim_slot_cfg *s = &c->cfg->slots[i];
	const struct yd_node *n;
	uint64_t v;
	size_t j;
	int rc;

	if ((rc = yd_check_keys(m, slot_keys, c->err, c->errlen)) ||
	    (rc = yd_map_uint(m, "number", true, 0, 8191, &v, c->err, c->errlen)))
		return rc;
	s->number = (uint16_t)v;
	s->line = yd_line(m);
	for (j = 0; j < i; j++)
		if (c->cfg->slots[j].number == s->number)
			return yd_error(yd_map_get(m, "number"), c->err, c->errlen,
					"duplicate slot number %u (also slots[%zu] at line %u)",
					s->number, j, yd_line(yd_seq_at(seq, j)));
	snprintf(s->label, sizeof(s->label), "slot%u", s->number);
	if ((rc = get_text(m, "label", s->label, c)))
		return rc;
	n = yd_map_get(m, "card");
	if (n && !yd_is_null(n))
		return parse_card(n, s, i, seq, c);
	return 0;
}

/* usp_dump / dsp_dump: a one-function lspci dump of a real switch port, relative to the
 * chassis file, checked to fit the role (config_space.h); *out gets its 4 KiB. */
static int get_bridge_model(const struct yd_node *root, const char *key, bool upstream,
			    uint8_t **out, struct ctx *c)
{
	const struct yd_node *n = yd_map_get(root, key);
	struct sim_dump_fn *fns = NULL;
	unsigned nf = 0;
	const char *rel;
	char *path, why[768];
	int rc;

	if (!n)
		return 0;
	if ((rc = yd_get_str(n, &rel, c->err, c->errlen)))
		return rc;
	path = sim_path_beside(c->cfg->path, rel);
	if (!path)
		return -ENOMEM;
	rc = sim_profile_read_dump(path, NULL, &fns, &nf, why, sizeof(why));
	if (!rc && nf != 1) {
		snprintf(why, sizeof(why), "%s: the device has %u functions; a switch port has one",
			 path, nf);
		rc = -EINVAL;
	}
	if (!rc) {
		char what[512];

		rc = sim_cfg_bridge_model_check(fns[0].cfg, fns[0].len, upstream, what, sizeof(what));
		if (rc)
			snprintf(why, sizeof(why), "%s %s", path, what);
	}
	if (!rc) {
		*out = malloc(FMP_CONFIG_SPACE_SIZE);
		if (*out)
			memcpy(*out, fns[0].cfg, FMP_CONFIG_SPACE_SIZE);
		else
			rc = -ENOMEM;
	}
	free(fns);
	free(path);
	if (rc && rc != -ENOMEM)
		return yd_error(n, c->err, c->errlen, "%s", why);
	return rc;
}

static int parse_chassis(const struct yd_doc *doc, struct ctx *c)
{
	struct sim_chassis_cfg *cfg = c->cfg;
	const struct yd_node *root = yd_root(doc), *n, *ports, *slots;
	const char *s;
	size_t i;
	int rc;

	if ((rc = yd_check_keys(root, top_keys, c->err, c->errlen)) ||
	    (rc = get_name(root, "name", true, cfg->name, c)))
		return rc;
	strcpy(cfg->model, "mriov-sim");
	if ((rc = get_text(root, "model", cfg->model, c)) ||
	    (rc = get_text(root, "serial", cfg->serial, c)))
		return rc;
	if ((n = yd_map_get(root, "dsn")) && (rc = get_dsn(n, &cfg->dsn, c)))
		return rc;
	if ((rc = get_endpoint(root, "management", true, &cfg->management, NULL, c)) ||
	    (rc = get_endpoint(root, "bench", false, &cfg->bench, &cfg->has_bench, c)))
		return rc;
	/* endpoint_parse zeroes what a kind does not use and spells localhost 127.0.0.1 */
	if (cfg->has_bench && cfg->bench.kind == cfg->management.kind &&
	    !strcmp(cfg->bench.path, cfg->management.path) &&
	    !strcmp(cfg->bench.host, cfg->management.host) &&
	    cfg->bench.port == cfg->management.port)
		return yd_error(yd_map_get(root, "bench"), c->err, c->errlen,
				"the bench endpoint must differ from the management endpoint");
	if ((rc = yd_map_str(root, "profiles", true, &s, c->err, c->errlen)))
		return rc;
	cfg->profiles_dir = sim_path_beside(cfg->path, s);
	if (!cfg->profiles_dir)
		return -ENOMEM;
	if ((rc = get_bridge_model(root, "usp_dump", true, &cfg->usp_model, c)) ||
	    (rc = get_bridge_model(root, "dsp_dump", false, &cfg->dsp_model, c)))
		return rc;

	if ((rc = yd_map_require(root, "host_ports", &ports, c->err, c->errlen)) ||
	    (rc = yd_expect_seq(ports, c->err, c->errlen)))
		return rc;
	if (yd_seq_len(ports) < 1 || yd_seq_len(ports) > 64)
		return yd_error(ports, c->err, c->errlen, "a chassis has 1..64 host ports, not %zu",
				yd_seq_len(ports));
	cfg->n_ports = yd_seq_len(ports);
	cfg->ports = calloc(cfg->n_ports, sizeof(*cfg->ports));
	if (!cfg->ports)
		return -ENOMEM;
	for (i = 0; i < cfg->n_ports; i++)
		if ((rc = parse_port(yd_seq_at(ports, i), i, ports, c)))
			return rc;

	if ((rc = yd_map_require(root, "slots", &slots, c->err, c->errlen)) ||
	    (rc = yd_expect_seq(slots, c->err, c->errlen)))
		return rc;
	if (yd_seq_len(slots) > 256)
		return yd_error(slots, c->err, c->errlen, "a chassis has at most 256 slots, not %zu",
				yd_seq_len(slots));
	cfg->n_slots = yd_seq_len(slots);
	cfg->slots = calloc(cfg->n_slots ? cfg->n_slots : 1, sizeof(*cfg->slots));
	if (!cfg->slots)
		return -ENOMEM;
	for (i = 0; i < cfg->n_slots; i++)
		if ((rc = parse_slot(yd_seq_at(slots, i), i, slots, c)))
			return rc;
	return 0;
}

int sim_chassis_load(const char *path, struct sim_chassis_cfg **out, char *err, size_t errlen)
{
	struct sim_chassis_cfg *cfg;
	struct yd_doc *doc = NULL;
	struct ctx c = { .err = err, .errlen = errlen };
	int rc;

	*out = NULL;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg || !(cfg->path = strdup(path))) {
		free(cfg);
		fab_seterr(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c.cfg = cfg;
	rc = yd_doc_load_file(path, &doc, err, errlen);
	if (!rc)
		rc = parse_chassis(doc, &c);
	if (rc == -ENOMEM)
		fab_seterr_escaped(err, errlen, "%s: out of memory", path);
	else if (rc && doc)
		rc = -EINVAL; /* a missing key is a content error, not a missing file */
	yd_doc_free(doc);
	if (rc) {
		sim_chassis_cfg_free(cfg);
		return rc;
	}
	*out = cfg;
	return 0;
}
