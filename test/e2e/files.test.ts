// Files on the page: a file dropped on the chat and an image pasted into the message box each
// become a chip that shows its upload (progress, then done); the message carries them (a
// thumbnail, a chip with name, type and size) live and after a reload; Download gives back the
// same bytes. A task takes a picked file and shows it on its page; an upload over the size
// limit says so on its chip; the Files panel lists and deletes uploads; axe on the chips.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { JSHandle, Page } from "playwright-core";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SparkyFile, Task } from "../../src/protocol/index.ts";
import { api, userToken } from "./support/api.ts";
import { axeCheck } from "./support/axe.ts";
import { DESKTOP, openPage, PHONE, screenshot, signIn, usePage } from "./support/browser.ts";
import { focused, sticksOut } from "./support/checks.ts";

const suffix = Date.now().toString(36);
let owner = "";
// Its own Chromium: downloads are read from disk, and a 25 MB file goes to the page by path.
const t = usePage(
	async () => {
		owner = await userToken(`files-${suffix}`);
		return owner;
	},
	{ ownBrowser: true },
);

const listFiles = async (token: string) => (await api<{ files: SparkyFile[] }>(token, "GET", "/api/files")).files;
/** Object URLs of the page's own thumbnails are not requests to anywhere else. */
const foreign = () => t.foreign.filter((url) => !url.startsWith("blob:"));

// On a failure, say what the chips and the thread show.
afterEach(async (context) => {
	if (context.task.result?.state !== "fail") return;
	const chips = await t.page
		.locator(".attachment-chip, .file-card")
		.evaluateAll((els) => els.map((e) => `${JSON.stringify((e as HTMLElement).dataset)} ${e.textContent}`));
	console.error(`chips and cards:\n${chips.join("\n")}`);
});

/** A text file of about `bytes`, made in the page (a `File` handle) and its text, for comparing. */
function textFile(bytes: number): string {
	const line = "Sparky reads this dropped file line by line.\n";
	return line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);
}

/** A DataTransfer in the page holding one file: what a drop or a paste carries. */
function transfer(page: Page, file: { name: string; type: string; text?: string; png?: [number, number] }) {
	return page.evaluateHandle(async ({ name, type, text, png }) => {
		const data = new DataTransfer();
		let blob: Blob;
		if (png) {
			const canvas = document.createElement("canvas");
			[canvas.width, canvas.height] = png;
			const g = canvas.getContext("2d");
			if (!g) throw new Error("no 2d canvas");
			g.fillStyle = "#c026d3";
			g.fillRect(0, 0, png[0], png[1]);
			blob = await new Promise<Blob>((resolve, reject) =>
				canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("toBlob"))), "image/png"),
			);
		} else blob = new Blob([text ?? ""]);
		data.items.add(new File([blob], name, { type }));
		return data;
	}, file);
}

/** Records every state each chip goes through (`name state progress`), from the moment it is called. */
async function recordChips(page: Page): Promise<void> {
	await page.evaluate(() => {
		const w = window as unknown as { __chips: string[] };
		w.__chips = [];
		const note = () => {
			for (const chip of document.querySelectorAll<HTMLElement>(".attachment-chip")) {
				const entry = `${chip.title} ${chip.dataset.state} ${chip.dataset.progress}`;
				if (!w.__chips.includes(entry)) w.__chips.push(entry);
			}
		};
		new MutationObserver(note).observe(document.body, { subtree: true, childList: true, attributes: true });
	});
}
const chipStates = (page: Page, name: string) =>
	page.evaluate((n) => (window as unknown as { __chips: string[] }).__chips.filter((e) => e.startsWith(`${n} `)), name);

/**
 * Uploads as slowly as a poor connection (Chromium's own throttling, which lasts as long as
 * its DevTools session): progress has time to show. Returns what ends it.
 */
async function slowUploads(page: Page, bytesPerSecond: number): Promise<() => Promise<void>> {
	const cdp = await page.context().newCDPSession(page);
	await cdp.send("Network.enable");
	await cdp.send("Network.emulateNetworkConditions", {
		offline: false,
		latency: 0,
		downloadThroughput: -1,
		uploadThroughput: bytesPerSecond,
	});
	return () => cdp.detach();
}

async function newChat(page: Page): Promise<string> {
	const before = page.url();
	await page.getByRole("button", { name: "New chat" }).click();
	await page.waitForURL((url) => /^\/chat\/chat_/.test(url.pathname) && url.href !== before);
	await expect.poll(() => focused(page)).toBe("#composer-input");
	return new URL(page.url()).pathname.split("/")[2] ?? "";
}

describe("files in a chat", () => {
	const dropped = textFile(600 * 1024);
	let chatId = "";

	it("a dropped file and a pasted image upload with progress, and go with the message", async () => {
		const page = t.page;
		chatId = await newChat(page);
		await recordChips(page);
		const thread = page.locator("section.thread");

		// Drag over the chat: it shows where the file will go; drop it on the message box.
		const notes = await transfer(page, { name: "notes.txt", type: "text/plain", text: dropped });
		const fast = await slowUploads(page, 200 * 1024);
		await page.dispatchEvent("#composer-input", "dragenter", { dataTransfer: notes });
		await page.dispatchEvent("#composer-input", "dragover", { dataTransfer: notes });
		await expect.poll(() => thread.getAttribute("data-dropping")).toBe("true");
		await page.dispatchEvent("#composer-input", "drop", { dataTransfer: notes });
		await expect.poll(() => thread.getAttribute("data-dropping")).toBeNull();

		const chip = (name: string) => page.locator(`.composer .attachment-chip[title="${name}"]`);
		await chip("notes.txt").waitFor();
		// Uploading: a progress bar, and Send waits for it.
		await chip("notes.txt").locator("progress").waitFor();
		expect(await page.locator(".composer button[type=submit]").isDisabled()).toBe(true);
		await screenshot(page, "files-uploading");

		// Paste an image into the message box (as a screenshot tool leaves one on the clipboard).
		const image = await transfer(page, { name: "image.png", type: "image/png", png: [48, 32] });
		await page.evaluate(
			(data) =>
				document
					.getElementById("composer-input")
					?.dispatchEvent(
						new ClipboardEvent("paste", { clipboardData: data as DataTransfer, bubbles: true, cancelable: true }),
					),
			image as JSHandle<DataTransfer>,
		);
		await chip("image.png").waitFor();
		await expect.poll(() => chip("notes.txt").getAttribute("data-state"), { timeout: 20_000 }).toBe("done");
		await fast();
		await expect.poll(() => chip("image.png").getAttribute("data-state")).toBe("done");
		// The pasted image went in as a file, not as text.
		expect(await page.getByLabel("Message").inputValue()).toBe("");

		// Each chip showed its upload, then done; the slow one on its way, part sent.
		const notesStates = await chipStates(page, "notes.txt");
		expect(notesStates[0]).toMatch(/^notes\.txt uploading \d+$/);
		expect(notesStates.at(-1)).toBe("notes.txt done 100");
		const partway = notesStates.filter((s) => / uploading (\d+)$/.test(s) && !/ uploading (0|100)$/.test(s));
		expect(partway.length).toBeGreaterThan(0);
		expect((await chipStates(page, "image.png")).at(-1)).toBe("image.png done 100");
		expect(await chip("notes.txt").textContent()).toContain("600 KB");

		// The server has both, their types sniffed from the bytes.
		const stored = await listFiles(owner);
		const byName = new Map(stored.map((f) => [f.name, f]));
		expect(byName.get("notes.txt")).toMatchObject({ size: dropped.length, attached: false });
		expect(byName.get("notes.txt")?.type).toMatch(/^text\/plain/);
		expect(byName.get("image.png")?.type).toBe("image/png");

		// On a phone the chips wrap under the message box; nothing sticks out.
		await page.setViewportSize(PHONE);
		await screenshot(page, "files-chips-phone");
		expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
		expect(await sticksOut(page, ".composer")).toEqual([]);
		await page.setViewportSize(DESKTOP);

		// Send: the chips leave the composer and the message carries the files.
		const composer = page.getByLabel("Message");
		await composer.fill("What is in these files?");
		await composer.press("Enter");
		await expect.poll(() => page.locator(".composer .attachment-chip").count()).toBe(0);
		const message = page.locator(".timeline [data-role=user]").last();
		await expect.poll(() => message.locator(".file-card").count()).toBe(2);
		await expectCards(page);
		await expect
			.poll(() => page.locator(".timeline [data-kind=run]").last().getAttribute("data-state"), { timeout: 20_000 })
			.toBe("succeeded");
		expect((await listFiles(owner)).every((f) => f.attached)).toBe(true);
		await screenshot(page, "files-sent");
		expect(t.errors).toEqual([]);
	});

	it("shows the files after a reload, and Download gives back the same bytes", async () => {
		const page = t.page;
		await page.reload();
		await page.locator(".conn[data-state=connected]").waitFor();
		expect(new URL(page.url()).pathname).toBe(`/chat/${chatId}`);
		await expectCards(page);

		const card = page.locator('.timeline .file-card[data-kind="file"]');
		const [download] = await Promise.all([
			page.waitForEvent("download"),
			card.getByRole("button", { name: "Download notes.txt" }).click(),
		]);
		expect(download.suggestedFilename()).toBe("notes.txt");
		expect(await readFile(await download.path(), "utf8")).toBe(dropped);
		expect(foreign()).toEqual([]);
		expect(t.errors).toEqual([]);
	});
});

/** The user's message shows the image as a thumbnail (its real pixels) and both files as chips. */
async function expectCards(page: Page): Promise<void> {
	const message = page.locator(".timeline [data-role=user]").last();
	const image = message.locator('.file-card[data-kind="image"]');
	await expect.poll(() => image.locator(".file-thumb").getAttribute("data-loaded")).toBe("true");
	const size = await image.locator("img").evaluate(async (img: HTMLImageElement) => {
		await img.decode();
		return [img.naturalWidth, img.naturalHeight];
	});
	expect(size).toEqual([48, 32]);
	expect(await image.locator("img").getAttribute("src")).toMatch(/^blob:/);
	expect(await image.locator(".chip-name").textContent()).toBe("image.png");
	expect(await image.locator(".chip-line").textContent()).toMatch(/^PNG · \d+ BDownload image\.png$/);
	const file = message.locator('.file-card[data-kind="file"]');
	expect(await file.locator(".chip-name").textContent()).toBe("notes.txt");
	expect(await file.locator(".chip-line").textContent()).toBe("text · 600 KBDownload notes.txt");
}

describe("files elsewhere", () => {
	it("a task takes a picked file and shows it on its page", async () => {
		const page = t.page;
		await page.locator(".new-task input[type=file]").setInputFiles({
			name: "plan.md",
			mimeType: "text/markdown",
			buffer: Buffer.from("# Plan\n\n1. Upload a file.\n2. Read it.\n"),
		});
		const chip = page.locator('.new-task .attachment-chip[title="plan.md"]');
		await expect.poll(() => chip.getAttribute("data-state")).toBe("done");
		await page.getByLabel("New task").fill("Summarise the attached plan");
		await page.getByLabel("New task").press("Enter");
		await page.waitForURL(/\/task\/task_/);
		const taskId = new URL(page.url()).pathname.split("/")[2] ?? "";
		const card = page.locator('.task-head .file-card[data-kind="file"]');
		await card.waitFor();
		expect(await card.locator(".chip-name").textContent()).toBe("plan.md");
		await screenshot(page, "files-task");
		const { task } = await api<{ task: Task }>(owner, "GET", `/api/tasks/${taskId}`);
		expect(task.attachments?.map((f) => f.name)).toEqual(["plan.md"]);
		expect(await page.locator(".new-task .attachment-chip").count()).toBe(0);
		expect(t.errors).toEqual([]);
	});

	it("says on the chip that a file is over the size limit, and Send waits until it is removed", async () => {
		const page = t.page;
		await newChat(page);
		// One byte over SPARKY_MAX_FILE_MB's 25 MB, from disk (a path is quicker to hand Chromium than bytes).
		const huge = join(await mkdtemp(join(tmpdir(), "sparky-files-")), "huge.bin");
		await writeFile(huge, Buffer.alloc(25 * 1024 * 1024 + 1));
		await page.locator(".composer input[type=file]").setInputFiles(huge);
		const chip = page.locator('.composer .attachment-chip[title="huge.bin"]');
		await expect.poll(() => chip.getAttribute("data-state"), { timeout: 30_000 }).toBe("error");
		expect(await chip.locator(".chip-error").textContent()).toMatch(/Too large: a file may be at most 25 MB/);
		await page.getByLabel("Message").fill("Here it is");
		await page.getByLabel("Message").press("Enter");
		await page.locator("#composer-error").getByText("could not be uploaded").waitFor();
		expect(await page.locator(".timeline [data-role=user]").count()).toBe(0);
		await chip.getByRole("button", { name: "Remove huge.bin" }).click();
		await expect.poll(() => chip.count()).toBe(0);
		expect((await listFiles(owner)).map((f) => f.name)).not.toContain("huge.bin");
		await rm(dirname(huge), { recursive: true });
	});

	it("lists uploads in the Files panel with type and size, and deletes one", async () => {
		const page = t.page;
		await page.getByRole("link", { name: "Files", exact: true }).click();
		await page.waitForURL(/\/files$/);
		const rows = page.locator(".file-list > li[data-file-id]");
		await expect.poll(() => rows.count()).toBe(3);
		const names = await rows.locator(".file-name").allTextContents();
		expect(names.sort()).toEqual(["image.png", "notes.txt", "plan.md"]);
		const notes = rows.filter({ hasText: "notes.txt" });
		expect(await notes.locator(".file-meta").textContent()).toMatch(/^text · 600 KB · uploaded .+ · attached$/);

		page.once("dialog", (dialog) => void dialog.accept());
		await rows.filter({ hasText: "plan.md" }).getByRole("button", { name: "Delete plan.md" }).click();
		await expect.poll(() => rows.count()).toBe(2);
		await expect.poll(() => focused(page)).toBe("#file-list-heading");
		expect((await listFiles(owner)).map((f) => f.name).sort()).toEqual(["image.png", "notes.txt"]);
		await page.setViewportSize(PHONE);
		await screenshot(page, "files-panel-phone");
		expect(await sticksOut(page, ".panel")).toEqual([]);
		await page.setViewportSize(DESKTOP);
		expect(foreign()).toEqual([]);
		expect(t.errors).toEqual([]);
	});
});

describe("axe-core on the composer with chips", () => {
	let token = "";
	beforeAll(async () => {
		token = await userToken(`files-axe-${suffix}`);
	});

	for (const scheme of ["light", "dark"] as const) {
		it(`${scheme}: no serious or critical violation`, async () => {
			const browser = t.context.browser();
			if (!browser) throw new Error("no browser");
			// Its own context: axe is injected as a script, which the page's CSP rightly refuses.
			const { page, context, errors } = await openPage(browser, DESKTOP, { colorScheme: scheme, bypassCSP: true });
			await signIn(page, token);
			await newChat(page);
			await page.locator(".composer input[type=file]").setInputFiles([
				{ name: "ok.txt", mimeType: "text/plain", buffer: Buffer.from("fine") },
				{ name: "empty.txt", mimeType: "text/plain", buffer: Buffer.alloc(0) },
			]);
			const chips = page.locator(".composer .attachment-chip");
			await expect
				.poll(() =>
					chips.evaluateAll(
						(els) => els.length === 2 && els.every((e) => e.getAttribute("data-state") !== "uploading"),
					),
				)
				.toBe(true);
			const found = await axeCheck(page);
			expect(found.rulesRun).toBeGreaterThan(30);
			expect(found.serious).toEqual([]);
			await screenshot(page, `axe-${scheme}-files`);
			expect(errors).toEqual([]);
			await context.close();
		});
	}
});
