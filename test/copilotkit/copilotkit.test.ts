// A CopilotKit React app with Sparky as its agent, in Chromium: CopilotKit's own chat, a
// frontend tool CopilotKit renders, an approval answered through CopilotKit's interrupt
// support, and a reload that opens the thread again. See test/copilotkit/app/main.tsx.
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { launchChromium } from "../e2e/support/chromium.ts";
import { APP_BASE } from "./support/build-app.ts";

const server = () => inject("copilotkit");
const TYPES: Record<string, string> = {
	".html": "text/html",
	".js": "text/javascript",
	".css": "text/css",
	".woff2": "font/woff2",
	".woff": "font/woff",
	".ttf": "font/ttf",
};

let browser: Browser;
beforeAll(async () => {
	browser = await launchChromium();
});
afterAll(async () => {
	await browser?.close();
});

let n = 0;
/** A fresh user and a token of theirs (each test its own threads). */
async function newToken(): Promise<string> {
	const { url, adminToken } = server();
	const id = `ck-${process.pid}-${Date.now().toString(36)}-${n++}`;
	const admin = { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" };
	const created = await fetch(`${url}/api/users`, { method: "POST", headers: admin, body: JSON.stringify({ id }) });
	if (created.status !== 201) throw new Error(`creating user: ${created.status} ${await created.text()}`);
	const res = await fetch(`${url}/api/users/${id}/tokens`, { method: "POST", headers: admin, body: "{}" });
	const body = (await res.json()) as { token?: string };
	if (!body.token) throw new Error(`no token in ${JSON.stringify(body)}`);
	return body.token;
}

interface AppPage {
	page: Page;
	/** Errors thrown in the page, console errors, and requests to anything but Sparky. */
	problems: string[];
	/** The bodies the page POSTed to /api/ag-ui, in order. */
	runs: Record<string, unknown>[];
}

/**
 * The app, served from Sparky's own origin (the browser reaches /api/ag-ui without CORS, as an
 * app behind the same host would): its files are answered by Playwright, everything else is Sparky.
 */
async function openApp(token: string, threadId: string): Promise<AppPage> {
	const { url, appDir } = server();
	const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
	await context.route(`${url}${APP_BASE}**`, async (route) => {
		const path = normalize(new URL(route.request().url()).pathname.slice(APP_BASE.length) || "index.html");
		try {
			const body = await readFile(join(appDir, path));
			await route.fulfill({ status: 200, body, contentType: TYPES[extname(path)] ?? "application/octet-stream" });
		} catch {
			await route.fulfill({ status: 404, body: "not found" });
		}
	});
	const page = await context.newPage();
	const problems: string[] = [];
	const runs: Record<string, unknown>[] = [];
	const origin = new URL(url).host;
	page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
	page.on("console", (m) => {
		if (m.type() === "error" || m.type() === "warning") problems.push(`console.${m.type()}: ${m.text()}`);
	});
	page.on("request", (request) => {
		const u = new URL(request.url());
		if (u.protocol !== "data:" && u.host !== origin) problems.push(`foreign request: ${request.url()}`);
		if (u.pathname === "/api/ag-ui") runs.push(request.postDataJSON() as Record<string, unknown>);
	});
	await page.goto(`${url}${APP_BASE}index.html#token=${encodeURIComponent(token)}&thread=${threadId}`);
	return { page, problems, runs };
}

async function send(page: Page, text: string): Promise<void> {
	const input = page.getByRole("textbox").first();
	await input.fill(text);
	await input.press("Enter");
}

const assistantText = (page: Page) =>
	page
		.locator("[data-testid=copilot-assistant-message]")
		.allInnerTexts()
		.then((t) => t.join("\n"));
const running = (page: Page) => page.locator("[data-testid=copilot-chat]").getAttribute("data-copilot-running");

describe("CopilotKit with Sparky as its AG-UI agent", () => {
	it("a message streams into CopilotKit's chat", async () => {
		const token = await newToken();
		const { page, problems, runs } = await openApp(token, randomUUID());
		// On load CopilotKit connects the agent to the thread: Sparky's snapshot of a new, empty thread.
		await expect.poll(() => runs.length).toBe(1);
		expect(runs[0]?.messages).toEqual([]);
		// Every state the chat renders, recorded in the page as it happens (a poll from here can
		// miss a whole stream on a busy machine).
		await page.evaluate(() => {
			const w = window as unknown as { __seen: { running: string | null; text: string }[] };
			w.__seen = [];
			const record = () => {
				const chat = document.querySelector("[data-testid=copilot-chat]");
				const texts = [...document.querySelectorAll<HTMLElement>("[data-testid=copilot-assistant-message]")];
				w.__seen.push({
					running: chat?.getAttribute("data-copilot-running") ?? null,
					text: texts.map((t) => t.textContent ?? "").join("\n"),
				});
			};
			new MutationObserver(record).observe(document.body, {
				subtree: true,
				childList: true,
				characterData: true,
				attributes: true,
			});
		});
		// A long answer (the demo model's about itself: about fifty chunks, 60 ms apart), so that
		// a busy machine's batching can't make the whole stream one render.
		await send(page, "tell me about yourself");
		// Streaming: part of the answer is shown while the run still goes on.
		await expect
			.poll(async () => (await running(page)) === "false" && /SPARKY_MODEL/.test(await assistantText(page)))
			.toBe(true);
		const seen = await page.evaluate(
			() => (window as unknown as { __seen: { running: string | null; text: string }[] }).__seen,
		);
		// The answer grew in front of us: several partial texts were shown while the run went on.
		const partial = new Set(seen.filter((s) => s.running === "true" && s.text.trim()).map((s) => s.text));
		partial.delete(seen.at(-1)?.text ?? "");
		expect(partial.size).toBeGreaterThanOrEqual(2);
		expect(problems).toEqual([]);
	});

	it("the model calls a frontend tool: CopilotKit renders it, runs it, and the run goes on with its result", async () => {
		const token = await newToken();
		const { page, problems, runs } = await openApp(token, randomUUID());
		await expect.poll(() => runs.length).toBe(1);
		await send(page, 'use the show_color tool with {"color": "teal"}');
		const swatch = page.getByTestId("color-swatch");
		await expect.poll(() => swatch.getAttribute("data-status")).toBe("complete");
		expect(await swatch.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe("rgb(0, 128, 128)");
		// CopilotKit sent the handler's result in a follow-up run; Sparky's model read it.
		await expect.poll(() => assistantText(page)).toContain("showed a teal swatch");
		await expect.poll(() => running(page)).toBe("false");
		const followUp = runs.at(-1) as { messages: { role: string; content?: unknown }[] };
		expect(followUp.messages.filter((m) => m.role === "tool").map((m) => m.content)).toEqual(["showed a teal swatch"]);
		expect(problems).toEqual([]);
	});

	it("an approval pauses the run with an AG-UI interrupt, answered through CopilotKit's useInterrupt", async () => {
		const token = await newToken();
		const { page, problems, runs } = await openApp(token, randomUUID());
		await expect.poll(() => runs.length).toBe(1);
		await send(page, "write notes.md with: from CopilotKit");
		const approval = page.getByTestId("approval");
		await expect.poll(() => approval.textContent()).toContain("write_file needs your approval");
		const interruptId = await approval.getAttribute("data-interrupt-id");
		expect(interruptId).toMatch(/^apr_/);
		await approval.getByRole("button", { name: "Approve" }).click();
		await expect.poll(() => assistantText(page)).toContain("Created notes.md");
		await expect.poll(() => running(page)).toBe("false");
		await expect.poll(() => approval.count()).toBe(0);
		// CopilotKit resumed with the interrupted run's own runId: Sparky ran the decision, not a replay.
		const [interrupted, resumed] = runs.slice(-2) as { runId: string; resume?: unknown }[];
		expect(resumed?.runId).toBe(interrupted?.runId);
		expect(resumed?.resume).toEqual([{ interruptId, status: "resolved", payload: { approved: true } }]);
		expect(problems).toEqual([]);
	});

	it("a reload opens the thread again: its history, and the decision it waits on, answered after the reload", async () => {
		const token = await newToken();
		const threadId = randomUUID();
		const { page, problems, runs } = await openApp(token, threadId);
		await expect.poll(() => runs.length).toBe(1);
		await send(page, "what time is it");
		await expect.poll(() => assistantText(page)).toContain("UTC");
		await expect.poll(() => running(page)).toBe("false");
		const answer = (await assistantText(page)).trim();
		await send(page, "write notes.md with: after a reload");
		await expect.poll(() => page.getByTestId("approval").count()).toBe(1);

		await page.reload();
		// CopilotKit connects again (our `connect`: a run with no messages): Sparky's snapshot.
		await expect.poll(() => runs.at(-1)?.messages).toEqual([]);
		await expect
			.poll(() => page.getByTestId("copilot-user-message").allInnerTexts())
			.toEqual(["what time is it", "write notes.md with: after a reload"]);
		await expect.poll(() => assistantText(page)).toContain(answer);
		const approval = page.getByTestId("approval");
		await expect.poll(() => approval.textContent()).toContain("write_file needs your approval");
		await approval.getByRole("button", { name: "Deny" }).click();
		await expect.poll(() => assistantText(page)).toContain("denied");
		await expect.poll(() => running(page)).toBe("false");
		expect((runs.at(-1) as { resume?: unknown }).resume).toEqual([
			{ interruptId: expect.stringMatching(/^apr_/), status: "cancelled" },
		]);
		expect(problems).toEqual([]);
	});
});
