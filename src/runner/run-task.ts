import type { ModelMessage } from "ai";
import { type ModelResolution, resolveModel } from "../agent/models.ts";
import { systemPrompt } from "../agent/prompt.ts";
import { type AgentOutcome, runAgent } from "../agent/runtime.ts";
import { CONTEXT_ROWS, historyToMessages } from "../chats/context.ts";
import { Transcript } from "../chats/transcript.ts";
import { agentConfig } from "../config.ts";
import { type Deps, depsFor } from "../deps.ts";
import { failpoint } from "../faults.ts";
import { loadMcpTools, MCP_SERVERS_EVENT, type McpRunTools, unavailableServersNote } from "../mcp/tools.ts";
import { EventType } from "../protocol/index.ts";
import { hubPublisher, type Publisher } from "../relay/publish.ts";
import { AGENT_HUB_PACE_MS, Relay } from "../relay/relay.ts";
import { recentMessages, turnMessages } from "../storage/chats.ts";
import { appendMessages, loadCheckpoint, type SavedRun } from "../storage/checkpoints.ts";
import { renewLease, runState } from "../storage/task-runs.ts";
import type { TaskRow } from "../storage/tasks.ts";
import { AGENT_USER_ID, streamAudience, summaryAudience } from "../tasks/audience.ts";
import { queuedAnnouncement, taskStatusEvent } from "../tasks/status-events.ts";
import { ALL_TOOLS, buildToolSet } from "../tools/registry.ts";
import { approvalGate } from "./approval-gate.ts";
import { withClientTools } from "./client-tools.ts";
import { startHeartbeat } from "./heartbeat.ts";
import { finish, type RunContext, type RunResult, recordEnding } from "./run-ending.ts";
import { RunEmitter } from "./run-events.ts";

export type { RunResult } from "./run-ending.ts";

/**
 * The relay a consumer invocation's runs share: unpaced to the stream hubs, paced to the
 * agent's (it carries every run of the batch, so an invocation costs the agent hub at most
 * four calls a second however many runs it holds).
 */
export function runnerRelay(publish: Publisher): Relay {
	return new Relay({ publish, paceMs: (userId) => (userId === AGENT_USER_ID ? AGENT_HUB_PACE_MS : 0) });
}

/** How soon after its creation a run may still overtake the task's `queued` announcement. */
const ANNOUNCEMENT_RACE_MS = 5000;

export interface RunnerDeps {
	/** The relay runs share (one per consumer batch); a run makes its own without one. */
	relay?: Relay;
	publish?: Publisher;
	/** The tools' and providers' fetch (tests point it at fakes). */
	fetch?: typeof fetch;
	now?: () => number;
	heartbeat?: { checkMs: number };
	/** Overrides SPARKY_MODEL (tests run scripted or failing models through the real runner). */
	model?: ModelResolution;
}

/**
 * Runs one claimed task (status `running`, lease held by `owner`) through the agent, going
 * on from its checkpoint, and records how it ended. Every step is relayed to the task's
 * audience as it happens, and checkpointed before the next one starts.
 */
export async function runClaimedTask(
	env: Env,
	task: TaskRow,
	owner: string,
	deps: RunnerDeps = {},
	/** The checkpoint, when the claim read it (otherwise it is read here). */
	saved?: SavedRun,
): Promise<RunResult> {
	if (deps.relay) return runWithRelay(env, task, owner, deps, deps.relay, saved);
	const relay = runnerRelay(deps.publish ?? hubPublisher(env));
	try {
		return await runWithRelay(env, task, owner, deps, relay, saved);
	} finally {
		await relay.close();
	}
}

async function runWithRelay(
	env: Env,
	task: TaskRow,
	owner: string,
	deps: RunnerDeps,
	relay: Relay,
	checkpoint: SavedRun | undefined,
): Promise<RunResult> {
	const config = agentConfig(env);
	const now = deps.now ?? Date.now;
	const runId = `${task.id}:${task.attempts}`;
	const services: Deps = depsFor(env, relay);
	const events = new RunEmitter(
		relay,
		{ stream: streamAudience(task), summary: summaryAudience(task) },
		{ task_id: task.id, attempt: task.attempts, ...(task.chat_id ? { chat_id: task.chat_id } : {}) },
		runId,
		now,
	);
	const thread = { threadId: task.chat_id ?? task.id, runId };
	// The screen hears the run start while its history loads (both leave in one call).
	const loading = Promise.all([transcriptOf(env, task), checkpoint ?? loadCheckpoint(env.DB, task.id)]);
	// A first attempt that starts right after its POST repeats the POST's `queued` announcement
	// (same id: a hub that has it drops this copy), so `queued` is never stored after
	// `running` when the two race. Later than that, the announcement has long landed.
	if (task.attempts === 1 && now() - task.created_at < ANNOUNCEMENT_RACE_MS)
		events.emitWithId(queuedAnnouncement(task));
	events.emitWithId(taskStatusEvent(task, {}, now()));
	const model = deps.model ?? resolveModel(env, config.model, deps.fetch);
	if (model.ok) events.emit({ type: EventType.RUN_STARTED, ...thread, model: model.resolved.label });
	const [transcript, saved] = await loading;
	const run: RunContext = { services, task, owner, events, transcript, thread, pauses: saved.checkpoint.pauses, now };

	if (!model.ok) {
		events.emit({ type: EventType.RUN_ERROR, message: model.error, code: "model_not_configured" });
		return finish(run, { status: "failed", error: model.error });
	}

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

	// Which run announced each tool call (a resumed call's result joins that run's events).
	const announcedBy = new Map<string, string>();
	const remember = (runOf: string, message: ModelMessage) => {
		if (message.role !== "assistant" || typeof message.content === "string") return;
		for (const part of message.content) if (part.type === "tool-call") announcedBy.set(part.toolCallId, runOf);
	};
	for (const m of saved.messages) remember(m.runId, m.message);
	const eventRunIdOf = (toolCallId: string) => announcedBy.get(toolCallId) ?? runId;
	// The owner's MCP servers: reached and listed once per run; their tools join the built-ins,
	// and those their server's `approval` says need a person's approval join the gate's list.
	// This counts inside the run's time limit (and stops on cancel) like the agent loop after it.
	const mcpStarted = Date.now();
	const runDeadline = AbortSignal.timeout(Math.max(1, config.maxRunMs - saved.checkpoint.runMs));
	let mcp: McpRunTools | undefined;
	try {
		mcp = await loadMcpTools(env, task.user_id, {
			signal: AbortSignal.any([controller.signal, runDeadline]),
			fetch: deps.fetch,
		});
	} catch (error) {
		stopHeartbeat();
		throw error;
	}
	const mcpMs = Date.now() - mcpStarted;
	if (mcp.unavailable.length > 0 || mcp.partial.length > 0) {
		events.emit({
			type: EventType.CUSTOM,
			name: MCP_SERVERS_EVENT,
			value: { unavailable: mcp.unavailable, partial: mcp.partial },
		});
	}
	const gate = approvalGate({
		db: env.DB,
		task,
		approve: [...config.approveTools, ...saved.checkpoint.approve, ...mcp.needApproval],
		clientTools: new Set(saved.checkpoint.clientTools.map((t) => t.name)),
		isIdempotent,
		inFlight: saved.checkpoint.inFlight,
		eventId: (call) => `${eventRunIdOf(call.toolCallId)}:${call.toolCallId}`,
		ttlMs: config.approvalTtlMs,
		now,
	});
	let nextIdx = saved.messages.length;

	let outcome: AgentOutcome;
	try {
		outcome = await runAgent({
			runId,
			model: model.resolved.model,
			system:
				systemPrompt({ userId: task.user_id, now: now(), kind: "task" }) +
				unavailableServersNote(mcp.unavailable, mcp.partial),
			messages: [...(await baseMessages(env, task)), ...saved.messages.map((m) => m.message)],
			spent: {
				steps: saved.checkpoint.steps,
				usage: { inputTokens: saved.checkpoint.inputTokens, outputTokens: saved.checkpoint.outputTokens },
				runMs: saved.checkpoint.runMs + mcpMs,
			},
			tools: withClientTools(
				{
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
				saved.checkpoint.clientTools,
			),
			limits: { maxSteps: config.maxSteps, maxRunMs: config.maxRunMs, maxOutputTokens: config.maxOutputTokens },
			signal: controller.signal,
			onEvent: (event) => {
				transcript?.observe(event);
				events.emit(event);
			},
			onMessages: async (added, totals, inFlight) => {
				for (const message of added) remember(runId, message);
				const rows = added.map((message) => ({ runId, message }));
				await appendMessages(env.DB, task.id, nextIdx, rows, { ...totals, ...totals.usage }, now(), inFlight);
				nextIdx += added.length;
				if (added.some((m) => m.role === "tool")) await failpoint(env, "runner.after-tool");
			},
			decide: gate.decide,
			decideMayPause: gate.mayPause,
			canRepeat: (call) => isIdempotent(call.toolName),
			eventRunIdOf,
		});
	} finally {
		stopHeartbeat();
		await mcp.close();
	}
	// Tokens this attempt used (the outcome's totals include the earlier attempts').
	const attemptTokens = {
		inputTokens: outcome.usage.inputTokens - saved.checkpoint.inputTokens,
		outputTokens: outcome.usage.outputTokens - saved.checkpoint.outputTokens,
	};
	return recordEnding(run, {
		outcome,
		// A completed run's answer is written with the task's new status, in one transaction.
		last:
			outcome.status === "completed" && outcome.unsaved.length > 0
				? {
						fromIdx: nextIdx,
						messages: outcome.unsaved.map((message) => ({ runId, message })),
						totals: { steps: outcome.steps, ...outcome.usage, runMs: outcome.runMs },
					}
				: undefined,
		attemptTokens,
		label: model.resolved.label,
		stopReason,
		approval: gate.requested(),
		pauseKind: gate.requestedKind(),
	});
}

/** A run in a chat (a turn, or a task posted into it) becomes part of the chat's history. */
async function transcriptOf(env: Env, task: TaskRow): Promise<Transcript | undefined> {
	if (!task.chat_id) return undefined;
	const transcript = new Transcript(task.chat_id, task.id, task.created_at);
	// A turn that paused (or crashed) goes on after what its earlier attempts wrote.
	if (task.attempts > 1) transcript.resume(await turnMessages(env.DB, task.id));
	if (task.kind === "task") {
		transcript.add({ id: `${task.id}:instruction`, role: "user", content: `Task: ${task.instruction}` });
	}
	return transcript;
}

/** A task sees its instruction; a chat turn sees the chat's recent history, then the new message. */
async function baseMessages(env: Env, task: TaskRow): Promise<ModelMessage[]> {
	const current: ModelMessage = { role: "user", content: task.instruction };
	if (task.kind !== "chat" || !task.chat_id) return [current];
	const history = historyToMessages(await recentMessages(env.DB, task.chat_id, task, CONTEXT_ROWS));
	// The new message follows; merge if history ended on the user's side (an unanswered turn).
	const last = history.at(-1);
	if (last?.role === "user")
		return [...history.slice(0, -1), { role: "user", content: `${last.content}\n\n${task.instruction}` }];
	return [...history, current];
}

/** Whether running a tool twice does no harm: the built-ins say so; MCP tools never count as such. */
function isIdempotent(toolName: string): boolean {
	return ALL_TOOLS.find((t) => t.name === toolName)?.idempotent ?? false;
}
