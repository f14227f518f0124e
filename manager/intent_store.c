/* fabricd's intent store: bindings, audit and events in one SQLite file (WAL, synchronous=FULL),
 * with writes group-committed once per loop iteration so a request is acknowledged only when durable. */
#include "errbuf.h"
#include "intent_store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

/* Another process (an operator's sqlite3 shell, a backup) may hold the lock briefly. */
#define STORE_BUSY_TIMEOUT_MS 5000

/* Migration step i takes user_version i to i + 1, in its own transaction. Append, never edit. */
static const char *const migrations[] = {
	/* 0 -> 1: initial schema */
	"CREATE TABLE bindings ("
	"  chassis     TEXT    NOT NULL,"
	"  card_serial TEXT    NOT NULL,"
	"  pf          INTEGER NOT NULL CHECK (pf >= 0),"
	"  vf          INTEGER NOT NULL CHECK (vf >= -1),"
	"  host        TEXT    NOT NULL,"
	"  vppb        INTEGER CHECK (vppb IS NULL OR vppb >= 0),"
	"  state       TEXT    NOT NULL"
	"              CHECK (state IN ('binding', 'bound', 'unbinding', 'detached')),"
	"  created     INTEGER NOT NULL,"
	"  updated     INTEGER NOT NULL,"
	"  PRIMARY KEY (chassis, card_serial, pf, vf)"
	");"
	/* DESIGN.md: each vPPB is empty or bound to one function (NULLs do not collide). */
	"CREATE UNIQUE INDEX bindings_vppb ON bindings (chassis, host, vppb);"
	"CREATE INDEX bindings_host ON bindings (host);"
	"CREATE TABLE audit ("
	"  id      INTEGER PRIMARY KEY,"
	"  time    INTEGER NOT NULL,"
	"  uid     INTEGER NOT NULL,"
	"  pid     INTEGER NOT NULL,"
	"  gid     INTEGER NOT NULL,"
	"  method  TEXT    NOT NULL,"
	"  params  TEXT    CHECK (params IS NULL OR json_valid(params)),"
	"  result  TEXT    NOT NULL,"
	"  message TEXT"
	");"
	"CREATE INDEX audit_time ON audit (time);"
	/* AUTOINCREMENT: a seq is never reused, even after the newest events are deleted. */
	"CREATE TABLE events ("
	"  seq      INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  time     INTEGER NOT NULL,"
	"  name     TEXT    NOT NULL,"
	"  chassis  TEXT,"
	"  slot     INTEGER,"
	"  card     TEXT,"
	"  function TEXT,"
	"  host     TEXT,"
	"  vppb     INTEGER,"
	"  detail   TEXT    CHECK (detail IS NULL OR json_valid(detail))"
	");",
	/* 1 -> 2: what hooks are told about a card (its identity is gone from the inventory
	 * once the card is pulled), and hook delivery: per hook the seq up to which every event
	 * was delivered (the watermark), and every run, written when it starts and when it
	 * ends, so a restart knows what to deliver again and which runs may repeat. */
	"ALTER TABLE events ADD COLUMN serial TEXT;"
	"ALTER TABLE events ADD COLUMN vendor TEXT;"
	"ALTER TABLE events ADD COLUMN device TEXT;"
	"CREATE TABLE hook_marks ("
	"  hook TEXT    PRIMARY KEY,"
	"  seq  INTEGER NOT NULL CHECK (seq >= 0)"
	");"
	"CREATE TABLE hook_runs ("
	"  id          INTEGER PRIMARY KEY,"
	"  hook        TEXT    NOT NULL,"
	"  seq         INTEGER NOT NULL CHECK (seq >= 0),"
	"  event       TEXT    NOT NULL,"
	"  started     INTEGER NOT NULL,"
	"  duration_ms INTEGER,"
	"  exit_code   INTEGER,"
	"  signal      INTEGER,"
	"  timed_out   INTEGER NOT NULL DEFAULT 0,"
	"  truncated   INTEGER NOT NULL DEFAULT 0,"
	"  dropped     INTEGER NOT NULL DEFAULT 0,"
	"  redelivery  INTEGER NOT NULL DEFAULT 0,"
	"  kind        TEXT    NOT NULL CHECK (kind IN ('notify', 'veto', 'test'))"
	");"
	"CREATE INDEX hook_runs_seq ON hook_runs (seq);",
	/* 2 -> 3: a binding's bandwidth floor and cap (issue 14), Mb/s, 0 none; existing
	 * bindings have neither */
	"ALTER TABLE bindings ADD COLUMN min_mbps INTEGER NOT NULL DEFAULT 0"
	"  CHECK (min_mbps >= 0 AND min_mbps <= 4294967295);"
	"ALTER TABLE bindings ADD COLUMN max_mbps INTEGER NOT NULL DEFAULT 0"
	"  CHECK (max_mbps >= 0 AND max_mbps <= 4294967295);",
};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == FM_STORE_SCHEMA_VERSION,
	       "one migration step per schema version");

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_BINDING_PUT,
	ST_BINDING_SET_STATE,
	ST_BINDING_DELETE,
	ST_BINDING_GET,
	ST_BINDING_LIST,
	ST_BINDING_LIST_HOST,
	ST_BINDING_LIST_CHASSIS,
	ST_AUDIT_APPEND,
	ST_AUDIT_SET_RESULT,
	ST_AUDIT_LIST,
	ST_EVENT_APPEND,
	ST_EVENT_LIST,
	ST_HOOK_MARK_GET,
	ST_HOOK_MARK_PUT,
	ST_HOOK_RUN_START,
	ST_HOOK_RUN_FINISH,
	ST_HOOK_RUN_LIST,
	ST_AUDIT_PRUNE,
	ST_EVENT_PRUNE,
	ST_COUNT
};

#define BINDING_COLS "chassis, card_serial, pf, vf, host, vppb, state, created, updated, min_mbps, max_mbps"
#define BINDING_ORDER " ORDER BY chassis, card_serial, pf, vf"

static const char *const stmt_sql[ST_COUNT] = {
	/* IMMEDIATE takes the write lock at once, so COMMIT cannot fail with SQLITE_BUSY. */
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_BINDING_PUT] =
		"INSERT INTO bindings (" BINDING_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10)"
		" ON CONFLICT (chassis, card_serial, pf, vf) DO UPDATE SET"
		" host = excluded.host, vppb = excluded.vppb, state = excluded.state,"
		" updated = excluded.updated, min_mbps = excluded.min_mbps, max_mbps = excluded.max_mbps",
	[ST_BINDING_SET_STATE] = "UPDATE bindings SET state = ?5, updated = ?6"
				 " WHERE chassis = ?1 AND card_serial = ?2 AND pf = ?3 AND vf = ?4",
	[ST_BINDING_DELETE] = "DELETE FROM bindings"
			      " WHERE chassis = ?1 AND card_serial = ?2 AND pf = ?3 AND vf = ?4",
	[ST_BINDING_GET] = "SELECT " BINDING_COLS " FROM bindings"
			   " WHERE chassis = ?1 AND card_serial = ?2 AND pf = ?3 AND vf = ?4",
	[ST_BINDING_LIST] = "SELECT " BINDING_COLS " FROM bindings" BINDING_ORDER,
	[ST_BINDING_LIST_HOST] = "SELECT " BINDING_COLS " FROM bindings WHERE host = ?1" BINDING_ORDER,
	[ST_BINDING_LIST_CHASSIS] = "SELECT " BINDING_COLS " FROM bindings WHERE chassis = ?1"
				    BINDING_ORDER,
	[ST_AUDIT_APPEND] = "INSERT INTO audit (time, uid, pid, gid, method, params, result, message)"
			    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_AUDIT_SET_RESULT] = "UPDATE audit SET result = ?2, message = ?3 WHERE id = ?1",
	[ST_AUDIT_LIST] = "SELECT id, time, uid, pid, gid, method, params, result, message FROM audit"
			  " WHERE time >= ?1 ORDER BY id LIMIT ?2",
	[ST_EVENT_APPEND] = "INSERT INTO events (time, name, chassis, slot, card, function, host, vppb,"
			    " detail, serial, vendor, device)"
			    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	[ST_EVENT_LIST] = "SELECT seq, time, name, chassis, slot, card, function, host, vppb, detail,"
			  " serial, vendor, device"
			  " FROM events WHERE seq > ?1 AND seq <= ?2 ORDER BY seq LIMIT ?3",
	[ST_HOOK_MARK_GET] = "SELECT seq FROM hook_marks WHERE hook = ?1",
	[ST_HOOK_MARK_PUT] = "INSERT INTO hook_marks (hook, seq) VALUES (?1, ?2)"
			     " ON CONFLICT (hook) DO UPDATE SET seq = excluded.seq",
	[ST_HOOK_RUN_START] = "INSERT INTO hook_runs (hook, seq, event, started, redelivery, kind)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_HOOK_RUN_FINISH] = "UPDATE hook_runs SET duration_ms = ?2, exit_code = ?3, signal = ?4,"
			       " timed_out = ?5, truncated = ?6, dropped = ?7 WHERE id = ?1",
	[ST_HOOK_RUN_LIST] = "SELECT id, hook, seq, event, started, duration_ms, exit_code, signal,"
			     " timed_out, truncated, dropped, redelivery, kind FROM hook_runs"
			     " WHERE seq > ?1 AND id > ?2 ORDER BY id LIMIT ?3",
	/* Retention: among the ?3 oldest rows (a bounded scan, whatever the table holds),
	 * those beyond the newest ?1 (NULL: no count limit) or older than ?2 ms. Ids and seqs
	 * have no gaps (rows only ever go oldest first), so max - ?1 is the count cut. */
	[ST_AUDIT_PRUNE] = "DELETE FROM audit WHERE id IN (SELECT id FROM (SELECT id, time FROM audit"
			   " ORDER BY id LIMIT ?3) WHERE id <= (SELECT max(id) FROM audit) - ?1"
			   " OR time < ?2)",
	[ST_EVENT_PRUNE] = "DELETE FROM events WHERE seq IN (SELECT seq FROM (SELECT seq, time FROM"
			   " events ORDER BY seq LIMIT ?3) WHERE seq <= (SELECT max(seq) FROM events)"
			   " - ?1 OR time < ?2)",
};

static const char *const run_kinds[] = {
	[FM_STORE_RUN_NOTIFY] = "notify",
	[FM_STORE_RUN_VETO] = "veto",
	[FM_STORE_RUN_TEST] = "test",
};

static const char *const state_names[] = {
	[FM_STORE_BINDING] = "binding",
	[FM_STORE_BOUND] = "bound",
	[FM_STORE_UNBINDING] = "unbinding",
	[FM_STORE_DETACHED] = "detached",
};

/* One write of the open batch, waiting for its COMMIT. */
struct staged {
	fm_store_done_fn done;
	void *arg;
	int64_t *seq_out; /* events only */
	int64_t seq;
};

struct fm_store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *st[ST_COUNT];
	struct staged *staged; /* in staging order */
	size_t nstaged, cap;
	bool in_txn;           /* the batch's BEGIN IMMEDIATE is open */
	int poisoned;          /* negative: SQLite aborted the batch's transaction */
	int64_t committed_seq; /* highest event seq known durable */
	dev_t dev;             /* identity of the file opened, to notice it deleted or replaced */
	ino_t ino;
	int unavailable;       /* negative (-ESTALE): no more writes, see fm_store_available */
	int64_t audit_id;      /* row id of the last audit record appended */
	uint64_t commits;      /* batches committed since open */
	char errmsg[320];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* SQLite result code -> negative errno. */
static int sqlite_to_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return -EBADMSG;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_CONSTRAINT:
		return (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) ? -EEXIST
											    : -EINVAL;
	case SQLITE_MISUSE:
	case SQLITE_RANGE:
	case SQLITE_MISMATCH:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* Records the connection's message for fm_store_last_error() and returns the errno; an I/O
 * error returns the system's errno behind it when known (sys, else SQLite's), e.g. -EFBIG
 * over RLIMIT_FSIZE, -EDQUOT. */
static int db_fail_sys(struct fm_store *s, int rc, const char *what, int sys)
{
	if (!sys)
		sys = sqlite3_system_errno(s->db);
	if ((rc & 0xff) == SQLITE_IOERR && sys > 0) {
		snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s: %s (%s)", s->path, what,
			 sqlite3_errmsg(s->db), strerror(sys));
		return -sys;
	}
	snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
	return sqlite_to_errno(rc);
}

static int db_fail(struct fm_store *s, int rc, const char *what)
{
	return db_fail_sys(s, rc, what, 0);
}

static int arg_fail(struct fm_store *s, const char *what)
{
	snprintf(s->errmsg, sizeof(s->errmsg), "%s", what);
	return -EINVAL;
}

/* Runs a statement that returns no rows and resets it. */
static int run(struct fm_store *s, enum stmt_id id, const char *what)
{
	sqlite3_stmt *st = s->st[id];
	int rc, sys;

	/* SQLite's sqlite3_system_errno() misses a failed write's errno (EFBIG from a write
	 * over RLIMIT_FSIZE reads 0): take it from the step itself */
	errno = 0;
	rc = sqlite3_step(st);
	sys = errno;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return db_fail_sys(s, rc, what, sys);
	return 0;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void bind_int_or_null(sqlite3_stmt *st, int i, int v)
{
	if (v >= 0)
		sqlite3_bind_int(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static bool name_ok(const char *v)
{
	return v && *v && strlen(v) < FM_STORE_NAME_MAX;
}

static int check_key(struct fm_store *s, const char *chassis, const char *serial, int pf, int vf)
{
	if (!name_ok(chassis) || !name_ok(serial))
		return arg_fail(s, "binding key needs a chassis and a card serial (1..127 characters)");
	if (pf < 0 || vf < -1)
		return arg_fail(s, "binding key needs pf >= 0 and vf >= -1");
	return 0;
}

static void bind_key(sqlite3_stmt *st, const char *chassis, const char *serial, int pf, int vf)
{
	sqlite3_bind_text(st, 1, chassis, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, serial, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, pf);
	sqlite3_bind_int(st, 4, vf);
}

/* ---- open, migrate, close ------------------------------------------------------------- */

static int read_user_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*version = sqlite3_column_int(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

/* Runs a PRAGMA that answers one text row, e.g. journal_mode; copies the answer. */
static int pragma_text(sqlite3 *db, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(st, 0);
			snprintf(out, outlen, "%s", t ? (const char *)t : "");
			rc = SQLITE_OK;
		} else if (rc == SQLITE_DONE) {
			out[0] = '\0';
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	return rc;
}

static int migrate(struct fm_store *s, int from, char *err, size_t errlen)
{
	for (int v = from; v < FM_STORE_SCHEMA_VERSION; v++) {
		char sql[64];
		int rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

		if (rc == SQLITE_OK)
			rc = sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL);
		if (rc == SQLITE_OK) {
			/* user_version lives in the file header and is part of this transaction. */
			snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
			rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
		}
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			fab_seterr(err, errlen, "%s: migrating schema from version %d to %d: %s", s->path, v,
			    v + 1, sqlite3_errmsg(s->db));
			if (!sqlite3_get_autocommit(s->db))
				sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
			return sqlite_to_errno(rc);
		}
	}
	return 0;
}

static int read_committed_seq(struct fm_store *s, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "SELECT seq FROM sqlite_sequence WHERE name = 'events'", -1,
				    &st, NULL);

	s->committed_seq = 0;
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			s->committed_seq = sqlite3_column_int64(st, 0);
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		fab_seterr(err, errlen, "%s: reading the event sequence: %s", s->path, sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return sqlite_to_errno(rc);
}

int fm_store_open(const char *path, struct fm_store **out, char *err, size_t errlen)
{
	struct fm_store *s = NULL;
	char mode[32], check[256];
	int version = 0;
	int fd, rc, ret;

	if (!path || !*path || !out) {
		fab_seterr(err, errlen, "fm_store_open: no database path");
		return -EINVAL;
	}
	*out = NULL;

	/* Create the file ourselves so the audit log is not world-readable; SQLite gives the
	 * -wal and -shm files the same mode. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		ret = -errno;
		fab_seterr(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return ret;
	}
	close(fd);

	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		fab_seterr(err, errlen, "%s: out of memory", path);
		ret = -ENOMEM;
		goto err_free;
	}

	rc = sqlite3_open_v2(path, &s->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, NULL);
	if (rc != SQLITE_OK) {
		fab_seterr(err, errlen, "%s: cannot open database: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		ret = sqlite_to_errno(rc);
		goto err_free;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	{
		struct stat st;

		if (stat(path, &st)) {
			ret = -errno;
			fab_seterr(err, errlen, "%s: %s", path, strerror(errno));
			goto err_free;
		}
		s->dev = st.st_dev;
		s->ino = st.st_ino;
	}

	/* The first read of the header tells a database from some other file, and the version
	 * check comes before anything (journal mode included) is written. */
	rc = read_user_version(s->db, &version);
	if ((rc & 0xff) == SQLITE_NOTADB) {
		fab_seterr(err, errlen, "%s: not a SQLite database (or encrypted); refusing to use it", path);
		ret = -EBADMSG;
		goto err_free;
	}
	if ((rc & 0xff) == SQLITE_CORRUPT)
		goto corrupt;
	if (rc != SQLITE_OK) {
		fab_seterr(err, errlen, "%s: reading the schema version: %s", path, sqlite3_errmsg(s->db));
		ret = sqlite_to_errno(rc);
		goto err_free;
	}
	if (version > FM_STORE_SCHEMA_VERSION || version < 0) {
		fab_seterr(err, errlen,
		    "%s: schema version %d is newer than this fabricd supports (version %d); "
		    "refusing to open it (upgrade fabricd or restore an older state file)",
		    path, version, FM_STORE_SCHEMA_VERSION);
		ret = -ENOTSUP;
		goto err_free;
	}

	/* Before anything is written: a truncated or damaged file is refused whole at startup,
	 * not found out by a later write or, worse, by a read that silently misses rows.
	 * quick_check reads every page once (O(size), startup only). */
	rc = pragma_text(s->db, "PRAGMA quick_check(1)", check, sizeof(check));
	for (char *c = check; *c; c++) /* the error stays one line */
		if (*c == '\n')
			*c = ' ';
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc == SQLITE_OK && strcmp(check, "ok") != 0))
		goto corrupt;
	if (rc != SQLITE_OK) {
		fab_seterr(err, errlen, "%s: checking the database: %s", path, sqlite3_errmsg(s->db));
		ret = sqlite_to_errno(rc);
		goto err_free;
	}

	rc = pragma_text(s->db, "PRAGMA journal_mode = WAL", mode, sizeof(mode));
	if (rc != SQLITE_OK || strcmp(mode, "wal") != 0) {
		fab_seterr(err, errlen, "%s: cannot switch to WAL journal mode: %s", path,
		    rc != SQLITE_OK ? sqlite3_errmsg(s->db) : mode);
		ret = rc != SQLITE_OK ? sqlite_to_errno(rc) : -EIO;
		goto err_free;
	}
	/* FULL: in WAL mode every COMMIT fsyncs the WAL, so an acknowledged write survives a
	 * power cut, not only a process crash. */
	rc = sqlite3_exec(s->db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", NULL, NULL,
			  NULL);
	if (rc != SQLITE_OK) {
		fab_seterr(err, errlen, "%s: setting pragmas: %s", path, sqlite3_errmsg(s->db));
		ret = sqlite_to_errno(rc);
		goto err_free;
	}

	ret = migrate(s, version, err, errlen);
	if (ret)
		goto err_free;

	for (int i = 0; i < ST_COUNT; i++) {
		rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->st[i],
					NULL);
		if (rc != SQLITE_OK) {
			fab_seterr(err, errlen, "%s: preparing \"%s\": %s", path, stmt_sql[i],
			    sqlite3_errmsg(s->db));
			ret = sqlite_to_errno(rc);
			goto err_free;
		}
	}

	ret = read_committed_seq(s, err, errlen);
	if (ret)
		goto err_free;

	*out = s;
	return 0;

corrupt:
	fab_seterr(err, errlen,
	    "%s: the database is corrupt or truncated (%s); refusing to use it "
	    "(restore a backup, or move it aside to start with no intents)",
	    path, rc == SQLITE_OK ? check : sqlite3_errmsg(s->db));
	ret = -EBADMSG;
err_free:
	if (s) {
		for (int i = 0; i < ST_COUNT; i++)
			sqlite3_finalize(s->st[i]);
		sqlite3_close(s->db);
		free(s->path);
		free(s);
	}
	return ret;
}

void fm_store_close(struct fm_store *s)
{
	if (!s)
		return;
	/* A graceful shutdown keeps what was staged, and every done callback runs exactly once. */
	fm_store_flush(s);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->db);
	free(s->staged);
	free(s->path);
	free(s);
}

const char *fm_store_last_error(const struct fm_store *s)
{
	return s ? s->errmsg : "";
}

/* ---- batches -------------------------------------------------------------------------- */

/* Whether the path still names the file that was opened. Writes to a file deleted (or
 * replaced, e.g. a backup restored over it) while open would be acknowledged and then lost
 * at the next start: from then on the store takes no more writes (issue 19). */
static int check_file(struct fm_store *s)
{
	struct stat st;

	if (s->unavailable)
		return s->unavailable;
	if (stat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
		return 0;
	s->unavailable = -ESTALE;
	return s->unavailable;
}

static int unavailable_fail(struct fm_store *s)
{
	snprintf(s->errmsg, sizeof(s->errmsg),
		 "%s: the database file was deleted or replaced while fabricd ran; no change is "
		 "stored any more (restart fabricd to open the file now there)", s->path);
	return s->unavailable;
}

int fm_store_available(const struct fm_store *s)
{
	return s ? s->unavailable : -EINVAL;
}

bool fm_store_error_unavailable(int rc)
{
	/* the file or its disk failed, not the request: another try (after the operator acts)
	 * may work; -EEXIST, -ENOENT, -EINVAL, -ENOMEM are the daemon's own errors */
	switch (-rc) {
	case ESTALE: case EFBIG: case ENOSPC: case EDQUOT: case EIO: case EROFS: case EACCES:
	case EBUSY: case EBADMSG:
		return true;
	default:
		return false;
	}
}

/* Before a write: room for its completion, and the batch's transaction open. */
static int stage_begin(struct fm_store *s)
{
	int ret;

	if (s->unavailable)
		return unavailable_fail(s);
	if (s->poisoned) {
		snprintf(s->errmsg, sizeof(s->errmsg),
			 "%s: the current batch was aborted; flush before writing again", s->path);
		return s->poisoned;
	}
	if (s->nstaged == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct staged *n = realloc(s->staged, cap * sizeof(*n));

		if (!n) {
			snprintf(s->errmsg, sizeof(s->errmsg), "out of memory");
			return -ENOMEM;
		}
		s->staged = n;
		s->cap = cap;
	}
	if (!s->in_txn) {
		ret = run(s, ST_BEGIN, "beginning a batch");
		if (ret)
			return ret;
		s->in_txn = true;
	}
	return 0;
}

/* After a write's statement ran with result ret (0 or negative). */
static int stage_end(struct fm_store *s, int ret, fm_store_done_fn done, void *arg,
		     int64_t *seq_out, int64_t seq)
{
	if (ret == 0) {
		s->staged[s->nstaged++] = (struct staged){ done, arg, seq_out, seq };
		return 0;
	}
	if (s->in_txn && sqlite3_get_autocommit(s->db)) {
		/* SQLite rolled the whole transaction back (I/O error, disk full): every write
		 * staged so far is lost, which the flush must report to each of them. */
		s->in_txn = false;
		if (s->nstaged)
			s->poisoned = ret;
	} else if (s->in_txn && s->nstaged == 0) {
		/* Nothing to keep: release the write lock instead of holding it until the flush. */
		sqlite3_step(s->st[ST_ROLLBACK]);
		sqlite3_reset(s->st[ST_ROLLBACK]);
		s->in_txn = false;
	}
	return ret;
}

size_t fm_store_pending(const struct fm_store *s)
{
	return s ? s->nstaged : 0;
}

uint64_t fm_store_commits(const struct fm_store *s)
{
	return s ? s->commits : 0;
}

int fm_store_flush(struct fm_store *s)
{
	struct staged *batch;
	size_t n;
	int ret = 0;

	if (!s)
		return -EINVAL;
	if (!s->in_txn && !s->nstaged && !s->poisoned)
		return 0;

	if (s->poisoned) {
		ret = s->poisoned;
	} else if (s->in_txn && check_file(s)) {
		/* checked before COMMIT: nothing is acknowledged into a file no one will read */
		ret = unavailable_fail(s);
		sqlite3_step(s->st[ST_ROLLBACK]);
		sqlite3_reset(s->st[ST_ROLLBACK]);
	} else if (s->in_txn) {
		ret = run(s, ST_COMMIT, "committing a batch");
		if (!ret)
			s->commits++;
		if (ret && !sqlite3_get_autocommit(s->db)) {
			sqlite3_step(s->st[ST_ROLLBACK]);
			sqlite3_reset(s->st[ST_ROLLBACK]);
		}
	}
	s->in_txn = false;
	s->poisoned = 0;

	/* Detach the batch first: a callback may stage the next batch's writes. */
	batch = s->staged;
	n = s->nstaged;
	s->staged = NULL;
	s->nstaged = s->cap = 0;

	for (size_t i = 0; i < n; i++) {
		if (batch[i].seq && !ret && batch[i].seq > s->committed_seq)
			s->committed_seq = batch[i].seq;
	}
	for (size_t i = 0; i < n; i++) {
		if (batch[i].seq_out)
			*batch[i].seq_out = ret ? 0 : batch[i].seq;
		if (batch[i].done)
			batch[i].done(batch[i].arg, ret);
	}
	free(batch);
	return ret;
}

/* ---- writes --------------------------------------------------------------------------- */

int fm_store_binding_put(struct fm_store *s, const struct fm_store_binding *b,
			 fm_store_done_fn done, void *arg)
{
	sqlite3_stmt *st;
	int ret;

	if (!s || !b)
		return -EINVAL;
	/* The caller's arrays may lack a NUL if it filled all of them. */
	if (!memchr(b->chassis, 0, FM_STORE_NAME_MAX) || !memchr(b->card_serial, 0, FM_STORE_NAME_MAX) ||
	    !memchr(b->host, 0, FM_STORE_NAME_MAX))
		return arg_fail(s, "binding names are not NUL-terminated");
	ret = check_key(s, b->chassis, b->card_serial, b->pf, b->vf);
	if (ret)
		return ret;
	if (!name_ok(b->host) || b->vppb < -1 || !fm_store_state_name(b->state))
		return arg_fail(s, "binding needs a host (1..127 characters), vppb >= -1, a valid state");

	ret = stage_begin(s);
	if (ret)
		return ret;
	st = s->st[ST_BINDING_PUT];
	bind_key(st, b->chassis, b->card_serial, b->pf, b->vf);
	sqlite3_bind_text(st, 5, b->host, -1, SQLITE_STATIC);
	bind_int_or_null(st, 6, b->vppb);
	sqlite3_bind_text(st, 7, state_names[b->state], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, now_ms());
	sqlite3_bind_int64(st, 9, b->min_mbps);
	sqlite3_bind_int64(st, 10, b->max_mbps);
	ret = run(s, ST_BINDING_PUT, "storing a binding");
	return stage_end(s, ret, done, arg, NULL, 0);
}

/* set_state and delete: the key must match a row, else nothing is staged. */
static int keyed_write(struct fm_store *s, enum stmt_id id, const struct fm_store_key *k,
		       const char *state, fm_store_done_fn done, void *arg)
{
	sqlite3_stmt *st;
	int ret;

	if (!s || !k)
		return -EINVAL;
	ret = check_key(s, k->chassis, k->card_serial, k->pf, k->vf);
	if (ret)
		return ret;
	ret = stage_begin(s);
	if (ret)
		return ret;
	st = s->st[id];
	bind_key(st, k->chassis, k->card_serial, k->pf, k->vf);
	if (state) {
		sqlite3_bind_text(st, 5, state, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, now_ms());
	}
	ret = run(s, id, id == ST_BINDING_DELETE ? "deleting a binding" : "updating a binding");
	if (!ret && sqlite3_changes(s->db) == 0) {
		snprintf(s->errmsg, sizeof(s->errmsg), "no binding for %s:%s/pf%d vf %d", k->chassis,
			 k->card_serial, k->pf, k->vf);
		ret = -ENOENT;
	}
	return stage_end(s, ret, done, arg, NULL, 0);
}

int fm_store_binding_set_state(struct fm_store *s, const struct fm_store_key *k,
			       enum fm_store_state state, fm_store_done_fn done, void *arg)
{
	const char *name = fm_store_state_name(state);

	if (!s)
		return -EINVAL;
	if (!name)
		return arg_fail(s, "invalid binding state");
	return keyed_write(s, ST_BINDING_SET_STATE, k, name, done, arg);
}

int fm_store_binding_delete(struct fm_store *s, const struct fm_store_key *k,
			    fm_store_done_fn done, void *arg)
{
	return keyed_write(s, ST_BINDING_DELETE, k, NULL, done, arg);
}

int fm_store_audit_append(struct fm_store *s, const struct fm_store_audit *a,
			  fm_store_done_fn done, void *arg)
{
	sqlite3_stmt *st;
	int ret;

	if (!s || !a)
		return -EINVAL;
	if (!a->method || !a->result)
		return arg_fail(s, "audit record needs a method and a result");
	ret = stage_begin(s);
	if (ret)
		return ret;
	st = s->st[ST_AUDIT_APPEND];
	sqlite3_bind_int64(st, 1, a->time_ms ? a->time_ms : now_ms());
	sqlite3_bind_int64(st, 2, (int64_t)a->uid);
	sqlite3_bind_int64(st, 3, (int64_t)a->pid);
	sqlite3_bind_int64(st, 4, (int64_t)a->gid);
	sqlite3_bind_text(st, 5, a->method, -1, SQLITE_STATIC);
	bind_text_or_null(st, 6, a->params);
	sqlite3_bind_text(st, 7, a->result, -1, SQLITE_STATIC);
	bind_text_or_null(st, 8, a->message);
	ret = run(s, ST_AUDIT_APPEND, "appending an audit record");
	if (!ret)
		s->audit_id = sqlite3_last_insert_rowid(s->db);
	return stage_end(s, ret, done, arg, NULL, 0);
}

int64_t fm_store_audit_last_id(const struct fm_store *s)
{
	return s ? s->audit_id : 0;
}

int fm_store_audit_set_result(struct fm_store *s, int64_t id, const char *result,
			      const char *message, fm_store_done_fn done, void *arg)
{
	sqlite3_stmt *st;
	int ret;

	if (!s)
		return -EINVAL;
	if (id <= 0 || !result)
		return arg_fail(s, "audit result needs a record id and a result");
	ret = stage_begin(s);
	if (ret)
		return ret;
	st = s->st[ST_AUDIT_SET_RESULT];
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, result, -1, SQLITE_STATIC);
	bind_text_or_null(st, 3, message);
	ret = run(s, ST_AUDIT_SET_RESULT, "updating an audit record");
	if (!ret && sqlite3_changes(s->db) == 0) {
		snprintf(s->errmsg, sizeof(s->errmsg), "no audit record %" PRId64, id);
		ret = -ENOENT;
	}
	return stage_end(s, ret, done, arg, NULL, 0);
}

int fm_store_event_append(struct fm_store *s, const struct fm_store_event *e, int64_t *seq_out,
			  fm_store_done_fn done, void *arg)
{
	sqlite3_stmt *st;
	int64_t seq = 0;
	int ret;

	if (!s || !e)
		return -EINVAL;
	if (!e->name || !*e->name)
		return arg_fail(s, "event needs a name");
	if (seq_out)
		*seq_out = 0;
	ret = stage_begin(s);
	if (ret)
		return ret;
	st = s->st[ST_EVENT_APPEND];
	sqlite3_bind_int64(st, 1, e->time_ms ? e->time_ms : now_ms());
	sqlite3_bind_text(st, 2, e->name, -1, SQLITE_STATIC);
	bind_text_or_null(st, 3, e->chassis);
	bind_int_or_null(st, 4, e->slot);
	bind_text_or_null(st, 5, e->card);
	bind_text_or_null(st, 6, e->function);
	bind_text_or_null(st, 7, e->host);
	bind_int_or_null(st, 8, e->vppb);
	bind_text_or_null(st, 9, e->detail);
	bind_text_or_null(st, 10, e->serial);
	bind_text_or_null(st, 11, e->vendor);
	bind_text_or_null(st, 12, e->device);
	ret = run(s, ST_EVENT_APPEND, "appending an event");
	/* Provisional until COMMIT: kept in the staged entry, published by the flush. */
	if (!ret)
		seq = sqlite3_last_insert_rowid(s->db);
	return stage_end(s, ret, done, arg, seq_out, seq);
}

static int prune_table(struct fm_store *s, enum stmt_id id, int64_t keep, int64_t cutoff_ms,
		       unsigned batch, int *deleted)
{
	sqlite3_stmt *st = s->st[id];
	int ret;

	if (keep > 0)
		sqlite3_bind_int64(st, 1, keep);
	else
		sqlite3_bind_null(st, 1);
	sqlite3_bind_int64(st, 2, cutoff_ms);
	sqlite3_bind_int64(st, 3, batch);
	ret = run(s, id, id == ST_AUDIT_PRUNE ? "pruning the audit log" : "pruning the event log");
	if (!ret)
		*deleted += sqlite3_changes(s->db);
	return ret;
}

int fm_store_prune(struct fm_store *s, const struct fm_store_retention *r, int64_t now_ms,
		   unsigned batch, fm_store_done_fn done, void *arg)
{
	int64_t cutoff = r && r->max_age_ms > 0 ? now_ms - r->max_age_ms : 0;
	int ret, n = 0;

	if (!s || !r || !batch)
		return -EINVAL;
	if (r->audit_rows <= 0 && r->event_rows <= 0 && r->max_age_ms <= 0)
		return 0;
	ret = stage_begin(s);
	if (ret)
		return ret;
	ret = prune_table(s, ST_AUDIT_PRUNE, r->audit_rows, cutoff, batch, &n);
	if (!ret)
		ret = prune_table(s, ST_EVENT_PRUNE, r->event_rows, cutoff, batch, &n);
	if (!ret && n == 0) {
		/* nothing to delete: a write that staged nothing (the lock is released) */
		if (s->in_txn && s->nstaged == 0) {
			sqlite3_step(s->st[ST_ROLLBACK]);
			sqlite3_reset(s->st[ST_ROLLBACK]);
			s->in_txn = false;
		}
		return 0;
	}
	ret = stage_end(s, ret, done, arg, NULL, 0);
	return ret ? ret : n;
}

/* ---- reads ---------------------------------------------------------------------------- */

static void copy_col(char *dst, size_t len, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(dst, len, "%s", t ? (const char *)t : "");
}

static const char *col_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

static int col_int_or_neg(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? -1 : sqlite3_column_int(st, col);
}

static void row_to_binding(sqlite3_stmt *st, struct fm_store_binding *b)
{
	const char *state = col_text(st, 6);

	memset(b, 0, sizeof(*b));
	copy_col(b->chassis, sizeof(b->chassis), st, 0);
	copy_col(b->card_serial, sizeof(b->card_serial), st, 1);
	b->pf = sqlite3_column_int(st, 2);
	b->vf = sqlite3_column_int(st, 3);
	copy_col(b->host, sizeof(b->host), st, 4);
	b->vppb = col_int_or_neg(st, 5);
	/* The table's CHECK admits only the four names. */
	if (fm_store_state_parse(state, &b->state))
		b->state = FM_STORE_DETACHED;
	b->created_ms = sqlite3_column_int64(st, 7);
	b->updated_ms = sqlite3_column_int64(st, 8);
	/* the table's CHECK keeps both within u32 */
	b->min_mbps = (uint32_t)sqlite3_column_int64(st, 9);
	b->max_mbps = (uint32_t)sqlite3_column_int64(st, 10);
}

int fm_store_binding_get(struct fm_store *s, const struct fm_store_key *k,
			 struct fm_store_binding *out)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (!s || !k || !out)
		return -EINVAL;
	ret = check_key(s, k->chassis, k->card_serial, k->pf, k->vf);
	if (ret)
		return ret;
	st = s->st[ST_BINDING_GET];
	bind_key(st, k->chassis, k->card_serial, k->pf, k->vf);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		row_to_binding(st, out);
		ret = 0;
	} else if (rc == SQLITE_DONE) {
		ret = -ENOENT;
	} else {
		ret = db_fail(s, rc, "reading a binding");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

/* Steps a prepared query, calling row() per row until it returns non-zero. */
static int walk(struct fm_store *s, enum stmt_id id, int (*row)(sqlite3_stmt *st, void *ctx),
		void *ctx, const char *what)
{
	sqlite3_stmt *st = s->st[id];
	int rc, ret = 0;

	/* A callback that reads the store again would re-enter this statement. */
	if (sqlite3_stmt_busy(st))
		return arg_fail(s, "list called again from its own callback");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ret = row(st, ctx);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = db_fail(s, rc, what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

struct binding_walk {
	fm_store_binding_fn cb;
	void *arg;
};

static int binding_row(sqlite3_stmt *st, void *ctx)
{
	struct binding_walk *w = ctx;
	struct fm_store_binding b;

	row_to_binding(st, &b);
	return w->cb(w->arg, &b);
}

int fm_store_binding_list(struct fm_store *s, fm_store_binding_fn cb, void *arg)
{
	struct binding_walk w = { cb, arg };

	if (!s || !cb)
		return -EINVAL;
	return walk(s, ST_BINDING_LIST, binding_row, &w, "listing bindings");
}

int fm_store_binding_list_host(struct fm_store *s, const char *host, fm_store_binding_fn cb,
			       void *arg)
{
	struct binding_walk w = { cb, arg };

	if (!s || !host || !cb)
		return -EINVAL;
	if (!sqlite3_stmt_busy(s->st[ST_BINDING_LIST_HOST]))
		sqlite3_bind_text(s->st[ST_BINDING_LIST_HOST], 1, host, -1, SQLITE_STATIC);
	return walk(s, ST_BINDING_LIST_HOST, binding_row, &w, "listing a host's bindings");
}

int fm_store_binding_list_chassis(struct fm_store *s, const char *chassis,
				  fm_store_binding_fn cb, void *arg)
{
	struct binding_walk w = { cb, arg };

	if (!s || !chassis || !cb)
		return -EINVAL;
	if (!sqlite3_stmt_busy(s->st[ST_BINDING_LIST_CHASSIS]))
		sqlite3_bind_text(s->st[ST_BINDING_LIST_CHASSIS], 1, chassis, -1, SQLITE_STATIC);
	return walk(s, ST_BINDING_LIST_CHASSIS, binding_row, &w, "listing a chassis's bindings");
}

struct audit_walk {
	fm_store_audit_fn cb;
	void *arg;
};

static int audit_row(sqlite3_stmt *st, void *ctx)
{
	struct audit_walk *w = ctx;
	struct fm_store_audit a = {
		.id = sqlite3_column_int64(st, 0),
		.time_ms = sqlite3_column_int64(st, 1),
		.uid = (uid_t)sqlite3_column_int64(st, 2),
		.pid = (pid_t)sqlite3_column_int64(st, 3),
		.gid = (gid_t)sqlite3_column_int64(st, 4),
		.method = col_text(st, 5),
		.params = col_text(st, 6),
		.result = col_text(st, 7),
		.message = col_text(st, 8),
	};

	return w->cb(w->arg, &a);
}

/* SQLite reads a negative LIMIT as "no limit". */
static int64_t sql_limit(size_t limit)
{
	return limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit;
}

int fm_store_audit_list(struct fm_store *s, int64_t since_ms, size_t limit, fm_store_audit_fn cb,
			void *arg)
{
	struct audit_walk w = { cb, arg };
	sqlite3_stmt *st;

	if (!s || !cb)
		return -EINVAL;
	st = s->st[ST_AUDIT_LIST];
	if (!sqlite3_stmt_busy(st)) {
		sqlite3_bind_int64(st, 1, since_ms);
		sqlite3_bind_int64(st, 2, sql_limit(limit));
	}
	return walk(s, ST_AUDIT_LIST, audit_row, &w, "listing the audit log");
}

struct event_walk {
	fm_store_event_fn cb;
	void *arg;
};

static int event_row(sqlite3_stmt *st, void *ctx)
{
	struct event_walk *w = ctx;
	struct fm_store_event e = {
		.seq = sqlite3_column_int64(st, 0),
		.time_ms = sqlite3_column_int64(st, 1),
		.name = col_text(st, 2),
		.chassis = col_text(st, 3),
		.slot = col_int_or_neg(st, 4),
		.card = col_text(st, 5),
		.function = col_text(st, 6),
		.host = col_text(st, 7),
		.vppb = col_int_or_neg(st, 8),
		.detail = col_text(st, 9),
		.serial = col_text(st, 10),
		.vendor = col_text(st, 11),
		.device = col_text(st, 12),
	};

	return w->cb(w->arg, &e);
}

int fm_store_event_list(struct fm_store *s, int64_t since_seq, size_t limit, fm_store_event_fn cb,
			void *arg)
{
	struct event_walk w = { cb, arg };
	sqlite3_stmt *st;

	if (!s || !cb)
		return -EINVAL;
	st = s->st[ST_EVENT_LIST];
	if (!sqlite3_stmt_busy(st)) {
		sqlite3_bind_int64(st, 1, since_seq);
		sqlite3_bind_int64(st, 2, s->committed_seq);
		sqlite3_bind_int64(st, 3, sql_limit(limit));
	}
	return walk(s, ST_EVENT_LIST, event_row, &w, "listing events");
}

int64_t fm_store_event_last_seq(const struct fm_store *s)
{
	return s ? s->committed_seq : 0;
}

/* ---- hook delivery --------------------------------------------------------------------- */

int fm_store_hook_mark_get(struct fm_store *s, const char *hook, int64_t *seq)
{
	sqlite3_stmt *st;
	int rc, ret;

	if (!s || !hook || !seq)
		return -EINVAL;
	st = s->st[ST_HOOK_MARK_GET];
	sqlite3_bind_text(st, 1, hook, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		ret = 0;
	} else if (rc == SQLITE_DONE) {
		ret = -ENOENT;
	} else {
		ret = db_fail(s, rc, "reading a hook's delivery mark");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

int fm_store_hook_mark_put(struct fm_store *s, const char *hook, int64_t seq,
			   fm_store_done_fn done, void *arg)
{
	sqlite3_stmt *st;
	int ret;

	if (!s)
		return -EINVAL;
	if (!hook || !*hook || seq < 0)
		return arg_fail(s, "hook mark needs a hook name and seq >= 0");
	ret = stage_begin(s);
	if (ret)
		return ret;
	st = s->st[ST_HOOK_MARK_PUT];
	sqlite3_bind_text(st, 1, hook, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, seq);
	ret = run(s, ST_HOOK_MARK_PUT, "storing a hook's delivery mark");
	return stage_end(s, ret, done, arg, NULL, 0);
}

int fm_store_hook_run_start(struct fm_store *s, const struct fm_store_hook_run *r,
			    int64_t *id_out, fm_store_done_fn done, void *arg)
{
	sqlite3_stmt *st;
	int ret;

	if (!s || !r)
		return -EINVAL;
	if (!r->hook || !*r->hook || !r->event || !*r->event || r->seq < 0 ||
	    (unsigned)r->kind >= sizeof(run_kinds) / sizeof(run_kinds[0]))
		return arg_fail(s, "hook run needs a hook, an event, seq >= 0 and a kind");
	ret = stage_begin(s);
	if (ret)
		return ret;
	st = s->st[ST_HOOK_RUN_START];
	sqlite3_bind_text(st, 1, r->hook, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, r->seq);
	sqlite3_bind_text(st, 3, r->event, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, r->started_ms ? r->started_ms : now_ms());
	sqlite3_bind_int(st, 5, r->redelivery);
	sqlite3_bind_text(st, 6, run_kinds[r->kind], -1, SQLITE_STATIC);
	ret = run(s, ST_HOOK_RUN_START, "recording a hook run");
	/* the row id is final: a rollback reports failure to done, and then id_out is unused */
	if (!ret && id_out)
		*id_out = sqlite3_last_insert_rowid(s->db);
	return stage_end(s, ret, done, arg, NULL, 0);
}

int fm_store_hook_run_finish(struct fm_store *s, const struct fm_store_hook_run *r,
			     fm_store_done_fn done, void *arg)
{
	sqlite3_stmt *st;
	int ret;

	if (!s || !r)
		return -EINVAL;
	if (r->id <= 0 || r->duration_ms < 0)
		return arg_fail(s, "hook run result needs the run's id and a duration");
	ret = stage_begin(s);
	if (ret)
		return ret;
	st = s->st[ST_HOOK_RUN_FINISH];
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_int64(st, 2, r->duration_ms);
	bind_int_or_null(st, 3, r->exit_code);
	bind_int_or_null(st, 4, r->signal > 0 ? r->signal : -1);
	sqlite3_bind_int(st, 5, r->timed_out);
	sqlite3_bind_int(st, 6, r->truncated);
	sqlite3_bind_int64(st, 7, r->dropped);
	ret = run(s, ST_HOOK_RUN_FINISH, "recording a hook run's result");
	if (!ret && sqlite3_changes(s->db) == 0) {
		snprintf(s->errmsg, sizeof(s->errmsg), "no hook run %" PRId64, r->id);
		ret = -ENOENT;
	}
	return stage_end(s, ret, done, arg, NULL, 0);
}

struct run_walk {
	fm_store_hook_run_fn cb;
	void *arg;
};

static int run_row(sqlite3_stmt *st, void *ctx)
{
	struct run_walk *w = ctx;
	const char *kind = col_text(st, 12);
	struct fm_store_hook_run r = {
		.id = sqlite3_column_int64(st, 0),
		.hook = col_text(st, 1),
		.seq = sqlite3_column_int64(st, 2),
		.event = col_text(st, 3),
		.started_ms = sqlite3_column_int64(st, 4),
		.duration_ms = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 5),
		.exit_code = col_int_or_neg(st, 6),
		.signal = sqlite3_column_type(st, 7) == SQLITE_NULL ? 0 : sqlite3_column_int(st, 7),
		.timed_out = sqlite3_column_int(st, 8) != 0,
		.truncated = sqlite3_column_int(st, 9) != 0,
		.dropped = sqlite3_column_int64(st, 10),
		.redelivery = sqlite3_column_int(st, 11) != 0,
	};

	for (size_t i = 0; kind && i < sizeof(run_kinds) / sizeof(run_kinds[0]); i++)
		if (!strcmp(kind, run_kinds[i]))
			r.kind = (enum fm_store_run_kind)i;
	return w->cb(w->arg, &r);
}

int fm_store_hook_run_list(struct fm_store *s, int64_t since_seq, int64_t after_id, size_t limit,
			   fm_store_hook_run_fn cb, void *arg)
{
	struct run_walk w = { cb, arg };
	sqlite3_stmt *st;

	if (!s || !cb)
		return -EINVAL;
	st = s->st[ST_HOOK_RUN_LIST];
	if (!sqlite3_stmt_busy(st)) {
		sqlite3_bind_int64(st, 1, since_seq);
		sqlite3_bind_int64(st, 2, after_id);
		sqlite3_bind_int64(st, 3, sql_limit(limit));
	}
	return walk(s, ST_HOOK_RUN_LIST, run_row, &w, "listing hook runs");
}

const char *fm_store_run_kind_name(enum fm_store_run_kind k)
{
	if ((unsigned)k >= sizeof(run_kinds) / sizeof(run_kinds[0]))
		return NULL;
	return run_kinds[k];
}

const char *fm_store_state_name(enum fm_store_state state)
{
	if ((unsigned)state >= sizeof(state_names) / sizeof(state_names[0]))
		return NULL;
	return state_names[state];
}

int fm_store_state_parse(const char *name, enum fm_store_state *out)
{
	if (!name || !out)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum fm_store_state)i;
			return 0;
		}
	}
	return -EINVAL;
}
