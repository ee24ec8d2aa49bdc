import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Every test file starts from schema.sql, exactly as a fresh local install does.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
