import type { FileRow } from "./files.ts";

/**
 * Which files a task (or chat turn) carries: `task_attachments`, and the `files` rows they
 * name. The files themselves (upload, bytes, quota) are storage/files.ts's.
 */

/** D1 binds at most 100 parameters a statement: lists are read in pieces this big. */
const CHUNK = 90;

/** The user's files among `ids` (others' and unknown ids are simply absent). */
export async function userFilesAmong(db: D1Database, userId: string, ids: readonly string[]): Promise<FileRow[]> {
	if (ids.length === 0) return [];
	const { results } = await db
		.prepare(`SELECT * FROM files WHERE user_id = ? AND id IN (${ids.map(() => "?").join(", ")})`)
		.bind(userId, ...ids)
		.all<FileRow>();
	return results;
}

/** The new task row a statement may act beside: written by this very insert, not a conflicting earlier one. */
export interface InsertedTask {
	id: string;
	user_id: string;
	created_at: number;
	fingerprint: string;
}

/**
 * Statements that attach `fileIds` (in this order) to a task being inserted, for the same
 * batch (one transaction) as its insert: each runs only beside the row that insert made, and
 * only for the task owner's ready files, so a file deleted meanwhile is left out rather than
 * failing the task. The files are marked attached (`attached_at`: they no longer expire).
 */
export function attachStatements(
	db: D1Database,
	task: InsertedTask,
	fileIds: readonly string[],
	now: number,
): D1PreparedStatement[] {
	if (fileIds.length === 0) return [];
	const inserted = "EXISTS (SELECT 1 FROM tasks WHERE id = ? AND user_id = ? AND created_at = ? AND fingerprint = ?)";
	const insertedArgs = [task.id, task.user_id, task.created_at, task.fingerprint];
	const rows = fileIds.map((fileId, ordinal) =>
		db
			.prepare(
				`INSERT INTO task_attachments (task_id, file_id, ordinal)
				 SELECT ?, id, ? FROM files WHERE id = ? AND user_id = ? AND status = 'ready' AND ${inserted}
				 ON CONFLICT DO NOTHING`,
			)
			.bind(task.id, ordinal, fileId, task.user_id, ...insertedArgs),
	);
	const mark = db
		.prepare(
			`UPDATE files SET attached_at = coalesce(attached_at, ?)
			 WHERE user_id = ? AND id IN (SELECT file_id FROM task_attachments WHERE task_id = ?) AND ${inserted}`,
		)
		.bind(now, task.user_id, task.id, ...insertedArgs);
	return [...rows, mark];
}

/** A task's files in the order they were attached. */
export async function taskFiles(db: D1Database, taskId: string): Promise<FileRow[]> {
	const { results } = await db
		.prepare(
			`SELECT f.* FROM task_attachments a JOIN files f ON f.id = a.file_id
			 WHERE a.task_id = ? ORDER BY a.ordinal`,
		)
		.bind(taskId)
		.all<FileRow>();
	return results;
}

/** The files of each of these tasks (tasks without any are absent from the map). */
export async function filesOfTasks(db: D1Database, taskIds: readonly string[]): Promise<Map<string, FileRow[]>> {
	const byTask = new Map<string, FileRow[]>();
	const unique = [...new Set(taskIds)];
	for (let i = 0; i < unique.length; i += CHUNK) {
		const ids = unique.slice(i, i + CHUNK);
		const { results } = await db
			.prepare(
				`SELECT a.task_id AS attached_to, f.* FROM task_attachments a JOIN files f ON f.id = a.file_id
				 WHERE a.task_id IN (${ids.map(() => "?").join(", ")}) ORDER BY a.task_id, a.ordinal`,
			)
			.bind(...ids)
			.all<FileRow & { attached_to: string }>();
		for (const { attached_to, ...row } of results) {
			const list = byTask.get(attached_to) ?? [];
			list.push(row);
			byTask.set(attached_to, list);
		}
	}
	return byTask;
}
