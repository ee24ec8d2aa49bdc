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

export interface SavedRun {
	checkpoint: Checkpoint;
	messages: StoredMessage[];
}

export async function loadCheckpoint(db: D1Database, taskId: string): Promise<SavedRun> {
	return readCheckpoint(await db.batch(checkpointReads(db, taskId)));
}

/** A checkpoint's two reads, to run in a batch of their own or at the end of another one. */
export function checkpointReads(db: D1Database, taskId: string): D1PreparedStatement[] {
	return [
		db.prepare("SELECT * FROM task_checkpoints WHERE task_id = ?").bind(taskId),
		db.prepare("SELECT run_id, json FROM task_messages WHERE task_id = ? ORDER BY idx").bind(taskId),
	];
}

/** The checkpoint from the results of `checkpointReads` (the last two of a batch). */
export function readCheckpoint(results: D1Result[]): SavedRun {
	const [row, rows] = results.slice(-2);
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

/**
 * What a task says about how its runs may act, beyond the server's own settings: the tools a
 * person must approve first. A follow-up carries its parent's (tasks/service.ts `inheritPolicy`):
 * a field added here must be read in `loadPolicy`, written in `initialCheckpoint` and given a merge rule
 * there, or the types don't check.
 */
export interface TaskPolicy {
	approve: string[];
}

/** A task's policy as recorded at its creation (empty when it asked for nothing). */
export async function loadPolicy(db: D1Database, taskId: string): Promise<TaskPolicy> {
	const row = await db
		.prepare("SELECT approve FROM task_checkpoints WHERE task_id = ?")
		.bind(taskId)
		.first<Pick<CheckpointRow, "approve">>();
	return { approve: row?.approve ? (JSON.parse(row.approve) as string[]) : [] };
}

/** The columns a task's checkpoint starts with: written in the task's own insert (`insertTask`). */
export interface InitialCheckpoint {
	approve: string | null;
	client_tools: string | null;
}

/** What a new task's checkpoint starts with: its policy and its client's tools (none: nothing to write). */
export function initialCheckpoint(policy: TaskPolicy, clientTools: ClientTool[] = []): InitialCheckpoint | undefined {
	const approve = policy.approve.length ? JSON.stringify(policy.approve) : null;
	const client_tools = clientTools.length ? JSON.stringify(clientTools) : null;
	return approve || client_tools ? { approve, client_tools } : undefined;
}

/** What a run adds to its task's checkpoint in one write. */
export interface CheckpointWrite {
	fromIdx: number;
	messages: StoredMessage[];
	totals: Pick<Checkpoint, "steps" | "inputTokens" | "outputTokens" | "runMs">;
	/** The tool call about to run (written before it starts, so a crash knows it may have run). */
	inFlight?: string | null;
}

/**
 * Appends messages after `fromIdx`, moves the totals and sets the in-flight call, in one
 * batch (D1 runs a batch as one transaction): a crash leaves the write whole, or not at all.
 */
export async function appendMessages(
	db: D1Database,
	taskId: string,
	fromIdx: number,
	messages: StoredMessage[],
	totals: CheckpointWrite["totals"],
	now: number,
	inFlight: string | null = null,
): Promise<void> {
	await db.batch(checkpointStatements(db, taskId, { fromIdx, messages, totals, inFlight }, now));
}

/**
 * The statements of one checkpoint write. With `leaseOwner`, each applies only while that run
 * still holds the task (a run's last write goes in one batch with its status change, which the
 * lease fences too).
 */
export function checkpointStatements(
	db: D1Database,
	taskId: string,
	write: CheckpointWrite,
	now: number,
	leaseOwner?: string,
): D1PreparedStatement[] {
	// (An INSERT … SELECT with an upsert needs a WHERE: SQLite's parser would read ON as a join's.)
	const held =
		leaseOwner === undefined
			? "WHERE true"
			: "WHERE EXISTS (SELECT 1 FROM tasks WHERE id = ? AND status = 'running' AND lease_owner = ?)";
	const fence = leaseOwner === undefined ? [] : [taskId, leaseOwner];
	const { totals } = write;
	const inserts = write.messages.map((m, i) =>
		db
			.prepare(`INSERT OR REPLACE INTO task_messages (task_id, idx, run_id, json) SELECT ?, ?, ?, ? ${held}`)
			.bind(taskId, write.fromIdx + i, m.runId, JSON.stringify(capMessage(m.message)), ...fence),
	);
	return [
		...inserts,
		db
			.prepare(
				`INSERT INTO task_checkpoints (task_id, steps, input_tokens, output_tokens, run_ms, in_flight, updated_at)
				 SELECT ?, ?, ?, ?, ?, ?, ? ${held}
				 ON CONFLICT (task_id) DO UPDATE SET steps = excluded.steps, input_tokens = excluded.input_tokens,
				   output_tokens = excluded.output_tokens, run_ms = excluded.run_ms, in_flight = excluded.in_flight,
				   updated_at = excluded.updated_at`,
			)
			.bind(
				taskId,
				totals.steps,
				totals.inputTokens,
				totals.outputTokens,
				totals.runMs,
				write.inFlight ?? null,
				now,
				...fence,
			),
	];
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
