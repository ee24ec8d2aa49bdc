// CPU profiles of the Worker (and its Durable Objects: one isolate under wrangler dev) over
// the DevTools protocol, for `BENCH_PROFILE=<file>`: what a benchmark's time is spent on.
import { writeFileSync } from "node:fs";

/** Connects to the inspector wrangler dev opens on `port` and returns start/stop. */
export async function cpuProfiler(port) {
	const targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json();
	const target = targets.find((t) => t.webSocketDebuggerUrl) ?? targets[0];
	// The inspector proxy wants an Origin it knows (a local one will do).
	const ws = new WebSocket(target.webSocketDebuggerUrl, { headers: { Origin: "http://127.0.0.1" } });
	await new Promise((resolve, reject) => {
		ws.onopen = resolve;
		ws.onerror = reject;
	});
	let id = 0;
	const waiting = new Map();
	ws.onmessage = (message) => {
		const data = JSON.parse(String(message.data));
		waiting.get(data.id)?.(data);
		waiting.delete(data.id);
	};
	const send = (method, params = {}) =>
		new Promise((resolve) => {
			waiting.set(++id, resolve);
			ws.send(JSON.stringify({ id, method, params }));
		});
	await send("Profiler.enable");
	return {
		start: () => send("Profiler.start"),
		/**
		 * Stops, writes the `.cpuprofile` (open it in Chrome DevTools) and returns the top self
		 * times and the CPU milliseconds spent inside functions named `name` (with what they call).
		 */
		async stop(file, name = "publish") {
			const { result } = await send("Profiler.stop");
			ws.close();
			writeFileSync(file, JSON.stringify(result.profile));
			return { top: topSelfTimes(result.profile), insideMs: inclusiveMs(result.profile, name) };
		},
	};
}

/** Self time per function (name and place), largest first, as shares of the sampled total. */
function topSelfTimes(profile, count = 25) {
	const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
	const hits = new Map();
	for (const sample of profile.samples) hits.set(sample, (hits.get(sample) ?? 0) + 1);
	const total = profile.samples.length;
	const byFunction = new Map();
	for (const [nodeId, n] of hits) {
		const { functionName, url, lineNumber } = byNode.get(nodeId).callFrame;
		const key = `${functionName || "(anonymous)"} ${url.split("/").slice(-2).join("/")}:${lineNumber + 1}`;
		byFunction.set(key, (byFunction.get(key) ?? 0) + n);
	}
	return [...byFunction]
		.sort((a, b) => b[1] - a[1])
		.slice(0, count)
		.map(([name, n]) => `${((100 * n) / total).toFixed(1).padStart(5)}%  ${name}`);
}

/** CPU ms sampled inside any frame of a function called `name` (each sample counted once). */
function inclusiveMs(profile, name) {
	const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
	const parent = new Map();
	for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
	const inside = new Map();
	const isInside = (id) => {
		if (inside.has(id)) return inside.get(id);
		const node = byNode.get(id);
		const up = parent.get(id);
		const answer = node.callFrame.functionName === name || (up !== undefined && isInside(up));
		inside.set(id, answer);
		return answer;
	};
	let ms = 0;
	profile.samples.forEach((id, i) => {
		if (isInside(id)) ms += (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
	});
	return ms;
}
