import { hubPublisher } from "./relay/publish.ts";
import { Relay } from "./relay/relay.ts";

/** What a service call needs: the Worker's bindings, and the one way out to the hubs. */
export interface Deps {
	env: Env;
	relay: Relay;
}

/** Deps for one request or job: events leave through a relay of its own, by RPC to each hub. */
export function depsFor(env: Env, relay = new Relay({ publish: hubPublisher(env) })): Deps {
	return { env, relay };
}
