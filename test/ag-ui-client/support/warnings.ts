// Every console.warn / console.error of a test (the AG-UI client warns when it strips or drops
// anything) is collected; each test asserts there were none.
import { afterEach, beforeEach } from "vitest";

export const warnings: string[] = [];
const original = { warn: console.warn, error: console.error };

beforeEach(() => {
	warnings.length = 0;
	console.warn = (...args: unknown[]) => {
		warnings.push(args.map(String).join(" "));
		original.warn(...args);
	};
	console.error = (...args: unknown[]) => {
		warnings.push(args.map(String).join(" "));
		original.error(...args);
	};
});

afterEach(() => {
	console.warn = original.warn;
	console.error = original.error;
});
