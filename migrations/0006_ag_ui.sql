-- The AG-UI endpoint (schema.sql of 6c26ec8): client-side tools (a checkpoint's offered tools,
-- an approval of kind 'client_tool') and the runs a client can re-attach to.

ALTER TABLE task_checkpoints ADD COLUMN client_tools TEXT;
ALTER TABLE approvals ADD COLUMN kind TEXT NOT NULL DEFAULT 'approval' CHECK (kind IN ('approval', 'client_tool'));

CREATE TABLE ag_ui_runs (
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  run_id TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
  since_seq INTEGER NOT NULL,
  min_attempt INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, run_id)
);
