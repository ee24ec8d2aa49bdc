/**
 * The terminal under `sparky agent top`: the alternate screen buffer (the shell's screen comes
 * back untouched on exit), the cursor hidden, keys read raw (`q` or Ctrl+C quit), redraws
 * in place at most `minIntervalMs` apart however fast the board changes, and the terminal
 * restored however the command ends (a key, a signal, an error, the process exiting).
 */

const ENTER = "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J";
const LEAVE = "\x1b[?25h\x1b[?1049l";

export type QuitReason = "q" | "ctrl-c" | "signal";

export interface ScreenOptions {
	/** Draws the screen: one string per line, fitted to `width`×`height`. */
	draw: (width: number, height: number) => string[];
	onQuit: (reason: QuitReason) => void;
	/** The shortest time between two redraws (default 250 ms: four a second at most). */
	minIntervalMs?: number;
	stdin?: NodeJS.ReadStream;
	stdout?: NodeJS.WriteStream;
}

export class Screen {
	readonly #options: ScreenOptions;
	readonly #stdin: NodeJS.ReadStream;
	readonly #stdout: NodeJS.WriteStream;
	readonly #minInterval: number;
	#active = false;
	#lastDraw = 0;
	#timer: ReturnType<typeof setTimeout> | undefined;
	#rawMode = false;
	/** Redraws done (the test's and the bench's count). */
	draws = 0;

	constructor(options: ScreenOptions) {
		this.#options = options;
		this.#stdin = options.stdin ?? process.stdin;
		this.#stdout = options.stdout ?? process.stdout;
		this.#minInterval = options.minIntervalMs ?? 250;
	}

	enter(): void {
		if (this.#active) return;
		this.#active = true;
		this.#stdout.write(ENTER);
		if (this.#stdin.isTTY) {
			this.#stdin.setRawMode(true);
			this.#rawMode = true;
		}
		this.#stdin.on("data", this.#onKey);
		this.#stdin.resume();
		this.#stdout.on("resize", this.#onResize);
		process.on("SIGINT", this.#onSigint);
		process.on("SIGTERM", this.#onSignal);
		process.on("SIGHUP", this.#onSignal);
		process.on("exit", this.#restore);
		this.#drawNow();
	}

	/** Asks for a redraw: now if the last was long enough ago, else once the interval is up. */
	update(): void {
		if (!this.#active || this.#timer) return;
		const wait = this.#lastDraw + this.#minInterval - Date.now();
		if (wait <= 0) this.#drawNow();
		else this.#timer = setTimeout(() => this.#drawNow(), wait);
	}

	/** Back to the shell's screen, cursor shown, keys cooked: safe to call twice. */
	leave(): void {
		if (!this.#active) return;
		this.#restore();
		this.#active = false;
		if (this.#timer) clearTimeout(this.#timer);
		this.#timer = undefined;
		this.#stdin.off("data", this.#onKey);
		this.#stdin.pause();
		this.#stdout.off("resize", this.#onResize);
		process.off("SIGINT", this.#onSigint);
		process.off("SIGTERM", this.#onSignal);
		process.off("SIGHUP", this.#onSignal);
		process.off("exit", this.#restore);
	}

	#drawNow(): void {
		this.#timer = undefined;
		if (!this.#active) return;
		this.#lastDraw = Date.now();
		this.draws++;
		const width = this.#stdout.columns || 100;
		const height = this.#stdout.rows || 24;
		const lines = this.#options.draw(width, height).slice(0, height);
		// Home, each line over the old one (erasing its rest), then erase below: no flicker of a full clear.
		this.#stdout.write(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join("\r\n")}\x1b[J`);
	}

	readonly #restore = (): void => {
		if (!this.#active) return;
		if (this.#rawMode && this.#stdin.isTTY) this.#stdin.setRawMode(false);
		this.#rawMode = false;
		this.#stdout.write(LEAVE);
	};

	readonly #onKey = (chunk: Buffer | string): void => {
		const text = chunk.toString();
		if (text.includes("\x03")) this.#options.onQuit("ctrl-c");
		else if (/^[qQ]/.test(text)) this.#options.onQuit("q");
		else if (text === "\x0c") this.#drawNow(); // Ctrl+L: redraw
	};

	readonly #onResize = (): void => this.#drawNow();
	readonly #onSigint = (): void => this.#options.onQuit("ctrl-c");
	readonly #onSignal = (): void => this.#options.onQuit("signal");
}
