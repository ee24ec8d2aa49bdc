-- Completion webhooks (issue #29, docs/webhooks.md). Additive: the code before #29 keeps
-- working on these tables during a deploy.

-- A task's and a schedule's webhook: JSON {"url", "events"}; NULL: none.
ALTER TABLE tasks ADD COLUMN webhook TEXT;
ALTER TABLE schedules ADD COLUMN webhook TEXT;

-- Each user's signing secret, encrypted (AES-GCM, key from SPARKY_SECRETS_KEY), made on first read.
CREATE TABLE webhook_secrets (
  user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- One row per event of a task that has a webhook: its body (kept, so every attempt sends the
-- same bytes) and how its attempts went. One event is sent once: (task, attempt, type) is
-- unique, so the same transition recorded twice makes one delivery. Goes with its task.
CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,               -- the task's attempt when it happened
  type TEXT NOT NULL CHECK (type IN ('task.succeeded', 'task.failed', 'task.cancelled', 'task.awaiting_approval')),
  url TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,    -- HTTP attempts so far
  last_status_code INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  first_attempt_at INTEGER,               -- retries stop 24 h after it
  next_attempt_at INTEGER,                -- NULL once delivered or failed
  lease_owner TEXT,                       -- the sender holding it (the first attempt, or a sweep)
  lease_expires_at INTEGER,
  delivered_at INTEGER,
  UNIQUE (task_id, attempt, type)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_task ON webhook_deliveries (task_id, created_at);
CREATE INDEX webhook_deliveries_user_pending ON webhook_deliveries (user_id, created_at) WHERE status = 'pending';
