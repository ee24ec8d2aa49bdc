// Starts, for the MCP suite: the reference MCP server (@modelcontextprotocol/server-everything,
// a real server nobody here wrote) in Streamable HTTP mode and in HTTP+SSE mode on 127.0.0.1, a
// recording proxy in front of the first (to see which headers Sparky sends), a slow page, and
// one real `wrangler dev` whose SPARKY_HTTP_FETCH_ALLOW lets exactly these local ports through.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { ProvidedContext } from "vitest";
import { buildWeb } from "../../scripts/lib/build-web.mjs";
import { freePort, startDevServer } from "../../scripts/lib/dev-server.mjs";
import { listenOn } from "./listening.ts";

interface Project {
	provide<K extends keyof ProvidedContext>(key: K, value: ProvidedContext[K]): void;
}

export const ADMIN_TOKEN = "mcp-test-admin-token-0123456789abcdefghij";
/** The per-call MCP timeout the server runs with (the slow-tool test waits past it). */
export const MCP_TIMEOUT_SECONDS = 3;
/** How long the slow page takes (a task fetching it is surely running meanwhile). */
const SLOW_MS = 8_000;

const require = createRequire(import.meta.url);
const everythingBin = join(
	dirname(require.resolve("@modelcontextprotocol/server-everything/package.json")),
	"dist/index.js",
);

async function startEverything(mode: "streamableHttp" | "sse"): Promise<{ port: number; child: ChildProcess }> {
	const port = await freePort();
	const child = spawn(process.execPath, [everythingBin, mode], {
		env: { ...process.env, PORT: String(port) },
		stdio: ["ignore", "pipe", "pipe"],
	});
	let output = "";
	child.stdout?.on("data", (c) => (output += c));
	child.stderr?.on("data", (c) => (output += c));
	const deadline = Date.now() + 30_000;
	for (;;) {
		if (child.exitCode !== null) throw new Error(`server-everything ${mode} exited:\n${output}`);
		try {
			// Any HTTP answer means it listens.
			await fetch(`http://127.0.0.1:${port}/${mode === "sse" ? "nothing" : "mcp"}`);
			return { port, child };
		} catch {
			if (Date.now() > deadline) throw new Error(`server-everything ${mode} did not start:\n${output}`);
			await new Promise((r) => setTimeout(r, 200));
		}
	}
}

/**
 * Forwards everything to `target`, remembering per x-api-key header value the JSON-RPC methods
 * it carried (`GET /__seen` answers `{ [key]: methods[] }`). With `?die=1` in the URL it drops
 * the connection of any tools/call: a server that dies in the middle of a run.
 */
async function startRecordingProxy(target: number): Promise<{ port: number; server: Server }> {
	const seen: Record<string, string[]> = {};
	const server = createServer((req, res) => {
		if (req.url === "/__seen") {
			res.setHeader("content-type", "application/json");
			res.end(JSON.stringify(seen));
			return;
		}
		const chunks: Buffer[] = [];
		req.on("data", (c: Buffer) => chunks.push(c));
		req.on("end", () => {
			const body = Buffer.concat(chunks);
			const key = req.headers["x-api-key"];
			if (typeof key === "string") {
				let methods: string[] = [req.method ?? "?"];
				try {
					const parsed = JSON.parse(body.toString("utf8")) as { method?: string } | { method?: string }[];
					methods = [parsed].flat().map((m) => m.method ?? "(response)");
				} catch {
					// not JSON (a GET or DELETE)
				}
				seen[key] = [...(seen[key] ?? []), ...methods];
				// `?die=1`: the server answers until a tool is called, then drops the connection.
				if (req.url?.includes("die=1") && methods.includes("tools/call")) {
					req.socket.destroy();
					return;
				}
			}
			const upstream = request(
				{ host: "127.0.0.1", port: target, path: req.url, method: req.method, headers: req.headers },
				(up) => {
					res.writeHead(up.statusCode ?? 502, up.headers);
					up.pipe(res);
				},
			);
			upstream.on("error", () => res.destroy());
			upstream.end(body);
		});
	});
	const port = await freePort();
	await listenOn(server, port);
	return { port, server };
}

export default async function setup(project: Project): Promise<() => Promise<void>> {
	if (!existsSync(resolve(import.meta.dirname, "../../web/dist/index.html"))) await buildWeb({ quiet: true });
	const persistTo = mkdtempSync(join(tmpdir(), "sparky-mcp-test-"));
	const everything = await startEverything("streamableHttp");
	const legacy = await startEverything("sse");
	const proxy = await startRecordingProxy(everything.port);
	const slow = createServer((_req, res) => {
		const timer = setTimeout(() => res.end("finally"), SLOW_MS);
		res.on("close", () => clearTimeout(timer));
	});
	const slowPort = await freePort();
	await listenOn(slow, slowPort);
	// Nothing listens here: a dead server.
	const deadPort = await freePort();
	// The OAuth tests (oauth.test.ts) start their servers on these: an OAuth-protected MCP server
	// and one whose 401s and metadata point where Sparky must not go.
	const oauthPort = await freePort();
	const trapPort = await freePort();
	// stateless.test.ts starts a 2026-07-28-only server (the 2.x SDK's) on this one.
	const modernPort = await freePort();
	const allow = [everything.port, legacy.port, proxy.port, slowPort, deadPort, oauthPort, trapPort, modernPort]
		.map((p) => `127.0.0.1:${p}`)
		.join(",");
	const server = await startDevServer({
		persistTo,
		adminToken: ADMIN_TOKEN,
		vars: {
			SPARKY_DEMO_DELAY_MS: "0",
			SPARKY_RETRY_BASE_SECONDS: "0",
			SPARKY_RATE_TASKS_BURST: "1000",
			SPARKY_RATE_CHAT_BURST: "1000",
			// A burst of 30 that refills once a minute: the rate test's 34 saves pass it however slow the machine.
			SPARKY_RATE_MEMORIES_PER_MINUTE: "1",
			SPARKY_HTTP_FETCH_ALLOW: allow,
			SPARKY_SECRETS_KEY: "mcp-test-secrets-key-0123456789abcdefghijkl",
			SPARKY_MCP_TIMEOUT_SECONDS: String(MCP_TIMEOUT_SECONDS),
		},
	});
	project.provide("mcp", {
		url: server.url,
		adminToken: ADMIN_TOKEN,
		persistTo,
		everythingUrl: `http://127.0.0.1:${everything.port}/mcp`,
		legacyUrl: `http://127.0.0.1:${legacy.port}/sse`,
		proxyUrl: `http://127.0.0.1:${proxy.port}/mcp`,
		deadUrl: `http://127.0.0.1:${deadPort}/mcp`,
		slowUrl: `http://127.0.0.1:${slowPort}/slow`,
		timeoutSeconds: MCP_TIMEOUT_SECONDS,
		oauthPort,
		trapPort,
		modernPort,
	});
	return async () => {
		await server.stop();
		for (const s of [proxy.server, slow]) {
			s.closeAllConnections();
			s.close();
		}
		everything.child.kill();
		legacy.child.kill();
		rmSync(persistTo, { recursive: true, force: true });
	};
}

declare module "vitest" {
	export interface ProvidedContext {
		mcp: {
			url: string;
			adminToken: string;
			persistTo: string;
			everythingUrl: string;
			legacyUrl: string;
			proxyUrl: string;
			deadUrl: string;
			slowUrl: string;
			timeoutSeconds: number;
			oauthPort: number;
			trapPort: number;
			modernPort: number;
		};
	}
}
