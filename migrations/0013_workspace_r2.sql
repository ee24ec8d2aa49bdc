-- The workspace moves to R2 (issue #25): a file's bytes are an R2 object (`FILES`, key
-- workspace/<user_id>/<object id>, never reused), its row here says where. A row whose
-- object_key is NULL was written by the code before #25: its text is still in `content`, until
-- the new code moves it (the first time it is touched).
-- Additive: the code before #25 keeps working on this table during a deploy.

ALTER TABLE workspace_files ADD COLUMN object_key TEXT;   -- NULL: the text is inline, in content
ALTER TABLE workspace_files ADD COLUMN type TEXT;         -- media type; NULL on an inline row (text)
ALTER TABLE workspace_files ADD COLUMN sha256 TEXT;       -- hex, of an object's bytes

-- R2 objects no row points at (any more), to delete: an object a row dropped (overwritten,
-- deleted, its user deleted), or one being written (`pending`: its row may not exist yet; one
-- older than an hour never got it). No foreign key: it outlives its user's rows.
CREATE TABLE workspace_garbage (
  object_key TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  pending INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX workspace_garbage_user ON workspace_garbage (user_id, created_at);

-- Whatever writes a row (this code, or the code before #25, or a cascade), an object is garbage
-- exactly when no row points at it.
CREATE TRIGGER workspace_object_claimed AFTER INSERT ON workspace_files WHEN new.object_key IS NOT NULL BEGIN
  DELETE FROM workspace_garbage WHERE object_key = new.object_key;
END;
CREATE TRIGGER workspace_object_replaced AFTER UPDATE OF object_key ON workspace_files
WHEN old.object_key IS NOT new.object_key BEGIN
  DELETE FROM workspace_garbage WHERE object_key = new.object_key;
  INSERT INTO workspace_garbage (object_key, user_id, pending, created_at)
    SELECT old.object_key, old.user_id, 0, unixepoch() * 1000 WHERE old.object_key IS NOT NULL
    ON CONFLICT (object_key) DO UPDATE SET pending = 0;
END;
CREATE TRIGGER workspace_object_deleted AFTER DELETE ON workspace_files WHEN old.object_key IS NOT NULL BEGIN
  INSERT INTO workspace_garbage (object_key, user_id, pending, created_at)
    VALUES (old.object_key, old.user_id, 0, unixepoch() * 1000)
    ON CONFLICT (object_key) DO UPDATE SET pending = 0;
END;
-- The code before #25 knows nothing of R2. Its append to a file in R2 would add to the words
-- `content` holds there (and lose the file): refused, it fails loudly, and the next try runs on
-- the new code. Its rewrite stands: the file is inline again, and its object is garbage.
CREATE TRIGGER workspace_inline_append BEFORE UPDATE OF content ON workspace_files
WHEN old.object_key IS NOT NULL AND new.object_key IS old.object_key
  AND substr(new.content, 1, length(old.content)) = old.content BEGIN
  SELECT RAISE(ABORT, 'this workspace file is kept in R2 by a newer version of Sparky: try again in a minute');
END;
CREATE TRIGGER workspace_inline_rewrite AFTER UPDATE OF content ON workspace_files
WHEN old.object_key IS NOT NULL AND new.object_key IS old.object_key BEGIN
  UPDATE workspace_files SET object_key = NULL, type = NULL, sha256 = NULL
    WHERE user_id = new.user_id AND path = new.path;
END;
