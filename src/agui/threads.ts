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
import { getApproval, pendingClientCall, pendingClientCalls, taskApprovals } from "../storage/approvals.ts";
import { claimMessages, getChat, insertChat, messageOwners, releaseMessages } from "../storage/chats.ts";
import { getTask, openTurns, type TaskRow } from "../storage/tasks.ts";
import { type AgUiInterrupt, interruptOf } from "../tasks/approval-events.ts";
import { decideApproval, deliverClientResult } from "../tasks/approvals.ts";
import { newTaskId } from "../tasks/service.ts";
import { checkMediaCount, inputMedia, mediaFileIds } from "./input-files.ts";

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

/**
 * The key a run is stored under (`ag_ui_runs.run_id`): its `runId`, or, for a run that answers
 * interrupts, its `runId` and the interrupts it answers. Such a run is a new one even when it
 * reuses the interrupted run's `runId` (CopilotKit does: to it the resumed run is the same
 * logical run): the interrupted run is not replayed instead, and the same body again (a
 * retry, a re-attach with `Last-Event-ID`) still finds it.
 */
export function runKey(input: { runId: string; resume?: { interruptId: string }[] }): string {
	if (!input.resume?.length) return input.runId;
	return `${input.runId}~resume:${input.resume
		.map((entry) => entry.interruptId)
		.sort()
		.join(",")}`;
}

/**
 * The interrupts a thread waits on: the pending approvals of its turn that awaits a decision,
 * as that turn's run ended with them (`interruptOf`, src/tasks/approval-events.ts). A
 * thread opened again (a run with nothing new: a page reload, CopilotKit's connect) ends with
 * them, so the client can answer them with `resume`.
 */
export async function openInterrupts(db: D1Database, chatId: string): Promise<AgUiInterrupt[]> {
	const interrupts: AgUiInterrupt[] = [];
	for (const turn of await openTurns(db, chatId)) {
		if (turn.status !== "awaiting_approval") continue;
		for (const approval of await taskApprovals(db, turn.id))
			if (approval.status === "pending") interrupts.push(interruptOf(approval));
	}
	return interrupts;
}

/** What a run request became: a turn to follow from a seq, or nothing new (answer with the thread's messages). */
export type RunStart = { kind: "follow"; run: AgUiRun } | { kind: "snapshot" };

/**
 * Acts on a run request: decides the interrupts it resumes, delivers the results of client
 * tools a turn waits for, or makes the user messages Sparky hasn't seen a turn. `lastSeq`
 * reads the caller's hub position right before acting: the run's events come after it. New
 * user messages are claimed by storing them: a request that finds them stored by another at
 * the same moment (a double submit) makes no turn, and follows that request's.
 */
export async function startRun(
	deps: Deps,
	chat: Chat,
	input: SparkyRunInput & { messages: { id: string; role: string; [k: string]: unknown }[] },
	viewer: Viewer,
	lastSeq: () => Promise<number>,
	now = Date.now(),
	/** The caller's W3C traceparent (already validated): the turn's spans join its trace. */
	traceparent?: string,
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
	// Each message's words, and its images and documents (checked now: a bad part is a 400 before anything is stored).
	const parts = unseen.map((m) => ({
		id: rowIdOf(chat.id, m.id),
		text: messageText(m.content).trim(),
		media: inputMedia(m.content),
	}));
	checkMediaCount(parts.reduce((n, p) => n + p.media.length, 0));
	const text = parts.map((p) => p.text).join("\n\n");
	if (!text.trim() && !parts.some((p) => p.media.length > 0)) throw invalid("the new user message has no text");
	if (text.length > TURN_TEXT_CHARS) throw invalid(`the new user message is over ${TURN_TEXT_CHARS} characters`);
	const since = await lastSeq();
	const written = parts.filter((p) => p.text || p.media.length > 0);
	for (let round = 0; ; round++) {
		// Storing the messages is the claim: of two identical requests at once (a double submit,
		// a client's retry) only one writes them, and only it makes a turn.
		const turnId = newTaskId("chat");
		const claimed = await claimMessages(
			db,
			written.map((p, ordinal) => ({
				id: p.id,
				chat_id: chat.id,
				turn_id: turnId,
				role: "user",
				content: p.text,
				tool_name: null,
				tool_args: null,
				created_at: now,
				ordinal,
			})),
		);
		const mine = written.filter((p) => claimed.has(p.id));
		if (mine.length > 0) {
			let sent: Awaited<ReturnType<typeof sendMessage>>;
			try {
				// Inline bytes become uploads only once the messages are this request's to send.
				const attachments = await mediaFileIds(
					deps.env,
					chat.user_id,
					mine.flatMap((p) => p.media),
				);
				sent = await sendMessage(
					deps,
					chat,
					mine
						.map((p) => p.text)
						.filter(Boolean)
						.join("\n\n"),
					{
						approve: input.forwardedProps?.sparky?.approve,
						maxCostUsd: input.forwardedProps?.sparky?.max_cost_usd,
						// `steer` can't join another run's turn here (this run follows its own): it queues.
						policy: input.forwardedProps?.sparky?.policy,
						traceparent,
						clientTools: input.tools,
						parts: mine,
						turnId,
						attachments,
					},
					now,
				);
			} catch (error) {
				// No turn came of it (refused, capped, cancelled before it was queued): the
				// messages are unsent again, and the client's retry makes the turn.
				const made = await getTask(db, turnId);
				if (!made || made.status === "cancelled") await releaseMessages(db, turnId, [...claimed]);
				throw error;
			}
			const turn = await getTask(db, sent.turn_id);
			if (!turn) throw notFound(`turn ${sent.turn_id}`);
			return record(turn, since, 1);
		}
		// Another request stored them first: this run follows the turn that request made.
		const ids = written.map((p) => p.id);
		const owner = (await messageOwners(db, chat.id, ids)).at(-1);
		if (!owner) {
			// Released meanwhile (its turn was refused): claim them again, a few times at most.
			if (round < CLAIM_ROUNDS) continue;
			throw conflict("the message is being sent by another request: send it again");
		}
		if (!owner.turn_id) return { kind: "snapshot" };
		const turn = await turnOf(db, owner.turn_id);
		// From the turn's first event: this run may start after the other request's did.
		if (turn) return record(turn, 0, 1);
		// No turn came: claim them again if that request released them (it failed), once more at most.
		if (round < CLAIM_ROUNDS && (await messageOwners(db, chat.id, [owner.id])).length === 0) continue;
		throw conflict("the message is being sent by another request: send it again");
	}
}

/** How often a request claims the same messages again after finding them released. */
const CLAIM_ROUNDS = 2;
/** How long another request may take from claiming a message to making its turn. */
const CLAIM_WAIT_MS = 10_000;

/** The turn another request is making (it claimed the messages first), once it exists. */
async function turnOf(db: D1Database, turnId: string): Promise<TaskRow | null> {
	const deadline = Date.now() + CLAIM_WAIT_MS;
	for (;;) {
		const turn = await getTask(db, turnId);
		if (turn || Date.now() > deadline) return turn;
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
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
