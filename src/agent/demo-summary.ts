import { parseSummaryInput, type TurnLine } from "./summary-prompt.ts";
import { cutText, estimateTokens } from "./tokens.ts";

/**
 * The demo model's summary of a chat's older turns: deterministic and offline, so compaction
 * is seen and tested without a provider. One line per turn (the person's words and the first
 * sentence of the answer, clipped), after the lines of the summary so far. Pure.
 */
export const DEMO_SUMMARY_TITLE = "Earlier in this chat:";

const SAID_CHARS = 80;
const ANSWER_CHARS = 80;
/** Turns the summary had to leave out to stay within its size, as one line. */
const OMITTED = /^- … \((\d+) more turns? not shown\)$/;

/** The summary of `input` (summary-prompt.ts's request), within `maxTokens` when given. */
export function demoSummary(input: string, maxTokens = Number.POSITIVE_INFINITY): string {
	const { previous, turns } = parseSummaryInput(input);
	return within([...previousLines(previous), ...turns.map(turnLine)], maxTokens);
}

function previousLines(previous: string): string[] {
	const body = previous.startsWith(DEMO_SUMMARY_TITLE) ? previous.slice(DEMO_SUMMARY_TITLE.length) : previous;
	const lines = body
		.split("\n")
		.map((l) => l.trim())
		.filter(Boolean);
	// A summary in another shape (another model's, say) becomes one line.
	if (lines.every((l) => l.startsWith("- "))) return lines;
	return [`- ${clip(flat(body), 200)}`];
}

function turnLine(turn: TurnLine[]): string {
	const said = flat(
		turn
			.filter((l) => l.who === "user")
			.map((l) => l.text)
			.join(" "),
	);
	const replies = turn.filter((l) => l.who === "sparky");
	const answer = flat(
		replies
			.filter((l) => !l.text.startsWith("[used "))
			.map((l) => l.text)
			.join(" "),
	);
	const tools = replies.flatMap((l) => /^\[used ([\w.-]+)\(/.exec(l.text)?.[1] ?? []);
	return [
		`- You said "${clip(said, SAID_CHARS)}"`,
		answer ? ` — Sparky: "${clip(firstSentence(answer), ANSWER_CHARS)}"` : "",
		tools.length > 0 ? ` (used ${[...new Set(tools)].join(", ")})` : "",
	].join("");
}

/**
 * The title and the lines within `maxTokens`: the first line (what was said first) and as many
 * of the newest as fit, with one line counting the turns between that are not shown.
 */
function within(lines: string[], maxTokens: number): string {
	const whole = [DEMO_SUMMARY_TITLE, ...lines].join("\n");
	if (estimateTokens(whole) <= maxTokens || lines.length === 0) return cutText(whole, maxTokens);
	const [first, ...rest] = lines as [string, ...string[]];
	const newest: string[] = [];
	let hidden = rest.reduce((n, line) => n + turnsIn(line), 0);
	const text = () => [DEMO_SUMMARY_TITLE, first, omitted(hidden), ...newest].join("\n");
	for (let i = rest.length - 1; i >= 0; i--) {
		const line = rest[i] as string;
		newest.unshift(line);
		hidden -= turnsIn(line);
		if (estimateTokens(text()) > maxTokens) {
			newest.shift();
			hidden += turnsIn(line);
			break;
		}
	}
	return cutText(text(), maxTokens);
}

function omitted(n: number): string {
	return `- … (${n} more turn${n === 1 ? "" : "s"} not shown)`;
}

function turnsIn(line: string): number {
	return Number(OMITTED.exec(line)?.[1] ?? 1);
}

function firstSentence(text: string): string {
	return /^.*?[.!?](\s|$)/.exec(text)?.[0].trim() ?? text;
}

function flat(text: string): string {
	return text.replace(/\s+/g, " ").trim();
}

function clip(text: string, max: number): string {
	return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
