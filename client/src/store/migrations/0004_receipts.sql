-- The server's signed receipts for what this laptop delivered: proof, checkable with the
-- server's public key (saved at setup), that the server held each revision and when.
CREATE TABLE receipts (
    id            TEXT NOT NULL,
    revision      INTEGER NOT NULL,
    content_hash  TEXT NOT NULL,
    received_at   TEXT NOT NULL,
    signature     TEXT NOT NULL,
    PRIMARY KEY (id, revision)
);
