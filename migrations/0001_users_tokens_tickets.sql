-- The first release's schema (schema.sql of 137a278): users, API tokens, WebSocket tickets.

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK (role IN ('admin', 'user')),
  created_at INTEGER NOT NULL
);

-- Built-in users: `agent` (whose hub shows all agent work) and `admin` (the identity of
-- the SPARKY_ADMIN_TOKEN secret).
INSERT OR IGNORE INTO users (id, role, created_at) VALUES ('agent', 'user', 0);
INSERT OR IGNORE INTO users (id, role, created_at) VALUES ('admin', 'admin', 0);

CREATE TABLE api_tokens (
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
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

CREATE TABLE ws_tickets (
  ticket_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  token_id TEXT NOT NULL,
  role TEXT NOT NULL,
  token_expires_at INTEGER,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX ws_tickets_expires ON ws_tickets (expires_at);
