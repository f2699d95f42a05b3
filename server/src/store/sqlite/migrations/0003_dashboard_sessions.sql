-- Dashboard sign-ins: the browser keeps a random session id, never the coordinator's token;
-- only its hash is stored, and it expires.
CREATE TABLE sessions (
    id_hash     TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
