/**
 * The foundation as a newcomer meets it: clubs, keys and roles through the real gateway,
 * the conventions of API.md (errors, limits, ops routes), on the embedded-style node.
 */
import assert from "node:assert/strict";
import { app, newClub, platformKey, type Running, type TestClub } from "../support/app";

describe("Gateway and clubs (single process)", () => {
	let a: Running;
	let club: TestClub;

	before(async () => {
		a = await app();
		club = await newClub(a.http);
	});

	it("when the platform creates a club, then it gets an admin key and Default + External groups", async () => {
		const res = await a.http.post("/clubs", { name: "Padel Norte", country: "Francia", currency: "eur", timezone: "Europe/Paris" }, { key: platformKey() });
		assert.equal(res.status, 201);
		assert.equal(res.body.club.country, "FR");
		assert.equal(res.body.club.currency, "EUR");
		assert.match(res.body.apiKey.key, /^chk_[A-Za-z0-9_-]{40,}$/);
		assert.equal(res.body.apiKey.role, "admin");
		const groups = await a.http.get("/groups", { key: res.body.apiKey.key });
		assert.equal(groups.status, 200);
		const names = groups.body.items.map((g: any) => g.name).sort();
		assert.deepEqual(names, ["Default", "External"]);
		const ext = groups.body.items.find((g: any) => g.name === "External");
		assert.equal(ext.system, true);
		assert.equal(ext.isDefault, false);
		assert.equal(ext.maxFutureBookings, null);
		assert.equal(ext.vatRate, null);
		assert.equal(ext.paymentMethods.length, 9);
		assert.equal(groups.body.items.find((g: any) => g.name === "Default").isDefault, true);
	});

	it("when a club is created with bad fields, then 422 names each field", async () => {
		const res = await a.http.post("/clubs", { name: "", country: "Atlantis", currency: "XXQ", timezone: "Mars/Base" }, { key: platformKey() });
		assert.equal(res.status, 422);
		assert.equal(res.body.type, "VALIDATION_ERROR");
		assert.ok(res.body.data.some((d: any) => d.field === "name"));
		const res2 = await a.http.post("/clubs", { name: "X", country: "Atlantis", currency: "XXQ", timezone: "Mars/Base" }, { key: platformKey() });
		assert.deepEqual(res2.body.data.map((d: any) => d.field).sort(), ["country", "currency", "timezone"]);
	});

	it("when a club key calls a platform route, or the platform key a club route, then 403", async () => {
		assert.equal((await a.http.post("/clubs", { name: "X", country: "ES", currency: "EUR", timezone: "UTC" }, { key: club.admin })).status, 403);
		assert.equal((await a.http.get("/club", { key: platformKey() })).status, 403);
	});

	it("when no key, a malformed header or an unknown key is sent, then 401", async () => {
		assert.equal((await a.http.get("/club")).status, 401);
		assert.equal((await a.http.get("/club", { headers: { authorization: "Basic abc" } })).status, 401);
		const res = await a.http.get("/club", { key: "chk_nope" });
		assert.equal(res.status, 401);
		assert.equal(res.body.type, "UNAUTHORIZED");
	});

	it("when each role reads its club, then it sees its own club only", async () => {
		for (const key of [club.admin, club.staff, club.viewer]) {
			const res = await a.http.get("/club", { key });
			assert.equal(res.status, 200);
			assert.equal(res.body.id, club.club.id);
		}
	});

	it("when a viewer or staff key writes an admin route, then 403 FORBIDDEN", async () => {
		const v = await a.http.post("/api-keys", { name: "x", role: "viewer" }, { key: club.viewer });
		assert.equal(v.status, 403);
		assert.equal(v.body.type, "FORBIDDEN");
		assert.equal((await a.http.post("/api-keys", { name: "x", role: "viewer" }, { key: club.staff })).status, 403);
		assert.equal((await a.http.get("/api-keys", { key: club.viewer })).status, 403);
	});

	it("when keys are listed, then no secret or hash is in the answer", async () => {
		const res = await a.http.get("/api-keys", { key: club.admin });
		assert.equal(res.status, 200);
		assert.ok(res.body.items.length >= 3);
		assert.ok(!res.text.includes(club.staff));
		for (const k of res.body.items) assert.deepEqual(Object.keys(k).sort(), ["createdAt", "id", "name", "prefix", "role"]);
	});

	it("when a key is revoked, then it answers 401 at once, and another club cannot revoke it", async () => {
		const made = await a.http.post("/api-keys", { name: "temp", role: "staff" }, { key: club.admin });
		assert.equal(made.status, 201);
		assert.equal((await a.http.get("/club", { key: made.body.key })).status, 200);
		const other = await newClub(a.http);
		assert.equal((await a.http.del(`/api-keys/${made.body.id}`, { key: other.admin })).status, 404);
		const del = await a.http.del(`/api-keys/${made.body.id}`, { key: club.admin });
		assert.equal(del.status, 204);
		assert.equal((await a.http.get("/club", { key: made.body.key })).status, 401);
		assert.equal((await a.http.del(`/api-keys/${made.body.id}`, { key: club.admin })).status, 404);
		assert.equal((await a.http.del(`/api-keys/not-a-uuid`, { key: club.admin })).status, 404);
	});

	it("when many requests bring a key the gateway has not cached, then clubs looks it up once", async () => {
		const made = (await a.http.post("/api-keys", { name: "burst", role: "viewer" }, { key: club.admin })).body;
		const clubs: any = a.brokers[0].getLocalService("clubs");
		let lookups = 0;
		const count = (q: { sql: string }) => void (q.sql.includes('"api_keys"') && q.sql.includes('"key_hash"') && lookups++);
		clubs.db.on("query", count);
		try {
			// The lookup is held up (the keys table is locked) until all 20 requests have come in.
			const trx = await clubs.db.transaction();
			await trx.raw("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE");
			const asked = Promise.all(Array.from({ length: 20 }, () => a.http.get("/club", { key: made.key })));
			await new Promise(r => setTimeout(r, 300));
			await trx.commit();
			const answers = await asked;
			assert.deepEqual([...new Set(answers.map(r => r.status))], [200]);
			assert.equal(lookups, 1);
		} finally {
			clubs.db.off("query", count);
		}
	});

	it("when a key is revoked while its lookup is in flight, then that answer is not cached", async () => {
		const api: any = a.brokers[0].getLocalService("api");
		const hash = "ab".repeat(32);
		let calls = 0;
		let answer!: (identity: unknown) => void;
		const ctx = { call: () => (calls++, new Promise(r => (answer = r))) };
		const first = api.resolveKey(ctx, hash);
		const second = api.resolveKey(ctx, hash);
		assert.equal(calls, 1, "one lookup for both");
		api.forgetKeyHash(hash); // what the clubs.apiKeyRevoked event does
		answer({ keyId: "k", clubId: club.club.id, role: "viewer" });
		assert.equal((await first).keyId, "k");
		assert.equal((await second).keyId, "k");
		assert.equal(api.keyCache.has(hash), false);
		assert.equal(api.keyLookups.size, 0);
		const third = api.resolveKey(ctx, hash);
		assert.equal(calls, 2, "asked again after the revocation");
		answer(null);
		assert.equal(await third, null);
	});

	it("when the body is malformed JSON, then 400; over 1 MiB, then 413; not JSON, then 415", async () => {
		const bad = await a.http.request("POST", "/api/v1/api-keys", { key: club.admin, rawBody: '{"name":', headers: { "content-type": "application/json" } });
		assert.equal(bad.status, 400);
		assert.equal(bad.body.code, 400);
		const big = await a.http.request("POST", "/api/v1/api-keys", { key: club.admin, rawBody: JSON.stringify({ name: "x".repeat(3 * 1024 * 1024), role: "staff" }), headers: { "content-type": "application/json" } });
		assert.equal(big.status, 413);
		const text = await a.http.request("POST", "/api/v1/api-keys", { key: club.admin, rawBody: "name=x", headers: { "content-type": "text/plain" } });
		assert.equal(text.status, 415);
	});

	it("when a body carries unknown or server-owned fields, then 422 names them", async () => {
		const res = await a.http.post("/api-keys", { name: "x", role: "staff", id: "abc", clubId: club.club.id }, { key: club.admin });
		assert.equal(res.status, 422);
		assert.deepEqual(res.body.data.map((d: any) => d.field).sort(), ["clubId", "id"]);
	});

	it("when a REST body or query carries the bus-only idempotencyKey, then 422 (the header is the REST way)", async () => {
		const res = await a.http.post("/api-keys", { name: "x", role: "staff", idempotencyKey: "k" }, { key: club.admin });
		assert.equal(res.status, 422);
		assert.equal(res.body.data[0].field, "idempotencyKey");
		assert.equal((await a.http.get("/club?idempotencyKey=k", { key: club.admin })).status, 422);
	});

	it("when a route is unknown or an internal one is tried, then 404", async () => {
		assert.equal((await a.http.get("/nope", { key: club.admin })).status, 404);
		for (const p of ["/api/v1/~node/health", "/api/v1/~node/list", "/api/v1/$node/list", "/api/v1/clubs/resolveKey", "/api/v1/groups/seedClub", "/api/v1/api/list-aliases", "/api/list-aliases"]) {
			const res = await a.http.get(p, { key: club.admin });
			assert.equal(res.status, 404, p);
		}
		assert.equal((await a.http.post("/groups/seedClub", {}, { key: club.admin })).status, 404);
	});

	it("when an error happens, then the answer has moleculer-web's shape and no stack", async () => {
		const res = await a.http.get("/groups/00000000-0000-4000-8000-000000000000", { key: club.admin });
		assert.equal(res.status, 404);
		assert.deepEqual(Object.keys(res.body).sort(), ["code", "message", "name", "type"]);
		assert.equal(res.body.type, "NOT_FOUND");
		assert.ok(!res.text.includes("stack"));
		assert.match(res.headers.get("content-type") ?? "", /application\/json; charset=utf-8/);
	});

	it("when the ops routes are asked, then they answer without a key", async () => {
		assert.equal((await a.http.get("/health")).status, 200);
		const ready = await a.http.get("/ready");
		assert.equal(ready.status, 200);
		assert.equal(ready.body.checks.database, "ok");
		const metrics = await a.http.get("/metrics");
		assert.equal(metrics.status, 200);
		assert.match(metrics.text, /moleculer_request_total/);
		const doc = await a.http.get("/api/openapi.json");
		assert.equal(doc.status, 200);
		assert.equal(doc.body.openapi, "3.1.0");
		assert.ok(doc.body.paths["/api/v1/clubs"].post);
		assert.ok(doc.body.paths["/api/v1/api-keys/{id}"].delete);
		const page = await a.http.get("/api/docs");
		assert.equal(page.status, 200);
		assert.match(page.text, /<html/);
		assert.ok(!/https?:\/\/(cdn|unpkg|fonts)/.test(page.text), "docs page must work offline");
	});

	it("when a domain action is called on the bus without a club, then it is refused", async () => {
		const broker = a.brokers[0];
		await assert.rejects(broker.call("clubs.get", {}), (err: any) => err.type === "CLUB_REQUIRED");
		await assert.rejects(broker.call("groups.list", {}), (err: any) => err.type === "CLUB_REQUIRED");
		const own: any = await broker.call("clubs.get", {}, { meta: { clubId: club.club.id } });
		assert.equal(own.id, club.club.id);
	});
});
