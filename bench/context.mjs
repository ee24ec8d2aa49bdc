// Prompt tokens per turn over a long chat (issue #24, "Context that fits"), on wrangler dev with
// the demo model (its context budget: 8,000 tokens). Each turn is a real message through the
// API, queue and runner; its prompt is what the demo model reports it was sent (input tokens,
// a step's prompt as JSON / 4; the turns use no tools, so one step each). Beside it, in the
// same run and over the same stored history, the two rules it replaces, computed the same way:
//   40 rows: the last 40 history rows whatever their size (the rule before #24);
//   whole:   every row of the chat (what no rule at all would send).
// Both are calibrated by the first turn (no history: the system prompt and the message).
import { fmt, table } from "./lib/stats.mjs";

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
const OLD_ROWS = 40;
const OLD_TOOL_NOTE_CHARS = 400;
const WORDS = ["river", "lantern", "orchard", "copper", "meadow", "violet", "harbour", "granite", "saffron", "willow"];

/** A long message with no word the demo model acts on (no tool, no question, nothing to remember). */
function message(i, chars) {
	let text = `Note ${i}: `;
	for (let k = 0; text.length < chars; k++)
		text += `${WORDS[(i * 7 + k * 3) % WORDS.length]}${k % 11 === 10 ? ". " : " "}`;
	return text.slice(0, chars).trim();
}

/**
 * @param {{ url: string; adminToken: string; turns?: number; chars?: number; log?: (line: string) => void }} options
 */
export async function runContextBench({ url, adminToken, turns = 300, chars = 3_000, log = () => {} }) {
	const admin = (path, body) => call(url, adminToken, path, body);
	const userId = `bench-context-${Date.now().toString(36)}`;
	await admin("/api/users", { id: userId });
	const { token } = await admin(`/api/users/${userId}/tokens`, { name: "bench" });
	const user = (path, body) => call(url, token, path, body);
	const { chat } = await user("/api/chats", { title: "a long chat" });

	const measured = [];
	const started = performance.now();
	for (let i = 1; i <= turns; i++) {
		const text = message(i, chars);
		const { turn_id: turnId } = await user(`/api/chats/${chat.id}/messages`, { text });
		const task = await settled(user, turnId);
		if (task.status !== "succeeded") throw new Error(`turn ${i} ${task.status}: ${task.error ?? ""}`);
		measured.push({ turnId, text, tokens: task.usage.input_tokens });
		if (i % 50 === 0) log(`  ${i} turns, ${fmt((performance.now() - started) / 1000, 1)} s`);
	}

	const rows = await history(user, chat.id);
	const { summaries } = await user(`/api/chats/${chat.id}/summaries`);
	const byTurn = Map.groupBy(rows, (r) => r.turn_id);
	// The system prompt's share (and the framing), from the first turn, which has no history.
	const fixed = measured[0].tokens * 4 - promptChars([], measured[0].text);
	const before = [];
	const perTurn = measured.map((turn) => {
		const old = promptChars(oldRule(before.slice(-OLD_ROWS)), turn.text);
		const whole = promptChars(oldRule(before), turn.text);
		before.push(...(byTurn.get(turn.turnId) ?? []));
		return { ...turn, old: Math.ceil((fixed + old) / 4), whole: Math.ceil((fixed + whole) / 4) };
	});
	return { perTurn, summaries, seconds: (performance.now() - started) / 1000, chars };
}

/** Prints the figures; returns the summary line. */
export function contextReport(r) {
	const at = [1, 10, 25, 50, 100, 150, 200, 250, 300].filter((n) => n <= r.perTurn.length);
	console.log(
		`\nPrompt tokens per turn over a ${r.perTurn.length}-turn chat of ${r.chars}-character messages (demo model, budget 8,000; ${fmt(r.seconds, 1)} s)`,
	);
	console.log(
		table(
			at.map((n) => {
				const t = r.perTurn[n - 1];
				return { turn: n, "budgeted (measured)": t.tokens, "40 rows": t.old, "whole history": t.whole };
			}),
		),
	);
	const tail = r.perTurn.slice(Math.floor(r.perTurn.length / 2));
	const stat = (key) => ({
		max: Math.max(...tail.map((t) => t[key])),
		mean: tail.reduce((a, t) => a + t[key], 0) / tail.length,
	});
	const now = stat("tokens");
	const old = stat("old");
	const maxAll = Math.max(...r.perTurn.map((t) => t.tokens));
	console.log(
		`second half: budgeted max ${now.max}, mean ${fmt(now.mean, 0)}; 40 rows max ${old.max}, mean ${fmt(old.mean, 0)} (${fmt(old.mean / now.mean)}×); whole history at the end ${r.perTurn.at(-1).whole}`,
	);
	const latest = r.summaries[0];
	console.log(
		`compactions: ${r.summaries.length} summaries; the latest covers ${latest?.turns ?? 0} turns in ${latest?.content.length ?? 0} characters; budgeted max over all turns ${maxAll} (messages only: the tool declarations, about 1,700 tokens, come on top)`,
	);
	return `context tokens_per_turn_max=${now.max} old_40_rows_max=${old.max} ratio=${fmt(old.mean / now.mean)}`;
}

/** The rule before #24: rows as messages, tool calls as short notes, one role merged, starting with the user. */
function oldRule(rows) {
	const merged = [];
	for (const row of rows) {
		const role = row.role === "user" ? "user" : "assistant";
		const text =
			row.role === "tool"
				? `[used ${row.tool_name}(${row.tool_args ?? ""}) → ${clip(row.content, OLD_TOOL_NOTE_CHARS)}]`
				: row.content;
		const last = merged.at(-1);
		if (last?.role === role) last.parts.push(text);
		else merged.push({ role, parts: [text] });
	}
	while (merged[0] && merged[0].role !== "user") merged.shift();
	return merged.map((m) => ({ role: m.role, content: m.parts.join("\n\n") }));
}

/** The characters of a prompt as the demo model measures it (its messages as JSON), without the system prompt. */
function promptChars(messages, current) {
	const last = messages.at(-1);
	const all =
		last?.role === "user"
			? [...messages.slice(0, -1), { role: "user", content: `${last.content}\n\n${current}` }]
			: [...messages, { role: "user", content: current }];
	const prompt = [
		{ role: "system", content: "" },
		...all.map((m) => ({ role: m.role, content: [{ type: "text", text: m.content }] })),
	];
	return JSON.stringify(prompt).length;
}

function clip(text, max) {
	return text.length > max ? `${text.slice(0, max)}…` : text;
}

async function settled(user, taskId) {
	for (;;) {
		const { task } = await user(`/api/tasks/${taskId}`);
		if (TERMINAL.has(task.status)) return task;
		await new Promise((r) => setTimeout(r, 15));
	}
}

async function history(user, chatId) {
	const rows = [];
	let before;
	for (;;) {
		const page = await user(`/api/chats/${chatId}/messages?limit=100${before ? `&before=${before}` : ""}`);
		rows.unshift(...page.messages);
		if (!page.next_before) return rows;
		before = page.next_before;
	}
}

async function call(url, token, path, body) {
	const res = await fetch(`${url}${path}`, {
		method: body === undefined ? "GET" : "POST",
		headers: {
			Authorization: `Bearer ${token}`,
			...(body === undefined ? {} : { "Content-Type": "application/json" }),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
	return res.json();
}
