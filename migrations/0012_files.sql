-- Files (issue #25): uploads kept in R2 (`FILES`, key files/<user_id>/<id>), their metadata
-- here, and which task or chat turn each is attached to.

CREATE TABLE files (
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
CREATE INDEX files_user ON files (user_id, created_at DESC, id);
CREATE INDEX files_unattached ON files (created_at) WHERE attached_at IS NULL;

CREATE TABLE task_attachments (
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  file_id TEXT NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  ordinal INTEGER NOT NULL,              -- the order the sender gave
  PRIMARY KEY (task_id, file_id)
);
CREATE INDEX task_attachments_file ON task_attachments (file_id);
