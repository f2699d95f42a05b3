-- The server's own keys, made once per mission and shared by every instance: the Ed25519
-- key that signs push receipts (hex of its 32 secret bytes).
CREATE TABLE server_keys (
    purpose     TEXT PRIMARY KEY,
    secret      TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- One-time enrolment codes: short codes an observer types at setup instead of a long token.
-- Only the hash is stored; a code expires and works once.
CREATE TABLE enrolment_codes (
    code_hash   TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);

-- Administrators: coordinators who also manage accounts (through the API and the dashboard).
ALTER TABLE accounts ADD COLUMN admin INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1));

-- The tamper-evident audit log (see server/src/audit.rs): one entry per write, each hash
-- covering the previous one.
CREATE TABLE audit_log (
    seq      INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    subject  TEXT NOT NULL,
    digest   TEXT NOT NULL,
    prev     TEXT NOT NULL,
    hash     TEXT NOT NULL
);
