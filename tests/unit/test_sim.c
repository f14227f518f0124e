/* Unit tests for switch-sim/sim: inventory, sharing-mode binding rules, SR-IOV, host-view
 * config space, hot-plug handshakes on a libuv loop, events, paging, and the host-view dump
 * decoded by the real lspci. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <pci/pci.h>
#include <regex.h>
#include <uv.h>

#include "chassis.h"
#include "config_space.h"
#include "dump_gen.h"
#include "profile.h"
#include "sim.h"
#include "vswitch.h"

#define DEMO FABRIC_SOURCE_DIR "/configs/chassis/demo.yaml"
#define LARGE FABRIC_SOURCE_DIR "/configs/chassis/large.yaml"
#define PROFILES FABRIC_SOURCE_DIR "/configs/profiles"
#define MAX_EVENTS 4096

/* demo.yaml: slot 1 intel-82599 (sr-iov, 2 PFs), 2 emulex (exclusive, 2 PFs), 3 LSI
 * (exclusive, 1 PF), 4 samsung (sr-iov, 1 PF); ports 0..3 web1..web4 with 8 vPPBs. */
#define NIC 1
#define FC 2
#define RAID 3
#define NVME 4

struct fixture {
	uv_loop_t loop;
	struct sim_chassis_cfg *cfg;
	struct sim *s;
	char dir[64];
	struct fmp_event ev[MAX_EVENTS];
	size_t n_ev;
	/* managed unbind completions */
	int cb_calls, cb_status;
	struct fmp_unbind_resp cb_resp;
	uint64_t cb_at;
};

static void on_event(void *arg, const struct fmp_event *ev)
{
	struct fixture *f = arg;

	if (f->n_ev < MAX_EVENTS)
		f->ev[f->n_ev++] = *ev;
}

static void on_unbind(void *arg, int status, const struct fmp_unbind_resp *resp)
{
	struct fixture *f = arg;

	f->cb_calls++;
	f->cb_status = status;
	if (resp)
		f->cb_resp = *resp;
	f->cb_at = uv_now(&f->loop);
}

static const struct sim_ops ops = { .event = on_event };

static int setup_common(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || uv_loop_init(&f->loop))
		return -1;
	strcpy(f->dir, "/tmp/test-sim-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	*state = f;
	return 0;
}

static void start(struct fixture *f, const char *path)
{
	char err[512] = "";
	int rc = sim_chassis_load(path, &f->cfg, err, sizeof(err));

	if (rc)
		fail_msg("%s: %s", path, err);
	rc = sim_new(&f->loop, f->cfg, &ops, f, &f->s, err, sizeof(err));
	if (rc)
		fail_msg("sim_new: %s", err);
}

/* A chassis from YAML text, profiles from configs/profiles. */
static void start_yaml_in(struct fixture *f, const char *profiles, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void start_yaml_in(struct fixture *f, const char *profiles, const char *fmt, ...)
{
	char path[128];
	va_list ap;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/chassis.yaml", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "name: t\nmanagement: unix:%s/m.sock\nprofiles: %s\n", f->dir, profiles);
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	fclose(fp);
	start(f, path);
}

/* ... with the shipped profiles: */
static void start_yaml(struct fixture *f, const char *body)
{
	start_yaml_in(f, PROFILES, "%s", body);
}

static int setup_demo(void **state)
{
	struct fixture *f;

	if (setup_common(state))
		return -1;
	f = *state;
	start(f, DEMO);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	sim_free(f->s);
	uv_run(&f->loop, UV_RUN_DEFAULT); /* let the handshake timers close */
	assert_int_equal(uv_loop_close(&f->loop), 0);
	sim_chassis_cfg_free(f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static struct fmp_fn_addr fn_pf(uint16_t slot, uint8_t pf)
{
	struct fmp_fn_addr a = { .slot = slot, .pf = pf, .vf = FMP_VF_NONE };

	return a;
}

static struct fmp_fn_addr fn_vf(uint16_t slot, uint8_t pf, uint16_t vf)
{
	struct fmp_fn_addr a = { .slot = slot, .pf = pf, .vf = vf };

	return a;
}

static int do_bind(struct fixture *f, struct fmp_fn_addr fn, uint8_t port, uint8_t vppb,
		struct fmp_bind_resp *out)
{
	struct fmp_bind_req req = { .fn = fn, .port = port, .vppb = vppb };
	struct fmp_bind_resp tmp;

	return sim_bind(f->s, &req, out ? out : &tmp);
}

static int unbind(struct fixture *f, struct fmp_fn_addr fn, uint8_t mode, uint32_t timeout_ms)
{
	struct fmp_unbind_req req = { .fn = fn, .mode = mode, .timeout_ms = timeout_ms };
	struct fmp_unbind_resp resp;

	return sim_unbind(f->s, &req, on_unbind, f, &resp);
}

static void set_vfs(struct fixture *f, uint16_t slot, uint8_t pf, uint16_t n)
{
	struct fmp_set_num_vfs_resp r;

	assert_int_equal(sim_set_num_vfs(f->s, slot, pf, n, &r), 0);
	assert_int_equal(r.num_vfs, n);
}

static int read_cfg(struct fixture *f, const struct fmp_read_config_req *req, uint8_t *buf)
{
	return sim_read_config(f->s, req, buf);
}

static int host_read(struct fixture *f, uint8_t port, uint8_t bus, uint8_t devfn, uint8_t *buf)
{
	struct fmp_read_config_req req = {
		.target = FMP_CFG_HOST, .port = port, .bus = bus, .devfn = devfn,
		.offset = 0, .length = FMP_CONFIG_SPACE_SIZE,
	};

	return read_cfg(f, &req, buf);
}

static int chassis_read(struct fixture *f, struct fmp_fn_addr fn, uint8_t *buf)
{
	struct fmp_read_config_req req = {
		.target = FMP_CFG_CHASSIS, .fn = fn, .offset = 0, .length = FMP_CONFIG_SPACE_SIZE,
	};

	return read_cfg(f, &req, buf);
}

static uint16_t rd16(const uint8_t *b, unsigned off)
{
	return (uint16_t)(b[off] | b[off + 1] << 8);
}

static uint32_t rd32(const uint8_t *b, unsigned off)
{
	return (uint32_t)rd16(b, off) | (uint32_t)rd16(b, off + 2) << 16;
}

static const struct fmp_function_info *find_fn(const struct fmp_functions_resp *r,
					       struct fmp_fn_addr a)
{
	for (uint16_t i = 0; i < r->count; i++)
		if (r->fns[i].fn.slot == a.slot && r->fns[i].fn.pf == a.pf &&
		    r->fns[i].fn.vf == a.vf)
			return &r->fns[i];
	return NULL;
}

static uint8_t fn_state(struct fixture *f, struct fmp_fn_addr a)
{
	struct fmp_functions_resp r;
	uint8_t st;
	const struct fmp_function_info *i;

	assert_int_equal(sim_get_functions(f->s, a.slot, 0, 0, &r), 0);
	i = find_fn(&r, a);
	assert_non_null(i);
	st = i->bind_state;
	free(r.fns);
	return st;
}

static struct fmp_vppb_info vh_entry(struct fixture *f, uint8_t port, uint8_t vppb)
{
	struct fmp_vh_resp r;
	struct fmp_vppb_info v;

	assert_int_equal(sim_get_vh(f->s, port, &r), 0);
	assert_true(vppb < r.count);
	v = r.vppbs[vppb];
	free(r.vppbs);
	return v;
}

static uint16_t slot_flags(struct fixture *f, uint16_t slot)
{
	struct fmp_slots_resp r;
	uint16_t flags = 0xffff;

	assert_int_equal(sim_get_slots(f->s, &r), 0);
	for (uint16_t i = 0; i < r.count; i++)
		if (r.slots[i].slot == slot)
			flags = r.slots[i].flags;
	free(r.slots);
	return flags;
}

/* Events after index from: how many of type, the last one in *last. */
static size_t count_ev(struct fixture *f, size_t from, uint16_t type, struct fmp_event *last)
{
	size_t n = 0;

	for (size_t i = from; i < f->n_ev; i++)
		if (f->ev[i].type == type) {
			n++;
			if (last)
				*last = f->ev[i];
		}
	return n;
}

static void assert_seq_contiguous(struct fixture *f, size_t from)
{
	for (size_t i = from + 1; i < f->n_ev; i++)
		assert_int_equal(f->ev[i].seq, f->ev[i - 1].seq + 1);
}

/* ---- inventory ---------------------------------------------------------------------------- */

static void test_hello_counts(void **state)
{
	struct fixture *f = *state;
	struct fmp_hello_resp h = { 0 };
	struct fmp_ports_resp pr;
	struct fmp_card_resp c;

	sim_hello(f->s, &h);
	assert_string_equal(h.chassis, "demo");
	assert_string_equal(h.model, "mriov-sim MRS-4");
	assert_string_equal(h.serial, "DEMO-0001");
	assert_int_equal(h.n_ports, 4);
	assert_int_equal(h.n_slots, 4);
	assert_int_equal(h.n_functions, 2 + 2 + 1 + 1);
	assert_int_equal(h.event_seq, 0);
	assert_true(h.boot_id != 0);
	assert_true(h.boot_id == sim_boot_id(f->s));

	set_vfs(f, NIC, 0, 8);
	set_vfs(f, NVME, 0, 32);
	sim_hello(f->s, &h);
	assert_int_equal(h.n_functions, 6 + 8 + 32);
	assert_int_equal(h.event_seq, 2);

	assert_int_equal(sim_get_ports(f->s, &pr), 0);
	assert_int_equal(pr.count, 4);
	assert_string_equal(pr.ports[3].name, "web4");
	assert_int_equal(pr.ports[2].width, 8);
	assert_int_equal(pr.ports[0].speed, FMP_SPEED_8GT);
	assert_int_equal(pr.ports[0].n_vppb, 8);
	assert_int_equal(pr.ports[0].usp_bus, SIM_USP_BUS);
	assert_int_equal(pr.ports[0].flags, FMP_PORT_F_LINK_UP);
	free(pr.ports);

	assert_int_equal(sim_get_card(f->s, NIC, &c), 0);
	assert_int_equal(c.sharing, FMP_SHARING_SRIOV);
	assert_int_equal(c.n_pfs, 2);
	assert_int_equal(c.vendor, 0x8086);
	assert_int_equal(c.subsys_device, 0x0003);
	assert_int_equal(c.class_code, 0x020000);
	assert_true(c.dsn == 0x001b21ffff2b46e0ull);
	assert_string_equal(c.name, "nic0");
	assert_string_equal(c.profile, "intel-82599");
	assert_int_equal(c.pfs[0].total_vfs, 64);
	assert_int_equal(c.pfs[0].num_vfs, 8);
	assert_int_equal(c.pfs[1].num_vfs, 0);
	assert_int_equal(c.pfs[0].vf_device, 0x10ed);
	assert_int_equal(c.pfs[0].vf_offset, 384);
	assert_int_equal(c.pfs[0].vf_stride, 2);
	assert_int_equal(sim_get_card(f->s, FC, &c), 0);
	assert_int_equal(c.sharing, FMP_SHARING_EXCLUSIVE);
	assert_int_equal(c.pfs[1].total_vfs, 0);

	assert_int_equal(sim_port_by_name(f->s, "web3"), 2);
	assert_int_equal(sim_port_by_name(f->s, "nope"), -1);
	assert_int_equal(sim_slot_by_card_name(f->s, "raid0"), RAID);
	assert_int_equal(sim_slot_by_card_name(f->s, "slot4"), NVME);
	assert_int_equal(sim_slot_by_card_name(f->s, "slot9"), -1);
	assert_int_equal(sim_slot_by_card_name(f->s, "nic9"), -1);
}

/* ---- binding rules ------------------------------------------------------------------------ */

static void test_sriov_rules(void **state)
{
	struct fixture *f = *state;
	struct fmp_bind_resp r;

	/* sr-iov: the PF stays with the manager */
	assert_int_equal(do_bind(f, fn_pf(NIC, 0), 0, FMP_VPPB_ANY, NULL), -FMP_E_SHARING_MODE);
	/* no VF before NumVFs */
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 0), 0, FMP_VPPB_ANY, NULL),
			 -FMP_E_NO_SUCH_FUNCTION);
	set_vfs(f, NIC, 0, 4);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 4), 0, FMP_VPPB_ANY, NULL),
			 -FMP_E_NO_SUCH_FUNCTION);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 3), 0, FMP_VPPB_ANY, &r), 0);
	assert_int_equal(r.port, 0);
	assert_int_equal(r.vppb, 0);
	assert_int_equal(r.host_bus, SIM_VPPB_BUS(0));
	assert_int_equal(r.host_devfn, 0);
	assert_int_equal(fn_state(f, fn_vf(NIC, 0, 3)), FMP_BIND_BOUND);
	/* another VF of the same PF to another host */
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 0), 1, FMP_VPPB_ANY, &r), 0);
	assert_int_equal(r.port, 1);
	assert_int_equal(r.vppb, 0);
}

static void test_exclusive_rules(void **state)
{
	struct fixture *f = *state;
	struct fmp_bind_resp r;
	struct fmp_functions_resp fr;
	struct fmp_vppb_info v;
	uint8_t buf[FMP_CONFIG_SPACE_SIZE];
	size_t ev0 = f->n_ev;

	/* binding pf1 takes the whole card: 00.0 and 00.1 behind one vPPB */
	assert_int_equal(do_bind(f, fn_pf(FC, 1), 2, 3, &r), 0);
	assert_int_equal(r.vppb, 3);
	assert_int_equal(r.host_bus, SIM_VPPB_BUS(3));
	assert_int_equal(r.host_devfn, PCI_DEVFN(0, 1));
	assert_int_equal(count_ev(f, ev0, FMP_EV_BIND_DONE, NULL), 2);
	assert_int_equal(sim_get_functions(f->s, FC, 0, 0, &fr), 0);
	assert_int_equal(fr.count, 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(fr.fns[i].bind_state, FMP_BIND_BOUND);
		assert_int_equal(fr.fns[i].port, 2);
		assert_int_equal(fr.fns[i].vppb, 3);
	}
	free(fr.fns);
	v = vh_entry(f, 2, 3);
	assert_int_equal(v.bind_state, FMP_BIND_BOUND);
	assert_int_equal(v.fn.slot, FC);
	assert_int_equal(v.fn.pf, 0);
	for (unsigned fn = 0; fn < 2; fn++) {
		assert_int_equal(host_read(f, 2, SIM_VPPB_BUS(3), PCI_DEVFN(0, fn), buf), 0);
		assert_int_equal(rd16(buf, PCI_VENDOR_ID), 0x10df);
		assert_int_equal(rd16(buf, PCI_DEVICE_ID), 0xe200);
		assert_true(buf[PCI_HEADER_TYPE] & 0x80); /* multi-function */
	}
	assert_int_equal(host_read(f, 2, SIM_VPPB_BUS(3), PCI_DEVFN(0, 2), buf),
			 -FMP_E_NO_SUCH_FUNCTION);
	/* either PF: the card is taken; binding pf0 to the same port is what holds */
	assert_int_equal(do_bind(f, fn_pf(FC, 0), 1, FMP_VPPB_ANY, NULL), -FMP_E_BUSY);
	assert_int_equal(do_bind(f, fn_pf(FC, 0), 2, FMP_VPPB_ANY, &r), 0);
	assert_int_equal(r.vppb, 3);
	assert_int_equal(r.host_devfn, 0);
	/* a single-PF exclusive card */
	assert_int_equal(do_bind(f, fn_pf(RAID, 0), 2, FMP_VPPB_ANY, &r), 0);
	assert_int_equal(r.vppb, 0);
	/* unbinding either PF releases the card */
	ev0 = f->n_ev;
	assert_int_equal(unbind(f, fn_pf(FC, 0), FMP_UNBIND_SURPRISE, 0), 0);
	assert_int_equal(count_ev(f, ev0, FMP_EV_UNBIND_DONE, NULL), 2);
	assert_int_equal(fn_state(f, fn_pf(FC, 1)), FMP_BIND_UNBOUND);
	assert_int_equal(do_bind(f, fn_pf(FC, 0), 1, FMP_VPPB_ANY, NULL), 0);
}

static const char mriov_chassis[] =
	"host_ports:\n"
	"  - {name: a, port: 0, vppbs: 2, host_response_ms: 20}\n"
	"  - {name: b, port: 1, vppbs: 2}\n"
	"  - {name: c, port: 7, vppbs: 4}\n"
	"slots:\n"
	"  - number: 5\n"
	"    card: {profile: mriov-nic, serial: 1, name: mr0}\n"
	"  - number: 6\n"
	"    card: {profile: intel-82599, serial: 2, name: nic0}\n"
	"  - number: 9\n";

static int setup_mriov(void **state)
{
	if (setup_common(state))
		return -1;
	start_yaml(*state, mriov_chassis);
	return 0;
}

static void test_mriov_rules(void **state)
{
	struct fixture *f = *state;
	struct fmp_bind_resp r;
	uint8_t buf[FMP_CONFIG_SPACE_SIZE];
	unsigned ari, sriov;

	set_vfs(f, 5, 2, 8);
	assert_int_equal(do_bind(f, fn_vf(5, 2, 0), 0, FMP_VPPB_ANY, NULL), -FMP_E_SHARING_MODE);
	/* each PF to a different host */
	assert_int_equal(do_bind(f, fn_pf(5, 0), 0, FMP_VPPB_ANY, &r), 0);
	assert_int_equal(do_bind(f, fn_pf(5, 1), 1, FMP_VPPB_ANY, &r), 0);
	assert_int_equal(do_bind(f, fn_pf(5, 2), 7, 2, &r), 0);
	assert_int_equal(r.host_bus, SIM_VPPB_BUS(2));
	assert_int_equal(do_bind(f, fn_pf(5, 1), 0, FMP_VPPB_ANY, NULL), -FMP_E_BUSY);
	/* the host owns a bound PF's SR-IOV Control */
	{
		struct fmp_set_num_vfs_resp nr;

		assert_int_equal(sim_set_num_vfs(f->s, 5, 2, 4, &nr), -FMP_E_BUSY);
		assert_int_equal(sim_set_num_vfs(f->s, 5, 2, 8, &nr), 0);
	}
	/* pf2 alone at 00.0 of host c: single-function, ARI chain ends, SR-IOV intact */
	assert_int_equal(host_read(f, 7, SIM_VPPB_BUS(2), 0, buf), 0);
	assert_int_equal(rd16(buf, PCI_VENDOR_ID), 0x8086);
	assert_int_equal(rd16(buf, PCI_DEVICE_ID), 0x1572);
	assert_false(buf[PCI_HEADER_TYPE] & 0x80);
	ari = SIM_CFG_ECAP_ARI;
	assert_int_equal(rd16(buf, ari) & 0xffff, PCI_EXT_CAP_ID_ARI);
	assert_int_equal(PCI_ARI_CAP_NFN(rd16(buf, ari + PCI_ARI_CAP)), 0);
	sriov = SIM_CFG_ECAP_SRIOV;
	assert_int_equal(rd16(buf, sriov), PCI_EXT_CAP_ID_SRIOV);
	assert_int_equal(rd16(buf, sriov + PCI_IOV_NUMVF), 8);
	assert_int_equal(buf[sriov + PCI_IOV_FDL], 0);
	/* its BARs sit in the vPPB's prefetchable window (64-bit prefetchable BARs) */
	{
		uint64_t bar0 = rd32(buf, PCI_BASE_ADDRESS_0) & ~0xfull;
		uint64_t base = SIM_VSWITCH_PREF_BASE + 2 * SIM_VSWITCH_PREF_PER_VPPB;

		bar0 |= (uint64_t)rd32(buf, PCI_BASE_ADDRESS_1) << 32;
		assert_true(bar0 >= base && bar0 + (8u << 20) <= base + SIM_VSWITCH_PREF_PER_VPPB);
	}
	/* its VFs answer behind the vPPB (offset 334 from pf2's 00.0 when alone) with the
	 * identity a bound VF has: PF vendor, VF Device ID */
	{
		uint16_t off = rd16(buf, sriov + PCI_IOV_OFFSET);
		uint16_t st = rd16(buf, sriov + PCI_IOV_STRIDE);
		uint16_t rid = (uint16_t)(off + 7 * st);

		assert_int_equal(host_read(f, 7, (uint8_t)(SIM_VPPB_BUS(2) + (rid >> 8)),
					   (uint8_t)rid, buf), 0);
		assert_int_equal(rd16(buf, PCI_VENDOR_ID), 0x8086);
		assert_int_equal(rd16(buf, PCI_DEVICE_ID), 0x154c);
		assert_int_equal(rd16(buf, PCI_SUBSYSTEM_ID), 0x0001);
		rid = (uint16_t)(off + 8 * st);
		assert_int_equal(host_read(f, 7, (uint8_t)(SIM_VPPB_BUS(2) + (rid >> 8)),
					   (uint8_t)rid, buf), -FMP_E_NO_SUCH_FUNCTION);
	}
	/* mr-iov PF0 carries the MR-IOV capability; the chassis view matches the profile */
	assert_int_equal(chassis_read(f, fn_pf(5, 0), buf), 0);
	assert_int_equal(rd16(buf, SIM_CFG_ECAP_MRIOV), PCI_EXT_CAP_ID_MRIOV);
}

/* The host's own config writes to a PF it owns (bench `host PORT setpci/sriov`): write
 * masks hold, VF Enable brings the VFs into its view, NUM_VFS tells the manager. */
static void test_host_write_config(void **state)
{
	struct fixture *f = *state;
	const unsigned sr = SIM_CFG_ECAP_SRIOV;
	const uint8_t bus = SIM_VPPB_BUS(2);
	uint8_t buf[FMP_CONFIG_SPACE_SIZE];
	struct fmp_event last;
	char err[256];
	uint32_t rb = 0;
	size_t ev0;

	assert_int_equal(do_bind(f, fn_pf(5, 2), 7, 2, NULL), 0);
	/* nothing else in the view takes a host write through the bench */
	assert_int_equal(sim_host_write_config(f->s, 7, SIM_USP_BUS + 1, PCI_DEVFN(2, 0),
					       PCI_COMMAND, 2, 0, NULL, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "not a PF bound to this host"));
	assert_int_equal(sim_host_write_config(f->s, 7, bus, PCI_DEVFN(0, 1), PCI_COMMAND, 2, 0,
					       NULL, err, sizeof(err)), -EPERM);
	assert_int_equal(sim_host_write_config(f->s, 0, bus, 0, PCI_COMMAND, 2, 0, NULL, err,
					       sizeof(err)), -EPERM);
	assert_int_equal(sim_host_write_config(f->s, 7, bus, 0, sr + 1, 2, 0, NULL, err,
					       sizeof(err)), -EINVAL);
	/* TotalVFs is read-only */
	assert_int_equal(sim_host_write_config(f->s, 7, bus, 0, sr + PCI_IOV_TOTALVF, 2, 5, &rb,
					       err, sizeof(err)), 0);
	assert_int_equal(rb, 32);
	ev0 = f->n_ev;
	assert_int_equal(sim_host_write_config(f->s, 7, bus, 0, sr + PCI_IOV_NUMVF, 2, 3, NULL,
					       err, sizeof(err)), 0);
	assert_int_equal(count_ev(f, ev0, FMP_EV_NUM_VFS, NULL), 0); /* VF Enable still off */
	assert_int_equal(sim_host_write_config(f->s, 7, bus, 0, sr + PCI_IOV_CTRL, 2,
					       PCI_IOV_CTRL_VFE | PCI_IOV_CTRL_MSE, NULL, err,
					       sizeof(err)), 0);
	assert_int_equal(count_ev(f, ev0, FMP_EV_NUM_VFS, &last), 1);
	assert_int_equal(last.detail, 3);
	assert_int_equal(last.port, 7);
	assert_int_equal(last.vppb, 2);
	assert_int_equal(last.fn.slot, 5);
	assert_int_equal(last.fn.pf, 2);
	/* NumVFs cannot change under VF Enable (§9.3.3.7) */
	assert_int_equal(sim_host_write_config(f->s, 7, bus, 0, sr + PCI_IOV_NUMVF, 2, 8, &rb,
					       err, sizeof(err)), 0);
	assert_int_equal(rb, 3);
	{
		uint16_t off, st, rid;

		assert_int_equal(host_read(f, 7, bus, 0, buf), 0);
		off = rd16(buf, sr + PCI_IOV_OFFSET);
		st = rd16(buf, sr + PCI_IOV_STRIDE);
		rid = (uint16_t)(off + 2 * st);
		assert_int_equal(host_read(f, 7, (uint8_t)(bus + (rid >> 8)), (uint8_t)rid, buf), 0);
		assert_int_equal(rd16(buf, PCI_DEVICE_ID), 0x154c);
		/* the chassis lists them too */
		assert_int_equal(fn_state(f, fn_vf(5, 2, 2)), FMP_BIND_UNBOUND);
		/* VF Enable off: they are gone */
		assert_int_equal(sim_host_write_config(f->s, 7, bus, 0, sr + PCI_IOV_CTRL, 2, 0, NULL,
						       err, sizeof(err)), 0);
		assert_int_equal(host_read(f, 7, (uint8_t)(bus + (rid >> 8)), (uint8_t)rid, buf),
				 -FMP_E_NO_SUCH_FUNCTION);
		assert_int_equal(count_ev(f, ev0, FMP_EV_NUM_VFS, &last), 2);
		assert_int_equal(last.detail, 0);
	}
}

/* Physical slot power (PCIe r5.0 §7.5.3.10, Power Controller Control 1 = off): an empty
 * slot is unpowered; a card inserted is powered as it seats, unless the manager turned
 * the slot off (PORT_CONTROL), which holds until it turns it on again. */
static void test_slot_power_empty_and_held_off(void **state)
{
	struct fixture *f = *state;
	struct fmp_port_control_req pc = { .op = FMP_PC_SLOT_POWER_OFF, .index = 9 };
	struct fmp_port_control_resp pr;
	char err[256];

	assert_false(slot_flags(f, 9) & FMP_SLOT_F_POWER_ON);
	assert_true(slot_flags(f, 6) & FMP_SLOT_F_POWER_ON);
	/* an insert into an empty slot powers it */
	assert_int_equal(sim_bench_insert(f->s, 9, "intel-82599", "7", NULL, err, sizeof(err)), 0);
	assert_true(slot_flags(f, 9) & FMP_SLOT_F_POWER_ON);
	assert_true(slot_flags(f, 9) & FMP_SLOT_F_DLL_ACTIVE);
	/* the manager powers it off; the card is pulled and put back: it stays off */
	assert_int_equal(sim_port_control(f->s, &pc, &pr), 0);
	assert_false(pr.flags & FMP_SLOT_F_POWER_ON);
	assert_int_equal(sim_bench_remove(f->s, 9, false, err, sizeof(err)), 0);
	assert_false(slot_flags(f, 9) & FMP_SLOT_F_POWER_ON);
	assert_int_equal(sim_bench_insert(f->s, 9, "intel-82599", "7", NULL, err, sizeof(err)), 0);
	assert_false(slot_flags(f, 9) & FMP_SLOT_F_POWER_ON);
	assert_false(slot_flags(f, 9) & FMP_SLOT_F_DLL_ACTIVE);
	assert_true(slot_flags(f, 9) & FMP_SLOT_F_PRESENT);
	assert_int_equal(do_bind(f, fn_pf(9, 0), 7, FMP_VPPB_ANY, NULL), -FMP_E_POWER);
	/* until the manager turns it on */
	pc.op = FMP_PC_SLOT_POWER_ON;
	assert_int_equal(sim_port_control(f->s, &pc, &pr), 0);
	assert_true(pr.flags & FMP_SLOT_F_POWER_ON);
	assert_true(slot_flags(f, 9) & FMP_SLOT_F_DLL_ACTIVE);
}

static void test_busy_idempotent(void **state)
{
	struct fixture *f = *state;
	struct fmp_bind_resp r;
	size_t ev0;

	set_vfs(f, NIC, 1, 2);
	assert_int_equal(do_bind(f, fn_vf(NIC, 1, 1), 0, 5, &r), 0);
	assert_int_equal(r.vppb, 5);
	ev0 = f->n_ev;
	assert_int_equal(do_bind(f, fn_vf(NIC, 1, 1), 0, FMP_VPPB_ANY, &r), 0);
	assert_int_equal(r.vppb, 5);
	assert_int_equal(do_bind(f, fn_vf(NIC, 1, 1), 0, 5, &r), 0);
	assert_int_equal(f->n_ev, ev0); /* nothing changed, nothing emitted */
	assert_int_equal(do_bind(f, fn_vf(NIC, 1, 1), 0, 4, NULL), -FMP_E_BUSY);
	assert_int_equal(do_bind(f, fn_vf(NIC, 1, 1), 1, FMP_VPPB_ANY, NULL), -FMP_E_BUSY);
	/* vPPB taken by another function */
	assert_int_equal(do_bind(f, fn_vf(NIC, 1, 0), 0, 5, NULL), -FMP_E_NO_VPPB);
	assert_int_equal(do_bind(f, fn_vf(NIC, 1, 0), 0, 8, NULL), -FMP_E_INVALID);
	assert_int_equal(do_bind(f, fn_vf(NIC, 1, 0), 0, FMP_VPPB_ANY, &r), 0);
	assert_int_equal(r.vppb, 0);
}

static void test_no_free_vppb(void **state)
{
	struct fixture *f = *state;

	set_vfs(f, 6, 0, 3);
	assert_int_equal(do_bind(f, fn_vf(6, 0, 0), 0, FMP_VPPB_ANY, NULL), 0);
	assert_int_equal(do_bind(f, fn_vf(6, 0, 1), 0, FMP_VPPB_ANY, NULL), 0);
	assert_int_equal(do_bind(f, fn_vf(6, 0, 2), 0, FMP_VPPB_ANY, NULL), -FMP_E_NO_VPPB);
	assert_int_equal(do_bind(f, fn_vf(6, 0, 2), 1, FMP_VPPB_ANY, NULL), 0);
}

static void test_link_down_refuses_bind(void **state)
{
	struct fixture *f = *state;
	struct fmp_event last;
	struct fmp_port_control_req pc = { .op = FMP_PC_LINK_DISABLE, .index = 1 };
	struct fmp_port_control_resp pr;
	char err[128];
	size_t ev0;
	uint8_t buf[FMP_CONFIG_SPACE_SIZE];

	set_vfs(f, NIC, 0, 4);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 0), 0, FMP_VPPB_ANY, NULL), 0);
	ev0 = f->n_ev;
	assert_int_equal(sim_bench_link(f->s, 0, false, err, sizeof(err)), 0);
	assert_int_equal(count_ev(f, ev0, FMP_EV_LINK_STATE, &last), 1);
	assert_int_equal(last.port, 0);
	assert_int_equal(last.detail, 0);
	assert_int_equal(last.slot, FMP_SLOT_NONE);
	assert_int_equal(last.vppb, FMP_VPPB_NONE);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 1), 0, FMP_VPPB_ANY, NULL), -FMP_E_LINK_DOWN);
	/* the virtual switch keeps its bindings; the host sees its link down */
	assert_int_equal(vh_entry(f, 0, 0).bind_state, FMP_BIND_BOUND);
	assert_int_equal(host_read(f, 0, SIM_USP_BUS, 0, buf), 0);
	assert_false(rd16(buf, SIM_CFG_BR_EXP + PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_WIDTH);
	/* down twice: no second event */
	assert_int_equal(sim_bench_link(f->s, 0, false, err, sizeof(err)), 0);
	assert_int_equal(count_ev(f, ev0, FMP_EV_LINK_STATE, NULL), 1);
	assert_int_equal(sim_bench_link(f->s, 0, true, err, sizeof(err)), 0);
	assert_int_equal(count_ev(f, ev0, FMP_EV_LINK_STATE, &last), 2);
	assert_int_equal(last.detail, 1);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 1), 0, FMP_VPPB_ANY, NULL), 0);
	/* through PORT_CONTROL too */
	assert_int_equal(sim_port_control(f->s, &pc, &pr), 0);
	assert_int_equal(pr.index, 1);
	assert_int_equal(pr.flags, 0);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 2), 1, FMP_VPPB_ANY, NULL), -FMP_E_LINK_DOWN);
	pc.op = FMP_PC_LINK_ENABLE;
	assert_int_equal(sim_port_control(f->s, &pc, &pr), 0);
	assert_int_equal(pr.flags, FMP_PORT_F_LINK_UP);
	ev0 = f->n_ev;
	pc.op = FMP_PC_LINK_RESET;
	assert_int_equal(sim_port_control(f->s, &pc, &pr), 0);
	assert_int_equal(count_ev(f, ev0, FMP_EV_LINK_STATE, NULL), 2);
	assert_int_equal(pr.flags, FMP_PORT_F_LINK_UP);
}

/* ---- SR-IOV ------------------------------------------------------------------------------- */

static void test_num_vfs_rules(void **state)
{
	struct fixture *f = *state;
	struct fmp_set_num_vfs_resp r;
	struct fmp_event last;
	uint8_t buf[FMP_CONFIG_SPACE_SIZE];
	const unsigned sr = SIM_CFG_ECAP_SRIOV;
	size_t ev0 = f->n_ev;

	assert_int_equal(sim_set_num_vfs(f->s, NIC, 0, 65, &r), -FMP_E_INVALID);
	assert_int_equal(sim_set_num_vfs(f->s, FC, 0, 1, &r), -FMP_E_INVALID);
	assert_int_equal(sim_set_num_vfs(f->s, NIC, 2, 1, &r), -FMP_E_NO_SUCH_FUNCTION);
	assert_int_equal(sim_set_num_vfs(f->s, 7, 0, 1, &r), -FMP_E_NO_SUCH_SLOT);
	assert_int_equal(sim_set_num_vfs(f->s, NIC, 0, 16, &r), 0);
	assert_int_equal(r.num_vfs, 16);
	assert_int_equal(r.total_vfs, 64);
	assert_int_equal(count_ev(f, ev0, FMP_EV_NUM_VFS, &last), 1);
	assert_int_equal(last.slot, NIC);
	assert_int_equal(last.fn.slot, NIC);
	assert_int_equal(last.fn.pf, 0);
	assert_int_equal(last.fn.vf, FMP_VF_NONE);
	assert_int_equal(last.detail, 16);
	/* the PF's SR-IOV registers say so (PCIe r5.0 §9.3.3.3, §9.3.3.7) */
	assert_int_equal(chassis_read(f, fn_pf(NIC, 0), buf), 0);
	assert_int_equal(rd16(buf, sr), PCI_EXT_CAP_ID_SRIOV);
	assert_int_equal(rd16(buf, sr + PCI_IOV_NUMVF), 16);
	assert_true(rd16(buf, sr + PCI_IOV_CTRL) & PCI_IOV_CTRL_VFE);
	assert_true(rd16(buf, sr + PCI_IOV_CTRL) & PCI_IOV_CTRL_MSE);
	/* VFs exist up to NumVFs */
	assert_int_equal(chassis_read(f, fn_vf(NIC, 0, 15), buf), 0);
	assert_int_equal(chassis_read(f, fn_vf(NIC, 0, 16), buf), -FMP_E_NO_SUCH_FUNCTION);

	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 15), 3, FMP_VPPB_ANY, NULL), 0);
	assert_int_equal(sim_set_num_vfs(f->s, NIC, 0, 32, &r), -FMP_E_VF_BOUND);
	assert_int_equal(sim_set_num_vfs(f->s, NIC, 0, 0, &r), -FMP_E_VF_BOUND);
	assert_int_equal(sim_set_num_vfs(f->s, NIC, 0, 16, &r), 0); /* what holds */
	assert_int_equal(count_ev(f, ev0, FMP_EV_NUM_VFS, NULL), 1);
	/* the other PF is independent */
	set_vfs(f, NIC, 1, 64);
	assert_int_equal(unbind(f, fn_vf(NIC, 0, 15), FMP_UNBIND_SURPRISE, 0), 0);
	set_vfs(f, NIC, 0, 0);
	assert_int_equal(chassis_read(f, fn_pf(NIC, 0), buf), 0);
	assert_int_equal(rd16(buf, sr + PCI_IOV_NUMVF), 0);
	assert_false(rd16(buf, sr + PCI_IOV_CTRL) & PCI_IOV_CTRL_VFE);
	assert_int_equal(chassis_read(f, fn_vf(NIC, 0, 0), buf), -FMP_E_NO_SUCH_FUNCTION);
}

static void test_vf_routing_ids_82599(void **state)
{
	struct fixture *f = *state;
	struct fmp_functions_resp r;
	uint8_t *seen = calloc(65536, 1);
	uint16_t pf_rid[2] = { 0, 0 };

	assert_non_null(seen);
	set_vfs(f, NIC, 0, 64);
	set_vfs(f, NIC, 1, 64);
	set_vfs(f, NVME, 0, 32);
	assert_int_equal(sim_get_functions(f->s, FMP_SLOT_NONE, 0, 0, &r), 0);
	assert_int_equal(r.next_cursor, FMP_CURSOR_END);
	assert_int_equal(r.count, 6 + 128 + 32);
	for (uint16_t i = 0; i < r.count; i++) {
		const struct fmp_function_info *fi = &r.fns[i];

		/* every routing ID on the chassis side is unique */
		assert_int_equal(seen[fi->rid], 0);
		seen[fi->rid] = 1;
		if (fi->fn.slot != NIC)
			continue;
		assert_int_equal(fi->vendor, 0x8086);
		if (fi->fn.vf == FMP_VF_NONE) {
			pf_rid[fi->fn.pf] = fi->rid;
			assert_int_equal(PCI_FUNC(fi->rid & 0xff), fi->fn.pf);
			assert_int_equal(fi->device, 0x10fb);
			assert_int_equal(fi->flags, 0);
			continue;
		}
		/* RID = PF RID + First VF Offset + VF Stride * index (PCIe r5.0 §9.3.3.10) */
		assert_int_equal(fi->flags, FMP_FN_F_VF);
		assert_int_equal(fi->device, 0x10ed);
		assert_int_equal(fi->rid, (uint16_t)(pf_rid[fi->fn.pf] + 384 + 2 * fi->fn.vf));
		/* PF0's VFs on even functions, PF1's on odd ones */
		assert_int_equal(fi->rid & 1, fi->fn.pf);
	}
	/* the 82599's VFs span buses pf_bus+1..+2: the next slot's card starts after them */
	{
		const struct fmp_function_info *last_vf = find_fn(&r, fn_vf(NIC, 1, 63));
		const struct fmp_function_info *fc = find_fn(&r, fn_pf(FC, 0));

		assert_non_null(last_vf);
		assert_non_null(fc);
		assert_int_equal(last_vf->rid, pf_rid[1] + 384 + 126);
		assert_true((fc->rid >> 8) > (last_vf->rid >> 8));
	}
	free(r.fns);
	free(seen);
}

/* ---- host view ---------------------------------------------------------------------------- */

static void test_host_view_vf(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[FMP_CONFIG_SPACE_SIZE], dsp[FMP_CONFIG_SPACE_SIZE];
	struct fmp_bind_resp r;
	struct fmp_read_config_req req = { .target = FMP_CFG_HOST, .port = 1 };
	uint64_t bar;
	uint32_t mem_base, mem_limit;

	set_vfs(f, NIC, 0, 8);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 3), 1, 2, &r), 0);
	/* chassis view: spec-true VF (PCIe r5.0 §9.3.4.1.1) */
	assert_int_equal(chassis_read(f, fn_vf(NIC, 0, 3), buf), 0);
	assert_int_equal(rd16(buf, PCI_VENDOR_ID), 0xffff);
	assert_int_equal(rd16(buf, PCI_DEVICE_ID), 0xffff);
	/* host view: PF vendor, VF Device ID, PF subsystem, at 00.0 of the vPPB's bus */
	assert_int_equal(host_read(f, 1, r.host_bus, r.host_devfn, buf), 0);
	assert_int_equal(rd16(buf, PCI_VENDOR_ID), 0x8086);
	assert_int_equal(rd16(buf, PCI_DEVICE_ID), 0x10ed);
	assert_int_equal(rd16(buf, PCI_SUBSYSTEM_VENDOR_ID), 0x8086);
	assert_int_equal(rd16(buf, PCI_SUBSYSTEM_ID), 0x0003);
	assert_int_equal(buf[PCI_HEADER_TYPE], PCI_HEADER_TYPE_NORMAL);
	/* its BAR0 (16K, 64-bit) lies in the downstream bridge's memory window */
	assert_int_equal(host_read(f, 1, SIM_USP_BUS + 1, PCI_DEVFN(2, 0), dsp), 0);
	bar = (rd32(buf, PCI_BASE_ADDRESS_0) & ~0xfull) |
	      (uint64_t)rd32(buf, PCI_BASE_ADDRESS_1) << 32;
	mem_base = (uint32_t)(rd16(dsp, PCI_MEMORY_BASE) & 0xfff0) << 16;
	mem_limit = (uint32_t)(rd16(dsp, PCI_MEMORY_LIMIT) & 0xfff0) << 16 | 0xfffff;
	assert_true(bar != 0);
	assert_true(bar >= mem_base && bar + 16384 - 1 <= mem_limit);
	/* nothing else behind that vPPB, nothing behind an empty one */
	assert_int_equal(host_read(f, 1, r.host_bus, 1, buf), -FMP_E_NO_SUCH_FUNCTION);
	assert_int_equal(host_read(f, 1, SIM_VPPB_BUS(0), 0, buf), -FMP_E_NO_SUCH_FUNCTION);
	assert_int_equal(host_read(f, 0, r.host_bus, 0, buf), -FMP_E_NO_SUCH_FUNCTION);
	/* a partial read */
	req.bus = r.host_bus;
	req.offset = PCI_DEVICE_ID;
	req.length = 2;
	assert_int_equal(read_cfg(f, &req, buf), 0);
	assert_int_equal(rd16(buf, 0), 0x10ed);
	req.offset = 4095;
	assert_int_equal(read_cfg(f, &req, buf), -FMP_E_INVALID);
}

static void test_host_view_bridges(void **state)
{
	struct fixture *f = *state;
	uint8_t usp[FMP_CONFIG_SPACE_SIZE], dsp[FMP_CONFIG_SPACE_SIZE];
	uint16_t psn_seen = 0;
	const unsigned e = SIM_CFG_BR_EXP;

	assert_int_equal(host_read(f, 0, SIM_USP_BUS, 0, usp), 0);
	assert_int_equal(rd16(usp, PCI_VENDOR_ID), SIM_SWITCH_VENDOR);
	assert_int_equal(usp[PCI_HEADER_TYPE], PCI_HEADER_TYPE_BRIDGE);
	assert_int_equal((rd16(usp, e + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >> 4,
			 PCI_EXP_TYPE_UPSTREAM);
	assert_int_equal(usp[PCI_PRIMARY_BUS], SIM_USP_BUS);
	assert_int_equal(usp[PCI_SECONDARY_BUS], SIM_USP_BUS + 1);
	assert_int_equal(usp[PCI_SUBORDINATE_BUS], SIM_VPPB_BUS(7) + SIM_BUSES_PER_VPPB - 1);
	assert_int_equal(host_read(f, 0, SIM_USP_BUS, 1, usp), -FMP_E_NO_SUCH_FUNCTION);
	for (unsigned i = 0; i < 8; i++) {
		uint32_t sltcap;

		assert_int_equal(host_read(f, 0, SIM_USP_BUS + 1, PCI_DEVFN(i, 0), dsp), 0);
		assert_int_equal((rd16(dsp, e + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >> 4,
				 PCI_EXP_TYPE_DOWNSTREAM);
		assert_true(rd16(dsp, e + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_SLOT);
		assert_int_equal(dsp[PCI_PRIMARY_BUS], SIM_USP_BUS + 1);
		assert_int_equal(dsp[PCI_SECONDARY_BUS], SIM_VPPB_BUS(i));
		assert_int_equal(dsp[PCI_SUBORDINATE_BUS],
				 SIM_VPPB_BUS(i) + SIM_BUSES_PER_VPPB - 1);
		sltcap = rd32(dsp, e + PCI_EXP_SLTCAP);
		assert_true(sltcap & PCI_EXP_SLTCAP_HPC);
		/* Physical Slot Number unique in the host's hierarchy */
		assert_false(psn_seen & (1u << (sltcap >> 19)));
		psn_seen |= (uint16_t)(1u << (sltcap >> 19));
		/* each window inside the upstream bridge's */
		assert_true(rd16(dsp, PCI_MEMORY_BASE) >= rd16(usp, PCI_MEMORY_BASE));
		assert_true(rd16(dsp, PCI_MEMORY_LIMIT) <= rd16(usp, PCI_MEMORY_LIMIT));
	}
	assert_int_equal(host_read(f, 0, SIM_USP_BUS + 1, PCI_DEVFN(8, 0), dsp),
			 -FMP_E_NO_SUCH_FUNCTION);
	assert_int_equal(host_read(f, 0, 0, 0, dsp), -FMP_E_NO_SUCH_FUNCTION);
	assert_int_equal(host_read(f, 0, 200, 0, dsp), -FMP_E_NO_SUCH_FUNCTION);
	assert_int_equal(host_read(f, 9, SIM_USP_BUS, 0, dsp), -FMP_E_NO_SUCH_PORT);
}

static void test_dsp_slot_status(void **state)
{
	struct fixture *f = *state;
	uint8_t dsp[FMP_CONFIG_SPACE_SIZE];
	const unsigned e = SIM_CFG_BR_EXP;
	struct fmp_vppb_info v;
	uint16_t sta;

	set_vfs(f, NVME, 0, 2);
	assert_int_equal(host_read(f, 3, SIM_USP_BUS + 1, PCI_DEVFN(0, 0), dsp), 0);
	assert_false(rd16(dsp, e + PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_PRES);
	assert_false(rd16(dsp, e + PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_DL_ACT);
	assert_false(vh_entry(f, 3, 0).slot_flags & FMP_SLOT_F_PRESENT);

	assert_int_equal(do_bind(f, fn_vf(NVME, 0, 1), 3, FMP_VPPB_ANY, NULL), 0);
	/* hot-add (PCIe r5.0 §7.5.3.11, §7.5.3.8): present + DLL active, both Changed bits */
	assert_int_equal(host_read(f, 3, SIM_USP_BUS + 1, PCI_DEVFN(0, 0), dsp), 0);
	sta = rd16(dsp, e + PCI_EXP_SLTSTA);
	assert_true(sta & PCI_EXP_SLTSTA_PRES);
	assert_true(sta & PCI_EXP_SLTSTA_PRSD);
	assert_true(sta & PCI_EXP_SLTSTA_LLCHG);
	assert_true(rd16(dsp, e + PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_DL_ACT);
	v = vh_entry(f, 3, 0);
	assert_int_equal(v.bind_state, FMP_BIND_BOUND);
	assert_int_equal(v.sec_bus, SIM_VPPB_BUS(0));
	assert_int_equal(v.fn.slot, NVME);
	assert_int_equal(v.fn.vf, 1);
	sta = FMP_SLOT_F_PRESENT | FMP_SLOT_F_DLL_ACTIVE | FMP_SLOT_F_POWER_ON;
	assert_int_equal(v.slot_flags & sta, sta);

	assert_int_equal(unbind(f, fn_vf(NVME, 0, 1), FMP_UNBIND_SURPRISE, 0), 0);
	assert_int_equal(host_read(f, 3, SIM_USP_BUS + 1, PCI_DEVFN(0, 0), dsp), 0);
	assert_false(rd16(dsp, e + PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_PRES);
	assert_false(rd16(dsp, e + PCI_EXP_LNKSTA) & PCI_EXP_LNKSTA_DL_ACT);
	v = vh_entry(f, 3, 0);
	assert_int_equal(v.bind_state, FMP_BIND_UNBOUND);
	assert_int_equal(v.fn.slot, FMP_SLOT_NONE);
	assert_false(v.slot_flags & (FMP_SLOT_F_PRESENT | FMP_SLOT_F_DLL_ACTIVE));
}

/* ---- hot-plug handshakes ------------------------------------------------------------------ */

static void test_managed_unbind_completes(void **state)
{
	struct fixture *f = *state;
	struct fmp_event last;
	uint8_t dsp[FMP_CONFIG_SPACE_SIZE];
	uint64_t t0;
	size_t ev0;

	/* web4 answers after 500 ms in demo.yaml; make it quicker */
	assert_int_equal(sim_bench_host(f->s, 3, true, 60, NULL, 0), 0);
	set_vfs(f, NIC, 0, 2);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 1), 3, 4, NULL), 0);
	ev0 = f->n_ev;
	uv_update_time(&f->loop);
	t0 = uv_now(&f->loop);
	assert_int_equal(unbind(f, fn_vf(NIC, 0, 1), FMP_UNBIND_MANAGED, 0), 1);
	/* pending: UNBINDING everywhere, another unbind or bind is refused */
	assert_int_equal(fn_state(f, fn_vf(NIC, 0, 1)), FMP_BIND_UNBINDING);
	assert_int_equal(vh_entry(f, 3, 4).bind_state, FMP_BIND_UNBINDING);
	assert_int_equal(unbind(f, fn_vf(NIC, 0, 1), FMP_UNBIND_MANAGED, 0), -FMP_E_IN_PROGRESS);
	assert_int_equal(unbind(f, fn_vf(NIC, 0, 1), FMP_UNBIND_SURPRISE, 0), -FMP_E_IN_PROGRESS);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 1), 3, FMP_VPPB_ANY, NULL), -FMP_E_IN_PROGRESS);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 0), 3, 4, NULL), -FMP_E_NO_VPPB);
	/* the host saw the button and blinks the power indicator */
	assert_int_equal(host_read(f, 3, SIM_USP_BUS + 1, PCI_DEVFN(4, 0), dsp), 0);
	assert_int_equal(rd16(dsp, SIM_CFG_BR_EXP + PCI_EXP_SLTCTL) & PCI_EXP_SLTCTL_PWRI,
			 SIM_SLTCTL_PWR_IND_BLINK);
	assert_int_equal(count_ev(f, ev0, FMP_EV_UNBIND_DONE, NULL), 0);
	assert_int_equal(f->cb_calls, 0);

	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->cb_calls, 1);
	assert_int_equal(f->cb_status, 0);
	assert_int_equal(f->cb_resp.port, 3);
	assert_int_equal(f->cb_resp.vppb, 4);
	assert_true(f->cb_at - t0 >= 59);
	assert_int_equal(count_ev(f, ev0, FMP_EV_UNBIND_DONE, &last), 1);
	assert_int_equal(last.reason, FMP_EVR_MANAGED);
	assert_int_equal(last.port, 3);
	assert_int_equal(last.vppb, 4);
	assert_int_equal(last.fn.slot, NIC);
	assert_int_equal(last.fn.vf, 1);
	assert_int_equal(fn_state(f, fn_vf(NIC, 0, 1)), FMP_BIND_UNBOUND);
	/* the host powered the slot off before the function left */
	assert_int_equal(host_read(f, 3, SIM_USP_BUS + 1, PCI_DEVFN(4, 0), dsp), 0);
	assert_true(rd16(dsp, SIM_CFG_BR_EXP + PCI_EXP_SLTCTL) & PCI_EXP_SLTCTL_PWRC);
	assert_false(rd16(dsp, SIM_CFG_BR_EXP + PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_PRES);
	assert_int_equal(unbind(f, fn_vf(NIC, 0, 1), FMP_UNBIND_MANAGED, 0), -FMP_E_NOT_BOUND);
	/* and the vPPB takes a new function, powered again */
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 0), 3, 4, NULL), 0);
	assert_false(vh_entry(f, 3, 4).slot_flags & FMP_SLOT_F_POWER_FAULT);
	assert_true(vh_entry(f, 3, 4).slot_flags & FMP_SLOT_F_POWER_ON);
}

static void test_managed_unbind_timeout(void **state)
{
	struct fixture *f = *state;
	size_t ev0;
	uint64_t t0;

	assert_int_equal(sim_bench_host(f->s, 0, false, 0, NULL, 0), 0);
	set_vfs(f, NIC, 0, 2);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 0), 0, FMP_VPPB_ANY, NULL), 0);
	ev0 = f->n_ev;
	uv_update_time(&f->loop);
	t0 = uv_now(&f->loop);
	assert_int_equal(unbind(f, fn_vf(NIC, 0, 0), FMP_UNBIND_MANAGED, 40), 1);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->cb_calls, 1);
	assert_int_equal(f->cb_status, FMP_E_TIMEOUT);
	assert_true(f->cb_at - t0 >= 39);
	/* the binding stays, back to bound */
	assert_int_equal(count_ev(f, ev0, FMP_EV_UNBIND_DONE, NULL), 0);
	assert_int_equal(fn_state(f, fn_vf(NIC, 0, 0)), FMP_BIND_BOUND);
	assert_int_equal(vh_entry(f, 0, 0).bind_state, FMP_BIND_BOUND);
	assert_true(vh_entry(f, 0, 0).slot_flags & FMP_SLOT_F_PRESENT);
	/* a host slower than the timeout is a timeout too */
	assert_int_equal(sim_bench_host(f->s, 0, true, 500, NULL, 0), 0);
	assert_int_equal(unbind(f, fn_vf(NIC, 0, 0), FMP_UNBIND_MANAGED, 20), 1);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->cb_calls, 2);
	assert_int_equal(f->cb_status, FMP_E_TIMEOUT);
	/* then a surprise unbind works at once */
	assert_int_equal(unbind(f, fn_vf(NIC, 0, 0), FMP_UNBIND_SURPRISE, 0), 0);
	assert_int_equal(fn_state(f, fn_vf(NIC, 0, 0)), FMP_BIND_UNBOUND);
}

static void test_surprise_unbind(void **state)
{
	struct fixture *f = *state;
	struct fmp_unbind_req req = { .fn = fn_vf(NIC, 1, 5), .mode = FMP_UNBIND_SURPRISE };
	struct fmp_unbind_resp resp = { 0 };
	struct fmp_event last;
	size_t ev0;

	set_vfs(f, NIC, 1, 8);
	assert_int_equal(do_bind(f, fn_vf(NIC, 1, 5), 2, 6, NULL), 0);
	ev0 = f->n_ev;
	assert_int_equal(sim_unbind(f->s, &req, on_unbind, f, &resp), 0);
	assert_int_equal(resp.port, 2);
	assert_int_equal(resp.vppb, 6);
	assert_int_equal(f->cb_calls, 0);
	assert_int_equal(count_ev(f, ev0, FMP_EV_UNBIND_DONE, &last), 1);
	assert_int_equal(last.reason, FMP_EVR_SURPRISE);
	assert_int_equal(fn_state(f, fn_vf(NIC, 1, 5)), FMP_BIND_UNBOUND);
	assert_int_equal(sim_unbind(f->s, &req, on_unbind, f, &resp), -FMP_E_NOT_BOUND);
	req.mode = 7;
	assert_int_equal(sim_unbind(f->s, &req, on_unbind, f, &resp), -FMP_E_INVALID);
}

static void test_pending_unbind_then_card_pulled(void **state)
{
	struct fixture *f = *state;
	char err[256];
	size_t ev0;
	struct fmp_event last;

	set_vfs(f, NIC, 0, 2);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 0), 3, FMP_VPPB_ANY, NULL), 0);
	assert_int_equal(unbind(f, fn_vf(NIC, 0, 0), FMP_UNBIND_MANAGED, 0), 1);
	/* orderly removal refused while a function is (still) bound */
	assert_int_equal(sim_bench_remove(f->s, NIC, false, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "nic0/pf0/vf0"));
	ev0 = f->n_ev;
	assert_int_equal(sim_bench_remove(f->s, NIC, true, err, sizeof(err)), 0);
	/* the pending unbind is answered: the function is gone */
	assert_int_equal(f->cb_calls, 1);
	assert_int_equal(f->cb_status, 0);
	assert_int_equal(count_ev(f, ev0, FMP_EV_UNBIND_DONE, &last), 1);
	assert_int_equal(last.reason, FMP_EVR_SURPRISE);
	assert_int_equal(count_ev(f, ev0, FMP_EV_SLOT_PRESENCE, &last), 1);
	assert_int_equal(last.detail, 0);
	assert_int_equal(last.reason, FMP_EVR_SURPRISE);
	assert_true(f->ev[f->n_ev - 1].type == FMP_EV_SLOT_PRESENCE); /* after the unbinds */
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->cb_calls, 1);
}

static void test_free_with_pending(void **state)
{
	struct fixture *f = *state;

	set_vfs(f, NIC, 0, 2);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 0), 0, FMP_VPPB_ANY, NULL), 0);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 1), 1, FMP_VPPB_ANY, NULL), 0);
	assert_int_equal(unbind(f, fn_vf(NIC, 0, 0), FMP_UNBIND_MANAGED, 0), 1);
	assert_int_equal(unbind(f, fn_vf(NIC, 0, 1), FMP_UNBIND_MANAGED, 0), 1);
	sim_free(f->s);
	f->s = NULL;
	/* each requester hears once that its handshake ended with the sim */
	assert_int_equal(f->cb_calls, 2);
	assert_int_equal(f->cb_status, FMP_E_INTERNAL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->cb_calls, 2);
}

/* ---- bench events ------------------------------------------------------------------------- */

static void test_insert_remove_events(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	struct fmp_event last;
	struct fmp_card_resp c;
	struct timespec ts;
	uint64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	/* empty slot 9 */
	assert_int_equal(slot_flags(f, 9) & FMP_SLOT_F_PRESENT, 0);
	assert_int_equal(sim_get_card(f->s, 9, &c), -FMP_E_EMPTY_SLOT);
	assert_int_equal(sim_bench_insert(f->s, 9, "samsung-pm1733", "00-25-38-b5-31-a0-45-99",
					  "nvme7", err, sizeof(err)), 0);
	assert_int_equal(f->n_ev, 1);
	last = f->ev[0];
	assert_int_equal(last.seq, 1);
	assert_int_equal(last.type, FMP_EV_SLOT_PRESENCE);
	assert_int_equal(last.detail, 1);
	assert_int_equal(last.reason, FMP_EVR_MANAGED);
	assert_int_equal(last.slot, 9);
	assert_int_equal(last.port, FMP_PORT_NONE);
	assert_int_equal(last.vppb, FMP_VPPB_NONE);
	assert_int_equal(last.fn.slot, FMP_SLOT_NONE);
	assert_true(last.time_ns >= now && last.time_ns < now + 10000000000ull);
	assert_int_equal(slot_flags(f, 9) & (FMP_SLOT_F_PRESENT | FMP_SLOT_F_POWER_ON |
					     FMP_SLOT_F_DLL_ACTIVE),
			 FMP_SLOT_F_PRESENT | FMP_SLOT_F_POWER_ON | FMP_SLOT_F_DLL_ACTIVE);
	assert_int_equal(sim_get_card(f->s, 9, &c), 0);
	assert_string_equal(c.name, "nvme7");
	assert_int_equal(sim_slot_by_card_name(f->s, "nvme7"), 9);
	/* a loaded profile, a new one from the directory */
	assert_int_equal(sim_bench_insert(f->s, 9, "intel-82599", "3", NULL, err, sizeof(err)),
			 -EBUSY);
	assert_int_equal(sim_bench_insert(f->s, 8, "intel-82599", "3", NULL, err, sizeof(err)),
			 -ENOENT);
	assert_int_equal(sim_bench_remove(f->s, 9, false, err, sizeof(err)), 0);
	assert_int_equal(f->ev[1].type, FMP_EV_SLOT_PRESENCE);
	assert_int_equal(f->ev[1].detail, 0);
	assert_int_equal(f->ev[1].reason, FMP_EVR_MANAGED);
	assert_int_equal(sim_bench_remove(f->s, 9, false, err, sizeof(err)), -ENOENT);
	assert_int_equal(sim_bench_insert(f->s, 9, "nope", "4", NULL, err, sizeof(err)), -ENOENT);
	assert_int_equal(sim_bench_insert(f->s, 9, "mellanox-cx5", "zz", NULL, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(sim_bench_insert(f->s, 9, "mellanox-cx5", "1", NULL, err, sizeof(err)),
			 -EEXIST); /* slot 5's serial */
	assert_int_equal(sim_bench_insert(f->s, 9, "mellanox-cx5", "7", "mr0", err, sizeof(err)),
			 -EEXIST);
	assert_int_equal(sim_bench_insert(f->s, 9, "mellanox-cx5", "7", "slot3", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(sim_bench_insert(f->s, 9, "mellanox-cx5", "7", "cx0", err, sizeof(err)),
			 0);
	assert_int_equal(sim_get_card(f->s, 9, &c), 0);
	assert_string_equal(c.profile, "mellanox-cx5");
	assert_int_equal(c.pfs[1].vf_offset, 17);
	assert_seq_contiguous(f, 0);
	assert_int_equal(f->ev[f->n_ev - 1].seq, f->n_ev);
}

static void test_button_fault_events(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct fmp_event last;
	struct fmp_port_control_req pc = { .op = FMP_PC_SLOT_POWER_ON, .index = NIC };
	struct fmp_port_control_resp pr;
	size_t ev0;

	assert_int_equal(sim_bench_button(f->s, NIC, err, sizeof(err)), 0);
	assert_int_equal(count_ev(f, 0, FMP_EV_ATTN_BUTTON, &last), 1);
	assert_int_equal(last.slot, NIC);
	assert_int_equal(last.port, FMP_PORT_NONE);

	set_vfs(f, NIC, 0, 4);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 0), 0, FMP_VPPB_ANY, NULL), 0);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 1), 1, FMP_VPPB_ANY, NULL), 0);
	ev0 = f->n_ev;
	assert_int_equal(sim_bench_fault(f->s, NIC, err, sizeof(err)), 0);
	/* fault first, then the functions leave, then the card's reset drops its VFs */
	assert_int_equal(f->ev[ev0].type, FMP_EV_POWER_FAULT);
	assert_int_equal(f->ev[ev0].slot, NIC);
	assert_int_equal(count_ev(f, ev0, FMP_EV_UNBIND_DONE, &last), 2);
	assert_int_equal(last.reason, FMP_EVR_FAULT);
	assert_int_equal(count_ev(f, ev0, FMP_EV_NUM_VFS, &last), 1);
	assert_int_equal(last.detail, 0);
	assert_int_equal(f->ev[f->n_ev - 1].type, FMP_EV_NUM_VFS);
	assert_int_equal(slot_flags(f, NIC) & (FMP_SLOT_F_POWER_FAULT | FMP_SLOT_F_POWER_ON |
					       FMP_SLOT_F_DLL_ACTIVE | FMP_SLOT_F_PRESENT),
			 FMP_SLOT_F_POWER_FAULT | FMP_SLOT_F_PRESENT);
	/* a card without power neither takes NumVFs nor binds */
	{
		struct fmp_set_num_vfs_resp nr;

		assert_int_equal(sim_set_num_vfs(f->s, NIC, 0, 1, &nr), -FMP_E_POWER);
	}
	assert_int_equal(do_bind(f, fn_pf(FC, 0), 0, FMP_VPPB_ANY, NULL), 0);
	pc.index = FC;
	pc.op = FMP_PC_SLOT_POWER_OFF;
	assert_int_equal(sim_port_control(f->s, &pc, &pr), 0);
	assert_int_equal(do_bind(f, fn_pf(FC, 0), 0, FMP_VPPB_ANY, NULL), -FMP_E_POWER);
	pc.index = NIC;
	pc.op = FMP_PC_SLOT_POWER_ON;
	assert_int_equal(sim_port_control(f->s, &pc, &pr), 0);
	assert_int_equal(pr.index, NIC);
	assert_int_equal(pr.flags & (FMP_SLOT_F_POWER_FAULT | FMP_SLOT_F_POWER_ON),
			 FMP_SLOT_F_POWER_ON);
	set_vfs(f, NIC, 0, 1);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 0), 0, FMP_VPPB_ANY, NULL), 0);
	/* manager power-off releases with reason fault too */
	ev0 = f->n_ev;
	pc.op = FMP_PC_SLOT_POWER_OFF;
	assert_int_equal(sim_port_control(f->s, &pc, &pr), 0);
	assert_false(pr.flags & FMP_SLOT_F_POWER_ON);
	assert_int_equal(count_ev(f, ev0, FMP_EV_UNBIND_DONE, &last), 1);
	assert_int_equal(last.reason, FMP_EVR_FAULT);
	assert_int_equal(count_ev(f, ev0, FMP_EV_POWER_FAULT, NULL), 0);
	assert_seq_contiguous(f, 0);
	assert_int_equal(f->ev[0].seq, 1);
}

static void test_reboot(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct fmp_hello_resp h;
	uint64_t boot;
	struct fmp_card_resp c;

	set_vfs(f, NIC, 0, 4);
	assert_int_equal(do_bind(f, fn_vf(NIC, 0, 0), 0, FMP_VPPB_ANY, NULL), 0);
	assert_int_equal(do_bind(f, fn_pf(FC, 0), 1, FMP_VPPB_ANY, NULL), 0);
	assert_int_equal(unbind(f, fn_pf(FC, 0), FMP_UNBIND_MANAGED, 0), 1);
	assert_int_equal(sim_bench_link(f->s, 2, false, err, sizeof(err)), 0);
	boot = sim_boot_id(f->s);
	assert_true(sim_event_seq(f->s) > 1);
	f->n_ev = 0;
	assert_int_equal(sim_bench_reboot(f->s, err, sizeof(err)), 0);
	/* the reset is event 1 of the new boot, and the only one */
	assert_int_equal(f->n_ev, 1);
	assert_int_equal(f->ev[0].type, FMP_EV_SWITCH_RESET);
	assert_int_equal(f->ev[0].seq, 1);
	assert_int_equal(f->ev[0].reason, FMP_EVR_RESET);
	assert_int_equal(sim_event_seq(f->s), 1);
	assert_true(sim_boot_id(f->s) != boot);
	/* the pending managed unbind was answered: nothing is bound any more */
	assert_int_equal(f->cb_calls, 1);
	assert_int_equal(f->cb_status, 0);
	sim_hello(f->s, &h);
	assert_int_equal(h.n_functions, 6);
	assert_int_equal(sim_get_card(f->s, NIC, &c), 0);
	assert_int_equal(c.pfs[0].num_vfs, 0);
	assert_int_equal(fn_state(f, fn_pf(FC, 0)), FMP_BIND_UNBOUND);
	assert_int_equal(vh_entry(f, 0, 0).bind_state, FMP_BIND_UNBOUND);
	assert_false(vh_entry(f, 0, 0).slot_flags & FMP_SLOT_F_PRESENT);
	/* links come back up */
	assert_int_equal(do_bind(f, fn_pf(RAID, 0), 2, FMP_VPPB_ANY, NULL), 0);
	assert_int_equal(f->ev[f->n_ev - 1].seq, 2);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(f->cb_calls, 1);
}

/* ---- paging ------------------------------------------------------------------------------- */

static void check_paging(struct fixture *f, uint16_t slot, uint16_t page, uint32_t expect)
{
	struct fmp_functions_resp all, r;
	uint32_t cursor = 0, n = 0;
	unsigned pages = 0;

	assert_int_equal(sim_get_functions(f->s, slot, 0, SIM_FUNCTIONS_PAGE_MAX, &all), 0);
	assert_int_equal(all.count, expect);
	assert_int_equal(all.next_cursor, FMP_CURSOR_END);
	do {
		assert_int_equal(sim_get_functions(f->s, slot, cursor, page, &r), 0);
		assert_true(r.count <= page);
		for (uint16_t i = 0; i < r.count; i++, n++) {
			/* the same order, each function once */
			assert_true(n < all.count);
			assert_memory_equal(&r.fns[i], &all.fns[n], sizeof(r.fns[i]));
			if (n) {
				const struct fmp_fn_addr *a = &all.fns[n - 1].fn;
				const struct fmp_fn_addr *b = &all.fns[n].fn;
				uint32_t ka = (uint32_t)a->slot << 20 | (uint32_t)a->pf << 17 |
					      (a->vf == FMP_VF_NONE ? 0 : a->vf + 1u);
				uint32_t kb = (uint32_t)b->slot << 20 | (uint32_t)b->pf << 17 |
					      (b->vf == FMP_VF_NONE ? 0 : b->vf + 1u);

				assert_true(ka < kb);
			}
		}
		cursor = r.next_cursor;
		if (cursor != FMP_CURSOR_END)
			assert_int_equal(r.count, page);
		free(r.fns);
		pages++;
	} while (cursor != FMP_CURSOR_END);
	assert_int_equal(n, expect);
	assert_int_equal(pages, (expect + page - 1) / page ? (expect + page - 1) / page : 1);
	free(all.fns);
}

static void test_get_functions_paging(void **state)
{
	struct fixture *f = *state;
	struct fmp_functions_resp r;
	struct fmp_hello_resp h;

	set_vfs(f, NIC, 0, 13);
	set_vfs(f, NIC, 1, 64);
	set_vfs(f, NVME, 0, 5);
	sim_hello(f->s, &h);
	assert_int_equal(h.n_functions, 6 + 13 + 64 + 5);
	for (uint16_t page = 1; page <= 90; page += 7)
		check_paging(f, FMP_SLOT_NONE, page, h.n_functions);
	check_paging(f, NIC, 10, 2 + 13 + 64);
	check_paging(f, NVME, 2, 6);
	check_paging(f, FC, 2, 2);
	/* a cursor of another slot's range, garbage, the end */
	assert_int_equal(sim_get_functions(f->s, FC, 0, 1, &r), 0);
	assert_int_equal(r.count, 1);
	free(r.fns);
	assert_int_equal(sim_get_functions(f->s, FMP_SLOT_NONE, 0x7fffffff, 10, &r),
			 -FMP_E_INVALID);
	assert_int_equal(sim_get_functions(f->s, FMP_SLOT_NONE, FMP_CURSOR_END, 10, &r), 0);
	assert_int_equal(r.count, 0);
	assert_int_equal(r.next_cursor, FMP_CURSOR_END);
	free(r.fns);
	assert_int_equal(sim_get_functions(f->s, 77, 0, 10, &r), -FMP_E_NO_SUCH_SLOT);
	assert_null(r.fns);
}

static int setup_large(void **state)
{
	if (setup_common(state))
		return -1;
	start(*state, LARGE);
	return 0;
}

static void test_large_chassis(void **state)
{
	struct fixture *f = *state;
	struct fmp_hello_resp h;
	struct fmp_slots_resp sr;
	struct fmp_card_resp c;
	uint8_t *seen = calloc(65536, 1);
	struct fmp_functions_resp r;
	uint32_t cursor = 0, n = 0;

	assert_non_null(seen);
	assert_int_equal(sim_get_slots(f->s, &sr), 0);
	for (uint16_t i = 0; i < sr.count; i++) {
		assert_int_equal(sim_get_card(f->s, sr.slots[i].slot, &c), 0);
		for (uint8_t pf = 0; pf < c.n_pfs; pf++)
			if (c.pfs[pf].total_vfs)
				set_vfs(f, sr.slots[i].slot, pf, c.pfs[pf].total_vfs);
	}
	free(sr.slots);
	sim_hello(f->s, &h);
	assert_int_equal(h.n_functions, 2944 + 68);
	do {
		assert_int_equal(sim_get_functions(f->s, FMP_SLOT_NONE, cursor, 0, &r), 0);
		for (uint16_t i = 0; i < r.count; i++, n++) {
			assert_int_equal(seen[r.fns[i].rid], 0);
			seen[r.fns[i].rid] = 1;
		}
		cursor = r.next_cursor;
		free(r.fns);
	} while (cursor != FMP_CURSOR_END);
	assert_int_equal(n, h.n_functions);
	free(seen);
	/* every host can take 32 VFs */
	for (uint8_t port = 0; port < 16; port++)
		for (uint16_t vf = 0; vf < 32; vf++)
			assert_int_equal(do_bind(f, fn_vf((uint16_t)(1 + port / 2), port % 2, vf),
						 port, FMP_VPPB_ANY, NULL), 0);
	assert_int_equal(do_bind(f, fn_vf(1, 0, 40), 0, FMP_VPPB_ANY, NULL), -FMP_E_NO_VPPB);
}

/* A card simulated from a real card's lspci capture (config_dump profile). */
static void test_dump_profile_card(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	uint8_t buf[FMP_CONFIG_SPACE_SIZE];
	struct fmp_bind_resp r;
	struct fmp_functions_resp fr;
	const struct fmp_function_info *vf7;

	if (sim_bench_insert(f->s, 9, "intel-82576-dump", "00-1b-21-00-00-00-00-09", "igb0", err,
			     sizeof(err)))
		fail_msg("insert: %s", err);
	set_vfs(f, 9, 1, 8);
	assert_int_equal(do_bind(f, fn_vf(9, 1, 7), 1, FMP_VPPB_ANY, &r), 0);
	assert_int_equal(host_read(f, 1, r.host_bus, r.host_devfn, buf), 0);
	assert_int_equal(rd16(buf, PCI_VENDOR_ID), 0x8086);
	assert_int_equal(rd16(buf, PCI_DEVICE_ID), 0x10ca); /* 82576 Virtual Function */
	assert_int_equal(chassis_read(f, fn_vf(9, 1, 7), buf), 0);
	assert_int_equal(rd16(buf, PCI_VENDOR_ID), 0xffff);
	assert_int_equal(sim_get_functions(f->s, 9, 0, 0, &fr), 0);
	assert_int_equal(fr.count, 2 + 8);
	vf7 = find_fn(&fr, fn_vf(9, 1, 7));
	assert_non_null(vf7);
	assert_int_equal(vf7->rid, find_fn(&fr, fn_pf(9, 1))->rid + 384 + 2 * 7);
	assert_int_equal(vf7->bind_state, FMP_BIND_BOUND);
	assert_int_equal(vf7->port, 1);
	free(fr.fns);
}

/* ---- bus ranges of the vPPBs ------------------------------------------------------------- */

/* Writes host port's view (sim_host_view_dump) to DIR/NAME.lspci; path gets the file. */
static void dump_view(struct fixture *f, uint8_t port, const char *name, char *path, size_t len)
{
	char err[256] = "";
	FILE *fp;

	snprintf(path, len, "%s/%s.lspci", f->dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	if (sim_host_view_dump(f->s, port, fp, err, sizeof(err)))
		fail_msg("dump: %s", err);
	fclose(fp);
}

static char *run(const char *cmd);

/* Profiles written next to the chassis file: mr-iov PFs whose VFs reach far. */
static void write_profile(struct fixture *f, const char *name, unsigned total, unsigned offset,
			  unsigned stride)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s.yaml", f->dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "description: t\nsharing: mr-iov\nvendor: 0x8086\ndevice: 0x1572\n"
		    "class: 0x020000\nbars: [{index: 0, size: 1M, type: mem64}]\n"
		    "sriov: {total_vfs: %u, vf_device: 0x154c, vf_offset: %u, vf_stride: %u,\n"
		    "  vf_bars: [{index: 0, size: 16K, type: mem64}]}\n", total, offset, stride);
	fclose(fp);
}

static int setup_buses(void **state)
{
	struct fixture *f;

	if (setup_common(state))
		return -1;
	f = *state;
	/* 240 VFs at 0x100 + 4 i: the last at +0x4bc, bus +4, 5 buses (the case);
	 * 128 VFs at 0x80 + 4 i: the last at +0x27c, 3 buses */
	write_profile(f, "wide", 240, 0x100, 4);
	write_profile(f, "span3", 128, 0x80, 4);
	start_yaml_in(f, ".", "host_ports:\n"
			      "  - {name: a, port: 0, vppbs: 3}\n"
			      "  - {name: b, port: 1, vppbs: 3, buses_per_vppb: 4}\n"
			      "slots:\n"
			      "  - {number: 1, card: {profile: wide, serial: 1}}\n"
			      "  - {number: 2, card: {profile: wide, serial: 2}}\n"
			      "  - {number: 3, card: {profile: span3, serial: 3}}\n");
	return 0;
}

static void test_vppb_bus_ranges(void **state)
{
	struct fixture *f = *state;
	struct fmp_bind_resp r;
	struct fmp_vh_resp vh;
	uint8_t buf[FMP_CONFIG_SPACE_SIZE];
	char path[128], cmd[256], *out;

	set_vfs(f, 1, 0, 240);
	set_vfs(f, 2, 0, 240);
	set_vfs(f, 3, 0, 128);
	/* host a: no buses_per_vppb, so each vPPB reserves what the widest card needs */
	assert_int_equal(sim_get_vh(f->s, 0, &vh), 0);
	assert_int_equal(vh.vppbs[0].sec_bus, 3);
	assert_int_equal(vh.vppbs[1].sec_bus, 8);
	assert_int_equal(vh.vppbs[2].sec_bus, 13);
	free(vh.vppbs);
	assert_int_equal(do_bind(f, fn_pf(1, 0), 0, 1, &r), 0);
	assert_int_equal(r.host_bus, 8);
	/* the last VF on the vPPB's last bus (8 + 4), as a VF of this PF */
	assert_int_equal(host_read(f, 0, 12, 0xbc, buf), 0);
	assert_int_equal(rd16(buf, PCI_DEVICE_ID), 0x154c);
	assert_int_equal(host_read(f, 0, 12, 0xc0, buf), -FMP_E_NO_SUCH_FUNCTION);
	/* host b reserves 4 buses per vPPB: the 5-bus card is refused, the 3-bus one fits */
	assert_int_equal(sim_get_vh(f->s, 1, &vh), 0);
	assert_int_equal(vh.vppbs[1].sec_bus, 7);
	free(vh.vppbs);
	assert_int_equal(do_bind(f, fn_pf(2, 0), 1, FMP_VPPB_ANY, NULL), -FMP_E_BUS_RANGE);
	assert_int_equal(fn_state(f, fn_pf(2, 0)), FMP_BIND_UNBOUND);
	assert_int_equal(do_bind(f, fn_pf(3, 0), 1, FMP_VPPB_ANY, &r), 0);
	assert_int_equal(r.host_bus, 3);
	assert_int_equal(host_read(f, 1, 5, 0x7c, buf), 0); /* VF 127: 0x80 + 4 * 127 */
	assert_int_equal(rd16(buf, PCI_DEVICE_ID), 0x154c);
	assert_int_equal(host_read(f, 1, 4, 0x00, buf), 0); /* VF 32 */
	assert_int_equal(host_read(f, 1, 4, 0x01, buf), -FMP_E_NO_SUCH_FUNCTION);
	assert_int_equal(host_read(f, 1, 7, 0x00, buf), -FMP_E_NO_SUCH_FUNCTION);

	/* lspci draws the 3 buses of VFs under vPPB 0 of host b */
	dump_view(f, 1, "b", path, sizeof(path));
	snprintf(cmd, sizeof(cmd), "lspci -F '%s' -t 2>/dev/null", path);
	out = run(cmd);
	assert_non_null(strstr(out, "[0000:01]---00.0-[02-0e]--+-00.0-[03-06]--+-[0000:03]-+-00.0\n"));
	assert_non_null(strstr(out, "+-[0000:04]-+-00.0\n"));
	assert_non_null(strstr(out, "\\-[0000:05]-+-00.0\n"));
	assert_non_null(strstr(out, "\\-0f.4\n"));
	free(out);
	snprintf(cmd, sizeof(cmd), "lspci -F '%s' 2>/dev/null | grep -c 'Virtual Function'", path);
	out = run(cmd);
	assert_string_equal(out, "128\n");
	free(out);
}

/* ---- imported cards: lspci of the original against lspci of the host view ------------------ */

/* lspci -vvv output as "logical lines": a line and its continuation lines (deeper-indented
 * lines under a capability field), joined. */
struct lines {
	char **v;
	size_t n;
};

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static unsigned depth(const char *s)
{
	unsigned d = 0;

	while (s[d] == '\t')
		d++;
	return d;
}

/* Removes every match of the extended regex re from s. */
static void strip_re(char *s, const char *re)
{
	regex_t rx;
	regmatch_t m;

	assert_int_equal(regcomp(&rx, re, REG_EXTENDED), 0);
	while (!regexec(&rx, s, 1, &m, 0) && m.rm_eo > m.rm_so)
		memmove(s + m.rm_so, s + m.rm_eo, strlen(s + m.rm_eo) + 1);
	regfree(&rx);
}

static bool starts(const char *s, const char *p)
{
	return !strncmp(s, p, strlen(p));
}

/* What the view may change, set aside: the BDF; bus numbers, windows and addresses the
 * host's firmware assigns; run-time enables and RW1C status; the DSN (the chassis card's);
 * the link (trained to the vPPB). Everything else must be the same. */
static bool norm(char *l, unsigned d)
{
	static const char *const drop1[] = {
		"Control:", "Latency:", "Interrupt:", "Region ", "Expansion ROM", "Bus:",
		"I/O behind", "Memory behind", "Prefetchable memory behind", "BridgeCtl:",
		"Kernel ", NULL };
	static const char *const drop2[] = {
		"DevCtl:", "LnkCtl:", "LnkSta:", "SltCtl:", "DevCtl2:", "LnkCtl2:", "LnkSta2:",
		"RootCtl:", "RootSta:", "IOVCtl:", "IOVSta:", "ARICtl:", "UESta:", "CESta:",
		"AERCap:", "HeaderLog:", "Address:", "Status:", "Region ", "Masking:", "Pending:",
		"ACSCtl:", NULL };
	const char *const *drop = d <= 1 ? drop1 : drop2;
	char *t = l + strspn(l, "\t ");

	for (; *drop; drop++)
		if (starts(t, *drop))
			return false;
	if (d <= 1 && (starts(t, "Status:") || starts(t, "Secondary status:")))
		strip_re(t, "(ParErr|>TAbort|<TAbort|<MAbort|>SERR|<PERR|INTx|DiscTmrStat)[+-] ?");
	if (starts(t, "DevSta:"))
		strip_re(t, "(CorrErr|NonFatalErr|FatalErr|UnsupReq)[+-] ?");
	if (starts(t, "SltSta:"))
		return false;
	if (starts(t, "Capabilities:") && strstr(t, "MSI")) {
		strip_re(t, "(Enable|Masked)[+-] ?");
		strip_re(t, "Count=[0-9]+/");
	}
	strip_re(t, "Number of VFs: [0-9]+, ");
	strip_re(t, "System Page Size: [0-9a-f]+");
	strip_re(t, "Device Serial Number .*");
	if (d == 0 && strchr(l, ' ')) /* the device line without its BDF */
		memmove(l, strchr(l, ' '), strlen(strchr(l, ' ')) + 1);
	return true;
}

static void lspci_lines(const char *file, const char *sel, struct lines *out)
{
	char cmd[512], *text, *save = NULL, *line, *cur = NULL;
	unsigned cur_d = 0;

	snprintf(cmd, sizeof(cmd), "lspci -F '%s' -vvv -s %s 2>/dev/null", file, sel);
	text = run(cmd);
	memset(out, 0, sizeof(*out));
	for (line = strtok_r(text, "\n", &save);; line = strtok_r(NULL, "\n", &save)) {
		unsigned d = line ? depth(line) : 0;

		if (cur && line && cur_d >= 2 && d > cur_d) {
			cur = realloc(cur, strlen(cur) + strlen(line) + 2);
			strcat(cur, " ");
			strcat(cur, line + d);
			continue;
		}
		if (cur) {
			if (norm(cur, cur_d)) {
				out->v = realloc(out->v, (out->n + 1) * sizeof(*out->v));
				out->v[out->n++] = cur;
			} else {
				free(cur);
			}
			cur = NULL;
		}
		if (!line)
			break;
		cur = strdup(line);
		cur_d = d;
	}
	free(text);
	assert_true(out->n > 3); /* lspci found the device */
}

/* Every logical line lspci prints for the original prints for the host view, in order;
 * and the view prints nothing more. */
static void compare_lspci(const char *orig, const char *osel, const char *view, const char *vsel)
{
	struct lines a, b;
	size_t i;

	lspci_lines(orig, osel, &a);
	lspci_lines(view, vsel, &b);
	for (i = 0; i < a.n && i < b.n; i++)
		if (strcmp(a.v[i], b.v[i]))
			fail_msg("%s %s vs host view %s, line %zu:\n  original: %s\n  view:     %s",
				 orig, osel, vsel, i, a.v[i], b.v[i]);
	if (a.n != b.n)
		fail_msg("%s %s: %zu lines, host view %s: %zu (next: %s)", orig, osel, a.n, vsel, b.n,
			 a.n > b.n ? a.v[b.n] : b.v[a.n]);
	lines_free(&a);
	lines_free(&b);
}

#define CARDS FABRIC_SOURCE_DIR "/tests/data/cards/"

static const struct dump_gen_pf syn_pfs[] = {
	{ .device = 0x1572, .total_vfs = 16, .vf_offset = 0x100, .vf_stride = 1,
	  .vf_device = 0x154c, .msix_vectors = 9, .vsec_len = 16, .seed = 1 },
	{ .device = 0x1573, .total_vfs = 8, .vf_offset = 0x11f, .vf_stride = 2,
	  .vf_device = 0x154d, .msix_vectors = 17, .vsec_len = 32, .seed = 2 },
	{ .device = 0x1574, .total_vfs = 4, .vf_offset = 0x13e, .vf_stride = 4,
	  .vf_device = 0x154e, .msix_vectors = 33, .vsec_len = 8, .seed = 3 },
};

/* Cards from a synthetic 3-PF dump and from every real endpoint dump, each bound whole
 * (exclusive) to a vPPB of host a. */
static const struct {
	const char *profile, *dump, *sel; /* sel: the function in the original dump */
	unsigned n_pfs;                   /* compared */
	const char *extra;                /* profile keys */
} imported[] = {
	{ "syn3", NULL, "01:00", 3, NULL },
	/* a 2-port card captured as one function: ARI Next Function 1 needs its PF1 */
	{ "igb", CARDS "nic-intel-82576-pf-sriov.lspci", "01:00", 1, "pfs: 2\n" },
	{ "thunderx", CARDS "nic-cavium-thunderx-pf-sriov.lspci", "0002:01:00", 1, NULL },
	{ "pm174x", CARDS "nvme-samsung-pm174x-sriov.lspci", "2e:00", 1, NULL },
	{ "sas2008", CARDS "sas-lsi-sas2008.lspci", "04:00", 1, NULL },
};
#define N_IMPORTED (sizeof(imported) / sizeof(imported[0]))
_Static_assert(N_IMPORTED == 5, "setup_imported writes one slot per imported card");

static int setup_imported(void **state)
{
	struct fixture *f;
	char path[160], syn[160];
	FILE *fp;
	size_t i;

	if (setup_common(state))
		return -1;
	f = *state;
	snprintf(syn, sizeof(syn), "%s/syn3.lspci", f->dir);
	assert_int_equal(dump_gen_write(syn, 0, -1, 1, 0, syn_pfs, 3), 0);
	for (i = 0; i < N_IMPORTED; i++) {
		snprintf(path, sizeof(path), "%s/%s.yaml", f->dir, imported[i].profile);
		fp = fopen(path, "w");
		assert_non_null(fp);
		fprintf(fp, "description: t\nsharing: exclusive\nconfig_dump: %s\n%s",
			imported[i].dump ? imported[i].dump : syn,
			imported[i].extra ? imported[i].extra : "");
		fclose(fp);
	}
	start_yaml_in(f, ".", "host_ports:\n  - {name: a, port: 0, vppbs: %zu}\nslots:\n"
			      "  - {number: 1, card: {profile: %s, serial: 1}}\n"
			      "  - {number: 2, card: {profile: %s, serial: 2}}\n"
			      "  - {number: 3, card: {profile: %s, serial: 3}}\n"
			      "  - {number: 4, card: {profile: %s, serial: 4}}\n"
			      "  - {number: 5, card: {profile: %s, serial: 5}}\n",
		      N_IMPORTED, imported[0].profile, imported[1].profile, imported[2].profile,
		      imported[3].profile, imported[4].profile);
	return 0;
}

static void test_imported_cards_lspci(void **state)
{
	struct fixture *f = *state;
	char orig[160], view[160], err[256] = "", osel[32], vsel[32];
	struct fmp_bind_resp r;
	uint8_t buf[FMP_CONFIG_SPACE_SIZE], gen[4096];
	size_t i;
	unsigned k, b;

	for (i = 0; i < N_IMPORTED; i++) {
		assert_int_equal(do_bind(f, fn_pf((uint16_t)(i + 1), 0), 0, (uint8_t)i, &r), 0);
		assert_int_equal(r.host_bus, SIM_VPPB_BUS(i));
	}
	dump_view(f, 0, "a", view, sizeof(view));
	for (i = 0; i < N_IMPORTED; i++)
		for (k = 0; k < imported[i].n_pfs; k++) {
			if (imported[i].dump)
				snprintf(orig, sizeof(orig), "%s", imported[i].dump);
			else
				snprintf(orig, sizeof(orig), "%s/syn3.lspci", f->dir);
			snprintf(osel, sizeof(osel), "%s.%u", imported[i].sel, k);
			snprintf(vsel, sizeof(vsel), "%02x:00.%u", (unsigned)SIM_VPPB_BUS(i), k);
			compare_lspci(orig, osel, view, vsel);
		}
	/* the synthetic PFs: vendor-specific payload byte for byte, per-PF SR-IOV, the ARI
	 * chain 0 -> 1 -> 2 -> 0 and each PF its own Function Dependency Link */
	for (k = 0; k < 3; k++) {
		assert_int_equal(host_read(f, 0, SIM_VPPB_BUS(0), (uint8_t)k, buf), 0);
		dump_gen_pf(syn_pfs, 3, k, gen);
		assert_memory_equal(buf + DG_VSEC, gen + DG_VSEC, DG_VSEC_PAYLOAD + syn_pfs[k].vsec_len);
		for (b = 0; b < syn_pfs[k].vsec_len; b++)
			assert_int_equal(buf[DG_VSEC + DG_VSEC_PAYLOAD + b],
					 dump_gen_vsec_byte(&syn_pfs[k], b));
		assert_int_equal(rd16(buf, DG_SRIOV + PCI_IOV_TOTALVF), syn_pfs[k].total_vfs);
		assert_int_equal(rd16(buf, DG_SRIOV + PCI_IOV_OFFSET), syn_pfs[k].vf_offset);
		assert_int_equal(rd16(buf, DG_SRIOV + PCI_IOV_STRIDE), syn_pfs[k].vf_stride);
		assert_int_equal(rd16(buf, DG_SRIOV + PCI_IOV_DID), syn_pfs[k].vf_device);
		assert_int_equal(rd16(buf, DG_SRIOV + PCI_IOV_NUMVF), 0);
		assert_int_equal(buf[DG_SRIOV + PCI_IOV_FDL], k);
		assert_int_equal(PCI_ARI_CAP_NFN(rd16(buf, DG_ARI + PCI_ARI_CAP)), k < 2 ? k + 1 : 0);
		assert_int_equal((rd16(buf, DG_MSIX + PCI_CAP_FLAGS) & PCI_MSIX_TABSIZE) + 1,
				 syn_pfs[k].msix_vectors);
	}
	/* the real ThunderX's vendor-specific capability (0x108, 0x40 bytes) too */
	{
		struct sim_dump_fn *fns;
		unsigned n;

		assert_int_equal(sim_profile_read_dump(imported[2].dump, NULL, &fns, &n, err,
						       sizeof(err)), 0);
		assert_int_equal(host_read(f, 0, SIM_VPPB_BUS(2), 0, buf), 0);
		assert_int_equal(rd16(buf, 0x108), PCI_EXT_CAP_ID_VNDR);
		assert_memory_equal(buf + 0x108, fns[0].cfg + 0x108, 0x40);
		free(fns);
	}
}

/* The virtual switch modelled on real switch ports: a PEX 8796 upstream port and NF200
 * downstream ports, as lspci shows the originals (port and slot numbers aside). */
static int setup_switch_model(void **state)
{
	if (setup_common(state))
		return -1;
	start_yaml(*state, "usp_dump: " CARDS "switch-plx-pex8796-usp.lspci\n"
			   "dsp_dump: " CARDS "switch-nvidia-nf200-dsp.lspci\n"
			   "host_ports:\n  - {name: a, port: 0, vppbs: 2}\n"
			   "slots:\n  - {number: 1, card: {profile: lsi-megaraid-3108, serial: 1}}\n");
	return 0;
}

static void test_switch_model_lspci(void **state)
{
	struct fixture *f = *state;
	char view[160], cmd[256], *out;
	struct fmp_bind_resp r;
	uint8_t buf[FMP_CONFIG_SPACE_SIZE];

	assert_int_equal(do_bind(f, fn_pf(1, 0), 0, 1, &r), 0);
	dump_view(f, 0, "a", view, sizeof(view));
	compare_lspci(CARDS "switch-plx-pex8796-usp.lspci", "07:00.0", view, "01:00.0");
	compare_lspci(CARDS "switch-nvidia-nf200-dsp.lspci", "03:00.0", view, "02:00.0");
	/* the vPPBs keep their own slot numbers and port numbers; the tree still holds */
	assert_int_equal(host_read(f, 0, 2, PCI_DEVFN(1, 0), buf), 0);
	assert_int_equal(rd16(buf, PCI_VENDOR_ID), 0x10de);
	assert_int_equal(rd16(buf, PCI_DEVICE_ID), 0x05b1);
	snprintf(cmd, sizeof(cmd), "lspci -F '%s' -vvv -s 02:01.0 2>/dev/null", view);
	out = run(cmd);
	assert_non_null(strstr(out, "Slot #2,"));
	assert_non_null(strstr(out, "Slot #2, PowerLimit 0W"));
	assert_non_null(strstr(out, "PresDet+ Interlock-")); /* the bound card, hot-added */
	free(out);
	snprintf(cmd, sizeof(cmd), "lspci -F '%s' -t 2>/dev/null", view);
	out = run(cmd);
	assert_non_null(strstr(out, "[0000:01]---00.0-[02-0a]--+-00.0-[03-06]--\n"));
	assert_non_null(strstr(out, "\\-01.0-[07-0a]----00.0"));
	free(out);
}

/* ---- bad input ---------------------------------------------------------------------------- */

static void test_bad_input(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[FMP_CONFIG_SPACE_SIZE];
	struct fmp_card_resp c;
	struct fmp_vh_resp vh;
	struct fmp_port_control_req pc = { .op = 9, .index = 0 };
	struct fmp_port_control_resp pr;
	struct fmp_read_config_req rq = { .target = 5, .fn = fn_pf(NIC, 0), .length = 4 };
	char err[256];

	assert_int_equal(sim_get_card(f->s, 0xffff, &c), -FMP_E_NO_SUCH_SLOT);
	assert_int_equal(sim_get_card(f->s, 8191, &c), -FMP_E_NO_SUCH_SLOT);
	assert_int_equal(sim_get_vh(f->s, 4, &vh), -FMP_E_NO_SUCH_PORT);
	assert_int_equal(sim_get_vh(f->s, 255, &vh), -FMP_E_NO_SUCH_PORT);
	assert_int_equal(chassis_read(f, fn_pf(NIC, 2), buf), -FMP_E_NO_SUCH_FUNCTION);
	assert_int_equal(chassis_read(f, fn_pf(NIC, 255), buf), -FMP_E_NO_SUCH_FUNCTION);
	assert_int_equal(chassis_read(f, fn_vf(NIC, 0, 0xfffe), buf), -FMP_E_NO_SUCH_FUNCTION);
	assert_int_equal(chassis_read(f, fn_vf(FC, 0, 0), buf), -FMP_E_NO_SUCH_FUNCTION);
	assert_int_equal(chassis_read(f, fn_pf(0, 0), buf), -FMP_E_NO_SUCH_SLOT);
	assert_int_equal(read_cfg(f, &rq, buf), -FMP_E_INVALID);
	rq.target = FMP_CFG_CHASSIS;
	rq.offset = 0xffff;
	assert_int_equal(read_cfg(f, &rq, buf), -FMP_E_INVALID);
	rq.offset = 4092;
	assert_int_equal(read_cfg(f, &rq, buf), 0);
	assert_int_equal(do_bind(f, fn_pf(NIC, 0), 200, FMP_VPPB_ANY, NULL), -FMP_E_NO_SUCH_PORT);
	assert_int_equal(do_bind(f, fn_pf(99, 0), 0, FMP_VPPB_ANY, NULL), -FMP_E_NO_SUCH_SLOT);
	assert_int_equal(unbind(f, fn_pf(99, 0), FMP_UNBIND_MANAGED, 0), -FMP_E_NO_SUCH_SLOT);
	assert_int_equal(unbind(f, fn_pf(FC, 0), FMP_UNBIND_MANAGED, 0), -FMP_E_NOT_BOUND);
	assert_int_equal(sim_port_control(f->s, &pc, &pr), -FMP_E_INVALID);
	pc.op = FMP_PC_LINK_DISABLE;
	pc.index = 300;
	assert_int_equal(sim_port_control(f->s, &pc, &pr), -FMP_E_NO_SUCH_PORT);
	pc.op = FMP_PC_SLOT_POWER_OFF;
	pc.index = 0xffff;
	assert_int_equal(sim_port_control(f->s, &pc, &pr), -FMP_E_NO_SUCH_SLOT);
	assert_int_equal(sim_bench_button(f->s, 42, err, sizeof(err)), -ENOENT);
	assert_int_equal(sim_bench_fault(f->s, 42, err, sizeof(err)), -ENOENT);
	assert_int_equal(sim_bench_remove(f->s, 42, true, err, sizeof(err)), -ENOENT);
	assert_int_equal(sim_bench_link(f->s, 42, true, err, sizeof(err)), -ENOENT);
	assert_int_equal(sim_bench_host(f->s, 42, true, 1, err, sizeof(err)), -ENOENT);
	assert_int_equal(sim_host_view_dump(f->s, 42, stdout, err, sizeof(err)), -ENOENT);
	assert_int_equal(f->n_ev, 0);
}

/* ---- host view through lspci -------------------------------------------------------------- */

static char *run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	char *out = NULL;
	size_t len = 0, n;
	char buf[4096];

	assert_non_null(p);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
		out = realloc(out, len + n + 1);
		memcpy(out + len, buf, n);
		len += n;
		out[len] = '\0';
	}
	assert_int_equal(pclose(p), 0);
	assert_non_null(out);
	return out;
}

static void test_host_view_lspci(void **state)
{
	struct fixture *f = *state;
	char path[128], cmd[256], *out;
	struct fmp_bind_resp rvf, rpf;

	set_vfs(f, 6, 0, 4);
	set_vfs(f, 5, 1, 4);
	assert_int_equal(do_bind(f, fn_vf(6, 0, 2), 7, FMP_VPPB_ANY, &rvf), 0);
	assert_int_equal(do_bind(f, fn_pf(5, 1), 7, 3, &rpf), 0);
	dump_view(f, 7, "c", path, sizeof(path));

	snprintf(cmd, sizeof(cmd), "lspci -F '%s' -vvv 2>/dev/null", path);
	out = run(cmd);
	/* the virtual switch: an upstream port and four downstream ports with slots */
	assert_non_null(strstr(out, "01:00.0 PCI bridge: PLX Technology"));
	assert_non_null(strstr(out, "Express (v2) Upstream Port"));
	assert_non_null(strstr(out, "02:03.0 PCI bridge"));
	assert_non_null(strstr(out, "Express (v2) Downstream Port (Slot+)"));
	assert_non_null(strstr(out, "Bus: primary=02, secondary=0f, subordinate=12"));
	assert_non_null(strstr(out, "SltSta:"));
	/* the bound VF, named from pci.ids */
	assert_non_null(strstr(out, "03:00.0 Ethernet controller: Intel Corporation "
				    "82599 Ethernet Controller Virtual Function"));
	/* the bound mr-iov PF with its SR-IOV capability */
	assert_non_null(strstr(out, "0f:00.0 Ethernet controller: Intel Corporation "
				    "Ethernet Controller X710 for 10GbE SFP+"));
	assert_non_null(strstr(out, "Single Root I/O Virtualization (SR-IOV)"));
	assert_non_null(strstr(out, "Total VFs: 32, Number of VFs: 4"));
	assert_non_null(strstr(out, "Device ID: 154c"));
	assert_null(strstr(out, "Multi-Root I/O Virtualization")); /* PF0 only */
	/* the host-owned PF's 4 VFs, at 00.0 + 303 + i (bus 0x10, devfn 0x2f..0x32) */
	assert_non_null(strstr(out, "10:05.7 Ethernet controller: Intel Corporation "
				    "Ethernet Virtual Function 700 Series"));
	assert_non_null(strstr(out, "10:06.2 Ethernet controller: Intel Corporation "
				    "Ethernet Virtual Function 700 Series"));
	assert_null(strstr(out, "10:06.3 "));
	free(out);

	snprintf(cmd, sizeof(cmd), "lspci -F '%s' -t 2>/dev/null", path);
	out = run(cmd);
	/* 01:00.0 -> 02:00.0 -> 03:00.0 and 02:03.0 -> 0f:00.0 */
	assert_non_null(strstr(out, "[0000:01]---00.0-[02-12]--+-00.0-[03-06]----00.0"));
	assert_non_null(strstr(out, "+-01.0-[07-0a]--\n"));
	/* ... and the PF's VFs on bus 10, inside that bridge's 0f-12 */
	assert_non_null(strstr(out, "\\-03.0-[0f-12]--+-[0000:0f]---00.0\n"));
	assert_non_null(strstr(out, "\\-[0000:10]-+-05.7\n"));
	assert_non_null(strstr(out, "\\-06.2\n"));
	free(out);
	(void)rvf;
	(void)rpf;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello_counts, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_sriov_rules, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_exclusive_rules, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_mriov_rules, setup_mriov, teardown),
		cmocka_unit_test_setup_teardown(test_host_write_config, setup_mriov, teardown),
		cmocka_unit_test_setup_teardown(test_slot_power_empty_and_held_off, setup_mriov, teardown),
		cmocka_unit_test_setup_teardown(test_busy_idempotent, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_no_free_vppb, setup_mriov, teardown),
		cmocka_unit_test_setup_teardown(test_link_down_refuses_bind, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_num_vfs_rules, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_vf_routing_ids_82599, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_host_view_vf, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_host_view_bridges, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_dsp_slot_status, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_managed_unbind_completes, setup_demo,
						teardown),
		cmocka_unit_test_setup_teardown(test_managed_unbind_timeout, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_surprise_unbind, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_pending_unbind_then_card_pulled, setup_demo,
						teardown),
		cmocka_unit_test_setup_teardown(test_free_with_pending, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_insert_remove_events, setup_mriov, teardown),
		cmocka_unit_test_setup_teardown(test_button_fault_events, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_reboot, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_get_functions_paging, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_large_chassis, setup_large, teardown),
		cmocka_unit_test_setup_teardown(test_dump_profile_card, setup_mriov, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input, setup_demo, teardown),
		cmocka_unit_test_setup_teardown(test_host_view_lspci, setup_mriov, teardown),
		cmocka_unit_test_setup_teardown(test_vppb_bus_ranges, setup_buses, teardown),
		cmocka_unit_test_setup_teardown(test_imported_cards_lspci, setup_imported, teardown),
		cmocka_unit_test_setup_teardown(test_switch_model_lspci, setup_switch_model,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
