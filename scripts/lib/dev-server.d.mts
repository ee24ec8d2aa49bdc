// Types for dev-server.mjs (used by the TypeScript e2e tests).
export interface DevServer {
	url: string;
	port: number;
	pid: number;
	output(): string;
	exited: Promise<{ code: number | null; signal: string | null }>;
	stop(signal?: NodeJS.Signals): Promise<void>;
}

export function freePort(): Promise<number>;

export function startDevServer(options: {
	persistTo: string;
	adminToken: string;
	config?: string;
	vars?: Record<string, string>;
	port?: number;
	onLog?: (line: string) => void;
}): Promise<DevServer>;

export function killTree(pid: number, signal: NodeJS.Signals): void;
