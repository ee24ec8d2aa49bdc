// Types for start-vars.mjs (used by the TypeScript tests).
export function workerSettings(dir?: string): Set<string>;

export function shellVars(
	env: Record<string, string | undefined>,
	settings?: Set<string>,
): {
	args: string[];
	passed: string[];
	secrets: string[];
};

export function shellVarsNotice(vars: { passed: string[]; secrets: string[] }): string[];
