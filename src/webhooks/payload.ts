import { type WebhookEvent, WebhookLimits } from "../protocol/index.ts";
import { taskApprovals } from "../storage/approvals.ts";
import { taskFiles } from "../storage/attachments.ts";
import { toFile } from "../storage/files.ts";
import { type TaskRow, toTask } from "../storage/tasks.ts";

/**
 * A delivery's body: `{"id", "type", "created_at", "task"}`, the task as `GET /api/tasks/:id`
 * shows it (usage included; its approvals and attachments; not what depends on who asks,
 * `can_cancel`/`can_decide`, nor its webhook and deliveries). Made once, when the task changed,
 * and kept: every attempt sends the same bytes. At most `WebhookLimits.bodyBytes` (256 KiB):
 * past that the task's `result`, then its `error`, are cut, then its approvals left out, and
 * the body says `"truncated": true`.
 */
export async function deliveryBody(
	db: D1Database,
	row: TaskRow,
	type: WebhookEvent,
	id: string,
	createdAt: number,
): Promise<string> {
	const [approvals, files] = await Promise.all([taskApprovals(db, row.id), taskFiles(db, row.id)]);
	const task: Record<string, unknown> = { ...toTask(row), approvals, attachments: files.map(toFile) };
	return fitBody({ id, type, created_at: createdAt, task }, WebhookLimits.bodyBytes);
}

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text).length;
const MARK = "… [cut: the webhook body's 256 KiB limit; GET /api/tasks/:id has it whole]";

/** The body as JSON within `limit` bytes (see `deliveryBody`). */
export function fitBody(body: { task: Record<string, unknown> } & Record<string, unknown>, limit: number): string {
	let text = JSON.stringify(body);
	if (bytes(text) <= limit) return text;
	const task = { ...body.task };
	const render = () => JSON.stringify({ ...body, task, truncated: true });
	for (const field of ["result", "error"] as const) {
		const value = task[field];
		if (typeof value !== "string") continue;
		let keep = value.length;
		// JSON spells a character in 1 to 6 bytes: cut in proportion, and again while still over.
		for (let tries = 0; tries < 8 && keep > 0; tries++) {
			const over = bytes(render()) - limit;
			if (over <= 0) break;
			const spelled = bytes(JSON.stringify(task[field]));
			keep = Math.max(0, Math.floor(keep * (1 - (over + 64) / spelled)));
			task[field] = value.slice(0, keep) + MARK;
		}
		text = render();
		if (bytes(text) <= limit) return text;
	}
	task.approvals = [];
	return render();
}
