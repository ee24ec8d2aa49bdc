// Secrets and optional bindings that `wrangler types` can't see (they are not in
// wrangler.toml, or only in some deployments). All optional: Sparky runs without them.
interface SparkyOptionalEnv {
	OPENAI_API_KEY?: string;
	OPENAI_BASE_URL?: string;
	ANTHROPIC_API_KEY?: string;
	ANTHROPIC_BASE_URL?: string;
	/** Base URL of an OpenAI-compatible server (Ollama, vLLM, Workers AI's /v1 endpoint). */
	SPARKY_OPENAI_COMPAT_BASE_URL?: string;
	SPARKY_OPENAI_COMPAT_API_KEY?: string;
	/** Workers AI by REST when there is no `[ai]` binding. */
	CLOUDFLARE_ACCOUNT_ID?: string;
	CLOUDFLARE_API_TOKEN?: string;
	/** Optional `[ai] binding = "AI"` in wrangler.toml (remote-only in `wrangler dev`). */
	AI?: Ai;
	/**
	 * Optional `[[vectorize]] binding = "MEMORY_INDEX"` (384 dimensions, cosine): with `AI`, memory
	 * search adds semantic similarity to full-text search (docs/memory.md). Remote-only in `wrangler dev`.
	 */
	MEMORY_INDEX?: Vectorize;
	/** The embeddings model for memory search (default `@cf/baai/bge-small-en-v1.5`). */
	SPARKY_EMBEDDING_MODEL?: string;
	/** Pause between the demo model's streamed chunks (ms). */
	SPARKY_DEMO_DELAY_MS?: string;
	/** The local clock's tick, in seconds (default 60). */
	SPARKY_CLOCK_SECONDS?: string;
	/** Seconds one MCP tool call may take (default 60). */
	SPARKY_MCP_TIMEOUT_SECONDS?: string;
	/**
	 * Headers for the OTLP endpoint (SPARKY_OTEL_ENDPOINT), `name=value,name=value`, e.g.
	 * `authorization=Bearer …`: a secret (src/telemetry/config.ts).
	 */
	SPARKY_OTEL_HEADERS?: string;
	/**
	 * Loopback `host:port` (or `host:*`) entries a webhook may reach over http despite the network
	 * guard: a local receiver while developing, and the tests' (src/webhooks/config.ts). Never deployed.
	 */
	SPARKY_WEBHOOK_ALLOW?: string;
	/** Pending webhook deliveries one user may have (default 1000; past it the oldest are dropped). */
	SPARKY_WEBHOOK_MAX_PENDING?: string;
	/** Test-only: see src/faults.ts. */
	SPARKY_FAILPOINTS?: string;
}

// The generated file declares both a global `Env` and `Cloudflare.Env`; extend each.
interface Env extends SparkyOptionalEnv {}
declare namespace Cloudflare {
	interface Env extends SparkyOptionalEnv {}
}
