/** `login`, `logout`, `whoami`, `serve`: where the CLI connects, and a local server to connect to. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { act } from "../action.ts";
import { configPath, normaliseUrl, readConfig, removeConfig, resolveUrl, writeConfig } from "../config.ts";
import { CliError, ExitCode, usageError } from "../errors.ts";
import { Api } from "../http.ts";
import { fields, relativeTime, timestamp } from "../output.ts";
import { readSecret } from "../prompt.ts";
import { integer } from "../validate.ts";

export function addSessionCommands(program: Command): void {
	program
		.command("login")
		.description("check a token against a server and save both to the config file")
		.option("--url <url>", "server URL (default: SPARKY_URL, the saved URL, or http://127.0.0.1:8787)")
		.option("--token <token>", "API token (default: asked for without echo, or read from stdin)")
		.addHelpText(
			"after",
			'\nExample:\n  sparky login --url http://127.0.0.1:8787\n  echo "$TOKEN" | sparky login --url https://sparky.example.com',
		)
		.action(
			act(async (ctx, options: { url?: string; token?: string }) => {
				const { out } = ctx;
				const url = options.url ? normaliseUrl(options.url) : resolveUrl().url;
				const token =
					options.token?.trim() ||
					(await readSecret(
						`Token for ${url}${/127\.0\.0\.1|localhost/.test(url) ? " (local: SPARKY_ADMIN_TOKEN in .dev.vars)" : ""}: `,
					));
				if (!token) throw usageError("no token given");
				const me = (await new Api(url, token, out.spinner).me()).data;
				const path = configPath();
				writeConfig({ ...readConfig(path), url, token }, path);
				if (out.json) {
					out.printJson({ url, user_id: me.user_id, role: me.role, token_id: me.token_id, config: path });
					return;
				}
				out.line(`Logged in to ${url} as ${out.c.bold(me.user_id)} (${me.role}). Saved to ${path}.`);
				if (process.env.SPARKY_URL || process.env.SPARKY_TOKEN) {
					out.note(out.c.yellow("note: SPARKY_URL / SPARKY_TOKEN are set and override the saved values"));
				}
			}),
		);

	program
		.command("logout")
		.description("forget the saved token (it stays valid on the server until revoked)")
		.action(
			act(async (ctx) => {
				const { out } = ctx;
				const path = configPath();
				const config = readConfig(path);
				const had = config.token !== undefined;
				if (config.url) writeConfig({ url: config.url }, path);
				else removeConfig(path);
				if (out.json) out.printJson({ logged_out: had, config: path });
				else out.line(had ? `Logged out: removed the token from ${path}.` : "Not logged in.");
				if (had && !out.json)
					out.note(out.c.dim("The token itself stays valid until an admin revokes it (sparky tokens revoke ID)."));
			}),
		);

	program
		.command("whoami")
		.description("who the token belongs to, on which server")
		.action(
			act(async (ctx) => {
				const { out } = ctx;
				const { data } = await ctx.api().me();
				if (out.json) {
					out.printJson({ url: ctx.connection().url, ...data });
					return;
				}
				out.line(
					fields(out, [
						["user", out.c.bold(data.user_id)],
						["role", data.role],
						["server", ctx.connection().url],
						["token", data.token_id],
						[
							"expires",
							data.token_expires_at
								? `${timestamp(data.token_expires_at)} (${relativeTime(data.token_expires_at)})`
								: "never",
						],
					]),
				);
			}),
		);

	program
		.command("serve")
		.description("run Sparky locally (like `npm start`: schema, admin token in .dev.vars, wrangler dev)")
		.option("-p, --port <port>", "port to listen on (default: PORT or 8787)", integer)
		.action(
			act(async (ctx, options: { port?: number }) => {
				if (ctx.out.json) throw usageError("`sparky serve` runs the server in the foreground and has no --json output");
				const root = fileURLToPath(new URL("../..", import.meta.url));
				const env = { ...process.env, ...(options.port ? { PORT: String(options.port) } : {}) };
				const child = spawn(process.execPath, ["scripts/start.mjs"], { cwd: root, env, stdio: "inherit" });
				// Ctrl+C reaches the whole process group; the server stops itself and we follow.
				const ignore = () => {};
				process.on("SIGINT", ignore);
				process.on("SIGTERM", () => child.kill("SIGTERM"));
				return await new Promise<number>((resolve, reject) => {
					child.on("error", (error) => reject(new CliError(`could not start the server: ${error.message}`)));
					child.on("exit", (code, signal) => resolve(code ?? (signal === "SIGINT" ? ExitCode.interrupted : 1)));
				});
			}),
		);
}
