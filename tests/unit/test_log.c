/* log tests: the line format (UTC time to the millisecond, or the journal's priority
 * prefix), escaping of what the message holds so that one call is one line, cutting of a
 * long message, JOURNAL_STREAM detection, and fm_log's single write() per line (write is
 * wrapped at link time, -Wl,--wrap=write, to count the calls). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "daemon.h"
#include "log.h"

/* ---- write() seen by fm_log ------------------------------------------------------------- */

ssize_t __real_write(int fd, const void *buf, size_t n);
ssize_t __wrap_write(int fd, const void *buf, size_t n);

static struct {
	bool on;
	unsigned calls;
	char text[8192];
	size_t len;
} captured;

ssize_t __wrap_write(int fd, const void *buf, size_t n)
{
	if (!captured.on || fd != STDERR_FILENO)
		return __real_write(fd, buf, n);
	captured.calls++;
	if (captured.len + n < sizeof(captured.text)) {
		memcpy(captured.text + captured.len, buf, n);
		captured.len += n;
		captured.text[captured.len] = '\0';
	}
	return (ssize_t)n;
}

static size_t fmt(char *buf, size_t len, bool journal, int level, int64_t ms, const char *f, ...)
	__attribute__((format(printf, 6, 7)));

static size_t fmt(char *buf, size_t len, bool journal, int level, int64_t ms, const char *f, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, f);
	n = fm_log_format(buf, len, journal, level, ms, f, ap);
	va_end(ap);
	assert_int_equal(n, strlen(buf));
	return n;
}

static unsigned newlines(const char *s)
{
	unsigned n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_plain_format(void **state)
{
	char line[FM_LOG_LINE_MAX];
	/* 2026-12-04T02:06:34.007Z */
	int64_t ms = 1796349994007LL;

	(void)state;
	fmt(line, sizeof(line), false, FM_LOG_INFO, ms, "%s: discovered %u host ports", "rack1", 4u);
	assert_string_equal(line, "2026-12-04T02:06:34.007Z fabricd: info: rack1: discovered 4 host ports\n");
	fmt(line, sizeof(line), false, FM_LOG_ERR, 0, "x");
	assert_string_equal(line, "1970-01-01T00:00:00.000Z fabricd: error: x\n");
	fmt(line, sizeof(line), false, FM_LOG_DEBUG, 999, "y");
	assert_string_equal(line, "1970-01-01T00:00:00.999Z fabricd: debug: y\n");
}

static void test_journal_format(void **state)
{
	char line[FM_LOG_LINE_MAX];

	(void)state;
	/* sd-daemon(3): "<N>" first, journald adds the time; no timestamp of ours */
	fmt(line, sizeof(line), true, FM_LOG_ERR, 1796349994007LL, "lost %s", "rack1");
	assert_string_equal(line, "<3>error: lost rack1\n");
	fmt(line, sizeof(line), true, FM_LOG_INFO, 0, "a");
	assert_string_equal(line, "<6>info: a\n");
	fmt(line, sizeof(line), true, FM_LOG_DEBUG, 0, "b");
	assert_string_equal(line, "<7>debug: b\n");
}

/* A name from a chassis file or a client with a newline in it must not forge a log line. */
static void test_one_line_whatever_the_message(void **state)
{
	char line[FM_LOG_LINE_MAX];

	(void)state;
	fmt(line, sizeof(line), true, FM_LOG_INFO, 0, "host %s", "web1\n<3>error: forged\r\x1b[2K");
	assert_string_equal(line, "<6>info: host web1\\n<3>error: forged\\r\\e[2K\n");
	assert_int_equal(newlines(line), 1);
	fmt(line, sizeof(line), false, FM_LOG_INFO, 0, "%s", "bidi \xe2\x80\xae and \xff");
	assert_non_null(strstr(line, "bidi \\u202e and \\xff\n"));
	assert_int_equal(newlines(line), 1);
	/* text a module escaped already (fab_escape) is not escaped twice */
	fmt(line, sizeof(line), true, FM_LOG_INFO, 0, "hook said: %s", "\\e[2J \\u202e a\\\\b");
	assert_string_equal(line, "<6>info: hook said: \\e[2J \\u202e a\\\\b\n");
	fmt(line, sizeof(line), true, FM_LOG_INFO, 0, "%s", "\\\n\\");
	assert_string_equal(line, "<6>info: \\\\n\\\n");
}

/* A message longer than a line is cut, says so, and stays one line; an escape is never cut
 * in half. */
static void test_long_message_cut(void **state)
{
	char line[FM_LOG_LINE_MAX], small[80];
	char *big = malloc(5000);
	size_t n;

	(void)state;
	assert_non_null(big);
	memset(big, 'a', 4999);
	big[4999] = '\0';
	n = fmt(line, sizeof(line), false, FM_LOG_ERR, 0, "%s", big);
	assert_true(n < sizeof(line));
	assert_int_equal(n, sizeof(line) - 1); /* all of it used */
	assert_string_equal(line + n - 7, " [cut]\n");
	assert_int_equal(newlines(line), 1);

	memset(big, '\n', 4999); /* every byte escapes to two */
	n = fmt(small, sizeof(small), true, FM_LOG_ERR, 0, "%s", big);
	assert_true(n < sizeof(small));
	assert_string_equal(small + n - 7, " [cut]\n");
	assert_int_equal(newlines(small), 1);
	/* cut among backslashes and escapes alike */
	for (size_t i = 0; i < 4999; i++)
		big[i] = i % 3 ? '\\' : '\x01';
	n = fmt(small, sizeof(small), true, FM_LOG_ERR, 0, "%s", big);
	assert_true(n < sizeof(small));
	assert_string_equal(small + n - 7, " [cut]\n");
	assert_int_equal(newlines(small), 1);
	memset(big, '\n', 4999);
	n = fmt(small, sizeof(small), true, FM_LOG_ERR, 0, "%s", big);
	/* "<3>error: " then whole "\n" pairs only */
	for (size_t i = 10; i < n - 7; i += 2)
		assert_memory_equal(small + i, "\\n", 2);
	assert_int_equal((n - 7 - 10) % 2, 0);
	free(big);
}

static void test_journal_detection(void **state)
{
	char path[] = "/tmp/test_log.XXXXXX", env[64];
	struct stat st;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_false(fm_log_is_journal(NULL, fd));
	assert_false(fm_log_is_journal("", fd));
	assert_false(fm_log_is_journal("garbage", fd));
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	assert_true(fm_log_is_journal(env, fd));
	/* set for another stream (stderr redirected since): not the journal */
	snprintf(env, sizeof(env), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino + 1);
	assert_false(fm_log_is_journal(env, fd));
	snprintf(env, sizeof(env), "%ju:%ju:", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	assert_false(fm_log_is_journal(env, fd));
	close(fd);
	unlink(path);
}

/* Issue 20: fm_log cost three write() calls per line (prefix, message, newline). */
static void test_fm_log_one_write_per_line(void **state)
{
	struct fm_daemon d;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.log_level = FM_LOG_INFO;
	memset(&captured, 0, sizeof(captured));
	captured.on = true;
	fm_log(&d, FM_LOG_INFO, "%s: connected to %s", "rack1", "unix:/run/x.sock");
	fm_log(&d, FM_LOG_ERR, "card %s ignored", "nic\n0");
	fm_log(&d, FM_LOG_DEBUG, "not at this level");
	d.log_journal = true;
	fm_log(&d, FM_LOG_ERR, "journal");
	captured.on = false;
	assert_int_equal(captured.calls, 3);
	assert_int_equal(newlines(captured.text), 3);
	assert_non_null(strstr(captured.text, "Z fabricd: info: rack1: connected to unix:/run/x.sock\n"));
	assert_non_null(strstr(captured.text, "Z fabricd: error: card nic\\n0 ignored\n"));
	assert_non_null(strstr(captured.text, "\n<3>error: journal\n"));
	assert_null(strstr(captured.text, "not at this level"));
	/* the time: "YYYY-MM-DDTHH:MM:SS.mmmZ " */
	assert_int_equal(captured.text[4], '-');
	assert_int_equal(captured.text[10], 'T');
	assert_int_equal(captured.text[19], '.');
	assert_int_equal(captured.text[23], 'Z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_format),
		cmocka_unit_test(test_journal_format),
		cmocka_unit_test(test_one_line_whatever_the_message),
		cmocka_unit_test(test_long_message_cut),
		cmocka_unit_test(test_journal_detection),
		cmocka_unit_test(test_fm_log_one_write_per_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
