import type { ModelMessage } from "ai";
import type { ClientTool } from "../protocol/index.ts";

/**
 * A task's checkpoint (`task_checkpoints`) and the messages its runs added (`task_messages`):
 * what a new attempt needs to go on where the last one stopped.
 */
export interface Checkpoint {
	steps: number;
	inputTokens: number;
	outputTokens: number;
	runMs: number;
	/** Runs that paused for approval: they don't count as failed attempts. */
	pauses: number;
	/** The tool call that was running when the checkpoint was last written, if any. */
	inFlight: string | null;
	/** Tools this task asked to approve (beside the server's floor). */
	approve: string[];
	/** Tools the AG-UI client that started this task runs itself (offered to the model on every attempt). */
	clientTools: ClientTool[];
}

export interface StoredMessage {
	/** The run (`<task>:<attempt>`) that added it: its tool calls' event ids start with it. */
	runId: string;
	message: ModelMessage;
}

/** A message row must stay far below D1's 2 MB row limit; bigger tool results are cut, visibly. */
export const MESSAGE_ROW_CHARS = 512 * 1024;

const EMPTY: Checkpoint = {
	steps: 0,
	inputTokens: 0,
	outputTokens: 0,
	runMs: 0,
	pauses: 0,
	inFlight: null,
	approve: [],
	clientTools: [],
};

interface CheckpointRow {
	steps: number;
	input_tokens: number;
	output_tokens: number;
	run_ms: number;
	pauses: number;
	in_flight: string | null;
	approve: string | null;
	client_tools: string | null;
}

export async function loadCheckpoint(
	db: D1Database,
	taskId: string,
): Promise<{ checkpoint: Checkpoint; messages: StoredMessage[] }> {
	const [row, rows] = await db.batch([
		db.prepare("SELECT * FROM task_checkpoints WHERE task_id = ?").bind(taskId),
		db.prepare("SELECT run_id, json FROM task_messages WHERE task_id = ? ORDER BY idx").bind(taskId),
	]);
	const c = row?.results[0] as CheckpointRow | undefined;
	const checkpoint: Checkpoint = c
		? {
				steps: c.steps,
				inputTokens: c.input_tokens,
				outputTokens: c.output_tokens,
				runMs: c.run_ms,
				pauses: c.pauses,
				inFlight: c.in_flight,
				approve: c.approve ? (JSON.parse(c.approve) as string[]) : [],
				clientTools: c.client_tools ? (JSON.parse(c.client_tools) as ClientTool[]) : [],
			}
		: { ...EMPTY };
	const messages = ((rows?.results ?? []) as { run_id: string; json: string }[]).map((r) => ({
		runId: r.run_id,
		message: JSON.parse(r.json) as ModelMessage,
	}));
	return { checkpoint, messages };
}

/** Records the tools a task asked to approve (at creation). */
export async function saveApproveList(db: D1Database, taskId: string, approve: string[], now: number): Promise<void> {
	await setField(db, taskId, "approve", JSON.stringify(approve), now);
}

/** Records the tools an AG-UI client offered for this task (at creation). */
export async function saveClientTools(db: D1Database, taskId: string, tools: ClientTool[], now: number): Promise<void> {
	await setField(db, taskId, "client_tools", JSON.stringify(tools), now);
}

/**
 * Appends messages after `fromIdx` and moves the totals, in one batch (D1 runs a batch as one
 * transaction): a crash leaves either the step recorded whole, or not at all.
 */
export async function appendMessages(
	db: D1Database,
	taskId: string,
	fromIdx: number,
	messages: StoredMessage[],
	totals: Pick<Checkpoint, "steps" | "inputTokens" | "outputTokens" | "runMs">,
	now: number,
): Promise<void> {
	const inserts = messages.map((m, i) =>
		db
			.prepare("INSERT OR REPLACE INTO task_messages (task_id, idx, run_id, json) VALUES (?, ?, ?, ?)")
			.bind(taskId, fromIdx + i, m.runId, JSON.stringify(capMessage(m.message))),
	);
	await db.batch([
		...inserts,
		db
			.prepare(
				`INSERT INTO task_checkpoints (task_id, steps, input_tokens, output_tokens, run_ms, in_flight, updated_at)
				 VALUES (?, ?, ?, ?, ?, NULL, ?)
				 ON CONFLICT (task_id) DO UPDATE SET steps = excluded.steps, input_tokens = excluded.input_tokens,
				   output_tokens = excluded.output_tokens, run_ms = excluded.run_ms, in_flight = NULL,
				   updated_at = excluded.updated_at`,
			)
			.bind(taskId, totals.steps, totals.inputTokens, totals.outputTokens, totals.runMs, now),
	]);
}

/** Marks a tool call as running (written before it starts), so a crash knows it may have run. */
export async function markInFlight(db: D1Database, taskId: string, toolCallId: string, now: number): Promise<void> {
	await setField(db, taskId, "in_flight", toolCallId, now);
}

/** Sets one column of a task's checkpoint row, making the row if it has none yet. */
async function setField(
	db: D1Database,
	taskId: string,
	column: "approve" | "client_tools" | "in_flight",
	value: string,
	now: number,
): Promise<void> {
	await db
		.prepare(
			`INSERT INTO task_checkpoints (task_id, ${column}, updated_at) VALUES (?, ?, ?)
			 ON CONFLICT (task_id) DO UPDATE SET ${column} = excluded.${column}, updated_at = excluded.updated_at`,
		)
		.bind(taskId, value, now)
		.run();
}

/** A run ended waiting for a person: it doesn't count as a failed attempt. */
export async function countPause(db: D1Database, taskId: string, now: number): Promise<void> {
	await db
		.prepare(
			`INSERT INTO task_checkpoints (task_id, pauses, updated_at) VALUES (?, 1, ?)
			 ON CONFLICT (task_id) DO UPDATE SET pauses = pauses + 1, updated_at = excluded.updated_at`,
		)
		.bind(taskId, now)
		.run();
}

/**
 * Tool results are the only messages that grow without bound (a fetched page, a file). One
 * over the row budget keeps its beginning and says, in the text the model reads, what was cut.
 */
export function capMessage(message: ModelMessage): ModelMessage {
	if (message.role !== "tool" || JSON.stringify(message).length <= MESSAGE_ROW_CHARS) return message;
	return {
		...message,
		content: message.content.map((part) => {
			if (part.type !== "tool-result") return part;
			const text = JSON.stringify(part.output);
			if (text.length <= MESSAGE_ROW_CHARS / 2) return part;
			const kept = MESSAGE_ROW_CHARS / 2;
			return {
				...part,
				output: {
					type: "text" as const,
					value: `${text.slice(0, kept)}… [truncated for storage: the result was ${text.length} characters; only the first ${kept} were kept]`,
				},
			};
		}),
	};
}
