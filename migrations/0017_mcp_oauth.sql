-- MCP servers that sign in with OAuth, and what Sparky remembers of every server between runs
-- (issue #28, docs/mcp.md). Additive: the code before #28 keeps working on these tables.

-- A server's OAuth sign-in: where it signs in (the authorization server and its metadata, the
-- resource it grants), the client Sparky is there, and the tokens. `client` and `tokens` are
-- encrypted (AES-GCM, key from SPARKY_SECRETS_KEY); `version` goes up with every token change,
-- so two refreshes racing can tell which one won.
CREATE TABLE mcp_oauth (
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
CREATE TABLE mcp_oauth_flows (
  state_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  server_id TEXT NOT NULL REFERENCES mcp_servers (id) ON DELETE CASCADE,
  secret TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX mcp_oauth_flows_user ON mcp_oauth_flows (user_id, expires_at);

-- A server's last tool list (sorted by name, fresh until `fresh_until`) and its health: a run
-- after a restart starts from here instead of asking every server again.
CREATE TABLE mcp_server_status (
  server_id TEXT PRIMARY KEY REFERENCES mcp_servers (id) ON DELETE CASCADE,
  tools TEXT,
  listed_at INTEGER,
  fresh_until INTEGER,
  health TEXT NOT NULL DEFAULT 'unknown' CHECK (health IN ('unknown', 'ok', 'failing')),
  last_error TEXT,
  last_error_at INTEGER,
  last_ok_at INTEGER
);
