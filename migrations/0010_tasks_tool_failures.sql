-- How many tool calls of a task's last run failed or were denied (issue #27): a task that
-- succeeded with failed steps says so. 0 for every task before this.

ALTER TABLE tasks ADD COLUMN tool_failures INTEGER NOT NULL DEFAULT 0;
