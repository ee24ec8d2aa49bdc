/**
 * Where the CLI finds its server and token: `SPARKY_URL` / `SPARKY_TOKEN` first, then the
 * config file that `sparky login` writes (`$XDG_CONFIG_HOME/sparky/config.json`, else
 * `~/.config/sparky/config.json`; the file 0600, its folder 0700).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";
import { CliError, ExitCode } from "./errors.ts";

/** Used when nothing says otherwise: the local `sparky serve` / `npm start`. */
const DEFAULT_URL = "http://127.0.0.1:8787";

const ConfigFileSchema = z.object({
	url: z.string().optional(),
	token: z.string().optional(),
});
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

export interface Connection {
	url: string;
	token: string;
	/** Where each came from, for messages. */
	source: { url: "env" | "config" | "default"; token: "env" | "config" };
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
	const base = env.XDG_CONFIG_HOME?.trim() ? env.XDG_CONFIG_HOME : join(homedir(), ".config");
	return join(base, "sparky", "config.json");
}

export function readConfig(path = configPath()): ConfigFile {
	if (!existsSync(path)) return {};
	let json: unknown;
	try {
		json = JSON.parse(readFileSync(path, "utf8"));
	} catch (error) {
		throw new CliError(
			`cannot read ${path}: ${(error as Error).message}`,
			ExitCode.error,
			"config",
			undefined,
			"fix or delete the file, then run `sparky login`",
		);
	}
	const parsed = ConfigFileSchema.safeParse(json);
	if (!parsed.success) throw new CliError(`${path} is not a Sparky config file`, ExitCode.error, "config");
	return parsed.data;
}

/** Writes the config with owner-only permissions (the token is a secret). */
export function writeConfig(config: ConfigFile, path = configPath()): void {
	const dir = dirname(path);
	mkdirSync(dir, { recursive: true, mode: 0o700 });
	chmodSync(dir, 0o700);
	writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
	// `mode` applies only when the file is created: make sure an older file is private too.
	chmodSync(path, 0o600);
}

export function removeConfig(path = configPath()): boolean {
	if (!existsSync(path)) return false;
	rmSync(path);
	return true;
}

/** A server address as the API client wants it: http(s), no trailing slash. */
export function normaliseUrl(input: string): string {
	let url: URL;
	try {
		url = new URL(input.includes("://") ? input : `http://${input}`);
	} catch {
		throw new CliError(`not a URL: "${input}"`, ExitCode.usage, "usage");
	}
	if (url.protocol !== "http:" && url.protocol !== "https:") {
		throw new CliError(`the URL must be http:// or https://, got "${input}"`, ExitCode.usage, "usage");
	}
	return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

/** The server URL alone (no token needed): env, config, then the local default. */
export function resolveUrl(env: NodeJS.ProcessEnv = process.env): { url: string; source: Connection["source"]["url"] } {
	if (env.SPARKY_URL?.trim()) return { url: normaliseUrl(env.SPARKY_URL.trim()), source: "env" };
	const file = readConfig(configPath(env));
	if (file.url) return { url: normaliseUrl(file.url), source: "config" };
	return { url: DEFAULT_URL, source: "default" };
}

/** URL and token for a command that talks to the API; a clear error when there is no token. */
export function resolveConnection(env: NodeJS.ProcessEnv = process.env): Connection {
	const { url, source } = resolveUrl(env);
	const envToken = env.SPARKY_TOKEN?.trim();
	const fileToken = envToken ? undefined : readConfig(configPath(env)).token;
	const token = envToken || fileToken;
	if (!token) {
		throw new CliError(
			"not logged in",
			ExitCode.auth,
			"unauthorized",
			undefined,
			"run `sparky login --url URL` (or set SPARKY_URL and SPARKY_TOKEN)",
		);
	}
	return { url, token, source: { url: source, token: envToken ? "env" : "config" } };
}
