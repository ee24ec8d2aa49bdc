import { HubClient, type HubClientStatus } from "../../../src/client/index.ts";
import { type ClientEvent, type ClientFrame, CloseCode, type ControlMessage } from "../../../src/protocol/index.ts";
import { type ConnectionState, connectionState } from "../lib/connection.ts";

export interface HubConnectionOptions {
	baseUrl: string;
	/** A fresh single-use ticket per connection, so the token never goes in a URL. */
	ticket: () => Promise<string>;
	onEvent: (event: ClientEvent) => void;
	onControl: (message: ControlMessage) => void;
	onState: (state: ConnectionState, hub: HubClientStatus) => void;
	/** The token was revoked or expired (close code 4001). */
	onUnauthorized: () => void;
}

/**
 * The page's one hub connection: a `HubClient` (reconnects with backoff and jitter, resumes
 * from its cursor), plus the browser's signals. Going offline drops the socket; coming back
 * online, or the tab becoming visible again (a laptop waking up), reconnects at once
 * instead of waiting out the backoff, resuming from the last seq seen.
 */
export class HubConnection {
	readonly #options: HubConnectionOptions;
	#client: HubClient | undefined;
	#hub: HubClientStatus = "connecting";
	#online = navigator.onLine;
	/** A session arrived once: the client's cursor means something and reconnects resume from it. */
	#hadSession = false;

	constructor(options: HubConnectionOptions) {
		this.#options = options;
	}

	get state(): ConnectionState {
		return connectionState(this.#hub, this.#online);
	}

	get isOpen(): boolean {
		return this.#hub === "open";
	}

	start(): void {
		window.addEventListener("online", this.#onOnline);
		window.addEventListener("offline", this.#onOffline);
		document.addEventListener("visibilitychange", this.#onVisible);
		this.#connect();
	}

	stop(): void {
		window.removeEventListener("online", this.#onOnline);
		window.removeEventListener("offline", this.#onOffline);
		document.removeEventListener("visibilitychange", this.#onVisible);
		const client = this.#client;
		this.#client = undefined;
		client?.close();
	}

	send(frame: ClientFrame): boolean {
		return this.#client?.send(frame) ?? false;
	}

	/** Skips the backoff: a new client that resumes where the old one stopped. */
	reconnectNow(): void {
		const old = this.#client;
		if (!old || this.#hub === "open") return;
		this.#client = undefined;
		old.close();
		this.#connect(this.#hadSession ? { since: old.lastSeq, sessionId: old.sessionId } : {});
	}

	#connect(resume: { since?: number; sessionId?: string } = {}): void {
		const client: HubClient = new HubClient({
			baseUrl: this.#options.baseUrl,
			auth: { ticket: this.#options.ticket },
			...resume,
			heartbeatMs: 20_000,
			onEvent: (event) => {
				if (this.#client === client) this.#options.onEvent(event);
			},
			onControl: (message) => {
				if (this.#client !== client) return;
				if (message.type === "session") this.#hadSession = true;
				this.#options.onControl(message);
			},
			onStatus: (status, detail) => {
				if (this.#client !== client) return;
				this.#hub = status;
				this.#options.onState(this.state, status);
				if (status === "closed" && detail?.code === CloseCode.unauthorized) this.#options.onUnauthorized();
			},
		});
		this.#client = client;
		client.connect();
	}

	#onOnline = (): void => {
		this.#online = true;
		this.#options.onState(this.state, this.#hub);
		this.reconnectNow();
	};

	#onOffline = (): void => {
		this.#online = false;
		this.#options.onState(this.state, this.#hub);
		// The socket is as good as gone: let the client notice now, not at its next heartbeat.
		this.#client?.drop();
	};

	#onVisible = (): void => {
		if (document.visibilityState === "visible" && this.#online) this.reconnectNow();
	};
}
