// Signing in and out: a bad token explains itself, a good one is kept until sign-out.
import { describe, expect, inject, it } from "vitest";
import { agent } from "./support/api.ts";
import { signIn, usePage } from "./support/browser.ts";
import { focused, unlabelledFields } from "./support/checks.ts";

const t = usePage();

const stored = () => t.page.evaluate(() => localStorage.getItem("sparky.token"));

describe("sign-in", () => {
	it("has a labelled password field and a sensible focus order", async () => {
		const page = t.page;
		await page.goto(inject("sparkyUrl"));
		expect(await page.getByLabel("API token").getAttribute("type")).toBe("password");
		expect(await unlabelledFields(page)).toEqual([]);
		// The token field has the focus from the start: type, Enter.
		await expect.poll(() => focused(page)).toBe("#token");
		await page.keyboard.press("Tab");
		expect(await focused(page)).toBe("button:Sign in");
	});

	it("shows a clear error for a bad token and keeps nothing", async () => {
		const page = t.page;
		await page.getByLabel("API token").fill("spk_not_a_real_token");
		await page.getByLabel("API token").press("Enter");
		const alert = page.getByRole("alert");
		await alert.waitFor();
		expect(await alert.textContent()).toMatch(/Sign-in failed: invalid, expired or revoked token/);
		expect(await page.getByLabel("API token").getAttribute("aria-invalid")).toBe("true");
		expect(await stored()).toBeNull();
	});

	it("signs in, stays signed in across a reload, and signs out", async () => {
		const page = t.page;
		await signIn(page, agent());
		expect(await page.locator(".who").textContent()).toContain("agent");
		expect(await stored()).toBe(agent());
		await page.reload();
		await page.locator(".conn[data-state=connected]").waitFor();
		await page.getByRole("button", { name: "Sign out" }).click();
		await page.getByLabel("API token").waitFor();
		expect(await stored()).toBeNull();
		expect(t.foreign).toEqual([]);
		expect(t.errors).toEqual([]);
	});
});
