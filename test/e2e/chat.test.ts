// Chats: a turn streams in with its tool call; a message sent while a turn runs waits
// (pending); Stop cancels the running turn; a reload shows the history once.
import { afterEach, describe, expect, inject, it } from "vitest";
import { api, release, userToken } from "./support/api.ts";
import { DESKTOP, itemIds, PHONE, screenshot, timelineItems, usePage } from "./support/browser.ts";
import { focused } from "./support/checks.ts";

let alice: string;
const t = usePage(async () => {
	alice = await userToken("alice");
	return alice;
});

// On a failure, say what the page shows and what the server thinks of the chat's turns.
afterEach(async (context) => {
	if (context.task.result?.state !== "fail") return;
	const shown = await timelineItems(t.page);
	const { tasks } = await api<{ tasks: { id: string; status: string; error: string | null }[] }>(
		alice,
		"GET",
		"/api/tasks?kind=chat&limit=10",
	);
	console.error(`page items:\n${shown.join("\n")}\nturns:\n${JSON.stringify(tasks, null, 1)}`);
});

/** Each run line's state, time and tokens as shown. */
function runLines(page: import("playwright-core").Page): Promise<string[]> {
	return page
		.locator(".timeline [data-kind=run]")
		.evaluateAll((els) =>
			els.map((e) =>
				[
					(e as HTMLElement).dataset.state,
					e.querySelector(".run-took")?.textContent,
					e.querySelector(".run-usage")?.textContent,
				].join(" | "),
			),
		);
}

describe("chat", () => {
	it("streams a turn: the user's message, the tool call and the answer as it is written", async () => {
		const page = t.page;
		await page.getByRole("button", { name: "New chat" }).click();
		await page.waitForURL(/\/chat\/chat_/);
		const composer = page.getByLabel("Message");
		await expect.poll(() => focused(page)).toBe("#composer-input");

		// Record every text the answer shows while it streams.
		await page.evaluate(() => {
			const w = window as unknown as { __answerTexts: string[] };
			w.__answerTexts = [];
			new MutationObserver(() => {
				const el = document.querySelector(".timeline [data-role=assistant] .message-text");
				const text = el?.textContent ?? "";
				if (text && w.__answerTexts.at(-1) !== text) w.__answerTexts.push(text);
			}).observe(document.body, { subtree: true, childList: true, characterData: true });
		});
		await composer.fill(`Fetch ${inject("pageUrl")}/page.html`);
		await composer.press("Enter");
		await expect.poll(() => composer.inputValue()).toBe("");

		const user = page.locator(".timeline [data-role=user]");
		await user.waitFor();
		expect(await user.textContent()).toContain("page.html");
		const tool = page.locator(".timeline [data-kind=tool]");
		await expect.poll(() => tool.getAttribute("data-state"), { timeout: 15_000 }).toBe("done");
		expect(await tool.locator("code.tool-name").textContent()).toBe("http_fetch");
		expect(await tool.textContent()).toContain("pineapple");
		const answer = page.locator(".timeline [data-role=assistant]");
		await expect.poll(() => answer.getAttribute("data-streaming"), { timeout: 15_000 }).toBe("false");
		expect(await answer.textContent()).toContain("The secret word is pineapple");
		// The answer's Copy button copies the answer's text, exactly.
		await t.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: inject("sparkyUrl") });
		await answer.getByRole("button", { name: "Copy answer" }).click();
		await expect
			.poll(() => page.evaluate(() => navigator.clipboard.readText()))
			.toContain("The secret word is pineapple");
		// Links in answers open in a new tab, without opener or referrer.
		const link = answer.locator("a").first();
		expect(await link.getAttribute("href")).toBe(`${inject("pageUrl")}/page.html`);
		expect(await link.getAttribute("target")).toBe("_blank");
		expect(await link.getAttribute("rel")).toBe("noopener noreferrer");
		const seen = await page.evaluate(() => (window as unknown as { __answerTexts: string[] }).__answerTexts);
		expect(seen.length).toBeGreaterThan(2); // it grew piece by piece
		// The chat got its title from the first message.
		await expect.poll(() => page.locator(".sidebar [aria-current=page]").textContent()).toContain("Fetch");
		await screenshot(page, "chat-desktop");
		await page.setViewportSize(PHONE);
		await screenshot(page, "chat-phone");
		await page.getByRole("button", { name: "Menu" }).click();
		await screenshot(page, "chat-phone-menu");
		await page.getByRole("button", { name: "Menu" }).click();
		await page.setViewportSize(DESKTOP);
	});

	it("Enter sends, Shift+Enter makes a new line; Tab goes from the message to Send", async () => {
		const page = t.page;
		const composer = page.getByLabel("Message");
		await composer.click();
		await composer.pressSequentially("first line");
		await composer.press("Shift+Enter");
		await composer.pressSequentially("second line");
		expect(await composer.inputValue()).toBe("first line\nsecond line");
		await page.keyboard.press("Tab");
		expect(await focused(page)).toBe("button:Send");
		await page.keyboard.press("Shift+Tab");
		await composer.press("Enter");
		const last = page.locator(".timeline [data-role=user]").last();
		await expect.poll(() => last.textContent()).toContain("first line\nsecond line");
		// The second answer, once it has come and ended (the first one's "false" says nothing).
		await expect.poll(() => page.locator(".timeline [data-role=assistant]").count(), { timeout: 15_000 }).toBe(2);
		await expect
			.poll(() => page.locator(".timeline [data-role=assistant]").nth(1).getAttribute("data-streaming"), {
				timeout: 15_000,
			})
			.toBe("false");
	});

	it("shows a message sent during a running turn as pending; Stop cancels the running turn", async () => {
		const page = t.page;
		const composer = page.getByLabel("Message");
		const key = "chat-stop";
		await composer.fill(`Fetch ${inject("pageUrl")}/slow.html?key=${key}`);
		await composer.press("Enter");
		const slowTool = page.locator(".timeline [data-kind=tool]").last();
		await expect.poll(() => slowTool.getAttribute("data-state"), { timeout: 15_000 }).toBe("running");

		await composer.fill("What time is it?");
		await composer.press("Enter");
		const pending = page.locator(".timeline [data-role=user]").last();
		await expect.poll(() => pending.textContent()).toContain("What time is it?");
		await pending.locator(".badge[data-status=pending]").waitFor();

		await page.getByRole("button", { name: "Stop" }).click();
		// At once: the button says so, and the keyboard user is back in the message box.
		expect(await page.locator(".composer-actions button.danger").textContent()).toBe("Stopping…");
		expect(await focused(page)).toBe("#composer-input");
		await expect
			.poll(() => page.locator(".timeline [data-kind=run][data-state=cancelled]").count(), { timeout: 15_000 })
			.toBe(1);
		// "stopped" in neutral words, not a failure, and marked where the answer ended: right after
		// the call it cut off (which says it got no result, instead of "running" forever) and the
		// line of the model call that made it (its tokens and cost).
		const stoppedRun = page.locator(".timeline [data-kind=run][data-state=cancelled]");
		expect(await stoppedRun.locator(".badge").textContent()).toBe("stopped");
		expect(await stoppedRun.locator(".run-error").count()).toBe(0);
		const end = page.locator(".timeline .turn-end[data-ending=stopped]");
		expect(await end.textContent()).toBe("Stopped: the answer ends here.");
		const before = end.locator("xpath=preceding-sibling::li[not(@data-kind='usage')][1]");
		expect(await before.getAttribute("data-kind")).toBe("tool");
		expect(await before.getAttribute("data-ending")).toBe("stopped");
		expect(await before.locator("summary .badge").textContent()).toBe("stopped");
		await screenshot(page, "chat-stopped-desktop");
		// The waiting message runs next: its answer comes, and it is no longer pending.
		await expect
			.poll(() => page.locator(".timeline [data-kind=tool] code.tool-name").last().textContent(), { timeout: 15_000 })
			.toBe("current_time");
		await expect.poll(() => pending.locator(".badge[data-status=pending]").count()).toBe(0);
		await expect.poll(() => page.getByRole("button", { name: "Stop" }).count(), { timeout: 15_000 }).toBe(0);
		await release(key);
	});

	it("after a reload shows the same history once", async () => {
		const page = t.page;
		await expect
			.poll(() => page.locator(".timeline [data-role=assistant]").last().getAttribute("data-streaming"), {
				timeout: 15_000,
			})
			.toBe("false");
		await page.waitForTimeout(300); // the turn's history rows are written as it ends
		const before = await itemIds(page);
		const runsBefore = await runLines(page);
		expect(runsBefore.length).toBeGreaterThanOrEqual(3);
		expect(await itemIds(page, ["thought"])).not.toEqual([]);
		const users = await page
			.locator(".timeline [data-role=user]")
			.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.itemId));
		await page.reload();
		await page.locator(".conn[data-state=connected]").waitFor();
		await expect.poll(async () => (await itemIds(page)).length).toBeGreaterThan(0);
		await expect.poll(() => itemIds(page)).toEqual(before);
		const after = await itemIds(page);
		// Each item once, in the same order, run lines and thoughts included, with their time and tokens.
		expect(new Set(after).size).toBe(after.length);
		for (const id of users) expect(after).toContain(id);
		expect(await runLines(page)).toEqual(runsBefore);
		expect(t.foreign).toEqual([]);
		expect(t.errors).toEqual([]);
	});
});
