import { createServer, type Server as HttpServer } from "node:http";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api, eventually } from "./support/api.ts";
import { report } from "./support/report.ts";
import { Deployment } from "./support/server.ts";
import { TrackedSocket } from "./support/tracked-socket.ts";

let deployment: Deployment;
let admin: Api;
/** Every secret the suite handles; none may show up in a log line, an event or an error. */
const secrets = new Set<string>();
/** Local servers the agent must not reach (and a redirector it may, that points at them). */
let forbidden: HttpServer;
let redirector: HttpServer;
let forbiddenHits = 0;
let forbiddenPort = 0;
let redirectorPort = 0;

const listen = (server: HttpServer) =>
	new Promise<number>((resolve) =>
		server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port)),
	);

beforeAll(async () => {
	forbidden = createServer((_req, res) => {
		forbiddenHits++;
		res.end("secret internal page");
	});
	forbiddenPort = await listen(forbidden);
	redirector = createServer((_req, res) => {
		res.writeHead(302, { Location: `http://127.0.0.1:${forbiddenPort}/via-redirect` });
		res.end();
	});
	redirectorPort = await listen(redirector);
	deployment = new Deployment();
	// The redirector is allowed (as a stand-in for a public site); the target it points at is not.
	await deployment.start({
		SPARKY_HTTP_FETCH_ALLOW: `127.0.0.1:${redirectorPort}`,
		// No tool waits for a person here ("none" names no tool): `Delete ../../README.md` must
		// meet the file tools' own path guard, not pause for an approval (delete_file's default).
		SPARKY_APPROVE_TOOLS: "none",
	});
	admin = new Api(deployment.url, deployment.adminToken);
	secrets.add(deployment.adminToken);
});
afterAll(async () => {
	forbidden?.close();
	redirector?.close();
	await deployment?.dispose();
});

/** A route of the API, with ids filled in by `fill`. */
interface Route {
	method: string;
	path: string;
	body?: boolean;
}

const ROUTES: Route[] = [
	{ method: "GET", path: "/api/me" },
	{ method: "POST", path: "/api/users", body: true },
	{ method: "GET", path: "/api/users" },
	{ method: "POST", path: "/api/users/{user}/tokens", body: true },
	{ method: "GET", path: "/api/users/{user}/tokens" },
	{ method: "POST", path: "/api/users/{user}/events", body: true },
	{ method: "DELETE", path: "/api/tokens/{token}" },
	{ method: "POST", path: "/api/ws-ticket", body: true },
	{ method: "POST", path: "/api/tasks", body: true },
	{ method: "GET", path: "/api/tasks" },
	{ method: "GET", path: "/api/tasks/{task}" },
	{ method: "GET", path: "/api/tasks/{task}/events" },
	{ method: "POST", path: "/api/tasks/{task}/cancel", body: true },
	{ method: "DELETE", path: "/api/tasks/{task}" },
	{ method: "POST", path: "/api/tasks/clear", body: true },
	{ method: "GET", path: "/api/agent/status" },
	{ method: "GET", path: "/api/chats" },
	{ method: "POST", path: "/api/chats", body: true },
	{ method: "GET", path: "/api/chats/{chat}" },
	{ method: "PATCH", path: "/api/chats/{chat}", body: true },
	{ method: "GET", path: "/api/chats/{chat}/messages" },
	{ method: "POST", path: "/api/chats/{chat}/messages", body: true },
	{ method: "GET", path: "/api/schedules" },
	{ method: "POST", path: "/api/schedules", body: true },
	{ method: "GET", path: "/api/schedules/{schedule}" },
	{ method: "PATCH", path: "/api/schedules/{schedule}", body: true },
	{ method: "POST", path: "/api/schedules/{schedule}/run", body: true },
	{ method: "POST", path: "/api/schedules/{schedule}/enable", body: true },
];

const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
const BODIES: (string | Uint8Array)[] = [
	"{",
	"[",
	"nul",
	'{"a":}',
	"\u0000",
	"",
	"null",
	"true",
	"123",
	'"text"',
	"[]",
	'{"instruction":5}',
	'{"instruction":["x"]}',
	'{"name":{"a":1},"id":7,"title":false,"text":null}',
	`{"instruction":"${"x".repeat(900_000)}"}`,
	`{"instruction":"x","metadata":{"a":${deep(50_000)}}}`,
	'{"instruction":"x","unknown":"field","__proto__":{"admin":true}}',
	'{"constructor":{"prototype":{"role":"admin"}},"id":"x"}',
	'{"instruction":"1e999","max_attempts":1e999}',
	'{"instruction":"x","max_attempts":-1}',
	'{"id":"../../etc/passwd","role":"admin"}',
	'{"title":"\u202eevil\u200b","text":"\ud800"}',
	'{"every":"1s","cron":"* * * * * * * *","name":"x","instruction":"y"}',
	new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xfd, 0x22, 0x7d]), // invalid UTF-8
	new Uint8Array(2 * 1024 * 1024).fill(0x61), // over the body limit
];
const PARAMS = ["..%2F..%2Fetc%2Fpasswd", "%00", "x".repeat(3000), "%E2%80%AE", "a%2Fb", "%ZZ", "'%20OR%201%3D1--"];
const QUERIES = [
	"limit=-1",
	"limit=1e99",
	"limit=abc",
	"cursor=!!!",
	"status=%3Cscript%3E",
	"since=-5",
	"before=%00",
	"kind=evil",
];

/** Is this answer one of ours: a 2xx, or a 4xx with the one error shape? Never a 5xx. */
function acceptable(status: number, body: unknown): boolean {
	if (status >= 500) return false;
	if (status < 400) return true;
	const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
	return typeof error?.code === "string" && typeof error?.message === "string";
}

/** Runs one task to its end (it must succeed: a refused tool is a value, not a crash) and returns its tool results. */
async function toolResultsOf(api: Api, instruction: string): Promise<string[]> {
	const { body } = await api.post<{ task: { id: string } }>("/api/tasks", { instruction, allow_duplicates: true });
	const path = `/api/tasks/${body.task.id}`;
	const done = await eventually(async () => {
		const task = (await api.get<{ task: { status: string; approvals?: { id: string; status: string }[] } }>(path)).body
			.task;
		// A person approves whatever the run asks about (delete_file asks by default): the tool must still refuse.
		for (const a of task.approvals ?? []) {
			if (a.status === "pending") await api.post(`${path}/approvals/${a.id}`, { approved: true });
		}
		return task.status === "succeeded";
	}, 30_000);
	expect(done, `${instruction}: the run ends normally`).toBe(true);
	const events = (await api.get<{ events: { type: string; content?: string }[] }>(`/api/tasks/${body.task.id}/events`))
		.body.events;
	return events.filter((e) => e.type === "TOOL_CALL_RESULT").map((e) => e.content ?? "");
}

describe("hostile input", () => {
	it("every HTTP route answers malformed, oversized, nested and hostile input with a 4xx, never a 5xx", async () => {
		const user = await admin.user("fuzz-user");
		secrets.add(user.token);
		const userApi = admin.with(user.token);
		const task = (await userApi.post<{ task: { id: string } }>("/api/tasks", { instruction: "what time is it" })).body
			.task;
		const chat = (await userApi.post<{ chat: { id: string } }>("/api/chats", {})).body.chat;
		await userApi.post("/api/schedules", { name: "fuzz", instruction: "x", every: "1d" });
		// DELETE /api/tokens/{token} succeeds for a user's own token: aim it at a spare one, not the one we fuzz with.
		const spare = await admin.post<{ id: string }>(`/api/users/${user.id}/tokens`, { name: "spare" });
		expect(spare.status).toBe(201);
		const fill = (path: string, value?: string) =>
			path
				.replace("{user}", value ?? user.id)
				.replace("{token}", value ?? spare.body.id)
				.replace("{task}", value ?? task.id)
				.replace("{chat}", value ?? chat.id)
				.replace("{schedule}", value ?? "fuzz");

		const tried = { bodies: 0, params: 0, queries: 0, headers: 0 };
		const bad: string[] = [];
		const check = async (
			label: string,
			method: string,
			path: string,
			body?: string | Uint8Array,
			headers: Record<string, string> = {},
		) => {
			const res = await fetch(`${deployment.url}${path}`, {
				method,
				headers: { Authorization: `Bearer ${user.token}`, ...headers },
				body:
					body === undefined
						? undefined
						: typeof body === "string"
							? body
							: new Blob([body as Uint8Array<ArrayBuffer>]),
			});
			const text = await res.text();
			let parsed: unknown = null;
			try {
				parsed = JSON.parse(text);
			} catch {
				// checked below
			}
			if (!acceptable(res.status, parsed))
				bad.push(`${label} ${method} ${path.slice(0, 80)} → ${res.status} ${text.slice(0, 120)}`);
			for (const secret of secrets) if (text.includes(secret)) bad.push(`${label}: a secret in the answer to ${path}`);
		};

		for (const route of ROUTES) {
			if (route.body) {
				for (const body of BODIES) {
					tried.bodies++;
					await check("body", route.method, fill(route.path), body, { "Content-Type": "application/json" });
				}
			}
			if (route.path.includes("{")) {
				for (const param of PARAMS) {
					tried.params++;
					await check("param", route.method, fill(route.path, param), route.body ? "{}" : undefined);
				}
			}
			for (const query of QUERIES) {
				tried.queries++;
				await check("query", route.method, `${fill(route.path)}?${query}`, route.body ? "{}" : undefined);
			}
		}
		// Headers: odd idempotency keys and content types on task creation.
		for (const [key, value] of [
			["Idempotency-Key", "x".repeat(5000)],
			["Idempotency-Key", "ünïcödé"],
			["Idempotency-Key", " "],
			["Content-Type", "application/x-www-form-urlencoded"],
			["Content-Type", "text/plain; charset=utf-16"],
			["Content-Type", "multipart/form-data; boundary=x"],
			["Accept", "text/event-stream"],
		] as const) {
			tried.headers++;
			await check("header", "POST", "/api/tasks", '{"instruction":"header test","allow_duplicates":true}', {
				[key]: value,
			});
		}
		// The fuzz spends this user's task budget, so a 429 here is the rate limiter doing its job:
		// honour Retry-After (bounded) and expect the next try to be accepted.
		const createAfterFuzz = async (): Promise<number> => {
			for (let attempt = 0; attempt < 5; attempt++) {
				const res = await userApi.post("/api/tasks", { instruction: "still fine?", allow_duplicates: true });
				if (res.status !== 429) return res.status;
				const wait = Number(res.headers.get("Retry-After") ?? "1");
				await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(wait, 1), 5) * 1000));
			}
			return 429;
		};
		const healthStatus = (await admin.get("/api/health")).status;
		const createStatus = await createAfterFuzz();
		const stillServing = healthStatus === 200 && createStatus === 201;
		report("fuzz: HTTP routes", {
			routes: ROUTES.length,
			inputs_tried: tried,
			not_ours_or_5xx: bad.length,
			still_serving: stillServing,
			after: { health: healthStatus, create_task: createStatus },
		});
		expect(bad, bad.join("\n")).toEqual([]);
		expect(stillServing).toBe(true);
	});

	it("a raw, broken HTTP request (header injection, garbage) gets a 4xx from the edge, and the service keeps serving", async () => {
		const port = Number(new URL(deployment.url).port);
		const raw = async (text: string) =>
			new Promise<string>((resolve) => {
				const socket = connect(port, "127.0.0.1", () => socket.end(text));
				let answer = "";
				socket.on("data", (d) => {
					answer += d.toString();
				});
				socket.on("close", () => resolve(answer));
				socket.on("error", () => resolve(answer));
				setTimeout(() => socket.destroy(), 5000);
			});
		const answers = [
			await raw("GET /api/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\u0000b\r\n\r\n"),
			await raw("GET /api/me HTTP/1.1\r\nHost: x\r\nX-Evil: a\rInjected: yes\r\n\r\n"),
			await raw(
				"POST /api/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
			),
			await raw("\u0016\u0003\u0001garbage"),
		];
		const statuses = answers.map((a) => Number(a.slice(9, 12)) || 0);
		report("fuzz: raw HTTP", { requests: answers.length, statuses });
		expect(statuses.every((s) => s === 0 || (s >= 400 && s < 500))).toBe(true);
		expect((await admin.get("/api/health")).status).toBe(200);
	});

	it("every client frame type answers hostile frames with an error frame or a documented close code", async () => {
		const user = await admin.user("fuzz-frames");
		secrets.add(user.token);
		const chat = (await admin.with(user.token).post<{ chat: { id: string } }>("/api/chats", {})).body.chat;
		const frames: (string | Uint8Array)[] = [
			"{",
			"null",
			"[]",
			"42",
			'"ping"',
			'{"type":"nope"}',
			'{"type":"ping","extra":1}',
			'{"type":"resume"}',
			'{"type":"resume","since":"x"}',
			'{"type":"resume","since":-1}',
			'{"type":"resume","since":1e999}',
			'{"type":"chat.create","title":""}',
			`{"type":"chat.create","title":"${"t".repeat(500)}"}`,
			'{"type":"chat.send","chat_id":"../x","text":"hi"}',
			`{"type":"chat.send","chat_id":"${chat.id}","text":""}`,
			`{"type":"chat.send","chat_id":"${chat.id}","text":"${"x".repeat(9000)}"}`,
			'{"type":"chat.send","chat_id":"chat_nope","text":"hi"}',
			'{"type":"chat.cancel"}',
			'{"type":"chat.history","chat_id":"x","limit":100000}',
			`{"type":"chat.history","chat_id":"${chat.id}","before":"\u0000"}`,
			`{"type":"ping","id":${deep(20_000)}}`,
			'{"__proto__":{"type":"ping"}}',
			new Uint8Array([1, 2, 3]),
		];
		const ws = new WebSocket(`${deployment.url.replace("http", "ws")}/api/ws`, [
			"sparky.v1",
			`sparky.auth.${user.token}`,
		]);
		const answers: { type: string; code?: string }[] = [];
		let closeCode: number | undefined;
		ws.addEventListener("message", (m) => answers.push(...(JSON.parse(String(m.data)) as { type: string }[])));
		ws.addEventListener("close", (e) => {
			closeCode = e.code;
		});
		await new Promise((r) => ws.addEventListener("open", r, { once: true }));
		for (const frame of frames) ws.send(typeof frame === "string" ? frame : new Uint8Array(frame));
		const errors = () => answers.filter((a) => a.type === "error").length;
		await eventually(() => errors() >= frames.length, 20_000, 50);
		const stillOpen = ws.readyState === WebSocket.OPEN;
		ws.send('{"type":"ping","id":"after"}');
		await eventually(() => answers.some((a) => a.type === "pong"), 5000, 50);
		// Too big: closed with 1009, as documented.
		ws.send(JSON.stringify({ type: "ping", id: "x", pad: "y".repeat(70_000) }));
		await eventually(() => closeCode !== undefined, 5000, 50);
		report("fuzz: WebSocket frames", {
			frames_tried: frames.length + 1,
			error_frames: errors(),
			codes: [...new Set(answers.filter((a) => a.type === "error").map((a) => a.code))],
			open_after_bad_frames: stillOpen,
			oversized_close_code: closeCode,
		});
		expect(errors()).toBe(frames.length);
		expect(stillOpen).toBe(true);
		expect(closeCode).toBe(1009);
	});

	it("http_fetch refuses loopback, private, link-local and metadata addresses, also behind a redirect", async () => {
		const user = await admin.user("fuzz-ssrf");
		const userApi = admin.with(user.token);
		const targets = [
			`http://127.0.0.1:${forbiddenPort}/direct`,
			"http://169.254.169.254/latest/meta-data/",
			"http://10.0.0.1/",
			"http://[::1]/",
			"http://localhost:8787/api/me",
			"http://2130706433/",
			`http://127.0.0.1:${redirectorPort}/redirect`,
		];
		const results: string[] = [];
		for (const target of targets) results.push((await toolResultsOf(userApi, `Fetch ${target}`))[0] ?? "");
		report("http_fetch refusals", {
			targets: targets.length,
			refused: results.filter((r) => r.includes('"error"')).length,
			internal_requests_made: forbiddenHits,
		});
		for (const result of results)
			expect(result).toMatch(/"error":".*(loopback|private|link-local|metadata|not allowed|refused|reserved)/i);
		expect(forbiddenHits).toBe(0);
	});
});

describe("workspace paths", () => {
	it("the file tools refuse paths that leave the workspace, and nothing lands outside it", async () => {
		const user = await admin.user("fuzz-paths");
		const userApi = admin.with(user.token);
		const hostile = [
			"Write ../outside.md with: pwned",
			"Write notes/../../escape.md with: pwned",
			"Read ../../etc/passwd.txt",
			"Read /../../../root.md",
			"Delete ../../README.md",
		];
		const refusals: string[] = [];
		for (const instruction of hostile) refusals.push(...(await toolResultsOf(userApi, instruction)));
		const listing = (await toolResultsOf(userApi, "List files in the workspace")).join("\n");
		report("workspace path traversal", {
			instructions: hostile.length,
			tool_results: refusals.length,
			refused: refusals.filter((r) => r.includes("escapes the workspace")).length,
			files_outside: ["outside.md", "escape.md"].filter((name) => listing.includes(name)).length,
		});
		expect(refusals).toHaveLength(hostile.length);
		for (const result of refusals) expect(result).toMatch(/"error":".*escapes the workspace/);
		expect(listing).not.toMatch(/outside\.md|escape\.md/);
	});
});

describe("auth matrix", () => {
	it("every route and the socket × {no token, malformed, expired, revoked, other user's, user on admin route, admin}", async () => {
		const owner = await admin.user("matrix-owner");
		const other = await admin.user("matrix-other");
		const revoked = await admin.user("matrix-revoked");
		const expiring = await admin.post<{ token: string }>("/api/users/matrix-owner/tokens", {
			name: "short",
			expires_in: 1,
		});
		for (const s of [owner.token, other.token, revoked.token, expiring.body.token]) secrets.add(s);
		await admin.call("DELETE", `/api/tokens/${revoked.tokenId}`);
		await new Promise((r) => setTimeout(r, 1200));
		const ownerApi = admin.with(owner.token);
		const task = (await ownerApi.post<{ task: { id: string } }>("/api/tasks", { instruction: "what time is it" })).body
			.task;
		const chat = (await ownerApi.post<{ chat: { id: string } }>("/api/chats", {})).body.chat;
		await ownerApi.post("/api/schedules", { name: "mine", instruction: "x", every: "1d" });

		const credentials: Record<string, string | undefined> = {
			none: undefined,
			malformed: "Bearer",
			expired: `Bearer ${expiring.body.token}`,
			revoked: `Bearer ${revoked.token}`,
			other_user: `Bearer ${other.token}`,
			owner: `Bearer ${owner.token}`,
			admin: `Bearer ${deployment.adminToken}`,
		};
		const ownerPaths: Route[] = [
			{ method: "GET", path: `/api/tasks/${task.id}` },
			{ method: "GET", path: `/api/tasks/${task.id}/events` },
			{ method: "GET", path: `/api/chats/${chat.id}` },
			{ method: "GET", path: `/api/chats/${chat.id}/messages` },
			{ method: "GET", path: "/api/schedules/mine" },
		];
		const ownRoutes: Route[] = [
			{ method: "GET", path: "/api/me" },
			{ method: "GET", path: "/api/tasks" },
			{ method: "GET", path: "/api/chats" },
			{ method: "GET", path: "/api/schedules" },
			{ method: "GET", path: "/api/agent/status" },
			{ method: "POST", path: "/api/ws-ticket" },
		];
		const adminRoutes: Route[] = [
			{ method: "GET", path: "/api/users" },
			{ method: "GET", path: "/api/users/matrix-owner/tokens" },
			{ method: "POST", path: "/api/users/matrix-owner/events" },
		];
		const expected = (kind: "owned" | "own" | "admin", who: string): number[] => {
			if (["none", "malformed", "expired", "revoked"].includes(who)) return [401];
			if (kind === "admin") return who === "admin" ? [200, 201, 400] : [403];
			if (kind === "owned") {
				if (who === "other_user") return [404];
				// Admins see tasks; chats and schedules are strictly their owner's.
				return who === "admin" ? [200, 404] : [200];
			}
			return [200, 201];
		};
		let cells = 0;
		const wrong: string[] = [];
		for (const [kind, routes] of [
			["owned", ownerPaths],
			["own", ownRoutes],
			["admin", adminRoutes],
		] as const) {
			for (const route of routes) {
				for (const [who, header] of Object.entries(credentials)) {
					cells++;
					const res = await fetch(`${deployment.url}${route.path}`, {
						method: route.method,
						headers: header ? { Authorization: header } : {},
						body: route.method === "POST" ? "{}" : undefined,
					});
					const text = await res.text();
					if (!expected(kind, who).includes(res.status))
						wrong.push(`${who} ${route.method} ${route.path} → ${res.status}`);
					for (const secret of secrets) if (text.includes(secret)) wrong.push(`secret echoed by ${route.path}`);
				}
			}
		}
		// The socket: the same credentials as sub-protocols (a raw handshake: fetch won't send Upgrade).
		for (const [who, header] of Object.entries(credentials)) {
			cells++;
			const token = header?.replace(/^Bearer\s*/, "");
			const status = await upgradeStatus(
				deployment.url,
				"/api/ws",
				token ? `sparky.v1, sparky.auth.${token}` : undefined,
			);
			const shouldOpen = ["owner", "other_user", "admin"].includes(who);
			if (shouldOpen ? status !== 101 : status !== 401) wrong.push(`socket ${who} → ${status}`);
		}
		// A ticket opens one socket, once.
		const ticket = (await ownerApi.post<{ ticket: string }>("/api/ws-ticket")).body.ticket;
		secrets.add(ticket);
		const first = new TrackedSocket(deployment.url, "");
		const url = `${deployment.url.replace("http", "ws")}/api/ws?ticket=${ticket}`;
		const opened = await new Promise<boolean>((resolve) => {
			const ws = new WebSocket(url);
			ws.addEventListener("open", () => {
				ws.close();
				resolve(true);
			});
			ws.addEventListener("error", () => resolve(false));
		});
		const reused = await upgradeStatus(deployment.url, `/api/ws?ticket=${ticket}`);
		first.close();
		report("auth matrix", { cells, wrong: wrong.length, ticket_first_use_opened: opened, ticket_reuse_status: reused });
		expect(wrong, wrong.join("\n")).toEqual([]);
		expect(opened).toBe(true);
		expect(reused).toBe(401);
	});

	it("no token, ticket or key appears in any log line or event", async () => {
		// Everything the servers printed so far, and everything stored for the users above.
		const leaksInLogs = [...secrets].filter((s) => deployment.logs.includes(s)).length;
		let leaksInEvents = 0;
		let scannedBytes = 0;
		for (const id of ["fuzz-user", "matrix-owner", "agent"]) {
			const { token } = (await admin.post<{ token: string }>(`/api/users/${id}/tokens`, { name: "scan" })).body;
			let text = "";
			const ws = new WebSocket(`${deployment.url.replace("http", "ws")}/api/ws?since=0`, [
				"sparky.v1",
				`sparky.auth.${token}`,
			]);
			ws.addEventListener("message", (m) => {
				text += String(m.data);
			});
			// The scan only means something if the whole log was read.
			expect(await eventually(() => text.includes("replay.done"), 10_000, 50)).toBe(true);
			ws.close();
			scannedBytes += text.length;
			leaksInEvents += [...secrets].filter((s) => text.includes(s)).length;
		}
		report("secrets", {
			secrets_checked: secrets.size,
			log_bytes: deployment.logs.length,
			event_bytes_scanned: scannedBytes,
			leaks_in_logs: leaksInLogs,
			leaks_in_events: leaksInEvents,
		});
		expect(leaksInLogs).toBe(0);
		expect(leaksInEvents).toBe(0);
	});
});

/** The status of a WebSocket handshake, made by hand on a TCP socket. */
function upgradeStatus(baseUrl: string, path: string, protocols?: string): Promise<number> {
	const { hostname, port } = new URL(baseUrl);
	return new Promise((resolve) => {
		const socket = connect(Number(port), hostname, () => {
			socket.write(
				[
					`GET ${path} HTTP/1.1`,
					`Host: ${hostname}:${port}`,
					"Upgrade: websocket",
					"Connection: Upgrade",
					"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
					"Sec-WebSocket-Version: 13",
					...(protocols ? [`Sec-WebSocket-Protocol: ${protocols}`] : []),
					"",
					"",
				].join("\r\n"),
			);
		});
		socket.once("data", (chunk) => {
			resolve(Number(chunk.toString().slice(9, 12)));
			socket.destroy();
		});
		socket.on("error", () => resolve(0));
	});
}
