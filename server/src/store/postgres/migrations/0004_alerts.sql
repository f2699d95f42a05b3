-- Alerts: every critical finding handed to each alert channel (a webhook URL) at least once,
-- surviving restarts (see the SQLite migration 0006 for the states).
CREATE TABLE alert_channels (
    channel     TEXT PRIMARY KEY,
    since       TIMESTAMPTZ NOT NULL
);

CREATE TABLE alert_outbox (
    channel          TEXT NOT NULL,
    submission_id    TEXT COLLATE "C" NOT NULL,
    question_id      TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'predates')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMPTZ NOT NULL,
    last_error       TEXT,
    sent_at          TIMESTAMPTZ,
    PRIMARY KEY (channel, submission_id, question_id)
);
CREATE INDEX alert_outbox_due ON alert_outbox (state, next_attempt_at);
