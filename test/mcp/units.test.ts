import { describe, expect, it } from "vitest";
import { z } from "zod";
import { nextTurn, planCalls, planMcpCalls } from "../../src/agent/demo-plan.ts";
import { conflict } from "../../src/errors.ts";
import { mcpToolNeedsApproval } from "../../src/mcp/approval.ts";
import { schemaCheck, withoutPatterns, zodJsonSchemaValidator } from "../../src/mcp/json-schema.ts";
import { agentToolName, scrub } from "../../src/mcp/names.ts";
import { openJson, SecretsKeyMissing, sealJson } from "../../src/mcp/secrets.ts";
import { answer } from "../../src/mcp/server-tool.ts";
import { readCallResult, unavailableServersNote } from "../../src/mcp/tools.ts";

const KEY = "unit-test-secrets-key-0123456789abcdefghij";

describe("mcpToolNeedsApproval", () => {
	const readOnly = { annotations: { readOnlyHint: true } };
	const writes = { annotations: { readOnlyHint: false } };
	const unannotated = {};
	const odd = { annotations: { readOnlyHint: "true" } };
	it.each([
		["auto", readOnly, false],
		["auto", writes, true],
		["auto", unannotated, true],
		["auto", odd, true],
		["never", readOnly, false],
		["never", writes, false],
		["never", unannotated, false],
		["always", readOnly, true],
		["always", writes, true],
		["always", unannotated, true],
	] as const)("approval %s, tool %j → %s", (approval, tool, expected) => {
		expect(mcpToolNeedsApproval({ approval }, tool)).toBe(expected);
	});
});

describe("header secrets (AES-GCM)", () => {
	it("round-trips, and the sealed text contains no plain value", async () => {
		const headers = { Authorization: "Bearer sk-live-VERY-SECRET-123" };
		const sealed = await sealJson(KEY, headers, "alice/mcp_1");
		expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
		expect(sealed).not.toContain("VERY-SECRET");
		expect(await openJson(KEY, sealed, "alice/mcp_1")).toEqual(headers);
	});
	it("uses a fresh IV each time", async () => {
		expect(await sealJson(KEY, { a: "b" }, "x")).not.toBe(await sealJson(KEY, { a: "b" }, "x"));
	});
	it("does not open for another row, another key or altered bytes", async () => {
		const sealed = await sealJson(KEY, { a: "secret" }, "alice/mcp_1");
		await expect(openJson(KEY, sealed, "bob/mcp_1")).rejects.toThrow();
		await expect(openJson(`${KEY}-other`, sealed, "alice/mcp_1")).rejects.toThrow();
		const tampered = `${sealed.slice(0, -2)}${sealed.endsWith("A") ? "B" : "A"}A`;
		await expect(openJson(KEY, tampered, "alice/mcp_1")).rejects.toThrow();
	});
	it("refuses a missing or short key", async () => {
		await expect(sealJson(undefined, {}, "x")).rejects.toBeInstanceOf(SecretsKeyMissing);
		await expect(sealJson("short", {}, "x")).rejects.toBeInstanceOf(SecretsKeyMissing);
	});
});

describe("MCP tool names and scrubbing", () => {
	it("names tools <server>__<tool>, replacing characters providers refuse", () => {
		expect(agentToolName("everything", "get-sum")).toBe("everything__get-sum");
		expect(agentToolName("fs", "read.file/v2")).toBe("fs__read_file_v2");
	});
	it("scrubs header values, raw and JSON-escaped", () => {
		const headers = { Authorization: 'Bearer k"ey-123', "X-Short": "ab" };
		expect(scrub('got Bearer k"ey-123 and {"h":"Bearer k\\"ey-123"} ab', headers)).toBe(
			'got [redacted] and {"h":"[redacted]"} ab',
		);
	});
	it("names unreachable servers for the system prompt", () => {
		expect(unavailableServersNote([])).toBe("");
		expect(unavailableServersNote([{ server: "dead", reason: "connection refused" }])).toContain(
			'MCP server "dead": connection refused',
		);
	});
});

describe("readCallResult", () => {
	it("joins text content and keeps structured content", () => {
		const result = readCallResult("s__t", {
			content: [
				{ type: "text", text: "one" },
				{ type: "image", mimeType: "image/png", data: "AAAA" },
			],
			structuredContent: { sum: 3 },
		});
		expect(result).toEqual({ text: "one\n[image: image/png, 3 bytes]", structured: { sum: 3 }, truncated: false });
	});
	it("turns isError into a failure with the server's message", () => {
		expect(readCallResult("s__t", { content: [{ type: "text", text: "boom" }], isError: true })).toEqual({
			error: "s__t reported an error: boom",
		});
	});
	it("refuses a result that is not an MCP tool result", () => {
		expect(readCallResult("s__t", { content: "nope" })).toEqual({
			error: "s__t returned a result that is not a valid MCP tool result",
		});
	});
	it("scrubs header values a server echoes back", () => {
		const out = readCallResult(
			"s__t",
			{ content: [{ type: "text", text: "you sent sk-abcdef" }] },
			{ "X-Key": "sk-abcdef" },
		);
		expect(JSON.stringify(out)).not.toContain("sk-abcdef");
	});
	it("cuts long text", () => {
		const out = readCallResult("s__t", { content: [{ type: "text", text: "x".repeat(30_000) }] });
		expect(out).toMatchObject({ truncated: true });
		expect((out as { text: string }).text).toHaveLength(20_000);
	});
});

describe("schemaCheck (a tool's JSON Schema, read by zod)", () => {
	const check = schemaCheck({
		type: "object",
		properties: { a: { type: "number" }, b: { type: "number" }, tags: { type: "array", items: { type: "string" } } },
		required: ["a", "b"],
	});
	it("accepts matching input", () => {
		expect(check({ a: 1, b: 2 })).toBeUndefined();
		expect(check({ a: 1, b: 2, tags: ["x"] })).toBeUndefined();
	});
	it("names what is wrong, and where", () => {
		expect(check({ a: "one", b: 2 })).toMatch(/^\/a: .*number/);
		expect(check({ a: 1 })).toMatch(/^\/b: /);
		expect(check({ a: 1, b: 2, tags: [3] })).toMatch(/^\/tags\/0: /);
		expect(check("nope")).toMatch(/^\/: /);
	});
	it("checks nothing when zod can't read the schema (the server still checks)", () => {
		expect(
			schemaCheck({ type: "object", properties: { a: { $ref: "https://example.com/x.json" } } })({ a: 1 }),
		).toBeUndefined();
	});
	it("runs no regular expression a server wrote (^(a+)+$ would backtrack for minutes); a property named pattern stays", () => {
		const evil = {
			type: "object",
			properties: {
				q: { type: "string", pattern: "^(a+)+$" },
				pattern: { type: "number" },
				list: { type: "array", items: { anyOf: [{ type: "string", pattern: "^(b+)+$" }] } },
			},
			patternProperties: { "^(c+)+$": { type: "number" } },
		};
		const checkEvil = schemaCheck(evil);
		expect(checkEvil({ q: `${"a".repeat(40)}!`, pattern: 1, list: [`${"b".repeat(40)}!`] })).toBeUndefined();
		expect(checkEvil({ q: "x", pattern: "not a number" })).toMatch(/^\/pattern: /);
		expect(withoutPatterns(evil)).toEqual({
			type: "object",
			properties: {
				q: { type: "string" },
				pattern: { type: "number" },
				list: { type: "array", items: { anyOf: [{ type: "string" }] } },
			},
		});
	});
	it("serves as the SDK's validator", () => {
		const validate = zodJsonSchemaValidator.getValidator<{ n: number }>({
			type: "object",
			properties: { n: { type: "integer" } },
			required: ["n"],
		});
		expect(validate({ n: 3 })).toEqual({ valid: true, data: { n: 3 }, errorMessage: undefined });
		expect(validate({ n: 1.5 })).toMatchObject({ valid: false, data: undefined });
	});
});

describe("the demo model's MCP rule", () => {
	it("plans a call with the JSON input, and nothing else from inside the JSON", () => {
		expect(
			planCalls('Use the everything__echo tool with {"message":"fetch https://example.com and list files"}'),
		).toEqual([{ toolName: "everything__echo", input: { message: "fetch https://example.com and list files" } }]);
	});
	it("plans several calls in order, {} without input, and marks JSON that doesn't parse", () => {
		expect(
			planMcpCalls('Use the a__x tool with {"n":{"m":"}"}}. Then use the b__y tool. Use the c__z tool with {oops}'),
		).toEqual([
			{ toolName: "a__x", input: { n: { m: "}" } } },
			{ toolName: "b__y", input: {} },
			{ toolName: "c__z", input: { _invalid_json: "{oops}" } },
		]);
	});
	it("reports the result", () => {
		const turn = nextTurn('Use the s__echo tool with {"message":"hi"}', [
			{ toolName: "s__echo", output: { text: "Echo: hi", truncated: false } },
		]);
		expect(turn).toMatchObject({ kind: "answer" });
		expect(turn.kind === "answer" && turn.text).toContain("**s__echo** returned: Echo: hi");
	});
});

describe("Sparky's MCP server: a tool's failure", () => {
	const failing = (error: unknown) => ({
		name: "boom",
		description: "fails",
		input: z.object({}),
		output: z.object({ ok: z.boolean() }),
		annotations: {
			title: "Boom",
			readOnlyHint: true,
			destructiveHint: false,
			idempotentHint: true,
			openWorldHint: false,
		},
		scope: "tasks:read" as const,
		run: async (): Promise<Record<string, unknown>> => {
			throw error;
		},
	});
	it("a domain error is an error result with its code and message", async () => {
		const result = await answer(failing(conflict("that task already ended")), {});
		expect(result.isError).toBe(true);
		expect(JSON.parse(result.content[0]?.text ?? "{}")).toEqual({
			error: { code: "conflict", message: "that task already ended" },
		});
	});
	it("anything else is `internal_error`, without the service's inside (a D1 error's text) reaching the caller", async () => {
		const result = await answer(failing(new Error("D1_ERROR: no such column: secret_internal_name")), {});
		expect(result.isError).toBe(true);
		expect(JSON.parse(result.content[0]?.text ?? "{}")).toMatchObject({ error: { code: "internal_error" } });
		expect(JSON.stringify(result)).not.toContain("secret_internal_name");
	});
});
