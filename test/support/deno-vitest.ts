/**
 * Under Deno, `import { describe, it, expect } from "vitest"` resolves here (deno.json's
 * import map): Deno's own node:test runner plus Jest's `expect`, so the portable core's
 * tests run unchanged in both runtimes.
 */
import { describe as nodeDescribe, it as nodeIt } from "node:test";
import { expect } from "expect";

type TestFn = () => unknown | Promise<unknown>;

function format(title: string, args: unknown[]): string {
	let i = 0;
	return title.replace(/%[sjdio]/g, () => {
		const value = args[i++];
		return typeof value === "string" ? value : JSON.stringify(value);
	});
}

interface Each {
	// `| [unknown]` makes TypeScript infer tuples, as vitest's own typing does.
	<T extends unknown[] | [unknown]>(cases: readonly T[]): (title: string, fn: (...args: T) => unknown) => void;
	<T>(cases: readonly T[]): (title: string, fn: (arg: T) => unknown) => void;
}

function withEach(run: (name: string, fn: TestFn) => unknown) {
	const each = ((cases: readonly unknown[]) => (title: string, fn: (...args: unknown[]) => unknown) => {
		for (const item of cases) {
			const args = Array.isArray(item) ? item : [item];
			run(format(title, args), () => fn(...args));
		}
	}) as Each;
	return Object.assign((name: string, fn: TestFn) => run(name, fn), { each });
}

export const describe = (name: string, fn: () => void) => nodeDescribe(name, fn);
export const it = withEach((name, fn) => nodeIt(name, async () => void (await fn())));
export const test = it;
export { expect };
