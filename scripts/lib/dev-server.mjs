// Starts a real `wrangler dev` on 127.0.0.1 for benchmarks and end-to-end tests:
// schema applied, a known admin secret, its own state directory, stopped as a process tree.
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { devConfig, seedState } from "./dev-prep.mjs";
import { spawnWrangler } from "./wrangler.mjs";

const root = resolve(import.meta.dirname, "../..");

/** The kernel's range for the local ports of outgoing connections (Linux), if it says. */
function ephemeralPorts() {
	try {
		const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
		return Number.isInteger(low) && Number.isInteger(high) ? { low, high } : undefined;
	} catch {
		return undefined;
	}
}

/** Whether 127.0.0.1:`port` can be listened on right now (and leaves it free again). */
function canListen(port) {
	return new Promise((resolvePort) => {
		const server = createServer();
		server.unref();
		server.once("error", () => resolvePort(false));
		server.listen(port, "127.0.0.1", () => server.close(() => resolvePort(true)));
	});
}

/** A port the kernel hands out (listen on 0), free right now. */
function kernelPort() {
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

/** Below this, ports are left to the system's own services. */
const LOWEST_PICKED_PORT = 10_000;

/**
 * A TCP port nothing listens on right now, for a server that binds it a little later (wrangler's,
 * a test's). Picked below the kernel's ephemeral range where there is room: a port from that range
 * may meanwhile become the local end of any outgoing connection on the machine (a test lane's fetch,
 * workerd's own), and the bind then fails with EADDRINUSE; below it, only another listener can take it.
 */
export async function freePort() {
	const range = ephemeralPorts();
	if (range && range.low - LOWEST_PICKED_PORT >= 1000) {
		for (let attempt = 0; attempt < 50; attempt++) {
			const port = LOWEST_PICKED_PORT + Math.floor(Math.random() * (range.low - LOWEST_PICKED_PORT));
			if (await canListen(port)) return port;
		}
	}
	return kernelPort();
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
