/**
 * The forwarding policy: how `send(audience, events, { forward })` reaches the hubs of
 * `forward` (the agent's, which hears of every new task). When the relay can forward, the
 * first hub of the audience stores the events and passes them on with its own relay, paced
 * (`UserHub.publishAndForward`): what every request sends that hub within a pace shares one
 * call, so the hub every request writes to gets a few calls a second instead of one per
 * request. Otherwise, and when the forwarding call fails, every hub gets them directly.
 */
export type SendRoute =
	/** One call to `via`, which passes them on to `passOn`; the rest of the audience directly. */
	| { via: string; direct: string[]; passOn: string[] }
	/** Each hub directly. */
	| { via: undefined; direct: string[] };

export function routeOf(audience: readonly string[], forward: readonly string[], canForward: boolean): SendRoute {
	const passOn = forward.filter((userId) => !audience.includes(userId));
	const via = audience[0];
	if (passOn.length > 0 && canForward && via !== undefined) {
		return { via, direct: audience.filter((userId) => userId !== via), passOn };
	}
	return { via: undefined, direct: [...audience, ...passOn] };
}

/** When a forwarding call fails: every hub it was for, directly. */
export function fallbackOf(route: { via: string; passOn: string[] }): string[] {
	return [route.via, ...route.passOn];
}
