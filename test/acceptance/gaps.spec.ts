/** Contract points the acceptance suite found broken once; kept as regression tests. */
import assert from "node:assert/strict";
import { assertError, assertInvalid, createClient, esMobile, forEachTopology, newClub, person, poll, uid, type TestClub } from "./support";

forEachTopology("Acceptance gaps", env => {
	let club: TestClub;
	before(async () => {
		club = await newClub(env().http);
	});

	// F1
	it("when a POST carries body fields in the query string, then they are refused (422), never stored over the JSON body", async () => {
		const { http } = env();
		const p = person();
		const res = await http.post("/clients?fullName=Evil", p, { key: club.staff });
		assertInvalid(res, "fullName");
		assert.equal((await http.get(`/clients?q=${encodeURIComponent(p.email)}`, { key: club.viewer })).body.items.length, 0);
	});

	// F1
	it("when a PATCH carries a field in the query string, then 422 and nothing changes", async () => {
		const { http } = env();
		const c = await createClient(http, club);
		assertInvalid(await http.patch(`/clients/${c.id}?notes=viaquery`, {}, { key: club.staff }), "notes");
		assert.equal((await http.get(`/clients/${c.id}`, { key: club.viewer })).body.notes, null);
	});

	// F1
	it("when a PATCH body names an id (another client's), then 422 id, never silently ignored", async () => {
		const { http } = env();
		const [a, b] = await Promise.all([createClient(http, club), createClient(http, club)]);
		assertInvalid(await http.patch(`/clients/${a.id}`, { id: b.id, notes: "x" }, { key: club.staff }), "id");
		assert.equal((await http.get(`/clients/${a.id}`, { key: club.viewer })).body.notes, null);
	});

	// F2
	it("when GET /groups or GET /categories get limit=0 or 501, then 422; limit=1 gives one item and a cursor", async () => {
		const { http } = env();
		for (const path of ["/groups", "/categories"]) {
			assertInvalid(await http.get(`${path}?limit=0`, { key: club.viewer }), "limit");
			assertInvalid(await http.get(`${path}?limit=501`, { key: club.viewer }), "limit");
		}
		await http.post("/categories", { name: `A ${uid()}`, discountPercent: 1 }, { key: club.admin });
		await http.post("/categories", { name: `B ${uid()}`, discountPercent: 1 }, { key: club.admin });
		for (const path of ["/groups", "/categories"]) {
			const page = await http.get(`${path}?limit=1`, { key: club.viewer });
			assert.equal(page.body.items.length, 1, path);
			assert.equal(typeof page.body.nextCursor, "string", path);
			const next = await http.get(`${path}?limit=1&cursor=${encodeURIComponent(page.body.nextCursor)}`, { key: club.viewer });
			assert.notEqual(next.body.items[0].id, page.body.items[0].id, path);
		}
	});

	// F3
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

	// F4
	it("when POST /imports gets a JSON body (any keys), then 415", async () => {
		const res = await env().http.request("POST", "/imports", { key: club.staff, rawBody: JSON.stringify({ a: 1 }), headers: { "content-type": "application/json" } });
		assertError(res, 415);
	});

	// F5
	it("when a tag holds , ; or | (the CSV tag separators), then 422 on tags[i]; every accepted tag survives export → import into an empty club", async () => {
		const { http } = env();
		const local = await newClub(http);
		for (const bad of ["rock;roll", "a|b", "x,y"]) {
			const p = person({ tags: ["ok", bad] });
			assertInvalid(await http.post("/clients", p, { key: local.staff }), "tags[1]");
			assert.equal((await http.get(`/clients?q=${encodeURIComponent(p.email)}`, { key: local.viewer })).body.items.length, 0);
		}
		const c = await createClient(http, local, { tags: ["rock & roll", "a/b", "x:y", "-minus", "=eq", "ünï cödé"] });
		assertInvalid(await http.patch(`/clients/${c.id}`, { tags: ["x,y"] }, { key: local.staff }), "tags[0]");
		assertInvalid(await http.post("/clients/bulk", { clientIds: [c.id], addTags: ["a|b"] }, { key: local.staff }), "addTags[0]");
		const text = (await http.get("/clients/export", { key: local.viewer })).text;
		const empty = await newClub(http);
		const job = await http.request("POST", "/imports", { key: empty.staff, rawBody: text, headers: { "content-type": "text/csv" } });
		assert.equal(job.status, 202, job.text);
		const done = await poll(() => http.get(`/imports/${job.body.id}`, { key: empty.viewer }), r => r.body.status === "completed");
		assert.equal(done.body.created, 1);
		const back = (await http.get(`/clients?q=${encodeURIComponent(c.email)}`, { key: empty.viewer })).body.items[0];
		assert.deepEqual([...back.tags].sort(), [...c.tags].sort());
	});

	// F6
	it("when a running import is cancelled, then no row is written afterwards and the job's counts no longer change", async function () {
		this.timeout(60_000);
		const { http } = env();
		const local = await newClub(http);
		const rows = ["Full name,Email,Phone,Gender,Country"];
		for (let i = 0; i < 40_000; i++) rows.push(`R ${i},r${i}.${uid()}@example.com,${esMobile().e164},F,ES`);
		const started = await http.request("POST", "/imports", { key: local.staff, rawBody: rows.join("\n"), headers: { "content-type": "text/csv" } });
		assert.equal(started.status, 202, started.text);
		const cancelled = await http.post(`/imports/${started.body.id}/cancel`, {}, { key: local.staff });
		assert.equal(cancelled.status, 200, cancelled.text);
		assert.equal(cancelled.body.status, "cancelled");
		await new Promise(r => setTimeout(r, 3000));
		const later = (await http.get(`/imports/${started.body.id}`, { key: local.viewer })).body;
		assert.equal(later.processedRows, cancelled.body.processedRows);
		assert.equal(later.created, cancelled.body.created);
		assert.deepEqual(later, cancelled.body, "an ended job no longer changes (counts, totalRows, finishedAt, warnings)");
		assert.ok(cancelled.body.finishedAt);
		const count = (await http.get("/groups", { key: local.viewer })).body.items.find((g: any) => g.isDefault).clientCount;
		assert.equal(count, cancelled.body.created);
	});
});
