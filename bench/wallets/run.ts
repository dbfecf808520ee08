/**
 * Wallet debits per second, on one hot wallet and spread over 100 wallets, on a real
 * PostgreSQL with fsync ON (durable, as `npm start` runs it).
 *
 *   npx tsx bench/wallets/run.ts            (BENCH_N=4000 debits per phase, BENCH_C=32 in flight,
 *                                            BENCH_HOT_ONLY=1 for the hot-wallet phases only)
 *
 * Phases, all in this one process (every service, no transporter, like the embedded default):
 *   baseline  raw SQL on the same database and pool size: BEGIN; conditional UPDATE of the
 *             balance + ledger INSERT in one statement; COMMIT. No idempotency, no broker:
 *             the floor of what a durable movement on one row costs here.
 *   bus       broker.call("wallets.debit", { walletId, amount, idempotencyKey }) — the
 *             booking system's path, in-process.
 *   gateway   POST /api/v1/wallets/:id/debit with Idempotency-Key over HTTP, sent by a load
 *             process of its own (bench/wallets/load.ts, keep-alive node:http), as real
 *             clients are: in this process its CPU would be taken from the server's.
 *             Its floor, measured first: GET /health from the same load process (no auth, no
 *             database): what HTTP alone costs on this machine in this run.
 * Each keyed phase also prints the group commit's batches (count and mean size).
 * Goal: >= 1,000 debits/s on ONE wallet through the gateway at 32 in flight, exact final
 * balance; the bus figure of the same run is its baseline.
 * After every phase the balances are checked against the expected sums, and the club's
 * reconciliation must be clean.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import knex from "knex";
import { startEmbeddedPg } from "../../lib/embedded-pg";
import { newClub, startCluster } from "../../test/support/app";

const N = Number(process.env.BENCH_N ?? 4000);
const C = Number(process.env.BENCH_C ?? 32);
const WALLETS = 100;
const AMOUNT = 3;
const HOT_ONLY = !!process.env.BENCH_HOT_ONLY;
/** Runs bench/wallets/load.ts in a child process (the load must not share the server's CPU budget). */
function loadProcess(o: { url: string; key: string; run: string; wallets: string; n: number; c: number; amount: number; health?: boolean }): Promise<{ seconds: number; statuses: Record<number, number> }> {
	return new Promise((resolve, reject) => {
		const env = { ...process.env, LOAD_URL: o.url, LOAD_KEY: o.key, LOAD_RUN: o.run, LOAD_WALLETS: o.wallets, LOAD_N: String(o.n), LOAD_C: String(o.c), LOAD_AMOUNT: String(o.amount), LOAD_HEALTH: o.health ? "1" : "" };
		const child = spawn(process.execPath, [...process.execArgv, path.join(__dirname, "load.ts")], { env, stdio: ["ignore", "pipe", "inherit"] });
		let out = "";
		child.stdout.on("data", d => (out += d));
		child.on("error", reject);
		child.on("exit", code => (code === 0 ? resolve(JSON.parse(out)) : reject(Object.assign(new Error(`load process exited ${code}`), { name: "BenchLoadError" }))));
	});
}

function fail(message: string): never {
	throw Object.assign(new Error(message), { name: "BenchCheckError" });
}

/** Runs `n` jobs with `c` in flight; answers the wall time in seconds. */
async function pump(n: number, c: number, job: (i: number) => Promise<void>): Promise<number> {
	let next = 0;
	const started = process.hrtime.bigint();
	await Promise.all(
		Array.from({ length: c }, async () => {
			while (next < n) await job(next++);
		}),
	);
	return Number(process.hrtime.bigint() - started) / 1e9;
}

async function main(): Promise<void> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clubhouse-bench-wallets-"));
	fs.chmodSync(dir, 0o755);
	// persistent: true keeps fsync on (durable, as npm start); BENCH_FSYNC=off shows the CPU-bound ceiling (as the tests run).
	const pg = await startEmbeddedPg({ dir, database: "bench", persistent: process.env.BENCH_FSYNC !== "off" });
	process.env.DATABASE_URL = pg.url;
	process.env.PLATFORM_API_KEY = `chp_bench_${crypto.randomBytes(12).toString("hex")}`;
	process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? "warn";
	const running = await startCluster([{ services: ["api", "clubs", "groups", "clients", "wallets", "booking-guard"] }], { transporter: false });
	const { http, brokers } = running;
	const broker = brokers[0];
	const rows: Array<[string, string, number, string]> = [];
	try {
		const fsync = (await (broker.getLocalService("wallets") as any).db.raw("SHOW fsync")).rows[0].fsync;
		const pool = Number(process.env.DB_POOL_MAX ?? 10);
		console.log(`wallets bench: ${N} debits per phase, ${C} in flight, pool ${pool}, fsync=${fsync}, ${os.cpus().length} cores, node ${process.version}`);

		const club = await newClub(http);
		const meta = { meta: { clubId: club.club.id } };
		const wallets: string[] = [];
		for (let i = 0; i < WALLETS; i++) {
			const client = await http.post("/clients", { fullName: `Bench Client ${i}`, email: `bench.${i}@example.com`, phone: `+34611${String(100000 + i).slice(-6)}`, gender: "male", country: "ES" }, { key: club.staff });
			if (client.status !== 201) fail(`POST /clients: ${client.status} ${client.text}`);
			const w = await http.post(`/clients/${client.body.id}/wallets`, { currency: "EUR" }, { key: club.staff });
			if (w.status !== 201) fail(`POST wallet: ${w.status} ${w.text}`);
			wallets.push(w.body.id);
		}
		const START = 10_000_000;
		for (const w of wallets) {
			const t = await http.post(`/wallets/${w}/top-up`, { amount: START }, { key: club.staff, idempotencyKey: `seed-${w}` });
			if (t.status !== 201) fail(`top-up: ${t.status} ${t.text}`);
		}
		const expected = new Map(wallets.map(w => [w, START]));
		const hot = wallets[0];
		const check = async (what: string) => {
			for (const [w, balance] of expected) {
				const got: any = await broker.call("wallets.get", { id: w }, meta);
				if (got.balance !== balance) fail(`${what}: wallet ${w} balance ${got.balance}, expected ${balance}`);
			}
			const rec: any = await broker.call("wallets.reconcile", {}, meta);
			if (!rec.ok) fail(`${what}: reconciliation found ${rec.mismatches.length} mismatches`);
			return `checked ${expected.size} balances, reconciliation ok (${rec.checkedEntries} entries)`;
		};
		const batcher = (broker.getLocalService("wallets") as any).batcher as { stats: { batches: number; debits: number } };
		let seen = { ...batcher.stats };
		let cpu = process.cpuUsage();
		const serverCpu = () => {
			const d = process.cpuUsage(cpu);
			cpu = process.cpuUsage();
			return `; server CPU ${((d.user + d.system) / 1000 / N).toFixed(2)} ms each`;
		};
		const batches = () => {
			const now = { ...batcher.stats };
			const b = now.batches - seen.batches;
			const d = now.debits - seen.debits;
			seen = now;
			return b ? `; ${b} batches, mean ${(d / b).toFixed(1)} debits` : "";
		};
		const record = (name: string, path: string, seconds: number, note: string, unit = "debits/s") => {
			rows.push([name, path, N / seconds, note]);
			console.log(`  ${name.padEnd(22)} ${path.padEnd(8)} ${(N / seconds).toFixed(0).padStart(6)} ${unit}  (${seconds.toFixed(2)} s)  ${note}${serverCpu()}${batches()}`);
		};

		// Baseline: the same movement in raw SQL, same pool size, no idempotency, no broker.
		const raw = knex({ client: "pg", connection: pg.url, searchPath: ["wallets", "public"], pool: { min: 0, max: pool } });
		const debitSql = `WITH w AS (UPDATE wallets SET balance = balance - ? WHERE club_id = ? AND id = ? AND balance >= ? RETURNING id, balance)
			INSERT INTO transactions (id, club_id, wallet_id, type, amount, balance_after) SELECT ?, ?, w.id, 'debit', ?, w.balance FROM w RETURNING id`;
		for (const [label, pick] of ([["baseline raw SQL hot", () => hot], ["baseline raw SQL 100", (i: number) => wallets[i % WALLETS]]] as const).slice(0, HOT_ONLY ? 1 : 2)) {
			cpu = process.cpuUsage();
			const s = await pump(N, C, async i => {
				const w = pick(i);
				await raw.transaction(async trx => {
					const r = await trx.raw(debitSql, [AMOUNT, club.club.id, w, AMOUNT, crypto.randomUUID(), club.club.id, AMOUNT]);
					if (r.rows.length !== 1) fail("baseline debit refused");
				});
				expected.set(w, expected.get(w)! - AMOUNT);
			});
			record(label, "sql", s, await check(label));
		}
		await raw.destroy();

		// The booking system's path: wallets.debit on the bus (in-process), keyed.
		for (const [label, pick] of ([["hot wallet", () => hot], ["100 wallets", (i: number) => wallets[i % WALLETS]]] as const).slice(0, HOT_ONLY ? 1 : 2)) {
			const run = crypto.randomBytes(3).toString("hex");
			cpu = process.cpuUsage();
			const s = await pump(N, C, async i => {
				const w = pick(i);
				const t: any = await broker.call("wallets.debit", { walletId: w, amount: AMOUNT, idempotencyKey: `bus-${run}-${i}`, reference: `booking-${i}` }, meta);
				if (t.type !== "debit") fail("bus debit did not answer a debit");
				expected.set(w, expected.get(w)! - AMOUNT);
			});
			record(label, "bus", s, await check(label));
		}

		// The gateway's floor in this run: GET /health (no auth, no database) from the same load process.
		{
			cpu = process.cpuUsage();
			const { seconds, statuses } = await loadProcess({ url: running.baseUrl, key: club.staff, run: "health", wallets: hot, n: N, c: C, amount: AMOUNT, health: true });
			if (statuses[200] !== N) fail(`GET /health: ${JSON.stringify(statuses)}`);
			record("floor GET /health", "gateway", seconds, "no auth, no database", "requests/s");
		}

		// Through the gateway: HTTP + auth + Idempotency-Key header, from a load process of its own.
		for (const [label, targets] of ([["hot wallet", [hot]], ["100 wallets", wallets]] as const).slice(0, HOT_ONLY ? 1 : 2)) {
			const run = crypto.randomBytes(3).toString("hex");
			cpu = process.cpuUsage();
			const { seconds, statuses } = await loadProcess({ url: running.baseUrl, key: club.staff, run, wallets: targets.join(","), n: N, c: C, amount: AMOUNT });
			if (statuses[201] !== N) fail(`gateway debits: ${JSON.stringify(statuses)}`);
			for (let i = 0; i < N; i++) expected.set(targets[i % targets.length], expected.get(targets[i % targets.length])! - AMOUNT);
			record(label, "gateway", seconds, await check(label));
		}

		const hotBus = rows.find(r => r[0] === "hot wallet" && r[1] === "bus")![2];
		const hotGateway = rows.find(r => r[0] === "hot wallet" && r[1] === "gateway")![2];
		const hotSql = rows.find(r => r[0] === "baseline raw SQL hot")![2];
		const healthFloor = rows.find(r => r[0] === "floor GET /health")![2];
		console.log(`\nhot wallet on the bus: ${hotBus.toFixed(0)} debits/s; ${((hotBus / hotSql) * 100).toFixed(0)}% of the raw-SQL baseline on the same row`);
		console.log(`hot wallet through the gateway: ${hotGateway.toFixed(0)} debits/s (goal >= 1000: ${hotGateway >= 1000 ? "met" : "NOT met"}); ${((hotGateway / hotBus) * 100).toFixed(0)}% of the bus, same run; final balances exact`);
		console.log(`gateway floor (GET /health, same load process): ${healthFloor.toFixed(0)} requests/s`);
	} finally {
		await running.stop();
		await pg.stop();
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

main().then(
	() => process.exit(0),
	err => {
		console.error(err);
		process.exit(1);
	},
);
