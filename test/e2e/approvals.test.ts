// Approvals on the page: a run that waits shows a card (tool, input, expiry, Approve / Deny with a
// reason); the page decides over the socket; the sidebar marks what waits; the card shows the decision.
import { describe, expect, inject, it } from "vitest";
import type { Approval, Task } from "../../src/protocol/index.ts";
import { agent, api, createTask, userToken, waitForTask } from "./support/api.ts";
import { DESKTOP, launchChromium, openPage, PHONE, screenshot, signIn, usePage } from "./support/browser.ts";
import { focused } from "./support/checks.ts";

let bob: string;
const t = usePage(async () => {
	bob = await userToken(`bob-${Math.random().toString(36).slice(2, 7)}`);
	return bob;
});

type TaskView = Task & { approvals: Approval[] };
const view = async (id: string) => (await api<{ task: TaskView }>(bob, "GET", `/api/tasks/${id}`)).task;

describe("approvals on the page", () => {
	it("a task waits with a card; Approve runs the tool: the file is deleted and the task succeeds", async () => {
		const page = t.page;
		await page.setViewportSize({ width: 1366, height: 850 });
		await page.getByLabel("New task").fill("Delete README.md");
		await page.getByLabel("New task").press("Enter");
		await page.waitForURL(/\/task\/task_/);
		const taskId = page.url().split("/").at(-1) ?? "";
		await waitForTask(bob, taskId, ["awaiting_approval"]);

		const card = page.locator(".approval-card");
		await card.waitFor();
		expect(await card.getAttribute("data-status")).toBe("pending");
		expect(await card.locator(".approval-title").textContent()).toBe("Approval needed: delete_file");
		expect(await card.locator("[role=status]").textContent()).toBe("delete_file needs your approval before it runs.");
		expect(await card.locator(".code-block").textContent()).toContain('"path": "README.md"');
		expect(await card.locator(".approval-meta time").count()).toBe(1);
		const pending = (await view(taskId)).approvals[0] as Approval;
		expect(await card.getAttribute("data-approval-id")).toBe(pending.id);
		// The tool call says what it waits for; the run too; the sidebar row too.
		const tool = page.locator(".timeline [data-kind=tool]");
		expect(await tool.locator("summary .badge").textContent()).toBe("needs approval");
		await expect
			.poll(() => page.locator(".timeline [data-kind=run]").getAttribute("data-state"))
			.toBe("awaiting_approval");
		const link = page.locator(`.sidebar a[data-task-id="${taskId}"]`);
		await expect.poll(() => link.locator(".badge").textContent()).toBe("needs approval");
		// Real, labelled controls in a sane order: reason, Approve, Deny.
		const reason = card.getByLabel("Reason for denying (optional)");
		await reason.focus();
		await page.keyboard.press("Tab");
		expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Approve");
		await page.keyboard.press("Tab");
		expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Deny");

		await card.scrollIntoViewIfNeeded();
		await screenshot(page, "approval-card-desktop");
		await page.setViewportSize({ width: 390, height: 844 });
		await card.scrollIntoViewIfNeeded();
		await screenshot(page, "approval-card-phone");
		await page.setViewportSize(DESKTOP);

		await card.getByRole("button", { name: "Approve delete_file" }).click();
		await expect.poll(() => card.getAttribute("data-status")).toBe("approved");
		expect(await card.locator("[role=status]").textContent()).toMatch(/^Approved by you \(bob-\w+\) at /);
		expect(await card.getByRole("button").count()).toBe(0);
		// The keyboard's place stays on the card.
		await expect.poll(() => focused(page)).toMatch(/^p:Approved by you/);

		const done = await waitForTask(bob, taskId, ["succeeded", "failed"]);
		expect(done.status).toBe("succeeded");
		expect(done.result).toContain("Deleted **README.md**");
		await page.locator(".final-status[data-status=succeeded]").waitFor();
		await expect.poll(() => tool.getAttribute("data-state")).toBe("done");
		expect(await tool.locator(".code-block").nth(1).textContent()).toContain("README.md");
		await expect.poll(() => link.locator(".badge").textContent()).toBe("succeeded");
		expect((await view(taskId)).approvals[0]).toMatchObject({ status: "approved", decided_by: expect.any(String) });
		await screenshot(page, "approval-approved-desktop");
	});

	it("in a chat: the chat is marked, Deny with a reason, the turn finishes with the denial", async () => {
		const page = t.page;
		await page.getByRole("button", { name: "New chat" }).click();
		await page.waitForURL(/\/chat\/chat_/);
		const chatId = page.url().split("/").at(-1) ?? "";
		await page.getByLabel("Message").fill("Delete notes.md");
		await page.getByLabel("Message").press("Enter");

		const card = page.locator(".approval-card");
		await card.waitFor({ timeout: 20_000 });
		expect(await card.locator(".approval-title").textContent()).toBe("Approval needed: delete_file");
		const row = page.locator(`.sidebar a[data-chat-id="${chatId}"]`);
		await expect.poll(() => row.locator(".badge").textContent()).toBe("needs approval");
		// The message's turn has started (it waits for a decision, not for its turn).
		await expect.poll(() => page.locator(".timeline [data-kind=message][data-role=user] .badge").count()).toBe(0);
		await screenshot(page, "approval-chat-desktop");

		await card.getByLabel("Reason for denying (optional)").fill("keep my notes");
		await card.getByRole("button", { name: "Deny delete_file" }).click();
		await expect.poll(() => card.getAttribute("data-status")).toBe("denied");
		expect(await card.locator("[role=status]").textContent()).toMatch(
			/^Denied by you \(bob-\w+\) at .*Reason: keep my notes$/,
		);
		await expect.poll(() => row.locator(".badge").count()).toBe(0);
		// The agent is told, and answers.
		const answer = page.locator(".timeline [data-kind=message][data-role=assistant]").last();
		await expect.poll(() => answer.textContent(), { timeout: 20_000 }).toContain("keep my notes");
		await expect.poll(() => answer.getAttribute("data-streaming")).toBe("false");
		await screenshot(page, "approval-denied-desktop");
	});

	it("the agent user, watching someone else's task, sees the card without Approve or Deny; the owner has them", async () => {
		const task = await createTask(bob, "Delete README.md");
		await waitForTask(bob, task.id, ["awaiting_approval"]);
		const browser = await launchChromium();
		try {
			for (const viewport of [DESKTOP, PHONE]) {
				const watcher = await openPage(browser, viewport);
				await signIn(watcher.page, agent());
				await watcher.page.goto(`${inject("sparkyUrl")}/task/${task.id}`);
				const card = watcher.page.locator(".approval-card");
				await card.waitFor();
				// The card says whose decision it is once the page knows the agent user may only watch.
				await expect
					.poll(() => card.locator("[role=status]").textContent())
					.toMatch(/^delete_file waits for bob-\w+'s approval before it runs \(you may watch, not decide\)\.$/);
				expect(await card.getAttribute("data-status")).toBe("pending");
				expect(await watcher.page.getByRole("button", { name: /^(Approve|Deny) / }).count()).toBe(0);
				expect(await card.getByLabel("Reason for denying (optional)").count()).toBe(0);
				await screenshot(watcher.page, `approval-watcher-${viewport === PHONE ? "phone" : "desktop"}`);
				await watcher.context.close();
			}
		} finally {
			await browser.close();
		}
		// The owner still decides it, on the page.
		const page = t.page;
		await page.goto(`${inject("sparkyUrl")}/task/${task.id}`);
		const card = page.locator(".approval-card");
		await card.getByRole("button", { name: "Deny delete_file" }).click();
		await expect.poll(() => card.getAttribute("data-status")).toBe("denied");
	});
});
