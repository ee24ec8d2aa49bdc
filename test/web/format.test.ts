import { describe, expect, it } from "vitest";
import {
	firstLine,
	formatDuration,
	formatTokens,
	prettyJson,
	relativeTime,
	truncate,
} from "../../web/src/lib/format.ts";
import { parseRoute, routePath } from "../../web/src/lib/route.ts";

describe("web: formatting", () => {
	it("formats durations from milliseconds to hours", () => {
		expect(formatDuration(250)).toBe("250 ms");
		expect(formatDuration(2_345)).toBe("2.3 s");
		expect(formatDuration(42_000)).toBe("42 s");
		expect(formatDuration(125_000)).toBe("2 min 5 s");
		expect(formatDuration(3 * 3_600_000 + 120_000)).toBe("3 h 2 min");
		expect(formatDuration(-1)).toBe("");
	});

	it("formats token usage", () => {
		expect(formatTokens({ inputTokens: 1200, outputTokens: 34 })).toBe("1,234 tokens (1,200 in, 34 out)");
	});

	it("pretty-prints JSON and leaves anything else alone", () => {
		expect(prettyJson('{"a":[1,2]}')).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}');
		expect(prettyJson("not json")).toBe("not json");
		expect(prettyJson(undefined)).toBe("");
	});

	it("truncates long output, at a line end when one is near", () => {
		expect(truncate("short", 10)).toEqual({ text: "short", more: false });
		const lines = `${"a".repeat(80)}\n${"b".repeat(80)}`;
		expect(truncate(lines, 100)).toEqual({ text: `${"a".repeat(80)}…`, more: true });
		expect(truncate("x".repeat(50), 20)).toEqual({ text: `${"x".repeat(20)}…`, more: true });
	});

	it("says how long ago, in words", () => {
		const now = Date.UTC(2026, 0, 10, 12, 0, 0);
		expect(relativeTime(now - 10_000, now)).toBe("just now");
		expect(relativeTime(now + 5_000, now)).toBe("just now"); // a clock a little ahead
		expect(relativeTime(now - 2 * 60_000, now)).toBe("2 min ago");
		expect(relativeTime(now - 3 * 3_600_000, now)).toBe("3 h ago");
		expect(relativeTime(now - 26 * 3_600_000, now)).toBe("yesterday");
		expect(relativeTime(now - 5 * 86_400_000, now)).toBe("5 days ago");
	});

	it("takes the first line of a text, shortened", () => {
		expect(firstLine("  hello\nworld")).toBe("hello");
		expect(firstLine("abcdef", 4)).toBe("abc…");
		expect(firstLine(undefined)).toBe("");
	});
});

describe("web: routes", () => {
	it("reads chats and tasks from the path, anything else is home", () => {
		expect(parseRoute("/chat/chat_ab-C")).toEqual({ kind: "chat", id: "chat_ab-C" });
		expect(parseRoute("/task/task_1")).toEqual({ kind: "task", id: "task_1" });
		expect(parseRoute("/")).toEqual({ kind: "home" });
		expect(parseRoute("/task/")).toEqual({ kind: "home" });
		expect(parseRoute("/task/a/b")).toEqual({ kind: "home" });
		expect(parseRoute("/task/%3Cscript%3E")).toEqual({ kind: "home" });
		expect(parseRoute("/api/me")).toEqual({ kind: "home" });
	});

	it("reads the settings and admin panels, nothing under them", () => {
		expect(parseRoute("/settings")).toEqual({ kind: "settings" });
		expect(parseRoute("/admin")).toEqual({ kind: "admin" });
		expect(parseRoute("/admin/x")).toEqual({ kind: "home" });
		expect(routePath({ kind: "settings" })).toBe("/settings");
		expect(routePath({ kind: "admin" })).toBe("/admin");
	});

	it("writes them back", () => {
		expect(routePath({ kind: "chat", id: "chat_1" })).toBe("/chat/chat_1");
		expect(routePath({ kind: "home" })).toBe("/");
	});
});
