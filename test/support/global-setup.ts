// Vitest global setup: runs once in Node (not workerd) before any test file. Starts the fake
// LLM server and hands its URL to the tests (`inject("fakeLlmUrl")` from "vitest").
import type { ProvidedContext } from "vitest";
import { startFakeLlmServer } from "./fake-llm-server.ts";

/** The part of vitest's TestProject used here (importing "vitest/node" would bring Node's globals into every file's types). */
interface Project {
	provide<K extends keyof ProvidedContext>(key: K, value: ProvidedContext[K]): void;
}

export default async function setup(project: Project): Promise<() => Promise<void>> {
	const server = await startFakeLlmServer();
	project.provide("fakeLlmUrl", server.url);
	return () => server.close();
}
