/**
 * Webhooks on several nodes over NATS: the nodes share the delivery queue without sending a
 * delivery twice at the same time, a domain event travels outbox → JetStream → deliveries,
 * and a webhooks node SIGKILLed mid-send (real processes) leaves its deliveries to another
 * node once their lease runs out (at least once).
 */
import assert from "node:assert/strict";
import { Webhook } from "standardwebhooks";
import { app, newClub, pauseOtherRelays, startCluster, type Running } from "../../../test/support/app";
import { startProcess, type Proc } from "../../../test/support/processes";
import { startReceiver, until, withEnv, type Receiver } from "./receiver";

/** Every test app shares one database: keep every app already running (the embedded one, the acceptance cluster) off these rows. */
async function quietEmbedded(): Promise<() => void> {
	await app();
	return pauseOtherRelays([]);
}

describe("Webhooks across nodes", function () {
	this.timeout(90_000);
	let rx: Receiver;
	let restoreEnv: () => void;
	let restoreEmbedded: () => void;

	before(async () => {
		restoreEnv = withEnv({ WEBHOOK_ALLOW_HTTP: "true", WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_RETRY_SCHEDULE_S: "0.2" });
		restoreEmbedded = await quietEmbedded();
		rx = await startReceiver(() => ({ status: 200 }));
	});
	after(async () => {
		await rx?.close();
		restoreEmbedded?.();
		restoreEnv?.();
	});

	describe("two webhooks nodes (in-process brokers over NATS)", () => {
		let c: Running;
		before(async () => {
			// Both nodes look for due work often: neither depends on the other's kick.
			const restore = withEnv({ WEBHOOK_POLL_MS: "100" });
			try {
				c = await startCluster([{ services: ["api", "clubs", "groups", "clients"] }, { services: ["webhooks"] }, { services: ["webhooks"] }]);
			} finally {
				restore();
			}
		});
		after(async () => {
			await c?.stop();
		});

		it("when many deliveries are due, then both nodes send them and none is sent twice nor at the same time", async () => {
			// Few at once and slow answers: the queue outlasts a poll interval, so the other node joins in.
			const restore = withEnv({ WEBHOOK_CONCURRENCY: "4" });
			after(restore);
			rx.respond = () => ({ status: 200, delayMs: 100 });
			const club = await newClub(c.http);
			const ep = (await c.http.post("/webhooks", { url: rx.url("/shared"), events: ["*"], status: "paused" }, { key: club.admin })).body;
			const N = 60;
			const ids = new Set<string>();
			for (let i = 0; i < N; i++) ids.add((await c.http.post(`/webhooks/${ep.id}/test`, {}, { key: club.admin })).body.id);
			assert.equal(ids.size, N);
			assert.equal((await c.http.patch(`/webhooks/${ep.id}`, { status: "active" }, { key: club.admin })).status, 200);
			await until(() => rx.received.filter(r => r.path === "/shared"), l => l.length >= N, "every delivery", 20_000);
			await new Promise(r => setTimeout(r, 300));
			const got = rx.received.filter(r => r.path === "/shared");
			assert.equal(got.length, N, "each delivery sent once");
			assert.deepEqual(new Set(got.map(r => r.headers["webhook-id"])), ids);
			assert.deepEqual(rx.overlaps, []);
			const perNode = c.brokers.slice(1).map(b => (b.getLocalService("webhooks") as any).worker.attempts);
			assert.ok(perNode.every(n => n > 0), `both nodes sent some: ${perNode}`);
		});

		it("when a change commits on another node, then its event reaches the endpoint through JetStream", async () => {
			rx.respond = () => ({ status: 200 });
			const club = await newClub(c.http);
			const ep = (await c.http.post("/webhooks", { url: rx.url("/jetstream"), events: ["clients.updated"] }, { key: club.admin })).body;
			const clients: any = c.brokers[0].getLocalService("clients");
			const id = "3b0f3c1e-7a55-4f0e-9a44-1d2b3c4d5e6f";
			const ctx = { meta: { clubId: club.club.id }, requestID: null, nodeID: c.brokers[0].nodeID, caller: null };
			await clients.db.transaction((trx: any) => clients.recordChange(trx, ctx, { action: "clients.update", target: { type: "client", id }, event: { type: "clients.updated", data: { id, notes: "over JetStream" } } }));
			const [req] = await until(() => rx.received.filter(r => r.path === "/jetstream"), l => l.length === 1, "the event over JetStream", 15_000);
			const payload: any = new Webhook(ep.secret).verify(req.body, req.headers);
			assert.deepEqual(payload, { type: "clients.updated", timestamp: payload.timestamp, data: { id, notes: "over JetStream" } });
		});
	});

	describe("a webhooks node SIGKILLed mid-send (real processes)", () => {
		const procs: Proc[] = [];
		let c: Running;
		after(async () => {
			await Promise.all(procs.map(p => p.kill("SIGKILL")));
			await c?.stop();
		});

		it("when the node dies while its receiver holds the requests, then another node delivers them after the lease", async () => {
			const namespace = `wk${Date.now().toString(36)}`;
			const restore = withEnv({ HEARTBEAT_INTERVAL_S: "1", HEARTBEAT_TIMEOUT_S: "3" });
			after(restore);
			c = await startCluster([{ services: ["api", "clubs", "groups", "clients"] }], { transporter: true, namespace });
			const node = (id: string) =>
				startProcess({
					TRANSPORTER: process.env.NATS_URL,
					NAMESPACE: namespace,
					SERVICES: "webhooks",
					NODE_ID: id,
					LOG_LEVEL: "error",
					HEARTBEAT_INTERVAL_S: "1",
					HEARTBEAT_TIMEOUT_S: "3",
					WEBHOOK_TIMEOUT_MS: "1000",
					WEBHOOK_LEASE_MS: "2000",
					WEBHOOK_POLL_MS: "200",
				});
			const api: any = c.brokers[0].getLocalService("api");
			const w1 = node("w1");
			procs.push(w1);
			await c.brokers[0].waitForServices(["webhooks"], 60_000);
			api.refreshAliases();

			rx.respond = () => "hold";
			const club = await newClub(c.http);
			const ep = (await c.http.post("/webhooks", { url: rx.url("/killed"), events: ["*"] }, { key: club.admin })).body;
			const N = 5;
			const ids = new Set<string>();
			for (let i = 0; i < N; i++) ids.add((await c.http.post(`/webhooks/${ep.id}/test`, {}, { key: club.admin })).body.id);
			await until(() => rx.received.filter(r => r.path === "/killed"), l => l.length === N, "every delivery being sent", 15_000);
			await w1.kill("SIGKILL");
			rx.respond = () => ({ status: 200 });
			// What w1 was sending: the requests its death cut off (another test's node may have taken some and gets its answer now).
			await until(() => rx.received.filter(r => r.path === "/killed" && r.aborted), l => l.length > 0, "w1's requests cut off", 10_000);
			await new Promise(r => setTimeout(r, 300)); // every socket of the dead node has closed
			const cut = rx.received.filter(r => r.path === "/killed" && r.aborted);
			rx.release();
			const cutIds = new Set(cut.map(r => r.headers["webhook-id"]));

			const w2 = node("w2");
			procs.push(w2);
			const nodes = () => c.brokers[0].registry.nodes.toArray().filter((n: any) => n.available).map((n: any) => n.id);
			await until(nodes, ids => ids.includes("w2") && !ids.includes("w1"), "the gateway to see w2 and no more w1", 30_000);
			const list = async () => {
				api.refreshAliases(); // the gateway learns w2's routes
				return (await c.http.get(`/webhooks/${ep.id}/deliveries`, { key: club.admin })).body.items ?? [];
			};
			const items = await until(list, l => l.length === N && l.every((d: any) => d.status === "delivered"), "all delivered", 60_000);
			assert.deepEqual(new Set(items.map((d: any) => d.id)), ids);
			const resent = rx.received.filter(r => r.path === "/killed" && !r.aborted && cutIds.has(r.headers["webhook-id"]));
			assert.deepEqual(new Set(resent.map(r => r.headers["webhook-id"])), cutIds, "each cut-off delivery sent again, under the same webhook-id");
			for (const r of resent) new Webhook(ep.secret).verify(r.body, r.headers);
		});
	});
});
