/**
 * `npm start` as a newcomer and an operator run it: the embedded default (first start,
 * restart on the same data, restart after a SIGKILL), and a cluster of separate processes
 * over the real nats-server and one Postgres.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../lib/embedded-pg";
import { httpClient } from "../support/app";
import { processCluster, startProcess, type Proc } from "../support/processes";

describe("npm start (real processes)", function () {
	this.timeout(120_000);
	const procs: Proc[] = [];
	after(async () => {
		await Promise.all(procs.map(p => p.kill("SIGKILL")));
	});

	it("when started with no environment, then the embedded default prints a working curl, and restarts reuse the data", async () => {
		const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "clubhouse-embedded-"));
		fs.chmodSync(dataDir, 0o755);
		const port = await freePort();
		const env = { DATABASE_URL: undefined, TRANSPORTER: undefined, SERVICES: undefined, PLATFORM_API_KEY: undefined, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warn" };
		const first = startProcess(env);
		procs.push(first);
		const t0 = Date.now();
		const [, key] = await first.waitFor(/Platform key \(kept in [^)]*\): (\S+)/, 60_000);
		const firstStartMs = Date.now() - t0;
		const curl = (await first.waitFor(/curl -s -X POST (\S+) -H 'Authorization: Bearer (\S+)' -H 'Content-Type: application\/json' \\\n\s+-d '([^']+)'/))!;
		assert.equal(curl[2], key);
		const http = httpClient(`http://127.0.0.1:${port}`);
		const made = await http.post(curl[1].replace("localhost", "127.0.0.1"), JSON.parse(curl[3]), { key });
		assert.equal(made.status, 201, made.text);
		assert.ok(firstStartMs < 30_000, `first start took ${firstStartMs} ms`);

		// Ctrl-C stops the embedded Postgres too; a second start reuses the data.
		assert.equal(await first.kill("SIGINT"), 0);
		const second = startProcess(env);
		procs.push(second);
		const t1 = Date.now();
		await second.waitFor(/Clubhouse is ready/, 30_000);
		assert.ok(Date.now() - t1 < 10_000, `second start took ${Date.now() - t1} ms`);
		assert.equal((await http.get("/club", { key: made.body.apiKey.key })).status, 200);

		// A SIGKILLed run leaves its postgres child behind; the next start still works.
		await second.kill("SIGKILL");
		const third = startProcess(env);
		procs.push(third);
		await third.waitFor(/Clubhouse is ready/, 30_000);
		assert.equal((await http.get("/club", { key: made.body.apiKey.key })).status, 200);
		assert.equal(await third.kill("SIGTERM"), 0);
		fs.rmSync(dataDir, { recursive: true, force: true });
	});

	it("when api | clubs,groups | the rest run as separate processes over NATS, then the newcomer's requests work", async () => {
		const cluster = await processCluster();
		const nodes = [cluster.gateway("api", "gw"), cluster.start("clubs,groups", "cg"), cluster.start("clients,wallets,booking-guard,import", "rest")];
		procs.push(...nodes);
		await nodes[0].waitFor(/Clubhouse is ready/, 60_000);
		const http = cluster.http;
		const made = await cluster.newClub({ name: "Net Club", country: "DE", currency: "EUR", timezone: "Europe/Berlin" }); // once the gateway has discovered the other nodes
		const admin = made.body.apiKey.key;
		let groups = await http.get("/groups", { key: admin });
		for (let i = 0; i < 100 && groups.status !== 200; i++) {
			await new Promise(r => setTimeout(r, 200));
			groups = await http.get("/groups", { key: admin });
		}
		assert.deepEqual(groups.body.items.map((g: any) => g.name).sort(), ["Default", "External"]);
		const viewer = (await http.post("/api-keys", { name: "v", role: "viewer" }, { key: admin })).body;
		assert.equal((await http.post("/api-keys", { name: "x", role: "staff" }, { key: viewer.key })).status, 403);
		assert.equal((await http.del(`/api-keys/${viewer.id}`, { key: admin })).status, 204);
		assert.equal((await http.get("/club", { key: viewer.key })).status, 401);
		assert.equal((await http.get("/club")).status, 401);
		assert.equal((await http.get("/api/v1/~node/list", { key: admin })).status, 404);
		const ready = await http.get("/ready");
		assert.equal(ready.body.checks.transporter, "ok");
		await Promise.all(nodes.map(n => n.kill("SIGTERM")));
	});
});

describe("npm start: stopping and private data folders (real processes)", function () {
	// A first start (initdb) on a loaded machine can take a minute or more.
	this.timeout(300_000);
	const children: ChildProcess[] = [];
	after(() => {
		for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
	});

	/** `npm start` itself (npm -> node), as systemd, Docker and Kubernetes run it. */
	function npmStart(env: Record<string, string | undefined>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
		const clean: Record<string, string> = {};
		for (const [k, v] of Object.entries({ ...process.env, ...env })) if (v !== undefined && !k.startsWith("npm_")) clean[k] = v;
		clean.PATH = `${path.dirname(process.execPath)}:${clean.PATH ?? ""}`;
		const child = spawn("npm", ["start", "--silent"], { cwd: path.resolve(__dirname, "..", ".."), env: clean, stdio: ["ignore", "pipe", "pipe"] });
		children.push(child);
		let out = "";
		child.stdout!.on("data", d => (out += d.toString()));
		child.stderr!.on("data", d => (out += d.toString()));
		const exited = new Promise<number | null>(resolve => child.once("exit", code => resolve(code)));
		return { child, output: () => out, exited };
	}

	async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
		const end = Date.now() + ms;
		while (!(await check())) {
			if (Date.now() > end) throw new Error(`timed out: ${what}`);
			await new Promise(r => setTimeout(r, 100));
		}
	}

	const alive = (pid: number) => {
		try {
			process.kill(pid, 0);
			return true;
		} catch {
			return false;
		}
	};
	const listening = (port: number) => fetch(`http://127.0.0.1:${port}/health`).then(() => true, () => false);

	it("when SIGTERM is sent to the `npm start` process (embedded default, DATA_DIR a private mktemp folder), then node and the embedded PostgreSQL stop", async function () {
		// As root, the embedded PostgreSQL runs as 'postgres': a 0700 DATA_DIR used to fail in initdb with "Permission denied".
		const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "clubhouse-sigterm-"));
		assert.equal(fs.statSync(dataDir).mode & 0o777, 0o700);
		const port = await freePort();
		const run = npmStart({ DATABASE_URL: undefined, TRANSPORTER: undefined, SERVICES: undefined, PLATFORM_API_KEY: undefined, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "warn" });
		await until(() => /Clubhouse is ready/.test(run.output()) || run.child.exitCode !== null, 240_000, "ready");
		assert.match(run.output(), /Clubhouse is ready/, run.output());
		assert.equal(await listening(port), true);
		const pgPid = Number(fs.readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
		assert.ok(alive(pgPid));
		run.child.kill("SIGTERM");
		await run.exited;
		await until(async () => !(await listening(port)) && !alive(pgPid), 20_000, `node (port ${port}) and postgres (pid ${pgPid}) to stop after SIGTERM:\n${run.output()}`);
		fs.rmSync(dataDir, { recursive: true, force: true });
	});

	it("when run as root with DATA_DIR below a private folder the postgres user cannot enter, then it stops with one clear line and no stack trace", async function () {
		if (os.userInfo().uid !== 0) this.skip();
		const privateDir = fs.mkdtempSync(path.join(os.tmpdir(), "clubhouse-private-"));
		const run = npmStart({ DATABASE_URL: undefined, TRANSPORTER: undefined, SERVICES: undefined, PLATFORM_API_KEY: undefined, DATA_DIR: path.join(privateDir, "data"), PORT: String(await freePort()), LOG_LEVEL: "warn" });
		const code = await run.exited;
		assert.equal(code, 1, run.output());
		assert.match(run.output(), new RegExp(`cannot enter ${privateDir} \\(mode 0700\\).*chmod o\\+x`), run.output());
		assert.doesNotMatch(run.output(), /^\s+at /m, "no stack trace");
		fs.rmSync(privateDir, { recursive: true, force: true });
	});
});
