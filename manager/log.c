/* log: formats fabricd's log lines (see log.h); writing them is the daemon's, in one
 * write() per line so that lines from one process never interleave. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "text_escape.h"

#define CUT_MARK " [cut]"

/* fab_escape, but a backslash stays one: the modules escape the untrusted text they log
 * (hook output, names) with fab_escape already, and escaping that again would double its
 * backslashes. The rest (controls, newlines, bidi, invalid UTF-8) is escaped here, so a
 * line stays a line whatever a caller forgot. A backslash is never inside a UTF-8
 * sequence, so the pieces between them escape alone. Same contract as fab_escape. */
static size_t escape_line(char *dst, size_t dstlen, const char *src, size_t n)
{
	size_t out = 0;

	if (dstlen)
		dst[0] = '\0';
	while (n) {
		const char *bs = memchr(src, '\\', n);
		size_t piece = bs ? (size_t)(bs - src) : n, need;

		need = fab_escape(out < dstlen ? dst + out : NULL, out < dstlen ? dstlen - out : 0,
				  src, piece);
		if (out + need >= dstlen) /* cut: what fits was written, NUL-terminated */
			return out + need + (n - piece);
		out += need;
		if (!bs)
			break;
		if (out + 1 >= dstlen)
			return out + n - piece;
		dst[out++] = '\\';
		dst[out] = '\0';
		src = bs + 1;
		n -= piece + 1;
	}
	return out;
}

size_t fm_log_format(char *buf, size_t len, bool journal, int level, int64_t now_ms,
		     const char *fmt, va_list ap)
{
	static const char *const tag[] = {"error", "info", "debug"};
	static const int prio[] = {3, 6, 7}; /* LOG_ERR, LOG_INFO, LOG_DEBUG */
	char msg[FM_LOG_LINE_MAX];
	size_t n, room, need, mlen;
	int m;

	if (level < FM_LOG_ERR || level > FM_LOG_DEBUG)
		level = FM_LOG_ERR;
	if (journal) {
		m = snprintf(buf, len, "<%d>%s: ", prio[level], tag[level]);
	} else {
		time_t t = (time_t)(now_ms / 1000);
		struct tm tm;
		char ts[32];

		gmtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		m = snprintf(buf, len, "%s.%03dZ fabricd: %s: ", ts, (int)(now_ms % 1000), tag[level]);
	}
	n = m > 0 && (size_t)m < len / 2 ? (size_t)m : 0;
	m = vsnprintf(msg, sizeof(msg), fmt, ap);
	mlen = m > 0 ? strlen(msg) : 0;
	/* the escaped message, then the newline and the NUL */
	room = len - n - 1;
	need = escape_line(buf + n, room, msg, mlen);
	if (need < room && (m < 0 || (size_t)m < sizeof(msg))) {
		n += need;
	} else {
		escape_line(buf + n, room - (sizeof(CUT_MARK) - 1), msg, mlen);
		n += strlen(buf + n);
		memcpy(buf + n, CUT_MARK, sizeof(CUT_MARK) - 1);
		n += sizeof(CUT_MARK) - 1;
	}
	buf[n++] = '\n';
	buf[n] = '\0';
	return n;
}

bool fm_log_is_journal(const char *journal_stream, int fd)
{
	uintmax_t dev, ino;
	struct stat st;
	char tail;

	if (!journal_stream || sscanf(journal_stream, "%ju:%ju%c", &dev, &ino, &tail) != 2)
		return false;
	return fstat(fd, &st) == 0 && (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}
