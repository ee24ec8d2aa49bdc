/** The glue between commander and a command: its Context, its exit code. */
import type { Command } from "commander";
import { type Context, createContext } from "./context.ts";
import { ExitCode } from "./errors.ts";

interface GlobalOptions {
	json?: boolean;
	color?: boolean;
}

/**
 * Wraps a command's action: builds its Context from the global options and records its exit
 * code (an action returns a number to choose one; anything else means 0).
 */
// biome-ignore lint/suspicious/noExplicitAny: commander hands actions untyped arguments.
export function act<A extends any[]>(fn: (ctx: Context, ...args: A) => Promise<unknown>) {
	return async (...args: unknown[]): Promise<void> => {
		const command = args.at(-1) as Command;
		const globals = command.optsWithGlobals<GlobalOptions>();
		const ctx = createContext({ json: Boolean(globals.json), color: globals.color });
		const code = await fn(ctx, ...(args.slice(0, -1) as A));
		process.exitCode = typeof code === "number" ? code : ExitCode.ok;
	};
}
