/** What every command gets: the output (human or `--json`) and, lazily, the API client. */
import { type Connection, resolveConnection } from "./config.ts";
import { Api } from "./http.ts";
import { createOutput, type Output } from "./output.ts";

export interface Context {
	out: Output;
	/** The server and token (env, then config); throws "not logged in" without a token. */
	connection(): Connection;
	api(): Api;
}

export function createContext(options: { json: boolean; color?: boolean }): Context {
	const out = createOutput(options);
	let connection: Connection | undefined;
	let api: Api | undefined;
	const ctx: Context = {
		out,
		connection: () => {
			connection ??= resolveConnection();
			return connection;
		},
		api: () => {
			api ??= new Api(ctx.connection().url, ctx.connection().token, out.spinner, { forTerminal: !out.json });
			return api;
		},
	};
	return ctx;
}
