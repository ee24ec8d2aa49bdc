import type { ModelMessage } from "ai";
import { type ModelResolution, resolveModel } from "../agent/models.ts";
import { systemPrompt } from "../agent/prompt.ts";
import { type AgentOutcome, runAgent } from "../agent/runtime.ts";
import { CONTEXT_ROWS, historyToMessages } from "../chats/context.ts";
import { Transcript } from "../chats/transcript.ts";
import { type AgentConfig, agentConfig } from "../config.ts";
import type { Deps } from "../deps.ts";
import { failpoint } from "../faults.ts";
import { log } from "../log.ts";
import { loadMcpTools, type McpRunTools, unavailableServersNote } from "../mcp/tools.ts";
import { hubPublisher, type Publisher } from "../relay/publish.ts";
import { Relay } from "../relay/relay.ts";
import { putMessages, recentMessages } from "../storage/chats.ts";
import { finishRun, type RunOutcome, renewLease, runState } from "../storage/task-runs.ts";
import { nextQueuedTurn, type TaskRow } from "../storage/tasks.ts";
import { taskAudience } from "../tasks/audience.ts";
import { afterTaskEnded, enqueueTask } from "../tasks/service.ts";
import { taskStatusEvent } from "../tasks/status-events.ts";
import { buildToolSet } from "../tools/registry.ts";
import { startHeartbeat } from "./heartbeat.ts";
import { RunEmitter } from "./run-events.ts";

export interface RunnerDeps {
	publish?: Publisher;
	/** The tools' and providers' fetch (tests point it at fakes). */
	fetch?: typeof fetch;
	now?: () => number;
	heartbeat?: { checkMs: number };
	/** Overrides SPARKY_MODEL (tests run scripted or failing models through the real runner). */
	model?: ModelResolution;
}

/** What the queue consumer should do with the message afterwards. */
export type RunResult = { kind: "done"; status: string } | { kind: "retry"; delaySeconds: number };

/**
 * Runs one claimed task (status `running`, lease held by `owner`) through the agent and
 * records how it ended. Every step is relayed to the task's audience as it happens.
 */
export async function runClaimedTask(
	env: Env,
	task: TaskRow,
	owner: string,
	deps: RunnerDeps = {},
): Promise<RunResult> {
	const config = agentConfig(env);
	const now = deps.now ?? Date.now;
	const runId = `${task.id}:${task.attempts}`;
	const relay = new Relay({ publish: deps.publish ?? hubPublisher(env) });
	const services: Deps = { env, relay };
	const events = new RunEmitter(
		relay,
		taskAudience(task),
		{ task_id: task.id, attempt: task.attempts, ...(task.chat_id ? { chat_id: task.chat_id } : {}) },
		runId,
		now,
	);
	const thread = { threadId: task.chat_id ?? task.id, runId };
	// A run in a chat (a turn, or a task posted into it) becomes part of the chat's history.
	const transcript = task.chat_id ? new Transcript(task.chat_id, task.id, task.created_at) : undefined;
	if (transcript && task.kind === "task") {
		transcript.add({ id: `${task.id}:instruction`, role: "user", content: `Task: ${task.instruction}` });
	}
	const run: RunContext = { services, task, owner, events, transcript, now };
	events.emitWithId(taskStatusEvent(task, {}, now()));

	const model = deps.model ?? resolveModel(env, config.model, deps.fetch);
	if (!model.ok) {
		events.emit({ type: "RUN_ERROR", message: model.error, code: "model_not_configured" });
		return finish(run, { status: "failed", error: model.error });
	}
	events.emit({ type: "RUN_STARTED", ...thread, model: model.resolved.label });

	const controller = new AbortController();
	let stopReason: "cancelled" | "lease_lost" | undefined;
	const stopHeartbeat = startHeartbeat({
		checkMs: deps.heartbeat?.checkMs ?? 1000,
		renewMs: config.leaseMs / 3,
		check: () => runState(env.DB, task.id, owner),
		renew: async () => (await renewLease(env.DB, task.id, owner, now(), config.leaseMs)) !== null,
		stop: (why) => {
			stopReason = why;
			controller.abort(why);
		},
	});

	let outcome: AgentOutcome;
	// The owner's MCP servers: reached and listed once per run; their tools join the built-ins.
	let mcp: McpRunTools | undefined;
	try {
		mcp = await loadMcpTools(env, task.user_id, { signal: controller.signal, fetch: deps.fetch });
		outcome = await runAgent({
			runId,
			model: model.resolved.model,
			system:
				systemPrompt({ userId: task.user_id, now: now(), kind: "task" }) + unavailableServersNote(mcp.unavailable),
			messages: await runMessages(env, task),
			tools: {
				...mcp.tools,
				...buildToolSet({
					env,
					relay,
					userId: task.user_id,
					taskId: task.id,
					depth: task.depth,
					chatId: task.chat_id ?? undefined,
					signal: controller.signal,
					config,
					fetch: deps.fetch ?? fetch,
					now,
				}),
			},
			limits: { maxSteps: config.maxSteps, maxRunMs: config.maxRunMs, maxOutputTokens: config.maxOutputTokens },
			signal: controller.signal,
			onEvent: (event) => {
				transcript?.observe(event);
				events.emit(event);
			},
		});
	} finally {
		stopHeartbeat();
		await mcp?.close();
	}

	if (stopReason === "lease_lost") {
		// The sweep gave this task to another run: record nothing, say nothing more.
		log.warn("run lost its lease; abandoning", { taskId: task.id, attempt: task.attempts });
		await relay.close();
		return { kind: "done", status: "abandoned" };
	}
	const label = model.resolved.label;
	const tokens = { inputTokens: outcome.usage.inputTokens, outputTokens: outcome.usage.outputTokens, model: label };
	const usage = [
		{
			provider: label.split(":")[0],
			model: label,
			inputTokens: outcome.usage.inputTokens,
			outputTokens: outcome.usage.outputTokens,
			totalTokens: outcome.usage.inputTokens + outcome.usage.outputTokens,
		},
	];

	switch (outcome.status) {
		case "completed":
			events.emit({ type: "RUN_FINISHED", ...thread, result: outcome.text, outcome: { type: "success" }, usage });
			return finish(run, { status: "succeeded", result: outcome.text, ...tokens });
		case "cancelled":
			events.emit({ type: "RUN_FINISHED", ...thread, outcome: { type: "cancelled" }, usage });
			return finish(run, { status: "cancelled", error: "cancelled while running", ...tokens });
		case "limit":
			events.emit({ type: "RUN_ERROR", message: outcome.message, code: `limit_${outcome.limit}`, usage });
			return finish(run, { status: "failed", error: outcome.message, result: outcome.text || null, ...tokens });
		case "failed": {
			const retry = outcome.error.kind === "transient" && task.attempts < task.max_attempts;
			events.emit({
				type: "RUN_ERROR",
				message: outcome.error.message,
				code: retry ? "retrying" : outcome.error.kind === "transient" ? "attempts_exhausted" : "failed",
				usage,
			});
			if (!retry) {
				const error =
					outcome.error.kind === "transient"
						? `${outcome.error.message} (gave up after ${task.attempts} attempts)`
						: outcome.error.message;
				return finish(run, { status: "failed", error, ...tokens });
			}
			const delaySeconds = retryDelaySeconds(config, task.attempts);
			const result = await finish(
				run,
				{ status: "queued", error: outcome.error.message, ...tokens },
				{
					retry_in_ms: delaySeconds * 1000,
				},
			);
			return result.kind === "done" && result.status === "queued" ? { kind: "retry", delaySeconds } : result;
		}
	}
}

interface RunContext {
	services: Deps;
	task: TaskRow;
	owner: string;
	events: RunEmitter;
	transcript: Transcript | undefined;
	now: () => number;
}

/**
 * Records the run's end (fenced by the lease), relays the status change, flushes. A run
 * that ended for good is written into its chat's history, and lets the chat's next turn go.
 */
async function finish(run: RunContext, outcome: RunOutcome, extra: Record<string, unknown> = {}): Promise<RunResult> {
	const { services, task, events, now } = run;
	const { env } = services;
	await failpoint(env, "runner.before-finish");
	const row = await finishRun(env.DB, task.id, run.owner, outcome, now());
	if (row) events.emitWithId(taskStatusEvent(row, extra, now()));
	else log.warn("run finished without its lease; outcome not recorded", { taskId: task.id, status: outcome.status });
	const stats = await events.relay.close();
	if (row && row.status !== "queued") await afterTaskEnded(services, row, now());
	if (row && row.status !== "queued" && task.chat_id) {
		if (run.transcript) await putMessages(env.DB, run.transcript.rows());
		if (task.kind === "chat") {
			const next = await nextQueuedTurn(env.DB, task.chat_id);
			if (next) await enqueueTask(env, next.id, now());
		}
	}
	log.info("task run ended", {
		taskId: task.id,
		attempt: task.attempts,
		status: row?.status ?? "lease_lost",
		events: stats.events,
		rpcCalls: stats.rpcCalls,
		undelivered: stats.undelivered,
	});
	return { kind: "done", status: row?.status ?? "abandoned" };
}

/** A task sees its instruction; a chat turn sees the chat's recent history, then the new message. */
async function runMessages(env: Env, task: TaskRow): Promise<ModelMessage[]> {
	const current: ModelMessage = { role: "user", content: task.instruction };
	if (task.kind !== "chat" || !task.chat_id) return [current];
	const history = historyToMessages(await recentMessages(env.DB, task.chat_id, task, CONTEXT_ROWS));
	// The new message follows; merge if history ended on the user's side (an unanswered turn).
	const last = history.at(-1);
	if (last?.role === "user")
		return [...history.slice(0, -1), { role: "user", content: `${last.content}\n\n${task.instruction}` }];
	return [...history, current];
}

/** Exponential backoff with jitter: base, 2×base, 4×base… capped at 5 minutes. */
export function retryDelaySeconds(config: AgentConfig, attempt: number, random = Math.random): number {
	const base = config.retryBaseSeconds * 2 ** Math.max(0, attempt - 1);
	return Math.min(300, Math.round(base * (0.8 + 0.4 * random())));
}
