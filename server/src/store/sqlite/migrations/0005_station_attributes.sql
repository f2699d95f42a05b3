-- Station attributes (area, kind, coordinates) and totals split by them; per-station
-- assessments, so statements count distinct stations. The totals are derived data: they are
-- rebuilt in new tables and recounted from the stored revisions at the next start
-- (`recount_pending`), so the counting rules stay in Rust, never in this file.
ALTER TABLE stations ADD COLUMN area TEXT NOT NULL DEFAULT '';
ALTER TABLE stations ADD COLUMN kind TEXT NOT NULL DEFAULT 'regular';
ALTER TABLE stations ADD COLUMN latitude REAL;
ALTER TABLE stations ADD COLUMN longitude REAL;

ALTER TABLE submissions ADD COLUMN area TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN kind TEXT NOT NULL DEFAULT 'regular';

DROP TABLE tally_assessments;
CREATE TABLE tally_assessments (
    form_id          TEXT NOT NULL,
    stage            TEXT NOT NULL,
    region           TEXT NOT NULL,
    area             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    hour             TEXT NOT NULL,
    checklists       INTEGER NOT NULL DEFAULT 0,
    assessed         INTEGER NOT NULL DEFAULT 0,
    negative         INTEGER NOT NULL DEFAULT 0,
    access_answered  INTEGER NOT NULL DEFAULT 0,
    restricted       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (form_id, region, area, kind, hour)
) WITHOUT ROWID;

DROP TABLE tally_findings;
CREATE TABLE tally_findings (
    form_id      TEXT NOT NULL,
    question_id  TEXT NOT NULL,
    region       TEXT NOT NULL,
    area         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    hour         TEXT NOT NULL,
    answered     INTEGER NOT NULL DEFAULT 0,
    concern      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (form_id, question_id, region, area, kind, hour)
) WITHOUT ROWID;

DROP TABLE tally_arrivals;
CREATE TABLE tally_arrivals (
    hour        TEXT NOT NULL,
    form_id     TEXT NOT NULL,
    region      TEXT NOT NULL,
    area        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    stage       TEXT NOT NULL,
    checklists  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, form_id, region, area, kind)
) WITHOUT ROWID;

DELETE FROM station_visits;
ALTER TABLE station_visits ADD COLUMN assessed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE station_visits ADD COLUMN negative INTEGER NOT NULL DEFAULT 0;

DELETE FROM critical_findings;
ALTER TABLE critical_findings ADD COLUMN area TEXT NOT NULL DEFAULT '';
ALTER TABLE critical_findings ADD COLUMN kind TEXT NOT NULL DEFAULT 'regular';

-- A row here makes the server recount every total before it serves (`rebuild_tallies`
-- empties it); a database without checklists has nothing to recount.
CREATE TABLE recount_pending (reason TEXT NOT NULL);
INSERT INTO recount_pending (reason)
  SELECT 'totals split by station area and kind (schema 5)' WHERE EXISTS (SELECT 1 FROM submissions);
