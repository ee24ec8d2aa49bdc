-- model_calls_task is read by no query (the usage queries search by time, with or without the
-- user: model_calls_created, model_calls_user; EXPLAIN QUERY PLAN of each in docs/usage.md) and
-- cost a D1 row written on every model call (issue #30: a demo task made 2.25 calls, 37 rows
-- written). Dropping an index loses no data, and no code of the release before reads by it.
DROP INDEX IF EXISTS model_calls_task;
