// A delivery's body within 256 KiB (docs/webhooks.md): the task's result is cut to fit, and the
// body says so.
import { describe, expect, it } from "vitest";
import { WebhookLimits } from "../../src/protocol/index.ts";
import { fitBody } from "../../src/webhooks/payload.ts";
import { checkWebhookUrl, originOf, shownUrl } from "../../src/webhooks/url.ts";

const bytes = (text: string) => new TextEncoder().encode(text).length;

describe("a delivery's body", () => {
	it("is left whole under the limit", () => {
		const body = { id: "whd_x", type: "task.succeeded", created_at: 1, task: { id: "task_x", result: "short" } };
		expect(fitBody(body, WebhookLimits.bodyBytes)).toBe(JSON.stringify(body));
	});

	it("cuts a long result (multi-byte and escaped characters too) to fit, and says so", () => {
		for (const unit of ["a", "é", "😀", '"\n']) {
			const result = unit.repeat(Math.ceil((300 * 1024) / unit.length));
			const body = { id: "whd_x", type: "task.succeeded", created_at: 1, task: { id: "task_x", result, error: null } };
			const text = fitBody(body, WebhookLimits.bodyBytes);
			expect(bytes(text), unit).toBeLessThanOrEqual(WebhookLimits.bodyBytes);
			expect(bytes(text), unit).toBeGreaterThan(WebhookLimits.bodyBytes - 8 * 1024);
			const parsed = JSON.parse(text);
			expect(parsed.truncated).toBe(true);
			expect(parsed.task.result).toMatch(
				/… \[cut: the webhook body's 256 KiB limit; GET \/api\/tasks\/:id has it whole\]$/,
			);
			const kept = parsed.task.result.slice(0, parsed.task.result.lastIndexOf("… [cut"));
			expect(kept.length, unit).toBeGreaterThan(0);
			expect(result.startsWith(kept), unit).toBe(true);
		}
	});

	it("drops the approvals when cutting the result and error is not enough", () => {
		const approvals = Array.from({ length: 40 }, (_, i) => ({ id: `a${i}`, input: { text: "x".repeat(8_000) } }));
		const body = { id: "whd_x", type: "task.awaiting_approval", created_at: 1, task: { result: null, approvals } };
		const parsed = JSON.parse(fitBody(body, WebhookLimits.bodyBytes));
		expect(parsed).toMatchObject({ truncated: true, task: { approvals: [] } });
	});
});

describe("a webhook URL", () => {
	it("is shown without its query and logged as its origin", () => {
		expect(shownUrl("https://hooks.example.com/a/b?token=s3cret#frag")).toBe("https://hooks.example.com/a/b");
		expect(originOf("https://hooks.example.com/a/b?token=s3cret")).toBe("https://hooks.example.com");
	});

	it("goes through http_fetch's guard; an allow entry lets only that loopback port through", () => {
		expect(checkWebhookUrl("https://hooks.example.com/x", [])).toMatchObject({ ok: true });
		expect(checkWebhookUrl("https://0x7f.1/x", [])).toMatchObject({
			ok: false,
			reason: expect.stringMatching(/loopback/),
		});
		expect(checkWebhookUrl("https://2130706433/x", [])).toMatchObject({ ok: false });
		expect(checkWebhookUrl("https://[fd00::1]/x", [])).toMatchObject({
			ok: false,
			reason: expect.stringMatching(/private/),
		});
		expect(checkWebhookUrl("http://127.0.0.1:9/x", ["127.0.0.1:9"])).toMatchObject({ ok: true });
		expect(checkWebhookUrl("http://127.0.0.1:10/x", ["127.0.0.1:9"])).toMatchObject({ ok: false });
		expect(checkWebhookUrl("http://127.0.0.1:10/x", ["127.0.0.1:*"])).toMatchObject({ ok: true });
		expect(checkWebhookUrl("https://u:p@hooks.example.com/x", [])).toMatchObject({ ok: false });
	});
});
