// Steering (issue #29): while a turn runs, the composer offers Steer beside Send and the
// chat's setting for Send. A steered message is pending under the turn until the run reads
// it, then shows inside that turn, before the answer it led to; a refused message says why.
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { api, release, userToken } from "./support/api.ts";
import { axeCheck } from "./support/axe.ts";
import {
	DESKTOP,
	launchChromium,
	openPage,
	PHONE,
	screenshot,
	signIn,
	type TestPage,
	timelineItems,
} from "./support/browser.ts";
import { focused, sticksOut, unlabelledFields } from "./support/checks.ts";

let browser: Browser;
let t: TestPage;
let carol: string;
/** The keys of the fetches held so far (let go after a failure, so the next test isn't stuck). */
const held: string[] = [];

beforeAll(async () => {
	browser = await launchChromium();
	// bypassCSP: only so axe-core can be injected (the page's CSP rightly refuses inline scripts).
	t = await openPage(browser, DESKTOP, { bypassCSP: true });
	carol = await userToken("carol");
	await signIn(t.page, carol);
});
afterAll(async () => {
	await browser?.close();
});

afterEach(async (context) => {
	if (context.task.result?.state !== "fail") return;
	const shown = await timelineItems(t.page);
	console.error(`page items:\n${shown.join("\n")}`);
	await Promise.all(held.map((key) => release(key)));
});

/** A new chat whose first turn holds at a fetch of `slow.html?key=` until `release(key)`. */
async function heldTurn(page: Page, key: string): Promise<string> {
	held.push(key);
	const before = page.url();
	await page.getByRole("button", { name: "New chat" }).click();
	await page.waitForURL((url) => url.href !== before && /\/chat\/chat_/.test(url.pathname));
	// The new chat's empty timeline, not the last one's.
	await expect.poll(() => page.locator(".timeline [data-item-id]").count()).toBe(0);
	const chatId = new URL(page.url()).pathname.split("/").at(-1) ?? "";
	const composer = page.getByLabel("Message");
	await composer.fill(`Fetch ${inject("pageUrl")}/slow.html?key=${key}`);
	await composer.press("Enter");
	const tool = page.locator(".timeline [data-kind=tool]").last();
	await expect.poll(() => tool.getAttribute("data-state"), { timeout: 15_000 }).toBe("running");
	return chatId;
}

const ids = (page: Page) =>
	page
		.locator(".timeline > [data-item-id]")
		.evaluateAll((els) =>
			els.map(
				(e) =>
					`${(e as HTMLElement).dataset.kind}|${(e as HTMLElement).dataset.role ?? ""}|${(e as HTMLElement).dataset.itemId}`,
			),
		);

describe("steering from the composer", () => {
	it("offers Steer while a turn runs; Ctrl+Enter steers; the message shows in that turn, before its answer", async () => {
		const page = t.page;
		const composer = page.getByLabel("Message");
		expect(await page.getByRole("button", { name: "Steer" }).count()).toBe(0);
		const key = `steer-1-${Date.now()}`;
		await heldTurn(page, key);

		const steer = page.getByRole("button", { name: "Steer" });
		await steer.waitFor();
		expect(await page.getByRole("button", { name: "Send" }).count()).toBe(1);
		expect(await page.locator("#composer-steer-hint").textContent()).toContain("read at the next step");
		// The chat's setting for Send, labelled; the two buttons and the hint pass axe.
		expect(await unlabelledFields(page)).toEqual([]);
		const axe = await axeCheck(page);
		expect(axe.rulesRun).toBeGreaterThan(20);
		expect(axe.serious).toEqual([]);
		// Tab order: the message, Send, Steer.
		await composer.focus();
		await page.keyboard.press("Tab");
		expect(await focused(page)).toBe("button:Send");
		await page.keyboard.press("Tab");
		expect(await focused(page)).toBe("button:Steer");

		await composer.fill("What time is it?");
		await composer.press("Control+Enter");
		const pending = page.locator(".steered-pending [data-steer-id]");
		await pending.waitFor();
		expect(await pending.textContent()).toContain("What time is it?");
		expect(await pending.textContent()).toContain("Will be read at the next step");
		expect(await composer.inputValue()).toBe("");
		expect(await focused(page)).toBe("#composer-input");
		const steerId = (await pending.getAttribute("data-steer-id")) ?? "";
		const turnId = steerId.split(":steer:")[0] ?? "";
		expect(turnId).toMatch(/^turn_/);
		// Not a turn of its own: no pending user message, nothing queued.
		expect(await page.locator(".timeline .badge[data-status=pending]").count()).toBe(0);
		await screenshot(page, "chat-steer-pending-desktop");

		await release(key);
		// The run read it after the fetch: it is in the turn, then the answer (to it) follows.
		await page.locator(`.timeline [data-item-id="${steerId}"]`).waitFor({ timeout: 15_000 });
		await expect.poll(() => pending.count()).toBe(0);
		await expect
			.poll(() => page.locator(".timeline [data-kind=run]").last().getAttribute("data-state"), { timeout: 15_000 })
			.toBe("succeeded");
		await expect.poll(() => page.getByRole("button", { name: "Steer" }).count()).toBe(0);
		const order = await ids(page);
		const at = (pred: (row: string) => boolean) => order.findIndex(pred);
		const fetchAt = at((r) => r.startsWith("tool|"));
		const steeredAt = at((r) => r.endsWith(`|${steerId}`));
		const answerAt = order.findLastIndex((r) => r.startsWith("message|assistant|"));
		expect(at((r) => r.startsWith("message|user|"))).toBe(0);
		expect(steeredAt).toBeGreaterThan(fetchAt);
		expect(answerAt).toBeGreaterThan(steeredAt);
		// One turn, one run: the steered message started none.
		expect(order.filter((r) => r.startsWith("run|"))).toHaveLength(1);
		expect(order.filter((r) => r.startsWith("message|user|"))).toHaveLength(2);
		// The model read it: its next step asked for the time.
		expect(
			await page
				.locator(".timeline [data-kind=tool] code.tool-name")
				.evaluateAll((els) => els.map((e) => e.textContent)),
		).toContain("current_time");

		// After a reload, the history has it in the same place.
		await page.waitForTimeout(300);
		await page.reload();
		await page.locator(".conn[data-state=connected]").waitFor();
		await page.locator(`.timeline [data-item-id="${steerId}"]`).waitFor();
		const again = await ids(page);
		const steeredAgain = again.findIndex((r) => r.endsWith(`|${steerId}`));
		expect(steeredAgain).toBeGreaterThan(again.findIndex((r) => r.startsWith("tool|")));
		expect(again.findLastIndex((r) => r.startsWith("message|assistant|"))).toBeGreaterThan(steeredAgain);
		expect(t.errors).toEqual([]);
		expect(t.foreign).toEqual([]);
	});

	it("the chat's setting: 'is refused' refuses a message sent while a turn runs, in words", async () => {
		const page = t.page;
		const key = `steer-reject-${Date.now()}`;
		const chatId = await heldTurn(page, key);
		const setting = page.getByLabel("In this chat, while Sparky answers, Send");
		await setting.selectOption("reject");
		await expect
			.poll(async () => (await api<{ chat: { policy?: string } }>(carol, "GET", `/api/chats/${chatId}`)).chat.policy)
			.toBe("reject");
		expect(await page.locator("#composer-steer-hint").textContent()).toContain("is refused until this answer ends");

		const composer = page.getByLabel("Message");
		await composer.fill("One more thing");
		await composer.press("Enter");
		const error = page.locator("#composer-error");
		await error.waitFor();
		expect(await error.getAttribute("role")).toBe("alert");
		expect(await error.textContent()).toContain("Sparky is still answering");
		// Kept for sending again; nothing was added to the chat.
		expect(await composer.inputValue()).toBe("One more thing");
		expect(await page.locator(".timeline [data-role=user]").count()).toBe(1);

		// Steer still joins the running answer (the setting is Send's).
		await page.getByRole("button", { name: "Steer" }).click();
		await page.locator(".steered-pending [data-steer-id]").waitFor();
		expect(await error.count()).toBe(0);

		// At phone width the composer (both buttons, the setting) fits.
		await page.setViewportSize(PHONE);
		expect(await sticksOut(page, ".composer")).toEqual([]);
		await screenshot(page, "chat-steer-phone");
		await page.setViewportSize(DESKTOP);

		await release(key);
		await expect.poll(() => page.locator(".steered-pending").count(), { timeout: 15_000 }).toBe(0);
		await expect.poll(() => page.getByRole("button", { name: "Steer" }).count(), { timeout: 15_000 }).toBe(0);
	});
});
