import { useState } from "preact/hooks";
import type { Schedule } from "../../../../src/protocol/index.ts";
import { exactTime, firstLine } from "../../lib/format.ts";
import type { Session } from "../../state/session.ts";
import { attempt, useLoad } from "./use-load.ts";

const enc = encodeURIComponent;

/** Your schedules (`/api/schedules`): create, switch on or off, run now, delete. */
export function SchedulesAdmin({ session }: { session: Session }) {
	const api = session.api;
	const schedules = useLoad(
		async () => (await api.request<{ schedules: Schedule[] }>("GET", "/api/schedules")).schedules,
	);
	const [name, setName] = useState("");
	const [instruction, setInstruction] = useState("");
	const [timing, setTiming] = useState<"every" | "cron">("every");
	const [when, setWhen] = useState("1h");
	const [error, setError] = useState<string | undefined>();
	const [notice, setNotice] = useState<string | undefined>();

	const act = async (action: () => Promise<unknown>, done?: string) => {
		const failed = await attempt(action);
		setError(failed);
		setNotice(failed ? undefined : done);
		await schedules.reload();
		return !failed;
	};
	const create = async (e: Event) => {
		e.preventDefault();
		const body = { name: name.trim(), instruction: instruction.trim(), [timing]: when.trim() };
		if (await act(() => api.request("POST", "/api/schedules", body), `Schedule ${body.name} created.`)) {
			setName("");
			setInstruction("");
		}
	};
	const path = (s: Schedule, rest = "") => `/api/schedules/${enc(s.name)}${rest}`;

	return (
		<section class="panel-section" aria-labelledby="schedules-heading">
			<h3 id="schedules-heading">Schedules</h3>
			<form class="stack-form" onSubmit={create}>
				<label for="schedule-name">Name</label>
				<input
					id="schedule-name"
					required
					maxLength={64}
					value={name}
					onInput={(e) => setName(e.currentTarget.value)}
				/>
				<label for="schedule-instruction">Instruction</label>
				<textarea
					id="schedule-instruction"
					required
					rows={2}
					value={instruction}
					onInput={(e) => setInstruction(e.currentTarget.value)}
				/>
				<div class="inline-form">
					<span class="field">
						<label for="schedule-timing">Runs</label>
						<select
							id="schedule-timing"
							value={timing}
							onChange={(e) => {
								const next = e.currentTarget.value as "every" | "cron";
								setTiming(next);
								setWhen(next === "every" ? "1h" : "0 9 * * 1-5");
							}}
						>
							<option value="every">every (30m, 2h, 1d)</option>
							<option value="cron">on a cron (UTC)</option>
						</select>
					</span>
					<span class="field">
						<label for="schedule-when">{timing === "every" ? "Interval" : "Cron"}</label>
						<input id="schedule-when" required value={when} onInput={(e) => setWhen(e.currentTarget.value)} />
					</span>
					<button type="submit" class="small">
						Create schedule
					</button>
				</div>
			</form>
			{(error || schedules.error) && (
				<p class="error" role="alert">
					{error ?? schedules.error}
				</p>
			)}
			<p role="status" class="muted">
				{notice}
			</p>
			{schedules.data?.length === 0 && <p class="muted">No schedules yet.</p>}
			<ul class="plain-list schedules">
				{schedules.data?.map((s) => (
					<li key={s.id} data-schedule={s.name}>
						<div>
							<strong>{s.name}</strong> <span class="muted">{s.every ? `every ${s.every}` : `cron ${s.cron}`}</span>{" "}
							<span class={`badge ${s.enabled ? "status-succeeded" : "status-cancelled"}`}>
								{s.enabled ? "enabled" : "disabled"}
							</span>
						</div>
						<div class="muted">
							{firstLine(s.instruction, 120)}
							{s.next_run_at && <> · next {exactTime(s.next_run_at)}</>}
						</div>
						<div class="row-actions">
							<button
								type="button"
								class="quiet small"
								onClick={() => void act(() => api.request("POST", path(s, s.enabled ? "/disable" : "/enable")))}
							>
								{s.enabled ? "Disable" : "Enable"}
								<span class="visually-hidden"> {s.name}</span>
							</button>
							<button
								type="button"
								class="quiet small"
								onClick={() => void act(() => api.request("POST", path(s, "/run")), `${s.name} is running now.`)}
							>
								Run now<span class="visually-hidden"> {s.name}</span>
							</button>
							<button
								type="button"
								class="danger small"
								onClick={() => void act(() => api.request("DELETE", path(s)), `${s.name} deleted.`)}
							>
								Delete<span class="visually-hidden"> {s.name}</span>
							</button>
						</div>
					</li>
				))}
			</ul>
		</section>
	);
}
