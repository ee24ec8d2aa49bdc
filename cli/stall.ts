import { CliError, ExitCode } from "./errors.ts";

/**
 * A transfer's watchdog: `signal` aborts with an "unreachable" CliError (`message`) once
 * `alive()` hasn't been called for `ms`. `stop()` when the transfer ends, however it ends.
 */
export function stallWatch(ms: number, message: string): { signal: AbortSignal; alive: () => void; stop: () => void } {
	const stall = new AbortController();
	let timer: ReturnType<typeof setTimeout> | undefined;
	const alive = () => {
		clearTimeout(timer);
		timer = setTimeout(() => stall.abort(new CliError(message, ExitCode.unreachable, "unreachable")), ms);
	};
	alive();
	return { signal: stall.signal, alive, stop: () => clearTimeout(timer) };
}
