import { announceChat, DEFAULT_CHAT_TITLE, sendMessage, spendChatQuota, threadChatId } from "../chats/service.ts";
import type { Deps } from "../deps.ts";
import { conflict, invalid, notFound } from "../errors.ts";
import {
	ApprovalResumePayloadSchema,
	type Chat,
	describeIssues,
	messageText,
	type SparkyRunInput,
	TURN_TEXT_CHARS,
} from "../protocol/index.ts";
import { type AgUiRun, putAgUiRun, storedMessageIds } from "../storage/ag-ui-runs.ts";
import { getApproval, pendingClientCall, pendingClientCalls } from "../storage/approvals.ts";
import { getChat, insertChat } from "../storage/chats.ts";
import { getTask, openTurns, type TaskRow } from "../storage/tasks.ts";
import { decideApproval, deliverClientResult } from "../tasks/approvals.ts";

export interface Viewer {
	userId: string;
	role: string;
}

/**
 * A client's message id as a history row id. `chatId` is the thread's chat: its id is one
 * Sparky made (`chat_…`, or `thr_…` derived from the user and the thread id), so the rows of
 * one chat never share an id with another chat's (a turn's own rows are `turn_…:…`, `task_…:…`).
 */
export function rowIdOf(chatId: string, messageId: string): string {
	return `${chatId}:${messageId}`;
}

/**
 * The thread's chat. Thread ids are per user: the caller's chat with that id if there is one
 * (a chat made on the page or by the API, or a thread made before thread ids were per user),
 * else the caller's thread of that name (`threadChatId`), created on first use. Another
 * user's chat or thread is never found: the same id names the caller's own thread.
 */
export async function threadChat(deps: Deps, threadId: string, viewer: Viewer, now = Date.now()): Promise<Chat> {
	const db = deps.env.DB;
	const named = await getChat(db, threadId);
	if (named && named.user_id === viewer.userId) return named;
	const id = await threadChatId(viewer.userId, threadId);
	const mine = async () => {
		const existing = await getChat(db, id);
		// Only a chat made before thread ids were per user, with this very id, could be someone else's.
		if (existing && existing.user_id !== viewer.userId) throw conflict(`thread id ${threadId} is taken: pick another`);
		return existing;
	};
	const existing = await mine();
	if (existing) return existing;
	await spendChatQuota(deps, viewer.userId);
	const chat: Chat = {
		id,
		user_id: viewer.userId,
		title: DEFAULT_CHAT_TITLE,
		created_at: now,
		updated_at: now,
	};
	try {
		await insertChat(db, chat);
	} catch (error) {
		// The same client twice at once: the first one made it.
		const made = await mine();
		if (made) return made;
		throw error;
	}
	await announceChat(deps, chat, "created", now);
	return chat;
}

/** What a run request became: a turn to follow from a seq, or nothing new (answer with the thread's messages). */
export type RunStart = { kind: "follow"; run: AgUiRun } | { kind: "snapshot" };

/**
 * Acts on a run request: decides the interrupts it resumes, delivers the results of client
 * tools a turn waits for, or makes the user messages Sparky hasn't seen a turn. `lastSeq`
 * reads the caller's hub position right before acting: the run's events come after it.
 */
export async function startRun(
	deps: Deps,
	chat: Chat,
	input: SparkyRunInput & { messages: { id: string; role: string; [k: string]: unknown }[] },
	viewer: Viewer,
	lastSeq: () => Promise<number>,
	now = Date.now(),
): Promise<RunStart> {
	const db = deps.env.DB;
	const open = await openTurns(db, chat.id);
	const record = async (task: TaskRow, since: number, minAttempt: number): Promise<RunStart> => {
		const run = await putAgUiRun(db, {
			user_id: viewer.userId,
			run_id: input.runId,
			thread_id: chat.id,
			task_id: task.id,
			since_seq: since,
			min_attempt: minAttempt,
			created_at: now,
		});
		// The same runId sent to another thread meanwhile: that run is the other thread's.
		if (run.thread_id !== chat.id) throw conflict(`run ${input.runId} belongs to another thread`);
		return { kind: "follow", run };
	};

	if (input.resume?.length) {
		let resumed: { task: TaskRow; since: number } | undefined;
		for (const entry of input.resume) {
			const found = await findApproval(db, open, entry.interruptId);
			if (!found) throw notFound(`interrupt ${entry.interruptId}`);
			let decision: { approved: boolean; reason?: string } = { approved: false, reason: "cancelled by the client" };
			if (entry.status === "resolved") {
				const payload = ApprovalResumePayloadSchema.safeParse(entry.payload);
				if (!payload.success) {
					throw invalid(
						`resume payload for ${entry.interruptId} must be {approved, reason?}`,
						describeIssues(payload.error),
					);
				}
				decision = payload.data;
			}
			const task = await settled(db, found.task);
			resumed ??= { task, since: await lastSeq() };
			await decideApproval(deps, task, entry.interruptId, decision, viewer, now);
		}
		if (resumed) return record(resumed.task, resumed.since, resumed.task.attempts + 1);
	}

	const results = input.messages.filter((m) => m.role === "tool" && typeof m.toolCallId === "string");
	for (const turn of open) {
		let delivered: { task: TaskRow; since: number } | undefined;
		for (const m of results) {
			const call = await pendingClientCall(db, turn.id, m.toolCallId as string);
			if (!call) continue;
			const task = await settled(db, turn);
			delivered ??= { task, since: await lastSeq() };
			const content = messageText(m.content);
			await deliverClientResult(deps, task, call, content.slice(0, 64_000), viewer.userId, now);
		}
		if (delivered) return record(delivered.task, delivered.since, delivered.task.attempts + 1);
	}

	const users = input.messages.filter((m) => m.role === "user");
	const seen = await storedMessageIds(
		db,
		chat.id,
		users.map((m) => rowIdOf(chat.id, m.id)),
	);
	const unseen = users.filter((m) => !seen.has(rowIdOf(chat.id, m.id)));
	if (unseen.length === 0) return { kind: "snapshot" };

	for (const turn of open) {
		const waiting = await pendingClientCalls(db, turn.id);
		if (waiting[0]) {
			throw conflict(`the thread waits for the result of tool call ${waiting[0].tool_call_id}`, {
				toolCallId: waiting[0].tool_call_id,
			});
		}
		if (turn.status === "awaiting_approval") {
			throw conflict("the thread waits for a decision: answer its interrupts with resume", { turn_id: turn.id });
		}
	}
	const parts = unseen.map((m) => ({ id: rowIdOf(chat.id, m.id), text: messageText(m.content).trim() }));
	const text = parts.map((p) => p.text).join("\n\n");
	if (!text) throw invalid("the new user message has no text");
	if (text.length > TURN_TEXT_CHARS) throw invalid(`the new user message is over ${TURN_TEXT_CHARS} characters`);
	const since = await lastSeq();
	const sent = await sendMessage(
		deps,
		chat,
		text,
		{
			approve: input.forwardedProps?.sparky?.approve,
			clientTools: input.tools,
			parts: parts.filter((p) => p.text),
		},
		now,
	);
	const turn = await getTask(db, sent.turn_id);
	if (!turn) throw notFound(`turn ${sent.turn_id}`);
	return record(turn, since, 1);
}

async function findApproval(db: D1Database, open: TaskRow[], id: string): Promise<{ task: TaskRow } | undefined> {
	for (const task of open) if (await getApproval(db, task.id, id)) return { task };
	return undefined;
}

/**
 * A run that just paused ends its events before its status is written: a client quick to
 * answer may find it still `running`. Waits (briefly) until it has paused.
 */
async function settled(db: D1Database, task: TaskRow): Promise<TaskRow> {
	let row: TaskRow | null = task;
	for (let i = 0; i < 50 && row?.status === "running"; i++) {
		await new Promise((resolve) => setTimeout(resolve, 100));
		row = await getTask(db, task.id);
	}
	if (row?.status !== "awaiting_approval") throw conflict(`turn ${task.id} is not waiting (${row?.status})`);
	return row;
}
