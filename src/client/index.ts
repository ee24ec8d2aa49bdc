export * from "./backoff.ts";
export * from "./cursor.ts";
export * from "./frame-requests.ts";
export * from "./hub-client.ts";
export * from "./money.ts";
export * from "./parse.ts";
export * from "./run-order.ts";
export * from "./timeline.ts";
