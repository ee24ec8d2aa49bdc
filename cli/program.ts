/**
 * The command tree (commander) and how a run ends: every action gets a Context, returns an
 * exit code or throws; errors are printed once (stderr, plus JSON on stdout with `--json`)
 * and mapped to the documented exit codes.
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { addAdminCommands } from "./commands/admin.ts";
import { addAgentCommands } from "./commands/agent.ts";
import { addAppsCommands } from "./commands/apps.ts";
import { addChatCommands } from "./commands/chat.ts";
import { addFilesCommands } from "./commands/files.ts";
import { addMcpCommands } from "./commands/mcp.ts";
import { addMemoryCommands } from "./commands/memory.ts";
import { addSessionCommands } from "./commands/session.ts";
import { addUsageCommands } from "./commands/usage.ts";
import { CliError, ExitCode } from "./errors.ts";
import { colorEnabled } from "./output.ts";
import { terminalSafe } from "./terminal-text.ts";

function buildProgram(): Command {
	const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
	const program = new Command("sparky")
		.description("Sparky from the terminal: chat with the agent, hand it tasks, watch them live.")
		.version(pkg.version, "-V, --version")
		.option("--json", "machine-readable JSON on stdout (errors too), nothing else")
		.option("--no-color", "no colours (also: NO_COLOR=1)")
		.showHelpAfterError("(add --help for usage)")
		.configureHelp({ showGlobalOptions: true, sortSubcommands: false })
		.exitOverride();
	addSessionCommands(program);
	addChatCommands(program);
	addAgentCommands(program);
	addMemoryCommands(program);
	addFilesCommands(program);
	addUsageCommands(program);
	addMcpCommands(program);
	addAppsCommands(program);
	addAdminCommands(program);
	program.addHelpText(
		"after",
		`
Configuration: SPARKY_URL and SPARKY_TOKEN, else the file \`sparky login\` writes
($XDG_CONFIG_HOME/sparky/config.json or ~/.config/sparky/config.json).
Exit codes: 0 ok, 1 error or task failed/cancelled, 2 usage, 3 auth, 4 not found,
5 unreachable, 6 conflict, 7 rate limited, 130 interrupted. Docs: docs/cli.md`,
	);
	return program;
}

/** Runs the CLI with `argv` (as process.argv); resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
	const json = argv.includes("--json");
	process.exitCode = 0;
	try {
		await buildProgram().parseAsync(argv);
		return Number(process.exitCode ?? 0);
	} catch (error) {
		return report(error, json);
	}
}

function report(error: unknown, json: boolean): number {
	if (error instanceof CommanderError) {
		// Help and --version end with 0; anything else commander complains about is a usage error
		// (it has printed the message and the usage already).
		if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return ExitCode.ok;
		if (json)
			printJsonError({ code: "usage", message: error.message.replace(/^error: /, ""), exit_code: ExitCode.usage });
		return ExitCode.usage;
	}
	const cli =
		error instanceof CliError
			? error
			: new CliError(error instanceof Error ? error.message : String(error), ExitCode.error, "internal");
	if (json) {
		printJsonError({
			code: cli.code,
			message: cli.message,
			...(cli.details === undefined ? {} : { details: cli.details }),
			...(cli.hint ? { hint: cli.hint } : {}),
			exit_code: cli.exitCode,
		});
	}
	const stderr = process.stderr;
	const color = colorEnabled(stderr) && !process.argv.includes("--no-color");
	const red = (t: string) => (color ? `\x1b[31m${t}\x1b[39m` : t);
	const dim = (t: string) => (color ? `\x1b[2m${t}\x1b[22m` : t);
	// A server's message and details may carry anything: printed terminal-safe (terminal-text.ts).
	stderr.write(`${red("error:")} ${terminalSafe(cli.message)}\n`);
	if (cli.printDetails) for (const line of detailLines(cli.details)) stderr.write(`  ${terminalSafe(line)}\n`);
	if (cli.hint) stderr.write(`${dim(`hint: ${terminalSafe(cli.hint)}`)}\n`);
	if (!(error instanceof CliError) && process.env.SPARKY_DEBUG && error instanceof Error) {
		stderr.write(`${error.stack}\n`);
	}
	return cli.exitCode;
}

function printJsonError(error: Record<string, unknown>): void {
	process.stdout.write(`${JSON.stringify({ error })}\n`);
}

/** The API's `details`: a list of `{path, message}` issues, an object of facts, or anything else. */
function detailLines(details: unknown): string[] {
	if (details === undefined || details === null) return [];
	if (Array.isArray(details)) {
		return details.map((d) => {
			if (typeof d === "string") return `- ${d}`;
			const issue = d as { path?: unknown; message?: unknown };
			return typeof issue.message === "string"
				? `- ${issue.path && issue.path !== "(root)" ? `${String(issue.path)}: ` : ""}${issue.message}`
				: `- ${JSON.stringify(d)}`;
		});
	}
	if (typeof details === "object") {
		return Object.entries(details).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
	}
	return [String(details)];
}
