// Long-term memory on the page: the Memory panel (add, search, pin, edit in place, delete,
// load more, where each came from), and a chat that remembers across chats: "remember that
// my favourite colour is teal" in one, "what is my favourite colour?" in a new one answers
// teal and says which memories the turn used, in the chat and in a task's run view.
import type { Page } from "playwright-core";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { Memory } from "../../src/protocol/index.ts";
import { api, createTask, userToken, waitForTask } from "./support/api.ts";
import { axeCheck } from "./support/axe.ts";
import { DESKTOP, openPage, PHONE, screenshot, signIn, usePage } from "./support/browser.ts";
import { focused, sticksOut } from "./support/checks.ts";
import { openFromSidebar } from "./support/sidebar.ts";

const suffix = Date.now().toString(36);
let owner = "";
const t = usePage(async () => {
	owner = await userToken(`memory-${suffix}`);
	return owner;
});

const rows = (page: Page) => page.locator(".memory-list > li[data-memory-id]");
const row = (page: Page, text: string) => rows(page).filter({ hasText: text });
const memories = async (token: string, query = "") =>
	(await api<{ memories: Memory[] }>(token, "GET", `/api/memories${query}`)).memories;

/** Memories written as JSON Lines in one import (one unit of the rate, however many). */
async function importLines(token: string, texts: string[]): Promise<void> {
	const res = await fetch(`${inject("sparkyUrl")}/api/memories/import`, {
		method: "POST",
		headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/x-ndjson" },
		body: texts.map((text) => JSON.stringify({ text })).join("\n"),
	});
	if (!res.ok) throw new Error(`import: ${res.status} ${await res.text()}`);
}

describe("the Memory panel", () => {
	it("adds a memory with tags, finds it by searching, pins it, edits it in place and deletes it", async () => {
		const page = t.page;
		await page.getByRole("link", { name: "Memory", exact: true }).click();
		await page.waitForURL(/\/memory$/);
		await page.getByText("No memories yet.").waitFor();

		// (By id: "Memory" also names the panel, "Tags" each row's tag list.)
		await page.locator("#memory-new-text").fill("My favourite colour is teal.");
		await page.locator("#memory-new-tags").fill("Colour, home");
		await page.getByRole("button", { name: "Add memory" }).click();
		await row(page, "favourite colour is teal").waitFor();
		const [stored] = await memories(owner);
		expect(stored).toMatchObject({ text: "My favourite colour is teal.", tags: ["colour", "home"], pinned: false });
		expect(stored?.source.kind).toBe("you");
		const id = stored?.id ?? "";
		const teal = page.locator(`.memory-list > li[data-memory-id="${id}"]`);
		expect(await teal.locator(".tag-list li").allTextContents()).toEqual(["colour", "home"]);
		expect(await teal.locator(".memory-source").textContent()).toBe("you");
		expect(await page.locator("#memory-new-text").inputValue()).toBe("");

		// Another one, written elsewhere: the search tells them apart.
		await api(owner, "POST", "/api/memories", { text: "The wifi password is hunter2." });
		await page.reload();
		await expect.poll(() => rows(page).count()).toBe(2);
		const search = page.getByLabel("Search memories");
		await search.fill("wifi");
		await expect.poll(() => rows(page).allTextContents()).toEqual([expect.stringContaining("hunter2")]);
		// Search syntax typed by a person is just words: an unbalanced quote, a minus, NEAR.
		await search.fill('"teal -colour NEAR(');
		await expect.poll(() => rows(page).allTextContents()).toEqual([expect.stringContaining("teal")]);
		expect(await page.locator(".memory-panel [role=alert]").count()).toBe(0);
		await search.fill("nothing-like-this");
		await page.getByText("No memory matches your search.").waitFor();
		await search.fill("");
		await expect.poll(() => rows(page).count()).toBe(2);

		// Pin: the row says so, the server has it, and "Pinned only" lists it alone.
		await teal.getByRole("button", { name: /^Pin My favourite/ }).click();
		await expect.poll(() => teal.getAttribute("data-pinned")).toBe("true");
		expect(await teal.locator(".badge-pinned").textContent()).toBe("pinned");
		expect((await api<{ memory: Memory }>(owner, "GET", `/api/memories/${id}`)).memory.pinned).toBe(true);
		await page.getByLabel("Pinned only").check();
		await expect.poll(() => rows(page).count()).toBe(1);
		await page.getByLabel("Pinned only").uncheck();
		await expect.poll(() => rows(page).count()).toBe(2);

		// Edit in place: Escape leaves it as it was and gives focus back to Edit.
		const edit = teal.getByRole("button", { name: /^Edit My favourite/ });
		await edit.click();
		const text = page.getByLabel("Memory text");
		await expect.poll(() => focused(page)).toBe(`#memory-text-${id}`);
		await text.fill("Something else entirely.");
		await text.press("Escape");
		await expect.poll(() => teal.locator(".memory-text").textContent()).toContain("My favourite colour is teal.");
		await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toContain("Edit");
		// Saved: text and tags, from the server's answer.
		await edit.click();
		await page.getByLabel("Memory text").fill("My favourite colour is dark teal.");
		await page.locator(`#memory-tags-${id}`).fill("colour");
		await teal.getByRole("button", { name: "Save" }).click();
		await expect.poll(() => teal.locator(".memory-text").textContent()).toContain("dark teal");
		const edited = teal;
		expect(await edited.locator(".tag-list li").allTextContents()).toEqual(["colour"]);
		const after = (await api<{ memory: Memory }>(owner, "GET", `/api/memories/${id}`)).memory;
		expect(after).toMatchObject({ text: "My favourite colour is dark teal.", tags: ["colour"], pinned: true });

		// Delete, after a confirmation that names it; dismissed, nothing happens.
		page.once("dialog", (dialog) => void dialog.dismiss());
		await edited.getByRole("button", { name: /^Delete My favourite/ }).click();
		expect(await edited.count()).toBe(1);
		let asked = "";
		page.once("dialog", (dialog) => {
			asked = dialog.message();
			void dialog.accept();
		});
		await edited.getByRole("button", { name: /^Delete My favourite/ }).click();
		await expect.poll(() => edited.count()).toBe(0);
		expect(asked).toContain("dark teal");
		expect((await memories(owner)).map((m) => m.id)).not.toContain(id);
		await expect.poll(() => focused(page)).toBe("#memory-list-heading");
		expect(t.errors).toEqual([]);
	});

	it("loads more by the cursor, each memory once", async () => {
		const page = t.page;
		await importLines(
			owner,
			Array.from({ length: 55 }, (_, i) => `Imported fact number ${i + 1}.`),
		);
		await page.reload();
		await expect.poll(() => rows(page).count()).toBe(50);
		const more = page.getByRole("button", { name: "Load more" });
		await more.click();
		await expect.poll(() => rows(page).count()).toBe(56); // 55 imported, and the wifi one
		await expect.poll(() => more.count()).toBe(0);
		const ids = await rows(page).evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.memoryId));
		expect(new Set(ids).size).toBe(56);
		expect(await row(page, "Imported fact number 7.").locator(".memory-source").textContent()).toBe("an import");
		await screenshot(page, "memory-desktop");
		await page.setViewportSize(PHONE);
		await screenshot(page, "memory-phone");
		expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
		expect(await sticksOut(page, ".panel")).toEqual([]);
		await page.setViewportSize(DESKTOP);
		expect(t.foreign).toEqual([]);
		expect(t.errors).toEqual([]);
	});
});

describe("a chat that remembers", () => {
	let alice = "";
	const chatPage = t;
	beforeAll(async () => {
		alice = await userToken(`memory-chat-${suffix}`);
		await t.page.evaluate(() => localStorage.clear());
		await signIn(t.page, alice);
	});

	// On a failure, say what the page shows and what the server thinks of the turns.
	afterEach(async (context) => {
		if (context.task.result?.state !== "fail") return;
		const shown = await t.page
			.locator(".timeline [data-item-id]")
			.evaluateAll((els) =>
				els.map((e) => `${Object.values((e as HTMLElement).dataset).join(" ")}: ${e.textContent?.slice(0, 200)}`),
			);
		const { tasks } = await api<{ tasks: unknown[] }>(alice, "GET", "/api/tasks?kind=chat&limit=10");
		console.error(`page items:\n${shown.join("\n")}\nturns:\n${JSON.stringify(tasks, null, 1)}`);
	});

	/** Sends a message in a new chat and waits for Sparky's whole answer; returns the chat's id. */
	async function ask(page: Page, text: string): Promise<{ chatId: string; answer: string }> {
		const before = page.url();
		await page.getByRole("button", { name: "New chat" }).click();
		await page.waitForURL((url) => /^\/chat\/chat_/.test(url.pathname) && url.href !== before);
		const chatId = new URL(page.url()).pathname.split("/")[2] ?? "";
		// The new chat's box has focus once it is ready.
		await expect.poll(() => focused(page)).toBe("#composer-input");
		const composer = page.getByLabel("Message");
		await composer.fill(text);
		await composer.press("Enter");
		const answer = page.locator(".timeline [data-role=assistant]").last();
		await expect.poll(() => answer.getAttribute("data-streaming"), { timeout: 20_000 }).toBe("false");
		await expect
			.poll(() => page.locator(".timeline [data-kind=run]").last().getAttribute("data-state"), { timeout: 20_000 })
			.toBe("succeeded");
		return { chatId, answer: (await answer.textContent()) ?? "" };
	}

	it("remembers in one chat, answers from memory in a new one, and says which memories it used", async () => {
		const page = chatPage.page;
		const first = await ask(page, "remember that my favourite colour is teal");
		expect(await page.locator(".timeline [data-kind=tool] code.tool-name").allTextContents()).toContain("remember");
		const [saved] = await memories(alice);
		expect(saved?.text).toContain("favourite colour is teal");
		expect(saved?.source).toMatchObject({ kind: "chat", chat_id: first.chatId });

		const second = await ask(page, "what is my favourite colour?");
		expect(second.answer.toLowerCase()).toContain("teal");
		const used = page.locator(".timeline [data-kind=run]").last().locator(".memories-used");
		await used.waitFor();
		expect(await used.locator("summary").textContent()).toMatch(/^Used [1-9]\d* memor(y|ies)$/);
		await used.locator("summary").click();
		const listed = used.locator(`.memories-used-list li[data-memory-id="${saved?.id}"]`);
		await listed.waitFor();
		expect(await listed.textContent()).toContain("favourite colour is teal");
		await screenshot(page, "memory-chat-used");

		// The Memory panel links the memory to the chat it came from.
		await page.getByRole("link", { name: "Memory", exact: true }).click();
		const source = row(page, "favourite colour is teal").locator("a.memory-source");
		await source.waitFor();
		expect(await source.getAttribute("href")).toBe(`/chat/${first.chatId}`);
		await source.click();
		await page.waitForURL(new RegExp(`/chat/${first.chatId}$`));
		await page.locator(".timeline [data-role=user]", { hasText: "remember that" }).waitFor();
		expect(chatPage.errors).toEqual([]);
	});

	it("shows a task's memories in its run view, and one forgotten since says so", async () => {
		const page = chatPage.page;
		const [saved] = await memories(alice);
		const task = await createTask(alice, "What is my favourite colour?");
		await waitForTask(alice, task.id, ["succeeded"]);
		await openFromSidebar(page, "task", task.id);
		await page.locator(".final-status[data-status=succeeded]").waitFor();
		expect((await page.locator(".task-result").textContent())?.toLowerCase()).toContain("teal");
		const used = page.locator(".timeline [data-kind=run] .memories-used");
		await used.waitFor();

		await api(alice, "DELETE", `/api/memories/${saved?.id}`);
		await used.locator("summary").click();
		const gone = used.locator(`li[data-memory-id="${saved?.id}"]`);
		await gone.waitFor();
		expect(await gone.getAttribute("data-forgotten")).toBe("true");
		expect(await gone.textContent()).toContain("forgotten since");
		expect(chatPage.foreign).toEqual([]);
		expect(chatPage.errors).toEqual([]);
	});
});

describe("axe-core on the Memory panel and a turn's memories", () => {
	let token = "";
	beforeAll(async () => {
		token = await userToken(`memory-axe-${suffix}`);
		await api(token, "POST", "/api/memories", { text: "My favourite colour is teal.", tags: ["colour"], pinned: true });
		await api(token, "POST", "/api/memories", { text: "I live in Lisbon." });
	});

	for (const scheme of ["light", "dark"] as const) {
		it(`${scheme}: no serious or critical violation`, async () => {
			const browser = t.context.browser();
			if (!browser) throw new Error("no browser");
			// Its own context: axe is injected as a script, which the page's CSP rightly refuses.
			const { page, context, errors } = await openPage(browser, DESKTOP, { colorScheme: scheme, bypassCSP: true });
			await signIn(page, token);
			await page.getByRole("link", { name: "Memory", exact: true }).click();
			await rows(page).first().waitFor();
			await rows(page)
				.first()
				.getByRole("button", { name: /^Edit / })
				.click();
			const panel = await axeCheck(page);
			expect(panel.rulesRun).toBeGreaterThan(30);
			expect(panel.serious).toEqual([]);
			await screenshot(page, `axe-${scheme}-memory`);

			const task = await createTask(token, "What is my favourite colour?");
			await waitForTask(token, task.id, ["succeeded"]);
			await openFromSidebar(page, "task", task.id);
			const used = page.locator(".timeline [data-kind=run] .memories-used");
			await used.locator("summary").click();
			await used.locator(".memories-used-list li").first().waitFor();
			const run = await axeCheck(page);
			expect(run.serious).toEqual([]);
			expect(errors).toEqual([]);
			await context.close();
		});
	}
});
