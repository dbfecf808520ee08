/**
 * Webhook deliveries per second to a local receiver, and the delay from a change's commit
 * to its delivery (p50/p99), on a real PostgreSQL with fsync ON.
 *
 *   npx tsx bench/webhooks/run.ts      (BENCH_N=2000 deliveries, BENCH_E=300 events, BENCH_C=16 in flight)
 *
 * Phases, all in this one process (every service involved, no transporter: the embedded default):
 *   baseline    the same signed POSTs straight to the receiver (webhooks.sender, BENCH_C in
 *               flight), no database: the floor of what the HTTP part costs here.
 *   throughput  BENCH_N deliveries queued behind a paused endpoint, then resumed: the worker
 *               claims (SKIP LOCKED + lease), checks the URL, signs, sends and records each.
 *   end-to-end  BENCH_E changes committed one after another through the clients service's
 *               outbox (recordChange in its transaction): commit → relay → webhooks consumer →
 *               delivery row → worker → receiver. Delay = arrival at the receiver − commit.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPg } from "../../lib/embedded-pg";
import { newClub, startCluster } from "../../test/support/app";
import { startReceiver, until } from "../../services/webhooks/test/receiver";
import { postOnce } from "../../services/webhooks/webhooks.sender";
import { checkUrl } from "../../services/webhooks/webhooks.ssrf";
import { newSecret, signedHeaders } from "../../services/webhooks/webhooks.signing";

const N = Number(process.env.BENCH_N ?? 2000);
const E = Number(process.env.BENCH_E ?? 300);
const C = Number(process.env.BENCH_C ?? 16);

function fail(message: string): never {
	throw Object.assign(new Error(message), { name: "BenchCheckError" });
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main(): Promise<void> {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "clubhouse-bench-webhooks-"));
	fs.chmodSync(dir, 0o755);
	const pg = await startEmbeddedPg({ dir, database: "bench", persistent: process.env.BENCH_FSYNC !== "off" });
	Object.assign(process.env, {
		DATABASE_URL: pg.url,
		PLATFORM_API_KEY: `chp_bench_${crypto.randomBytes(12).toString("hex")}`,
		LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
		WEBHOOK_ALLOW_HTTP: "true",
		WEBHOOK_ALLOW_PRIVATE: "true",
		WEBHOOK_CONCURRENCY: String(C),
	});
	const running = await startCluster([{ services: ["api", "clubs", "groups", "clients", "webhooks"] }], { transporter: false });
	const rx = await startReceiver(() => ({ status: 200 }));
	try {
		const broker = running.brokers[0];
		const clients: any = broker.getLocalService("clients");
		const webhooks: any = broker.getLocalService("webhooks");
		const fsync = (await webhooks.db.raw("SHOW fsync")).rows[0].fsync;
		console.log(`webhooks bench: ${N} deliveries, ${E} events, ${C} in flight per node, fsync=${fsync}, ${os.cpus().length} cores, node ${process.version}`);
		const club = await newClub(running.http);
		const rows: Array<[string, string]> = [];

		// ---- baseline: signed POSTs straight to the receiver
		{
			const target = await checkUrl(rx.url("/baseline"), { allowHttp: true, allowPrivate: true });
			const secret = newSecret();
			const body = JSON.stringify({ type: "webhook.test", timestamp: new Date().toISOString(), data: { n: 0 } });
			let next = 0;
			const t0 = process.hrtime.bigint();
			await Promise.all(
				Array.from({ length: C }, async () => {
					while (next < N) {
						const id = `b${next++}`;
						const r = await postOnce(target, signedHeaders([secret], id, Math.floor(Date.now() / 1000), body), body, 10_000);
						if (!r.ok) fail(`baseline POST: ${r.error}`);
					}
				}),
			);
			const s = Number(process.hrtime.bigint() - t0) / 1e9;
			rows.push(["baseline: signed POSTs, no database", `${Math.round(N / s)} /s`]);
		}

		// ---- throughput: N queued deliveries, endpoint resumed
		{
			const ep = (await running.http.post("/webhooks", { url: rx.url("/throughput"), events: ["clients.updated"], status: "paused" }, { key: club.admin })).body;
			const at = new Date().toISOString();
			for (let i = 0; i < N; i += 500) {
				await Promise.all(
					Array.from({ length: Math.min(500, N - i) }, (_, k) =>
						webhooks.ingest({ id: crypto.randomUUID(), clubId: club.club.id, at, service: "clients", action: "clients.update", actor: { type: "service", id: "bench", name: "bench" }, requestId: null, target: { type: "client", id: String(i + k) }, changes: null, event: { type: "clients.updated", data: { id: String(i + k) } } }),
					),
				);
			}
			const t0 = Date.now();
			await running.http.patch(`/webhooks/${ep.id}`, { status: "active" }, { key: club.admin });
			await until(() => rx.received.filter(r => r.path === "/throughput").length, n => n >= N, "every delivery", 600_000);
			const s = (Date.now() - t0) / 1000;
			const delivered = await webhooks.db("deliveries").where({ endpoint_id: ep.id, status: "delivered" }).count({ n: "*" }).first();
			if (Number(delivered.n) !== N) fail(`${delivered.n} of ${N} recorded delivered`);
			const dupes = rx.received.filter(r => r.path === "/throughput").length - N;
			rows.push(["throughput: queued deliveries, one node", `${Math.round(N / s)} /s (${dupes} sent twice)`]);
		}

		// ---- end-to-end: commit -> delivery
		{
			await running.http.post("/webhooks", { url: rx.url("/e2e"), events: ["clients.updated"] }, { key: club.admin });
			const committed = new Map<string, number>();
			const arrived = new Map<string, number>();
			rx.onRequest = req => {
				if (req.path === "/e2e") arrived.set(JSON.parse(req.body).data.id, req.at);
			};
			const ctx = { meta: { clubId: club.club.id }, requestID: null, nodeID: broker.nodeID, caller: null };
			for (let i = 0; i < E; i++) {
				const id = `e2e-${i}`;
				await clients.db.transaction((trx: any) => clients.recordChange(trx, ctx, { action: "clients.update", target: { type: "client", id }, event: { type: "clients.updated", data: { id } } }));
				committed.set(id, Date.now());
				await new Promise(r => setTimeout(r, 5));
			}
			await until(() => arrived.size, n => n >= E, "every event delivered", 120_000);
			const delays = [...committed].map(([id, t]) => arrived.get(id)! - t).sort((x, y) => x - y);
			rows.push(["end-to-end commit → delivery p50", `${pct(delays, 50)} ms`]);
			rows.push(["end-to-end commit → delivery p99", `${pct(delays, 99)} ms`]);
		}

		const w = Math.max(...rows.map(r => r[0].length));
		for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
	} finally {
		await rx.close();
		await running.stop();
		await pg.stop();
		fs.rmSync(dir, { recursive: true, force: true });
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
