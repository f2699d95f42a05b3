CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- Cached from the server by `eom pull`, so checklists can be filled offline.
CREATE TABLE forms (
    id          TEXT NOT NULL,
    version     INTEGER NOT NULL,
    definition  TEXT NOT NULL,
    PRIMARY KEY (id, version)
);

CREATE TABLE stations (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    region      TEXT NOT NULL,
    definition  TEXT NOT NULL
);

-- Every checklist the observer saved, at its current revision, and where it stands.
-- Rows are never deleted because a send failed.
CREATE TABLE outbox (
    id             TEXT PRIMARY KEY,
    revision       INTEGER NOT NULL,
    state          TEXT NOT NULL CHECK (state IN ('draft', 'queued', 'delivered', 'rejected', 'conflict')),
    form_id        TEXT NOT NULL,
    form_version   INTEGER NOT NULL,
    station        TEXT NOT NULL,
    observed_at    TEXT NOT NULL,
    answers        TEXT NOT NULL,
    notes          TEXT NOT NULL,
    content_hash   TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    -- The server's messages: validation errors for 'rejected', warnings otherwise.
    issues         TEXT NOT NULL DEFAULT '[]',
    last_outcome   TEXT,
    delivered_at   TEXT
);
CREATE INDEX outbox_by_state ON outbox (state, updated_at);

-- Every revision the observer saved, so an edit never loses what was there before.
CREATE TABLE revisions (
    id            TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    content       TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    saved_at      TEXT NOT NULL,
    PRIMARY KEY (id, revision)
);
