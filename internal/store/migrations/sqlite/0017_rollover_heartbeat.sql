-- +goose Up
-- A running changeover step is held by one process, which renews its short
-- lease with a heartbeat (operations.md): heartbeat_at is its last sign of
-- life, lease_owner names the process (host, pid). A step still "running"
-- whose lease has expired is stuck: its process died.
ALTER TABLE rollover_steps ADD COLUMN heartbeat_at TEXT;
ALTER TABLE rollover_steps ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE rollover_steps DROP COLUMN lease_owner;
ALTER TABLE rollover_steps DROP COLUMN heartbeat_at;
