import type { ModelMessage } from "ai";
import { type ModelResolution, resolveModel } from "../agent/models.ts";
import { systemPrompt } from "../agent/prompt.ts";
import { type AgentOutcome, runAgent } from "../agent/runtime.ts";
import { type AgentConfig, agentConfig } from "../config.ts";
import { log } from "../log.ts";
import { hubPublisher, type Publisher } from "../relay/publish.ts";
import { EventRelay } from "../relay/relay.ts";
import { finishRun, type RunOutcome, renewLease, runState, type TaskRow } from "../storage/tasks.ts";
import { taskAudience } from "../tasks/audience.ts";
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
	const relay = new EventRelay({ publish: deps.publish ?? hubPublisher(env), audience: taskAudience(task) });
	const events = new RunEmitter(
		relay,
		{ task_id: task.id, attempt: task.attempts, ...(task.chat_id ? { chat_id: task.chat_id } : {}) },
		runId,
		now,
	);
	const thread = { threadId: task.chat_id ?? task.id, runId };
	events.emitWithId(taskStatusEvent(task, {}, now()));

	const model = deps.model ?? resolveModel(env, config.model, deps.fetch);
	if (!model.ok) {
		events.emit({ type: "RUN_ERROR", message: model.error, code: "model_not_configured" });
		return finish(env, task, owner, { status: "failed", error: model.error }, events, now);
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
	try {
		outcome = await runAgent({
			runId,
			model: model.resolved.model,
			system: systemPrompt({ userId: task.user_id, now: now(), kind: "task" }),
			messages: [{ role: "user", content: task.instruction } satisfies ModelMessage],
			tools: buildToolSet({
				env,
				userId: task.user_id,
				taskId: task.id,
				depth: task.depth,
				chatId: task.chat_id ?? undefined,
				signal: controller.signal,
				config,
				fetch: deps.fetch ?? fetch,
				now,
			}),
			limits: { maxSteps: config.maxSteps, maxRunMs: config.maxRunMs, maxOutputTokens: config.maxOutputTokens },
			signal: controller.signal,
			onEvent: (event) => events.emit(event),
		});
	} finally {
		stopHeartbeat();
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
			return finish(env, task, owner, { status: "succeeded", result: outcome.text, ...tokens }, events, now);
		case "cancelled":
			events.emit({ type: "RUN_FINISHED", ...thread, outcome: { type: "cancelled" }, usage });
			return finish(
				env,
				task,
				owner,
				{ status: "cancelled", error: "cancelled while running", ...tokens },
				events,
				now,
			);
		case "limit":
			events.emit({ type: "RUN_ERROR", message: outcome.message, code: `limit_${outcome.limit}`, usage });
			return finish(
				env,
				task,
				owner,
				{ status: "failed", error: outcome.message, result: outcome.text || null, ...tokens },
				events,
				now,
			);
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
				return finish(env, task, owner, { status: "failed", error, ...tokens }, events, now);
			}
			const delaySeconds = retryDelaySeconds(config, task.attempts);
			const result = await finish(
				env,
				task,
				owner,
				{ status: "queued", error: outcome.error.message, ...tokens },
				events,
				now,
				{
					retry_in_ms: delaySeconds * 1000,
				},
			);
			return result.kind === "done" && result.status === "queued" ? { kind: "retry", delaySeconds } : result;
		}
	}
}

/** Records the run's end (fenced by the lease), relays the status change, flushes. */
async function finish(
	env: Env,
	task: TaskRow,
	owner: string,
	outcome: RunOutcome,
	events: RunEmitter,
	now: () => number,
	extra: Record<string, unknown> = {},
): Promise<RunResult> {
	const row = await finishRun(env.DB, task.id, owner, outcome, now());
	if (row) events.emitWithId(taskStatusEvent(row, extra, now()));
	else log.warn("run finished without its lease; outcome not recorded", { taskId: task.id, status: outcome.status });
	const stats = await events.relay.close();
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

/** Exponential backoff with jitter: base, 2×base, 4×base… capped at 5 minutes. */
export function retryDelaySeconds(config: AgentConfig, attempt: number, random = Math.random): number {
	const base = config.retryBaseSeconds * 2 ** Math.max(0, attempt - 1);
	return Math.min(300, Math.round(base * (0.8 + 0.4 * random())));
}
