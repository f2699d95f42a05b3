-- Observer teams' contact details from the team import: the phone to call when the team
-- falls silent, and the stations it is assigned to (codes, one per line); and the version of
-- eom its laptop last pulled with.
CREATE TABLE team_details (
    account_id      TEXT PRIMARY KEY REFERENCES accounts (id),
    phone           TEXT NOT NULL DEFAULT '',
    stations        TEXT NOT NULL DEFAULT '',
    client_version  TEXT NOT NULL DEFAULT ''
);

-- Follow-up calls to teams: who called, when, and what came of it.
CREATE TABLE team_calls (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    caller_id   TEXT NOT NULL REFERENCES accounts (id),
    called_at   TEXT NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('reached', 'no_answer', 'problem')),
    note        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX team_calls_by_team ON team_calls (account_id, called_at);
