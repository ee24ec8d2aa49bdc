import { type ApprovalView, FrameRequests, type HubClientStatus, Timeline } from "../../../src/client/index.ts";
import {
	type Chat,
	type ClientEvent,
	type ControlMessage,
	type CustomEventOf,
	CustomName,
	EventType,
	isTerminal,
	type Me,
	type SendPolicy,
	type SparkyFile,
	type Task,
} from "../../../src/protocol/index.ts";
import { type Api, describeError, type TaskOptions } from "../lib/api.ts";
import type { ConnectionState } from "../lib/connection.ts";
import { attachmentIds } from "../lib/files.ts";
import { MemoryApi } from "../lib/memories.ts";
import type { Route } from "../lib/route.ts";
import { frameThrottle } from "../lib/throttle.ts";
import { ActivityList } from "./activity.ts";
import { announcementFor } from "./announce.ts";
import { SessionApprovals } from "./approvals.ts";
import { BoardFeed } from "./board.ts";
import { ChatSummaries } from "./chat-summaries.ts";
import { SessionFiles } from "./files.ts";
import { HubConnection } from "./hub-connection.ts";
import { Liveness } from "./liveness.ts";
import { TaskFollower } from "./task-follow.ts";
import { ThreadLoads } from "./thread-loads.ts";
import { type ThreadLoad, threadFor } from "./threads.ts";

/**
 * One signed-in session: the API, the hub connection and the one `Timeline` every event
 * goes into. Components read its fields and call its actions; `subscribe` tells them to
 * re-render, at most once per animation frame.
 */
export class Session {
	readonly timeline = new Timeline();
	readonly hub: HubConnection;
	readonly requests: FrameRequests;
	connection: ConnectionState = "connecting";
	route: Route = { kind: "home" };
	/** The home screen should focus its box when it opens ("New task" in the header). */
	homeFocus = false;
	/** The sidebar's task list (filters, search, pages). */
	readonly activity: ActivityList;
	/** Long-term memory (`/api/memories`): the Memory panel, and the memories a run used. */
	readonly memories: MemoryApi;
	readonly summaries: ChatSummaries;
	readonly files: SessionFiles;
	/** The agent's live board (the `agent` user's home; an admin's, polled). */
	readonly board: BoardFeed;
	/** The task opened in place on the board (its stream followed like an open task's). */
	peeked: string | undefined;
	listsError: string | undefined;
	readonly taskDetails = new Map<string, Task>();
	/** When each task and chat last had a live event ("no activity for N s"). */
	readonly liveness = new Liveness();
	/** The live region's text (components/LiveRegion.tsx); `count` tells a repeat apart. */
	announcement = { text: "", count: 0 };
	readonly #threads: ThreadLoads;
	readonly #approvals: SessionApprovals;
	#ready = false;
	/** The open task's stream, followed from its creator's hub when it isn't this user's. */
	#follower: TaskFollower | undefined;
	#listeners = new Set<() => void>();
	readonly #notify = frameThrottle(() => {
		for (const listener of this.#listeners) listener();
	});

	constructor(
		readonly api: Api,
		readonly me: Me,
		readonly onSignedOut: (reason: string) => void,
	) {
		api.onUnauthorized = () => onSignedOut("Your token is no longer accepted (revoked or expired). Sign in again.");
		this.activity = new ActivityList(api, this.timeline, () => this.changed());
		this.memories = new MemoryApi(api);
		this.files = new SessionFiles(api, () => this.changed());
		this.board = new BoardFeed(api, me, () => this.changed());
		this.summaries = new ChatSummaries(this.memories, this.timeline, () => this.changed());
		this.requests = new FrameRequests((frame) => this.hub.send(frame));
		this.#threads = new ThreadLoads(api, this.requests, this.timeline, this.files, this.taskDetails, () =>
			this.changed(),
		);
		this.#approvals = new SessionApprovals(api, this.requests, this.timeline, this.taskDetails, () => this.changed());
		this.hub = new HubConnection({
			baseUrl: api.baseUrl,
			ticket: () => api.wsTicket(),
			onEvent: (event) => this.#onEvent(event),
			onControl: (message) => this.#onControl(message),
			onState: (state, hub) => this.#onState(state, hub),
			onUnauthorized: () => this.onSignedOut("Your token was revoked or has expired. Sign in again."),
		});
	}

	/** How far each thread's past got loaded. */
	get loads(): Map<string, ThreadLoad> {
		return this.#threads.loads;
	}

	subscribe(listener: () => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	changed(): void {
		this.#notify();
	}

	start(): void {
		this.hub.start();
		this.board.start();
	}

	stop(): void {
		this.board.stop();
		this.#follower?.stop();
		this.requests.failAll("Signed out.");
		this.hub.stop();
		this.files.stop();
		this.#listeners.clear();
	}

	// ---- navigation and loading -----------------------------------------------------------

	open(route: Route): void {
		this.peeked = undefined;
		if (this.#follower && (route.kind !== "task" || route.id !== this.#follower.taskId)) {
			this.#follower.stop();
			this.#follower = undefined;
		}
		this.route = route;
		const thread = threadFor(route, this.timeline);
		this.timeline.open(thread?.key);
		this.#loadOpenThread();
		this.changed();
	}

	/**
	 * Opens a task in place on the board (or closes it: undefined): its past is loaded and its
	 * stream followed as if it were open, without leaving the board.
	 */
	peek(taskId: string | undefined): void {
		if (this.#follower && this.#follower.taskId !== taskId) {
			this.#follower.stop();
			this.#follower = undefined;
		}
		this.peeked = taskId;
		this.changed();
		if (!taskId) return;
		const key = `task:${taskId}`;
		const load = this.load(key);
		if (load.status === "loading") return;
		// Loaded before: read again (the board's summary didn't bring its text), quietly.
		if (load.status !== "loaded") this.#threads.set(key, { status: "loading" });
		this.#loadTask(taskId).then(
			() => this.#threads.set(key, { status: "loaded" }),
			(error: unknown) => this.#threads.set(key, { status: "error", error: describeError(error) }),
		);
	}

	/**
	 * Whether the task's stream is still being caught up from where it is kept: its end is
	 * shown once the stream has it, never before the answer that came with it.
	 */
	catchingUp(taskId: string): boolean {
		return this.#follower?.taskId === taskId;
	}

	load(key: string): ThreadLoad {
		return this.#threads.load(key);
	}

	/** Everything fetched over HTTP, again (after `replay.truncated`, or a retry button). */
	async reload(): Promise<void> {
		this.loads.clear();
		await Promise.all([this.#loadLists(), this.#loadOpenThread(), this.board.reload()]);
	}

	loadEarlier(chatId: string): Promise<void> {
		return this.#threads.loadEarlier(chatId);
	}

	// ---- actions --------------------------------------------------------------------------

	async newChat(): Promise<Chat> {
		const chat = await this.api.createChat();
		this.timeline.applyChats([chat]);
		this.#threads.set(`chat:${chat.id}`, { status: "loaded", nextBefore: null });
		return chat;
	}

	async renameChat(id: string, title: string): Promise<void> {
		this.timeline.applyChats([await this.api.renameChat(id, title)]);
		this.changed();
	}

	async deleteChat(id: string): Promise<void> {
		await this.api.deleteChat(id);
	}

	/**
	 * Sends a message; `policy` says what it does while a turn runs (default: the chat's). A
	 * steered one shows as pending under the running turn until the run reads it.
	 */
	async sendChat(chatId: string, text: string, files: readonly SparkyFile[] = [], policy?: SendPolicy): Promise<void> {
		const frame = {
			type: "chat.send",
			chat_id: chatId,
			text,
			...attachmentIds(files),
			...(policy ? { policy } : {}),
		} as const;
		const answer = await this.requests.request(frame);
		this.files.noteSent(answer, files);
		const result =
			answer.type === "ack" ? (answer.result as { message_id?: unknown; turn_id?: unknown; status?: unknown }) : {};
		if (result.status === "steered" && typeof result.message_id === "string" && typeof result.turn_id === "string") {
			this.timeline.noteSteered(chatId, { messageId: result.message_id, turnId: result.turn_id, text, ts: Date.now() });
			this.changed();
		}
	}

	/** The chat's default policy for messages sent while a turn runs (`PATCH /api/chats/:id`). */
	async setChatPolicy(chatId: string, policy: SendPolicy): Promise<void> {
		this.timeline.applyChats([await this.api.setChatPolicy(chatId, policy)]);
		this.changed();
	}

	async stopChat(chatId: string): Promise<void> {
		await this.requests.request({ type: "chat.cancel", chat_id: chatId });
	}

	async createTask(instruction: string, options: TaskOptions = {}): Promise<Task> {
		const task = await this.api.createTask(instruction, options);
		this.timeline.applyTasks([task]);
		this.taskDetails.set(task.id, task);
		this.activity.added(task);
		this.changed();
		return task;
	}

	/** Approves or denies a tool call a run waits for, over the socket (`approval.decide`). */
	decideApproval(approval: ApprovalView, approved: boolean, reason?: string): Promise<void> {
		return this.#approvals.decide(approval, approved, reason);
	}

	async cancelTask(id: string): Promise<void> {
		const task = await this.api.cancelTask(id);
		// The cancel answer is the plain task: keep what `GET /api/tasks/:id` said about the caller.
		const known = this.taskDetails.get(id);
		this.taskDetails.set(id, { ...task, can_cancel: known?.can_cancel, can_decide: known?.can_decide });
		this.timeline.applyTasks([task]);
		this.changed();
	}

	// ---- internals ------------------------------------------------------------------------

	#onEvent(event: ClientEvent): void {
		this.liveness.mark(event);
		this.timeline.apply([event]);
		this.activity.onEvent(event);
		this.summaries.onEvent(event, this.route);
		const said = announcementFor(event, this.timeline, this.route);
		if (said) this.announcement = { text: said, count: this.announcement.count + 1 };
		if (event.type === EventType.CUSTOM && event.name === CustomName.taskStatus) this.#refreshDetails(event.task_id);
		if (event.type === EventType.CUSTOM && event.name === CustomName.chat) this.#onChatChange(event);
		this.#feedBoard(event);
		this.changed();
	}

	/** The board is fed last, and can't break the rest: what it can't read, it skips. */
	#feedBoard(event: ClientEvent): void {
		try {
			this.board.onEvent(event);
		} catch (error) {
			console.error("The board skipped an event it could not read", event.id, error);
		}
	}

	#onControl(message: ControlMessage): void {
		if (this.requests.onControl(message)) return;
		if (message.type === "session" && !this.#ready) {
			// Live from now on: what happened before comes over HTTP (overlap is harmless).
			this.#ready = true;
			void this.reload();
		} else if (message.type === "replay.truncated") {
			// Events we never saw are gone from the log: the HTTP views are the truth now.
			void this.reload();
		}
	}

	#onState(state: ConnectionState, hub: HubClientStatus): void {
		this.connection = state;
		if (hub !== "open") this.requests.failAll();
		if (hub === "open" && this.#ready) void this.#loadOpenThread();
		if (hub === "open") this.#follower?.wake();
		this.changed();
	}

	#onChatChange(event: CustomEventOf<typeof CustomName.chat>): void {
		const { action, chat } = event.value;
		if (action === "deleted" && this.route.kind === "chat" && this.route.id === chat.id) {
			this.onChatDeleted?.();
		}
	}

	/** Set by the app: the open chat was deleted (here or in another tab). */
	onChatDeleted: (() => void) | undefined;

	async #loadLists(): Promise<void> {
		try {
			const chats = await this.api.chats();
			this.timeline.applyChats(chats);
			this.listsError = undefined;
		} catch (error) {
			this.listsError = describeError(error);
		}
		await Promise.all([this.#loadTasks(), this.#approvals.loadWaiting()]);
	}

	async #loadTasks(): Promise<void> {
		await this.activity.reload();
	}

	/** Loads the open thread's past once the hub is live (so live events cover what follows). */
	async #loadOpenThread(): Promise<void> {
		const route = this.route;
		if (!this.#ready || (route.kind !== "chat" && route.kind !== "task")) return;
		const key = `${route.kind}:${route.id}`;
		const load = this.load(key);
		if (load.status === "loading" || load.status === "loaded") return;
		this.#threads.set(key, { status: "loading" });
		try {
			if (route.kind === "chat") {
				const answer = await this.#threads.history(route.id);
				this.#threads.set(key, { status: "loaded", nextBefore: answer.next_before });
				this.summaries.loadQuietly(route.id);
			} else {
				await this.#loadTask(route.id);
				this.#threads.set(key, { status: "loaded" });
			}
		} catch (error) {
			this.#threads.set(key, { status: "error", error: describeError(error) });
		}
		// The thread may only now be known to belong to a chat (a task posted into one).
		if (this.route === route) this.timeline.open(threadFor(route, this.timeline)?.key);
	}

	async #loadTask(id: string): Promise<void> {
		const { task, since } = await this.#threads.task(id);
		this.#follow(task, since);
	}

	/**
	 * Someone else's running task: this user's hub gets its summary only (the `agent` user's
	 * view) or nothing (an admin's), so its tokens are followed where the task keeps them.
	 */
	#follow(task: Task, since: number): void {
		if (task.user_id === this.me.user_id || isTerminal(task.status)) return;
		if (this.#follower?.taskId === task.id || !this.#watching(task.id)) return;
		this.#follower?.stop();
		const follower = new TaskFollower(this.api, task.id, (events) => {
			for (const event of events) this.#onEvent(event);
		});
		this.#follower = follower;
		void follower.run(since).finally(() => {
			if (this.#follower === follower) this.#follower = undefined;
			this.changed();
		});
	}

	/** Whether the task is open: routed to, or opened in place on the board. */
	#watching(taskId: string): boolean {
		return (this.route.kind === "task" && this.route.id === taskId) || this.peeked === taskId;
	}

	/** The details (times, usage) of an open task are re-read when it finishes. */
	#refreshDetails(taskId: string | undefined): void {
		if (!taskId || !this.#watching(taskId)) return;
		const status = this.timeline.task(taskId)?.status;
		if (!status || !isTerminal(status) || this.taskDetails.get(taskId)?.status === status) return;
		this.api
			.task(taskId)
			.then((task) => {
				this.taskDetails.set(taskId, task);
				this.changed();
			})
			.catch(() => undefined);
	}
}
