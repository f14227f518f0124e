/* Unit tests for switch-sim/bench: every bench command through sim_bench_exec (arguments,
 * names, refusals, the dump decoded by the real lspci, status); the bench socket driven by
 * raw clients in the loop and by sim_bench_client in a forked child; garbage on the socket;
 * and the switch-sim binary (main.c): bench client exits, run mode, SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "bench.h"
#include "chassis.h"
#include "endpoint.h"
#include "mgmt.h"
#include "sim.h"

#define DEMO FABRIC_SOURCE_DIR "/configs/chassis/demo.yaml"
#define WATCHDOG_MS 5000
#define MAX_EVENTS 256

/* demo.yaml: slot 1 nic0 (intel-82599, sr-iov, 2 PFs), 2 fc0 (emulex, exclusive, 2 PFs),
 * 3 raid0 (LSI, exclusive), 4 nvme0 (samsung, sr-iov); ports web1..web4 = 0..3. */
#define NIC 1
#define FC 2
#define RAID 3
#define NVME 4
#define WEB1 0
#define WEB2 1
#define WEB4 3
#define NIC_SERIAL "00-1b-21-ff-ff-2b-46-e0"

struct fixture {
	uv_loop_t loop;
	char dir[64];
	struct sim_chassis_cfg *cfg;
	struct sim *s;
	struct sim_mgmt *m;
	struct sim_bench *b;
	struct endpoint mgmt_ep, bench_ep;
	uv_timer_t watchdog;
	bool timed_out;
	struct fmp_event ev[MAX_EVENTS];
	size_t n_ev;
};

static void on_watchdog(uv_timer_t *t)
{
	struct fixture *f = t->data;

	f->timed_out = true;
}

static void watchdog_start(struct fixture *f)
{
	f->timed_out = false;
	uv_timer_start(&f->watchdog, on_watchdog, WATCHDOG_MS, 0);
}

/* Runs the loop until cond holds; the watchdog fails the test instead of hanging. */
#define RUN_UNTIL(f, cond)                                                                       \
	do {                                                                                     \
		watchdog_start(f);                                                               \
		while (!(cond) && !(f)->timed_out)                                               \
			uv_run(&(f)->loop, UV_RUN_ONCE);                                         \
		uv_timer_stop(&(f)->watchdog);                                                   \
		if (!(cond))                                                                     \
			fail_msg("%s:%d: timed out waiting for %s", __FILE__, __LINE__, #cond);  \
	} while (0)

static void on_event(void *arg, const struct fmp_event *ev)
{
	struct fixture *f = arg;

	if (f->n_ev < MAX_EVENTS)
		f->ev[f->n_ev++] = *ev;
	sim_mgmt_event(f->m, ev);
}

static const struct sim_ops ops = {.event = on_event};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sim_fault_cfg fault = {.seed = 1};
	char spec[160], err[512] = "";

	if (!f || uv_loop_init(&f->loop))
		return -1;
	strcpy(f->dir, "/tmp/test-bench-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	uv_timer_init(&f->loop, &f->watchdog);
	f->watchdog.data = f;
	if (sim_chassis_load(DEMO, &f->cfg, err, sizeof(err)) ||
	    sim_new(&f->loop, f->cfg, &ops, f, &f->s, err, sizeof(err))) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	snprintf(spec, sizeof(spec), "unix:%s/m.sock", f->dir);
	if (endpoint_parse(spec, &f->mgmt_ep, err, sizeof(err)) ||
	    sim_mgmt_new(&f->loop, f->s, &f->mgmt_ep, &fault, &f->m, err, sizeof(err))) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	/* where demo.yaml's bench endpoint points with XDG_RUNTIME_DIR=dir */
	snprintf(spec, sizeof(spec), "unix:%s/mriov-fabric/demo-bench.sock", f->dir);
	if (endpoint_parse(spec, &f->bench_ep, err, sizeof(err)) ||
	    sim_bench_new(&f->loop, f->s, f->m, &f->bench_ep, &f->b, err, sizeof(err))) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static void walk_cb(uv_handle_t *h, void *arg)
{
	(void)arg;
	fprintf(stderr, "test_bench: handle left open: %s%s\n", uv_handle_type_name(h->type),
		uv_is_closing(h) ? " (closing)" : "");
}

/* After everything the fixture owns is closing, a handle still open was left behind by a
 * test (one that failed half-way): close it so the loop ends, and fail the teardown. */
static void close_leftover(uv_handle_t *h, void *arg)
{
	int *n = arg;

	if (uv_is_closing(h))
		return;
	fprintf(stderr, "test_bench: handle left open by the test: %s\n",
		uv_handle_type_name(h->type));
	if (h->type == UV_PROCESS)
		uv_process_kill((uv_process_t *)h, SIGKILL);
	uv_close(h, NULL);
	(*n)++;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];
	int rc, leftover = 0;

	sim_bench_free(f->b);
	sim_mgmt_free(f->m);
	f->m = NULL;
	sim_free(f->s);
	uv_close((uv_handle_t *)&f->watchdog, NULL);
	uv_walk(&f->loop, close_leftover, &leftover);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	rc = uv_loop_close(&f->loop);
	if (rc)
		uv_walk(&f->loop, walk_cb, NULL);
	rc = rc || leftover;
	sim_chassis_cfg_free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd))
		rc = -1;
	free(f);
	return rc ? -1 : 0;
}

/* ---- sim_bench_exec -------------------------------------------------------------------------- */

/* Runs line; asserts success; returns the output (NUL-terminated copy, free it). */
static char *exec_ok(struct fixture *f, const char *line)
{
	char err[512] = "", *out = NULL, *copy;
	size_t len = 0;
	int rc = sim_bench_exec(f->s, f->m, line, &out, &len, err, sizeof(err));

	if (rc)
		fail_msg("\"%s\": %d %s", line, rc, err);
	copy = malloc(len + 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, out, len);
	copy[len] = '\0';
	assert_int_equal(strlen(copy), len);
	free(out);
	return copy;
}

static void exec_quiet(struct fixture *f, const char *line)
{
	char *out = exec_ok(f, line);

	assert_string_equal(out, "");
	free(out);
}

/* Runs line; asserts the error code and that the message contains want. */
static void exec_err(struct fixture *f, const char *line, int want_rc, const char *want)
{
	char err[512] = "", *out = (char *)1;
	size_t len = 1;
	int rc = sim_bench_exec(f->s, f->m, line, &out, &len, err, sizeof(err));

	if (rc != want_rc || !strstr(err, want))
		fail_msg("\"%s\": got %d \"%s\", want %d \"%s\"", line, rc, err, want_rc, want);
	assert_null(out);
	assert_int_equal(len, 0);
}

static const struct fmp_event *last_event(struct fixture *f)
{
	assert_true(f->n_ev > 0);
	return &f->ev[f->n_ev - 1];
}

static uint16_t slot_flags(struct fixture *f, uint16_t slot)
{
	struct fmp_slots_resp r;
	uint16_t flags = 0;

	assert_int_equal(sim_get_slots(f->s, &r), 0);
	for (unsigned i = 0; i < r.count; i++)
		if (r.slots[i].slot == slot)
			flags = r.slots[i].flags;
	free(r.slots);
	return flags;
}

static bool port_up(struct fixture *f, uint8_t port)
{
	struct fmp_ports_resp r;
	bool up = false;

	assert_int_equal(sim_get_ports(f->s, &r), 0);
	for (unsigned i = 0; i < r.count; i++)
		if (r.ports[i].port == port)
			up = r.ports[i].flags & FMP_PORT_F_LINK_UP;
	free(r.ports);
	return up;
}

static void bind_vf(struct fixture *f, uint16_t slot, uint8_t pf, uint16_t vf, uint8_t port)
{
	struct fmp_set_num_vfs_resp nv;
	struct fmp_bind_req q = {.fn = {.slot = slot, .pf = pf, .vf = vf}, .port = port,
				 .vppb = FMP_VPPB_ANY};
	struct fmp_bind_resp r;

	assert_int_equal(sim_set_num_vfs(f->s, slot, pf, (uint16_t)(vf + 1), &nv), 0);
	assert_int_equal(sim_bind(f->s, &q, &r), 0);
}

static void test_exec_usage(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *line, *want;
	} cases[] = {
		{"", "empty command"},
		{" \t \r", "empty command"},
		{"frobnicate 1", "unknown command \"frobnicate\" (insert, remove, button, link, "
				 "fault, host, traffic, delay, reboot, dump, status)"},
		{"INSERT 1 a b", "unknown command \"INSERT\""},
		{"a b c d e f g h i", "too many arguments"},
		{"insert", "usage: insert SLOT PROFILE SERIAL [NAME]"},
		{"insert 1 intel-82599", "usage: insert SLOT PROFILE SERIAL [NAME]"},
		{"insert 1 p s n extra", "usage: insert SLOT PROFILE SERIAL [NAME]"},
		{"remove", "usage: remove SLOT [--surprise]"},
		{"remove 1 --gentle", "usage: remove SLOT [--surprise]"},
		{"remove 1 --surprise now", "usage: remove SLOT [--surprise]"},
		{"button", "usage: button SLOT"},
		{"button 1 2", "usage: button SLOT"},
		{"fault", "usage: fault SLOT"},
		{"fault 1 2", "usage: fault SLOT"},
		{"link web1", "usage: link PORT up|down"},
		{"link web1 sideways", "usage: link PORT up|down"},
		{"link web1 up now", "usage: link PORT up|down"},
		{"host web1", "usage: host PORT respond [MS] | host PORT ignore"},
		{"host web1 listen", "usage: host PORT respond [MS] | host PORT ignore"},
		{"host web1 respond soon", "usage: host PORT respond [MS] | host PORT ignore"},
		{"host web1 respond -1", "usage: host PORT respond [MS] | host PORT ignore"},
		{"host web1 respond 3600001", "usage: host PORT respond [MS] | host PORT ignore"},
		{"host web1 ignore 5", "usage: host PORT respond [MS] | host PORT ignore"},
		{"reboot now", "usage: reboot"},
		{"dump", "usage: dump PORT"},
		{"dump web1 web2", "usage: dump PORT"},
		{"status all", "usage: status"},
		{"delay unbind", "usage: delay OPCODE MS"},
		{"delay unbind soon", "usage: delay OPCODE MS"},
		{"delay unbind 600001", "usage: delay OPCODE MS"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		exec_err(f, cases[i].line, -EINVAL, cases[i].want);
	assert_int_equal(f->n_ev, 0); /* none of it touched the chassis */
}

static void test_exec_unknown_names(void **state)
{
	struct fixture *f = *state;

	exec_err(f, "button nosuch", -ENOENT, "no slot or card named \"nosuch\"");
	exec_err(f, "fault slotX", -ENOENT, "no slot or card named \"slotX\"");
	exec_err(f, "remove web1", -ENOENT, "no slot or card named \"web1\"");
	exec_err(f, "insert nosuch intel-82599 1", -ENOENT, "no slot or card named \"nosuch\"");
	exec_err(f, "button 99", -ENOENT, "no slot 99");
	exec_err(f, "button slot99", -ENOENT, "no slot 99");
	exec_err(f, "remove 65535", -ENOENT, "no slot or card named \"65535\"");
	exec_err(f, "link nohost up", -ENOENT, "no host port named \"nohost\"");
	exec_err(f, "link nic0 up", -ENOENT, "no host port named \"nic0\"");
	exec_err(f, "link 9 down", -ENOENT, "no host port 9");
	exec_err(f, "link 255 down", -ENOENT, "no host port named \"255\"");
	exec_err(f, "host nohost ignore", -ENOENT, "no host port named \"nohost\"");
	exec_err(f, "host 9 respond 5", -ENOENT, "no host port 9");
	exec_err(f, "dump nohost", -ENOENT, "no host port named \"nohost\"");
	exec_err(f, "dump 9", -ENOENT, "no host port 9");
	exec_err(f, "delay unbinds 5", -ENOENT, "no FMP opcode named \"unbinds\" (bind, unbind, get-vh, ...)");
	exec_err(f, "delay unknown 5", -ENOENT, "no FMP opcode named \"unknown\" (bind, unbind, get-vh, ...)");
	assert_int_equal(f->n_ev, 0);
}

/* SLOT: number, card name or slotN; PORT: number or host port name. */
static void test_exec_names(void **state)
{
	struct fixture *f = *state;
	static const struct {
		const char *arg;
		uint16_t slot;
	} slots[] = {{"nic0", NIC}, {"slot1", NIC}, {"2", FC}, {"fc0", FC}, {"raid0", RAID},
		     {"slot4", NVME}, {"nvme0", NVME}};

	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		char line[64];

		snprintf(line, sizeof(line), "button %s", slots[i].arg);
		exec_quiet(f, line);
		assert_int_equal(last_event(f)->type, FMP_EV_ATTN_BUTTON);
		assert_int_equal(last_event(f)->slot, slots[i].slot);
	}
	exec_quiet(f, "link web2 down");
	assert_int_equal(last_event(f)->type, FMP_EV_LINK_STATE);
	assert_int_equal(last_event(f)->port, WEB2);
	assert_int_equal(last_event(f)->detail, 0);
	assert_false(port_up(f, WEB2));
	exec_quiet(f, "link 1 up");
	assert_int_equal(last_event(f)->detail, 1);
	assert_true(port_up(f, WEB2));
	/* several blanks between words, a CR before the end */
	exec_quiet(f, "  link \t web4   down\r\n");
	assert_false(port_up(f, WEB4));
}

static void on_unbind(void *arg, int status, const struct fmp_unbind_resp *resp)
{
	int *out = arg;

	(void)resp;
	*out = status == 0 ? -1 : status; /* -1: released */
}

/* host PORT respond [MS] | ignore reaches the simulated host OS of the managed unbind. */
static void test_exec_host(void **state)
{
	struct fixture *f = *state;
	struct fmp_unbind_req q = {.fn = {.slot = NIC, .pf = 0, .vf = 0},
				   .mode = FMP_UNBIND_MANAGED, .timeout_ms = 40};
	struct fmp_unbind_resp r;
	int done = 0;
	uint64_t t0;

	bind_vf(f, NIC, 0, 0, WEB4);
	exec_quiet(f, "host web4 ignore");
	assert_int_equal(sim_unbind(f->s, &q, on_unbind, &done, &r), 1);
	RUN_UNTIL(f, done != 0);
	assert_int_equal(done, FMP_E_TIMEOUT);

	exec_quiet(f, "host 3 respond 20");
	done = 0;
	t0 = uv_now(&f->loop);
	q.timeout_ms = 5000;
	assert_int_equal(sim_unbind(f->s, &q, on_unbind, &done, &r), 1);
	RUN_UNTIL(f, done != 0);
	assert_int_equal(done, -1);
	assert_true(uv_now(&f->loop) - t0 >= 20);
	assert_true(uv_now(&f->loop) - t0 < 400); /* not web4's configured 500 ms */
	exec_quiet(f, "host web4 respond");
}

static void test_exec_insert_remove(void **state)
{
	struct fixture *f = *state;

	exec_err(f, "insert 1 intel-82599 " NIC_SERIAL, -EBUSY, "slot 1 already holds a card");
	exec_err(f, "insert nic0 intel-82599 " NIC_SERIAL, -EBUSY, "slot 1 already holds a card");
	exec_err(f, "insert 99 intel-82599 7", -ENOENT, "no slot 99");
	exec_err(f, "remove 1 --surprise --surprise", -EINVAL, "usage: remove");

	exec_quiet(f, "remove nic0");
	assert_int_equal(last_event(f)->type, FMP_EV_SLOT_PRESENCE);
	assert_int_equal(last_event(f)->slot, NIC);
	assert_int_equal(last_event(f)->detail, 0);
	assert_int_equal(last_event(f)->reason, FMP_EVR_MANAGED);
	assert_int_equal(slot_flags(f, NIC) & FMP_SLOT_F_PRESENT, 0);
	exec_err(f, "remove 1", -ENOENT, "slot 1 is empty");
	exec_err(f, "remove nic0", -ENOENT, "no slot or card named \"nic0\""); /* gone */

	exec_err(f, "insert 1 no-such-profile 7", -ENOENT, "no-such-profile");
	exec_err(f, "insert 1 intel-82599 not-a-serial", -EINVAL, "bad serial \"not-a-serial\"");
	exec_err(f, "insert 1 intel-82599 10-00-00-90-fa-5c-2e-01", -EEXIST,
		 "is already in slot 2"); /* fc0's serial */
	exec_err(f, "insert 1 intel-82599 7 fc0", -EEXIST, "card name fc0 is already in slot 2");
	exec_err(f, "insert 1 intel-82599 7 slot9", -EINVAL, "bad card name \"slot9\"");
	exec_err(f, "insert 1 intel-82599 7 a/b", -EINVAL, "bad card name \"a/b\"");
	assert_int_equal(slot_flags(f, NIC) & FMP_SLOT_F_PRESENT, 0);

	exec_quiet(f, "insert slot1 intel-82599 " NIC_SERIAL " nic9");
	assert_int_equal(last_event(f)->type, FMP_EV_SLOT_PRESENCE);
	assert_int_equal(last_event(f)->detail, 1);
	assert_true(slot_flags(f, NIC) & FMP_SLOT_F_PRESENT);
	exec_quiet(f, "button nic9"); /* the new name is a SLOT now */
	assert_int_equal(last_event(f)->slot, NIC);

	/* a profile the chassis file never named, loaded from the profiles directory */
	exec_quiet(f, "remove raid0");
	exec_quiet(f, "insert 3 qlogic-qle2692 0x2100000e1e1c0001 hba1");
	{
		struct fmp_card_resp c;

		assert_int_equal(sim_get_card(f->s, RAID, &c), 0);
		assert_string_equal(c.profile, "qlogic-qle2692");
		assert_string_equal(c.name, "hba1");
	}
	/* no name: still addressable as slotN */
	exec_quiet(f, "remove hba1");
	exec_quiet(f, "insert 3 lsi-megaraid-3108 12345");
	exec_quiet(f, "button slot3");
}

/* An orderly remove of a card with a bound function is refused; --surprise takes it. */
static void test_exec_remove_bound(void **state)
{
	struct fixture *f = *state;
	struct fmp_vh_resp vh;
	size_t before;

	bind_vf(f, NIC, 0, 1, WEB2);
	exec_err(f, "remove nic0", -EBUSY, "nic0/pf0/vf1 is bound to a host");
	assert_true(slot_flags(f, NIC) & FMP_SLOT_F_PRESENT);
	before = f->n_ev;
	exec_quiet(f, "remove nic0 --surprise");
	assert_int_equal(f->n_ev, before + 2);
	assert_int_equal(f->ev[before].type, FMP_EV_UNBIND_DONE);
	assert_int_equal(f->ev[before].reason, FMP_EVR_SURPRISE);
	assert_int_equal(f->ev[before].port, WEB2);
	assert_int_equal(f->ev[before].fn.vf, 1);
	assert_int_equal(f->ev[before + 1].type, FMP_EV_SLOT_PRESENCE);
	assert_int_equal(f->ev[before + 1].reason, FMP_EVR_SURPRISE);
	assert_int_equal(f->ev[before + 1].detail, 0);
	assert_int_equal(sim_get_vh(f->s, WEB2, &vh), 0);
	assert_int_equal(vh.vppbs[0].bind_state, FMP_BIND_UNBOUND);
	free(vh.vppbs);
	/* an unbound card goes by surprise too */
	exec_quiet(f, "remove slot4 --surprise");
	assert_int_equal(last_event(f)->slot, NVME);
}

/* traffic HOST FUNCTION GBPS: the offered load of a binding; the model (qos.h) gives what
 * gets through. nic0 is x8 5 GT/s (32 Gb/s), web1 x16 8 GT/s. */
static void test_exec_traffic(void **state)
{
	struct fixture *f = *state;
	struct fmp_qos_get_resp q;
	struct fmp_fn_addr vf0 = {NIC, 0, 0}, vf1 = {NIC, 0, 1};

	struct fmp_set_num_vfs_resp nv;
	struct fmp_bind_resp br;

	assert_int_equal(sim_set_num_vfs(f->s, NIC, 0, 2, &nv), 0);
	assert_int_equal(sim_bind(f->s, &(struct fmp_bind_req){vf0, WEB1, FMP_VPPB_ANY}, &br), 0);
	assert_int_equal(sim_bind(f->s, &(struct fmp_bind_req){vf1, WEB2, FMP_VPPB_ANY}, &br), 0);
	exec_quiet(f, "traffic web1 nic0/pf0/vf0 12.5");
	assert_int_equal(sim_get_qos(f->s, &vf0, &q), 0);
	assert_int_equal(q.offered_mbps, 12500);
	assert_int_equal(q.achieved_mbps, 12500);
	exec_quiet(f, "traffic 1 slot1/pf0/vf1 100");
	assert_int_equal(sim_get_qos(f->s, &vf1, &q), 0);
	assert_int_equal(q.offered_mbps, 100000);
	assert_int_equal(q.achieved_mbps, 19500); /* what the card link has left */
	exec_quiet(f, "traffic web1 nic0/pf0/vf0 0");
	assert_int_equal(sim_get_qos(f->s, &vf1, &q), 0);
	assert_int_equal(q.achieved_mbps, 32000);

	exec_err(f, "traffic web1 nic0/pf0/vf0", -EINVAL, "usage: traffic HOST FUNCTION GBPS");
	exec_err(f, "traffic web9 nic0/pf0/vf0 1", -ENOENT, "no host port named \"web9\"");
	exec_err(f, "traffic web1 nic9/pf0/vf0 1", -ENOENT, "no slot or card named \"nic9\"");
	exec_err(f, "traffic web1 nic0 1", -EINVAL, "FUNCTION \"nic0\": not CARD/pfN");
	exec_err(f, "traffic web1 nic0/vf0 1", -EINVAL, "FUNCTION \"nic0/vf0\"");
	exec_err(f, "traffic web1 nic0/pf0/vfx 1", -EINVAL, "FUNCTION");
	exec_err(f, "traffic web1 nic0/pf0/vf9 1", -ENOENT, "no function slot 1 pf 0 vf 9");
	exec_err(f, "traffic web2 nic0/pf0/vf0 1", -EINVAL, "nic0/pf0/vf0 is not bound to host web2");
	exec_err(f, "traffic web1 nic0/pf0/vf0 -1", -EINVAL, "GBPS \"-1\"");
	exec_err(f, "traffic web1 nic0/pf0/vf0 nan", -EINVAL, "GBPS \"nan\"");
	exec_err(f, "traffic web1 nic0/pf0/vf0 1e3", -EINVAL, "GBPS \"1e3\"");
	exec_err(f, "traffic web1 nic0/pf0/vf0 10Gbps", -EINVAL, "GBPS \"10Gbps\"");
	exec_err(f, "traffic web1 nic0/pf0/vf0 1.2.3", -EINVAL, "GBPS");
	exec_err(f, "traffic web1 nic0/pf0/vf0 100001", -EINVAL, "from 0 to 100000");
}

static void test_exec_fault(void **state)
{
	struct fixture *f = *state;
	size_t before = f->n_ev;

	exec_quiet(f, "fault raid0");
	assert_true(f->n_ev > before);
	assert_int_equal(f->ev[before].type, FMP_EV_POWER_FAULT);
	assert_int_equal(f->ev[before].slot, RAID);
	assert_true(slot_flags(f, RAID) & FMP_SLOT_F_POWER_FAULT);
	assert_int_equal(slot_flags(f, RAID) & FMP_SLOT_F_POWER_ON, 0);
}

static char *slurp(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	char *out = NULL, buf[4096];
	size_t len = 0, n;

	assert_non_null(p);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
		out = realloc(out, len + n + 1);
		assert_non_null(out);
		memcpy(out + len, buf, n);
		len += n;
		out[len] = '\0';
	}
	assert_int_equal(pclose(p), 0);
	assert_non_null(out);
	return out;
}

/* dump PORT: the host view in lspci -xxxx form, decoded by the real lspci. */
static void test_exec_dump_lspci(void **state)
{
	struct fixture *f = *state;
	struct fmp_bind_req q = {.fn = {.slot = FC, .pf = 0, .vf = FMP_VF_NONE}, .port = WEB1,
				 .vppb = FMP_VPPB_ANY};
	struct fmp_bind_resp r;
	char path[128], cmd[256], *dump, *out;
	FILE *fp;

	if (system("lspci --version >/dev/null 2>&1"))
		skip();
	bind_vf(f, NIC, 0, 2, WEB1);              /* vPPB 0 -> bus 03 */
	assert_int_equal(sim_bind(f->s, &q, &r), 0); /* vPPB 1 -> bus 07, both PFs */
	dump = exec_ok(f, "dump web1");
	assert_memory_equal(dump, "01:00.0 ", 8); /* lspci needs "BB:DD.F " */
	snprintf(path, sizeof(path), "%s/web1.lspci", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(dump, fp);
	fclose(fp);

	snprintf(cmd, sizeof(cmd), "lspci -F '%s' -vvv 2>/dev/null", path);
	out = slurp(cmd);
	assert_non_null(strstr(out, "01:00.0 PCI bridge"));
	assert_non_null(strstr(out, "Upstream Port"));
	assert_non_null(strstr(out, "02:07.0 PCI bridge"));
	assert_non_null(strstr(out, "Downstream Port (Slot+)"));
	assert_non_null(strstr(out, "03:00.0 Ethernet controller: Intel Corporation "
				    "82599 Ethernet Controller Virtual Function"));
	assert_non_null(strstr(out, "07:00.0 Fibre Channel: Emulex Corporation"));
	assert_non_null(strstr(out, "07:00.1 Fibre Channel: Emulex Corporation"));
	free(out);
	snprintf(cmd, sizeof(cmd), "lspci -F '%s' -t 2>/dev/null", path);
	out = slurp(cmd);
	assert_non_null(strstr(out, "[0000:01]---00.0-[02-"));
	assert_non_null(strstr(out, "+-00.0-[03-06]----00.0"));
	assert_non_null(strstr(out, "+-01.0-[07-0a]--+-00.0"));
	free(out);
	free(dump);

	/* a host with nothing bound: just the virtual switch, 1 + 8 bridges */
	dump = exec_ok(f, "dump 3");
	{
		size_t n = 0;

		for (char *p = dump; (p = strstr(p, "\n\n")); p += 2)
			n++;
		assert_int_equal(n, 9);
	}
	free(dump);
}

static void test_exec_status(void **state)
{
	struct fixture *f = *state;
	char *out, chassis[64], model_a[64], model_b[64], serial[64];
	unsigned long long boot, seq;
	unsigned ports, slots, fns, conns;
	unsigned long long dropped, failed, delayed;
	char err[256], *raw;
	size_t len;

	exec_quiet(f, "button 1");
	out = exec_ok(f, "status");
	assert_int_equal(sscanf(out, "chassis %63s model %63s %63s serial %63s boot_id %llx\n"
				     "ports %u slots %u functions %u event_seq %llu\n"
				     "manager_connections %u faults dropped %llu failed %llu "
				     "delayed %llu\n",
				chassis, model_a, model_b, serial, &boot, &ports, &slots, &fns, &seq,
				&conns, &dropped, &failed, &delayed),
			 13);
	assert_string_equal(chassis, "demo");
	assert_string_equal(model_b, "MRS-4");
	assert_string_equal(serial, "DEMO-0001");
	assert_true(boot == sim_boot_id(f->s));
	assert_int_equal(ports, 4);
	assert_int_equal(slots, 4);
	assert_int_equal(fns, 6);
	assert_true(seq == 1);
	assert_int_equal(conns, 0);
	assert_true(dropped == 0 && failed == 0 && delayed == 0);
	assert_int_equal(out[strlen(out) - 1], '\n');
	free(out);
	/* without a management endpoint: the first two lines only */
	assert_int_equal(sim_bench_exec(f->s, NULL, "status", &raw, &len, err, sizeof(err)), 0);
	assert_null(strstr(raw, "manager_connections"));
	assert_non_null(strstr(raw, "functions 6 event_seq 1\n"));
	free(raw);
	/* reboot without a management endpoint */
	assert_int_equal(sim_bench_exec(f->s, NULL, "reboot", &raw, &len, err, sizeof(err)), 0);
	assert_null(raw);
	assert_true(sim_boot_id(f->s) != boot);
}

/* ---- raw clients of the bench socket, in the loop ----------------------------------------- */

struct raw {
	struct fixture *f;
	uv_stream_t *s;
	char *buf;
	size_t len, cap;
	bool connected, eof;
	int status;
};

static void raw_alloc(uv_handle_t *h, size_t sz, uv_buf_t *buf)
{
	struct raw *r = h->data;

	(void)sz;
	if (r->cap - r->len < 4096) {
		r->cap = r->cap ? r->cap * 2 : 8192;
		r->buf = realloc(r->buf, r->cap);
		assert_non_null(r->buf);
	}
	buf->base = r->buf + r->len;
	buf->len = r->cap - r->len - 1;
}

static void raw_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct raw *r = s->data;

	(void)buf;
	if (n > 0) {
		r->len += (size_t)n;
		r->buf[r->len] = '\0';
	} else if (n < 0) {
		r->eof = true;
		uv_read_stop(s);
	}
}

static void raw_connected(uv_stream_t *s, int status, void *arg)
{
	struct raw *r = arg;

	r->connected = true;
	r->status = status;
	r->s = s;
	if (s) {
		s->data = r;
		uv_read_start(s, raw_alloc, raw_read);
	}
}

static void raw_open(struct fixture *f, const struct endpoint *ep, struct raw *r)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	assert_int_equal(endpoint_connect(&f->loop, ep, raw_connected, r), 0);
	RUN_UNTIL(f, r->connected);
	assert_int_equal(r->status, 0);
}

struct wreq {
	uv_write_t req;
	char data[];
};

static void raw_written(uv_write_t *req, int status)
{
	(void)status;
	free(req);
}

static void raw_write(struct raw *r, const void *data, size_t n)
{
	struct wreq *w = malloc(sizeof(*w) + n);
	uv_buf_t b;

	assert_non_null(w);
	memcpy(w->data, data, n);
	b = uv_buf_init(w->data, (unsigned)n);
	assert_int_equal(uv_write(&w->req, r->s, &b, 1, raw_written), 0);
}

static void raw_puts(struct raw *r, const char *s)
{
	raw_write(r, s, strlen(s));
}

static void raw_shutdown_cb(uv_shutdown_t *req, int status)
{
	(void)status;
	free(req);
}

/* Half-close: the server sees EOF after what was written. */
static void raw_shutdown(struct raw *r)
{
	uv_shutdown_t *req = malloc(sizeof(*req));

	assert_non_null(req);
	assert_int_equal(uv_shutdown(req, r->s, raw_shutdown_cb), 0);
}

static void raw_close(struct raw *r)
{
	if (r->s)
		endpoint_close((uv_handle_t *)r->s);
	r->s = NULL;
	free(r->buf);
	r->buf = NULL;
}

/* Complete answers in buf: "ok N\n" + N bytes, or "error MESSAGE\n". Returns how many, or
 * -1 for a malformed one. errors counts the error answers. */
static int count_answers(const char *buf, size_t len, int *errors)
{
	size_t pos = 0;
	int n = 0;

	if (errors)
		*errors = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		unsigned long long body;

		if (!nl)
			break;
		if (!strncmp(buf + pos, "error ", 6)) {
			if (errors)
				(*errors)++;
			pos = (size_t)(nl - buf) + 1;
		} else if (sscanf(buf + pos, "ok %llu\n", &body) == 1) {
			if ((size_t)(nl - buf) + 1 + body > len)
				break;
			pos = (size_t)(nl - buf) + 1 + body;
		} else {
			return -1;
		}
		n++;
	}
	return n;
}

static int answers(struct raw *r)
{
	return count_answers(r->buf, r->len, NULL);
}

static void test_socket_protocol(void **state)
{
	struct fixture *f = *state;
	struct raw r;
	char *status, line[1100], *dump;
	int errors;

	raw_open(f, &f->bench_ep, &r);
	raw_write(&r, "status\n", 7);
	RUN_UNTIL(f, answers(&r) == 1);
	status = exec_ok(f, "status");
	{
		char head[32];

		snprintf(head, sizeof(head), "ok %zu\n", strlen(status));
		assert_memory_equal(r.buf, head, strlen(head));
		assert_string_equal(r.buf + strlen(head), status);
	}
	free(status);
	r.len = 0;

	/* several commands in one write, one split across two, a CRLF, errors in between */
	raw_puts(&r, "button 1\nbogus\r\nlink web1 down\nbut");
	raw_puts(&r, "ton nic0\n");
	RUN_UNTIL(f, answers(&r) == 4);
	assert_string_equal(r.buf, "ok 0\nerror unknown command \"bogus\" (insert, remove, button, "
				   "link, fault, host, traffic, delay, reboot, dump, status)\nok 0\nok 0\n");
	assert_false(port_up(f, WEB1));
	r.len = 0;

	/* the longest line taken (1023 bytes), one byte more is refused; the connection
	 * goes on */
	memset(line, ' ', sizeof(line));
	memcpy(line, "status", 6);
	line[1023] = '\n';
	raw_write(&r, line, 1024);
	line[1023] = ' ';
	line[1024] = '\n';
	raw_write(&r, line, 1025);
	memset(line, 'a', sizeof(line));
	line[sizeof(line) - 1] = '\n';
	raw_write(&r, line, sizeof(line));
	raw_write(&r, line, sizeof(line)); /* twice: the flag resets at the newline */
	raw_write(&r, "dump web2\n", 10);
	RUN_UNTIL(f, answers(&r) == 5);
	assert_int_equal(count_answers(r.buf, r.len, &errors), 5);
	assert_int_equal(errors, 3);
	assert_memory_equal(r.buf, "ok ", 3);
	assert_non_null(strstr(r.buf, "\nerror command line too long\nerror command line too long\n"
				      "error command line too long\nok "));
	dump = exec_ok(f, "dump web2");
	assert_non_null(strstr(r.buf, dump));
	assert_int_equal(strlen(strstr(r.buf, dump)), strlen(dump)); /* it ends the stream */
	free(dump);

	/* the client goes: the server closes its side */
	raw_shutdown(&r);
	RUN_UNTIL(f, r.eof);
	raw_close(&r);
}

/* Issue 18: the server parser refuses a line with a control byte anywhere but its end,
 * naming the argument; nothing in the line runs. */
static void test_exec_control_bytes(void **state)
{
	struct fixture *f = *state;

	/* the message quotes the word as it is; the socket's answer escapes it (below) */
	exec_err(f, "insert 12 --name nicX\nremove 1 --surprise", -EINVAL,
		 "control character in argument 3 \"nicX\nremove\"");
	exec_err(f, "remove 1\r--surprise", -EINVAL,
		 "control character in argument 1 \"1\r--surprise\"");
	exec_err(f, "button nic\x1b[2J0", -EINVAL, "argument 1 \"nic\x1b[2J0\"");
	exec_err(f, "link web1 down\x7f", -EINVAL, "argument 2 \"down\x7f\"");
	exec_err(f, "reb\boot", -EINVAL, "control character in the command \"reb\boot\"");
	exec_err(f, "remove nic0\r\n\n", -EINVAL, "argument 1 \"nic0\r\n\"");
	assert_true(slot_flags(f, NIC) & FMP_SLOT_F_PRESENT);
	assert_true(port_up(f, WEB1));
	assert_int_equal(f->n_ev, 0);
	/* a final LF or CRLF, spaces and tabs between words, stay as they were */
	exec_quiet(f, "button nic0\n");
	exec_quiet(f, "button\tnic0 \r\n");
	assert_int_equal(f->n_ev, 2);
}

/* Through the socket a line is what comes before an LF; a NUL or CR inside it refuses the
 * line (it used to cut the line short at the NUL and run the rest as a command). */
static void test_socket_control_bytes(void **state)
{
	struct fixture *f = *state;
	struct raw r;

	raw_open(f, &f->bench_ep, &r);
	raw_write(&r, "remove nic0\0 --surprise\n", 24);
	raw_puts(&r, "remove 1\r--surprise\n");
	raw_puts(&r, "button nic\xe2\x80\xae" "0\n"); /* U+202E echoed escaped */
	raw_puts(&r, "reboot\x1b[2J\n");
	RUN_UNTIL(f, answers(&r) == 4);
	assert_string_equal(r.buf,
			    "error NUL byte in argument 1 after \"nic0\": a command is one line of "
			    "printable words\n"
			    "error control character in argument 1 \"1\\r--surprise\": a command is one "
			    "line of printable words\n"
			    "error no slot or card named \"nic\\u202e0\"\n"
			    "error control character in the command \"reboot\\e[2J\": a command is "
			    "one line of printable words\n");
	assert_true(slot_flags(f, NIC) & FMP_SLOT_F_PRESENT);
	assert_int_equal(f->n_ev, 0);
	raw_close(&r);
}

/* The management link is dropped by a bench reboot. */
static void test_socket_reboot_drops_managers(void **state)
{
	struct fixture *f = *state;
	struct raw mgr, bench;
	uint64_t boot = sim_boot_id(f->s);
	char *out;

	raw_open(f, &f->mgmt_ep, &mgr);
	RUN_UNTIL(f, sim_mgmt_connections(f->m) == 1);
	out = exec_ok(f, "status");
	assert_non_null(strstr(out, "manager_connections 1 "));
	free(out);
	raw_open(f, &f->bench_ep, &bench);
	raw_write(&bench, "reboot\n", 7);
	RUN_UNTIL(f, answers(&bench) == 1 && mgr.eof);
	assert_string_equal(bench.buf, "ok 0\n");
	assert_int_equal(sim_mgmt_connections(f->m), 0);
	assert_true(sim_boot_id(f->s) != boot);
	assert_int_equal(last_event(f)->type, FMP_EV_SWITCH_RESET);
	assert_true(last_event(f)->seq == 1);
	raw_close(&mgr);
	raw_close(&bench);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Seeded random bytes, NULs, lines that never end: answers stay well formed, one per
 * newline, and the chassis is untouched. */
static void test_socket_garbage(void **state)
{
	struct fixture *f = *state;
	uint64_t seed = 0x5eed5eed12345678ull, boot = sim_boot_id(f->s);
	static uint8_t junk[64 * 1024];
	struct raw r;
	size_t newlines = 0;
	char *status;

	for (int round = 0; round < 4; round++) {
		size_t pos = 0;

		newlines = 0;
		for (size_t i = 0; i < sizeof(junk); i++) {
			junk[i] = (uint8_t)xorshift(&seed);
			if (round == 1 && (xorshift(&seed) & 15) == 0)
				junk[i] = '\n'; /* short lines */
			if (round == 2)
				junk[i] = (xorshift(&seed) & 63) ? 0 : '\n'; /* NULs */
			newlines += junk[i] == '\n';
		}
		raw_open(f, &f->bench_ep, &r);
		while (pos < sizeof(junk)) {
			size_t n = 1 + xorshift(&seed) % 3000;

			if (n > sizeof(junk) - pos)
				n = sizeof(junk) - pos;
			raw_write(&r, junk + pos, n);
			pos += n;
		}
		if (round == 3) {
			/* gone without a word: close under the server's pending answers */
			raw_close(&r);
			continue;
		}
		RUN_UNTIL(f, answers(&r) == (int)newlines);
		raw_puts(&r, "status"); /* no newline, then EOF: never answered */
		raw_shutdown(&r);
		RUN_UNTIL(f, r.eof);
		assert_int_equal(answers(&r), (int)newlines);
		raw_close(&r);
	}
	/* still serving, nothing changed */
	raw_open(f, &f->bench_ep, &r);
	raw_write(&r, "status\n", 7);
	RUN_UNTIL(f, answers(&r) == 1);
	status = exec_ok(f, "status");
	assert_non_null(strstr(r.buf, status));
	assert_non_null(strstr(status, "event_seq 0\n"));
	free(status);
	assert_true(sim_boot_id(f->s) == boot);
	assert_int_equal(f->n_ev, 0);
	raw_close(&r);
}

/* BUG bench.c on_read (l.314-315): EOF from the client closes the connection at once
 * (bconn_close -> uv_close), which cancels the answers still queued in libuv, so a client
 * that sends its commands and then half-closes (`printf 'dump web1\n' | nc -N -U SOCK`,
 * socat) loses every answer the kernel's socket buffer could not take yet. */
static void test_socket_half_close_keeps_answers(void **state)
{
	struct fixture *f = *state;
	struct raw r;
	int n;

	bind_vf(f, NIC, 0, 0, WEB1);
	raw_open(f, &f->bench_ep, &r);
	for (int i = 0; i < 8; i++) /* ~8 x 150 KB of answers */
		raw_puts(&r, "dump web1\n");
	raw_shutdown(&r);
	RUN_UNTIL(f, r.eof);
	n = answers(&r);
	raw_close(&r);
	assert_int_equal(n, 8);
}

/* ---- sim_bench_client in a forked child ---------------------------------------------------- */

struct child {
	struct fixture *f;
	pid_t pid;
	uv_pipe_t out, err;
	char obuf[256 * 1024], ebuf[8192];
	size_t olen, elen;
	int open;
	int exit_code; /* -signal when killed */
};

static void child_alloc(uv_handle_t *h, size_t sz, uv_buf_t *buf)
{
	struct child *c = h->data;
	bool is_out = h == (uv_handle_t *)&c->out;

	(void)sz;
	buf->base = is_out ? c->obuf + c->olen : c->ebuf + c->elen;
	buf->len = is_out ? sizeof(c->obuf) - 1 - c->olen : sizeof(c->ebuf) - 1 - c->elen;
}

static void child_closed(uv_handle_t *h)
{
	struct child *c = h->data;

	c->open--;
}

static void child_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct child *c = s->data;

	(void)buf;
	if (n > 0) {
		if (s == (uv_stream_t *)&c->out)
			c->obuf[c->olen += (size_t)n] = '\0';
		else
			c->ebuf[c->elen += (size_t)n] = '\0';
	} else if (n < 0 || (s == (uv_stream_t *)&c->out ? c->olen == sizeof(c->obuf) - 1
							  : c->elen == sizeof(c->ebuf) - 1)) {
		uv_close((uv_handle_t *)s, child_closed);
	}
}

/* Runs sim_bench_client(ep, argv) in a child while this process runs the loop (which
 * serves the bench socket). Returns the exit code; a child still running after the
 * watchdog is killed and the test fails. */
static int client_run(struct fixture *f, struct child *c, const struct endpoint *ep,
		      int argc, char **argv)
{
	int po[2], pe[2], st;

	memset(c, 0, sizeof(*c));
	c->f = f;
	assert_int_equal(pipe(po), 0);
	assert_int_equal(pipe(pe), 0);
	fflush(NULL);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		close(po[1]);
		close(pe[1]);
		st = sim_bench_client(ep, argc, argv);
		fflush(NULL);
		_exit(st);
	}
	close(po[1]);
	close(pe[1]);
	uv_pipe_init(&f->loop, &c->out, 0);
	uv_pipe_init(&f->loop, &c->err, 0);
	c->out.data = c->err.data = c;
	uv_pipe_open(&c->out, po[0]);
	uv_pipe_open(&c->err, pe[0]);
	c->open = 2;
	uv_read_start((uv_stream_t *)&c->out, child_alloc, child_read);
	uv_read_start((uv_stream_t *)&c->err, child_alloc, child_read);
	watchdog_start(f);
	while (c->open && !f->timed_out)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_timer_stop(&f->watchdog);
	if (c->open) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &st, 0);
		if (!uv_is_closing((uv_handle_t *)&c->out))
			uv_close((uv_handle_t *)&c->out, child_closed);
		if (!uv_is_closing((uv_handle_t *)&c->err))
			uv_close((uv_handle_t *)&c->err, child_closed);
		while (c->open)
			uv_run(&f->loop, UV_RUN_ONCE);
		fail_msg("bench client \"%s\" still running after %d ms (stdout \"%s\", stderr "
			 "\"%s\")", argv[0], WATCHDOG_MS, c->obuf, c->ebuf);
	}
	assert_int_equal(waitpid(c->pid, &st, 0), c->pid);
	c->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
	return c->exit_code;
}

#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)))
#define CLIENT(f, c, ep, ...) client_run(f, c, ep, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void test_client_fork(void **state)
{
	struct fixture *f = *state;
	static struct child c;
	char *want;

	/* ok N: the output, exactly */
	assert_int_equal(CLIENT(f, &c, &f->bench_ep, "status"), 0);
	want = exec_ok(f, "status");
	assert_string_equal(c.obuf, want);
	assert_string_equal(c.ebuf, "");
	free(want);
	bind_vf(f, NIC, 1, 3, WEB2);
	assert_int_equal(CLIENT(f, &c, &f->bench_ep, "dump", "web2"), 0);
	want = exec_ok(f, "dump web2");
	assert_true(strlen(want) > 4096); /* more than one read */
	assert_string_equal(c.obuf, want);
	free(want);
	/* ok 0: nothing printed, the action done */
	assert_int_equal(CLIENT(f, &c, &f->bench_ep, "link", "web1", "down"), 0);
	assert_string_equal(c.obuf, "");
	assert_false(port_up(f, WEB1));
	/* error ...: exit 1, the message on stderr */
	assert_int_equal(CLIENT(f, &c, &f->bench_ep, "button", "nosuch"), 1);
	assert_string_equal(c.ebuf, "switch-sim: button: no slot or card named \"nosuch\"\n");
	assert_string_equal(c.obuf, "");
	assert_int_equal(CLIENT(f, &c, &f->bench_ep, "link", "web1"), 1);
	assert_string_equal(c.ebuf, "switch-sim: link: usage: link PORT up|down\n");
	/* a command line longer than the server takes never leaves the client */
	{
		static char big[1200];

		memset(big, 'x', sizeof(big) - 1);
		assert_int_equal(CLIENT(f, &c, &f->bench_ep, "button", big), 2);
		assert_non_null(strstr(c.ebuf, "command too long"));
	}
}

/* Issue 18: the exact reproduction — a name with a newline was sent as two commands and
 * pulled the card in slot 1. The client refuses it before sending anything. */
static void test_client_argument_framing(void **state)
{
	struct fixture *f = *state;
	static struct child c;

	assert_int_equal(CLIENT(f, &c, &f->bench_ep, "insert", "12", "--name",
				"nicX\nremove 1 --surprise"), 2);
	assert_string_equal(c.ebuf, "switch-sim: insert: argument 3 \"nicX\\nremove 1 --surprise\" "
				    "has a control character: bench arguments are single words of "
				    "printable characters\n");
	assert_int_equal(CLIENT(f, &c, &f->bench_ep, "remove", "1 --surprise"), 2);
	assert_non_null(strstr(c.ebuf, "argument 1 \"1 --surprise\" has a space"));
	assert_int_equal(CLIENT(f, &c, &f->bench_ep, "remove", "", "1"), 2);
	assert_non_null(strstr(c.ebuf, "argument 1 is empty"));
	assert_int_equal(CLIENT(f, &c, &f->bench_ep, "button", "a\x1b]0;pwned\a"), 2);
	assert_non_null(strstr(c.ebuf, "\"a\\e]0;pwned\\a\""));
	assert_true(slot_flags(f, NIC) & FMP_SLOT_F_PRESENT);
	assert_int_equal(f->n_ev, 0);
	/* the simulator's escaped message is printed once escaped, not twice */
	assert_int_equal(CLIENT(f, &c, &f->bench_ep, "button", "nic\xe2\x80\xae" "0\\"), 1);
	assert_string_equal(c.ebuf, "switch-sim: button: no slot or card named \"nic\\u202e0\\\\\"\n");
}

static void test_client_unreachable(void **state)
{
	struct fixture *f = *state;
	static struct child c;
	struct endpoint ep;
	char spec[160], err[128];

	snprintf(spec, sizeof(spec), "unix:%s/nobody.sock", f->dir);
	assert_int_equal(endpoint_parse(spec, &ep, err, sizeof(err)), 0);
	assert_int_equal(CLIENT(f, &c, &ep, "status"), 3);
	assert_non_null(strstr(c.ebuf, "cannot reach the bench socket"));
	assert_non_null(strstr(c.ebuf, "nobody.sock"));
	/* nobody on a TCP port */
	assert_int_equal(endpoint_parse("tcp:127.0.0.1:1", &ep, err, sizeof(err)), 0);
	assert_int_equal(CLIENT(f, &c, &ep, "status"), 3);
	assert_non_null(strstr(c.ebuf, "Connection refused"));
}

/* A bench server that answers with canned bytes, then closes: the client's handling of a
 * peer that is not a healthy switch-sim. */
struct fake {
	struct fixture *f;
	uv_stream_t *server;
	const char *reply;
};

static void fake_written(uv_write_t *req, int status)
{
	(void)status;
	endpoint_close((uv_handle_t *)req->handle);
	free(req);
}

static void fake_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct fake *fk = s->data;

	if (n > 0 && memchr(buf->base, '\n', (size_t)n) && !*fk->reply) {
		endpoint_close((uv_handle_t *)s); /* the request read, no answer */
	} else if (n > 0 && memchr(buf->base, '\n', (size_t)n)) {
		uv_write_t *w = malloc(sizeof(*w));
		uv_buf_t b = uv_buf_init((char *)fk->reply, (unsigned)strlen(fk->reply));

		uv_read_stop(s);
		if (!w || uv_write(w, s, &b, 1, fake_written)) {
			free(w);
			endpoint_close((uv_handle_t *)s);
		}
	} else if (n < 0) {
		endpoint_close((uv_handle_t *)s);
	}
	free(buf->base);
}

static void fake_alloc(uv_handle_t *h, size_t sz, uv_buf_t *buf)
{
	(void)h;
	buf->base = malloc(sz);
	buf->len = buf->base ? sz : 0;
}

static void fake_conn(uv_stream_t *server, int status)
{
	struct fake *fk = server->data;
	uv_stream_t *s;

	if (status || endpoint_accept(server, &s))
		return;
	s->data = fk;
	uv_read_start(s, fake_alloc, fake_read);
}

static void test_client_bad_peer(void **state)
{
	struct fixture *f = *state;
	static struct child c;
	struct fake fk = {.f = f};
	struct endpoint ep;
	char spec[160], err[256];
	static const struct {
		const char *reply, *want_err;
		int want_rc;
	} cases[] = {
		{"", "closed the connection without an answer", 3},
		{"hello there\n", "unexpected answer", 3},
		{"ok 100\nshort", "answer cut short", 3},
		{"ok 5\nhello", "", 0},
		{"error it broke\n", "switch-sim: status: it broke\n", 1},
		/* a simulator that does not escape: the client does */
		{"error bad \x1b[2J\rname\\\n", "switch-sim: status: bad \\e[2J\\rname\\\\\n", 1},
		{"ok 21\nchassis a\x1b[2Jb\xe2\x80\xae\nok\n", "", 0},
		{"ok 9\ndump\\x\n1\n", "", 0},
	};

	snprintf(spec, sizeof(spec), "unix:%s/fake.sock", f->dir);
	assert_int_equal(endpoint_parse(spec, &ep, err, sizeof(err)), 0);
	assert_int_equal(endpoint_listen(&f->loop, &ep, 0, fake_conn, &fk, &fk.server, err,
					 sizeof(err)), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fk.reply = cases[i].reply;
		assert_int_equal(CLIENT(f, &c, &ep, "status"), cases[i].want_rc);
		if (!strstr(c.ebuf, cases[i].want_err))
			fail_msg("reply \"%s\": stderr \"%s\"", cases[i].reply, c.ebuf);
		if (strstr(cases[i].reply, "chassis a"))
			assert_string_equal(c.obuf, "chassis a\\e[2Jb\\u202e\nok\n");
		if (strstr(cases[i].reply, "dump"))
			assert_string_equal(c.obuf, "dump\\x\n1\n"); /* clean lines as they are */
	}
	fk.reply = "error it broke\n";
	assert_int_equal(CLIENT(f, &c, &ep, "status"), 1);
	assert_string_equal(c.ebuf, "switch-sim: status: it broke\n");
	endpoint_close((uv_handle_t *)fk.server);
}

/* BUG bench.c sim_bench_client (l.446, l.486-493): an error line longer than the 63-byte head
 * buffer makes the client read "the rest" until EOF, but the server keeps the connection
 * open for more commands, so `switch-sim remove nic0` refused because a VF is bound (a
 * 95-byte message) hangs forever instead of exiting 1. */
static void test_client_long_error(void **state)
{
	struct fixture *f = *state;
	static struct child c;

	bind_vf(f, NIC, 0, 0, WEB1);
	assert_int_equal(CLIENT(f, &c, &f->bench_ep, "remove", "nic0"), 1);
	assert_non_null(strstr(c.ebuf, "nic0/pf0/vf0 is bound to a host"));
	assert_int_equal(c.ebuf[c.elen - 1], '\n');
}

/* ---- the switch-sim binary (main.c) ------------------------------------------------------- */

struct proc {
	uv_process_t p;
	struct child io; /* out/err pipes and buffers */
	bool exited;
	int64_t status;
	int signal;
};

static void proc_exit(uv_process_t *p, int64_t status, int signal)
{
	struct proc *pr = p->data;

	pr->exited = true;
	pr->status = status;
	pr->signal = signal;
	uv_close((uv_handle_t *)p, NULL);
}

static char sim_bin[4096];

/* The built switch-sim: tests/unit/test_bench -> ../../switch-sim/switch-sim. */
static bool find_binary(void)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (n <= 0)
		return false;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return false;
	*slash = '\0';
	snprintf(sim_bin, sizeof(sim_bin), "%s/../../switch-sim/switch-sim", self);
	return access(sim_bin, X_OK) == 0;
}

/* Environment for the child: ours, with XDG_RUNTIME_DIR / SWITCH_SIM_BENCH replaced. */
static char **child_env(const char *xdg, const char *bench)
{
	extern char **environ;
	static char *env[512];
	static char xdg_var[256], bench_var[256];
	size_t n = 0;

	for (char **e = environ; *e && n < 500; e++)
		if (strncmp(*e, "XDG_RUNTIME_DIR=", 16) && strncmp(*e, "SWITCH_SIM_BENCH=", 17))
			env[n++] = *e;
	if (xdg) {
		snprintf(xdg_var, sizeof(xdg_var), "XDG_RUNTIME_DIR=%s", xdg);
		env[n++] = xdg_var;
	}
	if (bench) {
		snprintf(bench_var, sizeof(bench_var), "SWITCH_SIM_BENCH=%s", bench);
		env[n++] = bench_var;
	}
	env[n] = NULL;
	return env;
}

static void proc_start(struct fixture *f, struct proc *pr, char **argv, char **env)
{
	uv_process_options_t o;
	uv_stdio_container_t stdio[3];

	memset(pr, 0, sizeof(*pr));
	pr->io.f = f;
	uv_pipe_init(&f->loop, &pr->io.out, 0);
	uv_pipe_init(&f->loop, &pr->io.err, 0);
	pr->io.out.data = pr->io.err.data = &pr->io;
	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&pr->io.out;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&pr->io.err;
	memset(&o, 0, sizeof(o));
	o.file = sim_bin;
	o.args = argv;
	o.env = env;
	o.exit_cb = proc_exit;
	o.stdio = stdio;
	o.stdio_count = 3;
	pr->p.data = pr;
	argv[0] = sim_bin;
	assert_int_equal(uv_spawn(&f->loop, &pr->p, &o), 0);
	pr->io.open = 2;
	uv_read_start((uv_stream_t *)&pr->io.out, child_alloc, child_read);
	uv_read_start((uv_stream_t *)&pr->io.err, child_alloc, child_read);
}

static bool proc_done(struct proc *pr)
{
	return pr->exited && !pr->io.open;
}

/* Runs switch-sim with argv (argv[0] is replaced) to its exit; returns the exit code. */
static int sim_run(struct fixture *f, struct proc *pr, char **argv, char **env)
{
	proc_start(f, pr, argv, env);
	RUN_UNTIL(f, proc_done(pr));
	assert_int_equal(pr->signal, 0);
	return (int)pr->status;
}

#define SIM(f, pr, env, ...) sim_run(f, pr, ARGV("switch-sim", __VA_ARGS__), env)

static void test_binary_bench_client(void **state)
{
	struct fixture *f = *state;
	static struct proc pr;
	char bench[160], nobody[160], xdg[80];

	if (!find_binary())
		skip(); /* build the switch-sim target */
	snprintf(bench, sizeof(bench), "unix:%s", f->bench_ep.path);
	snprintf(nobody, sizeof(nobody), "unix:%s/nobody.sock", f->dir);
	snprintf(xdg, sizeof(xdg), "%s", f->dir);

	assert_int_equal(SIM(f, &pr, child_env(NULL, NULL), "-b", bench, "status"), 0);
	assert_non_null(strstr(pr.io.obuf, "chassis demo model mriov-sim MRS-4"));
	/* the endpoint from the chassis file (demo.yaml: ${XDG_RUNTIME_DIR}/mriov-fabric/) */
	assert_int_equal(SIM(f, &pr, child_env(xdg, NULL), "-c", DEMO, "status"), 0);
	assert_non_null(strstr(pr.io.obuf, "chassis demo"));
	assert_int_equal(SIM(f, &pr, child_env(NULL, bench), "button", "nic0"), 0);
	assert_int_equal(last_event(f)->type, FMP_EV_ATTN_BUTTON);
	/* bench arguments that look like options pass through */
	assert_int_equal(SIM(f, &pr, child_env(NULL, NULL), "-b", bench, "remove", "nvme0",
			     "--surprise"), 0);
	assert_int_equal(slot_flags(f, NVME) & FMP_SLOT_F_PRESENT, 0);
	assert_int_equal(SIM(f, &pr, child_env(NULL, NULL), "-b", bench, "link", "web1"), 1);
	assert_non_null(strstr(pr.io.ebuf, "usage: link PORT up|down"));
	assert_int_equal(SIM(f, &pr, child_env(NULL, NULL), "-b", nobody, "status"), 3);
	/* which simulator? */
	assert_int_equal(SIM(f, &pr, child_env(NULL, NULL), "status"), 2);
	assert_non_null(strstr(pr.io.ebuf, "which simulator?"));
	assert_int_equal(SIM(f, &pr, child_env(NULL, NULL), "-b", "bogus", "status"), 2);
	assert_int_equal(SIM(f, &pr, child_env(NULL, "bogus"), "status"), 2);
	assert_int_equal(SIM(f, &pr, child_env(NULL, NULL), "-c", "/nonexistent.yaml", "status"),
			 2);
	{
		char path[128];
		FILE *fp;

		snprintf(path, sizeof(path), "%s/nobench.yaml", f->dir);
		fp = fopen(path, "w");
		assert_non_null(fp);
		fprintf(fp, "name: t\nmanagement: unix:%s/x.sock\nprofiles: %s/configs/profiles\n"
			    "host_ports:\n  - {name: h0, port: 0}\nslots: []\n",
			f->dir, FABRIC_SOURCE_DIR);
		fclose(fp);
		assert_int_equal(SIM(f, &pr, child_env(NULL, NULL), "-c", path, "status"), 2);
		assert_non_null(strstr(pr.io.ebuf, "has no bench endpoint; use -b ENDPOINT"));
	}
}

static void test_binary_usage(void **state)
{
	struct fixture *f = *state;
	static struct proc pr;
	char **env;

	if (!find_binary())
		skip();
	env = child_env(f->dir, NULL);
	assert_int_equal(SIM(f, &pr, env, "--help"), 0);
	assert_non_null(strstr(pr.io.obuf, "usage: switch-sim"));
	assert_int_equal(sim_run(f, &pr, ARGV("switch-sim"), env), 2);
	assert_non_null(strstr(pr.io.ebuf, "a CHASSIS.yaml is required"));
	assert_int_equal(SIM(f, &pr, env, DEMO, DEMO), 2);
	assert_non_null(strstr(pr.io.ebuf, "unexpected arguments after CHASSIS.yaml"));
	assert_int_equal(SIM(f, &pr, env, "-c", DEMO, DEMO), 2);
	assert_non_null(strstr(pr.io.ebuf, "-c is for bench commands"));
	assert_int_equal(SIM(f, &pr, env, "--fault-drop", "2", DEMO), 2);
	assert_int_equal(SIM(f, &pr, env, "--fault-error", "x", DEMO), 2);
	assert_int_equal(SIM(f, &pr, env, "--fault-seed", "12z", DEMO), 2);
	assert_int_equal(SIM(f, &pr, env, "--fault-delay-ms", "600001", DEMO), 2);
	assert_int_equal(SIM(f, &pr, env, "--no-such-option", DEMO), 2);
	assert_int_equal(SIM(f, &pr, env, "/nonexistent.yaml"), 2);
	assert_int_equal(SIM(f, &pr, env, "-m", "bogus", DEMO), 2);
	assert_int_equal(SIM(f, &pr, env, "-b", "tcp:10.0.0.1:5", DEMO), 2);
	/* endpoints in use (this test's own): a runtime failure, exit 1 */
	{
		char used[160];

		snprintf(used, sizeof(used), "unix:%s", f->mgmt_ep.path);
		assert_int_equal(SIM(f, &pr, env, "-m", used, DEMO), 1);
		assert_non_null(strstr(pr.io.ebuf, "another process is listening there"));
		snprintf(used, sizeof(used), "unix:%s", f->bench_ep.path);
		assert_int_equal(SIM(f, &pr, env, "-b", used, DEMO), 1);
	}
}

/* Run mode: the chassis comes up on the file's endpoints, answers bench commands, and
 * shuts down cleanly on SIGTERM (under ASan: without leaks). */
static void test_binary_run(void **state)
{
	struct fixture *f = *state;
	static struct proc run, cli;
	char xdg[96], bench[160];
	char **env;

	if (!find_binary())
		skip();
	snprintf(xdg, sizeof(xdg), "%s/run", f->dir);
	assert_int_equal(mkdir(xdg, 0700), 0);
	env = child_env(xdg, NULL);
	proc_start(f, &run, ARGV("switch-sim", "-v", "--fault-error", "1%", "--fault-seed", "0x10",
				    "--fault-delay-ms", "5", DEMO), env);
	RUN_UNTIL(f, strstr(run.io.ebuf, "fault injection on\n") || run.exited);
	assert_false(run.exited);
	assert_non_null(strstr(run.io.ebuf, "switch-sim: chassis demo (mriov-sim MRS-4): 4 host "
					    "ports, 4 slots; management unix:"));
	snprintf(bench, sizeof(bench), "unix:%s/mriov-fabric/demo-bench.sock", xdg);
	assert_int_equal(SIM(f, &cli, env, "-c", DEMO, "button", "raid0"), 0);
	RUN_UNTIL(f, strstr(run.io.ebuf, "event 1 attention-button slot 3"));
	assert_int_equal(SIM(f, &cli, env, "-b", bench, "status"), 0);
	assert_non_null(strstr(cli.io.obuf, "event_seq 1\n"));
	assert_int_equal(SIM(f, &cli, env, "-b", bench, "reboot"), 0);
	assert_int_equal(uv_process_kill(&run.p, SIGTERM), 0);
	RUN_UNTIL(f, proc_done(&run));
	assert_int_equal(run.signal, 0);
	if (run.status)
		fail_msg("switch-sim exited %d: %s", (int)run.status, run.io.ebuf);
	assert_non_null(strstr(run.io.ebuf, "SIGTERM: shutting down"));
	assert_null(strstr(run.io.ebuf, "handles open"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exec_usage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_unknown_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_insert_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_remove_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_traffic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_dump_lspci, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_control_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_control_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_protocol, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_reboot_drops_managers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_half_close_keeps_answers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_client_fork, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_argument_framing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_bad_peer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_long_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary_bench_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary_usage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_binary_run, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN); /* as switch-sim does: a gone peer is an error, not a kill */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
