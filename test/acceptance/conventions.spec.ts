/** API.md "Conventions (REST)" and "Ops", as an outside integrator sees them. */
import assert from "node:assert/strict";
import { assertError, assertInvalid, createClient, forEachTopology, newClub, person, uid, type TestClub } from "./support";
import { platformKey as pk } from "../support/app";

forEachTopology("Acceptance: conventions", env => {
	let club: TestClub;
	let other: TestClub;
	before(async () => {
		[club, other] = await Promise.all([newClub(env().http), newClub(env().http)]);
	});

	describe("auth and roles", () => {
		it("when no key, an unknown key or a malformed header is sent, then 401", async () => {
			const { http } = env();
			assert.equal((await http.get("/club")).status, 401);
			assert.equal((await http.get("/club", { key: `chk_${uid()}${uid()}` })).status, 401);
			assert.equal((await http.get("/club", { headers: { authorization: club.admin } })).status, 401);
			assert.equal((await http.get("/clients", { headers: { authorization: `Basic ${club.admin}` } })).status, 401);
		});

		it("when a viewer writes anything, then 403 FORBIDDEN; reading is fine", async () => {
			const { http } = env();
			assertError(await http.post("/clients", person(), { key: club.viewer }), 403, "FORBIDDEN");
			assertError(await http.post("/groups", { name: `G ${uid()}` }, { key: club.viewer }), 403, "FORBIDDEN");
			assert.equal((await http.get("/clients", { key: club.viewer })).status, 200);
			assert.equal((await http.get("/groups", { key: club.viewer })).status, 200);
			assert.equal((await http.get("/categories", { key: club.viewer })).status, 200);
			assert.equal((await http.get("/club", { key: club.viewer })).status, 200);
		});

		it("when staff writes clients then 201, but groups, categories, product access, settings and keys are admin-only (403)", async () => {
			const { http } = env();
			assert.equal((await http.post("/clients", person(), { key: club.staff })).status, 201);
			assertError(await http.post("/groups", { name: `G ${uid()}` }, { key: club.staff }), 403, "FORBIDDEN");
			assertError(await http.post("/categories", { name: `C ${uid()}`, discountPercent: 5 }, { key: club.staff }), 403, "FORBIDDEN");
			assertError(await http.put("/products/court-1/access", { kind: "product", groupIds: [] }, { key: club.staff }), 403, "FORBIDDEN");
			const groups = (await http.get("/groups", { key: club.staff })).body.items;
			assertError(await http.put("/settings/default-group", { groupId: groups[0].id }, { key: club.staff }), 403, "FORBIDDEN");
			assertError(await http.post("/api-keys", { name: "x", role: "viewer" }, { key: club.staff }), 403, "FORBIDDEN");
		});

		it("when the platform key is used on club routes, then it is refused; a club key cannot create clubs", async () => {
			const { http } = env();
			assert.ok([401, 403].includes((await http.get("/clients", { key: pk() })).status));
			assert.ok([401, 403].includes((await http.post("/clients", person(), { key: pk() })).status));
			assert.ok([401, 403].includes((await http.post("/clubs", { name: "X", country: "ES", currency: "EUR", timezone: "Europe/Madrid" }, { key: club.admin })).status));
		});
	});

	describe("tenant isolation and ids", () => {
		it("when another club's client id is used on any client route, then 404 NOT_FOUND exactly like an unknown id", async () => {
			const { http } = env();
			const theirs = await createClient(http, other);
			for (const [method, path, body] of [
				["GET", `/clients/${theirs.id}`, undefined],
				["PATCH", `/clients/${theirs.id}`, { notes: "x" }],
				["DELETE", `/clients/${theirs.id}`, undefined],
				["GET", `/clients/${theirs.id}/bookings`, undefined],
				["GET", `/clients/${theirs.id}/wallets`, undefined],
				["POST", `/clients/${theirs.id}/wallets`, { currency: "EUR" }],
			] as const) {
				const res = await http.request(method, path, { key: club.admin, body });
				assertError(res, 404, "NOT_FOUND");
				assert.ok(!res.text.includes(theirs.email), "no other club's data");
			}
			assert.equal((await http.get(`/clients/${theirs.id}`, { key: other.viewer })).status, 200, "still there for its own club");
		});

		it("when ids are not UUIDs, then 404 (never a 5xx)", async () => {
			const { http } = env();
			for (const path of ["/clients/not-a-uuid", "/groups/123", "/categories/%27%3B--", "/wallets/xyz", "/imports/nope", "/clients/00000000-0000-0000-0000-00000000000g"]) {
				const res = await http.get(path, { key: club.admin });
				assertError(res, 404, "NOT_FOUND");
			}
			assertError(await http.get("/clients/6f1c7b0e-9c8a-4f5e-8a53-1b2c3d4e5f60", { key: club.admin }), 404, "NOT_FOUND");
		});
	});

	describe("lists", () => {
		let ids: string[];
		before(async function () {
			this.timeout(60_000);
			const { http } = env();
			const paged = await newClub(http);
			(club as any).paged = paged;
			ids = [];
			for (let i = 0; i < 55; i += 11) {
				const batch = await Promise.all(Array.from({ length: 11 }, () => createClient(http, paged)));
				ids.push(...batch.map(c => c.id));
			}
		});

		it("when limit is 0 or 501 or not a number, then 422; 1 and 500 are accepted", async () => {
			const { http } = env();
			const paged = (club as any).paged as TestClub;
			assertInvalid(await http.get("/clients?limit=0", { key: paged.viewer }), "limit");
			assertInvalid(await http.get("/clients?limit=501", { key: paged.viewer }), "limit");
			assertInvalid(await http.get("/clients?limit=abc", { key: paged.viewer }), "limit");
			assert.equal((await http.get("/clients?limit=1", { key: paged.viewer })).body.items.length, 1);
			assert.equal((await http.get("/clients?limit=500", { key: paged.viewer })).body.items.length, 55);
		});

		it("when no limit is given, then 50 items and a nextCursor", async () => {
			const { http } = env();
			const paged = (club as any).paged as TestClub;
			const res = await http.get("/clients", { key: paged.viewer });
			assert.equal(res.status, 200);
			assert.deepEqual(Object.keys(res.body).sort(), ["items", "nextCursor"]);
			assert.equal(res.body.items.length, 50);
			assert.equal(typeof res.body.nextCursor, "string");
		});

		it("when paging with the cursor, then every client comes exactly once, newest first, and the last page has nextCursor null", async () => {
			const { http } = env();
			const paged = (club as any).paged as TestClub;
			const seen: any[] = [];
			let cursor: string | null = null;
			let pages = 0;
			do {
				const res: any = await http.get(`/clients?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { key: paged.viewer });
				assert.equal(res.status, 200, res.text);
				seen.push(...res.body.items);
				cursor = res.body.nextCursor;
				pages++;
			} while (cursor && pages < 10);
			assert.equal(pages, 3);
			assert.equal(cursor, null);
			assert.equal(new Set(seen.map(c => c.id)).size, 55);
			assert.deepEqual(new Set(seen.map(c => c.id)), new Set(ids));
			for (let i = 1; i < seen.length; i++) assert.ok(seen[i - 1].createdAt >= seen[i].createdAt, "newest first");
		});

		it("when a cursor is garbage, then 4xx, never a 5xx", async () => {
			const { http } = env();
			const res = await http.get("/clients?cursor=%%%garbage", { key: club.viewer });
			assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`);
		});
	});

	describe("bodies", () => {
		it("when the body is not JSON (text/plain), then 415", async () => {
			const { http } = env();
			const res = await http.request("POST", "/clients", { key: club.staff, rawBody: JSON.stringify(person()), headers: { "content-type": "text/plain" } });
			assert.equal(res.status, 415, res.text);
		});

		it("when the JSON is malformed, then 400", async () => {
			const { http } = env();
			const res = await http.request("POST", "/clients", { key: club.staff, rawBody: '{"fullName": "A",', headers: { "content-type": "application/json" } });
			assert.equal(res.status, 400, res.text);
			assert.equal(res.body.code, 400);
		});

		it("when a JSON body is over 1 MiB, then 413", async () => {
			const { http } = env();
			const res = await http.request("POST", "/clients", { key: club.staff, rawBody: JSON.stringify({ ...person(), notes: "x".repeat(1024 * 1024 + 10) }), headers: { "content-type": "application/json" } });
			assert.equal(res.status, 413, res.text.slice(0, 200));
		});

		it("when unknown fields are sent (id, verified, clubId, createdAt), then 422 naming them and nothing is stored", async () => {
			const { http } = env();
			for (const extra of [{ id: "6f1c7b0e-9c8a-4f5e-8a53-1b2c3d4e5f60" }, { verified: true }, { clubId: other.club.id }, { createdAt: "2020-01-01T00:00:00.000Z" }, { favouriteColour: "red" }]) {
				const p = person(extra);
				const res = await http.post("/clients", p, { key: club.staff });
				assertInvalid(res, Object.keys(extra)[0]);
				const found = await http.get(`/clients?q=${encodeURIComponent(p.email)}`, { key: club.viewer });
				assert.equal(found.body.items.length, 0);
			}
		});

		it("when a validation error happens, then the moleculer-web error shape with data [{field,type,message}] and JSON content type", async () => {
			const { http } = env();
			const res = await http.post("/clients", { fullName: "Only Name" }, { key: club.staff });
			assertInvalid(res, "email");
			assert.deepEqual(Object.keys(res.body).filter(k => ["name", "message", "code", "type", "data"].includes(k)).sort(), ["code", "data", "message", "name", "type"]);
			assert.match(res.headers.get("content-type") ?? "", /^application\/json; charset=utf-8/i);
			const ok = await http.get("/club", { key: club.viewer });
			assert.match(ok.headers.get("content-type") ?? "", /^application\/json; charset=utf-8/i);
		});
	});

	describe("Idempotency-Key on POST /clients", () => {
		it("when the same key and body are sent twice, then the first response is replayed (same status and body) and one client exists", async () => {
			const { http } = env();
			const key = `idem-${uid()}`;
			const p = person();
			const a = await http.post("/clients", p, { key: club.staff, idempotencyKey: key });
			const b = await http.post("/clients", p, { key: club.staff, idempotencyKey: key });
			assert.equal(a.status, 201);
			assert.equal(b.status, 201);
			assert.deepEqual(b.body, a.body);
			const found = await http.get(`/clients?q=${encodeURIComponent(p.email)}`, { key: club.viewer });
			assert.equal(found.body.items.length, 1);
		});

		it("when the same key comes with a different body, then 422 IDEMPOTENCY_KEY_REUSED", async () => {
			const { http } = env();
			const key = `idem-${uid()}`;
			assert.equal((await http.post("/clients", person(), { key: club.staff, idempotencyKey: key })).status, 201);
			assertError(await http.post("/clients", person(), { key: club.staff, idempotencyKey: key }), 422, "IDEMPOTENCY_KEY_REUSED");
		});

		it("when two clubs use the same key, then each gets its own result (keys are scoped to the club)", async () => {
			const { http } = env();
			const key = `idem-${uid()}`;
			const p = person();
			const a = await http.post("/clients", p, { key: club.staff, idempotencyKey: key });
			const b = await http.post("/clients", p, { key: other.staff, idempotencyKey: key });
			assert.equal(a.status, 201);
			assert.equal(b.status, 201);
			assert.notEqual(a.body.id, b.body.id);
		});

		it("when the key is longer than 255 characters, then a 4xx and nothing created", async () => {
			const { http } = env();
			const p = person();
			const res = await http.post("/clients", p, { key: club.staff, idempotencyKey: "k".repeat(256) });
			assert.ok([400, 422].includes(res.status), `${res.status} ${res.text}`);
			assert.equal((await http.get(`/clients?q=${encodeURIComponent(p.email)}`, { key: club.viewer })).body.items.length, 0);
		});

		it("when an earlier create failed validation under a key, then the failure is what the key holds or the key is free — never a 5xx", async () => {
			const { http } = env();
			const key = `idem-${uid()}`;
			const bad = { ...person(), email: "nope" };
			const first = await http.post("/clients", bad, { key: club.staff, idempotencyKey: key });
			assertInvalid(first, "email");
			const again = await http.post("/clients", bad, { key: club.staff, idempotencyKey: key });
			assert.equal(again.status, 422);
		});

		it("when a request that failed is retried with the same Idempotency-Key, then the replay is byte-identical (same name too)", async () => {
			const { http } = env();
			const c = await createClient(http, club);
			const w = (await http.post(`/clients/${c.id}/wallets`, { currency: "EUR" }, { key: club.staff })).body;
			const k = uid();
			const a = await http.post(`/wallets/${w.id}/debit`, { amount: 5 }, { key: club.staff, idempotencyKey: k });
			const b = await http.post(`/wallets/${w.id}/debit`, { amount: 5 }, { key: club.staff, idempotencyKey: k });
			assertError(a, 409, "INSUFFICIENT_FUNDS");
			assert.equal(b.status, a.status);
			assert.deepEqual(b.body, a.body);
			const k2 = uid();
			const p = person({ email: c.email });
			const d1 = await http.post("/clients", p, { key: club.staff, idempotencyKey: k2 });
			const d2 = await http.post("/clients", p, { key: club.staff, idempotencyKey: k2 });
			assertError(d1, 409, "CLIENT_EXISTS");
			assert.deepEqual(d2.body, d1.body);
		});
	});

	describe("ops", () => {
		it("when /health and /ready are asked without a key, then 200", async () => {
			const { http } = env();
			assert.equal((await http.get("/health")).status, 200);
			assert.equal((await http.get("/ready")).status, 200);
		});

		it("when /api/openapi.json is fetched, then an OpenAPI 3.1 document listing every documented route", async () => {
			const { http } = env();
			const res = await http.get("/api/openapi.json");
			assert.equal(res.status, 200);
			assert.match(res.body.openapi, /^3\.1\./);
			const paths = Object.keys(res.body.paths);
			const norm = (p: string) => p.replace(/\{[^}]+\}/g, "{}").replace(/:[A-Za-z]+/g, "{}");
			const have = new Set(paths.map(norm));
			for (const p of [
				"/api/v1/clubs", "/api/v1/club", "/api/v1/api-keys", "/api/v1/api-keys/{}",
				"/api/v1/clients", "/api/v1/clients/{}", "/api/v1/clients/bulk", "/api/v1/clients/{}/bookings", "/api/v1/clients/{}/wallets",
				"/api/v1/clients/{}/categories/{}", "/api/v1/tags", "/api/v1/clients/export", "/api/v1/verified-profiles",
				"/api/v1/groups", "/api/v1/groups/{}", "/api/v1/settings/default-group", "/api/v1/categories", "/api/v1/categories/{}",
				"/api/v1/products/{}/access", "/api/v1/booking-guard/check", "/api/v1/bookings", "/api/v1/bookings/{}/cancel",
				"/api/v1/bookings/series/{}/cancel", "/api/v1/booking-guard/visible-products",
				"/api/v1/wallets/{}", "/api/v1/wallets/{}/transactions", "/api/v1/wallets/{}/top-up", "/api/v1/wallets/{}/debit", "/api/v1/wallets/{}/refund",
				"/api/v1/imports", "/api/v1/imports/{}", "/api/v1/imports/{}/cancel", "/api/v1/imports/{}/errors",
			]) assert.ok(have.has(p), `OpenAPI lists ${p}`);
		});

		it("when /api/docs is fetched, then a readable HTML page", async () => {
			const { http } = env();
			const res = await http.get("/api/docs");
			assert.equal(res.status, 200);
			assert.match(res.headers.get("content-type") ?? "", /text\/html/);
		});

		it("when /metrics is fetched, then Prometheus text", async () => {
			const { http } = env();
			const res = await http.get("/metrics");
			assert.equal(res.status, 200);
			assert.match(res.text, /^# (HELP|TYPE) /m);
		});
	});
});
