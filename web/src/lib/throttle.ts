/**
 * Coalesces calls into one per animation frame: a fast event stream changes the state many
 * times a frame, the page renders once. `schedule` is injectable for tests.
 */
export function frameThrottle(fn: () => void, schedule: (callback: () => void) => unknown = nextFrame): () => void {
	let pending = false;
	return () => {
		if (pending) return;
		pending = true;
		schedule(() => {
			pending = false;
			fn();
		});
	};
}

type FrameScheduler = { requestAnimationFrame?: (callback: () => void) => number };

/** The next animation frame (a hidden tab gets none: its changes wait until it is shown). */
function nextFrame(callback: () => void): unknown {
	const raf = (globalThis as FrameScheduler).requestAnimationFrame;
	return raf ? raf(callback) : setTimeout(callback, 16);
}
