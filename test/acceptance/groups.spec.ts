/** API.md "Groups, categories, product access" and PRODUCT.md §2 and §4. */
import assert from "node:assert/strict";
import { assertError, assertInvalid, createClient, forEachTopology, groupsOf, newClub, uid, type TestClub } from "./support";

const ALL_METHODS = ["card", "wallet", "sepa_debit", "paypal", "apple_pay", "google_pay", "ideal", "bancontact", "twint"];

forEachTopology("Acceptance: groups", env => {
	let club: TestClub;
	let base: Record<string, any>;
	before(async () => {
		club = await newClub(env().http);
		base = (await groupsOf(env().http, club)).byName;
	});

	it("when a group is created without policies, then 201 with no limit, every payment method, no VAT, not system, not default, 0 clients", async () => {
		const { http } = env();
		const res = await http.post("/groups", { name: `Adults ${uid()}` }, { key: club.admin });
		assert.equal(res.status, 201, res.text);
		assert.deepEqual(Object.keys(res.body).sort(), ["clientCount", "createdAt", "id", "isDefault", "maxFutureBookings", "name", "paymentMethods", "system", "updatedAt", "vatRate"]);
		assert.equal(res.body.maxFutureBookings, null);
		assert.equal(res.body.vatRate, null);
		assert.deepEqual([...res.body.paymentMethods].sort(), [...ALL_METHODS].sort());
		assert.equal(res.body.system, false);
		assert.equal(res.body.isDefault, false);
		assert.equal(res.body.clientCount, 0);
		const got = await http.get(`/groups/${res.body.id}`, { key: club.viewer });
		assert.equal(got.status, 200);
		assert.deepEqual(got.body, res.body);
	});

	it("when a group is created with policies, then they are stored; invalid policies are a 422", async () => {
		const { http } = env();
		const res = await http.post("/groups", { name: `Pol ${uid()}`, maxFutureBookings: 0, paymentMethods: ["card", "twint"], vatRate: 2100 }, { key: club.admin });
		assert.equal(res.status, 201, res.text);
		assert.equal(res.body.maxFutureBookings, 0);
		assert.deepEqual([...res.body.paymentMethods].sort(), ["card", "twint"]);
		assert.equal(res.body.vatRate, 2100);
		assertInvalid(await http.post("/groups", { name: `X ${uid()}`, maxFutureBookings: -1 }, { key: club.admin }), "maxFutureBookings");
		assertInvalid(await http.post("/groups", { name: `X ${uid()}`, maxFutureBookings: 1.5 }, { key: club.admin }), "maxFutureBookings");
		assertInvalid(await http.post("/groups", { name: `X ${uid()}`, paymentMethods: ["cash"] }, { key: club.admin }), "paymentMethods");
		assertInvalid(await http.post("/groups", { name: `X ${uid()}`, vatRate: -5 }, { key: club.admin }), "vatRate");
		assertInvalid(await http.post("/groups", { name: `X ${uid()}`, system: true }, { key: club.admin }), "system");
		assertInvalid(await http.post("/groups", {}, { key: club.admin }), "name");
	});

	it("when a name is taken in any case (Default, a custom group), then 409 NAME_TAKEN; another club may use it", async () => {
		const { http } = env();
		assertError(await http.post("/groups", { name: "default" }, { key: club.admin }), 409, "NAME_TAKEN");
		assertError(await http.post("/groups", { name: "EXTERNAL" }, { key: club.admin }), 409, "NAME_TAKEN");
		const n = `Juniors ${uid()}`;
		const g = await http.post("/groups", { name: n }, { key: club.admin });
		assert.equal(g.status, 201);
		assertError(await http.post("/groups", { name: n.toUpperCase() }, { key: club.admin }), 409, "NAME_TAKEN");
		const other = await http.post("/groups", { name: `Other ${uid()}` }, { key: club.admin });
		assertError(await http.patch(`/groups/${other.body.id}`, { name: n.toLowerCase() }, { key: club.admin }), 409, "NAME_TAKEN");
		const otherClub = await newClub(http);
		assert.equal((await http.post("/groups", { name: n }, { key: otherClub.admin })).status, 201);
	});

	it("when a group is patched, then name and policies change and null clears a limit", async () => {
		const { http } = env();
		const g = (await http.post("/groups", { name: `P ${uid()}`, maxFutureBookings: 3 }, { key: club.admin })).body;
		const n = `Renamed ${uid()}`;
		const res = await http.patch(`/groups/${g.id}`, { name: n, maxFutureBookings: null, vatRate: 1000, paymentMethods: ["wallet"] }, { key: club.admin });
		assert.equal(res.status, 200, res.text);
		assert.equal(res.body.name, n);
		assert.equal(res.body.maxFutureBookings, null);
		assert.equal(res.body.vatRate, 1000);
		assert.deepEqual(res.body.paymentMethods, ["wallet"]);
	});

	it("when External is deleted or renamed, then 409 SYSTEM_GROUP; its policies are editable", async () => {
		const { http } = env();
		assertError(await http.del(`/groups/${base.External.id}`, { key: club.admin }), 409, "SYSTEM_GROUP");
		assertError(await http.patch(`/groups/${base.External.id}`, { name: "Outsiders" }, { key: club.admin }), 409, "SYSTEM_GROUP");
		const res = await http.patch(`/groups/${base.External.id}`, { maxFutureBookings: 2, vatRate: 2100 }, { key: club.admin });
		assert.equal(res.status, 200, res.text);
		assert.equal(res.body.maxFutureBookings, 2);
		assert.equal(res.body.name, "External");
		assert.equal(res.body.system, true);
	});

	it("when the default group is deleted, then 409 DEFAULT_GROUP", async () => {
		const { http } = env();
		assertError(await http.del(`/groups/${base.Default.id}`, { key: club.admin }), 409, "DEFAULT_GROUP");
	});

	it("when a group with clients is deleted without a target, then 409 GROUP_NOT_EMPTY; with moveClientsTo the clients move and it is gone", async () => {
		const { http, waitForEvent } = env();
		const local = await newClub(http);
		const { byName } = await groupsOf(http, local);
		const g = (await http.post("/groups", { name: "Leaving" }, { key: local.admin })).body;
		const target = (await http.post("/groups", { name: "Target" }, { key: local.admin })).body;
		const cs = await Promise.all([0, 1].map(() => createClient(http, local, { groupId: g.id })));
		const listed = (await groupsOf(http, local)).byName;
		assert.equal(listed.Leaving.clientCount, 2);
		assertError(await http.del(`/groups/${g.id}`, { key: local.admin }), 409, "GROUP_NOT_EMPTY");
		assertError(await http.del(`/groups/${g.id}?moveClientsTo=${g.id}`, { key: local.admin }), 422);
		const res = await http.del(`/groups/${g.id}?moveClientsTo=${target.id}`, { key: local.admin });
		assert.equal(res.status, 204, res.text);
		assertError(await http.get(`/groups/${g.id}`, { key: local.viewer }), 404, "NOT_FOUND");
		for (const c of cs) assert.equal((await http.get(`/clients/${c.id}`, { key: local.viewer })).body.groupId, target.id);
		const after = (await groupsOf(http, local)).byName;
		assert.equal(after.Target.clientCount, 2);
		assert.equal(after.Default.clientCount, byName.Default.clientCount);
		const ev = await waitForEvent(e => e.name === "groups.deleted" && JSON.stringify(e.payload).includes(g.id));
		assert.equal(ev.payload.clubId, local.club.id);
	});

	it("when moveClientsTo is unknown or another club's, then 4xx and nothing moves", async () => {
		const { http } = env();
		const [local, other] = await Promise.all([newClub(http), newClub(http)]);
		const g = (await http.post("/groups", { name: "G" }, { key: local.admin })).body;
		const c = await createClient(http, local, { groupId: g.id });
		const theirs = (await groupsOf(http, other)).byName.Default;
		const res = await http.del(`/groups/${g.id}?moveClientsTo=${theirs.id}`, { key: local.admin });
		assert.ok([404, 422].includes(res.status), res.text);
		assert.equal((await http.get(`/clients/${c.id}`, { key: local.viewer })).body.groupId, g.id);
	});

	it("when an empty group is deleted, then 204", async () => {
		const { http } = env();
		const g = (await http.post("/groups", { name: `Empty ${uid()}` }, { key: club.admin })).body;
		assert.equal((await http.del(`/groups/${g.id}`, { key: club.admin })).status, 204);
	});

	it("when another club's group is read, patched or deleted, then 404", async () => {
		const { http } = env();
		const other = await newClub(http);
		const g = (await http.post("/groups", { name: "Mine" }, { key: other.admin })).body;
		assertError(await http.get(`/groups/${g.id}`, { key: club.admin }), 404, "NOT_FOUND");
		assertError(await http.patch(`/groups/${g.id}`, { vatRate: 1 }, { key: club.admin }), 404, "NOT_FOUND");
		assertError(await http.del(`/groups/${g.id}`, { key: club.admin }), 404, "NOT_FOUND");
	});

	it("when the default group setting changes, then new staff-created clients land there and isDefault moves; External is refused (422)", async () => {
		const { http } = env();
		const local = await newClub(http);
		const { byName } = await groupsOf(http, local);
		assertInvalid(await http.put("/settings/default-group", { groupId: byName.External.id }, { key: local.admin }));
		const g = (await http.post("/groups", { name: "NewDefault" }, { key: local.admin })).body;
		const res = await http.put("/settings/default-group", { groupId: g.id }, { key: local.admin });
		assert.ok([200, 204].includes(res.status), res.text);
		const after = (await groupsOf(http, local)).byName;
		assert.equal(after.NewDefault.isDefault, true);
		assert.equal(after.Default.isDefault, false);
		const c = await createClient(http, local);
		assert.equal(c.groupId, g.id);
		assert.equal((await http.del(`/groups/${after.Default.id}`, { key: local.admin })).status, 204, "the old default is an ordinary group now");
		assertError(await http.del(`/groups/${g.id}`, { key: local.admin }), 409, "DEFAULT_GROUP");
	});

	it("when a group changes, then groups.updated is emitted with the club id", async () => {
		const { http, waitForEvent } = env();
		const g = (await http.post("/groups", { name: `Ev ${uid()}` }, { key: club.admin })).body;
		await http.patch(`/groups/${g.id}`, { vatRate: 700 }, { key: club.admin });
		const ev = await waitForEvent(e => e.name === "groups.updated" && e.payload?.group?.id === g.id && e.payload.group.vatRate === 700);
		assert.equal(ev.payload.clubId, club.club.id);
	});
});

forEachTopology("Acceptance: categories", env => {
	let club: TestClub;
	before(async () => {
		club = await newClub(env().http);
	});

	it("when a category is created, then 201 { id, name, description, discountPercent, clientCount }", async () => {
		const { http } = env();
		const res = await http.post("/categories", { name: `Member ${uid()}`, description: "Members pay less", discountPercent: 12.5 }, { key: club.admin });
		assert.equal(res.status, 201, res.text);
		for (const k of ["id", "name", "description", "discountPercent", "clientCount"]) assert.ok(k in res.body, k);
		assert.equal(res.body.discountPercent, 12.5);
		assert.equal(res.body.clientCount, 0);
		const got = await http.get(`/categories/${res.body.id}`, { key: club.viewer });
		assert.equal(got.status, 200);
		assert.equal(got.body.name, res.body.name);
		const list = await http.get("/categories", { key: club.viewer });
		assert.ok(list.body.items.some((c: any) => c.id === res.body.id));
	});

	it("when discountPercent is outside 0..100 or has more than 2 decimals, then 422", async () => {
		const { http } = env();
		for (const discountPercent of [-1, 100.01, 101, 12.345, "10"]) {
			assertInvalid(await http.post("/categories", { name: `Bad ${uid()}`, discountPercent }, { key: club.admin }), "discountPercent");
		}
		for (const discountPercent of [0, 100, 33.33]) {
			const res = await http.post("/categories", { name: `Ok ${uid()}`, discountPercent }, { key: club.admin });
			assert.equal(res.status, 201, res.text);
			assert.equal(res.body.discountPercent, discountPercent);
		}
	});

	it("when a category name is taken in any case, then 409 NAME_TAKEN", async () => {
		const { http } = env();
		const n = `Junior ${uid()}`;
		assert.equal((await http.post("/categories", { name: n, discountPercent: 5 }, { key: club.admin })).status, 201);
		assertError(await http.post("/categories", { name: n.toUpperCase(), discountPercent: 5 }, { key: club.admin }), 409, "NAME_TAKEN");
	});

	it("when a category is held by a client, then DELETE is 409 CATEGORY_IN_USE and clientCount counts it; once released, 204", async () => {
		const { http, waitForEvent } = env();
		const cat = (await http.post("/categories", { name: `Used ${uid()}`, discountPercent: 5 }, { key: club.admin })).body;
		const c = await createClient(http, club);
		await http.put(`/clients/${c.id}/categories/${cat.id}`, {}, { key: club.staff });
		assert.equal((await http.get(`/categories/${cat.id}`, { key: club.viewer })).body.clientCount, 1);
		assertError(await http.del(`/categories/${cat.id}`, { key: club.admin }), 409, "CATEGORY_IN_USE");
		await http.del(`/clients/${c.id}/categories/${cat.id}`, { key: club.staff });
		assert.equal((await http.del(`/categories/${cat.id}`, { key: club.admin })).status, 204);
		assertError(await http.get(`/categories/${cat.id}`, { key: club.viewer }), 404, "NOT_FOUND");
		await waitForEvent(e => e.name === "categories.updated" && JSON.stringify(e.payload).includes(cat.id));
	});

	it("when a category is patched, then the change is kept and categories.updated is emitted", async () => {
		const { http, waitForEvent } = env();
		const cat = (await http.post("/categories", { name: `P ${uid()}`, discountPercent: 5 }, { key: club.admin })).body;
		const res = await http.patch(`/categories/${cat.id}`, { discountPercent: 7.25, description: "d" }, { key: club.admin });
		assert.equal(res.status, 200, res.text);
		assert.equal(res.body.discountPercent, 7.25);
		const ev = await waitForEvent(e => e.name === "categories.updated" && e.payload?.category?.id === cat.id && e.payload.category.discountPercent === 7.25);
		assert.equal(ev.payload.clubId, club.club.id);
	});
});

forEachTopology("Acceptance: product access", env => {
	let club: TestClub;
	let groups: Record<string, any>;
	before(async () => {
		club = await newClub(env().http);
		groups = (await groupsOf(env().http, club)).byName;
	});

	it("when a rule is put, then GET returns it; DELETE opens the product again", async () => {
		const { http } = env();
		const pid = `court:${uid()}`;
		const put = await http.put(`/products/${pid}/access`, { kind: "activity", groupIds: [groups.Default.id] }, { key: club.admin });
		assert.equal(put.status, 200, put.text);
		const got = await http.get(`/products/${pid}/access`, { key: club.viewer });
		assert.equal(got.status, 200, got.text);
		assert.equal(got.body.kind, "activity");
		assert.deepEqual(got.body.groupIds, [groups.Default.id]);
		const del = await http.del(`/products/${pid}/access`, { key: club.admin });
		assert.ok([200, 204].includes(del.status), del.text);
		const after = await http.get(`/products/${pid}/access`, { key: club.viewer });
		assert.ok(after.status === 404 || (after.status === 200 && (after.body === null || after.body.kind == null || after.body.groupIds?.length === 0)), after.text);
	});

	it("when the productId has characters outside A-Z a-z 0-9 _ . : - or is over 100 long, then 4xx", async () => {
		const { http } = env();
		for (const pid of ["bad%20id", "a".repeat(101), "x%2Fy", "caf%C3%A9"]) {
			const res = await http.put(`/products/${pid}/access`, { kind: "product", groupIds: [] }, { key: club.admin });
			assert.ok([404, 422].includes(res.status), `${pid}: ${res.status} ${res.text}`);
		}
		assert.equal((await http.put(`/products/${"A_z.0:-".padEnd(100, "x")}/access`, { kind: "product", groupIds: [] }, { key: club.admin })).status, 200);
	});

	it("when the rule names an unknown kind or another club's group, then 4xx", async () => {
		const { http } = env();
		assertInvalid(await http.put(`/products/p1/access`, { kind: "service", groupIds: [] }, { key: club.admin }), "kind");
		const other = await newClub(http);
		const theirs = (await groupsOf(http, other)).byName.Default;
		const res = await http.put(`/products/p1/access`, { kind: "product", groupIds: [theirs.id] }, { key: club.admin });
		assert.ok([404, 422].includes(res.status), res.text);
	});
});
