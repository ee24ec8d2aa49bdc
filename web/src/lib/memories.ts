import { z } from "zod";
import { ChatSummarySchema, type Memory, MemorySchema, type MemorySource } from "../../../src/protocol/index.ts";
import { type Api, ApiError } from "./api.ts";
import type { Route } from "./route.ts";

/** The memory API's answers, parsed at this boundary like events are: typed from here on. */
const PageSchema = z.object({ memories: z.array(MemorySchema), next_cursor: z.string().nullable() });
const OneSchema = z.object({ memory: MemorySchema });
const SummariesSchema = z.object({ summaries: z.array(ChatSummarySchema) });

export type MemoryPage = z.infer<typeof PageSchema>;

export interface MemoryQuery {
	q?: string;
	pinned?: boolean;
	cursor?: string;
	limit?: number;
}

export interface MemoryChange {
	text?: string;
	tags?: string[];
	pinned?: boolean;
}

const enc = encodeURIComponent;

/** `/api/memories` and a chat's summaries, over the page's `Api`. */
export class MemoryApi {
	constructor(readonly api: Api) {}

	async list(query: MemoryQuery = {}): Promise<MemoryPage> {
		const params = new URLSearchParams();
		if (query.q?.trim()) params.set("q", query.q.trim());
		if (query.pinned) params.set("pinned", "true");
		if (query.limit) params.set("limit", String(query.limit));
		if (query.cursor) params.set("cursor", query.cursor);
		const search = params.toString();
		return PageSchema.parse(await this.api.request("GET", `/api/memories${search ? `?${search}` : ""}`));
	}

	/** One memory; null when it is gone (forgotten since). */
	async get(id: string): Promise<Memory | null> {
		try {
			return OneSchema.parse(await this.api.request("GET", `/api/memories/${enc(id)}`)).memory;
		} catch (error) {
			if (error instanceof ApiError && error.status === 404) return null;
			throw error;
		}
	}

	async create(body: { text: string; tags?: string[]; pinned?: boolean }): Promise<Memory> {
		return OneSchema.parse(await this.api.request("POST", "/api/memories", body)).memory;
	}

	async update(id: string, change: MemoryChange): Promise<Memory> {
		return OneSchema.parse(await this.api.request("PATCH", `/api/memories/${enc(id)}`, change)).memory;
	}

	async remove(id: string): Promise<void> {
		await this.api.request("DELETE", `/api/memories/${enc(id)}`);
	}

	async summaries(chatId: string) {
		return SummariesSchema.parse(await this.api.request("GET", `/api/chats/${enc(chatId)}/summaries`)).summaries;
	}
}

/** Tags as a person types them ("colour, Home  work"): lower-cased, deduplicated, in order. */
export function parseTags(text: string): string[] {
	const tags = text
		.split(/[,\s]+/)
		.map((t) => t.trim().toLowerCase())
		.filter(Boolean);
	return [...new Set(tags)];
}

/** Where a memory came from, for its line: words, and where a link goes when there is a place. */
export function sourceOf(source: MemorySource): { label: string; route?: Route } {
	switch (source.kind) {
		case "chat":
			return source.chat_id ? { label: "a chat", route: { kind: "chat", id: source.chat_id } } : { label: "a chat" };
		case "task":
			return source.task_id ? { label: "a task", route: { kind: "task", id: source.task_id } } : { label: "a task" };
		case "you":
			return { label: "you" };
		case "import":
			return { label: "an import" };
		case "mcp":
			return { label: "an MCP client" };
	}
}

/** "1 memory", "3 memories". */
export function memoriesCount(n: number): string {
	return `${n} ${n === 1 ? "memory" : "memories"}`;
}
