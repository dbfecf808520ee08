/** API.md "Wallets" and PRODUCT.md §5. */
import assert from "node:assert/strict";
import { assertError, assertInvalid, createClient, forEachTopology, newClub, uid, type TestClub } from "./support";

const TX_KEYS = ["amount", "balanceAfter", "createdAt", "id", "reference", "refundOf", "type", "walletId"];

forEachTopology("Acceptance: wallets", env => {
	let club: TestClub;
	before(async () => {
		club = await newClub(env().http);
	});

	async function wallet(currency = "EUR", c?: any) {
		const client = c ?? (await createClient(env().http, club));
		const res = await env().http.post(`/clients/${client.id}/wallets`, { currency }, { key: club.staff });
		assert.equal(res.status, 201, res.text);
		return { client, wallet: res.body };
	}
	const move = (walletId: string, op: string, body: Record<string, unknown>, idempotencyKey: string | undefined = uid(), key = club.staff) =>
		env().http.post(`/wallets/${walletId}/${op}`, body, { key, idempotencyKey });

	it("when a wallet is opened, then 201 { id, clientId, currency, balance: 0, createdAt, updatedAt }; a second in the same currency is 409 WALLET_EXISTS", async () => {
		const { http } = env();
		const { client, wallet: w } = await wallet();
		assert.deepEqual(Object.keys(w).sort(), ["balance", "clientId", "createdAt", "currency", "id", "updatedAt"]);
		assert.equal(w.clientId, client.id);
		assert.equal(w.currency, "EUR");
		assert.equal(w.balance, 0);
		assertError(await http.post(`/clients/${client.id}/wallets`, { currency: "EUR" }, { key: club.staff }), 409, "WALLET_EXISTS");
		assert.equal((await http.post(`/clients/${client.id}/wallets`, { currency: "USD" }, { key: club.staff })).status, 201);
		const got = await http.get(`/wallets/${w.id}`, { key: club.viewer });
		assert.equal(got.status, 200);
		assert.deepEqual(got.body, w);
	});

	it("when the currency is not ISO 4217, then 422", async () => {
		const c = await createClient(env().http, club);
		for (const currency of ["EURO", "eu", "123"]) assertInvalid(await env().http.post(`/clients/${c.id}/wallets`, { currency }, { key: club.staff }), "currency");
	});

	it("when money moves without an Idempotency-Key, then 400 IDEMPOTENCY_KEY_REQUIRED and nothing moves", async () => {
		const { http } = env();
		const { wallet: w } = await wallet();
		for (const op of ["top-up", "debit", "refund"]) {
			const body = op === "refund" ? { transactionId: "6f1c7b0e-9c8a-4f5e-8a53-1b2c3d4e5f60" } : { amount: 100 };
			assertError(await http.post(`/wallets/${w.id}/${op}`, body, { key: club.staff }), 400, "IDEMPOTENCY_KEY_REQUIRED");
		}
		assert.equal((await http.get(`/wallets/${w.id}`, { key: club.viewer })).body.balance, 0);
	});

	it("when a top-up is made, then 201 with the transaction shape and the balance grows", async () => {
		const { http } = env();
		const { wallet: w } = await wallet();
		const res = await move(w.id, "top-up", { amount: 2500, reference: "cash desk" });
		assert.equal(res.status, 201, res.text);
		assert.deepEqual(Object.keys(res.body).sort(), TX_KEYS);
		assert.equal(res.body.type, "top_up");
		assert.equal(res.body.amount, 2500);
		assert.equal(res.body.balanceAfter, 2500);
		assert.equal(res.body.reference, "cash desk");
		assert.equal(res.body.refundOf, null);
		assert.equal(res.body.walletId, w.id);
		assert.equal((await http.get(`/wallets/${w.id}`, { key: club.viewer })).body.balance, 2500);
	});

	it("when an amount is 0, negative, fractional, a string or over 1 000 000 000, then 422; 1 000 000 000 is accepted", async () => {
		const { wallet: w } = await wallet();
		for (const amount of [0, -5, 1.5, "100", 1_000_000_001]) assertInvalid(await move(w.id, "top-up", { amount }), "amount");
		assert.equal((await move(w.id, "top-up", { amount: 1_000_000_000 })).status, 201);
		assertInvalid(await move(w.id, "top-up", { amount: 5, extra: true }), "extra");
	});

	it("when the same key and body are retried, then the first answer is replayed and money moves once; a different body is 422 IDEMPOTENCY_KEY_REUSED", async () => {
		const { http } = env();
		const { wallet: w } = await wallet();
		const k = uid();
		const a = await move(w.id, "top-up", { amount: 700 }, k);
		const b = await move(w.id, "top-up", { amount: 700 }, k);
		assert.equal(a.status, 201);
		assert.equal(b.status, 201);
		assert.deepEqual(b.body, a.body);
		assert.equal((await http.get(`/wallets/${w.id}`, { key: club.viewer })).body.balance, 700);
		assertError(await move(w.id, "top-up", { amount: 701 }, k), 422, "IDEMPOTENCY_KEY_REUSED");
		const d1 = await move(w.id, "debit", { amount: 100 }, `d-${k}`);
		const d2 = await move(w.id, "debit", { amount: 100 }, `d-${k}`);
		assert.deepEqual(d2.body, d1.body);
		assert.equal((await http.get(`/wallets/${w.id}`, { key: club.viewer })).body.balance, 600);
	});

	it("when a key already used for a top-up is sent with a debit, or a key is over 255 characters, then it is refused and nothing moves", async () => {
		const { http } = env();
		const { wallet: w } = await wallet();
		const k = uid();
		assert.equal((await move(w.id, "top-up", { amount: 100 }, k)).status, 201);
		assertError(await move(w.id, "debit", { amount: 100 }, k), 422, "IDEMPOTENCY_KEY_REUSED");
		const long = await move(w.id, "top-up", { amount: 1 }, "k".repeat(256));
		assert.equal(long.status, 400, long.text);
		assert.equal((await move(w.id, "top-up", { amount: 1 }, "k".repeat(255) + uid().slice(0, 0))).status, 201);
		assert.equal((await http.get(`/wallets/${w.id}`, { key: club.viewer })).body.balance, 101);
	});

	it("when the same key is retried concurrently, then money still moves once", async () => {
		const { http } = env();
		const { wallet: w } = await wallet();
		const k = uid();
		const rs = await Promise.all(Array.from({ length: 6 }, () => move(w.id, "top-up", { amount: 50 }, k)));
		for (const r of rs) assert.ok(r.status === 201 || (r.status === 409 && r.body.type === "IDEMPOTENCY_IN_PROGRESS"), r.text);
		assert.equal((await http.get(`/wallets/${w.id}`, { key: club.viewer })).body.balance, 50);
	});

	it("when a debit exceeds the balance, then 409 INSUFFICIENT_FUNDS and the balance never goes below zero", async () => {
		const { http } = env();
		const { wallet: w } = await wallet();
		await move(w.id, "top-up", { amount: 1000 });
		assertError(await move(w.id, "debit", { amount: 1001 }), 409, "INSUFFICIENT_FUNDS");
		const d = await move(w.id, "debit", { amount: 1000, reference: "booking 42" });
		assert.equal(d.status, 201, d.text);
		assert.equal(d.body.type, "debit");
		assert.equal(d.body.amount, 1000);
		assert.equal(d.body.balanceAfter, 0);
		assertError(await move(w.id, "debit", { amount: 1 }), 409, "INSUFFICIENT_FUNDS");
		assert.equal((await http.get(`/wallets/${w.id}`, { key: club.viewer })).body.balance, 0);
	});

	it("when concurrent debits race for the same money, then only what the balance covers succeeds", async () => {
		const { http } = env();
		const { wallet: w } = await wallet();
		await move(w.id, "top-up", { amount: 300 });
		const rs = await Promise.all(Array.from({ length: 8 }, () => move(w.id, "debit", { amount: 100 })));
		assert.equal(rs.filter(r => r.status === 201).length, 3);
		for (const r of rs.filter(x => x.status !== 201)) assert.equal(r.body.type, "INSUFFICIENT_FUNDS");
		assert.equal((await http.get(`/wallets/${w.id}`, { key: club.viewer })).body.balance, 0);
	});

	it("when a debit is refunded in parts, then the rest is refunded without amount and a refund beyond the debit is 409 REFUND_EXCEEDS_DEBIT", async () => {
		const { http } = env();
		const { wallet: w } = await wallet();
		await move(w.id, "top-up", { amount: 1000 });
		const d = (await move(w.id, "debit", { amount: 600 })).body;
		const r1 = await move(w.id, "refund", { transactionId: d.id, amount: 200 });
		assert.equal(r1.status, 201, r1.text);
		assert.equal(r1.body.type, "refund");
		assert.equal(r1.body.amount, 200);
		assert.equal(r1.body.refundOf, d.id);
		assert.equal(r1.body.balanceAfter, 600);
		assertError(await move(w.id, "refund", { transactionId: d.id, amount: 401 }), 409, "REFUND_EXCEEDS_DEBIT");
		const rest = await move(w.id, "refund", { transactionId: d.id });
		assert.equal(rest.status, 201, rest.text);
		assert.equal(rest.body.amount, 400);
		assert.equal(rest.body.balanceAfter, 1000);
		assertError(await move(w.id, "refund", { transactionId: d.id }), 409, "REFUND_EXCEEDS_DEBIT");
		assertError(await move(w.id, "refund", { transactionId: d.id, amount: 1 }), 409, "REFUND_EXCEEDS_DEBIT");
		assert.equal((await http.get(`/wallets/${w.id}`, { key: club.viewer })).body.balance, 1000);
	});

	it("when a refund names a top-up, an unknown transaction or another wallet's debit, then 4xx and nothing moves", async () => {
		const { http } = env();
		const { wallet: w } = await wallet();
		const { wallet: w2 } = await wallet();
		const t = (await move(w.id, "top-up", { amount: 500 })).body;
		await move(w2.id, "top-up", { amount: 500 });
		const otherDebit = (await move(w2.id, "debit", { amount: 100 })).body;
		for (const transactionId of [t.id, otherDebit.id, "6f1c7b0e-9c8a-4f5e-8a53-1b2c3d4e5f60"]) {
			const res = await move(w.id, "refund", { transactionId });
			assert.ok(res.status >= 400 && res.status < 500, res.text);
		}
		assert.equal((await http.get(`/wallets/${w.id}`, { key: club.viewer })).body.balance, 500);
	});

	it("when transactions are listed, then newest first, paginated, without gaps", async () => {
		const { http } = env();
		const { wallet: w } = await wallet();
		for (let i = 1; i <= 7; i++) await move(w.id, "top-up", { amount: i });
		const seen: any[] = [];
		let cursor: string | null = null;
		do {
			const res: any = await http.get(`/wallets/${w.id}/transactions?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { key: club.viewer });
			assert.equal(res.status, 200, res.text);
			assert.deepEqual(Object.keys(res.body).sort(), ["items", "nextCursor"]);
			seen.push(...res.body.items);
			cursor = res.body.nextCursor;
		} while (cursor);
		assert.deepEqual(seen.map(t => t.amount), [7, 6, 5, 4, 3, 2, 1]);
		assert.deepEqual(seen.map(t => t.balanceAfter), [28, 21, 15, 10, 6, 3, 1]);
		assertInvalid(await http.get(`/wallets/${w.id}/transactions?limit=0`, { key: club.viewer }), "limit");
	});

	it("when another club's wallet is used, then 404 on every wallet route and nothing moves", async () => {
		const { http } = env();
		const other = await newClub(http);
		const oc = await createClient(http, other);
		const ow = (await http.post(`/clients/${oc.id}/wallets`, { currency: "EUR" }, { key: other.staff })).body;
		await http.post(`/wallets/${ow.id}/top-up`, { amount: 100 }, { key: other.staff, idempotencyKey: uid() });
		assertError(await http.get(`/wallets/${ow.id}`, { key: club.viewer }), 404, "NOT_FOUND");
		assertError(await http.get(`/wallets/${ow.id}/transactions`, { key: club.viewer }), 404, "NOT_FOUND");
		assertError(await move(ow.id, "top-up", { amount: 5 }), 404, "NOT_FOUND");
		assertError(await move(ow.id, "debit", { amount: 5 }), 404, "NOT_FOUND");
		assert.equal((await http.get(`/wallets/${ow.id}`, { key: other.viewer })).body.balance, 100);
	});

	it("when a viewer moves money, then 403", async () => {
		const { wallet: w } = await wallet();
		assertError(await move(w.id, "top-up", { amount: 5 }, uid(), club.viewer), 403, "FORBIDDEN");
	});

	it("when money moves, then wallets.transacted is emitted with the club id and the transaction", async () => {
		const { waitForEvent } = env();
		const { wallet: w } = await wallet();
		const t = (await move(w.id, "top-up", { amount: 77 })).body;
		const ev = await waitForEvent(e => e.name === "wallets.transacted" && e.payload?.transaction?.id === t.id);
		assert.equal(ev.payload.clubId, club.club.id);
		assert.equal(ev.payload.walletId, w.id);
	});

	it("when a client with an emptied wallet is deleted, then its ledger is either kept whole or hidden (404), never partly erased", async () => {
		const { http } = env();
		const { client, wallet: w } = await wallet();
		await move(w.id, "top-up", { amount: 10 });
		await move(w.id, "debit", { amount: 10 });
		assert.equal((await http.del(`/clients/${client.id}`, { key: club.staff })).status, 204);
		const tx = await http.get(`/wallets/${w.id}/transactions`, { key: club.viewer });
		assert.ok(tx.status === 404 || (tx.status === 200 && tx.body.items.length === 2), tx.text);
	});
});
