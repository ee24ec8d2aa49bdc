import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api, eventually } from "./support/api.ts";
import { RawSocket } from "./support/raw-socket.ts";
import { report } from "./support/report.ts";
import { Deployment } from "./support/server.ts";
import { type SeenEvent, TrackedSocket } from "./support/tracked-socket.ts";

let deployment: Deployment;
let admin: Api;
beforeAll(async () => {
	deployment = new Deployment();
	await deployment.start();
	admin = new Api(deployment.url, deployment.adminToken);
});
afterAll(async () => {
	await deployment?.dispose();
});

const percentile = (values: number[], p: number) => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

/** Publishes `count` notices of `size` bytes; returns publish → receive latencies (from `latencies`, filled by the watcher). */
async function notices(userId: string, latencies: Map<number, number>, count: number, size: number) {
	const sentAt = new Map<number, number>();
	const base = latencies.size;
	for (let n = base; n < base + count; n++) {
		sentAt.set(n, Date.now());
		const res = await admin.post(`/api/users/${userId}/events`, { name: "bp", value: { n, pad: "x".repeat(size) } });
		expect(res.status).toBe(201);
	}
	await eventually(() => latencies.size >= base + count, 30_000, 20);
	return [...sentAt].map(([n, at]) => (latencies.get(n) ?? Number.NaN) - at);
}

describe("a slow consumer", () => {
	it("is closed with 4008 once its buffer passes the limit, without slowing the others, and resumes from its seq", async () => {
		const user = await admin.user("slowpoke");
		const arrived = new Map<number, number>();
		const watcher = new TrackedSocket(deployment.url, user.token, (_s, e: SeenEvent) => {
			const n = (e.value as { n?: number } | undefined)?.n;
			if (typeof n === "number") arrived.set(n, Date.now());
		});
		await watcher.open();

		const baseline = await notices(user.id, arrived, 40, 100);
		const slow = await RawSocket.open(deployment.url, user.token);
		slow.pause();
		// ~12 MB in 32 KiB notices: far past the kernel buffers and the hub's 4 MiB limit.
		const during = await notices(user.id, arrived, 400, 32 * 1024);
		slow.resume();
		const closed = await eventually(() => slow.closeCode !== undefined, 30_000, 50);
		slow.destroy();

		// It comes back with its last seq and gets everything after it.
		const back = new TrackedSocket(deployment.url, user.token);
		await back.open({ since: 0 });
		back.close();
		watcher.close();
		report("slow consumer", {
			close_code: slow.closeCode,
			frames_read_before_close: slow.frames,
			bytes_read_by_slow_socket: slow.bytesRead,
			other_socket_p50_ms_before: percentile(baseline, 50),
			other_socket_p99_ms_before: percentile(baseline, 99),
			other_socket_p50_ms_during: percentile(during, 50),
			other_socket_p99_ms_during: percentile(during, 99),
			resumed_events: back.received,
		});
		expect(closed).toBe(true);
		expect(slow.closeCode).toBe(4008);
		expect(during.every((ms) => Number.isFinite(ms))).toBe(true);
		expect(back.received).toBe(440);
		expect(back.gaps + back.duplicates).toBe(0);
	});
});

describe("a flood from one user", () => {
	it("is rate limited (429 + Retry-After) while another user's requests go through", async () => {
		const [flooder, bystander] = await Promise.all([admin.user("flooder"), admin.user("bystander")]);
		const flood = admin.with(flooder.token);
		const calm = admin.with(bystander.token);
		const statuses: number[] = [];
		let retryAfter: string | null = null;
		const calmLatencies: number[] = [];
		const calmStatuses: number[] = [];
		await Promise.all([
			(async () => {
				for (let i = 0; i < 300; i++) {
					const res = await flood.post("/api/tasks", {
						instruction: `write f${i}.txt with: ${i}`,
						allow_duplicates: true,
					});
					statuses.push(res.status);
					if (res.status === 429) retryAfter ??= res.headers.get("Retry-After");
				}
			})(),
			(async () => {
				for (let i = 0; i < 10; i++) {
					const started = Date.now();
					const res = await calm.post("/api/tasks", {
						instruction: `write c${i}.txt with: ${i}`,
						allow_duplicates: true,
					});
					calmStatuses.push(res.status);
					calmLatencies.push(Date.now() - started);
				}
			})(),
		]);
		report("rate limit under a flood", {
			flood_requests: statuses.length,
			flood_accepted: statuses.filter((s) => s === 201).length,
			flood_429: statuses.filter((s) => s === 429).length,
			retry_after_s: retryAfter,
			other_user_accepted: calmStatuses.filter((s) => s === 201).length,
			other_user_p50_ms: percentile(calmLatencies, 50),
			other_user_max_ms: Math.max(...calmLatencies),
		});
		expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(200);
		expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
		expect(calmStatuses.every((s) => s === 201)).toBe(true);
	});
});
