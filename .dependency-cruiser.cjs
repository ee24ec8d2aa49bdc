// The import rules of docs/architecture.md ("The parts"), checked by `npm run lint:imports`
// (scripts/depcruise.mjs runs dependency-cruiser with TypeScript 5 as its parser). The table
// and this file say the same thing: change both together. test/imports/rules.test.ts proves
// that the rules fail when broken.
//
// Every part under src/ has an allow-list: the parts (of src/) it may import, besides itself.
// Type-only imports (`import type`) count like any other. npm packages and built-ins are free,
// except in src/protocol (zod and @ag-ui/core only) and src/client (nothing outside src/client
// and src/protocol: it runs in the browser and in Node).

/** `hub` (a folder), `errors.ts` (a file) or `hub/stub.ts` (one file of a folder) → a path regex. */
const re = (part) => `^src/${part.replaceAll(".", "\\.")}${part.endsWith(".ts") ? "$" : "/"}`;

/** config (settings from env), log, faults (fault injection): most parts may use them. */
const LEAVES = ["config.ts", "log.ts", "faults.ts"];
const SERVICES = ["tasks", "chats", "schedules", "memory", "files", "usage", "webhooks"];
const SERVICE_BASE = ["protocol", "errors.ts", "storage", "deps.ts", "auth/secrets.ts", ...LEAVES];
/** The token estimate (pure): what memory and chat history budgets are measured in. */
const TOKEN_ESTIMATE = "agent/tokens.ts";

/** part → what it may import from src/ (the table's "may import" column). */
const MAY_IMPORT = {
	protocol: [],
	"errors.ts": ["protocol"],
	"config.ts": [],
	"log.ts": [],
	"faults.ts": ["log.ts"],
	hub: ["protocol", ...LEAVES],
	relay: ["protocol", "hub/stub.ts", ...LEAVES],
	storage: ["protocol", "errors.ts"],
	auth: ["protocol", "storage", ...LEAVES],
	"deps.ts": ["errors.ts", "hub/stub.ts", "relay", ...LEAVES],
	// A new task is refused when its user's budget is spent; one that ends tells its webhook.
	tasks: [...SERVICE_BASE, "usage", "telemetry", "webhooks"],
	chats: [...SERVICE_BASE, "tasks", TOKEN_ESTIMATE],
	memory: [...SERVICE_BASE, TOKEN_ESTIMATE],
	files: SERVICE_BASE,
	// Prices, budgets and where a user stands (what model calls cost: docs/usage.md).
	usage: SERVICE_BASE,
	schedules: [...SERVICE_BASE, "tasks", "webhooks"],
	// Completion webhooks (docs/webhooks.md): the signing secret is sealed like MCP header values
	// (mcp/secrets.ts), and the URL passes http_fetch's network guard (tools/net-guard.ts); both pure.
	webhooks: [...SERVICE_BASE, "mcp/secrets.ts", "tools/net-guard.ts"],
	mcp: ["protocol", "errors.ts", "storage", "deps.ts", ...SERVICES, "tools", ...LEAVES],
	agui: ["protocol", "errors.ts", "storage", "deps.ts", ...SERVICES, ...LEAVES],
	// OAuth for /mcp (issue #28): who a token acts as (auth, storage/users), the grant rate and
	// cap (deps), the registration rate (a hub's bucket, by RPC).
	oauth: ["protocol", "errors.ts", "auth", "storage", "deps.ts", "hub/stub.ts", ...LEAVES],
	agent: ["protocol", ...LEAVES],
	// OpenTelemetry trace export (OTLP/HTTP JSON): the runner reports a run, telemetry sends it.
	telemetry: ["protocol", "log.ts"],
	tools: ["protocol", "errors.ts", "storage", "deps.ts", "tasks", "memory", "files", "relay", ...LEAVES],
	runner: [
		"protocol",
		"errors.ts",
		"relay",
		"storage",
		"auth",
		"deps.ts",
		...SERVICES,
		"mcp",
		"agui",
		"agent",
		"tools",
		"telemetry",
		...LEAVES,
	],
	frames: ["protocol", "errors.ts", "storage", "deps.ts", ...SERVICES, "hub/connections.ts", ...LEAVES],
	http: ["protocol", "errors.ts", "auth", "storage", "deps.ts", "hub/stub.ts", "hub/stream-leases.ts", ...LEAVES],
	routes: [
		"http",
		"protocol",
		"errors.ts",
		"auth",
		"storage",
		"deps.ts",
		...SERVICES,
		"mcp",
		"oauth",
		"agui",
		"agent/models.ts",
		"telemetry/traceparent.ts",
		"hub/stub.ts",
		"hub/connections.ts",
		...LEAVES,
	],
	"user-hub.ts": ["protocol", "hub", "frames", "relay", "deps.ts", ...LEAVES],
	"scheduled.ts": ["auth", "runner", "schedules", "files", "deps.ts", ...LEAVES],
	"clock.ts": ["runner", "scheduled.ts", "deps.ts", ...LEAVES],
	bundle: [],
	client: ["protocol"],
	// src/app.ts and src/index.ts, the composition roots, may import anything: no rule.
};
const ROOTS = ["app.ts", "index.ts", "env.d.ts"];
const KNOWN = [...Object.keys(MAY_IMPORT), ...ROOTS].map(re);

/** Domain code: never HTTP (the doc says it on its own; the allow-lists above agree). */
const DOMAIN = ["hub", ...SERVICES, "storage", "runner", "relay", "agent", "tools", "mcp", "oauth", "agui"];

const layerRules = Object.entries(MAY_IMPORT).map(([part, allowed]) => ({
	name: `layer-${part.replace(/\.ts$/, "")}`,
	comment: `src/${part} may import from src/ only: ${allowed.join(", ") || "nothing"} (docs/architecture.md, "The parts")`,
	severity: "error",
	from: { path: re(part) },
	to: { path: "^src/", pathNot: [re(part), ...allowed.map(re)] },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
	forbidden: [
		...layerRules,
		{
			name: "protocol-packages",
			comment: "src/protocol is the wire's words: zod and @ag-ui/core only (no other package, no built-in)",
			severity: "error",
			from: { path: re("protocol") },
			to: { pathNot: [re("protocol"), "^node_modules/(zod|@ag-ui/core)/"] },
		},
		{
			name: "client-portable",
			comment: "src/client runs in the browser and in Node: src/client and src/protocol only, no package or built-in",
			severity: "error",
			from: { path: re("client") },
			to: { pathNot: [re("client"), re("protocol")] },
		},
		{
			name: "domain-not-http",
			comment: "domain code imports nothing from src/http or src/routes",
			severity: "error",
			from: { path: `^src/(${DOMAIN.join("|")})/` },
			to: { path: "^src/(http|routes)/" },
		},
		{
			name: "web-imports",
			comment: "web/src may import from src/ only src/client and src/protocol",
			severity: "error",
			from: { path: "^web/src/" },
			to: { path: "^src/", pathNot: [re("client"), re("protocol")] },
		},
		{
			name: "cli-imports",
			comment: "cli/ may import from src/ only src/client, src/protocol and src/schedules/timing.ts",
			severity: "error",
			from: { path: "^cli/" },
			to: { path: "^src/", pathNot: [re("client"), re("protocol"), re("schedules/timing.ts")] },
		},
		{
			name: "unlisted-part",
			comment: "a new part of src/ needs a row in docs/architecture.md and an entry in MAY_IMPORT here",
			severity: "error",
			from: { path: "^src/", pathNot: KNOWN },
			to: {},
		},
		{
			name: "unlisted-part",
			comment: "a new part of src/ needs a row in docs/architecture.md and an entry in MAY_IMPORT here",
			severity: "error",
			from: {},
			to: { path: "^src/", pathNot: KNOWN },
		},
		{
			name: "no-circular",
			comment: "no import circle in src/, web/src or cli/ (type-only imports included)",
			severity: "error",
			from: { path: "^(src|web/src|cli)/" },
			to: { circular: true },
		},
		{
			name: "not-to-unresolvable",
			comment: "every import resolves (an import the cruiser can't follow can't be checked)",
			severity: "error",
			from: {},
			to: { couldNotResolve: true },
		},
	],
	options: {
		// `import type` counts: a type-only import is still a dependency of the design.
		tsPreCompilationDeps: true,
		tsConfig: { fileName: "tsconfig.json" },
		doNotFollow: { path: "node_modules" },
		// The Workers runtime's own module.
		builtInModules: { add: ["cloudflare:workers"] },
		enhancedResolveOptions: {
			exportsFields: ["exports"],
			conditionNames: ["workerd", "worker", "browser", "import", "require", "node", "default", "types"],
			mainFields: ["module", "main", "types", "typings"],
		},
		cache: false,
	},
};
