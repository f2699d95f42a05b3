-- Photos attached to checklists, kept here (encrypted with everything else) until the server
-- holds every byte. `sent` is how many bytes the server said it holds: an upload cut by a bad
-- link or a killed laptop goes on from there.
CREATE TABLE attachments (
    submission_id  TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    name           TEXT NOT NULL,
    mime           TEXT NOT NULL,
    size           INTEGER NOT NULL,
    data           BLOB NOT NULL,
    sent           INTEGER NOT NULL DEFAULT 0,
    done           INTEGER NOT NULL DEFAULT 0,
    added_at       TEXT NOT NULL,
    PRIMARY KEY (submission_id, sha256)
);
