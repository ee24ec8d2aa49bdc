-- Sparky's D1 schema, whole, as it is now: what a reader looks at. Nothing applies this file:
-- databases are made and upgraded by migrations/ (`npm run migrate`, `npm start`; README), and
-- test/migrations/node/d1.test.mjs proves this file equals every migration applied to an empty
-- database (columns in their order: a column a migration added comes last). Change the schema
-- with a new migration and the same change here (docs/architecture.md, "Changing a schema").

CREATE TABLE IF NOT EXISTS users (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
  created_at INTEGER NOT NULL,
  budget_day_usd REAL,                    -- the user's own caps (admins set them); NULL: the default
  budget_month_usd REAL
);

-- Built-in users: `agent` (whose hub shows all agent work) and `admin` (the identity of
-- the SPARKY_ADMIN_TOKEN secret).
INSERT OR IGNORE INTO users (id, role, created_at) VALUES ('agent', 'user', 0);
INSERT OR IGNORE INTO users (id, role, created_at) VALUES ('admin', 'admin', 0);

-- API tokens: only a SHA-256 hash of the secret is stored; the secret is shown once.
CREATE TABLE IF NOT EXISTS api_tokens (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name TEXT,
  role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  revoked_at INTEGER,
  last_used_at INTEGER
);
CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens (user_id, created_at);

-- Single-use, short-lived WebSocket tickets (for browsers, which can't set headers).
CREATE TABLE IF NOT EXISTS ws_tickets (
  ticket_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  token_id TEXT NOT NULL,
  role TEXT NOT NULL,
  token_expires_at INTEGER,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX IF NOT EXISTS ws_tickets_expires ON ws_tickets (expires_at);

-- Tasks: what the agent is asked to do, and what became of it. Status flow:
--   queued → running → succeeded | failed | cancelled   (running → queued on a retry)
--   running → awaiting_approval → queued                 (a tool call a person must approve)
CREATE TABLE IF NOT EXISTS tasks (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  instruction TEXT NOT NULL,
  metadata TEXT,                          -- JSON object, or NULL
  chat_id TEXT,
  chat_user_id TEXT,                      -- the chat's owner (sees the task's events too)
  -- 'task': a background task; 'chat': one turn of a chat (a message someone sent).
  kind TEXT NOT NULL DEFAULT 'task' CHECK (kind IN ('task', 'chat')),
  status TEXT NOT NULL CHECK (status IN ('waiting', 'queued', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,    -- runs started so far
  max_attempts INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,              -- hash of instruction + metadata
  -- = fingerprint while queued/running unless duplicates were allowed: the unique index
  -- below refuses a second identical active task without a race.
  active_fingerprint TEXT,
  idempotency_key TEXT,
  parent_task_id TEXT,                    -- set when the agent queued it (add_task)
  depth INTEGER NOT NULL DEFAULT 0,       -- follow-up depth: 0 for tasks people create
  schedule_name TEXT,
  model TEXT,                             -- which model ran it (last attempt)
  result TEXT,                            -- the agent's final answer
  error TEXT,                             -- readable reason of the last failure
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,                       -- the run holding it while running
  lease_expires_at INTEGER,
  cancel_requested_at INTEGER,
  enqueued_at INTEGER,                    -- last time a queue message was sent for it
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  -- tool calls of the last run that failed or were denied (a succeeded task may have some)
  tool_failures INTEGER NOT NULL DEFAULT 0,
  -- spend over all its runs, kept with every model call (issue #26), and its budget
  cached_input_tokens INTEGER NOT NULL DEFAULT 0,
  reasoning_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,       -- priced calls only
  unpriced_calls INTEGER NOT NULL DEFAULT 0,
  max_cost_usd REAL,                      -- NULL: no budget
  traceparent TEXT,                       -- W3C traceparent its runs' spans belong to
  webhook TEXT                            -- JSON {"url", "events"} (issue #29), or NULL
);
CREATE INDEX IF NOT EXISTS tasks_user_created ON tasks (user_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS tasks_created ON tasks (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS tasks_status ON tasks (status, lease_expires_at);
CREATE INDEX IF NOT EXISTS tasks_parent ON tasks (parent_task_id) WHERE parent_task_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS tasks_chat ON tasks (chat_id, status, created_at) WHERE chat_id IS NOT NULL;
-- A user's unfinished tasks: the open-task cap counts them on every insert, in time bounded by
-- the cap rather than by the user's whole history (the WHERE must match tasks.ts's OPEN).
CREATE INDEX IF NOT EXISTS tasks_user_open ON tasks (user_id)
  WHERE status NOT IN ('succeeded', 'failed', 'cancelled');
CREATE UNIQUE INDEX IF NOT EXISTS tasks_active_fingerprint ON tasks (user_id, active_fingerprint)
  WHERE active_fingerprint IS NOT NULL;
CREATE UNIQUE INDEX IF NOT EXISTS tasks_idempotency ON tasks (user_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- Each user's workspace: the files the agent's file tools read and write.
CREATE TABLE IF NOT EXISTS workspace_files (
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  path TEXT NOT NULL,
  content TEXT NOT NULL,
  size INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  object_key TEXT,                       -- R2 key of the bytes (#25); NULL: the text is inline, in content
  type TEXT,                             -- media type; NULL on an inline row (text)
  sha256 TEXT,                           -- hex, of an object's bytes
  PRIMARY KEY (user_id, path)
);
-- A workspace is seeded with a README once; this remembers that it was.
CREATE TABLE IF NOT EXISTS workspaces (
  user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL
);

-- Chats: a user's conversations with the agent. Each message a user sends becomes a chat
-- turn: a task of kind 'chat' that runs with the chat's history as context. Turns of one
-- chat run one at a time, in order.
CREATE TABLE IF NOT EXISTS chats (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  -- what a message sent while a turn runs does, unless it says (issue #29)
  policy TEXT NOT NULL DEFAULT 'queue' CHECK (policy IN ('queue', 'interrupt', 'steer', 'reject'))
);
CREATE INDEX IF NOT EXISTS chats_user ON chats (user_id, updated_at DESC);

-- A chat's history, as people see it: user messages, the agent's messages, and tool calls
-- with a summary of their results. Ids are the AG-UI message / tool call ids, so a client
-- merges history with live events without doubling anything.
CREATE TABLE IF NOT EXISTS chat_messages (
  id TEXT PRIMARY KEY,
  chat_id TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
  turn_id TEXT,                          -- the task (turn) that produced it
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
  content TEXT NOT NULL,                 -- text; for tool rows, the result summary
  tool_name TEXT,
  tool_args TEXT,
  created_at INTEGER NOT NULL,
  ordinal INTEGER NOT NULL               -- order within one turn
);
CREATE INDEX IF NOT EXISTS chat_messages_chat ON chat_messages (chat_id, created_at, ordinal);

-- Schedules: instructions that become tasks on a timer ("every": a fixed interval aligned
-- to the Unix epoch; "cron": five fields in a time zone). The minute tick creates one task
-- per due slot; `next_run_at` only moves forward by a conditional update.
CREATE TABLE IF NOT EXISTS schedules (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  instruction TEXT NOT NULL,
  metadata TEXT,
  every TEXT,
  cron TEXT,
  timezone TEXT NOT NULL DEFAULT 'UTC',
  enabled INTEGER NOT NULL DEFAULT 1,
  next_run_at INTEGER,
  last_run_at INTEGER,
  last_task_id TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  webhook TEXT,                           -- JSON {"url", "events"} its tasks get (issue #29), or NULL
  UNIQUE (user_id, name)
);
CREATE INDEX IF NOT EXISTS schedules_due ON schedules (enabled, next_run_at);

-- Task dependencies: a task stays 'waiting' until every task it depends on succeeded.
CREATE TABLE IF NOT EXISTS task_dependencies (
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  depends_on_id TEXT NOT NULL,
  PRIMARY KEY (task_id, depends_on_id)
);
CREATE INDEX IF NOT EXISTS task_dependencies_on ON task_dependencies (depends_on_id);

-- MCP servers a user connected: their tools join every run of that user's tasks and chats.
-- `headers` holds the header values (API keys) encrypted (AES-GCM, key from SPARKY_SECRETS_KEY);
-- `header_names` (JSON array) is what the API shows.
CREATE TABLE IF NOT EXISTS mcp_servers (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  header_names TEXT NOT NULL DEFAULT '[]',
  headers TEXT,
  approval TEXT NOT NULL DEFAULT 'auto' CHECK (approval IN ('auto', 'never', 'always')),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (user_id, name)
);
-- MCP servers their user switched off: their tools stay out of runs until switched on again.
CREATE TABLE IF NOT EXISTS mcp_servers_off (
  server_id TEXT PRIMARY KEY REFERENCES mcp_servers (id) ON DELETE CASCADE,
  since INTEGER NOT NULL
);
-- A run's checkpoint: how far the agent loop got, so a retry, a crash, a lost lease or an
-- approval resumes there (in a new attempt) instead of starting over. Limits count across
-- attempts from these totals.
CREATE TABLE IF NOT EXISTS task_checkpoints (
  task_id TEXT PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
  steps INTEGER NOT NULL DEFAULT 0,       -- completed steps (model response + tool results)
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  run_ms INTEGER NOT NULL DEFAULT 0,      -- time spent running (not waiting for a person)
  pauses INTEGER NOT NULL DEFAULT 0,      -- runs that ended waiting for approval (not failures)
  in_flight TEXT,                         -- the tool call id running when last written
  approve TEXT,                           -- JSON array: tools this task asked to approve
  updated_at INTEGER NOT NULL,
  client_tools TEXT                       -- JSON array: tools an AG-UI client offered ({name, description, parameters})
);
-- The messages a task's runs added, in order: the model's responses and each tool result,
-- written as they happen. One AI SDK ModelMessage per row (large tool results truncated,
-- visibly, to stay far below D1's row limit).
CREATE TABLE IF NOT EXISTS task_messages (
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  run_id TEXT NOT NULL,                   -- `<task>:<attempt>` of the run that added it
  json TEXT NOT NULL,
  PRIMARY KEY (task_id, idx)
);

-- Tool calls waiting for (or past) a person's approval, or (kind 'client_tool') for the
-- result of a tool an AG-UI client runs itself. One per tool call.
CREATE TABLE IF NOT EXISTS approvals (
  id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  user_id TEXT NOT NULL,                  -- whose decision it is (the task's creator)
  chat_id TEXT,
  tool_call_id TEXT NOT NULL,             -- as in the run's TOOL_CALL_* events
  tool TEXT NOT NULL,
  input TEXT NOT NULL,                    -- JSON
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
  requested_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  decided_at INTEGER,
  decided_by TEXT,
  reason TEXT,
  kind TEXT NOT NULL DEFAULT 'approval' CHECK (kind IN ('approval', 'client_tool')),
  UNIQUE (task_id, tool_call_id)
);
CREATE INDEX IF NOT EXISTS approvals_user ON approvals (user_id, status, requested_at);
CREATE INDEX IF NOT EXISTS approvals_expiry ON approvals (status, expires_at);

-- AG-UI runs (POST /api/ag-ui): which turn a client's runId follows, and from which seq of
-- the caller's hub, so a client that lost the stream can ask again (Last-Event-ID).
CREATE TABLE IF NOT EXISTS ag_ui_runs (
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  run_id TEXT NOT NULL,                   -- the client's RunAgentInput.runId
  thread_id TEXT NOT NULL,                -- the chat
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE, -- the turn it follows
  since_seq INTEGER NOT NULL,             -- the run's events are the task's after this seq
  min_attempt INTEGER NOT NULL,           -- events of earlier attempts belong to earlier runs
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, run_id)
);

-- Long-term memory and chat summaries (issue #24).

-- A user's memories: short texts the agent (or the person) saved, recalled into later runs.
-- `pk` aliases SQLite's rowid so the full-text index's row ids never move (a rowid that
-- isn't an INTEGER PRIMARY KEY may change on VACUUM). Only the owner reads a memory.
CREATE TABLE IF NOT EXISTS memories (
  pk INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,               -- mem_…
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  text TEXT NOT NULL,
  tags TEXT NOT NULL DEFAULT '[]',       -- JSON array of short lower-case strings
  pinned INTEGER NOT NULL DEFAULT 0,     -- core memory: in every run's context
  source_kind TEXT NOT NULL CHECK (source_kind IN ('you', 'chat', 'task', 'import', 'mcp')),
  source_id TEXT,                        -- the task or chat turn that saved it
  source_chat_id TEXT,                   -- the chat of that turn, for a link
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  recalled_at INTEGER                    -- last time a run was given it
);
CREATE INDEX IF NOT EXISTS memories_user ON memories (user_id, created_at DESC, id);
CREATE INDEX IF NOT EXISTS memories_user_pinned ON memories (user_id, updated_at DESC) WHERE pinned = 1;

-- Full-text index over text and tags (external content: the text lives once, in memories).
CREATE VIRTUAL TABLE IF NOT EXISTS memories_fts USING fts5 (
  text, tags, content = 'memories', content_rowid = 'pk', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS memories_fts_insert AFTER INSERT ON memories BEGIN
  INSERT INTO memories_fts (rowid, text, tags) VALUES (new.pk, new.text, new.tags);
END;
CREATE TRIGGER IF NOT EXISTS memories_fts_delete AFTER DELETE ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, text, tags) VALUES ('delete', old.pk, old.text, old.tags);
END;
CREATE TRIGGER IF NOT EXISTS memories_fts_update AFTER UPDATE OF text, tags ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, text, tags) VALUES ('delete', old.pk, old.text, old.tags);
  INSERT INTO memories_fts (rowid, text, tags) VALUES (new.pk, new.text, new.tags);
END;

-- A chat's older turns, compacted into a summary the model wrote: a turn's history is the
-- latest summary and the messages after it. Covers every message of the chat up to and
-- including the turn `through_turn_id` (ordered by created_at, then turn id).
CREATE TABLE IF NOT EXISTS chat_summaries (
  id TEXT PRIMARY KEY,                   -- sum_…
  chat_id TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
  through_created_at INTEGER NOT NULL,
  through_turn_id TEXT NOT NULL,
  content TEXT NOT NULL,
  turns INTEGER NOT NULL,                -- how many turns it covers, in all
  model TEXT NOT NULL,                   -- which model wrote it (provider:model)
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chat_summaries_chat ON chat_summaries (chat_id, through_created_at DESC, through_turn_id DESC);

-- Files and attachments (issue #25).

CREATE TABLE IF NOT EXISTS files (
  id TEXT PRIMARY KEY,                   -- file_…
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name TEXT NOT NULL,                    -- cleaned: no path separators, control or bidi characters
  type TEXT NOT NULL,                    -- sniffed from the bytes, not the client's word
  size INTEGER NOT NULL,                 -- bytes; while uploading, what it holds of the quota
  sha256 TEXT,                           -- hex, once uploaded
  status TEXT NOT NULL CHECK (status IN ('uploading', 'ready')),
  meta TEXT,                             -- JSON: pages, width, height… (what the model is told)
  extracted_at INTEGER,                  -- its text was extracted (files/<user_id>/<id>.txt)
  attached_at INTEGER,                   -- first attached; NULL: deleted after SPARKY_UPLOAD_TTL_HOURS
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS files_user ON files (user_id, created_at DESC, id);
CREATE INDEX IF NOT EXISTS files_unattached ON files (created_at) WHERE attached_at IS NULL;

CREATE TABLE IF NOT EXISTS task_attachments (
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  file_id TEXT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,              -- the order the sender gave
  PRIMARY KEY (task_id, file_id)
);
CREATE INDEX IF NOT EXISTS task_attachments_file ON task_attachments (file_id);

-- The workspace in R2 (issue #25, migrations/0013_workspace_r2.sql): a row with an object_key
-- has its bytes in R2 (`FILES`, workspace/<user_id>/<object id>); one without was written by
-- the code before #25 and keeps its text inline until it is moved.

-- R2 objects no row points at (any more), to delete: an object a row dropped (overwritten,
-- deleted, its user deleted), or one being written (`pending`: its row may not exist yet; one
-- older than an hour never got it). No foreign key: it outlives its user's rows.
CREATE TABLE IF NOT EXISTS workspace_garbage (
  object_key TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  pending INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS workspace_garbage_user ON workspace_garbage (user_id, created_at);

-- Whatever writes a row (this code, or the code before #25, or a cascade), an object is garbage
-- exactly when no row points at it.
CREATE TRIGGER IF NOT EXISTS workspace_object_claimed AFTER INSERT ON workspace_files WHEN new.object_key IS NOT NULL BEGIN
  DELETE FROM workspace_garbage WHERE object_key = new.object_key;
END;
CREATE TRIGGER IF NOT EXISTS workspace_object_replaced AFTER UPDATE OF object_key ON workspace_files
WHEN old.object_key IS NOT new.object_key BEGIN
  DELETE FROM workspace_garbage WHERE object_key = new.object_key;
  INSERT INTO workspace_garbage (object_key, user_id, pending, created_at)
    SELECT old.object_key, old.user_id, 0, unixepoch() * 1000 WHERE old.object_key IS NOT NULL
    ON CONFLICT (object_key) DO UPDATE SET pending = 0;
END;
CREATE TRIGGER IF NOT EXISTS workspace_object_deleted AFTER DELETE ON workspace_files WHEN old.object_key IS NOT NULL BEGIN
  INSERT INTO workspace_garbage (object_key, user_id, pending, created_at)
    VALUES (old.object_key, old.user_id, 0, unixepoch() * 1000)
    ON CONFLICT (object_key) DO UPDATE SET pending = 0;
END;
-- The code before #25 knows nothing of R2. Its append to a file in R2 would add to the words
-- `content` holds there (and lose the file): refused, it fails loudly, and the next try runs on
-- the new code. Its rewrite stands: the file is inline again, and its object is garbage.
CREATE TRIGGER IF NOT EXISTS workspace_inline_append BEFORE UPDATE OF content ON workspace_files
WHEN old.object_key IS NOT NULL AND new.object_key IS old.object_key
  AND substr(new.content, 1, length(old.content)) = old.content BEGIN
  SELECT RAISE(ABORT, 'this workspace file is kept in R2 by a newer version of Sparky: try again in a minute');
END;
CREATE TRIGGER IF NOT EXISTS workspace_inline_rewrite AFTER UPDATE OF content ON workspace_files
WHEN old.object_key IS NOT NULL AND new.object_key IS old.object_key BEGIN
  UPDATE workspace_files SET object_key = NULL, type = NULL, sha256 = NULL
    WHERE user_id = new.user_id AND path = new.path;
END;

-- What model calls cost (issue #26).

-- One row per model call: the ledger every rollup is summed from. No foreign key to tasks:
-- what was spent stays spent when a task is deleted; it goes with its user.
CREATE TABLE IF NOT EXISTS model_calls (
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
CREATE INDEX IF NOT EXISTS model_calls_user ON model_calls (user_id, created_at);
CREATE INDEX IF NOT EXISTS model_calls_created ON model_calls (created_at);

-- The ledger summed per user, day and model, kept with every call (budgets read it).
CREATE TABLE IF NOT EXISTS usage_daily (
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
CREATE INDEX IF NOT EXISTS usage_daily_day ON usage_daily (day);

-- Completion webhooks (issue #29, docs/webhooks.md).

-- Each user's signing secret, encrypted (AES-GCM, key from SPARKY_SECRETS_KEY), made on first read.
CREATE TABLE IF NOT EXISTS webhook_secrets (
  user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- One row per event of a task that has a webhook: its body (kept, so every attempt sends the
-- same bytes) and how its attempts went. One event is sent once: (task, attempt, type) is
-- unique, so the same transition recorded twice makes one delivery. Goes with its task.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
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
CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_task ON webhook_deliveries (task_id, created_at);
CREATE INDEX IF NOT EXISTS webhook_deliveries_user_pending ON webhook_deliveries (user_id, created_at) WHERE status = 'pending';

-- Steering a running turn (issue #29).

-- A message steered into a running turn: the turn's run reads it between two steps (`taken_at`,
-- at `taken_step`); one the turn ended without reading becomes the chat's next turn.
CREATE TABLE IF NOT EXISTS turn_steers (
  id TEXT PRIMARY KEY,                    -- the message id (its history row and live events use it)
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  chat_id TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  taken_at INTEGER,
  taken_step INTEGER
);
CREATE INDEX IF NOT EXISTS turn_steers_task ON turn_steers (task_id, created_at);

-- MCP servers that sign in with OAuth; each server's last tool list and health (issue #28).

-- A server's OAuth sign-in: where it signs in (the authorization server and its metadata, the
-- resource it grants), the client Sparky is there, and the tokens. `client` and `tokens` are
-- encrypted (AES-GCM, key from SPARKY_SECRETS_KEY); `version` goes up with every token change,
-- so two refreshes racing can tell which one won.
CREATE TABLE IF NOT EXISTS mcp_oauth (
  server_id TEXT PRIMARY KEY REFERENCES mcp_servers (id) ON DELETE CASCADE,
  state TEXT NOT NULL CHECK (state IN ('pending', 'signed_in', 'needs_sign_in')),
  resource TEXT,
  resource_metadata_url TEXT,
  issuer TEXT NOT NULL,
  metadata TEXT NOT NULL,
  scope TEXT,
  client TEXT,
  tokens TEXT,
  expires_at INTEGER,
  reason TEXT,
  version INTEGER NOT NULL DEFAULT 0,
  signed_in_at INTEGER,
  updated_at INTEGER NOT NULL
);

-- A sign-in under way: the browser comes back to /oauth/callback with `state`, whose SHA-256 is
-- the key (the state itself is never stored). Single-use (deleted as it is read), and expiring.
CREATE TABLE IF NOT EXISTS mcp_oauth_flows (
  state_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  server_id TEXT NOT NULL REFERENCES mcp_servers (id) ON DELETE CASCADE,
  secret TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS mcp_oauth_flows_user ON mcp_oauth_flows (user_id, expires_at);

-- A server's last tool list (sorted by name, fresh until `fresh_until`) and its health: a run
-- after a restart starts from here instead of asking every server again.
CREATE TABLE IF NOT EXISTS mcp_server_status (
  server_id TEXT PRIMARY KEY REFERENCES mcp_servers (id) ON DELETE CASCADE,
  tools TEXT,
  listed_at INTEGER,
  fresh_until INTEGER,
  health TEXT NOT NULL DEFAULT 'unknown' CHECK (health IN ('unknown', 'ok', 'failing')),
  last_error TEXT,
  last_error_at INTEGER,
  last_ok_at INTEGER
);
