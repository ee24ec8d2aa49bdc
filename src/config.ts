import { z } from "zod";

/** A positive whole number given as a string var (wrangler vars are strings). */
const positiveInt = (fallback: number) =>
	z
		.string()
		.optional()
		.transform((value, ctx) => {
			if (value === undefined || value.trim() === "") return fallback;
			const n = Number(value);
			if (!Number.isInteger(n) || n <= 0) {
				ctx.addIssue({ code: "custom", message: `expected a positive whole number, got "${value}"` });
				return z.NEVER;
			}
			return n;
		});

const optionalText = z
	.string()
	.optional()
	.transform((value) => (value?.trim() ? value.trim() : undefined));

const ConfigSchema = z.object({
	SPARKY_EVENT_RETENTION_COUNT: positiveInt(100_000),
	SPARKY_REPLAY_MAX_EVENTS: positiveInt(10_000),
	SPARKY_EVENT_RETENTION_HOURS: positiveInt(168),
	SPARKY_SESSION_TTL_HOURS: positiveInt(24),
	SPARKY_MODEL: optionalText,
	SPARKY_MAX_STEPS: positiveInt(12),
	SPARKY_MAX_RUN_SECONDS: positiveInt(300),
	SPARKY_MAX_OUTPUT_TOKENS: positiveInt(16_000),
	SPARKY_TASK_MAX_ATTEMPTS: positiveInt(3),
	SPARKY_TASK_LEASE_SECONDS: positiveInt(20),
	SPARKY_SWEEP_SECONDS: positiveInt(5),
	SPARKY_APPROVE_TOOLS: z
		.string()
		.optional()
		.transform((v) => (v === undefined ? "delete_file" : v)),
	SPARKY_APPROVAL_TTL_HOURS: positiveInt(24),
	SPARKY_RETRY_BASE_SECONDS: z
		.string()
		.optional()
		.transform((v, ctx) => {
			const n = v === undefined || v.trim() === "" ? 5 : Number(v);
			if (!Number.isFinite(n) || n < 0) {
				ctx.addIssue({ code: "custom", message: `expected seconds (0 or more), got "${v}"` });
				return z.NEVER;
			}
			return n;
		}),
	SPARKY_HTTP_FETCH_ALLOW: optionalText,
	SPARKY_LOCAL_CLOCK: optionalText,
	SPARKY_LEASE_SWEEP: optionalText,
	SPARKY_RATE_TASKS_PER_MINUTE: positiveInt(60),
	SPARKY_RATE_TASKS_BURST: positiveInt(30),
	SPARKY_RATE_CHAT_PER_MINUTE: positiveInt(30),
	SPARKY_RATE_CHAT_BURST: positiveInt(10),
	SPARKY_RATE_CHATS_PER_MINUTE: positiveInt(20),
	SPARKY_RATE_CHATS_BURST: positiveInt(10),
	SPARKY_RATE_SCHEDULES_PER_MINUTE: positiveInt(20),
	SPARKY_RATE_SCHEDULES_BURST: positiveInt(10),
	SPARKY_RATE_SOCKETS_PER_MINUTE: positiveInt(60),
	SPARKY_RATE_SOCKETS_BURST: positiveInt(30),
	SPARKY_RATE_TICKETS_PER_MINUTE: positiveInt(60),
	SPARKY_RATE_TICKETS_BURST: positiveInt(30),
	SPARKY_RATE_HISTORY_PER_MINUTE: positiveInt(120),
	SPARKY_RATE_HISTORY_BURST: positiveInt(60),
	SPARKY_RATE_TOKENS_PER_MINUTE: positiveInt(10),
	SPARKY_RATE_TOKENS_BURST: positiveInt(10),
	SPARKY_RATE_DECISIONS_PER_MINUTE: positiveInt(60),
	SPARKY_RATE_DECISIONS_BURST: positiveInt(30),
	SPARKY_RATE_MCP_PER_MINUTE: positiveInt(10),
	SPARKY_RATE_MCP_BURST: positiveInt(20),
	SPARKY_MAX_MCP_SERVERS: positiveInt(20),
	SPARKY_RATE_APPS_PER_MINUTE: positiveInt(10),
	SPARKY_RATE_APPS_BURST: positiveInt(10),
	SPARKY_MAX_CONNECTED_APPS: positiveInt(20),
	SPARKY_RATE_OAUTH_REGISTER_PER_MINUTE: positiveInt(10),
	SPARKY_RATE_OAUTH_REGISTER_BURST: positiveInt(20),
	SPARKY_PUBLIC_URL: optionalText,
	SPARKY_MAX_OPEN_TASKS: positiveInt(500),
	SPARKY_MAX_CHATS: positiveInt(500),
	SPARKY_MAX_SCHEDULES: positiveInt(100),
	SPARKY_MAX_SOCKETS: positiveInt(1000),
	SPARKY_MAX_STREAMS: positiveInt(100),
	SPARKY_MAX_TOKENS: positiveInt(50),
	SPARKY_MAX_FILE_MB: positiveInt(25),
	SPARKY_FILES_QUOTA_MB: positiveInt(500),
	SPARKY_UPLOAD_TTL_HOURS: positiveInt(24),
	SPARKY_WORKSPACE_FILE_MB: positiveInt(25),
	SPARKY_WORKSPACE_FILES: positiveInt(1_000),
	SPARKY_RATE_FILES_PER_MINUTE: positiveInt(60),
	SPARKY_RATE_FILES_BURST: positiveInt(30),
	SPARKY_MAX_MEMORIES: positiveInt(5_000),
	SPARKY_RATE_MEMORIES_PER_MINUTE: positiveInt(60),
	SPARKY_RATE_MEMORIES_BURST: positiveInt(30),
	/** Tokens of a run's system prompt given to remembered data (pinned, then the most relevant). */
	SPARKY_MEMORY_CONTEXT_TOKENS: positiveInt(1_000),
	/** A run's whole prompt at most, in (estimated) tokens; unset: the model's default (models.ts). */
	SPARKY_CONTEXT_TOKENS: z
		.string()
		.optional()
		.transform((value, ctx) => {
			if (value === undefined || value.trim() === "") return undefined;
			const n = Number(value);
			// Below this, the system prompt and the tools' declarations alone leave no room for a conversation.
			if (!Number.isInteger(n) || n < 4_000) {
				ctx.addIssue({ code: "custom", message: `expected a whole number of tokens, at least 4000, got "${value}"` });
				return z.NEVER;
			}
			return n;
		}),
});

/** What a user creates, each with its own rate (a token bucket in the user's hub). */
export const RATE_KINDS = [
	"tasks",
	"chat",
	"chats",
	"schedules",
	"sockets",
	"tickets",
	"history",
	"tokens",
	"decisions",
	"mcp",
	"memories",
	"files",
	"apps",
	"registrations",
] as const;
export type RateKind = (typeof RATE_KINDS)[number];

/** How many of a thing one user may hold at once (409 naming the cap past it). */
export interface Caps {
	/** Tasks not yet finished (waiting, queued, running, awaiting approval). */
	openTasks: number;
	chats: number;
	schedules: number;
	/** Open sockets on the user's hub. */
	sockets: number;
	/** Live (unrevoked, unexpired) API tokens. */
	tokens: number;
	/** MCP servers registered. */
	mcpServers: number;
	/** Long-term memories kept. */
	memories: number;
	/** Apps connected to `/mcp` with OAuth (grants). */
	connectedApps: number;
}

/** The caps, from SPARKY_MAX_*. */
export function capsConfig(env: unknown): Caps {
	const c = parse(env);
	return {
		openTasks: c.SPARKY_MAX_OPEN_TASKS,
		chats: c.SPARKY_MAX_CHATS,
		schedules: c.SPARKY_MAX_SCHEDULES,
		sockets: c.SPARKY_MAX_SOCKETS,
		tokens: c.SPARKY_MAX_TOKENS,
		mcpServers: c.SPARKY_MAX_MCP_SERVERS,
		memories: c.SPARKY_MAX_MEMORIES,
		connectedApps: c.SPARKY_MAX_CONNECTED_APPS,
	};
}

export interface HubConfig {
	retentionCount: number;
	retentionMs: number;
	/** The most events one socket's replay sends; a cursor further back is told `replay_limit`. */
	replayMaxEvents: number;
	sessionTtlMs: number;
	/** Per-user rates of everything a user creates (token buckets in the user's hub). */
	rates: Record<RateKind, { perMinute: number; burst: number }>;
	/** Open sockets one user may have. */
	maxSockets: number;
	/** Open HTTP streams one user may have: SSE follows, AG-UI runs and long polls together. */
	maxStreams: number;
}

export interface AgentConfig {
	/** `provider:model`, or undefined to choose from the keys that are set (else `demo`). */
	model: string | undefined;
	maxSteps: number;
	maxRunMs: number;
	maxOutputTokens: number;
	defaultMaxAttempts: number;
	/** A running task's lease; renewed every third of it, so a dead runner loses it this long after its last renewal. */
	leaseMs: number;
	/** How often expired leases and approvals are looked for (the clock's short tick). */
	sweepMs: number;
	/** Tools that always need a person's approval (`*`: every tool); a task may add more, never remove these. */
	approveTools: string[];
	approvalTtlMs: number;
	/** First retry delay; each further retry doubles it (capped at 5 minutes). */
	retryBaseSeconds: number;
	/** host:port pairs exempt from http_fetch's private-address rule (local testing only). */
	fetchAllow: string[];
	/** Run the housekeeping tick from a Durable Object alarm (for `wrangler dev`, which fires no crons). */
	localClock: boolean;
	/** Run the short lease sweep from the clock's alarm (off only in unit tests, which sweep by hand). */
	leaseSweep: boolean;
	/** Tokens of remembered data in a run's system prompt at most. */
	memoryContextTokens: number;
	/** A run's whole prompt at most (estimated tokens); undefined: the model's default. */
	contextTokens: number | undefined;
}

const HOUR = 3_600_000;

/** Parsed settings per env object: an isolate keeps its env, so each is parsed once, not per call. */
const parsedEnvs = new WeakMap<object, z.output<typeof ConfigSchema>>();

function parse(env: unknown): z.output<typeof ConfigSchema> {
	const key = typeof env === "object" && env !== null ? env : undefined;
	const cached = key && parsedEnvs.get(key);
	if (cached) return cached;
	const parsed = ConfigSchema.safeParse(env);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		throw new Error(`invalid configuration ${issue?.path.join(".")}: ${issue?.message}`);
	}
	if (key) parsedEnvs.set(key, parsed.data);
	return parsed.data;
}

/**
 * The hub's settings. A bad value fails loudly at the first request that needs it (with
 * the variable's name) rather than running with a guess.
 */
export function hubConfig(env: unknown): HubConfig {
	const c = parse(env);
	return {
		retentionCount: c.SPARKY_EVENT_RETENTION_COUNT,
		retentionMs: c.SPARKY_EVENT_RETENTION_HOURS * HOUR,
		replayMaxEvents: c.SPARKY_REPLAY_MAX_EVENTS,
		sessionTtlMs: c.SPARKY_SESSION_TTL_HOURS * HOUR,
		rates: {
			tasks: { perMinute: c.SPARKY_RATE_TASKS_PER_MINUTE, burst: c.SPARKY_RATE_TASKS_BURST },
			chat: { perMinute: c.SPARKY_RATE_CHAT_PER_MINUTE, burst: c.SPARKY_RATE_CHAT_BURST },
			chats: { perMinute: c.SPARKY_RATE_CHATS_PER_MINUTE, burst: c.SPARKY_RATE_CHATS_BURST },
			schedules: { perMinute: c.SPARKY_RATE_SCHEDULES_PER_MINUTE, burst: c.SPARKY_RATE_SCHEDULES_BURST },
			sockets: { perMinute: c.SPARKY_RATE_SOCKETS_PER_MINUTE, burst: c.SPARKY_RATE_SOCKETS_BURST },
			tickets: { perMinute: c.SPARKY_RATE_TICKETS_PER_MINUTE, burst: c.SPARKY_RATE_TICKETS_BURST },
			history: { perMinute: c.SPARKY_RATE_HISTORY_PER_MINUTE, burst: c.SPARKY_RATE_HISTORY_BURST },
			tokens: { perMinute: c.SPARKY_RATE_TOKENS_PER_MINUTE, burst: c.SPARKY_RATE_TOKENS_BURST },
			decisions: { perMinute: c.SPARKY_RATE_DECISIONS_PER_MINUTE, burst: c.SPARKY_RATE_DECISIONS_BURST },
			mcp: { perMinute: c.SPARKY_RATE_MCP_PER_MINUTE, burst: c.SPARKY_RATE_MCP_BURST },
			memories: { perMinute: c.SPARKY_RATE_MEMORIES_PER_MINUTE, burst: c.SPARKY_RATE_MEMORIES_BURST },
			files: { perMinute: c.SPARKY_RATE_FILES_PER_MINUTE, burst: c.SPARKY_RATE_FILES_BURST },
			apps: { perMinute: c.SPARKY_RATE_APPS_PER_MINUTE, burst: c.SPARKY_RATE_APPS_BURST },
			registrations: {
				perMinute: c.SPARKY_RATE_OAUTH_REGISTER_PER_MINUTE,
				burst: c.SPARKY_RATE_OAUTH_REGISTER_BURST,
			},
		},
		maxSockets: c.SPARKY_MAX_SOCKETS,
		maxStreams: c.SPARKY_MAX_STREAMS,
	};
}

export function agentConfig(env: unknown): AgentConfig {
	const c = parse(env);
	return {
		model: c.SPARKY_MODEL,
		maxSteps: c.SPARKY_MAX_STEPS,
		maxRunMs: c.SPARKY_MAX_RUN_SECONDS * 1000,
		maxOutputTokens: c.SPARKY_MAX_OUTPUT_TOKENS,
		defaultMaxAttempts: Math.min(c.SPARKY_TASK_MAX_ATTEMPTS, MAX_ATTEMPTS_CAP),
		leaseMs: c.SPARKY_TASK_LEASE_SECONDS * 1000,
		sweepMs: c.SPARKY_SWEEP_SECONDS * 1000,
		approveTools: c.SPARKY_APPROVE_TOOLS.split(",")
			.map((s) => s.trim())
			.filter(Boolean),
		approvalTtlMs: c.SPARKY_APPROVAL_TTL_HOURS * HOUR,
		retryBaseSeconds: c.SPARKY_RETRY_BASE_SECONDS,
		fetchAllow: (c.SPARKY_HTTP_FETCH_ALLOW ?? "")
			.split(",")
			.map((s) => s.trim().toLowerCase())
			.filter(Boolean),
		localClock: c.SPARKY_LOCAL_CLOCK === "on",
		leaseSweep: c.SPARKY_LEASE_SWEEP !== "off",
		memoryContextTokens: c.SPARKY_MEMORY_CONTEXT_TOKENS,
		contextTokens: c.SPARKY_CONTEXT_TOKENS,
	};
}

const MIB = 1024 * 1024;

/** Files (issue #25): uploads and the workspace, in bytes and counts. */
export interface FilesConfig {
	/** One upload at most (413 past it). */
	maxFileBytes: number;
	/** A user's uploads together (409 past it). */
	quotaBytes: number;
	/** An upload attached to nothing is deleted this long after it was made. */
	uploadTtlMs: number;
	/** One workspace file at most. */
	workspaceFileBytes: number;
	/** Files in one user's workspace at most. */
	workspaceFiles: number;
}

export function filesConfig(env: unknown): FilesConfig {
	const c = parse(env);
	return {
		maxFileBytes: c.SPARKY_MAX_FILE_MB * MIB,
		quotaBytes: c.SPARKY_FILES_QUOTA_MB * MIB,
		uploadTtlMs: c.SPARKY_UPLOAD_TTL_HOURS * HOUR,
		workspaceFileBytes: c.SPARKY_WORKSPACE_FILE_MB * MIB,
		workspaceFiles: c.SPARKY_WORKSPACE_FILES,
	};
}

/** Queue retries stop here too (`max_retries` in wrangler.toml is this minus one, plus slack). */
const MAX_ATTEMPTS_CAP = 10;

/** Sparky's OAuth authorization server for `/mcp` (issue #28, docs/mcp.md). */
export interface OAuthConfig {
	/**
	 * The origin that issues tokens and names `/mcp` (SPARKY_PUBLIC_URL, e.g.
	 * `https://sparky.example.com`); undefined: the origin each request came to.
	 */
	publicOrigin: string | undefined;
}

export function oauthConfig(env: unknown): OAuthConfig {
	const c = parse(env);
	const url = c.SPARKY_PUBLIC_URL?.trim();
	if (!url) return { publicOrigin: undefined };
	let origin: string;
	try {
		origin = new URL(url).origin;
	} catch {
		throw new Error(`invalid configuration SPARKY_PUBLIC_URL: not a URL: "${url}"`);
	}
	return { publicOrigin: origin };
}
