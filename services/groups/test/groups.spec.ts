/**
 * Groups through the real gateway: a new club's groups, create / rename / policies,
 * deletion rules (system, default, non-empty, moving clients), the default-group setting,
 * names, validation, roles and tenant isolation.
 */
import assert from "node:assert/strict";
import { app, newClub, type Running, type TestClub } from "../../../test/support/app";
import { createClient } from "../../../test/support/factories";

const ALL_METHODS = ["card", "wallet", "sepa_debit", "paypal", "apple_pay", "google_pay", "ideal", "bancontact", "twint"];
const MISSING = "00000000-0000-4000-8000-000000000000";

const fields = (res: { body: any }) => (res.body.data ?? []).map((d: any) => d.field).sort();

describe("Groups", () => {
	let a: Running;
	let club: TestClub;
	let other: TestClub;

	before(async () => {
		a = await app();
		[club, other] = await Promise.all([newClub(a.http), newClub(a.http)]);
	});

	const groupsOf = async (c: TestClub) => (await a.http.get("/groups", { key: c.admin })).body.items as any[];
	const create = (body: unknown, key = club.admin) => a.http.post("/groups", body, { key });

	describe("a new club", () => {
		it("when a club is new, then it has Default (the default) and External (system), both without policies, and nothing else", async () => {
			const res = await a.http.get("/groups", { key: club.viewer });
			assert.equal(res.status, 200);
			assert.equal(res.body.nextCursor, null);
			assert.deepEqual(res.body.items.map((g: any) => g.name), ["Default", "External"]);
			const [def, ext] = res.body.items;
			assert.deepEqual(
				{ ...def, id: undefined, createdAt: undefined, updatedAt: undefined },
				{ id: undefined, name: "Default", system: false, isDefault: true, clientCount: 0, maxFutureBookings: null, paymentMethods: ALL_METHODS, vatRate: null, createdAt: undefined, updatedAt: undefined },
			);
			assert.equal(ext.system, true);
			assert.equal(ext.isDefault, false);
			assert.equal(ext.maxFutureBookings, null);
			assert.equal(ext.vatRate, null);
			assert.deepEqual(ext.paymentMethods, ALL_METHODS);
			assert.match(def.createdAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
		});

		it("when the default-group setting is read, then it is the Default group", async () => {
			const res = await a.http.get("/settings/default-group", { key: club.viewer });
			assert.equal(res.status, 200);
			assert.equal(res.body.name, "Default");
			assert.equal(res.body.isDefault, true);
		});
	});

	describe("paging", () => {
		/** Walks every page of a list with the given limit; answers the pages' items. */
		const walk = async (path: string, key: string, limit: number) => {
			const pages: any[][] = [];
			let cursor: string | null = null;
			do {
				const res: { status: number; text: string; body: any } = await a.http.get(`${path}?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { key });
				assert.equal(res.status, 200, res.text);
				pages.push(res.body.items);
				cursor = res.body.nextCursor;
				assert.ok(pages.length < 100, "the cursor never ends");
			} while (cursor);
			return pages;
		};

		it("when GET /groups is paged with limit and cursor, then every group comes exactly once, oldest first (Default and External lead), with its count", async () => {
			const c = await newClub(a.http);
			const made: any[] = [];
			for (let i = 0; i < 5; i++) made.push((await a.http.post("/groups", { name: `Page ${i}` }, { key: c.admin })).body);
			await createClient(a.http, c.staff, { groupId: made[3].id });
			const pages = await walk("/groups", c.viewer, 2);
			assert.deepEqual(pages.map(p => p.length), [2, 2, 2, 1]);
			const all = pages.flat();
			assert.deepEqual(all.map(g => g.name), ["Default", "External", "Page 0", "Page 1", "Page 2", "Page 3", "Page 4"]);
			assert.equal(all.find(g => g.id === made[3].id).clientCount, 1);
			assert.deepEqual((await walk("/groups", c.viewer, 500)).map(p => p.length), [7]);
			const firstPage = await a.http.get("/groups", { key: c.viewer });
			assert.deepEqual(firstPage.body, { items: all, nextCursor: null }, "the default limit (50) holds them all");
		});

		it("when limit is 0, 501 or not a number, or the cursor is not one we gave out, then 422 names the field", async () => {
			for (const query of ["limit=0", "limit=501", "limit=abc", "limit=1.5", "cursor=garbage", `cursor=${Buffer.from('["x","y"]').toString("base64url")}`]) {
				const res = await a.http.get(`/groups?${query}`, { key: club.viewer });
				assert.equal(res.status, 422, `${query}: ${res.text}`);
				assert.deepEqual(fields(res), [query.split("=")[0]], query);
			}
		});

		it("when a group is deleted between two pages, then the next page still continues after the cursor", async () => {
			const c = await newClub(a.http);
			const made: any[] = [];
			for (let i = 0; i < 3; i++) made.push((await a.http.post("/groups", { name: `Gone ${i}` }, { key: c.admin })).body);
			const first = await a.http.get("/groups?limit=3", { key: c.viewer });
			assert.equal(first.body.items[2].id, made[0].id);
			assert.equal((await a.http.del(`/groups/${made[0].id}`, { key: c.admin })).status, 204);
			const next = await a.http.get(`/groups?limit=3&cursor=${encodeURIComponent(first.body.nextCursor)}`, { key: c.viewer });
			assert.deepEqual(next.body.items.map((g: any) => g.id), [made[1].id, made[2].id]);
			assert.equal(next.body.nextCursor, null);
		});
	});

	describe("create and read", () => {
		it("when a group is created without policies, then 201 with no limit, every payment method, no VAT and a Location", async () => {
			const res = await create({ name: "  Juniors  " });
			assert.equal(res.status, 201);
			assert.equal(res.headers.get("location"), `/api/v1/groups/${res.body.id}`);
			assert.equal(res.body.name, "Juniors");
			assert.equal(res.body.system, false);
			assert.equal(res.body.isDefault, false);
			assert.equal(res.body.clientCount, 0);
			assert.equal(res.body.maxFutureBookings, null);
			assert.deepEqual(res.body.paymentMethods, ALL_METHODS);
			assert.equal(res.body.vatRate, null);
			const got = await a.http.get(`/groups/${res.body.id}`, { key: club.viewer });
			assert.equal(got.status, 200);
			assert.deepEqual(got.body, res.body);
			assert.ok((await groupsOf(club)).some(g => g.id === res.body.id));
		});

		it("when a group is created with policies, then they are stored, payment methods deduplicated in canonical order", async () => {
			const res = await create({ name: "Members", maxFutureBookings: 3, paymentMethods: ["twint", "card", "card", "wallet"], vatRate: 2100 });
			assert.equal(res.status, 201);
			assert.equal(res.body.maxFutureBookings, 3);
			assert.deepEqual(res.body.paymentMethods, ["card", "wallet", "twint"]);
			assert.equal(res.body.vatRate, 2100);
		});

		it("when a group allows no payment method and zero future bookings, then that is kept (not replaced by defaults)", async () => {
			const res = await create({ name: "Blocked", maxFutureBookings: 0, paymentMethods: [], vatRate: 0 });
			assert.equal(res.status, 201);
			assert.equal(res.body.maxFutureBookings, 0);
			assert.deepEqual(res.body.paymentMethods, []);
			assert.equal(res.body.vatRate, 0);
			const got = await a.http.get(`/groups/${res.body.id}`, { key: club.admin });
			assert.deepEqual(got.body.paymentMethods, []);
		});

		it("when a name differs from an existing one only by case or spaces, then 409 NAME_TAKEN", async () => {
			for (const name of ["default", " DEFAULT ", "external", "juniors"]) {
				const res = await create({ name });
				assert.equal(res.status, 409, name);
				assert.equal(res.body.type, "NAME_TAKEN");
			}
		});

		it("when the same name is created concurrently, then exactly one wins and the others get NAME_TAKEN", async () => {
			const results = await Promise.all(["Race", "race", "RACE", "Race", "rAce"].map(name => create({ name })));
			assert.deepEqual(results.map(r => r.status).sort(), [201, 409, 409, 409, 409]);
			assert.ok(results.filter(r => r.status === 409).every(r => r.body.type === "NAME_TAKEN"));
		});

		it("when another club uses the same name, then it is free there", async () => {
			assert.equal((await create({ name: "Members" }, other.admin)).status, 201);
		});
	});

	describe("validation", () => {
		it("when the name is missing, blank, too long or has control characters, then 422 on name", async () => {
			for (const body of [{}, { name: "" }, { name: "   " }, { name: "x".repeat(101) }, { name: "a\u0000b" }, { name: "a\nb" }, { name: 42 }]) {
				const res = await create(body);
				assert.equal(res.status, 422, JSON.stringify(body));
				assert.equal(res.body.type, "VALIDATION_ERROR");
				assert.deepEqual(fields(res), ["name"], JSON.stringify(body));
			}
			assert.equal((await create({ name: "x".repeat(100) })).status, 201);
		});

		it("when policies are out of range or of the wrong type, then 422 names each field", async () => {
			const cases: Array<[object, string[]]> = [
				[{ maxFutureBookings: -1 }, ["maxFutureBookings"]],
				[{ maxFutureBookings: 1.5 }, ["maxFutureBookings"]],
				[{ maxFutureBookings: "3" }, ["maxFutureBookings"]],
				[{ vatRate: 10001 }, ["vatRate"]],
				[{ vatRate: -1 }, ["vatRate"]],
				[{ vatRate: 21.5 }, ["vatRate"]],
				[{ paymentMethods: ["card", "cash"] }, ["paymentMethods[1]"]],
				[{ paymentMethods: "card" }, ["paymentMethods"]],
				[{ paymentMethods: null }, ["paymentMethods"]],
				[{ maxFutureBookings: -5, vatRate: 20000 }, ["maxFutureBookings", "vatRate"]],
			];
			for (const [body, expected] of cases) {
				const res = await create({ name: `V ${JSON.stringify(body)}`.slice(0, 100), ...body });
				assert.equal(res.status, 422, JSON.stringify(body));
				assert.deepEqual(fields(res), expected, JSON.stringify(body));
			}
			const ok = await create({ name: "Edges", maxFutureBookings: null, vatRate: 10000 });
			assert.equal(ok.status, 201);
		});

		it("when a body carries server-owned or unknown fields, then 422 names them and nothing is created", async () => {
			const res = await create({ name: "Sneaky", id: MISSING, system: true, isDefault: true, clubId: other.club.id, clientCount: 5, createdAt: "2020-01-01T00:00:00.000Z" });
			assert.equal(res.status, 422);
			assert.deepEqual(fields(res), ["clientCount", "clubId", "createdAt", "id", "isDefault", "system"]);
			assert.ok(!(await groupsOf(club)).some(g => g.name === "Sneaky"));
		});
	});

	describe("update", () => {
		it("when a group's name and policies are patched, then they change, updatedAt moves and createdAt stays", async () => {
			const made = (await create({ name: "Patch me", maxFutureBookings: 2, vatRate: 1000 })).body;
			await new Promise(r => setTimeout(r, 5));
			const res = await a.http.patch(`/groups/${made.id}`, { name: "Patched", paymentMethods: ["wallet"], vatRate: null }, { key: club.admin });
			assert.equal(res.status, 200);
			assert.equal(res.body.name, "Patched");
			assert.equal(res.body.maxFutureBookings, 2);
			assert.deepEqual(res.body.paymentMethods, ["wallet"]);
			assert.equal(res.body.vatRate, null);
			assert.equal(res.body.createdAt, made.createdAt);
			assert.ok(res.body.updatedAt > made.updatedAt);
			assert.deepEqual((await a.http.get(`/groups/${made.id}`, { key: club.admin })).body, res.body);
		});

		it("when a group is renamed to another group's name (any case), then 409 NAME_TAKEN; to its own name in another case, then 200", async () => {
			const made = (await create({ name: "Rename A" })).body;
			const taken = await a.http.patch(`/groups/${made.id}`, { name: "DEFAULT" }, { key: club.admin });
			assert.equal(taken.status, 409);
			assert.equal(taken.body.type, "NAME_TAKEN");
			const own = await a.http.patch(`/groups/${made.id}`, { name: "RENAME a" }, { key: club.admin });
			assert.equal(own.status, 200);
			assert.equal(own.body.name, "RENAME a");
		});

		it("when External is renamed, then 409 SYSTEM_GROUP; when its policies change, then 200", async () => {
			const ext = (await groupsOf(club)).find(g => g.system);
			const rename = await a.http.patch(`/groups/${ext.id}`, { name: "Outsiders" }, { key: club.admin });
			assert.equal(rename.status, 409);
			assert.equal(rename.body.type, "SYSTEM_GROUP");
			const policies = await a.http.patch(`/groups/${ext.id}`, { name: "External", maxFutureBookings: 1, paymentMethods: ["card"], vatRate: 2100 }, { key: club.admin });
			assert.equal(policies.status, 200);
			assert.equal(policies.body.name, "External");
			assert.equal(policies.body.system, true);
			assert.equal(policies.body.maxFutureBookings, 1);
			assert.deepEqual(policies.body.paymentMethods, ["card"]);
			const back = await a.http.patch(`/groups/${ext.id}`, { maxFutureBookings: null, paymentMethods: ALL_METHODS, vatRate: null }, { key: club.admin });
			assert.equal(back.status, 200);
			assert.equal(back.body.maxFutureBookings, null);
		});

		it("when a patch tries to set isDefault, system or an unknown field, or a bad value, then 422 and nothing changes", async () => {
			const made = (await create({ name: "Strict patch" })).body;
			const res = await a.http.patch(`/groups/${made.id}`, { isDefault: true, system: true, colour: "red" }, { key: club.admin });
			assert.equal(res.status, 422);
			assert.deepEqual(fields(res), ["colour", "isDefault", "system"]);
			const bad = await a.http.patch(`/groups/${made.id}`, { name: " ", maxFutureBookings: -1 }, { key: club.admin });
			assert.equal(bad.status, 422);
			assert.deepEqual(fields(bad), ["maxFutureBookings", "name"]);
			const nulls = await a.http.patch(`/groups/${made.id}`, { name: null, paymentMethods: null }, { key: club.admin });
			assert.equal(nulls.status, 422);
			assert.deepEqual(fields(nulls), ["name", "paymentMethods"]);
			const got = (await a.http.get(`/groups/${made.id}`, { key: club.admin })).body;
			assert.deepEqual(got, made);
		});
	});

	describe("delete", () => {
		it("when External is deleted, then 409 SYSTEM_GROUP; the default group, then 409 DEFAULT_GROUP", async () => {
			const all = await groupsOf(club);
			const ext = await a.http.del(`/groups/${all.find(g => g.system).id}`, { key: club.admin });
			assert.equal(ext.status, 409);
			assert.equal(ext.body.type, "SYSTEM_GROUP");
			const def = await a.http.del(`/groups/${all.find(g => g.isDefault).id}`, { key: club.admin });
			assert.equal(def.status, 409);
			assert.equal(def.body.type, "DEFAULT_GROUP");
			assert.equal((await groupsOf(club)).length, all.length);
		});

		it("when an empty group is deleted, then 204, it is gone, and its name is free again", async () => {
			const made = (await create({ name: "Short lived" })).body;
			const res = await a.http.del(`/groups/${made.id}`, { key: club.admin });
			assert.equal(res.status, 204);
			assert.equal(res.text, "");
			assert.equal((await a.http.get(`/groups/${made.id}`, { key: club.admin })).status, 404);
			assert.equal((await a.http.del(`/groups/${made.id}`, { key: club.admin })).status, 404);
			assert.equal((await create({ name: "short LIVED" })).status, 201);
		});

		it("when moveClientsTo is the group itself, malformed, unknown or another club's, then 422 on moveClientsTo and nothing is deleted", async () => {
			const made = (await create({ name: "Keep me" })).body;
			const foreign = (await groupsOf(other))[0].id;
			for (const target of [made.id, "nope", MISSING, foreign]) {
				const res = await a.http.del(`/groups/${made.id}?moveClientsTo=${target}`, { key: club.admin });
				assert.equal(res.status, 422, target);
				assert.deepEqual(fields(res), ["moveClientsTo"]);
			}
			assert.equal((await a.http.get(`/groups/${made.id}`, { key: club.admin })).status, 200);
		});

		it("when a group has clients and no target, then 409 GROUP_NOT_EMPTY with the count; with a target, then its clients move and it is deleted", async () => {
			const from = (await create({ name: "Full group" })).body;
			const to = (await create({ name: "Receiving group" })).body;
			const c1 = await createClient(a.http, club.staff, { groupId: from.id });
			const c2 = await createClient(a.http, club.staff, { groupId: from.id });
			const listed = (await groupsOf(club)).find(g => g.id === from.id);
			assert.equal(listed.clientCount, 2);
			assert.equal((await a.http.get(`/groups/${from.id}`, { key: club.viewer })).body.clientCount, 2);

			const refused = await a.http.del(`/groups/${from.id}`, { key: club.admin });
			assert.equal(refused.status, 409);
			assert.equal(refused.body.type, "GROUP_NOT_EMPTY");
			assert.deepEqual(refused.body.data, { clientCount: 2 });

			const res = await a.http.del(`/groups/${from.id}?moveClientsTo=${to.id}`, { key: club.admin });
			assert.equal(res.status, 204);
			for (const c of [c1, c2]) assert.equal((await a.http.get(`/clients/${c.id}`, { key: club.viewer })).body.groupId, to.id);
			assert.equal((await a.http.get(`/groups/${to.id}`, { key: club.viewer })).body.clientCount, 2);
			assert.equal((await a.http.get(`/groups/${from.id}`, { key: club.viewer })).status, 404);
		});

		it("when the ids are sent in upper case, then the same rules hold (the group with clients is not deleted without a target)", async () => {
			const from = (await create({ name: "Upper from" })).body;
			const to = (await create({ name: "Upper to" })).body;
			const client = await createClient(a.http, club.staff, { groupId: from.id });
			const refused = await a.http.del(`/groups/${from.id.toUpperCase()}`, { key: club.admin });
			assert.equal(refused.status, 409);
			assert.equal(refused.body.type, "GROUP_NOT_EMPTY");
			const same = await a.http.del(`/groups/${from.id.toUpperCase()}?moveClientsTo=${from.id}`, { key: club.admin });
			assert.equal(same.status, 422);
			const res = await a.http.del(`/groups/${from.id.toUpperCase()}?moveClientsTo=${to.id.toUpperCase()}`, { key: club.admin });
			assert.equal(res.status, 204);
			assert.equal((await a.http.get(`/clients/${client.id}`, { key: club.viewer })).body.groupId, to.id);
		});

		it("when a group's clients are moved into External, then that is allowed (External is a group like the others for moves)", async () => {
			const from = (await create({ name: "Into external" })).body;
			const ext = (await groupsOf(club)).find(g => g.system);
			const res = await a.http.del(`/groups/${from.id}?moveClientsTo=${ext.id}`, { key: club.admin });
			assert.equal(res.status, 204);
		});

		it("when a delete carries an unknown query field, then 422", async () => {
			const made = (await create({ name: "Query strict" })).body;
			const res = await a.http.del(`/groups/${made.id}?force=true`, { key: club.admin });
			assert.equal(res.status, 422);
			assert.deepEqual(fields(res), ["force"]);
		});
	});

	describe("default-group setting", () => {
		it("when another group becomes the default, then it is the only default, the old one loses the flag and may be deleted", async () => {
			const c = await newClub(a.http);
			const before = await groupsOf(c);
			const oldDefault = before.find(g => g.isDefault);
			const made = (await a.http.post("/groups", { name: "New default" }, { key: c.admin })).body;
			const res = await a.http.put("/settings/default-group", { groupId: made.id }, { key: c.admin });
			assert.equal(res.status, 200);
			assert.equal(res.body.id, made.id);
			assert.equal(res.body.isDefault, true);
			const after = await groupsOf(c);
			assert.deepEqual(after.filter(g => g.isDefault).map(g => g.id), [made.id]);
			assert.equal((await a.http.get("/settings/default-group", { key: c.viewer })).body.id, made.id);
			assert.deepEqual((await a.http.get(`/groups/${made.id}`, { key: c.admin })).body.isDefault, true);
			assert.equal((await a.http.del(`/groups/${made.id}`, { key: c.admin })).body.type, "DEFAULT_GROUP");
			assert.equal((await a.http.del(`/groups/${oldDefault.id}`, { key: c.admin })).status, 204);
		});

		it("when the default is set to the group that already is the default, then 200 and nothing changes", async () => {
			const def = (await groupsOf(club)).find(g => g.isDefault);
			const res = await a.http.put("/settings/default-group", { groupId: def.id }, { key: club.admin });
			assert.equal(res.status, 200);
			assert.equal(res.body.id, def.id);
			assert.equal(res.body.updatedAt, def.updatedAt);
		});

		it("when the default is set to External, an unknown, malformed or another club's group, then 422 on groupId", async () => {
			const ext = (await groupsOf(club)).find(g => g.system);
			const foreign = (await groupsOf(other)).find(g => !g.system).id;
			for (const groupId of [ext.id, MISSING, "nope", foreign, 42, null]) {
				const res = await a.http.put("/settings/default-group", { groupId }, { key: club.admin });
				assert.equal(res.status, 422, String(groupId));
				assert.deepEqual(fields(res), ["groupId"]);
			}
			const missing = await a.http.put("/settings/default-group", {}, { key: club.admin });
			assert.deepEqual(fields(missing), ["groupId"]);
			const extra = await a.http.put("/settings/default-group", { groupId: ext.id, clubId: other.club.id }, { key: club.admin });
			assert.equal(extra.status, 422);
			assert.ok(fields(extra).includes("clubId"));
			assert.equal((await groupsOf(other)).filter(g => g.isDefault).length, 1);
		});

		it("when several admins switch the default concurrently, then the club ends with exactly one default", async () => {
			const c = await newClub(a.http);
			const ids: string[] = [];
			for (let i = 0; i < 4; i++) ids.push((await a.http.post("/groups", { name: `Candidate ${i}` }, { key: c.admin })).body.id);
			const results = await Promise.all([...ids, ...ids].map(groupId => a.http.put("/settings/default-group", { groupId }, { key: c.admin })));
			assert.ok(results.every(r => r.status === 200), JSON.stringify(results.map(r => r.status)));
			const defaults = (await groupsOf(c)).filter(g => g.isDefault);
			assert.equal(defaults.length, 1);
			assert.ok(ids.includes(defaults[0].id));
		});
	});

	describe("roles and isolation", () => {
		it("when a viewer reads groups, then 200; when a viewer or staff writes groups or the setting, then 403", async () => {
			const made = (await create({ name: "Role target" })).body;
			for (const key of [club.viewer, club.staff]) {
				assert.equal((await a.http.get(`/groups/${made.id}`, { key })).status, 200);
				assert.equal((await a.http.get("/groups", { key })).status, 200);
				assert.equal((await create({ name: "Not allowed" }, key)).status, 403);
				assert.equal((await a.http.patch(`/groups/${made.id}`, { name: "Not allowed" }, { key })).status, 403);
				assert.equal((await a.http.del(`/groups/${made.id}`, { key })).status, 403);
				assert.equal((await a.http.put("/settings/default-group", { groupId: made.id }, { key })).status, 403);
			}
			assert.equal((await a.http.get(`/groups/${made.id}`, { key: club.admin })).body.name, "Role target");
		});

		it("when another club's group id, or a non-UUID, is used on any group route, then 404 and nothing changes", async () => {
			const foreign = (await a.http.post("/groups", { name: "Theirs" }, { key: other.admin })).body;
			for (const id of [foreign.id, "not-a-uuid", MISSING, "1"]) {
				assert.equal((await a.http.get(`/groups/${id}`, { key: club.admin })).status, 404, id);
				assert.equal((await a.http.patch(`/groups/${id}`, { name: "Stolen" }, { key: club.admin })).status, 404, id);
				assert.equal((await a.http.del(`/groups/${id}`, { key: club.admin })).status, 404, id);
			}
			const theirs = (await a.http.get(`/groups/${foreign.id}`, { key: other.admin })).body;
			assert.equal(theirs.name, foreign.name);
			assert.ok(!(await groupsOf(club)).some(g => g.id === foreign.id));
		});
	});
});
