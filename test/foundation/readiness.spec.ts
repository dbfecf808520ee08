/**
 * /ready says 200 only once a request sent right after it finds its route: every local service
 * started and every REST route mounted (moleculer-web mounts them debounced).
 */
import assert from "node:assert/strict";
import type { ServiceBroker } from "moleculer";
import { createNode } from "../../lib/node";
import { freePort } from "../../lib/embedded-pg";
import { readEnv } from "../../moleculer.config";

describe("/ready and the REST routes", function () {
	this.timeout(60_000);
	let broker: ServiceBroker | null = null;
	let starting: Promise<void> | null = null;
	after(async () => {
		await starting?.catch(() => undefined);
		await broker?.stop().catch(() => undefined);
	});

	it("when /ready first answers 200 on a starting node, then every GET route of the document already answers (401 without a key, never 404)", async () => {
		const port = await freePort();
		const env = { ...readEnv(), services: ["api", "clubs", "clients", "groups", "wallets", "booking-guard", "import"] as any, transporter: null, namespace: `ready${Date.now()}`, nodeId: `ready-${Date.now()}` };
		broker = createNode({ env, overrides: { api: { settings: { port, ip: "127.0.0.1" } } } });
		starting = broker.start();
		const base = `http://127.0.0.1:${port}`;
		let ready = false;
		const seen: number[] = [];
		for (let i = 0; i < 3000 && !ready; i++) {
			const res = await fetch(`${base}/ready`).catch(() => null);
			if (res) seen.push(res.status);
			ready = res?.status === 200;
			if (!ready) await new Promise(r => setTimeout(r, 5));
		}
		assert.ok(ready, `never ready: ${[...new Set(seen)]}`);
		// Right away, before anything else: the routes the node serves.
		const probes = ["/api/v1/club", "/api/v1/api-keys", "/api/v1/clients", "/api/v1/groups", "/api/v1/categories", "/api/v1/imports", "/api/v1/clients/00000000-0000-4000-8000-000000000000/bookings", "/api/v1/settings/default-group"].map(p => fetch(base + p).then(r => [p, r.status] as const));
		const statuses = await Promise.all(probes);
		assert.deepEqual(statuses.filter(([, s]) => s !== 401), [], "every route is mounted when /ready says 200");
		await starting;
		const doc: any = await (await fetch(`${base}/api/openapi.json`)).json();
		const gets = Object.entries<any>(doc.paths).filter(([p, ops]) => p.startsWith("/api/v1/") && ops.get && (ops.get.security ?? [{}]).length);
		assert.ok(gets.length > 10);
		for (const [p] of gets) {
			const res = await fetch(base + p.replace(/\{[^}]+\}/g, "00000000-0000-4000-8000-000000000000"));
			assert.equal(res.status, 401, p);
		}
	});

	it("when a request reaches a starting gateway before its routes are mounted, then it is a 503 with Retry-After, never a 404; once mounted an unknown path is a 404", async () => {
		const port = await freePort();
		// A gateway alone on the bus: the services behind its routes are not there (yet).
		const env = { ...readEnv(), services: ["api"] as any, transporter: process.env.NATS_URL!, namespace: `warm${Date.now()}`, nodeId: `warm-${Date.now()}` };
		const gw = createNode({ env, overrides: { api: { settings: { port, ip: "127.0.0.1" } } } });
		try {
			await gw.start();
			const early = await fetch(`http://127.0.0.1:${port}/api/v1/clients`);
			assert.equal(early.status, 503, "no route is mounted yet: try again later");
			assert.equal(early.headers.get("retry-after"), "1");
			assert.equal(((await early.json()) as any).type, "SERVICE_UNAVAILABLE");
			// The services arrive on another node: the routes are mounted and answer.
			const backendEnv = { ...env, services: ["clubs", "groups", "clients", "wallets", "booking-guard"] as any, nodeId: `warm-b-${Date.now()}` };
			const backend = createNode({ env: backendEnv });
			try {
				await backend.start();
				let status = 0;
				for (let i = 0; i < 200 && status !== 401; i++) {
					status = (await fetch(`http://127.0.0.1:${port}/api/v1/clients`)).status;
					assert.ok(status === 401 || status === 503, `while mounting: ${status}`);
					if (status !== 401) await new Promise(r => setTimeout(r, 25));
				}
				assert.equal(status, 401);
				assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/no-such-route`)).status, 404);
			} finally {
				await backend.stop();
			}
		} finally {
			await gw.stop();
		}
	});
});
