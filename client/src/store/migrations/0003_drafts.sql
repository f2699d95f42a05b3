-- Checklists being filled: saved after every answer, so killing the program loses at most the
-- answer being typed. A draft is never sent; finishing it moves it into the outbox (a new
-- checklist) or saves it as the next revision (an edit) in the same transaction that deletes it.
CREATE TABLE drafts (
    id             TEXT PRIMARY KEY,
    -- NULL for a new checklist; the revision being edited otherwise.
    base_revision  INTEGER,
    form_id        TEXT NOT NULL,
    form_version   INTEGER NOT NULL,
    station        TEXT NOT NULL,
    observed_at    TEXT NOT NULL,
    answers        TEXT NOT NULL,
    notes          TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
