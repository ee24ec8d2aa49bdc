// Bundler shim (wrangler.toml [alias] "@ai-sdk/gateway"): the AI SDK imports its Vercel AI
// Gateway provider for string model ids ("openai/gpt-5") and to recognise gateway errors.
// Sparky never passes a string: every model is a provider object (src/agent/models.ts), so the
// real package (141 KiB) stays out of the bundle and this stands in for the names `ai` imports.

/** No error is a gateway error when no gateway is used. */
class NoGatewayError extends Error {
	static isInstance(_error: unknown): boolean {
		return false;
	}
}
export const GatewayError = NoGatewayError;
export const GatewayAuthenticationError = NoGatewayError;

/** The AI SDK's default provider: any model from it is a programming error here. */
export const gateway: Record<string, unknown> = new Proxy(
	{},
	{
		get: (_target, property) =>
			typeof property === "string"
				? () => {
						throw new Error(
							`the AI Gateway provider is not bundled (asked for its ${property}); pass a model object, see src/agent/models.ts`,
						);
					}
				: undefined,
	},
);
export const createGateway = (): typeof gateway => gateway;
