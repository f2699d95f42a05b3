-- The per-question totals keyed so that one checklist's questions sit side by side. A
-- checklist adds to some 30 questions of one form, region, area, kind and hour; with the
-- question first in the key those rows lay on as many pages, and every commit wrote each of
-- them to the WAL again (a third of the pages a small commit wrote). Reports sum over
-- questions and places either way.
CREATE TABLE tally_findings_by_place (
    form_id      TEXT NOT NULL,
    question_id  TEXT NOT NULL,
    region       TEXT NOT NULL,
    area         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    hour         TEXT NOT NULL,
    answered     INTEGER NOT NULL DEFAULT 0,
    concern      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (form_id, region, area, kind, hour, question_id)
) WITHOUT ROWID;

INSERT INTO tally_findings_by_place
    (form_id, question_id, region, area, kind, hour, answered, concern)
SELECT form_id, question_id, region, area, kind, hour, answered, concern FROM tally_findings;

DROP TABLE tally_findings;
ALTER TABLE tally_findings_by_place RENAME TO tally_findings;
