import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../src/hub/rate-limit.ts";
import type { Chat } from "../../src/protocol/index.ts";
import { api, json, newUser } from "../support/api.ts";
import { connect } from "../support/sockets.ts";

describe("per-user rate limits", () => {
	it("refills a token bucket at its rate", () => {
		const bucket = new TokenBucket(60, 2, 0);
		expect(bucket.take(0)).toEqual({ ok: true });
		expect(bucket.take(0)).toEqual({ ok: true });
		expect(bucket.take(0)).toEqual({ ok: false, retryAfterMs: 1000 });
		expect(bucket.take(500)).toEqual({ ok: false, retryAfterMs: 500 });
		expect(bucket.take(1000)).toEqual({ ok: true });
	});

	it("answers a flood of new tasks with 429 and Retry-After, and leaves other users alone", async () => {
		const [flooder, bystander] = await Promise.all([newUser(), newUser()]);
		const statuses: number[] = [];
		let limited: Response | undefined;
		const started = Date.now();
		for (let i = 0; i < 35; i++) {
			const res = await api("/api/tasks", {
				token: flooder.token,
				body: { instruction: `write f${i}.txt with: ${i}`, allow_duplicates: true },
			});
			statuses.push(res.status);
			if (res.status === 429) limited ??= res;
		}
		// The burst (SPARKY_RATE_TASKS_BURST = 30), plus what the bucket refilled while the loop ran
		// (SPARKY_RATE_TASKS_PER_MINUTE = 60: one a second); a slow machine takes longer, no more.
		const refilled = Math.floor((Date.now() - started) / 1000);
		const accepted = statuses.filter((s) => s === 201).length;
		expect(accepted).toBeGreaterThanOrEqual(30);
		expect(accepted).toBeLessThanOrEqual(30 + refilled);
		expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
		expect(Number(limited?.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
		expect((await json<{ error: { code: string } }>(limited as Response)).error.code).toBe("rate_limited");
		// Nothing refused was stored.
		const stored = await env.DB.prepare("SELECT count(*) AS n FROM tasks WHERE user_id = ?")
			.bind(flooder.id)
			.first<{ n: number }>();
		expect(stored?.n).toBe(accepted);
		expect((await api("/api/tasks", { token: bystander.token, body: { instruction: "what time is it" } })).status).toBe(
			201,
		);
	});

	it("limits chat messages over the socket too, with an error frame", async () => {
		const user = await newUser();
		const { chat } = await json<{ chat: Chat }>(api("/api/chats", { token: user.token, body: {} }));
		const tab = await connect({ token: user.token });
		await tab.untilControl("session");
		for (let i = 0; i < 12; i++) tab.send({ type: "chat.send", id: `m${i}`, chat_id: chat.id, text: `hello ${i}` });
		await tab.until(
			() => tab.controls.filter((c) => c.type === "ack" || c.type === "error").length >= 12,
			"12 answers",
			15_000,
		);
		const errors = tab.controls.filter((c) => c.type === "error") as {
			code: string;
			details?: { retry_after_ms: number };
		}[];
		expect(tab.controls.filter((c) => c.type === "ack")).toHaveLength(10); // SPARKY_RATE_CHAT_BURST
		expect(errors.map((e) => e.code)).toEqual(["rate_limited", "rate_limited"]);
		expect(errors[0]?.details?.retry_after_ms).toBeGreaterThan(0);
		tab.close();
	});
});

describe("hostile JSON", () => {
	it("refuses deeply nested bodies with 400, not a crash", async () => {
		const user = await newUser();
		const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
		const res = await api("/api/tasks", {
			token: user.token,
			body: `{"instruction":"x","metadata":{"a":${deep}}}`,
		});
		expect(res.status).toBe(400);
		expect((await json<{ error: { message: string } }>(res)).error.message).toContain("nests deeper");
		expect((await api("/api/me", { token: user.token })).status).toBe(200);
	});

	it("refuses deeply nested frames with an error frame", async () => {
		const user = await newUser();
		const tab = await connect({ token: user.token });
		await tab.untilControl("session");
		tab.send(`{"type":"ping","id":${"[".repeat(5000)}${"]".repeat(5000)}}`);
		await tab.untilControl("error");
		expect(tab.control("error")).toMatchObject({ code: "validation_failed", message: "frame nests too deeply" });
		tab.close();
	});
});
