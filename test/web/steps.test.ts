import { describe, expect, it } from "vitest";
import { chatNames } from "../../web/src/lib/chat-names.ts";
import { KEY_MAX, keyArgument, resultView } from "../../web/src/lib/steps.ts";

describe("web: a step's key argument", () => {
	it("picks the argument that says what the call is about", () => {
		expect(keyArgument('{"url":"https://example.com/a","method":"GET"}')).toBe("https://example.com/a");
		expect(keyArgument('{"content":"buy milk","path":"notes/todo.md"}')).toBe("notes/todo.md");
		expect(keyArgument('{"instruction":"check the logs\\nthen report"}')).toBe("check the logs then report");
		expect(keyArgument('{"message":"hi"}')).toBe("hi");
		expect(keyArgument('{"limit":5}')).toBe("limit: 5");
	});

	it("is empty without arguments or JSON, and cut when long", () => {
		expect(keyArgument("")).toBe("");
		expect(keyArgument("{}")).toBe("");
		expect(keyArgument("{not json")).toBe("");
		const long = keyArgument(JSON.stringify({ path: "a/".repeat(100) }));
		expect(long).toHaveLength(KEY_MAX);
		expect(long.endsWith("…")).toBe(true);
	});
});

describe("web: a tool result as a person reads it", () => {
	it("shows a text field as text with real newlines, the whole result as JSON on demand", () => {
		const view = resultView(JSON.stringify({ url: "https://x.test/", status: 200, text: "line 1\nline 2" }));
		expect(view.text).toBe("line 1\nline 2");
		expect(view.error).toBe(false);
		expect(view.json).toBe(JSON.stringify({ url: "https://x.test/", status: 200, text: "line 1\nline 2" }, null, 2));
		expect(view.note).toBeUndefined();
	});

	it("says an error in words, and a non-2xx status on the line", () => {
		const failed = resultView(JSON.stringify({ error: 'no file "a.md" in the workspace' }));
		expect(failed).toMatchObject({ text: 'no file "a.md" in the workspace', error: true });
		expect(failed.note).toBe('no file "a.md" in the workspace');
		expect(failed.json).toBeUndefined(); // nothing more to show than the text
		const missing = resultView(JSON.stringify({ url: "https://example.com/x", status: 404, text: "Not found" }));
		expect(missing).toMatchObject({ text: "Not found", error: false, note: "HTTP 404 from example.com" });
	});

	it("pretty-prints structured results, keeps plain text and JSON strings as text", () => {
		const listed = resultView(JSON.stringify({ files: [{ path: "a.md", size: 3 }] }));
		expect(listed.text).toBe('{\n  "files": [\n    {\n      "path": "a.md",\n      "size": 3\n    }\n  ]\n}');
		expect(listed.json).toBe(listed.text);
		expect(resultView("plain\ntext")).toEqual({ text: "plain\ntext", error: false });
		expect(resultView(JSON.stringify("a\nb")).text).toBe("a\nb");
		expect(resultView(undefined).text).toBe("");
	});
});

describe("web: chat names", () => {
	const at = (h: number, m: number) => Date.UTC(2026, 10, 23, h, m);
	const time = (ms: number) => new Date(ms).toISOString().slice(11, 16);

	it("leaves unique titles alone and tells four same-titled chats apart", () => {
		const names = chatNames(
			[
				{ id: "c1", title: "What time is it?", createdAt: at(9, 0) },
				{ id: "c2", title: "What time is it?", createdAt: at(9, 5) },
				{ id: "c3", title: "What time is it?", createdAt: at(9, 5) + 1 },
				{ id: "c4", title: "what time is it?", createdAt: at(10, 0) },
				{ id: "c5", title: "Summarise README.md", createdAt: at(9, 0) },
			],
			time,
		);
		expect(names.get("c5")).toBe("Summarise README.md");
		expect(names.get("c1")).toBe("What time is it? · 09:00");
		expect(names.get("c2")).toBe("What time is it? · 09:05 #1");
		expect(names.get("c3")).toBe("What time is it? · 09:05 #2");
		expect(names.get("c4")).toBe("what time is it? · 10:00");
		expect(new Set(names.values()).size).toBe(5);
	});
});
