// `sparky chat` in a real pseudo-terminal: util-linux `script` (present on Debian: bsdutils is
// essential) or, failing that, Python's pty module. The test types into the terminal and reads
// what the CLI draws there, Ctrl+C included (the terminal turns \x03 into the key press).
import { describe, expect, it } from "vitest";
import { BIN, NODE, newUser, slowInstruction, start, which } from "./support/cli.ts";

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** How to run `argv` under a pseudo-terminal here, if we can. */
function ptyCommand(argv: string[]): [string, string[]] | undefined {
	const script = which("script");
	if (script) return [script, ["-q", "-e", "-c", argv.map(quote).join(" "), "/dev/null"]];
	const python = which("python3");
	if (python) {
		const code = "import os, pty, sys; status = pty.spawn(sys.argv[1:]); sys.exit(os.waitstatus_to_exitcode(status))";
		return [python, ["-c", code, ...argv]];
	}
	return undefined;
}

const pty = ptyCommand(["true"]);

describe.skipIf(!pty)("sparky chat (in a pseudo-terminal)", () => {
	it("streams one turn, then Ctrl+C with nothing running quits", async () => {
		const { env } = await newUser("chat");
		const session = start([], { env: { ...env, TERM: "xterm" }, command: ptyCommand([NODE, BIN, "chat"]) });
		await session.waitFor(/New chat chat_\S+\./);
		await session.waitFor(/you › /);
		session.child.stdin?.write("what time is it\r");
		await session.waitFor(/⚙ current_time \{\}/);
		await session.waitFor(/sparky › It is .*UTC/);
		// The turn is over: the prompt is back.
		await session.waitFor(/tokens\r?\n.*you › /s);
		session.child.stdin?.write("\x03");
		const result = await session.result;
		expect(result.code, session.output()).toBe(0);
		const out = session.output();
		expect(out).toMatch(/↳ \{"iso":"/);
		// What was typed is shown once (by the terminal), not echoed again as "you (elsewhere)".
		expect(out).not.toMatch(/elsewhere/);
	});

	it("continues the latest chat with its history; Ctrl+C cancels a running turn, a second Ctrl+C quits", async () => {
		const { env } = await newUser("chat");
		const first = start([], { env: { ...env, TERM: "xterm" }, command: ptyCommand([NODE, BIN, "chat", "--new"]) });
		await first.waitFor(/you › /);
		first.child.stdin?.write("what time is it\r");
		await first.waitFor(/tokens\r?\n.*you › /s);
		first.child.stdin?.write("/exit\r");
		expect((await first.result).code).toBe(0);

		const session = start([], { env: { ...env, TERM: "xterm" }, command: ptyCommand([NODE, BIN, "chat", "--latest"]) });
		await session.waitFor(/Continuing chat_\S+ "what time is it"/);
		// The history: the earlier question and answer.
		await session.waitFor(/you › what time is it/);
		// …then the prompt.
		await session.waitFor(/sparky › It is [^\n]*\n[\s\S]*you › /);
		// A turn that fetches a page taking seconds to answer: surely still running at the Ctrl+C.
		session.child.stdin?.write(`${slowInstruction("chat")}\r`);
		await session.waitFor(/⚙ http_fetch/);
		session.child.stdin?.write("\x03");
		await session.waitFor(/cancelling… \(Ctrl\+C again to quit\)/);
		await session.waitFor(/■ cancelled/);
		await session.waitFor(/■ cancelled.*\r?\n.*you › /s);
		session.child.stdin?.write("\x03");
		const result = await session.result;
		expect(result.code, session.output()).toBe(0);
		expect(session.output()).not.toMatch(/finally/);
	});
});
