// The run view: the instruction as the title, a copyable id, the answer on top, links between a
// task and its follow-ups, Re-run; Cancel only for someone allowed to cancel; a cancelled task
// is neutral, not a failure; a quiet running task says for how long it has been quiet.
import { describe, expect, inject, it } from "vitest";
import { admin, createTask, getTask, release, userToken, waitForTask } from "./support/api.ts";
import { DESKTOP, launchChromium, openPage, PHONE, screenshot, signIn, usePage } from "./support/browser.ts";
import { focused } from "./support/checks.ts";

let dave: string;
const t = usePage(async () => {
	dave = await userToken(`dave-${Math.random().toString(36).slice(2, 7)}`);
	return dave;
});

describe("the run view", () => {
	it("titles a task with its instruction, answer on top, and links it with its follow-ups", async () => {
		const page = t.page;
		const task = await createTask(dave, "Add a follow-up task: check the logs");
		await page.goto(`${inject("sparkyUrl")}/task/${task.id}`);
		const title = page.locator("#thread-title");
		await expect.poll(() => title.textContent()).toBe("Add a follow-up task: check the logs");
		// Arriving at a task puts the focus on its title.
		await expect.poll(() => focused(page)).toBe("#thread-title");
		expect(await page.locator(".task-head code.task-id").textContent()).toBe(task.id);

		await page.locator(".final-status[data-status=succeeded]").waitFor({ timeout: 15_000 });
		const done = await getTask(dave, task.id);
		const result = page.locator(".task-result");
		await expect.poll(() => result.locator(".message-text").textContent()).toContain("Queued follow-up task");
		// On top: above the steps.
		const [resultBox, timelineBox] = [await result.boundingBox(), await page.locator(".timeline").boundingBox()];
		expect(resultBox && timelineBox && resultBox.y < timelineBox.y).toBe(true);
		// Once: the run's last message points to it instead of saying it again.
		await expect.poll(() => page.locator(".timeline [data-kind=answer]").count()).toBe(1);
		const said = await page.locator(".thread").evaluate((el) => el.textContent ?? "");
		expect(said.split("Queued follow-up task").length - 1).toBe(1);
		expect(await page.locator(".timeline [data-kind=message][data-role=assistant]").count()).toBe(0);

		const child = page.locator(".follow-ups li[data-task-id]");
		await child.waitFor();
		const childId = (await child.getAttribute("data-task-id")) ?? "";
		expect(done.result).toContain(childId);
		expect(await child.locator("a").textContent()).toBe("check the logs");
		await screenshot(page, "run-view-desktop");
		await page.setViewportSize(PHONE);
		await screenshot(page, "run-view-phone");
		await page.setViewportSize({ width: 1366, height: 850 });

		await child.locator("a").click();
		await page.waitForURL(new RegExp(`/task/${childId}$`));
		await expect.poll(() => title.textContent()).toBe("check the logs");
		const parent = page.locator(".follow-up-of a");
		await expect.poll(() => parent.textContent()).toBe("Add a follow-up task: check the logs");
		await parent.click();
		await page.waitForURL(new RegExp(`/task/${task.id}$`));
	});

	it("re-runs a task: a new task with the same instruction", async () => {
		const page = t.page;
		const before = page.url();
		await page.getByRole("button", { name: "Re-run" }).click();
		await expect.poll(() => page.url()).not.toBe(before);
		const id = page.url().split("/").at(-1) ?? "";
		expect(id).toMatch(/^task_/);
		expect((await getTask(dave, id)).instruction).toBe("Add a follow-up task: check the logs");
		await expect.poll(() => page.locator("#thread-title").textContent()).toBe("Add a follow-up task: check the logs");
	});

	it("cancels its own running task, and says so as neutral news", async () => {
		const page = t.page;
		const key = "run-view-cancel";
		const task = await createTask(dave, `Fetch ${inject("pageUrl")}/slow.html?key=${key}`);
		await page.goto(`${inject("sparkyUrl")}/task/${task.id}`);
		await expect.poll(() => page.locator(".timeline [data-kind=tool]").getAttribute("data-state")).toBe("running");
		await page.getByRole("button", { name: "Cancel task" }).click();
		// Until the run has stopped, the button says it is on its way.
		await expect.poll(() => page.locator(".task-actions button.danger").textContent()).toBe("Cancelling…");
		const final = page.locator(".final-status[data-status=cancelled]");
		await final.waitFor({ timeout: 15_000 });
		expect(await final.locator(".run-error").count()).toBe(0);
		expect(await page.locator(".timeline .run-error").count()).toBe(0);
		expect(await page.locator(".timeline [data-kind=run] .badge").textContent()).toBe("cancelled");
		// The call it cut off says it got no result (not "running" forever).
		expect(await page.locator(".timeline [data-kind=tool] summary .badge").textContent()).toBe("cancelled");
		await screenshot(page, "run-view-cancelled-desktop");
		await release(key);
	});
});

describe("where the run view opens", () => {
	it("at the top of the run, the answer once, on a desktop and a phone", async () => {
		const task = await createTask(
			dave,
			`Fetch ${inject("pageUrl")}/page.html, list files, what time is it, list my tasks, write notes.md with: hello`,
		);
		const done = await waitForTask(dave, task.id, ["succeeded"]);
		const browser = await launchChromium();
		try {
			for (const viewport of [DESKTOP, PHONE]) {
				const { page } = await openPage(browser, viewport);
				await signIn(page, dave);
				await page.goto(`${inject("sparkyUrl")}/task/${task.id}`);
				await page.locator(".final-status[data-status=succeeded]").waitFor();
				await page.locator(".timeline [data-kind=answer]").waitFor();
				const scroller = page.locator(".timeline-scroll");
				const at = await scroller.evaluate((el) => ({
					top: el.scrollTop,
					overflows: el.scrollHeight > el.clientHeight,
				}));
				// Long enough to scroll (five steps and their answer), and opened at its top.
				expect(at).toEqual({ top: 0, overflows: true });
				const [view, first] = [page.viewportSize(), await page.locator(".timeline > li").first().boundingBox()];
				expect(first && view && first.y >= 0 && first.y < view.height).toBe(true);
				expect(await page.locator(".task-result").isVisible()).toBe(true);
				// The answer once: in the Result, not again in a message.
				const firstLine = (done.result ?? "").split("\n")[0]?.slice(0, 40) ?? "";
				const said = await page.locator(".thread").evaluate((el) => el.textContent ?? "");
				expect(firstLine.length).toBeGreaterThan(10);
				expect(said.split(firstLine.replace(/\*\*/g, "")).length - 1).toBe(1);
				await screenshot(page, `run-view-top-${viewport === PHONE ? "phone" : "desktop"}`);
				await page.context().close();
			}
		} finally {
			await browser.close();
		}
	});

	it("a long answer opens in place on a phone", async () => {
		const instruction = `Explain, at length, ${"why the sky looks blue at noon and red at dusk, ".repeat(3)}please`;
		const task = await createTask(dave, instruction);
		await waitForTask(dave, task.id, ["succeeded"]);
		const browser = await launchChromium();
		try {
			const { page } = await openPage(browser, PHONE);
			await signIn(page, dave);
			await page.goto(`${inject("sparkyUrl")}/task/${task.id}`);
			const result = page.locator(".task-result");
			await result.waitFor();
			const open = result.getByRole("button", { name: "Show the whole answer" });
			await open.waitFor();
			const text = result.locator(".result-text");
			const cut = () => text.evaluate((el) => el.scrollHeight > el.clientHeight + 1);
			expect(await cut()).toBe(true);
			await screenshot(page, "run-view-long-answer-phone");
			await open.click();
			await expect.poll(() => result.getAttribute("data-open")).toBe("true");
			await expect.poll(cut).toBe(false);
			// All of it, in place: its last words can be scrolled to in the page.
			const last = text.locator("p").last();
			await last.scrollIntoViewIfNeeded();
			expect(await last.textContent()).toContain('README\'s "Models" section');
			const box = await last.boundingBox();
			expect(box && box.y >= 0 && box.y + box.height <= 844).toBe(true);
			await screenshot(page, "run-view-long-answer-open-phone");
			await result.getByRole("button", { name: "Show less" }).click();
			await expect.poll(cut).toBe(true);
		} finally {
			await browser.close();
		}
	});
});

describe("who may cancel", () => {
	it("shows Cancel to the task's creator, not to the agent user watching it", async () => {
		const browser = await launchChromium();
		try {
			// Both signed in before the task starts: the slow page holds it running 8 s at most.
			const watcher = await openPage(browser);
			await signIn(watcher.page, inject("agentToken"));
			const creator = await openPage(browser);
			await signIn(creator.page, admin());
			const key = "run-view-watch";
			const task = await createTask(admin(), `Fetch ${inject("pageUrl")}/slow.html?key=${key}`);
			await watcher.page.goto(`${inject("sparkyUrl")}/task/${task.id}`);
			const tool = watcher.page.locator(".timeline [data-kind=tool]");
			await expect.poll(() => tool.getAttribute("data-state")).toBe("running");
			await expect.poll(() => watcher.page.locator(".task-head .badge").first().textContent()).toBe("running");
			expect(await watcher.page.getByRole("button", { name: "Cancel task" }).count()).toBe(0);

			await creator.page.goto(`${inject("sparkyUrl")}/task/${task.id}`);
			await creator.page.getByRole("button", { name: "Cancel task" }).waitFor();
			await release(key);
			await waitForTask(admin(), task.id, ["succeeded"]);
		} finally {
			await browser.close();
		}
	});
});

describe("a quiet running task", () => {
	it('says "No activity for N s" after 10 s without an event, and stops once something happens', async () => {
		const browser = await launchChromium();
		try {
			const { page } = await openPage(browser);
			// The page's clock, run forward: no test waits 10 s (the slow page is held 8 s at most).
			await page.clock.install();
			await signIn(page, dave);
			const key = "run-view-quiet";
			const task = await createTask(dave, `Fetch ${inject("pageUrl")}/slow.html?key=${key}`);
			await page.goto(`${inject("sparkyUrl")}/task/${task.id}`);
			const tool = page.locator(".timeline [data-kind=tool]");
			await expect.poll(() => tool.getAttribute("data-state")).toBe("running");
			const note = page.locator(".quiet-note");
			expect(await note.count()).toBe(0);
			await page.clock.fastForward(5_000);
			expect(await note.count()).toBe(0);
			await page.clock.fastForward(7_000);
			await expect.poll(() => note.textContent()).toMatch(/^No activity for 1[2-9] s \(still running\)$/);
			await screenshot(page, "run-view-quiet-desktop");
			await release(key);
			await page.locator(".final-status[data-status=succeeded]").waitFor({ timeout: 15_000 });
			expect(await note.count()).toBe(0);
		} finally {
			await browser.close();
		}
	});
});
