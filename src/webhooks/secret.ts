import { unavailable } from "../errors.ts";
import { MIN_SECRETS_KEY_LENGTH, openJson, SecretsKeyMissing, sealJson } from "../mcp/secrets.ts";
import { base64url } from "../protocol/index.ts";
import { insertWebhookSecret, replaceWebhookSecret, sealedWebhookSecret } from "../storage/webhooks.ts";

/**
 * Each user's webhook signing secret (`whsec_…`, 32 random bytes): made on first read, stored
 * encrypted at rest the way MCP header values are (AES-256-GCM, key from SPARKY_SECRETS_KEY,
 * the user as additional data: mcp/secrets.ts), replaced by a rotation. Deliveries are signed
 * with the secret current when they are sent.
 */
const context = (userId: string) => `webhook-secret:${userId}`;

function newWebhookSecret(): string {
	return `whsec_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/** Whether secrets can be stored at all (a webhook without them could never be signed). */
export function canKeepSecrets(env: Env): boolean {
	return (env.SPARKY_SECRETS_KEY?.length ?? 0) >= MIN_SECRETS_KEY_LENGTH;
}

export function secretsMissing(): Error {
	return unavailable(
		`SPARKY_SECRETS_KEY is not set (or shorter than ${MIN_SECRETS_KEY_LENGTH} characters); webhooks need it to keep their signing secret`,
	);
}

/** The user's secret; made (and stored) on the first read. */
export async function webhookSecret(env: Env, userId: string, now = Date.now()): Promise<string> {
	try {
		const sealed = await sealedWebhookSecret(env.DB, userId);
		if (sealed) return await open(env, userId, sealed);
		const fresh = await sealJson(env.SPARKY_SECRETS_KEY, newWebhookSecret(), context(userId));
		return await open(env, userId, await insertWebhookSecret(env.DB, userId, fresh, now));
	} catch (error) {
		if (error instanceof SecretsKeyMissing) throw secretsMissing();
		throw error;
	}
}

/** A new secret for the user, in place of the old one (deliveries from now on are signed with it). */
export async function rotateWebhookSecret(env: Env, userId: string, now = Date.now()): Promise<string> {
	const secret = newWebhookSecret();
	try {
		await replaceWebhookSecret(env.DB, userId, await sealJson(env.SPARKY_SECRETS_KEY, secret, context(userId)), now);
	} catch (error) {
		if (error instanceof SecretsKeyMissing) throw secretsMissing();
		throw error;
	}
	return secret;
}

async function open(env: Env, userId: string, sealed: string): Promise<string> {
	const value = await openJson(env.SPARKY_SECRETS_KEY, sealed, context(userId));
	if (typeof value !== "string") throw new Error("a webhook secret is not a string");
	return value;
}
