/**
 * A service with no live node answers 503 SERVICE_UNAVAILABLE on its routes, never a 404 that
 * reads as "no such record" or names the internal action; and its routes come back with it.
 */
import assert from "node:assert/strict";
import type { ServiceBroker } from "moleculer";
import { createNode } from "../../lib/node";
import { readEnv } from "../../moleculer.config";
import { newClub, startCluster, type Running } from "../support/app";

describe("A service with no live node", function () {
	this.timeout(60_000);
	let c: Running;
	let importNode: ServiceBroker | null = null;

	before(async () => {
		c = await startCluster([{ services: ["api", "clubs", "groups"] }, { services: ["clients", "import"] }]);
		importNode = c.brokers[1];
	});
	after(async () => {
		await importNode?.stop().catch(() => undefined);
		await c.stop();
	});

	it("when the last node of a service leaves, then its routes answer 503 SERVICE_UNAVAILABLE (not 404), also after the gateway rebuilt its routes; when it is back, 200", async () => {
		const club = await newClub(c.http);
		assert.equal((await c.http.get("/imports", { key: club.viewer })).status, 200);
		const gateway = c.brokers[0];
		await importNode!.stop();
		c.brokers.splice(c.brokers.indexOf(importNode!), 1);
		importNode = null;
		for (let i = 0; i < 500 && gateway.registry.getServiceList({}).some((s: any) => s.name === "import"); i++) await new Promise(r => setTimeout(r, 20));
		const expectUnavailable = async (when: string) => {
			for (const path of ["/imports", "/imports/00000000-0000-4000-8000-000000000000", "/clients"]) {
				const res = await c.http.get(path, { key: club.viewer });
				assert.equal(res.status, 503, `${when}: GET ${path} -> ${res.status} ${res.text}`);
				assert.equal(res.body.type, "SERVICE_UNAVAILABLE", when);
				assert.doesNotMatch(res.text, /import\.|clients\./, `${when}: no internal action name`);
			}
		};
		await expectUnavailable("right after the node left");
		await new Promise(r => setTimeout(r, 1200)); // past moleculer-web's debounced alias rebuild
		await expectUnavailable("after the routes were rebuilt");
		assert.equal((await c.http.get("/club", { key: club.viewer })).status, 200, "the other services still answer");

		const env = { ...readEnv(), services: ["clients", "import"] as any, transporter: process.env.NATS_URL!, namespace: gateway.namespace, nodeId: `${gateway.namespace}-back` };
		importNode = createNode({ env });
		await importNode.start();
		await gateway.waitForServices(["import", "clients"], 15_000);
		let back = await c.http.get("/imports", { key: club.viewer });
		for (let i = 0; i < 50 && back.status !== 200; i++) {
			await new Promise(r => setTimeout(r, 100));
			back = await c.http.get("/imports", { key: club.viewer });
		}
		assert.equal(back.status, 200, back.text);
	});
});
