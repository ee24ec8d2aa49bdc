-- MCP servers a user connects (schema.sql of 71ec67c, merged into main at 598a3a2).

CREATE TABLE mcp_servers (
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
