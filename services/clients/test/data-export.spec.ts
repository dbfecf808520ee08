/** GET /clients/:id/export: one person's data across services, as a JSON attachment (admin). */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { app, newClub, type Running, type TestClub } from "../../../test/support/app";

describe("Client data export: GET /clients/:id/export", () => {
	let a: Running;
	let club: TestClub;
	let other: TestClub;

	before(async () => {
		a = await app();
		club = await newClub(a.http);
		other = await newClub(a.http);
	});

	it("when an admin exports a client, then the attachment holds the client, its categories, bookings, wallets with every transaction, history and exportedAt", async () => {
		const c = (await a.http.post("/clients", { fullName: "Data Person", email: `dp.${crypto.randomBytes(4).toString("hex")}@example.com`, phone: "+34611222333", gender: "M", country: "ES" }, { key: club.staff })).body;
		const cat = (await a.http.post("/categories", { name: `Junior ${crypto.randomBytes(2).toString("hex")}`, discountPercent: 15 }, { key: club.admin })).body;
		await a.http.put(`/clients/${c.id}/categories/${cat.id}`, { validUntil: "2030-01-01" }, { key: club.staff });
		const w = (await a.http.post(`/clients/${c.id}/wallets`, { currency: "EUR" }, { key: club.staff })).body;
		await a.http.post(`/wallets/${w.id}/top-up`, { amount: 900 }, { key: club.staff, idempotencyKey: crypto.randomUUID() });
		await a.http.post(`/wallets/${w.id}/debit`, { amount: 100 }, { key: club.staff, idempotencyKey: crypto.randomUUID() });
		const startsAt = new Date(Date.now() + 86_400_000).toISOString();
		await a.http.post("/bookings", { clientId: c.id, productId: "court-9", startsAt, endsAt: new Date(Date.parse(startsAt) + 3_600_000).toISOString(), channel: "staff" }, { key: club.staff });

		// The audit trail is written after each commit: wait until the client's entries are there.
		let res = await a.http.get(`/clients/${c.id}/export`, { key: club.admin });
		for (let i = 0; i < 50 && !(res.body.history?.length >= 2); i++) {
			await new Promise(r => setTimeout(r, 100));
			res = await a.http.get(`/clients/${c.id}/export`, { key: club.admin });
		}
		assert.equal(res.status, 200, res.text);
		assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
		assert.equal(res.headers.get("content-disposition"), `attachment; filename="client-${c.id}.json"`);
		const body = res.body;
		assert.deepEqual(Object.keys(body).sort(), ["bookings", "categories", "client", "exportedAt", "history", "wallets"]);
		assert.equal(body.client.id, c.id);
		assert.equal(body.client.email, c.email);
		assert.deepEqual(body.categories.map((x: any) => [x.categoryId, x.name, x.discountPercent, x.validUntil]), [[cat.id, cat.name, cat.discountPercent, "2030-01-01"]]);
		assert.deepEqual(body.bookings.map((b: any) => [b.productId, b.clientId]), [["court-9", c.id]]);
		assert.equal(body.wallets.length, 1);
		assert.equal(body.wallets[0].balance, 800);
		assert.deepEqual(body.wallets[0].transactions.map((t: any) => [t.type, t.amount]), [["top_up", 900], ["debit", 100]]);
		assert.ok(body.history.length >= 2, JSON.stringify(body.history));
		assert.ok(body.history.every((e: any) => e.target?.id === c.id), "only this client's entries");
		assert.ok(body.history[0].at <= body.history[body.history.length - 1].at, "oldest first");
		assert.ok(Date.parse(body.exportedAt) > Date.now() - 60_000);

		assert.equal((await a.http.get(`/clients/${c.id}/export`, { key: club.staff })).status, 403);
		assert.equal((await a.http.get(`/clients/${c.id}/export`, { key: other.admin })).status, 404);
		assert.equal((await a.http.get(`/clients/nope/export`, { key: club.admin })).status, 404);
	});
});
