import { useEffect, useState } from "preact/hooks";
import type { Session } from "./session.ts";

/** Re-renders the calling component when the session changes (at most once per frame). */
export function useSessionUpdates(session: Session): void {
	const [, setTick] = useState(0);
	useEffect(() => session.subscribe(() => setTick((n) => n + 1)), [session]);
}
