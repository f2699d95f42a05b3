-- Messages from coordinators to observer teams (see the SQLite migration 0007).
CREATE TABLE messages (
    id         TEXT COLLATE "C" PRIMARY KEY,
    author_id  TEXT NOT NULL REFERENCES accounts (id),
    audience   TEXT NOT NULL CHECK (audience IN ('all', 'region', 'team')),
    target     TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL,
    sent_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX messages_by_time ON messages (sent_at);

CREATE TABLE message_reads (
    message_id  TEXT COLLATE "C" NOT NULL REFERENCES messages (id),
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    read_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (message_id, account_id)
);
