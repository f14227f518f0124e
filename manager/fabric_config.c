/* fabric_config: loads and checks fabricd's fabric.yaml through yaml_doc, so that every
 * error names FILE:LINE:COLUMN and the key. */
#include "fabric_config.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "endpoint.h"
#include "env_expand.h"
#include "errbuf.h"
#include "yaml_doc.h"

#define NAME_MAX_LEN 63
#define SUN_PATH_MAX (ENDPOINT_PATH_MAX - 1) /* sockaddr_un.sun_path holds the NUL too */

static const char *const top_keys[] = { "control", "state_dir", "hooks_dir", "hooks", "timeouts",
					"reconcile", "retention", "chassis", NULL };
static const char *const hooks_keys[] = { "max_parallel", "env", NULL };
static const char *const control_keys[] = { "socket", "mode", "group", NULL };
static const char *const timeout_keys[] = { "managed_unbind_ms", "hook_ms", "switch_request_ms",
					    "reconnect_min_ms", "reconnect_max_ms",
					    "control_stall_ms", NULL };
static const char *const reconcile_keys[] = { "unexpected_bindings", NULL };
static const char *const retention_keys[] = { "audit_rows", "event_rows", "days", NULL };
static const char *const chassis_keys[] = { "name", "endpoint", "hosts", NULL };
static const char *const host_keys[] = { "name", "port", "port_name", NULL };

static const struct yd_enum reconcile_table[] = {
	{ "auto", FM_FABRIC_RECONCILE_AUTO },
	{ "adopt", FM_FABRIC_RECONCILE_ADOPT },
	{ "remove", FM_FABRIC_RECONCILE_REMOVE },
	{ NULL, 0 },
};

const char *fm_fabric_reconcile_name(enum fm_fabric_reconcile r)
{
	switch (r) {
	case FM_FABRIC_RECONCILE_ADOPT:
		return "adopt";
	case FM_FABRIC_RECONCILE_REMOVE:
		return "remove";
	default:
		return "auto";
	}
}

/* ---- value checks shared by the file and overrides ------------------------------------ */

/* Names are typed by operators and embedded in "CHASSIS:CARD/pfN", hook environments and
 * logs, so ':' '/' and blanks are out. */
static int check_name(const char *s, char *why, size_t whylen)
{
	size_t n = strlen(s);

	if (n == 0 || n > NAME_MAX_LEN) {
		snprintf(why, whylen, "name must be 1 to %d characters", NAME_MAX_LEN);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) {
			snprintf(why, whylen,
				 "bad name \"%s\": use letters, digits, '.', '_' and '-', starting "
				 "with a letter or digit", s);
			return -EINVAL;
		}
	}
	return 0;
}

/* "0660", "660": octal permission bits of the control socket. */
static int parse_mode(const char *s, unsigned *mode, char *why, size_t whylen)
{
	size_t n = strlen(s);
	unsigned v = 0;

	if (n < 3 || n > 4)
		goto bad;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '7')
			goto bad;
		v = v * 8 + (unsigned)(s[i] - '0');
	}
	if (v > 0777) {
		snprintf(why, whylen, "bad mode \"%s\": only permission bits (at most 0777)", s);
		return -EINVAL;
	}
	/* connect(2) on a unix socket needs write permission: keep fabricd's own uid in. */
	if ((v & 0600) != 0600) {
		snprintf(why, whylen, "bad mode \"%s\": the owner needs read and write (0600)", s);
		return -EINVAL;
	}
	*mode = v;
	return 0;
bad:
	snprintf(why, whylen, "bad mode \"%s\": expected octal permissions like \"0660\"", s);
	return -EINVAL;
}

/* ${VAR} and ${VAR:-default} in a path (env_expand.h), into a PATH_MAX buffer. */
static int expand_path(const char *in, char out[static PATH_MAX], char *why, size_t whylen)
{
	int rc = env_expand(in, out, PATH_MAX, why, whylen);

	if (rc == -ENAMETOOLONG)
		snprintf(why, whylen, "path longer than %d bytes", PATH_MAX - 1);
	return rc ? -EINVAL : 0;
}

/* Absolute path for p: as is, or base/p. *out is malloc'd. */
static int resolve_path(const char *base, const char *p, char **out, char *why, size_t whylen)
{
	*out = NULL;
	if (!p[0]) {
		snprintf(why, whylen, "empty path");
		return -EINVAL;
	}
	if (p[0] == '/')
		*out = strdup(p);
	else if (asprintf(out, "%s%s%s", base, base[strlen(base) - 1] == '/' ? "" : "/", p) < 0)
		*out = NULL;
	if (!*out) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int check_socket_path(const char *p, char *why, size_t whylen)
{
	if (strlen(p) > SUN_PATH_MAX) {
		snprintf(why, whylen, "socket path \"%s\" is %zu bytes, a unix socket allows %d",
			 p, strlen(p), SUN_PATH_MAX);
		return -EINVAL;
	}
	return 0;
}

/* "unix:PATH" (relative to base) or "tcp:LOOPBACK:PORT" -> normalized spec. */
static int parse_endpoint(const char *base, const char *spec, char **out, char *why,
			  size_t whylen)
{
	struct endpoint ep;
	char buf[ENDPOINT_PATH_MAX + 96];
	char *path = NULL;
	int rc;

	*out = NULL;
	if (!strncmp(spec, "unix:", 5)) {
		char exp[PATH_MAX];

		rc = expand_path(spec + 5, exp, why, whylen);
		if (rc)
			return rc;
		if (!exp[0]) {
			snprintf(why, whylen, "endpoint \"%s\": empty socket path", spec);
			return -EINVAL;
		}
		rc = resolve_path(base, exp, &path, why, whylen);
		if (!rc)
			rc = check_socket_path(path, why, whylen);
		if (!rc)
			snprintf(buf, sizeof(buf), "unix:%s", path);
		free(path);
		if (rc)
			return rc;
	} else {
		rc = endpoint_parse(spec, &ep, why, whylen);
		if (rc)
			return rc;
		endpoint_format(&ep, buf, sizeof(buf));
	}
	*out = strdup(buf);
	if (!*out) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* ---- loading ---------------------------------------------------------------------------- */

struct loader {
	struct fm_fabric_config *cfg;
	char *err;
	size_t errlen;
};

/* The value of an optional key in *out, NULL when absent; a null value is an error (no
 * key of fabric.yaml means "disabled" by null: leave the key out). */
static int opt(struct loader *ld, const struct yd_node *map, const char *key,
	       const struct yd_node **out)
{
	return yd_map_opt(map, key, out, ld->err, ld->errlen);
}

/* A check that produced a reason: report it at node n. */
static int at(struct loader *ld, const struct yd_node *n, int rc, const char *why)
{
	if (rc == -ENOMEM) {
		fab_seterr_escaped(ld->err, ld->errlen, "%s: out of memory", ld->cfg->file);
		return rc;
	}
	yd_error(n, ld->err, ld->errlen, "%s", why);
	return rc;
}

static int get_str(struct loader *ld, const struct yd_node *n, const char **out)
{
	int rc = yd_get_str(n, out, ld->err, ld->errlen);

	if (!rc && !(*out)[0])
		rc = yd_error(n, ld->err, ld->errlen, "expected a non-empty string");
	return rc;
}

static int dup_str(struct loader *ld, const char *s, char **out)
{
	*out = strdup(s);
	if (!*out) {
		fab_seterr_escaped(ld->err, ld->errlen, "%s: out of memory", ld->cfg->file);
		return -ENOMEM;
	}
	return 0;
}

/* The required "name" of a chassis or host entry e, checked; *node is where it stands. */
static int load_name(struct loader *ld, const struct yd_node *e, const struct yd_node **node,
		     const char **out)
{
	char why[256];
	int rc = yd_map_require(e, "name", node, ld->err, ld->errlen);

	if (!rc)
		rc = get_str(ld, *node, out);
	if (!rc && (rc = check_name(*out, why, sizeof(why))))
		rc = at(ld, *node, rc, why);
	return rc;
}

/* An optional path key: resolved against the file's directory. */
static int load_path(struct loader *ld, const struct yd_node *map, const char *key,
		     bool socket, char **out)
{
	const struct yd_node *n;
	const char *s;
	char why[256], exp[PATH_MAX];
	int rc = opt(ld, map, key, &n);

	if (rc || !n)
		return rc;
	rc = get_str(ld, n, &s);
	if (rc)
		return rc;
	rc = expand_path(s, exp, why, sizeof(why));
	if (!rc)
		rc = resolve_path(ld->cfg->base_dir, exp, out, why, sizeof(why));
	if (!rc && socket)
		rc = check_socket_path(*out, why, sizeof(why));
	return rc ? at(ld, n, rc, why) : 0;
}

static int load_control(struct loader *ld, const struct yd_node *map)
{
	struct fm_fabric_config *cfg = ld->cfg;
	const struct yd_node *n;
	const char *s;
	char why[256];
	int rc;

	rc = yd_check_keys(map, control_keys, ld->err, ld->errlen);
	if (rc)
		return rc;
	rc = load_path(ld, map, "socket", true, &cfg->socket_path);
	if (rc)
		return rc;
	if ((rc = opt(ld, map, "mode", &n)))
		return rc;
	if (n) {
		/* Plain 0660 is a YAML 1.1 octal integer, quoted "0660" a string: the text is the
		 * same either way, so read the text. */
		s = yd_scalar(n);
		if (!s)
			return yd_error(n, ld->err, ld->errlen,
					"expected octal permissions like \"0660\", got a %s",
					yd_kind_name(yd_kind(n)));
		rc = parse_mode(s, &cfg->socket_mode, why, sizeof(why));
		if (rc)
			return at(ld, n, rc, why);
	}
	if ((rc = opt(ld, map, "group", &n)))
		return rc;
	if (n) {
		rc = get_str(ld, n, &s);
		if (!rc)
			rc = dup_str(ld, s, &cfg->socket_group);
		if (rc)
			return rc;
	}
	return 0;
}

/* hooks.env: NAME: value pairs added to every hook's clean environment. PATH stays fixed
 * and FABRIC_* is the event's, so neither can be set here. */
static int load_hooks_env(struct loader *ld, const struct yd_node *map)
{
	struct fm_fabric_config *cfg = ld->cfg;
	size_t n = yd_map_size(map);
	char why[256], exp[PATH_MAX];

	if (yd_scalar(map) || (!n && yd_seq_len(map)))
		return yd_error(map, ld->err, ld->errlen, "expected a mapping NAME: value");
	cfg->hooks_env = calloc(n + 1, sizeof(*cfg->hooks_env));
	if (!cfg->hooks_env)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct yd_node *k = yd_map_key_at(map, i), *v = yd_map_value_at(map, i);
		const char *name = yd_scalar(k), *val;
		size_t len;
		int rc;

		if (!name || !*name || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
						    "0123456789_") != strlen(name) ||
		    (name[0] >= '0' && name[0] <= '9'))
			return yd_error(k, ld->err, ld->errlen,
					"\"%s\" is not a variable name ([A-Za-z_][A-Za-z0-9_]*)",
					name ? name : "");
		if (!strcmp(name, "PATH") || !strncmp(name, "FABRIC_", 7))
			return yd_error(k, ld->err, ld->errlen,
					"%s is set by fabricd (PATH is fixed, FABRIC_* describe the event)",
					name);
		rc = get_str(ld, v, &val);
		if (rc)
			return rc;
		rc = expand_path(val, exp, why, sizeof(why));
		if (rc)
			return at(ld, v, rc, why);
		len = strlen(name) + strlen(exp) + 2;
		cfg->hooks_env[i] = malloc(len);
		if (!cfg->hooks_env[i])
			return -ENOMEM;
		snprintf(cfg->hooks_env[i], len, "%s=%s", name, exp);
	}
	return 0;
}

static int load_hooks(struct loader *ld, const struct yd_node *map)
{
	const struct yd_node *n;
	uint64_t v;
	int rc;

	rc = yd_check_keys(map, hooks_keys, ld->err, ld->errlen);
	if (rc)
		return rc;
	if ((rc = opt(ld, map, "max_parallel", &n)))
		return rc;
	if (n) {
		rc = yd_get_uint(n, 1, 1024, &v, ld->err, ld->errlen);
		if (rc)
			return rc;
		ld->cfg->hooks_max_parallel = (unsigned)v;
	}
	if ((rc = opt(ld, map, "env", &n)))
		return rc;
	return n ? load_hooks_env(ld, n) : 0;
}

static int load_timeouts(struct loader *ld, const struct yd_node *map)
{
	static const struct {
		const char *key;
		uint64_t min, max;
		size_t off;
	} t[] = {
		{ "managed_unbind_ms", 100, 3600000,
		  offsetof(struct fm_fabric_timeouts, managed_unbind_ms) },
		{ "hook_ms", 100, 3600000, offsetof(struct fm_fabric_timeouts, hook_ms) },
		{ "switch_request_ms", 10, 600000,
		  offsetof(struct fm_fabric_timeouts, switch_request_ms) },
		{ "reconnect_min_ms", 10, 3600000,
		  offsetof(struct fm_fabric_timeouts, reconnect_min_ms) },
		{ "reconnect_max_ms", 10, 3600000,
		  offsetof(struct fm_fabric_timeouts, reconnect_max_ms) },
		{ "control_stall_ms", 100, 3600000,
		  offsetof(struct fm_fabric_timeouts, control_stall_ms) },
	};
	struct fm_fabric_timeouts *to = &ld->cfg->timeouts;
	const struct yd_node *n;
	int rc;

	rc = yd_check_keys(map, timeout_keys, ld->err, ld->errlen);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t v;

		if ((rc = opt(ld, map, t[i].key, &n)))
			return rc;
		if (!n)
			continue;
		rc = yd_get_uint(n, t[i].min, t[i].max, &v, ld->err, ld->errlen);
		if (rc)
			return rc;
		*(uint32_t *)((char *)to + t[i].off) = (uint32_t)v;
	}
	if (to->reconnect_min_ms > to->reconnect_max_ms) {
		n = yd_map_get(map, "reconnect_max_ms");
		if (!n)
			n = yd_map_get(map, "reconnect_min_ms");
		return yd_error(n, ld->err, ld->errlen,
				"reconnect_min_ms (%u) is above reconnect_max_ms (%u)",
				(unsigned)to->reconnect_min_ms, (unsigned)to->reconnect_max_ms);
	}
	return 0;
}

static int load_reconcile(struct loader *ld, const struct yd_node *map)
{
	const struct yd_node *n;
	int rc, v = ld->cfg->reconcile;

	rc = yd_check_keys(map, reconcile_keys, ld->err, ld->errlen);
	if (rc)
		return rc;
	if ((rc = opt(ld, map, "unexpected_bindings", &n)) || !n)
		return rc;
	rc = yd_map_enum(map, "unexpected_bindings", false, reconcile_table, &v, ld->err,
			 ld->errlen);
	if (rc)
		return rc;
	ld->cfg->reconcile = (enum fm_fabric_reconcile)v;
	return 0;
}

static int load_retention(struct loader *ld, const struct yd_node *map)
{
	static const struct {
		const char *key;
		uint64_t max;
		bool rows; /* 0, or at least FM_FABRIC_RETENTION_ROWS_MIN */
		size_t off;
	} t[] = {
		{ "audit_rows", 1000000000, true, offsetof(struct fm_fabric_retention, audit_rows) },
		{ "event_rows", 1000000000, true, offsetof(struct fm_fabric_retention, event_rows) },
		{ "days", 36500, false, offsetof(struct fm_fabric_retention, days) },
	};
	int rc;

	rc = yd_check_keys(map, retention_keys, ld->err, ld->errlen);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const struct yd_node *n;
		uint64_t v;

		if ((rc = opt(ld, map, t[i].key, &n)))
			return rc;
		if (!n)
			continue;
		rc = yd_get_uint(n, 0, t[i].max, &v, ld->err, ld->errlen);
		if (rc)
			return rc;
		if (t[i].rows && v && v < FM_FABRIC_RETENTION_ROWS_MIN)
			return yd_error(n, ld->err, ld->errlen,
					"keep at least %u rows, or 0 for no limit (got %u)",
					FM_FABRIC_RETENTION_ROWS_MIN, (unsigned)v);
		*(uint32_t *)((char *)&ld->cfg->retention + t[i].off) = (uint32_t)v;
	}
	return 0;
}

/* Where host name h (already loaded) was written, to point at the first use. */
struct seen_host {
	const char *name;
	unsigned line;
};

static int load_hosts(struct loader *ld, const struct yd_node *seq, struct fm_fabric_chassis *ch,
		      struct seen_host **seen, size_t *n_seen)
{
	size_t n = yd_seq_len(seq);
	unsigned *port_line = NULL;
	int rc;

	rc = yd_expect_seq(seq, ld->err, ld->errlen);
	if (rc)
		return rc;
	if (n == 0)
		return 0;
	ch->hosts = calloc(n, sizeof(*ch->hosts));
	port_line = calloc(256, sizeof(*port_line));
	{
		struct seen_host *ns = realloc(*seen, (*n_seen + n) * sizeof(**seen));

		if (ns)
			*seen = ns;
		if (!ns || !ch->hosts || !port_line) {
			rc = -ENOMEM;
			fab_seterr_escaped(ld->err, ld->errlen, "%s: out of memory", ld->cfg->file);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct yd_node *e = yd_seq_at(seq, i), *nn, *pn, *pnn;
		struct fm_fabric_host *h = &ch->hosts[i];
		const char *s;

		h->port = -1;
		ch->n_hosts = i + 1;
		rc = yd_check_keys(e, host_keys, ld->err, ld->errlen);
		if (rc)
			goto out;
		rc = load_name(ld, e, &nn, &s);
		if (rc)
			goto out;
		for (size_t j = 0; j < *n_seen; j++) {
			if (strcmp((*seen)[j].name, s) == 0) {
				rc = yd_error(nn, ld->err, ld->errlen,
					      "host name \"%s\" is already used (first at line %u)", s,
					      (*seen)[j].line);
				goto out;
			}
		}
		rc = dup_str(ld, s, &h->name);
		if (rc)
			goto out;
		(*seen)[*n_seen].name = h->name;
		(*seen)[*n_seen].line = yd_line(nn);
		(*n_seen)++;

		if ((rc = opt(ld, e, "port", &pn)) || (rc = opt(ld, e, "port_name", &pnn)))
			goto out;
		if (!pn == !pnn) {
			rc = yd_error(e, ld->err, ld->errlen,
				      "give the switch's host port as \"port\" (number) or "
				      "\"port_name\", exactly one");
			goto out;
		}
		if (pn) {
			uint64_t v;

			/* PCIe r5.0 §7.5.3.6: the Port Number field is 8 bits. */
			rc = yd_get_uint(pn, 0, 255, &v, ld->err, ld->errlen);
			if (rc)
				goto out;
			if (port_line[v]) {
				rc = yd_error(pn, ld->err, ld->errlen,
					      "host port %u is already mapped (first at line %u)",
					      (unsigned)v, port_line[v]);
				goto out;
			}
			port_line[v] = yd_line(pn);
			h->port = (int)v;
		} else {
			rc = get_str(ld, pnn, &s);
			if (rc)
				goto out;
			for (size_t j = 0; j < i; j++) {
				if (ch->hosts[j].port_name && strcmp(ch->hosts[j].port_name, s) == 0) {
					rc = yd_error(pnn, ld->err, ld->errlen,
						      "host port \"%s\" is already mapped", s);
					goto out;
				}
			}
			rc = dup_str(ld, s, &h->port_name);
			if (rc)
				goto out;
		}
	}
	rc = 0;
out:
	free(port_line);
	return rc;
}

static int load_chassis(struct loader *ld, const struct yd_node *seq)
{
	struct fm_fabric_config *cfg = ld->cfg;
	struct seen_host *seen = NULL;
	size_t n_seen = 0, n;
	char why[256];
	int rc;

	rc = yd_expect_seq(seq, ld->err, ld->errlen);
	if (rc)
		return rc;
	n = yd_seq_len(seq);
	if (n == 0)
		return yd_error(seq, ld->err, ld->errlen, "at least one chassis is needed");
	cfg->chassis = calloc(n, sizeof(*cfg->chassis));
	if (!cfg->chassis) {
		fab_seterr_escaped(ld->err, ld->errlen, "%s: out of memory", cfg->file);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const struct yd_node *e = yd_seq_at(seq, i), *nn, *en, *hn;
		struct fm_fabric_chassis *ch = &cfg->chassis[i];
		const char *s;

		cfg->n_chassis = i + 1;
		rc = yd_check_keys(e, chassis_keys, ld->err, ld->errlen);
		if (rc)
			goto out;
		rc = load_name(ld, e, &nn, &s);
		if (rc)
			goto out;
		for (size_t j = 0; j < i; j++) {
			if (strcmp(cfg->chassis[j].name, s) == 0) {
				rc = yd_error(nn, ld->err, ld->errlen,
					      "duplicate chassis name \"%s\" (first at line %u)", s,
					      yd_line(yd_map_get(yd_seq_at(seq, j), "name")));
				goto out;
			}
		}
		rc = dup_str(ld, s, &ch->name);
		if (rc)
			goto out;

		rc = yd_map_require(e, "endpoint", &en, ld->err, ld->errlen);
		if (!rc)
			rc = get_str(ld, en, &s);
		if (rc)
			goto out;
		rc = parse_endpoint(cfg->base_dir, s, &ch->endpoint, why, sizeof(why));
		if (rc) {
			rc = at(ld, en, rc, why);
			goto out;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(cfg->chassis[j].endpoint, ch->endpoint) == 0) {
				rc = yd_error(en, ld->err, ld->errlen,
					      "endpoint %s is already chassis \"%s\"'s",
					      ch->endpoint, cfg->chassis[j].name);
				goto out;
			}
		}

		if ((rc = opt(ld, e, "hosts", &hn)))
			goto out;
		if (hn) {
			rc = load_hosts(ld, hn, ch, &seen, &n_seen);
			if (rc)
				goto out;
		}
	}
	rc = 0;
out:
	free(seen);
	return rc;
}

static int load_doc(struct loader *ld, const struct yd_doc *doc)
{
	const struct yd_node *root = yd_root(doc), *n;
	int rc;

	rc = yd_check_keys(root, top_keys, ld->err, ld->errlen);
	if (rc)
		return rc;
	if ((rc = opt(ld, root, "control", &n)) || (n && (rc = load_control(ld, n))))
		return rc;
	rc = load_path(ld, root, "state_dir", false, &ld->cfg->state_dir);
	if (rc)
		return rc;
	rc = load_path(ld, root, "hooks_dir", false, &ld->cfg->hooks_dir);
	if (rc)
		return rc;
	if ((rc = opt(ld, root, "hooks", &n)) || (n && (rc = load_hooks(ld, n))))
		return rc;
	if ((rc = opt(ld, root, "timeouts", &n)) || (n && (rc = load_timeouts(ld, n))))
		return rc;
	if ((rc = opt(ld, root, "reconcile", &n)) || (n && (rc = load_reconcile(ld, n))))
		return rc;
	if ((rc = opt(ld, root, "retention", &n)) || (n && (rc = load_retention(ld, n))))
		return rc;
	rc = yd_map_require(root, "chassis", &n, ld->err, ld->errlen);
	if (rc)
		return rc;
	if (yd_is_null(n))
		return yd_error(n, ld->err, ld->errlen, "at least one chassis is needed");
	return load_chassis(ld, n);
}

static struct fm_fabric_config *config_new(const char *file, const char *base_dir)
{
	struct fm_fabric_config *cfg = calloc(1, sizeof(*cfg));

	if (!cfg)
		return NULL;
	cfg->file = strdup(file);
	cfg->base_dir = strdup(base_dir);
	if (!cfg->file || !cfg->base_dir) {
		fm_fabric_config_free(cfg);
		return NULL;
	}
	cfg->socket_mode = FM_FABRIC_SOCKET_MODE_DEFAULT;
	cfg->timeouts = (struct fm_fabric_timeouts){
		.managed_unbind_ms = FM_FABRIC_MANAGED_UNBIND_MS_DEFAULT,
		.hook_ms = FM_FABRIC_HOOK_MS_DEFAULT,
		.switch_request_ms = FM_FABRIC_SWITCH_REQUEST_MS_DEFAULT,
		.reconnect_min_ms = FM_FABRIC_RECONNECT_MIN_MS_DEFAULT,
		.reconnect_max_ms = FM_FABRIC_RECONNECT_MAX_MS_DEFAULT,
		.control_stall_ms = FM_FABRIC_CONTROL_STALL_MS_DEFAULT,
	};
	cfg->reconcile = FM_FABRIC_RECONCILE_AUTO;
	cfg->hooks_max_parallel = FM_FABRIC_HOOKS_MAX_PARALLEL_DEFAULT;
	cfg->retention = (struct fm_fabric_retention){
		.audit_rows = FM_FABRIC_AUDIT_ROWS_DEFAULT,
		.event_rows = FM_FABRIC_EVENT_ROWS_DEFAULT,
		.days = FM_FABRIC_RETENTION_DAYS_DEFAULT,
	};
	return cfg;
}

/* Loads doc into a new config; consumes nothing. */
static int load_common(const struct yd_doc *doc, const char *file, const char *base_dir,
		       struct fm_fabric_config **out, char *err, size_t errlen)
{
	struct loader ld = { .err = err, .errlen = errlen };
	int rc;

	ld.cfg = config_new(file, base_dir);
	if (!ld.cfg) {
		fab_seterr_escaped(err, errlen, "%s: out of memory", file);
		return -ENOMEM;
	}
	rc = load_doc(&ld, doc);
	if (rc) {
		fm_fabric_config_free(ld.cfg);
		return rc;
	}
	*out = ld.cfg;
	return 0;
}

/* An absolute form of dir (relative = to the working directory), malloc'd. */
static char *absolute_dir(const char *dir)
{
	char *cwd, *abs = NULL;

	if (dir[0] == '/')
		return strdup(dir);
	cwd = getcwd(NULL, 0);
	if (!cwd)
		return NULL;
	if (!strcmp(dir, ".") || !dir[0])
		return cwd;
	if (asprintf(&abs, "%s/%s", cwd, dir) < 0)
		abs = NULL;
	free(cwd);
	return abs;
}

int fm_fabric_config_load_file(const char *path, struct fm_fabric_config **out, char *err,
			       size_t errlen)
{
	struct yd_doc *doc = NULL;
	char *copy = NULL, *dir = NULL;
	int rc;

	*out = NULL;
	rc = yd_doc_load_file(path, &doc, err, errlen);
	if (rc)
		goto out;
	copy = strdup(path);
	if (copy)
		dir = realpath(dirname(copy), NULL);
	if (!dir) {
		rc = copy ? -errno : -ENOMEM;
		fab_seterr_escaped(err, errlen, "%s: cannot resolve its directory: %s", path,
				   strerror(-rc));
		goto out;
	}
	rc = load_common(doc, path, dir, out, err, errlen);
out:
	free(dir);
	free(copy);
	yd_doc_free(doc);
	return rc;
}

int fm_fabric_config_load_string(const char *name, const char *text, size_t len,
				 const char *base_dir, struct fm_fabric_config **out, char *err,
				 size_t errlen)
{
	struct yd_doc *doc = NULL;
	char *dir = NULL;
	int rc;

	*out = NULL;
	dir = absolute_dir(base_dir ? base_dir : ".");
	if (!dir) {
		rc = errno ? -errno : -ENOMEM;
		fab_seterr_escaped(err, errlen, "%s: cannot resolve the base directory: %s", name,
				   strerror(-rc));
		return rc;
	}
	rc = yd_doc_load_string(name, text, len, &doc, err, errlen);
	if (!rc)
		rc = load_common(doc, name, dir, out, err, errlen);
	yd_doc_free(doc);
	free(dir);
	return rc;
}

void fm_fabric_config_free(struct fm_fabric_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_chassis; i++) {
		struct fm_fabric_chassis *ch = &cfg->chassis[i];

		for (size_t j = 0; j < ch->n_hosts; j++) {
			free(ch->hosts[j].name);
			free(ch->hosts[j].port_name);
		}
		free(ch->hosts);
		free(ch->name);
		free(ch->endpoint);
	}
	free(cfg->chassis);
	free(cfg->socket_path);
	free(cfg->socket_group);
	free(cfg->state_dir);
	free(cfg->hooks_dir);
	for (char **e = cfg->hooks_env; e && *e; e++)
		free(*e);
	free(cfg->hooks_env);
	free(cfg->base_dir);
	free(cfg->file);
	free(cfg);
}

/* ---- after loading ---------------------------------------------------------------------- */

static int replace(char **slot, char *value)
{
	free(*slot);
	*slot = value;
	return 0;
}

int fm_fabric_config_override(struct fm_fabric_config *cfg, const char *key, const char *value,
			      char *err, size_t errlen)
{
	char why[256], *cwd = NULL, *v = NULL;
	unsigned mode;
	int rc;

	if (!strcmp(key, "control.mode")) {
		rc = parse_mode(value, &mode, why, sizeof(why));
		if (!rc)
			cfg->socket_mode = mode;
		goto out;
	}
	if (!strcmp(key, "control.group") || !strcmp(key, "hooks_dir")) {
		char **slot = key[0] == 'c' ? &cfg->socket_group : &cfg->hooks_dir;

		if (!value[0]) {
			rc = replace(slot, NULL);
			goto out;
		}
		if (key[0] == 'c') {
			v = strdup(value);
			rc = v ? 0 : -ENOMEM;
			if (rc)
				snprintf(why, sizeof(why), "out of memory");
		} else {
			rc = -ENOMEM;
			snprintf(why, sizeof(why), "out of memory");
			cwd = getcwd(NULL, 0);
			if (cwd)
				rc = resolve_path(cwd, value, &v, why, sizeof(why));
		}
		if (!rc)
			replace(slot, v);
		goto out;
	}
	if (!strcmp(key, "control.socket") || !strcmp(key, "state_dir")) {
		bool socket = key[0] == 'c';

		rc = -ENOMEM;
		snprintf(why, sizeof(why), "out of memory");
		cwd = getcwd(NULL, 0);
		if (cwd)
			rc = resolve_path(cwd, value, &v, why, sizeof(why));
		if (!rc && socket)
			rc = check_socket_path(v, why, sizeof(why));
		if (rc) {
			free(v);
			goto out;
		}
		replace(socket ? &cfg->socket_path : &cfg->state_dir, v);
		goto out;
	}
	rc = -EINVAL;
	snprintf(why, sizeof(why),
		 "unknown setting (known: control.socket, control.mode, control.group, state_dir, "
		 "hooks_dir)");
out:
	free(cwd);
	if (rc)
		fab_seterr_escaped(err, errlen, "%s: %s", key, why);
	return rc;
}

int fm_fabric_config_fill_defaults(struct fm_fabric_config *cfg, const char *xdg_runtime_dir,
				   const char *xdg_state_home, char *err, size_t errlen)
{
	char why[256];
	char *v = NULL;

	/* XDG Base Directory spec: relative values are invalid and must be ignored. */
	if (!xdg_runtime_dir || xdg_runtime_dir[0] != '/')
		xdg_runtime_dir = "/run";
	if (!xdg_state_home || xdg_state_home[0] != '/')
		xdg_state_home = "/var/lib";
	if (!cfg->socket_path) {
		if (asprintf(&v, "%s/mriov-fabric/fabricd.sock", xdg_runtime_dir) < 0)
			goto nomem;
		if (check_socket_path(v, why, sizeof(why))) {
			free(v);
			fab_seterr_escaped(err, errlen, "control.socket: %s", why);
			return -EINVAL;
		}
		cfg->socket_path = v;
	}
	if (!cfg->state_dir) {
		if (asprintf(&v, "%s/mriov-fabric", xdg_state_home) < 0)
			goto nomem;
		cfg->state_dir = v;
	}
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

const struct fm_fabric_chassis *fm_fabric_config_find_chassis(const struct fm_fabric_config *cfg,
							      const char *name)
{
	for (size_t i = 0; i < cfg->n_chassis; i++)
		if (!strcmp(cfg->chassis[i].name, name))
			return &cfg->chassis[i];
	return NULL;
}

const char *fm_fabric_config_host_name(const struct fm_fabric_chassis *ch, unsigned port,
				       const char *port_name)
{
	for (size_t i = 0; i < ch->n_hosts; i++)
		if (ch->hosts[i].port >= 0 && (unsigned)ch->hosts[i].port == port)
			return ch->hosts[i].name;
	if (port_name)
		for (size_t i = 0; i < ch->n_hosts; i++)
			if (ch->hosts[i].port_name && !strcmp(ch->hosts[i].port_name, port_name))
				return ch->hosts[i].name;
	return NULL;
}

enum fm_fabric_reconcile fm_fabric_config_unexpected_action(const struct fm_fabric_config *cfg,
							    bool first_contact)
{
	if (cfg->reconcile != FM_FABRIC_RECONCILE_AUTO)
		return cfg->reconcile;
	return first_contact ? FM_FABRIC_RECONCILE_ADOPT : FM_FABRIC_RECONCILE_REMOVE;
}
