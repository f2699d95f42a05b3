-- Observer teams' contact details and the call log (see the SQLite migration 0008).
CREATE TABLE team_details (
    account_id      TEXT PRIMARY KEY REFERENCES accounts (id),
    phone           TEXT NOT NULL DEFAULT '',
    stations        TEXT NOT NULL DEFAULT '',
    client_version  TEXT NOT NULL DEFAULT ''
);

CREATE TABLE team_calls (
    id          TEXT COLLATE "C" PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    caller_id   TEXT NOT NULL REFERENCES accounts (id),
    called_at   TIMESTAMPTZ NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('reached', 'no_answer', 'problem')),
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX team_calls_by_team ON team_calls (account_id, called_at);
