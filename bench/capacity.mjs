// What one agent hub can take: summary-shaped events (a tool call's start, ~200 bytes each)
// published as fast as the machine sends them, in calls of the size the agent hub gets at
// scale, to a hub with one socket reading. The Worker, the HTTP client and workerd share the
// machine, so this is a floor on the object's own capacity, not its ceiling.
import { now } from "./lib/stats.mjs";

export async function agentHubCapacity({ url, post, openSocket, seconds = 5, eventsPerCall = 60, inFlight = 8 }) {
	const user = `capacity-${Date.now()}`;
	await post("/api/users", { id: user });
	const { token } = await post(`/api/users/${user}/tokens`, { name: "bench" });
	const socket = await openSocket(url, token);
	let calls = 0;
	let sent = 0;
	const start = now();
	const deadline = start + seconds * 1000;
	await Promise.all(
		Array.from({ length: inFlight }, async (_, lane) => {
			for (let n = 0; now() < deadline; n++) {
				// The size of a summary event (a tool call's start); the bench route takes CUSTOM ones.
				const events = Array.from({ length: eventsPerCall }, (_, i) => ({
					type: "CUSTOM",
					name: "bench.capacity",
					id: `cap:${lane}:${n}:${i}`,
					ts: Date.now(),
					task_id: `task_capacity${lane}`,
					attempt: 1,
					value: { toolCallId: `task_capacity${lane}:1:call_${n}_${i}`, toolCallName: "read_file" },
				}));
				await post(`/bench/publish/${user}`, events);
				calls++;
				sent += events.length;
			}
		}),
	);
	const seconds_ = (now() - start) / 1000;
	await socket.until(() => socket.state.events >= sent, 30_000);
	socket.ws.close();
	return {
		eventsPerCall,
		callsPerSecond: calls / seconds_,
		eventsPerSecond: sent / seconds_,
		delivered: socket.state.events,
		sent,
	};
}
