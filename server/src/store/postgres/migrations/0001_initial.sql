-- The PostgreSQL schema: the same tables as SQLite's, with PostgreSQL's types (times as
-- timestamptz, JSON as jsonb). Several eom-server instances share one database; what keeps
-- them consistent is in the code (per-checklist advisory locks, one counter row for pull
-- cursors, upserts in a fixed key order), not in these tables.

CREATE TABLE accounts (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    role              TEXT NOT NULL CHECK (role IN ('observer', 'coordinator')),
    region            TEXT,
    token_hash        TEXT NOT NULL UNIQUE,
    created_at        TIMESTAMPTZ NOT NULL,
    last_received_at  TIMESTAMPTZ
);
CREATE INDEX accounts_by_last_received ON accounts (role, last_received_at NULLS FIRST);

CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);

-- One counter for everything a laptop pulls (forms, stations, reviews). Writers bump it in
-- their transaction, so they take its row lock in turn and commit in counter order: a pull
-- never skips a change that commits later with a smaller value.
CREATE TABLE catalog_sequence (
    only_row  INTEGER PRIMARY KEY CHECK (only_row = 1),
    value     BIGINT NOT NULL
);
INSERT INTO catalog_sequence (only_row, value) VALUES (1, 0);

CREATE TABLE forms (
    id            TEXT NOT NULL,
    version       BIGINT NOT NULL,
    stage         TEXT NOT NULL,
    definition    JSONB NOT NULL,
    seq           BIGINT NOT NULL,
    installed_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE INDEX forms_by_seq ON forms (seq);

CREATE TABLE stations (
    code               TEXT COLLATE "C" PRIMARY KEY,
    name               TEXT NOT NULL,
    region             TEXT NOT NULL,
    district           TEXT NOT NULL,
    level              TEXT NOT NULL CHECK (level IN ('pec', 'tec', 'dec')),
    registered_voters  BIGINT,
    seq                BIGINT NOT NULL
);
CREATE INDEX stations_by_seq ON stations (seq);
CREATE INDEX stations_by_region ON stations (region, level);

-- Every revision ever accepted, older ones included.
CREATE TABLE revisions (
    submission_id  TEXT COLLATE "C" NOT NULL,
    revision       BIGINT NOT NULL,
    content_hash   TEXT NOT NULL,
    observer_id    TEXT NOT NULL REFERENCES accounts (id),
    form_id        TEXT NOT NULL,
    form_version   BIGINT NOT NULL,
    station_code   TEXT NOT NULL,
    observed_at    TIMESTAMPTZ NOT NULL,
    answers        JSONB NOT NULL,
    notes          TEXT NOT NULL,
    warnings       JSONB NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (submission_id, revision)
);

-- One row per checklist at its latest revision, with what it contributes to the totals.
-- Ids compare byte by byte ("C"), as on SQLite, so that paging by id and ordering agree
-- whatever the database's locale.
CREATE TABLE submissions (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    revision           BIGINT NOT NULL,
    observer_id        TEXT NOT NULL REFERENCES accounts (id),
    form_id            TEXT NOT NULL,
    form_version       BIGINT NOT NULL,
    stage              TEXT NOT NULL,
    station_code       TEXT NOT NULL,
    region             TEXT NOT NULL,
    overall            TEXT,
    observed_at        TIMESTAMPTZ NOT NULL,
    observed_hour      TIMESTAMPTZ NOT NULL,
    first_received_at  TIMESTAMPTZ NOT NULL,
    received_at        TIMESTAMPTZ NOT NULL,
    restricted         BOOLEAN,
    findings           JSONB NOT NULL,
    review_status      TEXT NOT NULL DEFAULT 'none',
    reviewed_revision  BIGINT
);
CREATE INDEX submissions_by_region ON submissions (region, form_id);
CREATE INDEX submissions_by_station ON submissions (station_code);
CREATE INDEX submissions_by_observer ON submissions (observer_id);
CREATE INDEX submissions_by_received ON submissions (received_at);
CREATE INDEX submissions_by_first_received ON submissions (first_received_at, id);
CREATE INDEX submissions_by_review ON submissions (review_status);

CREATE TABLE conflicts (
    submission_id  TEXT COLLATE "C" NOT NULL,
    revision       BIGINT NOT NULL,
    content_hash   TEXT NOT NULL,
    observer_id    TEXT NOT NULL REFERENCES accounts (id),
    payload        JSONB NOT NULL,
    received_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (submission_id, revision, content_hash, observer_id)
);

CREATE TABLE reviews (
    id             BIGSERIAL PRIMARY KEY,
    submission_id  TEXT COLLATE "C" NOT NULL,
    revision       BIGINT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('none', 'verified', 'flagged', 'rejected')),
    comment        TEXT NOT NULL,
    reviewer_id    TEXT NOT NULL REFERENCES accounts (id),
    created_at     TIMESTAMPTZ NOT NULL,
    seq            BIGINT NOT NULL
);
CREATE INDEX reviews_by_submission ON reviews (submission_id, id);
CREATE INDEX reviews_by_seq ON reviews (seq);

CREATE TABLE tally_assessments (
    form_id          TEXT NOT NULL,
    stage            TEXT NOT NULL,
    region           TEXT NOT NULL,
    hour             TIMESTAMPTZ NOT NULL,
    checklists       BIGINT NOT NULL DEFAULT 0,
    assessed         BIGINT NOT NULL DEFAULT 0,
    negative         BIGINT NOT NULL DEFAULT 0,
    access_answered  BIGINT NOT NULL DEFAULT 0,
    restricted       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (form_id, region, hour)
);

CREATE TABLE tally_findings (
    form_id      TEXT NOT NULL,
    question_id  TEXT NOT NULL,
    region       TEXT NOT NULL,
    hour         TIMESTAMPTZ NOT NULL,
    answered     BIGINT NOT NULL DEFAULT 0,
    concern      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (form_id, question_id, region, hour)
);

CREATE TABLE station_visits (
    station_code  TEXT NOT NULL,
    form_id       TEXT NOT NULL,
    stage         TEXT NOT NULL,
    hour          TIMESTAMPTZ NOT NULL,
    checklists    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (station_code, form_id, hour)
);

CREATE TABLE tally_arrivals (
    hour        TIMESTAMPTZ NOT NULL,
    form_id     TEXT NOT NULL,
    region      TEXT NOT NULL,
    stage       TEXT NOT NULL,
    checklists  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, form_id, region)
);

CREATE TABLE critical_findings (
    submission_id  TEXT COLLATE "C" NOT NULL,
    question_id    TEXT NOT NULL,
    form_id        TEXT NOT NULL,
    region         TEXT NOT NULL,
    observed_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (submission_id, question_id)
);
CREATE INDEX critical_findings_by_time ON critical_findings (observed_at DESC);
