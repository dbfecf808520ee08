/**
 * What the audit trail costs a client update.
 *
 *   npx tsx bench/audit/run.ts            (BENCH_C=32 in flight, BENCH_ROUNDS=6 rounds of BENCH_SECONDS=2 s per side)
 *
 * All in this one process (the services a client update touches, plus audit; no transporter,
 * like the embedded default) on a throwaway embedded PostgreSQL. PATCH /api/v1/clients/:id on
 * random clients of one club, in interleaved rounds:
 *   without   the clients service's recordChange is switched off for the round (this bench only:
 *             the running service's method is replaced; nothing in the product can turn it off);
 *   with      the real path: the entry written in the update's transaction, relayed after commit,
 *             stored by the audit service. The round's time runs until the outbox is empty again,
 *             so a relay falling behind is counted, not hidden.
 * Goal: "with" is less than 15 % slower than "without".
 */
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPg } from "../../lib/embedded-pg";

const C = Number(process.env.BENCH_C ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const CLIENTS = 2000;

function fail(message: string): never {
	throw Object.assign(new Error(message), { name: "BenchCheckError" });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: C });

function patch(baseUrl: string, pathname: string, key: string, body: unknown): Promise<number> {
	return new Promise((resolve, reject) => {
		const data = JSON.stringify(body);
		const req = http.request(baseUrl + pathname, { method: "PATCH", agent, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", "content-length": Buffer.byteLength(data) } }, res => {
			res.on("data", () => undefined);
			res.on("end", () => resolve(res.statusCode ?? 0));
			res.on("error", reject);
		});
		req.on("error", reject);
		req.end(data);
	});
}

async function main(): Promise<void> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clubhouse-bench-audit-"));
	fs.chmodSync(dir, 0o755);
	const pg = await startEmbeddedPg({ dir, database: "bench", persistent: process.env.BENCH_FSYNC !== "off" });
	process.env.DATABASE_URL = pg.url;
	process.env.PLATFORM_API_KEY = `chp_bench_${crypto.randomBytes(12).toString("hex")}`;
	process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? "warn";
	const { startCluster, newClub } = await import("../../test/support/app.js");
	const running = await startCluster([{ services: ["api", "clubs", "groups", "clients", "wallets", "booking-guard", "audit"] }], { transporter: false });
	const { baseUrl, brokers } = running;
	const knex = (await import("knex")).default;
	const admin = knex({ client: "pg", connection: pg.url, pool: { min: 0, max: 2 } });
	try {
		console.log(`audit bench: PATCH /clients/:id, ${C} in flight, ${ROUNDS} rounds × ${SECONDS} s per side, ${os.cpus().length} cores, node ${process.version}`);
		const club = await newClub(running.http);
		const ids: string[] = [];
		for (let i = 0; i < CLIENTS; i += 100) {
			const batch = await Promise.all(
				Array.from({ length: 100 }, (_, j) =>
					running.http.post("/clients", { fullName: `Bench Client ${i + j}`, email: `bench.${i + j}@example.com`, phone: `+3461${String(1_000_000 + i + j).slice(-7)}`, gender: "female", country: "ES" }, { key: club.staff }),
				),
			);
			for (const r of batch) {
				if (r.status !== 201) fail(`POST /clients: ${r.status} ${r.text}`);
				ids.push(r.body.id);
			}
		}
		const clients: any = brokers[0].getLocalService("clients");
		const recordChange = clients.recordChange;
		const pending = async () => Number((await admin.raw("SELECT count(*) AS n FROM clients.outbox WHERE published_at IS NULL")).rows[0].n);
		const stored = async () => Number((await admin.raw("SELECT count(*) AS n FROM audit.entries WHERE club_id = ? AND action = 'clients.update'", [club.club.id])).rows[0].n);

		let seq = 0;
		let bad = 0;
		/** One round: C loops of updates for SECONDS, then (with the audit) until the outbox is drained. */
		async function round(audit: boolean): Promise<{ n: number; s: number }> {
			clients.recordChange = audit ? recordChange : async () => undefined;
			let n = 0;
			const until = Date.now() + SECONDS * 1000;
			const started = process.hrtime.bigint();
			await Promise.all(
				Array.from({ length: C }, async () => {
					while (Date.now() < until) {
						const i = seq++;
						if ((await patch(baseUrl, `/api/v1/clients/${ids[(i * 7919) % ids.length]}`, club.staff, { notes: `note ${i}` })) !== 200) bad++;
						n++;
					}
				}),
			);
			while (audit && (await pending()) > 0) await new Promise(r => setTimeout(r, 5));
			return { n, s: Number(process.hrtime.bigint() - started) / 1e9 };
		}

		await round(true); // warm-up, both paths
		await round(false);
		const before = await stored();
		const sides = { without: { n: 0, s: 0 }, with: { n: 0, s: 0 } };
		for (let r = 0; r < ROUNDS; r++) {
			// Alternate which side goes first, so a drift in the machine's load hits both alike.
			for (const audit of r % 2 ? [true, false] : [false, true]) {
				const x = await round(audit);
				const side = audit ? sides.with : sides.without;
				side.n += x.n;
				side.s += x.s;
			}
		}
		clients.recordChange = recordChange;
		if (bad) fail(`${bad} updates did not answer 200`);
		// Every audited update has its entry (the rounds with the audit on, and only those).
		const end = Date.now() + 10_000;
		while ((await stored()) - before < sides.with.n && Date.now() < end) await new Promise(r => setTimeout(r, 20));
		const entries = (await stored()) - before;
		if (entries !== sides.with.n) fail(`${sides.with.n} audited updates but ${entries} entries`);

		const without = sides.without.n / sides.without.s;
		const withAudit = sides.with.n / sides.with.s;
		const slower = (1 - withAudit / without) * 100;
		console.log(`  without the audit:  ${Math.round(without).toLocaleString("en")} updates/s (${sides.without.n.toLocaleString("en")} updates)`);
		console.log(`  with the audit:     ${Math.round(withAudit).toLocaleString("en")} updates/s (${sides.with.n.toLocaleString("en")} updates, each with its entry, outbox drained in the time)`);
		console.log(`  overhead: ${slower.toFixed(1)} % slower (goal < 15 %)`);
	} finally {
		await admin.destroy();
		await running.stop();
		await pg.stop();
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
