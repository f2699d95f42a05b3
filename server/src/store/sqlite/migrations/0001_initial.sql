-- Accounts: observers push and pull; coordinators read reports. Tokens are kept only as hashes.
CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('observer', 'coordinator')),
    region      TEXT,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

-- One counter for everything a client pulls (forms, stations): a pull cursor is a value of it.
CREATE TABLE catalog_sequence (
    only_row  INTEGER PRIMARY KEY CHECK (only_row = 1),
    value     INTEGER NOT NULL
);
INSERT INTO catalog_sequence (only_row, value) VALUES (1, 0);

-- A released (id, version) is never changed; a new version is a new row.
CREATE TABLE forms (
    id            TEXT NOT NULL,
    version       INTEGER NOT NULL,
    stage         TEXT NOT NULL,
    definition    TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    installed_at  TEXT NOT NULL,
    PRIMARY KEY (id, version)
);
CREATE INDEX forms_by_seq ON forms (seq);

CREATE TABLE stations (
    code               TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    region             TEXT NOT NULL,
    district           TEXT NOT NULL,
    level              TEXT NOT NULL CHECK (level IN ('pec', 'tec', 'dec')),
    registered_voters  INTEGER,
    seq                INTEGER NOT NULL
);
CREATE INDEX stations_by_seq ON stations (seq);

-- Every revision ever accepted, older ones included: nothing an observer sent is dropped.
CREATE TABLE revisions (
    submission_id  TEXT NOT NULL,
    revision       INTEGER NOT NULL,
    content_hash   TEXT NOT NULL,
    observer_id    TEXT NOT NULL REFERENCES accounts (id),
    form_id        TEXT NOT NULL,
    form_version   INTEGER NOT NULL,
    station_code   TEXT NOT NULL,
    observed_at    TEXT NOT NULL,
    answers        TEXT NOT NULL,
    notes          TEXT NOT NULL,
    warnings       TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    PRIMARY KEY (submission_id, revision)
);

-- One row per checklist at its latest revision, with what reports group by, so that reports
-- read this narrow table and its indexes instead of parsing answers.
CREATE TABLE submissions (
    id                 TEXT PRIMARY KEY,
    revision           INTEGER NOT NULL,
    observer_id        TEXT NOT NULL REFERENCES accounts (id),
    form_id            TEXT NOT NULL,
    form_version       INTEGER NOT NULL,
    stage              TEXT NOT NULL,
    station_code       TEXT NOT NULL,
    region             TEXT NOT NULL,
    overall            TEXT,
    observed_at        TEXT NOT NULL,
    first_received_at  TEXT NOT NULL,
    received_at        TEXT NOT NULL
);
CREATE INDEX submissions_by_form ON submissions (form_id, overall);
CREATE INDEX submissions_by_region ON submissions (region, form_id);
CREATE INDEX submissions_by_station ON submissions (station_code);
CREATE INDEX submissions_by_observer ON submissions (observer_id);
CREATE INDEX submissions_by_received ON submissions (received_at);

-- The same (id, revision) arriving with different content: kept for review, never dropped,
-- never overwriting what was stored first.
CREATE TABLE conflicts (
    submission_id  TEXT NOT NULL,
    revision       INTEGER NOT NULL,
    content_hash   TEXT NOT NULL,
    observer_id    TEXT NOT NULL REFERENCES accounts (id),
    payload        TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    PRIMARY KEY (submission_id, revision, content_hash, observer_id)
);
