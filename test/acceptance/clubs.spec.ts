/** API.md "Clubs and keys". */
import assert from "node:assert/strict";
import { platformKey } from "../support/app";
import { assertError, assertInvalid, forEachTopology, groupsOf, newClub, uid } from "./support";

const ALL_METHODS = ["card", "wallet", "sepa_debit", "paypal", "apple_pay", "google_pay", "ideal", "bancontact", "twint"];

forEachTopology("Acceptance: clubs and keys", env => {
	it("when the platform key creates a club, then 201 { club, apiKey: { id, name, role: admin, key } } and the key works", async () => {
		const { http } = env();
		const body = { name: `Padel ${uid()}`, country: "FR", currency: "EUR", timezone: "Europe/Paris" };
		const res = await http.post("/clubs", body, { key: platformKey() });
		assert.equal(res.status, 201, res.text);
		assert.deepEqual(Object.keys(res.body).sort(), ["apiKey", "club"]);
		assert.equal(res.body.club.name, body.name);
		assert.equal(res.body.club.country, "FR");
		assert.equal(res.body.club.currency, "EUR");
		assert.equal(res.body.club.timezone, "Europe/Paris");
		assert.equal(typeof res.body.club.id, "string");
		const k = res.body.apiKey;
		assert.equal(k.role, "admin");
		assert.equal(typeof k.id, "string");
		assert.equal(typeof k.name, "string");
		assert.equal(typeof k.key, "string");
		const me = await http.get("/club", { key: k.key });
		assert.equal(me.status, 200);
		assert.equal(me.body.id, res.body.club.id);
		assert.equal(me.body.name, body.name);
	});

	it("when a club is created with missing or invalid fields, then 422", async () => {
		const { http } = env();
		assertInvalid(await http.post("/clubs", { name: "X" }, { key: platformKey() }));
		assertInvalid(await http.post("/clubs", { name: "X", country: "ES", currency: "EUR", timezone: "Europe/Madrid", extra: 1 }, { key: platformKey() }));
	});

	it("when a club is new, then it has exactly Default (default) and External (system), both without limit, VAT or payment restrictions", async () => {
		const { http } = env();
		const club = await newClub(http);
		const { items, byName } = await groupsOf(http, club);
		assert.deepEqual(items.map(g => g.name).sort(), ["Default", "External"]);
		assert.equal(byName.Default.isDefault, true);
		assert.equal(byName.Default.system, false);
		assert.equal(byName.External.system, true);
		assert.equal(byName.External.isDefault, false);
		for (const g of items) {
			assert.equal(g.maxFutureBookings, null);
			assert.equal(g.vatRate, null);
			assert.deepEqual([...g.paymentMethods].sort(), [...ALL_METHODS].sort());
			assert.equal(g.clientCount, 0);
			assert.deepEqual(Object.keys(g).sort(), ["clientCount", "createdAt", "id", "isDefault", "maxFutureBookings", "name", "paymentMethods", "system", "updatedAt", "vatRate"]);
		}
	});

	it("when an admin creates a key, then 201 { id, name, role, key, createdAt } once; the list never shows secrets", async () => {
		const { http } = env();
		const club = await newClub(http);
		const res = await http.post("/api-keys", { name: "front desk", role: "staff" }, { key: club.admin });
		assert.equal(res.status, 201, res.text);
		assert.deepEqual(Object.keys(res.body).sort(), ["createdAt", "id", "key", "name", "role"]);
		assert.equal(res.body.role, "staff");
		assert.equal(res.body.name, "front desk");
		assert.ok(!Number.isNaN(Date.parse(res.body.createdAt)));
		const list = await http.get("/api-keys", { key: club.admin });
		assert.equal(list.status, 200);
		const items = Array.isArray(list.body) ? list.body : list.body.items;
		const mine = items.find((k: any) => k.id === res.body.id);
		assert.ok(mine);
		assert.equal(mine.role, "staff");
		assert.ok(!list.text.includes(res.body.key), "secret never listed");
		assert.ok(!list.text.includes(club.admin), "no secret listed");
		for (const k of items) assert.equal(k.key, undefined);
	});

	it("when a key has an unknown role, then 422", async () => {
		const { http } = env();
		const club = await newClub(http);
		assertInvalid(await http.post("/api-keys", { name: "x", role: "owner" }, { key: club.admin }), "role");
	});

	it("when a key is deleted, then 204 and it answers 401 at once", async () => {
		const { http } = env();
		const club = await newClub(http);
		const made = await http.post("/api-keys", { name: "temp", role: "viewer" }, { key: club.admin });
		assert.equal((await http.get("/club", { key: made.body.key })).status, 200);
		assert.equal((await http.del(`/api-keys/${made.body.id}`, { key: club.admin })).status, 204);
		assert.equal((await http.get("/club", { key: made.body.key })).status, 401);
		assert.equal((await http.get("/clients", { key: made.body.key })).status, 401);
	});

	it("when a key is deleted through one gateway, then every gateway answers 401 at once, even one that just used it", async () => {
		const { http, gateways } = env();
		const club = await newClub(http);
		const made = await http.post("/api-keys", { name: "temp", role: "viewer" }, { key: club.admin });
		for (const gw of gateways) assert.equal((await gw.get("/club", { key: made.body.key })).status, 200);
		assert.equal((await gateways[gateways.length - 1].del(`/api-keys/${made.body.id}`, { key: club.admin })).status, 204);
		for (const gw of gateways) assert.equal((await gw.get("/club", { key: made.body.key })).status, 401);
	});

	it("when another club's key id is deleted, then 404", async () => {
		const { http } = env();
		const [a, b] = await Promise.all([newClub(http), newClub(http)]);
		assertError(await http.del(`/api-keys/${b.adminKeyId}`, { key: a.admin }), 404, "NOT_FOUND");
		assert.equal((await http.get("/club", { key: b.admin })).status, 200);
	});

	it("when a viewer or staff lists keys, then 403", async () => {
		const { http } = env();
		const club = await newClub(http);
		assertError(await http.get("/api-keys", { key: club.staff }), 403, "FORBIDDEN");
	});
});
