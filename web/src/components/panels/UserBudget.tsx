import { useLayoutEffect, useState } from "preact/hooks";
import { formatUsd } from "../../../../src/client/index.ts";
import type { BudgetStatus } from "../../../../src/protocol/index.ts";
import type { Session } from "../../state/session.ts";
import { setUserBudget, userBudget } from "../../state/usage.ts";
import { attempt, useLoad } from "./use-load.ts";

/** The largest cap the API takes. */
const MAX_USD = 1_000_000;

/** A cap field's text: the user's own cap, or empty when the server's default applies. */
const own = (p: BudgetStatus["day"]) => (p.source === "user" && p.cap_usd !== null ? String(p.cap_usd) : "");

/** What an empty field means: the server's default cap, or none. */
const fallback = (p: BudgetStatus["day"]) =>
	p.source === "user"
		? "empty: the default"
		: p.cap_usd === null
			? "no cap (the default)"
			: `default ${formatUsd(p.cap_usd)}`;

/**
 * A user's day and month caps (admins; `GET`/`PUT /api/users/:id/budget`): a cap in US
 * dollars, or empty for the server's default (`SPARKY_USER_BUDGET_USD_DAY` / `_MONTH`), and
 * what they have spent against each.
 */
export function UserBudget({ session, userId }: { session: Session; userId: string }) {
	const api = session.api;
	const status = useLoad(() => userBudget(api, userId), [userId]);
	const [day, setDay] = useState("");
	const [month, setMonth] = useState("");
	const [error, setError] = useState<string | undefined>();
	const [saved, setSaved] = useState(false);
	const [busy, setBusy] = useState(false);

	// The fields start from what the server has (once it has answered, and after each save), set
	// in the same task as the render that shows them: with a plain effect, set after the paint, a
	// value typed right as the fields appeared was overwritten by the server's and saved empty.
	useLayoutEffect(() => {
		if (!status.data) return;
		setDay(own(status.data.day));
		setMonth(own(status.data.month));
	}, [status.data]);

	const parse = (text: string, what: string): number | null => {
		const trimmed = text.trim();
		if (trimmed === "") return null;
		const value = Number(trimmed);
		if (!Number.isFinite(value) || value < 0 || value > MAX_USD)
			throw new Error(`${what}: a number of dollars from 0 to ${MAX_USD.toLocaleString("en-US")}, or empty`);
		return value;
	};

	const save = async (e: Event) => {
		e.preventDefault();
		setSaved(false);
		setBusy(true);
		const failed = await attempt(async () => {
			const body = { day_usd: parse(day, "Day cap"), month_usd: parse(month, "Month cap") };
			await setUserBudget(api, userId, body);
			await status.reload();
		});
		setBusy(false);
		setError(failed);
		setSaved(!failed);
	};

	const data = status.data;
	const dayId = `budget-day-${userId}`;
	const monthId = `budget-month-${userId}`;
	return (
		<form class="sub-panel user-budget" onSubmit={save} data-user-budget={userId}>
			<fieldset>
				<legend>Budget of {userId} (US dollars)</legend>
				{data && (
					<p class="muted budget-spent">
						Spent today {formatUsd(data.day.spent_usd)}
						{data.day.cap_usd !== null ? ` of ${formatUsd(data.day.cap_usd)}` : ""}; this month{" "}
						{formatUsd(data.month.spent_usd)}
						{data.month.cap_usd !== null ? ` of ${formatUsd(data.month.cap_usd)}` : ""}.
					</p>
				)}
				<div class="inline-form">
					<CapField
						id={dayId}
						label="Day cap"
						value={day}
						placeholder={data ? fallback(data.day) : ""}
						onInput={setDay}
					/>
					<CapField
						id={monthId}
						label="Month cap"
						value={month}
						placeholder={data ? fallback(data.month) : ""}
						onInput={setMonth}
					/>
					<button type="submit" class="small" disabled={busy || !data}>
						{busy ? "Saving…" : "Save budget"}
					</button>
				</div>
				<p class="muted">Empty means the server's default.</p>
				<p class="muted" role="status">
					{saved ? "Saved." : ""}
				</p>
				{(error || status.error) && (
					<p class="error" role="alert">
						{error ?? status.error}
					</p>
				)}
			</fieldset>
		</form>
	);
}

/** A cap in dollars (empty: the server's default). */
function CapField(props: {
	id: string;
	label: string;
	value: string;
	placeholder: string;
	onInput: (v: string) => void;
}) {
	return (
		<span class="field">
			<label for={props.id}>{props.label}</label>
			<input
				id={props.id}
				type="number"
				min={0}
				max={MAX_USD}
				step="any"
				inputMode="decimal"
				value={props.value}
				placeholder={props.placeholder}
				onInput={(e) => props.onInput(e.currentTarget.value)}
			/>
		</span>
	);
}
