import type { Server } from "node:net";

/**
 * Listens on 127.0.0.1:`port` (one global-setup picked, freePort). Should the port be taken
 * meanwhile, this fails at once saying so, instead of an uncaught EADDRINUSE and a hook that
 * waits out its timeout.
 */
export function listenOn<S extends Server>(server: S, port: number): Promise<S> {
	return new Promise((resolve, reject) => {
		const failed = (error: Error) => reject(new Error(`can't listen on 127.0.0.1:${port}: ${error.message}`));
		server.once("error", failed);
		server.listen(port, "127.0.0.1", () => {
			server.off("error", failed);
			resolve(server);
		});
	});
}
