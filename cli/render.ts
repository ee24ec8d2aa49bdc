/**
 * Prints a thread of the Timeline (src/client/timeline.ts) to the terminal as it grows:
 * streamed text and thoughts appear as they arrive, each tool call is one line and its
 * result another, and a run's end is one line. The Timeline does the merging (order,
 * duplicates, history); this only remembers how much of each item is already on screen.
 */
import {
	type ApprovalView,
	budgetQuestion,
	formatTokenUsage,
	formatUsd,
	parseBudgetAsk,
	type TimelineItem,
} from "../src/client/index.ts";
import { duration, type Output, oneLine, timestamp } from "./output.ts";

type Item = TimelineItem;

export interface PrinterOptions {
	out: Output;
	/** `task`: full thoughts and run starts (watch); `chat`: compact, with a speaker label. */
	style: "task" | "chat";
	/** For a user message: the label to print it with, or false to skip it (typed here). */
	userLabel?: (item: Extract<Item, { kind: "message" }>) => string | false;
}

interface Shown {
	text: number;
	label: boolean;
	call: boolean;
	result: boolean;
	started: boolean;
	ended: boolean;
}

export class StreamPrinter {
	readonly #o: PrinterOptions;
	readonly #shown = new Map<string, Shown>();
	/** The item whose streamed text is on the current, unfinished line. */
	#open: string | undefined;

	constructor(options: PrinterOptions) {
		this.#o = options;
	}

	/** True while a streamed line is unfinished (nothing else should write to the terminal). */
	get lineOpen(): boolean {
		return this.#open !== undefined;
	}

	/** Counts these items as printed (e.g. history that was shown in bulk). */
	markShown(items: readonly Item[]): void {
		for (const item of items) {
			const done = !("streaming" in item && item.streaming);
			this.#shown.set(item.id, {
				text: "text" in item ? item.text.length : 0,
				label: true,
				call: item.kind === "tool" && item.state !== "calling",
				result: item.kind === "tool" && item.result !== undefined,
				started: true,
				ended: item.kind === "run" ? item.state !== "running" : done,
			});
		}
	}

	/** Prints whatever is new in `items` (a thread's items, in display order). */
	render(items: readonly Item[]): void {
		for (const item of items) this.#renderItem(item);
	}

	/** Ends an unfinished streamed line. */
	closeLine(): void {
		if (this.#open === undefined) return;
		this.#o.out.write("\n");
		this.#open = undefined;
	}

	#state(id: string): Shown {
		let s = this.#shown.get(id);
		if (!s) {
			s = { text: 0, label: false, call: false, result: false, started: false, ended: false };
			this.#shown.set(id, s);
		}
		return s;
	}

	#line(text: string): void {
		this.closeLine();
		this.#o.out.write(`${text}\n`);
	}

	#renderItem(item: Item): void {
		switch (item.kind) {
			case "message":
				if (item.role === "user") this.#renderUser(item);
				else this.#renderStream(item, "assistant");
				return;
			case "thought":
				if (this.#o.style === "chat") this.#renderThoughtSummary(item);
				else this.#renderStream(item, "thought");
				return;
			case "tool":
				this.#renderTool(item);
				return;
			case "run":
				this.#renderRun(item);
				return;
			case "usage":
				if (this.#o.style === "task") this.#renderUsage(item);
				return;
		}
	}

	/** A model call's tokens, cost and time (`sparky.usage`), once, as a dim line. */
	#renderUsage(item: Extract<Item, { kind: "usage" }>): void {
		const s = this.#state(item.id);
		if (s.ended) return;
		s.ended = true;
		const took = item.ms > 0 ? ` · ${duration(item.ms)}` : "";
		this.#line(
			this.#o.out.c.dim(
				`  $ ${item.step > 0 ? `model call ${item.step}` : "summarising the chat"} · ${formatTokenUsage(item)} · ${formatUsd(item.costUsd)}${took}`,
			),
		);
	}

	#renderUser(item: Extract<Item, { kind: "message" }>): void {
		const s = this.#state(item.id);
		if (s.ended || item.streaming) return;
		s.ended = true;
		const label = this.#o.userLabel?.(item) ?? false;
		if (label === false) return;
		this.#line(`${label}${item.text}`);
	}

	/** Assistant text and (for tasks) thoughts: streamed, appended as it grows. */
	#renderStream(item: Extract<Item, { kind: "message" | "thought" }>, as: "assistant" | "thought"): void {
		const { c } = this.#o.out;
		const s = this.#state(item.id);
		if (s.ended) return;
		// Only appended text can be streamed; a rewrite (rare: deltas out of order) waits for the end.
		const fresh = item.text.length > s.text ? item.text.slice(s.text) : "";
		if (fresh) {
			if (this.#open !== item.id) {
				this.closeLine();
				if (!s.label) {
					s.label = true;
					if (as === "thought") this.#o.out.write(c.dim("  thinking: "));
					else if (this.#o.style === "chat") this.#o.out.write(`${c.bold(c.magenta("sparky"))} › `);
				} else this.#o.out.write(as === "thought" ? c.dim("  … ") : "… ");
			}
			this.#o.out.write(as === "thought" ? c.dim(fresh) : fresh);
			this.#open = item.id;
			s.text = item.text.length;
		}
		if (!item.streaming) {
			s.ended = true;
			if (this.#open === item.id) this.closeLine();
		}
	}

	/** In a chat, a thought is one dim line once it is complete. */
	#renderThoughtSummary(item: Extract<Item, { kind: "thought" }>): void {
		const s = this.#state(item.id);
		if (s.ended || item.streaming || !item.text.trim()) return;
		s.ended = true;
		this.#line(this.#o.out.c.dim(`  · ${oneLine(item.text, this.#width(4))}`));
	}

	#renderTool(item: Extract<Item, { kind: "tool" }>): void {
		const { c } = this.#o.out;
		const s = this.#state(item.id);
		if (!s.call && (item.state !== "calling" || item.result !== undefined)) {
			s.call = true;
			const args = compactJson(item.args);
			const head = `  ${c.cyan("⚙")} ${c.bold(item.name)}`;
			this.#line(`${head} ${c.dim(oneLine(args, this.#width(item.name.length + 5)))}`);
		}
		if (!s.result && item.result !== undefined) {
			s.result = true;
			const error = errorOf(item.result);
			const text = error ?? compactJson(item.result);
			const line = oneLine(text, this.#width(6));
			this.#line(error ? `    ${c.red(`✖ ${line}`)}` : `    ${c.dim(`↳ ${line}`)}`);
		}
	}

	#renderRun(item: Extract<Item, { kind: "run" }>): void {
		const { c } = this.#o.out;
		const s = this.#state(item.id);
		if (!s.started && this.#o.style === "task") {
			s.started = true;
			const attempt = /:(\d+)$/.exec(item.id)?.[1];
			this.#line(c.dim(`▶ run${attempt ? ` ${attempt}` : ""} started${item.model ? ` · model ${item.model}` : ""}`));
		}
		for (const approval of item.approvals ?? []) this.#renderApproval(approval);
		if (s.ended || item.state === "running") return;
		s.ended = true;
		const took = item.endedTs !== undefined ? duration(Math.max(0, item.endedTs - item.ts)) : undefined;
		const usage = item.usage ? `${item.usage.inputTokens} → ${item.usage.outputTokens} tokens` : undefined;
		// Cost before tokens: a chat's run line ends with "tokens".
		const cost = item.costUsd !== undefined ? formatUsd(item.costUsd) : undefined;
		const facts = [item.model, took, cost, usage].filter(Boolean).join(" · ");
		switch (item.state) {
			case "succeeded":
				if (facts) this.#line(c.dim(`  ${facts}`));
				return;
			case "cancelled":
				this.#line(c.yellow(`■ cancelled${took ? ` after ${took}` : ""}`));
				return;
			case "retrying":
				this.#line(c.yellow(`↻ attempt failed, will retry: ${item.error ?? "error"}`));
				return;
			case "failed":
				this.#line(c.red(`✖ ${item.error || "the run failed"}${item.code ? ` (${item.code})` : ""}`));
				return;
			case "interrupted":
				this.#line(
					c.yellow(`⚡ interrupted: ${item.error || "its runner stopped responding"} (the next attempt goes on)`),
				);
				return;
			case "awaiting_approval":
			case "paused":
				if (facts) this.#line(c.dim(`  ${facts}`));
				return;
		}
	}

	/** What a paused run waits for (with the commands that decide it), then the decision. */
	#renderApproval(a: ApprovalView): void {
		const { c } = this.#o.out;
		const s = this.#state(`approval:${a.id}`);
		const task = a.taskId ?? "TASK";
		const budget = a.kind === "budget";
		const ask = budget ? parseBudgetAsk(a.input) : undefined;
		if (!s.started && a.status === "pending") {
			s.started = true;
			const expires = a.expiresAt ? ` · expires ${timestamp(a.expiresAt)}` : "";
			if (budget) {
				this.#line(
					c.magenta(`⏸ budget reached: ${ask ? budgetQuestion(ask) : "the task spent its budget. Allow more?"}`),
				);
			} else {
				const input = a.input === undefined ? "" : JSON.stringify(a.input);
				this.#line(
					c.magenta(
						`⏸ waiting for approval: ${c.bold(a.tool || "a tool")} ${oneLine(input, this.#width(a.tool.length + 26))}`,
					),
				);
			}
			this.#line(c.dim(`    approval ${a.id}${expires}`));
			if (budget) {
				this.#line(`    allow: sparky agent tasks approve ${task} ${a.id}`);
				this.#line(`    stop:  sparky agent tasks deny ${task} ${a.id}`);
			} else {
				this.#line(`    approve: sparky agent tasks approve ${task} ${a.id}`);
				this.#line(`    deny:    sparky agent tasks deny ${task} ${a.id} --reason "…"`);
			}
		}
		if (s.ended || a.status === "pending") return;
		s.ended = true;
		s.started = true;
		const by = a.decidedBy ? ` by ${a.decidedBy}` : "";
		const why = a.reason ? `: ${a.reason}` : "";
		if (budget) {
			const more = ask ? `${formatUsd(ask.more_usd)} more` : "more";
			if (a.status === "approved") this.#line(c.green(`✔ allowed ${more}${by}${why}`));
			else if (a.status === "denied") this.#line(c.yellow(`✖ stopped at its budget${by}${why}`));
			else this.#line(c.yellow("⌛ budget approval expired (nobody decided in time)"));
			return;
		}
		if (a.status === "approved") this.#line(c.green(`✔ ${a.tool || a.id} approved${by}${why}`));
		else if (a.status === "denied") this.#line(c.yellow(`✖ ${a.tool || a.id} denied${by}${why}`));
		else this.#line(c.yellow(`⌛ ${a.tool || a.id} approval expired (nobody decided in time)`));
	}

	#width(used: number): number {
		return Math.max(20, this.#o.out.columns - used);
	}
}

/** JSON text on one line without extra spaces; anything else as is. */
function compactJson(text: string): string {
	try {
		return JSON.stringify(JSON.parse(text));
	} catch {
		return text;
	}
}

/** The message of an `{"error": "…"}` tool result. */
function errorOf(result: string): string | undefined {
	if (!result.startsWith("{")) return undefined;
	try {
		const parsed = JSON.parse(result) as { error?: unknown };
		return typeof parsed.error === "string" ? parsed.error : undefined;
	} catch {
		return undefined;
	}
}
