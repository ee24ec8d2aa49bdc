/** `sparky mcp …`: the MCP servers whose tools your agent runs may use. */
import type { Command } from "commander";
import { z } from "zod";
import {
	CreateMcpServerBodySchema,
	type McpServer,
	McpServerAnswerSchema,
	McpServerNameSchema,
	McpServerSchema,
	type McpSignIn,
	McpToolInfoSchema,
} from "../../src/protocol/mcp.ts";
import { act } from "../action.ts";
import type { Context } from "../context.ts";
import { CliError, usageError } from "../errors.ts";
import { oneLine, relativeTime, table } from "../output.ts";
import { check, collect } from "../validate.ts";

const ServerAnswer = z.object({ mcp_server: McpServerSchema });
/** How often `add` and `sign-in` ask whether the browser finished the sign-in. */
const SIGN_IN_POLL_MS = 1000;
const ListAnswer = z.object({ mcp_servers: z.array(McpServerSchema) });
const ToolsAnswer = z.object({ mcp_server: McpServerSchema, tools: z.array(McpToolInfoSchema) });

const enc = encodeURIComponent;

/** `-H name=value` and `--header-env name=ENV_VAR` (the value from your environment, kept out of argv). */
function headersFrom(pairs: string[], fromEnv: string[]): Record<string, string> | undefined {
	const headers: Record<string, string> = {};
	for (const pair of pairs) {
		const at = pair.search(/[=:]/);
		if (at <= 0) throw usageError(`-H wants name=value (or "Name: value"), got "${pair}"`);
		headers[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
	}
	for (const pair of fromEnv) {
		const at = pair.indexOf("=");
		if (at <= 0) throw usageError(`--header-env wants name=ENV_VAR, got "${pair}"`);
		const variable = pair.slice(at + 1);
		const value = process.env[variable];
		if (value === undefined) throw usageError(`environment variable ${variable} is not set`);
		headers[pair.slice(0, at).trim()] = value;
	}
	return Object.keys(headers).length ? headers : undefined;
}

export function addMcpCommands(program: Command): void {
	const mcp = program.command("mcp").description("MCP servers whose tools your agent uses");

	mcp
		.command("add")
		.description("connect an MCP server (Streamable HTTP, or HTTP+SSE)")
		.argument("<name>", "a name for it: 1-32 of a-z 0-9 - (its tools become <name>__<tool>)")
		.argument("<url>", "the server's URL, e.g. https://mcp.example.com/mcp")
		.option("-H, --header <name=value>", "a header sent with every request, repeatable", collect, [])
		.option("--header-env <name=ENV_VAR>", "a header whose value comes from an environment variable", collect, [])
		.option("--approval <mode>", "auto (read-only tools run at once), never or always")
		.option("--no-verify", "register it without checking that it answers MCP now (a server that is down for now)")
		.option("--no-wait", "for a server that signs in with OAuth: print the sign-in link and return at once")
		.addHelpText(
			"after",
			"\nExamples:\n  sparky mcp add everything http://127.0.0.1:3001/mcp\n  GH=ghp_… sparky mcp add github https://api.githubcopilot.com/mcp/ --header-env Authorization=GH_AUTH",
		)
		.action(
			act(
				async (
					ctx,
					name: string,
					url: string,
					options: { header: string[]; headerEnv: string[]; approval?: string; verify: boolean; wait: boolean },
				) => {
					const headers = headersFrom(options.header, options.headerEnv);
					const body = check(
						CreateMcpServerBodySchema,
						{
							name,
							url,
							...(headers ? { headers } : {}),
							...(options.approval ? { approval: options.approval } : {}),
							...(options.verify === false ? { verify: false } : {}),
						},
						"MCP server",
						{ name: "name", url: "url", headers: "-H", approval: "--approval" },
					);
					const { data } = await ctx
						.api()
						.send("POST", "/api/mcp-servers", McpServerAnswerSchema, { body, label: "connecting the server" })
						.catch((error: unknown) => {
							// The API's way round is a body field; the CLI's is a flag: say that one.
							if (error instanceof CliError && error.code === "mcp_unreachable")
								throw new CliError(
									error.message.replace(/; to register it anyway, send "verify": false$/, ""),
									error.exitCode,
									error.code,
									error.details,
									"check the URL, or add --no-verify to register it anyway (a server that is down for now)",
								);
							throw error;
						});
					if (!data.sign_in) {
						if (ctx.out.json) return ctx.out.printJson(data);
						return ctx.out.line(
							`Added MCP server ${ctx.out.c.bold(data.mcp_server.name)} (${data.mcp_server.url}); see its tools with: sparky mcp tools ${data.mcp_server.name}`,
						);
					}
					await finishSignIn(ctx, data.mcp_server, data.sign_in, options.wait);
				},
			),
		);

	mcp
		.command("list")
		.alias("ls")
		.description("your MCP servers (header names only)")
		.action(
			act(async (ctx) => {
				const { data } = await ctx.api().get("/api/mcp-servers", ListAnswer, "listing MCP servers");
				const { out } = ctx;
				if (out.json) return out.printJson(data);
				if (data.mcp_servers.length === 0) return out.line(out.c.dim("No MCP servers."));
				const rows = data.mcp_servers.map((s) => [
					s.name,
					s.url,
					authText(s),
					s.approval,
					healthText(s),
					relativeTime(s.created_at),
				]);
				out.line(table(out, ["NAME", "URL", "AUTH", "APPROVAL", "HEALTH", "ADDED"], rows));
				const waiting = data.mcp_servers.filter((s) => s.auth && s.auth.state !== "signed_in");
				for (const s of waiting) out.note(`${s.name} needs sign-in: sparky mcp sign-in ${s.name}`);
			}),
		);

	mcp
		.command("tools")
		.description("the live tool list of one server")
		.argument("<name>", "server name")
		.action(
			act(async (ctx, name: string) => {
				const server = check(McpServerNameSchema, name, "server name");
				const { data } = await ctx.api().get(`/api/mcp-servers/${enc(server)}/tools`, ToolsAnswer, "asking the server");
				const { out } = ctx;
				if (out.json) return out.printJson(data);
				if (data.tools.length === 0) return out.line(out.c.dim("The server lists no tools."));
				const rows = data.tools.map((t) => [
					t.agent_name,
					t.read_only ? "read-only" : "",
					t.needs_approval ? "yes" : "no",
					oneLine(t.description ?? "", Math.max(20, out.columns - 70)),
				]);
				out.line(table(out, ["TOOL", "HINT", "APPROVAL", "DESCRIPTION"], rows));
			}),
		);

	mcp
		.command("sign-in")
		.alias("login")
		.description("sign a server in (again) with OAuth: prints the link to open, then waits until you have")
		.argument("<name>", "server name")
		.option("--no-wait", "print the sign-in link and return at once")
		.action(
			act(async (ctx, name: string, options: { wait: boolean }) => {
				const server = check(McpServerNameSchema, name, "server name");
				const { data } = await ctx
					.api()
					.send("POST", `/api/mcp-servers/${enc(server)}/sign-in`, McpServerAnswerSchema, {
						label: "starting the sign-in",
					});
				if (!data.sign_in) throw new CliError(`${server} did not ask for a sign-in`);
				await finishSignIn(ctx, data.mcp_server, data.sign_in, options.wait);
			}),
		);

	mcp
		.command("remove")
		.alias("rm")
		.description("disconnect an MCP server")
		.argument("<name>", "server name")
		.action(
			act(async (ctx, name: string) => {
				const server = check(McpServerNameSchema, name, "server name");
				await ctx.api().send("DELETE", `/api/mcp-servers/${enc(server)}`, z.unknown(), { label: "removing" });
				if (ctx.out.json) ctx.out.printJson({ deleted: true, name: server });
				else ctx.out.line(`Removed MCP server ${server}.`);
			}),
		);
}

/** What `list` says about a server's credentials: OAuth's state, else its header names. */
function authText(server: McpServer): string {
	if (server.auth) {
		const state = { signed_in: "signed in", pending: "sign-in pending", needs_sign_in: "NEEDS SIGN-IN" }[
			server.auth.state
		];
		return `oauth: ${state}`;
	}
	return server.header_names.join(", ") || "—";
}

function healthText(server: McpServer): string {
	const health = server.health;
	if (!health || health.state === "unknown") return "—";
	if (health.state === "ok") return "ok";
	return `failing ${relativeTime(health.last_error_at)}: ${oneLine(health.last_error ?? "", 60)}`;
}

/**
 * Prints the sign-in link and (unless `wait` is off) polls the server until the browser has
 * finished: signed in after the link was made, or the link expired.
 */
async function finishSignIn(ctx: Context, server: McpServer, signIn: McpSignIn, wait: boolean): Promise<void> {
	const { out } = ctx;
	const started = Date.now();
	if (out.json && !wait) return out.printJson({ mcp_server: server, sign_in: signIn });
	if (!out.json) {
		out.line(`MCP server ${out.c.bold(server.name)} signs in with OAuth. Open this link to sign in:`);
		out.line("");
		out.line(`  ${signIn.authorization_url}`);
		out.line("");
	}
	if (!wait) return out.line(`Then check with: sparky mcp list`);
	const spinner = out.spinner("waiting for the sign-in in your browser");
	try {
		for (;;) {
			const { data } = await ctx
				.api()
				.get(`/api/mcp-servers/${enc(server.name)}`, ServerAnswer, "checking the sign-in");
			const auth = data.mcp_server.auth;
			if (auth?.state === "signed_in" && (auth.signed_in_at ?? 0) >= started - 1000) {
				spinner.stop();
				if (out.json) return out.printJson(data);
				return out.line(`Signed in to ${out.c.bold(server.name)}; see its tools with: sparky mcp tools ${server.name}`);
			}
			if (Date.now() > signIn.expires_at)
				throw new CliError(
					`the sign-in link expired before it was used; start again with: sparky mcp sign-in ${server.name}`,
				);
			await new Promise((r) => setTimeout(r, SIGN_IN_POLL_MS));
		}
	} finally {
		spinner.stop();
	}
}
