-- MCP servers their user switched off (schema.sql of 365d210).

CREATE TABLE mcp_servers_off (
  server_id TEXT PRIMARY KEY REFERENCES mcp_servers (id) ON DELETE CASCADE,
  since INTEGER NOT NULL
);
