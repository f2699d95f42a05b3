-- The coordinators' latest review of each checklist, pulled from the server.
ALTER TABLE outbox ADD COLUMN review_status TEXT;
ALTER TABLE outbox ADD COLUMN review_comment TEXT;
ALTER TABLE outbox ADD COLUMN reviewer TEXT;
ALTER TABLE outbox ADD COLUMN reviewed_at TEXT;
ALTER TABLE outbox ADD COLUMN reviewed_revision INTEGER;
