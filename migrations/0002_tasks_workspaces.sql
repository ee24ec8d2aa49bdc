-- Tasks and workspaces (schema.sql of c63d420).

CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  instruction TEXT NOT NULL,
  metadata TEXT,
  chat_id TEXT,
  status TEXT NOT NULL CHECK (status IN ('waiting', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
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
CREATE INDEX tasks_user_created ON tasks (user_id, created_at DESC, id DESC);
CREATE INDEX tasks_created ON tasks (created_at DESC, id DESC);
CREATE INDEX tasks_status ON tasks (status, lease_expires_at);
CREATE INDEX tasks_parent ON tasks (parent_task_id) WHERE parent_task_id IS NOT NULL;
CREATE UNIQUE INDEX tasks_active_fingerprint ON tasks (user_id, active_fingerprint)
  WHERE active_fingerprint IS NOT NULL;
CREATE UNIQUE INDEX tasks_idempotency ON tasks (user_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

CREATE TABLE workspace_files (
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  content TEXT NOT NULL,
  size INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, path)
);
CREATE TABLE workspaces (
  user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL
);
