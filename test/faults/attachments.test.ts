import { PDFDocument, StandardFonts } from "pdf-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api, eventually } from "./support/api.ts";
import { Deployment } from "./support/server.ts";

/**
 * Attachments end to end (issue #25) on a real `wrangler dev` (local R2, D1, queue) with the
 * demo model, through the HTTP API only: a generated PDF is uploaded, attached to a task, and
 * its text is in the answer; after a crash the text extracted before is what the next run reads.
 */
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

type FileView = { id: string; name: string; type: string; size: number; attached: boolean };
type TaskView = { id: string; status: string; result: string | null; attachments?: FileView[] };

async function pdf(pages: string[][]): Promise<Uint8Array> {
	const doc = await PDFDocument.create();
	const font = await doc.embedFont(StandardFonts.Helvetica);
	for (const lines of pages) {
		const page = doc.addPage([595, 842]);
		lines.forEach((line, i) => {
			page.drawText(line, { x: 50, y: 780 - i * 20, size: 12, font });
		});
	}
	return doc.save();
}

async function upload(api: Api, name: string, bytes: Uint8Array, type: string): Promise<FileView> {
	const res = await fetch(`${api.baseUrl}/api/files?name=${encodeURIComponent(name)}`, {
		method: "POST",
		headers: { Authorization: `Bearer ${api.token}`, "Content-Type": type },
		body: new Blob([bytes as Uint8Array<ArrayBuffer>]),
	});
	const body = (await res.json()) as { file: FileView };
	expect(res.status, JSON.stringify(body)).toBe(201);
	return body.file;
}

async function taskEnded(api: Api, id: string): Promise<TaskView> {
	let task: TaskView | undefined;
	const ended = await eventually(async () => {
		task = (await api.get<{ task: TaskView }>(`/api/tasks/${id}`)).body.task;
		return ["succeeded", "failed", "cancelled"].includes(task.status);
	}, 60_000);
	expect(ended, `task ${id} still ${task?.status}`).toBe(true);
	return task as TaskView;
}

describe("attachments on a real wrangler dev", () => {
	it("an uploaded PDF attached to a task: its text reaches the answer; after a crash the kept text is read", async () => {
		const user = await admin.user("pdf-reader");
		const api = admin.with(user.token);
		const report = await pdf([
			["Harbour log of the schooner Wren", "We left port at dawn with a cargo of salt."],
			["Day two: fog, and the foresail split."],
		]);
		const file = await upload(api, "harbour-log.pdf", report, "application/pdf");
		expect(file).toMatchObject({ type: "application/pdf", size: report.length, attached: false });

		const created = await api.post<{ task: TaskView }>("/api/tasks", {
			instruction: "Summarise the attached file",
			attachments: [file.id],
		});
		expect(created.status, JSON.stringify(created.body)).toBe(201);
		expect(created.body.task.attachments?.map((f) => f.id)).toEqual([file.id]);
		const task = await taskEnded(api, created.body.task.id);
		expect(task.status).toBe("succeeded");
		expect(task.result).toContain("**harbour-log.pdf**");
		expect(task.result).toContain("Harbour log of the schooner Wren");
		expect((await api.get<{ file: FileView }>(`/api/files/${file.id}`)).body.file.attached).toBe(true);

		// A crash, then another task reading page 2: from the text kept in R2 and D1 before the crash.
		await deployment.crash();
		await deployment.start();
		const again = new Api(deployment.url, user.token);
		const second = await again.post<{ task: TaskView }>("/api/tasks", {
			instruction: "Read page 2 of the attached file",
			attachments: [file.id],
		});
		expect(second.status).toBe(201);
		const read = await taskEnded(again, second.body.task.id);
		expect(read.result).toContain("Page 2 of 2 of **harbour-log.pdf**");
		expect(read.result).toContain("Day two: fog, and the foresail split.");
	});

	it("another user's file can't be attached: 404, and no task is made", async () => {
		const owner = admin.with((await admin.user("owner")).token);
		const other = admin.with((await admin.user("other")).token);
		const file = await upload(owner, "secret.txt", new TextEncoder().encode("the vault code"), "text/plain");
		const refused = await other.post("/api/tasks", {
			instruction: "Summarise the attached file",
			attachments: [file.id],
		});
		expect(refused.status).toBe(404);
		const tasks = await other.get<{ tasks: TaskView[] }>("/api/tasks");
		expect(tasks.body.tasks).toEqual([]);
	});
});
