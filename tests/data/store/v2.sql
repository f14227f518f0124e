-- A schema-2 intent store as fabricd wrote it before QoS (commit 77ca51a), two bindings; sqlite3 .dump.
-- tests/unit/test_intent_store.c loads it and checks the migration to the current schema.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE bindings (  chassis     TEXT    NOT NULL,  card_serial TEXT    NOT NULL,  pf          INTEGER NOT NULL CHECK (pf >= 0),  vf          INTEGER NOT NULL CHECK (vf >= -1),  host        TEXT    NOT NULL,  vppb        INTEGER CHECK (vppb IS NULL OR vppb >= 0),  state       TEXT    NOT NULL              CHECK (state IN ('binding', 'bound', 'unbinding', 'detached')),  created     INTEGER NOT NULL,  updated     INTEGER NOT NULL,  PRIMARY KEY (chassis, card_serial, pf, vf));
INSERT INTO bindings VALUES('rack1','00-1b-21-ff-ff-2b-46-e0',0,3,'web1',0,'bound',1796360876746,1796360876746);
INSERT INTO bindings VALUES('rack1','00-02-c9-ff-ff-00-ab-cd',1,-1,'web2',NULL,'detached',1796360876746,1796360876746);
CREATE TABLE audit (  id      INTEGER PRIMARY KEY,  time    INTEGER NOT NULL,  uid     INTEGER NOT NULL,  pid     INTEGER NOT NULL,  gid     INTEGER NOT NULL,  method  TEXT    NOT NULL,  params  TEXT    CHECK (params IS NULL OR json_valid(params)),  result  TEXT    NOT NULL,  message TEXT);
CREATE TABLE events (  seq      INTEGER PRIMARY KEY AUTOINCREMENT,  time     INTEGER NOT NULL,  name     TEXT    NOT NULL,  chassis  TEXT,  slot     INTEGER,  card     TEXT,  function TEXT,  host     TEXT,  vppb     INTEGER,  detail   TEXT    CHECK (detail IS NULL OR json_valid(detail)), serial TEXT, vendor TEXT, device TEXT);
CREATE TABLE hook_marks (  hook TEXT    PRIMARY KEY,  seq  INTEGER NOT NULL CHECK (seq >= 0));
CREATE TABLE hook_runs (  id          INTEGER PRIMARY KEY,  hook        TEXT    NOT NULL,  seq         INTEGER NOT NULL CHECK (seq >= 0),  event       TEXT    NOT NULL,  started     INTEGER NOT NULL,  duration_ms INTEGER,  exit_code   INTEGER,  signal      INTEGER,  timed_out   INTEGER NOT NULL DEFAULT 0,  truncated   INTEGER NOT NULL DEFAULT 0,  dropped     INTEGER NOT NULL DEFAULT 0,  redelivery  INTEGER NOT NULL DEFAULT 0,  kind        TEXT    NOT NULL CHECK (kind IN ('notify', 'veto', 'test')));
DELETE FROM sqlite_sequence;
CREATE UNIQUE INDEX bindings_vppb ON bindings (chassis, host, vppb);
CREATE INDEX bindings_host ON bindings (host);
CREATE INDEX audit_time ON audit (time);
CREATE INDEX hook_runs_seq ON hook_runs (seq);
COMMIT;
PRAGMA user_version = 2;
