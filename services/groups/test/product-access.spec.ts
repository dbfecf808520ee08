/**
 * Product access rules through the real gateway: set / read / replace / remove, the
 * productId and groupIds rules, what a deleted group does to the rules, roles and tenant
 * isolation.
 */
import assert from "node:assert/strict";
import { app, newClub, type Running, type TestClub } from "../../../test/support/app";

const MISSING = "00000000-0000-4000-8000-000000000000";
const fields = (res: { body: any }) => (res.body.data ?? []).map((d: any) => d.field).sort();

describe("Product access", () => {
	let a: Running;
	let club: TestClub;
	let other: TestClub;
	let g1: any;
	let g2: any;

	before(async () => {
		a = await app();
		[club, other] = await Promise.all([newClub(a.http), newClub(a.http)]);
		g1 = (await a.http.post("/groups", { name: "Members" }, { key: club.admin })).body;
		g2 = (await a.http.post("/groups", { name: "Coaches" }, { key: club.admin })).body;
	});

	const put = (productId: string, body: unknown, key = club.admin) => a.http.put(`/products/${productId}/access`, body, { key });
	const get = (productId: string, key = club.admin) => a.http.get(`/products/${productId}/access`, { key });

	it("when a product has no rule, then GET is 404 (open to all) and DELETE is still 204", async () => {
		const res = await get("court-1");
		assert.equal(res.status, 404);
		assert.equal(res.body.type, "NOT_FOUND");
		assert.equal((await a.http.del("/products/court-1/access", { key: club.admin })).status, 204);
	});

	it("when a rule is set, read, replaced and removed, then each answer is the stored rule and the product ends open", async () => {
		const set = await put("court-2", { kind: "product", groupIds: [g2.id, g1.id, g1.id] });
		assert.equal(set.status, 200);
		assert.equal(set.body.productId, "court-2");
		assert.equal(set.body.kind, "product");
		assert.deepEqual(set.body.groupIds, [g1.id, g2.id].sort());
		assert.deepEqual((await get("court-2", club.viewer)).body, set.body);

		const replaced = await put("court-2", { kind: "activity", groupIds: [g2.id] });
		assert.equal(replaced.status, 200);
		assert.equal(replaced.body.kind, "activity");
		assert.deepEqual(replaced.body.groupIds, [g2.id]);
		assert.equal(replaced.body.createdAt, set.body.createdAt);
		assert.deepEqual((await get("court-2")).body, replaced.body);

		assert.equal((await a.http.del("/products/court-2/access", { key: club.admin })).status, 204);
		assert.equal((await get("court-2")).status, 404);
	});

	it("when a rule names no group, then it is kept with an empty list (nobody may book it)", async () => {
		const res = await put("closed-court", { kind: "activity", groupIds: [] });
		assert.equal(res.status, 200);
		assert.deepEqual(res.body.groupIds, []);
		assert.deepEqual((await get("closed-court")).body.groupIds, []);
	});

	it("when productIds use every allowed character, then they are accepted; others or over 100 chars, then 422 on productId", async () => {
		for (const id of ["A-z_0.9:x", "x".repeat(100), "padel:court.1-B_2"]) {
			const res = await put(id, { kind: "product", groupIds: [g1.id] });
			assert.equal(res.status, 200, id);
			assert.equal(res.body.productId, id);
			assert.equal((await get(id)).body.productId, id);
		}
		for (const id of ["a%20b", "x".repeat(101), "%C3%A9t%C3%A9", "a%2Fb", "a%00b", "%F0%9F%8E%BE"]) {
			for (const res of [await put(id, { kind: "product", groupIds: [] }), await get(id), await a.http.del(`/products/${id}/access`, { key: club.admin })]) {
				assert.equal(res.status, 422, id);
				assert.deepEqual([...new Set(fields(res))], ["productId"]);
			}
		}
	});

	it("when groupIds name another club's, unknown or malformed groups, then 422 lists each of them and the rule is unchanged", async () => {
		await put("court-3", { kind: "product", groupIds: [g1.id] });
		const foreign = (await a.http.get("/groups", { key: other.admin })).body.items[0].id;
		const res = await put("court-3", { kind: "activity", groupIds: [g1.id, foreign, MISSING, "nope"] });
		assert.equal(res.status, 422);
		assert.deepEqual(fields(res), ["groupIds[1]", "groupIds[2]", "groupIds[3]"]);
		assert.ok(res.body.data.some((d: any) => d.message.includes(MISSING)));
		const after = (await get("court-3")).body;
		assert.equal(after.kind, "product");
		assert.deepEqual(after.groupIds, [g1.id]);
	});

	it("when kind or groupIds are missing or wrong, or the body has unknown fields, then 422 names them", async () => {
		const cases: Array<[unknown, string[]]> = [
			[{ groupIds: [] }, ["kind"]],
			[{ kind: "product" }, ["groupIds"]],
			[{ kind: "course", groupIds: [] }, ["kind"]],
			[{ kind: "product", groupIds: "all" }, ["groupIds"]],
			[{ kind: "product", groupIds: [42] }, ["groupIds[0]"]],
			[{ kind: "product", groupIds: [], clubId: other.club.id, everyone: true }, ["clubId", "everyone"]],
		];
		for (const [body, expected] of cases) {
			const res = await put("court-4", body);
			assert.equal(res.status, 422, JSON.stringify(body));
			assert.deepEqual(fields(res), expected, JSON.stringify(body));
		}
		assert.equal((await get("court-4")).status, 404);
	});

	it("when a group in rules is deleted, then it leaves every rule (a rule left empty stays, closed) and other groups stay", async () => {
		const doomed = (await a.http.post("/groups", { name: "Doomed" }, { key: club.admin })).body;
		await put("shared-court", { kind: "product", groupIds: [doomed.id, g1.id] });
		await put("only-doomed", { kind: "activity", groupIds: [doomed.id] });
		assert.equal((await a.http.del(`/groups/${doomed.id}`, { key: club.admin })).status, 204);
		assert.deepEqual((await get("shared-court")).body.groupIds, [g1.id]);
		const only = await get("only-doomed");
		assert.equal(only.status, 200);
		assert.equal(only.body.kind, "activity");
		assert.deepEqual(only.body.groupIds, []);
	});

	it("when a viewer reads, then 200; when a viewer or staff writes a rule, then 403 and nothing changes", async () => {
		await put("role-court", { kind: "product", groupIds: [g1.id] });
		for (const key of [club.viewer, club.staff]) {
			assert.equal((await get("role-court", key)).status, 200);
			assert.equal((await put("role-court", { kind: "activity", groupIds: [] }, key)).status, 403);
			assert.equal((await a.http.del("/products/role-court/access", { key })).status, 403);
		}
		assert.equal((await get("role-court")).body.kind, "product");
	});

	it("when two clubs use the same productId, then each sees and changes only its own rule", async () => {
		await put("shared-id", { kind: "product", groupIds: [g1.id] });
		assert.equal((await get("shared-id", other.admin)).status, 404);
		assert.equal((await a.http.del("/products/shared-id/access", { key: other.admin })).status, 204);
		assert.deepEqual((await get("shared-id")).body.groupIds, [g1.id]);
		const theirGroup = (await a.http.get("/groups", { key: other.admin })).body.items[0].id;
		assert.equal((await put("shared-id", { kind: "activity", groupIds: [theirGroup] }, other.admin)).status, 200);
		const mine = (await get("shared-id")).body;
		assert.equal(mine.kind, "product");
		assert.deepEqual(mine.groupIds, [g1.id]);
		assert.deepEqual((await get("shared-id", other.admin)).body.groupIds, [theirGroup]);
	});
});
