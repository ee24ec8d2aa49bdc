/** Questions on the terminal: a secret read without echo, and yes/no confirmations. */
import { createInterface } from "node:readline/promises";
import type { Context } from "./context.ts";
import { CliError, ExitCode, usageError } from "./errors.ts";

export const interactive = (): boolean => Boolean(process.stdin.isTTY && process.stderr.isTTY);

const interrupted = () => new CliError("interrupted", ExitCode.interrupted, "interrupted");

/**
 * Reads a secret. On a terminal the typed characters are not shown; otherwise the first
 * line of stdin is read (so `echo "$TOKEN" | sparky login` works).
 */
export async function readSecret(prompt: string): Promise<string> {
	const stdin = process.stdin;
	if (!stdin.isTTY) return (await readFirstLine()).trim();
	process.stderr.write(prompt);
	stdin.setRawMode(true);
	stdin.resume();
	stdin.setEncoding("utf8");
	try {
		return await new Promise<string>((resolve, reject) => {
			let value = "";
			const onData = (chunk: string) => {
				for (const ch of chunk) {
					if (ch === "\r" || ch === "\n") {
						stdin.off("data", onData);
						resolve(value.trim());
						return;
					}
					if (ch === "\u0003" || (ch === "\u0004" && value === "")) {
						stdin.off("data", onData);
						reject(interrupted());
						return;
					}
					if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
					else if (ch === "\u0015")
						value = ""; // Ctrl+U
					else if (ch >= " ") value += ch;
				}
			};
			stdin.on("data", onData);
		});
	} finally {
		stdin.setRawMode(false);
		stdin.pause();
		process.stderr.write("\n");
	}
}

async function readFirstLine(): Promise<string> {
	const rl = createInterface({ input: process.stdin, terminal: false });
	try {
		for await (const line of rl) return line;
		return "";
	} finally {
		rl.close();
	}
}

/** Asks a yes/no question on the terminal (default no). Callers check `interactive()` first. */
export async function confirm(question: string): Promise<boolean> {
	const rl = createInterface({ input: process.stdin, output: process.stderr });
	const onSigint = () => rl.close();
	rl.on("SIGINT", onSigint);
	try {
		const answer = await rl.question(`${question} [y/N] `);
		return /^y(es)?$/i.test(answer.trim());
	} catch {
		throw interrupted();
	} finally {
		rl.close();
	}
}

/** `-f`, or a yes on the terminal; without a terminal, -f is required. */
export async function confirmed(ctx: Context, force: boolean | undefined, question: string): Promise<boolean> {
	if (force) return true;
	if (!interactive() || ctx.out.json) {
		throw usageError(`${question.replace(/\?$/, "")}: not without confirmation; pass -f (--force) to do it`);
	}
	const yes = await confirm(question);
	if (!yes) ctx.out.note("Nothing deleted.");
	return yes;
}
