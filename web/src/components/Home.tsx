import type { Route } from "../lib/route.ts";
import type { Session } from "../state/session.ts";

interface Props {
	session: Session;
	navigate: (route: Route) => void;
}

/** Nothing open yet: what this page does. */
export function Home({ session }: Props) {
	const isAgent = session.me.user_id === "agent";
	return (
		<section class="home">
			<h2>Hello, {session.me.user_id}</h2>
			<p>
				Start a <strong>chat</strong> with the agent, or give it a <strong>task</strong> to run in the background.
				Answers stream in as they are written; every tool call and its result shows inline.
			</p>
			{isAgent ? (
				<p>
					You are signed in as <code>agent</code>: every task anyone gives the agent appears under{" "}
					<em>Agent activity</em>, live.
				</p>
			) : (
				<p>
					Sign in as <code>agent</code> to watch every task the agent runs, whoever asked for it.
				</p>
			)}
		</section>
	);
}
