import type { CallEstimate, ModelCallDecision, ModelCallRecord } from "../agent/runtime.ts";
import { log } from "../log.ts";
import {
	type Approval,
	type BudgetApprovalInput,
	type BudgetStatus,
	CustomName,
	type ModelCallUsage,
	newId,
	sparkyEvent,
} from "../protocol/index.ts";
import { approvalsByCall, BUDGET_CALL_PREFIX, requestApproval } from "../storage/approvals.ts";
import type { TaskRow } from "../storage/tasks.ts";
import { recordModelCall, roundUsd } from "../storage/usage.ts";
import { overBudget } from "../usage/budget.ts";
import { priceOf, type UsageConfig } from "../usage/config.ts";
import { usdText } from "../usage/dollars.ts";
import { dayOf } from "../usage/periods.ts";
import { type CallTokens, costOf, type Price } from "../usage/prices.ts";
import type { RunEmitter } from "./run-events.ts";

export interface RunSpendingOptions {
	db: D1Database;
	task: TaskRow;
	/** The model's label (`provider:model`, `demo`): the price's key. */
	model: string;
	usage: UsageConfig;
	events: RunEmitter;
	/** Where the user stands now (read once per run): a run stops when the user's cap is reached. */
	userBudget: () => Promise<BudgetStatus>;
	approvalTtlMs: number;
	now: () => number;
	/** Told of every call (the run's trace). */
	onCall?: (call: ModelCallRecord, costUsd: number | null) => void;
}

/**
 * A run's spending (issue #26): every model call goes in the ledger (`recordModelCall`) and out
 * as a `sparky.usage` event, and before each call the task's budget is checked against what it
 * has spent plus the call's estimate. Past its budget the run pauses on a budget approval
 * (`budget:<n>`, decided like any approval): approved, the budget grows by `max_cost_usd`
 * again; denied or expired, the run ends. The user's day and month caps end a run too.
 */
export class RunSpending {
	readonly #o: RunSpendingOptions;
	readonly #price: Price | undefined;
	/** Priced dollars the task has spent (all runs), and whether some call had no price. */
	#spentUsd: number;
	#unpriced: boolean;
	#callsThisRun = 0;
	/** The approval this run waits for (when `beforeModelCall` said pause). */
	#requested: Approval | undefined;
	/** The user's spend at the run's start (read once), plus what this run added since. */
	#userBase: Promise<BudgetStatus> | undefined;
	#addedUsd = 0;

	constructor(options: RunSpendingOptions) {
		this.#o = options;
		this.#price = priceOf(options.usage, options.model);
		this.#spentUsd = options.task.cost_usd ?? 0;
		this.#unpriced = (options.task.unpriced_calls ?? 0) > 0;
	}

	requested(): Approval | undefined {
		return this.#requested;
	}

	/** Asked before each model call (runtime.ts `beforeModelCall`). */
	readonly beforeModelCall = async (estimate: CallEstimate): Promise<ModelCallDecision> => {
		const user = await this.#userCheck();
		if (user) return user;
		const budget = this.#o.task.max_cost_usd;
		if (budget === null || budget === undefined || !this.#price) return { kind: "go" };
		const { inputTokens, outputTokens } = estimate;
		const next = costOf({ inputTokens, outputTokens, cachedInputTokens: 0, reasoningTokens: 0 }, this.#price) ?? 0;
		// Within the budget it was given: no need to read what was decided about extensions.
		if (this.#spentUsd + next <= budget) return { kind: "go" };
		const approvals = await this.#budgetApprovals();
		const approved = approvals.filter((a) => a.status === "approved").length;
		const limit = budget * (1 + approved);
		if (this.#spentUsd + next <= limit) return { kind: "go" };
		const open = approvals.find((a) => a.status === "pending");
		if (open) return this.#pause(open);
		// A decision made after the last extension and not an approval: the person said stop.
		const last = approvals.at(-1);
		if (last && last.status !== "approved") {
			const why = last.status === "expired" ? "nobody allowed more in time" : "more was not allowed";
			return {
				kind: "stop",
				message: `stopped: the task spent $${usdText(this.#spentUsd)} of its budget of $${usdText(limit)} (${why})`,
			};
		}
		const input: BudgetApprovalInput = {
			spent_usd: roundUsd(this.#spentUsd),
			budget_usd: limit,
			more_usd: budget,
			estimate_usd: roundUsd(next),
		};
		return this.#pause(await requestApproval(this.#o.db, this.#newApproval(approvals.length + 1, input)));
	};

	/** Told after each model call (runtime.ts `afterModelCall`): the ledger, the event, the totals. */
	readonly afterModelCall = async (call: ModelCallRecord): Promise<void> => {
		this.#o.onCall?.(call, costOf(tokensOf(call), this.#price));
		await this.#record(call.step, tokensOf(call), call.ms);
	};

	/** A call that summarised a chat's older turns (compaction): billed like any, step 0 (not one of the run's steps). */
	async summaryCall(call: { inputTokens: number; outputTokens: number; ms: number }): Promise<void> {
		await this.#record(0, { ...call, cachedInputTokens: 0, reasoningTokens: 0 }, call.ms);
	}

	async #record(step: number, tokens: CallTokens, ms: number): Promise<void> {
		const { task, model } = this.#o;
		const cost = costOf(tokens, this.#price);
		if (cost === null) this.#unpriced = true;
		else {
			this.#spentUsd += cost;
			this.#addedUsd += cost;
		}
		const now = this.#o.now();
		this.#callsThisRun++;
		const value: ModelCallUsage = {
			step,
			model,
			input_tokens: tokens.inputTokens,
			output_tokens: tokens.outputTokens,
			cached_input_tokens: tokens.cachedInputTokens,
			reasoning_tokens: tokens.reasoningTokens,
			cost_usd: cost === null ? null : roundUsd(cost),
			task_cost_usd: this.#unpriced ? null : roundUsd(this.#spentUsd),
			ms,
		};
		this.#o.events.emit(sparkyEvent(CustomName.usage, value));
		try {
			await recordModelCall(this.#o.db, {
				user_id: task.user_id,
				task_id: task.id,
				attempt: task.attempts,
				step,
				chat_id: task.chat_id,
				model,
				input_tokens: tokens.inputTokens,
				output_tokens: tokens.outputTokens,
				cached_input_tokens: tokens.cachedInputTokens,
				reasoning_tokens: tokens.reasoningTokens,
				cost_usd: cost,
				ms,
				day: dayOf(now),
				created_at: now,
				first_of_run: this.#callsThisRun === 1,
			});
		} catch (error) {
			// The run goes on (its answer matters more than its bill); the loss is logged loudly.
			log.error("a model call's usage could not be recorded", { taskId: task.id, step, error: String(error) });
		}
	}

	/** The user's day or month cap reached: the run stops before the call (nothing to approve here). */
	async #userCheck(): Promise<ModelCallDecision | undefined> {
		this.#userBase ??= this.#o.userBudget();
		const base = await this.#userBase;
		const now = {
			...base,
			day: { ...base.day, spent_usd: base.day.spent_usd + this.#addedUsd },
			month: { ...base.month, spent_usd: base.month.spent_usd + this.#addedUsd },
		};
		const over = overBudget(now);
		return over ? { kind: "stop", message: `stopped: ${over.message}` } : undefined;
	}

	async #budgetApprovals(): Promise<Approval[]> {
		const all = await approvalsByCall(this.#o.db, this.#o.task.id);
		return [...all.values()]
			.filter((a) => a.tool_call_id.startsWith(BUDGET_CALL_PREFIX))
			.sort((a, b) => budgetNumber(a) - budgetNumber(b));
	}

	#pause(approval: Approval): ModelCallDecision {
		this.#requested = approval;
		return { kind: "pause" };
	}

	#newApproval(n: number, input: BudgetApprovalInput): Approval {
		const { task, now, approvalTtlMs } = this.#o;
		const at = now();
		return {
			id: newId("apr", 12),
			task_id: task.id,
			chat_id: task.chat_id,
			user_id: task.user_id,
			tool_call_id: `${BUDGET_CALL_PREFIX}${n}`,
			tool: "budget",
			input,
			status: "pending",
			requested_at: at,
			expires_at: at + approvalTtlMs,
			decided_at: null,
			decided_by: null,
			reason: null,
			kind: "budget",
		};
	}
}

function tokensOf(call: ModelCallRecord): CallTokens {
	return {
		inputTokens: call.usage.inputTokens,
		outputTokens: call.usage.outputTokens,
		cachedInputTokens: call.cachedInputTokens,
		reasoningTokens: call.reasoningTokens,
	};
}

function budgetNumber(approval: Approval): number {
	return Number(approval.tool_call_id.slice(BUDGET_CALL_PREFIX.length)) || 0;
}
