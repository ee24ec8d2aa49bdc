// Starts a real `wrangler dev` on 127.0.0.1 for benchmarks and end-to-end tests:
// schema applied, a known admin secret, its own state directory, stopped as a process tree.
import { createServer } from "node:net";
import { resolve } from "node:path";
import { devConfig, seedState } from "./dev-prep.mjs";
import { spawnWrangler } from "./wrangler.mjs";

const root = resolve(import.meta.dirname, "../..");

/** A TCP port nothing listens on right now. */
export function freePort() {
	return new Promise((resolvePort, reject) => {
		const server = createServer();
		server.unref();
		server.on("error", reject);
		server.listen(0, "127.0.0.1", () => {
			const { port } = server.address();
			server.close(() => resolvePort(port));
		});
	});
}

/**
 * @param {object} options
 * @param {string} options.persistTo  state directory (D1, Durable Objects, queues)
 * @param {string} options.adminToken value for SPARKY_ADMIN_TOKEN
 * @param {string} [options.config]   wrangler config, relative to the repo root
 * @param {Record<string,string>} [options.vars] extra vars
 * @param {number} [options.port]
 * @param {(line: string) => void} [options.onLog] receives wrangler's output lines
 * @param {number} [options.inspectorPort] where workerd's DevTools inspector listens (bench profiles)
 */
export async function startDevServer(options) {
	const config = options.config ?? "wrangler.toml";
	await seedState(options.persistTo, config);
	const configArgs = ["-c", devConfig(config), "--persist-to", options.persistTo];
	// Servers started side by side (npm test's lanes) can race for a port between the moment one is
	// found free and the moment workerd binds it (wrangler picks some of its own): start again.
	for (let attempt = 1; ; attempt++) {
		try {
			return await startOnce(options, configArgs);
		} catch (error) {
			if (attempt >= 4 || !String(error?.message).includes("Address already in use")) throw error;
			await new Promise((r) => setTimeout(r, 200 + Math.random() * 800));
		}
	}
}

async function startOnce({ adminToken, vars = {}, port, onLog, inspectorPort }, configArgs) {
	const listen = port ?? (await freePort());
	const varArgs = Object.entries({ SPARKY_ADMIN_TOKEN: adminToken, SPARKY_LOCAL_CLOCK: "on", ...vars }).flatMap(
		([k, v]) => ["--var", `${k}:${v}`],
	);
	const child = spawnWrangler(
		[
			"dev",
			...configArgs,
			"--ip",
			"127.0.0.1",
			"--port",
			String(listen),
			"--show-interactive-dev-session=false",
			...(inspectorPort ? ["--inspector-port", String(inspectorPort)] : []),
			...varArgs,
		],
		{ cwd: root, stdio: "pipe", detached: true },
	);
	let output = "";
	const onData = (chunk) => {
		const text = String(chunk);
		output = (output + text).slice(-20_000);
		if (onLog) for (const line of text.split("\n")) if (line.trim()) onLog(line);
	};
	child.stdout.on("data", onData);
	child.stderr.on("data", onData);
	const url = `http://127.0.0.1:${listen}`;
	const exited = new Promise((resolveExit) => child.on("exit", (code, signal) => resolveExit({ code, signal })));

	const deadline = Date.now() + 90_000;
	for (;;) {
		const state = await Promise.race([exited, new Promise((r) => setTimeout(() => r(undefined), 250))]);
		if (state) throw new Error(`wrangler dev exited early (${JSON.stringify(state)}):\n${output}`);
		try {
			const res = await fetch(`${url}/api/health`);
			if (res.ok) break;
		} catch {
			// not listening yet
		}
		if (Date.now() > deadline) {
			killTree(child.pid, "SIGKILL");
			throw new Error(`wrangler dev did not become healthy:\n${output}`);
		}
	}

	return {
		url,
		port: listen,
		pid: child.pid,
		output: () => output,
		exited,
		/** SIGTERM the whole process tree (wrangler + workerd), SIGKILL if it lingers. */
		async stop(signal = "SIGTERM") {
			killTree(child.pid, signal);
			const done = await Promise.race([exited, new Promise((r) => setTimeout(() => r(undefined), 10_000))]);
			if (!done) killTree(child.pid, "SIGKILL");
			await exited;
		},
	};
}

export function killTree(pid, signal) {
	try {
		process.kill(-pid, signal);
	} catch {
		// already gone
	}
}
