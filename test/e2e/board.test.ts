// The agent's live board (issue #31) as the `agent` user's home: two users' tasks held mid-run
// show who asked, the tool each calls now and for how long; their outcomes once they end; the
// counts agree with GET /api/agent/status; an end during a reconnect shows after the replay;
// a row opens the task's stream in place; axe finds nothing serious, at desktop and phone sizes.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AgentStatus } from "../../src/protocol/index.ts";
import { agent, api, createTask, release, userToken, waitForTask } from "./support/api.ts";
import { axeCheck } from "./support/axe.ts";
import { DESKTOP, launchChromium, openPage, PHONE, screenshot, signIn, type TestPage } from "./support/browser.ts";

const stamp = Date.now().toString(36);
const row = (page: Page, id: string) => page.locator(`.board-row[data-task-id="${id}"]`);
const count = async (page: Page, which: string) =>
	Number(await page.locator(`.board-counts [data-count=${which}] strong`).textContent());
const status = () => api<AgentStatus>(agent(), "GET", "/api/agent/status");

let browser: Browser | undefined;
beforeAll(async () => {
	browser = await launchChromium();
});
afterAll(async () => {
	await browser?.close();
});

for (const [size, viewport] of [
	["desktop", DESKTOP],
	["phone", PHONE],
] as const) {
	describe(`the agent's board (${size})`, () => {
		let t: TestPage;
		beforeAll(async () => {
			if (!browser) throw new Error("no browser");
			t = await openPage(browser, viewport, { bypassCSP: true });
			await signIn(t.page, agent());
		});
		afterAll(async () => {
			await t.context.close();
		});

		it("shows each user's running task with the tool it calls now, then its outcome; counts match the API", async () => {
			const page = t.page;
			await page.locator(".board h2", { hasText: "Agent board" }).waitFor();
			const [alice, bob] = await Promise.all([userToken(`alice-${size}-${stamp}`), userToken(`bob-${size}-${stamp}`)]);
			const keys = [`board-${size}-a-${stamp}`, `board-${size}-b-${stamp}`];
			// wrangler dev's queue delivers one batch at a time: a held task keeps the consumer busy
			// while both are queued, so they arrive in one batch and run side by side.
			const gateKey = `board-${size}-gate-${stamp}`;
			const gate = await createTask(alice, `Fetch ${inject("pageUrl")}/slow.html?key=${gateKey}`);
			await waitForTask(alice, gate.id, ["running"]);
			const a = await createTask(alice, `Fetch ${inject("pageUrl")}/slow.html?key=${keys[0]}`);
			const b = await createTask(bob, `Fetch ${inject("pageUrl")}/slow.html?key=${keys[1]}`);
			await expect.poll(() => row(page, b.id).getAttribute("data-status")).toBe("queued");
			await expect.poll(async () => (await count(page, "queued")) === (await status()).counts.queued).toBe(true);
			expect(await count(page, "queued")).toBeGreaterThanOrEqual(2);
			await release(gateKey);
			await Promise.all([waitForTask(alice, a.id, ["running"]), waitForTask(bob, b.id, ["running"])]);

			for (const [task, who] of [
				[a, `alice-${size}-${stamp}`],
				[b, `bob-${size}-${stamp}`],
			] as const) {
				await expect.poll(() => row(page, task.id).locator(".board-tool code").textContent()).toBe("http_fetch");
				expect(await row(page, task.id).locator(".board-creator").textContent()).toBe(who);
				expect(await row(page, task.id).getAttribute("data-status")).toBe("running");
			}
			// Counts agree with the API while they run (first: the slow page holds them 8 s at most).
			await expect.poll(async () => (await count(page, "running")) === (await status()).counts.running).toBe(true);
			expect(await count(page, "running")).toBeGreaterThanOrEqual(2);
			// The duration ticks on its own.
			const first = await row(page, a.id).locator(".board-tool").textContent();
			await expect.poll(() => row(page, a.id).locator(".board-tool").textContent(), { timeout: 4_000 }).not.toBe(first);
			await screenshot(page, `board-${size}-running`);
			const found = await axeCheck(page);
			expect(found.rulesRun).toBeGreaterThan(30);
			expect(found.serious).toEqual([]);

			await Promise.all(keys.map((k) => release(k)));
			await Promise.all([waitForTask(alice, a.id, ["succeeded"]), waitForTask(bob, b.id, ["succeeded"])]);
			for (const task of [a, b]) {
				await expect.poll(() => row(page, task.id).getAttribute("data-status")).toBe("succeeded");
				expect(await row(page, task.id).locator(".board-tool").count()).toBe(0);
				expect(await row(page, task.id).locator(".board-meta").textContent()).toMatch(/took \d/);
			}
			// Against a fresh read each time: another test's task may end meanwhile.
			await expect.poll(async () => (await count(page, "running")) === (await status()).counts.running).toBe(true);
			await expect.poll(async () => (await count(page, "queued")) === ((await status()).counts.queued ?? 0)).toBe(true);
		});

		it("a task that ends while the page is offline shows its end after the replay", async () => {
			const page = t.page;
			const carol = await userToken(`carol-${size}-${stamp}`);
			const key = `board-${size}-offline-${stamp}`;
			const task = await createTask(carol, `Fetch ${inject("pageUrl")}/slow.html?key=${key}`);
			await expect.poll(() => row(page, task.id).getAttribute("data-status")).toBe("running");
			await t.context.setOffline(true);
			await page.locator(".conn[data-state=offline]").waitFor();
			await release(key);
			await waitForTask(carol, task.id, ["succeeded"]);
			expect(await row(page, task.id).getAttribute("data-status")).toBe("running");
			await t.context.setOffline(false);
			await page.locator(".conn[data-state=connected]").waitFor({ timeout: 15_000 });
			await expect.poll(() => row(page, task.id).getAttribute("data-status")).toBe("succeeded");
		});

		it("a row opens the task's whole stream in place, without leaving the board", async () => {
			const page = t.page;
			const dave = await userToken(`dave-${size}-${stamp}`);
			const key = `board-${size}-open-${stamp}`;
			const task = await createTask(dave, `Fetch ${inject("pageUrl")}/slow.html?key=${key}`);
			await expect.poll(() => row(page, task.id).getAttribute("data-status")).toBe("running");
			await row(page, task.id).locator("button").click();
			const peek = page.locator(`#board-peek .thread[data-task-id="${task.id}"]`);
			await peek.waitFor();
			expect(new URL(page.url()).pathname).toBe("/");
			await expect.poll(() => peek.locator(".timeline [data-kind=tool]").getAttribute("data-state")).toBe("running");
			await release(key);
			// The answer (text the agent hub never carries) arrives from the task's own stream.
			await peek.locator(".final-status[data-status=succeeded]").waitFor({ timeout: 15_000 });
			expect(await peek.locator(".task-result").count()).toBe(1);
			await screenshot(page, `board-${size}-open`);
			const found = await axeCheck(page);
			expect(found.serious).toEqual([]);
			await page.locator("#board-peek").getByRole("button", { name: "Close" }).click();
			await expect.poll(() => page.locator("#board-peek").count()).toBe(0);
		});
	});
}
