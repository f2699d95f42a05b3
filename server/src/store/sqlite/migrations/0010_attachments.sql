-- Attachments (photos of protocols), named by the SHA-256 of their bytes and stored once
-- however many checklists hold them. The bytes arrive in chunks; `received` counts them, and
-- `complete` is set once the assembled bytes matched the name.
CREATE TABLE attachments (
    sha256      TEXT PRIMARY KEY,
    mime        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    received    INTEGER NOT NULL DEFAULT 0,
    complete    INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL
);

CREATE TABLE attachment_chunks (
    sha256  TEXT NOT NULL REFERENCES attachments (sha256),
    offset  INTEGER NOT NULL,
    data    BLOB NOT NULL,
    PRIMARY KEY (sha256, offset)
);

CREATE TABLE submission_attachments (
    submission_id  TEXT NOT NULL REFERENCES submissions (id),
    sha256         TEXT NOT NULL REFERENCES attachments (sha256),
    name           TEXT NOT NULL,
    added_at       TEXT NOT NULL,
    PRIMARY KEY (submission_id, sha256)
);
