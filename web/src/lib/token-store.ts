/** The signed-in token, kept in localStorage (this origin only) until sign-out. */
const KEY = "sparky.token";

export interface TokenStore {
	get(): string | null;
	set(token: string): void;
	clear(): void;
}

export function browserTokenStore(storage: Storage | undefined = globalThis.localStorage): TokenStore {
	return {
		get: () => {
			try {
				return storage?.getItem(KEY) ?? null;
			} catch {
				return null;
			}
		},
		set: (token) => {
			try {
				storage?.setItem(KEY, token);
			} catch {
				// Private mode: stay signed in for this page only.
			}
		},
		clear: () => {
			try {
				storage?.removeItem(KEY);
			} catch {
				// nothing stored
			}
		},
	};
}
