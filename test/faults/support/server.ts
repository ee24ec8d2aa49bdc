import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DevServer, killTree, startDevServer } from "../../../scripts/lib/dev-server.mjs";

/** Vars every fault-suite server gets: fast clock, short leases, quick demo model. */
export const FAST_VARS = {
	SPARKY_CLOCK_SECONDS: "3",
	SPARKY_TASK_LEASE_SECONDS: "8",
	SPARKY_RETRY_BASE_SECONDS: "1",
	SPARKY_DEMO_DELAY_MS: "5",
};

export type Server = DevServer;

/**
 * A `wrangler dev` whose state directory outlives it, so the suite can kill it (SIGKILL,
 * the whole process tree) and start it again on the same state, like a crashed machine.
 */
export class Deployment {
	readonly stateDir = mkdtempSync(join(tmpdir(), "sparky-faults-"));
	readonly adminToken = `faults_${randomBytes(24).toString("base64url")}`;
	server: Server | undefined;
	port: number | undefined;
	/** Everything every server of this deployment printed (the suite scans it for secrets). */
	logs = "";

	async start(vars: Record<string, string> = {}): Promise<Server> {
		const server: Server = await startDevServer({
			persistTo: this.stateDir,
			adminToken: this.adminToken,
			port: this.port,
			vars: { ...FAST_VARS, ...vars },
			onLog: (line: string) => {
				this.logs += `${line}\n`;
			},
		});
		this.server = server;
		this.port = server.port;
		return server;
	}

	get url(): string {
		if (!this.server) throw new Error("not started");
		return this.server.url;
	}

	/** Kills wrangler and workerd at once, no cleanup: a crash. */
	async crash(): Promise<void> {
		const server = this.server;
		if (!server) return;
		killTree(server.pid, "SIGKILL");
		await server.exited;
		this.server = undefined;
	}

	async stop(): Promise<void> {
		await this.server?.stop();
		this.server = undefined;
	}

	async dispose(): Promise<void> {
		await this.crash();
		rmSync(this.stateDir, { recursive: true, force: true });
	}

	/** Resolves when the server's log shows `text` (e.g. a failpoint being reached). */
	async waitForLog(text: string, timeoutMs = 30_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (!this.logs.includes(text)) {
			if (Date.now() > deadline) throw new Error(`log never showed ${JSON.stringify(text)}`);
			await new Promise((r) => setTimeout(r, 50));
		}
	}
}
