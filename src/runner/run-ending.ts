import type { AgentOutcome } from "../agent/runtime.ts";
import type { Transcript } from "../chats/transcript.ts";
import { type AgentConfig, agentConfig } from "../config.ts";
import type { Deps } from "../deps.ts";
import { failpoint } from "../faults.ts";
import { log } from "../log.ts";
import { type Approval, CustomName, EventType } from "../protocol/index.ts";
import { putMessages } from "../storage/chats.ts";
import { type CheckpointWrite, countPause } from "../storage/checkpoints.ts";
import { finishRun, type RunOutcome } from "../storage/task-runs.ts";
import type { TaskRow } from "../storage/tasks.ts";
import { approvalDecidedEvent, interruptOf } from "../tasks/approval-events.ts";
import { afterTaskEnded, enqueueTask } from "../tasks/service.ts";
import { taskStatusEvent } from "../tasks/status-events.ts";
import { taskChanged } from "../webhooks/service.ts";
import type { RunEmitter } from "./run-events.ts";

/** What the queue consumer should do with the message afterwards. */
export type RunResult = { kind: "done"; status: string } | { kind: "retry"; delaySeconds: number };

/** One run of a task, as its ending needs it. */
export interface RunContext {
	services: Deps;
	task: TaskRow;
	owner: string;
	events: RunEmitter;
	transcript: Transcript | undefined;
	thread: { threadId: string; runId: string };
	/** Runs of this task that paused for approval (they are not failed attempts). */
	pauses: number;
	now: () => number;
}

export interface AgentEnding {
	outcome: AgentOutcome;
	/** What the run added that is not checkpointed yet (a completed run's answer). */
	last?: CheckpointWrite;
	/** Tokens this attempt used (the outcome's totals include earlier attempts'). */
	attemptTokens: { inputTokens: number; outputTokens: number };
	label: string;
	stopReason: "cancelled" | "lease_lost" | undefined;
	/** The approval a paused run waits for. */
	approval: Approval | undefined;
	/** `client_tool`: the pause waits for an AG-UI client's tool result, not a person. */
	pauseKind?: "approval" | "client_tool";
}

/** Turns how the agent loop ended into the run's last events and the task's new status. */
export async function recordEnding(run: RunContext, ending: AgentEnding): Promise<RunResult> {
	if (ending.stopReason === "lease_lost") return abandon(run);
	const end = new Ending(run, ending);
	const { outcome } = ending;
	switch (outcome.status) {
		case "completed":
			return end.completed(outcome);
		case "cancelled":
			return end.cancelled();
		case "limit":
			return end.limited(outcome);
		case "paused":
			return end.paused();
		case "failed":
			return end.failed(outcome);
	}
}

/** The sweep gave this task to another run (and closed this one's events): record nothing more. */
async function abandon(run: RunContext): Promise<RunResult> {
	log.warn("run lost its lease; abandoning", { taskId: run.task.id, attempt: run.task.attempts });
	await run.events.relay.flush({ paced: false });
	return { kind: "done", status: "abandoned" };
}

type Outcome<S extends AgentOutcome["status"]> = Extract<AgentOutcome, { status: S }>;

/** One ending per way the loop can end: its last AG-UI event(s), then `finish`. */
class Ending {
	readonly #run: RunContext;
	readonly #ending: AgentEnding;
	/** The attempt's tokens, for the task's row. */
	readonly #tokens: { inputTokens: number; outputTokens: number; model: string };
	/** The attempt's tokens, for the run's last event. */
	readonly #usage: ReturnType<typeof usageOf>;

	constructor(run: RunContext, ending: AgentEnding) {
		this.#run = run;
		this.#ending = ending;
		this.#tokens = { ...ending.attemptTokens, model: ending.label };
		this.#usage = usageOf(ending);
	}

	completed(outcome: Outcome<"completed">): Promise<RunResult> {
		const { thread, events } = this.#run;
		const usage = this.#usage;
		events.emit({ type: EventType.RUN_FINISHED, ...thread, result: outcome.text, outcome: { type: "success" }, usage });
		const succeeded = { status: "succeeded", result: outcome.text, toolFailures: outcome.toolFailures } as const;
		return finish(this.#run, { ...succeeded, ...this.#tokens }, {}, this.#ending.last);
	}

	cancelled(): Promise<RunResult> {
		const { thread, events } = this.#run;
		events.emit({ type: EventType.RUN_FINISHED, ...thread, outcome: { type: "cancelled" }, usage: this.#usage });
		return finish(this.#run, { status: "cancelled", error: "cancelled while running", ...this.#tokens });
	}

	limited(outcome: Outcome<"limit">): Promise<RunResult> {
		const { message, limit, text } = outcome;
		this.#run.events.emit({ type: EventType.RUN_ERROR, message, code: `limit_${limit}`, usage: this.#usage });
		return finish(this.#run, { status: "failed", error: message, result: text || null, ...this.#tokens });
	}

	/** A pause: the task waits (no lease, no message) for a person's decision or a client's tool result. */
	async paused(): Promise<RunResult> {
		const { approval, pauseKind } = this.#ending;
		if (!approval) throw new Error("a run paused without an approval to wait for");
		const { services, task, now, thread, events } = this.#run;
		const usage = this.#usage;
		if (pauseKind === "client_tool") {
			// The client runs this tool: the run ends here, as AG-UI's client-side tools do
			// (the call was announced, no result follows); the client's next run brings it.
			const pendingToolCallIds = [approval.tool_call_id];
			events.emit({ type: EventType.RUN_FINISHED, ...thread, outcome: { type: "success", pendingToolCallIds }, usage });
		} else {
			this.#approvalRequested(approval);
			const interrupts = [interruptOf(approval)];
			events.emit({ type: EventType.RUN_FINISHED, ...thread, outcome: { type: "interrupt", interrupts }, usage });
		}
		await countPause(services.env.DB, task.id, now());
		return finish(this.#run, { status: "awaiting_approval", error: null, ...this.#tokens });
	}

	/** A transient failure with attempts left goes back to the queue (after a backoff); any other fails the task. */
	async failed(outcome: Outcome<"failed">): Promise<RunResult> {
		const { task, pauses, services } = this.#run;
		const { error } = outcome;
		const failedRuns = task.attempts - pauses;
		const transient = error.kind === "transient";
		const retry = transient && failedRuns < task.max_attempts;
		const code = retry ? "retrying" : transient ? "attempts_exhausted" : "failed";
		this.#run.events.emit({ type: EventType.RUN_ERROR, message: error.message, code, usage: this.#usage });
		if (!retry) {
			const reason = transient ? `${error.message} (gave up after ${failedRuns} attempts)` : error.message;
			return finish(this.#run, { status: "failed", error: reason, ...this.#tokens });
		}
		const delaySeconds = retryDelaySeconds(agentConfig(services.env), failedRuns);
		const queued = { status: "queued", error: error.message, ...this.#tokens } as const;
		const result = await finish(this.#run, queued, { retry_in_ms: delaySeconds * 1000 });
		return result.kind === "done" && result.status === "queued" ? { kind: "retry", delaySeconds } : result;
	}

	/** `sparky.approval.requested`, under the approval's own id (every hub hears it). */
	#approvalRequested(approval: Approval): void {
		const { task, now } = this.#run;
		this.#run.events.emitWithId({
			type: EventType.CUSTOM,
			id: `${approval.id}:requested`,
			ts: now(),
			task_id: task.id,
			...(task.chat_id ? { chat_id: task.chat_id } : {}),
			attempt: task.attempts,
			name: CustomName.approvalRequested,
			value: { approval },
		});
	}
}

/** The attempt's tokens, as the run's last event reports them. */
function usageOf({ attemptTokens, label }: AgentEnding) {
	const totalTokens = attemptTokens.inputTokens + attemptTokens.outputTokens;
	return [{ provider: label.split(":")[0], model: label, ...attemptTokens, totalTokens }];
}

/**
 * Records the run's end (fenced by the lease), relays the status change, flushes. A run
 * that ended for good, or paused, is written into its chat's history; one that ended for good
 * lets its dependents and the chat's next turn go (afterTaskEnded).
 */
export async function finish(
	run: Pick<RunContext, "services" | "task" | "owner" | "events" | "transcript" | "now">,
	outcome: RunOutcome,
	extra: Record<string, unknown> = {},
	last?: CheckpointWrite,
): Promise<RunResult> {
	const { services, task, events, now } = run;
	const { env } = services;
	await failpoint(env, "runner.before-finish");
	const finished = await finishRun(env.DB, task.id, run.owner, outcome, now(), last);
	const row = finished?.row ?? null;
	const ended = row !== null && row.status !== "queued" && row.status !== "awaiting_approval";
	// History first: a client that sees the status change can read the run in the chat's history.
	// Not a retry's run (the next attempt redoes it); a pause's is kept, even one decided already.
	const kept = row !== null && (row.status !== "queued" || outcome.status === "awaiting_approval");
	if (kept && task.chat_id && run.transcript) {
		await putMessages(env.DB, run.transcript.rows());
	}
	for (const approval of finished?.closed ?? []) events.emitWithId(approvalDecidedEvent(approval, now()));
	// `extra` describes the outcome asked for (a retry's delay); finishRun may have written another.
	if (row) events.emitWithId(taskStatusEvent(row, row.status === outcome.status ? extra : {}, now()));
	else log.warn("run finished without its lease; outcome not recorded", { taskId: task.id, status: outcome.status });
	// Delivered to the hubs that keep the task's stream before the task counts as ended. The
	// relay is shared by the batch: the agent hub's paced calls carry this run's end with the
	// others', and the batch's close sends whatever is still held.
	await events.relay.flush({ paced: false });
	if (ended) await afterTaskEnded(services, row, now(), finished?.waiting);
	else if (row?.status === "awaiting_approval") await taskChanged(services, [row], now());
	// A pause decided before it was recorded came back `queued`: the decision's resume found
	// the task still running and did nothing, so its message is sent here.
	if (row?.status === "queued" && outcome.status === "awaiting_approval") await enqueueTask(env, row.id, now());
	log.info("task run ended", {
		taskId: task.id,
		attempt: task.attempts,
		status: row?.status ?? "lease_lost",
	});
	return { kind: "done", status: row?.status ?? "abandoned" };
}

/** Exponential backoff with jitter: base, 2×base, 4×base… capped at 5 minutes. */
export function retryDelaySeconds(config: AgentConfig, attempt: number, random = Math.random): number {
	const base = config.retryBaseSeconds * 2 ** Math.max(0, attempt - 1);
	return Math.min(300, Math.round(base * (0.8 + 0.4 * random())));
}
