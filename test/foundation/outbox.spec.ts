/**
 * The transactional outbox (mixins/outbox.mixin.ts): an entry written in a change's transaction
 * reaches the consumers of `outbox.entries` once the change commits, never when it rolls back,
 * also when the consumer fails for a while, and also when the node that committed it stops before
 * relaying (another node running the service publishes it), embedded and over NATS JetStream.
 */
import assert from "node:assert/strict";
import type { ServiceBroker } from "moleculer";
import { app, newClub, pauseOtherRelays, startCluster, type Running } from "../support/app";
import { OUTBOX_CHANNEL, outboxConsumer, type OutboxMessage } from "../../mixins/outbox.mixin";
import { createNode } from "../../lib/node";
import { readEnv } from "../../moleculer.config";

interface Probe {
	seen: OutboxMessage[];
	failNext: number;
}

/** A consumer of outbox.entries in its own group that records what it gets (and can fail on demand). */
function addProbe(broker: ServiceBroker, name: string): Probe {
	const probe: Probe = { seen: [], failNext: 0 };
	broker.createService({
		name,
		channels: {
			[OUTBOX_CHANNEL]: outboxConsumer(name, async (msg: OutboxMessage) => {
				if (probe.failNext > 0) {
					probe.failNext--;
					throw Object.assign(new Error("probe is down"), { name: "ProbeDown" });
				}
				if (!probe.seen.some(m => m.id === msg.id)) probe.seen.push(msg);
			}),
		},
	} as any);
	return probe;
}

async function until<T>(what: string, fn: () => T | undefined | false, ms = 8000): Promise<T> {
	const end = Date.now() + ms;
	for (;;) {
		const v = fn();
		if (v) return v;
		if (Date.now() > end) throw Object.assign(new Error(`timed out waiting for ${what}`), { name: "Timeout" });
		await new Promise(r => setTimeout(r, 20));
	}
}

/** Records one change through the clients service's recordChange, as an action would. */
async function record(svc: any, clubId: string, targetId: string, rollback = false): Promise<void> {
	const ctx = { meta: { clubId, keyId: "k1" }, requestID: `req-${targetId}`, nodeID: svc.broker.nodeID, caller: null };
	await svc.db
		.transaction(async (trx: any) => {
			await svc.recordChange(trx, ctx, { action: "clients.update", target: { type: "client", id: targetId }, changes: { notes: ["a", "b"] }, event: { type: "clients.updated", data: { id: targetId } } });
			if (rollback) throw Object.assign(new Error("rolled back"), { name: "Rollback" });
		})
		.catch((err: any) => {
			if (err?.name !== "Rollback") throw err;
		});
}

describe("Outbox, embedded (in-process relay)", () => {
	let probe: Probe;
	let clients: any;
	let clubId: string;

	let resume: () => void;
	before(async () => {
		const a = await app();
		resume = await pauseOtherRelays(a.brokers);
		probe = addProbe(a.brokers[0], "outbox-probe");
		await a.brokers[0].waitForServices(["outbox-probe"]);
		clients = a.brokers[0].getLocalService("clients");
		clubId = (await newClub(a.http)).club.id;
	});
	after(() => resume());

	it("when a change commits, then its consumer gets exactly one message with the whole entry, and the row is marked published", async () => {
		const id = "11111111-1111-4111-8111-111111111111";
		await record(clients, clubId, id);
		const msg = await until("the message", () => probe.seen.find(m => m.target.id === id && m.clubId === clubId));
		assert.deepEqual(Object.keys(msg).sort(), ["action", "actor", "at", "changes", "clubId", "event", "id", "requestId", "service", "target"]);
		assert.equal(msg.service, "clients");
		assert.equal(msg.action, "clients.update");
		assert.deepEqual(msg.actor, { type: "key", id: "k1", name: null });
		assert.equal(msg.requestId, `req-${id}`);
		assert.deepEqual(msg.changes, { notes: ["a", "b"] });
		assert.deepEqual(msg.event, { type: "clients.updated", data: { id } });
		assert.ok(!Number.isNaN(Date.parse(msg.at)));
		await new Promise(r => setTimeout(r, 100));
		const row = await clients.db("outbox").where({ club_id: clubId, id: msg.id }).first();
		assert.ok(row.published_at);
		assert.equal(probe.seen.filter(m => m.target.id === id).length, 1);
	});

	it("when the change rolls back, then nothing is published", async () => {
		const id = "22222222-2222-4222-8222-222222222222";
		await record(clients, clubId, id, true);
		await record(clients, clubId, "33333333-3333-4333-8333-333333333333");
		await until("the later message", () => probe.seen.find(m => m.target.id === "33333333-3333-4333-8333-333333333333"));
		assert.equal(probe.seen.filter(m => m.target.id === id).length, 0);
	});

	it("when the consumer fails, then the row stays unpublished and the message is retried until it is handled", async () => {
		const id = "44444444-4444-4444-8444-444444444444";
		probe.failNext = 2;
		await record(clients, clubId, id);
		await until("the retried message", () => probe.seen.find(m => m.target.id === id), 10_000);
		assert.equal(probe.failNext, 0);
	});
});

describe("Outbox over NATS JetStream", function () {
	this.timeout(60_000);
	let c: Running;
	let probe: Probe;

	let embedded: any;
	let resumeOthers: () => void;

	before(async () => {
		// Every test app shares one database: keep the embedded app's relay off these rows.
		embedded = (await app()).brokers[0].getLocalService("clients");
		embedded.outboxPause(true);
		c = await startCluster([{ services: ["api", "clubs", "groups"] }, { services: ["clients"] }]);
		resumeOthers = await pauseOtherRelays(c.brokers);
		probe = addProbe(c.brokers[0], "outbox-probe");
		await c.brokers[0].waitForServices(["outbox-probe"]);
	});
	after(async () => {
		await c.stop();
		resumeOthers();
		embedded.outboxPause(false);
	});

	it("when a node commits a change and stops before relaying it, then another node running the service publishes it", async () => {
		const clubId = (await newClub(c.http)).club.id;
		const first: any = c.brokers[1].getLocalService("clients");
		first.outboxPause(true);
		const id = "55555555-5555-4555-8555-555555555555";
		await record(first, clubId, id);
		await new Promise(r => setTimeout(r, 300));
		assert.equal(probe.seen.filter(m => m.target.id === id).length, 0);
		await c.brokers[1].stop();
		c.brokers.splice(1, 1);

		const env = { ...readEnv(), services: ["clients" as const], transporter: process.env.NATS_URL!, namespace: c.brokers[0].namespace, nodeId: `${c.brokers[0].namespace}-late` };
		const second = createNode({ env });
		c.brokers.push(second);
		await second.start();
		const msg = await until("the message from the other node", () => probe.seen.find(m => m.target.id === id), 15_000);
		assert.equal(msg.clubId, clubId);
		await record(second.getLocalService("clients"), clubId, "66666666-6666-4666-8666-666666666666");
		await until("a message relayed right after commit", () => probe.seen.find(m => m.target.id === "66666666-6666-4666-8666-666666666666"), 3000);
		assert.equal(probe.seen.filter(m => m.target.id === id).length, 1);
	});
});
