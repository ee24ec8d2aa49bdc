-- Durable runs and approvals (schema.sql of 21c5749): a task may wait for a person
-- (status 'awaiting_approval'); checkpoints, the messages of a task's runs, approvals.

-- SQLite can't change a CHECK in place, so tasks is rebuilt: a new table, every row copied,
-- the old table dropped, the new one renamed, its indexes made again. Dropping tasks deletes
-- the rows that reference it (ON DELETE CASCADE): task_dependencies is kept aside and put back.
-- The rebuild also puts chat_user_id and kind (0003) where schema.sql has them.
-- @rebuild tasks
CREATE TABLE tasks_new (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  instruction TEXT NOT NULL,
  metadata TEXT,
  chat_id TEXT,
  chat_user_id TEXT,
  kind TEXT NOT NULL DEFAULT 'task' CHECK (kind IN ('task', 'chat')),
  status TEXT NOT NULL CHECK (status IN ('waiting', 'queued', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  active_fingerprint TEXT,
  idempotency_key TEXT,
  parent_task_id TEXT,
  depth INTEGER NOT NULL DEFAULT 0,
  schedule_name TEXT,
  model TEXT,
  result TEXT,
  error TEXT,
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_expires_at INTEGER,
  cancel_requested_at INTEGER,
  enqueued_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER
);
INSERT INTO tasks_new (id, user_id, instruction, metadata, chat_id, chat_user_id, kind, status, attempts,
  max_attempts, fingerprint, active_fingerprint, idempotency_key, parent_task_id, depth, schedule_name, model,
  result, error, input_tokens, output_tokens, lease_owner, lease_expires_at, cancel_requested_at, enqueued_at,
  created_at, updated_at, started_at, finished_at)
SELECT id, user_id, instruction, metadata, chat_id, chat_user_id, kind, status, attempts,
  max_attempts, fingerprint, active_fingerprint, idempotency_key, parent_task_id, depth, schedule_name, model,
  result, error, input_tokens, output_tokens, lease_owner, lease_expires_at, cancel_requested_at, enqueued_at,
  created_at, updated_at, started_at, finished_at
FROM tasks;
CREATE TABLE task_dependencies_keep AS SELECT task_id, depends_on_id FROM task_dependencies;
DROP TABLE tasks;
ALTER TABLE tasks_new RENAME TO tasks;
INSERT INTO task_dependencies (task_id, depends_on_id) SELECT task_id, depends_on_id FROM task_dependencies_keep;
DROP TABLE task_dependencies_keep;
CREATE INDEX tasks_user_created ON tasks (user_id, created_at DESC, id DESC);
CREATE INDEX tasks_created ON tasks (created_at DESC, id DESC);
CREATE INDEX tasks_status ON tasks (status, lease_expires_at);
CREATE INDEX tasks_parent ON tasks (parent_task_id) WHERE parent_task_id IS NOT NULL;
CREATE INDEX tasks_chat ON tasks (chat_id, status, created_at) WHERE chat_id IS NOT NULL;
CREATE UNIQUE INDEX tasks_active_fingerprint ON tasks (user_id, active_fingerprint)
  WHERE active_fingerprint IS NOT NULL;
CREATE UNIQUE INDEX tasks_idempotency ON tasks (user_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
-- @end

CREATE TABLE task_checkpoints (
  task_id TEXT PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
  steps INTEGER NOT NULL DEFAULT 0,
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  run_ms INTEGER NOT NULL DEFAULT 0,
  pauses INTEGER NOT NULL DEFAULT 0,
  in_flight TEXT,
  approve TEXT,
  updated_at INTEGER NOT NULL
);
CREATE TABLE task_messages (
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  run_id TEXT NOT NULL,
  json TEXT NOT NULL,
  PRIMARY KEY (task_id, idx)
);
CREATE TABLE approvals (
  id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  chat_id TEXT,
  tool_call_id TEXT NOT NULL,
  tool TEXT NOT NULL,
  input TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
  requested_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  decided_at INTEGER,
  decided_by TEXT,
  reason TEXT,
  UNIQUE (task_id, tool_call_id)
);
CREATE INDEX approvals_user ON approvals (user_id, status, requested_at);
CREATE INDEX approvals_expiry ON approvals (status, expires_at);
