import type { Session } from "../../state/session.ts";
import { AgentStatusView } from "./AgentStatusView.tsx";
import { SchedulesAdmin } from "./SchedulesAdmin.tsx";
import { UsersAdmin } from "./UsersAdmin.tsx";

/** Running Sparky from the page (admins only; the API refuses anyone else). */
export function AdminPanel({ session }: { session: Session }) {
	return (
		<section class="panel" aria-labelledby="panel-heading">
			<h2 id="panel-heading">Admin</h2>
			<AgentStatusView session={session} />
			<UsersAdmin session={session} />
			<SchedulesAdmin session={session} />
		</section>
	);
}
