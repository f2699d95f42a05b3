-- Coordinators' review of checklists. Every change is kept; the latest is on `submissions`.
CREATE TABLE reviews (
    id             INTEGER PRIMARY KEY,
    submission_id  TEXT NOT NULL,
    revision       INTEGER NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('none', 'verified', 'flagged', 'rejected')),
    comment        TEXT NOT NULL,
    reviewer_id    TEXT NOT NULL REFERENCES accounts (id),
    created_at     TEXT NOT NULL,
    -- A value of the change sequence, so observers pull the feedback on their checklists.
    seq            INTEGER NOT NULL
);
CREATE INDEX reviews_by_submission ON reviews (submission_id, id);
CREATE INDEX reviews_by_seq ON reviews (seq);

ALTER TABLE submissions ADD COLUMN review_status TEXT NOT NULL DEFAULT 'none';
ALTER TABLE submissions ADD COLUMN reviewed_revision INTEGER;
-- The hour (UTC, "YYYY-MM-DDTHH") the checklist was observed, and what it contributes to the
-- tallies below, so that a new revision or a review can take its old contribution back.
ALTER TABLE submissions ADD COLUMN observed_hour TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN restricted INTEGER;
ALTER TABLE submissions ADD COLUMN findings TEXT NOT NULL DEFAULT '[]';
CREATE INDEX submissions_by_review ON submissions (review_status);

ALTER TABLE accounts ADD COLUMN last_received_at TEXT;

-- Aggregates maintained on ingest and review: reports read these few rows instead of
-- scanning millions of checklists. Rejected checklists are not counted.
CREATE TABLE tally_assessments (
    form_id          TEXT NOT NULL,
    stage            TEXT NOT NULL,
    region           TEXT NOT NULL,
    hour             TEXT NOT NULL,
    checklists       INTEGER NOT NULL DEFAULT 0,
    assessed         INTEGER NOT NULL DEFAULT 0,
    negative         INTEGER NOT NULL DEFAULT 0,
    access_answered  INTEGER NOT NULL DEFAULT 0,
    restricted       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (form_id, region, hour)
) WITHOUT ROWID;

CREATE TABLE tally_findings (
    form_id      TEXT NOT NULL,
    question_id  TEXT NOT NULL,
    region       TEXT NOT NULL,
    hour         TEXT NOT NULL,
    answered     INTEGER NOT NULL DEFAULT 0,
    concern      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (form_id, question_id, region, hour)
) WITHOUT ROWID;

-- Checklists per station, form and observation hour, for coverage.
CREATE TABLE station_visits (
    station_code  TEXT NOT NULL,
    form_id       TEXT NOT NULL,
    stage         TEXT NOT NULL,
    hour          TEXT NOT NULL,
    checklists    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (station_code, form_id, hour)
) WITHOUT ROWID;

-- First arrivals per hour of receipt, form and region, for the timeline.
CREATE TABLE tally_arrivals (
    hour        TEXT NOT NULL,
    form_id     TEXT NOT NULL,
    region      TEXT NOT NULL,
    stage       TEXT NOT NULL,
    checklists  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, form_id, region)
) WITHOUT ROWID;

-- Critical findings of the latest revision of each checklist, newest first by index, so the
-- dashboard's "latest critical findings" reads a few rows however many there are.
CREATE TABLE critical_findings (
    submission_id  TEXT NOT NULL,
    question_id    TEXT NOT NULL,
    form_id        TEXT NOT NULL,
    region         TEXT NOT NULL,
    observed_at    TEXT NOT NULL,
    PRIMARY KEY (submission_id, question_id)
) WITHOUT ROWID;
CREATE INDEX critical_findings_by_time ON critical_findings (observed_at);
CREATE INDEX accounts_by_last_received ON accounts (role, last_received_at);
