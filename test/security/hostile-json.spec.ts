/**
 * Hostile JSON is a 4xx, never a 5xx: bodies nested thousands of levels deep, bodies whose
 * Content-Encoding does not match their bytes, and `__proto__` / `constructor` / `prototype`
 * keys (unknown fields, which never reach an object's prototype) — on every write route of
 * the OpenAPI document.
 */
import assert from "node:assert/strict";
import zlib from "node:zlib";
import { app, newClub, platformKey, type Running, type TestClub } from "../support/app";

const deepArray = (n: number) => "[".repeat(n) + "]".repeat(n);
const deepObject = (n: number) => '{"a":'.repeat(n) + "1" + "}".repeat(n);

describe("Hostile JSON bodies", function () {
	this.timeout(120_000);
	let a: Running;
	let club: TestClub;
	let writes: Array<{ method: string; path: string; key: string; field: string }> = [];
	let clientId: string;

	before(async () => {
		a = await app();
		club = await newClub(a.http);
		const doc = (await a.http.get("/api/openapi.json")).body;
		for (const [p, methods] of Object.entries<any>(doc.paths)) {
			if (!p.startsWith("/api/v1/")) continue;
			for (const [method, op] of Object.entries<any>(methods)) {
				const schema = op.requestBody?.content?.["application/json"]?.schema;
				if (!schema) continue;
				const key = String(op.description ?? "").includes("Platform key only") ? platformKey() : club.admin;
				writes.push({ method: method.toUpperCase(), path: p.replace(/\{[^}]+\}/g, "00000000-0000-4000-8000-000000000000"), key, field: Object.keys(schema.properties ?? { x: 1 })[0] });
			}
		}
		const made = await a.http.post("/clients", { fullName: "Ana Proto", email: "ana.proto@example.com", phone: "+34 612 000 111", gender: "female", country: "ES", notes: "original" }, { key: club.staff });
		assert.equal(made.status, 201, made.text);
		clientId = made.body.id;
	});

	it("when any write route gets a body nested thousands of levels deep (with an Idempotency-Key), then 400 BODY_TOO_DEEP, never a 5xx", async () => {
		assert.ok(writes.length > 10, `${writes.length} write routes`);
		const failures: string[] = [];
		for (const { method, path, key, field } of writes) {
			for (const body of [deepArray(5000), deepObject(5000), `{"${field}":${deepArray(10_000)}}`, `{"${field}":${deepObject(3000)}}`]) {
				const res = await a.http.request(method, path, { key, rawBody: body, headers: { "content-type": "application/json", "idempotency-key": `deep-${Math.random()}` } });
				if (res.status !== 400 || res.body?.type !== "BODY_TOO_DEEP") failures.push(`${method} ${path} ${body.slice(0, 12)}… -> ${res.status} ${res.text.slice(0, 120)}`);
			}
		}
		assert.deepEqual(failures, []);
		// A body at an ordinary depth still goes through.
		const ok = await a.http.patch(`/clients/${clientId}`, { tags: ["a", "b"] }, { key: club.staff });
		assert.equal(ok.status, 200, ok.text);
		assert.equal((await a.http.get("/health")).status, 200);
	});

	it("when the Content-Encoding is gzip, deflate or br but the bytes are not, then 400 INVALID_CONTENT_ENCODING; a real gzip body is read", async () => {
		const plain = JSON.stringify({ notes: "not compressed" });
		for (const encoding of ["gzip", "deflate", "br"]) {
			for (const bytes of [Buffer.from(plain), zlib.gzipSync(plain).subarray(0, 12)]) {
				const res = await a.http.request("PATCH", `/clients/${clientId}`, { key: club.staff, rawBody: bytes, headers: { "content-type": "application/json", "content-encoding": encoding } });
				assert.equal(res.status, 400, `${encoding}: ${res.text}`);
				assert.equal(res.body.type, "INVALID_CONTENT_ENCODING");
			}
		}
		const gz = await a.http.request("PATCH", `/clients/${clientId}`, { key: club.staff, rawBody: zlib.gzipSync(JSON.stringify({ tags: ["gzipped"] })), headers: { "content-type": "application/json", "content-encoding": "gzip" } });
		assert.equal(gz.status, 200, gz.text);
		assert.deepEqual(gz.body.tags, ["gzipped"]);
	});

	it("when a body holds __proto__, constructor or prototype keys (top level or nested), then 422 unknownField naming them and nothing changes", async () => {
		for (const key of ["__proto__", "constructor", "prototype"]) {
			for (const [raw, field] of [
				[`{"${key}":{"notes":"x"}}`, key],
				[`{"notes":"y","${key}":{"notes":"x","verified":true}}`, key],
				[`{"categories":[{"${key}":{"validFrom":"2020-01-01"}}]}`, `categories[0].${key}`],
			] as const) {
				const res = await a.http.request("PATCH", `/clients/${clientId}`, { key: club.staff, rawBody: raw, headers: { "content-type": "application/json" } });
				assert.equal(res.status, 422, `${raw}: ${res.text}`);
				assert.deepEqual(res.body.data.map((d: any) => [d.field, d.type]), [[field, "unknownField"]], raw);
			}
		}
		const res = await a.http.request("POST", "/clients", { key: club.staff, rawBody: JSON.stringify({ fullName: "Bo Proto", email: "bo.proto@example.com", phone: "+34 612 000 112", gender: "male", country: "ES" }).replace(/}$/, ',"__proto__":{"verified":true}}'), headers: { "content-type": "application/json" } });
		assert.equal(res.status, 422, res.text);
		const now = await a.http.get(`/clients/${clientId}`, { key: club.viewer });
		assert.deepEqual([now.body.notes, now.body.verified], ["original", false]);
		assert.equal(({} as any).notes, undefined, "Object.prototype untouched");
		assert.equal(({} as any).verified, undefined, "Object.prototype untouched");
	});
});
