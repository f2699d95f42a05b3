-- Coordinators' messages to this team, as pulled. `read_at`: when the observer was shown it
-- on this laptop; `read_reported`: whether the server has been told (at the next sync).
CREATE TABLE messages (
    id             TEXT PRIMARY KEY,
    sender         TEXT NOT NULL,
    body           TEXT NOT NULL,
    sent_at        TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    read_at        TEXT,
    read_reported  INTEGER NOT NULL DEFAULT 0
);
