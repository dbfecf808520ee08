/**
 * Runs `npm start`'s command (`node --require tsx/cjs index.ts`) as real child processes, as an
 * operator would. tsx's CommonJS hook, not `--import tsx`: the ESM loader keeps a second V8
 * isolate alive in every node (about 40 MB of RSS each) that this CommonJS project never needs.
 * processCluster() starts several of them as one cluster over NATS (the node-failure specs).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import { freePort } from "../../lib/embedded-pg";
import { httpClient, type Http, type HttpResponse } from "./app";

export interface Proc {
	child: ChildProcess;
	output(): string;
	waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
	kill(signal?: NodeJS.Signals): Promise<number | null>;
}

const ROOT = path.resolve(__dirname, "..", "..");

export function startProcess(env: Record<string, string | undefined>): Proc {
	const clean: Record<string, string> = {};
	for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined) clean[k] = v;
	const child = spawn(process.execPath, ["--require", "tsx/cjs", "index.ts"], { cwd: ROOT, env: clean, stdio: ["ignore", "pipe", "pipe"] });
	let out = "";
	child.stdout!.on("data", d => (out += d.toString()));
	child.stderr!.on("data", d => (out += d.toString()));
	return {
		child,
		output: () => out,
		waitFor(re, ms = 30_000) {
			return new Promise((resolve, reject) => {
				const started = Date.now();
				const tick = () => {
					const m = out.match(re);
					if (m) return resolve(m);
					if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`process exited (${child.exitCode}) before ${re}:\n${out}`));
					if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${re}:\n${out}`));
					setTimeout(tick, 50);
				};
				tick();
			});
		},
		kill(signal = "SIGTERM") {
			return new Promise(resolve => {
				if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
				child.once("exit", code => resolve(code));
				child.kill(signal);
			});
		},
	};
}

/** Retries `fn` until `ok` accepts its answer (nodes still discovering each other), 200 ms apart; an AssertionError ends it at once. */
export async function retry<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string, tries = 150): Promise<T> {
	for (let i = 0; i < tries; i++) {
		try {
			const v = await fn();
			if (ok(v)) return v;
		} catch (err: any) {
			if (err?.name === "AssertionError") throw err;
		}
		await new Promise(r => setTimeout(r, 200));
	}
	throw Object.assign(new Error(`gave up waiting for ${what}`), { name: "SetupError" });
}

export interface ProcessCluster {
	/** The gateway's port (given to the nodes started with gateway()) and a client for it. */
	port: number;
	http: Http;
	/** The platform key every node was given. */
	platform: string;
	/** Every node started, in order. */
	procs: Proc[];
	/** Starts one node: SERVICES and NODE_ID, `env` over the cluster's own. */
	start(services: string, nodeId: string, env?: Record<string, string>): Proc;
	/** start() with PORT = the cluster's port (a gateway restarted on the same port too). */
	gateway(services: string, nodeId: string, env?: Record<string, string>): Proc;
	/** POST /clubs with the platform key, again until the gateway has discovered clubs; asserts the 201. */
	newClub(body: Record<string, unknown>): Promise<HttpResponse>;
	/** SIGKILLs every node (for an `after` hook). */
	kill(): Promise<void>;
}

/**
 * A cluster of `npm start` processes over the test run's nats-server and Postgres, under a
 * namespace of its own: each node gets the same TRANSPORTER, DATABASE_URL, NAMESPACE and
 * PLATFORM_API_KEY, `env` (LOG_LEVEL "warn" unless given), then its SERVICES and NODE_ID.
 */
export async function processCluster(env: Record<string, string> = {}): Promise<ProcessCluster> {
	const port = await freePort();
	const platform = `chp_${crypto.randomBytes(12).toString("hex")}`;
	const common = { TRANSPORTER: process.env.NATS_URL, DATABASE_URL: process.env.DATABASE_URL, NAMESPACE: `p${crypto.randomBytes(3).toString("hex")}`, PLATFORM_API_KEY: platform, LOG_LEVEL: "warn", ...env };
	const procs: Proc[] = [];
	const http = httpClient(`http://127.0.0.1:${port}`);
	const start = (services: string, nodeId: string, more: Record<string, string> = {}) => {
		const p = startProcess({ ...common, SERVICES: services, NODE_ID: nodeId, ...more });
		procs.push(p);
		return p;
	};
	return {
		port,
		http,
		platform,
		procs,
		start,
		gateway: (services, nodeId, more = {}) => start(services, nodeId, { PORT: String(port), ...more }),
		async newClub(body) {
			const made = await retry(() => http.post("/clubs", body, { key: platform }), r => r.status === 201, "POST /clubs");
			assert.equal(made.status, 201, made.text);
			return made;
		},
		async kill() {
			await Promise.all(procs.map(p => p.kill("SIGKILL")));
		},
	};
}
