import { useEffect, useState } from "preact/hooks";
import { describeError } from "../../lib/api.ts";

export interface Loaded<T> {
	data: T | undefined;
	error: string | undefined;
	reload: () => Promise<void>;
}

/** Loads something once (and again on `reload`); errors become text to show. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
	const [data, setData] = useState<T | undefined>();
	const [error, setError] = useState<string | undefined>();
	const reload = async () => {
		try {
			setData(await load());
			setError(undefined);
		} catch (cause) {
			setError(describeError(cause));
		}
	};
	useEffect(() => {
		void reload();
	}, deps);
	return { data, error, reload };
}

/** Runs an action, returning its error text (or undefined) so a form can show it. */
export async function attempt(action: () => Promise<unknown>): Promise<string | undefined> {
	try {
		await action();
		return undefined;
	} catch (cause) {
		return describeError(cause);
	}
}
