-- Long-term memory and chats that never overflow the model (issue #24).

-- A user's memories: short texts the agent (or the person) saved, recalled into later runs.
-- `pk` aliases SQLite's rowid so the full-text index's row ids never move (a rowid that
-- isn't an INTEGER PRIMARY KEY may change on VACUUM). Only the owner reads a memory.
CREATE TABLE memories (
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
CREATE INDEX memories_user ON memories (user_id, created_at DESC, id);
CREATE INDEX memories_user_pinned ON memories (user_id, updated_at DESC) WHERE pinned = 1;

-- Full-text index over text and tags (external content: the text lives once, in memories).
CREATE VIRTUAL TABLE memories_fts USING fts5 (
  text, tags, content = 'memories', content_rowid = 'pk', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
  INSERT INTO memories_fts (rowid, text, tags) VALUES (new.pk, new.text, new.tags);
END;
CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, text, tags) VALUES ('delete', old.pk, old.text, old.tags);
END;
CREATE TRIGGER memories_fts_update AFTER UPDATE OF text, tags ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, text, tags) VALUES ('delete', old.pk, old.text, old.tags);
  INSERT INTO memories_fts (rowid, text, tags) VALUES (new.pk, new.text, new.tags);
END;

-- A chat's older turns, compacted into a summary the model wrote: a turn's history is the
-- latest summary and the messages after it. Covers every message of the chat up to and
-- including the turn `through_turn_id` (ordered by created_at, then turn id).
CREATE TABLE chat_summaries (
  id TEXT PRIMARY KEY,                   -- sum_…
  chat_id TEXT NOT NULL REFERENCES chats (id) ON DELETE CASCADE,
  through_created_at INTEGER NOT NULL,
  through_turn_id TEXT NOT NULL,
  content TEXT NOT NULL,
  turns INTEGER NOT NULL,                -- how many turns it covers, in all
  model TEXT NOT NULL,                   -- which model wrote it (provider:model)
  created_at INTEGER NOT NULL
);
CREATE INDEX chat_summaries_chat ON chat_summaries (chat_id, through_created_at DESC, through_turn_id DESC);
