/* JSON-RPC 2.0 layer of fabricd's control API (JSON-RPC 2.0 specification, jsonrpc.org):
 * framing, parsing, dispatch, replies and access decisions; the socket code lives elsewhere. */
#include "jsonrpc.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

/* ---- error codes ----------------------------------------------------------------------- */

static const struct {
	const char *name;
	int number;
} code_table[FM_RPC_E__COUNT] = {
	[FM_RPC_E_PARSE_ERROR] = { "parse-error", -32700 },
	[FM_RPC_E_INVALID_REQUEST] = { "bad-request", -32600 },
	[FM_RPC_E_NO_SUCH_METHOD] = { "no-such-method", -32601 },
	[FM_RPC_E_BAD_PARAMS] = { "bad-params", -32602 },
	[FM_RPC_E_INTERNAL_ERROR] = { "internal", -32603 },
	[FM_RPC_E_FUNCTION_BUSY] = { "function-busy", -32000 },
	[FM_RPC_E_NO_SUCH_FUNCTION] = { "no-such-function", -32000 },
	[FM_RPC_E_NO_SUCH_HOST] = { "no-such-host", -32000 },
	[FM_RPC_E_NO_SUCH_CARD] = { "no-such-card", -32000 },
	[FM_RPC_E_NO_SUCH_CHASSIS] = { "no-such-chassis", -32000 },
	[FM_RPC_E_HOST_LINK_DOWN] = { "host-link-down", -32000 },
	[FM_RPC_E_NO_FREE_VPPB] = { "no-free-vppb", -32000 },
	[FM_RPC_E_SHARING_MODE] = { "sharing-mode", -32000 },
	[FM_RPC_E_SWITCH_UNREACHABLE] = { "switch-unreachable", -32000 },
	[FM_RPC_E_TIMEOUT] = { "timeout", -32000 },
	[FM_RPC_E_PERMISSION_DENIED] = { "permission-denied", -32000 },
	[FM_RPC_E_BAD_REQUEST] = { "bad-request", -32000 },
	[FM_RPC_E_VF_BOUND] = { "vf-bound", -32000 },
	[FM_RPC_E_IN_PROGRESS] = { "in-progress", -32000 },
	[FM_RPC_E_HOOK_VETO] = { "hook-vetoed", -32000 },
	[FM_RPC_E_SWITCH_ERROR] = { "switch-error", -32000 },
	[FM_RPC_E_BUS_RANGE] = { "bus-range", -32000 },
	[FM_RPC_E_QOS_OVERCOMMIT] = { "qos-overcommit", -32000 },
	[FM_RPC_E_QOS_UNSUPPORTED] = { "qos-unsupported", -32000 },
	[FM_RPC_E_STORE_UNAVAILABLE] = { "store-unavailable", -32000 },
	[FM_RPC_E_INTERNAL] = { "internal", -32000 },
	[FM_RPC_E_TOO_MANY_CALLS] = { "too-many-calls", -32000 },
};

const char *fm_rpc_code_name(enum fm_rpc_code code)
{
	if ((unsigned)code >= FM_RPC_E__COUNT)
		return "internal";
	return code_table[code].name;
}

int fm_rpc_code_number(enum fm_rpc_code code)
{
	if ((unsigned)code >= FM_RPC_E__COUNT)
		return -32603;
	return code_table[code].number;
}

/* snprintf may cut a message inside a UTF-8 sequence; drop the torn tail so the response
 * stays valid UTF-8 (RFC 8259 §8.1). */
static void utf8_trim(char *s)
{
	size_t n = strlen(s), i = n, need;
	unsigned char lead;

	while (i > 0 && i + 4 > n && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
		i--;
	if (i == 0)
		return;
	lead = (unsigned char)s[i - 1];
	if (lead < 0xc0)
		return; /* ASCII, or a stray continuation byte we leave alone */
	need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	if (n - (i - 1) < need)
		s[i - 1] = '\0';
}

/* ---- line framing ---------------------------------------------------------------------- */

struct fm_rpc_linebuf {
	size_t max;
	char *buf; /* the partial line (never more than max bytes) */
	size_t len, cap;
	bool discarding; /* skipping the rest of an overlong line */
};

struct fm_rpc_linebuf *fm_rpc_linebuf_new(size_t max)
{
	struct fm_rpc_linebuf *lb = calloc(1, sizeof(*lb));

	if (!lb)
		return NULL;
	lb->max = max ? max : FM_RPC_LINE_MAX_DEFAULT;
	return lb;
}

void fm_rpc_linebuf_free(struct fm_rpc_linebuf *lb)
{
	if (!lb)
		return;
	free(lb->buf);
	free(lb);
}

static int linebuf_append(struct fm_rpc_linebuf *lb, const char *p, size_t n)
{
	if (lb->len + n > lb->cap) {
		size_t cap = lb->cap ? lb->cap : 256;
		char *nb;

		while (cap < lb->len + n)
			cap *= 2;
		if (cap > lb->max)
			cap = lb->max;
		nb = realloc(lb->buf, cap);
		if (!nb)
			return -ENOMEM;
		lb->buf = nb;
		lb->cap = cap;
	}
	memcpy(lb->buf + lb->len, p, n);
	lb->len += n;
	return 0;
}

static bool line_is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

int fm_rpc_linebuf_next(struct fm_rpc_linebuf *lb, const char **data, size_t *len,
			const char **line, size_t *linelen)
{
	/* A long line is done with (the caller had it until this call): give its buffer back
	 * rather than keep up to max bytes for as long as the connection lives. */
	if (lb->len == 0 && lb->cap > 64 * 1024) {
		free(lb->buf);
		lb->buf = NULL;
		lb->cap = 0;
	}
	while (*len > 0) {
		const char *p = *data;
		const char *nl = memchr(p, '\n', *len);
		size_t k = nl ? (size_t)(nl - p) : *len;
		const char *out;
		size_t outlen;

		if (lb->discarding) {
			*data += nl ? k + 1 : k;
			*len -= nl ? k + 1 : k;
			if (nl)
				lb->discarding = false;
			continue;
		}
		if (lb->len + k > lb->max) {
			/* Report now, once; skip through the '\n' (or all we have and keep skipping). */
			lb->len = 0;
			*data += nl ? k + 1 : k;
			*len -= nl ? k + 1 : k;
			lb->discarding = !nl;
			return FM_RPC_LINE_TOO_LONG;
		}
		if (!nl) {
			int r = linebuf_append(lb, p, k);

			*data += k;
			*len -= k;
			if (r < 0) {
				lb->len = 0;
				lb->discarding = true;
				return r;
			}
			return FM_RPC_LINE_NONE;
		}
		*data += k + 1;
		*len -= k + 1;
		if (lb->len == 0) {
			out = p; /* the whole line is in the caller's buffer: no copy */
			outlen = k;
		} else {
			int r = linebuf_append(lb, p, k);

			outlen = lb->len;
			lb->len = 0;
			if (r < 0)
				return r;
			out = lb->buf;
		}
		if (outlen > 0 && out[outlen - 1] == '\r')
			outlen--;
		if (line_is_blank(out, outlen))
			continue;
		*line = out;
		*linelen = outlen;
		return FM_RPC_LINE_OK;
	}
	return FM_RPC_LINE_NONE;
}

/* ---- requests --------------------------------------------------------------------------- */

static bool string_has_nul(struct json_object *s)
{
	return strlen(json_object_get_string(s)) != (size_t)json_object_get_string_len(s);
}

/* ---- the id's text ----------------------------------------------------------------------
 * json-c clamps integers it cannot hold (18446744073709551616 becomes UINT64_MAX,
 * -9223372036854775809 INT64_MIN) and writes -0 as 0, and it keeps the last of two "id"
 * members. JSON-RPC 2.0 §5 wants the response to carry the same id, so the id's text is
 * read from the line itself (which json-c has already validated as one JSON object) and a
 * number id serializes as exactly that text. */

static size_t json_skip_ws(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* i at the opening quote; returns the index past the closing one. */
static size_t json_skip_string(const char *s, size_t i, size_t n)
{
	for (i++; i < n && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i < n ? i + 1 : n;
}

/* i at a value; returns the index past it. Iterative: nesting depth costs nothing. */
static size_t json_skip_value(const char *s, size_t i, size_t n)
{
	size_t depth = 0;

	do {
		i = json_skip_ws(s, i, n);
		if (i >= n)
			return n;
		if (s[i] == '"') {
			i = json_skip_string(s, i, n);
		} else if (s[i] == '{' || s[i] == '[') {
			depth++;
			i++;
		} else if (s[i] == '}' || s[i] == ']') {
			depth--;
			i++;
		} else if (s[i] == ',' || s[i] == ':') {
			i++;
		} else {
			while (i < n && !strchr(",:{}[]\" \t\r\n", s[i]))
				i++;
		}
	} while (depth && i < n);
	return i;
}

/* Whether the string token at s[i] (the opening quote) decodes to "id". */
static bool json_key_is_id(const char *s, size_t i, size_t n)
{
	static const char want[] = "id";
	size_t k = 0;

	for (i++; i < n && s[i] != '"'; k++) {
		unsigned c = (unsigned char)s[i++];

		if (c == '\\' && i < n) {
			c = (unsigned char)s[i++];
			if (c == 'u') {
				char hex[5] = { 0 };

				if (i + 4 > n)
					return false;
				memcpy(hex, s + i, 4);
				c = (unsigned)strtoul(hex, NULL, 16);
				i += 4;
			}
		}
		if (k >= 2 || c != (unsigned char)want[k])
			return false;
	}
	return k == 2;
}

/* The span of the top-level "id" member's value in line, and how many there are. */
static unsigned json_find_id(const char *line, size_t len, size_t *start, size_t *end)
{
	size_t i = json_skip_ws(line, 0, len);
	unsigned count = 0;

	if (i >= len || line[i] != '{')
		return 0;
	for (i++;;) {
		bool is_id;
		size_t v;

		i = json_skip_ws(line, i, len);
		if (i >= len || line[i] != '"')
			return count; /* '}' */
		is_id = json_key_is_id(line, i, len);
		i = json_skip_ws(line, json_skip_string(line, i, len), len) + 1; /* past ':' */
		v = json_skip_ws(line, i, len);
		i = json_skip_value(line, v, len);
		if (is_id) {
			count++;
			*start = v;
			*end = i;
		}
		i = json_skip_ws(line, i, len);
		if (i >= len || line[i] != ',')
			return count;
		i++;
	}
}

/* Makes the number id v serialize as its text in line. */
static int keep_id_text(const char *line, size_t len, struct json_object *v, char *err,
			size_t errlen)
{
	size_t start = 0, end = 0;
	unsigned count = json_find_id(line, len, &start, &end);
	char *text;

	if (count > 1) {
		snprintf(err, errlen, "more than one \"id\" member");
		return -EINVAL;
	}
	if (count == 0 || start >= end) { /* cannot happen on a line json-c accepted */
		snprintf(err, errlen, "cannot read \"id\"");
		return -EINVAL;
	}
	if (!json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_double))
		return 0;
	text = malloc(end - start + 1); /* not strndup: line is not NUL-terminated */
	if (text) {
		memcpy(text, line + start, end - start);
		text[end - start] = '\0';
	}
	if (!text) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	json_object_set_serializer(v, json_object_userdata_to_json_string, text,
				   json_object_free_userdata);
	return 0;
}

int fm_rpc_request_parse(const char *line, size_t len, struct fm_rpc_request *req,
			 enum fm_rpc_code *code, char *err, size_t errlen)
{
	struct json_tokener *tok = NULL;
	struct json_object *v;
	enum json_tokener_error jerr;
	const char *nul;
	int ret = -EINVAL;

	memset(req, 0, sizeof(*req));
	*code = FM_RPC_E_PARSE_ERROR;

	nul = memchr(line, '\0', len);
	if (nul) {
		snprintf(err, errlen, "parse error at byte %zu: NUL byte", (size_t)(nul - line));
		goto out;
	}
	if (len > (size_t)INT32_MAX) {
		snprintf(err, errlen, "parse error: line too long");
		goto out;
	}
	tok = json_tokener_new();
	if (!tok) {
		*code = FM_RPC_E_INTERNAL_ERROR;
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	req->root = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_continue) {
		/* A bare scalar or a truncated document: the line is all there is. */
		req->root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		if (jerr != json_tokener_success) {
			snprintf(err, errlen, "parse error at byte %zu: %s", len,
				 json_tokener_error_desc(jerr));
			goto out;
		}
	} else if (jerr != json_tokener_success) {
		snprintf(err, errlen, "parse error at byte %zu: %s",
			 json_tokener_get_parse_end(tok), json_tokener_error_desc(jerr));
		goto out;
	}

	*code = FM_RPC_E_INVALID_REQUEST;
	if (!json_object_is_type(req->root, json_type_object)) {
		snprintf(err, errlen, "%s",
			 json_object_is_type(req->root, json_type_array) ?
				 "batch requests are not supported" :
				 "request is not a JSON object");
		goto out;
	}

	if (json_object_object_get_ex(req->root, "id", &v)) {
		if (v && !json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double) &&
		    !json_object_is_type(v, json_type_string)) {
			snprintf(err, errlen, "\"id\" must be a number, a string or null");
			goto out;
		}
		ret = keep_id_text(line, len, v, err, errlen);
		if (ret) {
			*code = ret == -ENOMEM ? FM_RPC_E_INTERNAL_ERROR : FM_RPC_E_INVALID_REQUEST;
			goto out;
		}
		ret = -EINVAL;
		req->id = v;
		req->has_id = true;
	}

	if (!json_object_object_get_ex(req->root, "jsonrpc", &v)) {
		snprintf(err, errlen, "missing \"jsonrpc\": \"2.0\"");
		goto out;
	}
	if (!json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "2.0") != 0 || string_has_nul(v)) {
		snprintf(err, errlen, "\"jsonrpc\" must be \"2.0\"");
		goto out;
	}

	if (!json_object_object_get_ex(req->root, "method", &v)) {
		snprintf(err, errlen, "missing \"method\"");
		goto out;
	}
	if (!json_object_is_type(v, json_type_string)) {
		snprintf(err, errlen, "\"method\" must be a string");
		goto out;
	}
	if (json_object_get_string_len(v) == 0 || string_has_nul(v)) {
		snprintf(err, errlen, "\"method\" must be a non-empty string without NUL bytes");
		goto out;
	}

	json_object_object_foreach(req->root, key, val) {
		(void)val;
		if (strcmp(key, "jsonrpc") && strcmp(key, "id") && strcmp(key, "method") &&
		    strcmp(key, "params")) {
			snprintf(err, errlen, "unknown member \"%s\" in request", key);
			goto out;
		}
	}

	if (json_object_object_get_ex(req->root, "params", &v) && v) {
		if (json_object_is_type(v, json_type_array)) {
			*code = FM_RPC_E_BAD_PARAMS;
			snprintf(err, errlen,
				 "\"params\" must be an object: by-position params are not supported");
			goto out;
		}
		if (!json_object_is_type(v, json_type_object)) {
			snprintf(err, errlen, "\"params\" must be an object");
			goto out;
		}
		req->params = v;
	}

	/* Set last: a request with a method is one the caller may dispatch. */
	req->method = json_object_get_string(json_object_object_get(req->root, "method"));
	ret = 0;
out:
	if (tok) /* json-c 0.16's json_tokener_free(NULL) crashes */
		json_tokener_free(tok);
	if (ret == 0 && errlen)
		err[0] = '\0';
	return ret;
}

void fm_rpc_request_clear(struct fm_rpc_request *req)
{
	json_object_put(req->root);
	memset(req, 0, sizeof(*req));
}

/* ---- peers and access ------------------------------------------------------------------- */

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59 /* Linux 4.13; older headers lack it */
#endif

/* The supplementary groups the peer's process had when it connected. -ENOPROTOOPT: a
 * kernel without SO_PEERGROUPS. */
static int peer_groups_from_socket(int fd, struct fm_rpc_peer *peer, char *err, size_t errlen)
{
	socklen_t len = sizeof(peer->groups);
	gid_t *all = NULL;
	int ret = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, peer->groups, &len) == 0) {
		peer->n_groups = (unsigned)(len / sizeof(gid_t));
		return 0;
	}
	if (errno != ERANGE) {
		ret = -errno;
		snprintf(err, errlen, "SO_PEERGROUPS: %s", strerror(errno));
		return ret;
	}
	/* more than we keep: len says how many there are */
	all = malloc(len);
	if (!all) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, all, &len) < 0) {
		ret = -errno;
		snprintf(err, errlen, "SO_PEERGROUPS: %s", strerror(errno));
		goto out;
	}
	peer->n_groups = FM_RPC_PEER_GROUPS_MAX;
	memcpy(peer->groups, all, sizeof(peer->groups));
	peer->groups_truncated = len / sizeof(gid_t) > FM_RPC_PEER_GROUPS_MAX;
out:
	free(all);
	return ret;
}

/* "Uid:\t1000\t1000\t1000\t1000": the second number is the effective id. */
static int status_effective_id(const char *line, unsigned long *id)
{
	char *end;

	errno = 0;
	strtoul(line, &end, 10);
	if (end == line || errno)
		return -EINVAL;
	*id = strtoul(end, &end, 10);
	return errno ? -EINVAL : 0;
}

int fm_rpc_peer_groups_from_proc(struct fm_rpc_peer *peer, const char *path, char *err,
				 size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	unsigned long uid = (unsigned long)-1, gid = (unsigned long)-1;
	bool have_groups = false;
	int ret = 0;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	peer->n_groups = 0;
	peer->groups_truncated = false;
	while (getline(&line, &cap, f) > 0) {
		if (!strncmp(line, "Uid:", 4)) {
			ret = status_effective_id(line + 4, &uid);
		} else if (!strncmp(line, "Gid:", 4)) {
			ret = status_effective_id(line + 4, &gid);
		} else if (!strncmp(line, "Groups:", 7)) {
			char *p = line + 7, *end;

			have_groups = true;
			for (;;) {
				unsigned long g;

				errno = 0;
				g = strtoul(p, &end, 10);
				if (end == p)
					break;
				if (errno || g > (gid_t)-1) {
					ret = -EINVAL;
					break;
				}
				if (peer->n_groups < FM_RPC_PEER_GROUPS_MAX)
					peer->groups[peer->n_groups++] = (gid_t)g;
				else
					peer->groups_truncated = true;
				p = end;
			}
		}
		if (ret)
			break;
	}
	if (ret || !have_groups || uid == (unsigned long)-1 || gid == (unsigned long)-1) {
		ret = -EINVAL;
		snprintf(err, errlen, "%s: no Uid, Gid and Groups lines as expected", path);
	} else if (uid != peer->uid || gid != peer->gid) {
		/* the peer has gone and its pid is another process's, or it changed identity
		 * since it connected: either way these are not the groups it connected with */
		ret = -ESRCH;
		snprintf(err, errlen, "%s: uid %lu gid %lu, not the peer's %u and %u", path, uid,
			 gid, (unsigned)peer->uid, (unsigned)peer->gid);
	}
	if (ret)
		peer->n_groups = 0;
	free(line);
	fclose(f);
	return ret;
}

int fm_rpc_peer_from_socket(int fd, struct fm_rpc_peer *peer, char *err, size_t errlen)
{
	struct ucred uc;
	socklen_t sl = sizeof(uc);
	char path[64], why[192];
	int rc;

	memset(peer, 0, sizeof(*peer));
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &sl) < 0) {
		int e = errno;

		snprintf(err, errlen, "SO_PEERCRED: %s", strerror(e));
		return -e;
	}
	peer->pid = uc.pid;
	peer->uid = uc.uid;
	peer->gid = uc.gid;
	rc = peer_groups_from_socket(fd, peer, why, sizeof(why));
	if (rc == -ENOPROTOOPT) {
		snprintf(path, sizeof(path), "/proc/%d/status", (int)uc.pid);
		rc = fm_rpc_peer_groups_from_proc(peer, path, why, sizeof(why));
	}
	if (rc < 0)
		peer->groups_unread = true; /* reads still work; privileged calls are refused */
	return 0;
}

int fm_rpc_peer_in_group(const struct fm_rpc_peer *peer, gid_t group, char *name,
			 size_t namelen)
{
	struct passwd pw, *pwp = NULL;
	char buf[4096];

	if (namelen) {
		name[0] = '\0';
		/* only to name the user in reasons: membership comes from the peer itself */
		if (getpwuid_r(peer->uid, &pw, buf, sizeof(buf), &pwp) == 0 && pwp)
			snprintf(name, namelen, "%s", pw.pw_name);
	}
	if (peer->gid == group)
		return 1;
	if (peer->groups_unread)
		return -ENODATA;
	for (unsigned i = 0; i < peer->n_groups; i++)
		if (peer->groups[i] == group)
			return 1;
	return peer->groups_truncated ? -E2BIG : 0;
}

int fm_rpc_access_init(struct fm_rpc_access *acc, uid_t daemon_uid, const char *group,
		       char *err, size_t errlen)
{
	struct group gr, *grp = NULL;
	char *buf = NULL;
	size_t buflen = 4096;
	int ret = 0;

	memset(acc, 0, sizeof(*acc));
	acc->daemon_uid = daemon_uid;
	if (!group || !group[0])
		goto out;
	for (;;) {
		char *nb = realloc(buf, buflen);

		if (!nb) {
			ret = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		buf = nb;
		ret = getgrnam_r(group, &gr, buf, buflen, &grp);
		if (ret != ERANGE || buflen >= (1u << 20))
			break;
		buflen *= 2;
	}
	if (ret) {
		snprintf(err, errlen, "group \"%s\": %s", group, strerror(ret));
		ret = -ret;
		goto out;
	}
	if (grp) {
		acc->group_gid = grp->gr_gid;
	} else {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(group, &end, 10);
		if (*end || errno || group[0] < '0' || group[0] > '9' || v >= (gid_t)-1) {
			snprintf(err, errlen, "group \"%s\" does not exist", group);
			ret = -ENOENT;
			goto out;
		}
		acc->group_gid = (gid_t)v;
	}
	acc->has_group = true;
	snprintf(acc->group_name, sizeof(acc->group_name), "%s", group);
out:
	free(buf);
	return ret;
}

bool fm_rpc_access_allowed(const struct fm_rpc_access *acc, const struct fm_rpc_peer *peer,
			   bool privileged, char *reason, size_t reasonlen)
{
	fm_rpc_group_lookup_fn lookup = acc->lookup ? acc->lookup : fm_rpc_peer_in_group;
	char gname[80], uname[64];
	unsigned uid = (unsigned)peer->uid;
	int r;

	if (!privileged) {
		snprintf(reason, reasonlen, "read-only method, open to every peer");
		return true;
	}
	if (peer->uid == 0) {
		snprintf(reason, reasonlen, "uid 0 is root");
		return true;
	}
	if (peer->uid == acc->daemon_uid) {
		snprintf(reason, reasonlen, "uid %u is the daemon's own uid", uid);
		return true;
	}
	if (!acc->has_group) {
		snprintf(reason, reasonlen,
			 "uid %u is neither root nor the daemon's uid %u, and no control group is "
			 "configured", uid, (unsigned)acc->daemon_uid);
		return false;
	}
	if (acc->group_name[0])
		snprintf(gname, sizeof(gname), "%s", acc->group_name);
	else
		snprintf(gname, sizeof(gname), "gid %u", (unsigned)acc->group_gid);
	if (peer->gid == acc->group_gid) {
		snprintf(reason, reasonlen, "uid %u has primary group %s", uid, gname);
		return true;
	}
	r = lookup(peer, acc->group_gid, uname, sizeof(uname));
	if (r < 0) {
		snprintf(reason, reasonlen, "uid %u: group lookup failed: %s", uid, strerror(-r));
		return false;
	}
	if (r > 0) {
		snprintf(reason, reasonlen, "uid %u%s%s%s is a member of group %s", uid,
			 uname[0] ? " (" : "", uname, uname[0] ? ")" : "", gname);
		return true;
	}
	snprintf(reason, reasonlen,
		 "uid %u%s%s%s is not root, the daemon's uid or a member of group %s", uid,
		 uname[0] ? " (" : "", uname, uname[0] ? ")" : "", gname);
	return false;
}

/* ---- server, connections, calls --------------------------------------------------------- */

struct fm_rpc_server {
	const struct fm_rpc_method **index; /* sorted by name */
	size_t n;
	fm_rpc_send_fn send;
	fm_rpc_denied_fn denied;
	void *ctx;
	size_t line_max;
	size_t pending_max;
	struct fm_rpc_access access;
};

struct fm_rpc_conn {
	struct fm_rpc_server *srv;
	void *cookie;
	struct fm_rpc_peer peer;
	struct fm_rpc_linebuf *lb;
	struct fm_rpc_call *pending; /* calls not answered yet */
	size_t n_pending;
	int feeding;         /* depth of fm_rpc_conn_feed on the stack */
	bool free_requested; /* fm_rpc_conn_free ran while feeding */
	bool held;           /* fm_rpc_conn_hold: feed_some takes no more lines */
};

struct fm_rpc_call {
	struct fm_rpc_conn *conn; /* NULL once orphaned */
	struct fm_rpc_call *prev, *next;
	struct json_object *request; /* keeps method, params and id alive */
	struct json_object *params;  /* borrowed from request, or an owned empty object */
	bool own_params;
	struct json_object *id;
	bool has_id;
	const struct fm_rpc_method *method;
	struct fm_rpc_peer peer;
	char reason[192];
};

static int method_cmp(const void *a, const void *b)
{
	const struct fm_rpc_method *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

static int method_key_cmp(const void *key, const void *elem)
{
	const struct fm_rpc_method *const *m = elem;

	return strcmp(key, (*m)->name);
}

int fm_rpc_server_new(struct fm_rpc_server **srvp, const struct fm_rpc_server_config *cfg,
		      char *err, size_t errlen)
{
	struct fm_rpc_server *srv;
	int ret = -EINVAL;

	*srvp = NULL;
	srv = calloc(1, sizeof(*srv));
	if (!srv || (cfg->n_methods && !(srv->index = calloc(cfg->n_methods, sizeof(*srv->index))))) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto err_free;
	}
	if (!cfg->send) {
		snprintf(err, errlen, "no send callback");
		goto err_free;
	}
	for (size_t i = 0; i < cfg->n_methods; i++) {
		const struct fm_rpc_method *m = &cfg->methods[i];

		if (!m->name || !m->name[0] || !m->handler) {
			snprintf(err, errlen, "method #%zu: empty name or no handler", i);
			goto err_free;
		}
		srv->index[i] = m;
	}
	srv->n = cfg->n_methods;
	if (srv->n)
		qsort(srv->index, srv->n, sizeof(*srv->index), method_cmp);
	for (size_t i = 1; i < srv->n; i++) {
		if (strcmp(srv->index[i - 1]->name, srv->index[i]->name) == 0) {
			snprintf(err, errlen, "method \"%s\" is registered twice",
				 srv->index[i]->name);
			goto err_free;
		}
	}
	srv->send = cfg->send;
	srv->denied = cfg->denied;
	srv->ctx = cfg->ctx;
	srv->line_max = cfg->line_max ? cfg->line_max : FM_RPC_LINE_MAX_DEFAULT;
	srv->pending_max = cfg->pending_max;
	srv->access = cfg->access;
	*srvp = srv;
	return 0;
err_free:
	fm_rpc_server_free(srv);
	return ret;
}

void fm_rpc_server_free(struct fm_rpc_server *srv)
{
	if (!srv)
		return;
	free(srv->index);
	free(srv);
}

const struct fm_rpc_method *fm_rpc_server_lookup(const struct fm_rpc_server *srv,
						 const char *name)
{
	const struct fm_rpc_method *const *m;

	if (!srv->n)
		return NULL;
	m = bsearch(name, srv->index, srv->n, sizeof(*srv->index), method_key_cmp);
	return m ? *m : NULL;
}

int fm_rpc_conn_new(struct fm_rpc_conn **connp, struct fm_rpc_server *srv, void *cookie,
		    const struct fm_rpc_peer *peer, char *err, size_t errlen)
{
	struct fm_rpc_conn *conn = calloc(1, sizeof(*conn));

	*connp = NULL;
	if (!conn)
		goto err_nomem;
	conn->lb = fm_rpc_linebuf_new(srv->line_max);
	if (!conn->lb)
		goto err_nomem;
	conn->srv = srv;
	conn->cookie = cookie;
	conn->peer = *peer;
	*connp = conn;
	return 0;
err_nomem:
	free(conn);
	snprintf(err, errlen, "out of memory");
	return -ENOMEM;
}

static void call_unlink(struct fm_rpc_call *call)
{
	struct fm_rpc_conn *conn = call->conn;

	if (!conn)
		return;
	if (call->prev)
		call->prev->next = call->next;
	else
		conn->pending = call->next;
	if (call->next)
		call->next->prev = call->prev;
	conn->n_pending--;
	call->conn = NULL;
	call->prev = call->next = NULL;
}

void fm_rpc_conn_free(struct fm_rpc_conn *conn)
{
	if (!conn)
		return;
	while (conn->pending)
		call_unlink(conn->pending);
	if (conn->feeding) {
		conn->free_requested = true;
		return;
	}
	fm_rpc_linebuf_free(conn->lb);
	free(conn);
}

size_t fm_rpc_conn_pending(const struct fm_rpc_conn *conn)
{
	return conn->n_pending;
}

bool fm_rpc_conn_mid_line(const struct fm_rpc_conn *conn)
{
	return conn->lb->len > 0 || conn->lb->discarding;
}

/* Serializes obj as one line and hands it to the transport; consumes obj. */
static int conn_send(struct fm_rpc_conn *conn, struct json_object *obj)
{
	const char *s;
	size_t n;
	char *line;
	int ret = -ENOMEM;

	if (!obj)
		return -ENOMEM;
	if (conn->free_requested) {
		ret = -ENOTCONN;
		goto out;
	}
	/* PLAIN escapes control characters, so the only '\n' is the terminator. */
	s = json_object_to_json_string_length(obj,
					      JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (!s)
		goto out;
	line = malloc(n + 1);
	if (!line)
		goto out;
	memcpy(line, s, n);
	line[n] = '\n';
	ret = conn->srv->send(conn->cookie, line, n + 1);
out:
	json_object_put(obj);
	return ret;
}

/* {"jsonrpc":"2.0","id":ID,"error":{"code":N,"message":M,"data":{"code":NAME,...}}}; takes
 * data, references id. */
static struct json_object *build_error(struct json_object *id, enum fm_rpc_code code,
				       struct json_object *data, char *msg)
{
	struct json_object *resp = json_object_new_object(), *e = json_object_new_object();

	if (!resp || !e)
		goto err;
	if (!data || !json_object_is_type(data, json_type_object)) {
		json_object_put(data);
		data = json_object_new_object();
		if (!data)
			goto err;
	}
	utf8_trim(msg);
	/* "code" goes first so a person reading the line sees it before the extras. */
	{
		struct json_object *d = json_object_new_object();

		if (!d)
			goto err;
		json_object_object_add(d, "code", json_object_new_string(fm_rpc_code_name(code)));
		json_object_object_foreach(data, k, v)
			if (strcmp(k, "code") != 0)
				json_object_object_add(d, k, json_object_get(v));
		json_object_put(data);
		data = d;
	}
	json_object_object_add(e, "code", json_object_new_int(fm_rpc_code_number(code)));
	json_object_object_add(e, "message", json_object_new_string(msg));
	json_object_object_add(e, "data", data);
	json_object_object_add(resp, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(resp, "id", json_object_get(id));
	json_object_object_add(resp, "error", e);
	return resp;
err:
	json_object_put(data);
	json_object_put(e);
	json_object_put(resp);
	return NULL;
}

static void conn_send_error(struct fm_rpc_conn *conn, struct json_object *id,
			    enum fm_rpc_code code, struct json_object *data, char *msg)
{
	conn_send(conn, build_error(id, code, data, msg));
}

static struct json_object *data_with_string(const char *key, const char *val)
{
	struct json_object *d = json_object_new_object();

	if (d)
		json_object_object_add(d, key, json_object_new_string(val));
	return d;
}

static void call_free(struct fm_rpc_call *call)
{
	call_unlink(call);
	if (call->own_params)
		json_object_put(call->params);
	json_object_put(call->request);
	free(call);
}

static int dispatch_line(struct fm_rpc_conn *conn, const char *line, size_t len)
{
	struct fm_rpc_server *srv = conn->srv;
	struct fm_rpc_request req;
	const struct fm_rpc_method *m;
	struct fm_rpc_call *call;
	enum fm_rpc_code code;
	char msg[256];
	int ret = 0;

	if (fm_rpc_request_parse(line, len, &req, &code, msg, sizeof(msg)) < 0) {
		/* Not a valid Request object: always answered. Invalid params of a notification
		 * are not (JSON-RPC 2.0 §4.1). */
		if (code != FM_RPC_E_BAD_PARAMS || req.has_id)
			conn_send_error(conn, req.id, code,
					code == FM_RPC_E_BAD_PARAMS ?
						data_with_string("param", "params") : NULL,
					msg);
		goto out;
	}
	m = fm_rpc_server_lookup(srv, req.method);
	if (!m) {
		if (req.has_id) {
			snprintf(msg, sizeof(msg), "no such method \"%s\"", req.method);
			conn_send_error(conn, req.id, FM_RPC_E_NO_SUCH_METHOD,
					data_with_string("method", req.method), msg);
		}
		goto out;
	}

	if (srv->pending_max && conn->n_pending >= srv->pending_max) {
		/* a peer piling up calls it does not wait for: refused, not queued */
		if (req.has_id) {
			struct json_object *d = json_object_new_object();

			if (d)
				json_object_object_add(d, "limit",
						       json_object_new_uint64(srv->pending_max));
			snprintf(msg, sizeof(msg), "%zu calls of this connection are not answered yet",
				 conn->n_pending);
			conn_send_error(conn, req.id, FM_RPC_E_TOO_MANY_CALLS, d, msg);
		}
		goto out;
	}
	call = calloc(1, sizeof(*call));
	if (!call) {
		snprintf(msg, sizeof(msg), "out of memory");
		conn_send_error(conn, req.id, FM_RPC_E_INTERNAL_ERROR, NULL, msg);
		ret = -ENOMEM;
		goto out;
	}
	if (!fm_rpc_access_allowed(&srv->access, &conn->peer,
				   m->flags & (FM_RPC_MUTATING | FM_RPC_PRIVILEGED), call->reason,
				   sizeof(call->reason))) {
		if (srv->denied)
			srv->denied(srv->ctx, &conn->peer, m->name, req.params, call->reason);
		if (req.has_id) {
			snprintf(msg, sizeof(msg), "%s needs privileges: %s", m->name,
				 call->reason);
			conn_send_error(conn, req.id, FM_RPC_E_PERMISSION_DENIED,
					data_with_string("method", m->name), msg);
		}
		free(call);
		goto out;
	}
	call->request = req.root;
	req.root = NULL; /* the call owns it now */
	call->id = req.id;
	call->has_id = req.has_id;
	call->method = m;
	call->peer = conn->peer;
	if (req.params) {
		call->params = req.params;
	} else {
		call->params = json_object_new_object();
		call->own_params = true;
		if (!call->params) {
			snprintf(msg, sizeof(msg), "out of memory");
			conn_send_error(conn, req.id, FM_RPC_E_INTERNAL_ERROR, NULL, msg);
			call_free(call);
			ret = -ENOMEM;
			goto out;
		}
	}
	call->conn = conn;
	call->next = conn->pending;
	if (conn->pending)
		conn->pending->prev = call;
	conn->pending = call;
	conn->n_pending++;
	m->handler(call, call->params, srv->ctx);
out:
	fm_rpc_request_clear(&req);
	return ret;
}

void fm_rpc_conn_hold(struct fm_rpc_conn *conn, bool hold)
{
	conn->held = hold;
}

int fm_rpc_conn_feed(struct fm_rpc_conn *conn, const char *data, size_t len)
{
	return fm_rpc_conn_feed_some(conn, data, len, NULL);
}

int fm_rpc_conn_feed_some(struct fm_rpc_conn *conn, const char *data, size_t len,
			  size_t *used)
{
	const char *line;
	size_t linelen, total = len;
	int r, ret = 0;
	char msg[128];

	conn->feeding++;
	while (!conn->free_requested && !(used && conn->held) &&
	       (r = fm_rpc_linebuf_next(conn->lb, &data, &len, &line, &linelen)) != 0) {
		if (r == FM_RPC_LINE_OK) {
			r = dispatch_line(conn, line, linelen);
			if (r < 0) {
				ret = r;
				break;
			}
		} else if (r == FM_RPC_LINE_TOO_LONG) {
			struct json_object *d = json_object_new_object();

			if (d)
				json_object_object_add(d, "limit",
						       json_object_new_uint64(conn->srv->line_max));
			snprintf(msg, sizeof(msg), "request line longer than %zu bytes",
				 conn->srv->line_max);
			conn_send_error(conn, NULL, FM_RPC_E_INVALID_REQUEST, d, msg);
		} else {
			ret = r;
			break;
		}
	}
	if (used)
		*used = total - len;
	if (--conn->feeding == 0 && conn->free_requested)
		fm_rpc_conn_free(conn);
	return ret;
}

const char *fm_rpc_call_method(const struct fm_rpc_call *call)
{
	return call->method->name;
}

struct json_object *fm_rpc_call_id(const struct fm_rpc_call *call)
{
	return call->id;
}

bool fm_rpc_call_is_notification(const struct fm_rpc_call *call)
{
	return !call->has_id;
}

const struct fm_rpc_peer *fm_rpc_call_peer(const struct fm_rpc_call *call)
{
	return &call->peer;
}

const char *fm_rpc_call_access_reason(const struct fm_rpc_call *call)
{
	return call->reason;
}

void *fm_rpc_call_cookie(const struct fm_rpc_call *call)
{
	return call->conn ? call->conn->cookie : NULL;
}

/* Sends resp for call (if anyone is to get it) and frees the call; consumes resp. */
static int call_finish(struct fm_rpc_call *call, struct json_object *resp)
{
	int ret;

	if (!call->conn) {
		json_object_put(resp);
		ret = -ENOTCONN;
	} else if (!call->has_id) {
		json_object_put(resp);
		ret = 0;
	} else {
		ret = conn_send(call->conn, resp);
	}
	call_free(call);
	return ret;
}

int fm_rpc_reply_result(struct fm_rpc_call *call, struct json_object *result)
{
	struct json_object *resp = json_object_new_object();

	if (!resp) {
		json_object_put(result);
		return call_finish(call, NULL);
	}
	json_object_object_add(resp, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(resp, "id", json_object_get(call->id));
	json_object_object_add(resp, "result", result);
	return call_finish(call, resp);
}

static int reply_error_v(struct fm_rpc_call *call, enum fm_rpc_code code,
			 struct json_object *data, const char *fmt, va_list ap)
{
	char *msg = NULL;
	struct json_object *resp;

	if (vasprintf(&msg, fmt, ap) < 0) {
		json_object_put(data);
		return call_finish(call, NULL);
	}
	resp = build_error(call->id, code, data, msg);
	free(msg);
	return call_finish(call, resp);
}

int fm_rpc_reply_error(struct fm_rpc_call *call, enum fm_rpc_code code, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = reply_error_v(call, code, NULL, fmt, ap);
	va_end(ap);
	return ret;
}

int fm_rpc_reply_error_data(struct fm_rpc_call *call, enum fm_rpc_code code,
			    struct json_object *data, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = reply_error_v(call, code, data, fmt, ap);
	va_end(ap);
	return ret;
}

/* ---- parameter helpers ------------------------------------------------------------------ */

__attribute__((format(printf, 3, 4)))
static int bad_param(struct fm_rpc_call *call, const char *name, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_error_v(call, FM_RPC_E_BAD_PARAMS, data_with_string("param", name), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* 1 present (and not null), 0 absent or null. */
static int param_get(struct json_object *params, const char *name, struct json_object **v)
{
	*v = NULL;
	return params && json_object_object_get_ex(params, name, v) && *v;
}

int fm_rpc_param_check_known(struct fm_rpc_call *call, struct json_object *params,
			     const char *const *names)
{
	if (!params)
		return 0;
	json_object_object_foreach(params, key, val) {
		const char *const *n;

		(void)val;
		for (n = names; *n; n++)
			if (strcmp(*n, key) == 0)
				break;
		if (!*n)
			return bad_param(call, key, "unknown parameter \"%s\"", key);
	}
	return 0;
}

static int param_str(struct fm_rpc_call *call, struct json_object *v, const char *name,
		     const char **out)
{
	if (!json_object_is_type(v, json_type_string))
		return bad_param(call, name, "parameter \"%s\" must be a string", name);
	if (string_has_nul(v))
		return bad_param(call, name, "parameter \"%s\" contains a NUL byte", name);
	*out = json_object_get_string(v);
	return 0;
}

int fm_rpc_param_string(struct fm_rpc_call *call, struct json_object *params, const char *name,
			const char **out)
{
	struct json_object *v;

	if (!param_get(params, name, &v))
		return bad_param(call, name, "missing parameter \"%s\"", name);
	if (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) == 0)
		return bad_param(call, name, "parameter \"%s\" must not be empty", name);
	return param_str(call, v, name, out);
}

int fm_rpc_param_opt_string(struct fm_rpc_call *call, struct json_object *params,
			    const char *name, const char **out)
{
	struct json_object *v;

	if (!param_get(params, name, &v))
		return 0;
	return param_str(call, v, name, out);
}

int fm_rpc_param_opt_bool(struct fm_rpc_call *call, struct json_object *params, const char *name,
			  bool *out)
{
	struct json_object *v;

	if (!param_get(params, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return bad_param(call, name, "parameter \"%s\" must be true or false", name);
	*out = json_object_get_boolean(v);
	return 0;
}

int fm_rpc_param_opt_uint(struct fm_rpc_call *call, struct json_object *params, const char *name,
			  uint64_t min, uint64_t max, uint64_t *out)
{
	struct json_object *v;
	uint64_t u;

	if (!param_get(params, name, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return bad_param(call, name, "parameter \"%s\" must be an integer", name);
	/* json-c keeps integers above INT64_MAX as uint64; get_int64 then saturates. */
	if (json_object_get_int64(v) < 0)
		goto range;
	u = json_object_get_uint64(v);
	if (u < min || u > max)
		goto range;
	*out = u;
	return 0;
range:
	return bad_param(call, name, "parameter \"%s\" must be between %llu and %llu", name,
			 (unsigned long long)min, (unsigned long long)max);
}
