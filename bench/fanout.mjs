// Fan-out through the real hub (auth, seq, persistence) vs the RawHub anchor, same run,
// same machine. Events carry the publisher's send time, so latency is publish → receive.
import { now, percentile } from "./lib/stats.mjs";

/** Opens `count` sockets (a few at a time), each counting events and recording latency. */
async function openSockets({ count, open }) {
	const sockets = [];
	const latencies = [];
	let received = 0;
	const waiters = new Set();
	const onItems = (items) => {
		const at = now();
		for (const item of items) {
			if (item.value?.t0 === undefined) continue;
			received++;
			latencies.push(at - item.value.t0);
		}
		for (const waiter of waiters) waiter();
	};
	for (let i = 0; i < count; i += 50) {
		const batch = Array.from({ length: Math.min(50, count - i) }, () => open());
		for (const ws of batch) ws.addEventListener("message", (m) => onItems(JSON.parse(m.data)));
		await Promise.all(
			batch.map(
				(ws) =>
					new Promise((resolve, reject) => {
						ws.addEventListener("open", resolve, { once: true });
						ws.addEventListener("error", () => reject(new Error("socket failed to open")), { once: true });
					}),
			),
		);
		sockets.push(...batch);
	}
	return {
		sockets,
		latencies,
		received: () => received,
		reset() {
			received = 0;
			latencies.length = 0;
		},
		/** Resolves when `expected` events arrived, or after `timeoutMs` with what did. */
		until(expected, timeoutMs) {
			return new Promise((resolve) => {
				const done = () => {
					if (received < expected) return;
					waiters.delete(done);
					clearTimeout(timer);
					resolve({ at: now(), complete: true });
				};
				const timer = setTimeout(() => {
					waiters.delete(done);
					resolve({ at: now(), complete: false });
				}, timeoutMs);
				waiters.add(done);
				done();
			});
		},
		close() {
			for (const ws of sockets) ws.close();
		},
	};
}

/**
 * One measurement: `calls` publish calls of `batch` events each, sequentially, to `sockets`
 * open sockets. Returns events delivered per second and publish → receive latency.
 */
async function measure({ group, publish, sockets, calls, batch }) {
	group.reset();
	const expected = sockets * calls * batch;
	const started = now();
	const finished = group.until(expected, 120_000);
	for (let i = 0; i < calls; i++) {
		const t0 = now();
		await publish(Array.from({ length: batch }, (_, j) => ({ type: "CUSTOM", name: "bench", value: { t0, i, j } })));
	}
	const { at } = await finished;
	return {
		delivered: group.received(),
		expected,
		eventsPerSec: group.received() / ((at - started) / 1000),
		p50: percentile(group.latencies, 50),
		p99: percentile(group.latencies, 99),
	};
}

export async function runFanout({ url, adminToken, userToken, userId, sockets, calls, batch }) {
	const ws = url.replace(/^http/, "ws");
	const post = (path) => async (events) => {
		const res = await fetch(`${url}${path}`, {
			method: "POST",
			headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
			body: JSON.stringify(events),
		});
		if (!res.ok) throw new Error(`publish ${path}: ${res.status} ${await res.text()}`);
		await res.arrayBuffer();
	};
	const results = {};
	for (const kind of ["raw", "hub"]) {
		const group = await openSockets({
			count: sockets,
			open: () =>
				kind === "hub"
					? new WebSocket(`${ws}/api/ws`, ["sparky.v1", `sparky.auth.${userToken}`])
					: new WebSocket(`${ws}/raw/ws`),
		});
		const publish = post(kind === "hub" ? `/bench/publish/${userId}` : "/raw/publish");
		await measure({ group, publish, sockets, calls: 3, batch }); // warm-up
		results[kind] = await measure({ group, publish, sockets, calls, batch });
		group.close();
		await new Promise((r) => setTimeout(r, 500));
	}
	return results;
}
