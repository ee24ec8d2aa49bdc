// Recall at 10,000 memories for one user, beside baselines from the same run:
//   recall: what a run's prompt gets (pinned memories, then the best FTS5 matches of its
//           text within the token budget), timed through the bench Worker's /bench/recall;
//   search: GET /api/memories?q= (the same ranking, a page of 20, through auth and JSON);
//   list:   GET /api/memories?limit=20 (an indexed SELECT of a page: the floor of a request).
// Recall is measured for a user with 100 memories before and after the 10,000 are loaded:
// the full-text index is one for all users, so others' memories cost a search too.
import { fmt, now, percentile, table } from "./lib/stats.mjs";

/** A small seeded generator, so every run searches the same memories with the same queries. */
function seeded(seed) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** Pronounceable words, drawn with a Zipf-like skew (a few common, most rare), as in real notes. */
function vocabulary(random, size) {
	const syllables = ["ka", "lo", "mi", "ren", "tu", "sa", "vel", "do", "ri", "an", "be", "kor", "ni", "pa", "zu", "el"];
	const words = new Set();
	while (words.size < size) {
		const n = 2 + Math.floor(random() * 3);
		words.add(Array.from({ length: n }, () => syllables[Math.floor(random() * syllables.length)]).join(""));
	}
	const list = [...words];
	const weights = list.map((_, i) => 1 / (i + 1));
	const total = weights.reduce((a, b) => a + b, 0);
	const cumulative = [];
	let sum = 0;
	for (const w of weights) {
		sum += w / total;
		cumulative.push(sum);
	}
	return () => {
		const r = random();
		let lo = 0;
		let hi = cumulative.length - 1;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if (cumulative[mid] < r) lo = mid + 1;
			else hi = mid;
		}
		return list[lo];
	};
}

async function call(url, path, { token, body, contentType = "application/json", method } = {}) {
	const res = await fetch(`${url}${path}`, {
		method: method ?? (body === undefined ? "GET" : "POST"),
		headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "Content-Type": contentType }) },
		body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
	});
	if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
	return res.json();
}

async function newUser(url, adminToken, id) {
	await call(url, "/api/users", { token: adminToken, body: { id } });
	return {
		id,
		token: (await call(url, `/api/users/${id}/tokens`, { token: adminToken, body: { name: "bench" } })).token,
	};
}

/** Timings (ms) of `fn` over each query, after a few unmeasured calls. */
async function timed(queries, fn) {
	for (const q of queries.slice(0, 20)) await fn(q);
	const ms = [];
	let found = 0;
	for (const q of queries) {
		const start = now();
		found += await fn(q);
		ms.push(now() - start);
	}
	return { p50: percentile(ms, 50), p95: percentile(ms, 95), p99: percentile(ms, 99), found: found / queries.length };
}

/**
 * @param {{ url: string, adminToken: string, memories?: number, small?: number, samples?: number }} options
 */
export async function runMemoryBench({ url, adminToken, memories = 10_000, small = 100, samples = 200 }) {
	const random = seeded(24);
	const word = vocabulary(random, 3_000);
	const sentence = (n) => Array.from({ length: n }, word).join(" ");
	const stamp = Date.now().toString(36);
	const few = await newUser(url, adminToken, `bench-mem-few-${stamp}`);
	const many = await newUser(url, adminToken, `bench-mem-many-${stamp}`);

	/** Imports `n` memories of 8-30 words, the first 5 pinned, in imports of 5,000 lines. */
	const load = async (user, n) => {
		const started = now();
		const base = Date.now() - n * 60_000;
		for (let from = 0; from < n; from += 5_000) {
			const lines = [];
			for (let i = from; i < Math.min(n, from + 5_000); i++) {
				const tags = random() < 0.3 ? [word()] : [];
				lines.push(
					JSON.stringify({
						text: sentence(8 + Math.floor(random() * 23)),
						tags,
						pinned: i < 5,
						created_at: base + i * 60_000,
					}),
				);
			}
			const result = await call(url, "/api/memories/import", {
				token: user.token,
				body: `${lines.join("\n")}\n`,
				contentType: "application/x-ndjson",
			});
			if (result.skipped.length > 0) throw new Error(`import skipped ${JSON.stringify(result.skipped.slice(0, 3))}`);
		}
		return (now() - started) / 1000;
	};
	// What a run recalls for: a chat message of 4-12 words.
	const queries = Array.from({ length: samples }, () => sentence(4 + Math.floor(random() * 9)));
	const recall = (user) => async (text) =>
		(await call(url, `/bench/recall/${user.id}`, { token: adminToken, body: { text, budget: 1_000 } })).ids.length;
	const search = (user) => async (q) =>
		(await call(url, `/api/memories?q=${encodeURIComponent(q)}&limit=20`, { token: user.token })).memories.length;
	const list = (user) => async () => (await call(url, "/api/memories?limit=20", { token: user.token })).memories.length;

	const loadFew = await load(few, small);
	const fewAlone = await timed(queries, recall(few));
	const loadMany = await load(many, memories);
	const manyRecall = await timed(queries, recall(many));
	const fewBeside = await timed(queries, recall(few));
	const manySearch = await timed(queries, search(many));
	const manyList = await timed(queries, list(many));
	return { memories, small, samples, loadFew, loadMany, fewAlone, fewBeside, manyRecall, manySearch, manyList };
}

/** Prints the figures; returns the summary line. */
export function memoryReport(r) {
	const row = (what, count, t) => ({
		what,
		memories: count,
		"p50 ms": fmt(t.p50),
		"p95 ms": fmt(t.p95),
		"p99 ms": fmt(t.p99),
		"found/query": fmt(t.found, 1),
	});
	console.log(
		`\nMemory recall (${r.samples} queries each; loaded ${r.small} in ${fmt(r.loadFew, 1)} s, ${r.memories} in ${fmt(r.loadMany, 1)} s by import)`,
	);
	console.log(
		table([
			row("recall, alone in the index", r.small, r.fewAlone),
			row("recall", r.memories, r.manyRecall),
			row("recall, beside the big user", r.small, r.fewBeside),
			row("GET ?q= search", r.memories, r.manySearch),
			row("GET page (indexed SELECT)", r.memories, r.manyList),
		]),
	);
	const vsSmall = r.manyRecall.p95 / r.fewAlone.p95;
	const vsPage = r.manyRecall.p95 / r.manyList.p95;
	console.log(
		`recall p95 at ${r.memories}: ${fmt(r.manyRecall.p95)} ms = ${fmt(vsSmall)}× recall at ${r.small}, ${fmt(vsPage)}× a plain page of the same user`,
	);
	return `memory_recall p95_ms=${fmt(r.manyRecall.p95)} vs_${r.small}=${fmt(vsSmall)} vs_page=${fmt(vsPage)}`;
}
