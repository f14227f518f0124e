/* bench: a line protocol over a local socket for the physical side of the chassis. The
 * server parses each command into a sim_bench_* call; the client is a blocking one-shot. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>
#include <pci/pci.h>

#include "bench.h"
#include "config_space.h"
#include "mgmt.h"
#include "text_escape.h"

#define BENCH_LINE_MAX 1024
#define BENCH_ARGS_MAX 8
#define BENCH_HEAD_MAX 4096             /* the client's cap on an answer's first line */
#define BENCH_ANSWER_MAX (64u << 20)    /* and on its output (a dump is ~150 KB) */

struct bconn {
	struct sim_bench *b;
	uv_stream_t *stream;
	char line[BENCH_LINE_MAX];
	size_t len;
	bool overlong;
	char rbuf[4096];
	struct bconn *prev, *next;
};

struct sim_bench {
	uv_loop_t *loop;
	struct sim *s;
	struct sim_mgmt *mgmt;
	uv_stream_t *server;
	struct bconn *conns;
};

/* ---- command execution ----------------------------------------------------------------- */

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!*s)
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end || errno || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int slot_arg(struct sim *s, const char *a, uint16_t *slot, char *err, size_t errlen)
{
	unsigned long v;
	int n;

	if (!parse_uint(a, 0xfffe, &v) ||
	    (!strncmp(a, "slot", 4) && !parse_uint(a + 4, 0xfffe, &v))) {
		*slot = (uint16_t)v;
		return 0;
	}
	n = sim_slot_by_card_name(s, a);
	if (n < 0) {
		snprintf(err, errlen, "no slot or card named \"%s\"", a);
		return -ENOENT;
	}
	*slot = (uint16_t)n;
	return 0;
}

static int port_arg(struct sim *s, const char *a, uint8_t *port, char *err, size_t errlen)
{
	unsigned long v;
	int n;

	if (!parse_uint(a, 254, &v)) {
		*port = (uint8_t)v;
		return 0;
	}
	n = sim_port_by_name(s, a);
	if (n < 0) {
		snprintf(err, errlen, "no host port named \"%s\"", a);
		return -ENOENT;
	}
	*port = (uint8_t)n;
	return 0;
}

/* FUNCTION as the manager names it: CARD/pfN or CARD/pfN/vfM, CARD as for SLOT. */
static int fn_arg(struct sim *s, const char *a, struct fmp_fn_addr *fn, char *err, size_t errlen)
{
	char card[BENCH_LINE_MAX], *pf, *vf;
	unsigned long v;
	int rc;

	snprintf(card, sizeof(card), "%s", a);
	pf = strchr(card, '/');
	if (!pf || strncmp(pf + 1, "pf", 2))
		goto bad;
	*pf = '\0';
	pf += 3;
	vf = strchr(pf, '/');
	if (vf) {
		*vf = '\0';
		if (strncmp(vf + 1, "vf", 2) || parse_uint(vf + 3, 0xfffe, &v))
			goto bad;
		fn->vf = (uint16_t)v;
	} else {
		fn->vf = FMP_VF_NONE;
	}
	if (parse_uint(pf, 0xff, &v))
		goto bad;
	fn->pf = (uint8_t)v;
	rc = slot_arg(s, card, &fn->slot, err, errlen);
	return rc;
bad:
	snprintf(err, errlen, "FUNCTION \"%s\": not CARD/pfN or CARD/pfN/vfM", a);
	return -EINVAL;
}

/* Gb/s as a plain decimal number: no sign, exponent, hex, inf or nan. */
static int gbps_arg(const char *a, double *out, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(a, &end);
	if (!*a || strspn(a, "0123456789.") != strlen(a) || *end || errno ||
	    v > SIM_TRAFFIC_MAX_GBPS) {
		snprintf(err, errlen, "GBPS \"%s\": not a number of Gb/s from 0 to %d", a,
			 SIM_TRAFFIC_MAX_GBPS);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int usage(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "usage: %s", what);
	return -EINVAL;
}

/* The bench's framing, checked here whoever sent the line: a command is one line; an LF
 * (or CRLF) may end it and nothing else in it may be a control byte, so no byte of an
 * argument can end the command or start another. Words are separated by spaces or tabs.
 * The refusal names the word at fault. */
static int line_check(const char *line, size_t n, size_t *used, char *err, size_t errlen)
{
	static const char why[] = "a command is one line of printable words";
	size_t i, start, end, word = 0;
	char which[32] = "the command";
	bool in_word = false;

	if (n && line[n - 1] == '\n')
		n--;
	if (n && line[n - 1] == '\r')
		n--;
	*used = n;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == ' ' || c == '\t') {
			in_word = false;
			continue;
		}
		if (!in_word)
			word++;
		in_word = true;
		if (c >= 0x20 && c != 0x7f)
			continue;
		for (start = i; start && line[start - 1] != ' ' && line[start - 1] != '\t'; start--)
			;
		for (end = i; end < n && line[end] != ' ' && line[end] != '\t'; end++)
			;
		/* quoted as it is: the answer (answer_line) escapes the whole message; a C
		 * string would end at a NUL, so that one is said in words */
		if (word > 1)
			snprintf(which, sizeof(which), "argument %zu", word - 1);
		if (c == 0)
			snprintf(err, errlen, "NUL byte in %s after \"%.*s\": %s", which,
				 (int)(i - start), line + start, why);
		else
			snprintf(err, errlen, "control character in %s \"%.*s\": %s", which,
				 (int)(end - start), line + start, why);
		return -EINVAL;
	}
	if (n >= BENCH_LINE_MAX) {
		snprintf(err, errlen, "command line too long");
		return -EINVAL;
	}
	return 0;
}

/* BB:DD.F in hex, as lspci prints a host's view. */
static int bdf_arg(const char *a, uint8_t *bus, uint8_t *devfn, char *err, size_t errlen)
{
	unsigned b, d, f;
	int n = 0;

	if (sscanf(a, "%2x:%2x.%1u%n", &b, &d, &f, &n) != 3 || a[n] || d > 31 || f > 7) {
		snprintf(err, errlen, "\"%s\" is not a BB:DD.F address (hex bus and device, function 0-7)", a);
		return -EINVAL;
	}
	*bus = (uint8_t)b;
	*devfn = (uint8_t)PCI_DEVFN(d, f);
	return 0;
}

/* setpci's OFFSET.W=VALUE (hex; .B, .W, .L): the host writes one register of a PF it
 * owns; the answer is the register read back, which shows what the write masks kept. */
static int host_setpci(struct sim *s, uint8_t port, const char *bdf, const char *spec,
		       char **out, size_t *outlen, char *err, size_t errlen)
{
	static const char widths[] = "BWL";
	unsigned long off, val;
	const char *w;
	char *end;
	uint8_t bus, devfn;
	uint32_t rb = 0;
	unsigned size;
	int rc = bdf_arg(bdf, &bus, &devfn, err, errlen);

	if (rc)
		return rc;
	errno = 0;
	off = strtoul(spec, &end, 16);
	if (end == spec || *end != '.' || !end[1] || !(w = strchr(widths, toupper((unsigned char)end[1]))) ||
	    end[2] != '=' || !isxdigit((unsigned char)end[3]))
		goto bad;
	size = 1u << (w - widths);
	val = strtoul(end + 3, &end, 16);
	if (*end || errno || off >= SIM_CFG_SIZE || val > (0xffffffffUL >> (32 - 8 * size)))
		goto bad;
	rc = sim_host_write_config(s, port, bus, devfn, (unsigned)off, size, (uint32_t)val, &rb,
				   err, errlen);
	if (rc)
		return rc;
	*out = malloc(12);
	if (!*out) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*outlen = (size_t)snprintf(*out, 12, "%0*x\n", (int)size * 2, rb);
	return 0;
bad:
	snprintf(err, errlen, "\"%s\": expected OFFSET.{B,W,L}=VALUE in hex, the value fitting the "
		 "width, the offset below 0x%x (setpci's form, e.g. 168.W=0004)", spec, SIM_CFG_SIZE);
	return -EINVAL;
}

/* What a host's PF driver does for `echo N > sriov_numvfs` (PCIe r5.0 §9.3.3.3): VF Enable
 * and VF MSE off, NumVFs, then both on when N > 0 — each a config write of the host. */
static int host_sriov(struct sim *s, uint8_t port, const char *bdf, const char *num,
		      char *err, size_t errlen)
{
	struct fmp_read_config_req rq = { .target = FMP_CFG_HOST, .port = port, .length = SIM_CFG_SIZE };
	uint8_t cfg[SIM_CFG_SIZE];
	unsigned long n;
	unsigned cap;
	uint16_t ctl, total;
	int rc = bdf_arg(bdf, &rq.bus, &rq.devfn, err, errlen);

	if (rc)
		return rc;
	if (parse_uint(num, 0xffff, &n)) {
		snprintf(err, errlen, "NUMVFS \"%s\" is not a number 0-65535", num);
		return -EINVAL;
	}
	if (sim_read_config(s, &rq, cfg)) {
		snprintf(err, errlen, "nothing answers at %s in the view of host port %u", bdf, port);
		return -ENOENT;
	}
	cap = sim_cfg_bytes_find_ext_cap(cfg, sizeof(cfg), PCI_EXT_CAP_ID_SRIOV);
	if (!cap) {
		snprintf(err, errlen, "%s has no SR-IOV capability", bdf);
		return -EINVAL;
	}
	total = (uint16_t)(cfg[cap + PCI_IOV_TOTALVF] | cfg[cap + PCI_IOV_TOTALVF + 1] << 8);
	if (n > total) {
		snprintf(err, errlen, "%s: NUMVFS %lu is above TotalVFs %u", bdf, n, total);
		return -EINVAL;
	}
	ctl = (uint16_t)(cfg[cap + PCI_IOV_CTRL] | cfg[cap + PCI_IOV_CTRL + 1] << 8);
	ctl &= (uint16_t)~(PCI_IOV_CTRL_VFE | PCI_IOV_CTRL_MSE);
	rc = sim_host_write_config(s, port, rq.bus, rq.devfn, cap + PCI_IOV_CTRL, 2, ctl, NULL, err,
				   errlen);
	if (!rc)
		rc = sim_host_write_config(s, port, rq.bus, rq.devfn, cap + PCI_IOV_NUMVF, 2,
					   (uint32_t)n, NULL, err, errlen);
	if (!rc && n)
		rc = sim_host_write_config(s, port, rq.bus, rq.devfn, cap + PCI_IOV_CTRL, 2,
					   ctl | PCI_IOV_CTRL_VFE | PCI_IOV_CTRL_MSE, NULL, err,
					   errlen);
	return rc;
}

/* sim_bench_exec on the n bytes at line (which may hold a NUL: it is refused). */
static int exec_line(struct sim *s, struct sim_mgmt *mgmt, const char *line, size_t n,
		     char **out, size_t *outlen, char *err, size_t errlen)
{
	char buf[BENCH_LINE_MAX], *argv[BENCH_ARGS_MAX + 1], *save = NULL, *tok;
	int argc = 0, rc;
	uint16_t slot;
	uint8_t port;

	*out = NULL;
	*outlen = 0;
	rc = line_check(line, n, &n, err, errlen);
	if (rc)
		return rc;
	memcpy(buf, line, n);
	buf[n] = '\0';
	for (tok = strtok_r(buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (argc == BENCH_ARGS_MAX) {
			snprintf(err, errlen, "too many arguments");
			return -EINVAL;
		}
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	if (!argc) {
		snprintf(err, errlen, "empty command");
		return -EINVAL;
	}
	if (!strcmp(argv[0], "insert")) {
		if (argc < 4 || argc > 5)
			return usage(err, errlen, "insert SLOT PROFILE SERIAL [NAME]");
		rc = slot_arg(s, argv[1], &slot, err, errlen);
		return rc ? rc : sim_bench_insert(s, slot, argv[2], argv[3], argc == 5 ? argv[4] : NULL,
						  err, errlen);
	}
	if (!strcmp(argv[0], "remove")) {
		bool surprise = argc == 3 && !strcmp(argv[2], "--surprise");

		if (argc < 2 || argc > 3 || (argc == 3 && !surprise))
			return usage(err, errlen, "remove SLOT [--surprise]");
		rc = slot_arg(s, argv[1], &slot, err, errlen);
		return rc ? rc : sim_bench_remove(s, slot, surprise, err, errlen);
	}
	if (!strcmp(argv[0], "button") || !strcmp(argv[0], "fault")) {
		if (argc != 2)
			return usage(err, errlen, argv[0][0] == 'b' ? "button SLOT" : "fault SLOT");
		rc = slot_arg(s, argv[1], &slot, err, errlen);
		if (rc)
			return rc;
		return argv[0][0] == 'b' ? sim_bench_button(s, slot, err, errlen)
					 : sim_bench_fault(s, slot, err, errlen);
	}
	if (!strcmp(argv[0], "link")) {
		if (argc != 3 || (strcmp(argv[2], "up") && strcmp(argv[2], "down")))
			return usage(err, errlen, "link PORT up|down");
		rc = port_arg(s, argv[1], &port, err, errlen);
		return rc ? rc : sim_bench_link(s, port, !strcmp(argv[2], "up"), err, errlen);
	}
	if (!strcmp(argv[0], "host") && argc >= 3 &&
	    (!strcmp(argv[2], "setpci") || !strcmp(argv[2], "sriov"))) {
		if (argc != 5)
			return usage(err, errlen, "host PORT setpci BB:DD.F OFFSET.{B,W,L}=VALUE | "
						  "host PORT sriov BB:DD.F NUMVFS");
		rc = port_arg(s, argv[1], &port, err, errlen);
		if (rc)
			return rc;
		return argv[2][1] == 'e' ? host_setpci(s, port, argv[3], argv[4], out, outlen, err, errlen)
					 : host_sriov(s, port, argv[3], argv[4], err, errlen);
	}
	if (!strcmp(argv[0], "host")) {
		unsigned long ms = 200;

		if (argc < 3 || argc > 4 || (strcmp(argv[2], "respond") && strcmp(argv[2], "ignore")) ||
		    (argc == 4 && (strcmp(argv[2], "respond") || parse_uint(argv[3], 3600000, &ms))))
			return usage(err, errlen, "host PORT respond [MS] | host PORT ignore | "
						  "host PORT setpci BB:DD.F OFFSET.{B,W,L}=VALUE | "
						  "host PORT sriov BB:DD.F NUMVFS");
		rc = port_arg(s, argv[1], &port, err, errlen);
		return rc ? rc : sim_bench_host(s, port, !strcmp(argv[2], "respond"), (uint32_t)ms,
						err, errlen);
	}
	if (!strcmp(argv[0], "traffic")) {
		struct fmp_fn_addr fn;
		double gbps;

		if (argc != 4)
			return usage(err, errlen, "traffic HOST FUNCTION GBPS");
		rc = port_arg(s, argv[1], &port, err, errlen);
		if (!rc)
			rc = fn_arg(s, argv[2], &fn, err, errlen);
		if (!rc)
			rc = gbps_arg(argv[3], &gbps, err, errlen);
		return rc ? rc : sim_bench_traffic(s, port, &fn, gbps, err, errlen);
	}
	if (!strcmp(argv[0], "delay")) {
		unsigned long ms;
		unsigned op;

		if (argc != 3 || parse_uint(argv[2], 600000, &ms))
			return usage(err, errlen, "delay OPCODE MS");
		/* the FMP opcode's name, either case, '-' for '_': get-functions, UNBIND */
		for (op = 1; op < SIM_MGMT_OPCODES; op++) {
			const char *name = fmp_opcode_name((uint16_t)op);
			size_t i;

			for (i = 0; name[i] && argv[1][i]; i++)
				if ((argv[1][i] == '-' ? '_' : toupper((unsigned char)argv[1][i])) != name[i])
					break;
			if (!name[i] && !argv[1][i] && strcmp(name, "UNKNOWN"))
				break;
		}
		if (op == SIM_MGMT_OPCODES) {
			snprintf(err, errlen, "no FMP opcode named \"%s\" (bind, unbind, get-vh, ...)", argv[1]);
			return -ENOENT;
		}
		if (!mgmt) {
			snprintf(err, errlen, "no management endpoint");
			return -ENOTCONN;
		}
		return sim_mgmt_set_op_delay(mgmt, (uint16_t)op, (uint32_t)ms);
	}
	if (!strcmp(argv[0], "reboot")) {
		if (argc != 1)
			return usage(err, errlen, "reboot");
		rc = sim_bench_reboot(s, err, errlen);
		if (!rc && mgmt)
			sim_mgmt_drop_all(mgmt); /* a reset drops the management link too */
		return rc;
	}
	if (!strcmp(argv[0], "dump")) {
		FILE *f;

		if (argc != 2)
			return usage(err, errlen, "dump PORT");
		rc = port_arg(s, argv[1], &port, err, errlen);
		if (rc)
			return rc;
		f = open_memstream(out, outlen);
		if (!f) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		rc = sim_host_view_dump(s, port, f, err, errlen);
		fclose(f);
		if (rc) {
			free(*out);
			*out = NULL;
			*outlen = 0;
		}
		return rc;
	}
	if (!strcmp(argv[0], "status")) {
		struct fmp_hello_resp h;
		char ch[4 * sizeof(h.chassis) + 1], model[4 * sizeof(h.model) + 1];
		char serial[4 * sizeof(h.serial) + 1];
		FILE *f;

		if (argc != 1)
			return usage(err, errlen, "status");
		sim_hello(s, &h);
		f = open_memstream(out, outlen);
		if (!f) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		/* the names come from the chassis file: escaped, the answer stays its lines */
		fab_escape(ch, sizeof(ch), h.chassis, strnlen(h.chassis, sizeof(h.chassis)));
		fab_escape(model, sizeof(model), h.model, strnlen(h.model, sizeof(h.model)));
		fab_escape(serial, sizeof(serial), h.serial, strnlen(h.serial, sizeof(h.serial)));
		fprintf(f, "chassis %s model %s serial %s boot_id %016llx\n", ch, model, serial,
			(unsigned long long)h.boot_id);
		fprintf(f, "ports %u slots %u functions %u event_seq %llu\n", h.n_ports, h.n_slots,
			h.n_functions, (unsigned long long)h.event_seq);
		if (mgmt) {
			const struct sim_fault *fl = sim_mgmt_fault(mgmt);

			fprintf(f, "manager_connections %u faults dropped %llu failed %llu delayed %llu\n",
				sim_mgmt_connections(mgmt), (unsigned long long)fl->drops,
				(unsigned long long)fl->errors, (unsigned long long)fl->delays);
		}
		fclose(f);
		return 0;
	}
	snprintf(err, errlen,
		 "unknown command \"%s\" (insert, remove, button, link, fault, host, traffic, "
		 "delay, reboot, dump, status)",
		 argv[0]);
	return -EINVAL;
}

int sim_bench_exec(struct sim *s, struct sim_mgmt *mgmt, const char *line, char **out,
		   size_t *outlen, char *err, size_t errlen)
{
	return exec_line(s, mgmt, line, strlen(line), out, outlen, err, errlen);
}

/* ---- server ---------------------------------------------------------------------------- */

struct bwrite {
	uv_write_t req;
	char *data;
};

static void on_written(uv_write_t *req, int status)
{
	struct bwrite *w = (struct bwrite *)req;

	(void)status;
	free(w->data);
	free(w);
}

static void reply(struct bconn *bc, char *data, size_t len)
{
	struct bwrite *w = calloc(1, sizeof(*w));
	uv_buf_t ub = uv_buf_init(data, (unsigned)len);

	if (!w || uv_write(&w->req, bc->stream, &ub, 1, on_written)) {
		free(data);
		free(w);
	} else {
		w->data = data;
	}
}

static void answer_line(struct bconn *bc, const char *line, size_t len)
{
	char err[512], *out = NULL, *msg;
	size_t outlen = 0, n;
	int rc = exec_line(bc->b->s, bc->b->mgmt, line, len, &out, &outlen, err, sizeof(err));

	if (rc) {
		/* escaped: whatever the message quotes, the answer is one line */
		n = fab_escape(NULL, 0, err, strlen(err));
		msg = malloc(n + 8);
		if (msg) {
			memcpy(msg, "error ", 6);
			fab_escape(msg + 6, n + 1, err, strlen(err));
			msg[6 + n] = '\n';
			reply(bc, msg, n + 7);
		}
		free(out);
		return;
	}
	n = (size_t)snprintf(NULL, 0, "ok %zu\n", outlen);
	msg = malloc(n + outlen + 1);
	if (msg) {
		snprintf(msg, n + 1, "ok %zu\n", outlen);
		if (outlen)
			memcpy(msg + n, out, outlen);
		reply(bc, msg, n + outlen);
	}
	free(out);
}

static void on_bconn_closed(uv_handle_t *h)
{
	struct bconn *bc = h->data;

	free(h);
	free(bc);
}

static void bconn_close(struct bconn *bc)
{
	struct sim_bench *b = bc->b;

	if (uv_is_closing((uv_handle_t *)bc->stream))
		return;
	if (bc->prev)
		bc->prev->next = bc->next;
	else
		b->conns = bc->next;
	if (bc->next)
		bc->next->prev = bc->prev;
	uv_close((uv_handle_t *)bc->stream, on_bconn_closed);
}

static void on_alloc(uv_handle_t *h, size_t sz, uv_buf_t *buf)
{
	struct bconn *bc = h->data;

	(void)sz;
	buf->base = bc->rbuf;
	buf->len = sizeof(bc->rbuf);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct bconn *bc = req->handle->data;

	(void)status;
	free(req);
	bconn_close(bc);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct bconn *bc = s->data;

	if (n < 0) {
		uv_shutdown_t *req = n == UV_EOF ? calloc(1, sizeof(*req)) : NULL;

		/* a half-close (nc -N, a script's EOF) still gets every answer already
		 * queued: shutdown completes after the pending writes */
		uv_read_stop(s);
		if (!req || uv_shutdown(req, s, on_shutdown)) {
			free(req);
			bconn_close(bc);
		}
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		char ch = buf->base[i];

		if (ch == '\n') {
			bc->line[bc->len] = '\0';
			if (bc->overlong) {
				char *msg = strdup("error command line too long\n");

				if (msg)
					reply(bc, msg, strlen(msg));
			} else {
				answer_line(bc, bc->line, bc->len); /* a NUL in it is refused */
			}
			bc->len = 0;
			bc->overlong = false;
		} else if (bc->len + 1 < sizeof(bc->line)) {
			bc->line[bc->len++] = ch;
		} else {
			bc->overlong = true;
		}
	}
}

static void on_connection(uv_stream_t *server, int status)
{
	struct sim_bench *b = server->data;
	struct bconn *bc;
	uv_stream_t *s;

	if (status || endpoint_accept(server, &s))
		return;
	bc = calloc(1, sizeof(*bc));
	if (!bc) {
		endpoint_close((uv_handle_t *)s);
		return;
	}
	bc->b = b;
	bc->stream = s;
	s->data = bc;
	bc->next = b->conns;
	if (b->conns)
		b->conns->prev = bc;
	b->conns = bc;
	uv_read_start(s, on_alloc, on_read);
}

int sim_bench_new(uv_loop_t *loop, struct sim *s, struct sim_mgmt *mgmt,
		  const struct endpoint *ep, struct sim_bench **out, char *err, size_t errlen)
{
	struct sim_bench *b = calloc(1, sizeof(*b));
	int rc;

	if (!b) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	b->loop = loop;
	b->s = s;
	b->mgmt = mgmt;
	rc = endpoint_listen(loop, ep, 0600, on_connection, b, &b->server, err, errlen);
	if (rc) {
		free(b);
		return rc;
	}
	*out = b;
	return 0;
}

void sim_bench_free(struct sim_bench *b)
{
	if (!b)
		return;
	while (b->conns)
		bconn_close(b->conns);
	endpoint_close((uv_handle_t *)b->server);
	free(b);
}

/* ---- client ---------------------------------------------------------------------------- */

static int connect_to(const struct endpoint *ep)
{
	int fd;

	if (ep->kind == ENDPOINT_UNIX) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", ep->path);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			int e = errno;

			close(fd);
			return -e;
		}
		return fd;
	}
	if (strchr(ep->host, ':')) {
		struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(ep->port)};

		inet_pton(AF_INET6, ep->host, &sa.sin6_addr);
		fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			int e = errno;

			close(fd);
			return -e;
		}
		return fd < 0 ? -errno : fd;
	} else {
		struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(ep->port)};

		inet_pton(AF_INET, ep->host, &sa.sin_addr);
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			int e = errno;

			close(fd);
			return -e;
		}
		return fd < 0 ? -errno : fd;
	}
}

/* An argument is sent as one word: no byte of it may end the command line, start another
 * or split it into two arguments. 0, or -EINVAL with why in err. */
static int arg_check(const char *a, char *err, size_t errlen)
{
	char shown[160];

	if (!*a) {
		snprintf(err, errlen, "is empty");
		return -EINVAL;
	}
	for (const char *p = a; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f || c == ' ') {
			fab_escape(shown, sizeof(shown), a, strlen(a));
			snprintf(err, errlen, "\"%s\" has a %s", shown,
				 c == ' ' ? "space" : "control character");
			return -EINVAL;
		}
	}
	return 0;
}

/* Writes the n bytes of text from the simulator to f, line by line. A line is written as
 * it is unless something in it besides a backslash would need escaping (a simulator that
 * does not escape what it sends): then it is escaped whole. */
static void put_text(FILE *f, const char *s, size_t n)
{
	while (n) {
		const char *nl = memchr(s, '\n', n);
		size_t len = nl ? (size_t)(nl - s) : n, i = 0, seg;
		bool raw = true;

		while (raw && i < len) {
			const char *bs = memchr(s + i, '\\', len - i);

			seg = bs ? (size_t)(bs - s) - i : len - i;
			raw = !fab_needs_escape(s + i, seg);
			i += seg + 1;
		}
		if (raw) {
			fwrite(s, 1, len, f);
		} else {
			size_t need = fab_escape(NULL, 0, s, len);
			char *esc = malloc(need + 1);

			if (esc) {
				fab_escape(esc, need + 1, s, len);
				fputs(esc, f);
			}
			free(esc);
		}
		if (nl)
			fputc('\n', f);
		s += len + (nl != NULL);
		n -= len + (nl != NULL);
	}
}

int sim_bench_client(const struct endpoint *ep, int argc, char **argv)
{
	char line[BENCH_LINE_MAX], head[BENCH_HEAD_MAX], spec[160], why[256], *body;
	size_t n = 0, hn = 0, got = 0;
	unsigned long long want;
	int fd;

	endpoint_format(ep, spec, sizeof(spec));
	for (int i = 0; i < argc; i++) {
		int w;

		if (i && arg_check(argv[i], why, sizeof(why))) {
			fprintf(stderr, "switch-sim: %s: argument %d %s: bench arguments are single "
				"words of printable characters\n", argv[0], i, why);
			return 2;
		}
		w = snprintf(line + n, sizeof(line) - n, "%s%s", i ? " " : "", argv[i]);
		if (w < 0 || (size_t)w >= sizeof(line) - n - 1) {
			fprintf(stderr, "switch-sim: command too long\n");
			return 2;
		}
		n += (size_t)w;
	}
	line[n++] = '\n';
	fd = connect_to(ep);
	if (fd < 0) {
		fprintf(stderr, "switch-sim: cannot reach the bench socket %s: %s\n", spec, strerror(-fd));
		return 3;
	}
	if (write(fd, line, n) != (ssize_t)n) {
		fprintf(stderr, "switch-sim: %s: write failed: %s\n", spec, strerror(errno));
		close(fd);
		return 3;
	}
	/* the status line, byte by byte: the output that follows must not be swallowed; an
	 * error message is read up to its newline (the server keeps the connection open, so
	 * reading to EOF would wait forever) */
	while (hn + 1 < sizeof(head)) {
		ssize_t r = read(fd, head + hn, 1);

		if (r <= 0) {
			if (hn > 6 && !strncmp(head, "error ", 6))
				break;
			fprintf(stderr, "switch-sim: %s closed the connection without an answer\n", spec);
			close(fd);
			return 3;
		}
		if (head[hn++] == '\n')
			break;
	}
	head[hn] = '\0';
	if (!strncmp(head, "error ", 6)) {
		fprintf(stderr, "switch-sim: %s: ", argv[0]);
		put_text(stderr, head + 6, hn - 6 - (head[hn - 1] == '\n'));
		fputc('\n', stderr);
		close(fd);
		return 1;
	}
	if (sscanf(head, "ok %llu", &want) != 1) {
		fprintf(stderr, "switch-sim: %s: unexpected answer \"", spec);
		put_text(stderr, head, hn - (hn && head[hn - 1] == '\n'));
		fputs("\"\n", stderr);
		close(fd);
		return 3;
	}
	if (want > BENCH_ANSWER_MAX) {
		fprintf(stderr, "switch-sim: %s: an answer of %llu bytes is too large\n", spec, want);
		close(fd);
		return 3;
	}
	/* the whole output first: it is escaped line by line */
	body = malloc(want ? (size_t)want : 1);
	if (!body) {
		fprintf(stderr, "switch-sim: %s: out of memory\n", spec);
		close(fd);
		return 3;
	}
	while (got < want) {
		ssize_t r = read(fd, body + got, (size_t)want - got);

		if (r <= 0) {
			fprintf(stderr, "switch-sim: %s: answer cut short\n", spec);
			free(body);
			close(fd);
			return 3;
		}
		got += (size_t)r;
	}
	put_text(stdout, body, got);
	free(body);
	close(fd);
	return 0;
}
