/**
 * The same requests across nodes over the real nats-server: the gateway on one broker,
 * clubs+groups on a second, the rest on a third; and two gateways sharing the key cache
 * rules (a revoked key is refused on every gateway at once).
 */
import assert from "node:assert/strict";
import { httpClient, newClub, startCluster, type Running } from "../support/app";

describe("Cross-node over real NATS", function () {
	this.timeout(60_000);
	let c: Running;

	before(async () => {
		c = await startCluster([
			{ services: ["api"] },
			{ services: ["api"] },
			{ services: ["clubs", "groups"] },
			{ services: ["clients", "wallets", "booking-guard", "import"] },
		]);
	});
	after(() => c.stop());

	it("when a club is created through one gateway, then its groups and keys work through the other", async () => {
		const club = await newClub(c.http);
		const api2: any = c.brokers[1].getLocalService("api");
		const other = httpClient(`http://127.0.0.1:${api2.server.address().port}`);
		const groups = await other.get("/groups", { key: club.viewer });
		assert.equal(groups.status, 200);
		assert.deepEqual(groups.body.items.map((g: any) => g.name).sort(), ["Default", "External"]);
		assert.equal((await other.post("/api-keys", { name: "x", role: "staff" }, { key: club.viewer })).status, 403);
	});

	it("when a key is revoked on one gateway, then the other refuses it within a second", async () => {
		const club = await newClub(c.http);
		const api2: any = c.brokers[1].getLocalService("api");
		const other = httpClient(`http://127.0.0.1:${api2.server.address().port}`);
		const made = await c.http.post("/api-keys", { name: "temp", role: "staff" }, { key: club.admin });
		assert.equal((await other.get("/club", { key: made.body.key })).status, 200); // now cached on gateway 2
		assert.equal((await c.http.del(`/api-keys/${made.body.id}`, { key: club.admin })).status, 204);
		const until = Date.now() + 1000;
		let status = 0;
		while (Date.now() < until) {
			status = (await other.get("/club", { key: made.body.key })).status;
			if (status === 401) break;
			await new Promise(r => setTimeout(r, 20));
		}
		assert.equal(status, 401);
	});

	it("when a key goes over its per-minute budget on two gateways together, then 429 with Retry-After", async () => {
		const limited = await startCluster([{ services: ["api"] }, { services: ["api"] }, { services: ["clubs", "groups", "clients"] }], { apiSettings: { rateLimitPerMinute: 6 } });
		try {
			const club = await newClub(limited.http);
			// Budgets are per calendar minute: do not straddle a minute boundary.
			const s = new Date().getUTCSeconds() + new Date().getUTCMilliseconds() / 1000;
			if (s > 54) await new Promise(r => setTimeout(r, (60.2 - s) * 1000));
			const api2: any = limited.brokers[1].getLocalService("api");
			const other = httpClient(`http://127.0.0.1:${api2.server.address().port}`);
			const statuses: number[] = [];
			for (let i = 0; i < 5; i++) statuses.push((await limited.http.get("/club", { key: club.viewer })).status);
			for (let i = 0; i < 3; i++) statuses.push((await other.get("/club", { key: club.viewer })).status);
			// The viewer key has its own budget of 6 per minute, counted across both gateways.
			assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 429, 429]);
			const last = await other.get("/club", { key: club.viewer });
			assert.equal(last.status, 429);
			assert.equal(last.body.type, "RATE_LIMITED");
			assert.ok(Number(last.headers.get("retry-after")) >= 1);
			assert.equal((await other.get("/club", { key: club.staff })).status, 200);
		} finally {
			await limited.stop();
		}
	});

	it("when the transporter is up, then /ready says so", async () => {
		const ready = await c.http.get("/ready");
		assert.equal(ready.status, 200);
		assert.equal(ready.body.checks.transporter, "ok");
	});

	it("when an action runs on another node, then errors keep their HTTP status and type", async () => {
		const club = await newClub(c.http);
		const res = await c.http.get("/groups/00000000-0000-4000-8000-000000000000", { key: club.admin });
		assert.equal(res.status, 404);
		assert.equal(res.body.type, "NOT_FOUND");
		const bad = await c.http.post("/api-keys", { name: "x", role: "owner" }, { key: club.admin });
		assert.equal(bad.status, 422);
		assert.equal(bad.body.data[0].field, "role");
	});
});
