/**
 * The trail across nodes over the real NATS (JetStream): the gateway, clients and two audit
 * nodes apart; a clients node that commits and stops before relaying still gets its entry
 * (another clients node publishes it), and two audit nodes store each entry exactly once.
 */
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { app, newClub, pauseOtherRelays, startCluster, type Running } from "../../../test/support/app";
import { createNode } from "../../../lib/node";
import { readEnv } from "../../../moleculer.config";
import { exactly, ofTarget } from "./helpers";

describe("Audit trail over NATS (cluster)", function () {
	this.timeout(90_000);
	let c: Running;
	let embedded: any[];
	let resumeOthers: () => void;

	before(async () => {
		// Every test app shares one database: keep the embedded app's relays off this cluster's rows.
		const a = await app();
		embedded = ["clients", "groups", "clubs"].map(s => a.brokers[0].getLocalService(s));
		for (const s of embedded) s.outboxPause(true);
		c = await startCluster([{ services: ["api", "clubs", "groups"] }, { services: ["clients", "wallets", "booking-guard"] }, { services: ["clients"] }, { services: ["audit"] }, { services: ["audit"] }]);
		resumeOthers = await pauseOtherRelays(c.brokers); // and any other running cluster's
	});
	after(async () => {
		await c.stop();
		resumeOthers();
		for (const s of embedded) s.outboxPause(false);
	});

	it("when a client is changed through the gateway, then its entries are stored once with two audit nodes, actor and all", async () => {
		const club = await newClub(c.http);
		const made = await c.http.post("/clients", { fullName: "Nora Node", email: `nora.${crypto.randomBytes(4).toString("hex")}@example.com`, phone: "+34611000099", gender: "female", country: "ES" }, { key: club.staff });
		assert.equal(made.status, 201, made.text);
		for (let i = 0; i < 5; i++) assert.equal((await c.http.patch(`/clients/${made.body.id}`, { notes: `n${i}` }, { key: club.staff })).status, 200);
		const entries = await exactly(c.http, club.admin, ofTarget("client", made.body.id), 6, 500);
		assert.equal(entries[0].actor.type, "key");
		assert.deepEqual(entries[0].changes, { notes: ["n3", "n4"] });
		const history = await c.http.get(`/clients/${made.body.id}/history`, { key: club.viewer });
		assert.equal(history.status, 200);
		assert.equal(history.body.items.length, 6);
	});

	it("when a clients node commits a change and stops before relaying it, then the entry still reaches the trail through another node", async () => {
		const club = await newClub(c.http);
		const doomed: any = c.brokers[2].getLocalService("clients");
		const survivor: any = c.brokers[1].getLocalService("clients");
		survivor.outboxPause(true); // so the doomed node's own commit is the only copy of the entry
		doomed.outboxPause(true);
		const client: any = await c.brokers[2].call("clients.create", { fullName: "Last Words", email: `last.${crypto.randomBytes(4).toString("hex")}@example.com`, phone: "+34611000098", gender: "male", country: "ES", source: "online" }, { meta: { clubId: club.club.id }, nodeID: c.brokers[2].nodeID });
		await new Promise(r => setTimeout(r, 300));
		assert.equal((await c.http.get(ofTarget("client", client.id), { key: club.admin })).body.items.length, 0);
		await c.brokers[2].stop(); // the node is gone; its committed entry is still in clients.outbox
		c.brokers.splice(2, 1);

		survivor.outboxPause(false);
		const [entry] = await exactly(c.http, club.admin, ofTarget("client", client.id), 1, 500);
		assert.equal(entry.action, "clients.create");
		assert.equal(entry.actor.type, "service");

		// A fresh node of the service relays its own commits right away.
		const env = { ...readEnv(), services: ["clients" as const], transporter: process.env.NATS_URL!, namespace: c.brokers[0].namespace, nodeId: `${c.brokers[0].namespace}-late` };
		const late = createNode({ env });
		c.brokers.push(late);
		await late.start();
		await late.call("clients.update", { id: client.id, notes: "after the restart" }, { meta: { clubId: club.club.id }, nodeID: late.nodeID });
		await exactly(c.http, club.admin, ofTarget("client", client.id), 2, 300);
	});
});
