import { env } from "cloudflare:workers";

/**
 * What the code before #25 did to a workspace file, statement for statement (its
 * src/storage/workspace.ts): the rows it writes during a deploy, and the files every install
 * already has.
 */
export const oldCode = {
	write: (userId: string, path: string, content: string, now: number) =>
		env.DB.prepare(
			`INSERT INTO workspace_files (user_id, path, content, size, updated_at) VALUES (?, ?, ?, ?, ?)
			 ON CONFLICT (user_id, path) DO UPDATE SET content = excluded.content, size = excluded.size, updated_at = excluded.updated_at`,
		)
			.bind(userId, path, content, new TextEncoder().encode(content).length, now)
			.run(),
	read: async (userId: string, path: string) =>
		(
			await env.DB.prepare("SELECT content FROM workspace_files WHERE user_id = ? AND path = ?")
				.bind(userId, path)
				.first<{ content: string }>()
		)?.content ?? null,
	delete: (userId: string, path: string) =>
		env.DB.prepare("DELETE FROM workspace_files WHERE user_id = ? AND path = ?").bind(userId, path).run(),
};

/** The user's workspace objects in R2, by key. */
export async function objectKeys(userId: string): Promise<string[]> {
	const listed = await env.FILES.list({ prefix: `workspace/${userId}/` });
	return listed.objects.map((o) => o.key).sort();
}

/** An object's bytes as text, or null when it is missing. */
export async function objectText(key: string): Promise<string | null> {
	return (await env.FILES.get(key))?.text() ?? null;
}

/** The workspace row as stored (content included). */
export function storedRow(userId: string, path: string) {
	return env.DB.prepare("SELECT * FROM workspace_files WHERE user_id = ? AND path = ?").bind(userId, path).first<{
		content: string;
		size: number;
		type: string | null;
		sha256: string | null;
		object_key: string | null;
		updated_at: number;
	}>();
}

/** The user's garbage rows: objects no row points at, waiting to be deleted. */
export async function garbageOf(userId: string): Promise<{ object_key: string; pending: number }[]> {
	const { results } = await env.DB.prepare(
		"SELECT object_key, pending FROM workspace_garbage WHERE user_id = ? ORDER BY object_key",
	)
		.bind(userId)
		.all<{ object_key: string; pending: number }>();
	return results;
}

export async function sha256Of(bytes: Uint8Array): Promise<string> {
	const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
	return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A PNG header (signature and IHDR) of the given size, and some bytes after it: enough to be named and measured. */
export function pngBytes(width: number, height: number, extra = 64): Uint8Array {
	const bytes = new Uint8Array(33 + extra);
	bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
	const view = new DataView(bytes.buffer);
	view.setUint32(16, width);
	view.setUint32(20, height);
	bytes.set([8, 6, 0, 0, 0], 24);
	for (let i = 33; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
	return bytes;
}

/** A stream of the bytes, in chunks (as an upload arrives). */
export function streamOf(bytes: Uint8Array, chunk = 1024): ReadableStream<Uint8Array> {
	let at = 0;
	return new ReadableStream<Uint8Array>({
		pull(controller) {
			if (at >= bytes.length) return controller.close();
			controller.enqueue(bytes.slice(at, at + chunk));
			at += chunk;
		},
	});
}
