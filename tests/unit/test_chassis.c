/* Unit tests for switch-sim/chassis: the shipped chassis files and every error class,
 * each with its exact FILE:LINE:COLUMN. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "chassis.h"

#define CHASSIS_DIR FABRIC_SOURCE_DIR "/configs/chassis"
#define PROFILES FABRIC_SOURCE_DIR "/configs/profiles"

static struct sim_chassis_cfg *load_ok(const char *path)
{
	struct sim_chassis_cfg *c = NULL;
	char err[1024] = "";

	if (sim_chassis_load(path, &c, err, sizeof(err)))
		fail_msg("%s", err);
	return c;
}

static void test_demo(void **state)
{
	struct sim_chassis_cfg *c;
	const struct sim_slot_cfg *s;
	char buf[128];
	size_t i;

	(void)state;
	setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1);
	c = load_ok(CHASSIS_DIR "/demo.yaml");
	assert_string_equal(c->name, "demo");
	assert_string_equal(c->model, "mriov-sim MRS-4");
	assert_int_equal(c->dsn, 0x0010b5ffff874901ull);
	assert_int_equal(c->management.kind, ENDPOINT_UNIX);
	assert_string_equal(c->management.path, "/run/user/4242/mriov-fabric/demo.sock");
	assert_true(c->has_bench);
	assert_int_equal(c->bench.kind, ENDPOINT_UNIX);
	assert_string_equal(c->bench.path, "/run/user/4242/mriov-fabric/demo-bench.sock");
	assert_non_null(strstr(c->profiles_dir, "configs/chassis/../profiles"));

	assert_int_equal(c->n_ports, 4);
	for (i = 0; i < 4; i++) {
		snprintf(buf, sizeof(buf), "web%zu", i + 1);
		assert_string_equal(c->ports[i].name, buf);
		assert_int_equal(c->ports[i].port, i);
		assert_int_equal(c->ports[i].n_vppb, 8);
		assert_true(c->ports[i].host_responds);
	}
	assert_int_equal(c->ports[0].width, 16);
	assert_int_equal(c->ports[0].speed, FMP_SPEED_8GT);
	assert_int_equal(c->ports[0].host_response_ms, 200);
	assert_int_equal(c->ports[3].host_response_ms, 500);
	assert_ptr_equal(sim_chassis_find_port(c, "web3"), &c->ports[2]);
	assert_null(sim_chassis_find_port(c, "web9"));

	assert_int_equal(c->n_slots, 4);
	assert_string_equal(c->slots[0].card.name, "nic0");
	assert_string_equal(c->slots[0].card.profile->name, "intel-82599");
	assert_int_equal(c->slots[0].card.dsn, 0x001b21ffff2b46e0ull);
	assert_string_equal(c->slots[0].label, "Slot 1 (x8)");
	assert_string_equal(c->slots[1].card.profile->name, "emulex-lpe16002");
	assert_int_equal(c->slots[1].card.profile->sharing, FMP_SHARING_EXCLUSIVE);
	assert_string_equal(c->slots[2].card.profile->name, "lsi-megaraid-3108");
	assert_int_equal(c->slots[2].card.dsn, 0x500605b00c8d1e00ull);
	assert_string_equal(c->slots[3].card.profile->name, "samsung-pm1733");
	assert_int_equal(c->n_profiles, 4);
	s = sim_chassis_find_card(c, "slot3");
	assert_non_null(s);
	assert_string_equal(s->card.name, "raid0");
	assert_ptr_equal(sim_chassis_find_card(c, "nvme0"), &c->slots[3]);
	assert_null(sim_chassis_find_card(c, "slot9"));
	assert_ptr_equal(sim_chassis_find_slot(c, 2), &c->slots[1]);
	assert_ptr_equal(sim_chassis_find_profile(c, "intel-82599"), c->slots[0].card.profile);
	sim_chassis_cfg_free(c);
	sim_chassis_cfg_free(NULL);

	/* without XDG_RUNTIME_DIR the default applies */
	unsetenv("XDG_RUNTIME_DIR");
	c = load_ok(CHASSIS_DIR "/demo.yaml");
	assert_string_equal(c->management.path, "/tmp/mriov-fabric/demo.sock");
	sim_chassis_cfg_free(c);
}

static void test_large(void **state)
{
	struct sim_chassis_cfg *c = load_ok(CHASSIS_DIR "/large.yaml");
	unsigned vfs = 0, pfs = 0;
	size_t i, j;

	(void)state;
	assert_int_equal(c->n_ports, 16);
	assert_int_equal(c->n_slots, 32);
	assert_int_equal(c->n_profiles, 4);
	for (i = 0; i < c->n_slots; i++) {
		const struct sim_profile *p = c->slots[i].card.profile;

		assert_true(c->slots[i].has_card);
		for (j = 0; j < p->n_pfs; j++) {
			pfs++;
			if (p->pf[j].has_sriov)
				vfs += p->pf[j].sriov.total_vfs;
		}
	}
	assert_int_equal(pfs, 68);
	assert_int_equal(vfs, 2944);
	assert_int_equal(c->ports[15].n_vppb, 32);
	sim_chassis_cfg_free(c);
}

/* ---- error classes ------------------------------------------------------------------------ */

struct tmp {
	char dir[64];
	char path[128];
};

static int setup_tmp(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	strcpy(t->dir, "/tmp/test-chassis-XXXXXX");
	if (!mkdtemp(t->dir))
		return -1;
	*state = t;
	return 0;
}

static int teardown_tmp(void **state)
{
	struct tmp *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd))
		return -1;
	free(t);
	return 0;
}

#define CARDS FABRIC_SOURCE_DIR "/tests/data/cards/"

#define HEAD                                                                                \
	"name: t\n"                                                                         \
	"management: unix:/tmp/t.sock\n"                                                    \
	"profiles: " PROFILES "\n"

#define PORTS                                                                               \
	"host_ports:\n"                                                                     \
	"  - {name: a, port: 0}\n"                                                          \
	"  - {name: b, port: 1}\n"

/* Loads text as c.yaml and expects rc and "DIR/c.yaml:" + tail exactly. */
static void expect(struct tmp *t, const char *text, int want_rc, const char *tail)
{
	struct sim_chassis_cfg *c = (struct sim_chassis_cfg *)0x1;
	char err[1024], want[1024];
	FILE *f;
	int rc;

	snprintf(t->path, sizeof(t->path), "%s/c.yaml", t->dir);
	f = fopen(t->path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	rc = sim_chassis_load(t->path, &c, err, sizeof(err));
	assert_null(c);
	if (rc != want_rc)
		fail_msg("rc %d, want %d: %s", rc, want_rc, err);
	snprintf(want, sizeof(want), "%s:%s", t->path, tail);
	assert_string_equal(err, want);
}

static void test_valid_minimal(void **state)
{
	struct tmp *t = *state;
	struct sim_chassis_cfg *c = NULL;
	char err[512];
	FILE *f;

	snprintf(t->path, sizeof(t->path), "%s/ok.yaml", t->dir);
	f = fopen(t->path, "w");
	fputs(HEAD "bench: tcp:127.0.0.1:7001\n" PORTS
		   "slots:\n  - number: 0\n  - number: 7\n    card: ~\n"
		   "  - number: 8\n    card: {profile: mriov-nic, serial: 42}\n"
		   "  - number: 9\n    card: {profile: mriov-nic, serial: 43, name: x.y-z_1}\n",
	      f);
	fclose(f);
	assert_int_equal(sim_chassis_load(t->path, &c, err, sizeof(err)), 0);
	assert_true(c->has_bench);
	assert_int_equal(c->bench.kind, ENDPOINT_TCP);
	assert_string_equal(c->bench.host, "127.0.0.1");
	assert_int_equal(c->bench.port, 7001);
	assert_int_equal(c->management.kind, ENDPOINT_UNIX);
	assert_string_equal(c->management.path, "/tmp/t.sock");
	assert_string_equal(c->model, "mriov-sim");
	assert_int_equal(c->n_slots, 4);
	assert_false(c->slots[0].has_card);
	assert_string_equal(c->slots[0].label, "slot0");
	assert_false(c->slots[1].has_card);
	assert_true(c->slots[2].has_card);
	assert_string_equal(c->slots[2].card.name, "");
	assert_int_equal(c->slots[2].card.dsn, 42);
	assert_int_equal(c->n_profiles, 1); /* loaded once, shared */
	assert_ptr_equal(c->slots[2].card.profile, c->slots[3].card.profile);
	assert_ptr_equal(sim_chassis_find_card(c, "slot8"), &c->slots[2]);
	assert_int_equal(c->ports[1].host_response_ms, 200);
	sim_chassis_cfg_free(c);
}

static void test_errors(void **state)
{
	struct tmp *t = *state;
	struct sim_chassis_cfg *c = NULL;
	char err[512], want[512];

	/* unknown keys */
	expect(t, HEAD "colour: red\n" PORTS "slots: []\n", -EINVAL,
	       "4:1: unknown key \"colour\" (allowed: name, model, serial, dsn, management, bench, "
	       "profiles, usp_dump, dsp_dump, host_ports, slots)");
	/* switch port models in the wrong role */
	expect(t, HEAD "usp_dump: " CARDS "switch-nvidia-nf200-dsp.lspci\n" PORTS "slots: []\n",
	       -EINVAL,
	       "4:11: usp_dump: " CARDS "switch-nvidia-nf200-dsp.lspci is a switch Downstream "
	       "Port; the virtual switch's upstream port needs a switch Upstream Port (PCI "
	       "Express Capabilities port type 5)");
	expect(t, HEAD "dsp_dump: " CARDS "switch-plx-pex8796-usp.lspci\n" PORTS "slots: []\n",
	       -EINVAL,
	       "4:11: dsp_dump: " CARDS "switch-plx-pex8796-usp.lspci is a switch Upstream "
	       "Port; the virtual switch's downstream port needs a switch Downstream Port (PCI "
	       "Express Capabilities port type 6)");
	expect(t, HEAD "dsp_dump: " CARDS "sas-lsi-sas2008.lspci\n" PORTS "slots: []\n",
	       -EINVAL,
	       "4:11: dsp_dump: " CARDS "sas-lsi-sas2008.lspci is not a PCI bridge (header type "
	       "0, 4096 bytes)");
	expect(t, HEAD "host_ports:\n  - {name: a, port: 0, lanes: 4}\nslots: []\n", -EINVAL,
	       "5:24: host_ports[0]: unknown key \"lanes\" (allowed: name, port, width, speed, "
	       "vppbs, buses_per_vppb, host_response_ms, host_responds)");
	expect(t, HEAD PORTS "slots:\n  - number: 1\n    card: {profile: intel-82599, serial: 1, "
			     "slot: 2}\n",
	       -EINVAL,
	       "9:45: slots[0].card: unknown key \"slot\" (allowed: profile, serial, name)");
	/* wrong types and ranges */
	expect(t, HEAD "host_ports:\n  - {name: a, port: x}\nslots: []\n", -EINVAL,
	       "5:21: host_ports[0].port: expected an unsigned integer, got \"x\"");
	expect(t, HEAD "host_ports:\n  - {name: a, port: 0, vppbs: 40}\nslots: []\n", -EINVAL,
	       "5:31: host_ports[0].vppbs: value 40 out of range 1..32");
	expect(t, HEAD "host_ports:\n  - {name: a, port: 0, buses_per_vppb: 40}\nslots: []\n",
	       -EINVAL,
	       "5:40: host_ports[0].buses_per_vppb: 8 vPPBs of 40 buses each need buses 3..322 "
	       "behind the upstream port; a host's view ends at bus 255 (at most 31 each)");
	expect(t, HEAD "host_ports:\n  - {name: a, port: 0, width: 3}\nslots: []\n", -EINVAL,
	       "5:31: host_ports[0].width: link width 3 is not one of 1, 2, 4, 8, 12, 16, 32");
	expect(t, HEAD "host_ports:\n  - {name: a, port: 0, speed: 7}\nslots: []\n", -EINVAL,
	       "5:31: host_ports[0].speed: expected a link speed: 1..6 (PCIe generation), "
	       "gen1..gen6 or 2.5GT/5GT/8GT/16GT/32GT/64GT, got \"7\"");
	expect(t, HEAD "host_ports:\n  - {name: a, port: 0, host_responds: maybe}\nslots: []\n",
	       -EINVAL,
	       "5:39: host_ports[0].host_responds: expected a boolean (true/false/yes/no), "
	       "got \"maybe\"");
	expect(t, HEAD "host_ports: {a: 1}\nslots: []\n", -EINVAL,
	       "4:13: host_ports: expected a sequence, got a mapping");
	expect(t, HEAD "host_ports: []\nslots: []\n", -EINVAL,
	       "4:13: host_ports: a chassis has 1..64 host ports, not 0");
	expect(t, HEAD "host_ports:\n  - {name: a/b, port: 0}\nslots: []\n", -EINVAL,
	       "5:12: host_ports[0].name: \"a/b\" is not a valid name (1..63 of A-Z a-z 0-9 - _ ., "
	       "not starting with '.')");
	/* duplicates */
	expect(t, HEAD "host_ports:\n  - {name: a, port: 0}\n  - {name: b, port: 0}\nslots: []\n",
	       -EINVAL,
	       "6:21: host_ports[1].port: duplicate port number 0 (also host_ports[0] at line 5)");
	expect(t, HEAD "host_ports:\n  - {name: a, port: 0}\n  - {name: a, port: 1}\nslots: []\n",
	       -EINVAL,
	       "6:12: host_ports[1].name: duplicate host port name \"a\" (also host_ports[0] at "
	       "line 5)");
	expect(t, HEAD PORTS "slots:\n  - number: 3\n  - number: 3\n", -EINVAL,
	       "9:13: slots[1].number: duplicate slot number 3 (also slots[0] at line 8)");
	expect(t, HEAD PORTS "slots:\n"
			     "  - number: 1\n    card: {profile: intel-82599, serial: 1, name: n}\n"
			     "  - number: 2\n    card: {profile: intel-82599, serial: 2, name: n}\n",
	       -EINVAL,
	       "11:51: slots[1].card.name: duplicate card name \"n\" (also slots[0] at line 9)");
	expect(t, HEAD PORTS "slots:\n"
			     "  - number: 1\n    card: {profile: intel-82599, serial: 0x1b21ffff2b46e0}\n"
			     "  - number: 2\n    card: {profile: intel-82599, "
			     "serial: 00-1b-21-ff-ff-2b-46-e0}\n",
	       -EINVAL,
	       "11:42: slots[1].card.serial: duplicate card serial (also slots[0] at line 9)");
	/* a key in a mapping twice (yaml_doc) */
	expect(t, HEAD "name: u\n" PORTS "slots: []\n", -EINVAL,
	       "4:1: duplicate key \"name\" (first at line 1, column 1)");
	/* profiles */
	snprintf(want, sizeof(want),
		 "9:21: slots[0].card.profile: no profile \"nope\" in %s", PROFILES);
	expect(t, HEAD PORTS "slots:\n  - number: 1\n    card: {profile: nope, serial: 1}\n",
	       -EINVAL, want);
	expect(t, HEAD PORTS "slots:\n  - number: 1\n    card: {serial: 1}\n", -EINVAL,
	       "9:11: slots[0].card: missing required key \"profile\"");
	/* serials and names */
	expect(t, HEAD PORTS "slots:\n  - number: 1\n    card: {profile: intel-82599, serial: 1-2}\n",
	       -EINVAL,
	       "9:42: slots[0].card.serial: expected a serial number like 00-1b-21-ff-ff-2b-46-e0 "
	       "or an integer, got \"1-2\"");
	expect(t, HEAD PORTS "slots:\n  - number: 1\n    card: {profile: intel-82599, serial: 1, "
			     "name: slot2}\n",
	       -EINVAL,
	       "9:51: slots[0].card.name: card name \"slot2\" would shadow the slot alias of that "
	       "form; pick another");
	/* endpoints: endpoint_parse's reasons, at the key's position */
	expect(t, "name: t\nmanagement: tcp:10.0.0.1:7000\n", -EINVAL,
	       "2:13: management: endpoint \"tcp:10.0.0.1:7000\": only loopback addresses "
	       "(127.0.0.0/8, ::1) are allowed");
	expect(t, "name: t\nmanagement: tcp:127.0.0.256:7000\n", -EINVAL,
	       "2:13: management: endpoint \"tcp:127.0.0.256:7000\": only loopback addresses "
	       "(127.0.0.0/8, ::1) are allowed");
	expect(t, "name: t\nmanagement: udp:1\n", -EINVAL,
	       "2:13: management: endpoint \"udp:1\": expected unix:PATH or tcp:127.0.0.1:PORT");
	expect(t, "name: t\nmanagement: tcp:127.0.0.1:0\n", -EINVAL,
	       "2:13: management: endpoint \"tcp:127.0.0.1:0\": port must be a number from 1 to "
	       "65535");
	expect(t, "name: t\nmanagement: \"unix:\"\n", -EINVAL,
	       "2:13: management: endpoint \"unix:\": empty socket path");
	setenv("MRIOV_TEST_EMPTY", "", 1);
	expect(t, "name: t\nmanagement: unix:${MRIOV_TEST_EMPTY}\n", -EINVAL,
	       "2:13: management: environment variable MRIOV_TEST_EMPTY is not set");
	expect(t, "name: t\nmanagement: unix:${MRIOV_TEST_UNSET_VAR}/x\n", -EINVAL,
	       "2:13: management: environment variable MRIOV_TEST_UNSET_VAR is not set");
	expect(t, "name: t\nmanagement: unix:/x/${MRIOV_TEST_UNSET_VAR\n", -EINVAL,
	       "2:13: management: unterminated \"${\" in \"${MRIOV_TEST_UNSET_VAR\"");
	expect(t, "name: t\nmanagement: unix:/tmp/a\nbench: unix:/tmp/a\n", -EINVAL,
	       "3:8: bench: the bench endpoint must differ from the management endpoint");
	expect(t, "name: t\nmanagement: tcp:localhost:7000\nbench: tcp:127.0.0.1:7000\n", -EINVAL,
	       "3:8: bench: the bench endpoint must differ from the management endpoint");
	{
		/* 107 bytes of path fit a sockaddr_un, 108 do not, expanded or written out */
		char text[512], path[120];

		memset(path, 'p', sizeof(path));
		path[0] = '/';
		path[108] = '\0';
		setenv("MRIOV_TEST_LONG", path, 1);
		expect(t, "name: t\nmanagement: unix:${MRIOV_TEST_LONG}\n", -EINVAL,
		       "2:13: management: unix socket path longer than 107 bytes");
		snprintf(text, sizeof(text), "name: t\nmanagement: unix:%s\n", path);
		expect(t, text, -EINVAL,
		       "2:13: management: unix socket path longer than 107 bytes");
		unsetenv("MRIOV_TEST_LONG");
	}
	expect(t, "name: t\n", -EINVAL, "1:1: missing required key \"management\"");
	/* YAML syntax */
	expect(t, "name: t\nmanagement: [unix:/x\n", -EINVAL,
	       "3:1: did not find expected ',' or ']' (while parsing a flow sequence at 2:13)");

	/* a broken profile: its own position inside the chassis file's message */
	{
		FILE *f;
		char text[1024];

		snprintf(t->path, sizeof(t->path), "%s/profiles", t->dir);
		assert_int_equal(mkdir(t->path, 0700), 0);
		snprintf(t->path, sizeof(t->path), "%s/profiles/broken.yaml", t->dir);
		f = fopen(t->path, "w");
		fputs("description: x\nsharing: exclusive\nvendor: 0x8086\ndevice: 1\nclass: zz\n", f);
		fclose(f);
		snprintf(text, sizeof(text),
			 "name: t\nmanagement: unix:/tmp/t.sock\nprofiles: profiles\n" PORTS
			 "slots:\n  - number: 1\n    card: {profile: broken, serial: 1}\n");
		snprintf(want, sizeof(want),
			 "9:21: slots[0].card.profile: profile \"broken\": %s/profiles/"
			 "broken.yaml:5:8: class: expected an unsigned integer, got \"zz\"",
			 t->dir);
		expect(t, text, -EINVAL, want);
	}

	assert_int_equal(sim_chassis_load("/nonexistent/c.yaml", &c, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/c.yaml: No such file or directory");
	assert_null(c);
}

/* Loads "name: t\nmanagement: MGMT\n" + the minimal rest into *c. */
static void load_endpoint(struct tmp *t, const char *mgmt, struct sim_chassis_cfg **c)
{
	char err[1024];
	FILE *f;

	snprintf(t->path, sizeof(t->path), "%s/ep.yaml", t->dir);
	f = fopen(t->path, "w");
	assert_non_null(f);
	fprintf(f, "name: t\nmanagement: %s\nprofiles: " PROFILES "\n" PORTS "slots: []\n", mgmt);
	fclose(f);
	if (sim_chassis_load(t->path, c, err, sizeof(err)))
		fail_msg("%s: %s", mgmt, err);
	assert_false((*c)->has_bench);
}

static void test_endpoints(void **state)
{
	struct tmp *t = *state;
	struct sim_chassis_cfg *c;
	char buf[160];

	load_endpoint(t, "tcp:localhost:80", &c);
	assert_int_equal(c->management.kind, ENDPOINT_TCP);
	assert_string_equal(c->management.host, "127.0.0.1");
	assert_int_equal(c->management.port, 80);
	sim_chassis_cfg_free(c);
	load_endpoint(t, "tcp:[::1]:9000", &c);
	assert_string_equal(c->management.host, "::1");
	endpoint_format(&c->management, buf, sizeof(buf));
	assert_string_equal(buf, "tcp:[::1]:9000");
	sim_chassis_cfg_free(c);
	load_endpoint(t, "tcp:127.3.2.1:65535", &c);
	assert_string_equal(c->management.host, "127.3.2.1");
	sim_chassis_cfg_free(c);
	load_endpoint(t, "unix:rel/x.sock", &c);
	assert_string_equal(c->management.path, "rel/x.sock");
	sim_chassis_cfg_free(c);
	setenv("MRIOV_TEST_EMPTY", "", 1);
	load_endpoint(t, "unix:${MRIOV_TEST_EMPTY:-/d}/s", &c);
	assert_string_equal(c->management.path, "/d/s");
	sim_chassis_cfg_free(c);
	memset(buf, 'p', 107);
	buf[0] = '/';
	buf[107] = '\0';
	setenv("MRIOV_TEST_LONG", buf, 1);
	load_endpoint(t, "unix:${MRIOV_TEST_LONG}", &c);
	assert_int_equal(strlen(c->management.path), 107);
	sim_chassis_cfg_free(c);
	unsetenv("MRIOV_TEST_LONG");
}

/* Hostile input (issues 16 and 18): nulls where a string is expected, tags, integers out
 * of range for their field, and input text in messages, each at its FILE:LINE:COLUMN. */
static void test_hostile(void **state)
{
	struct tmp *t = *state;

	/* Every string key refuses a null; "card: ~" alone means an empty slot (chassis.h). */
	expect(t, "name: ~\n", -EINVAL, "1:7: name: expected a string, got null");
	expect(t, HEAD "model:\n" PORTS "slots: []\n", -EINVAL,
	       "4:7: model: expected a string, got null");
	expect(t, HEAD "serial: null\n" PORTS "slots: []\n", -EINVAL,
	       "4:9: serial: expected a string, got null");
	expect(t, HEAD "dsn: ~\n" PORTS "slots: []\n", -EINVAL,
	       "4:6: dsn: expected a serial number like 00-1b-21-ff-ff-2b-46-e0 or an integer, "
	       "got \"~\"");
	expect(t, "name: t\nmanagement: ~\n", -EINVAL,
	       "2:13: management: expected a string, got null");
	expect(t, HEAD "bench:\n" PORTS "slots: []\n", -EINVAL,
	       "4:7: bench: expected a string, got null");
	expect(t, "name: t\nmanagement: unix:/tmp/t.sock\nprofiles: ~\n", -EINVAL,
	       "3:11: profiles: expected a string, got null");
	expect(t, HEAD PORTS "slots:\n  - number: 1\n    label: ~\n", -EINVAL,
	       "9:12: slots[0].label: expected a string, got null");
	expect(t, HEAD PORTS "slots:\n  - number: 1\n    card: {profile: ~, serial: 1}\n",
	       -EINVAL, "9:21: slots[0].card.profile: expected a string, got null");
	expect(t, HEAD PORTS "slots:\n  - number: 1\n    card: {profile: mriov-nic, serial: 1, "
			     "name: ~}\n",
	       -EINVAL, "9:49: slots[0].card.name: expected a string, got null");
	expect(t, HEAD "host_ports:\n  - {name: ~, port: 0}\nslots: []\n", -EINVAL,
	       "5:12: host_ports[0].name: expected a string, got null");
	expect(t, HEAD "host_ports:\n  - {name: a, port: 0, speed: ~}\nslots: []\n", -EINVAL,
	       "5:31: host_ports[0].speed: expected a link speed: 1..6 (PCIe generation), "
	       "gen1..gen6 or 2.5GT/5GT/8GT/16GT/32GT/64GT, got \"~\"");
	/* Tags: !!str on a number field, !!binary anywhere. */
	expect(t, HEAD "host_ports:\n  - {name: a, port: !!str 0}\nslots: []\n", -EINVAL,
	       "5:21: tags (!!str) are not supported: write the plain value");
	expect(t, HEAD "serial: !!binary U04=\n" PORTS "slots: []\n", -EINVAL,
	       "4:9: tags (!!binary) are not supported: write the plain value");
	/* Integers out of range for their field: no wrap, no clamp. */
	expect(t, HEAD "host_ports:\n  - {name: a, port: 255}\nslots: []\n", -EINVAL,
	       "5:21: host_ports[0].port: value 255 out of range 0..254");
	expect(t, HEAD "host_ports:\n  - {name: a, port: 18446744073709551616}\nslots: []\n",
	       -EINVAL, "5:21: host_ports[0].port: value 18446744073709551616 is too large");
	expect(t, HEAD PORTS "slots:\n  - number: 65537\n", -EINVAL,
	       "8:13: slots[0].number: value 65537 out of range 0..8191");
	expect(t, HEAD PORTS "slots:\n  - number: -1\n", -EINVAL,
	       "8:13: slots[0].number: expected an unsigned integer, got \"-1\"");
	expect(t, HEAD "host_ports:\n  - {name: a, port: 0, host_response_ms: 4294967296}\n"
			"slots: []\n",
	       -EINVAL, "5:42: host_ports[0].host_response_ms: value 4294967296 out of range "
			"0..600000");
	/* Input text in a message is escaped: one line, nothing for the terminal to act on. */
	expect(t, "name: \"a\\nb\\e[2J\"\n", -EINVAL,
	       "1:7: name: \"a\\nb\\e[2J\" is not a valid name (1..63 of A-Z a-z 0-9 - _ ., not "
	       "starting with '.')");
	expect(t, HEAD PORTS "slots:\n  - number: 1\n    card: {profile: \"x\\ny\", serial: 1}\n",
	       -EINVAL,
	       "9:21: slots[0].card.profile: profile \"x\\ny\": invalid profile name \"x\\ny\" "
	       "(letters, digits, '-', '_', '.')");
}

static void test_dsn(void **state)
{
	char buf[32];
	uint64_t dsn;

	(void)state;
	assert_int_equal(sim_dsn_parse("00-1b-21-ff-ff-2b-46-e0", &dsn), 0);
	assert_int_equal(dsn, 0x001b21ffff2b46e0ull);
	sim_dsn_format(dsn, buf, sizeof(buf));
	assert_string_equal(buf, "00-1b-21-ff-ff-2b-46-e0");
	assert_int_equal(sim_dsn_parse("AB:CD:EF:01:23:45:67:89", &dsn), 0);
	assert_int_equal(dsn, 0xabcdef0123456789ull);
	assert_int_equal(sim_dsn_parse("00-1b-21-ff:ff-2b-46-e0", &dsn), -EINVAL);
	assert_int_equal(sim_dsn_parse("0x10", &dsn), 0);
	assert_int_equal(dsn, 16);
	assert_int_equal(sim_dsn_parse("", &dsn), -EINVAL);
	assert_int_equal(sim_dsn_parse("-1", &dsn), -EINVAL);
	assert_int_equal(sim_dsn_parse("12x", &dsn), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo),
		cmocka_unit_test(test_large),
		cmocka_unit_test_setup_teardown(test_valid_minimal, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_errors, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_endpoints, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_hostile, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_dsn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
