/**
 * Groups across nodes over the real nats-server: the gateway on one broker, groups on a
 * second, clients on a third. Deleting a group moves its clients through the bus, and the
 * events reach a listener on another node.
 */
import assert from "node:assert/strict";
import { newClub, startCluster, type Running } from "../../../test/support/app";
import { createClient } from "../../../test/support/factories";
import { recordEvents, type EventRecorder } from "../../../test/support/events";

const GROUPS_EVENTS = ["groups.updated", "groups.deleted", "groups.defaultChanged", "categories.updated", "groups.productAccessUpdated"];

describe("Groups across nodes over real NATS", function () {
	this.timeout(60_000);
	let c: Running;
	let events: EventRecorder;

	before(async () => {
		c = await startCluster([{ services: ["api"] }, { services: ["clubs", "groups"] }, { services: ["clients", "wallets", "booking-guard"] }]);
		events = await recordEvents(c.brokers[0], GROUPS_EVENTS, { knownBy: [c.brokers[1]] });
	});
	after(() => c?.stop());

	it("when a group with clients is deleted with moveClientsTo, then its clients move across nodes and the gateway's node hears groups.deleted", async () => {
		const club = await newClub(c.http);
		const from = (await c.http.post("/groups", { name: "Remote from", maxFutureBookings: 1 }, { key: club.admin })).body;
		const to = (await c.http.post("/groups", { name: "Remote to" }, { key: club.admin })).body;
		const client = await createClient(c.http, club.staff, { groupId: from.id });
		assert.equal((await c.http.get(`/groups/${from.id}`, { key: club.viewer })).body.clientCount, 1);
		assert.equal((await c.http.del(`/groups/${from.id}`, { key: club.admin })).body.type, "GROUP_NOT_EMPTY");
		assert.equal((await c.http.del(`/groups/${from.id}?moveClientsTo=${to.id}`, { key: club.admin })).status, 204);
		assert.equal((await c.http.get(`/clients/${client.id}`, { key: club.viewer })).body.groupId, to.id);
		const evs = await events.waitForClub(club.club.id, e => e.some(x => x.name === "groups.deleted"));
		assert.deepEqual(evs.find(e => e.name === "groups.deleted")!.payload, { clubId: club.club.id, groupId: from.id });
		assert.deepEqual(evs.filter(e => e.name === "groups.updated").map(e => e.payload.group.name), ["Remote from", "Remote to"]);
	});

	it("when the booking system's node asks for the snapshot and product rules over the bus, then it gets the club's data", async () => {
		const club = await newClub(c.http);
		const g = (await c.http.post("/groups", { name: "Bus group", vatRate: 2100 }, { key: club.admin })).body;
		await c.http.put("/products/remote-court/access", { kind: "activity", groupIds: [g.id] }, { key: club.admin });
		const meta = { meta: { clubId: club.club.id } };
		const snap: any = await c.brokers[2].call("groups.snapshot", {}, meta);
		assert.equal(snap.groups.find((x: any) => x.id === g.id).vatRate, 2100);
		assert.deepEqual(await c.brokers[2].call("groups.productRules", { productIds: ["remote-court"] }, meta), { "remote-court": { kind: "activity", groupIds: [g.id] } });
	});
});
