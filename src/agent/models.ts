import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModel } from "ai";
import { createWorkersAI } from "workers-ai-provider";
import { DemoLanguageModel } from "./demo-model.ts";

export interface ResolvedModel {
	model: LanguageModel;
	/** What ran the task, as shown to people: `provider:model`. */
	label: string;
}

export type ModelResolution = { ok: true; resolved: ResolvedModel } | { ok: false; error: string };

export const DEFAULT_ANTHROPIC = "anthropic:claude-sonnet-4-5";
export const DEFAULT_OPENAI = "openai:gpt-5-mini";

/**
 * Picks the model from `SPARKY_MODEL` (`provider:model`). Unset: Anthropic or OpenAI when
 * its key is set, otherwise the built-in `demo` model. A misconfiguration is a readable
 * error, not an exception: the task fails with it and says what to set.
 */
export function resolveModel(env: Env, configured: string | undefined, fetchImpl?: typeof fetch): ModelResolution {
	const spec = configured ?? (env.ANTHROPIC_API_KEY ? DEFAULT_ANTHROPIC : env.OPENAI_API_KEY ? DEFAULT_OPENAI : "demo");
	if (spec === "demo") {
		const delay = Number(env.SPARKY_DEMO_DELAY_MS ?? 25);
		return ok(new DemoLanguageModel({ chunkDelayMs: Number.isFinite(delay) ? delay : 25 }), "demo");
	}
	const colon = spec.indexOf(":");
	const provider = colon > 0 ? spec.slice(0, colon) : "";
	const modelId = spec.slice(colon + 1);
	if (!provider || !modelId) return { ok: false, error: `SPARKY_MODEL must look like provider:model, got "${spec}"` };
	// Where a setting goes: .dev.vars locally; deployed, a secret (`wrangler secret put`) or a
	// plain variable (wrangler.toml's [vars], or the dashboard) for what is no secret.
	const needs = (name: string, value: string | undefined, secret = true) =>
		value
			? undefined
			: secret
				? `SPARKY_MODEL is ${spec} but ${name} is not set: locally, add ${name}=… to .dev.vars; deployed, wrangler secret put ${name}`
				: `SPARKY_MODEL is ${spec} but ${name} is not set: locally, add ${name}=… to .dev.vars (or set it in the shell that runs npm start); deployed, set it in wrangler.toml's [vars] (it is no secret)`;

	switch (provider) {
		case "openai": {
			const missing = needs("OPENAI_API_KEY", env.OPENAI_API_KEY);
			if (missing) return { ok: false, error: missing };
			const openai = createOpenAI({ apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL, fetch: fetchImpl });
			return ok(openai(modelId), spec);
		}
		case "anthropic": {
			const missing = needs("ANTHROPIC_API_KEY", env.ANTHROPIC_API_KEY);
			if (missing) return { ok: false, error: missing };
			const anthropic = createAnthropic({
				apiKey: env.ANTHROPIC_API_KEY,
				baseURL: env.ANTHROPIC_BASE_URL,
				fetch: fetchImpl,
			});
			return ok(anthropic(modelId), spec);
		}
		case "openai-compatible": {
			const missing = needs("SPARKY_OPENAI_COMPAT_BASE_URL", env.SPARKY_OPENAI_COMPAT_BASE_URL, false);
			if (missing) return { ok: false, error: missing };
			const compat = createOpenAICompatible({
				name: "openai-compatible",
				baseURL: env.SPARKY_OPENAI_COMPAT_BASE_URL as string,
				apiKey: env.SPARKY_OPENAI_COMPAT_API_KEY,
				includeUsage: true,
				fetch: fetchImpl,
			});
			return ok(compat.chatModel(modelId), spec);
		}
		case "workers-ai": {
			if (env.AI) return ok(createWorkersAI({ binding: env.AI })(modelId), spec);
			if (env.CLOUDFLARE_ACCOUNT_ID && env.CLOUDFLARE_API_TOKEN) {
				const workersai = createWorkersAI({
					accountId: env.CLOUDFLARE_ACCOUNT_ID,
					apiKey: env.CLOUDFLARE_API_TOKEN,
					fetch: fetchImpl,
				});
				return ok(workersai(modelId), spec);
			}
			return {
				ok: false,
				error: `SPARKY_MODEL is ${spec}: add an [ai] binding named AI to wrangler.toml, or set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN (locally in .dev.vars; deployed, the account id in wrangler.toml's [vars] and wrangler secret put CLOUDFLARE_API_TOKEN)`,
			};
		}
		default:
			return {
				ok: false,
				error: `unknown model provider "${provider}" (use demo, openai, anthropic, openai-compatible or workers-ai)`,
			};
	}
}

function ok(model: LanguageModel, label: string): ModelResolution {
	return { ok: true, resolved: { model, label } };
}

/** The demo model's prompt budget: small, so a local chat shows compaction soon. */
export const DEMO_CONTEXT_TOKENS = 8_000;
/** A model nobody listed: a window most of today's models have. */
export const UNKNOWN_CONTEXT_TOKENS = 32_000;
/**
 * A prompt's ceiling whatever the window: every step of a run sends the whole prompt again and
 * is paid for it, and models answer worse deep into a long context. SPARKY_CONTEXT_TOKENS
 * goes past it for those who want more.
 */
export const MAX_DEFAULT_CONTEXT_TOKENS = 128_000;

/**
 * Documented context windows (tokens) by model id, first match wins; the id is matched after
 * its provider (`openai:`, `openai-compatible:`…) and any router's prefix (`openai/gpt-4o`).
 */
const WINDOWS: readonly [RegExp, number][] = [
	// Anthropic: every Claude 3, 3.5, 3.7, 4 and 4.5 model.
	[/claude/, 200_000],
	// OpenAI.
	[/gpt-5/, 400_000],
	[/gpt-4\.1/, 1_047_576],
	[/gpt-4o|chatgpt-4o|gpt-4-turbo/, 128_000],
	[/gpt-oss/, 128_000],
	[/(^|\/)o[134](-|$)/, 200_000],
	[/gpt-3\.5-turbo/, 16_385],
	// Google.
	[/gemini-(1\.5|2\.0|2\.5|3)/, 1_048_576],
	// Workers AI (developers.cloudflare.com/workers-ai/models).
	[/@cf\/meta\/llama-3\.3-70b-instruct-fp8-fast/, 24_000],
	[/@cf\/meta\/llama-4-scout/, 131_000],
	[/@cf\/mistralai\/mistral-small-3\.1/, 128_000],
	[/@cf\/google\/gemma-3/, 80_000],
	[/@cf\/qwen\/qwq-32b/, 24_000],
	// Older and smaller Workers AI models have small windows (a few thousand tokens).
	[/@cf\//, 8_000],
];

/**
 * The budget of one model call's whole prompt (system, tools, history, the new message), in
 * estimated tokens: SPARKY_CONTEXT_TOKENS when set, else from the model (`label`, as
 * `resolveModel` names it). A known window keeps a quarter (at least 4,096 tokens) for the
 * answer, and the estimate errs high besides; an unknown model gets a conservative 32,000.
 */
export function contextBudget(label: string, configured?: number): number {
	if (configured !== undefined) return configured;
	if (label === "demo") return DEMO_CONTEXT_TOKENS;
	const modelId = label.slice(label.indexOf(":") + 1).toLowerCase();
	const window = WINDOWS.find(([pattern]) => pattern.test(modelId))?.[1];
	if (window === undefined) return UNKNOWN_CONTEXT_TOKENS;
	return Math.min(MAX_DEFAULT_CONTEXT_TOKENS, window - Math.max(4_096, Math.floor(window / 4)));
}
