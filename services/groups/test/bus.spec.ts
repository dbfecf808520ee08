/**
 * The groups service on the bus: its internal actions (with and without the club in
 * meta, another club's ids) and the events it announces after every change.
 */
import assert from "node:assert/strict";
import type { ServiceBroker } from "moleculer";
import { app, newClub, type Running, type TestClub } from "../../../test/support/app";
import { createClient } from "../../../test/support/factories";
import { recordEvents, type EventRecorder } from "../../../test/support/events";

const GROUPS_EVENTS = ["groups.updated", "groups.deleted", "groups.defaultChanged", "categories.updated", "groups.productAccessUpdated"];

const MISSING = "00000000-0000-4000-8000-000000000000";

describe("Groups on the bus", () => {
	let a: Running;
	let broker: ServiceBroker;
	let club: TestClub;
	let other: TestClub;
	let events: EventRecorder;

	before(async () => {
		a = await app();
		broker = a.brokers[0];
		events = await recordEvents(broker, GROUPS_EVENTS);
		[club, other] = await Promise.all([newClub(a.http), newClub(a.http)]);
	});

	const as = (c: TestClub) => ({ meta: { clubId: c.club.id } });

	describe("actions", () => {
		it("when an action is called without the club in meta, then it is refused with CLUB_REQUIRED", async () => {
			const calls: Array<[string, object]> = [
				["groups.get", { id: MISSING }],
				["groups.list", {}],
				["groups.all", {}],
				["groups.defaults", {}],
				["groups.findByName", { name: "Default" }],
				["groups.getCategories", {}],
				["groups.productRules", { productIds: ["x"] }],
				["groups.snapshot", {}],
			];
			for (const [action, params] of calls) {
				await assert.rejects(broker.call(action, params), (err: any) => err.type === "CLUB_REQUIRED", action);
			}
		});

		it("when groups.get, list and defaults are called with the club, then they answer its groups; another club's id is NOT_FOUND", async () => {
			const list: any = await broker.call("groups.all", {}, as(club));
			assert.deepEqual(list.items.map((g: any) => g.name), ["Default", "External"]);
			assert.deepEqual(await broker.call("groups.list", {}, as(club)), { ...list, nextCursor: null });
			const d: any = await broker.call("groups.defaults", {}, as(club));
			assert.equal(d.defaultGroupId, list.items[0].id);
			assert.equal(d.externalGroupId, list.items[1].id);
			const g: any = await broker.call("groups.get", { id: d.defaultGroupId }, as(club));
			assert.equal(g.name, "Default");
			assert.equal(g.clientCount, 0);
			await assert.rejects(broker.call("groups.get", { id: d.defaultGroupId }, as(other)), (err: any) => err.type === "NOT_FOUND");
			await assert.rejects(broker.call("groups.get", { id: "garbage" }, as(club)), (err: any) => err.type === "NOT_FOUND");
		});

		it("when a club has more groups than a page, then groups.all answers every one of them with its count while groups.list pages", async () => {
			const c = await newClub(a.http);
			const made: any[] = [];
			for (let i = 0; i < 55; i++) made.push((await a.http.post("/groups", { name: `Many ${i}` }, { key: c.admin })).body);
			await createClient(a.http, c.staff, { groupId: made[54].id });
			const all: any = await broker.call("groups.all", {}, as(c));
			assert.equal(all.items.length, 57);
			assert.deepEqual(all.items.slice(2).map((g: any) => g.id), made.map(g => g.id));
			assert.equal(all.items[56].clientCount, 1);
			assert.equal(all.nextCursor, undefined);
			const first: any = await broker.call("groups.list", {}, as(c));
			assert.deepEqual(first.items, all.items.slice(0, 50));
			const rest: any = await broker.call("groups.list", { cursor: first.nextCursor }, as(c));
			assert.deepEqual(rest, { items: all.items.slice(50), nextCursor: null });
		});

		it("when groups.findByName is asked in any case, then it finds the club's group with its count; another club's or unknown name, then null", async () => {
			const made = (await a.http.post("/groups", { name: "Padel Juniors" }, { key: club.admin })).body;
			await createClient(a.http, club.staff, { groupId: made.id });
			for (const name of ["Padel Juniors", "padel juniors", "  PADEL JUNIORS "]) {
				const found: any = await broker.call("groups.findByName", { name }, as(club));
				assert.equal(found?.id, made.id, name);
				assert.equal(found.clientCount, 1);
			}
			assert.equal(await broker.call("groups.findByName", { name: "Padel Juniors" }, as(other)), null);
			assert.equal(await broker.call("groups.findByName", { name: "Padel" }, as(club)), null);
			assert.equal(await broker.call("groups.findByName", { name: "Padel%" }, as(club)), null);
			await assert.rejects(broker.call("groups.findByName", { name: "" }, as(club)), (err: any) => err.type === "VALIDATION_ERROR");
		});

		it("when groups.getCategories is asked, then it answers the club's categories (only the known ids when ids are given)", async () => {
			const mine = (await a.http.post("/categories", { name: "Senior", discountPercent: 7.5 }, { key: club.admin })).body;
			const mine2 = (await a.http.post("/categories", { name: "Student", discountPercent: 20 }, { key: club.admin })).body;
			const theirs = (await a.http.post("/categories", { name: "Theirs" }, { key: other.admin })).body;
			const all: any[] = await broker.call("groups.getCategories", {}, as(club));
			assert.deepEqual(all.map(c => c.id), [mine.id, mine2.id]);
			assert.deepEqual(all[0], mine);
			const some: any[] = await broker.call("groups.getCategories", { ids: [mine2.id, theirs.id, MISSING, "junk", mine2.id] }, as(club));
			assert.deepEqual(some.map(c => c.id), [mine2.id]);
			assert.deepEqual(await broker.call("groups.getCategories", { ids: [] }, as(club)), []);
			assert.deepEqual(await broker.call("groups.getCategories", { ids: [theirs.id] }, as(club)), []);
		});

		it("when groups.productRules is asked, then only the club's products with a rule are in the answer", async () => {
			const g = (await a.http.post("/groups", { name: "Rule group" }, { key: club.admin })).body;
			await a.http.put("/products/p-1/access", { kind: "product", groupIds: [g.id] }, { key: club.admin });
			await a.http.put("/products/p-2/access", { kind: "activity", groupIds: [] }, { key: club.admin });
			const theirGroup = (await a.http.get("/groups", { key: other.admin })).body.items[0].id;
			await a.http.put("/products/p-3/access", { kind: "product", groupIds: [theirGroup] }, { key: other.admin });
			const rules = await broker.call("groups.productRules", { productIds: ["p-1", "p-2", "p-3", "p-none", "bad id"] }, as(club));
			assert.deepEqual(rules, { "p-1": { kind: "product", groupIds: [g.id] }, "p-2": { kind: "activity", groupIds: [] } });
			assert.deepEqual(await broker.call("groups.productRules", { productIds: [] }, as(club)), {});
		});

		it("when groups.snapshot is asked, then it has every group's policies and every category, without client counts", async () => {
			const c = await newClub(a.http);
			const g = (await a.http.post("/groups", { name: "Snap", maxFutureBookings: 2, paymentMethods: ["card"], vatRate: 1000 }, { key: c.admin })).body;
			const cat = (await a.http.post("/categories", { name: "Snap cat", discountPercent: 33.33 }, { key: c.admin })).body;
			const snap: any = await broker.call("groups.snapshot", {}, { meta: { clubId: c.club.id } });
			assert.equal(snap.groups.length, 3);
			const sg = snap.groups.find((x: any) => x.id === g.id);
			const { clientCount: _gc, ...policy } = g;
			assert.deepEqual(sg, policy);
			const { clientCount: _cc, ...category } = cat;
			assert.deepEqual(snap.categories, [category]);
			const d: any = await broker.call("groups.defaults", {}, { meta: { clubId: c.club.id } });
			assert.equal(snap.defaultGroupId, d.defaultGroupId);
			assert.equal(snap.externalGroupId, d.externalGroupId);
		});
	});

	describe("events", () => {
		it("when a group is created, patched and deleted, then groups.updated (twice) and groups.deleted carry the club and the group", async () => {
			const c = await newClub(a.http);
			const made = (await a.http.post("/groups", { name: "Evented" }, { key: c.admin })).body;
			const patched = (await a.http.patch(`/groups/${made.id}`, { maxFutureBookings: 4 }, { key: c.admin })).body;
			await a.http.del(`/groups/${made.id}`, { key: c.admin });
			const evs = await events.waitForClub(c.club.id, e => e.some(x => x.name === "groups.deleted"));
			const updated = evs.filter(e => e.name === "groups.updated").map(e => e.payload);
			assert.deepEqual(updated, [
				{ clubId: c.club.id, group: made },
				{ clubId: c.club.id, group: patched },
			]);
			assert.deepEqual(events.of(c.club.id, "groups.deleted").map(e => e.payload), [{ clubId: c.club.id, groupId: made.id }]);
		});

		it("when a write is refused, then no event is emitted", async () => {
			const c = await newClub(a.http);
			const groups = (await a.http.get("/groups", { key: c.admin })).body.items;
			await a.http.post("/groups", { name: "default" }, { key: c.admin });
			await a.http.patch(`/groups/${groups[1].id}`, { name: "Renamed" }, { key: c.admin });
			await a.http.del(`/groups/${groups[0].id}`, { key: c.admin });
			await a.http.put("/settings/default-group", { groupId: groups[1].id }, { key: c.admin });
			await a.http.put("/products/p/access", { kind: "product", groupIds: [MISSING] }, { key: c.admin });
			await a.http.del("/products/p/access", { key: c.admin });
			await new Promise(r => setTimeout(r, 100));
			assert.deepEqual(events.of(c.club.id), []);
		});

		it("when the default group changes, then groups.defaultChanged and groups.updated for the new and the old default", async () => {
			const c = await newClub(a.http);
			const oldDefault = (await a.http.get("/settings/default-group", { key: c.admin })).body;
			const made = (await a.http.post("/groups", { name: "Next default" }, { key: c.admin })).body;
			await a.http.put("/settings/default-group", { groupId: made.id }, { key: c.admin });
			const evs = await events.waitForClub(c.club.id, e => e.some(x => x.name === "groups.defaultChanged") && e.filter(x => x.name === "groups.updated").length === 3);
			assert.deepEqual(evs.find(e => e.name === "groups.defaultChanged")!.payload, { clubId: c.club.id, groupId: made.id });
			const updated = evs.filter(e => e.name === "groups.updated").map(e => e.payload.group);
			assert.ok(updated.some(g => g.id === made.id && g.isDefault === true));
			assert.ok(updated.some(g => g.id === oldDefault.id && g.isDefault === false));
		});

		it("when a category is created, patched and deleted, then categories.updated carries it, and the deletion its id with deleted: true", async () => {
			const c = await newClub(a.http);
			const made = (await a.http.post("/categories", { name: "Evented", discountPercent: 5 }, { key: c.admin })).body;
			const patched = (await a.http.patch(`/categories/${made.id}`, { discountPercent: 6 }, { key: c.admin })).body;
			await a.http.del(`/categories/${made.id}`, { key: c.admin });
			const evs = await events.waitForClub(c.club.id, e => e.length === 3);
			assert.deepEqual(
				evs.map(e => [e.name, e.payload]),
				[
					["categories.updated", { clubId: c.club.id, category: made }],
					["categories.updated", { clubId: c.club.id, category: patched }],
					["categories.updated", { clubId: c.club.id, categoryId: made.id, deleted: true }],
				],
			);
		});

		it("when a product rule is set, removed, or loses a deleted group, then groups.productAccessUpdated names the product each time", async () => {
			const c = await newClub(a.http);
			const g = (await a.http.post("/groups", { name: "Access" }, { key: c.admin })).body;
			await a.http.put("/products/ev-1/access", { kind: "product", groupIds: [g.id] }, { key: c.admin });
			await a.http.put("/products/ev-2/access", { kind: "activity", groupIds: [g.id] }, { key: c.admin });
			await a.http.del("/products/ev-1/access", { key: c.admin });
			await a.http.del(`/groups/${g.id}`, { key: c.admin });
			const evs = await events.waitForClub(c.club.id, e => e.filter(x => x.name === "groups.productAccessUpdated").length === 4);
			assert.deepEqual(
				evs.filter(e => e.name === "groups.productAccessUpdated").map(e => e.payload.productId),
				["ev-1", "ev-2", "ev-1", "ev-2"],
			);
			assert.ok(evs.every(e => e.payload.clubId === c.club.id));
		});
	});
});
