-- Attachments (see the SQLite migration 0010).
CREATE TABLE attachments (
    sha256      TEXT COLLATE "C" PRIMARY KEY,
    mime        TEXT NOT NULL,
    size        BIGINT NOT NULL,
    received    BIGINT NOT NULL DEFAULT 0,
    complete    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE attachment_chunks (
    sha256  TEXT COLLATE "C" NOT NULL REFERENCES attachments (sha256),
    "offset" BIGINT NOT NULL,
    data    BYTEA NOT NULL,
    PRIMARY KEY (sha256, "offset")
);

CREATE TABLE submission_attachments (
    submission_id  TEXT COLLATE "C" NOT NULL REFERENCES submissions (id),
    sha256         TEXT COLLATE "C" NOT NULL REFERENCES attachments (sha256),
    name           TEXT NOT NULL,
    added_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (submission_id, sha256)
);
