/**
 * Mocha root hooks: infrastructure once for the whole run, and the shared embedded-style
 * app (every service in one broker) stopped at the end.
 */
import crypto from "node:crypto";
import { startInfra, type Infra } from "./infra";
import { stopAll } from "./app";

let infra: Infra | null = null;

export const mochaHooks = {
	async beforeAll(this: Mocha.Context) {
		this.timeout(120_000);
		infra = await startInfra();
		process.env.DATABASE_URL = infra.databaseUrl;
		process.env.NATS_URL = infra.natsUrl;
		process.env.PLATFORM_API_KEY = process.env.PLATFORM_API_KEY || `chp_test_${crypto.randomBytes(16).toString("hex")}`;
		process.env.LOG_LEVEL = process.env.LOG_LEVEL || "warn";
		process.env.KEY_CACHE_MS = process.env.KEY_CACHE_MS || "1000";
	},
	async afterAll(this: Mocha.Context) {
		this.timeout(60_000);
		await stopAll();
		await infra?.stop();
	},
};
