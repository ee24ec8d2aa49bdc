// Running Sparky from the page, as an admin: the agent's status and model, users and their
// tokens (shown once, copied, revoked), schedules. A plain user sees none of it.
import { describe, expect, inject, it } from "vitest";
import type { Schedule } from "../../src/protocol/index.ts";
import { admin, api, createTask, userToken, waitForTask } from "./support/api.ts";
import { DESKTOP, launchChromium, openPage, PHONE, screenshot, signIn, usePage } from "./support/browser.ts";
import { sticksOut } from "./support/checks.ts";

const t = usePage(admin);
const stamp = Date.now().toString(36);

/** Status of a call with a token (no retries: 401 and 403 are the answers under test). */
async function statusWith(token: string, path: string): Promise<number> {
	return (await fetch(`${inject("sparkyUrl")}${path}`, { headers: { Authorization: `Bearer ${token}` } })).status;
}

describe("admin panel", () => {
	it("shows the agent's status and the model in use", async () => {
		const page = t.page;
		await t.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: inject("sparkyUrl") });
		await page.getByRole("link", { name: "Admin", exact: true }).click();
		await page.waitForURL(/\/admin$/);
		await page.getByRole("heading", { name: "Agent status" }).waitFor();
		await expect.poll(() => page.getByTestId("agent-model").textContent()).toBe("demo");
		// The page shows the API's counts: those that differ from a fresh read, none once Refresh
		// has caught up (another file's task may end or start meanwhile).
		const differing = async () => {
			const { counts } = await api<{ counts: Record<string, number> }>(admin(), "GET", "/api/agent/status");
			const off: string[] = [];
			for (const [name, n] of Object.entries(counts)) {
				const shown = Number(await page.locator(`[data-count="${name}"]`).textContent());
				if (shown !== n) off.push(`${name}: ${shown} shown, ${n} in the API`);
			}
			if (off.length > 0) await page.getByRole("button", { name: "Refresh" }).click();
			return off;
		};
		await expect.poll(differing).toEqual([]);
		await screenshot(page, "admin-desktop");
	});

	it("creates a user and a token shown once, which works, copies, and can be revoked", async () => {
		const page = t.page;
		const id = `ops-${stamp}`;
		await page.getByLabel("New user id").fill(id);
		await page.getByRole("button", { name: "Create user" }).click();
		const row = page.locator(`[data-user-id="${id}"]`);
		await row.waitFor();
		await row.getByLabel("Token name").fill("laptop");
		await row.getByRole("button", { name: "Create token" }).click();
		const secret = page.getByLabel("New token");
		await secret.waitFor();
		const token = await secret.inputValue();
		expect(token).toMatch(/^spk_/);
		expect(await statusWith(token, "/api/me")).toBe(200);
		await page.getByRole("button", { name: "Copy" }).click();
		await page.getByText("Copied.").waitFor();
		expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
		await screenshot(page, "admin-token-shown");
		await page.getByRole("button", { name: "Done" }).click();
		// Shown once: gone from the page, and never in the list.
		expect(await page.content()).not.toContain(token);
		const tokenRow = row.locator("tr[data-token-id]");
		// The list is read again once the secret was shown.
		await expect.poll(() => tokenRow.count()).toBe(1);
		expect(await tokenRow.locator("td").first().textContent()).toBe("laptop");
		await tokenRow.getByRole("button", { name: /Revoke/ }).click();
		await expect.poll(() => tokenRow.count()).toBe(0);
		expect(await statusWith(token, "/api/me")).toBe(401);
	});

	it("on a phone, a user's tokens fit the screen: Expires and Revoke are reachable", async () => {
		const page = t.page;
		const id = `phone-${stamp}`;
		await page.getByLabel("New user id").fill(id);
		await page.getByRole("button", { name: "Create user" }).click();
		const row = page.locator(`[data-user-id="${id}"]`);
		await row.waitFor();
		await row.getByLabel("Token name").fill("a phone with a rather long token name");
		await row.getByLabel("Expires").selectOption({ index: 1 });
		await row.getByRole("button", { name: "Create token" }).click();
		const token = await page.getByLabel("New token").inputValue();
		await page.getByRole("button", { name: "Done" }).click();
		await page.setViewportSize(PHONE);
		try {
			const tokenRow = row.locator("tr[data-token-id]");
			await tokenRow.waitFor();
			expect(await sticksOut(page, ".panel")).toEqual([]);
			expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
			const expires = tokenRow.locator('td[data-label="Expires"]');
			expect(await expires.textContent()).not.toBe("never");
			const revoke = tokenRow.getByRole("button", { name: /Revoke/ });
			await revoke.scrollIntoViewIfNeeded();
			for (const box of [await expires.boundingBox(), await revoke.boundingBox()]) {
				expect(box && box.x >= 0 && box.x + box.width <= PHONE.width).toBe(true);
			}
			await screenshot(page, "admin-tokens-phone");
			// Clicked where it is (no force): a real click in the viewport.
			await revoke.click();
			await expect.poll(() => tokenRow.count()).toBe(0);
			expect(await statusWith(token, "/api/me")).toBe(401);
		} finally {
			await page.setViewportSize(DESKTOP);
		}
	});

	it("says statuses in words, as everywhere else (needs approval, not awaiting_approval)", async () => {
		const page = t.page;
		const task = await createTask(admin(), "Delete README.md");
		await waitForTask(admin(), task.id, ["awaiting_approval"]);
		const section = page.locator("section[aria-labelledby=agent-status-heading]");
		await section.getByRole("button", { name: "Refresh" }).click();
		await expect.poll(() => section.locator(".facts dt").allTextContents()).toContain("needs approval");
		const labels = await section.locator(".facts dt").allTextContents();
		expect(labels.filter((l) => l.includes("_"))).toEqual([]);
		await api(admin(), "POST", `/api/tasks/${task.id}/cancel`);
	});

	it("creates a schedule, switches it off and on, runs it now and deletes it", async () => {
		const page = t.page;
		const name = `nightly-${stamp}`;
		const read = async () =>
			(await api<{ schedules: Schedule[] }>(admin(), "GET", "/api/schedules")).schedules.find((s) => s.name === name);
		await page.getByLabel("Name", { exact: true }).fill(name);
		await page.getByLabel("Instruction").fill("What time is it?");
		await page.getByLabel("Interval").fill("2h");
		await page.getByRole("button", { name: "Create schedule" }).click();
		const row = page.locator(`[data-schedule="${name}"]`);
		await row.waitFor();
		expect(await row.locator(".badge").textContent()).toBe("enabled");
		expect((await read())?.every).toBe("2h");
		await row.getByRole("button", { name: `Disable ${name}` }).click();
		await expect.poll(() => row.locator(".badge").textContent()).toBe("disabled");
		expect((await read())?.enabled).toBe(false);
		await row.getByRole("button", { name: `Enable ${name}` }).click();
		await expect.poll(() => row.locator(".badge").textContent()).toBe("enabled");
		expect((await read())?.enabled).toBe(true);
		await row.getByRole("button", { name: `Run now ${name}` }).click();
		await page.getByText(`${name} is running now.`).waitFor();
		const ran = await read();
		expect(ran?.last_task_id).toMatch(/^task_/);
		await page.setViewportSize(PHONE);
		await screenshot(page, "admin-phone");
		expect(await sticksOut(page, ".panel, .topbar")).toEqual([]);
		await page.setViewportSize(DESKTOP);
		await row.getByRole("button", { name: `Delete ${name}` }).click();
		await expect.poll(() => row.count()).toBe(0);
		expect(await read()).toBeUndefined();
		expect(t.foreign).toEqual([]);
		expect(t.errors).toEqual([]);
	});

	it("is not there for a plain user, and the API refuses them", async () => {
		const browser = await launchChromium();
		try {
			const user = await userToken(`plain-${stamp}`);
			const other = await openPage(browser);
			await signIn(other.page, user);
			expect(await other.page.getByRole("link", { name: "Settings", exact: true }).count()).toBe(1);
			expect(await other.page.getByRole("link", { name: "Admin", exact: true }).count()).toBe(0);
			await other.page.goto(`${inject("sparkyUrl")}/admin`);
			await other.page.getByText("Only admins can manage users, tokens and schedules here.").waitFor();
			expect(await other.page.getByLabel("New user id").count()).toBe(0);
			expect(await statusWith(user, "/api/users")).toBe(403);
			expect(other.errors).toEqual([]);
		} finally {
			await browser.close();
		}
	});
});
