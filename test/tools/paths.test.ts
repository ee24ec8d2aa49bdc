import { describe, expect, it } from "vitest";
import { normalizePath } from "../../src/tools/paths.ts";

describe("normalizePath", () => {
	it.each([
		["README.md", "README.md"],
		["./notes/todo.md", "notes/todo.md"],
		["/notes/todo.md", "notes/todo.md"],
		["notes\\win.txt", "notes/win.txt"],
		["a/b/../c.txt", "a/c.txt"],
		["a//b///c.txt", "a/b/c.txt"],
	])("%s → %s", (raw, path) => {
		expect(normalizePath(raw)).toEqual({ ok: true, path });
	});

	it.each([
		["../secret"],
		["a/../../b"],
		["/../../etc/passwd"],
		["..\\..\\windows"],
		// `..` hidden behind spaces (issue #14): trimmed first, then refused
		[" ../x.md"],
		["a/ .. / ../x.md"],
		["\u00a0..\u00a0/x.md"],
		[""],
		["/"],
		["./."],
		["bad\u0000name"],
		["new\nline"],
		[`${"x".repeat(101)}.txt`],
		[`${"d/".repeat(130)}f`],
	])("refuses %j", (raw) => {
		expect(normalizePath(raw).ok).toBe(false);
	});
});
