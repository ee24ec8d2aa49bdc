// Time to first token with a 20-page PDF attached (issue #25), on wrangler dev with the demo model
// (no model time: what is measured is Sparky's own work before the model speaks). Three cases,
// each a real task through the API, queue and runner, the same instruction each time:
//   none:   no attachment (the baseline);
//   first:  a PDF never read before (a fresh upload each sample): its text is extracted (PDF.js,
//           loaded on the isolate's first PDF), kept in R2, then given to the model;
//   kept:   the same PDF again: its kept text is read, nothing is extracted.
// First token: the run's first streamed model output (reasoning or text), from the event's `ts`
// (stamped by the runner) minus the task's created_at (stamped by the POST): both the Worker's clock.
import { PDFDocument, StandardFonts } from "pdf-lib";
import { fmt, percentile, table } from "./lib/stats.mjs";

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);
const INSTRUCTION = "Summarise the attached file";

/** A PDF of `pages` pages of prose, 40 lines each (about 2,500 characters a page). */
async function pdfOf(pages, seed) {
	const doc = await PDFDocument.create();
	const font = await doc.embedFont(StandardFonts.Helvetica);
	for (let p = 1; p <= pages; p++) {
		const page = doc.addPage([595, 842]);
		for (let line = 0; line < 40; line++) {
			const text = `Page ${p}, line ${line + 1} of report ${seed}: the tide rose over the harbour wall again today.`;
			page.drawText(text, { x: 40, y: 800 - line * 19, size: 10, font });
		}
	}
	return doc.save();
}

async function call(url, token, path, body) {
	const res = await fetch(`${url}${path}`, {
		method: body === undefined ? "GET" : "POST",
		headers: {
			Authorization: `Bearer ${token}`,
			...(body === undefined ? {} : { "Content-Type": "application/json" }),
		},
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
	return res.json();
}

async function upload(url, token, name, bytes) {
	const res = await fetch(`${url}/api/files?name=${encodeURIComponent(name)}`, {
		method: "POST",
		headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/pdf" },
		body: bytes,
	});
	if (res.status !== 201) throw new Error(`upload: ${res.status} ${await res.text()}`);
	return (await res.json()).file;
}

/** Runs one task to its end; ms from its creation to its first streamed model output. */
async function firstToken(url, token, attachments) {
	const { task } = await call(url, token, "/api/tasks", {
		instruction: INSTRUCTION,
		allow_duplicates: true,
		...(attachments.length ? { attachments } : {}),
	});
	for (;;) {
		const { task: now } = await call(url, token, `/api/tasks/${task.id}`);
		if (TERMINAL.has(now.status)) {
			if (now.status !== "succeeded") throw new Error(`task ${task.id} ${now.status}: ${now.error ?? ""}`);
			break;
		}
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
	const { events } = await call(url, token, `/api/tasks/${task.id}/events?limit=1000`);
	const first = events.find((e) => e.type === "REASONING_MESSAGE_CONTENT" || e.type === "TEXT_MESSAGE_CONTENT");
	if (!first) throw new Error(`task ${task.id}: no model output`);
	return first.ts - task.created_at;
}

/** @param {{ url: string; adminToken: string; samples?: number; pages?: number; log?: (line: string) => void }} options */
export async function runAttachmentsBench({ url, adminToken, samples = 10, pages = 20, log = () => {} }) {
	const userId = `bench-attach-${Date.now().toString(36)}`;
	await call(url, adminToken, "/api/users", { id: userId });
	const { token } = await call(url, adminToken, `/api/users/${userId}/tokens`, { name: "bench" });
	const bytes = await pdfOf(pages, 0);
	log(`  a ${pages}-page PDF: ${fmt(bytes.length / 1024, 0)} KiB`);
	// Apart: the isolate's first task, then its first PDF, which loads PDF.js (once per isolate).
	await firstToken(url, token, []);
	const coldMs = await firstToken(url, token, [(await upload(url, token, "cold.pdf", await pdfOf(pages, -1))).id]);

	const cases = { none: [], first: [], kept: [] };
	for (let i = 0; i < samples; i++) {
		const file = await upload(url, token, `report-${i}.pdf`, await pdfOf(pages, i + 1));
		cases.none.push(await firstToken(url, token, []));
		cases.first.push(await firstToken(url, token, [file.id]));
		cases.kept.push(await firstToken(url, token, [file.id]));
	}
	return { pages, kib: bytes.length / 1024, samples, cases, coldMs };
}

export function attachmentsReport({ pages, kib, samples, cases, coldMs }) {
	const rows = Object.entries(cases).map(([name, ms]) => ({
		case: name,
		"p50 ms": fmt(percentile(ms, 50), 0),
		"p95 ms": fmt(percentile(ms, 95), 0),
		"× none": fmt(percentile(ms, 50) / percentile(cases.none, 50), 1),
	}));
	return [
		`\nTime to first token, ${pages}-page PDF attached (${fmt(kib, 0)} KiB, ${samples} samples each, demo model)`,
		table(rows),
		`the isolate's first PDF (PDF.js loaded, then extracted): ${fmt(coldMs, 0)} ms, once`,
	].join("\n");
}
