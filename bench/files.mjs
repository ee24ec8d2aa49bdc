// Uploads on a real `wrangler dev` with its local R2 (issue #25), beside baselines from the same run:
//   throughput: a 25 MiB upload (raw with Content-Length, raw chunked, a multipart form) against
//               a 1 MiB upload, the same 25 MiB refused unread by the Worker (the bytes' journey
//               alone: client → wrangler's proxy → workerd), and the floor: a Worker that only
//               does `env.FILES.put(key, request.body)`;
//   memory:     the resident memory (VmRSS) of the Worker's workerd process, sampled every 10 ms,
//               on a fresh server per case (RSS never shrinks, so a case after another would
//               inherit its pages): how much one upload, and four at once, raise it above the
//               warm server's, against the floor Worker's figure for the same bytes (local R2
//               lives in that process too, and costs memory of its own).
// Its own servers (the bench Worker has no FILES bucket). `node bench/files.mjs` alone, or
// `BENCH_ONLY=files npm run bench`.
import "../scripts/lib/node-check.mjs";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDevServer } from "../scripts/lib/dev-server.mjs";
import { fmt, now, percentile, table } from "./lib/stats.mjs";

const MIB = 1024 * 1024;
const RUNS = 5;

/**
 * The floors: the least a Worker can do with an upload, a streamed PUT of the body into R2
 * (`/`), and the same with every chunk passed through JavaScript on its way (`/js`: what
 * looking at the bytes at all costs, before hashing or counting them).
 */
const FLOOR_WORKER = `export default {
	async fetch(request, env) {
		const key = "floor/" + crypto.randomUUID();
		let body = request.body;
		if (new URL(request.url).pathname === "/js") {
			const fixed = new FixedLengthStream(Number(request.headers.get("Content-Length")));
			request.body.pipeThrough(new TransformStream()).pipeTo(fixed.writable);
			body = fixed.readable;
		}
		await env.FILES.put(key, body);
		await env.FILES.delete(key);
		return new Response("{}", { status: 201 });
	},
};`;

function floorConfig(dir) {
	writeFileSync(join(dir, "floor.js"), FLOOR_WORKER);
	// startDevServer applies schema.sql to a DB binding first: the floor has one it never uses.
	writeFileSync(
		join(dir, "floor.toml"),
		[
			'name = "sparky-bench-floor"',
			'main = "floor.js"',
			'compatibility_date = "2026-11-01"',
			"[[r2_buckets]]",
			'binding = "FILES"',
			'bucket_name = "floor"',
			"[[d1_databases]]",
			'binding = "DB"',
			'database_name = "floor"',
			'database_id = "00000000-0000-0000-0000-000000000000"',
		].join("\n"),
	);
	return join(dir, "floor.toml");
}

/** The workerd process that runs the Worker (not wrangler's proxy, which holds the public port). */
function workerProcess(server) {
	const pids = execFileSync("pgrep", ["-g", String(server.pid)], { encoding: "utf8" })
		.trim()
		.split("\n");
	const listening = execFileSync("ss", ["-ltnpH"], { encoding: "utf8" });
	const pid = pids.find(
		(p) =>
			readFileSync(`/proc/${p}/comm`, "utf8").trim() === "workerd" &&
			!new RegExp(`:${server.port}\\s.*pid=${p},`).test(listening),
	);
	if (!pid) throw new Error("no workerd process of the Worker found");
	return pid;
}

const rssMiB = (pid) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024;

/** Runs `fn` while sampling `pid`'s RSS every 10 ms: the RSS before, and the most it reached. */
async function sampled(pid, fn) {
	const before = rssMiB(pid);
	let peak = before;
	const timer = setInterval(() => {
		peak = Math.max(peak, rssMiB(pid));
	}, 10);
	try {
		await fn();
		return { before, peak: Math.max(peak, rssMiB(pid)) };
	} finally {
		clearInterval(timer);
	}
}

/** A server (Sparky's wrangler.toml, or the floor's) with a user and its upload function. */
async function serve(config, state) {
	const adminToken = `bench_${randomBytes(24).toString("base64url")}`;
	const server = await startDevServer({
		config,
		persistTo: mkdtempSync(join(state, "s-")),
		adminToken,
		// Measure uploads, not the rate or the quota.
		vars: {
			SPARKY_RATE_FILES_PER_MINUTE: "100000",
			SPARKY_RATE_FILES_BURST: "100000",
			SPARKY_FILES_QUOTA_MB: "100000",
		},
	});
	let auth = {};
	if (!config) {
		const post = (path, body) =>
			fetch(`${server.url}${path}`, {
				method: "POST",
				headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
				body: JSON.stringify(body),
			}).then((r) => r.json());
		await post("/api/users", { id: "bench-files" });
		auth = { Authorization: `Bearer ${(await post("/api/users/bench-files/tokens", {})).token}` };
	}
	/** One upload of `kind`; the stored file is deleted after, so the next starts from the same state. */
	const upload = async (kind, bytes) => {
		const url = config ? `${server.url}/${kind === "js" ? "js" : ""}` : `${server.url}/api/files?name=bench.bin`;
		let body = bytes;
		const init = { method: "POST", headers: auth };
		if (kind === "form") {
			body = new FormData();
			body.append("file", new Blob([bytes]), "bench.bin");
		} else if (kind === "chunked") {
			body = new ReadableStream({
				start(controller) {
					for (let at = 0; at < bytes.length; at += 256 * 1024) controller.enqueue(bytes.subarray(at, at + 256 * 1024));
					controller.close();
				},
			});
			init.duplex = "half";
		}
		// Any other /api path refuses a body over 1 MiB unread: the bytes' journey alone.
		const target = kind === "transport" ? `${server.url}/api/bench-discard` : url;
		const res = await fetch(target, { ...init, body });
		const answer = await res.text();
		if (kind === "transport") {
			if (res.status !== 413) throw new Error(`transport: ${res.status}`);
			return;
		}
		if (res.status !== 201) throw new Error(`${kind} upload: ${res.status} ${answer}`);
		if (config) return;
		const { file } = JSON.parse(answer);
		if (file.size !== bytes.length) throw new Error(`${kind}: stored ${file.size} of ${bytes.length} bytes`);
		await fetch(`${server.url}/api/files/${file.id}`, { method: "DELETE", headers: auth });
	};
	// Warm: the Worker's code compiled, the R2 store opened.
	for (let i = 0; i < 3; i++) await upload("raw", randomBytes(64 * 1024));
	return { server, upload, pid: workerProcess(server) };
}

/** Median time (ms) of RUNS uploads, and MiB/s. */
async function timed(upload, kind, bytes) {
	const ms = [];
	for (let i = 0; i < RUNS; i++) {
		const start = now();
		await upload(kind, bytes);
		ms.push(now() - start);
	}
	const median = percentile(ms, 50);
	return { ms: median, mbps: bytes.length / MIB / (median / 1000) };
}

export async function runFilesBench({ log = console.log } = {}) {
	const state = mkdtempSync(join(tmpdir(), "sparky-bench-files-"));
	const floor = floorConfig(state);
	const small = randomBytes(MIB);
	const large = randomBytes(25 * MIB);
	try {
		log("files bench: throughput");
		const throughput = {};
		let s = await serve(undefined, state);
		try {
			throughput.raw1 = await timed(s.upload, "raw", small);
			throughput.raw25 = await timed(s.upload, "raw", large);
			throughput.chunked25 = await timed(s.upload, "chunked", large);
			throughput.form25 = await timed(s.upload, "form", large);
			throughput.transport25 = await timed(s.upload, "transport", large);
		} finally {
			await s.server.stop();
		}
		s = await serve(floor, state);
		try {
			throughput.floor25 = await timed(s.upload, "raw", large);
			throughput.floorJs25 = await timed(s.upload, "js", large);
		} finally {
			await s.server.stop();
		}

		log("files bench: memory, a fresh server per case");
		const cases = [
			["Sparky", undefined, "raw", small, 1],
			["Sparky", undefined, "raw", large, 1],
			["Sparky", undefined, "chunked", large, 1],
			["Sparky", undefined, "form", large, 1],
			["Sparky", undefined, "raw", large, 4],
			["floor", floor, "raw", small, 1],
			["floor", floor, "raw", large, 1],
			["floor", floor, "raw", large, 4],
			["floor", floor, "js", large, 1],
			["floor", floor, "js", large, 4],
		];
		const memory = [];
		for (const [worker, config, kind, bytes, parallel] of cases) {
			const fresh = await serve(config, state);
			try {
				const m = await sampled(fresh.pid, () =>
					Promise.all(Array.from({ length: parallel }, () => fresh.upload(kind, bytes))),
				);
				memory.push({ worker, kind, mib: bytes.length / MIB, parallel, warm: m.before, growth: m.peak - m.before });
			} finally {
				await fresh.server.stop();
			}
		}
		return { throughput, memory };
	} finally {
		rmSync(state, { recursive: true, force: true });
	}
}

export function filesReport(r, log = console.log) {
	const t = r.throughput;
	log("\nUploads into local R2: median of 5 each");
	log(
		table(
			[
				["raw 1 MiB (Content-Length)", t.raw1],
				["raw 25 MiB (Content-Length)", t.raw25],
				["chunked 25 MiB (no length: R2 parts)", t.chunked25],
				["form 25 MiB (multipart)", t.form25],
				["25 MiB refused unread (transport only)", t.transport25],
				["floor: 25 MiB put by a bare Worker", t.floor25],
				["floor: the same through a JS TransformStream", t.floorJs25],
			].map(([upload, x]) => ({ upload, "median ms": fmt(x.ms, 0), "MiB/s": fmt(x.mbps, 1) })),
		),
	);
	log("\nThe Worker's workerd RSS on a fresh server: what one upload (or 4 at once) adds to the warm server's");
	log(
		table(
			r.memory.map((m) => ({
				worker: m.worker,
				upload: `${m.parallel > 1 ? `${m.parallel} × ` : ""}${m.kind === "js" ? "raw through JS" : m.kind} ${m.mib} MiB`,
				"warm RSS MiB": fmt(m.warm, 1),
				"growth MiB": fmt(m.growth, 1),
			})),
		),
	);
	const growth = (worker, kind, mib, parallel = 1) =>
		r.memory.find((m) => m.worker === worker && m.kind === kind && m.mib === mib && m.parallel === parallel)?.growth;
	return `files upload25_MiBps=${fmt(t.raw25.mbps, 1)} vs_1MiB=${fmt(t.raw25.mbps / t.raw1.mbps)} vs_floor=${fmt(t.raw25.mbps / t.floor25.mbps)} rss_growth_25MiB=${fmt(growth("Sparky", "raw", 25), 1)} floor=${fmt(growth("floor", "raw", 25), 1)} floor_js=${fmt(growth("floor", "js", 25), 1)} rss_growth_1MiB=${fmt(growth("Sparky", "raw", 1), 1)}`;
}

// Run on its own: `node bench/files.mjs`.
if (import.meta.url === `file://${process.argv[1]}`) {
	console.log(filesReport(await runFilesBench()));
}
