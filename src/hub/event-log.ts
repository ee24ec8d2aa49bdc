import { LIMITS, newId, type PublishEvent } from "../protocol/index.ts";
import { upgradeHubLayout } from "./layout.ts";
import { InvalidPublishError } from "./stub.ts";

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

/** Ids remembered for dedupe: a retried publish comes back within seconds, far inside this. */
const RECENT_IDS = 10_000;
/** A row's serialised events stay well under SQLite's row limit (2 MB in Durable Objects). */
const ROW_BYTES = 512 * 1024;
/** A row's `task_id`/`chat_id` when its events belong to several: a read looks at each event. */
const SEVERAL = "*";
/** The id of a serialised event: `JSON.stringify({ seq, id, ... })` puts it second. */
const ID_OF = /^\{"seq":\d+,"id":("(?:[^"\\]|\\.)*")/;

interface Row {
	seq: number;
	n: number;
	task_id: string | null;
	chat_id: string | null;
	json: string;
}

/**
 * A user's event log in the hub's SQLite. The single writer of the user's `seq`:
 * gap-free, increasing, and never going back (kept in `meta` whenever pruning could empty
 * the log). Every method is synchronous, so a caller that sends right after reading cannot
 * be interleaved with a publish (that is what makes replay → live seamless).
 *
 * Billed by the row written, so one row holds the events of one publish (`seq` is the
 * first's, `n` how many, `json` the events one per line; a new row past ROW_BYTES): no
 * secondary index, and eviction deletes whole rows by primary-key range. A row whose events
 * share a task (or chat) names it; one whose events belong to several says `*`. A task's or
 * chat's read scans from the cursor's row, taking the rows that name it whole and picking its
 * events out of `*` rows (rows read cost a thousandth of rows written). Ids are deduplicated against the last
 * RECENT_IDS events (in memory, seeded from the log's tail on the first append after a
 * wake): a retried publish stores once.
 */
export class EventLog {
	readonly #sql: SqlStorage;
	readonly #storage: DurableObjectStorage;
	#lastSeq: number;
	/** id → seq of the most recent events; undefined until seeded. */
	#recent: Map<string, number> | undefined;
	readonly counters: LogCounters = { rowsWritten: 0, rowsRead: 0, stored: 0 };
	/** The count bound of the last append: events past it are gone to readers even while their row stays. */
	#maxCount = Number.POSITIVE_INFINITY;

	constructor(storage: DurableObjectStorage) {
		this.#storage = storage;
		this.#sql = storage.sql;
		// Tables made, or brought from an earlier layout in one transaction (layout.ts).
		upgradeHubLayout(storage);
		const meta = this.#all<{ value: number }>("SELECT value FROM meta WHERE key = 'last_seq'")[0]?.value ?? 0;
		const top = this.#all<{ top: number | null }>("SELECT max(seq + n - 1) AS top FROM log")[0]?.top ?? 0;
		this.#lastSeq = Math.max(meta, top);
	}

	/** Runs one statement to the end and counts its billed rows. */
	#all<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): T[] {
		const cursor = this.#sql.exec<T>(query, ...bindings);
		const rows = cursor.toArray();
		this.counters.rowsWritten += cursor.rowsWritten;
		this.counters.rowsRead += cursor.rowsRead;
		return rows;
	}

	/** Runs a write and returns how many rows it wrote. */
	#write(query: string, ...bindings: unknown[]): number {
		const cursor = this.#sql.exec(query, ...bindings);
		cursor.toArray();
		this.counters.rowsWritten += cursor.rowsWritten;
		this.counters.rowsRead += cursor.rowsRead;
		return cursor.rowsWritten;
	}

	bounds(): LogBounds {
		const oldest = this.#all<{ seq: number }>("SELECT seq FROM log ORDER BY seq LIMIT 1")[0]?.seq;
		return { oldestSeq: Math.max(oldest ?? this.#lastSeq + 1, this.#firstKept()), lastSeq: this.#lastSeq };
	}

	/** The first seq the count bound keeps (rows are deleted whole, so one may still hold older events). */
	#firstKept(): number {
		return Math.max(1, this.#lastSeq - this.#maxCount + 1);
	}

	get lastSeq(): number {
		return this.#lastSeq;
	}

	/** Numbers and stores a batch atomically; ids already stored are not stored twice. */
	append(batch: PublishEvent[], now: number, retention: RetentionPolicy): AppendResult {
		this.#maxCount = retention.maxCount;
		const recent = this.#seedRecent();
		const before = this.#lastSeq;
		const added = new Map<string, number>();
		try {
			const result = this.#storage.transactionSync(() => {
				const result: AppendResult = { seqs: [], fresh: [] };
				const rows: (Row & { bytes: number })[] = [];
				for (const input of batch) {
					const known = input.id === undefined ? undefined : (added.get(input.id) ?? recent.get(input.id));
					if (known !== undefined) {
						result.seqs.push(known);
						continue;
					}
					const seq = ++this.#lastSeq;
					const { id = newId("evt"), ts = now, ...fields } = input;
					const json = JSON.stringify({ seq, id, ts, ...fields });
					if (json.length > LIMITS.eventBytes) {
						throw new InvalidPublishError(`an event is over ${LIMITS.eventBytes} bytes`);
					}
					const task = input.task_id ?? null;
					const chat = input.chat_id ?? null;
					const row = rows.at(-1);
					if (row && row.bytes + json.length < ROW_BYTES) {
						row.json += `\n${json}`;
						row.n++;
						row.bytes += json.length + 1;
						if (row.task_id !== task) row.task_id = SEVERAL;
						if (row.chat_id !== chat) row.chat_id = SEVERAL;
					} else {
						rows.push({ seq, n: 1, task_id: task, chat_id: chat, json, bytes: json.length });
					}
					added.set(id, seq);
					result.seqs.push(seq);
					result.fresh.push(json);
				}
				for (const row of rows) {
					this.#write(
						"INSERT INTO log (seq, n, task_id, chat_id, stored_at, json) VALUES (?, ?, ?, ?, ?, ?)",
						row.seq,
						row.n,
						row.task_id,
						row.chat_id,
						now,
						row.json,
					);
				}
				// Count bound: whole rows whose events are all past it, a primary-key range. The
				// newest row always stays, so this never empties the log (last_seq needs no write).
				const bound = this.#lastSeq - retention.maxCount;
				if (rows.length > 0 && bound > 0) this.#write("DELETE FROM log WHERE seq <= ?1 AND seq + n - 1 <= ?1", bound);
				return result;
			});
			this.counters.stored += result.fresh.length;
			for (const [id, seq] of added) remember(recent, id, seq);
			return result;
		} catch (error) {
			this.#lastSeq = before;
			throw error;
		}
	}

	/** The recent ids, read from the log's tail the first time after a wake. */
	#seedRecent(): Map<string, number> {
		if (this.#recent) return this.#recent;
		const recent = new Map<string, number>();
		const from = this.#rowAt(this.#lastSeq - RECENT_IDS + 1);
		for (const row of this.#all<{ seq: number; json: string }>(
			"SELECT seq, json FROM log WHERE seq >= ? ORDER BY seq",
			from,
		)) {
			row.json.split("\n").forEach((line, i) => {
				const literal = ID_OF.exec(line)?.[1];
				if (literal) remember(recent, JSON.parse(literal) as string, row.seq + i);
			});
		}
		this.#recent = recent;
		return recent;
	}

	/** The first seq of the row holding `seq` (or `seq` itself when no row holds it). */
	#rowAt(seq: number): number {
		return (
			this.#all<{ seq: number }>("SELECT seq FROM log WHERE seq <= ? ORDER BY seq DESC LIMIT 1", seq)[0]?.seq ?? seq
		);
	}

	/**
	 * Where a replay after `since` starts so that it holds at most `maxBytes` of events (UTF-8):
	 * `since` when all of them fit, else the seq just before the newest rows that do (whole rows,
	 * counted from the newest back; reading stops at the first that doesn't fit). The row holding
	 * `since` counts whole: near the cap, one row that would have fit may be left out.
	 */
	tailStart(since: number, maxBytes: number): number {
		const from = Math.max(since, this.#firstKept() - 1) + 1;
		const cursor = this.#sql.exec<{ seq: number; n: number; bytes: number }>(
			"SELECT seq, n, length(CAST(json AS BLOB)) AS bytes FROM log WHERE seq >= ? ORDER BY seq DESC",
			this.#rowAt(from),
		);
		let total = 0;
		let start = since;
		for (const row of cursor) {
			total += row.bytes;
			if (total > maxBytes) {
				start = Math.max(since, row.seq + row.n - 1);
				break;
			}
		}
		this.counters.rowsRead += cursor.rowsRead;
		return start;
	}

	/** Serialised events with seq > since, oldest first. */
	readAfter(since: number, limit: number): string[] {
		const from = Math.max(since, this.#firstKept() - 1) + 1;
		return this.#read("SELECT seq, json FROM log WHERE seq >= ? ORDER BY seq", [this.#rowAt(from)], since, limit);
	}

	/** Serialised events of one task (or chat), oldest first. */
	readFor(column: "task_id" | "chat_id", value: string, since: number, limit: number): string[] {
		return this.#read(
			`SELECT seq, json, ${column} AS owner FROM log WHERE seq >= ? AND ${column} IN (?, '${SEVERAL}') ORDER BY seq`,
			[this.#rowAt(Math.max(since, this.#firstKept() - 1) + 1), value],
			since,
			limit,
			(line) => (JSON.parse(line) as Record<string, unknown>)[column] === value,
		);
	}

	/**
	 * The events of the rows a query yields, after `since`, at most `limit`: stops reading once
	 * it has them. In a row whose `owner` is `*`, only the events `mine` accepts.
	 */
	#read(query: string, bindings: unknown[], after: number, limit: number, mine?: (line: string) => boolean): string[] {
		const since = Math.max(after, this.#firstKept() - 1);
		const out: string[] = [];
		const cursor = this.#sql.exec<{ seq: number; json: string; owner?: string | null }>(query, ...bindings);
		for (const row of cursor) {
			const lines = row.json.split("\n");
			const picking = mine !== undefined && row.owner === SEVERAL;
			for (let i = Math.max(0, since + 1 - row.seq); i < lines.length && out.length < limit; i++) {
				const line = lines[i] as string;
				if (!picking || mine(line)) out.push(line);
			}
			if (out.length >= limit) break;
		}
		this.counters.rowsRead += cursor.rowsRead;
		return out;
	}

	/** Age bound: drops events stored before `now - maxAgeMs`. Returns how many went. */
	pruneByAge(now: number, maxAgeMs: number): number {
		const cutoff = now - maxAgeMs;
		const events =
			this.#all<{ n: number | null }>("SELECT sum(n) AS n FROM log WHERE stored_at < ?", cutoff)[0]?.n ?? 0;
		if (events === 0) return 0;
		this.#storage.transactionSync(() => {
			// This may empty the log: last_seq must outlive it.
			this.#write(
				"INSERT INTO meta (key, value) VALUES ('last_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
				this.#lastSeq,
			);
			this.#write("DELETE FROM log WHERE stored_at < ?", cutoff);
		});
		return events;
	}

	/** When the oldest stored event will age out, or undefined when the log is empty. */
	oldestStoredAt(): number | undefined {
		return this.#all<{ at: number }>("SELECT stored_at AS at FROM log ORDER BY seq LIMIT 1")[0]?.at;
	}

	count(): number {
		const { oldestSeq, lastSeq } = this.bounds();
		return lastSeq - oldestSeq + 1;
	}
}

function remember(recent: Map<string, number>, id: string, seq: number): void {
	recent.set(id, seq);
	if (recent.size > RECENT_IDS) {
		const oldest = recent.keys().next().value;
		if (oldest !== undefined) recent.delete(oldest);
	}
}
