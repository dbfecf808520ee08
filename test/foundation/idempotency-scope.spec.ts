/**
 * API.md Conventions: Idempotency-Key is scoped to the club, across routes. The same key on
 * a wallet top-up and then on POST /clients with another body is 422 IDEMPOTENCY_KEY_REUSED,
 * whichever service answered first, REST or bus; the same request again still replays.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import type { ServiceBroker } from "moleculer";
import { app, newClub, type Http, type TestClub } from "../support/app";
import { clientBody } from "../support/factories";

describe("Idempotency keys are the club's, across routes", function () {
	this.timeout(60_000);
	let http: Http;
	let broker: ServiceBroker;
	let club: TestClub;
	let walletId: string;
	let clientId: string;

	const assertReused = (res: { status: number; body: any; text: string }) => {
		assert.equal(res.status, 422, res.text);
		assert.equal(res.body.type, "IDEMPOTENCY_KEY_REUSED", res.text);
	};

	before(async () => {
		const running = await app();
		http = running.http;
		broker = running.brokers[0];
		club = await newClub(http);
		const c = await http.post("/clients", clientBody(), { key: club.staff });
		clientId = c.body.id;
		walletId = (await http.post(`/clients/${clientId}/wallets`, { currency: "EUR" }, { key: club.staff })).body.id;
		const seed = await http.post(`/wallets/${walletId}/top-up`, { amount: 100_000 }, { key: club.staff, idempotencyKey: crypto.randomUUID() });
		assert.equal(seed.status, 201, seed.text);
	});

	it("when a key of a top-up comes again on POST /clients, then 422 IDEMPOTENCY_KEY_REUSED and no client is created", async () => {
		const key = `k-${crypto.randomUUID()}`;
		const t = await http.post(`/wallets/${walletId}/top-up`, { amount: 10 }, { key: club.staff, idempotencyKey: key });
		assert.equal(t.status, 201, t.text);
		const body = clientBody();
		assertReused(await http.post("/clients", body, { key: club.staff, idempotencyKey: key }));
		const found = await http.get(`/clients?q=${encodeURIComponent(body.email)}`, { key: club.viewer });
		assert.equal(found.body.items.length, 0, found.text);
		// The top-up itself still replays.
		const again = await http.post(`/wallets/${walletId}/top-up`, { amount: 10 }, { key: club.staff, idempotencyKey: key });
		assert.equal(again.status, 201);
		assert.deepEqual(again.body, t.body);
	});

	it("when a key of POST /clients comes again on a debit, a top-up, a booking or a wallet opening, then each is 422 and no money moves", async () => {
		const key = `k-${crypto.randomUUID()}`;
		const body = clientBody();
		const c = await http.post("/clients", body, { key: club.staff, idempotencyKey: key });
		assert.equal(c.status, 201, c.text);
		const before = (await http.get(`/wallets/${walletId}`, { key: club.viewer })).body.balance;
		assertReused(await http.post(`/wallets/${walletId}/debit`, { amount: 5 }, { key: club.staff, idempotencyKey: key }));
		assertReused(await http.post(`/wallets/${walletId}/top-up`, { amount: 5 }, { key: club.staff, idempotencyKey: key }));
		assertReused(await http.post("/bookings", { clientId: c.body.id, productId: "court-1", startsAt: "2031-02-03T09:00:00Z", endsAt: "2031-02-03T10:00:00Z" }, { key: club.staff, idempotencyKey: key }));
		assertReused(await http.post(`/clients/${c.body.id}/wallets`, { currency: "USD" }, { key: club.staff, idempotencyKey: key }));
		assert.equal((await http.get(`/wallets/${walletId}`, { key: club.viewer })).body.balance, before);
		assert.equal((await http.get(`/clients/${c.body.id}/wallets`, { key: club.viewer })).body.items.length, 0);
		// And the client's creation still replays.
		const again = await http.post("/clients", body, { key: club.staff, idempotencyKey: key });
		assert.equal(again.status, 201, again.text);
		assert.deepEqual(again.body, c.body);
	});

	it("when a debit's key (the batched path) comes on a top-up or a refund, then 422; the same debit again replays", async () => {
		const key = `k-${crypto.randomUUID()}`;
		const d = await http.post(`/wallets/${walletId}/debit`, { amount: 7 }, { key: club.staff, idempotencyKey: key });
		assert.equal(d.status, 201, d.text);
		assertReused(await http.post(`/wallets/${walletId}/top-up`, { amount: 7 }, { key: club.staff, idempotencyKey: key }));
		assertReused(await http.post(`/wallets/${walletId}/refund`, { transactionId: d.body.id }, { key: club.staff, idempotencyKey: key }));
		assertReused(await http.post("/clients", clientBody(), { key: club.staff, idempotencyKey: key }));
		const again = await http.post(`/wallets/${walletId}/debit`, { amount: 7 }, { key: club.staff, idempotencyKey: key });
		assert.equal(again.status, 201);
		assert.deepEqual(again.body, d.body);
	});

	it("when the bus (booking system) reuses a REST key of the club, then 422 too", async () => {
		const key = `k-${crypto.randomUUID()}`;
		assert.equal((await http.post("/clients", clientBody(), { key: club.staff, idempotencyKey: key })).status, 201);
		await assert.rejects(
			broker.call("wallets.debit", { walletId, amount: 3, idempotencyKey: key }, { meta: { clubId: club.club.id } }),
			(err: any) => err.code === 422 && err.type === "IDEMPOTENCY_KEY_REUSED",
		);
	});

	it("when two routes get the same key at the same moment, then exactly one runs and the other is 422", async () => {
		for (let round = 0; round < 5; round++) {
			const key = `k-${crypto.randomUUID()}`;
			const body = clientBody();
			const [a, b] = await Promise.all([
				http.post(`/wallets/${walletId}/debit`, { amount: 1 }, { key: club.staff, idempotencyKey: key }),
				http.post("/clients", body, { key: club.staff, idempotencyKey: key }),
			]);
			const statuses = [a.status, b.status].sort();
			assert.deepEqual(statuses, [201, 422], `${a.text} / ${b.text}`);
			const created = (await http.get(`/clients?q=${encodeURIComponent(body.email)}`, { key: club.viewer })).body.items.length;
			assert.equal(created, b.status === 201 ? 1 : 0);
		}
	});

	it("when another club uses the same key, then it is its own", async () => {
		const key = `k-${crypto.randomUUID()}`;
		assert.equal((await http.post(`/wallets/${walletId}/top-up`, { amount: 1 }, { key: club.staff, idempotencyKey: key })).status, 201);
		const other = await newClub(http);
		assert.equal((await http.post("/clients", clientBody(), { key: other.staff, idempotencyKey: key })).status, 201);
	});
});
