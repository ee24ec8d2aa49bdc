// Calls to the running service from the test (Node side): set-up and the expected truth.
import MarkdownIt from "markdown-it";
import { inject } from "vitest";
import { usageItemId } from "../../../src/client/timeline.ts";
import type { Task, WireEvent } from "../../../src/protocol/index.ts";

/** One API call; a 429 (rate limit) is waited out as the answer says, then retried. */
export async function api<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
	for (let attempt = 0; ; attempt++) {
		const res = await fetch(`${inject("sparkyUrl")}${path}`, {
			method,
			headers: {
				Authorization: `Bearer ${token}`,
				...(body === undefined ? {} : { "Content-Type": "application/json" }),
			},
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		if (res.status === 429 && attempt < 20) {
			const wait = Number(res.headers.get("retry-after") ?? 1) * 1000;
			const details = ((await res.json()) as { error?: { details?: { retry_after_ms?: number } } }).error?.details;
			await new Promise((r) => setTimeout(r, (details?.retry_after_ms ?? wait) + 20));
			continue;
		}
		if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
		return (res.status === 204 ? null : await res.json()) as T;
	}
}

export const admin = () => inject("adminToken");
export const agent = () => inject("agentToken");

export async function createTask(token: string, instruction: string): Promise<Task> {
	return (await api<{ task: Task }>(token, "POST", "/api/tasks", { instruction, allow_duplicates: true })).task;
}

export async function getTask(token: string, id: string): Promise<Task> {
	return (await api<{ task: Task }>(token, "GET", `/api/tasks/${id}`)).task;
}

export async function waitForTask(token: string, id: string, statuses: string[], timeoutMs = 20_000): Promise<Task> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const task = await getTask(token, id);
		if (statuses.includes(task.status)) return task;
		if (Date.now() > deadline) throw new Error(`task ${id} is ${task.status}, expected ${statuses.join("/")}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

export async function release(key: string): Promise<void> {
	await fetch(`${inject("pageUrl")}/release?key=${encodeURIComponent(key)}`, { method: "POST" });
}

/** A token for a new user (created by the admin). */
export async function userToken(id: string): Promise<string> {
	await api(admin(), "POST", "/api/users", { id });
	return (await api<{ token: string }>(admin(), "POST", `/api/users/${id}/tokens`, { name: "e2e" })).token;
}

/**
 * What a task's timeline must show, from its stored events: one item per message, thought,
 * tool call and run, in the order each first appeared, and each message's full text.
 */
export async function expectedTimeline(token: string, taskId: string) {
	const { events } = await api<{ events: WireEvent[] }>(token, "GET", `/api/tasks/${taskId}/events`);
	const ids: string[] = [];
	const texts = new Map<string, string>();
	for (const e of events) {
		const id = itemIdOf(e);
		if (id === undefined) continue;
		if (!ids.includes(id)) ids.push(id);
		if (e.type === "TEXT_MESSAGE_CONTENT") texts.set(id, (texts.get(id) ?? "") + String(e.delta));
	}
	return { ids, texts, events };
}

/** The timeline item an event belongs to (the Timeline's own keys), if any. */
function itemIdOf(e: WireEvent): string | undefined {
	if (e.type.startsWith("TEXT_MESSAGE_") || e.type.startsWith("REASONING_MESSAGE_")) return String(e.messageId);
	if (e.type.startsWith("TOOL_CALL_")) return String(e.toolCallId);
	if (e.type.startsWith("RUN_")) return String(e.runId ?? `${e.task_id}:${e.attempt ?? 0}`);
	// A model call's tokens and cost: a line of its own (src/client/thread.ts `applyUsage`).
	if (e.type === "CUSTOM" && e.name === "sparky.usage")
		return usageItemId(String(e.task_id), (e.value as { step: number }).step, e.id);
	return undefined;
}

const md = new MarkdownIt({ html: false, linkify: true, breaks: true });

/** A message's Markdown as the text a reader sees (to compare with the DOM's textContent). */
export function visibleText(markdown: string): string {
	return normalise(
		md
			.render(markdown)
			.replace(/<[^>]+>/g, "")
			.replace(/&lt;/g, "<")
			.replace(/&gt;/g, ">")
			.replace(/&quot;/g, '"')
			.replace(/&#39;/g, "'")
			.replace(/&amp;/g, "&"),
	);
}

export function normalise(text: string): string {
	return text.replace(/\s+/g, " ").trim();
}
