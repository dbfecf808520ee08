/**
 * `npm start`. No environment: the embedded default (every service in one process, a real
 * PostgreSQL under DATA_DIR, the gateway on PORT, a platform key created once). With
 * TRANSPORTER / DATABASE_URL / SERVICES: one node of a cluster. See README "Configuration".
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { readEnv } from "./moleculer.config";
import { EmbeddedPgSetupError, startEmbeddedPg, type EmbeddedPg } from "./lib/embedded-pg";
import { createNode } from "./lib/node";

async function main(): Promise<void> {
	const startedAt = Date.now();
	let env = readEnv();
	let embedded: EmbeddedPg | null = null;
	let printKey: string | null = null;

	if (!env.databaseUrl) {
		fs.mkdirSync(env.dataDir, { recursive: true });
		console.log(`Starting the embedded PostgreSQL in ${env.dataDir} ...`);
		embedded = await startEmbeddedPg({ dir: env.dataDir });
		process.env.DATABASE_URL = embedded.url;
		if (!env.platformApiKey) {
			const keyFile = path.join(env.dataDir, "platform-key");
			if (!fs.existsSync(keyFile)) {
				fs.writeFileSync(keyFile, `chp_${crypto.randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
			}
			process.env.PLATFORM_API_KEY = fs.readFileSync(keyFile, "utf8").trim();
			printKey = process.env.PLATFORM_API_KEY;
		}
		env = readEnv();
	}

	const broker = createNode({ env });
	let stopping = false;
	const shutdown = async (signal: string) => {
		if (stopping) return;
		stopping = true;
		broker.logger.info(`${signal}: stopping...`);
		try {
			await broker.stop();
		} finally {
			if (embedded) await embedded.stop().catch(() => undefined);
			process.exit(0);
		}
	};
	process.on("SIGINT", () => void shutdown("SIGINT"));
	process.on("SIGTERM", () => void shutdown("SIGTERM"));
	// Under `npm start` a SIGTERM goes to npm (systemd, Docker and Kubernetes send it there); the
	// script `exec`s node so npm's forwarded signal reaches us. Should the launcher still go away
	// without passing it on, this node (and its embedded PostgreSQL) stops as for SIGTERM.
	const launcher = process.ppid;
	if (process.env.npm_lifecycle_event) {
		setInterval(() => {
			if (process.ppid !== launcher) void shutdown("launcher gone");
		}, 500).unref();
	}

	try {
		await broker.start();
	} catch (err) {
		broker.logger.fatal("Could not start:", err);
		await broker.stop().catch(() => undefined);
		if (embedded) await embedded.stop().catch(() => undefined);
		process.exit(1);
	}

	if (env.services.includes("api")) {
		(broker.getLocalService("api") as any).refreshAliases();
		const base = `http://localhost:${env.port}`;
		const lines = [
			"",
			`Clubhouse is ready on ${base} (${((Date.now() - startedAt) / 1000).toFixed(1)} s)  docs: ${base}/api/docs`,
		];
		if (printKey) {
			lines.push(
				`Platform key (kept in ${path.join(env.dataDir, "platform-key")}): ${printKey}`,
				"Create a club:",
				`  curl -s -X POST ${base}/api/v1/clubs -H 'Authorization: Bearer ${printKey}' -H 'Content-Type: application/json' \\`,
				`    -d '{"name":"My Padel Club","country":"ES","currency":"EUR","timezone":"Europe/Madrid"}'`,
				"The answer holds the club's admin API key (chk_...). Sign in to the console with it, then invite your staff (README, 'People'):",
				`  curl -si -X POST ${base}/api/v1/session -H 'Content-Type: application/json' -d '{"apiKey":"chk_..."}'`,
			);
		}
		console.log(lines.join("\n") + "\n");
	}
}

main().catch(err => {
	// A setup the operator must change: one line, no stack trace.
	if (err instanceof EmbeddedPgSetupError) console.error(err.message);
	else console.error("Could not start:", err);
	process.exit(1);
});
