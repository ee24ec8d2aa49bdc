/**
 * Header values of MCP servers (API keys) are encrypted at rest: AES-256-GCM (WebCrypto),
 * the key derived from the SPARKY_SECRETS_KEY secret, a fresh 96-bit IV per value and the
 * owner and server name as additional data (a ciphertext copied to another row won't open).
 * Stored as `v1.<iv>.<ciphertext>` in base64url.
 */
import { base64url } from "../protocol/ids.ts";

/** A secret shorter than this is refused: it would be guessable. */
export const MIN_SECRETS_KEY_LENGTH = 32;

export class SecretsKeyMissing extends Error {
	constructor() {
		super(
			`SPARKY_SECRETS_KEY is not set (or shorter than ${MIN_SECRETS_KEY_LENGTH} characters); it is needed to store MCP server headers`,
		);
		this.name = "SecretsKeyMissing";
	}
}

const keys = new Map<string, Promise<CryptoKey>>();

function keyFrom(secret: string | undefined): Promise<CryptoKey> {
	if (!secret || secret.length < MIN_SECRETS_KEY_LENGTH) throw new SecretsKeyMissing();
	let key = keys.get(secret);
	if (!key) {
		key = (async () => {
			const material = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), "HKDF", false, [
				"deriveKey",
			]);
			return crypto.subtle.deriveKey(
				{
					name: "HKDF",
					hash: "SHA-256",
					salt: new TextEncoder().encode("sparky"),
					info: new TextEncoder().encode("mcp-server-headers/v1"),
				},
				material,
				{ name: "AES-GCM", length: 256 },
				false,
				["encrypt", "decrypt"],
			);
		})();
		keys.set(secret, key);
	}
	return key;
}

function fromBase64url(text: string): Uint8Array {
	const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
	return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** Encrypts a JSON value for one owner's row. */
export async function sealJson(secret: string | undefined, value: unknown, context: string): Promise<string> {
	const key = await keyFrom(secret);
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const plain = new TextEncoder().encode(JSON.stringify(value));
	const sealed = await crypto.subtle.encrypt(
		{ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(context) },
		key,
		plain,
	);
	return `v1.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
}

/** Decrypts what `sealJson` made; throws when the key, the context or the bytes differ. */
export async function openJson(secret: string | undefined, sealed: string, context: string): Promise<unknown> {
	const [version, iv, data] = sealed.split(".");
	if (version !== "v1" || !iv || !data) throw new Error("unknown secret format");
	const key = await keyFrom(secret);
	const plain = await crypto.subtle.decrypt(
		{ name: "AES-GCM", iv: fromBase64url(iv), additionalData: new TextEncoder().encode(context) },
		key,
		fromBase64url(data),
	);
	return JSON.parse(new TextDecoder().decode(plain));
}
