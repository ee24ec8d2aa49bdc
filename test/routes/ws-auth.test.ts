import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { adminToken, api, json, newUser } from "../support/api.ts";
import { connect, upgrade } from "../support/sockets.ts";

async function ticketFor(token: string): Promise<{ ticket: string; expires_at: number }> {
	const res = await api("/api/ws-ticket", { method: "POST", token });
	expect(res.status).toBe(201);
	return json(res);
}

async function expect401(res: Response): Promise<void> {
	expect(res.status).toBe(401);
	expect(res.webSocket).toBeNull();
	expect(await res.json()).toEqual({ error: { code: "unauthorized", message: expect.any(String) } });
}

describe("WebSocket authentication", () => {
	it("opens with the token in Sec-WebSocket-Protocol and answers with sparky.v1 only", async () => {
		const user = await newUser();
		const res = await upgrade({ token: user.token });
		expect(res.status).toBe(101);
		expect(res.headers.get("Sec-WebSocket-Protocol")).toBe("sparky.v1");
		res.webSocket?.accept();
		res.webSocket?.close();
	});

	it("opens with a single-use ticket, which can't be used twice", async () => {
		const user = await newUser();
		const { ticket, expires_at } = await ticketFor(user.token);
		expect(ticket).toMatch(/^tkt_/);
		expect(expires_at - Date.now()).toBeLessThanOrEqual(30_000);
		const tab = await connect({ ticket });
		await tab.untilControl("session");
		expect(tab.control("session")?.user_id).toBe(user.id);
		await expect401(await upgrade({ ticket }));
		tab.close();
	});

	it("refuses an expired ticket", async () => {
		const user = await newUser();
		const { ticket } = await ticketFor(user.token);
		await env.DB.prepare("UPDATE ws_tickets SET expires_at = 1").run();
		await expect401(await upgrade({ ticket }));
	});

	it("refuses a ticket whose token was revoked after it was issued", async () => {
		const user = await newUser();
		const { ticket } = await ticketFor(user.token);
		await api(`/api/tokens/${user.tokenId}`, { method: "DELETE", token: adminToken() });
		await expect401(await upgrade({ ticket }));
	});

	it("stores only a hash of tickets", async () => {
		const user = await newUser();
		const { ticket } = await ticketFor(user.token);
		const { results } = await env.DB.prepare("SELECT * FROM ws_tickets").all();
		expect(JSON.stringify(results)).not.toContain(ticket);
	});

	it("mints tickets at a rate: past the burst a 429 with Retry-After, and no row", async () => {
		const user = await newUser();
		const statuses: number[] = [];
		for (let i = 0; i < 32; i++)
			statuses.push((await api("/api/ws-ticket", { method: "POST", token: user.token })).status);
		// SPARKY_RATE_TICKETS_BURST: 30, refilled one a minute here (vitest.config.ts).
		expect(statuses.slice(0, 30).every((s) => s === 201)).toBe(true);
		expect(statuses.slice(30)).toEqual([429, 429]);
		const limited = await api("/api/ws-ticket", { method: "POST", token: user.token });
		expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
		const rows = await env.DB.prepare("SELECT count(*) AS n FROM ws_tickets WHERE user_id = ?")
			.bind(user.id)
			.first<{ n: number }>();
		expect(rows?.n).toBe(30);
	});

	it.each([
		["no credential", {}],
		["an unknown token", { token: "spk_unknown_unknown_unknown" }],
		["an unknown ticket", { ticket: "tkt_unknown" }],
		["an empty ticket", { query: "ticket=" }],
	])("answers %s with 401 JSON before any upgrade", async (_, options) => {
		const res = await upgrade(options);
		expect([400, 401]).toContain(res.status);
		expect(res.webSocket).toBeNull();
		if (res.status === 401) await expect401(res);
	});

	it("refuses a bad since or session_id with 400", async () => {
		const user = await newUser();
		for (const query of ["since=-1", "since=abc", "session_id=../../x"]) {
			const res = await upgrade({ token: user.token, query });
			expect(res.status).toBe(400);
			expect((await json<{ error: { code: string } }>(res)).error.code).toBe("validation_failed");
		}
	});

	it("asks for an upgrade (426) when a valid credential arrives without one", async () => {
		const user = await newUser();
		const res = await api("/api/ws", { token: user.token });
		expect(res.status).toBe(426);
		expect((await json<{ error: { code: string } }>(res)).error.code).toBe("upgrade_required");
	});

	it("a token only ever reaches its own user's hub", async () => {
		const [a, b] = await Promise.all([newUser(), newUser()]);
		// Whatever the client asks for, the hub is chosen from the credential alone.
		const tab = await connect({ token: a.token, query: `user=${b.id}&user_id=${b.id}` });
		await tab.untilControl("session");
		expect(tab.control("session")?.user_id).toBe(a.id);
		const spoof = await connect({
			token: a.token,
			headers: { "X-Sparky-Connect": JSON.stringify({ userId: b.id }) },
		});
		await spoof.untilControl("session");
		expect(spoof.control("session")?.user_id).toBe(a.id);
		tab.close();
		spoof.close();
	});

	it("closes a revoked token's open sockets with 4001", async () => {
		const user = await newUser();
		const viaProtocol = await connect({ token: user.token });
		const viaTicket = await connect({ ticket: (await ticketFor(user.token)).ticket });
		await Promise.all([viaProtocol.untilControl("session"), viaTicket.untilControl("session")]);
		const res = await json<{ sockets_closed: number }>(
			api(`/api/tokens/${user.tokenId}`, { method: "DELETE", token: adminToken() }),
		);
		expect(res.sockets_closed).toBe(2);
		expect((await viaProtocol.untilClosed()).code).toBe(4001);
		expect((await viaTicket.untilClosed()).code).toBe(4001);
	});

	it("closes a socket with 4001 once its token expires (alarm sweep)", async () => {
		const { runDurableObjectAlarm } = await import("cloudflare:test");
		const { hubObject } = await import("../support/hub.ts");
		const user = await newUser("user", { expires_in: 2 });
		const tab = await connect({ token: user.token });
		await tab.untilControl("session");
		await new Promise((r) => setTimeout(r, 2100));
		await runDurableObjectAlarm(hubObject(env, user.id));
		expect(await tab.untilClosed()).toEqual({ code: 4001, reason: "token expired" });
	});

	it("the admin secret opens the built-in admin user's hub", async () => {
		const tab = await connect({ token: adminToken() });
		await tab.untilControl("session");
		expect(tab.control("session")?.user_id).toBe("admin");
		tab.close();
	});
});
