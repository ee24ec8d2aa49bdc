-- A user's unfinished tasks, for the open-task cap (schema.sql of c9b670d).

CREATE INDEX tasks_user_open ON tasks (user_id)
  WHERE status NOT IN ('succeeded', 'failed', 'cancelled');
