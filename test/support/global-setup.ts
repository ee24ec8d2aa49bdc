// Vitest global setup: runs once in Node (not workerd) before any test file. Starts the fake
// LLM server, the OTLP trace receiver and the webhook receiver and hands their URLs to the tests
// (`inject("fakeLlmUrl")`, `inject("otlpReceiverUrl")`, `inject("webhookReceiverUrl")` from "vitest").
import type { ProvidedContext } from "vitest";
import { startFakeLlmServer } from "./fake-llm-server.ts";
import { startOtlpReceiver } from "./otlp-receiver.ts";
import { startWebhookReceiver } from "./webhook-receiver.ts";

/** The part of vitest's TestProject used here (importing "vitest/node" would bring Node's globals into every file's types). */
interface Project {
	provide<K extends keyof ProvidedContext>(key: K, value: ProvidedContext[K]): void;
}

export default async function setup(project: Project): Promise<() => Promise<void>> {
	const [server, receiver, webhooks] = await Promise.all([
		startFakeLlmServer(),
		startOtlpReceiver(),
		startWebhookReceiver(),
	]);
	project.provide("fakeLlmUrl", server.url);
	project.provide("otlpReceiverUrl", receiver.url);
	project.provide("otlpClosedUrl", receiver.closedUrl);
	project.provide("webhookReceiverUrl", webhooks.url);
	return async () => {
		await Promise.all([server.close(), receiver.close(), webhooks.close()]);
	};
}
