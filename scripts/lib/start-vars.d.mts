// Types for start-vars.mjs (used by the TypeScript tests).
export function shellVars(env: Record<string, string | undefined>): {
	args: string[];
	passed: string[];
	secrets: string[];
};

export function shellVarsNotice(vars: { passed: string[]; secrets: string[] }): string[];
