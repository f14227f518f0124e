/* log: the text of fabricd's log lines — one line per message, whatever the message holds,
 * stamped with the UTC time to the millisecond, or left to journald to stamp when stderr is
 * the journal (with a syslog priority prefix it reads). */
#ifndef FM_LOG_H
#define FM_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Levels, most severe first (fm_daemon's log_level admits those at or below it). */
#define FM_LOG_ERR 0
#define FM_LOG_INFO 1
#define FM_LOG_DEBUG 2

/* Longest line written, newline included; a longer message is cut (and says so). */
#define FM_LOG_LINE_MAX 2048

/* Formats one log line into buf (len >= 64), newline-terminated, and returns its length
 * (< len). journal false: "2026-12-04T02:06:34.123Z fabricd: info: MESSAGE\n" with now_ms
 * as the time; true: "<6>info: MESSAGE\n" (sd-daemon(3) priority prefix: 3 error, 6 info,
 * 7 debug; journald adds time and program). MESSAGE is fmt formatted, then escaped as
 * fab_escape does (newlines, control bytes, invisible code points, invalid UTF-8 shown as
 * \n, \xNN, \uXXXX) but for backslashes, kept as they are since the callers escape the
 * untrusted text they pass (fab_escape): nothing in it can end the line or forge another. */
size_t fm_log_format(char *buf, size_t len, bool journal, int level, int64_t now_ms,
		     const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

/* Whether fd is the journal's stream: systemd sets JOURNAL_STREAM ("DEV:INODE", pass its
 * value, may be NULL) for a service whose stderr goes to journald; it is true only when fd
 * is that very stream (not when stderr was redirected after, e.g. by a child's shell). */
bool fm_log_is_journal(const char *journal_stream, int fd);

#endif
