-- Chats (schema.sql of 4afc714): a task is a background task or one turn of a chat.

ALTER TABLE tasks ADD COLUMN chat_user_id TEXT;
ALTER TABLE tasks ADD COLUMN kind TEXT NOT NULL DEFAULT 'task' CHECK (kind IN ('task', 'chat'));
CREATE INDEX tasks_chat ON tasks (chat_id, status, created_at) WHERE chat_id IS NOT NULL;

CREATE TABLE chats (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX chats_user ON chats (user_id, updated_at DESC);

CREATE TABLE chat_messages (
  id TEXT PRIMARY KEY,
  chat_id TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
  turn_id TEXT,
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
  content TEXT NOT NULL,
  tool_name TEXT,
  tool_args TEXT,
  created_at INTEGER NOT NULL,
  ordinal INTEGER NOT NULL
);
CREATE INDEX chat_messages_chat ON chat_messages (chat_id, created_at, ordinal);
