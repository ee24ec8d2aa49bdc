import { type ApprovalView, FrameError, type FrameRequests, type Timeline } from "../../../src/client/index.ts";
import type { Approval, Task } from "../../../src/protocol/index.ts";
import type { Api } from "../lib/api.ts";

/** Answers to `approval.decide` that mean the card's state is stale or the viewer may not decide. */
const REFUSALS = new Set(["forbidden", "not_found", "conflict", "approval_expired"]);

/**
 * The session's approval cards: a decision over the socket (`approval.decide`), the card read
 * again when the hub refuses it, and what waits for the user's decision when the page loads.
 */
export class SessionApprovals {
	constructor(
		readonly api: Api,
		readonly requests: FrameRequests,
		readonly timeline: Timeline,
		/** The session's opened tasks (`GET /api/tasks/:id`), kept current after a refusal. */
		readonly taskDetails: Map<string, Task>,
		readonly changed: () => void,
	) {}

	/** Approves or denies a tool call a run waits for, over the socket (`approval.decide`). */
	async decide(approval: ApprovalView, approved: boolean, reason?: string): Promise<void> {
		const taskId = approval.taskId;
		if (!taskId) throw new Error("This approval's task is not known yet.");
		const answer = await this.requests
			.request({
				type: "approval.decide",
				task_id: taskId,
				approval_id: approval.id,
				approved,
				...(reason ? { reason } : {}),
			})
			.catch(async (error: unknown) => {
				// Refused (not the viewer's to decide, decided already, expired): the card shows the
				// real state, read again, never the "needs your approval" it had.
				if (error instanceof FrameError && REFUSALS.has(error.code)) await this.#reread(taskId);
				throw error;
			});
		const decided =
			answer.type === "ack" ? (answer.result as { approval?: Approval } | undefined)?.approval : undefined;
		if (decided) this.timeline.applyApprovals([decided]);
		this.changed();
	}

	/** A task's approvals and what the viewer may do, read again (after a refused decision). */
	async #reread(taskId: string): Promise<void> {
		try {
			const task = await this.api.task(taskId);
			if (this.taskDetails.has(taskId)) this.taskDetails.set(taskId, task);
			this.timeline.applyApprovals(task.approvals ?? []);
			this.changed();
		} catch {
			// The refusal itself is shown; the card keeps what it had.
		}
	}

	/** What waits for the user's decision (for the sidebar's badges, before any event says so). */
	async loadWaiting(): Promise<void> {
		try {
			this.timeline.applyApprovals(await this.api.approvals());
			this.changed();
		} catch {
			// The badges then come from events; the lists' own errors are shown already.
		}
	}
}
