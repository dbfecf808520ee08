/**
 * The gateway's edges (issue 12, item 15): HEAD on every GET route answers like GET without
 * a body, an over-long URL is a 414 (not a reset connection), and a bad enum value's 422
 * says what was sent.
 */
import assert from "node:assert/strict";
import { app, newClub, type Running, type TestClub } from "../support/app";

describe("Gateway edges: HEAD, long URLs, enum messages", function () {
	this.timeout(60_000);
	let a: Running;
	let club: TestClub;

	before(async () => {
		a = await app();
		club = await newClub(a.http);
	});

	it("when HEAD is sent to a GET route, then it answers like GET (status, type, length) with no body", async () => {
		const groups = (await a.http.get("/groups", { key: club.viewer })).body.items;
		for (const path of ["/api/v1/club", "/api/v1/groups", `/api/v1/groups/${groups[0].id}`, "/api/v1/clients?limit=5", "/health", "/api/openapi.json"]) {
			const get = await fetch(a.baseUrl + path, { headers: { authorization: `Bearer ${club.viewer}` } });
			const getBody = await get.text();
			const head = await fetch(a.baseUrl + path, { method: "HEAD", headers: { authorization: `Bearer ${club.viewer}` } });
			assert.equal(head.status, get.status, path);
			assert.equal(head.status, 200, path);
			assert.equal(head.headers.get("content-type"), get.headers.get("content-type"), path);
			if (get.headers.get("content-length")) assert.equal(head.headers.get("content-length"), String(Buffer.byteLength(getBody)), path);
			assert.equal(await head.text(), "", path);
		}
		assert.equal((await fetch(`${a.baseUrl}/api/v1/club`, { method: "HEAD" })).status, 401, "HEAD still needs a key");
		assert.equal((await fetch(`${a.baseUrl}/api/v1/nowhere`, { method: "HEAD", headers: { authorization: `Bearer ${club.viewer}` } })).status, 404);
	});

	it("when the URL is over-long (past the gateway's limit, or past Node's header limit), then 414 URI_TOO_LONG and the node goes on", async () => {
		for (const n of [9_000, 40_000]) {
			const res = await fetch(`${a.baseUrl}/api/v1/clients?q=${"x".repeat(n)}`, { headers: { authorization: `Bearer ${club.viewer}` } });
			assert.equal(res.status, 414, `${n} chars`);
			assert.equal(((await res.json()) as any).type, "URI_TOO_LONG");
		}
		const ok = await a.http.get(`/clients?q=${"x".repeat(100)}`, { key: club.viewer });
		assert.equal(ok.status, 200, ok.text);
	});

	it("when an enum parameter gets a value outside its list, then the 422 names the value sent and the allowed ones", async () => {
		const res = await a.http.post("/api-keys", { name: "k", role: "root" }, { key: club.admin });
		assert.equal(res.status, 422, res.text);
		const [entry] = res.body.data;
		assert.equal(entry.field, "role");
		assert.equal(entry.type, "enumValue");
		assert.match(entry.message, /"root"/, entry.message);
		assert.match(entry.message, /admin, staff, viewer/, entry.message);
		assert.doesNotMatch(entry.message, /value 'admin, staff, viewer'/, entry.message);
		const q = await a.http.get("/imports/00000000-0000-4000-8000-000000000000/errors?format=xml", { key: club.viewer });
		assert.equal(q.status, 422, q.text);
		assert.match(q.body.data[0].message, /"xml"/);
	});
});
