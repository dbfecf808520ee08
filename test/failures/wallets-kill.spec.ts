/**
 * A bad night in production, for real: the wallets node is SIGKILLed while 300 keyed
 * debits are under way and callers retry with the same keys → every key is applied exactly
 * once, the balance is exact and the ledger reconciles.
 */
import assert from "node:assert/strict";
import { processCluster, retry, type ProcessCluster } from "../support/processes";

describe("Node failure: wallets SIGKILLed during keyed debits (real processes, NATS)", function () {
	this.timeout(180_000);
	let cluster: ProcessCluster | null = null;
	after(async () => {
		await cluster?.kill();
	});

	it("when a wallets node dies mid-way and callers retry, then every key is applied exactly once", async () => {
		cluster = await processCluster({ LOG_LEVEL: "error", REQUEST_TIMEOUT_MS: "3000", HEARTBEAT_INTERVAL_S: "1", HEARTBEAT_TIMEOUT_S: "3" });
		const gw = cluster.gateway("api,clubs,groups,clients,booking-guard", "gw");
		const w1 = cluster.start("wallets", "w1");
		cluster.start("wallets", "w2");
		await gw.waitFor(/Clubhouse is ready/, 60_000);
		const http = cluster.http;
		const club = await cluster.newClub({ name: "Night", country: "ES", currency: "EUR", timezone: "Europe/Madrid" });
		const admin = club.body.apiKey.key;
		const client = await retry(() => http.post("/clients", { fullName: "Ana Noche", email: "ana.noche@example.com", phone: "+34600123123", gender: "F", country: "ES" }, { key: admin }), r => r.status === 201, "client");
		const wallet = await retry(() => http.post(`/clients/${client.body.id}/wallets`, { currency: "EUR" }, { key: admin }), r => r.status === 201, "wallet (both wallets nodes discovered)");
		const walletId = wallet.body.id;
		assert.equal((await http.post(`/wallets/${walletId}/top-up`, { amount: 1_000_000 }, { key: admin, idempotencyKey: "seed" })).status, 201);

		const N = 300;
		const AMOUNT = 7;
		const results = new Map<number, any>();
		const attempts: number[] = new Array(N).fill(0);
		let done = 0;
		let killed = false;
		let next = 0;
		const debit = async (i: number) => {
			const deadline = Date.now() + 90_000;
			while (Date.now() < deadline) {
				attempts[i]++;
				try {
					const res = await http.post(`/wallets/${walletId}/debit`, { amount: AMOUNT, reference: `order-${i}` }, { key: admin, idempotencyKey: `night-${i}` });
					if (res.status === 201) {
						results.set(i, res.body);
						return;
					}
					// Only "try again" answers are acceptable here: the node went away, timed out or the key is in flight.
					assert.ok(res.status >= 500 || res.body?.type === "IDEMPOTENCY_IN_PROGRESS", `debit ${i}: ${res.status} ${res.text}`);
					assert.ok(res.status !== 500, `debit ${i}: a bare 500 ${res.text}`);
				} catch (err: any) {
					if (err?.name === "AssertionError") throw err;
				}
				await new Promise(r => setTimeout(r, 100));
			}
			throw Object.assign(new Error(`debit ${i} never succeeded`), { name: "AssertionError" });
		};
		const worker = async () => {
			while (next < N) {
				const i = next++;
				await debit(i);
				done++;
				if (!killed && done >= 60) {
					killed = true;
					w1.child.kill("SIGKILL");
				}
			}
		};
		await Promise.all(Array.from({ length: 16 }, worker));
		assert.ok(killed, "the wallets node was killed mid-way");
		assert.equal(results.size, N);

		// Replays of every key give the same transaction: nothing was applied twice.
		for (const i of [0, 59, 60, 61, 150, 299]) {
			const again = await http.post(`/wallets/${walletId}/debit`, { amount: AMOUNT, reference: `order-${i}` }, { key: admin, idempotencyKey: `night-${i}` });
			assert.equal(again.status, 201);
			assert.equal(again.body.id, results.get(i).id);
		}
		const ids = new Set([...results.values()].map(r => r.id));
		assert.equal(ids.size, N, "one ledger entry per key");
		const w = await http.get(`/wallets/${walletId}`, { key: admin });
		assert.equal(w.body.balance, 1_000_000 - N * AMOUNT);
		let debits = 0;
		let cursor: string | null = null;
		do {
			const page: any = await http.get(`/wallets/${walletId}/transactions?limit=500${cursor ? `&cursor=${cursor}` : ""}`, { key: admin });
			debits += page.body.items.filter((t: any) => t.type === "debit").length;
			cursor = page.body.nextCursor;
		} while (cursor);
		assert.equal(debits, N);
		assert.ok(attempts.some(n => n > 1), "some callers had to retry (the kill really hit requests)");
	});
});
