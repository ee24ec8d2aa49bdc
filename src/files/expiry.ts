import { filesConfig } from "../config.ts";
import { deleteExpiredFileRows } from "../storage/files.ts";
import { sweepWorkspaceGarbage } from "../storage/workspace.ts";
import { deleteObjects, fileKey, textKey } from "./objects.ts";

/** Files one tick deletes at most (the rest wait for the next minute's). */
export const SWEEP_LIMIT = 100;
/** An upload still 'uploading' this long after it began has died (a crash, a dropped connection). */
export const STUCK_UPLOAD_MS = 60 * 60 * 1000;

/**
 * The minute tick's file sweep: uploads attached to nothing within SPARKY_UPLOAD_TTL_HOURS,
 * and uploads stuck in 'uploading' for an hour, rows first (the DELETE re-checks, so a file
 * attached meanwhile stays), then their objects; then the workspace's garbage objects. How
 * many uploads went.
 */
export async function sweepExpiredFiles(env: Env, now: number, limit = SWEEP_LIMIT): Promise<number> {
	const { uploadTtlMs } = filesConfig(env);
	const gone = await deleteExpiredFileRows(
		env.DB,
		{ unattachedBefore: now - uploadTtlMs, stuckBefore: now - STUCK_UPLOAD_MS },
		limit,
	);
	await deleteObjects(
		env.FILES,
		gone.flatMap((f) => [fileKey(f.user_id, f.id), textKey(f.user_id, f.id)]),
	);
	// The workspace's objects nothing points at any more (overwritten, deleted, a deleted user's).
	await sweepWorkspaceGarbage(env, now);
	return gone.length;
}
