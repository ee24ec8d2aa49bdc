import type { ModelMessage } from "ai";
import { describe, expect, it } from "vitest";
import { countToolFailures, rewordToolErrors, toolErrorText } from "../../src/agent/tool-calls.ts";

const result = (id: string, output: unknown): ModelMessage => ({
	role: "tool",
	content: [{ type: "tool-result", toolCallId: id, toolName: "t", output: output as never }],
});

describe("tool errors in words (issue #27)", () => {
	it("an unknown tool: no library name, no list of every tool", () => {
		const text = toolErrorText(
			"AI_NoSuchToolError: Model tried to call unavailable tool 'everything2__get-sum'. Available tools: a, b, c.",
		);
		expect(text).toMatch(/^no tool named everything2__get-sum is available in this run/);
		expect(text).not.toMatch(/AI_|Available tools/);
	});

	it("input that failed the tool's schema", () => {
		const text = toolErrorText(
			"AI_InvalidToolInputError: Invalid input for tool files__search: AI_TypeValidationError: Type validation failed: Value: {}. Error message: q is required",
		);
		expect(text).toBe("the input for files__search doesn't match what it accepts: q is required");
	});

	it("anything else loses its error name", () => {
		expect(toolErrorText(new Error("AI_SomethingError: it broke"))).toBe("it broke");
	});

	it("rewords the SDK's answers in the response messages", () => {
		const messages = [
			result("c1", { type: "error-text", value: "AI_NoSuchToolError: x" }),
			result("c2", { type: "json", value: 1 }),
		];
		const out = rewordToolErrors(messages, new Map([["c1", "no tool named x"]]));
		expect(JSON.stringify(out)).not.toContain("AI_");
		expect(out[1]).toEqual(messages[1]);
	});

	it("counts the turn's failed calls (after the last user message)", () => {
		const messages: ModelMessage[] = [
			{ role: "user", content: "earlier" },
			result("old", { type: "json", value: { error: "old failure" } }),
			{ role: "user", content: "now" },
			result("a", { type: "json", value: { error: "denied by alice" } }),
			result("b", { type: "error-text", value: "no tool named x" }),
			result("c", { type: "json", value: { ok: true } }),
			result("d", { type: "text", value: "fine" }),
		];
		expect(countToolFailures(messages)).toBe(2);
	});
});
