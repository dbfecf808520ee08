/**
 * Categories through the real gateway: CRUD, exact discounts, unique names, deletion while
 * clients hold one (CATEGORY_IN_USE), validation, roles and tenant isolation.
 */
import assert from "node:assert/strict";
import { app, newClub, type Running, type TestClub } from "../../../test/support/app";
import { createClient } from "../../../test/support/factories";

const MISSING = "00000000-0000-4000-8000-000000000000";
const fields = (res: { body: any }) => (res.body.data ?? []).map((d: any) => d.field).sort();

describe("Categories", () => {
	let a: Running;
	let club: TestClub;
	let other: TestClub;

	before(async () => {
		a = await app();
		[club, other] = await Promise.all([newClub(a.http), newClub(a.http)]);
	});

	const create = (body: unknown, key = club.admin) => a.http.post("/categories", body, { key });

	it("when a club is new, then it has no categories", async () => {
		const res = await a.http.get("/categories", { key: club.viewer });
		assert.equal(res.status, 200);
		assert.deepEqual(res.body, { items: [], nextCursor: null });
	});

	it("when a category is created, read, listed, patched and deleted, then each step answers the category as stored", async () => {
		const made = await create({ name: " Member ", description: "Annual members", discountPercent: 12.5 });
		assert.equal(made.status, 201);
		assert.equal(made.headers.get("location"), `/api/v1/categories/${made.body.id}`);
		assert.equal(made.body.name, "Member");
		assert.equal(made.body.description, "Annual members");
		assert.equal(made.body.discountPercent, 12.5);
		assert.equal(made.body.clientCount, 0);

		const got = await a.http.get(`/categories/${made.body.id}`, { key: club.viewer });
		assert.equal(got.status, 200);
		assert.deepEqual(got.body, made.body);
		const listed = await a.http.get("/categories", { key: club.viewer });
		assert.deepEqual(listed.body.items.find((c: any) => c.id === made.body.id), made.body);

		const patched = await a.http.patch(`/categories/${made.body.id}`, { name: "Members", discountPercent: 15, description: null }, { key: club.admin });
		assert.equal(patched.status, 200);
		assert.equal(patched.body.name, "Members");
		assert.equal(patched.body.discountPercent, 15);
		assert.equal(patched.body.description, null);
		assert.equal(patched.body.createdAt, made.body.createdAt);

		const del = await a.http.del(`/categories/${made.body.id}`, { key: club.admin });
		assert.equal(del.status, 204);
		assert.equal((await a.http.get(`/categories/${made.body.id}`, { key: club.admin })).status, 404);
		assert.equal((await a.http.del(`/categories/${made.body.id}`, { key: club.admin })).status, 404);
	});

	it("when GET /categories is paged with limit and cursor, then every category comes exactly once, oldest first, with its count; bad limits or cursors are 422", async () => {
		const c = await newClub(a.http);
		const made: any[] = [];
		for (let i = 0; i < 5; i++) made.push((await a.http.post("/categories", { name: `Cat ${i}` }, { key: c.admin })).body);
		const holder = await createClient(a.http, c.staff);
		assert.ok([200, 204].includes((await a.http.put(`/clients/${holder.id}/categories/${made[4].id}`, {}, { key: c.staff })).status));
		const seen: any[] = [];
		let cursor: string | null = null;
		let pages = 0;
		do {
			const res: { status: number; text: string; body: any } = await a.http.get(`/categories?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { key: c.viewer });
			assert.equal(res.status, 200, res.text);
			assert.ok(res.body.items.length <= 2);
			seen.push(...res.body.items);
			cursor = res.body.nextCursor;
			pages++;
		} while (cursor && pages < 10);
		assert.equal(pages, 3);
		assert.deepEqual(seen.map(x => x.id), made.map(x => x.id));
		assert.equal(seen[4].clientCount, 1);
		assert.deepEqual(seen.slice(0, 4).map(x => x.clientCount), [0, 0, 0, 0]);
		for (const query of ["limit=0", "limit=501", "limit=x", "cursor=nope"]) {
			const res = await a.http.get(`/categories?${query}`, { key: c.viewer });
			assert.equal(res.status, 422, `${query}: ${res.text}`);
			assert.deepEqual(fields(res), [query.split("=")[0]], query);
		}
	});

	it("when a category has no description or discount, then description is null and the discount 0", async () => {
		const res = await create({ name: "Plain" });
		assert.equal(res.status, 201);
		assert.equal(res.body.description, null);
		assert.equal(res.body.discountPercent, 0);
	});

	it("when discounts have up to two decimals, then they round-trip exactly; more decimals or out of range, then 422", async () => {
		for (const d of [0, 0.01, 33.33, 99.99, 100, 12.1]) {
			const res = await create({ name: `Exact ${d}`, discountPercent: d });
			assert.equal(res.status, 201, String(d));
			assert.equal(res.body.discountPercent, d);
			assert.equal((await a.http.get(`/categories/${res.body.id}`, { key: club.admin })).body.discountPercent, d);
		}
		for (const d of [12.345, 0.001, 100.01, -1, -0.01, "10", null, 1e300]) {
			const res = await create({ name: `Bad ${String(d)}`, discountPercent: d });
			assert.equal(res.status, 422, String(d));
			assert.deepEqual(fields(res), ["discountPercent"], String(d));
		}
	});

	it("when a name differs from an existing one only by case, then 409 NAME_TAKEN on create and on rename", async () => {
		const first = (await create({ name: "Junior" })).body;
		const dup = await create({ name: "JUNIOR" });
		assert.equal(dup.status, 409);
		assert.equal(dup.body.type, "NAME_TAKEN");
		const second = (await create({ name: "Senior" })).body;
		const rename = await a.http.patch(`/categories/${second.id}`, { name: "junior" }, { key: club.admin });
		assert.equal(rename.status, 409);
		assert.equal(rename.body.type, "NAME_TAKEN");
		const own = await a.http.patch(`/categories/${first.id}`, { name: "JUNIOR" }, { key: club.admin });
		assert.equal(own.status, 200);
		assert.equal((await create({ name: "junior" }, other.admin)).status, 201);
	});

	it("when the same name is created concurrently, then exactly one wins", async () => {
		const results = await Promise.all(["Twin", "twin", "TWIN"].map(name => create({ name })));
		assert.deepEqual(results.map(r => r.status).sort(), [201, 409, 409]);
	});

	it("when fields are invalid, unknown or server-owned, then 422 names each of them", async () => {
		const cases: Array<[object, string[]]> = [
			[{}, ["name"]],
			[{ name: "   " }, ["name"]],
			[{ name: "x".repeat(101) }, ["name"]],
			[{ name: "ok", description: "d".repeat(1001) }, ["description"]],
			[{ name: "ok", description: "a\u0000b" }, ["description"]],
			[{ name: "ok", id: MISSING, clientCount: 3, clubId: other.club.id }, ["clientCount", "clubId", "id"]],
		];
		for (const [body, expected] of cases) {
			const res = await create(body);
			assert.equal(res.status, 422, JSON.stringify(body).slice(0, 80));
			assert.deepEqual(fields(res), expected);
		}
		const made = (await create({ name: "Patch strict" })).body;
		const res = await a.http.patch(`/categories/${made.id}`, { name: null, discountPercent: null, extra: 1 }, { key: club.admin });
		assert.equal(res.status, 422);
		assert.ok(fields(res).includes("extra"));
		const nulls = await a.http.patch(`/categories/${made.id}`, { name: null, discountPercent: null }, { key: club.admin });
		assert.deepEqual(fields(nulls), ["discountPercent", "name"]);
		const multiLine = await a.http.patch(`/categories/${made.id}`, { description: "line 1\nline 2\ttab" }, { key: club.admin });
		assert.equal(multiLine.status, 200);
		assert.equal(multiLine.body.description, "line 1\nline 2\ttab");
	});

	it("when clients hold a category, then it counts them and DELETE is 409 CATEGORY_IN_USE until they no longer hold it", async () => {
		const cat = (await create({ name: "In use", discountPercent: 10 })).body;
		const client = await createClient(a.http, club.staff);
		const linked = await a.http.put(`/clients/${client.id}/categories/${cat.id}`, {}, { key: club.staff });
		assert.ok(linked.status === 200 || linked.status === 204, `link: ${linked.status} ${linked.text}`);
		assert.equal((await a.http.get(`/categories/${cat.id}`, { key: club.viewer })).body.clientCount, 1);
		assert.equal((await a.http.get("/categories", { key: club.viewer })).body.items.find((c: any) => c.id === cat.id).clientCount, 1);

		const refused = await a.http.del(`/categories/${cat.id}`, { key: club.admin });
		assert.equal(refused.status, 409);
		assert.equal(refused.body.type, "CATEGORY_IN_USE");
		assert.deepEqual(refused.body.data, { clientCount: 1 });
		assert.equal((await a.http.get(`/categories/${cat.id}`, { key: club.admin })).status, 200);

		const unlinked = await a.http.del(`/clients/${client.id}/categories/${cat.id}`, { key: club.staff });
		assert.ok(unlinked.status === 200 || unlinked.status === 204, `unlink: ${unlinked.status}`);
		assert.equal((await a.http.del(`/categories/${cat.id}`, { key: club.admin })).status, 204);
	});

	it("when a viewer reads, then 200; when a viewer or staff writes categories, then 403", async () => {
		const cat = (await create({ name: "Roles" })).body;
		for (const key of [club.viewer, club.staff]) {
			assert.equal((await a.http.get(`/categories/${cat.id}`, { key })).status, 200);
			assert.equal((await a.http.get("/categories", { key })).status, 200);
			assert.equal((await create({ name: "Nope" }, key)).status, 403);
			assert.equal((await a.http.patch(`/categories/${cat.id}`, { discountPercent: 99 }, { key })).status, 403);
			assert.equal((await a.http.del(`/categories/${cat.id}`, { key })).status, 403);
		}
		assert.equal((await a.http.get(`/categories/${cat.id}`, { key: club.admin })).body.discountPercent, 0);
	});

	it("when another club's category id, or a non-UUID, is used on any category route, then 404 and it is untouched", async () => {
		const theirs = (await create({ name: "Theirs", discountPercent: 5 }, other.admin)).body;
		for (const id of [theirs.id, "not-a-uuid", MISSING]) {
			assert.equal((await a.http.get(`/categories/${id}`, { key: club.admin })).status, 404, id);
			assert.equal((await a.http.patch(`/categories/${id}`, { discountPercent: 50 }, { key: club.admin })).status, 404, id);
			assert.equal((await a.http.del(`/categories/${id}`, { key: club.admin })).status, 404, id);
		}
		assert.equal((await a.http.get(`/categories/${theirs.id}`, { key: other.admin })).body.discountPercent, 5);
		assert.ok(!(await a.http.get("/categories", { key: club.admin })).body.items.some((c: any) => c.id === theirs.id));
	});
});
