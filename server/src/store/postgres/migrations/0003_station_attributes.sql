-- Station attributes (area, kind, coordinates) and totals split by them; per-station
-- assessments, so statements count distinct stations. The totals are derived data: they are
-- emptied here and recounted from the stored revisions at the next start
-- (`recount_pending`), so the counting rules stay in Rust, never in this file.
ALTER TABLE stations ADD COLUMN area TEXT NOT NULL DEFAULT '';
ALTER TABLE stations ADD COLUMN kind TEXT NOT NULL DEFAULT 'regular';
ALTER TABLE stations ADD COLUMN latitude DOUBLE PRECISION;
ALTER TABLE stations ADD COLUMN longitude DOUBLE PRECISION;

ALTER TABLE submissions ADD COLUMN area TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN kind TEXT NOT NULL DEFAULT 'regular';

DELETE FROM tally_assessments;
ALTER TABLE tally_assessments ADD COLUMN area TEXT NOT NULL DEFAULT '';
ALTER TABLE tally_assessments ADD COLUMN kind TEXT NOT NULL DEFAULT 'regular';
ALTER TABLE tally_assessments DROP CONSTRAINT tally_assessments_pkey;
ALTER TABLE tally_assessments ADD PRIMARY KEY (form_id, region, area, kind, hour);

DELETE FROM tally_findings;
ALTER TABLE tally_findings ADD COLUMN area TEXT NOT NULL DEFAULT '';
ALTER TABLE tally_findings ADD COLUMN kind TEXT NOT NULL DEFAULT 'regular';
ALTER TABLE tally_findings DROP CONSTRAINT tally_findings_pkey;
ALTER TABLE tally_findings ADD PRIMARY KEY (form_id, question_id, region, area, kind, hour);

DELETE FROM tally_arrivals;
ALTER TABLE tally_arrivals ADD COLUMN area TEXT NOT NULL DEFAULT '';
ALTER TABLE tally_arrivals ADD COLUMN kind TEXT NOT NULL DEFAULT 'regular';
ALTER TABLE tally_arrivals DROP CONSTRAINT tally_arrivals_pkey;
ALTER TABLE tally_arrivals ADD PRIMARY KEY (hour, form_id, region, area, kind);

DELETE FROM station_visits;
ALTER TABLE station_visits ADD COLUMN assessed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE station_visits ADD COLUMN negative BIGINT NOT NULL DEFAULT 0;

DELETE FROM critical_findings;
ALTER TABLE critical_findings ADD COLUMN area TEXT NOT NULL DEFAULT '';
ALTER TABLE critical_findings ADD COLUMN kind TEXT NOT NULL DEFAULT 'regular';

-- A row here makes the server recount every total before it serves (`rebuild_tallies`
-- empties it); a database without checklists has nothing to recount.
CREATE TABLE recount_pending (reason TEXT NOT NULL);
INSERT INTO recount_pending (reason)
  SELECT 'totals split by station area and kind (schema 3)' WHERE EXISTS (SELECT 1 FROM submissions);
