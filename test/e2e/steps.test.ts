// Steps at a glance: one folded line per tool call (tool, key argument, time, ✓/✗, what went
// wrong); opened, results read as text, JSON on demand, code highlighted; copy buttons; a
// thought opened shows its text once.
import { describe, expect, inject, it } from "vitest";
import { createTask, userToken, waitForTask } from "./support/api.ts";
import { DESKTOP, PHONE, screenshot, usePage } from "./support/browser.ts";
import { openFromSidebar } from "./support/sidebar.ts";

let carol: string;
const t = usePage(async () => {
	carol = await userToken(`carol-${Math.random().toString(36).slice(2, 7)}`);
	return carol;
});

const clipboard = () => t.page.evaluate(() => navigator.clipboard.readText());

async function openTask(id: string): Promise<void> {
	await t.page.goto(`${inject("sparkyUrl")}/task/${id}`);
	await t.page.locator(".final-status[data-status=succeeded]").waitFor({ timeout: 15_000 });
}

describe("steps at a glance", () => {
	it("shows each tool call as one folded line; opened, its result reads as text, JSON on demand", async () => {
		const page = t.page;
		const url = `${inject("pageUrl")}/page.html`;
		const task = await createTask(carol, `Fetch ${url} and tell me what time is it`);
		await openTask(task.id);

		const lines = page.locator(".timeline [data-kind=tool]");
		await expect.poll(() => lines.count()).toBe(2);
		const fetchLine = lines.first();
		const summary = fetchLine.locator("summary");
		expect(await summary.locator(".step-mark").textContent()).toBe("✓");
		expect(await summary.locator("code.tool-name").textContent()).toBe("http_fetch");
		expect(await summary.locator(".step-key").textContent()).toBe(url);
		expect(await summary.locator(".step-took").textContent()).toMatch(/^\d+(\.\d)? (ms|s)$/);
		expect(await summary.locator(".badge").textContent()).toBe("done");
		expect(await lines.nth(1).locator(".step-key").count()).toBe(0); // current_time has no arguments
		// Folded: the body is there but not shown until the line is opened.
		expect(await fetchLine.locator("details").getAttribute("open")).toBeNull();
		expect(await fetchLine.locator(".tool-body").isVisible()).toBe(false);
		await screenshot(page, "steps-folded-desktop");

		await summary.click();
		const result = fetchLine.locator(".tool-result");
		await result.waitFor();
		// The page's text as text: real line breaks, no JSON quotes or \n escapes.
		const text = (await result.locator("pre code").textContent()) ?? "";
		expect(text).toContain("The secret word is pineapple.");
		expect(text).toContain("\n");
		expect(text).not.toContain("\\n");
		expect(text).not.toContain('"status"');
		expect(await result.getAttribute("data-view")).toBe("text");
		// The whole result, pretty JSON, on demand.
		await result.getByRole("button", { name: "Show JSON" }).click();
		const json = (await result.locator("pre code").textContent()) ?? "";
		expect(JSON.parse(json)).toMatchObject({ status: 200, url });
		expect(json).toContain('\n  "status": 200');
		await result.getByRole("button", { name: "Show as text" }).click();
		await expect.poll(() => result.getAttribute("data-view")).toBe("text");
		// Arguments are JSON, highlighted once the highlighter has loaded.
		await fetchLine.locator(".code-block").first().locator(".hljs-attr").first().waitFor();
		await screenshot(page, "steps-open-desktop");

		// Copy buttons: the result's text, exactly.
		await result.getByRole("button", { name: "Copy result" }).click();
		// "Copied" for 1.5 s: looked for first, the clipboard after.
		await expect.poll(() => result.getByRole("button", { name: /Copied|Copy result/ }).textContent()).toBe("Copied");
		await expect.poll(clipboard).toBe(text);
		await page.setViewportSize(PHONE);
		await fetchLine.scrollIntoViewIfNeeded();
		await screenshot(page, "steps-open-phone");
		await page.setViewportSize(DESKTOP);
	});

	it("says what went wrong on the line: a tool's error, an HTTP status that isn't a success", async () => {
		const page = t.page;
		const task = await createTask(carol, `Read nothing-here.md and fetch ${inject("pageUrl")}/missing.html`);
		await openTask(task.id);
		const lines = page.locator(".timeline [data-kind=tool]");
		await expect.poll(() => lines.count()).toBe(2);
		const failed = lines.first();
		expect(await failed.getAttribute("data-state")).toBe("error");
		expect(await failed.locator(".step-mark").textContent()).toBe("✗");
		expect(await failed.locator(".step-key").textContent()).toBe("nothing-here.md");
		expect(await failed.locator(".step-note.step-error").textContent()).toBe(
			'no file "nothing-here.md" in the workspace (list_files shows what exists)',
		);
		await failed.locator("summary").click();
		expect(await failed.locator(".tool-result .code-label").textContent()).toBe("Error");
		expect(await failed.locator(".tool-result pre code").textContent()).toBe(
			'no file "nothing-here.md" in the workspace (list_files shows what exists)',
		);
		expect(await failed.getByRole("button", { name: "Show JSON" }).count()).toBe(0);
		const missing = lines.nth(1);
		const host = new URL(inject("pageUrl")).host;
		expect(await missing.locator(".step-note").textContent()).toBe(`HTTP 404 from ${host}`);
		await screenshot(page, "steps-errors-desktop");
	});

	it("opens a thought to its full text, shown once", async () => {
		const page = t.page;
		// Four calls: the first thought is longer than the line's preview.
		const task = await createTask(carol, "List files, read README.md, what time is it and list my tasks");
		await waitForTask(carol, task.id, ["succeeded"]);
		await openTask(task.id);
		const thought = page.locator(".timeline [data-kind=thought] details").first();
		await thought.waitFor();
		const full = (await thought.locator(".thought-text").textContent()) ?? "";
		expect(full.length).toBeGreaterThan(90);
		const preview = (await thought.locator(".thought-preview").textContent()) ?? "";
		expect(preview.endsWith("…")).toBe(true);
		// What is shown is the point: textContent would include the hidden preview and text.
		// biome-ignore lint/performance/useDomNodeTextContent: rendered text is what is tested
		expect(await thought.evaluate((el) => (el as HTMLElement).innerText)).not.toContain(full);
		await thought.locator("summary").click();
		// biome-ignore lint/performance/useDomNodeTextContent: rendered text is what is tested
		const shown = await thought.evaluate((el) => (el as HTMLElement).innerText);
		expect(shown.split(full).length - 1).toBe(1);
		expect(shown).not.toContain(preview);
	});

	it("copies the answer and the task id", async () => {
		const page = t.page;
		// A task's answer is shown (and copied) once: in the Result on top.
		await page.locator(".task-result").getByRole("button", { name: "Copy result" }).click();
		await expect
			.poll(clipboard)
			.toBe((await waitForTask(carol, page.url().split("/").at(-1) ?? "", ["succeeded"])).result);
		const id = page.url().split("/").at(-1) ?? "";
		await page.getByRole("button", { name: "Copy task id" }).click();
		await expect.poll(clipboard).toBe(id);
	});

	it("highlights code blocks in answers, loading the highlighter only then, with a copy button", async () => {
		const page = t.page;
		// The demo model quotes what it can't act on: its answer carries this fenced block.
		const task = await createTask(carol, "Explain this:\n```js\nconst answer = 42;\n```\nplease");
		await waitForTask(carol, task.id, ["succeeded"]);
		const scripts: string[] = [];
		page.on("request", (r) => {
			if (r.resourceType() === "script") scripts.push(new URL(r.url()).pathname);
		});
		await page.goto(inject("sparkyUrl"));
		await page.locator(".conn[data-state=connected]").waitFor();
		// Not in the first load: nothing on the home screen needs it.
		expect(scripts.filter((p) => /\/assets\/(core|javascript)-/.test(p))).toEqual([]);

		await openFromSidebar(page, "task", task.id);
		// The answer is on top (the steps point to it rather than repeat it).
		const block = page.locator(".task-result .code-wrap").first();
		const keyword = block.locator("pre code .hljs-keyword").first();
		await keyword.waitFor();
		expect(await keyword.textContent()).toBe("const");
		expect(await block.locator("pre code").textContent()).toBe("const answer = 42;\n");
		expect(scripts.some((p) => /\/assets\/core-/.test(p))).toBe(true);
		await block.getByRole("button", { name: "Copy code" }).click();
		await expect.poll(clipboard).toBe("const answer = 42;\n");
		expect(await page.locator(".timeline [data-kind=answer]").count()).toBe(1);
		expect(await page.locator(".code-wrap").count()).toBe(1);
		await block.scrollIntoViewIfNeeded();
		await screenshot(page, "code-highlighted-desktop");
	});
});
