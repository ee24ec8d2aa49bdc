// The benchmark's Worker: Sparky itself plus a raw fan-out Durable Object as the anchor.
// Not part of the production bundle (see bench/wrangler.bench.toml).
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { hubFor } from "../src/hub/stub.ts";
import sparky from "../src/index.ts";

export { Clock, UserHub } from "../src/index.ts";

/** The anchor: accepts hibernatable sockets, and sends each event as its own frame to all. */
export class RawHub extends DurableObject {
	override fetch(): Response {
		const { 0: client, 1: server } = new WebSocketPair();
		this.ctx.acceptWebSocket(server);
		return new Response(null, { status: 101, webSocket: client });
	}

	broadcast(events: unknown[]): number {
		const frames = events.map((event) => JSON.stringify([event]));
		const sockets = this.ctx.getWebSockets();
		for (const ws of sockets) for (const frame of frames) ws.send(frame);
		return sockets.length;
	}
}

const Events = z
	.array(z.object({ type: z.literal("CUSTOM") }).loose())
	.min(1)
	.max(500);

export default {
	...sparky,
	async fetch(request, env, ctx) {
		const url = new URL(request.url);
		if (url.pathname === "/raw/ws") return env.RAW_HUB.getByName("bench").fetch(request);
		if (url.pathname === "/raw/publish" || url.pathname.startsWith("/bench/publish/")) {
			if (request.headers.get("Authorization") !== `Bearer ${env.SPARKY_ADMIN_TOKEN}`) {
				return new Response("unauthorized", { status: 401 });
			}
			const events = Events.parse(await request.json());
			if (url.pathname === "/raw/publish") {
				return Response.json({ sockets: await env.RAW_HUB.getByName("bench").broadcast(events) });
			}
			const user = url.pathname.slice("/bench/publish/".length);
			return Response.json(await hubFor(env, user).publish(events));
		}
		return sparky.fetch(request, env, ctx);
	},
} satisfies ExportedHandler<Env & { RAW_HUB: DurableObjectNamespace<RawHub> }>;
