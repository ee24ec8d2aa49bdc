-- What model calls cost, and budgets (issue #26). Additive: the code before #26 keeps
-- working on these tables during a deploy.

-- One row per model call: the ledger every rollup is summed from. No foreign key to tasks:
-- what was spent stays spent when a task is deleted; it goes with its user.
CREATE TABLE model_calls (
  id INTEGER PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  task_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  step INTEGER NOT NULL,                  -- the task's model call number, over all attempts
  chat_id TEXT,
  model TEXT NOT NULL,                    -- provider:model as SPARKY_MODEL spells it
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cached_input_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  cost_usd REAL,                          -- NULL: the model has no known price
  ms INTEGER NOT NULL,
  day TEXT NOT NULL,                      -- YYYY-MM-DD, UTC
  created_at INTEGER NOT NULL
);
CREATE INDEX model_calls_user ON model_calls (user_id, created_at);
CREATE INDEX model_calls_created ON model_calls (created_at);
CREATE INDEX model_calls_task ON model_calls (task_id, attempt);

-- The ledger summed per user, day and model, kept with every call (budgets read it).
CREATE TABLE usage_daily (
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  day TEXT NOT NULL,
  model TEXT NOT NULL,
  runs INTEGER NOT NULL DEFAULT 0,
  calls INTEGER NOT NULL DEFAULT 0,
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cached_input_tokens INTEGER NOT NULL DEFAULT 0,
  reasoning_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,       -- priced calls only
  unpriced_calls INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, day, model)
);
CREATE INDEX usage_daily_day ON usage_daily (day);

-- A task's spend over all its runs (kept with every call) and its budget.
ALTER TABLE tasks ADD COLUMN cached_input_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN reasoning_tokens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN cost_usd REAL NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN unpriced_calls INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN max_cost_usd REAL;          -- NULL: no budget
ALTER TABLE tasks ADD COLUMN traceparent TEXT;           -- the caller's W3C traceparent, or one of Sparky's

-- A user's own caps (admins set them); NULL: the server's default.
ALTER TABLE users ADD COLUMN budget_day_usd REAL;
ALTER TABLE users ADD COLUMN budget_month_usd REAL;
