/**
 * A merge across services when the wallets node dies in the middle of its step (real
 * processes over NATS): the wallets' transaction is held on a row lock, the node is SIGKILLed
 * there, a fresh wallets node comes up. The merge is called off (503), both clients are as
 * they were (wallets, balances, bookings), the ledger reconciles, and the same merge then
 * goes through.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import pg from "pg";
import { createClient } from "../support/factories";
import { processCluster, retry, type ProcessCluster } from "../support/processes";

describe("Node failure: wallets SIGKILLed during a merge (real processes, NATS)", function () {
	this.timeout(180_000);
	let cluster: ProcessCluster | null = null;
	let db: pg.Client | null = null;
	after(async () => {
		await cluster?.kill();
		await db?.end().catch(() => undefined);
	});

	it("when the wallets node dies mid-merge, then both clients stay as they were, and the merge can be made again", async () => {
		cluster = await processCluster({ LOG_LEVEL: "error", REQUEST_TIMEOUT_MS: "5000", HEARTBEAT_INTERVAL_S: "1", HEARTBEAT_TIMEOUT_S: "3" });
		const gw = cluster.gateway("api,clubs,groups,clients,booking-guard", "gw");
		const w1 = cluster.start("wallets", "w1");
		await gw.waitFor(/Clubhouse is ready/, 60_000);
		const http = cluster.http;
		const club = await cluster.newClub({ name: "Merge night", country: "ES", currency: "EUR", timezone: "Europe/Madrid" });
		const key = club.body.apiKey.key;
		const target = await createClient(http, key, { fullName: "Ana Noche" });
		const source = await createClient(http, key, { fullName: "Ana Noche" });
		const tEur = await retry(() => http.post(`/clients/${target.id}/wallets`, { currency: "EUR" }, { key }), r => r.status === 201, "wallets up");
		const sEur = await http.post(`/clients/${source.id}/wallets`, { currency: "EUR" }, { key });
		const sUsd = await http.post(`/clients/${source.id}/wallets`, { currency: "USD" }, { key });
		for (const [w, amount] of [[tEur.body, 100], [sEur.body, 400], [sUsd.body, 70]] as const) {
			assert.equal((await http.post(`/wallets/${w.id}/top-up`, { amount }, { key, idempotencyKey: crypto.randomUUID() })).status, 201);
		}
		const startsAt = new Date(Date.now() + 7 * 86_400_000).toISOString();
		assert.equal((await http.post("/bookings", { clientId: source.id, productId: "court-1", startsAt, endsAt: new Date(Date.parse(startsAt) + 3_600_000).toISOString(), channel: "staff" }, { key })).status, 201);
		const state = async () => ({
			target: (await http.get(`/clients/${target.id}`, { key })).body,
			source: (await http.get(`/clients/${source.id}`, { key })).body,
			targetWallets: (await http.get(`/clients/${target.id}/wallets`, { key })).body.items.map((w: any) => [w.id, w.currency, w.balance]),
			sourceWallets: (await http.get(`/clients/${source.id}/wallets`, { key })).body.items.map((w: any) => [w.id, w.currency, w.balance]),
			sourceBookings: (await http.get(`/clients/${source.id}/bookings`, { key })).body.items.map((b: any) => b.id),
		});
		const before = await state();

		// Hold the target's EUR wallet: the wallets' merge transaction waits there, mid-step.
		db = new pg.Client({ connectionString: process.env.DATABASE_URL });
		await db.connect();
		await db.query("BEGIN");
		await db.query("SELECT 1 FROM wallets.wallets WHERE id = $1 FOR UPDATE", [tEur.body.id]);
		const merging = http.post(`/clients/${target.id}/merge`, { sourceId: source.id }, { key });
		let early: string | null = null;
		void merging.then(r => (early = `${r.status} ${r.text}`));
		await retry(
			async () => {
				if (early) throw Object.assign(new Error(`the merge answered before the kill: ${early}`), { name: "AssertionError" });
				return (await db!.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))")).rows[0].n;
			},
			n => n > 0,
			"the wallets' merge step waiting on the lock",
		);
		w1.child.kill("SIGKILL");
		await new Promise(r => setTimeout(r, 1_000));
		await db.query("ROLLBACK");
		cluster.start("wallets", "w2");

		const res = await merging;
		assert.equal(res.status, 503, res.text);
		// Settled for good (by the merge itself or by the sweep): called off.
		const merge = await retry(
			async () => (await db!.query("SELECT status FROM clients.merges WHERE source_id = $1", [source.id])).rows[0]?.status,
			s => s === "aborted",
			"the merge called off",
		);
		assert.equal(merge, "aborted");
		await retry(() => http.get(`/clients/${target.id}/wallets`, { key }), r => r.status === 200, "wallets back");
		assert.deepEqual(await state(), before, "both clients as they were");
		const rec = await http.get("/wallets/reconciliation", { key });
		assert.equal(rec.body.ok, true, rec.text);

		const again = await http.post(`/clients/${target.id}/merge`, { sourceId: source.id }, { key });
		assert.equal(again.status, 200, again.text);
		assert.deepEqual(again.body.moved, { bookings: 1, tags: 0, categories: 0, wallets: 1, transferred: [{ currency: "EUR", amount: 400 }] });
		const after = (await http.get(`/clients/${target.id}/wallets`, { key })).body.items.map((w: any) => [w.currency, w.balance]).sort();
		assert.deepEqual(after, [["EUR", 500], ["USD", 70]]);
		assert.equal((await http.get(`/clients/${source.id}`, { key })).status, 404);
		assert.equal((await http.get("/wallets/reconciliation", { key })).body.ok, true);
	});
});
