/** Sessions across gateway nodes over the real NATS: ending a member's sessions reaches every gateway before the answer. */
import assert from "node:assert/strict";
import { httpClient, newClub, startCluster, type Http, type Running, type TestClub } from "../../../test/support/app";
import { PASSWORD, activeMember, signIn, signInWithKey, withCookie } from "./support";

describe("Staff sessions on a cluster (two gateways, real NATS)", function () {
	this.timeout(60_000);
	let c: Running;
	let gw: Http[];
	let club: TestClub;

	before(async function () {
		this.timeout(120_000);
		c = await startCluster([{ services: ["api"] }, { services: ["api"] }, { services: ["clubs", "groups", "staff"] }]);
		gw = c.brokers.filter(b => b.getLocalService("api")).map(b => httpClient(`http://127.0.0.1:${(b.getLocalService("api") as any).server.address().port}`));
		club = await newClub(gw[0]);
	});

	after(async () => {
		await c?.stop();
	});

	it("when a member signed in on one gateway is disabled there, then the other gateway refuses the session at once", async () => {
		const m = await activeMember(gw[0], club);
		const { cookie } = await signIn(gw[0], m.email);
		// Both gateways have the session cached.
		for (const g of gw) assert.equal((await g.get("/club", withCookie(cookie))).status, 200);
		assert.equal((await gw[0].patch(`/staff/${m.id}`, { status: "disabled" }, { key: club.admin })).status, 200);
		for (const g of gw) assert.equal((await g.get("/club", withCookie(cookie))).status, 401);
	});

	it("when a member is re-invited or re-roled through one gateway, then every gateway refuses its sessions at once", async () => {
		for (const change of [(id: string) => gw[1].post(`/staff/${id}/invitation`, {}, { key: club.admin }), (id: string) => gw[1].patch(`/staff/${id}`, { role: "viewer" }, { key: club.admin })]) {
			const m = await activeMember(gw[1], club);
			const { cookie } = await signIn(gw[1], m.email);
			for (const g of gw) assert.equal((await g.get("/club", withCookie(cookie))).status, 200);
			assert.ok([200, 201].includes((await change(m.id)).status));
			for (const g of gw) assert.equal((await g.get("/club", withCookie(cookie))).status, 401);
		}
	});

	it("when a key's session is used on both gateways and the key is revoked, then both refuse it at once", async () => {
		const made = (await gw[0].post("/api-keys", { name: "desk", role: "staff" }, { key: club.admin })).body;
		const { cookie } = await signInWithKey(gw[1], made.key);
		for (const g of gw) assert.equal((await g.get("/club", withCookie(cookie))).status, 200);
		assert.equal((await gw[0].del(`/api-keys/${made.id}`, { key: club.admin })).status, 204);
		for (const g of gw) assert.equal((await g.get("/club", withCookie(cookie))).status, 401);
	});

	it("when sign-ins fail through both gateways, then the throttle counts them together", async () => {
		const m = await activeMember(gw[0], club);
		for (let i = 0; i < 5; i++) assert.equal((await gw[i % 2].post("/session", { email: m.email, password: `wrong-guess-${i}` })).status, 401);
		const res = await gw[1].post("/session", { email: m.email, password: PASSWORD });
		assert.equal(res.status, 429);
		assert.ok(Number(res.headers.get("retry-after")) > 0);
	});

	it("when a member signs out on one gateway, then the other refuses the cookie at once", async () => {
		const m = await activeMember(gw[0], club);
		const { cookie } = await signIn(gw[0], m.email);
		for (const g of gw) assert.equal((await g.get("/session", withCookie(cookie))).status, 200);
		assert.equal((await gw[1].del("/session", withCookie(cookie))).status, 204);
		for (const g of gw) assert.equal((await g.get("/session", withCookie(cookie))).status, 401);
	});
});
