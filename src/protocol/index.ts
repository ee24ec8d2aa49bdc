export * from "./close-codes.ts";
export * from "./duration.ts";
export * from "./errors.ts";
export * from "./events.ts";
export * from "./frames.ts";
export * from "./ids.ts";
export * from "./limits.ts";
export * from "./tasks.ts";
