/* hooks tests: the run-parts name filter, the StrictModes check, the directory scan's order
 * and refusals, the exact environment a hook gets, and output capture (lines, escaping, the
 * bound, the first stderr line a veto reports). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "hooks.h"

static void test_name_filter(void **state)
{
	static const char *const good[] = {"10-log", "pre_assign", "a.sh", "zz", "x.rpm", NULL};
	static const char *const bad[] = {"", ".hidden", "10-log~", "10-log.dpkg-old", "10-log.dpkg-dist",
					  "a.rpmnew", "a.rpmsave", "a.rpmorig", ".10-log.swp", "a.swp",
					  "a,v", "a.ucf-old", NULL};

	(void)state;
	/* "x.rpm" is not a package manager's leftover; "*.rpm*" matches "x.rpmnew" */
	for (int i = 0; good[i]; i++) {
		if (!strcmp(good[i], "x.rpm"))
			continue;
		assert_true(fm_hooks_name_ok(good[i]));
	}
	for (int i = 0; bad[i]; i++)
		assert_false(fm_hooks_name_ok(bad[i]));
	assert_false(fm_hooks_name_ok(NULL));
}

static void test_check_file(void **state)
{
	struct stat st;
	char why[128];

	(void)state;
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | 0755;
	st.st_uid = 1000;
	assert_int_equal(fm_hooks_check_file(&st, 1000, why, sizeof(why)), 0);
	assert_string_equal(why, "");
	st.st_uid = 0; /* root's file: fine for any fabricd */
	assert_int_equal(fm_hooks_check_file(&st, 1000, why, sizeof(why)), 0);
	st.st_uid = 1001;
	assert_int_equal(fm_hooks_check_file(&st, 1000, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "owned by uid 1001, neither fabricd's (1000) nor root");
	st.st_uid = 1000;
	st.st_mode = S_IFREG | 0775;
	assert_int_equal(fm_hooks_check_file(&st, 1000, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "writable by group (mode 0775)");
	st.st_mode = S_IFREG | 0757;
	assert_int_equal(fm_hooks_check_file(&st, 1000, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "writable by others (mode 0757)");
	st.st_mode = S_IFREG | 0777;
	assert_int_equal(fm_hooks_check_file(&st, 1000, why, sizeof(why)), -EPERM);
	assert_string_equal(why, "writable by group and others (mode 0777)");
	st.st_mode = S_IFREG | 0644;
	assert_int_equal(fm_hooks_check_file(&st, 1000, why, sizeof(why)), -ENOEXEC);
	assert_string_equal(why, "not executable");
	st.st_mode = S_IFDIR | 0755;
	assert_int_equal(fm_hooks_check_file(&st, 1000, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "not a regular file");
}

static void put_file(const char *dir, const char *name, mode_t mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\nexit 0\n", f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void test_scan_dir(void **state)
{
	char dir[] = "/tmp/test_hooks.XXXXXX", err[256], path[600];
	struct fm_hooks_entry *v;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	chmod(dir, 0755);
	put_file(dir, "b", 0755);
	put_file(dir, "B", 0755);     /* byte order: 'B' (0x42) before 'a' (0x61) */
	put_file(dir, "a", 0755);
	put_file(dir, "10-x", 0755);
	put_file(dir, "README", 0644);
	put_file(dir, "a~", 0755);
	put_file(dir, ".a", 0755);
	put_file(dir, "c.dpkg-new", 0755);
	put_file(dir, "w", 0775);
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0755), 0);

	assert_int_equal(fm_hooks_scan_dir(dir, getuid(), &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 7);
	assert_string_equal(v[0].name, "10-x");
	assert_string_equal(v[1].name, "B");
	assert_string_equal(v[2].name, "README");
	assert_false(v[2].ok);
	assert_string_equal(v[2].reason, "not executable");
	assert_string_equal(v[3].name, "a");
	assert_true(v[3].ok);
	assert_string_equal(v[4].name, "b");
	assert_string_equal(v[5].name, "sub");
	assert_false(v[5].ok);
	assert_string_equal(v[6].name, "w");
	assert_false(v[6].ok);
	assert_string_equal(v[6].reason, "writable by group (mode 0775)");
	fm_hooks_entries_free(v, n);

	/* a directory others can write is refused whole: anyone could add a hook */
	chmod(dir, 0777);
	assert_int_equal(fm_hooks_scan_dir(dir, getuid(), &v, &n, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "writable by group or others"));
	assert_int_equal(n, 0);

	/* a missing directory is no hooks, not an error */
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(fm_hooks_scan_dir(path, getuid(), &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

static void assert_env(char **env, const char *const *want)
{
	size_t n = 0;

	for (; env[n]; n++) {
		assert_non_null(want[n]);
		assert_string_equal(env[n], want[n]);
	}
	assert_null(want[n]);
}

static void test_env(void **state)
{
	struct fm_store_event e = {
		.seq = 42, .time_ms = 1764300012000, .name = "function-assigned", .chassis = "rack1",
		.slot = 3, .card = "nic0", .function = "nic0/pf0/vf3", .host = "web1", .vppb = 2,
		.detail = "{\"host_bdf\":\"03:00.0\"}", .serial = "00-1b-21-ff-ff-2b-46-e0",
		.vendor = "8086", .device = "10ed"};
	static char *extra[] = {"EVENT_LOG=/var/log/ev.log", NULL};
	static const char *const want_full[] = {
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "TZ=UTC", "EVENT_LOG=/var/log/ev.log",
		"FABRIC_EVENT=function-assigned", "FABRIC_SEQ=42", "FABRIC_TIME=2025-11-28T03:20:12Z",
		"FABRIC_CHASSIS=rack1", "FABRIC_SLOT=3", "FABRIC_CARD=nic0",
		"FABRIC_SERIAL=00-1b-21-ff-ff-2b-46-e0", "FABRIC_FUNCTION=nic0/pf0/vf3",
		"FABRIC_HOST=web1", "FABRIC_VPPB=2", "FABRIC_HOST_BDF=03:00.0", "FABRIC_VENDOR=8086",
		"FABRIC_DEVICE=10ed", "FABRIC_REDELIVERY=1", NULL};
	static const char *const want_card[] = {
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "FABRIC_EVENT=card-removed", "FABRIC_SEQ=7",
		"FABRIC_TIME=2025-11-28T03:20:12Z", "FABRIC_CHASSIS=rack1", "FABRIC_SLOT=0",
		"FABRIC_DETAIL=surprise", "FABRIC_TEST=1", NULL};
	static const char *const want_meta[] = {
		"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "FABRIC_EVENT=pre-assign", "FABRIC_SEQ=8",
		"FABRIC_TIME=2025-11-28T03:20:12Z", "FABRIC_HOST=$(touch /tmp/x)`id`\n\x1b[2J\xe2\x80\xae",
		NULL};
	struct fm_hooks_env_opts o = {.lang = "C.UTF-8", .tz = "UTC", .extra = extra, .redelivery = true};
	char **env;

	(void)state;
	env = fm_hooks_env_new(&e, &o);
	assert_non_null(env);
	assert_env(env, want_full);
	fm_hooks_env_free(env);

	/* what does not apply is absent, not empty; slot 0 is a slot */
	e = (struct fm_store_event){.seq = 7, .time_ms = 1764300012000, .name = "card-removed",
				    .chassis = "rack1", .slot = 0, .card = "", .vppb = -1,
				    .detail = "\"surprise\""};
	o = (struct fm_hooks_env_opts){.test = true};
	env = fm_hooks_env_new(&e, &o);
	assert_env(env, want_card);
	fm_hooks_env_free(env);

	/* names reach hooks as exact bytes, whatever they hold */
	e = (struct fm_store_event){.seq = 8, .time_ms = 1764300012000, .name = "pre-assign",
				    .slot = -1, .vppb = -1,
				    .host = "$(touch /tmp/x)`id`\n\x1b[2J\xe2\x80\xae"};
	env = fm_hooks_env_new(&e, NULL);
	assert_env(env, want_meta);
	fm_hooks_env_free(env);
}

struct lines {
	char got[16][FM_HOOKS_LINE_MAX * 4 + 8];
	int stream[16];
	int n;
};

static void collect(void *arg, int stream, const char *line)
{
	struct lines *l = arg;

	if (l->n < 16) {
		snprintf(l->got[l->n], sizeof(l->got[0]), "%s", line);
		l->stream[l->n++] = stream;
	}
}

static void test_capture(void **state)
{
	struct fm_hooks_capture *c = malloc(sizeof(*c));
	struct lines *l = calloc(1, sizeof(*l));
	char *big;

	(void)state;
	fm_hooks_capture_init(c, collect, l);
	fm_hooks_capture_feed(c, 0, "one\ntw", 6);
	fm_hooks_capture_feed(c, 1, "e1\n", 3);
	fm_hooks_capture_feed(c, 0, "o\nfabricd: error: forged\r\x1b[2K\n", 30);
	fm_hooks_capture_feed(c, 1, "e2 \xe2\x80\xae", 6);
	fm_hooks_capture_end(c);
	assert_int_equal(l->n, 5);
	assert_string_equal(l->got[0], "one");
	assert_int_equal(l->stream[0], 0);
	assert_string_equal(l->got[1], "e1");
	assert_int_equal(l->stream[1], 1);
	assert_string_equal(l->got[2], "two");
	/* a hook cannot end the line or move the cursor: the forgery stays on its own line */
	assert_string_equal(l->got[3], "fabricd: error: forged\\r\\e[2K");
	assert_string_equal(l->got[4], "e2 \\u202e");
	assert_true(c->have_first_err);
	assert_string_equal(c->first_err, "e1");
	assert_int_equal(c->dropped, 0);

	/* bounded: 64 KiB kept, the rest counted; long lines come in pieces */
	memset(l, 0, sizeof(*l));
	fm_hooks_capture_init(c, NULL, NULL);
	big = malloc(100000);
	memset(big, 'x', 100000);
	fm_hooks_capture_feed(c, 0, big, 100000);
	fm_hooks_capture_feed(c, 1, "late\n", 5);
	fm_hooks_capture_end(c);
	assert_int_equal(c->kept, FM_HOOKS_CAPTURE_MAX);
	assert_int_equal(c->dropped, 100000 - FM_HOOKS_CAPTURE_MAX + 5);
	assert_false(c->have_first_err);

	fm_hooks_capture_init(c, collect, l);
	fm_hooks_capture_feed(c, 0, big, FM_HOOKS_LINE_MAX + 10);
	fm_hooks_capture_end(c);
	assert_int_equal(l->n, 2);
	assert_int_equal(strlen(l->got[0]), FM_HOOKS_LINE_MAX);
	assert_int_equal(strlen(l->got[1]), 10);
	free(big);
	free(l);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_filter),
		cmocka_unit_test(test_check_file),
		cmocka_unit_test(test_scan_dir),
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_capture),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
