/**
 * The demo model's "mind": deterministic, keyword-driven planning over the instruction.
 * Pure (no I/O), so it runs and is tested anywhere. It recognises the kinds of request the
 * README shows and plans one real tool call per step; anything else gets an honest answer.
 */

import {
	asksForSummary,
	attachmentCalls,
	type DemoAttachment,
	describeAttachments,
	firstLines,
	ownText,
} from "./demo-attachments.ts";

export interface PlannedCall {
	toolName: string;
	input: Record<string, unknown>;
}

export interface ToolOutcome {
	toolName: string;
	output: unknown;
}

export type DemoTurn =
	| { kind: "call"; thought: string; call: PlannedCall }
	| { kind: "answer"; thought: string; text: string };

const FILE = String.raw`([\w./-]+\.[A-Za-z0-9]{1,10})`;

/** Intent patterns, each turned into a tool call. Order in the instruction decides call order. */
const INTENTS: { pattern: RegExp; call: (m: RegExpMatchArray) => PlannedCall }[] = [
	{
		pattern: /\b(?:list|show|what)\b[^.]*?\bfiles\b/i,
		call: () => ({ toolName: "list_files", input: {} }),
	},
	{
		pattern: new RegExp(
			String.raw`\b(?:write|create|save)\s+(?:a\s+|the\s+)?(?:file\s+)?${FILE}\s*(?:with|containing|saying)?\s*:?\s*["“]?([^"”]+?)["”]?\s*$`,
			"i",
		),
		call: (m) => ({ toolName: "write_file", input: { path: m[1], content: `${m[2]?.trim()}\n` } }),
	},
	{
		pattern: new RegExp(String.raw`\b(?:read|summari[sz]e|open|cat|show me)\s+(?:the\s+)?(?:file\s+)?${FILE}`, "i"),
		call: (m) => ({ toolName: "read_file", input: { path: m[1] } }),
	},
	{
		pattern: new RegExp(String.raw`\b(?:delete|remove)\s+(?:the\s+)?(?:file\s+)?${FILE}`, "i"),
		call: (m) => ({ toolName: "delete_file", input: { path: m[1] } }),
	},
	{
		pattern: /(https?:\/\/[^\s"'<>)]+)/i,
		call: (m) => ({ toolName: "http_fetch", input: { url: m[1]?.replace(/[.,;]+$/, "") } }),
	},
	{
		pattern: /\b(?:add|queue|create)\s+(?:a\s+)?follow[- ]?up(?:\s+task)?\s*(?:to|:)?\s*["“]?([^"”]+?)["”]?\s*$/i,
		call: (m) => ({ toolName: "add_task", input: { instruction: m[1]?.trim() } }),
	},
	{
		pattern: /\b(?:list|show)\b[^.]*?\btasks\b/i,
		call: () => ({ toolName: "list_tasks", input: {} }),
	},
	{
		// A tool by name (an AG-UI client's own, say): "use the confirm tool with {"ok": true}".
		pattern: /\buse\s+the\s+([A-Za-z0-9_-]{1,100})\s+tool\b(?:\s+with\s+(\{.*\}))?/i,
		call: (m) => ({ toolName: m[1] as string, input: jsonObject(m[2]) }),
	},
	{
		pattern: /\b(?:what time|current time|the time|date today|today's date|what day)\b/i,
		call: () => ({ toolName: "current_time", input: {} }),
	},
	{
		// "What is my favourite colour?", "do you remember where I live?", "recall my plans"
		pattern:
			/\b(?:what(?:'s|\s+is|\s+are|\s+was|\s+were)\s+my|do\s+you\s+(?:remember|know)|what\s+do\s+you\s+(?:remember|know)|recall|search\s+(?:my\s+)?memor(?:y|ies))\b(.*)$/is,
		call: (m) => ({ toolName: "recall", input: { query: m[0].trim().slice(0, 500) } }),
	},
	{
		pattern: /\bforget\s+(?:memory\s+)?(mem_[A-Za-z0-9_-]{1,64})/i,
		call: (m) => ({ toolName: "forget", input: { id: m[1] } }),
	},
];

/**
 * "Remember that my favourite colour is teal." / "remember: the wifi code is 1234". What
 * follows is the memory's text, not more requests (a URL in it is not a page to fetch).
 */
const REMEMBER = /\bremember(?:\s+that\s+|\s*:\s*)(.{1,2000}?)[.!]?\s*$/is;

/** What "remember that …" keeps: the words after it, first letter up, ending in a full stop. */
function rememberedText(words: string): string {
	const text = words.trim().replace(/\s+/g, " ");
	const sentence = text.charAt(0).toUpperCase() + text.slice(1);
	return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/**
 * What a page the run fetched told it to remember: the demo model obeys it, as a gullible
 * model would (prompt injection), so the offline demo shows what the approval gate does about
 * it (runner/run-memory.ts: a memory write after outside content waits for a person).
 */
function pageInstructions(done: ToolOutcome[]): PlannedCall[] {
	const calls: PlannedCall[] = [];
	for (const { toolName, output } of done) {
		if (toolName !== "http_fetch") continue;
		const text = String((output as { text?: unknown } | null)?.text ?? "");
		const match = /\bremember\s+that\s+([^.!?\n]{1,500})/i.exec(text);
		if (match) calls.push({ toolName: "remember", input: { text: rememberedText(match[1] as string) } });
	}
	return calls.slice(0, 1);
}

/** "Use the <server>__<tool> tool with {json}": a call to a tool of one of the user's MCP servers. */
const MCP_CALL = /\buse the ([a-z0-9-]{1,32}__[A-Za-z0-9_-]{1,64}) tool\b/gi;

/**
 * The MCP tool calls an instruction asks for ("Use the files__search tool with {"q":"x"}"),
 * each with its JSON object input ({} when there is none; `_invalid_json` when it doesn't parse,
 * so the tool's schema check reports it).
 */
export function planMcpCalls(instruction: string): PlannedCall[] {
	const calls: PlannedCall[] = [];
	for (const match of instruction.matchAll(MCP_CALL)) {
		const rest = instruction.slice((match.index ?? 0) + match[0].length);
		const withJson = /^\s+with\s*(?=\{)/i.exec(rest);
		let input: Record<string, unknown> = {};
		if (withJson) {
			const text = jsonObjectAt(rest, withJson[0].length);
			try {
				const parsed: unknown = JSON.parse(text);
				input =
					typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
						? (parsed as Record<string, unknown>)
						: { _invalid_json: text };
			} catch {
				input = { _invalid_json: text };
			}
		}
		calls.push({ toolName: match[1] as string, input });
	}
	return calls;
}

/** The balanced `{…}` starting at `start` (strings and escapes respected), or the rest of the text. */
function jsonObjectAt(text: string, start: number): string {
	let depth = 0;
	let inString = false;
	for (let i = start; i < text.length; i++) {
		const c = text[i];
		if (inString) {
			if (c === "\\") i++;
			else if (c === '"') inString = false;
		} else if (c === '"') inString = true;
		else if (c === "{") depth++;
		else if (c === "}" && --depth === 0) return text.slice(start, i + 1);
	}
	return text.slice(start);
}

function jsonObject(text: string | undefined): Record<string, unknown> {
	if (!text) return {};
	try {
		const value: unknown = JSON.parse(text);
		return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
	} catch {
		return {};
	}
}

/** The tool calls an instruction asks for, in the order it mentions them. */
export function planCalls(instruction: string): PlannedCall[] {
	// MCP calls carry JSON, whose contents (a URL, a file name) must not read as other requests.
	const mcp = planMcpCalls(instruction);
	if (mcp.length > 0) return mcp;
	const found: { index: number; call: PlannedCall }[] = [];
	const remember = REMEMBER.exec(instruction);
	if (remember)
		found.push({
			index: remember.index,
			call: { toolName: "remember", input: { text: rememberedText(remember[1] as string) } },
		});
	const requests = remember ? instruction.slice(0, remember.index) : instruction;
	for (const intent of INTENTS) {
		const match = requests.match(intent.pattern);
		if (match?.index !== undefined) found.push({ index: match.index, call: intent.call(match) });
	}
	// "summarise README.md" after "write README.md ..." etc. are separate intents; keep both.
	return found.sort((a, b) => a.index - b.index).map((f) => f.call);
}

/** Decides the next step: the next planned call, or the final answer once all have run. */
export function nextTurn(
	instruction: string,
	done: ToolOutcome[],
	/** The message's attached files (demo-attachments.ts): described, summarised, read, saved. */
	attachments: readonly DemoAttachment[] = [],
): DemoTurn {
	// "Summarise report.pdf" names an attachment, not a workspace file.
	const attached = new Set(attachments.map((a) => a.name));
	const asked = [
		...planCalls(instruction).filter((c) => c.toolName !== "read_file" || !attached.has(String(c.input.path))),
		...attachmentCalls(instruction, attachments),
	];
	// Once what was asked is done, what a fetched page asked for (see pageInstructions).
	const plan = done.length >= asked.length ? [...asked, ...pageInstructions(done.slice(0, asked.length))] : asked;
	if (plan.length === 0 && attachments.length > 0) {
		return {
			kind: "answer",
			thought: `${attachments.length} attached file${attachments.length > 1 ? "s" : ""}; answering from what the message carries.`,
			text: attachmentAnswer(instruction, attachments),
		};
	}
	if (plan.length === 0) {
		return {
			kind: "answer",
			thought: "No request I can act on as the demo model; explaining how to configure a real model.",
			text: honestAnswer(instruction),
		};
	}
	const next = plan[done.length];
	if (next) {
		return {
			kind: "call",
			thought: `The request needs ${plan.length} tool call${plan.length > 1 ? "s" : ""} (${plan.map((p) => p.toolName).join(", ")}). Step ${done.length + 1}: ${next.toolName}.`,
			call: next,
		};
	}
	return {
		kind: "answer",
		thought: `All ${plan.length} tool call${plan.length > 1 ? "s" : ""} done; summarising the results.`,
		text: [...done.map(describeOutcome), ...shortfall(done)].join("\n\n"),
	};
}

/** A summary of each attached file's text when asked for one; otherwise what each file is. */
function attachmentAnswer(instruction: string, attachments: readonly DemoAttachment[]): string {
	if (!asksForSummary(instruction)) return describeAttachments(attachments);
	return attachments
		.map((a) => {
			const text = ownText(a);
			if (!text.trim()) return describeAttachments([a]).replace(/^You attached one file:\n- /, "");
			const read = a.shown !== undefined ? ` (I read its first ${a.shown.toLocaleString("en-US")} characters.)` : "";
			return `${summarise(a.name, text)}${read}`;
		})
		.join("\n\n");
}

/** What the run couldn't do, said plainly at the end of the answer (nothing when every call worked). */
function shortfall(done: ToolOutcome[]): string[] {
	const failed = done.filter(({ output }) => typeof (output as { error?: unknown } | null)?.error === "string");
	if (failed.length === 0) return [];
	const names = [...new Set(failed.map((f) => f.toolName))].join(", ");
	const all = failed.length === done.length;
	return [
		all
			? `I couldn't do what you asked: ${failed.length === 1 ? "the step" : `all ${failed.length} steps`} failed (${names}).`
			: `Only part of this is done: ${failed.length} of ${done.length} steps failed (${names}).`,
	];
}

export function honestAnswer(instruction: string): string {
	const quoted = instruction.length > 120 ? `${instruction.slice(0, 120)}…` : instruction;
	return [
		`I'm Sparky's built-in **demo model**, so I can't really answer "${quoted}".`,
		"I can run the real tools for requests like: list files, read or summarise README.md, write notes.md with: some text, delete notes.md, fetch https://example.com, add a follow-up task: …, list my tasks, what time is it, remember that …, what is my …?, forget mem_…, use the <name> tool (with {…}).",
		"To use a real model, set `SPARKY_MODEL` (for example `anthropic:claude-sonnet-4-5` or `openai:gpt-5-mini`) and the provider's key as a secret (`ANTHROPIC_API_KEY`, `OPENAI_API_KEY`), then restart. See the README's \"Models\" section.",
	].join("\n\n");
}

function describeOutcome({ toolName, output }: ToolOutcome): string {
	const o = (output ?? {}) as Record<string, unknown>;
	if (typeof o.error === "string") return `**${toolName}** failed: ${o.error}`;
	if (toolName.includes("__")) {
		const text = String(o.text ?? "").trim();
		const structured = o.structured === undefined ? "" : ` Structured: ${JSON.stringify(o.structured).slice(0, 500)}`;
		return `**${toolName}** returned: ${text.slice(0, 1000)}${text.length > 1000 ? "…" : ""}${structured}`;
	}
	switch (toolName) {
		case "list_files": {
			const files = (o.files as { path: string; size: number }[] | undefined) ?? [];
			if (files.length === 0) return "The workspace is empty.";
			const list = files.map((f) => `- ${f.path} (${f.size} bytes)`).join("\n");
			return `The workspace has ${files.length} file${files.length > 1 ? "s" : ""}:\n${list}`;
		}
		case "read_file":
			// A file that isn't text is described, not read: say what it is.
			if (o.binary === true) return String(o.description ?? `**${o.path}** is not a text file.`);
			return summarise(String(o.path), String(o.content ?? ""));
		case "write_file":
			return `${o.created ? "Created" : "Updated"} **${o.path}** (${o.size} bytes).`;
		case "delete_file":
			return `Deleted **${o.path}**.`;
		case "http_fetch": {
			const text = String(o.text ?? "")
				.replace(/\s+/g, " ")
				.trim();
			const title = o.title ? ` "${o.title}"` : "";
			return `Fetched ${o.url} (HTTP ${o.status}${title}). ${text ? `It says: ${text.slice(0, 300)}${text.length > 300 ? "…" : ""}` : "No text content."}`;
		}
		case "add_task":
			return `Queued follow-up task **${o.task_id}**.`;
		case "list_tasks": {
			const tasks = (o.tasks as { id: string; status: string; instruction: string }[] | undefined) ?? [];
			if (tasks.length === 0) return "You have no tasks yet.";
			return `Your latest ${tasks.length} task${tasks.length > 1 ? "s" : ""}:\n${tasks.map((t) => `- ${t.id} (${t.status}): ${t.instruction}`).join("\n")}`;
		}
		case "current_time":
			return `It is ${o.local} (${o.iso}).`;
		case "remember":
			return o.saved === false
				? `I already remember that: “${o.text}” (${o.id}).`
				: `I'll remember that: “${o.text}” (${o.id}).`;
		case "recall": {
			const memories = (o.memories as { id: string; text: string }[] | undefined) ?? [];
			if (memories.length === 0)
				return "I don't remember anything about that yet. Tell me “remember that …” and I'll keep it.";
			const [best, ...more] = memories;
			const also = more.slice(0, 2).map((m) => `\n- “${m.text}” (${m.id})`);
			return `From what you told me: “${best?.text}” (${best?.id}).${also.length > 0 ? `\n\nI also remember:${also.join("")}` : ""}`;
		}
		case "forget":
			return `Forgotten: ${o.id}.`;
		case "read_attachment": {
			const where = o.page !== undefined ? `Page ${o.page} of ${o.pages}` : `From character ${o.offset}`;
			return `${where} of **${o.name}**: “${firstLines(String(o.text ?? ""), 5)}”`;
		}
		case "save_to_workspace":
			return `Saved **${o.name}** to the workspace as **${o.path}** (${o.size} bytes).`;
		default: {
			const text = typeof output === "string" ? output : JSON.stringify(output);
			return `The **${toolName}** tool returned: ${text.slice(0, 300)}${text.length > 300 ? "…" : ""}`;
		}
	}
}

/** A plain, deterministic summary: title, size, headings and the opening line. */
export function summarise(path: string, content: string): string {
	const lines = content.split("\n");
	const words = content.match(/[\p{L}\p{N}'’-]+/gu)?.length ?? 0;
	const headings = lines.filter((l) => /^#{1,6}\s/.test(l)).map((l) => l.replace(/^#+\s*/, "").trim());
	const firstText = lines.find((l) => l.trim() && !/^#{1,6}\s/.test(l) && !/^[-*]\s/.test(l))?.trim();
	const parts = [`**${path}** has ${lines.length} lines and ${words} words.`];
	if (headings[0]) parts.push(`Its title is "${headings[0]}".`);
	if (headings.length > 1) parts.push(`Sections: ${headings.slice(1, 6).join(", ")}.`);
	if (firstText) parts.push(`It begins: "${firstText.slice(0, 200)}${firstText.length > 200 ? "…" : ""}"`);
	return parts.join(" ");
}
