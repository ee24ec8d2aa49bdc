import { z } from "zod";
import { log } from "../log.ts";

/**
 * Webhook settings (docs/webhooks.md):
 * - `SPARKY_WEBHOOK_ALLOW`: comma-separated `host:port` entries (`port` may be `*`) that a
 *   webhook may reach over plain http and despite the network guard, for a local receiver while
 *   developing and in tests. Only loopback hosts count (`127.0.0.1`, `localhost`, `[::1]`);
 *   anything else in it is ignored, with a warning. Empty (the default): https to public hosts only.
 * - `SPARKY_WEBHOOK_MAX_PENDING`: pending deliveries one user may have (default 1000); past it
 *   the oldest pending ones are dropped (marked failed).
 */
export interface WebhookConfig {
	/** Lower-case `host:port` / `host:*` entries, loopback hosts only. */
	allow: string[];
	maxPending: number;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);
/** The ignored-entries warning, once per isolate. */
let warned = false;

const Schema = z.object({
	SPARKY_WEBHOOK_ALLOW: z.string().optional(),
	SPARKY_WEBHOOK_MAX_PENDING: z
		.string()
		.optional()
		.transform((value) => {
			const n = Number(value);
			return value?.trim() && Number.isInteger(n) && n > 0 ? n : 1_000;
		}),
});

export function webhookConfig(env: Pick<Env, "SPARKY_WEBHOOK_ALLOW" | "SPARKY_WEBHOOK_MAX_PENDING">): WebhookConfig {
	const parsed = Schema.parse(env ?? {});
	const entries = (parsed.SPARKY_WEBHOOK_ALLOW ?? "")
		.split(",")
		.map((s) => s.trim().toLowerCase())
		.filter(Boolean);
	const allow = entries.filter((entry) => {
		const at = entry.lastIndexOf(":");
		return at > 0 && LOOPBACK_HOSTS.has(entry.slice(0, at)) && /^(\*|\d{1,5})$/.test(entry.slice(at + 1));
	});
	if (allow.length < entries.length && !warned) {
		warned = true;
		log.warn("SPARKY_WEBHOOK_ALLOW has entries that are not loopback host:port (or host:*): they are ignored", {
			ignored: entries.length - allow.length,
		});
	}
	return { allow, maxPending: parsed.SPARKY_WEBHOOK_MAX_PENDING };
}
