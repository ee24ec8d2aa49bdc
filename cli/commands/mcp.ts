/** `sparky mcp …`: the MCP servers whose tools your agent runs may use. */
import type { Command } from "commander";
import { z } from "zod";
import {
	CreateMcpServerBodySchema,
	McpServerNameSchema,
	McpServerSchema,
	McpToolInfoSchema,
} from "../../src/protocol/mcp.ts";
import { act } from "../action.ts";
import { CliError, usageError } from "../errors.ts";
import { oneLine, relativeTime, table } from "../output.ts";
import { check, collect } from "../validate.ts";

const ServerAnswer = z.object({ mcp_server: McpServerSchema });
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
					options: { header: string[]; headerEnv: string[]; approval?: string; verify: boolean },
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
						.send("POST", "/api/mcp-servers", ServerAnswer, { body, label: "connecting the server" })
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
					if (ctx.out.json) return ctx.out.printJson(data);
					ctx.out.line(
						`Added MCP server ${ctx.out.c.bold(data.mcp_server.name)} (${data.mcp_server.url}); see its tools with: sparky mcp tools ${data.mcp_server.name}`,
					);
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
					s.header_names.join(", ") || "—",
					s.approval,
					relativeTime(s.created_at),
				]);
				out.line(table(out, ["NAME", "URL", "HEADERS", "APPROVAL", "ADDED"], rows));
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
