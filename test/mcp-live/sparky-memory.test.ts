// Sparky's /mcp memory tools (search_memory, add_memory) with the official SDK client
// (Streamable HTTP) against a real wrangler dev: the token's user's memories only.
import { describe, expect, it } from "vitest";
import { api, type CallResult, callTool, newUser, sparkyMcpClients } from "./support.ts";

const connect = sparkyMcpClients("sparky-memory-test");
const call = callTool;
const errorOf = (res: CallResult) => JSON.parse(res.content[0]?.text ?? "{}").error;

describe("Sparky's /mcp memory tools", () => {
	it("lists search_memory (read-only) and add_memory with their inputs", async () => {
		const client = await connect((await newUser()).token);
		const { tools } = await client.listTools();
		const search = tools.find((t) => t.name === "search_memory");
		const add = tools.find((t) => t.name === "add_memory");
		expect(search?.annotations?.readOnlyHint).toBe(true);
		expect(search?.inputSchema.required).toEqual(["query"]);
		expect(Object.keys(search?.inputSchema.properties ?? {}).sort()).toEqual(["limit", "query"]);
		expect(add?.annotations?.readOnlyHint).toBe(false);
		expect(add?.inputSchema.required).toEqual(["text"]);
		expect(Object.keys(add?.inputSchema.properties ?? {}).sort()).toEqual(["tags", "text"]);
	});

	it("add_memory saves for the token's user (source mcp); search_memory finds it, text and structured", async () => {
		const user = await newUser();
		const client = await connect(user.token);
		const added = await call(client, "add_memory", { text: "My favourite colour is teal", tags: ["Colour"] });
		expect(added.isError).toBeFalsy();
		const memory = added.structuredContent.memory;
		expect(memory).toMatchObject({
			text: "My favourite colour is teal",
			tags: ["colour"],
			pinned: false,
			source: { kind: "mcp", task_id: null, chat_id: null },
		});
		expect(JSON.parse(added.content[0]?.text ?? "{}")).toEqual(added.structuredContent);
		await call(client, "add_memory", { text: "The dentist is on Tuesdays" });

		const found = await call(client, "search_memory", { query: "what is my favourite colour?" });
		expect(found.isError).toBeFalsy();
		expect(found.structuredContent.memories.map((m: { id: string }) => m.id)).toEqual([memory.id]);
		expect(JSON.parse(found.content[0]?.text ?? "{}")).toEqual(found.structuredContent);
		// Syntax in the query is data.
		const odd = await call(client, "search_memory", { query: 'NEAR("teal' });
		expect(odd.isError).toBeFalsy();
		expect(odd.structuredContent.memories.map((m: { id: string }) => m.id)).toEqual([memory.id]);
		// The same memory through the HTTP API.
		const viaApi = await api(`/api/memories/${memory.id}`, { token: user.token });
		expect(viaApi.status).toBe(200);
		expect(viaApi.body.memory.source.kind).toBe("mcp");
	});

	it("search_memory sees only the caller's memories; limit caps the answer", async () => {
		const alice = await newUser();
		const bob = await newUser();
		const a = await connect(alice.token);
		const b = await connect(bob.token);
		for (let i = 0; i < 4; i++) await call(a, "add_memory", { text: `alice's private note ${i} about marmalade` });
		const bobs = await call(b, "search_memory", { query: "marmalade" });
		expect(bobs.isError).toBeFalsy();
		expect(bobs.structuredContent.memories).toEqual([]);
		const limited = await call(a, "search_memory", { query: "marmalade", limit: 2 });
		expect(limited.structuredContent.memories).toHaveLength(2);
	});

	it("validates input like the HTTP API, as error results", async () => {
		const client = await connect((await newUser()).token);
		for (const [tool, args] of [
			["add_memory", { text: "   " }],
			["add_memory", { text: "x".repeat(2001) }],
			["add_memory", { text: "ok", tags: ["not a tag"] }],
			["add_memory", { text: "ok", pinned: true }],
			["search_memory", { query: "" }],
			["search_memory", { query: "x", limit: 21 }],
		] as const) {
			const res = await call(client, tool, args);
			expect(res.isError, `${tool} ${JSON.stringify(args)}`).toBe(true);
			expect(errorOf(res).code).toBe("validation_failed");
		}
	});

	it("add_memory spends the memories rate (an error result past it)", async () => {
		const client = await connect((await newUser()).token);
		const codes: string[] = [];
		for (let i = 0; i < 34; i++) {
			const res = await call(client, "add_memory", { text: `rated ${i}` });
			codes.push(res.isError ? errorOf(res).code : "ok");
		}
		expect(codes.filter((c) => c === "ok").length).toBeGreaterThanOrEqual(30);
		expect(codes).toContain("rate_limited");
	});
});
