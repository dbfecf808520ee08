/**
 * The debit batcher (wallets.batcher.ts) keeps IdempotencyMixin's guarantees inside a group
 * commit: debits sent together on the bus (the booking system's path) join one batch; a key
 * twice in one batch, a replay among fresh debits and a lock timeout each end as the mixin
 * alone would answer them, with the exact balance and one ledger entry per key.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import type { ServiceBroker } from "moleculer";
import { app, newClub, type Http, type TestClub } from "../../../test/support/app";
import { createClient } from "../../../test/support/factories";
import type { DebitBatcher } from "../wallets.batcher";

const key = () => `batch-${crypto.randomUUID()}`;

describe("Wallets' debit batcher (group commit, same answers as the mixin)", function () {
	this.timeout(60_000);
	let http: Http;
	let broker: ServiceBroker;
	let club: TestClub;
	let batcher: DebitBatcher;
	let wallets: any;

	const meta = () => ({ meta: { clubId: club.club.id } });
	const debit = (walletId: string, amount: number, k: string, reference?: string) =>
		broker.call("wallets.debit", { walletId, amount, idempotencyKey: k, ...(reference ? { reference } : {}) }, meta()).then(
			(t: any) => ({ ok: true as const, t }),
			(err: any) => ({ ok: false as const, err }),
		);
	const balanceOf = async (walletId: string) => ((await broker.call("wallets.get", { id: walletId }, meta())) as any).balance as number;
	const entriesOf = async (walletId: string) => ((await broker.call("wallets.transactions", { id: walletId, limit: 500 }, meta())) as any).items as any[];

	async function newWallet(balance: number): Promise<string> {
		const client = await createClient(http, club, { fullName: "Bea Batch" });
		const w = await http.post(`/clients/${client.id}/wallets`, { currency: "EUR" }, { key: club.staff });
		assert.equal(w.status, 201, w.text);
		if (balance > 0) {
			const t = await http.post(`/wallets/${w.body.id}/top-up`, { amount: balance }, { key: club.staff, idempotencyKey: key() });
			assert.equal(t.status, 201, t.text);
		}
		return w.body.id;
	}

	before(async () => {
		const running = await app();
		http = running.http;
		broker = running.brokers[0];
		club = await newClub(http);
		wallets = broker.getLocalService("wallets");
		batcher = wallets.batcher;
	});

	it("when debits are sent together, then they commit as one batch with the exact balance", async () => {
		const walletId = await newWallet(1_000);
		const before = { ...batcher.stats };
		const out = await Promise.all(Array.from({ length: 10 }, (_, i) => debit(walletId, 7, key(), `b-${i}`)));
		assert.ok(out.every(o => o.ok), JSON.stringify(out.filter(o => !o.ok)));
		assert.equal(batcher.stats.batches - before.batches, 1, "one batch");
		assert.equal(batcher.stats.debits - before.debits, 10);
		assert.equal(await balanceOf(walletId), 930);
		const after = out.map(o => (o.ok ? o.t.balanceAfter : 0)).sort((a, b) => b - a);
		assert.deepEqual(after, Array.from({ length: 10 }, (_, i) => 1_000 - 7 * (i + 1)));
	});

	it("when one key comes twice in a batch, then it is debited once and both calls answer the same entry", async () => {
		const walletId = await newWallet(500);
		const k = key();
		const before = { ...batcher.stats };
		const out = await Promise.all([debit(walletId, 40, k), debit(walletId, 10, key()), debit(walletId, 40, k), debit(walletId, 10, key())]);
		assert.ok(out.every(o => o.ok), JSON.stringify(out.filter(o => !o.ok)));
		const [first, , second] = out as Array<{ ok: true; t: any }>;
		assert.deepEqual(second.t, first.t, "the repeat replays the first answer");
		assert.ok(batcher.stats.fallbacks - before.fallbacks >= 1, "the repeat left the batch for the mixin");
		assert.equal(await balanceOf(walletId), 500 - 40 - 10 - 10);
		const entries = await entriesOf(walletId);
		assert.equal(entries.filter(e => e.type === "debit").length, 3);
	});

	it("when one key comes twice in a batch with different amounts, then one is debited and the other is 422 IDEMPOTENCY_KEY_REUSED", async () => {
		const walletId = await newWallet(500);
		const k = key();
		const out = await Promise.all([debit(walletId, 40, k), debit(walletId, 41, k)]);
		const ok = out.filter(o => o.ok);
		const refused = out.filter(o => !o.ok) as Array<{ ok: false; err: any }>;
		assert.equal(ok.length, 1, JSON.stringify(out));
		assert.equal(refused.length, 1);
		assert.equal(refused[0].err.type, "IDEMPOTENCY_KEY_REUSED");
		assert.equal(await balanceOf(walletId), 500 - (ok[0] as any).t.amount);
	});

	it("when a key already answered comes again among fresh debits, then it replays (201 and 409 alike) and only the fresh ones move money", async () => {
		const walletId = await newWallet(100);
		const paid = key();
		const refused = key();
		const first = await debit(walletId, 30, paid);
		assert.ok(first.ok);
		const tooMuch = await debit(walletId, 1_000, refused);
		assert.ok(!tooMuch.ok && tooMuch.err.type === "INSUFFICIENT_FUNDS");
		const before = { ...batcher.stats };
		const out = await Promise.all([debit(walletId, 5, key()), debit(walletId, 30, paid), debit(walletId, 1_000, refused), debit(walletId, 5, key())]);
		assert.ok(batcher.stats.fallbacks - before.fallbacks >= 2, "the replays left the batch for the mixin");
		assert.ok(out[0].ok && out[3].ok);
		assert.ok(out[1].ok);
		assert.deepEqual(out[1].t, first.t, "the paid key replays its entry");
		assert.ok(!out[2].ok);
		assert.equal(out[2].err.type, "INSUFFICIENT_FUNDS");
		assert.deepEqual(out[2].err.data, tooMuch.err.data, "the refusal replays as it was first answered");
		assert.equal(await balanceOf(walletId), 100 - 30 - 5 - 5);
		assert.equal((await entriesOf(walletId)).filter(e => e.type === "debit").length, 3);
	});

	it("when a batch runs out of money midway, then the later debits are 409 INSUFFICIENT_FUNDS, stored, and replay the same", async () => {
		const walletId = await newWallet(25);
		const keys = Array.from({ length: 4 }, key);
		const out = await Promise.all(keys.map(k => debit(walletId, 10, k)));
		assert.deepEqual(out.map(o => o.ok), [true, true, false, false]);
		const again = await Promise.all(keys.map(k => debit(walletId, 10, k)));
		assert.deepEqual(again.map(o => (o.ok ? o.t.id : o.err.type)), out.map(o => (o.ok ? o.t.id : o.err.type)));
		assert.deepEqual((again[3] as any).err.data, (out[3] as any).err.data);
		assert.equal(await balanceOf(walletId), 5);
	});

	it("when the wallet's row lock is held past the batch's lock timeout, then every debit falls back to the mixin and commits once", async () => {
		const walletId = await newWallet(1_000);
		const saved = batcher.lockTimeoutMs;
		batcher.lockTimeoutMs = 200;
		const before = { ...batcher.stats };
		const trx = await wallets.db.transaction();
		try {
			await trx("wallets").where({ club_id: club.club.id, id: walletId }).forUpdate().first();
			const keys = Array.from({ length: 5 }, key);
			const pending = Promise.all(keys.map(k => debit(walletId, 10, k)));
			// Past the batch's timeout: the batch gave up and the mixin's runs (10 s timeout) wait on the lock.
			await new Promise(r => setTimeout(r, 800));
			assert.equal(batcher.stats.fallbacks - before.fallbacks, 5, "the whole batch fell back");
			await trx.commit();
			const out = await pending;
			assert.ok(out.every(o => o.ok), JSON.stringify(out.filter(o => !o.ok)));
			assert.equal(await balanceOf(walletId), 950);
			// Each key was stored by the mixin: a replay answers the same entry.
			const again = await Promise.all(keys.map(k => debit(walletId, 10, k)));
			assert.deepEqual(again.map(o => (o.ok ? o.t.id : null)), out.map(o => (o.ok ? o.t.id : undefined)));
			assert.equal(await balanceOf(walletId), 950);
		} finally {
			if (!trx.isCompleted()) await trx.rollback();
			batcher.lockTimeoutMs = saved;
		}
	});

	it("when debits name an unknown wallet, then each is 404 through the mixin and a replay is the same 404", async () => {
		const missing = crypto.randomUUID();
		const keys = [key(), key()];
		const out = await Promise.all(keys.map(k => debit(missing, 10, k)));
		for (const o of out) assert.ok(!o.ok && o.err.code === 404, JSON.stringify(o));
		const again = await debit(missing, 10, keys[0]);
		assert.ok(!again.ok && again.err.code === 404);
	});
});
