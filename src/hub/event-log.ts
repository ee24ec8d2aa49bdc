import { LIMITS, newId, type PublishEvent } from "../protocol/index.ts";

export interface LogBounds {
	/** Oldest seq still stored (lastSeq + 1 when nothing is stored). */
	oldestSeq: number;
	/** Highest seq ever assigned. Never goes down, even when retention empties the log. */
	lastSeq: number;
}

export interface AppendResult {
	/** The seq of each input event, in input order (an already-stored id gets its old seq). */
	seqs: number[];
	/** The newly stored events, serialised, in seq order: what to fan out. */
	fresh: string[];
}

/** What this log cost in SQLite since the object woke (the cursors' billed row counts). */
export interface LogCounters {
	rowsWritten: number;
	rowsRead: number;
	/** Events stored (not counting ids already stored). */
	stored: number;
}

export interface RetentionPolicy {
	maxCount: number;
	maxAgeMs: number;
}

/**
 * A user's event log in the hub's SQLite. The single writer of the user's `seq`:
 * gap-free, increasing, kept in `meta` so pruning never makes it go back.
 * Every method is synchronous, so a caller that sends right after reading cannot be
 * interleaved with a publish (that is what makes replay → live seamless).
 */
export class EventLog {
	readonly #sql: SqlStorage;
	readonly #storage: DurableObjectStorage;
	#lastSeq: number;
	#lastWritten = 0;
	readonly counters: LogCounters = { rowsWritten: 0, rowsRead: 0, stored: 0 };

	constructor(storage: DurableObjectStorage) {
		this.#storage = storage;
		this.#sql = storage.sql;
		this.#sql.exec(`
			CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
			CREATE TABLE IF NOT EXISTS events (
				seq INTEGER PRIMARY KEY,
				id TEXT NOT NULL UNIQUE,
				type TEXT NOT NULL,
				task_id TEXT,
				chat_id TEXT,
				stored_at INTEGER NOT NULL,
				json TEXT NOT NULL
			);
			CREATE INDEX IF NOT EXISTS events_stored_at ON events(stored_at);
			CREATE INDEX IF NOT EXISTS events_task ON events(task_id, seq) WHERE task_id IS NOT NULL;
			CREATE INDEX IF NOT EXISTS events_chat ON events(chat_id, seq) WHERE chat_id IS NOT NULL;
		`);
		const row = this.#exec<{ value: number }>("SELECT value FROM meta WHERE key = 'last_seq'")[0];
		this.#lastSeq = row?.value ?? 0;
	}

	/** Runs one statement to the end and counts its billed rows. */
	#exec<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): T[] {
		const cursor = this.#sql.exec<T>(query, ...bindings);
		const rows = cursor.toArray();
		this.counters.rowsWritten += cursor.rowsWritten;
		this.counters.rowsRead += cursor.rowsRead;
		this.#lastWritten = cursor.rowsWritten;
		return rows;
	}

	bounds(): LogBounds {
		const row = this.#exec<{ oldest: number | null }>("SELECT min(seq) AS oldest FROM events")[0] ?? {
			oldest: null,
			at: null,
			n: 0,
		};
		return { oldestSeq: row.oldest ?? this.#lastSeq + 1, lastSeq: this.#lastSeq };
	}

	get lastSeq(): number {
		return this.#lastSeq;
	}

	/** Numbers and stores a batch atomically; ids already stored are not stored twice. */
	append(batch: PublishEvent[], now: number, retention: RetentionPolicy): AppendResult {
		const before = this.#lastSeq;
		try {
			return this.#storage.transactionSync(() => {
				const result: AppendResult = { seqs: [], fresh: [] };
				for (const input of batch) {
					if (input.id !== undefined) {
						const existing = this.#exec<{ seq: number }>("SELECT seq FROM events WHERE id = ?", input.id)[0];
						if (existing) {
							result.seqs.push(existing.seq);
							continue;
						}
					}
					const seq = ++this.#lastSeq;
					const { id = newId("evt"), ts = now, ...fields } = input;
					const json = JSON.stringify({ seq, id, ts, ...fields });
					if (json.length > LIMITS.eventBytes) {
						throw new TypeError(`invalid publish batch: an event is over ${LIMITS.eventBytes} bytes`);
					}
					this.#exec(
						"INSERT INTO events (seq, id, type, task_id, chat_id, stored_at, json) VALUES (?, ?, ?, ?, ?, ?, ?)",
						seq,
						id,
						input.type,
						input.task_id ?? null,
						input.chat_id ?? null,
						now,
						json,
					);
					result.seqs.push(seq);
					result.fresh.push(json);
					this.counters.stored++;
				}
				this.#exec(
					"INSERT INTO meta (key, value) VALUES ('last_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
					this.#lastSeq,
				);
				// Count bound: cheap range delete on the primary key, done on every append.
				this.#exec("DELETE FROM events WHERE seq <= ?", this.#lastSeq - retention.maxCount);
				return result;
			});
		} catch (error) {
			this.#lastSeq = before;
			throw error;
		}
	}

	/** Serialised events with seq > since, oldest first. */
	readAfter(since: number, limit: number): string[] {
		return this.#exec<{ json: string }>("SELECT json FROM events WHERE seq > ? ORDER BY seq LIMIT ?", since, limit).map(
			(row) => row.json,
		);
	}

	/** Serialised events of one task (or chat), oldest first. */
	readFor(column: "task_id" | "chat_id", value: string, since: number, limit: number): string[] {
		return this.#exec<{ json: string }>(
			`SELECT json FROM events WHERE ${column} = ? AND seq > ? ORDER BY seq LIMIT ?`,
			value,
			since,
			limit,
		).map((row) => row.json);
	}

	/** Age bound: drops events stored before `now - maxAgeMs`. Returns how many went. */
	pruneByAge(now: number, maxAgeMs: number): number {
		this.#exec("DELETE FROM events WHERE stored_at < ?", now - maxAgeMs);
		return this.#lastWritten;
	}

	/** When the oldest stored event will age out, or undefined when the log is empty. */
	oldestStoredAt(): number | undefined {
		const row = this.#exec<{ at: number | null }>("SELECT min(stored_at) AS at FROM events")[0] ?? {
			oldest: null,
			at: null,
			n: 0,
		};
		return row.at ?? undefined;
	}

	count(): number {
		return this.#exec<{ n: number }>("SELECT count(*) AS n FROM events")[0]?.n ?? 0;
	}
}
