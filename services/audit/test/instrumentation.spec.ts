/**
 * Every service's committed changes reach the trail exactly once, through REST and the bus
 * (embedded): wallets (also the debit batcher), groups, categories, product access, the default
 * group, bookings, imports, clubs and keys, client bulk and categories. Replays and no-ops add none.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { app, newClub, platformKey, type Running, type TestClub } from "../../../test/support/app";
import { fixtures, hourAfter, inHours } from "../../booking-guard/test/helpers";
import { importFile } from "../../import/test/helpers";
import { allEntries, exactly, ofTarget, type Entry } from "./helpers";

const actions = (entries: Entry[]) => entries.map(e => e.action);

describe("Audit trail: one entry per change in every service (embedded)", function () {
	this.timeout(60_000);
	let a: Running;
	let club: TestClub;
	let f: ReturnType<typeof fixtures>;

	before(async () => {
		a = await app();
		club = await newClub(a.http);
		f = fixtures(a.http, club);
	});

	it("when a club is created and keys are made and revoked, then the club, each key and the seeded groups have one entry each, with no secret", async () => {
		const made = await a.http.post("/clubs", { name: "Audit Club", country: "ES", currency: "EUR", timezone: "Europe/Madrid" }, { key: platformKey() });
		assert.equal(made.status, 201);
		const admin = made.body.apiKey.key;
		const [clubEntry] = await exactly(a.http, admin, ofTarget("club", made.body.club.id), 1);
		assert.equal(clubEntry.action, "clubs.create");
		assert.deepEqual(clubEntry.actor, { type: "platform", id: "platform", name: "platform" });
		await exactly(a.http, admin, ofTarget("apiKey", made.body.apiKey.id), 1);
		const groups = await exactly(a.http, admin, "/audit?targetType=group", 2);
		assert.deepEqual(actions(groups), ["groups.create", "groups.create"]);

		const key = await a.http.post("/api-keys", { name: "temp", role: "viewer" }, { key: admin });
		assert.equal((await a.http.del(`/api-keys/${key.body.id}`, { key: admin })).status, 204);
		const keyEntries = await exactly(a.http, admin, ofTarget("apiKey", key.body.id), 2);
		assert.deepEqual(actions(keyEntries), ["clubs.revokeKey", "clubs.createKey"]);
		assert.deepEqual(keyEntries[1].changes, { name: [null, "temp"], role: [null, "viewer"] });
		assert.ok(!JSON.stringify(await allEntries(a.http, admin, "/audit")).includes(key.body.key));
	});

	it("when money moves (top-up, batched REST debit, bus debit, refund) and a key is replayed, then each movement has one entry with the balance before and after", async () => {
		const client = await f.client();
		const wallet = await a.http.post(`/clients/${client.id}/wallets`, { currency: "EUR" }, { key: club.staff });
		assert.equal(wallet.status, 201);
		const w = wallet.body.id;
		const k1 = crypto.randomUUID();
		assert.equal((await a.http.post(`/wallets/${w}/top-up`, { amount: 1000 }, { key: club.staff, idempotencyKey: k1 })).status, 201);
		assert.equal((await a.http.post(`/wallets/${w}/top-up`, { amount: 1000 }, { key: club.staff, idempotencyKey: k1 })).status, 201); // replay
		const debit = await a.http.post(`/wallets/${w}/debit`, { amount: 300 }, { key: club.staff, idempotencyKey: crypto.randomUUID() });
		assert.equal(debit.status, 201, debit.text);
		await a.brokers[0].call("wallets.debit", { walletId: w, amount: 200, idempotencyKey: crypto.randomUUID() }, { meta: { clubId: club.club.id } });
		assert.equal((await a.http.post(`/wallets/${w}/refund`, { transactionId: debit.body.id, amount: 100 }, { key: club.staff, idempotencyKey: crypto.randomUUID() })).status, 201);
		const entries = (await exactly(a.http, club.admin, ofTarget("wallet", w), 5)).reverse();
		assert.deepEqual(actions(entries), ["wallets.create", "wallets.topUp", "wallets.debit", "wallets.debit", "wallets.refund"]);
		assert.deepEqual(entries.slice(1).map(e => e.changes!.balance), [[0, 1000], [1000, 700], [700, 500], [500, 600]]);
		assert.equal(entries[2].actor.type, "key");
		assert.equal(entries[3].actor.type, "service");
	});

	it("when many debits of one wallet arrive together (one group commit), then each has exactly one entry", async () => {
		const client = await f.client();
		const w = await f.walletWith(client.id, "EUR", 100);
		const results = await Promise.all(Array.from({ length: 12 }, () => a.http.post(`/wallets/${w.id}/debit`, { amount: 5 }, { key: club.staff, idempotencyKey: crypto.randomUUID() })));
		assert.ok(results.every(r => r.status === 201));
		const debits = await exactly(a.http, club.admin, `${ofTarget("wallet", w.id)}&action=wallets.debit`, 12);
		assert.equal(new Set(debits.map(e => e.requestId)).size, 12);
	});

	it("when groups, the default group, categories and product access change, then each change has one entry and no-ops none", async () => {
		const g = await f.group();
		await f.patchGroup(g.id, { name: `${g.name} renamed` });
		await f.patchGroup(g.id, { name: `${g.name} renamed` }); // the same: no change
		assert.equal((await a.http.put("/settings/default-group", { groupId: g.id }, { key: club.admin })).status, 200);
		const groupEntries = await exactly(a.http, club.admin, ofTarget("group", g.id), 3);
		assert.deepEqual(actions(groupEntries), ["groups.setDefault", "groups.update", "groups.create"]);
		assert.deepEqual(groupEntries[1].changes, { name: [g.name, `${g.name} renamed`] });

		const cat = await f.category(10);
		assert.equal((await a.http.patch(`/categories/${cat.id}`, { discountPercent: 20 }, { key: club.admin })).status, 200);
		assert.equal((await a.http.del(`/categories/${cat.id}`, { key: club.admin })).status, 204);
		const catEntries = await exactly(a.http, club.admin, ofTarget("category", cat.id), 3);
		assert.deepEqual(actions(catEntries), ["categories.delete", "categories.update", "categories.create"]);
		assert.deepEqual(catEntries[1].changes, { discountPercent: [10, 20] });

		const productId = `p-${crypto.randomBytes(3).toString("hex")}`;
		await f.access(productId, "activity", [g.id]);
		assert.equal((await a.http.del(`/products/${productId}/access`, { key: club.admin })).status, 204);
		assert.deepEqual(actions(await exactly(a.http, club.admin, ofTarget("product", productId), 2)), ["products.removeAccess", "products.putAccess"]);

		const other = await f.group();
		assert.equal((await a.http.del(`/groups/${other.id}`, { key: club.admin })).status, 204);
		assert.deepEqual(actions(await exactly(a.http, club.admin, ofTarget("group", other.id), 2)), ["groups.delete", "groups.create"]);
	});

	it("when bookings are reserved and cancelled (one, a series, twice), then each call that changed something has one entry", async () => {
		const client = await f.client();
		const booked = await f.book(client.id, inHours(30));
		const id = booked.bookings[0].id;
		assert.equal((await a.http.post(`/bookings/${id}/cancel`, {}, { key: club.staff })).status, 200);
		assert.equal((await a.http.post(`/bookings/${id}/cancel`, {}, { key: club.staff })).status, 200); // already cancelled: no change
		const entries = await exactly(a.http, club.admin, ofTarget("booking", id), 2);
		assert.deepEqual(actions(entries), ["bookings.cancel", "bookings.reserve"]);
		assert.deepEqual(entries[0].changes, { status: ["confirmed", "cancelled"] });

		const start = inHours(50);
		const series = await a.http.post("/bookings", { clientId: client.id, productId: "court-1", startsAt: start, endsAt: hourAfter(start), channel: "staff", recurrence: { frequency: "weekly", count: 3 } }, { key: club.staff });
		assert.equal(series.status, 201, series.text);
		const seriesId = series.body.bookings[0].seriesId;
		assert.equal((await a.http.post(`/bookings/series/${seriesId}/cancel`, {}, { key: club.staff })).status, 200);
		const seriesEntries = await exactly(a.http, club.admin, ofTarget("series", seriesId), 2);
		assert.deepEqual(actions(seriesEntries), ["bookings.cancelSeries", "bookings.reserve"]);
	});

	it("when clients are moved in bulk and given and denied a category, then each client changed has one entry", async () => {
		const [c1, c2] = [await f.client(), await f.client()];
		const g = await f.group();
		assert.equal((await a.http.post("/clients/bulk", { clientIds: [c1.id, c2.id], groupId: g.id, addTags: ["vip"] }, { key: club.staff })).status, 200);
		const cat = await f.category(5);
		await f.giveCategory(c1.id, cat.id);
		assert.equal((await a.http.del(`/clients/${c1.id}/categories/${cat.id}`, { key: club.staff })).status, 204);
		const e1 = await exactly(a.http, club.admin, ofTarget("client", c1.id), 4);
		assert.deepEqual(actions(e1), ["clients.removeCategory", "clients.putCategory", "clients.bulk", "clients.create"]);
		assert.deepEqual(e1[2].changes, { groupId: [c1.groupId, g.id], tags: [[], ["vip"]] });
		await exactly(a.http, club.admin, ofTarget("client", c2.id), 2);
	});

	it("when a CSV is imported, then the job has a start and a finish entry, and each client created or updated has one", async () => {
		const email = `imp-${crypto.randomBytes(4).toString("hex")}@example.com`;
		const csv = `full name,email,phone,gender,country\nIna Port,${email},+34612345678,female,ES\nOla Port,o${email},+34612345679,male,ES\n`;
		const job = await importFile(a.http, club.staff, csv);
		assert.equal(job.status, "completed");
		const jobEntries = await exactly(a.http, club.admin, ofTarget("import", job.id), 2);
		assert.deepEqual(actions(jobEntries), ["imports.finish", "imports.start"]);
		assert.equal(jobEntries[1].actor.type, "key");
		const imported = await exactly(a.http, club.admin, "/audit?action=clients.import", 2);
		assert.ok(imported.every(e => e.actor.type === "key" && e.target.type === "client"));

		const again = await importFile(a.http, club.staff, `full name,email,phone,gender,country\nIna Port Gil,${email},+34612345678,female,ES\n`, { onDuplicate: "update" });
		assert.equal(again.updated, 1);
		const updates = await exactly(a.http, club.admin, "/audit?action=clients.import", 3);
		assert.deepEqual(updates[0].changes, { fullName: ["Ina Port", "Ina Port Gil"] });
	});
});
