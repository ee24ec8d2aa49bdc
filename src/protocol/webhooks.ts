import { z } from "zod";

/**
 * Completion webhooks (issue #29, docs/webhooks.md): a task (or every task of a schedule) may
 * name a URL that Sparky POSTs to when the task ends or starts waiting for approval, signed
 * with the user's webhook secret.
 */

/** What a webhook can be sent for: `type` of a delivery's body and `Sparky-Event`. */
export const WEBHOOK_EVENTS = ["task.succeeded", "task.failed", "task.cancelled", "task.awaiting_approval"] as const;
export const WebhookEventSchema = z.enum(WEBHOOK_EVENTS);
export type WebhookEvent = z.infer<typeof WebhookEventSchema>;

export const WebhookLimits = {
	urlChars: 2_048,
	/** A delivery's body at most (the task's `result` is cut to fit). */
	bodyBytes: 256 * 1024,
	/** Deliveries `GET /api/tasks/:id` shows (the latest). */
	shownDeliveries: 20,
	/** `GET /api/tasks/:id/webhook-deliveries?limit=` at most. */
	listLimit: 100,
} as const;

/**
 * `webhook` of `POST /api/tasks` and of a schedule. The URL's shape is checked here (http or
 * https, no `user:password@`); where it may point (https only, no private, loopback or
 * link-local target: the same guard as `http_fetch`) is checked by the server, which knows
 * its settings.
 */
export const WebhookSpecSchema = z.strictObject({
	url: z
		.string()
		.trim()
		.min(1)
		.max(WebhookLimits.urlChars)
		.superRefine((value, ctx) => {
			let url: URL;
			try {
				url = new URL(value);
			} catch {
				ctx.addIssue({ code: "custom", message: "not an absolute URL" });
				return;
			}
			if (url.protocol !== "https:" && url.protocol !== "http:")
				ctx.addIssue({ code: "custom", message: `a webhook URL is https (not ${url.protocol})` });
			if (url.username || url.password)
				ctx.addIssue({ code: "custom", message: "no credentials in the URL (user:password@): deliveries are signed" });
		}),
	/** The events to send; default all four. */
	events: z.array(WebhookEventSchema).min(1).max(WEBHOOK_EVENTS.length).optional(),
});
export type WebhookSpec = z.infer<typeof WebhookSpecSchema>;

/** A task's or schedule's webhook as the API shows it: the URL without its query string. */
export const WebhookViewSchema = z.object({
	url: z.string(),
	events: z.array(WebhookEventSchema),
});
export type WebhookView = z.infer<typeof WebhookViewSchema>;

export const WebhookDeliveryStatusSchema = z.enum(["pending", "delivered", "failed"]);

/** One delivery (one event of one task) and how its attempts went. */
export const WebhookDeliverySchema = z.object({
	id: z.string(),
	type: WebhookEventSchema,
	status: WebhookDeliveryStatusSchema,
	/** HTTP attempts so far. */
	attempts: z.number().int(),
	/** The receiver's status code of the last attempt (`null`: none, or no answer). */
	last_status_code: z.number().int().nullable(),
	last_error: z.string().nullable(),
	/** When the next attempt is due (`null` once delivered or failed). */
	next_attempt_at: z.number().int().nullable(),
	delivered_at: z.number().int().nullable(),
	created_at: z.number().int(),
});
export type WebhookDelivery = z.infer<typeof WebhookDeliverySchema>;

/** `GET /api/tasks/:id/webhook-deliveries` query. */
export const WebhookDeliveriesQuerySchema = z.object({
	limit: z.coerce.number().int().min(1).max(WebhookLimits.listLimit).default(WebhookLimits.shownDeliveries),
});

/** `GET` and `POST /api/me/webhook-secret`. */
export const WebhookSecretAnswerSchema = z.object({ secret: z.string() });
