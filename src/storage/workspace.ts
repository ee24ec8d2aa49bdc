export interface FileInfo {
	path: string;
	size: number;
	updated_at: number;
}

export const WELCOME_README = `# Your Sparky workspace

This is the agent's workspace for your account: a small private folder of text files.
Ask the agent to list, read, write or delete files here, for example:

- "List files in the workspace and summarise README.md"
- "Write notes/todo.md with: buy milk"
- "Fetch https://example.com and save a summary to example.md"

Files are stored in Sparky's D1 database, up to 256 KiB each and 5 MiB in all.
`;

/** Seeds a workspace with its README the first time it is used (once, even if the README is later deleted). */
export async function ensureWorkspace(db: D1Database, userId: string, now: number): Promise<void> {
	const created = await db
		.prepare("INSERT INTO workspaces (user_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING RETURNING user_id")
		.bind(userId, now)
		.first();
	if (created) await writeFile(db, userId, "README.md", WELCOME_README, now);
}

export async function listFiles(db: D1Database, userId: string, prefix = ""): Promise<FileInfo[]> {
	const { results } = await db
		.prepare(
			"SELECT path, size, updated_at FROM workspace_files WHERE user_id = ? AND substr(path, 1, ?) = ? ORDER BY path",
		)
		.bind(userId, prefix.length, prefix)
		.all<FileInfo>();
	return results;
}

export async function readFile(db: D1Database, userId: string, path: string): Promise<string | null> {
	const row = await db
		.prepare("SELECT content FROM workspace_files WHERE user_id = ? AND path = ?")
		.bind(userId, path)
		.first<{ content: string }>();
	return row?.content ?? null;
}

export async function usage(db: D1Database, userId: string): Promise<{ files: number; bytes: number }> {
	const row = await db
		.prepare("SELECT count(*) AS files, coalesce(sum(size), 0) AS bytes FROM workspace_files WHERE user_id = ?")
		.bind(userId)
		.first<{ files: number; bytes: number }>();
	return row ?? { files: 0, bytes: 0 };
}

/** Creates or replaces a file; returns whether it is new. */
export async function writeFile(
	db: D1Database,
	userId: string,
	path: string,
	content: string,
	now: number,
): Promise<{ created: boolean; size: number }> {
	const size = new TextEncoder().encode(content).length;
	const existed = await db
		.prepare("SELECT 1 AS x FROM workspace_files WHERE user_id = ? AND path = ?")
		.bind(userId, path)
		.first();
	await db
		.prepare(
			`INSERT INTO workspace_files (user_id, path, content, size, updated_at) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT (user_id, path) DO UPDATE SET content = excluded.content, size = excluded.size, updated_at = excluded.updated_at`,
		)
		.bind(userId, path, content, size, now)
		.run();
	return { created: !existed, size };
}

export async function deleteFile(db: D1Database, userId: string, path: string): Promise<boolean> {
	const result = await db
		.prepare("DELETE FROM workspace_files WHERE user_id = ? AND path = ?")
		.bind(userId, path)
		.run();
	return (result.meta.changes ?? 0) > 0;
}

/** Size of one file, or null when it doesn't exist. */
export async function fileSize(db: D1Database, userId: string, path: string): Promise<number | null> {
	const row = await db
		.prepare("SELECT size FROM workspace_files WHERE user_id = ? AND path = ?")
		.bind(userId, path)
		.first<{ size: number }>();
	return row?.size ?? null;
}
