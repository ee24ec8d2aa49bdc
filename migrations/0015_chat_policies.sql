-- What a message sent while a chat's turn runs does (issue #29): a chat's default policy, and
-- the messages steered into a running turn. Additive: the code before #29 ignores both.

ALTER TABLE chats ADD COLUMN policy TEXT NOT NULL DEFAULT 'queue'
  CHECK (policy IN ('queue', 'interrupt', 'steer', 'reject'));

-- A message steered into a running turn: the turn's run reads it between two steps (`taken_at`,
-- at `taken_step`); one the turn ended without reading becomes the chat's next turn.
CREATE TABLE turn_steers (
  id TEXT PRIMARY KEY,                    -- the message id (its history row and live events use it)
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  chat_id TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  taken_at INTEGER,
  taken_step INTEGER
);
CREATE INDEX turn_steers_task ON turn_steers (task_id, created_at);
