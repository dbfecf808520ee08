/**
 * The audit trail through the real gateway, embedded: one entry per committed change (REST and
 * bus), who made it, what changed; filters and paging; a client's history; erasure; roles.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { app, newClub, type Running, type TestClub } from "../../../test/support/app";
import { allEntries, exactly, ofTarget } from "./helpers";

const email = () => `ana.${crypto.randomBytes(5).toString("hex")}@example.com`;

describe("Audit trail (embedded)", () => {
	let a: Running;
	let club: TestClub;
	let staffKeyId: string;
	let staff: string;

	before(async () => {
		a = await app();
		club = await newClub(a.http);
		const made = await a.http.post("/api-keys", { name: "front desk", role: "staff" }, { key: club.admin });
		staff = made.body.key;
		staffKeyId = made.body.id;
	});

	it("when the front desk creates then updates a client, then the client has exactly two entries with the key as actor and the update's changes", async () => {
		const created = await a.http.post("/clients", { fullName: "Ana Ruiz", email: email(), phone: "+34611000001", country: "ES", gender: "female" }, { key: staff });
		assert.equal(created.status, 201, created.text);
		const id = created.body.id;
		const updated = await a.http.patch(`/clients/${id}`, { fullName: "Ana Ruiz Gil", notes: "left-handed" }, { key: staff });
		assert.equal(updated.status, 200, updated.text);
		// The same values again is no change: no entry.
		assert.equal((await a.http.patch(`/clients/${id}`, { fullName: "Ana Ruiz Gil" }, { key: staff })).status, 200);

		const entries = await exactly(a.http, club.admin, ofTarget("client", id), 2);
		assert.deepEqual(entries.map(e => e.action), ["clients.update", "clients.create"]);
		const [update, create] = entries;
		assert.equal(update.actor.type, "key");
		assert.equal(update.actor.id, staffKeyId);
		assert.deepEqual(update.changes, { fullName: ["Ana Ruiz", "Ana Ruiz Gil"], notes: [null, "left-handed"] });
		assert.deepEqual(update.target, { type: "client", id });
		assert.ok(update.requestId);
		assert.ok(Date.parse(update.at) >= Date.parse(create.at));
		assert.deepEqual(create.changes?.fullName, [null, "Ana Ruiz"]);
		assert.deepEqual(Object.keys(update).sort(), ["action", "actor", "at", "changes", "id", "requestId", "target"]);
	});

	it("when a bus caller changes a client, then the actor is the calling service", async () => {
		const broker = a.brokers[0];
		const client: any = await broker.call("clients.create", { fullName: "Bus Rider", email: email(), phone: "+34611000002", country: "ES", gender: "male", source: "online" }, { meta: { clubId: club.club.id } });
		await broker.call("clients.update", { id: client.id, notes: "from the booking system" }, { meta: { clubId: club.club.id } });
		const entries = await exactly(a.http, club.admin, ofTarget("client", client.id), 2);
		for (const e of entries) {
			assert.equal(e.actor.type, "service");
			assert.equal(e.actor.id, broker.nodeID);
		}
	});

	it("when a client's history is read, then a viewer gets its entries newest first, and another club's or an unknown client is a 404", async () => {
		const created = await a.http.post("/clients", { fullName: "Eva Paz", email: email(), phone: "+34611000003", country: "ES", gender: "female" }, { key: staff });
		const id = created.body.id;
		await a.http.patch(`/clients/${id}`, { notes: "one" }, { key: staff });
		await a.http.patch(`/clients/${id}`, { notes: "two" }, { key: staff });
		await exactly(a.http, club.admin, ofTarget("client", id), 3);
		const page1 = await a.http.get(`/clients/${id}/history?limit=2`, { key: club.viewer });
		assert.equal(page1.status, 200, page1.text);
		assert.deepEqual(page1.body.items.map((e: any) => e.changes?.notes?.[1] ?? e.action), ["two", "one"]);
		assert.ok(page1.body.nextCursor);
		const page2 = await a.http.get(`/clients/${id}/history?limit=2&cursor=${page1.body.nextCursor}`, { key: club.viewer });
		assert.deepEqual(page2.body.items.map((e: any) => e.action), ["clients.create"]);
		assert.equal(page2.body.nextCursor, null);

		const other = await newClub(a.http);
		assert.equal((await a.http.get(`/clients/${id}/history`, { key: other.viewer })).status, 404);
		assert.equal((await a.http.get(`/clients/${crypto.randomUUID()}/history`, { key: club.viewer })).status, 404);
		assert.equal((await a.http.get(`/clients/not-an-id/history`, { key: club.viewer })).status, 404);
		// Another club's admin sees nothing of this club in its trail.
		assert.deepEqual(await allEntries(a.http, other.admin, ofTarget("client", id)), []);
	});

	it("when the trail is read, then only an admin may, and filters and bad dates answer as they should", async () => {
		assert.equal((await a.http.get("/audit", { key: club.viewer })).status, 403);
		assert.equal((await a.http.get("/audit", { key: club.staff })).status, 403);
		assert.equal((await a.http.get("/audit")).status, 401);
		const bad = await a.http.get("/audit?from=yesterday", { key: club.admin });
		assert.equal(bad.status, 422);
		assert.equal(bad.body.data[0].field, "from");

		const before = new Date().toISOString();
		const c = await a.http.post("/clients", { fullName: "Filter Me", email: email(), phone: "+34611000004", country: "ES", gender: "female" }, { key: staff });
		await a.http.patch(`/clients/${c.body.id}`, { notes: "x" }, { key: staff });
		await exactly(a.http, club.admin, ofTarget("client", c.body.id), 2);
		const updates = await allEntries(a.http, club.admin, `/audit?action=clients.update&targetId=${c.body.id}`);
		assert.deepEqual(updates.map(e => e.action), ["clients.update"]);
		const byActor = await allEntries(a.http, club.admin, `/audit?actorId=${staffKeyId}&from=${encodeURIComponent(before)}`);
		assert.ok(byActor.length >= 2 && byActor.every(e => e.actor.id === staffKeyId && e.at >= before));
		const none = await allEntries(a.http, club.admin, `/audit?targetId=${c.body.id}&to=${encodeURIComponent(before)}`);
		assert.deepEqual(none, []);
	});

	it("when a client is deleted, then its entries keep their fields with the personal values null, and its history is a 404", async () => {
		const c = await a.http.post("/clients", { fullName: "Gone Soon", email: email(), phone: "+34611000005", country: "ES", gender: "other", notes: "secret" }, { key: staff });
		const id = c.body.id;
		await a.http.patch(`/clients/${id}`, { fullName: "Gone Later" }, { key: staff });
		assert.equal((await a.http.del(`/clients/${id}`, { key: staff })).status, 204);
		const entries = await exactly(a.http, club.admin, ofTarget("client", id), 3);
		assert.deepEqual(entries.map(e => e.action), ["clients.delete", "clients.update", "clients.create"]);
		assert.deepEqual(entries[1].changes, { fullName: [null, null] });
		const created = entries[2].changes!;
		assert.deepEqual(created.fullName, [null, null]);
		assert.deepEqual(created.email, [null, null]);
		assert.deepEqual(created.notes, [null, null]);
		assert.equal(created.groupId[1], c.body.groupId);
		assert.ok(!JSON.stringify(entries).includes("Gone"));
		assert.equal((await a.http.get(`/clients/${id}/history`, { key: club.viewer })).status, 404);
	});

	it("when an entry of an erased client arrives after the erasure (or twice), then it is stored once without personal values", async () => {
		const c = await a.http.post("/clients", { fullName: "Late Comer", email: email(), phone: "+34611000006", country: "ES", gender: "female" }, { key: staff });
		const id = c.body.id;
		assert.equal((await a.http.del(`/clients/${id}`, { key: staff })).status, 204);
		await exactly(a.http, club.admin, ofTarget("client", id), 2);
		const audit: any = a.brokers[0].getLocalService("audit");
		const late = {
			id: crypto.randomUUID(),
			clubId: club.club.id,
			at: new Date(Date.parse(c.body.createdAt) + 1).toISOString(),
			service: "clients",
			action: "clients.update",
			actor: { type: "key", id: staffKeyId, name: "front desk" },
			requestId: "late",
			target: { type: "client", id },
			changes: { fullName: ["Late Comer", "Late Comer Jr"], groupId: [c.body.groupId, c.body.groupId] },
			event: null,
		};
		await Promise.all([audit.store(late), audit.store(late)]);
		await audit.store(late);
		const entries = await exactly(a.http, club.admin, ofTarget("client", id), 3);
		const stored = entries.find(e => e.id === late.id)!;
		assert.deepEqual(stored.changes, { fullName: [null, null], groupId: [c.body.groupId, c.body.groupId] });
	});
});
