/* Unit tests for manager/fabric_config.c: the shipped fabric.yaml, defaults, path resolution,
 * overrides, and one exact FILE:LINE:COLUMN message per class of error. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fabric_config.h"
#include "yaml_doc.h"

#define BASE "/etc/mriov"
#define GOOD_CHASSIS "chassis:\n  - name: rack1\n    endpoint: unix:/run/rack1.sock\n"

static struct fm_fabric_config *load_ok(const char *text)
{
	struct fm_fabric_config *cfg = NULL;
	char err[512];
	int rc = fm_fabric_config_load_string("fabric.yaml", text, strlen(text), BASE, &cfg, err,
					      sizeof(err));

	if (rc)
		fail_msg("unexpected error %d: %s", rc, err);
	assert_non_null(cfg);
	return cfg;
}

/* The whole message must be exactly want. */
static void expect_err(const char *text, int want_rc, const char *want)
{
	struct fm_fabric_config *cfg = (void *)1;
	char err[512] = "";
	int rc = fm_fabric_config_load_string("fabric.yaml", text, strlen(text), BASE, &cfg, err,
					      sizeof(err));

	if (rc != want_rc)
		fail_msg("rc %d, want %d (%s)\n--- input:\n%s", rc, want_rc, err, text);
	assert_null(cfg);
	if (strcmp(err, want))
		fail_msg("message\n  got:  %s\n  want: %s", err, want);
}

/* For messages whose tail comes from another module: exact position and key, then a part. */
static void expect_err_part(const char *text, const char *prefix, const char *part)
{
	struct fm_fabric_config *cfg = (void *)1;
	char err[512] = "";
	int rc = fm_fabric_config_load_string("fabric.yaml", text, strlen(text), BASE, &cfg, err,
					      sizeof(err));

	assert_int_equal(rc, -EINVAL);
	assert_null(cfg);
	if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, part))
		fail_msg("message \"%s\" does not start with \"%s\" and hold \"%s\"", err, prefix,
			 part);
}

/* ---- the shipped file ------------------------------------------------------------------- */

#define SHIPPED FABRIC_SOURCE_DIR "/configs/fabric.yaml"
#define DEMO FABRIC_SOURCE_DIR "/configs/chassis/demo.yaml"

static struct fm_fabric_config *load_shipped(void)
{
	struct fm_fabric_config *cfg = NULL;
	char err[512];
	int rc = fm_fabric_config_load_file(SHIPPED, &cfg, err, sizeof(err));

	if (rc)
		fail_msg("%s", err);
	return cfg;
}

static void test_shipped_file_loads(void **state)
{
	struct fm_fabric_config *cfg;
	const struct fm_fabric_chassis *ch;
	char err[512];

	(void)state;
	assert_int_equal(setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1), 0);
	cfg = load_shipped();
	assert_int_equal(cfg->n_chassis, 1);
	ch = fm_fabric_config_find_chassis(cfg, "demo");
	assert_non_null(ch);
	assert_string_equal(ch->endpoint, "unix:/run/user/4242/mriov-fabric/demo.sock");
	assert_string_equal(cfg->socket_path, "/run/user/4242/mriov-fabric/fabricd.sock");
	assert_string_equal(cfg->state_dir, "/run/user/4242/mriov-fabric/state");
	assert_int_equal(cfg->socket_mode, 0660);
	assert_null(cfg->socket_group);
	assert_int_equal(cfg->reconcile, FM_FABRIC_RECONCILE_AUTO);
	assert_int_equal(cfg->timeouts.managed_unbind_ms, 30000);
	assert_int_equal(cfg->retention.audit_rows, 100000);
	assert_int_equal(cfg->retention.event_rows, 100000);
	assert_int_equal(cfg->retention.days, 0);
	/* hooks_dir is relative in the file: it resolves next to it */
	assert_true(cfg->hooks_dir[0] == '/');
	assert_non_null(strstr(cfg->hooks_dir, "/configs/hooks.d"));
	assert_int_equal(ch->n_hosts, 4);
	assert_string_equal(fm_fabric_config_host_name(ch, 0, NULL), "web1");
	assert_string_equal(fm_fabric_config_host_name(ch, 3, NULL), "web4");
	fm_fabric_config_free(cfg);

	assert_int_equal(unsetenv("XDG_RUNTIME_DIR"), 0);
	cfg = load_shipped();
	assert_string_equal(cfg->chassis[0].endpoint, "unix:/tmp/mriov-fabric/demo.sock");
	assert_string_equal(cfg->socket_path, "/tmp/mriov-fabric/fabricd.sock");
	fm_fabric_config_free(cfg);

	assert_int_equal(fm_fabric_config_load_file(FABRIC_SOURCE_DIR "/configs/nope.yaml", &cfg,
						    err, sizeof(err)), -ENOENT);
	assert_null(cfg);
}

/* fabric.yaml and the demo chassis name the same management socket and host ports, with
 * XDG_RUNTIME_DIR set or not. demo.yaml is read with yaml_doc (switch-sim's loader lives in
 * another library); its endpoint text goes through our own endpoint rules. */
static void check_demo_alignment(void)
{
	struct fm_fabric_config *cfg = load_shipped(), *demo_ep;
	const struct fm_fabric_chassis *ch = fm_fabric_config_find_chassis(cfg, "demo");
	const struct yd_node *root, *ports;
	struct yd_doc *doc = NULL;
	const char *mgmt;
	char err[512], text[512];

	assert_non_null(ch);
	if (yd_doc_load_file(DEMO, &doc, err, sizeof(err)))
		fail_msg("%s", err);
	root = yd_root(doc);
	mgmt = yd_scalar(yd_map_get(root, "management"));
	assert_non_null(mgmt);
	snprintf(text, sizeof(text), "chassis:\n  - name: demo\n    endpoint: '%s'\n", mgmt);
	assert_int_equal(fm_fabric_config_load_string("demo-endpoint", text, strlen(text), "/",
						      &demo_ep, err, sizeof(err)), 0);
	assert_string_equal(ch->endpoint, demo_ep->chassis[0].endpoint);
	fm_fabric_config_free(demo_ep);

	/* each mapped port exists in demo.yaml, under the name we keep for it */
	ports = yd_map_get(root, "host_ports");
	assert_int_equal(yd_seq_len(ports), ch->n_hosts);
	for (size_t i = 0; i < ch->n_hosts; i++) {
		bool found = false;

		for (size_t j = 0; j < yd_seq_len(ports); j++) {
			const struct yd_node *p = yd_seq_at(ports, j);
			uint64_t num;

			assert_int_equal(yd_map_uint(p, "port", true, 0, 255, &num, err,
						     sizeof(err)), 0);
			if ((int)num != ch->hosts[i].port)
				continue;
			assert_string_equal(yd_scalar(yd_map_get(p, "name")), ch->hosts[i].name);
			found = true;
		}
		if (!found)
			fail_msg("fabric.yaml maps port %d, demo.yaml has no such host port",
				 ch->hosts[i].port);
	}
	yd_doc_free(doc);
	fm_fabric_config_free(cfg);
}

static void test_shipped_matches_demo_chassis(void **state)
{
	(void)state;
	assert_int_equal(unsetenv("XDG_RUNTIME_DIR"), 0);
	check_demo_alignment();
	assert_int_equal(setenv("XDG_RUNTIME_DIR", "/run/user/4242", 1), 0);
	check_demo_alignment();
	assert_int_equal(unsetenv("XDG_RUNTIME_DIR"), 0);
}

static void test_env_expansion(void **state)
{
	struct fm_fabric_config *cfg;

	(void)state;
	assert_int_equal(setenv("FM_TEST_RUN", "/run/t", 1), 0);
	assert_int_equal(setenv("FM_TEST_EMPTY", "", 1), 0);
	assert_int_equal(unsetenv("FM_TEST_UNSET"), 0);
	cfg = load_ok("control:\n  socket: ${FM_TEST_RUN}/f.sock\n"
		      "state_dir: ${FM_TEST_UNSET:-st}/x\n"
		      "hooks_dir: ${FM_TEST_EMPTY:-/h}\n"
		      "chassis:\n  - name: r\n    endpoint: unix:${FM_TEST_UNSET:-rel}/r.sock\n");
	assert_string_equal(cfg->socket_path, "/run/t/f.sock");
	assert_string_equal(cfg->state_dir, BASE "/st/x"); /* expanded, then resolved */
	assert_string_equal(cfg->hooks_dir, "/h");
	assert_string_equal(cfg->chassis[0].endpoint, "unix:" BASE "/rel/r.sock");
	fm_fabric_config_free(cfg);

	expect_err("state_dir: ${FM_TEST_UNSET}/x\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:1:12: state_dir: environment variable FM_TEST_UNSET is not set");
	expect_err("chassis:\n  - name: r\n    endpoint: unix:${FM_TEST_RUN/r.sock\n", -EINVAL,
		   "fabric.yaml:3:15: chassis[0].endpoint: unterminated \"${\" in "
		   "\"${FM_TEST_RUN/r.sock\"");
	expect_err("hooks_dir: ${:-x}\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:1:12: hooks_dir: bad variable name in \"${:-x}\"");
	{
		/* the expansion is bounded by PATH_MAX (4096), in paths and endpoints alike */
		char *big = malloc(4096);

		assert_non_null(big);
		memset(big, 'd', 4095);
		big[0] = '/';
		big[4095] = '\0';
		assert_int_equal(setenv("FM_TEST_BIG", big, 1), 0);
		free(big);
		cfg = load_ok("state_dir: ${FM_TEST_BIG}\n" GOOD_CHASSIS);
		assert_int_equal(strlen(cfg->state_dir), 4095);
		fm_fabric_config_free(cfg);
		expect_err("state_dir: ${FM_TEST_BIG}x\n" GOOD_CHASSIS, -EINVAL,
			   "fabric.yaml:1:12: state_dir: path longer than 4095 bytes");
		expect_err("chassis:\n  - name: r\n    endpoint: unix:${FM_TEST_BIG}/s\n", -EINVAL,
			   "fabric.yaml:3:15: chassis[0].endpoint: path longer than 4095 bytes");
		unsetenv("FM_TEST_BIG");
	}
	unsetenv("FM_TEST_RUN");
	unsetenv("FM_TEST_EMPTY");
}

/* ---- values ----------------------------------------------------------------------------- */

static void test_minimal_defaults(void **state)
{
	struct fm_fabric_config *cfg = load_ok(GOOD_CHASSIS);
	char err[256];

	(void)state;
	assert_int_equal(cfg->n_chassis, 1);
	assert_string_equal(cfg->chassis[0].name, "rack1");
	assert_string_equal(cfg->chassis[0].endpoint, "unix:/run/rack1.sock");
	assert_int_equal(cfg->chassis[0].n_hosts, 0);
	assert_null(cfg->socket_path);
	assert_null(cfg->state_dir);
	assert_null(cfg->hooks_dir);
	assert_null(cfg->socket_group);
	assert_int_equal(cfg->socket_mode, FM_FABRIC_SOCKET_MODE_DEFAULT);
	assert_int_equal(cfg->timeouts.managed_unbind_ms, FM_FABRIC_MANAGED_UNBIND_MS_DEFAULT);
	assert_int_equal(cfg->timeouts.hook_ms, FM_FABRIC_HOOK_MS_DEFAULT);
	assert_int_equal(cfg->hooks_max_parallel, FM_FABRIC_HOOKS_MAX_PARALLEL_DEFAULT);
	assert_int_equal(cfg->timeouts.switch_request_ms, FM_FABRIC_SWITCH_REQUEST_MS_DEFAULT);
	assert_int_equal(cfg->timeouts.reconnect_min_ms, FM_FABRIC_RECONNECT_MIN_MS_DEFAULT);
	assert_int_equal(cfg->timeouts.reconnect_max_ms, FM_FABRIC_RECONNECT_MAX_MS_DEFAULT);
	assert_int_equal(cfg->timeouts.control_stall_ms, FM_FABRIC_CONTROL_STALL_MS_DEFAULT);
	assert_int_equal(cfg->reconcile, FM_FABRIC_RECONCILE_AUTO);
	assert_int_equal(cfg->retention.audit_rows, FM_FABRIC_AUDIT_ROWS_DEFAULT);
	assert_int_equal(cfg->retention.event_rows, FM_FABRIC_EVENT_ROWS_DEFAULT);
	assert_int_equal(cfg->retention.days, FM_FABRIC_RETENTION_DAYS_DEFAULT);
	assert_int_equal(fm_fabric_config_unexpected_action(cfg, true), FM_FABRIC_RECONCILE_ADOPT);
	assert_int_equal(fm_fabric_config_unexpected_action(cfg, false),
			 FM_FABRIC_RECONCILE_REMOVE);
	assert_string_equal(fm_fabric_reconcile_name(cfg->reconcile), "auto");

	assert_int_equal(fm_fabric_config_fill_defaults(cfg, "/run/user/1000", NULL, err,
							sizeof(err)), 0);
	assert_string_equal(cfg->socket_path, "/run/user/1000/mriov-fabric/fabricd.sock");
	assert_string_equal(cfg->state_dir, "/var/lib/mriov-fabric");
	fm_fabric_config_free(cfg);

	cfg = load_ok(GOOD_CHASSIS);
	/* relative XDG values are ignored (XDG Base Directory spec) */
	assert_int_equal(fm_fabric_config_fill_defaults(cfg, "run", "/home/u/.local/state", err,
							sizeof(err)), 0);
	assert_string_equal(cfg->socket_path, "/run/mriov-fabric/fabricd.sock");
	assert_string_equal(cfg->state_dir, "/home/u/.local/state/mriov-fabric");
	fm_fabric_config_free(cfg);
	fm_fabric_config_free(NULL);
}

static void test_full_file(void **state)
{
	static const char text[] =
		"control:\n"
		"  socket: run/fabricd.sock\n"
		"  mode: 0600\n"
		"  group: fabric\n"
		"state_dir: /var/lib/fab\n"
		"hooks_dir: hooks.d\n"
		"hooks:\n"
		"  max_parallel: 3\n"
		"  env:\n"
		"    EVENT_LOG: /var/log/ev.log\n"
		"    x_2: \"a b\"\n"
		"timeouts:\n"
		"  managed_unbind_ms: 5000\n"
		"  hook_ms: 2000\n"
		"  switch_request_ms: 1000\n"
		"  reconnect_min_ms: 50\n"
		"  reconnect_max_ms: 50\n"
		"  control_stall_ms: 1500\n"
		"reconcile:\n"
		"  unexpected_bindings: remove\n"
		"retention: { audit_rows: 5000, event_rows: 0, days: 30 }\n"
		"chassis:\n"
		"  - name: rack1\n"
		"    endpoint: unix:rack1.sock\n"
		"    hosts:\n"
		"      - { port: 0, name: web1 }\n"
		"      - { port_name: h1, name: web2 }\n"
		"      - { port: 2, name: db.1 }\n"
		"  - name: rack-2\n"
		"    endpoint: tcp:localhost:7002\n"
		"    hosts:\n"
		"      - { port: 0, name: web3 }\n";
	struct fm_fabric_config *cfg = load_ok(text);
	const struct fm_fabric_chassis *r1, *r2;

	(void)state;
	assert_string_equal(cfg->socket_path, BASE "/run/fabricd.sock");
	assert_int_equal(cfg->socket_mode, 0600);
	assert_string_equal(cfg->socket_group, "fabric");
	assert_string_equal(cfg->state_dir, "/var/lib/fab");
	assert_string_equal(cfg->hooks_dir, BASE "/hooks.d");
	assert_int_equal(cfg->hooks_max_parallel, 3);
	assert_string_equal(cfg->hooks_env[0], "EVENT_LOG=/var/log/ev.log");
	assert_string_equal(cfg->hooks_env[1], "x_2=a b");
	assert_null(cfg->hooks_env[2]);
	assert_int_equal(cfg->timeouts.managed_unbind_ms, 5000);
	assert_int_equal(cfg->timeouts.hook_ms, 2000);
	assert_int_equal(cfg->timeouts.switch_request_ms, 1000);
	assert_int_equal(cfg->timeouts.reconnect_min_ms, 50);
	assert_int_equal(cfg->timeouts.reconnect_max_ms, 50);
	assert_int_equal(cfg->timeouts.control_stall_ms, 1500);
	assert_int_equal(cfg->reconcile, FM_FABRIC_RECONCILE_REMOVE);
	assert_int_equal(cfg->retention.audit_rows, 5000);
	assert_int_equal(cfg->retention.event_rows, 0);
	assert_int_equal(cfg->retention.days, 30);
	assert_int_equal(fm_fabric_config_unexpected_action(cfg, true),
			 FM_FABRIC_RECONCILE_REMOVE);
	r1 = fm_fabric_config_find_chassis(cfg, "rack1");
	r2 = fm_fabric_config_find_chassis(cfg, "rack-2");
	assert_non_null(r1);
	assert_non_null(r2);
	assert_null(fm_fabric_config_find_chassis(cfg, "rack3"));
	assert_string_equal(r1->endpoint, "unix:" BASE "/rack1.sock");
	assert_string_equal(r2->endpoint, "tcp:127.0.0.1:7002");
	assert_int_equal(r1->n_hosts, 3);
	assert_int_equal(r1->hosts[1].port, -1);
	assert_string_equal(r1->hosts[1].port_name, "h1");
	assert_string_equal(fm_fabric_config_host_name(r1, 0, "h0"), "web1");
	assert_string_equal(fm_fabric_config_host_name(r1, 1, "h1"), "web2");
	assert_string_equal(fm_fabric_config_host_name(r1, 2, NULL), "db.1");
	assert_null(fm_fabric_config_host_name(r1, 3, "h3"));
	assert_string_equal(fm_fabric_config_host_name(r2, 0, NULL), "web3");
	fm_fabric_config_free(cfg);
}

/* Input text in a message is escaped (issue 18): an error is one line. */
static void test_err_escaped(void **state)
{
	struct fm_fabric_config *cfg = load_ok(GOOD_CHASSIS);
	char err[512];

	(void)state;
	expect_err("chassis:\n  - name: \"r\\n\\e[2J\"\n    endpoint: unix:/r.sock\n", -EINVAL,
		   "fabric.yaml:2:11: chassis[0].name: bad name \"r\\n\\e[2J\": use letters, "
		   "digits, '.', '_' and '-', starting with a letter or digit");
	expect_err("control:\n  mode: \"06\\r60\"\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:9: control.mode: bad mode \"06\\r60\": expected octal "
		   "permissions like \"0660\"");
	assert_int_equal(fm_fabric_config_override(cfg, "control.mode", "06\n60", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "control.mode: bad mode \"06\\n60\": expected octal permissions "
				 "like \"0660\"");
	assert_int_equal(fm_fabric_config_override(cfg, "x\x1b[2J", "1", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "x\\e[2J: unknown setting"));
	fm_fabric_config_free(cfg);
}

/* A null is never taken for an absent key (issue 18): `hooks_dir: ~` used to load as "no
 * hooks" silently. Every key, string or not, is refused at its own position. */
static void test_err_nulls(void **state)
{
	(void)state;
#define NULL_MSG "expected a value, got null (leave the key out for the default)"
	expect_err("hooks_dir: ~\n" GOOD_CHASSIS, -EINVAL, "fabric.yaml:1:12: hooks_dir: " NULL_MSG);
	expect_err("hooks_dir: null\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:1:12: hooks_dir: " NULL_MSG);
	expect_err("hooks_dir:\n" GOOD_CHASSIS, -EINVAL, "fabric.yaml:1:11: hooks_dir: " NULL_MSG);
	expect_err("hooks_dir: !!null\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:1:12: tags (!!null) are not supported: write the plain value");
	expect_err("state_dir: ~\n" GOOD_CHASSIS, -EINVAL, "fabric.yaml:1:12: state_dir: " NULL_MSG);
	expect_err("control:\n" GOOD_CHASSIS, -EINVAL, "fabric.yaml:1:9: control: " NULL_MSG);
	expect_err("control:\n  socket: ~\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:11: control.socket: " NULL_MSG);
	expect_err("control:\n  mode: ~\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:9: control.mode: " NULL_MSG);
	expect_err("control:\n  group: ~\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:10: control.group: " NULL_MSG);
	expect_err("timeouts:\n" GOOD_CHASSIS, -EINVAL, "fabric.yaml:1:10: timeouts: " NULL_MSG);
	expect_err("timeouts:\n  hook_ms: ~\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:12: timeouts.hook_ms: " NULL_MSG);
	expect_err("reconcile: ~\n" GOOD_CHASSIS, -EINVAL, "fabric.yaml:1:12: reconcile: " NULL_MSG);
	expect_err("reconcile:\n  unexpected_bindings: ~\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:24: reconcile.unexpected_bindings: " NULL_MSG);
	expect_err("chassis: ~\n", -EINVAL, "fabric.yaml:1:10: chassis: at least one chassis is needed");
	expect_err("chassis:\n  - name: ~\n    endpoint: unix:/r.sock\n", -EINVAL,
		   "fabric.yaml:2:11: chassis[0].name: expected a string, got null");
	expect_err("chassis:\n  - name: r\n    endpoint:\n", -EINVAL,
		   "fabric.yaml:3:14: chassis[0].endpoint: expected a string, got null");
	expect_err(GOOD_CHASSIS "    hosts: ~\n", -EINVAL,
		   "fabric.yaml:4:12: chassis[0].hosts: " NULL_MSG);
	expect_err(GOOD_CHASSIS "    hosts:\n      - { port: ~, name: w }\n", -EINVAL,
		   "fabric.yaml:5:17: chassis[0].hosts[0].port: " NULL_MSG);
	expect_err(GOOD_CHASSIS "    hosts:\n      - { port_name: ~, name: w }\n", -EINVAL,
		   "fabric.yaml:5:22: chassis[0].hosts[0].port_name: " NULL_MSG);
	expect_err(GOOD_CHASSIS "    hosts:\n      - { port: 1, name: ~ }\n", -EINVAL,
		   "fabric.yaml:5:26: chassis[0].hosts[0].name: expected a string, got null");
	/* A quoted "~" is a string, not a null. */
	{
		struct fm_fabric_config *cfg = load_ok("hooks_dir: \"~\"\n" GOOD_CHASSIS);

		assert_string_equal(cfg->hooks_dir, BASE "/~");
		fm_fabric_config_free(cfg);
	}
#undef NULL_MSG
}

static void test_override(void **state)
{
	struct fm_fabric_config *cfg = load_ok("control:\n  group: fabric\nhooks_dir: /h\n"
					       GOOD_CHASSIS);
	char err[256], *cwd = getcwd(NULL, 0), want[4096];

	(void)state;
	assert_non_null(cwd);
	assert_int_equal(fm_fabric_config_override(cfg, "control.socket", "/tmp/x.sock", err,
						   sizeof(err)), 0);
	assert_string_equal(cfg->socket_path, "/tmp/x.sock");
	assert_int_equal(fm_fabric_config_override(cfg, "state_dir", "st", err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/st", cwd);
	assert_string_equal(cfg->state_dir, want);
	assert_int_equal(fm_fabric_config_override(cfg, "control.mode", "0666", err, sizeof(err)),
			 0);
	assert_int_equal(cfg->socket_mode, 0666);
	assert_int_equal(fm_fabric_config_override(cfg, "control.mode", "0999", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "control.mode: bad mode \"0999\": expected octal permissions "
				 "like \"0660\"");
	assert_int_equal(cfg->socket_mode, 0666);
	assert_int_equal(fm_fabric_config_override(cfg, "control.group", "", err, sizeof(err)), 0);
	assert_null(cfg->socket_group);
	assert_int_equal(fm_fabric_config_override(cfg, "control.group", "ops", err, sizeof(err)),
			 0);
	assert_string_equal(cfg->socket_group, "ops");
	assert_int_equal(fm_fabric_config_override(cfg, "hooks_dir", "", err, sizeof(err)), 0);
	assert_null(cfg->hooks_dir);
	assert_int_equal(fm_fabric_config_override(cfg, "hooks_dir", "/etc/h", err, sizeof(err)),
			 0);
	assert_string_equal(cfg->hooks_dir, "/etc/h");
	assert_int_equal(fm_fabric_config_override(cfg, "state_dir", "", err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "state_dir: empty path");
	assert_int_equal(fm_fabric_config_override(cfg, "chassis", "x", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "chassis: unknown setting"));
	{
		char longp[200];

		memset(longp, 'a', sizeof(longp) - 1);
		longp[0] = '/';
		longp[sizeof(longp) - 1] = '\0';
		assert_int_equal(fm_fabric_config_override(cfg, "control.socket", longp, err,
							   sizeof(err)), -EINVAL);
		assert_string_equal(cfg->socket_path, "/tmp/x.sock");
	}
	/* fill_defaults keeps what is set */
	assert_int_equal(fm_fabric_config_fill_defaults(cfg, NULL, NULL, err, sizeof(err)), 0);
	assert_string_equal(cfg->socket_path, "/tmp/x.sock");
	free(cwd);
	fm_fabric_config_free(cfg);
}

/* ---- errors: one exact message per class ------------------------------------------------ */

static void test_err_syntax(void **state)
{
	(void)state;
	/* libyaml's own position */
	expect_err("chassis:\n  - name: [rack1\n", -EINVAL,
		   "fabric.yaml:3:1: did not find expected ',' or ']' (while parsing a flow "
		   "sequence at 2:11)");
	expect_err("", -EINVAL, "fabric.yaml:1:1: empty document");
	expect_err("control: {}\ncontrol: {}\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:1: duplicate key \"control\" (first at line 1, column 1)");
}

static void test_err_unknown_keys(void **state)
{
	(void)state;
	expect_err("chasis: []\n", -EINVAL,
		   "fabric.yaml:1:1: unknown key \"chasis\" (allowed: control, state_dir, "
		   "hooks_dir, hooks, timeouts, reconcile, retention, chassis)");
	expect_err("hooks:\n  parallel: 2\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:3: hooks: unknown key \"parallel\" (allowed: max_parallel, env)");
	expect_err("hooks:\n  env:\n    PATH: /x\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:3:5: hooks.env: PATH is set by fabricd (PATH is fixed, FABRIC_* "
		   "describe the event)");
	expect_err("hooks:\n  env:\n    FABRIC_HOST: x\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:3:5: hooks.env: FABRIC_HOST is set by fabricd (PATH is fixed, FABRIC_* "
		   "describe the event)");
	expect_err("hooks:\n  env:\n    A-B: x\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:3:5: hooks.env: \"A-B\" is not a variable name ([A-Za-z_][A-Za-z0-9_]*)");
	expect_err("hooks:\n  env: x\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:8: hooks.env: expected a mapping NAME: value");
	expect_err("retention:\n  rows: 5\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:3: retention: unknown key \"rows\" (allowed: audit_rows, "
		   "event_rows, days)");
	expect_err("control:\n  sokcet: /run/x.sock\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:3: control: unknown key \"sokcet\" (allowed: socket, mode, "
		   "group)");
	expect_err("timeouts:\n  hook: 5\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:3: timeouts: unknown key \"hook\" (allowed: managed_unbind_ms, "
		   "hook_ms, switch_request_ms, reconnect_min_ms, reconnect_max_ms, "
		   "control_stall_ms)");
	expect_err("reconcile:\n  unexpected: adopt\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:3: reconcile: unknown key \"unexpected\" (allowed: "
		   "unexpected_bindings)");
	expect_err(GOOD_CHASSIS "    endpiont: unix:/x\n", -EINVAL,
		   "fabric.yaml:4:5: chassis[0]: unknown key \"endpiont\" (allowed: name, "
		   "endpoint, hosts)");
	expect_err(GOOD_CHASSIS "    hosts:\n      - { port: 0, nmae: web1 }\n", -EINVAL,
		   "fabric.yaml:5:20: chassis[0].hosts[0]: unknown key \"nmae\" (allowed: name, "
		   "port, port_name)");
}

static void test_err_types(void **state)
{
	(void)state;
	expect_err("- a\n", -EINVAL, "fabric.yaml:1:1: expected a mapping, got a sequence");
	expect_err("chassis:\n  name: rack1\n", -EINVAL,
		   "fabric.yaml:2:3: chassis: expected a sequence, got a mapping");
	expect_err("chassis: rack1\n", -EINVAL,
		   "fabric.yaml:1:10: chassis: expected a sequence, got \"rack1\"");
	expect_err("chassis:\n  - rack1\n", -EINVAL,
		   "fabric.yaml:2:5: chassis[0]: expected a mapping, got \"rack1\"");
	expect_err("chassis:\n  - name: [a]\n    endpoint: unix:/x\n", -EINVAL,
		   "fabric.yaml:2:11: chassis[0].name: expected a string, got a sequence");
	expect_err("timeouts:\n  hook_ms: soon\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:12: timeouts.hook_ms: expected an unsigned integer, got "
		   "\"soon\"");
	expect_err("timeouts:\n  hook_ms: 10\n" GOOD_CHASSIS, -ERANGE,
		   "fabric.yaml:2:12: timeouts.hook_ms: value 10 out of range 100..3600000");
	expect_err("retention:\n  days: a month\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:9: retention.days: expected an unsigned integer, got \"a month\"");
	expect_err("retention:\n  days: 40000\n" GOOD_CHASSIS, -ERANGE,
		   "fabric.yaml:2:9: retention.days: value 40000 out of range 0..36500");
	expect_err("retention:\n  event_rows: -1\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:15: retention.event_rows: expected an unsigned integer, got "
		   "\"-1\"");
	expect_err("retention: { audit_rows: 10 }\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:1:26: retention.audit_rows: keep at least 100 rows, or 0 for no "
		   "limit (got 10)");
	expect_err("retention: 90\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:1:12: retention: expected a mapping, got \"90\"");
	expect_err("state_dir: {a: 1}\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:1:12: state_dir: expected a string, got a mapping");
	expect_err("state_dir: ''\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:1:12: state_dir: expected a non-empty string");
	expect_err("control:\n  group: []\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:10: control.group: expected a string, got a sequence");
	expect_err("reconcile:\n  unexpected_bindings: keep\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:24: reconcile.unexpected_bindings: expected one of auto, adopt, "
		   "remove, got \"keep\"");
	expect_err(GOOD_CHASSIS "    hosts:\n      - { port: one, name: web1 }\n", -EINVAL,
		   "fabric.yaml:5:17: chassis[0].hosts[0].port: expected an unsigned integer, got "
		   "\"one\"");
	expect_err(GOOD_CHASSIS "    hosts:\n      - { port: 256, name: web1 }\n", -ERANGE,
		   "fabric.yaml:5:17: chassis[0].hosts[0].port: value 256 out of range 0..255");
}

static void test_err_required(void **state)
{
	(void)state;
	expect_err("state_dir: /x\n", -ENOENT, "fabric.yaml:1:1: missing required key \"chassis\"");
	expect_err("chassis: []\n", -EINVAL,
		   "fabric.yaml:1:10: chassis: at least one chassis is needed");
	expect_err("chassis:\n", -EINVAL,
		   "fabric.yaml:1:9: chassis: at least one chassis is needed");
	expect_err("chassis:\n  - endpoint: unix:/x\n", -ENOENT,
		   "fabric.yaml:2:5: chassis[0]: missing required key \"name\"");
	expect_err("chassis:\n  - name: r\n", -ENOENT,
		   "fabric.yaml:2:5: chassis[0]: missing required key \"endpoint\"");
	expect_err(GOOD_CHASSIS "    hosts:\n      - { port: 1 }\n", -ENOENT,
		   "fabric.yaml:5:9: chassis[0].hosts[0]: missing required key \"name\"");
	expect_err(GOOD_CHASSIS "    hosts:\n      - { name: web1 }\n", -EINVAL,
		   "fabric.yaml:5:9: chassis[0].hosts[0]: give the switch's host port as \"port\" "
		   "(number) or \"port_name\", exactly one");
	expect_err(GOOD_CHASSIS "    hosts:\n      - { port: 1, port_name: h1, name: web1 }\n",
		   -EINVAL,
		   "fabric.yaml:5:9: chassis[0].hosts[0]: give the switch's host port as \"port\" "
		   "(number) or \"port_name\", exactly one");
}

static void test_err_duplicates(void **state)
{
	(void)state;
	expect_err("chassis:\n"
		   "  - name: rack1\n"
		   "    endpoint: unix:/a.sock\n"
		   "  - name: rack1\n"
		   "    endpoint: unix:/b.sock\n",
		   -EINVAL,
		   "fabric.yaml:4:11: chassis[1].name: duplicate chassis name \"rack1\" (first at "
		   "line 2)");
	/* the same socket spelled two ways */
	expect_err("chassis:\n"
		   "  - name: rack1\n"
		   "    endpoint: unix:/etc/mriov/a.sock\n"
		   "  - name: rack2\n"
		   "    endpoint: unix:a.sock\n",
		   -EINVAL,
		   "fabric.yaml:5:15: chassis[1].endpoint: endpoint unix:/etc/mriov/a.sock is "
		   "already chassis \"rack1\"'s");
	expect_err("chassis:\n"
		   "  - name: rack1\n"
		   "    endpoint: unix:/a.sock\n"
		   "    hosts:\n"
		   "      - { port: 0, name: web1 }\n"
		   "  - name: rack2\n"
		   "    endpoint: unix:/b.sock\n"
		   "    hosts:\n"
		   "      - { port: 0, name: web1 }\n",
		   -EINVAL,
		   "fabric.yaml:9:26: chassis[1].hosts[0].name: host name \"web1\" is already used "
		   "(first at line 5)");
	expect_err(GOOD_CHASSIS "    hosts:\n"
				"      - { port: 3, name: web1 }\n"
				"      - { port: 3, name: web2 }\n",
		   -EINVAL,
		   "fabric.yaml:6:17: chassis[0].hosts[1].port: host port 3 is already mapped "
		   "(first at line 5)");
	expect_err(GOOD_CHASSIS "    hosts:\n"
				"      - { port_name: h0, name: web1 }\n"
				"      - { port_name: h0, name: web2 }\n",
		   -EINVAL,
		   "fabric.yaml:6:22: chassis[0].hosts[1].port_name: host port \"h0\" is already "
		   "mapped");
}

static void test_err_endpoints(void **state)
{
	(void)state;
	expect_err_part("chassis:\n  - name: r\n    endpoint: tcp:10.0.0.1:7000\n",
			"fabric.yaml:3:15: chassis[0].endpoint: ", "loopback");
	expect_err_part("chassis:\n  - name: r\n    endpoint: http://127.0.0.1:7000\n",
			"fabric.yaml:3:15: chassis[0].endpoint: ", "unix:PATH");
	expect_err_part("chassis:\n  - name: r\n    endpoint: tcp:127.0.0.1:70000\n",
			"fabric.yaml:3:15: chassis[0].endpoint: ", "port");
	expect_err_part("chassis:\n  - name: r\n    endpoint: 'unix:'\n",
			"fabric.yaml:3:15: chassis[0].endpoint: ", "empty");
	/* short in the file, too long once resolved against the file's directory */
	{
		char text[512], rel[100], want[512];

		memset(rel, 's', sizeof(rel) - 1);
		rel[sizeof(rel) - 1] = '\0';
		snprintf(text, sizeof(text), "chassis:\n  - name: r\n    endpoint: unix:%s\n", rel);
		snprintf(want, sizeof(want),
			 "fabric.yaml:3:15: chassis[0].endpoint: socket path \"" BASE "/%s\" is "
			 "%zu bytes, a unix socket allows 107", rel, strlen(BASE) + 1 + strlen(rel));
		expect_err(text, -EINVAL, want);
	}
}

static void test_err_mode(void **state)
{
	(void)state;
	expect_err("control:\n  mode: \"0999\"\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:9: control.mode: bad mode \"0999\": expected octal permissions "
		   "like \"0660\"");
	expect_err("control:\n  mode: rw-rw----\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:9: control.mode: bad mode \"rw-rw----\": expected octal "
		   "permissions like \"0660\"");
	expect_err("control:\n  mode: \"1777\"\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:9: control.mode: bad mode \"1777\": only permission bits (at "
		   "most 0777)");
	expect_err("control:\n  mode: \"0460\"\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:9: control.mode: bad mode \"0460\": the owner needs read and "
		   "write (0600)");
	expect_err("control:\n  mode: [6, 6, 0]\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:9: control.mode: expected octal permissions like \"0660\", got a "
		   "sequence");
}

static void test_err_names_and_ranges(void **state)
{
	(void)state;
	expect_err("chassis:\n  - name: rack:1\n    endpoint: unix:/x\n", -EINVAL,
		   "fabric.yaml:2:11: chassis[0].name: bad name \"rack:1\": use letters, digits, "
		   "'.', '_' and '-', starting with a letter or digit");
	expect_err(GOOD_CHASSIS "    hosts:\n      - { port: 0, name: -web }\n", -EINVAL,
		   "fabric.yaml:5:26: chassis[0].hosts[0].name: bad name \"-web\": use letters, "
		   "digits, '.', '_' and '-', starting with a letter or digit");
	expect_err("chassis:\n  - name: "
		   "a234567890123456789012345678901234567890123456789012345678901234\n"
		   "    endpoint: unix:/x\n",
		   -EINVAL, "fabric.yaml:2:11: chassis[0].name: name must be 1 to 63 characters");
	expect_err("timeouts:\n  reconnect_min_ms: 500\n  reconnect_max_ms: 200\n" GOOD_CHASSIS,
		   -EINVAL,
		   "fabric.yaml:3:21: timeouts.reconnect_max_ms: reconnect_min_ms (500) is above "
		   "reconnect_max_ms (200)");
	/* only min given, above the default max: reported at min */
	expect_err("timeouts:\n  reconnect_min_ms: 20000\n" GOOD_CHASSIS, -EINVAL,
		   "fabric.yaml:2:21: timeouts.reconnect_min_ms: reconnect_min_ms (20000) is above "
		   "reconnect_max_ms (10000)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_file_loads),
		cmocka_unit_test(test_shipped_matches_demo_chassis),
		cmocka_unit_test(test_env_expansion),
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_override),
		cmocka_unit_test(test_err_syntax),
		cmocka_unit_test(test_err_unknown_keys),
		cmocka_unit_test(test_err_types),
		cmocka_unit_test(test_err_required),
		cmocka_unit_test(test_err_duplicates),
		cmocka_unit_test(test_err_endpoints),
		cmocka_unit_test(test_err_mode),
		cmocka_unit_test(test_err_names_and_ranges),
		cmocka_unit_test(test_err_nulls),
		cmocka_unit_test(test_err_escaped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
