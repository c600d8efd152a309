-- Which natter process holds each session, so one instance closing what a crash left open
-- closes only its own or a dead instance's sessions, never those of instances still running.
ALTER TABLE sessions ADD COLUMN server_id TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_open_server_idx ON sessions (server_id) WHERE "end" IS NULL;
