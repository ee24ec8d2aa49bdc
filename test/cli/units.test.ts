// The CLI's pure pieces, in process: SSE parsing, argument parsing, config paths, colours,
// and how the StreamPrinter draws a Timeline thread.
import { describe, expect, it } from "vitest";
import { configPath, normaliseUrl } from "../../cli/config.ts";
import { colorEnabled, createOutput, duration, oneLine } from "../../cli/output.ts";
import { StreamPrinter } from "../../cli/render.ts";
import { readSse } from "../../cli/sse.ts";
import { terminalSafe, terminalSafeDeep } from "../../cli/terminal-text.ts";
import { parseBefore, parseMetadata } from "../../cli/validate.ts";
import { SeqOrder } from "../../cli/watch.ts";
import { shellVars, shellVarsNotice } from "../../scripts/lib/start-vars.mjs";
import { Timeline } from "../../src/client/index.ts";
import type { ClientEvent } from "../../src/protocol/index.ts";
import { clientEvent } from "../support/events.ts";

function stream(chunks: string[]): ReadableStream<Uint8Array> {
	const encoder = new TextEncoder();
	return new ReadableStream({
		start(controller) {
			for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
			controller.close();
		},
	});
}

describe("readSse", () => {
	it("splits messages across chunk boundaries, keeps ids, skips comments, joins data lines", async () => {
		const messages = [];
		for await (const m of readSse(
			stream([
				'event: CUSTOM\ndata: {"a"',
				":1}\nid: 7\n\n: keep-alive\n\n",
				"data: line one\r\ndata: line two\r\n\r\n",
				"event: end\ndata: {}\n\n",
			]),
		)) {
			messages.push(m);
		}
		expect(messages).toEqual([
			{ event: "CUSTOM", data: '{"a":1}', id: "7", ownId: "7" },
			{ event: "message", data: "line one\nline two", id: "7" },
			{ event: "end", data: "{}", id: "7" },
		]);
	});

	it("hands comments to onComment (the task stream's `: end {…}`), in order with the messages", async () => {
		const seen: string[] = [];
		for await (const m of readSse(stream(["data: a\n\n: keep-alive\n\n", ': end {"status":"succeeded","seq":3}\n\n']), {
			onComment: (text) => seen.push(`comment ${text}`),
		})) {
			seen.push(`message ${m.data}`);
		}
		expect(seen).toEqual(["message a", "comment keep-alive", 'comment end {"status":"succeeded","seq":3}']);
	});

	it("reads a CRLF split across chunks as one line end, and a multi-byte character split across chunks", async () => {
		const bytes = new TextEncoder().encode("data: é\r\ndata: b\r\n\r\n");
		const cut = bytes.indexOf(0xa9); // inside "é"
		const crlf = bytes.indexOf(13) + 1; // between \r and \n
		const body = new ReadableStream<Uint8Array>({
			start(controller) {
				controller.enqueue(bytes.slice(0, cut));
				controller.enqueue(bytes.slice(cut, crlf));
				controller.enqueue(bytes.slice(crlf));
				controller.close();
			},
		});
		const messages = [];
		for await (const m of readSse(body)) messages.push(m);
		expect(messages).toEqual([{ event: "message", data: "é\nb", id: undefined }]);
	});
});

describe("arguments", () => {
	it("parses -m key=value and key:=json", () => {
		expect(parseMetadata([])).toBeUndefined();
		expect(parseMetadata(["a=1", "b:=1", "c=x=y", 'd:=[1,"two"]'])).toEqual({ a: "1", b: 1, c: "x=y", d: [1, "two"] });
		expect(() => parseMetadata(["novalue"])).toThrow(/key=value/);
		expect(() => parseMetadata(["n:=nope"])).toThrow(/must be JSON/);
	});

	it("parses --created-before as a date, a date-time or an age", () => {
		const now = Date.UTC(2026, 10, 24);
		expect(parseBefore("2026-11-01", now)).toBe("2026-11-01");
		expect(parseBefore("2026-11-01T09:00:00Z", now)).toBe(Date.UTC(2026, 10, 1, 9));
		expect(parseBefore("7d", now)).toBe(now - 7 * 86_400_000);
		expect(() => parseBefore("last week", now)).toThrow(/created-before/);
	});

	it("normalises server URLs and finds the config file", () => {
		expect(normaliseUrl("http://127.0.0.1:8787/")).toBe("http://127.0.0.1:8787");
		expect(normaliseUrl("localhost:9000")).toBe("http://localhost:9000");
		expect(normaliseUrl("https://sparky.example.com/base/")).toBe("https://sparky.example.com/base");
		expect(() => normaliseUrl("ftp://x")).toThrow(/http/);
		expect(configPath({ XDG_CONFIG_HOME: "/x" })).toBe("/x/sparky/config.json");
		expect(configPath({ XDG_CONFIG_HOME: "" })).toMatch(/\.config\/sparky\/config\.json$/);
	});
});

describe("output", () => {
	it("uses colour only on a terminal, and respects NO_COLOR and FORCE_COLOR", () => {
		const tty = { isTTY: true } as NodeJS.WriteStream;
		const pipe = { isTTY: false } as NodeJS.WriteStream;
		expect(colorEnabled(tty, {})).toBe(true);
		expect(colorEnabled(pipe, {})).toBe(false);
		expect(colorEnabled(tty, { NO_COLOR: "1" })).toBe(false);
		expect(colorEnabled(pipe, { FORCE_COLOR: "1" })).toBe(true);
		expect(colorEnabled(tty, { FORCE_COLOR: "0" })).toBe(false);
		expect(colorEnabled(tty, { TERM: "dumb" })).toBe(false);
	});

	it("formats durations and single lines", () => {
		expect(duration(850)).toBe("850ms");
		expect(duration(200_000)).toBe("3m 20s");
		expect(duration(90_000_000)).toBe("25h");
		expect(oneLine("a\n  b\tc", 10)).toBe("a b c");
		expect(oneLine("abcdefghijkl", 5)).toBe("abcd…");
	});
});

describe("StreamPrinter", () => {
	it("streams text as it grows, one line per tool call and per result, and the run's end", () => {
		let written = "";
		const out = {
			...createOutput({ json: false, color: false }),
			columns: 80,
			write: (t: string) => {
				written += t;
			},
		};
		const printer = new StreamPrinter({ out, style: "task" });
		const timeline = new Timeline();
		let n = 0;
		const ev = (type: string, fields: Record<string, unknown>): ClientEvent => {
			n++;
			return clientEvent({ seq: n, id: `t:1:${n}`, ts: 1000 + n, type, task_id: "t", attempt: 1, ...fields });
		};
		const step = (e: ClientEvent) => {
			timeline.apply([e]);
			printer.render(timeline.items("task:t"));
		};
		step(ev("RUN_STARTED", { threadId: "t", runId: "t:1", model: "demo" }));
		step(ev("TOOL_CALL_START", { toolCallId: "c1", toolCallName: "read_file" }));
		step(ev("TOOL_CALL_ARGS", { toolCallId: "c1", delta: '{"path":' }));
		step(ev("TOOL_CALL_ARGS", { toolCallId: "c1", delta: '"README.md"}' }));
		expect(written).toBe("▶ run 1 started · model demo\n");
		step(ev("TOOL_CALL_END", { toolCallId: "c1" }));
		step(ev("TOOL_CALL_RESULT", { toolCallId: "c1", messageId: "c1:result", content: '{"error":"no such file"}' }));
		step(ev("TEXT_MESSAGE_START", { messageId: "m", role: "assistant" }));
		step(ev("TEXT_MESSAGE_CONTENT", { messageId: "m", delta: "Hello " }));
		expect(written.endsWith("Hello ")).toBe(true);
		expect(printer.lineOpen).toBe(true);
		step(ev("TEXT_MESSAGE_CONTENT", { messageId: "m", delta: "world" }));
		step(ev("TEXT_MESSAGE_END", { messageId: "m" }));
		step(ev("RUN_FINISHED", { threadId: "t", runId: "t:1", outcome: { type: "cancelled" } }));
		// Applying the same events again (a replay) prints nothing new.
		const before = written;
		printer.render(timeline.items("task:t"));
		expect(written).toBe(before);
		expect(written.split("\n")).toEqual([
			"▶ run 1 started · model demo",
			'  ⚙ read_file {"path":"README.md"}',
			"    ✖ no such file",
			"Hello world",
			"■ cancelled after 10ms",
			"",
		]);
	});
});

describe("npm start: settings from the shell (issue #27)", () => {
	it("passes SPARKY_* and the base URLs to wrangler dev as --var, keeps secrets off the command line", () => {
		const vars = shellVars({
			SPARKY_HTTP_FETCH_ALLOW: "127.0.0.1:3001",
			SPARKY_OPENAI_COMPAT_BASE_URL: "http://127.0.0.1:11434/v1",
			OPENAI_BASE_URL: "https://proxy.example/v1",
			SPARKY_ADMIN_TOKEN: "spk_admin_secret",
			ANTHROPIC_API_KEY: "sk-ant-secret",
			HOME: "/home/me",
			PATH: "/bin",
		});
		expect(vars.args).toEqual([
			"--var",
			"OPENAI_BASE_URL:https://proxy.example/v1",
			"--var",
			"SPARKY_HTTP_FETCH_ALLOW:127.0.0.1:3001",
			"--var",
			"SPARKY_OPENAI_COMPAT_BASE_URL:http://127.0.0.1:11434/v1",
		]);
		expect(vars.args.join(" ")).not.toContain("secret");
		// Only settings the Worker reads: the CLI's own SPARKY_URL / SPARKY_TOKEN (a bearer token!)
		// and the fault suite's hooks never reach wrangler's command line or its printed bindings.
		const cli = shellVars({
			SPARKY_URL: "http://127.0.0.1:8787",
			SPARKY_TOKEN: "spk_user_secret",
			SPARKY_FAILPOINTS: "runner.after-claim",
			SPARKY_SOMETHING_NEW_KEY: "k",
			SPARKY_MAX_STEPS: "4",
		});
		expect(cli.args).toEqual(["--var", "SPARKY_MAX_STEPS:4"]);
		expect(vars.secrets).toEqual(["ANTHROPIC_API_KEY", "SPARKY_ADMIN_TOKEN"]);
		const notice = shellVarsNotice(vars).join("\n");
		expect(notice).toContain(
			"Settings from the shell (they win over .dev.vars): OPENAI_BASE_URL, SPARKY_HTTP_FETCH_ALLOW",
		);
		expect(notice).toMatch(
			/Not passed from the shell: ANTHROPIC_API_KEY, SPARKY_ADMIN_TOKEN .*put them in \.dev\.vars/,
		);
	});

	it("says nothing when the shell sets none", () => {
		expect(shellVarsNotice(shellVars({ PATH: "/bin" }))).toEqual([]);
	});
});

describe("tasks watch shows events in seq order (issue #27)", () => {
	it("puts a RUN_STARTED sent ahead of the events before it back after them", () => {
		const at = (seq: number, type = "CUSTOM") => ({ raw: {}, event: { seq, type } as unknown as ClientEvent });
		const order = new SeqOrder();
		const shown = [
			...order.push(at(5, "RUN_STARTED"), true),
			...order.push(at(2), false),
			...order.push(at(3), false),
			...order.push(at(6, "TEXT_MESSAGE_START"), false),
			...order.push(at(9, "RUN_STARTED"), false),
			...order.push(at(10), false),
			...order.push(at(12, "RUN_STARTED"), true),
			...order.flush(),
		].map((p) => p.event.seq);
		expect(shown).toEqual([2, 3, 5, 6, 9, 10, 12]);
	});
});

describe("terminal-safe text (what the server says, printed)", () => {
	it("drops what a terminal would obey (ESC, OSC 52 and 8, BEL, CR, C1, bidi overrides), keeps tabs, newlines and text", () => {
		const hostile = "a\u001b]52;c;ZXZpbA==\u0007b\u001b[2Kc\rd\u009be\u202ef\tg\nh é 名";
		expect(terminalSafe(hostile)).toBe("a]52;c;ZXZpbA==b[2Kcde" + "f\tg\nh é 名");
		expect(terminalSafeDeep({ task: { result: "x\u001b[31my", steps: [1, "\u0007z"] }, ok: true, n: null })).toEqual({
			task: { result: "x[31my", steps: [1, "z"] },
			ok: true,
			n: null,
		});
	});
});
