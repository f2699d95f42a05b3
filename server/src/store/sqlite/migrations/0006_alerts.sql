-- Alerts: every critical finding handed to each alert channel (a webhook URL) at least once,
-- surviving restarts. A channel's first use records the findings already there as predating
-- it, so configuring a webhook mid-day does not replay the morning.
CREATE TABLE alert_channels (
    channel     TEXT PRIMARY KEY,
    since       TEXT NOT NULL
);

-- One row per finding and channel: 'pending' (next_attempt_at says when), 'sent', or
-- 'predates' (there before the channel). A row outlives the finding's revisions and recounts,
-- so a finding is never announced twice to one channel.
CREATE TABLE alert_outbox (
    channel          TEXT NOT NULL,
    submission_id    TEXT NOT NULL,
    question_id      TEXT NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'predates')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    sent_at          TEXT,
    PRIMARY KEY (channel, submission_id, question_id)
) WITHOUT ROWID;
CREATE INDEX alert_outbox_due ON alert_outbox (state, next_attempt_at);
