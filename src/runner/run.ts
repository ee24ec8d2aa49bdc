import type { ModelMessage, ToolSet } from "ai";
import { contextBudget, type ModelResolution, type ResolvedModel, resolveModel } from "../agent/models.ts";
import { systemPrompt } from "../agent/prompt.ts";
import { type AgentOutcome, runAgent, type Spent } from "../agent/runtime.ts";
import type { Transcript } from "../chats/transcript.ts";
import { type AgentConfig, agentConfig } from "../config.ts";
import { type Deps, depsFor } from "../deps.ts";
import { failpoint } from "../faults.ts";
import { unavailableServersNote } from "../mcp/tools.ts";
import type { RecalledMemories } from "../memory/recall.ts";
import { CustomName, EventType, newId, sparkyEvent } from "../protocol/index.ts";
import type { Publisher } from "../relay/publish.ts";
import type { Relay } from "../relay/relay.ts";
import { appendMessages, type CheckpointWrite, loadCheckpoint, type SavedRun } from "../storage/checkpoints.ts";
import { claimWithCheckpoint, renewLease, runState } from "../storage/task-runs.ts";
import type { TaskRow } from "../storage/tasks.ts";
import { streamAudience, summaryAudience } from "../tasks/audience.ts";
import { queuedAnnouncement, taskStatusEvent } from "../tasks/status-events.ts";
import { budgetStatus } from "../usage/budget.ts";
import { usageConfig } from "../usage/config.ts";
import { approvalGate } from "./approval-gate.ts";
import { startHeartbeat } from "./heartbeat.ts";
import { RunSpending } from "./run-budget.ts";
import { finish, type RunContext, type RunResult, recordEnding } from "./run-ending.ts";
import { RunEmitter } from "./run-events.ts";
import { baseMessages, CallAnnouncers, transcriptOf } from "./run-history.ts";
import { memoriesForRun, OutsideContent } from "./run-memory.ts";
import { RunSteering, requeueUnread } from "./run-steering.ts";
import { isIdempotent, loadRunTools, type RunTools, runToolSet } from "./run-tools.ts";
import { RunTracing } from "./run-tracing.ts";

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
	/** Work that may finish after the run (its trace's export): the queue handler's `ctx.waitUntil`. */
	waitUntil?: (promise: Promise<unknown>) => void;
}

/** How soon after its creation a run may still overtake the task's `queued` announcement. */
const ANNOUNCEMENT_RACE_MS = 5000;

type Gate = ReturnType<typeof approvalGate>;

/**
 * One attempt at a task, as an object. `claim` takes the task's lease; `execute` runs the steps:
 *
 * 1. `#start`: announce the run (`running`, RUN_STARTED) while its history and checkpoint load;
 * 2. `#startHeartbeat`: renew the lease, notice a cancel (either one aborts the loop);
 * 3. `#loadTools`: the owner's MCP servers, inside the run's time limit; the approval gate;
 * 4. `#agentLoop`: the agent loop (runtime.ts), whose every write is `#checkpoint` and whose
 *    calls the gate may pause;
 * 5. `#end`: how the loop ended becomes the last events and the task's status (run-ending.ts).
 *
 * Fixed for the attempt: the task, its lease owner, the relay and the event emitter. Filled in
 * by `#start` (what earlier attempts left) and `#loadTools` (the gate): the fields below.
 */
export class Run {
	readonly #env: Env;
	readonly #task: TaskRow;
	readonly #owner: string;
	readonly #deps: RunnerDeps;
	readonly #relay: Relay;
	readonly #config: AgentConfig;
	readonly #now: () => number;
	/** `<task>:<attempt>`: prefixes this run's event and message ids. */
	readonly #id: string;
	readonly #services: Deps;
	readonly #events: RunEmitter;
	readonly #thread: { threadId: string; runId: string };
	/** The checkpoint, when the claim read it (otherwise `start` reads it). */
	readonly #claimed: SavedRun | undefined;
	/** Aborted by the heartbeat: a cancel request, or the lease lost (`#stopReason` says which). */
	readonly #stop = new AbortController();
	#stopReason: "cancelled" | "lease_lost" | undefined;
	#stopHeartbeat: () => void = () => {};
	// Set by `start`.
	#saved!: SavedRun;
	#transcript: Transcript | undefined;
	#announcers!: CallAnnouncers;
	/** Where the next checkpointed message goes (`task_messages.idx`). */
	#nextIdx = 0;
	// Set by `loadTools`.
	#gate!: Gate;
	/** The run's spending: the ledger, `sparky.usage`, the budget (run-budget.ts). Set by the agent loop. */
	#spending: RunSpending | undefined;
	/** Messages steered into a running chat turn (run-steering.ts). Set by the agent loop. */
	#steering: RunSteering | undefined;
	/** The attempt as an OpenTelemetry trace (off without SPARKY_OTEL_ENDPOINT). */
	readonly #tracing: RunTracing;
	/** What the run has read from outside (a page, an MCP server): memory writes then need approval. */
	#outside!: OutsideContent;

	/** Claims a queued task for a new attempt (its lease, its checkpoint); undefined when it can't be claimed. */
	static async claim(env: Env, taskId: string, deps: RunnerDeps & { relay: Relay }): Promise<Run | undefined> {
		const owner = newId("run", 9);
		const claimed = await claimWithCheckpoint(env.DB, taskId, owner, Date.now(), agentConfig(env).leaseMs);
		return claimed ? new Run(env, claimed.row, owner, deps, deps.relay, claimed.saved) : undefined;
	}

	/** A claimed task (status `running`, lease held by `owner`). */
	constructor(env: Env, task: TaskRow, owner: string, deps: RunnerDeps, relay: Relay, saved?: SavedRun) {
		this.#env = env;
		this.#task = task;
		this.#owner = owner;
		this.#deps = deps;
		this.#relay = relay;
		this.#claimed = saved;
		this.#config = agentConfig(env);
		this.#now = deps.now ?? Date.now;
		this.#id = `${task.id}:${task.attempts}`;
		this.#services = { ...depsFor(env, relay), waitUntil: deps.waitUntil };
		const envelope = { task_id: task.id, attempt: task.attempts, ...(task.chat_id ? { chat_id: task.chat_id } : {}) };
		const audience = { stream: streamAudience(task), summary: summaryAudience(task) };
		this.#events = new RunEmitter(relay, audience, envelope, this.#id, this.#now);
		this.#thread = { threadId: task.chat_id ?? task.id, runId: this.#id };
		this.#tracing = new RunTracing(env, task, this.#now());
	}

	/** The attempt from start to end; says what the consumer does with the task's message. */
	async execute(): Promise<RunResult> {
		const model = await this.#start();
		if (!model.ok) return this.#misconfigured(model.error);
		this.#startHeartbeat();
		const [tools, memories] = await Promise.all([this.#loadTools(), this.#recall()]);
		let outcome: AgentOutcome;
		try {
			outcome = await this.#agentLoop(model.resolved, tools, memories);
		} finally {
			this.#stopHeartbeat();
			await tools.mcp.close();
		}
		return this.#end(outcome, model.resolved.label);
	}

	/** Announces the run (`running`, RUN_STARTED) while its history and checkpoint load: both leave in one call. */
	async #start(): Promise<ModelResolution> {
		const task = this.#task;
		const env = this.#env;
		const loading = Promise.all([transcriptOf(env, task), this.#claimed ?? loadCheckpoint(env.DB, task.id)]);
		// A first attempt that starts right after its POST repeats the POST's `queued` announcement
		// (same id: a hub that has it drops this copy), so `queued` is never stored after
		// `running` when the two race. Later than that, the announcement has long landed.
		if (task.attempts === 1 && this.#now() - task.created_at < ANNOUNCEMENT_RACE_MS)
			this.#events.emitWithId(queuedAnnouncement(task));
		this.#events.emitWithId(taskStatusEvent(task, {}, this.#now()));
		const model = this.#deps.model ?? resolveModel(env, this.#config.model, this.#deps.fetch);
		if (model.ok) {
			this.#events.emit({ type: EventType.RUN_STARTED, ...this.#thread, model: model.resolved.label });
			this.#tracing.runStarted(this.#now(), model.resolved.label);
		}
		[this.#transcript, this.#saved] = await loading;
		this.#announcers = new CallAnnouncers(this.#id, this.#saved.messages);
		this.#outside = new OutsideContent(this.#saved.messages.map((m) => m.message));
		this.#nextIdx = this.#saved.messages.length;
		return model;
	}

	/** No model to run (SPARKY_MODEL or its key missing): the task fails saying what to set. */
	#misconfigured(error: string): Promise<RunResult> {
		this.#events.emit({ type: EventType.RUN_ERROR, message: error, code: "model_not_configured" });
		this.#tracing.ended(this.#now(), "failed", error, this.#deps.waitUntil);
		return finish(this.#endingContext(), { status: "failed", error });
	}

	/** Renews the lease and listens for a cancel until stopped; either ending aborts the loop. */
	#startHeartbeat(): void {
		const { DB } = this.#env;
		const { id } = this.#task;
		const { leaseMs } = this.#config;
		this.#stopHeartbeat = startHeartbeat({
			checkMs: this.#deps.heartbeat?.checkMs ?? 1000,
			renewMs: leaseMs / 3,
			check: () => runState(DB, id, this.#owner),
			renew: async () => (await renewLease(DB, id, this.#owner, this.#now(), leaseMs)) !== null,
			stop: (why) => {
				this.#stopReason = why;
				this.#stop.abort(why);
			},
		});
	}

	/**
	 * The owner's MCP servers (run-tools.ts), inside the run's time limit: reaching them counts
	 * as run time and stops on cancel, like the agent loop after it. Then the approval gate.
	 */
	async #loadTools(): Promise<RunTools> {
		const deadline = AbortSignal.timeout(Math.max(1, this.#config.maxRunMs - this.#saved.checkpoint.runMs));
		let tools: RunTools;
		try {
			tools = await loadRunTools(this.#env, this.#task.user_id, {
				signal: AbortSignal.any([this.#stop.signal, deadline]),
				fetch: this.#deps.fetch,
				emit: (event) => this.#events.emit(event),
			});
		} catch (error) {
			this.#stopHeartbeat();
			throw error;
		}
		this.#gate = this.#openGate(tools.mcp.needApproval);
		return tools;
	}

	/** The approval gate: asked before each tool call runs (approval-gate.ts). */
	#openGate(mcpNeedApproval: readonly string[]): Gate {
		const { checkpoint } = this.#saved;
		return approvalGate({
			db: this.#env.DB,
			task: this.#task,
			approve: [...this.#config.approveTools, ...checkpoint.approve, ...mcpNeedApproval],
			clientTools: new Set(checkpoint.clientTools.map((t) => t.name)),
			mustApprove: (call) => this.#outside.mustApprove(call.toolName),
			isIdempotent,
			inFlight: checkpoint.inFlight,
			eventId: (call) => `${this.#announcers.runIdOf(call.toolCallId)}:${call.toolCallId}`,
			ttlMs: this.#config.approvalTtlMs,
			now: this.#now,
		});
	}

	/** The user's memories for this run (pinned, then relevant), announced by a CUSTOM event naming them. */
	async #recall(): Promise<RecalledMemories> {
		const memories = await memoriesForRun(this.#env, this.#task, this.#config.memoryContextTokens, this.#now());
		if (memories.ids.length > 0)
			this.#events.emit(sparkyEvent(CustomName.memoriesRecalled, { ids: memories.ids, pinned: memories.pinned }));
		return memories;
	}

	/** The agent loop (runtime.ts), going on from the checkpoint; its events are relayed as they happen. */
	async #agentLoop(model: ResolvedModel, { mcp, ms }: RunTools, memories: RecalledMemories): Promise<AgentOutcome> {
		const { checkpoint, messages } = this.#saved;
		const config = this.#config;
		const task = this.#task;
		const system =
			systemPrompt({ userId: task.user_id, now: this.#now(), kind: "task" }) +
			unavailableServersNote(mcp.unavailable, mcp.partial, mcp.needsSignIn) +
			memories.block;
		const tools = this.#toolSet(mcp.tools);
		// The whole prompt's budget: history is chosen (and compacted) within it, and every model call fits it.
		const budget = contextBudget(model.label, config.contextTokens);
		const prompt = { model, budget, system, tools, signal: this.#stop.signal, now: this.#now };
		const spending = new RunSpending({
			db: this.#env.DB,
			task,
			model: model.label,
			usage: usageConfig(this.#env),
			events: this.#events,
			userBudget: () => budgetStatus(this.#env, task.user_id, this.#now()),
			approvalTtlMs: config.approvalTtlMs,
			now: this.#now,
			onCall: (call, cost) => this.#tracing.modelCall(call, model.label, cost, this.#now()),
		});
		this.#spending = spending;
		const base = await baseMessages(this.#env, task, {
			...prompt,
			emit: (event) => this.#events.emit(event),
			// A summary of older turns is a model call too: on the bill, not a step.
			onSummaryCall: (call) => spending.summaryCall(call),
		});
		this.#outside.observeMessage(base.at(-1));
		const steering = new RunSteering({
			db: this.#env.DB,
			task,
			saved: messages.map((m) => m.message),
			emit: (event) => this.#events.emit(event),
			transcript: this.#transcript,
		});
		this.#steering = steering;
		return runAgent({
			runId: this.#id,
			model: model.model,
			system,
			contextTokens: budget,
			messages: [...base, ...messages.map((m) => m.message)],
			spent: {
				steps: checkpoint.steps,
				usage: { inputTokens: checkpoint.inputTokens, outputTokens: checkpoint.outputTokens },
				runMs: checkpoint.runMs + ms,
			},
			tools,
			limits: { maxSteps: config.maxSteps, maxRunMs: config.maxRunMs, maxOutputTokens: config.maxOutputTokens },
			signal: this.#stop.signal,
			onEvent: (event) => {
				this.#transcript?.observe(event);
				this.#outside.observe(event);
				this.#tracing.observe(event, this.#now());
				this.#events.emit(event);
			},
			onMessages: (added, totals, inFlight) => this.#checkpoint(added, totals, inFlight),
			decide: this.#gate.decide,
			decideMayPause: this.#gate.mayPause,
			steer: steering.take,
			beforeModelCall: spending.beforeModelCall,
			afterModelCall: spending.afterModelCall,
			canRepeat: (call) => isIdempotent(call.toolName),
			eventRunIdOf: (toolCallId) => this.#announcers.runIdOf(toolCallId),
		});
	}

	/** The built-in tools and the MCP servers', with the AG-UI client's own tools in place of any of the same name. */
	#toolSet(mcpTools: ToolSet): ToolSet {
		const task = this.#task;
		return runToolSet(mcpTools, this.#saved.checkpoint.clientTools, {
			env: this.#env,
			relay: this.#relay,
			userId: task.user_id,
			taskId: task.id,
			depth: task.depth,
			chatId: task.chat_id ?? undefined,
			signal: this.#stop.signal,
			config: this.#config,
			fetch: this.#deps.fetch ?? fetch,
			now: this.#now,
		});
	}

	/**
	 * One checkpoint write (one D1 transaction): the messages the loop added since its last
	 * write, the task's totals, and the call about to run as in flight (runtime.ts says when).
	 */
	async #checkpoint(added: ModelMessage[], totals: Spent, inFlight?: string): Promise<void> {
		for (const message of added) this.#announcers.remember(this.#id, message);
		const rows = added.map((message) => ({ runId: this.#id, message }));
		const db = this.#env.DB;
		await appendMessages(db, this.#task.id, this.#nextIdx, rows, { ...totals, ...totals.usage }, this.#now(), inFlight);
		this.#nextIdx += added.length;
		await this.#steering?.written(added, totals.steps);
		if (added.some((m) => m.role === "tool")) await failpoint(this.#env, "runner.after-tool");
	}

	/** How the loop ended becomes the run's last events and the task's new status (run-ending.ts). */
	async #end(outcome: AgentOutcome, label: string): Promise<RunResult> {
		const { checkpoint } = this.#saved;
		const result = await recordEnding(this.#endingContext(), {
			outcome,
			last: this.#unsavedAnswer(outcome),
			// Tokens this attempt used (the outcome's totals include the earlier attempts').
			attemptTokens: {
				inputTokens: outcome.usage.inputTokens - checkpoint.inputTokens,
				outputTokens: outcome.usage.outputTokens - checkpoint.outputTokens,
			},
			label,
			stopReason: this.#stopReason,
			approval: this.#spending?.requested() ?? this.#gate.requested(),
			pauseKind: this.#spending?.requested() ? "approval" : this.#gate.requestedKind(),
		});
		const error =
			outcome.status === "failed" ? outcome.error.message : outcome.status === "limit" ? outcome.message : undefined;
		this.#tracing.ended(this.#now(), result.kind === "retry" ? "retrying" : result.status, error, this.#deps.waitUntil);
		if (result.kind === "done" && ["succeeded", "failed", "cancelled"].includes(result.status))
			await requeueUnread(this.#services, this.#task, this.#now());
		return result;
	}

	/** A completed run's answer: written with the task's new status, in one transaction. */
	#unsavedAnswer(outcome: AgentOutcome): CheckpointWrite | undefined {
		if (outcome.status !== "completed" || outcome.unsaved.length === 0) return undefined;
		return {
			fromIdx: this.#nextIdx,
			messages: outcome.unsaved.map((message) => ({ runId: this.#id, message })),
			totals: { steps: outcome.steps, ...outcome.usage, runMs: outcome.runMs },
		};
	}

	/** The run as its ending needs it. */
	#endingContext(): RunContext {
		return {
			services: this.#services,
			task: this.#task,
			owner: this.#owner,
			events: this.#events,
			transcript: this.#transcript,
			thread: this.#thread,
			pauses: this.#saved.checkpoint.pauses,
			now: this.#now,
		};
	}
}
