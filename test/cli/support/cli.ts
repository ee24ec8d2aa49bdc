// Runs the real `sparky` (cli/bin.js) as a child process, with its own config dir and no
// colours, against the suite's wrangler dev (see global-setup.ts).
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { afterAll, inject } from "vitest";

export const ROOT = resolve(import.meta.dirname, "../../..");
export const BIN = join(ROOT, "cli", "bin.js");
/** The repo's Node 24 (the CLI needs ≥ 22.18), whatever Node runs vitest. */
export const NODE = existsSync(join(ROOT, "node_modules/.bin/node"))
	? join(ROOT, "node_modules/.bin/node")
	: process.execPath;

export const server = () => inject("sparky");

/** An instruction the demo model turns into a fetch of a page that takes 8 s: surely running a while. */
export const slowInstruction = (tag = "") => `Fetch ${server().slowUrl}${tag ? `?${tag}` : ""}`;

export interface Result {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** Every config home of this test file lives here, and goes after its tests. */
const scratch = mkdtempSync(join(tmpdir(), "sparky-cli-test-home-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A fresh, empty config home (XDG_CONFIG_HOME). */
export function configHome(): string {
	return mkdtempSync(join(scratch, "home-"));
}

/**
 * The environment of a CLI run: nothing from the outer shell that changes its behaviour
 * (SPARKY_*, colour settings), no colours, a private config dir; `extra` on top.
 */
export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [k, v] of Object.entries(process.env)) {
		if (!/^(SPARKY_|FORCE_COLOR$|NO_COLOR$|XDG_CONFIG_HOME$|CI$)/.test(k)) env[k] = v;
	}
	Object.assign(env, { NO_COLOR: "1", COLUMNS: "120", XDG_CONFIG_HOME: configHome(), HOME: configHome() });
	for (const [k, v] of Object.entries(extra)) {
		if (v === undefined) delete env[k];
		else env[k] = v;
	}
	return env;
}

/** The admin's environment: the suite's server and admin token. */
export const adminEnv = (extra: Record<string, string | undefined> = {}) =>
	cliEnv({ SPARKY_URL: server().url, SPARKY_TOKEN: server().adminToken, ...extra });

/** Runs `sparky ...args` to the end. */
export function sparky(
	args: string[],
	options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<Result> {
	const running = start(args, options);
	if (options.input !== undefined) running.child.stdin?.end(options.input);
	else running.child.stdin?.end();
	return running.result;
}

export interface Running {
	child: ChildProcess;
	/** Everything written to stdout and stderr so far. */
	output(): string;
	/** Resolves once the output matches (rejects after `timeoutMs`). */
	waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
	result: Promise<Result>;
}

/** Starts `sparky ...args` (or any command with `command`) and lets the test talk to it. */
export function start(
	args: string[],
	options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; command?: [string, string[]] } = {},
): Running {
	const [file, argv] = options.command ?? [NODE, [BIN, ...args]];
	const child = spawn(file, argv, { cwd: ROOT, env: options.env ?? adminEnv(), stdio: ["pipe", "pipe", "pipe"] });
	let stdout = "";
	let stderr = "";
	const listeners = new Set<() => void>();
	child.stdout?.on("data", (chunk) => {
		stdout += chunk;
		for (const l of [...listeners]) l();
	});
	child.stderr?.on("data", (chunk) => {
		stderr += chunk;
		for (const l of [...listeners]) l();
	});
	const timeoutMs = options.timeoutMs ?? 45_000;
	const result = new Promise<Result>((resolvePromise, reject) => {
		const timer = setTimeout(() => {
			child.kill("SIGKILL");
			reject(new Error(`sparky ${args.join(" ")} did not end within ${timeoutMs} ms\n${stdout}\n${stderr}`));
		}, timeoutMs);
		child.on("error", reject);
		child.on("close", (code) => {
			clearTimeout(timer);
			resolvePromise({ code, stdout, stderr });
		});
	});
	return {
		child,
		output: () => stdout + stderr,
		result,
		waitFor(pattern, waitMs = 30_000) {
			return new Promise<void>((resolvePromise, reject) => {
				const check = () => {
					if (!pattern.test(stdout + stderr)) return;
					listeners.delete(check);
					clearTimeout(timer);
					resolvePromise();
				};
				const timer = setTimeout(() => {
					listeners.delete(check);
					reject(new Error(`no ${pattern} within ${waitMs} ms in:\n${stdout}\n${stderr}`));
				}, waitMs);
				listeners.add(check);
				check();
			});
		},
	};
}

/** JSON from a `--json` run's stdout (fails the test with the output when it isn't). */
export function json<T = Record<string, unknown>>(result: Result): T {
	try {
		return JSON.parse(result.stdout) as T;
	} catch {
		throw new Error(`stdout is not one JSON document:\n${result.stdout}\nstderr:\n${result.stderr}`);
	}
}

/** A TCP port nothing listens on. */
export function closedPort(): Promise<number> {
	return new Promise((resolvePromise, reject) => {
		const probe = createServer();
		probe.on("error", reject);
		probe.listen(0, "127.0.0.1", () => {
			const address = probe.address();
			const port = typeof address === "object" && address ? address.port : 0;
			probe.close(() => resolvePromise(port));
		});
	});
}

/** A program on PATH, or undefined. */
export function which(program: string): string | undefined {
	for (const dir of (process.env.PATH ?? "").split(delimiter)) {
		const file = join(dir, program);
		try {
			accessSync(file, constants.X_OK);
			return file;
		} catch {}
	}
	return undefined;
}

/** One call to the suite's server with `token`: the set-up and the waits that are not what a test checks. */
async function call<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
	const res = await fetch(`${server().url}${path}`, {
		method,
		headers: {
			Authorization: `Bearer ${token}`,
			...(body === undefined ? {} : { "Content-Type": "application/json" }),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
	return (await res.json()) as T;
}

/**
 * A user with a token of their own, made with the admin token over HTTP: set-up, two CLI starts
 * (a third of a CPU second each) less per user. `users add` and `tokens create` themselves are
 * tested in admin.test.ts.
 */
export async function newUser(prefix: string): Promise<{ id: string; token: string; env: NodeJS.ProcessEnv }> {
	const id = `${prefix}-${Math.random().toString(36).slice(2, 8)}`;
	await call(server().adminToken, "POST", "/api/users", { id, role: "user" });
	const token = await newToken(id, "test");
	return { id, token, env: cliEnv({ SPARKY_URL: server().url, SPARKY_TOKEN: token }) };
}

/** A new token for an existing user (the admin's call over HTTP, as in newUser). */
export async function newToken(user: string, name: string): Promise<string> {
	return (await call<{ token: string }>(server().adminToken, "POST", `/api/users/${user}/tokens`, { name })).token;
}

/** The task's status as the API gives it to `env`'s token (a wait's cheap look, no CLI start). */
export async function taskStatus(env: NodeJS.ProcessEnv, id: string): Promise<string> {
	return (await call<{ task: { status: string } }>(env.SPARKY_TOKEN ?? "", "GET", `/api/tasks/${id}`)).task.status;
}

/**
 * Waits (over HTTP, every 100 ms) until the task has `status`, then returns what
 * `sparky agent tasks get --json` shows of it (60 s at most).
 */
export async function untilTaskStatus<T extends { status: string }>(
	env: NodeJS.ProcessEnv,
	id: string,
	status: string,
): Promise<T> {
	const deadline = Date.now() + 60_000;
	for (;;) {
		if ((await taskStatus(env, id)) === status) {
			const got = json<{ task: T }>(await sparky(["agent", "tasks", "get", id, "--json"], { env }));
			if (got.task.status === status) return got.task;
		}
		if (Date.now() > deadline) throw new Error(`task ${id} is ${await taskStatus(env, id)}, not ${status}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}
