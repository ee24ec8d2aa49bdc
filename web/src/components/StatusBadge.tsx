import type { TaskStatus } from "../../../src/protocol/index.ts";

export type BadgeKind =
	| TaskStatus
	| "retrying"
	| "calling"
	| "done"
	| "error"
	| "pending"
	| "interrupted"
	| "paused"
	| "approved"
	| "denied"
	| "expired"
	| "stopped";

const LABEL: Record<BadgeKind, string> = {
	waiting: "waiting",
	queued: "queued",
	running: "running",
	awaiting_approval: "needs approval",
	succeeded: "succeeded",
	failed: "failed",
	cancelled: "cancelled",
	retrying: "retrying",
	calling: "calling",
	done: "done",
	error: "error",
	pending: "pending",
	interrupted: "interrupted",
	paused: "paused for approval",
	approved: "approved",
	denied: "denied",
	expired: "expired",
	stopped: "stopped",
};

/** A status in words, as every badge says it (`awaiting_approval`: "needs approval"); unknown ones as they are. */
export function statusLabel(status: string): string {
	return (LABEL as Record<string, string | undefined>)[status] ?? status;
}

/** A status as text on a tinted background (colours in styles.css, each at least 4.5:1). */
export function StatusBadge({ status }: { status: BadgeKind }) {
	return (
		<span class={`badge status-${status}`} data-status={status}>
			{LABEL[status]}
		</span>
	);
}

export function UnreadBadge({ count }: { count: number }) {
	if (count <= 0) return null;
	return (
		<span class="unread" title={`${count} new`}>
			<span class="visually-hidden">(</span>
			{count > 99 ? "99+" : count}
			<span class="visually-hidden"> new)</span>
		</span>
	);
}
