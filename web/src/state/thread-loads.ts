import type { FrameRequests, Timeline } from "../../../src/client/index.ts";
import { parseHubEvents, type Task } from "../../../src/protocol/index.ts";
import { type Api, describeError } from "../lib/api.ts";
import type { SessionFiles } from "./files.ts";
import type { ThreadLoad } from "./threads.ts";

const HISTORY_PAGE = 50;

/**
 * The past of the threads the page opens, read into the timeline: a chat's history a page at
 * a time over the socket (`chat.history`), a task and its events over HTTP. `loads` says how
 * far each thread got.
 */
export class ThreadLoads {
	readonly loads = new Map<string, ThreadLoad>();

	constructor(
		readonly api: Api,
		readonly requests: FrameRequests,
		readonly timeline: Timeline,
		readonly files: SessionFiles,
		/** The session's opened tasks (`GET /api/tasks/:id`): a loaded task goes in. */
		readonly taskDetails: Map<string, Task>,
		readonly changed: () => void,
	) {}

	load(key: string): ThreadLoad {
		return this.loads.get(key) ?? { status: "idle" };
	}

	set(key: string, load: ThreadLoad): void {
		this.loads.set(key, load);
		this.changed();
	}

	async loadEarlier(chatId: string): Promise<void> {
		const key = `chat:${chatId}`;
		const load = this.load(key);
		if (!load.nextBefore || load.loadingEarlier) return;
		this.set(key, { ...load, loadingEarlier: true, error: undefined });
		try {
			const answer = await this.history(chatId, load.nextBefore);
			this.set(key, { status: "loaded", nextBefore: answer.next_before });
		} catch (error) {
			this.set(key, { ...load, loadingEarlier: false, error: describeError(error) });
		}
	}

	async history(chatId: string, before?: string) {
		const answer = await this.requests.request({
			type: "chat.history",
			chat_id: chatId,
			limit: HISTORY_PAGE,
			...(before ? { before } : {}),
		});
		if (answer.type !== "chat.history") throw new Error(`unexpected answer ${answer.type}`);
		this.timeline.applyChats([answer.chat]);
		this.files.noteHistory(answer.messages);
		// Events first: their starts place the rows (which then bring the full texts) among thoughts and run lines.
		this.timeline.apply(parseHubEvents(answer.events));
		this.timeline.applyHistory(chatId, answer.messages);
		this.timeline.applyTurns(chatId, answer.turns);
		this.changed();
		return answer;
	}

	/** Reads a task and its events; answers with the task and the last seq read (where following it starts). */
	async task(id: string): Promise<{ task: Task; since: number }> {
		const [task, events] = await Promise.all([this.api.task(id), this.api.taskEvents(id)]);
		this.taskDetails.set(id, task);
		this.timeline.applyTasks([task]);
		this.timeline.apply(events);
		if (task.approvals) this.timeline.applyApprovals(task.approvals);
		this.changed();
		return { task, since: events.at(-1)?.seq ?? 0 };
	}
}
