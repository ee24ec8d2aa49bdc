import { useEffect, useState } from "preact/hooks";
import { quietText } from "../state/liveness.ts";

/**
 * Under a running task or turn: "No activity for 12 s" once it has been quiet a while (a slow
 * tool, a model thinking, or a runner gone: the reader can tell it isn't the page that froze).
 */
export function QuietNote({ last, running }: { last: number | undefined; running: boolean }) {
	const [now, setNow] = useState(Date.now());
	useEffect(() => {
		if (!running) return;
		const timer = setInterval(() => setNow(Date.now()), 1_000);
		return () => clearInterval(timer);
	}, [running]);
	const text = running ? quietText(last, now) : "";
	if (!text) return null;
	return (
		<p class="quiet-note muted" data-quiet-ms={last === undefined ? undefined : String(now - last)}>
			{text} (still running)
		</p>
	);
}
