/**
 * Merging a duplicate into the client kept (POST /clients/:id/merge), embedded, through the
 * real gateway: bookings, tags, categories and wallets move (a shared currency through a
 * transfer_out / transfer_in pair), the source is erased; dry run; refusals; two merges of the
 * same clients in both directions at once.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { app, newClub, platformKey, type Running, type TestClub } from "../../../test/support/app";
import { createClientAnswer, email } from "../../../test/support/factories";
import { recordEvents } from "../../../test/support/events";

const inDays = (d: number, h = 10) => new Date(Date.UTC(new Date().getUTCFullYear() + 1, 0, 1 + d, h)).toISOString();
const hourAfter = (iso: string) => new Date(Date.parse(iso) + 3_600_000).toISOString();

describe("Merge: POST /clients/:id/merge (single process)", () => {
	let a: Running;
	let club: TestClub;
	let other: TestClub;

	before(async () => {
		a = await app();
		club = await newClub(a.http);
		other = await newClub(a.http);
	});

	const ok = async (p: Promise<any>, status: number) => {
		const res = await p;
		assert.equal(res.status, status, res.text);
		return res.body;
	};
	const client = (c: TestClub, over: Record<string, unknown> = {}) => createClientAnswer(a.http, c, { fullName: "Ana García", ...over });
	const wallet = async (c: TestClub, clientId: string, currency: string, amount: number) => {
		const w = await ok(a.http.post(`/clients/${clientId}/wallets`, { currency }, { key: c.staff }), 201);
		if (amount) await ok(a.http.post(`/wallets/${w.id}/top-up`, { amount }, { key: c.staff, idempotencyKey: crypto.randomUUID() }), 201);
		return w;
	};
	const book = (c: TestClub, clientId: string, startsAt: string) => ok(a.http.post("/bookings", { clientId, productId: "court-1", startsAt, endsAt: hourAfter(startsAt), channel: "staff" }, { key: c.staff }), 201);
	const merge = (c: TestClub, targetId: string, body: Record<string, unknown>, key = c.staff) => a.http.post(`/clients/${targetId}/merge`, body, { key });
	const walletsOf = async (c: TestClub, clientId: string) => (await ok(a.http.get(`/clients/${clientId}/wallets`, { key: c.viewer }), 200)).items;

	it("when a duplicate is merged, then its bookings, tags, categories and wallets are the target's, a shared currency goes through the ledger, and the source is erased", async () => {
		const [x, y] = [await ok(a.http.post("/categories", { name: `X ${crypto.randomBytes(2).toString("hex")}`, discountPercent: 10 }, { key: club.admin }), 201), await ok(a.http.post("/categories", { name: `Y ${crypto.randomBytes(2).toString("hex")}`, discountPercent: 20 }, { key: club.admin }), 201)];
		const target = await client(club, { tags: ["a", "b"] });
		const source = await client(club, { fullName: "Ana Garcia", tags: ["b", "c"] });
		await ok(a.http.put(`/clients/${target.id}/categories/${x.id}`, { validUntil: "2027-01-31" }, { key: club.staff }), 200);
		await ok(a.http.put(`/clients/${source.id}/categories/${x.id}`, { validFrom: "2026-01-01", validUntil: "2028-12-31" }, { key: club.staff }), 200);
		await ok(a.http.put(`/clients/${source.id}/categories/${y.id}`, {}, { key: club.staff }), 200);
		const tEur = await wallet(club, target.id, "EUR", 200);
		const sEur = await wallet(club, source.id, "EUR", 500);
		const sUsd = await wallet(club, source.id, "USD", 300);
		await book(club, target.id, inDays(1));
		const b1 = await book(club, source.id, inDays(2));
		await book(club, source.id, inDays(3));
		const rec = await recordEvents(a.brokers[0], ["clients.*"]);
		try {
			const expected = { bookings: 2, tags: 1, categories: 1, wallets: 1, transferred: [{ currency: "EUR", amount: 500 }] };
			const dry = await ok(merge(club, target.id, { sourceId: source.id, dryRun: true }), 200);
			assert.deepEqual(dry.moved, expected);
			assert.equal(dry.dryRun, true);
			assert.equal(dry.target.id, target.id);
			assert.equal((await a.http.get(`/clients/${source.id}`, { key: club.viewer })).status, 200, "a dry run changes nothing");
			assert.equal((await walletsOf(club, source.id)).length, 2);

			const res = await ok(merge(club, target.id, { sourceId: source.id }), 200);
			assert.deepEqual(res.moved, expected);
			assert.equal(res.dryRun, false);
			assert.deepEqual(res.warnings, []);
			assert.deepEqual(res.target.tags, ["a", "b", "c"]);
			const cats = new Map(res.target.categories.map((c: any) => [c.categoryId, c]));
			assert.deepEqual(cats.get(x.id), { categoryId: x.id, validFrom: null, validUntil: "2028-12-31" }, "a category both held keeps the widest validity");
			assert.deepEqual(cats.get(y.id), { categoryId: y.id, validFrom: null, validUntil: null });
			assert.deepEqual((await ok(a.http.get(`/clients/${target.id}`, { key: club.viewer }), 200)).tags, ["a", "b", "c"]);

			assert.equal((await a.http.get(`/clients/${source.id}`, { key: club.viewer })).status, 404);
			await client(club, { email: source.email }); // the e-mail is free again
			const bookings = await ok(a.http.get(`/clients/${target.id}/bookings?scope=all`, { key: club.viewer }), 200);
			assert.equal(bookings.items.length, 3);
			assert.ok(bookings.items.some((b: any) => b.id === b1.bookings[0].id && b.clientId === target.id));

			const mine = await walletsOf(club, target.id);
			assert.deepEqual(mine.map((w: any) => [w.currency, w.balance]).sort(), [["EUR", 700], ["USD", 300]]);
			assert.equal(mine.find((w: any) => w.currency === "USD").id, sUsd.id, "a currency the target had none in: the wallet changes owner");
			const into = (await ok(a.http.get(`/wallets/${tEur.id}/transactions`, { key: club.viewer }), 200)).items[0];
			assert.deepEqual([into.type, into.amount, into.balanceAfter, into.reference], ["transfer_in", 500, 700, `merge:${source.id}`]);
			const out = (await ok(a.http.get(`/wallets/${sEur.id}/transactions`, { key: club.viewer }), 200)).items[0];
			assert.deepEqual([out.type, out.amount, out.balanceAfter, out.reference], ["transfer_out", 500, 0, `merge:${source.id}`]);
			const closed = await a.http.post(`/wallets/${sEur.id}/top-up`, { amount: 1 }, { key: club.staff, idempotencyKey: crypto.randomUUID() });
			assert.equal(closed.body.type, "WALLET_CLOSED", "the emptied wallet is closed");
			const rec2 = await ok(a.http.get("/wallets/reconciliation", { key: club.admin }), 200);
			assert.equal(rec2.ok, true, JSON.stringify(rec2.mismatches));

			const ev = await rec.waitFor(e => e.name === "clients.merged" && e.payload.targetId === target.id);
			assert.deepEqual(ev.payload, { clubId: club.club.id, targetId: target.id, sourceId: source.id });
			const openapi = await ok(a.http.get("/api/openapi.json"), 200);
			assert.ok(openapi.paths["/api/v1/clients/{id}/merge"].post.responses["409"]);
		} finally {
			await rec.stop();
		}
	});

	it("when the merge is refused (same id, another club's or unknown id, verified source, viewer), then 422 / 404 / 409 / 403 and nothing moves", async () => {
		const target = await client(club);
		const source = await client(club);
		const foreign = await client(other);
		assert.equal((await merge(club, target.id, { sourceId: target.id })).status, 422);
		assert.equal((await merge(club, target.id, { sourceId: target.id.toUpperCase() })).status, 422);
		assert.equal((await merge(club, target.id, { sourceId: foreign.id })).status, 404);
		assert.equal((await merge(club, foreign.id, { sourceId: source.id })).status, 404);
		assert.equal((await merge(club, target.id, { sourceId: crypto.randomUUID() })).status, 404);
		assert.equal((await merge(club, target.id, { sourceId: "nope" })).status, 404);
		assert.equal((await merge(club, target.id, { sourceId: source.id }, club.viewer)).status, 403);
		assert.equal((await merge(club, target.id, { sourceId: source.id, extra: 1 })).status, 422);
		const mail = email("verified");
		await ok(a.http.post("/verified-profiles", { email: mail, fullName: "Vera Ified", phone: "+34600999888", gender: "F", country: "ES" }, { key: platformKey() }), 200);
		const verified = await client(club, { email: mail, fullName: "Vera Ified", phone: "+34600999888" });
		assert.equal(verified.verified, true);
		const refused = await merge(club, target.id, { sourceId: verified.id });
		assert.equal(refused.status, 409);
		assert.equal(refused.body.type, "SOURCE_VERIFIED");
		for (const id of [target.id, source.id, verified.id]) assert.equal((await a.http.get(`/clients/${id}`, { key: club.viewer })).status, 200);
		assert.equal((await ok(merge(club, verified.id, { sourceId: source.id }), 200)).target.id, verified.id, "a verified client may be the one kept");
	});

	it("when the target's group limits future bookings, then the merge still moves them all and warns", async () => {
		const group = await ok(a.http.post("/groups", { name: `Limited ${crypto.randomBytes(2).toString("hex")}`, maxFutureBookings: 1 }, { key: club.admin }), 201);
		const target = await client(club, { groupId: group.id });
		const source = await client(club);
		await book(club, target.id, inDays(5));
		await book(club, source.id, inDays(6));
		const res = await ok(merge(club, target.id, { sourceId: source.id }), 200);
		assert.equal(res.moved.bookings, 1);
		assert.deepEqual(res.warnings.map((w: any) => [w.code, w.data]), [["FUTURE_BOOKING_LIMIT_EXCEEDED", { maxFutureBookings: 1, futureBookings: 2 }]]);
	});

	it("when two merges of the same clients run at once in both directions, then one completes, the other is a 404, and no money is created or lost", async () => {
		for (let round = 0; round < 3; round++) {
			const one = await client(club);
			const two = await client(club);
			await wallet(club, one.id, "EUR", 1_000 + round);
			await wallet(club, two.id, "EUR", 2_000);
			await wallet(club, two.id, "GBP", 50);
			const [ab, ba] = await Promise.all([merge(club, one.id, { sourceId: two.id }), merge(club, two.id, { sourceId: one.id })]);
			assert.deepEqual([ab.status, ba.status].sort(), [200, 404], `${ab.text} / ${ba.text}`);
			const kept = ab.status === 200 ? one : two;
			const gone = ab.status === 200 ? two : one;
			assert.equal((await a.http.get(`/clients/${gone.id}`, { key: club.viewer })).status, 404);
			const w = await walletsOf(club, kept.id);
			assert.deepEqual(w.map((x: any) => [x.currency, x.balance]).sort(), [["EUR", 3_000 + round], ["GBP", 50]]);
		}
		const rec = await ok(a.http.get("/wallets/reconciliation", { key: club.admin }), 200);
		assert.equal(rec.ok, true, JSON.stringify(rec.mismatches));
	});
});
