-- Messages from coordinators to observer teams: to every team, the teams of a region, or one
-- team (`target` holds the region's name or the account id; empty for every team).
CREATE TABLE messages (
    id         TEXT PRIMARY KEY,
    author_id  TEXT NOT NULL REFERENCES accounts (id),
    audience   TEXT NOT NULL CHECK (audience IN ('all', 'region', 'team')),
    target     TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL,
    sent_at    TEXT NOT NULL
);
CREATE INDEX messages_by_time ON messages (sent_at);

-- When each team's laptop reported having shown a message.
CREATE TABLE message_reads (
    message_id  TEXT NOT NULL REFERENCES messages (id),
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    read_at     TEXT NOT NULL,
    PRIMARY KEY (message_id, account_id)
) WITHOUT ROWID;
